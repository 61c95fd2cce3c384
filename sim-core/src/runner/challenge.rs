//! Challenges: a lesson whose goals the learner reaches with their own command log. An attempt is
//! a run like any other, a pure function of (scenario, seed, log); it meets the challenge when
//! every goal holds at the end.
use crate::command::Command;
use crate::report::Report;
use crate::time::{SimDur, SimTime};
use crate::{Scenario, World};

/// Runs `scn` with `seed` and the learner's `log` (each command at its time, after the lesson's own
/// timeline at the same instant) to the end, and reports against the lesson's goals.
pub fn attempt(scn: &Scenario, seed: u64, log: &[(SimDur, Command)]) -> Result<Report, String> {
    let mut w = World::new(scn, seed).map_err(|e| e.message)?;
    for (at, cmd) in log {
        w.schedule(SimTime(at.0), cmd.clone()).map_err(|e| format!("at {at}: {e}"))?;
    }
    w.run_to_end().map_err(|e| e.to_string())?;
    Ok(w.report(&scn.expect))
}

/// A sharded lesson's challenge: the lesson with the learner's `design` (shard key, placement),
/// run with `seed` and judged on its goals.
pub fn attempt_design(lesson: &crate::runner::sharded::ShardLesson, seed: u64, design: &crate::scenario::Design) -> Result<Vec<crate::report::ExpectResult>, String> {
    let mut l = lesson.clone();
    l.apply_design(design)?;
    Ok(l.run(Some(seed))?.expectations)
}

/// Whether a finished run meets every goal.
pub fn met(r: &Report) -> bool {
    !r.expectations.is_empty() && r.expectations.iter().all(|e| e.ok)
}
