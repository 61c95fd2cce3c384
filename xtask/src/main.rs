//! Project automation: `cargo xtask test` runs the whole suite; `cargo xtask bench` prints the engine figures.
use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};

mod web;

const USAGE: &str = "usage: cargo xtask <serve|dist|test|e2e|bench|lint>
  serve  build the app in release mode into dist/ and serve it on http://127.0.0.1:8080
  dist   build the static app into dist/
  test   every test in the workspace, then clippy with warnings as errors
  bench  native against the shipped wasm side by side (the reference run's events/s, also
         against the engine issue 11 measured, built from history; the 1,000,000-user hour
         against real time, its request rates and memory), then the
         engine benchmark (3 nodes, 1000 clients, 1 simulated hour), the seek benchmark over a
         one-hour run (native and wasm32, p50/p99 seek latency) and the planner's
         (`bench engine`: the side-by-side part only)
  e2e    only the real-browser end-to-end tests
  lint   rustfmt --check and clippy
  sweep  [N] N random fault schedules (default 10,000): failovers exercised, broken promises with seeds";

pub(crate) fn cargo(args: &[&str]) -> Result<(), String> {
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(env!("CARGO")).args(args).status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed with {status}", args.join(" ")))
    }
}

/// Totals of every `test result:` line cargo printed.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Tally {
    fn add(&mut self, line: &str) {
        let count = |word: &str| -> u64 {
            let words: Vec<&str> = line.split([' ', ';', '.']).filter(|w| !w.is_empty()).collect();
            words.windows(2).find(|w| w[1] == word).and_then(|w| w[0].parse().ok()).unwrap_or(0)
        };
        if line.starts_with("test result:") {
            self.passed += count("passed");
            self.failed += count("failed");
            self.ignored += count("ignored");
        }
    }
}

/// `cargo test`, echoing its output and adding up the results.
fn cargo_test(args: &[&str], tally: &mut Tally) -> Result<(), String> {
    eprintln!("$ cargo {}", args.join(" "));
    let mut child = Command::new(env!("CARGO")).args(args).stdout(Stdio::piped()).spawn().map_err(|e| format!("cannot run cargo: {e}"))?;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            tally.add(&line);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed with {status}", args.join(" ")))
    }
}

/// Builds wasm-check for wasm32 and runs `script` on it under Node; returns what it printed.
fn node_on_wasm_check(script: &str) -> Result<String, String> {
    cargo(&["build", "-q", "-p", "wasm-check", "--target", "wasm32-unknown-unknown", "--release"])?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let wasm = web::target().join("wasm32-unknown-unknown/release/wasm_check.wasm");
    let out = Command::new("node").arg(root.join("xtask").join(script)).arg(&wasm).output().map_err(|e| format!("node is needed to run wasm32 builds: {e}"))?;
    if !out.status.success() {
        return Err(format!("node {script} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The engine benchmark and the seek benchmark, native and wasm32; then the planner's, native
/// and wasm32 side by side against their targets.
fn bench() -> Result<(), String> {
    engine_bench()?;
    cargo(&["bench", "-p", "sim-core"])?;
    cargo(&["bench", "-p", "sim-session"])?;
    print!("{}", node_on_wasm_check("wasm-seek.mjs")?);
    planner_bench()
}

/// Runs of the reference run per side, alternated so that a slow spell of a shared machine falls
/// on every side alike; each side's figure is its best run.
const ROUNDS: usize = 3;

/// The commit issue 11 measured the native engine at ("now 7.7-8.3 M events/s" on the machine it
/// was filed from): the engine before that work, on the same reference run (the same
/// events, the same trace hash). `bench engine` builds it and runs it beside today's, so the
/// speed-up is measured on one machine and scaled to the issue's.
const BASELINE: &str = "c97b41d";
const BASELINE_M_EVENTS: (f64, f64) = (7.7, 8.3);

/// Builds `BASELINE`'s engine benchmark from git history (under target/baseline) and returns
/// its executable.
fn baseline_exe(root: &std::path::Path) -> Result<std::path::PathBuf, String> {
    let dir = web::target().join("baseline");
    let src = dir.join(BASELINE);
    if !src.join("Cargo.toml").exists() {
        std::fs::create_dir_all(&src).map_err(|e| format!("{}: {e}", src.display()))?;
        let tar = Command::new("git").args(["-C", &root.to_string_lossy(), "archive", BASELINE]).output().map_err(|e| format!("git archive: {e}"))?;
        if !tar.status.success() {
            return Err(format!("`git archive {BASELINE}` failed (the baseline needs the repository's history): {}", String::from_utf8_lossy(&tar.stderr)));
        }
        let mut untar = Command::new("tar").arg("-x").arg("-C").arg(&src).stdin(Stdio::piped()).spawn().map_err(|e| format!("tar: {e}"))?;
        std::io::Write::write_all(untar.stdin.as_mut().ok_or("tar: no stdin")?, &tar.stdout).map_err(|e| format!("tar: {e}"))?;
        if !untar.wait().is_ok_and(|s| s.success()) {
            return Err(format!("unpacking {BASELINE} into {} failed", src.display()));
        }
    }
    eprintln!("$ cargo bench --no-run -p sim-core --bench engine   (at {BASELINE}, in {})", src.display());
    let out = Command::new(env!("CARGO"))
        .args(["bench", "--no-run", "-p", "sim-core", "--bench", "engine"])
        .current_dir(&src)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .map_err(|e| format!("cargo: {e}"))?;
    let err = String::from_utf8_lossy(&out.stderr);
    let exe = err.lines().find_map(|l| l.trim().strip_prefix("Executable ")?.split_once(" (")?.1.strip_suffix(')').map(std::path::PathBuf::from));
    match exe {
        Some(exe) if out.status.success() => Ok(exe),
        _ => Err(format!("building the engine at {BASELINE} failed: {err}")),
    }
}

/// One side's stdout, or an error naming the side.
fn side_stdout(side: &str, cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{side}: {e}"))?;
    if !out.status.success() {
        return Err(format!("the {side} engine bench failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One side's `bench` lines.
fn bench_side(side: &str, cmd: &mut Command) -> Result<Vec<(String, f64)>, String> {
    Ok(bench_lines(&side_stdout(side, cmd)?))
}

/// The engine native and in the shipped wasm profile side by side, in one run: the reference
/// run's events/s natively, in headless Chromium (the browser the pages run in) and under Node,
/// then the one-hour 1,000,000-user pooling run against real time, with the request rates it
/// offered and served and the wasm memory it ended with.
fn engine_bench() -> Result<(), String> {
    cargo(&["build", "-q", "-p", "wasm-check", "--target", "wasm32-unknown-unknown", "--profile", "web"])?;
    cargo(&["build", "-q", "--release", "-p", "wasm-check", "--bin", "native"])?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let wasm = web::target().join("wasm32-unknown-unknown/web/wasm_check.wasm");
    let native_exe = web::target().join("release/native");
    let baseline = baseline_exe(&root)?;
    let (chromium, e2e_dir) = web::playwright()?;
    let sides = ["native", "Chromium", "Node", BASELINE];
    let mut runs: [Vec<f64>; 4] = Default::default();
    let mut ref_events = 0;
    for _ in 0..ROUNDS {
        for (i, side) in sides.iter().enumerate() {
            let mut cmd = Command::new(match i {
                0 => native_exe.as_os_str(),
                3 => baseline.as_os_str(),
                _ => "node".as_ref(),
            });
            match i {
                0 => cmd.arg("reference"),
                1 => cmd.arg(e2e_dir.join("engine.mjs")).arg(&wasm).env("CHROMIUM", &chromium),
                2 => cmd.arg(root.join("xtask/wasm-engine.mjs")).arg(&wasm).arg("reference"),
                _ => &mut cmd,
            };
            let lines = if i == 3 { baseline_lines(&mut cmd)? } else { bench_side(side, &mut cmd)? };
            let events = figure(&lines, side, "reference_events")? as u64;
            if ref_events != 0 && events != ref_events {
                return Err(format!("the reference run took {events} events in {side} and {ref_events} before: the runs differ"));
            }
            ref_events = events;
            runs[i].push(events as f64 / figure(&lines, side, "reference_s")? / 1e6);
        }
    }
    let best: Vec<f64> = runs.iter().map(|r| r.iter().copied().fold(0.0, f64::max)).collect();
    let mark = |ok: bool| if ok { "met" } else { "MISSED" };
    let list = |r: &[f64]| r.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(", ");
    println!("engine (native release vs wasm32 in the shipped `web` profile, measured side by side in one run)");
    println!("  reference run, {ref_events} events, M events/s in {ROUNDS} alternated runs per side (best counts):");
    for (i, side) in sides.iter().enumerate() {
        println!("    {side:<8} {} -> {:.2}", list(&runs[i]), best[i]);
    }
    println!("  wasm/native: Chromium {:.2}x (target >= 0.70x: {}), Node {:.2}x", best[1] / best[0], mark(best[1] / best[0] >= 0.7), best[2] / best[0]);
    let (speedup, (lo, hi)) = (best[0] / best[3], BASELINE_M_EVENTS);
    println!("  native here: {:.2} M events/s ({}); native/{BASELINE}: {speedup:.2}x, the same run on this machine", best[0], if best[0] >= 10.0 { "10 M reached here" } else { "under 10 M here" });
    println!(
        "  issue 11 measured {BASELINE} at {lo}-{hi} M events/s on its machine: {speedup:.2}x that is {:.1}-{:.1} M events/s there (target >= 10 M events/s: {})",
        lo * speedup,
        hi * speedup,
        mark(lo * speedup >= 10.0)
    );
    let n = bench_side("native", Command::new(&native_exe).arg("pool"))?;
    let nget = |k: &str| figure(&n, "native", k);
    let pool_native = nget("pool_s")?;
    let pool = (nget("pool_events")? as u64, nget("pool_offered")?, nget("pool_served")?);
    let w = bench_side("Node", Command::new("node").arg(root.join("xtask/wasm-engine.mjs")).arg(&wasm).arg("pool"))?;
    let get = |k: &str| figure(&w, "wasm", k);
    let (pool_wasm, mem) = (get("pool_s")?, get("memory_mib")?);
    println!(
        "  1,000,000 users, 1 simulated hour, {} events: offered {:.0} req/s, served {:.0} req/s (wasm: {:.0} offered, {:.0} served)",
        pool.0,
        pool.1,
        pool.2,
        get("pool_offered")?,
        get("pool_served")?
    );
    println!(
        "    native {pool_native:.1} s = {:.1}x real time; wasm (Node) {pool_wasm:.1} s = {:.1}x real time (target >= 10x: {}); wasm/native {:.2}x",
        3600.0 / pool_native,
        3600.0 / pool_wasm,
        mark(3600.0 / pool_wasm >= 10.0),
        pool_native / pool_wasm
    );
    println!("    wasm memory after the hour (session with snapshots): {mem:.0} MiB (target <= 128 MiB: {})", mark(mem <= 128.0));
    // The migration benchmark (issue 29): natively, then in Chromium, the browser the pages run in.
    let n = bench_side("native", Command::new(&native_exe).arg("migration"))?;
    let c = bench_side("Chromium", Command::new("node").arg(e2e_dir.join("engine.mjs")).arg(&wasm).arg("migration").env("CHROMIUM", &chromium))?;
    let (events, native_s) = (figure(&n, "native", "migration_events")?, figure(&n, "native", "migration_s")?);
    let (chromium_s, mib) = (figure(&c, "Chromium", "migration_s")?, figure(&c, "Chromium", "memory_mib")?);
    let sim = wasm_check_simulated_s();
    println!("  migration: an expand-contract rename, a 1,000,000-row backfill, 2,000 transactions/s through PgBouncer, two replicas, {sim:.0} simulated s, {events:.0} events:");
    println!(
        "    native {native_s:.2} s = {:.0}x real time, {:.2} M events/s; wasm (Chromium) {chromium_s:.2} s = {:.0}x real time (target >= 20x: {}), {:.2} M events/s; memory {mib:.0} MiB (target <= 128 MiB: {})",
        sim / native_s,
        events / native_s / 1e6,
        sim / chromium_s,
        mark(sim / chromium_s >= 20.0),
        events / chromium_s / 1e6,
        mark(mib <= 128.0)
    );
    Ok(())
}

/// The migration benchmark's simulated length (`sim-core/benches/migration.toml`'s `duration`).
fn wasm_check_simulated_s() -> f64 {
    let text = include_str!("../../sim-core/benches/migration.toml");
    text.lines().find_map(|l| l.strip_prefix("duration = \"").and_then(|r| r.strip_suffix("s\"")).and_then(|v| v.parse().ok())).unwrap_or(200.0)
}

/// The baseline's figures as `bench` lines, from the `events: N  wall: S s` line it prints.
fn baseline_lines(cmd: &mut Command) -> Result<Vec<(String, f64)>, String> {
    let text = side_stdout(BASELINE, cmd)?;
    let line = text.lines().find(|l| l.starts_with("events: ")).ok_or_else(|| format!("no `events:` line from {BASELINE}: {text}"))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let num = |w: &str| w.parse::<f64>().map_err(|_| format!("unexpected line from {BASELINE}: {line}"));
    match words[..] {
        ["events:", n, "wall:", secs, "s"] => Ok(vec![("reference_events".into(), num(n)?), ("reference_s".into(), num(secs)?)]),
        _ => Err(format!("unexpected line from {BASELINE}: {line}")),
    }
}

/// `bench <name> <ms>` lines as (name, ms).
fn bench_lines(text: &str) -> Vec<(String, f64)> {
    text.lines().filter_map(|l| l.strip_prefix("bench ")).filter_map(|l| l.split_once(' ')).filter_map(|(n, v)| Some((n.to_string(), v.trim().parse().ok()?))).collect()
}

/// The figure `name` of a side's `bench` lines (`side` names it in the error).
fn figure(lines: &[(String, f64)], side: &str, name: &str) -> Result<f64, String> {
    lines.iter().find(|x| x.0 == name).map(|x| x.1).ok_or_else(|| format!("no {side} figure {name}"))
}

fn planner_bench() -> Result<(), String> {
    let out = Command::new(env!("CARGO")).args(["bench", "-q", "-p", "sim-planner", "--bench", "plan"]).output().map_err(|e| format!("cargo bench: {e}"))?;
    if !out.status.success() {
        return Err(format!("planner bench failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let native = bench_lines(&String::from_utf8_lossy(&out.stdout));
    let wasm_text = node_on_wasm_check("wasm-plan.mjs")?;
    let wasm = bench_lines(&wasm_text);
    // Targets apply to the wasm figure: what a student's browser does.
    let targets = [("plan_six_way_join", 5.0), ("explain_analyze_million_rows", 300.0), ("load_million_rows", f64::NAN)];
    println!("{:<32} {:>12} {:>12} {:>10} {:>10}", "planner benchmark", "native ms", "wasm ms", "wasm/nat", "target");
    for (name, target) in targets {
        let (n, w) = (figure(&native, "native", name)?, figure(&wasm, "wasm", name)?);
        let t = if target.is_nan() { "-".to_string() } else { format!("<{target} ms {}", if w < target { "met" } else { "MISSED" }) };
        println!("{name:<32} {n:>12.3} {w:>12.3} {:>9.2}x {t:>10}", w / n);
    }
    for l in wasm_text.lines().filter(|l| !l.starts_with("bench ")) {
        println!("{l}");
    }
    Ok(())
}

/// Runs every built-in scenario as wasm32 under Node and compares each trace hash with native.
fn wasm_determinism(tally: &mut Tally) -> Result<(), String> {
    let text = node_on_wasm_check("wasm-hash.mjs")?;
    let mut seen = 0;
    for line in text.lines() {
        let (i, wasm_hash) = line.split_once(' ').ok_or_else(|| format!("bad line from node: {line}"))?;
        let i: usize = i.parse().map_err(|_| format!("bad index from node: {line}"))?;
        let native = format!("{:016x}", wasm_check::hash_of(i));
        let file = wasm_check::name_of(i);
        let same = native == wasm_hash && native != "0000000000000000";
        println!("test wasm_trace_hash::{file} ... {} (native {native}, wasm {wasm_hash})", if same { "ok" } else { "FAILED" });
        if same {
            tally.passed += 1;
        } else {
            tally.failed += 1;
        }
        seen += 1;
    }
    if seen != wasm_check::count() || tally.failed > 0 {
        return Err(format!("wasm and native trace hashes differ ({seen} of {} scenarios compared)", wasm_check::count()));
    }
    Ok(())
}

fn browser_tests(tally: &mut Tally) -> Result<(), String> {
    let (passed, failed) = web::e2e()?;
    tally.passed += passed;
    tally.failed += failed;
    if failed > 0 || passed == 0 {
        return Err(format!("browser tests: {passed} passed, {failed} failed"));
    }
    Ok(())
}

fn test() -> Result<(), String> {
    let mut tally = Tally::default();
    // sim-core as the pages but the migrations page build it: without its `migrate` feature.
    let result = cargo_test(&["test", "--workspace"], &mut tally)
        .and_then(|_| cargo_test(&["test", "-p", "sim-core", "--no-default-features", "--lib"], &mut tally))
        .and_then(|_| wasm_determinism(&mut tally))
        .and_then(|_| browser_tests(&mut tally))
        .and_then(|_| lint());
    println!("tests: {} passed, {} failed", tally.passed, tally.failed);
    if tally.ignored > 0 {
        return Err(format!("{} tests are ignored; the suite must not skip tests", tally.ignored));
    }
    if result.is_ok() && tally.passed == 0 {
        return Err("no test ran".into());
    }
    result
}

fn lint() -> Result<(), String> {
    cargo(&["fmt", "--all", "--check"]).map_err(|e| format!("{e}: run `cargo fmt`"))?;
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    cargo(&["clippy", "-p", "sim-core", "--no-default-features", "--all-targets", "--", "-D", "warnings"])
}

/// `cargo xtask sweep N`: N random fault schedules in release mode on every core.
fn sweep(n: &str) -> Result<(), String> {
    n.parse::<u64>().map_err(|_| format!("sweep: `{n}` is not a number of schedules"))?;
    cargo(&["run", "--release", "-q", "-p", "dbsim-tests", "--bin", "sweep", "--", n])
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "test" => test(),
        "bench" if std::env::args().nth(2).as_deref() == Some("engine") => engine_bench(),
        "bench" => bench(),
        "lint" => lint(),
        "sweep" => sweep(&std::env::args().nth(2).unwrap_or_else(|| "10000".into())),
        "e2e" => browser_tests(&mut Tally::default()),
        "dist" => web::dist().map(|_| ()),
        "serve" => web::dist().and_then(|dir| web::serve(&dir, "127.0.0.1:8080")),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
