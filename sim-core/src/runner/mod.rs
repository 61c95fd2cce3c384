//! Runners: code that builds worlds and runs them to an end, above the world and the lesson
//! format. The DR drill (each disaster on a fresh world), a sharded lesson (the router and a
//! Patroni cluster per shard) and its shards' clusters, and a challenge attempt.
pub mod challenge;
pub mod drill;
pub mod replicas;
pub mod sharded;
