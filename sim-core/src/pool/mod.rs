//! Connection pooling: users behind app servers with HikariCP-style pools, PgBouncer (session,
//! transaction and statement pooling), and what each PostgreSQL backend costs the primary's host
//! (`max_connections`, fork and authentication, memory, CPU cores with a run queue).
//!
//! Every request is simulated end to end: it waits for one of its app server's pooled
//! connections, then (through PgBouncer) for a server connection, then for a CPU core on the
//! primary, and holds its server connection for its statements' round trips. Users arrive as one
//! finite-source process per app server: the rate is `idle users / think_time`, so a slow
//! database slows its users down, as in a closed system (Little's law: users = rate × (think +
//! response)).
//!
//! The costs of a backend, and where the constants come from:
//! - `CONNECT_CPU`: a new backend is a `fork()` of the postmaster, backend start-up (catalog
//!   caches) and SCRAM-SHA-256 authentication (4096 PBKDF2 iterations): about 2–3 ms of CPU.
//! - `REFUSED_CPU`: a connection over `max_connections` is still forked before the backend
//!   finds no free PGPROC and exits with `FATAL: sorry, too many clients already`.
//! - The host's cores, run queue, contention (`KAPPA`) and swapping (`SWAP_FACTOR`) are the
//!   request pipeline's CPU stage (`pipeline::Host`), which this component describes from its
//!   section and whose backends it counts. A transaction's work goes through the same pipeline
//!   as a client's request: the lock stage, the CPU, and the commit (its WAL record, the flush,
//!   the synchronous standbys), then its answer comes back here (`answered`).
pub mod cfg;
pub(crate) mod event;
pub mod report;
pub mod view;

use crate::event::{Origin, Sched};
use crate::pipeline::{Host, Job, Work};
use crate::postgres::{Node, PgState, Role};
use crate::rng::SimRng;
use crate::time::SimDur;
pub use cfg::{BouncerCfg, PoolMode, PoolingCfg, SessionState};
pub(crate) use event::PoolEv;
use std::collections::VecDeque;

pub const CONNECT_CPU: SimDur = SimDur(2500);
pub const REFUSED_CPU: SimDur = SimDur(500);
/// PostgreSQL's `superuser_reserved_connections` default: ordinary roles get the rest.
pub const SUPERUSER_RESERVED: u32 = 3;
/// How long HikariCP waits before it tries again to open a connection that failed.
pub const HIKARI_RETRY: SimDur = SimDur::secs(1);

const NONE: u32 = u32::MAX;

/// Why a request failed, or what broke without failing it. Each has the message the learner
/// would see in the application's log.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolEvent {
    /// A request waited `connectionTimeout` for a pooled connection.
    ConnectionTimeout,
    /// A client waited `query_wait_timeout` in PgBouncer's queue.
    QueryWaitTimeout,
    /// The server connection died under a transaction (crash, failover).
    ServerGone,
    /// The write reached a read-only server.
    ReadOnly,
    /// A transaction block under statement pooling.
    StatementMode,
    /// SQL `PREPARE` on one server connection, `EXECUTE` on another.
    SqlPrepareMissing,
    /// A protocol-level prepared statement on another server connection (`max_prepared_statements = 0`).
    ProtocolPrepareMissing,
    /// A connection attempt over `max_connections`.
    TooManyClients,
    /// A connection attempt with no primary to reach.
    ConnectFailed,
    /// A client connection over PgBouncer's `max_client_conn`.
    MaxClientConn,
    /// A transaction ran with another client's `SET` (no error: the wrong data).
    SetLeaked,
    /// `pg_advisory_unlock` on another server connection: the lock stays held.
    AdvisoryLockOrphaned,
    /// The server answered the transaction with an error (a column the schema no longer has).
    QueryError,
}

/// One kind of pooling event as it happened within one simulation event: how many times, on which
/// node, and whether each failed a user's request (the world traces it as `PoolError`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub kind: PoolEvent,
    pub node: Option<u16>,
    pub failed: bool,
    pub count: u32,
}

impl Outcome {
    /// The trace record's argument: the kind's index, whether it failed a request, the count.
    pub fn arg(&self) -> u64 {
        self.kind as u64 | u64::from(self.failed) << 7 | u64::from(self.count) << 8
    }
    /// Reads a `PoolError` record's argument back: kind index, failed, count.
    pub fn read(arg: u64) -> (usize, bool, u64) {
        ((arg & 0x7F) as usize, arg & 0x80 != 0, arg >> 8)
    }
}

pub const EVENTS: usize = 13;
impl PoolEvent {
    pub const ALL: [PoolEvent; EVENTS] = [
        PoolEvent::ConnectionTimeout,
        PoolEvent::QueryWaitTimeout,
        PoolEvent::ServerGone,
        PoolEvent::ReadOnly,
        PoolEvent::StatementMode,
        PoolEvent::SqlPrepareMissing,
        PoolEvent::ProtocolPrepareMissing,
        PoolEvent::TooManyClients,
        PoolEvent::ConnectFailed,
        PoolEvent::MaxClientConn,
        PoolEvent::SetLeaked,
        PoolEvent::AdvisoryLockOrphaned,
        PoolEvent::QueryError,
    ];
    /// Whether it fails the user's request (the rest are connection attempts, or silent).
    pub fn fails_request(self) -> bool {
        self <= PoolEvent::ProtocolPrepareMissing || self == PoolEvent::QueryError
    }
    /// The text the application's log shows.
    pub fn message(self, cfg: &PoolingCfg) -> String {
        match self {
            PoolEvent::ConnectionTimeout => format!("HikariPool-1 - Connection is not available, request timed out after {}ms.", cfg.connection_timeout.0 .0 / 1000),
            PoolEvent::QueryWaitTimeout => "ERROR:  query_wait_timeout".into(),
            PoolEvent::ServerGone if cfg.pgbouncer.is_some() => "ERROR:  server conn crashed?".into(),
            PoolEvent::ServerGone => "FATAL:  terminating connection due to administrator command (server closed the connection unexpectedly)".into(),
            PoolEvent::ReadOnly => "ERROR:  cannot execute UPDATE in a read-only transaction".into(),
            PoolEvent::StatementMode => "FATAL:  transaction blocks not allowed in statement pooling mode".into(),
            PoolEvent::SqlPrepareMissing => "ERROR:  prepared statement \"stmt_1\" does not exist".into(),
            PoolEvent::ProtocolPrepareMissing => "ERROR:  prepared statement \"S_1\" does not exist".into(),
            PoolEvent::TooManyClients => "FATAL:  sorry, too many clients already".into(),
            PoolEvent::ConnectFailed => "could not connect to server: Connection refused (no primary behind the proxy)".into(),
            PoolEvent::MaxClientConn => "ERROR:  no more connections allowed (max_client_conn)".into(),
            PoolEvent::SetLeaked => "a transaction ran with another client's SET search_path (no error: it read the wrong tenant's rows)".into(),
            PoolEvent::AdvisoryLockOrphaned => "WARNING:  you don't own a lock of type ExclusiveLock (the advisory lock stays held on another server connection)".into(),
            PoolEvent::QueryError => "ERROR:  column does not exist (SQLSTATE 42703): the application's query names a column the schema no longer has".into(),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            PoolEvent::ConnectionTimeout => "connection_timeout",
            PoolEvent::QueryWaitTimeout => "query_wait_timeout",
            PoolEvent::ServerGone => "server_gone",
            PoolEvent::ReadOnly => "read_only",
            PoolEvent::StatementMode => "statement_mode",
            PoolEvent::SqlPrepareMissing => "sql_prepare_missing",
            PoolEvent::ProtocolPrepareMissing => "protocol_prepare_missing",
            PoolEvent::TooManyClients => "too_many_clients",
            PoolEvent::ConnectFailed => "connect_failed",
            PoolEvent::MaxClientConn => "max_client_conn",
            PoolEvent::SetLeaked => "set_leaked",
            PoolEvent::AdvisoryLockOrphaned => "advisory_lock_orphaned",
            PoolEvent::QueryError => "query_error",
        }
    }
}

/// An app server's client connection (to PgBouncer, or straight to Postgres).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Cs {
    /// Not connected (refused, broken); HikariCP opens it again.
    Closed,
    Opening,
    Idle,
    Busy,
}

#[derive(Clone, Debug)]
struct AppConn {
    app: u16,
    st: Cs,
    /// The server connection it holds (PgBouncer's session mode, or its own backend when direct).
    server: u32,
    /// When the current request arrived at the app server (µs).
    started: u64,
    /// Since when it waits in PgBouncer's queue (µs).
    queued_at: u64,
    /// The server connection where its session state lives.
    state_server: u32,
    /// The current transaction uses session state / is one statement.
    uses_state: bool,
    single: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Ss {
    Free,
    /// Forking and authenticating.
    Login,
    Idle,
    /// Carrying a transaction.
    Active,
}

/// A server connection: a backend on a Postgres host.
#[derive(Clone, Debug)]
struct Server {
    node: u16,
    inc: u32,
    st: Ss,
    client: u32,
    gen: u32,
    idle_since: u64,
    refused: bool,
    /// Its work is in the pipeline's CPU stage (on a core or in the run queue).
    on_cpu: bool,
    /// Its transaction is in the pipeline after the CPU (committing: waiting for the flush).
    committing: bool,
    /// Counted among the host's backends in a transaction.
    in_tx: bool,
    /// Counted among the host's backends (accepted, not yet closed).
    counted: bool,
}

#[derive(Clone, Debug, Default)]
struct App {
    users: u64,
    inflight: u64,
    free: Vec<u32>,
    /// Requests waiting for a pooled connection: their arrival times (µs).
    queue: VecDeque<u64>,
}

#[derive(Clone, Debug)]
struct Bouncer {
    cfg: BouncerCfg,
    waiting: VecDeque<u32>,
    idle: Vec<u32>,
    /// Server connections open or logging in.
    servers: u32,
    logins: u32,
    blocked_until: u64,
    clients: u32,
}

/// Counters and per-second samples.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub offered: u64,
    pub served: u64,
    pub failed: u64,
    pub events: [u64; EVENTS],
    pub latency: crate::base::histogram::Histogram,
    pub xact_time_us: u64,
    /// Time in the system of the requests that failed, until they failed (µs).
    pub failed_time_us: u64,
    pub query_count: u64,
    pub wait_time_us: u64,
    pub waits: u64,
    pub logins: u64,
    pub max_backends: u32,
    pub max_cl_waiting: u32,
    pub max_app_waiting: u64,
    /// This second's figures, until the next sample.
    sec_offered: u64,
    sec_served: u64,
    sec_failed: u64,
    sec_latency: crate::base::histogram::Histogram,
    sec_wait_us: u64,
    sec_waits: u64,
    /// Sum over samples of requests in the system (for Little's law).
    pub in_system_sum: u64,
    pub samples: u64,
}

/// One second of the pool, for the charts.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct PoolSample {
    pub t_ms: u64,
    pub offered: u64,
    pub served: u64,
    pub failed: u64,
    pub p50_us: u64,
    pub p95_us: u64,
    /// Requests waiting at the app servers for a pooled connection.
    pub app_waiting: u64,
    pub cl_active: u32,
    pub cl_waiting: u32,
    pub sv_active: u32,
    pub sv_idle: u32,
    pub sv_login: u32,
    /// The oldest wait in PgBouncer's queue, and the mean wait of clients served this second.
    pub maxwait_us: u64,
    pub avg_wait_us: u64,
    pub backends: u32,
    pub active: u32,
    pub runq: u32,
    pub mem_mb: u64,
}

/// The pooling component: its settings, the app tier, PgBouncer, the backends and their hosts.
/// The world holds it (only a lesson with `[pooling]` builds one) and calls it directly: its hot
/// methods are `#[inline]`, so the browser build compiles them with the event loop in
/// `sim-engine`, for speed (behind a trait object they were compiled for size, and the
/// 1,000,000-user hour ran at half its native speed in wasm).
#[derive(Clone, Debug)]
pub(crate) struct Pool {
    pub cfg: PoolingCfg,
    pub max_connections: u32,
    rng: SimRng,
    apps: Vec<App>,
    conns: Vec<AppConn>,
    servers: Vec<Server>,
    free_servers: Vec<u32>,
    bouncer: Option<Bouncer>,
    pub stats: Stats,
    pub series: crate::chunklog::ChunkLog<PoolSample, 64>,
    /// First occurrences to note, drained by the world.
    pub notes: Vec<(Option<u16>, String)>,
    seen: [bool; EVENTS],
    /// The occurrences since the world last took them (within one event).
    outcomes: Vec<Outcome>,
}

/// Whether a server connection's host still answers it.
enum Health {
    Ok,
    /// The host is gone without a word: the connection hangs until the proxy closes it.
    Hang,
    Gone,
    ReadOnly,
}

#[inline]
fn health(nodes: &[Node], n: u16, inc: u32) -> Health {
    let node = &nodes[n as usize];
    if !node.host_up {
        return Health::Hang;
    }
    if node.pg != PgState::Running || node.inc != inc {
        return Health::Gone;
    }
    if node.role != Role::Primary || !node.writable {
        return Health::ReadOnly;
    }
    Health::Ok
}

impl Pool {
    /// The facts PgBouncer follows: a backend going down closes its server connections; the
    /// world's second is its sample.
    pub(crate) fn on_fact(&mut self, f: &crate::event::Fact, s: &mut Sched, hosts: &mut [Host], write: Option<u16>) {
        match *f {
            crate::event::Fact::BackendDown { n } => self.close_node(n, s, hosts, write),
            crate::event::Fact::Second => {
                self.tick(s, hosts, write);
            }
            _ => {}
        }
    }

    /// A PgBouncer setting, applied as a `RELOAD` applies it.
    pub(crate) fn set(&mut self, setting: &crate::base::settings::Setting, s: &mut Sched, write: Option<u16>) {
        self.set_bouncer(|b| cfg::set(b, setting), s, write);
    }

    /// The per-second samples, oldest first.
    pub(crate) fn series(&self) -> &crate::chunklog::ChunkLog<PoolSample, 64> {
        &self.series
    }

    /// What happened since the last call: hands `each` every occurrence (its kind, node and
    /// count, and whether it failed a user's request) for the trace, and returns the first
    /// occurrences to note.
    #[inline]
    pub(crate) fn take_news(&mut self, each: &mut dyn FnMut(Outcome)) -> Vec<(Option<u16>, String)> {
        // Drained, not taken: the buffer keeps its room for the next event's occurrences.
        self.outcomes.drain(..).for_each(each);
        std::mem::take(&mut self.notes)
    }

    pub fn new(cfg: PoolingCfg, max_connections: u64, rng: SimRng) -> Pool {
        let per = cfg.users / u64::from(cfg.app_servers);
        let extra = cfg.users % u64::from(cfg.app_servers);
        let apps = (0..cfg.app_servers as u64).map(|a| App { users: per + u64::from(a < extra), ..App::default() }).collect();
        let conns = (0..cfg.app_servers)
            .flat_map(|a| (0..cfg.app_pool_size).map(move |_| a))
            .map(|a| AppConn { app: a as u16, st: Cs::Closed, server: NONE, started: 0, queued_at: 0, state_server: NONE, uses_state: false, single: false })
            .collect();
        let bouncer = cfg.pgbouncer.clone().map(|b| Bouncer { cfg: b, waiting: VecDeque::new(), idle: Vec::new(), servers: 0, logins: 0, blocked_until: 0, clients: 0 });
        Pool {
            cfg,
            max_connections: max_connections.min(u32::MAX as u64) as u32,
            rng,
            apps,
            conns,
            servers: Vec::new(),
            free_servers: Vec::new(),
            bouncer,
            stats: Stats::default(),
            series: Default::default(),
            notes: Vec::new(),
            seen: [false; EVENTS],
            outcomes: Vec::new(),
        }
    }

    /// Time zero: every app server opens its pool (HikariCP fills it at start) and its users start.
    pub fn start(&mut self, s: &mut Sched, write: Option<u16>) {
        for a in 0..self.apps.len() as u16 {
            let gap = self.next_gap(a);
            s.after(SimDur(gap), PoolEv::Arrive { a }.into());
        }
        for c in 0..self.conns.len() as u32 {
            self.open(c, s, write);
        }
    }

    #[inline]
    fn record(&mut self, e: PoolEvent, node: Option<u16>) {
        self.occurred(e, node, false);
    }

    /// A request of app server `a` fails with `e` after `us` in the system.
    #[inline]
    fn fail_request(&mut self, a: u16, us: u64, e: PoolEvent, node: Option<u16>) {
        self.end_request(a, us, false);
        self.occurred(e, node, true);
    }

    /// `e` happened (on `node`), failing a user's request or not: counted, noted the first time,
    /// and handed to the trace.
    #[inline]
    fn occurred(&mut self, e: PoolEvent, node: Option<u16>, failed: bool) {
        match self.outcomes.iter_mut().find(|o| o.kind == e && o.node == node && o.failed == failed) {
            Some(o) => o.count += 1,
            None => self.outcomes.push(Outcome { kind: e, node, failed, count: 1 }),
        }
        self.stats.events[e as usize] += 1;
        if !self.seen[e as usize] {
            self.seen[e as usize] = true;
            self.notes.push((node, e.message(&self.cfg)));
        }
    }

    #[inline]
    fn mode(&self) -> Option<PoolMode> {
        self.bouncer.as_ref().map(|b| b.cfg.pool_mode)
    }

    /// The mean gap to app server `a`'s next request: idle users / think time.
    #[inline]
    fn next_gap(&mut self, a: u16) -> u64 {
        let app = &self.apps[a as usize];
        let idle = app.users.saturating_sub(app.inflight);
        if idle == 0 {
            return self.cfg.think_time.0 .0;
        }
        let mean = (self.cfg.think_time.0 .0 / idle).max(1);
        self.rng.exp(mean).max(1)
    }

    // ---- the app tier ----

    /// HikariCP opens connection `c` (to PgBouncer, or to the primary through the proxy).
    #[inline]
    pub fn open(&mut self, c: u32, s: &mut Sched, write: Option<u16>) {
        if self.conns[c as usize].st != Cs::Closed {
            return;
        }
        match &mut self.bouncer {
            Some(b) => {
                if b.clients >= b.cfg.max_client_conn {
                    self.record(PoolEvent::MaxClientConn, None);
                    s.after(HIKARI_RETRY, PoolEv::Open { c }.into());
                    return;
                }
                b.clients += 1;
                self.conn_free(c, s, write);
            }
            None => {
                self.conns[c as usize].st = Cs::Opening;
                match self.login(c, s, write) {
                    Some(sv) => self.conns[c as usize].server = sv,
                    None => {
                        self.conns[c as usize].st = Cs::Closed;
                        s.after(HIKARI_RETRY, PoolEv::Open { c }.into());
                    }
                }
            }
        }
    }

    /// A user's request reaches app server `a`. Returns what the trace records: bit 0 says it was
    /// offered (0: every user of the server already waits), the rest is the app connection that
    /// runs it or its place in the app server's queue.
    #[inline]
    pub fn arrive(&mut self, a: u16, s: &mut Sched, write: Option<u16>) -> u64 {
        let gap = self.next_gap(a);
        s.after(SimDur(gap), PoolEv::Arrive { a }.into());
        let now = s.now.0;
        let app = &mut self.apps[a as usize];
        if app.inflight >= app.users {
            return 0;
        }
        app.inflight += 1;
        self.stats.offered += 1;
        self.stats.sec_offered += 1;
        self.expire_app(a, now);
        match self.apps[a as usize].free.pop() {
            Some(c) => {
                self.run(c, now, s, write);
                u64::from(c) << 1 | 1
            }
            None => {
                let app = &mut self.apps[a as usize];
                app.queue.push_back(now);
                (app.queue.len() as u64) << 1 | 1
            }
        }
    }

    /// Requests that waited `connectionTimeout` at app server `a` fail (FIFO: the oldest first).
    #[inline]
    fn expire_app(&mut self, a: u16, now: u64) {
        let limit = self.cfg.connection_timeout.0 .0;
        while let Some(&t) = self.apps[a as usize].queue.front() {
            if t + limit > now {
                break;
            }
            self.apps[a as usize].queue.pop_front();
            self.fail_request(a, now - t, PoolEvent::ConnectionTimeout, None);
        }
    }

    /// A request ends after `us` in the system, answered (`served`) or failed with an error; its
    /// user goes back to thinking.
    #[inline]
    fn end_request(&mut self, a: u16, us: u64, served: bool) {
        let app = &mut self.apps[a as usize];
        app.inflight = app.inflight.saturating_sub(1);
        if served {
            self.stats.served += 1;
            self.stats.sec_served += 1;
            self.stats.latency.record(us);
            self.stats.sec_latency.record(us);
            self.stats.xact_time_us += us;
        } else {
            self.stats.failed += 1;
            self.stats.sec_failed += 1;
            self.stats.failed_time_us += us;
        }
    }

    /// Connection `c` is free: it takes the oldest waiting request of its app server, or waits.
    #[inline]
    fn conn_free(&mut self, c: u32, s: &mut Sched, write: Option<u16>) {
        let a = self.conns[c as usize].app;
        self.conns[c as usize].st = Cs::Idle;
        self.expire_app(a, s.now.0);
        match self.apps[a as usize].queue.pop_front() {
            Some(t) => self.run(c, t, s, write),
            None => self.apps[a as usize].free.push(c),
        }
    }

    /// Connection `c` carries the request that arrived at `started`.
    #[inline]
    fn run(&mut self, c: u32, started: u64, s: &mut Sched, write: Option<u16>) {
        let uses_state = self.cfg.session_state_share > 0.0 && self.rng.unit() < self.cfg.session_state_share;
        let single = self.cfg.statements == 1 || (self.cfg.single_statement_share > 0.0 && self.rng.unit() < self.cfg.single_statement_share);
        let mode = self.mode();
        let conn = &mut self.conns[c as usize];
        conn.st = Cs::Busy;
        conn.started = started;
        conn.uses_state = uses_state;
        conn.single = single;
        let sv = conn.server;
        match mode {
            None => self.begin(sv, c, s),
            Some(PoolMode::Session) if sv != NONE => self.begin(sv, c, s),
            Some(_) => self.wait_for_server(c, s, write),
        }
    }

    // ---- PgBouncer ----

    #[inline]
    fn wait_for_server(&mut self, c: u32, s: &mut Sched, write: Option<u16>) {
        let now = s.now.0;
        let b = self.bouncer.as_mut().expect("a pool mode means PgBouncer");
        if let Some(sv) = b.idle.pop() {
            self.stats.waits += 1;
            self.stats.sec_waits += 1;
            self.bind(sv, c, s);
            return;
        }
        self.conns[c as usize].queued_at = now;
        b.waiting.push_back(c);
        self.launch(s, write);
    }

    #[inline]
    fn bind(&mut self, sv: u32, c: u32, s: &mut Sched) {
        self.conns[c as usize].server = sv;
        self.begin(sv, c, s);
    }

    /// Clients that waited `query_wait_timeout` are disconnected (their request fails).
    #[inline]
    fn expire_bouncer(&mut self, s: &mut Sched, write: Option<u16>) {
        let now = s.now.0;
        loop {
            let Some(b) = self.bouncer.as_mut() else { return };
            let Some(&c) = b.waiting.front() else { return };
            if self.conns[c as usize].queued_at + b.cfg.query_wait_timeout.0 .0 > now {
                return;
            }
            b.waiting.pop_front();
            self.fail(c, PoolEvent::QueryWaitTimeout, None, s, write);
        }
    }

    /// Opens server connections for waiting clients, up to the pool size (plus the reserve
    /// once a client has waited `reserve_pool_timeout`), unless logins are held off.
    #[inline]
    fn launch(&mut self, s: &mut Sched, write: Option<u16>) {
        let now = s.now.0;
        loop {
            let Some(b) = self.bouncer.as_ref() else { return };
            let Some(&oldest) = b.waiting.front() else { return };
            let reserve = if now.saturating_sub(self.conns[oldest as usize].queued_at) >= b.cfg.reserve_pool_timeout.0 .0 { b.cfg.reserve_pool_size } else { 0 };
            if now < b.blocked_until || b.servers >= b.cfg.default_pool_size + reserve || b.logins as usize >= b.waiting.len() {
                return;
            }
            match self.login(NONE, s, write) {
                Some(_) => {
                    let b = self.bouncer.as_mut().expect("checked");
                    b.servers += 1;
                    b.logins += 1;
                }
                None => {
                    let b = self.bouncer.as_mut().expect("checked");
                    b.blocked_until = now + b.cfg.server_login_retry.0 .0;
                    return;
                }
            }
        }
    }

    /// A server connection `sv` is free for the next client: the oldest waiting one, or the idle list.
    #[inline]
    fn server_free(&mut self, sv: u32, s: &mut Sched, write: Option<u16>) {
        self.expire_bouncer(s, write);
        let now = s.now.0;
        let server = &mut self.servers[sv as usize];
        server.st = Ss::Idle;
        server.client = NONE;
        server.idle_since = now;
        let b = self.bouncer.as_mut().expect("PgBouncer's server");
        match b.waiting.pop_front() {
            Some(c) => {
                let waited = now.saturating_sub(self.conns[c as usize].queued_at);
                self.stats.wait_time_us += waited;
                self.stats.sec_wait_us += waited;
                self.stats.waits += 1;
                self.stats.sec_waits += 1;
                self.bind(sv, c, s);
            }
            None => b.idle.push(sv),
        }
    }

    // ---- backends ----

    /// Starts a backend for app connection `c` (direct) or for PgBouncer (`c` = NONE): a
    /// connection through the proxy to the primary. `None` when there is no primary to reach.
    #[inline]
    fn login(&mut self, c: u32, s: &mut Sched, write: Option<u16>) -> Option<u32> {
        let Some(n) = write else {
            self.record(PoolEvent::ConnectFailed, None);
            return None;
        };
        let sv = match self.free_servers.pop() {
            Some(sv) => sv,
            None => {
                self.servers.push(Server { node: 0, inc: 0, st: Ss::Free, client: NONE, gen: 0, idle_since: 0, refused: false, on_cpu: false, committing: false, in_tx: false, counted: false });
                self.servers.len() as u32 - 1
            }
        };
        let server = &mut self.servers[sv as usize];
        server.node = n;
        server.inc = u32::MAX;
        server.st = Ss::Login;
        server.client = c;
        server.gen = server.gen.wrapping_add(1);
        server.refused = false;
        self.stats.logins += 1;
        // TCP, the startup packet and the SCRAM exchange: two round trips before the backend works.
        s.after(SimDur(self.cfg.rtt.0 .0 * 2), PoolEv::AtPg { s: sv, gen: server.gen }.into());
        Some(sv)
    }

    /// Server connection `sv` starts the transaction of app connection `c`.
    #[inline]
    fn begin(&mut self, sv: u32, c: u32, s: &mut Sched) {
        let server = &mut self.servers[sv as usize];
        server.st = Ss::Active;
        server.client = c;
        server.gen = server.gen.wrapping_add(1);
        s.after(SimDur(self.cfg.rtt.0 .0 / 2), PoolEv::AtPg { s: sv, gen: server.gen }.into());
    }

    /// The app server whose transaction server connection `sv` runs (generation `gen`).
    #[inline]
    #[cfg_attr(not(feature = "migrate"), allow(dead_code))]
    pub fn app_of(&self, sv: u32, gen: u32) -> Option<u32> {
        let server = self.servers.get(sv as usize).filter(|x| x.gen == gen)?;
        self.conns.get(server.client as usize).map(|c| u32::from(c.app))
    }

    /// How many app servers the users are behind.
    #[cfg_attr(not(feature = "migrate"), allow(dead_code))]
    pub fn app_servers(&self) -> u32 {
        self.cfg.app_servers
    }

    /// Work of server connection `sv` reaches Postgres: a login, or a transaction. Either
    /// becomes a job for the request pipeline on its node.
    #[inline]
    pub fn at_pg(&mut self, sv: u32, gen: u32, s: &mut Sched, nodes: &[Node], hosts: &mut [Host], write: Option<u16>) -> (u64, Option<(u16, Job)>) {
        let Some(server) = self.servers.get(sv as usize).filter(|x| x.gen == gen) else { return (0, None) };
        let n = server.node;
        let origin = Origin::Pooled { sv, gen };
        if server.st == Ss::Login {
            let node = &nodes[n as usize];
            let ok = node.is_running() && node.role == Role::Primary && node.writable;
            if !ok {
                self.login_failed(sv, PoolEvent::ConnectFailed, s, hosts);
                return (0, None);
            }
            let inc = node.inc;
            let host = &mut hosts[n as usize];
            let server = &mut self.servers[sv as usize];
            server.inc = inc;
            let cpu = if host.backends + SUPERUSER_RESERVED >= self.max_connections {
                server.refused = true;
                REFUSED_CPU
            } else {
                host.backends += 1;
                server.counted = true;
                self.stats.max_backends = self.stats.max_backends.max(host.backends);
                CONNECT_CPU
            };
            server.on_cpu = true;
            return (1, Some((n, Job { origin, work: Work::Login, cpu_us: cpu.0 })));
        }
        let c = server.client;
        match health(nodes, n, server.inc) {
            Health::Hang => return (0, None),
            Health::Gone => {
                self.close_server(sv, PoolEvent::ServerGone, s, hosts, write);
                return (0, None);
            }
            Health::ReadOnly => {
                self.finish_tx(sv, Some(PoolEvent::ReadOnly), s, hosts, write);
                return (0, None);
            }
            Health::Ok => {}
        }
        let conn = &self.conns[c as usize];
        if self.mode() == Some(PoolMode::Statement) && !conn.single {
            // PgBouncer sees BEGIN's answer leave a transaction open, closes the server
            // connection, and the client gets the error.
            self.close_server(sv, PoolEvent::StatementMode, s, hosts, write);
            return (0, None);
        }
        if conn.uses_state && !self.cfg.session_state.is_empty() {
            let kind = self.cfg.session_state[c as usize % self.cfg.session_state.len()];
            let moved = conn.state_server != NONE && conn.state_server != sv;
            self.conns[c as usize].state_server = sv;
            if moved {
                let prepared = self.bouncer.as_ref().map_or(0, |b| b.cfg.max_prepared_statements);
                match kind {
                    SessionState::SqlPrepare => {
                        self.finish_tx(sv, Some(PoolEvent::SqlPrepareMissing), s, hosts, write);
                        return (0, None);
                    }
                    SessionState::ProtocolPrepare if prepared == 0 => {
                        self.finish_tx(sv, Some(PoolEvent::ProtocolPrepareMissing), s, hosts, write);
                        return (0, None);
                    }
                    SessionState::ProtocolPrepare => {}
                    SessionState::Set => self.record(PoolEvent::SetLeaked, Some(n)),
                    SessionState::AdvisoryLock => self.record(PoolEvent::AdvisoryLockOrphaned, Some(n)),
                }
            }
        }
        let statements = if self.conns[c as usize].single { 1 } else { u64::from(self.cfg.statements) };
        hosts[n as usize].active += 1;
        let server = &mut self.servers[sv as usize];
        server.in_tx = true;
        server.on_cpu = true;
        let mean = self.cfg.cpu_per_statement.0 .0 * statements;
        let demand = self.rng.exp(mean).max(1);
        // Each app connection updates its own row of the clients' table.
        (1, Some((n, Job { origin, work: Work::Write { key: u64::from(c) }, cpu_us: demand })))
    }

    /// The pipeline's CPU stage is done with server connection `sv`'s work: a login is done (or
    /// refused); a transaction's statements ran, and it commits if its server still can.
    #[inline]
    pub fn cpu_done(&mut self, sv: u32, gen: u32, s: &mut Sched, nodes: &[Node], hosts: &mut [Host], write: Option<u16>) -> bool {
        let Some(server) = self.servers.get_mut(sv as usize).filter(|x| x.gen == gen && x.on_cpu) else { return false };
        server.on_cpu = false;
        let (st, refused, n, inc) = (server.st, server.refused, server.node, server.inc);
        if st == Ss::Login {
            if refused {
                self.login_failed(sv, PoolEvent::TooManyClients, s, hosts);
            } else {
                self.login_done(sv, s, write);
            }
            return false;
        }
        match health(nodes, n, inc) {
            Health::Hang => false,
            Health::Gone => {
                self.close_server(sv, PoolEvent::ServerGone, s, hosts, write);
                false
            }
            Health::ReadOnly => {
                self.finish_tx(sv, Some(PoolEvent::ReadOnly), s, hosts, write);
                false
            }
            Health::Ok => {
                self.servers[sv as usize].committing = true;
                true
            }
        }
    }

    /// The pipeline answered server connection `sv`'s commit. Committed: the remaining
    /// statements' round trips, and the answer's way back to the app. Refused: the error.
    #[inline]
    pub fn answered(&mut self, sv: u32, gen: u32, a: crate::pipeline::Answer, s: &mut Sched, hosts: &mut [Host], write: Option<u16>) {
        let Some(server) = self.servers.get_mut(sv as usize).filter(|x| x.gen == gen && x.committing) else { return };
        server.committing = false;
        match a.code {
            crate::pipeline::OK => {
                let c = server.client;
                let statements = if self.conns[c as usize].single { 1 } else { u64::from(self.cfg.statements) };
                let back = self.cfg.rtt.0 .0 * (statements - 1) + self.cfg.rtt.0 .0 / 2;
                s.after(SimDur(back), PoolEv::Reply { s: sv, gen }.into());
            }
            crate::pipeline::READ_ONLY => self.finish_tx(sv, Some(PoolEvent::ReadOnly), s, hosts, write),
            // An ERROR ends the transaction; the server connection stays.
            crate::pipeline::UNDEFINED_COLUMN | crate::pipeline::UNDEFINED_TABLE => self.finish_tx(sv, Some(PoolEvent::QueryError), s, hosts, write),
            _ => self.close_server(sv, PoolEvent::ServerGone, s, hosts, write),
        }
    }

    #[inline]
    fn login_done(&mut self, sv: u32, s: &mut Sched, write: Option<u16>) {
        let c = self.servers[sv as usize].client;
        match self.bouncer.as_mut() {
            Some(b) => {
                b.logins = b.logins.saturating_sub(1);
                self.server_free(sv, s, write);
            }
            None => {
                self.servers[sv as usize].st = Ss::Idle;
                self.conns[c as usize].server = sv;
                self.conn_free(c, s, write);
            }
        }
    }

    fn login_failed(&mut self, sv: u32, e: PoolEvent, s: &mut Sched, hosts: &mut [Host]) {
        let node = self.servers[sv as usize].node;
        self.record(e, Some(node));
        let c = self.servers[sv as usize].client;
        self.release_slot(sv, s, hosts);
        match self.bouncer.as_mut() {
            Some(b) => {
                b.logins = b.logins.saturating_sub(1);
                b.servers = b.servers.saturating_sub(1);
                b.blocked_until = s.now.0 + b.cfg.server_login_retry.0 .0;
            }
            None => {
                self.conns[c as usize].st = Cs::Closed;
                self.conns[c as usize].server = NONE;
                s.after(HIKARI_RETRY, PoolEv::Open { c }.into());
            }
        }
    }

    /// The answer of server connection `sv`'s transaction reaches the app.
    #[inline]
    pub fn reply(&mut self, sv: u32, gen: u32, s: &mut Sched, nodes: &[Node], hosts: &mut [Host], write: Option<u16>) -> Option<SimDur> {
        let server = self.servers.get(sv as usize).filter(|x| x.gen == gen && x.st == Ss::Active)?;
        match health(nodes, server.node, server.inc) {
            Health::Hang => return None,
            Health::Gone => {
                self.close_server(sv, PoolEvent::ServerGone, s, hosts, write);
                return None;
            }
            _ => {}
        }
        let c = server.client as usize;
        self.stats.query_count += if self.conns[c].single { 1 } else { u64::from(self.cfg.statements) };
        let latency = SimDur(s.now.0.saturating_sub(self.conns[c].started));
        self.finish_tx(sv, None, s, hosts, write);
        Some(latency)
    }

    /// Server connection `sv`'s transaction ends, answered or with error `e`: the server goes
    /// back to the pool as the mode says, and the app connection to its app server.
    #[inline]
    fn finish_tx(&mut self, sv: u32, e: Option<PoolEvent>, s: &mut Sched, hosts: &mut [Host], write: Option<u16>) {
        let server = &mut self.servers[sv as usize];
        let (c, n) = (server.client, server.node);
        if server.in_tx {
            server.in_tx = false;
            hosts[n as usize].active = hosts[n as usize].active.saturating_sub(1);
        }
        let a = self.conns[c as usize].app;
        let us = s.now.0.saturating_sub(self.conns[c as usize].started);
        match e {
            Some(e) => self.fail_request(a, us, e, Some(n)),
            None => self.end_request(a, us, true),
        }
        match self.mode() {
            None | Some(PoolMode::Session) => self.servers[sv as usize].st = Ss::Idle,
            Some(_) => {
                self.conns[c as usize].server = NONE;
                self.server_free(sv, s, write);
            }
        }
        self.conn_free(c, s, write);
    }

    /// A request of app connection `c` fails before it reached a server (`query_wait_timeout`).
    #[inline]
    fn fail(&mut self, c: u32, e: PoolEvent, node: Option<u16>, s: &mut Sched, write: Option<u16>) {
        let a = self.conns[c as usize].app;
        self.fail_request(a, s.now.0.saturating_sub(self.conns[c as usize].started), e, node);
        self.conn_free(c, s, write);
    }

    /// Server connection `sv` closes: its backend leaves the host (and the CPU stage, if its
    /// work was there).
    #[inline]
    fn release_slot(&mut self, sv: u32, s: &mut Sched, hosts: &mut [Host]) {
        let server = &mut self.servers[sv as usize];
        let n = server.node as usize;
        if server.on_cpu {
            hosts[n].abandon(n as u16, Origin::Pooled { sv, gen: server.gen }, s);
        }
        if server.counted {
            server.counted = false;
            hosts[n].backends = hosts[n].backends.saturating_sub(1);
        }
        if server.in_tx {
            hosts[n].active = hosts[n].active.saturating_sub(1);
        }
        server.in_tx = false;
        server.st = Ss::Free;
        server.client = NONE;
        server.on_cpu = false;
        server.committing = false;
        server.gen = server.gen.wrapping_add(1);
        server.refused = false;
        self.free_servers.push(sv);
    }

    /// Server connection `sv` is closed under its client (error `e` for a transaction in flight).
    fn close_server(&mut self, sv: u32, e: PoolEvent, s: &mut Sched, hosts: &mut [Host], write: Option<u16>) {
        let server = &self.servers[sv as usize];
        let (st, c, n) = (server.st, server.client, server.node);
        if st == Ss::Free {
            return;
        }
        if st == Ss::Login {
            self.login_failed(sv, PoolEvent::ServerGone, s, hosts);
            return;
        }
        let in_tx = st == Ss::Active && c != NONE;
        self.release_slot(sv, s, hosts);
        if let Some(b) = self.bouncer.as_mut() {
            b.servers = b.servers.saturating_sub(1);
            b.idle.retain(|&x| x != sv);
        }
        if c != NONE {
            if self.conns[c as usize].server == sv {
                self.conns[c as usize].server = NONE;
            }
            if self.conns[c as usize].state_server == sv {
                self.conns[c as usize].state_server = NONE;
            }
        }
        match (self.bouncer.is_some(), in_tx) {
            (true, true) => self.fail(c, e, Some(n), s, write),
            (true, false) => {}
            (false, _) => {
                if in_tx {
                    let a = self.conns[c as usize].app;
                    self.fail_request(a, s.now.0.saturating_sub(self.conns[c as usize].started), e, Some(n));
                } else {
                    let a = self.conns[c as usize].app;
                    self.apps[a as usize].free.retain(|&x| x != c);
                }
                // HikariCP evicts the broken connection and opens a new one.
                self.conns[c as usize].st = Cs::Closed;
                s.after(SimDur::ZERO, PoolEv::Open { c }.into());
            }
        }
        self.launch(s, write);
    }

    /// Every server connection to node `n` closes (the proxy shut its sessions, or it crashed).
    pub fn close_node(&mut self, n: u16, s: &mut Sched, hosts: &mut [Host], write: Option<u16>) {
        for sv in 0..self.servers.len() as u32 {
            let server = &self.servers[sv as usize];
            if server.node == n && server.st != Ss::Free {
                self.close_server(sv, PoolEvent::ServerGone, s, hosts, write);
            }
        }
    }

    /// Once a second: timeouts, idle server connections, held-off logins, and the sample.
    pub fn tick(&mut self, s: &mut Sched, hosts: &mut [Host], write: Option<u16>) -> PoolSample {
        let now = s.now.0;
        for a in 0..self.apps.len() as u16 {
            self.expire_app(a, now);
        }
        self.expire_bouncer(s, write);
        if let Some(b) = self.bouncer.as_ref() {
            let limit = b.cfg.server_idle_timeout.0 .0;
            let stale: Vec<u32> = b.idle.iter().copied().filter(|&sv| self.servers[sv as usize].idle_since + limit <= now).collect();
            for sv in stale {
                self.close_server(sv, PoolEvent::ServerGone, s, hosts, write);
            }
        }
        self.launch(s, write);
        let p = self.sample(now, hosts, write);
        if self.series.len() < crate::base::SERIES_CAP {
            self.series.push(p);
        }
        let st = &mut self.stats;
        st.max_cl_waiting = st.max_cl_waiting.max(p.cl_waiting);
        st.max_app_waiting = st.max_app_waiting.max(p.app_waiting);
        st.in_system_sum += self.apps.iter().map(|a| a.inflight).sum::<u64>();
        st.samples += 1;
        st.sec_offered = 0;
        st.sec_served = 0;
        st.sec_failed = 0;
        st.sec_latency = Default::default();
        st.sec_wait_us = 0;
        st.sec_waits = 0;
        p
    }

    /// The pool now, as `SHOW POOLS` and the host's gauges would show it.
    pub(crate) fn sample(&self, now: u64, hosts: &[Host], write: Option<u16>) -> PoolSample {
        let st = &self.stats;
        let busy = self.conns.iter().filter(|c| c.st == Cs::Busy).count() as u32;
        let (cl_waiting, maxwait_us) = match &self.bouncer {
            Some(b) => (b.waiting.len() as u32, b.waiting.front().map_or(0, |&c| now.saturating_sub(self.conns[c as usize].queued_at))),
            None => (0, 0),
        };
        let count = |want: Ss| self.servers.iter().filter(|x| x.st == want).count() as u32;
        let linked = self.servers.iter().filter(|x| x.client != NONE && matches!(x.st, Ss::Active | Ss::Idle)).count() as u32;
        let clients = self.bouncer.as_ref().map_or(busy, |b| b.clients);
        let host = write.map(|n| n as usize).or_else(|| hosts.iter().position(|h| h.backends > 0)).unwrap_or(0);
        let h = &hosts[host];
        PoolSample {
            t_ms: now / 1000,
            offered: st.sec_offered,
            served: st.sec_served,
            failed: st.sec_failed,
            p50_us: st.sec_latency.quantile(0.5),
            p95_us: st.sec_latency.quantile(0.95),
            app_waiting: self.apps.iter().map(|a| a.queue.len() as u64).sum(),
            cl_active: clients.saturating_sub(cl_waiting),
            cl_waiting,
            sv_active: linked,
            sv_idle: self.servers.iter().filter(|x| x.client == NONE && x.st == Ss::Idle).count() as u32,
            sv_login: count(Ss::Login),
            maxwait_us,
            avg_wait_us: st.sec_wait_us / st.sec_waits.max(1),
            backends: h.backends,
            active: h.active,
            runq: h.runq_len(),
            mem_mb: h.mem_mb(),
        }
    }

    pub fn conns_open(&self) -> u32 {
        self.conns.iter().filter(|c| matches!(c.st, Cs::Idle | Cs::Busy)).count() as u32
    }

    // ---- settings ----

    pub fn bouncer_cfg(&self) -> Option<&BouncerCfg> {
        self.bouncer.as_ref().map(|b| &b.cfg)
    }

    /// A PgBouncer `RELOAD` with changed settings: it applies to the next server assignment.
    pub fn set_bouncer(&mut self, f: impl FnOnce(&mut BouncerCfg), s: &mut Sched, write: Option<u16>) {
        let Some(b) = self.bouncer.as_mut() else { return };
        f(&mut b.cfg);
        if b.cfg.pool_mode != PoolMode::Session {
            // Session-bound servers go back to the pool at their client's next transaction end;
            // idle ones bound to idle clients go back now.
            for c in 0..self.conns.len() {
                let sv = self.conns[c].server;
                if sv != NONE && self.conns[c].st != Cs::Busy && self.servers[sv as usize].st == Ss::Idle {
                    self.conns[c].server = NONE;
                    self.server_free(sv, s, write);
                }
            }
        }
        self.launch(s, write);
    }
}
