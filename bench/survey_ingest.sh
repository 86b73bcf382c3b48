#!/usr/bin/env bash
# HTTP ingest of survey responses on loopback: `parindex serve` (release build) with a fresh data
# directory and the demo province, the bundled 22-item questionnaire as an open survey, then wrk
# POSTs valid JSON responses to the open link (POST /api/survey/2019/sipas-2017-22/responses)
# for DURATION seconds. Each answer (201) comes only after the response's batch is committed
# (SQLite: WAL, synchronous = NORMAL — survives a kill of the process; PostgreSQL: a plain commit). Prints, per backend: requests/s,
# acknowledged responses, responses stored afterwards (the CLI's report), stored per second, the
# ratio to the 10,000/s target, the load average before and after, and whether a recompute
# equals the running statistics. Two scenarios per backend: every request from another source
# and device (the store screens and indexes both markers), and one source without a device
# marker (a kiosk).
#
# usage: bench/survey_ingest.sh [sqlite] [postgres]   (both by default)
# env:   DURATION (10 s), CONNECTIONS (512), THREADS (2), PG_URL (postgres://postgres@127.0.0.1:5432),
#        PARINDEX_SURVEY_MAX_BATCH / PARINDEX_SURVEY_MAX_WAIT_US (the writer's batching),
#        PARINDEX_BIN (a release binary built already)
# The server trusts X-Forwarded-For (the scenario with many sources sets it); the open link's
# per-source rate limit is raised (PARINDEX_SURVEY_RATE_*) so that it does not throttle.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-512}
THREADS=${THREADS:-2}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
TARGET=10000
BACKENDS=("$@")
[ ${#BACKENDS[@]} -eq 0 ] && BACKENDS=(sqlite postgres)

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# PARINDEX_BIN: a binary built already (skips the release build).
if [ -z "${PARINDEX_BIN:-}" ]; then cargo build --release -q -p parindex; fi
BIN=${PARINDEX_BIN:-$PWD/target/release/parindex}
SURVEY=sipas-2017-22
SERVER_PID=

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

# Responses stored (every status), from the statistics, as the CLI's report reads them.
stored() {
  "$BIN" survey report --year 2019 --survey "$SURVEY" --format json |
    python3 -c 'import json,sys; r=json.load(sys.stdin); r=r.get("report", r); print(r["province"]["with_quarantined"]["respondents"])'
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run() {
  local backend=$1 data url
  data=$(mktemp -d)
  export PARINDEX_DATA_DIR=$data
  unset PARINDEX_DATABASE_URL
  local db=""
  if [ "$backend" = postgres ]; then
    db="parindex_bench_$$"
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    export PARINDEX_DATABASE_URL="$PG_URL/$db"
  fi
  "$BIN" demo >/dev/null
  "$BIN" survey create --year 2019 --questionnaire "sets/$SURVEY.survey.toml" >/dev/null
  local port; port=$(free_port)
  PARINDEX_BEHIND_PROXY=true PARINDEX_SURVEY_RATE_BURST=100000000 PARINDEX_SURVEY_RATE_PER_HOUR=100000000 \
    "$BIN" serve --bind "127.0.0.1:$port" >"$data/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  local units
  units=$(curl -fs "http://127.0.0.1:$port/khao-sat/2019/$SURVEY" | grep -o "/khao-sat/2019/$SURVEY/[A-Za-z0-9_-]*\"" | sed 's|.*/||; s|"||' | paste -sd, -)
  echo "== $backend: $CONNECTIONS connections, $THREADS wrk threads, ${DURATION}s per scenario; $(echo "$units" | tr ',' '\n' | wc -l) units"
  # A short warm-up, then one measured run per scenario (see bench/survey_ingest.lua).
  UNITS=$units wrk -t"$THREADS" -c32 -d1s -s bench/survey_ingest.lua "http://127.0.0.1:$port" >/dev/null
  for sources in many one; do
    local before; before=$(stored)
    local load_before; load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    local out; out=$(SOURCES=$sources UNITS=$units wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/survey_ingest.lua "http://127.0.0.1:$port")
    local load_after; load_after=$(cut -d' ' -f1-3 /proc/loadavg)
    sleep 1
    local after; after=$(stored)
    echo "$out" | grep -E "Requests/sec|^ +50%|^ +99%|requests in|Socket errors|Non-2xx" | sed 's/^/   /'
    python3 - "$backend" "$sources" "$out" "$before" "$after" "$DURATION" "$TARGET" "$load_before" "$load_after" <<'EOF2'
import re, sys
backend, sources, out, before, after, duration, target, lb, la = sys.argv[1:]
done = int(re.search(r"(\d+) requests in", out).group(1))
m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
acked = done - (int(m.group(1)) if m else 0)
rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
stored = int(after) - int(before)
per_s = stored / float(duration)
label = "a new source and device per request" if sources == "many" else "one source, no device marker"
print(f"{backend} ({label}): {rps:,.0f} requests/s; acknowledged {acked:,}; stored {stored:,} "
      f"({per_s:,.0f}/s, {per_s / float(target):.2f}x the {int(target):,}/s target); "
      f"every acknowledged response stored: {stored >= acked}; load average {lb} -> {la}")
EOF2
  done
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
  echo "   recompute: $("$BIN" --locale en survey recompute --year 2019 --survey "$SURVEY" 2>&1 | tail -1)"
  if [ -n "$db" ]; then psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; fi
  rm -rf "$data"
}

for b in "${BACKENDS[@]}"; do run "$b"; done
