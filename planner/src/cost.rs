//! Cost formulas of PostgreSQL 15's costsize.c (and btcostestimate), as plain functions of sizes,
//! selectivities and the settings. Every number EXPLAIN prints comes from here.
use crate::catalog::{maxalign, BLCKSZ};
use crate::settings::{Settings, DISABLE_COST};

/// `relation_byte_size`: bytes of `tuples` rows of `width` as tuplestores hold them.
pub fn relation_byte_size(tuples: f64, width: f64) -> f64 {
    tuples * (maxalign(width.max(0.0) as usize) as f64 + maxalign(23) as f64)
}

/// `page_size`: pages of `tuples` rows of `width`.
pub fn page_size(tuples: f64, width: f64) -> f64 {
    libm::ceil(relation_byte_size(tuples, width) / BLCKSZ)
}

/// `index_pages_fetched`: the Mackert–Lohman estimate of distinct pages touched when fetching
/// `tuples_fetched` tuples from a table of `pages` pages, with `effective_cache_size` shared among
/// all the query's tables (`total_pages`).
pub fn index_pages_fetched(s: &Settings, tuples_fetched: f64, pages: f64, index_pages: f64, total_table_pages: f64) -> f64 {
    let t = if pages > 1.0 { pages } else { 1.0 };
    let total_pages = (total_table_pages + index_pages).max(1.0);
    let mut b = s.effective_cache_size * t / total_pages;
    b = if b <= 1.0 { 1.0 } else { libm::ceil(b) };
    if t <= b {
        let p = (2.0 * t * tuples_fetched) / (2.0 * t + tuples_fetched);
        if p >= t {
            t
        } else {
            libm::ceil(p)
        }
    } else {
        let lim = (2.0 * t * b) / (2.0 * t - b);
        let p = if tuples_fetched <= lim { (2.0 * t * tuples_fetched) / (2.0 * t + tuples_fetched) } else { b + (tuples_fetched - lim) * (t - b) / t };
        libm::ceil(p)
    }
}

/// A cost pair and the arithmetic behind it, for the plan view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cost {
    pub startup: f64,
    pub total: f64,
    pub notes: Vec<String>,
}

impl Cost {
    fn note(&mut self, s: String) {
        self.notes.push(s);
    }
}

/// `cost_seqscan`.
pub fn seqscan(s: &Settings, pages: f64, tuples: f64, nquals: f64) -> Cost {
    let mut c = Cost::default();
    let disk = s.seq_page_cost * pages;
    let per_tuple = s.cpu_tuple_cost + nquals * s.cpu_operator_cost;
    let cpu = per_tuple * tuples;
    c.startup = if s.enable_seqscan { 0.0 } else { DISABLE_COST };
    c.total = c.startup + disk + cpu;
    c.note(format!("disk: {pages} pages × seq_page_cost {} = {disk:.2}", s.seq_page_cost));
    c.note(format!("cpu: {tuples} rows × (cpu_tuple_cost {} + {nquals} × cpu_operator_cost {}) = {cpu:.2}", s.cpu_tuple_cost, s.cpu_operator_cost));
    c
}

/// What `btcostestimate` / `genericcostestimate` give for one index scan.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexCost {
    pub startup: f64,
    pub total: f64,
    pub selectivity: f64,
    pub correlation: f64,
    pub notes: Vec<String>,
    /// The index pages one scan reads (`numIndexPages`), which decide its parallel workers.
    pub pages: f64,
}

/// Inputs of an index cost estimate.
#[derive(Clone, Copy, Debug)]
pub struct IndexInput {
    /// Selectivity of the index's boundary quals (`btreeSelectivity`).
    pub bound_sel: f64,
    /// Selectivity of all index quals.
    pub index_sel: f64,
    pub n_index_quals: usize,
    /// Every key column is constrained by `=` on a unique index.
    pub unique_eq: bool,
    pub index_pages: f64,
    pub tree_height: u32,
    pub rel_tuples: f64,
    pub rel_pages: f64,
    pub total_table_pages: f64,
    pub loop_count: f64,
    /// Correlation of the leading column; multi-column indexes use 0.75 of it.
    pub correlation: f64,
    pub ncolumns: usize,
    /// `= ANY` arrays: the number of index scans they cause.
    pub num_sa_scans: f64,
}

/// `btcostestimate` (with `genericcostestimate`).
pub fn btcost(s: &Settings, i: &IndexInput) -> IndexCost {
    let mut notes = Vec::new();
    let mut num_index_tuples = if i.unique_eq { 1.0 } else { i.bound_sel * i.rel_tuples };
    num_index_tuples = libm::rint(num_index_tuples / i.num_sa_scans).max(1.0);
    let num_index_pages = if i.index_pages > 1.0 && i.rel_tuples > 1.0 { libm::ceil(num_index_tuples * i.index_pages / i.rel_tuples) } else { 1.0 };
    // Each outer row of a nested loop, and each element of an `= ANY` array, is an index scan
    // of its own: Mackert-Lohman over all of them, pro-rated per outer scan only (the array's
    // scans are inside this one).
    let num_scans = i.num_sa_scans * i.loop_count;
    let mut total = if num_scans > 1.0 {
        let pf = index_pages_fetched(s, num_index_pages * num_scans, i.index_pages, i.index_pages, i.total_table_pages);
        pf * s.random_page_cost / i.loop_count
    } else {
        num_index_pages * s.random_page_cost
    };
    if i.num_sa_scans > 1.0 {
        notes.push(format!("index pages: {num_index_pages} per scan × {} array elements, cached as Mackert-Lohman says, × random_page_cost {} = {total:.2}", i.num_sa_scans, s.random_page_cost));
    } else {
        notes.push(format!("index pages: {num_index_pages} × random_page_cost {} = {total:.2}", s.random_page_cost));
    }
    let qual_op_cost = s.cpu_operator_cost * i.n_index_quals as f64;
    let cpu = num_index_tuples * i.num_sa_scans * (s.cpu_index_tuple_cost + qual_op_cost);
    total += cpu;
    notes.push(format!("index tuples: {num_index_tuples} × (cpu_index_tuple_cost {} + {} × cpu_operator_cost) = {cpu:.2}", s.cpu_index_tuple_cost, i.n_index_quals));
    let mut startup = 0.0;
    if i.rel_tuples > 1.0 {
        let d = libm::ceil(libm::log(i.rel_tuples) / libm::log(2.0)) * s.cpu_operator_cost;
        startup += d;
        total += i.num_sa_scans * d;
    }
    let d = (i.tree_height as f64 + 1.0) * 50.0 * s.cpu_operator_cost;
    startup += d;
    total += i.num_sa_scans * d;
    notes.push(format!("descent: log2(tuples) comparisons + {} levels × 50 × cpu_operator_cost = {startup:.2}", i.tree_height + 1));
    let correlation = if i.ncolumns > 1 { i.correlation * 0.75 } else { i.correlation };
    IndexCost { startup, total, selectivity: i.index_sel, correlation, notes, pages: num_index_pages }
}

/// `cost_index`: an Index Scan (or Index Only Scan, with `allvisfrac` of the heap all-visible).
pub fn index_scan(s: &Settings, ic: &IndexCost, i: &IndexInput, nfilter: f64, index_only: bool, allvisfrac: f64) -> Cost {
    let mut c = Cost { startup: ic.startup, total: 0.0, notes: ic.notes.clone() };
    let mut run = ic.total - ic.startup;
    let tuples_fetched = crate::selfuncs::clamp_row_est(ic.selectivity * i.rel_tuples);
    let vis = |p: f64| if index_only { libm::ceil(p * (1.0 - allvisfrac)) } else { p };
    let (max_io, min_io) = if i.loop_count > 1.0 {
        let pf = vis(index_pages_fetched(s, tuples_fetched * i.loop_count, i.rel_pages, i.index_pages, i.total_table_pages));
        let max_io = pf * s.random_page_cost / i.loop_count;
        let pf = libm::ceil(ic.selectivity * i.rel_pages);
        let pf = vis(index_pages_fetched(s, pf * i.loop_count, i.rel_pages, i.index_pages, i.total_table_pages));
        (max_io, pf * s.random_page_cost / i.loop_count)
    } else {
        let pf = vis(index_pages_fetched(s, tuples_fetched, i.rel_pages, i.index_pages, i.total_table_pages));
        let max_io = pf * s.random_page_cost;
        let pf = vis(libm::ceil(ic.selectivity * i.rel_pages));
        let min_io = if pf > 0.0 { s.random_page_cost + (pf - 1.0).max(0.0) * s.seq_page_cost } else { 0.0 };
        (max_io, min_io)
    };
    let csquared = ic.correlation * ic.correlation;
    let io = max_io + csquared * (min_io - max_io);
    run += io;
    c.note(format!("heap: {tuples_fetched} tuples, I/O between {max_io:.2} (uncorrelated) and {min_io:.2} (correlated) by correlation² {csquared:.3} = {io:.2}"));
    let cpu = (s.cpu_tuple_cost + nfilter * s.cpu_operator_cost) * tuples_fetched;
    run += cpu;
    c.note(format!("cpu: {tuples_fetched} tuples × (cpu_tuple_cost + {nfilter} filter × cpu_operator_cost) = {cpu:.2}"));
    let enabled = if index_only { s.enable_indexonlyscan } else { s.enable_indexscan };
    if !enabled {
        c.startup += DISABLE_COST;
    }
    c.total = c.startup + run;
    c
}

/// `cost_bitmap_heap_scan` over one Bitmap Index Scan (`compute_bitmap_pages`). Returns the heap
/// cost and the bitmap index scan's total cost as the heap node charges it.
pub fn bitmap_heap(s: &Settings, ic: &IndexCost, i: &IndexInput, index_rows: f64, nquals: f64) -> Cost {
    let mut c = Cost::default();
    let index_total = ic.total + 0.1 * s.cpu_operator_cost * index_rows;
    let (pages, tuples_fetched) = bitmap_pages(s, ic, i);
    let t = if i.rel_pages > 1.0 { i.rel_pages } else { 1.0 };
    c.startup = index_total;
    let cost_per_page = if pages >= 2.0 { s.random_page_cost - (s.random_page_cost - s.seq_page_cost) * libm::sqrt(pages / t) } else { s.random_page_cost };
    let io = pages * cost_per_page;
    let cpu = (s.cpu_tuple_cost + nquals * s.cpu_operator_cost) * tuples_fetched;
    c.note(format!("bitmap: index {:.2} + 0.1 × cpu_operator_cost × {index_rows} rows = {index_total:.2}", ic.total));
    c.note(format!("heap: {pages} pages × {cost_per_page:.4} (random_page_cost sliding toward seq_page_cost as √(pages/{t}) grows) = {io:.2}"));
    c.note(format!("cpu: {tuples_fetched} tuples × (cpu_tuple_cost + {nquals} × cpu_operator_cost) = {cpu:.2}"));
    if !s.enable_bitmapscan {
        c.startup += DISABLE_COST;
    }
    c.total = c.startup + io + cpu;
    c
}

/// `compute_bitmap_pages`: the heap pages a bitmap scan fetches per loop, and the rows it reads.
pub fn bitmap_pages(s: &Settings, ic: &IndexCost, i: &IndexInput) -> (f64, f64) {
    let tuples_fetched = crate::selfuncs::clamp_row_est(ic.selectivity * i.rel_tuples);
    let t = if i.rel_pages > 1.0 { i.rel_pages } else { 1.0 };
    let pages = if i.loop_count > 1.0 {
        index_pages_fetched(s, tuples_fetched * i.loop_count, i.rel_pages, i.index_pages, i.total_table_pages) / i.loop_count
    } else {
        (2.0 * t * tuples_fetched) / (2.0 * t + tuples_fetched)
    };
    (if pages >= t { t } else { libm::ceil(pages) }, tuples_fetched)
}

/// `cost_tuplesort`: (startup, run) of sorting `tuples` rows of `width`, keeping `limit` if given.
pub fn tuplesort(s: &Settings, tuples: f64, width: f64, limit: Option<f64>) -> (f64, f64, SortMethod) {
    let tuples = tuples.max(2.0);
    let comparison = 2.0 * s.cpu_operator_cost;
    let input_bytes = relation_byte_size(tuples, width);
    let mem = s.work_mem * 1024.0;
    let (output_tuples, output_bytes) = match limit {
        Some(l) if l > 0.0 && l < tuples => (l, relation_byte_size(l, width)),
        _ => (tuples, input_bytes),
    };
    let log2 = |x: f64| libm::log(x) / libm::log(2.0);
    let (startup, method) = if output_bytes > mem {
        let npages = libm::ceil(input_bytes / BLCKSZ);
        let nruns = input_bytes / mem;
        let merge_order = merge_order(mem);
        let log_runs = if nruns > merge_order { libm::ceil(libm::log(nruns) / libm::log(merge_order)) } else { 1.0 };
        let accesses = 2.0 * npages * log_runs;
        (comparison * tuples * log2(tuples) + accesses * (s.seq_page_cost * 0.75 + s.random_page_cost * 0.25), SortMethod::External)
    } else if tuples > 2.0 * output_tuples || input_bytes > mem {
        (comparison * tuples * log2(2.0 * output_tuples), SortMethod::TopN)
    } else {
        (comparison * tuples * log2(tuples), SortMethod::Quicksort)
    };
    (startup, s.cpu_operator_cost * tuples, method)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortMethod {
    Quicksort,
    TopN,
    External,
}

/// A sort method as EXPLAIN names it.
pub fn method_name(m: SortMethod) -> &'static str {
    match m {
        SortMethod::Quicksort => "quicksort",
        SortMethod::TopN => "top-N heapsort",
        SortMethod::External => "external merge",
    }
}

/// `tuplesort_merge_order`.
fn merge_order(mem: f64) -> f64 {
    let per_tape = 2.0 * BLCKSZ + 32.0 * BLCKSZ;
    libm::floor(mem / per_tape).clamp(6.0, 500.0)
}

/// `cost_sort` on top of an input.
pub fn sort(s: &Settings, input: (f64, f64), tuples: f64, width: f64, limit: Option<f64>) -> (Cost, SortMethod) {
    let (st, run, method) = tuplesort(s, tuples, width, limit);
    let mut c = Cost { startup: input.1 + st, total: 0.0, notes: Vec::new() };
    if !s.enable_sort {
        c.startup += DISABLE_COST;
    }
    c.total = c.startup + run;
    c.note(format!("sort: input {:.2} + comparisons 2 × cpu_operator_cost × n·log2(n) = {st:.2} ({method:?}), then cpu_operator_cost per row out = {run:.2}", input.1));
    (c, method)
}

/// `ExecChooseHashTableSize`: (buckets, batches) for `ntuples` rows of `width`.
pub fn hash_table_size(s: &Settings, ntuples: f64, width: f64) -> (f64, f64) {
    hash_table_size_in(ntuples, width, s.hash_mem_bytes())
}

/// `ExecChooseHashTableSize` within `bytes` of memory (a Parallel Hash pools its processes').
pub fn hash_table_size_in(ntuples: f64, width: f64, bytes: f64) -> (f64, f64) {
    let ntuples = if ntuples <= 0.0 { 1000.0 } else { ntuples };
    let tupsize = 16.0 + 16.0 + maxalign(width.max(0.0) as usize) as f64;
    let inner_bytes = ntuples * tupsize;
    let mut hash_table_bytes = bytes;
    let skew = hash_table_bytes * 2.0 / 100.0;
    let num_skew = libm::floor(skew / (tupsize + 8.0 * 8.0 + 4.0 + 16.0));
    if num_skew > 0.0 {
        hash_table_bytes -= skew;
    }
    let prev_pow2 = |x: f64| if x < 1.0 { 1.0 } else { libm::exp2(libm::floor(libm::log2(x))) };
    let next_pow2 = |x: f64| if x <= 1.0 { 1.0 } else { libm::exp2(libm::ceil(libm::log2(x))) };
    let max_pointers = prev_pow2(libm::floor(hash_table_bytes / 8.0)).min(1_073_741_824.0);
    let mut nbuckets = libm::ceil(ntuples).min(max_pointers).max(1024.0);
    nbuckets = next_pow2(nbuckets);
    let bucket_bytes = 8.0 * nbuckets;
    if inner_bytes + bucket_bytes > hash_table_bytes {
        let bucket_size = tupsize + 8.0;
        let lbuckets = prev_pow2(libm::floor(hash_table_bytes / bucket_size)).min(max_pointers);
        let bucket_bytes = lbuckets * 8.0;
        let dbatch = libm::ceil(inner_bytes / (hash_table_bytes - bucket_bytes)).min(max_pointers);
        (lbuckets, next_pow2(dbatch.max(2.0)))
    } else {
        (nbuckets, 1.0)
    }
}

/// `cost_incremental_sort`: the input's groups of equal leading keys sorted one at a time.
pub fn incremental_sort(s: &Settings, input: (f64, f64), tuples: f64, width: f64, groups: f64, limit: Option<f64>) -> Cost {
    let input_run = input.1 - input.0;
    let group_tuples = tuples / groups;
    let group_input_run = input_run / groups;
    // PostgreSQL is pessimistic about how evenly rows fall into groups: it costs each group's
    // sort at half as many rows again.
    let (gs, gr, _) = tuplesort(s, 1.5 * group_tuples, width, limit);
    let startup = gs + input.0 + group_input_run;
    let mut run = gr + (gr + gs) * (groups - 1.0) + group_input_run * (groups - 1.0);
    run += s.cpu_tuple_cost * tuples;
    run += 2.0 * s.cpu_tuple_cost * groups;
    let mut c = Cost { startup, total: startup + run, notes: Vec::new() };
    if !s.enable_incremental_sort {
        c.startup += DISABLE_COST;
        c.total += DISABLE_COST;
    }
    c.notes.push(format!("{groups} groups of ~{group_tuples:.1} rows each sorted on their own ({gs:.2} to start one); detecting groups costs cpu_tuple_cost per row"));
    c
}
