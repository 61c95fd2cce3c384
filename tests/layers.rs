//! Modules point one way. Inside each crate, its top-level modules (a file or a folder under
//! `src/`) are listed in layers, bottom first; a `crate::…` path in a module may name only a
//! module of a lower layer (or an outside crate). An edge that points up, or sideways within a
//! layer, fails here with the file that has it, so a cycle cannot come back. Tests inside a
//! module (`#[cfg(test)]`) are left out: a test may build what it needs from above.
//!
//! The crate root (`lib.rs`) sits above every layer: it declares the modules and re-exports
//! short paths, and a re-export counts as the module it names (`crate::pitr` is `backup`).
use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A crate's layers, bottom first.
struct Layers {
    dir: &'static str,
    layers: &'static [&'static [&'static str]],
}

const CRATES: &[Layers] = &[
    Layers {
        dir: "sim-core",
        layers: &[
            // Shared primitives: durations and placed errors, settings entries, the histogram.
            &["base"],
            // The events of a world and the handle that schedules them.
            &["event"],
            // The components, each below the ones that read it.
            &["net"],
            &["postgres"],
            // PostgreSQL's table-lock manager, which the request pipeline's lock stage uses.
            &["locks"],
            // The request pipeline on a host: its lock stage and its CPU.
            &["pipeline"],
            &["patroni", "proxy", "clients", "pool", "backup", "migrate"],
            // The commands a lesson, the UI and a link give the components.
            &["command"],
            &["shard"],
            &["invariants"],
            // The lesson format assembles the components' sections.
            &["scenario"],
            &["world"],
            // Code that builds and runs worlds of its own.
            &["runner"],
        ],
    },
    Layers {
        dir: "planner",
        layers: &[
            &["catalog"],
            &["settings", "sql", "stats", "dataexpr"],
            &["command"],
            &["lesson"],
            &["db"],
            &["bind"],
            &["selfuncs"],
            &["cost"],
            &["plan"],
            &["exec"],
            &["explain"],
            &["check"],
            &["whatif"],
            &["loaded"],
            &["export", "challenge", "view"],
        ],
    },
    Layers { dir: "session", layers: &[&["elements", "model", "text"], &["session"], &["view"], &["sharded", "replay"]] },
    Layers {
        dir: "web",
        layers: &[
            &["format", "edge"],
            &["charts", "lesson", "url"],
            // The page's state and the hook that drives a session.
            &["app"],
            // Panels whose buttons dispatch the page's actions.
            &["pitr", "component"],
            &["view"],
            &["embed"],
            &["shard", "plan"],
        ],
    },
];

/// The top-level module a file belongs to: `world/ha.rs` → `world`, `event.rs` → `event`; `None`
/// for the crate root and binaries.
fn unit_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    if first == "bin" || first == "lib.rs" || first == "main.rs" {
        return None;
    }
    Some(first.trim_end_matches(".rs").to_string())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("cfg") && a.meta.to_token_stream().to_string().replace(' ', "") == "cfg(test)")
}

/// The file without its `#[cfg(test)]` items, inline modules included.
fn without_tests(items: &mut Vec<syn::Item>) {
    items.retain(|item| {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Const(c) => &c.attrs,
            _ => &[],
        };
        !is_test(attrs)
    });
    for item in items {
        if let syn::Item::Mod(syn::ItemMod { content: Some((_, inner)), .. }) = item {
            without_tests(inner);
        }
    }
}

/// The first segment of every `crate::…` path in `tokens`, in use trees (`crate::{a, b::c}`),
/// code, macro bodies and the strings of attributes (`schemars(with = "crate::x::Y")`).
fn crate_paths(tokens: TokenStream, out: &mut Vec<String>) {
    let tt: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < tt.len() {
        match &tt[i] {
            TokenTree::Ident(id) if id == "crate" => {
                let colons = matches!((tt.get(i + 1), tt.get(i + 2)), (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) if a.as_char() == ':' && b.as_char() == ':');
                if colons {
                    match tt.get(i + 3) {
                        Some(TokenTree::Ident(first)) => out.push(first.to_string()),
                        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => group_heads(g.stream(), out),
                        _ => {}
                    }
                }
            }
            TokenTree::Group(g) => crate_paths(g.stream(), out),
            TokenTree::Literal(l) => {
                let text = l.to_string();
                for (at, _) in text.match_indices("crate::") {
                    let rest = &text[at + 7..];
                    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() {
                        out.push(name);
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// The first ident of each comma-separated entry of a use group (`{a::b, c, d::{e, f}}`).
fn group_heads(tokens: TokenStream, out: &mut Vec<String>) {
    let mut at_start = true;
    for t in tokens {
        match t {
            TokenTree::Ident(id) if at_start => {
                out.push(id.to_string());
                at_start = false;
            }
            TokenTree::Group(g) if at_start && g.delimiter() == Delimiter::Brace => {
                group_heads(g.stream(), out);
                at_start = false;
            }
            TokenTree::Punct(p) if p.as_char() == ',' => at_start = true,
            _ => at_start = false,
        }
    }
}

/// What the root's `use` items make of a name: `pitr` → `backup` (from `pub use backup::pitr`),
/// `SimDur` → outside (from `pub use time::SimDur` and `pub use sim_kernel::time`).
fn aliases(root: &syn::File, units: &[String]) -> BTreeMap<String, Option<String>> {
    fn leaves(tree: &syn::UseTree, first: Option<&str>, out: &mut Vec<(String, String)>) {
        match tree {
            syn::UseTree::Path(p) => {
                let head = p.ident.to_string();
                leaves(&p.tree, Some(first.unwrap_or(&head)), out);
            }
            syn::UseTree::Name(n) => out.push((first.unwrap_or("self").to_string(), n.ident.to_string())),
            syn::UseTree::Rename(r) => out.push((first.unwrap_or("self").to_string(), r.rename.to_string())),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| leaves(t, first, out)),
            syn::UseTree::Glob(_) => {}
        }
    }
    let mut pairs = Vec::new();
    for item in &root.items {
        if let syn::Item::Use(u) = item {
            leaves(&u.tree, None, &mut pairs);
        }
    }
    let mut map: BTreeMap<String, Option<String>> = BTreeMap::new();
    // Resolve in passes: a re-export may name an earlier one (`pub use lsn::Lsn`).
    for _ in 0..4 {
        for (head, leaf) in &pairs {
            let to = if units.contains(head) {
                Some(Some(head.clone()))
            } else if let Some(t) = map.get(head) {
                Some(t.clone())
            } else if head == "crate" || head == "self" || head == "super" {
                None
            } else {
                // An outside crate (`sim_kernel`, `serde`): allowed from every layer.
                Some(None)
            };
            if let Some(to) = to {
                map.insert(leaf.clone(), to);
            }
        }
    }
    map
}

fn check(krate: &Layers) -> Vec<String> {
    let root_dir = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join(krate.dir);
    let src = root_dir.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let layer: BTreeMap<&str, usize> = krate.layers.iter().enumerate().flat_map(|(i, l)| l.iter().map(move |u| (*u, i))).collect();
    let units: Vec<String> = files.iter().filter_map(|f| unit_of(&src, f)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let mut problems = Vec::new();
    for u in &units {
        if !layer.contains_key(u.as_str()) {
            problems.push(format!("{}: module `{u}` is in no layer of tests/layers.rs", krate.dir));
        }
    }
    for u in layer.keys() {
        if !units.iter().any(|x| x == u) {
            problems.push(format!("{}: tests/layers.rs names a module `{u}` the crate does not have", krate.dir));
        }
    }
    let root_file = ["lib.rs", "main.rs"].iter().map(|f| src.join(f)).find(|p| p.exists()).expect("a crate root");
    let root: syn::File = syn::parse_file(&std::fs::read_to_string(&root_file).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", root_file.display()));
    let alias = aliases(&root, &units);
    // Items the root defines itself (functions, types, constants): above every layer.
    let root_items: Vec<String> = root
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Fn(f) => Some(f.sig.ident.to_string()),
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            syn::Item::Const(c) => Some(c.ident.to_string()),
            syn::Item::Static(s) => Some(s.ident.to_string()),
            syn::Item::Type(t) => Some(t.ident.to_string()),
            syn::Item::Macro(m) => m.ident.as_ref().map(|i| i.to_string()),
            _ => None,
        })
        .collect();
    for f in &files {
        let Some(me) = unit_of(&src, f) else { continue };
        let Some(&my_layer) = layer.get(me.as_str()) else { continue };
        let text = std::fs::read_to_string(f).unwrap();
        let mut file = match syn::parse_file(&text) {
            Ok(file) => file,
            Err(e) => {
                problems.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        without_tests(&mut file.items);
        let mut heads = Vec::new();
        crate_paths(file.to_token_stream(), &mut heads);
        heads.sort();
        heads.dedup();
        let rel = f.strip_prefix(&root_dir).unwrap().display().to_string();
        for h in heads {
            let target = if units.contains(&h) {
                Some(h.clone())
            } else if let Some(t) = alias.get(&h) {
                t.clone()
            } else if root_items.contains(&h) {
                problems.push(format!("{}/{rel}: names `crate::{h}`, which the crate root defines: the root sits above every layer", krate.dir));
                continue;
            } else {
                problems.push(format!("{}/{rel}: names `crate::{h}`, which is no module of the crate", krate.dir));
                continue;
            };
            let Some(t) = target else { continue };
            if t == me {
                continue;
            }
            match layer.get(t.as_str()) {
                Some(&l) if l < my_layer => {}
                Some(&l) => problems.push(format!(
                    "{}/{rel}: `{me}` (layer {my_layer}) names `crate::{h}` (module `{t}`, layer {l}): {}",
                    krate.dir,
                    if l == my_layer { "modules of one layer do not name each other" } else { "a module names only lower layers" }
                )),
                None => {}
            }
        }
    }
    problems
}

#[test]
fn modules_point_one_way() {
    let problems: Vec<String> = CRATES.iter().flat_map(check).collect();
    assert!(problems.is_empty(), "{} edges point the wrong way:\n{}", problems.len(), problems.join("\n"));
}

/// The checker itself finds an edge up, an edge sideways and a cycle through a use group.
#[test]
fn the_checker_sees_edges_in_use_groups_code_macros_and_attribute_strings() {
    let src: TokenStream = r#"
        use crate::{a::b, c, d::{e, f}};
        fn g() { crate::h::i(); html! { <p>{ crate::j::k() }</p> } }
        #[cfg_attr(feature = "schema", schemars(with = "Option<crate::l::M>"))]
        struct N;
    "#
    .parse()
    .unwrap();
    let mut heads = Vec::new();
    crate_paths(src, &mut heads);
    heads.sort();
    assert_eq!(heads, ["a", "c", "d", "h", "j", "l"]);
    let mut file: syn::File = syn::parse_str("use crate::a::B; #[cfg(test)] mod tests { use crate::z::Y; } fn f() { crate::c::d(); }").unwrap();
    without_tests(&mut file.items);
    let mut heads = Vec::new();
    crate_paths(file.to_token_stream(), &mut heads);
    assert_eq!(heads, ["a", "c"]);
    let root: syn::File = syn::parse_str("pub use backup::pitr; pub use sim_kernel::{time, rng}; pub use time::SimDur; pub use postgres::lsn; pub use lsn::Lsn;").unwrap();
    let a = aliases(&root, &["backup".to_string(), "postgres".to_string()]);
    assert_eq!(a["pitr"], Some("backup".to_string()));
    assert_eq!(a["Lsn"], Some("postgres".to_string()));
    assert_eq!(a["SimDur"], None);
}
