//! The what-if commands of a planner lesson and of the plan page: one serde-tagged enum, written
//! in lesson files, links and the UI alike, each with the SQL it stands for.
use crate::catalog::ExtKind;
use serde::{Deserialize, Serialize};

/// A setting's value as a lesson writes it: `4.0`, `"64MB"`, `false`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum SettingValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl SettingValue {
    pub fn text(&self) -> String {
        match self {
            SettingValue::Bool(b) => if *b { "on" } else { "off" }.to_string(),
            SettingValue::Int(i) => i.to_string(),
            SettingValue::Float(f) => f.to_string(),
            SettingValue::Text(t) => t.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum PlanCommand {
    /// `SET name = value`.
    Set { name: String, value: SettingValue },
    /// `CREATE [UNIQUE] INDEX [name] ON table (columns)`.
    CreateIndex {
        table: String,
        columns: Vec<String>,
        #[serde(default)]
        unique: bool,
        #[serde(default)]
        name: Option<String>,
    },
    /// `DROP INDEX name`.
    DropIndex { name: String },
    /// `CREATE STATISTICS name (kinds) ON columns FROM table` (takes effect at the next ANALYZE).
    CreateStatistics {
        name: String,
        table: String,
        columns: Vec<String>,
        #[serde(default = "all_kinds")]
        kinds: Vec<ExtKind>,
    },
    /// `DROP STATISTICS name`.
    DropStatistics { name: String },
    /// `ANALYZE [table]`.
    Analyze {
        #[serde(default)]
        table: Option<String>,
    },
    /// `ALTER TABLE table ALTER COLUMN column SET STATISTICS target` (used by the next ANALYZE).
    SetStatistics { table: String, column: String, target: u32 },
}

fn all_kinds() -> Vec<ExtKind> {
    vec![ExtKind::Dependencies, ExtKind::Ndistinct]
}
