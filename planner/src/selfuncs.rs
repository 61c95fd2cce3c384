//! Selectivity as PostgreSQL 15 estimates it: `var_eq_const` with MCVs, `scalarineqsel` with
//! histograms (`ineq_histogram_selectivity`), `eqjoinsel`, `scalararraysel`, `nulltestsel`, and
//! `clauselist_selectivity`'s range pairs and functional dependencies (selfuncs.c, clausesel.c,
//! dependencies.c).
use crate::bind::{ColRef, Qual, Query};
use crate::db::Database;
use crate::sql::CmpOp;
use crate::stats::ColumnStats;

pub const DEFAULT_EQ_SEL: f64 = 0.005;
pub const DEFAULT_INEQ_SEL: f64 = 1.0 / 3.0;
pub const DEFAULT_RANGE_INEQ_SEL: f64 = 0.005;
pub const DEFAULT_NUM_DISTINCT: f64 = 200.0;

/// `clamp_row_est`: at least one row, and a whole number.
pub fn clamp_row_est(n: f64) -> f64 {
    if n <= 1.0 {
        1.0
    } else {
        libm::rint(n)
    }
}

fn clamp_prob(p: f64) -> f64 {
    p.clamp(0.0, 1.0)
}

/// Estimates for one query over one database.
#[derive(Clone, Copy, Debug)]
pub struct Est<'a> {
    pub db: &'a Database,
    pub q: &'a Query,
    /// Where the index probes planning makes are counted.
    pub probes: &'a Probes,
    /// Which planner instance estimates (`Probes::scope`): a min/max subquery plans its own copy
    /// of the conditions and probes again.
    pub scope: u32,
}

/// Where a selectivity is asked for: a condition's own (`clause_selectivity`, cached per
/// condition), or a merge join's scan fractions (`mergejoinscansel`, cached per join clause,
/// named by its left and right columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Site {
    Clause,
    MergeScan((ColRef, ColRef)),
}

/// What planning reads: `get_actual_variable_range`'s probes of an index for a column's current
/// minimum or maximum. `ineq_histogram_selectivity` makes one when its binary search reaches a
/// histogram's first or last entry and a B-tree index leads with the column; each probe descends
/// the index (root to leaf) and reads the visibility map page of the row it finds (an index-only
/// fetch: after VACUUM every page is all-visible). PostgreSQL caches a selectivity per condition
/// and a merge join's fractions per clause, so each (planner, site, column, operator, constant)
/// probes once.
#[derive(Debug, Default)]
pub struct Probes {
    scopes: std::cell::Cell<u32>,
    seen: std::cell::RefCell<std::collections::BTreeMap<ProbeKey, u32>>,
}

/// One probe: (planner scope, site, column, operator, constant, the maximum rather than the minimum).
type ProbeKey = (u32, Site, ColRef, CmpOp, i64, bool);

impl Probes {
    /// A new planner instance's scope.
    pub fn scope(&self) -> u32 {
        let k = self.scopes.get();
        self.scopes.set(k + 1);
        k
    }
    /// The shared buffers the probes touched.
    pub fn pages(&self) -> u64 {
        self.seen.borrow().values().map(|&p| u64::from(p)).sum()
    }
}

impl<'a> Est<'a> {
    /// A column's statistics (a CTE Scan's columns have none: PostgreSQL does not look into a CTE).
    pub fn stats(&self, c: ColRef) -> Option<&'a ColumnStats> {
        if self.q.rels[c.0].cte_scan.is_some() {
            return None;
        }
        self.db.tables[self.q.rels[c.0].table].stats[c.1].as_ref()
    }
    /// A relation's rows before its conditions (a CTE Scan's: the rows its CTE's plan returns).
    pub fn tuples(&self, rel: usize) -> f64 {
        if let Some(k) = self.q.rels[rel].cte_scan {
            let body = self.q.ctes[k].rel;
            let mine: Vec<&Qual> = self.q.quals.iter().filter(|x| x.rels() == 1 << body).collect();
            return clamp_row_est(self.tuples(body) * self.clauselist_sel(&mine));
        }
        self.db.tables[self.q.rels[rel].table].tuples
    }
    /// A single-column unique index on the column (`examine_variable`'s `isunique`).
    fn is_unique(&self, c: ColRef) -> bool {
        if self.q.rels[c.0].cte_scan.is_some() {
            return false;
        }
        let t = self.q.rels[c.0].table;
        self.db.indexes.iter().any(|i| i.table == t && i.unique && i.columns == [c.1])
    }
    fn nullfrac(&self, c: ColRef) -> f64 {
        self.stats(c).map_or(0.0, |s| s.null_frac)
    }

    /// `get_variable_numdistinct`: (estimate, is it a default guess).
    pub fn numdistinct(&self, c: ColRef) -> (f64, bool) {
        let st = self.stats(c);
        let mut stadistinct = st.map_or(0.0, |s| s.n_distinct);
        if self.is_unique(c) {
            stadistinct = -(1.0 - self.nullfrac(c));
        }
        if stadistinct > 0.0 {
            return (clamp_row_est(stadistinct), false);
        }
        let ntuples = self.tuples(c.0);
        if ntuples <= 0.0 {
            return (DEFAULT_NUM_DISTINCT, true);
        }
        if stadistinct < 0.0 {
            return (clamp_row_est(-stadistinct * ntuples), false);
        }
        if ntuples < DEFAULT_NUM_DISTINCT {
            return (clamp_row_est(ntuples), false);
        }
        (DEFAULT_NUM_DISTINCT, true)
    }

    /// `var_eq_const`.
    pub fn eqsel(&self, c: ColRef, v: i64) -> f64 {
        if v == crate::catalog::NULL {
            return 0.0;
        }
        let tuples = self.tuples(c.0);
        if self.is_unique(c) && tuples >= 1.0 {
            return clamp_prob(1.0 / tuples);
        }
        let Some(s) = self.stats(c) else {
            return clamp_prob(1.0 / self.numdistinct(c).0);
        };
        if let Some(k) = s.mcv.iter().position(|&m| m == v) {
            return clamp_prob(s.mcf[k]);
        }
        let sumcommon: f64 = s.mcf.iter().sum();
        let mut selec = clamp_prob(1.0 - sumcommon - s.null_frac);
        let otherdistinct = self.numdistinct(c).0 - s.mcv.len() as f64;
        if otherdistinct > 1.0 {
            selec /= otherdistinct;
        }
        if let Some(&least) = s.mcf.last() {
            if selec > least {
                selec = least;
            }
        }
        clamp_prob(selec)
    }

    /// `get_variable_range`: the smallest and largest value the statistics know (histogram ends
    /// and MCVs; PostgreSQL does not probe the index here).
    pub fn var_range(&self, c: ColRef) -> Option<(i64, i64)> {
        let s = self.stats(c)?;
        let vals = s.histogram.first().into_iter().chain(s.histogram.last()).chain(s.mcv.iter());
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        let mut any = false;
        for &v in vals {
            lo = lo.min(v);
            hi = hi.max(v);
            any = true;
        }
        // MCVs alone describe the column only when they cover it.
        if s.histogram.is_empty() && s.mcf.iter().sum::<f64>() + s.null_frac < 0.99 {
            return None;
        }
        any.then_some((lo, hi))
    }

    /// `var_eq_non_const`: `c = $param` (an inner index scan's parameter from the outer side).
    pub fn eq_param_sel(&self, c: ColRef) -> f64 {
        let tuples = self.tuples(c.0);
        if self.is_unique(c) && tuples >= 1.0 {
            return clamp_prob(1.0 / tuples);
        }
        let (nd, _) = self.numdistinct(c);
        match self.stats(c) {
            Some(s) => {
                let mut selec = (1.0 - s.null_frac) / nd;
                if let Some(&top) = s.mcf.first() {
                    if selec > top {
                        selec = top;
                    }
                }
                clamp_prob(selec)
            }
            None => clamp_prob(1.0 / nd),
        }
    }

    /// `scalarineqsel` for the condition `c op v` with op one of < <= > >=.
    pub fn ineqsel(&self, c: ColRef, op: CmpOp, v: i64) -> f64 {
        self.ineqsel_at(c, op, v, Site::Clause)
    }

    /// `scalarineqsel` for `c op v`, asked for at `site`.
    pub fn ineqsel_at(&self, c: ColRef, op: CmpOp, v: i64, site: Site) -> f64 {
        if v == crate::catalog::NULL {
            return 0.0;
        }
        let Some(s) = self.stats(c) else { return DEFAULT_INEQ_SEL };
        let (mut mcv_selec, mut sumcommon) = (0.0, 0.0);
        for (m, f) in s.mcv.iter().zip(&s.mcf) {
            if op.holds(*m, v) {
                mcv_selec += f;
            }
            sumcommon += f;
        }
        let hist_selec = self.ineq_histogram(c, s, (op, site), v);
        let mut selec = 1.0 - s.null_frac - sumcommon;
        selec *= hist_selec.unwrap_or(0.5);
        selec += mcv_selec;
        clamp_prob(selec)
    }

    /// `ineq_histogram_selectivity`: the fraction of the histogram's population below (or above) v.
    fn ineq_histogram(&self, c: ColRef, s: &ColumnStats, (op, site): (CmpOp, Site), v: i64) -> Option<f64> {
        let h = &s.histogram;
        if h.len() < 2 {
            return None;
        }
        let n = h.len();
        let (isgt, iseq) = (matches!(op, CmpOp::Gt | CmpOp::Ge), matches!(op, CmpOp::Le | CmpOp::Ge));
        // The histogram's ends are exact when an index on the column can fetch the actual min
        // and max: the first suitable index in the relation's list, which PostgreSQL builds
        // newest first.
        let t = self.q.rels[c.0].table;
        let index = self.db.indexes.iter().rev().find(|i| i.table == t && i.columns[0] == c.1);
        let probe = |max: bool| {
            if let Some(ix) = index {
                self.probes.seen.borrow_mut().insert((self.scope, site, c, op, v, max), ix.tree_height + 2);
            }
        };
        if n == 2 {
            probe(false);
            probe(true);
        }
        // Binary search with the operator itself, negated for `>`/`>=`; reaching either end
        // probes the index for it first.
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let p = (lo + hi) / 2;
            if n > 2 && (p == 0 || p == n - 1) {
                probe(p != 0);
            }
            let mut ltcmp = op.holds(h[p], v);
            if isgt {
                ltcmp = !ltcmp;
            }
            if ltcmp {
                lo = p + 1;
            } else {
                hi = p;
            }
        }
        let histfrac = if lo == 0 {
            0.0
        } else if lo >= n {
            1.0
        } else {
            let i = lo;
            let mut eq_selec = 0.0;
            if i == 1 || isgt == iseq {
                let otherdistinct = self.numdistinct(c).0 - s.mcv.len() as f64;
                if otherdistinct > 1.0 {
                    eq_selec = 1.0 / otherdistinct;
                }
            }
            let (low, high, val) = (h[i - 1] as f64, h[i] as f64, v as f64);
            let binfrac = if high <= low {
                0.5
            } else if val <= low {
                0.0
            } else if val >= high {
                1.0
            } else {
                (val - low) / (high - low)
            };
            let mut hf = ((i - 1) as f64 + binfrac) / (n - 1) as f64;
            if i == 1 {
                hf += eq_selec * (1.0 - binfrac);
            }
            if isgt == iseq {
                hf -= eq_selec;
            }
            hf
        };
        let hist_selec = if isgt { 1.0 - histfrac } else { histfrac };
        Some(if index.is_some() {
            clamp_prob(hist_selec)
        } else {
            let cutoff = 0.01 / (n - 1) as f64;
            hist_selec.clamp(cutoff, 1.0 - cutoff)
        })
    }

    /// `nulltestsel`.
    pub fn nullsel(&self, c: ColRef, not: bool) -> f64 {
        match self.stats(c) {
            Some(s) => {
                if not {
                    1.0 - s.null_frac
                } else {
                    s.null_frac
                }
            }
            None => {
                if not {
                    1.0 - DEFAULT_EQ_SEL
                } else {
                    DEFAULT_EQ_SEL
                }
            }
        }
    }

    /// `eqjoinsel` (inner join) for `a = b`.
    pub fn eqjoinsel(&self, a: ColRef, b: ColRef) -> f64 {
        let (nd1, _) = self.numdistinct(a);
        let (nd2, _) = self.numdistinct(b);
        let (s1, s2) = (self.stats(a), self.stats(b));
        let (nf1, nf2) = (self.nullfrac(a), self.nullfrac(b));
        let selec = match (s1, s2) {
            (Some(s1), Some(s2)) if !s1.mcv.is_empty() && !s2.mcv.is_empty() => {
                let mut hasmatch2 = vec![false; s2.mcv.len()];
                let mut hasmatch1 = vec![false; s1.mcv.len()];
                let (mut matchprodfreq, mut nmatches) = (0.0, 0.0);
                for (i, v1) in s1.mcv.iter().enumerate() {
                    for (j, v2) in s2.mcv.iter().enumerate() {
                        if !hasmatch2[j] && v1 == v2 {
                            hasmatch1[i] = true;
                            hasmatch2[j] = true;
                            matchprodfreq += s1.mcf[i] * s2.mcf[j];
                            nmatches += 1.0;
                            break;
                        }
                    }
                }
                let matchprodfreq = clamp_prob(matchprodfreq);
                let split = |hm: &[bool], f: &[f64]| {
                    let m: f64 = hm.iter().zip(f).filter(|x| *x.0).map(|x| x.1).sum();
                    let u: f64 = hm.iter().zip(f).filter(|x| !*x.0).map(|x| x.1).sum();
                    (clamp_prob(m), clamp_prob(u))
                };
                let (matchfreq1, unmatchfreq1) = split(&hasmatch1, &s1.mcf);
                let (matchfreq2, unmatchfreq2) = split(&hasmatch2, &s2.mcf);
                let otherfreq1 = clamp_prob(1.0 - nf1 - matchfreq1 - unmatchfreq1);
                let otherfreq2 = clamp_prob(1.0 - nf2 - matchfreq2 - unmatchfreq2);
                let (n1, n2) = (s1.mcv.len() as f64, s2.mcv.len() as f64);
                let mut totalsel1 = matchprodfreq;
                if nd2 > n2 {
                    totalsel1 += unmatchfreq1 * otherfreq2 / (nd2 - n2);
                }
                if nd2 > nmatches {
                    totalsel1 += otherfreq1 * (otherfreq2 + unmatchfreq2) / (nd2 - nmatches);
                }
                let mut totalsel2 = matchprodfreq;
                if nd1 > n1 {
                    totalsel2 += unmatchfreq2 * otherfreq1 / (nd1 - n1);
                }
                if nd1 > nmatches {
                    totalsel2 += otherfreq2 * (otherfreq1 + unmatchfreq1) / (nd1 - nmatches);
                }
                totalsel1.min(totalsel2)
            }
            _ => (1.0 - nf1) * (1.0 - nf2) / nd1.max(nd2),
        };
        clamp_prob(selec)
    }

    /// `eqjoinsel_semi` for `a = b`: the fraction of `a`'s rows with at least one partner in the
    /// inner side (`b`'s relation estimated at `base_rows` after its restrictions, the inner input
    /// at `inner_rows`): a semi join's selectivity; an anti join keeps the rest.
    pub fn eqjoinsel_semi(&self, a: ColRef, b: ColRef, base_rows: f64, inner_rows: f64) -> f64 {
        let (mut nd1, default1) = self.numdistinct(a);
        let (mut nd2, mut default2) = self.numdistinct(b);
        // nd2 is clamped to the rows the inner side can hold: there are no more distinct values.
        for rows in [base_rows, inner_rows] {
            if nd2 >= rows {
                nd2 = rows;
                default2 = false;
            }
        }
        let nf1 = self.nullfrac(a);
        let selec = match (self.stats(a), self.stats(b)) {
            (Some(s1), Some(s2)) if !s1.mcv.is_empty() && !s2.mcv.is_empty() => {
                let clamped2 = (s2.mcv.len() as f64).min(nd2).max(0.0) as usize;
                let mut hasmatch2 = vec![false; clamped2];
                let (mut matchfreq1, mut nmatches) = (0.0, 0.0);
                for (i, v1) in s1.mcv.iter().enumerate() {
                    if let Some(j) = (0..clamped2).find(|&j| !hasmatch2[j] && s2.mcv[j] == *v1) {
                        hasmatch2[j] = true;
                        matchfreq1 += s1.mcf[i];
                        nmatches += 1.0;
                    }
                }
                let matchfreq1 = clamp_prob(matchfreq1);
                let uncertainfrac = if !default1 && !default2 {
                    nd1 -= nmatches;
                    nd2 -= nmatches;
                    if nd1 <= nd2 || nd2 < 0.0 {
                        1.0
                    } else {
                        nd2 / nd1
                    }
                } else {
                    0.5
                };
                matchfreq1 + uncertainfrac * clamp_prob(1.0 - matchfreq1 - nf1)
            }
            _ if !default1 && !default2 => {
                if nd1 <= nd2 || nd2 < 0.0 {
                    1.0 - nf1
                } else {
                    nd2 / nd1 * (1.0 - nf1)
                }
            }
            _ => 0.5 * (1.0 - nf1),
        };
        // eqjoinsel: a semi join never has more rows than the inner join of the same inputs
        // (N1 × Ssemi ≤ N1 × N2 × Sinner).
        clamp_prob(selec).min(inner_rows * self.eqjoinsel(a, b))
    }

    /// `clause_selectivity` of one condition.
    pub fn clause_sel(&self, q: &Qual) -> f64 {
        match q {
            Qual::Cmp { c, op: CmpOp::Eq, v } => self.eqsel(*c, *v),
            Qual::Cmp { c, op: CmpOp::Ne, v } => {
                if *v == crate::catalog::NULL {
                    0.0
                } else {
                    clamp_prob(1.0 - self.eqsel(*c, *v) - self.nullfrac(*c))
                }
            }
            Qual::Cmp { c, op, v } => self.ineqsel(*c, *op, *v),
            // scalararraysel: equality with distinct constants, so the selectivities add up.
            Qual::In { c, vals } => {
                let (mut s1, mut disjoint) = (0.0, 0.0);
                for v in vals {
                    let s2 = self.eqsel(*c, *v);
                    disjoint += s2;
                    s1 = s1 + s2 - s1 * s2;
                }
                if (0.0..=1.0).contains(&disjoint) {
                    disjoint
                } else {
                    clamp_prob(s1)
                }
            }
            Qual::IsNull { c, not } => self.nullsel(*c, *not),
            // clause_selectivity knows nothing of a SubPlan: 0.5, and NOT of it 1 - 0.5.
            Qual::NotIn { .. } => 0.5,
            // A parameter is no constant: var_eq_non_const for an equality (an avg's cast column
            // has no statistics), the default for a range.
            Qual::Param { c, op, cast, .. } => {
                let eq = if *cast {
                    let t = self.tuples(c.0);
                    clamp_prob(1.0 / if t < DEFAULT_NUM_DISTINCT { t.max(1.0) } else { DEFAULT_NUM_DISTINCT })
                } else {
                    self.eq_param_sel(*c)
                };
                match op {
                    CmpOp::Eq => eq,
                    CmpOp::Ne => clamp_prob(1.0 - eq - if *cast { 0.0 } else { self.nullfrac(*c) }),
                    _ => DEFAULT_INEQ_SEL,
                }
            }
            Qual::ColCmp { l, op, r } if l.0 != r.0 => match op {
                CmpOp::Eq => self.eqjoinsel(*l, *r),
                CmpOp::Ne => clamp_prob(1.0 - self.eqjoinsel(*l, *r)),
                _ => DEFAULT_INEQ_SEL,
            },
            Qual::ColCmp { l, op, r } => match op {
                CmpOp::Eq => 1.0 / self.numdistinct(*l).0.max(self.numdistinct(*r).0),
                CmpOp::Ne => 1.0 - DEFAULT_EQ_SEL,
                _ => DEFAULT_INEQ_SEL,
            },
            Qual::Or(arms) => {
                let mut s1 = 0.0;
                for arm in arms {
                    let refs: Vec<&Qual> = arm.iter().collect();
                    let s2 = self.clauselist_sel(&refs);
                    s1 = s1 + s2 - s1 * s2;
                }
                clamp_prob(s1)
            }
        }
    }

    /// `clauselist_selectivity`: functional dependencies first, then independent clauses, with
    /// `x > a AND x < b` on one column estimated as a range.
    pub fn clauselist_sel(&self, quals: &[&Qual]) -> f64 {
        let mut s1 = 1.0;
        let mut done = vec![false; quals.len()];
        s1 *= self.dependencies_sel(quals, &mut done);
        // (column, low bound selectivity, high bound selectivity)
        let mut ranges: Vec<(ColRef, Option<f64>, Option<f64>)> = Vec::new();
        for (i, q) in quals.iter().enumerate() {
            if done[i] {
                continue;
            }
            let s2 = self.clause_sel(q);
            match q {
                Qual::Cmp { c, op: op @ (CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge), v } if *v != crate::catalog::NULL => {
                    let lower = matches!(op, CmpOp::Gt | CmpOp::Ge);
                    let e = match ranges.iter_mut().find(|r| r.0 == *c) {
                        Some(e) => e,
                        None => {
                            ranges.push((*c, None, None));
                            ranges.last_mut().unwrap_or_else(|| unreachable!())
                        }
                    };
                    let slot = if lower { &mut e.1 } else { &mut e.2 };
                    *slot = Some(slot.map_or(s2, |x: f64| x.min(s2)));
                }
                _ => s1 *= s2,
            }
        }
        for (c, lo, hi) in ranges {
            match (lo, hi) {
                (Some(lo), Some(hi)) => {
                    let mut s2 = if lo == DEFAULT_INEQ_SEL || hi == DEFAULT_INEQ_SEL { DEFAULT_RANGE_INEQ_SEL } else { hi + lo - 1.0 + self.nullsel(c, false) };
                    if s2 <= 0.0 {
                        s2 = if s2 < -0.01 { DEFAULT_RANGE_INEQ_SEL } else { 1.0e-10 };
                    }
                    s1 *= s2;
                }
                (Some(x), None) | (None, Some(x)) => s1 *= x,
                (None, None) => {}
            }
        }
        clamp_prob(s1)
    }

    /// `dependencies_clauselist_selectivity` for equality clauses on one relation covered by a
    /// `CREATE STATISTICS (dependencies)` object: P(a,b) = f·min(P(a),P(b)) + (1−f)·P(a)·P(b).
    fn dependencies_sel(&self, quals: &[&Qual], done: &mut [bool]) -> f64 {
        let mut s = 1.0;
        loop {
            let eq: Vec<(usize, ColRef)> = quals
                .iter()
                .enumerate()
                .filter(|(i, _)| !done[*i])
                .filter_map(|(i, q)| match q {
                    Qual::Cmp { c, op: CmpOp::Eq, .. } | Qual::In { c, .. } => Some((i, *c)),
                    _ => None,
                })
                .collect();
            let mut best: Option<(usize, usize, f64)> = None;
            for (ext, data) in &self.db.ext {
                for &(from, to, degree) in &data.dependencies {
                    let of = |c: &ColRef| self.q.rels[c.0].table == ext.table && self.q.rels[c.0].cte_scan.is_none();
                    let a = eq.iter().find(|(_, c)| of(c) && c.1 == from);
                    let b = eq.iter().find(|(_, c)| of(c) && c.1 == to);
                    if let (Some(a), Some(b)) = (a, b) {
                        if a.1 .0 == b.1 .0 && best.is_none_or(|x| degree > x.2) {
                            best = Some((a.0, b.0, degree));
                        }
                    }
                }
            }
            let Some((ia, ib, f)) = best else { return s };
            let (pa, pb) = (self.clause_sel(quals[ia]), self.clause_sel(quals[ib]));
            s *= f * pa.min(pb) + (1.0 - f) * pa * pb;
            done[ia] = true;
            done[ib] = true;
        }
    }
}
