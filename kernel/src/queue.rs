//! The bounded event queue, ordered by `(time, seq)` so equal times pop in insertion order.
use crate::time::SimTime;

/// What the queue orders: `(time, seq)` as one 128-bit number, and the slot where the event
/// waits in the queue's slab, so the structure moves 32-byte keys however large the events are.
#[derive(Clone, Copy, Debug)]
struct Key {
    k: u128,
    slot: u32,
}

#[inline]
fn key(at: SimTime, seq: u64) -> u128 {
    (u128::from(at.0) << 64) | u128::from(seq)
}

#[inline]
fn time_of(k: u128) -> SimTime {
    SimTime((k >> 64) as u64)
}

const LATE: u64 = 1 << 63;
/// A radix heap's buckets: bucket `b` holds the keys whose highest bit differing from the last
/// popped key is bit `b - 1` (bucket 0: equal to it).
const BUCKETS: usize = 129;

#[inline]
fn bucket(k: u128, last: u128) -> usize {
    (128 - (k ^ last).leading_zeros()) as usize
}

/// A min-queue of events with a hard capacity.
///
/// Ordinary events form a radix heap: the simulation never schedules before the present, and
/// `seq` grows, so every key pushed is above the last key popped, which is all a radix heap
/// needs; its push is O(1) and its pop moves each key down a bucket at a time, never comparing
/// keys across the whole queue. The few "late" entries (commands, ordered after everything else
/// at their time) would break that rule and wait in a small sorted list beside it.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    buckets: Vec<Vec<Key>>,
    /// The last key popped from the radix heap.
    last: u128,
    /// The lowest non-empty bucket is at or above this.
    low: usize,
    /// Late entries, sorted with the smallest last.
    late: Vec<Key>,
    /// The pending events by slot; a popped event's slot is reused.
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    len: usize,
    seq: u64,
    cap: usize,
    /// Where the radix heap's smallest key is (bucket, index, key), once found and until it moves.
    min: std::cell::Cell<Option<(usize, usize, u128)>>,
}

/// The queue was full: the run is stopped with this error instead of growing without bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueFull(pub usize);

impl<E> EventQueue<E> {
    pub fn new(cap: usize) -> Self {
        let cap = cap.min(u32::MAX as usize);
        EventQueue { buckets: vec![Vec::new(); BUCKETS], last: 0, low: 0, late: Vec::new(), slab: Vec::new(), free: Vec::new(), len: 0, seq: 0, cap, min: std::cell::Cell::new(None) }
    }
    pub fn push(&mut self, at: SimTime, ev: E) -> Result<(), QueueFull> {
        self.insert(at, 0, ev)
    }

    /// Like `push`, but after every ordinary event at the same time: a command given at `t`
    /// acts after everything else due at `t`, however early it was scheduled.
    pub fn push_late(&mut self, at: SimTime, ev: E) -> Result<(), QueueFull> {
        self.insert(at, LATE, ev)
    }

    #[inline]
    fn insert(&mut self, at: SimTime, class: u64, ev: E) -> Result<(), QueueFull> {
        if self.len >= self.cap {
            return Err(QueueFull(self.cap));
        }
        self.seq += 1;
        let slot = match self.free.pop() {
            Some(i) => {
                self.slab[i as usize] = Some(ev);
                i
            }
            None => {
                self.slab.push(Some(ev));
                self.slab.len() as u32 - 1
            }
        };
        self.len += 1;
        let item = Key { k: key(at, self.seq | class), slot };
        if class == LATE {
            let i = self.late.partition_point(|x| x.k > item.k);
            self.late.insert(i, item);
            return Ok(());
        }
        // Never below the last key popped (a caller scheduling in the past is clamped to it,
        // which keeps the order a binary heap would give: it pops next).
        let k = item.k.max(self.last);
        let b = bucket(k, self.last);
        self.buckets[b].push(Key { k, slot });
        self.low = self.low.min(b);
        if let Some((_, _, m)) = self.min.get() {
            if k < m {
                self.min.set(Some((b, self.buckets[b].len() - 1, k)));
            }
        }
        Ok(())
    }

    /// The smallest key of the radix heap, and its bucket and index there.
    #[inline]
    fn radix_min(&self) -> Option<(usize, usize, u128)> {
        if let Some(m) = self.min.get() {
            return Some(m);
        }
        let m = self.find_min();
        self.min.set(m);
        m
    }

    fn find_min(&self) -> Option<(usize, usize, u128)> {
        let b = (self.low..BUCKETS).find(|&b| !self.buckets[b].is_empty())?;
        let v = &self.buckets[b];
        let mut best = 0;
        for i in 1..v.len() {
            if v[i].k < v[best].k {
                best = i;
            }
        }
        Some((b, best, v[best].k))
    }

    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        let r = self.radix_min().map(|x| x.2);
        let l = self.late.last().map(|x| x.k);
        match (r, l) {
            (Some(r), Some(l)) => Some(time_of(r.min(l))),
            (r, l) => r.or(l).map(time_of),
        }
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let r = self.radix_min();
        let late_first = match (r, self.late.last()) {
            (Some((_, _, rk)), Some(l)) => l.k < rk,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        let top = if late_first {
            self.late.pop()?
        } else {
            let (b, i, k) = r?;
            let top = self.buckets[b].swap_remove(i);
            self.min.set(None);
            // The new last key: redistribute the rest of its bucket below it (every other
            // bucket below `b` is empty).
            self.last = k;
            let mut low = b + 1;
            if b > 0 {
                let mut rest = std::mem::take(&mut self.buckets[b]);
                for x in &rest {
                    let nb = bucket(x.k, k);
                    low = low.min(nb);
                    self.buckets[nb].push(*x);
                }
                // Keep the emptied bucket's allocation for later pushes.
                rest.clear();
                self.buckets[b] = rest;
            }
            self.low = low.min(BUCKETS - 1);
            top
        };
        self.len -= 1;
        self.free.push(top.slot);
        self.slab[top.slot as usize].take().map(|e| (time_of(top.k), e))
    }
    /// Pending events in no particular (but deterministic) order, for views of what is in flight.
    pub fn iter(&self) -> impl Iterator<Item = (SimTime, &E)> + '_ {
        self.buckets.iter().flatten().chain(self.late.iter()).filter_map(|k| self.slab[k.slot as usize].as_ref().map(|e| (time_of(k.k), e)))
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
                    reference.insert((at, seq | LATE), seq);
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
