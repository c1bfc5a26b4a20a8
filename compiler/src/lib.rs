//! falco-rulec compiler: loads Falco rules files with exact positions, parses and expands
//! conditions, and reports Falco-compatible diagnostics.
//!
//! Pipeline: [`yaml`] (spanned YAML) -> [`load::read`] (items into a collection) ->
//! [`load::compile`] (exceptions, lists, parsing, macros) -> diagnostics rendered by [`render`].
//! [`analysis::Analysis`] is the one entry point shared by the CLI and the language server.

pub mod analysis;
pub mod condition;
pub mod diag;
pub mod load;
pub mod render;
pub mod span;
pub mod text;
pub mod yaml;

pub use analysis::{Analysis, FileResult, LoadOutcome};
pub use diag::{Code, Diagnostic, Severity};
pub use load::LoadOptions;
