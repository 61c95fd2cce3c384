//! Zero-downtime schema migrations (chapter 12): the sessions that run DDL steps and long-running
//! transactions on the primary, each taking its table lock through the request pipeline's lock
//! stage (`locks/`), so a step waits in the same FIFO queue as the application's queries and a
//! queued ALTER stalls them all.
//!
//! - `ddl.rs` reads a step's SQL; `schema.rs` knows what each form does to the schema in
//!   PostgreSQL 15 (its lock, its phases of work, its WAL, its errors).
//! - A step's session asks for its lock (`Act::Submit`); the world's pipeline grants it at once
//!   or queues it, and calls back `granted`. The session then runs its phases (`PhaseDone`), a
//!   CREATE INDEX CONCURRENTLY waits for the transactions it must outlive (`Poll`), and at the
//!   end the step commits: the schema changes, its WAL is written (`Act::Wal`), its lock goes
//!   (`Act::Release`).
//! - `lock_timeout` cancels a statement still waiting (`55P03`), and the queue behind it moves
//!   on; the retry policy (none, strong_migrations' fixed, reshape's exponential) runs it again.
//!   `statement_timeout` cancels it waiting or working (`57014`).
//! - A long-running transaction holds ACCESS SHARE on its table for its duration, running a
//!   query or idle in transaction (which `pg_cancel_backend` cannot end: no statement runs).
//!
//! Simplified: a session holds one table lock (a foreign key locks the referencing table only),
//! the application's queries all touch `accounts`, DDL does not change a table's size.
// Without the `migrate` feature only the section, its settings, figures and page elements are
// used (a lesson with `[migration]` is then refused); the engine is compiled and linked by nothing.
#![cfg_attr(not(feature = "migrate"), allow(dead_code, unused_imports))]
pub mod app;
pub mod backfill;
pub mod cfg;
pub mod ddl;
pub(crate) mod event;
pub mod lint;
pub mod pgroll;
pub mod schema;
pub mod view;

use crate::event::{Origin, Sched};
use crate::locks::LockMode;
use crate::pipeline::{Job, Locks, Work};
use crate::rng::SimRng;
use crate::time::{SimDur, SimTime};
pub use cfg::{MigrationCfg, Retry, SessionSettings};
use ddl::Statement;
pub(crate) use event::MigEv;
use schema::{PgError, Phase, Plan, Schema, Table};

/// The first session's pid (`pg_stat_activity.pid`).
pub const PID_BASE: u32 = 4100;
/// The most sessions (steps and long transactions) a run may open.
pub const MAX_SESSIONS: usize = 256;
/// How often a CREATE INDEX CONCURRENTLY looks again at the transactions it waits for.
pub const POLL: SimDur = SimDur::ms(10);

/// What a handler asks the world to do, in order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Act {
    /// Send `job` into node `n`'s request pipeline (its lock stage first).
    Submit { n: u16, job: Job },
    /// End `origin`'s transaction on node `n` (or cancel its waiting request): its lock goes.
    Release { n: u16, origin: Origin },
    /// Write `bytes` of WAL on node `n` (a committed step's work).
    Wal { n: u16, bytes: u64 },
    /// An application write that waited for a backfill's row lock goes on to its commit.
    Resume { n: u16, job: Job },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum What {
    /// Runs step `i`.
    Step(usize),
    /// A long-running transaction: a query for `duration`, or a query then idle in transaction.
    Long { duration: SimDur, idle: bool },
    /// The backfill job (`Migration::backfill`).
    Backfill,
}

/// `pg_stat_activity.state`, and whether the session waits for a lock.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Its statement waits in the table's lock queue (`wait_event_type = Lock`).
    Waiting,
    Active,
    IdleInTransaction,
    /// Between a retry's attempts.
    Idle,
    /// Disconnected.
    Gone,
}

impl State {
    pub fn pg_name(self) -> &'static str {
        match self {
            State::Waiting | State::Active => "active",
            State::IdleInTransaction => "idle in transaction",
            State::Idle => "idle",
            State::Gone => "",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub pid: u32,
    pub gen: u32,
    pub node: u16,
    pub table: u16,
    pub mode: LockMode,
    pub what: What,
    pub state: State,
    /// `xact_start` (the current attempt's), and when the state last changed.
    pub xact_start: SimTime,
    pub state_change: SimTime,
    plan: Option<Plan>,
    phase: usize,
    /// The pieces of the current phase's work done (`Phase::chunks`).
    chunk: u32,
    /// The transactions a CREATE INDEX CONCURRENTLY waits for.
    wait_for: Vec<Origin>,
}

impl Session {
    pub(super) fn origin(&self, s: usize) -> Origin {
        Origin::Session { s: s as u32, gen: self.gen }
    }

    /// The phase of work it is in, if it is working.
    pub fn phase(&self) -> Option<Phase> {
        self.plan.as_ref().and_then(|p| p.phases.get(self.phase)).copied().filter(|_| self.state == State::Active)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Running,
    Done,
    Failed(PgError),
}

/// One DDL step and what became of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Its SQL as written (read again by `statement` when its work needs the parsed form: the
    /// run keeps no parse tree).
    pub sql: String,
    pub lock: LockMode,
    pub attempts: u32,
    /// Time spent waiting for the lock (every attempt), and holding it.
    pub lock_wait: SimDur,
    pub held: SimDur,
    pub granted_at: Option<SimTime>,
    pub ended: Option<SimTime>,
    pub outcome: Outcome,
    /// What it does under the lock ("catalog only", "rewrites …").
    pub work: String,
    /// The rules squawk reports for it with the session's settings when it ran (`lint.rs`).
    pub rules: Vec<&'static str>,
    /// What the users felt while it ran, sampled each second (and at its end): the most
    /// requests waiting for a table lock, the requests that failed, the standby's largest lag.
    pub max_blocked: u64,
    pub failed_at_start: u64,
    pub failed_during: u64,
    pub max_lag_bytes: u64,
    /// Its time line: each stretch waiting for its lock (false) or holding it (true), at most
    /// `MAX_SPANS` (a retry policy makes at most 10 attempts).
    pub spans: Vec<(SimTime, SimTime, bool)>,
}

/// The most stretches a step's time line keeps.
pub const MAX_SPANS: usize = 24;

impl Step {
    /// A stretch of its time line.
    fn span(&mut self, from: SimTime, to: SimTime, held: bool) {
        if self.spans.len() < MAX_SPANS && to > from {
            self.spans.push((from, to, held));
        }
    }

    /// Its statement, read again from its SQL (which was read once already, when it began).
    fn statement(&self) -> Statement {
        ddl::parse(&self.sql).unwrap_or_else(|_| Statement { sql: self.sql.clone(), kind: ddl::Kind::DropIndex { name: String::new(), concurrently: false }, in_block: false })
    }
}

/// The component's counts, for its figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    pub lock_timeouts: u64,
    pub steps_done: u64,
    pub steps_failed: u64,
    pub max_lock_held: SimDur,
    /// Rows every backfill updated, and application writes that waited for a backfill's row lock.
    pub backfill_rows: u64,
    pub row_lock_waits: u64,
}

#[derive(Clone, Debug)]
pub struct Migration {
    pub schema: Schema,
    pub settings: SessionSettings,
    pub sessions: Vec<Session>,
    pub steps: Vec<Step>,
    pub counts: Counts,
    /// The application's versions and deploys (a lesson with `versions`).
    pub apps: Option<app::Apps>,
    /// The backfill job, once one has started.
    pub backfill: Option<backfill::Backfill>,
    /// Rows whose backfilled copy is stale (changed since in the source column; an expected value).
    pub stale_rows: f64,
    /// pgroll's state, with `[migration] pgroll` (its version schemas are `schema.views`).
    pub pgroll: Option<pgroll::Pgroll>,
    /// The bytes an `accounts` row takes (a backfill's WAL per row).
    pub row_bytes: u64,
    /// The most WAL any standby had not yet replayed, sampled each second (bytes).
    pub max_lag_bytes: u64,
    /// What it was at the last second.
    pub lag_bytes: u64,
    /// The application's failed requests so far, as the world last told (a step's start).
    pub failed_now: u64,
    rng: SimRng,
    /// Notes for the log: (node, text).
    pub(super) news: Vec<(Option<u16>, String)>,
}

impl Migration {
    /// The schema of a lesson: `accounts` (the clients' table, `keys` rows) and the section's tables.
    pub fn new(cfg: &MigrationCfg, keys: u64, instances: u32, rng: SimRng) -> Migration {
        let cols = |list: &[String]| list.iter().filter_map(|c| cfg::column(c)).collect::<Vec<_>>();
        let mut accounts_cols = vec![("balance".to_string(), "bigint".to_string())];
        accounts_cols.extend(cols(&cfg.columns));
        let mut tables = vec![Table::new("accounts", keys, cfg.row_bytes, &accounts_cols)];
        tables.extend(cfg.tables.iter().map(|t| Table::new(&t.name, t.rows, t.row_bytes, &cols(&t.columns))));
        let apps = (!cfg.versions.is_empty()).then(|| app::Apps::new(cfg.versions.clone(), instances));
        // pgroll's first version schema shows every column of accounts as it is.
        let views = cfg.pgroll.iter().map(|name| schema::View { schema: pgroll::schema_of(name), columns: tables[0].columns.iter().map(|c| (c.name.clone(), c.name.clone())).collect() }).collect();
        let pgroll = cfg.pgroll.as_ref().map(|name| pgroll::Pgroll { latest: name.clone(), active: None });
        Migration {
            schema: Schema { tables, views, functions: cfg.functions.iter().filter_map(|f| schema::Function::parse(f)).collect() },
            settings: SessionSettings::of(cfg),
            sessions: Vec::new(),
            steps: Vec::new(),
            counts: Counts::default(),
            apps,
            backfill: None,
            pgroll,
            stale_rows: 0.0,
            row_bytes: cfg.row_bytes,
            max_lag_bytes: 0,
            lag_bytes: 0,
            failed_now: 0,
            rng,
            news: Vec::new(),
        }
    }

    /// The notes to log since the last call.
    pub(crate) fn take_news(&mut self) -> Vec<(Option<u16>, String)> {
        std::mem::take(&mut self.news)
    }

    pub(super) fn open(&mut self, n: u16, table: u16, mode: LockMode, what: What, now: SimTime) -> Result<usize, String> {
        if self.sessions.len() >= MAX_SESSIONS {
            return Err(format!("FATAL:  sorry, too many clients already (a run may open {MAX_SESSIONS} migration sessions)"));
        }
        let pid = PID_BASE + self.sessions.len() as u32;
        self.sessions.push(Session { pid, gen: 0, node: n, table, mode, what, state: State::Idle, xact_start: now, state_change: now, plan: None, phase: 0, chunk: 0, wait_for: Vec::new() });
        Ok(self.sessions.len() - 1)
    }

    /// Session `s` starts an attempt: its statement asks for its lock, with its timeouts armed.
    pub(super) fn submit(&mut self, s: usize, sched: &mut Sched, acts: &mut Vec<Act>) {
        let now = sched.now;
        let st = self.settings;
        let ses = &mut self.sessions[s];
        ses.gen += 1;
        ses.state = State::Waiting;
        ses.xact_start = now;
        ses.state_change = now;
        ses.phase = 0;
        ses.chunk = 0;
        let (s32, gen) = (s as u32, ses.gen);
        if let What::Step(_) = ses.what {
            if st.lock_timeout > SimDur::ZERO {
                sched.after(st.lock_timeout, MigEv::LockTimeout { s: s32, gen }.into());
            }
            if st.statement_timeout > SimDur::ZERO {
                sched.after(st.statement_timeout, MigEv::StatementTimeout { s: s32, gen }.into());
            }
        }
        let job = Job { origin: ses.origin(s), work: Work::Hold { table: ses.table, mode: ses.mode }, cpu_us: 0 };
        acts.push(Act::Submit { n: ses.node, job });
    }

    /// A DDL step on node `n` (the primary): its session opens and its statement asks for its lock.
    pub(crate) fn start_step(&mut self, stmt: Statement, n: u16, sched: &mut Sched) -> Result<Vec<Act>, String> {
        let now = sched.now;
        let target = self.schema.target(&stmt.kind);
        let refused = Schema::refuse_at_once(&stmt).or_else(|| target.clone().err());
        let table = target.unwrap_or(0);
        let i = self.steps.len();
        let s = self.open(n, table, stmt.kind.lock(), What::Step(i), now)?;
        let rules = lint::rules(&stmt, &self.settings);
        let failed_at_start = self.failed_now;
        self.steps.push(Step {
            sql: stmt.sql.clone(),
            lock: stmt.kind.lock(),
            attempts: 0,
            lock_wait: SimDur::ZERO,
            held: SimDur::ZERO,
            granted_at: None,
            ended: None,
            outcome: Outcome::Running,
            work: String::new(),
            rules,
            max_blocked: 0,
            failed_at_start,
            failed_during: 0,
            max_lag_bytes: 0,
            spans: Vec::new(),
        });
        let mut acts = Vec::new();
        if let Some(e) = refused {
            self.sessions[s].state = State::Gone;
            self.steps[i].work = "none: refused before it took a lock".into();
            self.fail_step(i, e, now);
            return Ok(acts);
        }
        self.steps[i].attempts = 1;
        self.submit(s, sched, &mut acts);
        Ok(acts)
    }

    /// A long-running transaction on node `n`: a query on table `table` for `duration`, then
    /// commit; with `idle`, the query is quick and the session sits idle in transaction.
    pub(crate) fn start_long(&mut self, table: u16, duration: SimDur, idle: bool, n: u16, sched: &mut Sched) -> Result<Vec<Act>, String> {
        let s = self.open(n, table, LockMode::AccessShare, What::Long { duration, idle }, sched.now)?;
        let mut acts = Vec::new();
        self.submit(s, sched, &mut acts);
        Ok(acts)
    }

    /// Whether a request of app instance `app` fails in parse analysis: its version and the
    /// error. 42P01 when its `search_path` names a pgroll version schema that is gone; 42703 when
    /// a column it names (its version's reads for a read, writes for a write) is missing, or is
    /// not in its version schema's view. A read that passes counts the NULLs it meets.
    #[inline]
    pub fn refused(&mut self, app: u32, write: bool, now: SimTime) -> Option<(usize, u8)> {
        let apps = self.apps.as_mut()?;
        let v = apps.version_of(app, now);
        let table = &self.schema.tables[0];
        let view = match apps.versions[v].search_path.as_deref() {
            None => None,
            Some(sp) => match self.schema.views.iter().find(|x| x.schema == sp) {
                Some(view) => Some(view),
                None => {
                    if apps.missing[v].as_deref() != Some(sp) {
                        self.news
                            .push((None, format!("{}: ERROR:  relation \"accounts\" does not exist (SQLSTATE 42P01): its search_path is {sp}, a version schema that is gone", apps.versions[v].name)));
                        apps.missing[v] = Some(sp.to_string());
                    }
                    return Some((v, crate::pipeline::UNDEFINED_TABLE));
                }
            },
        };
        // The table's column a name resolves to: itself, or what its version's view shows.
        fn resolve<'a>(view: Option<&'a schema::View>, table: &Table, c: &'a str) -> Option<&'a str> {
            view.map_or(Some(c), |w| w.column(c)).filter(|p| table.columns.iter().any(|x| x.name == *p))
        }
        let Some(gone) = apps.columns(v, write).iter().find(|c| resolve(view, table, c).is_none()).cloned() else {
            // The backfill's copies go stale when a write changes the source column of a row
            // already copied and nothing writes the copy: not the version, not a BEFORE trigger.
            // (Expected values: a write lands on a copied row with the copied share, on a stale
            // one with the stale share.)
            if let Some(b) = self.backfill.as_ref().filter(|b| b.error.is_none()) {
                let rows = table.rows.max(1) as f64;
                let names = |w: bool| apps.columns(v, w).iter().filter_map(|c| resolve(view, table, c)).any(|c| c == b.column);
                if write {
                    let copied = if b.ended.is_some() {
                        1.0
                    } else if b.single() {
                        0.0
                    } else {
                        b.done as f64 / b.total.max(1) as f64
                    };
                    let source = apps.columns(v, true).iter().any(|c| resolve(view, table, c) == Some(b.from.as_str()));
                    let trigger = table.triggers.iter().any(|t| t.before && self.schema.functions.iter().any(|x| x.name == t.function && x.into == b.column && x.from == b.from));
                    if names(true) || (source && trigger) {
                        self.stale_rows -= self.stale_rows / rows;
                    } else if source {
                        self.stale_rows = (self.stale_rows + copied * (1.0 - self.stale_rows / rows)).min(rows);
                    }
                } else if names(false) {
                    apps.stats[v].stale_reads += self.stale_rows / rows;
                }
            }
            if !write {
                // A read of a column still NULL in the rows no backfill has reached reads NULL.
                let null_share = |c: &String| -> f64 {
                    let Some(col) = resolve(view, table, c).and_then(|p| table.columns.iter().find(|x| x.name == p)).filter(|x| x.nulls) else { return 0.0 };
                    match self.backfill.as_ref().filter(|b| b.column == col.name && b.ended.is_none()) {
                        Some(b) => 1.0 - b.done as f64 / b.total.max(1) as f64,
                        None => 1.0,
                    }
                };
                let share = apps.columns(v, false).iter().map(null_share).fold(0.0, f64::max);
                apps.stats[v].null_reads += share;
            }
            return None;
        };
        if apps.missing[v].as_deref() != Some(gone.as_str()) {
            self.news.push((None, format!("{}: ERROR:  column \"{gone}\" does not exist (SQLSTATE 42703)", apps.versions[v].name)));
            apps.missing[v] = Some(gone);
        }
        Some((v, crate::pipeline::UNDEFINED_COLUMN))
    }

    /// The world's second (and a step's start): the application's failures so far, the
    /// requests waiting for a table lock now and the standby's lag, for the steps running or
    /// just ended.
    pub(crate) fn observe(&mut self, failed: u64, blocked: u64, lag: u64, now: SimTime) {
        self.failed_now = failed;
        self.lag_bytes = lag;
        self.max_lag_bytes = self.max_lag_bytes.max(lag);
        for st in self.steps.iter_mut().filter(|s| s.ended.is_none_or(|e| now.since(e) <= SimDur::secs(1))) {
            st.max_blocked = st.max_blocked.max(blocked);
            st.failed_during = failed.saturating_sub(st.failed_at_start);
            st.max_lag_bytes = st.max_lag_bytes.max(lag);
        }
    }

    /// `deploy`: the app instances move to version `name` one at a time over `over`.
    pub(crate) fn deploy(&mut self, name: &str, over: SimDur, now: SimTime) -> Result<(), String> {
        let apps = self.apps.as_mut().ok_or("this lesson declares no application versions ([[migration.versions]])")?;
        let to = apps.version(name).ok_or_else(|| format!("no application version named `{name}` (versions: {})", apps.versions.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ")))?;
        apps.deploys.push(app::Deploy { start: now, over, to });
        self.news.push((None, format!("deploy: {} app instances move to {name} over {}", apps.instances, over.human())));
        Ok(())
    }

    /// The session of pid `pid`, if it is one of this component's.
    pub fn session_of(&self, pid: u32) -> Option<usize> {
        pid.checked_sub(PID_BASE).map(|i| i as usize).filter(|&i| i < self.sessions.len())
    }

    fn live(&self, s: u32, gen: u32) -> Option<usize> {
        let i = s as usize;
        self.sessions.get(i).filter(|ses| ses.gen == gen && ses.state != State::Gone).map(|_| i)
    }

    /// Session `s`'s statement holds its lock on node `n`.
    pub(crate) fn granted(&mut self, n: u16, s: u32, gen: u32, sched: &mut Sched, locks: Option<&Locks>) -> Vec<Act> {
        let mut acts = Vec::new();
        let Some(i) = self.live(s, gen).filter(|&i| self.sessions[i].state == State::Waiting) else {
            // Nobody waits for it any more: the lock goes back at once.
            acts.push(Act::Release { n, origin: Origin::Session { s, gen } });
            return acts;
        };
        let now = sched.now;
        let ses = &mut self.sessions[i];
        let waited = now.since(ses.state_change);
        ses.state = State::Active;
        ses.state_change = now;
        match ses.what {
            What::Long { duration, idle } => {
                if idle {
                    ses.state = State::IdleInTransaction;
                }
                sched.after(duration, MigEv::End { s, gen }.into());
            }
            What::Backfill => self.backfill_granted(i, sched, &mut acts),
            What::Step(k) => {
                let step = &mut self.steps[k];
                step.lock_wait += waited;
                step.span(SimTime(now.0 - waited.0), now, false);
                step.granted_at = Some(now);
                let stmt = step.statement();
                match self.schema.plan(ses.table, &stmt) {
                    Err(e) => {
                        ses.state = State::Gone;
                        acts.push(Act::Release { n, origin: Origin::Session { s, gen } });
                        self.fail_step(k, e, now);
                    }
                    Ok(plan) => {
                        step.work = plan.work.clone();
                        self.schema.begin(ses.table, &stmt);
                        ses.plan = Some(plan);
                        self.run_phase(i, sched, locks, &mut acts);
                    }
                }
            }
        }
        acts
    }

    /// Session `i` starts its current phase, or commits after its last.
    fn run_phase(&mut self, i: usize, sched: &mut Sched, locks: Option<&Locks>, acts: &mut Vec<Act>) {
        loop {
            let ses = &mut self.sessions[i];
            let (s, gen) = (i as u32, ses.gen);
            let Some(plan) = &ses.plan else { return };
            let Some(&phase) = plan.phases.get(ses.phase) else {
                self.commit_step(i, sched.now, acts);
                return;
            };
            match phase {
                Phase::WaitWriters | Phase::WaitOlder => {
                    ses.wait_for = locks.map(|l| waits_for(l, ses.node, ses.table, phase, ses.origin(i))).unwrap_or_default();
                    if ses.wait_for.is_empty() {
                        ses.phase += 1;
                        continue;
                    }
                    sched.after(POLL, MigEv::Poll { s, gen }.into());
                }
                work => sched.after(SimDur(work.duration().0 / u64::from(work.chunks())).max(SimDur(1)), MigEv::PhaseDone { s, gen }.into()),
            }
            return;
        }
    }

    /// The last phase is done: the step's error, or its commit (schema, WAL, the lock released).
    fn commit_step(&mut self, i: usize, now: SimTime, acts: &mut Vec<Act>) {
        let ses = &mut self.sessions[i];
        let What::Step(k) = ses.what else { return };
        ses.state = State::Gone;
        let origin = ses.origin(i);
        let (n, table) = (ses.node, ses.table);
        let plan = ses.plan.take().unwrap_or_else(|| Plan { phases: Vec::new(), fails: None, work: String::new() });
        let step = &mut self.steps[k];
        if let Some(g) = step.granted_at {
            step.held = now.since(g);
            step.span(g, now, true);
            self.counts.max_lock_held = self.counts.max_lock_held.max(step.held);
        }
        acts.push(Act::Release { n, origin });
        if let Some(e) = plan.fails {
            self.fail_step(k, e, now);
            return;
        }
        step.ended = Some(now);
        step.outcome = Outcome::Done;
        self.counts.steps_done += 1;
        let line = format!("{} ({}): done; waited {} for its {} lock, held it {}", step.sql, step.work, step.lock_wait.human(), step.lock.sql_name(), step.held.human());
        self.schema.apply(table, &step.statement());
        self.news.push((Some(n), line));
    }

    fn fail_step(&mut self, k: usize, e: PgError, now: SimTime) {
        let step = &mut self.steps[k];
        step.ended = Some(now);
        self.news.push((None, format!("{}: ERROR:  {} (SQLSTATE {})", step.sql, e.message, e.code)));
        step.outcome = Outcome::Failed(e);
        self.counts.steps_failed += 1;
    }

    /// A statement of session `i` is cancelled (`code`, `message`): a waiting one leaves the
    /// queue, a working one rolls back (a CREATE INDEX CONCURRENTLY leaves its index INVALID).
    fn cancel_statement(&mut self, i: usize, code: &'static str, message: &str, now: SimTime, acts: &mut Vec<Act>) {
        let ses = &mut self.sessions[i];
        let was_waiting = ses.state == State::Waiting;
        let origin = ses.origin(i);
        acts.push(Act::Release { n: ses.node, origin });
        ses.state = State::Idle;
        ses.state_change = now;
        ses.plan = None;
        let What::Step(k) = ses.what else {
            ses.state = State::Gone;
            self.news.push((Some(ses.node), format!("pid {}: ERROR:  {message}", ses.pid)));
            if let Some(b) = self.backfill.as_mut().filter(|_| ses.what == What::Backfill) {
                // Its running transaction rolls back; the batches committed before stay.
                b.ended = Some(now);
                b.error = Some(format!("{message} (SQLSTATE {code})"));
                b.in_flight = 0;
                acts.extend(b.take_waiters());
            }
            return;
        };
        let step = &mut self.steps[k];
        if was_waiting {
            let since = self.sessions[i].xact_start;
            step.lock_wait += now.since(since);
            step.span(since, now, false);
        } else if let Some(g) = step.granted_at {
            step.held += now.since(g);
            step.span(g, now, true);
            self.counts.max_lock_held = self.counts.max_lock_held.max(step.held);
        }
        self.fail_step(k, schema_err(code, message), now);
    }

    /// One of the component's own events.
    pub(crate) fn on_event(&mut self, e: MigEv, sched: &mut Sched, locks: Option<&Locks>) -> Vec<Act> {
        let mut acts = Vec::new();
        let (s, gen) = e.session();
        let Some(i) = self.live(s, gen) else { return acts };
        let now = sched.now;
        let state = self.sessions[i].state;
        match e {
            MigEv::LockTimeout { .. } if state == State::Waiting => {
                self.counts.lock_timeouts += 1;
                let ses = &mut self.sessions[i];
                let What::Step(k) = ses.what else { return acts };
                acts.push(Act::Release { n: ses.node, origin: ses.origin(i) });
                let step = &mut self.steps[k];
                step.lock_wait += now.since(ses.state_change);
                step.span(ses.state_change, now, false);
                ses.state = State::Idle;
                ses.state_change = now;
                let retry = self.settings.retry;
                if step.attempts < retry.attempts() {
                    let (wait, jitter) = retry.delay(step.attempts + 1);
                    let extra = if jitter > SimDur::ZERO { self.rng.below(jitter.0 + 1) } else { 0 };
                    let d = SimDur(wait.0 + extra);
                    self.news
                        .push((Some(ses.node), format!("{}: ERROR:  canceling statement due to lock timeout (attempt {} of {}; again in {})", step.sql, step.attempts, retry.attempts(), d.human())));
                    sched.after(d, MigEv::Retry { s, gen }.into());
                } else {
                    ses.state = State::Gone;
                    self.fail_step(k, schema_err("55P03", "canceling statement due to lock timeout"), now);
                }
            }
            MigEv::StatementTimeout { .. } if matches!(state, State::Waiting | State::Active) => {
                self.cancel_statement(i, "57014", "canceling statement due to statement timeout", now, &mut acts);
                self.sessions[i].state = State::Gone;
            }
            MigEv::Retry { .. } if state == State::Idle => {
                if let What::Step(k) = self.sessions[i].what {
                    self.steps[k].attempts += 1;
                }
                self.submit(i, sched, &mut acts);
            }
            MigEv::PhaseDone { .. } if state == State::Active && self.sessions[i].what == What::Backfill => self.backfill_piece_done(i, sched, &mut acts),
            MigEv::PhaseDone { .. } if state == State::Active => {
                // A piece of the phase's work is done, with its WAL.
                let ses = &mut self.sessions[i];
                let Some(phase) = ses.phase() else { return acts };
                let (chunks, total) = (phase.chunks(), phase.wal_bytes());
                let bytes = total / u64::from(chunks) + if ses.chunk + 1 == chunks { total % u64::from(chunks) } else { 0 };
                if bytes > 0 {
                    acts.push(Act::Wal { n: ses.node, bytes });
                }
                ses.chunk += 1;
                if ses.chunk < chunks {
                    sched.after(SimDur(phase.duration().0 / u64::from(chunks)).max(SimDur(1)), MigEv::PhaseDone { s, gen }.into());
                } else {
                    ses.chunk = 0;
                    ses.phase += 1;
                    self.run_phase(i, sched, locks, &mut acts);
                }
            }
            MigEv::Poll { .. } if state == State::Active => {
                let ses = &mut self.sessions[i];
                let n = ses.node;
                ses.wait_for.retain(|o| locks.is_some_and(|l| l.holds(n, *o)));
                if ses.wait_for.is_empty() {
                    ses.phase += 1;
                    ses.chunk = 0;
                    self.run_phase(i, sched, locks, &mut acts);
                } else {
                    sched.after(POLL, MigEv::Poll { s, gen }.into());
                }
            }
            MigEv::End { .. } if matches!(state, State::Active | State::IdleInTransaction) => {
                let ses = &mut self.sessions[i];
                ses.state = State::Gone;
                acts.push(Act::Release { n: ses.node, origin: ses.origin(i) });
                self.news.push((Some(ses.node), format!("pid {}: the long-running transaction commits after {}", ses.pid, now.since(ses.xact_start).human())));
            }
            _ => {}
        }
        acts
    }

    /// `pg_cancel_backend(pid)`: cancels the session's running or waiting statement. A session
    /// idle in transaction runs none: it keeps its transaction and its locks.
    pub(crate) fn cancel(&mut self, pid: u32, now: SimTime) -> Result<Vec<Act>, String> {
        let i = self.session_of(pid).ok_or_else(|| not_a_backend(pid))?;
        let mut acts = Vec::new();
        match self.sessions[i].state {
            State::Waiting | State::Active => {
                self.cancel_statement(i, "57014", "canceling statement due to user request", now, &mut acts);
                if let What::Step(_) = self.sessions[i].what {
                    self.sessions[i].state = State::Gone;
                }
            }
            State::IdleInTransaction => self.news.push((
                Some(self.sessions[i].node),
                format!("pg_cancel_backend({pid}): the session is idle in transaction, with no statement to cancel: it keeps its locks (pg_terminate_backend ends it)"),
            )),
            State::Idle | State::Gone => {}
        }
        Ok(acts)
    }

    /// `pg_terminate_backend(pid)`: the session's connection closes, its transaction rolls back.
    pub(crate) fn terminate(&mut self, pid: u32, now: SimTime) -> Result<Vec<Act>, String> {
        let i = self.session_of(pid).ok_or_else(|| not_a_backend(pid))?;
        let mut acts = Vec::new();
        let ses = &self.sessions[i];
        if ses.state == State::Gone {
            return Ok(acts);
        }
        let node = ses.node;
        if matches!(ses.state, State::Waiting | State::Active) && matches!(ses.what, What::Step(_)) {
            self.cancel_statement(i, "57P01", "terminating connection due to administrator command", now, &mut acts);
        } else {
            acts.push(Act::Release { n: node, origin: ses.origin(i) });
            self.news.push((Some(node), format!("pid {pid}: FATAL:  terminating connection due to administrator command")));
        }
        self.sessions[i].state = State::Gone;
        Ok(acts)
    }

    /// Node `n`'s server went down: its sessions are gone with it (their locks too).
    pub(crate) fn node_down(&mut self, n: u16, now: SimTime) {
        for i in 0..self.sessions.len() {
            let ses = &mut self.sessions[i];
            if ses.node != n || ses.state == State::Gone {
                continue;
            }
            let running = matches!(ses.state, State::Waiting | State::Active);
            ses.state = State::Gone;
            if let (What::Step(k), true) = (ses.what, running) {
                self.fail_step(k, schema_err("57P01", "terminating connection due to administrator command"), now);
            }
        }
    }
}

fn schema_err(code: &'static str, message: &str) -> PgError {
    PgError { code, message: message.into() }
}

fn not_a_backend(pid: u32) -> String {
    format!("WARNING:  PID {pid} is not a PostgreSQL backend process this lesson lets you signal (its migration sessions are pid {PID_BASE} and up)")
}

/// The transactions a CREATE INDEX CONCURRENTLY phase waits for on node `n`: for the writers'
/// waits, every holder of a lock on `table` that conflicts with SHARE; for the last, every
/// transaction holding any lock (its snapshot is older).
fn waits_for(locks: &Locks, n: u16, table: u16, phase: Phase, me: Origin) -> Vec<Origin> {
    let tables: Vec<u16> = match phase {
        Phase::WaitWriters => vec![table],
        _ => (0..locks.tables() as u16).collect(),
    };
    let mut out = Vec::new();
    for t in tables {
        let (granted, _) = locks.queue(n, t);
        for e in granted {
            let counts = match phase {
                Phase::WaitWriters => LockMode::Share.conflicts_with(e.mode),
                _ => true,
            };
            if counts && e.owner != me && !out.contains(&e.owner) {
                out.push(e.owner);
            }
        }
    }
    out
}
