//! The dbsim browser app: pick a lesson, play it, inject faults by clicking, scrub through time.
//! The UI renders a view of the core's `World`; every change goes through a `Command`.
pub mod app;
mod charts;
mod component;
pub mod edge;
pub mod embed;
pub mod format;
mod lesson;
mod pitr;
pub mod plan;
pub mod shard;
pub mod url;
mod view;

use sim_session::view as view_model;
use yew::prelude::*;

use app::{clock_ms, URL_AT, URL_MS};
pub use app::{fetch_lesson, is_shard_lesson, use_engine, Action, Model, Views, TICK_MS};
pub use edge::{fetch, on_hashchange};
pub use format::{d0, d1};
use url::LAST_WRITTEN;

/// Opens what the URL's hash names; a hash this page wrote itself is already showing.
fn open_link(go: &Callback<Action>) {
    let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    if LAST_WRITTEN.with(|l| *l.borrow() == hash.trim_start_matches('#')) && !hash.is_empty() {
        return;
    }
    let (shared, problems) = url::parse_hash(&hash);
    if !problems.is_empty() {
        go.emit(Action::LinkProblems(problems));
    }
    match shared {
        Some(shared) if lessons::is_sharded(&shared.file) => edge::navigate(&format!("shard.html{hash}")),
        Some(shared) if lessons::PLANNER_NAMES.contains(&shared.file.as_str()) => edge::navigate(&format!("plan.html#file={}", shared.file)),
        Some(shared) if edge::other_page(&shared.file).is_some() => edge::navigate(&format!("{}{hash}", edge::other_page(&shared.file).unwrap_or(edge::PAGE))),
        Some(shared) if lessons::BUILTIN_NAMES.contains(&shared.file.as_str()) || lessons::CHALLENGES_NAMES.contains(&shared.file.as_str()) => {
            let file = shared.file.clone();
            fetch_lesson(file, go.clone(), move |src| Action::Restore(shared, src));
        }
        Some(shared) => {
            // A file opened from the learner's computer is not on the server: say so, open the
            // first lesson, and leave the picker and "open a scenario file" to go on.
            go.emit(Action::LinkProblems(vec![format!(
                "`{}` is not a built-in lesson: a file opened from your computer cannot travel in a link (open it again with \"Open a scenario file\")",
                shared.file
            )]));
            let file = lessons::BUILTIN_NAMES.first().copied().unwrap_or_default().to_string();
            fetch_lesson(file.clone(), go.clone(), move |src| Action::Load { file, src, seed: None });
        }
        None => {
            let file = lessons::BUILTIN_NAMES.first().copied().unwrap_or_default().to_string();
            fetch_lesson(file.clone(), go.clone(), move |src| Action::Load { file, src, seed: None });
        }
    }
}

/// Focuses the page's `<main>` when nothing else has the focus.
fn focus_page() {
    use wasm_bindgen::JsCast;
    let Some(d) = web_sys::window().and_then(|w| w.document()) else { return };
    if d.active_element().is_some_and(|e| !e.tag_name().eq_ignore_ascii_case("body")) {
        return;
    }
    if let Some(m) = d.query_selector("main.app").ok().flatten().and_then(|m| m.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = m.focus();
    }
}

#[component(App)]
pub fn app() -> Html {
    let model = use_reducer(|| Model { speed: 1.0, aim: view_model::Aim { inclusive: true, ..Default::default() }, ..Model::default() });
    {
        let model = model.clone();
        use_effect_with((), move |_| {
            let go = Callback::from(move |a: Action| model.dispatch(a));
            open_link(&go);
            // A link pasted into an open tab changes only the hash.
            let go2 = go.clone();
            on_hashchange(move || open_link(&go2))
        });
    }
    use_engine(&model);
    // The page's keys (Space, the arrows, ?) work from the first load: once a lesson is showing,
    // the page takes the focus, unless the learner has put it somewhere already.
    use_effect_with(model.session.is_some(), |shown| {
        if *shown {
            focus_page();
        }
    });
    {
        let version = model.version;
        let model = model.clone();
        use_effect_with(version, move |_| {
            if model.link_problem.is_some() || model.job.is_some() {
                return;
            }
            if let Some(s) = &model.session {
                if let Ok(s) = s.try_borrow() {
                    let log = (s.log_generation(), s.log.len());
                    if !model.playing || URL_AT.with(|u| u.get().0 != log || clock_ms() - u.get().1 >= URL_MS) {
                        url::write_hash(&s);
                        URL_AT.with(|u| u.set((log, clock_ms())));
                    }
                }
            }
        });
    }
    // One callback for the page's life, so components' props compare equal across ticks.
    let go = {
        let dispatcher = model.dispatcher();
        use_memo((), move |_| Callback::from(move |a: Action| dispatcher.dispatch(a)))
    };
    view::page(&model, &go)
}
