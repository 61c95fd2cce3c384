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
pub mod db;
pub mod exec;
pub mod explain;
pub mod export;
pub mod lesson;
pub mod plan;
pub mod selfuncs;
pub mod settings;
pub mod sql;
pub mod stats;
pub mod view;

pub use db::Database;
pub use lesson::LessonError;
pub use sql::SqlError;

use bind::Query;
use exec::Analyzed;
use plan::Plan;
use sql::ExplainOpts;
use std::rc::Rc;

/// A loaded planner lesson: its text parts, its database, and the database as each query sees it
/// (after that query's and the earlier queries' changes).
#[derive(Debug)]
pub struct Lesson {
    pub file: lesson::LessonFile,
    pub db: Database,
    pub states: Vec<Database>,
}

/// Reads and builds a lesson (`seed` overrides the file's own).
/// Whether a lesson file is a planner lesson: it has tables and queries (`[[table]]`, `[[query]]`).
pub fn is_planner_lesson(src: &str) -> bool {
    toml::from_str::<toml::Table>(src).is_ok_and(|t| t.contains_key("query") && t.contains_key("table"))
}

pub fn load(file: &str, src: &str, seed: Option<u64>) -> Result<Lesson, LessonError> {
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
    let lesson = Lesson { file: lf, db, states };
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

impl Lesson {
    /// Runs query `i` under EXPLAIN ANALYZE (as the lesson's checks see it).
    pub fn run(&self, i: usize) -> Result<Explained, SqlError> {
        let opts = ExplainOpts { analyze: true, ..Default::default() };
        explain(&self.states[i], self.file.queries[i].sql.get_ref(), Some(opts))
    }

    /// Every query's expectations: (query index, what was promised, whether it holds).
    pub fn check(&self) -> Vec<(usize, String, bool)> {
        let mut out = Vec::new();
        for (i, q) in self.file.queries.iter().enumerate() {
            match self.run(i) {
                Ok(e) => out.extend(check::expectations(&q.expect, &e).into_iter().map(|(what, ok)| (i, what, ok))),
                Err(err) => out.push((i, format!("runs ({})", err.message), false)),
            }
        }
        out
    }
}
