//! Shared primitives below every component: durations as lesson files write them, the placed
//! error of a lesson file (file:line:column:field) and the reader that places it, and a refused
//! command's kind. Nothing here names a component.
pub mod de;
pub mod histogram;
#[cfg(feature = "schema")]
pub mod schema;
pub mod settings;
pub mod toml_de;
pub mod view;
use crate::time::SimDur;

/// What a figure is measured in, so a view words its value without reading its name.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    #[default]
    Count,
    Bytes,
    PerSecond,
    Permille,
    Percent,
    Ms,
    Seconds,
    /// One figure over another (`3.2×`).
    Ratio,
    /// A shard's index; below zero, none.
    Shard,
}

/// A figure a component registers by name for a lesson's `[expect.metrics]`, with its unit
/// (`Metric::Component`; the component reads its value by the same name).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FigureDef {
    pub name: &'static str,
    pub unit: Unit,
}

/// The most per-second samples a series keeps (48 hours, the longest run).
pub const SERIES_CAP: usize = 48 * 3600;
use serde::Deserialize;
use std::fmt;

/// A duration written with a unit, like `"30s"` or `"250ms"`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub SimDur);

impl serde::Serialize for Dur {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}us", self.0 .0))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::base::toml_de::parsed(d, |t| crate::time::parse_duration(t).map(Dur))
    }
}

/// A section another component reads from the same text (see `Scenario::table`): here, only that
/// it is there.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Section;

impl<'de> Deserialize<'de> for Section {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Section)
    }
}

pub const fn dur_ms(v: u64) -> Dur {
    Dur(SimDur::ms(v))
}

/// `CommitP50Ms` → `commit_p50_ms`: the names scenario files use for enum variants.
pub fn snake_case(camel: &str) -> String {
    camel.chars().fold(String::new(), |mut s, c| {
        if c.is_uppercase() && !s.is_empty() {
            s.push('_');
        }
        s.push(c.to_ascii_lowercase());
        s
    })
}

/// A scenario error with its place in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: field `{}`: {}", self.file, self.line, self.column, self.field, self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// A path into the document: table keys and array indices.
#[derive(Clone, Debug)]
pub enum Seg {
    Key(&'static str),
    Name(String),
    Index(usize),
}

impl Seg {
    pub(crate) fn key(&self) -> &str {
        match self {
            Seg::Key(k) => k,
            Seg::Name(k) => k,
            Seg::Index(_) => "",
        }
    }
}

/// A validation failure before it is placed in the file.
#[derive(Clone, Debug)]
pub struct Invalid {
    pub path: Vec<Seg>,
    pub message: String,
}

pub fn invalid(path: Vec<Seg>, message: impl Into<String>) -> Invalid {
    Invalid { path, message: message.into() }
}

/// `name = v` must lie in `lo..=hi`: the error stands at `path`.
pub fn check_range(path: Vec<Seg>, name: &str, v: u64, lo: u64, hi: u64) -> Result<(), Invalid> {
    if v < lo || v > hi {
        return Err(invalid(path, format!("{name} = {v} must be {lo} to {hi}")));
    }
    Ok(())
}

/// The duration `name = v` must lie in `lo..=hi`: the error stands at `path`.
pub fn check_dur(path: Vec<Seg>, name: &str, v: Dur, lo: SimDur, hi: SimDur) -> Result<(), Invalid> {
    if v.0 < lo || v.0 > hi {
        return Err(invalid(path, format!("{name} = {} must be {} to {}", v.0.human(), lo.human(), hi.human())));
    }
    Ok(())
}

/// Finds where `inv.path` sits in `src` (falling back to the deepest part that exists).
pub fn place(file: &str, src: &str, inv: &Invalid) -> ScenarioError {
    let at = crate::base::toml_de::locate(src, &inv.path).unwrap_or(0);
    crate::base::toml_de::placed(file, src, at, path_text(&inv.path), inv.message.clone())
}

fn path_text(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
            named => push_key(&mut s, named.key()),
        }
    }
    s
}

pub(crate) fn push_key(s: &mut String, k: &str) {
    if !s.is_empty() {
        s.push('.');
    }
    s.push_str(k);
}

/// A clear refusal of a command that cannot apply. Decisions read `kind`; `message` is for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError {
    pub kind: CommandErrorKind,
    pub message: String,
    /// The argument it stands beside (`sql`), when it is one argument's fault; else the action.
    pub field: Option<&'static str>,
}

/// Why a command was refused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandErrorKind {
    /// It names a node, region, slot, backup or operator error that does not exist.
    UnknownName,
    /// It needs a `[backup]` section the scenario does not have.
    NoBackup,
    /// A value out of range or malformed (a time, an LSN, a setting).
    BadValue,
    /// The cluster's state refuses it now (a switchover with no leader, no writable primary).
    Refused,
    /// Before the current time or after the end of the run.
    OutOfTime,
    QueueFull,
}

impl CommandError {
    pub fn new(kind: CommandErrorKind, message: impl Into<String>) -> CommandError {
        CommandError { kind, message: message.into(), field: None }
    }
    /// The same error, beside argument `field`.
    pub fn at(self, field: &'static str) -> CommandError {
        CommandError { field: Some(field), ..self }
    }
    pub fn bad_value(message: String) -> CommandError {
        CommandError::new(CommandErrorKind::BadValue, message)
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
