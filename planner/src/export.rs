//! `dbsim sql FILE`: a planner lesson as SQL that recreates it in a real PostgreSQL — the same
//! rows (COPY of the generated data, so the statistics come out the same), indexes, statistics
//! objects, settings, `VACUUM ANALYZE`, then each query's changes and `EXPLAIN (FORMAT JSON)`.
use crate::catalog::NULL;
use crate::Lesson;
use std::fmt::Write;

/// The marker line `psql` echoes before query `i`'s plan.
pub fn marker(i: usize) -> String {
    format!("@@dbsim query {i}")
}

pub fn sql(lesson: &Lesson) -> String {
    let db = &lesson.db;
    let mut s = String::new();
    let _ = writeln!(s, "-- dbsim planner lesson: {} (seed {})", lesson.file.title, db.seed);
    s.push_str("-- dbsim plans without JIT.\nSET jit = off;\nSET client_min_messages = warning;\n");
    for (k, v) in db.settings.changed() {
        let _ = writeln!(
            s,
            "SET {k} = '{}';",
            if v == "true" {
                "on".into()
            } else if v == "false" {
                "off".into()
            } else {
                v
            }
        );
    }
    for t in &db.tables {
        let _ = writeln!(s, "DROP TABLE IF EXISTS {} CASCADE;", t.name);
        let cols: Vec<String> = t.columns.iter().map(|c| format!("{} {}", c.name, c.ty.sql())).collect();
        let _ = writeln!(s, "CREATE TABLE {} ({});", t.name, cols.join(", "));
        for (c, target) in t.columns.iter().zip(&t.targets) {
            if let Some(n) = target {
                let _ = writeln!(s, "ALTER TABLE {} ALTER COLUMN {} SET STATISTICS {n};", t.name, c.name);
            }
        }
        // A table of expressions of the row number is written as one: the same rows.
        if let Some(exprs) = lesson.file.tables.iter().find(|spec| *spec.name.get_ref() == t.name).and_then(series_columns) {
            let _ = writeln!(s, "INSERT INTO {} SELECT {} FROM generate_series(1, {}) g;", t.name, exprs.join(", "), t.rows);
            continue;
        }
        let _ = writeln!(s, "COPY {} FROM stdin;", t.name);
        for r in 0..t.rows {
            let vals: Vec<String> = t
                .columns
                .iter()
                .enumerate()
                .map(|(ci, c)| {
                    let v = t.data[ci][r];
                    if v == NULL {
                        "\\N".to_string()
                    } else {
                        c.text.as_ref().map_or_else(|| v.to_string(), |d| d.render(v))
                    }
                })
                .collect();
            s.push_str(&vals.join("\t"));
            s.push('\n');
        }
        s.push_str("\\.\n");
    }
    for i in &db.indexes {
        let cols: Vec<&str> = i.columns.iter().map(|&c| db.tables[i.table].columns[c].name.as_str()).collect();
        let _ = writeln!(s, "CREATE {}INDEX {} ON {} ({});", if i.unique { "UNIQUE " } else { "" }, i.name, db.tables[i.table].name, cols.join(", "));
    }
    for (e, _) in &db.ext {
        let cols: Vec<&str> = e.columns.iter().map(|&c| db.tables[e.table].columns[c].name.as_str()).collect();
        let kinds: Vec<&str> = e.kinds.iter().map(|k| if *k == crate::catalog::ExtKind::Dependencies { "dependencies" } else { "ndistinct" }).collect();
        let _ = writeln!(s, "CREATE STATISTICS {} ({}) ON {} FROM {};", e.name, kinds.join(", "), cols.join(", "), db.tables[e.table].name);
    }
    s.push_str("VACUUM ANALYZE;\n");
    for (i, q) in lesson.file.queries.iter().enumerate() {
        let state = if i == 0 { db } else { &lesson.states[i - 1] };
        for c in &q.changes {
            let _ = writeln!(s, "{}", c.get_ref().sql(state));
        }
        let _ = writeln!(s, "\\echo {}", marker(i));
        let body = q.sql.get_ref().trim().trim_end_matches(';');
        let _ = writeln!(s, "EXPLAIN (FORMAT JSON) {body};");
    }
    s
}

/// A table's columns as expressions of generate_series's `g`, when every one is (an integer
/// column that is serial, a constant or an expression without random numbers, and no NULLs
/// drawn at random).
fn series_columns(spec: &crate::lesson::TableSpec) -> Option<Vec<String>> {
    use crate::lesson::Dist;
    spec.columns
        .iter()
        .map(|c| {
            if c.ty == crate::catalog::ColType::Text || c.null_frac > 0.0 {
                return None;
            }
            match c.dist.get_ref() {
                Dist::Serial => Some("g".to_string()),
                Dist::Const(v) => Some(v.to_string()),
                Dist::Expr(src) => crate::dataexpr::DataExpr::parse(src).ok().filter(|e| !e.is_random()).map(|e| e.sql()),
                _ => None,
            }
        })
        .collect()
}
