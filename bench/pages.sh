#!/usr/bin/env bash
# Benchmark of two pages on the demo province, with wrk on loopback: the published ranking
# (anonymous, /xep-hang/2018/so) and an officer's self-assessment page (signed in; a 2020 round is
# opened through the JSON API and Sở KH&CN's sheet filled with its 2019 declarations, so the page
# is the editable self-assessment grid of area 1). Target: >= 2,000 requests/s with p99 < 50 ms.
# Peer, in the same run: the same server answering its static stylesheet; the script prints each
# page's requests/s as a ratio to it.
# Bounded: every wrk run has a duration (DURATION, default 10 s) and a hard timeout; the server
# is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/wrk_demo_server.sh

# A 2020 round in self-assessment for Sở KH&CN, through the API; prints the officer's cookie.
cookie=$(python3 - "$base" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def call(method, path, body=None, s=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if s:
        req.add_header("cookie", s["cookie"])
        req.add_header("x-csrf-token", s["csrf"])
    with urllib.request.urlopen(req) as r:
        text = r.read()
        return r, (json.loads(text) if text else None)
def login(user, password):
    r, body = call("POST", "/api/session", {"username": user, "password": password})
    return {"cookie": r.headers["set-cookie"].split(";")[0], "csrf": body["csrf_token"]}
sec = login("sonoivu", "demo-sonoivu")
call("POST", "/api/rounds", {"year": 2020, "title": "Chỉ số CCHC năm 2020 (đo tải)"}, sec)
for name in ["so-2019.set.toml", "huyen-2019.set.toml"]:
    call("POST", "/api/rounds/2020/sets", {"source": name, "toml": open("sets/" + name, encoding="utf-8").read()}, sec)
call("POST", "/api/rounds/2020/open", None, sec)
off = login("canbo.skhcn", "demo-canbo-skhcn")
_, sheet = call("GET", "/api/rounds/2020/sheets/skhcn", None, off)
call("POST", "/api/rounds/2020/sheets/skhcn/transitions", {"to": "self_assessing", "version": sheet["sheet"]["version"]}, off)
_, last = call("GET", "/api/rounds/2019/sheets/skhcn", None, off)
for e in last["entries"]:
    if e["declared"]:
        call("PUT", f"/api/rounds/2020/sheets/skhcn/entries/{e['code']}/self", {"version": 0, "declared": e["declared"], "note": e["note"]}, off)
print(off["cookie"])
PY
)

ranking="$base/xep-hang/2018/so"
sheet="$base/ky/2020/phieu/skhcn"
size() { curl -s -o /dev/null -w '%{size_download}' "$@"; }
echo "pages: ranking $(size "$ranking") bytes; self-assessment $(size -H "Cookie: $cookie" "$sheet") bytes"
grep -q 'name="d:1.1.1"' <(curl -s -H "Cookie: $cookie" "$sheet") || { echo "the self-assessment page is not the editable grid" >&2; exit 1; }

# p99 as wrk prints it (us, ms or s) in milliseconds.
ms() { python3 -c "import sys; v=sys.argv[1]; print(float(v[:-2])/1000 if v.endswith('us') else float(v[:-2]) if v.endswith('ms') else float(v[:-1])*1000)" "$1"; }
verdict() {
  local name=$1 rps=$2 p99=$3
  python3 - "$name" "$rps" "$(ms "$p99")" "$peer_rps" <<'PY'
import sys
name, rps, p99, peer = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
ok = rps >= 2000 and p99 < 50
print(f"{name}: {rps:,.0f} requests/s, p99 {p99:.1f} ms -> {'meets' if ok else 'MISSES'} the target (>= 2,000/s, p99 < 50 ms); "
      f"{rps / peer:.2f}x the peer (the same server's static stylesheet, {peer:,.0f} requests/s)")
PY
}
# Warm up (connection pool, caches), then measure.
timeout 10 wrk -t1 -c4 -d2s "$ranking" >/dev/null
timeout 10 wrk -t1 -c4 -d2s -H "Cookie: $cookie" "$sheet" >/dev/null
# The peer, measured in the same run: the same server answering a static file (the pages'
# stylesheet, from memory, no database, no template) — the floor of the HTTP stack and wrk on
# this machine now, so the ratio says what rendering a page costs on top.
timeout 10 wrk -t1 -c4 -d2s "$base/static/app.css" >/dev/null
run "peer: static file (/static/app.css, $(size "$base/static/app.css") bytes)" "$base/static/app.css"
peer_rps=$last_rps
run "ranking (/xep-hang/2018/so)" "$ranking"
ranking_rps=$last_rps ranking_p99=$last_p99
run "self-assessment (/ky/2020/phieu/skhcn, signed in)" -H "Cookie: $cookie" "$sheet"
sheet_rps=$last_rps sheet_p99=$last_p99
echo
verdict "ranking" "$ranking_rps" "$ranking_p99"
verdict "self-assessment" "$sheet_rps" "$sheet_p99"
