//! The one seeded RNG (ChaCha8) and the per-subsystem streams derived from it.
// The generator: `chacha20`'s ChaCha8 (SIMD on x86 and ARM), or in the browser the same stream
// four blocks per wasm vector (`chacha20` has no wasm SIMD back end).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
use crate::chacha::ChaCha8x4 as ChaCha8;
use rand_core::SeedableRng;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
use {chacha20::ChaCha8Rng as ChaCha8, rand_core::Rng as _};

/// A named, seeded random stream. Identical on every platform.
#[derive(Debug)]
pub struct SimRng(ChaCha8);

/// A copy that goes on from the same point of the stream. `chacha20`'s generator is not `Clone`
/// (a cipher's keystream should not be reused by accident); a simulation's snapshot must reuse
/// it, so the copy is made from its state (key, stream, word position).
impl Clone for SimRng {
    fn clone(&self) -> Self {
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        return SimRng(self.0.clone());
        #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
        SimRng(ChaCha8::deserialize_state(&self.0.serialize_state()))
    }
}

/// Stable 64-bit FNV-1a of a string, used to name sub-streams.
pub fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// SplitMix64 finaliser: spreads a 64-bit value over all bits.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl SimRng {
    /// The stream called `name` of the run seeded with `seed`.
    pub fn derive(seed: u64, name: &str) -> Self {
        SimRng(ChaCha8::seed_from_u64(mix64(seed ^ fnv1a(name))))
    }
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    /// Uniform in `0..n` (n > 0), by multiply-high.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
    /// Uniform in `[0, 1)` with 53 bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// True with probability `ppm` per million.
    #[inline]
    pub fn chance_ppm(&mut self, ppm: u32) -> bool {
        ppm > 0 && self.below(1_000_000) < ppm as u64
    }
    /// Exponentially distributed with the given mean (uses `libm`, not std).
    #[inline]
    pub fn exp(&mut self, mean: u64) -> u64 {
        let u = 1.0 - self.unit();
        let v = -libm::log(u) * mean as f64;
        if v > 1e15 {
            1_000_000_000_000_000
        } else {
            v as u64
        }
    }
}

/// Zipf sampler over `1..=n` with exponent `s`, by rejection-inversion (Hörmann & Derflinger).
#[derive(Clone, Debug)]
pub struct Zipf {
    n: f64,
    s: f64,
    h_x1: f64,
    h_n: f64,
    cut: f64,
}

impl Zipf {
    pub fn new(n: u64, s: f64) -> Self {
        let s = if (s - 1.0).abs() < 1e-9 { 1.0 + 1e-9 } else { s };
        let mut z = Zipf { n: n as f64, s, h_x1: 0.0, h_n: 0.0, cut: 0.0 };
        z.h_x1 = z.h(1.5) - 1.0;
        z.h_n = z.h(z.n + 0.5);
        z.cut = 2.0 - z.h_inv(z.h(2.5) - libm::pow(2.0, -s));
        z
    }
    fn h(&self, x: f64) -> f64 {
        libm::exp((1.0 - self.s) * libm::log(x)) / (1.0 - self.s)
    }
    fn h_inv(&self, x: f64) -> f64 {
        libm::exp(libm::log(x * (1.0 - self.s)) / (1.0 - self.s))
    }
    /// A key in `1..=n`; small keys are the most popular.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        for _ in 0..64 {
            let u = self.h_n + rng.unit() * (self.h_x1 - self.h_n);
            let x = self.h_inv(u);
            let k = libm::floor(x + 0.5).clamp(1.0, self.n);
            if k - x <= self.cut || u >= self.h(k + 0.5) - libm::pow(k, -self.s) {
                return k as u64;
            }
        }
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn streams_are_stable_and_distinct() {
        let a = SimRng::derive(7, "net").next_u64();
        assert_eq!(a, SimRng::derive(7, "net").next_u64());
        assert_ne!(a, SimRng::derive(7, "workload").next_u64());
        assert_ne!(a, SimRng::derive(8, "net").next_u64());
    }
    /// The stream is ChaCha8 as `rand_chacha` 0.9 drew it (every lesson's golden trace hash
    /// depends on it): for the key `seed_from_u64(7)`, its first word and the XOR of its first 1000.
    #[test]
    fn the_stream_is_rand_chachas() {
        let mut r = SimRng(ChaCha8::seed_from_u64(7));
        assert_eq!(r.next_u64(), 0x2865_5334_23d7_43bb);
        let rest = (1..1000).fold(0x2865_5334_23d7_43bb, |x, _| x ^ r.next_u64());
        assert_eq!(rest, 0x92ce_2b36_2784_e3be);
    }
    #[test]
    fn a_clone_goes_on_from_the_same_point() {
        // The generator buffers 4 blocks, 32 words of 64 bits: clones taken inside the buffer, at
        // its last word, at its end and past a refill.
        for taken in [0, 1, 7, 31, 32, 33, 100] {
            let mut r = SimRng::derive(3, "net");
            for _ in 0..taken {
                r.next_u64();
            }
            let mut c = r.clone();
            let ahead: Vec<u64> = (0..70).map(|_| c.next_u64()).collect();
            let mine: Vec<u64> = (0..70).map(|_| r.next_u64()).collect();
            assert_eq!(ahead, mine, "after {taken} draws");
        }
    }
    #[test]
    fn zipf_prefers_small_keys() {
        let z = Zipf::new(1000, 1.1);
        let mut r = SimRng::derive(1, "z");
        let mut first = 0;
        for _ in 0..10_000 {
            let k = z.sample(&mut r);
            assert!((1..=1000).contains(&k));
            if k == 1 {
                first += 1;
            }
        }
        assert!(first > 1000, "key 1 drawn {first} times");
    }
}
