//! The DDL statements a migration step runs, read from their SQL, each with the table lock
//! PostgreSQL 15 takes for it and the work it does under that lock (`migrations.md`, from the
//! ALTER TABLE and CREATE INDEX pages and `alter_table.sql`'s `my_locks` view).
//!
//! The reader knows only the forms below; anything else is refused with the list, never guessed.
//! Identifiers are folded to lower case unless double-quoted, as PostgreSQL folds them.
use crate::locks::LockMode;

/// A DDL statement as a step gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The SQL as written (trimmed, without a trailing `;`).
    pub sql: String,
    pub kind: Kind,
    /// Written inside `BEGIN; … COMMIT;`.
    pub in_block: bool,
}

/// What a column's default is, for the cost of `ADD COLUMN`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Default {
    /// A constant or a stable expression (`0`, `'x'`, `now()`): stored in the catalog since PG 11.
    Constant(String),
    /// A volatile expression (`clock_timestamp()`, `random()`, `gen_random_uuid()`, `nextval(…)`):
    /// every row gets its own value, so the table is rewritten.
    Volatile(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    AddColumn {
        table: String,
        column: String,
        ty: String,
        not_null: bool,
        default: Option<Default>,
    },
    AlterType {
        table: String,
        column: String,
        ty: String,
    },
    SetNotNull {
        table: String,
        column: String,
    },
    DropNotNull {
        table: String,
        column: String,
    },
    SetDefault {
        table: String,
        column: String,
        default: Default,
    },
    DropDefault {
        table: String,
        column: String,
    },
    /// `ADD CONSTRAINT name CHECK (expr) [NOT VALID]`; `not_null_of`: the expression is
    /// `col IS NOT NULL`, which a later `SET NOT NULL` may use instead of its scan.
    AddCheck {
        table: String,
        name: String,
        expr: String,
        not_null_of: Option<String>,
        not_valid: bool,
    },
    AddForeignKey {
        table: String,
        name: String,
        column: String,
        ref_table: String,
        ref_column: String,
        not_valid: bool,
    },
    ValidateConstraint {
        table: String,
        name: String,
    },
    DropConstraint {
        table: String,
        name: String,
    },
    /// `ADD [CONSTRAINT name] PRIMARY KEY USING INDEX idx`.
    AddPrimaryKeyUsingIndex {
        table: String,
        name: Option<String>,
        index: String,
    },
    /// `ADD [CONSTRAINT name] PRIMARY KEY (cols)`: builds its unique index under the lock.
    AddPrimaryKey {
        table: String,
        name: Option<String>,
        columns: Vec<String>,
    },
    CreateIndex {
        name: String,
        table: String,
        columns: Vec<String>,
        unique: bool,
        concurrently: bool,
    },
    DropIndex {
        name: String,
        concurrently: bool,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    DropColumn {
        table: String,
        column: String,
    },
    /// `CREATE TRIGGER name {BEFORE|AFTER} events ON table FOR EACH ROW EXECUTE FUNCTION f()`:
    /// `before`: a BEFORE trigger (which may change the row), else AFTER; `events` as written
    /// (`INSERT OR UPDATE`).
    CreateTrigger {
        name: String,
        table: String,
        before: bool,
        events: String,
        function: String,
    },
    DropTrigger {
        name: String,
        table: String,
    },
}

/// The forms the reader knows, for the refusal of any other.
pub const FORMS: &str = "ALTER TABLE t ADD COLUMN c type [NOT NULL] [DEFAULT expr] | ALTER TABLE t ALTER COLUMN c TYPE type | ALTER TABLE t ALTER COLUMN c SET NOT NULL / DROP NOT NULL / SET DEFAULT expr / DROP DEFAULT | ALTER TABLE t ADD CONSTRAINT name CHECK (expr) [NOT VALID] | ALTER TABLE t ADD CONSTRAINT name FOREIGN KEY (c) REFERENCES t2 (c2) [NOT VALID] | ALTER TABLE t VALIDATE CONSTRAINT name | ALTER TABLE t DROP CONSTRAINT name | ALTER TABLE t ADD [CONSTRAINT name] PRIMARY KEY (cols) / USING INDEX idx | CREATE [UNIQUE] INDEX [CONCURRENTLY] name ON t (cols) | DROP INDEX [CONCURRENTLY] name | ALTER TABLE t RENAME COLUMN a TO b | ALTER TABLE t DROP COLUMN c | CREATE TRIGGER name BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f() | DROP TRIGGER name ON t";

/// Functions whose value differs row by row (`provolatile = 'v'`): a default calling one rewrites.
const VOLATILE: &[&str] = &["clock_timestamp", "random", "gen_random_uuid", "nextval", "timeofday", "uuid_generate_v4"];

impl Kind {
    /// The table whose lock the statement takes (`DROP INDEX` names the index: its table is the
    /// catalog's to find, so it has none here).
    pub fn table(&self) -> Option<&str> {
        use Kind::*;
        match self {
            AddColumn { table, .. }
            | AlterType { table, .. }
            | SetNotNull { table, .. }
            | DropNotNull { table, .. }
            | SetDefault { table, .. }
            | DropDefault { table, .. }
            | AddCheck { table, .. }
            | AddForeignKey { table, .. }
            | ValidateConstraint { table, .. }
            | DropConstraint { table, .. }
            | AddPrimaryKeyUsingIndex { table, .. }
            | AddPrimaryKey { table, .. }
            | CreateIndex { table, .. }
            | RenameColumn { table, .. }
            | DropColumn { table, .. }
            | CreateTrigger { table, .. }
            | DropTrigger { table, .. } => Some(table),
            DropIndex { .. } => None,
        }
    }

    /// The lock the statement takes on its table (`AlterTableGetLockLevel`, `DefineIndex`).
    pub fn lock(&self) -> LockMode {
        use Kind::*;
        match self {
            AddForeignKey { .. } | CreateTrigger { .. } => LockMode::ShareRowExclusive,
            ValidateConstraint { .. } => LockMode::ShareUpdateExclusive,
            CreateIndex { concurrently: false, .. } => LockMode::Share,
            CreateIndex { concurrently: true, .. } | DropIndex { concurrently: true, .. } => LockMode::ShareUpdateExclusive,
            _ => LockMode::AccessExclusive,
        }
    }

    /// The statement's first words, as `pg_stat_activity` and the log abbreviate it.
    pub fn tag(&self) -> &'static str {
        match self {
            Kind::CreateIndex { .. } => "CREATE INDEX",
            Kind::DropIndex { .. } => "DROP INDEX",
            Kind::CreateTrigger { .. } => "CREATE TRIGGER",
            Kind::DropTrigger { .. } => "DROP TRIGGER",
            _ => "ALTER TABLE",
        }
    }
}

/// A token of the SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    /// A word: keywords and unquoted identifiers, folded to lower case.
    Word(String),
    /// A double-quoted identifier, as written.
    Quoted(String),
    /// A string literal, with its quotes.
    Str(String),
    Num(String),
    Punct(char),
}

fn lex(sql: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut it = sql.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        match c {
            c if c.is_ascii_whitespace() => {}
            '"' | '\'' => {
                let mut s = String::new();
                loop {
                    match it.next() {
                        Some((_, q)) if q == c => {
                            if it.peek().is_some_and(|&(_, n)| n == c) {
                                it.next();
                                s.push(c);
                            } else {
                                break;
                            }
                        }
                        Some((_, ch)) => s.push(ch),
                        None => return Err(format!("unterminated {} at character {}", if c == '"' { "quoted identifier" } else { "quoted string" }, i + 1)),
                    }
                }
                out.push(if c == '"' { Tok::Quoted(s) } else { Tok::Str(format!("'{s}'")) });
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut s = c.to_ascii_lowercase().to_string();
                while let Some(&(_, n)) = it.peek() {
                    if !(n.is_ascii_alphanumeric() || n == '_' || n == '$') {
                        break;
                    }
                    s.push(n.to_ascii_lowercase());
                    it.next();
                }
                out.push(Tok::Word(s));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let mut s = c.to_string();
                while let Some(&(_, n)) = it.peek() {
                    if !(n.is_ascii_digit() || n == '.') {
                        break;
                    }
                    s.push(n);
                    it.next();
                }
                out.push(Tok::Num(s));
            }
            '(' | ')' | ',' | ';' | '.' | ':' | '=' | '<' | '>' | '+' | '*' | '/' => out.push(Tok::Punct(c)),
            other => return Err(format!("syntax error at or near \"{other}\"")),
        }
    }
    Ok(out)
}

/// A cursor over the tokens.
struct P {
    toks: Vec<Tok>,
    i: usize,
}

impl P {
    fn peek_word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.i), Some(Tok::Word(x)) if x == w)
    }
    fn eat(&mut self, w: &str) -> bool {
        let yes = self.peek_word(w);
        if yes {
            self.i += 1;
        }
        yes
    }
    fn eat_seq(&mut self, ws: &[&str]) -> bool {
        let save = self.i;
        if ws.iter().all(|w| self.eat(w)) {
            return true;
        }
        self.i = save;
        false
    }
    fn near(&self) -> String {
        match self.toks.get(self.i) {
            None => "syntax error at end of input".into(),
            Some(t) => format!("syntax error at or near \"{}\"", show(t)),
        }
    }
    fn expect(&mut self, w: &str) -> Result<(), String> {
        if self.eat(w) {
            Ok(())
        } else {
            Err(self.near())
        }
    }
    fn punct(&mut self, c: char) -> bool {
        let yes = self.toks.get(self.i) == Some(&Tok::Punct(c));
        if yes {
            self.i += 1;
        }
        yes
    }
    /// An identifier (a word that is not one of the reserved words used here, or quoted);
    /// a `schema.` qualifier of `public` is dropped.
    fn ident(&mut self) -> Result<String, String> {
        let name = match self.toks.get(self.i) {
            Some(Tok::Word(w)) if !RESERVED.contains(&w.as_str()) => w.clone(),
            Some(Tok::Quoted(q)) => q.clone(),
            _ => return Err(self.near()),
        };
        self.i += 1;
        if name == "public" && self.punct('.') {
            return self.ident();
        }
        Ok(name)
    }
    fn ident_list(&mut self) -> Result<Vec<String>, String> {
        if !self.punct('(') {
            return Err(self.near());
        }
        let mut v = vec![self.ident()?];
        while self.punct(',') {
            v.push(self.ident()?);
        }
        if !self.punct(')') {
            return Err(self.near());
        }
        Ok(v)
    }
    /// Tokens up to (not including) one of the stop words at paren depth 0, as text.
    fn text_until(&mut self, stops: &[&str]) -> String {
        let mut depth = 0i32;
        let mut parts: Vec<String> = Vec::new();
        while let Some(t) = self.toks.get(self.i) {
            match t {
                Tok::Word(w) if depth == 0 && stops.contains(&w.as_str()) => break,
                Tok::Punct(';') if depth == 0 => break,
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1
                }
                _ => {}
            }
            parts.push(show(t));
            self.i += 1;
        }
        join(&parts)
    }
    /// A parenthesised expression, as text without its outer parentheses.
    fn paren_text(&mut self) -> Result<String, String> {
        if !self.punct('(') {
            return Err(self.near());
        }
        let t = self.text_until(&[]);
        if !self.punct(')') {
            return Err(self.near());
        }
        Ok(t)
    }
    fn done(&self) -> bool {
        self.i >= self.toks.len()
    }
}

const RESERVED: &[&str] = &[
    "add",
    "alter",
    "column",
    "constraint",
    "default",
    "drop",
    "not",
    "null",
    "on",
    "table",
    "to",
    "type",
    "set",
    "using",
    "primary",
    "check",
    "foreign",
    "references",
    "unique",
    "index",
    "concurrently",
    "valid",
    "create",
    "rename",
    "validate",
];

fn show(t: &Tok) -> String {
    match t {
        Tok::Word(w) | Tok::Num(w) | Tok::Str(w) => w.clone(),
        Tok::Quoted(q) => format!("\"{q}\""),
        Tok::Punct(c) => c.to_string(),
    }
}

/// Tokens joined as SQL is written: no space inside parentheses or before a comma.
fn join(parts: &[String]) -> String {
    let mut s = String::new();
    for p in parts {
        let glue = !s.is_empty() && !s.ends_with('(') && !s.ends_with('.') && !s.ends_with(':') && p != ")" && p != "," && p != "(" && p != "." && p != ":";
        if glue || (p == "(" && !s.is_empty() && !s.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')) && !s.ends_with('(') {
            s.push(' ');
        }
        s.push_str(p);
    }
    s
}

fn default_of(expr: String) -> Default {
    // A call of a volatile function: its name, then `(`.
    let calls = |f: &str| expr.match_indices(f).any(|(i, _)| expr[i + f.len()..].starts_with('('));
    if VOLATILE.iter().any(|f| calls(f)) {
        Default::Volatile(expr)
    } else {
        Default::Constant(expr)
    }
}

/// Reads one DDL statement (optionally inside `BEGIN; … COMMIT;`). Errors are PostgreSQL's
/// syntax errors, or the refusal of a form dbsim does not model (with the forms it does).
pub fn parse(sql: &str) -> Result<Statement, String> {
    let toks = lex(sql)?;
    let mut p = P { toks, i: 0 };
    let in_block = p.eat("begin") || p.eat_seq(&["start", "transaction"]);
    if in_block {
        p.punct(';');
    }
    let kind = statement(&mut p)?;
    p.punct(';');
    if in_block && !(p.eat("commit") || p.eat("end")) {
        return Err("a statement inside BEGIN must end with COMMIT".into());
    }
    p.punct(';');
    if !p.done() {
        return Err(format!("{} (one statement per step)", p.near()));
    }
    let body = sql.trim_ascii().trim_end_matches(';').trim_ascii();
    Ok(Statement { sql: body.to_string(), kind, in_block })
}

fn unsupported(what: &str) -> String {
    format!("dbsim does not model {what}; the forms it models: {FORMS}")
}

fn statement(p: &mut P) -> Result<Kind, String> {
    if p.eat("create") {
        p.eat_seq(&["or", "replace"]);
        if p.eat("trigger") {
            let name = p.ident()?;
            let before = if p.eat("before") {
                true
            } else if p.eat("after") {
                false
            } else {
                return Err(p.near());
            };
            let events = p.text_until(&["on"]).to_ascii_uppercase();
            p.expect("on")?;
            let table = p.ident()?;
            p.expect("for")?;
            p.eat("each");
            if !p.eat("row") {
                return Err(unsupported("a statement-level trigger"));
            }
            p.expect("execute")?;
            if !(p.eat("function") || p.eat("procedure")) {
                return Err(p.near());
            }
            let function = p.ident()?;
            if !(p.punct('(') && p.punct(')')) {
                return Err(unsupported("a trigger function with arguments"));
            }
            return Ok(Kind::CreateTrigger { name, table, before, events, function });
        }
        let unique = p.eat("unique");
        if !p.eat("index") {
            return Err(unsupported("this CREATE statement"));
        }
        let concurrently = p.eat("concurrently");
        p.eat_seq(&["if", "not", "exists"]);
        let name = p.ident()?;
        p.expect("on")?;
        let table = p.ident()?;
        if p.eat("using") {
            p.expect("btree")?;
        }
        let columns = p.ident_list()?;
        return Ok(Kind::CreateIndex { name, table, columns, unique, concurrently });
    }
    if p.eat("drop") {
        if p.eat("trigger") {
            p.eat_seq(&["if", "exists"]);
            let name = p.ident()?;
            p.expect("on")?;
            let table = p.ident()?;
            return Ok(Kind::DropTrigger { name, table });
        }
        if !p.eat("index") {
            return Err(unsupported("this DROP statement"));
        }
        let concurrently = p.eat("concurrently");
        p.eat_seq(&["if", "exists"]);
        let name = p.ident()?;
        return Ok(Kind::DropIndex { name, concurrently });
    }
    if !p.eat("alter") {
        return Err(unsupported("this statement"));
    }
    p.expect("table")?;
    p.eat_seq(&["if", "exists"]);
    p.eat("only");
    let table = p.ident()?;
    if p.eat("add") {
        if p.eat("constraint") {
            let name = p.ident()?;
            return constraint(p, table, Some(name));
        }
        if p.peek_word("primary") || p.peek_word("check") || p.peek_word("foreign") || p.peek_word("unique") {
            return constraint(p, table, None);
        }
        p.eat("column");
        p.eat_seq(&["if", "not", "exists"]);
        let column = p.ident()?;
        let ty = p.text_until(&["not", "null", "default", "constraint", "primary", "unique", "references", "check", "generated"]);
        if ty.is_empty() {
            return Err(p.near());
        }
        let (mut not_null, mut default) = (false, None);
        loop {
            if p.eat_seq(&["not", "null"]) {
                not_null = true;
            } else if p.eat("null") {
            } else if p.eat("default") {
                default = Some(default_of(p.text_until(&["not", "null", "default", "constraint", "primary", "unique", "references", "check"])));
            } else if p.peek_word("generated") || p.peek_word("primary") || p.peek_word("references") || p.peek_word("check") || p.peek_word("unique") || p.peek_word("constraint") {
                return Err(unsupported("a column constraint or identity in ADD COLUMN"));
            } else {
                break;
            }
        }
        return Ok(Kind::AddColumn { table, column, ty, not_null, default });
    }
    if p.eat("alter") {
        p.eat("column");
        let column = p.ident()?;
        if p.eat_seq(&["set", "data", "type"]) || p.eat("type") {
            let ty = p.text_until(&["using", "collate"]);
            if ty.is_empty() {
                return Err(p.near());
            }
            if p.peek_word("using") || p.peek_word("collate") {
                return Err(unsupported("ALTER COLUMN TYPE with USING or COLLATE"));
            }
            return Ok(Kind::AlterType { table, column, ty });
        }
        if p.eat_seq(&["set", "not", "null"]) {
            return Ok(Kind::SetNotNull { table, column });
        }
        if p.eat_seq(&["drop", "not", "null"]) {
            return Ok(Kind::DropNotNull { table, column });
        }
        if p.eat_seq(&["set", "default"]) {
            let d = p.text_until(&[]);
            if d.is_empty() {
                return Err(p.near());
            }
            return Ok(Kind::SetDefault { table, column, default: default_of(d) });
        }
        if p.eat_seq(&["drop", "default"]) {
            return Ok(Kind::DropDefault { table, column });
        }
        return Err(unsupported("this ALTER COLUMN form"));
    }
    if p.eat("validate") {
        p.expect("constraint")?;
        return Ok(Kind::ValidateConstraint { table, name: p.ident()? });
    }
    if p.eat("rename") {
        if !p.eat("column") && (p.peek_word("to") || p.peek_word("constraint")) {
            return Err(unsupported("renaming a table or a constraint"));
        }
        let from = p.ident()?;
        p.expect("to")?;
        return Ok(Kind::RenameColumn { table, from, to: p.ident()? });
    }
    if p.eat("drop") {
        if p.eat("constraint") {
            p.eat_seq(&["if", "exists"]);
            return Ok(Kind::DropConstraint { table, name: p.ident()? });
        }
        p.eat("column");
        p.eat_seq(&["if", "exists"]);
        return Ok(Kind::DropColumn { table, column: p.ident()? });
    }
    Err(unsupported("this ALTER TABLE form"))
}

fn constraint(p: &mut P, table: String, name: Option<String>) -> Result<Kind, String> {
    if p.eat_seq(&["primary", "key"]) {
        if p.eat_seq(&["using", "index"]) {
            return Ok(Kind::AddPrimaryKeyUsingIndex { table, name, index: p.ident()? });
        }
        return Ok(Kind::AddPrimaryKey { table, name, columns: p.ident_list()? });
    }
    let Some(name) = name else { return Err(unsupported("an unnamed CHECK, FOREIGN KEY or UNIQUE constraint (name it: ADD CONSTRAINT name …)")) };
    if p.eat("check") {
        let expr = p.paren_text()?;
        let not_valid = p.eat_seq(&["not", "valid"]);
        let words: Vec<&str> = expr.split_ascii_whitespace().collect();
        let not_null_of = match words.as_slice() {
            [col, "is", "not", "null"] => Some(col.trim_matches('"').to_string()),
            _ => None,
        };
        return Ok(Kind::AddCheck { table, name, expr, not_null_of, not_valid });
    }
    if p.eat_seq(&["foreign", "key"]) {
        let cols = p.ident_list()?;
        p.expect("references")?;
        let ref_table = p.ident()?;
        let refs = p.ident_list()?;
        let not_valid = p.eat_seq(&["not", "valid"]);
        let (Some(column), Some(ref_column)) = (cols.first(), refs.first()) else { return Err(p.near()) };
        if cols.len() > 1 || refs.len() > 1 {
            return Err(unsupported("a foreign key over several columns"));
        }
        return Ok(Kind::AddForeignKey { table, name, column: column.clone(), ref_table, ref_column: ref_column.clone(), not_valid });
    }
    Err(unsupported("this constraint (ADD CONSTRAINT name CHECK / FOREIGN KEY / PRIMARY KEY)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use LockMode::*;

    fn kind(sql: &str) -> Kind {
        parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).kind
    }

    /// Each form's lock, as `migrations.md`'s table (and `alter_table.sql`'s `my_locks`) gives it.
    #[test]
    fn each_form_takes_its_documented_lock() {
        let cases = [
            ("ALTER TABLE accounts ADD COLUMN note text", AccessExclusive),
            ("alter table accounts add column created timestamptz default clock_timestamp()", AccessExclusive),
            ("ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200)", AccessExclusive),
            ("ALTER TABLE accounts ALTER COLUMN email SET NOT NULL", AccessExclusive),
            ("ALTER TABLE accounts ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID", AccessExclusive),
            ("ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID", ShareRowExclusive),
            ("ALTER TABLE accounts VALIDATE CONSTRAINT email_nn", ShareUpdateExclusive),
            ("CREATE INDEX accounts_email ON accounts (email)", Share),
            ("CREATE INDEX CONCURRENTLY accounts_email ON accounts (email)", ShareUpdateExclusive),
            ("ALTER TABLE accounts RENAME COLUMN email TO email_address", AccessExclusive),
            ("ALTER TABLE accounts DROP COLUMN email", AccessExclusive),
            ("ALTER TABLE accounts ADD PRIMARY KEY USING INDEX accounts_id_uniq", AccessExclusive),
            ("DROP INDEX accounts_email", AccessExclusive),
            ("DROP INDEX CONCURRENTLY accounts_email", ShareUpdateExclusive),
        ];
        for (sql, lock) in cases {
            assert_eq!(kind(sql).lock(), lock, "{sql}");
        }
    }

    #[test]
    fn defaults_are_told_apart_by_volatility() {
        let Kind::AddColumn { default, not_null, ty, .. } = kind("ALTER TABLE accounts ADD COLUMN flag boolean NOT NULL DEFAULT false") else { panic!() };
        assert_eq!((default, not_null, ty.as_str()), (Some(Default::Constant("false".into())), true, "boolean"));
        let Kind::AddColumn { default, .. } = kind("ALTER TABLE accounts ADD COLUMN id2 uuid DEFAULT gen_random_uuid()") else { panic!() };
        assert_eq!(default, Some(Default::Volatile("gen_random_uuid()".into())));
        let Kind::AddColumn { ty, .. } = kind("ALTER TABLE accounts ADD COLUMN email varchar(50)") else { panic!() };
        assert_eq!(ty, "varchar(50)");
    }

    #[test]
    fn names_fold_to_lower_case_unless_quoted_and_blocks_are_seen() {
        assert_eq!(kind("ALTER TABLE public.Accounts RENAME COLUMN \"Email\" TO email"), Kind::RenameColumn { table: "accounts".into(), from: "Email".into(), to: "email".into() });
        let s = parse("BEGIN; CREATE INDEX CONCURRENTLY i ON accounts (balance); COMMIT;").expect("reads");
        assert!(s.in_block);
        assert!(!parse("create index i on accounts(balance);").expect("reads").in_block);
        let Kind::AddCheck { not_null_of, not_valid, .. } = kind("ALTER TABLE accounts ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID") else { panic!() };
        assert_eq!((not_null_of.as_deref(), not_valid), (Some("email"), true));
    }

    #[test]
    fn other_statements_are_refused_with_the_forms_known() {
        for bad in ["VACUUM FULL accounts", "ALTER TABLE accounts RENAME TO users", "ALTER TABLE accounts ADD CHECK (balance > 0)", "TRUNCATE accounts"] {
            let e = parse(bad).expect_err(bad);
            assert!(e.starts_with("dbsim does not model") && e.contains("CREATE [UNIQUE] INDEX"), "{bad}: {e}");
        }
        assert_eq!(parse("ALTER TABLE accounts ADD COLUMN").expect_err("no name"), "syntax error at end of input");
        assert_eq!(parse("ALTER TABLE accounts DROP COLUMN a b").expect_err("two"), "syntax error at or near \"b\" (one statement per step)");
        assert!(parse("ALTER TABLE accounts ADD COLUMN \"x text").expect_err("quote").starts_with("unterminated quoted identifier"));
        assert!(parse("ALTER TABLE accounts ADD COLUMN x text @").is_err());
    }
}
