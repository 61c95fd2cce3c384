//! Backups in the running world: the committed history, WAL archiving (`archive_timeout`, archive
//! latency, a failing `archive_command`), base backups on a schedule or on demand, and PITR restores.
pub mod cfg;
pub mod pitr;
use crate::base::{CommandError, CommandErrorKind};
use crate::event::{Ev, Fact, Sched};
use crate::lsn::{Lsn, SEGMENT_BYTES};
use crate::pitr::{Archive, BaseBackup, Clock, History, Op, Rates, Request, SegmentState};
use crate::postgres::history::ACCOUNTS;
use crate::time::{SimDur, SimTime};
use cfg::BackupCfg;
use std::collections::{BTreeMap, VecDeque};

/// How often a failing `archive_command` is retried (PostgreSQL's archiver sleeps 60 s after 3 failures).
pub(crate) const ARCHIVE_RETRY: SimDur = SimDur::secs(60);
/// The most restores one run makes; later ones are refused (each keeps its restored table and
/// its new timeline's history, which grows with every timeline before it).
pub const MAX_RESTORES: usize = 64;

/// The backup side of the world; present only when the scenario has a `[backup]` section. The
/// committed history it restores from is the world's (`postgres::history`).
#[derive(Clone, Debug)]
pub struct Backups {
    pub cfg: BackupCfg,
    pub clock: Clock,
    pub archive: Archive,
    /// The next segment number of each timeline to hand to the archiver.
    next_seg: BTreeMap<u32, u64>,
    /// Completed segments waiting for `archive_command` (timeline, segment number).
    pending: VecDeque<(u32, u64)>,
    pub failing: bool,
    last_switch: SimTime,
    running: Option<(u16, u32, SimTime, u64)>,
    /// Every restore performed, with its outcome text, for reports.
    pub restores: Vec<crate::pitr::Outcome>,
    /// How many of `restores` have finished and had their log written (at the modelled end of
    /// their copy and replay, not when they started).
    pub announced: usize,
    /// Why each refused restore was refused.
    pub refused: Vec<String>,
    /// Which reload of `archive_timeout` and of the base-backup schedule the pending timer events
    /// belong to: a changed setting supersedes the events of the old one.
    epochs: [u32; 2],
}

/// The backups' timers whose setting a learner can change while the run goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    ArchiveTimeout = 0,
    BaseBackups = 1,
}

impl Backups {
    pub fn new(cfg: BackupCfg, clock: Clock, start: u64) -> Backups {
        Backups {
            cfg,
            clock,
            archive: Archive::default(),
            next_seg: BTreeMap::from([(1, start / SEGMENT_BYTES)]),
            pending: VecDeque::new(),
            failing: false,
            last_switch: SimTime::ZERO,
            running: None,
            restores: Vec::new(),
            announced: 0,
            refused: Vec::new(),
            epochs: [0; 2],
        }
    }

    /// Whether a timer event of `epoch` is the current one.
    pub(crate) fn timer_is(&self, t: Timer, epoch: u32) -> bool {
        self.epochs[t as usize] == epoch
    }

    /// A new `archive_timeout`: its timer's new epoch.
    pub(crate) fn set_archive_timeout(&mut self, every: SimDur) -> u32 {
        self.cfg.archive_timeout = crate::base::Dur(every);
        self.epochs[Timer::ArchiveTimeout as usize] += 1;
        self.epochs[Timer::ArchiveTimeout as usize]
    }

    /// A new base-backup schedule: its timer's new epoch.
    pub(crate) fn set_base_backup_every(&mut self, every: SimDur) -> u32 {
        self.cfg.base_backup_every = crate::base::Dur(every);
        self.epochs[Timer::BaseBackups as usize] += 1;
        self.epochs[Timer::BaseBackups as usize]
    }

    /// Completed segments waiting for `archive_command`: (timeline, segment number).
    pub fn pending_segments(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.pending.iter().copied()
    }

    /// What a restore to `req` would recover from `history` now, without changing anything (for previews).
    pub fn preview(&self, history: &History, req: &Request, now: SimTime) -> Result<crate::pitr::Outcome, String> {
        crate::pitr::restore(history, &self.archive, req, now, &self.clock, self.rates()).map_err(String::from)
    }

    /// How fast a restore copies a base backup and replays WAL.
    pub fn rates(&self) -> Rates {
        Rates { restore_mb_s: self.cfg.restore_mb_s, replay_mb_s: self.cfg.replay_mb_s }
    }

    /// The first LSN still waiting to be archived, which the primary must keep in `pg_wal`.
    pub(crate) fn hold(&self) -> Option<u64> {
        self.pending.front().map(|&(_, seg)| seg * SEGMENT_BYTES)
    }
}

impl Backups {
    /// The LSN the running restore has replayed up to, while it replays.
    pub fn replay_cursor(&self, now: SimTime) -> Option<u64> {
        let o = self.restores.last()?;
        let crate::pitr::Phase::Replaying(pm) = o.phase(now) else { return None };
        let start = self.archive.backups.iter().find(|x| x.label == o.backup)?.start_lsn;
        Some(start + (o.end_lsn.saturating_sub(start)) / 1000 * pm as u64)
    }
}

/// The archive's side of the WAL: each method borrows the backups and the positions it is given.
impl Backups {
    /// The facts the archiver follows: a primary's flush finishes segments for `archive_command`
    /// (each copied `archive_latency` later), and a promotion starts its timeline's segments at the
    /// switch point. After a flush it archives from: the WAL that primary must keep now.
    pub(crate) fn on_fact(&mut self, f: &Fact, s: &mut Sched) -> Option<Option<u64>> {
        match *f {
            Fact::Flushed { tl, flush, primary: true, .. } => {
                let ready = self.flushed(tl, flush);
                if !self.cfg.archive {
                    return None;
                }
                for (tl, seg) in ready {
                    s.after(self.cfg.archive_latency.0, Ev::Archived { tl, seg });
                }
                Some(self.hold())
            }
            Fact::Promoted { tl, switch, .. } => {
                self.promoted(switch, tl);
                None
            }
            _ => None,
        }
    }

    /// A primary flushed up to `flush` on `tl`: the segments it finished wait for the archiver.
    /// The segments to copy now (none while `archive_command` fails).
    fn flushed(&mut self, tl: u32, flush: u64) -> Vec<(u32, u64)> {
        if !self.cfg.archive {
            return Vec::new();
        }
        let next = self.next_seg.entry(tl).or_insert(flush / SEGMENT_BYTES);
        let done = flush / SEGMENT_BYTES;
        let ready: Vec<(u32, u64)> = (*next..done).map(|s| (tl, s)).collect();
        *next = (*next).max(done);
        self.pending.extend(ready.iter().copied());
        if self.failing {
            return Vec::new();
        }
        ready
    }

    /// `archive_command` copied segment `seg` of `tl`: the WAL primaries must still keep, or
    /// `None` if the copy failed (the archiver is failing).
    pub(crate) fn archived(&mut self, tl: u32, seg: u64, now: SimTime) -> Option<Option<u64>> {
        if self.failing {
            return None;
        }
        self.pending.retain(|&p| p != (tl, seg));
        let name = Lsn(seg * SEGMENT_BYTES).segment_name(tl);
        self.archive.segments.entry(name).or_insert(SegmentState::Archived { at: now });
        Some(self.hold())
    }
}

/// The archiver's schedule and the base backups' bookkeeping.
impl Backups {
    /// `archive_timeout`: whether the current segment is due for a switch at `now`, and when the
    /// checkpointer wakes next (when the current segment turns `archive_timeout` old).
    pub(crate) fn archive_timeout_due(&self, now: SimTime) -> (bool, SimTime) {
        let every = self.cfg.archive_timeout.0;
        let due = now.since(self.last_switch) >= every;
        (due, if due { now + every } else { self.last_switch + every })
    }

    /// `pg_switch_wal()` ran at `now`.
    pub(crate) fn switched(&mut self, now: SimTime) {
        self.last_switch = now;
    }

    /// A base backup of node `n` (incarnation `inc`) starts at `now` from `start`; how long its
    /// copy of `bytes` takes, or why it cannot start.
    pub(crate) fn begin_backup(&mut self, n: u16, inc: u32, now: SimTime, start: u64, bytes: u64) -> Result<SimDur, String> {
        if self.running.is_some() {
            return Err("a base backup is already running".into());
        }
        self.running = Some((n, inc, now, start));
        Ok(crate::postgres::replication::transfer(bytes, self.cfg.backup_mb_s))
    }

    /// The running base backup, if any, taken off (node, incarnation, start time, start LSN).
    pub(crate) fn take_running(&mut self) -> Option<(u16, u32, SimTime, u64)> {
        self.running.take()
    }

    /// `pg_backup_stop()` kept a backup of timeline `tl` from `start` (at `started`) to `stop`
    /// (at `now`): it joins the archive, the oldest beyond `keep_backups` is dropped with the
    /// segments only it needed. Returns its label.
    pub(crate) fn keep_backup(&mut self, tl: u32, start: u64, stop: u64, started: SimTime, now: SimTime, bytes: u64) -> String {
        let digits: String = self.clock.timestamptz(started).chars().filter(char::is_ascii_digit).take(14).collect();
        let label = format!("{}-{}F", digits.get(..8).unwrap_or_default(), digits.get(8..).unwrap_or_default());
        self.archive.backups.push(BaseBackup { label: label.clone(), timeline: tl, start_lsn: start, stop_lsn: stop, started, finished: now, bytes, corrupt: false });
        let keep = self.cfg.keep_backups.max(1) as usize;
        while self.archive.backups.len() > keep {
            self.archive.backups.remove(0);
        }
        let oldest = self.archive.backups.first().map_or(0, |x| x.start_lsn / SEGMENT_BYTES);
        self.archive.segments.retain(|name, _| crate::pitr::segment_number(name) >= oldest);
        label
    }

    /// A timeline created by promotion archives its segments from the switch point on.
    fn promoted(&mut self, switch: u64, tl: u32) {
        self.next_seg.insert(tl, switch / SEGMENT_BYTES);
    }
}

/// The record an operator error writes.
pub(crate) fn operator_op(kind: &str) -> Result<Op, CommandError> {
    match kind {
        "drop_table" => Ok(Op::DropTable { table: ACCOUNTS }),
        "update_all" => Ok(Op::UpdateAll { table: ACCOUNTS }),
        _ => Err(CommandError::new(CommandErrorKind::BadValue, format!("operator error kind `{kind}` is not drop_table or update_all"))),
    }
}

/// A WAL file name is 24 hexadecimal digits (timeline, log, segment).
pub(crate) fn check_segment_name(name: &str) -> Result<(), CommandError> {
    if name.len() == 24 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(CommandError::new(CommandErrorKind::BadValue, format!("`{name}` is not a WAL segment name (24 hex digits, like 000000010000000000000003)")))
    }
}

/// The backup section of a report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BackupReport {
    pub base_backups: Vec<BackupRow>,
    pub segments_archived: u64,
    pub segments_pending: u64,
    pub segments_missing: Vec<String>,
    pub restores: Vec<RestoreRow>,
    pub restores_refused: Vec<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct BackupRow {
    pub label: String,
    pub timeline: u32,
    pub start_lsn: String,
    pub stop_lsn: String,
    pub started: String,
    pub finished: String,
    pub corrupt: bool,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct RestoreRow {
    pub backup: String,
    pub from_timeline: u32,
    pub end_lsn: String,
    pub new_timeline: Option<u32>,
    pub history: String,
    pub last_commit_xid: Option<u64>,
    pub last_commit_time: Option<String>,
    pub rows: u64,
    pub table_dropped: bool,
    pub stopped_early: Option<String>,
    pub duration_ms: u64,
    pub commits_discarded: u64,
    pub rpo_ms: u64,
}
