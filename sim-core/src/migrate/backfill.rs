//! The backfill job: `UPDATE accounts SET new = old WHERE id BETWEEN …` one batch per
//! transaction with a pause between them (what strong_migrations, pgroll and reshape do), or all
//! rows in a single transaction (to show why not). Each batch takes ROW EXCLUSIVE on the table,
//! does its rows' work, writes their WAL (which the standbys must replay) and commits.
//!
//! A single-transaction backfill holds its row locks to the end: a client's write of a row it
//! has already updated waits for its commit (`holds_row`). Batches hold theirs for milliseconds,
//! which the model leaves out, and so are pooled transactions' waits. Rows are updated in `id`
//! order.
use super::{Act, Migration, State, What};
use crate::event::{Origin, Sched};
use crate::pipeline::Job;
use crate::time::{SimDur, SimTime};

/// Updating one row by primary key: the heap update, its index entries and its WAL record.
pub const ROW_UPDATE: SimDur = SimDur(10);
/// The WAL an updated row writes beyond its own bytes (record and heap-update headers).
pub const ROW_WAL_OVERHEAD: u64 = 70;
/// The rows a single-transaction backfill does between looks at the clock (its WAL streams out
/// as it goes).
pub const SINGLE_CHUNK: u64 = 100_000;
/// The most rows in a batch.
pub const MAX_BATCH: u64 = 10_000_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Backfill {
    pub column: String,
    pub from: String,
    /// Rows a transaction (0: all in one).
    pub batch: u64,
    pub pause: SimDur,
    pub total: u64,
    pub done: u64,
    pub batches: u64,
    pub started: SimTime,
    pub ended: Option<SimTime>,
    pub wal_bytes: u64,
    pub row_bytes: u64,
    /// The rows being updated now (those of the running transaction), for an application write.
    pub(super) in_flight: u64,
    /// Application writes that wait for a row it holds: (node, job), resumed at its commit.
    row_waiters: Vec<(u16, Job)>,
    pub row_lock_waits: u64,
    pub error: Option<String>,
}

impl Backfill {
    /// The rows of the transaction running now that it holds locks on: all it has done in a
    /// single transaction; none between batches.
    pub fn single(&self) -> bool {
        self.batch == 0
    }

    /// The application writes that waited for its rows, to resume.
    pub(super) fn take_waiters(&mut self) -> impl Iterator<Item = Act> {
        std::mem::take(&mut self.row_waiters).into_iter().map(|(n, job)| Act::Resume { n, job })
    }

    pub fn rows_per_s(&self, now: SimTime) -> f64 {
        let end = self.ended.unwrap_or(now);
        let s = end.since(self.started).0 as f64 / 1e6;
        if s > 0.0 {
            self.done as f64 / s
        } else {
            0.0
        }
    }
}

impl Migration {
    /// `backfill`: copies `from` into `column` over every row of `accounts`, `batch` rows a
    /// transaction (0: one transaction) with `pause` between them.
    pub(crate) fn start_backfill(&mut self, column: &str, from: &str, batch: u64, pause: SimDur, n: u16, sched: &mut Sched) -> Result<Vec<Act>, String> {
        if self.backfill.as_ref().is_some_and(|b| b.ended.is_none()) {
            return Err("a backfill is already running".into());
        }
        let total = self.schema.tables[0].rows;
        let s = self.open(n, 0, crate::locks::LockMode::RowExclusive, What::Backfill, sched.now)?;
        self.backfill = Some(Backfill {
            column: column.into(),
            from: from.into(),
            batch,
            pause,
            total,
            done: 0,
            batches: 0,
            started: sched.now,
            ended: None,
            wal_bytes: 0,
            row_bytes: self.row_bytes,
            in_flight: 0,
            row_waiters: Vec::new(),
            row_lock_waits: 0,
            error: None,
        });
        let mut acts = Vec::new();
        self.submit(s, sched, &mut acts);
        Ok(acts)
    }

    /// The backfill's transaction has its lock: the columns are checked, then its rows' work.
    pub(super) fn backfill_granted(&mut self, i: usize, sched: &mut Sched, acts: &mut Vec<Act>) {
        let table = &self.schema.tables[0];
        let Some(b) = self.backfill.as_mut() else { return };
        let missing = [&b.column, &b.from].into_iter().find(|c| !table.columns.iter().any(|x| &&x.name == c)).cloned();
        if let Some(c) = missing {
            let ses = &mut self.sessions[i];
            ses.state = State::Gone;
            acts.push(Act::Release { n: ses.node, origin: ses.origin(i) });
            let e = format!("column \"{c}\" does not exist (SQLSTATE 42703)");
            self.news.push((Some(ses.node), format!("backfill: ERROR:  {e}")));
            b.error = Some(e);
            b.ended = Some(sched.now);
            return;
        }
        self.backfill_next(i, sched);
    }

    /// The next piece of the backfill's work under its lock.
    fn backfill_next(&mut self, i: usize, sched: &mut Sched) {
        let Some(b) = self.backfill.as_mut() else { return };
        let piece = if b.single() { SINGLE_CHUNK } else { b.batch };
        let rows = piece.min(b.total - b.done);
        b.in_flight = rows;
        let ses = &self.sessions[i];
        sched.after(SimDur(rows.saturating_mul(ROW_UPDATE.0)).max(SimDur(1)), super::MigEv::PhaseDone { s: i as u32, gen: ses.gen }.into());
    }

    /// A piece of the backfill's rows is done: its WAL, then the commit (a batch, or the last
    /// piece of a single transaction) or the next piece.
    pub(super) fn backfill_piece_done(&mut self, i: usize, sched: &mut Sched, acts: &mut Vec<Act>) {
        let now = sched.now;
        let Some(b) = self.backfill.as_mut() else { return };
        let ses = &mut self.sessions[i];
        let bytes = b.in_flight * (b.row_bytes + ROW_WAL_OVERHEAD);
        acts.push(Act::Wal { n: ses.node, bytes });
        b.wal_bytes += bytes;
        b.done += b.in_flight;
        self.counts.backfill_rows += b.in_flight;
        b.in_flight = 0;
        let finished = b.done >= b.total;
        if b.single() && !finished {
            self.backfill_next(i, sched);
            return;
        }
        // The transaction commits: its locks go, and the writes that waited for its rows go on.
        b.batches += 1;
        acts.push(Act::Release { n: ses.node, origin: ses.origin(i) });
        acts.extend(b.take_waiters());
        if finished {
            ses.state = State::Gone;
            b.ended = Some(now);
            if let Some(c) = self.schema.tables[0].columns.iter_mut().find(|c| c.name == b.column) {
                c.nulls = false;
            }
            let line = format!(
                "backfill of {} from {}: {} rows in {} transaction(s), {:.0} rows/s, {:.1} MB of WAL",
                b.column,
                b.from,
                crate::view::number(b.done as f64),
                b.batches,
                b.rows_per_s(now),
                b.wal_bytes as f64 / 1e6
            );
            self.news.push((Some(ses.node), line));
            return;
        }
        ses.state = State::Idle;
        ses.state_change = now;
        sched.after(b.pause.max(SimDur(1)), super::MigEv::Retry { s: i as u32, gen: ses.gen }.into());
    }

    /// `origin`'s write that waits for a row lock is cancelled (its client gave up).
    pub(crate) fn withdraw_row_wait(&mut self, origin: Origin) {
        if let Some(b) = self.backfill.as_mut() {
            b.row_waiters.retain(|(_, j)| j.origin != origin);
        }
    }

    /// Whether an application write of `job` (holding its table lock on node `n`) must wait for
    /// a row lock of a single-transaction backfill; if so, the backfill keeps it until it commits.
    pub(crate) fn holds_row(&mut self, n: u16, job: &Job) -> bool {
        let Some(b) = self.backfill.as_mut().filter(|b| b.single() && b.ended.is_none() && b.done > 0) else { return false };
        // A client's write of `key`. (A pooled transaction has already handed its CPU burst back
        // to the pool when it gets here, so it is not held back: a simplification the docs name.)
        let (crate::pipeline::Work::Write { key }, Origin::Client { .. }) = (job.work, job.origin) else { return false };
        let row = if (1..=b.total).contains(&key) { key } else { crate::rng::mix64(key) % b.total.max(1) + 1 };
        if row > b.done {
            return false;
        }
        b.row_lock_waits += 1;
        self.counts.row_lock_waits += 1;
        b.row_waiters.push((n, *job));
        true
    }
}
