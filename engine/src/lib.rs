//! The event loop, compiled for speed in the browser build.
//!
//! The browser build is optimised for size (`opt-level = "z"`), which made the simulation run at a
//! third of native speed. The event loop and the handlers on its hot path are `#[inline]` in
//! `sim-core`, so they are compiled in the crate that calls them: this one, which the `web`
//! profile builds at `opt-level = 2`. Front ends run worlds through here and hand `run_for` to the
//! model code that runs worlds of its own (a drill's), so a page carries one fast copy of the loop
//! and everything else stays small. The cold handlers (commands, failover, backups) are
//! `#[inline(never)]` and stay small.
use sim_core::{SimError, SimTime, World};

/// Events per call of [`slice`].
const SLICE: u64 = 4096;

/// `World::run_for`, compiled here: runs toward `t`, stopping between two instants once `budget`
/// events have run; whether `t` was reached. It runs in slices of about `SLICE` events, each a call
/// of its own: a wasm engine optimises a function when it is called again (V8 has no on-stack
/// replacement for wasm), so no work may sit in a loop entered once. Slicing changes nothing
/// else: a slice stops between two instants, and the next goes on from there.
pub fn run_for(w: &mut World, t: SimTime, budget: u64) -> Result<bool, SimError> {
    let start = w.events();
    loop {
        let left = budget - (w.events() - start).min(budget);
        if slice(w, t, left.min(SLICE))? {
            return Ok(true);
        }
        if w.events() - start >= budget {
            return Ok(false);
        }
    }
}

/// Runs to the scenario's end and settles the final accounting (`World::run_to_end`).
pub fn run_to_end(w: &mut World) -> Result<(), SimError> {
    let end = w.end();
    run_for(w, end, u64::MAX).map(|_| ())
}

/// Up to about `budget` events toward `t`.
#[inline(never)]
fn slice(w: &mut World, t: SimTime, budget: u64) -> Result<bool, SimError> {
    w.run_for_with(t, budget, step)
}

/// One event, in a function of its own, for the same reason as the slices: inlined into the loop,
/// a whole reference run ran in V8's baseline code (6.2 M events/s against 8.3 once optimised).
#[inline(never)]
fn step(w: &mut World) -> Result<bool, SimError> {
    w.step()
}
