//! Parallel query as PostgreSQL 15 plans it: partial paths (a Parallel Seq Scan's processes
//! each read a share of the pages), Gather and Gather Merge above them
//! (`generate_useful_gather_paths`), and aggregation split into a Partial Aggregate in each
//! process and a Finalize Aggregate above the Gather (`create_partial_grouping_paths`).
use super::{cheapest, qual_ops, AggSplit, JoinRel, JoinType, Kind, PathKey, Planner, Uniq};
use crate::bind::Output;
use crate::cost;
use crate::plan::Plan;
use crate::selfuncs::clamp_row_est;
use crate::sql::AggFn;
use std::rc::Rc;

impl Planner<'_> {
    /// Whether the query may have workers: parallel-safe throughout. A hashed SubPlan, a CTE
    /// Scan, an InitPlan's parameter and a set operation keep it in one process here.
    fn parallel_safe(&self) -> bool {
        let q = self.q;
        self.s.max_parallel_workers_per_gather > 0 && q.subplans.is_empty() && q.ctes.is_empty() && q.initplans.is_empty() && q.set_op.is_none()
    }

    /// A base relation's partial paths: a Parallel Seq Scan when the table is large enough for a
    /// worker (`create_plain_partial_paths`). Its CPU is shared by the processes; its pages are
    /// not (cost_seqscan), and its rows are one process's share.
    pub(super) fn partial_paths(&self, r: usize) -> Vec<Rc<Plan>> {
        if !self.parallel_safe() || self.q.rels[r].cte_scan.is_some() {
            return Vec::new();
        }
        let t = &self.db.tables[self.q.rels[r].table];
        // The relation's regular paths, which its partial index and bitmap paths are made from.
        let regular = self.base_paths_all(r);
        let mut out = self.partial_index_paths(r, &regular);
        out.extend(self.partial_bitmap_path(r, &regular));
        let workers = self.s.parallel_workers(Some(t.pages), None);
        if workers == 0 {
            return out;
        }
        let restrict = self.restrict(r);
        let c = cost::seqscan(self.s, t.pages, t.tuples, qual_ops(&restrict));
        let div = self.s.parallel_divisor(workers);
        let disk = self.s.seq_page_cost * t.pages;
        let cpu = c.total - c.startup - disk;
        let mut p = self.scan_base(Kind::SeqScan, r);
        p.startup = c.startup;
        p.total = c.startup + disk + cpu / div;
        p.rows = clamp_row_est(self.base_rows[r] / div);
        p.workers = workers;
        p.parallel_aware = true;
        p.filter = restrict;
        p.notes.push(format!("disk: {} pages × seq_page_cost = {disk:.2}, read once whatever the processes", t.pages));
        p.notes.push(format!("cpu: {cpu:.2} shared by {workers} workers and the leader: ÷ {div} (get_parallel_divisor) = {:.2}; rows per process {} ÷ {div}", cpu / div, self.base_rows[r]));
        out.push(Rc::new(p));
        out
    }

    /// A Parallel Bitmap Heap Scan (`create_partial_bitmap_paths`): one process builds the
    /// bitmap of the cheapest bitmap index path (`choose_bitmap_and` with one index each), then
    /// the processes share its heap pages. Workers come from the heap pages it fetches; the rows'
    /// CPU is divided among the processes, the index and the pages are not
    /// (`cost_bitmap_heap_scan`).
    fn partial_bitmap_path(&self, r: usize, regular: &[Rc<Plan>]) -> Option<Rc<Plan>> {
        let s = self.s;
        let best = regular.iter().filter(|p| p.kind == Kind::BitmapHeapScan).min_by(|a, b| a.total.total_cmp(&b.total))?;
        let ix = best.children.first()?.index?;
        let restrict = self.restrict(r);
        let m = self.match_index(&self.db.indexes[ix], r, &restrict, &[]);
        let input = self.index_input(ix, r, &m, 1.0);
        let (pages, tuples) = cost::bitmap_pages(s, &cost::btcost(s, &input), &input);
        let workers = s.parallel_workers(Some(pages), None);
        if workers == 0 {
            return None;
        }
        let div = s.parallel_divisor(workers);
        let cpu = (s.cpu_tuple_cost + qual_ops(&restrict) * s.cpu_operator_cost) * tuples;
        let mut q = Plan::clone(best);
        q.total = best.total - cpu + cpu / div;
        q.rows = clamp_row_est(self.base_rows[r] / div);
        q.workers = workers;
        q.parallel_aware = true;
        q.notes.push(format!("{pages} heap pages give {workers} workers; cpu for {tuples} rows {cpu:.2} shared: ÷ {div} = {:.2}; the bitmap and the heap I/O not", cpu / div));
        Some(Rc::new(q))
    }

    /// Parallel Index Scans and Index Only Scans (build_index_paths' partial paths): the
    /// processes share the index's leaf pages; the heap rows' CPU is divided among them, the
    /// index's cost and the heap's I/O are not (cost_index). Workers come from the index pages
    /// read and, for an Index Scan, the heap pages it would fetch at random.
    fn partial_index_paths(&self, r: usize, regular: &[Rc<Plan>]) -> Vec<Rc<Plan>> {
        let s = self.s;
        let mut out = Vec::new();
        let restrict = self.restrict(r);
        for p in regular.iter().filter(|p| matches!(p.kind, Kind::IndexScan | Kind::IndexOnlyScan)) {
            let Some(ix) = p.index else { continue };
            let m = self.match_index(&self.db.indexes[ix], r, &restrict, &[]);
            let input = self.index_input(ix, r, &m, 1.0);
            let ic = cost::btcost(s, &input);
            let tuples = clamp_row_est(ic.selectivity * input.rel_tuples);
            let heap = (p.kind == Kind::IndexScan).then(|| cost::index_pages_fetched(s, tuples, input.rel_pages, input.index_pages, input.total_table_pages));
            let workers = s.parallel_workers(heap, Some(ic.pages));
            if workers == 0 {
                continue;
            }
            let div = s.parallel_divisor(workers);
            let cpu = (s.cpu_tuple_cost + qual_ops(&p.filter) * s.cpu_operator_cost) * tuples;
            let mut q = Plan::clone(p);
            q.total = p.total - cpu + cpu / div;
            q.rows = clamp_row_est(p.rows / div);
            q.workers = workers;
            q.parallel_aware = true;
            q.notes.push(format!("cpu for {tuples} heap rows {cpu:.2} shared: ÷ {div} = {:.2}; the index and heap I/O not", cpu / div));
            out.push(Rc::new(q));
        }
        out
    }

    /// The partial paths of a join with outer `o` (its partial paths, each process joining its
    /// share of the rows): nested loops, merge and hash joins over `i`'s regular paths, each
    /// process building its own hash table; and a Parallel Hash Join when `i` has partial paths
    /// too, its hash table built by all processes together. A Right or Full join has none
    /// (PostgreSQL 15).
    pub(super) fn partial_join_paths(&self, o: &JoinRel, i: &JoinRel, (rows, width): (f64, f64), base_inner: Option<usize>, jt: JoinType) -> Vec<Rc<Plan>> {
        if o.partial.is_empty() || matches!(jt, JoinType::Right | JoinType::Full) || i.paths.is_empty() {
            return Vec::new();
        }
        let workers = cheapest(&o.partial).workers;
        let div = self.s.parallel_divisor(workers);
        let share = clamp_row_est(rows / div);
        let outer = JoinRel { paths: o.partial.clone(), ..o.clone() };
        let mut out: Vec<Rc<Plan>> = self.join_paths_of(&outer, i, (share, width), base_inner, jt, Uniq::No, true).into_iter().map(|p| Rc::new(Plan { workers, ..(*p).clone() })).collect();
        if self.s.enable_parallel_hash && !i.partial.is_empty() {
            if let Some(p) = self.parallel_hashjoin(&cheapest(&o.partial), &cheapest(&i.partial), o, i, (share, width), jt) {
                out.push(Rc::new(Plan { workers, ..p }));
            }
        }
        out
    }

    /// A Parallel Hash Join: every process inserts its share of the inner rows into one shared
    /// hash table (sized for all of them), then probes it with its share of the outer rows.
    fn parallel_hashjoin(&self, outer: &Rc<Plan>, inner: &Rc<Plan>, o: &JoinRel, i: &JoinRel, (rows, width): (f64, f64), jt: JoinType) -> Option<Plan> {
        let clauses = self.join_clauses(o.relids, i.relids);
        // (The hash join of join_paths_of, over both sides' partial paths.)
        let (eq, other) = super::equality_first(o.relids, &clauses);
        if eq.is_empty() {
            return None;
        }
        let s = self.s;
        let n = eq.len() as f64;
        // The hash table holds all processes' rows; each process builds its share.
        let total_inner = inner.rows * s.parallel_divisor(inner.workers);
        let whole = Rc::new(Plan { rows: total_inner, ..(**inner).clone() });
        let x = super::JoinExtra { rows, width, jt, hash_mem_factor: (outer.workers + 1) as f64, ..self.join_extra(o, i, &clauses) };
        let per_tuple = s.cpu_tuple_cost + qual_ops(&other) * s.cpu_operator_cost;
        let mut p = self.hashjoin(outer, &whole, eq, other, &x);
        // Each process builds, and matches against, its share of the inner rows.
        let shared = (s.cpu_operator_cost * n + s.cpu_tuple_cost) * (total_inner - inner.rows);
        let matched = if x.semi { 0.0 } else { per_tuple * (clamp_row_est(outer.rows * total_inner * x.hash_sel) - clamp_row_est(outer.rows * inner.rows * x.hash_sel)) };
        p.startup -= shared;
        p.total -= shared + matched;
        p.parallel_aware = true;
        p.join_type = jt;
        let hash = Rc::make_mut(&mut p.children[1]);
        hash.parallel_aware = true;
        hash.workers = outer.workers;
        hash.rows = inner.rows;
        hash.children = vec![inner.clone()];
        p.notes.push(format!("Parallel Hash: {} rows per process of {total_inner} in one shared table", inner.rows));
        Some(p)
    }

    /// A Gather of partial path `sub` (cost_gather): parallel_setup_cost at startup and
    /// parallel_tuple_cost for each of the `rows` it passes up.
    pub(super) fn gather(&self, sub: &Rc<Plan>, rows: f64) -> Rc<Plan> {
        let s = self.s;
        let mut p = Plan::new(Kind::Gather);
        p.startup = sub.startup + s.parallel_setup_cost;
        p.total = sub.total + s.parallel_setup_cost + s.parallel_tuple_cost * rows;
        p.rows = rows;
        p.width = sub.width;
        p.relids = sub.relids;
        p.workers = sub.workers;
        p.notes.push(format!(
            "parallel_setup_cost {} to start {} workers; parallel_tuple_cost × {rows} rows = {:.2} to pass them up",
            s.parallel_setup_cost,
            sub.workers,
            s.parallel_tuple_cost * rows
        ));
        p.children = vec![sub.clone()];
        Rc::new(p)
    }

    /// A Gather Merge of sorted partial path `sub` (cost_gather_merge): a heap over the workers
    /// and the leader, and 5 % more for each row passed up than a Gather pays.
    pub(super) fn gather_merge(&self, sub: &Rc<Plan>, rows: f64) -> Rc<Plan> {
        let s = self.s;
        let n = sub.workers as f64 + 1.0;
        let log_n = libm::log2(n);
        let comparison = 2.0 * s.cpu_operator_cost;
        let startup = comparison * n * log_n + s.parallel_setup_cost;
        let run = rows * comparison * log_n + s.cpu_operator_cost * rows + s.parallel_tuple_cost * rows * 1.05;
        let mut p = Plan::new(Kind::GatherMerge);
        p.startup = sub.startup + startup;
        p.total = sub.total + startup + run;
        p.rows = rows;
        p.width = sub.width;
        p.relids = sub.relids;
        p.workers = sub.workers;
        p.pathkeys = sub.pathkeys.clone();
        p.keys = sub.keys.clone();
        p.notes.push(format!("parallel_setup_cost {} and a heap of {n} processes at startup; each of {rows} rows through the heap and parallel_tuple_cost × 1.05", s.parallel_setup_cost));
        p.children = vec![sub.clone()];
        Rc::new(p)
    }

    /// `generate_useful_gather_paths`: a Gather of the cheapest partial path, a Gather Merge of
    /// each sorted one, and a Gather Merge of the cheapest one sorted for the order the query
    /// wants (when its columns are all in `relids`).
    pub(super) fn gather_paths(&self, partial: &[Rc<Plan>], rows: f64, relids: u64) -> Vec<Rc<Plan>> {
        if partial.is_empty() {
            return Vec::new();
        }
        let best = cheapest(partial);
        let mut out = vec![self.gather(&best, rows)];
        if !self.s.enable_gathermerge {
            return out;
        }
        for p in partial.iter().filter(|p| !p.pathkeys.is_empty()) {
            out.push(self.gather_merge(p, rows));
        }
        let keys = self.wanted_order();
        let in_rel = keys.iter().all(|(o, _)| matches!(o, Output::Col(c) if relids & (1 << c.0) != 0));
        let want: Vec<PathKey> = keys.iter().map(|(o, d)| (self.output_ec(*o), *d)).collect();
        if !keys.is_empty() && in_rel && !best.pathkeys.starts_with(&want) {
            let sorted = self.sort_node(&best, &keys, None);
            let sorted = Rc::new(Plan { workers: best.workers, ..(*sorted).clone() });
            out.push(self.gather_merge(&sorted, rows));
        }
        out
    }

    /// The order the query's next step wants (`query_pathkeys`): GROUP BY's, else ORDER BY's.
    fn wanted_order(&self) -> Vec<(Output, bool)> {
        if !self.q.group_by.is_empty() {
            return self.q.group_by.iter().map(|&c| (Output::Col(c), false)).collect();
        }
        if self.q.is_grouped() || !self.q.windows.is_empty() || self.q.distinct {
            return Vec::new();
        }
        self.q.order_by.clone()
    }

    /// Aggregation over partial paths (`create_partial_grouping_paths`, `gather_grouping_paths`,
    /// then `add_paths_to_grouping_rel`): a Partial Aggregate in each process, a Gather (or
    /// Gather Merge) of their rows, and a Finalize Aggregate combining them. `width` and
    /// `ngroups` are the final aggregate's.
    pub(super) fn parallel_aggs(&self, partial: &[Rc<Plan>], width: f64, ngroups: f64) -> Vec<Plan> {
        let q = self.q;
        let s = self.s;
        if partial.is_empty() || q.aggs.is_empty() || q.aggs.iter().any(|a| a.distinct) {
            return Vec::new();
        }
        let best = cheapest(partial);
        let workers = best.workers;
        let keys: Vec<(Output, bool)> = q.group_by.iter().map(|&c| (Output::Col(c), false)).collect();
        let want: Vec<PathKey> = keys.iter().map(|(o, d)| (self.output_ec(*o), *d)).collect();
        let ngc = q.group_by.len() as f64;
        let transfn = q.aggs.len() as f64 * s.cpu_operator_cost;
        // Each aggregate's combine function per partial row, and avg's final function per group.
        let combinefn = q.aggs.len() as f64 * s.cpu_operator_cost;
        let finalfn = q.aggs.iter().filter(|a| a.func == AggFn::Avg).count() as f64 * s.cpu_operator_cost;
        let partial_groups = if q.group_by.is_empty() { 1.0 } else { self.num_groups(&q.group_by, best.rows) };
        // The partial aggregates: plain or sorted over the cheapest partial path (sorted if it
        // must be) and over each one already in order; hashed over the cheapest.
        let mut partial_aggs: Vec<Rc<Plan>> = Vec::new();
        for p in partial {
            let sorted_already = p.pathkeys.starts_with(&want);
            if !(Rc::ptr_eq(p, &best) || sorted_already) {
                continue;
            }
            let input = if sorted_already { p.clone() } else { Rc::new(Plan { workers, ..(*self.sort_node(p, &keys, None)).clone() }) };
            let mut a = Plan::new(if q.group_by.is_empty() { Kind::Aggregate } else { Kind::GroupAggregate });
            a.startup = if q.group_by.is_empty() { input.total + transfn * input.rows } else { input.startup };
            a.total =
                if q.group_by.is_empty() { a.startup + s.cpu_tuple_cost } else { input.total + transfn * input.rows + s.cpu_operator_cost * ngc * input.rows + s.cpu_tuple_cost * partial_groups };
            a.rows = partial_groups;
            a.pathkeys = input.pathkeys.clone();
            partial_aggs.push(Rc::new(self.partial_agg(a, input, &keys, width, workers)));
        }
        if !q.group_by.is_empty() && s.enable_hashagg {
            let h = self.hash_agg(&best, keys.clone(), partial_groups, (transfn, 0.0));
            partial_aggs.push(Rc::new(self.partial_agg(h, best.clone(), &keys, width, workers)));
        }
        // gather_grouping_paths: every partial aggregate's rows, all processes' together.
        let rows_of = |p: &Plan| p.rows * p.workers as f64;
        let cheapest_partial = cheapest(&partial_aggs);
        let mut gathered = vec![self.gather(&cheapest_partial, rows_of(&cheapest_partial))];
        if s.enable_gathermerge && !keys.is_empty() {
            for p in partial_aggs.iter().filter(|p| p.pathkeys.starts_with(&want)) {
                gathered.push(self.gather_merge(p, rows_of(p)));
            }
            if !cheapest_partial.pathkeys.starts_with(&want) {
                let sorted = Rc::new(Plan { workers, ..(*self.sort_node(&cheapest_partial, &keys, None)).clone() });
                gathered.push(self.gather_merge(&sorted, rows_of(&cheapest_partial)));
            }
        }
        let gathered = super::prune(gathered, false);
        // The final aggregates over the gathered rows.
        let mut out = Vec::new();
        let cheapest_gathered = cheapest(&gathered);
        for g in &gathered {
            let sorted_already = g.pathkeys.starts_with(&want);
            if !sorted_already && !Rc::ptr_eq(g, &cheapest_gathered) {
                continue;
            }
            let input = if sorted_already { g.clone() } else { self.sort_node(g, &keys, None) };
            let mut f = Plan::new(if q.group_by.is_empty() { Kind::Aggregate } else { Kind::GroupAggregate });
            if q.group_by.is_empty() {
                f.startup = input.total + combinefn * input.rows + finalfn;
                f.total = f.startup + s.cpu_tuple_cost;
            } else {
                f.startup = input.startup;
                f.total = input.total + combinefn * input.rows + s.cpu_operator_cost * ngc * input.rows + finalfn * ngroups + s.cpu_tuple_cost * ngroups;
            }
            f.rows = ngroups;
            f.width = width;
            f.keys = keys.clone();
            f.pathkeys = input.pathkeys.clone();
            f.split = AggSplit::Finalize;
            f.children = vec![input];
            out.push(f);
        }
        if !q.group_by.is_empty() && s.enable_hashagg {
            let mut f = self.hash_agg(&cheapest_gathered, keys.clone(), ngroups, (combinefn, finalfn));
            f.width = width;
            f.split = AggSplit::Finalize;
            out.push(f);
        }
        out
    }

    /// A partial aggregate node over `input`, one per process.
    fn partial_agg(&self, mut a: Plan, input: Rc<Plan>, keys: &[(Output, bool)], width: f64, workers: usize) -> Plan {
        a.width = width;
        a.keys = keys.to_vec();
        a.split = AggSplit::Partial;
        a.workers = workers;
        a.relids = input.relids;
        a.children = vec![input];
        a
    }
}
