//! dbsim's deterministic, sans-IO simulation core: PostgreSQL replication, Patroni failover, and the clients that see it.
//!
//! A run is a pure function of (scenario, seed, command log). There is no I/O, wall clock,
//! thread or shared mutability here; time is [`SimTime`] and randomness comes from one seeded ChaCha8 stream.

pub mod backup;
// The kernel's modules, under their old paths.
pub use sim_kernel::{chunklog, queue, rng, time};
pub mod build;
pub mod clients;
pub mod command;
pub mod command_check;
pub mod drill;
pub mod faults;
pub mod ha;
pub mod invariants;
pub mod lsn;
pub mod metrics;
pub mod net;
pub mod periodic;
pub mod pg;
pub mod pitr;
pub mod replication;
pub mod report;
pub mod scenario;
pub mod session;
pub mod shard;
pub mod toml_de;
pub mod trace;
pub mod validate;
pub mod view;
pub mod world;

pub use command::{Command, Setting};
pub use lsn::Lsn;
pub use report::Report;
pub use scenario::{Scenario, ScenarioError};
pub use session::Session;
pub use time::{SimDur, SimTime};
pub use world::{SimError, World};

/// Parses a scenario and builds its world with `seed` (the scenario's own seed when `None`).
pub fn load(file: &str, src: &str, seed: Option<u64>) -> Result<(Scenario, World), ScenarioError> {
    let scn = Scenario::parse(file, src)?;
    let world = World::new(&scn, seed.unwrap_or(scn.run.seed)).map_err(|inv| scenario::place(file, src, &inv))?;
    Ok((scn, world))
}
