//! Chapter 10: partitioning on one node, then sharding (placement strategies, a router, per-shard
//! load and hotspots, scatter-gather, online resharding).
pub mod cfg;
pub mod cluster;
pub mod front;
pub mod partition;
pub mod placement;
pub mod query;
