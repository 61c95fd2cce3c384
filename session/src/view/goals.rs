//! A lesson's goals as the learner reads them: in prose with units ("longest failover: 12.4 s,
//! expected at most 30 s"), never raw keys, and framed by what they are. A lesson's goals are the
//! outcomes its run demonstrates (checked by `cargo test`); once the learner changes the run they
//! become a comparison with that demonstration (same / differs), never a failure. A challenge's
//! goals are the learner's to reach (met / failed). A violation the lesson sets out to show is
//! marked as shown, not as a failure.
use sim_core::report::{ExpectKind, ExpectResult, Figure};
use sim_core::scenario::Unit;
pub use sim_core::view::number;

/// What the goals are to the learner.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// The lesson as written: what its run demonstrates.
    Lesson,
    /// The lesson with the learner's changes (commands, a design): compared with its run.
    Changed { changes: usize },
    /// A challenge: goals the learner must reach.
    Challenge,
}

impl Frame {
    /// `challenge`: the lesson is a challenge; `changes`: the learner's commands or choices.
    pub fn of(challenge: bool, changes: usize) -> Frame {
        match (challenge, changes) {
            (true, _) => Frame::Challenge,
            (false, 0) => Frame::Lesson,
            (false, changes) => Frame::Changed { changes },
        }
    }
}

/// How a goal stands now.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum GoalState {
    /// Not decided yet: a figure judged at the end, or a property that holds so far.
    Pending,
    Met,
    Failed,
    /// A property the lesson sets out to break, broken.
    ViolatedAsShown,
    /// The learner changed the run, and this outcome is as in the lesson's run.
    Same,
    /// The learner changed the run, and this outcome differs from the lesson's run.
    Differs,
}

impl GoalState {
    pub fn mark(self) -> &'static str {
        match self {
            GoalState::Pending => "◌",
            GoalState::Met => "✓",
            GoalState::Failed => "✗",
            GoalState::ViolatedAsShown => "⚠",
            GoalState::Same => "=",
            GoalState::Differs => "≠",
        }
    }
    /// A CSS class for the state.
    pub fn class(self) -> &'static str {
        match self {
            GoalState::Pending => "pending",
            GoalState::Met => "ok",
            GoalState::Failed => "failed",
            GoalState::ViolatedAsShown => "violated-expected",
            GoalState::Same => "same",
            GoalState::Differs => "differs",
        }
    }
}

/// One of the lesson's goals, as the run stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Goal {
    /// The expectation's key (`failover_max_s`, `no_acked_commit_lost`), for tests and markup.
    pub name: String,
    pub state: GoalState,
    /// The goal in prose, with its value and unit.
    pub text: String,
}

impl Goal {
    /// An expectation's verdict as a goal, `ended` saying whether the run has reached its end.
    pub fn of(r: &ExpectResult, ended: bool, frame: Frame) -> Goal {
        let name = r.name.trim_start_matches("violated:").to_string();
        let label = label(&name);
        let decided = r.decided(ended);
        let state = match (decided, frame) {
            (false, _) => GoalState::Pending,
            (true, Frame::Changed { .. }) if r.ok => GoalState::Same,
            (true, Frame::Changed { .. }) => GoalState::Differs,
            (true, _) if r.ok && matches!(r.kind, ExpectKind::Violated | ExpectKind::DrillMissed) => GoalState::ViolatedAsShown,
            (true, _) if r.ok => GoalState::Met,
            (true, _) => GoalState::Failed,
        };
        let whose = match frame {
            Frame::Lesson => "expected",
            Frame::Changed { .. } => "the lesson's run:",
            Frame::Challenge => "goal:",
        };
        let text = match (&r.figure, r.kind) {
            (Some(f), _) if !decided => format!("{label}: judged at the end ({whose} {})", range(f)),
            (Some(f), _) => format!("{label}: {} ({whose} {})", value(f.unit, f.value), range(f)),
            (None, ExpectKind::Violated) if state == GoalState::ViolatedAsShown => format!("{label}: broken, as the lesson shows: {}", r.detail),
            (None, ExpectKind::Violated) if decided => format!("{label}: not broken, though the lesson's run breaks it: {}", r.detail),
            (None, ExpectKind::Violated) => format!("{label}: the lesson's run breaks it; not yet: {}", r.detail),
            (None, ExpectKind::DrillMissed) if r.ok => format!("{label}: the strategy misses the SLA, as the lesson shows: {}", r.detail),
            (None, ExpectKind::Always) if !decided => format!("{label} (holds so far): {}", r.detail),
            (None, _) if !decided && r.kind == ExpectKind::AtEnd => format!("{label}: judged at the end ({})", r.detail),
            (None, _) => format!("{label}: {}", r.detail),
        };
        Goal { name: r.name.clone(), state, text }
    }
}

/// The goals with a heading that says what they are and when they are judged.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcomes {
    pub heading: String,
    /// The run has reached its end: every figure is judged.
    pub ended: bool,
    pub frame: Frame,
    pub goals: Vec<Goal>,
}

impl Outcomes {
    pub fn of(goals: Vec<Goal>, frame: Frame, ended: bool, end_ms: u64) -> Outcomes {
        let end = sim_core::SimDur::ms(end_ms).human();
        let what = match frame {
            Frame::Lesson => "What this run demonstrates".to_string(),
            Frame::Changed { changes } => format!("Your run ({changes} change{} of yours) against the lesson's", if changes == 1 { "" } else { "s" }),
            Frame::Challenge => "Goals".to_string(),
        };
        let when = if ended { format!("judged: the run has ended at {end}") } else { format!("figures are judged when the run ends, at {end}") };
        Outcomes { heading: format!("{what} · {when}"), ended, frame, goals }
    }
}

/// A figure's words and unit from its key: `failover_max_s` is "longest failover" in seconds.
fn label(name: &str) -> String {
    let (node, key) = match name.split_once('.') {
        Some((n, k)) => (Some(n), k),
        None => (None, name),
    };
    let words = match key {
        "hot_seconds" => "seconds with a hot shard".to_string(),
        "first_hot_shard" => "first hot shard".to_string(),
        "failover_max_s" => "longest time without writes in a failover".to_string(),
        "rpo_ms" => "RPO (commit time lost)".to_string(),
        "max_write_gap_s" => "longest gap between acknowledged writes".to_string(),
        "keys_moved_permille" => "keys moved".to_string(),
        "last_restore_rpo_s" => "last restore's RPO".to_string(),
        "last_restore_s" => "last restore's duration".to_string(),
        "max_memory_pct" => "peak memory".to_string(),
        "max_disk_pct" => "peak disk use".to_string(),
        "max_replay_lag_ms" => "peak replay lag".to_string(),
        "max_replay_lag_bytes" => "peak WAL not yet replayed".to_string(),
        "max_pause_ms" => "longest write pause".to_string(),
        "p99_ms" => "worst per-shard p99".to_string(),
        "scatter_p99_ratio" => "scatter-gather p99, last shard count over first".to_string(),
        "base_backups" => "base backups in the archive (it keeps the newest keep_backups)".to_string(),
        "segments_archived" => "WAL segments in the archive, intact".to_string(),
        "segments_pending" => "WAL segments waiting to be archived".to_string(),
        "drill_sla" => "DR drill against the SLA".to_string(),
        k => {
            let stem = ["_per_s", "_permille", "_pct", "_ms", "_s"].iter().find_map(|u| k.strip_suffix(u)).unwrap_or(k);
            stem.replace('_', " ")
        }
    };
    match node {
        Some(n) => format!("{n}: {words}"),
        None => words,
    }
}

/// A figure's value with its unit.
fn value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Shard if v < 0.0 => "none".into(),
        Unit::Shard => format!("shard {}", number(v)),
        Unit::Ratio => format!("{}×", number(v)),
        Unit::Bytes => sim_core::lsn::size_pretty(v.max(0.0) as u64),
        Unit::PerSecond => format!("{}/s", number(v)),
        Unit::Permille => format!("{} %", number(v / 10.0)),
        Unit::Percent => format!("{} %", number(v)),
        Unit::Ms => format!("{} ms", number(v)),
        Unit::Seconds => format!("{} s", number(v)),
        Unit::Count => number(v),
    }
}

/// A figure's bounds in words: "exactly 1", "at least 30 s", "at most 1 min", "none".
fn range(f: &Figure) -> String {
    let u = f.unit;
    match (f.min, f.max) {
        (Some(a), Some(z)) if a == z => format!("exactly {}", value(u, a)),
        (Some(a), Some(z)) => format!("{} to {}", value(u, a), value(u, z)),
        (Some(a), None) => format!("at least {}", value(u, a)),
        (None, Some(0.0)) => "none".into(),
        (None, Some(z)) => format!("at most {}", value(u, z)),
        (None, None) => "any".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::report::ExpectKind;

    fn fig(name: &str, value: f64, min: Option<f64>, max: Option<f64>, ok: bool) -> ExpectResult {
        // The unit is the metric's own, as the world reports it.
        let unit = sim_core::scenario::Metric::parse(name).map_or(Unit::Count, |m| m.unit());
        ExpectResult { name: name.into(), ok, detail: String::new(), kind: ExpectKind::AtEnd, figure: Some(Figure { value, min, max, unit }) }
    }

    #[test]
    fn figures_read_as_prose_with_units() {
        let g = Goal::of(&fig("failover_max_s", 36.03515625, None, Some(30.0), false), true, Frame::Challenge);
        assert_eq!((g.state, g.text.as_str()), (GoalState::Failed, "longest time without writes in a failover: 36.0 s (goal: at most 30 s)"));
        let g = Goal::of(&fig("restores", 4.0, Some(3.0), Some(3.0), false), true, Frame::Lesson);
        assert_eq!(g.text, "restores: 4 (expected exactly 3)");
        let g = Goal::of(&fig("keys_moved_permille", 508.0, Some(400.0), None, true), true, Frame::Lesson);
        assert_eq!(g.text, "keys moved: 50.8 % (expected at least 40 %)");
        let g = Goal::of(&fig("failed_writes", 36641.0, None, Some(0.0), false), true, Frame::Lesson);
        assert_eq!(g.text, "failed writes: 36,641 (expected none)");
        assert!(!g.text.contains('_') && !g.text.contains('['));
    }

    /// A learner who changes a lesson's run sees a comparison, never a failure; a challenge's
    /// goals stay the learner's to meet.
    #[test]
    fn a_changed_run_differs_from_the_lesson_rather_than_failing() {
        let hot = fig("hot_seconds", 0.0, Some(30.0), None, false);
        let g = Goal::of(&hot, true, Frame::Changed { changes: 1 });
        assert_eq!((g.state, g.text.as_str()), (GoalState::Differs, "seconds with a hot shard: 0 s (the lesson's run: at least 30 s)"));
        assert_eq!(Goal::of(&hot, true, Frame::Lesson).state, GoalState::Failed);
        assert_eq!(Goal::of(&hot, true, Frame::Challenge).state, GoalState::Failed);
        assert_eq!(Goal::of(&hot, false, Frame::Changed { changes: 1 }).state, GoalState::Pending);
        let shown = ExpectResult { name: "violated:no_acked_commit_lost".into(), ok: true, detail: "lost 3".into(), kind: ExpectKind::Violated, figure: None };
        let g = Goal::of(&shown, true, Frame::Lesson);
        assert_eq!((g.state, g.state.mark(), g.text.as_str()), (GoalState::ViolatedAsShown, "⚠", "no acked commit lost: broken, as the lesson shows: lost 3"));
        let o = Outcomes::of(vec![g], Frame::Lesson, true, 120_000);
        assert!(o.heading.contains("run has ended"), "{}", o.heading);
    }
}
