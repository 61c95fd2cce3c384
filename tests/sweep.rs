//! `cargo xtask sweep N`: N random fault schedules (see `sweep_scenario`) on every core; prints
//! the failovers exercised and each broken promise with its seed. Exit 1 if any broke.
use dbsim_tests::check_sweep;
use std::sync::atomic::{AtomicU64, Ordering};

fn main() -> std::process::ExitCode {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let next = AtomicU64::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |p| p.get());
    let results: Vec<(usize, usize, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let (mut failovers, mut promised, mut broken) = (0, 0, Vec::new());
                    loop {
                        let seed = next.fetch_add(1, Ordering::Relaxed);
                        if seed >= n {
                            break;
                        }
                        match check_sweep(seed) {
                            Ok(r) => {
                                failovers += r.failovers;
                                promised += r.promised_no_loss as usize;
                            }
                            Err(e) => {
                                eprintln!("{e}");
                                broken.push(e);
                            }
                        }
                    }
                    (failovers, promised, broken)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let failovers: usize = results.iter().map(|r| r.0).sum();
    let promised: usize = results.iter().map(|r| r.1).sum();
    let broken: Vec<&String> = results.iter().flat_map(|r| &r.2).collect();
    println!("sweep: {n} schedules, {failovers} failovers exercised, {promised} promised no acknowledged-commit loss, {} broke a promise", broken.len());
    for b in &broken {
        println!("  {b}");
    }
    if broken.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
