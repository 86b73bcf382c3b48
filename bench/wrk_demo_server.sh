# Shared by bench/pages.sh and bench/portal.sh (sourced from the repository's root): starts
# `parindex serve --demo` (release build, or PARINDEX_BIN) on a free loopback port with a fresh
# data directory, stopped on exit; sets `base`, `server`, `work`; and `run NAME WRK-ARGS…`, one
# bounded wrk run that prints requests/s, p99 and the server's CPU time per request and leaves
# them in `last_rps` and `last_p99`.
duration=${DURATION:-10}
connections=${CONNECTIONS:-16}
threads=${THREADS:-2}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
# PARINDEX_BIN: a release binary already built (else it is built here).
bin=${PARINDEX_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release -q -p parindex
  bin=target/release/parindex
fi
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$bin" serve --demo --bind "127.0.0.1:$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 600); do
  curl -sf -o /dev/null "$base/xep-hang" && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.5
done


# The server's CPU time (user + system, in clock ticks): with other work on the machine, CPU time
# per request says more about the page than requests per second do.
ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
hz=$(getconf CLK_TCK)
run() {
  local name=$1; shift
  echo
  echo "== $name: wrk -t$threads -c$connections -d${duration}s (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  local out t0 t1
  t0=$(ticks)
  out=$(timeout $((duration + 30)) wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$@")
  t1=$(ticks)
  echo "$out" | grep -E 'requests in|Requests/sec|Non-2xx|Socket errors|^ +(50|90|99)%'
  local rps p99 reqs cpu
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  cpu=$(python3 -c "print(f'{($t1 - $t0) / $hz * 1000 / max($reqs, 1):.3f}')")
  echo "$name: ${rps} requests/s, p99 ${p99}, server CPU ${cpu} ms per request (load average after: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores)"
  if echo "$out" | grep -q 'Non-2xx'; then echo "$name: some answers were not 2xx" >&2; return 1; fi
  last_rps=$rps
  last_p99=$p99
}
