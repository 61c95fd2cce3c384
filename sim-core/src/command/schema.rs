//! The JSON Schema of a `set` command's settings (with the `schema` feature only), built from the
//! settings registry: every registered setting, its value by its `Form`, and nothing else.
use crate::base::settings::Form;
use crate::base::Dur;
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
        let dur = g.subschema_for::<Dur>();
        let mut properties = serde_json::Map::new();
        for d in crate::command::settings::defs() {
            let s = match d.form {
                Form::Choice => json_schema!({ "type": "string", "enum": d.options }),
                Form::Bool => boolean.clone(),
                Form::Whole => whole.clone(),
                Form::Dur => dur.clone(),
                Form::DurOrOff => json_schema!({ "anyOf": [dur.clone(), { "const": 0 }, { "const": "0" }] }),
                Form::Text => json_schema!({ "type": "string" }),
            };
            properties.insert(d.name.to_string(), s.to_value());
        }
        json_schema!({
            "type": "object",
            "description": "Settings changed on the running cluster.",
            "additionalProperties": false,
            "properties": properties
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every registered setting is in the schema, with its options for a choice.
    #[test]
    fn the_settings_schema_lists_every_registered_setting() {
        let v = SettingsSchema::json_schema(&mut SchemaGenerator::default()).to_value();
        let props = v["properties"].as_object().unwrap();
        assert_eq!(props.len(), crate::command::settings::defs().count());
        for d in crate::command::settings::defs() {
            assert!(props.contains_key(d.name), "{} is not in the schema", d.name);
        }
        assert_eq!(props["pool_mode"]["enum"], serde_json::json!(["session", "transaction", "statement"]));
    }
}
