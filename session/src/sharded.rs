//! A sharding lesson's run as the learner changes it: the lesson's design (shard key, vindex,
//! placement, shard count), their commands (reshards, crashes of a shard's primary) at the cursor,
//! forks and resets, and the whole run's figures. A change the run refuses leaves it as it was.
//! The sharding page and its embed widget render it; a shared link replays it.
use crate::session::Session;
use crate::view::HeatmapView;
use sim_core::runner::sharded::{ShardLesson, ShardReport};
use sim_core::scenario::Design;
use sim_core::shard::cluster::{Config, Move};
use sim_core::shard::front::ClusterStatus;
use sim_core::shard::placement::Placement;
use sim_core::{Command, SimTime};
use std::cell::RefCell;
use std::rc::Rc;

/// A sharding lesson as the learner has changed it (shard key, placement), its session (the
/// router and each shard's cluster in one world, with the learner's commands), and the whole
/// run's figures.
#[derive(Clone, Debug)]
pub struct ShardRun {
    pub file: String,
    pub src: String,
    pub lesson: ShardLesson,
    pub seed: u64,
    /// At the cursor. Shared, not copied, on every action (its snapshots are whole worlds).
    pub session: Rc<RefCell<Session>>,
    /// The run to its end, from the same session.
    pub report: Result<ShardReport, String>,
    pub cursor_ms: u64,
    pub query: Option<(String, u64)>,
    /// Each shard's cluster at the cursor (by scope).
    pub status: Vec<ClusterStatus>,
    /// By shard index at the cursor: whether its primary can be crashed (a shard a reshard
    /// added has no cluster of its own).
    pub crashable: Vec<bool>,
    /// "Undo reshards" took away the lesson's own reshards.
    pub reshards_undone: bool,
    /// The lesson's own sharded table, before the learner's choices.
    pub original: Option<Config>,
    /// The whole run's load, drawn once per run.
    pub heatmap: Rc<HeatmapView>,
}

/// What the learner can do on a sharding lesson.
#[derive(Clone, Debug, PartialEq)]
pub enum ShardAction {
    Key(String),
    /// `hash` or `numeric`: how a key's value becomes a keyspace id.
    Vindex(String),
    Strategy(String),
    Shards(u32),
    Cursor(u64),
    Query(String, u64),
    /// Add a shard, split one, or move half a range, at the cursor: a `reshard` command.
    Reshard(Move),
    /// Crash the host of this shard's primary at the cursor: its own Patroni cluster fails
    /// over while the router refuses that shard's writes.
    Crash(u32),
    /// Drop every command given after the cursor.
    Fork,
    Reset,
}

impl ShardRun {
    pub fn new(file: &str, src: &str, seed: Option<u64>) -> Result<ShardRun, String> {
        let lesson = ShardLesson::parse(file, src).map_err(|e| e.to_string())?;
        let seed = seed.unwrap_or(lesson.seed);
        let session = Session::sharded(file, src, lesson.clone(), Some(seed))?;
        let lesson_cluster = lesson.cluster.clone();
        let mut v = ShardRun {
            file: file.into(),
            src: src.into(),
            lesson,
            seed,
            session: Rc::new(RefCell::new(session)),
            report: Err(String::new()),
            cursor_ms: 0,
            query: None,
            status: Vec::new(),
            crashable: Vec::new(),
            reshards_undone: false,
            original: lesson_cluster,
            heatmap: Rc::default(),
        };
        v.rerun()?;
        Ok(v)
    }

    /// A shared link: the learner's changes to the lesson, then their commands, then the cursor.
    pub fn restore(&mut self, actions: &[ShardAction], log: &[(SimTime, Command)]) -> Result<(), String> {
        match self.restore_lenient(actions, log)?.first() {
            Some(p) => Err(p.clone()),
            None => Ok(()),
        }
    }

    /// A shared link, keeping what applies: a change the lesson refuses (a shard key it does not
    /// have) is named among the problems returned and left out.
    pub fn restore_lenient(&mut self, actions: &[ShardAction], log: &[(SimTime, Command)]) -> Result<Vec<String>, String> {
        let mut problems = Vec::new();
        let (cursor, edits) = match actions.split_last() {
            Some((last @ ShardAction::Cursor(_), rest)) => (Some(last), rest),
            _ => (None, actions),
        };
        for a in edits {
            if let Err(e) = self.apply(a.clone()) {
                problems.push(format!("sh: {} (left out)", crate::text::clip(&e)));
            }
        }
        if !log.is_empty() {
            // A link with a crash opened on a lesson without clusters: they were added then.
            if log.iter().any(|(_, c)| !matches!(c, Command::Reshard { .. })) {
                self.lesson.ensure_clusters();
            }
            let mut all = self.log();
            all.extend_from_slice(log);
            all.sort_by_key(|(t, _)| *t);
            if let Err(e) = self.restart(&all) {
                problems.push(format!("log: {} (the commands were left out)", crate::text::clip(&e)));
                let own = self.log();
                self.restart(&own)?;
            }
        }
        if let Some(a) = cursor {
            self.apply(a.clone())?;
        }
        Ok(problems)
    }

    /// The learner's commands, in time order.
    pub fn log(&self) -> Vec<(SimTime, Command)> {
        self.session.borrow().log.clone()
    }

    /// Runs the session to its end (the whole run's figures), then seeks back to the cursor.
    fn rerun(&mut self) -> Result<(), String> {
        let mut s = self.session.borrow_mut();
        let end = s.end();
        s.advance_to(end)?;
        self.report = self.lesson.report_of(&s.world);
        let capacity = self.lesson.cluster.as_ref().map_or(1, |c| c.shard_capacity);
        let heat = self.report.as_ref().ok().and_then(|r| r.run.as_ref()).map(|run| HeatmapView::of(run, capacity)).unwrap_or_default();
        if *self.heatmap != heat {
            self.heatmap = Rc::new(heat);
        }
        s.seek(SimTime(self.cursor_ms * 1000))?;
        drop(s);
        self.refresh();
        self.report.as_ref().map(|_| ()).map_err(Clone::clone)
    }

    fn refresh(&mut self) {
        let shards = self.lesson.cluster.as_ref().map_or(0, |c| self.placement_now(c).shards());
        let s = self.session.borrow();
        let status = (0..s.world.scopes() as u16).filter_map(|k| s.world.cluster_status(k)).collect();
        let crashable = (0..shards).map(|i| s.world.shard_is_original(i)).collect();
        drop(s);
        self.status = status;
        self.crashable = crashable;
    }

    /// A fresh session of the lesson as it now is, with `log` replayed.
    fn restart(&mut self, log: &[(SimTime, Command)]) -> Result<(), String> {
        let mut s = Session::sharded(&self.file, &self.src, self.lesson.clone(), Some(self.seed))?;
        s.replay(log)?;
        self.session = Rc::new(RefCell::new(s));
        self.rerun()
    }

    /// A command at the cursor (any given later is dropped: a fork), then the run to its end.
    /// A command the run cannot carry to its end (a reshard that makes one of the lesson's own
    /// reshards collide) is taken back: the shared session is rebuilt with the log it had.
    fn command(&mut self, cmd: Command) -> Result<(), String> {
        let before = self.log();
        {
            let mut s = self.session.borrow_mut();
            s.seek(SimTime(self.cursor_ms * 1000))?;
            s.command(cmd)?;
        }
        let result = self.rerun();
        if result.is_err() {
            let mut s = Session::sharded(&self.file, &self.src, self.lesson.clone(), Some(self.seed))?;
            s.replay(&before)?;
            s.seek(SimTime(self.cursor_ms * 1000))?;
            *self.session.borrow_mut() = s;
        }
        result
    }

    /// How many of the lesson's choices the learner changed (shard key, vindex, placement,
    /// undone reshards) plus the commands they gave.
    pub fn changes(&self) -> usize {
        let (now, was) = (self.lesson.cluster.as_ref(), self.original.as_ref());
        let differs = |f: fn(&Config) -> String| usize::from(now.map(f) != was.map(f));
        differs(|c| c.shard_key.clone()) + differs(|c| c.vindex.name().into()) + differs(|c| c.placement.to_string()) + usize::from(self.reshards_undone) + self.log().len()
    }

    pub fn duration_ms(&self) -> u64 {
        self.lesson.cluster.as_ref().map_or(0, |c| c.duration_s * 1000)
    }

    /// Applies one action; a refused change leaves the view as it was (the session is replaced
    /// only once the new one is built, and a refused command never enters its log).
    pub fn apply(&mut self, a: ShardAction) -> Result<(), String> {
        if matches!(a, ShardAction::Cursor(_) | ShardAction::Query(..)) {
            return self.change(a);
        }
        let before = self.clone();
        let result = self.change(a);
        if result.is_err() {
            *self = before;
        }
        result
    }

    fn change(&mut self, a: ShardAction) -> Result<(), String> {
        match a {
            ShardAction::Cursor(ms) => {
                self.cursor_ms = ms.min(self.duration_ms());
                self.session.borrow_mut().seek(SimTime(self.cursor_ms * 1000))?;
                self.refresh();
            }
            ShardAction::Query(c, v) => {
                let cfg = self.lesson.cluster.as_ref().ok_or("this lesson has no sharded table")?;
                let p = self.report.as_ref().ok().and_then(|r| r.run.as_ref()?.placement.clone()).unwrap_or_else(|| cfg.placement.clone());
                cfg.route(&p, Some((&c, v)))?;
                self.query = Some((c, v));
            }
            // The learner's design, as a challenge states one: a new placement drops the lesson's
            // reshards and the learner's commands, a new key keeps the commands.
            ShardAction::Key(k) => {
                self.lesson.apply_design(&Design { shard_key: Some(k), ..Design::default() })?;
                let log = self.log();
                self.restart(&log)?;
            }
            ShardAction::Vindex(v) => {
                self.lesson.apply_design(&Design { vindex: Some(v), ..Design::default() })?;
                let log = self.log();
                self.restart(&log)?;
            }
            ShardAction::Strategy(s) => {
                self.lesson.apply_design(&Design { strategy: Some(s), ..Design::default() })?;
                self.restart(&[])?;
            }
            ShardAction::Shards(n) => {
                self.lesson.apply_design(&Design { shards: Some(n), ..Design::default() })?;
                self.restart(&[])?;
            }
            ShardAction::Reshard(mv) => self.command(mv.command())?,
            ShardAction::Crash(shard) => {
                if self.lesson.ensure_clusters() {
                    let log = self.log();
                    self.restart(&log)?;
                }
                let node = self.session.borrow().world.shard_primary(shard).map_err(|e| e.message)?;
                self.command(Command::CrashHost { node })?;
            }
            ShardAction::Fork => {
                self.session.borrow_mut().fork()?;
                self.rerun()?;
            }
            ShardAction::Reset => {
                // No reshards (not even the lesson's own), no crashes of the learner's.
                let original = ShardLesson::parse(&self.file, &self.src).map_err(|e| e.to_string())?;
                self.reshards_undone = !original.reshards.is_empty();
                self.lesson.reshards.clear();
                self.lesson.replication = original.replication;
                self.query = None;
                self.restart(&[])?;
            }
        }
        Ok(())
    }
}

impl ShardRun {
    /// The placement at the cursor: the run's, as its reshards changed it, else the lesson's.
    pub fn placement_now(&self, cfg: &Config) -> Placement {
        self.report.as_ref().ok().and_then(|r| r.run.as_ref()).map_or_else(|| cfg.placement.clone(), |run| run.placement_at(&cfg.placement, self.cursor_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(file: &str) -> ShardRun {
        let src = lessons::SHARDING.iter().find(|(f, _)| *f == file).map(|(_, s)| *s).unwrap();
        ShardRun::new(file, src, None).unwrap()
    }

    #[test]
    fn a_shard_a_reshard_added_cannot_be_crashed() {
        let mut v = view("10b-good-shard-key.toml");
        assert_eq!(v.crashable, [true; 4]);
        v.apply(ShardAction::Cursor(10_000)).unwrap();
        v.apply(ShardAction::Reshard(Move::Add)).unwrap();
        v.apply(ShardAction::Cursor(39_000)).unwrap();
        assert_eq!(v.crashable, [true, true, true, true, false]);
        let e = v.apply(ShardAction::Crash(4)).unwrap_err();
        assert!(e.contains("no Patroni cluster"), "{e}");
        assert_eq!(v.log().len(), 1, "the refused crash left the log as it was");
    }

    #[test]
    fn a_command_the_run_cannot_carry_leaves_no_trace() {
        // 10h splits -80 at 20 s; a shard added at 19.9 s is still copying then.
        let mut v = view("10h-online-split.toml");
        let before = v.report.as_ref().unwrap().digest();
        v.apply(ShardAction::Cursor(19_900)).unwrap();
        let e = v.apply(ShardAction::Reshard(Move::Add)).unwrap_err();
        assert!(e.contains("still moving"), "{e}");
        assert!(v.log().is_empty(), "the refused reshard is not in the log: {:?}", v.log());
        v.apply(ShardAction::Cursor(30_000)).unwrap();
        assert_eq!(v.report.as_ref().unwrap().digest(), before);
        assert!(v.session.borrow().world.router_error().is_none());
    }
}
