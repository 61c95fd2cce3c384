//! Patroni and its DCS: the leader key, the agents' HA loop, promotion, fencing, rewind, re-clone,
//! switchover and synchronous mode.
pub(crate) mod decide;
use crate::net::{Ep, Net};
use crate::postgres::Node;
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
