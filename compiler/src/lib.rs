//! falco-rulec compiler: loads Falco rules files with exact positions, parses and expands
//! conditions, and reports Falco-compatible diagnostics.
//!
//! Pipeline: [`yaml`] (spanned YAML) -> [`load::read`] (items into a collection) ->
//! [`load::compile`] (exceptions, lists, parsing, macros, then [`typeck`] against the
//! [`schema`] registry, [`evttype`] resolution, [`output`] checks and [`lints`]) -> diagnostics
//! rendered by [`render`]. [`explain`] summarises one compiled rule.
//! [`analysis::Analysis`] is the one entry point shared by the CLI and the language server.

pub mod analysis;
pub mod bundle;
pub mod condition;
pub mod diag;
pub mod event;
pub mod evttype;
pub mod explain;
pub mod extract;
pub mod fmt;
pub mod interp;
pub mod lints;
pub mod load;
pub mod lower;
pub mod output;
pub mod render;
pub mod schema;
pub mod span;
pub mod testing;
pub mod text;
pub mod typeck;
pub mod yaml;

pub use analysis::{Analysis, FileResult, LoadMode, LoadOutcome};
pub use diag::{Code, Diagnostic, Severity};
pub use load::LoadOptions;
