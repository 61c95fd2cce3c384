//! Exports `scenario_count()` and `scenario_hash(i)` from a plain wasm32 module (no JS glue),
//! so a test can compare each built-in scenario's trace hash (and each sharding lesson's report
//! digest) under wasm with the native one.
#![allow(unsafe_code)] // `#[no_mangle]` exports only: no pointers cross the boundary.

/// Built-in scenarios, then sharding lessons.
pub fn count() -> usize {
    lessons::BUILTIN.len() + lessons::SHARDING.len()
}

/// The file name of lesson `i` (scenarios first, then sharding lessons).
pub fn name_of(i: usize) -> &'static str {
    lessons::BUILTIN.iter().chain(lessons::SHARDING).nth(i).map_or("", |l| l.0)
}

/// The trace hash of built-in scenario `i` run to its end with its own seed, or the digest of
/// sharding lesson `i - BUILTIN.len()`; 0 on error.
pub fn hash_of(i: usize) -> u64 {
    if let Some((file, src)) = i.checked_sub(lessons::BUILTIN.len()).and_then(|j| lessons::SHARDING.get(j)) {
        return sim_core::shard::lesson::ShardLesson::parse(file, src).ok().and_then(|l| l.run(None).ok()).map_or(0, |r| r.digest());
    }
    let Some((file, src)) = lessons::BUILTIN.get(i) else { return 0 };
    let Ok((_, mut world)) = sim_core::load(file, src, None) else { return 0 };
    match world.run_to_end() {
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
    static BENCH: std::cell::RefCell<Option<sim_core::Session>> = const { std::cell::RefCell::new(None) };
}

const ONE_HOUR: &str = include_str!("../../sim-core/benches/one-hour.toml");

/// Loads the one-hour benchmark run and plays it to its end. Returns its event count (0 on error).
#[no_mangle]
pub extern "C" fn seek_setup() -> u64 {
    let Ok(mut s) = sim_core::Session::new("one-hour.toml", ONE_HOUR, None) else { return 0 };
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
