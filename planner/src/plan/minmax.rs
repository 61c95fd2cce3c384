//! `min(col)` and `max(col)` read from an index (planagg.c): with an index whose first column
//! is `col`, each aggregate becomes an InitPlan that reads one row, `SELECT col FROM t WHERE …
//! AND col IS NOT NULL ORDER BY col [DESC] LIMIT 1`, under a Result that returns their values.
use super::{Kind, PathKey, Planner};
use crate::bind::{Output, Qual, Query};
use crate::plan::Plan;
use crate::sql::AggFn;
use std::rc::Rc;

impl Planner<'_> {
    /// `preprocess_minmax_aggregates` and `create_minmaxagg_path`: the Result over one InitPlan
    /// per aggregate, when every aggregate is a min or max of a column some index is ordered on,
    /// in a query over one table without grouping.
    pub(super) fn minmax_path(&self) -> Option<Plan> {
        let q = self.q;
        let simple = q.rels.len() == 1
            && q.group_by.is_empty()
            && q.having.is_empty()
            && !q.distinct
            && q.windows.is_empty()
            && q.outer.is_empty()
            && q.subplans.is_empty()
            && q.initplans.is_empty()
            && q.ctes.is_empty()
            && q.set_op.is_none()
            && q.rels[0].cte_scan.is_none()
            && !q.aggs.is_empty()
            && q.outputs.iter().all(|(_, o)| matches!(o, Output::Agg(_)));
        if !simple {
            return None;
        }
        let mut inits = Vec::new();
        for (k, a) in q.aggs.iter().enumerate() {
            let (Some(col), false, AggFn::Min | AggFn::Max) = (a.arg, a.distinct, a.func) else { return None };
            let desc = a.func == AggFn::Max;
            // The aggregate's own query: the table's conditions, the column not NULL, in its
            // order, one row.
            let mut sub: Query = q.clone();
            sub.quals.push(Qual::IsNull { c: col, not: true });
            sub.order_by = vec![(Output::Col(col), desc)];
            sub.limit = Some(1);
            sub.aggs.clear();
            sub.outputs = vec![(String::new(), Output::Col(col))];
            let planner = Planner::new(self.db, &sub, self.est.probes);
            let want: Vec<PathKey> = vec![(planner.ec(col), desc)];
            let rows = planner.base_rows[0];
            let fraction = if rows > 1.0 { 1.0 / rows } else { 1.0 };
            let at = |p: &Plan| p.startup + fraction * (p.total - p.startup);
            // get_cheapest_fractional_path_for_pathkeys: none in order, no min/max from an index.
            let best = planner.base_paths(0).into_iter().filter(|p| p.pathkeys.starts_with(&want)).min_by(|a, b| at(a).total_cmp(&at(b)))?;
            let mut limit = Plan::new(Kind::Limit);
            limit.startup = best.startup;
            limit.total = at(&best);
            limit.rows = 1.0;
            limit.width = best.width;
            limit.relids = best.relids;
            limit.param_plan = Some(k);
            limit.notes.push(format!("the first of {rows} rows in order: startup {:.2} + (total − startup) ÷ {rows}", best.startup));
            limit.children = vec![best];
            inits.push(Rc::new(limit));
        }
        let s = self.s;
        let mut p = Plan::new(Kind::Result);
        p.startup = inits.iter().map(|i| i.total).sum();
        p.total = p.startup + s.cpu_tuple_cost;
        p.rows = 1.0;
        p.width = q.aggs.iter().map(|a| a.arg.map_or(4.0, |c| self.col_width(c))).sum();
        p.relids = 1;
        p.notes.push(format!("each min or max an InitPlan reading one row from an index ({:.2}), then one row: cpu_tuple_cost", p.startup));
        p.children = inits;
        Some(p)
    }
}

/// After planning: each min/max InitPlan reads the table as a relation of its own (PostgreSQL
/// names the second `orders_1`), and is numbered as an InitPlan returning `$k`.
pub fn number_initplans(q: &mut Query, plan: &Rc<Plan>) -> Rc<Plan> {
    if plan.kind != Kind::Result || plan.children.is_empty() || !plan.children.iter().all(|c| c.param_plan.is_some()) || !q.initplans.is_empty() {
        return plan.clone();
    }
    let mut top = (**plan).clone();
    for (k, child) in top.children.iter_mut().enumerate() {
        let agg = q.aggs[k];
        let rel = if k == 0 {
            0
        } else {
            q.rels.push(q.rels[0].clone());
            q.rels.len() - 1
        };
        if rel != 0 {
            *child = Rc::new(on_rel(child, rel));
        }
        q.initplans.push(crate::bind::InitPlan { rel, agg, plan_id: k + 1, param: k });
    }
    let order: Vec<usize> = (0..q.rels.len()).collect();
    crate::bind::unique_names(&mut q.rels, order);
    Rc::new(top)
}

/// A copy of `p` reading relation `rel` instead of relation 0.
fn on_rel(p: &Plan, rel: usize) -> Plan {
    let f = |c: crate::bind::ColRef| if c.0 == 0 { (rel, c.1) } else { c };
    let mut out = p.clone();
    out.rel = p.rel.map(|r| if r == 0 { rel } else { r });
    out.relids = if p.relids & 1 != 0 { (p.relids & !1) | (1 << rel) } else { p.relids };
    out.index_cond = p.index_cond.iter().map(|x| x.map_cols(&f)).collect();
    out.filter = p.filter.iter().map(|x| x.map_cols(&f)).collect();
    out.keys = p.keys.iter().map(|(o, d)| (if let Output::Col(c) = o { Output::Col(f(*c)) } else { *o }, *d)).collect();
    out.children = p.children.iter().map(|c| Rc::new(on_rel(c, rel))).collect();
    out
}
