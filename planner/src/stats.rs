//! `ANALYZE`: what `pg_statistic` holds for a column, computed as `analyze.c`'s
//! `compute_scalar_stats` computes it (sample of 300 × statistics target rows, Haas–Stokes
//! n_distinct, MCV list, equal-frequency histogram of the rest, physical-order correlation), and the
//! extended statistics of `CREATE STATISTICS` (`dependencies.c`, `mvdistinct.c`).
use crate::catalog::NULL;
use serde::{Deserialize, Serialize};
use sim_kernel::rng::SimRng;

/// One column's row of `pg_stats`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ColumnStats {
    #[serde(default)]
    pub null_frac: f64,
    #[serde(default)]
    pub avg_width: f64,
    /// Positive: a count. Negative: minus the fraction of rows (−1: unique).
    pub n_distinct: f64,
    #[serde(default, rename = "most_common_vals")]
    pub mcv: Vec<i64>,
    #[serde(default, rename = "most_common_freqs")]
    pub mcf: Vec<f64>,
    #[serde(default, rename = "histogram_bounds")]
    pub histogram: Vec<i64>,
    #[serde(default)]
    pub correlation: Option<f64>,
}

/// The rows ANALYZE reads: all of them below 300 × target, else a uniform sample kept in physical
/// order (PostgreSQL's block sample then reservoir, here one reservoir over rows).
pub fn sample_rows(rows: usize, target: u32, rng: &mut SimRng) -> Vec<usize> {
    let want = 300 * target.max(1) as usize;
    if rows <= want {
        return (0..rows).collect();
    }
    let mut pick: Vec<usize> = (0..want).collect();
    for i in want..rows {
        let j = rng.below(i as u64 + 1) as usize;
        if j < want {
            pick[j] = i;
        }
    }
    pick.sort_unstable();
    pick
}

/// `compute_scalar_stats` over the sampled values of one column (in physical order).
/// `width` gives a non-null value's stored width.
pub fn compute_scalar_stats(values: &[i64], total_rows: f64, target: u32, width: impl Fn(i64) -> f64) -> ColumnStats {
    let samplerows = values.len();
    // tupno is the rank among non-null sample rows, as in compute_scalar_stats.
    let nonnull: Vec<(i64, usize)> = values.iter().filter(|&&v| v != NULL).enumerate().map(|(r, &v)| (v, r)).collect();
    let null_cnt = samplerows - nonnull.len();
    let mut st = ColumnStats { null_frac: if samplerows > 0 { null_cnt as f64 / samplerows as f64 } else { 0.0 }, ..Default::default() };
    if nonnull.is_empty() {
        st.n_distinct = 0.0;
        return st;
    }
    st.avg_width = nonnull.iter().map(|&(v, _)| width(v)).sum::<f64>() / nonnull.len() as f64;
    let mut sorted = nonnull.clone();
    sorted.sort_unstable(); // ties broken by tuple number, as compare_scalars does
    let values_cnt = sorted.len();

    // Correlation between sort order and physical order.
    let n = values_cnt as f64;
    let xysum: f64 = sorted.iter().enumerate().map(|(i, &(_, tup))| i as f64 * tup as f64).sum();
    let xsum = (n - 1.0) * n / 2.0;
    let x2sum = (n - 1.0) * n * (2.0 * n - 1.0) / 6.0;
    let denom = n * x2sum - xsum * xsum;
    st.correlation = Some(if denom > 0.0 { (n * xysum - xsum * xsum) / denom } else { 1.0 });

    // Distinct values, duplicates, and the most frequent ones (ties keep value order).
    let num_mcv = target as usize;
    let mut track: Vec<(i64, usize)> = Vec::new();
    let (mut ndistinct, mut nmultiple) = (0usize, 0usize);
    let mut i = 0;
    while i < values_cnt {
        let mut j = i + 1;
        while j < values_cnt && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let dups = j - i;
        ndistinct += 1;
        if dups > 1 {
            nmultiple += 1;
            if track.len() < num_mcv || dups > track[track.len() - 1].1 {
                let pos = track.iter().position(|&(_, c)| dups > c).unwrap_or(track.len());
                track.insert(pos, (sorted[i].0, dups));
                track.truncate(num_mcv);
            }
        }
        i = j;
    }
    let nonnull_cnt = values_cnt as f64;
    st.n_distinct = if nmultiple == 0 {
        -(1.0 - st.null_frac)
    } else if nmultiple == ndistinct {
        ndistinct as f64
    } else {
        // Haas and Stokes (1998), Duj1.
        let f1 = (ndistinct - nmultiple) as f64;
        let d = f1 + nmultiple as f64;
        let (nn, big_n) = (nonnull_cnt, total_rows * (1.0 - st.null_frac));
        let mut est = nn * d / ((nn - f1) + f1 * nn / big_n);
        est = est.clamp(d, big_n.max(d));
        libm::floor(est + 0.5)
    };
    if st.n_distinct > 0.1 * total_rows {
        st.n_distinct = -(st.n_distinct / total_rows);
    }

    let keep = if track.len() == ndistinct && st.n_distinct > 0.0 && track.len() <= num_mcv {
        track.len()
    } else {
        let counts: Vec<usize> = track.iter().map(|t| t.1).collect();
        analyze_mcv_list(&counts, st.n_distinct, st.null_frac, samplerows, total_rows)
    };
    track.truncate(keep);
    st.mcv = track.iter().map(|t| t.0).collect();
    st.mcf = track.iter().map(|t| t.1 as f64 / samplerows as f64).collect();

    // Histogram over what the MCVs do not cover.
    let rest: Vec<i64> = if st.mcv.is_empty() { sorted.iter().map(|t| t.0).collect() } else { sorted.iter().map(|t| t.0).filter(|v| !st.mcv.contains(v)).collect() };
    let mut num_hist = ndistinct - keep;
    if num_hist > target as usize {
        num_hist = target as usize + 1;
    }
    if num_hist >= 2 {
        let nvals = rest.len();
        let delta = (nvals - 1) / (num_hist - 1);
        let deltafrac = (nvals - 1) % (num_hist - 1);
        let (mut pos, mut posfrac) = (0usize, 0usize);
        for _ in 0..num_hist {
            st.histogram.push(rest[pos]);
            pos += delta;
            posfrac += deltafrac;
            if posfrac >= num_hist - 1 {
                pos += 1;
                posfrac -= num_hist - 1;
            }
        }
    }
    st
}

/// `analyze_mcv_list`: keep the MCVs that are significantly more common than the rest.
fn analyze_mcv_list(counts: &[usize], stadistinct: f64, nullfrac: f64, samplerows: usize, totalrows: f64) -> usize {
    let mut num_mcv = counts.len();
    if samplerows as f64 == totalrows || num_mcv == 0 {
        return num_mcv;
    }
    let ndistinct_table = if stadistinct < 0.0 { -stadistinct * totalrows } else { stadistinct };
    let mut sumcount: f64 = counts[..num_mcv - 1].iter().map(|&c| c as f64).sum();
    let n = samplerows as f64;
    while num_mcv > 0 {
        let mut selec = (1.0 - sumcount / n - nullfrac).clamp(0.0, 1.0);
        let otherdistinct = ndistinct_table - (num_mcv as f64 - 1.0);
        if otherdistinct > 1.0 {
            selec /= otherdistinct;
        }
        let c = counts[num_mcv - 1] as f64;
        if c > selec * n {
            let big_n = totalrows;
            let k = big_n * c / n;
            let variance = n * k * (big_n - k) * (big_n - n) / (big_n * big_n * (big_n - 1.0));
            if c > selec * n + 2.0 * libm::sqrt(variance) + 0.5 {
                break;
            }
        }
        num_mcv -= 1;
        if num_mcv == 0 {
            break;
        }
        sumcount -= counts[num_mcv - 1] as f64;
    }
    num_mcv
}

/// The estimated number of distinct combinations of several sampled columns (`mvdistinct.c`:
/// the same Haas–Stokes estimator over the sample's distinct tuples).
pub fn ndistinct_combo(cols: &[&[i64]], total_rows: f64) -> f64 {
    let n = cols.first().map_or(0, |c| c.len());
    let mut rows: Vec<Vec<i64>> = (0..n).map(|i| cols.iter().map(|c| c[i]).collect()).collect();
    rows.sort_unstable();
    let (mut d, mut f1, mut i) = (0.0, 0.0, 0);
    while i < n {
        let mut j = i + 1;
        while j < n && rows[j] == rows[i] {
            j += 1;
        }
        d += 1.0;
        if j - i == 1 {
            f1 += 1.0;
        }
        i = j;
    }
    if n == 0 {
        return 1.0;
    }
    let nn = n as f64;
    let est = nn * d / ((nn - f1) + f1 * nn / total_rows);
    libm::floor(est.clamp(d, total_rows.max(d)) + 0.5)
}

/// `dependency_degree`: the fraction of sampled rows whose value of `a` determines `b` (rows in
/// `a`-groups where `b` never varies).
pub fn dependency_degree(a: &[i64], b: &[i64]) -> f64 {
    let mut pairs: Vec<(i64, i64)> = a.iter().copied().zip(b.iter().copied()).collect();
    if pairs.is_empty() {
        return 0.0;
    }
    pairs.sort_unstable();
    let (mut supporting, mut i) = (0usize, 0usize);
    while i < pairs.len() {
        let mut j = i + 1;
        let mut consistent = true;
        while j < pairs.len() && pairs[j].0 == pairs[i].0 {
            consistent &= pairs[j].1 == pairs[i].1;
            j += 1;
        }
        if consistent {
            supporting += j - i;
        }
        i = j;
    }
    supporting as f64 / pairs.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_serial_column() {
        let v: Vec<i64> = (0..10_000).collect();
        let s = compute_scalar_stats(&v, 10_000.0, 100, |_| 4.0);
        assert_eq!(s.n_distinct, -1.0);
        assert!(s.mcv.is_empty());
        assert_eq!(s.histogram.len(), 101);
        // Bounds at (i * 9999) / 100 with the integer carry of analyze.c.
        assert_eq!(&s.histogram[..3], &[0, 99, 199]);
        assert_eq!(*s.histogram.last().unwrap(), 9999);
        assert_eq!(s.correlation, Some(1.0));
        assert_eq!(s.avg_width, 4.0);
    }

    #[test]
    fn small_domain_is_all_mcv() {
        let v: Vec<i64> = (0..10_000).map(|i| i % 10).collect();
        let s = compute_scalar_stats(&v, 10_000.0, 100, |_| 4.0);
        assert_eq!(s.n_distinct, 10.0);
        assert_eq!(s.mcv.len(), 10);
        assert!(s.mcf.iter().all(|&f| (f - 0.1).abs() < 1e-12));
        assert!(s.histogram.is_empty());
    }

    #[test]
    fn nulls_and_reverse_order() {
        let v: Vec<i64> = (0..1000).map(|i| if i % 4 == 0 { NULL } else { 1000 - i }).collect();
        let s = compute_scalar_stats(&v, 1000.0, 100, |_| 4.0);
        assert!((s.null_frac - 0.25).abs() < 1e-12);
        assert_eq!(s.n_distinct, -0.75);
        assert!((s.correlation.unwrap() + 1.0).abs() < 1e-9);
    }

    #[test]
    fn dependency_of_a_function() {
        let zip: Vec<i64> = (0..1000).map(|i| i % 100).collect();
        let city: Vec<i64> = zip.iter().map(|z| z / 10).collect();
        assert_eq!(dependency_degree(&zip, &city), 1.0);
        assert!(dependency_degree(&city, &zip) < 0.01);
        assert_eq!(ndistinct_combo(&[&zip, &city], 1000.0), 100.0);
    }
}
