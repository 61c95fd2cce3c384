//! A pooling lesson's part of the views (the `pool` component's): the app tier and PgBouncer in
//! the cluster diagram, its charts in place of the commits', and the pool panel's report.
use super::charts::{line, Chart, MAX_POINTS};
use crate::session::Session;
use sim_core::chunklog::ChunkLog;
use sim_core::world::World;

/// The app tier and PgBouncer of a pooling lesson, now.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolTier {
    pub users: u64,
    pub app_servers: u32,
    /// The app servers' connections open (to PgBouncer, or straight to the primary).
    pub app_conns: u32,
    /// Requests waiting at the app servers for one of their pooled connections.
    pub app_waiting: u64,
    /// Requests served per second, over the run so far.
    pub served_per_s: f64,
    /// PgBouncer: its pool mode and `SHOW POOLS` now (`cl_active`, `cl_waiting`, `sv_active`,
    /// `sv_idle`), with `default_pool_size`.
    pub bouncer: Option<(&'static str, [u32; 4], u32)>,
    /// Backends on the primary, and its CPU run queue.
    pub backends: u32,
    pub runq: u32,
}

/// The diagram's app tier and PgBouncer, when the lesson has `[pooling]`.
pub(super) fn tier(w: &World) -> Option<PoolTier> {
    w.pool_report().map(|p| PoolTier {
        users: p.users,
        app_servers: p.app_servers,
        app_conns: p.app_conns_open,
        app_waiting: p.pools.app_waiting,
        served_per_s: p.served_per_s,
        bouncer: p.pool_mode.map(|mode| (mode, [p.pools.cl_active, p.pools.cl_waiting, p.pools.sv_active, p.pools.sv_idle], p.default_pool_size.unwrap_or(0))),
        backends: p.pools.backends,
        runq: p.pools.runq,
    })
}

/// The charts of a pooling lesson, which replace the commits' (`None` without `[pooling]`).
pub(super) fn charts(w: &World) -> Option<Vec<Chart>> {
    w.pool_report()?;
    Some(pool_charts(w, w.end().as_ms() as f64 / 1000.0))
}

/// A pooling lesson's charts: requests offered, served and failed per second; the queues at
/// PgBouncer and at the app servers; the wait and the latency.
fn pool_charts(w: &World, end_s: f64) -> Vec<Chart> {
    let empty = ChunkLog::default();
    let series = w.pool_series().unwrap_or(&empty);
    let step = series.len().div_ceil(MAX_POINTS).max(1);
    let n = series.len();
    let pts = |f: &dyn Fn(&sim_core::pool::PoolSample) -> f64| -> Vec<(f64, Option<f64>)> {
        (0..n).filter(|i| i % step == 0 || i + 1 == n).filter_map(|i| series.get(i)).map(|p| (p.t_ms as f64 / 1000.0, Some(f(p)))).collect()
    };
    let ms = |v: u64| v as f64 / 1000.0;
    vec![
        Chart {
            id: "chart-pool",
            title: "Requests per second",
            unit: "req/s",
            end_s,
            lines: vec![line("offered", false, pts(&|p| p.offered as f64)), line("served", false, pts(&|p| p.served as f64)), line("failed", true, pts(&|p| p.failed as f64))],
        },
        Chart {
            id: "chart-pool-queue",
            title: "Waiting for a connection",
            unit: "requests",
            end_s,
            lines: vec![line("cl_waiting (PgBouncer)", false, pts(&|p| f64::from(p.cl_waiting))), line("at the app servers", true, pts(&|p| p.app_waiting as f64))],
        },
        Chart {
            id: "chart-pool-wait",
            title: "Wait and latency",
            unit: "ms",
            end_s,
            lines: vec![line("maxwait", false, pts(&|p| ms(p.maxwait_us))), line("p50", false, pts(&|p| ms(p.p50_us))), line("p95", true, pts(&|p| ms(p.p95_us)))],
        },
        Chart {
            id: "chart-pool-backends",
            title: "Backends on the primary",
            unit: "backends",
            end_s,
            lines: vec![
                line("connected", false, pts(&|p| f64::from(p.backends))),
                line("in a transaction", false, pts(&|p| f64::from(p.active))),
                line("run queue", true, pts(&|p| f64::from(p.runq))),
            ],
        },
    ]
}

impl Session {
    /// A pooling lesson's pool and host (`SHOW POOLS`, `SHOW STATS`, the gauges), or `None`.
    pub fn pool_view(&self) -> Option<sim_core::pool::report::PoolReport> {
        self.world.pool_report()
    }
}
