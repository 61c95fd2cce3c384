//! Scenario files (TOML): topology, settings, workload, scripted commands, expectations and lesson text.
//! Every field is documented in `docs/scenarios.md`. Errors name the file, line, column and field.
#[cfg(feature = "schema")]
pub mod schema;
pub mod validate;
pub use crate::backup::cfg::BackupCfg;
pub use crate::base::{de, dur_ms, invalid, place, snake_case, toml_de, Dur, Invalid, ScenarioError, Section, Seg, Unit};
pub use crate::clients::cfg::{KeyDist, WorkloadCfg};
use crate::command::Command;
pub use crate::patroni::cfg::PatroniCfg;
pub use crate::postgres::cfg::{PgCfg, SlotCfg, SyncCommit};
pub use crate::proxy::cfg::ProxyCfg;
use crate::time::SimDur;
use serde::Deserialize;
use std::collections::BTreeMap;

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
    /// `[migration]`: the schema a migration changes and its session's settings; its steps are
    /// `ddl` commands (chapter 12's zero-downtime migrations).
    #[serde(default)]
    pub migration: Option<crate::migrate::MigrationCfg>,
    // The sections of a sharded lesson (chapter 10). Their contents belong to the `shard`
    // component (`runner::sharded::Sections`), which reads them when it builds the lesson; here they
    // only make the lesson sharded, so a page that opens only clusters links no parser for them.
    /// `[table]`: the sharded table, its columns and its shard key.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::shard::cfg::TableFile>"))]
    pub table: Option<Section>,
    /// `[cluster]`: the shards and their placement strategy.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::shard::cfg::ClusterFile>"))]
    pub cluster: Option<Section>,
    /// `[[reshard]]`: online reshards at given times.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<crate::shard::cfg::ReshardFile>"))]
    pub reshard: Option<Section>,
    /// `[replication]`: each shard its own Patroni cluster.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::shard::cfg::ReplicaCfg>"))]
    pub replication: Option<Section>,
    /// `[partitioning]`, `[scatter]`, `[join]`: calculators beside the run.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::shard::cfg::PartitionCfg>"))]
    pub partitioning: Option<Section>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::shard::cfg::ScatterCfg>"))]
    pub scatter: Option<Section>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::shard::cfg::JoinCfg>"))]
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

impl Scenario {
    /// Whether the page offers this lesson's settings of `group`.
    pub fn offers(&self, group: &str) -> bool {
        self.lesson.settings.as_ref().is_none_or(|g| g.iter().any(|x| x == group))
    }
}

/// Something the learner should watch, and the page elements that show it (`shows`: names the
/// front end lists and checks with [`Scenario::check_shows`]), so a lesson can only point at what
/// the screen shows. Written as a
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
                crate::base::toml_de::parsed(d, |t| {
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
/// The run's own figures an expectation can bound (a cluster's, its archive's, a sharded
/// lesson's); a component's are registered by name (`Metric::Component`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RunMetric {
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

impl RunMetric {
    /// What the figure is measured in.
    pub fn unit(self) -> Unit {
        use RunMetric as M;
        match self {
            M::RpoMs | M::CommitP50Ms | M::CommitP99Ms | M::P99Ms | M::MaxPauseMs => Unit::Ms,
            M::FailoverMaxS | M::MaxWriteGapS | M::LastRestoreS | M::LastRestoreRpoS | M::HotSeconds => Unit::Seconds,
            M::KeysMovedPermille => Unit::Permille,
            M::ScatterP99Ratio => Unit::Ratio,
            M::FirstHotShard => Unit::Shard,
            _ => Unit::Count,
        }
    }
}

/// The figures the components register by name, in the order a lesson's expectations list them.
const COMPONENT_FIGURES: &[&[crate::base::FigureDef]] = &[crate::pool::report::FIGURES, crate::migrate::view::FIGURES];

fn component_figures() -> impl Iterator<Item = &'static crate::base::FigureDef> {
    COMPONENT_FIGURES.iter().flat_map(|f| f.iter())
}

/// A figure an expectation can bound (`[expect.metrics]`): one of the run's own, or one a
/// component registers by name (its index among `COMPONENT_FIGURES`, so expectations keep the
/// registry's order).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    Run(RunMetric),
    Component(u16),
}

impl Metric {
    /// Every figure: the run's, then the components'.
    pub fn all() -> impl Iterator<Item = Metric> {
        RunMetric::ALL.iter().map(|m| Metric::Run(*m)).chain((0..component_figures().count() as u16).map(Metric::Component))
    }

    /// The figure called `name`.
    pub fn parse(name: &str) -> Option<Metric> {
        Metric::all().find(|m| m.name() == name)
    }

    pub fn name(self) -> String {
        match self {
            Metric::Run(m) => m.name(),
            Metric::Component(i) => component_figures().nth(i as usize).map_or("?", |f| f.name).to_string(),
        }
    }

    /// What the figure is measured in.
    pub fn unit(self) -> Unit {
        match self {
            Metric::Run(m) => m.unit(),
            Metric::Component(i) => component_figures().nth(i as usize).map_or(Unit::Count, |f| f.unit),
        }
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Metric {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Metric".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "enum": Metric::all().map(|m| m.name()).collect::<Vec<_>>() })
    }
}

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::base::toml_de::parsed(d, |t| {
            Metric::parse(t).ok_or_else(|| {
                let names: Vec<String> = Metric::all().map(|v| format!("`{}`", v.name())).collect();
                format!("unknown variant `{t}`, expected one of {}", names.join(", "))
            })
        })
    }
}

impl NodeMetric {
    /// What the figure is measured in.
    pub fn unit(self) -> Unit {
        match self {
            NodeMetric::MaxReplayLagMs => Unit::Ms,
            NodeMetric::MaxReplayLagBytes => Unit::Bytes,
            NodeMetric::MaxDiskPct => Unit::Percent,
        }
    }
}

/// Which kind of lesson measures a figure, and who reads it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Measured {
    /// A lesson of one cluster: the world's run figures and the archive's.
    Cluster,
    /// A lesson of one cluster with the component that registers it, which reads it by name.
    Component,
    /// A sharded lesson: its router, shards' clusters and calculators (by name, in its report).
    Sharded,
    /// Both kinds (`commits_lost` sums a sharded lesson's shards' clusters).
    Both,
}

impl Metric {
    /// Which kind of lesson measures this figure: a property of the figure, not of its place in
    /// the list (a component's figures are the names it registers).
    pub fn measured(self) -> Measured {
        use RunMetric as M;
        let Metric::Run(m) = self else { return Measured::Component };
        match m {
            M::CommitsLost => Measured::Both,
            M::Ops
            | M::AckedWrites
            | M::FailedWrites
            | M::LostWrites
            | M::MisroutedWrites
            | M::HotSeconds
            | M::FirstHotShard
            | M::P99Ms
            | M::Reshards
            | M::KeysMovedPermille
            | M::MaxPauseMs
            | M::WritesFailed
            | M::ShardFailovers
            | M::PartitionsScanned
            | M::PartitionsDetached
            | M::ScatterP99Ratio
            | M::ColocatedRowsMoved
            | M::RedistributedRowsMoved => Measured::Sharded,
            _ => Measured::Cluster,
        }
    }
    /// Whether a sharded lesson measures this figure.
    pub fn sharded(self) -> bool {
        matches!(self.measured(), Measured::Sharded | Measured::Both)
    }
    /// Whether a lesson of one cluster measures it.
    pub fn clustered(self) -> bool {
        self.measured() != Measured::Sharded
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

/// Limits that keep a scenario from exhausting the page.
pub const MAX_NODES: usize = 64;
pub const MAX_CLIENTS: u64 = 100_000;
pub const MAX_DURATION: SimDur = SimDur::secs(48 * 3600);

impl Scenario {
    /// Parses and validates `src`; `file` names it in errors.
    pub fn parse(file: &str, src: &str) -> Result<Scenario, ScenarioError> {
        let scn: Scenario = crate::base::toml_de::from_str(file, src)?;
        scn.validate().map_err(|inv| place(file, src, &inv))?;
        Ok(scn)
    }

    /// Checks every `watch` item's `shows` names with `check`, which the front end provides (the
    /// model does not know the pages): given a name and the lesson's nodes, it says what is wrong.
    /// The error is placed at the name.
    pub fn check_shows(&self, file: &str, src: &str, check: impl Fn(&str, &[String]) -> Result<(), String>) -> Result<(), ScenarioError> {
        let nodes: Vec<String> = self.nodes.iter().map(|n| n.name.clone()).collect();
        for (i, w) in self.lesson.watch.iter().enumerate() {
            for (j, name) in w.shows.iter().enumerate() {
                check(name, &nodes).map_err(|m| place(file, src, &invalid(vec![Seg::Key("lesson"), Seg::Key("watch"), Seg::Index(i), Seg::Key("shows"), Seg::Index(j)], m)))?;
            }
        }
        Ok(())
    }

    /// Whether this is a sharded lesson (chapter 10): it has any of the sharding sections.
    pub fn is_sharded(&self) -> bool {
        self.table.is_some() || self.cluster.is_some() || self.reshard.is_some() || self.replication.is_some() || self.partitioning.is_some() || self.scatter.is_some() || self.join.is_some()
    }

    /// The scope of a parsed (not yet built) scenario.
    pub fn scope(&self) -> crate::command::check::Scope {
        let s = self;
        crate::command::check::Scope {
            nodes: s.nodes.iter().map(|n| n.name.clone()).collect(),
            regions: s.places().into_iter().map(|p| p.0).collect(),
            slots: s.slots.iter().map(|x| x.name.clone()).collect(),
            backup_clock: s.backup.as_ref().and_then(|b| crate::pitr::Clock::parse(&b.clock).ok()),
            patroni: s.patroni.clone(),
            groups: s.setting_groups(),
        }
    }

    /// The optional components' sections (key, header, whether the lesson has it), each of one
    /// cluster: a sharded lesson has none of them.
    pub(crate) fn component_sections(&self) -> [(&'static str, &'static str, bool); 2] {
        [("pooling", "[pooling]", self.pooling.is_some()), ("migration", "[migration]", self.migration.is_some())]
    }

    /// Checks each optional component's section (each places its errors at its fields).
    pub(crate) fn check_components(&self) -> Result<(), Invalid> {
        if let Some(p) = &self.pooling {
            p.check(self.postgres.max_connections)?;
        }
        if let Some(m) = &self.migration {
            m.check()?;
        }
        Ok(())
    }

    /// The settings groups this lesson has: those every lesson has, and those of the components
    /// its sections build (`GroupDef::missing` says why a lesson lacks one).
    pub fn setting_groups(&self) -> Vec<&'static str> {
        let mut g: Vec<&'static str> = crate::command::settings::GROUPS.iter().filter(|g| g.missing.is_none()).map(|g| g.name).collect();
        g.extend(self.backup.as_ref().map(|_| "backup"));
        g.extend(self.pooling.iter().flat_map(|p| p.setting_groups()));
        g.extend(self.migration.iter().flat_map(|m| m.setting_groups()));
        g
    }

    /// Region and zone of each endpoint: nodes, then dcs, proxy, clients.
    pub(crate) fn places(&self) -> Vec<(String, String)> {
        let scn = self;
        let region0 = scn.regions.first().map_or("local".to_string(), |r| r.name.clone());
        let zone_of = |region: &str, zone: &Option<String>| -> String {
            zone.clone().unwrap_or_else(|| scn.regions.iter().find(|r| r.name == region).and_then(|r| r.zones.first().cloned()).unwrap_or_else(|| "a".into()))
        };
        let place = |region: &Option<String>, zone: &Option<String>| {
            let r = region.clone().unwrap_or_else(|| region0.clone());
            let z = zone_of(&r, zone);
            (r, z)
        };
        let mut out: Vec<(String, String)> = scn.nodes.iter().map(|n| place(&n.region, &n.zone)).collect();
        out.push(place(&scn.dcs.region, &scn.dcs.zone));
        out.push(place(&scn.proxy.region, &scn.proxy.zone));
        out.push(place(&scn.workload.region, &scn.workload.zone));
        out
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every figure a component registers is a figure a lesson may bound, measured in a cluster
    /// lesson and read by the component, with its unit; and each kind of lesson measures a figure of its own.
    #[test]
    fn the_components_figures_are_lesson_figures() {
        for f in COMPONENT_FIGURES.iter().flat_map(|f| f.iter()) {
            let m = Metric::parse(f.name).unwrap_or_else(|| panic!("{} is not a lesson figure", f.name));
            assert_eq!((m.measured(), m.unit()), (Measured::Component, f.unit), "{}", f.name);
            assert!(m.clustered() && !m.sharded(), "{}", f.name);
        }
        assert_eq!(Metric::parse("request_p95_ms").map(Metric::unit), Some(Unit::Ms));
        let count = |k: Measured| Metric::all().filter(|m| m.measured() == k).count();
        assert_eq!(count(Measured::Component), crate::pool::report::FIGURES.len() + crate::migrate::view::FIGURES.len());
        assert_eq!(count(Measured::Both), 1);
        assert!(count(Measured::Cluster) > 10 && count(Measured::Sharded) > 10);
    }
}
