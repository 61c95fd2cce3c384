//! A simulation session: the scenario, its seed and the learner's command log, the live world,
//! and the snapshots that make seeking fast (seek = nearest snapshot + replay of the log).
use sim_core::scenario::Scenario;
use sim_core::{Command, SimDur, SimTime, World};

/// Simulated time between snapshots.
pub const SNAPSHOT_EVERY: SimDur = SimDur::secs(5);

/// A world at a snapshot time, and how many learner commands it has already scheduled.
#[derive(Clone, Debug)]
struct Snapshot {
    world: World,
    scheduled: usize,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub file: String,
    /// The scenario text, so the seed can be changed without the file.
    pub src: String,
    pub scenario: Scenario,
    pub seed: u64,
    /// Commands the learner gave, in time order (the scenario's own are part of the world).
    pub log: Vec<(SimTime, Command)>,
    pub world: World,
    scheduled: usize,
    snapshots: Vec<Snapshot>,
}

impl Session {
    /// Loads a scenario; errors are messages for the learner, never panics.
    pub fn new(file: &str, src: &str, seed: Option<u64>) -> Result<Session, String> {
        let (scenario, world) = sim_core::load(file, src, seed).map_err(|e| e.to_string())?;
        let seed = world.seed();
        let snapshots = vec![Snapshot { world: world.clone(), scheduled: 0 }];
        Ok(Session { file: file.into(), src: src.into(), scenario, seed, log: Vec::new(), world, scheduled: 0, snapshots })
    }

    pub fn now(&self) -> SimTime {
        self.world.now()
    }

    pub fn end(&self) -> SimTime {
        self.world.end()
    }

    /// Schedules every logged command the world has not seen yet.
    fn schedule_pending(&mut self) -> Result<(), String> {
        while let Some((at, cmd)) = self.log.get(self.scheduled).cloned() {
            self.world.schedule(at, cmd).map_err(|e| e.0)?;
            self.scheduled += 1;
        }
        Ok(())
    }

    /// Runs forward to `t` (clamped to the end), taking snapshots on the way.
    pub fn advance_to(&mut self, t: SimTime) -> Result<(), String> {
        let t = t.min(self.end());
        self.schedule_pending()?;
        while self.world.now() < t {
            let next = SimTime(self.snapshots.len() as u64 * SNAPSHOT_EVERY.0);
            let stop = if next > self.world.now() { next.min(t) } else { t };
            self.world.run_until(stop).map_err(|e| e.to_string())?;
            if self.world.now() == next {
                self.snapshots.push(Snapshot { world: self.world.clone(), scheduled: self.scheduled });
            }
        }
        Ok(())
    }

    /// Restores the newest snapshot at or before `t` and re-schedules the learner's later commands.
    fn restore(&mut self, t: SimTime) {
        let i = ((t.0 / SNAPSHOT_EVERY.0) as usize).min(self.snapshots.len() - 1);
        let snap = &self.snapshots[i];
        self.world = snap.world.clone();
        self.scheduled = snap.scheduled.min(self.log.len());
    }

    /// Moves to any time: back by snapshot + replay, forward by running.
    pub fn seek(&mut self, t: SimTime) -> Result<(), String> {
        let t = t.min(self.end());
        if t < self.world.now() {
            self.restore(t);
        }
        self.advance_to(t)
    }

    /// Drops every learner command after now ("fork here"): the future is rebuilt without them.
    pub fn fork(&mut self) -> Result<(), String> {
        let now = self.world.now();
        self.log.retain(|(at, _)| *at <= now);
        let keep = (now.0 / SNAPSHOT_EVERY.0) as usize + 1;
        self.snapshots.truncate(keep.min(self.snapshots.len()));
        self.restore(now);
        self.advance_to(now)
    }

    /// Applies a learner's command now, forking away any commands given later.
    pub fn command(&mut self, cmd: Command) -> Result<(), String> {
        self.world.check_command(&cmd).map_err(|e| e.0)?;
        self.fork()?;
        self.log.push((self.world.now(), cmd));
        self.schedule_pending()?;
        let now = self.world.now();
        self.world.run_until(now).map_err(|e| e.to_string())
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

    #[test]
    fn a_bad_command_is_an_error_not_a_panic() {
        let mut s = session();
        assert!(s.command(Command::CrashHost { node: "nope".into() }).is_err());
        assert!(Session::new("x.toml", "not toml [", None).is_err());
    }
}
