//! falco-rulec IR: everything a compiled rule bundle is made of, shared by the compiler (which
//! produces it) and the runtime (which evaluates it). Data flows one way: the compiler's front
//! end lowers rules into this crate's types, the bundle format stores them, the runtime reads
//! and evaluates them. Nothing here parses YAML or condition text.
//!
//! * [`schema`]: the field, event and operator tables of every event source, built once from
//!   the vendored JSON schemas (`ir/schemas/*.json`) into a `'static` [`schema::Registry`];
//!   typechecking (compiler) and extraction (runtime) read the same tables.
//! * [`vocab`]: operators, modifiers, transformers, priorities and versions.
//! * [`value`]: typed field values ([`value::Val`]), field references and the literal parsing
//!   of spec §3.3 that lowering and events share.
//! * [`program`]: the evaluation IR, one hash-consed arena per event source.
//!   Compiled output templates ([`program::OutputTemplate`]) are part of it.
//! * [`bundle`]: the versioned, checksummed bundle file, writer and validating reader in one
//!   place so they cannot drift.

pub mod bundle;
pub mod program;
pub mod schema;
pub mod value;
pub mod vocab;

/// Converts a length or offset to `u32`, saturating (inputs are capped well below 4 GiB).
pub fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
