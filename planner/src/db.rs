//! A database: the catalog of a lesson with its generated rows, pg_class sizes, indexes and the
//! statistics ANALYZE gathered. The what-if commands (`CREATE INDEX`, `ANALYZE`, …) change it here.
use crate::catalog::{btree_size, heap_pages, heap_tuple_bytes, ColType, Column, ExtKind, ExtStats, Index, TextDomain, NULL};
use crate::lesson::{placed, Dist, LessonError, LessonFile, Literal, StatedStats, TableSpec};
use crate::settings::Settings;
use crate::stats::{compute_scalar_stats, dependency_degree, ndistinct_combo, sample_rows, ColumnStats};
use sim_kernel::rng::{SimRng, Zipf};

/// The most rows a lesson may generate over all its tables.
pub const MAX_ROWS: u64 = 2_000_000;

#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// Column-major values; [`NULL`] is SQL NULL.
    pub data: std::rc::Rc<Vec<Vec<i64>>>,
    pub rows: usize,
    /// `pg_class.relpages` and `reltuples`.
    pub pages: f64,
    pub tuples: f64,
    pub stats: Vec<Option<ColumnStats>>,
    /// Statistics stated by the lesson; ANALYZE keeps them.
    pub stated: Vec<Option<ColumnStats>>,
    pub targets: Vec<Option<u32>>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
    /// The average width of a row's columns, as the planner sizes them.
    pub fn col_width(&self, c: usize) -> f64 {
        match self.stats[c].as_ref() {
            Some(s) if s.avg_width > 0.0 => s.avg_width,
            _ => self.columns[c].fixed_width().map_or(32.0, |w| w as f64),
        }
    }
}

/// Extended statistics as ANALYZE built them.
#[derive(Clone, Debug, Default)]
pub struct ExtData {
    /// (from, to, degree): `from` determines `to` in that fraction of rows.
    pub dependencies: Vec<(usize, usize, f64)>,
    /// Distinct combinations of all the object's columns.
    pub ndistinct: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct Database {
    pub tables: Vec<Table>,
    pub indexes: Vec<Index>,
    pub ext: Vec<(ExtStats, ExtData)>,
    pub settings: Settings,
    pub seed: u64,
}

impl Database {
    pub fn table(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name == name)
    }

    /// The lesson's tables in the catalog the cluster world shares: columns, rows, heap pages and
    /// indexes, as `pg_class` has them now.
    pub fn catalog(&self) -> Vec<crate::catalog::TableInfo> {
        let index = |i: &Index| crate::catalog::IndexInfo { name: i.name.clone(), columns: i.columns.clone(), unique: i.unique, pages: i.pages as u64 };
        let info = |(ti, t): (usize, &Table)| crate::catalog::TableInfo {
            name: t.name.clone(),
            columns: t.columns.clone(),
            rows: t.rows as u64,
            pages: t.pages as u64,
            indexes: self.indexes.iter().filter(|i| i.table == ti).map(index).collect(),
        };
        self.tables.iter().enumerate().map(info).collect()
    }

    /// Builds the lesson's database: generates every table, sizes it, creates its indexes and
    /// statistics objects, and ANALYZEs it.
    pub fn build(file: &str, src: &str, lesson: &LessonFile, seed: u64) -> Result<Database, LessonError> {
        let err = |at: usize, field: String, msg: String| placed(file, src, at, field, msg);
        let mut db = Database { tables: Vec::new(), indexes: Vec::new(), ext: Vec::new(), settings: lesson.settings.clone(), seed };
        let mut total = 0u64;
        for (ti, spec) in lesson.tables.iter().enumerate() {
            total = total.saturating_add(*spec.rows.get_ref());
            if total > MAX_ROWS {
                return Err(err(spec.rows.span().start, format!("table[{ti}].rows"), format!("{total} rows in all is more than the {MAX_ROWS} a lesson may generate")));
            }
            if db.table(spec.name.get_ref()).is_some() {
                return Err(err(spec.name.span().start, format!("table[{ti}].name"), format!("relation \"{}\" already exists", spec.name.get_ref())));
            }
            let t = generate(spec, seed).map_err(|(at, field, msg)| err(at, format!("table[{ti}].{field}"), msg))?;
            db.tables.push(t);
            if let Some(pk) = &spec.primary_key {
                let tix = db.tables.len() - 1;
                let c =
                    db.tables[tix].column(pk.get_ref()).ok_or_else(|| err(pk.span().start, format!("table[{ti}].primary_key"), format!("column \"{}\" named in key does not exist", pk.get_ref())))?;
                let name = format!("{}_pkey", spec.name.get_ref());
                db.add_index(name, tix, vec![c], true);
            }
        }
        for (i, ix) in lesson.indexes.iter().enumerate() {
            let field = format!("index[{i}]");
            let t = db.table(ix.table.get_ref()).ok_or_else(|| err(ix.table.span().start, format!("{field}.table"), format!("relation \"{}\" does not exist", ix.table.get_ref())))?;
            let mut cols = Vec::new();
            for (k, c) in ix.columns.iter().enumerate() {
                cols.push(db.tables[t].column(c.get_ref()).ok_or_else(|| err(c.span().start, format!("{field}.columns[{k}]"), format!("column \"{}\" does not exist", c.get_ref())))?);
            }
            if cols.is_empty() {
                return Err(err(ix.table.span().start, format!("{field}.columns"), "an index needs at least one column".into()));
            }
            let name = ix.name.clone().unwrap_or_else(|| db.default_index_name(t, &cols));
            if db.indexes.iter().any(|x| x.name == name) {
                return Err(err(ix.table.span().start, format!("{field}.name"), format!("relation \"{name}\" already exists")));
            }
            db.add_index(name, t, cols, ix.unique);
            let last = db.indexes.len() - 1;
            if let Some(p) = ix.pages {
                db.indexes[last].pages = p;
            }
            if let Some(h) = ix.tree_height {
                db.indexes[last].tree_height = h;
            }
        }
        for (i, s) in lesson.statistics.iter().enumerate() {
            let field = format!("statistics[{i}]");
            let t = db.table(s.table.get_ref()).ok_or_else(|| err(s.table.span().start, format!("{field}.table"), format!("relation \"{}\" does not exist", s.table.get_ref())))?;
            let mut cols = Vec::new();
            for (k, c) in s.columns.iter().enumerate() {
                cols.push(db.tables[t].column(c.get_ref()).ok_or_else(|| err(c.span().start, format!("{field}.columns[{k}]"), format!("column \"{}\" does not exist", c.get_ref())))?);
            }
            if cols.len() < 2 {
                return Err(err(s.table.span().start, format!("{field}.columns"), "extended statistics require at least 2 columns".into()));
            }
            db.ext.push((ExtStats { name: s.name.clone(), table: t, columns: cols, kinds: s.kinds.clone() }, ExtData::default()));
        }
        for (ti, spec) in lesson.tables.iter().enumerate() {
            db.analyze(ti);
            if let Some(p) = spec.pages {
                db.tables[ti].pages = p;
            }
            if let Some(t) = spec.tuples {
                db.tables[ti].tuples = t;
            }
        }
        Ok(db)
    }

    /// PostgreSQL's default index name: `<table>_<col>_<col>_idx`.
    pub fn default_index_name(&self, t: usize, cols: &[usize]) -> String {
        let tb = &self.tables[t];
        let mut name = tb.name.clone();
        for &c in cols {
            name.push('_');
            name.push_str(&tb.columns[c].name);
        }
        let base = format!("{name}_idx");
        let mut n = base.clone();
        let mut k = 1;
        while self.indexes.iter().any(|x| x.name == n) {
            n = format!("{name}_idx{k}");
            k += 1;
        }
        n
    }

    /// `CREATE [UNIQUE] INDEX name ON table (cols)`: builds it and sizes it.
    pub fn add_index(&mut self, name: String, table: usize, columns: Vec<usize>, unique: bool) {
        let t = &self.tables[table];
        let mut keys: Vec<Vec<i64>> = (0..t.rows).map(|r| columns.iter().map(|&c| t.data[c][r]).collect()).collect();
        keys.sort_unstable();
        let mut ranks = Vec::with_capacity(keys.len());
        let mut rank = 0i64;
        for i in 0..keys.len() {
            if i > 0 && keys[i] != keys[i - 1] {
                rank += 1;
            }
            ranks.push(rank);
        }
        let (pages, tree_height) = btree_size(&ranks, key_bytes(t, &columns), unique);
        self.indexes.push(Index { name, table, columns, unique, pages, tree_height });
    }

    /// `ANALYZE table`: samples it, then recomputes every column's statistics and its extended
    /// statistics objects. Stated statistics stay.
    pub fn analyze(&mut self, table: usize) {
        let default_target = self.settings.default_statistics_target;
        let t = &mut self.tables[table];
        let target = t.targets.iter().map(|x| x.unwrap_or(default_target)).max().unwrap_or(default_target);
        let mut rng = SimRng::derive(self.seed, &format!("analyze/{}", t.name));
        let sample = sample_rows(t.rows, target, &mut rng);
        t.tuples = t.rows as f64;
        for c in 0..t.columns.len() {
            if let Some(s) = &t.stated[c] {
                t.stats[c] = Some(s.clone());
                continue;
            }
            let values: Vec<i64> = sample.iter().map(|&r| t.data[c][r]).collect();
            let col = &t.columns[c];
            let width = |v: i64| col.stored_after(0, v) as f64;
            t.stats[c] = Some(compute_scalar_stats(&values, t.rows as f64, t.targets[c].unwrap_or(default_target), width));
        }
        for (def, data) in self.ext.iter_mut().filter(|(d, _)| d.table == table) {
            let cols: Vec<Vec<i64>> = def.columns.iter().map(|&c| sample.iter().map(|&r| t.data[c][r]).collect()).collect();
            *data = ExtData::default();
            if def.kinds.contains(&ExtKind::Dependencies) {
                for (i, &a) in def.columns.iter().enumerate() {
                    for (j, &b) in def.columns.iter().enumerate() {
                        if i != j {
                            data.dependencies.push((a, b, dependency_degree(&cols[i], &cols[j])));
                        }
                    }
                }
            }
            if def.kinds.contains(&ExtKind::Ndistinct) {
                let refs: Vec<&[i64]> = cols.iter().map(|c| c.as_slice()).collect();
                data.ndistinct = Some(ndistinct_combo(&refs, t.rows as f64));
            }
        }
    }
}

/// Generates one table's rows; an error carries (byte offset, field, message).
fn generate(spec: &TableSpec, seed: u64) -> Result<Table, (usize, String, String)> {
    let rows = *spec.rows.get_ref() as usize;
    let name = spec.name.get_ref().clone();
    if spec.columns.is_empty() || spec.columns.len() > 64 {
        return Err((spec.name.span().start, "columns".into(), "a table needs 1 to 64 columns".into()));
    }
    let mut columns: Vec<Column> = Vec::new();
    let mut logical: Vec<Vec<i64>> = Vec::new();
    for (ci, c) in spec.columns.iter().enumerate() {
        let field = |f: &str| format!("columns[{ci}].{f}");
        let cname = c.name.get_ref().clone();
        if columns.iter().any(|x| x.name == cname) {
            return Err((c.name.span().start, field("name"), format!("column \"{cname}\" specified more than once")));
        }
        let text = match (c.ty, &c.values, &c.prefix) {
            (ColType::Text, Some(v), None) => {
                let mut v = v.clone();
                v.sort();
                v.dedup();
                if v.is_empty() {
                    return Err((c.name.span().start, field("values"), "a text column needs at least one value".into()));
                }
                Some(TextDomain::List(v))
            }
            (ColType::Text, None, p) => {
                let digits = format!("{}", rows.max(1)).len();
                Some(TextDomain::Pattern { prefix: p.clone().unwrap_or_else(|| format!("{cname}_")), digits })
            }
            (ColType::Text, Some(_), Some(_)) => return Err((c.name.span().start, field("prefix"), "give `values` or `prefix`, not both".into())),
            (_, None, None) => None,
            _ => return Err((c.name.span().start, field("values"), "only a text column has values or a prefix".into())),
        };
        if !(0.0..=1.0).contains(&c.null_frac) {
            return Err((c.name.span().start, field("null_frac"), format!("null_frac {} is not between 0 and 1", c.null_frac)));
        }
        let at = c.dist.span().start;
        let source = |of: &str| -> Result<usize, (usize, String, String)> {
            columns.iter().position(|x| x.name == of).ok_or_else(|| (at, field("dist"), format!("column \"{of}\" must be defined before \"{cname}\" to derive from it")))
        };
        let mut rng = SimRng::derive(seed, &format!("data/{name}/{cname}"));
        let vals: Vec<i64> = match c.dist.get_ref() {
            Dist::Serial => (1..=rows as i64).collect(),
            Dist::Shuffled => {
                let mut v: Vec<i64> = (1..=rows as i64).collect();
                for i in (1..v.len()).rev() {
                    let j = rng.below(i as u64 + 1) as usize;
                    v.swap(i, j);
                }
                v
            }
            Dist::Uniform(n) if *n >= 1 => (0..rows).map(|_| 1 + rng.below(*n) as i64).collect(),
            Dist::Zipf { n, s } if *n >= 1 && *s > 0.0 && s.is_finite() => {
                let z = Zipf::new(*n, *s);
                (0..rows).map(|_| z.sample(&mut rng) as i64).collect()
            }
            Dist::Copy(of) => logical[source(of)?].clone(),
            Dist::Div { of, by } if *by != 0 => logical[source(of)?].iter().map(|v| v.div_euclid(*by)).collect(),
            Dist::Mod { of, by } if *by != 0 => logical[source(of)?].iter().map(|v| v.rem_euclid(*by)).collect(),
            Dist::Const(v) => vec![*v; rows],
            Dist::Expr(src) => {
                let e = crate::dataexpr::DataExpr::parse(src).map_err(|(k, m)| (at, field("dist.expr"), format!("{m} (at character {} of the expression)", k + 1)))?;
                // Each distribution the expression names draws from the column's stream, row by row.
                let mut zipfs: Vec<((u64, u64), Zipf)> = Vec::new();
                let mut draw = |d: &crate::dataexpr::DataExpr| match d {
                    crate::dataexpr::DataExpr::Uniform(n) => 1 + rng.below(*n) as i64,
                    crate::dataexpr::DataExpr::Zipf(n, s) => {
                        let key = (*n, s.to_bits());
                        let k = match zipfs.iter().position(|(x, _)| *x == key) {
                            Some(k) => k,
                            None => {
                                zipfs.push((key, Zipf::new(*n, *s)));
                                zipfs.len() - 1
                            }
                        };
                        zipfs[k].1.sample(&mut rng) as i64
                    }
                    _ => 0,
                };
                let mut v = Vec::with_capacity(rows);
                for g in 1..=rows as i64 {
                    v.push(e.eval(g, &mut draw).map_err(|m| (at, field("dist.expr"), format!("{m} for g = {g}")))?);
                }
                v
            }
            other => return Err((at, field("dist"), format!("{other:?} needs a positive size"))),
        };
        if let Some(TextDomain::List(l)) = &text {
            if let Some(v) = vals.iter().find(|&&v| v < 1 || v as usize > l.len()) {
                return Err((at, field("dist"), format!("generates value {v}, but the column has only {} strings (values 1..={})", l.len(), l.len())));
            }
        }
        logical.push(vals);
        columns.push(Column { name: cname, ty: c.ty, text });
    }
    // Store: text as codes, then nulls.
    let mut data = Vec::with_capacity(columns.len());
    for (ci, (c, vals)) in columns.iter().zip(&logical).enumerate() {
        let mut col: Vec<i64> = match &c.text {
            Some(TextDomain::List(_)) => vals.iter().map(|v| 2 * (v - 1)).collect(),
            Some(TextDomain::Pattern { .. }) => vals.iter().map(|v| 2 * v.max(&0)).collect(),
            None => vals.clone(),
        };
        let nf = spec.columns[ci].null_frac;
        if nf > 0.0 {
            let mut rng = SimRng::derive(seed, &format!("nulls/{name}/{}", c.name));
            for v in col.iter_mut() {
                if rng.unit() < nf {
                    *v = NULL;
                }
            }
        }
        data.push(col);
    }
    let pages = heap_pages((0..rows).map(|r| heap_tuple_bytes(&columns, data.iter().map(|c| c[r]))));
    let n = columns.len();
    let columns_for_stats: Vec<(usize, Column)> = columns.iter().cloned().enumerate().collect();
    Ok(Table {
        name,
        columns,
        data: std::rc::Rc::new(data),
        rows,
        pages: pages as f64,
        tuples: rows as f64,
        stats: vec![None; n],
        stated: spec
            .columns
            .iter()
            .zip(&columns_for_stats)
            .map(|(c, (ci, col))| c.stats.as_ref().map(|s| stated(col, s).map_err(|m| (*ci, m))).transpose())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|(ci, m): (usize, String)| (spec.columns[ci].name.span().start, format!("columns[{ci}].stats"), m))?,
        targets: spec.columns.iter().map(|c| c.statistics_target).collect(),
    })
}

/// Stated statistics in stored values (strings become the text column's codes).
fn stated(col: &Column, s: &StatedStats) -> Result<ColumnStats, String> {
    let conv = |l: &Literal| -> Result<i64, String> {
        match (l, &col.text) {
            (Literal::Int(v), None) => Ok(*v),
            (Literal::Str(x), Some(d)) => Ok(d.encode(x)),
            (Literal::Int(v), Some(_)) => Err(format!("{v} is not a string, but \"{}\" is a text column", col.name)),
            (Literal::Str(x), None) => Err(format!("\"{x}\" is not a number, but \"{}\" is a {} column", col.name, col.ty.sql())),
        }
    };
    if s.most_common_vals.len() != s.most_common_freqs.len() {
        return Err(format!("{} most_common_vals but {} most_common_freqs", s.most_common_vals.len(), s.most_common_freqs.len()));
    }
    Ok(ColumnStats {
        null_frac: s.null_frac,
        avg_width: s.avg_width,
        n_distinct: s.n_distinct,
        mcv: s.most_common_vals.iter().map(conv).collect::<Result<_, _>>()?,
        mcf: s.most_common_freqs.clone(),
        histogram: s.histogram_bounds.iter().map(conv).collect::<Result<_, _>>()?,
        correlation: s.correlation,
    })
}

/// The bytes of key data one entry of an index on `columns` of `t` takes.
pub(crate) fn key_bytes(t: &Table, columns: &[usize]) -> usize {
    let mut off = 0;
    for &c in columns {
        let v = t.data[c].iter().copied().find(|&v| v != NULL).unwrap_or(0);
        off += t.columns[c].stored_after(off, v);
    }
    off
}
