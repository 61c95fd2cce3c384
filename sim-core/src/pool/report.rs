//! What the pooling run shows: PgBouncer's `SHOW POOLS` and `SHOW STATS`, the primary's
//! connection and memory gauges, the users' view, and Little's law from the run's own figures.
use super::{Pool, PoolEvent, PoolSample};
use crate::base::{FigureDef, Unit};
use crate::time::SimTime;
use serde::Serialize;

/// `SHOW STATS` for the one pool (totals since the start; averages per second or per transaction).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ShowStats {
    pub total_xact_count: u64,
    pub total_query_count: u64,
    pub total_xact_time_us: u64,
    pub total_wait_time_us: u64,
    pub avg_xact_count: u64,
    pub avg_xact_time_us: u64,
    pub avg_wait_time_us: u64,
}

/// The primary's host: backends against `max_connections`, cores and memory.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HostGauges {
    pub backends: u32,
    pub max_connections: u32,
    pub max_backends: u32,
    pub active: u32,
    pub runq: u32,
    pub cores: u32,
    pub mem_mb: u64,
    pub max_mem_mb: u64,
    pub ram_mb: u64,
}

/// How often something happened, and the message the application saw.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventCount {
    pub kind: PoolEvent,
    pub count: u64,
    pub message: String,
}

/// L = λW: requests in the system on average, against the rate they leave it (answered or failed)
/// × their mean time in it (a failed request's until it failed).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Little {
    pub l: f64,
    pub lambda_per_s: f64,
    pub w_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolReport {
    /// `None`: the app servers connect straight to Postgres.
    pub pool_mode: Option<&'static str>,
    pub default_pool_size: Option<u32>,
    pub max_client_conn: Option<u32>,
    pub users: u64,
    pub app_servers: u32,
    pub app_pool_size: u32,
    pub app_conns_open: u32,
    /// `SHOW POOLS` (and the app tier's queue) now.
    pub pools: PoolSample,
    pub stats: ShowStats,
    pub host: HostGauges,
    pub offered: u64,
    pub served: u64,
    pub failed: u64,
    /// Requests offered and not yet answered or failed: offered = served + failed + in flight.
    pub in_flight: u64,
    pub offered_per_s: f64,
    pub served_per_s: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_cl_waiting: u32,
    pub max_app_waiting: u64,
    pub events: Vec<EventCount>,
    pub little: Little,
}

/// The figures of a pooling run a lesson's `[expect.metrics]` may bound, by name: the pool
/// registers its own (the lesson format lists every name; `figure` reads these).
pub const FIGURES: &[FigureDef] = &[
    FigureDef { name: "requests_offered_per_s", unit: Unit::PerSecond },
    FigureDef { name: "requests_served_per_s", unit: Unit::PerSecond },
    FigureDef { name: "request_p95_ms", unit: Unit::Ms },
    FigureDef { name: "request_p99_ms", unit: Unit::Ms },
    FigureDef { name: "requests_failed", unit: Unit::Count },
    FigureDef { name: "too_many_clients", unit: Unit::Count },
    FigureDef { name: "connection_timeouts", unit: Unit::Count },
    FigureDef { name: "query_wait_timeouts", unit: Unit::Count },
    FigureDef { name: "server_conns_lost", unit: Unit::Count },
    FigureDef { name: "statement_mode_errors", unit: Unit::Count },
    FigureDef { name: "prepared_statement_errors", unit: Unit::Count },
    FigureDef { name: "set_leaks", unit: Unit::Count },
    FigureDef { name: "advisory_locks_orphaned", unit: Unit::Count },
    FigureDef { name: "max_backends", unit: Unit::Count },
    FigureDef { name: "max_memory_pct", unit: Unit::Percent },
    FigureDef { name: "max_cl_waiting", unit: Unit::Count },
];

impl PoolReport {
    /// The pooling run as an operator reads it: the users' view, PgBouncer's `SHOW POOLS` and
    /// `SHOW STATS`, the primary's gauges, Little's law, and each error with its message.
    pub fn lines(&self) -> Vec<String> {
        let p = self;
        let mut out = Vec::new();
        out.push(format!(
            "requests: {:.0}/s offered by {} users, {:.0}/s served, {} failed; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; up to {} waiting at the app servers",
            p.offered_per_s, p.users, p.served_per_s, p.failed, p.p50_ms, p.p95_ms, p.p99_ms, p.max_app_waiting
        ));
        let q = &p.pools;
        match p.pool_mode {
            Some(mode) => {
                out.push("SHOW POOLS;\n database | user | cl_active | cl_waiting | sv_active | sv_idle | sv_login | maxwait | maxwait_us | pool_mode".to_string());
                out.push(format!(
                    " app      | app  | {:>9} | {:>10} | {:>9} | {:>7} | {:>8} | {:>7} | {:>10} | {mode}",
                    q.cl_active,
                    q.cl_waiting,
                    q.sv_active,
                    q.sv_idle,
                    q.sv_login,
                    q.maxwait_us / 1_000_000,
                    q.maxwait_us % 1_000_000
                ));
                let st = &p.stats;
                out.push("SHOW STATS;\n database | total_xact_count | total_query_count | total_wait_time | avg_xact_count | avg_xact_time | avg_wait_time".to_string());
                out.push(format!(
                    " app      | {:>16} | {:>17} | {:>15} | {:>14} | {:>13} | {:>13}",
                    st.total_xact_count, st.total_query_count, st.total_wait_time_us, st.avg_xact_count, st.avg_xact_time_us, st.avg_wait_time_us
                ));
            }
            None => out.push(format!("no pooler: {} app servers × {} connections straight to Postgres ({} open)", p.app_servers, p.app_pool_size, p.app_conns_open)),
        }
        let h = &p.host;
        out.push(format!(
            "primary host: {} backends of max_connections {} (peak {}), {} in a transaction, run queue {} on {} cores; memory {} of {} MB (peak {} MB)",
            h.backends, h.max_connections, h.max_backends, h.active, h.runq, h.cores, h.mem_mb, h.ram_mb, h.max_mem_mb
        ));
        let l = &p.little;
        out.push(format!("Little's law: L = {:.0} requests in the system; λ × W = {:.0}/s × {:.1} ms = {:.0}", l.l, l.lambda_per_s, l.w_ms, l.lambda_per_s * l.w_ms / 1000.0));
        for e in &p.events {
            out.push(format!("{:>9} × {}", e.count, e.message));
        }
        out
    }

    /// The figure named `name` (one of [`FIGURES`]); `None` for a name that is not the pool's.
    pub fn figure(&self, name: &str) -> Option<f64> {
        use PoolEvent as E;
        Some(match name {
            "requests_offered_per_s" => self.offered_per_s,
            "requests_served_per_s" => self.served_per_s,
            "request_p95_ms" => self.p95_ms,
            "request_p99_ms" => self.p99_ms,
            "requests_failed" => self.failed as f64,
            "too_many_clients" => self.count(E::TooManyClients) as f64,
            "connection_timeouts" => self.count(E::ConnectionTimeout) as f64,
            "query_wait_timeouts" => self.count(E::QueryWaitTimeout) as f64,
            "server_conns_lost" => self.count(E::ServerGone) as f64,
            "statement_mode_errors" => self.count(E::StatementMode) as f64,
            "prepared_statement_errors" => (self.count(E::SqlPrepareMissing) + self.count(E::ProtocolPrepareMissing)) as f64,
            "set_leaks" => self.count(E::SetLeaked) as f64,
            "advisory_locks_orphaned" => self.count(E::AdvisoryLockOrphaned) as f64,
            "max_backends" => self.host.max_backends as f64,
            "max_memory_pct" => self.host.max_mem_mb as f64 * 100.0 / self.host.ram_mb.max(1) as f64,
            "max_cl_waiting" => self.max_cl_waiting as f64,
            _ => return None,
        })
    }

    pub fn count(&self, e: PoolEvent) -> u64 {
        self.events.iter().find(|x| x.kind == e).map_or(0, |x| x.count)
    }
}

impl Pool {
    pub fn report(&self, now: SimTime, hosts: &[crate::pipeline::Host], write: Option<u16>) -> PoolReport {
        let st = &self.stats;
        let secs = (now.0 as f64 / 1e6).max(1e-6);
        let pools = self.sample(now.0, hosts, write);
        let b = self.bouncer_cfg();
        let served_per_s = st.served as f64 / secs;
        let ms = |q: f64| st.latency.quantile(q) as f64 / 1000.0;
        PoolReport {
            pool_mode: b.map(|b| b.pool_mode.name()),
            default_pool_size: b.map(|b| b.default_pool_size),
            max_client_conn: b.map(|b| b.max_client_conn),
            users: self.cfg.users,
            app_servers: self.cfg.app_servers,
            app_pool_size: self.cfg.app_pool_size,
            app_conns_open: self.conns_open(),
            pools,
            stats: ShowStats {
                total_xact_count: st.served,
                total_query_count: st.query_count,
                total_xact_time_us: st.xact_time_us,
                total_wait_time_us: st.wait_time_us,
                avg_xact_count: served_per_s as u64,
                avg_xact_time_us: st.xact_time_us / st.served.max(1),
                avg_wait_time_us: st.wait_time_us / st.waits.max(1),
            },
            host: HostGauges {
                backends: pools.backends,
                max_connections: self.max_connections,
                max_backends: st.max_backends,
                active: pools.active,
                runq: pools.runq,
                cores: self.cfg.cores,
                mem_mb: pools.mem_mb,
                max_mem_mb: hosts.iter().map(|h| h.max_mem_mb).max().unwrap_or(0),
                ram_mb: self.cfg.ram_gb * 1024,
            },
            offered: st.offered,
            served: st.served,
            failed: st.failed,
            in_flight: self.apps.iter().map(|a| a.inflight).sum(),
            offered_per_s: st.offered as f64 / secs,
            served_per_s,
            p50_ms: ms(0.5),
            p95_ms: ms(0.95),
            p99_ms: ms(0.99),
            max_cl_waiting: st.max_cl_waiting,
            max_app_waiting: st.max_app_waiting,
            events: PoolEvent::ALL.iter().filter(|e| st.events[**e as usize] > 0).map(|&e| EventCount { kind: e, count: st.events[e as usize], message: e.message(&self.cfg) }).collect(),
            little: Little {
                l: st.in_system_sum as f64 / st.samples.max(1) as f64,
                lambda_per_s: (st.served + st.failed) as f64 / secs,
                // Every request that left the system, answered or failed, with its time in it.
                w_ms: (st.xact_time_us + st.failed_time_us) as f64 / (st.served + st.failed).max(1) as f64 / 1000.0,
            },
        }
    }
}
