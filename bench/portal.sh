#!/usr/bin/env bash
# Benchmark of the public portal on the demo province, with wrk on loopback and the visit counter
# on (it counts every public page): the published results page (/xep-hang/2018/so) as one
# returning browser and as a new browser on every request (a distinct User-Agent each time, so
# every request is counted and remembered), and the portal home (/cong-thong-tin: hot, featured
# and latest news, this week's calendar, links). The peer, measured in the same run on the same
# server: the stylesheet (/static/app.css, served from memory, no database, not counted) — the
# ratio says what share of the server's bare request rate a page keeps.
# Target: the results page >= 2,000 requests/s. Bounded: every wrk run has a duration (DURATION,
# default 10 s) and a hard timeout; the server is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/wrk_demo_server.sh

browser='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36'
results="$base/xep-hang/2018/so"
home="$base/cong-thong-tin"
css="$base$(curl -s "$home" | grep -o '/static/app\.css?v=[0-9a-f]*' | head -1)"
[ "$css" != "$base" ] || { echo "no stylesheet address on the portal home" >&2; exit 1; }
grep -q 'class="visits"' <(curl -s -A "$browser" "$results") || { echo "no visit counter on the results page" >&2; exit 1; }
echo "pages: results $(curl -s -o /dev/null -w '%{size_download}' "$results") bytes; home $(curl -s -o /dev/null -w '%{size_download}' "$home") bytes"

# A new visitor on every request: a User-Agent of its own.
lua="$work/new-visitor.lua"
cat >"$lua" <<'LUA'
-- Each wrk thread numbers its own requests; the thread's id keeps the User-Agents distinct.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, { ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) visitor/" .. tid .. "-" .. n })
end
LUA

declare -A rate
before=$(curl -s -A "$browser-counter" "$results" | grep -o 'class="visits">[^<]*<b>[0-9]*' | grep -o '[0-9]*$')
timeout 10 wrk -t1 -c4 -d2s -H "User-Agent: $browser" "$results" >/dev/null
run peer "$css"; rate[peer]=$last_rps
run results -H "User-Agent: $browser" "$results"; rate[results]=$last_rps
run results-new-visitors -s "$lua" "$results"; rate[results-new-visitors]=$last_rps
run home -H "User-Agent: $browser" "$home"; rate[home]=$last_rps
after=$(curl -s -A "$browser-counter-2" "$results" | grep -o 'class="visits">[^<]*<b>[0-9]*' | grep -o '[0-9]*$')
echo
echo "visits counted today: $before before, $after after (new visitors counted, reloads and robots not)"
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo "results page: ${rate[results]} requests/s (returning visitor), ${rate[results-new-visitors]} requests/s (a new visitor each request); peer (stylesheet) ${rate[peer]} requests/s; ratios $(ratio "${rate[results]}" "${rate[peer]}") and $(ratio "${rate[results-new-visitors]}" "${rate[peer]}")"
echo "portal home: ${rate[home]} requests/s; ratio to the peer $(ratio "${rate[home]}" "${rate[peer]}")"
echo "($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
