//! Where a key lives: keyspace IDs and the four placement strategies (hash mod N, a consistent
//! hashing ring with virtual nodes, jump consistent hash, and key ranges written `-80`, `80-`).
use crate::rng::mix64;
use std::fmt;

/// A key's 64-bit keyspace ID, as a Vitess `hash` vindex would give it: uniform over `u64`,
/// the same on every platform. Ranges of keyspace IDs are what shards own.
pub fn keyspace_id(key: u64) -> u64 {
    mix64(key ^ 0x6b65_7973_7061_6365)
}

/// The most shards a placement may have.
pub const MAX_SHARDS: u32 = 1024;
/// The most virtual nodes per shard on a ring.
pub const MAX_VNODES: u32 = 4096;

/// How keys map to shards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// `hash(key) mod n`: simple, but changing `n` moves almost every key.
    ModN { n: u32 },
    /// A consistent-hashing ring: each shard owns `vnodes` points; a key belongs to the first
    /// point clockwise from its hash.
    Ring(Ring),
    /// Jump consistent hash (Lamping & Veach 2014): no table, minimal movement, shards numbered 0..n.
    Jump { n: u32 },
    /// Keyspace-ID ranges: shard `i` owns `[bounds[i-1], bounds[i])`; `bounds` are the split points.
    Range { bounds: Vec<u64> },
}

/// Ring points sorted by position: (position, shard).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ring {
    pub shards: u32,
    pub vnodes: u32,
    points: Vec<(u64, u32)>,
}

impl Ring {
    pub fn new(shards: u32, vnodes: u32) -> Ring {
        let mut points: Vec<(u64, u32)> = (0..shards).flat_map(|s| (0..vnodes).map(move |v| (point(s, v), s))).collect();
        points.sort_unstable();
        Ring { shards, vnodes, points }
    }

    /// The points, for drawing the ring.
    pub fn points(&self) -> &[(u64, u32)] {
        &self.points
    }

    fn owner(&self, h: u64) -> u32 {
        let i = self.points.partition_point(|p| p.0 < h);
        self.points.get(i).or(self.points.first()).map_or(0, |p| p.1)
    }
}

/// Virtual node `v` of shard `s`: its position on the ring.
fn point(s: u32, v: u32) -> u64 {
    mix64(((s as u64) << 32 | v as u64) ^ 0x7269_6e67)
}

/// Lamping & Veach's jump consistent hash.
pub fn jump(mut key: u64, n: u32) -> u32 {
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < n as i64 {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b.max(0) as u32
}

impl Placement {
    /// Checks the shape: 1..=1024 shards, 1..=4096 virtual nodes, increasing range bounds.
    pub fn check(&self) -> Result<(), String> {
        let n = self.shards();
        if n == 0 || n > MAX_SHARDS {
            return Err(format!("a sharded table needs 1 to {MAX_SHARDS} shards, not {n}"));
        }
        match self {
            Placement::Ring(r) if r.vnodes == 0 || r.vnodes > MAX_VNODES => Err(format!("vnodes must be 1 to {MAX_VNODES}, not {}", r.vnodes)),
            Placement::Range { bounds } if bounds.windows(2).any(|w| w[0] >= w[1]) || bounds.first() == Some(&0) => Err("range split points must increase and be above 0".into()),
            _ => Ok(()),
        }
    }

    pub fn shards(&self) -> u32 {
        match self {
            Placement::ModN { n } | Placement::Jump { n } => *n,
            Placement::Ring(r) => r.shards,
            Placement::Range { bounds } => bounds.len() as u32 + 1,
        }
    }

    /// The shard that owns `key` under the hash vindex.
    pub fn shard_of(&self, key: u64) -> u32 {
        self.shard_of_ksid(keyspace_id(key))
    }

    /// The shard that owns a keyspace ID.
    pub fn shard_of_ksid(&self, h: u64) -> u32 {
        match self {
            Placement::ModN { n } => (h % (*n).max(1) as u64) as u32,
            Placement::Ring(r) => r.owner(h),
            Placement::Jump { n } => jump(h, *n),
            Placement::Range { bounds } => bounds.partition_point(|b| *b <= h) as u32,
        }
    }

    /// The same strategy with one more shard: mod N+1, a ring with one more shard's points,
    /// jump with n+1, or the largest range split in half.
    pub fn grown(&self) -> Placement {
        match self {
            Placement::ModN { n } => Placement::ModN { n: n + 1 },
            Placement::Ring(r) => Placement::Ring(Ring::new(r.shards + 1, r.vnodes)),
            Placement::Jump { n } => Placement::Jump { n: n + 1 },
            Placement::Range { bounds } => {
                let mut b = bounds.clone();
                let i = widest(&b);
                b.insert(i, midpoint(&b, i));
                Placement::Range { bounds: b }
            }
        }
    }

    /// Keyspace-ID ranges as Vitess names shards: `-80`, `80-`, `40-80`.
    pub fn range_names(&self) -> Vec<String> {
        let Placement::Range { bounds } = self else { return Vec::new() };
        (0..=bounds.len())
            .map(|i| {
                let lo = if i == 0 { String::new() } else { hex_prefix(bounds[i - 1]) };
                let hi = bounds.get(i).map_or(String::new(), |b| hex_prefix(*b));
                format!("{lo}-{hi}")
            })
            .collect()
    }
}

/// A placement by its scenario name: `mod`, `ring` (with `vnodes` per shard), `jump` or `range`.
pub fn from_strategy(strategy: &str, shards: u32, vnodes: u32) -> Result<Placement, String> {
    // Refuse an impossible count as asked, before building anything of that size.
    if shards == 0 || shards > MAX_SHARDS {
        return Err(format!("a sharded table needs 1 to {MAX_SHARDS} shards, not {shards}"));
    }
    let p = match strategy {
        "mod" => Placement::ModN { n: shards },
        "ring" => Placement::Ring(Ring::new(shards.min(MAX_SHARDS + 1), vnodes.min(MAX_VNODES + 1))),
        "jump" => Placement::Jump { n: shards },
        "range" => even_ranges(shards.min(MAX_SHARDS + 1)),
        other => return Err(format!("unknown strategy `{other}`, expected one of mod, ring, jump, range")),
    };
    let p = if shards == 0 { Placement::ModN { n: 0 } } else { p };
    p.check()?;
    Ok(p)
}

/// The strategy's scenario name.
pub fn strategy_name(p: &Placement) -> &'static str {
    match p {
        Placement::ModN { .. } => "mod",
        Placement::Ring(_) => "ring",
        Placement::Jump { .. } => "jump",
        Placement::Range { .. } => "range",
    }
}

/// `n` equal keyspace ranges, split points rounded to a byte (or two, past 256 shards) so
/// they read like Vitess shard names: `-55`, `55-aa`, `aa-`.
pub fn even_ranges(n: u32) -> Placement {
    let n = n.max(1) as u128;
    let unit: u128 = if n <= 256 { 1 << 56 } else { 1 << 48 };
    let bounds = (1..n).map(|i| (((i << 64) / n + unit / 2) / unit * unit) as u64).collect();
    Placement::Range { bounds }
}

/// The middle of range `i` (whose end may be the top of the keyspace, 2^64).
pub fn midpoint(bounds: &[u64], i: usize) -> u64 {
    let lo = if i == 0 { 0 } else { bounds[i - 1] as u128 };
    let hi = bounds.get(i).map_or(1u128 << 64, |b| *b as u128);
    ((lo + hi) / 2) as u64
}

/// The index of the widest range.
fn widest(bounds: &[u64]) -> usize {
    let mut best = (0, 0u64);
    for i in 0..=bounds.len() {
        let lo = if i == 0 { 0 } else { bounds[i - 1] };
        let hi = bounds.get(i).copied().unwrap_or(u64::MAX);
        if hi - lo > best.1 {
            best = (i, hi - lo);
        }
    }
    best.0
}

/// A keyspace ID as Vitess writes a range end: hex without trailing zero bytes (`0x8000…` → `80`).
pub fn hex_prefix(b: u64) -> String {
    let text = format!("{b:016x}");
    let mut t = text.as_str();
    while t.len() > 2 && t.ends_with("00") {
        t = &t[..t.len() - 2];
    }
    t.to_string()
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Placement::ModN { n } => write!(f, "hash mod {n}"),
            Placement::Ring(r) => write!(f, "consistent-hash ring, {} shards × {} virtual nodes", r.shards, r.vnodes),
            Placement::Jump { n } => write!(f, "jump consistent hash, {n} shards"),
            Placement::Range { .. } => write!(f, "keyspace ranges {}", self.range_names().join(", ")),
        }
    }
}

/// The fraction (per million) of `keys` whose shard differs between two placements.
pub fn moved_ppm(before: &Placement, after: &Placement, keys: u64) -> u64 {
    let moved = (0..keys).filter(|k| before.shard_of(*k) != after.shard_of(*k)).count() as u64;
    moved * 1_000_000 / keys.max(1)
}

/// Keys per shard for keys `0..keys`.
pub fn spread(p: &Placement, keys: u64) -> Vec<u64> {
    let mut out = vec![0u64; p.shards() as usize];
    for k in 0..keys {
        if let Some(c) = out.get_mut(p.shard_of(k) as usize) {
            *c += 1;
        }
    }
    out
}

/// Load imbalance: the fullest shard against the mean, in per mille (1000 = perfectly even).
pub fn imbalance_permille(counts: &[u64]) -> u64 {
    let total: u64 = counts.iter().sum();
    let max = counts.iter().copied().max().unwrap_or(0);
    (max * 1000 * counts.len() as u64).checked_div(total).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: u64 = 100_000;

    /// Moved fraction when growing from n to n+1 shards, against the ideal, with tolerances.
    #[test]
    fn adding_a_shard_moves_what_theory_says() {
        for n in [4u32, 8, 16] {
            let ideal_min = 1_000_000 / (n as u64 + 1);
            let ideal_mod = 1_000_000 * n as u64 / (n as u64 + 1);
            let m = moved_ppm(&Placement::ModN { n }, &Placement::ModN { n: n + 1 }, KEYS);
            assert!(m.abs_diff(ideal_mod) < 10_000, "mod {n}: moved {m} ppm, theory {ideal_mod}");
            let j = moved_ppm(&Placement::Jump { n }, &Placement::Jump { n: n + 1 }, KEYS);
            assert!(j.abs_diff(ideal_min) < 5_000, "jump {n}: moved {j} ppm, theory {ideal_min}");
            let ring = Placement::Ring(Ring::new(n, 256));
            let r = moved_ppm(&ring, &ring.grown(), KEYS);
            // A ring's new shard takes 1/(n+1) on average; with 256 vnodes its share is within ±25 %.
            assert!(r.abs_diff(ideal_min) < ideal_min / 4, "ring {n}: moved {r} ppm, theory {ideal_min}");
        }
    }

    #[test]
    fn only_keys_for_the_new_shard_move_under_consistent_schemes() {
        for before in [Placement::Jump { n: 7 }, Placement::Ring(Ring::new(7, 64))] {
            let after = before.grown();
            for k in 0..20_000 {
                let (a, b) = (before.shard_of(k), after.shard_of(k));
                assert!(a == b || b == 7, "{before}: key {k} moved from {a} to {b}, not to the new shard");
            }
        }
    }

    #[test]
    fn imbalance_falls_as_virtual_nodes_grow() {
        let imb: Vec<u64> = [1u32, 4, 16, 64, 256].iter().map(|v| imbalance_permille(&spread(&Placement::Ring(Ring::new(8, *v)), KEYS))).collect();
        assert!(imb[0] > 1500, "one point per shard is lopsided: {imb:?}");
        assert!(imb[4] < 1150, "256 virtual nodes are nearly even: {imb:?}");
        assert!(imb.windows(2).filter(|w| w[1] < w[0]).count() >= 3, "imbalance should mostly fall: {imb:?}");
    }

    #[test]
    fn ranges_are_named_like_vitess_shards() {
        assert_eq!(even_ranges(2).range_names(), ["-80", "80-"]);
        assert_eq!(even_ranges(4).range_names(), ["-40", "40-80", "80-c0", "c0-"]);
        let split = even_ranges(2).grown();
        assert_eq!(split.range_names(), ["-40", "40-80", "80-"]);
        assert_eq!(Placement::Range { bounds: vec![0x8000_0000_0000_0000] }.shard_of(1), (keyspace_id(1) >= 0x8000_0000_0000_0000) as u32);
    }

    #[test]
    fn bad_shapes_are_refused() {
        assert!(Placement::ModN { n: 0 }.check().unwrap_err().contains("1 to 1024 shards"));
        assert_eq!(from_strategy("ring", 99_999_999, 64).unwrap_err(), "a sharded table needs 1 to 1024 shards, not 99999999");
        assert!(Placement::Ring(Ring::new(4, 0)).check().unwrap_err().contains("vnodes"));
        assert!(Placement::Range { bounds: vec![5, 5] }.check().is_err());
        assert!(Placement::Jump { n: 2000 }.check().is_err());
    }

    #[test]
    fn jump_matches_the_papers_reference_values() {
        // The test vectors published with the algorithm's ports (key, buckets, bucket).
        for (key, n, want) in [(1, 1, 0), (42, 57, 43), (0xDEAD_10CC, 1, 0), (0xDEAD_10CC, 666, 361), (256, 1024, 520), (1, 128, 55), (129, 128, 120), (u64::MAX, 128, 92)] {
            assert_eq!(jump(key, n), want, "jump({key}, {n})");
        }
    }
}
