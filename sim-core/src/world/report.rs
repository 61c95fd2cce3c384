//! The run report (the CLI's `--json`), `pg_stat_replication` rows, and checking expectations.
use crate::chunklog::ChunkLog;
use crate::invariants::{Prop, PropKind, PropState};
use crate::lsn::{history_file, history_file_name, Lsn};
use crate::metrics::SamplePoint;
use crate::postgres::{sync_state, Role};
use crate::scenario::{Bound, Expect, Metric, NodeMetric, RunMetric};
use crate::time::SimTime;
use crate::world::{Ev, Note, World};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub trace_hash: String,
    pub end_time_ms: u64,
    pub events: u64,
    pub expectations: Vec<ExpectResult>,
    pub metrics: RunMetrics,
    pub nodes: Vec<NodeReport>,
    pub pg_stat_replication: Vec<ReplRow>,
    pub timelines: Vec<TimelineFile>,
    pub invariants: Vec<PropState>,
    pub notes: Vec<Note>,
    /// Per-second samples (commits, replication lag), thinned to at most `SERIES_POINTS`.
    pub series: Vec<SamplePoint>,
    /// Base backups, the archive and restores (scenarios with a `[backup]` section).
    pub backup: Option<crate::backup::BackupReport>,
    /// Each component at the end: its report lines and its figures (`World::component_reports`).
    pub components: Vec<crate::view::ComponentReport>,
}

pub const SERIES_POINTS: usize = 600;

#[derive(Clone, Debug, Serialize)]
pub struct ExpectResult {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    /// When the goal can be judged: a figure or the final primary only at the end; a property
    /// once it is decided.
    pub kind: ExpectKind,
    /// A figure's value and its bounds, for views that word it (`None`: not a figure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figure: Option<Figure>,
}

/// A measured figure against the bounds a lesson states.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Figure {
    pub value: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// What it is measured in (the metric's own, never read from its name).
    #[serde(skip)]
    pub unit: crate::base::Unit,
}

/// What kind of promise an expectation is, so a view can tell "met" from "not yet judged" and
/// "violated, as the lesson shows" without reading its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectKind {
    /// A figure within bounds, or the final primary: judged at the end of the run.
    AtEnd,
    /// An Always property: broken for good once violated.
    Always,
    /// A Sometimes property: met for good once seen.
    Sometimes,
    /// A property the lesson expects to be violated: met once it is.
    Violated,
    /// The DR drill's verdict, not judged until a drill has run.
    DrillNotRun,
    /// The DR drill's verdict: the strategy meets the SLA, as the lesson expects.
    Drill,
    /// The DR drill's verdict where the lesson's point is that the strategy misses the SLA.
    DrillMissed,
}

impl ExpectResult {
    /// Whether the verdict is final at this point of the run (`ended`: the run reached its end).
    pub fn decided(&self, ended: bool) -> bool {
        match self.kind {
            ExpectKind::DrillNotRun => false,
            ExpectKind::Drill | ExpectKind::DrillMissed => true,
            _ if ended => true,
            ExpectKind::AtEnd => false,
            ExpectKind::Always => !self.ok,
            ExpectKind::Sometimes | ExpectKind::Violated => self.ok,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FailoverReport {
    pub at_ms: u64,
    pub from: Option<String>,
    pub to: String,
    pub timeline: u32,
    /// The last acknowledged commit before the failover: when writes stopped.
    pub writes_stopped_ms: u64,
    pub unavailable_ms: Option<u64>,
    pub false_failover: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunMetrics {
    pub commits_acked: u64,
    pub commits_failed: u64,
    pub commits_lost: u64,
    pub rpo_ms: u64,
    pub reads_ok: u64,
    pub reads_failed: u64,
    pub failovers: Vec<FailoverReport>,
    pub commit_latency_ms: Latency,
    pub max_write_gap_ms: u64,
    /// Commits whose client gave up (its `workload.timeout`) while they waited for a synchronous
    /// standby: committed locally, reported to the client as failed.
    pub sync_waits_canceled: u64,
    pub loss_window_truncated: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct NodeReport {
    pub name: String,
    pub region: String,
    pub role: String,
    pub state: String,
    pub timeline: u32,
    pub lsn: String,
    pub wal_segment: String,
    pub next_xid: u64,
    pub max_replay_lag_ms: u64,
    pub max_replay_lag_bytes: u64,
    pub max_disk_pct: u64,
}

/// One `pg_stat_replication` row, as the primary shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ReplRow {
    pub primary: String,
    pub application_name: String,
    pub state: String,
    pub sent_lsn: String,
    pub write_lsn: String,
    pub flush_lsn: String,
    pub replay_lsn: String,
    pub write_lag: Option<String>,
    pub flush_lag: Option<String>,
    pub replay_lag: Option<String>,
    pub sync_priority: u32,
    pub sync_state: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TimelineFile {
    pub node: String,
    pub file: String,
    pub content: String,
}

/// An interval as PostgreSQL prints it: `00:00:00.001234`.
pub fn interval(us: u64) -> String {
    let s = us / 1_000_000;
    format!("{:02}:{:02}:{:02}.{:06}", s / 3600, s / 60 % 60, s % 60, us % 1_000_000)
}

impl World {
    pub fn pg_stat_replication(&self) -> Vec<ReplRow> {
        let mut rows = Vec::new();
        for p in self.c.nodes.iter().filter(|n| n.role == Role::Primary && n.is_running()) {
            for (i, w) in p.senders.iter().enumerate() {
                let app = self.c.nodes[w.standby as usize].name.clone();
                let lag = |d: Option<crate::time::SimDur>| d.map(|d| interval(d.0));
                rows.push(ReplRow {
                    primary: p.name.clone(),
                    application_name: app.clone(),
                    state: format!("{:?}", w.state).to_ascii_lowercase(),
                    sent_lsn: Lsn(w.sent).to_string(),
                    write_lsn: Lsn(w.write).to_string(),
                    flush_lsn: Lsn(w.flush).to_string(),
                    replay_lsn: Lsn(w.replay).to_string(),
                    write_lag: lag(w.write_lag),
                    flush_lag: lag(w.flush_lag),
                    replay_lag: lag(w.replay_lag),
                    sync_priority: p.sync_names.priority(&app),
                    sync_state: sync_state(&p.sync_names, &p.senders, i, |s| self.c.nodes[s as usize].name.as_str()).into(),
                });
            }
        }
        rows
    }

    fn node_reports(&self) -> Vec<NodeReport> {
        self.c
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let st = &self.c.metrics.node_stats[i];
                NodeReport {
                    name: n.name.clone(),
                    region: n.region.clone(),
                    role: n.role_name().into(),
                    state: if n.host_up { format!("{:?}", n.pg).to_ascii_lowercase() } else { "host down".into() },
                    timeline: n.tl,
                    lsn: n.lsn().to_string(),
                    wal_segment: n.lsn().segment_name(n.tl),
                    next_xid: n.next_xid,
                    max_replay_lag_ms: st.max_replay_lag_ms,
                    max_replay_lag_bytes: st.max_replay_lag_bytes,
                    max_disk_pct: st.max_disk_pct,
                }
            })
            .collect()
    }

    fn timeline_files(&self) -> Vec<TimelineFile> {
        self.c.nodes.iter().filter(|n| !n.history.is_empty()).map(|n| TimelineFile { node: n.name.clone(), file: history_file_name(n.tl), content: history_file(&n.history) }).collect()
    }

    pub fn run_metrics(&self) -> RunMetrics {
        let m = &self.c.metrics;
        let loss = m.loss();
        RunMetrics {
            commits_acked: m.commits_acked,
            commits_failed: m.commits_failed,
            commits_lost: loss.commits_lost,
            rpo_ms: loss.rpo_ms,
            reads_ok: m.reads_ok,
            reads_failed: m.reads_failed,
            failovers: m
                .failovers
                .iter()
                .map(|f| FailoverReport {
                    at_ms: f.at.as_ms(),
                    from: f.from.map(|x| self.c.nodes[x as usize].name.clone()),
                    to: self.c.nodes[f.to as usize].name.clone(),
                    timeline: f.timeline,
                    writes_stopped_ms: f.last_ack_before.as_ms(),
                    unavailable_ms: f.first_ack_after.map(|t| t.since(f.last_ack_before).as_ms()),
                    false_failover: f.false_failover,
                })
                .collect(),
            commit_latency_ms: Latency { p50: m.latency.quantile(0.5) as f64 / 1000.0, p99: m.latency.quantile(0.99) as f64 / 1000.0 },
            // A gap still open now counts too: writes blocked to the end of the run are a gap.
            max_write_gap_ms: if self.c.cl.wl.write_tps > 0.0 && self.c.cl.wl.clients > 0 { m.max_write_gap.max(self.now.since(m.last_write_ack)) } else { m.max_write_gap }.as_ms(),
            sync_waits_canceled: m.sync_waits_canceled,
            loss_window_truncated: m.window_truncated,
        }
    }

    /// Just the expectation verdicts, for a live "goals" panel.
    pub fn expectations(&self, expect: &Expect) -> Vec<ExpectResult> {
        check(self, expect, &self.run_metrics(), &self.node_reports())
    }

    /// Per-second samples so far (commits, lag), for charts.
    pub fn series(&self) -> &ChunkLog<SamplePoint, 64> {
        &self.c.metrics.series
    }

    /// The report of the run so far, with `expect` checked against it.
    pub fn report(&self, expect: &Expect) -> Report {
        let metrics = self.run_metrics();
        let nodes = self.node_reports();
        let expectations = check(self, expect, &metrics, &nodes);
        Report {
            scenario: self.title.clone(),
            seed: self.seed,
            trace_hash: format!("{:016x}", self.trace_hash()),
            end_time_ms: self.now.as_ms(),
            events: self.events,
            expectations,
            metrics,
            nodes,
            pg_stat_replication: self.pg_stat_replication(),
            timelines: self.timeline_files(),
            invariants: self.c.props.states.clone(),
            notes: self.notes.iter().cloned().collect(),
            series: self.thinned_series(),
            backup: self.backup_report(),
            components: self.component_reports(),
        }
    }

    fn thinned_series(&self) -> Vec<SamplePoint> {
        let s = &self.c.metrics.series;
        let step = s.len().div_ceil(SERIES_POINTS).max(1);
        s.iter().step_by(step).cloned().collect()
    }

    /// Up to `limit` messages on the wire now, the soonest to arrive first: WAL and status
    /// replies between nodes, and the clients' requests and answers. Data still queued behind a
    /// busy link is not shown. The choice depends only on what is in flight, not on how the
    /// queue holds it (a world restored from a snapshot holds it differently).
    pub fn in_flight(&self, limit: usize) -> Vec<Flight> {
        let now = self.now;
        let progress = |from: SimTime, to: SimTime| -> Option<u32> { (from <= now && to > from).then(|| (now.since(from).0 * 1000 / to.since(from).0.max(1)) as u32) };
        let half_rtt = |a: usize, b: usize, at: SimTime| SimTime(at.0.saturating_sub(self.c.net.rtt(a, b).0 / 2));
        let mut out = Vec::new();
        for (at, sc) in self.q.iter() {
            if sc.k != self.active {
                continue;
            }
            let flight = match sc.ev {
                Ev::Stream { s, depart_us, .. } => self.c.nodes[s as usize].upstream.map(|p| (Hop::Node(p), Hop::Node(s), "WAL", SimTime(depart_us))),
                Ev::Feedback { n, s, .. } => Some((Hop::Node(s), Hop::Node(n), "status reply", half_rtt(s as usize, n as usize, at))),
                Ev::Arrive { n, .. } => Some((Hop::Clients, Hop::Node(n), "query", half_rtt(self.c.eps.clients, n as usize, at))),
                Ev::Reply { c, .. } => self.c.cl.list.get(c as usize).map(|cl| (Hop::Node(cl.node), Hop::Clients, "result", half_rtt(self.c.eps.clients, cl.node as usize, at))),
                _ => None,
            };
            let Some((from, to, what, sent)) = flight else { continue };
            if let Some(permille) = progress(sent, at) {
                // Kept sorted and at most `limit` long, by insertion (no sort code in the pages).
                let item = (at, Flight { from, to, what, permille });
                let i = out.partition_point(|x| *x <= item);
                if i < limit {
                    out.truncate(limit - 1);
                    out.insert(i, item);
                }
            }
        }
        out.into_iter().map(|(_, f)| f).collect()
    }

    /// Client sessions in total and those waiting for an answer.
    pub fn client_counts(&self) -> (usize, usize) {
        (self.c.cl.list.len(), self.c.cl.list.iter().filter(|c| c.busy).count())
    }

    /// The node holding the DCS leader key, and the ms until the key expires unless renewed.
    /// When the active cluster's clients last had a write acknowledged.
    pub fn last_write_ack(&self) -> SimTime {
        self.c.metrics.last_write_ack
    }

    pub fn leader_key(&self) -> Option<(&str, u64)> {
        let holder = self.c.dcs.holder(self.now)?;
        Some((self.name(holder), self.c.dcs.leader.map_or(0, |(_, exp)| exp.since(self.now).as_ms())))
    }

    /// Patroni's `/sync` key, in synchronous mode.
    pub fn sync_member(&self) -> Option<&str> {
        self.c.dcs.sync.map(|n| self.name(n))
    }

    /// No write acknowledged for this long (over a second) while clients have been writing.
    pub fn writes_unavailable_ms(&self) -> Option<u64> {
        let gap = self.now.since(self.c.metrics.last_write_ack).as_ms();
        (self.c.cl.wl.write_tps > 0.0 && self.c.metrics.commits_acked > 0 && gap > 1000).then_some(gap)
    }

    /// The last failover's window without writes, once writes came back.
    pub fn last_failover_unavailable_ms(&self) -> Option<u64> {
        self.c.metrics.failovers.last().and_then(|f| Some(f.first_ack_after?.since(f.last_ack_before).as_ms()))
    }

    /// The replication slots, and the WAL each holds on its node (bytes).
    pub fn slots(&self) -> impl Iterator<Item = (&crate::postgres::Slot, u64)> + '_ {
        self.c.slots.iter().map(|s| (s, self.c.nodes[s.node as usize].insert_lsn.saturating_sub(s.restart_lsn)))
    }

    /// Node `n`'s data plus the WAL it retains, in bytes.
    pub fn disk_used(&self, n: usize) -> u64 {
        self.c.nodes[n].data_bytes + self.c.nodes[n].wal_retained(&self.c.slots, n as u16)
    }

    /// Whether the DCS is answering at all.
    pub fn dcs_up(&self) -> bool {
        !self.c.dcs.down
    }

    /// Nodes the proxy currently sends writes to.
    pub fn write_backends(&self) -> Vec<&str> {
        self.c.proxy.write_up.iter().map(|&n| self.name(n)).collect()
    }

    /// Whether node `n` and the DCS (`to_dcs`) or the proxy can reach each other both ways.
    pub fn node_link_up(&self, n: usize, to_dcs: bool) -> bool {
        let other = if to_dcs { self.c.eps.dcs } else { self.c.eps.proxy };
        self.c.net.reachable(n, other) && self.c.net.reachable(other, n)
    }

    /// The settings a learner can change, with their values now (as `Setting::parse` reads
    /// them), in the registry's order: each read back from the component that owns it, and only
    /// the components this world has.
    pub fn current_settings(&self) -> Vec<(&'static str, String)> {
        let backups = self.c.backups.as_deref().map(|b| &b.cfg);
        crate::command::settings::defs()
            .filter(|d| d.offered)
            .filter_map(|d| {
                let v = crate::postgres::cfg::read(&self.c.pgc, d.name)
                    .or_else(|| crate::patroni::cfg::read(&self.c.pat, d.name))
                    .or_else(|| backups.and_then(|b| crate::backup::cfg::read(b, d.name)))
                    .or_else(|| self.component_setting(d.name))?;
                Some((d.name, v.to_string()))
            })
            .collect()
    }

    /// Whether replication from node `up` to node `down` can flow now: both hosts up, Postgres
    /// running on both, and the network passing both ways. (The walreceiver may not know yet.)
    pub fn replication_can_flow(&self, up: usize, down: usize) -> bool {
        let running = |n: usize| self.c.nodes.get(n).is_some_and(|x| x.host_up && x.pg == crate::postgres::PgState::Running);
        running(up) && running(down) && self.c.net.reachable(up, down) && self.c.net.reachable(down, up)
    }

    pub fn invariants(&self) -> &[PropState] {
        &self.c.props.states
    }

    pub fn leader(&self) -> Option<&str> {
        self.c.dcs.holder(self.now).map(|n| self.name(n))
    }
}

/// One end of a message's path in the cluster view.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hop {
    Node(u16),
    Clients,
}

/// A message on the wire, `permille` of the way from `from` to `to`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Flight {
    pub from: Hop,
    pub to: Hop,
    pub what: &'static str,
    pub permille: u32,
}

pub(crate) fn bound(name: &str, unit: crate::base::Unit, v: f64, b: &Bound) -> ExpectResult {
    let ok = b.min.is_none_or(|m| v >= m) && b.max.is_none_or(|m| v <= m);
    let range = match (b.min, b.max) {
        (Some(a), Some(z)) => format!("in [{a}, {z}]"),
        (Some(a), None) => format!(">= {a}"),
        (None, Some(z)) => format!("<= {z}"),
        (None, None) => "any".into(),
    };
    ExpectResult { name: name.into(), ok, detail: format!("{v} (expected {range})"), kind: ExpectKind::AtEnd, figure: Some(Figure { value: v, min: b.min, max: b.max, unit }) }
}

/// An expectation on a figure this kind of lesson does not measure.
pub(crate) fn not_measured(name: &str) -> ExpectResult {
    ExpectResult { name: name.into(), ok: false, detail: "not measured by this lesson".into(), kind: ExpectKind::AtEnd, figure: None }
}

/// A figure of this cluster's run; `None` for a sharded lesson's figure, which validation keeps
/// out of a cluster lesson's `[expect]`.
fn metric_value(m: Metric, r: &RunMetrics, w: &World) -> Option<f64> {
    let m = match m {
        // A component's figure is its own to read, by name.
        Metric::Component(_) => return w.component_figure(&m.name()),
        Metric::Run(m) => m,
    };
    Some(match m {
        RunMetric::CommitsAcked => r.commits_acked as f64,
        RunMetric::CommitsFailed => r.commits_failed as f64,
        RunMetric::CommitsLost => r.commits_lost as f64,
        RunMetric::RpoMs => r.rpo_ms as f64,
        RunMetric::Failovers => r.failovers.len() as f64,
        RunMetric::FalseFailovers => r.failovers.iter().filter(|f| f.false_failover).count() as f64,
        RunMetric::FailoverMaxS => r.failovers.iter().map(|f| f.unavailable_ms.unwrap_or(u64::MAX / 2)).max().unwrap_or(0) as f64 / 1000.0,
        RunMetric::CommitP50Ms => r.commit_latency_ms.p50,
        RunMetric::CommitP99Ms => r.commit_latency_ms.p99,
        RunMetric::MaxWriteGapS => r.max_write_gap_ms as f64 / 1000.0,
        RunMetric::SyncWaitsCanceled => r.sync_waits_canceled as f64,
        RunMetric::BaseBackups => w.backup_report().map_or(0, |b| b.base_backups.len()) as f64,
        RunMetric::SegmentsArchived => w.backup_report().map_or(0, |b| b.segments_archived) as f64,
        RunMetric::SegmentsPending => w.backup_report().map_or(0, |b| b.segments_pending) as f64,
        RunMetric::Restores => w.backup_report().map_or(0, |b| b.restores.len()) as f64,
        RunMetric::RestoresStoppedEarly => w.backup_report().map_or(0, |b| b.restores.iter().filter(|r| r.stopped_early.is_some()).count()) as f64,
        RunMetric::LastRestoreRows => w.backup_report().and_then(|b| b.restores.last().map(|r| r.rows)).unwrap_or(0) as f64,
        RunMetric::LastRestoreTimeline => w.backup_report().and_then(|b| b.restores.last().and_then(|r| r.new_timeline)).unwrap_or(0) as f64,
        RunMetric::RestoresRefused => w.backup_report().map_or(0, |b| b.restores_refused.len()) as f64,
        RunMetric::LastRestoreRpoS => w.backup_report().and_then(|b| b.restores.last().map(|r| r.rpo_ms)).unwrap_or(0) as f64 / 1000.0,
        RunMetric::LastRestoreS => w.backup_report().and_then(|b| b.restores.last().map(|r| r.duration_ms)).unwrap_or(0) as f64 / 1000.0,
        RunMetric::FinalTimeline => w.reference_node().map_or(0, |n| w.c.nodes[n as usize].tl) as f64,
        // A sharded lesson's figure is not measured here.
        _ => return None,
    })
}

fn node_value(m: NodeMetric, n: &NodeReport) -> f64 {
    match m {
        NodeMetric::MaxReplayLagMs => n.max_replay_lag_ms as f64,
        NodeMetric::MaxReplayLagBytes => n.max_replay_lag_bytes as f64,
        NodeMetric::MaxDiskPct => n.max_disk_pct as f64,
    }
}

fn check(w: &World, e: &Expect, r: &RunMetrics, nodes: &[NodeReport]) -> Vec<ExpectResult> {
    let mut out = Vec::new();
    if let Some(p) = &e.final_primary {
        let actual = w.leader().map(str::to_string);
        out.push(ExpectResult {
            name: "final_primary".into(),
            ok: actual.as_deref() == Some(p),
            detail: format!("{} (expected {p})", actual.unwrap_or_else(|| "no leader".into())),
            kind: ExpectKind::AtEnd,
            figure: None,
        });
    }
    if let Some(p) = &e.final_primary_not {
        let actual = w.leader().map(str::to_string);
        let ok = actual.as_deref().is_some_and(|a| a != p);
        out.push(ExpectResult {
            name: "final_primary_not".into(),
            ok,
            detail: format!("{} (expected any node but {p})", actual.unwrap_or_else(|| "no leader".into())),
            kind: ExpectKind::AtEnd,
            figure: None,
        });
    }
    for (m, b) in &e.metrics {
        out.push(match metric_value(*m, r, w) {
            Some(v) => bound(&m.name(), m.unit(), v, b),
            None => not_measured(&m.name()),
        });
    }
    for (name, ms) in &e.nodes {
        if let Some(n) = nodes.iter().find(|n| &n.name == name) {
            for (m, b) in ms {
                out.push(bound(&format!("{name}.{}", m.name()), m.unit(), node_value(*m, n), b));
            }
        }
    }
    for (list, want, kind) in [(&e.always, true, ExpectKind::Always), (&e.sometimes, true, ExpectKind::Sometimes), (&e.violated, false, ExpectKind::Violated)] {
        for name in list {
            let Some(p) = Prop::parse(name) else { continue };
            let st = w.c.props.get(p);
            let mut detail = if st.detail.is_empty() { p.describe().to_string() } else { st.detail.clone() };
            // A broken Always property keeps its first counterexample; say so, and for lost
            // commits give the run's total too, so the goal agrees with the `commits_lost` figure.
            if let (Some(at), false) = (st.at_ms.filter(|_| p.kind() == PropKind::Always), st.holds) {
                detail = format!("first broken at {} s: {detail}", at as f64 / 1000.0);
                if p == Prop::NoAckedCommitLost {
                    detail.push_str(&format!("; {} acknowledged commits lost in all so far", r.commits_lost));
                }
            }
            let label = if want { name.clone() } else { format!("violated:{name}") };
            out.push(ExpectResult { name: label, ok: st.holds == want, detail, kind, figure: None });
        }
    }
    out
}
