//! dbsim's query planner (chapter 11): a PostgreSQL 15-faithful model of statistics, selectivity,
//! costs, join search and EXPLAIN [ANALYZE] over deterministic generated data. Pure computation:
//! nothing here knows the replication world.
//!
//! A lesson file ([`lesson`]) describes tables, indexes and queries; [`db::Database`] generates the
//! rows and gathers statistics ([`stats`]); a statement is parsed ([`sql`]), resolved ([`bind`]),
//! estimated ([`selfuncs`], [`cost`]), planned ([`plan`]), run ([`exec`]) and printed ([`explain`]).

pub mod bind;
pub mod catalog;
pub mod cost;
pub mod db;
pub mod exec;
pub mod explain;
pub mod lesson;
pub mod plan;
pub mod selfuncs;
pub mod settings;
pub mod sql;
pub mod stats;

pub use db::Database;
pub use lesson::LessonError;
pub use sql::SqlError;

use bind::Query;
use exec::Analyzed;
use plan::Plan;
use sql::ExplainOpts;
use std::rc::Rc;

/// A loaded planner lesson: its text parts and its database.
#[derive(Debug)]
pub struct Lesson {
    pub file: lesson::LessonFile,
    pub db: Database,
}

/// Reads and builds a lesson (`seed` overrides the file's own).
pub fn load(file: &str, src: &str, seed: Option<u64>) -> Result<Lesson, LessonError> {
    let lf = lesson::parse(file, src)?;
    let seed = seed.unwrap_or(lf.seed);
    let db = Database::build(file, src, &lf, seed)?;
    for (i, q) in lf.queries.iter().enumerate() {
        if let Err(e) = prepare(&db, q.sql.get_ref()) {
            let at = q.sql.span().start + 1 + e.position.unwrap_or(1).saturating_sub(1);
            return Err(lesson::placed(file, src, at, format!("query[{i}].sql"), e.message));
        }
    }
    Ok(Lesson { file: lf, db })
}

/// A planned (and perhaps executed) statement.
#[derive(Debug)]
pub struct Explained {
    pub query: Query,
    pub plan: Rc<Plan>,
    pub opts: ExplainOpts,
    pub analyzed: Option<Analyzed>,
    pub planning_ms: f64,
}

impl Explained {
    pub fn text(&self, db: &Database) -> String {
        explain::text(&explain::Deparse { db, q: &self.query }, &self.plan, &self.opts, self.analyzed.as_ref(), self.planning_ms)
    }
    pub fn json(&self, db: &Database) -> serde_json::Value {
        explain::json(&explain::Deparse { db, q: &self.query }, &self.plan, &self.opts, self.analyzed.as_ref(), self.planning_ms)
    }
    /// The output in the statement's own format.
    pub fn render(&self, db: &Database) -> String {
        match self.opts.format {
            sql::Format::Text => self.text(db),
            sql::Format::Json => serde_json::to_string_pretty(&self.json(db)).unwrap_or_default(),
        }
    }
}

/// Parses and resolves a statement.
pub fn prepare(db: &Database, sql_text: &str) -> Result<(Option<ExplainOpts>, Query), SqlError> {
    let st = sql::parse(sql_text)?;
    let q = bind::bind(db, &st.select)?;
    Ok((st.explain, q))
}

/// Plans a statement and, for EXPLAIN ANALYZE (or when `opts` asks), runs it. A plain SELECT is
/// explained as `EXPLAIN` would.
pub fn explain(db: &Database, sql_text: &str, opts: Option<ExplainOpts>) -> Result<Explained, SqlError> {
    let (own, query) = prepare(db, sql_text)?;
    let opts = opts.or(own).unwrap_or_default();
    let plan = plan::Planner::new(db, &query).plan();
    // Planning time is modelled from the search's size: the same for every run.
    let planning_ms = 0.04 + 0.03 * (query.rels.len() * query.rels.len()) as f64 + 0.005 * query.quals.len() as f64;
    let analyzed = if opts.analyze { Some(exec::analyze(db, &query, &plan).map_err(SqlError::plain)?) } else { None };
    Ok(Explained { query, plan, opts, analyzed, planning_ms })
}
