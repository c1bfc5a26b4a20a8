#!/usr/bin/env bash
# The main job: build falco-rulec and lint the bundled ruleset (rules/).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cc >/dev/null 2>&1 || { [ "$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq gcc; }
cargo build --release -p falco-rulec
./target/release/falco-rulec lint rules/ "$@"
