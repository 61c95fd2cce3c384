//! An append-only log made of shared, immutable chunks: cloning it (a world snapshot) copies a
//! few pointers instead of the whole history. Popping from the front is supported for windows.
use std::sync::Arc;

/// A log sealed in chunks of `N` elements: a clone copies up to `N - 1` elements and one
/// pointer per `N`, so big `N` suits long logs and small `N` suits bulky elements.
#[derive(Clone, Debug)]
pub struct ChunkLog<T, const N: usize = 256> {
    sealed: Vec<Arc<[T]>>,
    tail: Vec<T>,
    /// Elements already popped from the front of `sealed[0]` (or of `tail` when nothing is sealed).
    head: usize,
}

impl<T, const N: usize> Default for ChunkLog<T, N> {
    fn default() -> Self {
        ChunkLog { sealed: Vec::new(), tail: Vec::new(), head: 0 }
    }
}

impl<T: Clone, const N: usize> ChunkLog<T, N> {
    pub fn len(&self) -> usize {
        self.sealed.len() * N + self.tail.len() - self.head
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, x: T) {
        self.tail.push(x);
        if self.tail.len() == N {
            let full = std::mem::take(&mut self.tail);
            self.sealed.push(Arc::from(full));
        }
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        let i = i.checked_add(self.head)?;
        match self.sealed.get(i / N) {
            Some(c) => c.get(i % N),
            None => self.tail.get(i - self.sealed.len() * N),
        }
    }

    pub fn front(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// Drops the oldest element.
    pub fn pop_front(&mut self) {
        if self.is_empty() {
            return;
        }
        self.head += 1;
        let first_len = self.sealed.first().map_or(self.tail.len(), |c| c.len());
        if self.head == first_len {
            self.head = 0;
            if self.sealed.is_empty() {
                self.tail.clear();
            } else {
                self.sealed.remove(0);
            }
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

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const CHUNK: usize = 256;

    #[test]
    fn behaves_like_a_deque_across_chunk_boundaries() {
        let mut log: ChunkLog<u64> = ChunkLog::default();
        let mut model = std::collections::VecDeque::new();
        for i in 0..(3 * CHUNK as u64 + 17) {
            log.push(i);
            model.push_back(i);
            if i % 3 == 0 {
                log.pop_front();
                model.pop_front();
            }
            assert_eq!(log.len(), model.len());
            assert_eq!(log.front(), model.front());
            assert_eq!(log.last(), model.back());
        }
        assert!(log.iter().eq(model.iter()));
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
    fn a_clone_shares_sealed_chunks_and_diverges_afterwards() {
        let mut a: ChunkLog<u64> = ChunkLog::default();
        (0..1000u64).for_each(|i| a.push(i));
        let mut b = a.clone();
        b.push(1000);
        a.pop_front();
        assert_eq!(a.len(), 999);
        assert_eq!(b.len(), 1001);
        assert_eq!(b.front(), Some(&0));
        assert!(Arc::ptr_eq(&a.sealed[0], &b.sealed[0]));
    }
}
