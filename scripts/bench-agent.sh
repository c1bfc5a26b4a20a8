#!/usr/bin/env bash
# Agent benchmarks (BENCHMARKS.md, "Agent"): end-to-end throughput on k8s audit JSON lines
# with the corpus k8s_audit_rules.yaml (read, parse, evaluate, render, write to a file), in
# one run side by side with `jq -c .` on the same file (a JSON parse-and-print peer); peak
# and steady RSS; reload time; latency from event read to alert written (p50/p99).
# Needs ../shared/corpus/rules (or RULEC_CORPUS_DIR). Usage: bash scripts/bench-agent.sh [EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${RULEC_CORPUS_DIR:-../shared/corpus/rules}
[ -f "$corpus/k8s_audit_rules.yaml" ] || { echo "skipped: no corpus at $corpus"; exit 0; }
n=${1:-200000}
command -v jq >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq jq >/dev/null; }
export CARGO_TERM_COLOR=never
cargo build --release -q -p falco-rulec -p falco-rulec-runtime --bins
d=target/bench-agent
mkdir -p "$d"
ev="$d/audit-$n.jsonl"
[ -f "$ev" ] || python3 scripts/gen-audit-events.py "$n" "$ev"
agent=target/release/falco-rulec-agent
./target/release/falco-rulec compile -o "$d/a.bundle" "$corpus/k8s_audit_rules.yaml" >/dev/null
./target/release/falco-rulec compile -o "$d/b.bundle" "$corpus/k8s_audit_rules.yaml" \
  testdata/corpus-tests/k8s_audit_overrides.yaml >/dev/null
common=(-o stdout_output.enabled=false -o file_output.enabled=true -o "file_output.filename=$d/alerts.json"
  -o file_output.keep_alive=true -o json_output=true -o log_stderr=false)

echo "== throughput: $n audit events, $(du -m "$ev" | cut -f1) MB, $(nproc) cores, $(uname -r)"
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$@"; }
for i in 1 2 3; do
  for engine in jit interpreter; do
    rm -f "$d/alerts.json"
    /usr/bin/time -f "%U %S %e %M" -o "$d/t" "$agent" -b "$d/a.bundle" -i "k8s_audit=$ev" "${common[@]}" \
      -o buffered_outputs=true -o rulec.engine=$engine
    read -r u s e m < "$d/t"
    cpu=$(python3 -c "print($u+$s)")
    echo "agent($engine) run $i: $(python3 -c "print(int($n/$cpu))") events/s per core, wall $e s, cpu $cpu s, peak RSS $((m/1024)) MB, alerts $(wc -l < "$d/alerts.json")"
  done
  /usr/bin/time -f "%U %S %e %M" -o "$d/t" jq -c . "$ev" > /dev/null
  read -r u s e m < "$d/t"
  cpu=$(python3 -c "print($u+$s)")
  echo "jq -c . run $i: $(python3 -c "print(int($n/$cpu))") events/s per core, wall $e s, peak RSS $((m/1024)) MB"
done

echo "== steady RSS, reload time and latency (webhook and metrics on loopback)"
port=$((20000 + RANDOM % 20000)); wport=$((port + 1))
cp "$d/a.bundle" "$d/live.bundle"
"$agent" -b "$d/live.bundle" --webhook "127.0.0.1:$wport" -o stdout_output.enabled=false \
  -o file_output.enabled=true -o "file_output.filename=$d/live-alerts.json" -o file_output.keep_alive=true \
  -o json_output=true -o webserver.enabled=true -o "webserver.listen_port=$port" -o webserver.listen_address=127.0.0.1 \
  -o webserver.prometheus_metrics_enabled=true -o metrics.enabled=true -o log_stderr=true -o rule_matching=all \
  2> "$d/agent.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
python3 - "$ev" "$wport" <<'PY'
import json, sys, time, urllib.request
ev, port = sys.argv[1], int(sys.argv[2])
lines = open(ev).read().splitlines()[:20000]
url = f"http://127.0.0.1:{port}/k8s-audit"
# 200 batches of 100 events, paced at about 20,000 events/s.
t0 = time.time()
for b in range(200):
    items = ",".join(lines[b * 100:(b + 1) * 100])
    body = ('{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[' + items + ']}').encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
    time.sleep(max(0, t0 + (b + 1) * 0.005 - time.time()))
PY
sleep 1
echo "steady RSS after 20,000 webhook events: $(awk '/^Rss/{print int($2/1024)" MB"}' /proc/$pid/smaps_rollup)"
curl -s "http://127.0.0.1:$port/metrics" | python3 -c '
import sys
b = []
for l in sys.stdin:
    if l.startswith("falco_rulec_alert_latency_seconds_bucket") and "output=\"file\"" in l:
        le = l.split("le=\"")[1].split("\"")[0]
        b.append((float("inf") if le == "+Inf" else float(le), float(l.split()[-1])))
b.sort()
total = b[-1][1] if b else 0
def q(p):
    for le, c in b:
        if c >= p * total:
            return le
print(f"latency event read -> alert written (file output, {int(total)} alerts): p50 <= {q(0.5)*1e6:.0f} us, p99 <= {q(0.99)*1e6:.0f} us (histogram bucket bounds)")
'
for i in $(seq 10); do
  if [ $((i % 2)) = 1 ]; then cp "$d/b.bundle" "$d/next.bundle"; else cp "$d/a.bundle" "$d/next.bundle"; fi
  mv "$d/next.bundle" "$d/live.bundle"
  sleep 0.6
done
grep -o 'rules reloaded.*' "$d/agent.log" | grep -o 'ms=[0-9.]*' | cut -d= -f2 | sort -n |
  awk '{a[NR]=$1} END{if (NR) printf "reload (read, verify, JIT-compile, swap): %d reloads, median %.1f ms, max %.1f ms\n", NR, a[int((NR+1)/2)], a[NR]; else print "no reload logged"}'
kill $pid; wait $pid 2>/dev/null || true
trap - EXIT
