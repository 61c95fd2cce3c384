//! Project automation: `cargo xtask test` runs the whole suite; `cargo xtask bench` prints the engine figures.
use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <test|bench|lint>
  test   every test in the workspace, then clippy with warnings as errors
  bench  the reference engine benchmark (3 nodes, 1000 clients, 1 simulated hour)
  lint   clippy only";

fn cargo(args: &[&str]) -> Result<(), String> {
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(env!("CARGO")).args(args).status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed with {status}", args.join(" ")))
    }
}

fn lint() -> Result<(), String> {
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "test" => cargo(&["test", "--workspace"]).and_then(|_| lint()),
        "bench" => cargo(&["bench", "-p", "sim-core", "--bench", "engine"]),
        "lint" => lint(),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
