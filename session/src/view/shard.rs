//! The sharding page's plain-data views: the per-shard load heatmap over the run, and the shard
//! map at a second (what each shard owns, its rows and load, refused writes, p99, hot or touched).
use sim_core::shard::cluster::{shard_names, Run};
use sim_core::shard::placement::Placement;

/// One shard in one second that did anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeatCell {
    pub second: u32,
    pub shard: u32,
    pub ops: u64,
    /// Writes refused or failed (no writable primary).
    pub errors: u64,
}

/// Operations per shard per second over the whole run.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HeatmapView {
    pub seconds: u32,
    pub shards: u32,
    /// What one shard can serve per second (`shard_capacity`): the darkest colour, so the scale
    /// is absolute and an even, unloaded run stays pale.
    pub max: u64,
    /// The busiest cell's operations.
    pub peak: u64,
    pub cells: Vec<HeatCell>,
    /// The shard with the most operations over the run, when the run found a hot spot.
    pub hot: Option<u32>,
}

impl HeatmapView {
    pub fn of(run: &Run, capacity: u64) -> HeatmapView {
        let shards = run.load.iter().map(Vec::len).max().unwrap_or(0);
        let cells = run
            .load
            .iter()
            .enumerate()
            .flat_map(|(t, row)| row.iter().enumerate().map(move |(s, l)| HeatCell { second: t as u32, shard: s as u32, ops: l.ops, errors: l.errors }))
            .filter(|c| c.ops + c.errors > 0)
            .collect();
        let busiest = (0..shards).max_by_key(|s| run.load.iter().map(|row| row.get(*s).map_or(0, |l| l.ops)).sum::<u64>()).unwrap_or(0);
        HeatmapView {
            seconds: run.load.len().max(1) as u32,
            shards: shards as u32,
            max: capacity.max(1),
            peak: run.load.iter().flatten().map(|l| l.ops).max().unwrap_or(0),
            cells,
            hot: (!run.hotspots.is_empty()).then_some(busiest as u32),
        }
    }
}

/// One shard's row in the shard map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapRow {
    pub name: String,
    /// What it owns under the placement: points on the ring, a keyspace range, a hash bucket.
    pub owns: String,
    pub rows: u64,
    pub ops: u64,
    /// Its share of the second's operations, in per cent.
    pub percent: u64,
    pub errors: u64,
    pub p99_us: u64,
    pub hot: bool,
    /// A routed query touches it.
    pub touched: bool,
}

/// The shard map at one second of the run.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ShardMapView {
    pub second: u32,
    pub rows: Vec<MapRow>,
    /// The hot shard's name in that second, if any.
    pub hot: Option<String>,
}

impl ShardMapView {
    /// `placement` is the one in force at `second`; `touched` the shards a routed query reaches.
    pub fn of(run: &Run, placement: &Placement, second: usize, touched: &[u32]) -> ShardMapView {
        let names = shard_names(placement);
        let load = run.load.get(second).cloned().unwrap_or_default();
        let total: u64 = load.iter().map(|l| l.ops).sum();
        let hot = run.hotspots.iter().find(|h| h.second == second as u64).map(|h| h.name.clone());
        let owns = |i: usize| match placement {
            Placement::Ring(r) => format!("{} points", r.points().iter().filter(|x| x.1 == i as u32).count()),
            Placement::Range { .. } => format!("keyspace {}", names[i]),
            Placement::ModN { n } => format!("hash mod {n} = {i}"),
            Placement::Jump { .. } => format!("jump bucket {i}"),
        };
        let rows = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let l = load.get(i).cloned().unwrap_or_default();
                MapRow {
                    name: n.clone(),
                    owns: owns(i),
                    rows: l.rows,
                    ops: l.ops,
                    percent: (l.ops * 100).checked_div(total).unwrap_or(0),
                    errors: l.errors,
                    p99_us: l.p99_us,
                    hot: hot.as_deref() == Some(n.as_str()),
                    touched: touched.contains(&(i as u32)),
                }
            })
            .collect();
        ShardMapView { second: second as u32, rows, hot }
    }
}

/// A sample key on the ring: where it hashes, its owner, and where a reshard under way sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyDot {
    pub key: u64,
    pub ksid: u64,
    pub from: u32,
    pub to: u32,
}

/// The keyspace as a ring at a moment: the owners' points (ring) or range starts, and 24
/// sample keys with their owners; during a reshard's copy, how far it has come.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingView {
    pub strategy: &'static str,
    /// The placement as the page names it (`jump consistent hash, 4 shards`).
    pub label: String,
    pub shard_key: String,
    /// `(keyspace ID, shard)`: at most 256 ring points, or each range's start.
    pub marks: Vec<(u64, u32)>,
    pub keys: Vec<KeyDot>,
    /// The copy's progress, per mille (0 when nothing moves).
    pub copied_permille: u32,
}

impl RingView {
    /// The ring under `placement` (the one in force at `ms`) in this run.
    pub fn of(cfg: &sim_core::shard::cluster::Config, placement: &Placement, run: &Run, ms: u64) -> RingView {
        let marks: Vec<(u64, u32)> = match placement {
            Placement::Ring(r) => r.points().iter().step_by((r.points().len() / 256).max(1)).copied().collect(),
            Placement::Range { bounds } => std::iter::once(0).chain(bounds.iter().copied()).enumerate().map(|(i, b)| (b, i as u32)).collect(),
            _ => Vec::new(),
        };
        let us = ms.saturating_mul(1000);
        let moving = run.reshards.iter().find(|r| r.started_us <= us && us < r.writes_switched_us.max(r.copy_done_us));
        let next = moving.map(|r| r.grown(placement));
        let copied_permille = moving.map_or(0, |r| (us.saturating_sub(r.started_us).saturating_mul(1000) / r.copy_done_us.saturating_sub(r.started_us).max(1)).min(1000) as u32);
        let n = cfg.column(&cfg.shard_key).map_or(1, |c| c.keys);
        let keys = (1..=24u64)
            .map(|i| {
                let key = 1 + (i - 1) * n / 24;
                let ksid = cfg.ksid(key);
                let from = placement.shard_of_ksid(ksid);
                KeyDot { key, ksid, from, to: next.as_ref().map_or(from, |p| p.shard_of_ksid(ksid)) }
            })
            .collect();
        RingView { strategy: sim_core::shard::placement::strategy_name(placement), label: placement.to_string(), shard_key: cfg.shard_key.clone(), marks, keys, copied_permille }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heatmap_and_map_show_the_hot_shard_and_the_refused_writes() {
        let (file, src) = lessons::SHARDING.iter().find(|(f, _)| f.starts_with("10c")).unwrap();
        let l = sim_core::runner::sharded::ShardLesson::parse(file, src).unwrap();
        let r = l.run(None).unwrap();
        let run = r.run.as_ref().unwrap();
        let capacity = l.cluster.as_ref().unwrap().shard_capacity;
        let h = HeatmapView::of(run, capacity);
        assert_eq!(h.seconds as usize, run.load.len());
        assert_eq!(h.hot, Some(run.hotspots[0].shard), "the celebrity's shard is the hot one");
        assert!(h.cells.iter().all(|c| c.ops <= h.peak && c.ops + c.errors > 0));
        // The scale is the shard's capacity: the hot shard is near it, the others well below.
        assert_eq!(h.max, capacity);
        assert!(h.peak * 10 >= capacity * 8, "{} of {capacity}", h.peak);
        // 10b, an even key: no cell comes near a shard's capacity, so the good heatmap stays pale.
        let (file, src) = lessons::SHARDING.iter().find(|(f, _)| f.starts_with("10b")).unwrap();
        let good = sim_core::runner::sharded::ShardLesson::parse(file, src).unwrap();
        let gr = good.run(None).unwrap();
        let gh = HeatmapView::of(gr.run.as_ref().unwrap(), good.cluster.as_ref().unwrap().shard_capacity);
        assert!(gh.peak * 10 < gh.max * 8, "10b peaks at {} of {}", gh.peak, gh.max);
        let second = run.hotspots[0].second as usize;
        let p = run.placement_at(&l.cluster.as_ref().unwrap().placement, second as u64 * 1000);
        let m = ShardMapView::of(run, &p, second, &[1]);
        assert_eq!(m.rows.iter().filter(|r| r.hot).count(), 1);
        assert!(m.rows[1].touched && !m.rows[0].touched);
        let pct: u64 = m.rows.iter().map(|r| r.percent).sum();
        assert!((95..=100).contains(&pct), "shares add up to about 100 %: {pct}");
    }

    #[test]
    fn the_ring_shows_keys_moving_during_a_reshards_copy() {
        let (file, src) = lessons::SHARDING.iter().find(|(f, _)| f.starts_with("10h")).unwrap();
        let l = sim_core::runner::sharded::ShardLesson::parse(file, src).unwrap();
        let r = l.run(None).unwrap();
        let (run, cfg) = (r.run.as_ref().unwrap(), l.cluster.as_ref().unwrap());
        let mv = &run.reshards[0];
        let mid = (mv.started_us + mv.copy_done_us) / 2 / 1000;
        let before = RingView::of(cfg, &run.placement_at(&cfg.placement, 1000), run, 1000);
        assert!(before.keys.iter().all(|k| k.from == k.to) && before.copied_permille == 0);
        let during = RingView::of(cfg, &run.placement_at(&cfg.placement, mid), run, mid);
        assert!(during.keys.iter().any(|k| k.from != k.to), "a split moves some sample keys");
        assert!((400..=600).contains(&during.copied_permille), "{}", during.copied_permille);
        assert_eq!(during.marks.len(), 2, "two range starts before the split completes");
    }
}
