#!/usr/bin/env bash
# Benchmark: `parindex results compute` on 10,000 units × 58 sub-criteria of declared data
# (target: under 1 s on the 2-core machine), against a plain-Python peer computing the same
# table in the same run; both outputs must agree on every unit's total, percent and rank.
set -euo pipefail
cd "$(dirname "$0")/.."
units=${UNITS:-10000}
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q -p parindex
bin=target/release/parindex
set_file=sets/so-2019.set.toml
"$bin" results sample --set "$set_file" --units "$units" --seed 1 --out "$work/scores.csv"
echo "input: $units units × $(head -1 "$work/scores.csv" | tr ',' '\n' | grep -c '^[0-9]') sub-criteria, $(du -h "$work/scores.csv" | cut -f1)"

best() { sort -n | head -1; }
time_ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000000)); }

ours=$(for _ in $(seq "$runs"); do time_ms "$bin" results compute --set "$set_file" --scores "$work/scores.csv" --format csv --out "$work/ours.csv"; done | best)
peer=$(for _ in $(seq 2); do time_ms python3 bench/results_compute_peer.py "$set_file" "$work/scores.csv" "$work/peer.csv"; done | best)

python3 - "$work/ours.csv" "$work/peer.csv" <<'PY'
import csv, sys
ours = {(r["unit"]): (r["rank"], r["total"], r["percent"]) for r in csv.DictReader(open(sys.argv[1]))}
peer = {(r["unit"]): (r["rank"], r["total"], r["percent"]) for r in csv.DictReader(open(sys.argv[2]))}
diff = [u for u in ours if ours[u] != peer.get(u)]
if diff or len(ours) != len(peer):
    print(f"MISMATCH on {len(diff)} units, e.g. {diff[:3]}: {[ (ours[u], peer.get(u)) for u in diff[:3]]}")
    sys.exit(1)
print(f"outputs agree on all {len(ours)} units (total, percent, rank)")
PY
echo "parindex results compute: ${ours} ms (best of $runs; target < 1000 ms)"
echo "python peer:              ${peer} ms (best of 2)"
python3 -c "print(f'ratio: parindex is {${peer}/max(${ours},1):.1f}× faster than the peer')"
