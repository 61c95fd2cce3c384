//! The catalog the planner shares with the cluster world (crate `sim-catalog`, below both).
pub use sim_catalog::*;
