//! The executor behind EXPLAIN ANALYZE: runs a plan over the generated rows and records, per node,
//! what PostgreSQL's instrumentation records: rows, loops, time to first and last row, rows removed
//! by filters, buffers, hash buckets and batches, sort method and memory, Memoize hits. Rows and
//! loops are exact; times are simulated from the work done (constants below), so they are the same
//! for every run, native and wasm. Nodes above a LIMIT stop early as PostgreSQL's do.
use crate::bind::{ColRef, Output, Qual, Query};
use crate::catalog::{maxalign, NULL};
use crate::cost::SortMethod;
use crate::db::Database;
use crate::plan::{AggSplit, JoinType, Kind, Plan};
use crate::sql::{AggFn, CmpOp};
use std::collections::BTreeMap;

/// Simulated cost of the executor's steps, in microseconds (a laptop with the data in shared
/// buffers: a sequential scan reads about ten million rows a second).
pub mod micros {
    pub const PAGE: f64 = 0.4;
    pub const ROW: f64 = 0.08;
    pub const OPERATOR: f64 = 0.02;
    pub const INDEX_DESCENT: f64 = 0.6;
    pub const INDEX_TUPLE: f64 = 0.06;
    pub const RANDOM_PAGE: f64 = 0.6;
    pub const HASH_INSERT: f64 = 0.12;
    pub const HASH_PROBE: f64 = 0.07;
    pub const COMPARE: f64 = 0.025;
    pub const SPILL_PAGE: f64 = 3.0;
    pub const NODE_CALL: f64 = 0.01;
    /// Opening a scan: the time to its first row beyond the work itself.
    pub const SCAN_START: f64 = 1.5;
    /// Starting one parallel worker (a process, its memory and its copy of the plan).
    pub const WORKER_START: f64 = 400.0;
}

/// What one node did over all its loops.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeStats {
    pub loops: f64,
    pub rows: f64,
    /// Summed over loops, in milliseconds (EXPLAIN divides by loops).
    pub startup_ms: f64,
    pub total_ms: f64,
    pub removed_by_filter: f64,
    pub removed_by_join_filter: f64,
    pub shared_hit: f64,
    /// Temp file blocks read and written (a sort's runs, a hash join's batches).
    pub temp_read: f64,
    pub temp_written: f64,
    pub heap_blocks: f64,
    pub buckets: f64,
    pub batches: f64,
    pub memory_kb: f64,
    pub sort_method: Option<SortMethod>,
    pub cache_hits: f64,
    pub cache_misses: f64,
    /// The workers that ran the node too (it is below a Gather): EXPLAIN lists each one's
    /// sort or hash table.
    pub workers: f64,
}

impl NodeStats {
    /// What one run added: `self` after it, `before` before it.
    fn minus(&self, before: &NodeStats) -> NodeStats {
        NodeStats {
            loops: self.loops - before.loops,
            rows: self.rows - before.rows,
            startup_ms: self.startup_ms - before.startup_ms,
            total_ms: self.total_ms - before.total_ms,
            removed_by_filter: self.removed_by_filter - before.removed_by_filter,
            removed_by_join_filter: self.removed_by_join_filter - before.removed_by_join_filter,
            shared_hit: self.shared_hit - before.shared_hit,
            temp_read: self.temp_read - before.temp_read,
            temp_written: self.temp_written - before.temp_written,
            heap_blocks: self.heap_blocks - before.heap_blocks,
            cache_hits: self.cache_hits - before.cache_hits,
            cache_misses: self.cache_misses - before.cache_misses,
            ..self.clone()
        }
    }

    fn scaled(&self, f: f64) -> NodeStats {
        NodeStats {
            loops: libm::rint(self.loops * f),
            rows: libm::rint(self.rows * f),
            startup_ms: self.startup_ms * f,
            total_ms: self.total_ms * f,
            removed_by_filter: libm::rint(self.removed_by_filter * f),
            removed_by_join_filter: libm::rint(self.removed_by_join_filter * f),
            shared_hit: libm::rint(self.shared_hit * f),
            temp_read: libm::rint(self.temp_read * f),
            temp_written: libm::rint(self.temp_written * f),
            heap_blocks: libm::rint(self.heap_blocks * f),
            cache_hits: libm::rint(self.cache_hits * f),
            cache_misses: libm::rint(self.cache_misses * f),
            ..self.clone()
        }
    }

    /// Counts one more run like `d`.
    fn add(&mut self, d: &NodeStats) {
        self.loops += d.loops;
        self.rows += d.rows;
        self.startup_ms += d.startup_ms;
        self.total_ms += d.total_ms;
        self.removed_by_filter += d.removed_by_filter;
        self.removed_by_join_filter += d.removed_by_join_filter;
        self.shared_hit += d.shared_hit;
        self.temp_read += d.temp_read;
        self.temp_written += d.temp_written;
        self.heap_blocks += d.heap_blocks;
        self.cache_hits += d.cache_hits;
        self.cache_misses += d.cache_misses;
    }
}

/// The result of EXPLAIN ANALYZE: one [`NodeStats`] per node in depth-first order.
#[derive(Clone, Debug, PartialEq)]
pub struct Analyzed {
    pub nodes: Vec<NodeStats>,
    pub rows_out: usize,
    pub execution_ms: f64,
}

/// A row in flight: per relation the row number (below aggregation), or the group's values
/// followed by the aggregates (above it).
type Row = Vec<i64>;
/// A group's key and its aggregates' (sum or extreme, count).
type Group = (Vec<i64>, Vec<(i64, i64)>);

/// Most row pairs a nested loop may compare one by one; beyond it equality filters use a hash.
const PAIR_BUDGET: f64 = 20_000_000.0;
/// Most rows any node may produce.
pub const ROW_BUDGET: usize = 4_000_000;

/// An index as a scan reads it: its (key, row) entries in order, and the leaf page of each.
type BuiltIndex = (Vec<(Vec<i64>, u32)>, Vec<u32>);

pub struct Executor<'a> {
    db: &'a Database,
    q: &'a Query,
    stats: Vec<NodeStats>,
    /// Each index built when first used.
    indexes: BTreeMap<usize, BuiltIndex>,
    /// Each table's row-to-heap-page map, built when first used.
    heaps: BTreeMap<usize, std::rc::Rc<Vec<u32>>>,
    /// Index-only scans whose visibility-map page is already pinned (kept across rescans).
    vm_pinned: Vec<bool>,
    /// Each hashed SubPlan's values once it has run, and whether one was NULL.
    subplan_sets: BTreeMap<usize, (std::collections::BTreeSet<i64>, bool)>,
    /// Each materialized CTE's plan and node number, and the rows it returned once run.
    cte_plans: BTreeMap<usize, (std::rc::Rc<Plan>, usize)>,
    cte_rows: BTreeMap<usize, Vec<Row>>,
    /// Each scalar subquery's InitPlan and node number, and its result once run: a fraction
    /// (an avg is one), or None for NULL.
    init_plans: BTreeMap<usize, (std::rc::Rc<Plan>, usize)>,
    params: BTreeMap<usize, Option<(i128, i128)>>,
    /// The row bound a Limit passes to the Sort right below it (ExecSetTupleBound): such a Sort
    /// may keep only the top rows; one below any other node sorts them all.
    bound: Option<usize>,
    /// Below a Finalize Aggregate: the rows the Partial Aggregates return (their input rows go
    /// up in their place), counted for every node on the way.
    carry: Option<usize>,
    pub error: Option<String>,
}

/// What a rewind restores: the node statistics, pinned visibility-map pages and SubPlan results.
type Checkpoint = (Vec<NodeStats>, Vec<bool>, BTreeMap<usize, (std::collections::BTreeSet<i64>, bool)>, BTreeMap<usize, Option<(i128, i128)>>);

impl std::fmt::Debug for Executor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor").field("nodes", &self.stats.len()).finish()
    }
}

fn size(p: &Plan) -> usize {
    1 + p.children.iter().map(|c| size(c)).sum::<usize>()
}

/// Runs `plan` and returns its instrumentation.
pub fn analyze(db: &Database, q: &Query, plan: &Plan) -> Result<Analyzed, String> {
    let mut ex = Executor {
        db,
        q,
        stats: vec![NodeStats::default(); size(plan)],
        indexes: BTreeMap::new(),
        heaps: BTreeMap::new(),
        vm_pinned: vec![false; size(plan)],
        subplan_sets: BTreeMap::new(),
        cte_plans: plan.display_children(0).into_iter().filter_map(|(id, c)| c.initplan.map(|k| (k, (c.clone(), id)))).collect(),
        cte_rows: BTreeMap::new(),
        init_plans: plan.display_children(0).into_iter().filter_map(|(id, c)| c.param_plan.map(|k| (k, (c.clone(), id)))).collect(),
        params: BTreeMap::new(),
        bound: None,
        carry: None,
        error: None,
    };
    let (rows, _, total) = ex.run(plan, 0, None, None);
    if let Some(e) = ex.error {
        return Err(e);
    }
    Ok(Analyzed { nodes: ex.stats, rows_out: rows.len(), execution_ms: total / 1000.0 + 0.005 })
}

impl<'a> Executor<'a> {
    fn value(&self, row: &Row, c: ColRef) -> i64 {
        let r = row[c.0];
        if r < 0 {
            return NULL;
        }
        self.db.tables[self.q.rels[c.0].table].data[c.1][r as usize]
    }

    fn passes(&self, quals: &[Qual], row: &Row) -> bool {
        quals.iter().all(|q| match q {
            // x NOT IN (…): true only when x is not NULL, not among the values, and none was NULL.
            Qual::NotIn { c, sub } => {
                let x = self.value(row, *c);
                self.subplan_sets.get(sub).is_none_or(|(set, has_null)| x != NULL && !has_null && !set.contains(&x))
            }
            // x op $n, in exact fractions (an avg need not be whole).
            Qual::Param { c, op, k, .. } => {
                let x = self.value(row, *c);
                match self.params.get(k) {
                    Some(Some((num, den))) if x != NULL => op.holds(i128::from(x) * den, *num),
                    _ => false,
                }
            }
            _ => q.eval(&|c| self.value(row, c)),
        })
    }

    /// The processes running a plan with `workers` workers: they, and the leader unless it
    /// only waits.
    fn procs(&self, workers: usize) -> usize {
        workers + usize::from(self.db.settings.parallel_leader_participation)
    }

    /// Column `k` of a set operation's row: the column of the SELECT the row comes from.
    fn set_value(&self, row: &Row, k: usize) -> i64 {
        let Some(so) = &self.q.set_op else { return NULL };
        so.columns.iter().enumerate().find(|(r, _)| row[*r] >= 0).map_or(NULL, |(r, cols)| self.value(row, (r, cols[k])))
    }

    /// A key's value in a row below any aggregate: a column, or a set operation's column.
    fn key_value(&self, row: &Row, o: Output) -> i64 {
        match o {
            Output::Col(c) => self.value(row, c),
            Output::Set(k) => self.set_value(row, k),
            _ => NULL,
        }
    }

    fn blank(&self) -> Row {
        vec![-1; self.q.rels.len()]
    }

    /// Runs node `id` once; returns (rows, startup µs, total µs). `param` is the outer row of a
    /// nested loop; `want` stops a streaming node after that many rows.
    fn run(&mut self, p: &Plan, id: usize, param: Option<&Row>, want: Option<usize>) -> (Vec<Row>, f64, f64) {
        if self.error.is_some() {
            return (Vec::new(), 0.0, 0.0);
        }
        // A scalar subquery's InitPlan runs when a condition first needs its result, inside the
        // node that evaluates it (its time and buffers are that node's too).
        let mut before = 0.0;
        for k in p.filter.iter().filter_map(|q| if let Qual::Param { k, .. } = q { Some(*k) } else { None }) {
            if self.params.contains_key(&k) {
                continue;
            }
            let Some((ip, iid)) = self.init_plans.get(&k).cloned() else { continue };
            let t = self.run_initplan(k, &ip, iid);
            before += t;
            let hits: f64 = self.stats[iid..iid + size(&ip)].iter().map(|s| s.shared_hit).sum();
            self.stats[id].shared_hit += hits;
        }
        for (k, c) in p.children.iter().enumerate() {
            let Some(sub) = c.subplan.filter(|s| !self.subplan_sets.contains_key(s)) else { continue };
            let (rows, _, t) = self.run(c, Self::child_id(p, id, k), None, None);
            let inner = self.q.subplans[sub].inner;
            let vals: Vec<i64> = rows.iter().map(|r| self.value(r, inner)).collect();
            let has_null = vals.contains(&NULL);
            before += t + vals.len() as f64 * micros::HASH_INSERT;
            self.subplan_sets.insert(sub, (vals.into_iter().filter(|v| *v != NULL).collect(), has_null));
        }
        let (rows, startup, total) = self.node(p, id, param, want);
        let (startup, total) = (startup + before, total + before);
        // Rows a Partial Aggregate stands for (it hands its input on, for the Finalize above).
        let counted = self.carry.unwrap_or(rows.len());
        if rows.len() > ROW_BUDGET {
            self.error = Some(format!("{} produces more than {ROW_BUDGET} rows: too large to execute in the simulator", p.kind.name()));
        }
        let st = &mut self.stats[id];
        st.loops += 1.0;
        st.rows += counted as f64;
        st.startup_ms += startup / 1000.0;
        st.total_ms += total / 1000.0;
        (rows, startup, total)
    }

    fn child_id(p: &Plan, id: usize, k: usize) -> usize {
        id + 1 + p.children[..k].iter().map(|c| size(c)).sum::<usize>()
    }

    fn node(&mut self, p: &Plan, id: usize, param: Option<&Row>, want: Option<usize>) -> (Vec<Row>, f64, f64) {
        use micros::*;
        match p.kind {
            Kind::SeqScan => {
                let r = p.rel.unwrap_or(0);
                let t = &self.db.tables[self.q.rels[r].table];
                let mut out = Vec::new();
                let mut scanned = 0usize;
                let mut row = param.cloned().unwrap_or_else(|| self.blank());
                for i in 0..t.rows {
                    scanned += 1;
                    row[r] = i as i64;
                    if self.passes(&p.filter, &row) {
                        out.push(row.clone());
                        if want.is_some_and(|w| out.len() >= w) {
                            break;
                        }
                    }
                }
                let pages = if t.rows == 0 { 0.0 } else { libm::ceil(scanned as f64 * t.pages / t.rows as f64) };
                let st = &mut self.stats[id];
                st.removed_by_filter += (scanned - out.len()) as f64;
                st.shared_hit += pages;
                let ops = crate::plan::qual_ops(&p.filter);
                let total = SCAN_START + pages * PAGE + scanned as f64 * (ROW + ops * OPERATOR) + out.len() as f64 * NODE_CALL;
                let first = if out.is_empty() { total } else { SCAN_START + PAGE + ROW * (scanned as f64 / out.len() as f64).min(scanned as f64) };
                (out, first, total)
            }
            Kind::IndexScan | Kind::IndexOnlyScan | Kind::BitmapIndexScan => {
                let (rows, page_costs, tail, descents) = self.index_lookup(p, param);
                let r = p.rel.unwrap_or(0);
                let heap = self.heap(self.q.rels[r].table);
                let t = &self.db.tables[self.q.rels[r].table];
                let mut out = Vec::new();
                let mut base = param.cloned().unwrap_or_else(|| self.blank());
                let mut fetched = 0usize;
                let mut heap_pages = 0.0;
                let mut last_page = u64::MAX;
                for &rid in &rows {
                    fetched += 1;
                    base[r] = rid as i64;
                    let page = page_of(&heap, rid as usize, t.rows, t.pages);
                    if page != last_page {
                        heap_pages += 1.0;
                        last_page = page;
                    }
                    if p.kind == Kind::BitmapIndexScan || self.passes(&p.filter, &base) {
                        out.push(base.clone());
                        if want.is_some_and(|w| out.len() >= w) {
                            break;
                        }
                    }
                }
                // The index pages read up to the last row fetched (all of them when the scan ran out).
                let index_pages = page_costs[..fetched].iter().sum::<f64>() + if fetched == rows.len() { tail } else { 0.0 };
                // An index-only scan reads no heap, but checks the visibility map: its page is read
                // once and stays pinned across rescans.
                let vm = if p.kind == Kind::IndexOnlyScan && fetched > 0 && !std::mem::replace(&mut self.vm_pinned[id], true) { 1.0 } else { 0.0 };
                let heap = if p.kind == Kind::IndexScan { heap_pages } else { 0.0 };
                let st = &mut self.stats[id];
                st.removed_by_filter += (fetched - out.len()) as f64;
                st.shared_hit += index_pages + heap + vm;
                let total = SCAN_START
                    + descents * INDEX_DESCENT
                    + fetched as f64 * INDEX_TUPLE
                    + heap * RANDOM_PAGE
                    + fetched as f64 * ROW * if p.kind == Kind::IndexScan { 1.0 } else { 0.3 }
                    + out.len() as f64 * NODE_CALL;
                // A bitmap index scan hands over its whole bitmap at once.
                let first = if out.is_empty() || p.kind == Kind::BitmapIndexScan { total } else { SCAN_START + descents * INDEX_DESCENT + INDEX_TUPLE };
                (out, first, total)
            }
            Kind::BitmapHeapScan => {
                let (mut ids, s0, t0) = self.run(&p.children[0], id + 1, param, None);
                let r = p.rel.unwrap_or(0);
                ids.sort_by_key(|row| row[r]);
                let heap = self.heap(self.q.rels[r].table);
                let t = &self.db.tables[self.q.rels[r].table];
                let mut pages: Vec<u64> = ids.iter().map(|row| page_of(&heap, row[r] as usize, t.rows, t.pages)).collect();
                pages.dedup();
                let mut out = Vec::new();
                let mut seen = 0usize;
                for row in &ids {
                    seen += 1;
                    if self.passes(&p.filter, row) {
                        out.push(row.clone());
                        if want.is_some_and(|w| out.len() >= w) {
                            break;
                        }
                    }
                }
                let st = &mut self.stats[id];
                st.removed_by_filter += (seen - out.len()) as f64;
                st.heap_blocks += pages.len() as f64;
                st.shared_hit += pages.len() as f64;
                let own = pages.len() as f64 * RANDOM_PAGE + seen as f64 * (ROW + crate::plan::qual_ops(&p.filter) * OPERATOR);
                (out, t0 + RANDOM_PAGE, t0 + own + s0 * 0.0)
            }
            Kind::NestedLoop => self.nestloop(p, id, param, want),
            Kind::HashJoin => self.hashjoin(p, id, param, want),
            Kind::MergeJoin => self.mergejoin(p, id, param, want),
            Kind::Hash => {
                // Building the table is the Hash node's own work: it returns when it is full.
                let (rows, _, t) = self.run(&p.children[0], id + 1, param, None);
                let built = t + rows.len() as f64 * HASH_INSERT;
                (rows, built, built)
            }
            Kind::Materialize => {
                let (rows, s, t) = self.run(&p.children[0], id + 1, param, want);
                let n = rows.len() as f64;
                (rows, s, t + n * OPERATOR * 2.0)
            }
            // Memoize runs inside its nested loop (see `nestloop`), which keeps its cache.
            Kind::Memoize => (Vec::new(), 0.0, 0.0),
            Kind::IncrementalSort => {
                // Read groups of equal leading keys until the parent has enough, plus the row
                // that ends the last group. PostgreSQL batches at least 32 rows before it looks
                // at the keys, or as many as the LIMIT still needs when that is fewer
                // (`minGroupSize`).
                let saved = self.checkpoint();
                let (mut rows, _, mut t) = self.run(&p.children[0], id + 1, param, None);
                let below = self.is_below_agg(p);
                let prefix = |me: &Self, r: &Row| p.keys[..p.presorted].iter().map(|(o, _)| me.sort_value(r, *o, below)).collect::<Vec<i64>>();
                let mut used = rows.len();
                if let Some(w) = want {
                    // Batch after batch until the LIMIT is met: each takes `minGroupSize` rows,
                    // then the rest of its last group.
                    let mut n = 0;
                    while n < w && n < rows.len() {
                        let mut end = (n + (w - n).min(32)).min(rows.len());
                        while end < rows.len() && prefix(self, &rows[end]) == prefix(self, &rows[end - 1]) {
                            end += 1;
                        }
                        n = end;
                    }
                    used = (n + 1).min(rows.len());
                }
                if used < rows.len() {
                    let own = self.stats[id].clone();
                    self.rewind(saved);
                    let r = self.run(&p.children[0], id + 1, param, Some(used));
                    self.stats[id] = own;
                    rows = r.0;
                    t = r.2;
                }
                self.sort_rows(&mut rows, &p.keys, below);
                let n = rows.len() as f64;
                let st = &mut self.stats[id];
                st.buckets += libm::floor(n / 32.0).max(1.0);
                st.memory_kb = st.memory_kb.max(libm::ceil(32.0 * (p.width + 48.0) / 1024.0).max(25.0));
                let own = n * COMPARE * 5.0 + n * NODE_CALL;
                if let Some(w) = want {
                    rows.truncate(w);
                }
                (rows, t + own / 4.0, t + own)
            }
            Kind::Sort => {
                let bound = self.bound.take();
                let (mut rows, _, t) = self.run(&p.children[0], id + 1, param, None);
                // (Above Partial Aggregates it sorts their groups, not the rows handed up.)
                let n = self.carry.unwrap_or(rows.len());
                let below = self.is_below_agg(p);
                self.sort_rows(&mut rows, &p.keys, below);
                let bytes = n as f64 * (maxalign(p.width as usize) as f64 + 24.0 + 24.0);
                let mem = self.db.settings.work_mem * 1024.0;
                let bounded = bound.filter(|&b| want.is_some() && n > 2 * b);
                let log2 = |x: f64| if x > 1.0 { libm::log2(x) } else { 1.0 };
                let (method, kb, own) = if let Some(w) = bounded {
                    (SortMethod::TopN, libm::ceil((w as f64 * (maxalign(p.width as usize) as f64 + 48.0)) / 1024.0).max(25.0), n as f64 * COMPARE * log2(2.0 * w as f64))
                } else if bytes > mem {
                    let pages = libm::ceil(n as f64 * (maxalign(p.width as usize) as f64 + 8.0) / 8192.0);
                    // An external sort writes its runs and reads them back.
                    self.stats[id].temp_read += pages;
                    self.stats[id].temp_written += pages;
                    (SortMethod::External, libm::ceil(pages * 8.0), n as f64 * COMPARE * log2(n as f64) + 2.0 * pages * SPILL_PAGE)
                } else {
                    (SortMethod::Quicksort, libm::ceil(bytes / 1024.0).max(25.0), n as f64 * COMPARE * log2(n as f64))
                };
                let st = &mut self.stats[id];
                st.sort_method = Some(method);
                st.memory_kb = st.memory_kb.max(kb);
                if let Some(w) = want {
                    rows.truncate(w);
                }
                (rows, t + own, t + own + n as f64 * NODE_CALL)
            }
            Kind::WindowAgg => {
                let saved = self.checkpoint();
                let (rows, s, t) = self.run(&p.children[0], id + 1, param, None);
                let (part, order) = (&self.q.window.0, &self.q.window.1);
                let pkey = |me: &Self, r: &Row| part.iter().map(|&c| me.value(r, c)).collect::<Vec<i64>>();
                let okey = |me: &Self, r: &Row| order.iter().map(|&(c, _)| me.value(r, c)).collect::<Vec<i64>>();
                // Partitions and, within each, peer groups (rows equal on ORDER BY) of the sorted rows.
                let n = rows.len();
                let mut part_end = vec![n; n];
                let mut peer_end = vec![n; n];
                let mut start = 0;
                while start < n {
                    let pk = pkey(self, &rows[start]);
                    let mut end = start + 1;
                    while end < n && pkey(self, &rows[end]) == pk {
                        end += 1;
                    }
                    let mut g = start;
                    while g < end {
                        let ok = okey(self, &rows[g]);
                        let mut ge = g + 1;
                        while ge < end && okey(self, &rows[ge]) == ok {
                            ge += 1;
                        }
                        for i in g..ge {
                            part_end[i] = end;
                            peer_end[i] = ge;
                        }
                        g = ge;
                    }
                    start = end;
                }
                let mut out: Vec<Row> = Vec::with_capacity(n);
                let (mut pstart, mut rank, mut dense) = (0usize, 0i64, 0i64);
                for i in 0..n {
                    if i == 0 || part_end[i - 1] != part_end[i] || i == part_end[i - 1] {
                        (pstart, dense) = (i, 0);
                    }
                    if i == pstart || peer_end[i - 1] <= i {
                        rank = (i - pstart) as i64 + 1;
                        dense += 1;
                    }
                    let mut row = rows[i].clone();
                    for w in &self.q.windows {
                        // An aggregate's frame: the whole partition, or (with ORDER BY) up to the
                        // current row's last peer.
                        let frame_end = if order.is_empty() { part_end[i] } else { peer_end[i] };
                        let vals = || rows[pstart..frame_end].iter().map(|r| w.arg.map_or(0, |c| self.value(r, c))).filter(|v| *v != NULL);
                        row.push(match w.func {
                            crate::sql::WinFn::RowNumber => (i - pstart) as i64 + 1,
                            crate::sql::WinFn::Rank => rank,
                            crate::sql::WinFn::DenseRank => dense,
                            crate::sql::WinFn::Agg(AggFn::Count) => vals().count() as i64,
                            crate::sql::WinFn::Agg(AggFn::Sum) => vals().fold(None, |a: Option<i64>, v| Some(a.unwrap_or(0).saturating_add(v))).unwrap_or(NULL),
                            crate::sql::WinFn::Agg(AggFn::Avg) => {
                                let (sum, k) = vals().fold((0i64, 0i64), |(s, k), v| (s.saturating_add(v), k + 1));
                                if k == 0 {
                                    NULL
                                } else {
                                    sum / k
                                }
                            }
                            crate::sql::WinFn::Agg(AggFn::Min) => vals().min().unwrap_or(NULL),
                            crate::sql::WinFn::Agg(AggFn::Max) => vals().max().unwrap_or(NULL),
                        });
                    }
                    out.push(row);
                }
                // Under a LIMIT the input is read as far as the last row out needs: its
                // partition's end (an aggregate over the partition) or its peers' (a running one),
                // and the row after.
                let mut read = n;
                if let Some(w) = want.filter(|&w| w < n) {
                    out.truncate(w);
                    let last = w.saturating_sub(1);
                    let whole = self.q.windows.iter().any(|x| matches!(x.func, crate::sql::WinFn::Agg(_)));
                    read = if whole && order.is_empty() {
                        (part_end[last] + 1).min(n)
                    } else if whole {
                        (peer_end[last] + 1).min(n)
                    } else {
                        (w + 1).min(n)
                    };
                    let own = self.stats[id].clone();
                    self.rewind(saved);
                    self.run(&p.children[0], id + 1, param, Some(read));
                    self.stats[id] = own;
                }
                let own = read as f64 * (COMPARE * (part.len() + order.len()) as f64 + OPERATOR * self.q.windows.len() as f64 + NODE_CALL);
                (out, s + own / read.max(1) as f64, t * read as f64 / n.max(1) as f64 + own)
            }
            Kind::CteScan => {
                let r = p.rel.unwrap_or(0);
                let k = self.q.rels[r].cte_scan.unwrap_or(0);
                let body = self.q.ctes.get(k).map_or(0, |c| c.rel);
                // The CTE's plan runs when a scan first reads it, inside that scan.
                let mut before = 0.0;
                let first = !self.cte_rows.contains_key(&k);
                let saved = self.checkpoint();
                if first {
                    let Some((plan, cid)) = self.cte_plans.get(&k).cloned() else { return (Vec::new(), 0.0, 0.0) };
                    let (rows, _, t) = self.run(&plan, cid, None, None);
                    before = t;
                    self.cte_rows.insert(k, rows);
                }
                let rows = self.cte_rows.get(&k).cloned().unwrap_or_default();
                let mut out = Vec::new();
                let mut read = 0usize;
                for br in &rows {
                    read += 1;
                    let mut row = param.cloned().unwrap_or_else(|| self.blank());
                    row[r] = br[body];
                    if self.passes(&p.filter, &row) {
                        out.push(row);
                        if want.is_some_and(|w| out.len() >= w) {
                            break;
                        }
                    } else {
                        self.stats[id].removed_by_filter += 1.0;
                    }
                }
                if first {
                    let Some((plan, cid)) = self.cte_plans.get(&k).cloned() else { return (Vec::new(), 0.0, 0.0) };
                    // Stopped early by the only scan of the CTE: its plan returned only these rows.
                    let readers = self.q.rels.iter().filter(|x| x.cte_scan == Some(k)).count();
                    if read < rows.len() && readers == 1 {
                        let own = self.stats[id].clone();
                        self.rewind(saved);
                        self.stats[id] = own;
                        before = self.run(&plan, cid, None, Some(read)).2;
                    }
                    // The CTE's buffers count in the scan that ran it.
                    let hits: f64 = self.stats[cid..cid + size(&plan)].iter().map(|s| s.shared_hit).sum();
                    self.stats[id].shared_hit += hits;
                }
                let per = ROW + crate::plan::qual_ops(&p.filter) * OPERATOR;
                (out, before + per, before + read as f64 * per)
            }
            Kind::Unique | Kind::HashAggregate if p.dedup => {
                // A semi join's inner side, or a UNION, made unique: the first row of each key.
                let saved = self.checkpoint();
                let (rows, s, mut t) = self.run(&p.children[0], id + 1, param, None);
                let mut seen = std::collections::BTreeSet::new();
                let mut out = Vec::new();
                let mut firsts = Vec::new();
                for (i, r) in rows.iter().enumerate() {
                    let k: Vec<i64> = p.keys.iter().map(|(o, _)| self.key_value(r, *o)).collect();
                    if seen.insert(k) {
                        out.push(r.clone());
                        firsts.push(i);
                    }
                }
                let mut n = rows.len() as f64;
                // A Unique streams: under a LIMIT it reads up to the last group's first row.
                if let Some(w) = want.filter(|&w| p.kind == Kind::Unique && w < out.len()) {
                    let read = firsts.get(w.wrapping_sub(1)).map_or(0, |i| i + 1);
                    self.rewind(saved);
                    t = self.run(&p.children[0], id + 1, param, Some(read)).2;
                    n = read as f64;
                }
                let own = n * if p.kind == Kind::HashAggregate { HASH_PROBE } else { COMPARE };
                if p.kind == Kind::HashAggregate {
                    let st = &mut self.stats[id];
                    st.batches = 1.0;
                    st.memory_kb = st.memory_kb.max(libm::ceil(out.len() as f64 * (p.width + 64.0) / 1024.0).max(24.0));
                }
                let first = if p.kind == Kind::Unique { s + COMPARE } else { t + own };
                if let Some(w) = want {
                    out.truncate(w);
                }
                (out, first, t + own)
            }
            Kind::Unique => {
                // SELECT DISTINCT over sorted rows: the first row of each group goes out as soon
                // as it is read, so under a LIMIT the input is read only to the last group's
                // first row.
                let saved = self.checkpoint();
                let (rows, s, t) = self.run(&p.children[0], id + 1, param, None);
                let mut seen = std::collections::BTreeSet::new();
                let firsts: Vec<usize> = rows.iter().enumerate().filter(|(_, r)| seen.insert(self.q.group_by.iter().map(|&c| self.value(r, c)).collect::<Vec<i64>>())).map(|(i, _)| i).collect();
                let mut out = self.aggregate(&rows);
                let mut read = rows.len();
                let mut t = t;
                if let Some(w) = want.filter(|&w| w < out.len()) {
                    out.truncate(w);
                    read = firsts.get(w.wrapping_sub(1)).map_or(0, |i| i + 1);
                    let own = self.stats[id].clone();
                    self.rewind(saved);
                    t = self.run(&p.children[0], id + 1, param, Some(read)).2;
                    self.stats[id] = own;
                }
                let own = read as f64 * COMPARE * self.q.group_by.len() as f64;
                (out, s + COMPARE, t + own)
            }
            Kind::Aggregate | Kind::HashAggregate | Kind::GroupAggregate if p.split == AggSplit::Partial => {
                // Each process aggregates its share of the rows: its groups are this node's
                // rows. The rows themselves go up unchanged, for the Finalize Aggregate to
                // compute the exact result from.
                let (rows, s, t) = self.run(&p.children[0], id + 1, param, None);
                let procs = self.procs(p.workers);
                let mut seen: std::collections::BTreeSet<(usize, Vec<i64>)> = std::collections::BTreeSet::new();
                let r0 = p.relids.trailing_zeros() as usize;
                let table = &self.db.tables[self.q.rels.get(r0).map_or(0, |r| r.table)];
                for r in &rows {
                    // A process reads runs of 64 pages at a time (the scan's chunks).
                    let page = if table.rows == 0 { 0 } else { (r.get(r0).copied().unwrap_or(0).max(0) as f64 * table.pages / table.rows as f64) as usize };
                    let k: Vec<i64> = self.q.group_by.iter().map(|&c| self.value(r, c)).collect();
                    seen.insert(((page / 64) % procs, k));
                }
                let groups = if self.q.group_by.is_empty() { procs } else { seen.len() };
                let n = rows.len() as f64;
                let own = n * (HASH_PROBE * if p.kind == Kind::HashAggregate { 1.0 } else { 0.2 } + self.q.aggs.len() as f64 * OPERATOR * 2.0);
                if p.kind == Kind::HashAggregate {
                    let st = &mut self.stats[id];
                    st.batches = 1.0;
                    st.memory_kb = st.memory_kb.max(libm::ceil((groups / procs) as f64 * (p.width + 64.0) / 1024.0).max(24.0));
                }
                self.carry = Some(groups);
                let first = if p.kind == Kind::GroupAggregate { s + own / groups.max(1) as f64 } else { t + own };
                (rows, first, t + own)
            }
            Kind::Aggregate | Kind::HashAggregate | Kind::GroupAggregate => {
                let (rows, s, t) = self.run(&p.children[0], id + 1, param, None);
                // (A Finalize Aggregate's input is the rows below its Partial Aggregates: it
                // combines as many rows as they returned.)
                let carried = self.carry.take();
                let mut out = self.aggregate(&rows);
                // HAVING: the groups whose aggregates pass (NULL never does).
                if !p.agg_filter.is_empty() {
                    let before = out.len();
                    let g = self.q.group_by.len();
                    out.retain(|r| p.agg_filter.iter().all(|&(k, op, v)| r[g + k] != NULL && op.holds(r[g + k], v)));
                    self.stats[id].removed_by_filter += (before - out.len()) as f64;
                }
                let n = carried.unwrap_or(rows.len()) as f64;
                let own = n * (HASH_PROBE * if p.kind == Kind::HashAggregate { 1.0 } else { 0.2 } + self.q.aggs.len() as f64 * OPERATOR * 2.0);
                if p.kind == Kind::HashAggregate {
                    let st = &mut self.stats[id];
                    st.batches = 1.0;
                    st.memory_kb = st.memory_kb.max(libm::ceil(out.len() as f64 * (p.width + 64.0) / 1024.0).max(24.0));
                }
                let first = if p.kind == Kind::GroupAggregate { s + own / out.len().max(1) as f64 } else { t + own };
                if let Some(w) = want {
                    out.truncate(w);
                }
                (out, first, t + own)
            }
            Kind::Append => {
                // Each input in turn, until the rows wanted are in.
                let mut out = Vec::new();
                let (mut first, mut total) = (None, 0.0);
                for k in 0..p.children.len() {
                    if want.is_some_and(|w| out.len() >= w) {
                        break;
                    }
                    let (rows, s, t) = self.run(&p.children[k], Self::child_id(p, id, k), param, want.map(|w| w - out.len()));
                    if first.is_none() && !rows.is_empty() {
                        first = Some(total + s);
                    }
                    total += t + rows.len() as f64 * NODE_CALL;
                    out.extend(rows);
                }
                (out, first.unwrap_or(total), total)
            }
            Kind::MergeAppend => {
                // Every input in its order, merged on the keys (ties to the earlier input). The
                // heap holds one row from each input: an input read up to its last row out, plus
                // the next one, except the input of the very last row (no call comes after it).
                let bound = self.bound.take();
                let saved = self.checkpoint();
                let mut merged: Vec<(usize, Row)> = Vec::new();
                let mut lens = Vec::new();
                for k in 0..p.children.len() {
                    let (rows, _, _) = self.run(&p.children[k], Self::child_id(p, id, k), param, None);
                    lens.push(rows.len());
                    merged.extend(rows.into_iter().map(|r| (k, r)));
                }
                let below = true;
                merged.sort_by(|(_, a), (_, b)| {
                    for (o, desc) in &p.keys {
                        let ord = nulls_last(self.sort_value(a, *o, below), self.sort_value(b, *o, below));
                        let ord = if *desc { ord.reverse() } else { ord };
                        if ord != std::cmp::Ordering::Equal {
                            return ord;
                        }
                    }
                    std::cmp::Ordering::Equal
                });
                let w = want.unwrap_or(merged.len()).min(merged.len());
                let (mut first, mut total) = (0.0, 0.0);
                self.rewind(saved);
                for (k, &len) in lens.iter().enumerate() {
                    let out = merged[..w].iter().filter(|(c, _)| *c == k).count();
                    let last = w > 0 && merged[w - 1].0 == k;
                    let fetch = if w == merged.len() { None } else { Some((out + 1 - usize::from(last)).min(len).max(1)) };
                    if p.children[k].kind == Kind::Sort {
                        self.bound = bound;
                    }
                    let (_, s, t) = self.run(&p.children[k], Self::child_id(p, id, k), param, fetch);
                    first += s;
                    total += t;
                }
                let n = (p.children.len() as f64).max(2.0);
                let own = w as f64 * COMPARE * libm::log2(n);
                let out: Vec<Row> = merged.into_iter().take(w).map(|(_, r)| r).collect();
                (out, first + COMPARE * n, total + own)
            }
            Kind::Gather | Kind::GatherMerge => {
                // The plan below runs in every process (the workers and the leader): a partial
                // node's rows are shared among them, so its rows stay and its loops multiply; a
                // whole plan under it (a Hash each process builds for itself) runs in each.
                // A LIMIT's bound reaches the Sort in every process (ExecSetTupleBound): each
                // returns up to that many of its share's rows.
                let bound = self.bound.take();
                let below_sort = p.children[0].kind == Kind::Sort;
                if below_sort {
                    self.bound = bound;
                }
                let (rows, s, t) = self.run(&p.children[0], id + 1, param, want);
                let procs = self.procs(p.workers) as f64;
                if let (true, Some(b)) = (below_sort, bound) {
                    let input = self.stats[id + 2].rows;
                    self.stats[id + 1].rows = libm::fmin(b as f64, libm::ceil(input / procs)) * procs;
                }
                let div = self.db.settings.parallel_divisor(p.workers);
                let mut nodes = Vec::new();
                p.children[0].walk(&mut nodes);
                // A Parallel Bitmap Heap Scan's bitmap is built once, by one process: the nodes
                // below it ran once. Its Heap Blocks are the leader's share of the pages only
                // (PostgreSQL 15 does not add up the workers'): dbsim shares them evenly.
                let mut once = vec![false; nodes.len()];
                for (k, n) in nodes.iter().enumerate().filter(|(_, n)| n.kind == Kind::BitmapHeapScan && n.parallel_aware) {
                    once[k + 1..k + size(n)].iter_mut().for_each(|o| *o = true);
                    let st = &mut self.stats[id + 1 + k];
                    st.heap_blocks = if self.db.settings.parallel_leader_participation { libm::rint(st.heap_blocks / procs) } else { 0.0 };
                }
                for (k, n) in nodes.iter().enumerate() {
                    let st = &mut self.stats[id + 1 + k];
                    st.workers = p.workers as f64;
                    if once[k] {
                        continue;
                    }
                    // A worker is a fresh process: its first use of an index reads the index's
                    // metapage, which the leader has cached.
                    if matches!(n.kind, Kind::IndexScan | Kind::IndexOnlyScan | Kind::BitmapIndexScan) && st.loops > 0.0 {
                        st.shared_hit += p.workers as f64;
                    }
                    if st.loops != 1.0 {
                        continue;
                    }
                    if n.workers == 0 {
                        st.rows *= procs;
                        st.shared_hit *= procs;
                        st.temp_read *= procs;
                        st.temp_written *= procs;
                        st.removed_by_filter *= procs;
                        st.startup_ms *= procs;
                        st.total_ms *= procs;
                    }
                    st.loops = procs;
                }
                let start = WORKER_START * p.workers as f64;
                // Each row passed up goes through a shared-memory queue.
                let pass = self.carry.unwrap_or(rows.len()) as f64 * NODE_CALL * 4.0;
                (rows, start + s / div, start + t / div + pass)
            }
            Kind::Result if !p.children.is_empty() && p.children.iter().all(|c| c.param_plan.is_some()) => {
                // min/max from indexes: each InitPlan reads its first row; one row comes out.
                // Their buffers are the Result's too.
                let mut t = 0.0;
                for k in 0..p.children.len() {
                    let cid = Self::child_id(p, id, k);
                    t += self.run(&p.children[k], cid, param, Some(1)).2;
                    let hits: f64 = self.stats[cid..cid + size(&p.children[k])].iter().map(|s| s.shared_hit).sum();
                    self.stats[id].shared_hit += hits;
                }
                (vec![self.blank()], t + NODE_CALL, t + NODE_CALL)
            }
            Kind::SubqueryScan | Kind::Result => {
                let (rows, s, t) = self.run(&p.children[0], id + 1, param, want);
                let own = rows.len() as f64 * NODE_CALL;
                (rows, s + NODE_CALL, t + own)
            }
            Kind::SetOp => {
                let Some(so) = p.set_op else { return (Vec::new(), 0.0, 0.0) };
                let saved = self.checkpoint();
                let (rows, s, mut t) = self.run(&p.children[0], id + 1, param, None);
                // Per distinct row (NULLs equal), its count on each side, in first-seen order.
                let mut seen: BTreeMap<Vec<i64>, usize> = BTreeMap::new();
                let mut groups: Vec<(usize, u64, u64)> = Vec::new();
                for (i, r) in rows.iter().enumerate() {
                    let key: Vec<i64> = (0..self.q.outputs.len()).map(|k| self.set_value(r, k)).collect();
                    let g = *seen.entry(key).or_insert_with(|| {
                        groups.push((i, 0, 0));
                        groups.len() - 1
                    });
                    let left = r.iter().enumerate().any(|(rel, &v)| v >= 0 && so.left & (1 << rel) != 0);
                    if left {
                        groups[g].1 += 1;
                        groups[g].0 = if groups[g].1 == 1 { i } else { groups[g].0 };
                    } else {
                        groups[g].2 += 1;
                    }
                }
                let mut out = Vec::new();
                // The group each output row closes (sorted input: a group ends at the next one's
                // first row).
                let mut closed_by = Vec::new();
                for (g, &(i, l, r)) in groups.iter().enumerate() {
                    let copies = match (so.cmd, so.all) {
                        (crate::sql::SetCmd::Intersect, false) => u64::from(l > 0 && r > 0),
                        (crate::sql::SetCmd::Intersect, true) => l.min(r),
                        (_, false) => u64::from(l > 0 && r == 0),
                        (_, true) => l.saturating_sub(r),
                    };
                    for _ in 0..copies {
                        out.push(rows[i].clone());
                        closed_by.push(g);
                    }
                }
                let mut n = rows.len() as f64;
                // A sorted SetOp streams: under a LIMIT it reads to the first row after its last
                // output group.
                if let Some(w) = want.filter(|&w| !so.hashed && w > 0 && w < out.len()) {
                    let next_group = closed_by[w - 1] + 1;
                    let starts: Vec<usize> = {
                        let mut v = Vec::new();
                        for (i, r) in rows.iter().enumerate() {
                            if i == 0 || (0..self.q.outputs.len()).any(|k| self.set_value(r, k) != self.set_value(&rows[i - 1], k)) {
                                v.push(i);
                            }
                        }
                        v
                    };
                    let read = starts.get(next_group).map_or(rows.len(), |i| i + 1);
                    self.rewind(saved);
                    t = self.run(&p.children[0], id + 1, param, Some(read)).2;
                    n = read as f64;
                }
                let own = n * if so.hashed { HASH_PROBE } else { COMPARE };
                if let Some(w) = want {
                    out.truncate(w);
                }
                let first = if so.hashed { t + own } else { s + COMPARE };
                (out, first, t + own)
            }
            Kind::Limit => {
                let n = self.q.limit.unwrap_or(u64::MAX).min(ROW_BUDGET as u64) as usize;
                let w = want.map_or(n, |w| w.min(n));
                // LIMIT 0 never runs its input.
                if w == 0 {
                    return (Vec::new(), 0.0, 0.0);
                }
                // A bound reaches a Sort right below, or below a Merge Append, Gather or Gather
                // Merge (ExecSetTupleBound).
                if matches!(p.children[0].kind, Kind::Sort | Kind::MergeAppend | Kind::Gather | Kind::GatherMerge) {
                    self.bound = Some(w);
                }
                let (mut rows, s, t) = self.run(&p.children[0], id + 1, param, Some(w));
                rows.truncate(w);
                (rows, s, t)
            }
        }
    }

    /// Runs InitPlan `k` (an aggregate over its relation) once and keeps its result; returns its
    /// time in µs.
    fn run_initplan(&mut self, k: usize, ip: &Plan, id: usize) -> f64 {
        let (rows, _, t) = self.run(&ip.children[0], id + 1, None, None);
        let agg = self.q.initplans[k].agg;
        let mut vals: Vec<i64> = match agg.arg {
            Some(c) => rows.iter().map(|r| self.value(r, c)).filter(|v| *v != NULL).collect(),
            None => vec![0; rows.len()],
        };
        if agg.distinct {
            vals.sort_unstable();
            vals.dedup();
        }
        let n = vals.len() as i128;
        let sum: i128 = vals.iter().map(|&v| i128::from(v)).sum();
        let value = match agg.func {
            AggFn::Count => Some((n, 1)),
            _ if n == 0 => None,
            AggFn::Sum => Some((sum, 1)),
            AggFn::Avg => Some((sum, n)),
            AggFn::Min => vals.iter().min().map(|&v| (i128::from(v), 1)),
            AggFn::Max => vals.iter().max().map(|&v| (i128::from(v), 1)),
        };
        self.params.insert(k, value);
        let own = rows.len() as f64 * micros::OPERATOR * 2.0;
        let st = &mut self.stats[id];
        st.loops += 1.0;
        st.rows += 1.0;
        st.startup_ms += (t + own) / 1000.0;
        st.total_ms += (t + own) / 1000.0;
        t + own
    }

    /// `emit_matches`, marking in `matched` (when it has room) each inner row that was output.
    #[allow(clippy::too_many_arguments)]
    fn emit_matches_marking(&mut self, p: &Plan, id: usize, o: &Row, ms: &[usize], inner: &[Row], out: &mut Vec<Row>, matched: &mut [bool]) -> bool {
        if matched.is_empty() {
            return self.emit_matches(p, id, o, ms, inner, out);
        }
        for &m in ms {
            let before = out.len();
            if !self.emit_matches(p, id, o, &[m], inner, out) {
                return false;
            }
            if out.len() > before {
                matched[m] = true;
            }
        }
        true
    }

    /// Joins outer row `o` with the inner rows `ms` that share its key, applying the join filter;
    /// false when the result outgrows the row budget (the error is then set).
    fn emit_matches(&mut self, p: &Plan, id: usize, o: &Row, ms: &[usize], inner: &[Row], out: &mut Vec<Row>) -> bool {
        for &m in ms {
            let row = merge_row(o, &inner[m]);
            if self.passes(&p.join_filter, &row) {
                out.push(row);
                if out.len() > ROW_BUDGET {
                    self.error = Some(format!("{} produces more than {ROW_BUDGET} rows: too large to execute in the simulator", p.kind.name()));
                    return false;
                }
            } else {
                self.stats[id].removed_by_join_filter += 1.0;
            }
        }
        true
    }

    /// Sorts rows on `keys` (NULLs last ascending, first descending), stably.
    fn sort_rows(&self, rows: &mut [Row], keys: &[(Output, bool)], below: bool) {
        rows.sort_by(|a, b| {
            for (o, desc) in keys {
                let ord = nulls_last(self.sort_value(a, *o, below), self.sort_value(b, *o, below));
                let ord = if *desc { ord.reverse() } else { ord };
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            std::cmp::Ordering::Equal
        });
    }

    fn is_below_agg(&self, p: &Plan) -> bool {
        let mut v = Vec::new();
        p.walk(&mut v);
        !v.iter().any(|n| matches!(n.kind, Kind::Aggregate | Kind::HashAggregate | Kind::GroupAggregate))
    }

    fn sort_value(&self, row: &Row, o: Output, below_agg: bool) -> i64 {
        if below_agg {
            match o {
                Output::Col(c) => self.value(row, c),
                Output::Agg(_) => 0,
                // A window function's value follows the row's relations.
                Output::Win(k) => row.get(self.q.rels.len() + k).copied().unwrap_or(NULL),
                Output::Set(k) => self.set_value(row, k),
            }
        } else {
            match o {
                Output::Col(c) => self.q.group_by.iter().position(|g| *g == c).map_or(NULL, |k| row[k]),
                Output::Agg(k) => row[self.q.group_by.len() + k],
                Output::Win(_) => NULL,
                Output::Set(k) => self.set_value(row, k),
            }
        }
    }

    /// Groups rows by the GROUP BY columns (in first-seen order) and computes the aggregates.
    fn aggregate(&self, rows: &[Row]) -> Vec<Row> {
        let mut groups: BTreeMap<Vec<i64>, usize> = BTreeMap::new();
        let mut acc: Vec<Group> = Vec::new();
        // The values each DISTINCT aggregate of each group has seen.
        let mut seen: std::collections::BTreeSet<(usize, usize, i64)> = std::collections::BTreeSet::new();
        for row in rows {
            let key: Vec<i64> = self.q.group_by.iter().map(|&c| self.value(row, c)).collect();
            let slot = *groups.entry(key.clone()).or_insert_with(|| {
                acc.push((key, vec![(0, 0); self.q.aggs.len()]));
                acc.len() - 1
            });
            for (k, a) in self.q.aggs.iter().enumerate() {
                let v = a.arg.map(|c| self.value(row, c));
                if a.distinct && v.is_some_and(|x| x != NULL && !seen.insert((slot, k, x))) {
                    continue;
                }
                let e = &mut acc[slot].1[k];
                match (a.func, v) {
                    (_, Some(NULL)) => {}
                    (AggFn::Count, _) => e.1 += 1,
                    (AggFn::Sum | AggFn::Avg, Some(x)) => {
                        e.0 = e.0.saturating_add(x);
                        e.1 += 1;
                    }
                    (AggFn::Min, Some(x)) => {
                        e.0 = if e.1 == 0 { x } else { e.0.min(x) };
                        e.1 += 1;
                    }
                    (AggFn::Max, Some(x)) => {
                        e.0 = if e.1 == 0 { x } else { e.0.max(x) };
                        e.1 += 1;
                    }
                    _ => {}
                }
            }
        }
        if acc.is_empty() && self.q.group_by.is_empty() {
            acc.push((Vec::new(), vec![(0, 0); self.q.aggs.len()]));
        }
        acc.into_iter()
            .map(|(mut key, vals)| {
                for (k, a) in self.q.aggs.iter().enumerate() {
                    let (sum, n) = vals[k];
                    key.push(match a.func {
                        AggFn::Count => n,
                        AggFn::Avg if n > 0 => sum / n,
                        _ if n == 0 => NULL,
                        _ => sum,
                    });
                }
                key
            })
            .collect()
    }

    /// What a rerun must start from: every node's figures, and which scans hold a pinned page.
    fn checkpoint(&self) -> Checkpoint {
        (self.stats.clone(), self.vm_pinned.clone(), self.subplan_sets.clone(), self.params.clone())
    }

    fn rewind(&mut self, (stats, pinned, sets, params): Checkpoint) {
        self.stats = stats;
        self.vm_pinned = pinned;
        self.subplan_sets = sets;
        self.params = params;
    }

    /// Table `ti`'s heap page of each row, as `heap_insert` packed them (empty when the lesson
    /// states a size the packing does not give).
    fn heap(&mut self, ti: usize) -> std::rc::Rc<Vec<u32>> {
        let t = &self.db.tables[ti];
        self.heaps
            .entry(ti)
            .or_insert_with(|| {
                let map = sim_catalog::heap_page_of((0..t.rows).map(|r| sim_catalog::heap_tuple_bytes(&t.columns, t.data.iter().map(|c| c[r]))));
                let packed = map.last().map_or(0.0, |&p| f64::from(p) + 1.0);
                std::rc::Rc::new(if packed == t.pages { map } else { Vec::new() })
            })
            .clone()
    }

    /// The rows an index scan returns, in its order, each with the index pages it reads before
    /// returning it (the descent, then each new leaf as the scan steps along), the pages read
    /// after the last row (descents that found nothing), and the number of descents.
    fn index_lookup(&mut self, p: &Plan, param: Option<&Row>) -> (Vec<u32>, Vec<f64>, f64, f64) {
        let ix = p.index.unwrap_or(0);
        let idx = self.db.indexes[ix].clone();
        let r = p.rel.unwrap_or(0);
        let t = &self.db.tables[self.q.rels[r].table];
        let db = self.db;
        self.indexes.entry(ix).or_insert_with(|| {
            let table = &db.tables[idx.table];
            let mut entries: Vec<(Vec<i64>, u32)> = (0..t.rows).map(|i| (idx.columns.iter().map(|&c| table.data[c][i]).collect(), i as u32)).collect();
            // B-tree order: NULLs last.
            entries.sort_by(|a, b| a.0.iter().zip(&b.0).map(|(x, y)| nulls_last(*x, *y)).find(|o| o.is_ne()).unwrap_or(a.1.cmp(&b.1)));
            // Equal keys share a rank (and a posting list), as the index was sized.
            let mut ranks = Vec::with_capacity(entries.len());
            for (i, e) in entries.iter().enumerate() {
                let same = i > 0 && entries[i - 1].0 == e.0;
                ranks.push(if i == 0 { 0 } else { ranks[i - 1] + i64::from(!same) });
            }
            let leaves = sim_catalog::btree_leaves(&ranks, crate::db::key_bytes(table, &idx.columns), idx.unique);
            (entries, leaves)
        });
        // Resolve parameters into constants, then bound the leading column.
        let lead = (r, idx.columns[0]);
        let mut quals: Vec<Qual> = Vec::new();
        for q in &p.index_cond {
            match q {
                Qual::ColCmp { l, op, r: o } if l.0 == r => {
                    let v = param.map_or(NULL, |row| self.value(row, *o));
                    quals.push(Qual::Cmp { c: *l, op: *op, v });
                }
                other => quals.push(other.clone()),
            }
        }
        let (entries, leaf_of) = &self.indexes[&ix];
        // Pages from the root down to the level above the leaves; the leaf is counted as reached.
        let inner = f64::from(idx.tree_height);
        let mut pending = 0.0;
        let mut costs = Vec::new();
        let mut ranges: Vec<(i64, i64)> = vec![(i64::MIN + 1, i64::MAX)];
        let mut is_null = false;
        for q in &quals {
            match q {
                Qual::Cmp { c, op, v } if *c == lead => {
                    if *v == NULL {
                        return (Vec::new(), Vec::new(), 0.0, 0.0); // `= NULL` matches nothing: no descent at all
                    }
                    for rg in ranges.iter_mut() {
                        match op {
                            CmpOp::Eq => *rg = (rg.0.max(*v), rg.1.min(*v)),
                            CmpOp::Lt => rg.1 = rg.1.min(v.saturating_sub(1)),
                            CmpOp::Le => rg.1 = rg.1.min(*v),
                            CmpOp::Gt => rg.0 = rg.0.max(v.saturating_add(1)),
                            CmpOp::Ge => rg.0 = rg.0.max(*v),
                            CmpOp::Ne => {}
                        }
                    }
                }
                Qual::In { c, vals } if *c == lead => {
                    let mut vs: Vec<i64> = vals.iter().copied().filter(|v| *v != NULL).collect();
                    vs.sort_unstable();
                    vs.dedup();
                    let base = ranges[0];
                    ranges = vs.into_iter().filter(|v| *v >= base.0 && *v <= base.1).map(|v| (v, v)).collect();
                }
                Qual::IsNull { c, not: false } if *c == lead => is_null = true,
                _ => {}
            }
        }
        let mut out = Vec::new();
        let descents = ranges.len().max(1) as f64;
        if ranges.is_empty() {
            pending += inner + 1.0;
        }
        let spans: Vec<(usize, usize)> = ranges
            .into_iter()
            .filter(|(lo, hi)| is_null || lo <= hi)
            .map(|(lo, hi)| {
                if is_null {
                    (entries.partition_point(|e| e.0[0] != NULL), entries.len())
                } else {
                    (entries.partition_point(|e| e.0[0] != NULL && e.0[0] < lo), entries.partition_point(|e| e.0[0] != NULL && e.0[0] <= hi))
                }
            })
            .collect();
        let row_ok = |e: &(Vec<i64>, u32)| {
            quals.iter().all(|q| match q {
                Qual::Cmp { c, op, v } => {
                    let k = idx.columns.iter().position(|&x| x == c.1).unwrap_or(0);
                    e.0[k] != NULL && *v != NULL && op.holds(e.0[k], *v)
                }
                Qual::In { c, vals } => {
                    let k = idx.columns.iter().position(|&x| x == c.1).unwrap_or(0);
                    vals.contains(&e.0[k])
                }
                Qual::IsNull { c, not } => {
                    let k = idx.columns.iter().position(|&x| x == c.1).unwrap_or(0);
                    (e.0[k] == NULL) != *not
                }
                _ => true,
            })
        };
        // A backward scan takes the ranges, and each range's entries, from the other end.
        let order: Vec<(usize, usize)> = if p.backward { spans.into_iter().rev().collect() } else { spans };
        for (start, end) in order {
            // One descent per range, to the leaf where the scan begins; then a page per leaf it
            // steps onto.
            pending += inner + 1.0;
            let mut leaf = None;
            let mut visit = |j: usize| {
                if leaf.is_some_and(|l| l != leaf_of[j]) {
                    pending += 1.0;
                }
                leaf = Some(leaf_of[j]);
                if row_ok(&entries[j]) {
                    out.push(entries[j].1);
                    costs.push(std::mem::take(&mut pending));
                }
            };
            if p.backward {
                (start..end).rev().for_each(&mut visit);
            } else {
                (start..end).for_each(&mut visit);
            }
        }
        (out, costs, pending, descents)
    }

    fn nestloop(&mut self, p: &Plan, id: usize, param: Option<&Row>, want: Option<usize>) -> (Vec<Row>, f64, f64) {
        let inner_plan = p.children[1].clone();
        let iid = Self::child_id(p, id, 1);
        let parameterised = inner_plan.param_rels != 0;
        // Run the outer side fully first; if the parent stops early, run it again for the rows read.
        let saved = self.checkpoint();
        let (outer, os, ot) = self.run(&p.children[0], id + 1, param, None);
        let mut out: Vec<Row> = Vec::new();
        let mut inner_time = 0.0;
        let mut pairs = 0.0;
        let mut consumed = 0usize;
        let mut first = None;
        let mut memo: BTreeMap<Vec<i64>, Vec<Row>> = BTreeMap::new();
        let mut plain_inner: Option<Vec<Row>> = None;
        let mut once: Vec<NodeStats> = Vec::new();
        for o in &outer {
            consumed += 1;
            let inner_rows: Vec<Row> = if inner_plan.kind == Kind::Memoize {
                let key: Vec<i64> = inner_plan.keys.iter().map(|(k, _)| if let Output::Col(c) = k { self.value(o, *c) } else { NULL }).collect();
                let st = &mut self.stats[iid];
                st.loops += 1.0;
                if let Some(hit) = memo.get(&key) {
                    st.cache_hits += 1.0;
                    st.rows += hit.len() as f64;
                    inner_time += micros::HASH_PROBE;
                    st.total_ms += micros::HASH_PROBE / 1000.0;
                    hit.iter().map(|r| merge_row(o, r)).collect()
                } else {
                    st.cache_misses += 1.0;
                    let (rows, _, t) = self.run(&inner_plan.children[0], iid + 1, Some(o), None);
                    let st = &mut self.stats[iid];
                    st.rows += rows.len() as f64;
                    st.total_ms += (t + micros::HASH_INSERT) / 1000.0;
                    st.startup_ms += (t + micros::HASH_INSERT) / 1000.0;
                    st.memory_kb = libm::ceil((memo.len() + 1) as f64 * (inner_plan.width + 80.0) / 1024.0).max(1.0);
                    inner_time += t + micros::HASH_INSERT;
                    memo.insert(key, rows.clone());
                    rows
                }
            } else if parameterised {
                // An anti join moves to the next outer row at its first match.
                let first_only = (matches!(p.join_type, JoinType::Semi | JoinType::Anti) && p.join_filter.is_empty()).then_some(1);
                let (rows, _, t) = self.run(&inner_plan, iid, Some(o), first_only);
                inner_time += t;
                rows
            } else {
                // A plain inner returns the same rows each loop: run it once, then count each
                // further loop as that run again (a Materialize node replays from its store).
                if plain_inner.is_none() {
                    let before: Vec<NodeStats> = self.stats[iid..iid + size(&inner_plan)].to_vec();
                    let (rows, _, t) = self.run(&inner_plan, iid, None, None);
                    inner_time += t;
                    plain_inner = Some(rows);
                    once = self.stats[iid..iid + size(&inner_plan)].iter().zip(&before).map(|(a, b)| a.minus(b)).collect();
                } else if inner_plan.kind == Kind::Materialize {
                    let st = &mut self.stats[iid];
                    let n = plain_inner.as_ref().map_or(0, |r| r.len()) as f64;
                    let rescan = n * micros::NODE_CALL / 1000.0;
                    st.loops += 1.0;
                    st.rows += n;
                    st.total_ms += rescan;
                    st.startup_ms += micros::NODE_CALL / 1000.0;
                    inner_time += rescan * 1000.0;
                } else {
                    for (k, d) in once.iter().enumerate() {
                        self.stats[iid + k].add(d);
                    }
                    inner_time += once.first().map_or(0.0, |d| d.total_ms * 1000.0);
                }
                plain_inner.clone().unwrap_or_default()
            };
            pairs += inner_rows.len() as f64;
            if pairs > PAIR_BUDGET && !parameterised && inner_plan.kind != Kind::Memoize {
                // Too many pairs to compare one by one: finish with a hash on the equality filter.
                return self.nestloop_hashed(p, id, &outer, plain_inner.unwrap_or_default(), want, (os, ot, inner_time));
            }
            let before = out.len();
            for ir in inner_rows {
                let row = merge_row(o, &ir);
                if self.passes(&p.join_filter, &row) {
                    out.push(row);
                    if out.len() > ROW_BUDGET {
                        self.error = Some(format!("{} produces more than {ROW_BUDGET} rows: too large to execute in the simulator", p.kind.name()));
                        return (Vec::new(), 0.0, 0.0);
                    }
                } else {
                    self.stats[id].removed_by_join_filter += 1.0;
                }
            }
            keep_unmatched(p.join_type, o, before, &mut out);
            if first.is_none() && !out.is_empty() {
                first = Some(os + inner_time);
            }
            if want.is_some_and(|w| out.len() >= w) {
                out.truncate(want.unwrap_or(0));
                break;
            }
        }
        if consumed < outer.len() {
            // Stopped early: the outer side only produced what was read.
            let inner_stats: Vec<NodeStats> = self.stats[iid..iid + size(&inner_plan)].to_vec();
            let own = self.stats[id].clone();
            self.rewind(saved);
            self.run(&p.children[0], id + 1, param, Some(consumed));
            self.stats[iid..iid + size(&inner_plan)].clone_from_slice(&inner_stats);
            self.stats[id] = own;
        }
        let own = pairs * (micros::NODE_CALL + crate::plan::qual_ops(&p.join_filter) * micros::OPERATOR);
        let outer_time = if consumed < outer.len() { ot * consumed as f64 / outer.len() as f64 } else { ot };
        let total = outer_time + inner_time + own;
        (out, first.unwrap_or(total).min(total), total)
    }

    fn nestloop_hashed(&mut self, p: &Plan, id: usize, outer: &[Row], inner: Vec<Row>, want: Option<usize>, times: (f64, f64, f64)) -> (Vec<Row>, f64, f64) {
        let eq: Vec<(ColRef, ColRef)> = p.join_filter.iter().filter_map(|q| q.equijoin()).collect();
        if eq.is_empty() {
            self.error = Some(format!("Nested Loop compares more than {PAIR_BUDGET} row pairs without an equality: too large to execute in the simulator"));
            return (Vec::new(), 0.0, 0.0);
        }
        let inner_rel = p.children[1].relids;
        let side = |(a, b): (ColRef, ColRef)| if inner_rel & (1 << a.0) != 0 { (b, a) } else { (a, b) };
        let keys: Vec<(ColRef, ColRef)> = eq.into_iter().map(side).collect();
        let mut table: BTreeMap<Vec<i64>, Vec<usize>> = BTreeMap::new();
        for (i, r) in inner.iter().enumerate() {
            table.entry(keys.iter().map(|k| self.value(r, k.1)).collect()).or_default().push(i);
        }
        let loops = outer.len() as f64;
        let iid = Self::child_id(p, id, 1);
        let per_loop_rows = inner.len() as f64;
        let per_loop_ms = self.stats[iid].total_ms / self.stats[iid].loops.max(1.0);
        // Every node of the inner side ran once per outer row: scale what the loops so far did.
        let f = loops / self.stats[iid].loops.max(1.0);
        for st in &mut self.stats[iid..iid + size(&p.children[1])] {
            let one = st.minus(&NodeStats::default());
            *st = NodeStats { sort_method: st.sort_method, buckets: st.buckets, batches: st.batches, memory_kb: st.memory_kb, ..NodeStats::default() };
            st.add(&one.scaled(f));
        }
        let mut out = Vec::new();
        for o in outer {
            let k: Vec<i64> = keys.iter().map(|k| self.value(o, k.0)).collect();
            // (rows removed by the join filter are set from the pair count below)
            let before = out.len();
            if let Some(ms) = table.get(&k) {
                if !self.emit_matches(p, id, o, ms, &inner, &mut out) {
                    return (Vec::new(), 0.0, 0.0);
                }
            }
            keep_unmatched(p.join_type, o, before, &mut out);
            if want.is_some_and(|w| out.len() >= w) {
                break;
            }
        }
        let pairs = loops * per_loop_rows;
        self.stats[id].removed_by_join_filter = pairs - out.len() as f64;
        let total = times.1 + per_loop_ms * 1000.0 * loops + pairs * (micros::NODE_CALL + micros::OPERATOR);
        (out, times.0, total)
    }

    fn hashjoin(&mut self, p: &Plan, id: usize, param: Option<&Row>, want: Option<usize>) -> (Vec<Row>, f64, f64) {
        let hid = Self::child_id(p, id, 1);
        let (inner, _, ht) = self.run(&p.children[1], hid, param, None);
        let keys: Vec<(ColRef, ColRef)> = p.join_cond.iter().filter_map(|q| if let Qual::ColCmp { l, r, .. } = q { Some((*l, *r)) } else { None }).collect();
        let mut table: BTreeMap<Vec<i64>, Vec<usize>> = BTreeMap::new();
        for (i, r) in inner.iter().enumerate() {
            let k: Vec<i64> = keys.iter().map(|k| self.value(r, k.1)).collect();
            if k.contains(&NULL) {
                continue;
            }
            table.entry(k).or_default().push(i);
        }
        // A row with a NULL key matches nothing: the Hash node leaves it out (and does not count
        // it) unless a Right join must return it.
        let kept = if matches!(p.join_type, JoinType::Right | JoinType::Full) { inner.len() } else { table.values().map(Vec::len).sum() };
        self.stats[hid].rows -= (inner.len() - kept) as f64;
        // Buckets and batches as the executor sizes them for the rows it actually got.
        let width = p.children[1].width;
        let (est_b, est_batches) = p.children[1].hash.unwrap_or((1024.0, 1.0));
        // A Parallel Hash pools the memory of the processes that build it.
        let pooled = if p.children[1].parallel_aware { self.procs(p.workers) as f64 } else { 1.0 };
        let (mut act_b, mut act_batches) = crate::cost::hash_table_size_in(kept as f64, width, self.db.settings.hash_mem_bytes() * pooled);
        if act_batches > 1.0 && pooled > 1.0 {
            (act_b, act_batches) = crate::cost::hash_table_size(&self.db.settings, kept as f64, width);
        }
        let batches = act_batches.max(est_batches);
        let buckets = if batches > 1.0 { est_b.max(act_b) } else { act_b.max(est_b) };
        // Each tuple: its HashJoinTuple header (16 bytes) and a minimal tuple, whose length is
        // its 16-byte header and the data, not padded (PostgreSQL's spaceUsed).
        let tup = 16.0 + 16.0 + width;
        let mem = libm::ceil(kept as f64 * tup / batches / 1024.0 + buckets * 8.0 / 1024.0).max(9.0);
        {
            let st = &mut self.stats[hid];
            st.buckets = buckets;
            st.batches = batches;
            st.memory_kb = st.memory_kb.max(mem);
        }
        // A batch file holds each tuple as its hash value and a minimal tuple; batch 0 stays in
        // memory. The Hash node writes the inner batches.
        let spilled = |rows: usize, width: f64| if batches > 1.0 { (batches - 1.0) * libm::ceil(rows as f64 / batches * (4.0 + 16.0 + maxalign(width as usize) as f64) / 8192.0) } else { 0.0 };
        let inner_spill = spilled(kept, width);
        self.stats[hid].temp_written += inner_spill;
        let build = ht;
        if inner.is_empty() && !matches!(p.join_type, JoinType::Left | JoinType::Anti | JoinType::Full) {
            // PostgreSQL skips the outer side when the hash is empty (and no outer row is kept).
            return (Vec::new(), build, build);
        }
        let mut matched = vec![false; if matches!(p.join_type, JoinType::Right | JoinType::Full) { inner.len() } else { 0 }];
        let mut out = Vec::new();
        let mut probed = 0usize;
        let outer_plan = p.children[0].clone();
        let saved = self.checkpoint();
        let (outer, os, ot) = self.run(&outer_plan, id + 1, param, None);
        for o in &outer {
            probed += 1;
            let k: Vec<i64> = keys.iter().map(|k| self.value(o, k.0)).collect();
            let before = out.len();
            if let Some(ms) = table.get(&k) {
                if !self.emit_matches_marking(p, id, o, ms, &inner, &mut out, &mut matched) {
                    return (Vec::new(), 0.0, 0.0);
                }
            }
            keep_unmatched(p.join_type, o, before, &mut out);
            if want.is_some_and(|w| out.len() >= w) {
                out.truncate(want.unwrap_or(0));
                break;
            }
        }
        // A Right join then returns the hashed rows no outer row matched, null-extended.
        if probed == outer.len() && matches!(p.join_type, JoinType::Right | JoinType::Full) {
            out.extend(inner.iter().zip(&matched).filter(|(_, m)| !**m).map(|(r, _)| r.clone()));
            if let Some(w) = want {
                out.truncate(w);
            }
        }
        if probed < outer.len() {
            let mine: Vec<NodeStats> = self.stats[hid..hid + size(&p.children[1])].to_vec();
            let own = self.stats[id].clone();
            self.rewind(saved);
            self.run(&outer_plan, id + 1, param, Some(probed));
            self.stats[hid..hid + size(&p.children[1])].clone_from_slice(&mine);
            self.stats[id] = own;
        }
        // The join writes the outer batches, then reads back both sides' batch by batch.
        let outer_spill = spilled(outer.len(), outer_plan.width);
        self.stats[id].temp_written += outer_spill;
        self.stats[id].temp_read += inner_spill + outer_spill;
        let spill = 2.0 * (inner_spill + outer_spill) * micros::SPILL_PAGE;
        let own = probed as f64 * micros::HASH_PROBE + out.len() as f64 * micros::NODE_CALL + spill;
        let outer_t = ot * probed as f64 / outer.len().max(1) as f64;
        let total = build + outer_t + own;
        let first = if out.is_empty() { total } else { build + os + micros::HASH_PROBE };
        (out, first, total)
    }

    fn mergejoin(&mut self, p: &Plan, id: usize, param: Option<&Row>, want: Option<usize>) -> (Vec<Row>, f64, f64) {
        let keys: Vec<(ColRef, ColRef)> = p.join_cond.iter().filter_map(|q| if let Qual::ColCmp { l, r, .. } = q { Some((*l, *r)) } else { None }).collect();
        let iid = Self::child_id(p, id, 1);
        let saved = self.checkpoint();
        let (inner, is0, it0) = self.run(&p.children[1], iid, param, None);
        let (outer, os0, ot0) = self.run(&p.children[0], id + 1, param, None);
        let mut groups: BTreeMap<Vec<i64>, Vec<usize>> = BTreeMap::new();
        for (i, r) in inner.iter().enumerate() {
            let k: Vec<i64> = keys.iter().map(|k| self.value(r, k.1)).collect();
            if !k.contains(&NULL) {
                groups.entry(k).or_default().push(i);
            }
        }
        let mut out = Vec::new();
        let mut outer_used = outer.len();
        let mut stopped_inner: Option<usize> = None;
        let mut matched = vec![false; if matches!(p.join_type, JoinType::Right | JoinType::Full) { inner.len() } else { 0 }];
        for (n, o) in outer.iter().enumerate() {
            let k: Vec<i64> = keys.iter().map(|k| self.value(o, k.0)).collect();
            let before = out.len();
            if let Some(ms) = groups.get(&k) {
                if !self.emit_matches_marking(p, id, o, ms, &inner, &mut out, &mut matched) {
                    return (Vec::new(), 0.0, 0.0);
                }
            }
            keep_unmatched(p.join_type, o, before, &mut out);
            if want.is_some_and(|w| out.len() >= w) {
                out.truncate(want.unwrap_or(0));
                outer_used = n + 1;
                // The inner side was read up to this key, and into its group: to the first match
                // (a semi or anti join) or as far as the rows output from it.
                let into = if matches!(p.join_type, JoinType::Semi | JoinType::Anti) { 1 } else { out.len().saturating_sub(before).max(1) };
                stopped_inner = Some(inner.iter().filter(|r| self.value(r, keys.first().map_or((0, 0), |k| k.1)) < k.first().copied().unwrap_or(NULL)).count() + into);
                break;
            }
        }
        if outer_used == outer.len() && matches!(p.join_type, JoinType::Right | JoinType::Full) {
            out.extend(inner.iter().zip(&matched).filter(|(_, m)| !**m).map(|(r, _)| r.clone()));
            if let Some(w) = want {
                out.truncate(w);
            }
        }

        // The merge stops when one side runs out: the other is read only up to its first row
        // past that side's last key.
        let key_of = |me: &Self, r: &Row, c: ColRef| me.value(r, c);
        let (k0o, k0i) = keys.first().copied().unwrap_or(((0, 0), (0, 0)));
        let omax = outer.iter().map(|r| key_of(self, r, k0o)).filter(|v| *v != NULL).max();
        let imax = inner.iter().map(|r| key_of(self, r, k0i)).filter(|v| *v != NULL).max();
        let mut inner_used = stopped_inner.unwrap_or(inner.len()).min(inner.len());
        // An outer join reads its preserved input to its end.
        match (omax, imax) {
            (Some(om), Some(im)) if om > im && !matches!(p.join_type, JoinType::Left | JoinType::Anti | JoinType::Full) => {
                let upto = outer.iter().filter(|r| key_of(self, r, k0o) != NULL && key_of(self, r, k0o) <= im).count();
                outer_used = outer_used.min((upto + 1).min(outer.len()));
            }
            (Some(om), Some(im)) if im > om && outer_used == outer.len() && !matches!(p.join_type, JoinType::Right | JoinType::Full) => {
                // A semi or anti join leaves the last outer key's group at its first row (one
                // match is enough); other joins read the whole group, then the first row past it.
                let single = matches!(p.join_type, JoinType::Semi | JoinType::Anti);
                let upto = inner.iter().filter(|r| key_of(self, r, k0i) != NULL && (key_of(self, r, k0i) < om || (!single && key_of(self, r, k0i) == om))).count();
                inner_used = (upto + 1).min(inner.len());
            }
            _ => {}
        }
        let join_stats = self.stats[id].clone();
        let (is, it, os, ot);
        if outer_used < outer.len() || inner_used < inner.len() {
            self.rewind(saved);
            let r = self.run(&p.children[1], iid, param, (inner_used < inner.len()).then_some(inner_used));
            (is, it) = (r.1, r.2);
            let r = self.run(&p.children[0], id + 1, param, (outer_used < outer.len()).then_some(outer_used));
            (os, ot) = (r.1, r.2);
            self.stats[id] = join_stats;
        } else {
            (is, it, os, ot) = (is0, it0, os0, ot0);
        }
        // Mark and restore: an outer row with the same key as the one before it goes back to the
        // start of the inner group, whose first row was kept, and reads the rest of the group and
        // the row past it again (a semi or anti join stops at the first match; a unique inner
        // has no group to read again).
        let mut reread = 0usize;
        if !matches!(p.join_type, JoinType::Semi | JoinType::Anti) && groups.values().any(|g| g.len() > 1) {
            let key = |r: &Row| keys.iter().map(|k| self.value(r, k.0)).collect::<Vec<i64>>();
            for n in 1..outer_used.min(outer.len()) {
                let k = key(&outer[n]);
                if k == key(&outer[n - 1]) {
                    if let Some(g) = groups.get(&k) {
                        let past = g.last().is_some_and(|&last| last + 1 < inner_used);
                        reread += g.len() - 1 + usize::from(past);
                    }
                }
            }
            self.stats[iid].rows += reread as f64;
        }
        let own = (outer_used + inner_used + reread) as f64 * micros::COMPARE + out.len() as f64 * micros::NODE_CALL;
        let total = ot + it + own;
        let first = if out.is_empty() { total } else { os + is + micros::COMPARE };
        (out, first, total)
    }
}

/// After outer row `o`'s matches (from `before` in `out`): a LEFT JOIN keeps an outer row that
/// found none, null-extended; a semi join keeps a matched outer row once; an anti join keeps only
/// the rows without a match, and none of the matches.
fn keep_unmatched(jt: JoinType, o: &Row, before: usize, out: &mut Vec<Row>) {
    let matched = out.len() > before;
    match jt {
        JoinType::Left | JoinType::Full if !matched => out.push(o.clone()),
        JoinType::Semi => {
            out.truncate(before);
            if matched {
                out.push(o.clone());
            }
        }
        JoinType::Anti => {
            out.truncate(before);
            if !matched {
                out.push(o.clone());
            }
        }
        _ => {}
    }
}

/// A joined row: the outer row's relations plus the inner row's.
fn merge_row(o: &Row, i: &Row) -> Row {
    o.iter().zip(i).map(|(a, b)| if *a >= 0 { *a } else { *b }).collect()
}

/// Row `r`'s heap page: as the table was packed, or spread evenly when its size is stated.
fn page_of(heap: &[u32], r: usize, rows: usize, pages: f64) -> u64 {
    match heap.get(r) {
        Some(&p) => u64::from(p),
        None if rows == 0 => 0,
        None => (r as f64 * pages / rows as f64) as u64,
    }
}

/// Value order with NULL after everything (B-tree and ORDER BY ASC order).
fn nulls_last(x: i64, y: i64) -> std::cmp::Ordering {
    match (x == NULL, y == NULL) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ => x.cmp(&y),
    }
}
