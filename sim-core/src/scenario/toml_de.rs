//! Reading TOML with serde and the `toml` crate: errors placed at file:line:column with the
//! field's path (`timeline[2].node`), and validation paths located in the parsed document.
use crate::scenario::{ScenarioError, Seg};
use serde::de::{self, DeserializeOwned, Deserializer};
use serde::Deserialize;
use toml::de::{DeTable, DeValue};

/// Parses `src` into `T`; a syntax or type error names `file`, the line, the column and the field.
pub fn from_str<T: DeserializeOwned>(file: &str, src: &str) -> Result<T, ScenarioError> {
    let de = toml::Deserializer::parse(src).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        placed(file, src, at, key_at(src, at), e.message().trim().to_string())
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let inner = e.into_inner();
        let at = inner.span().map(|s| s.start).or_else(|| locate_text(src, &path)).unwrap_or(0);
        placed(file, src, at, path, inner.message().trim().to_string())
    })
}

pub fn placed(file: &str, src: &str, at: usize, field: String, message: String) -> ScenarioError {
    let (line, column) = line_col(src, at);
    ScenarioError { file: file.into(), line, column, field, message }
}

/// The key written on the line holding `offset`, or the table header.
fn key_at(src: &str, offset: usize) -> String {
    let begin = src[..offset.min(src.len())].rfind('\n').map_or(0, |p| p + 1);
    let line = src[begin..].lines().next().unwrap_or("");
    match line.split_once('=') {
        Some((k, _)) => k.trim().to_string(),
        None => line.trim().trim_matches(|c| c == '[' || c == ']').to_string(),
    }
}

pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let offset = (0..=offset).rev().find(|&i| src.is_char_boundary(i)).unwrap_or(0);
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.chars().count(), |p| before[p + 1..].chars().count()) + 1;
    (line, col)
}

/// Where `path` (`timeline[2].node`) sits in `src`: the deepest part of it that exists.
fn locate_text(src: &str, path: &str) -> Option<usize> {
    let mut segs = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            segs.push(Seg::Name(key.to_string()));
        }
        for idx in rest.split('[') {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                segs.push(Seg::Index(i));
            }
        }
    }
    locate(src, &segs)
}

/// The byte offset of the deepest part of `path` found in `src`.
pub fn locate(src: &str, path: &[Seg]) -> Option<usize> {
    let root = DeTable::parse(src).ok()?;
    let mut table: Option<&DeTable> = Some(root.get_ref());
    let mut value: Option<&DeValue> = None;
    let mut best = None;
    for seg in path {
        match seg {
            Seg::Index(i) => {
                let Some(DeValue::Array(a)) = value else { break };
                let Some(n) = a.get(*i) else { break };
                best = Some(n.span().start);
                value = Some(n.get_ref());
                table = n.get_ref().as_table();
            }
            Seg::Key(_) | Seg::Name(_) => {
                let key = seg.key();
                let Some((k, v)) = table.and_then(|t| t.iter().find(|(k, _)| k.get_ref() == key)) else { break };
                best = Some(k.span().start);
                value = Some(v.get_ref());
                table = v.get_ref().as_table();
            }
        }
    }
    best
}

/// A string read and converted by `parse`, whose error becomes the field's error.
pub fn parsed<'de, D: Deserializer<'de>, T>(d: D, parse: impl Fn(&str) -> Result<T, String>) -> Result<T, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).map_err(de::Error::custom)
}

/// `{ key = value, ... }` with every value as text, in the order written.
pub fn text_map<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Bool(bool),
        Int(i64),
        Float(f64),
        Text(String),
    }
    struct V;
    impl<'de> de::Visitor<'de> for V {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a table of settings, like { ttl = 20, synchronous_commit = \"on\" }")
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some((k, v)) = m.next_entry::<String, Scalar>()? {
                let text = match v {
                    Scalar::Bool(b) => b.to_string(),
                    Scalar::Int(i) => i.to_string(),
                    Scalar::Float(x) => x.to_string(),
                    Scalar::Text(s) => s,
                };
                out.push((k, text));
            }
            Ok(out)
        }
    }
    d.deserialize_map(V)
}

/// `"a"` as a TOML basic string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
