//! The built-in lessons (`scenarios/*.toml`, `scenarios/sharding/*.toml`, `scenarios/planner/*.toml`), embedded so wasm
//! builds need no file system.
include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// Whether the lesson named `file` (as pickers and links name it: a sharding lesson's bare file
/// name, `challenges/…`, or a path under `scenarios/`) is a sharded lesson, which opens on the
/// sharding page.
pub fn is_sharded(file: &str) -> bool {
    SHARDING_NAMES.contains(&file) || folder(file) == Some("sharding") || SHARDED_CHALLENGES.contains(&file)
}

/// The folder under `scenarios/` a lesson name carries (`challenges/09-….toml`), if any.
fn folder(file: &str) -> Option<&str> {
    file.split_once('/').map(|(dir, _)| dir)
}

/// Which embed module runs a lesson. Each kind of lesson has its own module, so a chapter page
/// downloads only the code its lessons need; the widget of one module refuses another's lessons.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Module {
    /// Replication, backup and pooling lessons (chapters 09, 11 and 12): `dbsim_embed`.
    Cluster,
    /// Sharding lessons (chapter 10): `dbsim_embed_shard`.
    Sharding,
    /// Query-planning lessons (chapter 11): `dbsim_embed_plan`.
    Planner,
    /// Schema-migration lessons (chapter 12, a `[migration]` section): `dbsim_embed_migrate`, the
    /// cluster module with the migration component.
    Migration,
}

impl Module {
    /// The module of the lesson in `file` (under `scenarios/`).
    pub fn of(file: &str) -> Module {
        if folder(file) == Some("planner") {
            Module::Planner
        } else if is_sharded(file) {
            Module::Sharding
        } else if MIGRATION_NAMES.contains(&file) {
            Module::Migration
        } else {
            Module::Cluster
        }
    }

    /// The module's name: its `NAME.js` and `NAME_bg.wasm`.
    pub fn name(self) -> &'static str {
        match self {
            Module::Cluster => "dbsim_embed",
            Module::Sharding => "dbsim_embed_shard",
            Module::Planner => "dbsim_embed_plan",
            Module::Migration => "dbsim_embed_migrate",
        }
    }

    /// What its lessons are, for an error.
    pub fn what(self) -> &'static str {
        match self {
            Module::Cluster => "a replication or backup lesson",
            Module::Sharding => "a sharding lesson",
            Module::Planner => "a query-planning lesson",
            Module::Migration => "a schema-migration lesson",
        }
    }
}

/// Where a sharded lesson's text is served, under `scenarios/`: its folder and file.
pub fn sharded_path(file: &str) -> String {
    match folder(file) {
        Some(_) => file.to_string(),
        None => format!("sharding/{file}"),
    }
}

/// The file (under `scenarios/`) of the lesson with stable id `id` (`09/async-failover`).
pub fn file_of(id: &str) -> Option<&'static str> {
    IDS.iter().find(|(i, _)| *i == id).map(|(_, f)| *f)
}

#[cfg(test)]
mod tests {
    /// Chapter 11 holds both kinds of lesson: the planner's and the pooling ones (a cluster's).
    #[test]
    fn a_chapter_may_need_two_modules() {
        use super::Module;
        let of = |id| Module::of(super::file_of(id).unwrap());
        assert_eq!(of("11/scan-choice"), Module::Planner);
        assert_eq!(of("11/million-users-pgbouncer"), Module::Cluster);
        assert_eq!(of("10/good-shard-key"), Module::Sharding);
        assert_eq!(of("10/challenge-shard-key"), Module::Sharding);
        assert_eq!(of("09/async-failover"), Module::Cluster);
        assert_eq!(of("12/naive-rename"), Module::Migration);
        assert_eq!(of("12/challenge-zero-downtime-rename"), Module::Migration);
        assert_eq!(of("12/drop-table-pitr"), Module::Cluster);
    }

    /// A planner lesson's own `id` is the id a page embeds it by (`11/outer-joins` is
    /// `planner/11i-outer-joins.toml`).
    #[test]
    fn a_planner_lessons_id_is_its_embed_id() {
        for (file, text) in super::PLANNER {
            let Some(id) = text.lines().find_map(|l| l.strip_prefix("id = ")).map(|v| v.trim().trim_matches('"')) else { continue };
            assert_eq!(super::file_of(id), Some(format!("planner/{file}").as_str()), "{file}: id = \"{id}\"");
        }
    }

    #[test]
    fn every_lesson_has_one_stable_id_by_its_chapter() {
        assert_eq!(super::IDS.len(), super::BUILTIN.len() + super::SHARDING.len() + super::PLANNER.len() + super::CHALLENGES.len());
        assert_eq!(super::file_of("09/challenge-fast-failover"), Some("challenges/09-fast-failover.toml"));
        let mut ids: Vec<&str> = super::IDS.iter().map(|(i, _)| *i).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), super::IDS.len(), "ids are unique");
        assert_eq!(super::file_of("09/async-failover"), Some("01-async-failover.toml"));
        assert_eq!(super::file_of("12/drop-table-pitr"), Some("08a-drop-table-pitr.toml"));
        assert_eq!(super::file_of("10/good-shard-key"), Some("sharding/10b-good-shard-key.toml"));
        assert!(super::file_of("11/scan-choice").is_some_and(|f| f.starts_with("planner/")));
        assert_eq!(super::file_of("09/no-such-lesson"), None);
        assert!(super::is_sharded("10b-good-shard-key.toml") && super::is_sharded("challenges/10-shard-key.toml") && super::is_sharded("sharding/10b-good-shard-key.toml"));
        assert!(!super::is_sharded("challenges/09-fast-failover.toml") && !super::is_sharded("01-async-failover.toml"));
        assert_eq!(super::sharded_path("10b-good-shard-key.toml"), "sharding/10b-good-shard-key.toml");
        assert_eq!(super::sharded_path("challenges/10-shard-key.toml"), "challenges/10-shard-key.toml");
        for (id, _) in super::IDS {
            let ch = &id[..2];
            assert!(["09", "10", "11", "12"].contains(&ch), "{id}");
        }
    }

    #[test]
    fn embeds_every_scenario() {
        let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios")).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "toml")).count();
        assert_eq!(super::BUILTIN.len(), on_disk);
        assert!(super::BUILTIN.iter().any(|(f, src)| *f == "01-async-failover.toml" && src.contains("[lesson]")));
        let sharding = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/sharding")).unwrap().count();
        assert_eq!(super::SHARDING.len(), sharding);
        let planner = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/planner")).unwrap().count();
        assert_eq!(super::PLANNER.len(), planner);
        assert_eq!(super::BUILTIN_TITLES.len(), super::BUILTIN.len());
        assert!(super::BUILTIN_TITLES.iter().all(|t| !t.is_empty() && !t.contains("title")), "{:?}", super::BUILTIN_TITLES);
        assert!(super::PLANNER_TITLES.iter().all(|t| !t.is_empty()));
        assert!(super::SHARDING_TITLES.iter().all(|t| !t.is_empty()), "{:?}", super::SHARDING_TITLES);
    }
}
