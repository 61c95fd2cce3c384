//! A simulation session: the scenario, its seed and the learner's command log, the live world,
//! and the snapshots that make seeking fast (seek = nearest snapshot + replay of the log).
use sim_core::runner::sharded::ShardLesson;
use sim_core::scenario::{Lesson, Scenario};
use sim_core::{Command, SimDur, SimTime, World};

/// Simulated time between snapshots, at most.
pub const SNAPSHOT_EVERY: SimDur = SimDur::secs(5);
/// Events between snapshots, at most: bounds the replay a seek needs.
pub const SNAPSHOT_EVENTS: u64 = 50_000;
/// Snapshots kept; beyond this every other one is dropped (older seeks replay further).
pub const MAX_SNAPSHOTS: usize = 1_024;
/// Snapshots a sharding session keeps: its router holds every row's version, megabytes a copy,
/// so its snapshots are fewer and a seek replays further.
pub const MAX_SHARDED_SNAPSHOTS: usize = 16;

/// Processed events kept for the live event log.
pub const RECENT_EVENTS: usize = 200;

/// A world at the end of an instant, and how many learner commands it has already scheduled.
#[derive(Clone, Debug)]
struct Snapshot {
    world: World,
    scheduled: usize,
}

impl Snapshot {
    fn at(&self) -> SimTime {
        self.world.now()
    }
}

/// What a session runs: a replication/backup scenario, or a sharding lesson (the router and
/// each shard's cluster in one world). Both are lesson files; which one is read from its sections.
#[derive(Clone, Debug)]
pub enum Source {
    Cluster(Box<Scenario>),
    /// `judge` reports a finished run against the lesson's expectations. It is a pointer set
    /// where a sharded session is built, so a browser module that only opens scenarios links
    /// none of the sharding lessons' code.
    Sharded {
        lesson: Box<ShardLesson>,
        judge: Judge,
    },
}

/// A sharding lesson's expectations judged on a world at its end.
pub type Judge = fn(&ShardLesson, &World) -> Vec<sim_core::report::ExpectResult>;

fn judge(l: &ShardLesson, w: &World) -> Vec<sim_core::report::ExpectResult> {
    match l.report_of(w) {
        Ok(r) => r.expectations,
        Err(e) => vec![sim_core::report::ExpectResult { name: "run".into(), ok: false, detail: e, kind: sim_core::report::ExpectKind::AtEnd, figure: None }],
    }
}

/// A run a learner steers: seeking anywhere, forking, and adding commands as they go.
/// Every snapshot lies on the current history, so restoring one and replaying the log is exact.
#[derive(Clone, Debug)]
pub struct Session {
    pub file: String,
    /// The lesson text, so the seed can be changed without the file.
    pub src: String,
    pub source: Source,
    pub seed: u64,
    /// Commands the learner gave, in time order (the scenario's own are part of the world).
    pub log: Vec<(SimTime, Command)>,
    pub world: World,
    scheduled: usize,
    snapshots: Vec<Snapshot>,
    /// Bumped whenever the command log changes, so a front end can cache what it derives from it.
    log_gen: u64,
    /// The furthest end the run has reached: a restore made near the end extends the run, and a
    /// seek back to a snapshot taken before it must still be able to come back.
    end_seen: SimTime,
}

/// Parses and validates a lesson file as the pages take it: the model's checks, then each `watch`
/// item's `shows` against the elements the pages show ([`crate::elements::elements`]).
pub fn parse(file: &str, src: &str) -> Result<Scenario, sim_core::ScenarioError> {
    let scn = Scenario::parse(file, src)?;
    scn.check_shows(file, src, crate::elements::check_element)?;
    Ok(scn)
}

impl Session {
    /// Loads any lesson file (a scenario, or a sharding lesson); errors are messages for the
    /// learner, never panics.
    pub fn new(file: &str, src: &str, seed: Option<u64>) -> Result<Session, String> {
        let scn = parse(file, src).map_err(|e| e.to_string())?;
        if scn.is_sharded() {
            let lesson = ShardLesson::of(file, src, scn).map_err(|e| e.to_string())?;
            return Session::sharded(file, src, lesson, seed);
        }
        let world = sim_core::world_of(file, src, &scn, seed).map_err(|e| e.to_string())?;
        Ok(Session::start(file, src, Source::Cluster(Box::new(scn)), world))
    }

    /// A replication/backup scenario only (a sharding lesson is refused by its parser).
    pub fn new_scenario(file: &str, src: &str, seed: Option<u64>) -> Result<Session, String> {
        let scenario = parse(file, src).map_err(|e| e.to_string())?;
        let world = sim_core::world_of(file, src, &scenario, seed).map_err(|e| e.to_string())?;
        Ok(Session::start(file, src, Source::Cluster(Box::new(scenario)), world))
    }

    /// A sharding lesson, possibly as the learner changed it (shard key, placement).
    pub fn sharded(file: &str, src: &str, lesson: ShardLesson, seed: Option<u64>) -> Result<Session, String> {
        let world = lesson.world(seed)?;
        Ok(Session::start(file, src, Source::Sharded { lesson: Box::new(lesson), judge }, world))
    }

    fn start(file: &str, src: &str, source: Source, mut world: World) -> Session {
        world.keep_recent(RECENT_EVENTS);
        let seed = world.seed();
        let snapshots = vec![Snapshot { world: world.clone(), scheduled: 0 }];
        let end_seen = world.end();
        Session { file: file.into(), src: src.into(), source, seed, log: Vec::new(), world, scheduled: 0, snapshots, log_gen: 0, end_seen }
    }

    /// The replication/backup scenario, if that is what runs.
    pub fn scenario(&self) -> Option<&Scenario> {
        match &self.source {
            Source::Cluster(s) => Some(s),
            Source::Sharded { .. } => None,
        }
    }

    /// The sharding lesson, if that is what runs.
    pub fn shard_lesson(&self) -> Option<&ShardLesson> {
        match &self.source {
            Source::Sharded { lesson, .. } => Some(lesson),
            Source::Cluster(_) => None,
        }
    }

    /// The lesson's text for the learner: title, summary, what to watch.
    pub fn lesson(&self) -> &Lesson {
        match &self.source {
            Source::Cluster(s) => &s.lesson,
            Source::Sharded { lesson, .. } => &lesson.lesson,
        }
    }

    pub fn now(&self) -> SimTime {
        self.world.now()
    }

    /// Changes whenever the command log does (never the same value for two different logs).
    pub fn log_generation(&self) -> u64 {
        self.log_gen
    }

    /// The run's end: the lesson's, or later once a restore made near it extended the run.
    pub fn end(&self) -> SimTime {
        self.world.end().max(self.end_seen)
    }

    /// How many snapshots are kept (for the benchmark's memory figure).
    pub fn snapshot_count(&self) -> usize {
        self.snapshots.len()
    }

    /// Schedules every logged command the world has not seen yet.
    fn schedule_pending(&mut self) -> Result<(), String> {
        while let Some((at, cmd)) = self.log.get(self.scheduled).cloned() {
            self.world.schedule_logged(at, cmd).map_err(|e| e.message)?;
            self.scheduled += 1;
        }
        Ok(())
    }

    fn newest(&self) -> &Snapshot {
        &self.snapshots[self.snapshots.len() - 1]
    }

    /// Runs forward to `t` (clamped to the end), taking snapshots past the newest one.
    pub fn advance_to(&mut self, t: SimTime) -> Result<(), String> {
        self.advance_for(t, u64::MAX).map(|_| ())
    }

    /// Like `advance_to`, but runs about `budget` events at most, so a page can advance in
    /// slices and never freeze; `Ok(true)` once `t` is reached.
    /// The end is read as the run goes: a restore on the way may extend it (a restore made at the
    /// end, replayed after a seek back).
    pub fn advance_for(&mut self, t: SimTime, budget: u64) -> Result<bool, String> {
        self.schedule_pending()?;
        let start = self.world.events();
        let known = self.newest().at();
        let end = self.world.end();
        if self.now() < known && !sim_engine::run_for(&mut self.world, t.min(known).min(end), budget).map_err(|e| e.to_string())? {
            return Ok(false);
        }
        loop {
            let spent = self.world.events() - start;
            if self.now() >= t.min(self.world.end()) {
                // Commands due now still run (a restore made at the end, replayed after a
                // seek back, is due at the end the snapshot knows); one may extend the run.
                let (end, now) = (self.world.end(), self.now());
                if spent >= budget || !sim_engine::run_for(&mut self.world, now, budget - spent).map_err(|e| e.to_string())? {
                    return Ok(false);
                }
                if self.world.end() == end || self.now() >= t {
                    break;
                }
                continue;
            }
            if spent >= budget {
                return Ok(false);
            }
            let (due, ran) = (self.newest().at() + SNAPSHOT_EVERY, self.world.events() - self.newest().world.events());
            let end = self.world.end();
            sim_engine::run_for(&mut self.world, t.min(due).min(end), SNAPSHOT_EVENTS.saturating_sub(ran).min(budget - spent)).map_err(|e| e.to_string())?;
            if self.now() >= due || self.world.events() - self.newest().world.events() >= SNAPSHOT_EVENTS {
                self.keep_snapshot();
            }
        }
        Ok(true)
    }

    fn keep_snapshot(&mut self) {
        let cap = if self.shard_lesson().is_some() { MAX_SHARDED_SNAPSHOTS } else { MAX_SNAPSHOTS };
        if self.snapshots.len() >= cap {
            let mut i = 0;
            self.snapshots.retain(|_| {
                i += 1;
                i % 2 == 1
            });
        }
        self.snapshots.push(Snapshot { world: self.world.clone(), scheduled: self.scheduled });
    }

    /// Restores the newest snapshot at or before `t` and re-schedules the learner's later commands.
    fn restore(&mut self, t: SimTime) {
        // The world about to be replaced may know a later end than the snapshot does.
        self.end_seen = self.end_seen.max(self.world.end());
        let i = self.snapshots.partition_point(|s| s.at() <= t).max(1) - 1;
        let snap = &self.snapshots[i];
        self.world = snap.world.clone();
        self.scheduled = snap.scheduled.min(self.log.len());
    }

    /// Moves to any time: from the nearest snapshot at or before `t`, or by running on when
    /// no snapshot lies between now and `t`.
    pub fn seek(&mut self, t: SimTime) -> Result<(), String> {
        self.seek_for(t, u64::MAX).map(|_| ())
    }

    /// Like `seek`, in slices of about `budget` events (a backward seek replays at most
    /// `SNAPSHOT_EVENTS` from its snapshot first); `Ok(true)` once at `t`.
    pub fn seek_for(&mut self, t: SimTime, budget: u64) -> Result<bool, String> {
        let t = t.min(self.end());
        let ahead = self.snapshots.iter().rev().find(|s| s.at() <= t).is_some_and(|s| s.at() > self.now());
        if t < self.now() || ahead {
            self.restore(t);
        }
        self.advance_for(t, budget)
    }

    /// Drops every learner command after now ("fork here"): the future is rebuilt without them.
    pub fn fork(&mut self) -> Result<(), String> {
        let now = self.world.now();
        let dropped = self.log.iter().any(|(at, _)| *at > now);
        self.log.retain(|(at, _)| *at <= now);
        self.snapshots.retain(|s| s.at() <= now);
        self.log_gen += u64::from(dropped);
        if !dropped {
            // Nothing later was given: the world now is already on the forked history (a link
            // of thousands of commands opens without replaying for each one).
            return Ok(());
        }
        // The end the kept commands give is the one the world has now (a restore dropped with
        // the future no longer extends the run).
        self.end_seen = self.world.end();
        self.restore(now);
        self.advance_to(now)
    }

    /// A fresh session of the same lesson with `log` replayed (a shared link, or a lesson the
    /// learner edited): the first command that cannot apply is an error.
    pub fn replay(&mut self, log: &[(SimTime, Command)]) -> Result<(), String> {
        for (at, cmd) in log {
            self.seek(*at)?;
            self.command(cmd.clone())?;
        }
        Ok(())
    }

    /// Applies a learner's command now, forking away any commands given later.
    pub fn command(&mut self, cmd: Command) -> Result<(), String> {
        // An error about one argument names it (`sql: …`): the page shows it in a toast.
        self.world.check_command(&cmd).map_err(|e| match e.field {
            Some(f) => format!("{f}: {}", e.message),
            None => e.message,
        })?;
        self.fork()?;
        self.log.push((self.world.now(), cmd));
        self.log_gen += 1;
        self.schedule_pending()?;
        let now = self.world.now();
        sim_engine::run_for(&mut self.world, now, u64::MAX).map(|_| ()).map_err(|e| e.to_string())
    }
}

impl Session {
    /// `dbsim drill` for this lesson and seed: every disaster of its `[drill]` section (or a
    /// default drill that fits the run) on fresh worlds.
    pub fn drill(&self) -> Result<Vec<sim_core::drill::DrillResult>, String> {
        self.drill_job()?.finish()
    }

    /// The same drill, to run in slices (`Drill::step`).
    pub fn drill_job(&self) -> Result<sim_core::drill::Drill, String> {
        let mut scn = self.scenario().ok_or("a DR drill needs a replication scenario with a [backup] section")?.clone();
        let duration = scn.run.duration.0;
        if scn.drill.is_none() {
            // The page's default drill tests the lesson's strategy, not its story: the lesson's
            // own faults, mistakes and restores would be disasters of their own in every drill
            // run (08a's DROP, struck beside the drill's). Its settings stay.
            scn.timeline.retain(|tc| matches!(tc.command, Command::Set { .. }));
            scn.drill = Some(sim_core::scenario::DrillCfg::fitting(duration));
        }
        // The learner's own settings are the strategy under test too.
        for (at, cmd) in self.log.iter().filter(|(_, c)| matches!(c, Command::Set { .. })) {
            scn.timeline.push(sim_core::command::TimedCommand { at: sim_core::scenario::Dur(sim_core::SimDur(at.0)), command: cmd.clone() });
        }
        scn.timeline.sort_by_key(|tc| tc.at.0);
        sim_core::drill::Drill::with_runner(&scn, self.seed, sim_engine::run_for)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        let (file, src) = lessons::BUILTIN.iter().find(|(f, _)| f.starts_with("03b")).unwrap();
        Session::new(file, src, None).unwrap()
    }

    #[test]
    fn seeking_back_and_forth_matches_a_straight_run() {
        let mut s = session();
        s.advance_to(SimTime(30_000_000)).unwrap();
        s.command(Command::CrashHost { node: "pg2".into() }).unwrap();
        s.advance_to(SimTime(90_000_000)).unwrap();
        let straight = s.world.trace_hash();
        s.seek(SimTime(12_345_678)).unwrap();
        assert_eq!(s.now(), SimTime(12_345_678));
        s.seek(SimTime(90_000_000)).unwrap();
        assert_eq!(s.world.trace_hash(), straight, "replay after a seek must equal the straight run");
    }

    /// A restore at the end extends the run; a second one in that extension must still replay
    /// after a seek back to before both (the snapshot there knows only the lesson's own end).
    #[test]
    fn restores_past_the_lessons_end_replay_after_a_seek_back() {
        let (file, src) = lessons::BUILTIN.iter().find(|(f, _)| f.starts_with("08a")).unwrap();
        let mut s = Session::new(file, src, None).unwrap();
        let end = s.end();
        s.seek(end).unwrap();
        let latest = || sim_core::command::log_from_toml(r#"{ at = "0s", action = "pitr_restore" }"#).unwrap().remove(0).1;
        s.command(latest()).unwrap();
        assert!(s.end() > end, "a restore at the end extends the run");
        s.seek(end + SimDur::secs(1)).unwrap();
        s.command(latest()).unwrap();
        let far = s.end();
        s.seek(far).unwrap();
        let (restores, straight) = (s.world.backup_report().unwrap().restores.len(), s.world.trace_hash());
        s.seek(SimTime(100_000_000)).unwrap();
        s.seek(far).unwrap();
        assert_eq!(s.world.backup_report().unwrap().restores.len(), restores);
        assert_eq!(s.world.trace_hash(), straight, "the replay equals the straight run");
    }

    #[test]
    fn fork_here_drops_the_future_commands() {
        let mut s = session();
        s.advance_to(SimTime(30_000_000)).unwrap();
        s.command(Command::CrashHost { node: "pg2".into() }).unwrap();
        s.advance_to(SimTime(60_000_000)).unwrap();
        s.seek(SimTime(10_000_000)).unwrap();
        s.fork().unwrap();
        assert!(s.log.is_empty());
        s.seek(SimTime(60_000_000)).unwrap();
        let mut plain = session();
        plain.advance_to(SimTime(60_000_000)).unwrap();
        assert_eq!(s.world.trace_hash(), plain.world.trace_hash());
    }

    /// A lesson busy enough that snapshots are taken by event count, not only every 5 s (a
    /// million users behind PgBouncer: over 100,000 events a simulated second).
    fn busy() -> Session {
        let (file, src) = lessons::BUILTIN.iter().find(|(f, _)| f.starts_with("11b")).unwrap();
        Session::new(file, src, None).unwrap()
    }

    /// Lesson 01: 2,000 commits a second for two minutes.
    fn lesson_01() -> Session {
        let (file, src) = lessons::BUILTIN.iter().find(|(f, _)| f.starts_with("01")).unwrap();
        Session::new(file, src, None).unwrap()
    }

    #[test]
    fn random_seeks_and_commands_give_the_straight_run() {
        let mut s = busy();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for i in 0..40 {
            s.seek(SimTime(next(50_000_000))).unwrap();
            if i % 10 == 9 {
                s.command(Command::CrashPostgres { node: format!("pg{}", 1 + next(2)) }).unwrap();
            }
        }
        s.seek(SimTime(55_000_000)).unwrap();
        // More snapshots than one every SNAPSHOT_EVERY: some were taken by event count.
        let by_time = 55_000_000 / SNAPSHOT_EVERY.0 + 1;
        assert!(s.snapshot_count() as u64 > by_time, "snapshots by event count: {} (by time alone: {by_time})", s.snapshot_count());
        let mut straight = busy();
        for (at, cmd) in s.log.clone() {
            straight.world.schedule(at, cmd).unwrap();
        }
        straight.world.run_until(SimTime(55_000_000)).unwrap();
        assert_eq!(s.world.trace_hash(), straight.world.trace_hash());
        assert_eq!(s.world.events(), straight.world.events());
    }

    #[test]
    fn seeking_in_small_slices_gives_the_straight_run() {
        let mut s = lesson_01();
        let mut slices = 0;
        while !s.seek_for(SimTime(60_000_000), 5_000).unwrap() {
            slices += 1;
        }
        s.command(Command::CrashHost { node: "pg1".into() }).unwrap();
        while !s.advance_for(SimTime(90_000_000), 5_000).unwrap() {
            slices += 1;
        }
        assert!(slices > 10, "{slices} slices");
        let mut straight = lesson_01();
        straight.world.schedule(SimTime(60_000_000), Command::CrashHost { node: "pg1".into() }).unwrap();
        straight.world.run_until(SimTime(90_000_000)).unwrap();
        assert_eq!(s.world.trace_hash(), straight.world.trace_hash());
    }

    #[test]
    fn a_bad_command_is_an_error_not_a_panic() {
        let mut s = session();
        assert!(s.command(Command::CrashHost { node: "nope".into() }).is_err());
        assert!(Session::new("x.toml", "not toml [", None).is_err());
    }
}
