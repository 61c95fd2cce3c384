//! `[backup]`: WAL archiving, base backups and point-in-time recovery.
use crate::base::settings::{duration_or_off, Form, SettingDef, Value};
use crate::base::{dur_ms, Dur};
use crate::time::SimDur;
use serde::Deserialize;

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

/// The archiver's and the backup schedule's settings a running cluster takes (a reload).
pub const SETTINGS: &[SettingDef] = &[
    SettingDef {
        name: "archive_timeout",
        group: "backup",
        options: &[],
        offered: true,
        form: Form::DurOrOff,
        sample: "30s",
        parse: |v| {
            let d = duration_or_off(v)?;
            if d > SimDur::ZERO && (d < SimDur::secs(1) || d > SimDur::secs(86_400)) {
                return Err(format!("archive_timeout = {} must be 0 (off) or 1 s to 1 day", d.human()));
            }
            Ok(Value::Dur(d))
        },
    },
    SettingDef {
        name: "base_backup_every",
        group: "backup",
        options: &[],
        offered: true,
        form: Form::DurOrOff,
        sample: "2min",
        parse: |v| {
            let d = duration_or_off(v)?;
            if d > SimDur::ZERO && (d < SimDur::secs(60) || d > SimDur::secs(30 * 86_400)) {
                return Err(format!("base_backup_every = {} must be 0 (on demand) or 60 s to 30 days", d.human()));
            }
            Ok(Value::Dur(d))
        },
    },
];

/// A backup setting's value now.
pub fn read(b: &BackupCfg, name: &str) -> Option<Value> {
    Some(match name {
        "archive_timeout" => Value::Dur(b.archive_timeout.0),
        "base_backup_every" => Value::Dur(b.base_backup_every.0),
        _ => return None,
    })
}
