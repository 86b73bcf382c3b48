#!/usr/bin/env bash
# Benchmark: `parindex survey report` over 10,000,000 SIPAS responses (100 units × 25 items),
# computed from the running sufficient statistics (target: under 50 ms), against DuckDB computing
# the same table from the raw responses in the same run (target: parindex at least 10× faster);
# the two must agree on every unit's item, element and overall figures and intervals.
#
# The responses are synthetic (`parindex survey sample`, seeded): their statistics are written
# straight into the statistics table (ingesting ten million rows one by one would only test the
# writer), and the same responses are written as a CSV that DuckDB loads into memory before it is
# timed. Environment: RESPONSES, UNITS, RUNS.
set -euo pipefail
cd "$(dirname "$0")/.."
responses=${RESPONSES:-10000000}
units=${UNITS:-100}
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -c 'import duckdb' 2>/dev/null || pip install -q duckdb
cargo build --release -q -p parindex
bin=target/release/parindex
db=(--database-url "sqlite:$work/parindex.db" --data-dir "$work")
survey=(--year 2019 --survey sipas-tinh-25)

"$bin" demo "${db[@]}" >/dev/null
"$bin" survey create --year 2019 --questionnaire sets/sipas-tinh-25.survey.toml "${db[@]}" >/dev/null
s=$(date +%s%N)
"$bin" survey sample "${survey[@]}" --units "$units" --responses "$responses" --seed 1 --stats \
    --raw-out "$work/raw.csv" "${db[@]}"
e=$(date +%s%N)
echo "generated in $(((e - s) / 1000000)) ms; raw CSV $(du -h "$work/raw.csv" | cut -f1)"

best() { sort -n | head -1; }
time_ms() {
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null
    e=$(date +%s%N)
    echo "scale=1; ($e - $s) / 1000000" | bc
}

table=("$bin" survey report "${survey[@]}" "${db[@]}")
report=("$bin" survey report "${survey[@]}" --format json --out "$work/ours.json" "${db[@]}")
"${report[@]}" # warm the page cache
ours_table=$(for _ in $(seq "$runs"); do time_ms "${table[@]}"; done | best)
ours=$(for _ in $(seq "$runs"); do time_ms "${report[@]}"; done | best)
inproc=$("$bin" survey report "${survey[@]}" --format json --out "$work/ours.json" --timing "${db[@]}" 2>&1 >/dev/null |
    sed -n 's/^report: \(.*\) ms$/\1/p')
peer=$(python3 bench/survey_report_peer.py "$work/raw.csv" "$work/peer.json" 5,5,6,4,5 3)

python3 - "$work/ours.json" "$work/peer.json" <<'PY'
import json, math, sys
ours = json.load(open(sys.argv[1]))["report"]
peer = json.load(open(sys.argv[2]))
worst, compared = 0.0, 0
def close(a, b):
    global worst, compared
    compared += 1
    d = abs(a - b)
    worst = max(worst, d)
    return d <= 1e-9 * max(1.0, abs(a))
bad = []
for u in ours["units"]:
    p = peer.get(u["unit"])
    v = u["official"]
    if p is None or p["n"] != v["respondents"]:
        bad.append((u["unit"], "respondents"))
        continue
    for k, (a, b) in enumerate(zip(v["items"], p["items"])):
        e = a["estimate"]
        if not (close(e["value"], b["value"]) and close(e["lo"], b["lo"]) and close(e["hi"], b["hi"]) and e["n"] == b["n"]):
            bad.append((u["unit"], f"item {k + 1}"))
    for j, (a, b) in enumerate(zip(v["elements"], p["elements"])):
        e = a["estimate"]
        if not all(close(e[f], b[f]) for f in ("value", "se", "lo", "hi")):
            bad.append((u["unit"], f"element {j + 1}"))
    if not all(close(v["overall"][f], p["overall"][f]) for f in ("value", "se", "lo", "hi")):
        bad.append((u["unit"], "overall"))
if bad or len(ours["units"]) != len(peer):
    print(f"MISMATCH: {bad[:5]} (units {len(ours['units'])} vs {len(peer)}); largest difference {worst:.3g}")
    sys.exit(1)
n = sum(u["official"]["respondents"] for u in ours["units"])
print(f"outputs agree: {len(ours['units'])} units, {n} responses, {compared} figures "
      f"(item rates and Wilson intervals, element and overall indices with standard errors); "
      f"largest difference {worst:.2g} points")
PY
echo "parindex survey report (table): ${ours_table} ms, whole process (best of $runs; target < 50 ms)"
echo "parindex survey report (JSON):  ${ours} ms, whole process (best of $runs); ${inproc} ms inside the process"
echo "duckdb from raw rows:           ${peer} ms (best of 3, data already in memory)"
python3 -c "print(f'ratio: parindex is {${peer}/max(${ours_table},0.001):.0f}x (table) / {${peer}/max(${ours},0.001):.0f}x (JSON) faster than DuckDB (target >= 10x)')"
