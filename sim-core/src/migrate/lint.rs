//! The rules a static linter would have reported for a step, to show beside what the step did
//! to the users. Rule names and judgements are squawk's (2.x, for PostgreSQL 15), applied to
//! the step alone, as squawk lints one migration file: it cannot see the schema, the table's
//! size, the running transactions or the application's versions. `migrations.md` lists them.
use super::cfg::SessionSettings;
use super::ddl::{Default, Kind, Statement};
use crate::time::SimDur;

/// squawk's rules that `stmt` trips when run with `settings`.
pub fn rules(stmt: &Statement, settings: &SessionSettings) -> Vec<&'static str> {
    let mut out = Vec::new();
    match &stmt.kind {
        Kind::AddColumn { default: Some(Default::Volatile(_)), .. } => out.push("adding-field-with-default"),
        Kind::AddColumn { not_null: true, default: None, .. } => out.push("adding-required-field"),
        Kind::AlterType { .. } => out.push("changing-column-type"),
        Kind::SetNotNull { .. } => out.push("adding-not-nullable-field"),
        Kind::DropNotNull { .. } => out.push("ban-drop-not-null"),
        Kind::AddCheck { not_valid: false, .. } => out.push("constraint-missing-not-valid"),
        Kind::AddForeignKey { not_valid: false, .. } => out.extend(["adding-foreign-key-constraint", "constraint-missing-not-valid"]),
        Kind::AddPrimaryKey { .. } => out.push("adding-serial-primary-key-field"),
        Kind::CreateIndex { concurrently: false, .. } => out.push("require-concurrent-index-creation"),
        Kind::CreateIndex { concurrently: true, .. } if stmt.in_block => out.push("ban-concurrent-index-creation-in-transaction"),
        Kind::DropIndex { concurrently: false, .. } => out.push("require-concurrent-index-deletion"),
        Kind::RenameColumn { .. } => out.push("renaming-column"),
        Kind::DropColumn { .. } => out.push("ban-drop-column"),
        _ => {}
    }
    // "Missing `set lock_timeout` / `set statement_timeout` before potentially slow operations".
    if settings.lock_timeout == SimDur::ZERO || settings.statement_timeout == SimDur::ZERO {
        out.push("require-timeout-settings");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::ddl::parse;
    use crate::migrate::Retry;

    fn lint(sql: &str, timeouts: bool) -> Vec<&'static str> {
        let t = if timeouts { SimDur::secs(1) } else { SimDur::ZERO };
        rules(&parse(sql).expect("reads"), &SessionSettings { lock_timeout: t, statement_timeout: t, retry: Retry::None })
    }

    #[test]
    fn each_form_trips_squawks_rules() {
        assert_eq!(lint("ALTER TABLE accounts ADD COLUMN note text", true), Vec::<&str>::new(), "a nullable column passes");
        assert_eq!(lint("ALTER TABLE accounts ADD COLUMN note text", false), ["require-timeout-settings"]);
        assert_eq!(lint("ALTER TABLE accounts ADD COLUMN t timestamptz DEFAULT clock_timestamp()", true), ["adding-field-with-default"]);
        assert_eq!(lint("ALTER TABLE accounts ADD COLUMN n int DEFAULT 0", true), Vec::<&str>::new(), "a constant default passes on PG 11+");
        assert_eq!(lint("ALTER TABLE accounts RENAME COLUMN email TO email_address", true), ["renaming-column"]);
        assert_eq!(lint("CREATE INDEX i ON accounts (email)", true), ["require-concurrent-index-creation"]);
        assert_eq!(lint("CREATE INDEX CONCURRENTLY i ON accounts (email)", true), Vec::<&str>::new());
        assert_eq!(lint("ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES b (id)", true), ["adding-foreign-key-constraint", "constraint-missing-not-valid"]);
        assert_eq!(lint("ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES b (id) NOT VALID", true), Vec::<&str>::new());
        assert_eq!(lint("ALTER TABLE accounts ALTER COLUMN email SET NOT NULL", true), ["adding-not-nullable-field"], "the linter cannot see a validated CHECK from an earlier step");
        assert_eq!(lint("ALTER TABLE accounts DROP COLUMN email", true), ["ban-drop-column"]);
    }
}
