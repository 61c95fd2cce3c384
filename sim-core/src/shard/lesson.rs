//! Sharding lessons (`scenarios/sharding/*.toml`): a table and its shard key, a cluster with a
//! placement strategy, a workload, reshards, and optional partitioning and scatter-gather
//! experiments; the run's figures are checked against `[expect]` bounds.
use super::cluster::{self, Column, Config, Dist, Move, Run, Vindex};
use super::partition::{self, Pred};
use super::placement::{Placement, Ring};
use super::query;
use crate::decode::{fail, join, one_of, DeError, Fields, FromToml};
use crate::scenario::{line_col, Bound, Dur, Lesson, ScenarioError};
use crate::time::SimDur;
use crate::tomlite::{Node, Value};
use serde::Serialize;
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
    pub replication: Option<super::replicas::ReplicaCfg>,
    pub join: Option<JoinCfg>,
    pub expect: BTreeMap<String, Bound>,
}

/// `[partitioning]`: a time-series table partitioned by month, a query, and retention.
#[derive(Clone, Debug, Default)]
pub struct PartitionCfg {
    pub table: String,
    pub column: String,
    pub year: i64,
    pub first_month: u32,
    pub months: u32,
    pub rows_per_day: u64,
    /// The query: rows from this month (1-12, same year) only.
    pub query_month: u32,
    /// Keep only this many newest months (detach older ones); 0 keeps all.
    pub retain_months: u32,
}

/// `[scatter]`: scatter-gather tail latency at several shard counts.
#[derive(Clone, Debug)]
pub struct ScatterCfg {
    pub shards: Vec<u32>,
    pub base: Dur,
    pub mean: Dur,
    pub queries: u32,
}

/// `[join]`: orders joined to customers on customer_id, with orders sharded by customer_id
/// (co-located with customers) and by order_id (not co-located).
#[derive(Clone, Debug)]
pub struct JoinCfg {
    pub shards: u32,
    pub orders: u64,
    pub customers: u64,
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
    pub shard_clusters: Vec<super::replicas::ShardHa>,
    #[serde(skip)]
    pub run: Option<Run>,
}

/// Every figure a sharding lesson can bound in `[expect]`.
pub const METRICS: [&str; 19] = [
    "failed_writes",
    "colocated_rows_moved",
    "redistributed_rows_moved",
    "shard_failovers",
    "commits_lost",
    "ops",
    "acked_writes",
    "lost_writes",
    "misrouted_writes",
    "hot_seconds",
    "first_hot_shard",
    "p99_ms",
    "reshards",
    "keys_moved_permille",
    "max_pause_ms",
    "writes_failed",
    "partitions_scanned",
    "partitions_detached",
    "scatter_p99_ratio",
];

impl ShardReport {
    /// A 64-bit digest of everything the run found (figures, findings, per-second load,
    /// hotspots, reshards, per-shard clusters): equal across platforms for the same inputs.
    pub fn digest(&self) -> u64 {
        let figures: Vec<(&String, u64)> = self.metrics.iter().map(|(k, v)| (k, v.to_bits())).collect();
        let text = format!("{figures:?}|{:?}|{:?}|{:?}", self.lines, self.run, self.shard_clusters);
        crate::rng::fnv1a(&text)
    }
}

impl ShardLesson {
    /// Parses a lesson file; errors name the file, line and field.
    pub fn parse(file: &str, src: &str) -> Result<ShardLesson, ScenarioError> {
        let placed = |at: usize, field: String, message: String| {
            let (line, column) = line_col(src, at);
            ScenarioError { file: file.into(), line, column, field, message }
        };
        let root = crate::tomlite::parse(src).map_err(|e| placed(e.at, String::new(), e.message))?;
        let root_node = Node { at: 0, value: Value::Table(root) };
        let mut l = lesson(&root_node).map_err(|e| placed(e.at, e.path, e.message))?;
        l.file = file.to_string();
        l.reshard_places = l.reshard_places.iter().map(|(at, _)| line_col(src, *at)).collect();
        Ok(l)
    }

    fn run_cluster(&self, c: &Config, seed: u64) -> Result<Run, String> {
        cluster::run_moves(c, seed, &self.reshards).map_err(|(i, m)| match i.and_then(|i| self.reshard_places.get(i).map(|p| (i, p))) {
            Some((i, (line, col))) => format!("{}:{line}:{col}: field `reshard[{i}].at`: {m}", self.file),
            None => format!("{}: {m}", self.file),
        })
    }

    /// Runs every experiment of the lesson and checks the expectations.
    pub fn run(&self, seed: Option<u64>) -> Result<ShardReport, String> {
        let seed = seed.unwrap_or(self.seed);
        let mut r = ShardReport { title: self.lesson.title.clone(), seed, ..ShardReport::default() };
        if let Some(c) = &self.cluster {
            let mut run = self.run_cluster(c, seed)?;
            let ha = match &self.replication {
                Some(rc) => shard_clusters(rc, c, &run, seed)?,
                None => Vec::new(),
            };
            let outages: Vec<cluster::Outage> =
                ha.iter().enumerate().filter_map(|(i, h)| h.writes_down.map(|(a, b)| cluster::Outage { shard: i as u32, from_us: a * 1000, to_us: b * 1000 })).collect();
            if !outages.is_empty() {
                // Run again with each failing-over shard refusing writes while it has no primary.
                run = self.run_cluster(&Config { outages, ..c.clone() }, seed)?;
            }
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
            .map(|(name, b)| match r.metrics.get(name) {
                Some(v) => crate::report::bound(name, *v, b),
                None => crate::report::ExpectResult { name: name.clone(), ok: false, detail: "not measured by this lesson".into() },
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
    m.insert("failed_writes".into(), run.failed_writes as f64);
    m.insert("misrouted_writes".into(), run.misrouted_writes as f64);
    m.insert("hot_seconds".into(), run.hotspots.len() as f64);
    m.insert("first_hot_shard".into(), run.hotspots.first().map_or(-1.0, |h| h.shard as f64));
    m.insert("p99_ms".into(), run.p99_us as f64 / 1000.0);
    m.insert("reshards".into(), run.reshards.len() as f64);
    let vindex = if c.vindex == Vindex::Hash { "hash" } else { "numeric" };
    r.lines.push(format!("{} sharded by {} ({vindex} vindex) over {}; shards now: {}", c.table, c.shard_key, c.placement, run.shard_names.join(" ")));
    r.lines.push(format!(
        "{} operations, {} acknowledged writes, {} refused (no primary), {} lost, {} misrouted; worst per-shard p99 {} ms",
        run.ops,
        run.acked_writes,
        run.failed_writes,
        run.lost_writes,
        run.misrouted_writes,
        run.p99_us / 1000
    ));
    if let Some(h) = run.hotspots.first() {
        r.lines.push(format!("hot shard {} at {} s ({} ‰ of all operations): {}", h.name, h.second, h.share_permille, h.cause));
        let moved: Vec<String> = run.hotspots.windows(2).filter(|w| w[0].name != w[1].name).map(|w| format!("{} at {} s", w[1].name, w[1].second)).collect();
        if !moved.is_empty() {
            r.lines.push(format!("the hot spot moved: {}", moved.join(", ")));
        }
    }
    for mv in &run.reshards {
        let m = &mut r.metrics;
        m.insert("keys_moved_permille".into(), (mv.keys_moved * 1000 / mv.keys_total.max(1)) as f64);
        m.insert("max_pause_ms".into(), mv.max_pause_us as f64 / 1000.0);
        m.insert("writes_failed".into(), mv.writes_failed as f64);
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

/// Runs each shard's own primary and replicas at the write rate the shard saw.
fn shard_clusters(rc: &super::replicas::ReplicaCfg, c: &Config, run: &Run, seed: u64) -> Result<Vec<super::replicas::ShardHa>, String> {
    let names = cluster::shard_names(&c.placement);
    let secs = run.load.len().max(1) as u64;
    let writes: Vec<u64> = (0..names.len()).map(|s| run.load.iter().map(|row| row.get(s).map_or(0, |l| l.ops)).sum::<u64>() * ((1.0 - c.read_share) * 1000.0) as u64 / 1000 / secs).collect();
    super::replicas::run(rc, &names, &writes, c.duration_s, seed)
}

fn describe_clusters(rc: &super::replicas::ReplicaCfg, ha: &[super::replicas::ShardHa], r: &mut ShardReport) {
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

fn lesson(n: &Node) -> Result<ShardLesson, DeError> {
    let mut f = Fields::of(n, "")?;
    let lesson: Lesson = f.req("lesson")?;
    let run = f.opt::<Raw>("run")?;
    let (seed, duration) = match &run {
        Some(Raw(r)) => {
            let mut rf = Fields::of(r, "run")?;
            let v: (u64, Dur) = (rf.or("seed", 1u64)?, rf.or("duration", Dur(SimDur::secs(60)))?);
            rf.done()?;
            if v.1 .0 > crate::scenario::MAX_DURATION || v.1 .0 < SimDur::secs(1) {
                return fail(field_at(r, "duration").unwrap_or(r.at), "run.duration", format!("duration = {} must be 1 s to {}", v.1 .0.human(), crate::scenario::MAX_DURATION.human()));
            }
            v
        }
        None => (1, Dur(SimDur::secs(60))),
    };
    let table = f.opt::<Raw>("table")?;
    let cluster_cfg = f.opt::<Raw>("cluster")?;
    let workload = f.opt::<Raw>("workload")?;
    let cluster = match (&table, &cluster_cfg) {
        (Some(Raw(t)), Some(Raw(c))) => Some(config(t, c, workload.as_ref().map(|w| &w.0), duration)?),
        (None, None) => None,
        (Some(Raw(t)), None) => return fail(t.at, "cluster", "a [table] needs a [cluster] to shard it onto"),
        (None, Some(Raw(c))) => return fail(c.at, "table", "a [cluster] needs a [table] to shard"),
    };
    let raw_reshards = f.or::<Vec<Raw>>("reshard", Vec::new())?;
    let reshards = raw_reshards.iter().enumerate().map(|(i, r)| reshard(&r.0, &format!("reshard[{i}]"))).collect::<Result<Vec<_>, _>>()?;
    let reshard_places = raw_reshards.iter().map(|r| (field_at(&r.0, "at").unwrap_or(r.0.at), 0)).collect();
    let partitioning = f.opt::<PartitionCfg>("partitioning")?;
    let scatter = f.opt::<ScatterCfg>("scatter")?;
    let replication = f.opt::<super::replicas::ReplicaCfg>("replication")?;
    let join = f.opt::<JoinCfg>("join")?;
    let expect = match f.opt::<Raw>("expect")? {
        Some(Raw(e)) => crate::decode::map_of(&e, "expect", |k| METRICS.contains(&k).then(|| k.to_string()), &METRICS.join(", "))?,
        None => BTreeMap::new(),
    };
    f.done()?;
    Ok(ShardLesson { file: String::new(), lesson, seed, cluster, reshards, reshard_places, partitioning, scatter, replication, join, expect })
}

fn config(t: &Node, c: &Node, w: Option<&Node>, duration: Dur) -> Result<Config, DeError> {
    let mut tf = Fields::of(t, "table")?;
    let name: String = tf.req("name")?;
    let columns = tf.req::<Vec<Raw>>("columns")?.iter().enumerate().map(|(i, x)| column(&x.0, &format!("table.columns[{i}]"))).collect::<Result<Vec<_>, _>>()?;
    let shard_key: String = tf.req("shard_key")?;
    let vindex = match tf.opt::<Raw>("vindex")? {
        Some(Raw(v)) => one_of(&v, "table.vindex", &[("hash", Vindex::Hash), ("numeric", Vindex::Numeric)])?,
        None => Vindex::Hash,
    };
    tf.done()?;
    let mut cf = Fields::of(c, "cluster")?;
    let strategy: String = cf.or("strategy", "ring".to_string())?;
    let shards: u32 = cf.req("shards")?;
    let vnodes: u32 = cf.or("vnodes", 64)?;
    let placement = super::placement::from_strategy(&strategy, shards, vnodes).map_err(|m| {
        let field = if m.contains("strategy") {
            "strategy"
        } else if m.contains("vnodes") {
            "vnodes"
        } else {
            "shards"
        };
        DeError { at: field_at(c, field).unwrap_or(c.at), path: format!("cluster.{field}"), message: m }
    })?;
    let mut cfg = Config {
        table: name,
        columns,
        shard_key,
        vindex,
        placement,
        ops_per_s: 1000,
        read_share: 0.5,
        shard_capacity: cf.or("shard_capacity", 2000)?,
        rtt_us: cf.or("rtt", Dur(SimDur::ms(1)))?.0 .0,
        duration_s: duration.0.as_ms() / 1000,
        copy_rows_s: cf.or("copy_rows_s", 20_000)?,
        apply_rows_s: cf.or("apply_rows_s", 50_000)?,
        write_timeout_us: cf.or("write_timeout", Dur(SimDur::secs(2)))?.0 .0,
        outages: Vec::new(),
    };
    cf.done()?;
    if let Some(w) = w {
        let mut wf = Fields::of(w, "workload")?;
        cfg.ops_per_s = wf.or("ops_per_s", cfg.ops_per_s)?;
        cfg.read_share = wf.or("read_share", cfg.read_share)?;
        wf.done()?;
    }
    cfg.check().map_err(|(field, message)| {
        let (node, section) = match field {
            "shard_key" | "columns" => (t, "table"),
            "ops_per_s" => (w.unwrap_or(c), "workload"),
            _ => (c, "cluster"),
        };
        DeError { at: field_at(node, field).unwrap_or(node.at), path: format!("{section}.{field}"), message }
    })?;
    Ok(cfg)
}

/// Where a field's key sits, for errors found after decoding.
fn field_at(n: &Node, key: &str) -> Option<usize> {
    match &n.value {
        Value::Table(t) => t.get(key).map(|e| e.at),
        _ => None,
    }
}

fn column(n: &Node, path: &str) -> Result<Column, DeError> {
    let mut f = Fields::of(n, path)?;
    let name: String = f.req("name")?;
    let keys: u64 = f.or("keys", 100_000)?;
    let kind: String = f.or("distribution", "uniform".to_string())?;
    let dist = match kind.as_str() {
        "uniform" => Dist::Uniform,
        "zipf" => Dist::Zipf { s: f.or("zipf_s", 1.1)? },
        "celebrity" => Dist::Celebrity { key: f.or("celebrity_key", 1)?, share: f.or("celebrity_share", 0.3)? },
        "monotonic" => Dist::Monotonic,
        other => return fail(n.at, &join(path, "distribution"), format!("unknown distribution `{other}`, expected one of uniform, zipf, celebrity, monotonic")),
    };
    f.done()?;
    Ok(Column { name, dist, keys })
}

fn reshard(n: &Node, path: &str) -> Result<(u64, Move), DeError> {
    let mut f = Fields::of(n, path)?;
    let at: Dur = f.req("at")?;
    let kind: String = f.req("kind")?;
    let mv = match kind.as_str() {
        "add" => Move::Add,
        "split" => Move::Split { shard: f.req("shard")? },
        "move_range" => Move::MoveRange { shard: f.req("shard")? },
        other => return fail(n.at, &join(path, "kind"), format!("unknown reshard kind `{other}`, expected add, split or move_range")),
    };
    f.done()?;
    Ok((at.0.as_ms() / 1000, mv))
}

impl FromToml for PartitionCfg {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let mut f = Fields::of(n, path)?;
        let v = PartitionCfg {
            table: f.or("table", "events".to_string())?,
            column: f.or("column", "created_on".to_string())?,
            year: f.or("year", 2026)?,
            first_month: f.or("first_month", 1)?,
            months: f.or("months", 12)?,
            rows_per_day: f.or("rows_per_day", 100)?,
            query_month: f.or("query_month", 1)?,
            retain_months: f.or("retain_months", 0)?,
        };
        f.done()?;
        if !(1..=12).contains(&v.first_month) || !(1..=12).contains(&v.query_month) || v.months == 0 || v.months > 120 || v.rows_per_day > 10_000 {
            return fail(n.at, path, "months must be 1 to 120, first_month and query_month 1 to 12, rows_per_day at most 10000");
        }
        Ok(v)
    }
}

impl FromToml for ScatterCfg {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let mut f = Fields::of(n, path)?;
        let v = ScatterCfg { shards: f.req("shards")?, base: f.or("base", Dur(SimDur::ms(1)))?, mean: f.or("mean", Dur(SimDur::ms(2)))?, queries: f.or("queries", 4000)? };
        f.done()?;
        if v.shards.is_empty() || v.shards.iter().any(|s| *s == 0 || *s > 1024) || v.queries == 0 || v.queries > 100_000 {
            return fail(n.at, path, "shards must list 1 to 1024 per entry, and queries be 1 to 100000");
        }
        Ok(v)
    }
}

/// A value kept as it is.
struct Raw(Node);

impl FromToml for Raw {
    fn from_toml(n: &Node, _: &str) -> Result<Self, DeError> {
        Ok(Raw(n.clone()))
    }
}

impl FromToml for super::replicas::ReplicaCfg {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let mut f = Fields::of(n, path)?;
        let v = super::replicas::ReplicaCfg {
            replicas: f.or("replicas", 1)?,
            synchronous_commit: f.or("synchronous_commit", crate::scenario::SyncCommit::On)?,
            fail_shard: f.opt("fail_shard")?,
            fail_at: f.or("fail_at", Dur(SimDur::secs(20)))?,
        };
        f.done()?;
        if v.replicas > 4 {
            return fail(field_at(n, "replicas").unwrap_or(n.at), &join(path, "replicas"), format!("replicas must be 0 to 4, not {}", v.replicas));
        }
        Ok(v)
    }
}

impl FromToml for JoinCfg {
    fn from_toml(n: &Node, path: &str) -> Result<Self, DeError> {
        let mut f = Fields::of(n, path)?;
        let v = JoinCfg { shards: f.or("shards", 8)?, orders: f.or("orders", 5000)?, customers: f.or("customers", 400)? };
        f.done()?;
        if v.shards == 0 || v.shards > 1024 || v.orders > 1_000_000 || v.customers == 0 || v.customers > 1_000_000 {
            return fail(n.at, path, "shards must be 1 to 1024, orders at most 1000000 and customers 1 to 1000000");
        }
        Ok(v)
    }
}
