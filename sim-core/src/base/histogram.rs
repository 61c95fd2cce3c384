//! A log-linear latency histogram: the world's commit latencies and the pool's request latencies.

/// A log-linear latency histogram in microseconds (about 3 % resolution), cheap to clone.
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Vec<u32>,
    total: u64,
}

const SUB: u32 = 32;
/// Values are clamped below 2^38 µs (76 hours, beyond any run's length).
const TOP_BIT: u32 = 38;

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: vec![0; 64 + (TOP_BIT as usize - 6) * SUB as usize], total: 0 }
    }
}

impl Histogram {
    fn index(v: u64) -> usize {
        let v = v.min((1 << TOP_BIT) - 1);
        if v < 64 {
            return v as usize;
        }
        let e = 63 - v.leading_zeros();
        let sub = (v >> (e - 5)) & (SUB as u64 - 1);
        64 + (e as usize - 6) * SUB as usize + sub as usize
    }
    fn value_at(i: usize) -> u64 {
        if i < 64 {
            return i as u64;
        }
        let e = (i - 64) / SUB as usize + 6;
        let sub = ((i - 64) % SUB as usize) as u64;
        ((SUB as u64 + sub) << (e - 5)) + (1u64 << (e - 5)) / 2
    }
    #[inline]
    pub fn record(&mut self, v: u64) {
        let c = &mut self.counts[Self::index(v)];
        *c = c.saturating_add(1);
        self.total += 1;
    }
    pub fn count(&self) -> u64 {
        self.total
    }
    /// The value at quantile `q` (0..=1), or 0 with no samples.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64) as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += u64::from(*c);
            if seen >= rank {
                return Self::value_at(i);
            }
        }
        0
    }
}
