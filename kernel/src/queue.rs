//! The bounded event queue, ordered by `(time, seq)` so equal times pop in insertion order.
use crate::time::SimTime;
use std::cell::Cell;
use std::collections::VecDeque;

/// No slot: the end of a wheel list.
const NIL: u32 = u32::MAX;

/// The wheel spans this many microseconds past the last time popped (16.4 ms): about four in
/// five events of a replicated cluster are scheduled that close (network hops, fsyncs, CPU).
const WHEEL_BITS: u32 = 14;
const WHEEL: u64 = 1 << WHEEL_BITS;
const WORDS: usize = (WHEEL / 64) as usize;

/// Radix buckets above the "now" bucket: bucket `b` holds the times whose highest bit differing
/// from the radix heap's last time is bit `b - 1`.
const BUCKETS: usize = 65;

#[inline]
fn bucket(t: u64, last: u64) -> usize {
    (64 - (t ^ last).leading_zeros()) as usize
}

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

/// A min-queue of events with a hard capacity.
///
/// Ordinary events scheduled less than [`WHEEL`] µs past the last time popped go in a timing
/// wheel: one FIFO list per microsecond, found through a bitmap, so such an event is stored once
/// and taken once. Later ones go in a radix heap on time alone (the simulation never schedules
/// before the present, which is all a radix heap needs), where an event moves down a bucket at a
/// time as the present nears it. Both keep equal times in the order they came. At an equal time
/// an event in the radix heap was scheduled before any in the wheel (it was further than the
/// wheel's span when pushed, and the present only moves forward), so the radix heap goes first,
/// and equal times still pop in insertion (`seq`) order without a sequence number in the key.
/// The few "late" entries (commands, ordered after everything else at their time) would break
/// that rule and wait in a small sorted list beside them.
pub struct EventQueue<E> {
    /// Events scheduled before the last time popped, taken as due at it: they pop first.
    past: VecDeque<u32>,
    wheel: Wheel,
    far: Radix,
    /// The last time popped (late entries aside).
    last: u64,
    /// Where the next ordinary event comes from and its time, once found and until it changes.
    head: Cell<Option<(From, u64)>>,
    /// Late entries, sorted with the smallest last.
    late: Vec<Late>,
    /// The pending events by slot; a popped event's slot is reused.
    slab: Vec<Option<E>>,
    /// The next slot in the same wheel list, by slot (grown as the wheel needs it).
    next: Vec<u32>,
    free: Vec<u32>,
    len: usize,
    seq: u64,
    cap: usize,
}

/// The queue was full: the run is stopped with this error instead of growing without bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueFull(pub usize);

impl<E> EventQueue<E> {
    pub fn new(cap: usize) -> Self {
        let cap = cap.min(NIL as usize - 1);
        EventQueue {
            past: VecDeque::new(),
            wheel: Wheel::default(),
            far: Radix::new(),
            last: 0,
            head: Cell::new(None),
            late: Vec::new(),
            slab: Vec::new(),
            next: Vec::new(),
            free: Vec::new(),
            len: 0,
            seq: 0,
            cap,
        }
    }

    pub fn push(&mut self, at: SimTime, ev: E) -> Result<(), QueueFull> {
        let slot = self.store(ev)?;
        let t = at.0;
        let from = if t < self.last {
            // One scheduled before the last time popped is taken as due at it and pops next,
            // as it would in any queue ordered by time.
            self.past.push_front(slot);
            From::Past
        } else if t - self.last < WHEEL {
            if self.next.len() <= slot as usize {
                self.next.resize(self.slab.len(), NIL);
            }
            self.wheel.push(t, slot, &mut self.next);
            From::Wheel
        } else {
            self.far.push(t, slot);
            From::Far
        };
        // A new event comes first only at an earlier time (or from the past, which goes first).
        if let Some((_, m)) = self.head.get() {
            if t < m || matches!(from, From::Past) {
                self.head.set(Some((from, t.max(self.last))));
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

    /// Where the next ordinary event comes from, and its time.
    #[inline(always)]
    fn ordinary_min(&self) -> Option<(From, u64)> {
        match self.head.get() {
            Some(h) => Some(h),
            None => {
                let h = self.find_ordinary_min();
                self.head.set(h);
                h
            }
        }
    }

    #[inline(never)]
    fn find_ordinary_min(&self) -> Option<(From, u64)> {
        if !self.past.is_empty() {
            return Some((From::Past, self.last));
        }
        match (self.far.min(), self.wheel.min(self.last)) {
            (Some(f), Some(w)) if w < f => Some((From::Wheel, w)),
            (Some(f), _) => Some((From::Far, f)),
            (None, Some(w)) => Some((From::Wheel, w)),
            (None, None) => None,
        }
    }

    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        let r = self.ordinary_min().map(|x| x.1);
        let l = self.late.last().map(|x| x.t);
        match (r, l) {
            // At equal times the ordinary events go first.
            (Some(r), Some(l)) => Some(SimTime(r.min(l))),
            (r, l) => r.or(l).map(SimTime),
        }
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let r = self.ordinary_min();
        let late_first = match (r, self.late.last()) {
            (Some((_, rt)), Some(l)) => l.t < rt,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        let (t, slot) = if late_first {
            let l = self.late.pop()?;
            (l.t, l.slot)
        } else {
            let (from, t) = r?;
            self.last = t;
            let (slot, more) = match from {
                From::Past => (self.past.pop_front()?, !self.past.is_empty()),
                From::Wheel => {
                    let slot = self.wheel.pop(t, &self.next)?;
                    (slot, self.wheel.min.get() == Some(t))
                }
                From::Far => (self.far.pop()?.1, !self.far.now.is_empty()),
            };
            // The next comes from the same place at the same time while it has more there.
            if !more {
                self.head.set(None);
            }
            (t, slot)
        };
        self.len -= 1;
        self.free.push(slot);
        self.slab[slot as usize].take().map(|e| (SimTime(t), e))
    }

    /// The pending ordinary events' slots with their times: those from the past, the radix
    /// heap's (in no particular but a deterministic order), then the wheel's by time.
    fn ordinary(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        let past = self.past.iter().map(|&s| (self.last, s));
        past.chain(self.far.iter()).chain(self.wheel.iter(self.last, &self.next))
    }

    /// Pending events in no particular (but deterministic) order, for views of what is in flight.
    pub fn iter(&self) -> impl Iterator<Item = (SimTime, &E)> + '_ {
        let late = self.late.iter().map(|l| (l.t, l.slot));
        self.ordinary().chain(late).filter_map(|(t, s)| self.slab[s as usize].as_ref().map(|e| (SimTime(t), e)))
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A clone (a snapshot) holds its wheel's events in its radix heap instead, so it does not
/// keep the wheel's 128 KB of list heads (nor its links) alive: a session keeps up to a thousand
/// snapshots. The events pop in the same order: they go in by time and, at each time, after the
/// radix heap's own (which were scheduled first) and in their list's order.
impl<E: Clone> Clone for EventQueue<E> {
    fn clone(&self) -> Self {
        let mut far = self.far.clone();
        for (t, slot) in self.wheel.iter(self.last, &self.next) {
            far.push(t, slot);
        }
        EventQueue {
            past: self.past.clone(),
            wheel: Wheel::default(),
            far,
            last: self.last,
            head: Cell::new(None),
            late: self.late.clone(),
            slab: self.slab.clone(),
            next: Vec::new(),
            free: self.free.clone(),
            len: self.len,
            seq: self.seq,
            cap: self.cap,
        }
    }
}

impl<E> std::fmt::Debug for EventQueue<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue").field("len", &self.len).field("last", &self.last).field("cap", &self.cap).finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, Debug)]
enum From {
    Past,
    Wheel,
    Far,
}

/// A timing wheel over `[last, last + WHEEL)`: one FIFO list of slots per microsecond, threaded
/// through the queue's `next`, and a two-level bitmap of the non-empty lists. Its memory is
/// allocated at the first push.
#[derive(Default)]
struct Wheel {
    head: Vec<u32>,
    tail: Vec<u32>,
    bits: Vec<u64>,
    /// A bit per word of `bits`: set when that word is not zero.
    words: [u64; WORDS / 64],
    /// The smallest time, once found and until it changes.
    min: Cell<Option<u64>>,
}

impl Wheel {
    #[inline]
    fn push(&mut self, t: u64, slot: u32, next: &mut [u32]) {
        if self.head.is_empty() {
            self.head = vec![NIL; WHEEL as usize];
            self.tail = vec![NIL; WHEEL as usize];
            self.bits = vec![0; WORDS];
        }
        let i = (t & (WHEEL - 1)) as usize;
        next[slot as usize] = NIL;
        let tail = self.tail[i];
        if tail == NIL {
            self.head[i] = slot;
            self.bits[i / 64] |= 1 << (i % 64);
            self.words[i / 4096] |= 1 << (i / 64 % 64);
        } else {
            next[tail as usize] = slot;
        }
        self.tail[i] = slot;
        if let Some(m) = self.min.get() {
            if t < m {
                self.min.set(Some(t));
            }
        }
    }

    /// The smallest time pending, given the last time popped (every time pending is in
    /// `[last, last + WHEEL)`).
    #[inline(always)]
    fn min(&self, last: u64) -> Option<u64> {
        match self.min.get() {
            Some(m) => Some(m),
            None => self.find_min(last),
        }
    }

    #[inline(never)]
    fn find_min(&self, last: u64) -> Option<u64> {
        if self.head.is_empty() {
            return None;
        }
        let start = (last & (WHEEL - 1)) as usize;
        let i = self.first_from(start).or_else(|| self.first_from(0))?;
        let m = last + ((i as u64).wrapping_sub(start as u64) & (WHEEL - 1));
        self.min.set(Some(m));
        Some(m)
    }

    /// The first non-empty list at or after index `i` (no wrapping).
    #[inline]
    fn first_from(&self, i: usize) -> Option<usize> {
        let w = i / 64;
        let m = self.bits[w] & (!0u64 << (i % 64));
        if m != 0 {
            return Some(w * 64 + m.trailing_zeros() as usize);
        }
        let w = w + 1;
        let mut g = w / 64;
        let mut mask = !0u64 << (w % 64);
        while g < self.words.len() {
            let ws = self.words[g] & mask;
            if ws != 0 {
                let w = g * 64 + ws.trailing_zeros() as usize;
                return Some(w * 64 + self.bits[w].trailing_zeros() as usize);
            }
            g += 1;
            mask = !0;
        }
        None
    }

    /// Takes the first slot of the list at `t`, the smallest time pending.
    #[inline]
    fn pop(&mut self, t: u64, next: &[u32]) -> Option<u32> {
        let i = (t & (WHEEL - 1)) as usize;
        let slot = *self.head.get(i).filter(|&&s| s != NIL)?;
        let n = next[slot as usize];
        self.head[i] = n;
        if n == NIL {
            self.tail[i] = NIL;
            self.bits[i / 64] &= !(1 << (i % 64));
            if self.bits[i / 64] == 0 {
                self.words[i / 4096] &= !(1 << (i / 64 % 64));
            }
            self.min.set(None);
        }
        Some(slot)
    }

    /// The pending slots with their times, in the order they will pop.
    fn iter<'a>(&'a self, last: u64, next: &'a [u32]) -> impl Iterator<Item = (u64, u32)> + 'a {
        let start = last & (WHEEL - 1);
        let lists = if self.head.is_empty() { 0 } else { WHEEL };
        (0..lists).flat_map(move |d| {
            let i = ((start + d) & (WHEEL - 1)) as usize;
            std::iter::successors(Some(self.head[i]).filter(|&s| s != NIL), move |&s| Some(next[s as usize]).filter(|&n| n != NIL)).map(move |s| (last + d, s))
        })
    }
}

/// A radix heap of slots by time: every time pushed is above the last time popped.
#[derive(Clone)]
struct Radix {
    /// Slots due at `last`, in the order they came.
    now: VecDeque<u32>,
    /// `buckets[0]` is unused (its events are in `now`).
    buckets: Vec<Vec<Entry>>,
    /// The last time popped.
    last: u64,
    /// The lowest non-empty bucket is at or above this.
    low: usize,
    /// The smallest time and its bucket, once found and until it moves.
    min: Cell<Option<(usize, u64)>>,
}

impl Radix {
    fn new() -> Self {
        Radix { now: VecDeque::new(), buckets: vec![Vec::new(); BUCKETS], last: 0, low: BUCKETS, min: Cell::new(None) }
    }

    /// `t` is at or above the last time popped.
    #[inline]
    fn push(&mut self, t: u64, slot: u32) {
        if t <= self.last {
            self.now.push_back(slot);
            return;
        }
        let b = bucket(t, self.last);
        self.buckets[b].push(Entry { t, slot });
        self.low = self.low.min(b);
        if let Some((_, m)) = self.min.get() {
            if t < m {
                self.min.set(Some((b, t)));
            }
        }
    }

    /// The smallest time and its bucket (0 for `now`).
    #[inline(always)]
    fn min_at(&self) -> Option<(usize, u64)> {
        if !self.now.is_empty() {
            return Some((0, self.last));
        }
        match self.min.get() {
            Some(m) => Some(m),
            None => self.find_min(),
        }
    }

    #[inline(never)]
    fn find_min(&self) -> Option<(usize, u64)> {
        let b = (self.low..BUCKETS).find(|&b| !self.buckets[b].is_empty())?;
        let m = Some((b, self.buckets[b].iter().map(|e| e.t).min()?));
        self.min.set(m);
        m
    }

    #[inline(always)]
    fn min(&self) -> Option<u64> {
        self.min_at().map(|x| x.1)
    }

    fn pop(&mut self) -> Option<(u64, u32)> {
        let (b, m) = self.min_at()?;
        if b > 0 {
            // The new last time: move its bucket's entries below it, in the order they came
            // (every bucket below `b` is empty): those due at `m` into `now`.
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
        Some((m, self.now.pop_front()?))
    }

    fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        let now = self.now.iter().map(|&s| (self.last, s));
        now.chain(self.buckets.iter().flatten().map(|e| (e.t, e.slot)))
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

    /// Random pushes near (in the wheel's span), far (in the radix heap), across the span's edge
    /// and beyond 2^32 µs, on times rounded so that equal times are common, with late entries;
    /// from time to time the queue is replaced by its clone, which holds the wheel's events in
    /// its radix heap. Every pop must be the sorted reference's first, and the pending events
    /// the reference's.
    #[test]
    fn pops_in_the_order_of_a_sorted_reference_under_random_use() {
        let mut rng = crate::rng::SimRng::derive(7, "queue");
        let mut q = EventQueue::new(1 << 20);
        let mut reference = std::collections::BTreeMap::new();
        let (mut now, mut seq) = (0u64, 0u64);
        let (mut wheel, mut far, mut clones) = (0, 0, 0);
        for i in 0..400_000 {
            if rng.below(3) > 0 || reference.is_empty() {
                let d = match rng.below(8) {
                    0..=3 => rng.below(1000),
                    4 => rng.below(WHEEL * 3),
                    5 => WHEEL - 8 + rng.below(16),
                    6 => rng.below(5_000_000),
                    _ => rng.below(1 << 34),
                };
                let at = ((now + d) / 8 * 8).max(now);
                if at - q.last < WHEEL {
                    wheel += 1;
                } else {
                    far += 1;
                }
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
            if i % 9_973 == 0 {
                let mut pending: Vec<(u64, u64)> = q.iter().map(|(t, &v)| (t.0, v)).collect();
                pending.sort_unstable();
                let mut expected: Vec<(u64, u64)> = reference.iter().map(|(&(t, _), &v)| (t, v)).collect();
                expected.sort_unstable();
                assert_eq!(pending, expected);
                q = q.clone();
                clones += 1;
            }
        }
        assert!(wheel > 100_000 && far > 50_000 && clones > 30, "{wheel} {far} {clones}");
    }

    #[test]
    fn one_scheduled_in_the_past_pops_next_at_the_present() {
        let mut q = EventQueue::new(16);
        q.push(SimTime(10), 'a').unwrap();
        q.push(SimTime(10), 'b').unwrap();
        q.push(SimTime(10 + WHEEL), 'f').unwrap();
        assert_eq!(q.pop(), Some((SimTime(10), 'a')));
        q.push(SimTime(3), 'x').unwrap();
        q.push(SimTime(4), 'y').unwrap();
        let order: Vec<(SimTime, char)> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec![(SimTime(10), 'y'), (SimTime(10), 'x'), (SimTime(10), 'b'), (SimTime(10 + WHEEL), 'f')]);
    }

    /// An event pushed from beyond the wheel's span and one pushed later at the same time from
    /// within it: the first pushed pops first, in the queue and in its clone.
    #[test]
    fn at_an_equal_time_the_earlier_push_pops_first_across_the_span() {
        let mut q = EventQueue::new(16);
        let t = 100 + WHEEL;
        q.push(SimTime(101), 'a').unwrap();
        q.push(SimTime(t), 'f').unwrap();
        assert_eq!(q.pop(), Some((SimTime(101), 'a')));
        q.push(SimTime(t), 'w').unwrap();
        assert!(q.wheel.tail[(t % WHEEL) as usize] != NIL, "'w' is in the wheel");
        let mut c = q.clone();
        q.push(SimTime(t), 'v').unwrap();
        c.push(SimTime(t), 'v').unwrap();
        for q in [&mut q, &mut c] {
            let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|x| x.1)).collect();
            assert_eq!(order, vec!['f', 'w', 'v']);
        }
    }

    /// A clone does not keep the wheel's list heads: a snapshot costs its events, not the span.
    #[test]
    fn a_clone_holds_no_wheel() {
        let mut q = EventQueue::new(16);
        q.push(SimTime(5), 1).unwrap();
        assert!(!q.wheel.head.is_empty());
        let mut c = q.clone();
        assert!(c.wheel.head.is_empty() && c.wheel.bits.is_empty() && c.next.is_empty());
        assert_eq!(c.pop(), Some((SimTime(5), 1)));
    }
}
