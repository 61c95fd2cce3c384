//! Helpers for the scenario tests: locating files, running scenarios, and generating random fault schedules.
use sim_core::rng::SimRng;
use sim_core::{load, Report};
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.toml` file in a folder of the repository, sorted.
pub fn files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(root().join(dir)).unwrap_or_else(|e| panic!("{dir}: {e}")).filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
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

/// What a random fault schedule's configuration promises, so the sweep checks each safety claim
/// only where it is made.
#[derive(Clone, Debug, Default)]
pub struct Promises {
    /// Fencing is on: at most one node accepts writes at any moment.
    pub single_primary: bool,
    /// Synchronous mode with a level that waits for a standby, and no failure the mode cannot
    /// survive: every acknowledged commit survives.
    pub no_acked_loss: bool,
}

/// A generated schedule: scenario text, what it promises and a one-line description.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub src: String,
    pub promises: Promises,
    pub about: String,
}

/// A random cluster and fault schedule: 3-5 nodes, `remote_write`/`on`/`remote_apply`, strict or
/// not, loads from tens to thousands of commits per second, and every fault kind: crashes,
/// restarts, one destroyed disk, slow disks, partitions (one-way too), drop rates, added latency,
/// DCS outages (some right after a crash, during the failover) and switchovers.
pub fn sweep_scenario(seed: u64) -> Sweep {
    let mut rng = SimRng::derive(seed, "sweep");
    let nodes = 3 + rng.below(3) as usize;
    let level = ["remote_write", "on", "remote_apply"][rng.below(3) as usize];
    let strict = rng.below(2) == 1;
    // Log-uniform between about 40 and 3,000 commits per second.
    let tps = (40.0 * libm::exp(rng.unit() * libm::log(75.0))) as u64;
    let clients = (tps / 25).clamp(4, 60);
    let mut out = format!(
        "[lesson]\ntitle = \"sweep {seed}\"\n[run]\nduration = \"150s\"\n[postgres]\nsynchronous_commit = \"{level}\"\n\
         [patroni]\nttl = 20\nloop_wait = 5\nretry_timeout = 5\nsynchronous_mode = true\nsynchronous_mode_strict = {strict}\nfencing = true\n\
         [proxy]\ncheck_interval = \"1s\"\nfall = 2\nrise = 1\n[workload]\nclients = {clients}\nwrite_tps = {tps}\n\
         [[regions]]\nname = \"r\"\nzones = [\"a\", \"b\", \"c\"]\n"
    );
    let names: Vec<String> = (1..=nodes).map(|i| format!("pg{i}")).collect();
    for (i, n) in names.iter().enumerate() {
        out.push_str(&format!("[[nodes]]\nname = \"{n}\"\nzone = \"{}\"\n", ["a", "b", "c"][i % 3]));
    }
    let mut places: Vec<String> = names.clone();
    places.extend(["dcs".to_string(), "proxy".to_string()]);
    let (mut destroyed, mut host_crashes) = (false, false);
    let count = 2 + rng.below(7);
    let mut kinds = Vec::new();
    for _ in 0..count {
        let at = 5 + rng.below(110);
        let node = &names[rng.below(nodes as u64) as usize];
        let place = &places[rng.below(places.len() as u64) as usize];
        let kind = rng.below(13);
        let entry = match kind {
            0 => {
                host_crashes = true;
                format!("action = \"crash_host\"\nnode = \"{node}\"")
            }
            1 => format!("action = \"crash_postgres\"\nnode = \"{node}\""),
            2 | 3 => format!("action = \"restart\"\nnode = \"{node}\""),
            4 => format!("action = \"partition\"\nnodes = [\"{node}\"]\nothers = [\"{place}\"]\none_way = {}", rng.below(2) == 1),
            5 => "action = \"heal\"".to_string(),
            6 => format!("action = \"dcs_outage\"\nduration = \"{}s\"", 1 + rng.below(30)),
            7 => format!("action = \"add_latency\"\nfrom = \"{node}\"\nto = \"{place}\"\nlatency = \"{}ms\"", rng.below(3000)),
            8 => format!("action = \"set_drop_rate\"\nfrom = \"{node}\"\nto = \"{place}\"\nrate = 0.{:02}", rng.below(60)),
            9 => format!("action = \"slow_disk\"\nnode = \"{node}\"\nfactor = {}", 2 + rng.below(200)),
            10 if !destroyed => {
                destroyed = true;
                format!("action = \"destroy_disk\"\nnode = \"{node}\"")
            }
            11 => {
                // A crash, then the DCS goes away while the cluster fails over.
                host_crashes = true;
                let later = at + 10 + rng.below(20);
                out.push_str(&format!("\n[[timeline]]\nat = \"{later}s\"\naction = \"dcs_outage\"\nduration = \"{}s\"\n", 1 + rng.below(25)));
                format!("action = \"crash_host\"\nnode = \"{node}\"")
            }
            _ => "action = \"switchover\"".to_string(),
        };
        kinds.push(entry.lines().next().unwrap_or("").trim_start_matches("action = ").trim_matches('"').to_string());
        out.push_str(&format!("\n[[timeline]]\nat = \"{at}s\"\n{entry}\n"));
    }
    // Non-strict mode runs on alone when the standby is gone, so one lost disk can take
    // acknowledged commits with it; remote_write holds a commit in the standby's OS cache only,
    // so a host crash there can lose it.
    let no_acked_loss = (strict || !destroyed) && (level != "remote_write" || !host_crashes);
    let about = format!("{nodes} nodes, {level}, strict={strict}, {tps} tps, faults: {}", kinds.join(" "));
    Sweep { src: out, promises: Promises { single_primary: true, no_acked_loss }, about }
}

/// Runs one sweep schedule; `Err` names every promise the run broke.
pub fn check_sweep(seed: u64) -> Result<SweepRun, String> {
    let sw = sweep_scenario(seed);
    let (scn, mut world) = load(&format!("sweep-{seed}"), &sw.src, Some(seed)).map_err(|e| format!("seed {seed}: {e}"))?;
    world.run_to_end().map_err(|e| format!("seed {seed}: {e}"))?;
    let r = world.report(&scn.expect);
    let prop = |name: &str| r.invariants.iter().find(|p| p.name == name).cloned();
    let mut broken = Vec::new();
    let lost = prop("no_acked_commit_lost");
    let lost_holds = lost.as_ref().is_some_and(|p| p.holds);
    if lost_holds != (r.metrics.commits_lost == 0) {
        broken.push(format!("the invariant (holds: {lost_holds}) and commits_lost = {} disagree", r.metrics.commits_lost));
    }
    if sw.promises.no_acked_loss && (!lost_holds || r.metrics.commits_lost > 0) {
        broken.push(format!("{} acknowledged commits lost: {}", r.metrics.commits_lost, lost.map(|p| p.detail).unwrap_or_default()));
    }
    if sw.promises.single_primary {
        if let Some(p) = prop("single_writable_primary").filter(|p| !p.holds) {
            broken.push(format!("two writable primaries: {}", p.detail));
        }
    }
    if broken.is_empty() {
        Ok(SweepRun { failovers: r.metrics.failovers.len(), promised_no_loss: sw.promises.no_acked_loss })
    } else {
        Err(format!("seed {seed} ({}): {}", sw.about, broken.join("; ")))
    }
}

/// What one passing schedule exercised.
#[derive(Clone, Copy, Debug)]
pub struct SweepRun {
    pub failovers: usize,
    pub promised_no_loss: bool,
}
