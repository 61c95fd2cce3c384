//! Connection pooling (`[pooling]`): the claims the chapter 11 pooling lessons make, checked over
//! seeds from the run's own per-second figures, and the refusals of bad pool settings.
use dbsim_tests::root;
use sim_core::pool::PoolSample;
use sim_core::{load, Command, Setting, SimTime};

fn lesson(file: &str) -> String {
    std::fs::read_to_string(root().join("scenarios").join(file)).unwrap()
}

/// Runs `src` with `seed` and returns the pool's per-second samples and the final report.
fn run(src: &str, seed: u64) -> (Vec<PoolSample>, sim_core::pool::report::PoolReport) {
    let (_, mut w) = load("lesson", src, Some(seed)).unwrap_or_else(|e| panic!("{e}"));
    w.run_to_end().unwrap();
    (w.pool_series().expect("a [pooling] lesson").iter().copied().collect(), w.pool_report().expect("a [pooling] lesson"))
}

/// Mean served per second, and the p95 of the per-second p95s, over samples in `from..to` seconds.
fn window(s: &[PoolSample], from: u64, to: u64) -> (f64, u64) {
    let w: Vec<&PoolSample> = s.iter().filter(|p| p.t_ms > from * 1000 && p.t_ms <= to * 1000).collect();
    let served = w.iter().map(|p| p.served).sum::<u64>() as f64 / w.len().max(1) as f64;
    let mut p95: Vec<u64> = w.iter().map(|p| p.p95_us).collect();
    p95.sort_unstable();
    (served, p95.get(p95.len() * 95 / 100).copied().unwrap_or(0))
}

#[test]
fn pool_size_has_a_knee_for_every_seed() {
    let src = lesson("11d-pool-size-knee.toml");
    for seed in 1..=12 {
        let (s, _) = run(&src, seed);
        let (small, small_p95) = window(&s, 20, 40);
        let (right, right_p95) = window(&s, 60, 80);
        let (large, _) = window(&s, 100, 120);
        assert!(right > small * 1.5, "seed {seed}: a pool of 32 ({right:.0}/s) should serve far more than 8 ({small:.0}/s)");
        assert!(right > large * 1.2, "seed {seed}: a pool of 32 ({right:.0}/s) should serve more than 800 ({large:.0}/s)");
        assert!(right_p95 * 10 < small_p95, "seed {seed}: p95 {right_p95} µs with 32 against {small_p95} µs with 8");
        // The lesson's watch item: p95 falls from seconds to a few hundred milliseconds.
        assert!(small_p95 > 2_000_000 && right_p95 < 1_000_000, "seed {seed}: p95 {small_p95} µs with 8, {right_p95} µs with 32");
    }
}

#[test]
fn littles_law_holds_behind_pgbouncer() {
    let src = lesson("11b-million-users-pgbouncer.toml");
    for seed in [1, 2, 3] {
        let (_, r) = run(&src, seed);
        let lw = r.little.lambda_per_s * r.little.w_ms / 1000.0;
        assert!((r.little.l - lw).abs() < 0.15 * r.little.l.max(1.0), "seed {seed}: L = {:.1}, λW = {lw:.1}", r.little.l);
        // Each user is thinking or in the system: λ ≈ users / (think + W).
        let expect = r.users as f64 / (30.0 + r.little.w_ms / 1000.0);
        assert!((r.served_per_s - expect).abs() < 0.02 * expect, "seed {seed}: {:.0}/s served, closed-system rate {expect:.0}/s", r.served_per_s);
        // Every figure the pool registers reads from its report, by name.
        for name in sim_core::pool::report::FIGURES.iter().map(|f| f.name) {
            assert!(r.figure(name).is_some_and(f64::is_finite), "{name}");
        }
        assert_eq!(r.figure("requests_served_per_s"), Some(r.served_per_s));
        assert_eq!(r.figure("commits_acked"), None, "not the pool's");
    }
}

/// Requests that fail leave the system too, so λ and W count them, each with its time in the
/// system until it failed. In 11c statement mode refuses transactions at once and
/// `query_wait_timeout` fails the longest waits; in 11e the failover breaks transactions under way
/// and times out the longest waits. Counting only the answered ones in W gave λW = 2,401 against
/// L = 7,164 in 11c, and 7,667 against 9,799 in 11e.
#[test]
fn littles_law_counts_the_failed_requests() {
    for (file, seeds) in [("11c-pool-modes.toml", [1, 2]), ("11e-failover-behind-pgbouncer.toml", [1, 2])] {
        let src = lesson(file);
        for seed in seeds {
            let (_, r) = run(&src, seed);
            assert!(r.failed > r.served / 1000, "{file} seed {seed}: failures ({} failed, {} served)", r.failed, r.served);
            let lw = r.little.lambda_per_s * r.little.w_ms / 1000.0;
            assert!((r.little.l - lw).abs() < 0.05 * r.little.l, "{file} seed {seed}: L = {:.0}, λW = {lw:.0}", r.little.l);
        }
    }
}

#[test]
fn without_a_pooler_the_database_collapses_and_with_one_it_does_not() {
    let direct = run(&lesson("11a-million-users-no-pooler.toml"), 5).1;
    let pooled = run(&lesson("11b-million-users-pgbouncer.toml"), 5).1;
    assert!(pooled.served_per_s > 1.8 * direct.served_per_s, "{:.0} against {:.0}", pooled.served_per_s, direct.served_per_s);
    assert!(direct.host.max_backends > 10 * pooled.host.max_backends);
    assert!(direct.host.max_mem_mb > pooled.host.max_mem_mb + 8000, "about 10 MB per extra backend");
}

#[test]
fn transaction_pooling_breaks_only_session_state() {
    let base = lesson("11c-pool-modes.toml");
    let cut = base.find("[[timeline]]").unwrap();
    let transaction_only = &base[..cut];
    let no_state = transaction_only.replace("session_state_share = 0.05", "session_state_share = 0.0");
    let (_, r) = run(&no_state, 1);
    assert_eq!(r.failed, 0, "{:?}", r.events);
    let (_, r) = run(transaction_only, 1);
    use sim_core::pool::PoolEvent as E;
    assert!(r.count(E::SqlPrepareMissing) > 0 && r.count(E::ProtocolPrepareMissing) > 0 && r.count(E::SetLeaked) > 0);
    // PgBouncer 1.21+ keeps protocol-level prepared statements; SQL PREPARE still breaks.
    let kept = transaction_only.replace("max_prepared_statements = 0", "max_prepared_statements = 200");
    let (_, r) = run(&kept, 1);
    assert_eq!(r.count(E::ProtocolPrepareMissing), 0);
    assert!(r.count(E::SqlPrepareMissing) > 0);
    // Session pooling keeps each client on its server connection: nothing breaks.
    let session = no_state.replace("pool_mode = \"transaction\"", "pool_mode = \"session\"").replace("session_state_share = 0.0", "session_state_share = 0.05");
    let (_, r) = run(&session, 1);
    assert_eq!(r.count(E::SqlPrepareMissing) + r.count(E::SetLeaked) + r.count(E::AdvisoryLockOrphaned) + r.count(E::ProtocolPrepareMissing), 0);
}

#[test]
fn clients_wait_through_a_failover_and_are_served_again() {
    let src = lesson("11e-failover-behind-pgbouncer.toml");
    for seed in 1..=8 {
        let (s, r) = run(&src, seed);
        let (before, _) = window(&s, 10, 30);
        let (after, _) = window(&s, 105, 120);
        let (gap, _) = window(&s, 35, 45);
        assert!(gap < before * 0.1, "seed {seed}: {gap:.0}/s served while no primary is reachable");
        assert!(after > before * 0.9, "seed {seed}: {after:.0}/s after the failover, {before:.0}/s before");
        assert!(s.iter().any(|p| p.cl_waiting > 50), "seed {seed}: clients queue in PgBouncer during the failover");
        assert_eq!(r.host.backends, 32, "seed {seed}: PgBouncer logged in to the new primary");
    }
}

#[test]
fn bad_pool_settings_are_refused_with_the_setting_named() {
    assert!(Setting::parse("default_pool_size", "0").unwrap_err().contains("default_pool_size = 0 must be 1 to 10000"));
    assert!(Setting::parse("pool_mode", "connection").unwrap_err().contains("unknown pool_mode `connection`"));
    assert_eq!(Setting::parse("pool_mode", "statement"), Ok(Setting { name: "pool_mode", value: sim_core::command::settings::Value::Choice("statement".into()) }));
    let (_, mut w) = load("11a", &lesson("11a-million-users-no-pooler.toml"), None).unwrap();
    let e = w.schedule(SimTime(1_000_000), Command::Set { settings: vec![Setting::parse("default_pool_size", "10").unwrap()] }).unwrap_err();
    assert_eq!(e.kind, sim_core::world::CommandErrorKind::Refused);
    assert!(e.message.contains("no PgBouncer"));
}

#[test]
fn a_pool_size_changed_by_command_replays_like_a_scripted_one() {
    let src = lesson("11d-pool-size-knee.toml");
    let (_, mut a) = load("11d", &src, Some(3)).unwrap();
    a.run_until(SimTime(10_000_000)).unwrap();
    let mut b = a.clone();
    a.schedule(SimTime(20_000_000), Command::Set { settings: vec![Setting::parse("pool_mode", "session").unwrap()] }).unwrap();
    b.schedule(SimTime(20_000_000), Command::Set { settings: vec![Setting::parse("pool_mode", "session").unwrap()] }).unwrap();
    a.run_until(SimTime(50_000_000)).unwrap();
    b.run_until(SimTime(50_000_000)).unwrap();
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_ne!(a.pool_report().unwrap().pool_mode, Some("transaction"));
}
