//! The query-planning page (`plan.html`, chapter 11): a lesson's queries in a SQL box, EXPLAIN
//! ANALYZE as PostgreSQL prints it, the plan as a tree (time share, estimate against actual, the
//! cost arithmetic), what-if changes applied as commands that re-plan at once, and a pinned plan
//! beside the current one. A view is a pure function of (lesson, seed, query, SQL, commands),
//! and the link holds all five.
use crate::url::encode;
use crate::view::Place;
use sim_planner::command::{PlanCommand, SettingValue};
use sim_planner::settings::Settings;
use sim_planner::view::{plan_view, NodeView, Panel, PlanView};
use sim_planner::Lesson;
use std::rc::Rc;
use yew::prelude::*;

/// What the page shows; everything else is derived.
#[derive(Clone, Debug, Default)]
pub struct PlanState {
    pub file: String,
    pub seed: u64,
    pub query: usize,
    pub sql: String,
    pub commands: Vec<PlanCommand>,
    pub lesson: Option<Rc<Lesson>>,
    pub current: Option<Rc<PlanView>>,
    pub catalog: Rc<Catalog>,
    pub pinned: Option<(String, Rc<PlanView>)>,
    pub show_json: bool,
    /// A challenge lesson: its query timed with the learner's commands.
    pub attempt: Option<Result<sim_planner::challenge::Attempt, String>>,
    pub error: Option<String>,
    pub version: u64,
}

impl PartialEq for PlanState {
    fn eq(&self, o: &Self) -> bool {
        self.version == o.version
    }
}

/// The database as the what-if controls show it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    pub tables: Vec<(String, Vec<String>)>,
    pub indexes: Vec<String>,
    pub statistics: Vec<String>,
    pub settings: Settings,
}

#[derive(Debug)]
pub enum PlanAction {
    Open { file: String, seed: Option<u64> },
    Restore(Link),
    Query(usize),
    Sql(String),
    Run,
    Apply(PlanCommand),
    Undo,
    Reset,
    Reseed(u64),
    Pin,
    Unpin,
    Json(bool),
    Fail(String),
}

/// A plan-page link, in the grammar of every page: `#file=…&seed=…&q=…&sql=…&do=…` (`do` is
/// the commands as JSON; `lesson=` is read as `file=`, as older links wrote it).
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub file: String,
    pub seed: Option<u64>,
    pub query: usize,
    pub sql: Option<String>,
    pub commands: Vec<PlanCommand>,
}

/// Reads a plan-page hash. A bad part is named among the problems and left out; the rest is
/// kept. `None` when the link names no planner lesson.
pub fn parse_link(h: &str) -> (Option<Link>, Vec<String>) {
    let clip = crate::url::clip;
    if h.trim_start_matches('#').is_empty() {
        return (None, Vec::new());
    }
    let crate::url::Parts { file, seed, rest, mut problems } = crate::url::parts(h);
    let mut l = Link { file, seed, query: 0, sql: None, commands: Vec::new() };
    for (k, v, _) in rest {
        match k.as_str() {
            "q" => match v.parse() {
                Ok(x) => l.query = x,
                Err(_) => problems.push(format!("q: `{}` is not a query number (the first query is shown)", clip(&v))),
            },
            "sql" => l.sql = Some(v),
            // Each command on its own: a bad one is left out, named by its place.
            "do" => match serde_json::from_str::<Vec<serde_json::Value>>(&v) {
                Ok(items) => {
                    for (i, item) in items.into_iter().enumerate() {
                        match serde_json::from_value::<PlanCommand>(item) {
                            Ok(c) => l.commands.push(c),
                            Err(e) => problems.push(format!("do: command {}: {} (left out)", i + 1, clip(&e.to_string()))),
                        }
                    }
                }
                Err(e) => problems.push(format!("do: {} (the commands were left out)", clip(&e.to_string()))),
            },
            _ => problems.push(format!("unknown part `{}`", clip(&k))),
        }
    }
    if !sim_lessons().iter().any(|(f, _)| *f == l.file) {
        problems.push(if l.file.is_empty() { "no `file=`: which lesson to open".to_string() } else { format!("file: no planner lesson `{}`", clip(&l.file)) });
        return (None, problems);
    }
    (Some(l), problems)
}

fn sim_lessons() -> &'static [(&'static str, &'static str)] {
    lessons::PLANNER
}

fn link_of(s: &PlanState) -> String {
    let mut h = format!("file={}&seed={}&q={}", encode(&s.file), s.seed, s.query);
    let original = s.lesson.as_ref().and_then(|l| l.file.queries.get(s.query)).map(|q| q.sql.get_ref().trim().to_string());
    if original.as_deref() != Some(s.sql.trim()) {
        h.push_str(&format!("&sql={}", encode(&s.sql)));
    }
    if !s.commands.is_empty() {
        h.push_str(&format!("&do={}", encode(&serde_json::to_string(&s.commands).unwrap_or_default())));
    }
    h
}

impl Reducible for PlanState {
    type Action = PlanAction;
    fn reduce(self: Rc<Self>, a: PlanAction) -> Rc<Self> {
        let mut s = (*self).clone();
        s.version += 1;
        s.error = None;
        if let Err(e) = s.apply(a) {
            s.error = Some(e);
        }
        Rc::new(s)
    }
}

impl PlanState {
    fn apply(&mut self, a: PlanAction) -> Result<(), String> {
        match a {
            PlanAction::Open { file, seed } => self.open(&file, seed, 0, None, Vec::new()),
            PlanAction::Restore(l) => self.open(&l.file, l.seed, l.query, l.sql, l.commands),
            PlanAction::Query(i) => {
                let l = self.lesson.clone().ok_or("no lesson loaded")?;
                let q = l.file.queries.get(i).ok_or_else(|| format!("the lesson has no query {i}"))?;
                self.query = i;
                self.sql = q.sql.get_ref().trim().to_string();
                self.commands.clear();
                self.run()
            }
            PlanAction::Sql(t) => {
                self.sql = t;
                Ok(())
            }
            PlanAction::Run => self.run(),
            PlanAction::Apply(c) => {
                self.commands.push(c);
                let r = self.run();
                if r.is_err() {
                    // A refused change is not kept: the state stays what it was.
                    self.commands.pop();
                    let _ = self.run();
                }
                r
            }
            PlanAction::Undo => {
                self.commands.pop();
                self.run()
            }
            PlanAction::Reset => {
                self.commands.clear();
                self.run()
            }
            PlanAction::Reseed(seed) => {
                let (file, q, sql, cmds) = (self.file.clone(), self.query, Some(self.sql.clone()), self.commands.clone());
                self.open(&file, Some(seed), q, sql, cmds)
            }
            PlanAction::Pin => {
                let v = self.current.clone().ok_or("nothing to pin yet")?;
                let label = if self.commands.is_empty() { "before".to_string() } else { format!("after {} change(s)", self.commands.len()) };
                self.pinned = Some((label, v));
                Ok(())
            }
            PlanAction::Unpin => {
                self.pinned = None;
                Ok(())
            }
            PlanAction::Json(on) => {
                self.show_json = on;
                Ok(())
            }
            PlanAction::Fail(e) => Err(e),
        }
    }

    fn open(&mut self, file: &str, seed: Option<u64>, query: usize, sql: Option<String>, commands: Vec<PlanCommand>) -> Result<(), String> {
        let (_, src) = sim_lessons().iter().find(|(f, _)| *f == file).ok_or_else(|| format!("no planner lesson `{file}`"))?;
        let lesson = sim_planner::load(file, src, seed).map_err(|e| e.to_string())?;
        let q = lesson.file.queries.get(query).ok_or_else(|| format!("{file} has no query {query}"))?;
        self.sql = sql.unwrap_or_else(|| q.sql.get_ref().trim().to_string());
        self.file = file.to_string();
        self.seed = lesson.db.seed;
        self.query = query;
        self.commands = commands;
        self.pinned = None;
        self.lesson = Some(Rc::new(lesson));
        self.run()
    }

    /// Plans and runs the SQL on the query's database with the what-if commands applied.
    fn run(&mut self) -> Result<(), String> {
        let l = self.lesson.clone().ok_or("no lesson loaded")?;
        let mut db = l.states.get(self.query).cloned().ok_or("no such query")?;
        for c in &self.commands {
            c.apply(&mut db).map_err(|e| format!("ERROR:  {e}"))?;
        }
        self.catalog = Rc::new(Catalog {
            tables: db.tables.iter().map(|t| (t.name.clone(), t.columns.iter().map(|c| c.name.clone()).collect())).collect(),
            indexes: db.indexes.iter().map(|i| i.name.clone()).collect(),
            statistics: db.ext.iter().map(|(e, _)| e.name.clone()).collect(),
            settings: db.settings.clone(),
        });
        let opts = sim_planner::sql::ExplainOpts { analyze: true, buffers: true, ..Default::default() };
        let e = sim_planner::explain(&db, &self.sql, Some(opts)).map_err(|e| e.render(&self.sql))?;
        self.current = Some(Rc::new(plan_view(&db, &e)));
        self.attempt = sim_planner::challenge::attempt(&l, &self.commands);
        Ok(())
    }
}

/// A planner challenge: the task, hints on request, and the query's speed-up so far.
pub fn challenge_panel(l: &Lesson, attempt: Option<&Result<sim_planner::challenge::Attempt, String>>) -> Html {
    let (Some(c), Some(a)) = (&l.file.challenge, attempt) else { return html! {} };
    let (class, verdict) = match a {
        Ok(a) if a.met => ("met", format!("Challenge met ✓: query {} runs {:.1}× faster ({:.3} ms → {:.3} ms). The link records your solution.", c.query, a.speedup, a.baseline_ms, a.ms)),
        Ok(a) => ("open", format!("Query {} runs {:.1}× faster so far ({:.3} ms → {:.3} ms); the goal is {}×.", c.query, a.speedup, a.baseline_ms, a.ms, a.goal)),
        Err(e) => ("missed", format!("The query cannot be timed with these changes: {e}")),
    };
    crate::lesson::challenge_box(sim_session::model::scenario::Ability::ExplainAnalyze.text(), &c.task, &c.hints, class, verdict)
}

/// The plan page.
#[component(PlanApp)]
pub fn plan_app() -> Html {
    let state = use_reducer(PlanState::default);
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
            let (link, problems) = parse_link(&hash);
            match link {
                Some(l) => state.dispatch(PlanAction::Restore(l)),
                None => state.dispatch(PlanAction::Open { file: sim_lessons().first().map(|l| l.0).unwrap_or_default().to_string(), seed: None }),
            }
            if !problems.is_empty() {
                state.dispatch(PlanAction::Fail(format!("This link could not be read in full: {}.", problems.join("; "))));
            }
        });
    }
    {
        // A link pasted into an open tab changes only the hash: restore it (or say what is wrong).
        let state = state.clone();
        use_effect_with((), move |_| {
            crate::on_hashchange(move || {
                let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
                let (link, problems) = parse_link(&hash);
                if let Some(l) = link {
                    state.dispatch(PlanAction::Restore(l));
                }
                if !problems.is_empty() {
                    state.dispatch(PlanAction::Fail(format!("This link could not be read in full: {}.", problems.join("; "))));
                }
            })
        });
    }
    {
        let state = state.clone();
        use_effect_with(state.version, move |_| {
            if state.lesson.is_some() && state.error.is_none() {
                if let Some(w) = web_sys::window() {
                    let _ = w.history().and_then(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("#{}", link_of(&state)))));
                }
            }
        });
    }
    let go = {
        let state = state.clone();
        Callback::from(move |a: PlanAction| state.dispatch(a))
    };
    let Some(lesson) = state.lesson.clone() else {
        return html! { <main class="app"><p role="status" class="error">{ state.error.clone().unwrap_or_else(|| "Loading…".into()) }</p></main> };
    };
    html! {
        <main class="app plan-page">
            <header>
                <h1>{ "dbsim" }</h1>
                <LessonPicker file={state.file.clone()} seed={state.seed} go={go.clone()} />
                <a href="index.html">{ "Replication & backups" }</a>
                <a href="shard.html">{ "Sharding" }</a>
            </header>
            { for sim_planner::view::Panel::shown(false).into_iter().map(|p| panel(p, Place::Page, &state, &lesson, &go)) }
        </main>
    }
}

/// The plan shown: the current SQL's, or, while that SQL is refused, the last one planned.
fn current_label(s: &PlanState) -> String {
    if s.error.is_some() {
        "Last plan (the SQL above was not planned; see the message)".into()
    } else {
        "Current plan".into()
    }
}

/// What SQL the page plans, one click away from the SQL box.
fn subset() -> Html {
    html! {
        <details class="sql-subset" id="sql-subset">
            <summary>{ "What SQL this page plans" }</summary>
            <p>{ format!("{}. Tables and columns are the lesson's. WITH, LIKE, FULL joins, subqueries other than NOT EXISTS, DISTINCT, HAVING, UNION and window functions are valid SQL that dbsim does not model yet: the page says so rather than calling them errors.", sim_planner::sql::SUBSET) }</p>
        </details>
    }
}

/// A planner lesson embedded in a chapter page (`<dbsim-lesson lesson="11/…">`): the plan page
/// without its header, picker and URL, with its own state.
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct PlanWidgetProps {
    pub props: crate::embed::WidgetProps,
}

#[component(PlanWidget)]
pub fn plan_widget(p: &PlanWidgetProps) -> Html {
    let state = use_reducer(PlanState::default);
    let checked = crate::embed::resolve(&p.props, crate::embed::Module::Planner).map(|(file, seed, full)| (file.strip_prefix("planner/").unwrap_or(file), seed, full));
    {
        let state = state.clone();
        use_effect_with(checked.clone(), move |checked| {
            if let Ok((file, seed, _)) = checked {
                state.dispatch(PlanAction::Open { file: file.to_string(), seed: *seed });
            }
        });
    }
    let go = {
        let dispatcher = state.dispatcher();
        (*use_memo((), move |_| Callback::from(move |a: PlanAction| dispatcher.dispatch(a)))).clone()
    };
    let full = match checked {
        Ok((_, _, full)) => full,
        Err(e) => return crate::embed::failed(&e),
    };
    let Some(lesson) = state.lesson.clone() else { return crate::embed::loading(state.error.as_ref()) };
    let open = format!("{}plan.html#{}", p.props.base, link_of(&state));
    html! {
        <div class={classes!("app", "widget", "plan-page", (!full).then_some("compact"))}>
            { crate::embed::head(&lesson.file.title, state.seed, &open) }
            { for sim_planner::view::Panel::shown(true).into_iter().map(|p| panel(p, Place::Widget { full }, &state, &lesson, &go)) }
        </div>
    }
}

/// One planner panel (`sim_planner::view::PANELS`), the same on the page and in the widget but
/// where the page shows more: the lesson's title, and a pinned plan beside the current one.
fn panel(p: Panel, place: Place, state: &PlanState, lesson: &Lesson, go: &Callback<PlanAction>) -> Html {
    let open = match place {
        Place::Page => true,
        Place::Widget { full } => p.open(full, lesson.file.challenge.is_some()),
    };
    match p {
        Panel::Lesson => {
            let queries: Rc<Vec<(String, String)>> = Rc::new(lesson.file.queries.iter().map(|q| (q.name.clone(), q.note.clone())).collect());
            let body = html! {
                <>
                    { challenge_panel(lesson, state.attempt.as_ref()) }
                    <p class="summary">{ lesson.file.summary.trim().to_string() }</p>
                    <QueryList queries={queries} current={state.query} go={go.clone()} />
                </>
            };
            match place {
                Place::Page => html! { <section aria-labelledby="lesson-title"><h2 id="lesson-title">{ lesson.file.title.clone() }</h2>{ body }</section> },
                Place::Widget { .. } => body,
            }
        }
        Panel::Sql => html! { <SqlBox sql={state.sql.clone()} go={go.clone()} /> },
        Panel::Subset => subset(),
        Panel::Error => match &state.error {
            Some(e) => html! { <pre class="error" role="alert" id="plan-error">{ e.clone() }</pre> },
            None => html! {},
        },
        Panel::WhatIf => html! {
            <>
                { crate::embed::more(open, "more-what-if", "What if… (settings, indexes, ANALYZE)", html! {
                    <WhatIf catalog={state.catalog.clone()} applied={state.commands.iter().map(|c| c.sql(&lesson.db)).collect::<Vec<_>>()} go={go.clone()} />
                }) }
                if let Some(n) = sim_planner::view::pending_effect(&state.commands) { <p class="notice" id="plan-pending" role="status">{ n }</p> }
            </>
        },
        Panel::Plans => match (&state.current, place) {
            (None, _) => html! {},
            (Some(v), Place::Widget { .. }) => html! { <PlanTree view={v.clone()} label={current_label(state)} id="current-plan" /> },
            (Some(v), Place::Page) => html! {
                <>
                    if let Some(n) = state.pinned.as_ref().and_then(|(_, p)| sim_planner::view::cost_against_time(p, v)) {
                        <p class="notice" id="cost-vs-time" role="status">{ n }</p>
                    }
                    <section class="plans">
                        <div class="controls">
                            <button id="pin" onclick={go.reform(|_| PlanAction::Pin)}>{ "Pin this plan to compare" }</button>
                            if state.pinned.is_some() {
                                <button id="unpin" onclick={go.reform(|_| PlanAction::Unpin)}>{ "Unpin" }</button>
                            }
                        </div>
                        <div class="side-by-side">
                            if let Some((label, p)) = &state.pinned {
                                <PlanTree view={p.clone()} label={format!("Pinned ({label})")} id="pinned-plan" />
                            }
                            <PlanTree view={v.clone()} label={current_label(state)} id="current-plan" />
                        </div>
                    </section>
                </>
            },
        },
        Panel::Explain => match &state.current {
            Some(v) => crate::embed::more(open, "more-explain", "EXPLAIN output as text", html! { <ExplainText view={v.clone()} json={state.show_json} go={go.clone()} /> }),
            None => html! {},
        },
    }
}

#[derive(Properties, PartialEq)]
struct PickerProps {
    file: String,
    seed: u64,
    go: Callback<PlanAction>,
}

#[component(LessonPicker)]
fn lesson_picker(p: &PickerProps) -> Html {
    let go = p.go.clone();
    let onchange = Callback::from(move |e: Event| {
        if let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
            go.emit(PlanAction::Open { file: sel.value(), seed: None });
        }
    });
    let go = p.go.clone();
    let onseed = Callback::from(move |e: Event| {
        let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
        match i.value().trim().parse::<u64>() {
            Ok(v) => go.emit(PlanAction::Reseed(v)),
            Err(_) => go.emit(PlanAction::Fail(format!("`{}` is not a seed (a whole number)", i.value()))),
        }
    });
    html! {
        <>
            <label>{ "Lesson " }
                <select id="plan-lesson" {onchange}>
                    { for lessons::PLANNER_NAMES.iter().zip(lessons::PLANNER_TITLES).map(|(f, t)| html! { <option value={*f} selected={*f == p.file}>{ *t }</option> }) }
                </select>
            </label>
            <label>{ "Seed " }<input id="seed" type="number" min="0" value={p.seed.to_string()} onchange={onseed} /></label>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct QueryListProps {
    queries: Rc<Vec<(String, String)>>,
    current: usize,
    go: Callback<PlanAction>,
}

#[component(QueryList)]
fn query_list(p: &QueryListProps) -> Html {
    html! {
        <ol class="queries">
            { for p.queries.iter().enumerate().map(|(i, (name, note))| {
                let go = p.go.clone();
                html! {
                    <li class={classes!((i == p.current).then_some("on"))}>
                        <button class={classes!((i == p.current).then_some("on"))} data-query={i.to_string()} onclick={Callback::from(move |_| go.emit(PlanAction::Query(i)))}>{ name.clone() }</button>
                        if i == p.current && !note.is_empty() { <p class="note">{ note.clone() }</p> }
                    </li>
                }
            }) }
        </ol>
    }
}

#[derive(Properties, PartialEq)]
struct SqlProps {
    sql: String,
    go: Callback<PlanAction>,
}

#[component(SqlBox)]
fn sql_box(p: &SqlProps) -> Html {
    let go = p.go.clone();
    let oninput = Callback::from(move |e: InputEvent| {
        if let Some(t) = e.target_dyn_into::<web_sys::HtmlTextAreaElement>() {
            go.emit(PlanAction::Sql(t.value()));
        }
    });
    let go = p.go.clone();
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
            e.prevent_default();
            go.emit(PlanAction::Run);
        }
    });
    // As tall as the query (a line to type on below it), from 3 to 12 lines.
    let rows = (p.sql.lines().count() + 1).clamp(3, 12).to_string();
    html! {
        <section aria-label="SQL">
            <label for="sql"><h3>{ "EXPLAIN (ANALYZE, BUFFERS)" }</h3></label>
            <textarea id="sql" {rows} spellcheck="false" value={p.sql.clone()} {oninput} {onkeydown} />
            <div class="controls"><button id="run" onclick={p.go.reform(|_| PlanAction::Run)}>{ "Run (Ctrl+Enter)" }</button></div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct WhatIfProps {
    catalog: Rc<Catalog>,
    applied: Vec<String>,
    go: Callback<PlanAction>,
}

fn set(name: &str, value: SettingValue) -> PlanAction {
    PlanAction::Apply(PlanCommand::Set { name: name.to_string(), value })
}

/// What-if controls: each change is a command, applied and re-planned at once.
#[component(WhatIf)]
fn what_if(p: &WhatIfProps) -> Html {
    let s = &p.catalog.settings;
    let go = p.go.clone();
    let on_rpc = Callback::from(move |e: Event| {
        let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
        go.emit(set("random_page_cost", SettingValue::Text(i.value())));
    });
    let go = p.go.clone();
    let on_wm = Callback::from(move |e: Event| {
        if let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
            go.emit(set("work_mem", SettingValue::Text(sel.value())));
        }
    });
    let wm = memory_text(s.work_mem);
    let go = p.go.clone();
    let on_target = Callback::from(move |e: Event| {
        let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
        go.emit(set("default_statistics_target", SettingValue::Text(i.value())));
    });
    // Parallel query's settings, each a number typed in.
    let number = |name: &'static str, value: String, step: &'static str| {
        let go = p.go.clone();
        let on = Callback::from(move |e: Event| {
            let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
            go.emit(set(name, SettingValue::Text(i.value())));
        });
        html! { <label>{ format!("{name} ") }<input id={name} type="number" step={step} min="0" value={value} onchange={on} /></label> }
    };
    let parallel = html! {
        <div class="controls">
            { number("max_parallel_workers_per_gather", s.max_parallel_workers_per_gather.to_string(), "1") }
            { number("parallel_setup_cost", format!("{}", s.parallel_setup_cost), "100") }
            { number("parallel_tuple_cost", format!("{}", s.parallel_tuple_cost), "0.01") }
        </div>
    };
    let flags: [(&str, bool); 12] = [
        ("enable_seqscan", s.enable_seqscan),
        ("enable_indexscan", s.enable_indexscan),
        ("enable_indexonlyscan", s.enable_indexonlyscan),
        ("enable_bitmapscan", s.enable_bitmapscan),
        ("enable_nestloop", s.enable_nestloop),
        ("enable_hashjoin", s.enable_hashjoin),
        ("enable_mergejoin", s.enable_mergejoin),
        ("enable_hashagg", s.enable_hashagg),
        ("enable_material", s.enable_material),
        ("enable_memoize", s.enable_memoize),
        ("enable_parallel_hash", s.enable_parallel_hash),
        ("enable_gathermerge", s.enable_gathermerge),
    ];
    let index_form = {
        let go = p.go.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(form) = e.target_dyn_into::<web_sys::HtmlFormElement>() else { return };
            let field = |n: &str| {
                form.elements()
                    .named_item(n)
                    .and_then(|x| {
                        wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(x.clone())
                            .ok()
                            .map(|i| i.value())
                            .or_else(|| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlSelectElement>(x).ok().map(|s| s.value()))
                    })
                    .unwrap_or_default()
            };
            let (table, cols, what) = (field("table"), field("columns"), field("what"));
            let columns: Vec<String> = cols.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
            let cmd = if what == "statistics" {
                PlanCommand::CreateStatistics {
                    name: format!("{table}_{}_stx", columns.join("_")),
                    table,
                    columns,
                    kinds: vec![sim_planner::catalog::ExtKind::Dependencies, sim_planner::catalog::ExtKind::Ndistinct],
                }
            } else {
                PlanCommand::CreateIndex { table, columns, unique: false, name: None }
            };
            go.emit(PlanAction::Apply(cmd));
        })
    };
    let go = p.go.clone();
    let on_drop = Callback::from(move |e: Event| {
        if let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
            if !sel.value().is_empty() {
                go.emit(PlanAction::Apply(PlanCommand::DropIndex { name: sel.value() }));
            }
        }
    });
    html! {
        <section class="what-if" aria-label="What if">
            <h3>{ "What if…" }</h3>
            <div class="controls">
                <label>{ "random_page_cost " }<input id="random_page_cost" type="number" step="0.1" min="0" value={format!("{}", s.random_page_cost)} onchange={on_rpc} /></label>
                <label>{ "work_mem " }
                    <select id="work_mem" onchange={on_wm}>
                        { for ["64kB", "256kB", "1MB", "4MB", "16MB", "64MB"].iter().map(|v| html! { <option value={*v} selected={*v == wm}>{ *v }</option> }) }
                    </select>
                </label>
                <label title="used by the next ANALYZE">{ "default_statistics_target " }<input id="statistics_target" type="number" min="1" max="10000" value={s.default_statistics_target.to_string()} onchange={on_target} /></label>
                <button id="analyze" onclick={p.go.reform(|_| PlanAction::Apply(PlanCommand::Analyze { table: None }))}>{ "ANALYZE" }</button>
            </div>
            { parallel }
            <div class="controls flags">
                { for flags.iter().map(|(name, on)| {
                    let go = p.go.clone();
                    let name = name.to_string();
                    let on = *on;
                    let n2 = name.clone();
                    html! { <label><input type="checkbox" id={name.clone()} checked={on} onchange={Callback::from(move |_| go.emit(set(&n2, SettingValue::Bool(!on))))} />{ format!(" {name}") }</label> }
                }) }
            </div>
            <form class="controls" onsubmit={index_form}>
                // Each list says which option it starts on: yew inserts options last first, and a
                // list with none marked would start on its last.
                <select name="what" aria-label="what to create"><option value="index" selected=true>{ "CREATE INDEX ON" }</option><option value="statistics">{ "CREATE STATISTICS ON" }</option></select>
                <select name="table" aria-label="table">{ for p.catalog.tables.iter().enumerate().map(|(i, (t, _))| html! { <option value={t.clone()} selected={i == 0}>{ t.clone() }</option> }) }</select>
                <input name="columns" id="index-columns" placeholder="columns, comma separated" aria-label="columns" />
                <button id="create" type="submit">{ "Create" }</button>
                <label>{ "DROP INDEX " }
                    <select id="drop-index" onchange={on_drop}>
                        <option value="" selected=true>{ "—" }</option>
                        { for p.catalog.indexes.iter().map(|i| html! { <option value={i.clone()}>{ i.clone() }</option> }) }
                    </select>
                </label>
            </form>
            if !p.applied.is_empty() {
                <ol class="applied" id="applied">{ for p.applied.iter().map(|c| html! { <li><code>{ c.clone() }</code></li> }) }</ol>
                <div class="controls">
                    <button id="undo" onclick={p.go.reform(|_| PlanAction::Undo)}>{ "Undo last change" }</button>
                    <button id="reset" onclick={p.go.reform(|_| PlanAction::Reset)}>{ "Reset" }</button>
                </div>
            }
        </section>
    }
}

fn memory_text(kb: f64) -> String {
    if kb >= 1024.0 && kb % 1024.0 == 0.0 {
        format!("{}MB", kb / 1024.0)
    } else {
        format!("{kb}kB")
    }
}

#[derive(Properties, PartialEq)]
struct TreeProps {
    view: Rc<PlanView>,
    label: String,
    id: AttrValue,
}

/// The plan as a tree: each node's share of the time, estimate against actual, and its arithmetic.
#[component(PlanTree)]
fn plan_tree(p: &TreeProps) -> Html {
    let v = &p.view;
    html! {
        <div class="plan-tree" id={p.id.clone()}>
            <h3>{ format!("{} — cost {:.2}, {} ms", p.label, v.total_cost, v.execution_ms.map_or("-".into(), |t| format!("{t:.3}"))) }</h3>
            <ul>{ for v.nodes.iter().map(|n| html! { <Node node={n.clone()} /> }) }</ul>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct NodeProps {
    node: NodeView,
}

#[component(Node)]
fn node(p: &NodeProps) -> Html {
    let n = &p.node;
    let mis = n.misestimate;
    let badge = if n.actual_rows.is_none() {
        html! { <span class="never">{ "never executed" }</span> }
    } else if mis >= 10.0 {
        html! { <span class="mis" title="actual rows / estimated rows">{ format!("▲ {mis:.0}× under-estimated") }</span> }
    } else if mis <= 0.1 {
        html! { <span class="mis" title="estimated rows / actual rows">{ format!("▼ {:.0}× over-estimated", 1.0 / mis) }</span> }
    } else {
        html! {}
    };
    html! {
        <li class={classes!("plan-node", n.heat())} style={format!("margin-left: {}em", n.depth as f64 * 1.4)} data-kind={n.kind}>
            <div class="node-title"><strong>{ n.title.clone() }</strong>{ " " }{ badge }</div>
            <div class="node-nums">
                { format!("cost {:.2}..{:.2} · rows {} est", n.startup_cost, n.total_cost, n.est_rows) }
                { n.actual_rows.map(|a| format!(" / {a} actual × {} loops", n.loops)).unwrap_or_default() }
                { format!(" · {:.3} ms inclusive, {:.3} ms exclusive ({:.0} %)", n.inclusive_ms, n.exclusive_ms, n.share * 100.0) }
            </div>
            <div class="bar" aria-hidden="true"><span style={format!("width: {:.1}%", n.share * 100.0)}></span></div>
            { for n.details.iter().chain(n.facts.iter()).map(|d| html! { <div class="node-detail">{ d.clone() }</div> }) }
            if !n.notes.is_empty() {
                <details><summary>{ "How the cost was computed" }</summary><ul class="notes">{ for n.notes.iter().map(|x| html! { <li>{ x.clone() }</li> }) }</ul></details>
            }
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct TextProps {
    view: Rc<PlanView>,
    json: bool,
    go: Callback<PlanAction>,
}

#[component(ExplainText)]
fn explain_text(p: &TextProps) -> Html {
    let on = p.json;
    html! {
        <section aria-label="EXPLAIN output">
            <div class="controls">
                <h3>{ "EXPLAIN output" }</h3>
                <button id="format" onclick={p.go.reform(move |_| PlanAction::Json(!on))}>{ if on { "Show text" } else { "Show FORMAT JSON" } }</button>
            </div>
            <pre id="explain-text" class="explain" tabindex="0">{ if on { p.view.json.clone() } else { p.view.text.clone() } }</pre>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_round_trip_and_bad_parts_are_named() {
        let mut s = PlanState::default();
        s.open("11d-correlated-columns.toml", Some(3), 0, None, vec![PlanCommand::Analyze { table: None }]).unwrap();
        let h = link_of(&s);
        assert!(h.starts_with("file="), "one link grammar for every page: {h}");
        let (l, problems) = parse_link(&h);
        let l = l.unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((l.file.as_str(), l.seed, l.query, l.commands.len()), ("11d-correlated-columns.toml", Some(3), 0, 1));
        assert!(l.sql.is_none(), "an unchanged query is not repeated in the link: {h}");
        // A bad part is named and the rest kept; `lesson=` (older links) reads as `file=`.
        let (l, problems) = parse_link("#lesson=11a-scan-choice.toml&seed=abc&x=1");
        assert_eq!(l.map(|l| (l.file, l.seed)), Some(("11a-scan-choice.toml".to_string(), None)));
        assert!(problems[0].contains("seed") && problems[1].contains("`x`"), "{problems:?}");
        let (l, problems) = parse_link("#file=nope.toml");
        assert!(l.is_none() && problems[0].contains("nope.toml"), "{problems:?}");
        // One bad command in `do` leaves out only itself.
        let good = serde_json::to_value(PlanCommand::Analyze { table: None }).unwrap();
        let doit = encode(&serde_json::to_string(&vec![serde_json::json!({ "meteor": 1 }), good]).unwrap());
        let (l, problems) = parse_link(&format!("#file=11d-correlated-columns.toml&do={doit}"));
        assert_eq!(l.map(|l| l.commands.len()), Some(1));
        assert!(problems.len() == 1 && problems[0].starts_with("do: command 1"), "{problems:?}");
    }

    /// 11d's moment: the better plan costs more by the estimate yet runs far faster; the page
    /// says why. And CREATE STATISTICS alone says that ANALYZE is what makes it count.
    #[test]
    fn the_page_explains_cost_against_time_and_a_pending_statistics_object() {
        let mut s = PlanState::default();
        s.open("11d-correlated-columns.toml", None, 0, None, Vec::new()).unwrap();
        s.apply(PlanAction::Pin).unwrap();
        let stats = PlanCommand::CreateStatistics {
            name: "people_zip_city".into(),
            table: "people".into(),
            columns: vec!["zip".into(), "city".into()],
            kinds: vec![sim_planner::catalog::ExtKind::Dependencies],
        };
        s.apply(PlanAction::Apply(stats)).unwrap();
        let pending = sim_planner::view::pending_effect(&s.commands).expect("CREATE STATISTICS alone changes nothing yet");
        assert!(pending.contains("ANALYZE people"), "{pending}");
        s.apply(PlanAction::Apply(PlanCommand::Analyze { table: Some("people".into()) })).unwrap();
        assert!(sim_planner::view::pending_effect(&s.commands).is_none());
        let (pinned, current) = (s.pinned.as_ref().unwrap().1.clone(), s.current.clone().unwrap());
        assert!(current.total_cost > pinned.total_cost, "the lesson's point: {} against {}", current.total_cost, pinned.total_cost);
        let why = sim_planner::view::cost_against_time(&pinned, &current).expect("the page says why the costlier plan is faster");
        assert!(why.starts_with("The current plan has the higher estimated cost") && why.contains("▲"), "{why}");
    }

    #[test]
    fn a_refused_change_leaves_the_state_as_it_was() {
        let mut s = PlanState::default();
        s.open("11f-missing-fk-index.toml", None, 0, None, Vec::new()).unwrap();
        let before = s.current.clone();
        let err = s.apply(PlanAction::Apply(PlanCommand::DropIndex { name: "nope".into() })).unwrap_err();
        assert!(err.contains("index \"nope\" does not exist"), "{err}");
        assert!(s.commands.is_empty());
        assert_eq!(s.current, before);
    }

    #[test]
    fn creating_the_index_changes_the_plan() {
        let mut s = PlanState::default();
        s.open("11f-missing-fk-index.toml", None, 0, None, Vec::new()).unwrap();
        assert_eq!(s.current.as_ref().unwrap().nodes[0].kind, "Seq Scan");
        s.apply(PlanAction::Apply(PlanCommand::CreateIndex { table: "orders".into(), columns: vec!["customer_id".into()], unique: false, name: None })).unwrap();
        assert_ne!(s.current.as_ref().unwrap().nodes[0].kind, "Seq Scan");
    }
}
