//! Language server for Falco rules files: the analysis of [`rulec`] (the same loader and
//! diagnostics as the `falco-rulec` CLI) served over the Language Server Protocol.
//!
//! * [`world`]: documents, the workspace model (which files load together and in which
//!   order, see [`workspace`]) and immutable analysis snapshots;
//! * [`index`]: per-file index of items, conditions, tokens and references;
//! * [`features`]: each editor feature as a pure function of a snapshot;
//! * [`ruletests`]: the rule-test files of the workspace and running them (code lens);
//! * [`server`]: the `tower-lsp-server` front end.

pub mod features;
pub mod index;
pub mod ruletests;
pub mod server;
pub mod text;
pub mod workspace;
pub mod world;
