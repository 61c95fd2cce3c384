//! Exports `scenario_count()` and `scenario_hash(i)` from a plain wasm32 module (no JS glue),
//! so a test can compare each built-in scenario's trace hash under wasm with the native one.
#![allow(unsafe_code)] // `#[no_mangle]` exports only: no pointers cross the boundary.

/// The trace hash of built-in scenario `i` run to its end with its own seed; 0 on error.
pub fn hash_of(i: usize) -> u64 {
    let Some((file, src)) = lessons::BUILTIN.get(i) else { return 0 };
    let Ok((_, mut world)) = sim_core::load(file, src, None) else { return 0 };
    match world.run_to_end() {
        Ok(()) => world.trace_hash(),
        Err(_) => 0,
    }
}

#[no_mangle]
pub extern "C" fn scenario_count() -> u32 {
    lessons::BUILTIN.len() as u32
}

#[no_mangle]
pub extern "C" fn scenario_hash(i: u32) -> u64 {
    hash_of(i as usize)
}
