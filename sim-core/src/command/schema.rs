//! The JSON Schema of a `set` command's settings (with the `schema` feature only).
use crate::base::Dur;
use crate::postgres::cfg::SyncCommit;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use std::borrow::Cow;

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
