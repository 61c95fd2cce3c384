//! The settings a running cluster takes (a `set` command, the pages' settings editor), as
//! PostgreSQL's GUC table describes its parameters: each is one entry, declared by the component
//! that owns it (`SETTINGS` in its folder), with its name, the group a page shows it in, its
//! form, and its parser (type, range, and the error a learner reads). `command::settings`
//! registers every component's list once; parsing, the known names, reading the values back and
//! the pages' fields all come from there.
use crate::time::{parse_duration, SimDur};
use std::fmt;

/// One setting, as its owner declares it.
#[derive(Debug)]
pub struct SettingDef {
    pub name: &'static str,
    /// The group a page offers it in (`command::settings::GROUPS`).
    pub group: &'static str,
    /// The choices a page offers (empty: a text field).
    pub options: &'static [&'static str],
    /// Whether the pages' settings editor shows it (the others are for lesson files and links).
    pub offered: bool,
    /// The kind of value it takes, for the lesson format's JSON Schema.
    pub form: Form,
    /// A value it takes, other than its default where it can be (the command tests and the
    /// docs use it).
    pub sample: &'static str,
    /// Reads a value as written (`"30s"`, `on`, `20`), with its range; the error is for the learner.
    pub parse: fn(&str) -> Result<Value, String>,
}

/// The kind of value a setting takes, as the lesson format's JSON Schema states it (the parser
/// checks the range).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Form {
    /// One of its `options`.
    Choice,
    /// `true`/`false` or `on`/`off`.
    Bool,
    /// A whole number, or one written as a string.
    Whole,
    /// A duration with a unit.
    Dur,
    /// A duration with a unit, or `0` for off.
    DurOrOff,
    /// A name or a list, as written.
    Text,
}

/// A setting's value, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Int(u64),
    Bool(bool),
    Dur(SimDur),
    /// One of the setting's options (`remote_apply`, `transaction`).
    Choice(String),
    /// A name or a list as written (`remote_apply`, `FIRST 1 (pg2, pg3)`), already checked.
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::Dur(d) => f.write_str(&duration_text(*d)),
            Value::Choice(t) | Value::Text(t) => f.write_str(t),
        }
    }
}

/// One setting change, already parsed: a registry name and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub value: Value,
}

impl Setting {
    /// The setting's name and its value as its parser reads it back.
    pub fn key_value(&self) -> (&'static str, String) {
        (self.name, self.value.to_string())
    }

    /// `key = value`, as the learner would write it.
    pub fn text(&self) -> String {
        match &self.value {
            Value::Text(t) => format!("{} = '{t}'", self.name),
            v => format!("{} = {v}", self.name),
        }
    }

    pub fn int(&self) -> Option<u64> {
        match self.value {
            Value::Int(v) => Some(v),
            _ => None,
        }
    }
    pub fn bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(v) => Some(v),
            _ => None,
        }
    }
    pub fn dur(&self) -> Option<SimDur> {
        match self.value {
            Value::Dur(v) => Some(v),
            _ => None,
        }
    }
    /// A choice or a text value.
    pub fn text_value(&self) -> Option<&str> {
        match &self.value {
            Value::Choice(v) | Value::Text(v) => Some(v),
            _ => None,
        }
    }
}

/// A group of settings a page shows together.
#[derive(Debug)]
pub struct GroupDef {
    pub name: &'static str,
    pub label: &'static str,
    /// Settings that a rule ties together (Patroni's `loop_wait + 2 × retry_timeout <= ttl`) are
    /// edited together and applied by one button as one command; the others one by one.
    pub together: bool,
    /// Why a lesson without the component that owns the group cannot set it (`None`: every
    /// lesson has it). A lesson has the group when its sections build that component
    /// (`Scenario::setting_groups`).
    pub missing: Option<&'static str>,
}

/// A whole number.
pub fn int(v: &str) -> Result<u64, String> {
    v.trim().parse::<u64>().map_err(|_| format!("`{v}` is not a whole number"))
}

/// A whole number within `lo..=hi`, or an error naming the setting.
pub fn int_in(key: &str, v: &str, lo: u64, hi: u64) -> Result<Value, String> {
    let n = int(v)?;
    if n < lo || n > hi {
        return Err(format!("{key} = {n} must be {lo} to {hi}"));
    }
    Ok(Value::Int(n))
}

/// `true`/`on` or `false`/`off`.
pub fn boolean(v: &str) -> Result<Value, String> {
    match v.trim() {
        "true" | "on" => Ok(Value::Bool(true)),
        "false" | "off" => Ok(Value::Bool(false)),
        _ => Err(format!("`{v}` is not true or false")),
    }
}

/// A duration setting that `0` turns off: `"30s"`, `"10min"`, or `0`.
pub fn duration_or_off(v: &str) -> Result<SimDur, String> {
    match v.trim() {
        "0" => Ok(SimDur::ZERO),
        t => parse_duration(t),
    }
}

/// A duration as a setting is written, and read back by its parser: `0` (off), `10min`, `30s`,
/// `250ms`, `1500us`.
pub fn duration_text(d: SimDur) -> String {
    let ms = d.0 / 1000;
    match ms {
        _ if d.0 == 0 => "0".into(),
        _ if !d.0.is_multiple_of(1000) => format!("{}us", d.0),
        _ if ms.is_multiple_of(60_000) => format!("{}min", ms / 60_000),
        _ if ms.is_multiple_of(1000) => format!("{}s", ms / 1000),
        _ => format!("{ms}ms"),
    }
}
