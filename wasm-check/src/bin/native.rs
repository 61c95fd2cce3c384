//! The native side of `cargo xtask bench engine`: the same runs as `xtask/wasm-engine.mjs`
//! drives in wasm, built in release, printing the same `bench <name> <value>` lines.
//! `native reference` runs only the reference run, `native pool` only the pooling hour,
//! `native migration` only the migration benchmark.
use std::time::Instant;

fn main() {
    let only = std::env::args().nth(1);
    if only.as_deref() == Some("migration") {
        let t = Instant::now();
        let events = wasm_check::migration_run();
        println!("bench migration_events {events}");
        println!("bench migration_s {:.3}", t.elapsed().as_secs_f64());
        return;
    }
    if only.as_deref() != Some("pool") {
        let t = Instant::now();
        let events = wasm_check::reference_run();
        println!("bench reference_events {events}");
        println!("bench reference_s {:.3}", t.elapsed().as_secs_f64());
    }
    if only.as_deref() != Some("reference") {
        let t = Instant::now();
        let pool = wasm_check::pool_hour();
        println!("bench pool_events {}", pool.events);
        println!("bench pool_s {:.3}", t.elapsed().as_secs_f64());
        println!("bench pool_offered {:.0}", pool.offered_per_s);
        println!("bench pool_served {:.0}", pool.served_per_s);
    }
}
