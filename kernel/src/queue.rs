//! The bounded event queue, ordered by `(time, seq)` so equal times pop in insertion order.
use crate::time::SimTime;

/// What the heap orders: `(time, seq)` as one 128-bit number, and the slot where the event waits
/// in the queue's slab, so sifting moves 32-byte keys however large the events are.
#[derive(Clone, Copy, Debug)]
struct Key {
    k: u128,
    slot: u32,
}

#[inline]
fn key(at: SimTime, seq: u64) -> u128 {
    (u128::from(at.0) << 64) | u128::from(seq)
}

const LATE: u64 = 1 << 63;
/// Children per node: a 4-ary heap has half the levels of a binary one, and a node's children
/// share a cache line or two.
const D: usize = 4;

/// A min-queue of events with a hard capacity.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    heap: Vec<Key>,
    /// The pending events by slot; a popped event's slot is reused.
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    seq: u64,
    cap: usize,
}

/// The queue was full: the run is stopped with this error instead of growing without bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueFull(pub usize);

impl<E> EventQueue<E> {
    pub fn new(cap: usize) -> Self {
        let cap = cap.min(u32::MAX as usize);
        EventQueue { heap: Vec::with_capacity(cap.min(1 << 16)), slab: Vec::new(), free: Vec::new(), seq: 0, cap }
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
        if self.heap.len() >= self.cap {
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
        let item = Key { k: key(at, self.seq | class), slot };
        // Sift up.
        let mut i = self.heap.len();
        self.heap.push(item);
        while i > 0 {
            let parent = (i - 1) / D;
            if self.heap[parent].k <= item.k {
                break;
            }
            self.heap[i] = self.heap[parent];
            i = parent;
        }
        self.heap[i] = item;
        Ok(())
    }

    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(|e| SimTime((e.k >> 64) as u64))
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let top = *self.heap.first()?;
        let last = self.heap.pop().expect("not empty");
        let n = self.heap.len();
        if n > 0 {
            // Sift the last key down from the root.
            let mut i = 0;
            loop {
                let first = i * D + 1;
                if first >= n {
                    break;
                }
                let end = (first + D).min(n);
                let mut best = first;
                for c in first + 1..end {
                    if self.heap[c].k < self.heap[best].k {
                        best = c;
                    }
                }
                if self.heap[best].k >= last.k {
                    break;
                }
                self.heap[i] = self.heap[best];
                i = best;
            }
            self.heap[i] = last;
        }
        self.free.push(top.slot);
        self.slab[top.slot as usize].take().map(|e| (SimTime((top.k >> 64) as u64), e))
    }
    /// Pending events in no particular (but deterministic) order, for views of what is in flight.
    pub fn iter(&self) -> impl Iterator<Item = (SimTime, &E)> + '_ {
        self.heap.iter().filter_map(|k| self.slab[k.slot as usize].as_ref().map(|e| (SimTime((k.k >> 64) as u64), e)))
    }
    pub fn len(&self) -> usize {
        self.heap.len()
    }
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
