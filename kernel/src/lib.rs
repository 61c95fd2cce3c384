//! The simulation kernel: what any deterministic discrete-event simulation needs, and nothing
//! about databases. Simulated time ([`time`]), named ChaCha8 streams from one seed ([`rng`]), the
//! bounded `(time, seq)` event queue ([`queue`]), the append-only log of shared chunks that makes
//! snapshots cheap ([`chunklog`]), the stable 64-bit trace hash ([`hash`]) and the Always /
//! Sometimes property registry ([`props`]). The model (`sim-core`) sits on top; nothing here
//! depends on it.

// The browser's generator; natively it is compiled only to be tested against `chacha20`.
#[cfg(any(test, all(target_arch = "wasm32", target_feature = "simd128")))]
mod chacha;
pub mod chunklog;
pub mod hash;
pub mod props;
pub mod queue;
pub mod rng;
pub mod time;

pub use time::{SimDur, SimTime};

#[cfg(test)]
mod layer {
    /// The kernel knows no database words: the model's vocabulary stays in `sim-core`.
    #[test]
    fn no_database_words() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let words = ["postgres", "patroni", "replica", "standby", "primary", "wal", "lsn", "commit", "shard", "backup", "leader"];
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap().to_ascii_lowercase();
            let text = text.split("mod layer").next().unwrap_or_default().to_string();
            for w in words {
                let hit = text.match_indices(w).any(|(i, _)| {
                    let before = text[..i].chars().next_back().is_none_or(|c| !c.is_ascii_alphanumeric());
                    let after = text[i + w.len()..].chars().next().is_none_or(|c| !c.is_ascii_alphanumeric() || c == 's');
                    before && after
                });
                assert!(!hit, "{} mentions `{w}`", entry.path().display());
            }
        }
    }
}
