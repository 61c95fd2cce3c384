//! Zero-downtime migrations (chapter 12).
pub mod ddl;
