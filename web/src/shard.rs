//! The sharding lessons in the browser: choose the shard key and placement, watch the per-shard
//! heatmap, route a query, and reshard live (add or split a shard at the cursor), with the hash
//! ring, the shard map and the move's phases. A run is a pure function of (lesson, seed, moves).
use crate::view::Picks;
use crate::view::Place;
use crate::{d0, d1, url, TICK_MS};
use sim_session::model::runner::replicas::ShardHa;
use sim_session::model::shard::cluster::Move;
use sim_session::model::shard::cluster::{shard_names, Config, Reshard, ReshardPhase, Vindex};
use sim_session::model::shard::front::ClusterStatus;
use sim_session::model::shard::placement::{strategy_name, Placement};
use sim_session::model::{Command, SimTime};
use sim_session::sharded::{ShardAction, ShardRun};
use sim_session::view::{Frame, Goal, HeatmapView, LessonView, Outcomes, RingView, ShardMapView, ShardPanel, SHARD_PANELS};
use std::rc::Rc;
use yew::prelude::*;

type Go = Callback<Msg>;

/// The sharding page's messages.
#[derive(Debug)]
pub enum Msg {
    Load {
        file: String,
        src: String,
        seed: Option<u64>,
    },
    /// A shared link, with the text of the lesson it names.
    Restore(url::Shared, String),
    Shard(ShardAction),
    Play,
    Pause,
    Tick,
    Reseed(u64),
    /// A query value that is not a key (a negative or non-numeric entry).
    QueryError(String),
    ReshardPick(u32),
    /// The parts of the opened link that could not be used, by name.
    LinkProblems(Vec<String>),
    Fail(String),
    /// Close the error toast.
    Dismiss,
}

/// The sharding page's state: the lesson being explored, playback and the last error.
#[derive(Clone, Debug, Default)]
pub struct ShardModel {
    pub view: Option<Rc<ShardRun>>,
    pub playing: bool,
    pub error: Option<String>,
    /// A query value that could not be routed, shown beside its field.
    pub query_error: Option<String>,
    /// What was wrong with the link the page opened; the URL is kept until the learner acts.
    pub link_problem: Option<String>,
    /// The shard chosen for a split or a range move, when there are too many for a button each.
    pub reshard_pick: u32,
    pub version: u64,
}

impl PartialEq for ShardModel {
    fn eq(&self, o: &Self) -> bool {
        self.version == o.version && self.playing == o.playing && self.error == o.error && self.query_error == o.query_error && self.link_problem == o.link_problem
    }
}

impl Reducible for ShardModel {
    type Action = Msg;
    fn reduce(self: Rc<Self>, msg: Msg) -> Rc<Self> {
        let mut m = (*self).clone();
        m.version += 1;
        if !matches!(msg, Msg::Tick | Msg::Restore(..) | Msg::LinkProblems(_) | Msg::Fail(_) | Msg::Load { .. }) {
            m.link_problem = None;
        }
        m.error = m.apply(msg).err();
        if m.error.is_some() {
            m.playing = false;
        }
        Rc::new(m)
    }
}

impl ShardModel {
    fn view_mut(&mut self) -> Result<&mut ShardRun, String> {
        self.view.as_mut().map(Rc::make_mut).ok_or_else(|| "no sharding lesson loaded".into())
    }

    fn apply(&mut self, msg: Msg) -> Result<(), String> {
        match msg {
            Msg::Load { file, src, .. } if !crate::is_shard_lesson(&src) => Err(format!("{file} is a replication or backup scenario: open it on the main page (index.html)")),
            Msg::Load { file, src, seed } => {
                self.view = Some(Rc::new(ShardRun::new(&file, &src, seed)?));
                self.playing = false;
                Ok(())
            }
            // A link keeps what it can: bad changes are named in the banner and left out; a link
            // to no sharding lesson opens the first one, so the page (and its menu) stays usable.
            Msg::Restore(shared, src) => {
                let opened = ShardRun::new(&shared.file, &src, shared.seed).and_then(|mut v| {
                    let (actions, mut problems) = shard_actions_lenient(&shared.shard_ops);
                    problems.extend(v.restore_lenient(&actions, &shared.log)?);
                    Ok((v, problems))
                });
                let problems = match opened {
                    Ok((v, problems)) => {
                        self.view = Some(Rc::new(v));
                        problems
                    }
                    Err(e) => {
                        self.link_problem = Some(format!("This link could not be opened: {}.", url::clip(&e)));
                        return Ok(());
                    }
                };
                if !problems.is_empty() {
                    let more = problems.join("; ");
                    self.link_problem = Some(match self.link_problem.take() {
                        Some(p) => format!("{} {more}.", p.trim_end_matches('.')),
                        None => format!("This link could not be read in full: {more}."),
                    });
                }
                Ok(())
            }
            Msg::Shard(a) => {
                self.query_error = None;
                self.view_mut()?.apply(a)
            }
            Msg::LinkProblems(p) => {
                self.link_problem = Some(format!("This link could not be read in full: {}.", p.join("; ")));
                Ok(())
            }
            Msg::ReshardPick(i) => {
                self.reshard_pick = i;
                Ok(())
            }
            Msg::QueryError(e) => {
                self.query_error = Some(e);
                Ok(())
            }
            Msg::Play => {
                self.playing = self.view.is_some();
                Ok(())
            }
            Msg::Pause => {
                self.playing = false;
                Ok(())
            }
            Msg::Tick => {
                let v = self.view_mut()?;
                let next = v.cursor_ms + 20 * TICK_MS as u64;
                v.apply(ShardAction::Cursor(next))?;
                if next >= v.duration_ms() {
                    self.playing = false;
                }
                Ok(())
            }
            Msg::Reseed(seed) => {
                let (file, src) = self.view.as_ref().map(|v| (v.file.clone(), v.src.clone())).ok_or("no lesson loaded")?;
                self.apply(Msg::Load { file, src, seed: Some(seed) })
            }
            Msg::Fail(e) => Err(e),
            Msg::Dismiss => Ok(()),
        }
    }
}

/// The sharding page (`shard.html`).
#[component(ShardApp)]
pub fn shard_app() -> Html {
    let model = use_reducer(ShardModel::default);
    {
        let model = model.clone();
        use_effect_with((), move |_| {
            let go = Callback::from(move |m: Msg| model.dispatch(m));
            let (shared, problems) = url::read_hash();
            if !problems.is_empty() {
                go.emit(Msg::LinkProblems(problems));
            }
            open_shard_link(shared, &go);
        });
    }
    {
        // A link pasted into an open tab changes only the hash: open it (a hash this page wrote
        // itself is already showing).
        let model = model.clone();
        use_effect_with((), move |_| {
            crate::on_hashchange(move || {
                let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
                if crate::LAST_WRITTEN.with(|l| *l.borrow() == hash.trim_start_matches('#')) {
                    return;
                }
                let go = Callback::from({
                    let model = model.clone();
                    move |m: Msg| model.dispatch(m)
                });
                let (shared, problems) = url::parse_hash(&hash);
                if !problems.is_empty() {
                    go.emit(Msg::LinkProblems(problems));
                }
                open_shard_link(shared, &go);
            })
        });
    }
    {
        let model = model.clone();
        use_effect_with(model.playing, move |playing| {
            let timer = playing.then(|| gloo::timers::callback::Interval::new(TICK_MS, move || model.dispatch(Msg::Tick)));
            move || drop(timer)
        });
    }
    {
        let model = model.clone();
        use_effect_with(model.version, move |_| {
            if let (Some(v), None) = (&model.view, &model.link_problem) {
                write_shard_hash(v);
            }
        });
    }
    // One callback for the page's life, so leaf components' props compare equal across ticks.
    let go = {
        let dispatcher = model.dispatcher();
        use_memo((), move |_| Callback::from(move |m: Msg| dispatcher.dispatch(m)))
    };
    let go: &Go = &go;
    match &model.view {
        Some(v) => page(&model, v, go),
        None => html! { <main class="app"><p role="status">{ model.error.clone().unwrap_or_else(|| "Loading…".into()) }</p></main> },
    }
}

/// A sharding lesson embedded in a chapter page (`<dbsim-lesson lesson="10/…">`): the page without
/// its header, picker and URL, with its own model. `file` is under `scenarios/sharding/`.
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct ShardWidgetProps {
    pub props: crate::embed::WidgetProps,
}

#[component(ShardWidget)]
pub fn shard_widget(p: &ShardWidgetProps) -> Html {
    let model = use_reducer(ShardModel::default);
    // A sharding lesson is named by its bare file, a sharded challenge by `challenges/…`, as the
    // sharding page's links name them.
    let checked = crate::embed::resolve(&p.props, crate::embed::Module::Sharding).map(|(file, seed, full)| (file.strip_prefix("sharding/").unwrap_or(file), seed, full));
    {
        let model = model.clone();
        let (checked, base) = (checked.clone(), p.props.base.clone());
        use_effect_with(checked.clone(), move |_| {
            if let Ok((file, seed, _)) = checked {
                let go = Callback::from(move |m: Msg| model.dispatch(m));
                let name = file.to_string();
                crate::fetch(format!("{base}scenarios/{}", lessons::sharded_path(file)), go, move |src| Msg::Load { file: name, src, seed }, Msg::Fail);
            }
        });
    }
    {
        let model = model.clone();
        use_effect_with(model.playing, move |playing| {
            let timer = playing.then(|| gloo::timers::callback::Interval::new(TICK_MS, move || model.dispatch(Msg::Tick)));
            move || drop(timer)
        });
    }
    let go = {
        let dispatcher = model.dispatcher();
        (*use_memo((), move |_| Callback::from(move |m: Msg| dispatcher.dispatch(m)))).clone()
    };
    let full = match checked {
        Ok((_, _, full)) => full,
        Err(e) => return crate::embed::failed(&e),
    };
    let Some(v) = &model.view else { return crate::embed::loading(model.error.as_ref()) };
    let l = &v.lesson.lesson;
    html! {
        <div class={classes!("app", "widget", (!full).then_some("compact"))} tabindex="0">
            { crate::embed::head(&l.title, v.seed, &format!("{}shard.html#{}", p.props.base, shard_hash(v))) }
            if let Some(e) = &model.error { { crate::view::toast(e, go.reform(|_| Msg::Dismiss)) } }
            { panels(&model, v, Place::Widget { full }, &go) }
        </div>
    }
}

/// Fetches a sharding lesson (`scenarios/sharding/FILE`) and loads it.
/// Opens a link's lesson with its changes; a link that names no sharding lesson (or one that
/// cannot be fetched) opens the first lesson, and says why in the banner.
fn open_shard_link(shared: Option<url::Shared>, go: &Go) {
    let first = lessons::SHARDING_NAMES.first().copied().unwrap_or_default().to_string();
    match shared {
        Some(shared) if lessons::SHARDING_NAMES.contains(&shared.file.as_str()) || lessons::SHARDED_CHALLENGES.contains(&shared.file.as_str()) => {
            let path = format!("scenarios/{}", lessons::sharded_path(&shared.file));
            crate::fetch(path, go.clone(), move |src| Msg::Restore(shared, src), Msg::Fail);
        }
        Some(shared) => {
            go.emit(Msg::LinkProblems(vec![format!("file: no sharding lesson `{}` (the first one is open)", url::clip(&shared.file))]));
            load(first, go);
        }
        None => load(first, go),
    }
}

fn load(file: String, go: &Go) {
    let name = file.clone();
    crate::fetch(format!("scenarios/{}", lessons::sharded_path(&file)), go.clone(), move |src| Msg::Load { file: name, src, seed: None }, Msg::Fail);
}

/// Picking a lesson here: sharding lessons load in place, the others open the main page.
fn picks(go: &Go) -> Picks {
    let go2 = go.clone();
    let pick = Callback::from(move |file: String| {
        if lessons::PLANNER_NAMES.contains(&file.as_str()) {
            crate::edge::navigate(&format!("plan.html#file={file}"));
        } else if lessons::is_sharded(&file) {
            load(file, &go2);
        } else {
            crate::edge::navigate(&format!("index.html#file={file}"));
        }
    });
    let open = go.reform(|(file, src): (String, String)| Msg::Load { file, src, seed: None });
    Picks { pick, seed: go.reform(Msg::Reseed), open, fail: go.reform(Msg::Fail) }
}

pub fn page(m: &ShardModel, v: &ShardRun, go: &Go) -> Html {
    html! {
        <main class="app" tabindex="0">
            { crate::view::header(&v.file, v.seed, &picks(go)) }
            if let Some(e) = &m.link_problem { <p class="error" role="alert" id="link-problem">{ e }</p> }
            if let Some(e) = &m.error { { crate::view::toast(e, go.reform(|_| Msg::Dismiss)) } }
            { panels(m, v, Place::Page, go) }
        </main>
    }
}

/// The session's sharding panels (`SHARD_PANELS`), the same on the page and in the widget; a
/// compact widget folds those `ShardPanel::open` leaves shut under their names.
fn panels(m: &ShardModel, v: &ShardRun, place: Place, go: &Go) -> Html {
    let full = place != Place::Widget { full: false };
    let at = v.lesson.cluster.as_ref().and_then(|cfg| Some((cfg, v.report.as_ref().ok()?.run.as_ref()?)));
    let at = at.map(|(cfg, run)| At::of(v, cfg, run));
    html! { <>{ for SHARD_PANELS.into_iter().map(|p| panel(p, place, p.open(&v.lesson.lesson.watch, full), m, v, at.as_ref(), go)) }</> }
}

/// What the panels of a lesson's shards read at the cursor: its config, the finished run, the
/// placement then, the second, and the shards a routed query touches.
struct At<'a> {
    cfg: &'a Config,
    run: &'a sim_session::model::shard::cluster::Run,
    placement: Placement,
    second: usize,
    touched: Option<sim_session::model::shard::query::Route>,
}

impl<'a> At<'a> {
    fn of(v: &ShardRun, cfg: &'a Config, run: &'a sim_session::model::shard::cluster::Run) -> At<'a> {
        let second = (v.cursor_ms / 1000).min(run.load.len().saturating_sub(1) as u64) as usize;
        let placement = run.placement_at(&cfg.placement, v.cursor_ms);
        let touched = v.query.as_ref().and_then(|(c, val)| cfg.route(&placement, Some((c, *val))).ok());
        At { cfg, run, placement, second, touched }
    }
}

/// One sharding panel (`open`: shown, not folded under its name).
fn panel(p: ShardPanel, place: Place, open: bool, m: &ShardModel, v: &ShardRun, at: Option<&At>, go: &Go) -> Html {
    let l = &v.lesson.lesson;
    match (p, at) {
        (ShardPanel::Challenge, _) => match (challenge(v), place) {
            // The page's lesson panel holds its challenge.
            (Some(c), Place::Widget { .. }) => crate::lesson::challenge(&c),
            _ => html! {},
        },
        (ShardPanel::Lesson, _) => match place {
            Place::Page => html! { <crate::lesson::LessonPanel lesson={Rc::new(LessonView::of(&v.file, v.seed, l))} goals={Rc::new(goals(v))} challenge={challenge(v)} /> },
            // A compact widget folds its goals under their heading, as the cluster widget does.
            Place::Widget { full } => html! {
                <>
                    <p class="summary">{ l.summary.clone() }</p>
                    if full { { crate::lesson::goals(&goals(v)) } } else { { crate::lesson::goals_folded(&goals(v)) } }
                </>
            },
        },
        (ShardPanel::Controls, Some(at)) => controls(m, v, at.cfg, go),
        (ShardPanel::Shards, Some(at)) => html! {
            <div class="shard-views">
                <HashRing view={Rc::new(RingView::of(at.cfg, &at.placement, at.run, v.cursor_ms))} />
                <ShardMap view={Rc::new(ShardMapView::of(at.run, &at.placement, at.second, at.touched.as_ref().map(|t| t.shards.as_slice()).unwrap_or(&[])))} />
            </div>
        },
        (ShardPanel::Route, Some(at)) => crate::embed::more(open, "more-route", "Route a query", router(v, at.cfg, at.touched.as_ref().map(|t| t.why.clone()), m.query_error.clone(), m.version, go)),
        (ShardPanel::Heatmap, Some(_)) => html! { <Heatmap view={v.heatmap.clone()} cursor_ms={v.cursor_ms} /> },
        (ShardPanel::Reshards, Some(at)) => html! { <>{ for at.run.reshards.iter().map(|r| html! { <ReshardProgress reshard={r.clone()} cursor_ms={v.cursor_ms} /> }) }</> },
        (ShardPanel::ShardHa, Some(at)) => match &v.report {
            Ok(r) => crate::embed::more(
                open,
                "more-ha",
                "Each shard's Patroni cluster",
                html! { <ShardClusters clusters={Rc::new(r.shard_clusters.clone())} status={Rc::new(v.status.clone())} names={shard_names(&at.placement)} crashable={v.crashable.clone()}
                scripted={v.lesson.replication.as_ref().and_then(|rc| Some((rc.fail_shard?, rc.fail_at.0.to_string())))}
                log={Rc::new(v.log())} cursor_ms={v.cursor_ms} go={go.clone()} /> },
            ),
            Err(_) => html! {},
        },
        (ShardPanel::Findings, _) => crate::embed::more(open, "more-findings", "What the run found", findings(v)),
        // A lesson without shards (a partitioning lesson) has only its text and findings.
        (ShardPanel::Controls | ShardPanel::Shards | ShardPanel::Route | ShardPanel::Heatmap | ShardPanel::Reshards | ShardPanel::ShardHa, None) => html! {},
    }
}

/// A sharded challenge: the run is computed to its end, so it is met or missed at once.
fn challenge(v: &ShardRun) -> Option<Rc<sim_session::view::ChallengeView>> {
    let c = v.lesson.template.challenge.as_ref()?;
    Some(Rc::new(sim_session::view::ChallengeView::of(c, &goals(v).goals, true, 0)))
}

/// A sharding run is computed to its end, so every goal is decided.
fn goals(v: &ShardRun) -> Outcomes {
    let frame = Frame::of(v.lesson.template.challenge.is_some(), v.changes());
    let goals = v.report.as_ref().map(|r| r.expectations.iter().map(|e| Goal::of(e, true, frame)).collect()).unwrap_or_default();
    Outcomes::of(goals, frame, true, v.duration_ms())
}

fn findings(v: &ShardRun) -> Html {
    match &v.report {
        Err(e) => html! { <p class="error">{ e }</p> },
        Ok(r) => html! { <section class="findings" aria-live="polite"><h3>{ "What the run found" }</h3><pre id="shard-findings" data-view="findings">{ r.lines.join("\n") }</pre></section> },
    }
}

fn select(id: &str, label: &str, current: &str, options: Vec<String>, go: &Go, make: fn(String) -> ShardAction) -> Html {
    let go = go.clone();
    let onchange = Callback::from(move |e: Event| {
        if let Some(s) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
            go.emit(Msg::Shard(make(s.value())));
        }
    });
    html! {
        <label>{ format!("{label} ") }
            <select id={id.to_string()} {onchange}>
                { for options.iter().map(|o| html! { <option value={o.clone()} selected={o == current}>{ o }</option> }) }
            </select>
        </label>
    }
}

fn controls(m: &ShardModel, v: &ShardRun, cfg: &Config, go: &Go) -> Html {
    let columns: Vec<String> = cfg.columns.iter().map(|c| c.name.clone()).collect();
    let strategies = ["mod", "ring", "jump", "range"].map(String::from).to_vec();
    let shards = ["2", "4", "8", "16", "32", "64"].map(String::from).to_vec();
    let cursor = {
        let go = go.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(v) = e.target_dyn_into::<web_sys::HtmlInputElement>().and_then(|i| i.value().parse::<u64>().ok()) {
                go.emit(Msg::Shard(ShardAction::Cursor(v)));
            }
        })
    };
    let now = v.placement_now(cfg);
    let names = shard_names(&now);
    html! {
        <section class="controls shard-controls" aria-label="shard key, placement and time">
            { select("shard-key", "Shard key", &cfg.shard_key, columns, go, ShardAction::Key) }
            { select("strategy", "Placement", strategy_name(&cfg.placement), strategies, go, ShardAction::Strategy) }
            { select("vindex", "Vindex", cfg.vindex.name(), Vindex::ALL.iter().map(|v| v.name().to_string()).collect(), go, ShardAction::Vindex) }
            { select("shard-count", "Shards", &cfg.placement.shards().to_string(), shards, go, |s| ShardAction::Shards(s.parse().unwrap_or(0))) }
            if m.playing {
                <button id="pause" onclick={go.reform(|_| Msg::Pause)}>{ "Pause" }</button>
            } else {
                <button id="play" onclick={go.reform(|_| Msg::Play)}>{ "Play" }</button>
            }
            <input id="shard-cursor" type="range" min="0" max={v.duration_ms().to_string()} value={v.cursor_ms.to_string()} oninput={cursor} aria-label="time in the run" />
            <output id="shard-clock">{ format!("{} s / {} s", d1(v.cursor_ms as f64 / 1000.0), d0(v.duration_ms() as f64 / 1000.0)) }</output>
            <button id="add-shard" onclick={go.reform(|_| Msg::Shard(ShardAction::Reshard(Move::Add)))}>{ "Add a shard now" }</button>
            // Only moves the placement allows are offered (a hash ring cannot split one shard),
            // as one button per shard while there are few, else as a list and two buttons.
            { reshard_moves(&now, &names, m.reshard_pick, go) }
            <button id="shard-reset" onclick={go.reform(|_| Msg::Shard(ShardAction::Reset))}>{ "Undo reshards" }</button>
        </section>
    }
}

#[derive(Properties, PartialEq, Debug)]
pub struct ShardHaProps {
    /// Each shard's cluster over the whole run.
    pub clusters: Rc<Vec<ShardHa>>,
    /// Each shard's cluster at the cursor.
    pub status: Rc<Vec<ClusterStatus>>,
    /// The shards' names now (after any reshard).
    pub names: Vec<String>,
    /// Whether each one's primary can be crashed.
    pub crashable: Vec<bool>,
    /// The lesson's own crash: shard index and when.
    pub scripted: Option<(u32, String)>,
    pub log: Rc<Vec<(SimTime, Command)>>,
    pub cursor_ms: u64,
    pub go: Go,
}

/// Each shard as its own Patroni cluster: crash one primary at the cursor and see that only its
/// keys lose writes (the blast radius), with each cluster's primary and invariants at the cursor
/// and its failovers and lost commits over the run; the learner's commands, and fork.
#[component(ShardClusters)]
pub fn shard_clusters(p: &ShardHaProps) -> Html {
    let (names, go) = (&p.names, &p.go);
    let crash = |i: usize| go.reform(move |_| Msg::Shard(ShardAction::Crash(i as u32)));
    let later = p.log.iter().any(|(t, _)| t.as_ms() > p.cursor_ms);
    html! {
        <section class="shard-ha" aria-label="each shard's cluster" data-view="shard-ha">
            <h3>{ "Each shard is a Patroni cluster" }</h3>
            if let Some((s, at)) = &p.scripted {
                <p id="shard-crash">{ format!("Shard {s}'s primary host crashes at {at}: only its keys wait for the failover.") }</p>
            } else {
                <p class="hint">{ "Crash a shard's primary at the cursor: its own cluster fails over, and only that shard's writes are refused meanwhile." }</p>
            }
            if !p.clusters.is_empty() {
                <table id="shard-ha">
                    <thead><tr><th>{ "shard" }</th><th>{ format!("primary at {} s", d1(p.cursor_ms as f64 / 1000.0)) }</th><th>{ "failovers" }</th><th>{ "writes unavailable" }</th><th>{ "commits acknowledged" }</th><th>{ "lost" }</th><th>{ "invariants" }</th></tr></thead>
                    <tbody>{ for p.clusters.iter().map(|h| {
                        let now = p.status.iter().find(|st| st.scope == h.shard);
                        html! {
                        <tr data-shard={h.shard.clone()} data-failovers={h.failovers.to_string()}>
                            <td>{ &h.shard }</td>
                            <td class="primary-now">{ now.and_then(|st| st.primary.clone()).unwrap_or_else(|| "none: writes refused".into()) }</td>
                            <td>{ h.failovers }</td>
                            <td class="writes-down">{ h.writes_down.map_or("none".to_string(), |(a, b)| format!("{} s ({}–{} s)", d1((b - a) as f64 / 1000.0), d1(a as f64 / 1000.0), d1(b as f64 / 1000.0))) }</td>
                            <td>{ h.commits_acked }</td><td>{ h.commits_lost }</td>
                            // The model's invariants, checked in each shard's cluster as it runs:
                            // broken so far (at the cursor), and over the whole run, in red.
                            <td class={classes!("invariants", (!h.broken.is_empty()).then_some("violated"))} data-broken={h.broken.len().to_string()}
                                title={h.broken.iter().map(|(n, d)| format!("{n}: {d}")).collect::<Vec<_>>().join("\n")}>
                                { invariants_text(now.map_or(&[][..], |st| st.broken.as_slice()), &h.broken) }
                            </td>
                        </tr>
                    } }) }</tbody>
                </table>
            }
            if names.len() <= FEW_SHARDS {
                { for names.iter().enumerate().map(|(i, n)| {
                    let can = p.crashable.get(i).copied().unwrap_or(false);
                    let why = if can { String::new() } else { format!("{n} was added by a reshard: it has no Patroni cluster of its own in this model") };
                    html! { <button id={format!("crash-shard-{i}")} class="crash-shard" disabled={!can} title={why} onclick={crash(i)}>{ format!("Crash {n}'s primary") }</button> }
                }) }
            } else {
                <label>{ "Crash the primary of shard " }
                    <select id="crash-shard-pick" onchange={go.reform(|e: Event| Msg::Shard(ShardAction::Crash(e.target_dyn_into::<web_sys::HtmlSelectElement>().and_then(|s| s.value().parse().ok()).unwrap_or(0))))}>
                        <option value="" selected=true disabled=true>{ "…" }</option>
                        { for names.iter().enumerate().map(|(i, n)| html! { <option value={i.to_string()} disabled={!p.crashable.get(i).copied().unwrap_or(false)}>{ n }</option> }) }
                    </select>
                </label>
            }
            if !p.log.is_empty() {
                <p id="shard-log">{ "Your commands: " }{ p.log.iter().map(|(t, c)| format!("{} at {} s", describe(c), d1(t.as_ms() as f64 / 1000.0))).collect::<Vec<_>>().join("; ") }</p>
            }
            if later {
                <button id="shard-fork" onclick={go.reform(|_| Msg::Shard(ShardAction::Fork))} title="drop your commands after the cursor">{ "Fork here" }</button>
            }
        </section>
    }
}

fn invariants_text(now: &[(String, String)], run: &[(String, String)]) -> String {
    let names = |b: &[(String, String)]| b.iter().map(|x| x.0.as_str()).collect::<Vec<_>>().join(", ");
    match (now.is_empty(), run.is_empty()) {
        (_, true) => "✓ all hold".into(),
        (true, false) => format!("✓ so far; ✗ later: {}", names(run)),
        (false, false) => format!("✗ {}", names(now)),
    }
}

/// A learner's command in a few words.
fn describe(c: &Command) -> String {
    match c {
        Command::CrashHost { node } => format!("crash {node}"),
        Command::Reshard { kind, shard: Some(s) } => format!("{kind} shard {s}"),
        Command::Reshard { kind, shard: None } => format!("{kind} a shard"),
        other => other.to_toml(sim_session::model::SimDur(0)),
    }
}

/// Shards beyond which per-shard buttons give way to a list.
const FEW_SHARDS: usize = 8;

fn reshard_moves(now: &Placement, names: &[String], pick: u32, go: &Go) -> Html {
    let splittable: Vec<usize> = (0..names.len()).filter(|i| Move::Split { shard: *i as u32 }.apply(now).is_ok()).collect();
    let ranges = matches!(now, Placement::Range { .. });
    if names.len() <= FEW_SHARDS {
        return html! { <>
            { for splittable.iter().map(|&i| { let n = names[i].clone(); html! {
                <button class="split" data-shard={n.clone()} onclick={go.reform(move |_| Msg::Shard(ShardAction::Reshard(Move::Split { shard: i as u32 })))}>{ format!("Split {n}") }</button>
            } }) }
            if ranges {
                { for names.iter().enumerate().skip(1).map(|(i, n)| html! {
                    <button class="move-range" onclick={go.reform(move |_| Msg::Shard(ShardAction::Reshard(Move::MoveRange { shard: i as u32 - 1 })))}>{ format!("Move half of {} to {n}", names[i - 1]) }</button>
                }) }
            }
        </> };
    }
    if splittable.is_empty() && !ranges {
        return html! {};
    }
    let pick = (pick as usize).min(names.len() - 1);
    let choose = go.reform(|e: Event| Msg::ReshardPick(e.target_dyn_into::<web_sys::HtmlSelectElement>().and_then(|s| s.value().parse().ok()).unwrap_or(0)));
    html! {
        <span class="reshard-pick">
            <label>{ "Shard " }
                <select id="reshard-shard" onchange={choose}>{ for names.iter().enumerate().map(|(i, n)| html! { <option value={i.to_string()} selected={i == pick}>{ n }</option> }) }</select>
            </label>
            if splittable.contains(&pick) {
                <button class="split" data-shard={names[pick].clone()} onclick={go.reform(move |_| Msg::Shard(ShardAction::Reshard(Move::Split { shard: pick as u32 })))}>{ "Split it" }</button>
            }
            if ranges && pick + 1 < names.len() {
                <button class="move-range" onclick={go.reform(move |_| Msg::Shard(ShardAction::Reshard(Move::MoveRange { shard: pick as u32 })))}>{ format!("Move half of it to {}", names[pick + 1]) }</button>
            }
        </span>
    }
}

const R: f64 = 90.0;
const COLORS: [&str; 8] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

fn color(s: u32) -> &'static str {
    COLORS[s as usize % COLORS.len()]
}

/// A point on the ring for a keyspace ID (0 at the top, clockwise).
fn on_ring(ksid: u64, r: f64) -> (f64, f64) {
    let turn = ksid as f64 / 18_446_744_073_709_551_616.0;
    let a = turn * 2.0 * core::f64::consts::PI;
    (120.0 + r * libm::sin(a), 110.0 - r * libm::cos(a))
}

#[derive(Properties, PartialEq, Debug)]
pub struct RingProps {
    pub view: Rc<RingView>,
}

/// The keyspace as a ring: owners' points or ranges, and sample keys coloured by their shard.
/// During a reshard's copy, keys that move travel from their old owner's colour to the new one.
#[component(HashRing)]
pub fn hash_ring(p: &RingProps) -> Html {
    let v = &p.view;
    let progress = v.copied_permille as f64 / 1000.0;
    html! {
        <figure class="ring-figure">
        <svg id="hash-ring" data-view="hash-ring" viewBox="0 0 240 220" role="img" aria-label={format!("keyspace ring: {}", v.label)} data-strategy={v.strategy}>
            <circle cx="120" cy="110" r={R.to_string()} class="ring" />
            { for v.marks.iter().map(|(k, s)| { let (x, y) = on_ring(*k, R); html! { <circle class="vnode" cx={d1(x)} cy={d1(y)} r="3" fill={color(*s)}><title>{ format!("shard {s} point at {k:016x}") }</title></circle> } }) }
            { for v.keys.iter().map(|k| {
                let (x, y) = on_ring(k.ksid, R - 14.0);
                let (from, to) = (k.from, k.to);
                let (fill, class) = if to != from && progress >= 0.5 { (color(to), "key moving") } else if to != from { (color(from), "key moving") } else { (color(from), "key") };
                let r = if to != from { 3.0 + 3.0 * progress } else { 3.0 };
                html! { <circle class={class} cx={d1(x)} cy={d1(y)} r={d1(r)} fill={fill}><title>{ format!("{} = {} → shard {from}{}", v.shard_key, k.key, if to != from { format!(", moving to {to}") } else { String::new() }) }</title></circle> }
            }) }
            <text x="120" y="114" class="ring-label">{ v.strategy }</text>
        </svg>
        // What the marks mean, in words beside the drawing (the colours are the shard map's).
        <figcaption class="legend" id="ring-legend">
            { "Outer dots: where each shard's range or virtual nodes start on the keyspace, in its colour. Inner dots: sample keys, coloured by the shard that owns them; a larger dot is a key a reshard is moving (it takes the new shard's colour halfway through the copy)." }
        </figcaption>
        </figure>
    }
}

#[derive(Properties, PartialEq, Debug)]
pub struct ShardMapProps {
    pub view: Rc<ShardMapView>,
}

/// Shards with what they own, their rows and load at the cursor; touched and hot ones marked.
#[component(ShardMap)]
pub fn shard_map(p: &ShardMapProps) -> Html {
    let v = &p.view;
    let second = v.second;
    let table = html! {
        <table id="shard-map" data-view="shard-map">
            <caption>{ format!("shard map at {second} s") }</caption>
            <thead><tr><th>{ "shard" }</th><th>{ "owns" }</th><th>{ "rows" }</th><th>{ "ops/s" }</th><th>{ "refused" }</th><th>{ "p99" }</th></tr></thead>
            <tbody>{ for v.rows.iter().enumerate().map(|(i, r)| {
                let classes = classes!(r.touched.then_some("touched"), r.hot.then_some("hot"));
                html! { <tr class={classes} data-shard={r.name.clone()}>
                    <td><span class="swatch" style={format!("background:{}", color(i as u32))}></span>{ &r.name }</td><td>{ &r.owns }</td><td>{ r.rows }</td>
                    <td>{ format!("{} ({} %)", r.ops, r.percent) }</td><td>{ r.errors }</td><td>{ format!("{} ms", d1(r.p99_us as f64 / 1000.0)) }</td>
                </tr> }
            }) }</tbody>
        </table>
    };
    // Many shards: the table folds away (the heatmap already shows their load); the hot one is named.
    if v.rows.len() <= 12 {
        return table;
    }
    html! {
        <details id="shard-map-details">
            <summary>{ format!("Shard map: {} shards{}", v.rows.len(), v.hot.as_ref().map(|h| format!(", {h} hot at {second} s")).unwrap_or_default()) }</summary>
            { table }
        </details>
    }
}

/// `WHERE column = value`: which shards it touches and why.
fn router(v: &ShardRun, cfg: &Config, why: Option<String>, error: Option<String>, version: u64, go: &Go) -> Html {
    let (col, val) = v.query.clone().unwrap_or_else(|| (cfg.shard_key.clone(), 42));
    let pick = {
        let go = go.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                go.emit(Msg::Shard(ShardAction::Query(s.value(), val)));
            }
        })
    };
    let value = {
        let go = go.clone();
        let col = col.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                match i.value().trim().parse::<u64>() {
                    Ok(n) => go.emit(Msg::Shard(ShardAction::Query(col.clone(), n))),
                    Err(_) => go.emit(Msg::QueryError(format!("`{}` is not a key: keys are whole numbers from 0", i.value()))),
                }
            }
        })
    };
    html! {
        <section class="router" aria-label="query router">
            <label>{ format!("SELECT * FROM {} WHERE ", cfg.table) }
                <select id="query-column" onchange={pick}>{ for cfg.columns.iter().map(|c| html! { <option value={c.name.clone()} selected={c.name == col}>{ &c.name }</option> }) }</select>
            </label>
            // Keyed by the version: a refused entry gives way to the value actually routed.
            <label>{ " = " }<input key={format!("q-{version}")} id="query-value" type="number" min="0" value={val.to_string()} onchange={value} aria-invalid={error.is_some().to_string()} aria-describedby="query-error" /></label>
            <span id="query-error" class="field-error" role="alert">{ error.unwrap_or_default() }</span>
            <button id="route" onclick={go.reform(move |_| Msg::Shard(ShardAction::Query(col.clone(), val)))}>{ "Route" }</button>
            <p id="route-why" aria-live="polite">{ why.unwrap_or_else(|| "Route a query to see which shards it touches.".into()) }</p>
        </section>
    }
}

/// A sequential colour scale from pale (idle) to dark (busiest), the same for every shard, so a
/// hot row reads as dark however many shards there are.
fn load_color(frac: f64) -> String {
    const STOPS: [(f64, f64, f64); 5] = [(255.0, 247.0, 236.0), (253.0, 212.0, 158.0), (252.0, 141.0, 89.0), (215.0, 48.0, 31.0), (127.0, 0.0, 0.0)];
    let f = frac.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (f as usize).min(STOPS.len() - 2);
    let t = f - i as f64;
    let mix = |a: f64, b: f64| d0(a + (b - a) * t);
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    format!("rgb({},{},{})", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[derive(Properties, PartialEq, Debug)]
pub struct HeatmapProps {
    pub view: Rc<HeatmapView>,
    pub cursor_ms: u64,
}

/// Operations per shard per second on a sequential scale; rows thin out and labels thin out
/// as shards grow. The cursor is a vertical line.
#[component(Heatmap)]
pub fn heatmap(p: &HeatmapProps) -> Html {
    let v = &p.view;
    let (secs, shards, max) = (v.seconds.max(1) as usize, v.shards as usize, v.max);
    let rh = (480.0 / shards.max(1) as f64).clamp(4.0, 18.0);
    let label_every = (12.0 / rh).ceil().max(1.0) as usize;
    let (w, h) = (600.0, rh * shards as f64 + 22.0);
    let cw = (w - 60.0) / secs as f64;
    let x = 60.0 + cw * p.cursor_ms as f64 / 1000.0;
    html! {
        <figure class="heatmap">
            <figcaption>{ format!("Operations per shard per second against a shard's capacity: pale is idle, darkest is {max} ops/s (full), busiest cell {} ops/s; outlined cells refused writes", v.peak) }</figcaption>
            <svg id="heatmap" data-view="heatmap" viewBox={format!("0 0 {w} {h}")} role="img" aria-label="per-shard load over time" data-hot={v.hot.map_or("none".to_string(), |s| s.to_string())}>
                { for (0..shards).filter(|s| s % label_every == 0).map(|s| html! { <text x="0" y={d1(rh * s as f64 + rh.min(14.0))} class="tick">{ format!("shard {s}") }</text> }) }
                { for v.cells.iter().map(|c| html! {
                    <rect class={classes!((c.errors > 0).then_some("refused"))} x={d1(60.0 + cw * c.second as f64)} y={d1(2.0 + rh * c.shard as f64)} width={d1(cw.max(1.0))} height={d1((rh - 2.0).max(2.0))} fill={load_color(c.ops as f64 / max as f64)}><title>{ format!("{} s, shard {}: {} ops, {} writes refused", c.second, c.shard, c.ops, c.errors) }</title></rect>
                }) }
                <line class="cursor" x1={d1(x)} x2={d1(x)} y1="0" y2={d1(h - 20.0)} />
                <text x="60" y={d1(h - 4.0)} class="tick">{ "0 s" }</text>
                <text x={d1(w - 40.0)} y={d1(h - 4.0)} class="tick">{ format!("{secs} s") }</text>
            </svg>
        </figure>
    }
}

#[derive(Properties, PartialEq, Debug)]
pub struct ProgressProps {
    pub reshard: Reshard,
    pub cursor_ms: u64,
}

/// A reshard's phases on a time bar, the cursor, and where the move stands.
#[component(ReshardProgress)]
pub fn reshard_progress(p: &ProgressProps) -> Html {
    let (r, us) = (&p.reshard, p.cursor_ms * 1000);
    let end = r.writes_switched_us.max(r.copy_done_us);
    let phase = match r.phase_at(us) {
        ReshardPhase::NotStarted => "not started",
        ReshardPhase::Copy => "copy: rows stream to their new shard",
        ReshardPhase::CatchUp => "catch-up: the change stream is applied",
        ReshardPhase::ReadsSwitched => "reads switched: reads of moving keys go to the new shard",
        ReshardPhase::WritesPaused => "writes paused: the last changes drain",
        ReshardPhase::Done => "done: writes switched, routing flipped",
    };
    let span = (end.saturating_sub(r.started_us)).max(1) as f64;
    let x = |t: u64| 10.0 + 480.0 * (t.saturating_sub(r.started_us)) as f64 / span;
    let copied = if us >= r.copy_done_us { r.keys_moved } else { r.keys_moved * us.saturating_sub(r.started_us) / r.copy_done_us.saturating_sub(r.started_us).max(1) };
    html! {
        <figure class="reshard" id="reshard-progress" data-view="reshard-progress" data-phase={phase.split(':').next().unwrap_or("").to_string()}>
            <figcaption>{ format!("{}: {copied} of {} moving keys copied ({} of {} keys move); {phase}", r.what, r.keys_moved, r.keys_moved, r.keys_total) }</figcaption>
            <svg viewBox="0 0 500 34" role="img" aria-label={format!("reshard phases, now: {phase}")}>
                <rect class="ph copy" x={d1(x(r.started_us))} y="8" width={d1(x(r.copy_done_us) - x(r.started_us))} height="14"><title>{ "copy" }</title></rect>
                <rect class="ph catchup" x={d1(x(r.copy_done_us))} y="8" width={d1((x(r.reads_switched_us) - x(r.copy_done_us)).max(0.0))} height="14"><title>{ "catch-up" }</title></rect>
                <rect class="ph reads" x={d1(x(r.reads_switched_us))} y="8" width={d1((x(r.writes_paused_us) - x(r.reads_switched_us)).max(0.0))} height="14"><title>{ "reads on the new shard" }</title></rect>
                if r.writes_paused_us > 0 {
                    <rect class="ph pause" x={d1(x(r.writes_paused_us))} y="8" width={d1((x(r.writes_switched_us) - x(r.writes_paused_us)).max(2.0))} height="14"><title>{ format!("writes paused {} ms", r.max_pause_us / 1000) }</title></rect>
                }
                <line class="cursor" x1={d1(x(us).min(495.0))} x2={d1(x(us).min(495.0))} y1="2" y2="28" />
                <text x="10" y="33" class="tick">{ format!("{} s", d1(r.started_us as f64 / 1e6)) }</text>
                <text x="440" y="33" class="tick">{ format!("{} s", d1(end as f64 / 1e6)) }</text>
            </svg>
            <p class="legend" id="reshard-legend">
                <span class="key ph copy">{ "■ copy" }</span>{ " " }<span class="key ph catchup">{ "■ catch-up" }</span>{ " " }
                <span class="key ph reads">{ "■ reads on the new shard" }</span>{ " " }<span class="key ph pause">{ "■ writes paused" }</span>
            </p>
        </figure>
    }
}

/// A sharding lesson's link: its file, seed, the learner's changes to the lesson, the cursor,
/// and the learner's commands (the same log as the main page's).
pub fn shard_hash(v: &ShardRun) -> String {
    let mut ops = Vec::new();
    if let Some(c) = &v.lesson.cluster {
        ops.push(format!("key:{}", c.shard_key));
        ops.push(format!("vindex:{}", c.vindex.name()));
        ops.push(format!("strategy:{}", sim_session::model::shard::placement::strategy_name(&c.placement)));
        ops.push(format!("shards:{}", c.placement.shards()));
    }
    if v.reshards_undone {
        ops.push("undo:1".into());
    }
    ops.push(format!("t:{}", v.cursor_ms));
    let log: Vec<String> = v.log().iter().map(|(t, cmd)| cmd.to_toml(sim_session::model::SimDur(t.0))).collect();
    format!("file={}&seed={}&sh={}&log={}", url::encode(&v.file), v.seed, url::encode(&ops.join(";")), url::encode(&log.join(",")))
}

/// The learner's changes back as actions. The cursor comes last, so the link opens where it
/// was left; `add:S`, `splitN:S`, `moveN:S` and `crashN:MS` (links made before reshards and
/// crashes were commands) still read as those commands.
pub fn shard_actions(ops: &[String]) -> Result<Vec<ShardAction>, String> {
    let (actions, problems) = shard_actions_lenient(ops);
    match problems.first() {
        Some(p) => Err(p.clone()),
        None => Ok(actions),
    }
}

/// The learner's changes back as actions, each bad one named among the problems and left out.
/// The cursor (`t:`) comes last, so the link opens where it was left.
pub fn shard_actions_lenient(ops: &[String]) -> (Vec<ShardAction>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut cursor = None;
    for op in ops {
        match shard_action(op) {
            Ok(Err(t)) => cursor = Some(t),
            Ok(Ok(mut a)) => out.append(&mut a),
            Err(e) => problems.push(format!("sh: {} (left out)", url::clip(&e))),
        }
    }
    out.extend(cursor);
    (out, problems)
}

/// One change of a link: its actions, or (`Err`) the cursor to end on.
fn shard_action(op: &str) -> Result<Result<Vec<ShardAction>, ShardAction>, String> {
    use sim_session::model::shard::cluster::Move;
    use ShardAction as A;
    let (k, v) = op.split_once(':').ok_or(format!("`{op}` in the link is not name:value"))?;
    let num = |v: &str| v.parse::<u64>().map_err(|_| format!("`{op}` in the link needs a number"));
    Ok(Ok(match k {
        "key" => vec![A::Key(v.to_string())],
        "vindex" => vec![A::Vindex(v.to_string())],
        "strategy" => vec![A::Strategy(v.to_string())],
        "shards" => vec![A::Shards(num(v)? as u32)],
        "undo" => vec![A::Reset],
        "t" => return Ok(Err(A::Cursor(num(v)?))),
        "add" => vec![A::Cursor(num(v)? * 1000), A::Reshard(Move::Add)],
        other => {
            let shard = |prefix: &str| other.strip_prefix(prefix).and_then(|s| s.parse::<u32>().ok());
            if let Some(s) = shard("crash") {
                return Ok(Ok(vec![A::Cursor(num(v)?), A::Crash(s)]));
            }
            let mv = match (shard("split"), shard("move")) {
                (Some(s), _) => Move::Split { shard: s },
                (_, Some(s)) => Move::MoveRange { shard: s },
                _ => return Err(format!("unknown change `{op}` in the link")),
            };
            vec![A::Cursor(num(v)? * 1000), A::Reshard(mv)]
        }
    }))
}

pub fn write_shard_hash(v: &ShardRun) {
    url::write(&shard_hash(v));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(file: &str) -> ShardRun {
        let src = lessons::SHARDING.iter().find(|(f, _)| *f == file).map(|(_, s)| *s).unwrap();
        ShardRun::new(file, src, None).unwrap()
    }

    #[test]
    fn crashing_one_shards_primary_fails_over_that_shard_alone() {
        let mut v = view("10b-good-shard-key.toml");
        v.apply(ShardAction::Cursor(10_000)).unwrap();
        v.apply(ShardAction::Crash(1)).unwrap();
        assert_eq!(v.log(), vec![(SimTime(10_000_000), Command::CrashHost { node: format!("{}/pg1", v.status[1].scope) })], "the crash is a command at the cursor");
        let r = v.report.as_ref().unwrap();
        // Shard 1 loses its primary for the rest of this 40 s run (ttl is 30 s); no other does.
        let down: Vec<bool> = r.shard_clusters.iter().map(|h| h.writes_down.is_some()).collect();
        assert_eq!(down, [false, true, false, false], "{:?}", r.shard_clusters);
        let run = r.run.as_ref().unwrap();
        let refused = |s: usize| run.load.iter().map(|row| row.get(s).map_or(0, |l| l.errors)).sum::<u64>();
        assert!(refused(1) > 0 && refused(0) == 0 && refused(2) == 0, "only shard 1 refuses writes");
        // Synchronous replication keeps every acknowledged commit: the invariants hold everywhere.
        assert!(r.shard_clusters.iter().all(|h| h.broken.is_empty()), "{:?}", r.shard_clusters);
        // Just before the crash shard 1 has its primary; from the crash on it has none.
        assert_eq!(v.status[1].primary, None, "{:?}", v.status);
        v.apply(ShardAction::Cursor(9_000)).unwrap();
        assert!(v.status[1].primary.is_some());
        v.apply(ShardAction::Cursor(30_000)).unwrap();
        assert_eq!(v.status[1].primary, None, "{:?}", v.status);
        assert!(v.status[0].primary.is_some());
        // The link carries it, and opens to the same run (the clusters come back with the crash).
        let hash = shard_hash(&v);
        assert!(hash.contains("crash_host"), "{hash}");
        let back = crate::url::parse_hash(&format!("#{hash}")).0.unwrap();
        let mut w = view("10b-good-shard-key.toml");
        w.restore(&shard_actions(&back.shard_ops).unwrap(), &back.log).unwrap();
        assert_eq!(w.log(), v.log());
        assert_eq!(w.report.as_ref().unwrap().digest(), v.report.as_ref().unwrap().digest());
        assert!(v.apply(ShardAction::Crash(9)).unwrap_err().contains("no shard 9"));
        // Fork at 5 s drops the crash.
        v.apply(ShardAction::Cursor(5_000)).unwrap();
        v.apply(ShardAction::Fork).unwrap();
        assert!(v.log().is_empty());
        assert!(v.report.as_ref().unwrap().shard_clusters.iter().all(|h| h.writes_down.is_none()));
        v.apply(ShardAction::Reset).unwrap();
        assert!(v.report.as_ref().unwrap().shard_clusters.is_empty());
    }
}
