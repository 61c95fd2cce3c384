//! Set operations as PostgreSQL 15 plans them (prepunion.c): UNION ALL of plain SELECTs
//! flattened into one Append; UNION as an Append made unique by a HashAggregate or a Sort and
//! Unique; INTERSECT and EXCEPT as a SetOp over an Append of Subquery Scans that tag each row
//! with its side, hashed or sorted (`choose_hashed_setop`).
use super::{cheapest, Kind, Planner, SetOpNode};
use crate::bind::{Output, SetTree};
use crate::catalog::maxalign;
use crate::plan::Plan;
use crate::sql::SetCmd;
use std::rc::Rc;

/// One input of an Append: its plan, the cost a SubqueryScan adds that setrefs.c then removes
/// from the plan (a trivial one: its cost stays in the Append's), and its distinct rows.
struct Input {
    plan: Rc<Plan>,
    hidden: f64,
    groups: f64,
}

/// The width of the flag column INTERSECT and EXCEPT add to each row (an int4).
const FLAG_WIDTH: f64 = 4.0;

impl Planner<'_> {
    /// The paths of a set operation, before ORDER BY and LIMIT.
    pub(super) fn set_op_paths(&self) -> Vec<Rc<Plan>> {
        let so = self.q.set_op.as_ref().expect("a set operation");
        if all_union_all(&so.tree) {
            // flatten_simple_union_all: an appendrel whose members are the SELECTs; a SELECT
            // without WHERE is pulled up into a plain member (is_safe_append_member), one with
            // WHERE stays a subquery.
            let mut selects = Vec::new();
            so.tree.selects(&mut selects);
            let pulled = pulled_up(self.q);
            let inputs: Vec<Input> = selects.iter().map(|&i| self.select_input(i, false, pulled & (1 << i) == 0)).collect();
            let mut paths = vec![self.append(inputs, None)];
            if !self.q.order_by.is_empty() {
                paths.extend(self.merge_appends(&selects, pulled));
            }
            return paths;
        }
        vec![self.set_input(&so.tree, false, true).plan]
    }

    /// A SELECT as an input: its cheapest path, under a Subquery Scan that adds the flag column
    /// when `flagged` (an INTERSECT's or EXCEPT's input), or a trivial one setrefs.c removes
    /// when `subquery`.
    fn select_input(&self, i: usize, flagged: bool, subquery: bool) -> Input {
        let path = cheapest(&self.base_paths(i));
        let cols: Vec<_> = self.q.set_op.as_ref().map_or(Vec::new(), |so| so.columns[i].iter().map(|&c| (i, c)).collect());
        let groups = self.num_groups(&cols, path.rows);
        let scan = self.s.cpu_tuple_cost * path.rows;
        if flagged {
            let mut p = Plan::new(Kind::SubqueryScan);
            p.startup = path.startup;
            p.total = path.total + scan;
            p.rows = path.rows;
            p.width = path.width + FLAG_WIDTH;
            p.relids = path.relids;
            p.select_no = Some(i + 1);
            p.notes.push(format!("cpu_tuple_cost × {} rows = {scan:.2} over its SELECT's plan", path.rows));
            p.children = vec![path];
            return Input { plan: Rc::new(p), hidden: 0.0, groups };
        }
        Input { plan: path, hidden: if subquery { scan } else { 0.0 }, groups }
    }

    /// A node of the set operation tree as its parent's input; `flagged` when the parent is an
    /// INTERSECT or EXCEPT, `top` for the whole statement's.
    fn set_input(&self, t: &SetTree, flagged: bool, top: bool) -> Input {
        let (cmd, all, l, r) = match t {
            SetTree::Select(i) => return self.select_input(*i, flagged, true),
            SetTree::Op { cmd, all, l, r } => (*cmd, *all, l, r),
        };
        let plan = if cmd == SetCmd::Union { self.union_plan(t, all, top) } else { self.nonunion_plan(cmd, all, l, r, top) };
        // A projection sets (or drops) the flag column: the node itself when it can project (a
        // HashAggregate, at no cost), else a Result (create_projection_path).
        let reflag = flagged || cmd != SetCmd::Union;
        let groups = plan.rows;
        if !reflag || top {
            return Input { plan, hidden: 0.0, groups };
        }
        let width = match (flagged, cmd == SetCmd::Union) {
            (true, true) => plan.width + FLAG_WIDTH,
            (false, false) => plan.width - FLAG_WIDTH,
            _ => plan.width,
        };
        if plan.kind == Kind::HashAggregate {
            let projected = Plan { width, ..(*plan).clone() };
            return Input { plan: Rc::new(projected), hidden: 0.0, groups };
        }
        let mut p = Plan::new(Kind::Result);
        let project = self.s.cpu_tuple_cost * plan.rows;
        p.startup = plan.startup;
        p.total = plan.total + project;
        p.rows = plan.rows;
        p.width = width;
        p.relids = plan.relids;
        p.notes.push(format!("a projection of the flag column: cpu_tuple_cost × {} rows = {project:.2}", plan.rows));
        p.children = vec![plan];
        Input { plan: Rc::new(p), hidden: 0.0, groups }
    }

    /// An Append of `inputs` (cost_append): the first input's startup, every input's total, and
    /// half a cpu_tuple_cost per row.
    fn append(&self, inputs: Vec<Input>, flag: Option<bool>) -> Rc<Plan> {
        let mut p = Plan::new(Kind::Append);
        p.startup = inputs.first().map_or(0.0, |i| i.plan.startup);
        p.rows = inputs.iter().map(|i| i.plan.rows).sum();
        let per_row = self.s.cpu_tuple_cost * 0.5;
        p.total = inputs.iter().map(|i| i.plan.total + i.hidden).sum::<f64>() + per_row * p.rows;
        p.width = match flag {
            // An appendrel's width is its members' average, weighted by their rows.
            None => {
                let weighted: f64 = inputs.iter().map(|i| i.plan.width * i.plan.rows).sum();
                if p.rows > 0.0 {
                    libm::rint(weighted / p.rows)
                } else {
                    inputs.first().map_or(0.0, |i| i.plan.width)
                }
            }
            // A set operation's result columns have only their types' widths (get_typavgwidth:
            // 4 for an integer, 32 for text), and the flag's.
            Some(flagged) => self.typed_width() + if flagged { FLAG_WIDTH } else { 0.0 },
        };
        p.relids = inputs.iter().fold(0, |m, i| m | i.plan.relids);
        let hidden: f64 = inputs.iter().map(|i| i.hidden).sum();
        if hidden > 0.0 {
            p.notes.push(format!("includes {hidden:.2} for the subquery scans of SELECTs with WHERE (cpu_tuple_cost per row), which the final plan leaves out"));
        }
        p.notes.push(format!("cpu_tuple_cost × 0.5 × {} rows = {:.2} over its inputs", p.rows, per_row * p.rows));
        p.children = inputs.into_iter().map(|i| i.plan).collect();
        Rc::new(p)
    }

    /// generate_orderedappend_paths: for each ordering some member's path has (a pulled-up
    /// SELECT's index scan, its column one of the ORDER BY's), a Merge Append of each member's
    /// cheapest path in that order for the first row and for all rows, a member without one
    /// sorted.
    fn merge_appends(&self, selects: &[usize], pulled: u64) -> Vec<Rc<Plan>> {
        let members: Vec<Vec<Rc<Plan>>> = selects
            .iter()
            .map(|&i| {
                let paths = self.base_paths(i);
                if pulled & (1 << i) != 0 {
                    return paths;
                }
                // A subquery's paths have no order its parent can use (it has no ORDER BY), and
                // cost its Subquery Scan too.
                let best = cheapest(&paths);
                let scan = self.s.cpu_tuple_cost * best.rows;
                vec![Rc::new(Plan { pathkeys: Vec::new(), total: best.total + scan, ..(*best).clone() })]
            })
            .collect();
        let mut orders: Vec<Vec<super::PathKey>> = Vec::new();
        for p in members.iter().flatten() {
            if !p.pathkeys.is_empty() && !orders.contains(&p.pathkeys) {
                orders.push(p.pathkeys.clone());
            }
        }
        let mut out = Vec::new();
        for order in orders {
            // The keys as ORDER BY's columns: each ordering comes from ORDER BY's classes.
            let keys: Vec<(Output, bool)> = order.iter().map(|&(ec, d)| (Output::Set(ec - super::SET_EC), d)).collect();
            for by_startup in [true, false] {
                let mut inputs = Vec::new();
                for paths in &members {
                    let ordered = paths.iter().filter(|p| p.pathkeys.starts_with(&order)).min_by(|a, b| if by_startup { a.startup.total_cmp(&b.startup) } else { a.total.total_cmp(&b.total) });
                    inputs.push(match ordered {
                        Some(p) => p.clone(),
                        None => {
                            // (Sorted over the subquery's cost; the Sort's input is its scan.)
                            let input = cheapest(paths);
                            let sorted = self.sort_node(&input, &keys, self.q.limit.map(|l| l as f64));
                            let i = input.rel.unwrap_or(0);
                            let scan = if pulled & (1 << i) == 0 { cheapest(&self.base_paths(i)) } else { input };
                            Rc::new(Plan { children: vec![scan], ..(*sorted).clone() })
                        }
                    });
                }
                let p = self.merge_append(inputs, &keys, order.clone());
                if !out.iter().any(|o: &Rc<Plan>| o.as_ref() == p.as_ref()) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// cost_merge_append: its inputs' costs, a heap of its N inputs built at startup (2 ×
    /// cpu_operator_cost × N × log2 N), each row through the heap (× log2 N) and half a
    /// cpu_tuple_cost per row.
    fn merge_append(&self, inputs: Vec<Rc<Plan>>, keys: &[(Output, bool)], pathkeys: Vec<super::PathKey>) -> Rc<Plan> {
        let s = self.s;
        let n = (inputs.len() as f64).max(2.0);
        let log_n = libm::log2(n);
        let comparison = 2.0 * s.cpu_operator_cost;
        let rows: f64 = inputs.iter().map(|p| p.rows).sum();
        let heap = comparison * n * log_n;
        let run = rows * comparison * log_n + s.cpu_tuple_cost * 0.5 * rows;
        let mut p = Plan::new(Kind::MergeAppend);
        p.startup = heap + inputs.iter().map(|i| i.startup).sum::<f64>();
        p.total = heap + run + inputs.iter().map(|i| i.total).sum::<f64>();
        p.rows = rows;
        let weighted: f64 = inputs.iter().map(|i| i.width * i.rows).sum();
        p.width = if rows > 0.0 { libm::rint(weighted / rows) } else { inputs.first().map_or(0.0, |i| i.width) };
        p.relids = inputs.iter().fold(0, |m, i| m | i.relids);
        p.keys = keys.to_vec();
        p.pathkeys = pathkeys;
        p.notes.push(format!("a heap of {} inputs: 2 × cpu_operator_cost × N × log2 N = {heap:.2} at startup; each of {rows} rows through it and half a cpu_tuple_cost = {run:.2}", inputs.len()));
        p.children = inputs;
        Rc::new(p)
    }

    /// A UNION's inputs: nested UNIONs of the same kind (or UNION ALL under UNION) are
    /// flattened into one Append (recurse_union_children).
    fn union_inputs(&self, t: &SetTree, top_all: bool, out: &mut Vec<Input>) {
        match t {
            SetTree::Op { cmd: SetCmd::Union, all, l, r } if *all == top_all || *all => {
                self.union_inputs(l, top_all, out);
                self.union_inputs(r, top_all, out);
            }
            other => out.push(self.set_input(other, false, false)),
        }
    }

    fn union_plan(&self, t: &SetTree, all: bool, top: bool) -> Rc<Plan> {
        let mut inputs = Vec::new();
        if let SetTree::Op { l, r, .. } = t {
            self.union_inputs(l, all, &mut inputs);
            self.union_inputs(r, all, &mut inputs);
        }
        let append = self.append(inputs, Some(false));
        if all {
            return append;
        }
        // Every row counts as its own group: PostgreSQL has no better estimate here.
        let groups = append.rows;
        let keys = self.set_keys();
        let mut h = self.hash_agg(&append, keys.clone(), groups, (0.0, 0.0));
        h.width = append.width;
        h.relids = append.relids;
        h.dedup = true;
        let sorted = self.sort_node(&append, &keys, None);
        let mut u = self.unique_node(&sorted, keys, groups);
        u.width = append.width;
        u.relids = append.relids;
        u.dedup = true;
        Rc::new(if self.hashed_setop(&append, groups, groups, &h, &u, top) { h } else { u })
    }

    fn nonunion_plan(&self, cmd: SetCmd, all: bool, l: &SetTree, r: &SetTree, top: bool) -> Rc<Plan> {
        let (li, ri) = (self.set_input(l, true, false), self.set_input(r, true, false));
        let (lg, rg) = (li.groups, ri.groups);
        let (lrows, rrows) = (li.plan.rows, ri.plan.rows);
        // EXCEPT keeps its left input first; INTERSECT puts the side with fewer groups first, for
        // the smaller hash table.
        let (first, second) = if cmd == SetCmd::Except || lg <= rg { (li, ri) } else { (ri, li) };
        let left = first.plan.relids;
        let append = self.append(vec![first, second], Some(true));
        let (groups, out_rows) = match cmd {
            SetCmd::Except => (lg, if all { lrows } else { lg }),
            _ => (lg.min(rg), if all { lrows.min(rrows) } else { lg.min(rg) }),
        };
        let keys = self.set_keys();
        let per_row = self.s.cpu_operator_cost * append.rows * keys.len() as f64;
        // A SetOp over its input: one comparison per column per input row.
        let setop = |input: Rc<Plan>, hashed: bool| {
            let mut p = Plan::new(Kind::SetOp);
            p.startup = input.startup;
            p.total = input.total + per_row;
            p.rows = out_rows;
            p.width = append.width;
            p.relids = append.relids;
            p.set_op = Some(SetOpNode { cmd, all, hashed, left });
            p.notes.push(format!("cpu_operator_cost × {} rows × {} columns = {per_row:.2} over its input", append.rows, keys.len()));
            p.children = vec![input];
            p
        };
        let sorted = self.sort_node(&append, &keys, None);
        let h = setop(append.clone(), true);
        let s = setop(sorted.clone(), false);
        // choose_hashed_setop weighs the hash against a Sort and a Group, costed as cost_agg and
        // cost_group would; SetOp's own costs differ.
        let agg = self.hash_agg(&append, keys.clone(), groups, (0.0, 0.0));
        let group = self.unique_node(&sorted, keys, groups);
        Rc::new(if self.hashed_setop(&append, groups, out_rows, &agg, &group, top) { h } else { s })
    }

    /// `choose_hashed_setop`: hash when hashing is enabled, the table fits in hash_mem, and it
    /// costs less at the fraction of rows a LIMIT reads.
    fn hashed_setop(&self, input: &Plan, groups: f64, out_rows: f64, hashed: &Plan, sorted: &Plan, top: bool) -> bool {
        if !self.s.enable_hashagg {
            return false;
        }
        // MAXALIGN(width) + MAXALIGN(SizeofMinimalTupleHeader) per entry.
        let entry = (maxalign(input.width as usize) + maxalign(15)) as f64;
        if entry * groups > self.s.work_mem * 1024.0 * self.s.hash_mem_multiplier {
            return false;
        }
        let fraction = match (top, self.q.limit) {
            (true, Some(l)) if self.q.order_by.is_empty() => (l as f64).max(1.0) / out_rows.max(1.0),
            _ => 1.0,
        };
        let at = |p: &Plan| if fraction > 0.0 && fraction < 1.0 { p.startup + fraction * (p.total - p.startup) } else { p.total };
        at(hashed) < at(sorted)
    }

    /// The widths of the result's column types.
    fn typed_width(&self) -> f64 {
        let Some(so) = &self.q.set_op else { return 0.0 };
        let t = &self.db.tables[self.q.rels[0].table];
        so.columns[0].iter().map(|&c| if t.columns[c].text.is_some() { 32.0 } else { 4.0 }).sum()
    }

    /// Every output column, ascending: the keys a set operation compares rows on.
    fn set_keys(&self) -> Vec<(Output, bool)> {
        (0..self.q.outputs.len()).map(|k| (Output::Set(k), false)).collect()
    }
}

/// Names a set operation's relations in the order PostgreSQL does: SELECTs pulled up into a
/// UNION ALL's Append first (their tables join the statement's range table), then each
/// subquery's table as setrefs.c meets it in the plan, depth first (an INTERSECT may have put
/// its third SELECT first).
pub fn name_relations(q: &mut crate::bind::Query, plan: &Plan) {
    if q.set_op.is_none() {
        return;
    }
    let pulled_up = pulled_up(q);
    let mut nodes = Vec::new();
    plan.walk(&mut nodes);
    let mut order: Vec<usize> = (0..q.rels.len()).filter(|r| pulled_up & (1 << r) != 0).collect();
    for n in nodes {
        if let Some(r) = n.rel.filter(|r| !order.contains(r)) {
            order.push(r);
        }
    }
    crate::bind::unique_names(&mut q.rels, order);
}

/// The SELECTs a UNION ALL of plain SELECTs pulls up into its Append's members
/// (is_safe_append_member: one table and no WHERE), as relations.
pub fn pulled_up(q: &crate::bind::Query) -> u64 {
    match &q.set_op {
        Some(so) if all_union_all(&so.tree) => (0..q.rels.len()).filter(|&r| !q.quals.iter().any(|x| x.rels() == 1 << r)).fold(0u64, |m, r| m | 1 << r),
        _ => 0,
    }
}

fn all_union_all(t: &SetTree) -> bool {
    match t {
        SetTree::Select(_) => true,
        SetTree::Op { cmd, all, l, r } => *cmd == SetCmd::Union && *all && all_union_all(l) && all_union_all(r),
    }
}
