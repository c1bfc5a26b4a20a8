#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ (gitignored) with seeds: the bundled ruleset, the diagnostic
# fixtures and, if present, the shared Falco corpus; for condition_parser, the `condition:`
# strings of those files (needs python3 with PyYAML; skipped otherwise).
set -euo pipefail
cd "$(dirname "$0")"
root=..
files=("$root"/rules/*.yaml "$root"/testdata/diagnostics/*.yaml)
shared="$root/../shared/corpus/rules"
if [ -d "$shared" ]; then files+=("$shared"/*.yaml); fi
mkdir -p corpus/rules_loader corpus/yaml corpus/condition_parser corpus/jit_differential \
    corpus/interp_differential corpus/bundle_reader
for f in "${files[@]}"; do
    name="$(basename "$(dirname "$f")")_$(basename "$f")"
    cp "$f" "corpus/rules_loader/$name"
    cp "$f" "corpus/yaml/$name"
    # Small seeds too (whole files make a slow target): groups of 3 top-level items.
    awk -v out="corpus/rules_loader/$name.part" '
        /^- / { if (++items % 3 == 1) n++ }
        n { print > (out n) }' "$f"
done
if python3 -c 'import yaml' 2>/dev/null; then
    python3 - corpus/condition_parser "${files[@]}" <<'PY'
import hashlib, os, sys, yaml
out, seen = sys.argv[1], set()
def walk(x):
    if isinstance(x, dict):
        for k, v in x.items():
            if k == "condition" and isinstance(v, str):
                yield v
            else:
                yield from walk(v)
    elif isinstance(x, list):
        for i in x:
            yield from walk(i)
for path in sys.argv[2:]:
    try:
        docs = list(yaml.load_all(open(path, encoding="utf-8"), Loader=yaml.BaseLoader))
    except Exception:
        continue  # fixtures with deliberate YAML errors
    for c in (c for d in docs for c in walk(d)):
        if c not in seen:
            seen.add(c)
            name = hashlib.sha1(c.encode()).hexdigest()
            with open(os.path.join(out, name), "w", encoding="utf-8") as f:
                f.write(c)
print(f"{len(seen)} condition seeds")
PY
else
    echo "python3 with PyYAML not found: condition_parser starts without seeds" >&2
fi
# The JIT differential target starts from the same conditions; the interpreter one from
# groups of four of them (one rule per line, so rules share leading conjuncts).
cp corpus/condition_parser/* corpus/jit_differential/ 2>/dev/null || true
ls corpus/condition_parser 2>/dev/null | paste -d' ' - - - - | while read -r a b c d; do
    for f in $a $b $c $d; do
        tr '\n' ' ' < "corpus/condition_parser/$f"
        echo
    done > "corpus/interp_differential/$a"
done
# bundle_reader: a bundle of the bundled ruleset (needs a built CLI).
cli="$root/target/debug/falco-rulec"
if [ -x "$cli" ]; then
    "$cli" compile "$root/rules" -o corpus/bundle_reader/rules.bundle >/dev/null
else
    echo "target/debug/falco-rulec not built: bundle_reader starts without seeds" >&2
fi
