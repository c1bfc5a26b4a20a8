#!/usr/bin/env bash
# Runs every test of the workspace. Installs what it needs first (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
if [ ${#need_apt[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi

export CARGO_TERM_COLOR=never
# Snapshots must match exactly in CI; never write new ones there.
export INSTA_UPDATE=no
cargo test --workspace --all-targets --locked 2>&1
