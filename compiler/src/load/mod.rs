//! Rules-file loading: reading YAML items into a collection (spec §1) and compiling the
//! collection's conditions (§2.1: exceptions, list substitution, parsing, macro resolution).
//!
//! The stages mirror Falco's loader (reader, collector, compiler) so that results match it,
//! but every item keeps exact file spans.

pub mod compile;
pub mod context;
pub mod expand;
pub mod read;

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use crate::diag::Diagnostic;
use crate::span::Span;
use crate::text::MappedText;
use context::Ctx;

pub use rulec_ir::vocab::{Priority, Version};

/// A scalar string read from YAML, with its origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub text: MappedText,
    /// Span of the whole YAML value node.
    pub span: Span,
}

impl Text {
    /// The string.
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }
}

/// A list record (§1.4, §1.8).
#[derive(Debug, Clone)]
pub struct ListInfo {
    pub name: String,
    pub items: Vec<Text>,
    pub index: u32,
    pub visibility: u32,
    /// Span of the item mapping that first defined the list.
    pub span: Span,
    pub name_span: Span,
    pub ctx: Ctx,
    pub used: bool,
}

/// A macro record (§1.5, §1.8).
#[derive(Debug, Clone)]
pub struct MacroInfo {
    pub name: String,
    pub cond: MappedText,
    /// Context chain down to the `macro condition` location.
    pub cond_ctx: Ctx,
    pub index: u32,
    pub visibility: u32,
    pub span: Span,
    pub name_span: Span,
    pub ctx: Ctx,
    pub used: bool,
}

/// One `fields`, `comps` or `values` entry of an exception: a scalar or a nested sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Scalar(Text),
    List(Vec<Entry>, Span),
}

impl Entry {
    /// The span of the entry.
    pub fn span(&self) -> Span {
        match self {
            Entry::Scalar(t) => t.span,
            Entry::List(_, s) => *s,
        }
    }
}

/// A rule exception (§1.10).
#[derive(Debug, Clone)]
pub struct ExceptionInfo {
    pub name: String,
    pub fields: Option<Entry>,
    pub comps: Option<Entry>,
    pub values: Vec<Entry>,
    pub span: Span,
    pub ctx: Ctx,
}

/// A rule record (§1.6, §1.9).
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub name: String,
    pub cond: MappedText,
    pub cond_ctx: Ctx,
    pub output: MappedText,
    pub output_span: Option<Span>,
    pub desc: String,
    pub priority: Priority,
    pub source: String,
    /// Whether `source` was given explicitly (for the re-definition check).
    pub source_explicit: bool,
    pub enabled: bool,
    pub tags: BTreeSet<String>,
    pub exceptions: Vec<ExceptionInfo>,
    pub warn_evttypes: bool,
    pub skip_if_unknown_filter: bool,
    pub capture: bool,
    pub capture_duration: u32,
    pub index: u32,
    pub visibility: u32,
    pub span: Span,
    pub name_span: Span,
    pub ctx: Ctx,
}

/// A `required_plugin_versions` entry: the primary requirement and its alternatives.
#[derive(Debug, Clone)]
pub struct PluginRequirement {
    pub alternatives: Vec<(String, String)>,
    pub span: Span,
    pub ctx: Ctx,
}

/// Everything loaded so far, in Falco's record model.
#[derive(Debug, Clone, Default)]
pub struct Collection {
    /// Global counter shared by lists, macros and rules of all files.
    pub seq: u32,
    pub lists: Vec<ListInfo>,
    pub macros: Vec<MacroInfo>,
    pub rules: Vec<RuleInfo>,
    pub list_ids: FxHashMap<String, usize>,
    pub macro_ids: FxHashMap<String, usize>,
    pub rule_ids: FxHashMap<String, usize>,
    /// Highest `required_engine_version` seen.
    pub required_engine_version: Option<Version>,
    pub plugin_requirements: Vec<PluginRequirement>,
}

impl Collection {
    /// Takes the next `seq` value.
    fn next_seq(&mut self) -> u32 {
        let s = self.seq;
        self.seq += 1;
        s
    }

    /// The list called `name`.
    pub fn list(&self, name: &str) -> Option<&ListInfo> {
        self.list_ids.get(name).map(|&i| &self.lists[i])
    }

    /// The macro called `name`.
    pub fn macro_(&self, name: &str) -> Option<&MacroInfo> {
        self.macro_ids.get(name).map(|&i| &self.macros[i])
    }

    /// The rule called `name`.
    pub fn rule(&self, name: &str) -> Option<&RuleInfo> {
        self.rule_ids.get(name).map(|&i| &self.rules[i])
    }
}

/// Options of a load that depend on the target Falco.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Engine version compared with `required_engine_version`.
    pub engine_version: Version,
    /// Event sources considered loaded; rules for other sources are skipped with a warning.
    pub sources: Vec<String>,
    /// Parser recursion limit (Falco uses 1000 for rule loading).
    pub max_depth: u32,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            engine_version: Version(0, 62, 0),
            sources: ["syscall", "k8s_audit", "aws_cloudtrail", "github", "okta"]
                .map(String::from)
                .to_vec(),
            max_depth: 1000,
        }
    }
}

/// The result of reading one file: warnings, and the first error if any.
#[derive(Debug, Default)]
pub struct ReadResult {
    pub diagnostics: Vec<Diagnostic>,
    pub failed: bool,
}
