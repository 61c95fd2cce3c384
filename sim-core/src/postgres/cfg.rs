//! `[postgres]` and `[[slots]]`: the settings of every Postgres host, and the replication slots a lesson creates.
use crate::base::settings::{Form, Setting, SettingDef, Value};
use crate::base::{dur_ms, Dur};
use crate::time::SimDur;
use serde::Deserialize;

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
    /// How fast a standby's startup process replays WAL (MiB/s; 0: as fast as it arrives,
    /// `replay` per batch). Replay is one process, so a primary writing faster than this (a
    /// bulk backfill, a table rewrite) leaves its standbys behind.
    pub replay_mb_s: u64,
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
            replay_mb_s: 0,
            rewind_mb_s: 100,
            clone_mb_s: 100,
            max_connections: 100,
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

#[cfg(feature = "schema")]
mod schema {
    use super::SyncCommit;
    use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
    use std::borrow::Cow;

    impl JsonSchema for SyncCommit {
        fn schema_name() -> Cow<'static, str> {
            "SynchronousCommit".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": "string",
                "enum": SyncCommit::ALL.iter().map(|s| s.name()).collect::<Vec<_>>(),
                "description": "PostgreSQL's synchronous_commit."
            })
        }
    }
}

/// The Postgres settings a running cluster takes (`SET` and a reload).
pub const SETTINGS: &[SettingDef] = &[
    SettingDef {
        name: "synchronous_commit",
        group: "replication",
        options: &["off", "local", "remote_write", "on", "remote_apply"],
        offered: true,
        form: Form::Choice,
        sample: "remote_apply",
        parse: |v| SyncCommit::parse(v.trim()).map(|c| Value::Choice(c.name().into())),
    },
    SettingDef {
        name: "synchronous_standby_names",
        group: "replication",
        options: &[],
        offered: true,
        form: Form::Text,
        sample: "FIRST 1 (pg2, pg3)",
        parse: |v| crate::postgres::SyncNames::parse(v).map(|_| Value::Text(v.to_string())),
    },
    SettingDef { name: "fsync", group: "replication", options: &[], offered: false, form: Form::Dur, sample: "1500us", parse: |v| crate::time::parse_duration(v).map(Value::Dur) },
];

/// What a Postgres setting changes.
pub fn set(c: &mut PgCfg, s: &Setting) {
    match (s.name, &s.value) {
        ("synchronous_commit", Value::Choice(v)) => c.synchronous_commit = SyncCommit::parse(v).unwrap_or(c.synchronous_commit),
        ("synchronous_standby_names", Value::Text(v)) => c.synchronous_standby_names = v.clone(),
        ("fsync", Value::Dur(d)) => c.fsync = Dur(*d),
        _ => {}
    }
}

/// A Postgres setting's value now.
pub fn read(c: &PgCfg, name: &str) -> Option<Value> {
    Some(match name {
        "synchronous_commit" => Value::Choice(c.synchronous_commit.name().into()),
        "synchronous_standby_names" => Value::Text(crate::postgres::SyncNames::parse(&c.synchronous_standby_names).map(|n| n.text()).unwrap_or_default()),
        "fsync" => Value::Dur(c.fsync.0),
        _ => return None,
    })
}
