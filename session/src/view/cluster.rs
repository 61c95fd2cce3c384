//! The cluster diagram's view: each node's role, positions and disk, replication arcs, the DCS
//! leader key with its countdown, the proxy's write backends, slots, and messages on the wire.
use sim_core::lsn::Lsn;
use sim_core::postgres::{Conn, PgState, Role};
use sim_core::report::Flight;
use sim_core::world::World;

/// Messages drawn on the wire at most.
pub const FLIGHTS: usize = 60;

#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    pub name: String,
    pub region: String,
    /// What the node is now: `primary`, `standby`, `host down`, `pg_rewind`…
    pub role: &'static str,
    pub primary: bool,
    pub timeline: u32,
    pub insert_lsn: Lsn,
    pub flush_lsn: Lsn,
    /// Only a standby replays WAL; a primary's replay position is a stale leftover.
    pub replay_lsn: Option<Lsn>,
    /// Replay lag behind its upstream in bytes (a connected standby only).
    pub lag_bytes: Option<u64>,
    /// `sync_state` as its upstream's `pg_stat_replication` shows it (`sync`, `async`, `quorum`, `potential`).
    pub sync_state: Option<String>,
    /// Data plus retained WAL against the disk's size, in percent (100: full).
    pub disk_pct: u64,
    pub disk_full: bool,
    pub dcs_link_up: bool,
    pub proxy_link_up: bool,
    /// The node it streams from, and whether WAL can flow from it now (drawn cut otherwise,
    /// even before the standby notices).
    pub upstream: Option<(usize, bool)>,
}

/// A replication slot and the WAL it holds on its node.
#[derive(Clone, Debug, PartialEq)]
pub struct SlotView {
    pub name: String,
    pub node: usize,
    pub consumer_running: bool,
    pub lost: bool,
    pub retained_bytes: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClusterView {
    pub nodes: Vec<NodeView>,
    pub dcs_up: bool,
    pub leader: Option<String>,
    /// Until the leader key expires unless renewed (Patroni's `ttl`), in ms.
    pub leader_expires_in_ms: Option<u64>,
    /// Patroni's `/sync` key, in synchronous mode.
    pub sync_member: Option<String>,
    pub write_backends: Vec<String>,
    pub clients: usize,
    pub clients_waiting: usize,
    /// No write acknowledged for this long (more than a second), while clients keep trying.
    pub writes_unavailable_ms: Option<u64>,
    /// The last failover's window without writes, once writes came back.
    pub last_failover_unavailable_ms: Option<u64>,
    pub slots: Vec<SlotView>,
    pub flights: Vec<Flight>,
    /// A component's boxes, drawn in place of the closed-loop clients (a pooling lesson's users
    /// and app servers, PgBouncer as `SHOW POOLS` reports it, the primary's backends).
    pub tier: Option<sim_core::view::TierView>,
}

impl ClusterView {
    pub fn of(w: &World) -> ClusterView {
        let repl = w.pg_stat_replication();
        let lag = w.series().last().map(|p| p.lag_bytes.clone()).unwrap_or_default();
        let nodes = w
            .nodes()
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let standby = n.role == Role::Standby;
                let used = w.disk_used(i);
                NodeView {
                    name: n.name.clone(),
                    region: n.region.clone(),
                    role: n.role_text(),
                    primary: n.host_up && n.pg == PgState::Running && n.role == Role::Primary,
                    timeline: n.tl,
                    insert_lsn: n.lsn(),
                    flush_lsn: Lsn(n.flush_lsn),
                    replay_lsn: standby.then_some(Lsn(n.replay_lsn)),
                    lag_bytes: lag.get(i).copied().filter(|b| *b >= 0).map(|b| b as u64),
                    sync_state: repl.iter().find(|r| r.application_name == n.name).map(|r| r.sync_state.clone()),
                    disk_pct: used.saturating_mul(100) / n.disk_bytes.max(1),
                    disk_full: n.disk_full,
                    dcs_link_up: w.node_link_up(i, true),
                    proxy_link_up: w.node_link_up(i, false),
                    upstream: n.upstream.map(|p| (p as usize, matches!(n.conn, Conn::Streaming(_)) && w.replication_can_flow(p as usize, i))),
                }
            })
            .collect();
        let (clients, clients_waiting) = w.client_counts();
        let leader = w.leader_key();
        ClusterView {
            nodes,
            dcs_up: w.dcs_up(),
            leader: leader.map(|(n, _)| n.to_string()),
            leader_expires_in_ms: leader.map(|(_, ms)| ms),
            sync_member: w.sync_member().map(str::to_string),
            write_backends: w.write_backends().into_iter().map(str::to_string).collect(),
            clients,
            clients_waiting,
            writes_unavailable_ms: w.writes_unavailable_ms(),
            last_failover_unavailable_ms: w.last_failover_unavailable_ms(),
            slots: w.slots().map(|(s, retained_bytes)| SlotView { name: s.name.clone(), node: s.node as usize, consumer_running: s.consumer_running, lost: s.lost, retained_bytes }).collect(),
            flights: w.in_flight(FLIGHTS),
            tier: w.component_tier(),
        }
    }
}
