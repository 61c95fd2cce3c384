//! Builds the browser app (wasm32 + wasm-bindgen glue, no downloads) and serves `dist/`.
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `cargo build` for wasm32, `wasm-bindgen --target web`, `wasm-opt` when a recent one exists, `index.html`.
pub fn dist() -> Result<PathBuf, String> {
    crate::cargo(&["build", "-p", "web", "--bin", "web", "--target", "wasm32-unknown-unknown", "--profile", "web"])?;
    let root = root();
    let wasm = root.join("target/wasm32-unknown-unknown/web/web.wasm");
    let out = root.join("dist");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut b = wasm_bindgen_cli_support::Bindgen::new();
    b.input_path(&wasm).out_name("dbsim").typescript(false);
    b.web(true).map_err(|e| format!("wasm-bindgen: {e}"))?;
    b.generate(&out).map_err(|e| format!("wasm-bindgen: {e}"))?;
    let bg = out.join("dbsim_bg.wasm");
    optimise(&bg);
    std::fs::copy(root.join("index.html"), out.join("index.html")).map_err(|e| format!("index.html: {e}"))?;
    report_size(&bg);
    Ok(out)
}

/// Runs `wasm-opt -Oz` if a version new enough to read current rustc output (>= 116) is installed.
fn optimise(wasm: &Path) {
    let version = Command::new("wasm-opt").arg("--version").output().ok().and_then(|o| {
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        text.split_whitespace().find_map(|w| w.parse::<u32>().ok())
    });
    match version {
        Some(v) if v >= 116 => {
            let ok = Command::new("wasm-opt").args(["-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "-o"]).arg(wasm).arg(wasm).status().is_ok_and(|s| s.success());
            eprintln!("wasm-opt {v}: {}", if ok { "optimised" } else { "failed, keeping the unoptimised module" });
        }
        Some(v) => eprintln!("wasm-opt {v} is too old to read this module; skipped"),
        None => eprintln!("wasm-opt not found; skipped (npm's binaryen or the wasm-opt crate provide it)"),
    }
}

fn report_size(wasm: &Path) {
    let raw = std::fs::metadata(wasm).map(|m| m.len()).unwrap_or(0);
    let gz = Command::new("gzip").arg("-9c").arg(wasm).output().map(|o| o.stdout.len()).unwrap_or(0);
    eprintln!("{}: {raw} bytes raw, {gz} bytes gzip", wasm.display());
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
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").split(['?', '#']).next().unwrap_or("/");
    let rel = if path == "/" { "index.html" } else { path.trim_start_matches('/') };
    let file = dir.join(rel);
    let safe = !rel.split('/').any(|p| p == "..");
    match std::fs::read(&file) {
        Ok(body) if safe => {
            write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n", content_type(&file), body.len())?;
            stream.write_all(&body)
        }
        _ => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"),
    }
}
