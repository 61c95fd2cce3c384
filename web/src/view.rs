//! Rendering: the lesson, the cluster diagram, time controls, invariants and the event log.
use crate::{d0, d1};
use crate::{Action, Model};
use sim_core::report::Hop;
use sim_core::{Command, World};
use yew::prelude::*;

type Go = Callback<Action>;

fn send(go: &Go, make: impl Fn() -> Action + 'static) -> Callback<MouseEvent> {
    let go = go.clone();
    Callback::from(move |_| go.emit(make()))
}

pub fn page(m: &Model, go: Callback<Action>) -> Html {
    let Some(cell) = &m.session else {
        // Nothing loaded (yet, or a failed link): the picker stays, so there is always a way on.
        return html! {
            <main class="app">
                { header("", 0, &picks(&go)) }
                if let Some(e) = &m.link_problem { <p class="error" role="alert" id="link-problem">{ e }</p> }
                <p role="status" class={classes!(m.error.is_some().then_some("error"))}>{ m.error.clone().unwrap_or_else(|| "Loading…".into()) }</p>
            </main>
        };
    };
    let Ok(s) = cell.try_borrow() else { return html! {} };
    let w = &s.world;
    html! {
        <main class="app" tabindex="0" onkeydown={keys(m.playing, m.help, w.now().as_ms(), &go)}>
            if m.help { { keys_help(&go) } }
            { header(&s.file, s.seed, &picks(&go)) }
            if let Some(e) = &m.link_problem { <p class="error" role="alert" id="link-problem">{ e }</p> }
            if let Some(n) = &m.notice { <p class="notice" role="status" id="notice">{ n }</p> }
            if let Some(e) = &m.error { <p class="error" role="alert">{ e }</p> }
            <section class="lesson">
                <h2>{ &s.scenario.lesson.title }</h2>
                <p>{ &s.scenario.lesson.summary }</p>
                <h3>{ "Watch" }</h3>
                <ul>{ for s.scenario.lesson.watch.iter().map(|x| html! { <li>{ x }</li> }) }</ul>
                <h3>{ "You will learn" }</h3>
                <ul>{ for s.scenario.lesson.learn.iter().map(|x| html! { <li>{ x }</li> }) }</ul>
                { goals(w, &s.scenario.expect) }
            </section>
            { controls(m, w, &go) }
            { cluster(w, m, &go) }
            { actions(m, &go) }
            { settings(m, w, &go) }
            { crate::pitr::panel(m, &s, &go) }
            { charts(w) }
            { invariants(w) }
            { log(m, w, &go) }
        </main>
    }
}

/// The "?" overlay: every shortcut, and how to reach the diagram by keyboard.
fn keys_help(go: &Go) -> Html {
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

fn charts(w: &World) -> Html {
    let end_s = w.end().as_ms() as f64 / 1000.0;
    let names: Vec<String> = w.nodes().iter().map(|n| n.name.clone()).collect();
    html! {
        <section class="charts">
            { crate::charts::throughput(w.series(), end_s) }
            { crate::charts::latency(w.series(), end_s) }
            { crate::charts::lag(w.series(), &names, end_s) }
            { crate::charts::lost(w.series(), end_s) }
        </section>
    }
}

/// Shortcuts, handled only while the app has focus and not inside a form control: space
/// plays/pauses, ←/→ (or j/l) step in time. Buttons, sliders, fields and lists keep their own keys.
fn keys(playing: bool, help: bool, now_ms: u64, go: &Go) -> Callback<KeyboardEvent> {
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

/// The lesson's goals as the run stands: a figure is judged only at the end, a property once it
/// is decided; a violation the lesson sets out to show reads so, in red.
fn goals(w: &World, expect: &sim_core::scenario::Expect) -> Html {
    use sim_core::report::ExpectKind;
    let results = w.expectations(expect);
    let ended = w.now() >= w.end();
    html! {
        <>
            <h3>{ "Goals (live)" }</h3>
            <ul class="goals">
            { for results.iter().map(|r| {
                let (mark, class, text) = if !r.decided(ended) {
                    let when = if r.kind == ExpectKind::Always { "holds so far" } else { "judged at the end" };
                    ("◌", "pending", format!("{}: {} ({when})", r.name, r.detail))
                } else if r.kind == ExpectKind::Violated && r.ok {
                    ("✗", "violated-expected", format!("{}: violated, as the lesson shows: {}", r.name.trim_start_matches("violated:"), r.detail))
                } else if r.ok {
                    ("✓", "ok", format!("{}: {}", r.name, r.detail))
                } else {
                    ("✗", "failed", format!("{}: {}", r.name, r.detail))
                };
                html! { <li class={class}>{ format!("{mark} {text}") }</li> }
            }) }
            </ul>
        </>
    }
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
fn picks(go: &Go) -> Picks {
    let load = go.clone();
    let pick = Callback::from(move |file: String| {
        if lessons::PLANNER_NAMES.contains(&file.as_str()) {
            crate::view::navigate(&format!("plan.html#lesson={file}"));
        } else if lessons::SHARDING_NAMES.contains(&file.as_str()) {
            navigate(&format!("shard.html#file={file}"));
        } else {
            let name = file.clone();
            crate::fetch_lesson(file, load.clone(), move |src| Action::Load { file: name, src, seed: None });
        }
    });
    let open = go.reform(|(file, src): (String, String)| Action::Load { file, src, seed: None });
    Picks { pick, seed: go.reform(Action::Reseed), open, fail: go.reform(Action::Fail) }
}

/// Opens another page of the app.
pub fn navigate(url: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(url);
    }
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
                { group("09 · Replication & HA", lessons::BUILTIN_NAMES, lessons::BUILTIN_TITLES, |f| !f.starts_with("08"), current) }
                { group("10 · Sharding & partitioning", lessons::SHARDING_NAMES, lessons::SHARDING_TITLES, |_| true, current) }
                { group("11 · Query optimization", lessons::PLANNER_NAMES, lessons::PLANNER_TITLES, |_| true, current) }
                { group("12 · Backup, PITR & DR", lessons::BUILTIN_NAMES, lessons::BUILTIN_TITLES, |f| f.starts_with("08"), current) }
            </select>
        </label>
    }
}

/// One chapter's lessons in the picker: the title shown, the file as the value.
pub fn group(label: &str, names: &[&'static str], titles: &[&'static str], keep: impl Fn(&str) -> bool, current: &str) -> Html {
    html! {
        <optgroup label={label.to_string()}>
            { for names.iter().zip(titles).filter(|(f, _)| keep(f)).map(|(f, t)| html! { <option value={*f} selected={*f == current}>{ *t }</option> }) }
        </optgroup>
    }
}

fn controls(m: &Model, w: &World, go: &Go) -> Html {
    let now = w.now().as_ms();
    let end = w.end().as_ms();
    let seek = {
        let go = go.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                if let Ok(v) = i.value().parse::<u64>() {
                    go.emit(Action::Seek(v));
                }
            }
        })
    };
    let speeds = [0.25, 1.0, 10.0, 100.0, 1000.0];
    html! {
        <section class="controls" aria-label="time controls">
            if m.playing {
                <button id="pause" onclick={send(go, || Action::Pause)}>{ "Pause" }</button>
            } else {
                <button id="play" onclick={send(go, || Action::Play)}>{ "Play" }</button>
            }
            <button id="step" onclick={send(go, || Action::Step)}>{ "Step 100 ms" }</button>
            { for speeds.iter().map(|&x| html! {
                <button class={classes!("speed", (m.speed == x).then_some("on"))} onclick={send(go, move || Action::Speed(x))}>{ format!("{x}×") }</button>
            }) }
            <button id="fork" onclick={send(go, || Action::Fork)}>{ "Fork here" }</button>
            // The ticks sit in the scrubber's own box, so a tick lines up with its moment.
            <div class="timeline">
                <input id="scrubber" type="range" min="0" max={end.to_string()} value={now.to_string()} oninput={seek} aria-label="simulated time" />
                { marks(w) }
            </div>
            <output id="clock" aria-live="polite">{ format!("{} s / {} s", d1(now as f64 / 1000.0), d0(end as f64 / 1000.0)) }</output>
        </section>
    }
}

/// Ticks under the scrubber where crashes, failovers and commands happened.
fn marks(w: &World) -> Html {
    let end = w.end().as_ms().max(1) as f64;

    html! {
        <svg class="marks" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true">
            { for w.notes().iter().filter(|n| n.kind.is_notable()).map(|n| {
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
const INFRA_Y: u32 = 270;
const DCS_X: u32 = 80;
const PROXY_X: u32 = 280;
const CLIENTS_X: u32 = 450;

fn layout(nodes: &[sim_core::pg::Node]) -> Layout {
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
    let onclick = send(go, move || Action::SelectLink(Some((from.clone(), to.clone()))));
    let (x1, y1, x2, y2) = (x1.to_string(), y1.to_string(), x2.to_string(), y2.to_string());
    html! {
        <g class="link-group" data-link={format!("{a}-{b}")} {onclick}>
            <line x1={x1.clone()} y1={y1.clone()} x2={x2.clone()} y2={y2.clone()} class={classes!("link", (!up).then_some("cut"))} />
            <line {x1} {y1} {x2} {y2} class="hit"><title>{ format!("{a} ↔ {b}: click to cut or slow this link") }</title></line>
        </g>
    }
}

fn cluster(w: &World, m: &Model, go: &Go) -> Html {
    let nodes = w.nodes();
    let l = layout(nodes);
    let top = |i: usize| (l.x[i] + NODE_W / 2, NODE_Y);
    let bottom = |i: usize| (l.x[i] + NODE_W / 2, NODE_Y + 150);
    let (clients, busy) = w.client_counts();
    html! {
        <svg id="cluster" viewBox={format!("0 0 {} 330", l.width)} role="img" aria-label="cluster">
            { for l.regions.iter().map(|(r, a, b)| html! {
                <g class="region"><rect x={a.to_string()} y="28" width={(b - a).to_string()} height="192" rx="10" /><text x={(a + 8).to_string()} y="44">{ r }</text></g>
            }) }
            <text x="20" y="18" class="dcs">{ format!("DCS leader: {}", w.leader().unwrap_or("none")) }</text>
            { for (0..nodes.len()).map(|i| html! { <>
                { link(&nodes[i].name, "dcs", bottom(i), (DCS_X, INFRA_Y), w.node_link_up(i, true), go) }
                { link(&nodes[i].name, "proxy", bottom(i), (PROXY_X, INFRA_Y), w.node_link_up(i, false), go) }
            </> }) }
            { for nodes.iter().enumerate().filter_map(|(i, n)| Some((i, n.upstream? as usize, n))).map(|(i, p, n)| {
                // Drawn as cut when the data cannot flow, even before the standby notices.
                let streaming = matches!(n.conn, sim_core::pg::Conn::Streaming(_)) && w.replication_can_flow(p, i);
                replication_arc(&nodes[p].name, &n.name, top(p), top(i), streaming, go)
            }) }
            { link("clients", "proxy", (CLIENTS_X, INFRA_Y + 25), (PROXY_X + 80, INFRA_Y + 25), true, go) }
            { infra("dcs", DCS_X - 70, "DCS (etcd)", if w.dcs_up() { "up".into() } else { "outage".into() }, !w.dcs_up()) }
            { infra("proxy", PROXY_X - 80, "proxy (HAProxy)", format!("writes → {}", if w.write_backends().is_empty() { "none".to_string() } else { w.write_backends().join(", ") }), false) }
            { infra("clients", CLIENTS_X, &format!("{clients} clients"), format!("{busy} waiting"), false) }
            { for nodes.iter().enumerate().map(|(i, n)| node_box(w, i, n, l.x[i], m.selected.as_deref() == Some(n.name.as_str()), go)) }
            { flights(w, &l) }
        </svg>
    }
}

/// Replication from an upstream to a standby, as an arc over the node boxes.
fn replication_arc(up: &str, down: &str, (x1, y1): (u32, u32), (x2, y2): (u32, u32), streaming: bool, go: &Go) -> Html {
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

fn infra(id: &str, x: u32, name: &str, detail: String, down: bool) -> Html {
    html! {
        <g class={classes!("infra", down.then_some("down"))} data-infra={id.to_string()}>
            <rect x={x.to_string()} y={INFRA_Y.to_string()} width="160" height="50" rx="8" />
            <text x={(x + 10).to_string()} y={(INFRA_Y + 20).to_string()} class="name">{ name }</text>
            <text x={(x + 10).to_string()} y={(INFRA_Y + 40).to_string()}>{ detail }</text>
        </g>
    }
}

fn node_box(w: &World, i: usize, n: &sim_core::pg::Node, x: u32, selected: bool, go: &Go) -> Html {
    let role = n.role_text();
    let name = n.name.clone();
    let go = go.clone();
    let pick = name.clone();
    let go2 = go.clone();
    let onclick = Callback::from(move |_: MouseEvent| go.emit(Action::Select(Some(name.clone()))));
    let onkeydown = enter_or_space(move || go2.emit(Action::Select(Some(pick.clone()))));
    let class = classes!("node", role.replace([' ', '(', ')', '_'], "-"), selected.then_some("selected"));
    let line = |dy: u32, text: String| html! { <text x={(x + 10).to_string()} y={(NODE_Y + dy).to_string()}>{ text }</text> };
    html! {
        <g class={class} data-node={n.name.clone()} data-role={role} data-timeline={n.tl.to_string()} {onclick} {onkeydown} tabindex="0" role="button" aria-pressed={selected.to_string()} aria-label={format!("{}: {role}; Enter for its failures", n.name)}>
            <rect x={x.to_string()} y={NODE_Y.to_string()} width={NODE_W.to_string()} height="136" rx="8" />
            <text x={(x + 10).to_string()} y={(NODE_Y + 22).to_string()} class="name">{ &n.name }</text>
            { line(42, role.to_string()) }
            { line(62, format!("timeline {}", n.tl)) }
            { line(82, format!("insert {}", n.lsn())) }
            { line(102, format!("flush  {}", sim_core::Lsn(n.flush_lsn))) }
            // Only a standby replays WAL; a primary's replay position is a stale leftover.
            if n.role_name() != "primary" { { line(122, format!("replay {}", sim_core::Lsn(n.replay_lsn))) } }
            { lag_bar(w, i, x) }
        </g>
    }
}

/// Messages on the wire as dots moving along their links (queries and results via the proxy).
fn flights(w: &World, l: &Layout) -> Html {
    let centre = |h: Hop, top: bool| match h {
        Hop::Node(n) => (l.x[n as usize] + NODE_W / 2, if top { NODE_Y } else { NODE_Y + 150 }),
        Hop::Clients => (PROXY_X, INFRA_Y),
    };
    html! {
        <g class="flights" aria-hidden="true">
        { for w.in_flight(60).into_iter().map(|f| {
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
fn lag_bar(w: &World, i: usize, x: u32) -> Html {
    let Some(bytes) = w.series().last().and_then(|p| p.lag_bytes.get(i)).copied().filter(|b| *b >= 0) else { return html! {} };
    let width = 140.0 * (bytes as f64 / 16_777_216.0).min(1.0);
    html! {
        <g class="lag">
            <rect x={x.to_string()} y={(NODE_Y + 140).to_string()} width="140" height="8" class="lag-bg" />
            <rect x={x.to_string()} y={(NODE_Y + 140).to_string()} width={d1(width)} height="8" class="lag-fill"><title>{ format!("replay lag {bytes} bytes") }</title></rect>
        </g>
    }
}

fn actions(m: &Model, go: &Go) -> Html {
    if let Some((a, b)) = &m.link {
        return link_actions(a, b, go);
    }
    let Some(node) = m.selected.clone() else {
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

/// The settings editor: each change is a `set` command at the current time.
fn settings(m: &Model, w: &World, go: &Go) -> Html {
    let current = w.current_settings();
    let field = |key: &'static str, label: &str, options: &[&'static str]| {
        let go = go.clone();
        let onchange = Callback::from(move |e: Event| {
            let value = e.target_dyn_into::<web_sys::HtmlSelectElement>().map(|s| s.value()).or_else(|| e.target_dyn_into::<web_sys::HtmlInputElement>().map(|i| i.value())).unwrap_or_default();
            go.emit(Action::SetSetting { key: key.to_string(), value });
        });
        let id = format!("set-{key}");
        let now = current.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()).unwrap_or_default();
        let err = m.setting_error.as_ref().filter(|(k, _)| k == key).map(|(_, e)| e.clone());
        let err_id = format!("err-{key}");
        // Keyed by the version so a refused value gives way to the current one.
        let node_key = format!("{key}-{}", m.version);
        let control = if options.is_empty() {
            html! { <input key={node_key} id={id} type="text" size="8" value={now.clone()} aria-invalid={err.is_some().to_string()} aria-describedby={err_id.clone()} {onchange} /> }
        } else {
            html! {
                <select key={node_key} id={id} aria-invalid={err.is_some().to_string()} aria-describedby={err_id.clone()} {onchange}>
                    { for options.iter().map(|o| html! { <option value={*o} selected={*o == now}>{ *o }</option> }) }
                </select>
            }
        };
        html! {
            <span class="setting">
                <label>{ label }{ control }</label>
                <span id={err_id} class="field-error" role="alert">{ err.unwrap_or_default() }</span>
            </span>
        }
    };
    html! {
        <section class="settings" aria-label="settings">
            <h3>{ "Settings (applied now, as commands)" }</h3>
            { field("synchronous_commit", "synchronous_commit ", &["off", "local", "remote_write", "on", "remote_apply"]) }
            { field("synchronous_standby_names", " synchronous_standby_names ", &[]) }
            { field("synchronous_mode", " synchronous_mode ", &["true", "false"]) }
            { field("synchronous_mode_strict", " strict ", &["true", "false"]) }
            { field("ttl", " ttl ", &[]) }
            { field("loop_wait", " loop_wait ", &[]) }
            { field("retry_timeout", " retry_timeout ", &[]) }
        </section>
    }
}

fn invariants(w: &World) -> Html {
    html! {
        <section class="invariants" aria-label="properties">
            <h3>{ "Properties" }</h3>
            <ul>
            { for w.invariants().iter().map(|p| {
                let bad = matches!(p.kind, sim_core::invariants::PropKind::Always) && !p.holds;
                html! { <li class={classes!(bad.then_some("violated"))} data-prop={p.name}>{ format!("{} {}: {}", if bad { "✗" } else if p.holds { "✓" } else { "…" }, p.name, p.detail) }</li> }
            }) }
            </ul>
        </section>
    }
}

/// The event log in the compact trace format, filterable: notable moments, or every event.
fn log(m: &Model, w: &World, go: &Go) -> Html {
    let needle = m.log_filter.to_ascii_lowercase();
    let keep = |line: &String| needle.is_empty() || line.to_ascii_lowercase().contains(&needle);
    let lines: Vec<String> =
        if m.log_all { w.recent().rev().map(|e| w.render(e)).filter(keep).take(LOG_LINES).collect() } else { w.notes().iter().rev().map(|n| w.render_note(n)).filter(keep).take(LOG_LINES).collect() };
    let filter = {
        let go = go.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                go.emit(Action::Filter(i.value()));
            }
        })
    };
    let all = {
        let go = go.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                go.emit(Action::LogAll(i.checked()));
            }
        })
    };
    html! {
        <section class="log" aria-label="events">
            <h3>{ "Events" }</h3>
            <input id="log-filter" type="search" placeholder="filter: node, LSN or word" value={m.log_filter.clone()} oninput={filter} aria-label="filter events" />
            <label><input id="log-all" type="checkbox" checked={m.log_all} onchange={all} />{ format!(" every event (newest {})", sim_core::session::RECENT_EVENTS) }</label>
            <ol aria-live="polite">{ for lines.into_iter().map(|l| html! { <li><code>{ l }</code></li> }) }</ol>
        </section>
    }
}

const LOG_LINES: usize = 40;
