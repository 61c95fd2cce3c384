//! What the pool shows of itself, as the plain data of `base::view`: its panel (the users'
//! requests, `SHOW POOLS` and `SHOW STATS`, clients and server connections as bars, Little's law,
//! the primary's gauges, the errors the application saw), its boxes in the cluster diagram (the
//! users and app servers, PgBouncer below them, the primary's backends and run queue), its charts
//! in place of the commits' and its figures for the golden summaries.
use super::report::PoolReport;
use super::PoolSample;
use crate::chunklog::ChunkLog;
use crate::view::{number, thinned, Bar, Block, Chart, ChartLine, ComponentReport, Element, EventItem, Gauge, PanelView, TierBox, TierView, Tone};

/// The page elements of the pool a lesson's `watch` items may point at.
pub const ELEMENTS: &[Element] = &[
    Element { name: "pool", what: "the connection pool: users' requests, PgBouncer's SHOW POOLS, server connections", chart: false },
    Element { name: "chart-pool", what: "requests offered, served and failed per second, queue length and wait", chart: true },
    Element { name: "pg-host", what: "the primary's gauges: connections against max_connections, memory, CPU run queue", chart: false },
];

impl PoolReport {
    /// The pool in the run's report: its lines as an operator reads them, and its figures.
    pub fn component_report(&self) -> ComponentReport {
        ComponentReport { name: "pool", lines: self.lines(), summary: self.summary() }
    }

    /// The pool's panel now.
    pub fn panel(&self) -> PanelView {
        let (v, q, l, h) = (self, &self.pools, &self.little, &self.host);
        let n = |x: f64| number(x.round());
        let mut blocks = vec![Block::Text {
            id: "pool-requests",
            text: format!(
                "{} users: {} requests/s offered, {}/s served, {} failed; p50 {:.1} ms, p95 {:.1} ms; {} waiting at the app servers now",
                n(v.users as f64),
                n(v.offered_per_s),
                n(v.served_per_s),
                n(v.failed as f64),
                v.p50_ms,
                v.p95_ms,
                n(q.app_waiting as f64)
            ),
        }];
        blocks.push(match v.pool_mode {
            Some(mode) => Block::Group {
                id: "pool",
                blocks: vec![
                    Block::Table {
                        id: "show-pools",
                        caption: "SHOW POOLS;",
                        columns: vec!["cl_active", "cl_waiting", "sv_active", "sv_idle", "sv_login", "maxwait", "maxwait_us", "pool_mode"],
                        rows: vec![vec![
                            q.cl_active.to_string(),
                            q.cl_waiting.to_string(),
                            q.sv_active.to_string(),
                            q.sv_idle.to_string(),
                            q.sv_login.to_string(),
                            (q.maxwait_us / 1_000_000).to_string(),
                            (q.maxwait_us % 1_000_000).to_string(),
                            mode.to_string(),
                        ]],
                    },
                    Block::Table {
                        id: "show-stats",
                        caption: "SHOW STATS;",
                        columns: vec!["total_xact_count", "total_query_count", "avg_xact_count", "avg_xact_time", "avg_wait_time"],
                        rows: vec![[v.stats.total_xact_count, v.stats.total_query_count, v.stats.avg_xact_count, v.stats.avg_xact_time_us, v.stats.avg_wait_time_us].map(|x| x.to_string()).to_vec()],
                    },
                    Block::Bars {
                        label: format!("{} clients active, {} waiting; {} server connections active, {} idle", q.cl_active, q.cl_waiting, q.sv_active, q.sv_idle),
                        bars: vec![
                            Bar { name: "clients", segments: vec![(q.cl_active.into(), Tone::Good), (q.cl_waiting.into(), Tone::Bad)], text: format!("{} / {}", q.cl_active, q.cl_waiting) },
                            Bar { name: "servers", segments: vec![(q.sv_active.into(), Tone::Good), ((q.sv_idle + q.sv_login).into(), Tone::Idle)], text: format!("{} / {}", q.sv_active, q.sv_idle) },
                        ],
                    },
                ],
            },
            None => Block::Text { id: "pool", text: format!("No pooler: {} app servers × {} connections go straight to Postgres ({} open).", v.app_servers, v.app_pool_size, v.app_conns_open) },
        });
        blocks.push(Block::Text {
            id: "little",
            text: format!("Little's law: L = {:.0} requests in the system on average; λ × W = {:.0}/s × {:.2} ms = {:.0}", l.l, l.lambda_per_s, l.w_ms, l.lambda_per_s * l.w_ms / 1000.0),
        });
        blocks.push(Block::Gauges {
            id: "pg-host",
            caption: "The primary's host",
            gauges: vec![
                Gauge { name: "connections", value: h.backends.into(), limit: h.max_connections.into(), text: format!("{} of max_connections {}", h.backends, h.max_connections) },
                Gauge { name: "memory", value: h.mem_mb, limit: h.ram_mb, text: format!("{} of {} MB", h.mem_mb, h.ram_mb) },
                Gauge { name: "run queue", value: h.runq.into(), limit: h.cores.into(), text: format!("{} waiting for {} cores ({} in a transaction)", h.runq, h.cores, h.active) },
            ],
        });
        let items = v.events.iter().map(|e| EventItem { kind: e.kind.name(), message: e.message.clone(), count: e.count }).collect();
        blocks.push(Block::Events { id: "pool-errors", label: "what the application saw", items });
        PanelView { class: "pool", label: "connection pool", title: "Connection pool", blocks }
    }

    /// The users and their app servers in the clients' place, PgBouncer (as `SHOW POOLS` has
    /// it) below them, and the primary's backends and run queue (what pooling is about).
    /// `unavailable_ms`: how long writes have been unavailable behind it (a failover), which the
    /// app servers' box shows in place of their queue.
    pub fn tier(&self, unavailable_ms: Option<u64>) -> TierView {
        let n = |v: f64| number(v.round());
        let q = &self.pools;
        // The app servers' own queue, or the time without writes during a failover behind the pool.
        let served = match unavailable_ms {
            Some(ms) => format!("{} req/s; writes unavailable {:.1} s", n(self.served_per_s), ms as f64 / 1000.0),
            None => format!("{} req/s, {} waiting", n(self.served_per_s), q.app_waiting),
        };
        let first = TierBox { infra: "clients", name: format!("{} users", n(self.users as f64)), details: vec![format!("{} app servers, {} conns", self.app_servers, self.app_conns_open), served] };
        let below = self.pool_mode.map(|mode| TierBox {
            infra: "pgbouncer",
            name: format!("PgBouncer, {mode} pooling"),
            details: vec![format!("cl: {} active, {} waiting", q.cl_active, q.cl_waiting), format!("sv: {} active + {} idle of {}", q.sv_active, q.sv_idle, self.default_pool_size.unwrap_or(0))],
        });
        TierView { first, below, primary: vec![format!("{} backends", q.backends), format!("run queue {}", q.runq)] }
    }

    /// The pool's own figures, so a change in the pool shows as a change in a golden summary.
    fn summary(&self) -> Vec<String> {
        let (p, q, h) = (self, &self.pools, &self.host);
        let mut out = vec![
            format!("pool offered {} served {} failed {} p95_ms {:.3} max_cl_waiting {} max_app_waiting {}", p.offered, p.served, p.failed, p.p95_ms, p.max_cl_waiting, p.max_app_waiting),
            format!("pool now cl_active {} cl_waiting {} sv_active {} sv_idle {} total_xact_count {}", q.cl_active, q.cl_waiting, q.sv_active, q.sv_idle, p.stats.total_xact_count),
            format!("host max_backends {} of max_connections {} max_mem_mb {} of ram_mb {}", h.max_backends, h.max_connections, h.max_mem_mb, h.ram_mb),
        ];
        out.extend(p.events.iter().filter(|e| e.count > 0).map(|e| format!("pool event {:?} {}", e.kind, e.count)));
        out
    }
}

/// A pooling lesson's charts, which replace the commits': requests offered, served and failed
/// per second; the queues at PgBouncer and at the app servers; the wait and the latency; the
/// backends on the primary.
pub fn charts(series: &ChunkLog<PoolSample, 64>, end_s: f64) -> Vec<Chart> {
    let picked: Vec<&PoolSample> = thinned(series.len()).filter_map(|i| series.get(i)).collect();
    let pts = |f: &dyn Fn(&PoolSample) -> f64| -> Vec<(f64, Option<f64>)> { picked.iter().map(|p| (p.t_ms as f64 / 1000.0, Some(f(p)))).collect() };
    let ms = |v: u64| v as f64 / 1000.0;
    let line = ChartLine::new;
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
