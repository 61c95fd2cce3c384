//! The JSON Schema of the lesson format (`dbsim schema`), generated from the same Rust types the
//! parser reads, for editors (taplo, Even Better TOML) to check and complete lesson files. Only
//! with the `schema` feature: the pages leave it out. The few fields serde reads by hand (a
//! duration, a setting list, a section another component reads) have their schema written here.
use super::Scenario;
pub use crate::base::schema::DURATION_PATTERN;
use schemars::Schema;

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
