//! What the migration component shows: each table's lock queue (the holders, then the waiters
//! in order, with their modes and waiting times), `pg_stat_activity` of its sessions with
//! `pg_blocking_pids`, the steps with their lock waits and work, and its figures.
use super::{Migration, Outcome, State, What, PID_BASE};
use crate::base::{FigureDef, Unit};
use crate::event::Origin;
use crate::locks::Entry;
use crate::pipeline::{Job, Locks};
use crate::time::SimTime;
use crate::view::{number, Block, ComponentReport, Element, PanelView};

/// The page elements a lesson's `watch` items may name.
pub const ELEMENTS: &[Element] = &[
    Element { name: "migration", what: "the migration: its steps, each table's lock queue, pg_stat_activity and pg_blocking_pids", chart: false },
    Element { name: "lock-queue", what: "the lock queue of the clients' table: the holders, then the waiters in order", chart: false },
];

/// The figures a lesson's `[expect.metrics]` may bound.
pub const FIGURES: &[FigureDef] = &[
    FigureDef { name: "ddl_steps_done", unit: Unit::Count },
    FigureDef { name: "ddl_steps_failed", unit: Unit::Count },
    FigureDef { name: "lock_timeouts", unit: Unit::Count },
    FigureDef { name: "lock_waits", unit: Unit::Count },
    FigureDef { name: "max_lock_queue", unit: Unit::Count },
    FigureDef { name: "max_ddl_lock_wait_ms", unit: Unit::Ms },
    FigureDef { name: "max_ddl_lock_held_ms", unit: Unit::Ms },
];

/// The most queue rows a panel lists (the rest are counted).
const ROWS: usize = 12;

/// The pid `pg_stat_activity` shows for a lock's owner: a client's backend, a pooled server
/// connection's backend, or a migration session.
pub fn pid(o: Origin) -> u32 {
    match o {
        Origin::Client { c, .. } => 10_000 + c,
        Origin::Pooled { sv, .. } => 20_000 + sv,
        Origin::Session { s, .. } => PID_BASE + s,
    }
}

/// The migration as it stands, in plain data.
#[derive(Clone, Debug, PartialEq)]
pub struct MigrationReport {
    pub settings: String,
    /// The clients' table's lock queue on the primary: (pid, who, mode, granted, seconds).
    pub queue: Vec<[String; 5]>,
    pub queue_more: usize,
    /// `pg_stat_activity` of the sessions: pid, state, wait_event_type, wait_event, xact age, blocked by, query.
    pub activity: Vec<[String; 7]>,
    /// The steps: step, lock, work, attempts, lock wait, lock held, outcome.
    pub steps: Vec<[String; 7]>,
    pub waiting_now: usize,
    /// `\d accounts`: its columns, then its index and constraint lines.
    pub describe: (Vec<[String; 3]>, Vec<String>),
    pub figures: Vec<(&'static str, f64)>,
}

impl Migration {
    /// Its report now, with the lock table of the request pipeline and the primary's index.
    pub(crate) fn report(&self, locks: Option<&Locks>, primary: Option<u16>, now: SimTime) -> MigrationReport {
        let n = primary.unwrap_or(0);
        let secs = |since: SimTime| format!("{:.1}", now.since(since).0 as f64 / 1e6);
        let who = |o: Origin| match o {
            Origin::Session { s, .. } => self.sessions.get(s as usize).map_or(String::new(), |ses| self.query(s as usize, ses.what)),
            Origin::Client { .. } => "application query".into(),
            Origin::Pooled { .. } => "application transaction (PgBouncer)".into(),
        };
        let (mut queue, mut more) = (Vec::new(), 0);
        let mut waiting_now = 0;
        if let Some(l) = locks {
            let (granted, waiting) = l.queue(n, 0);
            waiting_now = waiting.len();
            let row = |e: &Entry<Origin, Job>, granted: bool| [pid(e.owner).to_string(), who(e.owner), e.mode.pg_name().to_string(), if granted { "t" } else { "f" }.to_string(), secs(e.since)];
            // The sessions first among the holders (a long query, a DDL), then the application's.
            let mut holders: Vec<_> = granted.iter().filter(|e| matches!(e.owner, Origin::Session { .. })).collect();
            holders.extend(granted.iter().filter(|e| !matches!(e.owner, Origin::Session { .. })));
            for (i, e) in holders.iter().enumerate() {
                if i < ROWS / 2 {
                    queue.push(row(e, true));
                } else {
                    more += 1;
                }
            }
            for (i, e) in waiting.iter().enumerate() {
                if i < ROWS {
                    queue.push(row(e, false));
                } else {
                    more += 1;
                }
            }
        }
        let activity = self
            .sessions
            .iter()
            .enumerate()
            .filter(|(_, s)| s.state != State::Gone)
            .map(|(i, s)| {
                let waiting = s.state == State::Waiting;
                let blocked =
                    if waiting { locks.map(|l| l.blocking(s.node, s.origin(i)).into_iter().map(|o| pid(o).to_string()).collect::<Vec<_>>().join(",")).unwrap_or_default() } else { String::new() };
                let doing = s.phase().map(|p| format!(" ({})", p.doing())).unwrap_or_default();
                [
                    s.pid.to_string(),
                    s.state.pg_name().to_string(),
                    if waiting { "Lock" } else { "" }.to_string(),
                    if waiting { "relation" } else { "" }.to_string(),
                    if s.state == State::Idle { String::new() } else { secs(s.xact_start) },
                    format!("{{{blocked}}}"),
                    format!("{}{doing}", self.query(i, s.what)),
                ]
            })
            .collect();
        let steps = self
            .steps
            .iter()
            .map(|st| {
                let outcome = match &st.outcome {
                    Outcome::Running => "running".to_string(),
                    Outcome::Done => "done".to_string(),
                    Outcome::Failed(e) => format!("ERROR {}: {}", e.code, e.message),
                };
                [st.stmt.sql.clone(), st.stmt.kind.lock().sql_name().to_string(), st.work.clone(), st.attempts.to_string(), st.lock_wait.human(), st.held.human(), outcome]
            })
            .collect();
        let max_wait = self.steps.iter().map(|s| s.lock_wait.as_ms()).max().unwrap_or(0);
        let figures = vec![
            ("ddl_steps_done", self.counts.steps_done as f64),
            ("ddl_steps_failed", self.counts.steps_failed as f64),
            ("lock_timeouts", self.counts.lock_timeouts as f64),
            ("lock_waits", locks.map_or(0, |l| l.waits) as f64),
            ("max_lock_queue", locks.map_or(0, |l| l.max_waiting) as f64),
            ("max_ddl_lock_wait_ms", max_wait as f64),
            ("max_ddl_lock_held_ms", self.counts.max_lock_held.as_ms() as f64),
        ];
        let st = &self.settings;
        let off = |d: crate::time::SimDur| if d.0 == 0 { "0 (wait for ever)".to_string() } else { d.human() };
        let settings = format!("The migration role's settings: lock_timeout = {}, statement_timeout = {}, retries: {}", off(st.lock_timeout), off(st.statement_timeout), st.retry.name());
        let describe = self.schema.tables[0].describe();
        MigrationReport { settings, queue, queue_more: more, activity, steps, waiting_now, describe, figures }
    }

    /// The query text a session runs, as `pg_stat_activity.query` shows it.
    fn query(&self, s: usize, what: What) -> String {
        let table = self.schema.tables.get(self.sessions[s].table as usize).map_or("accounts", |t| t.name.as_str());
        match what {
            What::Step(k) => self.steps[k].stmt.sql.clone(),
            What::Long { idle: false, .. } => format!("SELECT count(*) FROM {table} a JOIN {table} b USING (id)"),
            What::Long { idle: true, .. } => format!("SELECT balance FROM {table} WHERE id = 1"),
        }
    }
}

impl MigrationReport {
    /// The figure named `name` (one of [`FIGURES`]).
    pub fn figure(&self, name: &str) -> Option<f64> {
        self.figures.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    pub fn panel(&self) -> PanelView {
        let steps = Block::Table {
            id: "migration-steps",
            caption: "The migration's steps",
            columns: vec!["statement", "lock", "work under the lock", "attempts", "lock wait", "lock held", "outcome"],
            rows: self.steps.iter().map(|r| r.to_vec()).collect(),
        };
        let mut queue: Vec<Vec<String>> = self.queue.iter().map(|r| r.to_vec()).collect();
        if self.queue_more > 0 {
            queue.push(vec![String::new(), format!("… and {} more", number(self.queue_more as f64)), String::new(), String::new(), String::new()]);
        }
        let blocks = vec![
            Block::Group {
                id: "migration",
                blocks: vec![
                    Block::Text { id: "migration-settings", text: self.settings.clone() },
                    steps,
                    Block::Table { id: "describe-table", caption: "\\d accounts", columns: vec!["Column", "Type", "Nullable"], rows: self.describe.0.iter().map(|r| r.to_vec()).collect() },
                    Block::Text { id: "describe-indexes", text: self.describe.1.join("\n") },
                ],
            },
            Block::Group {
                id: "lock-queue",
                blocks: vec![
                    Block::Text { id: "lock-queue-now", text: format!("{} requests wait for a lock on accounts now", number(self.waiting_now as f64)) },
                    Block::Table {
                        id: "pg-locks",
                        caption: "SELECT pid, mode, granted FROM pg_locks WHERE relation = 'accounts'::regclass; (holders first, then the queue in order)",
                        columns: vec!["pid", "query", "mode", "granted", "for (s)"],
                        rows: queue,
                    },
                    Block::Table {
                        id: "pg-stat-activity",
                        caption: "SELECT pid, state, wait_event_type, wait_event, now() - xact_start, pg_blocking_pids(pid), query FROM pg_stat_activity;",
                        columns: vec!["pid", "state", "wait_event_type", "wait_event", "xact age (s)", "pg_blocking_pids", "query"],
                        rows: self.activity.iter().map(|r| r.to_vec()).collect(),
                    },
                ],
            },
        ];
        PanelView { class: "migration", label: "migration", title: "Schema migration", blocks }
    }

    /// Its part of the run's report: the steps as lines, and its figures.
    pub fn component_report(&self) -> ComponentReport {
        let mut lines: Vec<String> = self.steps.iter().map(|r| format!("{}: {} lock, {}; {} attempt(s), waited {}, held {}: {}", r[0], r[1], r[2], r[3], r[4], r[5], r[6])).collect();
        lines.push("\\d accounts".into());
        lines.extend(self.describe.1.iter().cloned());
        let summary = self.figures.iter().map(|(n, v)| format!("{n} {v}")).collect();
        ComponentReport { name: "migration", lines, summary }
    }
}
