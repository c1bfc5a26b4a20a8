#!/usr/bin/env bash
# Builds the VS Code extension offline from the npm registry: install (npm ci when the lock
# file is present), compile with tsc, run the grammar tests, package falco-rulec.vsix.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null; then
  echo "npm not found: install Node.js >= 20 (apt-get install nodejs npm)" >&2
  exit 1
fi
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
npx tsc -p .
npm run --silent test:grammar
npm run --silent package
ls -l falco-rulec.vsix
