#!/usr/bin/env bash
# Runs the agent on the bundled sample events: compiles the demo k8s audit rules into a
# bundle with `falco-rulec compile`, then `falco-rulec-agent` reads the sample audit events
# (testdata/events/k8s_audit.json) and prints Falco-style alerts on stdout, then the same in
# JSON (`-o json_output=true`, what Falcosidekick takes). Installs what it needs (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cc >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq gcc
fi
export CARGO_TERM_COLOR=never
cargo build --release -q -p falco-rulec -p falco-rulec-runtime --bins
mkdir -p target/demo
./target/release/falco-rulec compile -o target/demo/k8s_audit.bundle testdata/agent/demo/k8s_audit_demo_rules.yaml
echo "== alerts (text lines)"
./target/release/falco-rulec-agent --bundle target/demo/k8s_audit.bundle \
  --input k8s_audit=testdata/events/k8s_audit.json -o rule_matching=all -o log_stderr=false
echo "== alerts (JSON, json_output: true)"
./target/release/falco-rulec-agent --bundle target/demo/k8s_audit.bundle \
  --input k8s_audit=testdata/events/k8s_audit.json -o rule_matching=all -o json_output=true
