#!/usr/bin/env bash
# Runs the JIT's unit tests and corpus differential tests under valgrind memcheck
# (--smc-check=all-non-file so that JIT-generated code is tracked). Exits non-zero on any
# memory error. Installs valgrind with apt when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null; then
    apt-get install -y valgrind >/dev/null
fi
cargo test -p falco-rulec-runtime --lib --test jit_corpus --no-run
for t in rulec_runtime jit_corpus; do
    bin=$(ls -t target/debug/deps/"$t"-* | grep -v '\.d$' | head -1)
    echo "memcheck: $bin"
    (cd runtime && valgrind --tool=memcheck --smc-check=all-non-file --error-exitcode=9 \
        --leak-check=no --quiet "../$bin" --test-threads=1)
done
