//! The trace hash: integers folded in order into 64 bits, the same on every platform.

/// A running hash over `u64` words.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TraceHash(u64);

impl Default for TraceHash {
    fn default() -> Self {
        TraceHash(0x6462_7369_6d00_0001)
    }
}

impl TraceHash {
    /// Folds one word in.
    #[inline]
    pub fn fold(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    /// The finished hash (SplitMix64-finalised).
    pub fn value(&self) -> u64 {
        crate::rng::mix64(self.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn order_and_content_matter() {
        let h = |ws: &[u64]| {
            let mut t = super::TraceHash::default();
            ws.iter().for_each(|w| t.fold(*w));
            t.value()
        };
        assert_ne!(h(&[1, 2]), h(&[2, 1]));
        assert_ne!(h(&[1, 2]), h(&[1, 3]));
        assert_eq!(h(&[1, 2]), h(&[1, 2]));
    }
}
