//! Zero-downtime migrations (chapter 12).
pub mod cfg;
pub mod ddl;
pub mod schema;
