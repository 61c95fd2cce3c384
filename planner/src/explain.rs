//! EXPLAIN output in PostgreSQL 15's layouts: the text format (`->` arrows, `(cost=… rows=…
//! width=…)`, `(actual time=… rows=… loops=…)`, conditions deparsed as ruleutils.c writes them)
//! and `FORMAT JSON` with PostgreSQL's keys.
use crate::bind::{ColRef, Output, Qual, Query};
use crate::catalog::NULL;
use crate::cost::SortMethod;
use crate::db::Database;
use crate::exec::{Analyzed, NodeStats};
use crate::plan::{Kind, Plan};
use crate::sql::ExplainOpts;
use serde_json::{json, Map, Value};

/// Renders conditions and keys of one query.
#[derive(Clone, Copy, Debug)]
pub struct Deparse<'a> {
    pub db: &'a Database,
    pub q: &'a Query,
}

impl Deparse<'_> {
    fn col(&self, c: ColRef, prefix: bool) -> String {
        let r = &self.q.rels[c.0];
        let name = &self.db.tables[r.table].columns[c.1].name;
        if prefix {
            format!("{}.{}", r.alias, name)
        } else {
            name.clone()
        }
    }
    fn konst(&self, c: ColRef, v: i64) -> String {
        if v == NULL {
            return "NULL".into();
        }
        let col = &self.db.tables[self.q.rels[c.0].table].columns[c.1];
        if let Some((_, _, text)) = self.q.strays.iter().find(|(sc, sv, _)| self.q.rels[sc.0].table == self.q.rels[c.0].table && sc.1 == c.1 && *sv == v) {
            return format!("'{}'::text", text.replace('\'', "''"));
        }
        col.explain_literal(v)
    }

    /// One condition. `scan` is the scanned relation, whose columns print without a prefix.
    pub fn qual(&self, q: &Qual, scan: Option<usize>) -> String {
        let multi = self.q.rels.len() > 1;
        let pre = |c: ColRef| multi && Some(c.0) != scan;
        match q {
            Qual::Cmp { c, op, v } => format!("({} {} {})", self.col(*c, pre(*c)), op.sql(), self.konst(*c, *v)),
            Qual::In { c, vals } => {
                let col = &self.db.tables[self.q.rels[c.0].table].columns[c.1];
                let items: Vec<String> = vals
                    .iter()
                    .map(|v| match &col.text {
                        Some(d) => d.render(*v),
                        None => v.to_string(),
                    })
                    .collect();
                format!("({} = ANY ('{{{}}}'::{}[]))", self.col(*c, pre(*c)), items.join(","), col.ty.sql())
            }
            Qual::IsNull { c, not } => format!("({} IS {}NULL)", self.col(*c, pre(*c)), if *not { "NOT " } else { "" }),
            Qual::NotIn { sub, .. } => format!("(NOT (hashed SubPlan {}))", self.q.subplans[*sub].plan_id),
            // An avg is numeric: the column is cast to compare with it.
            Qual::Param { c, op, k, cast } => {
                let col = self.col(*c, pre(*c));
                let col = if *cast { format!("({col})::numeric") } else { col };
                format!("({col} {} ${})", op.sql(), self.q.initplans[*k].param)
            }
            Qual::ColCmp { l, op, r } => format!("({} {} {})", self.col(*l, pre(*l)), op.sql(), self.col(*r, pre(*r))),
            Qual::Or(arms) => {
                let parts: Vec<String> = arms.iter().map(|a| self.quals(a, scan)).collect();
                format!("({})", parts.join(" OR "))
            }
        }
    }

    /// A list of conditions joined by AND, as EXPLAIN prints an implicit conjunction.
    pub fn quals(&self, qs: &[Qual], scan: Option<usize>) -> String {
        if qs.len() == 1 {
            return self.qual(&qs[0], scan);
        }
        let parts: Vec<String> = qs.iter().map(|q| self.qual(q, scan)).collect();
        format!("({})", parts.join(" AND "))
    }

    /// A sort or group key of node `p`.
    fn key(&self, p: &Plan, o: Output, desc: bool) -> String {
        let multi = self.q.rels.len() > 1;
        let base = match o {
            Output::Set(k) => self.set_col(p, k),
            Output::Col(c) => self.col(c, multi),
            // EXPLAIN cannot name the window: "OVER (?)".
            Output::Win(k) => {
                let w = self.q.windows[k];
                let arg = w.arg.map_or(if matches!(w.func, crate::sql::WinFn::Agg(_)) { "*".to_string() } else { String::new() }, |c| self.col(c, multi));
                format!("({}({arg}) OVER (?))", w.func.sql())
            }
            Output::Agg(k) => {
                let a = self.q.aggs[k];
                let arg = a.arg.map_or("*".to_string(), |c| self.col(c, multi));
                format!("({}({}{arg}))", a.func.sql(), if a.distinct { "DISTINCT " } else { "" })
            }
        };
        if desc {
            format!("{base} DESC")
        } else {
            base
        }
    }

    /// HAVING's conditions: `(count(*) > 5)`, an avg compared with a numeric.
    fn having(&self, conds: &[(usize, crate::sql::CmpOp, i64)]) -> String {
        let multi = self.q.rels.len() > 1;
        let parts: Vec<String> = conds
            .iter()
            .map(|&(k, op, v)| {
                let a = self.q.aggs[k];
                let arg = a.arg.map_or("*".to_string(), |c| self.col(c, multi));
                let konst = if a.func == crate::sql::AggFn::Avg { format!("'{v}'::numeric") } else { v.to_string() };
                format!("({}({}{arg}) {} {konst})", a.func.sql(), if a.distinct { "DISTINCT " } else { "" }, op.sql())
            })
            .collect();
        if parts.len() == 1 {
            parts.concat()
        } else {
            format!("({})", parts.join(" AND "))
        }
    }

    /// Column `k` of a set operation, as named below node `p`: by the first input's first
    /// SELECT, through its Subquery Scan ("*SELECT* 1".id) when it has one.
    fn set_col(&self, p: &Plan, k: usize) -> String {
        let Some(so) = &self.q.set_op else { return String::new() };
        let mut n = p;
        loop {
            if let Some(s) = n.select_no {
                return format!("\"*SELECT* {s}\".{}", so.names[s - 1][k]);
            }
            if let (Some(r), true) = (n.rel, n.children.is_empty() || n.kind == Kind::BitmapHeapScan) {
                return self.col((r, so.columns[r][k]), true);
            }
            match n.children.first() {
                Some(c) => n = c,
                None => return String::new(),
            }
        }
    }

    fn keys(&self, p: &Plan) -> String {
        p.keys.iter().map(|(o, d)| self.key(p, *o, *d)).collect::<Vec<_>>().join(", ")
    }

    /// The node's title: `Index Scan using idx on t alias`.
    pub fn title(&self, p: &Plan) -> String {
        let mut s = p.name();
        if let Some(n) = p.select_no {
            return format!("{s} on \"*SELECT* {n}\"");
        }
        if p.backward {
            s.push_str(" Backward");
        }
        if let Some(ix) = p.index {
            let name = &self.db.indexes[ix].name;
            if p.kind == Kind::BitmapIndexScan {
                return format!("{s} on {name}");
            }
            s = format!("{s} using {name}");
        }
        if let Some(r) = p.rel {
            let rel = &self.q.rels[r];
            // A CTE Scan names its CTE.
            let table = match rel.cte_scan {
                Some(k) => &self.q.ctes[k].name,
                None => &self.db.tables[rel.table].name,
            };
            s = format!("{s} on {table}");
            if rel.alias != *table {
                s = format!("{s} {}", rel.alias);
            }
        }
        s
    }

    /// `(label, text)` detail lines of a node, without instrumentation.
    pub fn details(&self, p: &Plan) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        let scan = p.rel;
        match p.kind {
            Kind::IndexScan | Kind::IndexOnlyScan | Kind::BitmapIndexScan if !p.index_cond.is_empty() => v.push(("Index Cond", self.quals(&p.index_cond, scan))),
            Kind::BitmapHeapScan => v.push(("Recheck Cond", self.quals(&p.index_cond, scan))),
            Kind::HashJoin => v.push(("Hash Cond", self.quals(&p.join_cond, None))),
            Kind::MergeJoin => v.push(("Merge Cond", self.quals(&p.join_cond, None))),
            Kind::Sort | Kind::MergeAppend => v.push(("Sort Key", self.keys(p))),
            Kind::IncrementalSort => {
                v.push(("Sort Key", self.keys(p)));
                let pre: Vec<String> = p.keys[..p.presorted].iter().map(|(o, d)| self.key(p, *o, *d)).collect();
                v.push(("Presorted Key", pre.join(", ")));
            }
            Kind::HashAggregate | Kind::GroupAggregate => v.push(("Group Key", self.keys(p))),
            Kind::Memoize => {
                v.push(("Cache Key", self.keys(p)));
                v.push(("Cache Mode", "logical".into()));
            }
            _ => {}
        }
        if !p.join_filter.is_empty() {
            v.push(("Join Filter", self.quals(&p.join_filter, None)));
        }
        if !p.filter.is_empty() {
            v.push(("Filter", self.quals(&p.filter, scan)));
        }
        if !p.agg_filter.is_empty() {
            v.push(("Filter", self.having(&p.agg_filter)));
        }
        if matches!(p.kind, Kind::Gather | Kind::GatherMerge) {
            v.push(("Workers Planned", p.workers.to_string()));
        }
        v
    }
}

fn kb(x: f64) -> String {
    format!("{}kB", x as i64)
}

/// Instrumentation lines of a node, in PostgreSQL's order; `removed` includes the "Rows Removed
/// by …" lines (the text layout prints those right after their condition instead).
pub fn analyze_lines(p: &Plan, st: &NodeStats, removed: bool, out: &mut Vec<(String, String)>) {
    if st.loops == 0.0 {
        // A node that never ran still shows its counters, at zero (ExplainNode prints them
        // whatever the loops; the text format leaves out zero rows removed).
        if removed && !p.join_filter.is_empty() {
            out.push(("Rows Removed by Join Filter".into(), "0".into()));
        }
        if removed && (!p.filter.is_empty() || !p.agg_filter.is_empty()) {
            out.push(("Rows Removed by Filter".into(), "0".into()));
        }
        if p.kind == Kind::IndexOnlyScan {
            out.push(("Heap Fetches".into(), "0".into()));
        }
        if p.kind == Kind::BitmapHeapScan {
            out.push(("Heap Blocks".into(), "exact=0".into()));
        }
        return;
    }
    let loops = st.loops.max(1.0);
    let per = |x: f64| format!("{}", libm::rint(x / loops) as i64);
    if matches!(p.kind, Kind::Gather | Kind::GatherMerge) {
        // dbsim's workers always start (PostgreSQL's may not, when max_parallel_workers are busy).
        out.push(("Workers Launched".into(), p.workers.to_string()));
    }
    if p.kind == Kind::Sort {
        if let Some(m) = st.sort_method {
            let name = crate::cost::method_name(m);
            let what = if m == SortMethod::External { "Disk" } else { "Memory" };
            out.push(("Sort Method".into(), format!("{name}  {what}: {}", kb(st.memory_kb))));
        }
    }
    if p.kind == Kind::IncrementalSort {
        out.push(("Full-sort Groups".into(), format!("{}  Sort Method: quicksort  Average Memory: {}  Peak Memory: {}", st.buckets as i64, kb(st.memory_kb), kb(st.memory_kb))));
    }
    if p.kind == Kind::Hash && st.loops > 0.0 {
        out.push(("Buckets".into(), format!("{}  Batches: {}  Memory Usage: {}", st.buckets as i64, st.batches as i64, kb(st.memory_kb))));
    }
    if p.kind == Kind::HashAggregate && st.loops > 0.0 {
        out.push(("Batches".into(), format!("{}  Memory Usage: {}", st.batches as i64, kb(st.memory_kb))));
    }
    if p.kind == Kind::Memoize && st.loops > 0.0 {
        out.push(("Hits".into(), format!("{}  Misses: {}  Evictions: 0  Overflows: 0  Memory Usage: {}", st.cache_hits as i64, st.cache_misses as i64, kb(st.memory_kb))));
    }
    if removed && !p.join_filter.is_empty() {
        out.push(("Rows Removed by Join Filter".into(), per(st.removed_by_join_filter)));
    }
    if removed && (!p.filter.is_empty() || !p.agg_filter.is_empty()) {
        out.push(("Rows Removed by Filter".into(), per(st.removed_by_filter)));
    }
    if p.kind == Kind::IndexOnlyScan {
        out.push(("Heap Fetches".into(), "0".into()));
    }
    if p.kind == Kind::BitmapHeapScan {
        out.push(("Heap Blocks".into(), format!("exact={}", st.heap_blocks as i64)));
    }
}

/// What each worker's copy of a Sort or HashAggregate did, as "Worker n:" lines list it
/// (dbsim's workers share the work evenly: each is shown as the node's own figures).
fn worker_lines(p: &Plan, st: &NodeStats) -> Vec<(usize, Vec<(String, String)>)> {
    if st.workers <= 0.0 || st.loops == 0.0 || !matches!(p.kind, Kind::Sort | Kind::HashAggregate) {
        return Vec::new();
    }
    let mut own = Vec::new();
    analyze_lines(p, st, false, &mut own);
    let parts: Vec<(String, String)> = own.into_iter().filter(|(k, _)| k == "Sort Method" || k == "Batches").collect();
    if parts.is_empty() {
        return Vec::new();
    }
    (0..st.workers as usize).map(|w| (w, parts.clone())).collect()
}

/// The `Buffers:` line of a node's inclusive counts, if it touched any.
fn buffers_line(st: &NodeStats) -> Option<String> {
    let mut b = Vec::new();
    if st.shared_hit > 0.0 {
        b.push(format!("shared hit={}", st.shared_hit as i64));
    }
    if st.temp_read > 0.0 || st.temp_written > 0.0 {
        let mut t = "temp".to_string();
        if st.temp_read > 0.0 {
            t.push_str(&format!(" read={}", st.temp_read as i64));
        }
        if st.temp_written > 0.0 {
            t.push_str(&format!(" written={}", st.temp_written as i64));
        }
        b.push(t);
    }
    (!b.is_empty()).then(|| b.join(", "))
}

/// Buffers a node and everything below it touched (EXPLAIN's Buffers are inclusive).
fn inclusive(p: &Plan, stats: &[NodeStats], id: usize) -> NodeStats {
    let mut s = stats[id].clone();
    let mut cid = id + 1;
    for c in &p.children {
        // (A CTE's figures are its CTE Scan's, which read its rows.)
        let cs = if c.is_initplan() { NodeStats::default() } else { inclusive(c, stats, cid) };
        s.shared_hit += cs.shared_hit;
        s.temp_read += cs.temp_read;
        s.temp_written += cs.temp_written;
        let mut v = Vec::new();
        c.walk(&mut v);
        cid += v.len();
    }
    s
}

/// How EXPLAIN names a plan of its own: "SubPlan 2", "CTE big", "InitPlan 1 (returns $0)".
pub fn subplan_name(d: &Deparse, p: &Plan) -> String {
    match (p.subplan, p.initplan, p.param_plan) {
        (Some(k), _, _) => format!("SubPlan {}", d.q.subplans[k].plan_id),
        (_, Some(k), _) => format!("CTE {}", d.q.ctes[k].name),
        (_, _, Some(k)) => format!("InitPlan {} (returns ${})", d.q.initplans[k].plan_id, d.q.initplans[k].param),
        _ => String::new(),
    }
}

fn is_agg(p: &Plan) -> bool {
    matches!(p.kind, Kind::Aggregate | Kind::HashAggregate | Kind::GroupAggregate)
}

/// What planning took: its modelled time, and the shared buffers its index probes touched
/// (`Probes`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Planning {
    pub ms: f64,
    pub shared_hit: u64,
}

/// The text format.
pub fn text(d: &Deparse, plan: &Plan, opts: &ExplainOpts, analyzed: Option<&Analyzed>, planning: Planning) -> String {
    let mut lines = Vec::new();
    let mut id = 0;
    text_node(d, plan, opts, analyzed, (0, 0), &mut id, &mut lines);
    // BUFFERS shows what planning read, with or without ANALYZE, when it read anything.
    if opts.buffers && planning.shared_hit > 0 {
        lines.push("Planning:".into());
        lines.push(format!("  Buffers: shared hit={}", planning.shared_hit));
    }
    if let Some(a) = analyzed {
        lines.push(format!("Planning Time: {:.3} ms", planning.ms));
        lines.push(format!("Execution Time: {:.3} ms", a.execution_ms));
    }
    lines.join("\n")
}

/// One node and its children; `pad` shifts a SubPlan's subtree right under its "SubPlan k" line.
fn text_node(d: &Deparse, p: &Plan, opts: &ExplainOpts, a: Option<&Analyzed>, (depth, pad): (usize, usize), id: &mut usize, lines: &mut Vec<String>) {
    let me = *id;
    let head_indent = if depth == 0 { String::new() } else { format!("{}->  ", " ".repeat(6 * (depth - 1) + 2 + pad)) };
    let detail_indent = " ".repeat(6 * depth + 2 + pad);
    let mut head = format!("{head_indent}{}", d.title(p));
    if opts.costs {
        head.push_str(&format!("  (cost={:.2}..{:.2} rows={} width={})", p.startup, p.total, p.rows as i64, p.width as i64));
    }
    if let Some(a) = a {
        let st = &a.nodes[me];
        if st.loops == 0.0 {
            head.push_str(" (never executed)");
        } else {
            let l = st.loops;
            if opts.timing {
                head.push_str(&format!(" (actual time={:.3}..{:.3} rows={} loops={})", st.startup_ms / l, st.total_ms / l, libm::rint(st.rows / l) as i64, l as i64));
            } else {
                head.push_str(&format!(" (actual rows={} loops={})", libm::rint(st.rows / l) as i64, l as i64));
            }
        }
    }
    lines.push(head);
    for (label, text) in d.details(p) {
        lines.push(format!("{detail_indent}{label}: {text}"));
        if let Some(a) = a {
            // "Rows Removed by …" follows its condition.
            let st = &a.nodes[me];
            let loops = st.loops.max(1.0);
            // (The text format leaves out a count of zero, as PostgreSQL's does.)
            if label == "Filter" && st.loops > 0.0 && st.removed_by_filter > 0.0 && !is_agg(p) {
                lines.push(format!("{detail_indent}Rows Removed by Filter: {}", libm::rint(st.removed_by_filter / loops) as i64));
            }
            if label == "Join Filter" && st.loops > 0.0 && st.removed_by_join_filter > 0.0 {
                lines.push(format!("{detail_indent}Rows Removed by Join Filter: {}", libm::rint(st.removed_by_join_filter / loops) as i64));
            }
        }
    }
    if let Some(a) = a {
        let st = inclusive(p, &a.nodes, me);
        let mut extra = Vec::new();
        analyze_lines(p, &a.nodes[me], false, &mut extra);
        for (label, text) in extra {
            // The text format leaves out a bitmap heap scan's block counts when it read no block.
            if label == "Heap Blocks" && text == "exact=0" {
                continue;
            }
            lines.push(format!("{detail_indent}{label}: {text}"));
        }
        // An aggregate's rows removed by HAVING follow its hash table's figures.
        let own = &a.nodes[me];
        if is_agg(p) && !p.agg_filter.is_empty() && own.loops > 0.0 && own.removed_by_filter > 0.0 {
            lines.push(format!("{detail_indent}Rows Removed by Filter: {}", libm::rint(own.removed_by_filter / own.loops) as i64));
        }
        if opts.buffers {
            if let Some(b) = buffers_line(&st) {
                lines.push(format!("{detail_indent}Buffers: {b}"));
            }
        }
        for (w, parts) in worker_lines(p, own) {
            let text: Vec<String> = parts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            lines.push(format!("{detail_indent}Worker {w}:  {}", text.join("  ")));
        }
    }
    for (cid, c) in p.display_children(me) {
        *id = cid;
        match (c.subplan, c.initplan) {
            (Some(_), _) | (_, Some(_)) => {
                lines.push(format!("{detail_indent}{}", subplan_name(d, c)));
                text_node(d, c, opts, a, (depth + 1, pad + 2), id, lines);
            }
            _ if c.param_plan.is_some() => {
                lines.push(format!("{detail_indent}{}", subplan_name(d, c)));
                text_node(d, c, opts, a, (depth + 1, pad + 2), id, lines);
            }
            _ => text_node(d, c, opts, a, (depth + 1, pad), id, lines),
        }
    }
    *id = me + p.size();
}

/// `FORMAT JSON`, with PostgreSQL's keys.
pub fn json(d: &Deparse, plan: &Plan, opts: &ExplainOpts, analyzed: Option<&Analyzed>, planning: Planning) -> Value {
    let mut id = 0;
    let mut top = Map::new();
    top.insert("Plan".into(), json_node(d, plan, opts, analyzed, &mut id, None));
    if opts.buffers {
        // The session has its catalog cached: planning reads only its index probes.
        let mut group = Map::new();
        buffer_keys(&mut group, planning.shared_hit as i64, 0, 0);
        top.insert("Planning".into(), Value::Object(group));
    }
    if let Some(a) = analyzed {
        top.insert("Planning Time".into(), json!(round3(planning.ms)));
        top.insert("Triggers".into(), json!([]));
        top.insert("Execution Time".into(), json!(round3(a.execution_ms)));
    }
    Value::Array(vec![Value::Object(top)])
}

fn round3(x: f64) -> f64 {
    libm::rint(x * 1000.0) / 1000.0
}

fn json_node(d: &Deparse, p: &Plan, opts: &ExplainOpts, a: Option<&Analyzed>, id: &mut usize, parent: Option<&Plan>) -> Value {
    let me = *id;
    let mut m = Map::new();
    // FORMAT JSON names every aggregate "Aggregate" and gives its strategy separately.
    let node_type = if matches!(p.kind, Kind::HashAggregate | Kind::GroupAggregate) { "Aggregate" } else { p.kind.name() };
    m.insert("Node Type".into(), json!(node_type));
    if let Some(so) = p.set_op {
        m.insert("Strategy".into(), json!(if so.hashed { "Hashed" } else { "Sorted" }));
        let cmd = if so.cmd == crate::sql::SetCmd::Intersect { "Intersect" } else { "Except" };
        m.insert("Command".into(), json!(if so.all { format!("{cmd} All") } else { cmd.to_string() }));
    }
    if let Some(n) = p.select_no {
        m.insert("Alias".into(), json!(format!("*SELECT* {n}")));
    }
    if let Some(par) = parent {
        let rel = match par.kind {
            _ if p.is_initplan() => "InitPlan",
            _ if p.subplan.is_some() => "SubPlan",
            Kind::Append | Kind::MergeAppend => "Member",
            Kind::SubqueryScan => "Subquery",
            Kind::NestedLoop | Kind::HashJoin | Kind::MergeJoin => {
                if std::ptr::eq(par.children[0].as_ref(), p) {
                    "Outer"
                } else {
                    "Inner"
                }
            }
            _ => "Outer",
        };
        m.insert("Parent Relationship".into(), json!(rel));
        if p.subplan.is_some() || p.is_initplan() {
            m.insert("Subplan Name".into(), json!(subplan_name(d, p)));
        }
    }
    m.insert("Parallel Aware".into(), json!(p.parallel_aware));
    m.insert("Async Capable".into(), json!(false));
    if matches!(p.kind, Kind::NestedLoop | Kind::HashJoin | Kind::MergeJoin) {
        m.insert("Join Type".into(), json!(p.join_type.name()));
        m.insert("Inner Unique".into(), json!(inner_unique(d, p)));
    }
    if matches!(p.kind, Kind::Aggregate | Kind::HashAggregate | Kind::GroupAggregate) {
        let s = match p.kind {
            Kind::Aggregate => "Plain",
            Kind::HashAggregate => "Hashed",
            _ => "Sorted",
        };
        m.insert("Strategy".into(), json!(s));
        let mode = match p.split {
            crate::plan::AggSplit::Simple => "Simple",
            crate::plan::AggSplit::Partial => "Partial",
            crate::plan::AggSplit::Finalize => "Finalize",
        };
        m.insert("Partial Mode".into(), json!(mode));
    }
    if let Some(ix) = p.index {
        if p.kind != Kind::BitmapIndexScan {
            m.insert("Scan Direction".into(), json!(if p.backward { "Backward" } else { "Forward" }));
        }
        m.insert("Index Name".into(), json!(d.db.indexes[ix].name));
    }
    if let (Some(r), true) = (p.rel, p.kind != Kind::BitmapIndexScan) {
        let rel = &d.q.rels[r];
        match rel.cte_scan {
            Some(k) => m.insert("CTE Name".into(), json!(d.q.ctes[k].name)),
            None => m.insert("Relation Name".into(), json!(d.db.tables[rel.table].name)),
        };
        m.insert("Alias".into(), json!(rel.alias));
    }
    if opts.costs {
        m.insert("Startup Cost".into(), json!(libm::rint(p.startup * 100.0) / 100.0));
        m.insert("Total Cost".into(), json!(libm::rint(p.total * 100.0) / 100.0));
        m.insert("Plan Rows".into(), json!(p.rows as i64));
        m.insert("Plan Width".into(), json!(p.width as i64));
        if p.kind == Kind::HashAggregate {
            // The partitions the planner expects to spill (none: dbsim's hash tables fit).
            m.insert("Planned Partitions".into(), json!(0));
        }
    }
    if let Some(a) = a {
        let st = &a.nodes[me];
        let l = st.loops.max(1.0);
        if opts.timing {
            m.insert("Actual Startup Time".into(), json!(round3(st.startup_ms / l)));
            m.insert("Actual Total Time".into(), json!(round3(st.total_ms / l)));
        }
        m.insert("Actual Rows".into(), json!(libm::rint(st.rows / l) as i64));
        m.insert("Actual Loops".into(), json!(st.loops as i64));
    }
    for (label, text) in d.details(p) {
        match label {
            "Sort Key" | "Group Key" => {
                let keys: Vec<String> = p.keys.iter().map(|(o, dsc)| d.key(p, *o, *dsc)).collect();
                m.insert(label.into(), json!(keys));
            }
            "Presorted Key" => {
                let keys: Vec<String> = p.keys[..p.presorted.min(p.keys.len())].iter().map(|(o, dsc)| d.key(p, *o, *dsc)).collect();
                m.insert(label.into(), json!(keys));
            }
            "Workers Planned" => {
                m.insert(label.into(), json!(p.workers));
            }
            _ => {
                m.insert(label.into(), json!(text));
            }
        }
    }
    if let Some(a) = a {
        let mut extra = Vec::new();
        analyze_lines(p, &a.nodes[me], true, &mut extra);
        let st = &a.nodes[me];
        for (label, text) in extra {
            match label.as_str() {
                "Sort Method" => {
                    let (method, rest) = text.split_once("  ").unwrap_or((&text, ""));
                    m.insert("Sort Method".into(), json!(method));
                    m.insert("Sort Space Used".into(), json!(st.memory_kb as i64));
                    m.insert("Sort Space Type".into(), json!(if rest.starts_with("Disk") { "Disk" } else { "Memory" }));
                }
                "Full-sort Groups" => {
                    let kb = st.memory_kb as i64;
                    m.insert(
                        "Full-sort Groups".into(),
                        json!({ "Group Count": st.buckets as i64, "Sort Methods Used": ["quicksort"], "Sort Space Memory": { "Average Sort Space Used": kb, "Peak Sort Space Used": kb } }),
                    );
                }
                "Buckets" => {
                    m.insert("Hash Buckets".into(), json!(st.buckets as i64));
                    m.insert("Original Hash Buckets".into(), json!(st.buckets as i64));
                    m.insert("Hash Batches".into(), json!(st.batches as i64));
                    m.insert("Original Hash Batches".into(), json!(st.batches as i64));
                    m.insert("Peak Memory Usage".into(), json!(st.memory_kb as i64));
                }
                "Batches" => {
                    m.insert("HashAgg Batches".into(), json!(st.batches as i64));
                    m.insert("Peak Memory Usage".into(), json!(st.memory_kb as i64));
                    m.insert("Disk Usage".into(), json!(0));
                }
                "Hits" => {
                    m.insert("Cache Hits".into(), json!(st.cache_hits as i64));
                    m.insert("Cache Misses".into(), json!(st.cache_misses as i64));
                    m.insert("Cache Evictions".into(), json!(0));
                    m.insert("Cache Overflows".into(), json!(0));
                    m.insert("Peak Memory Usage".into(), json!(st.memory_kb as i64));
                }
                "Heap Blocks" => {
                    m.insert("Exact Heap Blocks".into(), json!(st.heap_blocks as i64));
                    m.insert("Lossy Heap Blocks".into(), json!(0));
                }
                "Rows Removed by Filter" | "Rows Removed by Join Filter" | "Heap Fetches" | "Workers Launched" => {
                    m.insert(label.clone(), json!(text.parse::<i64>().unwrap_or(0)));
                }
                _ => {}
            }
        }
        // An index scan and a bitmap heap scan report the rows their recheck removed (none).
        if matches!(p.kind, Kind::IndexScan | Kind::IndexOnlyScan) && !p.index_cond.is_empty() || p.kind == Kind::BitmapHeapScan {
            m.insert("Rows Removed by Index Recheck".into(), json!(0));
        }
        if opts.buffers {
            let inc = inclusive(p, &a.nodes, me);
            buffer_keys(&mut m, inc.shared_hit as i64, inc.temp_read as i64, inc.temp_written as i64);
        }
        // A node the workers ran lists what each one's sort or hash table did.
        if st.workers > 0.0 {
            let workers: Vec<Value> = worker_lines(p, st)
                .into_iter()
                .map(|(w, _)| {
                    let mut o = Map::new();
                    o.insert("Worker Number".into(), json!(w));
                    if let (Kind::Sort, Some(m)) = (p.kind, st.sort_method) {
                        o.insert("Sort Method".into(), json!(crate::cost::method_name(m)));
                        o.insert("Sort Space Used".into(), json!(st.memory_kb as i64));
                        o.insert("Sort Space Type".into(), json!(if m == SortMethod::External { "Disk" } else { "Memory" }));
                    }
                    if p.kind == Kind::HashAggregate {
                        o.insert("HashAgg Batches".into(), json!(st.batches as i64));
                        o.insert("Peak Memory Usage".into(), json!(st.memory_kb as i64));
                        o.insert("Disk Usage".into(), json!(0));
                    }
                    Value::Object(o)
                })
                .collect();
            m.insert("Workers".into(), Value::Array(workers));
        }
    }
    if p.kind == Kind::Gather {
        m.insert("Single Copy".into(), json!(false));
    }
    if matches!(p.kind, Kind::Append | Kind::MergeAppend) {
        // Partitions pruned at run time (dbsim has no partitions).
        m.insert("Subplans Removed".into(), json!(0));
    }
    if !p.children.is_empty() {
        let kids: Vec<Value> = p
            .display_children(me)
            .into_iter()
            .map(|(cid, c)| {
                *id = cid;
                json_node(d, c, opts, a, id, Some(p))
            })
            .collect();
        m.insert("Plans".into(), Value::Array(kids));
    }
    Value::Object(in_pg_order(m, is_agg(p)))
}

/// The order in which PostgreSQL 15's `ExplainNode` writes a node's keys in FORMAT JSON (keys
/// that never meet in one node, such as a scan's and a join's, share the list).
const KEY_ORDER: &[&str] = &[
    "Node Type",
    "Strategy",
    "Partial Mode",
    "Parent Relationship",
    "Subplan Name",
    "Parallel Aware",
    "Async Capable",
    "Command",
    "Scan Direction",
    "Index Name",
    "Relation Name",
    "CTE Name",
    "Alias",
    "Join Type",
    "Startup Cost",
    "Total Cost",
    "Plan Rows",
    "Plan Width",
    "Actual Startup Time",
    "Actual Total Time",
    "Actual Rows",
    "Actual Loops",
    "Inner Unique",
    "Sort Key",
    "Presorted Key",
    "Group Key",
    "Cache Key",
    "Cache Mode",
    "Index Cond",
    "Recheck Cond",
    "Hash Cond",
    "Merge Cond",
    "Rows Removed by Index Recheck",
    "Join Filter",
    "Rows Removed by Join Filter",
    "Filter",
    "Rows Removed by Filter",
    "Workers Planned",
    "Workers Launched",
    "Single Copy",
    "Full-sort Groups",
    "Sort Method",
    "Sort Space Used",
    "Sort Space Type",
    "Planned Partitions",
    "HashAgg Batches",
    "Hash Buckets",
    "Original Hash Buckets",
    "Hash Batches",
    "Original Hash Batches",
    "Cache Hits",
    "Cache Misses",
    "Cache Evictions",
    "Cache Overflows",
    "Peak Memory Usage",
    "Disk Usage",
    "Heap Fetches",
    "Exact Heap Blocks",
    "Lossy Heap Blocks",
    "Shared Hit Blocks",
    "Shared Read Blocks",
    "Shared Dirtied Blocks",
    "Shared Written Blocks",
    "Local Hit Blocks",
    "Local Read Blocks",
    "Local Dirtied Blocks",
    "Local Written Blocks",
    "Temp Read Blocks",
    "Temp Written Blocks",
    "Workers",
    "Subplans Removed",
    "Plans",
];

/// `m`'s keys in [`KEY_ORDER`] (a key the list lacks goes last).
fn in_pg_order(mut m: Map<String, Value>, agg: bool) -> Map<String, Value> {
    // An aggregate prints its hash table's figures between its Filter and the rows it removed
    // (ExplainNode, T_Agg): its order moves "Rows Removed by Filter" after "Disk Usage".
    const REMOVED: &str = "Rows Removed by Filter";
    let order = KEY_ORDER.iter().filter(|k| !agg || **k != REMOVED).flat_map(|k| if agg && *k == "Disk Usage" { vec![*k, REMOVED] } else { vec![*k] });
    let mut out = Map::new();
    for k in order {
        if let Some(v) = m.shift_remove(k) {
            out.insert(k.to_string(), v);
        }
    }
    out.extend(m);
    out
}

/// The buffer keys of BUFFERS in FORMAT JSON: dbsim reads every page from shared buffers and
/// dirties or writes none; a sort or hash that spills reads and writes its temp blocks.
fn buffer_keys(m: &mut Map<String, Value>, shared_hit: i64, temp_read: i64, temp_written: i64) {
    for (k, v) in [
        ("Shared Hit Blocks", shared_hit),
        ("Shared Read Blocks", 0),
        ("Shared Dirtied Blocks", 0),
        ("Shared Written Blocks", 0),
        ("Local Hit Blocks", 0),
        ("Local Read Blocks", 0),
        ("Local Dirtied Blocks", 0),
        ("Local Written Blocks", 0),
        ("Temp Read Blocks", temp_read),
        ("Temp Written Blocks", temp_written),
    ] {
        m.insert(k.into(), json!(v));
    }
}

/// PostgreSQL's `innerrel_is_unique` for a join node: its inner side is one table with a unique
/// index whose every column is equated to a column of the outer side.
fn inner_unique(d: &Deparse, p: &Plan) -> bool {
    let (Some(outer), Some(inner)) = (p.children.first(), p.children.get(1)) else { return false };
    // PostgreSQL never proves a semi or anti join's inner side unique; a semi join's inner side
    // made unique is unique for the outer side it was made for.
    if matches!(p.join_type, crate::plan::JoinType::Semi | crate::plan::JoinType::Anti) {
        return false;
    }
    let below = if inner.kind == Kind::Hash { inner.children.first().unwrap_or(inner) } else { inner };
    if below.dedup {
        return true;
    }
    if inner.relids.count_ones() != 1 {
        return false;
    }
    let r = inner.relids.trailing_zeros() as usize;
    // A CTE Scan has no index to prove anything unique.
    if d.q.rels[r].cte_scan.is_some() {
        return false;
    }
    let equated: Vec<usize> =
        d.q.quals
            .iter()
            .chain(d.q.outer.iter().flat_map(|o| &o.join_quals))
            .filter_map(|q| match q {
                crate::bind::Qual::ColCmp { l, op: crate::sql::CmpOp::Eq, r: o } if l.0 == r && outer.relids & (1 << o.0) != 0 => Some(l.1),
                crate::bind::Qual::ColCmp { l: o, op: crate::sql::CmpOp::Eq, r: l } if l.0 == r && outer.relids & (1 << o.0) != 0 => Some(l.1),
                _ => None,
            })
            .collect();
    let table = d.q.rels[r].table;
    d.db.indexes.iter().any(|ix| ix.table == table && ix.unique && ix.columns.iter().all(|c| equated.contains(c)))
}

/// A planned (and perhaps executed) statement.
#[derive(Debug)]
pub struct Explained {
    pub query: Query,
    pub plan: std::rc::Rc<Plan>,
    pub opts: ExplainOpts,
    pub analyzed: Option<Analyzed>,
    pub planning: Planning,
}

impl Explained {
    pub fn text(&self, db: &Database) -> String {
        text(&Deparse { db, q: &self.query }, &self.plan, &self.opts, self.analyzed.as_ref(), self.planning)
    }
    pub fn json(&self, db: &Database) -> serde_json::Value {
        json(&Deparse { db, q: &self.query }, &self.plan, &self.opts, self.analyzed.as_ref(), self.planning)
    }
    /// The output in the statement's own format.
    pub fn render(&self, db: &Database) -> String {
        match self.opts.format {
            crate::sql::Format::Text => self.text(db),
            crate::sql::Format::Json => json_text(&self.json(db)),
        }
    }
}

/// Parses and resolves a statement.
pub fn prepare(db: &Database, sql_text: &str) -> Result<(Option<ExplainOpts>, Query), crate::sql::SqlError> {
    let st = crate::sql::parse(sql_text)?;
    let q = crate::bind::bind(db, &st.select)?;
    Ok((st.explain, q))
}

/// Plans a statement and, for EXPLAIN ANALYZE (or when `opts` asks), runs it. A plain SELECT is
/// explained as `EXPLAIN` would.
pub fn explain(db: &Database, sql_text: &str, opts: Option<ExplainOpts>) -> Result<Explained, crate::sql::SqlError> {
    let (own, mut query) = prepare(db, sql_text)?;
    let opts = opts.or(own).unwrap_or_default();
    let probes = crate::selfuncs::Probes::default();
    let plan = crate::plan::Planner::new(db, &query, &probes).plan();
    crate::plan::setop::name_relations(&mut query, &plan);
    let plan = crate::plan::minmax::number_initplans(&mut query, &plan);
    // subplan_is_hashable: a NOT IN subquery whose rows would not fit in hash_mem is a plain
    // SubPlan, rescanned for every row; dbsim does not model that.
    let mut nodes = Vec::new();
    plan.walk(&mut nodes);
    for n in nodes.iter().filter(|n| n.subplan.is_some()) {
        let bytes = n.rows * (crate::catalog::maxalign(n.width as usize) as f64 + 24.0);
        if bytes > db.settings.hash_mem_bytes() {
            let pos = query.subplans.get(n.subplan.unwrap_or(0)).map_or(0, |sp| sp.pos);
            return Err(crate::sql::SqlError::not_modelled(
                pos,
                &format!("a NOT IN subquery of about {} rows, too many to hash in work_mem × hash_mem_multiplier (a plain SubPlan, run again for every row)", n.rows as i64),
            ));
        }
    }
    // Planning time is modelled from the search's size: the same for every run.
    let planning_ms = 0.04 + 0.03 * (query.rels.len() * query.rels.len()) as f64 + 0.005 * query.quals.len() as f64;
    // A plan that would run away is refused with its estimate before it runs (its page stays
    // responsive); one whose estimate was too low is stopped by the executor's own budget.
    if opts.analyze {
        let mut nodes = Vec::new();
        plan.walk(&mut nodes);
        if let Some(n) = nodes.iter().filter(|n| n.rows > crate::exec::ROW_BUDGET as f64).max_by(|a, b| a.rows.total_cmp(&b.rows)) {
            return Err(crate::sql::SqlError::plain(format!(
                "EXPLAIN ANALYZE would run a {} estimated at {} rows; dbsim runs a plan only while each node's estimate stays within {} rows (EXPLAIN without ANALYZE shows the plan)",
                n.name(),
                libm::rint(n.rows) as i64,
                crate::exec::ROW_BUDGET
            )));
        }
    }
    let analyzed = if opts.analyze { Some(crate::exec::analyze(db, &query, &plan).map_err(crate::sql::SqlError::plain)?) } else { None };
    Ok(Explained { query, plan, opts, analyzed, planning: Planning { ms: planning_ms, shared_hit: probes.pages() } })
}

/// FORMAT JSON as PostgreSQL writes it: two-space indents, costs with two decimals and times
/// with three, a list of names on one line.
pub fn json_text(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, None, 0, &mut out);
    out
}

fn write_json(v: &Value, key: Option<&str>, depth: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match v {
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Object(m) => {
            out.push_str("{\n");
            for (i, (k, x)) in m.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                write_json(x, Some(k), depth + 1, out);
                out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(depth));
            out.push('}');
        }
        Value::Array(xs) if xs.iter().all(|x| !x.is_object() && !x.is_array()) => {
            let items: Vec<String> = xs.iter().map(Value::to_string).collect();
            out.push('[');
            out.push_str(&items.join(", "));
            out.push(']');
        }
        Value::Array(xs) => {
            out.push_str("[\n");
            for (i, x) in xs.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                write_json(x, None, depth + 1, out);
                out.push_str(if i + 1 < xs.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(depth));
            out.push(']');
        }
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or(0.0);
            let digits = match key {
                Some("Startup Cost" | "Total Cost") => 2,
                Some("Actual Startup Time" | "Actual Total Time" | "Planning Time" | "Execution Time") => 3,
                _ => 0,
            };
            out.push_str(&if digits > 0 { format!("{x:.digits$}") } else { n.to_string() });
        }
        other => out.push_str(&other.to_string()),
    }
}
