//! ChaCha8 drawn exactly as `chacha20::ChaCha8Rng` draws it, four blocks at a time with one block per vector lane: the browser's generator (wasm32 `simd128`), tested word for word against `chacha20` natively.
//!
//! `chacha20` has SIMD back ends for x86 and ARM but none for wasm, where its portable one made
//! the generator 7-8 % of the reference run's time against under 2 % natively. Here each of the
//! 16 state words is one vector holding that word of four consecutive blocks, so a round is
//! plain lane-wise add, xor and rotate (no shuffles between words), and the four blocks are laid
//! out afterwards in the order `chacha20` fills its buffer. Off wasm the lanes are `[u32; 4]`:
//! the same code, which the tests run.
use rand_core::SeedableRng;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;

    /// Four `u32` lanes in one wasm `v128`.
    #[derive(Clone, Copy, Debug)]
    pub struct L(v128);

    impl L {
        #[inline(always)]
        pub fn new(x: [u32; 4]) -> L {
            L(u32x4(x[0], x[1], x[2], x[3]))
        }
        #[inline(always)]
        pub fn add(self, o: L) -> L {
            L(i32x4_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn xor(self, o: L) -> L {
            L(v128_xor(self.0, o.0))
        }
        /// Rotations by 16 and 8 move whole bytes: one byte shuffle instead of two shifts and an or.
        #[inline(always)]
        pub fn rotl<const N: u32>(self) -> L {
            match N {
                16 => L(i8x16_shuffle::<2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13>(self.0, self.0)),
                8 => L(i8x16_shuffle::<3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14>(self.0, self.0)),
                _ => L(v128_or(i32x4_shl(self.0, N), u32x4_shr(self.0, 32 - N))),
            }
        }
        #[inline(always)]
        pub fn lanes(self) -> [u32; 4] {
            [u32x4_extract_lane::<0>(self.0), u32x4_extract_lane::<1>(self.0), u32x4_extract_lane::<2>(self.0), u32x4_extract_lane::<3>(self.0)]
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    /// Four `u32` lanes in an array: the portable stand-in for a vector.
    #[derive(Clone, Copy, Debug)]
    pub struct L([u32; 4]);

    impl L {
        #[inline(always)]
        pub fn new(x: [u32; 4]) -> L {
            L(x)
        }
        #[inline(always)]
        pub fn add(self, o: L) -> L {
            L(core::array::from_fn(|i| self.0[i].wrapping_add(o.0[i])))
        }
        #[inline(always)]
        pub fn xor(self, o: L) -> L {
            L(core::array::from_fn(|i| self.0[i] ^ o.0[i]))
        }
        #[inline(always)]
        pub fn rotl<const N: u32>(self) -> L {
            L(self.0.map(|x| x.rotate_left(N)))
        }
        #[inline(always)]
        pub fn lanes(self) -> [u32; 4] {
            self.0
        }
    }
}

use lanes::L;

/// Words per block, and blocks per refill (as `chacha20`'s generator buffers them).
const BLOCK: usize = 16;
const BLOCKS: usize = 4;
const WORDS: usize = BLOCK * BLOCKS;
/// "expand 32-byte k".
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
/// ChaCha8: four double rounds.
const DOUBLE_ROUNDS: usize = 4;

/// The ChaCha8 generator on stream 0 with a 64-bit block counter, buffering four blocks.
#[derive(Clone, Debug)]
pub struct ChaCha8x4 {
    key: [u32; 8],
    /// The counter of the next block to generate.
    counter: u64,
    buf: [u32; WORDS],
    /// The next unread word of `buf`; `WORDS` when it is used up.
    idx: usize,
}

#[inline(always)]
fn quarter(x: &mut [L; BLOCK], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].add(x[b]);
    x[d] = x[d].xor(x[a]).rotl::<16>();
    x[c] = x[c].add(x[d]);
    x[b] = x[b].xor(x[c]).rotl::<12>();
    x[a] = x[a].add(x[b]);
    x[d] = x[d].xor(x[a]).rotl::<8>();
    x[c] = x[c].add(x[d]);
    x[b] = x[b].xor(x[c]).rotl::<7>();
}

impl SeedableRng for ChaCha8x4 {
    type Seed = [u8; 32];

    fn from_seed(seed: [u8; 32]) -> Self {
        let key = core::array::from_fn(|i| u32::from_le_bytes([seed[4 * i], seed[4 * i + 1], seed[4 * i + 2], seed[4 * i + 3]]));
        ChaCha8x4 { key, counter: 0, buf: [0; WORDS], idx: WORDS }
    }
}

impl ChaCha8x4 {
    /// The next four blocks into the buffer.
    #[inline(never)]
    fn refill(&mut self) {
        let ctr: [u64; BLOCKS] = core::array::from_fn(|b| self.counter.wrapping_add(b as u64));
        let same = |w: u32| L::new([w; 4]);
        let init: [L; BLOCK] = core::array::from_fn(|w| match w {
            0..4 => same(SIGMA[w]),
            4..12 => same(self.key[w - 4]),
            12 => L::new(ctr.map(|c| c as u32)),
            13 => L::new(ctr.map(|c| (c >> 32) as u32)),
            // The stream (nonce): 0.
            _ => same(0),
        });
        let mut x = init;
        for _ in 0..DOUBLE_ROUNDS {
            quarter(&mut x, 0, 4, 8, 12);
            quarter(&mut x, 1, 5, 9, 13);
            quarter(&mut x, 2, 6, 10, 14);
            quarter(&mut x, 3, 7, 11, 15);
            quarter(&mut x, 0, 5, 10, 15);
            quarter(&mut x, 1, 6, 11, 12);
            quarter(&mut x, 2, 7, 8, 13);
            quarter(&mut x, 3, 4, 9, 14);
        }
        for (w, (x, i)) in x.iter().zip(init.iter()).enumerate() {
            for (b, v) in x.add(*i).lanes().into_iter().enumerate() {
                self.buf[b * BLOCK + w] = v;
            }
        }
        self.counter = self.counter.wrapping_add(BLOCKS as u64);
    }

    /// Two words, low first; a pair split by a refill takes the buffer's last word and the next
    /// buffer's first (as `rand_core`'s block generator does).
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let i = self.idx;
        let (lo, hi) = if i + 1 < WORDS {
            self.idx = i + 2;
            (self.buf[i], self.buf[i + 1])
        } else if i + 1 == WORDS {
            let lo = self.buf[i];
            self.refill();
            self.idx = 1;
            (lo, self.buf[0])
        } else {
            self.refill();
            self.idx = 2;
            (self.buf[0], self.buf[1])
        };
        (hi as u64) << 32 | lo as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    /// Word for word `chacha20`'s ChaCha8 for several keys, across many refills.
    #[test]
    fn it_draws_what_chacha20_draws() {
        for seed in [0, 1, 7, 0xdead_beef, u64::MAX] {
            let mut mine = ChaCha8x4::seed_from_u64(seed);
            let mut theirs = chacha20::ChaCha8Rng::seed_from_u64(seed);
            for i in 0..10_000 {
                assert_eq!(mine.next_u64(), theirs.next_u64(), "seed {seed}, draw {i}");
            }
        }
    }

    /// Past 2^32 blocks the counter carries into its high word, as `chacha20`'s does.
    #[test]
    fn the_block_counter_carries_into_its_high_word() {
        let mut mine = ChaCha8x4::seed_from_u64(5);
        let mut theirs = chacha20::ChaCha8Rng::seed_from_u64(5);
        let start = (1u64 << 32) - 2;
        mine.counter = start;
        theirs.set_block_pos(start);
        for i in 0..200 {
            assert_eq!(mine.next_u64(), theirs.next_u64(), "draw {i}");
        }
    }

    /// A pair that straddles two buffers (reached only from an odd word position).
    #[test]
    fn a_pair_split_by_a_refill_takes_the_last_word_and_the_next_first() {
        let mut r = ChaCha8x4::seed_from_u64(9);
        let mut words = ChaCha8x4::seed_from_u64(9);
        words.refill();
        let first: Vec<u32> = words.buf.to_vec();
        words.refill();
        r.refill();
        r.idx = WORDS - 1;
        assert_eq!(r.next_u64(), (words.buf[0] as u64) << 32 | first[WORDS - 1] as u64);
        assert_eq!(r.next_u64(), (words.buf[2] as u64) << 32 | words.buf[1] as u64);
    }
}
