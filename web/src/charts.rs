//! SVG charts with axes and units: throughput, commit latency, lost commits and replication lag.
use crate::{d0, d1};
use sim_core::chunklog::ChunkLog;
use sim_core::metrics::SamplePoint;
use yew::prelude::*;

const W: f64 = 520.0;
const H: f64 = 140.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 22.0;
/// At most this many points per line: a one-hour run is thinned, never truncated.
const MAX_POINTS: usize = 400;

pub type Series = ChunkLog<SamplePoint, 64>;
type Line = (String, Vec<(f64, f64)>);

/// Every `step`-th sample (and the last), with its predecessor for per-second rates.
fn thinned(series: &Series) -> impl Iterator<Item = (&SamplePoint, &SamplePoint)> + '_ {
    let step = series.len().div_ceil(MAX_POINTS).max(1);
    let n = series.len();
    (1..n).filter(move |i| i % step == 0 || i + 1 == n).filter_map(move |i| Some((series.get(i - step.min(i))?, series.get(i)?)))
}

fn secs(p: &SamplePoint) -> f64 {
    p.t_ms as f64 / 1000.0
}

/// One polyline per series over the run's time axis (seconds). The series at the indexes in
/// `bad` (failures, losses) are drawn in the warning colour.
fn chart(id: &str, title: &str, unit: &str, end_s: f64, lines: Vec<Line>, bad: &[usize]) -> Html {
    let max_y = lines.iter().flat_map(|l| l.1.iter().map(|p| p.1)).fold(0.0f64, f64::max).max(1.0);
    let x = |t: f64| LEFT + (W - LEFT - 8.0) * t / end_s.max(1.0);
    let y = |v: f64| (H - BOTTOM) - (H - BOTTOM - 8.0) * v / max_y;
    let palette = ["var(--primary)", "var(--standby)", "#c77d0a", "#9b59b6", "#16a085"];
    let colors: Vec<&str> = (0..lines.len()).map(|i| if bad.contains(&i) { "var(--bad)" } else { palette[i % palette.len()] }).collect();
    html! {
        <figure class="chart">
            <figcaption>{ format!("{title} ({unit})") }</figcaption>
            <svg id={id.to_string()} viewBox={format!("0 0 {W} {H}")} role="img" aria-label={title.to_string()}>
                <line class="axis" x1={LEFT.to_string()} y1={(H - BOTTOM).to_string()} x2={W.to_string()} y2={(H - BOTTOM).to_string()} />
                <line class="axis" x1={LEFT.to_string()} y1="4" x2={LEFT.to_string()} y2={(H - BOTTOM).to_string()} />
                <text class="tick" x="4" y="14">{ d0(max_y) }</text>
                <text class="tick" x="4" y={(H - BOTTOM).to_string()}>{ "0" }</text>
                <text class="tick" x={LEFT.to_string()} y={(H - 4.0).to_string()}>{ "0 s" }</text>
                <text class="tick" x={(W - 40.0).to_string()} y={(H - 4.0).to_string()}>{ format!("{} s", d0(end_s)) }</text>
                { for lines.iter().enumerate().map(|(i, (name, pts))| {
                    let d: String = pts.iter().map(|(t, v)| format!("{},{} ", d1(x(*t)), d1(y(*v)))).collect();
                    html! { <polyline points={d} fill="none" stroke={colors[i]} stroke-width="1.5"><title>{ name.clone() }</title></polyline> }
                }) }
            </svg>
            <p class="legend">{ for lines.iter().enumerate().map(|(i, (name, _))| html! { <span style={format!("color:{}", colors[i])}>{ format!("■ {name} ") }</span> }) }</p>
        </figure>
    }
}

/// A line of per-second rates of a cumulative counter.
fn rate(series: &Series, f: fn(&SamplePoint) -> u64) -> Vec<(f64, f64)> {
    thinned(series)
        .map(|(a, b)| {
            let dt = (secs(b) - secs(a)).max(1.0);
            (secs(b), f(b).saturating_sub(f(a)) as f64 / dt)
        })
        .collect()
}

/// A line of a sampled value.
fn value(series: &Series, f: impl Fn(&SamplePoint) -> Option<f64>) -> Vec<(f64, f64)> {
    thinned(series).filter_map(|(_, b)| Some((secs(b), f(b)?))).collect()
}

/// Commits per second (acknowledged and failed), from the per-second samples.
pub fn throughput(series: &Series, end_s: f64) -> Html {
    let lines = vec![("acknowledged".into(), rate(series, |p| p.commits_acked)), ("failed".into(), rate(series, |p| p.commits_failed))];
    chart("chart-throughput", "Commits per second", "tx/s", end_s, lines, &[1])
}

/// Commit latency percentiles per second, in milliseconds.
pub fn latency(series: &Series, end_s: f64) -> Html {
    let ms = |v: u64| (v > 0).then_some(v as f64 / 1000.0);
    let lines = vec![("p50".into(), value(series, |p| ms(p.p50_us))), ("p99".into(), value(series, |p| ms(p.p99_us)))];
    chart("chart-latency", "Commit latency", "ms", end_s, lines, &[])
}

/// Acknowledged commits the current leader does not have.
pub fn lost(series: &Series, end_s: f64) -> Html {
    let lines = vec![("lost commits".into(), value(series, |p| Some(p.commits_lost as f64)))];
    chart("chart-lost", "Acknowledged commits lost", "commits", end_s, lines, &[0])
}

/// Replay lag per standby in milliseconds.
pub fn lag(series: &Series, names: &[String], end_s: f64) -> Html {
    let lines = names.iter().enumerate().map(|(i, n)| (n.clone(), value(series, |p| p.lag_ms.get(i).filter(|v| **v >= 0).map(|v| *v as f64)))).filter(|l: &Line| !l.1.is_empty()).collect();
    chart("chart-lag", "Replay lag per standby", "ms", end_s, lines, &[])
}
