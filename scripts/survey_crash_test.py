#!/usr/bin/env python3
"""Survey crash test: SIGKILL the server repeatedly in the middle of a stream of survey responses
(JSON to the open link, and the public HTML form), restart it, and check that every response the
server acknowledged (201, or the form's 303) is stored exactly once, and that recomputing the
statistics from the raw responses gives exactly the running statistics.

usage: survey_crash_test.py [--binary target/debug/parindex] [--rounds 5] [--seconds 1.5] [--workers 4]
Loopback only; bounded in rounds and time. Exit 1 if an acknowledged response is missing or
stored twice, or if the recompute finds a difference.
"""
import argparse
import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

YEAR = 2019
SURVEY = "sipas-2017-22"
ITEMS = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1", "3.2", "3.3", "3.4",
         "3.5", "3.6", "4.1", "4.2", "4.3", "5.1", "5.2", "5.3", "5.4"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def post(url, body, content_type, timeout=10):
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", content_type)
    try:
        with OPENER.open(req, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def wait_healthy(base, proc, limit=60):
    deadline = time.time() + limit
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not become healthy")


def answers(rng):
    # Never straight-lined: the first two answers differ.
    return {c: (5 if i == 0 else 3 if i == 1 else rng.randint(1, 5)) for i, c in enumerate(ITEMS)}


def run(binary, args, env, *, capture=True):
    return subprocess.run([binary, *args], env=env, capture_output=capture, text=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/debug/parindex")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.5, help="longest run before a kill")
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rng = random.Random(2019)
    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ, PARINDEX_DATA_DIR=data, PARINDEX_SURVEY_RATE_BURST="0")
        env.pop("PARINDEX_DATABASE_URL", None)
        for step in (["demo"],
                     ["survey", "create", "--year", str(YEAR), "--questionnaire",
                      os.path.join(root, "sets", f"{SURVEY}.survey.toml")]):
            r = run(binary, step, env)
            if r.returncode != 0:
                print(r.stdout, r.stderr)
                raise SystemExit(f"setup failed: {' '.join(step)}")
        acknowledged, attempted, lock = [], [0], threading.Lock()
        units = None
        for round_no in range(args.rounds):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_healthy(base, proc)
            if units is None:
                with urllib.request.urlopen(f"{base}/khao-sat/{YEAR}/{SURVEY}", timeout=10) as r:
                    page = r.read().decode()
                prefix = f'href="/khao-sat/{YEAR}/{SURVEY}/'
                units = [p.split('"')[0] for p in page.split(prefix)[1:]]
                if not units:
                    raise SystemExit("the survey page lists no unit")
            stop = threading.Event()

            def worker(w):
                wrng = random.Random(round_no * 1000 + w)
                n = 0
                while not stop.is_set():
                    n += 1
                    marker = f"crash-{round_no}-{w}-{n}"
                    unit = wrng.choice(units)
                    with lock:
                        attempted[0] += 1
                    try:
                        if n % 3 == 0:
                            fields = {f"i_{c}": str(v) for c, v in answers(wrng).items()}
                            fields["free_text"] = marker
                            status = post(f"{base}/khao-sat/{YEAR}/{SURVEY}/{unit}",
                                          urllib.parse.urlencode(fields).encode(),
                                          "application/x-www-form-urlencoded")
                            ok = status == 303
                        else:
                            body = {"unit": unit, "answers": answers(wrng), "free_text": marker}
                            status = post(f"{base}/api/survey/{YEAR}/{SURVEY}/responses",
                                          json.dumps(body).encode(), "application/json")
                            ok = status == 201
                        if ok:
                            with lock:
                                acknowledged.append(marker)
                        elif status not in (200, 201, 303):
                            print(f"unexpected status {status} for {marker}")
                    except OSError:
                        return

            threads = [threading.Thread(target=worker, args=(w,)) for w in range(args.workers)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.3, args.seconds))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            stop.set()
            for t in threads:
                t.join(timeout=15)
            print(f"round {round_no + 1}: killed after {len(acknowledged)} acknowledged responses in all")

        out = os.path.join(data, "export.csv")
        r = run(binary, ["survey", "export", "--year", str(YEAR), "--survey", SURVEY, "--format", "csv",
                         "--out", out], env)
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            raise SystemExit("export failed")
        with open(out, newline="", encoding="utf-8-sig") as f:
            markers = [row.get("free_text", "") for row in csv.DictReader(f)]
        present = {}
        for m in markers:
            if m.startswith("crash-"):
                present[m] = present.get(m, 0) + 1
        lost = [m for m in acknowledged if m not in present]
        twice = [m for m, k in present.items() if k > 1]
        rec = run(binary, ["--locale", "en", "survey", "recompute", "--year", str(YEAR), "--survey", SURVEY], env)
        recompute = (rec.stdout.strip().splitlines() or [""])[-1] or rec.stderr.strip()
        print(f"attempted {attempted[0]}, acknowledged {len(acknowledged)}, stored {len(present)} "
              f"(in flight at a kill and stored without an answer: {len(present) - len(acknowledged) + len(lost)}), "
              f"lost {len(lost)}, stored twice {len(twice)}")
        print(f"recompute: {recompute}{'' if rec.returncode == 0 else ' (' + rec.stderr.strip() + ')'}")
        # The command fails on a difference; the count is checked as well, in case it ever did not.
        equal = rec.returncode == 0 and ": 0 differences" in recompute
        if lost or twice or not equal or not acknowledged:
            print(f"FAILED: lost {lost[:10]}, twice {twice[:10]}" if lost or twice else "FAILED")
            return 1
        print("survey crash test passed")
        return 0


if __name__ == "__main__":
    sys.exit(main())
