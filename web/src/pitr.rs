//! The backup & PITR panel: the WAL archive as segments with base-backup markers, a draggable
//! recovery target with a preview, the restore button and its progress, the timeline tree, the
//! restored rows, RPO/RTO gauges against the SLA and the drill table.
use crate::d1;
use crate::{Action, Model};
use sim_core::backup::Backups;
use sim_core::drill::DrillResult;
use sim_core::lsn::{Lsn, SEGMENT_BYTES};
use sim_core::pitr::{segment_number, Outcome, Phase, Request, SegmentState, Target, TargetAction};
use sim_core::{Command, Session, SimTime, World};
use yew::prelude::*;

const W: f64 = 640.0;

pub fn panel(m: &Model, s: &Session, go: &Callback<Action>) -> Html {
    let w = &s.world;
    let Some(b) = w.backups() else { return html! {} };
    let sla = s.scenario.drill.clone().unwrap_or_default();
    let target = SimTime(m.pitr_target_ms.unwrap_or(w.now().as_ms()).min(w.now().as_ms()) * 1000);
    let req = Request { target: Target::Time(target), inclusive: m.pitr_inclusive, timeline: None, action: TargetAction::Promote };
    let preview = b.preview(&req, w.now());
    html! {
        <section class="pitr" aria-label="backups and point-in-time recovery">
            <h3>{ "Backups & point-in-time recovery" }</h3>
            { wal_strip(b, w.now()) }
            { target_controls(m, w, b, target, go) }
            { preview_text(&preview, &b.clock) }
            { for b.restores.last().map(|o| progress(o, w.now())) }
            { timeline_tree(b, w.now()) }
            { restored_rows(b.restores.last(), w.now()) }
            { gauges(w, b, sla.rpo.0.as_ms(), sla.rto.0.as_ms()) }
            { drill(m, go) }
        </section>
    }
}

/// Segments along the LSN axis (archived, pending, missing or corrupt), base backups as markers.
fn wal_strip(b: &Backups, now: SimTime) -> Html {
    let mut segs: Vec<(u64, &'static str, String)> = b.archive.segments.iter().map(|(n, s)| (segment_number(n), state_class(*s), n.clone())).collect();
    segs.extend(b.pending_segments().map(|(tl, s)| (s, "pending", Lsn(s * SEGMENT_BYTES).segment_name(tl))));
    let lo = segs.iter().map(|s| s.0).chain(b.archive.backups.iter().map(|x| x.start_lsn / SEGMENT_BYTES)).min().unwrap_or(0);
    let hi = segs.iter().map(|s| s.0 + 1).max().unwrap_or(lo + 1).max(lo + 1);
    let x = |seg: f64| 10.0 + (W - 20.0) * (seg - lo as f64) / (hi - lo) as f64;
    let width = ((W - 20.0) / (hi - lo) as f64 - 1.0).max(1.0);
    html! {
        <svg id="wal-strip" viewBox={format!("0 0 {W} 56")} role="img" aria-label="WAL segments and base backups">
            { for segs.iter().map(|(s, class, name)| html! {
                <rect x={d1(x(*s as f64))} y="22" width={d1(width)} height="18" class={classes!("seg", *class)}><title>{ format!("{name}: {class}") }</title></rect>
            }) }
            { for b.archive.backups.iter().map(|bb| {
                let (a, z) = (x(bb.start_lsn as f64 / SEGMENT_BYTES as f64), x(bb.stop_lsn as f64 / SEGMENT_BYTES as f64));
                html! { <g class={classes!("backup", bb.corrupt.then_some("corrupt"))}>
                    <line x1={d1(a)} x2={d1(z)} y1="14" y2="14" />
                    <text x={d1(a)} y="10">{ format!("▼ {}", bb.label) }</text>
                    <title>{ format!("base backup {} on timeline {}: {} to {}", bb.label, bb.timeline, Lsn(bb.start_lsn), Lsn(bb.stop_lsn)) }</title>
                </g> }
            }) }
            { for b.replay_cursor(now).map(|lsn| { let cx = x(lsn as f64 / SEGMENT_BYTES as f64); html! {
                <line id="replay-cursor" x1={d1(cx)} x2={d1(cx)} y1="18" y2="44"><title>{ format!("recovery has replayed up to {}", Lsn(lsn)) }</title></line>
            } }) }
            <text x="10" y="54" class="tick">{ Lsn(lo * SEGMENT_BYTES).to_string() }</text>
            <text x={(W - 90.0).to_string()} y="54" class="tick">{ Lsn(hi * SEGMENT_BYTES).to_string() }</text>
        </svg>
    }
}

fn state_class(s: SegmentState) -> &'static str {
    match s {
        SegmentState::Archived { .. } => "archived",
        SegmentState::Missing => "missing",
        SegmentState::Corrupt => "corrupt",
    }
}

fn target_controls(m: &Model, w: &World, b: &Backups, target: SimTime, go: &Callback<Action>) -> Html {
    let drag = {
        let go = go.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(v) = e.target_dyn_into::<web_sys::HtmlInputElement>().and_then(|i| i.value().parse::<u64>().ok()) {
                go.emit(Action::PitrTarget(v));
            }
        })
    };
    let inclusive = {
        let go = go.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                go.emit(Action::PitrInclusive(i.checked()));
            }
        })
    };
    let text = b.clock.timestamptz(target);
    let cmd = Command::PitrRestore {
        target_time: Some(text.clone()),
        target_lsn: None,
        target_xid: None,
        target_xid_of: None,
        target_name: None,
        inclusive: m.pitr_inclusive,
        target_action: "promote".into(),
        timeline: None,
    };
    html! {
        <div class="pitr-target">
            <label>{ "recovery_target_time " }
                <input id="pitr-target" type="range" min="0" max={w.now().as_ms().to_string()} value={target.as_ms().to_string()} oninput={drag} aria-label="recovery target time" />
                <output id="pitr-target-text">{ text }</output>
            </label>
            <label><input id="pitr-inclusive" type="checkbox" checked={m.pitr_inclusive} onchange={inclusive} />{ " recovery_target_inclusive" }</label>
            <button id="pitr-restore" onclick={go.reform(move |_| Action::Do(cmd.clone()))}>{ "Restore to this point" }</button>
        </div>
    }
}

fn preview_text(p: &Result<Outcome, String>, clock: &sim_core::pitr::Clock) -> Html {
    match p {
        Err(e) => html! { <p class="pitr-preview refused">{ format!("Would be refused: {e}") }</p> },
        Ok(o) => {
            let last = o.last_commit.map_or("no commit yet".to_string(), |r| format!("xid {} (LSN {}, committed {})", r.xid, Lsn(r.lsn), clock.timestamptz(r.at)));
            let table = if o.table.dropped { "the table is dropped".to_string() } else { format!("{} rows", o.table.rows.len()) };
            html! {
                <>
                    <p class="pitr-preview" id="pitr-preview">{ format!("Would restore {} and replay to {}: last commit included {last}; {table}; takes about {}; discards {} later commits.", o.backup, Lsn(o.end_lsn), o.duration.human(), o.commits_discarded) }</p>
                    // The target lies past the archived WAL: PostgreSQL 13+ stops short of it and says so.
                    if let Some(why) = &o.stopped_early { <p class="pitr-warning error" id="pitr-warning" role="alert">{ format!("Warning: {why}") }</p> }
                </>
            }
        }
    }
}

/// Where each branch point goes across the tree: by LSN, but at least 70 px after the previous
/// one in LSN order, so branches a few bytes apart (the point of lesson 08a) never share a pixel.
fn spread(mut starts: Vec<u64>, lo: f64, span: f64) -> Vec<(u64, f64)> {
    starts.sort_unstable();
    starts.dedup();
    let mut placed: Vec<(u64, f64)> = Vec::new();
    for st in starts {
        let by_lsn = 40.0 + (W - 60.0) * (st as f64 - lo) / span;
        let min = placed.last().map_or(by_lsn, |p| p.1 + 70.0);
        placed.push((st, by_lsn.max(min)));
    }
    placed
}

/// Timelines as branches: each starts at its parent's switch LSN.
fn timeline_tree(b: &Backups, now: SimTime) -> Html {
    let pending = b.restores.last().filter(|o| o.phase(now) != Phase::Done).and_then(|o| o.new_timeline);
    let tls: Vec<(u32, Option<u32>, u64)> = b.history.timelines.iter().map(|(id, t)| (*id, t.parent, t.start)).collect();
    let row = |id: u32| tls.iter().position(|t| t.0 == id).unwrap_or(0) as f64;
    let lo = tls.iter().map(|t| t.2).min().unwrap_or(0) as f64;
    let hi = tls.iter().map(|t| t.2).max().unwrap_or(0) as f64;
    let span = ((hi - lo) * 1.2).max(1.0);
    let placed = spread(tls.iter().map(|t| t.2).collect(), lo, span);
    let x = |lsn: u64| placed.iter().find(|p| p.0 == lsn).map_or(40.0, |p| p.1);
    html! {
        <svg id="timeline-tree" viewBox={format!("0 0 {W} {}", 20 + 24 * tls.len())} role="img" aria-label="timeline tree">
            { for tls.iter().map(|&(id, parent, start)| {
                let y = 16.0 + 24.0 * row(id);
                let branch = parent.map(|p| html! { <line class="branch" x1={d1(x(start))} y1={d1(16.0 + 24.0 * row(p))} x2={d1(x(start))} y2={d1(y)} /> });
                html! { <g class={classes!("tl", (pending == Some(id)).then_some("pending"))} data-timeline={id.to_string()}>
                    { for branch }
                    <line x1={d1(x(start))} y1={d1(y)} x2={(W - 10.0).to_string()} y2={d1(y)} />
                    <text x="4" y={d1(y + 4.0)}>{ format!("TL{id}") }</text>
                    if parent.is_some() { <text x={d1(x(start) + 4.0)} y={d1(y - 4.0)} class="tick">{ Lsn(start).to_string() }</text> }
                </g> }
            }) }
        </svg>
    }
}

fn restored_rows(last: Option<&Outcome>, now: SimTime) -> Html {
    let Some(o) = last else { return html! { <p class="hint">{ "No restore yet: drag the target and press Restore." }</p> } };
    if o.phase(now) != Phase::Done {
        let left = SimTime(o.started.0 + o.duration.0).since(now);
        return html! { <p class="hint">{ format!("The restored rows appear when recovery ends, in {} of simulated time: press play.", left.human()) }</p> };
    }
    if o.table.dropped {
        return html! { <p id="restored-table">{ format!("Restored (timeline {}): the table was dropped at that point.", o.new_timeline.unwrap_or(o.timeline)) }</p> };
    }
    html! {
        <table id="restored-table">
            <caption>{ format!("accounts as restored on timeline {} ({} rows; first 12)", o.new_timeline.unwrap_or(o.timeline), o.table.rows.len()) }</caption>
            <thead><tr><th>{ "key" }</th><th>{ "last written by xid" }</th></tr></thead>
            <tbody>{ for o.table.rows.iter().take(12).map(|(k, x)| html! { <tr><td>{ k }</td><td>{ x }</td></tr> }) }</tbody>
        </table>
    }
}

/// The running restore as two progress bars: copying the base backup, then replaying WAL.
fn progress(o: &Outcome, now: SimTime) -> Html {
    let (load, replay) = match o.phase(now) {
        Phase::Done => return html! {},
        Phase::Loading(p) => (p, 0),
        Phase::Replaying(p) => (1000, p),
    };
    let pct = |p: u32| format!("{}.{} %", p / 10, p % 10);
    html! {
        <div id="restore-progress" class="restore-progress" role="status" aria-live="polite">
            <label>{ format!("Copying base backup {} ({}) ", o.backup, o.load.human()) }
                <progress id="restore-load" max="1000" value={load.to_string()}></progress>{ pct(load) }</label>
            <label>{ format!("Replaying WAL to {} ({}) ", Lsn(o.end_lsn), o.replay.human()) }
                <progress id="restore-replay" max="1000" value={replay.to_string()}></progress>{ pct(replay) }</label>
        </div>
    }
}

/// The last recovery's RPO and RTO against the SLA (the scenario's `[drill]`, or 1 min / 15 min).
fn gauges(w: &World, b: &Backups, rpo_sla_ms: u64, rto_sla_ms: u64) -> Html {
    let restored = b.restores.last().filter(|o| o.phase(w.now()) == Phase::Done);
    let failover = w.run_metrics().failovers.last().and_then(|f| Some((f.at_ms, f.unavailable_ms?)));
    let (source, rpo, rto) = match (restored, failover) {
        (Some(o), f) if !matches!(f, Some((at, _)) if at > o.started.as_ms()) => (format!("restore from {}", o.backup), o.rpo.as_ms(), o.duration.as_ms()),
        (_, Some((_, rto))) => ("failover".to_string(), w.run_metrics().rpo_ms, rto),
        _ => return html! { <p class="hint" id="sla-gauges">{ format!("RPO/RTO gauges appear after a failover or a restore. SLA: RPO ≤ {}, RTO ≤ {}.", secs(rpo_sla_ms), secs(rto_sla_ms)) }</p> },
    };
    html! {
        <figure id="sla-gauges" class="gauges">
            <figcaption>{ format!("Last recovery ({source}) against the SLA") }</figcaption>
            { gauge("RPO", rpo, rpo_sla_ms) }
            { gauge("RTO", rto, rto_sla_ms) }
        </figure>
    }
}

fn secs(ms: u64) -> String {
    sim_core::SimDur::ms(ms).human()
}

/// A horizontal gauge: the measured value against the SLA mark, red when it is over.
fn gauge(name: &str, ms: u64, sla_ms: u64) -> Html {
    let full = (sla_ms * 2).max(ms).max(1) as f64;
    let x = |v: u64| 60.0 + 300.0 * v as f64 / full;
    let met = ms <= sla_ms;
    html! {
        <svg class="gauge" viewBox="0 0 560 26" data-gauge={name.to_ascii_lowercase()} data-met={met.to_string()} role="img" aria-label={format!("{name} {} against an SLA of {}: {}", secs(ms), secs(sla_ms), if met { "met" } else { "missed" })}>
            <text x="4" y="17">{ name }</text>
            <rect class="track" x="60" y="6" width="300" height="12" />
            <rect class={classes!("fill", if met { "met" } else { "missed" })} x="60" y="6" width={d1(x(ms) - 60.0)} height="12" />
            <line class="sla" x1={d1(x(sla_ms))} x2={d1(x(sla_ms))} y1="2" y2="22" />
            <text x="368" y="17">{ format!("{} (SLA {}) {}", secs(ms), secs(sla_ms), if met { "✓ met" } else { "✗ missed" }) }</text>
        </svg>
    }
}

/// `dbsim drill` in the page: every disaster of the `[drill]` section, on fresh worlds.
fn drill(m: &Model, go: &Callback<Action>) -> Html {
    html! {
        <div class="drill">
            <button id="drill-run" onclick={go.reform(|_| Action::Drill)}>{ "Run a DR drill" }</button>
            { for m.drill.as_deref().map(drill_table) }
        </div>
    }
}

fn drill_table(r: &Result<Vec<DrillResult>, String>) -> Html {
    let rows = match r {
        Err(e) => return html! { <p class="error">{ e }</p> },
        Ok(rows) => rows,
    };
    let ms = |v: Option<u64>| v.map_or("unbounded".to_string(), secs);
    let mark = |ok: bool| if ok { "✓" } else { "✗" };
    html! {
        <table id="drill-table">
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
}
