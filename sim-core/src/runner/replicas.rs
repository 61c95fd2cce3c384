//! Each shard as its own Patroni cluster: a primary with replicas, run by the replication model
//! (the same `World` chapter 1 uses) under that shard's share of the writes. A failure then hits
//! one shard's cluster and no other: sharding bounds the blast radius.
use crate::command::{Command, TimedCommand};
use crate::scenario::{Dur, NodeCfg, Scenario, SyncCommit};
use crate::shard::cfg::ReplicaCfg;
use crate::time::SimDur;
use crate::world::World;
use serde::Serialize;

/// How one shard's cluster fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShardHa {
    pub shard: String,
    pub write_tps: u64,
    pub commits_acked: u64,
    pub commits_lost: u64,
    pub failovers: u64,
    /// How long writes were unavailable (`writes_down`'s length; the end of the run if they
    /// never came back).
    pub unavailable_ms: Option<u64>,
    /// When writes stopped and came back (the end of the run if they never did), in ms.
    pub writes_down: Option<(u64, u64)>,
    pub max_replay_lag_ms: u64,
    /// The model's Always properties that this shard's cluster broke, with what broke them.
    pub broken: Vec<(String, String)>,
}

/// The scenario of shard `i`'s cluster: `pg1` primary, `pg2`… standbys, with the lesson's
/// `[postgres]`, `[patroni]`, `[proxy]` and `[network]` settings and its run's bounds (`template`). Its clients are the
/// router's connections (`World::sharded` adds them), so it has no workload of its own. Valid by
/// construction (tested against the scenario validator), so the browser module need not carry
/// the validator.
pub fn cluster_scenario(cfg: &ReplicaCfg, template: &Scenario, name: &str, i: u32, duration_s: u64) -> Scenario {
    let mut scn = Scenario { postgres: template.postgres.clone(), patroni: template.patroni.clone(), proxy: template.proxy.clone(), network: template.network.clone(), ..Scenario::default() };
    scn.lesson.title = format!("shard {name}");
    scn.run.duration = Dur(SimDur::secs(duration_s.max(1)));
    // The lesson's bounds bound the whole world (router and clusters).
    scn.run.max_events = template.run.max_events;
    scn.run.max_queue = template.run.max_queue;
    scn.nodes = (0..=cfg.replicas.min(4)).map(|r| NodeCfg { name: format!("pg{}", r + 1), region: None, zone: None, disk_mb: 100_000, data_mb: 1_000 }).collect();
    scn.postgres.synchronous_commit = cfg.synchronous_commit;
    if cfg.synchronous_commit >= SyncCommit::RemoteWrite && cfg.replicas > 0 {
        scn.postgres.synchronous_standby_names = "ANY 1 (*)".into();
        scn.patroni.synchronous_mode = true;
    }
    scn.workload.clients = 0;
    scn.workload.write_tps = 0.0;
    scn.workload.read_tps = 0.0;
    if cfg.fail_shard == Some(i) {
        // In a world of several clusters, a node is named with its cluster's scope.
        scn.timeline.push(TimedCommand { at: cfg.fail_at, command: Command::CrashHost { node: format!("{name}/pg1") } });
    }
    scn
}

/// Every shard's cluster, by the shard's name, in shard order.
pub fn scenarios(cfg: &ReplicaCfg, template: &Scenario, names: &[String], duration_s: u64) -> Result<Vec<(String, Scenario)>, String> {
    if cfg.replicas > 4 {
        return Err(format!("replicas must be 0 to 4, not {}", cfg.replicas));
    }
    if let Some(s) = cfg.fail_shard.filter(|s| *s as usize >= names.len()) {
        return Err(format!("there is no shard {s} to fail (shards 0 to {})", names.len().saturating_sub(1)));
    }
    Ok(names.iter().enumerate().map(|(i, name)| (name.clone(), cluster_scenario(cfg, template, name, i as u32, duration_s))).collect())
}

/// How each shard's cluster fared in a finished sharded world. `write_tps` is the writes per
/// second the router sent the shard, on average.
pub fn report(w: &mut World, scns: &[(String, Scenario)], run: &crate::shard::cluster::Run, read_share: f64, duration_s: u64) -> Vec<ShardHa> {
    let secs = run.load.len().max(1) as u64;
    let mut out = Vec::new();
    for (i, (name, scn)) in scns.iter().enumerate() {
        w.enter(i as u16);
        let tps = run.load.iter().map(|row| row.get(i).map_or(0, |l| l.ops)).sum::<u64>() * ((1.0 - read_share) * 1000.0) as u64 / 1000 / secs;
        let r = w.report(&scn.expect);
        let m = &r.metrics;
        // A crashed primary with no failover before the end (no standby, or a run shorter
        // than ttl) leaves the shard without writes from its last acknowledged commit to the end.
        let writes_down = m
            .failovers
            .last()
            .map(|f| (f.writes_stopped_ms, f.unavailable_ms.map_or(duration_s * 1000, |u| f.writes_stopped_ms + u)))
            .or_else(|| (!w.nodes().iter().any(|n| n.writable && n.is_running())).then(|| (w.last_write_ack().as_ms(), duration_s * 1000)));
        out.push(ShardHa {
            shard: name.clone(),
            write_tps: tps,
            commits_acked: m.commits_acked,
            commits_lost: m.commits_lost,
            failovers: m.failovers.len() as u64,
            unavailable_ms: writes_down.map(|(a, b)| b - a),
            writes_down,
            max_replay_lag_ms: r.nodes.iter().map(|n| n.max_replay_lag_ms).max().unwrap_or(0),
            broken: w.invariants().iter().filter(|p| p.kind == crate::invariants::PropKind::Always && !p.holds).map(|p| (p.name.to_string(), p.detail.clone())).collect(),
        });
    }
    w.enter(0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::sharded::ShardLesson;

    fn lesson(replication: &str) -> ShardLesson {
        let src = format!(
            "[lesson]\ntitle = \"t\"\n[run]\nduration = \"90s\"\n[table]\nname = \"t\"\nshard_key = \"k\"\n[[table.columns]]\nname = \"k\"\nkeys = 10000\n\
             [cluster]\nstrategy = \"range\"\nshards = 2\nshard_capacity = 5000\n[workload]\nops_per_s = 1200\nread_share = 0.5\n[replication]\n{replication}\n"
        );
        ShardLesson::parse("t.toml", &src).unwrap()
    }

    #[test]
    fn each_shards_invariants_are_reported_with_its_losses() {
        let l = lesson("replicas = 1\nsynchronous_commit = \"off\"\nfail_shard = 0\nfail_at = \"10s\"");
        for seed in 1..=3 {
            let r = l.run(Some(seed)).unwrap();
            for h in &r.shard_clusters {
                assert_eq!(h.commits_lost > 0, h.broken.iter().any(|b| b.0 == "no_acked_commit_lost"), "seed {seed}: {h:?}");
            }
            assert!(r.shard_clusters[1].broken.is_empty(), "seed {seed}: the healthy shard broke nothing: {:?}", r.shard_clusters[1]);
        }
    }

    #[test]
    fn a_failure_is_confined_to_its_shard() {
        let l = lesson("replicas = 2\nsynchronous_commit = \"on\"\nfail_shard = 1\nfail_at = \"10s\"");
        for seed in 1..=4 {
            let r = l.run(Some(seed)).unwrap();
            let (ha, run) = (&r.shard_clusters, r.run.as_ref().unwrap());
            assert_eq!(ha[0].failovers, 0, "{:?}", ha[0]);
            assert_eq!(ha[1].failovers, 1, "{:?}", ha[1]);
            assert!(ha[1].unavailable_ms.is_some_and(|u| u < 60_000), "{:?}", ha[1]);
            let (from, to) = ha[1].writes_down.unwrap();
            assert!((9_000..=10_000).contains(&from) && to > from, "writes stop at the crash (10 s): {:?}", ha[1]);
            assert!(ha[0].commits_acked > ha[1].commits_acked, "the healthy shard kept writing: {ha:?}");
            // One world: every write the router acknowledged is a commit some shard's primary
            // acknowledged, and only the failed shard refused any.
            assert_eq!(run.acked_writes, ha.iter().map(|h| h.commits_acked).sum::<u64>(), "seed {seed}");
            assert!(run.load.iter().all(|row| row[0].errors == 0), "seed {seed}: shard 0 refused nothing");
            assert!(run.load.iter().map(|row| row[1].errors).sum::<u64>() > 0, "seed {seed}: shard 1 refused writes while failing over");
            assert_eq!(r.metrics["lost_writes"], 0.0);
        }
        for (replicas, sync) in [(0, SyncCommit::Off), (4, SyncCommit::RemoteApply), (2, SyncCommit::On)] {
            let c = ReplicaCfg { replicas, synchronous_commit: sync, fail_shard: Some(0), fail_at: Dur(SimDur::secs(5)) };
            let mut scn = cluster_scenario(&c, &Scenario::default(), "s0", 0, 86_400);
            // Its crash names `s0/pg1`, a name only the sharded world has (checked when scheduled).
            assert_eq!(scn.timeline.len(), 1);
            scn.timeline.clear();
            assert!(crate::scenario::validate::scenario(&scn).is_ok(), "{replicas} replicas: {:?}", crate::scenario::validate::scenario(&scn).err());
        }
        let bad = lesson("fail_shard = 5");
        assert!(bad.run(None).unwrap_err().contains("no shard 5"));
    }

    #[test]
    fn a_sharded_world_is_one_deterministic_run() {
        let l = lesson("replicas = 1\nfail_shard = 0\nfail_at = \"30s\"");
        let hash = |seed| {
            let mut w = l.world(Some(seed)).unwrap();
            w.run_to_end().unwrap();
            (w.trace_hash(), w.scopes(), w.router_run().map(|r| r.acked_writes))
        };
        let a = hash(7);
        assert_eq!(a, hash(7));
        assert_ne!(a.0, hash(8).0);
        assert_eq!(a.1, 2, "one cluster per shard in the one world");
    }
}
