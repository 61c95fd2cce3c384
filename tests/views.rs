//! The views the pages draw show what the lessons tell learners to watch, for any seed: the
//! leader key's countdown, `sync_state`, a slot's WAL filling the disk, the "writes unavailable"
//! figure, goals that are not judged before their time, and the charts' warning colours.
use sim_core::SimTime;
use sim_session::view::{Aim, GoalState, Preview, TargetKind};
use sim_session::Session;

fn lesson(file: &str, seed: u64) -> Session {
    let path = format!("{}/../scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(&path).unwrap();
    Session::new(file, &src, Some(seed)).unwrap()
}

fn at(s: &mut Session, secs: u64) {
    s.seek(SimTime(secs * 1_000_000)).unwrap();
}

const SEEDS: std::ops::RangeInclusive<u64> = 1..=12;

#[test]
fn the_leader_key_counts_down_from_ttl_and_runs_out_after_a_crash() {
    for seed in SEEDS {
        let mut s = lesson("03a-default-timings.toml", seed);
        at(&mut s, 20);
        let c = s.cluster_view();
        assert_eq!(c.leader.as_deref(), Some("pg1"), "seed {seed}");
        let left = c.leader_expires_in_ms.unwrap();
        assert!(left > 0 && left <= 30_000, "seed {seed}: {left} ms left of a 30 s ttl");
        // The primary crashes at 40 s: its key is not renewed, so some moment shows no leader.
        let mut keyless = false;
        for t in 41..80 {
            at(&mut s, t);
            keyless |= s.cluster_view().leader.is_none();
        }
        assert!(keyless, "seed {seed}: the key never ran out");
    }
}

#[test]
fn writes_unavailable_is_shown_during_the_failover_and_its_window_after() {
    for seed in SEEDS {
        let mut s = lesson("03a-default-timings.toml", seed);
        at(&mut s, 30);
        assert_eq!(s.cluster_view().writes_unavailable_ms, None, "seed {seed}");
        let mut most = 0;
        for t in 42..100 {
            at(&mut s, t);
            most = most.max(s.cluster_view().writes_unavailable_ms.unwrap_or(0));
        }
        at(&mut s, 150);
        let c = s.cluster_view();
        let window = c.last_failover_unavailable_ms.expect("a failover happened");
        assert_eq!(Some(window), s.world.run_metrics().failovers.last().and_then(|f| f.unavailable_ms), "seed {seed}");
        assert!(most >= 10_000 && most <= window, "seed {seed}: live gap {most} ms, failover window {window} ms");
    }
}

#[test]
fn sync_state_shows_one_sync_standby_and_one_async() {
    for seed in SEEDS {
        let mut s = lesson("02-sync-failover.toml", seed);
        at(&mut s, 20);
        let mut states: Vec<String> = s.cluster_view().nodes.iter().filter_map(|n| n.sync_state.clone()).collect();
        states.sort();
        assert_eq!(states, ["async", "sync"], "seed {seed}");
        let c = s.cluster_view();
        let primary = c.nodes.iter().find(|n| n.primary).unwrap();
        assert_eq!(primary.sync_state, None);
        assert_eq!(primary.replay_lsn, None, "a primary shows no replay position");
    }
}

#[test]
fn a_stuck_slot_fills_the_primarys_disk_as_the_gauge_shows() {
    for seed in SEEDS {
        let mut s = lesson("06-slot-fills-disk.toml", seed);
        at(&mut s, 12);
        let before = s.cluster_view();
        let pg1 = |c: &sim_session::view::ClusterView| c.nodes.iter().find(|n| n.name == "pg1").unwrap().disk_pct;
        let slot = before.slots.first().expect("the lesson's slot").clone();
        at(&mut s, 40);
        let later = s.cluster_view();
        assert!(pg1(&later) > pg1(&before), "seed {seed}: disk {} % then {} %", pg1(&before), pg1(&later));
        assert!(later.slots[0].retained_bytes > slot.retained_bytes && !later.slots[0].consumer_running, "seed {seed}");
        let mut full = false;
        for t in (40..150).step_by(5) {
            at(&mut s, t);
            full |= s.cluster_view().nodes.iter().any(|n| n.name == "pg1" && (n.disk_full || n.disk_pct >= 99));
        }
        assert!(full, "seed {seed}: the disk never filled");
    }
}

#[test]
fn figures_are_judged_only_at_the_end_and_failures_are_drawn_as_bad() {
    let mut s = lesson("03a-default-timings.toml", 7);
    let goals = s.goals(None);
    let failover = goals.iter().find(|g| g.name == "failover_max_s").unwrap();
    assert_eq!(failover.state, GoalState::Pending, "{failover:?}");
    at(&mut s, 150);
    assert!(s.goals(None).iter().all(|g| g.state != GoalState::Pending), "{:?}", s.goals(None));
    let charts = s.charts();
    let ids: Vec<&str> = charts.iter().map(|c| c.id).collect();
    assert_eq!(ids, ["chart-throughput", "chart-latency", "chart-lag", "chart-lag-bytes", "chart-lost"]);
    let failed = charts[0].lines.iter().find(|l| l.name == "failed").unwrap();
    assert!(failed.bad && !charts[0].lines[0].bad);
    assert!(charts[0].lines[0].points.len() > 100 && charts[0].lines[0].points.len() <= sim_session::view::MAX_POINTS);
}

#[test]
fn the_pitr_view_previews_a_restore_and_says_when_the_target_is_past_the_archive() {
    let mut s = lesson("08a-drop-table-pitr.toml", 3);
    at(&mut s, 190);
    let v = s.pitr_view(&Aim { slider_ms: Some(100_000), typed: None, inclusive: true, timeline: None }).expect("a [backup] section");
    assert!(matches!(&v.preview, Preview::Would { warning: None, .. }), "{:?}", v.preview);
    assert!(v.segments.iter().any(|x| x.state == "archived"));
    assert_eq!(v.timelines.len(), 1);
    assert!(v.gauges.is_none());
    // The newest WAL is not archived yet: a target of "now" lies past the archive.
    let now = s.pitr_view(&Aim { inclusive: true, ..Aim::default() }).unwrap();
    assert!(matches!(&now.preview, Preview::Would { warning: Some(_), .. } | Preview::Refused(_)), "{:?}", now.preview);
    assert!(s.lesson_view().watch.iter().any(|w| w.text.contains("DROP")));
}

#[test]
fn a_lesson_whose_point_is_a_missed_sla_says_so_once_drilled() {
    let s = lesson("08g-strategy-misses-sla.toml", 2);
    let drill_goal = |goals: Vec<sim_session::view::Goal>| goals.into_iter().find(|g| g.name == "drill_sla").expect("a drill goal");
    assert_eq!(drill_goal(s.goals(None)).state, GoalState::Pending);
    let results = s.drill();
    let g = drill_goal(s.goals(Some(&results)));
    assert_eq!(g.state, GoalState::ViolatedAsShown, "{g:?}");
    assert!(g.text.contains("misses the SLA") && g.text.contains("RTO"), "{}", g.text);
    let meets = lesson("08f-strategy-meets-sla.toml", 2);
    let g = drill_goal(meets.goals(Some(&meets.drill())));
    assert_eq!(g.state, GoalState::Met, "{g:?}");
}

#[test]
fn the_drill_button_works_on_every_backup_lesson() {
    for f in ["08a-drop-table-pitr.toml", "08b-archive-timeout-60s.toml", "08d-missing-segment.toml", "08e-corrupt-backup-drill.toml"] {
        let s = lesson(f, 1);
        let rows = s.drill().unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(!rows.is_empty(), "{f}");
    }
}

#[test]
fn a_pitr_target_can_be_typed_or_snapped_to_the_drop() {
    for seed in 1..=5 {
        let mut s = lesson("08a-drop-table-pitr.toml", seed);
        at(&mut s, 260);
        let v = s.pitr_view(&Aim { inclusive: true, ..Aim::default() }).unwrap();
        assert_eq!(v.mistakes.len(), 1, "seed {seed}: the DROP is marked");
        let drop = v.snaps.iter().find(|x| x.kind == TargetKind::Xid).expect("a snap to the DROP").clone();
        assert!(!drop.inclusive && drop.label.contains("DROP TABLE"), "{drop:?}");
        // Snapping there previews the table back, as restore 3 of the lesson does.
        let aim = Aim { slider_ms: None, typed: Some((drop.kind, drop.value.clone())), inclusive: drop.inclusive, timeline: drop.timeline };
        let snapped = s.pitr_view(&aim).unwrap();
        assert_eq!(snapped.typed_error, None);
        let Preview::Would { text, .. } = &snapped.preview else { panic!("seed {seed}: {:?}", snapped.preview) };
        assert!(text.contains(" rows;") && !text.contains("dropped"), "seed {seed}: {text}");
        assert!(matches!(&snapped.restore, sim_core::Command::PitrRestore { target_xid: Some(x), inclusive: false, .. } if x.to_string() == drop.value));
        // Typed nonsense is refused beside the field, naming what is wrong.
        for (kind, bad, says) in [(TargetKind::Xid, "abc", "not a transaction ID"), (TargetKind::Lsn, "0/zz", "zz"), (TargetKind::Time, "yesterday", "yesterday")] {
            let v = s.pitr_view(&Aim { slider_ms: None, typed: Some((kind, bad.into())), inclusive: true, timeline: None }).unwrap();
            let e = v.typed_error.unwrap_or_default();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let lsn = v.snaps.iter().find(|x| x.kind == TargetKind::Lsn).expect("a backup or segment end");
        let v = s.pitr_view(&Aim { slider_ms: None, typed: Some((lsn.kind, lsn.value.clone())), inclusive: true, timeline: None }).unwrap();
        assert!(v.typed_error.is_none() && matches!(v.preview, Preview::Would { .. }), "{:?}", v.preview);
    }
}

#[test]
fn a_drill_run_in_small_slices_reaches_the_same_verdicts() {
    let s = lesson("08g-strategy-misses-sla.toml", 3);
    let whole = s.drill().unwrap();
    let mut d = sim_core::drill::Drill::new(s.scenario().unwrap(), s.seed).unwrap();
    let mut steps = 0;
    while !d.step(20_000).unwrap() {
        steps += 1;
        assert!(d.progress().0 <= d.progress().1);
    }
    assert!(steps > 20, "the drill ran in {steps} slices");
    assert_eq!(d.results, whole);
}

#[test]
fn a_broken_property_agrees_with_the_lost_commit_figure() {
    for seed in 1..=5 {
        let mut s = lesson("04b-dcs-partition-no-fencing.toml", seed);
        at(&mut s, 150);
        let lost = s.world.run_metrics().commits_lost;
        let goals = s.goals(None);
        let g = goals.iter().find(|g| g.name == "violated:no_acked_commit_lost").expect("the property goal");
        assert_eq!(g.state, GoalState::ViolatedAsShown, "{g:?}");
        assert!(g.text.contains("first broken at ") && g.text.contains(&format!("; {lost} acknowledged commits lost in all")), "seed {seed}: {} vs {lost}", g.text);
    }
}

#[test]
fn every_invariant_says_what_it_promises_before_anything_happens() {
    let s = lesson("01-async-failover.toml", 1);
    let props = s.properties();
    assert_eq!(props.len(), 6);
    assert!(props.iter().all(|p| !p.detail.is_empty() && !p.violated), "{props:?}");
}

/// A challenge's panel: open while the run goes on, missed once a goal fails, met only at the end
/// with every goal met; the learner's commands are counted, the reference solution never shown.
#[test]
fn a_challenge_is_met_by_the_learners_commands_and_missed_without_them() {
    use sim_session::view::ChallengeState;
    for seed in [1, 2, 3] {
        let path = format!("{}/../scenarios/challenges/09-fast-failover.toml", env!("CARGO_MANIFEST_DIR"));
        let src = std::fs::read_to_string(&path).unwrap();
        let mut idle = Session::new("09-fast-failover.toml", &src, Some(seed)).unwrap();
        let view = |s: &Session| s.challenge_view(&s.goals(None)).unwrap();
        assert_eq!(view(&idle).state, ChallengeState::Open, "seed {seed}");
        assert!(view(&idle).task.contains("ttl") && view(&idle).ability.contains("30 s") && !view(&idle).hints.is_empty());
        idle.seek(idle.end()).unwrap();
        assert_eq!(view(&idle).state, ChallengeState::Missed, "seed {seed}: doing nothing misses it");
        let mut tried = Session::new("09-fast-failover.toml", &src, Some(seed)).unwrap();
        let scn = tried.scenario().unwrap().clone();
        for (at, cmd) in scn.solution() {
            tried.seek(SimTime(at.0)).unwrap();
            tried.command(cmd).unwrap();
        }
        assert_eq!(view(&tried).commands, 1);
        tried.seek(SimTime(150_000_000)).unwrap();
        assert_eq!(view(&tried).state, ChallengeState::Open, "seed {seed}: not met before the end");
        tried.seek(tried.end()).unwrap();
        assert_eq!(view(&tried).state, ChallengeState::Met, "seed {seed}: {:?}", tried.goals(None));
    }
    let plain = lesson("01-async-failover.toml", 1);
    assert!(plain.challenge_view(&plain.goals(None)).is_none());
}

/// Lesson 01's watch items hold for every seed: the WAL the cut-off standbys have not replayed
/// climbs from 25 s while the primary acknowledges commits; the charts break where the run has no
/// value (the primary is down from 30 s until a standby is promoted) instead of drawing a climb
/// across the gap; and the new leader's log line says how far behind it was, against Patroni's
/// default `maximum_lag_on_failover`.
#[test]
fn lesson_01s_watch_items_hold_for_every_seed() {
    let mut refused_by_default = 0;
    for seed in SEEDS {
        let mut s = lesson("01-async-failover.toml", seed);
        at(&mut s, 120);
        let charts = s.charts();
        let bytes = charts.iter().find(|c| c.id == "chart-lag-bytes").expect("the chart the watch item names");
        assert!(!bytes.lines.is_empty(), "seed {seed}");
        for l in &bytes.lines {
            let during: Vec<f64> = l.points.iter().filter(|p| p.0 > 25.0 && p.0 < 30.0).map(|p| p.1.unwrap_or_else(|| panic!("seed {seed}: {} has no value at {} s", l.name, p.0))).collect();
            assert!(during.len() >= 3 && during.windows(2).all(|w| w[1] > w[0]), "seed {seed}: {} does not climb from 25 s: {during:?}", l.name);
        }
        for c in charts.iter().filter(|c| c.id.starts_with("chart-lag")) {
            for l in &c.lines {
                // pg1 is down from 30 s; the standbys stream to nobody until the promotion.
                assert!(l.points.iter().filter(|p| p.0 > 31.0 && p.0 < 50.0).all(|p| p.1.is_none()), "seed {seed}: {} {} draws through the outage", c.id, l.name);
                for seg in l.segments() {
                    assert!(seg.windows(2).all(|w| w[1].0 - w[0].0 <= 1.5), "seed {seed}: {} {} joins points across a gap", c.id, l.name);
                }
            }
        }
        let lines = s.log_lines("", false);
        let acquired = lines.iter().find(|l| l.contains("acquired the leader key")).unwrap_or_else(|| panic!("seed {seed}: no new leader in the log"));
        assert!(acquired.contains("behind the former leader's last /optime"), "seed {seed}: {acquired}");
        // Over Patroni's default only when pg1 renewed its key after the cut, and then it says so.
        refused_by_default += usize::from(acquired.contains("maximum_lag_on_failover = 128 MB); Patroni's default of 1024 kB would have kept it out"));
    }
    assert!(refused_by_default > 0, "no seed shows a standby over the default");
}

/// Every chart of every lesson breaks its lines where the run has no value: a point is drawn
/// only where every sample it stands for had one.
#[test]
fn every_chart_line_has_gaps_where_the_run_has_no_value() {
    let dir = format!("{}/../scenarios", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
    files.sort();
    let mut gaps = 0;
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut s = lesson(&file, 3);
        let end = s.end();
        s.seek(end).unwrap();
        let series = s.world.series();
        for c in s.charts().iter().filter(|c| c.id.starts_with("chart-lag")) {
            for l in &c.lines {
                let node = s.world.nodes().iter().position(|n| n.name == l.name).unwrap();
                for &(t, v) in &l.points {
                    let sample = (0..series.len()).filter_map(|i| series.get(i)).find(|p| p.t_ms as f64 / 1000.0 == t).expect("a point is a sample");
                    let raw = if c.id == "chart-lag" { sample.lag_ms[node] } else { sample.lag_bytes[node] };
                    if raw < 0 {
                        assert_eq!(v, None, "{file}: {} {} at {t} s has no value but is drawn", c.id, l.name);
                        gaps += 1;
                    }
                }
            }
        }
    }
    assert!(gaps > 0, "some lesson has a node down or cut off: its lines must show gaps");
}

/// 11b's watch items against what `SHOW POOLS` and the diagram show, for every seed: every one of
/// the 64 server connections is open (active + idle), and the diagram draws the app servers and
/// PgBouncer with the same figures, not closed-loop clients. Settings and invariants that bear
/// on other lessons (Patroni's, synchronous replication's, `writes_blocked`) are not offered.
#[test]
fn a_pooling_lessons_diagram_and_panel_agree_for_every_seed() {
    for seed in SEEDS {
        let mut s = lesson("11b-million-users-pgbouncer.toml", seed);
        at(&mut s, 40);
        // The panel's SHOW POOLS, read by column as the page shows it.
        let panels = s.panels();
        let pools = panels.iter().flat_map(|p| table(&p.blocks, "show-pools")).next().expect("a pooling lesson's SHOW POOLS");
        let col = |name: &str| -> u32 { pools.1[pools.0.iter().position(|c| *c == name).unwrap()].parse().unwrap() };
        let (cl_active, cl_waiting, sv_active, sv_idle) = (col("cl_active"), col("cl_waiting"), col("sv_active"), col("sv_idle"));
        assert_eq!(sv_active + sv_idle, 64, "seed {seed}: {pools:?}");
        assert!((1000..=1200).contains(&cl_active), "seed {seed}: {pools:?}");
        let c = s.cluster_view();
        let t = c.tier.expect("the diagram draws the pool");
        let bouncer = t.below.expect("PgBouncer below the app servers");
        assert_eq!((bouncer.infra, bouncer.name.as_str()), ("pgbouncer", "PgBouncer, transaction pooling"));
        assert_eq!(bouncer.details, [format!("cl: {cl_active} active, {cl_waiting} waiting"), format!("sv: {sv_active} active + {sv_idle} idle of 64")], "seed {seed}");
        assert_eq!((t.first.infra, t.first.name.as_str()), ("clients", "1,000,000 users"));
        assert!(t.first.details[0].starts_with("120 app servers, "), "{:?}", t.first.details);
        let keys: Vec<&str> = s.settings_view().iter().flat_map(|g| &g.settings).map(|v| v.key).collect();
        assert!(keys.contains(&"default_pool_size") && !keys.contains(&"ttl") && !keys.contains(&"synchronous_commit"), "{keys:?}");
        assert!(s.properties().iter().all(|p| p.name != "writes_blocked"));
    }
    // A replication lesson keeps them all.
    let s = lesson("02-sync-failover.toml", 1);
    assert!(s.settings_view().iter().flat_map(|g| &g.settings).any(|v| v.key == "ttl") && s.properties().iter().any(|p| p.name == "writes_blocked"));
}

/// The columns and the first row of the table `id` among `blocks` (in groups too).
fn table(blocks: &[sim_session::view::Block], id: &str) -> Option<(Vec<&'static str>, Vec<String>)> {
    use sim_session::view::Block;
    blocks.iter().find_map(|b| match b {
        Block::Table { id: i, columns, rows, .. } if *i == id => Some((columns.clone(), rows.first()?.clone())),
        Block::Group { blocks, .. } => table(blocks, id),
        _ => None,
    })
}

/// The chapter's task at the end of 08a: after the lesson's three restores, "just before the
/// DROP" is still offered (on timeline 1, where the DROP is), a restore started at the very end
/// runs to completion (the run goes on until the recovery server is ready), its log lines come
/// when it finishes rather than when it starts, and the next preview is not refused.
#[test]
fn a_restore_at_the_end_of_08a_finishes_and_brings_the_table_back() {
    use sim_session::view::RestoredView;
    for seed in 1..=4 {
        let mut s = lesson("08a-drop-table-pitr.toml", seed);
        let end = s.end();
        s.seek(end).unwrap();
        let v = s.pitr_view(&Aim::default()).unwrap();
        assert_eq!(v.mistakes.len(), 1, "seed {seed}: the DROP is marked at the end");
        let drop = v.snaps.iter().find(|x| x.kind == TargetKind::Xid).expect("a snap to the DROP").clone();
        assert_eq!(drop.timeline, Some(1), "seed {seed}: {drop:?}");
        let aim = Aim { slider_ms: None, typed: Some((drop.kind, drop.value.clone())), inclusive: false, timeline: drop.timeline };
        let v = s.pitr_view(&aim).unwrap();
        let Preview::Would { text, warning } = &v.preview else { panic!("seed {seed}: {:?}", v.preview) };
        assert!(text.contains(" rows;") && warning.is_none(), "seed {seed}: {text} / {warning:?}");
        let before = s.world.notes().len();
        s.command(v.restore.clone()).unwrap();
        let promoted = |s: &Session| s.world.notes().iter().skip(before).any(|n| n.text.contains("PITR: promoted"));
        assert!(!promoted(&s), "seed {seed}: the restore's log comes when it has run, not when it starts");
        assert!(s.end() > end, "seed {seed}: the run goes on for the restore");
        let end = s.end();
        s.seek(end).unwrap();
        assert!(promoted(&s), "seed {seed}: the restore finished");
        let v = s.pitr_view(&aim).unwrap();
        assert!(matches!(v.restored, RestoredView::Rows { total, .. } if total > 0), "seed {seed}: {:?}", v.restored);
        assert!(v.progress.is_none() && v.restored_before);
        assert!(matches!(v.preview, Preview::Would { .. }), "seed {seed}: the same target again is not refused: {:?}", v.preview);
    }
}

/// 04a's fenced primary reads as demoting while it restarts as a standby, not as "starting".
#[test]
fn a_fenced_primary_is_shown_demoting() {
    for seed in 1..=5 {
        let mut s = lesson("04a-dcs-partition-fencing.toml", seed);
        let end = s.end();
        s.seek(end).unwrap();
        let at = s.world.notes().iter().find(|n| n.text.contains("demoting (fencing)")).map(|n| n.at_ms).unwrap_or_else(|| panic!("seed {seed}: pg1 is never fenced"));
        s.seek(SimTime((at + 1) * 1000)).unwrap();
        let pg1 = s.cluster_view().nodes.into_iter().find(|n| n.name == "pg1").unwrap();
        assert_eq!(pg1.role, "demoting", "seed {seed} at {at} ms");
    }
}

/// 08a restores to just before the DROP with a few ms of RPO; its DR drill agrees: noticing the
/// mistake, the operator switches WAL so the segment holding it is archived, then restores.
#[test]
fn the_drill_of_08a_restores_just_before_the_mistake() {
    for seed in 1..=3 {
        let s = lesson("08a-drop-table-pitr.toml", seed);
        let rows = s.drill().unwrap();
        let op = rows.iter().find(|r| r.disaster == "operator_error").expect("an operator-error disaster");
        assert!(op.rpo_met && op.rpo_ms.is_some_and(|ms| ms < 1000), "seed {seed}: {op:?}");
        assert!(op.detail.iter().any(|d| d.starts_with("noticed 2 min after it")), "seed {seed}: {:?}", op.detail);
    }
}
