//! Seek benchmark: play a one-hour run to its end, then seek to 200 pseudo-random times,
//! as a learner dragging the scrubber would. Prints p50/p99 seek latency (native; the wasm
//! figure comes from `cargo xtask bench`). Run with `cargo bench -p sim-session --bench seek`.
use sim_core::SimTime;
use sim_session::Session;
use std::time::Instant;

const ONE_HOUR: &str = include_str!("../../sim-core/benches/one-hour.toml");

fn main() {
    let mut s = Session::new("one-hour.toml", ONE_HOUR, None).expect("benchmark scenario is valid");
    let start = Instant::now();
    s.advance_to(s.end()).expect("benchmark run completes");
    println!("one-hour run: {} events, played to the end in {:.2} s, {} snapshots", s.world.events(), start.elapsed().as_secs_f64(), s.snapshot_count());
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut ms = Vec::new();
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let t = SimTime(x % (s.end().0 + 1));
        let t0 = Instant::now();
        s.seek(t).expect("seek within the run");
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    let q = |p: usize| ms[(ms.len() - 1) * p / 100];
    let rss = std::fs::read_to_string("/proc/self/status").ok().and_then(|st| st.lines().find(|l| l.starts_with("VmHWM")).map(str::to_string));
    println!("peak memory: {}", rss.unwrap_or_else(|| "unknown".into()));
    println!("seek latency over 200 seeks: p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms", q(50), q(99), ms[ms.len() - 1]);
}
