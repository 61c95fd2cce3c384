//! A small TOML reader for scenario files: tables, arrays of tables, dotted keys, strings,
//! integers, floats, booleans, arrays and inline tables, each value with its byte offset so
//! errors can name the line. No serde: the browser build stays small.
use std::fmt;

/// A parsed value and where it starts in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub at: usize,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Node>),
    Table(Table),
}

/// Keys in the order written, each with the offset of the key itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub entries: Vec<Entry>,
    /// Defined by a `[header]` or inline (a second definition is an error); implicit tables
    /// (made by `[a.b]` or `a.b = 1`) may still be defined once.
    explicit: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub at: usize,
    pub node: Node,
}

impl Table {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.key == key)
    }
}

impl Value {
    /// What a value is, as an error message says it.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

impl fmt::Display for Value {
    /// The value as TOML would write it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => write!(f, "{}", quote(s)),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Array(a) => {
                write!(f, "[")?;
                for (i, n) in a.iter().enumerate() {
                    write!(f, "{}{}", if i > 0 { ", " } else { "" }, n.value)?;
                }
                write!(f, "]")
            }
            Value::Table(t) => {
                write!(f, "{{")?;
                for (i, e) in t.entries.iter().enumerate() {
                    write!(f, "{} {} = {}", if i > 0 { "," } else { "" }, e.key, e.node.value)?;
                }
                write!(f, " }}")
            }
        }
    }
}

/// A TOML basic string with the escapes it needs.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A syntax error at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub at: usize,
    pub message: String,
}

/// Nesting deeper than this is refused (arrays and inline tables), so input cannot exhaust the stack.
const MAX_DEPTH: usize = 32;

/// Parses a whole document into its root table.
pub fn parse(src: &str) -> Result<Table, SyntaxError> {
    let mut p = Parser { s: src.as_bytes(), src, i: 0 };
    let mut root = Table::default();
    let mut current: Vec<String> = Vec::new();
    loop {
        p.skip_blank_lines();
        if p.i >= p.s.len() {
            return Ok(root);
        }
        if p.peek() == Some(b'[') {
            current = p.header(&mut root)?;
        } else {
            let (path, at) = p.key_path()?;
            p.expect(b'=')?;
            let node = p.value(0)?;
            let table = table_at(&mut root, &current, at)?;
            insert(table, &path, at, node)?;
        }
        p.end_of_line()?;
    }
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

fn err<T>(at: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError { at, message: message.into() })
}

/// The table a path leads to, descending into the last element of arrays of tables.
fn table_at<'t>(root: &'t mut Table, path: &[String], at: usize) -> Result<&'t mut Table, SyntaxError> {
    let mut t = root;
    for key in path {
        let Some(e) = t.get_mut(key) else { return err(at, format!("table `{key}` vanished")) };
        t = match &mut e.node.value {
            Value::Table(inner) => inner,
            Value::Array(a) => match a.last_mut().map(|n| &mut n.value) {
                Some(Value::Table(inner)) => inner,
                _ => return err(at, format!("`{key}` is an array of values, not of tables")),
            },
            other => return err(at, format!("`{key}` is {}, not a table", other.kind())),
        };
    }
    Ok(t)
}

/// Puts `node` under the dotted `path` inside `t`, creating implicit tables on the way.
fn insert(t: &mut Table, path: &[String], at: usize, node: Node) -> Result<(), SyntaxError> {
    let (last, parents) = path.split_last().ok_or(SyntaxError { at, message: "empty key".into() })?;
    let mut t = t;
    for key in parents {
        if t.get(key).is_none() {
            t.entries.push(Entry { key: key.clone(), at, node: Node { at, value: Value::Table(Table::default()) } });
        }
        t = match t.get_mut(key).map(|e| &mut e.node.value) {
            Some(Value::Table(inner)) if !inner.explicit => inner,
            _ => return err(at, format!("key `{key}` is already defined")),
        };
    }
    if t.get(last).is_some() {
        return err(at, format!("duplicate key `{last}`"));
    }
    t.entries.push(Entry { key: last.clone(), at, node });
    Ok(())
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn skip_comment(&mut self) {
        if self.peek() == Some(b'#') {
            while !matches!(self.peek(), None | Some(b'\n')) {
                self.i += 1;
            }
        }
    }

    fn skip_blank_lines(&mut self) {
        loop {
            self.skip_spaces();
            self.skip_comment();
            match self.peek() {
                Some(b'\n') => self.i += 1,
                Some(b'\r') if self.s.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                _ => return,
            }
        }
    }

    /// Whitespace, comments and newlines inside arrays and inline tables' neighbourhoods.
    fn skip_space_in_array(&mut self) {
        loop {
            self.skip_blank_lines();
            if !matches!(self.peek(), Some(b'\r')) {
                return;
            }
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), SyntaxError> {
        self.skip_spaces();
        if self.peek() == Some(c) {
            self.i += 1;
            self.skip_spaces();
            Ok(())
        } else {
            err(self.i, format!("expected `{}`, found {}", c as char, self.found()))
        }
    }

    fn found(&self) -> String {
        match self.src.get(self.i..).and_then(|r| r.chars().next()) {
            None => "the end of the file".into(),
            Some('\n') => "the end of the line".into(),
            Some(c) => format!("`{c}`"),
        }
    }

    fn end_of_line(&mut self) -> Result<(), SyntaxError> {
        self.skip_spaces();
        self.skip_comment();
        match self.peek() {
            None => Ok(()),
            Some(b'\n') => Ok(()),
            Some(b'\r') if self.s.get(self.i + 1) == Some(&b'\n') => Ok(()),
            _ => err(self.i, format!("expected the end of the line, found {}", self.found())),
        }
    }

    /// `[a.b]` or `[[a.b]]`: defines the table (or appends one) and returns its path.
    fn header(&mut self, root: &mut Table) -> Result<Vec<String>, SyntaxError> {
        let open = self.i;
        self.i += 1;
        let array = self.peek() == Some(b'[');
        if array {
            self.i += 1;
        }
        self.skip_spaces();
        let (path, _) = self.key_path()?;
        let at = open;
        self.expect(b']')?;
        if array && self.peek() != Some(b']') {
            return err(self.i, "expected `]]` to close an array-of-tables header");
        }
        if array {
            self.i += 1;
        }
        let (last, parents) = path.split_last().ok_or(SyntaxError { at, message: "empty table name".into() })?;
        let mut t = &mut *root;
        for key in parents {
            if t.get(key).is_none() {
                t.entries.push(Entry { key: key.clone(), at, node: Node { at, value: Value::Table(Table::default()) } });
            }
            t = table_at(t, std::slice::from_ref(key), at)?;
        }
        let fresh = Table { entries: Vec::new(), explicit: true };
        match (t.get_mut(last).map(|e| &mut e.node.value), array) {
            (None, false) => t.entries.push(Entry { key: last.clone(), at, node: Node { at, value: Value::Table(fresh) } }),
            (None, true) => t.entries.push(Entry { key: last.clone(), at, node: Node { at, value: Value::Array(vec![Node { at, value: Value::Table(fresh) }]) } }),
            (Some(Value::Table(existing)), false) if !existing.explicit => existing.explicit = true,
            (Some(Value::Array(a)), true) if a.iter().all(|n| matches!(n.value, Value::Table(_))) => a.push(Node { at, value: Value::Table(fresh) }),
            _ => return err(at, format!("table `{}` is defined twice", path.join("."))),
        }
        Ok(path)
    }

    /// `a`, `a.b`, `"quoted key".c`; returns the parts and the offset of the first.
    fn key_path(&mut self) -> Result<(Vec<String>, usize), SyntaxError> {
        let at = self.i;
        let mut parts = vec![self.key()?];
        loop {
            self.skip_spaces();
            if self.peek() != Some(b'.') {
                return Ok((parts, at));
            }
            self.i += 1;
            self.skip_spaces();
            parts.push(self.key()?);
        }
    }

    fn key(&mut self) -> Result<String, SyntaxError> {
        match self.peek() {
            Some(b'"') => self.basic_string(),
            Some(b'\'') => self.literal_string(),
            _ => {
                let start = self.i;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
                    self.i += 1;
                }
                if start == self.i {
                    return err(self.i, format!("expected a key, found {}", self.found()));
                }
                Ok(self.src[start..self.i].to_string())
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return err(self.i, format!("values nested more than {MAX_DEPTH} deep"));
        }
        let at = self.i;
        let value = match self.peek() {
            Some(b'"') => Value::Str(self.basic_string()?),
            Some(b'\'') => Value::Str(self.literal_string()?),
            Some(b'[') => Value::Array(self.array(depth)?),
            Some(b'{') => Value::Table(self.inline_table(depth)?),
            Some(c) if c.is_ascii_digit() || c == b'+' || c == b'-' || c == b'.' => self.number()?,
            Some(c) if c.is_ascii_alphabetic() => self.boolean()?,
            _ => return err(at, format!("expected a value, found {}", self.found())),
        };
        Ok(Node { at, value })
    }

    fn boolean(&mut self) -> Result<Value, SyntaxError> {
        for (word, v) in [("true", true), ("false", false)] {
            if self.src[self.i..].starts_with(word) {
                self.i += word.len();
                return Ok(Value::Bool(v));
            }
        }
        let word: String = self.src[self.i..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        err(self.i, format!("expected a value, found `{word}` (strings need quotes)"))
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.i;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'_' | b':')) {
            self.i += 1;
        }
        let text = &self.src[start..self.i];
        if text.contains(':') || (text.len() >= 10 && text.as_bytes().get(4) == Some(&b'-')) {
            return err(start, format!("`{text}`: dates and times must be written as strings here, like \"2026-11-25T14:00:00Z\""));
        }
        let clean = text.replace('_', "");
        if let Some(hex) = clean.strip_prefix("0x") {
            return i64::from_str_radix(hex, 16).map(Value::Int).or_else(|_| err(start, format!("`{text}` is not a number")));
        }
        if let Ok(i) = clean.parse::<i64>() {
            return Ok(Value::Int(i));
        }
        match clean.parse::<f64>() {
            Ok(x) if x.is_finite() && !clean.starts_with('.') && !clean.ends_with('.') => Ok(Value::Float(x)),
            _ => err(start, format!("`{text}` is not a number")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Vec<Node>, SyntaxError> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            self.skip_space_in_array();
            if self.peek() == Some(b']') {
                self.i += 1;
                return Ok(out);
            }
            out.push(self.value(depth + 1)?);
            self.skip_space_in_array();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                _ => return err(self.i, format!("expected `,` or `]` in an array, found {}", self.found())),
            }
        }
    }

    fn inline_table(&mut self, depth: usize) -> Result<Table, SyntaxError> {
        self.i += 1;
        let mut t = Table::default();
        self.skip_spaces();
        if self.peek() == Some(b'}') {
            self.i += 1;
            t.explicit = true;
            return Ok(t);
        }
        loop {
            self.skip_spaces();
            let (path, at) = self.key_path()?;
            self.expect(b'=')?;
            let node = self.value(depth + 1)?;
            insert(&mut t, &path, at, node)?;
            self.skip_spaces();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    t.explicit = true;
                    return Ok(t);
                }
                _ => return err(self.i, format!("expected `,` or `}}` in an inline table, found {}", self.found())),
            }
        }
    }

    fn literal_string(&mut self) -> Result<String, SyntaxError> {
        let start = self.i;
        self.i += 1;
        let body = self.i;
        while !matches!(self.peek(), None | Some(b'\'' | b'\n')) {
            self.i += 1;
        }
        if self.peek() != Some(b'\'') {
            return err(start, "unterminated string");
        }
        self.i += 1;
        Ok(self.src[body..self.i - 1].to_string())
    }

    fn basic_string(&mut self) -> Result<String, SyntaxError> {
        let start = self.i;
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.src[self.i..];
            let Some(c) = rest.chars().next() else { return err(start, "unterminated string") };
            self.i += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\n' => return err(start, "unterminated string"),
                '\\' => out.push(self.escape()?),
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self) -> Result<char, SyntaxError> {
        let at = self.i - 1;
        let c = self.peek().ok_or(SyntaxError { at, message: "unterminated string".into() })?;
        self.i += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'u' | b'U' => {
                let n = if c == b'u' { 4 } else { 8 };
                let hex = self.src.get(self.i..self.i + n).unwrap_or("");
                self.i += n;
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32).ok_or(SyntaxError { at, message: format!("bad unicode escape `\\{}{hex}`", c as char) })?
            }
            _ => return err(at, format!("unknown escape `\\{}`", c as char)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(t: &'a Table, key: &str) -> &'a Value {
        &t.get(key).unwrap().node.value
    }

    #[test]
    fn reads_the_shapes_scenarios_use() {
        let src = "# c\n[lesson]\ntitle = \"a \\\"b\\\" \\u00e9\" # note\nwatch = [\n  \"x\", # one\n  'y',\n]\n[[nodes]]\nname = \"pg1\"\ndata_mb = 2_048\n[[nodes]]\nname = \"pg2\"\n[expect.metrics]\ncommits_lost = { max = 0 }\nrate = 0.05\nneg = -3\nyes = true\na.b = 1\n";
        let root = parse(src).unwrap();
        let lesson = match get(&root, "lesson") {
            Value::Table(t) => t,
            v => panic!("{v:?}"),
        };
        assert_eq!(get(lesson, "title"), &Value::Str("a \"b\" é".into()));
        let Value::Array(watch) = get(lesson, "watch") else { panic!() };
        assert_eq!(watch.iter().map(|n| (&src[n.at..n.at + 3], &n.value)).collect::<Vec<_>>(), [("\"x\"", &Value::Str("x".into())), ("'y'", &Value::Str("y".into()))]);
        let Value::Array(nodes) = get(&root, "nodes") else { panic!() };
        assert_eq!(nodes.len(), 2);
        let Value::Table(n0) = &nodes[0].value else { panic!() };
        assert_eq!(get(n0, "data_mb"), &Value::Int(2048));
        let Value::Table(e) = get(&root, "expect") else { panic!() };
        let Value::Table(m) = get(e, "metrics") else { panic!() };
        assert_eq!(get(m, "rate"), &Value::Float(0.05));
        assert_eq!(get(m, "neg"), &Value::Int(-3));
        assert_eq!(get(m, "yes"), &Value::Bool(true));
        assert_eq!(get(m, "commits_lost").to_string(), "{ max = 0 }");
        let Value::Table(a) = get(m, "a") else { panic!() };
        assert_eq!(get(a, "b"), &Value::Int(1));
        assert_eq!(&src[root.get("nodes").unwrap().at..][..9], "[[nodes]]");
    }

    #[test]
    fn bad_input_is_an_error_at_its_place() {
        for (src, at, says) in [
            ("this is [ not toml", 5, "expected `=`"),
            ("a = 1\na = 2", 6, "duplicate key `a`"),
            ("[a]\n[a]", 4, "defined twice"),
            ("a = \"open", 4, "unterminated"),
            ("a = [1, 2", 9, "expected `,` or `]`"),
            ("a = 2026-11-25", 4, "strings"),
            ("a = nope", 4, "strings need quotes"),
            ("a = 1 b", 6, "end of the line"),
            ("a = 1.", 4, "not a number"),
        ] {
            let e = parse(src).unwrap_err();
            assert_eq!(e.at, at, "{src}: {e:?}");
            assert!(e.message.contains(says), "{src}: {}", e.message);
        }
        let deep = format!("a = {}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(&deep).unwrap_err().message.contains("nested"));
    }

    #[test]
    fn quoting_round_trips() {
        for s in ["plain", "with \"quotes\" and \\ and\nnewline\tand \u{1}"] {
            let root = parse(&format!("k = {}", quote(s))).unwrap();
            assert_eq!(get(&root, "k"), &Value::Str(s.into()));
        }
    }
}
