//! The pool panel of a pooling lesson: the users' requests, PgBouncer's `SHOW POOLS` and
//! `SHOW STATS`, Little's law from the run's figures, the errors the app saw, and the primary's
//! gauges (connections against max_connections, memory against RAM, run queue against cores).
use crate::d1;
use sim_session::model::pool::report::PoolReport;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PoolProps {
    pub view: Rc<PoolReport>,
}

#[component(PoolPanel)]
pub fn pool_panel(p: &PoolProps) -> Html {
    let v = &*p.view;
    let q = &v.pools;
    let l = &v.little;
    let n = |x: f64| sim_session::view::number(x.round());
    html! {
        <section class="pool" aria-label="connection pool">
            <h3>{ "Connection pool" }</h3>
            <p id="pool-requests">{ format!(
                "{} users: {} requests/s offered, {}/s served, {} failed; p50 {:.1} ms, p95 {:.1} ms; {} waiting at the app servers now",
                n(v.users as f64), n(v.offered_per_s), n(v.served_per_s), n(v.failed as f64), v.p50_ms, v.p95_ms, n(q.app_waiting as f64)
            ) }</p>
            { match v.pool_mode {
                Some(mode) => html! {
                    <div id="pool" data-view="pool">
                        <table id="show-pools" aria-label="SHOW POOLS">
                            <caption>{ "SHOW POOLS;" }</caption>
                            <thead><tr>
                                <th>{ "cl_active" }</th><th>{ "cl_waiting" }</th><th>{ "sv_active" }</th><th>{ "sv_idle" }</th><th>{ "sv_login" }</th><th>{ "maxwait" }</th><th>{ "maxwait_us" }</th><th>{ "pool_mode" }</th>
                            </tr></thead>
                            <tbody><tr>
                                <td data-col="cl_active">{ q.cl_active }</td>
                                <td data-col="cl_waiting">{ q.cl_waiting }</td>
                                <td data-col="sv_active">{ q.sv_active }</td>
                                <td data-col="sv_idle">{ q.sv_idle }</td>
                                <td data-col="sv_login">{ q.sv_login }</td>
                                <td>{ q.maxwait_us / 1_000_000 }</td>
                                <td>{ q.maxwait_us % 1_000_000 }</td>
                                <td data-col="pool_mode">{ mode }</td>
                            </tr></tbody>
                        </table>
                        <table id="show-stats" aria-label="SHOW STATS">
                            <caption>{ "SHOW STATS;" }</caption>
                            <thead><tr><th>{ "total_xact_count" }</th><th>{ "total_query_count" }</th><th>{ "avg_xact_count" }</th><th>{ "avg_xact_time" }</th><th>{ "avg_wait_time" }</th></tr></thead>
                            <tbody><tr>
                                <td>{ v.stats.total_xact_count }</td><td>{ v.stats.total_query_count }</td><td>{ v.stats.avg_xact_count }</td><td>{ v.stats.avg_xact_time_us }</td><td>{ v.stats.avg_wait_time_us }</td>
                            </tr></tbody>
                        </table>
                        { pool_bar(v) }
                    </div>
                },
                None => html! {
                    <p id="pool" data-view="pool">{ format!("No pooler: {} app servers × {} connections go straight to Postgres ({} open).", v.app_servers, v.app_pool_size, v.app_conns_open) }</p>
                },
            } }
            <p id="little">{ format!(
                "Little's law: L = {:.0} requests in the system on average; λ × W = {:.0}/s × {:.2} ms = {:.0}",
                l.l, l.lambda_per_s, l.w_ms, l.lambda_per_s * l.w_ms / 1000.0
            ) }</p>
            <figure id="pg-host" class="gauges" data-view="pg-host">
                <figcaption>{ "The primary's host" }</figcaption>
                { meter("connections", u64::from(v.host.backends), u64::from(v.host.max_connections), format!("{} of max_connections {}", v.host.backends, v.host.max_connections)) }
                { meter("memory", v.host.mem_mb, v.host.ram_mb, format!("{} of {} MB", v.host.mem_mb, v.host.ram_mb)) }
                { meter("run queue", u64::from(v.host.runq), u64::from(v.host.cores), format!("{} waiting for {} cores ({} in a transaction)", v.host.runq, v.host.cores, v.host.active)) }
            </figure>
            if !v.events.is_empty() {
                <ul id="pool-errors" aria-label="what the application saw">
                    { for v.events.iter().map(|e| html! { <li data-kind={e.kind.name()}><code>{ &e.message }</code>{ format!(" × {}", e.count) }</li> }) }
                </ul>
            }
        </section>
    }
}

/// A gauge of `value` against `limit`: red once over it.
fn meter(name: &'static str, value: u64, limit: u64, text: String) -> Html {
    let full = (limit * 2).max(value).max(1) as f64;
    let x = |v: u64| 90.0 + 270.0 * v as f64 / full;
    let over = value >= limit;
    html! {
        <svg class="gauge wide" viewBox="0 0 700 26" data-gauge={name} data-over={over.to_string()} role="img" aria-label={format!("{name}: {text}")}>
            <text x="4" y="17">{ name }</text>
            <rect class="track" x="90" y="6" width="270" height="12" />
            <rect class={classes!("fill", if over { "missed" } else { "met" })} x="90" y="6" width={d1(x(value) - 90.0)} height="12" />
            <line class="sla" x1={d1(x(limit))} x2={d1(x(limit))} y1="2" y2="22" />
            <text x="368" y="17">{ text }</text>
        </svg>
    }
}

/// PgBouncer's clients and server connections as one bar: active, waiting; server active, idle.
fn pool_bar(v: &PoolReport) -> Html {
    let q = &v.pools;
    let clients = (q.cl_active + q.cl_waiting).max(1) as f64;
    let servers = (q.sv_active + q.sv_idle + q.sv_login).max(1) as f64;
    let w = |n: u32, of: f64| 400.0 * f64::from(n) / of;
    html! {
        <svg class="pool-bar" viewBox="0 0 600 44" role="img" aria-label={format!("{} clients active, {} waiting; {} server connections active, {} idle", q.cl_active, q.cl_waiting, q.sv_active, q.sv_idle)}>
            <text x="4" y="15">{ "clients" }</text>
            <rect class="fill met" x="90" y="4" width={d1(w(q.cl_active, clients))} height="14" />
            <rect class="fill missed" x={d1(90.0 + w(q.cl_active, clients))} y="4" width={d1(w(q.cl_waiting, clients))} height="14" />
            <text x="4" y="37">{ "servers" }</text>
            <rect class="fill met" x="90" y="26" width={d1(w(q.sv_active, servers))} height="14" />
            <rect class="track" x={d1(90.0 + w(q.sv_active, servers))} y="26" width={d1(w(q.sv_idle + q.sv_login, servers))} height="14" />
            <text x="500" y="15">{ format!("{} / {}", q.cl_active, q.cl_waiting) }</text>
            <text x="500" y="37">{ format!("{} / {}", q.sv_active, q.sv_idle) }</text>
        </svg>
    }
}
