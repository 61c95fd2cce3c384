//! A planner challenge: make one of the lesson's queries a given factor faster with what-if
//! commands (indexes, statistics, settings), as EXPLAIN ANALYZE times it. The time is the
//! simulated executor's, so an attempt is a pure function of (lesson, seed, commands).
use crate::command::PlanCommand;
use crate::sql::ExplainOpts;
use crate::Lesson;

/// How an attempt stands against the challenge's goal.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    /// The query's execution time as the lesson stands, and with the learner's commands (ms).
    pub baseline_ms: f64,
    pub ms: f64,
    /// `baseline_ms / ms`.
    pub speedup: f64,
    /// The factor the challenge asks for.
    pub goal: f64,
    pub met: bool,
}

fn execution_ms(db: &crate::db::Database, sql: &str) -> Result<f64, String> {
    let opts = ExplainOpts { analyze: true, ..Default::default() };
    let e = crate::explain(db, sql, Some(opts)).map_err(|e| e.render(sql))?;
    e.analyzed.map(|a| a.execution_ms).ok_or_else(|| "the query did not run".to_string())
}

/// Times the challenge's query without and with `commands` (applied in order on the query's
/// database). `None` when the lesson is not a challenge.
pub fn attempt(lesson: &Lesson, commands: &[PlanCommand]) -> Option<Result<Attempt, String>> {
    let c = lesson.file.challenge.as_ref()?;
    Some((|| {
        let q = lesson.file.queries.get(c.query).ok_or_else(|| format!("the challenge names query {}, which does not exist", c.query))?;
        let mut db = lesson.states.get(c.query).cloned().ok_or("no such query")?;
        let sql = q.sql.get_ref();
        let baseline_ms = execution_ms(&db, sql)?;
        for cmd in commands {
            cmd.apply(&mut db).map_err(|e| format!("ERROR:  {e}"))?;
        }
        let ms = execution_ms(&db, sql)?;
        let speedup = baseline_ms / ms.max(1e-9);
        Ok(Attempt { baseline_ms, ms, speedup, goal: c.speedup, met: speedup >= c.speedup })
    })())
}
