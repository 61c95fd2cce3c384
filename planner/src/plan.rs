//! Paths and the plan: scan paths per relation (sequential, index, index-only, bitmap, and
//! parameterised index scans for nested loops), join paths (nested loop with or without a
//! parameterised inner, Memoize and Materialize; hash join; merge join over sorts), join order by
//! dynamic programming over join relations as `standard_join_search` does, then grouping, ordering
//! and LIMIT on top. Paths are kept as PostgreSQL's `add_path` keeps them (cheaper, or better
//! sorted, within a 1 % fuzz).
use crate::bind::{ColRef, Output, Qual, Query};
use crate::catalog::Index;
use crate::cost::{self, relation_byte_size, Cost, IndexInput, SortMethod};
use crate::db::Database;
use crate::selfuncs::{clamp_row_est, Est};
use crate::settings::{Settings, DISABLE_COST};
use crate::sql::{AggFn, CmpOp, OjKind, SetCmd};
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    SeqScan,
    IndexScan,
    IndexOnlyScan,
    BitmapHeapScan,
    BitmapIndexScan,
    NestedLoop,
    HashJoin,
    MergeJoin,
    Hash,
    Sort,
    IncrementalSort,
    Aggregate,
    HashAggregate,
    GroupAggregate,
    Limit,
    Materialize,
    Memoize,
    Unique,
    CteScan,
    WindowAgg,
    Append,
    MergeAppend,
    SubqueryScan,
    Result,
    /// INTERSECT or EXCEPT (`Plan::set_op` says which, and whether hashed).
    SetOp,
    Gather,
    GatherMerge,
}

impl Kind {
    /// The node's name as EXPLAIN prints it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::SeqScan => "Seq Scan",
            Kind::IndexScan => "Index Scan",
            Kind::IndexOnlyScan => "Index Only Scan",
            Kind::BitmapHeapScan => "Bitmap Heap Scan",
            Kind::BitmapIndexScan => "Bitmap Index Scan",
            Kind::NestedLoop => "Nested Loop",
            Kind::HashJoin => "Hash Join",
            Kind::MergeJoin => "Merge Join",
            Kind::Hash => "Hash",
            Kind::Sort => "Sort",
            Kind::IncrementalSort => "Incremental Sort",
            Kind::Aggregate => "Aggregate",
            Kind::HashAggregate => "HashAggregate",
            Kind::GroupAggregate => "GroupAggregate",
            Kind::Limit => "Limit",
            Kind::Materialize => "Materialize",
            Kind::Memoize => "Memoize",
            Kind::Unique => "Unique",
            Kind::CteScan => "CTE Scan",
            Kind::WindowAgg => "WindowAgg",
            Kind::Append => "Append",
            Kind::MergeAppend => "Merge Append",
            Kind::SubqueryScan => "Subquery Scan",
            Kind::Result => "Result",
            Kind::SetOp => "SetOp",
            Kind::Gather => "Gather",
            Kind::GatherMerge => "Gather Merge",
        }
    }
}

/// How a join treats rows without a match: an inner join drops them; a LEFT JOIN keeps the outer
/// side's, null-extended; a Right join is the same outer join with the nullable side as the outer
/// input (PostgreSQL's JOIN_RIGHT: hash or merge only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinType {
    Inner,
    Left,
    Right,
    /// Each outer row with a partner, once (EXISTS, IN (SELECT …)).
    Semi,
    /// Only the outer rows without a partner (PostgreSQL 15 has no Right anti join).
    Anti,
    /// Both sides' rows, null-extended where they have no partner (hash or merge only).
    Full,
}

impl JoinType {
    /// As FORMAT JSON's "Join Type" gives it.
    pub fn name(self) -> &'static str {
        match self {
            JoinType::Inner => "Inner",
            JoinType::Left => "Left",
            JoinType::Right => "Right",
            JoinType::Semi => "Semi",
            JoinType::Anti => "Anti",
            JoinType::Full => "Full",
        }
    }
}

/// An ordering: equivalence class and descending.
pub type PathKey = (usize, bool);

/// A plan node with its estimates (a path, once chosen).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub kind: Kind,
    /// A join's type (`Inner` for every other node).
    pub join_type: JoinType,
    pub startup: f64,
    pub total: f64,
    pub rows: f64,
    pub width: f64,
    pub children: Vec<Rc<Plan>>,
    pub rel: Option<usize>,
    pub index: Option<usize>,
    pub backward: bool,
    /// Index Cond (or Recheck Cond of a bitmap heap scan).
    pub index_cond: Vec<Qual>,
    pub filter: Vec<Qual>,
    /// Hash Cond / Merge Cond, written outer side first.
    pub join_cond: Vec<Qual>,
    pub join_filter: Vec<Qual>,
    /// Sort Key, Group Key or Cache Key.
    pub keys: Vec<(Output, bool)>,
    pub relids: u64,
    /// Relations a parameterised path needs from the outer side.
    pub param_rels: u64,
    pub pathkeys: Vec<PathKey>,
    pub sort_method: Option<SortMethod>,
    /// Leading sort keys an Incremental Sort's input already has.
    pub presorted: usize,
    /// Estimated (buckets, batches) of a Hash node.
    pub hash: Option<(f64, f64)>,
    /// The estimated number of times this node runs (a nested loop's inner side).
    pub loops: f64,
    /// A HashAggregate (or Unique) that only removes duplicate keys: a semi join's inner side
    /// made unique for an inner join (`create_unique_path`).
    pub dedup: bool,
    /// This node is the plan of `Query::subplans[k]`, a child of the node whose filter probes it
    /// (EXPLAIN prints "SubPlan n" above it, n its `plan_id`).
    pub subplan: Option<usize>,
    /// HAVING's conditions an aggregate node checks: aggregate `k` compared with a constant.
    pub agg_filter: Vec<(usize, CmpOp, i64)>,
    /// This node is the plan of materialized CTE `k` (`Query::ctes`), an InitPlan of the top
    /// node (EXPLAIN prints "CTE name" above it, before the node's other children).
    pub initplan: Option<usize>,
    /// This node is the plan of scalar subquery `k` (`Query::initplans`), an InitPlan of the top
    /// node ("InitPlan n (returns $p)").
    pub param_plan: Option<usize>,
    /// A Subquery Scan's SELECT: `n` of "*SELECT* n", a set operation's SELECT `n - 1`.
    pub select_no: Option<usize>,
    /// A SetOp's operation.
    pub set_op: Option<SetOpNode>,
    /// A partial path's workers (each process returns a share of its rows), or a Gather's
    /// planned workers; 0 for a plan every process runs whole.
    pub workers: usize,
    /// The node shares its work with the other processes ("Parallel Seq Scan").
    pub parallel_aware: bool,
    /// An aggregate's part in parallel aggregation.
    pub split: AggSplit,
    /// The arithmetic behind the cost, for the plan view.
    pub notes: Vec<String>,
}

/// `AGGSPLIT_*`: a whole aggregate, the part each process computes over its rows, or the
/// combination of the parts above a Gather.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AggSplit {
    #[default]
    Simple,
    Partial,
    Finalize,
}

/// What a SetOp node computes: INTERSECT or EXCEPT, with ALL or not, by hashing or over sorted
/// input; `left` holds the SELECTs (as relations) of its first input, the side EXCEPT keeps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SetOpNode {
    pub cmd: SetCmd,
    pub all: bool,
    pub hashed: bool,
    pub left: u64,
}

impl Plan {
    fn new(kind: Kind) -> Plan {
        Plan {
            kind,
            join_type: JoinType::Inner,
            startup: 0.0,
            total: 0.0,
            rows: 0.0,
            width: 0.0,
            children: Vec::new(),
            rel: None,
            index: None,
            backward: false,
            index_cond: Vec::new(),
            filter: Vec::new(),
            join_cond: Vec::new(),
            join_filter: Vec::new(),
            keys: Vec::new(),
            relids: 0,
            param_rels: 0,
            pathkeys: Vec::new(),
            sort_method: None,
            presorted: 0,
            hash: None,
            loops: 1.0,
            dedup: false,
            subplan: None,
            agg_filter: Vec::new(),
            initplan: None,
            param_plan: None,
            select_no: None,
            set_op: None,
            workers: 0,
            parallel_aware: false,
            split: AggSplit::Simple,
            notes: Vec::new(),
        }
    }
    /// A join node's common fields: its costs, size and relations.
    fn join(kind: Kind, (startup, total): (f64, f64), (rows, width): (f64, f64), relids: u64) -> Plan {
        let mut p = Plan::new(kind);
        p.startup = startup;
        p.total = total;
        p.rows = rows;
        p.width = width;
        p.relids = relids;
        p
    }

    fn with_cost(mut self, c: Cost) -> Plan {
        self.startup = c.startup;
        self.total = c.total;
        self.notes.extend(c.notes);
        self
    }
    /// The node's name as the text format prints it: `Hash Left Join`, `Nested Loop Left Join`.
    pub fn name(&self) -> String {
        if let Some(so) = self.set_op {
            return format!("{}SetOp {}{}", if so.hashed { "Hash" } else { "" }, if so.cmd == SetCmd::Intersect { "Intersect" } else { "Except" }, if so.all { " All" } else { "" });
        }
        let prefix = match (self.parallel_aware, self.split) {
            (true, _) => "Parallel ",
            (_, AggSplit::Partial) => "Partial ",
            (_, AggSplit::Finalize) => "Finalize ",
            _ => "",
        };
        if !prefix.is_empty() {
            let name = Plan { parallel_aware: false, split: AggSplit::Simple, ..self.clone() }.name();
            return format!("{prefix}{name}");
        }
        match (self.kind, self.join_type) {
            (_, JoinType::Inner) => self.kind.name().to_string(),
            (Kind::NestedLoop, jt) => format!("Nested Loop {} Join", jt.name()),
            (Kind::HashJoin, jt) => format!("Hash {} Join", jt.name()),
            (Kind::MergeJoin, jt) => format!("Merge {} Join", jt.name()),
            (k, _) => k.name().to_string(),
        }
    }

    /// Whether this node is an InitPlan of its parent (a materialized CTE's or a scalar
    /// subquery's plan).
    pub fn is_initplan(&self) -> bool {
        self.initplan.is_some() || self.param_plan.is_some()
    }

    /// The number of nodes in the tree.
    pub fn size(&self) -> usize {
        1 + self.children.iter().map(|c| c.size()).sum::<usize>()
    }

    /// The children as EXPLAIN shows them, each with its node number (node `me` being this one;
    /// nodes are numbered depth first in `children`'s order): InitPlans first, as ExplainNode
    /// prints them, then the others.
    pub fn display_children(&self, me: usize) -> Vec<(usize, &Rc<Plan>)> {
        let mut next = me + 1;
        let mut all: Vec<(usize, &Rc<Plan>)> = Vec::new();
        for c in &self.children {
            all.push((next, c));
            next += c.size();
        }
        let (mut first, rest): (Vec<_>, Vec<_>) = all.into_iter().partition(|(_, c)| c.is_initplan());
        first.extend(rest);
        first
    }

    /// Every node of the tree, depth first.
    pub fn walk<'a>(&'a self, out: &mut Vec<&'a Plan>) {
        out.push(self);
        for c in &self.children {
            c.walk(out);
        }
    }
}

/// `cost_qual_eval`: operator evaluations per row (`= ANY` of n values counts n/2).
pub fn qual_ops(quals: &[Qual]) -> f64 {
    quals.iter().map(qual_op).sum()
}

fn qual_op(q: &Qual) -> f64 {
    match q {
        Qual::Cmp { .. } | Qual::ColCmp { .. } => 1.0,
        Qual::In { vals, .. } => vals.len() as f64 * 0.5,
        Qual::IsNull { .. } => 0.0,
        // cost_subplan: a hashed SubPlan costs its test's operator per row (its own run is
        // startup cost of the node that evaluates it).
        Qual::NotIn { .. } => 1.0,
        // The comparison, and the cast to numeric an avg needs.
        Qual::Param { cast, .. } => 1.0 + f64::from(u8::from(*cast)),
        Qual::Or(arms) => arms.iter().map(|a| qual_ops(a)).sum(),
    }
}

/// A join relation of the search.
#[derive(Clone, Debug)]
struct JoinRel {
    relids: u64,
    rows: f64,
    width: f64,
    paths: Vec<Rc<Plan>>,
    /// Partial paths: each process (workers and leader) runs one and returns a share of the
    /// rows; a Gather above makes them whole.
    partial: Vec<Rc<Plan>>,
}

#[derive(Debug)]
pub struct Planner<'a> {
    pub db: &'a Database,
    pub q: &'a Query,
    pub s: &'a Settings,
    est: Est<'a>,
    base_rows: Vec<f64>,
    eclass: BTreeMap<ColRef, usize>,
    total_pages: f64,
    /// The query's conditions after equivalence-class deduction (`a = b AND b = 42` gives
    /// `a = 42` and drops `a = b`).
    pub quals: Vec<Qual>,
    /// Relations tied by an equivalence class with a constant: worth joining though no clause
    /// connects them.
    links: Vec<u64>,
    /// Equivalence classes equal to a constant.
    const_ecs: Vec<usize>,
    /// The query's LEFT JOINs: each nullable relation, its join conditions and `min_lefthand`.
    ojs: &'a [crate::bind::OuterJoin],
    /// Outer-join clauses a derived `inner = constant` made redundant: they count for nothing
    /// in the join's row estimate.
    oj_redundant: Vec<Qual>,
    /// The pair `make_join` is joining (rel1, rel2): a join clause of an equivalence class is
    /// built for it with rel1's member on the left, and PostgreSQL caches a merge join's scan
    /// fractions in that clause.
    pair: std::cell::Cell<(u64, u64)>,
    /// The columns the query's equality conditions join, in the order the conditions name them
    /// (an equivalence class's members in PostgreSQL's order).
    joined_cols: Vec<ColRef>,
}

const FUZZ: f64 = 1.01;

/// The equivalence class of a set operation's output column `k` is `SET_EC + k`; the columns of
/// the SELECTs a UNION ALL pulls up into its members are in it too.
const SET_EC: usize = 3_000_000;

pub mod minmax;
mod parallel;
pub mod setop;

impl<'a> Planner<'a> {
    /// A planner for `q`, counting the index probes its estimates make in `probes`.
    pub fn new(db: &'a Database, q: &'a Query, probes: &'a crate::selfuncs::Probes) -> Planner<'a> {
        let est = Est { db, q, probes, scope: probes.scope() };
        let s = &db.settings;
        // Equivalence classes from equality join clauses (union-find).
        let mut cols: Vec<ColRef> = q.needed_columns();
        cols.sort_unstable();
        let mut parent: Vec<usize> = (0..cols.len()).collect();
        fn find(p: &mut [usize], x: usize) -> usize {
            let mut x = x;
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for qual in &q.quals {
            if let Some((a, b)) = qual.equijoin() {
                if let (Ok(i), Ok(j)) = (cols.binary_search(&a), cols.binary_search(&b)) {
                    let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                    parent[ri] = rj;
                }
            }
        }
        let mut eclass = BTreeMap::new();
        for (i, c) in cols.iter().enumerate() {
            let root = find(&mut parent, i);
            eclass.insert(*c, root);
        }
        // An equivalence class holding a constant: every member equals it, and the equality joins
        // between members go (generate_base_implied_equalities_const).
        let mut quals = q.quals.clone();
        let mut links = Vec::new();
        let mut const_ecs = Vec::new();
        let mut classes: Vec<usize> = eclass.values().copied().collect();
        classes.sort_unstable();
        classes.dedup();
        for ec in classes {
            let members: Vec<ColRef> = eclass.iter().filter(|(_, e)| **e == ec).map(|(c, _)| *c).collect();
            if members.len() < 2 {
                continue;
            }
            let konst = q.quals.iter().find_map(|x| match x {
                Qual::Cmp { c, op: CmpOp::Eq, v } if members.contains(c) && *v != crate::catalog::NULL => Some(*v),
                _ => None,
            });
            let Some(v) = konst else { continue };
            quals.retain(|x| !x.equijoin().is_some_and(|(a, b)| members.contains(&a) && members.contains(&b)));
            for m in &members {
                let same_text = db.tables[q.rels[m.0].table].columns[m.1].text.is_none()
                    || members.iter().all(|o| db.tables[q.rels[o.0].table].columns[o.1].text == db.tables[q.rels[m.0].table].columns[m.1].text);
                let derived = Qual::Cmp { c: *m, op: CmpOp::Eq, v };
                if same_text && !quals.contains(&derived) {
                    quals.push(derived);
                }
            }
            links.push(members.iter().fold(0u64, |acc, c| acc | (1 << c.0)));
            const_ecs.push(ec);
        }
        // reconsider_outer_join_clauses: a LEFT JOIN's `outer = inner` clause whose outer column
        // equals a constant gives `inner = constant` on the nullable relation. The clause stays,
        // checked at the join, with no selectivity of its own.
        let mut oj_redundant = Vec::new();
        for oj in &q.outer {
            for jq in &oj.join_quals {
                let Some((a, b)) = jq.equijoin() else { continue };
                let (outer, inner) = match (a.0 == oj.nullable, b.0 == oj.nullable) {
                    (true, false) => (b, a),
                    (false, true) => (a, b),
                    _ => continue,
                };
                let konst = quals.iter().find_map(|x| match x {
                    Qual::Cmp { c, op: CmpOp::Eq, v } if *c == outer && *v != crate::catalog::NULL => Some(*v),
                    _ => None,
                });
                if let Some(v) = konst {
                    let derived = Qual::Cmp { c: inner, op: CmpOp::Eq, v };
                    if !quals.contains(&derived) {
                        quals.push(derived);
                    }
                    oj_redundant.push(jq.clone());
                }
            }
        }
        // `col = constant` forms an equivalence class of its own, and PostgreSQL puts the
        // restrictions it regenerates from classes after the table's other quals (Filter:
        // ((opened > 3600) AND (branch = 7)) for `branch = 7 AND opened > 3600`).
        let (mut ordinary, from_classes): (Vec<Qual>, Vec<Qual>) = quals.into_iter().partition(|x| !matches!(x, Qual::Cmp { op: CmpOp::Eq, v, .. } if *v != crate::catalog::NULL));
        ordinary.extend(from_classes);
        let quals = ordinary;
        let base_rows = (0..q.rels.len())
            .map(|r| {
                let mine: Vec<&Qual> = quals.iter().filter(|x| x.rels() == 1 << r).collect();
                clamp_row_est(est.tuples(r) * est.clauselist_sel(&mine))
            })
            .collect();
        let total_pages = q.rels.iter().map(|r| db.tables[r.table].pages).sum();
        // A UNION ALL's pulled-up members: their columns are the parent's (an ORDER BY of the
        // union is an order of each member's column).
        if let Some(so) = &q.set_op {
            let pulled = setop::pulled_up(q);
            for (r, cols) in so.columns.iter().enumerate().filter(|(r, _)| pulled & (1 << r) != 0) {
                for (k, &c) in cols.iter().enumerate() {
                    eclass.insert((r, c), SET_EC + k);
                }
            }
        }
        let mut joined_cols: Vec<ColRef> = Vec::new();
        for c in q.quals.iter().filter_map(Qual::equijoin).flat_map(|(a, b)| [a, b]) {
            if !joined_cols.contains(&c) {
                joined_cols.push(c);
            }
        }
        Planner { db, q, s, est, base_rows, eclass, total_pages, quals, links, const_ecs, ojs: &q.outer, oj_redundant, pair: Default::default(), joined_cols }
    }

    /// Startup cost matters only when a LIMIT will stop the plan early (`tuple_fraction > 0`).
    fn consider_startup(&self) -> bool {
        self.q.limit.is_some()
    }

    fn ec(&self, c: ColRef) -> usize {
        self.eclass.get(&c).copied().unwrap_or(usize::MAX - c.0 * 1000 - c.1)
    }

    fn output_ec(&self, o: Output) -> usize {
        match o {
            Output::Col(c) => self.ec(c),
            Output::Agg(k) => 1_000_000 + k,
            Output::Win(k) => 2_000_000 + k,
            Output::Set(k) => SET_EC + k,
        }
    }

    fn col_width(&self, c: ColRef) -> f64 {
        self.db.tables[self.q.rels[c.0].table].col_width(c.1)
    }

    /// Columns the query needs above every join: outputs, grouping, aggregate arguments, ordering.
    fn upper_columns(&self) -> Vec<ColRef> {
        let mut cols: Vec<ColRef> = Vec::new();
        for (_, o) in &self.q.outputs {
            if let Output::Col(c) = o {
                cols.push(*c);
            }
        }
        cols.extend(self.q.group_by.iter().copied());
        cols.extend(self.q.aggs.iter().filter_map(|a| a.arg));
        // What a plan of its own returns: a SubPlan's relation the column it is probed with, a
        // CTE's all the CTE's columns, a scalar subquery's its aggregate's argument.
        cols.extend(self.q.subplans.iter().map(|sp| sp.inner));
        cols.extend(self.q.ctes.iter().flat_map(|c| c.cols.iter().map(move |(_, ci)| (c.rel, *ci))));
        cols.extend(self.q.initplans.iter().filter_map(|ip| ip.agg.arg));
        // A window needs its columns and its functions' arguments.
        cols.extend(self.q.window.0.iter().copied());
        cols.extend(self.q.window.1.iter().map(|(c, _)| *c));
        cols.extend(self.q.windows.iter().filter_map(|w| w.arg));
        // A set operation's SELECTs return their columns.
        if let Some(so) = &self.q.set_op {
            cols.extend(so.columns.iter().enumerate().flat_map(|(r, cs)| cs.iter().map(move |&c| (r, c))));
        }
        for (o, _) in &self.q.order_by {
            if let Output::Col(c) = o {
                cols.push(*c);
            }
        }
        cols
    }

    /// Width of a relation set's output: its columns needed above it.
    fn width_of(&self, relids: u64) -> f64 {
        let mut cols = self.upper_columns();
        for qual in &self.q.quals {
            if qual.rels() & !relids != 0 {
                qual.columns(&mut cols);
            }
        }
        // An outer join's conditions are checked at the join: needed below it.
        for oj in self.ojs {
            for qual in &oj.join_quals {
                if (qual.rels() | 1 << oj.nullable) & !relids != 0 {
                    qual.columns(&mut cols);
                }
            }
        }
        cols.retain(|c| relids & (1 << c.0) != 0);
        cols.sort_unstable();
        cols.dedup();
        libm::rint(cols.iter().map(|&c| self.col_width(c)).sum())
    }

    /// Relation `r`'s own conditions, cheapest first (`order_qual_clauses`: by cost per row,
    /// keeping the written order among equals).
    fn restrict(&self, r: usize) -> Vec<Qual> {
        let mut v: Vec<Qual> = self.quals.iter().filter(|x| x.rels() == 1 << r).cloned().collect();
        v.sort_by(|a, b| qual_op(a).total_cmp(&qual_op(b)));
        v
    }

    /// Selectivity of restriction clauses on `r`, where `ColCmp`s reaching another relation are
    /// parameters (`var_eq_non_const`).
    fn restrict_sel(&self, r: usize, quals: &[Qual]) -> f64 {
        let mut plain: Vec<&Qual> = Vec::new();
        let mut s = 1.0;
        for q in quals {
            match q {
                Qual::ColCmp { l, op: CmpOp::Eq, r: o } if l.0 != o.0 => s *= self.est.eq_param_sel(if l.0 == r { *l } else { *o }),
                Qual::ColCmp { l, r: o, .. } if l.0 != o.0 => s *= crate::selfuncs::DEFAULT_INEQ_SEL,
                _ => plain.push(q),
            }
        }
        s * self.est.clauselist_sel(&plain)
    }

    // ---- scans ----

    fn scan_base(&self, kind: Kind, r: usize) -> Plan {
        let mut p = Plan::new(kind);
        p.rel = Some(r);
        p.relids = 1 << r;
        p.rows = self.base_rows[r];
        p.width = self.width_of(1 << r);
        p
    }

    /// A scan of `r` that evaluates its `NOT IN (SELECT …)` conditions: each hashed SubPlan runs
    /// once, before the scan's first row (cost_subplan: its total cost and one operator per row it
    /// loads are the scan's startup), and is the scan's last child.
    fn with_subplans(&self, mut p: Plan, r: usize) -> Plan {
        for sub in self.restrict(r).iter().filter_map(|q| if let Qual::NotIn { sub, .. } = q { Some(*sub) } else { None }) {
            let sp = self.subplan_plan(sub);
            let cost = sp.total + self.s.cpu_operator_cost * sp.rows;
            p.startup += cost;
            p.total += cost;
            p.notes.push(format!("hashed SubPlan {}: its plan {:.2} + cpu_operator_cost × {} rows into the hash table = {cost:.2}, once, at startup", self.q.subplans[sub].plan_id, sp.total, sp.rows));
            p.children.push(sp);
        }
        p
    }

    /// The plan of SubPlan `k`: its one relation's cheapest path for all its rows.
    pub fn subplan_plan(&self, k: usize) -> Rc<Plan> {
        let r = self.q.subplans[k].rel;
        let best = cheapest(&self.base_paths(r));
        Rc::new(Plan { subplan: Some(k), ..(*best).clone() })
    }

    /// The unparameterised paths of base relation `r`.
    fn base_paths(&self, r: usize) -> Vec<Rc<Plan>> {
        let paths = self.base_paths_all(r);
        prune(paths, self.consider_startup())
    }

    /// Every unparameterised path of base relation `r`, before add_path keeps the best.
    fn base_paths_all(&self, r: usize) -> Vec<Rc<Plan>> {
        let t = &self.db.tables[self.q.rels[r].table];
        let restrict = self.restrict(r);
        if self.q.rels[r].cte_scan.is_some() {
            // cost_ctescan: a tuplestore read per row, plus the row's cpu_tuple_cost and quals.
            let tuples = self.est.tuples(r);
            let mut p = self.scan_base(Kind::CteScan, r);
            p.total = (2.0 * self.s.cpu_tuple_cost + qual_ops(&restrict) * self.s.cpu_operator_cost) * tuples;
            p.notes.push(format!("{tuples} rows of the CTE × (2 × cpu_tuple_cost + its conditions)"));
            p.filter = restrict;
            return vec![Rc::new(self.with_subplans(p, r))];
        }
        let mut paths = Vec::new();
        let mut seq = self.scan_base(Kind::SeqScan, r).with_cost(cost::seqscan(self.s, t.pages, t.tuples, qual_ops(&restrict)));
        seq.filter = restrict.clone();
        paths.push(Rc::new(seq));
        let order_ecs: Vec<usize> = self.useful_orders();
        for (ix, idx) in self.db.indexes.iter().enumerate().filter(|(_, i)| i.table == self.q.rels[r].table) {
            let m = self.match_index(idx, r, &restrict, &[]);
            let lead_ec = self.ec((r, idx.columns[0]));
            let useful_order = order_ecs.contains(&lead_ec);
            if m.quals.is_empty() && !useful_order {
                continue;
            }
            for backward in [false, true] {
                if backward && !(useful_order && self.q.order_by.first().is_some_and(|(o, d)| *d && self.output_ec(*o) == lead_ec)) {
                    continue;
                }
                if let Some(p) = self.index_path(ix, r, &restrict, &m, 1.0, backward) {
                    paths.push(Rc::new(p));
                }
            }
            if !m.quals.is_empty() {
                paths.push(Rc::new(self.bitmap_path(ix, r, &restrict, &m, 1.0, self.base_rows[r])));
            }
        }
        paths.into_iter().map(|p| Rc::new(self.with_subplans((*p).clone(), r))).collect()
    }

    /// Orderings worth having: the ORDER BY's first key, GROUP BY keys, and merge-join keys.
    /// The order the query's upper steps want (`query_pathkeys`): its window's PARTITION BY and
    /// ORDER BY columns when it has window functions, else its ORDER BY.
    fn query_keys(&self) -> Vec<usize> {
        if self.q.windows.is_empty() {
            return self.q.order_by.iter().map(|(o, _)| self.output_ec(*o)).collect();
        }
        self.q.window.0.iter().chain(self.q.window.1.iter().map(|(c, _)| c)).map(|&c| self.ec(c)).collect()
    }

    fn useful_orders(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.query_keys().into_iter().take(1).collect();
        v.extend(self.q.group_by.iter().map(|&c| self.ec(c)));
        for q in &self.quals {
            if let Some((a, _)) = q.equijoin() {
                v.push(self.ec(a));
            }
        }
        // An outer join's clause keeps its sides in classes of their own: both are merge keys.
        for q in self.oj_quals() {
            if let Some((a, b)) = q.equijoin() {
                v.extend([self.ec(a), self.ec(b)]);
            }
        }
        v
    }

    /// `truncate_useless_pathkeys`: keep the leading keys that a later ORDER BY, GROUP BY or merge
    /// join with a relation outside `relids` can use; an ordering on a column equal to a constant
    /// is no ordering at all.
    fn useful_keys(&self, keys: &[PathKey], relids: u64) -> Vec<PathKey> {
        let mut wanted: Vec<usize> = self.query_keys();
        wanted.extend(self.q.group_by.iter().map(|&c| self.ec(c)));
        for q in &self.quals {
            if let Some((a, b)) = q.equijoin() {
                let (ia, ib) = (relids & (1 << a.0) != 0, relids & (1 << b.0) != 0);
                if ia != ib {
                    wanted.push(self.ec(a));
                }
            }
        }
        for q in self.oj_quals() {
            if let Some((a, b)) = q.equijoin() {
                let (ia, ib) = (relids & (1 << a.0) != 0, relids & (1 << b.0) != 0);
                if ia != ib {
                    wanted.push(if ia { self.ec(a) } else { self.ec(b) });
                }
            }
        }
        keys.iter().take_while(|(ec, _)| wanted.contains(ec) && !self.const_ecs.contains(ec)).copied().collect()
    }

    fn match_index(&self, idx: &Index, r: usize, restrict: &[Qual], params: &[Qual]) -> IndexMatch {
        let mut m = IndexMatch { quals: Vec::new(), unique_eq: idx.unique, num_sa: 1.0 };
        for &col in &idx.columns {
            let c = (r, col);
            let mut eq = false;
            for q in restrict {
                match q {
                    Qual::Cmp { c: qc, op, .. } if *qc == c && *op != CmpOp::Ne => {
                        m.quals.push(q.clone());
                        eq |= *op == CmpOp::Eq;
                    }
                    Qual::In { c: qc, vals } if *qc == c => {
                        m.quals.push(q.clone());
                        m.num_sa *= vals.len().max(1) as f64;
                        m.unique_eq = false;
                        eq = true;
                    }
                    Qual::IsNull { c: qc, not: false } if *qc == c => {
                        m.quals.push(q.clone());
                        m.unique_eq = false;
                        eq = true;
                    }
                    // A B-tree finds non-NULL keys too (amsearchnulls): a bound, not an equality.
                    Qual::IsNull { c: qc, not: true } if *qc == c => {
                        m.quals.push(q.clone());
                        m.unique_eq = false;
                    }
                    _ => {}
                }
            }
            for q in params {
                if let Qual::ColCmp { l, .. } = q {
                    if *l == c {
                        m.quals.push(q.clone());
                        eq = true;
                    }
                }
            }
            if !eq {
                m.unique_eq = false;
                break;
            }
        }
        m
    }

    fn index_input(&self, ix: usize, r: usize, m: &IndexMatch, loop_count: f64) -> IndexInput {
        let idx = &self.db.indexes[ix];
        let t = &self.db.tables[idx.table];
        let sel = self.restrict_sel(r, &m.quals);
        IndexInput {
            bound_sel: sel,
            index_sel: sel,
            n_index_quals: m.quals.len(),
            unique_eq: m.unique_eq,
            index_pages: idx.pages,
            tree_height: idx.tree_height,
            rel_tuples: t.tuples,
            rel_pages: t.pages,
            total_table_pages: self.total_pages,
            loop_count,
            correlation: self.est.stats((r, idx.columns[0])).and_then(|s| s.correlation).unwrap_or(0.0),
            ncolumns: idx.columns.len(),
            num_sa_scans: m.num_sa,
        }
    }

    fn index_path(&self, ix: usize, r: usize, restrict: &[Qual], m: &IndexMatch, loop_count: f64, backward: bool) -> Option<Plan> {
        let idx = &self.db.indexes[ix];
        let input = self.index_input(ix, r, m, loop_count);
        let ic = cost::btcost(self.s, &input);
        let filter: Vec<Qual> = restrict.iter().filter(|q| !m.quals.contains(q)).cloned().collect();
        // Index-only when every column the scan needs is in the index (tables are VACUUMed: all visible).
        let mut needed: Vec<ColRef> = Vec::new();
        for q in restrict {
            q.columns(&mut needed);
        }
        for c in self.q.needed_columns() {
            if c.0 == r && self.width_needed(c) {
                needed.push(c);
            }
        }
        let only = needed.iter().filter(|c| c.0 == r).all(|c| idx.columns.contains(&c.1));
        let kind = if only { Kind::IndexOnlyScan } else { Kind::IndexScan };
        let c = cost::index_scan(self.s, &ic, &input, qual_ops(&filter), only, 1.0);
        let mut p = self.scan_base(kind, r).with_cost(c);
        p.index = Some(ix);
        p.backward = backward;
        p.index_cond = m.quals.clone();
        p.filter = filter;
        let keys: Vec<PathKey> = idx.columns.iter().map(|&col| (self.ec((r, col)), backward)).collect();
        p.pathkeys = self.useful_keys(&keys, 1 << r);
        Some(p)
    }

    /// Whether column `c` is needed above its own relation's scan.
    fn width_needed(&self, c: ColRef) -> bool {
        let mut v = self.upper_columns();
        for q in &self.quals {
            if q.rels() != 1 << c.0 {
                q.columns(&mut v);
            }
        }
        // An outer join's conditions are all checked at the join, above every scan.
        for q in self.oj_quals() {
            q.columns(&mut v);
        }
        v.contains(&c)
    }

    fn bitmap_path(&self, ix: usize, r: usize, restrict: &[Qual], m: &IndexMatch, loop_count: f64, rel_rows: f64) -> Plan {
        let input = self.index_input(ix, r, m, loop_count);
        let ic = cost::btcost(self.s, &input);
        let index_rows = clamp_row_est(ic.selectivity * input.rel_tuples);
        let mut bi = Plan::new(Kind::BitmapIndexScan);
        bi.rel = Some(r);
        bi.index = Some(ix);
        bi.relids = 1 << r;
        bi.startup = 0.0;
        bi.total = ic.total;
        bi.rows = index_rows;
        bi.index_cond = m.quals.clone();
        bi.notes = ic.notes.clone();
        // The bitmap charges 0.1 × cpu_operator_cost per row of the index path, whose rows are the
        // relation's (cost_bitmap_tree_node uses the path's rows).
        let params = m.quals.iter().filter(|q| matches!(q, Qual::ColCmp { .. })).count() as f64;
        let c = cost::bitmap_heap(self.s, &ic, &input, rel_rows, qual_ops(restrict) + params);
        let mut p = self.scan_base(Kind::BitmapHeapScan, r).with_cost(c);
        p.index_cond = m.quals.clone();
        p.filter = restrict.iter().filter(|q| !m.quals.contains(q)).cloned().collect();
        p.children.push(Rc::new(bi));
        p
    }

    /// Parameterised index scans of base relation `r` usable inside a nested loop whose outer
    /// side holds `outer` (estimated `outer_rows` rows).
    fn param_paths(&self, r: usize, outer: u64) -> Vec<Rc<Plan>> {
        if self.q.rels[r].cte_scan.is_some() {
            return Vec::new();
        }
        let restrict = self.restrict(r);
        let mut params: Vec<Qual> = Vec::new();
        // An outer join's conditions parameterise its nullable relation's scan, once the outer side
        // holds its `min_lefthand` (a Nested Loop Left Join).
        // (A clause a derived `inner = constant` made redundant is only checked at the join.)
        let oj_quals = self.ojs.iter().filter(|oj| oj.nullable == r && outer & oj.min_lhs == oj.min_lhs).flat_map(|oj| &oj.join_quals).filter(|q| !self.oj_redundant.contains(q));
        // A semi join's conditions also parameterise its outer side's scan, inside a nested loop
        // over its inner relation made unique (JOIN_UNIQUE_OUTER).
        let semi_quals = self.ojs.iter().filter(|oj| oj.semi() && outer & (1 << oj.nullable) != 0).flat_map(|oj| &oj.join_quals);
        for q in self.quals.iter().chain(oj_quals).chain(semi_quals) {
            if let Qual::ColCmp { l, op: CmpOp::Eq, r: o } = q {
                if l.0 == r && outer & (1 << o.0) != 0 {
                    params.push(Qual::ColCmp { l: *l, op: CmpOp::Eq, r: *o });
                } else if o.0 == r && outer & (1 << l.0) != 0 {
                    params.push(Qual::ColCmp { l: *o, op: CmpOp::Eq, r: *l });
                }
            }
        }
        let mut out = Vec::new();
        if params.is_empty() {
            return out;
        }
        for (ix, idx) in self.db.indexes.iter().enumerate().filter(|(_, i)| i.table == self.q.rels[r].table) {
            let m = self.match_index(idx, r, &restrict, &params);
            let used: Vec<&Qual> = m.quals.iter().filter(|q| matches!(q, Qual::ColCmp { .. })).collect();
            if used.is_empty() {
                continue;
            }
            let param_rels = used.iter().fold(0, |m, q| m | q.rels()) & !(1 << r);
            // get_loop_count: the smallest row estimate among the relations supplying parameters.
            let loop_count = (0..self.q.rels.len()).filter(|o| param_rels & (1 << o) != 0).map(|o| self.base_rows[o]).fold(f64::INFINITY, f64::min).max(1.0);
            let mut all = restrict.clone();
            all.extend(used.iter().map(|q| (*q).clone()));
            let rows = clamp_row_est(self.est.tuples(r) * self.restrict_sel(r, &all));
            let mut paths = Vec::new();
            if let Some(p) = self.index_path(ix, r, &restrict, &m, loop_count, false) {
                paths.push(p);
            }
            paths.push(self.bitmap_path(ix, r, &restrict, &m, loop_count, rows));
            for mut p in paths {
                p.rows = rows;
                p.param_rels = param_rels;
                p.loops = loop_count;
                out.push(Rc::new(self.with_subplans(p, r)));
            }
        }
        out
    }

    // ---- joins ----

    fn join_clauses(&self, outer: u64, inner: u64) -> Vec<Qual> {
        let both = outer | inner;
        let mut out: Vec<Qual> = self.quals.iter().filter(|q| q.rels() & !both == 0 && q.rels() & !outer != 0 && q.rels() & !inner != 0).cloned().collect();
        // At an outer join's own step, its ON conditions join the two sides.
        if let Some(j) = self.oj_step(outer, inner).or_else(|| self.oj_step(inner, outer)) {
            out.extend(self.ojs[j].join_quals.iter().cloned());
        }
        out
    }

    /// Every outer join's own conditions.
    fn oj_quals(&self) -> impl Iterator<Item = &Qual> {
        self.ojs.iter().flat_map(|oj| &oj.join_quals)
    }

    /// The outer join that `lhs` joined to `rhs` performs: `rhs` is its nullable relation alone and
    /// `lhs` holds its `min_lefthand`.
    fn oj_step(&self, lhs: u64, rhs: u64) -> Option<usize> {
        self.ojs.iter().position(|oj| rhs == 1 << oj.nullable && lhs & rhs == 0 && lhs & oj.min_lhs == oj.min_lhs)
    }

    /// `join_is_legal` for LEFT JOINs with one nullable relation: a side that holds only a
    /// nullable relation joins a side holding its `min_lefthand` (the outer join itself); a
    /// nullable relation never meets anything else before that.
    fn join_is_legal(&self, a: u64, b: u64) -> bool {
        self.ojs.iter().all(|oj| {
            let nb = 1u64 << oj.nullable;
            if oj.kind == OjKind::Full {
                // A FULL JOIN's two tables meet each other before anything else.
                let both = nb | oj.min_lhs;
                let split = |x: u64| x & both != 0 && x & both != both;
                return !(split(a) || split(b)) || (a == nb && b == oj.min_lhs) || (b == nb && a == oj.min_lhs);
            }
            if a == nb {
                b & oj.min_lhs == oj.min_lhs
            } else if b == nb {
                a & oj.min_lhs == oj.min_lhs
            } else {
                true
            }
        })
    }

    /// Whether some join condition (an outer join's included) ties `a` to relations outside it.
    fn has_join_clause(&self, a: u64) -> bool {
        let outside = |m: u64| m & a != 0 && m & !a != 0;
        self.quals.iter().any(|q| outside(q.rels())) || self.links.iter().any(|l| outside(*l)) || self.ojs.iter().any(|oj| outside(oj.join_quals.iter().fold(1 << oj.nullable, |m, q| m | q.rels())))
    }

    /// `cost_rescan`: (startup, total) of running a node again.
    fn rescan(&self, p: &Plan) -> (f64, f64) {
        match p.kind {
            Kind::Materialize | Kind::Sort => {
                let mut run = self.s.cpu_operator_cost * p.rows;
                let bytes = relation_byte_size(p.rows, p.width);
                if bytes > self.s.work_mem * 1024.0 {
                    run += self.s.seq_page_cost * libm::ceil(bytes / crate::catalog::BLCKSZ);
                }
                (0.0, run)
            }
            Kind::Memoize => self.memoize_rescan(p),
            _ => (p.startup, p.total),
        }
    }

    fn nestloop(&self, outer: &Rc<Plan>, inner: &Rc<Plan>, join_filter: Vec<Qual>, rows: f64, width: f64, x: &JoinExtra) -> Plan {
        let s = self.s;
        let (rs, rt) = self.rescan(inner);
        let mut startup = outer.startup + inner.startup;
        let outer_rows = outer.rows;
        let mut run = outer.total - outer.startup;
        if outer_rows > 1.0 {
            run += (outer_rows - 1.0) * rs;
        }
        let inner_run = inner.total - inner.startup;
        let inner_rescan_run = rt - rs;
        let ntuples = if x.semi {
            // The inner side is unique: the executor stops at the first match (final_cost_nestloop).
            let mut matched = libm::rint(outer_rows * x.match_frac);
            let mut unmatched = outer_rows - matched;
            let frac = 2.0 / (x.match_count + 1.0);
            let mut nt = matched * inner.rows * frac;
            let indexed = matches!(inner.kind, Kind::IndexScan | Kind::IndexOnlyScan) && inner.param_rels != 0 && join_filter.is_empty();
            if indexed {
                run += inner_run * frac;
                if matched > 1.0 {
                    run += (matched - 1.0) * inner_rescan_run * frac;
                }
                run += unmatched * inner_rescan_run / inner.rows.max(1.0);
            } else {
                nt += unmatched * inner.rows;
                run += inner_run;
                if unmatched >= 1.0 {
                    unmatched -= 1.0;
                } else {
                    matched -= 1.0;
                }
                if matched > 0.0 {
                    run += matched * inner_rescan_run * frac;
                }
                if unmatched > 0.0 {
                    run += unmatched * inner_rescan_run;
                }
            }
            nt
        } else {
            run += inner_run;
            if outer_rows > 1.0 {
                run += (outer_rows - 1.0) * inner_rescan_run;
            }
            outer_rows * inner.rows
        };
        let cpu = (s.cpu_tuple_cost + qual_ops(&join_filter) * s.cpu_operator_cost) * ntuples;
        run += cpu;
        if !s.enable_nestloop {
            startup += DISABLE_COST;
        }
        let mut p = Plan::join(Kind::NestedLoop, (startup, startup + run), (rows, width), outer.relids | inner.relids);
        p.pathkeys = self.useful_keys(&outer.pathkeys, p.relids);
        // Equalities rebuilt from their equivalence class print outer side first; an outer join's
        // own clause prints as written.
        let written = |q: &Qual| self.oj_quals().any(|x| x == q);
        p.join_filter = join_filter
            .into_iter()
            .map(|q| match q.equijoin() {
                Some((a, b)) if inner.relids & (1 << a.0) != 0 && !written(&q) => Qual::ColCmp { l: b, op: CmpOp::Eq, r: a },
                _ => q,
            })
            .collect();
        p.notes.push(format!("outer {:.2} + {outer_rows} loops of the inner (rescan {rs:.2}..{rt:.2}) + {ntuples} pairs × (cpu_tuple_cost + join filter) = {cpu:.2}", outer.total));
        p.children = vec![outer.clone(), inner.clone()];
        p
    }

    fn material(&self, inner: &Rc<Plan>) -> Plan {
        let mut p = Plan::new(Kind::Materialize);
        let mut run = inner.total - inner.startup + 2.0 * self.s.cpu_operator_cost * inner.rows;
        let bytes = relation_byte_size(inner.rows, inner.width);
        if bytes > self.s.work_mem * 1024.0 {
            run += self.s.seq_page_cost * libm::ceil(bytes / crate::catalog::BLCKSZ);
        }
        p.startup = inner.startup;
        p.total = inner.startup + run;
        p.rows = inner.rows;
        p.width = inner.width;
        p.relids = inner.relids;
        p.pathkeys = inner.pathkeys.clone();
        p.children = vec![inner.clone()];
        p.notes.push("2 × cpu_operator_cost per row stored; a rescan costs cpu_operator_cost per row".into());
        p
    }

    /// Memoize over a parameterised inner, keyed by the outer columns it takes.
    fn memoize(&self, inner: &Rc<Plan>, keys: Vec<ColRef>, calls: f64) -> Plan {
        let mut p = Plan::new(Kind::Memoize);
        p.startup = inner.startup + self.s.cpu_tuple_cost;
        p.total = inner.total + self.s.cpu_tuple_cost;
        p.rows = inner.rows;
        p.width = inner.width;
        p.relids = inner.relids;
        p.param_rels = inner.param_rels;
        p.loops = calls;
        p.keys = keys.into_iter().map(|c| (Output::Col(c), false)).collect();
        p.children = vec![inner.clone()];
        p
    }

    /// `cost_memoize_rescan`.
    fn memoize_rescan(&self, p: &Plan) -> (f64, f64) {
        let s = self.s;
        let inner = &p.children[0];
        let tuples = inner.rows;
        let calls = p.loops.max(1.0);
        let keys: Vec<ColRef> = p.keys.iter().filter_map(|(o, _)| if let Output::Col(c) = o { Some(*c) } else { None }).collect();
        let ndistinct = self.num_groups(&keys, calls);
        let entry = relation_byte_size(tuples, inner.width) + 64.0 + 16.0 * tuples;
        let entries = libm::floor(s.hash_mem_bytes() / entry).max(1.0);
        let evict = 1.0 - entries.min(ndistinct) / ndistinct;
        let hit = ((calls - ndistinct) / calls) * (entries / ndistinct.max(entries));
        let mut total = inner.total * (1.0 - hit) + s.cpu_operator_cost;
        total += s.cpu_tuple_cost * evict;
        total += s.cpu_operator_cost / 10.0 * evict * tuples;
        total += s.cpu_tuple_cost + s.cpu_operator_cost * tuples;
        let startup = inner.startup * (1.0 - hit) + s.cpu_tuple_cost;
        (startup, total)
    }

    /// `estimate_hash_bucket_stats` for the inner side's key: (bucket size fraction, MCV frequency).
    fn bucket_stats(&self, c: ColRef, nbuckets: f64) -> (f64, f64) {
        let mcv_freq = self.est.stats(c).and_then(|s| s.mcf.first().copied()).unwrap_or(0.0);
        let (mut nd, isdefault) = self.est.numdistinct(c);
        if isdefault {
            return ((1.0 / nbuckets).max(0.1), mcv_freq);
        }
        let nullfrac = self.est.stats(c).map_or(0.0, |s| s.null_frac);
        let avgfreq = (1.0 - nullfrac) / nd;
        let tuples = self.est.tuples(c.0);
        if tuples > 0.0 {
            nd = clamp_row_est(nd * self.base_rows[c.0] / tuples);
        }
        let mut f = if nd > nbuckets { 1.0 / nbuckets } else { 1.0 / nd };
        if avgfreq > 0.0 && mcv_freq > avgfreq {
            f *= mcv_freq / avgfreq;
        }
        (f.clamp(1.0e-6, 1.0), mcv_freq)
    }

    fn hashjoin(&self, outer: &Rc<Plan>, inner: &Rc<Plan>, clauses: Vec<Qual>, other: Vec<Qual>, x: &JoinExtra) -> Plan {
        let (rows, width) = (x.rows, x.width);
        let s = self.s;
        let n = clauses.len() as f64;
        let mut startup = outer.startup + inner.total + (s.cpu_operator_cost * n + s.cpu_tuple_cost) * inner.rows;
        let mut run = outer.total - outer.startup + s.cpu_operator_cost * n * outer.rows;
        let (mut buckets, mut batches) = cost::hash_table_size_in(inner.rows, inner.width, s.hash_mem_bytes() * x.hash_mem_factor);
        if batches > 1.0 && x.hash_mem_factor > 1.0 {
            // Too large even for the pooled memory: each process's hash_mem, in batches.
            (buckets, batches) = cost::hash_table_size(s, inner.rows, inner.width);
        }
        if batches > 1.0 {
            let op = cost::page_size(outer.rows, outer.width);
            let ip = cost::page_size(inner.rows, inner.width);
            startup += s.seq_page_cost * ip;
            run += s.seq_page_cost * (ip + 2.0 * op);
        }
        let (mut bucketsize, mut mcvfreq) = (1.0f64, 1.0f64);
        if inner.dedup {
            // A unique-ified inner has one row per key: 1/nbuckets, and no common value.
            (bucketsize, mcvfreq) = (1.0 / (buckets * batches), 0.0);
        }
        for c in clauses.iter().filter(|_| !inner.dedup) {
            if let Qual::ColCmp { r, .. } = c {
                let (b, m) = self.bucket_stats(*r, buckets * batches);
                bucketsize = bucketsize.min(b);
                mcvfreq = mcvfreq.min(m);
            }
        }
        if relation_byte_size(clamp_row_est(inner.rows * mcvfreq), inner.width) > s.hash_mem_bytes() {
            startup += DISABLE_COST;
        }
        let hq = s.cpu_operator_cost * n;
        let (probe, hashjointuples) = if x.semi {
            let matched = libm::rint(outer.rows * x.match_frac);
            let frac = 2.0 / (x.match_count + 1.0);
            let probe = hq * matched * clamp_row_est(inner.rows * bucketsize * frac) * 0.5 + hq * (outer.rows - matched) * clamp_row_est(inner.rows / (buckets * batches)) * 0.05;
            (probe, if x.jt == JoinType::Anti { outer.rows - matched } else { matched })
        } else {
            (hq * outer.rows * clamp_row_est(inner.rows * bucketsize) * 0.5, clamp_row_est(outer.rows * inner.rows * x.hash_sel))
        };
        run += probe;
        let cpu = (s.cpu_tuple_cost + qual_ops(&other) * s.cpu_operator_cost) * hashjointuples;
        run += cpu;
        if !s.enable_hashjoin {
            startup += DISABLE_COST;
        }
        let mut hash = Plan::new(Kind::Hash);
        hash.startup = inner.total;
        hash.total = inner.total;
        hash.rows = inner.rows;
        hash.width = inner.width;
        hash.relids = inner.relids;
        hash.hash = Some((buckets, batches));
        hash.children = vec![inner.clone()];
        hash.notes.push(format!("{buckets} buckets, {batches} batch(es) for {} rows of width {} within work_mem × hash_mem_multiplier", inner.rows, inner.width));
        let mut p = Plan::join(Kind::HashJoin, (startup, startup + run), (rows, width), outer.relids | inner.relids);
        p.join_cond = clauses;
        p.join_filter = other;
        p.notes.push(format!(
            "build: inner {:.2} + (cpu_operator_cost × {n} + cpu_tuple_cost) per inner row; probe: {} outer rows × ~{} rows per bucket / 2 = {probe:.2}; output {rows} rows = {cpu:.2}",
            inner.total,
            outer.rows,
            clamp_row_est(inner.rows * bucketsize)
        ));
        p.children = vec![outer.clone(), Rc::new(hash)];
        p
    }

    /// `input` in `keys` order: as it is if it already is, else under a Sort.
    fn sorted(&self, input: &Rc<Plan>, keys: &[(Output, bool)], limit: Option<f64>) -> Rc<Plan> {
        let want: Vec<PathKey> = keys.iter().map(|(o, d)| (self.output_ec(*o), *d)).collect();
        if input.pathkeys.starts_with(&want) {
            return input.clone();
        }
        self.sort_node(input, keys, limit)
    }

    /// A Sort of `input` on `keys` (`cost_sort`), whatever order `input` has.
    fn sort_node(&self, input: &Rc<Plan>, keys: &[(Output, bool)], limit: Option<f64>) -> Rc<Plan> {
        let want: Vec<PathKey> = keys.iter().map(|(o, d)| (self.output_ec(*o), *d)).collect();
        let (c, method) = cost::sort(self.s, (input.startup, input.total), input.rows, input.width, limit);
        let mut p = Plan::new(Kind::Sort).with_cost(c);
        p.rows = input.rows;
        p.width = input.width;
        p.relids = input.relids;
        p.keys = keys.to_vec();
        p.pathkeys = want;
        p.sort_method = Some(method);
        p.children = vec![input.clone()];
        Rc::new(p)
    }

    /// An Incremental Sort over an input already ordered on the first `presorted` keys
    /// (`cost_incremental_sort`): each group of equal leading keys is sorted on its own.
    fn incremental_sorted(&self, input: &Rc<Plan>, keys: &[(Output, bool)], presorted: usize, limit: Option<f64>) -> Rc<Plan> {
        let cols: Vec<ColRef> = keys[..presorted].iter().filter_map(|(o, _)| if let Output::Col(c) = o { Some(*c) } else { None }).collect();
        let tuples = input.rows.max(2.0);
        let groups = if cols.len() == presorted { self.num_groups(&cols, tuples) } else { tuples.min(crate::selfuncs::DEFAULT_NUM_DISTINCT) };
        let c = cost::incremental_sort(self.s, (input.startup, input.total), tuples, input.width, groups, limit);
        let mut p = Plan::new(Kind::IncrementalSort).with_cost(c);
        p.rows = input.rows;
        p.width = input.width;
        p.relids = input.relids;
        p.keys = keys.to_vec();
        p.presorted = presorted;
        p.pathkeys = keys.iter().map(|(o, d)| (self.output_ec(*o), *d)).collect();
        p.children = vec![input.clone()];
        Rc::new(p)
    }

    fn mergejoin(&self, outer: &Rc<Plan>, inner: &Rc<Plan>, clauses: Vec<Qual>, other: Vec<Qual>, x: &JoinExtra) -> Plan {
        let (rows, width) = (x.rows, x.width);
        let s = self.s;
        let okeys: Vec<(Output, bool)> = clauses.iter().filter_map(|q| if let Qual::ColCmp { l, .. } = q { Some((Output::Col(*l), false)) } else { None }).collect();
        let ikeys: Vec<(Output, bool)> = clauses.iter().filter_map(|q| if let Qual::ColCmp { r, .. } = q { Some((Output::Col(*r), false)) } else { None }).collect();
        let inner_sorted = inner.pathkeys.starts_with(&ikeys.iter().map(|(o, d)| (self.output_ec(*o), *d)).collect::<Vec<_>>());
        let unique_outer = outer.dedup;
        let outer = self.sorted(outer, &okeys, None);
        let mut inner = self.sorted(inner, &ikeys, None);
        // How much of each input the merge reads before its first and after its last match
        // (mergejoinscansel on the first clause).
        let (mut os, mut oe, mut is_, mut ie) = match clauses.first() {
            // initial_cost_mergejoin: a FULL JOIN reads both inputs whole, without asking.
            Some(Qual::ColCmp { l, r, .. }) if x.jt != JoinType::Full => self.mergejoinscansel(*l, *r),
            _ => (0.0, 1.0, 0.0, 1.0),
        };
        // An outer join reads its preserved input whole (every row is output, matched or not).
        match x.jt {
            JoinType::Left | JoinType::Anti => (os, oe) = (0.0, 1.0),
            JoinType::Right => (is_, ie) = (0.0, 1.0),
            JoinType::Full => (os, oe, is_, ie) = (0.0, 1.0, 0.0, 1.0),
            JoinType::Inner | JoinType::Semi => {}
        }
        let (opr, ipr) = (outer.rows.max(1.0), inner.rows.max(1.0));
        let outer_skip = libm::rint(opr * os);
        let inner_skip = libm::rint(ipr * is_);
        let outer_rows = clamp_row_est(opr * oe);
        let inner_rows = clamp_row_est(ipr * ie);
        let (os, oe, is_, ie) = (outer_skip / opr, outer_rows / opr, inner_skip / ipr, inner_rows / ipr);
        let mut startup = outer.startup + (outer.total - outer.startup) * os;
        let mut run = (outer.total - outer.startup) * (oe - os);
        startup += inner.startup + (inner.total - inner.startup) * is_;
        let inner_run = (inner.total - inner.startup) * (ie - is_);
        // A unique inner (or a semi or anti join) with only merge clauses needs no mark/restore,
        // and a unique-ified outer has no duplicate keys: nothing is rescanned.
        let skip_mark_restore = x.semi && other.is_empty();
        // approx_tuple_count: the pairs the merge clauses match (an outer or anti join's output
        // is not what the merge does).
        let mergejointuples = clamp_row_est(opr * ipr * x.hash_sel);
        let rescanned = if skip_mark_restore || unique_outer { 0.0 } else { (mergejointuples - ipr).max(0.0) };
        let ratio = 1.0 + rescanned / inner_rows;
        let bare = inner_run * ratio;
        let mat = inner_run + s.cpu_operator_cost * inner_rows * ratio;
        let supports_mark = matches!(inner.kind, Kind::Sort | Kind::IndexScan | Kind::IndexOnlyScan | Kind::Materialize);
        // final_cost_mergejoin: never without mark/restore; when cheaper; when an unsorted,
        // already-ordered inner cannot mark; when a sorted inner would spill.
        let materialize = !skip_mark_restore
            && ((s.enable_material && mat < bare) || (inner_sorted && !supports_mark) || (s.enable_material && !inner_sorted && relation_byte_size(ipr, inner.width) > s.work_mem * 1024.0));
        if materialize {
            run += mat;
            inner = Rc::new(self.material(&inner));
        } else {
            run += bare;
        }
        let mq = s.cpu_operator_cost * clauses.len() as f64;
        startup += mq * (outer_skip + inner_skip * ratio);
        run += mq * ((outer_rows - outer_skip) + (inner_rows - inner_skip) * ratio);
        let cpu = (s.cpu_tuple_cost + qual_ops(&other) * s.cpu_operator_cost) * mergejointuples;
        run += cpu;
        if !s.enable_mergejoin {
            startup += DISABLE_COST;
        }
        let n = clauses.len();
        let mut p = Plan::join(Kind::MergeJoin, (startup, startup + run), (rows, width), outer.relids | inner.relids);
        p.pathkeys = self.useful_keys(&outer.pathkeys, p.relids);
        p.join_cond = clauses;
        p.join_filter = other;
        p.notes.push(format!("both inputs sorted on the keys; inner rescanned × {ratio:.3} for duplicates; merge comparisons cpu_operator_cost × {n} per row; output {rows} rows = {cpu:.2}"));
        p.children = vec![outer, inner];
        p
    }

    /// `mergejoinscansel` for `l = r` (l outer): the fractions of each input read before the first
    /// match (start) and by the last (end), from the columns' ranges in their statistics.
    fn mergejoinscansel(&self, l: ColRef, r: ColRef) -> (f64, f64, f64, f64) {
        use crate::selfuncs::DEFAULT_INEQ_SEL;
        let site = crate::selfuncs::Site::MergeScan(self.clause_identity(l, r));
        let (Some((lmin, lmax)), Some((rmin, rmax))) = (self.est.var_range(l), self.est.var_range(r)) else {
            return (0.0, 1.0, 0.0, 1.0);
        };
        // An estimate is believed only when it is not the default guess.
        let sel = |c: ColRef, op: CmpOp, v: i64, otherwise: f64| {
            let s = self.est.ineqsel_at(c, op, v, site);
            if s != DEFAULT_INEQ_SEL {
                s
            } else {
                otherwise
            }
        };
        // Only one input can really stop early (or start late): keep the tighter estimate, reset
        // the other; equal estimates (a self-join) are believed for neither.
        let (mut le, mut re) = keep_one(sel(l, CmpOp::Le, rmax, 1.0), sel(r, CmpOp::Le, lmax, 1.0), 1.0, |a, b| a < b);
        let (mut ls, mut rs) = keep_one(sel(l, CmpOp::Lt, rmin, 0.0), sel(r, CmpOp::Lt, lmin, 0.0), 0.0, |a, b| a > b);
        if ls >= le {
            ls = 0.0;
            le = 1.0;
        }
        if rs >= re {
            rs = 0.0;
            re = 1.0;
        }
        (ls, le, rs, re)
    }

    /// Which clause PostgreSQL would hold for the join condition `l = r` at the pair being joined
    /// (its cache of merge scan fractions is per clause), as (left, right):
    /// - an outer or anti join's ON clause is the one written;
    /// - an equivalence class's clause is built for the pair (`create_join_clause`): its first
    ///   member (in the order the conditions named them) on rel1's side, then on rel2's.
    fn clause_identity(&self, l: ColRef, r: ColRef) -> (ColRef, ColRef) {
        let same = |q: &Qual| q.equijoin().is_some_and(|(a, b)| (a, b) == (l, r) || (a, b) == (r, l));
        let written = self.ojs.iter().filter(|oj| oj.kind != OjKind::Semi).flat_map(|oj| &oj.join_quals).find(|q| same(q));
        if let Some((a, b)) = written.and_then(Qual::equijoin) {
            return (a, b);
        }
        let (rel1, rel2) = self.pair.get();
        let ec = self.ec(l);
        let first_in = |side: u64, or: ColRef| self.joined_cols.iter().copied().find(|c| side & (1 << c.0) != 0 && self.eclass.get(c) == Some(&ec)).unwrap_or(or);
        let (l1, r1) = if rel1 & (1 << l.0) != 0 { (l, r) } else { (r, l) };
        (first_in(rel1, l1), first_in(rel2, r1))
    }

    /// `innerrel_is_unique` and the semi-join factors PostgreSQL computes for a unique inner side.
    /// (For an inner join `compute_semi_anti_join_factors` ends up with the inner-join selectivity
    /// as the outer match fraction, so few outer rows count as matched; reproduced as it is.)
    fn join_extra(&self, o: &JoinRel, i: &JoinRel, clauses: &[Qual]) -> JoinExtra {
        let refs: Vec<&Qual> = clauses.iter().collect();
        let nselec = self.est.clauselist_sel(&refs);
        let hash: Vec<&Qual> = clauses.iter().filter(|c| c.equijoin().is_some()).collect();
        let hash_sel = self.est.clauselist_sel(&hash);
        let unique = single(i.relids).filter(|&r| self.q.rels[r].cte_scan.is_none()).is_some_and(|r| {
            let table = self.q.rels[r].table;
            self.db.indexes.iter().filter(|ix| ix.table == table && ix.unique).any(|ix| {
                ix.columns.iter().all(|&col| {
                    let c = (r, col);
                    clauses.iter().any(|q| q.equijoin().is_some_and(|(a, b)| (a == c && o.relids & (1 << b.0) != 0) || (b == c && o.relids & (1 << a.0) != 0)))
                        || self.quals.iter().any(|q| matches!(q, Qual::Cmp { c: qc, op: CmpOp::Eq, .. } if *qc == c))
                })
            })
        });
        let match_count = if nselec > 0.0 { (nselec * i.rows / nselec).max(1.0) } else { 1.0 };
        JoinExtra { jt: JoinType::Inner, unique, semi: unique, match_frac: nselec, match_count, hash_sel, rows: 0.0, width: 0.0, hash_mem_factor: 1.0 }
    }

    /// `clauselist_selectivity` with JOIN_SEMI: each equality by `eqjoinsel_semi` (outer column
    /// first), anything else as for an inner join.
    fn semi_sel(&self, clauses: &[&Qual], inner: &JoinRel) -> f64 {
        let inner_rows = inner.rows;
        let inner_rels = inner.relids;
        clauses
            .iter()
            .map(|q| match q.equijoin() {
                Some((a, b)) => {
                    let (outer, inner) = if inner_rels & (1 << b.0) != 0 { (a, b) } else { (b, a) };
                    self.est.eqjoinsel_semi(outer, inner, self.base_rows[inner.0], inner_rows)
                }
                None => self.est.clause_sel(q),
            })
            .product()
    }

    /// All join paths with `o` outer and `i` inner. With `uniq`, one side is a semi join's inner
    /// relation made unique (its only path), and the join is an inner one.
    #[allow(clippy::too_many_arguments)]
    fn join_paths(&self, o: &JoinRel, i: &JoinRel, rows: f64, width: f64, base_inner: Option<usize>, jt: JoinType, uniq: Uniq) -> Vec<Rc<Plan>> {
        self.join_paths_of(o, i, (rows, width), base_inner, jt, uniq, false)
    }

    /// The join paths of outer `o` and inner `i`; `partial` when `o`'s paths are partial ones
    /// (consider_parallel_nestloop materialises no inner).
    #[allow(clippy::too_many_arguments)]
    fn join_paths_of(&self, o: &JoinRel, i: &JoinRel, (rows, width): (f64, f64), base_inner: Option<usize>, jt: JoinType, uniq: Uniq, partial: bool) -> Vec<Rc<Plan>> {
        let clauses = self.join_clauses(o.relids, i.relids);
        let mut out = Vec::new();
        let cheapest_o = cheapest(&o.paths);
        let cheapest_i = cheapest(&i.paths);
        let mut x = JoinExtra { rows, width, jt, ..self.join_extra(o, i, &clauses) };
        // A unique-ified inner is unique for an outer side that holds the semi join's whole
        // left-hand side (add_paths_to_joinrel, JOIN_UNIQUE_INNER).
        if matches!(jt, JoinType::Semi | JoinType::Anti) || uniq == Uniq::Inner {
            // compute_semi_anti_join_factors: the outer rows with a partner, by the semi-join
            // selectivity; each finds about match_count partners.
            let refs: Vec<&Qual> = clauses.iter().collect();
            let jselec = self.semi_sel(&refs, i);
            let nselec = self.est.clauselist_sel(&refs);
            x.match_frac = jselec;
            x.match_count = if jselec > 0.0 { (nselec * i.rows / jselec).max(1.0) } else { 1.0 };
            x.semi = true;
            // add_paths_to_joinrel leaves a semi or anti join's inner side unproven unique.
            x.unique = uniq == Uniq::Inner;
        } else if uniq == Uniq::Outer && x.unique {
            // JOIN_UNIQUE_OUTER with a unique inner: the semi join's own selectivity (its inner
            // relation is this join's outer one) is the fraction of outer rows with a partner.
            let refs: Vec<&Qual> = clauses.iter().collect();
            let jselec = self.semi_sel(&refs, o);
            let nselec = self.est.clauselist_sel(&refs);
            x.match_frac = jselec;
            x.match_count = if jselec > 0.0 { (nselec * i.rows / jselec).max(1.0) } else { 1.0 };
        }
        let (eq, other) = equality_first(o.relids, &clauses);
        // In add_paths_to_joinrel's order: merge joins, nested loops, then the hash join. (An
        // outer-join clause made redundant by a constant gives no sort order to merge on.)
        let mergeable = !eq.is_empty() && !clauses.iter().any(|c| self.oj_redundant.contains(c));
        if mergeable {
            let okeys: Vec<PathKey> = eq.iter().filter_map(|q| if let Qual::ColCmp { l, .. } = q { Some((self.ec(*l), false)) } else { None }).collect();
            let ikeys: Vec<PathKey> = eq.iter().filter_map(|q| if let Qual::ColCmp { r, .. } = q { Some((self.ec(*r), false)) } else { None }).collect();
            // sort_inner_and_outer: both cheapest-total inputs, sorted as needed.
            out.push(Rc::new(self.mergejoin(&cheapest_o, &cheapest_i, eq.clone(), other.clone(), &x)));
            // match_unsorted_outer: an outer already in key order, with the inner sorted
            // explicitly or the cheapest inner path that is already in order.
            for op in o.paths.iter().filter(|p| p.pathkeys.starts_with(&okeys)) {
                out.push(Rc::new(self.mergejoin(op, &cheapest_i, eq.clone(), other.clone(), &x)));
                if let Some(ip) = i.paths.iter().filter(|p| p.pathkeys.starts_with(&ikeys)).min_by(|a, b| a.total.total_cmp(&b.total)) {
                    out.push(Rc::new(self.mergejoin(op, ip, eq.clone(), other.clone(), &x)));
                }
            }
        }
        // A nested loop cannot null-extend its outer side's partners (no Right join), nor can the
        // inner side of a Left one be anything but the nullable relation.
        let nestloops = !matches!(jt, JoinType::Right | JoinType::Full);
        // Nested loops over the plain inner, and over it materialised.
        for op in outer_candidates(&o.paths).into_iter().filter(|_| nestloops) {
            out.push(Rc::new(self.nestloop(&op, &cheapest_i, clauses.clone(), rows, width, &x)));
            // (A unique-ified inner is joined as it is: match_unsorted_outer.)
            if self.s.enable_material && !partial && uniq != Uniq::Inner && !matches!(cheapest_i.kind, Kind::Materialize | Kind::IndexScan | Kind::IndexOnlyScan) {
                let m = Rc::new(self.material(&cheapest_i));
                out.push(Rc::new(self.nestloop(&op, &m, clauses.clone(), rows, width, &x)));
            }
        }
        // Nested loops over a parameterised inner index scan, with and without Memoize.
        if let Some(r) = base_inner.filter(|_| nestloops) {
            // Only the cheapest path of each parameterisation (cheapest_parameterized_paths).
            let mut best: Vec<Rc<Plan>> = Vec::new();
            for pp in self.param_paths(r, o.relids) {
                match best.iter_mut().find(|b| b.param_rels == pp.param_rels) {
                    Some(b) if pp.total < b.total || (pp.total == b.total && pp.startup < b.startup) => *b = pp,
                    Some(_) => {}
                    None => best.push(pp),
                }
            }
            for pp in best {
                if pp.param_rels & !o.relids != 0 {
                    continue;
                }
                let filter: Vec<Qual> = clauses.iter().filter(|c| !pp.index_cond.iter().any(|ic| same_join(ic, c))).cloned().collect();
                for op in outer_candidates(&o.paths) {
                    out.push(Rc::new(self.nestloop(&op, &pp, filter.clone(), rows, width, &x)));
                }
                // get_memoize_path, for every outer path match_unsorted_outer tries (so also above
                // one that already yields the ORDER BY), not only the cheapest.
                // (calls: the outer path's rows, which a unique-ified outer has fewer of than its relation.)
                let calls = cheapest_o.rows;
                if self.s.enable_memoize && calls > 1.0 && !matches!(jt, JoinType::Semi | JoinType::Anti) {
                    let keys: Vec<ColRef> = pp.index_cond.iter().filter_map(|q| if let Qual::ColCmp { r, .. } = q { Some(*r) } else { None }).collect();
                    let nd = self.num_groups(&keys, calls);
                    if nd < calls {
                        let m = Rc::new(self.memoize(&pp, keys, calls));
                        for op in outer_candidates(&o.paths) {
                            out.push(Rc::new(self.nestloop(&op, &m, filter.clone(), rows, width, &x)));
                        }
                    }
                }
            }
        }
        if !eq.is_empty() {
            out.push(Rc::new(self.hashjoin(&cheapest_o, &cheapest_i, eq.clone(), other.clone(), &x)));
        }
        if jt != JoinType::Inner {
            for p in &mut out {
                let p = Rc::make_mut(p);
                p.join_type = jt;
                // build_join_pathkeys: a Right or Full join's null-extended rows break the outer
                // order.
                if matches!(jt, JoinType::Right | JoinType::Full) {
                    p.pathkeys.clear();
                }
            }
        }
        out
    }

    /// A HashAggregate over `input` into `groups` groups on `keys` (`cost_agg`, AGG_HASHED): one
    /// operator per key per input row plus `per_row` for the aggregates, then `per_group` and a
    /// cpu_tuple_cost per group.
    fn hash_agg(&self, input: &Rc<Plan>, keys: Vec<(Output, bool)>, groups: f64, (per_row, per_group): (f64, f64)) -> Plan {
        let s = self.s;
        let mut h = Plan::new(Kind::HashAggregate);
        h.startup = input.total + per_row * input.rows + s.cpu_operator_cost * keys.len() as f64 * input.rows;
        if !s.enable_hashagg {
            h.startup += DISABLE_COST;
        }
        h.total = h.startup + per_group * groups + s.cpu_tuple_cost * groups;
        h.rows = groups;
        h.keys = keys;
        h.children = vec![input.clone()];
        h
    }

    /// A Unique over sorted `input` (`create_upper_unique_path`): one comparison per key per input
    /// row.
    fn unique_node(&self, input: &Rc<Plan>, keys: Vec<(Output, bool)>, groups: f64) -> Plan {
        let mut u = Plan::new(Kind::Unique);
        u.startup = input.startup;
        u.total = input.total + self.s.cpu_operator_cost * input.rows * keys.len() as f64;
        u.rows = groups;
        u.pathkeys = input.pathkeys.clone();
        u.keys = keys;
        u.children = vec![input.clone()];
        u
    }

    /// `create_unique_path` for semi join `j`'s inner relation: its cheapest path with duplicate
    /// keys removed by hashing (HashAggregate) or sorting (Sort, Unique), whichever costs less.
    /// None when a join condition is not `outer = inner` (nothing to make unique on).
    fn unique_path(&self, j: usize, rhs: &JoinRel) -> Option<Rc<Plan>> {
        let s = self.s;
        let mut cols = Vec::new();
        for q in &self.ojs[j].join_quals {
            let (a, b) = q.equijoin()?;
            let inner = if rhs.relids & (1 << a.0) != 0 { a } else { b };
            if !cols.contains(&inner) {
                cols.push(inner);
            }
        }
        let input = cheapest(&rhs.paths);
        let groups = self.num_groups(&cols, rhs.rows);
        let keys: Vec<(Output, bool)> = cols.iter().map(|&c| (Output::Col(c), false)).collect();
        // A Sort (whatever order the input has) and a Unique, or a HashAggregate if its table
        // fits in hash_mem, whichever costs less.
        let unique = self.unique_node(&self.sort_node(&input, &keys, None), keys.clone(), groups);
        let hashed = (rhs.width + 64.0) * groups <= s.hash_mem_bytes();
        let agg = self.hash_agg(&input, keys, groups, (0.0, 0.0));
        let mut p = if hashed && agg.total < unique.total { agg } else { unique };
        p.width = rhs.width;
        p.relids = rhs.relids;
        // (create_unique_path promises no order.)
        p.pathkeys.clear();
        p.dedup = true;
        p.notes.push(format!("{} rows made unique on {} column(s): about {groups} groups", rhs.rows, cols.len()));
        Some(Rc::new(p))
    }

    /// `estimate_num_groups` for grouping columns over `input_rows` rows.
    pub fn num_groups(&self, cols: &[ColRef], input_rows: f64) -> f64 {
        if cols.is_empty() {
            return 1.0;
        }
        let mut numdistinct = 1.0;
        let mut rels: Vec<usize> = cols.iter().map(|c| c.0).collect();
        rels.sort_unstable();
        rels.dedup();
        for r in rels {
            let mine: Vec<usize> = cols.iter().filter(|c| c.0 == r).map(|c| c.1).collect();
            let table = self.q.rels[r].table;
            let tuples = self.est.tuples(r);
            // Extended ndistinct covering exactly these columns.
            let ext = self.db.ext.iter().find(|(d, data)| {
                self.q.rels[r].cte_scan.is_none() && d.table == table && data.ndistinct.is_some() && {
                    let mut a = d.columns.clone();
                    let mut b = mine.clone();
                    a.sort_unstable();
                    b.sort_unstable();
                    b.dedup();
                    a == b
                }
            });
            let (mut reldistinct, mut maxnd) = (1.0, 0.0f64);
            if let Some((_, data)) = ext {
                reldistinct = data.ndistinct.unwrap_or(1.0);
                maxnd = reldistinct;
            } else {
                for &c in &mine {
                    let nd = self.est.numdistinct((r, c)).0;
                    reldistinct *= nd;
                    maxnd = maxnd.max(nd);
                }
            }
            let mut clamp = tuples;
            if mine.len() > 1 && ext.is_none() {
                clamp *= 0.1;
                if clamp < maxnd {
                    clamp = maxnd.min(tuples);
                }
            }
            reldistinct = reldistinct.min(clamp);
            let rows = self.base_rows[r];
            if reldistinct > 0.0 && rows < tuples {
                reldistinct *= 1.0 - libm::pow((tuples - rows) / tuples, tuples / reldistinct);
            }
            numdistinct *= clamp_row_est(reldistinct);
        }
        libm::ceil(numdistinct).min(input_rows).max(1.0)
    }

    /// The whole search: base relations, join levels, then the upper nodes.
    pub fn plan(&self) -> Rc<Plan> {
        if self.q.set_op.is_some() {
            return self.upper(&self.set_op_paths(), &[], 0.0);
        }
        let (_, top) = self.search();
        let top = self.upper(&top.paths, &top.partial, top.rows);
        if self.q.ctes.is_empty() && self.q.initplans.is_empty() {
            return top;
        }
        // SS_charge_for_initplans: each materialized CTE's plan, run once, is charged to the top
        // node, and hangs from it as an InitPlan.
        let mut top = (*top).clone();
        for (k, cte) in self.q.ctes.iter().enumerate() {
            let best = cheapest(&self.base_paths(cte.rel));
            top.startup += best.total;
            top.total += best.total;
            top.notes.push(format!("CTE {}: its plan's {:.2}, run once, charged here", cte.name, best.total));
            top.children.push(Rc::new(Plan { initplan: Some(k), ..(*best).clone() }));
        }
        // A scalar subquery's InitPlan: its aggregate over its relation's cheapest path, charged
        // to the top node the same way.
        for (k, ip) in self.q.initplans.iter().enumerate() {
            let input = cheapest(&self.base_paths(ip.rel));
            let s = self.s;
            let mut agg = Plan::new(Kind::Aggregate);
            let finalfn = if ip.agg.func == AggFn::Avg { s.cpu_operator_cost } else { 0.0 };
            agg.startup = input.total + s.cpu_operator_cost * input.rows + finalfn;
            agg.total = agg.startup + s.cpu_tuple_cost;
            agg.rows = 1.0;
            agg.width = agg_width(ip.agg.func, ip.agg.arg.map(|c| self.col_width(c)));
            agg.param_plan = Some(k);
            agg.children = vec![input];
            top.startup += agg.total;
            top.total += agg.total;
            top.notes.push(format!("InitPlan {}: its plan's {:.2}, run once, charged here", ip.plan_id, agg.total));
            top.children.push(Rc::new(agg));
        }
        Rc::new(top)
    }

    fn search(&self) -> (BTreeMap<u64, JoinRel>, JoinRel) {
        // A SubPlan's relation is planned on its own, inside the scan that probes it, and a
        // materialized CTE's as an InitPlan.
        let sub_rels = self.q.subplans.iter().map(|sp| sp.rel).chain(self.q.ctes.iter().map(|c| c.rel)).chain(self.q.initplans.iter().map(|ip| ip.rel)).fold(0u64, |m, r| m | (1 << r));
        let main: Vec<usize> = (0..self.q.rels.len()).filter(|r| sub_rels & (1 << r) == 0).collect();
        let n = main.len();
        let mut rels: BTreeMap<u64, JoinRel> = BTreeMap::new();
        for &r in &main {
            let partial = self.partial_paths(r);
            let mut paths = self.base_paths(r);
            // A base relation joined to others is gathered too (its Gather joins like a scan).
            if main.len() > 1 && !partial.is_empty() {
                paths.extend(self.gather_paths(&partial, self.base_rows[r], 1 << r));
                paths = prune(paths, self.consider_startup());
            }
            rels.insert(1 << r, JoinRel { relids: 1 << r, rows: self.base_rows[r], width: self.width_of(1 << r), paths, partial });
        }
        let full: u64 = main.iter().fold(0, |m, r| m | (1 << r));
        let joined = |a: u64, b: u64| !self.join_clauses(a, b).is_empty() || self.links.iter().any(|l| l & a != 0 && l & b != 0);
        let has_clauses = |a: u64| self.has_join_clause(a);
        // Exhaustive search up to 10 relations (or geqo_threshold, if lower), greedy above.
        if n as u32 > self.s.geqo_threshold.min(10) {
            return self.greedy(rels, full);
        }
        // Join relations in creation order per level, searched as join_search_one_level does:
        // each relation of the level below with each base relation it has a clause with, then
        // bushy pairs; a relation with no join clause at all joins everything (a clauseless join).
        let mut levels: Vec<Vec<u64>> = vec![Vec::new(), main.iter().map(|r| 1u64 << r).collect()];
        for level in 2..=n {
            let mut pairs: Vec<(u64, u64)> = Vec::new();
            for (ia, &a) in levels[level - 1].iter().enumerate() {
                let others: Vec<u64> = if level == 2 { levels[1][ia + 1..].to_vec() } else { levels[1].clone() };
                for b in others {
                    if a & b == 0 && (joined(a, b) || !has_clauses(a) || !has_clauses(b)) {
                        pairs.push((a, b));
                    }
                }
            }
            for k in 2..=level / 2 {
                for (ia, &a) in levels[k].iter().enumerate() {
                    for (ib, &b) in levels[level - k].iter().enumerate() {
                        if (k == level - k && ib <= ia) || a & b != 0 || !joined(a, b) {
                            continue;
                        }
                        pairs.push((a, b));
                    }
                }
            }
            if pairs.is_empty() {
                // Nothing joinable: cartesian products of the level below with the base relations.
                for &a in &levels[level - 1] {
                    for &b in &levels[1] {
                        if a & b == 0 {
                            pairs.push((a, b));
                        }
                    }
                }
            }
            let mut made = Vec::new();
            for (a, b) in pairs {
                if self.make_join(&mut rels, a, b) {
                    made.push(a | b);
                }
            }
            // Below the top, a join relation's partial paths are gathered to join further (the
            // top's are gathered once its grouping and ordering are known).
            if level < n {
                for set in &made {
                    if let Some(r) = rels.get_mut(set) {
                        let gathered = self.gather_paths(&r.partial, r.rows, r.relids);
                        for g in gathered {
                            add_path(&mut r.paths, g, self.consider_startup());
                        }
                    }
                }
            }
            levels.push(made);
        }
        let top = rels.get(&full).cloned().unwrap_or_else(|| rels.values().last().cloned().unwrap_or(JoinRel { relids: 0, rows: 1.0, width: 0.0, paths: Vec::new(), partial: Vec::new() }));
        (rels, top)
    }

    /// Builds (or adds paths to) the join relation of `a` and `b`; true when it is new.
    fn make_join(&self, rels: &mut BTreeMap<u64, JoinRel>, a: u64, b: u64) -> bool {
        if !self.join_is_legal(a, b) {
            return false;
        }
        let set = a | b;
        self.pair.set((a, b));
        let new = !rels.contains_key(&set);
        // The outer join this pair performs, if any: its index, and whether `a` is its preserved side.
        let step = self.oj_step(a, b).map(|j| (j, true)).or_else(|| self.oj_step(b, a).map(|j| (j, false)));
        if new {
            let clauses = self.join_clauses(a, b);
            let refs: Vec<&Qual> = clauses.iter().filter(|c| !self.oj_redundant.contains(c)).collect();
            let mut rows = rels[&a].rows * rels[&b].rows * self.est.clauselist_sel(&refs);
            // calc_joinrel_size_estimate: a LEFT JOIN never has fewer rows than its outer side; an
            // anti join keeps the outer rows the semi-join selectivity leaves without a partner.
            if let Some((j, a_lhs)) = step {
                let (lhs, rhs) = if a_lhs { (a, b) } else { (b, a) };
                rows = match self.ojs[j].kind {
                    OjKind::Anti => rels[&lhs].rows * (1.0 - self.semi_sel(&refs, &rels[&rhs])),
                    OjKind::Semi => rels[&lhs].rows * self.semi_sel(&refs, &rels[&rhs]),
                    OjKind::Left => rows.max(rels[&lhs].rows),
                    // Never fewer rows than either side.
                    OjKind::Full => rows.max(rels[&lhs].rows).max(rels[&rhs].rows),
                };
            }
            rels.insert(set, JoinRel { relids: set, rows: clamp_row_est(rows), width: self.width_of(set), paths: Vec::new(), partial: Vec::new() });
        }
        let (ra, rb) = (&rels[&a], &rels[&b]);
        let (rows, width) = (rels[&set].rows, rels[&set].width);
        // Each direction's join type; a semi or anti join has only its preserved side outer.
        let kind = step.map(|(j, a_lhs)| (self.ojs[j].kind, a_lhs));
        let (ab, ba) = match kind {
            Some((OjKind::Anti, true)) => (Some(JoinType::Anti), None),
            Some((OjKind::Anti, false)) => (None, Some(JoinType::Anti)),
            Some((OjKind::Semi, true)) => (Some(JoinType::Semi), None),
            Some((OjKind::Semi, false)) => (None, Some(JoinType::Semi)),
            Some((OjKind::Full, _)) => (Some(JoinType::Full), Some(JoinType::Full)),
            Some((_, true)) => (Some(JoinType::Left), Some(JoinType::Right)),
            Some((_, false)) => (Some(JoinType::Right), Some(JoinType::Left)),
            None => (Some(JoinType::Inner), Some(JoinType::Inner)),
        };
        let mut paths = ab.map(|jt| self.join_paths(ra, rb, rows, width, single(b), jt, Uniq::No)).unwrap_or_default();
        paths.extend(ba.map(|jt| self.join_paths(rb, ra, rows, width, single(a), jt, Uniq::No)).unwrap_or_default());
        // populate_joinrel_with_paths: a semi join's inner relation made unique, then an inner
        // join with it on either side.
        if let Some((j, a_lhs)) = step.filter(|(j, _)| self.ojs[*j].semi()) {
            let (lhs, rhs) = if a_lhs { (ra, rb) } else { (rb, ra) };
            if let Some(u) = self.unique_path(j, rhs) {
                let ui = JoinRel { paths: vec![u.clone()], ..rhs.clone() };
                let uo = JoinRel { paths: vec![u], ..rhs.clone() };
                paths.extend(self.join_paths(lhs, &ui, rows, width, None, JoinType::Inner, Uniq::Inner));
                paths.extend(self.join_paths(&uo, lhs, rows, width, single(lhs.relids), JoinType::Inner, Uniq::Outer));
            }
        }
        // Partial paths: a partial outer side joined in each process (add_paths_to_joinrel's
        // parallel cases).
        let mut partial = ab.map(|jt| self.partial_join_paths(ra, rb, (rows, width), single(b), jt)).unwrap_or_default();
        partial.extend(ba.map(|jt| self.partial_join_paths(rb, ra, (rows, width), single(a), jt)).unwrap_or_default());
        let mut all = rels.get_mut(&set).map(|r| std::mem::take(&mut r.paths)).unwrap_or_default();
        for p in paths {
            add_path(&mut all, p, self.consider_startup());
        }
        let mut kept = rels.get_mut(&set).map(|r| std::mem::take(&mut r.partial)).unwrap_or_default();
        for p in partial {
            add_partial_path(&mut kept, &all, p);
        }
        if let Some(r) = rels.get_mut(&set) {
            r.paths = all;
            r.partial = kept;
        }
        new
    }

    /// Above `geqo_threshold` relations: join the pair whose join is cheapest, repeatedly
    /// (dbsim's stand-in for PostgreSQL's genetic search; polynomial, so never a hang).
    fn greedy(&self, mut rels: BTreeMap<u64, JoinRel>, full: u64) -> (BTreeMap<u64, JoinRel>, JoinRel) {
        let mut pieces: Vec<u64> = rels.keys().copied().collect();
        while pieces.len() > 1 {
            let linked = |a: u64, b: u64| !self.join_clauses(a, b).is_empty() || self.links.iter().any(|l| l & a != 0 && l & b != 0);
            let any_linked = pieces.iter().any(|&a| pieces.iter().any(|&b| a != b && linked(a, b)));
            let mut best: Option<(f64, usize, usize)> = None;
            for i in 0..pieces.len() {
                for j in i + 1..pieces.len() {
                    let (a, b) = (pieces[i], pieces[j]);
                    if any_linked && !linked(a, b) {
                        continue;
                    }
                    self.make_join(&mut rels, a, b);
                    let Some(joined) = rels.get(&(a | b)).filter(|_| self.join_is_legal(a, b)) else { continue };
                    let cost = cheapest(&joined.paths).total;
                    if best.is_none_or(|x| cost < x.0) {
                        best = Some((cost, i, j));
                    }
                }
            }
            let Some((_, i, j)) = best else { break };
            let set = pieces[i] | pieces[j];
            pieces.remove(j);
            pieces.remove(i);
            pieces.push(set);
        }
        let top = rels.get(&full).cloned().unwrap_or_else(|| rels.values().last().cloned().unwrap_or(JoinRel { relids: 0, rows: 1.0, width: 0.0, paths: Vec::new(), partial: Vec::new() }));
        (rels, top)
    }

    /// HAVING on an aggregate node (cost_agg's quals): one operator per condition per group, and
    /// the groups kept by the default selectivity of a comparison PostgreSQL cannot estimate.
    fn with_having(&self, mut p: Plan) -> Plan {
        if self.q.having.is_empty() {
            return p;
        }
        let n = self.q.having.len() as f64;
        p.total += self.s.cpu_operator_cost * n * p.rows;
        let sel: f64 = self
            .q
            .having
            .iter()
            .map(|(_, op, _)| match op {
                CmpOp::Eq => crate::selfuncs::DEFAULT_EQ_SEL,
                CmpOp::Ne => 1.0 - crate::selfuncs::DEFAULT_EQ_SEL,
                _ => crate::selfuncs::DEFAULT_INEQ_SEL,
            })
            .product();
        p.rows = clamp_row_est(p.rows * sel);
        p.agg_filter = self.q.having.clone();
        p
    }

    /// `create_window_paths`: over the cheapest input, and over each input already sorted on a
    /// prefix of the window's keys, a WindowAgg over the rows sorted (or incrementally sorted) on
    /// its PARTITION BY and ORDER BY columns (`cost_windowagg`).
    fn window_paths(&self, paths: &[Rc<Plan>]) -> Vec<Rc<Plan>> {
        let q = self.q;
        let s = self.s;
        let keys: Vec<(Output, bool)> = q.window.0.iter().map(|&c| (Output::Col(c), false)).chain(q.window.1.iter().map(|&(c, d)| (Output::Col(c), d))).collect();
        let want: Vec<PathKey> = keys.iter().map(|(o, d)| (self.output_ec(*o), *d)).collect();
        let cheapest_in = cheapest(paths);
        let nkeys = (q.window.0.len() + q.window.1.len()) as f64;
        let fwidth: f64 = q
            .windows
            .iter()
            .map(|w| match w.func {
                crate::sql::WinFn::Agg(f) => agg_width(f, w.arg.map(|c| self.col_width(c))),
                _ => 8.0,
            })
            .sum();
        // The WindowAgg returns the query's columns and its window's, not those only its
        // functions read.
        let mut cols: Vec<ColRef> = q.outputs.iter().filter_map(|(_, o)| if let Output::Col(c) = o { Some(*c) } else { None }).collect();
        cols.extend(q.order_by.iter().filter_map(|(o, _)| if let Output::Col(c) = o { Some(*c) } else { None }));
        cols.extend(q.window.0.iter().copied());
        cols.extend(q.window.1.iter().map(|(c, _)| *c));
        cols.sort_unstable();
        cols.dedup();
        let out_width = libm::rint(cols.iter().map(|&c| self.col_width(c)).sum::<f64>());
        let mut out = Vec::new();
        for p in paths {
            let presorted = p.pathkeys.iter().zip(&want).take_while(|(a, b)| a == b).count();
            let sorted = presorted >= want.len();
            if !(Rc::ptr_eq(p, &cheapest_in) || sorted || presorted > 0) {
                continue;
            }
            let input = if sorted {
                p.clone()
            } else if presorted == 0 || !s.enable_incremental_sort {
                self.sorted(p, &keys, None)
            } else {
                self.incremental_sorted(p, &keys, presorted, None)
            };
            let mut w = Plan::new(Kind::WindowAgg);
            w.startup = input.startup;
            let per_row = q.windows.len() as f64 * s.cpu_operator_cost + s.cpu_operator_cost * nkeys + s.cpu_tuple_cost;
            w.total = input.total + per_row * input.rows;
            w.rows = input.rows;
            w.width = out_width + fwidth;
            w.relids = input.relids;
            w.pathkeys = input.pathkeys.clone();
            w.notes.push(format!("{} rows × ({} window function(s) × cpu_operator_cost + cpu_operator_cost × {nkeys} key(s) + cpu_tuple_cost)", input.rows, q.windows.len()));
            w.children = vec![input];
            out.push(Rc::new(w));
        }
        prune(out, self.consider_startup())
    }

    /// `create_distinct_paths`: a Unique over each input already sorted on the DISTINCT columns
    /// and over the cheapest input sorted, and a HashAggregate over the cheapest input.
    fn distinct_paths(&self, paths: &[Rc<Plan>]) -> Vec<Rc<Plan>> {
        let q = self.q;
        let s = self.s;
        let input = cheapest(paths);
        let ngroups = self.num_groups(&q.group_by, input.rows);
        let ngc = q.group_by.len() as f64;
        let width = libm::rint(q.group_by.iter().map(|&c| self.col_width(c)).sum::<f64>());
        // The DISTINCT columns in their clause's order, descending where ORDER BY says so.
        let keys: Vec<(Output, bool)> = q.group_by.iter().map(|&c| (Output::Col(c), q.order_by.iter().any(|(o, d)| *o == Output::Col(c) && *d))).collect();
        let want: Vec<PathKey> = keys.iter().map(|(o, d)| (self.output_ec(*o), *d)).collect();
        let unique = |p: &Rc<Plan>| {
            let mut u = self.unique_node(p, keys.clone(), ngroups);
            u.width = width;
            u.notes.push(format!("one comparison per DISTINCT column per input row: cpu_operator_cost × {} × {ngc}", p.rows));
            Rc::new(u)
        };
        let mut out: Vec<Rc<Plan>> = paths.iter().filter(|p| p.pathkeys.starts_with(&want)).map(unique).collect();
        if !input.pathkeys.starts_with(&want) {
            out.push(unique(&self.sorted(&input, &keys, None)));
        }
        if s.enable_hashagg {
            let mut h = self.hash_agg(&input, keys.into_iter().map(|(o, _)| (o, false)).collect(), ngroups, (0.0, 0.0));
            h.width = width;
            out.push(Rc::new(h));
        }
        prune(out, self.consider_startup())
    }

    fn upper(&self, input: &[Rc<Plan>], partial: &[Rc<Plan>], rel_rows: f64) -> Rc<Plan> {
        // The scan/join relation's Gather paths compete with its others.
        let gathered: Vec<Rc<Plan>>;
        let paths: &[Rc<Plan>] = if partial.is_empty() {
            input
        } else {
            gathered = prune(input.iter().cloned().chain(self.gather_paths(partial, rel_rows, u64::MAX)).collect(), self.consider_startup());
            &gathered
        };
        let mut cands: Vec<Rc<Plan>> = paths.to_vec();
        let q = self.q;
        if q.distinct {
            cands = self.distinct_paths(paths);
        } else if q.is_grouped() {
            let input = cheapest(paths);
            let ngroups = if q.group_by.is_empty() { 1.0 } else { self.num_groups(&q.group_by, input.rows) };
            // (An aggregate only HAVING reads is not part of the node's output.)
            let width = libm::rint(
                q.group_by.iter().map(|&c| self.col_width(c)).sum::<f64>()
                    + q.aggs.iter().enumerate().filter(|(k, _)| !q.having_only(*k)).map(|(_, a)| agg_width(a.func, a.arg.map(|c| self.col_width(c)))).sum::<f64>(),
            );
            let transfn = q.aggs.len() as f64 * self.s.cpu_operator_cost;
            let finalfn = q.aggs.iter().filter(|a| a.func == AggFn::Avg).count() as f64 * self.s.cpu_operator_cost;
            let ngc = q.group_by.len() as f64;
            let keys: Vec<(Output, bool)> = q.group_by.iter().map(|&c| (Output::Col(c), false)).collect();
            let mut aggs = Vec::new();
            if q.group_by.is_empty() {
                let mut p = Plan::new(Kind::Aggregate);
                p.startup = input.total + transfn * input.rows + finalfn;
                p.total = p.startup + self.s.cpu_tuple_cost;
                p.rows = 1.0;
                p.width = width;
                p.children = vec![input.clone()];
                aggs.push(p);
            } else {
                let mut h = self.hash_agg(&input, keys.clone(), ngroups, (transfn, finalfn));
                h.width = width;
                // An aggregate over DISTINCT values sorts its own input: never hashed
                // (numOrderedAggs).
                if !q.aggs.iter().any(|a| a.distinct) {
                    aggs.push(h);
                }
                for p in paths {
                    let sorted = self.sorted(p, &keys, None);
                    let mut g = Plan::new(Kind::GroupAggregate);
                    g.startup = sorted.startup;
                    g.total = sorted.total + transfn * sorted.rows + self.s.cpu_operator_cost * ngc * sorted.rows + finalfn * ngroups + self.s.cpu_tuple_cost * ngroups;
                    g.rows = ngroups;
                    g.width = width;
                    g.keys = keys.clone();
                    g.pathkeys = sorted.pathkeys.clone();
                    g.children = vec![sorted];
                    aggs.push(g);
                }
            }
            aggs.extend(self.parallel_aggs(partial, width, ngroups));
            // planagg.c: each min or max from one row of an index. Its path comes first and is
            // not parallel-safe: an aggregate path of fuzzily the same costs replaces it.
            if let Some(mm) = self.minmax_path().filter(|_| q.group_by.is_empty()) {
                let beats = |c: &Plan| mm.total * FUZZ < c.total || (c.total <= mm.total * FUZZ && mm.startup * FUZZ < c.startup);
                if aggs.iter().all(beats) {
                    aggs.push(mm);
                }
            }
            let aggs = aggs.into_iter().map(|p| Rc::new(self.with_having(p))).collect();
            cands = prune(aggs, self.consider_startup());
        }
        if !q.windows.is_empty() {
            cands = self.window_paths(&cands);
        }
        let limit = q.limit.map(|l| l as f64);
        if !q.order_by.is_empty() {
            // create_ordered_paths: sorted inputs as they are, a full Sort of the cheapest input
            // only, and an Incremental Sort of any input sorted on a prefix of the keys.
            let want: Vec<PathKey> = q.order_by.iter().map(|(o, d)| (self.output_ec(*o), *d)).collect();
            let cheapest_in = cheapest(&cands);
            let mut ordered = Vec::new();
            for p in &cands {
                if p.pathkeys.starts_with(&want) {
                    ordered.push(p.clone());
                    continue;
                }
                if Rc::ptr_eq(p, &cheapest_in) {
                    ordered.push(self.sorted(p, &q.order_by, limit));
                }
                let presorted = p.pathkeys.iter().zip(&want).take_while(|(a, b)| a == b).count();
                if self.s.enable_incremental_sort && presorted > 0 {
                    ordered.push(self.incremental_sorted(p, &q.order_by, presorted, limit));
                }
            }
            // create_ordered_paths: the cheapest partial path sorted in each process (bounded by
            // a LIMIT) under a Gather Merge, when nothing above the scan/join needs all rows.
            if !partial.is_empty() && !q.is_grouped() && !q.distinct && q.windows.is_empty() && self.s.enable_gathermerge {
                let best = cheapest(partial);
                if !best.pathkeys.starts_with(&want) {
                    let sorted = Rc::new(Plan { workers: best.workers, ..(*self.sort_node(&best, &q.order_by, limit)).clone() });
                    ordered.push(self.gather_merge(&sorted, best.rows * best.workers as f64));
                }
            }
            cands = prune(ordered, self.consider_startup());
        }
        if let Some(l) = limit {
            cands = cands
                .iter()
                .map(|p| {
                    let mut lp = Plan::new(Kind::Limit);
                    let rows = p.rows.max(1.0);
                    // (preprocess_limit costs LIMIT 0 as LIMIT 1.)
                    let l = l.max(1.0);
                    let frac = (l / rows).min(1.0);
                    lp.startup = p.startup;
                    lp.total = p.startup + (p.total - p.startup) * frac;
                    lp.rows = clamp_row_est(l.min(p.rows));
                    lp.width = p.width;
                    lp.pathkeys = p.pathkeys.clone();
                    lp.children = vec![p.clone()];
                    Rc::new(lp)
                })
                .collect();
        }
        cheapest(&cands)
    }
}

/// Whether a join's side is a semi join's inner relation made unique (`JOIN_UNIQUE_INNER`,
/// `JOIN_UNIQUE_OUTER`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Uniq {
    No,
    Inner,
    Outer,
}

/// What a join's costing needs beyond its inputs.
struct JoinExtra {
    jt: JoinType,
    unique: bool,
    /// Costed as a semi or anti join (the executor stops at an outer row's first match): an
    /// anti join, or a unique inner side.
    semi: bool,
    match_frac: f64,
    match_count: f64,
    /// Selectivity of the hash clauses alone (`approx_tuple_count`).
    hash_sel: f64,
    /// The join relation's estimated rows and width.
    rows: f64,
    width: f64,
    /// A Parallel Hash's processes pool their hash_mem: the table may be this many times larger
    /// before it is split into batches (1 for a hash table of one's own).
    hash_mem_factor: f64,
}

struct IndexMatch {
    quals: Vec<Qual>,
    unique_eq: bool,
    num_sa: f64,
}

/// Of two per-input fractions, keeps the one `tighter` prefers and sets the other to `neutral`.
fn keep_one(a: f64, b: f64, neutral: f64, tighter: impl Fn(f64, f64) -> bool) -> (f64, f64) {
    if tighter(a, b) {
        (a, neutral)
    } else if tighter(b, a) {
        (neutral, b)
    } else {
        (neutral, neutral)
    }
}

fn single(set: u64) -> Option<usize> {
    (set.count_ones() == 1).then(|| set.trailing_zeros() as usize)
}

fn same_join(a: &Qual, b: &Qual) -> bool {
    match (a.equijoin(), b.equijoin()) {
        (Some((x, y)), Some((u, v))) => (x, y) == (u, v) || (x, y) == (v, u),
        _ => false,
    }
}

fn agg_width(f: AggFn, arg: Option<f64>) -> f64 {
    match f {
        AggFn::Count | AggFn::Sum => 8.0,
        AggFn::Avg => 32.0,
        AggFn::Min | AggFn::Max => arg.unwrap_or(4.0),
    }
}

/// `set_cheapest`'s cheapest total path (ties go to the cheaper startup, then the first).
fn cheapest(paths: &[Rc<Plan>]) -> Rc<Plan> {
    let mut best = paths[0].clone();
    for p in &paths[1..] {
        if p.total < best.total || (p.total == best.total && p.startup < best.startup) {
            best = p.clone();
        }
    }
    best
}

/// The outer paths worth trying: the cheapest, and the cheapest of each useful sort order.
fn outer_candidates(paths: &[Rc<Plan>]) -> Vec<Rc<Plan>> {
    let mut v = vec![cheapest(paths)];
    for p in paths {
        if !p.pathkeys.is_empty() && !v.iter().any(|x| Rc::ptr_eq(x, p)) && v.len() < 4 {
            v.push(p.clone());
        }
    }
    v
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Equal,
    Better1,
    Better2,
    Different,
}

/// `compare_path_costs_fuzzily`.
fn costs_fuzzily(p1: &Plan, p2: &Plan, fuzz: f64, consider_startup: bool) -> Cmp {
    if p1.total > p2.total * fuzz {
        if consider_startup && p2.startup > p1.startup * fuzz {
            return Cmp::Different;
        }
        return Cmp::Better2;
    }
    if p2.total > p1.total * fuzz {
        if consider_startup && p1.startup > p2.startup * fuzz {
            return Cmp::Different;
        }
        return Cmp::Better1;
    }
    if p1.startup > p2.startup * fuzz {
        return Cmp::Better2;
    }
    if p2.startup > p1.startup * fuzz {
        return Cmp::Better1;
    }
    Cmp::Equal
}

/// `compare_pathkeys`: the longer ordering that starts with the other is better.
fn keys_cmp(a: &[PathKey], b: &[PathKey]) -> Cmp {
    if a == b {
        Cmp::Equal
    } else if a.starts_with(b) {
        Cmp::Better1
    } else if b.starts_with(a) {
        Cmp::Better2
    } else {
        Cmp::Different
    }
}

/// `bms_subset_compare` of the relations two paths need from outside.
fn outer_cmp(a: u64, b: u64) -> Cmp {
    if a == b {
        Cmp::Equal
    } else if a & !b == 0 {
        Cmp::Better1
    } else if b & !a == 0 {
        Cmp::Better2
    } else {
        Cmp::Different
    }
}

/// PostgreSQL's `add_path`: keep a new path unless an old one is fuzzily (1 %) as cheap, as well
/// sorted, needing no more outer relations and returning no more rows; drop old paths the new one
/// beats that way.
fn add_path(paths: &mut Vec<Rc<Plan>>, new: Rc<Plan>, consider_startup: bool) {
    let mut accept = true;
    let mut i = 0;
    while i < paths.len() {
        let old = &paths[i];
        let mut remove = false;
        let costcmp = costs_fuzzily(&new, old, FUZZ, consider_startup);
        if costcmp != Cmp::Different {
            let keyscmp = keys_cmp(&new.pathkeys, &old.pathkeys);
            if keyscmp != Cmp::Different {
                let oc = outer_cmp(new.param_rels, old.param_rels);
                let new_ok = matches!(oc, Cmp::Equal | Cmp::Better1);
                let old_ok = matches!(oc, Cmp::Equal | Cmp::Better2);
                match costcmp {
                    Cmp::Equal => match keyscmp {
                        Cmp::Better1 => remove = new_ok && new.rows <= old.rows,
                        Cmp::Better2 => accept = !(old_ok && new.rows >= old.rows),
                        _ => {
                            if oc == Cmp::Equal {
                                if new.rows < old.rows {
                                    remove = true;
                                } else if new.rows > old.rows {
                                    accept = false;
                                } else if costs_fuzzily(&new, old, 1.000_000_000_1, consider_startup) == Cmp::Better1 {
                                    remove = true;
                                } else {
                                    accept = false;
                                }
                            } else if oc == Cmp::Better1 && new.rows <= old.rows {
                                remove = true;
                            } else if oc == Cmp::Better2 && new.rows >= old.rows {
                                accept = false;
                            }
                        }
                    },
                    Cmp::Better1 => remove = keyscmp != Cmp::Better2 && new_ok && new.rows <= old.rows,
                    Cmp::Better2 => accept = !(keyscmp != Cmp::Better1 && old_ok && new.rows >= old.rows),
                    Cmp::Different => {}
                }
            }
        }
        if remove {
            paths.remove(i);
        } else {
            i += 1;
        }
        if !accept {
            return;
        }
    }
    paths.push(new);
}

/// A join's clauses split into the equalities a merge or hash join uses, each written outer side
/// first, and the others.
fn equality_first(outer: u64, clauses: &[Qual]) -> (Vec<Qual>, Vec<Qual>) {
    let mut eq = Vec::new();
    let mut other = Vec::new();
    for c in clauses {
        match c.equijoin() {
            Some((a, b)) if outer & (1 << a.0) != 0 => eq.push(Qual::ColCmp { l: a, op: CmpOp::Eq, r: b }),
            Some((a, b)) if outer & (1 << b.0) != 0 => eq.push(Qual::ColCmp { l: b, op: CmpOp::Eq, r: a }),
            _ => other.push(c.clone()),
        }
    }
    (eq, other)
}

/// `add_partial_path` (after `add_partial_path_precheck`): partial paths compete on total cost
/// and order only, and one that costs more than a regular path of the relation with as good an
/// order is not kept.
fn add_partial_path(paths: &mut Vec<Rc<Plan>>, regular: &[Rc<Plan>], new: Rc<Plan>) {
    if regular.iter().any(|r| r.total * FUZZ < new.total && matches!(keys_cmp(&r.pathkeys, &new.pathkeys), Cmp::Equal | Cmp::Better1)) {
        return;
    }
    let mut keep_new = true;
    paths.retain(|old| {
        let keys = keys_cmp(&new.pathkeys, &old.pathkeys);
        if keys == Cmp::Different {
            return true;
        }
        if new.total > old.total * FUZZ {
            if keys != Cmp::Better1 {
                keep_new = false;
            }
            true
        } else if old.total > new.total * FUZZ {
            keys == Cmp::Better2
        } else {
            // Within the fuzz: the better ordered one, else the cheaper.
            match keys {
                Cmp::Better1 => false,
                Cmp::Better2 => {
                    keep_new = false;
                    true
                }
                _ => {
                    if new.total < old.total {
                        false
                    } else {
                        keep_new = false;
                        true
                    }
                }
            }
        }
    });
    if keep_new {
        paths.push(new);
    }
}

fn prune(all: Vec<Rc<Plan>>, consider_startup: bool) -> Vec<Rc<Plan>> {
    let mut kept = Vec::new();
    for p in all {
        add_path(&mut kept, p, consider_startup);
    }
    kept
}
