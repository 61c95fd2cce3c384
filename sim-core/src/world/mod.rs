//! The world: every node, the DCS, the proxy and the clients, advanced one event at a time.
mod archive;
pub mod build;
pub mod components;
mod drill;
mod faults;
mod ha;
pub mod metrics;
// Without the `migrate` feature, the same methods as no-ops: a page module that leaves the
// migration out (its lessons are refused when loaded) links none of its code.
#[cfg_attr(not(feature = "migrate"), path = "migrate_off.rs")]
mod migrate;
mod periodic;
mod pipeline;
mod pool;
mod proxy;
pub mod report;
mod requests;
mod shards;
pub mod trace;
mod wal;
pub use crate::base::{CommandError, CommandErrorKind};
use crate::chunklog::ChunkLog;
use crate::command::Command;
pub use crate::event::SimError;
pub(crate) use crate::event::{Ev, Sched, Scoped};
use crate::invariants::{Invariants, Prop};
use crate::metrics::Metrics;
use crate::net::{Ep, Net};
use crate::postgres::{Agent, Conn, Node, PgState, Role, Slot, SyncNames};
use crate::queue::{EventQueue, QueueFull};
use crate::rng::SimRng;
use crate::scenario::{invalid, Invalid, PatroniCfg, PgCfg, Scenario, Seg, SyncCommit};
use crate::time::{SimDur, SimTime};
use crate::trace::{TraceEvent, TraceHash, TraceKind, NO_NODE};
use {crate::patroni::Dcs, crate::proxy::Proxy};

/// The scope of the shard router's events: it sits in front of every cluster, in none.
pub(crate) const ROUTER: u16 = u16::MAX;

/// Runs a world toward a time, stopping between two instants once a budget of events has run:
/// `World::run_for`, compiled where it is named (the browser build names it in `sim-engine`, built
/// for speed), for the code here that runs worlds of its own.
pub type Runner = fn(&mut World, SimTime, u64) -> Result<bool, SimError>;

/// A notable moment, shown on the timeline and in the event log. Decisions (which notes the
/// timeline marks, which a lesson counts) read `kind`; `text` is for people.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Note {
    pub at_ms: u64,
    pub node: Option<String>,
    pub kind: NoteKind,
    pub text: String,
}

/// What a note is about.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// An injected fault or its end: crashes, restarts, disks, partitions, links, the DCS.
    Fault,
    /// Patroni: the leader key, promotion, demotion, rewind, re-clone.
    Failover,
    Switchover,
    /// Patroni's synchronous standby (`/sync`).
    Sync,
    Proxy,
    Setting,
    /// Replication slots and their consumers.
    Slot,
    /// A client gave up waiting.
    Client,
    /// WAL archiving, base backups, PITR.
    Backup,
    /// A human mistake (DROP TABLE, UPDATE without WHERE).
    OperatorError,
    /// A command that could not apply.
    Refused,
    /// A component's own note, with its name (`pool`: the first time each error or breakage of
    /// connection pooling shows up).
    Component(&'static str),
}

impl NoteKind {
    /// Worth a mark on the timeline: something happened to the cluster.
    pub fn is_notable(self) -> bool {
        matches!(self, NoteKind::Fault | NoteKind::Failover | NoteKind::Switchover | NoteKind::Setting | NoteKind::OperatorError)
    }
}

pub const NOTE_CAP: usize = 10_000;
pub const TRACE_CAP: usize = 5_000_000;
pub const RECENT_CAP: usize = 1_000;

/// Endpoints beyond the Postgres hosts.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Eps {
    pub dcs: Ep,
    pub proxy: Ep,
    pub clients: Ep,
}

/// One Patroni cluster: its hosts, their network, the DCS keys of its scope, its proxy, its
/// clients, and what the run measured and checked on it. A world holds one cluster per scope
/// (a sharded world: one per shard); events name the scope they belong to.
#[derive(Clone, Debug)]
pub(crate) struct Cluster {
    /// Patroni's `scope`: empty for a lone cluster, the shard's name in a sharded world.
    pub(in crate::world) scope: String,
    pub(in crate::world) net: Net,
    pub(in crate::world) eps: Eps,
    pub(in crate::world) ep_region: Vec<String>,
    pub(in crate::world) rng_net: SimRng,
    pub(in crate::world) rng_ha: SimRng,
    pub(in crate::world) nodes: Vec<Node>,
    pub(in crate::world) slots: Vec<Slot>,
    pub(in crate::world) dcs: Dcs,
    pub(in crate::world) proxy: Proxy,
    pub(in crate::world) proxy_every: SimDur,
    pub(in crate::world) proxy_fall: u32,
    pub(in crate::world) proxy_rise: u32,
    /// The client workload (its sessions, settings and random stream).
    pub(in crate::world) cl: crate::clients::Clients,
    /// Per node, when its next deadline check is due (one event per node, not one per commit).
    pub(in crate::world) deadline_check: Vec<Option<SimTime>>,
    pub(in crate::world) pgc: PgCfg,
    pub(in crate::world) pat: PatroniCfg,
    pub(in crate::world) static_sync: SyncNames,
    pub(in crate::world) metrics: Metrics,
    pub(in crate::world) props: Invariants,
    pub(in crate::world) next_conn: u32,
    pub(in crate::world) max_tl: u32,
    /// The tables of this cluster's database, in the catalog the planner shares (`TableId` indexes it).
    pub(in crate::world) tables: Vec<sim_catalog::TableInfo>,
    /// Every commit's WAL record on every timeline (all of them with `[backup]`, else a window).
    pub(in crate::world) committed: crate::postgres::history::Committed,
    /// Base backups and the WAL archive (with a `[backup]` section only).
    pub(in crate::world) backups: Option<Box<crate::backup::Backups>>,
    /// The optional components, each built only when the lesson's sections ask for it.
    pub(in crate::world) comps: components::Components,
    /// The settings groups this lesson has (`Scenario::setting_groups`), which a `set` command may change.
    pub(in crate::world) setting_groups: Vec<&'static str>,
    /// The request pipeline's stages per node: each host's CPU (modelled when a lesson
    /// describes it), and the lock stage (the table-lock manager, with `[migration]`).
    pub(in crate::world) hosts: Vec<crate::pipeline::Host>,
    pub(in crate::world) locks: Option<Box<crate::pipeline::Locks>>,
}

/// The whole simulated world. Cloning it is a snapshot.
///
/// Handlers run on the cluster of the event's scope, `c`; the others wait in `parked` (their slot
/// at `active` is empty). Entering another scope swaps two boxes, so a handler reaches its own
/// cluster's fields directly and never another's.
#[derive(Clone, Debug)]
pub struct World {
    pub(in crate::world) now: SimTime,
    pub(in crate::world) end: SimTime,
    pub(in crate::world) q: EventQueue<Scoped>,
    pub(in crate::world) c: Box<Cluster>,
    pub(in crate::world) active: u16,
    pub(in crate::world) parked: Vec<Option<Box<Cluster>>>,
    pub(in crate::world) hash: TraceHash,
    pub(in crate::world) events: u64,
    pub(in crate::world) max_events: u64,
    pub(in crate::world) recording: bool,
    pub(in crate::world) trace: Vec<TraceEvent>,
    /// The newest processed events (up to `recent_cap`), for a live event log.
    pub(in crate::world) recent: std::collections::VecDeque<TraceEvent>,
    pub(in crate::world) recent_cap: usize,
    /// Trace records folded so far (events, and what they did).
    pub(in crate::world) records: u64,
    /// What the event being processed did that is traced after its own record: (kind, node,
    /// lsn, arg).
    pub(in crate::world) after_event: Vec<(TraceKind, u16, u64, u64)>,
    pub(in crate::world) notes: ChunkLog<Note>,
    /// The learner's and the timeline's commands, each with its time (its scope is `target`'s).
    pub(in crate::world) commands: Vec<(SimTime, Command)>,
    /// The end-of-run accounting has been done (it runs once, when the run reaches its end).
    pub(in crate::world) finished: bool,
    pub(in crate::world) seed: u64,
    pub(in crate::world) title: String,
    pub(in crate::world) error: Option<SimError>,
    /// The shard router in front of the clusters (a sharding lesson), and its run once finished.
    pub(in crate::world) router: Option<Box<dyn crate::shard::front::Front>>,
    pub(in crate::world) router_run: Option<crate::shard::cluster::Run>,
}

impl World {
    /// Builds the world at time zero and schedules the scenario's commands.
    pub fn new(scn: &Scenario, seed: u64) -> Result<World, Invalid> {
        let mut w = crate::build::world(scn, seed)?;
        w.start_components(scn);
        for (at, cmd) in scn.commands() {
            w.schedule(SimTime(at.0), cmd).map_err(|e| invalid(vec![Seg::Key("timeline")], e.message))?;
        }
        Ok(w)
    }

    pub fn now(&self) -> SimTime {
        self.now
    }
    pub fn end(&self) -> SimTime {
        self.end
    }
    /// The lesson's title, as reports show it.
    pub(crate) fn set_title(&mut self, title: &str) {
        self.title = title.to_string();
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn events(&self) -> u64 {
        self.events
    }
    /// The trace records so far: one per event, and one per thing an event did that is traced
    /// after it (`TraceKind::PoolError`).
    pub fn records(&self) -> u64 {
        self.records
    }
    pub fn trace_hash(&self) -> u64 {
        self.hash.value()
    }
    pub fn notes(&self) -> &ChunkLog<Note> {
        &self.notes
    }
    pub fn nodes(&self) -> &[Node] {
        &self.c.nodes
    }
    pub fn input_log(&self) -> &[(SimTime, Command)] {
        &self.commands
    }
    pub fn error(&self) -> Option<&SimError> {
        self.error.as_ref()
    }
    /// Keep every processed event (bounded by `TRACE_CAP`) for `dbsim trace` and the event log.
    pub fn record_trace(&mut self, on: bool) {
        self.recording = on;
    }
    pub fn trace(&self) -> &[TraceEvent] {
        &self.trace
    }
    /// Keep the newest `n` processed events (at most `RECENT_CAP`) for a live event log.
    pub fn keep_recent(&mut self, n: usize) {
        self.recent_cap = n.min(RECENT_CAP);
        while self.recent.len() > self.recent_cap {
            self.recent.pop_front();
        }
    }
    pub fn recent(&self) -> impl DoubleEndedIterator<Item = &TraceEvent> + '_ {
        self.recent.iter()
    }
    /// An event in the compact trace format (`dbsim trace`'s lines).
    pub fn render(&self, e: &TraceEvent) -> String {
        let names: Vec<String> = self.c.nodes.iter().map(|n| n.name.clone()).collect();
        crate::trace::render(e, &names)
    }
    /// A note in the compact trace format.
    pub fn render_note(&self, n: &Note) -> String {
        crate::trace::line(SimTime(n.at_ms.saturating_mul(1000)), n.node.as_deref().unwrap_or("-"), 0, &n.text)
    }

    /// Queues `cmd` at `at` (not before now). The command is checked first and refused if it cannot apply.
    pub fn schedule(&mut self, at: SimTime, cmd: Command) -> Result<(), CommandError> {
        let k = self.target(&cmd)?;
        self.schedule_in(k, at, cmd)
    }

    /// Queues a command of a run's own log again, after a seek back to a snapshot: it may lie
    /// past the end the snapshot knows, because a restore before it extended the run (which the
    /// replay does again before the command's time comes).
    pub fn schedule_logged(&mut self, at: SimTime, cmd: Command) -> Result<(), CommandError> {
        let k = self.target(&cmd)?;
        self.schedule_until(k, at, cmd, SimTime(crate::scenario::MAX_DURATION.0))
    }

    /// Queues `cmd` at `at` for the cluster of scope `k` (a shard's cluster in a sharded world).
    pub fn schedule_in(&mut self, k: u16, at: SimTime, cmd: Command) -> Result<(), CommandError> {
        self.schedule_until(k, at, cmd, self.end)
    }

    /// Queues `cmd` at `at` (no later than `last`) for the cluster of scope `k`.
    fn schedule_until(&mut self, k: u16, at: SimTime, cmd: Command, last: SimTime) -> Result<(), CommandError> {
        if k != ROUTER && k as usize >= self.scopes() {
            return Err(CommandError::new(CommandErrorKind::UnknownName, format!("there is no cluster {k} (0 to {})", self.scopes().saturating_sub(1))));
        }
        if let Command::DcsOutage { duration: Some(d) } = cmd {
            let back = at + d.0;
            self.schedule_until(k, at, Command::DcsOutage { duration: None }, last)?;
            return if back <= last { self.schedule_until(k, back, Command::DcsRestore {}, last) } else { Ok(()) };
        }
        if k != ROUTER {
            self.enter(k);
        }
        self.check_command(&cmd)?;
        if at < self.now {
            return Err(CommandError::new(CommandErrorKind::OutOfTime, format!("cannot schedule a command at {at}, before the current time {}", self.now)));
        }
        if at > last {
            return Err(CommandError::new(CommandErrorKind::OutOfTime, format!("command at {at} is after the end of the run ({})", self.end)));
        }
        let idx = self.commands.len() as u32;
        self.commands.push((at, cmd));
        if let Err(QueueFull(cap)) = self.q.push_late(at, Scoped { k, ev: Ev::Command { idx } }) {
            return Err(CommandError::new(CommandErrorKind::QueueFull, format!("the event queue is full ({cap} pending events)")));
        }
        Ok(())
    }

    /// How many clusters (scopes) this world holds.
    pub fn scopes(&self) -> usize {
        self.parked.len()
    }

    /// Makes scope `k`'s cluster the one handlers, reports and views see (an unknown scope
    /// changes nothing). Which cluster is entered never changes the run.
    #[inline]
    pub fn enter(&mut self, k: u16) {
        if k == self.active {
            return;
        }
        let Some(next) = self.parked.get_mut(k as usize).and_then(Option::take) else { return };
        let prev = std::mem::replace(&mut self.c, next);
        self.parked[self.active as usize] = Some(prev);
        self.active = k;
    }

    /// Scope `k`'s cluster, wherever it waits.
    pub(crate) fn cluster(&self, k: u16) -> Option<&Cluster> {
        if k == self.active && !self.parked.is_empty() {
            return Some(&self.c);
        }
        self.parked.get(k as usize).and_then(|c| c.as_deref())
    }

    /// Scope `k`'s name (Patroni's `scope`; empty for a lone cluster).
    pub fn scope_name(&self, k: u16) -> &str {
        if k == self.active {
            return &self.c.scope;
        }
        self.parked.get(k as usize).and_then(|c| c.as_deref()).map_or("", |c| c.scope.as_str())
    }

    #[inline]
    pub(crate) fn push(&mut self, at: SimTime, ev: Ev) {
        let k = self.active;
        self.push_in(k, at, ev);
    }

    /// Queues an event for another scope's cluster.
    #[inline]
    pub(crate) fn push_in(&mut self, k: u16, at: SimTime, ev: Ev) {
        Sched { now: self.now, k, q: &mut self.q, error: &mut self.error }.push(at, ev);
    }

    #[inline]
    pub(crate) fn after(&mut self, d: SimDur, ev: Ev) {
        self.push(self.now + d, ev);
    }

    /// What streaming replication borrows of the active cluster (see `postgres::replication::Repl`).
    #[inline]
    pub(crate) fn repl(&mut self) -> crate::postgres::replication::Repl<'_> {
        let c = &mut *self.c;
        crate::postgres::replication::Repl {
            nodes: &mut c.nodes,
            net: &mut c.net,
            rng: &mut c.rng_net,
            pgc: &c.pgc,
            next_conn: &mut c.next_conn,
            s: Sched { now: self.now, k: self.active, q: &mut self.q, error: &mut self.error },
        }
    }

    /// Processes one event. Returns `Ok(false)` when nothing is left before the end.
    #[inline]
    pub fn step(&mut self) -> Result<bool, SimError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match self.q.peek_time() {
            Some(t) if t <= self.end => {}
            _ => return Ok(false),
        }
        if self.events >= self.max_events {
            let e = SimError::EventLimit { limit: self.max_events, at: self.now };
            self.error = Some(e.clone());
            return Err(e);
        }
        let Some((at, Scoped { k, ev })) = self.q.pop() else { return Ok(false) };
        self.now = at;
        self.events += 1;
        if k != ROUTER {
            self.enter(k);
        }
        let mut te = self.dispatch(ev);
        te.scope = k;
        self.trace_record(te);
        if !self.after_event.is_empty() {
            self.trace_after_event(k);
        }
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(true),
        }
    }

    /// Folds one record into the trace hash, and keeps it if asked to.
    #[inline]
    fn trace_record(&mut self, te: TraceEvent) {
        crate::trace::fold(&mut self.hash, &te);
        self.records += 1;
        if self.recording && self.trace.len() < TRACE_CAP {
            self.trace.push(te);
        }
        if self.recent_cap > 0 {
            if self.recent.len() == self.recent_cap {
                self.recent.pop_front();
            }
            self.recent.push_back(te);
        }
    }

    /// The records of what the event just processed did (a pooling error, say), after its own.
    #[inline(never)]
    fn trace_after_event(&mut self, scope: u16) {
        let at = self.now;
        let mut records = std::mem::take(&mut self.after_event);
        for &(kind, node, lsn, arg) in &records {
            self.trace_record(TraceEvent { at, scope, kind, node, lsn, arg });
        }
        // The buffer goes back empty, keeping its room.
        records.clear();
        self.after_event = records;
    }

    /// Runs every event up to and including time `t`.
    pub fn run_until(&mut self, t: SimTime) -> Result<(), SimError> {
        self.run_for(t, u64::MAX).map(|_| ())
    }

    /// Runs toward `t`, but stops between two instants once `budget` events have run.
    /// Returns whether `t` was reached (every event up to and including `t` processed).
    pub fn run_for(&mut self, t: SimTime, budget: u64) -> Result<bool, SimError> {
        self.run_for_with(t, budget, World::step)
    }

    /// `run_for`, with `step` run for each event (`World::step`, or a copy of it compiled
    /// elsewhere). `run_for` and the rest are compiled here; the browser runs worlds through
    /// `sim-engine`, which compiles this loop and the hot path under it for speed.
    #[inline]
    pub fn run_for_with(&mut self, t: SimTime, budget: u64, mut step: impl FnMut(&mut World) -> Result<bool, SimError>) -> Result<bool, SimError> {
        if t > self.end {
            return Err(SimError::TimeLimit { limit: self.end });
        }
        let start = self.events;
        while let Some(x) = self.q.peek_time().filter(|&x| x <= t) {
            if self.events - start >= budget && x > self.now {
                return Ok(false);
            }
            step(self)?;
        }
        self.now = self.now.max(t);
        if self.now >= self.end {
            self.finish();
        }
        Ok(true)
    }

    /// Runs to the scenario's end and settles the final accounting.
    pub fn run_to_end(&mut self) -> Result<(), SimError> {
        self.run_until(self.end)?;
        self.finish();
        Ok(())
    }

    #[inline]
    fn dispatch(&mut self, ev: Ev) -> TraceEvent {
        let (kind, node, lsn, arg) = match ev {
            Ev::Issue { c } => (TraceKind::ClientIssue, NO_NODE, 0, self.on_issue(c)),
            Ev::Arrive { c, gen, n } => {
                let (lsn, xid) = self.on_arrive(c, gen, n);
                (TraceKind::RequestArrive, n, lsn, xid)
            }
            Ev::Reply { c, gen, code, tl, lsn, commit_us } => {
                let seen = self.on_reply(c, gen, code, tl, lsn, commit_us);
                (TraceKind::ClientReply, NO_NODE, lsn, crate::trace::ClientSaw::arg(c, code, tl, seen))
            }
            Ev::Timeout { c, gen } => (TraceKind::ClientTimeout, NO_NODE, 0, self.on_timeout(c, gen)),
            Ev::Flush { n, inc, upto, xid } => (TraceKind::WalFlush, n, upto, self.on_flush(n, inc, upto, xid)),
            Ev::WalWriter { n } => (TraceKind::WalWriter, n, self.on_wal_writer(n), 0),
            Ev::Stream { s, conn, upto, xid, sent_us, depart_us } => (TraceKind::StreamData, s, upto, self.repl().on_stream(s, conn, upto, xid, sent_us, depart_us)),
            Ev::StandbyFlush { s, inc, upto } => (TraceKind::StandbyFlush, s, upto, self.repl().on_standby_flush(s, inc, upto)),
            Ev::StandbyApply { s, inc, upto } => (TraceKind::StandbyApply, s, upto, self.repl().on_standby_apply(s, inc, upto)),
            Ev::Feedback { n, s, conn, write, flush, replay } => {
                self.on_feedback(n, s, conn, write, flush, replay);
                (TraceKind::Feedback, s, flush, n as u64)
            }
            Ev::Connect { n, s, conn } => (TraceKind::ReplConnect, s, 0, self.repl().on_connect(n, s, conn)),
            Ev::Accepted { s, conn, from } => (TraceKind::ReplAccepted, s, self.repl().on_accepted(s, conn, from), from as u64),
            Ev::Rejected { s, conn } => (TraceKind::ReplRejected, s, self.repl().on_conn_gone(s, conn, false), conn as u64),
            Ev::ReplRetry { s, conn } => (TraceKind::ReplConnect, s, self.repl().on_repl_retry(s, conn), conn as u64),
            Ev::ConnLost { s, conn } => (TraceKind::ReplRejected, s, self.repl().on_conn_gone(s, conn, true), conn as u64),
            Ev::SenderLost { n, conn } => (TraceKind::ReplRejected, n, self.repl().on_sender_lost(n, conn), conn as u64),
            Ev::Tick { n, epoch } => (TraceKind::AgentLoop, n, 0, self.on_tick(n, epoch)),
            Ev::DcsFailed { n, epoch } => (TraceKind::AgentDcsFailed, n, 0, self.on_dcs_failed(n, epoch)),
            Ev::Promote { n, inc } => (TraceKind::Promoted, n, self.on_promote(n, inc), self.c.max_tl as u64),
            Ev::Started { n, inc, primary } => (TraceKind::Started, n, self.on_started(n, inc, primary), primary as u64),
            Ev::Rewound { n, inc, leader } => (TraceKind::Rewound, n, self.on_rewound(n, inc, leader), leader as u64),
            Ev::Cloned { n, inc, leader } => (TraceKind::Cloned, n, self.on_cloned(n, inc, leader), leader as u64),
            Ev::Release { n, epoch, tries } => (TraceKind::SwitchoverRelease, n, 0, self.on_release(n, epoch, tries)),
            Ev::ProxyCheck => (TraceKind::ProxyCheck, NO_NODE, 0, self.on_proxy_check()),
            Ev::Sample => (TraceKind::Sample, NO_NODE, 0, self.on_sample()),
            Ev::Checkpoint { n } => (TraceKind::Checkpoint, n, self.on_checkpoint(n), 0),
            Ev::SlotTick { slot } => (TraceKind::SlotConsumer, NO_NODE, self.on_slot_tick(slot), slot as u64),
            Ev::Command { idx } => (TraceKind::Command, NO_NODE, 0, self.on_command(idx)),
            Ev::Archived { tl, seg } => (TraceKind::Archived, NO_NODE, self.on_archived(tl, seg), tl as u64),
            Ev::ArchiveRetry => (TraceKind::ArchiveRetry, NO_NODE, 0, self.on_archive_retry()),
            Ev::ArchiveTimeout { epoch } => (TraceKind::ArchiveTimeout, NO_NODE, self.on_archive_timeout(epoch), 0),
            Ev::BackupTick { epoch } => (TraceKind::BaseBackup, NO_NODE, 0, self.on_backup_tick(epoch)),
            Ev::BackupDone { n, inc } => (TraceKind::BaseBackup, n, self.on_backup_done(n, inc), 1),
            Ev::DeadlineCheck { n } => (TraceKind::DeadlineCheck, n, 0, self.on_deadline_check(n)),
            Ev::RouterOp => {
                let (key, arg) = self.on_router_op();
                (TraceKind::RouterOp, NO_NODE, key, arg)
            }
            Ev::CpuDone { n, core, origin } => (TraceKind::CpuDone, n, 0, self.on_cpu_done(n, core, origin)),
            // Each component's own events, by its tag.
            Ev::Comp(e) => self.on_component_event(e),
        };
        TraceEvent { at: self.now, scope: 0, kind, node, lsn, arg }
    }

    #[inline(never)]
    pub(crate) fn note(&mut self, node: Option<u16>, kind: NoteKind, text: String) {
        if self.notes.len() < NOTE_CAP {
            let node = node.map(|n| match self.c.scope.as_str() {
                "" => self.c.nodes[n as usize].name.clone(),
                scope => format!("{scope}/{}", self.c.nodes[n as usize].name),
            });
            self.notes.push(Note { at_ms: self.now.as_ms(), node, kind, text });
        }
    }

    pub(crate) fn name(&self, n: u16) -> &str {
        &self.c.nodes[n as usize].name
    }

    pub(crate) fn level(&self) -> SyncCommit {
        self.c.pgc.synchronous_commit
    }

    /// Re-checks the role invariants after any change of who accepts writes.
    #[inline(never)]
    pub(crate) fn roles_changed(&mut self) {
        let writable: Vec<u16> = (0..self.c.nodes.len() as u16).filter(|&n| self.c.nodes[n as usize].writable && self.c.nodes[n as usize].is_running()).collect();
        if writable.len() > 1 {
            let who: Vec<String> = writable.iter().map(|&n| format!("{} (timeline {})", self.name(n), self.c.nodes[n as usize].tl)).collect();
            let detail = format!("{} all accept writes: split-brain", who.join(" and "));
            self.c.props.violate(Prop::SingleWritablePrimary, self.now, detail);
        }
    }

    pub(crate) fn proxy_interval(&self) -> SimDur {
        self.c.proxy_every
    }

    pub(crate) fn default_node(name: &str, region: &str, disk_bytes: u64, data_bytes: u64) -> Node {
        Node {
            name: name.to_string(),
            region: region.to_string(),
            host_up: true,
            pg: PgState::Running,
            demoting: false,
            role: Role::Standby,
            writable: false,
            disk_ok: true,
            disk_full: false,
            inc: 0,
            tl: 1,
            history: Vec::new(),
            insert_lsn: crate::build::INITIAL_LSN,
            flush_lsn: crate::build::INITIAL_LSN,
            write_lsn: crate::build::INITIAL_LSN,
            replay_lsn: crate::build::INITIAL_LSN,
            flushing: false,
            applying: false,
            pending: Default::default(),
            upstream: None,
            conn: Conn::None,
            senders: Vec::new(),
            sync_names: SyncNames::default(),
            slow_factor: 1,
            disk_bytes,
            data_bytes,
            redo_lsn: crate::build::INITIAL_LSN,
            last_checkpoint: SimTime::ZERO,
            flush_log: Default::default(),
            agent: Agent { up: true, ..Agent::default() },
            last_host_crash: None,
            archive_hold: None,
            next_xid: crate::build::FIRST_XID,
            flushed_xid: crate::build::FIRST_XID,
        }
    }
}
