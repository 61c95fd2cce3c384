//! SVG charts with axes and units: throughput, replication lag, and the scrubber's event marks.
use sim_core::metrics::SamplePoint;
use yew::prelude::*;

const W: f64 = 520.0;
const H: f64 = 140.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 22.0;

/// One polyline per series over the run's time axis (seconds).
fn chart(id: &str, title: &str, unit: &str, end_s: f64, lines: Vec<(String, Vec<(f64, f64)>)>) -> Html {
    let max_y = lines.iter().flat_map(|l| l.1.iter().map(|p| p.1)).fold(0.0f64, f64::max).max(1.0);
    let x = |t: f64| LEFT + (W - LEFT - 8.0) * t / end_s.max(1.0);
    let y = |v: f64| (H - BOTTOM) - (H - BOTTOM - 8.0) * v / max_y;
    let colors = ["var(--primary)", "var(--standby)", "#c77d0a", "#9b59b6", "#16a085"];
    html! {
        <figure class="chart">
            <figcaption>{ format!("{title} ({unit})") }</figcaption>
            <svg id={id.to_string()} viewBox={format!("0 0 {W} {H}")} role="img" aria-label={title.to_string()}>
                <line class="axis" x1={LEFT.to_string()} y1={(H - BOTTOM).to_string()} x2={W.to_string()} y2={(H - BOTTOM).to_string()} />
                <line class="axis" x1={LEFT.to_string()} y1="4" x2={LEFT.to_string()} y2={(H - BOTTOM).to_string()} />
                <text class="tick" x="4" y="14">{ format!("{max_y:.0}") }</text>
                <text class="tick" x="4" y={(H - BOTTOM).to_string()}>{ "0" }</text>
                <text class="tick" x={LEFT.to_string()} y={(H - 4.0).to_string()}>{ "0 s" }</text>
                <text class="tick" x={(W - 40.0).to_string()} y={(H - 4.0).to_string()}>{ format!("{end_s:.0} s") }</text>
                { for lines.iter().enumerate().map(|(i, (name, pts))| {
                    let d: String = pts.iter().map(|(t, v)| format!("{:.1},{:.1} ", x(*t), y(*v))).collect();
                    html! { <polyline points={d} fill="none" stroke={colors[i % colors.len()]} stroke-width="1.5"><title>{ name.clone() }</title></polyline> }
                }) }
            </svg>
            <p class="legend">{ for lines.iter().enumerate().map(|(i, (name, _))| html! { <span style={format!("color:{}", colors[i % colors.len()])}>{ format!("■ {name} ") }</span> }) }</p>
        </figure>
    }
}

/// Commits per second (acknowledged and failed), from the per-second samples.
pub fn throughput(series: &[SamplePoint], end_s: f64) -> Html {
    let rate = |f: fn(&SamplePoint) -> u64| -> Vec<(f64, f64)> {
        series.windows(2).map(|w| (w[1].t_ms as f64 / 1000.0, f(&w[1]).saturating_sub(f(&w[0])) as f64)).collect()
    };
    chart("chart-throughput", "Commits per second", "tx/s", end_s, vec![("acknowledged".into(), rate(|p| p.commits_acked)), ("failed".into(), rate(|p| p.commits_failed))])
}

/// Replay lag per standby in milliseconds.
pub fn lag(series: &[SamplePoint], names: &[String], end_s: f64) -> Html {
    let lines = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let pts = series.iter().filter_map(|p| p.lag_ms.get(i).filter(|v| **v >= 0).map(|v| (p.t_ms as f64 / 1000.0, *v as f64))).collect();
            (n.clone(), pts)
        })
        .filter(|l: &(String, Vec<(f64, f64)>)| !l.1.is_empty())
        .collect();
    chart("chart-lag", "Replay lag per standby", "ms", end_s, lines)
}
