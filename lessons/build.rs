//! Embeds every `scenarios/*.toml` file (and the sharding and planner lessons in their folders) as
//! `(file name, text)` pairs.
use std::fmt::Write;
use std::path::Path;

fn embed(out: &mut String, name: &str, doc: &str, dir: &Path, prefix: &str) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir).expect("scenario directory exists").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
    files.sort();
    let names: Vec<String> = files.iter().map(|f| format!("{prefix}{}", f.file_name().and_then(|n| n.to_str()).expect("utf-8 file name"))).collect();
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

/// The course chapter a lesson belongs to, from its `chapter = "…"` line (planner lessons are
/// chapter 11 by their folder).
fn chapter_number(text: &str) -> Option<u32> {
    let name = text.lines().find_map(|l| l.trim().strip_prefix("chapter").map(str::trim).and_then(|r| r.strip_prefix('=')).map(|r| r.trim().trim_matches('"').to_string()))?;
    Some(match name.as_str() {
        "Replication & high availability" => 9,
        "Sharding & partitioning" => 10,
        "Query optimization" => 11,
        "Backup & disaster recovery" => 12,
        _ => return None,
    })
}

/// Stable lesson ids for embedding (`09/async-failover`): the course chapter, then the file name
/// without its order prefix (`01-`, `03a-`) and extension.
fn ids(out: &mut String, dir: &Path) {
    let mut rows = Vec::new();
    for (sub, fixed) in [("", None), ("sharding/", None), ("planner/", Some(11)), ("challenges/", None)] {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(sub)).expect("lesson directory").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("lesson is readable");
            let Some(ch) = fixed.or_else(|| chapter_number(&text)) else { panic!("{}: no known `chapter`", f.display()) };
            let stem = f.file_stem().and_then(|s| s.to_str()).expect("utf-8 file name");
            let slug = stem.split_once('-').map_or(stem, |(_, rest)| rest);
            let slug = if sub == "challenges/" { format!("challenge-{slug}") } else { slug.to_string() };
            let file = format!("{sub}{}", f.file_name().and_then(|n| n.to_str()).expect("utf-8 file name"));
            rows.push((format!("{ch:02}/{slug}"), file));
        }
    }
    writeln!(out, "/// Every lesson's stable id (`09/async-failover`) and its file under `scenarios/`.\npub const IDS: &[(&str, &str)] = &{rows:?};").expect("write to string");
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut out = String::new();
    embed(&mut out, "BUILTIN", "Every built-in scenario: (file name, TOML text).", &dir, "");
    embed(&mut out, "SHARDING", "Every sharding lesson (`scenarios/sharding/`): (file name, TOML text).", &dir.join("sharding"), "");
    embed(&mut out, "PLANNER", "Every query-planning lesson (`scenarios/planner/`): (file name, TOML text).", &dir.join("planner"), "");
    embed(&mut out, "CHALLENGES", "Every challenge (`scenarios/challenges/`): (`challenges/` + file name, TOML text).", &dir.join("challenges"), "challenges/");
    ids(&mut out, &dir);
    // Challenges that are sharded lessons (they open on the sharding page): a `[cluster]` section.
    let mut sharded: Vec<String> = std::fs::read_dir(dir.join("challenges"))
        .expect("challenges directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| std::fs::read_to_string(p).expect("lesson is readable").lines().any(|l| l.trim() == "[cluster]"))
        .map(|p| format!("challenges/{}", p.file_name().and_then(|n| n.to_str()).expect("utf-8 file name")))
        .collect();
    sharded.sort();
    writeln!(out, "/// The challenges that are sharded lessons.\npub const SHARDED_CHALLENGES: &[&str] = &{sharded:?};").expect("write to string");
    // The lessons with a migration (a `[migration]` section): they open on the migrations page,
    // whose module has the component. `tests/` checks this list against sim-core's own reading.
    let mut migrations = Vec::new();
    for (sub, prefix) in [("", ""), ("challenges", "challenges/")] {
        for p in std::fs::read_dir(dir.join(sub)).expect("lesson directory").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")) {
            let text = std::fs::read_to_string(&p).expect("lesson is readable");
            if text.lines().any(|l| l.trim() == "[migration]" || l.trim().starts_with("[[migration.")) {
                migrations.push(format!("{prefix}{}", p.file_name().and_then(|n| n.to_str()).expect("utf-8 file name")));
            }
        }
    }
    migrations.sort();
    writeln!(out, "/// The lessons with a `[migration]` section (they open on the migrations page).\npub const MIGRATION_NAMES: &[&str] = &{migrations:?};").expect("write to string");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin.rs");
    std::fs::write(dest, out).expect("write builtin.rs");
}
