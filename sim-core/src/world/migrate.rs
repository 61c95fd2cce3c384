//! The migration component in the world: its sessions' statements enter the request pipeline on
//! the writable primary (the lock stage first, beside the application's queries), the lock table
//! is built with it, a committed step writes its WAL there, its notes go to the log, and its
//! steps, long transactions and signals come by command.
use crate::base::{CommandError, CommandErrorKind};
use crate::event::Origin;
use crate::migrate::{Act, MigEv, Migration};
use crate::pipeline::Locks;
use crate::time::SimDur;
use crate::trace::{TraceKind, NO_NODE};
use crate::world::{NoteKind, Sched, World};

impl World {
    /// Builds the `[migration]` component: its schema, and the lock table of every server (the
    /// request pipeline's lock stage from now on).
    pub(crate) fn start_migration(&mut self, cfg: &crate::migrate::MigrationCfg, keys: u64) {
        let rng = crate::rng::SimRng::derive(self.seed, "migration");
        let m = Migration::new(cfg, keys, rng);
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
        let stmt = crate::migrate::ddl::parse(sql).map_err(|e| CommandError::new(CommandErrorKind::BadValue, e))?;
        let n = self.primary_for_migration()?;
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

    /// The migration as it stands (`None` without `[migration]`).
    pub fn migration_report(&self) -> Option<crate::migrate::view::MigrationReport> {
        let m = self.c.comps.migrate.as_deref()?;
        Some(m.report(self.c.locks.as_deref(), self.writable_primary(), self.now))
    }
}
