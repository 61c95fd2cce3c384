//! A component's panel, drawn from its plain-data view (`sim_session::view::PanelView`) without
//! naming the component: paragraphs, tables as the tool prints them (each cell marked with its
//! column), bars of stacked segments, gauges against their limits, what went wrong, and buttons
//! that run a component's commands at the cursor (read back by the core from the view). A
//! pooling lesson's connection pool (`SHOW POOLS`, `SHOW STATS`, Little's law, the primary's
//! gauges) is one.
use crate::{d1, Action};
use sim_session::view::{ActionItem, Bar, Block, PanelGauge, PanelView, Tone};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ComponentProps {
    pub view: Rc<PanelView>,
    /// Where a panel's buttons send their commands (or why one cannot be read).
    pub go: Callback<Action>,
}

#[component(ComponentPanel)]
pub fn component_panel(p: &ComponentProps) -> Html {
    let v = &*p.view;
    html! {
        <section class={classes!("component", v.class)} aria-label={v.label}>
            <h3>{ v.title }</h3>
            { for v.blocks.iter().map(|b| block(b, &p.go)) }
        </section>
    }
}

fn block(b: &Block, go: &Callback<Action>) -> Html {
    match b {
        Block::Text { id, text } => html! { <p id={*id} data-view={*id}>{ text }</p> },
        Block::Group { id, blocks } => html! { <div id={*id} data-view={*id}>{ for blocks.iter().map(|b| block(b, go)) }</div> },
        Block::Table { id, caption, columns, rows } => html! {
            <table id={*id} data-view={*id} aria-label={caption.trim_end_matches(';').to_string()}>
                <caption>{ *caption }</caption>
                <thead><tr>{ for columns.iter().map(|c| html! { <th>{ *c }</th> }) }</tr></thead>
                <tbody>{ for rows.iter().map(|r| html! {
                    <tr>{ for r.iter().zip(columns).map(|(cell, c)| html! { <td data-col={*c}>{ cell }</td> }) }</tr>
                }) }</tbody>
            </table>
        },
        Block::Bars { label, bars } => stacked(label, bars),
        Block::Gauges { id, caption, gauges } => html! {
            <figure id={*id} class="gauges" data-view={*id}>
                <figcaption>{ *caption }</figcaption>
                { for gauges.iter().map(meter) }
            </figure>
        },
        Block::Actions { id, label, items } => html! {
            <div id={*id} class="actions" data-view={*id} role="group" aria-label={*label}>
                <span class="muted">{ *label }</span>
                { for items.iter().map(|item| html! { <ActionButton item={item.clone()} go={go.clone()} /> }) }
            </div>
        },
        Block::Events { id, label, items } => html! {
            if !items.is_empty() {
                <ul id={*id} aria-label={*label}>
                    { for items.iter().map(|e| html! { <li data-kind={e.kind}><code>{ &e.message }</code>{ format!(" × {}", e.count) }</li> }) }
                </ul>
            }
        },
    }
}

#[derive(Properties, PartialEq)]
struct ActionProps {
    item: ActionItem,
    go: Callback<Action>,
}

/// A button that runs its command at the cursor; with a text box, the box's text is the
/// command's argument (read back by the core, which places an error at it).
#[component(ActionButton)]
fn action_button(p: &ActionProps) -> Html {
    let input = use_node_ref();
    let run = {
        let (item, go, input) = (p.item.clone(), p.go.clone(), input.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let typed = input.cast::<web_sys::HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let arg = item.arg.map(|field| (field, typed.trim()));
            go.emit(sim_session::model::command::action_command(&item.command, arg).map_or_else(Action::Fail, Action::Do));
        })
    };
    let i = &p.item;
    html! {
        <form class="action" onsubmit={run}>
            if let Some(field) = i.arg {
                <input ref={input} type="text" id={format!("{}-{field}", i.id)} aria-label={field} placeholder={i.placeholder} size="48" />
            }
            <button type="submit" id={i.id.clone()} title={i.title.clone()}>{ &i.label }</button>
        </form>
    }
}

/// A gauge of a value against its limit: red once it reaches it.
fn meter(g: &PanelGauge) -> Html {
    let full = (g.limit * 2).max(g.value).max(1) as f64;
    let x = |v: u64| 90.0 + 270.0 * v as f64 / full;
    let over = g.over();
    let name = g.name;
    html! {
        <svg class="gauge wide" viewBox="0 0 700 26" data-gauge={name} data-over={over.to_string()} role="img" aria-label={format!("{name}: {}", g.text)}>
            <text x="4" y="17">{ name }</text>
            <rect class="track" x="90" y="6" width="270" height="12" />
            <rect class={classes!("fill", if over { "missed" } else { "met" })} x="90" y="6" width={d1(x(g.value) - 90.0)} height="12" />
            <line class="sla" x1={d1(x(g.limit))} x2={d1(x(g.limit))} y1="2" y2="22" />
            <text x="368" y="17">{ g.text.clone() }</text>
        </svg>
    }
}

/// Bars of stacked segments, one row each, with their figures at the right.
fn stacked(label: &str, bars: &[Bar]) -> Html {
    let h = 22 * bars.len() as u32;
    html! {
        <svg class="bars" viewBox={format!("0 0 600 {h}")} role="img" aria-label={label.to_string()}>
            { for bars.iter().enumerate().map(|(i, b)| {
                let y = 22 * i as u32;
                let total = b.segments.iter().map(|s| s.0).sum::<u64>().max(1) as f64;
                let mut x = 90.0;
                let segs: Vec<Html> = b.segments.iter().map(|&(n, tone)| {
                    let w = 400.0 * n as f64 / total;
                    let class = match tone { Tone::Good => "fill met", Tone::Bad => "fill missed", Tone::Idle => "track" };
                    let r = html! { <rect class={class} x={d1(x)} y={(y + 4).to_string()} width={d1(w)} height="14" /> };
                    x += w;
                    r
                }).collect();
                html! { <>
                    <text x="4" y={(y + 15).to_string()}>{ b.name }</text>
                    { for segs }
                    <text x="500" y={(y + 15).to_string()}>{ b.text.clone() }</text>
                </> }
            }) }
        </svg>
    }
}
