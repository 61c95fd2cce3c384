//! `dbsim`: run, check, list and trace scenario files from the command line.
use clap::{Args, Parser, Subcommand};
use sim_core::report::Report;
use sim_core::trace::render;
use sim_core::{load, Scenario, World};
use std::process::ExitCode;

/// Prints to stdout like `println!`, but a closed pipe (`dbsim schema | head`) ends the output
/// quietly instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}

/// dbsim: a deterministic database-operations simulator (replication, Patroni failover, backups
/// and PITR, sharding). A run is a pure function of (scenario, seed, command log).
///
/// Exit codes: 0 every expectation holds (or the SLA is met), 1 one fails, 2 bad input.
#[derive(Parser, Debug)]
#[command(name = "dbsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// `--seed N` and `--json`, for the subcommands that run something.
#[derive(Args, Debug)]
struct RunOpts {
    /// The scenario or lesson file.
    file: String,
    /// Run with this seed instead of the file's own `run.seed`.
    #[arg(long)]
    seed: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run any lesson to its end and check its expectations (exit 0 if all hold, 1 if one fails):
    /// a replication/backup scenario, a sharding lesson (the router and each shard's cluster in
    /// one world), or a planner lesson (EXPLAIN ANALYZE of each query).
    Run {
        #[command(flatten)]
        o: RunOpts,
        /// A challenge: run it with its reference solution ([challenge] solution) as the learner's
        /// commands, which must meet every goal.
        #[arg(long)]
        solution: bool,
    },
    /// Validate lesson files (of any kind) without running them: exit 0 if all are valid, 2 if
    /// one is not (each error is printed).
    Check {
        /// The lesson files.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// List the lessons in a folder with their titles.
    List {
        /// The folder to list.
        #[arg(default_value = "scenarios")]
        dir: String,
    },
    /// Print one line per event: time, node, LSN, what happened.
    Trace {
        /// The scenario file (a replication/backup lesson, or a sharding lesson: the router's
        /// operations and each shard's cluster, whose nodes are named `scope/node`).
        file: String,
        /// Run with this seed instead of the file's own.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Run the [backup] strategy against each [drill] disaster; print RPO and RTO against the SLA
    /// (exit 0 if all are met, 1 if not).
    Drill(RunOpts),
    /// EXPLAIN a planner lesson's queries (scenarios/planner/), as PostgreSQL 15 would print them;
    /// checks the lesson's expectations (exit 0 if all hold, 1 if not).
    Explain {
        /// The planner lesson file.
        file: String,
        /// Only this query (0-based).
        #[arg(long)]
        query: Option<usize>,
        /// EXPLAIN ANALYZE: run the plan over the generated rows.
        #[arg(long)]
        analyze: bool,
        /// With --analyze: the Buffers lines.
        #[arg(long)]
        buffers: bool,
        /// text (PostgreSQL's layout) or json (FORMAT JSON).
        #[arg(long, value_enum, default_value = "text")]
        format: PlanFormat,
        /// Generate the data with this seed instead of the file's own.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Print the JSON Schema of lesson files (replication, backup and sharding lessons), for
    /// editors: save it and point taplo or Even Better TOML at it (`#:schema ./dbsim.schema.json`
    /// on a lesson's first line).
    Schema {
        /// The schema of planner lessons (`scenarios/planner/`) instead.
        #[arg(long)]
        planner: bool,
    },
    /// Print a planner lesson as SQL that recreates it in PostgreSQL (tables with the same rows,
    /// indexes, statistics, VACUUM ANALYZE, then EXPLAIN (FORMAT JSON) of each query).
    Sql {
        /// The planner lesson file.
        file: String,
        /// Generate the data with this seed instead of the file's own.
        #[arg(long)]
        seed: Option<u64>,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum PlanFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print and succeed; anything else is bad input (exit 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match &cli.cmd {
        Cmd::Run { o, solution } => kind(&o.file).and_then(|k| match k {
            Kind::Sharding(mut lesson) => {
                if *solution {
                    let design = lesson.template.challenge.as_ref().and_then(|c| c.design.clone()).ok_or_else(|| format!("{}: --solution: this lesson has no [challenge] design", o.file))?;
                    lesson.apply_design(&design).map_err(|e| format!("{}: [challenge] design: {e}", o.file))?;
                }
                shard(o, &lesson)
            }
            Kind::Planner => explain(&o.file, None, true, false, if o.json { PlanFormat::Json } else { PlanFormat::Text }, o.seed),
            Kind::Scenario(src, scn) => sim_core::world_of(&o.file, &src, &scn, o.seed).map_err(|e| e.to_string()).and_then(|mut w| {
                if *solution {
                    if scn.challenge.is_none() {
                        return Err(format!("{}: --solution: this lesson has no [challenge]", o.file));
                    }
                    for (at, cmd) in scn.solution() {
                        w.schedule(sim_core::SimTime(at.0), cmd).map_err(|e| format!("{}: [challenge] solution at {at}: {e}", o.file))?;
                    }
                }
                run(o.json, *scn, w)
            }),
        }),
        Cmd::Check { files } => check_all(files),
        Cmd::Trace { file, seed } => kind(file).and_then(|k| match k {
            Kind::Sharding(l) => l.world(*seed).map_err(|e| format!("{file}: {e}")).and_then(trace),
            Kind::Planner => Err(format!("{file}: a planner lesson has no event trace: run `dbsim explain` on it")),
            Kind::Scenario(..) => with_file(file, *seed, |_, w| trace(w)),
        }),
        Cmd::Drill(o) => with_file(&o.file, o.seed, |scn, w| drill(o.json, scn, w)),
        Cmd::List { dir } => list(dir),
        Cmd::Explain { file, query, analyze, buffers, format, seed } => explain(file, *query, *analyze, *buffers, *format, *seed),
        Cmd::Schema { planner } => {
            serde_json::to_string_pretty(&if *planner { sim_planner::lesson::schema() } else { sim_core::scenario::schema::lesson_schema() }).map_err(|e| e.to_string()).map(|text| {
                outln!("{text}");
                0
            })
        }
        Cmd::Sql { file, seed } => planner_lesson(file, *seed).map(|l| {
            out!("{}", sim_planner::export::sql(&l));
            0
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("dbsim: {e}");
            ExitCode::from(2)
        }
    }
}

/// `dbsim check` of each file: every error is printed, and the worst exit code wins.
fn check_all(files: &[String]) -> Result<u8, String> {
    let mut worst = 0;
    for file in files {
        let code = kind(file).and_then(|k| {
            let title = match k {
                Kind::Scenario(_, scn) => return check(file, *scn),
                Kind::Sharding(lesson) => lesson.lesson.title,
                Kind::Planner => sim_planner::load(file, &read(file)?, None).map(|l| l.file.title.clone()).map_err(|e| e.to_string())?,
            };
            outln!("{file}: ok ({title})");
            Ok(0)
        });
        worst = worst.max(code.unwrap_or_else(|e| {
            eprintln!("dbsim: {e}");
            2
        }));
    }
    Ok(worst)
}

/// Which kind of lesson a file is, parsed: a scenario of one cluster (with its text, to place
/// errors), a sharded lesson (the same format, with sharding sections), or a planner lesson.
enum Kind {
    Scenario(String, Box<Scenario>),
    Sharding(Box<sim_core::runner::sharded::ShardLesson>),
    Planner,
}

fn read(file: &str) -> Result<String, String> {
    std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))
}

fn kind(file: &str) -> Result<Kind, String> {
    let src = read(file)?;
    if sim_planner::is_planner_lesson(&src) {
        return Ok(Kind::Planner);
    }
    let scn = sim_session::parse(file, &src).map_err(|e| e.to_string())?;
    if scn.is_sharded() {
        return sim_core::runner::sharded::ShardLesson::of(file, &src, scn).map(|l| Kind::Sharding(Box::new(l))).map_err(|e| e.to_string());
    }
    Ok(Kind::Scenario(src, Box::new(scn)))
}

fn with_file(file: &str, seed: Option<u64>, f: impl FnOnce(Scenario, World) -> Result<u8, String>) -> Result<u8, String> {
    let src = read(file)?;
    let (scn, world) = load(file, &src, seed).map_err(|e| e.to_string())?;
    f(scn, world)
}

fn run(json: bool, scn: Scenario, mut world: World) -> Result<u8, String> {
    world.run_to_end().map_err(|e| e.to_string())?;
    let mut report = world.report(&scn.expect);
    // A lesson whose point is its DR drill is judged on one.
    report.expectations.extend(sim_core::drill::judge(&scn, world.seed()));
    if json {
        outln!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    } else {
        print_report(&report);
    }
    Ok(if report.expectations.iter().all(|e| e.ok) { 0 } else { 1 })
}

fn print_report(r: &Report) {
    outln!("{}  (seed {}, trace {}, {} events, {} ms simulated)", r.scenario, r.seed, r.trace_hash, r.events, r.end_time_ms);
    let m = &r.metrics;
    outln!(
        "commits: {} acknowledged, {} failed ({} gave up waiting for a sync standby), {} lost (RPO {} ms); commit latency p50 {:.2} ms, p99 {:.2} ms",
        m.commits_acked,
        m.commits_failed,
        m.sync_waits_canceled,
        m.commits_lost,
        m.rpo_ms,
        m.commit_latency_ms.p50,
        m.commit_latency_ms.p99
    );
    for f in &m.failovers {
        let un = f.unavailable_ms.map_or("writes not yet back".to_string(), |u| format!("writes unavailable {:.1} s", u as f64 / 1000.0));
        let from = f.from.as_deref().unwrap_or("-");
        let tag = if f.false_failover { " (false failover)" } else { "" };
        outln!("failover at {:.1} s: {from} -> {} on timeline {}, {un}{tag}", f.at_ms as f64 / 1000.0, f.to, f.timeline);
    }
    for line in r.components.iter().flat_map(|c| &c.lines) {
        outln!("{line}");
    }
    outln!("{:<8} {:<10} {:<20} {:>3} {:>12}  state", "node", "region", "role", "TL", "LSN");
    for n in &r.nodes {
        outln!("{:<8} {:<10} {:<20} {:>3} {:>12}  {}", n.name, n.region, n.role, n.timeline, n.lsn, n.state);
    }
    for row in &r.pg_stat_replication {
        outln!(
            "pg_stat_replication@{}: {} {} sent={} write={} flush={} replay={} replay_lag={} sync_state={}",
            row.primary,
            row.application_name,
            row.state,
            row.sent_lsn,
            row.write_lsn,
            row.flush_lsn,
            row.replay_lsn,
            row.replay_lag.as_deref().unwrap_or("NULL"),
            row.sync_state
        );
    }
    for p in &r.invariants {
        let mark = if p.holds { "holds" } else { "VIOLATED" };
        let mark = if matches!(p.kind, sim_core::invariants::PropKind::Sometimes) {
            if p.holds {
                "seen"
            } else {
                "not seen"
            }
        } else {
            mark
        };
        let at = p.at_ms.map_or(String::new(), |t| format!(" at {:.3} s", t as f64 / 1000.0));
        outln!("{:?} {}: {mark}{at} {}", p.kind, p.name, p.detail);
    }
    for e in &r.expectations {
        outln!("[{}] {}: {}", if e.ok { "ok" } else { "FAIL" }, e.name, e.detail);
    }
}

fn shard(o: &RunOpts, lesson: &sim_core::runner::sharded::ShardLesson) -> Result<u8, String> {
    let r = lesson.run(o.seed)?;
    if o.json {
        outln!("{}", serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?);
    } else {
        outln!("{}  (seed {})", r.title, r.seed);
        for line in &r.lines {
            outln!("{line}");
        }
        if let Some(run) = &r.run {
            print_heatmap(run);
        }
        for e in &r.expectations {
            outln!("[{}] {}: {}", if e.ok { "ok" } else { "FAIL" }, e.name, e.detail);
        }
    }
    Ok(if r.expectations.iter().all(|e| e.ok) { 0 } else { 1 })
}

/// Operations per shard per second as a text heatmap (one row per shard, one column per second).
fn print_heatmap(run: &sim_core::shard::cluster::Run) {
    const SHADES: [char; 5] = [' ', '░', '▒', '▓', '█'];
    let max = run.load.iter().flatten().map(|l| l.ops).max().unwrap_or(0).max(1);
    let shards = run.load.last().map_or(0, Vec::len);
    outln!("ops per shard per second (darker = busier, max {max}):");
    for s in 0..shards {
        let row: String = run.load.iter().map(|sec| sec.get(s).map_or(' ', |l| SHADES[(l.ops * 4).div_ceil(max) as usize])).collect();
        outln!("  {:>8} |{row}|", run.shard_names.get(s).map_or("", String::as_str));
    }
}

fn drill(json: bool, scn: Scenario, world: World) -> Result<u8, String> {
    let results = sim_core::drill::run(&scn, world.seed())?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?);
    } else {
        let sla = scn.drill.as_ref().map(|d| (d.rpo.0, d.rto.0)).unwrap_or_default();
        outln!("drill: {}  (SLA: RPO <= {} s, RTO <= {} s)", scn.lesson.title, sla.0.as_ms() / 1000, sla.1.as_ms() / 1000);
        outln!("{:<16} {:<12} {:>12} {:>12}  verdict", "disaster", "recovered by", "RPO", "RTO");
        for r in &results {
            let show = |v: Option<u64>| v.map_or("unbounded".to_string(), |ms| format!("{:.1} s", ms as f64 / 1000.0));
            let mark = |ok: bool| if ok { "met" } else { "MISSED" };
            outln!("{:<16} {:<12} {:>12} {:>12}  RPO {}, RTO {}", r.disaster, r.recovered_by, show(r.rpo_ms), show(r.rto_ms), mark(r.rpo_met), mark(r.rto_met));
            for d in &r.detail {
                outln!("    {d}");
            }
        }
    }
    Ok(if results.iter().all(|r| r.rpo_met && r.rto_met) { 0 } else { 1 })
}

fn check(file: &str, scn: Scenario) -> Result<u8, String> {
    outln!("{file}: ok ({}; {} nodes, {} scripted commands)", scn.lesson.title, scn.nodes.len(), scn.timeline.len());
    Ok(0)
}

fn trace(mut world: World) -> Result<u8, String> {
    use std::io::Write;
    world.record_trace(true);
    let res = world.run_to_end();
    // Each cluster's node names; a sharded world's are `scope/node`.
    let names: Vec<Vec<String>> = (0..world.scopes().max(1) as u16)
        .map(|k| {
            world.enter(k);
            let scope = world.cluster_status(k).map(|s| s.scope).unwrap_or_default();
            world.nodes().iter().map(|n| if scope.is_empty() { n.name.clone() } else { format!("{scope}/{}", n.name) }).collect()
        })
        .collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for e in world.trace() {
        let names = names.get(e.scope as usize).map_or(&[][..], Vec::as_slice);
        if writeln!(out, "{}", render(e, names)).is_err() {
            return Ok(0);
        }
    }
    let _ = writeln!(out, "# trace_hash {:016x} events {}", world.trace_hash(), world.events());
    res.map(|_| 0).map_err(|e| e.to_string())
}

fn list(dir: &str) -> Result<u8, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir).map_err(|e| format!("{dir}: {e}"))?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
    files.sort();
    for p in files {
        let f = p.display().to_string();
        let src = std::fs::read_to_string(&p).map_err(|e| format!("{f}: {e}"))?;
        match title_of(&f, &src) {
            Ok(t) => outln!("{f}\t{t}"),
            Err(e) => outln!("{f}\tINVALID: {e}"),
        }
    }
    Ok(0)
}

/// A lesson file of any kind, parsed and checked; its title.
fn title_of(file: &str, src: &str) -> Result<String, String> {
    if sim_planner::is_planner_lesson(src) {
        return sim_planner::load(file, src, None).map(|l| l.file.title.clone()).map_err(|e| e.to_string());
    }
    let scn = sim_session::parse(file, src).map_err(|e| e.to_string())?;
    if scn.is_sharded() {
        return sim_core::runner::sharded::ShardLesson::of(file, src, scn).map(|l| l.lesson.title).map_err(|e| e.to_string());
    }
    Ok(scn.lesson.title)
}

fn planner_lesson(file: &str, seed: Option<u64>) -> Result<sim_planner::Lesson, String> {
    let src = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    sim_planner::load(file, &src, seed).map_err(|e| e.to_string())
}

fn explain(file: &str, only: Option<usize>, analyze: bool, buffers: bool, format: PlanFormat, seed: Option<u64>) -> Result<u8, String> {
    let lesson = planner_lesson(file, seed)?;
    let n = lesson.file.queries.len();
    if let Some(q) = only.filter(|&q| q >= n) {
        return Err(format!("{file}: --query {q}: the lesson has {n} queries (0..{})", n.saturating_sub(1)));
    }
    let opts = sim_planner::sql::ExplainOpts {
        analyze,
        buffers: buffers && analyze,
        format: if format == PlanFormat::Json { sim_planner::sql::Format::Json } else { sim_planner::sql::Format::Text },
        ..Default::default()
    };
    if format == PlanFormat::Text {
        outln!("{}  (seed {})", lesson.file.title, lesson.db.seed);
    }
    for (i, q) in lesson.file.queries.iter().enumerate().filter(|(i, _)| only.is_none_or(|o| o == *i)) {
        let db = &lesson.states[i];
        let e = sim_planner::explain(db, q.sql.get_ref(), Some(opts)).map_err(|e| format!("{file}: query {i}: {}", e.render(q.sql.get_ref())))?;
        if format == PlanFormat::Text {
            outln!("\n-- query {i}: {}", q.name);
            let state = if i == 0 { &lesson.db } else { &lesson.states[i - 1] };
            for c in &q.changes {
                outln!("{}", c.get_ref().sql(state));
            }
            outln!("{}", q.sql.get_ref().trim());
        }
        outln!("{}", e.render(db));
    }
    let checks = lesson.check();
    if format == PlanFormat::Text {
        for (i, what, ok) in &checks {
            if only.is_none_or(|o| o == *i) {
                outln!("[{}] query {i}: {what}", if *ok { "ok" } else { "FAIL" });
            }
        }
    }
    Ok(if checks.iter().filter(|c| only.is_none_or(|o| o == c.0)).all(|c| c.2) { 0 } else { 1 })
}
