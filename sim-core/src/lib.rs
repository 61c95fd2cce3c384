//! dbsim's deterministic, sans-IO simulation core: PostgreSQL replication, Patroni failover, and the clients that see it.
//!
//! A run is a pure function of (scenario, seed, command log). There is no I/O, wall clock,
//! thread or shared mutability here; time is [`SimTime`] and randomness comes from one seeded ChaCha8 stream.

// The model, one folder per component: each owns its state and its events' handlers.
pub mod backup;
pub mod clients;
pub mod net;
pub mod patroni;
pub mod postgres;
pub mod proxy;
pub mod shard;
// The world that holds the components and dispatches events, and its accounting.
pub mod world;
// Above the model: lessons, commands, sessions and the views front ends read.
pub mod command;
pub mod scenario;
pub mod session;
pub mod view;

// The kernel's modules, under their old paths.
pub use sim_kernel::{chunklog, queue, rng, time};
// Short paths for what front ends use most.
pub use backup::{drill, pitr};
pub use postgres::lsn;
pub use world::{build, invariants, metrics, report, trace};

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
