//! An append-only log made of shared, immutable chunks: cloning it (a world snapshot) copies a
//! few pointers instead of the whole history. Popping from the front is supported for windows.
use std::sync::Arc;

/// A log sealed in chunks of `N` elements, and the sealed chunks in shared groups of `G`: a
/// clone copies up to `N - 1` elements, up to `G - 1` chunk pointers and one pointer per
/// `N × G` elements, so even a long log (millions of entries) costs a snapshot a few kilobytes.
/// Big `N` suits long logs and small `N` suits bulky elements.
#[derive(Debug)]
pub struct ChunkLog<T, const N: usize = 256> {
    /// Full groups of `G` sealed chunks, each shared by every clone.
    groups: Vec<Arc<[Arc<[T]>]>>,
    /// Sealed chunks not yet in a group (fewer than `G`).
    loose: Vec<Arc<[T]>>,
    tail: Vec<T>,
    /// Elements already popped from the front (of the first group, the first loose chunk, or
    /// the tail, whichever holds the oldest element).
    head: usize,
}

/// Sealed chunks per shared group.
const G: usize = 32;

/// A clone shares the sealed chunks, except of a short log (a sliding window kept small by
/// `pop_front`), which it copies: sharing would keep the window's dropped neighbours alive in
/// every snapshot.
impl<T: Clone, const N: usize> Clone for ChunkLog<T, N> {
    fn clone(&self) -> Self {
        if self.sealed_chunks() > 0 && self.len() <= 2 * N {
            let mut c = ChunkLog::default();
            self.iter().for_each(|x| c.push(x.clone()));
            return c;
        }
        ChunkLog { groups: self.groups.clone(), loose: self.loose.clone(), tail: self.tail.clone(), head: self.head }
    }
}

impl<T, const N: usize> Default for ChunkLog<T, N> {
    fn default() -> Self {
        ChunkLog { groups: Vec::new(), loose: Vec::new(), tail: Vec::new(), head: 0 }
    }
}

impl<T: Clone, const N: usize> ChunkLog<T, N> {
    fn sealed_chunks(&self) -> usize {
        self.groups.len() * G + self.loose.len()
    }

    #[inline]
    fn chunk(&self, c: usize) -> Option<&Arc<[T]>> {
        let grouped = self.groups.len() * G;
        if c < grouped {
            self.groups.get(c / G).and_then(|g| g.get(c % G))
        } else {
            self.loose.get(c - grouped)
        }
    }

    pub fn len(&self) -> usize {
        self.sealed_chunks() * N + self.tail.len() - self.head
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, x: T) {
        self.tail.push(x);
        if self.tail.len() == N {
            let full = std::mem::take(&mut self.tail);
            self.loose.push(Arc::from(full));
            if self.loose.len() == G {
                let group = std::mem::take(&mut self.loose);
                self.groups.push(Arc::from(group));
            }
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<&T> {
        let i = i.checked_add(self.head)?;
        let sealed = self.sealed_chunks();
        if i / N < sealed {
            self.chunk(i / N).and_then(|c| c.get(i % N))
        } else {
            self.tail.get(i - sealed * N)
        }
    }

    pub fn front(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// Drops the oldest element. (A group's memory goes once all of it is dropped.)
    pub fn pop_front(&mut self) {
        if self.is_empty() {
            return;
        }
        self.head += 1;
        if !self.groups.is_empty() {
            if self.head == G * N {
                self.groups.remove(0);
                self.head = 0;
            }
        } else if !self.loose.is_empty() {
            if self.head == N {
                self.loose.remove(0);
                self.head = 0;
            }
        } else if self.head == self.tail.len() {
            self.tail.clear();
            self.head = 0;
        }
    }

    /// The first index whose element fails `pred`, for a log partitioned by it (binary search).
    pub fn partition_point(&self, pred: impl Fn(&T) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid) {
                Some(x) if pred(x) => lo = mid + 1,
                _ => hi = mid,
            }
        }
        lo
    }

    /// The newest elements that lie together in memory (those not yet sealed in a chunk), oldest
    /// first: a search that starts from the end reads here without indexing chunk by chunk.
    #[inline]
    pub fn newest(&self) -> &[T] {
        if self.sealed_chunks() == 0 {
            &self.tail[self.head..]
        } else {
            &self.tail
        }
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const CHUNK: usize = 256;

    /// Pushes `0..n` into a log and a `VecDeque`, popping both at every `pop_every`-th push, and
    /// checks they agree at each step.
    fn mirrored<const N: usize>(n: u64, pop_every: u64) -> (ChunkLog<u64, N>, std::collections::VecDeque<u64>) {
        let mut log: ChunkLog<u64, N> = ChunkLog::default();
        let mut model = std::collections::VecDeque::new();
        for i in 0..n {
            log.push(i);
            model.push_back(i);
            if i % pop_every == 0 {
                log.pop_front();
                model.pop_front();
            }
            assert_eq!(log.len(), model.len());
            assert_eq!(log.front(), model.front());
            assert_eq!(log.last(), model.back());
            let newest = log.newest();
            assert!(newest.len() <= model.len() && model.iter().skip(model.len() - newest.len()).eq(newest.iter()));
        }
        assert!(log.iter().eq(model.iter()));
        (log, model)
    }

    #[test]
    fn behaves_like_a_deque_across_chunk_boundaries() {
        let (mut log, mut model) = mirrored::<CHUNK>(3 * CHUNK as u64 + 17, 3);
        assert_eq!(log.get(5), model.get(5));
        for probe in [0, 1, 500, 700, 10_000] {
            assert_eq!(log.partition_point(|&x| x < probe), model.partition_point(|&x| x < probe));
        }
        assert_eq!(log.get(model.len()), None);
        assert_eq!(log.iter().next_back(), model.back());
        while !model.is_empty() {
            log.pop_front();
            model.pop_front();
            assert_eq!(log.front(), model.front());
        }
        assert!(log.is_empty());
        log.pop_front();
        assert!(log.is_empty());
    }

    #[test]
    fn a_long_log_behaves_like_a_deque_across_groups_and_clones_share_groups() {
        let (mut log, mut model) = mirrored::<4>(5_000, 5);
        assert!(log.iter().rev().eq(model.iter().rev()));
        for probe in [0, 1, 777, 3000, 4999, 10_000] {
            assert_eq!(log.partition_point(|&x| x < probe), model.partition_point(|&x| x < probe));
        }
        let copy = log.clone();
        assert!(Arc::ptr_eq(&copy.groups[0], &log.groups[0]));
        assert!(copy.loose.len() < G && copy.tail.len() < 4);
        while !model.is_empty() {
            log.pop_front();
            model.pop_front();
            assert_eq!(log.front(), model.front());
        }
        assert!(log.is_empty());
        assert_eq!(copy.len(), 4000);
        assert!(copy.iter().copied().eq(1000..5000u64));
    }

    #[test]
    fn a_short_window_is_copied_not_shared() {
        let mut a: ChunkLog<u64, 8> = ChunkLog::default();
        (0..1000u64).for_each(|i| a.push(i));
        (0..990).for_each(|_| a.pop_front());
        let b = a.clone();
        assert!(b.iter().eq(a.iter()));
        assert_eq!(b.sealed_chunks(), 1, "ten elements: one chunk of its own, and a tail");
        assert!(!Arc::ptr_eq(b.chunk(0).unwrap(), a.chunk(0).unwrap()));
    }

    #[test]
    fn a_clone_shares_sealed_chunks_and_diverges_afterwards() {
        let mut a: ChunkLog<u64> = ChunkLog::default();
        (0..1000u64).for_each(|i| a.push(i));
        let mut b = a.clone();
        b.push(1000);
        a.pop_front();
        assert_eq!(a.len(), 999);
        assert_eq!(b.len(), 1001);
        assert_eq!(b.front(), Some(&0));
        assert!(Arc::ptr_eq(a.chunk(1).unwrap(), b.chunk(1).unwrap()));
    }
}
