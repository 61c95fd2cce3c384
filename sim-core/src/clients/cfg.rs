//! `[workload]`: the closed-loop clients, their rates, keys and timeouts.
use crate::base::{dur_ms, Dur};
use crate::time::SimDur;
use serde::Deserialize;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyDist {
    Uniform,
    Zipf,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct WorkloadCfg {
    pub clients: u64,
    pub write_tps: f64,
    pub read_tps: f64,
    pub keys: u64,
    pub distribution: KeyDist,
    pub zipf_s: f64,
    pub region: Option<String>,
    pub zone: Option<String>,
    pub timeout: Dur,
    pub backoff: Dur,
    /// A sharded lesson's router: operations per second (Poisson arrivals), and the share that are reads.
    pub ops_per_s: Option<u64>,
    pub read_share: Option<f64>,
}

impl Default for WorkloadCfg {
    fn default() -> Self {
        WorkloadCfg {
            clients: 20,
            write_tps: 200.0,
            read_tps: 0.0,
            keys: 10_000,
            distribution: KeyDist::Uniform,
            zipf_s: 1.1,
            region: None,
            zone: None,
            timeout: Dur(SimDur::secs(10)),
            backoff: dur_ms(500),
            ops_per_s: None,
            read_share: None,
        }
    }
}
