//! The sharding sections of the lesson format (`[table]`, `[cluster]`, `[[reshard]]`,
//! `[replication]`, `[partitioning]`, `[scatter]`, `[join]`), as a lesson file writes them; the
//! runner (`runner::sharded`) resolves them into a `ShardLesson`.
use crate::base::Dur;
use crate::postgres::cfg::SyncCommit;
use crate::time::SimDur;
use serde::Deserialize;

/// `[partitioning]`: a time-series table partitioned by month, a query, and retention.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PartitionCfg {
    pub table: String,
    pub column: String,
    pub year: i64,
    pub first_month: u32,
    pub months: u32,
    pub rows_per_day: u64,
    /// The query: rows from this month (1-12, same year) only.
    pub query_month: u32,
    /// Keep only this many newest months (detach older ones); 0 keeps all.
    pub retain_months: u32,
}

impl Default for PartitionCfg {
    fn default() -> Self {
        PartitionCfg { table: "events".into(), column: "created_on".into(), year: 2026, first_month: 1, months: 12, rows_per_day: 100, query_month: 1, retain_months: 0 }
    }
}

/// `[scatter]`: scatter-gather tail latency at several shard counts.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ScatterCfg {
    pub shards: Vec<u32>,
    #[serde(default = "one_ms")]
    pub base: Dur,
    #[serde(default = "two_ms")]
    pub mean: Dur,
    #[serde(default = "four_thousand")]
    pub queries: u32,
}

fn one_ms() -> Dur {
    Dur(SimDur::ms(1))
}
fn two_ms() -> Dur {
    Dur(SimDur::ms(2))
}
fn four_thousand() -> u32 {
    4000
}

/// `[join]`: orders joined to customers on customer_id, with orders sharded by customer_id
/// (co-located with customers) and by order_id (not co-located).
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct JoinCfg {
    pub shards: u32,
    pub orders: u64,
    pub customers: u64,
}

impl Default for JoinCfg {
    fn default() -> Self {
        JoinCfg { shards: 8, orders: 5000, customers: 400 }
    }
}

/// `[replication]` in a sharding lesson.
#[derive(Clone, Debug, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ReplicaCfg {
    /// Standbys per shard (0 to 4).
    pub replicas: u32,
    pub synchronous_commit: SyncCommit,
    /// Crash this shard's primary host at `fail_at` (by index), to watch one shard fail over.
    pub fail_shard: Option<u32>,
    pub fail_at: Dur,
}

impl Default for ReplicaCfg {
    fn default() -> Self {
        ReplicaCfg { replicas: 1, synchronous_commit: SyncCommit::On, fail_shard: None, fail_at: Dur(crate::time::SimDur::secs(20)) }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TableFile {
    pub name: String,
    pub columns: Vec<ColumnFile>,
    pub shard_key: String,
    #[serde(default)]
    pub vindex: VindexFile,
}

#[derive(Debug, Deserialize, Default, Clone, Copy)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum VindexFile {
    #[default]
    Hash,
    Numeric,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ColumnFile {
    pub name: String,
    #[serde(default = "hundred_thousand")]
    pub keys: u64,
    #[serde(default)]
    pub distribution: DistFile,
    pub zipf_s: Option<f64>,
    pub celebrity_key: Option<u64>,
    pub celebrity_share: Option<f64>,
}

fn hundred_thousand() -> u64 {
    100_000
}

#[derive(Debug, Deserialize, Default, Clone, Copy)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DistFile {
    #[default]
    Uniform,
    Zipf,
    Celebrity,
    Monotonic,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ClusterFile {
    pub strategy: String,
    pub shards: Option<u32>,
    pub vnodes: u32,
    pub shard_capacity: u64,
    pub rtt: Dur,
    pub copy_rows_s: u64,
    pub apply_rows_s: u64,
    pub write_timeout: Dur,
}

impl Default for ClusterFile {
    fn default() -> Self {
        ClusterFile { strategy: "ring".into(), shards: None, vnodes: 64, shard_capacity: 2000, rtt: Dur(SimDur::ms(1)), copy_rows_s: 20_000, apply_rows_s: 50_000, write_timeout: Dur(SimDur::secs(2)) }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReshardFile {
    pub at: Dur,
    pub kind: ReshardKind,
    pub shard: Option<u32>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReshardKind {
    Add,
    Split,
    MoveRange,
}
