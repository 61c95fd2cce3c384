//! A sharded world: building it (one cluster per shard behind the router), the router's operations as events, and what it reports. The router's own logic is `shard::cluster`'s.
use crate::clients::Client;
use crate::clients::OK;
use crate::scenario::Scenario;
use crate::shard::cluster::{ack_arg, Backends, Config, Move, Routed, Router, Run, Submit};
use crate::shard::front::{ClusterStatus, POOL};
use crate::time::{SimDur, SimTime};
use crate::trace::TraceKind;
use crate::world::{CommandError, CommandErrorKind, Ev, World, ROUTER};

impl World {
    /// A sharded world: the router over `cfg` with its reshards, and, when `clusters` is not
    /// empty, one Patroni cluster per shard (`(scope, scenario)`, in shard order) whose clients
    /// are the router's connections. Without clusters the shards are queues only.
    pub fn sharded(cfg: &Config, moves: &[(u64, Move)], clusters: &[(String, Scenario)], seed: u64) -> Result<World, String> {
        let router = Router::new(cfg.clone(), seed, moves.to_vec()).map_err(|(_, m)| m)?;
        let mut w = if clusters.is_empty() {
            crate::build::empty(&Default::default(), SimDur::secs(cfg.duration_s), seed).map_err(|e| e.message)?
        } else {
            let refs: Vec<(String, &Scenario)> = clusters.iter().map(|(n, s)| (n.clone(), s)).collect();
            crate::build::clusters(&refs, seed, &clusters[0].1).map_err(|e| e.message)?
        };
        w.end = SimTime(SimDur::secs(cfg.duration_s).0);
        for (k, (_, scn)) in clusters.iter().enumerate() {
            w.enter(k as u16);
            w.c.cl.driven = true;
            w.c.cl.list = (0..POOL).map(|_| Client { gen: 0, busy: false, node: 0, write: true, sent_at: SimTime::ZERO, next_at: SimTime::ZERO, key: 0, ver: 0 }).collect();
            for (at, cmd) in scn.commands() {
                w.schedule_in(k as u16, SimTime(at.0), cmd).map_err(|e| e.message)?;
            }
        }
        w.enter(0);
        w.router = Some(Box::new(router));
        w.push_in(ROUTER, SimTime::ZERO, Ev::RouterOp);
        Ok(w)
    }

    /// The router's run, once the world has reached its end.
    pub fn router_run(&self) -> Option<&Run> {
        self.router_run.as_ref()
    }

    /// A reshard the router could not start (its index among the scheduled ones, and why).
    pub fn router_error(&self) -> Option<&(Option<usize>, String)> {
        self.router.as_ref().and_then(|r| r.failed())
    }

    /// The cluster (scope) behind the router's shard `shard` now; `None` for a shard a reshard
    /// added (it has no cluster of its own in this model) or a world without clusters.
    pub fn shard_cluster(&self, shard: u32) -> Option<u16> {
        self.router.as_ref()?.cluster_of(shard as usize).filter(|k| (*k as usize) < self.scopes())
    }

    /// Whether shard `shard` (by its index now) is one the lesson started with, and so has (or,
    /// once the lesson's shards become clusters, will have) a Patroni cluster of its own.
    pub fn shard_is_original(&self, shard: u32) -> bool {
        self.router.as_ref().is_some_and(|r| r.cluster_of(shard as usize).is_some())
    }

    /// The node to name to crash shard `shard`'s primary now (`s2/pg1`), or why there is none.
    pub fn shard_primary(&self, shard: u32) -> Result<String, CommandError> {
        let shards = self.router.as_ref().map_or(0, |r| r.shards());
        if shard as usize >= shards {
            return Err(CommandError::new(CommandErrorKind::UnknownName, format!("there is no shard {shard} to crash (shards 0 to {})", shards.saturating_sub(1))));
        }
        let k = self
            .shard_cluster(shard)
            .ok_or_else(|| CommandError::new(CommandErrorKind::Refused, format!("shard {shard} has no Patroni cluster of its own (a shard a reshard added, or a lesson without [replication])")))?;
        let st = self.cluster_status(k).ok_or_else(|| CommandError::new(CommandErrorKind::UnknownName, format!("there is no cluster {k}")))?;
        st.primary.ok_or_else(|| CommandError::new(CommandErrorKind::Refused, format!("shard {shard} ({}) has no primary at this moment to crash", st.scope)))
    }

    /// Scope `k`'s cluster now: its writable primary (as commands name it), and the Always
    /// properties broken so far, with what broke them.
    pub fn cluster_status(&self, k: u16) -> Option<ClusterStatus> {
        let c = self.cluster(k)?;
        let primary = c.nodes.iter().find(|n| n.writable && n.is_running()).map(|n| format!("{}/{}", c.scope, n.name));
        let broken = c.props.states.iter().filter(|p| p.kind == crate::invariants::PropKind::Always && !p.holds).map(|p| (p.name.to_string(), p.detail.clone())).collect();
        Some(ClusterStatus { scope: c.scope.clone(), primary, broken })
    }

    /// The router's next operation. Returns what its record holds: the row's key (as the
    /// record's `lsn`) and what the operation did (`Routed::arg`).
    #[inline(never)]
    pub(crate) fn on_router_op(&mut self) -> (u64, u64) {
        let stopped = (0, Routed::STOPPED.arg());
        let Some(mut r) = self.router.take() else { return stopped };
        let mut record = stopped;
        if r.failed().is_none() {
            let t = self.now.0;
            match r.op(t, self) {
                Ok(op) => {
                    if op.next < r.total_us() {
                        self.push_in(ROUTER, SimTime(op.next), Ev::RouterOp);
                    }
                    record = (op.key, op.routed.arg());
                }
                Err(e) => r.fail(e),
            }
        }
        self.router = Some(r);
        record
    }

    /// The end of the run: the router closes its last seconds and checks every write.
    pub(crate) fn finish_router(&mut self) {
        if let Some(r) = self.router.as_mut() {
            self.router_run = Some(r.finish());
        }
    }

    /// A router connection's request ended: tell the router.
    pub(crate) fn driven_done(&mut self, c: u32, code: u8) {
        let k = self.active;
        let (key, ver) = {
            let cl = &self.c.cl.list[c as usize];
            (cl.key, cl.ver)
        };
        if let Some(r) = self.router.as_mut() {
            r.write_done(k, key, ver, code == OK);
            // Traced after the event that answered it, in the cluster's scope.
            self.after_event.push((TraceKind::RouterAck, crate::trace::NO_NODE, key, ack_arg(ver, code == OK)));
        }
    }
}

impl Backends for World {
    fn accepts_write(&self, cluster: u16, _: u64) -> bool {
        self.cluster(cluster).is_none_or(|c| !c.proxy.write_up.is_empty())
    }

    fn submit_write(&mut self, cluster: u16, key: u64, version: u64) -> Submit {
        if self.cluster(cluster).is_none() {
            return Submit::Done;
        }
        self.enter(cluster);
        let Some(c) = self.c.cl.list.iter().position(|cl| !cl.busy) else {
            self.c.metrics.request_failed(true);
            return Submit::Failed;
        };
        let c = c as u32;
        let Some(n) = self.c.proxy.pick(true, c) else {
            self.c.metrics.request_failed(true);
            return Submit::Failed;
        };
        let gen = self.c.cl.send(c, true, key, n, self.now);
        self.c.cl.list[c as usize].ver = version;
        self.send_request(c, gen, n);
        Submit::Sent { client: c }
    }
}
