//! The page elements a lesson's `watch` items may point at. The pages own these names, so they
//! live in the session crate, which the panels that show them read (not in the model); `session::parse` checks a
//! lesson's `shows` against them, and a name no page shows is refused at its file:line:column.

/// The page elements a lesson's `watch` items may point at (`shows`), and what each is: the
/// pages' own ([`PAGE`]), then those each component's view holds. A name marked `:node` takes a
/// node's name (`disk:pg1`). The pages mark each with `data-view`.
pub fn elements() -> impl Iterator<Item = (&'static str, &'static str)> {
    PAGE.iter().copied().chain(sim_core::world::components::ELEMENTS.iter().flat_map(|c| c.iter()).map(|e| (e.name, e.what)))
}

/// The elements the pages draw themselves.
pub const PAGE: &[(&str, &str)] = &[
    ("ttl-countdown", "the DCS leader key and the seconds until it expires"),
    ("sync-state", "each standby's sync_state, as pg_stat_replication shows it"),
    ("slot", "a replication slot and the WAL it holds"),
    ("disk:node", "a node's disk gauge"),
    ("node:node", "a node's box: role, timeline, LSNs"),
    ("failover-window", "the last failover's time without writes"),
    ("writes", "the clients' box: waiting requests, or writes unavailable"),
    ("proxy", "where the proxy sends writes"),
    ("chart-throughput", "commits per second, acknowledged and failed"),
    ("chart-latency", "commit latency p50 and p99"),
    ("chart-lag", "replay_lag per standby, in ms, as pg_stat_replication reports it"),
    ("chart-lag-bytes", "WAL not yet replayed per standby: the primary's flush LSN minus its replay_lsn"),
    ("chart-lost", "acknowledged commits lost"),
    ("invariants", "the invariants panel"),
    ("goals", "the lesson's goals"),
    ("log", "the event log"),
    ("wal-strip", "WAL segments in the archive, and base backups"),
    ("pitr-preview", "what a restore to the target would do"),
    ("timeline-tree", "timelines and their switch LSNs"),
    ("restored-table", "the table as the last restore left it"),
    ("sla-gauges", "the last recovery's RPO and RTO against the SLA"),
    ("drill-table", "the DR drill's verdict per disaster"),
    ("heatmap", "per-shard load each second"),
    ("shard-map", "per-shard load, errors and p99"),
    ("hash-ring", "the placement: ring, ranges or buckets"),
    ("findings", "what the sharding run found, line by line"),
    ("reshard-progress", "the reshard's phases"),
    ("shard-ha", "each shard's Patroni cluster: failovers, writes unavailable, lost commits"),
];

/// Checks a `shows` name: a known element, with an existing node where it takes one.
pub fn check_element(name: &str, nodes: &[String]) -> Result<(), String> {
    let (base, node) = match name.split_once(':') {
        Some((b, n)) => (b, Some(n)),
        None => (name, None),
    };
    let known = elements().find(|(e, _)| e.split(':').next() == Some(base));
    let Some((e, _)) = known else {
        let names: Vec<&str> = elements().map(|e| e.0).collect();
        return Err(format!("`{name}` is not an element of the page; known: {}", names.join(", ")));
    };
    match (e.contains(':'), node) {
        (true, Some(n)) if nodes.iter().any(|x| x == n) => Ok(()),
        (true, Some(n)) => Err(format!("`{name}`: no node named `{n}` (nodes: {})", nodes.join(", "))),
        (true, None) => Err(format!("`{name}` needs a node, like `{base}:{}`", nodes.first().map_or("pg1", |s| s.as_str()))),
        (false, Some(_)) => Err(format!("`{base}` takes no node")),
        (false, None) => Ok(()),
    }
}
