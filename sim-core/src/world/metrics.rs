//! Client-side measurements: acknowledged and failed commits, lost commits and RPO, failovers and RTO, latency, lag.
use crate::chunklog::ChunkLog;
use crate::postgres::Node;
use crate::time::{SimDur, SimTime};
use serde::Serialize;
use std::collections::BTreeMap;

/// Acknowledged commits still tracked for loss: those not yet on every intact disk.
pub const ACK_WINDOW_CAP: usize = 4_000_000;
pub use crate::base::histogram::Histogram;
pub use crate::base::SERIES_CAP;

/// One change of leader that promoted a node.
#[derive(Clone, Debug)]
pub struct Failover {
    pub at: SimTime,
    pub from: Option<u16>,
    pub to: u16,
    pub timeline: u32,
    pub last_ack_before: SimTime,
    pub first_ack_after: Option<SimTime>,
    /// The old leader was alive and could reach the DCS when it lost the key: a transient
    /// glitch (a lost renewal), not a failure, caused this failover.
    pub false_failover: bool,
}

/// One second of the run, for charts.
#[derive(Clone, Debug, Serialize)]
pub struct SamplePoint {
    pub t_ms: u64,
    pub commits_acked: u64,
    pub commits_failed: u64,
    /// Replay lag in bytes per node (-1: not a connected standby).
    pub lag_bytes: Vec<i64>,
    /// `replay_lag` in milliseconds per node (-1: unknown or not a standby).
    pub lag_ms: Vec<i64>,
    /// Commit latency over the last second, in microseconds (0: no commit acknowledged).
    pub p50_us: u64,
    pub p99_us: u64,
    /// Acknowledged commits missing from the current leader's history (counted at each promotion).
    pub commits_lost: u64,
}

#[derive(Clone, Debug, Default)]
pub struct NodeStats {
    pub max_replay_lag_ms: u64,
    pub max_replay_lag_bytes: u64,
    pub max_disk_pct: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Metrics {
    pub commits_acked: u64,
    pub commits_failed: u64,
    pub reads_ok: u64,
    pub reads_failed: u64,
    pub latency: Histogram,
    pub acked: BTreeMap<u32, ChunkLog<(u64, u64), 64>>,
    pub window_truncated: bool,
    pub failovers: Vec<Failover>,
    pub last_write_ack: SimTime,
    /// Writes clients saw succeed: commits, and pooled transactions.
    pub writes_answered: u64,
    pub max_write_gap: SimDur,
    pub node_stats: Vec<NodeStats>,
    pub series: ChunkLog<SamplePoint, 64>,
    /// Commit latencies (µs) since the last sample, for per-second percentiles.
    pub recent_latency: Vec<u64>,
    /// Acknowledged commits found missing from a leader's history so far (at each promotion and
    /// at the end of the run). Each is counted once: it leaves the window when found lost.
    pub lost: u64,
    /// The widest data-loss window so far (µs): from the newest surviving acknowledged commit to
    /// the newest lost one, as the clients saw them.
    pub rpo_us: u64,
    /// The newest commit time per timeline of commits pruned from the window (they survived).
    pub survived_us: BTreeMap<u32, u64>,
    /// Clients that gave up on a commit waiting in the sync-rep queue (it stays committed locally).
    pub sync_waits_canceled: u64,
}

/// At most this many latencies are kept per second.
const RECENT_CAP: usize = 100_000;

/// An acknowledged commit in the window: (LSN, commit time in µs).
type Acked = (u64, u64);

/// The loss verdict at the end of a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Loss {
    pub commits_lost: u64,
    pub rpo_ms: u64,
}

impl Metrics {
    /// Replay lag of each standby streaming from a running primary, in bytes and in ms (-1:
    /// none); records each standby's maxima.
    pub(crate) fn sample_lag(&mut self, nodes: &[Node]) -> (Vec<i64>, Vec<i64>) {
        let mut out = vec![-1i64; nodes.len()];
        let mut out_ms = vec![-1i64; nodes.len()];
        for p in nodes.iter().filter(|p| p.role == crate::postgres::Role::Primary && p.is_running()) {
            for w in &p.senders {
                let s = w.standby as usize;
                let bytes = p.flush_lsn.saturating_sub(w.replay);
                out[s] = bytes as i64;
                let st = &mut self.node_stats[s];
                st.max_replay_lag_bytes = st.max_replay_lag_bytes.max(bytes);
                if let Some(l) = w.replay_lag {
                    st.max_replay_lag_ms = st.max_replay_lag_ms.max(l.as_ms());
                    out_ms[s] = l.as_ms() as i64;
                }
            }
        }
        (out, out_ms)
    }

    /// Records node `n`'s disk use (`used` bytes of `disk_bytes`) among its maxima, in percent.
    pub(crate) fn sample_disk(&mut self, n: usize, used: u64, disk_bytes: u64) {
        let st = &mut self.node_stats[n];
        st.max_disk_pct = st.max_disk_pct.max(used * 100 / disk_bytes.max(1));
    }

    pub fn request_failed(&mut self, write: bool) {
        if write {
            self.commits_failed += 1;
        } else {
            self.reads_failed += 1;
        }
    }

    #[inline]
    pub fn commit_acked(&mut self, tl: u32, lsn: u64, commit_us: u64, now: SimTime, latency: SimDur) {
        self.commit_counted(now, latency);
        if self.recent_latency.len() < RECENT_CAP {
            self.recent_latency.push(latency.0);
        }
        let q = self.acked.entry(tl).or_default();
        if q.len() >= ACK_WINDOW_CAP {
            q.pop_front();
            self.window_truncated = true;
        }
        q.push((lsn, commit_us));
    }

    /// A pooled transaction's commit the app was told succeeded: counted, in the run's latency
    /// histogram, and a write the users saw; but neither in the loss window nor in this second's
    /// latencies (the pool's own samples have its per-second latency). At tens of thousands of
    /// commits a second both would be large, and every snapshot of a session holds its own copy:
    /// they took the 1,000,000-user hour to over a gigabyte. The loss check covers the
    /// `[workload]` clients' commits only.
    #[inline]
    pub fn commit_counted(&mut self, now: SimTime, latency: SimDur) {
        self.commits_acked += 1;
        self.latency.record(latency.0);
        self.write_answered(now);
    }

    /// A client saw a write succeed at `now` (a commit, or a pooled transaction): the write gap,
    /// and the end of the last failover's time without writes, as clients measure them.
    #[inline]
    pub fn write_answered(&mut self, now: SimTime) {
        self.writes_answered += 1;
        let gap = now.since(self.last_write_ack);
        if self.writes_answered > 1 && gap > self.max_write_gap {
            self.max_write_gap = gap;
        }
        self.last_write_ack = now;
        if let Some(f) = self.failovers.last_mut().filter(|f| f.first_ack_after.is_none() && now >= f.at) {
            f.first_ack_after = Some(now);
        }
    }

    /// p50 and p99 of the commit latencies since the last call, which starts a new interval.
    pub fn take_recent_latency(&mut self) -> (u64, u64) {
        let v = &mut self.recent_latency;
        if v.is_empty() {
            return (0, 0);
        }
        let at = |v: &mut Vec<u64>, q: usize| {
            let i = (v.len() - 1) * q / 100;
            *v.select_nth_unstable(i).1
        };
        let out = (at(v, 50), at(v, 99));
        v.clear();
        out
    }

    /// Forgets acknowledged commits that every intact disk already holds: they can never be lost.
    #[inline]
    pub fn prune(&mut self, nodes: &[Node]) {
        for (&tl, q) in self.acked.iter_mut() {
            let mut newest = None;
            while let Some(&(lsn, t)) = q.front() {
                if nodes.iter().filter(|n| n.disk_ok).all(|n| n.contains(tl, lsn)) {
                    q.pop_front();
                    newest = Some(t);
                } else {
                    break;
                }
            }
            if let Some(t) = newest {
                let s = self.survived_us.entry(tl).or_default();
                *s = (*s).max(t);
            }
        }
        self.acked.retain(|_, q| !q.is_empty());
    }

    /// Moves every acknowledged commit missing from `node`'s history out of the window into the
    /// loss tally, widening the RPO. Returns how many were newly lost and a one-line description.
    pub fn record_loss(&mut self, node: &Node) -> (u64, String) {
        let mut count = 0;
        let mut parts = Vec::new();
        for (&tl, q) in self.acked.iter_mut() {
            let (lost, kept): (Vec<Acked>, Vec<Acked>) = q.iter().partition(|(lsn, _)| !node.contains(tl, *lsn));
            let (Some(first), Some(last)) = (lost.iter().min(), lost.iter().max()) else { continue };
            let newest_lost = lost.iter().map(|x| x.1).max().unwrap_or(0);
            let oldest_lost = lost.iter().map(|x| x.1).min().unwrap_or(0);
            // The newest commit that survived and was made before the loss began.
            let survived = kept.iter().map(|x| x.1).filter(|&t| t <= oldest_lost).max();
            let survived = survived.into_iter().chain(self.survived_us.get(&tl).copied()).max().unwrap_or(0);
            self.rpo_us = self.rpo_us.max(newest_lost.saturating_sub(survived).max(1));
            count += lost.len() as u64;
            parts.push(format!("{} on timeline {tl} between {} and {}", lost.len(), crate::lsn::Lsn(first.0), crate::lsn::Lsn(last.0)));
            let mut fresh = ChunkLog::default();
            for x in kept {
                fresh.push(x);
            }
            *q = fresh;
        }
        self.acked.retain(|_, q| !q.is_empty());
        self.lost += count;
        (count, parts.join("; "))
    }

    /// Lost commits so far, with RPO as the widest data-loss window.
    pub fn loss(&self) -> Loss {
        Loss { commits_lost: self.lost, rpo_ms: self.rpo_us.div_ceil(1000) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn histogram_quantiles_are_close() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v * 10);
        }
        let p50 = h.quantile(0.5) as f64;
        let p99 = h.quantile(0.99) as f64;
        assert!((p50 / 50_000.0 - 1.0).abs() < 0.04, "p50 {p50}");
        assert!((p99 / 99_000.0 - 1.0).abs() < 0.04, "p99 {p99}");
        assert_eq!(Histogram::default().quantile(0.5), 0);
        let mut huge = Histogram::default();
        huge.record(u64::MAX);
        assert!(huge.quantile(0.5) >= 1 << 37, "huge values land in the top bucket");
    }
}
