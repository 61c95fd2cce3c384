//! The charts' data: per-second rates and values from the run's samples, thinned to at most
//! `MAX_POINTS` per line (a one-hour run is thinned, never truncated).
use sim_core::chunklog::ChunkLog;
use sim_core::metrics::SamplePoint;
use sim_core::world::World;

use sim_core::view::{thin_step, thinned as picked};
pub use sim_core::view::{Chart, ChartLine, MAX_POINTS};

type Series = ChunkLog<SamplePoint, 64>;

/// Every `step`-th sample (and the last), with its predecessor for per-second rates.
fn thinned(series: &Series) -> impl Iterator<Item = (&SamplePoint, &SamplePoint)> + '_ {
    let step = thin_step(series.len());
    picked(series.len()).filter(|&i| i > 0).filter_map(move |i| Some((series.get(i - step.min(i))?, series.get(i)?)))
}

fn secs(p: &SamplePoint) -> f64 {
    p.t_ms as f64 / 1000.0
}

/// Per-second rates of a cumulative counter.
fn rate(series: &Series, f: fn(&SamplePoint) -> u64) -> Vec<(f64, Option<f64>)> {
    thinned(series)
        .map(|(a, b)| {
            let dt = (secs(b) - secs(a)).max(1.0);
            (secs(b), Some(f(b).saturating_sub(f(a)) as f64 / dt))
        })
        .collect()
}

/// A sampled value, `None` where a sample has none. A thinned point stands for the samples
/// since the one before it: if any of them had no value, so does the point, so a gap of one
/// second in an hour's run still breaks the line.
fn value(series: &Series, f: impl Fn(&SamplePoint) -> Option<f64>) -> Vec<(f64, Option<f64>)> {
    let (step, n) = (thin_step(series.len()), series.len());
    let mut gap = false;
    let mut out = Vec::new();
    for i in 0..n {
        let Some(p) = series.get(i) else { continue };
        let v = f(p);
        gap |= v.is_none();
        if i % step == 0 || i + 1 == n {
            out.push((secs(p), if gap { None } else { v }));
            gap = false;
        }
    }
    out
}

fn line(name: &str, bad: bool, points: Vec<(f64, Option<f64>)>) -> ChartLine {
    ChartLine::new(name, bad, points)
}

/// Commits per second, commit latency, replay lag per standby and acknowledged commits lost
/// (or a component's charts in their place: a pooling lesson's requests, queues, waits and backends).
pub fn all(w: &World) -> Vec<Chart> {
    let (replace, components) = w.component_charts();
    if replace {
        return components;
    }
    let s = w.series();
    let end_s = w.end().as_ms() as f64 / 1000.0;
    let ms = |v: u64| (v > 0).then_some(v as f64 / 1000.0);
    // A node that never streamed as a standby has no line; one that streamed for a while has
    // gaps wherever it did not (down, cut off from its primary, or the primary itself).
    let per_standby = |f: fn(&SamplePoint) -> &Vec<i64>, scale: f64| -> Vec<ChartLine> {
        w.nodes()
            .iter()
            .enumerate()
            .map(|(i, n)| line(&n.name, false, value(s, |p| f(p).get(i).filter(|v| **v >= 0).map(|v| *v as f64 / scale))))
            .filter(|l| l.points.iter().any(|p| p.1.is_some()))
            .collect()
    };
    let lag = per_standby(|p| &p.lag_ms, 1.0);
    let lag_bytes = per_standby(|p| &p.lag_bytes, 1024.0);
    let mut charts = vec![
        Chart {
            id: "chart-throughput",
            title: "Commits per second",
            unit: "tx/s",
            end_s,
            lines: vec![line("acknowledged", false, rate(s, |p| p.commits_acked)), line("failed", true, rate(s, |p| p.commits_failed))],
        },
        Chart { id: "chart-latency", title: "Commit latency", unit: "ms", end_s, lines: vec![line("p50", false, value(s, |p| ms(p.p50_us))), line("p99", false, value(s, |p| ms(p.p99_us)))] },
        Chart { id: "chart-lag", title: "replay_lag per standby", unit: "ms", end_s, lines: lag },
        Chart { id: "chart-lag-bytes", title: "WAL not yet replayed per standby: the primary's flush LSN − replay_lsn", unit: "kB", end_s, lines: lag_bytes },
        Chart { id: "chart-lost", title: "Acknowledged commits lost", unit: "commits", end_s, lines: vec![line("lost commits", true, value(s, |p| Some(p.commits_lost as f64)))] },
    ];
    charts.extend(components);
    charts
}
