//! Effects at the edge of the pages: fetching a file beside the page, opening another page, and
//! listening for a pasted link.
use yew::Callback;

/// Fetches `path` beside the page and emits `then(text)`, or `fail(why)`.
pub fn fetch<A: 'static>(path: String, go: Callback<A>, then: impl FnOnce(String) -> A + 'static, fail: fn(String) -> A) {
    wasm_bindgen_futures::spawn_local(async move {
        go.emit(match fetch_text(&path).await {
            Ok(src) => then(src),
            Err(e) => fail(e),
        });
    });
}

async fn fetch_text(url: &str) -> Result<String, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let w = web_sys::window().ok_or("no window")?;
    let resp = JsFuture::from(w.fetch_with_str(url)).await.map_err(|_| format!("{url}: the lesson could not be fetched"))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| format!("{url}: not an HTTP response"))?;
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let body = resp.text().map_err(|_| format!("{url}: no body"))?;
    JsFuture::from(body).await.ok().and_then(|t| t.as_string()).ok_or_else(|| format!("{url}: the body is not text"))
}

/// Calls `f` on every `hashchange` until the returned guard runs (an effect's cleanup).
pub fn on_hashchange(f: impl Fn() + 'static) -> impl FnOnce() {
    use wasm_bindgen::JsCast;
    let cb = wasm_bindgen::closure::Closure::<dyn Fn()>::new(f);
    let w = web_sys::window();
    if let Some(w) = &w {
        let _ = w.add_event_listener_with_callback("hashchange", cb.as_ref().unchecked_ref());
    }
    move || {
        if let Some(w) = w {
            let _ = w.remove_event_listener_with_callback("hashchange", cb.as_ref().unchecked_ref());
        }
    }
}

/// Opens another page of the app.
pub fn navigate(url: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(url);
    }
}

/// The kind of lesson this module's cluster app runs: the migration lessons (`migrate.html`) or
/// the others (`index.html`); a page sends a lesson of the other kind to the other page.
pub const MODULE: lessons::Module = if cfg!(feature = "migrate") { lessons::Module::Migration } else { lessons::Module::Cluster };

/// This module's cluster page.
pub const PAGE: &str = if cfg!(feature = "migrate") { "migrate.html" } else { "index.html" };

/// Whether a built-in lesson (by its file name) runs on the other cluster page, and that page.
pub fn other_page(file: &str) -> Option<&'static str> {
    let migration = lessons::MIGRATION_NAMES.contains(&file);
    match (migration, cfg!(feature = "migrate")) {
        (true, false) => Some("migrate.html"),
        (false, true) => Some("index.html"),
        _ => None,
    }
}
