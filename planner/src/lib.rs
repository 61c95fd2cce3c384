//! dbsim's query planner (chapter 11): a PostgreSQL 15-faithful model of statistics, selectivity,
//! costs, join search and EXPLAIN [ANALYZE] over deterministic generated data. Pure computation:
//! nothing here knows the replication world.
//!
//! A lesson file ([`lesson`]) describes tables, indexes and queries; [`db::Database`] generates the
//! rows and gathers statistics ([`stats`]); a statement is parsed ([`sql`]), resolved ([`bind`]),
//! estimated ([`selfuncs`], [`cost`]), planned ([`plan`]), run ([`exec`]) and printed ([`explain`]).

pub mod bind;
pub mod catalog;
pub mod challenge;
pub mod check;
pub mod command;
pub mod cost;
pub mod dataexpr;
pub mod db;
pub mod exec;
pub mod explain;
pub mod export;
pub mod lesson;
pub mod loaded;
pub mod plan;
pub mod selfuncs;
pub mod settings;
pub mod sql;
pub mod stats;
pub mod view;
pub mod whatif;

pub use db::Database;
pub use explain::{explain, prepare, Explained};
pub use lesson::LessonError;
pub use loaded::Lesson;
pub use sql::SqlError;

/// Whether a lesson file is a planner lesson: it has tables and queries (`[[table]]`, `[[query]]`).
pub fn is_planner_lesson(src: &str) -> bool {
    toml::from_str::<toml::Table>(src).is_ok_and(|t| t.contains_key("query") && t.contains_key("table"))
}

/// Reads and builds a lesson (`seed` overrides the file's own), and checks its challenge's reference solution.
pub fn load(file: &str, src: &str, seed: Option<u64>) -> Result<Lesson, LessonError> {
    let lesson = loaded::build(file, src, seed)?;
    if let Some(c) = &lesson.file.challenge {
        let at = src.find("[challenge]").unwrap_or(0);
        let bad = |field: &str, m: String| Err(lesson::placed(file, src, at, format!("challenge.{field}"), m));
        if c.query >= lesson.file.queries.len() {
            return bad("query", format!("query = {} names no query (the lesson has {})", c.query, lesson.file.queries.len()));
        }
        if !(c.speedup > 1.0 && c.speedup <= 10_000.0) {
            return bad("speedup", format!("speedup = {} must be above 1 and at most 10000", c.speedup));
        }
        if c.solution.is_empty() {
            return bad("solution", "a challenge ships with a reference solution: at least one command".into());
        }
        if let Some(Err(e)) = challenge::attempt(&lesson, &c.solution) {
            return bad("solution", e);
        }
    }
    Ok(lesson)
}
