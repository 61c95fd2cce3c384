//! The JSON Schema of the lesson format (`dbsim schema`), generated from the same Rust types the
//! parser reads, for editors (taplo, Even Better TOML) to check and complete lesson files. Only
//! with the `schema` feature: the pages leave it out. The few fields serde reads by hand (a
//! duration, a setting list, a section another component reads) have their schema written here.
use super::{Dur, Scenario, SyncCommit};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use std::borrow::Cow;

/// A duration as lesson files write it: a number with a unit (`"30s"`, `"250ms"`, `"1h25m"`,
/// `"1.5s"`), or a clock time `"hh:mm:ss"`.
pub const DURATION_PATTERN: &str = r"^\s*(([0-9]+(\.[0-9]+)?(us|ms|s|m|min|h))+|[0-9]+:[0-9]+:[0-9]+)\s*$";

impl JsonSchema for Dur {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "A duration with a unit: us, ms, s, m (or min), h; for example \"30s\", \"250ms\" or \"1h25m\". Or a clock time \"hh:mm:ss\".",
            "examples": ["30s", "250ms", "1h25m"]
        })
    }
}

impl JsonSchema for SyncCommit {
    fn schema_name() -> Cow<'static, str> {
        "SynchronousCommit".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "enum": SyncCommit::ALL.iter().map(|s| s.name()).collect::<Vec<_>>(),
            "description": "PostgreSQL's synchronous_commit."
        })
    }
}

/// `settings = { ttl = 20, synchronous_commit = "on" }` in a `set` command: the settings a
/// running cluster takes (`command::Setting::parse`).
pub(crate) struct SettingsSchema;

impl JsonSchema for SettingsSchema {
    fn schema_name() -> Cow<'static, str> {
        "Settings".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let whole = json_schema!({ "anyOf": [{ "type": "integer", "minimum": 0 }, { "type": "string", "pattern": r"^\s*[0-9]+\s*$" }] });
        let boolean = json_schema!({ "anyOf": [{ "type": "boolean" }, { "enum": ["true", "false", "on", "off"] }] });
        json_schema!({
            "type": "object",
            "description": "Settings changed on the running cluster.",
            "additionalProperties": false,
            "properties": {
                "synchronous_commit": g.subschema_for::<SyncCommit>(),
                "synchronous_standby_names": { "type": "string" },
                "ttl": whole.clone(),
                "loop_wait": whole.clone(),
                "retry_timeout": whole.clone(),
                "maximum_lag_on_failover": whole.clone(),
                "synchronous_mode": boolean.clone(),
                "synchronous_mode_strict": boolean.clone(),
                "fencing": boolean,
                "fsync": g.subschema_for::<Dur>(),
                "archive_timeout": { "anyOf": [g.subschema_for::<Dur>(), { "const": 0 }, { "const": "0" }] },
                "base_backup_every": { "anyOf": [g.subschema_for::<Dur>(), { "const": 0 }, { "const": "0" }] },
                "pool_mode": g.subschema_for::<crate::pool::PoolMode>(),
                "default_pool_size": whole.clone(),
                "reserve_pool_size": whole.clone(),
                "max_client_conn": whole.clone(),
                "max_prepared_statements": whole,
                "query_wait_timeout": g.subschema_for::<Dur>()
            }
        })
    }
}

/// The schema of every lesson file but the planner's (`scenarios/*.toml`, `scenarios/sharding/`).
pub fn lesson_schema() -> Schema {
    let mut s = schemars::generate::SchemaSettings::draft07().into_generator().into_root_schema_for::<Scenario>();
    s.insert("title".into(), "dbsim lesson".into());
    s.insert(
        "description".into(),
        "A dbsim lesson file: a Patroni cluster's topology, settings, workload, timeline and expectations, or a sharded table over several clusters. See docs/scenarios.md.".into(),
    );
    s
}
