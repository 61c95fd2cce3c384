//! A PostgreSQL server: WAL positions, timelines, roles, walsenders and synchronous-commit rules.
pub mod cfg;
pub mod history;
pub mod lsn;
pub mod replication;
use crate::chunklog::ChunkLog;
use crate::lsn::{Lsn, TimelineSwitch};
use crate::time::{SimDur, SimTime};
use serde::Serialize;
use std::collections::VecDeque;

/// `synchronous_standby_names`, parsed: `FIRST n (a, b)`, `ANY n (a, b)`, `n (a, b)`, `a, b` or `*`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SyncNames {
    pub any: bool,
    pub num: u32,
    /// Standby names in priority order; `*` matches every standby.
    pub names: Vec<String>,
}

impl SyncNames {
    pub fn parse(s: &str) -> Result<SyncNames, String> {
        let t = s.trim();
        if t.is_empty() {
            return Ok(SyncNames::default());
        }
        let (any, rest) = if let Some(r) = strip_word(t, "ANY") {
            (true, r)
        } else if let Some(r) = strip_word(t, "FIRST") {
            (false, r)
        } else {
            (false, t)
        };
        let (num, list) = match rest.split_once('(') {
            Some((n, l)) => {
                let list = l.strip_suffix(')').ok_or_else(|| format!("`{s}`: missing `)`"))?;
                let num = n.trim().parse::<u32>().map_err(|_| format!("`{s}`: `{}` is not a number of standbys", n.trim()))?;
                (num, list)
            }
            None if any || rest.len() != t.len() => return Err(format!("`{s}`: expected `(name, ...)` after the method")),
            None => (1, rest),
        };
        let names: Vec<String> = list.split(',').map(|x| x.trim().trim_matches('"').to_string()).filter(|x| !x.is_empty()).collect();
        if names.is_empty() || num == 0 {
            return Err(format!("`{s}`: needs at least one standby name and n >= 1"));
        }
        Ok(SyncNames { any, num, names })
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    /// The priority of `name` (1 = highest), or 0 when it is not listed (async).
    ///
    /// It runs for every streaming standby on every commit release, so it compares the short
    /// names byte by byte in one pass rather than calling `memcmp` (a loop of its own in wasm).
    #[inline]
    pub fn priority(&self, name: &str) -> u32 {
        let same = |a: &str, b: &str| a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y);
        let mut found = 0;
        for (i, n) in self.names.iter().enumerate() {
            if same(n, "*") {
                return 1;
            }
            if found == 0 && same(n, name) {
                found = if self.any { 1 } else { i as u32 + 1 };
            }
        }
        found
    }
    pub fn text(&self) -> String {
        if self.names.is_empty() {
            return String::new();
        }
        format!("{} {} ({})", if self.any { "ANY" } else { "FIRST" }, self.num, self.names.join(", "))
    }
}

fn strip_word<'a>(t: &'a str, w: &str) -> Option<&'a str> {
    let head = t.get(..w.len())?;
    if head.eq_ignore_ascii_case(w) && t[w.len()..].starts_with([' ', '(']) {
        Some(t[w.len()..].trim_start())
    } else {
        None
    }
}

/// Whether the Postgres process is up, and what it is doing.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PgState {
    Down,
    Starting,
    Running,
    Rewinding,
    Cloning,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Primary,
    Standby,
}

/// A `pg_stat_replication` state.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    Catchup,
    Streaming,
}

/// The primary's view of one connected standby (one `pg_stat_replication` row).
#[derive(Clone, Debug)]
pub struct WalSender {
    pub standby: u16,
    pub conn: u32,
    pub state: SendState,
    pub sent: u64,
    pub write: u64,
    pub flush: u64,
    pub replay: u64,
    pub write_lag: Option<SimDur>,
    pub flush_lag: Option<SimDur>,
    pub replay_lag: Option<SimDur>,
    /// When the link is next free: keeps the stream in order and models bandwidth.
    pub link_free_at: SimTime,
}

/// A commit waiting for its WAL to be flushed or replicated.
#[derive(Copy, Clone, Debug)]
pub struct Pending {
    pub lsn: u64,
    /// Who waits for it: the answer goes there.
    pub origin: crate::event::Origin,
    pub commit_us: u64,
    pub xid: u64,
}

/// The standby's replication connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Conn {
    None,
    Connecting(u32),
    Streaming(u32),
}

/// A replication slot on a primary.
#[derive(Clone, Debug)]
pub struct Slot {
    pub name: String,
    pub node: u16,
    pub restart_lsn: u64,
    pub consumer_running: bool,
    pub lost: bool,
    pub confirm_every: SimDur,
}

/// Host `a` to change and host `b` to read, from the same slice (`a != b`).
pub(crate) fn pair(nodes: &mut [Node], a: u16, b: u16) -> (&mut Node, &Node) {
    let (a, b) = (a as usize, b as usize);
    if a < b {
        let (lo, hi) = nodes.split_at_mut(b);
        (&mut lo[a], &hi[0])
    } else {
        let (lo, hi) = nodes.split_at_mut(a);
        (&mut hi[0], &lo[b])
    }
}

impl Slot {
    /// The consumer confirms what it read (a running one, on a running server, up to the flush),
    /// then `max_slot_wal_keep_size_mb` (-1: no limit) is enforced. Whether the slot was
    /// invalidated now (`wal_status = lost`).
    pub(crate) fn confirm(&mut self, node: &Node, keep_mb: i64) -> bool {
        if self.consumer_running && !self.lost && node.is_running() {
            self.restart_lsn = node.flush_lsn;
        }
        if keep_mb >= 0 && !self.lost && node.insert_lsn.saturating_sub(self.restart_lsn) > keep_mb as u64 * 1_048_576 {
            self.lost = true;
            return true;
        }
        false
    }
}

/// One simulated Postgres host: the server, its disk, and the Patroni agent's local state.
#[derive(Clone, Debug)]
pub struct Node {
    pub name: String,
    pub region: String,
    pub host_up: bool,
    pub pg: PgState,
    /// Restarting as a standby after Patroni demoted it (until it is running again).
    pub demoting: bool,
    pub role: Role,
    pub writable: bool,
    pub disk_ok: bool,
    pub disk_full: bool,
    /// Bumped on every crash or restart; events from an older incarnation are ignored.
    pub inc: u32,
    pub tl: u32,
    pub history: Vec<TimelineSwitch>,
    pub insert_lsn: u64,
    pub flush_lsn: u64,
    pub write_lsn: u64,
    pub replay_lsn: u64,
    pub flushing: bool,
    pub applying: bool,
    pub pending: VecDeque<Pending>,
    pub upstream: Option<u16>,
    pub conn: Conn,
    pub senders: Vec<WalSender>,
    pub sync_names: SyncNames,
    pub slow_factor: u64,
    pub disk_bytes: u64,
    pub data_bytes: u64,
    pub redo_lsn: u64,
    pub last_checkpoint: SimTime,
    /// (lsn, time) of recent local flushes, for `write_lag` / `flush_lag` / `replay_lag`.
    pub flush_log: ChunkLog<(u64, SimTime)>,
    pub agent: Agent,
    /// When the host last died: stream data still queued in its socket buffers then was lost.
    pub last_host_crash: Option<SimTime>,
    /// The start of the oldest segment not yet archived: `pg_wal` keeps it (archive_mode = on).
    pub archive_hold: Option<u64>,
    /// The next transaction ID this node would assign (as replayed from WAL on a standby).
    pub next_xid: u64,
    /// `next_xid` as of the flushed WAL: what survives a crash.
    pub flushed_xid: u64,
}

/// The Patroni agent on a host.
#[derive(Clone, Debug, Default)]
pub struct Agent {
    pub up: bool,
    pub epoch: u32,
    pub is_leader: bool,
    /// Set while a switchover hands leadership to another member.
    pub releasing: bool,
}

pub const FLUSH_LOG_CAP: usize = 4096;

impl Node {
    /// The WAL this node has durably, on its own timeline.
    pub fn durable_lsn(&self) -> u64 {
        match self.role {
            Role::Primary => self.flush_lsn,
            Role::Standby => self.flush_lsn.max(self.replay_lsn),
        }
    }
    /// The position Patroni compares in an election: received WAL on a standby.
    pub fn wal_position(&self) -> u64 {
        match self.role {
            Role::Primary => self.flush_lsn,
            Role::Standby => self.write_lsn.max(self.flush_lsn),
        }
    }
    /// Whether this node's history holds the commit ending at `lsn` on timeline `tl`.
    /// Its role alone: `primary`, `primary (read-only)` or `standby`.
    pub fn role_name(&self) -> &'static str {
        match (self.role, self.writable) {
            (Role::Primary, true) => "primary",
            (Role::Primary, false) => "primary (read-only)",
            _ => "standby",
        }
    }

    /// What the node is now, as the cluster diagram shows it: its state when it is not running,
    /// else its role.
    pub fn role_text(&self) -> &'static str {
        match (self.host_up, self.pg) {
            (false, _) => "host down",
            (_, PgState::Down) => "postgres down",
            // A primary Patroni demoted (fenced, or the key lost) restarts as a standby.
            (_, PgState::Starting) if self.demoting => "demoting",
            (_, PgState::Starting) => "starting",
            (_, PgState::Rewinding) => "pg_rewind",
            (_, PgState::Cloning) => "cloning",
            _ => self.role_name(),
        }
    }

    #[inline]
    pub fn contains(&self, tl: u32, lsn: u64) -> bool {
        if !self.disk_ok {
            return false;
        }
        if tl == self.tl {
            return lsn <= self.durable_lsn();
        }
        self.history.iter().any(|s| s.parent == tl && lsn <= s.switch_lsn.0)
    }
    /// Where timeline `tl` ends in this node's ancestry (None if it is not an ancestor).
    pub fn end_of(&self, tl: u32) -> Option<u64> {
        if tl == self.tl {
            return Some(u64::MAX);
        }
        self.history.iter().find(|s| s.parent == tl).map(|s| s.switch_lsn.0)
    }
    /// Whether `standby` (timeline, position) can stream from this node without a rewind.
    pub fn can_serve(&self, tl: u32, pos: u64) -> bool {
        match self.end_of(tl) {
            Some(u64::MAX) => pos <= self.flush_lsn,
            Some(end) => pos <= end,
            None => false,
        }
    }
    /// The last position this node shares with `other`, walking back through its timelines.
    pub fn fork_point(&self, other: &Node) -> Option<u64> {
        let mut lineage: Vec<u32> = self.history.iter().map(|s| s.parent).collect();
        lineage.push(self.tl);
        lineage.iter().rev().find_map(|&tl| {
            let mine = self.end_of(tl)?;
            let theirs = other.end_of(tl)?;
            let mine = if mine == u64::MAX { self.wal_position() } else { mine };
            let theirs = if theirs == u64::MAX { other.flush_lsn } else { theirs };
            Some(mine.min(theirs))
        })
    }
    /// Puts every WAL position (insert, write, flush, replay) at `pos`: after promotion,
    /// crash recovery, a rewind or a clone, all WAL up to `pos` is on disk and replayed.
    pub fn set_position(&mut self, pos: u64) {
        self.insert_lsn = pos;
        self.write_lsn = pos;
        self.flush_lsn = pos;
        self.replay_lsn = pos;
    }
    #[inline]
    pub fn is_running(&self) -> bool {
        self.host_up && self.pg == PgState::Running
    }
    /// Bytes of WAL kept on disk: since the last checkpoint or the oldest slot.
    #[inline]
    pub fn wal_retained(&self, slots: &[Slot], me: u16) -> u64 {
        let mut keep = self.redo_lsn;
        for s in slots.iter().filter(|s| s.node == me && !s.lost) {
            keep = keep.min(s.restart_lsn);
        }
        if let Some(h) = self.archive_hold {
            keep = keep.min(h);
        }
        self.insert_lsn.saturating_sub(keep)
    }
    /// The checkpointer's pass on a running primary: a checkpoint when `timeout` has passed since
    /// the last one or `max_wal` bytes were written since its redo point. The redo point.
    pub(crate) fn checkpoint(&mut self, now: SimTime, timeout: SimDur, max_wal: u64) -> u64 {
        if !self.is_running() || self.role != Role::Primary {
            return 0;
        }
        if now.since(self.last_checkpoint) >= timeout || self.insert_lsn - self.redo_lsn >= max_wal {
            self.redo_lsn = self.flush_lsn;
            self.last_checkpoint = now;
        }
        self.redo_lsn
    }

    /// How long one fsync takes on this host's disk (`fsync` at normal speed).
    #[inline]
    pub(crate) fn disk_delay(&self, fsync: SimDur) -> SimDur {
        SimDur(fsync.0 * self.slow_factor)
    }

    /// A primary inserts one transaction's commit record of `rec` bytes (8-byte aligned): its
    /// (LSN, xid). It is not durable until a flush reaches it.
    #[inline]
    pub(crate) fn insert_commit(&mut self, rec: u64) -> (u64, u64) {
        self.insert_lsn += rec;
        let xid = self.next_xid;
        self.next_xid += 1;
        (self.insert_lsn, xid)
    }

    /// The client of commit (`client`, `gen`) stopped waiting for it: the commit leaves the
    /// queue. PostgreSQL cannot take a commit back, so this only says whether its record was
    /// already flushed (committed locally, the backend's wait for a synchronous standby
    /// cancelled) or is still being flushed (it commits when the flush completes, with nobody
    /// waiting). `None` when no such commit waits here.
    pub(crate) fn cancel_wait(&mut self, origin: crate::event::Origin) -> Option<bool> {
        let i = self.pending.iter().position(|p| p.origin == origin)?;
        let p = self.pending.remove(i)?;
        Some(p.lsn <= self.flush_lsn)
    }

    /// A primary starts flushing the WAL inserted so far, unless a flush is running or nothing
    /// is new: the flush's (incarnation, end, next xid), for the event that completes it.
    #[inline]
    pub(crate) fn begin_flush(&mut self) -> Option<(u32, u64, u64)> {
        if self.flushing || self.insert_lsn <= self.flush_lsn || !self.is_running() {
            return None;
        }
        self.flushing = true;
        Some((self.inc, self.insert_lsn, self.next_xid))
    }

    /// A primary's flush up to `upto` completes; false if the server restarted meanwhile.
    #[inline]
    pub(crate) fn flushed(&mut self, inc: u32, upto: u64, xid: u64, now: SimTime) -> bool {
        if self.inc != inc || !self.is_running() {
            return false;
        }
        self.flushing = false;
        if upto > self.flush_lsn {
            self.flush_lsn = upto;
            self.flushed_xid = xid;
            self.record_flush(now);
        }
        true
    }

    /// WAL up to `upto` (and xids up to `xid`) reaches a standby's walreceiver.
    #[inline]
    pub(crate) fn received(&mut self, upto: u64, xid: u64) {
        self.write_lsn = self.write_lsn.max(upto);
        self.next_xid = self.next_xid.max(xid);
        self.flushed_xid = self.next_xid;
    }

    /// A standby starts flushing the WAL it received: (incarnation, end).
    #[inline]
    pub(crate) fn begin_standby_flush(&mut self) -> Option<(u32, u64)> {
        if self.flushing || self.write_lsn <= self.flush_lsn {
            return None;
        }
        self.flushing = true;
        Some((self.inc, self.write_lsn))
    }

    /// A standby's flush up to `upto` completes; false if it restarted meanwhile.
    #[inline]
    pub(crate) fn standby_flushed(&mut self, inc: u32, upto: u64) -> bool {
        if self.inc != inc || !self.is_running() {
            return false;
        }
        self.flushing = false;
        self.flush_lsn = self.flush_lsn.max(upto);
        true
    }

    /// A standby starts replaying the WAL it flushed: (incarnation, end).
    #[inline]
    pub(crate) fn begin_apply(&mut self) -> Option<(u32, u64)> {
        if self.applying || self.flush_lsn <= self.replay_lsn {
            return None;
        }
        self.applying = true;
        Some((self.inc, self.flush_lsn))
    }

    /// A standby's replay up to `upto` completes; false if it restarted meanwhile.
    #[inline]
    pub(crate) fn applied(&mut self, inc: u32, upto: u64) -> bool {
        if self.inc != inc || !self.is_running() {
            return false;
        }
        self.applying = false;
        self.replay_lsn = self.replay_lsn.max(upto);
        true
    }

    /// The highest LSN whose commits may be acknowledged at `level`: the local flush, or with
    /// synchronous standbys (`synchronous_standby_names`) the lower of it and the position they
    /// confirmed (`standby_name` names a sender's standby).
    #[inline]
    pub(crate) fn ack_limit<'a>(&self, level: crate::postgres::cfg::SyncCommit, standby_name: impl Fn(u16) -> &'a str) -> u64 {
        use crate::postgres::cfg::SyncCommit;
        let local = self.flush_lsn;
        let pick: fn(&WalSender) -> u64 = match level {
            SyncCommit::Off | SyncCommit::Local => return local,
            SyncCommit::RemoteWrite => |s| s.write,
            SyncCommit::On => |s| s.flush,
            SyncCommit::RemoteApply => |s| s.replay,
        };
        if self.sync_names.is_empty() {
            return local;
        }
        sync_position(&self.sync_names, &self.senders, standby_name, pick).map_or(0, |p| p.min(local))
    }

    /// A primary's walsender for connection `conn` hears its standby's positions (write, flush,
    /// replay): it records them with their lags (`pg_stat_replication`) and, once the standby has
    /// caught up, moves to `streaming`. The sender's index, if the reply still counts.
    #[inline]
    pub(crate) fn feedback(&mut self, conn: u32, write: u64, flush: u64, replay: u64, now: SimTime) -> Option<usize> {
        if !self.is_running() || self.role != Role::Primary {
            return None;
        }
        let i = self.senders.iter().position(|w| w.conn == conn)?;
        let (wl, fl, rl) = (self.lag_for(write, now), self.lag_for(flush, now), self.lag_for(replay, now));
        let local_flush = self.flush_lsn;
        let w = &mut self.senders[i];
        w.write = w.write.max(write);
        w.flush = w.flush.max(flush);
        w.replay = w.replay.max(replay);
        w.write_lag = wl.or(w.write_lag);
        w.flush_lag = fl.or(w.flush_lag);
        w.replay_lag = rl.or(w.replay_lag);
        if w.state == SendState::Catchup && now >= w.link_free_at && w.sent >= local_flush {
            w.state = SendState::Streaming;
        }
        Some(i)
    }

    /// Promotion (`pg_promote`): a new timeline `tl` starts at `switch`, recorded in the history
    /// (the `.history` file's line), and the server accepts writes.
    pub(crate) fn promote(&mut self, old_tl: u32, tl: u32, switch: u64, sync_names: SyncNames) {
        self.history.push(TimelineSwitch { parent: old_tl, switch_lsn: Lsn(switch), reason: "no recovery target specified".into() });
        self.tl = tl;
        self.role = Role::Primary;
        self.writable = true;
        self.set_position(switch);
        self.redo_lsn = switch;
        self.upstream = None;
        self.sync_names = sync_names;
    }

    /// A primary becomes a standby. `immediate` (Patroni's immediate shutdown) loses WAL not yet
    /// flushed; otherwise it is flushed first.
    pub(crate) fn demote(&mut self, immediate: bool) {
        if immediate {
            self.insert_lsn = self.flush_lsn;
            self.next_xid = self.flushed_xid;
        } else {
            self.flush_lsn = self.insert_lsn;
        }
        self.write_lsn = self.flush_lsn;
        self.replay_lsn = self.flush_lsn;
        self.role = Role::Standby;
        self.writable = false;
        self.agent.is_leader = false;
        self.agent.releasing = false;
        self.upstream = None;
        self.demoting = true;
    }

    /// Postgres dies (the host stays): a new incarnation, not writable; a primary loses the WAL it
    /// had not flushed.
    pub(crate) fn crash_pg(&mut self) {
        self.pg = PgState::Down;
        self.demoting = false;
        self.new_incarnation();
        self.writable = false;
        if self.role == Role::Primary {
            self.insert_lsn = self.flush_lsn;
            self.next_xid = self.flushed_xid;
        }
    }

    /// The whole host dies at `now`, with its Patroni agent and its page cache (WAL written but not
    /// flushed). False if it was already down. Postgres's own crash follows (`crash_pg`).
    pub(crate) fn crash_host(&mut self, now: SimTime) -> bool {
        if !self.host_up {
            return false;
        }
        self.host_up = false;
        self.demoting = false;
        self.last_host_crash = Some(now);
        self.agent.up = false;
        self.agent.is_leader = false;
        self.agent.releasing = false;
        self.write_lsn = self.flush_lsn;
        true
    }

    /// A new incarnation of the server: work of the old one (flushes, replay) no longer counts.
    pub(crate) fn new_incarnation(&mut self) {
        self.inc += 1;
        self.flushing = false;
        self.applying = false;
    }

    /// Postgres starts, if it can (a data directory, a host): the incarnation whose startup
    /// completes, or `None` (it stays down: only a re-clone brings it back).
    pub(crate) fn begin_start(&mut self) -> Option<u32> {
        if !self.disk_ok || !self.host_up {
            self.pg = PgState::Down;
            return None;
        }
        self.pg = PgState::Starting;
        Some(self.inc)
    }

    /// Startup of incarnation `inc` completes, as a primary (writable if its agent leads) or a
    /// standby at the WAL it has; false if that startup no longer counts.
    pub(crate) fn started(&mut self, inc: u32, primary: bool) -> bool {
        if self.inc != inc || !self.host_up || !self.disk_ok || self.pg != PgState::Starting {
            return false;
        }
        self.pg = PgState::Running;
        self.demoting = false;
        self.flushing = false;
        self.applying = false;
        if primary {
            self.role = Role::Primary;
            self.insert_lsn = self.flush_lsn;
            self.writable = self.agent.is_leader;
        } else {
            self.role = Role::Standby;
            self.writable = false;
            let pos = self.write_lsn.max(self.flush_lsn);
            self.set_position(pos);
        }
        true
    }

    /// Postgres stops for a rewind or a re-clone (`state`); the new incarnation.
    pub(crate) fn take_offline(&mut self, state: PgState) -> u32 {
        self.pg = state;
        self.inc += 1;
        self.inc
    }

    /// The server becomes a running standby of `upstream` at `pos`, with the leader's timeline,
    /// history and xids (after `pg_rewind` or a re-clone).
    pub(crate) fn adopt(&mut self, upstream: u16, leader: &Node, pos: u64) {
        self.next_xid = leader.flushed_xid;
        self.flushed_xid = leader.flushed_xid;
        self.tl = leader.tl;
        self.history = leader.history.clone();
        self.set_position(pos);
        self.pg = PgState::Running;
        self.role = Role::Standby;
        self.writable = false;
        self.upstream = Some(upstream);
        self.conn = Conn::None;
    }

    /// The oldest waiting commit, taken off the queue if it is at or below `limit`.
    #[inline]
    pub(crate) fn next_releasable(&mut self, limit: u64) -> Option<Pending> {
        self.pending.front().filter(|p| p.lsn <= limit)?;
        self.pending.pop_front()
    }

    /// Notes a local flush's end and time, for the lags of the positions standbys report. Only
    /// what a connected standby may still report is kept (from the newest flush at or below the
    /// oldest replay position among them), at most `FLUSH_LOG_CAP` flushes: at thousands of
    /// flushes a second a session's every snapshot would otherwise hold its own 4,096.
    #[inline]
    pub fn record_flush(&mut self, now: SimTime) {
        if self.flush_log.len() == FLUSH_LOG_CAP {
            self.flush_log.pop_front();
        }
        self.flush_log.push((self.flush_lsn, now));
        if let Some(oldest) = self.senders.iter().map(|w| w.replay).min() {
            while self.flush_log.get(1).is_some_and(|&(l, _)| l <= oldest) {
                self.flush_log.pop_front();
            }
        }
    }
    /// Lag for a reported position: time since the newest local flush at or below it.
    #[inline]
    pub fn lag_for(&self, pos: u64, now: SimTime) -> Option<SimDur> {
        // A standby's report is nearly always about one of the newest flushes: look there first.
        if let Some(&(_, at)) = self.flush_log.newest().iter().rev().take(16).find(|(l, _)| *l <= pos) {
            return Some(now.since(at));
        }
        let i = self.flush_log.partition_point(|&(l, _)| l <= pos);
        let (_, at) = self.flush_log.get(i.checked_sub(1)?)?;
        Some(now.since(*at))
    }
    pub fn lsn(&self) -> Lsn {
        Lsn(self.wal_position())
    }
}

/// The position synchronous standbys have reached, per `synchronous_standby_names`.
/// `pick` selects write, flush or replay. `None` means not enough sync standbys are connected.
#[inline]
pub fn sync_position<'a>(names: &SyncNames, senders: &[WalSender], standby_name: impl Fn(u16) -> &'a str, pick: impl Fn(&WalSender) -> u64) -> Option<u64> {
    let listed = || {
        senders.iter().filter(|s| s.state == SendState::Streaming).filter_map(|s| {
            let p = names.priority(standby_name(s.standby));
            (p > 0).then(|| (p, pick(s)))
        })
    };
    // One sync standby is the common case, and this runs on every flush and every standby reply:
    // pick it without collecting (the first of equal priorities, as the sort below would).
    if names.num == 1 {
        return if names.any { listed().map(|c| c.1).max() } else { listed().min_by_key(|c| c.0).map(|c| c.1) };
    }
    let mut cands: Vec<(u32, u64)> = listed().collect();
    let n = names.num as usize;
    if cands.len() < n {
        return None;
    }
    if names.any {
        cands.sort_by_key(|c| core::cmp::Reverse(c.1));
        Some(cands[n - 1].1)
    } else {
        cands.sort_by_key(|c| c.0);
        cands[..n].iter().map(|c| c.1).min()
    }
}

/// The `sync_state` column for a standby.
pub fn sync_state<'a>(names: &SyncNames, senders: &[WalSender], idx: usize, standby_name: impl Fn(u16) -> &'a str) -> &'static str {
    let s = &senders[idx];
    let prio = names.priority(standby_name(s.standby));
    if prio == 0 || s.state != SendState::Streaming {
        return "async";
    }
    if names.any {
        return "quorum";
    }
    let mut ranked: Vec<(u32, usize)> =
        senders.iter().enumerate().filter(|(_, x)| x.state == SendState::Streaming).map(|(i, x)| (names.priority(standby_name(x.standby)), i)).filter(|p| p.0 > 0).collect();
    ranked.sort();
    if ranked.iter().take(names.num as usize).any(|r| r.1 == idx) {
        "sync"
    } else {
        "potential"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diagram_shows_state_before_role() {
        let mut n = crate::world::World::default_node("pg1", "r", 1 << 30, 1 << 20);
        assert_eq!((n.role_text(), n.role_name()), ("standby", "standby"));
        n.role = Role::Primary;
        assert_eq!(n.role_text(), "primary (read-only)");
        n.writable = true;
        assert_eq!(n.role_text(), "primary");
        n.pg = PgState::Rewinding;
        assert_eq!((n.role_text(), n.role_name()), ("pg_rewind", "primary"));
        n.host_up = false;
        assert_eq!(n.role_text(), "host down");
    }
    fn sender(standby: u16, flush: u64) -> WalSender {
        WalSender { standby, conn: 1, state: SendState::Streaming, sent: flush, write: flush, flush, replay: flush, write_lag: None, flush_lag: None, replay_lag: None, link_free_at: SimTime::ZERO }
    }
    fn name(i: u16) -> &'static str {
        ["pg0", "pg1", "pg2", "pg3"][i as usize]
    }
    #[test]
    fn the_flush_log_keeps_what_a_connected_standby_may_still_report() {
        let mut n = crate::world::World::default_node("pg1", "r", 1 << 30, 1 << 20);
        let flush = |n: &mut Node, lsn: u64, t: u64| {
            n.flush_lsn = lsn;
            n.record_flush(SimTime(t));
        };
        for i in 1..=100 {
            flush(&mut n, i * 100, i * 10);
        }
        assert_eq!(n.flush_log.len(), 100, "no standby: up to the cap");
        n.senders.push(sender(1, 5_000));
        flush(&mut n, 10_100, 1_010);
        assert_eq!(n.flush_log.front(), Some(&(5_000, SimTime(500))), "from the newest flush at or below the standby's replay");
        assert_eq!(n.lag_for(5_050, SimTime(2_000)), Some(SimDur(1_500)), "its lag still reads");
        n.senders[0].replay = 10_100;
        flush(&mut n, 10_200, 1_020);
        assert_eq!(n.flush_log.len(), 2);
    }
    #[test]
    fn parses_all_forms() {
        assert_eq!(SyncNames::parse("FIRST 2 (pg1, pg2, pg3)").unwrap().num, 2);
        assert!(SyncNames::parse("ANY 1 (pg1, pg2)").unwrap().any);
        assert_eq!(SyncNames::parse("pg2, pg3").unwrap().names, vec!["pg2", "pg3"]);
        assert_eq!(SyncNames::parse("2 (a, b)").unwrap().num, 2);
        assert!(SyncNames::parse("").unwrap().is_empty());
        assert!(SyncNames::parse("FIRST x (a)").is_err());
        assert!(SyncNames::parse("ANY 1 a").is_err());
    }
    #[test]
    fn a_standby_s_priority_is_its_first_place_in_the_list() {
        let first = SyncNames::parse("FIRST 1 (pg2, pg3, pg2)").unwrap();
        let got: Vec<u32> = ["pg2", "pg3", "pg4", "pg", "pg22", ""].iter().map(|n| first.priority(n)).collect();
        assert_eq!(got, [1, 2, 0, 0, 0, 0]);
        let any = SyncNames::parse("ANY 1 (pg2, pg3)").unwrap();
        assert_eq!((any.priority("pg3"), any.priority("pg4")), (1, 0));
        let star = SyncNames::parse("FIRST 1 (pg2, *)").unwrap();
        assert_eq!((star.priority("pg3"), star.priority("pg2")), (1, 1));
    }
    #[test]
    fn first_waits_for_highest_priority_and_any_for_quorum() {
        let first = SyncNames::parse("FIRST 1 (pg2, pg3)").unwrap();
        let s = vec![sender(2, 100), sender(3, 500)];
        assert_eq!(sync_position(&first, &s, name, |x| x.flush), Some(100));
        assert_eq!(sync_state(&first, &s, 0, name), "sync");
        assert_eq!(sync_state(&first, &s, 1, name), "potential");
        let any = SyncNames::parse("ANY 1 (pg2, pg3)").unwrap();
        assert_eq!(sync_position(&any, &s, name, |x| x.flush), Some(500));
        assert_eq!(sync_state(&any, &s, 0, name), "quorum");
        let two = SyncNames::parse("FIRST 2 (pg2, pg3)").unwrap();
        assert_eq!(sync_position(&two, &s[..1], name, |x| x.flush), None);
    }
    /// The rule as PostgreSQL states it (syncrep.c): rank the streaming, listed standbys; FIRST n
    /// waits for the lowest of the n best-ranked, ANY n for the n-th highest position.
    fn by_ranking(names: &SyncNames, s: &[WalSender]) -> Option<u64> {
        let mut c: Vec<(u32, u64)> = s.iter().filter(|x| x.state == SendState::Streaming).map(|x| (names.priority(name(x.standby)), x.flush)).filter(|c| c.0 > 0).collect();
        let n = names.num as usize;
        if c.len() < n {
            return None;
        }
        if names.any {
            c.sort_by_key(|b| std::cmp::Reverse(b.1));
            return Some(c[n - 1].1);
        }
        c.sort_by_key(|c| c.0);
        c[..n].iter().map(|c| c.1).min()
    }
    #[test]
    fn one_sync_standby_is_picked_as_the_ranking_would() {
        let mut rng = crate::rng::SimRng::derive(7, "sync");
        for list in ["FIRST 1 (pg2, pg3)", "ANY 1 (pg1, pg3)", "pg3, pg1", "FIRST 1 (*)", "ANY 1 (*)", "FIRST 2 (pg1, pg2, pg3)", "ANY 2 (pg1, pg2, pg3)"] {
            let names = SyncNames::parse(list).unwrap();
            for _ in 0..500 {
                let s: Vec<WalSender> = (0..rng.below(5))
                    .map(|_| {
                        let mut w = sender(rng.below(4) as u16, rng.below(4) * 100);
                        if rng.chance_ppm(250_000) {
                            w.state = SendState::Catchup;
                        }
                        w
                    })
                    .collect();
                assert_eq!(sync_position(&names, &s, name, |x| x.flush), by_ranking(&names, &s), "{list}: {s:?}");
            }
        }
    }
}
