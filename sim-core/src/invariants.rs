//! The model's properties, checked while the simulation runs (the registry is the kernel's).
pub use sim_kernel::props::{PropKind, PropState};

/// A named property. `Always` ones must never be violated; `Sometimes` ones must happen at least once.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(test, derive(strum::EnumIter))]
pub enum Prop {
    SingleWritablePrimary,
    NoAckedCommitLost,
    DiskBelowCapacity,
    Failover,
    CommitAcked,
    WritesBlocked,
}

pub const ALL: [Prop; 6] = [Prop::SingleWritablePrimary, Prop::NoAckedCommitLost, Prop::DiskBelowCapacity, Prop::Failover, Prop::CommitAcked, Prop::WritesBlocked];

impl Prop {
    pub fn name(self) -> &'static str {
        match self {
            Prop::SingleWritablePrimary => "single_writable_primary",
            Prop::NoAckedCommitLost => "no_acked_commit_lost",
            Prop::DiskBelowCapacity => "disk_below_capacity",
            Prop::Failover => "failover",
            Prop::CommitAcked => "commit_acked",
            Prop::WritesBlocked => "writes_blocked",
        }
    }
    pub fn kind(self) -> PropKind {
        match self {
            Prop::SingleWritablePrimary | Prop::NoAckedCommitLost | Prop::DiskBelowCapacity => PropKind::Always,
            _ => PropKind::Sometimes,
        }
    }
    pub fn describe(self) -> &'static str {
        match self {
            Prop::SingleWritablePrimary => "at most one node accepts writes at any moment",
            Prop::NoAckedCommitLost => "every commit acknowledged to a client survives in the leader's history",
            Prop::DiskBelowCapacity => "no node runs out of disk",
            Prop::Failover => "a standby is promoted",
            Prop::CommitAcked => "a client receives a commit acknowledgement",
            Prop::WritesBlocked => "a commit waits 5 s or more for synchronous replication",
        }
    }
    pub fn parse(s: &str) -> Option<Prop> {
        ALL.into_iter().find(|p| p.name() == s)
    }
}

/// The world's property registry.
pub type Invariants = sim_kernel::props::Registry<Prop>;

impl sim_kernel::props::Property for Prop {
    const ALL: &'static [Prop] = &ALL;
    fn name(self) -> &'static str {
        Prop::name(self)
    }
    fn kind(self) -> PropKind {
        Prop::kind(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registry checks only what `ALL` lists: every property is in it once, and reads back
    /// from its name with the kind its description implies.
    #[test]
    fn every_property_is_registered_once() {
        use strum::IntoEnumIterator;
        for p in Prop::iter() {
            assert_eq!(ALL.iter().filter(|q| **q == p).count(), 1, "{p:?} is not registered exactly once in ALL");
            assert_eq!(Prop::parse(p.name()), Some(p));
        }
        assert_eq!(ALL.len(), Prop::iter().count());
        // An Always property is one that must hold at every step, which its description says.
        let always: Vec<Prop> = Prop::iter().filter(|p| p.kind() == PropKind::Always).collect();
        assert_eq!(always, [Prop::SingleWritablePrimary, Prop::NoAckedCommitLost, Prop::DiskBelowCapacity]);
    }
}
