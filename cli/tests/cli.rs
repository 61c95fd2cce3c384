//! The `dbsim` binary: exit codes, the JSON report's fields, trace lines, and listing.
use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn dbsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dbsim")).args(args).current_dir(root()).output().unwrap()
}

#[test]
fn run_json_has_the_report_fields() {
    let ok = dbsim(&["run", "scenarios/05-multi-region.toml", "--json"]);
    assert_eq!(ok.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    for key in ["scenario", "seed", "trace_hash", "end_time_ms", "events", "expectations", "metrics", "nodes"] {
        assert!(json.get(key).is_some(), "report lacks `{key}`");
    }
    for key in ["commits_acked", "commits_lost", "rpo_ms", "failovers", "commit_latency_ms"] {
        assert!(json["metrics"].get(key).is_some(), "metrics lack `{key}`");
    }
    let node = &json["nodes"][0];
    for key in ["name", "role", "timeline", "lsn"] {
        assert!(node.get(key).is_some(), "node lacks `{key}`");
    }
    assert!(json["metrics"]["commit_latency_ms"]["p99"].as_f64().unwrap() > 0.0);
}

#[test]
fn bad_input_exits_two() {
    let out = dbsim(&["check", "tests/malformed/04-patroni-rule.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("04-patroni-rule.toml:"));
    assert_eq!(dbsim(&["run", "scenarios/05-multi-region.toml", "--seed", "x"]).status.code(), Some(2));
    assert_eq!(dbsim(&["run", "no/such/file.toml"]).status.code(), Some(2));
    assert_eq!(dbsim(&["fly"]).status.code(), Some(2));
    assert_eq!(dbsim(&["check", "scenarios/05-multi-region.toml"]).status.code(), Some(0));
    // Flags a subcommand does not take are refused, not silently ignored.
    let misplaced = dbsim(&["check", "scenarios/05-multi-region.toml", "--seed", "3"]);
    assert_eq!(misplaced.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&misplaced.stderr).contains("--seed"));
    assert_eq!(dbsim(&["run", "scenarios/05-multi-region.toml", "--sede", "3"]).status.code(), Some(2));
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["run", "check", "list", "trace", "drill", "explain", "sql", "schema"] {
        let out = dbsim(&[sub, "--help"]);
        assert_eq!(out.status.code(), Some(0), "dbsim {sub} --help");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: dbsim"), "dbsim {sub} --help prints usage");
    }
    assert_eq!(dbsim(&["--help"]).status.code(), Some(0));
}

#[test]
fn trace_and_list() {
    let trace = dbsim(&["trace", "scenarios/05-multi-region.toml"]);
    assert_eq!(trace.status.code(), Some(0));
    let text = String::from_utf8_lossy(&trace.stdout);
    assert!(text.lines().any(|l| l.contains(" pg1 ") && l.contains(" 0/3")), "trace lines show node and LSN");
    assert!(text.lines().last().unwrap().starts_with("# trace_hash "));
    // A sharding lesson's trace is the router's: each operation's key, shard and outcome.
    let sharded = dbsim(&["trace", "scenarios/sharding/10c-celebrity-hotspot.toml"]);
    assert_eq!(sharded.status.code(), Some(0), "{}", String::from_utf8_lossy(&sharded.stderr));
    let text = String::from_utf8_lossy(&sharded.stdout);
    assert!(text.lines().any(|l| l.contains("router: write of key ") && l.contains(" served by shard ")), "router records name key and shard");
    assert_eq!(dbsim(&["trace", "scenarios/planner/11a-scan-choice.toml"]).status.code(), Some(2));
    let list = dbsim(&["list"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("01-async-failover.toml"));
}

#[test]
fn failing_expectation_exits_one() {
    let dir = std::env::temp_dir().join("dbsim-exit-one");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("x.toml");
    std::fs::write(&f, "[lesson]\ntitle = \"t\"\n[run]\nduration = \"5s\"\n[[nodes]]\nname = \"pg1\"\n[expect.metrics]\nfailovers = { min = 1 }\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dbsim")).args(["run", f.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn explain_and_sql_for_planner_lessons() {
    let out = dbsim(&["explain", "scenarios/planner/11a-scan-choice.toml", "--query", "0", "--analyze"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Index Scan using payments_amount_idx on payments  (cost=0.29..8.30 rows=1 width=43) (actual time="), "{text}");
    assert!(text.contains("Execution Time: "));
    let json = dbsim(&["explain", "scenarios/planner/11a-scan-choice.toml", "--query", "2", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[0]["Plan"]["Node Type"], "Seq Scan");
    assert_eq!(dbsim(&["explain", "scenarios/planner/11a-scan-choice.toml", "--query", "9"]).status.code(), Some(2));
    let sql = dbsim(&["sql", "scenarios/planner/11f-missing-fk-index.toml"]);
    let sql = String::from_utf8_lossy(&sql.stdout);
    assert!(sql.contains("CREATE TABLE orders (id integer, customer_id integer, amount integer);"));
    assert!(sql.contains("CREATE INDEX orders_customer_id_idx ON orders (customer_id);"));
    assert!(sql.contains("VACUUM ANALYZE;") && sql.contains("EXPLAIN (FORMAT JSON) SELECT"));
}

/// One `dbsim run` for every lesson: a sharding lesson and a planner lesson run and are judged
/// like a scenario; the verb `shard` is gone.
#[test]
fn run_takes_every_kind_of_lesson() {
    let shard = dbsim(&["run", "scenarios/sharding/10i-blast-radius.toml"]);
    assert_eq!(shard.status.code(), Some(0), "{}", String::from_utf8_lossy(&shard.stderr));
    let text = String::from_utf8_lossy(&shard.stdout);
    assert!(text.contains("shard s2:") && text.contains("[ok] shard_failovers"), "{text}");
    let json = dbsim(&["run", "scenarios/sharding/10h-online-split.toml", "--json", "--seed", "4"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["seed"], 4);
    assert!(v["expectations"].as_array().is_some_and(|e| !e.is_empty()));
    let plan = dbsim(&["run", "scenarios/planner/11a-scan-choice.toml"]);
    assert_eq!(plan.status.code(), Some(0), "{}", String::from_utf8_lossy(&plan.stderr));
    assert!(String::from_utf8_lossy(&plan.stdout).contains("Execution Time: "));
    assert_eq!(dbsim(&["shard", "scenarios/sharding/10i-blast-radius.toml"]).status.code(), Some(2));
    assert_eq!(dbsim(&["check", "scenarios/sharding/10i-blast-radius.toml"]).status.code(), Some(0));
    let list = String::from_utf8_lossy(&dbsim(&["list", "scenarios/sharding"]).stdout).to_string();
    assert!(list.contains("Blast radius") && !list.contains("INVALID"), "{list}");
}

#[test]
fn check_takes_many_files_and_reports_each() {
    let out = dbsim(&["check", "scenarios/05-multi-region.toml", "tests/malformed/04-patroni-rule.toml", "scenarios/sharding/10b-good-shard-key.toml", "scenarios/planner/11a-scan-choice.toml"]);
    assert_eq!(out.status.code(), Some(2), "one bad file fails the whole check");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("05-multi-region.toml: ok") && stdout.contains("10b-good-shard-key.toml: ok"), "{stdout}");
    assert!(stderr.contains("04-patroni-rule.toml:") && stderr.contains("ttl"), "{stderr}");
    assert_eq!(dbsim(&["check", "scenarios/05-multi-region.toml", "scenarios/sharding/10b-good-shard-key.toml"]).status.code(), Some(0));
    assert_eq!(dbsim(&["check"]).status.code(), Some(2), "no file is bad input");
}

#[test]
fn schema_prints_the_json_schema_of_each_format() {
    for (args, title, section) in [(&["schema"][..], "dbsim lesson", "timeline"), (&["schema", "--planner"][..], "dbsim planner lesson", "query")] {
        let out = dbsim(args);
        assert_eq!(out.status.code(), Some(0));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["title"], title);
        assert!(json["properties"].get(section).is_some(), "{args:?} lacks `{section}`");
        assert_eq!(json["additionalProperties"], false, "unknown sections are errors in the schema too");
    }
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dbsim")).args(["schema"]).current_dir(root()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take()); // like `dbsim schema | head -0`
    let status = child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(0));
}

/// A pooling lesson's report, as the pool writes its own lines: the users' view, PgBouncer's
/// `SHOW POOLS` and `SHOW STATS` (or the app servers' direct connections without a pooler), the
/// primary's gauges and Little's law.
#[test]
fn run_prints_the_pools_own_report() {
    let text = |file: &str| {
        let out = dbsim(&["run", file]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let bouncer = text("scenarios/11c-pool-modes.toml");
    for part in ["requests: ", "SHOW POOLS;\n database | user | cl_active", "\n app      | app  | ", "SHOW STATS;\n database | total_xact_count", "primary host: ", "Little's law: L = "] {
        assert!(bouncer.contains(part), "no `{part}` in\n{bouncer}");
    }
    let direct = text("scenarios/11a-million-users-no-pooler.toml");
    assert!(direct.contains("no pooler: 120 app servers × 10 connections straight to Postgres"), "{direct}");
    assert!(!direct.contains("SHOW POOLS"), "{direct}");
}
