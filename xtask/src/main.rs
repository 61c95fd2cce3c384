//! Project automation: `cargo xtask test` runs the whole suite; `cargo xtask bench` prints the engine figures.
use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};

mod web;

const USAGE: &str = "usage: cargo xtask <serve|dist|test|e2e|bench|lint>
  serve  build the app in release mode into dist/ and serve it on http://127.0.0.1:8080
  dist   build the static app into dist/
  test   every test in the workspace, then clippy with warnings as errors
  bench  native against the shipped wasm side by side (the reference run's events/s, the
         1,000,000-user hour against real time, its request rates and memory), then the
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
    let wasm = root.join("target/wasm32-unknown-unknown/release/wasm_check.wasm");
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

/// The engine native and in the shipped wasm profile side by side, in one run: the reference
/// run's events/s, and the one-hour 1,000,000-user pooling run against real time, with the
/// request rates it offered and served and the wasm memory it ended with.
fn engine_bench() -> Result<(), String> {
    cargo(&["build", "-q", "-p", "wasm-check", "--target", "wasm32-unknown-unknown", "--profile", "web"])?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let wasm = root.join("target/wasm32-unknown-unknown/web/wasm_check.wasm");
    let native = Command::new(env!("CARGO")).args(["run", "-q", "--release", "-p", "wasm-check", "--bin", "native"]).output().map_err(|e| format!("cargo run: {e}"))?;
    if !native.status.success() {
        return Err(format!("the native engine bench failed: {}", String::from_utf8_lossy(&native.stderr)));
    }
    let n = bench_lines(&String::from_utf8_lossy(&native.stdout));
    let nget = |k: &str| figure(&n, "native", k);
    let (ref_events, ref_native, pool_native) = (nget("reference_events")? as u64, nget("reference_s")?, nget("pool_s")?);
    let pool = (nget("pool_events")? as u64, nget("pool_offered")?, nget("pool_served")?);
    let out = Command::new("node").arg(root.join("xtask/wasm-engine.mjs")).arg(&wasm).output().map_err(|e| format!("node: {e}"))?;
    if !out.status.success() {
        return Err(format!("wasm-engine.mjs failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let w = bench_lines(&String::from_utf8_lossy(&out.stdout));
    let get = |k: &str| figure(&w, "wasm", k);
    let (ref_wasm, pool_wasm, mem) = (get("reference_s")?, get("pool_s")?, get("memory_mib")?);
    let mark = |ok: bool| if ok { "met" } else { "MISSED" };
    let native_meps = ref_events as f64 / ref_native / 1e6;
    let wasm_meps = get("reference_events")? / ref_wasm / 1e6;
    println!("engine (native release vs wasm32 in the shipped `web` profile, measured side by side in one run)");
    println!(
        "  reference run, {ref_events} events: native {native_meps:.2} M events/s, wasm {wasm_meps:.2} M events/s, wasm/native {:.2}x (target >= 0.70x: {}); native target >= 10 M events/s: {}",
        wasm_meps / native_meps,
        mark(wasm_meps / native_meps >= 0.7),
        mark(native_meps >= 10.0)
    );
    println!(
        "  1,000,000 users, 1 simulated hour, {} events: offered {:.0} req/s, served {:.0} req/s (wasm: {:.0} offered, {:.0} served)",
        pool.0,
        pool.1,
        pool.2,
        get("pool_offered")?,
        get("pool_served")?
    );
    println!(
        "    native {pool_native:.1} s = {:.1}x real time; wasm {pool_wasm:.1} s = {:.1}x real time (target >= 10x: {}); wasm/native {:.2}x",
        3600.0 / pool_native,
        3600.0 / pool_wasm,
        mark(3600.0 / pool_wasm >= 10.0),
        pool_native / pool_wasm
    );
    println!("    wasm memory after the hour (session with snapshots): {mem:.0} MiB (target <= 128 MiB: {})", mark(mem <= 128.0));
    Ok(())
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
    let result = cargo_test(&["test", "--workspace"], &mut tally).and_then(|_| wasm_determinism(&mut tally)).and_then(|_| browser_tests(&mut tally)).and_then(|_| lint());
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
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])
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
