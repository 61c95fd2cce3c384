//! User actions as data: fault injections, network changes, switchovers and settings changes.
//! A run is a pure function of (scenario, seed, command log).
use crate::scenario::{settings_of, Action, SyncCommit, TimedCommand};
use crate::time::{parse_duration, SimDur};
use crate::toml_de::quote;
use serde::Serialize;

/// One command. Names refer to nodes, or to `dcs`, `proxy` and `clients`, or to whole regions.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    CrashPostgres {
        node: String,
    },
    CrashHost {
        node: String,
    },
    Restart {
        node: String,
    },
    DestroyDisk {
        node: String,
    },
    /// Cut `nodes` off from `others` (everything else when empty); `one_way` cuts only nodes → others.
    Partition {
        nodes: Vec<String>,
        others: Vec<String>,
        one_way: bool,
    },
    Heal,
    AddLatency {
        from: String,
        to: String,
        latency_us: u64,
    },
    SetDropRate {
        from: String,
        to: String,
        ppm: u32,
    },
    DcsOutage,
    DcsRestore,
    SlowDisk {
        node: String,
        factor: u32,
    },
    Switchover {
        to: Option<String>,
    },
    Set {
        settings: Vec<Setting>,
    },
    StopConsumer {
        slot: String,
    },
    StartConsumer {
        slot: String,
    },
    /// `pg_basebackup` on the writable primary.
    BaseBackup,
    /// A human mistake committed on the primary: `drop_table` or `update_all` (UPDATE without WHERE).
    OperatorError {
        kind: String,
    },
    /// `pg_create_restore_point(name)`.
    RestorePoint {
        name: String,
    },
    /// `archive_command` starts failing (or works again): WAL piles up in `pg_wal`.
    ArchiveFail,
    ArchiveRestore,
    /// A WAL segment (file name) vanishes from the archive, or is damaged.
    LoseSegment {
        segment: String,
    },
    CorruptSegment {
        segment: String,
    },
    /// A base backup (by label; the newest when empty) is damaged.
    CorruptBackup {
        label: String,
    },
    /// Every host of a region dies with its disks.
    LoseRegion {
        region: String,
    },
    /// Point-in-time recovery onto a recovery server. Exactly one target: a wall-clock time
    /// (`2026-11-25 14:03:17`), an LSN (`0/3000060`), an xid, a restore point name, or none (latest).
    PitrRestore {
        target_time: Option<String>,
        target_lsn: Option<String>,
        target_xid: Option<u64>,
        target_xid_of: Option<String>,
        target_name: Option<String>,
        inclusive: bool,
        target_action: String,
        timeline: Option<u32>,
    },
}

/// One setting change, already parsed.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    /// The setting's name and its value as `parse` reads it back.
    pub fn key_value(&self) -> (&'static str, String) {
        match self {
            Setting::SynchronousCommit(v) => ("synchronous_commit", v.name().to_string()),
            Setting::SynchronousStandbyNames(v) => ("synchronous_standby_names", v.clone()),
            Setting::Ttl(v) => ("ttl", v.to_string()),
            Setting::LoopWait(v) => ("loop_wait", v.to_string()),
            Setting::RetryTimeout(v) => ("retry_timeout", v.to_string()),
            Setting::MaximumLagOnFailover(v) => ("maximum_lag_on_failover", v.to_string()),
            Setting::SynchronousMode(v) => ("synchronous_mode", v.to_string()),
            Setting::SynchronousModeStrict(v) => ("synchronous_mode_strict", v.to_string()),
            Setting::Fencing(v) => ("fencing", v.to_string()),
            Setting::FsyncUs(v) => ("fsync", format!("{v}us")),
        }
    }

    /// `key = value`, as the learner would write it.
    pub fn text(&self) -> String {
        match self.key_value() {
            (k @ "synchronous_standby_names", v) => format!("{k} = '{v}'"),
            (k, v) => format!("{k} = {v}"),
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
    a.name()
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
        Action::Partition => Command::Partition { nodes: need(&tc.nodes, "nodes", a)?, others: tc.others.clone().unwrap_or_default(), one_way: tc.one_way.unwrap_or(false) },
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
            Command::SetDropRate { from: need(&tc.from, "from", a)?, to: need(&tc.to, "to", a)?, ppm: (rate * 1e6).round() as u32 }
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
            target_xid_of: tc.target_xid_of.clone(),
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

impl Command {
    /// The scenario action that writes this command.
    pub fn action(&self) -> Action {
        match self {
            Command::CrashPostgres { .. } => Action::CrashPostgres,
            Command::CrashHost { .. } => Action::CrashHost,
            Command::Restart { .. } => Action::Restart,
            Command::DestroyDisk { .. } => Action::DestroyDisk,
            Command::Partition { .. } => Action::Partition,
            Command::Heal => Action::Heal,
            Command::AddLatency { .. } => Action::AddLatency,
            Command::SetDropRate { .. } => Action::SetDropRate,
            Command::DcsOutage => Action::DcsOutage,
            Command::DcsRestore => Action::DcsRestore,
            Command::SlowDisk { .. } => Action::SlowDisk,
            Command::Switchover { .. } => Action::Switchover,
            Command::Set { .. } => Action::Set,
            Command::StopConsumer { .. } => Action::StopConsumer,
            Command::StartConsumer { .. } => Action::StartConsumer,
            Command::BaseBackup => Action::BaseBackup,
            Command::OperatorError { .. } => Action::OperatorError,
            Command::RestorePoint { .. } => Action::RestorePoint,
            Command::ArchiveFail => Action::ArchiveFail,
            Command::ArchiveRestore => Action::ArchiveRestore,
            Command::LoseSegment { .. } => Action::LoseSegment,
            Command::CorruptSegment { .. } => Action::CorruptSegment,
            Command::CorruptBackup { .. } => Action::CorruptBackup,
            Command::LoseRegion { .. } => Action::LoseRegion,
            Command::PitrRestore { .. } => Action::PitrRestore,
        }
    }

    /// The command as a scenario timeline entry, inline: `{ at = "250000000us", action = "crash_host", node = "pg1" }`.
    pub fn to_toml(&self, at: SimDur) -> String {
        let mut out = format!("{{ at = \"{}us\", action = \"{}\"", at.0, self.action().name());
        for (k, v) in self.fields() {
            out.push_str(&format!(", {k} = {v}"));
        }
        out.push_str(" }");
        out
    }

    /// The arguments, as TOML values.
    fn fields(&self) -> Vec<(&'static str, String)> {
        let text = |v: &str| quote(v);
        let list = |v: &[String]| format!("[{}]", v.iter().map(|x| quote(x)).collect::<Vec<_>>().join(", "));
        match self {
            Command::CrashPostgres { node } | Command::CrashHost { node } | Command::Restart { node } | Command::DestroyDisk { node } => vec![("node", text(node))],
            Command::Partition { nodes, others, one_way } => vec![("nodes", list(nodes)), ("others", list(others)), ("one_way", one_way.to_string())],
            Command::AddLatency { from, to, latency_us } => vec![("from", text(from)), ("to", text(to)), ("latency", text(&format!("{latency_us}us")))],
            Command::SetDropRate { from, to, ppm } => vec![("from", text(from)), ("to", text(to)), ("rate", format!("{ppm}e-6"))],
            Command::SlowDisk { node, factor } => vec![("node", text(node)), ("factor", factor.to_string())],
            Command::Switchover { to } => to.iter().map(|t| ("to", text(t))).collect(),
            Command::Set { settings } => {
                let kv: Vec<String> = settings.iter().map(|s| s.key_value()).map(|(k, v)| format!("{k} = {}", quote(&v))).collect();
                vec![("settings", format!("{{ {} }}", kv.join(", ")))]
            }
            Command::StopConsumer { slot } | Command::StartConsumer { slot } => vec![("slot", text(slot))],
            Command::OperatorError { kind } => vec![("kind", text(kind))],
            Command::RestorePoint { name } => vec![("name", text(name))],
            Command::LoseSegment { segment } | Command::CorruptSegment { segment } => vec![("segment", text(segment))],
            Command::CorruptBackup { label } => vec![("label", text(label))],
            Command::LoseRegion { region } => vec![("region", text(region))],
            Command::PitrRestore { target_time, target_lsn, target_xid, target_xid_of, target_name, inclusive, target_action, timeline } => {
                let mut v: Vec<(&'static str, String)> = Vec::new();
                v.extend(target_time.iter().map(|x| ("target_time", text(x))));
                v.extend(target_lsn.iter().map(|x| ("target_lsn", text(x))));
                v.extend(target_xid.iter().map(|x| ("target_xid", x.to_string())));
                v.extend(target_xid_of.iter().map(|x| ("target_xid_of", text(x))));
                v.extend(target_name.iter().map(|x| ("target_name", text(x))));
                v.push(("inclusive", inclusive.to_string()));
                v.push(("target_action", text(target_action)));
                v.extend(timeline.iter().map(|x| ("target_timeline", x.to_string())));
                v
            }
            Command::Heal | Command::DcsOutage | Command::DcsRestore | Command::BaseBackup | Command::ArchiveFail | Command::ArchiveRestore => Vec::new(),
        }
    }
}

/// Reads a command log written by `Command::to_toml`, one entry per line or comma-separated.
pub fn log_from_toml(text: &str) -> Result<Vec<(SimDur, Command)>, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Log {
        log: Vec<TimedCommand>,
    }
    let src = format!("log = [\n{text}\n]");
    let timed = crate::toml_de::from_str::<Log>("log", &src).map_err(|e| format!("{}: {}", e.field, e.message))?.log;
    let mut out = Vec::new();
    for tc in &timed {
        out.extend(from_timed(tc).map_err(|(f, m)| format!("{f}: {m}"))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Command> {
        let s = |x: &str| x.to_string();
        vec![
            Command::CrashPostgres { node: s("pg1") },
            Command::CrashHost { node: s("pg \"two\"") },
            Command::Restart { node: s("pg1") },
            Command::DestroyDisk { node: s("pg1") },
            Command::Partition { nodes: vec![s("pg1"), s("dcs")], others: vec![], one_way: true },
            Command::Heal,
            Command::AddLatency { from: s("pg1"), to: s("pg2"), latency_us: 100_250 },
            Command::SetDropRate { from: s("pg1"), to: s("pg2"), ppm: 12_345 },
            Command::DcsOutage,
            Command::DcsRestore,
            Command::SlowDisk { node: s("pg2"), factor: 40 },
            Command::Switchover { to: None },
            Command::Switchover { to: Some(s("pg2")) },
            Command::Set {
                settings: vec![
                    Setting::SynchronousCommit(SyncCommit::RemoteApply),
                    Setting::SynchronousStandbyNames(s("FIRST 1 (pg2, pg3)")),
                    Setting::Ttl(25),
                    Setting::Fencing(false),
                    Setting::FsyncUs(1500),
                ],
            },
            Command::StopConsumer { slot: s("debezium") },
            Command::StartConsumer { slot: s("debezium") },
            Command::BaseBackup,
            Command::OperatorError { kind: s("drop_table") },
            Command::RestorePoint { name: s("before upgrade") },
            Command::ArchiveFail,
            Command::ArchiveRestore,
            Command::LoseSegment { segment: s("000000010000000000000003") },
            Command::CorruptSegment { segment: s("000000010000000000000004") },
            Command::CorruptBackup { label: s("") },
            Command::LoseRegion { region: s("eu-west") },
            Command::PitrRestore {
                target_time: Some(s("2026-11-25 14:03:17")),
                target_lsn: None,
                target_xid: None,
                target_xid_of: None,
                target_name: None,
                inclusive: false,
                target_action: s("pause"),
                timeline: Some(2),
            },
            Command::PitrRestore {
                target_time: None,
                target_lsn: Some(s("0/3000060")),
                target_xid: None,
                target_xid_of: Some(s("drop_table")),
                target_name: None,
                inclusive: true,
                target_action: s("promote"),
                timeline: None,
            },
            Command::PitrRestore {
                target_time: None,
                target_lsn: None,
                target_xid: Some(40365),
                target_xid_of: None,
                target_name: Some(s("rp")),
                inclusive: true,
                target_action: s("promote"),
                timeline: None,
            },
        ]
    }

    #[test]
    fn every_command_round_trips_through_its_toml_form() {
        let cmds = samples();
        for a in Action::ALL {
            assert!(cmds.iter().any(|c| c.action() == *a), "no sample for {a:?}");
        }
        let log: Vec<(SimDur, Command)> = cmds.iter().enumerate().map(|(i, c)| (SimDur(i as u64 * 1_000_001), c.clone())).collect();
        let text: Vec<String> = log.iter().map(|(t, c)| c.to_toml(*t)).collect();
        assert_eq!(log_from_toml(&text.join(",\n")), Ok(log));
    }

    #[test]
    fn a_broken_log_is_an_error() {
        assert!(log_from_toml("{ at = \"1s\", action = \"crash_host\" }").unwrap_err().contains("needs `node`"));
        assert!(log_from_toml("{ at = \"1s\", action = \"meteor\" }").unwrap_err().contains("unknown variant `meteor`"));
        assert!(log_from_toml("{ at = ").is_err());
    }
}
