//! dbsim's deterministic, sans-IO simulation core: PostgreSQL replication, Patroni failover, and the clients that see it.
//!
//! A run is a pure function of (scenario, seed, command log). There is no I/O, wall clock,
//! thread or shared mutability here; time is [`SimTime`] and randomness comes from one seeded ChaCha8 stream.

// Modules point one way, bottom first (`tests/layers.rs` holds the list and checks it):
// what every component shares (durations and placed errors, settings entries, the events and
// the handle that schedules them);
pub mod base;
pub mod event;
// the model, one folder per component, each with its config section, state, settings and handlers;
pub mod backup;
pub mod clients;
pub mod locks;
pub mod migrate;
pub mod net;
pub mod patroni;
pub mod pipeline;
pub mod pool;
pub mod postgres;
pub mod proxy;
// the commands a lesson, the UI and a link give them, the router (which reshards by command),
// and the properties checked while a world runs;
pub mod command;
pub mod invariants;
pub mod shard;
// the lesson format, which assembles the components' sections;
pub mod scenario;
// the world that holds the components and dispatches events, and its accounting;
pub mod world;
// and the runners that build worlds of their own and run them (the DR drill, a sharded lesson,
// a challenge attempt). Sessions and the views front ends read are the `sim-session` crate,
// which sees only this crate's public API.
pub mod runner;

// The kernel's modules, under their old paths.
pub use sim_kernel::{chunklog, queue, rng, time};
// Short paths for what front ends use most.
pub use backup::pitr;
pub use base::view;
pub use postgres::lsn;
pub use runner::{challenge, drill};
pub use world::{build, metrics, report, trace};

pub use command::{Command, Setting};
pub use lsn::Lsn;
pub use report::Report;
pub use scenario::{Scenario, ScenarioError};
pub use time::{SimDur, SimTime};
pub use world::{SimError, World};

/// Parses a scenario and builds its world with `seed` (the scenario's own seed when `None`).
pub fn load(file: &str, src: &str, seed: Option<u64>) -> Result<(Scenario, World), ScenarioError> {
    let scn = Scenario::parse(file, src)?;
    let world = world_of(file, src, &scn, seed)?;
    Ok((scn, world))
}

/// The world of a parsed scenario of one cluster; a sharded lesson is refused (`Session::new` and
/// `ShardLesson` build its world).
pub fn world_of(file: &str, src: &str, scn: &Scenario, seed: Option<u64>) -> Result<World, ScenarioError> {
    if scn.is_sharded() {
        let at = scenario::toml_de::locate(src, &[scenario::Seg::Key("cluster")]).unwrap_or(0);
        return Err(scenario::toml_de::placed(file, src, at, "cluster".into(), "a sharded lesson: open it on the sharding page, or run it with `dbsim run`".into()));
    }
    World::new(scn, seed.unwrap_or(scn.run.seed)).map_err(|inv| scenario::place(file, src, &inv))
}
