//! The worked examples of PostgreSQL's documentation ("How the Planner Uses Statistics" and
//! "Using EXPLAIN"), reproduced from the statistics the docs show: tenk1 of the regression database
//! with 358 pages, 10,000 rows and a 30-page unique index.
use sim_planner::{explain, load, Lesson};

/// tenk1/tenk2 as the regression database has them, with `unique1`'s histogram stated.
fn tenk(hist: &str) -> Lesson {
    let mut src = String::from("title = \"tenk1\"\n");
    let strings = r#"values = ["AAAAAA","BBAAAA","CQAAAA","CRAAAA","EJAAAA","FCAAAA","FEAAAA","FRAAAA","GSAAAA","IBAAAA","JOAAAA","KRAAAA","MCAAAA","NAAAAA","NFAAAA","PSAAAA","SGAAAA","VAAAAA","WGAAAA","XLAAAA","ZZAAAA"], dist = { uniform = 21 }"#;
    for t in ["tenk1", "tenk2"] {
        src.push_str(&format!("\n[[table]]\nname = \"{t}\"\nrows = 10000\npages = 358\ncolumns = [\n"));
        src.push_str(&format!("  {{ name = \"unique1\", type = \"int\", dist = \"shuffled\", stats = {{ n_distinct = -1, avg_width = 4, correlation = -0.01, histogram_bounds = {hist} }} }},\n"));
        src.push_str("  { name = \"unique2\", type = \"int\", dist = \"serial\" },\n");
        for c in ["two", "four", "ten", "twenty", "hundred", "thousand", "twothousand", "fivethous", "tenthous", "odd", "even"] {
            src.push_str(&format!("  {{ name = \"{c}\", type = \"int\", dist = {{ uniform = 10 }} }},\n"));
        }
        src.push_str(&format!("  {{ name = \"stringu1\", type = \"text\", {strings}, stats = {{ n_distinct = 676, avg_width = 64, most_common_vals = [\"EJAAAA\",\"BBAAAA\",\"CRAAAA\",\"FCAAAA\",\"FEAAAA\",\"GSAAAA\",\"JOAAAA\",\"MCAAAA\",\"NAAAAA\",\"WGAAAA\"], most_common_freqs = [0.00333333,0.003,0.003,0.003,0.003,0.003,0.003,0.003,0.003,0.003], histogram_bounds = [\"AAAAAA\",\"CQAAAA\",\"FRAAAA\",\"IBAAAA\",\"KRAAAA\",\"NFAAAA\",\"PSAAAA\",\"SGAAAA\",\"VAAAAA\",\"XLAAAA\",\"ZZAAAA\"] }} }},\n"));
        src.push_str(&format!("  {{ name = \"stringu2\", type = \"text\", {strings}, stats = {{ n_distinct = 676, avg_width = 64 }} }},\n"));
        src.push_str(&format!("  {{ name = \"string4\", type = \"text\", {strings}, stats = {{ n_distinct = 4, avg_width = 64 }} }},\n]\n"));
        for (c, name) in [("unique1", "unique1"), ("unique2", "unique2")] {
            src.push_str(&format!("\n[[index]]\nname = \"{t}_{name}\"\ntable = \"{t}\"\ncolumns = [\"{c}\"]\nunique = true\npages = 30\ntree_height = 1\n"));
        }
    }
    load("tenk1.toml", &src, None).unwrap_or_else(|e| panic!("{e}\n{src}"))
}

/// The planstats chapter's histogram for unique1 (10 buckets).
fn docs_hist() -> String {
    "[0,993,1997,3050,4040,5036,5957,7057,8029,9016,9995]".into()
}

/// A 100-bucket histogram like the one behind "Using EXPLAIN": bounds 0, 98, 198, …, 9898, 9999.
fn perform_hist() -> String {
    let mut b = vec![0i64];
    b.extend((1..100).map(|i| 100 * i - 2));
    b.push(9999);
    format!("[{}]", b.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(","))
}

fn plan_text(l: &Lesson, sql: &str) -> String {
    explain(&l.db, sql, None).unwrap_or_else(|e| panic!("{}", e.render(sql))).text(&l.db)
}

#[test]
fn seq_scan_of_tenk1_costs_458() {
    let l = tenk(&docs_hist());
    assert_eq!(plan_text(&l, "EXPLAIN SELECT * FROM tenk1"), "Seq Scan on tenk1  (cost=0.00..458.00 rows=10000 width=244)");
}

#[test]
fn range_estimate_from_the_histogram() {
    let l = tenk(&docs_hist());
    // (1 + (1000 - 993) / (1997 - 993)) / 10 = 0.100697: 1007 rows for "<=", as the docs work it out.
    assert!(plan_text(&l, "EXPLAIN SELECT * FROM tenk1 WHERE unique1 <= 1000").contains("rows=1007 "));
    // PostgreSQL 12+ takes one value's share (1/10000) off for "<": 1006 (the docs show 8.3's 1007).
    assert!(plan_text(&l, "EXPLAIN SELECT * FROM tenk1 WHERE unique1 < 1000").contains("rows=1006 "));
}

#[test]
fn equality_uses_the_mcv_list() {
    let l = tenk(&docs_hist());
    let t = plan_text(&l, "EXPLAIN SELECT * FROM tenk1 WHERE stringu1 = 'CRAAAA'");
    assert!(t.starts_with("Seq Scan on tenk1  (cost=0.00..483.00 rows=30 width=244)"), "{t}");
    assert!(t.contains("Filter: (stringu1 = 'CRAAAA'::text)"), "{t}");
    // Not an MCV: (1 - sum(mcf)) / (676 - 10) = 0.0014559 -> 15 rows.
    assert!(plan_text(&l, "EXPLAIN SELECT * FROM tenk1 WHERE stringu1 = 'xxx'").contains("rows=15 "));
    // Independent clauses multiply: 0.100597 * 0.0014559 -> 1 row.
    let t = plan_text(&l, "EXPLAIN SELECT * FROM tenk1 WHERE unique1 < 1000 AND stringu1 = 'xxx'");
    assert!(t.lines().next().unwrap().contains("rows=1 "), "{t}");
}

#[test]
fn using_explain_bitmap_and_index_scans() {
    let l = tenk(&perform_hist());
    let t = plan_text(&l, "EXPLAIN SELECT * FROM tenk1 WHERE unique1 < 100");
    assert_eq!(
        t,
        "Bitmap Heap Scan on tenk1  (cost=5.07..229.20 rows=101 width=244)\n  Recheck Cond: (unique1 < 100)\n  ->  Bitmap Index Scan on tenk1_unique1  (cost=0.00..5.04 rows=101 width=0)\n        Index Cond: (unique1 < 100)"
    );
    let t = plan_text(&l, "EXPLAIN SELECT * FROM tenk1 WHERE unique1 < 100 AND stringu1 = 'xxx'");
    assert!(t.starts_with("Bitmap Heap Scan on tenk1  (cost=5.04..229.43 rows=1 width=244)\n  Recheck Cond: (unique1 < 100)\n  Filter: (stringu1 = 'xxx'::text)"), "{t}");
    assert_eq!(plan_text(&l, "EXPLAIN SELECT * FROM tenk1 WHERE unique1 = 42"), "Index Scan using tenk1_unique1 on tenk1  (cost=0.29..8.30 rows=1 width=244)\n  Index Cond: (unique1 = 42)");
}

#[test]
fn using_explain_nested_loop_join() {
    let l = tenk(&perform_hist());
    let t = plan_text(&l, "EXPLAIN SELECT * FROM tenk1 t1, tenk2 t2 WHERE t1.unique1 < 10 AND t1.unique2 = t2.unique2");
    let lines: Vec<&str> = t.lines().collect();
    // The docs print 118.62 (their tenk2 index costs 7.91 a loop, ours 7.90).
    assert!(lines[0].starts_with("Nested Loop  (cost=4.65..118.5"), "{t}");
    assert!(lines[0].ends_with("rows=10 width=488)"), "{t}");
    assert!(lines[1].starts_with("  ->  Bitmap Heap Scan on tenk1 t1  (cost=4.36..39.47 rows=10 width=244)"), "{t}");
    assert!(t.contains("  ->  Index Scan using tenk2_unique2 on tenk2 t2  (cost=0.29..7.9"), "{t}");
    assert!(t.contains("        Index Cond: (unique2 = t1.unique2)"), "{t}");
}

/// BUFFERS shows what planning read: `get_actual_variable_range`'s probe of unique1's index for
/// its actual maximum (or minimum) when a range reaches the histogram's last (or first) bucket,
/// each a descent of the 2-level index and a visibility map page.
#[test]
fn planning_buffers_are_the_index_probes_for_a_columns_ends() {
    let l = tenk(&perform_hist());
    let text = |sql: &str| explain(&l.db, sql, None).unwrap().text(&l.db);
    let top_end = text("EXPLAIN (BUFFERS) SELECT * FROM tenk1 WHERE unique1 > 9990");
    assert!(top_end.ends_with("\nPlanning:\n  Buffers: shared hit=3"), "{top_end}");
    let low_end = text("EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM tenk1 WHERE unique1 < 5");
    assert!(low_end.contains("\nPlanning:\n  Buffers: shared hit=3\nPlanning Time: "), "{low_end}");
    // Both ends: two probes, each counted once though the range is estimated for the Seq Scan
    // and the index paths alike.
    let both = text("EXPLAIN (BUFFERS) SELECT * FROM tenk1 WHERE unique1 > 9990 AND unique2 < 5");
    assert!(both.ends_with("\nPlanning:\n  Buffers: shared hit=6"), "{both}");
    let middle = text("EXPLAIN (BUFFERS) SELECT * FROM tenk1 WHERE unique1 < 3000");
    assert!(!middle.contains("Planning:"), "a bound inside the histogram probes nothing:\n{middle}");
    // No index leads with the column: nothing to probe.
    assert!(!text("EXPLAIN (BUFFERS) SELECT * FROM tenk1 WHERE hundred > 9").contains("Planning:"));
    // Without BUFFERS, no block.
    assert!(!text("EXPLAIN SELECT * FROM tenk1 WHERE unique1 > 9990").contains("Planning:"));
    let json = explain(&l.db, "EXPLAIN (BUFFERS, FORMAT JSON) SELECT * FROM tenk1 WHERE unique1 > 9990", None).unwrap().json(&l.db);
    assert_eq!(json[0]["Planning"]["Shared Hit Blocks"], 3, "{json}");
}
