//! Backups in the running world: recording the committed history, archiving WAL segments, base backups on a schedule or on demand, PITR restores and operator errors. The archive's own state changes are `backup::Backups`'s.
use crate::backup::{operator_op, BackupReport, BackupRow, Backups, RestoreRow, Timer, ARCHIVE_RETRY};
use crate::command::restore::request_of;
use crate::command::Command;
use crate::lsn::{history_file_name, Lsn, SEGMENT_BYTES};
use crate::pitr::{BaseBackup, Op, Record, Request, SegmentState};
use crate::postgres::Role;
use crate::time::SimDur;
use crate::world::NoteKind;
use crate::world::{CommandError, CommandErrorKind, Ev, World};

impl World {
    /// Records a WAL record inserted on `n` (not durable until flushed).
    #[inline]
    pub(crate) fn record_inserted(&mut self, n: u16, lsn: u64, xid: u64, op: Op) {
        let node = &self.c.nodes[n as usize];
        self.c.committed.inserted(n, node.tl, node.flush_lsn, Record { lsn, xid, at: self.now, op });
    }

    /// Whether node `n`'s history includes a DROP TABLE: its writes then fail.
    #[inline]
    pub(crate) fn table_gone(&self, n: u16) -> bool {
        let node = &self.c.nodes[n as usize];
        self.c.committed.dropped(node.tl, node.insert_lsn)
    }

    /// `archive_command` finished copying a segment to the object store.
    #[inline(never)]
    pub(crate) fn on_archived(&mut self, tl: u32, seg: u64) -> u64 {
        let Some(b) = self.c.backups.as_deref_mut() else { return 0 };
        let Some(hold) = b.archived(tl, seg, self.now) else { return 0 };
        for node in self.c.nodes.iter_mut().filter(|x| x.role == Role::Primary) {
            node.archive_hold = hold;
        }
        seg * SEGMENT_BYTES
    }

    /// Retries every pending segment after `archive_command` works again.
    #[inline(never)]
    pub(crate) fn on_archive_retry(&mut self) -> u64 {
        let Some(b) = self.c.backups.as_deref() else { return 0 };
        if b.failing {
            self.after(ARCHIVE_RETRY, Ev::ArchiveRetry);
            return 0;
        }
        let pending: Vec<(u32, u64)> = b.pending_segments().collect();
        let latency = b.cfg.archive_latency.0;
        for (i, (tl, seg)) in pending.iter().enumerate() {
            self.after(SimDur(latency.0.saturating_mul(i as u64 + 1)), Ev::Archived { tl: *tl, seg: *seg });
        }
        pending.len() as u64
    }

    /// `archive_timeout` changed (a reload): the checkpointer wakes now and sleeps by the new value.
    pub(crate) fn rearm_archive_timeout(&mut self, every: SimDur) {
        let Some(b) = self.c.backups.as_deref_mut() else { return };
        let epoch = b.set_archive_timeout(every);
        if b.cfg.archive && every > SimDur::ZERO {
            self.after(SimDur::ZERO, Ev::ArchiveTimeout { epoch });
        }
    }

    /// The base-backup schedule changed: the next scheduled one runs `every` from now.
    pub(crate) fn rearm_base_backups(&mut self, every: SimDur) {
        let Some(b) = self.c.backups.as_deref_mut() else { return };
        let epoch = b.set_base_backup_every(every);
        if every > SimDur::ZERO {
            self.after(every, Ev::BackupTick { epoch });
        }
    }

    /// `archive_timeout`: forces a segment switch on the primary when the current segment has WAL.
    #[inline(never)]
    pub(crate) fn on_archive_timeout(&mut self, epoch: u32) -> u64 {
        let Some(b) = self.c.backups.as_deref() else { return 0 };
        if !b.timer_is(Timer::ArchiveTimeout, epoch) {
            return 0; // superseded by a reload
        }
        let (due, next) = b.archive_timeout_due(self.now);
        self.push(next, Ev::ArchiveTimeout { epoch });
        let Some(p) = self.writable_primary() else { return 0 };
        if due && !self.c.nodes[p as usize].insert_lsn.is_multiple_of(SEGMENT_BYTES) {
            return self.switch_wal(p);
        }
        0
    }

    /// The primary that takes writes now, if any (a base backup, an operator error and a drill's
    /// disaster all need one).
    pub(crate) fn writable_primary(&self) -> Option<u16> {
        (0..self.c.nodes.len() as u16).find(|&n| {
            let node = &self.c.nodes[n as usize];
            node.role == Role::Primary && node.writable && node.is_running()
        })
    }

    /// An operator's `pg_switch_wal()` on the writable primary (the drill's DBA, before a
    /// restore to just before a mistake); whether a segment was switched.
    pub(crate) fn operator_switch_wal(&mut self) -> bool {
        match self.writable_primary() {
            Some(p) if !self.c.nodes[p as usize].insert_lsn.is_multiple_of(SEGMENT_BYTES) => {
                self.switch_wal(p);
                true
            }
            _ => false,
        }
    }

    /// `pg_switch_wal()`: the rest of the segment is skipped and the segment is complete.
    pub(crate) fn switch_wal(&mut self, p: u16) -> u64 {
        let node = &mut self.c.nodes[p as usize];
        let end = node.insert_lsn.div_ceil(SEGMENT_BYTES) * SEGMENT_BYTES;
        node.insert_lsn = end;
        node.flush_lsn = end;
        node.record_flush(self.now);
        if let Some(b) = self.c.backups.as_deref_mut() {
            b.switched(self.now);
        }
        self.note(Some(p), NoteKind::Backup, format!("WAL switch: segment {} complete", Lsn(end - 1).segment_name(self.c.nodes[p as usize].tl)));
        self.broadcast(self.flushed_fact(p));
        self.after_local_flush(p);
        end
    }

    /// Starts a base backup on the writable primary (the command refuses when there is none).
    pub(crate) fn start_base_backup(&mut self) -> Result<(), String> {
        let p = self.writable_primary().ok_or("no writable primary to back up")?;
        let node = &self.c.nodes[p as usize];
        let (inc, start) = (node.inc, node.insert_lsn);
        let Some(b) = self.c.backups.as_deref_mut() else { return Err("this scenario has no [backup] section".into()) };
        let took = b.begin_backup(p, inc, self.now, start, node.data_bytes)?;
        self.note(Some(p), NoteKind::Backup, format!("pg_basebackup started at {} (about {took} to copy)", Lsn(start)));
        self.after(took, Ev::BackupDone { n: p, inc });
        Ok(())
    }

    #[inline(never)]
    pub(crate) fn on_backup_tick(&mut self, epoch: u32) -> u64 {
        let Some(b) = self.c.backups.as_deref() else { return 0 };
        if !b.timer_is(Timer::BaseBackups, epoch) {
            return 0; // the schedule changed
        }
        let every = b.cfg.base_backup_every.0;
        if every > SimDur::ZERO {
            self.after(every, Ev::BackupTick { epoch });
        }
        if let Err(e) = self.start_base_backup() {
            self.note(None, NoteKind::Backup, format!("scheduled base backup skipped: {e}"));
        }
        0
    }

    /// `pg_backup_stop()`: a WAL switch, then the backup is kept (and the oldest beyond retention dropped).
    #[inline(never)]
    pub(crate) fn on_backup_done(&mut self, n: u16, inc: u32) -> u64 {
        let Some((p, binc, started, start)) = self.c.backups.as_deref_mut().and_then(Backups::take_running) else { return 0 };
        let node = &self.c.nodes[n as usize];
        if p != n || binc != inc || node.inc != inc || !node.is_running() || node.role != Role::Primary {
            self.note(Some(n), NoteKind::Backup, "pg_basebackup failed: the server went away during the copy".into());
            return 0;
        }
        let (tl, bytes) = (node.tl, node.data_bytes);
        let stop = self.switch_wal(n);
        let now = self.now;
        let Some(b) = self.c.backups.as_deref_mut() else { return 0 };
        let label = b.keep_backup(tl, start, stop, started, now, bytes);
        self.note(Some(n), NoteKind::Backup, format!("base backup {label} done: {} to {} on timeline {tl}", Lsn(start), Lsn(stop)));
        stop
    }

    /// Runs a PITR restore onto a recovery server. Production keeps running; a promoting restore
    /// adds its timeline to the archive, so later promotions pick a higher ID.
    pub(crate) fn pitr_restore(&mut self, req: &Request) -> Result<(), String> {
        let now = self.now;
        let b = self.c.backups.as_deref().ok_or("this scenario has no [backup] section")?;
        // Each restore keeps its restored table and its timeline's history: a run keeps a
        // bounded number of them, so a link of thousands of restores cannot grow without end.
        if b.restores.len() >= crate::backup::MAX_RESTORES {
            return Err(format!("this run has already made {} restores, as many as one run keeps (dbsim's bound, not PostgreSQL's): open the lesson again to restore more", b.restores.len()));
        }
        let rates = b.rates();
        let out = crate::pitr::restore(&self.c.committed.history, &b.archive, req, now, &b.clock, rates)?;
        // What it will do, now; what it did, when the copy and the replay have run
        // (`announce_restores`). A restore is possible at any time, the end of the run included:
        // the run goes on until the recovery server is done.
        self.note(
            None,
            NoteKind::Backup,
            format!("PITR: restore started: copying base backup \"{}\" ({}), then replaying WAL up to {}; ready in {}", out.backup, out.load.human(), Lsn(out.end_lsn), out.duration.human()),
        );
        let done = now + out.duration + SimDur::secs(2);
        if done > self.end && done.0 <= crate::scenario::MAX_DURATION.0 {
            self.end = done;
            self.finished = false;
        }
        if let Some(new) = out.new_timeline {
            self.c.max_tl = self.c.max_tl.max(new);
        }
        if let Some(new) = out.new_timeline {
            self.c.committed.branch(out.timeline, out.end_lsn, new, out.reason.clone());
        }
        if let Some(b) = self.c.backups.as_deref_mut() {
            b.restores.push(out);
        }
        Ok(())
    }

    /// Writes the log of every restore that has finished by now, in the order they started.
    pub(crate) fn announce_restores(&mut self) {
        loop {
            let Some(b) = self.c.backups.as_deref() else { return };
            let Some(out) = b.restores.get(b.announced).filter(|o| o.started + o.duration <= self.now) else { return };
            let (lines, new) = (out.log.clone(), out.new_timeline);
            if let Some(b) = self.c.backups.as_deref_mut() {
                b.announced += 1;
            }
            for line in lines {
                self.note(None, NoteKind::Backup, format!("PITR: {line}"));
            }
            if let Some(new) = new {
                self.note(None, NoteKind::Backup, format!("PITR: {} written to the archive", history_file_name(new)));
            }
        }
    }
}

impl World {
    /// A statement a human ran on the primary: written to WAL like any commit.
    pub(crate) fn operator_error(&mut self, op: Op, text: &str) -> Result<(), CommandError> {
        let p = self.writable_primary().ok_or_else(|| CommandError::new(CommandErrorKind::Refused, "no writable primary to run it on"))?;
        let rec = crate::clients::align8(self.c.pgc.wal_bytes_per_commit);
        let (lsn, xid) = self.c.nodes[p as usize].insert_commit(rec);
        self.record_inserted(p, lsn, xid, op);
        self.repl().kick_flush(p);
        let what = match op {
            Op::DropTable { table } => &format!("DROP TABLE {}", self.table(table).name),
            Op::UpdateAll { table } => &format!("UPDATE {} SET balance = 0 (no WHERE clause)", self.table(table).name),
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
        self.c
            .committed
            .history
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
            segments_pending: b.pending_segments().count() as u64,
            segments_missing: b.archive.segments.iter().filter(|(_, s)| !matches!(s, SegmentState::Archived { .. })).map(|(n, _)| n.clone()).collect(),
            restores: b.restores.iter().map(restore).collect(),
            restores_refused: b.refused.clone(),
        })
    }

    /// Read-only access for tests and views: the archive.
    pub fn backups(&self) -> Option<&Backups> {
        self.c.backups.as_deref()
    }

    /// The tables of the database, as the shared catalog describes them.
    pub fn tables(&self) -> &[sim_catalog::TableInfo] {
        &self.c.tables
    }

    /// A table of the catalog (the first, `accounts`, for an id it does not have).
    pub fn table(&self, id: crate::pitr::TableId) -> &sim_catalog::TableInfo {
        self.c.tables.get(id.0 as usize).unwrap_or(&self.c.tables[0])
    }

    /// Read-only access for tests and views: every commit's WAL record on every timeline.
    pub fn history(&self) -> &crate::pitr::History {
        &self.c.committed.history
    }
}
