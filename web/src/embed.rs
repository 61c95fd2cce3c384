//! `<dbsim-lesson>`: one lesson inline in a chapter page. The custom element (`web/embed/
//! dbsim-lesson.js`) mounts a `Widget` into its shadow root through the embed module's `mount`
//! export; each widget has its own `Session` and reducer, and several share one module instance.
//! The widget is the main page without its chrome: no picker, no URL, nothing that plays until
//! the reader presses play.
use crate::view::{toast, Place};
use crate::{Action, Model};
use sim_session::view as view_model;
use sim_session::view::Panel;
use yew::prelude::*;

/// What a chapter page writes on the element, as strings: the widget checks them itself and says
/// what is wrong inside its box.
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct WidgetProps {
    /// A stable lesson id (`09/async-failover`).
    pub lesson: String,
    /// The `seed` attribute, if any.
    pub seed: Option<String>,
    /// `compact` (the default) or `full`.
    pub controls: Option<String>,
    /// Where the embed files are served (`scenarios/` and the full app sit beside them).
    pub base: String,
}

pub use lessons::Module;

/// The attributes, checked for the widget of `module`: (lesson file, seed, full controls), or
/// what is wrong with them.
pub fn resolve(p: &WidgetProps, module: Module) -> Result<(&'static str, Option<u64>, bool), String> {
    let id = p.lesson.trim();
    let file = lessons::file_of(id).ok_or_else(|| {
        let chapters: Vec<&str> = lessons::IDS.iter().map(|(i, _)| *i).filter(|i| i.starts_with("09/")).take(3).collect();
        format!("lesson=\"{id}\": there is no such lesson; ids look like {}", chapters.join(", "))
    })?;
    let seed = match p.seed.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(s.parse::<u64>().map_err(|_| format!("seed=\"{s}\": not a whole number (0 to 18446744073709551615)"))?),
    };
    let full = match p.controls.as_deref().map(str::trim) {
        None | Some("") | Some("compact") => false,
        Some("full") => true,
        Some(c) => return Err(format!("controls=\"{c}\": use \"compact\" or \"full\"")),
    };
    let kind = Module::of(file);
    if kind != module {
        return Err(format!("lesson=\"{id}\" is {}: this module runs {}s only", kind.what(), module.what().trim_start_matches("a ")));
    }
    Ok((file, seed, full))
}

/// A widget that cannot show its lesson says why, inside its box.
pub fn failed(e: &str) -> Html {
    html! { <div class="app widget"><p class="error" role="alert" id="widget-error">{ e.to_string() }</p></div> }
}

/// A widget whose lesson is on its way (or failed to load: `error`).
pub fn loading(error: Option<&String>) -> Html {
    html! {
        <div class="app widget">
            <p role="status" class={classes!(error.is_some().then_some("error"))} id="widget-status">{ error.cloned().unwrap_or_else(|| "Loading the lesson…".into()) }</p>
        </div>
    }
}

/// The exports of an embed module (`bin/embed.rs`, `bin/embed_shard.rs`, `bin/embed_plan.rs`): `mount` renders the
/// widget `$widget` with props built by `$props` from the element's attributes into an element
/// (a custom element's shadow root) and returns a `Mounted` handle whose `unmount` frees it.
#[macro_export]
macro_rules! embed_module {
    ($widget:ty, $props:expr) => {
        use wasm_bindgen::prelude::*;

        /// One mounted widget.
        #[wasm_bindgen]
        pub struct Mounted(Option<yew::AppHandle<$widget>>);

        impl std::fmt::Debug for Mounted {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(if self.0.is_some() { "Mounted" } else { "Mounted (unmounted)" })
            }
        }

        #[wasm_bindgen]
        impl Mounted {
            /// Removes the widget and drops its session.
            pub fn unmount(&mut self) {
                if let Some(h) = self.0.take() {
                    h.destroy();
                }
            }
        }

        /// Renders the lesson `lesson` (a stable id such as `09/async-failover`) into `root`, with
        /// the element's `seed` and `controls` attributes as written (the widget checks them and
        /// says what is wrong inside its box) and `base`, the URL the embed files are served from.
        #[wasm_bindgen]
        pub fn mount(root: web_sys::Element, lesson: String, seed: Option<String>, controls: Option<String>, base: String) -> Mounted {
            let make: fn($crate::embed::WidgetProps) -> <$widget as yew::BaseComponent>::Properties = $props;
            let props = make($crate::embed::WidgetProps { lesson, seed, controls, base });
            Mounted(Some(yew::Renderer::<$widget>::with_root_and_props(root, props).render()))
        }

        fn main() {}
    };
}

/// A part of a widget that a compact widget folds under `label` (a `<details>` the reader opens),
/// so a chapter shows a widget's controls and its main picture without scrolling past the rest.
/// A full widget, and every page, shows it as it is.
pub fn more(full: bool, id: &'static str, label: &'static str, content: Html) -> Html {
    if full {
        content
    } else {
        html! { <details class="more" id={id}><summary>{ label }</summary>{ content }</details> }
    }
}

/// A widget's title bar: the lesson, its seed, and a link to it in the full app.
pub fn head(title: &str, seed: u64, open: &str) -> Html {
    html! {
        <header class="widget-head">
            <strong id="widget-title">{ title.to_string() }</strong>
            <span class="muted">{ format!("seed {seed}") }</span>
            <a href={open.to_string()} target="_blank" rel="noopener" id="widget-open">{ "Open in dbsim ↗" }</a>
        </header>
    }
}

#[component(Widget)]
pub fn widget(p: &WidgetProps) -> Html {
    let model = use_reducer(|| Model { speed: 1.0, aim: view_model::Aim { inclusive: true, ..Default::default() }, ..Model::default() });
    let checked = resolve(p, crate::edge::MODULE);
    {
        let model = model.clone();
        let (checked, base) = (checked.clone(), p.base.clone());
        use_effect_with(checked.clone(), move |_| {
            if let Ok((file, seed, _)) = checked {
                let go = Callback::from(move |a: Action| model.dispatch(a));
                let name = file.to_string();
                crate::fetch(format!("{base}scenarios/{file}"), go, move |src| Action::Load { file: name, src, seed }, Action::Fail);
            }
        });
    }
    crate::use_engine(&model);
    let go = {
        let dispatcher = model.dispatcher();
        (*use_memo((), move |_| Callback::from(move |a: Action| dispatcher.dispatch(a)))).clone()
    };
    // The reader's commands, encoded for the link once per change of the log, not on every tick.
    let session = model.session.as_ref().and_then(|s| s.try_borrow().ok());
    let log_key = session.as_ref().map(|s| (s.log_generation(), s.log.len()));
    let log = use_memo(log_key, |_| session.as_deref().map(crate::url::log_text).unwrap_or_default());
    let full = match checked {
        Ok((_, _, full)) => full,
        Err(e) => return failed(&e),
    };
    let (Some(v), Some(s)) = (&model.views, &session) else { return loading(model.error.as_ref()) };
    // The link opens the full app at this moment, with the reader's commands (a challenge's
    // solution travels in it).
    let open = format!("{}{}#{}", p.base, crate::edge::PAGE, crate::url::hash_with(s, &log));
    html! {
        <div class={classes!("app", "widget", (!full).then_some("compact"))} tabindex="0" onkeydown={crate::view::keys(model.playing, model.help, v.clock.now_ms, &go)}>
            if model.help { { crate::view::keys_help(&go) } }
            { head(&v.lesson.title, v.lesson.seed, &open) }
            if let Some(w) = &model.working { <p class="notice working" role="status" aria-live="polite">{ w }</p> }
            if let Some(n) = &model.notice { <p class="notice" role="status">{ n }</p> }
            if let Some(e) = &model.error { { toast(e, go.reform(|_| Action::Dismiss)) } }
            { for Panel::shown(&v.lesson, full).into_iter().map(|pn| crate::view::panel(pn, Place::Widget { full }, &model, v, &go)) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(lesson: &str, seed: Option<&str>, controls: Option<&str>) -> WidgetProps {
        WidgetProps { lesson: lesson.into(), seed: seed.map(Into::into), controls: controls.map(Into::into), base: String::new() }
    }

    #[test]
    fn attributes_are_checked_and_each_problem_is_named() {
        let c = Module::Cluster;
        assert_eq!(resolve(&props("09/async-failover", Some("7"), None), c), Ok(("01-async-failover.toml", Some(7), false)));
        assert_eq!(resolve(&props(" 12/drop-table-pitr ", None, Some("full")), c), Ok(("08a-drop-table-pitr.toml", None, true)));
        assert!(resolve(&props("09/nope", None, None), c).unwrap_err().contains("lesson=\"09/nope\": there is no such lesson"));
        assert!(resolve(&props("09/async-failover", Some("-3"), None), c).unwrap_err().starts_with("seed=\"-3\""));
        assert!(resolve(&props("09/async-failover", None, Some("huge")), c).unwrap_err().starts_with("controls=\"huge\""));
        assert!(resolve(&props("<script>alert(1)</script>", None, None), c).is_err(), "markup is only ever text");
        assert_eq!(resolve(&props("10/good-shard-key", None, None), Module::Sharding), Ok(("sharding/10b-good-shard-key.toml", None, false)));
        assert_eq!(resolve(&props("10/challenge-shard-key", None, None), Module::Sharding), Ok(("challenges/10-shard-key.toml", None, false)));
        assert_eq!(resolve(&props("11/scan-choice", None, None), Module::Planner), Ok(("planner/11a-scan-choice.toml", None, false)));
        // A lesson given to another module's widget is refused with what it is.
        assert!(resolve(&props("10/good-shard-key", None, None), c).unwrap_err().contains("is a sharding lesson"));
        assert!(resolve(&props("09/async-failover", None, None), Module::Planner).unwrap_err().contains("is a replication or backup lesson"));
        assert_eq!(resolve(&props("12/naive-rename", None, None), Module::Migration), Ok(("12g-naive-rename.toml", None, false)));
        assert!(resolve(&props("12/naive-rename", None, None), c).unwrap_err().contains("is a schema-migration lesson"));
    }
}
