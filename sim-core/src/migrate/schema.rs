//! The schema a migration changes: its tables (from the shared catalog's sizes), columns, indexes
//! and constraints; what each DDL statement does to it in PostgreSQL 15 (its phases of work under
//! the lock, from `migrations.md`), and the errors PostgreSQL gives when it cannot.
use super::ddl::{Default, Kind, Statement};
use crate::time::SimDur;

/// Reading a heap page and checking its rows (a scan under the lock: SET NOT NULL, VALIDATE,
/// a CHECK or a foreign key added without NOT VALID): about 500 MB/s from shared buffers.
pub const SCAN_PAGE: SimDur = SimDur(16);
/// Rewriting a page: the new heap, its WAL and its share of the index rebuilds, flushed: about
/// 80 MB/s on a server's NVMe drive.
pub const REWRITE_PAGE: SimDur = SimDur(100);
/// Building a B-tree: a scan, then a sort of about half a microsecond a row, then its pages
/// written (and WAL-logged) at the rewrite's rate.
pub const SORT_ROW_NS: u64 = 500;
/// A catalog-only change, with its commit.
pub const CATALOG: SimDur = SimDur(2000);
/// WAL of a catalog change (the catalog rows and the commit record).
pub const CATALOG_WAL: u64 = 4096;

/// The WAL a phase of work writes at a time (a rewrite's WAL goes out as it is written).
pub const WAL_CHUNK: u64 = 16 << 20;

/// A PostgreSQL error: its SQLSTATE and its message (as `ERROR:  …` prints it, without the prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgError {
    pub code: &'static str,
    pub message: String,
}

fn err(code: &'static str, message: String) -> PgError {
    PgError { code, message }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: String,
    pub not_null: bool,
    /// Some existing row holds NULL here (a column added without a default and not backfilled).
    pub nulls: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
    /// `pg_index.indisvalid`: false for a CREATE INDEX CONCURRENTLY still building, or cancelled.
    pub valid: bool,
    pub primary: bool,
    pub pages: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConKind {
    /// `CHECK (expr)`; `not_null_of`: the expression is `col IS NOT NULL`.
    Check {
        not_null_of: Option<String>,
    },
    ForeignKey {
        column: String,
        ref_table: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    pub name: String,
    pub kind: ConKind,
    /// Its definition as `\d` prints it (`CHECK (email IS NOT NULL)`).
    pub def: String,
    /// `convalidated`: false after NOT VALID until VALIDATE CONSTRAINT.
    pub valid: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub rows: u64,
    pub pages: u64,
    pub columns: Vec<Column>,
    pub indexes: Vec<Index>,
    pub constraints: Vec<Constraint>,
    pub triggers: Vec<Trigger>,
}

impl Table {
    /// `\d table` as psql prints it: the columns (name, type, nullable), then the index and
    /// constraint lines.
    pub fn describe(&self) -> (Vec<Vec<String>>, Vec<String>) {
        let cols = self.columns.iter().map(|c| vec![c.name.clone(), c.ty.clone(), if c.not_null { "not null" } else { "" }.to_string()]).collect();
        let mut lines = Vec::new();
        if !self.indexes.is_empty() {
            lines.push("Indexes:".to_string());
        }
        for i in &self.indexes {
            let kind = if i.primary {
                " PRIMARY KEY,"
            } else if i.unique {
                " UNIQUE,"
            } else {
                ""
            };
            lines.push(format!("    \"{}\"{kind} btree ({}){}", i.name, i.columns.join(", "), if i.valid { "" } else { " INVALID" }));
        }
        for (title, fk) in [("Check constraints:", false), ("Foreign-key constraints:", true)] {
            let list: Vec<&Constraint> = self.constraints.iter().filter(|c| matches!(c.kind, ConKind::ForeignKey { .. }) == fk).collect();
            if !list.is_empty() {
                lines.push(title.to_string());
            }
            for c in list {
                lines.push(format!("    \"{}\" {}{}", c.name, c.def, if c.valid { "" } else { " NOT VALID" }));
            }
        }
        if !self.triggers.is_empty() {
            lines.push("Triggers:".to_string());
        }
        for t in &self.triggers {
            let when = if t.before { "BEFORE" } else { "AFTER" };
            lines.push(format!("    {} {when} {} ON {} FOR EACH ROW EXECUTE FUNCTION {}()", t.name, t.events, self.name, t.function));
        }
        (cols, lines)
    }

    /// A table of `rows` rows of `row_bytes` each, with `id bigint primary key` and `columns`.
    pub fn new(name: &str, rows: u64, row_bytes: u64, columns: &[(String, String)]) -> Table {
        let pages = sim_catalog::heap_pages_fixed(row_bytes as usize, rows);
        let (pk_pages, _) = sim_catalog::btree_unique_size(rows, 8);
        let mut cols = vec![Column { name: "id".into(), ty: "bigint".into(), not_null: true, nulls: false }];
        cols.extend(columns.iter().map(|(n, t)| Column { name: n.clone(), ty: t.clone(), not_null: false, nulls: false }));
        let pkey = Index { name: format!("{name}_pkey"), columns: vec!["id".into()], unique: true, valid: true, primary: true, pages: pk_pages as u64 };
        Table { name: name.into(), rows, pages, columns: cols, indexes: vec![pkey], constraints: Vec::new(), triggers: Vec::new() }
    }

    fn column(&self, c: &str) -> Result<&Column, PgError> {
        self.columns.iter().find(|x| x.name == c).ok_or_else(|| err("42703", format!("column \"{c}\" of relation \"{}\" does not exist", self.name)))
    }

    fn constraint(&self, c: &str) -> Result<&Constraint, PgError> {
        self.constraints.iter().find(|x| x.name == c).ok_or_else(|| err("42704", format!("constraint \"{c}\" of relation \"{}\" does not exist", self.name)))
    }

    /// The pages of a new B-tree over this table (8-byte keys).
    fn index_pages(&self) -> u64 {
        sim_catalog::btree_unique_size(self.rows, 8).0 as u64
    }

    fn all_index_pages(&self) -> u64 {
        self.indexes.iter().map(|i| i.pages).sum()
    }
}

/// A phase of a statement's work once it holds its lock.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Catalog rows only.
    Catalog,
    /// Reads every page to check a condition.
    Scan { pages: u64 },
    /// Writes the table (and its indexes) anew.
    Rewrite { pages: u64 },
    /// Builds an index: reads the heap, sorts, writes `index_pages`.
    Build { pages: u64, rows: u64, index_pages: u64 },
    /// CREATE INDEX CONCURRENTLY: waits for every transaction that holds a lock conflicting with
    /// SHARE on the table (its writers) to end.
    WaitWriters,
    /// CREATE INDEX CONCURRENTLY's last wait: every transaction older than it, on any table.
    WaitOlder,
}

impl Phase {
    /// How long the phase's work takes (the waits take what they wait for).
    pub fn duration(self) -> SimDur {
        match self {
            Phase::Catalog => CATALOG,
            Phase::Scan { pages } => SimDur(pages.saturating_mul(SCAN_PAGE.0).max(1)),
            Phase::Rewrite { pages } => SimDur(pages.saturating_mul(REWRITE_PAGE.0).max(1)),
            Phase::Build { pages, rows, index_pages } => {
                SimDur(pages.saturating_mul(SCAN_PAGE.0) + rows.saturating_mul(SORT_ROW_NS) / 1000 + index_pages.saturating_mul(REWRITE_PAGE.0)).max(SimDur(1))
            }
            Phase::WaitWriters | Phase::WaitOlder => SimDur::ZERO,
        }
    }

    /// The WAL it writes (the rewritten heap and indexes, a new index, the catalog rows).
    pub fn wal_bytes(self) -> u64 {
        match self {
            Phase::Catalog => CATALOG_WAL,
            Phase::Rewrite { pages } => pages * 8192,
            Phase::Build { index_pages, .. } => index_pages * 8192,
            Phase::Scan { .. } | Phase::WaitWriters | Phase::WaitOlder => 0,
        }
    }

    /// The pieces its WAL is written in as the work goes (one for a phase without WAL): a rewrite
    /// streams to the standbys while it runs, not at its commit.
    pub fn chunks(self) -> u32 {
        self.wal_bytes().div_ceil(WAL_CHUNK).clamp(1, 256) as u32
    }

    /// What `pg_stat_activity` or `pg_stat_progress_*` would say the statement is doing.
    pub fn doing(self) -> &'static str {
        match self {
            Phase::Catalog => "updating the catalog",
            Phase::Scan { .. } => "scanning the table",
            Phase::Rewrite { .. } => "rewriting the table",
            Phase::Build { .. } => "building index",
            Phase::WaitWriters => "waiting for writers before build",
            Phase::WaitOlder => "waiting for old snapshots",
        }
    }
}

/// What a statement will do: its phases, and the error it ends with after them, if its scan
/// finds a row that breaks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub phases: Vec<Phase>,
    pub fails: Option<PgError>,
    /// The words for the step's line: "catalog only", "rewrites 25,000 pages"…
    pub work: String,
}

fn plan(phases: Vec<Phase>, work: impl Into<String>) -> Plan {
    Plan { phases, fails: None, work: work.into() }
}

/// `varchar(n)` → `Some(n)`, `varchar`/`character varying` → `Some(0)` (no limit), else `None`.
fn varchar(ty: &str) -> Option<u64> {
    let t = ty.replace("character varying", "varchar");
    let rest = t.strip_prefix("varchar")?;
    let rest = rest.trim_ascii();
    if rest.is_empty() {
        return Some(0);
    }
    rest.strip_prefix('(')?.strip_suffix(')')?.trim_ascii().parse().ok()
}

/// Whether PostgreSQL changes `from` to `to` without a rewrite: the same type, a longer or
/// unlimited `varchar`, `varchar` to `text`.
pub fn binary_coercible(from: &str, to: &str) -> bool {
    if from == to {
        return true;
    }
    match (varchar(from), varchar(to), to) {
        (Some(_), _, "text") => true,
        (Some(a), Some(b), _) => b == 0 || (a != 0 && b >= a),
        (None, Some(0), _) => from == "text",
        _ => false,
    }
}

/// A row trigger: `name {BEFORE|AFTER} events ON table FOR EACH ROW EXECUTE FUNCTION function()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trigger {
    pub name: String,
    /// A BEFORE trigger, which may change the row; an AFTER one cannot.
    pub before: bool,
    pub events: String,
    pub function: String,
}

/// The lesson's schema.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Schema {
    pub tables: Vec<Table>,
    /// Views over `accounts` (pgroll's version schemas, `pgroll.rs`).
    pub views: Vec<View>,
    /// The trigger functions the lesson defines (`[migration] functions`).
    pub functions: Vec<Function>,
}

/// A trigger function that copies one column of the new row into another
/// (`NEW.email_address := NEW.email`), as a dual write by the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub into: String,
    pub from: String,
}

impl Function {
    /// Reads `name: NEW.into := NEW.from`.
    pub fn parse(text: &str) -> Option<Function> {
        let (name, body) = text.split_once(':')?;
        let (into, from) = body.split_once(":=")?;
        let col = |x: &str| -> Option<String> {
            let c = x.trim_ascii().trim_end_matches(';').trim_ascii();
            let c = c.strip_prefix("NEW.").or_else(|| c.strip_prefix("new."))?;
            super::cfg::column(&format!("{c} x")).map(|(n, _)| n)
        };
        let name = super::cfg::column(&format!("{} x", name.trim_ascii())).map(|(n, _)| n)?;
        Some(Function { name, into: col(into)?, from: col(from)? })
    }
}

/// A view over `accounts` in a schema of its own (`public_02_rename_email.accounts`): each of its
/// columns and the table column it shows. A view refers to a column by its number, so it follows
/// a rename, and a column a view uses cannot be dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub schema: String,
    /// (its name in the view, the table's column).
    pub columns: Vec<(String, String)>,
}

impl View {
    /// The table column the view shows as `name`.
    pub fn column(&self, name: &str) -> Option<&str> {
        self.columns.iter().find(|(v, _)| v == name).map(|(_, c)| c.as_str())
    }
}

impl Schema {
    pub fn table_id(&self, name: &str) -> Result<u16, PgError> {
        self.tables.iter().position(|t| t.name == name).map(|i| i as u16).ok_or_else(|| err("42P01", format!("relation \"{name}\" does not exist")))
    }

    /// The table whose lock `kind` takes (a DROP INDEX: the index's table).
    pub fn target(&self, kind: &Kind) -> Result<u16, PgError> {
        match kind {
            Kind::DropIndex { name, .. } => {
                self.tables.iter().position(|t| t.indexes.iter().any(|i| &i.name == name)).map(|i| i as u16).ok_or_else(|| err("42704", format!("index \"{name}\" does not exist")))
            }
            k => self.table_id(k.table().unwrap_or_default()),
        }
    }

    fn index_exists(&self, name: &str) -> bool {
        self.tables.iter().any(|t| t.name == name || t.indexes.iter().any(|i| i.name == name))
    }

    /// The errors PostgreSQL raises before it takes any lock (`PreventInTransactionBlock`).
    pub fn refuse_at_once(stmt: &Statement) -> Option<PgError> {
        match &stmt.kind {
            Kind::CreateIndex { concurrently: true, .. } if stmt.in_block => Some(err("25001", "CREATE INDEX CONCURRENTLY cannot run inside a transaction block".into())),
            Kind::DropIndex { concurrently: true, .. } if stmt.in_block => Some(err("25001", "DROP INDEX CONCURRENTLY cannot run inside a transaction block".into())),
            _ => None,
        }
    }

    /// What `stmt` will do to table `t` once it holds its lock, or the error it stops with.
    pub fn plan(&self, t: u16, stmt: &Statement) -> Result<Plan, PgError> {
        let table = &self.tables[t as usize];
        let scan = || Phase::Scan { pages: table.pages };
        let rewrite = || Phase::Rewrite { pages: table.pages + table.all_index_pages() };
        let pages = |p: u64| format!("{} pages", crate::view::number(p as f64));
        let null_violation = |c: &str| err("23502", format!("column \"{c}\" of relation \"{}\" contains null values", table.name));
        Ok(match &stmt.kind {
            Kind::AddColumn { column, not_null, default, .. } => {
                if table.columns.iter().any(|c| &c.name == column) {
                    return Err(err("42701", format!("column \"{column}\" of relation \"{}\" already exists", table.name)));
                }
                match default {
                    Some(Default::Volatile(_)) => plan(vec![rewrite()], format!("volatile default: rewrites the table and its indexes ({})", pages(table.pages + table.all_index_pages()))),
                    None if *not_null && table.rows > 0 => Plan { phases: vec![scan()], fails: Some(null_violation(column)), work: "NOT NULL without a default: every existing row is NULL".into() },
                    _ => plan(vec![Phase::Catalog], "catalog only"),
                }
            }
            Kind::AlterType { column, ty, .. } => {
                let c = table.column(column)?;
                if binary_coercible(&c.ty, ty) {
                    plan(vec![Phase::Catalog], format!("{} to {ty} is binary-coercible: catalog only", c.ty))
                } else {
                    plan(vec![rewrite()], format!("{} to {ty}: rewrites the table and its indexes ({})", c.ty, pages(table.pages + table.all_index_pages())))
                }
            }
            Kind::SetNotNull { column, .. } => {
                let c = table.column(column)?;
                let proven = table.constraints.iter().any(|k| k.valid && matches!(&k.kind, ConKind::Check { not_null_of: Some(x) } if x == column));
                if c.not_null || proven {
                    plan(vec![Phase::Catalog], if proven { "a valid CHECK (… IS NOT NULL) proves it: no scan" } else { "already NOT NULL" })
                } else {
                    Plan { phases: vec![scan()], fails: c.nulls.then(|| null_violation(column)), work: format!("scans the table ({}) under ACCESS EXCLUSIVE", pages(table.pages)) }
                }
            }
            Kind::DropColumn { column, .. } if t == 0 && self.views.iter().any(|v| v.columns.iter().any(|(_, c)| c == column)) => {
                table.column(column)?;
                let view = self.views.iter().find(|v| v.columns.iter().any(|(_, c)| c == column)).map_or(String::new(), |v| v.schema.clone());
                return Err(err("2BP01", format!("cannot drop column {column} of table {} because other objects depend on it (view {view}.{} depends on column {column})", table.name, table.name)));
            }
            Kind::CreateTrigger { name, function, .. } => {
                if table.triggers.iter().any(|t| &t.name == name) {
                    return Err(err("42710", format!("trigger \"{name}\" for relation \"{}\" already exists", table.name)));
                }
                if !self.functions.iter().any(|f| &f.name == function) {
                    return Err(err("42883", format!("function {function}() does not exist")));
                }
                plan(vec![Phase::Catalog], "catalog only; every later write runs the trigger")
            }
            Kind::DropTrigger { name, .. } => {
                if !table.triggers.iter().any(|t| &t.name == name) {
                    return Err(err("42704", format!("trigger \"{name}\" for table \"{}\" does not exist", table.name)));
                }
                plan(vec![Phase::Catalog], "catalog only")
            }
            Kind::DropNotNull { column, .. } | Kind::SetDefault { column, .. } | Kind::DropDefault { column, .. } | Kind::DropColumn { column, .. } => {
                table.column(column)?;
                plan(vec![Phase::Catalog], "catalog only")
            }
            Kind::RenameColumn { from, to, .. } => {
                table.column(from)?;
                if table.columns.iter().any(|c| &c.name == to) {
                    return Err(err("42701", format!("column \"{to}\" of relation \"{}\" already exists", table.name)));
                }
                plan(vec![Phase::Catalog], "catalog only")
            }
            Kind::AddCheck { name, not_null_of, not_valid, .. } => {
                self.new_constraint(table, name)?;
                if *not_valid {
                    plan(vec![Phase::Catalog], "NOT VALID: no scan, new rows are checked")
                } else {
                    let broken = not_null_of.as_deref().and_then(|c| table.column(c).ok()).is_some_and(|c| c.nulls);
                    let fails = broken.then(|| err("23514", format!("check constraint \"{name}\" of relation \"{}\" is violated by some row", table.name)));
                    Plan { phases: vec![scan()], fails, work: format!("scans the table ({}) under ACCESS EXCLUSIVE", pages(table.pages)) }
                }
            }
            Kind::AddForeignKey { name, column, ref_table, ref_column, not_valid, .. } => {
                self.new_constraint(table, name)?;
                table.column(column)?;
                let r = &self.tables[self.table_id(ref_table)? as usize];
                r.column(ref_column)?;
                if !r.indexes.iter().any(|i| i.unique && i.valid && i.columns == [ref_column.clone()]) {
                    return Err(err("42830", format!("there is no unique constraint matching given keys for referenced table \"{ref_table}\"")));
                }
                if *not_valid {
                    plan(vec![Phase::Catalog], "NOT VALID: no scan, new rows are checked")
                } else {
                    plan(vec![scan()], format!("scans the table ({}) under SHARE ROW EXCLUSIVE, blocking writes", pages(table.pages)))
                }
            }
            Kind::ValidateConstraint { name, .. } => {
                let k = table.constraint(name)?;
                let broken = matches!(&k.kind, ConKind::Check { not_null_of: Some(c) } if table.column(c).is_ok_and(|c| c.nulls));
                let fails = broken.then(|| err("23514", format!("check constraint \"{name}\" of relation \"{}\" is violated by some row", table.name)));
                Plan { phases: vec![scan()], fails, work: format!("scans the table ({}) under SHARE UPDATE EXCLUSIVE: reads and writes go on", pages(table.pages)) }
            }
            Kind::DropConstraint { name, .. } => {
                table.constraint(name)?;
                plan(vec![Phase::Catalog], "catalog only")
            }
            Kind::AddPrimaryKeyUsingIndex { index, .. } => {
                self.no_primary_key(table)?;
                let i = table.indexes.iter().find(|i| &i.name == index).ok_or_else(|| err("42704", format!("index \"{index}\" does not exist")))?;
                if !i.unique {
                    return Err(err("42809", format!("\"{index}\" is not a unique index")));
                }
                if !i.valid {
                    return Err(err("55000", format!("index \"{index}\" is not valid")));
                }
                let nullable = i.columns.iter().any(|c| table.column(c).is_ok_and(|c| !c.not_null));
                if nullable {
                    plan(vec![scan()], "its columns become NOT NULL: scans the table")
                } else {
                    plan(vec![Phase::Catalog], "uses the built index: catalog only")
                }
            }
            Kind::AddPrimaryKey { columns, .. } => {
                self.no_primary_key(table)?;
                for c in columns {
                    table.column(c)?;
                }
                let ip = table.index_pages();
                plan(vec![Phase::Build { pages: table.pages, rows: table.rows, index_pages: ip }], format!("builds its unique index ({}) under ACCESS EXCLUSIVE", pages(ip)))
            }
            Kind::CreateIndex { name, columns, concurrently, .. } => {
                if self.index_exists(name) {
                    return Err(err("42P07", format!("relation \"{name}\" already exists")));
                }
                for c in columns {
                    if table.column(c).is_err() {
                        return Err(err("42703", format!("column \"{c}\" does not exist")));
                    }
                }
                let ip = table.index_pages();
                let build = Phase::Build { pages: table.pages, rows: table.rows, index_pages: ip };
                if *concurrently {
                    plan(vec![Phase::WaitWriters, build, Phase::WaitWriters, scan(), Phase::WaitOlder], format!("builds the index ({}) in two scans; reads and writes go on", pages(ip)))
                } else {
                    plan(vec![build], format!("builds the index ({}) under SHARE, blocking writes", pages(ip)))
                }
            }
            Kind::DropIndex { .. } => plan(vec![Phase::Catalog], "catalog only (the files go at commit)"),
        })
    }

    fn new_constraint(&self, table: &Table, name: &str) -> Result<(), PgError> {
        if table.constraints.iter().any(|c| c.name == name) || table.indexes.iter().any(|i| i.name == name) {
            return Err(err("42710", format!("constraint \"{name}\" for relation \"{}\" already exists", table.name)));
        }
        Ok(())
    }

    fn no_primary_key(&self, table: &Table) -> Result<(), PgError> {
        if table.indexes.iter().any(|i| i.primary) {
            return Err(err("42P16", format!("multiple primary keys for table \"{}\" are not allowed", table.name)));
        }
        Ok(())
    }

    /// A CREATE INDEX CONCURRENTLY's first step: the index is in the catalog, not yet valid.
    pub fn begin(&mut self, t: u16, stmt: &Statement) {
        if let Kind::CreateIndex { name, columns, unique, concurrently: true, .. } = &stmt.kind {
            let table = &mut self.tables[t as usize];
            let pages = table.index_pages();
            table.indexes.push(Index { name: name.clone(), columns: columns.clone(), unique: *unique, valid: false, primary: false, pages });
        }
    }

    /// The statement committed: the schema as it now stands.
    pub fn apply(&mut self, t: u16, stmt: &Statement) {
        let table = &mut self.tables[t as usize];
        let rows = table.rows;
        match &stmt.kind {
            Kind::AddColumn { column, ty, not_null, default, .. } => {
                table.columns.push(Column { name: column.clone(), ty: ty.clone(), not_null: *not_null, nulls: default.is_none() && rows > 0 });
            }
            Kind::AlterType { column, ty, .. } => {
                if let Some(c) = table.columns.iter_mut().find(|c| &c.name == column) {
                    c.ty = ty.clone();
                }
            }
            Kind::SetNotNull { column, .. } => {
                if let Some(c) = table.columns.iter_mut().find(|c| &c.name == column) {
                    c.not_null = true;
                }
            }
            Kind::DropNotNull { column, .. } => {
                if let Some(c) = table.columns.iter_mut().find(|c| &c.name == column) {
                    c.not_null = false;
                }
            }
            Kind::SetDefault { .. } | Kind::DropDefault { .. } => {}
            Kind::AddCheck { name, expr, not_null_of, not_valid, .. } => {
                let def = format!("CHECK ({expr})");
                table.constraints.push(Constraint { name: name.clone(), kind: ConKind::Check { not_null_of: not_null_of.clone() }, def, valid: !*not_valid });
            }
            Kind::AddForeignKey { name, column, ref_table, ref_column, not_valid, .. } => {
                let def = format!("FOREIGN KEY ({column}) REFERENCES {ref_table}({ref_column})");
                table.constraints.push(Constraint { name: name.clone(), kind: ConKind::ForeignKey { column: column.clone(), ref_table: ref_table.clone() }, def, valid: !*not_valid });
            }
            Kind::ValidateConstraint { name, .. } => {
                if let Some(c) = table.constraints.iter_mut().find(|c| &c.name == name) {
                    c.valid = true;
                }
            }
            Kind::DropConstraint { name, .. } => table.constraints.retain(|c| &c.name != name),
            Kind::AddPrimaryKeyUsingIndex { index, .. } => {
                let cols: Vec<String> = table.indexes.iter().find(|i| &i.name == index).map(|i| i.columns.clone()).unwrap_or_default();
                for c in table.columns.iter_mut().filter(|c| cols.contains(&c.name)) {
                    c.not_null = true;
                }
                if let Some(i) = table.indexes.iter_mut().find(|i| &i.name == index) {
                    i.primary = true;
                }
            }
            Kind::AddPrimaryKey { name, columns, .. } => {
                for c in table.columns.iter_mut().filter(|c| columns.contains(&c.name)) {
                    c.not_null = true;
                }
                let pages = sim_catalog::btree_unique_size(rows, 8).0 as u64;
                let name = name.clone().unwrap_or_else(|| format!("{}_pkey", table.name));
                table.indexes.push(Index { name, columns: columns.clone(), unique: true, valid: true, primary: true, pages });
            }
            Kind::CreateIndex { name, columns, unique, concurrently, .. } => {
                if *concurrently {
                    if let Some(i) = table.indexes.iter_mut().find(|i| &i.name == name) {
                        i.valid = true;
                    }
                } else {
                    let pages = sim_catalog::btree_unique_size(rows, 8).0 as u64;
                    table.indexes.push(Index { name: name.clone(), columns: columns.clone(), unique: *unique, valid: true, primary: false, pages });
                }
            }
            Kind::DropIndex { name, .. } => table.indexes.retain(|i| &i.name != name),
            Kind::RenameColumn { from, to, .. } => {
                if let Some(c) = table.columns.iter_mut().find(|c| &c.name == from) {
                    c.name = to.clone();
                }
                // A view follows the column (it refers to it by number).
                for (_, c) in self.views.iter_mut().flat_map(|v| v.columns.iter_mut()).filter(|(_, c)| c == from).filter(|_| t == 0) {
                    *c = to.clone();
                }
                for i in &mut table.indexes {
                    i.columns.iter_mut().filter(|c| *c == from).for_each(|c| *c = to.clone());
                }
            }
            Kind::DropColumn { column, .. } => {
                table.columns.retain(|c| &c.name != column);
                table.indexes.retain(|i| !i.columns.contains(column));
            }
            Kind::CreateTrigger { name, before, events, function, .. } => table.triggers.push(Trigger { name: name.clone(), before: *before, events: events.clone(), function: function.clone() }),
            Kind::DropTrigger { name, .. } => table.triggers.retain(|t| &t.name != name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::ddl::parse;

    fn schema() -> Schema {
        Schema {
            tables: vec![Table::new("accounts", 1_000_000, 200, &[("email".into(), "varchar(50)".into())]), Table::new("orders", 10, 44, &[("account_id".into(), "bigint".into())])],
            views: Vec::new(),
            functions: vec![Function::parse("sync_email: NEW.email_address := NEW.email").unwrap()],
        }
    }

    /// A trigger function reads `name: NEW.into := NEW.from`; anything else is refused.
    #[test]
    fn a_trigger_function_is_one_column_copied() {
        assert_eq!(Function::parse("sync_e: NEW.e2 := NEW.email;"), Some(Function { name: "sync_e".into(), into: "e2".into(), from: "email".into() }));
        assert_eq!(Function::parse("sync: e2 = email"), None);
        let s = schema();
        assert_eq!(plan_of(&s, "CREATE TRIGGER t BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION sync_email()").unwrap().work, "catalog only; every later write runs the trigger");
        assert_eq!(plan_of(&s, "CREATE TRIGGER t BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION other()").unwrap_err().code, "42883");
        assert!(parse("CREATE TRIGGER t BEFORE UPDATE ON accounts FOR EACH STATEMENT EXECUTE FUNCTION sync_email()").unwrap_err().contains("statement-level"));
        assert_eq!(parse("DROP TRIGGER IF EXISTS t ON accounts").unwrap().kind.lock(), crate::locks::LockMode::AccessExclusive);
    }

    fn plan_of(s: &Schema, sql: &str) -> Result<Plan, PgError> {
        let stmt = parse(sql).expect("reads");
        s.plan(s.target(&stmt.kind)?, &stmt)
    }

    fn phases(s: &Schema, sql: &str) -> Vec<Phase> {
        plan_of(s, sql).unwrap_or_else(|e| panic!("{sql}: {e:?}")).phases
    }

    /// Each form's work, as `migrations.md`'s table gives it for PostgreSQL 15.
    #[test]
    fn each_form_does_its_documented_work() {
        let s = schema();
        let heap = s.tables[0].pages;
        let all = heap + s.tables[0].indexes[0].pages;
        assert_eq!(heap, 25_000, "200-byte rows: 40 a page");
        assert_eq!(phases(&s, "ALTER TABLE accounts ADD COLUMN note text"), [Phase::Catalog]);
        assert_eq!(phases(&s, "ALTER TABLE accounts ADD COLUMN n int NOT NULL DEFAULT 0"), [Phase::Catalog], "a constant default: catalog only since PG 11");
        assert_eq!(phases(&s, "ALTER TABLE accounts ADD COLUMN t timestamptz DEFAULT clock_timestamp()"), [Phase::Rewrite { pages: all }]);
        assert_eq!(phases(&s, "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(100)"), [Phase::Catalog]);
        assert_eq!(phases(&s, "ALTER TABLE accounts ALTER COLUMN email TYPE text"), [Phase::Catalog]);
        assert_eq!(phases(&s, "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(20)"), [Phase::Rewrite { pages: all }]);
        assert_eq!(phases(&s, "ALTER TABLE accounts ALTER COLUMN id TYPE integer"), [Phase::Rewrite { pages: all }]);
        assert_eq!(phases(&s, "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL"), [Phase::Scan { pages: heap }]);
        assert_eq!(phases(&s, "ALTER TABLE accounts ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID"), [Phase::Catalog]);
        assert_eq!(phases(&s, "ALTER TABLE accounts ADD CONSTRAINT c CHECK (email IS NOT NULL)"), [Phase::Scan { pages: heap }]);
        assert_eq!(phases(&s, "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID"), [Phase::Catalog]);
        assert_eq!(phases(&s, "ALTER TABLE accounts RENAME COLUMN email TO mail"), [Phase::Catalog]);
        assert_eq!(phases(&s, "ALTER TABLE accounts DROP COLUMN email"), [Phase::Catalog]);
        let build = Phase::Build { pages: heap, rows: 1_000_000, index_pages: s.tables[0].indexes[0].pages };
        assert_eq!(phases(&s, "CREATE INDEX i ON accounts (email)"), [build]);
        assert_eq!(phases(&s, "CREATE INDEX CONCURRENTLY i ON accounts (email)"), [Phase::WaitWriters, build, Phase::WaitWriters, Phase::Scan { pages: heap }, Phase::WaitOlder]);
        // The work takes time by the table's size, and a rewrite writes the table to the WAL.
        assert!(Phase::Rewrite { pages: all }.duration() > SimDur::secs(2) && Phase::Scan { pages: heap }.duration() < SimDur::secs(1));
        assert_eq!(Phase::Rewrite { pages: all }.wal_bytes(), all * 8192);
    }

    /// SET NOT NULL without the long scan: CHECK NOT VALID, VALIDATE, then SET NOT NULL uses it.
    #[test]
    fn a_valid_check_spares_set_not_null_its_scan() {
        let mut s = schema();
        for sql in ["ALTER TABLE accounts ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID", "ALTER TABLE accounts VALIDATE CONSTRAINT email_nn"] {
            let stmt = parse(sql).expect("reads");
            assert_eq!(s.plan(0, &stmt).expect("plans").fails, None);
            s.apply(0, &stmt);
        }
        assert_eq!(phases(&s, "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL"), [Phase::Catalog]);
    }

    #[test]
    fn postgres_errors_stand_where_postgres_raises_them() {
        let mut s = schema();
        let e = |s: &Schema, sql| plan_of(s, sql).expect_err(sql);
        assert_eq!(e(&s, "ALTER TABLE users ADD COLUMN x int"), PgError { code: "42P01", message: "relation \"users\" does not exist".into() });
        assert_eq!(e(&s, "ALTER TABLE accounts RENAME COLUMN mail TO x").code, "42703");
        assert_eq!(e(&s, "ALTER TABLE accounts ADD COLUMN email text").message, "column \"email\" of relation \"accounts\" already exists");
        assert_eq!(e(&s, "CREATE INDEX accounts_pkey ON accounts (email)").code, "42P07");
        assert_eq!(e(&s, "ALTER TABLE accounts ADD CONSTRAINT fk FOREIGN KEY (email) REFERENCES orders (account_id)").code, "42830");
        // A new nullable column holds NULLs: SET NOT NULL scans, then fails.
        let add = parse("ALTER TABLE accounts ADD COLUMN note text").expect("reads");
        s.apply(0, &add);
        let p = plan_of(&s, "ALTER TABLE accounts ALTER COLUMN note SET NOT NULL").expect("plans");
        assert_eq!(p.fails.map(|f| f.code), Some("23502"));
        let cic = parse("BEGIN; CREATE INDEX CONCURRENTLY i ON accounts (email); COMMIT;").expect("reads");
        assert_eq!(Schema::refuse_at_once(&cic).map(|e| e.message), Some("CREATE INDEX CONCURRENTLY cannot run inside a transaction block".into()));
    }

    #[test]
    fn renames_and_drops_change_the_catalog() {
        let mut s = schema();
        for sql in ["CREATE INDEX accounts_email ON accounts (email)", "ALTER TABLE accounts RENAME COLUMN email TO mail"] {
            let stmt = parse(sql).expect("reads");
            s.apply(0, &stmt);
        }
        assert!(s.tables[0].columns.iter().any(|c| c.name == "mail"));
        assert_eq!(s.tables[0].indexes[1].columns, ["mail"]);
        s.apply(0, &parse("ALTER TABLE accounts DROP COLUMN mail").expect("reads"));
        assert_eq!(s.tables[0].indexes.len(), 1, "the index on a dropped column goes with it");
        assert!(binary_coercible("varchar(50)", "varchar") && !binary_coercible("varchar", "varchar(50)") && !binary_coercible("integer", "bigint"));
    }
}
