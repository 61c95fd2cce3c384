//! The JSON Schema of a duration as lesson files write it (with the `schema` feature only).
use super::Dur;
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
