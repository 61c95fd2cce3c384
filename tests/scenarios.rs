//! Replays every scenario, checks determinism, sweeps random fault schedules, and feeds in malformed files.
use dbsim_tests::{check_sweep, files, root, run_file};
use sim_core::load;

#[test]
fn replays_are_deterministic_and_seeds_matter() {
    for path in files("scenarios") {
        let a = run_file(&path, None);
        let b = run_file(&path, None);
        assert_eq!(a.trace_hash, b.trace_hash, "{}", path.display());
        assert_eq!(a.events, b.events, "{}", path.display());
        let c = run_file(&path, Some(a.seed + 1));
        assert_ne!(a.trace_hash, c.trace_hash, "{}: a different seed gave the same trace", path.display());
    }
}

#[test]
fn snapshot_clone_replays_identically() {
    let path = root().join("scenarios/01-async-failover.toml");
    let src = std::fs::read_to_string(&path).unwrap();
    let (_, mut w) = load("01", &src, None).unwrap();
    w.run_until(sim_core::SimTime(20_000_000)).unwrap();
    let mut snap = w.clone();
    w.run_to_end().unwrap();
    snap.run_to_end().unwrap();
    assert_eq!(w.trace_hash(), snap.trace_hash());
    assert_eq!(w.events(), snap.events());
}

#[test]
fn seed_sweep_keeps_every_promise_the_configuration_makes() {
    let (mut failovers, mut promised, mut broken) = (0, 0, Vec::new());
    for seed in 0..1000u64 {
        match check_sweep(seed) {
            Ok(run) => {
                failovers += run.failovers;
                promised += run.promised_no_loss as usize;
            }
            Err(e) => broken.push(e),
        }
    }
    assert!(broken.is_empty(), "{} of 1000 schedules broke a promise:\n{}", broken.len(), broken.join("\n"));
    assert!(failovers > 300, "the sweep should exercise failovers, saw {failovers}");
    assert!(promised > 300, "most schedules should promise no loss, {promised} did");
}

#[test]
fn malformed_scenarios_get_placed_errors() {
    let corpus = files("tests/malformed");
    assert!(corpus.len() >= 10, "malformed corpus too small");
    for path in corpus {
        let src = std::fs::read_to_string(&path).unwrap();
        let want: Vec<&str> = src.lines().filter_map(|l| l.strip_prefix("# expect: ")).collect();
        assert!(!want.is_empty(), "{} lacks '# expect:' lines", path.display());
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let err = match sim_session::parse(&name, &src) {
            Ok(_) => panic!("{name} parsed, but should fail"),
            Err(e) => e.to_string(),
        };
        for w in want {
            assert!(err.contains(w), "{name}: error `{err}` should contain `{w}`");
        }
        assert!(err.starts_with(&format!("{name}:")), "{name}: error must name the file: {err}");
    }
}

/// Every registered property is reported by a run, under its own name and kind (that each is
/// registered is `invariants::tests::every_property_is_registered_once`).
#[test]
fn every_property_is_reported_by_a_run_with_its_kind() {
    let src = std::fs::read_to_string(root().join("scenarios/01-async-failover.toml")).unwrap();
    let (scn, mut w) = load("01-async-failover.toml", &src, None).unwrap();
    w.run_until(w.end()).unwrap();
    let report = w.report(&scn.expect);
    for p in sim_core::invariants::ALL {
        let got = report.invariants.iter().find(|r| r.name == p.name()).unwrap_or_else(|| panic!("{} is not in the report", p.name()));
        assert_eq!(got.kind, p.kind(), "{}", p.name());
    }
}

#[test]
fn a_command_given_to_a_snapshot_replays_like_a_scripted_one() {
    use sim_core::{Command, SimTime};
    let src = std::fs::read_to_string(root().join("scenarios/03b-tuned-timings.toml")).unwrap();
    let crash = Command::CrashHost { node: "pg2".into() };
    let (_, mut scripted) = load("03b", &src, None).unwrap();
    scripted.schedule(SimTime(60_000_000), crash.clone()).unwrap();
    scripted.run_to_end().unwrap();
    let (_, mut live) = load("03b", &src, None).unwrap();
    live.run_until(SimTime(20_000_000)).unwrap();
    let mut fork = live.clone();
    fork.schedule(SimTime(60_000_000), crash).unwrap();
    fork.run_to_end().unwrap();
    assert_eq!(scripted.trace_hash(), fork.trace_hash());
    live.run_to_end().unwrap();
    assert_ne!(live.trace_hash(), fork.trace_hash(), "the extra crash must change the run");
    assert!(fork.schedule(SimTime(1), Command::Heal {}).is_err(), "cannot schedule in the past");
    assert!(fork.schedule(SimTime(2_000_000), Command::CrashHost { node: "nope".into() }).is_err());
}

/// Deterministic mutations of every lesson (numbers made huge, negative or zero; lines dropped;
/// values swapped for strings): each must load with an error or run without panicking.
#[test]
fn mutated_scenarios_never_panic() {
    use sim_core::rng::SimRng;
    let replacements = ["0", "-1", "9223372036854775807", "\"x\"", "1e308", "\"0s\"", "\"99999999h\"", "[]"];
    let mut rng = SimRng::derive(99, "mutate");
    let (mut ran, mut refused) = (0usize, 0usize);
    for path in files("scenarios") {
        let src = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = src.lines().collect();
        for _ in 0..40 {
            let i = rng.below(lines.len() as u64) as usize;
            let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            match (rng.below(2), out[i].split_once('=')) {
                (0, Some((k, _))) => out[i] = format!("{k}= {}", replacements[rng.below(replacements.len() as u64) as usize]),
                _ => out[i] = String::new(),
            }
            let text = out.join("\n");
            match load("mutant.toml", &text, None) {
                Ok((_, mut w)) => {
                    let until = sim_core::SimTime(w.end().0.min(5_000_000));
                    let _ = w.run_until(until);
                    ran += 1;
                }
                Err(e) => {
                    // A refusal says where: the file and its line.
                    assert!(e.to_string().starts_with("mutant.toml:"), "a refusal that names no place: {e}");
                    refused += 1;
                }
            }
        }
    }
    // Both kinds happen, in proportions a broken mutator or a parser that accepts everything
    // (or nothing) would change.
    let total = ran + refused;
    eprintln!("mutants: {ran} ran, {refused} refused of {total}");
    assert_eq!(total, 40 * files("scenarios").len());
    assert!(ran * 5 >= total && refused * 10 >= total, "mutants: {ran} ran, {refused} refused of {total}");
}
