//! Periodic housekeeping: per-second samples, checkpoints, slot consumers, and end-of-run accounting.
use crate::invariants::Prop;
use crate::metrics::{SamplePoint, SERIES_CAP};
use crate::time::SimDur;
use crate::world::NoteKind;
use crate::world::{Ev, World};

const BLOCKED_AFTER: SimDur = SimDur::secs(5);

impl World {
    #[inline(never)]
    pub(crate) fn on_sample(&mut self) -> u64 {
        self.after(SimDur::secs(1), Ev::Sample);
        let (lag, lag_ms) = self.c.metrics.sample_lag(&self.c.nodes);
        self.sample_disks();
        self.c.metrics.prune(&self.c.nodes);
        self.check_blocked();
        self.broadcast(crate::event::Fact::Second);
        self.announce_restores();
        if self.c.metrics.series.len() < SERIES_CAP {
            let (p50_us, p99_us) = self.c.metrics.take_recent_latency();
            let m = &self.c.metrics;
            let p = SamplePoint { t_ms: self.now.as_ms(), commits_acked: m.commits_acked, commits_failed: m.commits_failed, lag_bytes: lag, lag_ms, p50_us, p99_us, commits_lost: m.lost };
            self.c.metrics.series.push(p);
        }
        self.c.metrics.commits_acked
    }

    fn sample_disks(&mut self) {
        for n in 0..self.c.nodes.len() {
            let node = &mut self.c.nodes[n];
            let used = node.data_bytes + node.wal_retained(&self.c.slots, n as u16);
            self.c.metrics.sample_disk(n, used, node.disk_bytes);
            // Space freed (a slot dropped, WAL recycled): the disk takes writes again.
            if node.disk_full && used < node.disk_bytes {
                node.disk_full = false;
            }
        }
    }

    fn check_blocked(&mut self) {
        let oldest = self.c.nodes.iter().filter_map(|n| n.pending.front()).map(|p| p.commit_us).min();
        if let Some(t) = oldest {
            if self.now.0.saturating_sub(t) >= BLOCKED_AFTER.0 {
                self.c.props.observe(Prop::WritesBlocked, self.now, "commits are waiting for a synchronous standby".into());
            }
        }
    }

    #[inline(never)]
    pub(crate) fn on_checkpoint(&mut self, n: u16) -> u64 {
        self.after(SimDur::secs(30), Ev::Checkpoint { n });
        let (timeout, max_wal) = (self.c.pgc.checkpoint_timeout.0, self.c.pgc.max_wal_size_mb * 1_048_576);
        let redo = self.c.nodes[n as usize].checkpoint(self.now, timeout, max_wal);
        if redo != 0 {
            // The WAL before what the primary still keeps is removed, and its records with it.
            let node = &self.c.nodes[n as usize];
            let keep = node.insert_lsn - node.wal_retained(&self.c.slots, n);
            self.c.committed.wal_removed(node.tl, keep);
        }
        redo
    }

    /// A logical consumer (for example Debezium) confirming what it has read; a stopped one confirms nothing.
    #[inline(never)]
    pub(crate) fn on_slot_tick(&mut self, i: u16) -> u64 {
        let every = self.c.slots[i as usize].confirm_every;
        self.after(every, Ev::SlotTick { slot: i });
        let keep = self.c.pgc.max_slot_wal_keep_size_mb;
        let slot = &mut self.c.slots[i as usize];
        let n = slot.node;
        if slot.confirm(&self.c.nodes[n as usize], keep) {
            let text = format!("slot {} invalidated: it retained more than max_slot_wal_keep_size ({keep} MB); wal_status = lost", slot.name);
            self.note(Some(n), NoteKind::Slot, text);
        }
        self.c.slots[i as usize].restart_lsn
    }

    /// The node whose history is the truth at the end: the leader, else the most advanced intact node.
    pub(crate) fn reference_node(&self) -> Option<u16> {
        if let Some(l) = self.c.dcs.holder(self.now).or(self.c.dcs.last_leader).filter(|&l| self.c.nodes[l as usize].disk_ok) {
            return Some(l);
        }
        (0..self.c.nodes.len() as u16).filter(|&n| self.c.nodes[n as usize].disk_ok).max_by_key(|&n| {
            let o = &self.c.nodes[n as usize];
            (o.tl, o.wal_position())
        })
    }

    /// Settles loss accounting at the end of the run.
    pub(crate) fn finish(&mut self) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        for k in 0..self.scopes() as u16 {
            self.enter(k);
            self.finish_cluster();
        }
        self.enter(0);
        self.finish_router();
    }

    /// The end-of-run accounting of the current scope's cluster.
    fn finish_cluster(&mut self) {
        if let Some(r) = self.reference_node() {
            // A primary still running at the end keeps the WAL in its buffers (with
            // synchronous_commit = off, acknowledged before the flush): only a crash loses it.
            let mut node = self.c.nodes[r as usize].clone();
            if node.is_running() && node.role == crate::postgres::Role::Primary {
                node.flush_lsn = node.flush_lsn.max(node.insert_lsn);
            }
            let (count, detail) = self.c.metrics.record_loss(&node);
            if count > 0 {
                let text = format!("{count} acknowledged commits are not in {}'s history: {detail}", self.name(r));
                self.c.props.violate(Prop::NoAckedCommitLost, self.now, text);
            }
        }
    }
}
