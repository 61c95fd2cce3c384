//! `[migration]`: the schema a migration changes, and the settings of the session that runs its
//! steps (`lock_timeout`, `statement_timeout`, the retry policy), as a lesson writes them.
use crate::base::settings::{Form, Setting, SettingDef, Value};
use crate::base::{check_dur, check_range, Dur, Invalid, Seg};
use crate::time::SimDur;
use serde::{Deserialize, Serialize};

/// The most rows a table may have.
pub const MAX_ROWS: u64 = 1_000_000_000;
/// The most tables and columns a lesson may declare.
pub const MAX_TABLES: usize = 16;
pub const MAX_COLUMNS: usize = 64;

/// What the migration session does after `lock_timeout` cancels a statement.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Retry {
    /// The step fails.
    #[default]
    None,
    /// strong_migrations' `lock_timeout_retries = 3`, `lock_timeout_retry_delay = 10 s`.
    Fixed,
    /// reshape's: 100 ms doubling to 3.2 s, plus jitter up to half the wait; 10 attempts.
    Exponential,
}

impl Retry {
    pub fn name(self) -> &'static str {
        match self {
            Retry::None => "none",
            Retry::Fixed => "fixed",
            Retry::Exponential => "exponential",
        }
    }
    pub fn parse(v: &str) -> Result<Retry, String> {
        match v.trim_ascii().trim_matches(|c| c == '"' || c == '\'') {
            "none" => Ok(Retry::None),
            "fixed" => Ok(Retry::Fixed),
            "exponential" => Ok(Retry::Exponential),
            other => Err(format!("unknown migration_retry `{other}`; known: none, fixed, exponential")),
        }
    }
    /// How many attempts a statement gets in all.
    pub fn attempts(self) -> u32 {
        match self {
            Retry::None => 1,
            Retry::Fixed => 4,
            Retry::Exponential => 10,
        }
    }
    /// The wait before attempt `next` (2 for the first retry), without jitter, and the most
    /// jitter added (a uniform share of it).
    pub fn delay(self, next: u32) -> (SimDur, SimDur) {
        match self {
            Retry::None => (SimDur::ZERO, SimDur::ZERO),
            Retry::Fixed => (SimDur::secs(10), SimDur::ZERO),
            Retry::Exponential => {
                let d = SimDur::ms(100 << (next.saturating_sub(2)).min(5)).min(SimDur::ms(3200));
                (d, SimDur(d.0 / 2))
            }
        }
    }
}

/// A table of the lesson's schema besides the clients' `accounts`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TableCfg {
    pub name: String,
    pub rows: u64,
    /// Its columns beyond `id bigint primary key`, as `name type` (`"account_id bigint"`).
    #[serde(default)]
    pub columns: Vec<String>,
    /// The bytes a row takes on disk (header, columns, line pointer), which sizes its heap.
    #[serde(default = "row_bytes")]
    pub row_bytes: u64,
}

fn row_bytes() -> u64 {
    44
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MigrationCfg {
    /// Columns the clients' table `accounts` has beyond `id bigint` and `balance bigint`, as
    /// `name type` (`"email text"`). Its rows are `[workload] keys`.
    #[serde(default)]
    pub columns: Vec<String>,
    /// The bytes an `accounts` row takes on disk (44 for its two bigints alone).
    #[serde(default = "row_bytes")]
    pub row_bytes: u64,
    /// Other tables (a foreign key's target, a table nobody queries).
    #[serde(default)]
    pub tables: Vec<TableCfg>,
    /// The migration session's `lock_timeout` (absent or 0: wait for ever, PostgreSQL's default).
    #[serde(default)]
    pub lock_timeout: Option<Dur>,
    #[serde(default)]
    pub statement_timeout: Option<Dur>,
    #[serde(default)]
    pub retry: Retry,
    /// The application's versions, the first running everywhere at the start; `deploy`
    /// commands roll the app instances onto another.
    #[serde(default)]
    pub versions: Vec<super::app::VersionCfg>,
    /// pgroll manages `accounts`: the name of its last completed migration (`"01_initial"`),
    /// whose version schema `public_01_initial` shows every column. `pgroll` commands start,
    /// complete and roll back the next; a version picks its schema with `search_path`.
    #[serde(default)]
    pub pgroll: Option<String>,
    /// Trigger functions `CREATE TRIGGER … EXECUTE FUNCTION name()` may call, each copying one
    /// column of the new row into another: `"sync_email_address: NEW.email_address := NEW.email"`.
    #[serde(default)]
    pub functions: Vec<String>,
}

/// Whether `name` is a pgroll migration name dbsim takes (letters, digits, _; at most 40, so its
/// schema's name fits PostgreSQL's 63).
pub fn pgroll_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 40 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn at(field: &'static str) -> Vec<Seg> {
    vec![Seg::Key("migration"), Seg::Key(field)]
}

/// Reads a column as a lesson writes it (`"email text"`): its name and type.
pub fn column(text: &str) -> Option<(String, String)> {
    let (name, ty) = text.trim_ascii().split_once(|c: char| c.is_ascii_whitespace())?;
    let name = name.trim_matches('"');
    let ok = !name.is_empty() && name.len() <= 63 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| (name.to_ascii_lowercase(), ty.trim_ascii().to_ascii_lowercase())).filter(|(_, t)| !t.is_empty())
}

impl MigrationCfg {
    /// The settings group this section gives a lesson: the migration session's.
    pub fn setting_groups(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once("migration")
    }

    /// The section's checks, each naming its field.
    pub fn check(&self) -> Result<(), Invalid> {
        let cols = |path: Vec<Seg>, list: &[String]| -> Result<(), Invalid> {
            if list.len() > MAX_COLUMNS {
                return Err(crate::base::invalid(path, format!("{} columns; at most {MAX_COLUMNS}", list.len())));
            }
            let mut seen: Vec<String> = vec!["id".into()];
            for (i, c) in list.iter().enumerate() {
                let mut p = path.clone();
                p.push(Seg::Index(i));
                let Some((name, _)) = column(c) else { return Err(crate::base::invalid(p, format!("`{c}` is not `name type` (e.g. \"email text\")"))) };
                if seen.contains(&name) {
                    return Err(crate::base::invalid(p, format!("column \"{name}\" specified more than once")));
                }
                seen.push(name);
            }
            Ok(())
        };
        cols(at("columns"), &self.columns)?;
        check_range(at("row_bytes"), "row_bytes", self.row_bytes, 28, 8160)?;
        if self.tables.len() > MAX_TABLES {
            return Err(crate::base::invalid(at("tables"), format!("{} tables; at most {MAX_TABLES}", self.tables.len())));
        }
        let mut names = vec!["accounts".to_string()];
        for (i, t) in self.tables.iter().enumerate() {
            let p = |f: &'static str| vec![Seg::Key("migration"), Seg::Key("tables"), Seg::Index(i), Seg::Key(f)];
            if column(&format!("{} x", t.name)).is_none() || names.contains(&t.name) {
                return Err(crate::base::invalid(p("name"), format!("`{}` is not a new table name (letters, digits, _; not accounts; once each)", t.name)));
            }
            names.push(t.name.clone());
            check_range(p("rows"), "rows", t.rows, 0, MAX_ROWS)?;
            check_range(p("row_bytes"), "row_bytes", t.row_bytes, 28, 8160)?;
            cols(p("columns"), &t.columns)?;
        }
        if self.versions.len() > super::app::MAX_VERSIONS {
            return Err(crate::base::invalid(at("versions"), format!("{} versions; at most {}", self.versions.len(), super::app::MAX_VERSIONS)));
        }
        for (i, v) in self.versions.iter().enumerate() {
            let p = |f: &'static str| vec![Seg::Key("migration"), Seg::Key("versions"), Seg::Index(i), Seg::Key(f)];
            if column(&format!("{} x", v.name)).is_none() || self.versions[..i].iter().any(|w| w.name == v.name) {
                return Err(crate::base::invalid(p("name"), format!("`{}` is not a new version name (letters, digits, _; once each)", v.name)));
            }
            if let Some(sp) = &v.search_path {
                if self.pgroll.is_none() {
                    return Err(crate::base::invalid(p("search_path"), "a version's search_path names a pgroll version schema: set [migration] pgroll first"));
                }
                if !sp.strip_prefix("public_").is_some_and(pgroll_name) {
                    return Err(crate::base::invalid(p("search_path"), format!("`{sp}` is not a pgroll version schema (public_ and a migration's name, e.g. public_01_initial)")));
                }
            }
            for (f, list) in [("reads", &v.reads), ("writes", &v.writes)] {
                if let Some(c) = list.iter().find(|c| column(&format!("{c} x")).is_none()) {
                    return Err(crate::base::invalid(p(f), format!("`{c}` is not a column name")));
                }
            }
        }
        for (i, f) in self.functions.iter().enumerate() {
            if super::schema::Function::parse(f).is_none() {
                return Err(crate::base::invalid(vec![Seg::Key("migration"), Seg::Key("functions"), Seg::Index(i)], format!("`{f}` is not `name: NEW.column := NEW.column`")));
            }
        }
        if let Some(name) = self.pgroll.as_deref().filter(|n| !pgroll_name(n)) {
            return Err(crate::base::invalid(at("pgroll"), format!("`{name}` is not a pgroll migration name (letters, digits, _; at most 40)")));
        }
        for (f, d) in [("lock_timeout", self.lock_timeout), ("statement_timeout", self.statement_timeout)] {
            if let Some(d) = d.filter(|d| d.0 != SimDur::ZERO) {
                check_dur(at(f), f, d, SimDur::ms(1), SimDur::secs(86_400))?;
            }
        }
        Ok(())
    }
}

fn timeout(name: &'static str, v: &str) -> Result<Value, String> {
    let d = crate::base::settings::duration_or_off(v)?;
    if d > SimDur::secs(86_400) {
        return Err(format!("{name} = {} must be 0 (off) to 1 day", d.human()));
    }
    Ok(Value::Dur(d))
}

/// The migration session's settings (`ALTER ROLE migrator SET …`: behind PgBouncer in
/// transaction mode a `SET` would not stick to the session).
pub const SETTINGS: &[SettingDef] = &[
    SettingDef { name: "lock_timeout", group: "migration", options: &[], offered: true, form: Form::DurOrOff, sample: "2s", parse: |v| timeout("lock_timeout", v) },
    SettingDef { name: "statement_timeout", group: "migration", options: &[], offered: true, form: Form::DurOrOff, sample: "5s", parse: |v| timeout("statement_timeout", v) },
    SettingDef {
        name: "migration_retry",
        group: "migration",
        options: &["none", "fixed", "exponential"],
        offered: true,
        form: Form::Choice,
        sample: "exponential",
        parse: |v| Retry::parse(v).map(|r| Value::Choice(r.name().into())),
    },
];

/// The session settings as they stand.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SessionSettings {
    pub lock_timeout: SimDur,
    pub statement_timeout: SimDur,
    pub retry: Retry,
}

impl SessionSettings {
    pub fn of(cfg: &MigrationCfg) -> SessionSettings {
        let d = |d: Option<Dur>| d.map_or(SimDur::ZERO, |d| d.0);
        SessionSettings { lock_timeout: d(cfg.lock_timeout), statement_timeout: d(cfg.statement_timeout), retry: cfg.retry }
    }

    pub fn set(&mut self, s: &Setting) {
        match (s.name, &s.value) {
            ("lock_timeout", Value::Dur(d)) => self.lock_timeout = *d,
            ("statement_timeout", Value::Dur(d)) => self.statement_timeout = *d,
            ("migration_retry", Value::Choice(v)) => self.retry = Retry::parse(v).unwrap_or(self.retry),
            _ => {}
        }
    }

    /// A setting read back as it stands.
    pub fn read(&self, name: &str) -> Option<Value> {
        match name {
            "lock_timeout" => Some(Value::Dur(self.lock_timeout)),
            "statement_timeout" => Some(Value::Dur(self.statement_timeout)),
            "migration_retry" => Some(Value::Choice(self.retry.name().into())),
            _ => None,
        }
    }
}

/// Whether a lesson file has a `[migration]` section (or `[[migration.versions]]`), from its
/// headers alone: it opens on the migrations page (`migrate.html`), whose module has the component.
pub fn is_migration(src: &str) -> bool {
    crate::base::toml_de::headers(src).any(|(h, _)| crate::base::toml_de::top(&h) == "migration")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_policies_are_the_tools_own() {
        assert_eq!((Retry::Fixed.attempts(), Retry::Fixed.delay(2).0), (4, SimDur::secs(10)));
        let waits: Vec<u64> = (2..=10).map(|k| Retry::Exponential.delay(k).0.as_ms()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 3200, 3200, 3200]);
        assert_eq!(Retry::Exponential.delay(5).1, SimDur::ms(400), "jitter up to half the wait");
        assert_eq!(Retry::None.attempts(), 1);
    }

    #[test]
    fn columns_read_as_name_and_type() {
        assert_eq!(column("Email varchar(50)"), Some(("email".into(), "varchar(50)".into())));
        assert_eq!(column("email"), None);
        assert_eq!(column("e-mail text"), None);
    }
}
