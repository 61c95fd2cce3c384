//! Each shard as its own Patroni cluster: a primary with replicas, run by the replication model
//! (the same `World` chapter 1 uses) under that shard's share of the writes. A failure then hits
//! one shard's cluster and no other: sharding bounds the blast radius.
use crate::command::{Command, TimedCommand};
use crate::scenario::{Dur, NodeCfg, Scenario, SyncCommit};
use crate::time::{SimDur, SimTime};
use serde::Serialize;

/// `[replication]` in a sharding lesson.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplicaCfg {
    /// Standbys per shard (0 to 4).
    pub replicas: u32,
    pub synchronous_commit: SyncCommit,
    /// Crash this shard's primary host at `fail_at` (by index), to watch one shard fail over.
    pub fail_shard: Option<u32>,
    pub fail_at: Dur,
}

impl Default for ReplicaCfg {
    fn default() -> Self {
        ReplicaCfg { replicas: 1, synchronous_commit: SyncCommit::On, fail_shard: None, fail_at: Dur(crate::time::SimDur::secs(20)) }
    }
}

/// How one shard's cluster fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShardHa {
    pub shard: String,
    pub write_tps: u64,
    pub commits_acked: u64,
    pub commits_lost: u64,
    pub failovers: u64,
    /// Writes unavailable during its last failover.
    pub unavailable_ms: Option<u64>,
    /// When writes stopped and came back (the end of the run if they never did), in ms.
    pub writes_down: Option<(u64, u64)>,
    pub max_replay_lag_ms: u64,
    /// The model's Always properties that this shard's cluster broke, with what broke them.
    pub broken: Vec<(String, String)>,
}

/// The scenario of shard `i`'s cluster: `pg1` primary, `pg2`… standbys. Valid by construction
/// (tested against the scenario validator), so the browser module need not carry the validator.
pub fn cluster_scenario(cfg: &ReplicaCfg, name: &str, i: u32, write_tps: u64, duration_s: u64) -> Scenario {
    let mut scn = Scenario::default();
    scn.lesson.title = format!("shard {name}");
    scn.run.duration = Dur(SimDur::secs(duration_s.max(1)));
    scn.nodes = (0..=cfg.replicas.min(4)).map(|r| NodeCfg { name: format!("pg{}", r + 1), region: None, zone: None, disk_mb: 100_000, data_mb: 1_000 }).collect();
    scn.postgres.synchronous_commit = cfg.synchronous_commit;
    if cfg.synchronous_commit >= SyncCommit::RemoteWrite && cfg.replicas > 0 {
        scn.postgres.synchronous_standby_names = "ANY 1 (*)".into();
        scn.patroni.synchronous_mode = true;
    }
    scn.workload.clients = 20;
    // The validator's bound; the cluster's own check keeps real rates far below it.
    scn.workload.write_tps = write_tps.clamp(1, 1_000_000) as f64;
    scn.workload.keys = 10_000;
    if cfg.fail_shard == Some(i) {
        scn.timeline.push(TimedCommand { at: cfg.fail_at, command: Command::CrashHost { node: "pg1".into() } });
    }
    scn
}

/// Runs every shard's cluster for the lesson's duration at its measured write rate.
pub fn run(cfg: &ReplicaCfg, names: &[String], write_tps: &[u64], duration_s: u64, seed: u64) -> Result<Vec<ShardHa>, String> {
    if cfg.replicas > 4 {
        return Err(format!("replicas must be 0 to 4, not {}", cfg.replicas));
    }
    if let Some(s) = cfg.fail_shard.filter(|s| *s as usize >= names.len()) {
        return Err(format!("there is no shard {s} to fail (shards 0 to {})", names.len().saturating_sub(1)));
    }
    let scns: Vec<(String, Scenario)> = names.iter().enumerate().map(|(i, name)| (name.clone(), cluster_scenario(cfg, name, i as u32, write_tps.get(i).copied().unwrap_or(0), duration_s))).collect();
    let refs: Vec<(String, &Scenario)> = scns.iter().map(|(n, s)| (n.clone(), s)).collect();
    // Every shard's cluster in one world: one queue, one seed, one trace hash.
    let mut w = crate::build::clusters(&refs, seed).map_err(|e| e.message)?;
    for (k, (_, scn)) in scns.iter().enumerate() {
        for (at, cmd) in scn.commands() {
            w.schedule_in(k as u16, SimTime(at.0), cmd).map_err(|e| e.message)?;
        }
    }
    w.run_to_end().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (i, (name, scn)) in scns.iter().enumerate() {
        w.enter(i as u16);
        let tps = write_tps.get(i).copied().unwrap_or(0);
        let r = w.report(&scn.expect);
        let m = &r.metrics;
        out.push(ShardHa {
            shard: name.clone(),
            write_tps: tps,
            commits_acked: m.commits_acked,
            commits_lost: m.commits_lost,
            failovers: m.failovers.len() as u64,
            unavailable_ms: m.failovers.last().and_then(|f| f.unavailable_ms),
            // A crashed primary with no failover before the end (no standby, or a run shorter
            // than ttl) leaves the shard without writes from the crash to the end.
            writes_down: m
                .failovers
                .last()
                .map(|f| (f.writes_stopped_ms, f.unavailable_ms.map_or(duration_s * 1000, |u| f.writes_stopped_ms + u)))
                .or_else(|| (cfg.fail_shard == Some(i as u32)).then(|| (cfg.fail_at.0.as_ms(), duration_s * 1000))),
            max_replay_lag_ms: r.nodes.iter().map(|n| n.max_replay_lag_ms).max().unwrap_or(0),
            broken: w.invariants().iter().filter(|p| p.kind == crate::invariants::PropKind::Always && !p.holds).map(|p| (p.name.to_string(), p.detail.clone())).collect(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shards_invariants_are_reported_with_its_losses() {
        let cfg = ReplicaCfg { replicas: 1, synchronous_commit: SyncCommit::Off, fail_shard: Some(0), fail_at: Dur(SimDur::secs(10)) };
        let names: Vec<String> = ["-80", "80-"].map(String::from).to_vec();
        for seed in 1..=3 {
            let r = run(&cfg, &names, &[2000, 2000], 90, seed).unwrap();
            for h in &r {
                assert_eq!(h.commits_lost > 0, h.broken.iter().any(|b| b.0 == "no_acked_commit_lost"), "seed {seed}: {h:?}");
            }
            assert!(r[1].broken.is_empty(), "seed {seed}: the healthy shard broke nothing: {:?}", r[1]);
        }
    }

    #[test]
    fn a_failure_is_confined_to_its_shard() {
        let cfg = ReplicaCfg { replicas: 2, synchronous_commit: SyncCommit::On, fail_shard: Some(1), fail_at: Dur(SimDur::secs(10)) };
        let names: Vec<String> = ["-80", "80-"].map(String::from).to_vec();
        let r = run(&cfg, &names, &[300, 300], 90, 4).unwrap();
        assert_eq!(r[0].failovers, 0, "{:?}", r[0]);
        assert_eq!(r[1].failovers, 1, "{:?}", r[1]);
        assert!(r[1].unavailable_ms.is_some_and(|u| u < 60_000), "{:?}", r[1]);
        let (from, to) = r[1].writes_down.unwrap();
        assert!((9_000..=10_000).contains(&from) && to > from, "writes stop at the crash (10 s): {:?}", r[1]);
        assert!(r[0].commits_acked > r[1].commits_acked, "the healthy shard kept writing: {r:?}");
        for (replicas, tps, sync) in [(0, 0, SyncCommit::Off), (4, u64::MAX, SyncCommit::RemoteApply), (2, 5000, SyncCommit::On)] {
            let c = ReplicaCfg { replicas, synchronous_commit: sync, fail_shard: Some(0), fail_at: Dur(SimDur::secs(5)) };
            let scn = cluster_scenario(&c, "s0", 0, tps, 86_400);
            assert!(crate::validate::scenario(&scn).is_ok(), "{replicas} replicas at {tps} tps: {:?}", crate::validate::scenario(&scn).err());
        }
        let bad = ReplicaCfg { fail_shard: Some(5), ..cfg };
        assert!(run(&bad, &names, &[1, 1], 10, 1).unwrap_err().contains("no shard 5"));
    }
}
