//! Helpers for the scenario tests: locating files, running scenarios, and generating random fault schedules.
use sim_core::rng::SimRng;
use sim_core::{load, Report};
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.toml` file in a folder of the repository, sorted.
pub fn files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    v
}

/// Runs scenario text to its end and reports.
pub fn run_src(name: &str, src: &str, seed: Option<u64>) -> Report {
    let (scn, mut world) = load(name, src, seed).unwrap_or_else(|e| panic!("{e}"));
    world.run_to_end().unwrap_or_else(|e| panic!("{name}: {e}"));
    world.report(&scn.expect)
}

pub fn run_file(path: &PathBuf, seed: Option<u64>) -> Report {
    let src = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    run_src(&path.display().to_string(), &src, seed)
}

/// Three nodes, one per zone of region `r`: the cluster most tests use.
pub const THREE_ZONES: &str = r#"
[[regions]]
name = "r"
zones = ["a", "b", "c"]
[[nodes]]
name = "pg1"
zone = "a"
[[nodes]]
name = "pg2"
zone = "b"
[[nodes]]
name = "pg3"
zone = "c"
"#;

const SWEEP_BASE: &str = r#"
[lesson]
title = "sweep"

[run]
duration = "150s"


[postgres]
synchronous_commit = "on"

[patroni]
ttl = 20
loop_wait = 5
retry_timeout = 5
synchronous_mode = true
fencing = true

[proxy]
check_interval = "1s"
fall = 2
rise = 1

[workload]
clients = 8
write_tps = 80
"#;

const NODES: [&str; 3] = ["pg1", "pg2", "pg3"];
const PLACES: [&str; 5] = ["pg1", "pg2", "pg3", "dcs", "proxy"];

/// A random fault schedule: crashes, restarts, partitions, DCS outages, latency and switchovers.
pub fn sweep_scenario(seed: u64) -> String {
    let mut rng = SimRng::derive(seed, "sweep");
    let mut out = format!("{SWEEP_BASE}{THREE_ZONES}");
    let count = 2 + rng.below(6);
    for _ in 0..count {
        let at = 5 + rng.below(110);
        let node = NODES[rng.below(3) as usize];
        let entry = match rng.below(9) {
            0 => format!("action = \"crash_host\"\nnode = \"{node}\""),
            1 => format!("action = \"crash_postgres\"\nnode = \"{node}\""),
            2 | 3 => format!("action = \"restart\"\nnode = \"{node}\""),
            4 => {
                let other = PLACES[rng.below(5) as usize];
                let one_way = rng.below(2) == 1;
                format!("action = \"partition\"\nnodes = [\"{node}\"]\nothers = [\"{other}\"]\none_way = {one_way}")
            }
            5 => "action = \"heal\"".to_string(),
            6 => format!("action = \"dcs_outage\"\nduration = \"{}s\"", 1 + rng.below(30)),
            7 => format!("action = \"add_latency\"\nfrom = \"{node}\"\nto = \"{}\"\nlatency = \"{}ms\"", PLACES[rng.below(5) as usize], rng.below(3000)),
            _ => "action = \"switchover\"".to_string(),
        };
        out.push_str(&format!("\n[[timeline]]\nat = \"{at}s\"\n{entry}\n"));
    }
    out
}
