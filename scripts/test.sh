#!/usr/bin/env bash
# Runs every test of the workspace. Installs what it needs first (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
# The agent's TLS, signing and output tests use openssl and curl (they skip without them);
# the syslog output test starts its own rsyslogd (and installs it if this did not).
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ] || need_apt+=(rsyslog)
if [ ${#need_apt[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi

export CARGO_TERM_COLOR=never
# Snapshots must match exactly in CI; never write new ones there.
export INSTA_UPDATE=no
cargo test --workspace --all-targets 2>&1

# The VS Code extension: npm install from the registry, tsc, grammar tests, .vsix package.
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
if command -v npm >/dev/null 2>&1; then
  bash editors/vscode/build.sh
else
  echo "skipped: VS Code extension build (npm not available)"
fi
