//! Reference benchmark: 3 nodes, 1,000 clients, one simulated hour. Prints events/s and the
//! simulated-to-wall-time ratio. Run with `cargo bench -p sim-core` (or `cargo xtask bench`).
use std::time::Instant;

const REFERENCE: &str = include_str!("reference.toml");

fn main() {
    let (_, mut world) = sim_core::load("bench", REFERENCE, Some(1)).expect("reference scenario is valid");
    let start = Instant::now();
    world.run_to_end().expect("reference run completes");
    let wall = start.elapsed().as_secs_f64();
    let events = world.events() as f64;
    let sim = world.now().0 as f64 / 1e6;
    println!("reference run: 3 nodes, 1000 clients, {sim:.0} s simulated");
    println!("events: {}  wall: {wall:.3} s", world.events());
    println!("events/s: {:.2} M", events / wall / 1e6);
    println!("simulated/wall: {:.0}x", sim / wall);
    println!("trace_hash: {:016x}", world.trace_hash());
}
