//! pgroll's versioned schemas (`[migration] pgroll`): each completed migration has a version
//! schema, `public_<name>`, holding a view of `accounts`; an application version picks one with
//! its `search_path`. `start` creates the next version's schema (a rename is only a view's
//! column alias until `complete`; an added column is added to the table at once), so two
//! versions of the schema are live and the old and new application versions run side by side.
//! `complete` drops the old version's schema and makes the change in the table (the rename, the
//! drop); `rollback`, only before `complete`, drops the new one and undoes the addition.
//!
//! Each change to the table is a step of the migration's session (its lock, its timeouts, its
//! retries). Simplified: creating and dropping a version schema's view is done at once, without
//! a place in the lock queue (its ACCESS SHARE on `accounts` waits only behind an ACCESS
//! EXCLUSIVE request); the operations are `rename_column`, `add_column` and `drop_column` (the
//! ones a view can express without a second column and a trigger).
use super::schema::View;
use super::Migration;

/// What a pgroll migration does to `accounts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    RenameColumn {
        from: String,
        to: String,
    },
    /// `column` as `name type`.
    AddColumn {
        name: String,
        ty: String,
    },
    DropColumn {
        column: String,
    },
}

impl Op {
    /// An operation as a command writes it: `op`, `column` (`name type` to add one) and `to`.
    pub fn parse(op: &str, column: &str, to: &str) -> Result<Op, String> {
        let name = |c: &str| super::cfg::column(&format!("{c} x")).map(|(n, _)| n);
        match op {
            "rename_column" => match (name(column), name(to)) {
                (Some(from), Some(to)) => Ok(Op::RenameColumn { from, to }),
                _ => Err("rename_column needs `column` and `to`, two column names".into()),
            },
            "add_column" => {
                super::cfg::column(column).map(|(name, ty)| Op::AddColumn { name, ty }).ok_or_else(|| format!("add_column's column is `name type` (e.g. \"email_address text\"), not `{column}`"))
            }
            "drop_column" => name(column).map(|column| Op::DropColumn { column }).ok_or_else(|| "drop_column needs `column`, a column name".into()),
            other => Err(format!("unknown pgroll operation `{other}`; known: rename_column, add_column, drop_column")),
        }
    }

    fn describe(&self) -> String {
        match self {
            Op::RenameColumn { from, to } => format!("rename_column {from} → {to}"),
            Op::AddColumn { name, ty } => format!("add_column {name} {ty}"),
            Op::DropColumn { column } => format!("drop_column {column}"),
        }
    }
}

/// The pgroll state of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pgroll {
    /// The last completed migration (its version schema is `public_<latest>`).
    pub latest: String,
    /// The migration started and neither completed nor rolled back.
    pub active: Option<(String, Op)>,
}

/// A version schema's name.
pub fn schema_of(name: &str) -> String {
    format!("public_{name}")
}

impl Migration {
    fn pgroll_state(&self) -> Result<&Pgroll, String> {
        self.pgroll.as_ref().ok_or_else(|| "this lesson's [migration] has no pgroll: set pgroll = \"01_initial\" to run pgroll migrations".into())
    }

    /// `pgroll start`: the version schema of migration `name`, a view of the latest one changed
    /// by `op`. Returns the statement the table needs now (an added column), for the session.
    pub fn pgroll_start(&mut self, name: &str, op: Op) -> Result<Option<String>, String> {
        let p = self.pgroll_state()?;
        if let Some((active, _)) = &p.active {
            return Err(format!("a migration for schema \"public\" is already in progress ({active}): complete or roll it back first"));
        }
        let schema = schema_of(name);
        if name == p.latest || self.schema.views.iter().any(|v| v.schema == schema) {
            return Err(format!("migration {name} already exists"));
        }
        let latest = self.schema.views.iter().find(|v| v.schema == schema_of(&p.latest)).cloned().unwrap_or(View { schema: String::new(), columns: Vec::new() });
        let shown = |c: &str| latest.column(c).is_some();
        let mut columns = latest.columns.clone();
        let sql = match &op {
            Op::RenameColumn { from, to } => {
                if !shown(from) || shown(to) {
                    return Err(format!("rename_column: {from} must be a column of version {} and {to} must not", p.latest));
                }
                columns.iter_mut().filter(|(v, _)| v == from).for_each(|(v, _)| *v = to.clone());
                None
            }
            Op::AddColumn { name: c, ty } => {
                if shown(c) || self.schema.tables[0].columns.iter().any(|x| &x.name == c) {
                    return Err(format!("add_column: column \"{c}\" of relation \"accounts\" already exists"));
                }
                columns.push((c.clone(), c.clone()));
                Some(format!("ALTER TABLE accounts ADD COLUMN {c} {ty}"))
            }
            Op::DropColumn { column } => {
                if !shown(column) {
                    return Err(format!("drop_column: {column} is not a column of version {}", p.latest));
                }
                columns.retain(|(v, _)| v != column);
                None
            }
        };
        self.news.push((None, format!("pgroll start {name} ({}): CREATE SCHEMA {schema} with its view of accounts; {} and {schema} are both live", op.describe(), schema_of(&p.latest))));
        self.schema.views.push(View { schema, columns });
        if let Some(p) = self.pgroll.as_mut() {
            p.active = Some((name.to_string(), op));
        }
        Ok(sql)
    }

    /// `pgroll complete`: drops the old version's schema, and returns the change the table
    /// needs (a rename, a drop), for the session.
    pub fn pgroll_complete(&mut self) -> Result<Option<String>, String> {
        let p = self.pgroll_state()?;
        let Some((name, op)) = p.active.clone() else { return Err("no pgroll migration is in progress".into()) };
        let old = schema_of(&p.latest);
        self.schema.views.retain(|v| v.schema != old);
        self.news.push((None, format!("pgroll complete {name}: DROP SCHEMA {old} CASCADE; only {} is live", schema_of(&name))));
        if let Some(p) = self.pgroll.as_mut() {
            p.latest = name;
            p.active = None;
        }
        Ok(match op {
            Op::RenameColumn { from, to } => Some(format!("ALTER TABLE accounts RENAME COLUMN {from} TO {to}")),
            Op::DropColumn { column } => Some(format!("ALTER TABLE accounts DROP COLUMN {column}")),
            Op::AddColumn { .. } => None,
        })
    }

    /// `pgroll rollback` (only before `complete`): drops the new version's schema, and returns
    /// the statement that undoes its change to the table (an added column dropped).
    pub fn pgroll_rollback(&mut self) -> Result<Option<String>, String> {
        let p = self.pgroll_state()?;
        let Some((name, op)) = p.active.clone() else { return Err("no pgroll migration is in progress (a completed one cannot be rolled back)".into()) };
        let (new, latest) = (schema_of(&name), schema_of(&p.latest));
        self.schema.views.retain(|v| v.schema != new);
        self.news.push((None, format!("pgroll rollback {name}: DROP SCHEMA {new} CASCADE; only {latest} is live")));
        if let Some(p) = self.pgroll.as_mut() {
            p.active = None;
        }
        Ok(match op {
            Op::AddColumn { name, .. } => Some(format!("ALTER TABLE accounts DROP COLUMN {name}")),
            _ => None,
        })
    }

    /// The version schemas live now, each with its view's columns (`email_address → email`
    /// where the view renames one), and the migration in progress.
    pub fn pgroll_text(&self) -> Option<String> {
        let p = self.pgroll.as_ref()?;
        let views: Vec<String> = self
            .schema
            .views
            .iter()
            .map(|v| format!("{}.accounts ({})", v.schema, v.columns.iter().map(|(s, c)| if s == c { s.clone() } else { format!("{s} → {c}") }).collect::<Vec<_>>().join(", ")))
            .collect();
        let state = match &p.active {
            Some((name, op)) => format!("migration {name} ({}) in progress: complete or roll back", op.describe()),
            None => format!("no migration in progress; the latest is {}", p.latest),
        };
        Some(format!("pgroll: {state}\nversion schemas: {}", views.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration() -> Migration {
        let cfg: super::super::MigrationCfg = toml::from_str("columns = [\"email text\"]\npgroll = \"01_initial\"").unwrap();
        Migration::new(&cfg, 1000, 4, crate::rng::SimRng::derive(1, "t"))
    }

    /// A rename is a view's alias until `complete`, which renames the column; the old version's
    /// view goes first, and the new one follows the rename.
    #[test]
    fn a_rename_is_two_views_then_one_column() {
        let mut m = migration();
        assert_eq!(m.schema.views.len(), 1);
        let op = Op::parse("rename_column", "email", "email_address").unwrap();
        assert_eq!(m.pgroll_start("02_rename", op.clone()), Ok(None));
        assert_eq!(m.schema.views.len(), 2);
        assert_eq!(m.schema.views[1].column("email_address"), Some("email"));
        assert!(m.pgroll_start("03_x", op).unwrap_err().contains("already in progress"));
        let sql = m.pgroll_complete().unwrap().unwrap();
        assert_eq!(sql, "ALTER TABLE accounts RENAME COLUMN email TO email_address");
        assert_eq!(m.schema.views.iter().map(|v| v.schema.as_str()).collect::<Vec<_>>(), ["public_02_rename"]);
        let stmt = super::super::ddl::parse(&sql).unwrap();
        m.schema.apply(0, &stmt);
        assert_eq!(m.schema.views[0].column("email_address"), Some("email_address"));
        assert!(m.pgroll_rollback().unwrap_err().contains("cannot be rolled back"));
    }

    /// An added column is in the table at once and in the new view only; a rollback drops the
    /// view, then the column; a column a view shows cannot be dropped (2BP01).
    #[test]
    fn an_added_column_rolls_back_and_a_viewed_column_cannot_be_dropped() {
        let mut m = migration();
        let sql = m.pgroll_start("02_add", Op::parse("add_column", "nickname text", "").unwrap()).unwrap();
        assert_eq!(sql.as_deref(), Some("ALTER TABLE accounts ADD COLUMN nickname text"));
        assert_eq!(m.schema.views[0].column("nickname"), None);
        assert_eq!(m.pgroll_rollback().unwrap().as_deref(), Some("ALTER TABLE accounts DROP COLUMN nickname"));
        let drop = super::super::ddl::parse("ALTER TABLE accounts DROP COLUMN email").unwrap();
        assert_eq!(m.schema.plan(0, &drop).unwrap_err().code, "2BP01");
        assert!(Op::parse("rename", "a", "b").unwrap_err().contains("known: rename_column"));
        assert!(Op::parse("add_column", "nickname", "").is_err());
    }
}
