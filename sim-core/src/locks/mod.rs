//! PostgreSQL's table-level lock manager: the eight lock modes and their conflicts (`mode.rs`),
//! and one FIFO wait queue per table on each server, granted as `lock.c` grants them.
//!
//! - A request is granted at once only if its mode conflicts neither with a lock held by another
//!   transaction nor with any request already waiting (`lock.c`: `conflictTab[mode] & waitMask`).
//!   So an ACCESS EXCLUSIVE request waiting behind a long SELECT makes every later SELECT wait
//!   too, though the SELECT holding the table would let them share it: the lock-queue pile-up.
//! - Locks are held until their transaction ends (`release`).
//! - When a lock goes, the queue is walked in order (`ProcLockWakeup`): a waiter is granted if its
//!   mode conflicts neither with the locks held nor with a waiter ahead of it still waiting.
//!
//! The table holds owners (`O`, who holds or waits) and what each waiting request carries (`J`,
//! handed back when it is granted), so it names no request path: the world's request pipeline
//! uses it as its lock stage. Simplified: one lock per owner at a time (a client's statement, a
//! DDL session's table), no row locks, no deadlock detection (no lesson can build a cycle).
pub mod mode;

use crate::time::SimTime;
pub use mode::LockMode;
use std::collections::VecDeque;

/// A lock held, or a request waiting, on one table of one server.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Entry<O, J> {
    pub owner: O,
    pub mode: LockMode,
    /// When it was granted, or when it began to wait.
    pub since: SimTime,
    pub job: J,
}

/// Locks or requests, in order.
pub type Entries<O, J> = Vec<Entry<O, J>>;

/// One table's lock on one server: the locks granted, how many in each mode, and the wait queue.
#[derive(Clone, Debug)]
struct Queue<O, J> {
    granted: Vec<Entry<O, J>>,
    count: [u32; 8],
    waiting: VecDeque<Entry<O, J>>,
    /// How many requests wait in each mode.
    wcount: [u32; 8],
}

impl<O, J> Default for Queue<O, J> {
    fn default() -> Self {
        Queue { granted: Vec::new(), count: [0; 8], waiting: VecDeque::new(), wcount: [0; 8] }
    }
}

impl<O: Copy + Eq, J: Copy> Queue<O, J> {
    /// The modes held, as a bit set.
    #[inline]
    fn held_mask(&self) -> u8 {
        mask(&self.count)
    }

    #[inline]
    fn wait_mask(&self) -> u8 {
        mask(&self.wcount)
    }

    fn enqueue(&mut self, e: Entry<O, J>) {
        self.wcount[e.mode as usize] += 1;
        self.waiting.push_back(e);
    }

    fn dequeue(&mut self, i: usize) -> Entry<O, J> {
        let e = self.waiting.remove(i).expect("a waiter at i");
        self.wcount[e.mode as usize] -= 1;
        e
    }

    /// Grants `e`; whether it conflicted with a lock another owner holds (never, if the queue
    /// is right: the world counts it as a broken invariant).
    fn grant(&mut self, e: Entry<O, J>) -> bool {
        let conflict = self.granted.iter().any(|g| g.owner != e.owner && g.mode.conflicts_with(e.mode));
        self.count[e.mode as usize] += 1;
        self.granted.push(e);
        conflict
    }

    /// Removes `owner`'s lock or request; whether it had one.
    fn remove(&mut self, owner: O) -> bool {
        if let Some(i) = self.granted.iter().position(|e| e.owner == owner) {
            // `remove`, not `swap_remove`: the holders stay in the order they were granted.
            let e = self.granted.remove(i);
            self.count[e.mode as usize] -= 1;
            return true;
        }
        match self.waiting.iter().position(|e| e.owner == owner) {
            Some(i) => {
                self.dequeue(i);
                true
            }
            None => false,
        }
    }

    /// `ProcLockWakeup`: grants, in queue order, each waiter that conflicts neither with the
    /// locks held nor with a waiter ahead of it; appends their jobs to `out`.
    fn wake(&mut self, now: SimTime, out: &mut Vec<J>, conflicts: &mut u64) {
        let mut ahead = 0u8;
        let mut i = 0;
        while i < self.waiting.len() {
            let w = self.waiting[i];
            if w.mode.conflicts() & (self.held_mask() | ahead) != 0 {
                ahead |= w.mode.bit();
                i += 1;
                continue;
            }
            self.dequeue(i);
            out.push(w.job);
            *conflicts += u64::from(self.grant(Entry { since: now, ..w }));
        }
    }
}

/// The modes with a non-zero count, as a bit set.
#[inline]
fn mask(count: &[u32; 8]) -> u8 {
    count.iter().enumerate().fold(0, |m, (i, &c)| if c > 0 { m | 1 << i } else { m })
}

/// The lock manager of every server: `[server][table]`.
#[derive(Clone, Debug)]
pub struct LockTable<O, J> {
    servers: Vec<Vec<Queue<O, J>>>,
    tables: usize,
    /// Requests that had to wait, and the longest queue seen on any table.
    pub waits: u64,
    pub max_waiting: u32,
    /// Locks granted while another owner held a conflicting one: the queue's invariant, which
    /// must stay 0 (the migration sweep checks it).
    pub conflicting_grants: u64,
}

impl<O: Copy + Eq, J: Copy> LockTable<O, J> {
    pub fn new(servers: usize, tables: usize) -> Self {
        LockTable { servers: (0..servers).map(|_| (0..tables).map(|_| Queue::default()).collect()).collect(), tables, waits: 0, max_waiting: 0, conflicting_grants: 0 }
    }

    pub fn tables(&self) -> usize {
        self.tables
    }

    /// `owner` asks for `mode` on `table` of server `n`: granted now (true), or queued with
    /// `job` until a release grants it.
    #[inline]
    pub fn acquire(&mut self, n: u16, table: u16, mode: LockMode, owner: O, job: J, now: SimTime) -> bool {
        let Some(q) = self.servers.get_mut(n as usize).and_then(|s| s.get_mut(table as usize)) else { return true };
        let e = Entry { owner, mode, since: now, job };
        if mode.conflicts() & (q.wait_mask() | q.held_mask()) == 0 {
            self.conflicting_grants += u64::from(q.grant(e));
            return true;
        }
        q.enqueue(e);
        self.waits += 1;
        self.max_waiting = self.max_waiting.max(q.waiting.len() as u32);
        false
    }

    /// `owner`'s transaction ended on server `n` (or its waiting statement was cancelled): its
    /// lock or request goes, and the jobs of the requests now granted come back in grant order.
    #[inline]
    pub fn release(&mut self, n: u16, owner: O, now: SimTime) -> Vec<J> {
        let mut out = Vec::new();
        let Some(server) = self.servers.get_mut(n as usize) else { return out };
        for q in server.iter_mut() {
            if q.remove(owner) {
                q.wake(now, &mut out, &mut self.conflicting_grants);
                break;
            }
        }
        out
    }

    /// `owner`'s waiting request on server `n` is cancelled (its client gave up and the driver
    /// sent a cancel): it leaves the queue, and the requests it held back that can go now come
    /// back. A lock already granted stays until its transaction ends.
    pub fn withdraw(&mut self, n: u16, owner: O, now: SimTime) -> Vec<J> {
        let mut out = Vec::new();
        let Some(server) = self.servers.get_mut(n as usize) else { return out };
        for q in server.iter_mut() {
            if let Some(i) = q.waiting.iter().position(|e| e.owner == owner) {
                q.dequeue(i);
                q.wake(now, &mut out, &mut self.conflicting_grants);
                break;
            }
        }
        out
    }

    /// Server `n` went down: its locks and requests are gone with its backends.
    pub fn clear(&mut self, n: u16) {
        if let Some(server) = self.servers.get_mut(n as usize) {
            server.iter_mut().for_each(|q| *q = Queue::default());
        }
    }

    /// Table `table` of server `n`: the locks granted (in the order they were granted), then the
    /// wait queue in order.
    pub fn queue(&self, n: u16, table: u16) -> (Entries<O, J>, Entries<O, J>) {
        let Some(q) = self.servers.get(n as usize).and_then(|s| s.get(table as usize)) else { return (Vec::new(), Vec::new()) };
        (q.granted.clone(), q.waiting.iter().copied().collect())
    }

    /// How many requests wait on server `n`, on every table.
    pub fn waiting(&self, n: u16) -> usize {
        self.servers.get(n as usize).map_or(0, |s| s.iter().map(|q| q.waiting.len()).sum())
    }

    /// Whether `owner` holds a lock on server `n` (false while it waits).
    pub fn holds(&self, n: u16, owner: O) -> bool {
        self.servers.get(n as usize).is_some_and(|s| s.iter().any(|q| q.granted.iter().any(|e| e.owner == owner)))
    }

    /// `pg_blocking_pids`: the owners `owner`'s waiting request on server `n` waits for: holders
    /// of a conflicting lock, then the conflicting requests ahead of it in the queue.
    pub fn blocking(&self, n: u16, owner: O) -> Vec<O> {
        let Some(server) = self.servers.get(n as usize) else { return Vec::new() };
        for q in server {
            let Some(i) = q.waiting.iter().position(|e| e.owner == owner) else { continue };
            let mode = q.waiting[i].mode;
            let held = q.granted.iter().filter(|e| mode.conflicts_with(e.mode)).map(|e| e.owner);
            let ahead = q.waiting.iter().take(i).filter(|e| mode.conflicts_with(e.mode)).map(|e| e.owner);
            return held.chain(ahead).collect();
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LockMode::*;

    fn t(ms: u64) -> SimTime {
        SimTime(ms * 1000)
    }

    #[test]
    fn shared_modes_share_and_a_conflict_waits() {
        let mut l: LockTable<u32, u32> = LockTable::new(1, 1);
        assert!(l.acquire(0, 0, AccessShare, 1, 1, t(0)));
        assert!(l.acquire(0, 0, RowExclusive, 2, 2, t(0)), "INSERT beside SELECT");
        assert!(!l.acquire(0, 0, Share, 3, 3, t(1)), "CREATE INDEX waits for the INSERT");
        assert_eq!(l.blocking(0, 3), vec![2]);
        assert!(l.release(0, 1, t(2)).is_empty(), "the SELECT's end does not free it");
        assert_eq!(l.release(0, 2, t(3)), vec![3], "the INSERT's does");
        assert!(l.holds(0, 3));
    }

    /// The pile-up: ALTER TABLE waits behind a long SELECT, and every later SELECT waits behind
    /// the ALTER, though it would share the table with the SELECT holding it.
    #[test]
    fn a_waiting_request_blocks_every_later_conflicting_one() {
        let mut l: LockTable<u32, u32> = LockTable::new(1, 1);
        assert!(l.acquire(0, 0, AccessShare, 1, 1, t(0)));
        assert!(!l.acquire(0, 0, AccessExclusive, 2, 2, t(1)));
        for s in 3..10 {
            assert!(!l.acquire(0, 0, AccessShare, s, s, t(2)), "SELECT {s} queues behind the ALTER");
        }
        assert_eq!(l.blocking(0, 5), vec![2], "pg_blocking_pids names the ALTER it queues behind");
        assert_eq!(l.blocking(0, 2), vec![1]);
        assert_eq!((l.waiting(0), l.max_waiting, l.waits), (8, 8, 8));
        assert_eq!(l.release(0, 1, t(60_000)), vec![2], "the SELECT ends: the ALTER alone");
        assert_eq!(l.release(0, 2, t(60_001)), (3..10).collect::<Vec<_>>(), "then every SELECT, in order");
        let (granted, waiting) = l.queue(0, 0);
        assert_eq!((granted.len(), waiting.len()), (7, 0));
    }

    /// A cancelled waiter (lock_timeout) leaves the queue, and the requests it held back go.
    #[test]
    fn a_cancelled_waiter_lets_the_queue_behind_it_go() {
        let mut l: LockTable<u32, u32> = LockTable::new(1, 1);
        l.acquire(0, 0, AccessShare, 1, 1, t(0));
        l.acquire(0, 0, AccessExclusive, 2, 2, t(1));
        l.acquire(0, 0, RowExclusive, 3, 3, t(2));
        l.acquire(0, 0, AccessShare, 4, 4, t(3));
        assert!(l.withdraw(0, 1, t(4)).is_empty(), "a granted lock is not withdrawn");
        assert_eq!(l.withdraw(0, 2, t(4)), vec![3, 4], "lock_timeout cancels the ALTER");
        assert_eq!(l.waiting(0), 0);
    }

    /// The walk grants in order and skips a waiter that conflicts with one still ahead of it.
    #[test]
    fn the_wakeup_keeps_fifo_order_across_modes() {
        let mut l: LockTable<u32, u32> = LockTable::new(1, 1);
        l.acquire(0, 0, AccessExclusive, 1, 1, t(0));
        l.acquire(0, 0, AccessShare, 2, 2, t(1));
        l.acquire(0, 0, Share, 3, 3, t(2));
        l.acquire(0, 0, RowExclusive, 4, 4, t(3));
        l.acquire(0, 0, AccessShare, 5, 5, t(4));
        // Share and RowExclusive conflict: the INSERT waits for the CREATE INDEX ahead of it,
        // and the SELECT after it goes with the first two.
        assert_eq!(l.release(0, 1, t(5)), vec![2, 3, 5]);
        assert_eq!(l.blocking(0, 4), vec![3]);
        assert_eq!(l.release(0, 3, t(6)), vec![4]);
    }

    #[test]
    fn servers_and_tables_are_apart_and_a_crash_clears_a_server() {
        let mut l: LockTable<u32, u32> = LockTable::new(2, 2);
        assert!(l.acquire(0, 0, AccessExclusive, 1, 1, t(0)));
        assert!(l.acquire(0, 1, AccessExclusive, 2, 2, t(0)), "another table");
        assert!(l.acquire(1, 0, AccessExclusive, 3, 3, t(0)), "another server");
        assert!(!l.acquire(0, 0, AccessShare, 4, 4, t(0)));
        l.clear(0);
        assert_eq!(l.waiting(0), 0);
        assert!(!l.holds(0, 1) && l.holds(1, 3));
        assert!(l.acquire(0, 0, AccessShare, 5, 5, t(1)));
        assert!(l.acquire(9, 0, AccessShare, 6, 6, t(1)), "no such server: nothing to wait for");
    }
}
