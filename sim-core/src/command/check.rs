//! Checking a command against what exists (node, region, slot names, a `[backup]` section, the
//! Patroni rule) without running anything: the same check for a scenario's timeline (from the
//! parsed scenario alone) and for a command a learner schedules in a running world.
use crate::base::{CommandError, CommandErrorKind};
use crate::command::Command;
use crate::patroni::cfg::PatroniCfg;
use crate::pitr::Clock;

/// Why a command that needs the archive is refused in a lesson without `[backup]`.
pub(crate) const NO_BACKUP: &str = "this scenario has no [backup] section: add one to archive WAL and take base backups";

/// Why a migration command is refused in a lesson without `[migration]`.
pub(crate) const NO_MIGRATION: &str = "this lesson has no [migration] section: add one to run DDL steps, long transactions and pg_cancel_backend";

/// The names a command may refer to.
#[derive(Clone, Debug)]
pub struct Scope {
    pub nodes: Vec<String>,
    /// The region of every endpoint: each node, then `dcs`, `proxy`, `clients`.
    pub regions: Vec<String>,
    pub slots: Vec<String>,
    /// The backup clock, when the scenario has a `[backup]` section.
    pub backup_clock: Option<Clock>,
    pub patroni: PatroniCfg,
    /// The settings groups the lesson has (`Scenario::setting_groups`): a `set` command refuses
    /// a setting of any other.
    pub groups: Vec<&'static str>,
}

impl Scope {
    pub fn node(&self, name: &str) -> Result<usize, CommandError> {
        self.nodes.iter().position(|n| n == name).ok_or_else(|| CommandError::new(CommandErrorKind::UnknownName, format!("no node named `{name}` (nodes: {})", self.nodes.join(", "))))
    }

    /// A node, `dcs`, `proxy`, `clients`, or a region with at least one endpoint.
    fn endpoint(&self, name: &str) -> Result<(), CommandError> {
        if ["dcs", "proxy", "clients"].contains(&name) || self.node(name).is_ok() || self.regions.iter().any(|r| r == name) {
            return Ok(());
        }
        Err(CommandError::new(CommandErrorKind::UnknownName, format!("`{name}` is not a node, a region, `dcs`, `proxy` or `clients`")))
    }

    fn migration(&self) -> Result<(), CommandError> {
        self.groups.contains(&"migration").then_some(()).ok_or_else(|| CommandError::new(CommandErrorKind::Refused, NO_MIGRATION))
    }

    fn backups(&self) -> Result<Clock, CommandError> {
        self.backup_clock.ok_or_else(|| CommandError::new(CommandErrorKind::NoBackup, NO_BACKUP))
    }

    /// Checks that `cmd` names real things and keeps the settings valid.
    pub fn check(&self, cmd: &Command) -> Result<(), CommandError> {
        match cmd {
            Command::CrashPostgres { node } | Command::CrashHost { node } | Command::Restart { node } | Command::DestroyDisk { node } | Command::SlowDisk { node, .. } => self.node(node).map(|_| ()),
            Command::Partition { nodes, others, .. } => {
                if nodes.is_empty() {
                    return Err(CommandError::new(CommandErrorKind::BadValue, "a partition needs at least one name in `nodes`"));
                }
                nodes.iter().chain(others).try_for_each(|n| self.endpoint(n))
            }
            Command::AddLatency { from, to, .. } | Command::SetDropRate { from, to, .. } => {
                self.endpoint(from)?;
                self.endpoint(to)
            }
            Command::Switchover { to: Some(t) } => self.node(t).map(|_| ()),
            Command::Set { settings } => {
                if settings.iter().any(|s| s.group() == "backup") {
                    self.backups()?;
                }
                if let Some(g) = settings.iter().filter_map(|s| s.group_def()).find(|g| !self.groups.contains(&g.name)) {
                    return Err(CommandError::new(CommandErrorKind::Refused, g.missing.unwrap_or("this lesson does not have these settings")));
                }
                let mut p = self.patroni.clone();
                for s in settings {
                    crate::patroni::cfg::set(&mut p, s);
                }
                p.check().map_err(|(_, m)| CommandError::new(CommandErrorKind::BadValue, m))
            }
            Command::StopConsumer { slot } | Command::StartConsumer { slot } => {
                self.slots.iter().any(|s| s == slot).then_some(()).ok_or_else(|| CommandError::new(CommandErrorKind::UnknownName, format!("no replication slot named `{slot}`")))
            }
            Command::Heal {} | Command::DcsOutage { .. } | Command::DcsRestore {} | Command::Switchover { to: None } => Ok(()),
            Command::BaseBackup {} | Command::ArchiveFail {} | Command::ArchiveRestore {} | Command::CorruptBackup { .. } => self.backups().map(|_| ()),
            // A human's mistake needs no archive: without one, it is the lesson that nothing brings the data back.
            Command::OperatorError { kind } => crate::backup::operator_op(kind).map(|_| ()),
            Command::RestorePoint { name } if name.is_empty() || name.len() > 63 => Err(CommandError::new(CommandErrorKind::BadValue, "a restore point needs a name of 1 to 63 characters")),
            Command::RestorePoint { .. } => self.backups().map(|_| ()),
            Command::Ddl { sql } => {
                self.migration()?;
                #[cfg(feature = "migrate")]
                crate::migrate::ddl::parse(sql).map_err(|e| CommandError::new(CommandErrorKind::BadValue, e).at("sql"))?;
                let _ = sql;
                Ok(())
            }
            Command::LongTransaction { duration, .. } if duration.0 > crate::time::SimDur::secs(86_400) || duration.0 == crate::time::SimDur::ZERO => {
                Err(CommandError::new(CommandErrorKind::BadValue, format!("duration = {} must be more than 0 and at most 1 day", duration.0.human())).at("duration"))
            }
            Command::Deploy { over, .. } if over.0 > crate::time::SimDur::secs(86_400) => {
                Err(CommandError::new(CommandErrorKind::BadValue, format!("over = {} must be at most 1 day", over.0.human())).at("over"))
            }
            Command::Backfill { batch, .. } if *batch > crate::migrate::backfill::MAX_BATCH => {
                Err(CommandError::new(CommandErrorKind::BadValue, format!("batch = {batch} must be at most {} rows (0: a single transaction)", crate::migrate::backfill::MAX_BATCH)).at("batch"))
            }
            Command::Backfill { pause: Some(p), .. } if p.0 > crate::time::SimDur::secs(3600) => {
                Err(CommandError::new(CommandErrorKind::BadValue, format!("pause = {} must be at most 1 h", p.0.human())).at("pause"))
            }
            Command::PgrollStart { name, op, column, to } => {
                self.migration()?;
                if !crate::migrate::cfg::pgroll_name(name) {
                    return Err(CommandError::new(CommandErrorKind::BadValue, format!("`{name}` is not a pgroll migration name (letters, digits, _; at most 40)")).at("name"));
                }
                #[cfg(feature = "migrate")]
                crate::migrate::pgroll::Op::parse(op, column, to).map_err(|e| CommandError::new(CommandErrorKind::BadValue, e).at("op"))?;
                let _ = (op, column, to);
                Ok(())
            }
            Command::LongTransaction { .. }
            | Command::Deploy { .. }
            | Command::Backfill { .. }
            | Command::CancelBackend { .. }
            | Command::TerminateBackend { .. }
            | Command::PgrollComplete {}
            | Command::PgrollRollback {} => self.migration(),
            Command::LoseSegment { segment } | Command::CorruptSegment { segment } => self.backups().and_then(|_| crate::backup::check_segment_name(segment)),
            Command::Reshard { .. } => Err(CommandError::new(CommandErrorKind::Refused, "this lesson has no shards to reshard")),
            Command::LoseRegion { region } => {
                if (0..self.nodes.len()).any(|i| self.regions.get(i) == Some(region)) {
                    Ok(())
                } else {
                    Err(CommandError::new(CommandErrorKind::UnknownName, format!("no node is in a region called `{region}`")))
                }
            }
            Command::PitrRestore { .. } => {
                let clock = self.backups()?;
                crate::command::restore::request_of(cmd, clock, |kind| crate::backup::operator_op(kind).map(|_| 0)).map(|_| ())
            }
        }
    }
}
