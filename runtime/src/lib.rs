//! Runtime of falco-rulec: native evaluation of compiled rule programs.
//!
//! * [`jit`]: Cranelift JIT of lowered conditions (the crate's only unsafe code);
//! * [`engine`]: one evaluation interface over the JIT and the reference interpreter, with
//!   the choice of the faster backend.

pub mod engine;
pub mod jit;
