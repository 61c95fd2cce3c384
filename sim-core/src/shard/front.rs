//! The router as the world holds it: a trait object (`Front`), so a page that never builds a
//! sharded world links none of its code, and what a shard's cluster looks like to the router.
//! The world side (building a sharded world, `Ev::RouterOp`, the router's `Backends`) is
//! `world/shards.rs`.
use super::cluster::{Backends, Move, Op, Run};
use crate::command::Command;

/// One shard's cluster at a moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterStatus {
    pub scope: String,
    /// The node taking writes now (`s2/pg2`), if any.
    pub primary: Option<String>,
    pub broken: Vec<(String, String)>,
}

/// The router as the world holds it: behind a trait object, so a browser module that never
/// builds a sharded world links none of the router's code.
pub(crate) trait Front: std::fmt::Debug {
    fn op(&mut self, t: u64, b: &mut dyn Backends) -> Result<Op, (Option<usize>, String)>;
    fn total_us(&self) -> u64;
    fn write_done(&mut self, cluster: u16, key: u64, version: u64, ok: bool);
    fn finish(&mut self) -> Run;
    fn check_move(&self, cmd: &Command) -> Result<Move, String>;
    fn start_now(&mut self, cmd: &Command, t: u64) -> Result<(), String>;
    fn cluster_of(&self, i: usize) -> Option<u16>;
    /// Shards now (a reshard may have added one).
    fn shards(&self) -> usize;
    fn failed(&self) -> Option<&(Option<usize>, String)>;
    fn fail(&mut self, e: (Option<usize>, String));
    fn clone_box(&self) -> Box<dyn Front>;
}

impl Clone for Box<dyn Front> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// Connections from the router to each shard's primary (vtgate's pool per tablet).
pub const POOL: u32 = 64;
