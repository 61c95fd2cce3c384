//! A planner lesson file (TOML): tables with generated columns, indexes, `CREATE STATISTICS`,
//! settings, queries and their expectations. Read with serde; every error names
//! file:line:column and the field.
use crate::catalog::{ColType, ExtKind};
use crate::settings::Settings;
use serde::Deserialize;
use std::fmt;
use toml::Spanned;

/// A bad lesson: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}: {}", self.file, self.line, self.column, if self.field.is_empty() { "lesson" } else { &self.field }, self.message)
    }
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LessonFile {
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default = "one")]
    pub seed: u64,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default, rename = "table")]
    pub tables: Vec<TableSpec>,
    #[serde(default, rename = "index")]
    pub indexes: Vec<IndexSpec>,
    #[serde(default, rename = "statistics")]
    pub statistics: Vec<StatisticsSpec>,
    #[serde(default, rename = "query")]
    pub queries: Vec<QuerySpec>,
    /// `[challenge]`: make one query faster with the learner's own what-if commands.
    #[serde(default)]
    pub challenge: Option<PlanChallenge>,
}

/// `[challenge]` of a planner lesson: the learner's what-if commands (indexes, statistics,
/// settings) must make query `query` at least `speedup` times faster, as EXPLAIN ANALYZE times
/// it. `solution` is the reference the tests replay: it must meet the goal for every seed.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanChallenge {
    /// What the learner must do.
    pub task: String,
    #[serde(default)]
    pub hints: Vec<String>,
    /// The query (0-based) to speed up.
    pub query: usize,
    /// How many times faster it must run.
    pub speedup: f64,
    pub solution: Vec<crate::command::PlanCommand>,
}

fn one() -> u64 {
    1
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub name: Spanned<String>,
    #[cfg_attr(feature = "schema", schemars(with = "u64"))]
    pub rows: Spanned<u64>,
    pub columns: Vec<ColumnSpec>,
    /// Creates the unique index `<table>_pkey`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub primary_key: Option<Spanned<String>>,
    /// `pg_class.relpages` / `reltuples` stated instead of measured.
    #[serde(default)]
    pub pages: Option<f64>,
    #[serde(default)]
    pub tuples: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub ty: ColType,
    #[cfg_attr(feature = "schema", schemars(with = "Dist"))]
    pub dist: Spanned<Dist>,
    /// The strings of a text column (sorted on load).
    #[serde(default)]
    pub values: Option<Vec<String>>,
    /// Or: a text column of `prefix` and a zero-padded number.
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub null_frac: f64,
    /// `pg_stats` stated instead of computed by ANALYZE (to reproduce a documented example).
    #[serde(default)]
    pub stats: Option<StatedStats>,
    /// `ALTER TABLE … ALTER COLUMN … SET STATISTICS n`.
    #[serde(default)]
    pub statistics_target: Option<u32>,
}

/// How a column's values are generated (deterministically from the lesson's seed).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    /// 1, 2, 3, … in physical order (correlation 1).
    Serial,
    /// 1..=rows in a random order (unique, correlation near 0).
    Shuffled,
    /// Uniform over 1..=n.
    Uniform(u64),
    /// Zipf over 1..=n with exponent s: 1 is the most common.
    Zipf { n: u64, s: f64 },
    /// The same value as another column (perfectly correlated columns).
    Copy(String),
    /// Another column divided by `by` (a functional dependency).
    Div { of: String, by: i64 },
    /// Another column modulo `by`.
    Mod { of: String, by: i64 },
    /// One value in every row.
    Const(i64),
    /// An expression of the row number `g` (1, 2, …), as `INSERT … SELECT … FROM
    /// generate_series(1, n) g` would compute it: `"1 + (g * 7919) % 20000"`, `"CASE WHEN g % 20
    /// = 0 THEN 2 ELSE 1 END"`, with `uniform(n)` and `zipf(n, s)` for random values
    /// (crate::dataexpr).
    Expr(String),
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IndexSpec {
    #[serde(default)]
    pub name: Option<String>,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub table: Spanned<String>,
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    pub columns: Vec<Spanned<String>>,
    #[serde(default)]
    pub unique: bool,
    /// Stated `relpages` and tree height (to reproduce a documented example).
    #[serde(default)]
    pub pages: Option<f64>,
    #[serde(default)]
    pub tree_height: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StatisticsSpec {
    pub name: String,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub table: Spanned<String>,
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    pub columns: Vec<Spanned<String>>,
    #[serde(default = "all_kinds")]
    pub kinds: Vec<ExtKind>,
}

fn all_kinds() -> Vec<ExtKind> {
    vec![ExtKind::Dependencies, ExtKind::Ndistinct]
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    #[serde(default)]
    pub name: String,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub sql: Spanned<String>,
    /// What-if changes applied before this query (and kept for the queries after it).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<crate::command::PlanCommand>"))]
    pub changes: Vec<Spanned<crate::command::PlanCommand>>,
    /// What the student should notice, shown with the plan.
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub expect: Expect,
}

/// What a lesson promises about a query's plan, for every seed.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Node types that must appear (`"Hash Join"`, `"Index Scan"`).
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Node types that must not appear.
    #[serde(default)]
    pub absent: Vec<String>,
    /// The top node's type.
    #[serde(default)]
    pub top: Option<String>,
    /// The largest estimated-to-actual row factor over all nodes must be at least this.
    #[serde(default)]
    pub misestimate_at_least: Option<f64>,
    /// ...or at most this.
    #[serde(default)]
    pub misestimate_at_most: Option<f64>,
    /// Every Sort node sorted this way: "quicksort", "top-N heapsort" or "external merge".
    #[serde(default)]
    pub sort_method: Option<String>,
    /// Some Hash node used at least this many batches…
    #[serde(default)]
    pub batches_at_least: Option<f64>,
    /// …or every Hash node at most this many.
    #[serde(default)]
    pub batches_at_most: Option<f64>,
    /// The query returns at least this many rows (EXPLAIN ANALYZE's top node)…
    #[serde(default)]
    pub rows_at_least: Option<f64>,
    /// …or at most this many.
    #[serde(default)]
    pub rows_at_most: Option<f64>,
    /// The run takes at most this share of the previous query's time (0.6: 60 %).
    #[serde(default)]
    pub time_at_most_of_previous: Option<f64>,
}

/// Reads a lesson file; syntax and type errors are placed.
pub fn parse(file: &str, src: &str) -> Result<LessonFile, LessonError> {
    let de = toml::Deserializer::parse(src).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        placed(file, src, at, String::new(), e.message().trim().to_string())
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let inner = e.into_inner();
        let at = inner.span().map_or(0, |s| s.start);
        placed(file, src, at, path, inner.message().trim().to_string())
    })
}

/// An error at byte `at` of `src`.
pub fn placed(file: &str, src: &str, at: usize, field: String, message: String) -> LessonError {
    let at = (0..=at.min(src.len())).rev().find(|&i| src.is_char_boundary(i)).unwrap_or(0);
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |p| before[p + 1..].chars().count()) + 1;
    LessonError { file: file.into(), line, column, field, message }
}

/// A constant in stated statistics: a number, or a string of a text column.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Literal {
    Int(i64),
    Str(String),
}

/// A `pg_stats` row as a lesson states it (values written as SQL would show them).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StatedStats {
    #[serde(default)]
    pub null_frac: f64,
    #[serde(default)]
    pub avg_width: f64,
    pub n_distinct: f64,
    #[serde(default)]
    pub most_common_vals: Vec<Literal>,
    #[serde(default)]
    pub most_common_freqs: Vec<f64>,
    #[serde(default)]
    pub histogram_bounds: Vec<Literal>,
    #[serde(default)]
    pub correlation: Option<f64>,
}

/// The JSON Schema of planner lesson files (`scenarios/planner/*.toml`), for editors
/// (`dbsim schema --planner`).
#[cfg(feature = "schema")]
pub fn schema() -> schemars::Schema {
    let mut s = schemars::generate::SchemaSettings::draft07().into_generator().into_root_schema_for::<LessonFile>();
    s.insert("title".into(), "dbsim planner lesson".into());
    s.insert("description".into(), "A dbsim query-planner lesson (chapter 11): tables and their generated data, indexes, statistics, settings and queries. See docs/planner.md.".into());
    s
}
