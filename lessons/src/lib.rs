//! The built-in lessons (`scenarios/*.toml`, `scenarios/sharding/*.toml`, `scenarios/planner/*.toml`), embedded so wasm
//! builds need no file system.
include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

#[cfg(test)]
mod tests {
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
