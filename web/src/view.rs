//! Rendering: the lesson, the cluster diagram, time controls, invariants and the event log.
use crate::{Action, Model};
use sim_core::pg::{PgState, Role};
use sim_core::{Command, World};
use yew::prelude::*;

type Go = Callback<Action>;

fn send(go: &Go, make: impl Fn() -> Action + 'static) -> Callback<MouseEvent> {
    let go = go.clone();
    Callback::from(move |_| go.emit(make()))
}

pub fn page(m: &Model, go: Callback<Action>) -> Html {
    let Some(cell) = &m.session else {
        return html! { <main class="app"><p role="status">{ m.error.clone().unwrap_or_else(|| "Loading…".into()) }</p></main> };
    };
    let Ok(s) = cell.try_borrow() else { return html! {} };
    let w = &s.world;
    html! {
        <main class="app" tabindex="0" onkeydown={keys(m.playing, w.now().as_ms(), &go)}>
            <header>
                <h1>{ "dbsim" }</h1>
                { picker(&s.file, &go) }
                { open_file(&go) }
                { seed(s.seed, &go) }
            </header>
            if let Some(e) = &m.error { <p class="error" role="alert">{ e }</p> }
            <section class="lesson">
                <h2>{ &s.scenario.lesson.title }</h2>
                <p>{ &s.scenario.lesson.summary }</p>
                <h3>{ "Watch" }</h3>
                <ul>{ for s.scenario.lesson.watch.iter().map(|x| html! { <li>{ x }</li> }) }</ul>
                <h3>{ "You will learn" }</h3>
                <ul>{ for s.scenario.lesson.learn.iter().map(|x| html! { <li>{ x }</li> }) }</ul>
                { goals(w, &s.scenario.expect) }
            </section>
            { controls(m, w, &go) }
            { cluster(w, m.selected.as_deref(), &go) }
            { actions(m.selected.as_deref(), &go) }
            { settings(&go) }
            <section class="charts">
                { crate::charts::throughput(w.series(), w.end().as_ms() as f64 / 1000.0) }
                { crate::charts::lag(w.series(), &w.nodes().iter().map(|n| n.name.clone()).collect::<Vec<_>>(), w.end().as_ms() as f64 / 1000.0) }
            </section>
            { invariants(w) }
            { log(w) }
        </main>
    }
}

/// Shortcuts, handled only while the app has focus: space plays/pauses, arrows step in time.
fn keys(playing: bool, now_ms: u64, go: &Go) -> Callback<KeyboardEvent> {
    let go = go.clone();
    Callback::from(move |e: KeyboardEvent| {
        let tag = e.target_dyn_into::<web_sys::HtmlInputElement>().map(|i| i.type_());
        if tag.is_some_and(|t| t != "range") {
            return;
        }
        let action = match e.key().as_str() {
            " " | "k" => Some(if playing { Action::Pause } else { Action::Play }),
            "ArrowRight" | "l" => Some(Action::Seek(now_ms + 1000)),
            "ArrowLeft" | "j" => Some(Action::Seek(now_ms.saturating_sub(1000))),
            _ => None,
        };
        if let Some(a) = action {
            e.prevent_default();
            go.emit(a);
        }
    })
}

fn goals(w: &World, expect: &sim_core::scenario::Expect) -> Html {
    let results = w.expectations(expect);
    html! {
        <>
            <h3>{ "Goals (live)" }</h3>
            <ul class="goals">
            { for results.iter().map(|r| html! {
                <li class={classes!(if r.ok { "ok" } else { "pending" })}>{ format!("{} {}: {}", if r.ok { "✓" } else { "○" }, r.name, r.detail) }</li>
            }) }
            </ul>
        </>
    }
}

fn seed(current: u64, go: &Go) -> Html {
    let go = go.clone();
    let onchange = Callback::from(move |e: Event| {
        let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
        match i.value().trim().parse::<u64>() {
            Ok(v) => go.emit(Action::Reseed(v)),
            Err(_) => go.emit(Action::Fail(format!("`{}` is not a seed (a whole number)", i.value()))),
        }
    });
    html! { <label>{ "Seed " }<input id="seed" type="number" min="0" value={current.to_string()} {onchange} /></label> }
}

fn open_file(go: &Go) -> Html {
    let go = go.clone();
    let reader = std::rc::Rc::new(std::cell::RefCell::new(None));
    let onchange = Callback::from(move |e: Event| {
        let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        let name = file.name();
        let go = go.clone();
        let task = gloo::file::callbacks::read_as_text(&gloo::file::File::from(file), move |text| match text {
            Ok(src) => go.emit(Action::Load { file: name, src, seed: None }),
            Err(e) => go.emit(Action::Fail(format!("{name}: {e}"))),
        });
        *reader.borrow_mut() = Some(task);
    });
    html! { <label class="open">{ "Open a scenario file " }<input id="open" type="file" accept=".toml" {onchange} /></label> }
}

fn picker(current: &str, go: &Go) -> Html {
    let go = go.clone();
    let onchange = Callback::from(move |e: Event| {
        let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else { return };
        if let Some((file, src)) = lessons::BUILTIN.iter().find(|(f, _)| *f == sel.value()) {
            go.emit(Action::Load { file: file.to_string(), src: src.to_string(), seed: None });
        }
    });
    html! {
        <label>{ "Scenario " }
            <select id="scenario" {onchange}>
                { for lessons::BUILTIN.iter().map(|(f, _)| html! { <option value={*f} selected={*f == current}>{ *f }</option> }) }
            </select>
        </label>
    }
}

fn controls(m: &Model, w: &World, go: &Go) -> Html {
    let now = w.now().as_ms();
    let end = w.end().as_ms();
    let seek = {
        let go = go.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                if let Ok(v) = i.value().parse::<u64>() {
                    go.emit(Action::Seek(v));
                }
            }
        })
    };
    let speeds = [0.25, 1.0, 10.0, 100.0, 1000.0];
    html! {
        <section class="controls" aria-label="time controls">
            if m.playing {
                <button id="pause" onclick={send(go, || Action::Pause)}>{ "Pause" }</button>
            } else {
                <button id="play" onclick={send(go, || Action::Play)}>{ "Play" }</button>
            }
            <button id="step" onclick={send(go, || Action::Step)}>{ "Step 100 ms" }</button>
            { for speeds.iter().map(|&x| html! {
                <button class={classes!("speed", (m.speed == x).then_some("on"))} onclick={send(go, move || Action::Speed(x))}>{ format!("{x}×") }</button>
            }) }
            <button id="fork" onclick={send(go, || Action::Fork)}>{ "Fork here" }</button>
            <input id="scrubber" type="range" min="0" max={end.to_string()} value={now.to_string()} oninput={seek} aria-label="simulated time" />
            { marks(w) }
            <output id="clock" aria-live="polite">{ format!("{:.1} s / {:.0} s", now as f64 / 1000.0, end as f64 / 1000.0) }</output>
        </section>
    }
}

/// Ticks under the scrubber where crashes, failovers and commands happened.
fn marks(w: &World) -> Html {
    let end = w.end().as_ms().max(1) as f64;
    let notable = |t: &str| ["crash", "promoted", "partition", "DCS", "demot", "switchover", "destroyed", "PANIC", "restarted", "healed", "setting"].iter().any(|k| t.contains(k));
    html! {
        <svg class="marks" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true">
            { for w.notes().iter().filter(|n| notable(&n.text)).map(|n| {
                let x = 1000.0 * n.at_ms as f64 / end;
                html! { <rect x={format!("{x:.1}")} y="0" width="3" height="10"><title>{ format!("{:.1} s: {}", n.at_ms as f64 / 1000.0, n.text) }</title></rect> }
            }) }
        </svg>
    }
}

fn role_text(n: &sim_core::pg::Node) -> &'static str {
    match (n.host_up, n.pg, n.role, n.writable) {
        (false, _, _, _) => "host down",
        (_, PgState::Down, _, _) => "postgres down",
        (_, PgState::Starting, _, _) => "starting",
        (_, PgState::Rewinding, _, _) => "pg_rewind",
        (_, PgState::Cloning, _, _) => "cloning",
        (_, _, Role::Primary, true) => "primary",
        (_, _, Role::Primary, false) => "primary (read-only)",
        _ => "standby",
    }
}

fn cluster(w: &World, selected: Option<&str>, go: &Go) -> Html {
    let nodes = w.nodes();
    let width = 160 * nodes.len().max(1) as u32 + 40;
    html! {
        <svg id="cluster" viewBox={format!("0 0 {width} 300")} role="img" aria-label="cluster">
            <text x="20" y="20" class="dcs">{ format!("DCS leader: {}", w.leader().unwrap_or("none")) }</text>
            { for (0..nodes.len()).map(|i| {
                let x = 90 + 160 * i as u32;
                let link = |up: bool, x2: u32| html! {
                    <line x1={x.to_string()} y1="176" x2={x2.to_string()} y2="236" class={classes!("link", (!up).then_some("cut"))} />
                };
                html! { <>{ link(w.node_link_up(i, true), 90) }{ link(w.node_link_up(i, false), 250) }</> }
            }) }
            <g class={classes!("infra", (!w.dcs_up()).then_some("down"))} data-infra="dcs">
                <rect x="20" y="236" width="140" height="50" rx="8" />
                <text x="30" y="256" class="name">{ "DCS (etcd)" }</text>
                <text x="30" y="276">{ if w.dcs_up() { "up" } else { "outage" } }</text>
            </g>
            <g class="infra" data-infra="proxy">
                <rect x="180" y="236" width="160" height="50" rx="8" />
                <text x="190" y="256" class="name">{ "proxy (HAProxy)" }</text>
                <text x="190" y="276">{ format!("writes → {}", if w.write_backends().is_empty() { "none".to_string() } else { w.write_backends().join(", ") }) }</text>
            </g>
            { for nodes.iter().enumerate().map(|(i, n)| {
                let x = 20 + 160 * i as u32;
                let role = role_text(n);
                let name = n.name.clone();
                let go = go.clone();
                let onclick = Callback::from(move |_: MouseEvent| go.emit(Action::Select(Some(name.clone()))));
                let class = classes!("node", role.replace([' ', '(', ')', '_'], "-"), (selected == Some(n.name.as_str())).then_some("selected"));
                html! {
                    <g class={class} data-node={n.name.clone()} data-role={role} data-timeline={n.tl.to_string()} {onclick}>
                        <rect x={x.to_string()} y="40" width="140" height="120" rx="8" />
                        <text x={(x + 10).to_string()} y="62" class="name">{ &n.name }</text>
                        <text x={(x + 10).to_string()} y="84">{ role }</text>
                        <text x={(x + 10).to_string()} y="106">{ format!("timeline {}", n.tl) }</text>
                        <text x={(x + 10).to_string()} y="128">{ n.lsn().to_string() }</text>
                        <text x={(x + 10).to_string()} y="150" class="region">{ &n.region }</text>
                        { lag_bar(w, i, x) }
                    </g>
                }
            }) }
        </svg>
    }
}

/// A bar under a standby showing its replay lag behind the primary (full width = 16 MiB, one segment).
fn lag_bar(w: &World, i: usize, x: u32) -> Html {
    let Some(bytes) = w.series().last().and_then(|p| p.lag_bytes.get(i)).copied().filter(|b| *b >= 0) else { return html! {} };
    let width = 140.0 * (bytes as f64 / 16_777_216.0).min(1.0);
    html! {
        <g class="lag">
            <rect x={x.to_string()} y="166" width="140" height="8" class="lag-bg" />
            <rect x={x.to_string()} y="166" width={format!("{width:.1}")} height="8" class="lag-fill"><title>{ format!("replay lag {bytes} bytes") }</title></rect>
        </g>
    }
}

fn actions(selected: Option<&str>, go: &Go) -> Html {
    let Some(node) = selected.map(str::to_string) else {
        return html! { <p class="hint">{ "Click a node to inject a failure." }</p> };
    };
    let button = |id: &str, label: &str, make: fn(String) -> Command| {
        let node = node.clone();
        html! { <button id={id.to_string()} onclick={send(go, move || Action::Do(make(node.clone())))}>{ label }</button> }
    };
    html! {
        <section class="actions" aria-label={format!("actions for {node}")}>
            <h3>{ format!("{node}") }</h3>
            { button("crash-host", "Crash host", |n| Command::CrashHost { node: n }) }
            { button("crash-postgres", "Crash Postgres", |n| Command::CrashPostgres { node: n }) }
            { button("restart", "Restart", |n| Command::Restart { node: n }) }
            { button("destroy-disk", "Destroy disk", |n| Command::DestroyDisk { node: n }) }
            { button("isolate-dcs", "Cut from DCS", |n| Command::Partition { nodes: vec![n], others: vec!["dcs".into()], one_way: false }) }
            { button("switchover", "Switchover here", |n| Command::Switchover { to: Some(n) }) }
            <button id="heal" onclick={send(go, || Action::Do(Command::Heal))}>{ "Heal network" }</button>
            <button onclick={send(go, || Action::Do(Command::DcsOutage))}>{ "DCS outage" }</button>
            <button onclick={send(go, || Action::Do(Command::DcsRestore))}>{ "DCS restore" }</button>
        </section>
    }
}

/// The settings editor: each change is a `set` command at the current time.
fn settings(go: &Go) -> Html {
    let field = |key: &'static str, label: &str, options: &[&'static str]| {
        let go = go.clone();
        let onchange = Callback::from(move |e: Event| {
            let value = e
                .target_dyn_into::<web_sys::HtmlSelectElement>()
                .map(|s| s.value())
                .or_else(|| e.target_dyn_into::<web_sys::HtmlInputElement>().map(|i| i.value()))
                .unwrap_or_default();
            if value.is_empty() {
                return;
            }
            go.emit(match sim_core::Setting::parse(key, &value) {
                Ok(s) => Action::Do(Command::Set { settings: vec![s] }),
                Err(e) => Action::Fail(format!("{key}: {e}")),
            });
        });
        let id = format!("set-{key}");
        if options.is_empty() {
            html! { <label>{ label }<input id={id} type="text" size="6" placeholder="value" {onchange} /></label> }
        } else {
            html! {
                <label>{ label }
                    <select id={id} {onchange}>
                        <option value="" selected=true>{ "—" }</option>
                        { for options.iter().map(|o| html! { <option value={*o}>{ *o }</option> }) }
                    </select>
                </label>
            }
        }
    };
    html! {
        <section class="settings" aria-label="settings">
            <h3>{ "Settings (applied now, as commands)" }</h3>
            { field("synchronous_commit", "synchronous_commit ", &["off", "local", "remote_write", "on", "remote_apply"]) }
            { field("synchronous_standby_names", " synchronous_standby_names ", &[]) }
            { field("synchronous_mode", " synchronous_mode ", &["true", "false"]) }
            { field("synchronous_mode_strict", " strict ", &["true", "false"]) }
            { field("ttl", " ttl ", &[]) }
            { field("loop_wait", " loop_wait ", &[]) }
            { field("retry_timeout", " retry_timeout ", &[]) }
        </section>
    }
}

fn invariants(w: &World) -> Html {
    html! {
        <section class="invariants" aria-label="properties">
            <h3>{ "Properties" }</h3>
            <ul>
            { for w.invariants().iter().map(|p| {
                let bad = matches!(p.kind, sim_core::invariants::PropKind::Always) && !p.holds;
                html! { <li class={classes!(bad.then_some("violated"))} data-prop={p.name}>{ format!("{} {}: {}", if bad { "✗" } else if p.holds { "✓" } else { "…" }, p.name, p.detail) }</li> }
            }) }
            </ul>
        </section>
    }
}

fn log(w: &World) -> Html {
    let notes = w.notes();
    let start = notes.len().saturating_sub(30);
    html! {
        <section class="log" aria-label="events" aria-live="polite">
            <h3>{ "Events" }</h3>
            <ol>
            { for notes[start..].iter().rev().map(|n| html! {
                <li>{ format!("{:>8.3}s {} {}", n.at_ms as f64 / 1000.0, n.node.clone().unwrap_or_default(), n.text) }</li>
            }) }
            </ol>
        </section>
    }
}
