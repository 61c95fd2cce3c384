//! The catalog shared by the query planner and the cluster world: tables of typed columns, B-tree
//! indexes and extended statistics, and how big PostgreSQL makes them on disk (heap pages packed as
//! `heap_insert` packs them, B-tree pages as `nbtsort.c` builds them with deduplication).
//! [`TableInfo`] is a table as both sides see it: the planner's database lists its generated
//! tables this way, and the cluster world sizes the tables its clients write.
use serde::{Deserialize, Serialize};

/// PostgreSQL's block size.
pub const BLCKSZ: f64 = 8192.0;
/// `MAXALIGN` on 64-bit platforms.
pub const MAXALIGN: usize = 8;
/// The stored value of SQL NULL.
pub const NULL: i64 = i64::MIN;

pub fn maxalign(n: usize) -> usize {
    n.div_ceil(MAXALIGN) * MAXALIGN
}

/// Column types. Text values are stored as codes into a sorted domain so that comparisons stay
/// integer comparisons: code `2k` is the domain's k-th string, and a literal that falls between
/// two strings gets the odd code between them, so `=` never matches it and `<` orders it right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ColType {
    #[serde(alias = "integer", alias = "int4")]
    Int,
    #[serde(alias = "int8")]
    Bigint,
    Text,
}

impl ColType {
    /// The type's name as `CREATE TABLE` and EXPLAIN casts write it.
    pub fn sql(self) -> &'static str {
        match self {
            ColType::Int => "integer",
            ColType::Bigint => "bigint",
            ColType::Text => "text",
        }
    }
    /// `typlen` and `typalign` of a fixed-width type.
    fn fixed(self) -> Option<usize> {
        match self {
            ColType::Int => Some(4),
            ColType::Bigint => Some(8),
            ColType::Text => None,
        }
    }
}

/// The strings a text column can hold: an explicit list (sorted on load), or `prefix` followed by a
/// zero-padded number, which sorts like the number.
#[derive(Clone, Debug, PartialEq)]
pub enum TextDomain {
    List(Vec<String>),
    Pattern { prefix: String, digits: usize },
}

impl TextDomain {
    /// The string of code `v` (an even code).
    pub fn render(&self, v: i64) -> String {
        let k = (v / 2).max(0) as usize;
        match self {
            TextDomain::List(l) => l.get(k).cloned().unwrap_or_default(),
            TextDomain::Pattern { prefix, digits } => format!("{prefix}{k:0digits$}"),
        }
    }
    /// The code of a literal: even if it is in the domain, odd if it falls between two values.
    pub fn encode(&self, s: &str) -> i64 {
        match self {
            TextDomain::List(l) => match l.binary_search_by(|x| x.as_str().cmp(s)) {
                Ok(k) => 2 * k as i64,
                Err(k) => 2 * k as i64 - 1,
            },
            TextDomain::Pattern { prefix, digits } => {
                if let Some(rest) = s.strip_prefix(prefix.as_str()) {
                    if rest.len() == *digits && rest.bytes().all(|b| b.is_ascii_digit()) {
                        if let Ok(k) = rest.parse::<i64>() {
                            return 2 * k;
                        }
                    }
                }
                // Outside the pattern: order it against the prefix by plain string comparison.
                let first = format!("{prefix}{:0digits$}", 0);
                if s < first.as_str() {
                    -1
                } else {
                    i64::MAX - 1
                }
            }
        }
    }
    /// Bytes of the string of code `v`, with its 1-byte short varlena header.
    pub fn width(&self, v: i64) -> usize {
        match self {
            TextDomain::List(l) => l.get((v / 2).max(0) as usize).map_or(0, |s| s.len()) + 1,
            TextDomain::Pattern { prefix, digits } => prefix.len() + digits + 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: ColType,
    pub text: Option<TextDomain>,
}

impl Column {
    /// Bytes the value takes in a heap tuple after `off` bytes, alignment padding included.
    pub fn stored_after(&self, off: usize, v: i64) -> usize {
        match self.ty.fixed() {
            Some(len) => off.div_ceil(len) * len + len - off,
            None => self.text.as_ref().map_or(1, |d| d.width(v)),
        }
    }
    /// The average width (`pg_stats.avg_width`) of a value.
    pub fn fixed_width(&self) -> Option<usize> {
        self.ty.fixed()
    }
    /// A value as SQL writes it: `42` or `'abc'`.
    pub fn literal(&self, v: i64) -> String {
        match &self.text {
            Some(d) => format!("'{}'", d.render(v)),
            None => v.to_string(),
        }
    }
    /// A value as EXPLAIN writes a constant: `42`, `'-400'::integer` (ruleutils quotes a negative
    /// number and labels its type) or `'abc'::text`.
    pub fn explain_literal(&self, v: i64) -> String {
        match &self.text {
            Some(d) => format!("'{}'::text", d.render(v)),
            None if v < 0 => format!("'{v}'::{}", self.ty.sql()),
            None => v.to_string(),
        }
    }
}

/// The bytes of one heap tuple (header, null bitmap, aligned data) and its line pointer.
pub fn heap_tuple_bytes(cols: &[Column], row: impl Iterator<Item = i64>) -> usize {
    let mut data = 0;
    let mut has_null = false;
    for (c, v) in cols.iter().zip(row) {
        if v == NULL {
            has_null = true;
        } else {
            data += c.stored_after(data, v);
        }
    }
    let header = if has_null { maxalign(23 + cols.len().div_ceil(8)) } else { 24 };
    maxalign(header + data) + 4
}

/// Heap pages for tuples of these sizes, filled in order as `heap_insert` fills a fresh table:
/// a page takes a tuple while it has room for it (8,168 usable bytes, at most 291 tuples).
pub fn heap_pages(sizes: impl Iterator<Item = usize>) -> u64 {
    heap_page_of(sizes).last().map_or(0, |&p| u64::from(p) + 1)
}

/// The heap page (0 for the first) each tuple lands on, filled as [`heap_pages`] fills them.
pub fn heap_page_of(sizes: impl Iterator<Item = usize>) -> Vec<u32> {
    const USABLE: usize = 8192 - 24;
    let mut out = Vec::with_capacity(sizes.size_hint().0);
    let (mut page, mut free, mut count) = (None::<u32>, 0usize, 291usize);
    for s in sizes {
        if s > free || count >= 291 {
            page = Some(page.map_or(0, |p| p + 1));
            free = USABLE;
            count = 0;
        }
        free -= s.min(free);
        count += 1;
        out.push(page.unwrap_or(0));
    }
    out
}

/// What [`heap_pages`] gives for `rows` tuples of `size` bytes each, without visiting them: a
/// page takes as many as fit in its 8,168 usable bytes, at most 291.
pub fn heap_pages_fixed(size: usize, rows: u64) -> u64 {
    let per_page = ((8192 - 24) / size.max(1)).clamp(1, 291) as u64;
    rows.div_ceil(per_page)
}

/// A B-tree index.
#[derive(Clone, Debug, PartialEq)]
pub struct Index {
    pub name: String,
    pub table: usize,
    pub columns: Vec<usize>,
    pub unique: bool,
    /// `relpages` of the built index.
    pub pages: f64,
    /// Levels above the leaves (`_bt_getrootheight`).
    pub tree_height: u32,
}

/// A B-tree page's room for entries: the page less its header and special space.
const BT_USABLE: usize = 8192 - 24 - 16;
/// The free space fillfactor 90 leaves in a leaf.
const FULL: usize = 8192 * 10 / 100;

/// The size of a freshly built B-tree over `keys` (already sorted) whose entries take `key_bytes`
/// of key data: leaves filled to fillfactor 90, duplicates merged into posting lists unless unique,
/// inner levels over the leaves, and the metapage. Returns (pages, tree height).
pub fn btree_size(sorted_keys: &[i64], key_bytes: usize, unique: bool) -> (f64, u32) {
    let leaves = btree_leaves(sorted_keys, key_bytes, unique).last().map_or(1, |&l| u64::from(l) + 1);
    with_inner_pages(leaves, maxalign(8 + key_bytes))
}

/// The leaf page (0 for the leftmost) that holds each entry of a freshly built B-tree over
/// `sorted_keys`, filled as [`btree_size`] fills it: what an index scan reads leaf by leaf.
pub fn btree_leaves(sorted_keys: &[i64], key_bytes: usize, unique: bool) -> Vec<u32> {
    const USABLE: usize = BT_USABLE;
    let item = maxalign(8 + key_bytes);
    let max_posting = (USABLE / 3 / 2).saturating_sub(item) / 6; // BTMaxItemSize / 2, in 6-byte TIDs
    let mut out = Vec::with_capacity(sorted_keys.len());
    let mut leaf = 0u32;
    let mut free = USABLE - item; // the high key
    let mut i = 0;
    while i < sorted_keys.len() {
        let mut run = 1;
        if !unique {
            while i + run < sorted_keys.len() && sorted_keys[i + run] == sorted_keys[i] && run < max_posting.max(1) {
                run += 1;
            }
        }
        let size = if run > 1 { maxalign(item + 6 * run) } else { item } + 4;
        if free < FULL || free < size {
            leaf += 1;
            free = USABLE - item;
        }
        free = free.saturating_sub(size);
        out.extend(std::iter::repeat_n(leaf, run));
        i += run;
    }
    out
}

/// A B-tree's pages and height over `leaves` leaf pages of entries `item` bytes long: inner pages
/// hold one downlink (key + TID) per child, filled to 70 % as nbtsort does, plus the metapage.
fn with_inner_pages(leaves: u64, item: usize) -> (f64, u32) {
    let per_inner = ((BT_USABLE * 70 / 100) / (item + 4)).max(2) as u64;
    let (mut level, mut pages, mut height) = (leaves, leaves, 0u32);
    while level > 1 {
        level = level.div_ceil(per_inner);
        pages += level;
        height += 1;
    }
    (pages as f64 + 1.0, height)
}

/// The size of a freshly built unique B-tree over `n` distinct keys of `key_bytes` each: what
/// [`btree_size`] gives for `0..n`, without the keys in memory.
pub fn btree_unique_size(n: u64, key_bytes: usize) -> (f64, u32) {
    const USABLE: usize = BT_USABLE;
    let item = maxalign(8 + key_bytes);
    let size = item + 4;
    // A leaf takes entries while more than FULL bytes are free and the next one fits.
    let room = USABLE - item;
    let mut per_leaf = 0u64;
    let mut free = room;
    while free >= FULL && free >= size {
        free -= size;
        per_leaf += 1;
    }
    let leaves = if n == 0 { 1 } else { n.div_ceil(per_leaf.max(1)) };
    with_inner_pages(leaves, item)
}

/// A table as the planner and the cluster world both see it: its columns, rows, heap pages and
/// indexes (`pg_class.relpages` and `reltuples`, `pg_relation_size` = pages × 8 kB).
#[derive(Clone, Debug, PartialEq)]
pub struct TableInfo {
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: u64,
    pub pages: u64,
    pub indexes: Vec<IndexInfo>,
}

/// An index of a [`TableInfo`]: its name, key columns (positions in the table), uniqueness and pages.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexInfo {
    pub name: String,
    pub columns: Vec<usize>,
    pub unique: bool,
    pub pages: u64,
}

impl TableInfo {
    /// A table of fixed-width columns with `rows` rows, no NULLs, and a primary key on its first
    /// column (`<name>_pkey`), packed and built as PostgreSQL does for a freshly loaded table.
    pub fn fixed(name: &str, columns: Vec<Column>, rows: u64) -> TableInfo {
        let tuple = heap_tuple_bytes(&columns, std::iter::repeat_n(0, columns.len()));
        let pages = heap_pages_fixed(tuple, rows);
        let key_bytes = columns.first().and_then(Column::fixed_width).unwrap_or(8);
        let (pk_pages, _) = btree_unique_size(rows, key_bytes);
        let pkey = IndexInfo { name: format!("{name}_pkey"), columns: vec![0], unique: true, pages: pk_pages as u64 };
        TableInfo { name: name.to_string(), columns, rows, pages, indexes: vec![pkey] }
    }

    /// The heap's size in bytes (`pg_relation_size`).
    pub fn heap_bytes(&self) -> u64 {
        self.pages * BLCKSZ as u64
    }
}

/// What `CREATE STATISTICS` can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ExtKind {
    Dependencies,
    Ndistinct,
}

/// An extended statistics object (`CREATE STATISTICS name (kinds) ON a, b FROM t`).
#[derive(Clone, Debug, PartialEq)]
pub struct ExtStats {
    pub name: String,
    pub table: usize,
    pub columns: Vec<usize>,
    pub kinds: Vec<ExtKind>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(name: &str) -> Column {
        Column { name: name.into(), ty: ColType::Int, text: None }
    }

    #[test]
    fn heap_packs_as_postgres_does() {
        // Three int4 columns: 24-byte header + 12 bytes -> 40 aligned + 4 line pointer = 44 bytes,
        // 185 tuples per page; 10,000 rows need 55 pages.
        let cols = [int("a"), int("b"), int("c")];
        let size = heap_tuple_bytes(&cols, [1, 2, 3].into_iter());
        assert_eq!(size, 44);
        assert_eq!(heap_pages(std::iter::repeat_n(size, 185)), 1);
        assert_eq!(heap_pages(std::iter::repeat_n(size, 186)), 2);
        assert_eq!(heap_pages(std::iter::repeat_n(size, 10_000)), 55);
        // One int4: 28 -> 32 + 4 = 36 bytes, but at most 291 tuples fit in a page... 8168 / 36 = 226.
        assert_eq!(heap_pages(std::iter::repeat_n(heap_tuple_bytes(&cols[..1], [1].into_iter()), 226)), 1);
    }

    #[test]
    fn alignment_pads_bigints() {
        let cols = [int("a"), Column { name: "b".into(), ty: ColType::Bigint, text: None }];
        // 4 bytes, 4 of padding, 8 bytes: 16 of data.
        assert_eq!(heap_tuple_bytes(&cols, [1, 2].into_iter()), maxalign(24 + 16) + 4);
    }

    #[test]
    fn text_codes_order_like_strings() {
        let d = TextDomain::List(vec!["AT".into(), "BE".into(), "DE".into()]);
        assert_eq!(d.encode("BE"), 2);
        assert_eq!(d.encode("CH"), 3);
        assert!(d.encode("AA") < d.encode("AT"));
        assert_eq!(d.render(4), "DE");
        let p = TextDomain::Pattern { prefix: "user".into(), digits: 5 };
        assert_eq!(p.encode("user00042"), 84);
        assert_eq!(p.render(84), "user00042");
    }

    #[test]
    fn fixed_heap_size_without_the_tuples() {
        for size in [28, 36, 44, 100, 4000, 9000] {
            for rows in [0u64, 1, 185, 186, 10_000, 123_457] {
                assert_eq!(heap_pages_fixed(size, rows), heap_pages(std::iter::repeat_n(size, rows as usize)), "{rows} tuples of {size} bytes");
            }
        }
        // A huge table is sized at once.
        assert_eq!(heap_pages_fixed(44, 185_000_000_000), 1_000_000_000);
    }

    #[test]
    fn unique_btree_size_without_the_keys() {
        for n in [0u64, 1, 407, 408, 10_000, 123_457] {
            let keys: Vec<i64> = (0..n as i64).collect();
            for bytes in [4, 8] {
                assert_eq!(btree_unique_size(n, bytes), btree_size(&keys, bytes, true), "{n} keys of {bytes} bytes");
            }
        }
    }

    /// `accounts (id bigint primary key, balance bigint)` with 10,000 rows: PostgreSQL 15 packs
    /// 40-byte tuples (24 header + 16 data) + 4 line pointer, 185 a page: 55 heap pages.
    #[test]
    fn a_fixed_table_is_sized_like_postgres() {
        let col = |n: &str| Column { name: n.into(), ty: ColType::Bigint, text: None };
        let t = TableInfo::fixed("accounts", vec![col("id"), col("balance")], 10_000);
        assert_eq!(t.pages, 55);
        assert_eq!(t.heap_bytes(), 55 * 8192);
        assert_eq!(t.indexes[0].name, "accounts_pkey");
        assert!((29..=31).contains(&t.indexes[0].pages), "{}", t.indexes[0].pages);
    }

    #[test]
    fn btree_of_unique_ints() {
        let keys: Vec<i64> = (0..10_000).collect();
        let (pages, height) = btree_size(&keys, 4, true);
        // PostgreSQL builds a 30-page index (28 leaves, a root, the metapage) for 10,000 int4 keys.
        assert!((29.0..=31.0).contains(&pages), "{pages}");
        assert_eq!(height, 1);
    }
}
