//! The agent: compiled bundles in, alerts out.
//!
//! * [`config`]: Falco's `falco.yaml` (the keys that apply) plus our own `rulec:` keys;
//! * [`rules`]: the running rule set (a bundle read, checked and JIT-compiled) and reloads;
//! * [`source`]: event sources, each on its own thread (files, stdin, the k8s audit webhook);
//! * [`eval`]: a source's evaluation loop (events -> matches -> alerts);
//! * [`alert`]: Falco's alert text line and JSON object;
//! * [`outputs`]: stdout, file, syslog, program and HTTP outputs behind bounded queues;
//! * [`metrics`] and [`web`]: Prometheus `/metrics`, `/healthz`, `/versions`.

pub mod alert;
pub mod append;
pub mod config;
pub mod eval;
pub mod launch;
pub mod metrics;
pub mod outputs;
pub mod rules;
pub mod run;
pub mod source;
pub mod web;
