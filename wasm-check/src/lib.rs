//! Exports `scenario_count()` and `scenario_hash(i)` from a plain wasm32 module (no JS glue),
//! so a test can compare each built-in scenario's trace hash (and each sharding lesson's report
//! digest) under wasm with the native one.
#![allow(unsafe_code)] // `#[no_mangle]` exports only: no pointers cross the boundary.

/// Built-in scenarios, then sharding lessons, then planner lessons, then challenges.
pub fn count() -> usize {
    lessons::BUILTIN.len() + lessons::SHARDING.len() + lessons::PLANNER.len() + lessons::CHALLENGES.len()
}

/// The file name of lesson `i` (scenarios first, then sharding lessons, planner lessons, challenges).
pub fn name_of(i: usize) -> &'static str {
    lessons::BUILTIN.iter().chain(lessons::SHARDING).chain(lessons::PLANNER).chain(lessons::CHALLENGES).nth(i).map_or("", |l| l.0)
}

/// A challenge run with its reference solution: the trace hash of a scenario's, the report
/// digest of a sharded lesson's; 0 on error.
fn challenge_digest(file: &str, src: &str) -> u64 {
    if lessons::is_sharded(file) {
        let Ok(mut l) = sim_core::runner::sharded::ShardLesson::parse(file, src) else { return 0 };
        let Some(design) = l.template.challenge.as_ref().and_then(|c| c.design.clone()) else { return 0 };
        return l.apply_design(&design).ok().and_then(|_| l.run(None).ok()).map_or(0, |r| r.digest());
    }
    let Ok(scn) = sim_core::Scenario::parse(file, src) else { return 0 };
    sim_core::challenge::attempt(&scn, scn.run.seed, &scn.solution()).map_or(0, |r| u64::from_str_radix(&r.trace_hash, 16).unwrap_or(0))
}

/// A planner lesson's fingerprint: every query's EXPLAIN (ANALYZE, BUFFERS) text, hashed.
fn planner_digest(file: &str, src: &str) -> u64 {
    let Ok(l) = sim_planner::load(file, src, None) else { return 0 };
    let opts = sim_planner::sql::ExplainOpts { analyze: true, buffers: true, ..Default::default() };
    let mut text = String::new();
    for (i, q) in l.file.queries.iter().enumerate() {
        match sim_planner::explain(&l.states[i], q.sql.get_ref(), Some(opts)) {
            Ok(e) => text.push_str(&e.text(&l.states[i])),
            Err(_) => return 0,
        }
    }
    sim_kernel::rng::fnv1a(&text)
}

/// The trace hash of built-in scenario `i` run to its end with its own seed, or the digest of
/// sharding lesson `i - BUILTIN.len()`; 0 on error.
pub fn hash_of(i: usize) -> u64 {
    if let Some((file, src)) = i.checked_sub(lessons::BUILTIN.len() + lessons::SHARDING.len() + lessons::PLANNER.len()).and_then(|j| lessons::CHALLENGES.get(j)) {
        return challenge_digest(file, src);
    }
    if let Some((file, src)) = i.checked_sub(lessons::BUILTIN.len() + lessons::SHARDING.len()).and_then(|j| lessons::PLANNER.get(j)) {
        return planner_digest(file, src);
    }
    if let Some((file, src)) = i.checked_sub(lessons::BUILTIN.len()).and_then(|j| lessons::SHARDING.get(j)) {
        return sim_core::runner::sharded::ShardLesson::parse(file, src).ok().and_then(|l| l.run(None).ok()).map_or(0, |r| r.digest());
    }
    let Some((file, src)) = lessons::BUILTIN.get(i) else { return 0 };
    let Ok((_, mut world)) = sim_core::load(file, src, None) else { return 0 };
    match sim_engine::run_to_end(&mut world) {
        Ok(()) => world.trace_hash(),
        Err(_) => 0,
    }
}

#[no_mangle]
pub extern "C" fn scenario_count() -> u32 {
    count() as u32
}

#[no_mangle]
pub extern "C" fn scenario_hash(i: u32) -> u64 {
    hash_of(i as usize)
}

thread_local! {
    /// The seek benchmark's session (wasm32 here is single-threaded).
    static BENCH: std::cell::RefCell<Option<sim_session::Session>> = const { std::cell::RefCell::new(None) };
}

const ONE_HOUR: &str = include_str!("../../sim-core/benches/one-hour.toml");

/// Loads the one-hour benchmark run and plays it to its end. Returns its event count (0 on error).
#[no_mangle]
pub extern "C" fn seek_setup() -> u64 {
    let Ok(mut s) = sim_session::Session::new("one-hour.toml", ONE_HOUR, None) else { return 0 };
    if s.advance_to(s.end()).is_err() {
        return 0;
    }
    let events = s.world.events();
    BENCH.with(|b| *b.borrow_mut() = Some(s));
    events
}

/// Seeks the benchmark session to `ms` and returns the trace hash there (0 on error).
#[no_mangle]
pub extern "C" fn seek_to(ms: u64) -> u64 {
    BENCH.with(|b| {
        let mut b = b.borrow_mut();
        let Some(s) = b.as_mut() else { return 0 };
        match s.seek(sim_core::SimTime(ms.saturating_mul(1000))) {
            Ok(()) => s.world.trace_hash(),
            Err(_) => 0,
        }
    })
}

thread_local! {
    /// The planner benchmark's lessons, loaded once.
    static PLAN: std::cell::RefCell<Option<(sim_planner::Lesson, sim_planner::Lesson)>> = const { std::cell::RefCell::new(None) };
}

/// Loads the planner benchmark lessons (a six-table join; a million rows). 1 when ready.
#[no_mangle]
pub extern "C" fn plan_setup() -> u32 {
    let six = sim_planner::load("six-way.toml", include_str!("../../planner/benches/six-way.toml"), None);
    let million = sim_planner::load("million.toml", include_str!("../../planner/benches/million.toml"), None);
    match (six, million) {
        (Ok(a), Ok(b)) => {
            PLAN.with(|p| *p.borrow_mut() = Some((a, b)));
            1
        }
        _ => 0,
    }
}

/// Plans the six-table join once; returns its total cost in hundredths (0 on error).
#[no_mangle]
pub extern "C" fn plan_six_way() -> u64 {
    PLAN.with(|p| {
        let p = p.borrow();
        let Some((six, _)) = p.as_ref() else { return 0 };
        sim_planner::explain(&six.db, six.file.queries[0].sql.get_ref(), None).map_or(0, |e| (e.plan.total * 100.0) as u64)
    })
}

/// EXPLAIN ANALYZE over the million-row table once; returns the rows it output (0 on error).
#[no_mangle]
pub extern "C" fn explain_analyze_million() -> u64 {
    PLAN.with(|p| {
        let p = p.borrow();
        let Some((_, m)) = p.as_ref() else { return 0 };
        let opts = sim_planner::sql::ExplainOpts { analyze: true, ..Default::default() };
        sim_planner::explain(&m.db, m.file.queries[0].sql.get_ref(), Some(opts)).ok().and_then(|e| e.analyzed.map(|a| a.rows_out as u64)).unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    /// Each challenge runs with its reference solution and yields a real fingerprint to compare
    /// (0 would mean it failed to load or run).
    #[test]
    fn every_challenge_has_a_fingerprint() {
        let first = super::count() - lessons::CHALLENGES.len();
        for i in first..super::count() {
            assert!(super::name_of(i).starts_with("challenges/"));
            assert_ne!(super::hash_of(i), 0, "{}", super::name_of(i));
        }
    }
}

const REFERENCE: &str = include_str!("../../sim-core/benches/reference.toml");
const MILLION_USERS_HOUR: &str = include_str!("../../sim-core/benches/million-users-hour.toml");
const MIGRATION: &str = include_str!("../../sim-core/benches/migration.toml");

/// Plays the migration benchmark (an expand-contract rename with a million-row backfill, 2,000
/// transactions/s through PgBouncer, two replicas) in a `Session`, snapshots included, as the
/// page does: its event count (0 on error, or if it missed a goal).
pub fn migration_run() -> u64 {
    let Ok(mut s) = sim_session::Session::new("migration.toml", MIGRATION, None) else { return 0 };
    if s.advance_to(s.end()).is_err() {
        return 0;
    }
    let done = s.world.migration_report().and_then(|r| r.figure("final_version")) == Some(4.0);
    if done {
        s.world.events()
    } else {
        0
    }
}

/// The simulated seconds of the migration benchmark.
pub const MIGRATION_SIMULATED_S: f64 = 200.0;

/// Runs the engine's reference run (3 nodes, 1,000 clients, one hour) to its end: its event count
/// (0 on error). The same text and seed as `cargo bench -p sim-core`.
pub fn reference_run() -> u64 {
    let Ok((_, mut w)) = sim_core::load("reference.toml", REFERENCE, Some(1)) else { return 0 };
    if sim_engine::run_to_end(&mut w).is_err() {
        return 0;
    }
    w.events()
}

/// What the one-hour, 1,000,000-user pooling run did: events, requests offered and served per
/// simulated second, and the session's snapshots' count.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolHour {
    pub events: u64,
    pub offered_per_s: f64,
    pub served_per_s: f64,
}

/// Plays the 1,000,000-user lesson for one simulated hour in a `Session` (snapshots included,
/// as the page does), every request end to end.
pub fn pool_hour() -> PoolHour {
    let Ok(mut s) = sim_session::Session::new("million-users-hour.toml", MILLION_USERS_HOUR, None) else { return PoolHour::default() };
    if s.advance_to(s.end()).is_err() {
        return PoolHour::default();
    }
    let Some(r) = s.world.pool_report() else { return PoolHour::default() };
    PoolHour { events: s.world.events(), offered_per_s: r.offered_per_s, served_per_s: r.served_per_s }
}

thread_local! {
    static POOL: std::cell::Cell<PoolHour> = const { std::cell::Cell::new(PoolHour { events: 0, offered_per_s: 0.0, served_per_s: 0.0 }) };
}

#[no_mangle]
pub extern "C" fn reference_events() -> u64 {
    reference_run()
}

/// Runs the pooling hour; its event count (0 on error). `pool_offered` and `pool_served` then
/// give its rates.
#[no_mangle]
pub extern "C" fn pool_hour_events() -> u64 {
    let r = pool_hour();
    POOL.with(|p| p.set(r));
    r.events
}

#[no_mangle]
pub extern "C" fn migration_events() -> u64 {
    migration_run()
}

#[no_mangle]
pub extern "C" fn pool_offered() -> f64 {
    POOL.with(|p| p.get().offered_per_s)
}

#[no_mangle]
pub extern "C" fn pool_served() -> f64 {
    POOL.with(|p| p.get().served_per_s)
}
