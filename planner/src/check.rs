//! A lesson's promises about a plan (node types present or absent, the top node, how far the
//! estimates miss), checked against an EXPLAIN ANALYZE.
use crate::exec::Analyzed;
use crate::explain::Explained;
use crate::lesson::Expect;
use crate::plan::{Kind, Plan};

/// The worst estimated-versus-actual row factor over the executed nodes (≥ 1), and that node.
pub fn worst_misestimate(plan: &Plan, a: &Analyzed) -> (f64, usize) {
    let mut nodes = Vec::new();
    plan.walk(&mut nodes);
    let mut worst = (1.0, 0);
    for (i, n) in nodes.iter().enumerate() {
        let st = &a.nodes[i];
        if st.loops == 0.0 {
            continue;
        }
        let est = n.rows.max(1.0);
        let act = (st.rows / st.loops).max(1.0);
        let f = if est > act { est / act } else { act / est };
        if f > worst.0 {
            worst = (f, i);
        }
    }
    worst
}

/// Each expectation with whether it holds; `previous` is the query before this one, run.
pub fn expectations(x: &Expect, e: &Explained, previous: Option<&Explained>) -> Vec<(String, bool)> {
    let mut nodes = Vec::new();
    e.plan.walk(&mut nodes);
    // A name matches a node as EXPLAIN prints it ("Hash Right Join") or by its kind ("Hash Join"
    // matches every hash join, inner or outer).
    let is = |n: &Plan, name: &str| n.name() == name || n.kind.name() == name;
    let has = |name: &str| nodes.iter().any(|n| is(n, name));
    let mut out = Vec::new();
    for n in &x.nodes {
        out.push((format!("plan has a {n}"), has(n)));
    }
    for n in &x.absent {
        out.push((format!("plan has no {n}"), !has(n)));
    }
    if let Some(t) = &x.top {
        let top = nodes.iter().find(|n| !matches!(n.kind.name(), "Limit" | "Sort" | "Incremental Sort" | "Aggregate" | "HashAggregate" | "GroupAggregate"));
        let name = top.map_or(String::new(), |n| n.name());
        out.push((format!("the top join or scan is a {t} (it is a {name})"), top.is_some_and(|n| is(n, t))));
    }
    if let Some(a) = &e.analyzed {
        let (f, _) = worst_misestimate(&e.plan, a);
        if let Some(min) = x.misestimate_at_least {
            out.push((format!("some node's row estimate is off by at least {min}× (worst {f:.1}×)"), f >= min));
        }
        if let Some(max) = x.misestimate_at_most {
            out.push((format!("every node's row estimate is within {max}× (worst {f:.1}×)"), f <= max));
        }
        let of_kind = |k: Kind| nodes.iter().enumerate().filter(move |(_, n)| n.kind == k).map(|(i, _)| &a.nodes[i]).filter(|s| s.loops > 0.0);
        if let Some(m) = &x.sort_method {
            let methods: Vec<&str> = of_kind(Kind::Sort).filter_map(|s| s.sort_method).map(crate::cost::method_name).collect();
            out.push((format!("every Sort uses {m} (they use {})", methods.join(", ")), !methods.is_empty() && methods.iter().all(|x| x == m)));
        }
        let batches: Vec<f64> = of_kind(Kind::Hash).map(|s| s.batches).collect();
        let most = batches.iter().copied().fold(0.0, f64::max);
        if let Some(min) = x.batches_at_least {
            out.push((format!("a hash join uses at least {min} batches (most: {most})"), most >= min));
        }
        if let Some(max) = x.batches_at_most {
            out.push((format!("every hash join uses at most {max} batches (most: {most})"), !batches.is_empty() && most <= max));
        }
        let returned = a.rows_out as f64;
        if let Some(min) = x.rows_at_least {
            out.push((format!("the query returns at least {min} rows (it returns {returned})"), returned >= min));
        }
        if let Some(max) = x.rows_at_most {
            out.push((format!("the query returns at most {max} rows (it returns {returned})"), returned <= max));
        }
        if let Some(share) = x.time_at_most_of_previous {
            let before = previous.and_then(|p| p.analyzed.as_ref()).map(|p| p.execution_ms);
            let now = a.execution_ms;
            let what = before.map_or_else(|| "there is no previous query".to_string(), |b| format!("{now:.1} ms against {b:.1} ms"));
            out.push((format!("the run takes at most {:.0} % of the previous query's time ({what})", share * 100.0), before.is_some_and(|b| now <= share * b)));
        }
    }
    out
}
