//! The JSON Schema of the lesson format (`dbsim schema`) against the lessons and the parser:
//! every lesson file passes it, and a file whose shape is wrong fails both.
use serde_json::Value;
use std::path::Path;

fn validator() -> jsonschema::Validator {
    let schema = serde_json::to_value(sim_core::scenario::schema::lesson_schema()).unwrap();
    jsonschema::draft7::new(&schema).expect("the schema is a valid draft-07 schema")
}

/// A lesson file's TOML as the JSON document an editor checks.
fn json(src: &str) -> Option<Value> {
    toml::from_str::<Value>(src).ok()
}

fn lessons(dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn every_planner_lesson_passes_the_planner_schema() {
    let schema = serde_json::to_value(sim_planner::lesson::schema()).unwrap();
    let v = jsonschema::draft7::new(&schema).expect("a valid draft-07 schema");
    let files = lessons("scenarios/planner");
    assert!(files.len() >= 5, "found only {} planner lessons", files.len());
    for (name, src) in &files {
        let doc = json(src).unwrap_or_else(|| panic!("{name} is not TOML"));
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let mut wrong = doc.clone();
        wrong["settings"]["work_mem"] = "4 gigabytes".into();
        assert!(!v.is_valid(&wrong), "{name}: a memory size without a unit PostgreSQL knows");
        wrong = doc.clone();
        wrong["titel"] = "x".into();
        assert!(!v.is_valid(&wrong), "{name}: an unknown field");
    }
}

#[test]
fn every_lesson_file_passes_the_schema() {
    let v = validator();
    let files: Vec<(String, String)> = lessons("scenarios").into_iter().chain(lessons("scenarios/sharding")).chain(lessons("scenarios/challenges")).collect();
    assert!(files.len() >= 25, "found only {} lesson files", files.len());
    for (name, src) in &files {
        let doc = json(src).unwrap_or_else(|| panic!("{name} is not TOML"));
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

/// Each malformed file either has a wrong shape, which the schema refuses as the parser does, or is
/// well-formed with a wrong meaning (an unknown node, a rule between fields), which only the
/// parser's validation can see.
#[test]
fn the_schema_refuses_exactly_the_malformed_files_whose_shape_is_wrong() {
    let v = validator();
    let mut refused = Vec::new();
    for dir in ["tests/malformed", "tests/malformed-shard"] {
        for (name, src) in lessons(dir) {
            assert!(sim_session::parse(&name, &src).is_err() || dir.ends_with("shard"), "{name} parses");
            match json(&src) {
                Some(doc) if v.is_valid(&doc) => {}
                _ => refused.push(format!("{dir}/{name}")),
            }
        }
    }
    let expected = [
        "tests/malformed/01-unknown-field.toml",
        "tests/malformed/03-bad-sync-commit.toml",
        "tests/malformed/07-duration-no-unit.toml",
        "tests/malformed/09-timeline-missing-arg.toml",
        "tests/malformed/14-not-toml.toml",
        "tests/malformed/16-drop-rate-range.toml",
        "tests/malformed/17-wrong-type.toml",
        "tests/malformed/24-duplicate-key.toml",
        "tests/malformed/25-deep-nesting.toml",
        "tests/malformed/33-unknown-pool-mode.toml",
        "tests/malformed/41-unknown-metric-under-dotted-header.toml",
        "tests/malformed-shard/10-unknown-field.toml",
    ];
    assert_eq!(refused, expected);
}

#[test]
fn the_schema_knows_each_command_and_setting() {
    let v = validator();
    let base = "[lesson]\ntitle = \"t\"\n[[nodes]]\nname = \"pg1\"\n";
    let ok = |extra: &str| v.is_valid(&json(&format!("{base}{extra}")).unwrap());
    assert!(ok("[[timeline]]\nat = \"10s\"\naction = \"crash_host\"\nnode = \"pg1\"\n"));
    assert!(!ok("[[timeline]]\nat = \"10s\"\naction = \"crash_hots\"\nnode = \"pg1\"\n"), "an unknown action");
    assert!(!ok("[[timeline]]\nat = \"10\"\naction = \"crash_host\"\nnode = \"pg1\"\n"), "a duration without a unit");
    assert!(ok("[[timeline]]\nat = \"1m30s\"\naction = \"set\"\nsettings = { ttl = 20, synchronous_commit = \"remote_apply\", fencing = \"on\" }\n"));
    assert!(!ok("[[timeline]]\nat = \"10s\"\naction = \"set\"\nsettings = { tll = 20 }\n"), "an unknown setting");
    assert!(!ok("[[timeline]]\nat = \"10s\"\naction = \"set_drop_rate\"\nfrom = \"pg1\"\nto = \"pg2\"\nrate = 1.5\n"), "a rate above 1");
    assert!(ok("[expect.metrics]\nfailovers = { min = 1 }\n"));
    assert!(!ok("[expect.metrics]\nfailover = { min = 1 }\n"), "an unknown figure");
    assert!(ok("[table]\nname = \"t\"\nshard_key = \"id\"\ncolumns = [{ name = \"id\" }]\n[cluster]\nstrategy = \"ring\"\n"));
    assert!(!ok("[cluster]\nstrategy = \"ring\"\nshard = 4\n"), "an unknown field of a sharding section");
}
