//! falco-rulec compiler: the front end. Loads Falco rules files with exact positions, parses
//! and expands conditions, typechecks them, reports Falco-compatible diagnostics and lowers
//! the result into the shared IR (`rulec_ir`) that bundles store and the runtime
//! (`rulec_runtime`) evaluates. Nothing here runs on a node.
//!
//! Pipeline: [`yaml`] (spanned YAML) -> [`load::read`] (items into a collection) ->
//! [`load::compile`] (exceptions, lists, parsing, macros, then [`typeck`] against the
//! [`schema`] registry, [`evttype`] resolution, [`output`] checks and [`lints`]) -> diagnostics
//! rendered by [`render`]; [`lower`] turns a successful load into `rulec_ir::program::Program`s
//! and [`bundle::build`] into a `rulec_ir::bundle::Bundle`. [`explain`] summarises one compiled
//! rule; [`testing`] runs rule unit tests through the runtime's interpreter, and [`ast_eval`]
//! is the independent oracle the interpreter and JIT are tested against.
//! [`analysis::Analysis`] is the one entry point shared by the CLI and the language server.

pub mod analysis;
pub mod ast_eval;
pub mod bundle;
pub mod condition;
pub mod diag;
pub mod evttype;
pub mod explain;
pub mod fmt;
pub mod lints;
pub mod load;
pub mod lower;
pub mod output;
pub mod render;
pub mod span;
pub mod testing;
pub mod text;
pub mod typeck;
pub mod yaml;

/// The field, event and operator tables typechecking reads (defined in the IR crate, shared
/// with the runtime's extractors).
pub use rulec_ir::schema;

pub use analysis::{Analysis, FileResult, LoadMode, LoadOutcome};
pub use diag::{Code, Diagnostic, Severity};
pub use load::LoadOptions;
