//! The bounded event queue, ordered by `(time, seq)` so equal times pop in insertion order.
use crate::time::SimTime;
use std::collections::VecDeque;

/// An event waiting in a radix bucket: its time, and the slot where it waits in the queue's slab,
/// so the structure moves 16-byte entries however large the events are.
#[derive(Clone, Copy, Debug)]
struct Entry {
    t: u64,
    slot: u32,
}

/// A late entry (a command): after every ordinary event at its time, in insertion order.
#[derive(Clone, Copy, Debug)]
struct Late {
    t: u64,
    seq: u64,
    slot: u32,
}

/// Radix buckets above the "now" bucket: bucket `b` holds the times whose highest bit differing
/// from the last time popped is bit `b - 1`.
const BUCKETS: usize = 65;

#[inline]
fn bucket(t: u64, last: u64) -> usize {
    (64 - (t ^ last).leading_zeros()) as usize
}

/// A min-queue of events with a hard capacity.
///
/// Ordinary events form a radix heap on time alone: the simulation never schedules before the
/// present, so every time pushed is at or above the last time popped, which is all a radix heap
/// needs; its push is O(1) and its pop moves each entry down a bucket at a time, never comparing
/// entries across the whole queue. Events due at the last time popped wait in a FIFO, and every
/// move keeps entries in the order they came, so equal times pop in insertion (`seq`) order
/// without a sequence number in the key. The few "late" entries (commands, ordered after
/// everything else at their time) would break that rule and wait in a small sorted list beside it.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    /// Slots of the events due at `last`, in the order they came.
    now: VecDeque<u32>,
    /// `buckets[0]` is unused (its events are in `now`).
    buckets: Vec<Vec<Entry>>,
    /// The last time popped from the radix heap.
    last: u64,
    /// The lowest non-empty bucket is at or above this.
    low: usize,
    /// Late entries, sorted with the smallest last.
    late: Vec<Late>,
    /// The pending events by slot; a popped event's slot is reused.
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    len: usize,
    seq: u64,
    cap: usize,
    /// The radix heap's smallest time and its bucket, once found and until it moves.
    min: std::cell::Cell<Option<(usize, u64)>>,
}

/// The queue was full: the run is stopped with this error instead of growing without bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueFull(pub usize);

impl<E> EventQueue<E> {
    pub fn new(cap: usize) -> Self {
        let cap = cap.min(u32::MAX as usize);
        EventQueue {
            now: VecDeque::new(),
            buckets: vec![Vec::new(); BUCKETS],
            last: 0,
            low: BUCKETS,
            late: Vec::new(),
            slab: Vec::new(),
            free: Vec::new(),
            len: 0,
            seq: 0,
            cap,
            min: std::cell::Cell::new(None),
        }
    }
    pub fn push(&mut self, at: SimTime, ev: E) -> Result<(), QueueFull> {
        let slot = self.store(ev)?;
        if at.0 <= self.last {
            // Due now. One scheduled before the last time popped is taken as due at it and pops
            // next, as it would in any queue ordered by time.
            if at.0 < self.last {
                self.now.push_front(slot);
            } else {
                self.now.push_back(slot);
            }
            return Ok(());
        }
        let b = bucket(at.0, self.last);
        self.buckets[b].push(Entry { t: at.0, slot });
        self.low = self.low.min(b);
        if let Some((_, m)) = self.min.get() {
            if at.0 < m {
                self.min.set(Some((b, at.0)));
            }
        }
        Ok(())
    }

    /// Like `push`, but after every ordinary event at the same time: a command given at `t`
    /// acts after everything else due at `t`, however early it was scheduled.
    pub fn push_late(&mut self, at: SimTime, ev: E) -> Result<(), QueueFull> {
        let slot = self.store(ev)?;
        let item = Late { t: at.0, seq: self.seq, slot };
        let i = self.late.partition_point(|x| (x.t, x.seq) > (item.t, item.seq));
        self.late.insert(i, item);
        Ok(())
    }

    /// Puts an event in the slab (counting it), or refuses it when the queue is full.
    #[inline]
    fn store(&mut self, ev: E) -> Result<u32, QueueFull> {
        if self.len >= self.cap {
            return Err(QueueFull(self.cap));
        }
        self.seq += 1;
        self.len += 1;
        Ok(match self.free.pop() {
            Some(i) => {
                self.slab[i as usize] = Some(ev);
                i
            }
            None => {
                self.slab.push(Some(ev));
                self.slab.len() as u32 - 1
            }
        })
    }

    /// The radix heap's smallest time (and its bucket, 0 for `now`).
    #[inline]
    fn radix_min(&self) -> Option<(usize, u64)> {
        if !self.now.is_empty() {
            return Some((0, self.last));
        }
        if let Some(m) = self.min.get() {
            return Some(m);
        }
        let m = self.find_min();
        self.min.set(m);
        m
    }

    fn find_min(&self) -> Option<(usize, u64)> {
        let b = (self.low..BUCKETS).find(|&b| !self.buckets[b].is_empty())?;
        Some((b, self.buckets[b].iter().map(|e| e.t).min()?))
    }

    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        let r = self.radix_min().map(|x| x.1);
        let l = self.late.last().map(|x| x.t);
        match (r, l) {
            // At equal times the ordinary events go first.
            (Some(r), Some(l)) => Some(SimTime(r.min(l))),
            (r, l) => r.or(l).map(SimTime),
        }
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let r = self.radix_min();
        let late_first = match (r, self.late.last()) {
            (Some((_, rt)), Some(l)) => l.t < rt,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        let (t, slot) = if late_first {
            let l = self.late.pop()?;
            (l.t, l.slot)
        } else {
            let (b, m) = r?;
            if b > 0 {
                // The new last time: move its bucket's entries below it, in the order they
                // came (every bucket below `b` is empty): those due at `m` into `now`.
                self.min.set(None);
                self.last = m;
                let mut low = BUCKETS;
                let mut rest = std::mem::take(&mut self.buckets[b]);
                for e in &rest {
                    if e.t == m {
                        self.now.push_back(e.slot);
                    } else {
                        let nb = bucket(e.t, m);
                        low = low.min(nb);
                        self.buckets[nb].push(*e);
                    }
                }
                // Keep the emptied bucket's allocation for later pushes.
                rest.clear();
                self.buckets[b] = rest;
                self.low = low.min(b + 1);
            }
            (m, self.now.pop_front()?)
        };
        self.len -= 1;
        self.free.push(slot);
        self.slab[slot as usize].take().map(|e| (SimTime(t), e))
    }
    /// Pending events in no particular (but deterministic) order, for views of what is in flight.
    pub fn iter(&self) -> impl Iterator<Item = (SimTime, &E)> + '_ {
        let now = self.now.iter().map(|&s| (self.last, s));
        let radix = self.buckets.iter().flatten().map(|e| (e.t, e.slot));
        let late = self.late.iter().map(|l| (l.t, l.slot));
        now.chain(radix).chain(late).filter_map(|(t, s)| self.slab[s as usize].as_ref().map(|e| (SimTime(t), e)))
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn orders_by_time_then_seq_and_bounds() {
        let mut q = EventQueue::new(3);
        q.push(SimTime(5), 'a').unwrap();
        q.push(SimTime(1), 'b').unwrap();
        q.push(SimTime(5), 'c').unwrap();
        assert_eq!(q.push(SimTime(0), 'd'), Err(QueueFull(3)));
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|x| x.1)).collect();
        assert_eq!(order, vec!['b', 'a', 'c']);
    }

    #[test]
    fn late_entries_follow_ordinary_ones_at_the_same_time() {
        let mut q = EventQueue::new(8);
        q.push_late(SimTime(5), 'x').unwrap();
        q.push(SimTime(5), 'a').unwrap();
        q.push(SimTime(4), 'b').unwrap();
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|x| x.1)).collect();
        assert_eq!(order, vec!['b', 'a', 'x']);
    }

    #[test]
    fn pops_in_the_order_of_a_sorted_reference_under_random_use() {
        let mut rng = crate::rng::SimRng::derive(7, "queue");
        let mut q = EventQueue::new(1 << 20);
        let mut reference = std::collections::BTreeMap::new();
        let (mut now, mut seq) = (0u64, 0u64);
        for _ in 0..200_000 {
            if rng.below(3) > 0 || reference.is_empty() {
                let at = now + rng.below(1000);
                let late = rng.below(20) == 0;
                seq += 1;
                if late {
                    q.push_late(SimTime(at), seq).unwrap();
                    reference.insert((at, seq | (1 << 63)), seq);
                } else {
                    q.push(SimTime(at), seq).unwrap();
                    reference.insert((at, seq), seq);
                }
            } else {
                let (&k, &v) = reference.iter().next().unwrap();
                reference.remove(&k);
                assert_eq!(q.peek_time(), Some(SimTime(k.0)));
                assert_eq!(q.pop(), Some((SimTime(k.0), v)));
                now = k.0;
            }
            assert_eq!(q.len(), reference.len());
        }
    }
}
