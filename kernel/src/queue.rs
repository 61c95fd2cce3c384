//! The bounded event queue, ordered by `(time, seq)` so equal times pop in insertion order.
use crate::time::SimTime;
use core::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Clone, Debug)]
struct Entry<E> {
    at: SimTime,
    seq: u64,
    ev: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, o: &Self) -> bool {
        self.at == o.at && self.seq == o.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

const LATE: u64 = 1 << 63;

/// A min-queue of events with a hard capacity.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
    cap: usize,
}

/// The queue was full: the run is stopped with this error instead of growing without bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueFull(pub usize);

impl<E> EventQueue<E> {
    pub fn new(cap: usize) -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(cap.min(1 << 16)), seq: 0, cap }
    }
    pub fn push(&mut self, at: SimTime, ev: E) -> Result<(), QueueFull> {
        self.insert(at, 0, ev)
    }

    /// Like `push`, but after every ordinary event at the same time: a command given at `t`
    /// acts after everything else due at `t`, however early it was scheduled.
    pub fn push_late(&mut self, at: SimTime, ev: E) -> Result<(), QueueFull> {
        self.insert(at, LATE, ev)
    }

    fn insert(&mut self, at: SimTime, class: u64, ev: E) -> Result<(), QueueFull> {
        if self.heap.len() >= self.cap {
            return Err(QueueFull(self.cap));
        }
        self.seq += 1;
        self.heap.push(Entry { at, seq: self.seq | class, ev });
        Ok(())
    }

    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.at)
    }
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (e.at, e.ev))
    }
    /// Pending events in no particular (but deterministic) order, for views of what is in flight.
    pub fn iter(&self) -> impl Iterator<Item = (SimTime, &E)> + '_ {
        self.heap.iter().map(|e| (e.at, &e.ev))
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
}
