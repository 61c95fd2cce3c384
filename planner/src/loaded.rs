//! A planner lesson loaded: its file, its database, and the database as each query sees it
//! after that query's and the earlier queries' what-if changes.
use crate::db::Database;
use crate::explain::{prepare, Explained};
use crate::lesson::{self, LessonError};
use crate::sql::{ExplainOpts, SqlError};

/// A loaded planner lesson: its text parts, its database, and the database as each query sees it
/// (after that query's and the earlier queries' changes).
#[derive(Debug)]
pub struct Lesson {
    pub file: lesson::LessonFile,
    pub db: Database,
    pub states: Vec<Database>,
}

/// Reads a lesson file and builds its database, and the database as each query sees it (`seed`
/// overrides the file's own); the crate's `load` also checks its challenge.
pub fn build(file: &str, src: &str, seed: Option<u64>) -> Result<Lesson, LessonError> {
    let lf = lesson::parse(file, src)?;
    let seed = seed.unwrap_or(lf.seed);
    let db = Database::build(file, src, &lf, seed)?;
    let mut states = Vec::new();
    let mut cur = db.clone();
    for (i, q) in lf.queries.iter().enumerate() {
        for (k, c) in q.changes.iter().enumerate() {
            c.get_ref().apply(&mut cur).map_err(|m| lesson::placed(file, src, c.span().start, format!("query[{i}].changes[{k}]"), m))?;
        }
        if let Err(e) = prepare(&cur, q.sql.get_ref()) {
            let at = q.sql.span().start + 1 + e.position.unwrap_or(1).saturating_sub(1);
            return Err(lesson::placed(file, src, at, format!("query[{i}].sql"), e.message));
        }
        states.push(cur.clone());
    }
    Ok(Lesson { file: lf, db, states })
}

impl Lesson {
    /// Runs query `i` under EXPLAIN ANALYZE (as the lesson's checks see it).
    pub fn run(&self, i: usize) -> Result<Explained, SqlError> {
        let opts = ExplainOpts { analyze: true, ..Default::default() };
        crate::explain::explain(&self.states[i], self.file.queries[i].sql.get_ref(), Some(opts))
    }

    /// Every query's expectations: (query index, what was promised, whether it holds).
    pub fn check(&self) -> Vec<(usize, String, bool)> {
        let mut out = Vec::new();
        let mut previous: Option<Explained> = None;
        for (i, q) in self.file.queries.iter().enumerate() {
            match self.run(i) {
                Ok(e) => {
                    out.extend(crate::check::expectations(&q.expect, &e, previous.as_ref()).into_iter().map(|(what, ok)| (i, what, ok)));
                    previous = Some(e);
                }
                Err(err) => {
                    out.push((i, format!("runs ({})", err.message), false));
                    previous = None;
                }
            }
        }
        out
    }
}
