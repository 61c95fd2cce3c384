//! Name resolution: a parsed SELECT becomes a [`Query`] over the catalog, with PostgreSQL's errors
//! (`relation "x" does not exist`, `column reference "id" is ambiguous`, …) at their positions.
use crate::catalog::{ColType, NULL};
use crate::db::Database;
use crate::sql::{AggFn, CmpOp, Expr, Lit, OjKind, SelExpr, Select, SetCmd, SqlError};

/// A column of one of the query's relations: (relation index, column index).
pub type ColRef = (usize, usize);

#[derive(Clone, Debug, PartialEq)]
pub struct Rel {
    pub table: usize,
    /// The name EXPLAIN prints: the alias, or the table's name.
    pub alias: String,
    pub has_alias: bool,
    /// A CTE inlined into the query (PostgreSQL 12+): the name the query calls it by, and its
    /// columns (each a column of the CTE's table). EXPLAIN names the table as the CTE does.
    pub cte: Option<(String, Vec<(String, usize)>)>,
    /// A materialized CTE's scan: `Query::ctes[k]` (the relation reads the rows its query
    /// returned; `table` is that query's table).
    pub cte_scan: Option<usize>,
}

impl Rel {
    /// The name the query's text calls the relation by.
    pub fn visible(&self) -> &str {
        self.cte.as_ref().map_or(&self.alias, |(n, _)| n)
    }
    /// Column `name` as the query sees it.
    pub fn column(&self, db: &Database, name: &str) -> Option<usize> {
        match &self.cte {
            Some((_, cols)) => cols.iter().find(|(n, _)| n == name).map(|(_, c)| *c),
            None => db.tables[self.table].column(name),
        }
    }
}

/// A resolved condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Qual {
    /// `col op const` (a NULL constant never matches).
    Cmp {
        c: ColRef,
        op: CmpOp,
        v: i64,
    },
    /// `col = ANY ('{…}')`.
    In {
        c: ColRef,
        vals: Vec<i64>,
    },
    IsNull {
        c: ColRef,
        not: bool,
    },
    /// `col op col`: a join clause when the relations differ.
    ColCmp {
        l: ColRef,
        op: CmpOp,
        r: ColRef,
    },
    /// A disjunction of conjunctions.
    Or(Vec<Vec<Qual>>),
    /// `c NOT IN (SELECT …)`: the hashed SubPlan `Query::subplans[sub]` (the executor evaluates
    /// it; it is false when the subquery returned `c`'s value, and NULL when `c` is NULL or the
    /// subquery returned a NULL).
    NotIn {
        c: ColRef,
        sub: usize,
    },
    /// `c op $n`: compared with the result of `Query::initplans[k]`, a scalar subquery run once.
    Param {
        c: ColRef,
        op: CmpOp,
        k: usize,
        /// Cast to numeric to meet an avg: `(c)::numeric > $n`.
        cast: bool,
    },
}

impl Qual {
    /// The relations the condition reads, as a bit set.
    pub fn rels(&self) -> u64 {
        match self {
            Qual::Cmp { c, .. } | Qual::In { c, .. } | Qual::IsNull { c, .. } | Qual::NotIn { c, .. } | Qual::Param { c, .. } => 1 << c.0,
            Qual::ColCmp { l, r, .. } => (1 << l.0) | (1 << r.0),
            Qual::Or(arms) => arms.iter().flatten().fold(0, |m, q| m | q.rels()),
        }
    }
    pub fn columns(&self, out: &mut Vec<ColRef>) {
        match self {
            Qual::Cmp { c, .. } | Qual::In { c, .. } | Qual::IsNull { c, .. } | Qual::NotIn { c, .. } | Qual::Param { c, .. } => out.push(*c),
            Qual::ColCmp { l, r, .. } => {
                out.push(*l);
                out.push(*r);
            }
            Qual::Or(arms) => arms.iter().flatten().for_each(|q| q.columns(out)),
        }
    }
    /// Whether a row's values satisfy it (`get(col)` reads a column). A `NotIn` needs its
    /// subquery's rows: the executor evaluates it, and here it holds.
    pub fn eval(&self, get: &impl Fn(ColRef) -> i64) -> bool {
        match self {
            Qual::Cmp { c, op, v } => {
                let x = get(*c);
                x != NULL && *v != NULL && op.holds(x, *v)
            }
            Qual::In { c, vals } => {
                let x = get(*c);
                x != NULL && vals.contains(&x)
            }
            Qual::IsNull { c, not } => (get(*c) == NULL) != *not,
            Qual::ColCmp { l, op, r } => {
                let (a, b) = (get(*l), get(*r));
                a != NULL && b != NULL && op.holds(a, b)
            }
            Qual::Or(arms) => arms.iter().any(|arm| arm.iter().all(|q| q.eval(get))),
            Qual::NotIn { .. } | Qual::Param { .. } => true,
        }
    }
    /// The same condition over other relations: `f` maps each column.
    pub fn map_cols(&self, f: &impl Fn(ColRef) -> ColRef) -> Qual {
        match self {
            Qual::Cmp { c, op, v } => Qual::Cmp { c: f(*c), op: *op, v: *v },
            Qual::In { c, vals } => Qual::In { c: f(*c), vals: vals.clone() },
            Qual::IsNull { c, not } => Qual::IsNull { c: f(*c), not: *not },
            Qual::ColCmp { l, op, r } => Qual::ColCmp { l: f(*l), op: *op, r: f(*r) },
            Qual::Or(arms) => Qual::Or(arms.iter().map(|arm| arm.iter().map(|q| q.map_cols(f)).collect()).collect()),
            Qual::NotIn { c, sub } => Qual::NotIn { c: f(*c), sub: *sub },
            Qual::Param { c, op, k, cast } => Qual::Param { c: f(*c), op: *op, k: *k, cast: *cast },
        }
    }
    /// An equality join clause between two different relations.
    pub fn equijoin(&self) -> Option<(ColRef, ColRef)> {
        match self {
            Qual::ColCmp { l, op: CmpOp::Eq, r } if l.0 != r.0 => Some((*l, *r)),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Agg {
    pub func: AggFn,
    pub arg: Option<ColRef>,
    /// Over the distinct values only (`count(DISTINCT x)`): the aggregate sorts its input itself.
    pub distinct: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Output {
    Col(ColRef),
    Agg(usize),
    /// Window function `k` (`Query::windows`).
    Win(usize),
    /// Column `k` of a set operation's result (`Query::set_op`).
    Set(usize),
}

/// A window function of the select list: its function and argument (all of a query's window
/// functions share one window, `Query::window`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Win {
    pub func: crate::sql::WinFn,
    pub arg: Option<ColRef>,
}

/// A window: PARTITION BY columns, then ORDER BY columns with their direction.
pub type Window = (Vec<ColRef>, Vec<(ColRef, bool)>);

/// A LEFT JOIN as it is planned: the nullable relation, the `ON` conditions evaluated at the
/// join (those that read the nullable relation and the other side, or only the other side:
/// `ON` conditions on the nullable relation alone filter its scan, in `Query::quals`), and the
/// relations of the other side that must be joined before it (`min_lefthand`).
#[derive(Clone, Debug, PartialEq)]
pub struct OuterJoin {
    pub nullable: usize,
    pub join_quals: Vec<Qual>,
    pub min_lhs: u64,
    /// Left; semi (`EXISTS`, `IN (SELECT …)`); or anti: only the rows without a partner come out
    /// (`NOT EXISTS`, or `LEFT JOIN … WHERE` a column the `ON` clause compares `IS NULL`).
    pub kind: OjKind,
}

impl OuterJoin {
    pub fn semi(&self) -> bool {
        self.kind == OjKind::Semi
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub rels: Vec<Rel>,
    pub quals: Vec<Qual>,
    /// The LEFT JOINs that stay outer joins once the quals above them are read
    /// (`reduce_outer_joins`: a strict condition on the nullable side makes it an inner join).
    pub outer: Vec<OuterJoin>,
    pub outputs: Vec<(String, Output)>,
    pub group_by: Vec<ColRef>,
    pub aggs: Vec<Agg>,
    pub order_by: Vec<(Output, bool)>,
    pub limit: Option<u64>,
    /// String constants outside their column's values, as written: (column, code, text).
    pub strays: Vec<(ColRef, i64, String)>,
    /// The hashed SubPlans of `NOT IN (SELECT …)`.
    pub subplans: Vec<SubPlan>,
    /// Scalar subqueries' InitPlans.
    pub initplans: Vec<InitPlan>,
    /// `SELECT DISTINCT`: `group_by` holds the select list's columns (ORDER BY's first), and
    /// there are no aggregates.
    pub distinct: bool,
    /// HAVING's conditions: aggregate `k` compared with a constant.
    pub having: Vec<(usize, CmpOp, i64)>,
    /// Materialized CTEs, each planned on its own as an InitPlan ("CTE name") the CTE Scans read.
    pub ctes: Vec<CteScan>,
    /// Window functions, over `window`.
    pub windows: Vec<Win>,
    pub window: Window,
    /// A set operation (UNION, INTERSECT, EXCEPT): relation `i` is its SELECT number `i + 1`,
    /// and `outputs`, `order_by` and `limit` are the whole statement's (`Output::Set`).
    pub set_op: Option<SetQuery>,
}

/// The SELECTs of a set operation and how they combine. Each SELECT reads one relation (relation
/// `i` is SELECT `i`), with its WHERE among the query's conditions and its columns in
/// `columns[i]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SetQuery {
    pub tree: SetTree,
    pub columns: Vec<Vec<usize>>,
    /// Each SELECT's output names (a Subquery Scan's columns are named so).
    pub names: Vec<Vec<String>>,
}

/// Set operations as PostgreSQL's grammar nests them: left to right, INTERSECT before UNION and
/// EXCEPT.
#[derive(Clone, Debug, PartialEq)]
pub enum SetTree {
    Select(usize),
    Op { cmd: SetCmd, all: bool, l: Box<SetTree>, r: Box<SetTree> },
}

impl SetTree {
    /// The SELECTs under this node, left to right.
    pub fn selects(&self, out: &mut Vec<usize>) {
        match self {
            SetTree::Select(i) => out.push(*i),
            SetTree::Op { l, r, .. } => {
                l.selects(out);
                r.selects(out);
            }
        }
    }
    pub fn rels(&self) -> u64 {
        let mut v = Vec::new();
        self.selects(&mut v);
        v.iter().fold(0, |m, r| m | 1 << r)
    }
}

/// A materialized CTE: its name, the relation its query scans (its table and WHERE), and its
/// columns.
#[derive(Clone, Debug, PartialEq)]
pub struct CteScan {
    pub name: String,
    pub rel: usize,
    pub cols: Vec<(String, usize)>,
}

/// `outer NOT IN (SELECT inner FROM rel …)`: a subquery over one relation, planned on its own,
/// whose rows go into a hash table the condition probes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SubPlan {
    pub rel: usize,
    pub outer: ColRef,
    pub inner: ColRef,
    /// Where `NOT IN` is written.
    pub pos: usize,
    /// EXPLAIN's number for it ("SubPlan n"): plans are numbered in the order PostgreSQL plans
    /// them (materialized CTEs, then WHERE's subqueries as written).
    pub plan_id: usize,
}

/// A scalar subquery `(SELECT agg(x) FROM rel …)`: planned on its own, run once (an InitPlan),
/// its result the parameter `$param` of the conditions that compare with it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InitPlan {
    pub rel: usize,
    pub agg: Agg,
    pub plan_id: usize,
    pub param: usize,
}

impl Query {
    pub fn is_grouped(&self) -> bool {
        !self.aggs.is_empty() || !self.group_by.is_empty()
    }
    /// Whether aggregate `k` is only in HAVING (it is computed but not output).
    pub fn having_only(&self, k: usize) -> bool {
        !self.outputs.iter().any(|(_, o)| *o == Output::Agg(k)) && !self.order_by.iter().any(|(o, _)| *o == Output::Agg(k))
    }
    /// Every column the query reads, per relation.
    pub fn needed_columns(&self) -> Vec<ColRef> {
        let mut v = Vec::new();
        for (_, o) in &self.outputs {
            if let Output::Col(c) = o {
                v.push(*c);
            }
        }
        for q in self.quals.iter().chain(self.outer.iter().flat_map(|o| &o.join_quals)) {
            q.columns(&mut v);
        }
        v.extend(self.group_by.iter().copied());
        v.extend(self.subplans.iter().map(|sp| sp.inner));
        v.extend(self.initplans.iter().filter_map(|ip| ip.agg.arg));
        v.extend(self.window.0.iter().copied());
        v.extend(self.window.1.iter().map(|(c, _)| *c));
        v.extend(self.windows.iter().filter_map(|w| w.arg));
        v.extend(self.ctes.iter().flat_map(|c| c.cols.iter().map(move |(_, ci)| (c.rel, *ci))));
        v.extend(self.aggs.iter().filter_map(|a| a.arg));
        if let Some(so) = &self.set_op {
            v.extend(so.columns.iter().enumerate().flat_map(|(r, cs)| cs.iter().map(move |&c| (r, c))));
        }
        for (o, _) in &self.order_by {
            if let Output::Col(c) = o {
                v.push(*c);
            }
        }
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// Resolves a SELECT against the catalog.
pub fn bind(db: &Database, s: &Select) -> Result<Query, SqlError> {
    if !s.set_ops.is_empty() {
        return bind_set_op(db, s);
    }
    let mut rels: Vec<Rel> = Vec::new();
    if s.from.len() > 16 {
        return Err(SqlError::at(s.from[16].pos, "dbsim plans at most 16 relations in one query"));
    }
    // CTE bodies' conditions come first, as PostgreSQL distributes a pulled-up subquery's.
    let mut cte_quals = Vec::new();
    let mut ctes: Vec<CteScan> = Vec::new();
    let mut cte_rels: Vec<Rel> = Vec::new();
    // A subquery's table is in a scope of its own: its name may repeat the query's.
    let in_subquery: Vec<usize> =
        s.outer.iter().filter(|o| matches!(o.kind, OjKind::Semi | OjKind::Anti)).map(|o| o.nullable).chain(s.not_in.iter().map(|n| n.table)).chain(s.scalars.iter().map(|x| x.table)).collect();
    for (fi, f) in s.from.iter().enumerate() {
        let visible = f.alias.clone().unwrap_or_else(|| f.table.clone());
        if !in_subquery.contains(&fi) && rels.iter().enumerate().any(|(ri, r)| !in_subquery.contains(&ri) && r.visible() == visible) {
            return Err(SqlError::at(f.pos, format!("table name \"{visible}\" specified more than once")));
        }
        if let Some(cte) = s.ctes.iter().find(|c| c.name == f.table) {
            // PostgreSQL 12+ inlines a CTE read once (unless MATERIALIZED) and pulls it up; one
            // MATERIALIZED, or read more than once (unless NOT MATERIALIZED), is a CTE Scan of
            // rows its own plan returns once.
            let refs = s.from.iter().filter(|g| g.table == cte.name).count();
            if cte.materialized == Some(true) || (refs > 1 && cte.materialized.is_none()) {
                let k = match ctes.iter().position(|c: &CteScan| c.name == cte.name) {
                    Some(k) => k,
                    None => {
                        let body_rel = s.from.len() + ctes.len();
                        let (t, alias, has_alias, cols, quals) = cte_body(db, cte, body_rel)?;
                        cte_quals.push(quals);
                        ctes.push(CteScan { name: cte.name.clone(), rel: body_rel, cols });
                        cte_rels.push(Rel { table: t, alias, has_alias, cte: None, cte_scan: None });
                        ctes.len() - 1
                    }
                };
                let cols = ctes[k].cols.clone();
                rels.push(Rel { table: cte_rels[k].table, alias: visible.clone(), has_alias: f.alias.is_some(), cte: Some((visible, cols)), cte_scan: Some(k) });
                continue;
            }
            let (t, alias, has_alias, cols, quals) = cte_body(db, cte, rels.len())?;
            rels.push(Rel { table: t, alias, has_alias, cte: Some((visible, cols)), cte_scan: None });
            cte_quals.push(quals);
            continue;
        }
        let t = db.table(&f.table).ok_or_else(|| SqlError::at(f.pos, format!("relation \"{}\" does not exist", f.table)))?;
        rels.push(Rel { table: t, alias: visible, has_alias: f.alias.is_some(), cte: None, cte_scan: None });
    }
    // Each materialized CTE's own relation, after the query's.
    let cte_mask = cte_rels.iter().enumerate().fold(0u64, |m, (k, _)| m | 1 << (s.from.len() + k));
    rels.extend(cte_rels);
    if rels.len() > 16 {
        return Err(SqlError::plain("dbsim plans at most 16 relations in one query"));
    }
    // A subquery's table is in scope only inside its subquery.
    let hidden = in_subquery.iter().fold(cte_mask, |m, r| m | (1 << r));
    let b = Binder { db, rels: &rels, strays: Default::default(), hidden, prefer: None, not_in: &s.not_in, subplans: Default::default(), scalars: &s.scalars, initplans: Default::default() };
    let mut quals: Vec<Qual> = cte_quals.into_iter().flatten().collect();
    for c in &s.conds {
        b.conjuncts(c, &mut quals)?;
    }
    let (quals, outer) = outer_joins(&b, s, quals)?;
    let mut aggs: Vec<Agg> = Vec::new();
    let mut outputs = Vec::new();
    let mut plain_cols: Vec<(ColRef, usize)> = Vec::new();
    let mut windows: Vec<Win> = Vec::new();
    let mut window: Option<Window> = None;
    // Where the first window function is written.
    let window_pos = s.items.iter().map(|i| &i.expr).chain(s.order_by.iter().map(|o| &o.expr)).find_map(|e| match e {
        SelExpr::Window { pos, .. } => Some(*pos),
        _ => None,
    });
    for item in &s.items {
        match &item.expr {
            SelExpr::Window { func, arg, partition, order, pos } => {
                let k = b.window_fn(*func, arg.as_ref(), partition, order, *pos, &mut windows, &mut window, &mut plain_cols)?;
                outputs.push((item.alias.clone().unwrap_or_else(|| func.sql().to_string()), Output::Win(k)));
            }
            SelExpr::Star { qual, pos } => {
                let which: Vec<usize> = match qual {
                    None => (0..rels.len()).filter(|r| hidden & (1 << r) == 0).collect(),
                    Some(q) => vec![rels.iter().position(|r| r.visible() == q).ok_or_else(|| SqlError::at(*pos, format!("missing FROM-clause entry for table \"{q}\"")))?],
                };
                for r in which {
                    let cols: Vec<(String, usize)> = match &rels[r].cte {
                        Some((_, cols)) => cols.clone(),
                        None => db.tables[rels[r].table].columns.iter().enumerate().map(|(ci, c)| (c.name.clone(), ci)).collect(),
                    };
                    for (name, ci) in cols {
                        outputs.push((name, Output::Col((r, ci))));
                        plain_cols.push(((r, ci), *pos));
                    }
                }
            }
            SelExpr::Expr(e) => {
                let (c, pos) = b.column(e)?;
                let name = item.alias.clone().unwrap_or_else(|| db.tables[rels[c.0].table].columns[c.1].name.clone());
                outputs.push((name, Output::Col(c)));
                plain_cols.push((c, pos));
            }
            SelExpr::Agg { func, arg, pos, distinct } => {
                let a = b.agg(*func, arg.as_ref(), *pos, *distinct)?;
                aggs.push(a);
                outputs.push((item.alias.clone().unwrap_or_else(|| func.sql().to_string()), Output::Agg(aggs.len() - 1)));
            }
        }
    }
    let mut group_by = Vec::new();
    for g in &s.group_by {
        let c = match g {
            // GROUP BY an output name or ordinal.
            Expr::Col { qual: None, name, .. } if b.lookup(None, name, 0).is_err() => match outputs.iter().find(|(n, _)| n == name) {
                Some((_, Output::Col(c))) => *c,
                _ => b.column(g)?.0,
            },
            Expr::Lit { lit: Lit::Int(k), pos } => match outputs.get((*k as usize).wrapping_sub(1)) {
                Some((_, Output::Col(c))) => *c,
                _ => return Err(SqlError::at(*pos, format!("GROUP BY position {k} is not in select list"))),
            },
            _ => b.column(g)?.0,
        };
        group_by.push(c);
    }
    let mut order_by = Vec::new();
    for o in &s.order_by {
        let out = match &o.expr {
            SelExpr::Window { func, arg, partition, order, pos } => Output::Win(b.window_fn(*func, arg.as_ref(), partition, order, *pos, &mut windows, &mut window, &mut plain_cols)?),
            SelExpr::Agg { func, arg, pos, distinct } => {
                let a = b.agg(*func, arg.as_ref(), *pos, *distinct)?;
                Output::Agg(intern(&mut aggs, a))
            }
            SelExpr::Expr(Expr::Lit { lit: Lit::Int(k), pos }) => {
                outputs.get((*k as usize).wrapping_sub(1)).map(|o| o.1).ok_or_else(|| SqlError::at(*pos, format!("ORDER BY position {k} is not in select list")))?
            }
            SelExpr::Expr(e @ Expr::Col { qual: None, name, .. }) => match outputs.iter().find(|(n, _)| n == name) {
                Some((_, out)) if b.lookup(None, name, 0).is_err() || matches!(out, Output::Agg(_)) => *out,
                _ => {
                    let (c, pos) = b.column(e)?;
                    plain_cols.push((c, pos));
                    Output::Col(c)
                }
            },
            SelExpr::Expr(e) => {
                let (c, pos) = b.column(e)?;
                plain_cols.push((c, pos));
                Output::Col(c)
            }
            SelExpr::Star { pos, .. } => return Err(SqlError::at(*pos, "syntax error at or near \"*\"")),
        };
        order_by.push((out, o.desc));
    }
    // SELECT DISTINCT groups on the select list, ORDER BY's columns first (transformDistinctClause).
    let distinct = s.distinct.is_some();
    if let Some(dpos) = s.distinct {
        if !aggs.is_empty() || !group_by.is_empty() || !s.having.is_empty() {
            return Err(SqlError::not_modelled(dpos, "SELECT DISTINCT with GROUP BY, HAVING or aggregates"));
        }
        if let Some(wpos) = window_pos {
            return Err(SqlError::not_modelled(wpos, "window functions together with GROUP BY, aggregates or DISTINCT"));
        }
        let listed: Vec<ColRef> = outputs.iter().filter_map(|(_, o)| if let Output::Col(c) = o { Some(*c) } else { None }).collect();
        for ((o, _), item) in order_by.iter().zip(&s.order_by) {
            match o {
                Output::Col(c) if listed.contains(c) => {
                    if !group_by.contains(c) {
                        group_by.push(*c);
                    }
                }
                _ => return Err(SqlError::at(sel_pos(&item.expr), "for SELECT DISTINCT, ORDER BY expressions must appear in select list")),
            }
        }
        for c in listed {
            if !group_by.contains(&c) {
                group_by.push(c);
            }
        }
    }
    // HAVING: conditions on aggregates stay above the grouping; one on a grouped column alone is
    // a WHERE condition (subquery_planner moves it).
    let mut quals = quals;
    let mut having = Vec::new();
    for (l, op, r, pos) in &s.having {
        let out = match l {
            SelExpr::Window { pos, .. } => return Err(SqlError::at(*pos, "window functions are not allowed in HAVING")),
            SelExpr::Agg { func: AggFn::Avg, pos, .. } => return Err(SqlError::not_modelled(*pos, "HAVING on avg(…) (a numeric the simulator's integer rows do not hold)")),
            SelExpr::Agg { func, arg, pos, distinct } => {
                let a = b.agg(*func, arg.as_ref(), *pos, *distinct)?;
                Output::Agg(intern(&mut aggs, a))
            }
            SelExpr::Expr(e) => {
                let (c, pos) = b.column(e)?;
                plain_cols.push((c, pos));
                Output::Col(c)
            }
            SelExpr::Star { pos, .. } => return Err(SqlError::at(*pos, "syntax error at or near \"*\"")),
        };
        let Expr::Lit { lit, pos: lp } = r else {
            return Err(SqlError::not_modelled(*pos, "a HAVING condition other than an aggregate compared with a constant"));
        };
        match out {
            Output::Col(c) => quals.push(Qual::Cmp { c, op: *op, v: b.constant(c, lit, *lp, op.sql())? }),
            Output::Win(_) => return Err(SqlError::at(*pos, "window functions are not allowed in HAVING")),
            Output::Set(_) => return Err(SqlError::at(*pos, "HAVING is not allowed here")),
            Output::Agg(k) => {
                let v = match lit {
                    Lit::Int(v) => *v,
                    Lit::Null => NULL,
                    Lit::Str(s) => s.trim().parse::<i64>().map_err(|_| SqlError::at(*lp, format!("invalid input syntax for type bigint: \"{s}\"")))?,
                };
                having.push((k, *op, v));
            }
        }
    }
    if !aggs.is_empty() || !group_by.is_empty() {
        for (c, pos) in &plain_cols {
            if !group_by.contains(c) {
                let r = &rels[c.0];
                return Err(SqlError::at(*pos, format!("column \"{}.{}\" must appear in the GROUP BY clause or be used in an aggregate function", r.alias, db.tables[r.table].columns[c.1].name)));
            }
        }
    }
    let strays = b.strays.into_inner();
    let mut subplans = b.subplans.into_inner();
    let mut initplans = b.initplans.into_inner();
    // PostgreSQL plans materialized CTEs first, then WHERE's subqueries as written: their plans
    // are numbered in that order, and each takes a parameter slot (a CTE's is hidden, a NOT IN's
    // carries the subquery's column, a scalar subquery's its result: `$n`).
    for (i, sr) in s.sub_order.iter().enumerate() {
        let (plan_id, param) = (ctes.len() + i + 1, ctes.len() + i);
        match *sr {
            crate::sql::SubRef::NotIn(k) => {
                if let Some(sp) = subplans.get_mut(k) {
                    sp.plan_id = plan_id;
                }
            }
            crate::sql::SubRef::Scalar(k) => {
                if let Some(ip) = initplans.get_mut(k) {
                    ip.plan_id = plan_id;
                    ip.param = param;
                }
            }
        }
    }
    // set_rtable_names: a name used twice gets "_1", "_2"… in the order PostgreSQL lists the
    // relations: the query's own, then each separately planned subquery's, in plan order.
    let own_plan = |r: usize| ctes.iter().any(|c| c.rel == r) || subplans.iter().any(|sp| sp.rel == r) || initplans.iter().any(|ip| ip.rel == r);
    let mut order: Vec<usize> = (0..rels.len()).filter(|&r| !own_plan(r)).collect();
    order.extend(ctes.iter().map(|c| c.rel));
    for sr in &s.sub_order {
        match *sr {
            crate::sql::SubRef::NotIn(k) => order.extend(subplans.get(k).map(|sp| sp.rel)),
            crate::sql::SubRef::Scalar(k) => order.extend(initplans.get(k).map(|ip| ip.rel)),
        }
    }
    unique_names(&mut rels, order);
    if let Some(wpos) = window_pos.filter(|_| !aggs.is_empty() || !group_by.is_empty()) {
        return Err(SqlError::not_modelled(wpos, "window functions together with GROUP BY, aggregates or DISTINCT"));
    }
    let window = window.unwrap_or_default();
    Ok(Query { rels, quals, outer, outputs, group_by, aggs, order_by, limit: s.limit, strays, subplans, initplans, distinct, having, ctes, windows, window, set_op: None })
}

/// A set operation: each SELECT bound on its own, then joined into one query whose relation `i`
/// is SELECT `i`'s table. dbsim plans SELECTs of one table each, with WHERE.
fn bind_set_op(db: &Database, s: &Select) -> Result<Query, SqlError> {
    if s.set_ops.len() >= 16 {
        return Err(SqlError::at(s.set_ops[15].pos, "dbsim plans at most 16 SELECTs in one set operation"));
    }
    if let Some(c) = s.ctes.first() {
        return Err(SqlError::not_modelled(c.pos, "WITH together with UNION, INTERSECT or EXCEPT"));
    }
    let first = Select { set_ops: Vec::new(), order_by: Vec::new(), limit: None, ..s.clone() };
    let leaves: Vec<(&Select, usize)> = std::iter::once((&first, s.from.first().map_or(0, |f| f.pos))).chain(s.set_ops.iter().map(|a| (&a.select, a.pos))).collect();
    let mut rels = Vec::new();
    let mut quals = Vec::new();
    let mut strays = Vec::new();
    let mut columns: Vec<Vec<usize>> = Vec::new();
    let mut names: Vec<Vec<String>> = Vec::new();
    let mut outputs: Vec<(String, Output)> = Vec::new();
    for (i, (sel, pos)) in leaves.iter().enumerate() {
        let q = bind(db, sel)?;
        let simple = q.rels.len() == 1 && q.outer.is_empty() && !q.is_grouped() && !q.distinct && q.subplans.is_empty() && q.initplans.is_empty() && q.windows.is_empty();
        if !simple {
            let at = sel.from.get(1).map_or(*pos, |f| f.pos);
            return Err(SqlError::not_modelled(at, "a SELECT in a set operation that reads more than one table, groups, aggregates or has DISTINCT or a subquery (dbsim plans one table per SELECT)"));
        }
        let cols: Vec<usize> = q.outputs.iter().map(|(_, o)| if let Output::Col(c) = o { c.1 } else { 0 }).collect();
        let table = &db.tables[q.rels[0].table];
        if i == 0 {
            outputs = q.outputs.iter().enumerate().map(|(k, (n, _))| (n.clone(), Output::Set(k))).collect();
        } else {
            let arm = &s.set_ops[i - 1];
            if cols.len() != columns[0].len() {
                let at = sel.items.first().and_then(|it| item_pos(&it.expr)).unwrap_or(arm.pos);
                return Err(SqlError::at(at, format!("each {} query must have the same number of columns", arm.cmd.sql())));
            }
            let t0 = &db.tables[rels.first().map_or(0, |r: &Rel| r.table)];
            for (k, (&c0, &c)) in columns[0].iter().zip(&cols).enumerate() {
                let (a, b) = (&t0.columns[c0], &table.columns[c]);
                let name = |c: &crate::catalog::Column| if c.text.is_some() { "text" } else { "integer" };
                if name(a) != name(b) {
                    let at = sel.items.get(k).and_then(|it| item_pos(&it.expr)).unwrap_or(arm.pos);
                    return Err(SqlError::at(at, format!("{} types {} and {} cannot be matched", arm.cmd.sql(), name(a), name(b))));
                }
                if a.text.is_some() && a.text != b.text {
                    let at = sel.items.get(k).and_then(|it| item_pos(&it.expr)).unwrap_or(arm.pos);
                    return Err(SqlError::not_modelled(at, "a set operation over text columns whose values differ in kind (dbsim compares text of one column's domain)"));
                }
            }
        }
        quals.extend(q.quals.iter().map(|x| x.map_cols(&|c| (i, c.1))));
        strays.extend(q.strays.iter().map(|(c, v, t)| ((i, c.1), *v, t.clone())));
        columns.push(cols);
        names.push(q.outputs.iter().map(|(n, _)| n.clone()).collect());
        rels.push(q.rels[0].clone());
    }
    // The statement's ORDER BY names or numbers the first SELECT's output columns.
    let mut order_by = Vec::new();
    for o in &s.order_by {
        let out = match &o.expr {
            SelExpr::Expr(Expr::Lit { lit: Lit::Int(k), pos }) => {
                outputs.get((*k as usize).wrapping_sub(1)).map(|o| o.1).ok_or_else(|| SqlError::at(*pos, format!("ORDER BY position {k} is not in select list")))?
            }
            SelExpr::Expr(Expr::Col { qual: None, name, pos }) => {
                outputs.iter().find(|(n, _)| n == name).map(|o| o.1).ok_or_else(|| SqlError::at(*pos, format!("column \"{name}\" does not exist")))?
            }
            // The SELECTs' tables are out of scope here.
            SelExpr::Expr(Expr::Col { qual: Some(t), pos, .. }) => return Err(SqlError::at(*pos, format!("missing FROM-clause entry for table \"{t}\""))),
            e => {
                let at = item_pos(e).unwrap_or(0);
                return Err(SqlError::at(at, "invalid UNION/INTERSECT/EXCEPT ORDER BY clause"));
            }
        };
        order_by.push((out, o.desc));
    }
    // INTERSECT binds tighter than UNION and EXCEPT; each level reads left to right.
    let mut terms: Vec<(Option<(SetCmd, bool)>, SetTree)> = vec![(None, SetTree::Select(0))];
    for (i, arm) in s.set_ops.iter().enumerate() {
        let leaf = SetTree::Select(i + 1);
        if arm.cmd == SetCmd::Intersect {
            let (op, l) = terms.pop().expect("a term");
            terms.push((op, SetTree::Op { cmd: arm.cmd, all: arm.all, l: Box::new(l), r: Box::new(leaf) }));
        } else {
            terms.push((Some((arm.cmd, arm.all)), leaf));
        }
    }
    let mut it = terms.into_iter();
    let mut tree = it.next().expect("a term").1;
    for (op, t) in it {
        let (cmd, all) = op.expect("an operator");
        tree = SetTree::Op { cmd, all, l: Box::new(tree), r: Box::new(t) };
    }
    // (Relation names are made unique across the SELECTs once the plan says in which order
    // PostgreSQL meets them: `plan::setop::name_relations`.)
    Ok(Query {
        rels,
        quals,
        outer: Vec::new(),
        outputs,
        group_by: Vec::new(),
        aggs: Vec::new(),
        order_by,
        limit: s.limit,
        strays,
        subplans: Vec::new(),
        initplans: Vec::new(),
        distinct: false,
        having: Vec::new(),
        ctes: Vec::new(),
        windows: Vec::new(),
        window: Default::default(),
        set_op: Some(SetQuery { tree, columns, names }),
    })
}

/// `set_rtable_names`: each relation keeps its name unless an earlier one (in `order`) has it;
/// then it gets the first free `name_n`.
pub fn unique_names(rels: &mut [Rel], order: impl IntoIterator<Item = usize>) {
    let mut used: Vec<String> = Vec::new();
    for r in order {
        let base = rels[r].alias.clone();
        let mut name = base.clone();
        let mut n = 0;
        while used.contains(&name) {
            n += 1;
            name = format!("{base}_{n}");
        }
        used.push(name.clone());
        rels[r].alias = name;
    }
}

/// Where a select-list expression is written.
fn item_pos(e: &SelExpr) -> Option<usize> {
    match e {
        SelExpr::Window { pos, .. } | SelExpr::Star { pos, .. } | SelExpr::Agg { pos, .. } => Some(*pos),
        SelExpr::Expr(Expr::Col { pos, .. } | Expr::Lit { pos, .. }) => Some(*pos),
        SelExpr::Expr(_) => None,
    }
}

/// The outer joins bound, and reduced as `reduce_outer_joins` does: a condition above a LEFT JOIN
/// that is strict in its nullable relation (false or NULL when that relation's columns are NULL)
/// throws the null-extended rows away, so the join is an inner one; its `ON` conditions then join
/// the others. Returns every condition that is not evaluated at an outer join, and the outer joins.
fn outer_joins(b: &Binder, s: &Select, upper: Vec<Qual>) -> Result<(Vec<Qual>, Vec<OuterJoin>), SqlError> {
    let mut upper = upper;
    // `ON` conditions on the nullable relation alone: its scan's filter, whatever becomes of the join.
    let mut pushed = Vec::new();
    let mut ojs: Vec<(OuterJoin, usize)> = Vec::new();
    for oj in &s.outer {
        let mut on = Vec::new();
        // reduce_outer_joins for a FULL JOIN: a strict condition above on one side leaves a LEFT
        // JOIN keeping that side; on both, an inner join.
        let (kind, nullable, preserved) = match oj.kind {
            OjKind::Full => {
                let (l, r) = (oj.preserved[0], oj.nullable);
                match (upper.iter().any(|q| strict_in(q, l)), upper.iter().any(|q| strict_in(q, r))) {
                    (true, true) => {
                        b.conjuncts(&oj.on, &mut upper)?;
                        continue;
                    }
                    (true, false) => (OjKind::Left, r, vec![l]),
                    (false, true) => (OjKind::Left, l, vec![r]),
                    (false, false) => (OjKind::Full, r, vec![l]),
                }
            }
            k => (k, oj.nullable, oj.preserved.clone()),
        };
        let bit = 1u64 << nullable;
        if kind == OjKind::Full {
            // Every ON condition is checked at the join, and must be an equality between the two
            // sides (PostgreSQL hashes or merges a FULL JOIN, nothing else).
            b.conjuncts(&oj.on, &mut on)?;
            let both = bit | 1u64 << preserved[0];
            if on.is_empty() || on.iter().any(|q| q.equijoin().is_none_or(|(x, y)| (1u64 << x.0 | 1u64 << y.0) != both)) {
                return Err(SqlError::at(oj.pos, "FULL JOIN is only supported with merge-joinable or hash-joinable join conditions"));
            }
            if upper.iter().any(|q| q.rels() & both != 0) {
                return Err(SqlError::not_modelled(oj.pos, "a WHERE condition on a FULL JOIN's side that keeps its null-extended rows"));
            }
            ojs.push((OuterJoin { nullable, join_quals: on, min_lhs: 1 << preserved[0], kind }, oj.pos));
            continue;
        }
        if kind == OjKind::Left {
            b.conjuncts(&oj.on, &mut on)?;
        } else {
            // A subquery sees its own table first, then the query around it.
            let inner = b.subquery(oj.nullable);
            inner.conjuncts(&oj.on, &mut on)?;
            if let Some((l, r)) = &oj.test {
                // `x IN (SELECT c …)` is `x = c`, with `x` read outside the subquery.
                let (x, _) = b.column(l)?;
                let (c, _) = inner.column(r)?;
                on.insert(0, inner.col_cmp(x, CmpOp::Eq, c, oj.pos)?);
            }
            b.strays.borrow_mut().extend(inner.strays.into_inner());
        }
        let (mine, join_quals): (Vec<Qual>, Vec<Qual>) = on.into_iter().partition(|q| q.rels() == bit);
        pushed.extend(mine);
        // A semi join's conditions on the outer side alone filter that side (PostgreSQL gives a
        // semi join no scope of its own: `ojscope` is NULL).
        let (join_quals, outer_only): (Vec<Qual>, Vec<Qual>) = join_quals.into_iter().partition(|q| kind != OjKind::Semi || q.rels() & bit != 0);
        upper.extend(outer_only);
        let mut min_lhs = join_quals.iter().fold(0, |m, q| m | q.rels()) & !bit;
        if min_lhs == 0 {
            // A clauseless outer join waits for the whole side written before it.
            min_lhs = preserved.iter().fold(0, |m, r| m | (1u64 << r));
        }
        if kind != OjKind::Left && join_quals.is_empty() {
            let what = if kind == OjKind::Anti { "a NOT EXISTS subquery" } else { "a subquery" };
            return Err(SqlError::not_modelled(oj.pos, &format!("{what} that does not refer to the query around it (an InitPlan)")));
        }
        ojs.push((OuterJoin { nullable, join_quals, min_lhs, kind }, oj.pos));
    }
    // reduce_unique_semijoins: a semi join whose inner relation is unique for its equality
    // conditions (a unique index on the compared columns, or on them and columns fixed by a
    // constant) is an inner join.
    while let Some(i) = ojs.iter().position(|(oj, _)| oj.semi() && b.unique_for(oj.nullable, &oj.join_quals, &pushed)) {
        let (oj, _) = ojs.remove(i);
        upper.extend(oj.join_quals);
    }
    // A semi join's conditions are above the outer joins of its outer side, and strict in the
    // relations they read: they reduce those joins too (reduce_outer_joins).
    let semi_quals: Vec<Qual> = ojs.iter().filter(|(oj, _)| oj.semi()).flat_map(|(oj, _)| oj.join_quals.clone()).collect();
    let mut k = 0;
    while k < ojs.len() {
        if ojs[k].0.kind != OjKind::Full {
            k += 1;
            continue;
        }
        let (l, r) = (ojs[k].0.min_lhs.trailing_zeros() as usize, ojs[k].0.nullable);
        let strict = |x: usize| semi_quals.iter().any(|q| strict_in(q, x));
        match (strict(l), strict(r)) {
            (true, true) => {
                let (oj, _) = ojs.remove(k);
                upper.extend(oj.join_quals);
                continue;
            }
            (true, false) => ojs[k].0.kind = OjKind::Left,
            (false, true) => {
                let oj = &mut ojs[k].0;
                (oj.kind, oj.nullable, oj.min_lhs) = (OjKind::Left, l, 1 << r);
            }
            (false, false) => {}
        }
        k += 1;
    }
    // A reduced join's conditions are conditions above the others: repeat until nothing changes.
    while let Some(i) = ojs.iter().position(|(oj, _)| oj.kind == OjKind::Left && upper.iter().chain(&semi_quals).any(|q| strict_in(q, oj.nullable))) {
        let (oj, _) = ojs.remove(i);
        upper.extend(oj.join_quals);
    }
    for (oj, pos) in ojs.iter_mut().filter(|(oj, _)| oj.kind == OjKind::Left) {
        let bit = 1u64 << oj.nullable;
        let above: Vec<&Qual> = upper.iter().filter(|q| q.rels() & bit != 0).collect();
        if above.is_empty() {
            continue;
        }
        // `IS NULL` on a column the ON clause is strict in keeps exactly the rows without a
        // partner: an anti join, and the test goes (reduce_outer_joins).
        let forced_null = |q: &Qual| matches!(q, Qual::IsNull { c, not: false } if c.0 == oj.nullable);
        let strict_in_on = |q: &Qual| matches!(q, Qual::IsNull { c, .. } if oj.join_quals.iter().any(|j| nonnullable(j).contains(c)));
        if above.iter().all(|q| forced_null(q)) && above.iter().any(|q| strict_in_on(q)) {
            oj.kind = OjKind::Anti;
            upper.retain(|q| q.rels() & bit == 0);
            continue;
        }
        return Err(SqlError::not_modelled(*pos, "a WHERE condition on a LEFT JOIN's nullable side that keeps its null-extended rows (IS NULL on a column the ON clause does not compare)"));
    }
    upper.extend(pushed);
    Ok((upper, ojs.into_iter().map(|(oj, _)| oj).collect()))
}

/// The columns `q` is false or NULL without (`find_nonnullable_vars`).
fn nonnullable(q: &Qual) -> Vec<ColRef> {
    match q {
        Qual::Cmp { c, .. } | Qual::In { c, .. } => vec![*c],
        Qual::IsNull { c, not: true } => vec![*c],
        Qual::ColCmp { l, r, .. } => vec![*l, *r],
        Qual::Param { c, .. } => vec![*c],
        // (`x NOT IN (…)` is true for a NULL x when the subquery returns nothing.)
        Qual::IsNull { .. } | Qual::Or(_) | Qual::NotIn { .. } => Vec::new(),
    }
}

/// Whether `q` is false or NULL whenever relation `r`'s columns are all NULL.
fn strict_in(q: &Qual, r: usize) -> bool {
    match q {
        Qual::Or(arms) => arms.iter().all(|arm| arm.iter().any(|x| strict_in(x, r))),
        _ => nonnullable(q).iter().any(|c| c.0 == r),
    }
}

struct Binder<'a> {
    db: &'a Database,
    rels: &'a [Rel],
    strays: std::cell::RefCell<Vec<(ColRef, i64, String)>>,
    /// Relations out of scope here (a NOT EXISTS subquery's table, outside its subquery).
    hidden: u64,
    /// The relation an unqualified name is looked up in first (a subquery's own table).
    prefer: Option<usize>,
    /// The statement's `NOT IN (SELECT …)` conditions, and the SubPlans bound from them.
    not_in: &'a [crate::sql::NotIn],
    subplans: std::cell::RefCell<Vec<SubPlan>>,
    /// The statement's scalar subqueries, and the InitPlans bound from them.
    scalars: &'a [crate::sql::Scalar],
    initplans: std::cell::RefCell<Vec<InitPlan>>,
}

impl Binder<'_> {
    fn lookup(&self, qual: Option<&str>, name: &str, pos: usize) -> Result<ColRef, SqlError> {
        match qual {
            Some(q) => {
                // A subquery's own table shadows the query's of the same name.
                let own = self.prefer.filter(|&r| self.rels[r].visible() == q);
                let r = own
                    .or_else(|| self.rels.iter().enumerate().position(|(i, r)| r.visible() == q && self.hidden & (1 << i) == 0))
                    .ok_or_else(|| SqlError::at(pos, format!("missing FROM-clause entry for table \"{q}\"")))?;
                let c = self.rels[r].column(self.db, name).ok_or_else(|| SqlError::at(pos, format!("column {q}.{name} does not exist")))?;
                Ok((r, c))
            }
            None => {
                if let Some(c) = self.prefer.and_then(|r| self.rels[r].column(self.db, name).map(|c| (r, c))) {
                    return Ok(c);
                }
                let hits: Vec<ColRef> = self.rels.iter().enumerate().filter(|(ri, _)| self.hidden & (1 << ri) == 0).filter_map(|(ri, r)| r.column(self.db, name).map(|c| (ri, c))).collect();
                match hits.as_slice() {
                    [one] => Ok(*one),
                    [] => Err(SqlError::at(pos, format!("column \"{name}\" does not exist"))),
                    _ => Err(SqlError::at(pos, format!("column reference \"{name}\" is ambiguous"))),
                }
            }
        }
    }

    fn column(&self, e: &Expr) -> Result<(ColRef, usize), SqlError> {
        match e {
            Expr::Col { qual, name, pos } => Ok((self.lookup(qual.as_deref(), name, *pos)?, *pos)),
            Expr::Lit { pos, .. } => Err(SqlError::at(*pos, "only column references and aggregates are supported here")),
            _ => Err(SqlError::plain("only column references are supported here")),
        }
    }

    fn ty(&self, c: ColRef) -> ColType {
        self.db.tables[self.rels[c.0].table].columns[c.1].ty
    }

    fn agg(&self, func: AggFn, arg: Option<&Expr>, pos: usize, distinct: bool) -> Result<Agg, SqlError> {
        let arg = match arg {
            Some(e) => Some(self.column(e)?.0),
            None => None,
        };
        if let Some(c) = arg {
            if self.ty(c) == ColType::Text && matches!(func, AggFn::Sum | AggFn::Avg) {
                return Err(SqlError::at(pos, format!("function {}(text) does not exist", func.sql())));
            }
        }
        Ok(Agg { func, arg, distinct })
    }

    /// The constant `lit` compared with column `c`, as the column's stored value.
    fn constant(&self, c: ColRef, lit: &Lit, pos: usize, op: &str) -> Result<i64, SqlError> {
        let col = &self.db.tables[self.rels[c.0].table].columns[c.1];
        match (lit, &col.text) {
            (Lit::Null, _) => Ok(NULL),
            (Lit::Int(v), None) => Ok(*v),
            (Lit::Str(s), None) => s.trim().parse::<i64>().map_err(|_| SqlError::at(pos, format!("invalid input syntax for type {}: \"{s}\"", col.ty.sql()))),
            (Lit::Str(s), Some(d)) => {
                let v = d.encode(s);
                if v % 2 != 0 || d.render(v) != *s {
                    self.strays.borrow_mut().push((c, v, s.clone()));
                }
                Ok(v)
            }
            (Lit::Int(_), Some(_)) => Err(SqlError::at(pos, format!("operator does not exist: text {op} integer"))),
        }
    }

    fn conjuncts(&self, e: &Expr, out: &mut Vec<Qual>) -> Result<(), SqlError> {
        match e {
            Expr::And(parts) => {
                for p in parts {
                    self.conjuncts(p, out)?;
                }
                Ok(())
            }
            Expr::Between { e, lo, hi } => {
                // PostgreSQL rewrites BETWEEN into (x >= lo AND x <= hi).
                let (c, _) = self.column(e)?;
                let (lv, hv) = match (&**lo, &**hi) {
                    (Expr::Lit { lit: l, pos: lp }, Expr::Lit { lit: h, pos: hp }) => (self.constant(c, l, *lp, ">=")?, self.constant(c, h, *hp, "<=")?),
                    _ => return Err(SqlError::plain("BETWEEN needs constant bounds in dbsim's SQL subset")),
                };
                out.push(Qual::Cmp { c, op: CmpOp::Ge, v: lv });
                out.push(Qual::Cmp { c, op: CmpOp::Le, v: hv });
                Ok(())
            }
            Expr::Or(arms) => {
                let mut qs = Vec::new();
                for a in arms {
                    let mut conj = Vec::new();
                    self.conjuncts(a, &mut conj)?;
                    qs.push(conj);
                }
                out.push(Qual::Or(qs));
                Ok(())
            }
            Expr::In { e, list } => {
                let (c, _) = self.column(e)?;
                let mut vals = Vec::new();
                for l in list {
                    match l {
                        Expr::Lit { lit, pos } => vals.push(self.constant(c, lit, *pos, "=")?),
                        _ => return Err(SqlError::plain("IN needs a list of constants in dbsim's SQL subset")),
                    }
                }
                out.push(Qual::In { c, vals });
                Ok(())
            }
            Expr::IsNull { e, not } => {
                let (c, _) = self.column(e)?;
                out.push(Qual::IsNull { c, not: *not });
                Ok(())
            }
            Expr::Cmp { op, l, r, pos } if matches!(**l, Expr::Scalar { .. }) || matches!(**r, Expr::Scalar { .. }) => {
                let (col, idx, op) = match (&**l, &**r) {
                    (c @ Expr::Col { .. }, Expr::Scalar { idx, .. }) => (c, *idx, *op),
                    (Expr::Scalar { idx, .. }, c @ Expr::Col { .. }) => (c, *idx, op.commute()),
                    _ => return Err(SqlError::not_modelled(*pos, "a scalar subquery compared with anything but a column")),
                };
                let (c, _) = self.column(col)?;
                self.scalar(c, op, idx, *pos, out)
            }
            Expr::Cmp { op, l, r, pos } => {
                let q = match (&**l, &**r) {
                    (Expr::Col { .. }, Expr::Col { .. }) => {
                        let (a, _) = self.column(l)?;
                        let (b, _) = self.column(r)?;
                        self.col_cmp(a, *op, b, *pos)?
                    }
                    (Expr::Col { .. }, Expr::Lit { lit, pos: lp }) => {
                        let (c, _) = self.column(l)?;
                        Qual::Cmp { c, op: *op, v: self.constant(c, lit, *lp, op.sql())? }
                    }
                    (Expr::Lit { lit, pos: lp }, Expr::Col { .. }) => {
                        let (c, _) = self.column(r)?;
                        Qual::Cmp { c, op: op.commute(), v: self.constant(c, lit, *lp, op.sql())? }
                    }
                    _ => return Err(SqlError::at(*pos, "a comparison needs a column on one side in dbsim's SQL subset")),
                };
                out.push(q);
                Ok(())
            }
            Expr::Col { pos, .. } | Expr::Lit { pos, .. } => Err(SqlError::at(*pos, "argument of WHERE must be type boolean")),
            Expr::Scalar { pos, .. } => Err(SqlError::not_modelled(*pos, "a scalar subquery anywhere but compared with a column among WHERE's top-level conditions")),
            Expr::NotIn { idx, pos } => {
                let ni = self.not_in.get(*idx).ok_or_else(|| SqlError::at(*pos, "NOT IN (SELECT …) is not modelled here"))?;
                let bit = 1u64 << ni.table;
                // The subquery sees its own table first, then the query around it.
                let inner = self.subquery(ni.table);
                let (x, _) = self.column(&ni.test.0)?;
                let (c, _) = inner.column(&ni.test.1)?;
                self.col_cmp(x, CmpOp::Eq, c, ni.pos)?;
                let mut sub = Vec::new();
                if let Some(cond) = &ni.cond {
                    inner.conjuncts(cond, &mut sub)?;
                }
                if sub.iter().any(|q| q.rels() != bit) {
                    return Err(SqlError::not_modelled(ni.pos, "a NOT IN subquery that refers to the query around it (a SubPlan run again for each row)"));
                }
                self.strays.borrow_mut().extend(inner.strays.into_inner());
                let k = self.subplans.borrow().len();
                self.subplans.borrow_mut().push(SubPlan { rel: ni.table, outer: x, inner: c, pos: ni.pos, plan_id: 0 });
                out.push(Qual::NotIn { c: x, sub: k });
                // The subquery's own conditions filter its table's scan.
                out.extend(sub);
                Ok(())
            }
            Expr::Sublink { pos, .. } => Err(SqlError::not_modelled(*pos, "a subquery (EXISTS, NOT EXISTS or IN (SELECT …)) anywhere but among WHERE's top-level conditions")),
        }
    }

    /// The scope of a subquery over relation `r`: its own table first, then the query around it
    /// (a subquery of a subquery is not modelled).
    fn subquery(&self, r: usize) -> Binder<'_> {
        Binder {
            db: self.db,
            rels: self.rels,
            strays: Default::default(),
            hidden: self.hidden & !(1u64 << r),
            prefer: Some(r),
            not_in: &[],
            subplans: Default::default(),
            scalars: &[],
            initplans: Default::default(),
        }
    }

    /// A window function: its index in `windows` (found or added); every one must share the
    /// query's one window.
    #[allow(clippy::too_many_arguments)]
    fn window_fn(
        &self,
        func: crate::sql::WinFn,
        arg: Option<&Expr>,
        partition: &[Expr],
        order: &[(Expr, bool)],
        pos: usize,
        windows: &mut Vec<Win>,
        window: &mut Option<Window>,
        plain: &mut Vec<(ColRef, usize)>,
    ) -> Result<usize, SqlError> {
        // A window aggregate's argument is checked as the aggregate's is.
        let arg = match (func, arg) {
            (crate::sql::WinFn::Agg(f), _) => self.agg(f, arg, pos, false)?.arg,
            (_, Some(e)) => Some(self.column(e)?.0),
            (_, None) => None,
        };
        let mut spec: Window = (Vec::new(), Vec::new());
        for e in partition {
            let (c, p) = self.column(e)?;
            plain.push((c, p));
            spec.0.push(c);
        }
        for (e, desc) in order {
            let (c, p) = self.column(e)?;
            plain.push((c, p));
            spec.1.push((c, *desc));
        }
        match window {
            Some(w) if *w != spec => return Err(SqlError::not_modelled(pos, "window functions over different windows (one WindowAgg each)")),
            _ => *window = Some(spec),
        }
        let w = Win { func, arg };
        Ok(windows.iter().position(|x| *x == w).unwrap_or_else(|| {
            windows.push(w);
            windows.len() - 1
        }))
    }

    /// `c op (SELECT agg(x) FROM t …)`: an InitPlan over `t` alone, and `c op $n`.
    fn scalar(&self, c: ColRef, op: CmpOp, idx: usize, pos: usize, out: &mut Vec<Qual>) -> Result<(), SqlError> {
        let sc = self.scalars.get(idx).ok_or_else(|| SqlError::not_modelled(pos, "a scalar subquery here"))?;
        let bit = 1u64 << sc.table;
        let inner = self.subquery(sc.table);
        let SelExpr::Agg { func, arg, pos: apos, distinct } = &sc.item else {
            return Err(SqlError::not_modelled(sc.pos, "a scalar subquery that returns anything but one aggregate"));
        };
        let agg = inner.agg(*func, arg.as_ref(), *apos, *distinct)?;
        let mut sub = Vec::new();
        if let Some(cond) = &sc.cond {
            inner.conjuncts(cond, &mut sub)?;
        }
        if sub.iter().any(|q| q.rels() != bit) {
            return Err(SqlError::not_modelled(sc.pos, "a scalar subquery that refers to the query around it (a SubPlan run again for each row)"));
        }
        if self.ty(c) == ColType::Text || agg.arg.is_some_and(|a| self.ty(a) == ColType::Text) {
            return Err(SqlError::not_modelled(pos, "a text column compared with a scalar subquery"));
        }
        let leads = |col: ColRef| self.db.indexes.iter().any(|ix| ix.table == self.rels[col.0].table && ix.columns[0] == col.1);
        // preprocess_minmax_aggregates would read min/max through the index (a Limit over an
        // index scan), and an Index Cond can take the parameter: neither is modelled.
        if matches!(func, AggFn::Min | AggFn::Max) && agg.arg.is_some_and(leads) && !*distinct {
            return Err(SqlError::not_modelled(sc.pos, "min() or max() of an indexed column in a subquery (read through the index: planagg's path)"));
        }
        if leads(c) && self.rels[c.0].cte_scan.is_none() {
            return Err(SqlError::not_modelled(pos, "an indexed column compared with a scalar subquery (an Index Cond on a parameter)"));
        }
        self.strays.borrow_mut().extend(inner.strays.into_inner());
        let k = self.initplans.borrow().len();
        self.initplans.borrow_mut().push(InitPlan { rel: sc.table, agg, plan_id: 0, param: 0 });
        out.push(Qual::Param { c, op, k, cast: agg.func == AggFn::Avg });
        out.extend(sub);
        Ok(())
    }

    /// `a op b` for two columns, refused as PostgreSQL refuses it when their types differ.
    fn col_cmp(&self, a: ColRef, op: CmpOp, b: ColRef, pos: usize) -> Result<Qual, SqlError> {
        let (ta, tb) = (self.ty(a), self.ty(b));
        if (ta == ColType::Text) != (tb == ColType::Text) {
            return Err(SqlError::at(pos, format!("operator does not exist: {} {} {}", ta.sql(), op.sql(), tb.sql())));
        }
        if ta == ColType::Text && self.db.tables[self.rels[a.0].table].columns[a.1].text != self.db.tables[self.rels[b.0].table].columns[b.1].text {
            return Err(SqlError::at(pos, "dbsim compares text columns only when they share their list of values"));
        }
        Ok(Qual::ColCmp { l: a, op, r: b })
    }

    /// Whether relation `r` has at most one row for each outer row (`innerrel_is_unique`): a
    /// unique index each of whose columns the join conditions equate to another relation, or a
    /// restriction `= constant` fixes.
    fn unique_for(&self, r: usize, join_quals: &[Qual], restrictions: &[Qual]) -> bool {
        let table = self.rels[r].table;
        self.db.indexes.iter().filter(|ix| ix.table == table && ix.unique).any(|ix| {
            ix.columns.iter().all(|&col| {
                let c = (r, col);
                join_quals.iter().any(|q| q.equijoin().is_some_and(|(x, y)| (x == c && y.0 != r) || (y == c && x.0 != r)))
                    || restrictions.iter().any(|q| matches!(q, Qual::Cmp { c: qc, op: CmpOp::Eq, v } if *qc == c && *v != NULL))
            })
        })
    }
}

/// Where a select-list or ORDER BY item is written.
fn sel_pos(e: &SelExpr) -> usize {
    match e {
        SelExpr::Star { pos, .. } | SelExpr::Agg { pos, .. } | SelExpr::Window { pos, .. } => *pos,
        SelExpr::Expr(Expr::Col { pos, .. } | Expr::Lit { pos, .. } | Expr::Cmp { pos, .. }) => *pos,
        SelExpr::Expr(_) => 0,
    }
}

/// A CTE's query, bound as relation `r`: its table, the name EXPLAIN gives it (its alias or the
/// table's), whether aliased, its columns (each a column of the table) and its WHERE.
type CteBody = (usize, String, bool, Vec<(String, usize)>, Vec<Qual>);

/// Binds CTE `cte`'s query as relation `r`. A CTE body is columns of one table with a WHERE.
fn cte_body(db: &Database, cte: &crate::sql::Cte, r: usize) -> Result<CteBody, SqlError> {
    let body = &cte.body;
    let simple = body.from.len() == 1
        && body.outer.is_empty()
        && body.not_in.is_empty()
        && body.group_by.is_empty()
        && body.having.is_empty()
        && body.order_by.is_empty()
        && body.limit.is_none()
        && body.distinct.is_none()
        && body.ctes.is_empty()
        && body.items.iter().all(|i| matches!(i.expr, SelExpr::Star { .. } | SelExpr::Expr(Expr::Col { .. })));
    if !simple {
        return Err(SqlError::not_modelled(cte.pos, "a CTE other than SELECT columns FROM one table [WHERE …] (a subquery planned on its own)"));
    }
    let f = &body.from[0];
    let t = db.table(&f.table).ok_or_else(|| SqlError::at(f.pos, format!("relation \"{}\" does not exist", f.table)))?;
    let alias = f.alias.clone().unwrap_or_else(|| f.table.clone());
    // The body sees its own table alone, by its own name.
    let mut rels: Vec<Rel> = (0..r).map(|_| Rel { table: t, alias: String::new(), has_alias: false, cte: None, cte_scan: None }).collect();
    rels.push(Rel { table: t, alias: alias.clone(), has_alias: f.alias.is_some(), cte: None, cte_scan: None });
    let b = Binder { db, rels: &rels, strays: Default::default(), hidden: (1u64 << r) - 1, prefer: None, not_in: &[], subplans: Default::default(), scalars: &[], initplans: Default::default() };
    let mut cols = Vec::new();
    for item in &body.items {
        match &item.expr {
            SelExpr::Star { .. } => cols.extend(db.tables[t].columns.iter().enumerate().map(|(ci, c)| (c.name.clone(), ci))),
            SelExpr::Expr(e) => {
                let ((_, ci), _) = b.column(e)?;
                let name = item.alias.clone().unwrap_or_else(|| db.tables[t].columns[ci].name.clone());
                cols.push((name, ci));
            }
            SelExpr::Agg { pos, .. } | SelExpr::Window { pos, .. } => return Err(SqlError::not_modelled(*pos, "an aggregate in a CTE")),
        }
    }
    let mut quals = Vec::new();
    for c in &body.conds {
        b.conjuncts(c, &mut quals)?;
    }
    Ok((t, alias, f.alias.is_some(), cols, quals))
}

/// Aggregate `a`'s index in `aggs`, added if it is not there yet.
fn intern(aggs: &mut Vec<Agg>, a: Agg) -> usize {
    aggs.iter().position(|x| *x == a).unwrap_or_else(|| {
        aggs.push(a);
        aggs.len() - 1
    })
}
