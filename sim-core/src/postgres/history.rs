//! The committed history: every commit's WAL record (its table, key and operation, its xid and
//! commit time) on every timeline, kept for every lesson whether or not it has `[backup]`. PITR
//! replays it, the DROP TABLE check reads it, and a WAL consumer (a logical slot) will read it.
//! Memory stays bounded: each timeline's records are a [`ChunkLog`] whose sealed chunks every
//! snapshot shares, and without `[backup]` only the WAL the primary still keeps is kept, at most
//! [`WINDOW`] records a timeline.
use crate::chunklog::ChunkLog;
use crate::event::Fact;
use crate::lsn::{Lsn, TimelineSwitch, SEGMENT_BYTES};
use crate::time::SimTime;
use std::collections::{BTreeMap, VecDeque};

/// The most records a timeline keeps when no archive needs them all (about 10 KB). Nothing
/// reads them yet but the views (a DROP TABLE is remembered apart, in `drops`); a logical slot
/// will hold back what it has not consumed. A session keeps up to 1,024 snapshots, and at 33,000
/// commits/s they share no chunk, so each holds its own window: 32,768 records (1.3 MB each)
/// took the 1,000,000-user hour to 960 MiB.
pub const WINDOW: usize = 1 << 8;

/// A table of the world: its position in the world's catalog (`World::tables`, a
/// `sim_catalog::TableInfo` each). A cluster lesson has one table today, `accounts` ([`ACCOUNTS`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId(pub u16);

/// The table every cluster lesson's clients write.
pub const ACCOUNTS: TableId = TableId(0);

/// What one WAL record did, and to which table.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A committed write of one row (an insert of a new key, an update of an existing one); the
    /// row's value becomes the writer's xid.
    Write { table: TableId, key: u64 },
    /// `UPDATE t SET v = …` without a WHERE clause: every row now holds this xid.
    UpdateAll { table: TableId },
    /// `DROP TABLE t`: every row is gone; later writes fail.
    DropTable { table: TableId },
    /// `pg_create_restore_point(name)`: the index of the name in `History::names`.
    RestorePoint { name: u32 },
}

/// One WAL record: its end LSN, its transaction, its commit time and what it did.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub lsn: u64,
    pub xid: u64,
    pub at: SimTime,
    pub op: Op,
}

/// A timeline: where it branched from its parent, and the records written on it.
#[derive(Clone, Debug)]
pub struct Timeline {
    pub parent: Option<u32>,
    /// The first LSN of this timeline (the parent's switch point; the initial LSN for timeline 1).
    pub start: u64,
    pub switches: Vec<TimelineSwitch>,
    pub records: ChunkLog<Record>,
}

/// Every timeline's records: the simulator's own committed history, the ground truth for PITR.
#[derive(Clone, Debug)]
pub struct History {
    pub timelines: BTreeMap<u32, Timeline>,
    pub names: Vec<String>,
}

/// A table's content: row key → xid of its last writer; `dropped` after a DROP TABLE.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub dropped: bool,
    pub rows: BTreeMap<u64, u64>,
}

impl Table {
    pub fn apply(&mut self, r: &Record) {
        match r.op {
            Op::Write { key, .. } if !self.dropped => {
                self.rows.insert(key, r.xid);
            }
            Op::UpdateAll { .. } if !self.dropped => self.rows.values_mut().for_each(|v| *v = r.xid),
            Op::DropTable { .. } => {
                self.dropped = true;
                self.rows.clear();
            }
            _ => {}
        }
    }
}

impl History {
    pub fn new(start: u64) -> History {
        let tl = Timeline { parent: None, start, switches: Vec::new(), records: ChunkLog::default() };
        History { timelines: BTreeMap::from([(1, tl)]), names: Vec::new() }
    }

    pub fn latest(&self) -> u32 {
        self.timelines.keys().next_back().copied().unwrap_or(1)
    }

    /// Appends a record to timeline `tl` (ignored if the timeline does not exist).
    #[inline]
    pub fn push(&mut self, tl: u32, r: Record) {
        if let Some(t) = self.timelines.get_mut(&tl) {
            t.records.push(r);
        }
    }

    /// Adds a restore point's name, returning the record's op.
    pub fn restore_point(&mut self, name: &str) -> Op {
        self.names.push(name.to_string());
        Op::RestorePoint { name: self.names.len() as u32 - 1 }
    }

    /// Starts timeline `new` branching from `parent` at `lsn`, with `reason` in its history file.
    pub fn branch(&mut self, parent: u32, lsn: u64, new: u32, reason: String) {
        let mut switches = self.timelines.get(&parent).map(|t| t.switches.clone()).unwrap_or_default();
        switches.push(TimelineSwitch { parent, switch_lsn: Lsn(lsn), reason });
        let tl = Timeline { parent: Some(parent), start: lsn, switches, records: ChunkLog::default() };
        self.timelines.insert(new, tl);
    }

    /// The records a server on timeline `tl` has, oldest first: each ancestor's up to its switch point.
    pub fn lineage(&self, tl: u32) -> Vec<&Record> {
        let mut chain = vec![(tl, u64::MAX)];
        let mut cur = tl;
        while let Some((p, at)) = self.timelines.get(&cur).and_then(|t| Some((t.parent?, t.start))) {
            chain.push((p, at));
            cur = p;
        }
        chain.iter().rev().filter_map(|&(t, end)| self.timelines.get(&t).map(|x| (x, end))).flat_map(|(t, end)| t.records.iter().take_while(move |r| r.lsn <= end)).collect()
    }

    /// Whether a record written at `lsn` on timeline `rec_tl` is part of timeline `tl`'s history.
    pub fn reaches(&self, tl: u32, rec_tl: u32, lsn: u64) -> bool {
        ancestors(self, tl).iter().any(|&(t, end)| t == rec_tl && lsn <= end)
    }

    /// The committed state of timeline `tl` after every record up to and including `lsn`.
    pub fn table_at(&self, tl: u32, lsn: u64) -> Table {
        table_of(&self.lineage(tl), lsn)
    }
    /// The timeline whose WAL file holds segment `seg` on the way to `tl`: the newest timeline of
    /// the lineage that began before the segment ends (as PostgreSQL picks from the history).
    pub fn segment_timeline(&self, tl: u32, seg: u64) -> u32 {
        let seg_end = (seg + 1) * SEGMENT_BYTES;
        let mut cur = tl;
        while let Some(t) = self.timelines.get(&cur) {
            match t.parent {
                Some(p) if t.start >= seg_end => cur = p,
                _ => return cur,
            }
        }
        cur
    }
}

/// The committed state after every record of `recs` (a lineage, oldest first) up to and
/// including `lsn`. Folded into a dense vector by key (the workload's keys are small) and turned
/// into the table once: a restore preview over an hour of history stays a few milliseconds.
pub fn table_of(recs: &[&Record], lsn: u64) -> Table {
    const DENSE: u64 = 1 << 22;
    let recs = recs.iter().take_while(|r| r.lsn <= lsn);
    if recs.clone().any(|r| matches!(r.op, Op::Write { key, .. } if key >= DENSE)) {
        let mut t = Table::default();
        recs.for_each(|r| t.apply(r));
        return t;
    }
    // `None`: no row with this key.
    let mut rows: Vec<Option<u64>> = Vec::new();
    let mut dropped = false;
    for r in recs {
        match r.op {
            Op::Write { key, .. } if !dropped => {
                let k = key as usize;
                if rows.len() <= k {
                    rows.resize(k + 1, None);
                }
                rows[k] = Some(r.xid);
            }
            Op::UpdateAll { .. } if !dropped => rows.iter_mut().flatten().for_each(|v| *v = r.xid),
            Op::DropTable { .. } => {
                dropped = true;
                rows.clear();
            }
            _ => {}
        }
    }
    Table { dropped, rows: rows.into_iter().enumerate().filter_map(|(k, v)| Some((k as u64, v?))).collect() }
}

/// `(timeline, last LSN it holds for this lineage)` from `tl` back to timeline 1.
pub(crate) fn ancestors(history: &History, tl: u32) -> Vec<(u32, u64)> {
    let mut out = vec![(tl, u64::MAX)];
    let mut cur = tl;
    while let Some((p, at)) = history.timelines.get(&cur).and_then(|t| Some((t.parent?, t.start))) {
        out.push((p, at));
        cur = p;
    }
    out
}

/// The world's committed history as its nodes write it: each node's records wait in `unflushed`
/// until its flush makes them history (a crash loses them), and a timeline created by a
/// promotion or a restore starts its own history at its switch point.
#[derive(Clone, Debug)]
pub struct Committed {
    pub history: History,
    /// Records inserted on each node but not yet flushed there (a crash loses them).
    unflushed: Vec<VecDeque<Record>>,
    /// DROP TABLE records written: (timeline, LSN).
    drops: Vec<(u32, u64)>,
    /// Keep every record: a lesson with `[backup]`, whose restores replay the history from its
    /// oldest base backup. Otherwise a timeline keeps the WAL its primary keeps, at most `WINDOW`.
    keep_all: bool,
}

impl Committed {
    pub fn new(nodes: usize, start: u64, keep_all: bool) -> Committed {
        Committed { history: History::new(start), unflushed: vec![VecDeque::new(); nodes], drops: Vec::new(), keep_all }
    }

    /// A WAL record inserted on node `n` (timeline `tl`, flushed up to `flushed`): kept until the
    /// flush makes it history. A record at or below one already kept replaces what was unflushed
    /// (the node was rewound or restarted).
    #[inline]
    pub(crate) fn inserted(&mut self, n: u16, tl: u32, flushed: u64, r: Record) {
        let Some(q) = self.unflushed.get_mut(n as usize) else { return };
        if q.back().is_some_and(|x| x.lsn >= r.lsn) {
            q.retain(|x| x.lsn <= flushed);
        }
        q.push_back(r);
        if matches!(r.op, Op::DropTable { .. }) {
            self.drops.push((tl, r.lsn));
        }
    }

    /// Node `n` flushed up to `flush` on `tl`: its records up to there become history.
    #[inline]
    pub(crate) fn flushed(&mut self, n: u16, tl: u32, flush: u64) {
        let Some(q) = self.unflushed.get_mut(n as usize) else { return };
        let Some(t) = self.history.timelines.get_mut(&tl) else {
            q.retain(|r| r.lsn > flush);
            return;
        };
        while q.front().is_some_and(|r| r.lsn <= flush) {
            if let Some(r) = q.pop_front() {
                t.records.push(r);
            }
        }
        if !self.keep_all {
            while t.records.len() > WINDOW {
                t.records.pop_front();
            }
        }
    }

    /// The primary of `tl` removed its WAL before `keep` (a checkpoint): without an archive that
    /// needs them, the records there go too.
    pub(crate) fn wal_removed(&mut self, tl: u32, keep: u64) {
        if self.keep_all {
            return;
        }
        if let Some(t) = self.history.timelines.get_mut(&tl) {
            while t.records.front().is_some_and(|r| r.lsn < keep) {
                t.records.pop_front();
            }
        }
    }

    /// Whether a node's history (at `insert_lsn` on timeline `tl`) includes a DROP TABLE.
    #[inline]
    pub(crate) fn dropped(&self, tl: u32, insert_lsn: u64) -> bool {
        self.drops.iter().any(|&(dtl, lsn)| lsn <= insert_lsn && self.history.reaches(tl, dtl, lsn))
    }

    /// The facts the history follows: a flush makes records history, a promotion branches a timeline.
    #[inline]
    pub(crate) fn on_fact(&mut self, f: &Fact) {
        match *f {
            Fact::Flushed { n, tl, flush, .. } => self.flushed(n, tl, flush),
            Fact::Promoted { parent, tl, switch, .. } => self.branch(parent, switch, tl, "no recovery target specified".into()),
            Fact::BackendDown { .. } | Fact::Second => {}
        }
    }

    /// A timeline created by promotion or restore starts its own history at the switch point.
    pub(crate) fn branch(&mut self, parent: u32, switch: u64, tl: u32, reason: String) {
        self.history.branch(parent, switch, tl, reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(lsn: u64) -> Record {
        Record { lsn, xid: lsn, at: SimTime::ZERO, op: Op::Write { table: ACCOUNTS, key: lsn % 7 } }
    }

    /// A record becomes history only when its node flushes it; a crash (a lower LSN inserted
    /// again) drops what was never flushed.
    #[test]
    fn a_record_is_history_once_flushed() {
        let mut c = Committed::new(2, 100, false);
        for lsn in [110, 120, 130] {
            c.inserted(0, 1, 100, rec(lsn));
        }
        c.flushed(0, 1, 120);
        let lsns = |c: &Committed| c.history.lineage(1).iter().map(|r| r.lsn).collect::<Vec<_>>();
        assert_eq!(lsns(&c), [110, 120]);
        // The node restarted at its flush point (120): 130 was lost and 130 is written again.
        c.inserted(0, 1, 120, rec(125));
        c.flushed(0, 1, 200);
        assert_eq!(lsns(&c), [110, 120, 125]);
    }

    /// Without an archive, a timeline keeps at most `WINDOW` records and none before the WAL its
    /// primary still keeps; with one (`keep_all`), every record.
    #[test]
    fn memory_is_bounded_unless_an_archive_needs_everything() {
        let n = WINDOW as u64 + 1000;
        for keep_all in [false, true] {
            let mut c = Committed::new(1, 0, keep_all);
            for lsn in 1..=n {
                c.inserted(0, 1, lsn - 1, rec(lsn));
                c.flushed(0, 1, lsn);
            }
            let recs = &c.history.timelines[&1].records;
            assert_eq!(recs.len() as u64, if keep_all { n } else { WINDOW as u64 });
            assert_eq!(recs.last().map(|r| r.lsn), Some(n), "the newest record is always kept");
            c.wal_removed(1, n - 10);
            let kept = c.history.timelines[&1].records.len() as u64;
            assert_eq!(kept, if keep_all { n } else { 11 });
        }
    }

    /// A DROP TABLE is seen by the timelines whose history includes it, and only by them.
    #[test]
    fn a_drop_reaches_its_descendants_only() {
        let mut c = Committed::new(1, 0, false);
        c.inserted(0, 1, 0, Record { lsn: 50, xid: 9, at: SimTime::ZERO, op: Op::DropTable { table: ACCOUNTS } });
        c.flushed(0, 1, 50);
        c.branch(1, 40, 2, "before the drop".into());
        c.branch(1, 60, 3, "after the drop".into());
        assert!(c.dropped(1, 60));
        assert!(!c.dropped(1, 49), "not yet at the drop's LSN");
        assert!(!c.dropped(2, 100), "timeline 2 branched before the drop");
        assert!(c.dropped(3, 100));
    }
}
