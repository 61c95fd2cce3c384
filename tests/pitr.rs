//! PITR against the simulator's own committed history: over many seeds with random faults and
//! failovers, a restore to a random time, LSN or xid target (inclusive or not) yields exactly the
//! committed state at that target, and chained restores branch timelines correctly.
use dbsim_tests::sweep_scenario;
use sim_core::pitr::{restore, History, Op, Rates, Record, Request, SegmentState, Table, Target, TargetAction};
use sim_core::rng::SimRng;
use sim_core::SimTime;

const BACKUP: &str = "\n[backup]\nbase_backup_every = \"60s\"\narchive_timeout = \"10s\"\narchive_latency = \"500ms\"\nkeep_backups = 5\n";
const RATES: Rates = Rates { restore_mb_s: 100, replay_mb_s: 100 };

/// The committed state at a target, folded straight from the records (written apart from `pitr`).
fn oracle(recs: &[&Record], target: &Target, inclusive: bool) -> Table {
    let mut t = Table::default();
    for r in recs {
        let commit = !matches!(r.op, Op::RestorePoint { .. });
        let past = match target {
            Target::Time(x) => commit && (r.at > *x || (!inclusive && r.at == *x)),
            Target::Lsn(x) => r.lsn > *x || (!inclusive && r.lsn == *x),
            Target::Xid(x) => commit && r.xid == *x && !inclusive,
            _ => false,
        };
        if past {
            break;
        }
        t.apply(r);
        if matches!(target, Target::Xid(x) if commit && r.xid == *x) {
            break;
        }
    }
    t
}

/// Records of the lineage whose whole segment reached the archive.
fn archived_prefix<'a>(h: &'a History, a: &sim_core::pitr::Archive) -> Vec<&'a Record> {
    let newest = a.segments.iter().filter(|(_, s)| matches!(s, SegmentState::Archived { .. })).map(|(n, _)| sim_core::pitr::segment_number(n)).max().unwrap_or(0);
    h.lineage(h.latest()).into_iter().filter(|r| r.lsn <= newest * sim_core::lsn::SEGMENT_BYTES).collect()
}

#[test]
fn restores_over_many_seeds_equal_the_committed_history() {
    let (mut checked, mut promoted_timelines) = (0, 0);
    for seed in 0..24u64 {
        let src = format!("{}{BACKUP}", sweep_scenario(seed).src);
        let (_, mut w) = sim_core::load("sweep", &src, Some(seed)).unwrap();
        w.run_to_end().unwrap();
        let b = w.backups().expect("the [backup] section is present");
        promoted_timelines += w.history().timelines.len() - 1;
        for (id, tl) in &w.history().timelines {
            assert!(tl.parent.is_none_or(|p| p < *id), "timeline {id} has parent {:?}", tl.parent);
            assert_eq!(tl.switches.len(), w.history().timelines.get(&tl.parent.unwrap_or(0)).map_or(0, |p| p.switches.len() + 1));
        }
        let recs = archived_prefix(w.history(), &b.archive);
        let mut rng = SimRng::derive(seed, "targets");
        for k in 0..30 {
            let Some(r) = recs.get(rng.below(recs.len().max(1) as u64) as usize) else { break };
            let inclusive = rng.below(2) == 0;
            let target = match k % 3 {
                0 => Target::Time(r.at),
                1 => Target::Lsn(r.lsn),
                _ => Target::Xid(r.xid),
            };
            let req = Request { target: target.clone(), inclusive, timeline: None, action: TargetAction::Promote };
            match restore(w.history(), &b.archive, &req, w.now(), &b.clock, RATES) {
                Ok(out) => {
                    assert_eq!(out.table, oracle(&recs, &target, inclusive), "seed {seed}: {target:?} inclusive {inclusive}");
                    assert!(out.stopped_early.is_none(), "seed {seed}: {:?}", out.stopped_early);
                    assert_eq!(out.new_timeline, Some(w.history().latest() + 1));
                    checked += 1;
                }
                Err(e) => assert!(e.message.contains("before the oldest usable base backup"), "seed {seed}: {target:?}: {e}"),
            }
        }
    }
    assert!(checked >= 400, "only {checked} restores compared");
    assert!(promoted_timelines >= 5, "the sweep should include failovers ({promoted_timelines} timelines)");
}

#[test]
fn chained_restores_in_a_running_world_create_timelines_2_and_3() {
    let src = include_str!("../scenarios/08a-drop-table-pitr.toml");
    let (_, mut w) = sim_core::load("08a", src, None).unwrap();
    w.run_to_end().unwrap();
    let r = w.backup_report().unwrap();
    let tls: Vec<Option<u32>> = r.restores.iter().map(|x| x.new_timeline).collect();
    assert_eq!(tls, vec![Some(2), Some(3), Some(4)]);
    assert!(r.restores[0].table_dropped, "inclusive time target replays the DROP");
    assert!(!r.restores[1].table_dropped && r.restores[1].rows > 0, "exclusive time target stops before it");
    assert_eq!(r.restores[1].end_lsn, r.restores[2].end_lsn, "the xid target stops at the same place");
    assert!(r.restores[0].history.ends_with("\tafter 2026-11-25 14:03:17+00\n"), "{}", r.restores[0].history);
    assert!(r.restores[1].history.ends_with("\tbefore 2026-11-25 14:03:17+00\n"), "{}", r.restores[1].history);
    // A promotion after the restores must not reuse their timeline IDs.
    let longer = src.replace("duration = \"6m\"", "duration = \"8m\"");
    let (_, mut w2) = sim_core::load("08a", &longer, None).unwrap();
    w2.run_until(SimTime(340_000_000)).unwrap();
    w2.schedule(SimTime(341_000_000), sim_core::Command::CrashHost { node: "pg1".into() }).unwrap();
    w2.run_to_end().unwrap();
    let tl = w2.nodes().iter().map(|n| n.tl).max().unwrap();
    assert_eq!(tl, 5, "the failover after three promoting restores takes timeline 5");
}

#[test]
fn refused_restores_leave_the_world_untouched() {
    let src = include_str!("../scenarios/08e-corrupt-backup-drill.toml");
    let (_, mut w) = sim_core::load("08e", src, None).unwrap();
    w.run_until(SimTime(200_000_000)).unwrap();
    let before = w.backup_report().unwrap().restores.len();
    let hist = w.history().timelines.len();
    // The same command vocabulary as a scenario's timeline.
    let cmds = sim_core::command::log_from_toml(
        r#"{ at = "0s", action = "pitr_restore", target_time = "2026-11-25 21:00:00" },
           { at = "0s", action = "pitr_restore", target_time = "2026-11-26 09:00:00" },
           { at = "0s", action = "pitr_restore", target_timeline = 9 }"#,
    )
    .unwrap();
    assert_eq!(cmds.len(), 3);
    for (_, cmd) in cmds {
        let at = w.now();
        match w.schedule(at, cmd) {
            Ok(()) => w.run_until(at).unwrap(),
            Err(e) => assert!(e.kind == sim_core::world::CommandErrorKind::BadValue && e.message.contains("before the scenario starts"), "{e}"),
        }
    }
    let r = w.backup_report().unwrap();
    assert_eq!(r.restores.len(), before);
    assert_eq!(w.history().timelines.len(), hist, "no timeline was created");
    let refused = r.restores_refused.join(" | ");
    assert!(refused.contains("in the future") && refused.contains("timeline 9 does not exist"), "{refused}");
}

fn drill(file: &str) -> Vec<sim_core::drill::DrillResult> {
    let path = dbsim_tests::root().join("scenarios").join(file);
    let src = std::fs::read_to_string(&path).unwrap();
    let (scn, w) = sim_core::load(file, &src, None).unwrap();
    sim_core::drill::run(&scn, w.seed()).unwrap()
}

#[test]
fn the_good_strategy_meets_its_sla_in_every_disaster() {
    let results = drill("08f-strategy-meets-sla.toml");
    assert_eq!(results.len(), 4);
    for r in &results {
        assert!(r.rpo_met && r.rto_met, "{}: RPO {:?} RTO {:?} by {}: {:?}", r.disaster, r.rpo_ms, r.rto_ms, r.recovered_by, r.detail);
    }
    let by: Vec<&str> = results.iter().map(|r| r.recovered_by.as_str()).collect();
    assert_eq!(by, ["failover", "restore", "restore", "failover"], "region loss with synchronous_mode cannot promote the async remote standby");
    let restore = results.iter().find(|r| r.disaster == "region").unwrap();
    // 500 GB at 1 GB/s is 500 s; the WAL replay adds the rest.
    assert!(restore.rto_ms.unwrap() > 500_000 && restore.rto_ms.unwrap() < 900_000, "{:?}", restore.rto_ms);
}

#[test]
fn the_weak_strategy_misses_and_says_why() {
    let results = drill("08g-strategy-misses-sla.toml");
    let get = |d: &str| results.iter().find(|r| r.disaster == d).unwrap();
    assert_eq!(get("region").recovered_by, "none");
    assert_eq!(get("region").rpo_ms, None);
    let disk = get("primary_disk");
    assert_eq!(disk.recovered_by, "restore");
    assert!(!disk.rto_met && disk.rto_ms.unwrap() >= 512_000 * 1000 / 200, "500 GB at 200 MB/s: {:?}", disk.rto_ms);
    assert!(!disk.rpo_met, "without archive_timeout the open segment is lost: {:?}", disk.rpo_ms);
    assert!(get("archive_failure").rpo_ms.unwrap() > disk.rpo_ms.unwrap(), "a failing archive_command adds its outage to the loss");
    assert!(get("corrupt_backup").detail.iter().any(|d| d.contains("is corrupt")));
    assert!(results.iter().all(|r| !(r.rpo_met && r.rto_met)));
}

/// The page's "Run a DR drill" on a lesson without a [drill] fits the default drill into the
/// run: every built-in lesson with a [backup] gets verdicts, not "cannot run past the end".
#[test]
fn a_default_drill_fits_every_lesson_with_backups() {
    for path in dbsim_tests::files("scenarios") {
        let src = std::fs::read_to_string(&path).unwrap();
        let mut scn = sim_core::Scenario::parse(&path.display().to_string(), &src).unwrap();
        if scn.backup.is_none() || scn.drill.is_some() {
            continue;
        }
        scn.drill = Some(sim_core::scenario::DrillCfg::fitting(scn.run.duration.0));
        let verdicts = sim_core::drill::run(&scn, scn.run.seed).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(verdicts.len(), sim_core::scenario::DISASTERS.len(), "{}", path.display());
    }
}

/// The backup settings are commands too: a new `archive_timeout` takes effect at once (a reload
/// wakes the checkpointer), a new base-backup schedule from now, and the old timers stop.
#[test]
fn backup_settings_change_while_the_run_goes() {
    use sim_core::{Command, Setting};
    let src = "[lesson]\ntitle = \"t\"\n[run]\nduration = \"10m\"\n[[nodes]]\nname = \"pg1\"\n[workload]\nclients = 4\nwrite_tps = 20\n[backup]\nclock = \"2026-11-25T02:00:00Z\"\nbase_backup_every = \"6h\"\narchive_timeout = \"20m\"\n";
    let switches = |w: &sim_core::World| w.notes().iter().filter(|n| n.text.starts_with("WAL switch")).count();
    let run = |settings: Vec<Setting>| {
        let (_, mut w) = sim_core::load("t.toml", src, Some(3)).unwrap();
        if !settings.is_empty() {
            w.schedule(SimTime(60_000_000), Command::Set { settings }).unwrap();
        }
        w.run_to_end().unwrap();
        w
    };
    let idle = run(vec![]);
    // Base backups taken (the archive keeps only `keep_backups` of them).
    let base = |w: &sim_core::World| w.notes().iter().filter(|n| n.text.starts_with("base backup") && n.text.contains(" done: ")).count();
    assert_eq!(base(&idle), 1, "one base backup at the start, the next in 6 h");
    assert!(switches(&idle) <= 2, "archive_timeout = 20m: no forced switch in ten minutes ({})", switches(&idle));
    let tuned = run(vec![Setting::parse("archive_timeout", "30s").unwrap(), Setting::parse("base_backup_every", "2min").unwrap()]);
    // From 1:00 a switch every 30 s (the base backups' own switches come on top), and a base
    // backup at 3:00, 5:00, 7:00 and 9:00.
    assert!(switches(&tuned) >= 18, "archive_timeout = 30s from 1:00: {} switches", switches(&tuned));
    assert_eq!(base(&tuned), 5);
    assert_eq!(tuned.current_settings().iter().find(|s| s.0 == "archive_timeout").map(|s| s.1.clone()), Some("30s".into()));
    // Back to on demand: the schedule stops.
    let (_, mut w) = sim_core::load("t.toml", src, Some(3)).unwrap();
    w.schedule(SimTime(60_000_000), Command::Set { settings: vec![Setting::parse("base_backup_every", "2min").unwrap()] }).unwrap();
    w.schedule(SimTime(200_000_000), Command::Set { settings: vec![Setting::parse("base_backup_every", "0").unwrap()] }).unwrap();
    w.run_to_end().unwrap();
    assert_eq!(base(&w), 2, "the start's and 3:00's; none after the schedule is off");
    for bad in [("archive_timeout", "500ms"), ("base_backup_every", "30s"), ("archive_timeout", "soon")] {
        assert!(Setting::parse(bad.0, bad.1).is_err(), "{bad:?}");
    }
    let (_, mut none) = sim_core::load("t.toml", "[lesson]\ntitle = \"t\"\n[[nodes]]\nname = \"pg1\"\n", Some(3)).unwrap();
    let refused = none.schedule(SimTime(1_000_000), Command::Set { settings: vec![Setting::parse("archive_timeout", "30s").unwrap()] }).unwrap_err();
    assert_eq!(refused.kind, sim_core::world::CommandErrorKind::NoBackup);
}

/// A run keeps a bounded number of restores: the one past the bound is refused, named and
/// counted, and the world stays as it was (a link of thousands of restores cannot grow it).
#[test]
fn restores_past_the_bound_are_refused() {
    let src = include_str!("../scenarios/08a-drop-table-pitr.toml");
    let (_, mut w) = sim_core::load("08a", src, None).unwrap();
    w.run_until(SimTime(300_000_000)).unwrap();
    let bound = sim_core::backup::MAX_RESTORES;
    for i in 0..bound + 2 {
        let at = w.now() + sim_core::SimDur::secs(1);
        let latest = sim_core::command::log_from_toml(r#"{ at = "0s", action = "pitr_restore" }"#).unwrap().remove(0).1;
        w.schedule(at, latest).unwrap_or_else(|e| panic!("restore {i}: {e}"));
        w.run_until(at).unwrap();
    }
    let r = w.backup_report().unwrap();
    assert_eq!(r.restores.len(), bound);
    // Ours past the bound, and the lesson's own restores still to come.
    assert!(r.restores_refused.len() >= 2, "{:?}", r.restores_refused);
    assert!(r.restores_refused.iter().all(|e| e.contains("as many as one run keeps")), "{:?}", r.restores_refused);
    assert_eq!(w.history().timelines.len(), bound + 1, "no timeline past the bound");
}
