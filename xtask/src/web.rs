//! Builds the browser app (wasm32 + wasm-bindgen glue, no downloads) and serves `dist/`.
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set (a second checkout sharing one), else
/// the workspace's `target/`.
pub fn target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// The pages and their wasm modules: the main app, the sharding chapter, the query-planning
/// chapter and the schema migrations each in its own module, so no page downloads another's code.
const PAGES: [(&str, &str, &str); 4] = [("web", "dbsim", "index.html"), ("shard", "dbsim_shard", "shard.html"), ("plan", "dbsim_plan", "plan.html"), ("migrate", "dbsim_migrate", "migrate.html")];

/// The embed modules (`<dbsim-lesson>`), one per kind of lesson as for the pages.
const EMBEDS: [(&str, &str); 4] = [("embed", "dbsim_embed"), ("embed_shard", "dbsim_embed_shard"), ("embed_plan", "dbsim_embed_plan"), ("embed_migrate", "dbsim_embed_migrate")];

/// `cargo build` for wasm32, `wasm-bindgen --target web`, `wasm-opt` when a recent one exists, the pages.
pub fn dist() -> Result<PathBuf, String> {
    // Two builds: a cargo feature is the same for every binary of one build, and only the
    // migration modules have the `migrate` feature (the others carry none of its code).
    crate::cargo(&["build", "-p", "web", "--bins", "--target", "wasm32-unknown-unknown", "--profile", "web"])?;
    crate::cargo(&["build", "-p", "web", "--bin", "migrate", "--bin", "embed_migrate", "--features", "migrate", "--target", "wasm32-unknown-unknown", "--profile", "web"])?;
    let root = root();
    let out = root.join("dist");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let html = std::fs::read_to_string(root.join("index.html")).map_err(|e| format!("index.html: {e}"))?;
    for (bin, name, page) in PAGES {
        let wasm = target().join(format!("wasm32-unknown-unknown/web/{bin}.wasm"));
        let mut b = wasm_bindgen_cli_support::Bindgen::new();
        b.input_path(&wasm).out_name(name).typescript(false).remove_name_section(true).remove_producers_section(true);
        b.web(true).map_err(|e| format!("wasm-bindgen: {e}"))?;
        b.generate(&out).map_err(|e| format!("wasm-bindgen: {e}"))?;
        let bg = out.join(format!("{name}_bg.wasm"));
        optimise(&bg);
        let text = html.replace("./dbsim.js", &format!("./{name}.js")).replace("./dbsim_bg.wasm", &format!("./{name}_bg.wasm"));
        std::fs::write(out.join(page), text).map_err(|e| format!("{page}: {e}"))?;
        report_size(&bg)?;
    }
    embed(&root, &out, &html)?;
    copy_lessons(&root.join("scenarios"), &out.join("scenarios"))?;
    copy_lessons(&root.join("scenarios/sharding"), &out.join("scenarios/sharding"))?;
    copy_lessons(&root.join("scenarios/challenges"), &out.join("scenarios/challenges"))?;
    precompress(&out)?;
    Ok(out)
}

/// `X.gz` beside each module, script and page in `dist/`, as a static host serves them to
/// browsers that take gzip (nginx's `gzip_static`, and `cargo xtask serve`).
fn precompress(out: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        if !matches!(p.extension().and_then(|x| x.to_str()), Some("wasm" | "js" | "html")) {
            continue;
        }
        let z = Command::new("gzip").arg("-9c").arg(&p).output().map_err(|e| format!("gzip: {e}"))?;
        if !z.status.success() {
            return Err(format!("gzip {} failed", p.display()));
        }
        std::fs::write(PathBuf::from(format!("{}.gz", p.display())), z.stdout).map_err(|e| format!("{}.gz: {e}", p.display()))?;
    }
    Ok(())
}

/// The ids of the lessons not run by the cluster module, with the module that runs each, as a
/// JavaScript object literal for the shim.
pub fn module_map() -> String {
    let rows: Vec<String> =
        lessons::IDS.iter().map(|&(id, file)| (id, lessons::Module::of(file))).filter(|(_, m)| *m != lessons::Module::Cluster).map(|(id, m)| format!("'{id}': '{}'", m.name())).collect();
    format!("{{ {} }}", rows.join(", "))
}

/// The theme colours a widget takes from its host page (`--dbsim-bg`…), in the page's own names.
const THEME_VARS: [&str; 10] = ["bg", "fg", "muted", "card", "line", "primary", "standby", "down", "bad", "focus"];

/// The embed: the `EMBEDS` modules (which `<dbsim-lesson>` elements share), `dbsim-lesson.js` (the
/// custom element, with the page's styles made to live in a shadow root), `embed.html` (one lesson
/// in an iframe) and the sample chapter pages under `chapters/`.
fn embed(root: &Path, out: &Path, html: &str) -> Result<(), String> {
    // One module per kind of lesson, as for the pages: a chapter downloads only the one its lessons need.
    for (bin, name) in EMBEDS {
        let wasm = target().join(format!("wasm32-unknown-unknown/web/{bin}.wasm"));
        let mut b = wasm_bindgen_cli_support::Bindgen::new();
        b.input_path(&wasm).out_name(name).typescript(false).remove_name_section(true).remove_producers_section(true);
        b.web(true).map_err(|e| format!("wasm-bindgen: {e}"))?;
        b.generate(out).map_err(|e| format!("wasm-bindgen: {e}"))?;
        let bg = out.join(format!("{name}_bg.wasm"));
        optimise(&bg);
        report_size(&bg)?;
    }
    let shim = std::fs::read_to_string(root.join("web/embed/dbsim-lesson.js")).map_err(|e| format!("web/embed/dbsim-lesson.js: {e}"))?;
    if !shim.contains("/*MODULES*/{}") {
        return Err("web/embed/dbsim-lesson.js has no /*MODULES*/{} for the lesson modules".into());
    }
    let js = shim.replace("/*STYLE*/", &widget_css(html)?.replace('\\', "\\\\").replace('`', "\\`").replace("${", "\\${")).replace("/*MODULES*/{}", &module_map());
    std::fs::write(out.join("dbsim-lesson.js"), js).map_err(|e| format!("dbsim-lesson.js: {e}"))?;
    std::fs::copy(root.join("web/embed/embed.html"), out.join("embed.html")).map_err(|e| format!("embed.html: {e}"))?;
    let chapters = out.join("chapters");
    std::fs::create_dir_all(&chapters).map_err(|e| format!("{}: {e}", chapters.display()))?;
    for entry in std::fs::read_dir(root.join("web/embed/chapters")).map_err(|e| format!("web/embed/chapters: {e}"))?.flatten() {
        std::fs::copy(entry.path(), chapters.join(entry.file_name())).map_err(|e| format!("{}: {e}", entry.path().display()))?;
    }
    Ok(())
}

/// The page's styles for a shadow root: `:root` becomes `:host` (its colours renamed `--h-…`, the
/// defaults), the body's rules go to the widget's box, and each colour is the host page's
/// `--dbsim-…` property when it sets one. `theme="light|dark"` overrides `prefers-color-scheme`.
pub fn widget_css(html: &str) -> Result<String, String> {
    let start = html.find("<style>").ok_or("index.html has no <style>")? + "<style>".len();
    let end = html[start..].find("</style>").ok_or("index.html's <style> is not closed")? + start;
    let mut css = html[start..end].replace(":root", ":host").replace("body {", ".widget {");
    let (mut light, mut dark) = (String::new(), String::new());
    for v in THEME_VARS {
        css = css.replace(&format!("--{v}:"), &format!("--h-{v}:"));
    }
    // The two palettes as declared for :host, reused for the theme attribute.
    let blocks: Vec<&str> = css.match_indices(":host {").map(|(i, _)| &css[i + ":host {".len()..]).map(|rest| &rest[..rest.find('}').unwrap_or(0)]).collect();
    if let [l, d, ..] = blocks.as_slice() {
        light = l.replace("color-scheme: light dark;", "").trim().to_string();
        dark = d.trim().to_string();
    }
    let mapped: Vec<String> = THEME_VARS.iter().map(|v| format!("--{v}: var(--dbsim-{v}, var(--h-{v}));")).collect();
    css.push_str(&format!(
        "\n:host {{ display: block; }}\n:host([theme=light]) {{ color-scheme: light; {light} }}\n:host([theme=dark]) {{ color-scheme: dark; {dark} }}\n\
         .frame {{ {} background: var(--bg); color: var(--fg); font: 15px/1.45 system-ui, sans-serif; border: 1px solid var(--line); border-radius: 10px; \
         height: var(--dbsim-height, auto); overflow: auto; position: relative; }}\n\
         .frame .app.widget {{ max-width: none; margin: 0; }} .widget-head {{ display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }} \
         .widget-head a {{ margin-left: auto; color: var(--primary); }} .muted, .status {{ color: var(--muted); }} .status {{ margin: 12px 16px; }}\n\
         .frame .toast {{ position: sticky; bottom: 8px; left: auto; transform: none; margin: 0 auto; }} .frame .keys-help {{ position: absolute; }}\n",
        mapped.join(" ")
    ));
    Ok(css)
}

/// The lessons are content the app fetches (`dist/scenarios/*.toml`), not code in its module.
fn copy_lessons(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?.flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&p, to.join(entry.file_name())).map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    Ok(())
}

/// Runs `wasm-opt -Oz` if a version new enough to read current rustc output (>= 116) is installed.
fn optimise(wasm: &Path) {
    let version = Command::new("wasm-opt").arg("--version").output().ok().and_then(|o| {
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        text.split_whitespace().find_map(|w| w.parse::<u32>().ok())
    });
    match version {
        Some(v) if v >= 116 => {
            let ok = Command::new("wasm-opt").args(["-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-simd", "-o"]).arg(wasm).arg(wasm).status().is_ok_and(|s| s.success());
            eprintln!("wasm-opt {v}: {}", if ok { "optimised" } else { "failed, keeping the unoptimised module" });
        }
        Some(v) => eprintln!("wasm-opt {v} is too old to read this module; skipped"),
        None => eprintln!("wasm-opt not found; skipped (npm's binaryen or the wasm-opt crate provide it)"),
    }
}

/// The most a page's wasm module may weigh gzipped: what a student downloads on a slow link.
pub const BUDGET_GZIP: usize = 480 * 1024;

/// Prints the module's raw and gzip sizes; fails when the gzip size is over `BUDGET_GZIP`.
fn report_size(wasm: &Path) -> Result<(), String> {
    let raw = std::fs::metadata(wasm).map(|m| m.len()).unwrap_or(0);
    let gz = Command::new("gzip").arg("-9c").arg(wasm).output().map(|o| o.stdout.len()).map_err(|e| format!("gzip: {e}"))?;
    eprintln!("{}: {raw} bytes raw, {gz} bytes gzip ({:.1} KB of the {} KB budget)", wasm.display(), gz as f64 / 1024.0, BUDGET_GZIP / 1024);
    if gz == 0 || gz > BUDGET_GZIP {
        return Err(format!("{} is {gz} bytes gzip, over the {BUDGET_GZIP}-byte budget", wasm.display()));
    }
    Ok(())
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("toml") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A small static file server for `dist/` (loopback only).
pub fn serve(dir: &Path, addr: &str) -> Result<(), String> {
    let listener = TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("serving {} on http://{addr}/", dir.display());
    for stream in listener.incoming().flatten() {
        if let Err(e) = answer(stream, dir) {
            eprintln!("serve: {e}");
        }
    }
    Ok(())
}

fn answer(mut stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // The headers, for Accept-Encoding: a static host sends the precompressed file when the
    // browser takes gzip (nginx's gzip_static), so load times are measured as students get them.
    let mut gzip_ok = false;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        let lower = h.to_ascii_lowercase();
        gzip_ok |= lower.starts_with("accept-encoding:") && lower.contains("gzip");
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").split(['?', '#']).next().unwrap_or("/");
    let rel = if path == "/" { "index.html" } else { path.trim_start_matches('/') };
    // The path is checked before anything is read: only plain names, inside the served folder.
    let read = resolve(dir, rel).map(|file| (std::fs::read(&file), file));
    match read {
        Some((Ok(body), file)) => {
            let gz = gzip_ok.then(|| std::fs::read(PathBuf::from(format!("{}.gz", file.display()))).ok()).flatten();
            let (body, encoding) = match gz {
                Some(z) => (z, "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"),
                None => (body, ""),
            };
            write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: {}\r\n{encoding}Content-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n", content_type(&file), body.len())?;
            stream.write_all(&body)
        }
        _ => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"),
    }
}

/// The file `rel` names inside `dir`, or `None` if it would leave it (`..`, a root, a symlink out).
fn resolve(dir: &Path, rel: &str) -> Option<PathBuf> {
    use std::path::Component;
    let rel = Path::new(rel);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let root = dir.canonicalize().ok()?;
    let file = root.join(rel).canonicalize().ok()?;
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

/// The browser the end-to-end tests drive. A missing browser is an error, never a skip.
fn browser() -> Result<PathBuf, String> {
    let exe = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    if exe.exists() {
        return Ok(exe);
    }
    eprintln!("{} not found: installing Debian's chromium", exe.display());
    let _ = Command::new("apt-get").arg("update").status();
    let _ = Command::new("apt-get").args(["install", "-y", "chromium", "chromium-driver"]).status();
    if exe.exists() {
        Ok(exe)
    } else {
        // Never a skip: with or without DBSIM_REQUIRE_BROWSER=1 (which CI sets), no browser is a failure.
        let ci = if std::env::var("DBSIM_REQUIRE_BROWSER").is_ok_and(|v| v == "1") { " (DBSIM_REQUIRE_BROWSER=1)" } else { "" };
        Err(format!("no browser found at {}{ci}: the browser tests cannot run (install chromium, or set CHROMIUM)", exe.display()))
    }
}

/// The browser and `web/e2e` with Playwright installed in it, for scripts that drive the browser.
pub fn playwright() -> Result<(PathBuf, PathBuf), String> {
    let exe = browser()?;
    let e2e_dir = root().join("web/e2e");
    if !e2e_dir.join("node_modules/playwright-core").exists() {
        let ok = Command::new("npm").arg("ci").arg("--silent").current_dir(&e2e_dir).status().is_ok_and(|s| s.success());
        if !ok {
            return Err("`npm ci` in web/e2e failed".into());
        }
    }
    Ok((exe, e2e_dir))
}

/// Builds the app, serves it on a free loopback port, and runs the Playwright end-to-end tests.
/// Returns (passed, failed).
pub fn e2e() -> Result<(u64, u64), String> {
    let (exe, e2e_dir) = playwright()?;
    let root = root();
    let dir = dist()?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = answer(stream, &dir);
        }
    });
    let shots = root.join("screenshots");
    let (mut passed, mut failed) = (0, 0);
    // Every lesson id with its file and module (`id=file=module` joined by spaces), so the embed's
    // tests can open each one.
    let ids: Vec<String> = lessons::IDS.iter().map(|&(id, file)| format!("{id}={file}={}", lessons::Module::of(file).name())).collect();
    // The app's pages, then the embed (`<dbsim-lesson>` on host pages, the iframe).
    for script in ["e2e.mjs", "embed.mjs"] {
        let out = Command::new("node")
            .arg(e2e_dir.join(script))
            .arg(format!("http://{addr}/"))
            .env("CHROMIUM", &exe)
            .env("SHOTS", &shots)
            .env("DBSIM_LESSON_IDS", ids.join(" "))
            .output()
            .map_err(|e| format!("node: {e}"))?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let (mut p, mut f) = (0, 0);
        for line in text.lines().filter(|l| l.starts_with("test e2e::")) {
            if line.ends_with("... ok") {
                p += 1;
            } else {
                f += 1;
            }
        }
        if !out.status.success() && f == 0 {
            f = 1;
        }
        passed += p;
        failed += f;
    }
    println!("screenshots: {}", shots.display());
    Ok((passed, failed))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shim_loads_each_lesson_in_its_module() {
        let map = super::module_map();
        assert!(map.contains("'11/scan-choice': 'dbsim_embed_plan'"), "{map}");
        assert!(map.contains("'10/good-shard-key': 'dbsim_embed_shard'"), "{map}");
        assert!(map.contains("'12/naive-rename': 'dbsim_embed_migrate'") && map.contains("'12/challenge-zero-downtime-rename': 'dbsim_embed_migrate'"), "{map}");
        assert!(!map.contains("12/drop-table-pitr"), "{map}");
        // Chapter 11's pooling lessons are a cluster's: the default module, left out.
        assert!(!map.contains("11/million-users-pgbouncer") && !map.contains("09/"), "{map}");
    }

    #[test]
    fn serve_refuses_paths_outside_the_folder() {
        let dir = std::env::temp_dir().join(format!("dbsim-serve-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/a.txt"), "a").unwrap();
        assert!(super::resolve(&dir, "sub/a.txt").is_some());
        for bad in ["../etc/passwd", "sub/../../x", "/etc/passwd", "sub/./a.txt/..", "sub", "missing.txt"] {
            assert!(super::resolve(&dir, bad).is_none(), "{bad} must be refused");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
