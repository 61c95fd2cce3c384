//! dbsim's planner against a real PostgreSQL 15: every planner lesson is exported with
//! `dbsim sql` (the same rows, indexes and statistics objects, then VACUUM ANALYZE), run in a
//! throwaway cluster, and each query's plan compared with dbsim's: node types and join order,
//! estimated rows and total cost. A missing PostgreSQL fails the test; it never skips.
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bindir() -> PathBuf {
    if let Some(d) = find_bindir() {
        return d;
    }
    // Like the browser tests: install Debian's package when we can, fail when we cannot.
    if is_root() {
        let _ = Command::new("apt-get").args(["install", "-y", "postgresql"]).status();
    }
    find_bindir().unwrap_or_else(|| panic!("PostgreSQL is required for this test and was not found: apt-get install -y postgresql"))
}

fn find_bindir() -> Option<PathBuf> {
    for d in ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"] {
        if Path::new(d).join("initdb").exists() {
            return Some(d.into());
        }
    }
    let o = Command::new("pg_config").arg("--bindir").output().ok()?;
    let d = String::from_utf8_lossy(&o.stdout).trim().to_string();
    Path::new(&d).join("initdb").exists().then(|| d.into())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// A command run as the `postgres` user when we are root (PostgreSQL refuses to run as root).
fn as_pg(bin: &Path, args: &[&str]) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin).args(args);
        c
    } else {
        let mut c = Command::new(bin);
        c.args(args);
        c
    }
}

/// A throwaway cluster on a Unix socket in a temporary directory, stopped and removed on drop.
struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
}

impl Cluster {
    fn start() -> Cluster {
        let bin = bindir();
        // One directory per cluster: the tests of this file run side by side.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let k = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("dbsim-pg-{}-{k}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let ok = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status().map(|s| s.success()).unwrap_or(false);
            assert!(ok, "could not hand {} to the postgres user", dir.display());
        }
        let data = dir.join("data");
        let out = as_pg(&bin.join("initdb"), &["-D", data.to_str().unwrap(), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]).output().expect("initdb runs");
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let opts = format!("-k {} -c listen_addresses='' -c fsync=off -c autovacuum=off", dir.display());
        let log = dir.join("log");
        let out = as_pg(&bin.join("pg_ctl"), &["-D", data.to_str().unwrap(), "-o", &opts, "-l", log.to_str().unwrap(), "-w", "start"]).output().expect("pg_ctl runs");
        assert!(out.status.success(), "pg_ctl start failed: {} {}", String::from_utf8_lossy(&out.stderr), std::fs::read_to_string(&log).unwrap_or_default());
        Cluster { dir, bin }
    }

    fn psql_file(&self, sql: &str) -> String {
        let f = self.dir.join("lesson.sql");
        std::fs::write(&f, sql).unwrap();
        if is_root() {
            let _ = Command::new("chown").arg("postgres:postgres").arg(&f).status();
        }
        let out = as_pg(&self.bin.join("psql"), &["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.dir.to_str().unwrap(), "-U", "postgres", "-d", "postgres", "-f", f.to_str().unwrap()])
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "psql failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = as_pg(&self.bin.join("pg_ctl"), &["-D", data.to_str().unwrap_or(""), "-m", "immediate", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The plan as (node type with aggregate strategy, relation) in depth-first order.
fn shape(plan: &Value, out: &mut Vec<String>) {
    let mut t = plan["Node Type"].as_str().unwrap_or("?").to_string();
    if let Some(s) = plan["Strategy"].as_str() {
        t = format!("{t}/{s}");
    }
    if let Some(j) = plan["Join Type"].as_str().filter(|j| *j != "Inner") {
        t = format!("{t}/{j}");
    }
    if let Some(r) = plan["Alias"].as_str() {
        t = format!("{t} {r}");
    }
    out.push(t);
    if let Some(kids) = plan["Plans"].as_array() {
        for k in kids {
            shape(k, out);
        }
    }
}

fn nodes<'a>(plan: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(plan);
    if let Some(kids) = plan["Plans"].as_array() {
        for k in kids {
            nodes(k, out);
        }
    }
}

/// The planner lessons, and the comparison's own files (`tests/postgres/`) for what the lessons
/// do not reach.
fn compared_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = [root.join("../scenarios/planner"), root.join("tests/postgres")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap().flatten().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// Whether a node, or one below it, runs in parallel workers above their scans (a worker's
/// Sort or aggregate).
fn runs_in_workers_above_scan(n: &Value) -> bool {
    (n.get("Workers").is_some() && !n["Node Type"].as_str().unwrap_or("").contains("Scan")) || n["Plans"].as_array().is_some_and(|k| k.iter().any(runs_in_workers_above_scan))
}

/// Whether a parallel-aware index scan runs at or below this node, or the bitmap of a Parallel
/// Bitmap Heap Scan (a Bitmap Index Scan that lists workers): whichever process gets there first
/// builds it, and a worker reads the index's metapage afresh.
fn parallel_index_below(n: &Value) -> bool {
    let kind = n["Node Type"].as_str().unwrap_or("");
    (n["Parallel Aware"] == Value::Bool(true) && kind.contains("Index"))
        || (kind == "Bitmap Index Scan" && n.get("Workers").is_some())
        || n["Plans"].as_array().is_some_and(|k| k.iter().any(parallel_index_below))
}

/// An object's keys, in order.
fn keys(v: &Value) -> Vec<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// EXPLAIN output with its figures masked, line by line: every run of digits becomes `9`, so
/// layout, labels and number formats compare while the figures may differ.
fn masked(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut l = String::new();
        for c in line.trim_end().chars() {
            if !(c.is_ascii_digit() && l.ends_with('9')) {
                l.push(if c.is_ascii_digit() { '9' } else { c });
            }
        }
        // A scan of a table larger than a quarter of shared_buffers reads through a small ring
        // of buffers (BAS_BULKREAD): PostgreSQL splits its pages into hits and reads by what
        // earlier runs left cached; dbsim counts them all as hits.
        out.push(l.replace(" read=9", ""));
    }
    out
}

fn within(a: f64, b: f64, tol: f64) -> bool {
    let (a, b) = (a.max(1e-9), b.max(1e-9));
    (a / b - 1.0).abs() <= tol
}

#[test]
fn planner_lessons_match_postgresql() {
    let files = compared_files();
    assert!(files.len() > 8, "only {} planner files", files.len());
    let pg = Cluster::start();
    let (mut total, mut same_shape, mut close) = (0usize, 0usize, 0usize);
    let mut report = Vec::new();
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let lesson = sim_planner::load(&name, &src, None).unwrap_or_else(|e| panic!("{e}"));
        let out = pg.psql_file(&sim_planner::export::sql(&lesson));
        for (i, q) in lesson.file.queries.iter().enumerate() {
            let marker = sim_planner::export::marker(i);
            let after = out.split(&marker).nth(1).unwrap_or_else(|| panic!("{name}: no plan for query {i} in psql's output:\n{out}"));
            let json_text = after.split("@@dbsim").next().unwrap_or("").trim();
            let theirs: Value = serde_json::from_str(json_text).unwrap_or_else(|e| panic!("{name} query {i}: {e}: {json_text}"));
            let explained = sim_planner::explain(&lesson.states[i], q.sql.get_ref(), None).unwrap();
            let ours = explained.json(&lesson.states[i]);
            let (tp, op) = (&theirs[0]["Plan"], &ours[0]["Plan"]);
            let (mut ts, mut os) = (Vec::new(), Vec::new());
            shape(tp, &mut ts);
            shape(op, &mut os);
            total += 1;
            let same = ts == os;
            let (tc, oc) = (tp["Total Cost"].as_f64().unwrap_or(0.0), op["Total Cost"].as_f64().unwrap_or(0.0));
            let (tr, or) = (tp["Plan Rows"].as_f64().unwrap_or(0.0), op["Plan Rows"].as_f64().unwrap_or(0.0));
            let mut estimates_close = within(tc, oc, 0.10) && within(tr, or, 0.10);
            if same {
                same_shape += 1;
                let (mut tn, mut on) = (Vec::new(), Vec::new());
                nodes(tp, &mut tn);
                nodes(op, &mut on);
                for (a, b) in tn.iter().zip(&on) {
                    estimates_close &= within(a["Plan Rows"].as_f64().unwrap_or(0.0), b["Plan Rows"].as_f64().unwrap_or(0.0), 0.10);
                    assert_eq!(b["Plan Width"], a["Plan Width"], "{name} q{i} {}: Plan Width (dbsim's, then PostgreSQL's)", b["Node Type"]);
                    // FORMAT JSON without ANALYZE: the same keys, in PostgreSQL's order.
                    assert_eq!(keys(b), keys(a), "{name} q{i}: FORMAT JSON's keys (dbsim's, then PostgreSQL's)");
                }
                if estimates_close {
                    close += 1;
                }
                // The text itself, figures aside: PostgreSQL's layout and number formats.
                let our_text = sim_planner::explain::json_text(&ours);
                let (a, b) = (masked(json_text), masked(&our_text));
                for (l, (x, y)) in a.iter().zip(&b).enumerate() {
                    assert_eq!(x, y, "{name} q{i} line {}: PostgreSQL's line, then dbsim's\n{our_text}", l + 1);
                }
                assert_eq!(a.len(), b.len(), "{name} q{i}: FORMAT JSON's line count\n{our_text}");
            }
            report.push(format!(
                "{name} q{i}: {} cost pg {tc:.2} dbsim {oc:.2}, rows pg {tr} dbsim {or}{}\n    pg:    {}\n    dbsim: {}",
                if same { "same plan" } else { "DIFFERENT plan" },
                if same && !estimates_close { " (estimates differ by more than 10 %)" } else { "" },
                ts.join(" / "),
                os.join(" / ")
            ));
        }
    }
    println!("{}", report.join("\n"));
    let shape_rate = same_shape as f64 / total as f64;
    let close_rate = if same_shape > 0 { close as f64 / same_shape as f64 } else { 0.0 };
    println!("plan shape matches PostgreSQL for {same_shape} of {total} queries ({:.0} %); estimates within 10 % for {close} of those ({:.0} %)", shape_rate * 100.0, close_rate * 100.0);
    assert!(shape_rate >= 0.9, "plan shapes match for only {:.0} % of queries (target 90 %)", shape_rate * 100.0);
    assert!(close_rate >= 0.9, "estimates are within 10 % for only {:.0} % of matching plans (target 90 %)", close_rate * 100.0);
}

/// Shared buffers touched by each plan node (hit + read), inclusive of its children, as
/// PostgreSQL counts them.
fn buffers(plan: &Value) -> f64 {
    plan["Shared Hit Blocks"].as_f64().unwrap_or(0.0) + plan["Shared Read Blocks"].as_f64().unwrap_or(0.0)
}

/// EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON): every plan node of the same plan touches as many
/// shared buffers as in PostgreSQL (index descents and leaf steps, heap pages, the visibility map
/// of an index-only scan, an incremental sort's batches under a LIMIT), and writes the same keys
/// in the same order.
#[test]
fn buffers_match_postgresql() {
    let files = compared_files();
    let pg = Cluster::start();
    let mut report = Vec::new();
    let (mut compared, mut equal) = (0usize, 0usize);
    let mut in_workers: Vec<String> = Vec::new();
    let (mut text_compared, mut text_differs) = (0usize, Vec::new());
    let (mut planning_compared, mut planning_differs) = (0usize, Vec::new());
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let lesson = sim_planner::load(&name, &src, None).unwrap_or_else(|e| panic!("{e}"));
        // Each query runs once unseen first, so the buffers counted are the query's own, not
        // the catalog lookups of a first execution in the session.
        let exported = sim_planner::export::sql(&lesson);
        let mut parts = exported.split("EXPLAIN (FORMAT JSON) ");
        let mut sql = parts.next().unwrap_or_default().to_string();
        for part in parts {
            let (body, rest) = part.split_once(";\n").unwrap_or((part, ""));
            sql.push_str(&format!(
                "\\o /dev/null\nEXPLAIN (ANALYZE, BUFFERS, TIMING OFF) {body};\n\\o\nEXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) {body};\n\\echo @@dbsim text\nEXPLAIN (ANALYZE, BUFFERS, TIMING OFF) {body};\n{rest}"
            ));
        }
        let out = pg.psql_file(&sql);
        for (i, q) in lesson.file.queries.iter().enumerate() {
            let after = out.split(&sim_planner::export::marker(i)).nth(1).unwrap();
            let theirs: Value = serde_json::from_str(after.split("@@dbsim").next().unwrap_or("").trim()).unwrap();
            let their_text = after.split("@@dbsim text").nth(1).unwrap_or("").split("@@dbsim").next().unwrap_or("").trim().to_string();
            let opts = sim_planner::sql::ExplainOpts { analyze: true, buffers: true, timing: false, ..Default::default() };
            let explained = sim_planner::explain(&lesson.states[i], q.sql.get_ref(), Some(opts)).unwrap();
            let ours = explained.json(&lesson.states[i]);
            let our_text = explained.text(&lesson.states[i]);
            let (tp, op) = (&theirs[0]["Plan"], &ours[0]["Plan"]);
            let (mut ts, mut os) = (Vec::new(), Vec::new());
            shape(tp, &mut ts);
            shape(op, &mut os);
            if ts != os {
                continue;
            }
            let (mut tn, mut on) = (Vec::new(), Vec::new());
            nodes(tp, &mut tn);
            nodes(op, &mut on);
            // What planning read: the index probes of `get_actual_variable_range`.
            let (tpl, opl) = (buffers(&theirs[0]["Planning"]), buffers(&ours[0]["Planning"]));
            planning_compared += 1;
            if tpl != opl {
                planning_differs.push(format!("{name} q{i}: planning's buffers pg {tpl} dbsim {opl}"));
            }
            // The text format, figures aside, line for line.
            let (a, b) = (masked(&their_text), masked(&our_text));
            if a != b {
                text_differs.push(format!(
                    "{name} q{i}:\n  PostgreSQL:\n    {}\n  dbsim:\n    {}",
                    their_text.lines().collect::<Vec<_>>().join("\n    "),
                    our_text.lines().collect::<Vec<_>>().join("\n    ")
                ));
            }
            text_compared += 1;
            // FORMAT JSON: the same keys in PostgreSQL's order, on every node and at the top.
            assert_eq!(keys(&ours[0]), keys(&theirs[0]), "{name} q{i}: the top-level keys");
            for ((a, b), label) in tn.iter().zip(&on).zip(&ts) {
                assert_eq!(keys(b), keys(a), "{name} q{i} {label}: FORMAT JSON's keys (dbsim's, then PostgreSQL's)");
                for k in ["Inner Unique", "Parent Relationship", "Strategy", "Scan Direction", "Heap Fetches", "Exact Heap Blocks", "Join Type", "Actual Rows", "Actual Loops"] {
                    // A Parallel Bitmap Heap Scan's blocks are the leader's share alone in
                    // PostgreSQL 15, which varies from run to run (dbsim shares them evenly).
                    if k == "Exact Heap Blocks" && a["Parallel Aware"] == Value::Bool(true) {
                        continue;
                    }
                    assert_eq!(b.get(k), a.get(k), "{name} q{i} {label}: {k}");
                }
            }
            for ((a, b), label) in tn.iter().zip(&on).zip(&ts) {
                compared += 1;
                let (x, y) = (buffers(a), buffers(b));
                // A parallel worker is a fresh process: a node it runs above its scans (a Sort)
                // looks up its operators in the catalog first, pages dbsim does not count.
                let worker_catalog = x > y && runs_in_workers_above_scan(a);
                if worker_catalog {
                    in_workers.push(format!("{name} q{i} {label}: pg {x} dbsim {y}"));
                }
                // A parallel index scan's processes each pin the visibility map page once they
                // take a leaf page, and how many do varies from run to run in PostgreSQL; so does
                // which process builds a Parallel Bitmap Heap Scan's bitmap.
                let racing = parallel_index_below(a) && (x - y).abs() <= 2.0;
                if racing && x != y && !worker_catalog {
                    in_workers.push(format!("{name} q{i} {label}: pg {x} dbsim {y} (a parallel index scan or bitmap)"));
                }
                if x == y || worker_catalog || racing {
                    equal += 1;
                } else {
                    report.push(format!("{name} q{i} {label}: pg {x} dbsim {y} (loops {}, rows pg {} dbsim {})", a["Actual Loops"], a["Actual Rows"], b["Actual Rows"]));
                }
            }
        }
    }
    println!("{}", report.join("\n"));
    println!("{}", text_differs.join("\n"));
    println!("EXPLAIN (ANALYZE, BUFFERS) text is PostgreSQL's, figures aside, for {} of {text_compared} queries", text_compared - text_differs.len());
    println!("{}", planning_differs.join("\n"));
    println!("planning's buffers (index probes for a column's actual minimum or maximum) equal to PostgreSQL's for {} of {planning_compared} queries", planning_compared - planning_differs.len());
    assert!(text_differs.is_empty(), "EXPLAIN text differs from PostgreSQL's for {} queries", text_differs.len());
    println!(
        "buffers equal to PostgreSQL's for {equal} of {compared} plan nodes, {} of them above a scan in parallel workers, whose catalog lookups PostgreSQL counts too:\n  {}",
        in_workers.len(),
        in_workers.join("\n  ")
    );
    assert!(compared >= 90, "only {compared} plan nodes compared");
    assert!(planning_differs.is_empty(), "planning's buffers differ from PostgreSQL's for {} queries", planning_differs.len());
    assert_eq!(equal, compared, "shared buffers differ from PostgreSQL's:\n{}", report.join("\n"));
}
