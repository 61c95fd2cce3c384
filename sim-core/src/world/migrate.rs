//! The migration component in the world: its sessions' statements enter the request pipeline on
//! the writable primary (the lock stage first, beside the application's queries), the lock table
//! is built with it, a committed step writes its WAL there, its notes go to the log, and its
//! steps, long transactions and signals come by command.
use crate::base::{CommandError, CommandErrorKind};
use crate::command::Command;
use crate::event::Origin;
use crate::migrate::view::{Offer, DEPLOY_OVER};
use crate::migrate::{Act, MigEv, Migration};
use crate::pipeline::Locks;
use crate::time::SimDur;
use crate::trace::{TraceKind, NO_NODE};
use crate::view::ActionItem;
use crate::world::{NoteKind, Sched, World};

impl World {
    /// Builds the `[migration]` component: its schema, and the lock table of every server (the
    /// request pipeline's lock stage from now on).
    pub(crate) fn start_migration(&mut self, cfg: &crate::migrate::MigrationCfg, keys: u64) {
        let rng = crate::rng::SimRng::derive(self.seed, "migration");
        // The app instances a deploy moves: the pool's app servers, or the direct clients.
        let instances = self.c.comps.pool.as_deref().map_or(self.c.cl.list.len() as u32, |p| p.app_servers());
        let m = Migration::new(cfg, keys, instances, rng);
        self.c.locks = Some(Box::new(Locks::new(self.c.nodes.len(), m.schema.tables.len())));
        self.c.comps.migrate = Some(Box::new(m));
    }

    /// Runs `f` on the migration component with the queue and the lock table, then does what it
    /// asks and logs its notes. Returns `None` without `[migration]`.
    fn with_migration<R>(&mut self, f: impl FnOnce(&mut Migration, &mut Sched, Option<&Locks>) -> (Vec<Act>, R)) -> Option<R> {
        let c = &mut *self.c;
        let m = c.comps.migrate.as_deref_mut()?;
        let mut s = Sched { now: self.now, k: self.active, q: &mut self.q, error: &mut self.error };
        let (acts, r) = f(m, &mut s, c.locks.as_deref());
        self.run_acts(acts);
        Some(r)
    }

    fn run_acts(&mut self, acts: Vec<Act>) {
        for a in acts {
            match a {
                Act::Submit { n, job } => {
                    self.serve(n, job);
                }
                Act::Release { n, origin } => self.release_locks(n, origin),
                Act::Wal { n, bytes } => self.write_wal(n, bytes),
                Act::Resume { n, job } => {
                    self.after_cpu(n, job);
                }
            }
        }
        let notes = self.c.comps.migrate.as_deref_mut().map(|m| m.take_news()).unwrap_or_default();
        for (node, text) in notes {
            self.note(node, NoteKind::Component("migration"), text);
        }
    }

    /// A committed step's WAL on node `n`, which the standbys then stream.
    fn write_wal(&mut self, n: u16, bytes: u64) {
        if bytes == 0 || !self.c.nodes[n as usize].is_running() {
            return;
        }
        self.c.nodes[n as usize].insert_commit(crate::clients::align8(bytes));
        self.repl().kick_flush(n);
    }

    /// A session's statement holds its lock on node `n`.
    pub(crate) fn session_granted(&mut self, n: u16, s: u32, gen: u32) {
        let done = self.with_migration(|m, sched, locks| (m.granted(n, s, gen, sched, locks), ()));
        if done.is_none() {
            // No component to hand it to: the lock goes back.
            self.release_locks(n, Origin::Session { s, gen });
        }
    }

    /// The migration component's events, and the trace line each leaves.
    pub(crate) fn on_migration_event(&mut self, e: MigEv) -> (TraceKind, u16, u64, u64) {
        let (s, gen) = e.session();
        let kind = crate::event::Ev::from(e);
        let k = match kind {
            crate::event::Ev::Comp(c) => u64::from(c.kind),
            _ => 0,
        };
        self.with_migration(|m, sched, locks| (m.on_event(e, sched, locks), ()));
        (TraceKind::Migration, NO_NODE, u64::from(gen), k << 32 | u64::from(s))
    }

    fn migration_or_refuse(&self) -> Result<(), CommandError> {
        match self.c.comps.migrate {
            Some(_) => Ok(()),
            None => Err(CommandError::new(CommandErrorKind::Refused, crate::command::check::NO_MIGRATION)),
        }
    }

    fn primary_for_migration(&self) -> Result<u16, CommandError> {
        self.migration_or_refuse()?;
        self.writable_primary().ok_or_else(|| CommandError::new(CommandErrorKind::Refused, "no writable primary to run it on"))
    }

    /// `ddl`: a migration step's statement in a new session on the primary.
    pub(crate) fn run_ddl(&mut self, sql: &str) -> Result<(), CommandError> {
        let stmt = crate::migrate::ddl::parse(sql).map_err(|e| CommandError::new(CommandErrorKind::BadValue, e).at("sql"))?;
        let n = self.primary_for_migration()?;
        self.migration_observe();
        let r = self.with_migration(|m, sched, _| match m.start_step(stmt, n, sched) {
            Ok(acts) => (acts, Ok(())),
            Err(e) => (Vec::new(), Err(e)),
        });
        r.unwrap_or(Ok(())).map_err(|e| CommandError::new(CommandErrorKind::Refused, e))
    }

    /// `long_transaction`: a session on the primary holds ACCESS SHARE on `table` for `duration`.
    pub(crate) fn long_transaction(&mut self, table: &str, duration: SimDur, idle: bool) -> Result<(), CommandError> {
        let n = self.primary_for_migration()?;
        let t =
            self.c.comps.migrate.as_deref().map(|m| m.schema.table_id(table)).transpose().map_err(|e| CommandError::new(CommandErrorKind::UnknownName, format!("ERROR:  {}", e.message)))?.unwrap_or(0);
        let r = self.with_migration(|m, sched, _| match m.start_long(t, duration, idle, n, sched) {
            Ok(acts) => (acts, Ok(())),
            Err(e) => (Vec::new(), Err(e)),
        });
        r.unwrap_or(Ok(())).map_err(|e| CommandError::new(CommandErrorKind::Refused, e))
    }

    /// `backfill`: the backfill job on the primary.
    pub(crate) fn backfill(&mut self, column: &str, from: &str, batch: u64, pause: SimDur) -> Result<(), CommandError> {
        let n = self.primary_for_migration()?;
        let r = self.with_migration(|m, sched, _| match m.start_backfill(column, from, batch, pause, n, sched) {
            Ok(acts) => (acts, Ok(())),
            Err(e) => (Vec::new(), Err(e)),
        });
        r.unwrap_or(Ok(())).map_err(|e| CommandError::new(CommandErrorKind::Refused, e))
    }

    /// `pg_cancel_backend(pid)` or `pg_terminate_backend(pid)` on a migration session.
    pub(crate) fn signal_backend(&mut self, pid: u32, terminate: bool) -> Result<(), CommandError> {
        self.migration_or_refuse()?;
        let now = self.now;
        let r = self.with_migration(|m, _, _| {
            let r = if terminate { m.terminate(pid, now) } else { m.cancel(pid, now) };
            match r {
                Ok(acts) => (acts, Ok(())),
                Err(e) => (Vec::new(), Err(e)),
            }
        });
        r.unwrap_or(Ok(())).map_err(|e| CommandError::new(CommandErrorKind::UnknownName, e))
    }

    /// The world's second: each version's sample.
    pub(crate) fn migration_second(&mut self) {
        let now = self.now;
        self.migration_observe();
        if let Some(apps) = self.c.comps.migrate.as_deref_mut().and_then(|m| m.apps.as_mut()) {
            apps.second(now);
        }
    }

    /// What the users feel now, for the steps: failures so far, requests waiting for a table
    /// lock, the standby's lag.
    fn migration_observe(&mut self) {
        if self.c.comps.migrate.is_none() {
            return;
        }
        let nodes = &self.c.nodes;
        let head = nodes.iter().map(|n| n.flush_lsn).max().unwrap_or(0);
        let lag = nodes.iter().filter(|n| n.role == crate::postgres::Role::Standby && n.is_running()).map(|n| head.saturating_sub(n.replay_lsn)).max().unwrap_or(0);
        let blocked = self.c.locks.as_deref().map_or(0, |l| (0..nodes.len() as u16).map(|n| l.waiting(n) as u64).sum());
        let m = &self.c.metrics;
        let failed = m.commits_failed + m.reads_failed + self.c.comps.pool.as_deref().map_or(0, |p| p.stats.failed);
        let now = self.now;
        if let Some(m) = self.c.comps.migrate.as_deref_mut() {
            m.observe(failed, blocked, lag, now);
        }
    }

    /// Node `n`'s server went down: its table locks and the migration's sessions on it are gone.
    pub(crate) fn migration_node_down(&mut self, n: u16) {
        if let Some(l) = self.c.locks.as_deref_mut() {
            l.clear(n);
        }
        let now = self.now;
        self.with_migration(|m, _, _| {
            m.node_down(n, now);
            (Vec::new(), ())
        });
    }

    /// The app instance a request comes from: a direct client, or a pooled transaction's app server.
    fn app_of(&self, origin: Origin) -> Option<u32> {
        match origin {
            Origin::Client { c, .. } => Some(c),
            Origin::Pooled { sv, gen } => self.c.comps.pool.as_deref()?.app_of(sv, gen),
            Origin::Session { .. } => None,
        }
    }

    /// A request reached the server: its version's clock starts (a lesson with versions only).
    #[inline(always)]
    pub(crate) fn version_arrived(&mut self, origin: Origin) {
        if self.c.comps.migrate.as_deref().is_some_and(|m| m.apps.is_some()) {
            self.version_arrived_slow(origin);
        }
    }

    #[inline(never)]
    fn version_arrived_slow(&mut self, origin: Origin) {
        let now = self.now;
        let Some(apps) = self.c.comps.migrate.as_deref_mut().and_then(|m| m.apps.as_mut()) else { return };
        match origin {
            Origin::Client { c, .. } => apps.arrived(false, c, now),
            Origin::Pooled { sv, .. } => apps.arrived(true, sv, now),
            Origin::Session { .. } => {}
        }
    }

    /// A request holds its table lock: if its version names a column the schema lacks, it fails
    /// with 42703 here (answered), and the pipeline goes no further with it.
    /// Or it writes a row a single-transaction backfill holds: it waits (true) until that commits.
    #[inline(always)]
    pub(crate) fn version_refuses(&mut self, n: u16, job: &crate::pipeline::Job) -> bool {
        self.c.comps.migrate.is_some() && self.version_refuses_slow(n, job)
    }

    #[inline(never)]
    fn version_refuses_slow(&mut self, n: u16, job: &crate::pipeline::Job) -> bool {
        use crate::pipeline::Work;
        let write = match job.work {
            Work::Read => false,
            Work::Write { .. } => true,
            Work::Login | Work::Hold { .. } => return false,
        };
        let Some(app) = self.app_of(job.origin) else { return false };
        if self.c.comps.migrate.as_deref().is_some_and(|m| m.apps.is_none()) {
            return self.row_locked(n, job);
        }
        let now = self.now;
        let refused = self.c.comps.migrate.as_deref_mut().and_then(|m| m.refused(app, write, now));
        let Some((_, code)) = refused else {
            return self.row_locked(n, job);
        };
        self.run_acts(Vec::new());
        let tl = self.c.nodes[n as usize].tl;
        self.answer(n, job.origin, crate::pipeline::Answer { tl, ..crate::pipeline::Answer::error(code) });
        true
    }

    /// A write of a row a single-transaction backfill has updated waits for its commit (a client
    /// gives up at its timeout, and its driver cancels the statement).
    fn row_locked(&mut self, n: u16, job: &crate::pipeline::Job) -> bool {
        if !self.c.comps.migrate.as_deref_mut().is_some_and(|m| m.holds_row(n, job)) {
            return false;
        }
        if let Origin::Client { c, .. } = job.origin {
            self.time_out_client(c);
        }
        true
    }

    /// A client's request is given up: a write of it waiting for a backfill's row lock is cancelled.
    #[inline(always)]
    pub(crate) fn withdraw_row_wait(&mut self, origin: Origin) {
        if let Some(m) = self.c.comps.migrate.as_deref_mut() {
            m.withdraw_row_wait(origin);
        }
    }

    /// A request was answered: its version counts it.
    #[inline(always)]
    pub(crate) fn version_answered(&mut self, origin: Origin, code: u8) {
        if self.c.comps.migrate.as_deref().is_some_and(|m| m.apps.is_some()) {
            self.version_answered_slow(origin, code);
        }
    }

    #[inline(never)]
    fn version_answered_slow(&mut self, origin: Origin, code: u8) {
        let Some(app) = self.app_of(origin) else { return };
        let now = self.now;
        let Some(apps) = self.c.comps.migrate.as_deref_mut().and_then(|m| m.apps.as_mut()) else { return };
        let v = apps.version_of(app, now);
        let (pooled, id) = match origin {
            Origin::Client { c, .. } => (false, c),
            Origin::Pooled { sv, .. } => (true, sv),
            Origin::Session { .. } => return,
        };
        apps.answered(v, pooled, id, code, now);
    }

    /// `pgroll_start` (`start`: name, op, column, to), `pgroll_complete`, or (`rollback`)
    /// `pgroll_rollback`: the version schemas change at once; a change the table needs is a
    /// step of the migration's session.
    pub(crate) fn pgroll(&mut self, start: Option<(&str, &str, &str, &str)>, rollback: bool) -> Result<(), CommandError> {
        self.migration_or_refuse()?;
        let r = self.with_migration(|m, _, _| {
            let r = match start {
                Some((name, op, column, to)) => crate::migrate::pgroll::Op::parse(op, column, to).and_then(|op| m.pgroll_start(name, op)),
                None if rollback => m.pgroll_rollback(),
                None => m.pgroll_complete(),
            };
            (Vec::new(), r)
        });
        match r.unwrap_or(Ok(None)) {
            Ok(Some(sql)) => self.run_ddl(&sql),
            Ok(None) => Ok(()),
            Err(e) => Err(CommandError::new(CommandErrorKind::Refused, e)),
        }
    }

    /// `deploy`: a rolling deploy of version `version` over `over`.
    pub(crate) fn deploy(&mut self, version: &str, over: SimDur) -> Result<(), CommandError> {
        self.migration_or_refuse()?;
        let now = self.now;
        let r = self.with_migration(|m, _, _| (Vec::new(), m.deploy(version, over, now)));
        r.unwrap_or(Ok(())).map_err(|e| CommandError::new(CommandErrorKind::UnknownName, e).at("version"))
    }

    /// The versions' charts (requests per second by version), with `[[migration.versions]]`.
    pub(crate) fn migration_charts(&self, end_s: f64) -> Option<Vec<crate::view::Chart>> {
        self.c.comps.migrate.as_deref().and_then(|m| m.apps.as_ref()).map(|a| crate::migrate::view::charts(a, end_s))
    }

    /// A `migration` group setting changed at the cursor (`ALTER ROLE … SET`).
    pub(crate) fn set_migration_setting(&mut self, s: &crate::command::Setting) {
        if let Some(m) = self.c.comps.migrate.as_deref_mut() {
            m.settings.set(s);
        }
    }

    /// The migration session's setting `name` as it stands now.
    pub(crate) fn migration_setting(&self, name: &str) -> Option<crate::base::settings::Value> {
        self.c.comps.migrate.as_deref()?.settings.read(name)
    }

    /// The migration as it stands (`None` without `[migration]`), with its offers as buttons.
    pub fn migration_report(&self) -> Option<crate::migrate::view::MigrationReport> {
        let m = self.c.comps.migrate.as_deref()?;
        let mut r = m.report(self.c.locks.as_deref(), self.writable_primary(), self.now);
        r.actions = m.offers(self.now).into_iter().map(action).collect();
        Some(r)
    }
}

/// The button of an offer: its command as a timeline entry (`command::action_command` reads it).
fn action(o: Offer) -> ActionItem {
    let button = |id: String, label: String, title: String, c: Command| ActionItem { id, label, title, command: c.to_toml(SimDur::ZERO), arg: None, placeholder: "" };
    match o {
        Offer::Ddl => ActionItem {
            id: "run-ddl".into(),
            label: "Run in the migration's session".into(),
            title: "Runs the statement at the cursor, with the session's lock_timeout, statement_timeout and retries".into(),
            // The statement is the text box's.
            command: Command::Ddl { sql: String::new() }.to_toml(SimDur::ZERO).replace(", sql = \"\"", ""),
            arg: Some("sql"),
            placeholder: "ALTER TABLE accounts ADD COLUMN email_address text",
        },
        Offer::Cancel(pid) => button(
            format!("cancel-{pid}"),
            format!("pg_cancel_backend({pid})"),
            format!("Cancels the statement session {pid} runs (a session idle in transaction runs none)"),
            Command::CancelBackend { pid },
        ),
        Offer::Terminate(pid) => {
            button(format!("terminate-{pid}"), format!("pg_terminate_backend({pid})"), format!("Ends session {pid}: its transaction rolls back and its locks go"), Command::TerminateBackend { pid })
        }
        Offer::Pgroll(false) => button(
            "pgroll-complete".into(),
            "pgroll complete".into(),
            "Drops the old version schema and changes the table (a rename, a drop): clients still on the old version fail".into(),
            Command::PgrollComplete {},
        ),
        Offer::Pgroll(true) => {
            button("pgroll-rollback".into(), "pgroll rollback".into(), "Drops the new version schema (and a column it added): clients on the new version fail".into(), Command::PgrollRollback {})
        }
        Offer::Deploy(v) => {
            let over = DEPLOY_OVER.human();
            button(
                format!("deploy-{v}"),
                format!("Deploy {v} ({over} rolling)"),
                format!("Moves the app instances to {v} one at a time over {over}"),
                Command::Deploy { version: v, over: crate::base::Dur(DEPLOY_OVER) },
            )
        }
    }
}
