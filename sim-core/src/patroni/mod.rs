//! Patroni and its DCS: the leader key, the agents' HA loop, promotion, fencing, rewind, re-clone,
//! switchover and synchronous mode.
pub mod cfg;
pub(crate) mod decide;
use crate::net::{Ep, Net};
use crate::postgres::{Node, PgState, SyncNames};
use crate::rng::SimRng;
use crate::time::SimTime;

/// The distributed configuration store (etcd/Consul/ZooKeeper): one leader key with a TTL.
#[derive(Clone, Debug, Default)]
pub struct Dcs {
    pub down: bool,
    /// (holder, expiry)
    pub leader: Option<(u16, SimTime)>,
    /// Patroni's `/sync` key: the member allowed to take over in synchronous_mode.
    pub sync: Option<u16>,
    /// A candidate named in `/sync`-to-be, and the leader LSN it must reach first.
    pub pending_sync: Option<(u16, u64)>,
    /// `/optime/leader`: the leader's last reported WAL position.
    pub optime: u64,
    /// `/failover`: a requested switchover target.
    pub failover_to: Option<u16>,
    pub last_leader: Option<u16>,
}

/// One step of Patroni's synchronous_mode (`Dcs::sync_step`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SyncStep {
    /// The `/sync` member still streams.
    Keep(u16),
    /// The `/sync` member stopped streaming; `/sync` is cleared.
    Gone(u16),
    /// The candidate caught up and is now in `/sync`.
    Named(u16),
    /// A candidate is synchronous in `synchronous_standby_names` but not yet in `/sync`.
    Waiting(u16),
    /// No standby streams.
    NoCandidate,
}

/// The `synchronous_standby_names` Patroni writes on a new primary: in strict synchronous mode
/// `*` (no commit returns until some standby confirms), in synchronous mode nothing until a
/// standby is picked, and otherwise the scenario's static setting.
pub fn names_after_promotion(pat: &cfg::PatroniCfg, static_sync: &SyncNames) -> SyncNames {
    match (pat.synchronous_mode, pat.synchronous_mode_strict) {
        (true, true) => SyncNames { any: false, num: 1, names: vec!["*".into()] },
        (true, false) => SyncNames::default(),
        _ => static_sync.clone(),
    }
}

impl Dcs {
    pub fn holder(&self, now: SimTime) -> Option<u16> {
        self.leader.filter(|l| l.1 > now).map(|l| l.0)
    }

    /// Patroni's health race: is another member it can reach, running, and further ahead
    /// (timeline, WAL position) than `mine`? In synchronous mode only the `/sync` member and the
    /// last leader count. Borrows only the members and the network.
    pub fn someone_healthier(&self, nodes: &[Node], net: &Net, sync_mode: bool, n: u16, mine: (u32, u64)) -> bool {
        (0..nodes.len() as u16).filter(|&m| m != n).filter(|&m| !sync_mode || self.sync == Some(m) || self.last_leader == Some(m)).any(|m| {
            let o = &nodes[m as usize];
            o.is_running() && o.agent.up && net.reachable(n as usize, m as usize) && net.reachable(m as usize, n as usize) && (o.tl, o.wal_position()) > mine
        })
    }

    /// Patroni's synchronous_mode on the leader, whose WAL is flushed to `flush`, with
    /// `streaming` standbys (member, flush position): keep the `/sync` member while it streams,
    /// clear it once it is gone, and otherwise name a candidate, which enters `/sync` once it has
    /// caught up with the leader's position when it was picked.
    pub fn sync_step(&mut self, streaming: &[(u16, u64)], flush: u64) -> SyncStep {
        match self.sync {
            Some(s) if streaming.iter().any(|w| w.0 == s) => return SyncStep::Keep(s),
            Some(s) => {
                self.sync = None;
                return SyncStep::Gone(s);
            }
            None => {}
        }
        if let Some((c, mark)) = self.pending_sync {
            match streaming.iter().find(|w| w.0 == c) {
                Some(&(_, f)) if f >= mark => {
                    self.sync = Some(c);
                    self.pending_sync = None;
                    return SyncStep::Named(c);
                }
                Some(_) => return SyncStep::Waiting(c),
                None => self.pending_sync = None,
            }
        }
        match streaming.first() {
            Some(&(c, _)) => {
                self.pending_sync = Some((c, flush));
                SyncStep::Waiting(c)
            }
            None => SyncStep::NoCandidate,
        }
    }

    /// Whether a failover away from `from` was false: the old leader was alive, running and could
    /// reach the DCS at `dcs` (only the agent's view of it failed, for example a lossy link).
    pub fn false_failover(&self, from: u16, nodes: &[Node], net: &Net, dcs: Ep) -> bool {
        let o = &nodes[from as usize];
        let a = from as usize;
        o.host_up && o.pg != PgState::Down && !self.down && net.reachable(a, dcs) && net.reachable(dcs, a)
    }

    /// One round trip from endpoint `a` to the DCS at `d`, retried up to `attempts` times over
    /// lossy links (drawing from `rng`); `false` when the DCS is down, unreachable, or every
    /// attempt was lost. Borrows only the network and the agent's random stream.
    pub fn call(&self, net: &Net, a: Ep, d: Ep, attempts: u64, rng: &mut SimRng) -> bool {
        if self.down || !net.reachable(a, d) || !net.reachable(d, a) {
            return false;
        }
        let (p1, p2) = (net.drop_ppm(a, d), net.drop_ppm(d, a));
        if p1 == 0 && p2 == 0 {
            return true;
        }
        (0..attempts).any(|_| !rng.chance_ppm(p1) && !rng.chance_ppm(p2))
    }
}
