//! The main page as leaf components over the core's plain-data views: time controls, the cluster
//! diagram, actions, settings, properties and the event log. Each takes `PartialEq` props, so a
//! tick re-renders only what changed.
use crate::lesson::LessonPanel;
use crate::{d0, d1};
use crate::{Action, Model, Views};
use sim_session::model::report::Hop;
use sim_session::model::Command;
use sim_session::view::{Block, ClockView, ClusterView, NodeView, Panel, PanelView, PropView, SettingGroupView};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

type Go = Callback<Action>;

fn send(go: &Go, make: impl Fn() -> Action + 'static) -> Callback<MouseEvent> {
    let go = go.clone();
    Callback::from(move |_| go.emit(make()))
}

pub fn page(m: &Model, go: &Go) -> Html {
    let Some(v) = &m.views else {
        // Nothing loaded (yet, or a failed link): the picker stays, so there is always a way on.
        return html! {
            <main class="app">
                { header("", 0, &picks(go)) }
                if let Some(e) = &m.link_problem { <p class="error" role="alert" id="link-problem">{ e }</p> }
                <p role="status" class={classes!(m.error.is_some().then_some("error"))}>{ m.error.clone().unwrap_or_else(|| "Loading…".into()) }</p>
            </main>
        };
    };
    html! {
        <main class="app" tabindex="0" onkeydown={keys(m.playing, m.help, v.clock.now_ms, go)}>
            if m.help { { keys_help(go) } }
            { header(&v.lesson.file, v.lesson.seed, &picks(go)) }
            if let Some(e) = &m.link_problem { <p class="error" role="alert" id="link-problem">{ e }</p> }
            if let Some(n) = &m.notice {
                <p class="notice" role="status" id="notice">{ n }
                    if m.undo.is_some() { { " " }<button id="undo" onclick={go.reform(|_| Action::Undo)}>{ "Undo" }</button> }
                </p>
            }
            if let Some(w) = &m.working { <p class="notice working" role="status" aria-live="polite" id="working">{ w }</p> }
            if let Some(e) = &m.error { { toast(e, go.reform(|_| Action::Dismiss)) } }
            { for Panel::shown(&v.lesson, true).into_iter().map(|p| panel(p, Place::Page, m, v, go)) }
        </main>
    }
}

/// A global error where the eye is, whatever the scroll: fixed at the bottom of the window until
/// the next action or its close button. (Errors of one field stay beside that field.)
pub fn toast(e: &str, dismiss: Callback<MouseEvent>) -> Html {
    html! {
        <div class="toast error" role="alert" id="toast">
            <span>{ e.to_string() }</span>
            <button id="toast-close" aria-label="dismiss this message" onclick={dismiss}>{ "×" }</button>
        </div>
    }
}

/// Where a panel is drawn: on the page, or in an embedded widget (compact or full).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Place {
    Page,
    Widget { full: bool },
}

/// One panel of the session's list (`Panel::shown`), the same on the page and in the widget but
/// for the lesson's text: the page shows it whole, a widget its summary and goals (folded when
/// compact, which also shows only the charts a watch item names).
pub fn panel(p: Panel, place: Place, m: &Model, v: &Views, go: &Go) -> Html {
    let full = place != Place::Widget { full: false };
    match p {
        Panel::Challenge => match (&v.challenge, place) {
            // The page's lesson panel holds its challenge.
            (Some(c), Place::Widget { .. }) => crate::lesson::challenge(c),
            _ => html! {},
        },
        Panel::Lesson => match place {
            Place::Page => html! { <LessonPanel lesson={v.lesson.clone()} goals={v.goals.clone()} challenge={v.challenge.clone()} /> },
            Place::Widget { full } => html! {
                <>
                    <p class="summary">{ v.lesson.summary.clone() }</p>
                    if full { { crate::lesson::goals(&v.goals) } } else { { crate::lesson::goals_folded(&v.goals) } }
                </>
            },
        },
        Panel::Time => html! { <TimeControls clock={v.clock.clone()} playing={m.playing} speed={m.speed} reached={m.reached.filter(|_| m.playing)} go={go.clone()} /> },
        Panel::Diagram => html! { <div class="diagram-scroll"><ClusterDiagram cluster={v.cluster.clone()} selected={m.selected.clone()} go={go.clone()} /></div> },
        Panel::Actions => html! { <Actions selected={m.selected.clone()} link={m.link.clone()} go={go.clone()} /> },
        Panel::Settings => html! { <Settings settings={v.settings.clone()} error={m.setting_error.clone()} epoch={m.settings_epoch} go={go.clone()} /> },
        // The migrations page leaves the PITR panel out (its lessons have no `[backup]`); a
        // learner's own lesson with both says where the panel is.
        Panel::Pitr if cfg!(feature = "migrate") => match &v.pitr {
            Some(_) => {
                html! { <p class="notice" id="pitr-elsewhere">{ "This lesson has a [backup] section: its PITR panel and DR drill are on the main page (index.html), which has no migration component. Its backups, archiving and restores still run here." }</p> }
            }
            None => html! {},
        },
        Panel::Pitr => match &v.pitr {
            Some(pv) => html! { <crate::pitr::PitrPanel view={pv.clone()} drill={m.drill.clone()} go={go.clone()} /> },
            None => html! {},
        },
        Panel::Components => {
            // A compact widget folds a component's blocks that are page elements no watch item names.
            let named = Panel::Components.elements();
            let shown = |pv: &Rc<PanelView>| -> Rc<PanelView> {
                if full {
                    return pv.clone();
                }
                let keep = |b: &&Block| b.id().is_none_or(|id| !named.contains(&id) || v.lesson.watches(id));
                Rc::new(PanelView { blocks: pv.blocks.iter().filter(keep).cloned().collect(), ..(**pv).clone() })
            };
            html! { <>{ for v.panels.iter().map(|pv| html! { <crate::component::ComponentPanel view={shown(pv)} go={go.clone()} /> }) }</> }
        }
        Panel::Charts => html! {
            <section class="charts">
                { for v.charts.iter().filter(|c| full || v.lesson.watches(c.id)).map(|c| html! { <crate::charts::ChartFigure chart={c.clone()} /> }) }
            </section>
        },
        Panel::Properties => html! { <Properties props={v.props.clone()} /> },
        Panel::Log => html! { <EventLog lines={v.log.clone()} filter={m.log_filter.clone()} all={m.log_all} go={go.clone()} /> },
    }
}

/// The "?" overlay: every shortcut, and how to reach the diagram by keyboard.
pub fn keys_help(go: &Go) -> Html {
    html! {
        <section id="keys-help" role="dialog" aria-label="Keyboard shortcuts" class="keys-help">
            <h3>{ "Keyboard" }</h3>
            <dl>
                <dt>{ "Space or k" }</dt><dd>{ "play / pause (when no control has focus)" }</dd>
                <dt>{ "→ or l, ← or j" }</dt><dd>{ "one second forward or back" }</dd>
                <dt>{ "Tab" }</dt><dd>{ "moves through nodes and links of the diagram too" }</dd>
                <dt>{ "Enter on a node or link" }</dt><dd>{ "opens its failures (crash, cut, slow…)" }</dd>
                <dt>{ "?" }</dt><dd>{ "shows or hides this list; Escape hides it" }</dd>
            </dl>
            <p>{ "Sliders, fields and lists keep their own keys." }</p>
            <button id="keys-help-close" onclick={send(go, || Action::Help(false))}>{ "Close" }</button>
        </section>
    }
}

/// Shortcuts, handled only while the app has focus and not inside a form control: space
/// plays/pauses, ←/→ (or j/l) step in time. Buttons, sliders, fields and lists keep their own keys.
pub fn keys(playing: bool, help: bool, now_ms: u64, go: &Go) -> Callback<KeyboardEvent> {
    let go = go.clone();
    Callback::from(move |e: KeyboardEvent| {
        if e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        let el = e.target_dyn_into::<web_sys::Element>();
        let tag = el.as_ref().map(|el| el.tag_name().to_ascii_uppercase()).unwrap_or_default();
        let is_button = el.as_ref().and_then(|el| el.get_attribute("role")).is_some_and(|r| r == "button");
        if matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON" | "A" | "SUMMARY" | "OPTION") || is_button {
            return;
        }
        let action = match e.key().as_str() {
            "?" => Some(Action::Help(!help)),
            "Escape" if help => Some(Action::Help(false)),
            " " | "k" => Some(if playing { Action::Pause } else { Action::Play }),
            "ArrowRight" | "l" => Some(Action::Seek(now_ms + 1000)),
            "ArrowLeft" | "j" => Some(Action::Seek(now_ms.saturating_sub(1000))),
            _ => None,
        };
        if let Some(a) = action {
            e.prevent_default();
            go.emit(a);
        }
    })
}

/// What the header's controls report: a lesson picked, a seed typed, a file opened, an error.
#[derive(Clone, Debug)]
pub struct Picks {
    pub pick: Callback<String>,
    pub seed: Callback<u64>,
    pub open: Callback<(String, String)>,
    pub fail: Callback<String>,
}

/// Picking a lesson on the main page: sharding lessons open the sharding page.
pub fn picks(go: &Go) -> Picks {
    let load = go.clone();
    let pick = Callback::from(move |file: String| {
        if lessons::PLANNER_NAMES.contains(&file.as_str()) {
            crate::edge::navigate(&format!("plan.html#file={file}"));
        } else if lessons::is_sharded(&file) {
            crate::edge::navigate(&format!("shard.html#file={file}"));
        } else if let Some(page) = crate::edge::other_page(&file) {
            crate::edge::navigate(&format!("{page}#file={file}"));
        } else {
            let name = file.clone();
            crate::fetch_lesson(file, load.clone(), move |src| Action::Load { file: name, src, seed: None });
        }
    });
    let open = go.reform(|(file, src): (String, String)| Action::Load { file, src, seed: None });
    Picks { pick, seed: go.reform(Action::Reseed), open, fail: go.reform(Action::Fail) }
}

/// The title, the lesson picker, "open a file" and the seed.
pub fn header(file: &str, current_seed: u64, p: &Picks) -> Html {
    html! {
        <header>
            <h1>{ "dbsim" }</h1>
            { picker(file, &p.pick) }
            { open_file(p) }
            { seed(current_seed, p) }
        </header>
    }
}

fn seed(current: u64, p: &Picks) -> Html {
    let p = p.clone();
    let onchange = Callback::from(move |e: Event| {
        let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
        match i.value().trim().parse::<u64>() {
            Ok(v) => p.seed.emit(v),
            Err(_) => p.fail.emit(format!("`{}` is not a seed (a whole number)", i.value())),
        }
    });
    html! { <label>{ "Seed " }<input id="seed" type="number" min="0" value={current.to_string()} {onchange} /></label> }
}

fn open_file(p: &Picks) -> Html {
    let p = p.clone();
    let reader = std::rc::Rc::new(std::cell::RefCell::new(None));
    let onchange = Callback::from(move |e: Event| {
        let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        let name = file.name();
        let p = p.clone();
        let task = gloo::file::callbacks::read_as_text(&gloo::file::File::from(file), move |text| match text {
            Ok(src) => p.open.emit((name, src)),
            Err(e) => p.fail.emit(format!("{name}: {e}")),
        });
        *reader.borrow_mut() = Some(task);
    });
    html! { <label class="open">{ "Open a scenario file " }<input id="open" type="file" accept=".toml" {onchange} /></label> }
}

fn picker(current: &str, pick: &Callback<String>) -> Html {
    let pick = pick.clone();
    let onchange = Callback::from(move |e: Event| {
        if let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
            pick.emit(sel.value());
        }
    });
    html! {
        <label>{ "Scenario " }
            <select id="scenario" {onchange}>
                { for PICKER.iter().map(|(label, names, titles, keep)| group(label, names, titles, keep, current)) }
            </select>
        </label>
    }
}

/// The picker's groups: a chapter's label, its lessons' files and titles, and which of them.
type PickerGroup = (&'static str, &'static [&'static str], &'static [&'static str], fn(&str) -> bool);
const PICKER: [PickerGroup; 7] = [
    ("09 · Replication & HA", lessons::BUILTIN_NAMES, lessons::BUILTIN_TITLES, |f| f.starts_with('0') && !f.starts_with("08")),
    ("10 · Sharding & partitioning", lessons::SHARDING_NAMES, lessons::SHARDING_TITLES, |_| true),
    ("11 · Query optimization", lessons::PLANNER_NAMES, lessons::PLANNER_TITLES, |_| true),
    ("11 · Connection pooling", lessons::BUILTIN_NAMES, lessons::BUILTIN_TITLES, |f| f.starts_with("11")),
    ("12 · Backup, PITR & DR", lessons::BUILTIN_NAMES, lessons::BUILTIN_TITLES, |f| f.starts_with("08")),
    ("12 · Zero-downtime migrations", lessons::BUILTIN_NAMES, lessons::BUILTIN_TITLES, |f| f.starts_with("12")),
    ("Challenges: prove you can", lessons::CHALLENGES_NAMES, lessons::CHALLENGES_TITLES, |_| true),
];

/// One chapter's lessons in the picker: the title shown, the file as the value.
pub fn group(label: &str, names: &[&'static str], titles: &[&'static str], keep: &fn(&str) -> bool, current: &str) -> Html {
    html! {
        <optgroup label={label.to_string()}>
            { for names.iter().zip(titles).filter(|(f, _)| keep(f)).map(|(f, t)| html! { <option value={*f} selected={*f == current}>{ *t }</option> }) }
        </optgroup>
    }
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub clock: Rc<ClockView>,
    pub playing: bool,
    pub speed: f64,
    /// The speed play reaches (simulated over wall time), while playing.
    pub reached: Option<f64>,
    pub go: Go,
}

#[component(TimeControls)]
pub fn time_controls(p: &ControlsProps) -> Html {
    let go = &p.go;
    let (now, end) = (p.clock.now_ms, p.clock.end_ms);
    let seek = go.reform(|e: InputEvent| Action::Seek(e.target_dyn_into::<web_sys::HtmlInputElement>().and_then(|i| i.value().parse::<u64>().ok()).unwrap_or_default()));
    let speeds = [0.25, 1.0, 10.0, 100.0, 1000.0];
    html! {
        <section class="controls" aria-label="time controls">
            if p.playing {
                <button id="pause" onclick={send(go, || Action::Pause)}>{ "Pause" }</button>
            } else {
                <button id="play" onclick={send(go, || Action::Play)}>{ "Play" }</button>
            }
            <button id="step" onclick={send(go, || Action::Step)}>{ "Step 100 ms" }</button>
            { for speeds.iter().map(|&x| html! {
                <button class={classes!("speed", (p.speed == x).then_some("on"))} onclick={send(go, move || Action::Speed(x))}>{ format!("{x}×") }</button>
            }) }
            <button id="fork" onclick={send(go, || Action::Fork)}>{ "Fork here" }</button>
            // The ticks sit in the scrubber's own box, so a tick lines up with its moment.
            <div class="timeline">
                <input id="scrubber" type="range" min="0" max={end.to_string()} value={now.to_string()} oninput={seek} onkeydown={scrub_keys(now, end, go)} aria-label="simulated time" />
                { marks(&p.clock) }
            </div>
            <output id="clock" aria-live="polite">{ format!("{} s / {} s", d1(now as f64 / 1000.0), d0(end as f64 / 1000.0)) }</output>
            // A speed button says what was asked; when the run cannot keep up, say what it reaches.
            if let Some(r) = p.reached.filter(|r| *r < p.speed * 0.9) {
                <output id="speed-reached" class="detail">{ format!("playing at {}× of the {}× asked: this lesson simulates all it can per frame", if r < 10.0 { d1(r) } else { d0(r) }, p.speed) }</output>
            }
        </section>
    }
}

/// The arrow keys on the scrubber move it by a step a person notices (1/200 of the run, at
/// least 100 ms; Page Up/Down ten of them), not by the range input's 1 ms.
fn scrub_keys(now: u64, end: u64, go: &Go) -> Callback<KeyboardEvent> {
    let go = go.clone();
    let step = (end / 200 / 100 * 100).max(100);
    Callback::from(move |e: KeyboardEvent| {
        let to = match e.key().as_str() {
            "ArrowRight" | "ArrowUp" => now.saturating_add(step).min(end),
            "ArrowLeft" | "ArrowDown" => now.saturating_sub(step),
            "PageUp" => now.saturating_add(10 * step).min(end),
            "PageDown" => now.saturating_sub(10 * step),
            _ => return,
        };
        e.prevent_default();
        go.emit(Action::Seek(to));
    })
}

/// Ticks under the scrubber where crashes, failovers and commands happened.
fn marks(c: &ClockView) -> Html {
    let end = c.end_ms.max(1) as f64;
    html! {
        <svg class="marks" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true">
            { for c.marks.iter().map(|n| {
                let x = 1000.0 * n.at_ms as f64 / end;
                html! { <rect x={d1(x)} y="0" width="3" height="10"><title>{ format!("{} s: {}", d1(n.at_ms as f64 / 1000.0), n.text) }</title></rect> }
            }) }
        </svg>
    }
}

/// Where each node sits: grouped by region, in scenario order within a region.
struct Layout {
    x: Vec<u32>,
    regions: Vec<(String, u32, u32)>,
    width: u32,
}

const NODE_W: u32 = 140;
const NODE_Y: u32 = 56;
const NODE_H: u32 = 176;
/// Where links to the DCS and the proxy leave a node (below its lag bar).
const NODE_BOTTOM: u32 = NODE_Y + NODE_H + 14;
const INFRA_Y: u32 = 290;
const INFRA_H: u32 = 64;
const DCS_X: u32 = 80;
const PROXY_X: u32 = 280;
const CLIENTS_X: u32 = 450;
/// The width of a component's boxes in the clients' place.
const TIER_W: u32 = 250;

fn layout(nodes: &[NodeView]) -> Layout {
    let mut x = vec![0; nodes.len()];
    let mut regions: Vec<(String, u32, u32)> = Vec::new();
    let mut cursor = 20;
    let mut order: Vec<&str> = Vec::new();
    for n in nodes {
        if !order.contains(&n.region.as_str()) {
            order.push(&n.region);
        }
    }
    for r in order {
        let start = cursor;
        for (i, _) in nodes.iter().enumerate().filter(|(_, n)| n.region == r) {
            x[i] = cursor + 10;
            cursor += NODE_W + 20;
        }
        regions.push((r.to_string(), start, cursor));
        cursor += 16;
    }
    Layout { x, regions, width: cursor.max(CLIENTS_X + 160) + 10 }
}

/// A clickable link: a thin visible line and a wide invisible hit area.
fn link(a: &str, b: &str, (x1, y1): (u32, u32), (x2, y2): (u32, u32), up: bool, go: &Go) -> Html {
    let (from, to) = (a.to_string(), b.to_string());
    let (f2, t2) = (from.clone(), to.clone());
    let onclick = send(go, move || Action::SelectLink(Some((from.clone(), to.clone()))));
    // Focusable and opened with Enter or Space, like the nodes and the replication arcs, so a
    // DCS or proxy partition can be made from the keyboard.
    let go2 = go.clone();
    let onkeydown = enter_or_space(move || go2.emit(Action::SelectLink(Some((f2.clone(), t2.clone())))));
    let (x1, y1, x2, y2) = (x1.to_string(), y1.to_string(), x2.to_string(), y2.to_string());
    html! {
        <g class="link-group" data-link={format!("{a}-{b}")} {onclick} {onkeydown} tabindex="0" role="button" aria-label={format!("link {a} to {b}; Enter to cut or slow it")}>
            <line x1={x1.clone()} y1={y1.clone()} x2={x2.clone()} y2={y2.clone()} class={classes!("link", (!up).then_some("cut"))} />
            <line {x1} {y1} {x2} {y2} class="hit"><title>{ format!("{a} ↔ {b}: click to cut or slow this link") }</title></line>
        </g>
    }
}

#[derive(Properties, PartialEq)]
pub struct ClusterProps {
    pub cluster: Rc<ClusterView>,
    pub selected: Option<String>,
    pub go: Go,
}

fn secs(ms: u64) -> String {
    format!("{} s", d1(ms as f64 / 1000.0))
}

#[component(ClusterDiagram)]
pub fn cluster_diagram(p: &ClusterProps) -> Html {
    let (c, go) = (&*p.cluster, &p.go);
    let nodes = &c.nodes;
    let l = layout(nodes);
    let top = |i: usize| (l.x[i] + NODE_W / 2, NODE_Y);
    let bottom = |i: usize| (l.x[i] + NODE_W / 2, NODE_BOTTOM);
    // The leader key's countdown: Patroni's ttl running out unless the leader renews it.
    let key = match (&c.leader, c.leader_expires_in_ms) {
        (Some(l), Some(ms)) => format!("leader {l}: {} left", secs(ms)),
        _ => "no leader key".to_string(),
    };
    let sync = c.sync_member.as_ref().map_or(String::new(), |s| format!("/sync: {s}"));
    let writes = match c.writes_unavailable_ms {
        Some(ms) => format!("writes unavailable {}", secs(ms)),
        None => format!("{} waiting", c.clients_waiting),
    };
    // The lesson's "writes unavailable" figure: the last failover's window without writes.
    let window = c.last_failover_unavailable_ms.map(|ms| format!("Last failover: writes unavailable for {}", secs(ms)));
    // A component may draw the load in the clients' place (a pooling lesson: users and app
    // servers, PgBouncer below them, through the proxy to the primary).
    let below_row = if c.tier.as_ref().is_some_and(|t| t.below.is_some()) { INFRA_H + 36 } else { 0 };
    let bottom_y = INFRA_Y + INFRA_H + below_row;
    html! {
        <svg id="cluster" viewBox={format!("0 0 {} {}", l.width.max(CLIENTS_X + if c.tier.is_some() { TIER_W + 10 } else { 170 }), bottom_y + 28)} role="img" aria-label="cluster">
            { for l.regions.iter().map(|(r, a, b)| html! {
                <g class="region"><rect x={a.to_string()} y="28" width={(b - a).to_string()} height={(NODE_H + 56).to_string()} rx="10" /><text x={(a + 8).to_string()} y="44">{ r }</text></g>
            }) }
            { for (0..nodes.len()).map(|i| html! { <>
                { link(&nodes[i].name, "dcs", bottom(i), (DCS_X, INFRA_Y), nodes[i].dcs_link_up, go) }
                { link(&nodes[i].name, "proxy", bottom(i), (PROXY_X, INFRA_Y), nodes[i].proxy_link_up, go) }
            </> }) }
            { for nodes.iter().enumerate().filter_map(|(i, n)| Some((i, n.upstream?, n))).map(|(i, (up, streaming), n)| {
                replication_arc(&nodes[up].name, &n.name, top(up), top(i), streaming, n.sync_state.as_deref(), go)
            }) }
            if c.tier.is_none() { { link("clients", "proxy", (CLIENTS_X, INFRA_Y + 25), (PROXY_X + 80, INFRA_Y + 25), true, go) } }
            <g class={classes!("infra", (!c.dcs_up).then_some("down"))} data-infra="dcs">
                <rect x={(DCS_X - 70).to_string()} y={INFRA_Y.to_string()} width="160" height={INFRA_H.to_string()} rx="8" />
                <text x={(DCS_X - 60).to_string()} y={(INFRA_Y + 20).to_string()} class="name">{ if c.dcs_up { "DCS (etcd)" } else { "DCS (etcd): outage" } }</text>
                <text x={(DCS_X - 60).to_string()} y={(INFRA_Y + 38).to_string()} id="leader-key" data-view="ttl-countdown">{ key }</text>
                <text x={(DCS_X - 60).to_string()} y={(INFRA_Y + 56).to_string()} class="detail">{ sync }</text>
            </g>
            { infra("proxy", PROXY_X - 80, "proxy (HAProxy)", format!("writes → {}", if c.write_backends.is_empty() { "none".to_string() } else { c.write_backends.join(", ") }), false) }
            if let Some(t) = &c.tier { { tier(t) } } else { { infra("clients", CLIENTS_X, &format!("{} clients", c.clients), writes, c.writes_unavailable_ms.is_some()) } }
            if let Some(t) = window { <text x="20" y={(bottom_y + 20).to_string()} id="failover-window" data-view="failover-window" class="dcs">{ t }</text> }
            { for nodes.iter().enumerate().map(|(i, n)| node_box(c, i, n, l.x[i], p.selected.as_deref() == Some(n.name.as_str()), go)) }
            { flights(c, &l) }
        </svg>
    }
}

/// Replication from an upstream to a standby, as an arc over the node boxes.
fn replication_arc(up: &str, down: &str, (x1, y1): (u32, u32), (x2, y2): (u32, u32), streaming: bool, sync_state: Option<&str>, go: &Go) -> Html {
    let (from, to) = (up.to_string(), down.to_string());
    let (f2, t2) = (from.clone(), to.clone());
    let onclick = send(go, move || Action::SelectLink(Some((from.clone(), to.clone()))));
    let go2 = go.clone();
    let onkeydown = enter_or_space(move || go2.emit(Action::SelectLink(Some((f2.clone(), t2.clone())))));
    let d = format!("M{x1},{y1} Q{},{} {x2},{y2}", (x1 + x2) / 2, y1.min(y2) as i64 - 60);
    html! {
        <g class="link-group" data-link={format!("{up}-{down}")} {onclick} {onkeydown} tabindex="0" role="button" aria-label={format!("replication {up} to {down}; Enter to cut or slow it")}>
            <path d={d.clone()} class={classes!("repl", (!streaming).then_some("cut"))} />
            <path {d} class="hit"><title>{ format!("replication {up} → {down}{}: click to cut or slow", if streaming { "" } else { " (not streaming)" }) }</title></path>
            // `sync_state` of this standby as its upstream's pg_stat_replication reports it, at the arc's apex.
            if let Some(st) = sync_state { <text class="sync" data-view="sync-state" text-anchor="middle" x={((x1 + x2) / 2).to_string()} y={(y1.min(y2) as i64 - 34).to_string()}>{ st }</text> }
        </g>
    }
}

/// A keyboard handler for an SVG element acting as a button: Enter or Space activates it, and the
/// key goes no further (it is not a page shortcut).
fn enter_or_space(f: impl Fn() + 'static) -> Callback<KeyboardEvent> {
    Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            e.stop_propagation();
            f();
        }
    })
}

/// A component's boxes in the clients' place (a pooling lesson's users and app servers, with
/// PgBouncer below them), and the path from them to the proxy.
fn tier(t: &sim_session::view::TierView) -> Html {
    let (y2, x) = (INFRA_Y + INFRA_H + 36, CLIENTS_X);
    let line = |x1: u32, y1: u32, x2: u32, y2: u32| html! { <line class="link tier-path" x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()} y2={y2.to_string()} /> };
    let tier_box = |b: &sim_session::view::TierBox, y: u32, view: Option<&'static str>| {
        html! {
            <g class="infra" data-infra={b.infra} data-view={view}>
                <rect x={x.to_string()} y={y.to_string()} width={TIER_W.to_string()} height={INFRA_H.to_string()} rx="8" />
                <text x={(x + 10).to_string()} y={(y + 20).to_string()} class="name">{ b.name.clone() }</text>
                { for b.details.iter().take(2).enumerate().map(|(i, d)| html! { <text x={(x + 10).to_string()} y={(y + 38 + 18 * i as u32).to_string()} class="detail">{ d.clone() }</text> }) }
            </g>
        }
    };
    html! {
        <g class="tier" data-view="tier">
            // The first box stands where the clients would: a lesson's `writes` element.
            { tier_box(&t.first, INFRA_Y, Some("writes")) }
            if let Some(b) = &t.below {
                { line(x + TIER_W / 2, INFRA_Y + INFRA_H, x + TIER_W / 2, y2) }
                { line(x, y2 + 25, PROXY_X + 80, INFRA_Y + INFRA_H) }
                { tier_box(b, y2, None) }
            } else {
                { line(x, INFRA_Y + 25, PROXY_X + 80, INFRA_Y + 25) }
            }
        </g>
    }
}

fn infra(id: &str, x: u32, name: &str, detail: String, down: bool) -> Html {
    html! {
        <g class={classes!("infra", down.then_some("down"))} data-infra={id.to_string()} data-view={match id { "clients" => "writes", other => other }.to_string()}>
            <rect x={x.to_string()} y={INFRA_Y.to_string()} width="160" height={INFRA_H.to_string()} rx="8" />
            <text x={(x + 10).to_string()} y={(INFRA_Y + 20).to_string()} class="name">{ name }</text>
            <text x={(x + 10).to_string()} y={(INFRA_Y + 40).to_string()} class="detail">{ detail }</text>
        </g>
    }
}

fn node_box(c: &ClusterView, i: usize, n: &NodeView, x: u32, selected: bool, go: &Go) -> Html {
    let role = n.role;
    let name = n.name.clone();
    let go = go.clone();
    let pick = name.clone();
    let go2 = go.clone();
    let onclick = Callback::from(move |_: MouseEvent| go.emit(Action::Select(Some(name.clone()))));
    let onkeydown = enter_or_space(move || go2.emit(Action::Select(Some(pick.clone()))));
    let class = classes!("node", role.replace([' ', '(', ')', '_'], "-"), selected.then_some("selected"));
    let line = |dy: u32, text: String| html! { <text x={(x + 10).to_string()} y={(NODE_Y + dy).to_string()}>{ text }</text> };
    // The slot on this node and the WAL it holds.
    let slot = c.slots.iter().find(|s| s.node == i).map(|s| {
        let state = if s.lost {
            " (lost)"
        } else if s.consumer_running {
            ""
        } else {
            ", idle"
        };
        format!("slot {}: {} MiB{state}", s.name, s.retained_bytes >> 20)
    });
    html! {
        <g class={class} data-node={n.name.clone()} data-view={format!("node:{}", n.name)} data-role={role} data-timeline={n.timeline.to_string()} {onclick} {onkeydown} tabindex="0" role="button" aria-pressed={selected.to_string()} aria-label={format!("{}: {role}; Enter for its failures", n.name)}>
            <rect x={x.to_string()} y={NODE_Y.to_string()} width={NODE_W.to_string()} height={NODE_H.to_string()} rx="8" />
            <text x={(x + 10).to_string()} y={(NODE_Y + 22).to_string()} class="name">{ &n.name }</text>
            { line(42, role.to_string()) }
            { line(62, format!("timeline {}", n.timeline)) }
            // The primary's lines a component shows (a pooling lesson: its backends and run
            // queue, what pooling is about), and the WAL its users' commits write.
            if let Some(t) = c.tier.as_ref().filter(|t| n.primary && !t.primary.is_empty()) {
                { for t.primary.iter().take(2).enumerate().map(|(k, text)| line(82 + 20 * k as u32, text.clone())) }
                { line(82 + 20 * t.primary.len().min(2) as u32, format!("insert {}", n.insert_lsn)) }
            } else {
                { line(82, format!("insert {}", n.insert_lsn)) }
                { line(102, format!("flush  {}", n.flush_lsn)) }
                if let Some(r) = n.replay_lsn { { line(122, format!("replay {r}")) } }
            }
            if let Some(t) = slot { <text class="slot" data-view="slot" x={(x + 10).to_string()} y={(NODE_Y + 142).to_string()}>{ t }</text> }
            { disk_bar(n, x) }
            { lag_bar(n, x) }
        </g>
    }
}

/// The node's disk: data plus retained WAL against its size (red from 90 %).
fn disk_bar(n: &NodeView, x: u32) -> Html {
    let pct = n.disk_pct.min(100);
    let y = NODE_Y + 154;
    html! {
        <g class={classes!("disk", (pct >= 90 || n.disk_full).then_some("full"))} data-disk={pct.to_string()} data-view={format!("disk:{}", n.name)}>
            <text x={(x + 10).to_string()} y={(y + 8).to_string()} class="tick">{ format!("disk {pct} %") }</text>
            <rect x={(x + 64).to_string()} y={y.to_string()} width="66" height="9" class="disk-bg" />
            <rect x={(x + 64).to_string()} y={y.to_string()} width={d1(0.66 * pct as f64)} height="9" class="disk-fill"><title>{ format!("disk {pct} % used (data and WAL kept)") }</title></rect>
        </g>
    }
}

/// Messages on the wire as dots moving along their links (queries and results via the proxy).
fn flights(c: &ClusterView, l: &Layout) -> Html {
    let centre = |h: Hop, top: bool| match h {
        Hop::Node(n) => (l.x[n as usize] + NODE_W / 2, if top { NODE_Y } else { NODE_BOTTOM }),
        Hop::Clients => (PROXY_X, INFRA_Y),
    };
    html! {
        <g class="flights" aria-hidden="true">
        { for c.flights.iter().map(|f| {
            let between_nodes = matches!((f.from, f.to), (Hop::Node(_), Hop::Node(_)));
            let ((x1, y1), (x2, y2)) = (centre(f.from, between_nodes), centre(f.to, between_nodes));
            let t = f.permille as f64 / 1000.0;
            let (x, y) = if between_nodes {
                let cy = y1.min(y2) as f64 - 60.0;
                let u = 1.0 - t;
                (u * u * x1 as f64 + 2.0 * u * t * (x1 + x2) as f64 / 2.0 + t * t * x2 as f64, u * u * y1 as f64 + 2.0 * u * t * cy + t * t * y2 as f64)
            } else {
                (x1 as f64 + (x2 as f64 - x1 as f64) * t, y1 as f64 + (y2 as f64 - y1 as f64) * t)
            };
            html! { <circle cx={d1(x)} cy={d1(y)} r="4" class={classes!("msg", f.what.replace(' ', "-"))} /> }
        }) }
        </g>
    }
}

/// A bar under a standby showing its replay lag behind the primary (full width = 16 MiB, one segment).
fn lag_bar(n: &NodeView, x: u32) -> Html {
    let Some(bytes) = n.lag_bytes else { return html! {} };
    let width = 140.0 * (bytes as f64 / 16_777_216.0).min(1.0);
    html! {
        <g class="lag">
            <rect x={x.to_string()} y={(NODE_Y + NODE_H + 4).to_string()} width="140" height="8" class="lag-bg" />
            <rect x={x.to_string()} y={(NODE_Y + NODE_H + 4).to_string()} width={d1(width)} height="8" class="lag-fill"><title>{ format!("replay lag {bytes} bytes") }</title></rect>
        </g>
    }
}

#[derive(Properties, PartialEq)]
pub struct ActionsProps {
    pub selected: Option<String>,
    pub link: Option<(String, String)>,
    pub go: Go,
}

/// The failures the learner can inject on the selected node or link.
#[component(Actions)]
pub fn actions(p: &ActionsProps) -> Html {
    let go = &p.go;
    if let Some((a, b)) = &p.link {
        return link_actions(a, b, go);
    }
    let Some(node) = p.selected.clone() else {
        return html! { <p class="hint">{ "Click a node to inject a failure, or a link to cut or slow it (or Tab to it and press Enter; ? lists the keys)." }</p> };
    };
    let button = |id: &str, label: &str, make: fn(String) -> Command| {
        let node = node.clone();
        html! { <button id={id.to_string()} onclick={send(go, move || Action::Do(make(node.clone())))}>{ label }</button> }
    };
    html! {
        <section class="actions" aria-label={format!("actions for {node}")}>
            <h3>{ format!("{node}") }</h3>
            { button("crash-host", "Crash host", |n| Command::CrashHost { node: n }) }
            { button("crash-postgres", "Crash Postgres", |n| Command::CrashPostgres { node: n }) }
            { button("restart", "Restart", |n| Command::Restart { node: n }) }
            { button("destroy-disk", "Destroy disk", |n| Command::DestroyDisk { node: n }) }
            { button("slow-disk", "Slow disk ×10", |n| Command::SlowDisk { node: n, factor: 10 }) }
            { button("isolate", "Isolate from everything", |n| Command::Partition { nodes: vec![n], others: vec![], one_way: false }) }
            { button("switchover", "Switchover here", |n| Command::Switchover { to: Some(n) }) }
            { cluster_wide(go) }
        </section>
    }
}

/// Actions on the link between `a` and `b`.
fn link_actions(a: &str, b: &str, go: &Go) -> Html {
    let (a, b) = (a.to_string(), b.to_string());
    let button = |id: &str, label: String, cmd: Command| html! { <button id={id.to_string()} onclick={send(go, move || Action::Do(cmd.clone()))}>{ label }</button> };
    html! {
        <section class="actions" aria-label={format!("actions for the link {a} ↔ {b}")}>
            <h3>{ format!("link {a} ↔ {b}") }</h3>
            { button("cut-link", "Cut both ways".into(), Command::Partition { nodes: vec![a.clone()], others: vec![b.clone()], one_way: false }) }
            { button("cut-one-way", format!("Cut {a} → {b} only"), Command::Partition { nodes: vec![a.clone()], others: vec![b.clone()], one_way: true }) }
            { button("add-latency", "Add 100 ms latency".into(), Command::AddLatency { from: a.clone(), to: b.clone(), latency_us: 100_000 }) }
            { button("drop-packets", "Drop 5 % of packets".into(), Command::SetDropRate { from: a.clone(), to: b.clone(), ppm: 50_000 }) }
            { cluster_wide(go) }
        </section>
    }
}

fn cluster_wide(go: &Go) -> Html {
    html! { <>
        <button id="heal" onclick={send(go, || Action::Do(Command::Heal {}))}>{ "Heal network" }</button>
        <button id="dcs-outage" onclick={send(go, || Action::Do(Command::DcsOutage { duration: None }))}>{ "DCS outage" }</button>
        <button id="dcs-restore" onclick={send(go, || Action::Do(Command::DcsRestore {}))}>{ "DCS restore" }</button>
    </> }
}

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    pub settings: Rc<Vec<SettingGroupView>>,
    /// A refusal, shown beside its field or group, with the values typed.
    pub error: Option<crate::app::SettingRefusal>,
    /// Bumped on every change applied, so the fields show the values now.
    pub epoch: u64,
    pub go: Go,
}

/// The settings editor: a lone field is applied when it changes; a group by its Apply button.
/// Every change is a `set` command at the current time.
#[component(Settings)]
pub fn settings(p: &SettingsProps) -> Html {
    let now = |key: &str| {
        let typed = p.error.as_ref().and_then(|e| e.typed.iter().find(|(k, _)| k == key)).map(|(_, v)| v.clone());
        typed.or_else(|| p.settings.iter().flat_map(|g| &g.settings).find(|s| s.key == key).map(|s| s.value.clone())).unwrap_or_default()
    };
    let refusal = |group: &str| p.error.as_ref().filter(|e| e.group == group).map(|e| e.why.clone());
    let control = |key: &str, options: &[&str], err_id: &str, invalid: bool, onchange: Option<Callback<Event>>| {
        let id = format!("set-{key}");
        let node_key = format!("{key}-{}", p.epoch);
        let value = now(key);
        if options.is_empty() {
            html! { <input key={node_key} id={id} name={key.to_string()} type="text" size="8" {value} aria-invalid={invalid.to_string()} aria-describedby={err_id.to_string()} {onchange} /> }
        } else {
            html! {
                <select key={node_key} id={id} name={key.to_string()} aria-invalid={invalid.to_string()} aria-describedby={err_id.to_string()} {onchange}>
                    { for options.iter().map(|o| html! { <option value={o.to_string()} selected={*o == value}>{ *o }</option> }) }
                </select>
            }
        }
    };
    let field = |key: &'static str, options: &[&str]| {
        let go = p.go.clone();
        let onchange = Callback::from(move |e: Event| {
            let value = e.target_dyn_into::<web_sys::HtmlSelectElement>().map(|s| s.value()).or_else(|| e.target_dyn_into::<web_sys::HtmlInputElement>().map(|i| i.value())).unwrap_or_default();
            go.emit(Action::SetSettings { group: key.to_string(), values: vec![(key.to_string(), value)] });
        });
        let err = refusal(key);
        let err_id = format!("err-{key}");
        html! {
            <span class="setting">
                <label>{ format!("{key} ") }{ control(key, options, &err_id, err.is_some(), Some(onchange)) }</label>
                <span id={err_id} class="field-error" role="alert">{ err.unwrap_or_default() }</span>
            </span>
        }
    };
    // Settings that a rule ties together (Patroni's `loop_wait + 2 × retry_timeout <= ttl`) are
    // typed in any order, applied by one button as one `set` command and checked as a whole.
    let group = |g: &SettingGroupView| {
        let go = p.go.clone();
        let name = g.name;
        let names: Vec<&'static str> = g.settings.iter().map(|s| s.key).collect();
        let onsubmit = Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(form) = e.target_dyn_into::<web_sys::HtmlFormElement>() else { return };
            let elements = form.elements();
            let values = names
                .iter()
                .filter_map(|k| {
                    let el = elements.named_item(k)?;
                    let v = el.dyn_ref::<web_sys::HtmlInputElement>().map(|i| i.value()).or_else(|| el.dyn_ref::<web_sys::HtmlSelectElement>().map(|s| s.value()))?;
                    Some((k.to_string(), v))
                })
                .collect();
            go.emit(Action::SetSettings { group: name.to_string(), values });
        });
        let err = refusal(name);
        let err_id = format!("err-{name}");
        html! {
            <form class="setting-group" id={format!("settings-{name}")} {onsubmit}>
                <fieldset>
                    <legend>{ g.label }</legend>
                    { for g.settings.iter().map(|s| html! { <label class="setting">{ format!("{} ", s.key) }{ control(s.key, s.options, &err_id, err.is_some(), None) }</label> }) }
                    <button type="submit" id={format!("apply-{name}")}>{ "Apply" }</button>
                    <p id={err_id} class="field-error group-error" role="alert">{ err.unwrap_or_default() }</p>
                </fieldset>
            </form>
        }
    };
    html! {
        <section class="settings" aria-label="settings">
            <h3>{ "Settings (applied now, as commands)" }</h3>
            if p.settings.is_empty() { <p class="detail">{ "This lesson has no settings to change: its point is in the figures." }</p> }
            // The groups this lesson offers and its world has (its Patroni, its PgBouncer, its backups).
            { for p.settings.iter().map(|g| if g.together { group(g) } else { g.settings.iter().map(|s| field(s.key, s.options)).collect::<Html>() }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct PropsProps {
    pub props: Rc<Vec<PropView>>,
}

/// The model's invariants, checked while the run goes: a violation is the lesson, in red.
#[component(Properties)]
pub fn properties(p: &PropsProps) -> Html {
    html! {
        <section class="invariants" aria-label="invariants" data-view="invariants">
            <h3>{ "Invariants" }</h3>
            <ul>
            { for p.props.iter().map(|p| html! {
                <li class={classes!(p.violated.then_some("violated"))} data-prop={p.name}>{ format!("{} {}: {}", p.mark(), p.name, p.detail) }</li>
            }) }
            </ul>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct LogProps {
    pub lines: Rc<Vec<String>>,
    pub filter: String,
    pub all: bool,
    pub go: Go,
}

/// The event log in the compact trace format, filterable: notable moments, or every event.
#[component(EventLog)]
pub fn event_log(p: &LogProps) -> Html {
    let filter = p.go.reform(|e: InputEvent| Action::Filter(e.target_dyn_into::<web_sys::HtmlInputElement>().map(|i| i.value()).unwrap_or_default()));
    let all = p.go.reform(|e: Event| Action::LogAll(e.target_dyn_into::<web_sys::HtmlInputElement>().is_some_and(|i| i.checked())));
    html! {
        <section class="log" aria-label="events" data-view="log">
            <h3>{ "Events" }</h3>
            <input id="log-filter" type="search" placeholder="filter: node, LSN or word" value={p.filter.clone()} oninput={filter} aria-label="filter events" />
            <label><input id="log-all" type="checkbox" checked={p.all} onchange={all} />{ format!(" every event (newest {})", sim_session::session::RECENT_EVENTS) }</label>
            <ol aria-live="polite">{ for p.lines.iter().map(|l| html! { <li><code>{ l.clone() }</code></li> }) }</ol>
        </section>
    }
}
