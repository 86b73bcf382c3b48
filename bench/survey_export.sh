#!/usr/bin/env bash
# Benchmark: `parindex survey export` of 1,000,000 stored SIPAS responses (25 items) as CSV —
# target at least 200,000 rows per second with a peak resident memory under 100 MB — against the
# sqlite3 shell dumping the same table as CSV in the same run (the raw speed of reading the rows,
# without decoding them into the questionnaire's columns). XLSX (constant-memory mode) is measured
# too, for information. The responses go in through `parindex survey import` (the batch path,
# with validation, quality flags and statistics), which is timed as well.
# Environment: RESPONSES.
set -euo pipefail
cd "$(dirname "$0")/.."
responses=${RESPONSES:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q -p parindex
bin=target/release/parindex
db=(--database-url "sqlite:$work/parindex.db" --data-dir "$work")
survey=(--year 2019 --survey sipas-tinh-25)

"$bin" demo "${db[@]}" >/dev/null
"$bin" survey create --year 2019 --questionnaire sets/sipas-tinh-25.survey.toml "${db[@]}" >/dev/null
"$bin" survey sample "${survey[@]}" --units 100 --responses "$responses" --seed 2 \
    --import-out "$work/import.csv" "${db[@]}" >/dev/null
"$bin" survey import "${survey[@]}" --mode all "$work/import.csv" "${db[@]}"
"$bin" survey recompute "${survey[@]}" "${db[@]}"

measure() { # prints "seconds peak_kb"
    local log=$work/time.log
    /usr/bin/time -v "$@" >/dev/null 2>"$log"
    local wall peak
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log" |
        awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
    peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
    echo "$wall $peak"
}

read -r csv_s csv_kb < <(measure "$bin" survey export "${survey[@]}" --format csv --out "$work/out.csv" "${db[@]}")
rows=$(($(wc -l <"$work/out.csv") - 1))
read -r xlsx_s xlsx_kb < <(measure "$bin" survey export "${survey[@]}" --format xlsx --out "$work/out.xlsx" "${db[@]}")
read -r peer_s peer_kb < <(measure sqlite3 -csv -header "$work/parindex.db" "SELECT * FROM survey_responses" )

python3 - "$rows" "$responses" "$csv_s" "$csv_kb" "$xlsx_s" "$xlsx_kb" "$peer_s" "$peer_kb" <<'PY'
import sys
rows, want = int(sys.argv[1]), int(sys.argv[2])
csv_s, csv_kb, xlsx_s, xlsx_kb, peer_s, peer_kb = map(float, sys.argv[3:])
if rows != want:
    print(f"MISMATCH: exported {rows} rows, {want} stored")
    sys.exit(1)
print(f"parindex survey export, CSV:  {rows / csv_s:,.0f} rows/s ({rows:,} rows in {csv_s:.2f} s), "
      f"peak RSS {csv_kb / 1024:.0f} MB (targets: >= 200,000 rows/s, < 100 MB)")
print(f"parindex survey export, XLSX: {rows / xlsx_s:,.0f} rows/s ({xlsx_s:.2f} s), peak RSS {xlsx_kb / 1024:.0f} MB")
print(f"sqlite3 -csv dump (peer):     {rows / peer_s:,.0f} rows/s ({peer_s:.2f} s), peak RSS {peer_kb / 1024:.0f} MB")
print(f"ratio: parindex CSV export runs at {peer_s / csv_s:.2f}x the speed of the raw sqlite3 dump")
PY
