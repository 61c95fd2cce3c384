//! User actions as data: fault injections, network changes, switchovers and settings changes.
//! A run is a pure function of (scenario, seed, command log).
//!
//! `Command` is defined once: the same serde-tagged enum is a scenario's `[[timeline]]` entry
//! (`action = "crash_host"`), the URL's command log, and what the UI and the CLI schedule.
pub mod check;
pub mod restore;
pub mod settings;
pub use settings::{duration_text, Setting};
#[cfg(feature = "schema")]
pub(crate) mod schema;
use crate::base::toml_de::quote;
use crate::base::Dur;
use crate::time::{parse_duration, SimDur};
use serde::{Deserialize, Serialize};

/// One command. Names refer to nodes, or to `dcs`, `proxy` and `clients`, or to whole regions.
///
/// In a lesson a command is one table, its `action` beside its arguments (`{ action = "crash_host",
/// node = "pg1" }`), as serde's internally tagged enums are written. serde reads those by buffering
/// the table and reading it again, once per variant, which costs every browser page about 13 KB
/// gzip; so the enum is tagged externally in Rust, and [`TimedCommand`] reads the `action` first
/// and hands the rest of the table to the variant named. The schema says `tag = "action"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(strum::EnumCount))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(tag = "action"))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    CrashPostgres {
        node: String,
    },
    CrashHost {
        node: String,
    },
    Restart {
        node: String,
    },
    DestroyDisk {
        node: String,
    },
    /// Cut `nodes` off from `others` (everything else when empty); `one_way` cuts only nodes → others.
    Partition {
        nodes: Vec<String>,
        #[serde(default)]
        others: Vec<String>,
        #[serde(default)]
        one_way: bool,
    },
    Heal {},
    AddLatency {
        from: String,
        to: String,
        #[serde(rename = "latency", with = "latency_field")]
        #[cfg_attr(feature = "schema", schemars(with = "Dur"))]
        latency_us: u64,
    },
    SetDropRate {
        from: String,
        to: String,
        #[serde(rename = "rate", with = "rate_field")]
        #[cfg_attr(feature = "schema", schemars(with = "f64", range(min = 0.0, max = 1.0)))]
        ppm: u32,
    },
    /// The DCS stops answering; with a `duration`, it comes back after it (scheduled as a
    /// `dcs_restore`, or never if that falls after the run).
    DcsOutage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration: Option<Dur>,
    },
    DcsRestore {},
    SlowDisk {
        node: String,
        #[serde(with = "factor_field")]
        #[cfg_attr(feature = "schema", schemars(with = "u32", range(min = 1, max = 10000)))]
        factor: u32,
    },
    Switchover {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    Set {
        #[serde(with = "settings_field")]
        #[cfg_attr(feature = "schema", schemars(with = "crate::command::schema::SettingsSchema"))]
        settings: Vec<Setting>,
    },
    StopConsumer {
        slot: String,
    },
    StartConsumer {
        slot: String,
    },
    /// `pg_basebackup` on the writable primary.
    BaseBackup {},
    /// A human mistake committed on the primary: `drop_table` or `update_all` (UPDATE without WHERE).
    OperatorError {
        kind: String,
    },
    /// `pg_create_restore_point(name)`.
    RestorePoint {
        name: String,
    },
    /// `archive_command` starts failing (or works again): WAL piles up in `pg_wal`.
    ArchiveFail {},
    ArchiveRestore {},
    /// A WAL segment (file name) vanishes from the archive, or is damaged.
    LoseSegment {
        segment: String,
    },
    CorruptSegment {
        segment: String,
    },
    /// A base backup (by label; the newest when empty) is damaged.
    CorruptBackup {
        #[serde(default)]
        label: String,
    },
    /// An online reshard by the shard router: `add` a shard, `split` a range shard in two, or
    /// `move_range` (the upper half of a range shard's keyspace to the next shard).
    Reshard {
        kind: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shard: Option<u32>,
    },
    /// Every host of a region dies with its disks.
    LoseRegion {
        region: String,
    },
    /// A migration step: one DDL statement (`ALTER TABLE …`, `CREATE INDEX [CONCURRENTLY] …`,
    /// optionally inside `BEGIN; … COMMIT;`) in a new session on the primary, with the migration
    /// role's `lock_timeout`, `statement_timeout` and retry policy.
    Ddl {
        sql: String,
    },
    /// A long-running transaction on the primary: a query on `table` (`accounts` when empty)
    /// for `duration`, or (`idle`) a quick one and then idle in transaction; it holds ACCESS
    /// SHARE on the table until it commits.
    LongTransaction {
        duration: Dur,
        #[serde(default)]
        table: String,
        #[serde(default)]
        idle: bool,
    },
    /// The backfill job: `UPDATE accounts SET column = from` in transactions of `batch` rows
    /// with `pause` between them; `batch = 0` does it in a single transaction.
    Backfill {
        column: String,
        from: String,
        #[serde(default = "thousand")]
        batch: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pause: Option<Dur>,
    },
    /// A rolling deploy: the app instances move to application version `version` one at a time
    /// over `over` (a rollback is a deploy of the old version).
    Deploy {
        version: String,
        over: Dur,
    },
    /// `SELECT pg_cancel_backend(pid)`: cancels a migration session's statement.
    CancelBackend {
        pid: u32,
    },
    /// `SELECT pg_terminate_backend(pid)`: ends a migration session and its transaction.
    TerminateBackend {
        pid: u32,
    },
    /// `pgroll start` (with `[migration] pgroll`): migration `name`'s version schema, the latest
    /// one changed by `op` (`rename_column` `column` to `to`; `add_column` `column` as `name
    /// type`; `drop_column` `column`). Both version schemas are then live.
    PgrollStart {
        name: String,
        op: String,
        column: String,
        #[serde(default)]
        to: String,
    },
    /// `pgroll complete`: drops the old version schema and changes the table (a rename, a drop).
    PgrollComplete {},
    /// `pgroll rollback` (before `complete` only): drops the new version schema (and an added column).
    PgrollRollback {},
    /// Point-in-time recovery onto a recovery server. At most one target: a wall-clock time
    /// (`2026-11-25 14:03:17`), an LSN (`0/3000060`), an xid, the xid of the newest operator
    /// error of a kind, a restore point name, or none (latest).
    PitrRestore {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_time: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_lsn: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_xid: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_xid_of: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_name: Option<String>,
        #[serde(default = "yes")]
        inclusive: bool,
        #[serde(default = "promote")]
        target_action: String,
        #[serde(rename = "target_timeline", default, skip_serializing_if = "Option::is_none")]
        timeline: Option<u32>,
    },
}

fn thousand() -> u64 {
    1000
}

fn yes() -> bool {
    true
}
fn promote() -> String {
    "promote".into()
}

/// One scenario `[[timeline]]` entry: when, and the command, in one table (`{ at = "30s", action =
/// "crash_host", node = "pg1" }`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TimedCommand {
    pub at: Dur,
    #[serde(flatten)]
    pub command: Command,
}

/// The entry's `at` and `action`, then the action's arguments read as the variant it names. The
/// lesson reader (`scenario::de`) gives a table's `at` and `action` first, whatever their place in
/// the file (a TOML table's keys have no order).
impl<'de> Deserialize<'de> for TimedCommand {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(entry::Entry)
    }
}

mod entry {
    use super::{Command, Dur, TimedCommand};
    use serde::de::{self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, VariantAccess, Visitor};
    use serde::Deserialize;

    pub struct Entry;

    impl<'de> Visitor<'de> for Entry {
        type Value = TimedCommand;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a timeline entry: a table with `at`, `action` and the action's arguments")
        }

        /// The reader gives `at` and `action` first (a TOML table holds a key once): any other
        /// first or second key means one of them is missing.
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TimedCommand, A::Error> {
            let at = match map.next_key::<String>()?.as_deref() {
                Some("at") => map.next_value::<Dur>()?,
                _ => return Err(de::Error::missing_field("at")),
            };
            let action = match map.next_key::<String>()?.as_deref() {
                Some("action") => map.next_value::<String>()?,
                _ => return Err(de::Error::missing_field("action")),
            };
            Ok(TimedCommand { at, command: Command::deserialize(Action { action, map })? })
        }
    }

    /// The rest of an entry's table as the enum variant its `action` names.
    struct Action<A> {
        action: String,
        map: A,
    }

    impl<'de, A: MapAccess<'de>> de::Deserializer<'de> for Action<A> {
        type Error = A::Error;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
            visitor.visit_enum(self)
        }

        serde::forward_to_deserialize_any! {
            bool u8 u16 u32 u64 i8 i16 i32 i64 i128 u128 f32 f64 char str string seq option newtype_struct enum
            bytes byte_buf map unit struct ignored_any unit_struct tuple_struct tuple identifier
        }
    }

    impl<'de, A: MapAccess<'de>> EnumAccess<'de> for Action<A> {
        type Error = A::Error;
        type Variant = MapVariant<A>;

        fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, MapVariant<A>), A::Error> {
            let name: de::value::StringDeserializer<A::Error> = self.action.into_deserializer();
            Ok((seed.deserialize(name)?, MapVariant(self.map)))
        }
    }

    /// The variant's fields: the rest of the table.
    pub struct MapVariant<A>(A);

    impl<'de, A: MapAccess<'de>> VariantAccess<'de> for MapVariant<A> {
        type Error = A::Error;

        fn unit_variant(self) -> Result<(), A::Error> {
            Ok(())
        }

        fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, A::Error> {
            Err(de::Error::custom("a timeline entry's action takes named arguments"))
        }

        fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, A::Error> {
            Err(de::Error::custom("a timeline entry's action takes named arguments"))
        }

        fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], visitor: V) -> Result<V::Value, A::Error> {
            visitor.visit_map(self.0)
        }
    }
}

/// The largest latency a link may have or be given: one hour.
pub const MAX_LATENCY: SimDur = SimDur::secs(3600);

/// `latency = "100ms"` ↔ microseconds, at most `MAX_LATENCY`.
mod latency_field {
    use super::*;
    pub fn serialize<S: serde::Serializer>(us: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{us}us"))
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        crate::base::toml_de::parsed(d, |t| {
            let v = parse_duration(t)?;
            if v > MAX_LATENCY {
                return Err(format!("latency = {v} is more than {MAX_LATENCY}"));
            }
            Ok(v.0)
        })
    }
}

/// `rate = 0.05` ↔ parts per million, between 0 and 1.
mod rate_field {
    pub fn serialize<S: serde::Serializer>(ppm: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(f64::from(*ppm) / 1e6)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let rate = <f64 as serde::Deserialize>::deserialize(d)?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(serde::de::Error::custom(format!("rate = {rate} must be between 0 and 1")));
        }
        Ok(libm::round(rate * 1e6) as u32)
    }
}

/// `factor = 10`, 1 to 10,000.
mod factor_field {
    pub fn serialize<S: serde::Serializer>(f: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(*f)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let factor = <u32 as serde::Deserialize>::deserialize(d)?;
        if factor == 0 || factor > 10_000 {
            return Err(serde::de::Error::custom(format!("factor = {factor} must be 1..=10000")));
        }
        Ok(factor)
    }
}

/// `settings = { ttl = 20, synchronous_commit = "on" }` ↔ parsed settings, in the order written.
mod settings_field {
    use super::*;
    use serde::ser::SerializeMap;
    pub fn serialize<S: serde::Serializer>(v: &[Setting], s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(v.len()))?;
        for x in v {
            let (k, v) = x.key_value();
            m.serialize_entry(k, &v)?;
        }
        m.end()
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Setting>, D::Error> {
        let map = crate::base::toml_de::text_map(d)?;
        map.iter().map(|(k, v)| Setting::parse(k, v).map_err(|m| serde::de::Error::custom(format!("{k}: {m}")))).collect()
    }
}

impl Command {
    /// The action's name in scenario files (`crash_host`).
    pub fn name(&self) -> String {
        // Serialised, a command is `{ crash_host = { … } }` (tagged externally).
        match toml::Value::try_from(self) {
            Ok(toml::Value::Table(t)) => t.keys().next().cloned().unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// The command as a scenario timeline entry, inline: `{ at = "250000000us", action = "crash_host", node = "pg1" }`.
    pub fn to_toml(&self, at: SimDur) -> String {
        // Serialised, a command is `{ crash_host = { node = "pg1" } }` (tagged externally).
        let tagged = match toml::Value::try_from(self) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        let mut out = format!("{{ at = \"{}us\"", at.0);
        // `action` first, then the arguments in the order the enum declares them.
        for (action, fields) in &tagged {
            out.push_str(&format!(", action = {}", quote(action)));
            for (key, v) in fields.as_table().into_iter().flatten() {
                out.push_str(&format!(", {key} = {}", inline(v)));
            }
        }
        out.push_str(" }");
        out
    }
}

/// A TOML value written inline.
fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => quote(s),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => format!("{f:?}"),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => quote(&format!("{d:?}")),
        toml::Value::Array(a) => format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", ")),
        toml::Value::Table(t) => format!("{{ {} }}", t.iter().map(|(k, v)| format!("{} = {}", quote(k), inline(v))).collect::<Vec<_>>().join(", ")),
    }
}

/// Reads a command log written by `Command::to_toml`, one entry per line or comma-separated.
/// The entries of a command log (`{ … }, { … }`) as their own texts, split at the top-level
/// commas (strings and nested arrays or tables respected), so a long log can be read a slice at
/// a time.
pub fn split_log(text: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    let mut quote: Option<u8> = None;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match (quote, b[i]) {
            (Some(b'"'), b'\\') => i += 1,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, c @ (b'"' | b'\'')) => quote = Some(c),
            (None, b'{' | b'[') => depth += 1,
            (None, b'}' | b']') => depth -= 1,
            (None, b',') if depth == 0 => {
                out.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(text[start..].trim());
    out.retain(|e| !e.is_empty());
    out
}

pub fn log_from_toml(text: &str) -> Result<Vec<(SimDur, Command)>, String> {
    #[derive(serde::Deserialize)]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    #[serde(deny_unknown_fields)]
    struct Log {
        log: Vec<TimedCommand>,
    }
    let src = format!("log = [\n{text}\n]");
    let timed = crate::base::toml_de::from_str::<Log>("log", &src).map_err(|e| format!("{}: {}", e.field, e.message))?.log;
    Ok(timed.into_iter().map(|tc| (tc.at.0, tc.command)).collect())
}

/// The command a panel's button runs (`view::ActionItem`): its timeline entry, with the text the
/// learner typed as argument `arg` when the button has a text box. Read by the lesson parser, so a
/// typed value is checked (and its error placed at the argument) like a timeline's.
pub fn action_command(entry: &str, arg: Option<(&str, &str)>) -> Result<Command, String> {
    let text = match arg {
        Some((field, value)) => format!("{}, {field} = {} }}", entry.trim_end().trim_end_matches('}').trim_end(), quote(value)),
        None => entry.to_string(),
    };
    let mut log = log_from_toml(&text)?;
    match (log.len(), log.pop()) {
        (1, Some((_, c))) => Ok(c),
        _ => Err(format!("`{entry}` is not one command")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A button's entry reads back as its command; a typed argument is quoted, so no text the
    /// learner types can add another argument or command.
    #[test]
    fn an_action_reads_back_as_its_command() {
        let c = Command::CancelBackend { pid: 4100 };
        assert_eq!(action_command(&c.to_toml(SimDur::ZERO), None), Ok(c));
        let entry = "{ at = \"0us\", action = \"ddl\" }";
        let typed = "ALTER TABLE accounts ADD COLUMN \"e\" text DEFAULT '}, action = \"heal\" }'";
        assert_eq!(action_command(entry, Some(("sql", typed))), Ok(Command::Ddl { sql: typed.into() }));
        assert!(action_command("{ at = \"0us\", action = \"crash_host\" }", None).unwrap_err().contains("node"));
        assert!(action_command("{ at = \"0us\", action = \"heal\" }, { at = \"0us\", action = \"heal\" }", None).is_err());
    }

    #[test]
    fn a_log_splits_into_its_entries() {
        let text = r#"{ at = "1s", action = "partition", nodes = ["pg1", "pg2"], others = [] }, { at = "2s", action = "operator_error", kind = "a,b}" },{ at = "3s", action = "heal" }"#;
        let parts = split_log(text);
        assert_eq!(parts.len(), 3, "{parts:?}");
        let one: Vec<_> = parts.iter().flat_map(|p| log_from_toml(p).unwrap()).collect();
        assert_eq!(one.len(), 3);
        assert!(split_log("  ").is_empty());
    }

    fn samples() -> Vec<Command> {
        let s = |x: &str| x.to_string();
        vec![
            Command::CrashPostgres { node: s("pg1") },
            Command::CrashHost { node: s("pg \"two\"") },
            Command::Restart { node: s("pg1") },
            Command::DestroyDisk { node: s("pg1") },
            Command::Partition { nodes: vec![s("pg1"), s("dcs")], others: vec![], one_way: true },
            Command::Heal {},
            Command::AddLatency { from: s("pg1"), to: s("pg2"), latency_us: 100_250 },
            Command::SetDropRate { from: s("pg1"), to: s("pg2"), ppm: 12_345 },
            Command::DcsOutage { duration: None },
            Command::DcsRestore {},
            Command::SlowDisk { node: s("pg2"), factor: 40 },
            Command::Switchover { to: None },
            Command::Switchover { to: Some(s("pg2")) },
            // Every registered setting, with its sample.
            Command::Set { settings: settings::defs().map(|d| Setting::parse(d.name, d.sample).unwrap_or_else(|e| panic!("{}: {e}", d.name))).collect() },
            Command::StopConsumer { slot: s("debezium") },
            Command::StartConsumer { slot: s("debezium") },
            Command::BaseBackup {},
            Command::OperatorError { kind: s("drop_table") },
            Command::RestorePoint { name: s("before upgrade") },
            Command::ArchiveFail {},
            Command::ArchiveRestore {},
            Command::LoseSegment { segment: s("000000010000000000000003") },
            Command::CorruptSegment { segment: s("000000010000000000000004") },
            Command::CorruptBackup { label: s("") },
            Command::LoseRegion { region: s("eu-west") },
            Command::Ddl { sql: s("ALTER TABLE accounts ADD COLUMN \"e-mail\" text DEFAULT 'x'") },
            Command::LongTransaction { duration: Dur(SimDur::secs(40)), table: s(""), idle: true },
            Command::CancelBackend { pid: 4100 },
            Command::Deploy { version: s("v2"), over: Dur(SimDur::secs(60)) },
            Command::Backfill { column: s("email_address"), from: s("email"), batch: 500, pause: Some(Dur(SimDur::ms(50))) },
            Command::TerminateBackend { pid: 4101 },
            Command::PgrollStart { name: s("02_rename_email"), op: s("rename_column"), column: s("email"), to: s("email_address") },
            Command::PgrollComplete {},
            Command::PgrollRollback {},
            Command::Reshard { kind: s("add"), shard: None },
            Command::Reshard { kind: s("split"), shard: Some(1) },
            Command::PitrRestore {
                target_time: Some(s("2026-11-25 14:03:17")),
                target_lsn: None,
                target_xid: None,
                target_xid_of: None,
                target_name: None,
                inclusive: false,
                target_action: s("pause"),
                timeline: Some(2),
            },
            Command::PitrRestore {
                target_time: None,
                target_lsn: Some(s("0/3000060")),
                target_xid: None,
                target_xid_of: Some(s("drop_table")),
                target_name: None,
                inclusive: true,
                target_action: s("promote"),
                timeline: None,
            },
            Command::PitrRestore {
                target_time: None,
                target_lsn: None,
                target_xid: Some(40365),
                target_xid_of: None,
                target_name: Some(s("rp")),
                inclusive: true,
                target_action: s("promote"),
                timeline: None,
            },
        ]
    }

    /// A timeline entry's keys may come in any order (a TOML table's have none), and what is wrong
    /// with one is said as before: serde's own words for a missing field or an unknown action.
    #[test]
    fn an_entry_reads_the_same_in_any_key_order() {
        let a = log_from_toml(r#"{ at = "10s", action = "set_drop_rate", from = "pg1", to = "dcs", rate = 0.5 }"#);
        let b = log_from_toml(r#"{ rate = 0.5, to = "dcs", from = "pg1", action = "set_drop_rate", at = "10s" }"#);
        assert!(matches!(a.as_deref(), Ok([(SimDur(10_000_000), Command::SetDropRate { .. })])), "{a:?}");
        assert_eq!(a, b);
        let err = |text: &str| log_from_toml(text).unwrap_err();
        assert_eq!(err(r#"{ at = "10s", node = "pg1" }"#), "log[0]: missing field `action`");
        assert_eq!(err(r#"{ action = "crash_host", node = "pg1" }"#), "log[0]: missing field `at`");
        assert!(err(r#"{ at = "10s", action = "crash_hots", node = "pg1" }"#).starts_with("log[0]: unknown variant `crash_hots`, expected one of `crash_postgres`"));
        assert_eq!(err(r#"{ at = "10s", action = "crash_host", node = "pg1", nodes = [] }"#), "log[0].nodes: unknown field `nodes`, expected `node`");
    }

    #[test]
    fn every_command_round_trips_through_its_toml_form() {
        let cmds = samples();
        // Every variant has a sample (its `name` is distinct per variant): a new command without
        // one fails here.
        assert_eq!(cmds.iter().map(Command::name).collect::<std::collections::BTreeSet<_>>().len(), <Command as strum::EnumCount>::COUNT, "a sample of every action");
        let log: Vec<(SimDur, Command)> = cmds.iter().enumerate().map(|(i, c)| (SimDur(i as u64 * 1_000_001), c.clone())).collect();
        let text: Vec<String> = log.iter().map(|(t, c)| c.to_toml(*t)).collect();
        assert_eq!(log_from_toml(&text.join(",\n")), Ok(log));
    }

    #[test]
    fn a_broken_log_is_an_error() {
        assert!(log_from_toml("{ at = \"1s\", action = \"crash_host\" }").unwrap_err().contains("missing field `node`"));
        assert!(log_from_toml("{ at = \"1s\", action = \"crash_host\", node = \"pg1\", nod = 1 }").unwrap_err().contains("unknown field `nod`"));
        assert!(log_from_toml("{ at = \"1s\", action = \"heal\", node = \"pg1\" }").is_err(), "a unit action takes no arguments");
        assert!(log_from_toml("{ at = \"1s\", action = \"meteor\" }").unwrap_err().contains("unknown variant `meteor`"));
        assert!(log_from_toml("{ at = ").is_err());
    }
}
