//! Focused behaviour tests: each synchronous_commit level, sync names, switchover, crashes, timelines, the CLI.
use dbsim_tests::{run_src, THREE_ZONES};
use sim_core::report::Report;

fn cluster(postgres: &str, patroni: &str, timeline: &str, duration: &str) -> String {
    format!(
        r#"
[lesson]
title = "t"
[run]
seed = 4
duration = "{duration}"
{THREE_ZONES}
[network]
same_zone_rtt = "400us"
cross_zone_rtt = "4ms"
jitter = "0us"
[postgres]
{postgres}
[patroni]
ttl = 20
loop_wait = 5
retry_timeout = 5
{patroni}
[proxy]
check_interval = "1s"
fall = 2
rise = 1
[workload]
clients = 20
write_tps = 500
{timeline}
"#
    )
}

fn run(src: &str) -> Report {
    run_src("inline", src, None)
}

fn p50(level: &str) -> f64 {
    let src = cluster(&format!("synchronous_commit = \"{level}\"\nsynchronous_standby_names = \"FIRST 1 (pg2)\"\nreplay = \"3ms\""), "", "", "20s");
    run(&src).metrics.commit_latency_ms.p50
}

#[test]
fn each_sync_level_waits_for_more() {
    let (off, local, rw, on, apply) = (p50("off"), p50("local"), p50("remote_write"), p50("on"), p50("remote_apply"));
    assert!(off < 1.5, "off acknowledges before any flush: {off}");
    assert!(local > off, "local waits for the local flush: {local} vs {off}");
    assert!(rw >= local + 3.5, "remote_write adds the 4 ms round trip: {rw} vs {local}");
    assert!(on > rw, "on adds the standby's fsync: {on} vs {rw}");
    assert!(apply >= on + 2.5, "remote_apply adds the 3 ms replay: {apply} vs {on}");
}

#[test]
fn async_commit_loses_recent_commits_on_postgres_crash() {
    let tl = "[[timeline]]\nat = \"10s\"\naction = \"crash_postgres\"\nnode = \"pg1\"";
    let off = run(&cluster("synchronous_commit = \"off\"\nwal_writer_delay = \"200ms\"", "", tl, "40s"));
    assert!(off.metrics.commits_lost > 0, "synchronous_commit=off must lose the unflushed tail");
    assert!(off.metrics.rpo_ms <= 600, "within about 3 x wal_writer_delay: {}", off.metrics.rpo_ms);
    assert!(off.metrics.failovers.is_empty(), "Patroni restarts Postgres in place: {:?}", off.metrics.failovers);
    let local = run(&cluster("synchronous_commit = \"local\"", "", tl, "40s"));
    assert_eq!(local.metrics.commits_lost, 0);
}

#[test]
fn writes_block_without_a_sync_standby_and_resume() {
    let tl = "[[timeline]]\nat = \"5s\"\naction = \"crash_host\"\nnode = \"pg2\"\n[[timeline]]\nat = \"25s\"\naction = \"restart\"\nnode = \"pg2\"";
    let r = run(&cluster("synchronous_standby_names = \"FIRST 1 (pg2)\"", "", tl, "60s"));
    assert!(r.metrics.max_write_gap_ms >= 15_000, "commits wait while pg2 is away: {}", r.metrics.max_write_gap_ms);
    let blocked = r.invariants.iter().find(|p| p.name == "writes_blocked").unwrap();
    assert!(blocked.holds);
    // The server never fails them; clients give up after workload.timeout (10 s) and the
    // commits stay committed locally (PostgreSQL's "canceling wait for synchronous replication").
    assert!(r.metrics.commits_failed > 0, "clients time out while pg2 is away");
    assert_eq!(r.metrics.commits_failed, r.metrics.sync_waits_canceled, "every failure is a client giving up a sync wait");
    assert!(r.notes.iter().any(|n| n.text.contains("canceling wait for synchronous replication")));
    let patient = run(&cluster("synchronous_standby_names = \"FIRST 1 (pg2)\"", "", tl, "60s").replace("write_tps = 500", "write_tps = 500\ntimeout = \"60s\""));
    assert_eq!(patient.metrics.commits_failed, 0, "with a 60 s deadline nobody gives up");
    let any = run(&cluster("synchronous_standby_names = \"ANY 1 (pg2, pg3)\"", "", tl, "60s"));
    assert!(any.metrics.max_write_gap_ms < 2_000, "a quorum of any one survives losing pg2: {}", any.metrics.max_write_gap_ms);
}

#[test]
fn switchover_is_lossless_and_starts_timeline_two() {
    let tl = "[[timeline]]\nat = \"10s\"\naction = \"switchover\"\nto = \"pg3\"";
    let r = run(&cluster("", "", tl, "40s"));
    assert_eq!(r.metrics.commits_lost, 0);
    assert_eq!(r.metrics.failovers.len(), 1);
    assert_eq!(r.metrics.failovers[0].to, "pg3");
    let pg3 = r.nodes.iter().find(|n| n.name == "pg3").unwrap();
    assert_eq!((pg3.role.as_str(), pg3.timeline), ("primary", 2));
    assert!(pg3.next_xid >= sim_core::build::FIRST_XID + r.metrics.commits_acked, "xids continue across the switchover: {}", pg3.next_xid);
    let pg1 = r.nodes.iter().find(|n| n.name == "pg1").unwrap();
    assert_eq!((pg1.role.as_str(), pg1.timeline), ("standby", 2), "the old primary follows on timeline 2");
    let hist = r.timelines.iter().find(|t| t.node == "pg3").unwrap();
    assert_eq!(hist.file, "00000002.history");
    assert!(hist.content.starts_with("1\t0/") && hist.content.ends_with("\tno recovery target specified\n"), "{}", hist.content);
}

#[test]
fn old_primary_is_rewound_and_follows() {
    let tl = "[[timeline]]\nat = \"10s\"\naction = \"crash_host\"\nnode = \"pg1\"\n[[timeline]]\nat = \"50s\"\naction = \"restart\"\nnode = \"pg1\"";
    let r = run(&cluster("wal_bytes_per_commit = 8192\nstream_mb_s = 4", "", tl, "90s"));
    let pg1 = r.nodes.iter().find(|n| n.name == "pg1").unwrap();
    assert_eq!(pg1.role, "standby");
    assert_eq!(pg1.timeline, 2);
    assert!(r.notes.iter().any(|n| n.text.starts_with("pg_rewind")), "expected a pg_rewind note");
    let rows: Vec<_> = r.pg_stat_replication.iter().map(|x| x.application_name.as_str()).collect();
    assert!(rows.contains(&"pg1"), "pg1 streams from the new primary: {rows:?}");
}

#[test]
fn chained_failovers_write_history_lines() {
    let tl =
        "[[timeline]]\nat = \"5s\"\naction = \"crash_host\"\nnode = \"pg1\"\n[[timeline]]\nat = \"40s\"\naction = \"restart\"\nnode = \"pg1\"\n[[timeline]]\nat = \"60s\"\naction = \"switchover\"";
    let r = run(&cluster("", "", tl, "120s"));
    let top = r.timelines.iter().max_by_key(|t| t.file.clone()).unwrap();
    assert_eq!(top.file, "00000003.history");
    let lines: Vec<&str> = top.content.lines().collect();
    assert_eq!(lines.len(), 2, "{}", top.content);
    assert!(lines[0].starts_with("1\t") && lines[1].starts_with("2\t"));
}

#[test]
fn settings_change_is_checked_and_applied() {
    let bad = "[[timeline]]\nat = \"5s\"\naction = \"set\"\nsettings = { ttl = 20, loop_wait = 15 }";
    let err = sim_core::Scenario::parse("x.toml", &cluster("", "", bad, "10s")).unwrap_err().to_string();
    assert!(err.contains("timeline[0]") && err.contains("exceeds ttl"), "{err}");
    let good = "[[timeline]]\nat = \"5s\"\naction = \"set\"\nsettings = { synchronous_standby_names = \"pg2\" }";
    let r = run(&cluster("synchronous_commit = \"on\"", "", good, "10s"));
    let pg2 = r.pg_stat_replication.iter().find(|x| x.application_name == "pg2").unwrap();
    assert_eq!(pg2.sync_state, "sync");
    assert_eq!(pg2.state, "streaming");
}

/// What the cluster view draws: messages on the wire between the right ends, part-way along.
#[test]
fn in_flight_messages_travel_between_the_right_ends() {
    use sim_core::report::Hop;
    let src = cluster("", "", "", "20s");
    let (_, mut w) = sim_core::load("inline", &src, None).unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    let mut full = 0;
    for ms in (5_000..6_000).step_by(7) {
        w.run_until(sim_core::SimTime(ms * 1000)).unwrap();
        for f in w.in_flight(100) {
            assert!(f.permille <= 1000);
            match (f.from, f.to, f.what) {
                (Hop::Node(0), Hop::Node(s), "WAL") => assert!(s == 1 || s == 2),
                (Hop::Node(s), Hop::Node(0), "status reply") => assert!(s == 1 || s == 2),
                (Hop::Clients, Hop::Node(0), "query") | (Hop::Node(0), Hop::Clients, "result") => {}
                other => panic!("unexpected flight {other:?}"),
            }
            kinds.insert(f.what);
        }
        // A clone (a snapshot) holds its pending events differently and shows the same ones.
        let few = w.in_flight(5);
        full += usize::from(few.len() == 5);
        assert_eq!(w.clone().in_flight(5), few);
        assert_eq!(w.in_flight(100)[..few.len()], few[..]);
    }
    assert_eq!(kinds.len(), 4, "saw {kinds:?}");
    assert!(full > 20, "five or more in flight at {full} instants");
}

/// The event log's lines use the compact trace format, for notes and for every event alike.
#[test]
fn recent_events_and_notes_render_as_trace_lines() {
    let src = cluster("", "", "[[timeline]]\nat = \"2s\"\naction = \"crash_postgres\"\nnode = \"pg2\"", "5s");
    let mut s = sim_session::Session::new("inline", &src, None).unwrap();
    s.advance_to(sim_core::SimTime(5_000_000)).unwrap();
    let w = &s.world;
    assert_eq!(w.recent().count(), sim_session::session::RECENT_EVENTS);
    let last = w.render(w.recent().last().unwrap());
    assert!(last.trim_start().starts_with("4.") || last.trim_start().starts_with("5.0"), "newest event near 5 s: {last}");
    let note = w.notes().iter().find(|n| n.text.contains("crash")).expect("a crash note");
    let line = w.render_note(note);
    assert!(line.contains("pg2") && line.contains("crash") && line.trim_start().starts_with("2.000000s"), "{line}");
}

#[test]
fn any_valid_toml_reads() {
    // Multi-line and literal strings, comments everywhere, dotted keys, inline tables and arrays
    // of tables: what a course author writes.
    let src = r#"
# a comment before everything
postgres.synchronous_commit = "local"   # a dotted key at the top level
[lesson] # and after a header
title = 'literal \no escapes'
summary = """
First line, \
continued; and a second paragraph
with "quotes"."""
watch = [
  "one",   # a comment inside an array
  '''two''',
  { text = "three", shows = ["disk:pg2", "ttl-countdown"] },
]
[run]
duration = "20s"
[[nodes]]
name = "pg1"
[[nodes]]
name = "pg2"
[expect]
metrics.commits_acked = { min = 1 }
"#;
    let scn = sim_core::Scenario::parse("multi.toml", src).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scn.lesson.title, "literal \\no escapes");
    assert!(scn.lesson.summary.starts_with("First line, continued; and a second paragraph\nwith \"quotes\"."), "{:?}", scn.lesson.summary);
    let watch: Vec<(&str, usize)> = scn.lesson.watch.iter().map(|w| (w.text.as_str(), w.shows.len())).collect();
    assert_eq!(watch, [("one", 0), ("two", 0), ("three", 2)]);
    assert_eq!(scn.nodes.len(), 2);
    assert_eq!(scn.postgres.synchronous_commit, sim_core::scenario::SyncCommit::Local);
    assert!(scn.expect.metrics.contains_key(&sim_core::scenario::Metric::Run(sim_core::scenario::RunMetric::CommitsAcked)));
    let lesson = std::fs::read_to_string(dbsim_tests::root().join("scenarios/07-strict-sync-blocks.toml")).unwrap();
    let seven = sim_core::Scenario::parse("07", &lesson).unwrap();
    assert!(seven.lesson.summary.contains("committed locally: the client saw an error"), "lesson 07 uses a multi-line summary");
}

#[test]
fn notes_carry_a_kind() {
    use sim_core::world::NoteKind;
    let r = dbsim_tests::run_file(&dbsim_tests::root().join("scenarios/01-async-failover.toml"), None);
    let kind_of = |needle: &str| r.notes.iter().find(|n| n.text.contains(needle)).map(|n| n.kind);
    assert_eq!(kind_of("promoted: timeline 2"), Some(NoteKind::Failover));
    assert_eq!(kind_of("partition:"), Some(NoteKind::Fault));
    assert_eq!(kind_of("proxy: primary backend is UP"), Some(NoteKind::Proxy));
    assert!(r.notes.iter().filter(|n| n.kind.is_notable()).count() >= 3, "the crash, the partition and the promotion are marked on the timeline");
    assert!(!NoteKind::Proxy.is_notable() && NoteKind::Fault.is_notable());
}

#[test]
fn loss_is_counted_when_it_happens_and_a_session_settles_at_the_end() {
    // synchronous_commit = off, Postgres crashes and Patroni restarts it in place: the loss is
    // known as soon as the leader is back, long before the run ends.
    let tl = "[[timeline]]\nat = \"10s\"\naction = \"crash_postgres\"\nnode = \"pg1\"";
    let src = cluster("synchronous_commit = \"off\"\nwal_writer_delay = \"200ms\"", "", tl, "40s");
    let (scn, mut w) = sim_core::load("inline", &src, None).unwrap();
    w.run_until(sim_core::SimTime(25_000_000)).unwrap();
    let mid = w.report(&scn.expect);
    assert!(mid.metrics.commits_lost > 0, "the in-place restart lost the unflushed tail");
    let lost = mid.invariants.iter().find(|p| p.name == "no_acked_commit_lost").unwrap();
    assert!(!lost.holds);
    // A session (the browser) reaching the end settles the same accounting as a whole run.
    let path = dbsim_tests::root().join("scenarios/04b-dcs-partition-no-fencing.toml");
    let whole = dbsim_tests::run_file(&path, None);
    let src = std::fs::read_to_string(&path).unwrap();
    let mut s = sim_session::Session::new("04b", &src, None).unwrap();
    let end = s.end();
    s.advance_to(end).unwrap();
    let r = s.world.report(&s.scenario().unwrap().expect);
    assert_eq!((r.metrics.commits_lost, r.metrics.rpo_ms), (whole.metrics.commits_lost, whole.metrics.rpo_ms));
}

#[test]
fn refusals_carry_a_kind_that_decisions_can_read() {
    use sim_core::world::CommandErrorKind as K;
    use sim_core::{Command, SimTime};
    let src = cluster("", "", "", "60s");
    let (_, mut w) = sim_core::load("t.toml", &src, None).unwrap();
    let kind = |w: &mut sim_core::World, at: u64, c: Command| w.schedule(SimTime(at), c).unwrap_err().kind;
    assert_eq!(kind(&mut w, 0, Command::CrashHost { node: "pg9".into() }), K::UnknownName);
    assert_eq!(kind(&mut w, 0, Command::BaseBackup {}), K::NoBackup);
    assert_eq!(kind(&mut w, 61_000_000, Command::Heal {}), K::OutOfTime);
    w.run_until(SimTime(1_000_000)).unwrap();
    assert_eq!(kind(&mut w, 0, Command::Heal {}), K::OutOfTime);
}

/// Every commit's WAL record is kept without a `[backup]` section, with its table, key and
/// operation: in LSN order on the timeline it was written on, and a failover's new timeline
/// starts at its switch point. The newest records of each timeline stay (a window of
/// `history::WINDOW`), and with an archive every acknowledged commit that survived is in the new
/// leader's lineage.
#[test]
fn every_commit_is_recorded_without_backup() {
    use sim_core::pitr::{Op, ACCOUNTS};
    let tl = "[[timeline]]\nat = \"10s\"\naction = \"crash_host\"\nnode = \"pg1\"";
    let src = cluster("", "", tl, "50s");
    let (scn, mut w) = sim_core::load("inline", &src, None).unwrap();
    w.run_to_end().unwrap();
    let report = w.report(&scn.expect);
    let h = w.history();
    assert!(h.timelines.len() >= 2, "the failover started a timeline: {:?}", h.timelines.keys().collect::<Vec<_>>());
    for (id, t) in &h.timelines {
        let lsns: Vec<u64> = t.records.iter().map(|r| r.lsn).collect();
        assert!(lsns.windows(2).all(|p| p[0] < p[1]), "timeline {id}'s records are in LSN order");
        assert!(lsns.iter().all(|&l| l > t.start), "timeline {id}'s records begin after its start");
        assert!(t.records.iter().all(|r| matches!(r.op, Op::Write { table, .. } if table == ACCOUNTS)), "the clients write the accounts table");
    }
    let m = &report.metrics;
    assert!(m.commits_acked > 5000, "{}", m.commits_acked);
    let window = sim_core::postgres::history::WINDOW;
    for t in h.timelines.values() {
        assert!(!t.records.is_empty() && t.records.len() <= window, "a timeline keeps its newest records, at most {window}: {}", t.records.len());
    }
    // With `[backup]` nothing is trimmed: every surviving acknowledged commit is there.
    let archive = "[backup]\nbase_backup_every = \"1h\"";
    let src = cluster("", "", &format!("{archive}\n{tl}"), "50s");
    let (scn, mut w) = sim_core::load("inline", &src, None).unwrap();
    w.run_to_end().unwrap();
    let m = w.report(&scn.expect).metrics;
    let h = w.history();
    let kept = h.lineage(h.latest()).len() as u64;
    assert!(kept >= m.commits_acked - m.commits_lost && kept > window as u64, "{kept} records, {} acknowledged, {} lost", m.commits_acked, m.commits_lost);
}

/// An operator's DROP TABLE needs no archive to happen: the writes after it fail, and with no
/// `[backup]` nothing brings the table back.
#[test]
fn a_dropped_table_fails_later_writes_without_backup() {
    let drop = "[[timeline]]\nat = \"10s\"\naction = \"operator_error\"\nkind = \"drop_table\"";
    let metrics = |tl: &str| run(&cluster("", "", tl, "30s")).metrics;
    let (with, without) = (metrics(drop), metrics(""));
    assert_eq!(without.commits_failed, 0);
    assert!(with.commits_failed > 100, "the clients' writes fail after the drop: {}", with.commits_failed);
    // Only the first 10 s of 30 commit anything.
    let share = with.commits_acked as f64 / without.commits_acked as f64;
    assert!((0.25..0.4).contains(&share), "{} acknowledged with the drop, {} without", with.commits_acked, without.commits_acked);
}

/// One catalog for both sides: the cluster world's `accounts` table and a planner lesson's table
/// of the same shape (two bigint columns, the same rows, a primary key) have the same heap pages
/// and the same primary-key index, because both are sized by `sim-catalog`.
#[test]
fn the_world_and_the_planner_size_a_table_alike() {
    let src = cluster("", "", "", "1s").replace("clients = 20", "clients = 20\nkeys = 25000");
    let (_, w) = sim_core::load("inline", &src, None).unwrap();
    let accounts = &w.tables()[0];
    assert_eq!((accounts.name.as_str(), accounts.rows), ("accounts", 25_000));
    let planner = r#"
title = "t"
id = "t/t"
summary = "t"
seed = 1
[[table]]
name = "accounts"
rows = 25000
primary_key = "id"
columns = [{ name = "id", type = "bigint", dist = "serial" }, { name = "balance", type = "bigint", dist = { uniform = 1000 } }]
[[query]]
name = "q"
sql = "SELECT * FROM accounts WHERE id = 1"
"#;
    let l = sim_planner::load("t.toml", planner, None).unwrap();
    let theirs = &l.db.catalog()[0];
    assert_eq!(theirs.pages, accounts.pages, "heap pages");
    assert_eq!(theirs.rows, accounts.rows);
    assert_eq!(theirs.columns, accounts.columns);
    assert_eq!(theirs.indexes.len(), 1);
    assert_eq!((theirs.indexes[0].unique, theirs.indexes[0].pages), (true, accounts.indexes[0].pages), "the primary key's pages");
    assert_eq!(w.table(sim_core::pitr::ACCOUNTS).heap_bytes(), accounts.pages * 8192);
}
