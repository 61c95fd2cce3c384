//! Queries against a sharded table: which shards each one touches and why (single-shard by the
//! shard key, or scatter-gather), merging partial results, tail latency of scatter-gather, and
//! joins that stay local on co-located tables or redistribute rows otherwise.
use super::cluster::Vindex;
use super::placement::{keyspace_id, Placement};
use crate::rng::SimRng;
use std::collections::BTreeMap;

/// A sharded table's data: rows of column values, each row stored on its shard.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub shard_key: String,
    pub vindex: Vindex,
    pub placement: Placement,
    /// `shards[s]` holds rows as column values in `columns` order.
    pub shards: Vec<Vec<Vec<u64>>>,
}

/// Where a query went and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub shards: Vec<u32>,
    pub why: String,
}

impl Table {
    /// An empty table; `columns` must contain `shard_key`.
    pub fn new(name: &str, columns: &[&str], shard_key: &str, vindex: Vindex, placement: Placement) -> Result<Table, String> {
        placement.check()?;
        if !columns.contains(&shard_key) {
            return Err(format!("`{shard_key}` is not a column of {name} (columns: {})", columns.join(", ")));
        }
        let n = placement.shards() as usize;
        Ok(Table { name: name.into(), columns: columns.iter().map(|c| c.to_string()).collect(), shard_key: shard_key.into(), vindex, placement, shards: vec![Vec::new(); n] })
    }

    fn col(&self, name: &str) -> Result<usize, String> {
        self.columns.iter().position(|c| c == name).ok_or_else(|| format!("column \"{name}\" does not exist in {}", self.name))
    }

    fn ksid(&self, v: u64) -> u64 {
        match self.vindex {
            Vindex::Hash => keyspace_id(v),
            Vindex::Numeric => v,
        }
    }

    pub fn shard_of_value(&self, v: u64) -> u32 {
        self.placement.shard_of_ksid(self.ksid(v))
    }

    pub fn insert(&mut self, row: Vec<u64>) -> Result<u32, String> {
        if row.len() != self.columns.len() {
            return Err(format!("a row of {} needs {} values", self.name, self.columns.len()));
        }
        let s = self.shard_of_value(row[self.col(&self.shard_key)?]);
        self.shards[s as usize].push(row);
        Ok(s)
    }

    /// Routing for `WHERE column = value` (or no condition).
    pub fn route(&self, filter: Option<(&str, u64)>) -> Result<Route, String> {
        let known = |c: &str| self.columns.iter().any(|x| x == c);
        route_with(&Router { table: &self.name, shard_key: &self.shard_key, vindex: self.vindex, placement: &self.placement, known: &known, ksid: &|v| self.ksid(v) }, filter)
    }

    /// `SELECT column % buckets, count(*) … WHERE filter GROUP BY 1`: partial counts per shard,
    /// merged by the router.
    pub fn group_count(&self, filter: Option<(&str, u64)>, column: &str, buckets: u64) -> Result<(Route, BTreeMap<u64, u64>), String> {
        let route = self.route(filter)?;
        let (gc, fc) = (self.col(column)?, filter.map(|(c, _)| self.col(c)).transpose()?);
        let mut merged = BTreeMap::new();
        for s in &route.shards {
            for (g, n) in partial(&self.shards[*s as usize], gc, fc.zip(filter.map(|f| f.1)), buckets.max(1)) {
                *merged.entry(g).or_insert(0) += n;
            }
        }
        Ok((route, merged))
    }

    /// `SELECT … ORDER BY column LIMIT k`: each shard returns its own k smallest; the router merges.
    pub fn top_k(&self, column: &str, k: usize) -> Result<Vec<u64>, String> {
        let c = self.col(column)?;
        let mut all: Vec<u64> = Vec::new();
        for rows in &self.shards {
            let mut mine: Vec<u64> = rows.iter().map(|r| r[c]).collect();
            mine.sort_unstable();
            mine.truncate(k);
            all.extend(mine);
        }
        all.sort_unstable();
        all.truncate(k);
        Ok(all)
    }

    /// Every row, as one node would hold them (for checking merges).
    pub fn single_node(&self) -> Vec<Vec<u64>> {
        self.shards.iter().flatten().cloned().collect()
    }
}

/// What routing needs to know about a table.
#[allow(missing_debug_implementations)]
pub struct Router<'a> {
    pub table: &'a str,
    pub shard_key: &'a str,
    pub vindex: Vindex,
    pub placement: &'a Placement,
    pub known: &'a dyn Fn(&str) -> bool,
    pub ksid: &'a dyn Fn(u64) -> u64,
}

/// `WHERE column = value` on the shard key goes to one shard; any other condition, or none,
/// goes to every shard (scatter-gather).
pub fn route_with(r: &Router, filter: Option<(&str, u64)>) -> Result<Route, String> {
    let n = r.placement.shards();
    Ok(match filter {
        Some((c, v)) if c == r.shard_key => {
            let h = (r.ksid)(v);
            let s = r.placement.shard_of_ksid(h);
            let how = match r.vindex {
                Vindex::Hash => format!("hash({v}) = {h:016x}"),
                Vindex::Numeric => format!("keyspace ID {h:016x}"),
            };
            Route { shards: vec![s], why: format!("{c} = {v} is the shard key: {how} → shard {s}; single-shard") }
        }
        Some((c, _)) if !(r.known)(c) => return Err(format!("column \"{c}\" does not exist in {}", r.table)),
        Some((c, _)) => Route { shards: (0..n).collect(), why: format!("{c} is not the shard key ({}): every shard may hold matches; scatter-gather to all {n}", r.shard_key) },
        None => Route { shards: (0..n).collect(), why: format!("no condition on the shard key: scatter-gather to all {n} shards") },
    })
}

/// Grouped counts over some rows, optionally filtered by `(column, value)`.
pub fn partial(rows: &[Vec<u64>], group: usize, filter: Option<(usize, u64)>, buckets: u64) -> BTreeMap<u64, u64> {
    let mut out = BTreeMap::new();
    for r in rows {
        let keep = match filter {
            None => true,
            Some((c, v)) => r.get(c) == Some(&v),
        };
        if keep {
            *out.entry(r[group] % buckets).or_insert(0) += 1;
        }
    }
    out
}

/// How a join `a JOIN b ON a.col = b.col` runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinPlan {
    pub colocated: bool,
    /// Rows sent over the network to line both sides up by the join column.
    pub rows_moved: u64,
    pub text: String,
}

/// Co-located when both tables are sharded by the join column with the same placement and vindex:
/// each shard joins its own rows. Otherwise the side(s) not sharded by the join column are
/// redistributed (repartitioned) by it first.
pub fn join(a: &Table, b: &Table, on: &str) -> Result<JoinPlan, String> {
    let (ca, cb) = (a.col(on)?, b.col(on)?);
    // Rows line up by `on` as the table already sharded by it places them (or as `a` would).
    let target = if b.shard_key == on && a.shard_key != on { b } else { a };
    let in_place = |t: &Table| t.shard_key == on && t.placement == target.placement && t.vindex == target.vindex;
    let moved = |t: &Table, c: usize| -> u64 {
        if in_place(t) {
            return 0;
        }
        let same_layout = t.placement.shards() == target.placement.shards();
        t.shards.iter().enumerate().map(|(s, rows)| rows.iter().filter(|r| !same_layout || target.shard_of_value(r[c]) as usize != s).count() as u64).sum()
    };
    if in_place(a) && in_place(b) {
        return Ok(JoinPlan {
            colocated: true,
            rows_moved: 0,
            text: format!("{} and {} are co-located on {on}: each of the {} shards joins its own rows; nothing moves", a.name, b.name, a.placement.shards()),
        });
    }
    let rows_moved = moved(a, ca) + moved(b, cb);
    let who: Vec<&str> = [a, b].into_iter().filter(|t| !in_place(t)).map(|t| t.name.as_str()).collect();
    Ok(JoinPlan { colocated: false, rows_moved, text: format!("not co-located on {on}: redistribute {} by {on} ({rows_moved} rows cross the network), then join shard by shard", who.join(" and ")) })
}

/// p99 latency of a scatter-gather query over `shards` shards, when each shard answers in
/// `base_us` plus an exponential queueing delay of mean `mean_us`: the slowest shard decides.
pub fn scatter_p99(shards: u32, base_us: u64, mean_us: u64, queries: u32, seed: u64) -> (u64, u64) {
    let mut rng = SimRng::derive(seed, "scatter");
    let mut single = Vec::with_capacity(queries as usize);
    let mut gather = Vec::with_capacity(queries as usize);
    for _ in 0..queries {
        let mut worst = 0;
        for i in 0..shards.max(1) {
            let t = base_us + rng.exp(mean_us);
            if i == 0 {
                single.push(t);
            }
            worst = worst.max(t);
        }
        gather.push(worst);
    }
    (p99(&mut single), p99(&mut gather))
}

fn p99(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) * 99 / 100).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::placement::Ring;

    fn orders(key: &str, n: u32) -> Table {
        let mut t = Table::new("orders", &["order_id", "customer_id", "amount"], key, Vindex::Hash, Placement::Ring(Ring::new(n, 64))).unwrap();
        let mut rng = SimRng::derive(5, "orders");
        for id in 1..=5000 {
            t.insert(vec![id, 1 + rng.below(400), rng.below(1000)]).unwrap();
        }
        t
    }

    #[test]
    fn a_shard_key_equality_is_single_shard_and_anything_else_scatters() {
        let t = orders("customer_id", 8);
        let r = t.route(Some(("customer_id", 42))).unwrap();
        assert_eq!(r.shards, [t.shard_of_value(42)]);
        assert!(r.why.contains("single-shard"), "{}", r.why);
        let r = t.route(Some(("amount", 10))).unwrap();
        assert_eq!(r.shards.len(), 8);
        assert!(r.why.contains("amount is not the shard key"), "{}", r.why);
        assert!(t.route(Some(("email", 1))).unwrap_err().contains("does not exist"));
    }

    #[test]
    fn scatter_gather_results_equal_the_single_node_result() {
        for n in [1, 4, 16] {
            let t = orders("customer_id", n);
            let rows = t.single_node();
            for filter in [None, Some(("customer_id", 7)), Some(("amount", 500))] {
                let (_, merged) = t.group_count(filter, "amount", 10).unwrap();
                let f = filter.map(|(c, v)| (t.col(c).unwrap(), v));
                assert_eq!(merged, partial(&rows, 2, f, 10), "{n} shards, {filter:?}");
            }
            let mut all: Vec<u64> = rows.iter().map(|r| r[2]).collect();
            all.sort_unstable();
            all.truncate(25);
            assert_eq!(t.top_k("amount", 25).unwrap(), all);
        }
    }

    #[test]
    fn colocated_joins_stay_local_and_others_redistribute() {
        let a = orders("customer_id", 8);
        let mut customers = Table::new("customers", &["customer_id", "region"], "customer_id", Vindex::Hash, Placement::Ring(Ring::new(8, 64))).unwrap();
        for c in 1..=400 {
            customers.insert(vec![c, c % 5]).unwrap();
        }
        let local = join(&a, &customers, "customer_id").unwrap();
        assert!(local.colocated && local.rows_moved == 0, "{local:?}");
        let by_order = orders("order_id", 8);
        let plan = join(&by_order, &customers, "customer_id").unwrap();
        assert!(!plan.colocated, "{plan:?}");
        assert!(plan.rows_moved > 3000 && plan.rows_moved < 5000, "most of 5000 orders move: {plan:?}");
        assert!(plan.text.contains("redistribute orders by customer_id"), "{}", plan.text);
    }

    #[test]
    fn scatter_gather_tail_latency_grows_with_the_shard_count() {
        let p: Vec<(u64, u64)> = [4, 16, 64].iter().map(|n| scatter_p99(*n, 1000, 2000, 4000, 3)).collect();
        assert!(p[0].1 > p[0].0, "gathering from 4 is slower than asking 1: {p:?}");
        assert!(p[1].1 > p[0].1 && p[2].1 > p[1].1, "{p:?}");
        // The p99 of the max of n exponentials grows like ln(100 n): about 2000 µs × ln(6400) ≈ 17.5 ms at 64.
        assert!((14_000..22_000).contains(&p[2].1), "{p:?}");
    }
}
