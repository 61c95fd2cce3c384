//! One test per lesson, so a failure names the lesson:
//! - `seeds::<lesson>`: its expectations hold for every seed 1-100 (the seed is a UI control);
//! - `challenge::solution::<lesson>` / `challenge::idle::<lesson>`: a challenge's reference
//!   solution meets every goal for every seed, and doing nothing meets them for none;
//! - `challenge::traps::<lesson>`: every wrong answer the challenge names (the traps its hints
//!   warn about) misses it for every seed;
//! - `golden::<lesson>`: its run with the lesson's own seed matches the reviewed snapshot in
//!   `tests/snapshots/` (trace hash plus a report summary). An intended behaviour change is a
//!   snapshot update: `INSTA_UPDATE=always cargo test -p dbsim-tests --test lessons`, then review.
use dbsim_tests::{files, run_file};
use libtest_mimic::{Arguments, Failed, Trial};
use sim_core::report::ExpectResult;
use sim_core::runner::sharded::ShardLesson;
use std::path::{Path, PathBuf};

const SEEDS: std::ops::RangeInclusive<u64> = 1..=100;

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn failed_expectations(e: &[ExpectResult]) -> Vec<String> {
    e.iter().filter(|e| !e.ok).map(|e| format!("{}: {}", e.name, e.detail)).collect()
}

/// Runs `expectations(seed)` for every seed and fails listing each seed that broke one.
fn over_seeds(expectations: impl Fn(u64) -> Result<Vec<ExpectResult>, Failed>) -> Result<(), Failed> {
    let mut bad = Vec::new();
    for seed in SEEDS {
        let e = expectations(seed)?;
        if e.is_empty() {
            return Err("the lesson has no expectations".into());
        }
        let failed = failed_expectations(&e);
        if !failed.is_empty() {
            bad.push(format!("seed {seed}: {}", failed.join("; ")));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!("{} of {} seeds fail:\n{}", bad.len(), SEEDS.count(), bad.join("\n")).into())
    }
}

fn lesson_seeds(path: &PathBuf) -> Result<(), Failed> {
    over_seeds(|seed| Ok(run_file(path, Some(seed)).expectations))
}

/// A drill is five fresh runs of the lesson, so its verdict is checked over fewer seeds.
const DRILL_SEEDS: std::ops::RangeInclusive<u64> = 1..=10;

/// A lesson that states a drill verdict (`[expect] drill`): the drill reaches it for each seed.
fn drill_seeds(path: &Path, scn: &sim_core::Scenario) -> Result<(), Failed> {
    let bad: Vec<String> = DRILL_SEEDS.filter_map(|seed| sim_core::drill::judge(scn, seed).filter(|e| !e.ok).map(|e| format!("seed {seed}: {}", e.detail))).collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", path.display(), bad.join("\n")).into())
    }
}

fn shard_lesson(path: &Path) -> Result<ShardLesson, Failed> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    ShardLesson::parse(&path.display().to_string(), &src).map_err(|e| e.to_string().into())
}

fn shard_seeds(path: &Path) -> Result<(), Failed> {
    let lesson = shard_lesson(path)?;
    over_seeds(|seed| Ok(lesson.run(Some(seed))?.expectations))
}

/// The summary pinned per lesson: what a reviewer should see change.
fn lesson_summary(path: &PathBuf) -> String {
    let r = run_file(path, None);
    let m = &r.metrics;
    let mut out = format!(
        "seed {}\ntrace_hash {}\nevents {}\nend_ms {}\ncommits acked {} failed {} lost {} rpo_ms {} sync_waits_canceled {}\nmax_write_gap_ms {}\n",
        r.seed, r.trace_hash, r.events, r.end_time_ms, m.commits_acked, m.commits_failed, m.commits_lost, m.rpo_ms, m.sync_waits_canceled, m.max_write_gap_ms
    );
    for f in &m.failovers {
        out.push_str(&format!(
            "failover at_ms {} {} -> {} timeline {} unavailable_ms {:?}{}\n",
            f.at_ms,
            f.from.as_deref().unwrap_or("-"),
            f.to,
            f.timeline,
            f.unavailable_ms,
            if f.false_failover { " (false)" } else { "" }
        ));
    }
    for n in &r.nodes {
        out.push_str(&format!("node {} {} {} timeline {} lsn {}\n", n.name, n.role, n.state, n.timeline, n.lsn));
    }
    // Each component's own figures, so a change in one component shows as a change in them.
    for line in r.components.iter().flat_map(|c| &c.summary) {
        out.push_str(line);
        out.push('\n');
    }
    for e in &r.expectations {
        out.push_str(&format!("[{}] {}: {}\n", if e.ok { "ok" } else { "FAIL" }, e.name, e.detail));
    }
    out
}

fn shard_summary(path: &Path) -> Result<String, Failed> {
    let r = shard_lesson(path)?.run(None)?;
    let mut out = format!("seed {}\ndigest {:016x}\n", r.seed, r.digest());
    for (k, v) in &r.metrics {
        out.push_str(&format!("{k} {v}\n"));
    }
    for e in &r.expectations {
        out.push_str(&format!("[{}] {}: {}\n", if e.ok { "ok" } else { "FAIL" }, e.name, e.detail));
    }
    Ok(out)
}

/// Planner lessons draw their data from the seed: every query's promises must hold for each one.
const PLANNER_SEEDS: std::ops::RangeInclusive<u64> = 1..=25;

fn planner_lesson(path: &Path, seed: Option<u64>) -> Result<sim_planner::Lesson, Failed> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    sim_planner::load(&path.display().to_string(), &src, seed).map_err(|e| e.to_string().into())
}

fn planner_seeds(path: &Path) -> Result<(), Failed> {
    let mut bad = Vec::new();
    for seed in PLANNER_SEEDS {
        let checks = planner_lesson(path, Some(seed))?.check();
        if checks.is_empty() {
            return Err("the lesson has no expectations".into());
        }
        let failed: Vec<String> = checks.iter().filter(|c| !c.2).map(|c| format!("query {}: {}", c.0, c.1)).collect();
        if !failed.is_empty() {
            bad.push(format!("seed {seed}: {}", failed.join("; ")));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!("{} of {} seeds fail:\n{}", bad.len(), PLANNER_SEEDS.count(), bad.join("\n")).into())
    }
}

/// A planner challenge: its reference solution makes the query fast enough for every seed, and
/// the lesson as written (no commands) never is.
fn planner_challenge_seeds(path: &Path) -> Result<(), Failed> {
    let mut bad = Vec::new();
    for seed in PLANNER_SEEDS {
        let l = planner_lesson(path, Some(seed))?;
        let solution = &l.file.challenge.as_ref().ok_or("no [challenge]")?.solution;
        let with = sim_planner::challenge::attempt(&l, solution).ok_or("no [challenge]")??;
        let idle = sim_planner::challenge::attempt(&l, &[]).ok_or("no [challenge]")??;
        if !with.met {
            bad.push(format!("seed {seed}: the solution makes it {:.1}× faster ({:.3} ms to {:.3} ms), not {}×", with.speedup, with.baseline_ms, with.ms, with.goal));
        }
        if idle.met {
            bad.push(format!("seed {seed}: doing nothing meets it"));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("\n").into())
    }
}

/// Every query's EXPLAIN (ANALYZE, BUFFERS) with the lesson's own seed.
fn planner_summary(path: &Path) -> Result<String, Failed> {
    let l = planner_lesson(path, None)?;
    let mut out = format!("seed {}\n", l.db.seed);
    for (i, q) in l.file.queries.iter().enumerate() {
        let opts = sim_planner::sql::ExplainOpts { analyze: true, buffers: true, ..Default::default() };
        let e = sim_planner::explain(&l.states[i], q.sql.get_ref(), Some(opts)).map_err(|e| e.message)?;
        out.push_str(&format!("\n-- query {i}: {}\n{}\n", q.name, e.text(&l.states[i])));
    }
    for (i, what, ok) in l.check() {
        out.push_str(&format!("[{}] query {i}: {what}\n", if ok { "ok" } else { "FAIL" }));
    }
    Ok(out)
}

fn challenge_scenario(path: &Path) -> Result<sim_core::Scenario, Failed> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let scn = sim_session::parse(&path.display().to_string(), &src).map_err(|e| e.to_string())?;
    if scn.challenge.is_none() {
        return Err("a file in scenarios/challenges/ without a [challenge]".into());
    }
    Ok(scn)
}

/// A challenge's reference solution (commands, or a sharded lesson's design) meets every goal,
/// for every seed.
fn challenge_solution_seeds(path: &Path) -> Result<(), Failed> {
    let scn = challenge_scenario(path)?;
    if scn.is_sharded() {
        let lesson = shard_lesson(path)?;
        let design = scn.challenge.and_then(|c| c.design).ok_or("no design")?;
        return over_seeds(|seed| Ok(sim_core::challenge::attempt_design(&lesson, seed, &design)?));
    }
    let log = scn.solution();
    over_seeds(|seed| Ok(sim_core::challenge::attempt(&scn, seed, &log)?.expectations))
}

/// Doing nothing does not meet a challenge, for any seed: the goals are the learner's to reach.
fn challenge_idle_seeds(path: &Path) -> Result<(), Failed> {
    let scn = challenge_scenario(path)?;
    let all_ok = |e: &[ExpectResult]| !e.is_empty() && e.iter().all(|e| e.ok);
    let met: Vec<u64> = if scn.is_sharded() {
        let lesson = shard_lesson(path)?;
        SEEDS.filter(|&seed| lesson.run(Some(seed)).is_ok_and(|r| all_ok(&r.expectations))).collect()
    } else {
        SEEDS.filter(|&seed| sim_core::challenge::attempt(&scn, seed, &[]).is_ok_and(|r| sim_core::challenge::met(&r))).collect()
    };
    if met.is_empty() {
        Ok(())
    } else {
        Err(format!("doing nothing meets the challenge with seeds {met:?}").into())
    }
}

/// Every wrong answer a challenge names (the traps its hints warn about) misses it, for every
/// seed: a hint never describes an answer the page would grade as met.
fn challenge_traps_seeds(path: &Path) -> Result<(), Failed> {
    let scn = challenge_scenario(path)?;
    let traps = scn.challenge.as_ref().map(|c| c.traps.clone()).unwrap_or_default();
    if traps.is_empty() {
        return Err("the challenge names no wrong answer".into());
    }
    let all_ok = |e: &[ExpectResult]| !e.is_empty() && e.iter().all(|e| e.ok);
    let mut bad = Vec::new();
    for (i, t) in traps.iter().enumerate() {
        let met: Vec<u64> = if scn.is_sharded() {
            let lesson = shard_lesson(path)?;
            let design = t.design.clone().ok_or("a sharded trap without a design")?;
            let mut met = Vec::new();
            for seed in SEEDS {
                if all_ok(&sim_core::challenge::attempt_design(&lesson, seed, &design)?) {
                    met.push(seed);
                }
            }
            met
        } else {
            let log = t.log();
            let mut met = Vec::new();
            for seed in SEEDS {
                if sim_core::challenge::met(&sim_core::challenge::attempt(&scn, seed, &log)?) {
                    met.push(seed);
                }
            }
            met
        };
        if !met.is_empty() {
            bad.push(format!("trap {i} ({}) meets the challenge with seeds {met:?}", t.why));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("\n").into())
    }
}

/// The pinned summary of a challenge: its reference solution's run.
fn challenge_summary(path: &Path) -> Result<String, Failed> {
    let scn = challenge_scenario(path)?;
    let (head, expectations) = if scn.is_sharded() {
        let mut lesson = shard_lesson(path)?;
        lesson.apply_design(scn.challenge.as_ref().and_then(|c| c.design.as_ref()).ok_or("no design")?)?;
        let r = lesson.run(None)?;
        (format!("seed {}\ndigest {:016x}\n", r.seed, r.digest()), r.expectations)
    } else {
        let r = sim_core::challenge::attempt(&scn, scn.run.seed, &scn.solution())?;
        (format!("seed {}\ntrace_hash {}\nevents {}\n", r.seed, r.trace_hash, r.events), r.expectations)
    };
    let mut out = head;
    for e in &expectations {
        out.push_str(&format!("[{}] {}: {}\n", if e.ok { "ok" } else { "FAIL" }, e.name, e.detail));
    }
    Ok(out)
}

fn golden(name: &str, summary: String) -> Result<(), Failed> {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dbsim_tests::root().join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    // A mismatch panics with insta's diff; libtest-mimic reports it as this lesson's failure.
    settings.bind(|| insta::assert_snapshot!(name.to_string(), summary));
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for path in files("scenarios") {
        let name = stem(&path);
        let p = path.clone();
        trials.push(Trial::test(format!("seeds::{name}"), move || lesson_seeds(&p)));
        let p = path.clone();
        let n = name.clone();
        trials.push(Trial::test(format!("golden::{name}"), move || golden(&n, lesson_summary(&p))));
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        if let Some(scn) = sim_core::Scenario::parse(&name, &src).ok().filter(|s| s.expect.drill.is_some()) {
            trials.push(Trial::test(format!("drill::{name}"), move || drill_seeds(&path, &scn)));
        }
    }
    for path in files("scenarios/sharding") {
        let name = stem(&path);
        let p = path.clone();
        trials.push(Trial::test(format!("seeds::{name}"), move || shard_seeds(&p)));
        let n = name.clone();
        trials.push(Trial::test(format!("golden::{name}"), move || golden(&n, shard_summary(&path)?)));
    }
    for path in files("scenarios/challenges") {
        let name = stem(&path);
        let p = path.clone();
        trials.push(Trial::test(format!("challenge::solution::{name}"), move || challenge_solution_seeds(&p)));
        let p = path.clone();
        trials.push(Trial::test(format!("challenge::idle::{name}"), move || challenge_idle_seeds(&p)));
        let p = path.clone();
        trials.push(Trial::test(format!("challenge::traps::{name}"), move || challenge_traps_seeds(&p)));
        let n = format!("challenge-{name}");
        trials.push(Trial::test(format!("golden::challenge::{name}"), move || golden(&n, challenge_summary(&path)?)));
    }
    for path in files("scenarios/planner") {
        let name = stem(&path);
        let p = path.clone();
        trials.push(Trial::test(format!("seeds::{name}"), move || planner_seeds(&p)));
        if std::fs::read_to_string(&path).is_ok_and(|src| src.lines().any(|l| l.trim() == "[challenge]")) {
            let p = path.clone();
            trials.push(Trial::test(format!("challenge::solution::{name}"), move || planner_challenge_seeds(&p)));
        }
        let n = name.clone();
        trials.push(Trial::test(format!("golden::{name}"), move || golden(&n, planner_summary(&path)?)));
    }
    libtest_mimic::run(&args, trials).exit();
}
