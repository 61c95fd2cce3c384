//! Embeds every `scenarios/*.toml` file (and the sharding and planner lessons in their folders) as
//! `(file name, text)` pairs.
use std::fmt::Write;
use std::path::Path;

fn embed(out: &mut String, name: &str, doc: &str, dir: &Path) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir).expect("scenario directory exists").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
    files.sort();
    let names: Vec<&str> = files.iter().map(|f| f.file_name().and_then(|n| n.to_str()).expect("utf-8 file name")).collect();
    writeln!(out, "/// {doc}\npub const {name}: &[(&str, &str)] = &[").expect("write to string");
    for (f, file) in files.iter().zip(&names) {
        println!("cargo:rerun-if-changed={}", f.display());
        writeln!(out, "    ({file:?}, include_str!({:?})),", f.display().to_string()).expect("write to string");
    }
    out.push_str("];\n");
    writeln!(out, "/// The file names of `{name}` alone (a picker needs no lesson text).\npub const {name}_NAMES: &[&str] = &{names:?};").expect("write to string");
    // Each lesson's title, for pickers: the first `title = "…"` line.
    let titles: Vec<String> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).expect("lesson is readable");
            text.lines().find_map(|l| l.trim().strip_prefix("title").map(str::trim).and_then(|r| r.strip_prefix('=')).map(|r| r.trim().trim_matches('"').to_string())).unwrap_or_default()
        })
        .collect();
    writeln!(out, "/// The titles of `{name}`, in the same order as the names.\npub const {name}_TITLES: &[&str] = &{titles:?};").expect("write to string");
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut out = String::new();
    embed(&mut out, "BUILTIN", "Every built-in scenario: (file name, TOML text).", &dir);
    embed(&mut out, "SHARDING", "Every sharding lesson (`scenarios/sharding/`): (file name, TOML text).", &dir.join("sharding"));
    embed(&mut out, "PLANNER", "Every query-planning lesson (`scenarios/planner/`): (file name, TOML text).", &dir.join("planner"));
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin.rs");
    std::fs::write(dest, out).expect("write builtin.rs");
}
