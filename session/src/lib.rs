//! The session layer, above the model: a lesson's run with the learner's command log (seek by
//! snapshot + replay, fork), and the plain-data views (`PartialEq`) the front ends render. It
//! reads the model through `sim-core`'s public API only; the front ends (web, CLI) read it.
pub mod elements;
pub mod model;
pub mod replay;
pub mod session;
pub mod sharded;
pub mod text;
pub mod view;

pub use session::{parse, Session};
