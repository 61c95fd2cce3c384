//! Sharding lessons: every one replays and meets its expectations, runs are deterministic, bad
//! lesson files get placed errors, and online resharding keeps every write over many seeds.
use dbsim_tests::files;
use sim_core::runner::sharded::ShardLesson;
use sim_core::shard::cluster::{run_moves, Column, Config, Dist, Move, Vindex};
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
        };
        let at = 2 + seed % 5;
        let r = run_moves(&cfg, seed, &[(at, mv)]).unwrap_or_else(|e| panic!("seed {seed}: {e:?}"));
        assert_eq!((r.lost_writes, r.misrouted_writes), (0, 0), "seed {seed}");
        assert!(r.acked_writes > 10_000, "seed {seed}: {} writes", r.acked_writes);
        moves += r.reshards.len();
    }
    assert!(moves >= 40, "every run performed its reshard ({moves})");
}

/// A sharding lesson is a `Session` like any other: time travel by snapshot and replay, the
/// learner's crash of one shard's primary and a reshard as commands, fork.
#[test]
fn a_sharding_session_seeks_forks_and_takes_commands() {
    use sim_core::{Command, SimTime};
    use sim_session::Session;
    let path = root_file("scenarios/sharding/10i-blast-radius.toml");
    let src = std::fs::read_to_string(&path).unwrap();
    let mut s = Session::new("10i-blast-radius.toml", &src, None).unwrap();
    assert!(s.shard_lesson().is_some() && s.scenario().is_none());
    assert_eq!(s.world.scopes(), 4, "one Patroni cluster per shard in the one world");
    s.advance_to(SimTime(40_000_000)).unwrap();
    s.command(Command::CrashHost { node: "s0/pg1".into() }).unwrap();
    let refused = s.command(Command::CrashHost { node: "pg1".into() }).unwrap_err();
    assert!(refused.contains("s0/pg1"), "a bare node name is refused with the form to use: {refused}");
    s.advance_to(SimTime(60_000_000)).unwrap();
    s.command(Command::Reshard { kind: "add".into(), shard: None }).unwrap();
    let busy = s.command(Command::Reshard { kind: "add".into(), shard: None }).unwrap_err();
    assert!(busy.contains("still moving"), "{busy}");
    s.seek(SimTime(90_000_000)).unwrap();
    let straight = s.world.trace_hash();
    s.seek(SimTime(12_000_000)).unwrap();
    s.seek(SimTime(90_000_000)).unwrap();
    assert_eq!(s.world.trace_hash(), straight, "replay after a seek equals the straight run");
    let goals = s.goals(None);
    assert!(!goals.is_empty());
    let r = s.shard_lesson().unwrap().report_of(&s.world).unwrap();
    let ha = &r.shard_clusters;
    assert_eq!(ha[0].failovers, 1, "the learner's crash failed s0 over: {:?}", ha[0]);
    assert_eq!(ha[2].failovers, 1, "the lesson's own crash of s2: {:?}", ha[2]);
    assert_eq!(r.run.as_ref().unwrap().reshards.len(), 1);
    assert_eq!(r.metrics["lost_writes"], 0.0);
    // Fork at 50 s: the reshard (60 s) is dropped, the crash (40 s) stays.
    s.seek(SimTime(50_000_000)).unwrap();
    s.fork().unwrap();
    assert_eq!(s.log.len(), 1);
    s.seek(SimTime(90_000_000)).unwrap();
    let r = s.shard_lesson().unwrap().report_of(&s.world).unwrap();
    assert!(r.run.as_ref().unwrap().reshards.is_empty());
    // A replication scenario has no shards to reshard.
    let plain_src = std::fs::read_to_string(root_file("scenarios/01-async-failover.toml")).unwrap();
    let mut plain = Session::new("01-async-failover.toml", &plain_src, None).unwrap();
    assert!(plain.command(Command::Reshard { kind: "add".into(), shard: None }).unwrap_err().contains("no shards"));
    let mut s = Session::new("10i-blast-radius.toml", &src_of("10i-blast-radius.toml"), None).unwrap();
    assert!(s.command(Command::Reshard { kind: "grow".into(), shard: None }).unwrap_err().contains("unknown reshard kind"));
}

fn src_of(name: &str) -> String {
    std::fs::read_to_string(root_file(&format!("scenarios/sharding/{name}"))).unwrap()
}

/// Over many seeds, a learner's crash of any one shard's primary (in one world with the router
/// and every shard's cluster) stops that shard's writes alone, loses nothing with synchronous
/// replication, and every write the router acknowledged is a commit on some shard's primary.
#[test]
fn a_crash_on_any_shard_stays_on_that_shard_for_every_seed() {
    use sim_core::{Command, SimTime};
    use sim_session::Session;
    let src = src_of("10b-good-shard-key.toml");
    for seed in 1..=20u64 {
        let mut lesson = ShardLesson::parse("10b.toml", &src).unwrap();
        assert!(lesson.ensure_clusters(), "10b has no clusters of its own");
        let mut s = Session::sharded("10b.toml", &src, lesson, Some(seed)).unwrap();
        let shard = (seed % 4) as u32;
        s.advance_to(SimTime(10_000_000)).unwrap();
        let node = s.world.shard_primary(shard).unwrap();
        s.command(Command::CrashHost { node }).unwrap();
        let end = s.end();
        s.advance_to(end).unwrap();
        let r = s.shard_lesson().unwrap().report_of(&s.world).unwrap();
        let run = r.run.as_ref().unwrap();
        for (i, h) in r.shard_clusters.iter().enumerate() {
            let refused: u64 = run.load.iter().map(|row| row[i].errors).sum();
            assert_eq!(refused > 0, i as u32 == shard, "seed {seed}: shard {i} refused {refused} writes (crashed: {shard})");
            assert!(h.broken.is_empty(), "seed {seed}: {h:?}");
            assert_eq!(h.commits_lost, 0, "seed {seed}: {h:?}");
        }
        assert_eq!(run.acked_writes, r.shard_clusters.iter().map(|h| h.commits_acked).sum::<u64>(), "seed {seed}");
        assert_eq!(r.metrics["lost_writes"], 0.0, "seed {seed}");
        // The goal's counter is the run's own: every refused write of every shard.
        let refused: u64 = run.load.iter().flatten().map(|l| l.errors).sum();
        assert!(refused > 0 && r.metrics["failed_writes"] == refused as f64, "seed {seed}: failed_writes {} against {refused} refused", r.metrics["failed_writes"]);
        // The shard table's "writes unavailable" is the findings' "no writable primary" span.
        let h = &r.shard_clusters[shard as usize];
        let (a, b) = h.writes_down.unwrap_or_else(|| panic!("seed {seed}: the crashed shard shows no time without writes: {h:?}"));
        assert_eq!(h.unavailable_ms, Some(b - a), "seed {seed}");
        assert!(r.lines.iter().any(|l| l.starts_with(&format!("shard {}:", h.shard)) && l.contains("no writable primary")), "seed {seed}: {:?}", r.lines);
    }
}

/// 10h's goal "no failed write" judges every write the run failed, not only the cutover's: a
/// learner's crash of the splitting shard's primary during the split fails it, with the count the
/// run refused.
#[test]
fn a_crash_during_the_split_fails_the_failed_writes_goal() {
    use sim_core::{Command, SimTime};
    use sim_session::Session;
    let src = src_of("10h-online-split.toml");
    for seed in [11u64, 1, 2] {
        let mut lesson = ShardLesson::parse("10h.toml", &src).unwrap();
        assert!(lesson.ensure_clusters());
        let mut s = Session::sharded("10h.toml", &src, lesson, Some(seed)).unwrap();
        s.advance_to(SimTime(21_000_000)).unwrap();
        let node = s.world.shard_primary(0).unwrap();
        s.command(Command::CrashHost { node }).unwrap();
        let end = s.end();
        s.advance_to(end).unwrap();
        let r = s.shard_lesson().unwrap().report_of(&s.world).unwrap();
        let run = r.run.as_ref().unwrap();
        let refused: u64 = run.load.iter().flatten().map(|l| l.errors).sum();
        let cutover: u64 = run.reshards.iter().map(|m| m.writes_failed).sum();
        assert!(refused > 1000, "seed {seed}: the crash refuses writes ({refused})");
        assert_eq!(r.metrics["failed_writes"], (refused + cutover) as f64, "seed {seed}");
        let goal = r.expectations.iter().find(|e| e.name == "failed_writes").expect("10h judges failed_writes");
        assert!(!goal.ok, "seed {seed}: {goal:?}");
    }
}

/// One lesson format: a sharded lesson's `[patroni]` is each shard's Patroni, so a longer `ttl`
/// keeps the failed shard without a writable primary for longer, while the other shards never
/// notice. The same lesson read as a cluster scenario is refused with its place.
#[test]
fn a_sharded_lessons_patroni_section_sets_every_shards_cluster() {
    let base = src_of("10i-blast-radius.toml");
    let down_ms = |src: &str| {
        let r = ShardLesson::parse("10i.toml", src).unwrap_or_else(|e| panic!("{e}")).run(None).unwrap();
        let (a, b) = r.shard_clusters[2].writes_down.unwrap_or_else(|| panic!("s2 fails over: {:?}", r.shard_clusters[2]));
        assert!(r.shard_clusters.iter().enumerate().all(|(i, h)| i == 2 || h.failovers == 0), "{:?}", r.shard_clusters);
        b - a
    };
    let default_ttl = down_ms(&base);
    let long_ttl = down_ms(&format!("{base}\n[patroni]\nttl = 60\nloop_wait = 10\nretry_timeout = 10\n"));
    assert!(long_ttl >= default_ttl + 20_000, "ttl 60 s keeps s2 down longer than ttl 30 s: {long_ttl} ms vs {default_ttl} ms");
    let err = sim_core::load("10i.toml", &base, None).map(|_| ()).expect_err("a sharded lesson is no single cluster").to_string();
    assert!(err.starts_with("10i.toml:") && err.contains("sharded lesson"), "{err}");
    let bad = ShardLesson::parse("10i.toml", &format!("{base}\n[patroni]\nttl = 5\n")).map(|_| ()).expect_err("Patroni's limits hold for shards too").to_string();
    assert!(bad.contains("field `patroni.ttl`"), "{bad}");
    // The lesson's run bounds bound the whole sharded world.
    let bounded = ShardLesson::parse("10i.toml", &base.replace("[run]\n", "[run]\nmax_events = 5000\n")).unwrap_or_else(|e| panic!("{e}"));
    let err = bounded.run(None).expect_err("5000 events cannot carry 90 s of four clusters");
    assert!(err.contains("event limit (5000 events)"), "{err}");
}
