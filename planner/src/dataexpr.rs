//! A column's data as an expression of the row number `g`, as `INSERT … SELECT … FROM
//! generate_series(1, n) g` writes it: integer arithmetic (`+ - * / %` with PostgreSQL's
//! truncating division and its sign of `%`), parentheses, `CASE WHEN … THEN … [ELSE …] END` with
//! comparisons, AND, OR and NOT, NULL, and dbsim's random distributions as functions
//! (`uniform(n)`, `zipf(n, s)`). Values outside PostgreSQL's integer are refused, as is a
//! division by zero, with the row that made them.
use crate::catalog::NULL;

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum DataExpr {
    G,
    Int(i64),
    Null,
    Neg(Box<DataExpr>),
    Bin(char, Box<DataExpr>, Box<DataExpr>),
    /// `CASE WHEN cond THEN value … ELSE value END`.
    Case(Vec<(Cond, DataExpr)>, Box<DataExpr>),
    /// `uniform(n)`: 1..=n, each equally likely.
    Uniform(u64),
    /// `zipf(n, s)`: 1..=n, 1 the most common.
    Zipf(u64, f64),
}

/// A condition of CASE WHEN.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    Cmp(&'static str, DataExpr, DataExpr),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
}

/// A parse or evaluation error: the byte offset in the expression and the message.
pub type ExprError = (usize, String);

impl DataExpr {
    pub fn parse(src: &str) -> Result<DataExpr, ExprError> {
        if src.len() > 4096 {
            return Err((0, "an expression of more than 4096 bytes".into()));
        }
        let toks = tokens(src)?;
        let mut p = P { toks, i: 0, depth: 0, end: src.len() };
        let e = p.expr()?;
        match p.toks.get(p.i) {
            None => Ok(e),
            Some((at, t)) => Err((*at, format!("syntax error at or near \"{t}\""))),
        }
    }

    /// Whether it draws random numbers (PostgreSQL cannot repeat it row for row).
    pub fn is_random(&self) -> bool {
        match self {
            DataExpr::Uniform(_) | DataExpr::Zipf(..) => true,
            DataExpr::Neg(a) => a.is_random(),
            DataExpr::Bin(_, a, b) => a.is_random() || b.is_random(),
            DataExpr::Case(arms, e) => e.is_random() || arms.iter().any(|(c, v)| c.is_random() || v.is_random()),
            _ => false,
        }
    }

    /// The value for row `g`; `draw` draws from a distribution. An integer result must fit
    /// PostgreSQL's integer.
    pub fn eval(&self, g: i64, draw: &mut dyn FnMut(&DataExpr) -> i64) -> Result<i64, String> {
        let v = match self {
            DataExpr::G => g,
            DataExpr::Int(v) => *v,
            DataExpr::Null => NULL,
            DataExpr::Uniform(_) | DataExpr::Zipf(..) => draw(self),
            DataExpr::Neg(a) => match a.eval(g, draw)? {
                NULL => NULL,
                x => -x,
            },
            DataExpr::Bin(op, a, b) => {
                let (x, y) = (a.eval(g, draw)?, b.eval(g, draw)?);
                if x == NULL || y == NULL {
                    return Ok(NULL);
                }
                match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x.checked_mul(y).ok_or("integer out of range")?,
                    // Truncating, as PostgreSQL's (and C's) division and remainder are.
                    '/' | '%' if y == 0 => return Err("division by zero".into()),
                    '/' => x / y,
                    _ => x % y,
                }
            }
            DataExpr::Case(arms, otherwise) => {
                for (c, v) in arms {
                    if c.eval(g, draw)? == Some(true) {
                        return v.eval(g, draw);
                    }
                }
                otherwise.eval(g, draw)?
            }
        };
        if v != NULL && !(i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&v) {
            return Err("integer out of range".into());
        }
        Ok(v)
    }

    /// The expression as SQL for PostgreSQL (`g` is generate_series's column).
    pub fn sql(&self) -> String {
        match self {
            DataExpr::G => "g".into(),
            DataExpr::Int(v) if *v < 0 => format!("({v})"),
            DataExpr::Int(v) => v.to_string(),
            DataExpr::Null => "NULL::integer".into(),
            DataExpr::Neg(a) => format!("(-{})", a.sql()),
            DataExpr::Bin(op, a, b) => format!("({} {op} {})", a.sql(), b.sql()),
            DataExpr::Case(arms, e) => {
                let arms: Vec<String> = arms.iter().map(|(c, v)| format!("WHEN {} THEN {}", c.sql(), v.sql())).collect();
                format!("(CASE {} ELSE {} END)", arms.join(" "), e.sql())
            }
            DataExpr::Uniform(n) => format!("uniform({n})"),
            DataExpr::Zipf(n, s) => format!("zipf({n}, {s})"),
        }
    }
}

impl Cond {
    fn is_random(&self) -> bool {
        match self {
            Cond::Cmp(_, a, b) => a.is_random() || b.is_random(),
            Cond::And(a, b) | Cond::Or(a, b) => a.is_random() || b.is_random(),
            Cond::Not(a) => a.is_random(),
        }
    }

    /// Three-valued: None is NULL.
    fn eval(&self, g: i64, draw: &mut dyn FnMut(&DataExpr) -> i64) -> Result<Option<bool>, String> {
        Ok(match self {
            Cond::Cmp(op, a, b) => {
                let (x, y) = (a.eval(g, draw)?, b.eval(g, draw)?);
                if x == NULL || y == NULL {
                    None
                } else {
                    Some(match *op {
                        "=" => x == y,
                        "<>" => x != y,
                        "<" => x < y,
                        "<=" => x <= y,
                        ">" => x > y,
                        _ => x >= y,
                    })
                }
            }
            Cond::And(a, b) => match (a.eval(g, draw)?, b.eval(g, draw)?) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Cond::Or(a, b) => match (a.eval(g, draw)?, b.eval(g, draw)?) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Cond::Not(a) => a.eval(g, draw)?.map(|x| !x),
        })
    }

    fn sql(&self) -> String {
        match self {
            Cond::Cmp(op, a, b) => format!("{} {op} {}", a.sql(), b.sql()),
            Cond::And(a, b) => format!("({} AND {})", a.sql(), b.sql()),
            Cond::Or(a, b) => format!("({} OR {})", a.sql(), b.sql()),
            Cond::Not(a) => format!("(NOT {})", a.sql()),
        }
    }
}

fn tokens(src: &str) -> Result<Vec<(usize, String)>, ExprError> {
    let mut out = Vec::new();
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let s = i;
            while i < b.len() && ((b[i] as char).is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            out.push((s, src[s..i].to_string()));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let s = i;
            while i < b.len() && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((s, src[s..i].to_ascii_lowercase()));
        } else if ["<>", "<=", ">=", "!="].iter().any(|op| src[i..].starts_with(op)) {
            out.push((i, if &src[i..i + 2] == "!=" { "<>".to_string() } else { src[i..i + 2].to_string() }));
            i += 2;
        } else if "+-*/%()=<>,".contains(c) {
            out.push((i, c.to_string()));
            i += 1;
        } else {
            return Err((i, format!("syntax error at or near \"{}\"", src[i..].chars().next().unwrap_or(' '))));
        }
        if out.len() > 1000 {
            return Err((i, "an expression of more than 1000 tokens".into()));
        }
    }
    Ok(out)
}

struct P {
    toks: Vec<(usize, String)>,
    i: usize,
    depth: usize,
    /// Where the input ends.
    end: usize,
}

impl P {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.i).map(|(_, t)| t.as_str())
    }
    fn at(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |(a, _)| *a)
    }
    fn eat(&mut self, t: &str) -> bool {
        if self.peek() == Some(t) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, t: &str) -> Result<(), ExprError> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(self.error())
        }
    }
    fn error(&self) -> ExprError {
        match self.peek() {
            Some(t) => (self.at(), format!("syntax error at or near \"{t}\"")),
            None => (self.at(), "syntax error at end of input".into()),
        }
    }
    fn deeper(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > 64 {
            return Err((self.at(), "an expression nested more than 64 deep".into()));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<DataExpr, ExprError> {
        self.deeper()?;
        let mut e = self.term()?;
        while let Some(op) = self.peek().filter(|t| *t == "+" || *t == "-").map(|t| t.chars().next().unwrap_or('+')) {
            self.i += 1;
            e = DataExpr::Bin(op, Box::new(e), Box::new(self.term()?));
        }
        self.depth -= 1;
        Ok(e)
    }
    fn term(&mut self) -> Result<DataExpr, ExprError> {
        let mut e = self.factor()?;
        while let Some(op) = self.peek().filter(|t| ["*", "/", "%"].contains(t)).map(|t| t.chars().next().unwrap_or('*')) {
            self.i += 1;
            e = DataExpr::Bin(op, Box::new(e), Box::new(self.factor()?));
        }
        Ok(e)
    }
    fn factor(&mut self) -> Result<DataExpr, ExprError> {
        let at = self.at();
        let Some(t) = self.peek().map(str::to_string) else { return Err(self.error()) };
        self.i += 1;
        match t.as_str() {
            "-" => Ok(DataExpr::Neg(Box::new(self.factor()?))),
            "(" => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            "g" => Ok(DataExpr::G),
            "null" => Ok(DataExpr::Null),
            "case" => {
                let mut arms = Vec::new();
                while self.eat("when") {
                    let c = self.cond()?;
                    self.expect("then")?;
                    arms.push((c, self.expr()?));
                }
                if arms.is_empty() {
                    return Err(self.error());
                }
                let otherwise = if self.eat("else") { self.expr()? } else { DataExpr::Null };
                self.expect("end")?;
                Ok(DataExpr::Case(arms, Box::new(otherwise)))
            }
            "uniform" | "zipf" => {
                self.expect("(")?;
                let n = self.number()?;
                let e = if t == "uniform" {
                    DataExpr::Uniform(n as u64)
                } else {
                    self.expect(",")?;
                    let s_at = self.at();
                    let s: f64 =
                        self.toks.get(self.i).and_then(|(_, x)| x.parse().ok()).filter(|s: &f64| *s > 0.0 && s.is_finite()).ok_or((s_at, "zipf's exponent must be a positive number".to_string()))?;
                    self.i += 1;
                    DataExpr::Zipf(n as u64, s)
                };
                self.expect(")")?;
                if n < 1 {
                    return Err((at, format!("{t}(n) needs n of 1 or more")));
                }
                Ok(e)
            }
            _ if t.chars().all(|c| c.is_ascii_digit()) => {
                t.parse::<i64>().ok().filter(|v| *v <= i64::from(i32::MAX)).map(DataExpr::Int).ok_or((at, format!("value \"{t}\" is out of range for type integer")))
            }
            _ if t.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) => Err((at, format!("column \"{t}\" does not exist (an expression reads g, the row number)"))),
            _ => Err((at, format!("syntax error at or near \"{t}\""))),
        }
    }
    fn number(&mut self) -> Result<i64, ExprError> {
        let at = self.at();
        let n = self.toks.get(self.i).and_then(|(_, t)| t.parse::<i64>().ok()).ok_or_else(|| (at, "a whole number is needed here".to_string()))?;
        self.i += 1;
        Ok(n)
    }
    fn cond(&mut self) -> Result<Cond, ExprError> {
        self.deeper()?;
        let mut c = self.cond_and()?;
        while self.eat("or") {
            c = Cond::Or(Box::new(c), Box::new(self.cond_and()?));
        }
        self.depth -= 1;
        Ok(c)
    }
    fn cond_and(&mut self) -> Result<Cond, ExprError> {
        let mut c = self.cond_not()?;
        while self.eat("and") {
            c = Cond::And(Box::new(c), Box::new(self.cond_not()?));
        }
        Ok(c)
    }
    fn cond_not(&mut self) -> Result<Cond, ExprError> {
        if self.eat("not") {
            return Ok(Cond::Not(Box::new(self.cond_not()?)));
        }
        let l = self.expr()?;
        let op = match self.peek() {
            Some("=") => "=",
            Some("<>") => "<>",
            Some("<") => "<",
            Some("<=") => "<=",
            Some(">") => ">",
            Some(">=") => ">=",
            _ => return Err(self.error()),
        };
        self.i += 1;
        Ok(Cond::Cmp(op, l, self.expr()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(src: &str, g: i64) -> Result<i64, String> {
        DataExpr::parse(src).map_err(|e| e.1)?.eval(g, &mut |_| 0)
    }

    #[test]
    fn arithmetic_is_postgres_integer_arithmetic() {
        assert_eq!(at("1 + (g * 7919) % 20000", 3), Ok(1 + (3 * 7919) % 20000));
        assert_eq!(at("-7 / 2", 0), Ok(-3));
        assert_eq!(at("-7 % 3", 0), Ok(-1));
        assert_eq!(at("2 + 3 * 4 - 1", 0), Ok(13));
        assert_eq!(at("g / 0", 5), Err("division by zero".into()));
        assert_eq!(at("g * 100000", 100000), Err("integer out of range".into()));
        assert_eq!(at("CASE WHEN g % 20 = 0 THEN 2 WHEN g % 3 = 0 OR g > 90 THEN 3 ELSE 1 END", 40), Ok(2));
        assert_eq!(at("CASE WHEN g % 20 = 0 THEN 2 WHEN g % 3 = 0 OR g > 90 THEN 3 ELSE 1 END", 91), Ok(3));
        assert_eq!(at("CASE WHEN NOT g < 5 AND g <> 7 THEN 1 END", 7), Ok(NULL));
        assert_eq!(at("NULL + 1", 1), Ok(NULL));
        assert!(!DataExpr::parse("1 + (g * 7919) % 20000").unwrap().is_random());
        assert!(DataExpr::parse("CASE WHEN g > 3 THEN uniform(10) ELSE 0 END").unwrap().is_random());
    }

    #[test]
    fn bad_expressions_are_placed() {
        assert_eq!(DataExpr::parse("1 + ").unwrap_err(), (4, "syntax error at end of input".into()));
        assert_eq!(DataExpr::parse("g + x").unwrap_err().0, 4);
        assert!(DataExpr::parse("g + x").unwrap_err().1.contains("column \"x\" does not exist"));
        assert_eq!(DataExpr::parse("(g").unwrap_err().1, "syntax error at end of input");
        assert_eq!(DataExpr::parse("g $ 2").unwrap_err(), (2, "syntax error at or near \"$\"".into()));
        assert!(DataExpr::parse(&"(".repeat(200)).is_err());
        assert!(DataExpr::parse("uniform(0)").is_err());
    }

    #[test]
    fn sql_is_what_postgres_reads() {
        let e = DataExpr::parse("CASE WHEN g % 20 = 0 THEN 2 ELSE -1 END").unwrap();
        assert_eq!(e.sql(), "(CASE WHEN (g % 20) = 0 THEN 2 ELSE (-1) END)");
    }
}
