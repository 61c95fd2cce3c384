//! Declarative partitioning on one node, as PostgreSQL does it: range, list and hash partitions,
//! partition pruning (a query names the partitions it scans), and detaching or dropping old
//! partitions for time-based retention.
use crate::rng::mix64;

/// How rows are split into partitions. Range bounds are `[from, to)`, as `FOR VALUES FROM … TO …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scheme {
    Range(Vec<RangePart>),
    List(Vec<ListPart>),
    /// `FOR VALUES WITH (MODULUS m, REMAINDER r)`: one partition per remainder.
    Hash {
        modulus: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangePart {
    pub name: String,
    pub from: i64,
    pub to: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListPart {
    pub name: String,
    pub values: Vec<i64>,
}

/// A partitioned table: its partition key column, scheme, and rows per partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub column: String,
    pub scheme: Scheme,
    /// Rows per partition (same order as the scheme's partitions).
    pub rows: Vec<u64>,
    /// Partitions detached (kept as plain tables) or dropped, with their row counts.
    pub detached: Vec<(String, u64)>,
    /// The key is a `date` (day numbers inside): EXPLAIN prints its constants as dates.
    pub dated: bool,
}

/// A query's condition on the partition key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pred {
    /// No condition on the key: every partition is scanned.
    All,
    Eq(i64),
    /// `key >= lo AND key < hi`.
    Between(i64, i64),
    In(Vec<i64>),
}

impl Table {
    pub fn new(name: &str, column: &str, scheme: Scheme) -> Result<Table, String> {
        let parts = scheme_len(&scheme);
        if parts == 0 || parts > 4096 {
            return Err(format!("a partitioned table needs 1 to 4096 partitions, not {parts}"));
        }
        if let Scheme::Range(r) = &scheme {
            if let Some(p) = r.iter().find(|p| p.from >= p.to) {
                return Err(format!("partition \"{}\": FROM ({}) must be below TO ({})", p.name, p.from, p.to));
            }
            if let Some(w) = r.windows(2).find(|w| w[1].from < w[0].to) {
                return Err(format!("partition \"{}\" would overlap partition \"{}\"", w[1].name, w[0].name));
            }
        }
        Ok(Table { name: name.into(), column: column.into(), scheme, rows: vec![0; parts], detached: Vec::new(), dated: false })
    }

    pub fn names(&self) -> Vec<String> {
        match &self.scheme {
            Scheme::Range(r) => r.iter().map(|p| p.name.clone()).collect(),
            Scheme::List(l) => l.iter().map(|p| p.name.clone()).collect(),
            Scheme::Hash { modulus } => (0..*modulus).map(|r| format!("{}_p{r}", self.name)).collect(),
        }
    }

    /// The partition a key belongs to, or PostgreSQL's error when none accepts it.
    pub fn route(&self, key: i64) -> Result<usize, String> {
        let found = match &self.scheme {
            Scheme::Range(r) => r.iter().position(|p| p.from <= key && key < p.to),
            Scheme::List(l) => l.iter().position(|p| p.values.contains(&key)),
            Scheme::Hash { modulus } => Some((mix64(key as u64) % (*modulus).max(1) as u64) as usize),
        };
        found.ok_or_else(|| format!("ERROR:  no partition of relation \"{}\" found for row\nDETAIL:  Partition key of the failing row contains ({}) = ({key}).", self.name, self.column))
    }

    pub fn insert(&mut self, key: i64) -> Result<usize, String> {
        let i = self.route(key)?;
        self.rows[i] += 1;
        Ok(i)
    }

    /// The partitions a query must scan; the rest are pruned.
    pub fn prune(&self, pred: &Pred) -> Vec<usize> {
        let n = self.rows.len();
        match (pred, &self.scheme) {
            (Pred::All, _) => (0..n).collect(),
            (Pred::Eq(v), _) => self.route(*v).into_iter().collect(),
            (Pred::In(vs), _) => {
                let mut out: Vec<usize> = vs.iter().filter_map(|v| self.route(*v).ok()).collect();
                out.sort_unstable();
                out.dedup();
                out
            }
            (Pred::Between(lo, hi), Scheme::Range(r)) => (0..n).filter(|i| r[*i].from < *hi && *lo < r[*i].to).collect(),
            (Pred::Between(lo, hi), Scheme::List(l)) => (0..n).filter(|i| l[*i].values.iter().any(|v| lo <= v && v < hi)).collect(),
            // A range condition says nothing about hash remainders: every partition is scanned.
            (Pred::Between(..), Scheme::Hash { .. }) => (0..n).collect(),
        }
    }

    /// `EXPLAIN` of `SELECT count(*) FROM t WHERE <pred>`: the partitions left after pruning.
    pub fn explain(&self, pred: &Pred) -> String {
        let names = self.names();
        let scanned = self.prune(pred);
        // A monthly table's key is a `date`: its constants print as PostgreSQL prints them.
        let lit = |v: i64| if self.dated { format!("'{}'::date", date_text(v)) } else { v.to_string() };
        let filter = match pred {
            Pred::All => String::new(),
            Pred::Eq(v) => format!("({} = {})", self.column, lit(*v)),
            Pred::Between(lo, hi) => format!("(({c} >= {}) AND ({c} < {}))", lit(*lo), lit(*hi), c = self.column),
            Pred::In(vs) => format!("({} = ANY ('{{{}}}'::bigint[]))", self.column, vs.iter().map(i64::to_string).collect::<Vec<_>>().join(",")),
        };
        let scan = |i: usize, indent: &str| {
            let mut s = format!("{indent}Seq Scan on {} (rows={})", names[i], self.rows[i]);
            if !filter.is_empty() {
                s.push_str(&format!("\n{indent}  Filter: {filter}"));
            }
            s
        };
        match scanned.as_slice() {
            [] => "Result\n  One-Time Filter: false".into(),
            [one] => scan(*one, ""),
            many => {
                let mut s = String::from("Append");
                for i in many {
                    s.push_str(&format!("\n  ->  {}", scan(*i, "").replace('\n', "\n      ")));
                }
                s
            }
        }
    }

    /// `ALTER TABLE … DETACH PARTITION name` (or `DROP TABLE name` when `drop`): retention.
    pub fn detach(&mut self, name: &str) -> Result<u64, String> {
        let i = self.names().iter().position(|n| n == name).ok_or_else(|| format!("ERROR:  relation \"{name}\" is not a partition of relation \"{}\"", self.name))?;
        let rows = match &mut self.scheme {
            Scheme::Range(r) => {
                r.remove(i);
                self.rows.remove(i)
            }
            Scheme::List(l) => {
                l.remove(i);
                self.rows.remove(i)
            }
            Scheme::Hash { .. } => return Err("ERROR:  a hash partition cannot be detached without losing rows that hash to it".into()),
        };
        self.detached.push((name.to_string(), rows));
        Ok(rows)
    }
}

fn scheme_len(s: &Scheme) -> usize {
    match s {
        Scheme::Range(r) => r.len(),
        Scheme::List(l) => l.len(),
        Scheme::Hash { modulus } => *modulus as usize,
    }
}

/// Monthly range partitions `name_YYYY_MM` over day numbers (days since 1970-01-01).
pub fn monthly(name: &str, year: i64, first_month: u32, months: u32) -> Scheme {
    let mut parts = Vec::new();
    let (mut y, mut m) = (year, first_month.clamp(1, 12) as i64);
    for _ in 0..months {
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        parts.push(RangePart { name: format!("{name}_{y}_{m:02}"), from: days(y, m, 1), to: days(ny, nm, 1) });
        (y, m) = (ny, nm);
    }
    Scheme::Range(parts)
}

/// The civil date of a day number (days since 1970-01-01), as PostgreSQL prints a `date`
/// (`2026-11-01`; Howard Hinnant's algorithm, the inverse of `days`).
pub fn date_text(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events() -> Table {
        let mut t = Table::new("events", "created_on", monthly("events", 2026, 9, 4)).unwrap();
        for d in days(2026, 9, 1)..days(2027, 1, 1) {
            for _ in 0..10 {
                t.insert(d).unwrap();
            }
        }
        t
    }

    #[test]
    fn a_time_range_query_scans_only_its_months() {
        let t = events();
        assert_eq!(t.names(), ["events_2026_09", "events_2026_10", "events_2026_11", "events_2026_12"]);
        assert_eq!(t.rows, [300, 310, 300, 310]);
        let nov = Pred::Between(days(2026, 11, 1), days(2026, 12, 1));
        assert_eq!(t.prune(&nov), [2]);
        assert_eq!(t.explain(&nov), format!("Seq Scan on events_2026_11 (rows=300)\n  Filter: ((created_on >= {}) AND (created_on < {}))", days(2026, 11, 1), days(2026, 12, 1)));
        // A date key prints its constants as PostgreSQL prints dates, not as day numbers.
        let dated = Table { dated: true, ..t.clone() };
        assert_eq!(dated.explain(&nov), "Seq Scan on events_2026_11 (rows=300)\n  Filter: ((created_on >= '2026-11-01'::date) AND (created_on < '2026-12-01'::date))");
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2026, 12, 31), (1969, 12, 31)] {
            assert_eq!(date_text(days(y, m, d)), format!("{y:04}-{m:02}-{d:02}"));
        }
        let two = Pred::Between(days(2026, 10, 20), days(2026, 11, 3));
        assert_eq!(t.prune(&two), [1, 2]);
        assert!(t.explain(&two).starts_with("Append\n  ->  Seq Scan on events_2026_10 (rows=310)\n        Filter:"));
        assert_eq!(t.prune(&Pred::All).len(), 4);
    }

    #[test]
    fn retention_detaches_the_oldest_month() {
        let mut t = events();
        assert_eq!(t.detach("events_2026_09"), Ok(300));
        assert_eq!(t.names().len(), 3);
        let err = t.insert(days(2026, 9, 15)).unwrap_err();
        assert!(err.starts_with("ERROR:  no partition of relation \"events\" found for row"), "{err}");
        assert!(t.detach("events_2026_09").is_err());
    }

    #[test]
    fn list_and_hash_partitions_prune_equalities() {
        let list = Scheme::List(vec![ListPart { name: "orders_eu".into(), values: vec![1, 2] }, ListPart { name: "orders_us".into(), values: vec![3] }]);
        let t = Table::new("orders", "region_id", list).unwrap();
        assert_eq!(t.prune(&Pred::Eq(3)), [1]);
        assert_eq!(t.prune(&Pred::In(vec![1, 3])), [0, 1]);
        let mut h = Table::new("users", "id", Scheme::Hash { modulus: 8 }).unwrap();
        for k in 0..8000 {
            h.insert(k).unwrap();
        }
        assert!(h.rows.iter().all(|r| (800..1200).contains(r)), "{:?}", h.rows);
        assert_eq!(h.prune(&Pred::Eq(42)).len(), 1);
        assert_eq!(h.prune(&Pred::Between(0, 10)).len(), 8, "a range on a hash key cannot prune");
    }

    #[test]
    fn bad_definitions_are_refused() {
        assert!(Table::new("t", "k", Scheme::Hash { modulus: 0 }).is_err());
        let overlap = Scheme::Range(vec![RangePart { name: "a".into(), from: 0, to: 10 }, RangePart { name: "b".into(), from: 5, to: 20 }]);
        assert!(Table::new("t", "k", overlap).unwrap_err().contains("overlap"));
        assert_eq!(days(1970, 1, 1), 0);
        assert_eq!(days(2026, 11, 25), 20_782);
    }
}
