//! What the migration component shows: each table's lock queue (the holders, then the waiters
//! in order, with their modes and waiting times), `pg_stat_activity` of its sessions with
//! `pg_blocking_pids`, the steps with their lock waits and work, and its figures.
use super::{Migration, Outcome, State, What, PID_BASE};
use crate::base::{FigureDef, Unit};
use crate::event::Origin;
use crate::locks::Entry;
use crate::pipeline::{Job, Locks};
use crate::time::SimDur;
use crate::time::SimTime;
use crate::view::{number, ActionItem, Bar, Block, ComponentReport, Element, PanelView, Tone};

/// The page elements a lesson's `watch` items may name.
pub const ELEMENTS: &[Element] = &[
    Element { name: "migration-actions", what: "buttons that run a statement, cancel or terminate a session, or roll a deploy at the cursor", chart: false },
    Element { name: "steps-timeline", what: "the steps on one time line: waiting for the lock, then holding it", chart: false },
    Element { name: "pgroll", what: "pgroll's version schemas live now, each with its view's columns, and the migration in progress", chart: false },
    Element { name: "migration", what: "the migration: its steps, each table's lock queue, pg_stat_activity and pg_blocking_pids", chart: false },
    Element { name: "lock-queue", what: "the lock queue of the clients' table: the holders, then the waiters in order", chart: false },
    Element { name: "lint-overlay", what: "each step's linter rules (squawk) beside the requests it blocked and failed and the standby's lag", chart: false },
    Element { name: "backfill", what: "the backfill: rows done, rows/s, WAL written, the standby's replay lag, writes that waited for its row locks", chart: false },
    Element { name: "versions", what: "each application version: its app instances, requests answered and failed, server time p50 and p99", chart: false },
    Element { name: "chart-versions", what: "requests answered and failed per second, per application version", chart: true },
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
    FigureDef { name: "undefined_column_errors", unit: Unit::Count },
    FigureDef { name: "undefined_table_errors", unit: Unit::Count },
    FigureDef { name: "null_reads", unit: Unit::Count },
    FigureDef { name: "stale_reads", unit: Unit::Count },
    FigureDef { name: "final_version", unit: Unit::Count },
    FigureDef { name: "unused_columns", unit: Unit::Count },
    FigureDef { name: "backfill_rows", unit: Unit::Count },
    FigureDef { name: "backfill_rows_per_s", unit: Unit::PerSecond },
    FigureDef { name: "backfill_wal_mb", unit: Unit::Count },
    FigureDef { name: "row_lock_waits", unit: Unit::Count },
    FigureDef { name: "max_replay_lag_mb", unit: Unit::Count },
];

/// The most steps the time line draws (the steps table lists them all).
pub const STEPS_DRAWN: usize = 8;

/// The time line's names of the steps, in order.
const STEP_NAMES: [&str; STEPS_DRAWN] = ["step 1", "step 2", "step 3", "step 4", "step 5", "step 6", "step 7", "step 8"];

/// The most queue rows a panel lists (the rest are counted).
const ROWS: usize = 6;

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
    pub queue: Vec<Vec<String>>,
    pub queue_more: usize,
    /// `pg_stat_activity` of the sessions: pid, state, wait_event_type, wait_event, xact age, blocked by, query.
    pub activity: Vec<Vec<String>>,
    /// The steps: step, lock, work, attempts, lock wait, lock held, outcome.
    pub steps: Vec<Vec<String>>,
    pub waiting_now: usize,
    /// Each step beside the linter: statement, squawk's rules, most requests blocked, requests
    /// failed, the standby's largest lag (MB).
    pub overlay: Vec<Vec<String>>,
    /// The backfill's line, if one has started.
    pub backfill: Option<String>,
    /// Each application version: name, instances, answered, 42703, 42P01, reads of NULL, stale reads, other failures, p50, p99 (ms).
    pub versions: Vec<Vec<String>>,
    /// `\d accounts`: its columns, then its index and constraint lines.
    pub describe: (Vec<Vec<String>>, Vec<String>),
    /// pgroll's version schemas and the migration in progress, with `[migration] pgroll`.
    pub pgroll: Option<String>,
    pub figures: Vec<(&'static str, f64)>,
    /// The steps on one time line (from the first step's start to now): each step's stretches
    /// waiting for its lock and holding it, as (its figures, segments in µs).
    pub timeline: Vec<(String, Vec<(u64, Tone)>)>,
    /// What a learner can do at the cursor (`offers`), as the world's commands: run a
    /// statement, signal a session, roll a deploy.
    pub actions: Vec<ActionItem>,
}

/// How long a rolling deploy started from the panel takes.
pub const DEPLOY_OVER: SimDur = SimDur::secs(30);

/// Something a learner can do to the migration at the cursor (the world makes each a command).
#[derive(Clone, Debug, PartialEq)]
pub enum Offer {
    /// Run a statement in the migration's session.
    Ddl,
    /// `pg_cancel_backend(pid)`.
    Cancel(u32),
    /// `pg_terminate_backend(pid)`.
    Terminate(u32),
    /// A rolling deploy of a version over `DEPLOY_OVER`.
    Deploy(String),
    /// `pgroll complete` or (true) `pgroll rollback` of the migration in progress.
    Pgroll(bool),
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
            let row = |e: &Entry<Origin, Job>, granted: bool| vec![pid(e.owner).to_string(), who(e.owner), e.mode.pg_name().to_string(), if granted { "t" } else { "f" }.to_string(), secs(e.since)];
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
                vec![
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
                vec![st.sql.clone(), st.lock.sql_name().to_string(), st.work.clone(), st.attempts.to_string(), st.lock_wait.human(), st.held.human(), outcome]
            })
            .collect();
        let st = &self.settings;
        let off = |d: crate::time::SimDur| if d.0 == 0 { "0 (wait for ever)".to_string() } else { d.human() };
        let settings = format!("The migration role's settings: lock_timeout = {}, statement_timeout = {}, retries: {}", off(st.lock_timeout), off(st.statement_timeout), st.retry.name());
        let describe = self.schema.tables[0].describe();
        let (mut undefined, mut undefined_table) = (0, 0);
        let (mut null_reads, mut stale_reads) = (0.0, 0.0);
        let versions = self.apps.as_ref().map_or(Vec::new(), |a| {
            let running = a.running(now);
            let ms = |us: u64| format!("{:.1}", us as f64 / 1000.0);
            a.versions
                .iter()
                .zip(&a.stats)
                .zip(running)
                .map(|((v, st), n)| {
                    undefined += st.undefined_column;
                    undefined_table += st.undefined_table;
                    null_reads += st.null_reads;
                    stale_reads += st.stale_reads;
                    vec![
                        v.name.clone(),
                        n.to_string(),
                        st.ok.to_string(),
                        st.undefined_column.to_string(),
                        st.undefined_table.to_string(),
                        number(st.null_reads.round()),
                        number(st.stale_reads.round()),
                        st.other_failed.to_string(),
                        ms(st.latency.quantile(0.5)),
                        ms(st.latency.quantile(0.99)),
                    ]
                })
                .collect()
        });
        // The version every app instance runs now (1 for the first; 0 while a deploy is under
        // way), and the columns of accounts beyond id and balance that no running version names.
        let (final_version, unused) = self.apps.as_ref().map_or((0, 0), |a| {
            let running = a.running(now);
            let only = running.iter().position(|&n| n == a.instances).map_or(0, |i| i + 1);
            let used = |c: &str| running.iter().enumerate().any(|(v, &n)| n > 0 && (a.columns(v, false).iter().chain(a.columns(v, true)).any(|x| x == c)));
            let unused = self.schema.tables[0].columns.iter().filter(|c| c.name != "id" && c.name != "balance" && !used(&c.name)).count();
            (only, unused)
        });
        let overlay = self
            .steps
            .iter()
            .map(|st| {
                let rules = if st.rules.is_empty() { "(passes every rule)".to_string() } else { st.rules.join(", ") };
                vec![st.sql.clone(), rules, number(st.max_blocked as f64), number(st.failed_during as f64), format!("{:.1}", st.max_lag_bytes as f64 / 1e6)]
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
            ("undefined_column_errors", undefined as f64),
            ("undefined_table_errors", undefined_table as f64),
            ("null_reads", null_reads.round()),
            ("stale_reads", stale_reads.round()),
            ("final_version", final_version as f64),
            ("unused_columns", unused as f64),
            ("backfill_rows", self.counts.backfill_rows as f64),
            ("backfill_rows_per_s", self.backfill.as_ref().map_or(0.0, |b| b.rows_per_s(now).round())),
            ("backfill_wal_mb", self.backfill.as_ref().map_or(0.0, |b| (b.wal_bytes as f64 / 1e6).round())),
            ("row_lock_waits", self.counts.row_lock_waits as f64),
            ("max_replay_lag_mb", (self.max_lag_bytes as f64 / 1e6).round()),
        ];
        let backfill = self.backfill.as_ref().map(|b| {
            let how = if b.single() { "one transaction".to_string() } else { format!("batches of {} rows, {} apart", number(b.batch as f64), b.pause.human()) };
            let state = match (&b.error, b.ended) {
                (Some(e), _) => format!("stopped: ERROR:  {e}"),
                (None, Some(_)) => "done".to_string(),
                (None, None) => "running".to_string(),
            };
            format!(
                "Backfill {} = {} ({how}): {} of {} rows, {} rows/s, {:.1} MB of WAL; the standby's replay lag {:.1} MB now, {:.1} MB at most; {} application writes waited for its row locks; {state}",
                b.column,
                b.from,
                number(b.done as f64),
                number(b.total as f64),
                number(b.rows_per_s(now).round()),
                b.wal_bytes as f64 / 1e6,
                self.lag_bytes as f64 / 1e6,
                self.max_lag_bytes as f64 / 1e6,
                number(b.row_lock_waits as f64)
            )
        });
        MigrationReport {
            settings,
            queue,
            queue_more: more,
            activity,
            steps,
            waiting_now,
            overlay,
            backfill,
            versions,
            describe,
            pgroll: self.pgroll_text(),
            figures,
            timeline: self.timeline(now),
            actions: Vec::new(),
        }
    }

    /// The steps' time line: each step's stretches, with the one under way now, on the span
    /// from the first stretch's start to `now`; gaps are idle.
    fn timeline(&self, now: SimTime) -> Vec<(String, Vec<(u64, Tone)>)> {
        let open = |k: usize| {
            self.sessions.iter().find(|s| s.what == What::Step(k) && s.state != State::Gone).and_then(|s| match s.state {
                State::Waiting => Some((s.state_change, now, false)),
                _ => self.steps[k].granted_at.filter(|_| self.steps[k].ended.is_none() && self.steps[k].outcome == Outcome::Running).map(|g| (g, now, true)),
            })
        };
        let spans: Vec<Vec<(SimTime, SimTime, bool)>> = (0..self.steps.len().min(STEPS_DRAWN)).map(|k| self.steps[k].spans.iter().copied().chain(open(k)).collect()).collect();
        let Some(t0) = spans.iter().flatten().map(|s| s.0).min() else { return Vec::new() };
        spans
            .iter()
            .zip(&self.steps)
            .map(|(sp, st)| {
                let mut at = t0;
                let mut segs = Vec::new();
                for &(from, to, held) in sp {
                    segs.push((from.since(at).0, Tone::Idle));
                    segs.push((to.since(from).0, if held { Tone::Good } else { Tone::Bad }));
                    at = to;
                }
                segs.push((now.since(at).0, Tone::Idle));
                (format!("{} / {}", st.lock_wait.human(), st.held.human()), segs)
            })
            .collect()
    }

    /// What a learner can do now: run a statement; cancel or terminate each session alive (a
    /// long transaction, a step, the backfill); deploy each version not every app instance runs
    /// (a rollback is a deploy of the old one).
    pub(crate) fn offers(&self, now: SimTime) -> Vec<Offer> {
        let mut out = vec![Offer::Ddl];
        for s in self.sessions.iter().filter(|s| s.state != State::Gone) {
            out.extend([Offer::Cancel(s.pid), Offer::Terminate(s.pid)]);
        }
        if self.pgroll.as_ref().is_some_and(|p| p.active.is_some()) {
            out.extend([Offer::Pgroll(false), Offer::Pgroll(true)]);
        }
        if let Some(a) = &self.apps {
            let running = a.running(now);
            out.extend(a.versions.iter().zip(running).filter(|(_, n)| *n < a.instances).map(|(v, _)| Offer::Deploy(v.name.clone())));
        }
        out
    }

    /// The query text a session runs, as `pg_stat_activity.query` shows it.
    fn query(&self, s: usize, what: What) -> String {
        let table = self.schema.tables.get(self.sessions[s].table as usize).map_or("accounts", |t| t.name.as_str());
        match what {
            What::Step(k) => self.steps[k].sql.clone(),
            What::Long { idle: false, .. } => format!("SELECT count(*) FROM {table} a JOIN {table} b USING (id)"),
            What::Long { idle: true, .. } => format!("SELECT balance FROM {table} WHERE id = 1"),
            What::Backfill => self.backfill.as_ref().map_or(String::new(), |b| {
                let upto = if b.single() { "all rows".to_string() } else { format!("{} rows from {}", b.batch, b.done + 1) };
                format!("UPDATE {table} SET {} = {} ({upto})", b.column, b.from)
            }),
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
            rows: self.steps.to_vec(),
        };
        let mut queue: Vec<Vec<String>> = self.queue.clone();
        if self.queue_more > 0 {
            queue.push(vec![String::new(), format!("… and {} more", number(self.queue_more as f64)), String::new(), String::new(), String::new()]);
        }
        let mut lock_queue = vec![Block::Text { id: "lock-queue-now", text: format!("{} requests wait for a lock on accounts now", number(self.waiting_now as f64)) }];
        if !queue.is_empty() {
            lock_queue.push(Block::Table {
                id: "pg-locks",
                caption: "pg_locks on accounts: the holders, then the queue in order",
                columns: vec!["pid", "query", "mode", "granted", "for (s)"],
                rows: queue,
            });
        }
        if !self.activity.is_empty() {
            lock_queue.push(Block::Table {
                id: "pg-stat-activity",
                caption: "pg_stat_activity, with pg_blocking_pids(pid) and now() - xact_start",
                columns: vec!["pid", "state", "wait_event_type", "wait_event", "xact age (s)", "pg_blocking_pids", "query"],
                rows: self.activity.to_vec(),
            });
        }
        let blocks = vec![
            Block::Group {
                id: "migration",
                blocks: [
                    Some(Block::Text { id: "migration-settings", text: self.settings.clone() }),
                    (!self.steps.is_empty()).then_some(steps),
                    Some(Block::Text { id: "describe-table", text: self.describe_text() }),
                    self.pgroll.clone().map(|text| Block::Text { id: "pgroll", text }),
                ]
                .into_iter()
                .flatten()
                .collect(),
            },
            Block::Group { id: "lock-queue", blocks: lock_queue },
        ];
        let mut blocks = blocks;
        blocks.insert(
            1,
            Block::Table {
                id: "lint-overlay",
                caption: "squawk's rules for each step, and what it did to the users",
                columns: vec!["statement", "squawk", "blocked (most)", "failed", "standby lag (MB)"],
                rows: self.overlay.to_vec(),
            },
        );
        if let Some(b) = &self.backfill {
            blocks.insert(1, Block::Text { id: "backfill", text: b.clone() });
        }
        if !self.versions.is_empty() {
            blocks.insert(
                1,
                Block::Table {
                    id: "versions",
                    caption: "Application versions (server time)",
                    columns: vec!["version", "app instances", "answered", "ERROR 42703", "ERROR 42P01", "reads of NULL", "stale reads", "other failures", "p50 (ms)", "p99 (ms)"],
                    rows: self.versions.to_vec(),
                },
            );
        }
        if !self.timeline.is_empty() {
            let bars = Block::Bars {
                label: "The steps over time: red while a step waits for its lock, green while it holds it (lock wait / lock held at the right)".into(),
                bars: self.timeline.iter().zip(STEP_NAMES).map(|((text, segments), name)| Bar { name, segments: segments.clone(), text: text.clone() }).collect(),
            };
            blocks.insert(1, Block::Group { id: "steps-timeline", blocks: vec![bars] });
        }
        blocks.insert(1, Block::Actions { id: "migration-actions", label: "At the cursor", items: self.actions.clone() });
        PanelView { class: "migration", label: "migration", title: "Schema migration", blocks }
    }

    /// `\d accounts` as text: its columns on one line, then its index and constraint lines.
    fn describe_text(&self) -> String {
        let cols: Vec<String> = self.describe.0.iter().map(|c| c.iter().filter(|x| !x.is_empty()).cloned().collect::<Vec<_>>().join(" ")).collect();
        format!("\\d accounts: {}\n{}", cols.join(", "), self.describe.1.join("\n"))
    }

    /// Its part of the run's report: the steps as lines, and its figures.
    pub fn component_report(&self) -> ComponentReport {
        let mut lines: Vec<String> = self.steps.iter().map(|r| format!("{}: {} lock, {}; {} attempt(s), waited {}, held {}: {}", r[0], r[1], r[2], r[3], r[4], r[5], r[6])).collect();
        lines.extend(self.overlay.iter().map(|o| format!("lint: {}: {}; while it ran: {} requests blocked at most, {} failed, standby lag {} MB at most", o[0], o[1], o[2], o[3], o[4])));
        lines.extend(self.backfill.iter().cloned());
        lines.extend(self.versions.iter().map(|v| {
            format!(
                "version {} ({} instances at the end): {} answered, {} failed with 42703, {} with 42P01, {} read NULL, {} read a stale copy, {} failed otherwise; server time p50 {} ms, p99 {} ms",
                v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]
            )
        }));
        lines.extend(self.pgroll.iter().flat_map(|p| p.lines().map(str::to_string)));
        lines.push("\\d accounts".into());
        lines.extend(self.describe.1.iter().cloned());
        let summary = self.figures.iter().map(|(n, v)| format!("{n} {v}")).collect();
        ComponentReport { name: "migration", lines, summary }
    }
}

/// Each version's requests answered and failed per second (the failed in red).
pub fn charts(apps: &super::app::Apps, end_s: f64) -> Vec<crate::view::Chart> {
    use crate::view::{thinned, Chart, ChartLine};
    let s: Vec<&super::app::AppSample> = apps.series.iter().collect();
    let mut lines = Vec::new();
    for (i, v) in apps.versions.iter().enumerate().take(super::app::MAX_VERSIONS) {
        for (bad, what) in [(false, "answered"), (true, "failed")] {
            let points = thinned(s.len()).map(|k| (s[k].t_ms as f64 / 1000.0, Some(f64::from(if bad { s[k].versions[i].failed } else { s[k].versions[i].ok })))).collect();
            lines.push(ChartLine::new(&format!("{} {what}", v.name), bad, points));
        }
    }
    vec![Chart { id: "chart-versions", title: "Requests per second by application version", unit: "req/s", end_s, lines }]
}
