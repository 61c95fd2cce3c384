//! User actions as data: fault injections, network changes, switchovers and settings changes.
//! A run is a pure function of (scenario, seed, command log).
use crate::scenario::{settings_of, Action, SyncCommit, TimedCommand};
use crate::time::{parse_duration, SimDur};
use serde::{Deserialize, Serialize};

/// One command. Names refer to nodes, or to `dcs`, `proxy` and `clients`, or to whole regions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    CrashPostgres { node: String },
    CrashHost { node: String },
    Restart { node: String },
    DestroyDisk { node: String },
    /// Cut `nodes` off from `others` (everything else when empty); `one_way` cuts only nodes → others.
    Partition { nodes: Vec<String>, others: Vec<String>, one_way: bool },
    Heal,
    AddLatency { from: String, to: String, latency_us: u64 },
    SetDropRate { from: String, to: String, ppm: u32 },
    DcsOutage,
    DcsRestore,
    SlowDisk { node: String, factor: u32 },
    Switchover { to: Option<String> },
    Set { settings: Vec<Setting> },
    StopConsumer { slot: String },
    StartConsumer { slot: String },
    /// `pg_basebackup` on the writable primary.
    BaseBackup,
    /// A human mistake committed on the primary: `drop_table` or `update_all` (UPDATE without WHERE).
    OperatorError { kind: String },
    /// `pg_create_restore_point(name)`.
    RestorePoint { name: String },
    /// `archive_command` starts failing (or works again): WAL piles up in `pg_wal`.
    ArchiveFail,
    ArchiveRestore,
    /// A WAL segment (file name) vanishes from the archive, or is damaged.
    LoseSegment { segment: String },
    CorruptSegment { segment: String },
    /// A base backup (by label; the newest when empty) is damaged.
    CorruptBackup { label: String },
    /// Every host of a region dies with its disks.
    LoseRegion { region: String },
    /// Point-in-time recovery onto a recovery server. Exactly one target: a wall-clock time
    /// (`2026-11-25 14:03:17`), an LSN (`0/3000060`), an xid, a restore point name, or none (latest).
    PitrRestore { target_time: Option<String>, target_lsn: Option<String>, target_xid: Option<u64>, target_name: Option<String>, inclusive: bool, target_action: String, timeline: Option<u32> },
}

/// One setting change, already parsed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", content = "value", rename_all = "snake_case")]
pub enum Setting {
    SynchronousCommit(SyncCommit),
    SynchronousStandbyNames(String),
    Ttl(u64),
    LoopWait(u64),
    RetryTimeout(u64),
    MaximumLagOnFailover(u64),
    SynchronousMode(bool),
    SynchronousModeStrict(bool),
    Fencing(bool),
    FsyncUs(u64),
}

impl Setting {
    /// `key = value`, as the learner would write it.
    pub fn text(&self) -> String {
        match self {
            Setting::SynchronousCommit(v) => format!("synchronous_commit = {}", v.name()),
            Setting::SynchronousStandbyNames(v) => format!("synchronous_standby_names = '{v}'"),
            Setting::Ttl(v) => format!("ttl = {v}"),
            Setting::LoopWait(v) => format!("loop_wait = {v}"),
            Setting::RetryTimeout(v) => format!("retry_timeout = {v}"),
            Setting::MaximumLagOnFailover(v) => format!("maximum_lag_on_failover = {v}"),
            Setting::SynchronousMode(v) => format!("synchronous_mode = {v}"),
            Setting::SynchronousModeStrict(v) => format!("synchronous_mode_strict = {v}"),
            Setting::Fencing(v) => format!("fencing = {v}"),
            Setting::FsyncUs(v) => format!("fsync = {v}us"),
        }
    }

    /// Parses `key = value` as written in a scenario or typed in the settings editor.
    pub fn parse(key: &str, v: &str) -> Result<Setting, String> {
        let int = |v: &str| v.trim().parse::<u64>().map_err(|_| format!("`{v}` is not a whole number"));
        let boolean = |v: &str| match v.trim() {
            "true" | "on" => Ok(true),
            "false" | "off" => Ok(false),
            _ => Err(format!("`{v}` is not true or false")),
        };
        Ok(match key {
            "synchronous_commit" => Setting::SynchronousCommit(SyncCommit::parse(v.trim())?),
            "synchronous_standby_names" => {
                crate::pg::SyncNames::parse(v)?;
                Setting::SynchronousStandbyNames(v.to_string())
            }
            "ttl" => Setting::Ttl(int(v)?),
            "loop_wait" => Setting::LoopWait(int(v)?),
            "retry_timeout" => Setting::RetryTimeout(int(v)?),
            "maximum_lag_on_failover" => Setting::MaximumLagOnFailover(int(v)?),
            "synchronous_mode" => Setting::SynchronousMode(boolean(v)?),
            "synchronous_mode_strict" => Setting::SynchronousModeStrict(boolean(v)?),
            "fencing" => Setting::Fencing(boolean(v)?),
            "fsync" => Setting::FsyncUs(parse_duration(v)?.0),
            _ => return Err(format!(
                "unknown setting `{key}`; known: synchronous_commit, synchronous_standby_names, ttl, loop_wait, retry_timeout, maximum_lag_on_failover, synchronous_mode, synchronous_mode_strict, fencing, fsync"
            )),
        })
    }
}

type FieldErr = (&'static str, String);

/// The largest latency a link may have or be given: one hour.
pub const MAX_LATENCY: SimDur = SimDur::secs(3600);

fn need<T: Clone>(v: &Option<T>, field: &'static str, action: Action) -> Result<T, FieldErr> {
    v.clone().ok_or((field, format!("action `{}` needs `{field}`", action_name(action))))
}

fn action_name(a: Action) -> String {
    crate::scenario::snake_case(&format!("{a:?}"))
}

/// Converts one scenario timeline entry into timed commands (a `dcs_outage` with a
/// `duration` becomes an outage and a restore).
pub fn from_timed(tc: &TimedCommand) -> Result<Vec<(SimDur, Command)>, FieldErr> {
    let a = tc.action;
    let node = || need(&tc.node, "node", a);
    let cmd = match a {
        Action::CrashPostgres => Command::CrashPostgres { node: node()? },
        Action::CrashHost => Command::CrashHost { node: node()? },
        Action::Restart => Command::Restart { node: node()? },
        Action::DestroyDisk => Command::DestroyDisk { node: node()? },
        Action::Partition => Command::Partition {
            nodes: need(&tc.nodes, "nodes", a)?,
            others: tc.others.clone().unwrap_or_default(),
            one_way: tc.one_way.unwrap_or(false),
        },
        Action::Heal => Command::Heal,
        Action::AddLatency => {
            let latency = need(&tc.latency, "latency", a)?.0;
            if latency > MAX_LATENCY {
                return Err(("latency", format!("latency = {latency} is more than {MAX_LATENCY}")));
            }
            Command::AddLatency { from: need(&tc.from, "from", a)?, to: need(&tc.to, "to", a)?, latency_us: latency.0 }
        }
        Action::SetDropRate => {
            let rate = need(&tc.rate, "rate", a)?;
            if !(0.0..=1.0).contains(&rate) {
                return Err(("rate", format!("rate = {rate} must be between 0 and 1")));
            }
            Command::SetDropRate { from: need(&tc.from, "from", a)?, to: need(&tc.to, "to", a)?, ppm: (rate * 1e6) as u32 }
        }
        Action::DcsOutage => Command::DcsOutage,
        Action::DcsRestore => Command::DcsRestore,
        Action::SlowDisk => {
            let factor = need(&tc.factor, "factor", a)?;
            if factor == 0 || factor > 10_000 {
                return Err(("factor", format!("factor = {factor} must be 1..=10000")));
            }
            Command::SlowDisk { node: node()?, factor }
        }
        Action::Switchover => Command::Switchover { to: tc.to.clone() },
        Action::Set => {
            let map = need(&tc.settings, "settings", a)?;
            Command::Set { settings: settings_of(&map).map_err(|(_, m)| ("settings", m))? }
        }
        Action::StopConsumer => Command::StopConsumer { slot: need(&tc.slot, "slot", a)? },
        Action::StartConsumer => Command::StartConsumer { slot: need(&tc.slot, "slot", a)? },
        Action::BaseBackup => Command::BaseBackup,
        Action::OperatorError => Command::OperatorError { kind: need(&tc.kind, "kind", a)? },
        Action::RestorePoint => Command::RestorePoint { name: need(&tc.name, "name", a)? },
        Action::ArchiveFail => Command::ArchiveFail,
        Action::ArchiveRestore => Command::ArchiveRestore,
        Action::LoseSegment => Command::LoseSegment { segment: need(&tc.segment, "segment", a)? },
        Action::CorruptSegment => Command::CorruptSegment { segment: need(&tc.segment, "segment", a)? },
        Action::CorruptBackup => Command::CorruptBackup { label: tc.label.clone().unwrap_or_default() },
        Action::LoseRegion => Command::LoseRegion { region: need(&tc.region, "region", a)? },
        Action::PitrRestore => Command::PitrRestore {
            target_time: tc.target_time.clone(),
            target_lsn: tc.target_lsn.clone(),
            target_xid: tc.target_xid,
            target_name: tc.target_name.clone(),
            inclusive: tc.inclusive.unwrap_or(true),
            target_action: tc.target_action.clone().unwrap_or_else(|| "promote".into()),
            timeline: tc.target_timeline,
        },
    };
    let mut out = vec![(tc.at.0, cmd)];
    if let (Action::DcsOutage, Some(d)) = (a, tc.duration) {
        out.push((SimDur(tc.at.0 .0.saturating_add(d.0 .0)), Command::DcsRestore));
    }
    Ok(out)
}
