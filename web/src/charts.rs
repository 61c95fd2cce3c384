//! SVG charts with axes and units, drawn from the core's `Chart` views.
use crate::{d0, d1};
use sim_session::view::Chart;
use std::rc::Rc;
use yew::prelude::*;

const W: f64 = 520.0;
const H: f64 = 140.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 22.0;

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    pub chart: Rc<Chart>,
}

/// One polyline per series over the run's time axis (seconds); failures and losses in the
/// warning colour. Re-renders only when its own data changed.
#[component(ChartFigure)]
pub fn chart_figure(p: &ChartProps) -> Html {
    let c = &p.chart;
    let max_y = c.max_y();
    let x = |t: f64| LEFT + (W - LEFT - 8.0) * t / c.end_s.max(1.0);
    let y = |v: f64| (H - BOTTOM) - (H - BOTTOM - 8.0) * v / max_y;
    let palette = ["var(--primary)", "var(--standby)", "#c77d0a", "#9b59b6", "#16a085"];
    let colors: Vec<&str> = c.lines.iter().enumerate().map(|(i, l)| if l.bad { "var(--bad)" } else { palette[i % palette.len()] }).collect();
    html! {
        <figure class="chart" data-view={c.id}>
            <figcaption>{ format!("{} ({})", c.title, c.unit) }</figcaption>
            <svg id={c.id} viewBox={format!("0 0 {W} {H}")} role="img" aria-label={c.title}>
                <line class="axis" x1={LEFT.to_string()} y1={(H - BOTTOM).to_string()} x2={W.to_string()} y2={(H - BOTTOM).to_string()} />
                <line class="axis" x1={LEFT.to_string()} y1="4" x2={LEFT.to_string()} y2={(H - BOTTOM).to_string()} />
                <text class="tick" x="4" y="14">{ d0(max_y) }</text>
                <text class="tick" x="4" y={(H - BOTTOM).to_string()}>{ "0" }</text>
                <text class="tick" x={LEFT.to_string()} y={(H - 4.0).to_string()}>{ "0 s" }</text>
                <text class="tick" x={(W - 40.0).to_string()} y={(H - 4.0).to_string()}>{ format!("{} s", d0(c.end_s)) }</text>
                // One polyline per unbroken run: where the run has no value the line stops.
                { for c.lines.iter().enumerate().flat_map(|(i, l)| l.segments().into_iter().map(move |seg| (i, l, seg))).map(|(i, l, seg)| {
                    let d: String = seg.iter().map(|(t, v)| format!("{},{} ", d1(x(*t)), d1(y(*v)))).collect();
                    html! { <polyline points={d} fill="none" stroke={colors[i]} stroke-width="1.5" data-line={l.name.clone()}><title>{ l.name.clone() }</title></polyline> }
                }) }
            </svg>
            <p class="legend">{ for c.lines.iter().enumerate().map(|(i, l)| html! { <span style={format!("color:{}", colors[i])}>{ format!("■ {} ", l.name) }</span> }) }</p>
        </figure>
    }
}
