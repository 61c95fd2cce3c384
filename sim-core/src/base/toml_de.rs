//! Reading TOML with serde and the `toml` crate: errors placed at file:line:column with the
//! field's path (`timeline[2].node`), and validation paths located in the parsed document.
use crate::base::{ScenarioError, Seg};
use serde::de::{self, DeserializeOwned, Deserializer};
use serde::Deserialize;
use toml::de::{DeTable, DeValue};

/// Parses `src` into `T`; a syntax or type error names `file`, the line, the column and the field.
pub fn from_str<T: DeserializeOwned>(file: &str, src: &str) -> Result<T, ScenarioError> {
    let root = DeTable::parse(src).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        placed(file, src, at, key_at(src, at), e.message().trim().to_string())
    })?;
    T::deserialize(crate::base::de::Value::root(&root)).map_err(|e| {
        let at = e.span.map_or(0, |s| s.start);
        placed(file, src, at, path_at(src, at), e.message.trim().to_string())
    })
}

/// Each table header's name in `src` without its brackets (`[[a.b]]` gives `a.b`, and whether it
/// was an array of tables), read line by line: which page runs a lesson is decided before parsing it.
pub fn headers(src: &str) -> impl Iterator<Item = (String, bool)> + '_ {
    src.lines().filter_map(|line| {
        let l: String = line.split('#').next().unwrap_or("").chars().filter(|c| !c.is_whitespace()).collect();
        let inner = l.strip_prefix('[')?;
        let array = inner.starts_with('[');
        Some((inner.trim_start_matches('[').trim_end_matches(']').to_string(), array))
    })
}

/// The first dotted part of a table header's name: the section it belongs to.
pub fn top(header: &str) -> &str {
    header.split('.').next().unwrap_or("")
}

/// The path (`timeline[2].node`) of the deepest key or array element written at byte `at`: the
/// field a deserialisation error (which carries its place) is about. Read from the document's
/// spans, so no wrapper has to track the path through every nested type while parsing. A table
/// written under a `[header]` (or an element of `[[header]]`s) owns the text after its header, so
/// the one whose header comes last before `at` holds it; an inline value holds only its own text.
pub fn path_at(src: &str, at: usize) -> String {
    let Ok(root) = DeTable::parse(src) else { return String::new() };
    let within = |r: std::ops::Range<usize>| r.start <= at && at < r.end;
    let mut path = String::new();
    let mut table = Some(root.get_ref());
    let mut array: Option<(&[toml::Spanned<DeValue>], bool)> = None;
    loop {
        let next = if let Some(t) = table {
            // A header's span (`[lesson]`) begins before its key's; an inline value's after it.
            let start = |(k, v): &(&toml::Spanned<_>, &toml::Spanned<DeValue>)| k.span().start.min(v.span().start);
            let Some((k, v)) = t.iter().filter(|e| start(e) <= at).max_by_key(start) else { break };
            // A table made by a dotted header (`expect` of `[expect.metrics]`) has its key's span:
            // like a header's table, it owns the text after it.
            let header = v.span().start < k.span().start || (v.span() == k.span() && v.get_ref().as_table().is_some());
            if !(header || within(k.span()) || within(v.span())) {
                break;
            }
            crate::base::push_key(&mut path, k.get_ref());
            (v.get_ref(), header)
        } else if let Some((items, header)) = array {
            let found = if header { items.iter().enumerate().rfind(|(_, n)| n.span().start <= at) } else { items.iter().enumerate().find(|(_, n)| within(n.span())) };
            let Some((i, n)) = found else { break };
            path.push_str(&format!("[{i}]"));
            (n.get_ref(), header)
        } else {
            break;
        };
        table = next.0.as_table();
        array = match next.0 {
            DeValue::Array(a) => Some((&a[..], next.1)),
            _ => None,
        };
    }
    path
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

#[cfg(test)]
mod tests {
    /// A key under a dotted header (`[expect.metrics]`) is named with the header's path.
    #[test]
    fn a_key_under_a_dotted_header_has_its_path() {
        let src = "[lesson]\ntitle = \"t\"\n[expect.metrics]\nreads_failed = { max = 0 }\n";
        let at = src.find("reads_failed").unwrap();
        assert_eq!(super::path_at(src, at), "expect.metrics.reads_failed");
        let dotted = "[lesson]\ntitle = \"t\"\n[expect]\nmetrics.reads_failed = { max = 0 }\nviolated = []\n";
        assert_eq!(super::path_at(dotted, dotted.find("max").unwrap()), "expect.metrics.reads_failed.max");
        assert_eq!(super::path_at(dotted, dotted.find("violated").unwrap()), "expect.violated");
    }
}
