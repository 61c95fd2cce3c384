//! Bad input gets PostgreSQL's error with its position (SQL) or file:line:column:field (lesson
//! files), never a panic; the JSON format carries PostgreSQL's keys.
use sim_planner::{explain, load};

const LESSON: &str = r#"title = "t"
[[table]]
name = "customers"
rows = 100
primary_key = "id"
columns = [{ name = "id", type = "int", dist = "serial" }, { name = "name", type = "text", dist = "serial" }]

[[table]]
name = "orders"
rows = 300
columns = [{ name = "id", type = "int", dist = "serial" }, { name = "customer_id", type = "int", dist = { uniform = 100 } }]
"#;

fn err(sql: &str) -> String {
    let l = load("t.toml", LESSON, None).unwrap();
    let e = explain(&l.db, sql, None).unwrap_err();
    e.render(sql)
}

/// A query that would run away is refused with its estimate before it runs.
#[test]
fn a_runaway_query_is_refused_with_its_estimate() {
    let big = LESSON.replace("rows = 300", "rows = 100000");
    let db = load("t.toml", &big, None).unwrap().db;
    let sql = "EXPLAIN ANALYZE SELECT * FROM orders a, orders b";
    let e = explain(&db, sql, None).unwrap_err();
    assert!(e.message.starts_with("EXPLAIN ANALYZE would run a Nested Loop estimated at 10000000000 rows"), "{}", e.message);
    // Planning it alone is fine.
    assert!(explain(&db, "EXPLAIN SELECT * FROM orders a, orders b", None).is_ok());
}

/// Set operations: PostgreSQL's errors at their places; SELECTs beyond one table are named.
#[test]
fn set_operation_errors_read_like_postgres() {
    assert_eq!(
        err("SELECT id, name FROM customers UNION SELECT id FROM orders"),
        "ERROR:  each UNION query must have the same number of columns\nLINE 1: SELECT id, name FROM customers UNION SELECT id FROM orders\n                                                    ^"
    );
    assert_eq!(
        err("SELECT id FROM orders INTERSECT SELECT name FROM customers"),
        "ERROR:  INTERSECT types integer and text cannot be matched\nLINE 1: SELECT id FROM orders INTERSECT SELECT name FROM customers\n                                               ^"
    );
    assert!(err("SELECT id FROM customers UNION SELECT id FROM orders ORDER BY count(*)").starts_with("ERROR:  invalid UNION/INTERSECT/EXCEPT ORDER BY clause"));
    assert!(err("SELECT id FROM customers UNION SELECT id FROM orders ORDER BY customers.id").starts_with("ERROR:  missing FROM-clause entry for table \"customers\""));
    assert!(err("SELECT id AS x FROM customers UNION SELECT id FROM orders ORDER BY id").starts_with("ERROR:  column \"id\" does not exist"));
    assert!(err("SELECT id FROM customers UNION SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id")
        .starts_with("NOT MODELLED:  a SELECT in a set operation that reads more than one table"));
    assert!(err("SELECT id FROM customers UNION SELECT count(*) FROM orders").starts_with("NOT MODELLED:  a SELECT in a set operation"));
    assert!(err("SELECT id FROM customers UNION (SELECT id FROM orders)").starts_with("NOT MODELLED:  a parenthesized SELECT in a set operation"));
    assert!(err("WITH o AS (SELECT id FROM orders) SELECT id FROM customers UNION SELECT id FROM o").starts_with("NOT MODELLED:  WITH together with UNION"));
    // INTERSECT binds tighter than UNION: customers ∪ (orders ∩ customers) is every customer.
    let db = load("t.toml", LESSON, None).unwrap().db;
    let e = explain(&db, "EXPLAIN ANALYZE SELECT id FROM customers WHERE id <= 10 UNION SELECT id FROM orders INTERSECT SELECT id FROM customers", None).unwrap();
    assert_eq!(e.analyzed.as_ref().map(|a| a.rows_out), Some(100), "{}", e.render(&db));
    // EXCEPT ALL takes one row off each value for each customer: 300 orders less one per
    // customer that has any.
    let rows = |sql: &str| explain(&db, sql, None).unwrap().analyzed.map(|a| a.rows_out);
    let buyers = rows("EXPLAIN ANALYZE SELECT DISTINCT customer_id FROM orders").unwrap();
    assert!(buyers > 50 && buyers < 100);
    assert_eq!(rows("EXPLAIN ANALYZE SELECT customer_id FROM orders EXCEPT ALL SELECT id FROM customers"), Some(300 - buyers));
    assert_eq!(rows("EXPLAIN ANALYZE SELECT id FROM customers EXCEPT SELECT customer_id FROM orders"), Some(100 - buyers));
    assert_eq!(rows("EXPLAIN ANALYZE SELECT id FROM customers INTERSECT ALL SELECT customer_id FROM orders"), Some(buyers));
    assert_eq!(rows("EXPLAIN ANALYZE SELECT customer_id FROM orders UNION ALL SELECT id FROM customers"), Some(400));
}

#[test]
fn sql_errors_read_like_postgres() {
    assert_eq!(err("SELECT * FROM nope"), "ERROR:  relation \"nope\" does not exist\nLINE 1: SELECT * FROM nope\n                      ^");
    assert!(err("SELECT nope FROM customers").starts_with("ERROR:  column \"nope\" does not exist\nLINE 1: SELECT nope"));
    assert!(err("SELECT id FROM customers c JOIN orders o ON o.customer_id = c.id").starts_with("ERROR:  column reference \"id\" is ambiguous"));
    assert!(err("SELECT c.id FROM customers c WHERE x.id = 1").starts_with("ERROR:  missing FROM-clause entry for table \"x\""));
    assert!(err("SELECT * FROM customers WHERE id = 'abc'").starts_with("ERROR:  invalid input syntax for type integer: \"abc\""));
    assert!(err("SELECT * FROM customers WHERE name = 1").starts_with("ERROR:  operator does not exist: text = integer"));
    assert!(err("SELECT name, count(*) FROM customers").starts_with("ERROR:  column \"customers.name\" must appear in the GROUP BY clause"));
    assert!(err("SELECT * FROM customers c FULL JOIN orders o ON o.customer_id > c.id").starts_with("ERROR:  FULL JOIN is only supported with merge-joinable or hash-joinable join conditions"));
    assert!(err("SELECT * FROM customers c FULL JOIN orders o ON o.customer_id = c.id WHERE o.id IS NULL").starts_with("NOT MODELLED:  a WHERE condition on a FULL JOIN's side"));
    // A LEFT JOIN plans, and IS NULL on the column its ON compares makes an anti join; IS NULL
    // on another column of the nullable side (a filter above the join) is named.
    let db = load("t.toml", LESSON, None).unwrap().db;
    let full = explain(&db, "SELECT * FROM customers c FULL JOIN orders o ON o.customer_id = c.id", None).unwrap().render(&db);
    assert!(full.contains("Full Join"), "{full}");
    assert!(explain(&db, "SELECT * FROM customers c LEFT JOIN orders o ON o.customer_id = c.id", None).is_ok());
    let anti = explain(&db, "SELECT c.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id WHERE o.customer_id IS NULL", None).unwrap();
    assert!(anti.render(&db).contains(" Anti Join"), "{}", anti.render(&db));
    assert!(err("SELECT c.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id WHERE o.id IS NULL").starts_with("NOT MODELLED:  a WHERE condition on a LEFT JOIN's nullable side"));
    assert!(err("SELECT * FROM customers WHERE id = ").starts_with("ERROR:  syntax error at end of input"));
    // Subqueries of WHERE: their table is theirs alone; NOT IN is a hashed SubPlan, correlated or
    // too large to hash it is named.
    assert!(err("SELECT o.id FROM customers c WHERE c.id IN (SELECT customer_id FROM orders o)").starts_with("ERROR:  missing FROM-clause entry for table \"o\""));
    assert!(err("SELECT c.id FROM customers c WHERE c.id IN (SELECT o.id, o.customer_id FROM orders o)").starts_with("ERROR:  subquery has too many columns"));
    assert!(err("SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.id = 3)").starts_with("NOT MODELLED:  a subquery that does not refer to the query around it"));
    assert!(
        err("SELECT c.id FROM customers c WHERE c.id NOT IN (SELECT o.customer_id FROM orders o WHERE o.id = c.id)").starts_with("NOT MODELLED:  a NOT IN subquery that refers to the query around it")
    );
    assert!(err("SELECT c.id FROM customers c WHERE c.name NOT IN (SELECT o.customer_id FROM orders o)").starts_with("ERROR:  operator does not exist: text = integer"));
    let semi = explain(&db, "SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)", None).unwrap();
    assert!(semi.render(&db).contains("Semi Join") || semi.render(&db).contains("HashAggregate"), "{}", semi.render(&db));
    let not_in = explain(&db, "SELECT c.id FROM customers c WHERE c.id NOT IN (SELECT o.customer_id FROM orders o)", None).unwrap();
    assert!(not_in.render(&db).contains("Filter: (NOT (hashed SubPlan 1))\n  SubPlan 1\n    ->  Seq Scan on orders o"), "{}", not_in.render(&db));
    // WITH: a CTE read once is inlined; one materialized (a CTE Scan) is named.
    let cte = explain(&db, "WITH big AS (SELECT id, customer_id AS cust FROM orders o WHERE id > 100) SELECT b.cust FROM big b WHERE b.id < 200", None).unwrap().render(&db);
    assert!(cte.contains("on orders o") && cte.contains("(id > 100)") && cte.contains("(id < 200)"), "{cte}");
    let mat = explain(&db, "WITH big AS MATERIALIZED (SELECT * FROM orders) SELECT * FROM big WHERE id = 7", None).unwrap().render(&db);
    assert!(mat.starts_with("CTE Scan on big  (cost=") && mat.contains("\n  CTE big\n    ->  Seq Scan on orders"), "{mat}");
    // Read twice, a CTE is materialized once and scanned twice (PostgreSQL splits its buffers
    // between the scans by which pulled its rows; dbsim counts them in the scan that ran it).
    let twice = explain(&db, "EXPLAIN ANALYZE WITH big AS (SELECT * FROM orders) SELECT a.id FROM big a JOIN big b ON a.id = b.customer_id", None).unwrap();
    let text = twice.render(&db);
    assert_eq!(text.matches("CTE Scan on big").count(), 2, "{text}");
    assert_eq!(text.matches("CTE big").count(), 1, "{text}");
    assert!(text.contains("Seq Scan on orders  (cost=0.00..") && text.contains("rows=300 loops=1)"), "{text}");
    assert!(err("WITH big AS (SELECT count(*) FROM orders) SELECT * FROM big").starts_with("NOT MODELLED:  a CTE other than SELECT columns FROM one table"));
    assert!(err("WITH big AS (SELECT id AS k FROM orders o) SELECT b.id FROM big b").starts_with("ERROR:  column b.id does not exist"));
    assert!(err("WITH big AS (SELECT id FROM orders o) SELECT o.id FROM big").starts_with("ERROR:  missing FROM-clause entry for table \"o\""));
    // A scalar subquery is an InitPlan; correlated, over an indexed min/max, or against an
    // indexed column it is named.
    let init = explain(&db, "EXPLAIN ANALYZE SELECT id FROM orders WHERE customer_id > (SELECT avg(customer_id) FROM orders)", None).unwrap().render(&db);
    assert!(init.contains("Filter: ((customer_id)::numeric > $0)") && init.contains("InitPlan 1 (returns $0)") && init.contains("Seq Scan on orders orders_1"), "{init}");
    assert!(
        err("SELECT id FROM orders o WHERE customer_id > (SELECT avg(customer_id) FROM orders x WHERE x.id = o.id)").starts_with("NOT MODELLED:  a scalar subquery that refers to the query around it")
    );
    assert!(err("SELECT id FROM orders WHERE customer_id > (SELECT max(id) FROM customers)").starts_with("NOT MODELLED:  min() or max() of an indexed column"));
    assert!(err("SELECT id FROM customers WHERE id > (SELECT count(*) FROM orders)").starts_with("NOT MODELLED:  an indexed column compared with a scalar subquery"));
    assert!(err("SELECT id FROM orders WHERE customer_id > (SELECT id, name FROM customers)").starts_with("ERROR:  subquery must return only one column"));
    // Window functions: one window per query, and not beside grouping.
    let win = explain(&db, "SELECT id, row_number() OVER (PARTITION BY customer_id ORDER BY id DESC) AS rn FROM orders ORDER BY rn LIMIT 3", None).unwrap().render(&db);
    assert!(win.contains("WindowAgg") && win.contains("Sort Key: (row_number() OVER (?))"), "{win}");
    assert!(err("SELECT id, rank() OVER (ORDER BY id), rank() OVER (ORDER BY customer_id) FROM orders").starts_with("NOT MODELLED:  window functions over different windows"));
    assert!(err("SELECT customer_id, count(*), rank() OVER (ORDER BY customer_id) FROM orders GROUP BY customer_id").starts_with("NOT MODELLED:  window functions together with GROUP BY"));
    assert!(err("SELECT sum(name) OVER () FROM customers").starts_with("ERROR:  function sum(text) does not exist"));
    // What is not modelled is named where it is written.
    for (sql, word) in [
        ("SELECT DISTINCT customer_id, count(*) FROM orders GROUP BY customer_id", "DISTINCT"),
        ("SELECT customer_id, count(*), rank() OVER (ORDER BY customer_id) FROM orders GROUP BY customer_id", "rank"),
    ] {
        let e = err(sql);
        let caret = format!("\n{}^", " ".repeat("LINE 1: ".len() + sql.find(word).unwrap_or(0)));
        assert!(e.starts_with("NOT MODELLED:") && e.ends_with(&caret), "{e}");
    }
    // DISTINCT and HAVING read as PostgreSQL reads them.
    assert!(err("SELECT DISTINCT c.id FROM customers c ORDER BY c.name").starts_with("ERROR:  for SELECT DISTINCT, ORDER BY expressions must appear in select list"));
    assert!(err("SELECT DISTINCT ON (id) id FROM customers").starts_with("NOT MODELLED:  DISTINCT ON (…)"));
    assert!(err("SELECT customer_id FROM orders GROUP BY customer_id HAVING count(*) > 1 OR count(*) < 0").starts_with("NOT MODELLED:  HAVING with OR"));
    assert!(err("SELECT customer_id FROM orders GROUP BY customer_id HAVING id > 3").starts_with("ERROR:  column \"orders.id\" must appear in the GROUP BY clause"));
    let d = explain(&db, "SELECT DISTINCT customer_id FROM orders ORDER BY customer_id", None).unwrap().render(&db);
    assert!(d.contains("Unique") || d.contains("HashAggregate"), "{d}");
    // 5,000 rows of 32 bytes do not fit in 64kB: PostgreSQL would not hash them.
    let mut big = load("t.toml", &LESSON.replace("rows = 300", "rows = 5000"), None).unwrap().db;
    big.settings.set("work_mem", "64kB").unwrap();
    big.settings.set("hash_mem_multiplier", "1").unwrap();
    let sql = "SELECT c.id FROM customers c WHERE c.id NOT IN (SELECT o.customer_id FROM orders o)";
    let e = explain(&big, sql, None).unwrap_err().render(sql);
    assert!(e.starts_with("NOT MODELLED:  a NOT IN subquery of about 5000 rows, too many to hash"), "{e}");
    let caret = format!("\n{}^", " ".repeat("LINE 1: ".len() + sql.find("NOT IN").unwrap_or(0)));
    assert!(e.ends_with(&caret), "{e}");
}

#[test]
fn lesson_errors_are_placed() {
    let huge = LESSON.replace("rows = 300", "rows = 1000000000000");
    let e = load("big.toml", &huge, None).unwrap_err().to_string();
    assert!(e.starts_with("big.toml:10:8: table[1].rows:"), "{e}");
    let bad_dist = LESSON.replace("{ uniform = 100 }", "{ copy = \"nope\" }");
    let e = load("dist.toml", &bad_dist, None).unwrap_err().to_string();
    assert!(e.starts_with("dist.toml:11:") && e.contains("table[1].columns[1].dist") && e.contains("\"nope\""), "{e}");
    let bad_query = format!("{LESSON}\n[[query]]\nsql = \"SELECT nope FROM orders\"\n");
    let e = load("q.toml", &bad_query, None).unwrap_err().to_string();
    assert!(e.starts_with("q.toml:14:15: query[0].sql: column \"nope\" does not exist"), "{e}");
    let typo = LESSON.replace("primary_key", "primary_keys");
    let e = load("typo.toml", &typo, None).unwrap_err().to_string();
    assert!(e.contains("typo.toml:5:1") && e.contains("primary_keys"), "{e}");
    // An expression of the row number: its syntax, its values and what it reads.
    let bad_expr = LESSON.replace("{ uniform = 100 }", "{ expr = \"1 + (g * 7 \" }");
    let e = load("expr.toml", &bad_expr, None).unwrap_err().to_string();
    assert!(e.starts_with("expr.toml:11:") && e.contains("table[1].columns[1].dist.expr: syntax error at end of input"), "{e}");
    let zero = LESSON.replace("{ uniform = 100 }", "{ expr = \"100 / (g - 7)\" }");
    let e = load("zero.toml", &zero, None).unwrap_err().to_string();
    assert!(e.contains("columns[1].dist.expr: division by zero for g = 7"), "{e}");
    let wide = LESSON.replace("{ uniform = 100 }", "{ expr = \"g * 10000000\" }");
    assert!(load("wide.toml", &wide, None).unwrap_err().to_string().contains("integer out of range for g = 215"));
    let other = LESSON.replace("{ uniform = 100 }", "{ expr = \"id + 1\" }");
    assert!(load("other.toml", &other, None).unwrap_err().to_string().contains("column \"id\" does not exist (an expression reads g"));
    let good = LESSON.replace("{ uniform = 100 }", "{ expr = \"CASE WHEN g % 3 = 0 THEN NULL ELSE 1 + g % 100 END\" }");
    let db = load("good.toml", &good, None).unwrap().db;
    let t = db.tables.iter().find(|t| t.name == "orders").unwrap();
    assert_eq!((t.data[1][0], t.data[1][1], t.data[1][2] == sim_planner::catalog::NULL), (2, 3, true));
    let bad_index = format!("{LESSON}\n[[index]]\ntable = \"orders\"\ncolumns = [\"nope\"]\n");
    let e = load("i.toml", &bad_index, None).unwrap_err().to_string();
    assert!(e.starts_with("i.toml:15:") && e.contains("index[0].columns[0]: column \"nope\" does not exist"), "{e}");
}

#[test]
fn json_format_has_postgres_keys() {
    let l = load("t.toml", LESSON, None).unwrap();
    let sql = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT c.name, count(*) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name";
    let e = explain(&l.db, sql, None).unwrap();
    let v: serde_json::Value = serde_json::from_str(&e.render(&l.db)).unwrap();
    let top = &v[0];
    assert!(top["Planning Time"].is_number() && top["Execution Time"].is_number());
    let plan = &top["Plan"];
    for key in ["Node Type", "Startup Cost", "Total Cost", "Plan Rows", "Plan Width", "Actual Startup Time", "Actual Total Time", "Actual Rows", "Actual Loops", "Shared Hit Blocks", "Plans"] {
        assert!(!plan[key].is_null(), "no {key} in {plan}");
    }
    assert_eq!(plan["Node Type"], "Aggregate");
    assert_eq!(plan["Actual Rows"].as_u64(), e.analyzed.as_ref().map(|a| a.rows_out as u64));
}

#[test]
fn same_seed_same_numbers_other_seed_other_data() {
    let text = |seed| {
        let l = load("t.toml", LESSON, Some(seed)).unwrap();
        explain(&l.db, "EXPLAIN ANALYZE SELECT * FROM orders WHERE customer_id < 10", None).unwrap().text(&l.db)
    };
    assert_eq!(text(5), text(5));
    assert_ne!(text(5), text(6));
}

/// Sixteen tables, every pair joined: planned in bounded time (greedy above ten relations).
#[test]
fn a_sixteen_way_clique_plans_quickly() {
    let mut src = String::from("title = \"clique\"\n");
    for t in 0..16 {
        src.push_str(&format!("[[table]]\nname = \"t{t}\"\nrows = 50\ncolumns = [{{ name = \"k\", type = \"int\", dist = {{ uniform = 20 }} }}]\n"));
    }
    let l = load("clique.toml", &src, None).unwrap();
    let from: Vec<String> = (0..16).map(|t| format!("t{t}")).collect();
    let mut conds = Vec::new();
    for a in 0..16 {
        for b in a + 1..16 {
            conds.push(format!("t{a}.k = t{b}.k"));
        }
    }
    let sql = format!("SELECT count(*) FROM {} WHERE {}", from.join(", "), conds.join(" AND "));
    let e = explain(&l.db, &sql, None).unwrap();
    let mut nodes = Vec::new();
    e.plan.walk(&mut nodes);
    assert_eq!(nodes.iter().filter(|n| n.rel.is_some() && n.kind != sim_planner::plan::Kind::BitmapIndexScan).count(), 16);
    // Ten relations are still searched exhaustively.
    let sql10 = format!("SELECT count(*) FROM {} WHERE {}", from[..10].join(", "), (0..9).map(|a| format!("t{a}.k = t{}.k", a + 1)).collect::<Vec<_>>().join(" AND "));
    assert!(explain(&l.db, &sql10, None).is_ok());
    // Seventeen is refused with PostgreSQL-style wording, not attempted.
    let sql17 = format!("SELECT * FROM {}, t0 x", from.join(", "));
    assert!(explain(&l.db, &sql17, None).unwrap_err().message.contains("at most 16"));
}

/// A join whose result would not fit is refused with a message, not attempted to the end.
#[test]
fn an_exploding_join_is_refused() {
    let mut src = String::from("title = \"boom\"\n");
    for t in 0..4 {
        src.push_str(&format!("[[table]]\nname = \"t{t}\"\nrows = 300\ncolumns = [{{ name = \"k\", type = \"int\", dist = {{ const = 1 }} }}]\n"));
    }
    let l = load("boom.toml", &src, None).unwrap();
    let sql = "EXPLAIN ANALYZE SELECT count(*) FROM t0, t1, t2, t3 WHERE t0.k = t1.k AND t1.k = t2.k AND t2.k = t3.k";
    let e = explain(&l.db, sql, None).unwrap_err();
    assert!(e.message.starts_with("EXPLAIN ANALYZE would run a Hash Join estimated at 8100000000 rows"), "{}", e.message);
}
