#!/usr/bin/env bash
# Instruction counts (valgrind callgrind, deterministic) of the lint, evaluation and JIT loops
# for the binaries in each directory given (built with `cargo build --release --examples
# -p falco-rulec-compiler -p falco-rulec-runtime`; copy target/release/examples/{lint_loop,
# eval_loop,jit_loop} aside to compare two commits). Prints one line per workload:
#   workload  dir  instructions-per-unit
# Per event = (Ir(300) - Ir(100)) / (200 x events); per lint load = (Ir(5) - Ir(1)) / 4.
# Run from the repository root; needs ../shared/corpus/rules (or RULEC_CORPUS_DIR).
set -euo pipefail
corpus=${RULEC_CORPUS_DIR:-../shared/corpus/rules}
[ -d "$corpus" ] || { echo "skipped: no corpus at $corpus"; exit 0; }
ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
per() { # per LABEL DIV LO HI CMD...
  local label=$1 div=$2 lo=$3 hi=$4; shift 4
  local a b
  a=$(ir "${@/@N@/$lo}"); b=$(ir "${@/@N@/$hi}")
  echo "$label $(( (b - a) / div ))"
}
for d in "$@"; do
  lint=("$corpus/falco_rules.yaml" "$corpus/k8s_audit_rules.yaml" "$corpus/aws_cloudtrail_rules.yaml")
  echo "$(per lint/all-corpus 4 1 5 "$d/lint_loop" @N@ "${lint[@]}") $d"
  echo "$(per eval/falco_rules 11400 100 300 "$d/eval_loop" @N@ "$corpus/falco_rules.yaml" testdata/events/syscall_mix.json) $d"
  echo "$(per eval/k8s_audit 1600 100 300 "$d/eval_loop" @N@ "$corpus/k8s_audit_rules.yaml" testdata/events/k8s_audit.json k8s_audit) $d"
  for backend in jit interp; do
    echo "$(per "$backend/syscall" 11400 100 300 "$d/jit_loop" "$backend" syscall @N@) $d"
    echo "$(per "$backend/k8s" 1600 100 300 "$d/jit_loop" "$backend" k8s @N@) $d"
  done
done
