//! The backup & PITR panel, drawn from the core's `PitrView`: the WAL strip with base-backup
//! markers, the draggable recovery target with its preview, the restore's progress, the timeline
//! tree, the restored rows, the RPO/RTO gauges and the drill table.
use crate::d1;
use crate::Action;
use sim_session::model::drill::DrillResult;
use sim_session::model::lsn::{Lsn, SEGMENT_BYTES};
use sim_session::view::{Gauge, PitrView, Preview, Progress, RestoredView, TargetKind, TimelineView};
use std::rc::Rc;
use yew::prelude::*;

const W: f64 = 640.0;

pub type Drill = Option<Rc<Result<Vec<DrillResult>, String>>>;

#[derive(Properties, PartialEq)]
pub struct PitrProps {
    pub view: Rc<PitrView>,
    pub drill: Drill,
    pub go: Callback<Action>,
}

#[component(PitrPanel)]
pub fn pitr_panel(p: &PitrProps) -> Html {
    let v = &p.view;
    html! {
        <section class="pitr" aria-label="backups and point-in-time recovery">
            <h3>{ "Backups & point-in-time recovery" }</h3>
            { wal_strip(v) }
            { target_controls(v, &p.go) }
            { preview(&v.preview, v.restored_before) }
            { for v.progress.as_ref().map(progress) }
            { timeline_tree(&v.timelines) }
            { restored_rows(&v.restored) }
            { gauges(v) }
            <div class="drill">
                <button id="drill-run" onclick={p.go.reform(|_| Action::Drill)}>{ "Run a DR drill" }</button>
                { for p.drill.as_deref().map(drill_table) }
            </div>
        </section>
    }
}

/// Segments along the LSN axis (archived, pending, missing or corrupt), base backups as markers.
fn wal_strip(v: &PitrView) -> Html {
    let (lo, hi) = (v.lo, v.hi);
    let x = |seg: f64| 10.0 + (W - 20.0) * (seg - lo as f64) / (hi - lo).max(1) as f64;
    let width = ((W - 20.0) / (hi - lo).max(1) as f64 - 1.0).max(1.0);
    let seg_of = |l: Lsn| l.0 as f64 / SEGMENT_BYTES as f64;
    html! {
        <svg id="wal-strip" data-view="wal-strip" viewBox={format!("0 0 {W} 68")} role="img" aria-label="WAL segments and base backups">
            { for v.segments.iter().map(|s| html! {
                <rect x={d1(x(s.number as f64))} y="22" width={d1(width)} height="18" class={classes!("seg", s.state)}><title>{ format!("{}: {}", s.name, s.state) }</title></rect>
            }) }
            { for v.backups.iter().map(|bb| {
                let (a, z) = (x(seg_of(bb.start_lsn)), x(seg_of(bb.stop_lsn)));
                html! { <g class={classes!("backup", bb.corrupt.then_some("corrupt"))}>
                    <line x1={d1(a)} x2={d1(z)} y1="14" y2="14" />
                    <text x={d1(a)} y="10">{ format!("▼ {}", bb.label) }</text>
                    <title>{ format!("base backup {} on timeline {}: {} to {}", bb.label, bb.timeline, bb.start_lsn, bb.stop_lsn) }</title>
                </g> }
            }) }
            // Operator errors (the DROP) as red marks at their LSN.
            { for v.mistakes.iter().map(|(lsn, what)| { let cx = x(seg_of(*lsn)); html! {
                <g class="mistake" data-mistake={lsn.to_string()}>
                    <line x1={d1(cx)} x2={d1(cx)} y1="16" y2="46" />
                    // Near the right edge the label sits left of its mark, so it is never cut off.
                    <text x={d1(if cx > W - 80.0 { cx - 3.0 } else { cx + 3.0 })} y="54" text-anchor={if cx > W - 80.0 { "end" } else { "start" }}>{ "✗ mistake" }</text>
                    <title>{ what.clone() }</title>
                </g>
            } }) }
            { for v.replay_cursor.map(|lsn| { let cx = x(seg_of(lsn)); html! {
                <line id="replay-cursor" x1={d1(cx)} x2={d1(cx)} y1="18" y2="44"><title>{ format!("recovery has replayed up to {lsn}") }</title></line>
            } }) }
            <text x="10" y="66" class="tick">{ Lsn(lo * SEGMENT_BYTES).to_string() }</text>
            <text x={(W - 90.0).to_string()} y="66" class="tick">{ Lsn(hi * SEGMENT_BYTES).to_string() }</text>
        </svg>
    }
}

fn target_controls(v: &PitrView, go: &Callback<Action>) -> Html {
    let drag = go.reform(|e: InputEvent| Action::PitrTarget(e.target_dyn_into::<web_sys::HtmlInputElement>().and_then(|i| i.value().parse::<u64>().ok()).unwrap_or_default()));
    let inclusive = go.reform(|e: Event| Action::PitrInclusive(e.target_dyn_into::<web_sys::HtmlInputElement>().is_some_and(|i| i.checked())));
    let kind = go.reform(|e: Event| Action::PitrKind(e.target_dyn_into::<web_sys::HtmlSelectElement>().and_then(|s| TargetKind::parse(&s.value()))));
    let typed = go.reform(|e: InputEvent| Action::PitrTyped(e.target_dyn_into::<web_sys::HtmlInputElement>().map(|i| i.value()).unwrap_or_default()));
    let cmd = v.restore.clone();
    let current = v.typed_kind;
    let placeholder = match current {
        Some(TargetKind::Time) => "2026-11-25 14:03:17",
        Some(TargetKind::Lsn) => "0/3000060",
        Some(TargetKind::Xid) => "2782",
        Some(TargetKind::Name) => "before_migration",
        None => "",
    };
    html! {
        <div class="pitr-target">
            <label>{ "recovery_target_time " }
                <input id="pitr-target" type="range" min="0" max={v.now_ms.to_string()} value={v.target_ms.to_string()} oninput={drag} aria-label="recovery target time" />
                <output id="pitr-target-text">{ if v.typed.is_some() { "(typed below)".to_string() } else { v.target_text.clone() } }</output>
            </label>
            <span class="setting">
                <label>{ "or type " }
                    <select id="pitr-kind" onchange={kind} aria-label="recovery target kind">
                        <option value="" selected={current.is_none()}>{ "(the slider)" }</option>
                        { for TargetKind::ALL.iter().map(|k| html! { <option value={k.setting()} selected={current == Some(*k)}>{ k.setting() }</option> }) }
                    </select>
                </label>
                if current.is_some() {
                    <input id="pitr-typed" type="text" size="22" placeholder={placeholder} value={v.typed.as_ref().map(|t| t.1.clone()).unwrap_or_default()} oninput={typed}
                        aria-label="recovery target value" aria-invalid={v.typed_error.is_some().to_string()} aria-describedby="pitr-typed-error" />
                }
                <span id="pitr-typed-error" class="field-error" role="alert">{ v.typed_error.clone().unwrap_or_default() }</span>
            </span>
            if !v.snaps.is_empty() {
                <div class="snaps" id="pitr-snaps">{ "Snap to: " }
                    { for v.snaps.iter().map(|s| { let snap = s.clone(); html! {
                        <button class="snap" title={format!("{} = '{}', inclusive = {}", s.kind.setting(), s.value, s.inclusive)} onclick={go.reform(move |_| Action::PitrSnap(snap.clone()))}>{ s.label.clone() }</button>
                    } }) }
                </div>
            }
            <label><input id="pitr-inclusive" type="checkbox" checked={v.inclusive} onchange={inclusive} />{ " recovery_target_inclusive" }</label>
            <button id="pitr-restore" disabled={v.typed_error.is_some()} onclick={go.reform(move |_| Action::Do(cmd.clone()))}>{ "Restore to this point" }</button>
        </div>
    }
}

/// What a restore to the target would do. Once one has run, it is the preview of the next one,
/// and says so, so it never reads as the verdict on the restore already made.
fn preview(p: &Preview, restored_before: bool) -> Html {
    let lead = if restored_before { "A further restore to this target" } else { "A restore to this target" };
    match p {
        Preview::Refused(e) => html! { <p class="pitr-preview refused" id="pitr-preview" data-view="pitr-preview">{ format!("{lead} would be refused: {e}") }</p> },
        Preview::Would { text, warning } => html! {
            <>
                <p class="pitr-preview" id="pitr-preview" data-view="pitr-preview">{ format!("{lead} {text}") }</p>
                if let Some(w) = warning { <p class="pitr-warning error" id="pitr-warning" role="alert">{ w.clone() }</p> }
            </>
        },
    }
}

/// The rightmost a branch point may stand: its LSN label (about 70 px) still fits on its left.
const LAST_BRANCH: f64 = W - 90.0;

/// Where each branch point goes across the tree: by LSN, but at least 70 px after the previous
/// one in LSN order, so branches a few bytes apart (the point of lesson 08a) never share a pixel;
/// and none past [`LAST_BRANCH`], so no label is cut off at the right edge (branches pushed
/// there move back left, and many branches share the width evenly).
fn spread(mut starts: Vec<u64>, lo: f64, span: f64) -> Vec<(u64, f64)> {
    starts.sort_unstable();
    starts.dedup();
    let mut placed: Vec<(u64, f64)> = Vec::new();
    for st in starts {
        let by_lsn = 40.0 + (W - 60.0) * (st as f64 - lo) / span;
        let min = placed.last().map_or(by_lsn, |p| p.1 + 70.0);
        placed.push((st, by_lsn.max(min)));
    }
    let n = placed.len();
    let gap = if n > 1 { ((LAST_BRANCH - 40.0) / (n - 1) as f64).min(70.0) } else { 70.0 };
    for (i, p) in placed.iter_mut().enumerate().rev() {
        p.1 = p.1.min(LAST_BRANCH - gap * (n - 1 - i) as f64).max(40.0);
    }
    placed
}

/// Timelines as branches: each starts at its parent's switch LSN.
fn timeline_tree(tls: &[TimelineView]) -> Html {
    let row = |id: u32| tls.iter().position(|t| t.id == id).unwrap_or(0) as f64;
    let lo = tls.iter().map(|t| t.start.0).min().unwrap_or(0) as f64;
    let hi = tls.iter().map(|t| t.start.0).max().unwrap_or(0) as f64;
    let span = ((hi - lo) * 1.2).max(1.0);
    let placed = spread(tls.iter().map(|t| t.start.0).collect(), lo, span);
    let x = |lsn: Lsn| placed.iter().find(|p| p.0 == lsn.0).map_or(40.0, |p| p.1);
    html! {
        <svg id="timeline-tree" data-view="timeline-tree" viewBox={format!("0 0 {W} {}", 20 + 24 * tls.len())} role="img" aria-label="timeline tree">
            { for tls.iter().map(|t| {
                let y = 16.0 + 24.0 * row(t.id);
                // A branch leaves the line that held its switch LSN: the parent its history file
                // names, or, when that parent itself began later (a restore to a point before it),
                // the ancestor whose WAL that was, so no branch starts before its line exists.
                let branch = t.parent.map(|p| {
                    let from = holder(tls, p, t.start);
                    let title = if from == p { format!("TL{} branches from TL{p} at {}", t.id, t.start) } else { format!("TL{} branches at {}: its history names TL{p}, which then still ran on TL{from}'s WAL", t.id, t.start) };
                    html! { <line class="branch" data-from={from.to_string()} x1={d1(x(t.start))} y1={d1(16.0 + 24.0 * row(from))} x2={d1(x(t.start))} y2={d1(y)}><title>{ title }</title></line> }
                });
                html! { <g class={classes!("tl", t.pending.then_some("pending"))} data-timeline={t.id.to_string()}>
                    { for branch }
                    <line x1={d1(x(t.start))} y1={d1(y)} x2={(W - 10.0).to_string()} y2={d1(y)} />
                    <text x="4" y={d1(y + 4.0)}>{ format!("TL{}", t.id) }</text>
                    // A label near the right edge reads leftwards from its branch.
                    if t.parent.is_some() {
                        <text x={d1(if x(t.start) > W - 160.0 { x(t.start) - 4.0 } else { x(t.start) + 4.0 })} y={d1(y - 4.0)} text-anchor={if x(t.start) > W - 160.0 { "end" } else { "start" }} class="tick">{ t.start.to_string() }</text>
                    }
                </g> }
            }) }
        </svg>
    }
}

/// The timeline whose line holds `lsn` on the way back from `tl`: `tl` itself, or the first
/// ancestor that had begun by then.
fn holder(tls: &[TimelineView], mut tl: u32, lsn: Lsn) -> u32 {
    for _ in 0..tls.len() {
        match tls.iter().find(|t| t.id == tl) {
            Some(t) if t.start.0 > lsn.0 => match t.parent {
                Some(p) => tl = p,
                None => break,
            },
            _ => break,
        }
    }
    tl
}

fn restored_rows(r: &RestoredView) -> Html {
    match r {
        RestoredView::None => html! { <p class="hint">{ "No restore yet: drag the target and press Restore." }</p> },
        RestoredView::Waiting(left) => html! { <p class="hint">{ format!("The restored rows appear when recovery ends, in {left} of simulated time: press play.") }</p> },
        RestoredView::Dropped { timeline } => html! { <p id="restored-table" data-view="restored-table">{ format!("Restored (timeline {timeline}): the table was dropped at that point.") }</p> },
        RestoredView::Rows { timeline, total, first } => html! {
            <table id="restored-table" data-view="restored-table">
                <caption>{ format!("accounts as restored on timeline {timeline} ({total} rows; first {})", first.len()) }</caption>
                <thead><tr><th>{ "key" }</th><th>{ "last written by xid" }</th></tr></thead>
                <tbody>{ for first.iter().map(|(k, x)| html! { <tr><td>{ k }</td><td>{ x }</td></tr> }) }</tbody>
            </table>
        },
    }
}

/// The running restore as two progress bars: copying the base backup, then replaying WAL.
fn progress(p: &Progress) -> Html {
    let pct = |p: u32| format!("{}.{} %", p / 10, p % 10);
    html! {
        <div id="restore-progress" class="restore-progress" role="status" aria-live="polite">
            <label>{ format!("Copying base backup {} ({}) ", p.backup, p.load) }
                <progress id="restore-load" max="1000" value={p.load_permille.to_string()}></progress>{ pct(p.load_permille) }</label>
            <label>{ format!("Replaying WAL to {} ({}) ", p.end_lsn, p.replay) }
                <progress id="restore-replay" max="1000" value={p.replay_permille.to_string()}></progress>{ pct(p.replay_permille) }</label>
        </div>
    }
}

/// The last recovery's RPO and RTO against the SLA (the scenario's `[drill]`, or 1 min / 15 min).
fn gauges(v: &PitrView) -> Html {
    let Some((source, gs)) = &v.gauges else {
        let sla = |ms: u64| sim_session::model::SimDur::ms(ms).human();
        return html! { <p class="hint" id="sla-gauges" data-view="sla-gauges">{ format!("RPO/RTO gauges appear after a failover or a restore. SLA: RPO ≤ {}, RTO ≤ {}.", sla(v.rpo_sla_ms), sla(v.rto_sla_ms)) }</p> };
    };
    html! {
        <figure id="sla-gauges" class="gauges" data-view="sla-gauges">
            <figcaption>{ format!("Last recovery ({source}) against the SLA") }</figcaption>
            { for gs.iter().map(gauge) }
        </figure>
    }
}

/// A horizontal gauge: the measured value against the SLA mark, red when it is over.
fn gauge(g: &Gauge) -> Html {
    let full = (g.sla_ms * 2).max(g.ms).max(1) as f64;
    let x = |v: u64| 60.0 + 300.0 * v as f64 / full;
    let met = g.met();
    html! {
        <svg class="gauge" viewBox="0 0 560 26" data-gauge={g.name.to_ascii_lowercase()} data-met={met.to_string()} role="img" aria-label={format!("{} {} against an SLA of {}: {}", g.name, g.value(), g.sla(), if met { "met" } else { "missed" })}>
            <text x="4" y="17">{ g.name }</text>
            <rect class="track" x="60" y="6" width="300" height="12" />
            <rect class={classes!("fill", if met { "met" } else { "missed" })} x="60" y="6" width={d1(x(g.ms) - 60.0)} height="12" />
            <line class="sla" x1={d1(x(g.sla_ms))} x2={d1(x(g.sla_ms))} y1="2" y2="22" />
            <text x="368" y="17">{ format!("{} (SLA {}) {}", g.value(), g.sla(), if met { "✓ met" } else { "✗ missed" }) }</text>
        </svg>
    }
}

fn drill_table(r: &Result<Vec<DrillResult>, String>) -> Html {
    let rows = match r {
        Err(e) => return html! { <p class="error">{ e }</p> },
        Ok(rows) => rows,
    };
    let ms = |v: Option<u64>| v.map_or("unbounded".to_string(), |ms| sim_session::model::SimDur::ms(ms).human());
    let mark = |ok: bool| if ok { "✓" } else { "✗" };
    html! {
        <table id="drill-table" data-view="drill-table">
            <thead><tr><th>{ "disaster" }</th><th>{ "recovered by" }</th><th>{ "RPO" }</th><th>{ "RTO" }</th></tr></thead>
            <tbody>{ for rows.iter().map(|d| html! {
                <tr class={classes!((d.rpo_met && d.rto_met).then_some("met"))} title={d.detail.join("\n")}>
                    <td>{ &d.disaster }</td><td>{ &d.recovered_by }</td>
                    <td>{ format!("{} {}", ms(d.rpo_ms), mark(d.rpo_met)) }</td>
                    <td>{ format!("{} {}", ms(d.rto_ms), mark(d.rto_met)) }</td>
                </tr>
            }) }</tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    /// A restore to a point before its target timeline began (TL3 from TL2's history, switching
    /// at an LSN still on TL1) is drawn from TL1's line, where that WAL is.
    #[test]
    fn a_branch_leaves_the_line_that_held_its_lsn() {
        use sim_session::model::lsn::Lsn;
        use sim_session::view::TimelineView;
        let tl = |id, parent, start| TimelineView { id, parent, start: Lsn(start), pending: false };
        let tls = vec![tl(1, None, 0x3000060), tl(2, Some(1), 0x7055300), tl(3, Some(2), 0x7055200)];
        assert_eq!(super::holder(&tls, 2, Lsn(0x7055200)), 1);
        assert_eq!(super::holder(&tls, 2, Lsn(0x7055400)), 2);
        assert_eq!(super::holder(&tls, 1, Lsn(0x3000060)), 1);
    }

    #[test]
    fn branches_bytes_apart_stand_apart() {
        // TL2, TL3 and TL4 at 0/7055200, 0/7055300 and 0/7055300 + 8 on a 0/3000060..0/7055308 tree.
        let starts = vec![0x3000060, 0x7055200, 0x7055300, 0x7055308];
        let lo = 0x3000060 as f64;
        let span = (0x7055308 - 0x3000060) as f64 * 1.2;
        let x = super::spread(starts, lo, span);
        assert_eq!(x.len(), 4);
        assert!(x.windows(2).all(|w| w[1].1 - w[0].1 >= 70.0), "{x:?}");
        assert_eq!(x[0].1, 40.0);
    }

    /// The newest branch, and a crowd of branches, stay left of the edge where labels are cut.
    #[test]
    fn no_branch_stands_past_the_right_edge() {
        let x = super::spread(vec![0x3000060, 0x7055300], 0x3000060 as f64, (0x7055300 - 0x3000060) as f64);
        assert!(x[1].1 <= super::LAST_BRANCH, "{x:?}");
        let many: Vec<u64> = (0..12).map(|i| 0x3000060 + i * 8).collect();
        let x = super::spread(many, 0x3000060 as f64, 100.0);
        assert!(x.iter().all(|p| (40.0..=super::LAST_BRANCH).contains(&p.1)), "{x:?}");
        assert!(x.windows(2).all(|w| w[1].1 > w[0].1), "in LSN order, apart: {x:?}");
    }
}
