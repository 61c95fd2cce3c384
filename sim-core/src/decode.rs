//! Typed reading of a parsed TOML table: required and optional fields, defaults and unknown-field
//! errors, each error carrying the field's path and its offset in the file.
use crate::tomlite::{Node, Table, Value};
use std::collections::BTreeMap;

/// A value of the wrong type or meaning, a missing field or an unknown one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeError {
    pub at: usize,
    pub path: String,
    pub message: String,
}

pub fn fail<T>(at: usize, path: &str, message: impl Into<String>) -> Result<T, DeError> {
    Err(DeError { at, path: path.to_string(), message: message.into() })
}

/// A type read from one TOML value; `path` names it in errors (`nodes[1].name`).
pub trait FromToml: Sized {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError>;
}

/// The fields of one table, read one by one; `done` refuses the ones nobody asked for.
#[derive(Debug)]
pub struct Fields<'a> {
    table: &'a Table,
    path: String,
    at: usize,
    asked: Vec<&'static str>,
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Fields<'a> {
    pub fn root(table: &'a Table) -> Self {
        Fields { table, path: String::new(), at: 0, asked: Vec::new() }
    }

    pub fn of(n: &'a Node, path: &str) -> Result<Self, DeError> {
        match &n.value {
            Value::Table(table) => Ok(Fields { table, path: path.to_string(), at: n.at, asked: Vec::new() }),
            other => fail(n.at, path, format!("expected a table, found {}", other.kind())),
        }
    }

    /// The field's value and path, marking the key as known. Not inlined: a scenario has
    /// ~150 fields and this keeps each one a call (the browser build is size-bound).
    #[inline(never)]
    fn lookup(&mut self, key: &'static str) -> Option<(&'a Node, String)> {
        self.asked.push(key);
        self.table.get(key).map(|e| (&e.node, join(&self.path, key)))
    }

    pub fn opt<T: FromToml>(&mut self, key: &'static str) -> Result<Option<T>, DeError> {
        match self.lookup(key) {
            Some((n, path)) => T::from_toml(n, &path).map(Some),
            None => Ok(None),
        }
    }

    /// Replaces `*slot` when the field is present.
    pub fn set<T: FromToml>(&mut self, key: &'static str, slot: &mut T) -> Result<(), DeError> {
        if let Some(x) = self.opt(key)? {
            *slot = x;
        }
        Ok(())
    }

    /// Fails unless the field is present.
    pub fn need(&self, key: &'static str) -> Result<(), DeError> {
        match self.table.get(key) {
            Some(_) => Ok(()),
            None => Err(self.missing(key)),
        }
    }

    fn missing(&self, key: &str) -> DeError {
        DeError { at: self.at, path: join(&self.path, key), message: format!("missing field `{key}`") }
    }

    pub fn req<T: FromToml>(&mut self, key: &'static str) -> Result<T, DeError> {
        self.opt(key)?.ok_or_else(|| self.missing(key))
    }

    pub fn or<T: FromToml>(&mut self, key: &'static str, default: T) -> Result<T, DeError> {
        Ok(self.opt(key)?.unwrap_or(default))
    }

    /// Refuses any key that was not asked for, naming the ones that exist.
    pub fn done(self) -> Result<(), DeError> {
        match self.table.entries.iter().find(|e| !self.asked.contains(&e.key.as_str())) {
            None => Ok(()),
            Some(e) => {
                let known: Vec<String> = self.asked.iter().map(|k| format!("`{k}`")).collect();
                fail(e.at, &join(&self.path, &e.key), format!("unknown field `{}`, expected one of {}", e.key, known.join(", ")))
            }
        }
    }
}

fn wrong<T>(n: &Node, path: &str, want: &str) -> Result<T, DeError> {
    fail(n.at, path, format!("invalid type: expected {want}, found {} `{}`", n.value.kind(), n.value))
}

impl FromToml for String {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        match &n.value {
            Value::Str(s) => Ok(s.clone()),
            _ => wrong(n, path, "a string"),
        }
    }
}

impl FromToml for bool {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        match n.value {
            Value::Bool(b) => Ok(b),
            _ => wrong(n, path, "true or false"),
        }
    }
}

impl FromToml for i64 {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        match n.value {
            Value::Int(i) => Ok(i),
            _ => wrong(n, path, "an integer"),
        }
    }
}

impl FromToml for u64 {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        u64::try_from(i64::from_toml(n, path)?).or_else(|_| fail(n.at, path, format!("{} is negative; expected 0 or more", n.value)))
    }
}

impl FromToml for u32 {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        u32::try_from(u64::from_toml(n, path)?).or_else(|_| fail(n.at, path, format!("{} is too large (at most {})", n.value, u32::MAX)))
    }
}

impl FromToml for f64 {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        match n.value {
            Value::Float(x) => Ok(x),
            Value::Int(i) => Ok(i as f64),
            _ => wrong(n, path, "a number"),
        }
    }
}

impl<T: FromToml> FromToml for Vec<T> {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        match &n.value {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, x) in items.iter().enumerate() {
                    out.push(T::from_toml(x, &format!("{path}[{i}]"))?);
                }
                Ok(out)
            }
            _ => wrong(n, path, "an array"),
        }
    }
}

/// A table whose keys are data (node names, metric names).
pub fn map_of<K: Ord, V: FromToml>(n: &Node, path: &str, key: impl Fn(&str) -> Option<K>, expected: &str) -> Result<BTreeMap<K, V>, DeError> {
    let Value::Table(t) = &n.value else { return wrong(n, path, "a table") };
    let mut out = BTreeMap::new();
    for e in &t.entries {
        let p = join(path, &e.key);
        let k = key(&e.key).map_or_else(|| fail(e.at, &p, format!("unknown key `{}`, expected {expected}", e.key)), Ok)?;
        out.insert(k, V::from_toml(&e.node, &p)?);
    }
    Ok(out)
}

/// One of a fixed set of names (an enum written in snake_case).
pub fn one_of<T: Copy>(n: &Node, path: &str, names: &[(&str, T)]) -> Result<T, DeError> {
    let s = String::from_toml(n, path)?;
    match names.iter().find(|(name, _)| *name == s) {
        Some((_, v)) => Ok(*v),
        None => {
            let all: Vec<&str> = names.iter().map(|(name, _)| *name).collect();
            fail(n.at, path, format!("unknown variant `{s}`, expected one of {}", all.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tomlite::parse;

    #[test]
    fn fields_are_typed_and_strict() {
        let root = parse("a = 1\nb = \"x\"\nc = [1, 2]\nd = -1\n").unwrap();
        let mut f = Fields::root(&root);
        assert_eq!(f.req::<u64>("a"), Ok(1));
        assert_eq!(f.req::<String>("b"), Ok("x".into()));
        assert_eq!(f.or::<Vec<u32>>("c", vec![]), Ok(vec![1, 2]));
        assert_eq!(f.or::<u32>("zz", 7), Ok(7));
        assert!(f.req::<u64>("missing").unwrap_err().message.contains("missing field `missing`"));
        let e = f.done().unwrap_err();
        assert_eq!((e.at, e.path.as_str()), (25, "d"));
        assert!(e.message.starts_with("unknown field `d`, expected one of `a`, `b`"), "{}", e.message);
        let mut f = Fields::root(&root);
        let e = f.req::<u64>("d").unwrap_err();
        assert!(e.message.contains("negative"), "{}", e.message);
        let e = f.req::<bool>("b").unwrap_err();
        assert_eq!(e.message, "invalid type: expected true or false, found a string `\"x\"`");
    }
}
