//! Properties checked while the simulation runs, in stateright's Always / Sometimes style.
use crate::time::SimTime;
use serde::Serialize;

/// A named property. `Always` ones must never be violated; `Sometimes` ones must happen at least once.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Prop {
    SingleWritablePrimary,
    NoAckedCommitLost,
    DiskBelowCapacity,
    Failover,
    CommitAcked,
    WritesBlocked,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PropKind {
    Always,
    Sometimes,
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

/// The state of one property: for Always, `holds` until violated; for Sometimes, `holds` once seen.
#[derive(Clone, Debug, Serialize)]
pub struct PropState {
    pub name: &'static str,
    pub kind: PropKind,
    pub holds: bool,
    pub at_ms: Option<u64>,
    pub detail: String,
}

#[derive(Clone, Debug)]
pub struct Invariants {
    pub states: Vec<PropState>,
}

impl Default for Invariants {
    fn default() -> Self {
        let states = ALL.iter().map(|p| PropState { name: p.name(), kind: p.kind(), holds: p.kind() == PropKind::Always, at_ms: None, detail: String::new() }).collect();
        Invariants { states }
    }
}

impl Invariants {
    fn slot(&mut self, p: Prop) -> &mut PropState {
        &mut self.states[ALL.iter().position(|x| *x == p).unwrap_or(0)]
    }
    /// Records the first violation of an Always property.
    pub fn violate(&mut self, p: Prop, at: SimTime, detail: String) {
        let s = self.slot(p);
        if s.holds && s.kind == PropKind::Always {
            s.holds = false;
            s.at_ms = Some(at.as_ms());
            s.detail = detail;
        }
    }
    /// Records the first time a Sometimes property happens.
    pub fn observe(&mut self, p: Prop, at: SimTime, detail: String) {
        let s = self.slot(p);
        if !s.holds && s.kind == PropKind::Sometimes {
            s.holds = true;
            s.at_ms = Some(at.as_ms());
            s.detail = detail;
        }
    }
    pub fn get(&self, p: Prop) -> &PropState {
        &self.states[ALL.iter().position(|x| *x == p).unwrap_or(0)]
    }
}
