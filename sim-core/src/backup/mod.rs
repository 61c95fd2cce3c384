//! Backups in the running world: the committed history, WAL archiving (`archive_timeout`, archive
//! latency, a failing `archive_command`), base backups on a schedule or on demand, and PITR restores.
pub mod drill;
pub mod pitr;
use crate::command::Command;
use crate::lsn::{history_file_name, Lsn, SEGMENT_BYTES};
use crate::pitr::{Archive, BaseBackup, Clock, History, Op, Rates, Record, Request, SegmentState, Target, TargetAction};
use crate::postgres::Role;
use crate::scenario::BackupCfg;
use crate::time::{SimDur, SimTime};
use crate::world::NoteKind;
use crate::world::{CommandError, CommandErrorKind, Ev, World};
use std::collections::{BTreeMap, VecDeque};

/// How often a failing `archive_command` is retried (PostgreSQL's archiver sleeps 60 s after 3 failures).
const ARCHIVE_RETRY: SimDur = SimDur::secs(60);

/// The backup side of the world; present only when the scenario has a `[backup]` section.
#[derive(Clone, Debug)]
pub struct Backups {
    pub cfg: BackupCfg,
    pub clock: Clock,
    pub history: History,
    pub archive: Archive,
    /// Records inserted on each node but not yet flushed there (a crash loses them).
    unflushed: Vec<VecDeque<Record>>,
    /// The next segment number of each timeline to hand to the archiver.
    next_seg: BTreeMap<u32, u64>,
    /// Completed segments waiting for `archive_command` (timeline, segment number).
    pending: VecDeque<(u32, u64)>,
    pub failing: bool,
    last_switch: SimTime,
    running: Option<(u16, u32, SimTime, u64)>,
    /// Every restore performed, with its outcome text, for reports.
    pub restores: Vec<crate::pitr::Outcome>,
    /// Why each refused restore was refused.
    pub refused: Vec<String>,
    /// DROP TABLE records written: (timeline, LSN).
    drops: Vec<(u32, u64)>,
}

impl Backups {
    pub fn new(cfg: BackupCfg, clock: Clock, nodes: usize, start: u64) -> Backups {
        Backups {
            cfg,
            clock,
            history: History::new(start),
            archive: Archive::default(),
            unflushed: vec![VecDeque::new(); nodes],
            next_seg: BTreeMap::from([(1, start / SEGMENT_BYTES)]),
            pending: VecDeque::new(),
            failing: false,
            last_switch: SimTime::ZERO,
            running: None,
            restores: Vec::new(),
            refused: Vec::new(),
            drops: Vec::new(),
        }
    }

    /// Completed segments waiting for `archive_command`: (timeline, segment number).
    pub fn pending_segments(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.pending.iter().copied()
    }

    /// What a restore to `req` would recover now, without changing anything (for previews).
    pub fn preview(&self, req: &Request, now: SimTime) -> Result<crate::pitr::Outcome, String> {
        let rates = Rates { restore_mb_s: self.cfg.restore_mb_s, replay_mb_s: self.cfg.replay_mb_s };
        crate::pitr::restore(&self.history, &self.archive, req, now, &self.clock, rates).map_err(String::from)
    }

    /// The first LSN still waiting to be archived, which the primary must keep in `pg_wal`.
    fn hold(&self) -> Option<u64> {
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
    /// A WAL record inserted on node `n` (timeline `tl`, flushed up to `flushed`): kept until the
    /// flush makes it history. A record at or below one already kept replaces what was unflushed
    /// (the node was rewound or restarted).
    fn inserted(&mut self, n: u16, tl: u32, flushed: u64, r: Record) {
        let q = &mut self.unflushed[n as usize];
        if q.back().is_some_and(|x| x.lsn >= r.lsn) {
            q.retain(|x| x.lsn <= flushed);
        }
        q.push_back(r);
        if r.op == Op::DropTable {
            self.drops.push((tl, r.lsn));
        }
    }

    /// Whether a node's history (at `insert_lsn` on timeline `tl`) includes a DROP TABLE.
    fn dropped(&self, tl: u32, insert_lsn: u64) -> bool {
        self.drops.iter().any(|&(dtl, lsn)| lsn <= insert_lsn && self.history.reaches(tl, dtl, lsn))
    }

    /// Node `n` flushed up to `flush` on `tl`: its records become history, and on a primary the
    /// segments it finished wait for the archiver. The segments to copy now (none while
    /// `archive_command` fails).
    fn flushed(&mut self, n: u16, tl: u32, flush: u64, primary: bool) -> Vec<(u32, u64)> {
        while self.unflushed[n as usize].front().is_some_and(|r| r.lsn <= flush) {
            if let Some(r) = self.unflushed[n as usize].pop_front() {
                self.history.push(tl, r);
            }
        }
        if !primary || !self.cfg.archive {
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
    fn archived(&mut self, tl: u32, seg: u64, now: SimTime) -> Option<Option<u64>> {
        if self.failing {
            return None;
        }
        self.pending.retain(|&p| p != (tl, seg));
        let name = Lsn(seg * SEGMENT_BYTES).segment_name(tl);
        self.archive.segments.entry(name).or_insert(SegmentState::Archived { at: now });
        Some(self.hold())
    }
}

impl World {
    /// Records a WAL record inserted on `n` (not durable until flushed).
    pub(crate) fn record_inserted(&mut self, n: u16, lsn: u64, xid: u64, op: Op) {
        let node = &self.c.nodes[n as usize];
        if let Some(b) = self.c.backups.as_deref_mut() {
            b.inserted(n, node.tl, node.flush_lsn, Record { lsn, xid, at: self.now, op });
        }
    }

    /// Whether node `n`'s history includes a DROP TABLE: its writes then fail.
    pub(crate) fn table_gone(&self, n: u16) -> bool {
        let node = &self.c.nodes[n as usize];
        self.c.backups.as_deref().is_some_and(|b| b.dropped(node.tl, node.insert_lsn))
    }

    /// After a flush on primary `n`: its records become history and finished segments go to the archiver.
    pub(crate) fn backup_flushed(&mut self, n: u16) {
        let node = &self.c.nodes[n as usize];
        let (tl, flush, primary) = (node.tl, node.flush_lsn, node.role == Role::Primary);
        let Some(b) = self.c.backups.as_deref_mut() else { return };
        let ready = b.flushed(n, tl, flush, primary);
        if !primary || !b.cfg.archive {
            return;
        }
        let latency = b.cfg.archive_latency.0;
        for (tl, seg) in ready {
            self.after(latency, Ev::Archived { tl, seg });
        }
        self.c.nodes[n as usize].archive_hold = self.c.backups.as_deref().and_then(Backups::hold);
    }

    /// `archive_command` finished copying a segment to the object store.
    pub(crate) fn on_archived(&mut self, tl: u32, seg: u64) -> u64 {
        let Some(b) = self.c.backups.as_deref_mut() else { return 0 };
        let Some(hold) = b.archived(tl, seg, self.now) else { return 0 };
        for node in self.c.nodes.iter_mut().filter(|x| x.role == Role::Primary) {
            node.archive_hold = hold;
        }
        seg * SEGMENT_BYTES
    }

    /// Retries every pending segment after `archive_command` works again.
    pub(crate) fn on_archive_retry(&mut self) -> u64 {
        let Some(b) = self.c.backups.as_deref() else { return 0 };
        if b.failing {
            self.after(ARCHIVE_RETRY, Ev::ArchiveRetry);
            return 0;
        }
        let pending: Vec<(u32, u64)> = b.pending.iter().copied().collect();
        let latency = b.cfg.archive_latency.0;
        for (i, (tl, seg)) in pending.iter().enumerate() {
            self.after(SimDur(latency.0.saturating_mul(i as u64 + 1)), Ev::Archived { tl: *tl, seg: *seg });
        }
        pending.len() as u64
    }

    /// `archive_timeout`: forces a segment switch on the primary when the current segment has WAL.
    pub(crate) fn on_archive_timeout(&mut self) -> u64 {
        let Some(b) = self.c.backups.as_deref() else { return 0 };
        let every = b.cfg.archive_timeout.0;
        let due = self.now.since(b.last_switch) >= every;
        // The checkpointer wakes again when the current segment turns archive_timeout old.
        let next = if due { self.now + every } else { b.last_switch + every };
        self.push(next, Ev::ArchiveTimeout);
        let Some(p) = self.writable_primary() else { return 0 };
        if due && !self.c.nodes[p as usize].insert_lsn.is_multiple_of(SEGMENT_BYTES) {
            return self.switch_wal(p);
        }
        0
    }

    fn writable_primary(&self) -> Option<u16> {
        (0..self.c.nodes.len() as u16).find(|&n| {
            let node = &self.c.nodes[n as usize];
            node.role == Role::Primary && node.writable && node.is_running()
        })
    }

    /// `pg_switch_wal()`: the rest of the segment is skipped and the segment is complete.
    pub(crate) fn switch_wal(&mut self, p: u16) -> u64 {
        let node = &mut self.c.nodes[p as usize];
        let end = node.insert_lsn.div_ceil(SEGMENT_BYTES) * SEGMENT_BYTES;
        node.insert_lsn = end;
        node.flush_lsn = end;
        node.record_flush(self.now);
        if let Some(b) = self.c.backups.as_deref_mut() {
            b.last_switch = self.now;
        }
        self.note(Some(p), NoteKind::Backup, format!("WAL switch: segment {} complete", Lsn(end - 1).segment_name(self.c.nodes[p as usize].tl)));
        self.backup_flushed(p);
        self.after_local_flush(p);
        end
    }

    /// Starts a base backup on the writable primary (the command refuses when there is none).
    pub(crate) fn start_base_backup(&mut self) -> Result<(), String> {
        let p = self.writable_primary().ok_or("no writable primary to back up")?;
        let Some(b) = self.c.backups.as_deref() else { return Err("this scenario has no [backup] section".into()) };
        if b.running.is_some() {
            return Err("a base backup is already running".into());
        }
        let node = &self.c.nodes[p as usize];
        let took = crate::postgres::replication::transfer(node.data_bytes, b.cfg.backup_mb_s);
        let (inc, start) = (node.inc, node.insert_lsn);
        if let Some(b) = self.c.backups.as_deref_mut() {
            b.running = Some((p, inc, self.now, start));
        }
        self.note(Some(p), NoteKind::Backup, format!("pg_basebackup started at {} (about {took} to copy)", Lsn(start)));
        self.after(took, Ev::BackupDone { n: p, inc });
        Ok(())
    }

    pub(crate) fn on_backup_tick(&mut self) -> u64 {
        let every = self.c.backups.as_deref().map_or(SimDur::ZERO, |b| b.cfg.base_backup_every.0);
        if every > SimDur::ZERO {
            self.after(every, Ev::BackupTick);
        }
        if let Err(e) = self.start_base_backup() {
            self.note(None, NoteKind::Backup, format!("scheduled base backup skipped: {e}"));
        }
        0
    }

    /// `pg_backup_stop()`: a WAL switch, then the backup is kept (and the oldest beyond retention dropped).
    pub(crate) fn on_backup_done(&mut self, n: u16, inc: u32) -> u64 {
        let Some((p, binc, started, start)) = self.c.backups.as_deref_mut().and_then(|b| b.running.take()) else { return 0 };
        let node = &self.c.nodes[n as usize];
        if p != n || binc != inc || node.inc != inc || !node.is_running() || node.role != Role::Primary {
            self.note(Some(n), NoteKind::Backup, "pg_basebackup failed: the server went away during the copy".into());
            return 0;
        }
        let (tl, bytes) = (node.tl, node.data_bytes);
        let stop = self.switch_wal(n);
        let now = self.now;
        let Some(b) = self.c.backups.as_deref_mut() else { return 0 };
        let digits: String = b.clock.timestamptz(started).chars().filter(char::is_ascii_digit).take(14).collect();
        let label = format!("{}-{}F", digits.get(..8).unwrap_or_default(), digits.get(8..).unwrap_or_default());
        b.archive.backups.push(BaseBackup { label: label.clone(), timeline: tl, start_lsn: start, stop_lsn: stop, started, finished: now, bytes, corrupt: false });
        let keep = b.cfg.keep_backups.max(1) as usize;
        while b.archive.backups.len() > keep {
            b.archive.backups.remove(0);
        }
        let oldest = b.archive.backups.first().map_or(0, |x| x.start_lsn / SEGMENT_BYTES);
        b.archive.segments.retain(|name, _| crate::pitr::segment_number(name) >= oldest);
        self.note(Some(n), NoteKind::Backup, format!("base backup {label} done: {} to {} on timeline {tl}", Lsn(start), Lsn(stop)));
        stop
    }

    /// Runs a PITR restore onto a recovery server. Production keeps running; a promoting restore
    /// adds its timeline to the archive, so later promotions pick a higher ID.
    pub(crate) fn pitr_restore(&mut self, req: &Request) -> Result<(), String> {
        let now = self.now;
        let b = self.c.backups.as_deref().ok_or("this scenario has no [backup] section")?;
        let rates = Rates { restore_mb_s: b.cfg.restore_mb_s, replay_mb_s: b.cfg.replay_mb_s };
        let out = crate::pitr::restore(&b.history, &b.archive, req, now, &b.clock, rates)?;
        for line in &out.log {
            self.note(None, NoteKind::Backup, format!("PITR: {line}"));
        }
        if let Some(new) = out.new_timeline {
            self.c.max_tl = self.c.max_tl.max(new);
            self.note(None, NoteKind::Backup, format!("PITR: {} written to the archive", history_file_name(new)));
        }
        if let Some(b) = self.c.backups.as_deref_mut() {
            if let Some(new) = out.new_timeline {
                b.history.branch(out.timeline, out.end_lsn, new, out.reason.clone());
            }
            b.restores.push(out);
        }
        Ok(())
    }

    /// A timeline created by promotion starts its own history at the switch point.
    pub(crate) fn backup_promoted(&mut self, parent: u32, switch: u64, tl: u32) {
        if let Some(b) = self.c.backups.as_deref_mut() {
            b.history.branch(parent, switch, tl, "no recovery target specified".into());
            b.next_seg.insert(tl, switch / SEGMENT_BYTES);
        }
    }
}

/// The record an operator error writes.
pub(crate) fn operator_op(kind: &str) -> Result<Op, CommandError> {
    match kind {
        "drop_table" => Ok(Op::DropTable),
        "update_all" => Ok(Op::UpdateAll),
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

impl World {
    /// A statement a human ran on the primary: written to WAL like any commit.
    pub(crate) fn operator_error(&mut self, op: Op, text: &str) -> Result<(), CommandError> {
        let p = self.writable_primary().ok_or_else(|| CommandError::new(CommandErrorKind::Refused, "no writable primary to run it on"))?;
        let rec = crate::clients::align8(self.c.pgc.wal_bytes_per_commit);
        let node = &mut self.c.nodes[p as usize];
        node.insert_lsn += rec;
        let (lsn, xid) = (node.insert_lsn, node.next_xid);
        node.next_xid += 1;
        self.record_inserted(p, lsn, xid, op);
        self.repl().kick_flush(p);
        let what = match op {
            Op::DropTable => "DROP TABLE accounts",
            Op::UpdateAll => "UPDATE accounts SET balance = 0 (no WHERE clause)",
            _ => text,
        };
        self.note(Some(p), NoteKind::OperatorError, format!("{what}: xid {xid} commits at {}", Lsn(lsn)));
        Ok(())
    }

    pub(crate) fn set_archive_failing(&mut self, failing: bool) {
        if let Some(b) = self.c.backups.as_deref_mut() {
            b.failing = failing;
        }
        let text = if failing { "archive_command is failing: completed segments stay in pg_wal" } else { "archive_command works again" };
        self.note(None, NoteKind::Backup, text.into());
        if !failing {
            self.on_archive_retry();
        }
    }

    pub(crate) fn damage_segment(&mut self, name: &str, state: SegmentState) {
        if let Some(b) = self.c.backups.as_deref_mut() {
            b.archive.segments.insert(name.to_string(), state);
        }
        self.note(None, NoteKind::Backup, format!("archive: segment {name} is now {}", if state == SegmentState::Missing { "missing" } else { "corrupt" }));
    }

    pub(crate) fn corrupt_backup(&mut self, label: &str) -> Result<(), CommandError> {
        let b = self.c.backups.as_deref_mut().ok_or_else(|| CommandError::new(CommandErrorKind::NoBackup, "no [backup] section"))?;
        let found = if label.is_empty() { b.archive.backups.last_mut() } else { b.archive.backups.iter_mut().find(|x| x.label == label) };
        let bb = found
            .ok_or_else(|| CommandError::new(CommandErrorKind::UnknownName, format!("no base backup {}", if label.is_empty() { "exists yet".to_string() } else { format!("labelled `{label}`") })))?;
        bb.corrupt = true;
        let text = format!("base backup {} is silently corrupt", bb.label);
        self.note(None, NoteKind::Backup, text);
        Ok(())
    }

    /// The xid of the newest operator error of `kind` in the committed history.
    fn operator_error_xid(&self, kind: &str) -> Result<u64, CommandError> {
        let op = operator_op(kind)?;
        let b = self.c.backups.as_deref().ok_or_else(|| CommandError::new(CommandErrorKind::NoBackup, "no [backup] section"))?;
        b.history
            .timelines
            .values()
            .flat_map(|t| t.records.iter())
            .filter(|r| r.op == op)
            .map(|r| r.xid)
            .max()
            .ok_or_else(|| CommandError::new(CommandErrorKind::UnknownName, format!("target_xid_of = \"{kind}\": no such operator error has happened yet")))
    }

    /// The recovery settings a `pitr_restore` command asks for.
    /// `resolve`: look `target_xid_of` up in the history now (when the restore runs); when only
    /// checking a command ahead of time, its kind is checked and a placeholder xid used.
    pub fn restore_request(&self, cmd: &Command, resolve: bool) -> Result<Request, CommandError> {
        let clock = self.c.backups.as_deref().map(|b| b.clock).ok_or_else(|| CommandError::new(CommandErrorKind::NoBackup, "no [backup] section"))?;
        request_of(cmd, clock, |kind| if resolve { self.operator_error_xid(kind) } else { operator_op(kind).map(|_| 0) })
    }
}

/// The recovery settings a `pitr_restore` command asks for; `xid_of` finds the xid of the newest
/// operator error of a kind (a placeholder when only checking the command ahead of time).
pub(crate) fn request_of(cmd: &Command, clock: Clock, xid_of: impl Fn(&str) -> Result<u64, CommandError>) -> Result<Request, CommandError> {
    {
        let Command::PitrRestore { target_time, target_lsn, target_xid, target_xid_of, target_name, inclusive, target_action, timeline } = cmd else {
            return Err(CommandError::new(CommandErrorKind::BadValue, "not a restore"));
        };
        let given = [target_time.is_some(), target_lsn.is_some(), target_xid.is_some(), target_xid_of.is_some(), target_name.is_some()].iter().filter(|x| **x).count();
        if given > 1 {
            return Err(CommandError::new(CommandErrorKind::BadValue, "give at most one of target_time, target_lsn, target_xid, target_xid_of, target_name"));
        }
        let target_xid = match target_xid_of {
            Some(kind) => Some(xid_of(kind)?),
            None => *target_xid,
        };
        let target = match (target_time, target_lsn, target_xid, target_name) {
            (Some(t), ..) => Target::Time(clock.sim_time(t).map_err(CommandError::bad_value)?),
            (_, Some(l), ..) => Target::Lsn(Lsn::parse(l).map_err(CommandError::bad_value)?.0),
            (_, _, Some(x), _) => Target::Xid(x),
            (_, _, _, Some(n)) => Target::Name(n.clone()),
            _ => Target::Latest,
        };
        let action = match target_action.as_str() {
            "promote" => TargetAction::Promote,
            "pause" => TargetAction::Pause,
            "shutdown" => TargetAction::Shutdown,
            other => return Err(CommandError::new(CommandErrorKind::BadValue, format!("recovery_target_action `{other}` is not pause, promote or shutdown"))),
        };
        Ok(Request { target, inclusive: *inclusive, timeline: *timeline, action })
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

impl World {
    pub fn backup_report(&self) -> Option<BackupReport> {
        let b = self.c.backups.as_deref()?;
        let row = |x: &BaseBackup| BackupRow {
            label: x.label.clone(),
            timeline: x.timeline,
            start_lsn: Lsn(x.start_lsn).to_string(),
            stop_lsn: Lsn(x.stop_lsn).to_string(),
            started: b.clock.timestamptz(x.started),
            finished: b.clock.timestamptz(x.finished),
            corrupt: x.corrupt,
        };
        let restore = |o: &crate::pitr::Outcome| RestoreRow {
            backup: o.backup.clone(),
            from_timeline: o.timeline,
            end_lsn: Lsn(o.end_lsn).to_string(),
            new_timeline: o.new_timeline,
            history: o.history.clone(),
            last_commit_xid: o.last_commit.map(|r| r.xid),
            last_commit_time: o.last_commit.map(|r| b.clock.timestamptz(r.at)),
            rows: o.table.rows.len() as u64,
            table_dropped: o.table.dropped,
            stopped_early: o.stopped_early.clone(),
            duration_ms: o.duration.0 / 1000,
            commits_discarded: o.commits_discarded,
            rpo_ms: o.rpo.0 / 1000,
        };
        let archived = b.archive.segments.values().filter(|s| matches!(s, SegmentState::Archived { .. })).count() as u64;
        Some(BackupReport {
            base_backups: b.archive.backups.iter().map(row).collect(),
            segments_archived: archived,
            segments_pending: b.pending.len() as u64,
            segments_missing: b.archive.segments.iter().filter(|(_, s)| !matches!(s, SegmentState::Archived { .. })).map(|(n, _)| n.clone()).collect(),
            restores: b.restores.iter().map(restore).collect(),
            restores_refused: b.refused.clone(),
        })
    }

    /// Read-only access for tests and views: the committed history and the archive.
    pub fn backups(&self) -> Option<&Backups> {
        self.c.backups.as_deref()
    }
}
