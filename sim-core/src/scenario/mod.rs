//! Scenario files (TOML): topology, settings, workload, scripted commands, expectations and lesson text.
//! Every field is documented in `docs/scenarios.md`. Errors name the file, line, column and field.
pub mod de;
pub mod elements;
#[cfg(feature = "schema")]
pub mod schema;
pub mod toml_de;
pub mod validate;
use crate::command::Command;
use crate::time::SimDur;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// A duration written with a unit, like `"30s"` or `"250ms"`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub SimDur);

impl serde::Serialize for Dur {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}us", self.0 .0))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::scenario::toml_de::parsed(d, |t| crate::time::parse_duration(t).map(Dur))
    }
}

/// A section another component reads from the same text (see `Scenario::table`): here, only that
/// it is there.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Section;

impl<'de> Deserialize<'de> for Section {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Section)
    }
}

const fn dur_ms(v: u64) -> Dur {
    Dur(SimDur::ms(v))
}

#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub lesson: Lesson,
    #[serde(default)]
    pub run: RunCfg,
    #[serde(default)]
    pub network: NetworkCfg,
    #[serde(default)]
    pub regions: Vec<RegionCfg>,
    #[serde(default)]
    pub links: Vec<LinkCfg>,
    /// The cluster's hosts. A sharded lesson has none: its shards' clusters come from `[replication]`.
    #[serde(default)]
    pub nodes: Vec<NodeCfg>,
    #[serde(default)]
    pub postgres: PgCfg,
    #[serde(default)]
    pub patroni: PatroniCfg,
    #[serde(default)]
    pub dcs: PlaceCfg,
    #[serde(default)]
    pub proxy: ProxyCfg,
    #[serde(default)]
    pub workload: WorkloadCfg,
    #[serde(default)]
    pub slots: Vec<SlotCfg>,
    #[serde(default)]
    pub backup: Option<BackupCfg>,
    #[serde(default)]
    pub drill: Option<DrillCfg>,
    #[serde(default)]
    pub timeline: Vec<crate::command::TimedCommand>,
    #[serde(default)]
    pub expect: Expect,
    /// `[challenge]`: the goals are the learner's to reach, with their own commands.
    #[serde(default)]
    pub challenge: Option<Challenge>,
    /// `[pooling]`: users behind app servers with client-side pools, optionally PgBouncer, and
    /// what each backend costs the primary's host (chapter 11's connection pooling).
    #[serde(default)]
    pub pooling: Option<crate::pool::PoolingCfg>,
    // The sections of a sharded lesson (chapter 10). Their contents belong to the `shard`
    // component (`shard::lesson::Sections`), which reads them when it builds the lesson; here they
    // only make the lesson sharded, so a page that opens only clusters links no parser for them.
    /// `[table]`: the sharded table, its columns and its shard key.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::shard::lesson::TableFile>"))]
    pub table: Option<Section>,
    /// `[cluster]`: the shards and their placement strategy.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::shard::lesson::ClusterFile>"))]
    pub cluster: Option<Section>,
    /// `[[reshard]]`: online reshards at given times.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<crate::shard::lesson::ReshardFile>"))]
    pub reshard: Option<Section>,
    /// `[replication]`: each shard its own Patroni cluster.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::shard::replicas::ReplicaCfg>"))]
    pub replication: Option<Section>,
    /// `[partitioning]`, `[scatter]`, `[join]`: calculators beside the run.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::shard::lesson::PartitionCfg>"))]
    pub partitioning: Option<Section>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::shard::lesson::ScatterCfg>"))]
    pub scatter: Option<Section>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::shard::lesson::JoinCfg>"))]
    pub join: Option<Section>,
}

/// `[challenge]`: a lesson whose `[expect]` goals the learner must reach with their own commands
/// (settings, faults, restores), against what the `[[timeline]]` throws at the cluster. It ships
/// with a reference solution that the tests replay: it must meet every goal for any seed, and
/// doing nothing must not.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// The course ability it proves.
    pub ability: Ability,
    /// What the learner must do, in a sentence or two.
    pub task: String,
    /// Hints, shown one at a time on request.
    #[serde(default)]
    pub hints: Vec<String>,
    /// A reference solution: commands, written like `[[timeline]]` entries (a lesson of one
    /// cluster).
    #[serde(default)]
    pub solution: Vec<crate::command::TimedCommand>,
    /// A reference design: the sharded table's shard key and placement (a sharded lesson).
    #[serde(default)]
    pub design: Option<Design>,
    /// The wrong answers the hints and the learn list warn about (`[[challenge.traps]]`). Each
    /// must miss the challenge for every seed, so a hint never describes an answer that the
    /// page would grade as met. A challenge names at least one.
    #[serde(default)]
    pub traps: Vec<Trap>,
}

/// A wrong answer to a challenge: commands (a lesson of one cluster) or a design (a sharded
/// lesson), and why it misses, in the words of the hint that warns about it.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Trap {
    /// Why it misses.
    pub why: String,
    /// The learner's commands, written like `[[timeline]]` entries.
    #[serde(default)]
    pub commands: Vec<crate::command::TimedCommand>,
    /// The learner's design (a sharded lesson).
    #[serde(default)]
    pub design: Option<Design>,
}

impl Trap {
    /// The trap's commands as a learner's log.
    pub fn log(&self) -> Vec<(SimDur, Command)> {
        self.commands.iter().map(|tc| (tc.at.0, tc.command.clone())).collect()
    }
}

/// The choices a sharded lesson's learner makes before the run: the shard key and the placement
/// (the sharding page's selects). Unset fields keep the lesson's own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Design {
    pub shard_key: Option<String>,
    /// `mod`, `ring`, `jump` or `range`.
    pub strategy: Option<String>,
    pub shards: Option<u32>,
    /// How a key's value becomes a keyspace id: `hash` (spread neighbours apart) or `numeric`
    /// (the value itself, so a range owns consecutive values, as Vitess's `numeric` vindex).
    pub vindex: Option<String>,
}

impl Design {
    /// Whether the design changes anything at all.
    pub fn is_empty(&self) -> bool {
        self.shard_key.is_none() && self.strategy.is_none() && self.shards.is_none() && self.vindex.is_none()
    }
}

/// The six abilities the course promises ("you will be able to…").
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Ability {
    /// Fail over in under 30 s with Patroni.
    Failover,
    /// Choose a shard key that avoids hotspots.
    ShardKey,
    /// Read a full EXPLAIN ANALYZE of a multi-table join.
    ExplainAnalyze,
    /// Run an expand-contract migration with zero downtime.
    Migration,
    /// Design backups that meet an RPO/RTO SLA.
    BackupSla,
    /// Run a Debezium CDC pipeline.
    Cdc,
}

impl Ability {
    /// The ability as the course states it.
    pub fn text(self) -> &'static str {
        match self {
            Ability::Failover => "fail over in under 30 s with Patroni",
            Ability::ShardKey => "choose a shard key that avoids hotspots",
            Ability::ExplainAnalyze => "read a full EXPLAIN ANALYZE of a multi-table join",
            Ability::Migration => "run an expand-contract migration with zero downtime",
            Ability::BackupSla => "design backups that meet an RPO/RTO SLA",
            Ability::Cdc => "run a Debezium CDC pipeline",
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    pub title: String,
    #[serde(default)]
    pub chapter: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub watch: Vec<Watch>,
    #[serde(default)]
    pub learn: Vec<String>,
    /// The groups of settings the page offers the learner, of `replication`
    /// (`synchronous_commit`, `synchronous_standby_names`, Patroni's synchronous mode), `patroni`
    /// (its timings), `pgbouncer` and `backup`. Unset: every group the lesson has. A lesson about
    /// something else (connection pooling) offers only what bears on it.
    #[serde(default)]
    pub settings: Option<Vec<String>>,
}

/// The groups of settings a page can offer, in the order it shows them.
pub const SETTING_GROUPS: [&str; 4] = ["replication", "patroni", "pgbouncer", "backup"];

/// The group a setting belongs to (`SETTING_GROUPS`).
pub fn setting_group(key: &str) -> &'static str {
    match key {
        "ttl" | "loop_wait" | "retry_timeout" | "maximum_lag_on_failover" | "fencing" => "patroni",
        "pool_mode" | "default_pool_size" | "reserve_pool_size" | "max_client_conn" | "max_prepared_statements" | "query_wait_timeout" => "pgbouncer",
        "archive_timeout" | "base_backup_every" => "backup",
        _ => "replication",
    }
}

impl Scenario {
    /// Whether the page offers this lesson's settings of `group`.
    pub fn offers(&self, group: &str) -> bool {
        self.lesson.settings.as_ref().is_none_or(|g| g.iter().any(|x| x == group))
    }
}

/// Something the learner should watch, and the page elements that show it (`shows`, names from
/// [`elements::ELEMENTS`]), so a lesson can only point at what the screen shows. Written as a
/// plain string or as `{ text = "…", shows = ["ttl-countdown"] }`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(from = "WatchFile")]
pub struct Watch {
    pub text: String,
    pub shows: Vec<String>,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
enum WatchFile {
    Text(String),
    Item(WatchItem),
}

#[derive(Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct WatchItem {
    text: String,
    #[serde(default)]
    shows: Vec<String>,
}

impl From<WatchFile> for Watch {
    fn from(w: WatchFile) -> Watch {
        match w {
            WatchFile::Text(text) => Watch { text, shows: Vec::new() },
            WatchFile::Item(i) => Watch { text: i.text, shows: i.shows },
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct RunCfg {
    pub seed: u64,
    pub duration: Dur,
    pub max_events: u64,
    pub max_queue: u64,
}

impl Default for RunCfg {
    fn default() -> Self {
        RunCfg { seed: 1, duration: Dur(SimDur::secs(120)), max_events: 200_000_000, max_queue: 1_000_000 }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct NetworkCfg {
    pub same_zone_rtt: Dur,
    pub cross_zone_rtt: Dur,
    pub jitter: Dur,
}

impl Default for NetworkCfg {
    fn default() -> Self {
        NetworkCfg { same_zone_rtt: Dur(SimDur::us(200)), cross_zone_rtt: dur_ms(1), jitter: Dur(SimDur::us(100)) }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RegionCfg {
    pub name: String,
    #[serde(default = "one_zone")]
    pub zones: Vec<String>,
}

fn one_zone() -> Vec<String> {
    vec!["a".to_string()]
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkCfg {
    pub between: [String; 2],
    pub rtt: Dur,
    #[serde(default = "zero_dur")]
    pub jitter: Dur,
}

fn zero_dur() -> Dur {
    Dur(SimDur::ZERO)
}

#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PlaceCfg {
    pub region: Option<String>,
    pub zone: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NodeCfg {
    pub name: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub zone: Option<String>,
    #[serde(default = "default_disk_mb")]
    pub disk_mb: u64,
    #[serde(default = "default_data_mb")]
    pub data_mb: u64,
}

fn default_disk_mb() -> u64 {
    100_000
}
fn default_data_mb() -> u64 {
    1_000
}

/// `synchronous_commit`: when a commit returns to the client.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, Deserialize)]
#[serde(try_from = "String")]
pub enum SyncCommit {
    Off,
    Local,
    RemoteWrite,
    On,
    RemoteApply,
}

impl TryFrom<String> for SyncCommit {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        SyncCommit::parse(&s)
    }
}

impl SyncCommit {
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "off" => Self::Off,
            "local" => Self::Local,
            "remote_write" => Self::RemoteWrite,
            "on" => Self::On,
            "remote_apply" => Self::RemoteApply,
            _ => return Err(format!("`{s}` is not one of off, local, remote_write, on, remote_apply")),
        })
    }
    pub const ALL: [SyncCommit; 5] = [Self::Off, Self::Local, Self::RemoteWrite, Self::On, Self::RemoteApply];
    pub fn name(self) -> &'static str {
        ["off", "local", "remote_write", "on", "remote_apply"][self as usize]
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PgCfg {
    pub synchronous_commit: SyncCommit,
    pub synchronous_standby_names: String,
    pub wal_writer_delay: Dur,
    pub fsync: Dur,
    pub replay: Dur,
    pub wal_bytes_per_commit: u64,
    pub promote: Dur,
    pub startup: Dur,
    pub wal_receiver_timeout: Dur,
    pub wal_sender_timeout: Dur,
    pub wal_retrieve_retry_interval: Dur,
    pub checkpoint_timeout: Dur,
    pub max_wal_size_mb: u64,
    pub max_slot_wal_keep_size_mb: i64,
    pub stream_mb_s: u64,
    pub rewind_mb_s: u64,
    pub clone_mb_s: u64,
    /// `max_connections` (the `[pooling]` model's backends count against it; 3 are reserved for superusers).
    pub max_connections: u64,
}

impl Default for PgCfg {
    fn default() -> Self {
        PgCfg {
            synchronous_commit: SyncCommit::On,
            synchronous_standby_names: String::new(),
            wal_writer_delay: dur_ms(200),
            fsync: dur_ms(1),
            replay: Dur(SimDur::us(100)),
            wal_bytes_per_commit: 256,
            promote: dur_ms(1000),
            startup: dur_ms(2000),
            wal_receiver_timeout: Dur(SimDur::secs(60)),
            wal_sender_timeout: Dur(SimDur::secs(60)),
            wal_retrieve_retry_interval: Dur(SimDur::secs(5)),
            checkpoint_timeout: Dur(SimDur::secs(300)),
            max_wal_size_mb: 1024,
            max_slot_wal_keep_size_mb: -1,
            stream_mb_s: 100,
            rewind_mb_s: 100,
            clone_mb_s: 100,
            max_connections: 100,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PatroniCfg {
    pub ttl: u64,
    pub loop_wait: u64,
    pub retry_timeout: u64,
    pub maximum_lag_on_failover: u64,
    pub synchronous_mode: bool,
    pub synchronous_mode_strict: bool,
    pub use_pg_rewind: bool,
    pub fencing: bool,
    pub dcs_attempt: Dur,
}

impl Default for PatroniCfg {
    fn default() -> Self {
        PatroniCfg {
            ttl: 30,
            loop_wait: 10,
            retry_timeout: 10,
            maximum_lag_on_failover: 1_048_576,
            synchronous_mode: false,
            synchronous_mode_strict: false,
            use_pg_rewind: true,
            fencing: true,
            dcs_attempt: dur_ms(1000),
        }
    }
}

impl PatroniCfg {
    /// Patroni's own limits and the rule `loop_wait + 2 * retry_timeout <= ttl`.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (field, v) in [("ttl", self.ttl), ("loop_wait", self.loop_wait), ("retry_timeout", self.retry_timeout)] {
            if v > 86_400 {
                return Err((field, format!("{field} = {v} s is more than a day")));
            }
        }
        if self.ttl < 20 {
            return Err(("ttl", format!("ttl = {} is below Patroni's minimum of 20 s", self.ttl)));
        }
        if self.loop_wait < 1 {
            return Err(("loop_wait", "loop_wait must be at least 1 s".into()));
        }
        if self.retry_timeout < 3 {
            return Err(("retry_timeout", format!("retry_timeout = {} is below Patroni's minimum of 3 s", self.retry_timeout)));
        }
        if self.loop_wait + 2 * self.retry_timeout > self.ttl {
            return Err((
                "ttl",
                format!(
                    "loop_wait + 2 * retry_timeout = {} + 2 * {} = {} exceeds ttl = {}: a leader cut off from the DCS could not demote itself before its key expires, so two primaries could run",
                    self.loop_wait,
                    self.retry_timeout,
                    self.loop_wait + 2 * self.retry_timeout,
                    self.ttl
                ),
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ProxyCfg {
    pub region: Option<String>,
    pub zone: Option<String>,
    pub check_interval: Dur,
    pub fall: u32,
    pub rise: u32,
}

impl Default for ProxyCfg {
    fn default() -> Self {
        ProxyCfg { region: None, zone: None, check_interval: dur_ms(3000), fall: 3, rise: 2 }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyDist {
    Uniform,
    Zipf,
}

/// `[drill]`: the SLA and the disasters `dbsim drill` runs the backup strategy against.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct DrillCfg {
    pub rpo: Dur,
    pub rto: Dur,
    /// When each disaster strikes.
    pub at: Dur,
    pub disasters: Vec<String>,
    /// The backups and WAL archive are also copied to another region.
    pub cross_region_copy: bool,
    /// For `archive_failure`: how long `archive_command` fails before the primary's disk dies.
    pub archive_failure_for: Dur,
}

impl Default for DrillCfg {
    fn default() -> Self {
        DrillCfg {
            rpo: Dur(SimDur::secs(60)),
            rto: Dur(SimDur::secs(900)),
            at: Dur(SimDur::secs(600)),
            disasters: ["operator_error", "primary_disk", "region", "archive_failure", "corrupt_backup"].map(String::from).to_vec(),
            cross_region_copy: false,
            archive_failure_for: Dur(SimDur::secs(600)),
        }
    }
}

impl DrillCfg {
    /// The default drill fitted into a run of `duration`: the disaster and the archive outage
    /// move earlier so that two minutes remain after them, as validation requires.
    pub fn fitting(duration: SimDur) -> DrillCfg {
        let mut d = DrillCfg::default();
        let settle = SimDur::secs(120).0;
        let room = duration.0.saturating_sub(settle);
        if d.at.0 .0 + d.archive_failure_for.0 .0 > room {
            let half = SimDur(room / 2);
            d.archive_failure_for = Dur(SimDur(half.0.min(d.archive_failure_for.0 .0)));
            d.at = Dur(SimDur(room - d.archive_failure_for.0 .0));
        }
        d
    }
}

pub const DISASTERS: [&str; 5] = ["operator_error", "primary_disk", "region", "archive_failure", "corrupt_backup"];

/// `[backup]`: WAL archiving, base backups and point-in-time recovery.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct BackupCfg {
    /// `archive_mode = on` with an `archive_command` copying to an object store.
    pub archive: bool,
    /// Force a segment switch after this long (0: off).
    pub archive_timeout: Dur,
    /// Time for `archive_command` to copy one segment.
    pub archive_latency: Dur,
    /// Take a base backup at the start and then every this long (0: on demand only).
    pub base_backup_every: Dur,
    pub backup_mb_s: u64,
    pub restore_mb_s: u64,
    pub replay_mb_s: u64,
    /// Base backups kept; older ones and the WAL before the oldest kept are deleted.
    pub keep_backups: u64,
    /// Wall-clock time (UTC) at t = 0, for `recovery_target_time` and history files.
    pub clock: String,
}

impl Default for BackupCfg {
    fn default() -> Self {
        BackupCfg {
            archive: true,
            archive_timeout: Dur(SimDur::ZERO),
            archive_latency: dur_ms(1000),
            base_backup_every: Dur(SimDur::ZERO),
            backup_mb_s: 200,
            restore_mb_s: 200,
            replay_mb_s: 100,
            keep_backups: 3,
            clock: "2026-01-01T00:00:00Z".into(),
        }
    }
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

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SlotCfg {
    pub name: String,
    pub node: String,
    #[serde(default = "yes")]
    pub consumer_running: bool,
    #[serde(default = "one_second")]
    pub confirm_interval: Dur,
}

fn yes() -> bool {
    true
}
fn one_second() -> Dur {
    Dur(SimDur::secs(1))
}

/// An enum written in snake_case in scenario files, with `ALL` its variants and `name` the spelling.
macro_rules! named {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident),* $(,)? }) => {
        $(#[$m])* pub enum $name { $($(#[$vm])* $v),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            pub fn name(self) -> String {
                snake_case(&format!("{self:?}"))
            }
        }
        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": $name::ALL.iter().map(|v| v.name()).collect::<Vec<_>>() })
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::scenario::toml_de::parsed(d, |t| {
                    $name::ALL.iter().copied().find(|v| v.name() == t).ok_or_else(|| {
                        let names: Vec<String> = $name::ALL.iter().map(|v| format!("`{}`", v.name())).collect();
                        format!("unknown variant `{t}`, expected one of {}", names.join(", "))
                    })
                })
            }
        }
    };
}

/// A number bound: `{ min = 1 }`, `{ max = 30 }` or both.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Bound {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

named! {
/// Run-level metrics an expectation can bound.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    CommitsAcked,
    CommitsFailed,
    CommitsLost,
    RpoMs,
    Failovers,
    FalseFailovers,
    FailoverMaxS,
    CommitP50Ms,
    CommitP99Ms,
    MaxWriteGapS,
    SyncWaitsCanceled,
    FinalTimeline,
    BaseBackups,
    SegmentsArchived,
    SegmentsPending,
    Restores,
    RestoresStoppedEarly,
    LastRestoreRows,
    LastRestoreTimeline,
    LastRestoreS,
    RestoresRefused,
    LastRestoreRpoS,
    // The figures of a `[pooling]` lesson: the users' requests, PgBouncer, the primary's host.
    RequestsOfferedPerS,
    RequestsServedPerS,
    RequestP95Ms,
    RequestsFailed,
    TooManyClients,
    ConnectionTimeouts,
    QueryWaitTimeouts,
    ServerConnsLost,
    StatementModeErrors,
    PreparedStatementErrors,
    SetLeaks,
    AdvisoryLocksOrphaned,
    MaxBackends,
    MaxMemoryPct,
    MaxClWaiting,
    // The figures of a sharded lesson (chapter 10): its router, its shards' clusters, its calculators.
    Ops,
    AckedWrites,
    FailedWrites,
    LostWrites,
    MisroutedWrites,
    HotSeconds,
    FirstHotShard,
    P99Ms,
    Reshards,
    KeysMovedPermille,
    MaxPauseMs,
    WritesFailed,
    ShardFailovers,
    PartitionsScanned,
    PartitionsDetached,
    ScatterP99Ratio,
    ColocatedRowsMoved,
    RedistributedRowsMoved,
}
}

impl Metric {
    /// Whether a sharded lesson measures this figure (`commits_lost` sums its shards' clusters).
    pub fn sharded(self) -> bool {
        self == Metric::CommitsLost || self >= Metric::Ops
    }
    /// Whether a lesson of one cluster measures it.
    pub fn clustered(self) -> bool {
        self < Metric::Ops
    }
}

named! {
/// Per-node metrics an expectation can bound.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeMetric {
    MaxReplayLagMs,
    MaxReplayLagBytes,
    MaxDiskPct,
}
}

#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Expect {
    pub final_primary: Option<String>,
    /// The node that must not lead at the end ("a standby was promoted", whichever one).
    pub final_primary_not: Option<String>,
    pub metrics: BTreeMap<Metric, Bound>,
    pub nodes: BTreeMap<String, BTreeMap<NodeMetric, Bound>>,
    pub always: Vec<String>,
    pub sometimes: Vec<String>,
    pub violated: Vec<String>,
    /// What the lesson's DR drill shows: the backup strategy meets its SLA, or misses it.
    pub drill: Option<DrillVerdict>,
}

/// The verdict a lesson expects from its `[drill]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DrillVerdict {
    /// Every disaster is recovered within the RPO and the RTO.
    Meets,
    /// At least one disaster is not: the point of the lesson.
    Misses,
}

/// `CommitP50Ms` → `commit_p50_ms`: the names scenario files use for enum variants.
pub fn snake_case(camel: &str) -> String {
    camel.chars().fold(String::new(), |mut s, c| {
        if c.is_uppercase() && !s.is_empty() {
            s.push('_');
        }
        s.push(c.to_ascii_lowercase());
        s
    })
}

/// A scenario error with its place in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: field `{}`: {}", self.file, self.line, self.column, self.field, self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// A path into the document: table keys and array indices.
#[derive(Clone, Debug)]
pub enum Seg {
    Key(&'static str),
    Name(String),
    Index(usize),
}

impl Seg {
    pub(crate) fn key(&self) -> &str {
        match self {
            Seg::Key(k) => k,
            Seg::Name(k) => k,
            Seg::Index(_) => "",
        }
    }
}

/// A validation failure before it is placed in the file.
#[derive(Clone, Debug)]
pub struct Invalid {
    pub path: Vec<Seg>,
    pub message: String,
}

pub fn invalid(path: Vec<Seg>, message: impl Into<String>) -> Invalid {
    Invalid { path, message: message.into() }
}

/// Limits that keep a scenario from exhausting the page.
pub const MAX_NODES: usize = 64;
pub const MAX_CLIENTS: u64 = 100_000;
pub const MAX_DURATION: SimDur = SimDur::secs(48 * 3600);

impl Scenario {
    /// Parses and validates `src`; `file` names it in errors.
    pub fn parse(file: &str, src: &str) -> Result<Scenario, ScenarioError> {
        let scn: Scenario = crate::scenario::toml_de::from_str(file, src)?;
        scn.validate().map_err(|inv| place(file, src, &inv))?;
        Ok(scn)
    }

    /// Whether this is a sharded lesson (chapter 10): it has any of the sharding sections.
    pub fn is_sharded(&self) -> bool {
        self.table.is_some() || self.cluster.is_some() || self.reshard.is_some() || self.replication.is_some() || self.partitioning.is_some() || self.scatter.is_some() || self.join.is_some()
    }

    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    fn validate(&self) -> Result<(), Invalid> {
        crate::scenario::validate::scenario(self)
    }

    /// The scripted commands in the order written (`World::schedule` turns an outage with a
    /// `duration` into the outage and its restore).
    pub fn commands(&self) -> Vec<(SimDur, Command)> {
        self.timeline.iter().map(|tc| (tc.at.0, tc.command.clone())).collect()
    }

    /// A challenge's reference solution as a command log (empty for other lessons).
    pub fn solution(&self) -> Vec<(SimDur, Command)> {
        self.challenge.iter().flat_map(|c| &c.solution).map(|tc| (tc.at.0, tc.command.clone())).collect()
    }
}

/// Finds where `inv.path` sits in `src` (falling back to the deepest part that exists).
pub fn place(file: &str, src: &str, inv: &Invalid) -> ScenarioError {
    let at = crate::scenario::toml_de::locate(src, &inv.path).unwrap_or(0);
    crate::scenario::toml_de::placed(file, src, at, path_text(&inv.path), inv.message.clone())
}

fn path_text(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
            named => push_key(&mut s, named.key()),
        }
    }
    s
}

pub(crate) fn push_key(s: &mut String, k: &str) {
    if !s.is_empty() {
        s.push('.');
    }
    s.push_str(k);
}
