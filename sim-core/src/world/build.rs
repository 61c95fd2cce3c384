//! Builds the world at time zero from a validated scenario: placement, latency matrix, initial roles.
use crate::clients::{Client, Clients};
use crate::invariants::Invariants;
use crate::metrics::{Metrics, NodeStats};
use crate::net::Net;
use crate::postgres::{Conn, Role, SendState, Slot, SyncNames, WalSender};
use crate::queue::EventQueue;
use crate::rng::{SimRng, Zipf};
use crate::scenario::{invalid, Invalid, KeyDist, Scenario, Seg};
use crate::time::{SimDur, SimTime};
use crate::trace::TraceHash;
use crate::world::{Cluster, Eps, Ev, World};
use {crate::patroni::Dcs, crate::proxy::Proxy};

/// Where a fresh cluster's WAL starts, as after initdb and a first checkpoint.
pub const INITIAL_LSN: u64 = 0x0300_0060;
/// The first transaction ID a fresh cluster hands out (after initdb's own).
pub const FIRST_XID: u64 = 740;

fn one_way(scn: &Scenario, a: &(String, String), b: &(String, String)) -> (u64, u64) {
    let nw = &scn.network;
    if a.0 == b.0 {
        let rtt = if a.1 == b.1 { nw.same_zone_rtt.0 } else { nw.cross_zone_rtt.0 };
        return (rtt.0 / 2, nw.jitter.0 .0);
    }
    scn.links.iter().find(|l| (l.between[0] == a.0 && l.between[1] == b.0) || (l.between[1] == a.0 && l.between[0] == b.0)).map_or((0, 0), |l| (l.rtt.0 .0 / 2, l.jitter.0 .0))
}

pub fn world(scn: &Scenario, seed: u64) -> Result<World, Invalid> {
    if scn.nodes.is_empty() {
        // A sharding lesson's file has no nodes of its own: its shards' clusters are built by
        // the sharded runner.
        return Err(crate::base::invalid(vec![crate::base::Seg::Key("nodes")], "a cluster lesson needs at least one [[nodes]] entry (a sharding lesson runs with `dbsim run` or the sharding page)"));
    }
    clusters(&[(String::new(), scn)], seed, scn)
}

/// A world of several Patroni clusters, one per `(scope, scenario)`, on one queue, one seed and
/// one trace hash (none at all for a router alone). `first` sets the run's length, limits and
/// title; each cluster draws from its own named streams (`network`, or `<scope>/network`), so
/// one cluster's activity never shifts another's randomness.
pub fn clusters(scns: &[(String, &Scenario)], seed: u64, first: &Scenario) -> Result<World, Invalid> {
    let mut parked = Vec::with_capacity(scns.len());
    for (scope, scn) in scns {
        parked.push(Some(Box::new(cluster(scope, scn, seed)?)));
    }
    let c = match parked.first_mut().and_then(Option::take) {
        Some(c) => c,
        // No cluster: an empty one stands in (no scope reaches it).
        None => Box::new(cluster("", first, seed)?),
    };
    let mut w = World {
        now: SimTime::ZERO,
        end: SimTime(first.run.duration.0 .0),
        q: EventQueue::new(first.run.max_queue as usize),
        c,
        active: 0,
        parked,
        finished: false,
        hash: TraceHash::default(),
        events: 0,
        max_events: first.run.max_events,
        recording: false,
        trace: Vec::new(),
        recent: Default::default(),
        recent_cap: 0,
        records: 0,
        after_event: Vec::new(),
        notes: Default::default(),
        commands: Vec::new(),
        seed,
        title: first.lesson.title.clone(),
        error: None,
        router: None,
        router_run: None,
    };
    for k in 0..scns.len() as u16 {
        w.enter(k);
        initial_roles(&mut w);
        initial_events(&mut w);
    }
    w.enter(0);
    Ok(w)
}

/// A world with no cluster at all: a sharding lesson's router alone, or a lesson of calculators.
pub fn empty(lesson: &crate::scenario::Lesson, duration: SimDur, seed: u64) -> Result<World, Invalid> {
    let mut scn = Scenario::default();
    scn.nodes.clear();
    scn.lesson = lesson.clone();
    scn.run.duration = crate::scenario::Dur(duration);
    clusters(&[], seed, &scn)
}

fn cluster(scope: &str, scn: &Scenario, seed: u64) -> Result<Cluster, Invalid> {
    let pl = scn.places();
    let net = Net::new(pl.len(), |a, b| one_way(scn, &pl[a], &pl[b]));
    let n = scn.nodes.len();
    let static_sync = SyncNames::parse(&scn.postgres.synchronous_standby_names).map_err(|m| invalid(vec![Seg::Key("postgres"), Seg::Key("synchronous_standby_names")], m))?;
    let nodes = scn.nodes.iter().zip(&pl).map(|(c, p)| World::default_node(&c.name, &p.0, c.disk_mb * 1_048_576, c.data_mb * 1_048_576)).collect();
    let slots = scn
        .slots
        .iter()
        .map(|s| Slot {
            name: s.name.clone(),
            node: scn.node_index(&s.node).unwrap_or(0) as u16,
            restart_lsn: INITIAL_LSN,
            consumer_running: s.consumer_running,
            lost: false,
            confirm_every: s.confirm_interval.0,
        })
        .collect();
    let stream = |name: &str| if scope.is_empty() { SimRng::derive(seed, name) } else { SimRng::derive(seed, &format!("{scope}/{name}")) };
    let backups = match &scn.backup {
        Some(cfg) => {
            let clock = crate::pitr::Clock::parse(&cfg.clock).map_err(|m| invalid(vec![Seg::Key("backup"), Seg::Key("clock")], m))?;
            Some(Box::new(crate::backup::Backups::new(cfg.clone(), clock, INITIAL_LSN)))
        }
        None => None,
    };
    Ok(Cluster {
        scope: scope.to_string(),
        net,
        eps: Eps { dcs: n, proxy: n + 1, clients: n + 2 },
        ep_region: pl.iter().map(|p| p.0.clone()).collect(),
        rng_net: stream("network"),
        rng_ha: stream("patroni"),
        nodes,
        slots,
        dcs: Dcs::default(),
        proxy: Proxy { up: vec![false; n], oks: vec![0; n], fails: vec![0; n], ..Proxy::default() },
        proxy_every: scn.proxy.check_interval.0,
        proxy_fall: scn.proxy.fall,
        proxy_rise: scn.proxy.rise,
        cl: Clients {
            list: Vec::new(),
            wl: scn.workload.clone(),
            rng: stream("workload"),
            zipf: (scn.workload.distribution == KeyDist::Zipf).then(|| Zipf::new(scn.workload.keys.max(1), scn.workload.zipf_s)),
            driven: false,
        },
        deadline_check: vec![None; scn.nodes.len()],
        pgc: scn.postgres.clone(),
        pat: scn.patroni.clone(),
        static_sync,
        metrics: Metrics { node_stats: vec![NodeStats::default(); n], ..Metrics::default() },
        props: Invariants::default(),
        next_conn: 0,
        max_tl: 1,
        tables: vec![crate::clients::accounts(&scn.workload)],
        committed: crate::postgres::history::Committed::new(n, INITIAL_LSN, scn.backup.is_some()),
        backups,
        comps: Default::default(),
        setting_groups: scn.setting_groups(),
        hosts: vec![crate::pipeline::Host::default(); scn.nodes.len()],
        locks: None,
    })
}

/// The first node starts as the leader; every other node streams from it.
fn initial_roles(w: &mut World) {
    let n = w.c.nodes.len() as u16;
    w.c.nodes[0].role = Role::Primary;
    w.c.nodes[0].writable = true;
    w.c.nodes[0].agent.is_leader = true;
    w.c.dcs.leader = Some((0, SimTime::ZERO + SimDur::secs(w.c.pat.ttl)));
    w.c.dcs.last_leader = Some(0);
    w.c.dcs.optime = INITIAL_LSN;
    w.c.proxy.up[0] = true;
    for s in 1..n {
        let conn = w.repl().fresh_conn();
        w.c.nodes[s as usize].upstream = Some(0);
        w.c.nodes[s as usize].conn = Conn::Streaming(conn);
        w.c.nodes[0].senders.push(WalSender {
            standby: s,
            conn,
            state: SendState::Streaming,
            sent: INITIAL_LSN,
            write: INITIAL_LSN,
            flush: INITIAL_LSN,
            replay: INITIAL_LSN,
            write_lag: None,
            flush_lag: None,
            replay_lag: None,
            link_free_at: SimTime::ZERO,
        });
    }
    if w.c.pat.synchronous_mode && n > 1 {
        w.c.dcs.sync = Some(1);
        w.c.nodes[0].sync_names = SyncNames { any: false, num: 1, names: vec![w.c.nodes[1].name.clone()] };
    } else {
        w.c.nodes[0].sync_names = w.c.static_sync.clone();
    }
    w.refresh_routes();
}

fn initial_events(w: &mut World) {
    let n = w.c.nodes.len() as u16;
    for i in 0..n {
        let phase = w.c.rng_ha.below(SimDur::secs(w.c.pat.loop_wait).0);
        w.push(SimTime(phase), Ev::Tick { n: i, epoch: 0 });
        w.push(SimTime(w.c.pgc.wal_writer_delay.0 .0), Ev::WalWriter { n: i });
        w.push(SimTime(SimDur::secs(30).0), Ev::Checkpoint { n: i });
    }
    w.push(SimTime(w.c.proxy_every.0), Ev::ProxyCheck);
    w.push(SimTime(SimDur::secs(1).0), Ev::Sample);
    for s in 0..w.c.slots.len() as u16 {
        w.push(SimTime(w.c.slots[s as usize].confirm_every.0), Ev::SlotTick { slot: s });
    }
    if let Some(cfg) = w.c.backups.as_deref().map(|b| b.cfg.clone()) {
        if cfg.archive && cfg.archive_timeout.0 > SimDur::ZERO {
            w.push(SimTime(cfg.archive_timeout.0 .0), Ev::ArchiveTimeout { epoch: 0 });
        }
        if cfg.base_backup_every.0 > SimDur::ZERO {
            w.push(SimTime::ZERO, Ev::BackupTick { epoch: 0 });
        }
        w.push(SimTime(SimDur::secs(60).0), Ev::ArchiveRetry);
    }
    if w.c.cl.active() {
        let gap = (w.c.cl.wl.clients as f64 * 1e6 / (w.c.cl.wl.write_tps + w.c.cl.wl.read_tps)) as u64;
        for c in 0..w.c.cl.wl.clients as u32 {
            w.c.cl.list.push(Client { gen: 0, busy: false, node: 0, write: false, sent_at: SimTime::ZERO, next_at: SimTime::ZERO, key: 0, ver: 0 });
            let start = w.c.cl.rng.below(gap.max(1));
            w.push(SimTime(start), Ev::Issue { c });
        }
    }
}
