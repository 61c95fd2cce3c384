//! A serde `Deserializer` over the document the `toml` crate parsed (`toml::de::DeTable`, with
//! spans). `toml`'s own `ValueDeserializer` does the same, but its scalar conversions are inlined
//! into every type's visitor, which costs each browser page tens of kilobytes; here a value is
//! classified once, by a function that is not generic, and each visitor only dispatches on the
//! result. Every error carries the span of the value (or key) it is about, so it is placed in the
//! file; `toml_de::path_at` names the field from that span.
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A deserialisation error and where it is.
#[derive(Debug)]
pub struct Error {
    pub message: String,
    pub span: Option<Range<usize>>,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error { message: msg.to_string(), span: None }
    }
}

/// Gives an error without a place the place `span`.
fn at<T>(r: Result<T, Error>, span: &Range<usize>) -> Result<T, Error> {
    r.map_err(|mut e| {
        e.span.get_or_insert_with(|| span.clone());
        e
    })
}

/// A value of the document, borrowed, with its span.
#[allow(missing_debug_implementations)]
pub struct Value<'a, 'i> {
    v: &'a DeValue<'i>,
    span: Range<usize>,
}

impl<'a, 'i> Value<'a, 'i> {
    pub fn new(v: &'a Spanned<DeValue<'i>>) -> Self {
        Value { v: v.get_ref(), span: v.span() }
    }

    /// The document's root table.
    pub fn root(t: &'a Spanned<DeTable<'i>>) -> Root<'a, 'i> {
        Root { t: t.get_ref(), span: t.span() }
    }
}

/// What a value is, decided once for every type that reads it.
enum Scalar<'a> {
    Str(&'a str),
    Int(i64),
    Uint(u64),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array,
    Table,
    Overflow(&'static str),
}

fn classify<'a>(v: &'a DeValue<'_>) -> Scalar<'a> {
    match v {
        DeValue::String(s) => Scalar::Str(s.as_ref()),
        DeValue::Integer(i) => match (i64::from_str_radix(i.as_str(), i.radix()), u64::from_str_radix(i.as_str(), i.radix())) {
            (Ok(n), _) => Scalar::Int(n),
            (_, Ok(n)) => Scalar::Uint(n),
            _ => Scalar::Overflow("integer number overflowed"),
        },
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(x) => Scalar::Float(x),
            Err(_) => Scalar::Overflow("floating-point number overflowed"),
        },
        DeValue::Boolean(b) => Scalar::Bool(*b),
        DeValue::Datetime(d) => Scalar::Datetime(d.to_string()),
        DeValue::Array(_) => Scalar::Array,
        DeValue::Table(_) => Scalar::Table,
    }
}

impl<'de> de::Deserializer<'de> for Value<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let span = self.span.clone();
        let r = match (classify(self.v), self.v) {
            (Scalar::Str(s), _) => visitor.visit_str(s),
            (Scalar::Int(n), _) => visitor.visit_i64(n),
            (Scalar::Uint(n), _) => visitor.visit_u64(n),
            (Scalar::Float(x), _) => visitor.visit_f64(x),
            (Scalar::Bool(b), _) => visitor.visit_bool(b),
            (Scalar::Datetime(d), _) => visitor.visit_string(d),
            (Scalar::Overflow(m), _) => Err(de::Error::custom(m)),
            (_, DeValue::Array(a)) => visitor.visit_seq(Seq { items: a.iter() }),
            (_, DeValue::Table(t)) => visitor.visit_map(Map::of(t)),
            _ => Err(de::Error::custom("unreadable value")),
        };
        at(r, &span)
    }

    // A value that is written is `Some`; a missing field is `None` (serde's default).
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let span = self.span.clone();
        at(visitor.visit_some(self), &span)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        let span = self.span.clone();
        at(visitor.visit_newtype_struct(self), &span)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, _variants: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        let span = self.span.clone();
        let r = match self.v {
            DeValue::String(s) => visitor.visit_enum(IntoDeserializer::<Error>::into_deserializer(s.as_ref())),
            _ => Err(de::Error::custom("wanted a string")),
        };
        at(r, &span)
    }

    serde::forward_to_deserialize_any! {
        bool u8 u16 u32 u64 i8 i16 i32 i64 i128 u128 f32 f64 char str string seq
        bytes byte_buf map unit struct ignored_any unit_struct tuple_struct tuple identifier
    }
}

/// The root table (its span is the whole document).
#[allow(missing_debug_implementations)]
pub struct Root<'a, 'i> {
    t: &'a DeTable<'i>,
    span: Range<usize>,
}

impl<'de> de::Deserializer<'de> for Root<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let span = self.span.clone();
        at(visitor.visit_map(Map::of(self.t)), &span)
    }

    serde::forward_to_deserialize_any! {
        bool u8 u16 u32 u64 i8 i16 i32 i64 i128 u128 f32 f64 char str string seq option newtype_struct enum
        bytes byte_buf map unit struct ignored_any unit_struct tuple_struct tuple identifier
    }
}

type Entry<'a, 'i> = (&'a Spanned<toml::de::DeString<'i>>, &'a Spanned<DeValue<'i>>);

struct Map<'a, 'i> {
    entries: std::vec::IntoIter<Entry<'a, 'i>>,
    value: Option<&'a Spanned<DeValue<'i>>>,
}

impl<'a, 'i> Map<'a, 'i> {
    /// A table's entries, `at` and `action` first (a TOML table's keys have no order): a timeline
    /// entry reads its time and its command's name before the command's arguments.
    fn of(t: &'a DeTable<'i>) -> Self {
        let mut entries: Vec<Entry<'a, 'i>> = t.iter().collect();
        entries.sort_by_key(|(k, _)| match k.get_ref().as_ref() {
            "at" => 0,
            "action" => 1,
            _ => 2,
        });
        Map { entries: entries.into_iter(), value: None }
    }
}

impl<'de, 'a, 'i> de::MapAccess<'de> for Map<'a, 'i> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((k, v)) = self.entries.next() else { return Ok(None) };
        self.value = Some(v);
        // An unknown or repeated field is the key's fault: place it there.
        let key: de::value::StrDeserializer<'_, Error> = k.get_ref().as_ref().into_deserializer();
        at(seed.deserialize(key), &k.span()).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        match self.value.take() {
            // A field's own check (a duration's unit, a range) fails after its value was read: it
            // is still that value's fault.
            Some(v) => at(seed.deserialize(Value::new(v)), &v.span()),
            None => Err(de::Error::custom("a value without its key")),
        }
    }
}

struct Seq<'a, 'i> {
    items: std::slice::Iter<'a, Spanned<DeValue<'i>>>,
}

impl<'de> de::SeqAccess<'de> for Seq<'_, '_> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, Error> {
        self.items.next().map(|v| at(seed.deserialize(Value::new(v)), &v.span())).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

#[cfg(test)]
mod tests {
    use crate::base::toml_de::from_str;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        n: u64,
        i: i64,
        x: f64,
        on: bool,
        s: String,
        when: String,
        list: Vec<u32>,
        #[serde(default)]
        maybe: Option<u8>,
        kind: Kind,
        t: Inner,
        #[serde(default)]
        many: Vec<Inner>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        a: u8,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        MoveRange,
    }

    #[test]
    fn every_toml_form_reads_as_its_type() {
        let src = "n = 0x10 # hex\ni = -1_000\nx = 1_0.5e1\non = true\ns = '''\nmulti\nline'''\nwhen = 2026-11-25T00:00:00Z\nlist = [1, 2,\n  3]\nkind = \"move_range\"\nt.a = 7\n[[many]]\na = 1\n[[many]]\na = 2\n";
        let d: Doc = from_str("d.toml", src).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((d.n, d.i, d.x, d.on), (16, -1000, 105.0, true));
        assert_eq!((d.s.as_str(), d.when.as_str(), d.list.as_slice()), ("multi\nline", "2026-11-25T00:00:00Z", &[1, 2, 3][..]));
        assert_eq!((d.maybe, d.kind, d.t, d.many.len()), (None, Kind::MoveRange, Inner { a: 7 }, 2));
    }

    #[test]
    fn errors_are_placed_on_the_key_or_value_at_fault() {
        let base = "n = 1\ni = 1\nx = 1\non = true\ns = \"s\"\nwhen = \"w\"\nlist = []\nkind = \"move_range\"\nt = { a = 1 }\n";
        let err = |extra: &str| from_str::<Doc>("d.toml", &format!("{base}{extra}")).unwrap_err().to_string();
        assert_eq!(err("[[many]]\na = 1\n[[many]]\nb = 2\n"), "d.toml:13:1: field `many[1].b`: unknown field `b`, expected `a`");
        assert_eq!(err("maybe = 300\n"), "d.toml:10:9: field `maybe`: invalid value: integer `300`, expected u8");
        assert_eq!(err("[[many]]\na = \"one\"\n"), "d.toml:11:5: field `many[0].a`: invalid type: string \"one\", expected u8");
        let kind = from_str::<Doc>("d.toml", &base.replace("move_range", "split")).unwrap_err().to_string();
        assert!(kind.starts_with("d.toml:8:8: field `kind`: unknown variant `split`"), "{kind}");
        let missing = from_str::<Doc>("d.toml", &base.replace("t = { a = 1 }", "t = {}")).unwrap_err().to_string();
        assert_eq!(missing, "d.toml:9:5: field `t`: missing field `a`");
    }
}
