//! Sharding lessons: every one replays and meets its expectations, runs are deterministic, bad
//! lesson files get placed errors, and online resharding keeps every write over many seeds.
use dbsim_tests::files;
use sim_core::shard::cluster::{run_moves, Column, Config, Dist, Move, Vindex};
use sim_core::shard::lesson::ShardLesson;
use sim_core::shard::placement::{even_ranges, Placement, Ring};

fn lesson(path: &std::path::Path) -> ShardLesson {
    let src = std::fs::read_to_string(path).unwrap();
    ShardLesson::parse(&path.display().to_string(), &src).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_sharding_lesson_meets_its_expectations() {
    let all = files("scenarios/sharding");
    assert!(all.len() >= 5, "expected the five chapter-10 lessons, found {}", all.len());
    for path in all {
        let r = lesson(&path).run(None).unwrap_or_else(|e| panic!("{e}"));
        assert!(!r.expectations.is_empty(), "{} has no expectations", path.display());
        let failed: Vec<String> = r.expectations.iter().filter(|e| !e.ok).map(|e| format!("{}: {}", e.name, e.detail)).collect();
        assert!(failed.is_empty(), "{}: {}", path.display(), failed.join("; "));
    }
}

#[test]
fn sharding_runs_are_deterministic_and_seeds_matter() {
    let path = root_file("scenarios/sharding/10h-online-split.toml");
    let l = lesson(&path);
    let a = l.run(None).unwrap();
    let b = l.run(None).unwrap();
    assert_eq!(a.metrics, b.metrics);
    assert_eq!(a.run, b.run);
    assert_eq!(a.digest(), b.digest());
    let c = l.run(Some(a.seed + 1)).unwrap();
    assert_ne!(a.metrics.get("ops"), c.metrics.get("ops"));
    assert_ne!(a.digest(), c.digest());
}

fn root_file(p: &str) -> std::path::PathBuf {
    dbsim_tests::root().join(p)
}

#[test]
fn malformed_sharding_lessons_get_placed_errors() {
    let corpus = files("tests/malformed-shard");
    assert!(corpus.len() >= 4);
    for path in corpus {
        let src = std::fs::read_to_string(&path).unwrap();
        let want: Vec<&str> = src.lines().filter_map(|l| l.strip_prefix("# expect: ")).collect();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let err = match ShardLesson::parse(&name, &src) {
            Err(e) => e.to_string(),
            Ok(l) => l.run(None).err().unwrap_or_else(|| panic!("{name} ran, but should fail")),
        };
        assert!(err.starts_with(&format!("{name}:")), "{name}: error must name the file: {err}");
        for w in want {
            assert!(err.contains(w), "{name}: error `{err}` should contain `{w}`");
        }
    }
}

/// Online splits and shard additions under skewed load, many seeds: no acknowledged write is
/// lost or lands on a shard that does not own its key.
#[test]
fn resharding_never_loses_or_misroutes_a_write() {
    let mut moves = 0;
    for seed in 0..40u64 {
        let (placement, vindex, mv) = match seed % 4 {
            0 => (even_ranges(2), Vindex::Numeric, Move::Split { shard: seed as u32 % 2 }),
            1 => (even_ranges(3), Vindex::Hash, Move::Add),
            2 => (Placement::Ring(Ring::new(3, 32)), Vindex::Hash, Move::Add),
            _ => (Placement::Jump { n: 5 }, Vindex::Hash, Move::Add),
        };
        let cfg = Config {
            table: "t".into(),
            columns: vec![Column { name: "id".into(), dist: if seed % 2 == 0 { Dist::Zipf { s: 1.0 } } else { Dist::Uniform }, keys: 20_000 }],
            shard_key: "id".into(),
            vindex,
            placement,
            ops_per_s: 1500 + 100 * (seed % 7),
            read_share: 0.3,
            shard_capacity: 2000,
            rtt_us: 300,
            duration_s: 12,
            copy_rows_s: 2000 + 500 * (seed % 5),
            apply_rows_s: 10_000,
            write_timeout_us: 5_000_000,
            outages: Vec::new(),
        };
        let at = 2 + seed % 5;
        let r = run_moves(&cfg, seed, &[(at, mv)]).unwrap_or_else(|e| panic!("seed {seed}: {e:?}"));
        assert_eq!((r.lost_writes, r.misrouted_writes), (0, 0), "seed {seed}");
        assert!(r.acked_writes > 10_000, "seed {seed}: {} writes", r.acked_writes);
        moves += r.reshards.len();
    }
    assert!(moves >= 40, "every run performed its reshard ({moves})");
}
