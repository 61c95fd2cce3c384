//! Plain-data view models of a plan for front ends (the plan page draws these and nothing else):
//! one row per node with its estimate against what happened, inclusive and exclusive time, its
//! share of the run, and the cost arithmetic behind it.
use crate::explain::Deparse;
use crate::plan::Plan;
use crate::{Database, Explained};

/// One plan node as the plan tree shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    pub depth: usize,
    /// `Hash Join`, `Index Scan using … on …`.
    pub title: String,
    pub kind: &'static str,
    /// Conditions and keys: `Hash Cond: (…)`.
    pub details: Vec<String>,
    /// Instrumentation lines: `Rows Removed by Filter: 29898`, `Batches: 32 …`.
    pub facts: Vec<String>,
    pub startup_cost: f64,
    pub total_cost: f64,
    pub est_rows: f64,
    /// Per loop, as EXPLAIN prints them; `None` when the node never ran.
    pub actual_rows: Option<f64>,
    pub loops: f64,
    /// Over all loops, in milliseconds.
    pub inclusive_ms: f64,
    pub exclusive_ms: f64,
    /// Exclusive time as a share of the whole run (0..=1).
    pub share: f64,
    /// How far the estimate missed: actual / estimated (> 1 under-estimated, < 1 over-).
    pub misestimate: f64,
    /// The cost arithmetic.
    pub notes: Vec<String>,
}

impl NodeView {
    /// PEV2's colour bands for a node's share of the time.
    pub fn heat(&self) -> &'static str {
        if self.share > 0.9 {
            "hot4"
        } else if self.share > 0.5 {
            "hot3"
        } else if self.share > 0.1 {
            "hot2"
        } else {
            "hot1"
        }
    }
}

/// A whole plan: its nodes (depth first), EXPLAIN's text and JSON, and the totals.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanView {
    pub nodes: Vec<NodeView>,
    pub text: String,
    pub json: String,
    pub total_cost: f64,
    pub planning_ms: f64,
    pub execution_ms: Option<f64>,
    pub rows_out: Option<usize>,
}

/// Builds the view of an explained statement.
pub fn plan_view(db: &Database, e: &Explained) -> PlanView {
    let d = Deparse { db, q: &e.query };
    let mut nodes = Vec::new();
    let mut id = 0;
    collect(&d, &e.plan, e, 0, &mut id, &mut nodes);
    let run_ms = e.analyzed.as_ref().map_or(0.0, |a| a.execution_ms).max(1e-9);
    for n in nodes.iter_mut() {
        n.share = (n.exclusive_ms / run_ms).clamp(0.0, 1.0);
    }
    PlanView {
        nodes,
        text: e.text(db),
        json: serde_json::to_string_pretty(&e.json(db)).unwrap_or_default(),
        total_cost: e.plan.total,
        planning_ms: e.planning.ms,
        execution_ms: e.analyzed.as_ref().map(|a| a.execution_ms),
        rows_out: e.analyzed.as_ref().map(|a| a.rows_out),
    }
}

/// Adds the node and its subtree; returns the node's inclusive time over all loops.
fn collect(d: &Deparse, p: &Plan, e: &Explained, depth: usize, id: &mut usize, out: &mut Vec<NodeView>) -> f64 {
    let me = *id;
    *id += 1;
    let st = e.analyzed.as_ref().map(|a| a.nodes[me].clone());
    let (loops, actual, inclusive) = match &st {
        Some(s) if s.loops > 0.0 => (s.loops, Some(libm::rint(s.rows / s.loops)), s.total_ms),
        Some(s) => (s.loops, None, 0.0),
        None => (0.0, None, 0.0),
    };
    let mut facts = Vec::new();
    if let (Some(s), Some(a)) = (&st, &e.analyzed) {
        if s.loops > 0.0 {
            let mut lines = Vec::new();
            crate::explain::analyze_lines(p, &a.nodes[me], true, &mut lines);
            facts = lines.into_iter().map(|(l, t)| format!("{l}: {t}")).collect();
        }
    }
    let slot = out.len();
    out.push(NodeView {
        depth,
        // A SubPlan's root is named as EXPLAIN names it above the node.
        title: if p.subplan.is_some() || p.is_initplan() { format!("{}: {}", crate::explain::subplan_name(d, p), d.title(p)) } else { d.title(p) },
        kind: p.kind.name(),
        details: d.details(p).into_iter().map(|(l, t)| format!("{l}: {t}")).collect(),
        facts,
        startup_cost: p.startup,
        total_cost: p.total,
        est_rows: p.rows,
        actual_rows: actual,
        loops,
        inclusive_ms: inclusive,
        exclusive_ms: 0.0,
        share: 0.0,
        misestimate: actual.map_or(1.0, |a| a.max(1.0) / p.rows.max(1.0)),
        notes: p.notes.clone(),
    });
    let mut children = 0.0;
    for (cid, c) in p.display_children(me) {
        *id = cid;
        let t = collect(d, c, e, depth + 1, id, out);
        // (A CTE's time is inside the CTE Scan that read it.)
        if !c.is_initplan() {
            children += t;
        }
    }
    *id = me + p.size();
    out[slot].exclusive_ms = (inclusive - children).max(0.0);
    inclusive
}
/// What a learner comparing two plans should be told when the planner's cost and the run's time
/// disagree: the plan with the higher estimated cost ran faster (11d: 1210.56 against 1209.36,
/// and 47× faster). Cost is an estimate from statistics; a wrong row estimate makes it wrong.
/// `None` when they agree, when either plan was not run, or when the times are close.
pub fn cost_against_time(pinned: &PlanView, current: &PlanView) -> Option<String> {
    let (a, b) = (pinned.execution_ms?, current.execution_ms?);
    let (fast, slow, fast_cost, slow_cost, which) = if b < a { (b, a, current.total_cost, pinned.total_cost, "current") } else { (a, b, pinned.total_cost, current.total_cost, "pinned") };
    if fast_cost <= slow_cost || slow < fast * 1.5 {
        return None;
    }
    let misestimated = |v: &PlanView| v.nodes.iter().any(|n| n.actual_rows.is_some() && !(0.1..10.0).contains(&n.misestimate));
    let other = if which == "current" { pinned } else { current };
    let why = if misestimated(other) {
        "the other plan's row estimates are off by 10× or more (its nodes marked ▲ or ▼), so its cost was too low"
    } else {
        "cost counts pages and rows as the statistics predict them, not the time they take"
    };
    Some(format!(
        "The {which} plan has the higher estimated cost ({fast_cost:.2} against {slow_cost:.2}) yet ran {:.0}× faster ({fast:.3} ms against {slow:.3} ms). The planner picks the lowest estimated cost; the estimate is only as good as its statistics: {why}.",
        slow / fast.max(1e-9)
    ))
}

/// A what-if change that does nothing by itself, and what does: `CREATE STATISTICS` defines a
/// statistics object that only `ANALYZE` fills.
pub fn pending_effect(commands: &[crate::command::PlanCommand]) -> Option<String> {
    use crate::command::PlanCommand as C;
    let last_stats = commands.iter().rposition(|c| matches!(c, C::CreateStatistics { .. }))?;
    let analyzed = commands[last_stats..].iter().any(|c| matches!(c, C::Analyze { .. }));
    let C::CreateStatistics { name, table, .. } = &commands[last_stats] else { return None };
    (!analyzed).then(|| format!("CREATE STATISTICS {name} only defines the statistics object: ANALYZE {table} computes it, and until then the planner's estimates (and this plan) do not change."))
}

/// A panel of the planner page, in the order the page and its embedded widget show them: the
/// one list both render.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Panel {
    /// The lesson's title (on the page), its challenge, its summary and its queries.
    Lesson,
    /// The SQL being explained.
    Sql,
    /// What SQL the planner reads (the page's note).
    Subset,
    /// An error from the SQL or a what-if command.
    Error,
    /// The what-if box (settings, indexes, ANALYZE) and what a pending change will do.
    WhatIf,
    /// The plan tree (on the page beside a pinned one, with cost against time).
    Plans,
    /// EXPLAIN's text or JSON.
    Explain,
}

/// Every planner panel, in order.
pub const PANELS: [Panel; 7] = [Panel::Lesson, Panel::Sql, Panel::Subset, Panel::Error, Panel::WhatIf, Panel::Plans, Panel::Explain];

impl Panel {
    /// Whether an embedded widget shows it at all (the note on the SQL subset is the page's).
    pub fn in_widget(self) -> bool {
        self != Panel::Subset
    }

    /// Whether it is open in a widget (`full`: every panel; a compact one folds the what-if box,
    /// unless the lesson is a challenge solved there, and EXPLAIN's text under their names).
    pub fn open(self, full: bool, challenge: bool) -> bool {
        match self {
            Panel::WhatIf => full || challenge,
            Panel::Explain => full,
            _ => true,
        }
    }

    /// The panels a page (`widget` false) or a widget shows, in order.
    pub fn shown(widget: bool) -> Vec<Panel> {
        PANELS.into_iter().filter(|p| !widget || p.in_widget()).collect()
    }
}

#[cfg(test)]
mod panel_tests {
    use super::*;

    #[test]
    fn the_page_and_the_widget_show_one_list() {
        assert_eq!(Panel::shown(false), PANELS.to_vec());
        assert_eq!(Panel::shown(true), PANELS.into_iter().filter(|&p| p != Panel::Subset).collect::<Vec<_>>());
        assert!(Panel::WhatIf.open(false, true) && !Panel::WhatIf.open(false, false) && Panel::WhatIf.open(true, false));
        assert!(!Panel::Explain.open(false, true) && Panel::Plans.open(false, false));
    }
}
