//! The SQL subset: `[EXPLAIN [(options)]] SELECT … FROM … [JOIN … ON …] [WHERE …] [GROUP BY …]
//! [ORDER BY …] [LIMIT n]`, parsed with PostgreSQL's error texts and 1-based character positions.
use std::fmt;

/// A PostgreSQL-style error: `ERROR:  message` with the position in the statement.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlError {
    pub message: String,
    /// 1-based character position, as `psql` reports it.
    pub position: Option<usize>,
    /// Valid SQL that dbsim's planner does not model (WITH, LIKE, UPDATE, outer joins…), not a
    /// mistake of the learner's: shown as such, never as PostgreSQL's "syntax error".
    pub unsupported: bool,
}

/// What the plan page plans, in one line (said beside every "not modelled" error).
pub const SUBSET: &str =
    "[WITH name AS [[NOT] MATERIALIZED] (SELECT … FROM t [WHERE …])] SELECT [DISTINCT] … [, f(…) OVER (PARTITION BY … ORDER BY …)] FROM … [[LEFT | RIGHT] JOIN … ON …] [WHERE … [AND [NOT] EXISTS (SELECT … FROM t WHERE …)] [AND x [NOT] IN (SELECT c FROM t WHERE …)] [AND x op (SELECT agg(y) FROM t WHERE …)]] [GROUP BY … [HAVING aggregate op constant [AND …]]] [ORDER BY …] [LIMIT n], with EXPLAIN [(ANALYZE, BUFFERS, FORMAT JSON)]";

impl SqlError {
    pub fn at(pos: usize, message: impl Into<String>) -> Self {
        SqlError { message: message.into(), position: Some(pos), unsupported: false }
    }
    pub fn plain(message: impl Into<String>) -> Self {
        SqlError { message: message.into(), position: None, unsupported: false }
    }
    /// Valid SQL beyond the planner's subset, at `pos`.
    pub fn not_modelled(pos: usize, what: &str) -> Self {
        SqlError { message: format!("{what} is valid SQL that dbsim's planner does not model yet; it plans {SUBSET}"), position: Some(pos), unsupported: true }
    }
    /// The error as psql prints it, with the `LINE n:` excerpt and its caret (a construct the
    /// planner does not model says so instead of `ERROR:`).
    pub fn render(&self, sql: &str) -> String {
        let mut out = if self.unsupported { format!("NOT MODELLED:  {}", self.message) } else { format!("ERROR:  {}", self.message) };
        if let Some(pos) = self.position {
            let chars: Vec<char> = sql.chars().collect();
            let at = pos.saturating_sub(1).min(chars.len());
            let line_start = chars[..at].iter().rposition(|&c| c == '\n').map_or(0, |p| p + 1);
            let line_end = chars[at..].iter().position(|&c| c == '\n').map_or(chars.len(), |p| at + p);
            let line_no = chars[..at].iter().filter(|&&c| c == '\n').count() + 1;
            let prefix = format!("LINE {line_no}: ");
            let text: String = chars[line_start..line_end].iter().collect();
            out.push_str(&format!("\n{prefix}{text}\n{}^", " ".repeat(prefix.len() + at - line_start)));
        }
        out
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ERROR:  {}", self.message)?;
        if let Some(p) = self.position {
            write!(f, " (at character {p})")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Num(String),
    Str(String),
    Op(&'static str),
    End,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    pos: usize,
    text: String,
}

fn lex(sql: &str) -> Result<Vec<Token>, SqlError> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let s = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                i += 1;
            }
            let text: String = chars[s..i].iter().collect();
            out.push(Token { tok: Tok::Ident(text.to_ascii_lowercase()), pos, text });
        } else if c == '"' {
            let s = i + 1;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += 1;
            }
            if i >= chars.len() {
                return Err(SqlError::at(pos, "unterminated quoted identifier"));
            }
            let text: String = chars[s..i].iter().collect();
            i += 1;
            out.push(Token { tok: Tok::Ident(text.clone()), pos, text });
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let s = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[s..i].iter().collect();
            out.push(Token { tok: Tok::Num(text.clone()), pos, text });
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(SqlError::at(pos, "unterminated quoted string")),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push(Token { tok: Tok::Str(s.clone()), pos, text: format!("'{s}'") });
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op: &'static str = match two.as_str() {
                "<=" => "<=",
                ">=" => ">=",
                "<>" => "<>",
                "!=" => "<>",
                _ => match c {
                    '=' => "=",
                    '<' => "<",
                    '>' => ">",
                    ',' => ",",
                    '.' => ".",
                    '(' => "(",
                    ')' => ")",
                    '*' => "*",
                    ';' => ";",
                    '-' => "-",
                    _ => return Err(SqlError::at(pos, format!("syntax error at or near \"{c}\""))),
                },
            };
            let len = if op.len() == 2 || two == "!=" { 2 } else { 1 };
            out.push(Token { tok: Tok::Op(op), pos, text: chars[i..i + len].iter().collect() });
            i += len;
        }
    }
    out.push(Token { tok: Tok::End, pos: chars.len() + 1, text: String::new() });
    Ok(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
    /// The operator with its operands swapped (`a < b` is `b > a`).
    pub fn commute(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            o => o,
        }
    }
    pub fn holds<T: Ord>(self, a: T, b: T) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Int(i64),
    Str(String),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Col {
        qual: Option<String>,
        name: String,
        pos: usize,
    },
    Lit {
        lit: Lit,
        pos: usize,
    },
    Cmp {
        op: CmpOp,
        l: Box<Expr>,
        r: Box<Expr>,
        pos: usize,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Between {
        e: Box<Expr>,
        lo: Box<Expr>,
        hi: Box<Expr>,
    },
    In {
        e: Box<Expr>,
        list: Vec<Expr>,
    },
    IsNull {
        e: Box<Expr>,
        not: bool,
    },
    /// `[NOT] EXISTS (SELECT … FROM t WHERE …)` or `x IN (SELECT c FROM t WHERE …)`, by its index
    /// among the statement's subqueries: a top-level condition of WHERE becomes a semi or anti
    /// join (`pull_up_sublinks`).
    Sublink {
        idx: usize,
        pos: usize,
    },
    /// `x NOT IN (SELECT c FROM t …)` among WHERE's top-level conditions, by its index in
    /// `Select::not_in`: a hashed SubPlan filtering `x`'s relation.
    NotIn {
        idx: usize,
        pos: usize,
    },
    /// `(SELECT agg(x) FROM t …)` compared with a column among WHERE's top-level conditions, by
    /// its index in `Select::scalars`: an InitPlan whose result the condition reads as a
    /// parameter.
    Scalar {
        idx: usize,
        pos: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFn {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

impl AggFn {
    pub fn sql(self) -> &'static str {
        match self {
            AggFn::Count => "count",
            AggFn::Sum => "sum",
            AggFn::Avg => "avg",
            AggFn::Min => "min",
            AggFn::Max => "max",
        }
    }
}

/// A window function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WinFn {
    RowNumber,
    Rank,
    DenseRank,
    /// An aggregate over the window frame.
    Agg(AggFn),
}

impl WinFn {
    pub fn sql(self) -> &'static str {
        match self {
            WinFn::RowNumber => "row_number",
            WinFn::Rank => "rank",
            WinFn::DenseRank => "dense_rank",
            WinFn::Agg(f) => f.sql(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum SelExpr {
    /// `f(…) OVER (PARTITION BY … ORDER BY …)`.
    Window {
        func: WinFn,
        arg: Option<Expr>,
        partition: Vec<Expr>,
        order: Vec<(Expr, bool)>,
        pos: usize,
    },
    Star {
        qual: Option<String>,
        pos: usize,
    },
    Expr(Expr),
    /// `count(*)` has no argument.
    Agg {
        func: AggFn,
        arg: Option<Expr>,
        pos: usize,
        /// `count(DISTINCT x)`.
        distinct: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct SelectItem {
    pub expr: SelExpr,
    pub alias: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FromItem {
    pub table: String,
    pub alias: Option<String>,
    pub pos: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderItem {
    pub expr: SelExpr,
    pub desc: bool,
}

/// What a join that is not an inner one keeps of its outer side's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OjKind {
    /// Every row, null-extended when it has no partner (LEFT JOIN).
    Left,
    /// Each row with a partner, once (`EXISTS`, `IN (SELECT …)`).
    Semi,
    /// Only the rows without a partner (`NOT EXISTS`).
    Anti,
    /// Both sides' rows, each null-extended when it has no partner (FULL JOIN; `nullable` is
    /// the right side, `preserved` the left).
    Full,
}

/// A `LEFT JOIN` (or a `RIGHT JOIN`, read as the LEFT JOIN it is), or a subquery of WHERE pulled
/// up into a semi or anti join: the `FROM` item whose rows may be null-extended (or are only
/// looked for), and its `ON` condition.
#[derive(Clone, Debug, PartialEq)]
pub struct OuterJoin {
    /// The nullable side: an index into `Select::from`.
    pub nullable: usize,
    /// The other side, as written (indexes into `Select::from`).
    pub preserved: Vec<usize>,
    pub on: Expr,
    pub kind: OjKind,
    /// `x IN (SELECT c …)`: `x`, read in the query around the subquery, and `c`, read inside it.
    pub test: Option<(Expr, Expr)>,
    /// Where `LEFT`/`RIGHT` (or the subquery's test) is written.
    pub pos: usize,
}

/// A subquery of WHERE: its one table, its WHERE, what it tests, and where that is written.
#[derive(Clone, Debug, PartialEq)]
struct Sublink {
    table: FromItem,
    cond: Option<Expr>,
    kind: OjKind,
    test: Option<(Expr, Expr)>,
    /// `x NOT IN (SELECT c …)` (PostgreSQL 15 never makes it a join).
    not_in: bool,
    pos: usize,
}

/// A common table expression of WITH: its name, whether MATERIALIZED (or NOT MATERIALIZED) is
/// written, its query, and where its name is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Cte {
    pub name: String,
    pub materialized: Option<bool>,
    pub body: Select,
    pub pos: usize,
}

/// A scalar subquery: `(SELECT agg(x) FROM t [WHERE …])`, its table an index into
/// `Select::from` (in scope only inside it).
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub table: usize,
    pub item: SelExpr,
    pub cond: Option<Expr>,
    pub pos: usize,
}

/// One of WHERE's subqueries planned on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubRef {
    NotIn(usize),
    Scalar(usize),
}

/// `x NOT IN (SELECT c FROM t [WHERE …])`: the subquery's table (an index into `Select::from`,
/// in scope only inside it), its WHERE, `x` and `c`.
#[derive(Clone, Debug, PartialEq)]
pub struct NotIn {
    pub table: usize,
    pub cond: Option<Expr>,
    pub test: (Expr, Expr),
    pub pos: usize,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Select {
    pub items: Vec<SelectItem>,
    pub from: Vec<FromItem>,
    /// Conditions of inner `JOIN … ON` and `WHERE`, in the order written.
    pub conds: Vec<Expr>,
    /// Outer joins, in the order written.
    pub outer: Vec<OuterJoin>,
    /// `NOT IN (SELECT …)` conditions, in the order written.
    pub not_in: Vec<NotIn>,
    /// Scalar subqueries of WHERE, in the order written.
    pub scalars: Vec<Scalar>,
    /// WHERE's subqueries planned on their own (NOT IN and scalar ones), in the order written:
    /// PostgreSQL numbers their plans in this order.
    pub sub_order: Vec<SubRef>,
    /// `SELECT DISTINCT`, and where DISTINCT is written.
    pub distinct: Option<usize>,
    /// `WITH name AS [[NOT] MATERIALIZED] (SELECT …)`, in the order written.
    pub ctes: Vec<Cte>,
    /// `HAVING a AND b …`: each an aggregate (or grouped column) compared with a constant, and
    /// where its operator is written.
    pub having: Vec<(SelExpr, CmpOp, Expr, usize)>,
    pub group_by: Vec<Expr>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<u64>,
    /// `UNION [ALL]`, `INTERSECT [ALL]` and `EXCEPT [ALL]` with the SELECTs after this one, in
    /// the order written; `order_by` and `limit` are then the whole statement's.
    pub set_ops: Vec<SetArm>,
}

/// A set operation's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetCmd {
    Union,
    Intersect,
    Except,
}

impl SetCmd {
    pub fn sql(self) -> &'static str {
        match self {
            SetCmd::Union => "UNION",
            SetCmd::Intersect => "INTERSECT",
            SetCmd::Except => "EXCEPT",
        }
    }
}

/// `UNION [ALL] SELECT …` (or INTERSECT, EXCEPT): the operator, ALL, the SELECT on its right
/// and where the operator is written.
#[derive(Clone, Debug, PartialEq)]
pub struct SetArm {
    pub cmd: SetCmd,
    pub all: bool,
    pub select: Select,
    pub pos: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExplainOpts {
    pub analyze: bool,
    pub buffers: bool,
    pub costs: bool,
    pub timing: bool,
    pub format: Format,
}

impl Default for ExplainOpts {
    fn default() -> Self {
        ExplainOpts { analyze: false, buffers: false, costs: true, timing: true, format: Format::Text }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub explain: Option<ExplainOpts>,
    pub select: Select,
}

const RESERVED: &[&str] = &[
    "select",
    "from",
    "where",
    "group",
    "order",
    "by",
    "limit",
    "join",
    "inner",
    "on",
    "and",
    "or",
    "not",
    "as",
    "between",
    "in",
    "is",
    "null",
    "asc",
    "desc",
    "left",
    "right",
    "full",
    "cross",
    "natural",
    "using",
    "having",
    "union",
    "intersect",
    "except",
    "all",
    "offset",
];

struct Parser {
    toks: Vec<Token>,
    i: usize,
    /// Subqueries of WHERE met so far.
    sublinks: Vec<Sublink>,
    /// Scalar subqueries met so far: the table, the select item, the WHERE.
    scalars: Vec<(FromItem, SelExpr, Option<Expr>)>,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.i]
    }
    fn next(&mut self) -> Token {
        let t = self.toks[self.i].clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(s) if s == kw) && self.peek().text.to_ascii_lowercase() == kw
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.next();
            true
        } else {
            false
        }
    }
    fn is_op(&self, op: &str) -> bool {
        matches!(&self.peek().tok, Tok::Op(o) if *o == op)
    }
    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.next();
            true
        } else {
            false
        }
    }
    fn syntax_error(&self) -> SqlError {
        let t = self.peek();
        if t.tok == Tok::End {
            return SqlError::at(t.pos, "syntax error at end of input");
        }
        // A keyword of SQL the planner does not model is no typo of the learner's.
        let construct = match t.text.to_ascii_uppercase().as_str() {
            "LIKE" | "ILIKE" | "SIMILAR" => Some("LIKE pattern matching"),
            "UPDATE" | "INSERT" | "DELETE" | "MERGE" | "CREATE" | "DROP" | "ALTER" => Some("a statement other than SELECT (this page explains queries)"),
            "OVER" | "WINDOW" | "PARTITION" => Some("a window function"),
            "EXISTS" => Some("an EXISTS subquery"),
            "LEFT" | "RIGHT" | "FULL" | "OUTER" | "CROSS" | "NATURAL" | "LATERAL" => Some("an outer, cross or lateral join"),
            "CASE" | "CAST" | "COALESCE" => Some("an expression of this kind"),
            "OFFSET" | "FETCH" | "FOR" => Some("OFFSET, FETCH and FOR UPDATE"),
            _ => None,
        };
        match construct {
            Some(what) => SqlError::not_modelled(t.pos, what),
            None => SqlError::at(t.pos, format!("syntax error at or near \"{}\"", t.text)),
        }
    }
    fn expect_kw(&mut self, kw: &str) -> Result<(), SqlError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }
    fn expect_op(&mut self, op: &str) -> Result<(), SqlError> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }
    fn ident(&mut self) -> Result<(String, usize), SqlError> {
        match &self.peek().tok {
            Tok::Ident(s) if !RESERVED.contains(&s.as_str()) || self.peek().text.starts_with('"') => {
                let s = s.clone();
                let p = self.peek().pos;
                self.next();
                Ok((s, p))
            }
            _ => Err(self.syntax_error()),
        }
    }
    fn unsupported(&self, what: &str) -> SqlError {
        SqlError::not_modelled(self.peek().pos, what)
    }
    /// Whether the token `k` places ahead is the keyword `kw` (`k` = 0 is the next one).
    fn kw_ahead(&self, k: usize, kw: &str) -> bool {
        self.toks.get(self.i + k).is_some_and(|t| matches!(&t.tok, Tok::Ident(s) if s == kw) && t.text.to_ascii_lowercase() == kw)
    }
    /// Whether the token `k` places ahead is the operator `op`.
    fn op_ahead(&self, k: usize, op: &str) -> bool {
        self.toks.get(self.i + k).is_some_and(|t| matches!(&t.tok, Tok::Op(o) if *o == op))
    }

    fn statement(&mut self) -> Result<Statement, SqlError> {
        let mut explain = None;
        if self.eat_kw("explain") {
            let mut o = ExplainOpts::default();
            if self.eat_op("(") {
                loop {
                    let (name, pos) = self.ident_any()?;
                    let on = match &self.peek().tok {
                        Tok::Ident(v) if ["on", "true", "off", "false"].contains(&v.as_str()) => {
                            let v = v.clone();
                            self.next();
                            v == "on" || v == "true"
                        }
                        _ => true,
                    };
                    match name.as_str() {
                        "analyze" => o.analyze = on,
                        "buffers" => o.buffers = on,
                        "costs" => o.costs = on,
                        "timing" => o.timing = on,
                        "verbose" | "summary" | "settings" | "wal" => {}
                        "format" => {
                            let (f, fp) = self.ident_any()?;
                            o.format = match f.as_str() {
                                "text" => Format::Text,
                                "json" => Format::Json,
                                _ => return Err(SqlError::at(fp, format!("unrecognized value for EXPLAIN option \"format\": \"{f}\""))),
                            };
                        }
                        _ => return Err(SqlError::at(pos, format!("unrecognized EXPLAIN option \"{name}\""))),
                    }
                    if !self.eat_op(",") {
                        break;
                    }
                }
                self.expect_op(")")?;
            } else {
                o.analyze = self.eat_kw("analyze") || self.eat_kw("analyse");
                self.eat_kw("verbose");
            }
            explain = Some(o);
        }
        let mut ctes = Vec::new();
        if self.eat_kw("with") {
            if self.is_kw("recursive") {
                return Err(self.unsupported("WITH RECURSIVE"));
            }
            loop {
                let (name, pos) = self.ident()?;
                if self.is_op("(") {
                    return Err(self.unsupported("a CTE's column list"));
                }
                self.expect_kw("as")?;
                let materialized = if self.eat_kw("not") {
                    self.expect_kw("materialized")?;
                    Some(false)
                } else if self.eat_kw("materialized") {
                    Some(true)
                } else {
                    None
                };
                self.expect_op("(")?;
                let body = self.select()?;
                self.expect_op(")")?;
                ctes.push(Cte { name, materialized, body, pos });
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        let mut select = self.select()?;
        select.ctes = ctes;
        self.eat_op(";");
        if self.peek().tok != Tok::End {
            return Err(self.syntax_error());
        }
        Ok(Statement { explain, select })
    }

    fn ident_any(&mut self) -> Result<(String, usize), SqlError> {
        match &self.peek().tok {
            Tok::Ident(s) => {
                let s = s.clone();
                let p = self.peek().pos;
                self.next();
                Ok((s, p))
            }
            _ => Err(self.syntax_error()),
        }
    }

    fn simple_select(&mut self) -> Result<Select, SqlError> {
        self.expect_kw("select")?;
        let mut s = Select::default();
        let dpos = self.peek().pos;
        if self.eat_kw("distinct") {
            if self.is_kw("on") {
                return Err(self.unsupported("DISTINCT ON (…)"));
            }
            s.distinct = Some(dpos);
        }
        loop {
            let pos = self.peek().pos;
            let expr = self.sel_expr()?;
            if matches!(expr, SelExpr::Expr(Expr::Scalar { .. })) {
                return Err(SqlError::not_modelled(pos, "a scalar subquery in the select list"));
            }
            let alias = self.alias()?;
            s.items.push(SelectItem { expr, alias });
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_kw("from")?;
        loop {
            s.from.push(self.table_ref()?);
            let first = s.from.len() - 1;
            loop {
                if self.is_kw("cross") || self.is_kw("natural") {
                    return Err(self.unsupported("a CROSS or NATURAL join"));
                }
                let pos = self.peek().pos;
                let full = self.eat_kw("full");
                let (left, right) = if full { (false, false) } else { (self.eat_kw("left"), !self.is_kw("left") && self.eat_kw("right")) };
                if left || right || full {
                    self.eat_kw("outer");
                }
                let inner = !left && !right && !full && self.eat_kw("inner");
                if !self.eat_kw("join") {
                    if inner || left || right || full {
                        return Err(self.syntax_error());
                    }
                    break;
                }
                s.from.push(self.table_ref()?);
                if self.is_kw("using") {
                    return Err(self.unsupported("JOIN … USING"));
                }
                self.expect_kw("on")?;
                let on = self.or_expr()?;
                if full {
                    // Both sides keep their rows; dbsim reads it between two tables.
                    if s.from.len() - first != 2 {
                        return Err(SqlError::not_modelled(pos, "a FULL JOIN whose left side is itself a join"));
                    }
                    s.outer.push(OuterJoin { nullable: first + 1, preserved: vec![first], on, pos, kind: OjKind::Full, test: None });
                } else if left {
                    s.outer.push(OuterJoin { nullable: s.from.len() - 1, preserved: (first..s.from.len() - 1).collect(), on, pos, kind: OjKind::Left, test: None });
                } else if right {
                    // `a RIGHT JOIN b` is `b LEFT JOIN a`; dbsim reads it when `a` is one table.
                    if s.from.len() - first != 2 {
                        return Err(SqlError::not_modelled(pos, "a RIGHT JOIN whose left side is itself a join (write it as a LEFT JOIN)"));
                    }
                    s.outer.push(OuterJoin { nullable: first, preserved: vec![first + 1], on, pos, kind: OjKind::Left, test: None });
                } else {
                    s.conds.push(on);
                }
            }
            if !self.eat_op(",") {
                break;
            }
        }
        if self.eat_kw("where") {
            let cond = self.or_expr()?;
            // Each [NOT] EXISTS or IN (SELECT …) among WHERE's top-level conditions becomes a
            // semi or anti join with the subquery's table; one anywhere else (under OR) is not
            // modelled.
            let parts = match cond {
                Expr::And(parts) => parts,
                other => vec![other],
            };
            let outer: Vec<usize> = (0..s.from.len()).collect();
            for part in parts {
                match part {
                    Expr::Sublink { idx, pos } if self.sublinks[idx].not_in => {
                        let sl = self.sublinks[idx].clone();
                        s.from.push(sl.table);
                        let test = sl.test.ok_or_else(|| SqlError::at(pos, "syntax error at or near \"NOT\""))?;
                        s.not_in.push(NotIn { table: s.from.len() - 1, cond: sl.cond, test, pos });
                        s.sub_order.push(SubRef::NotIn(s.not_in.len() - 1));
                        s.conds.push(Expr::NotIn { idx: s.not_in.len() - 1, pos });
                    }
                    Expr::Cmp { op, l, r, pos } if matches!(*l, Expr::Scalar { .. }) || matches!(*r, Expr::Scalar { .. }) => {
                        // `x op (SELECT …)`: the subquery's table joins the statement's, hidden.
                        let take = |e: Expr, s: &mut Select, parser: &Parser| -> Expr {
                            match e {
                                Expr::Scalar { idx, pos } => {
                                    let (table, item, cond) = parser.scalars[idx].clone();
                                    s.from.push(table);
                                    s.scalars.push(Scalar { table: s.from.len() - 1, item, cond, pos });
                                    s.sub_order.push(SubRef::Scalar(s.scalars.len() - 1));
                                    Expr::Scalar { idx: s.scalars.len() - 1, pos }
                                }
                                other => other,
                            }
                        };
                        let l = take(*l, &mut s, self);
                        let r = take(*r, &mut s, self);
                        s.conds.push(Expr::Cmp { op, l: Box::new(l), r: Box::new(r), pos });
                    }
                    Expr::Sublink { idx, pos } => {
                        let sl = self.sublinks[idx].clone();
                        s.from.push(sl.table);
                        s.outer.push(OuterJoin { nullable: s.from.len() - 1, preserved: outer.clone(), on: sl.cond.unwrap_or(Expr::And(Vec::new())), pos, kind: sl.kind, test: sl.test });
                    }
                    other => {
                        if let Some(pos) = sublink_in(&other) {
                            return Err(SqlError::not_modelled(pos, "a subquery (EXISTS, NOT EXISTS, IN, NOT IN or a scalar (SELECT …)) under OR or NOT"));
                        }
                        s.conds.push(other);
                    }
                }
            }
        }
        if self.eat_kw("group") {
            self.expect_kw("by")?;
            loop {
                s.group_by.push(self.operand()?);
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        if self.eat_kw("having") {
            loop {
                let l = self.sel_expr()?;
                let pos = self.peek().pos;
                let op = match self.cmp_op() {
                    Some(op) => op,
                    None if self.is_kw("or") => return Err(self.unsupported("HAVING with OR")),
                    None => return Err(self.unsupported("a HAVING condition other than an aggregate compared with a constant")),
                };
                self.next();
                let r = self.operand()?;
                s.having.push((l, op, r, pos));
                if !self.eat_kw("and") {
                    break;
                }
            }
            if self.is_kw("or") {
                return Err(self.unsupported("HAVING with OR"));
            }
        }
        Ok(s)
    }

    /// A SELECT: one simple SELECT, the set operations joining more to it, then ORDER BY and
    /// LIMIT (the whole statement's).
    fn select(&mut self) -> Result<Select, SqlError> {
        let mut s = self.simple_select()?;
        loop {
            let pos = self.peek().pos;
            let cmd = if self.eat_kw("union") {
                SetCmd::Union
            } else if self.eat_kw("intersect") {
                SetCmd::Intersect
            } else if self.eat_kw("except") {
                SetCmd::Except
            } else {
                break;
            };
            let all = self.eat_kw("all");
            if !all {
                self.eat_kw("distinct");
            }
            if self.is_op("(") {
                return Err(self.unsupported("a parenthesized SELECT in a set operation"));
            }
            let select = self.simple_select()?;
            s.set_ops.push(SetArm { cmd, all, select, pos });
        }
        if self.eat_kw("order") {
            self.expect_kw("by")?;
            loop {
                let expr = self.sel_expr()?;
                let desc = self.direction();
                s.order_by.push(OrderItem { expr, desc });
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        if self.eat_kw("limit") {
            let t = self.next();
            match t.tok {
                Tok::Num(n) => s.limit = Some(n.parse().map_err(|_| SqlError::at(t.pos, format!("invalid LIMIT \"{n}\"")))?),
                _ => return Err(SqlError::at(t.pos, format!("syntax error at or near \"{}\"", t.text))),
            }
        }
        if self.is_kw("offset") || self.is_kw("union") || self.is_kw("intersect") || self.is_kw("except") {
            return Err(self.syntax_error());
        }
        Ok(s)
    }

    /// `DESC` (true) or `[ASC]` after an ORDER BY key.
    fn direction(&mut self) -> bool {
        if self.eat_kw("desc") {
            return true;
        }
        self.eat_kw("asc");
        false
    }

    /// `[AS] name` after a select item or a table.
    fn alias(&mut self) -> Result<Option<String>, SqlError> {
        let named = matches!(&self.peek().tok, Tok::Ident(w) if !RESERVED.contains(&w.as_str()));
        if self.eat_kw("as") || named {
            return Ok(Some(self.ident()?.0));
        }
        Ok(None)
    }

    fn table_ref(&mut self) -> Result<FromItem, SqlError> {
        if self.is_op("(") {
            return Err(self.unsupported("a subquery in FROM"));
        }
        let (table, pos) = self.ident()?;
        let alias = self.alias()?;
        Ok(FromItem { table, alias, pos })
    }

    fn sel_expr(&mut self) -> Result<SelExpr, SqlError> {
        let pos = self.peek().pos;
        if self.eat_op("*") {
            return Ok(SelExpr::Star { qual: None, pos });
        }
        if let Tok::Ident(name) = &self.peek().tok {
            let func = match name.as_str() {
                "count" => Some(AggFn::Count),
                "sum" => Some(AggFn::Sum),
                "avg" => Some(AggFn::Avg),
                "min" => Some(AggFn::Min),
                "max" => Some(AggFn::Max),
                _ => None,
            };
            if let (Some(func), Some(Tok::Op("("))) = (func, self.toks.get(self.i + 1).map(|t| &t.tok)) {
                self.next();
                self.next();
                let distinct = self.eat_kw("distinct");
                let arg = if func == AggFn::Count && !distinct && self.eat_op("*") { None } else { Some(self.operand()?) };
                self.expect_op(")")?;
                if self.is_kw("over") {
                    if distinct {
                        return Err(SqlError::at(pos, "DISTINCT is not implemented for window functions"));
                    }
                    return self.window(WinFn::Agg(func), arg, pos);
                }
                return Ok(SelExpr::Agg { func, arg, pos, distinct });
            }
            let ranking = match name.as_str() {
                "row_number" => Some(WinFn::RowNumber),
                "rank" => Some(WinFn::Rank),
                "dense_rank" => Some(WinFn::DenseRank),
                _ => None,
            };
            if let (Some(func), true, true, true) = (ranking, self.op_ahead(1, "("), self.op_ahead(2, ")"), self.kw_ahead(3, "over")) {
                self.next();
                self.next();
                self.next();
                return self.window(func, None, pos);
            }
            if let (Some(Tok::Op(".")), Some(Tok::Op("*"))) = (self.toks.get(self.i + 1).map(|t| &t.tok), self.toks.get(self.i + 2).map(|t| &t.tok)) {
                let (q, _) = self.ident()?;
                self.next();
                self.next();
                return Ok(SelExpr::Star { qual: Some(q), pos });
            }
        }
        Ok(SelExpr::Expr(self.operand()?))
    }

    /// The subquery of `[NOT] EXISTS (…)` or `x IN (…)`, from its `(`: `SELECT … FROM t [alias]
    /// [WHERE …]`, one table; an IN subquery selects one column.
    fn sublink(&mut self, kind: OjKind, lhs: Option<Expr>, pos: usize) -> Result<Expr, SqlError> {
        let not_in = kind == OjKind::Anti && lhs.is_some();
        let what = match (&lhs, kind) {
            (Some(_), OjKind::Anti) => "a NOT IN subquery",
            (Some(_), _) => "an IN subquery",
            (None, OjKind::Anti) => "a NOT EXISTS subquery",
            (None, _) => "an EXISTS subquery",
        };
        self.expect_op("(")?;
        self.expect_kw("select")?;
        if self.is_kw("distinct") {
            return Err(self.unsupported(&format!("SELECT DISTINCT in {what}")));
        }
        let mut items = Vec::new();
        loop {
            items.push((self.peek().pos, self.sel_expr()?));
            self.alias()?;
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_kw("from")?;
        let table = self.table_ref()?;
        if self.is_op(",") || self.is_kw("join") || self.is_kw("inner") || self.is_kw("left") || self.is_kw("right") {
            return Err(self.unsupported(&format!("{what} over more than one table")));
        }
        let cond = if self.eat_kw("where") { Some(self.or_expr()?) } else { None };
        if !self.is_op(")") {
            return Err(self.unsupported(&format!("{what} with GROUP BY, ORDER BY or LIMIT")));
        }
        self.expect_op(")")?;
        if let Some(inner) = cond.as_ref().and_then(sublink_in) {
            return Err(SqlError::not_modelled(inner, "a subquery inside another"));
        }
        let test = match lhs {
            None => None,
            Some(l) => {
                // PostgreSQL: "subquery has too many columns" at the IN.
                if items.len() != 1 {
                    return Err(SqlError::at(pos, "subquery has too many columns"));
                }
                match items.pop() {
                    Some((_, SelExpr::Expr(e @ Expr::Col { .. }))) => Some((l, e)),
                    Some((p, _)) => return Err(SqlError::not_modelled(p, &format!("{what} that selects anything but one column"))),
                    None => None,
                }
            }
        };
        self.sublinks.push(Sublink { table, cond, kind, test, not_in, pos });
        Ok(Expr::Sublink { idx: self.sublinks.len() - 1, pos })
    }

    /// A window function's `OVER (PARTITION BY … ORDER BY …)`, from `OVER`.
    fn window(&mut self, func: WinFn, arg: Option<Expr>, pos: usize) -> Result<SelExpr, SqlError> {
        self.expect_kw("over")?;
        if !self.is_op("(") {
            return Err(self.unsupported("a named window (OVER w)"));
        }
        self.expect_op("(")?;
        let mut partition = Vec::new();
        if self.eat_kw("partition") {
            self.expect_kw("by")?;
            loop {
                partition.push(self.operand()?);
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        let mut order = Vec::new();
        if self.eat_kw("order") {
            self.expect_kw("by")?;
            loop {
                let e = self.operand()?;
                let desc = self.direction();
                order.push((e, desc));
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        if self.is_kw("rows") || self.is_kw("range") || self.is_kw("groups") {
            return Err(self.unsupported("a window frame (ROWS, RANGE or GROUPS)"));
        }
        self.expect_op(")")?;
        Ok(SelExpr::Window { func, arg, partition, order, pos })
    }

    /// The comparison operator at the cursor, if one is.
    fn cmp_op(&self) -> Option<CmpOp> {
        Some(match &self.peek().tok {
            Tok::Op("=") => CmpOp::Eq,
            Tok::Op("<>") => CmpOp::Ne,
            Tok::Op("<") => CmpOp::Lt,
            Tok::Op("<=") => CmpOp::Le,
            Tok::Op(">") => CmpOp::Gt,
            Tok::Op(">=") => CmpOp::Ge,
            _ => return None,
        })
    }

    /// A scalar subquery, from its `(`: `(SELECT agg(x) FROM t [alias] [WHERE …])`.
    fn scalar(&mut self) -> Result<Expr, SqlError> {
        let pos = self.peek().pos;
        self.expect_op("(")?;
        self.expect_kw("select")?;
        let ipos = self.peek().pos;
        let item = self.sel_expr()?;
        self.alias()?;
        if self.is_op(",") {
            return Err(SqlError::at(ipos, "subquery must return only one column"));
        }
        if !matches!(item, SelExpr::Agg { .. }) {
            return Err(SqlError::not_modelled(ipos, "a scalar subquery that returns anything but one aggregate"));
        }
        self.expect_kw("from")?;
        let table = self.table_ref()?;
        if self.is_op(",") || self.is_kw("join") || self.is_kw("inner") || self.is_kw("left") || self.is_kw("right") || self.is_kw("full") {
            return Err(self.unsupported("a scalar subquery over more than one table"));
        }
        let cond = if self.eat_kw("where") { Some(self.or_expr()?) } else { None };
        if !self.is_op(")") {
            return Err(self.unsupported("a scalar subquery with GROUP BY, ORDER BY or LIMIT"));
        }
        self.expect_op(")")?;
        if let Some(inner) = cond.as_ref().and_then(sublink_in) {
            return Err(SqlError::not_modelled(inner, "a subquery inside another"));
        }
        self.scalars.push((table, item, cond));
        Ok(Expr::Scalar { idx: self.scalars.len() - 1, pos })
    }

    fn or_expr(&mut self) -> Result<Expr, SqlError> {
        let mut arms = vec![self.and_expr()?];
        while self.eat_kw("or") {
            arms.push(self.and_expr()?);
        }
        Ok(if arms.len() == 1 { arms.pop().unwrap_or(Expr::And(vec![])) } else { Expr::Or(arms) })
    }

    fn and_expr(&mut self) -> Result<Expr, SqlError> {
        let mut parts = vec![self.predicate()?];
        while self.eat_kw("and") {
            parts.push(self.predicate()?);
        }
        Ok(if parts.len() == 1 { parts.pop().unwrap_or(Expr::And(vec![])) } else { Expr::And(parts) })
    }

    fn predicate(&mut self) -> Result<Expr, SqlError> {
        if self.is_kw("not") && self.kw_ahead(1, "exists") && self.op_ahead(2, "(") && self.kw_ahead(3, "select") {
            let pos = self.peek().pos;
            self.next();
            self.next();
            return self.sublink(OjKind::Anti, None, pos);
        }
        if self.is_kw("exists") && self.op_ahead(1, "(") && self.kw_ahead(2, "select") {
            let pos = self.peek().pos;
            self.next();
            return self.sublink(OjKind::Semi, None, pos);
        }
        if self.is_kw("not") {
            return Err(self.unsupported("NOT"));
        }
        if self.is_op("(") {
            // A parenthesised condition (operands are never parenthesised in this subset).
            self.next();
            let e = self.or_expr()?;
            self.expect_op(")")?;
            return Ok(e);
        }
        let l = self.operand()?;
        if self.eat_kw("between") {
            let lo = self.operand()?;
            self.expect_kw("and")?;
            let hi = self.operand()?;
            return Ok(Expr::Between { e: Box::new(l), lo: Box::new(lo), hi: Box::new(hi) });
        }
        if self.is_kw("not") && self.kw_ahead(1, "in") && self.op_ahead(2, "(") && self.kw_ahead(3, "select") {
            let pos = self.peek().pos;
            self.next();
            self.next();
            return self.sublink(OjKind::Anti, Some(l), pos);
        }
        if self.is_kw("not") && self.kw_ahead(1, "in") {
            return Err(self.unsupported("NOT IN (…)"));
        }
        if self.is_kw("in") && self.op_ahead(1, "(") && self.kw_ahead(2, "select") {
            let pos = self.peek().pos;
            self.next();
            return self.sublink(OjKind::Semi, Some(l), pos);
        }
        if self.eat_kw("in") {
            self.expect_op("(")?;
            let mut list = vec![self.operand()?];
            while self.eat_op(",") {
                list.push(self.operand()?);
            }
            self.expect_op(")")?;
            return Ok(Expr::In { e: Box::new(l), list });
        }
        if self.eat_kw("is") {
            let not = self.eat_kw("not");
            self.expect_kw("null")?;
            return Ok(Expr::IsNull { e: Box::new(l), not });
        }
        let pos = self.peek().pos;
        let Some(op) = self.cmp_op() else { return Err(self.syntax_error()) };
        self.next();
        let r = self.operand()?;
        Ok(Expr::Cmp { op, l: Box::new(l), r: Box::new(r), pos })
    }

    fn operand(&mut self) -> Result<Expr, SqlError> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Num(n) => {
                self.next();
                let v = n.parse::<i64>().map_err(|_| SqlError::at(t.pos, format!("numeric constant {n} is not supported (integers only)")))?;
                Ok(Expr::Lit { lit: Lit::Int(v), pos: t.pos })
            }
            Tok::Op("-") => {
                self.next();
                let n = self.next();
                match n.tok {
                    Tok::Num(s) => Ok(Expr::Lit { lit: Lit::Int(-s.parse::<i64>().map_err(|_| SqlError::at(n.pos, format!("numeric constant -{s} is not supported")))?), pos: t.pos }),
                    _ => Err(SqlError::at(n.pos, format!("syntax error at or near \"{}\"", n.text))),
                }
            }
            Tok::Str(s) => {
                self.next();
                Ok(Expr::Lit { lit: Lit::Str(s.clone()), pos: t.pos })
            }
            Tok::Ident(w) if w == "null" => {
                self.next();
                Ok(Expr::Lit { lit: Lit::Null, pos: t.pos })
            }
            Tok::Ident(_) => {
                let (first, pos) = self.ident()?;
                if self.eat_op(".") {
                    let (name, _) = self.ident()?;
                    Ok(Expr::Col { qual: Some(first), name, pos })
                } else if self.is_op("(") {
                    // A window function is a call followed by OVER.
                    let mut depth = 0usize;
                    let mut k = 0;
                    while let Some(t) = self.toks.get(self.i + k) {
                        match &t.tok {
                            Tok::Op("(") => depth += 1,
                            Tok::Op(")") => {
                                depth = depth.saturating_sub(1);
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        k += 1;
                    }
                    let what = if self.kw_ahead(k + 1, "over") { format!("the window function {first}() … OVER (…)") } else { format!("the function {first}()") };
                    Err(SqlError::not_modelled(pos, &what))
                } else {
                    Ok(Expr::Col { qual: None, name: first, pos })
                }
            }
            Tok::Op("(") if self.kw_ahead(1, "select") => self.scalar(),
            _ => Err(self.syntax_error()),
        }
    }
}

/// Parses one statement.
/// Where a subquery (`EXISTS`, `NOT EXISTS`, `IN (SELECT …)`) is written inside `e`, if one is.
fn sublink_in(e: &Expr) -> Option<usize> {
    match e {
        Expr::Sublink { pos, .. } | Expr::NotIn { pos, .. } | Expr::Scalar { pos, .. } => Some(*pos),
        Expr::And(parts) | Expr::Or(parts) => parts.iter().find_map(sublink_in),
        Expr::Cmp { l, r, .. } => sublink_in(l).or_else(|| sublink_in(r)),
        Expr::Between { e, lo, hi } => sublink_in(e).or_else(|| sublink_in(lo)).or_else(|| sublink_in(hi)),
        Expr::In { e, list } => sublink_in(e).or_else(|| list.iter().find_map(sublink_in)),
        _ => None,
    }
}

pub fn parse(sql: &str) -> Result<Statement, SqlError> {
    if sql.len() > 100_000 {
        return Err(SqlError::plain("statement is longer than 100,000 bytes"));
    }
    let toks = lex(sql)?;
    Parser { toks, i: 0, sublinks: Vec::new(), scalars: Vec::new() }.statement()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_join_with_options() {
        let s = parse("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT c.name, count(*) FROM orders o JOIN customers c ON o.customer_id = c.id WHERE o.total BETWEEN 10 AND 20 AND c.country IN ('DE','FR') GROUP BY c.name ORDER BY count(*) DESC LIMIT 10;").unwrap();
        let e = s.explain.unwrap();
        assert!(e.analyze && e.buffers && e.format == Format::Json);
        assert_eq!(s.select.from.len(), 2);
        // The ON condition, then WHERE's top-level conditions one by one.
        assert_eq!(s.select.conds.len(), 3);
        assert_eq!(s.select.limit, Some(10));
        assert!(s.select.order_by[0].desc);
    }

    /// Valid SQL beyond the subset says so, at its place: never "syntax error", as if the
    /// learner had made a typo.
    #[test]
    fn sql_the_planner_does_not_model_is_named_not_called_a_syntax_error() {
        for (sql, what) in [
            ("WITH RECURSIVE x AS (SELECT 1) SELECT * FROM x", "WITH RECURSIVE"),
            ("SELECT * FROM t WHERE name LIKE 'a%'", "LIKE"),
            ("UPDATE t SET a = 1", "other than SELECT"),
            ("SELECT * FROM t JOIN v ON v.a = t.a FULL JOIN u ON t.a = u.a", "FULL JOIN whose left side is itself a join"),
        ] {
            let e = parse(sql).unwrap_err();
            assert!(e.unsupported && e.message.contains(what) && !e.message.contains("syntax error"), "{sql}: {e:?}");
            assert!(e.render(sql).starts_with("NOT MODELLED:  ") && e.render(sql).contains('^'), "{sql}");
        }
        assert!(!parse("SELECT a, FROM t").unwrap_err().unsupported);
    }

    #[test]
    fn errors_read_like_postgres() {
        let e = parse("SELECT a, FROM t").unwrap_err();
        assert_eq!(e.message, "syntax error at or near \"FROM\"");
        assert_eq!(e.position, Some(11));
        assert_eq!(e.render("SELECT a, FROM t"), "ERROR:  syntax error at or near \"FROM\"\nLINE 1: SELECT a, FROM t\n                  ^");
        assert_eq!(parse("SELECT * FROM t WHERE").unwrap_err().message, "syntax error at end of input");
        assert_eq!(parse("SELECT * FROM t WHERE a = 'x").unwrap_err().message, "unterminated quoted string");
        assert!(parse("SELECT * FROM t FULL OUTER JOIN u ON t.a = u.a").is_ok());
        assert_eq!(parse("SELECT * FROM t FULL u ON t.a = u.a").unwrap_err().message, "syntax error at or near \"u\"");
        assert_eq!(parse("SELECT * FROM t LEFT u ON t.a = u.a").unwrap_err().message, "syntax error at or near \"u\"");
    }

    /// `NOT EXISTS (SELECT … FROM t WHERE …)` among WHERE's conditions is an anti join with `t`.
    #[test]
    fn not_exists_is_an_anti_join_with_its_table() {
        let s = parse("SELECT * FROM a WHERE a.x = 1 AND NOT EXISTS (SELECT 1 FROM b WHERE b.a_id = a.id AND b.y > 2)").unwrap().select;
        assert_eq!(s.from.len(), 2);
        assert_eq!((s.outer.len(), s.outer[0].nullable, s.outer[0].kind == OjKind::Anti, s.outer[0].preserved.clone(), s.conds.len()), (1, 1, true, vec![0], 1));
    }

    /// `LEFT [OUTER] JOIN` keeps its `ON` beside the nullable table; `a RIGHT JOIN b` is read as
    /// `b LEFT JOIN a`, for one table on the left.
    #[test]
    fn outer_joins_parse_with_their_nullable_side() {
        let s = parse("SELECT * FROM a JOIN b ON a.id = b.id LEFT OUTER JOIN c ON c.id = b.id WHERE a.x = 1").unwrap().select;
        assert_eq!((s.outer.len(), s.outer[0].nullable, s.outer[0].preserved.clone(), s.conds.len()), (1, 2, vec![0, 1], 2));
        let r = parse("SELECT * FROM a RIGHT JOIN b ON a.id = b.id").unwrap().select;
        assert_eq!((r.outer[0].nullable, r.outer[0].preserved.clone()), (0, vec![1]));
        let e = parse("SELECT * FROM a JOIN b ON a.id = b.id RIGHT JOIN c ON c.id = a.id").unwrap_err();
        assert!(e.unsupported && e.message.contains("RIGHT JOIN whose left side is itself a join"), "{}", e.message);
    }

    /// `EXISTS` and `x IN (SELECT c …)` among WHERE's conditions are semi joins with the
    /// subquery's table; an IN subquery's column is compared with `x`.
    #[test]
    fn exists_and_in_are_semi_joins_with_their_table() {
        let s = parse("SELECT * FROM a WHERE a.x = 1 AND EXISTS (SELECT 1 FROM b WHERE b.id = a.id)").unwrap().select;
        assert_eq!((s.outer.len(), s.outer[0].nullable, s.outer[0].kind, s.outer[0].test.is_none(), s.conds.len()), (1, 1, OjKind::Semi, true, 1));
        let s = parse("SELECT * FROM a WHERE a.id IN (SELECT b.aid FROM b WHERE b.y > 3)").unwrap().select;
        assert_eq!((s.outer[0].kind, s.from[1].table.as_str(), s.conds.len()), (OjKind::Semi, "b", 0));
        assert!(matches!(&s.outer[0].test, Some((Expr::Col { name: l, .. }, Expr::Col { name: r, .. })) if l == "id" && r == "aid"));
        let e = parse("SELECT * FROM a WHERE a.id IN (SELECT b.x, b.y FROM b)").unwrap_err();
        assert_eq!(e.message, "subquery has too many columns");
    }

    /// Everyday SQL the planner does not model yet is named for what it is, never a syntax error.
    #[test]
    fn what_is_not_modelled_is_named() {
        for (sql, what) in [
            ("SELECT * FROM a WHERE id NOT IN (1, 2)", "NOT IN (…)"),
            ("SELECT * FROM a WHERE id IN (SELECT DISTINCT x FROM b)", "SELECT DISTINCT in an IN subquery"),
            ("SELECT * FROM a WHERE id IN (SELECT max(x) FROM b)", "an IN subquery that selects anything but one column"),
            ("SELECT * FROM a WHERE EXISTS (SELECT 1 FROM b, c WHERE b.id = a.id)", "an EXISTS subquery over more than one table"),
            ("SELECT * FROM a WHERE a.x = 1 OR NOT EXISTS (SELECT 1 FROM b WHERE b.id = a.id)", "a subquery (EXISTS, NOT EXISTS, IN, NOT IN or a scalar (SELECT …)) under OR or NOT"),
            ("SELECT * FROM a WHERE NOT EXISTS (SELECT 1 FROM b JOIN c ON c.id = b.id WHERE b.id = a.id)", "a NOT EXISTS subquery over more than one table"),
            ("SELECT id, row_number() OVER (ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM a", "a window frame (ROWS, RANGE or GROUPS)"),
            ("SELECT id, ntile(4) OVER () FROM a", "the window function ntile() … OVER (…)"),
            ("SELECT id, rank() OVER w FROM a", "a named window (OVER w)"),
            ("SELECT (SELECT max(x) FROM b) FROM a", "a scalar subquery in the select list"),
            ("SELECT * FROM a WHERE x = 1 OR y > (SELECT max(x) FROM b)", "a subquery (EXISTS, NOT EXISTS, IN, NOT IN or a scalar (SELECT …)) under OR or NOT"),
            ("SELECT * FROM a JOIN b ON a.id = b.id FULL JOIN c ON c.id = a.id", "a FULL JOIN whose left side is itself a join"),
            ("SELECT * FROM a CROSS JOIN b", "a CROSS or NATURAL join"),
        ] {
            let e = parse(sql).unwrap_err();
            assert!(e.unsupported && e.message.starts_with(&format!("{what} is valid SQL")), "{sql}: {}", e.message);
        }
    }
}
