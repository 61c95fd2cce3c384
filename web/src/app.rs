//! The page's state: the `Reducible` model that drives a session (`Model`, `Action`), the views
//! it refreshes after every action (`Views`), long work in slices (`Job`), one frame's budget
//! shared by every session on a page (`FrameLedger`), and the hook that keeps a session going
//! (`use_engine`). The page and each embedded widget run one each.
use crate::edge::fetch;
use crate::url;
use sim_session::model::{Command, SimTime};
use sim_session::replay::LinkReplay;
use sim_session::view as view_model;
use sim_session::Session;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Wall-clock period of the sharding page's play loop.
pub const TICK_MS: u32 = 50;

/// Settings the learner typed that were refused, kept where they were typed.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingRefusal {
    /// The field's name, or the group's (`patroni`, `pgbouncer`, `backup`).
    pub group: String,
    pub why: String,
    /// What was typed, by setting.
    pub typed: Vec<(String, String)>,
}

/// UI state. The session (world + snapshots) is shared, not copied, on every action.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub session: Option<Rc<RefCell<Session>>>,
    pub playing: bool,
    pub speed: f64,
    /// The speed play has reached over the last second or so of playing (simulated time over
    /// wall time), and where that measure started: (wall ms, simulated µs).
    pub reached: Option<f64>,
    pub speed_mark: Option<(f64, u64)>,
    pub selected: Option<String>,
    /// A link chosen for cutting or slowing, as its two ends.
    pub link: Option<(String, String)>,
    pub log_filter: String,
    pub log_all: bool,
    /// The PITR target being dragged (simulated ms), and `recovery_target_inclusive`.
    pub aim: view_model::Aim,
    /// The last DR drill's verdicts (a pure function of scenario and seed, not world state).
    pub drill: Option<Rc<Result<Vec<sim_session::model::drill::DrillResult>, String>>>,
    pub error: Option<String>,
    /// What was wrong with the link the page opened; shown until the learner acts, and the URL
    /// is not rewritten meanwhile.
    pub link_problem: Option<String>,
    /// The keyboard overlay ("?").
    pub help: bool,
    /// A short confirmation of the last action (a fork), until the next one.
    pub notice: Option<String>,
    /// The command log before the learner's last command dropped later ones, and when it was
    /// given: "Undo" brings them back.
    pub undo: Option<Rc<Undo>>,
    /// Settings the learner typed that were refused: where (a field's or a group's name), why,
    /// and the values typed, which stay in their fields to be corrected.
    pub setting_error: Option<SettingRefusal>,
    /// Bumped on every setting typed, so a refused value gives way to the current one.
    pub settings_epoch: u64,
    /// What the page shows: the session's plain-data views, refreshed after every action.
    pub views: Option<Views>,
    /// Long work (a far seek, a drill, a long link) running in slices between frames.
    pub job: Option<Rc<RefCell<Job>>>,
    /// How that work stands, for the learner.
    pub working: Option<String>,
    pub version: u64,
    /// When (browser clock, ms) `views` were last refreshed: playing refreshes them at most every
    /// `VIEW_MS`.
    pub views_at: f64,
}

/// Simulation events per slice of long work: a few tens of milliseconds in the browser, so the
/// page never freezes (the e2e prints the longest task).
pub const SLICE_EVENTS: u64 = 8_000;
/// Wall time a playback tick may work. Playing ticks once per animation frame: a frame that only
/// simulates may work this long of its 16.7 ms.
pub const TICK_WORK_MS: f64 = 10.0;
/// The work of a frame that also refreshes the views and renders them (about 8 ms more at the
/// largest lesson): a token, so that frame's p95 stays under 16 ms with a machine's jitter.
pub const RENDER_TICK_WORK_MS: f64 = 1.0;
/// While playing, the views are refreshed (and the page rendered) at most this often.
pub const VIEW_MS: f64 = 50.0;
/// While playing, the URL (which holds the clock) is rewritten at most this often: browsers
/// rate-limit `history.replaceState` (Chromium ignores calls past 200 in 10 s, WebKit refuses
/// them past 100 in 30 s), and each costs a little.
/// A new command, pausing or the end of play writes it at once.
pub const URL_MS: f64 = 1000.0;
/// Events between two looks at the clock in a playback tick (a quarter of a millisecond of work).
pub const TICK_SLICE_EVENTS: u64 = 1_000;
/// The most wall time one tick stands for (a frame after the tab was hidden advances this much).
pub const TICK_MAX_MS: f64 = 100.0;

/// What a page's animation frame has already been given. A chapter may embed several widgets, each
/// with its own session and frame loop; they tick in the same frames, so they share one frame's
/// budget rather than each taking all of it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameLedger {
    /// The frame (its `requestAnimationFrame` timestamp) the figures are for.
    frame: f64,
    /// Milliseconds of work charged to it.
    spent: f64,
    /// Ticks charged to it, and to the frame before it: how many sessions are playing.
    ticks: u32,
    before: u32,
}

impl FrameLedger {
    pub const NEW: FrameLedger = FrameLedger { frame: f64::NAN, spent: 0.0, ticks: 0, before: 0 };

    /// This frame's figures (a new frame starts with nothing charged).
    fn at(&self, frame: f64) -> FrameLedger {
        match self.frame == frame {
            true => *self,
            false => FrameLedger { frame, spent: 0.0, ticks: 0, before: self.ticks },
        }
    }

    /// What a tick in `frame` may work of `budget` ms: an even share among the sessions that
    /// played in the frame before (so none is starved by the ones ticking ahead of it), and never
    /// more than the ticks ahead of it in this frame left.
    pub fn left(&self, frame: f64, budget: f64) -> f64 {
        let f = self.at(frame);
        (budget / f.before.max(1) as f64).min(budget - f.spent).max(0.0)
    }

    /// Charges a tick of `ms` of work to `frame`.
    pub fn charge(&mut self, frame: f64, ms: f64) {
        *self = self.at(frame);
        self.spent += ms;
        self.ticks += 1;
    }
}

thread_local! {
    /// The page's frame ledger, shared by every session playing on it.
    static FRAME: std::cell::Cell<FrameLedger> = const { std::cell::Cell::new(FrameLedger::NEW) };
}

/// Milliseconds of wall time, for budgeting a tick's work (the browser's clock).
pub(crate) fn clock_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    return js_sys::Date::now();
    #[cfg(not(target_arch = "wasm32"))]
    0.0
}

/// Whether a tick that started at `started` has spent its `budget` of work (natively, where only
/// tests run the reducer, after its first slice).
fn tick_spent(started: f64, budget: f64) -> bool {
    cfg!(not(target_arch = "wasm32")) || clock_ms() - started >= budget
}

thread_local! {
    /// The command log the URL was last written with (its generation and length) and when
    /// (browser clock, ms): while playing, a new command is written at once, the clock alone
    /// every `URL_MS`.
    pub(crate) static URL_AT: std::cell::Cell<((u64, usize), f64)> = const { std::cell::Cell::new(((u64::MAX, 0), f64::NEG_INFINITY)) };
}

/// Whether views refreshed at `at` are due again (natively: on every tick).
fn views_due(at: f64) -> bool {
    cfg!(not(target_arch = "wasm32")) || clock_ms() - at >= VIEW_MS
}

/// Commands of a shared link replayed per slice, at most (each is read from its text first).
pub const COMMANDS_PER_SLICE: usize = 500;

/// Long work done in slices, one per `Action::Work`.
#[derive(Debug)]
pub enum Job {
    Seek(SimTime),
    Drill(Box<sim_session::model::drill::Drill>),
    /// A shared link's (or an undo's) commands, replayed in order, then the link's time.
    Restore(sim_session::replay::LinkReplay),
}

/// The session's views as the components take them. Each part is compared by value, so a
/// component whose part did not change is not re-rendered.
#[derive(Clone, Debug, PartialEq)]
pub struct Views {
    pub lesson: Rc<view_model::LessonView>,
    pub clock: Rc<view_model::ClockView>,
    pub goals: Rc<view_model::Outcomes>,
    pub cluster: Rc<view_model::ClusterView>,
    pub settings: Rc<Vec<view_model::SettingGroupView>>,
    pub charts: Vec<Rc<view_model::Chart>>,
    pub props: Rc<Vec<view_model::PropView>>,
    pub log: Rc<Vec<String>>,
    pub pitr: Option<Rc<view_model::PitrView>>,
    pub challenge: Option<Rc<view_model::ChallengeView>>,
    /// Each component's panel (a pooling lesson's pool and host).
    pub panels: Vec<Rc<sim_session::view::PanelView>>,
}

impl Views {
    fn of(s: &Session, m: &Model) -> Views {
        let goals = s.outcomes(m.drill.as_deref());
        Views {
            lesson: Rc::new(s.lesson_view()),
            clock: Rc::new(s.clock_view()),
            challenge: s.challenge_view(&goals.goals).map(Rc::new),
            goals: Rc::new(goals),
            cluster: Rc::new(s.cluster_view()),
            settings: Rc::new(s.settings_view()),
            charts: s.charts().into_iter().map(Rc::new).collect(),
            props: Rc::new(s.properties()),
            log: Rc::new(s.log_lines(&m.log_filter, m.log_all)),
            pitr: s.pitr_view(&m.aim).map(Rc::new),
            panels: s.panels().into_iter().map(Rc::new).collect(),
        }
    }
}

impl PartialEq for Model {
    fn eq(&self, o: &Self) -> bool {
        self.version == o.version
            && self.playing == o.playing
            && self.speed == o.speed
            && self.selected == o.selected
            && self.link == o.link
            && self.log_filter == o.log_filter
            && self.log_all == o.log_all
            && self.aim == o.aim
            && self.error == o.error
            && self.link_problem == o.link_problem
            && self.help == o.help
            && self.notice == o.notice
            && self.undo == o.undo
            && self.reached == o.reached
            && self.setting_error == o.setting_error
            && self.views == o.views
            && self.working == o.working
    }
}

#[derive(Debug)]
pub enum Action {
    Load {
        file: String,
        src: String,
        seed: Option<u64>,
    },
    Play,
    Pause,
    Step,
    Speed(f64),
    /// One frame of play: the wall milliseconds since the last, advanced at `speed`, and the
    /// frame's own timestamp (every session playing on the page ticks in the same frame).
    Tick {
        wall_ms: f64,
        frame: f64,
    },
    Seek(u64),
    Fork,
    Select(Option<String>),
    SelectLink(Option<(String, String)>),
    Filter(String),
    LogAll(bool),
    PitrTarget(u64),
    PitrInclusive(bool),
    /// Type a target of this kind instead of dragging (`None`: back to the slider).
    PitrKind(Option<view_model::TargetKind>),
    PitrTyped(String),
    PitrSnap(view_model::Snap),
    Drill,
    Do(Command),
    /// A shared link, with the text of the lesson it names.
    Restore(url::Shared, String),
    /// The parts of the opened link that could not be used, by name.
    LinkProblems(Vec<String>),
    Reseed(u64),
    Help(bool),
    /// A value typed into a setting's field; a refusal stays beside the field.
    /// Settings typed by the learner, applied as one `set` command and checked as a whole (a
    /// group tied by a rule, such as Patroni's timings, or one field). `group` names where a
    /// refusal is shown.
    SetSettings {
        group: String,
        values: Vec<(String, String)>,
    },
    /// Bring back the commands the last one dropped.
    Undo,
    Fail(String),
    /// Close the error toast.
    Dismiss,
    /// One slice of the long work under way.
    Work,
}

/// A command log to go back to, and the time (ms) to open it at.
pub type Undo = (Vec<(SimTime, Command)>, u64);

impl Reducible for Model {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // A frame of play: the session advances in place (it is shared). Between view refreshes
        // the same model comes back, so yew renders nothing and the frame is all simulation.
        if let Action::Tick { wall_ms, frame } = action {
            if self.job.is_some() || !self.playing {
                return self;
            }
            let refresh = views_due(self.views_at);
            let budget = FRAME.with(|f| f.get().left(frame, if refresh { RENDER_TICK_WORK_MS } else { TICK_WORK_MS }));
            let started = clock_ms();
            let played = self.play(wall_ms, budget);
            FRAME.with(|f| {
                let mut ledger = f.get();
                ledger.charge(frame, clock_ms() - started);
                f.set(ledger);
            });
            if !refresh && matches!(played, Ok(false)) {
                return self;
            }
            let mut m = (*self).clone();
            m.version += 1;
            match played {
                Ok(done) => m.playing = !done,
                Err(e) => {
                    m.error = Some(e);
                    m.playing = false;
                }
            }
            m.measure_speed();
            m.refresh_views();
            return Rc::new(m);
        }
        let mut m = (*self).clone();
        m.version += 1;
        if matches!(action, Action::Play | Action::Pause | Action::Speed(_) | Action::Seek(_) | Action::Load { .. }) {
            m.speed_mark = None;
            m.reached = None;
        }
        if !matches!(action, Action::Work | Action::Restore(..) | Action::LinkProblems(_) | Action::Fail(_) | Action::Load { .. }) {
            m.link_problem = None;
            m.notice = None;
            if !matches!(action, Action::Tick { .. } | Action::Undo) {
                m.undo = None;
            }
        }
        // A drill's slice runs on worlds of its own: the session, and so its views, are unchanged.
        let drill_slice = matches!(action, Action::Work) && m.job.as_ref().is_some_and(|j| j.try_borrow().is_ok_and(|j| matches!(*j, Job::Drill(_))));
        // A slice of long work keeps the message of the learner's last action on screen (the
        // refusal of a click made while a link opens); any action of the learner's replaces it.
        let work = matches!(action, Action::Work);
        match m.apply(action) {
            Err(e) => {
                m.error = Some(e);
                m.playing = false;
            }
            Ok(()) if !work => m.error = None,
            Ok(()) => {}
        }
        if !(drill_slice && m.job.is_some() && m.error.is_none()) {
            m.refresh_views();
        }
        Rc::new(m)
    }
}

/// Sharded lessons (sharding sections instead of nodes) open on the sharding page.
pub fn is_shard_lesson(src: &str) -> bool {
    sim_session::model::runner::sharded::is_sharding(src)
}

impl Model {
    /// The session's views, anew.
    fn refresh_views(&mut self) {
        self.views = self.session.as_ref().and_then(|s| s.try_borrow().ok().map(|s| Views::of(&s, self)));
        self.views_at = clock_ms();
    }

    /// Plays `wall_ms` of wall time at `speed`, or less when `budget_ms` of work is spent first
    /// (at high speeds a frame is bounded by work, not simulated time, so a busy lesson plays as
    /// fast as that allows and the page never freezes). Whether the run reached its end.
    /// Updates the speed play reaches, once a second of wall time has passed since the mark.
    fn measure_speed(&mut self) {
        let (Ok(sim), wall) = (self.with(|s| Ok(s.now().0)), clock_ms()) else { return };
        match self.speed_mark {
            Some((w0, s0)) if wall - w0 >= 1000.0 => {
                self.reached = Some(sim.saturating_sub(s0) as f64 / 1000.0 / (wall - w0));
                self.speed_mark = Some((wall, sim));
            }
            Some(_) => {}
            None => self.speed_mark = Some((wall, sim)),
        }
    }

    fn play(&self, wall_ms: f64, budget_ms: f64) -> Result<bool, String> {
        let dt = (wall_ms.clamp(0.0, TICK_MAX_MS) * 1000.0 * self.speed) as u64;
        let started = clock_ms();
        self.with(|s| {
            let t = SimTime(s.now().0 + dt);
            while !s.advance_for(t, TICK_SLICE_EVENTS)? {
                if tick_spent(started, budget_ms) {
                    break;
                }
            }
            Ok(s.now() >= s.end())
        })
    }

    /// Starts long work (or ends it with `None`).
    fn start(&mut self, job: Option<Job>) {
        self.working = None;
        self.job = job.map(|j| Rc::new(RefCell::new(j)));
    }

    /// Runs one slice of the work under way and says how it stands; an error ends the work.
    fn work(&mut self) -> Result<(), String> {
        let result = self.work_slice();
        if result.is_err() {
            self.start(None);
        }
        result
    }

    fn work_slice(&mut self) -> Result<(), String> {
        let Some(job) = self.job.clone() else { return Ok(()) };
        let mut job = job.try_borrow_mut().map_err(|_| "the simulation is busy".to_string())?;
        let (done, status) = match &mut *job {
            Job::Seek(t) => {
                let t = *t;
                let done = self.with(|s| s.seek_for(t, SLICE_EVENTS))?;
                (done, format!("Running to {t}…"))
            }
            Job::Drill(d) => match d.step(SLICE_EVENTS) {
                Ok(done) => {
                    if done {
                        self.drill = Some(Rc::new(Ok(d.results.clone())));
                    }
                    let (n, total) = d.progress();
                    (done, format!("DR drill: {n} of {total} disasters judged…"))
                }
                Err(e) => {
                    self.drill = Some(Rc::new(Err(e)));
                    (true, String::new())
                }
            },
            Job::Restore(r) => {
                let (done, bad) = self.with(|s| r.step(s, SLICE_EVENTS, COMMANDS_PER_SLICE))?;
                if done {
                    if let (Some(e), Some(s)) = (r.take_encoded(), &self.session) {
                        if let Ok(s) = s.try_borrow() {
                            url::prime_log_cache(&s, e);
                        }
                    }
                }
                if !bad.is_empty() {
                    let more = bad.join("; ");
                    self.link_problem = Some(match self.link_problem.take() {
                        Some(p) => format!("{p} {more}."),
                        None => format!("This link could not be read in full: {more}."),
                    });
                }
                let now = self.with(|s| Ok(s.now())).unwrap_or(SimTime(0));
                (done, r.status(now))
            }
        };
        drop(job);
        if done {
            self.start(None);
        } else {
            self.working = Some(status);
        }
        Ok(())
    }

    fn with<T>(&self, f: impl FnOnce(&mut Session) -> Result<T, String>) -> Result<T, String> {
        let s = self.session.as_ref().ok_or("no scenario loaded")?;
        let mut s = s.try_borrow_mut().map_err(|_| "the simulation is busy".to_string())?;
        f(&mut s)
    }

    fn apply(&mut self, action: Action) -> Result<(), String> {
        // While a link opens (its commands replayed up to its time), nothing else may act on the
        // run: a click would land at whatever time the replay had reached.
        let opening = self.job.as_ref().is_some_and(|j| j.try_borrow().map_or(true, |j| matches!(*j, Job::Restore(_))));
        let acts = matches!(action, Action::Do(_) | Action::Fork | Action::Step | Action::Play | Action::Seek(_) | Action::SetSettings { .. } | Action::Undo | Action::Drill);
        if opening && acts {
            return Err(format!("{} Wait until it is open: what you do then lands at the link's time.", self.working.clone().unwrap_or_else(|| "The link is still opening.".into())));
        }
        // The learner taking over the run ends a seek still under way (a drill runs on its own
        // worlds and goes on).
        let takes_over = matches!(action, Action::Do(_) | Action::Fork | Action::Step | Action::Load { .. } | Action::Reseed(_) | Action::Restore(..));
        let session_work = self.job.as_ref().is_some_and(|j| j.try_borrow().map_or(true, |j| !matches!(*j, Job::Drill(_))));
        if takes_over && (session_work || matches!(action, Action::Load { .. } | Action::Reseed(_))) {
            self.start(None);
        }
        match action {
            Action::Load { file, src, .. } if is_shard_lesson(&src) => Err(format!("{file} is a sharding lesson: open it on the sharding page (shard.html)")),
            Action::Load { file, src, .. } if !cfg!(feature = "migrate") && sim_session::model::migrate::cfg::is_migration(&src) => {
                Err(format!("{file} is a schema-migration lesson: open it on the migrations page (migrate.html)"))
            }
            Action::Load { file, src, seed } => {
                self.session = Some(Rc::new(RefCell::new(Session::new_scenario(&file, &src, seed)?)));
                url::clear_log_cache();
                self.playing = false;
                self.selected = None;
                self.link = None;
                self.aim = view_model::Aim { inclusive: true, ..Default::default() };
                self.drill = None;
                Ok(())
            }
            // At the run's end there is nothing to play (a click meant for Pause that lands as the
            // button turns back into Play must not leave the page playing).
            Action::Play => {
                self.playing = self.with(|s| Ok(s.now() < s.end())).unwrap_or(false);
                Ok(())
            }
            Action::Pause => {
                self.playing = false;
                Ok(())
            }
            Action::Step => self.with(|s| s.advance_to(SimTime(s.now().0 + 100_000))),
            Action::Speed(x) => {
                self.speed = x.clamp(0.25, 10_000.0);
                Ok(())
            }
            // Played in `reduce`, which can leave the model as it was.
            Action::Tick { .. } => Ok(()),
            Action::Seek(ms) => {
                let t = SimTime(ms * 1000);
                let done = self.with(|s| s.seek_for(t, SLICE_EVENTS))?;
                self.start(if done { None } else { Some(Job::Seek(t)) });
                Ok(())
            }
            Action::Work => self.work(),
            Action::Fork => {
                let (at, dropped) = self.with(|s| {
                    let before = s.log.len();
                    s.fork()?;
                    Ok((s.now(), before - s.log.len()))
                })?;
                self.notice = Some(format!("Forked at {at}: {dropped} later command(s) dropped; what you do now starts a new branch of the run."));
                Ok(())
            }
            Action::Select(n) => {
                self.selected = n;
                self.link = None;
                Ok(())
            }
            Action::SelectLink(l) => {
                self.link = l;
                self.selected = None;
                Ok(())
            }
            Action::Filter(f) => {
                self.log_filter = f;
                Ok(())
            }
            Action::LogAll(on) => {
                self.log_all = on;
                Ok(())
            }
            Action::PitrKind(k) => {
                self.aim.typed = k.map(|k| (k, String::new()));
                self.aim.timeline = None;
                Ok(())
            }
            Action::PitrTyped(v) => {
                if let Some(t) = &mut self.aim.typed {
                    t.1 = v;
                }
                Ok(())
            }
            Action::PitrSnap(snap) => {
                self.aim.typed = Some((snap.kind, snap.value));
                self.aim.inclusive = snap.inclusive;
                self.aim.timeline = snap.timeline;
                Ok(())
            }
            Action::PitrTarget(ms) => {
                self.aim.slider_ms = Some(ms);
                self.aim.typed = None;
                self.aim.timeline = None;
                Ok(())
            }
            Action::PitrInclusive(on) => {
                self.aim.inclusive = on;
                Ok(())
            }
            // The migrations page leaves the PITR panel, and with it the drill, out.
            Action::Drill if cfg!(feature = "migrate") => Err("The DR drill runs on the main page (index.html): the migrations page has no PITR panel.".into()),
            Action::Drill => {
                let d = self.with(|s| s.drill_job());
                match d {
                    Ok(d) => {
                        self.drill = None;
                        self.job = Some(Rc::new(RefCell::new(Job::Drill(Box::new(d)))));
                        self.working = Some("DR drill: starting…".into());
                    }
                    Err(e) => self.drill = Some(Rc::new(Err(e))),
                }
                Ok(())
            }
            // A command before others the learner gave drops them (the run forks here): say
            // so, name them, and offer to bring them back.
            Action::Do(cmd) => {
                let (before, now, dropped) = self.with(|s| {
                    let before = s.log.clone();
                    s.command(cmd)?;
                    let now = s.now();
                    let dropped: Vec<String> = before.iter().filter(|(t, _)| *t > now).map(|(t, c)| format!("{} at {}", c.name(), sim_session::model::SimDur(t.0).human())).collect();
                    Ok((before, now, dropped))
                })?;
                if !dropped.is_empty() {
                    self.notice = Some(format!("Your command at {} dropped {} later command(s) of yours: {}.", sim_session::model::SimDur(now.0).human(), dropped.len(), dropped.join(", ")));
                    self.undo = Some(Rc::new((before, now.as_ms())));
                }
                Ok(())
            }
            // The log as it was before that command, replayed on a fresh run up to the same time.
            Action::Undo => {
                let (log, t_ms) = self.undo.take().map(|u| (*u).clone()).ok_or("nothing to undo")?;
                let (file, src, seed) = self.with(|s| Ok((s.file.clone(), s.src.clone(), s.seed)))?;
                self.session = Some(Rc::new(RefCell::new(Session::new_scenario(&file, &src, Some(seed))?)));
                url::clear_log_cache();
                self.playing = false;
                let total = log.len();
                self.start(Some(Job::Restore(LinkReplay::new(log, Vec::new(), None, SimTime(t_ms * 1000)))));
                self.working = Some(format!("Undoing: 0 of {total} commands replayed…"));
                Ok(())
            }
            Action::Reseed(seed) => {
                let (file, src) = self.with(|s| Ok((s.file.clone(), s.src.clone())))?;
                self.apply(Action::Load { file, src, seed: Some(seed) })
            }
            Action::Fail(e) => Err(e),
            Action::Dismiss => Ok(()),
            Action::SetSettings { group, values } => {
                let parsed: Result<Vec<_>, String> = values.iter().map(|(k, v)| sim_session::model::Setting::parse(k, v.trim()).map_err(|e| format!("{k}: {e}"))).collect();
                let result = parsed.and_then(|settings| self.with(|sess| sess.command(Command::Set { settings })));
                self.setting_error = result.err().map(|why| SettingRefusal { group, why, typed: values });
                self.settings_epoch += 1;
                Ok(())
            }
            Action::Help(on) => {
                self.help = on;
                Ok(())
            }
            Action::LinkProblems(p) => {
                self.link_problem = Some(format!("This link could not be read in full: {}.", p.join("; ")));
                Ok(())
            }
            Action::Restore(shared, src) => {
                let s = Session::new_scenario(&shared.file, &src, shared.seed)?;
                self.session = Some(Rc::new(RefCell::new(s)));
                url::clear_log_cache();
                self.playing = false;
                let t = SimTime(shared.t_ms * 1000);
                // Replayed in slices from the next turn of the event loop, with progress shown.
                let replay = LinkReplay::new(shared.log, shared.log_raw, shared.log_encoded, t);
                self.working = Some(replay.opening());
                self.start(Some(Job::Restore(replay)));
                Ok(())
            }
        }
    }
}

/// Fetches a built-in lesson (`scenarios/FILE`, served beside the page: lessons are content, not
/// code, so the app downloads only the one it opens) and turns its text into an action.
pub fn fetch_lesson(file: String, go: Callback<Action>, then: impl FnOnce(String) -> Action + 'static) {
    fetch(format!("scenarios/{file}"), go, then, Action::Fail);
}

/// Asks for the next animation frame, calls `tick` with the wall milliseconds since `last`, and
/// asks again, until `slot` is emptied (which cancels the frame asked for).
fn frame_loop(slot: Rc<RefCell<Option<gloo::render::AnimationFrame>>>, last: Option<f64>, tick: Rc<dyn Fn(f64, f64)>) {
    let next = slot.clone();
    let frame = gloo::render::request_animation_frame(move |now| {
        if let Some(last) = last {
            tick(now - last, now);
        }
        // Emptied while ticking (the lesson ended, or the learner paused): stop.
        if next.borrow().is_some() {
            frame_loop(next, Some(now), tick);
        }
    });
    *slot.borrow_mut() = Some(frame);
}

/// What keeps a session going, for the page and for each embedded widget: the play loop (a tick
/// per animation frame), and long work run in slices, one per turn of the event loop, so the page
/// stays live.
#[hook]
pub fn use_engine(model: &UseReducerHandle<Model>) {
    {
        let model = model.clone();
        use_effect_with(model.playing, move |playing| {
            // One tick per animation frame, carrying the wall time since the frame before.
            let slot = Rc::new(RefCell::new(None));
            if *playing {
                frame_loop(slot.clone(), None, Rc::new(move |wall_ms, frame| model.dispatch(Action::Tick { wall_ms, frame })));
            }
            move || drop(slot.borrow_mut().take())
        });
    }
    {
        let version = model.version;
        let model = model.clone();
        use_effect_with(version, move |_| {
            let dispatcher = model.dispatcher();
            let next = model.job.is_some().then(|| gloo::timers::callback::Timeout::new(0, move || dispatcher.dispatch(Action::Work)));
            move || drop(next)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sharding_lesson_is_recognised_and_no_scenario_is() {
        assert!(lessons::SHARDING.iter().all(|(_, src)| is_shard_lesson(src)));
        assert!(!lessons::BUILTIN.iter().any(|(_, src)| is_shard_lesson(src)));
    }
    /// Play, a frame, Pause and Play again; at the run's end Play does not start playing (a click
    /// meant for Pause that lands as the button turns back into Play must not keep the page
    /// playing after a seek back).
    #[test]
    fn play_plays_until_the_end_and_not_from_it() {
        let (file, src) = lessons::BUILTIN[0];
        let model = Rc::new(Model::default()).reduce(Action::Load { file: file.into(), src: src.into(), seed: Some(1) });
        let model = model.reduce(Action::Speed(1000.0)).reduce(Action::Play);
        assert!(model.playing);
        let t0 = model.views.as_ref().unwrap().clock.now_ms;
        let model = model.reduce(Action::Tick { wall_ms: 16.7, frame: 1.0 });
        assert!(model.views.as_ref().unwrap().clock.now_ms > t0, "a frame plays");
        let model = model.reduce(Action::Pause);
        assert!(!model.playing);
        let end = model.views.as_ref().unwrap().clock.end_ms;
        // A far seek runs in slices, one per `Action::Work` (the page sends them between frames).
        let seek = |m: Rc<Model>, ms: u64| {
            let mut m = m.reduce(Action::Seek(ms));
            while m.job.is_some() {
                m = m.reduce(Action::Work);
            }
            m
        };
        let model = seek(model, end);
        assert_eq!(model.views.as_ref().unwrap().clock.now_ms, end);
        assert!(!model.clone().reduce(Action::Play).playing, "nothing to play at the end");
        assert!(seek(model, end / 2).reduce(Action::Play).playing);
    }
    /// Ticks in one frame share its budget: evenly among the sessions that played in the frame
    /// before, and never beyond what the ticks ahead left; a new frame starts afresh.
    #[test]
    fn ticks_of_one_frame_share_its_budget() {
        let mut ledger = FrameLedger::NEW;
        assert_eq!(ledger.left(100.0, TICK_WORK_MS), TICK_WORK_MS, "alone, a session has the whole frame");
        ledger.charge(100.0, 7.0);
        assert_eq!(ledger.left(100.0, TICK_WORK_MS), TICK_WORK_MS - 7.0);
        assert_eq!(ledger.left(100.0, RENDER_TICK_WORK_MS), 0.0);
        ledger.charge(100.0, 3.0);
        ledger.charge(100.0, 1.0);
        assert_eq!(ledger.left(100.0, TICK_WORK_MS), 0.0, "nothing is ever negative");
        // Three played in that frame: in the next, each has a third of it.
        assert_eq!(ledger.left(116.7, TICK_WORK_MS), TICK_WORK_MS / 3.0);
        ledger.charge(116.7, TICK_WORK_MS / 3.0);
        assert_eq!(ledger.left(116.7, TICK_WORK_MS), TICK_WORK_MS / 3.0);
        ledger.charge(116.7, 6.0);
        assert!((ledger.left(116.7, TICK_WORK_MS) - (TICK_WORK_MS - TICK_WORK_MS / 3.0 - 6.0)).abs() < 1e-9, "what the ticks ahead left");
        // One alone again: after a frame of two ticks, a half; then the whole frame.
        assert_eq!(ledger.left(133.3, TICK_WORK_MS), TICK_WORK_MS / 2.0);
        ledger.charge(133.3, TICK_WORK_MS / 2.0);
        assert_eq!(ledger.left(150.0, TICK_WORK_MS), TICK_WORK_MS);
    }
}
