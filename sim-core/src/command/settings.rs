//! The one registration of the settings a running cluster takes: each component declares its
//! own (`SETTINGS` in its folder: name, group, form, parser), and this list names every
//! component's once, with the groups the pages show them in. `Setting::parse`, the known names
//! in its error, the values a world reads back (`World::current_settings`) and the pages' fields
//! all come from here.
pub use crate::base::settings::{duration_text, GroupDef, Setting, SettingDef, Value};

/// The groups of settings a page can offer, in the order it shows them.
pub const GROUPS: &[GroupDef] = &[
    GroupDef { name: "replication", label: "Replication", together: false, missing: None },
    GroupDef { name: "patroni", label: "Patroni", together: true, missing: None },
    GroupDef { name: "pgbouncer", label: "PgBouncer (a RELOAD)", together: true, missing: Some("this lesson has no PgBouncer: add a [pooling.pgbouncer] section to change its settings") },
    GroupDef { name: "backup", label: "Archiver and base backups", together: true, missing: Some(super::check::NO_BACKUP) },
    GroupDef { name: "migration", label: "The migration's session (ALTER ROLE … SET)", together: false, missing: Some(crate::command::check::NO_MIGRATION) },
];

/// Every component's settings, in the order the pages show them within a group.
const ALL: &[&[SettingDef]] = &[crate::postgres::cfg::SETTINGS, crate::patroni::cfg::SETTINGS, crate::backup::cfg::SETTINGS, crate::pool::cfg::SETTINGS, crate::migrate::cfg::SETTINGS];

/// Every setting, in registry order.
pub fn defs() -> impl Iterator<Item = &'static SettingDef> {
    ALL.iter().flat_map(|d| d.iter())
}

/// The setting called `name`.
pub fn def(name: &str) -> Option<&'static SettingDef> {
    defs().find(|d| d.name == name)
}

impl Setting {
    /// Parses `key = value` as written in a scenario or typed in the settings editor.
    pub fn parse(key: &str, v: &str) -> Result<Setting, String> {
        let Some(d) = def(key) else {
            let known: Vec<&str> = defs().map(|d| d.name).collect();
            return Err(format!("unknown setting `{key}`; known: {}", known.join(", ")));
        };
        Ok(Setting { name: d.name, value: (d.parse)(v)? })
    }

    /// The group the setting belongs to (`GROUPS`).
    pub fn group(&self) -> &'static str {
        def(self.name).map_or("", |d| d.group)
    }

    /// The group's entry in `GROUPS`.
    pub fn group_def(&self) -> Option<&'static GroupDef> {
        let g = self.group();
        GROUPS.iter().find(|d| d.name == g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_has_one_entry_in_a_known_group_and_reads_back_what_it_prints() {
        let names: Vec<&str> = defs().map(|d| d.name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "a setting is registered twice: {names:?}");
        for d in defs() {
            assert!(GROUPS.iter().any(|g| g.name == d.group), "{}: unknown group {}", d.name, d.group);
            let s = Setting::parse(d.name, d.sample).unwrap_or_else(|e| panic!("{}: its sample {}: {e}", d.name, d.sample));
            assert_eq!(Setting::parse(d.name, &s.key_value().1).as_ref(), Ok(&s), "{} = {}", d.name, d.sample);
            for o in d.options {
                let s = Setting::parse(d.name, o).unwrap_or_else(|e| panic!("{}: option {o}: {e}", d.name));
                assert_eq!(Setting::parse(d.name, &s.key_value().1).as_ref(), Ok(&s), "{} = {o}", d.name);
            }
        }
    }
}
