//! Sharding lessons (`scenarios/sharding/*.toml`): a table and its shard key, a cluster with a
//! placement strategy, a workload, reshards, and optional partitioning and scatter-gather
//! experiments; the run's figures are checked against `[expect]` bounds.
use crate::base::toml_de::{line_col, locate, placed};
use crate::scenario::{Bound, Dur, Lesson, Metric, Scenario, ScenarioError, Seg};
use crate::shard::cfg::{ClusterFile, DistFile, JoinCfg, PartitionCfg, ReshardFile, ReshardKind, ScatterCfg, TableFile, VindexFile};
use crate::shard::cluster::{self, Column, Config, Dist, Move, Run, Vindex};
use crate::shard::partition::{self, Pred};
use crate::shard::placement::{Placement, Ring};
use crate::shard::query;
use crate::time::SimDur;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A parsed sharding lesson.
#[derive(Clone, Debug)]
pub struct ShardLesson {
    pub file: String,
    pub lesson: Lesson,
    pub seed: u64,
    pub cluster: Option<Config>,
    pub reshards: Vec<(u64, Move)>,
    /// Where each reshard's `at` is written (line, column), for errors found while running.
    pub reshard_places: Vec<(usize, usize)>,
    pub partitioning: Option<PartitionCfg>,
    pub scatter: Option<ScatterCfg>,
    pub replication: Option<crate::shard::cfg::ReplicaCfg>,
    pub join: Option<JoinCfg>,
    pub expect: BTreeMap<Metric, Bound>,
    /// Each shard's cluster's settings (`[postgres]`, `[patroni]`, `[proxy]`, `[network]`).
    pub template: crate::Scenario,
}

/// What a lesson run found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ShardReport {
    pub title: String,
    pub seed: u64,
    /// Named figures the `[expect]` section can bound.
    pub metrics: BTreeMap<String, f64>,
    /// Human-readable findings, in order.
    pub lines: Vec<String>,
    pub expectations: Vec<crate::report::ExpectResult>,
    /// Each shard's Patroni cluster, when the lesson has `[replication]`.
    pub shard_clusters: Vec<crate::runner::replicas::ShardHa>,
    #[serde(skip)]
    pub run: Option<Run>,
}

impl ShardReport {
    /// A 64-bit digest of everything the run found (figures, findings, per-second load,
    /// hotspots, reshards, per-shard clusters): equal across platforms for the same inputs.
    pub fn digest(&self) -> u64 {
        let figures: Vec<(&String, u64)> = self.metrics.iter().map(|(k, v)| (k, v.to_bits())).collect();
        let text = format!("{figures:?}|{:?}|{:?}|{:?}", self.lines, self.run, self.shard_clusters);
        crate::rng::fnv1a(&text)
    }
}

/// Whether a lesson file is a sharded lesson, from its section headers alone (`[table]`,
/// `[[table.columns]]`, `[cluster]`, `[[reshard]]`, `[replication]`, `[partitioning]`,
/// `[scatter]`, `[join]`): which page opens it, without parsing. A planner lesson's `[[table]]`
/// is not one. Parsers decide with `Scenario::is_sharded`; a page that guesses wrong (sections
/// written as dotted keys) gets the parser's placed refusal, not a wrong run.
pub fn is_sharding(src: &str) -> bool {
    crate::base::toml_de::headers(src).any(|(inner, array)| match crate::base::toml_de::top(&inner) {
        "table" => inner != "table" || !array,
        "cluster" | "reshard" | "replication" | "partitioning" | "scatter" | "join" => true,
        _ => false,
    })
}

impl ShardLesson {
    /// Parses a lesson file; errors name the file, line and field.
    pub fn parse(file: &str, src: &str) -> Result<ShardLesson, ScenarioError> {
        Self::of(file, src, Scenario::parse(file, src)?)
    }

    /// The sharded lesson a parsed scenario holds (`file` and `src` place its errors).
    pub fn of(file: &str, src: &str, scn: Scenario) -> Result<ShardLesson, ScenarioError> {
        if !scn.is_sharded() {
            return Err(placed(file, src, 0, "cluster".into(), "not a sharded lesson: it has no [table], [cluster] or sharding experiment".into()));
        }
        let sections: Sections = crate::base::toml_de::from_str(file, src)?;
        let mut l = lesson(scn, sections).map_err(|(path, message)| {
            let segs: Vec<Seg> = path.split('.').map(|k| Seg::Name(k.to_string())).collect();
            placed(file, src, locate(src, &segs).unwrap_or(0), path, message)
        })?;
        l.file = file.to_string();
        l.reshard_places = (0..l.reshards.len()).map(|i| line_col(src, locate(src, &[Seg::Key("reshard"), Seg::Index(i), Seg::Key("at")]).unwrap_or(0))).collect();
        Ok(l)
    }

    /// Makes every shard a Patroni cluster (a primary and a standby, from time zero) if the
    /// lesson has none, so a shard's primary can be crashed. Whether it changed the lesson.
    pub fn ensure_clusters(&mut self) -> bool {
        if self.replication.is_some() {
            return false;
        }
        self.replication = Some(crate::shard::cfg::ReplicaCfg { fail_shard: None, ..Default::default() });
        true
    }

    /// Where a reshard refused while running is written.
    fn place_reshard(&self, (i, m): (Option<usize>, String)) -> String {
        match i.and_then(|i| self.reshard_places.get(i).map(|p| (i, p))) {
            Some((i, (line, col))) => format!("{}:{line}:{col}: field `reshard[{i}].at`: {m}", self.file),
            None => format!("{}: {m}", self.file),
        }
    }

    /// The lesson's sharded world at time zero: the router, and each shard's Patroni cluster
    /// when the lesson has `[replication]`. A lesson of calculators only (partitions,
    /// scatter-gather, joins) gets an empty world of one second.
    pub fn world(&self, seed: Option<u64>) -> Result<crate::World, String> {
        let seed = seed.unwrap_or(self.seed);
        let Some(c) = self.cluster.as_ref() else {
            return crate::build::empty(&self.lesson, SimDur::secs(1), seed).map_err(|e| format!("{}: {}", self.file, e.message));
        };
        let clusters = self.cluster_scenarios(c)?;
        let mut w = crate::World::sharded(c, &self.reshards, &clusters, seed).map_err(|m| format!("{}: {m}", self.file))?;
        w.set_title(&self.lesson.title);
        Ok(w)
    }

    fn cluster_scenarios(&self, c: &Config) -> Result<Vec<(String, crate::Scenario)>, String> {
        match &self.replication {
            Some(rc) => crate::runner::replicas::scenarios(rc, &self.template, &cluster::shard_names(&c.placement), c.duration_s).map_err(|m| format!("{}: [replication]: {m}", self.file)),
            None => Ok(Vec::new()),
        }
    }

    /// Runs every experiment of the lesson and checks the expectations.
    /// The learner's design (a challenge's choices, the page's selects): a shard key among the
    /// table's columns, a placement strategy, a shard count. A new placement drops the lesson's
    /// own reshards, which were written for the old one.
    pub fn apply_design(&mut self, d: &crate::scenario::Design) -> Result<(), String> {
        let cfg = self.cluster.as_mut().ok_or("this lesson has no sharded table")?;
        if let Some(k) = &d.shard_key {
            if !cfg.columns.iter().any(|c| &c.name == k) {
                let names: Vec<&str> = cfg.columns.iter().map(|c| c.name.as_str()).collect();
                return Err(format!("shard_key = \"{k}\" is not a column of {} ({})", cfg.table, names.join(", ")));
            }
            cfg.shard_key = k.clone();
        }
        if let Some(v) = &d.vindex {
            cfg.vindex = Vindex::of(v)?;
        }
        if d.strategy.is_some() || d.shards.is_some() {
            let strategy = d.strategy.clone().unwrap_or_else(|| crate::shard::placement::strategy_name(&cfg.placement).to_string());
            let vnodes = match &cfg.placement {
                Placement::Ring(r) => r.vnodes,
                _ => 64,
            };
            cfg.placement = crate::shard::placement::from_strategy(&strategy, d.shards.unwrap_or(cfg.placement.shards()), vnodes)?;
            self.reshards.clear();
        }
        Ok(())
    }

    pub fn run(&self, seed: Option<u64>) -> Result<ShardReport, String> {
        let mut w = self.world(seed)?;
        w.run_to_end().map_err(|e| format!("{}: {e}", self.file))?;
        self.report_of(&w)
    }

    /// What a run of this lesson found, from its world once at its end (the router's figures
    /// and every shard's cluster), with the calculators' results and the expectations.
    pub fn report_of(&self, w: &crate::World) -> Result<ShardReport, String> {
        let seed = w.seed();
        let mut r = ShardReport { title: self.lesson.title.clone(), seed, ..ShardReport::default() };
        if let Some(c) = &self.cluster {
            if let Some(e) = w.router_error() {
                return Err(self.place_reshard(e.clone()));
            }
            let run = w.router_run().cloned().ok_or_else(|| format!("{}: the run has not reached its end", self.file))?;
            let ha = match &self.replication {
                Some(_) => crate::runner::replicas::report(&mut w.clone(), &self.cluster_scenarios(c)?, &run, c.read_share, c.duration_s),
                None => Vec::new(),
            };
            describe_cluster(c, &run, &mut r);
            if let Some(rc) = &self.replication {
                describe_clusters(rc, &ha, &mut r);
            }
            r.shard_clusters = ha;
            r.run = Some(run);
        }
        if let Some(p) = &self.partitioning {
            partitions(p, &mut r)?;
        }
        if let Some(s) = &self.scatter {
            scatter(s, seed, &mut r);
        }
        if let Some(j) = &self.join {
            joins(j, seed, &mut r)?;
        }
        r.expectations = self
            .expect
            .iter()
            .map(|(m, b)| match r.metrics.get(&m.name()) {
                Some(v) => crate::report::bound(&m.name(), m.unit(), *v, b),
                None => crate::report::not_measured(&m.name()),
            })
            .collect();
        Ok(r)
    }
}

fn describe_cluster(c: &Config, run: &Run, r: &mut ShardReport) {
    let m = &mut r.metrics;
    m.insert("ops".into(), run.ops as f64);
    m.insert("acked_writes".into(), run.acked_writes as f64);
    m.insert("lost_writes".into(), run.lost_writes as f64);
    // Every write the router could not have acknowledged: refused for want of a writable
    // primary, or timed out waiting at a reshard's cutover.
    let cutover_failed: u64 = run.reshards.iter().map(|mv| mv.writes_failed).sum();
    m.insert("failed_writes".into(), (run.failed_writes + cutover_failed) as f64);
    m.insert("cutover_failed_writes".into(), cutover_failed as f64);
    m.insert("misrouted_writes".into(), run.misrouted_writes as f64);
    m.insert("hot_seconds".into(), run.hotspots.len() as f64);
    m.insert("first_hot_shard".into(), run.hotspots.first().map_or(-1.0, |h| h.shard as f64));
    m.insert("p99_ms".into(), run.p99_us as f64 / 1000.0);
    m.insert("reshards".into(), run.reshards.len() as f64);
    let vindex = c.vindex.name();
    r.lines.push(format!("{} sharded by {} ({vindex} vindex) over {}; shards now: {}", c.table, c.shard_key, c.placement, run.shard_names.join(" ")));
    r.lines.push(format!(
        "{} operations, {} acknowledged writes, {} failed ({} refused: no writable primary; {} timed out at a cutover), {} lost, {} misrouted; worst per-shard p99 {} ms",
        run.ops,
        run.acked_writes,
        run.failed_writes + cutover_failed,
        run.failed_writes,
        cutover_failed,
        run.lost_writes,
        run.misrouted_writes,
        run.p99_us / 1000
    ));
    if let Some(h) = run.hotspots.first() {
        r.lines.push(format!("hot shard {} at {} s ({}.{} % of all operations): {}", h.name, h.second, h.share_permille / 10, h.share_permille % 10, h.cause));
        let moved: Vec<String> = run.hotspots.windows(2).filter(|w| w[0].name != w[1].name).map(|w| format!("{} at {} s", w[1].name, w[1].second)).collect();
        if !moved.is_empty() {
            r.lines.push(format!("the hot spot moved: {}", moved.join(", ")));
        }
    }
    for mv in &run.reshards {
        let m = &mut r.metrics;
        m.insert("keys_moved_permille".into(), (mv.keys_moved * 1000 / mv.keys_total.max(1)) as f64);
        m.insert("max_pause_ms".into(), mv.max_pause_us as f64 / 1000.0);
        let at = |us: u64| if us == 0 { "never".to_string() } else { format!("at {} s", secs(us)) };
        r.lines.push(format!(
            "{}: copy {} rows ({} of {} keys move) {}–{} s; catch-up, then reads switched {}; writes paused {} ms {}; {} writes delayed, {} failed",
            mv.what,
            mv.rows_moved,
            mv.keys_moved,
            mv.keys_total,
            secs(mv.started_us),
            secs(mv.copy_done_us),
            at(mv.reads_switched_us),
            mv.max_pause_us / 1000,
            at(mv.writes_paused_us),
            mv.writes_delayed,
            mv.writes_failed
        ));
    }
}

fn describe_clusters(rc: &crate::shard::cfg::ReplicaCfg, ha: &[crate::runner::replicas::ShardHa], r: &mut ShardReport) {
    for h in ha {
        let down = h.writes_down.map_or(String::new(), |(a, b)| format!(", no writable primary {}–{} s", secs(a * 1000), secs(b * 1000)));
        r.lines.push(format!(
            "shard {}: {} writes/s on a primary with {} replicas: {} commits, {} lost, {} failovers{down}, max replay lag {} ms",
            h.shard, h.write_tps, rc.replicas, h.commits_acked, h.commits_lost, h.failovers, h.max_replay_lag_ms
        ));
    }
    r.metrics.insert("shard_failovers".into(), ha.iter().map(|h| h.failovers).sum::<u64>() as f64);
    r.metrics.insert("commits_lost".into(), ha.iter().map(|h| h.commits_lost).sum::<u64>() as f64);
}

/// Both join plans on the same data, with the rows each sends over the network.
fn joins(j: &JoinCfg, seed: u64, r: &mut ShardReport) -> Result<(), String> {
    let placement = Placement::Ring(Ring::new(j.shards, 64));
    let mut rng = crate::rng::SimRng::derive(seed, "join");
    let mut customers = query::Table::new("customers", &["customer_id", "region"], "customer_id", Vindex::Hash, placement.clone())?;
    for c in 1..=j.customers {
        customers.insert(vec![c, c % 5])?;
    }
    for (key, metric) in [("customer_id", "colocated_rows_moved"), ("order_id", "redistributed_rows_moved")] {
        let mut orders = query::Table::new("orders", &["order_id", "customer_id"], key, Vindex::Hash, placement.clone())?;
        for o in 1..=j.orders {
            orders.insert(vec![o, 1 + rng.below(j.customers.max(1))])?;
        }
        let plan = query::join(&orders, &customers, "customer_id")?;
        r.lines.push(format!("orders sharded by {key} JOIN customers ON customer_id: {}", plan.text));
        r.metrics.insert(metric.into(), plan.rows_moved as f64);
    }
    Ok(())
}

fn secs(us: u64) -> String {
    format!("{}.{}", us / 1_000_000, us % 1_000_000 / 100_000)
}

fn partitions(p: &PartitionCfg, r: &mut ShardReport) -> Result<(), String> {
    let mut t = partition::Table::new(&p.table, &p.column, partition::monthly(&p.table, p.year, p.first_month, p.months))?;
    t.dated = true;
    let start = partition::days(p.year, p.first_month as i64, 1);
    let names = t.names();
    let end = match &t.scheme {
        partition::Scheme::Range(parts) => parts.last().map_or(start, |x| x.to),
        _ => start,
    };
    for d in start..end {
        for _ in 0..p.rows_per_day {
            t.insert(d)?;
        }
    }
    let q = Pred::Between(partition::days(p.year, p.query_month as i64, 1), partition::days(p.year, p.query_month as i64 + 1, 1));
    let scanned = t.prune(&q);
    r.metrics.insert("partitions_scanned".into(), scanned.len() as f64);
    r.lines.push(format!("{} partitions: {}", names.len(), names.join(", ")));
    r.lines.push(format!("EXPLAIN SELECT count(*) FROM {} WHERE {} in month {}:\n{}", p.table, p.column, p.query_month, t.explain(&q)));
    let mut detached = 0;
    while p.retain_months > 0 && t.names().len() > p.retain_months as usize {
        let oldest = t.names()[0].clone();
        let rows = t.detach(&oldest)?;
        r.lines.push(format!("ALTER TABLE {} DETACH PARTITION {oldest}; -- {rows} rows leave in one metadata change, no DELETE", p.table));
        detached += 1;
    }
    r.metrics.insert("partitions_detached".into(), detached as f64);
    Ok(())
}

fn scatter(s: &ScatterCfg, seed: u64, r: &mut ShardReport) {
    let mut first = None;
    let mut last = 0;
    for n in &s.shards {
        let (one, all) = query::scatter_p99(*n, s.base.0 .0, s.mean.0 .0, s.queries, seed);
        r.lines.push(format!("{n:>3} shards: single-shard p99 {:.1} ms, scatter-gather p99 {:.1} ms", one as f64 / 1000.0, all as f64 / 1000.0));
        first.get_or_insert(all);
        last = all;
    }
    r.metrics.insert("scatter_p99_ratio".into(), last as f64 / first.unwrap_or(1).max(1) as f64);
}

/// A semantic error: the field's path (`cluster.shards`) and the reason.
type Bad = (String, String);

fn bad<T>(path: &str, message: impl Into<String>) -> Result<T, Bad> {
    Err((path.to_string(), message.into()))
}

/// The sharding sections of a lesson file (the rest is the `Scenario`'s): read from the same text
/// when a sharded lesson is built.
#[derive(Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct Sections {
    table: Option<TableFile>,
    cluster: Option<ClusterFile>,
    #[serde(default)]
    reshard: Vec<ReshardFile>,
    replication: Option<crate::shard::cfg::ReplicaCfg>,
    partitioning: Option<PartitionCfg>,
    scatter: Option<ScatterCfg>,
    join: Option<JoinCfg>,
}

fn lesson(mut scn: Scenario, f: Sections) -> Result<ShardLesson, Bad> {
    let (seed, duration) = (scn.run.seed, scn.run.duration);
    if duration.0 < SimDur::secs(1) {
        return bad("run.duration", format!("duration = {} must be 1 s to {}", duration.0.human(), crate::scenario::MAX_DURATION.human()));
    }
    let cluster = match (f.table, f.cluster) {
        (Some(t), Some(c)) => Some(config(t, c, &scn.workload, duration)?),
        (None, None) => None,
        (Some(_), None) => return bad("cluster", "a [table] needs a [cluster] to shard it onto"),
        (None, Some(_)) => return bad("table", "a [cluster] needs a [table] to shard"),
    };
    if cluster.is_none() && (f.replication.is_some() || !f.reshard.is_empty()) {
        let key = if f.replication.is_some() { "replication" } else { "reshard" };
        return bad(key, format!("[{key}] acts on a sharded table: it needs a [table] and a [cluster]"));
    }
    let reshards = f
        .reshard
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let shard = || r.shard.ok_or_else(|| (format!("reshard[{i}].shard"), "this reshard kind needs `shard`".to_string()));
            let mv = match r.kind {
                ReshardKind::Add => Move::Add,
                ReshardKind::Split => Move::Split { shard: shard()? },
                ReshardKind::MoveRange => Move::MoveRange { shard: shard()? },
            };
            Ok((r.at.0.as_ms() / 1000, mv))
        })
        .collect::<Result<Vec<_>, Bad>>()?;
    if let Some(p) = &f.partitioning {
        if !(1..=12).contains(&p.first_month) || !(1..=12).contains(&p.query_month) || p.months == 0 || p.months > 120 || p.rows_per_day > 10_000 {
            return bad("partitioning", "months must be 1 to 120, first_month and query_month 1 to 12, rows_per_day at most 10000");
        }
    }
    if let Some(v) = &f.scatter {
        if v.shards.is_empty() || v.shards.iter().any(|s| *s == 0 || *s > 1024) || v.queries == 0 || v.queries > 100_000 {
            return bad("scatter", "shards must list 1 to 1024 per entry, and queries be 1 to 100000");
        }
    }
    if let Some(v) = f.replication.as_ref().filter(|v| v.replicas > 4) {
        return bad("replication.replicas", format!("replicas must be 0 to 4, not {}", v.replicas));
    }
    if let Some(v) = &f.join {
        if v.shards == 0 || v.shards > 1024 || v.orders > 1_000_000 || v.customers == 0 || v.customers > 1_000_000 {
            return bad("join", "shards must be 1 to 1024, orders at most 1000000 and customers 1 to 1000000");
        }
    }
    Ok(ShardLesson {
        file: String::new(),
        lesson: std::mem::take(&mut scn.lesson),
        seed,
        cluster,
        reshards,
        reshard_places: Vec::new(),
        partitioning: f.partitioning,
        scatter: f.scatter,
        replication: f.replication,
        join: f.join,
        expect: std::mem::take(&mut scn.expect.metrics),
        template: scn,
    })
}

fn config(t: TableFile, c: ClusterFile, w: &crate::scenario::WorkloadCfg, duration: Dur) -> Result<Config, Bad> {
    let columns = t
        .columns
        .iter()
        .map(|x| {
            let dist = match x.distribution {
                DistFile::Uniform => Dist::Uniform,
                DistFile::Zipf => Dist::Zipf { s: x.zipf_s.unwrap_or(1.1) },
                DistFile::Celebrity => Dist::Celebrity { key: x.celebrity_key.unwrap_or(1), share: x.celebrity_share.unwrap_or(0.3) },
                DistFile::Monotonic => Dist::Monotonic,
            };
            Column { name: x.name.clone(), dist, keys: x.keys }
        })
        .collect();
    const STRATEGIES: [&str; 4] = ["mod", "ring", "jump", "range"];
    if !STRATEGIES.contains(&c.strategy.as_str()) {
        return bad("cluster.strategy", format!("unknown strategy `{}`, expected one of {}", c.strategy, STRATEGIES.join(", ")));
    }
    let Some(shards) = c.shards else { return bad("cluster.shards", "missing field `shards`") };
    if c.strategy == "ring" && (c.vnodes == 0 || c.vnodes > crate::shard::placement::MAX_VNODES) {
        return bad("cluster.vnodes", format!("vnodes must be 1 to {}, not {}", crate::shard::placement::MAX_VNODES, c.vnodes));
    }
    let placement = crate::shard::placement::from_strategy(&c.strategy, shards, c.vnodes).map_err(|m| ("cluster.shards".to_string(), m))?;
    let vindex = match t.vindex {
        VindexFile::Hash => Vindex::Hash,
        VindexFile::Numeric => Vindex::Numeric,
    };
    let mut cfg = Config {
        table: t.name,
        columns,
        shard_key: t.shard_key,
        vindex,
        placement,
        ops_per_s: 1000,
        read_share: 0.5,
        shard_capacity: c.shard_capacity,
        rtt_us: c.rtt.0 .0,
        duration_s: duration.0.as_ms() / 1000,
        copy_rows_s: c.copy_rows_s,
        apply_rows_s: c.apply_rows_s,
        write_timeout_us: c.write_timeout.0 .0,
    };
    cfg.ops_per_s = w.ops_per_s.unwrap_or(cfg.ops_per_s);
    cfg.read_share = w.read_share.unwrap_or(cfg.read_share);
    cfg.check().map_err(|(field, message)| {
        let section = match field {
            "shard_key" | "columns" => "table",
            "ops_per_s" => "workload",
            _ => "cluster",
        };
        (format!("{section}.{field}"), message)
    })?;
    Ok(cfg)
}

#[cfg(test)]
mod kind_tests {
    #[test]
    fn sharding_lessons_are_told_from_scenarios_and_planner_lessons() {
        assert!(super::is_sharding("[lesson]\ntitle = \"t\"\n[table]\nname = \"x\""));
        assert!(super::is_sharding("[[ table.columns ]] # a column\nname = \"k\""));
        assert!(super::is_sharding("[ cluster ]\nshards = 2"));
        assert!(!super::is_sharding("[[table]]\nname = \"orders\"\n[[query]]\nsql = \"SELECT 1\""));
        assert!(!super::is_sharding("[lesson]\ntitle = \"[cluster]\"\n[[nodes]]\nname = \"pg1\""));
        assert!(!super::is_sharding("# [join]\n[run]\nseed = 1"));
    }
}
