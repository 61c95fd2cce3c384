//! The embed module (`dbsim_embed.js`): what `<dbsim-lesson>` elements load, once per page. It
//! starts nothing by itself; `mount` renders one lesson's widget into an element (a custom
//! element's shadow root), and the handle it returns unmounts it and frees its session.
use wasm_bindgen::prelude::*;

/// One mounted widget.
#[wasm_bindgen]
pub struct Mounted(Option<yew::AppHandle<web::embed::Widget>>);

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

/// Renders the lesson `lesson` (a stable id such as `09/async-failover`) into `root`, with the
/// element's `seed` and `controls` attributes as written (the widget checks them and says what is
/// wrong inside its box) and `base`, the URL the embed files are served from.
#[wasm_bindgen]
pub fn mount(root: web_sys::Element, lesson: String, seed: Option<String>, controls: Option<String>, base: String) -> Mounted {
    let props = web::embed::WidgetProps { lesson, seed, controls, base };
    Mounted(Some(yew::Renderer::<web::embed::Widget>::with_root_and_props(root, props).render()))
}

fn main() {}
