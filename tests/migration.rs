//! Zero-downtime migrations (`[migration]`): the lock queue as `pg_locks`, `pg_stat_activity` and
//! `pg_blocking_pids` show it while a lesson runs, the signals a learner sends, the timeouts, and
//! what a step's work does to the application and the standby.
use dbsim_tests::root;
use sim_core::migrate::view::MigrationReport;
use sim_core::{load, Command, Setting, SimTime, World};

fn lesson(file: &str) -> String {
    std::fs::read_to_string(root().join("scenarios").join(file)).unwrap()
}

fn at(w: &mut World, s: u64) -> MigrationReport {
    w.run_until(SimTime(s * 1_000_000)).unwrap();
    w.migration_report().expect("a [migration] lesson")
}

/// A lesson of one node with the lock-queue lesson's workload, and `timeline` entries.
fn small(timeline: &str) -> String {
    format!("[lesson]\ntitle = \"t\"\n[run]\nseed = 5\nduration = \"60s\"\n[[nodes]]\nname = \"pg1\"\n[workload]\nclients = 20\nwrite_tps = 200\nread_tps = 200\nkeys = 1000000\ntimeout = \"5s\"\n[migration]\nrow_bytes = 120\ncolumns = [\"email text\"]\n{timeline}")
}

fn entry(at: &str, rest: &str) -> String {
    format!("[[timeline]]\nat = \"{at}\"\n{rest}\n")
}

/// While the ALTER waits behind the report: pg_locks lists the report's lock first, then the
/// ALTER's request, then the application's queries queued behind it; pg_stat_activity shows the
/// ALTER waiting on a Lock with pg_blocking_pids naming the report.
#[test]
fn the_lock_queue_is_shown_as_postgres_shows_it() {
    for seed in [1, 7, 42] {
        let (_, mut w) = load("12a", &lesson("12a-lock-queue-pileup.toml"), Some(seed)).unwrap();
        let r = at(&mut w, 30);
        assert_eq!(r.queue[0][0], "4100", "seed {seed}: the report holds the table: {:?}", r.queue[0]);
        assert_eq!((r.queue[0][2].as_str(), r.queue[0][3].as_str()), ("AccessShareLock", "t"));
        let alter = r.queue.iter().position(|q| q[0] == "4101").expect("the ALTER is in pg_locks");
        assert_eq!((r.queue[alter][2].as_str(), r.queue[alter][3].as_str()), ("AccessExclusiveLock", "f"));
        assert!(r.queue[alter + 1..].iter().all(|q| q[3] == "f" && q[1] == "application query"), "seed {seed}: every query waits behind the ALTER");
        assert!(r.waiting_now > 10, "seed {seed}: {} waiting", r.waiting_now);
        let act = r.activity.iter().find(|a| a[0] == "4101").expect("the ALTER in pg_stat_activity");
        assert_eq!((act[1].as_str(), act[2].as_str(), act[3].as_str(), act[5].as_str()), ("active", "Lock", "relation", "{4100}"));
        // Once the report commits, the ALTER runs, the queue drains, and commits flow again.
        let r = at(&mut w, 52);
        assert_eq!((r.waiting_now, r.figure("ddl_steps_done")), (0, Some(1.0)));
    }
}

/// pg_cancel_backend cannot end a session idle in transaction (it runs no statement);
/// pg_terminate_backend can, and the ALTER queued behind it goes at once.
#[test]
fn terminating_the_idle_transaction_frees_the_queue() {
    let src = small(&(entry("5s", "action = \"long_transaction\"\nduration = \"50s\"\nidle = true") + &entry("10s", "action = \"ddl\"\nsql = \"ALTER TABLE accounts ADD COLUMN note text\"")));
    let (_, mut w) = load("t", &src, None).unwrap();
    w.run_until(SimTime(15_000_000)).unwrap();
    w.schedule(SimTime(15_000_000), Command::CancelBackend { pid: 4100 }).unwrap();
    let r = at(&mut w, 20);
    assert_eq!(r.activity[0][1], "idle in transaction", "a cancel leaves it be");
    assert!(r.waiting_now > 0);
    w.schedule(SimTime(20_000_000), Command::TerminateBackend { pid: 4100 }).unwrap();
    let r = at(&mut w, 21);
    assert_eq!((r.waiting_now, r.figure("ddl_steps_done")), (0, Some(1.0)), "{:?}", r.steps);
    let waited: Vec<&str> = r.steps.iter().map(|s| s[4].as_str()).collect();
    assert_eq!(waited, ["10.0 s"]);
    w.schedule(SimTime(22_000_000), Command::CancelBackend { pid: 99 }).unwrap();
    w.run_until(SimTime(23_000_000)).unwrap();
    let refused = w.notes().iter().any(|n| w.render_note(n).contains("PID 99 is not a PostgreSQL backend process"));
    assert!(refused, "a pid that is not a session of the lesson is refused with PostgreSQL's warning");
}

/// statement_timeout cancels a rewrite in the middle (57014): the lock goes, the schema is as
/// before, and the WAL written so far stays written.
#[test]
fn statement_timeout_cancels_a_rewrite() {
    let src = small(&entry("10s", "action = \"ddl\"\nsql = \"ALTER TABLE accounts ALTER COLUMN id TYPE integer\""));
    let (_, mut w) = load("t", &src, None).unwrap();
    w.schedule(SimTime(1_000_000), Command::Set { settings: vec![Setting::parse("statement_timeout", "500ms").unwrap()] }).unwrap();
    let r = at(&mut w, 12);
    assert_eq!(r.figure("ddl_steps_failed"), Some(1.0));
    assert!(r.steps[0][6].starts_with("ERROR 57014: canceling statement due to statement timeout"), "{:?}", r.steps[0]);
    assert_eq!(r.waiting_now, 0);
    assert!(r.describe.0.iter().any(|c| c[0] == "id" && c[1] == "bigint"), "the type is unchanged");
    assert!(w.nodes()[0].flush_lsn > 0x0300_0000 + 16 * 1024 * 1024, "the pieces of the rewrite written before the cancel are in the WAL");
}

/// The wrong answers a hint warns about fail: with no lock_timeout the ALTER stalls the
/// application (the pile-up lesson), with one and retries it does not, for every seed checked.
#[test]
fn lock_timeout_bounds_the_stall_for_every_seed() {
    for seed in 1..=20 {
        let (_, mut w) = load("12a", &lesson("12a-lock-queue-pileup.toml"), Some(seed)).unwrap();
        w.run_to_end().unwrap();
        let (_, mut v) = load("12b", &lesson("12b-lock-timeout-retries.toml"), Some(seed)).unwrap();
        v.run_to_end().unwrap();
        let gap = |w: &World| w.run_metrics().max_write_gap_ms;
        assert!(gap(&w) > 30_000 && gap(&v) < 2_500, "seed {seed}: {} ms against {} ms", gap(&w), gap(&v));
    }
}

/// A DDL statement a lesson cannot run is refused at the command, beside its field, with the
/// forms dbsim models; a run-time error is PostgreSQL's, with its SQLSTATE.
#[test]
fn bad_steps_get_clear_errors() {
    let (_, mut w) = load("t", &small(""), None).unwrap();
    let e = w.schedule(SimTime(1_000_000), Command::Ddl { sql: "VACUUM FULL accounts".into() }).unwrap_err();
    assert!(e.message.starts_with("dbsim does not model this statement") && e.field == Some("sql"), "{e:?}");
    w.schedule(SimTime(1_000_000), Command::Ddl { sql: "ALTER TABLE accounts RENAME COLUMN mail TO email2".into() }).unwrap();
    w.schedule(SimTime(2_000_000), Command::Ddl { sql: "ALTER TABLE users ADD COLUMN x int".into() }).unwrap();
    let r = at(&mut w, 3);
    let outcomes: Vec<&str> = r.steps.iter().map(|s| s[6].as_str()).collect();
    assert_eq!(outcomes, ["ERROR 42703: column \"mail\" of relation \"accounts\" does not exist", "ERROR 42P01: relation \"users\" does not exist"]);
}

/// The expand–contract lesson's order matters, as its text says: switching reads before the
/// backfill ends reads NULLs, and dropping the old column while a version still writes it fails
/// that version's requests; the lesson's own order does neither, for every seed checked.
#[test]
fn expand_contract_fails_when_its_steps_are_reordered() {
    let src = lesson("12h-expand-contract-rename.toml");
    let figure = |src: &str, seed: u64, name: &str| {
        let (_, mut w) = load("12h", src, Some(seed)).unwrap();
        w.run_to_end().unwrap();
        w.migration_report().unwrap().figure(name).unwrap()
    };
    let early_reads = src.replacen("at = \"75s\"", "at = \"52s\"", 1);
    let early_drop = src.replacen("at = \"145s\"", "at = \"100s\"", 1);
    assert_ne!(early_reads, src);
    assert_ne!(early_drop, src);
    for seed in 1..=10 {
        assert_eq!((figure(&src, seed, "null_reads"), figure(&src, seed, "undefined_column_errors")), (0.0, 0.0), "seed {seed}");
        assert!(figure(&early_reads, seed, "null_reads") > 100.0, "seed {seed}: v3 reads email_address before the backfill has filled it");
        assert!(figure(&early_drop, seed, "undefined_column_errors") > 100.0, "seed {seed}: v3 still writes email when it is dropped");
    }
}

/// The migration sweep: random DDL steps, long transactions (running or idle), signals, lock and
/// statement timeouts and retry policies, backfills, and now and then a crash of the primary.
/// Whatever the schedule, no acknowledged commit is lost, the lock queue never grants a lock
/// that conflicts with one another transaction holds, and the run ends.
#[test]
fn migration_sweep_keeps_the_lock_queue_and_the_commits_safe() {
    const STEPS: &[&str] = &[
        "ALTER TABLE accounts ADD COLUMN note text",
        "ALTER TABLE accounts ADD COLUMN t timestamptz DEFAULT clock_timestamp()",
        "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200)",
        "ALTER TABLE accounts ALTER COLUMN balance TYPE numeric",
        "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL",
        "ALTER TABLE accounts ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID",
        "ALTER TABLE accounts VALIDATE CONSTRAINT c",
        "CREATE INDEX i1 ON accounts (email)",
        "CREATE INDEX CONCURRENTLY i2 ON accounts (balance)",
        "DROP INDEX i1",
        "ALTER TABLE accounts RENAME COLUMN email TO mail",
        "ALTER TABLE accounts DROP COLUMN note",
    ];
    let mut waits = 0;
    for seed in 0..120u64 {
        let mut rng = sim_core::rng::SimRng::derive(seed, "migration sweep");
        let mut src = format!(
            "[lesson]\ntitle = \"sweep\"\n[run]\nduration = \"60s\"\n[[nodes]]\nname = \"pg1\"\n[[nodes]]\nname = \"pg2\"\n[postgres]\nfsync = \"100us\"\n[workload]\nclients = {}\nwrite_tps = 200\nread_tps = 200\nkeys = {}\ntimeout = \"{}s\"\n[migration]\ncolumns = [\"email text\"]\nrow_bytes = 100\nlock_timeout = \"{}ms\"\nretry = \"{}\"\n",
            5 + rng.below(40),
            1000 + rng.below(2_000_000),
            1 + rng.below(5),
            rng.below(3) * 500,
            ["none", "fixed", "exponential"][rng.below(3) as usize]
        );
        for _ in 0..(3 + rng.below(8)) {
            let at = 1 + rng.below(55);
            let entry = match rng.below(10) {
                0..=4 => format!("action = \"ddl\"\nsql = \"{}\"", STEPS[rng.below(STEPS.len() as u64) as usize]),
                5 | 6 => format!("action = \"long_transaction\"\nduration = \"{}s\"\nidle = {}", 1 + rng.below(40), rng.below(2) == 1),
                7 => format!("action = \"{}\"\npid = {}", ["cancel_backend", "terminate_backend"][rng.below(2) as usize], 4100 + rng.below(6)),
                8 => format!("action = \"backfill\"\ncolumn = \"email\"\nfrom = \"email\"\nbatch = {}", rng.below(3) * 5000),
                _ => "action = \"crash_postgres\"\nnode = \"pg1\"".to_string(),
            };
            src.push_str(&format!("[[timeline]]\nat = \"{at}s\"\n{entry}\n"));
        }
        let (scn, mut w) = load("sweep", &src, Some(seed)).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{src}"));
        w.run_to_end().unwrap_or_else(|e| panic!("seed {seed}: {e:?}"));
        let r = w.report(&scn.expect);
        let (conflicts, seed_waits) = w.lock_counts();
        waits += seed_waits;
        assert_eq!(conflicts, 0, "seed {seed}: the queue granted a conflicting lock\n{src}");
        assert_eq!(r.metrics.commits_lost, 0, "seed {seed}: acknowledged commits lost\n{src}");
        assert!(r.invariants.iter().any(|p| p.name == "no_acked_commit_lost" && p.holds), "seed {seed}\n{src}");
    }
    assert!(waits > 2_000, "the sweep should make requests wait in the lock queue: {waits}");
}

/// The lessons the pages send to the migrations page (`lessons::MIGRATION_NAMES`, listed when the
/// lessons are embedded) are exactly those sim-core reads a `[migration]` section in, and only
/// that page's module has the component: the main page's would refuse them.
#[test]
fn the_migration_lessons_are_the_migrations_pages_lessons() {
    let all = lessons::BUILTIN.iter().map(|(f, t)| (f.to_string(), *t)).chain(lessons::CHALLENGES.iter().map(|(f, t)| (f.to_string(), *t)));
    let mut by_sections: Vec<String> = all
        .filter(|(f, t)| {
            let parsed = sim_core::Scenario::parse(f, t).unwrap().migration.is_some();
            assert_eq!(sim_core::migrate::cfg::is_migration(t), parsed, "{f}: its headers and its parsed sections disagree");
            parsed
        })
        .map(|(f, _)| f)
        .collect();
    by_sections.sort();
    assert_eq!(by_sections, lessons::MIGRATION_NAMES, "lessons::MIGRATION_NAMES");
    assert!(lessons::MIGRATION_NAMES.len() >= 9);
}

/// The panel's buttons are the commands they say, read back through the one parser: at 20 s of
/// the lock-queue lesson the report (4100) and the queued ALTER (4101) can each be cancelled or
/// terminated; terminating the report lets the ALTER run at once, and a statement typed in the
/// box runs as a step.
#[test]
fn the_panels_buttons_run_their_commands() {
    use sim_core::command::action_command;
    let (_, mut w) = load("12a", &lesson("12a-lock-queue-pileup.toml"), Some(3)).unwrap();
    let r = at(&mut w, 20);
    let ids: Vec<&str> = r.actions.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["run-ddl", "cancel-4100", "terminate-4100", "cancel-4101", "terminate-4101"]);
    let terminate = r.actions.iter().find(|a| a.id == "terminate-4100").unwrap();
    assert_eq!(terminate.label, "pg_terminate_backend(4100)");
    w.schedule(SimTime(20_000_000), action_command(&terminate.command, None).unwrap()).unwrap();
    let r = at(&mut w, 21);
    assert_eq!((r.waiting_now, r.figure("ddl_steps_done")), (0, Some(1.0)), "{:?}", r.steps);
    let ddl = &r.actions[0];
    assert_eq!(ddl.arg, Some("sql"));
    let typed = "CREATE INDEX CONCURRENTLY accounts_email ON accounts (email)";
    w.schedule(SimTime(21_000_000), action_command(&ddl.command, Some(("sql", typed))).unwrap()).unwrap();
    let r = at(&mut w, 40);
    assert_eq!(r.steps.len(), 2);
    assert_eq!((r.steps[1][0].as_str(), r.steps[1][6].as_str()), (typed, "done"));
    // What the box cannot run is refused with the reader's error, at the argument.
    let bad = action_command(&ddl.command, Some(("sql", "DROP DATABASE x"))).unwrap();
    let e = w.schedule(SimTime(40_000_000), bad).unwrap_err();
    assert_eq!(e.field, Some("sql"), "{e:?}");
}

/// With application versions, a deploy button offers each version not every instance runs, and
/// it rolls the instances over `DEPLOY_OVER`.
#[test]
fn a_deploy_button_rolls_the_version() {
    use sim_core::command::action_command;
    let (_, mut w) = load("12g", &lesson("12g-naive-rename.toml"), None).unwrap();
    let r = at(&mut w, 1);
    let deploys: Vec<&str> = r.actions.iter().filter(|a| a.id.starts_with("deploy-")).map(|a| a.id.as_str()).collect();
    assert!(!deploys.is_empty() && !deploys.contains(&"deploy-v1"), "{deploys:?}");
    let d = r.actions.iter().find(|a| a.id.starts_with("deploy-")).unwrap();
    w.schedule(SimTime(1_000_000), action_command(&d.command, None).unwrap()).unwrap();
    let over = sim_core::migrate::view::DEPLOY_OVER.as_ms() / 1000;
    let r = at(&mut w, 2 + over);
    assert!(r.actions.iter().any(|a| a.id == "deploy-v1"), "after the deploy, v1 is the way back: {:?}", r.actions.iter().map(|a| &a.id).collect::<Vec<_>>());
}

/// The steps' time line: in the lock-queue lesson the ALTER waits (red) from 15 s until the
/// report ends at 50 s, then holds its lock (green) for a moment; while it waits, the stretch
/// under way is drawn up to now. Every bar spans the same time.
#[test]
fn the_steps_time_line_shows_the_wait_then_the_hold() {
    use sim_core::view::Tone;
    let (_, mut w) = load("12a", &lesson("12a-lock-queue-pileup.toml"), Some(5)).unwrap();
    let r = at(&mut w, 30);
    let segs = &r.timeline[0].1;
    assert_eq!(segs.iter().map(|s| s.1).collect::<Vec<_>>(), [Tone::Idle, Tone::Bad, Tone::Idle], "{segs:?}");
    assert_eq!(segs[1].0, 15_000_000, "waiting from 15 s up to now (30 s)");
    let r = at(&mut w, 60);
    let segs = &r.timeline[0].1;
    let kinds: Vec<Tone> = segs.iter().filter(|s| s.0 > 0).map(|s| s.1).collect();
    assert_eq!(kinds, [Tone::Bad, Tone::Good, Tone::Idle], "{segs:?}");
    let wait = segs.iter().find(|s| s.1 == Tone::Bad).unwrap().0;
    assert!((34_000_000..=36_000_000).contains(&wait), "{wait}");
    assert_eq!(segs.iter().map(|s| s.0).sum::<u64>(), 45_000_000, "from the step's start (15 s) to now");
    assert!(r.timeline[0].0.contains(" / "), "{}", r.timeline[0].0);
}

/// pgroll's versioned schemas (12i): what the lesson warns about fails. Completing while v1
/// instances still run drops the version schema they use (42P01); rolling back while v2 runs
/// does the same to v2; and a column a version schema's view shows cannot be dropped (2BP01).
#[test]
fn pgroll_complete_or_rollback_too_early_fails_the_version_still_on_it() {
    let src = lesson("12i-versioned-schemas.toml");
    for seed in [1, 2, 3] {
        let (_, mut w) = load("12i", &src, Some(seed)).unwrap();
        let r = at(&mut w, 100);
        assert_eq!((r.figure("undefined_table_errors"), r.figure("undefined_column_errors"), r.figure("ddl_steps_done")), (Some(0.0), Some(0.0), Some(1.0)), "seed {seed}");
        // Complete at 25 s, halfway through v2's roll-out: the v1 instances left fail.
        let early = src
            .replace("at = \"90s\"\naction = \"pgroll_complete\"", "at = \"25s\"\naction = \"pgroll_complete\"")
            .replace("at = \"40s\"\naction = \"deploy\"\nversion = \"v1\"", "at = \"95s\"\naction = \"deploy\"\nversion = \"v1\"");
        let (_, mut w) = load("12i", &early, Some(seed)).unwrap();
        let r = at(&mut w, 34);
        assert!(r.figure("undefined_table_errors").unwrap() > 100.0, "seed {seed}: {:?}", r.versions);
        assert!(r.versions[0][4].parse::<u64>().unwrap() > 0 && r.versions[1][4] == "0", "v1 fails, v2 does not: {:?}", r.versions);
        // Roll back at 30 s, before the app is back on v1: v2's instances fail.
        let rollback = src.replace("at = \"55s\"\naction = \"pgroll_rollback\"", "at = \"30s\"\naction = \"pgroll_rollback\"");
        let (_, mut w) = load("12i", &rollback, Some(seed)).unwrap();
        let r = at(&mut w, 40);
        assert!(r.versions[1][4].parse::<u64>().unwrap() > 100 && r.versions[0][4] == "0", "seed {seed}: v2 fails: {:?}", r.versions);
    }
    // While both version schemas are live, dropping a column one of them shows fails (2BP01).
    let drop = src.replace("[[timeline]]\nat = \"15s\"", "[[timeline]]\nat = \"12s\"\naction = \"ddl\"\nsql = \"ALTER TABLE accounts DROP COLUMN email\"\n\n[[timeline]]\nat = \"15s\"");
    let (_, mut w) = load("12i", &drop, None).unwrap();
    let r = at(&mut w, 14);
    assert!(r.steps[0][6].starts_with("ERROR 2BP01: cannot drop column email"), "{:?}", r.steps[0]);
    // pgroll commands without [migration] pgroll, or out of order, are refused with pgroll's words.
    let noted = |w: &World, text: &str| w.notes().iter().any(|n| w.render_note(n).contains(text));
    let (_, mut w) = load("12h", &lesson("12h-expand-contract-rename.toml"), None).unwrap();
    w.schedule(SimTime(1_000_000), Command::PgrollComplete {}).unwrap();
    w.run_until(SimTime(2_000_000)).unwrap();
    assert!(noted(&w, "has no pgroll"));
    let (_, mut w) = load("12i", &src, None).unwrap();
    w.schedule(SimTime(5_000_000), Command::PgrollRollback {}).unwrap();
    w.run_until(SimTime(6_000_000)).unwrap();
    assert!(noted(&w, "no pgroll migration is in progress"));
    let e = w.schedule(SimTime(5_000_000), Command::PgrollStart { name: "x".into(), op: "rename".into(), column: "email".into(), to: "e".into() }).unwrap_err();
    assert_eq!(e.field, Some("op"), "{e:?}");
}

/// Dual writes by a trigger (12j): with the BEFORE trigger no read of the new column finds a
/// stale copy; without it, or with an AFTER trigger (which cannot change the row), the rows v1
/// updates after the backfill copied them are stale and v2 reads them, for every seed.
#[test]
fn without_a_before_trigger_the_backfills_copies_go_stale() {
    let src = lesson("12j-dual-writes-trigger.toml");
    let trigger = "[[timeline]]\nat = \"12s\"\naction = \"ddl\"\nsql = \"CREATE TRIGGER accounts_sync_email BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION sync_email_address()\"\n";
    assert!(src.contains(trigger));
    for seed in [1, 2, 3] {
        let stale = |text: &str| {
            let (_, mut w) = load("12j", text, Some(seed)).unwrap();
            at(&mut w, 75).figure("stale_reads").unwrap()
        };
        assert_eq!(stale(&src), 0.0, "seed {seed}");
        assert!(stale(&src.replace(trigger, "")) > 20.0, "seed {seed}: no trigger");
        assert!(stale(&src.replace("BEFORE INSERT", "AFTER INSERT")) > 20.0, "seed {seed}: an AFTER trigger");
    }
    // The trigger's own errors, as PostgreSQL gives them, and \d lists it.
    let small_trigger = |sqls: &[&str]| {
        let steps: String = sqls.iter().enumerate().map(|(i, q)| entry(&format!("{}s", i + 1), &format!("action = \"ddl\"\nsql = \"{q}\""))).collect();
        let src = small(&steps).replace("[migration]\n", "[migration]\nfunctions = [\"sync_e: NEW.e2 := NEW.email\"]\n");
        let (_, mut w) = load("t", &src, None).unwrap();
        at(&mut w, 10)
    };
    let create = "CREATE TRIGGER t1 BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION sync_e()";
    let r = small_trigger(&[create, create, "CREATE TRIGGER t2 BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION nope()", "DROP TRIGGER t3 ON accounts"]);
    let outcomes: Vec<&str> = r.steps.iter().map(|s| s[6].split(':').next().unwrap()).collect();
    assert_eq!(outcomes, ["done", "ERROR 42710", "ERROR 42883", "ERROR 42704"], "{:?}", r.steps);
    assert_eq!(r.steps[0][1], "SHARE ROW EXCLUSIVE");
    assert!(r.describe.1.iter().any(|l| l.contains("t1 BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION sync_e()")), "{:?}", r.describe.1);
    let r = small_trigger(&[create, "DROP TRIGGER t1 ON accounts"]);
    assert_eq!((r.steps[1][1].as_str(), r.steps[1][6].as_str()), ("ACCESS EXCLUSIVE", "done"));
    assert!(!r.describe.1.iter().any(|l| l.contains("t1")));
}
