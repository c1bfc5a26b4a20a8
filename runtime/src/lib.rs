//! Runtime of falco-rulec: everything that runs on a node. It reads rule bundles
//! ([`rulec_ir::bundle`]) and evaluates their programs ([`rulec_ir::program`]) against events;
//! it links no YAML or condition parser (the compiler, `rulec`, produces the IR).
//!
//! * [`event`]: the [`event::Event`] trait evaluators read fields through, and fixture events;
//! * [`extract`]: plugin-source events built from real JSON (k8s audit, CloudTrail, GitHub,
//!   Okta, json) and their field extractors;
//! * [`interp`]: the reference interpreter (the IR compiled to branch programs);
//! * [`jit`]: Cranelift JIT of the interpreter's code (the crate's only unsafe code);
//! * [`engine`]: one evaluation interface over the JIT and the interpreter;
//! * [`output`]: rendering of rule outputs and the alert record Falco emits.

pub mod agent;
pub mod engine;
pub mod event;
pub mod extract;
pub mod interp;
pub mod jit;
pub mod output;
