#!/usr/bin/env python3
"""Crash test: SIGKILL the server repeatedly in the middle of a stream of writes, restart it, and
check that every write it acknowledged is there, and that the audit chain still verifies.

usage: crash_test.py [--binary target/debug/parindex] [--rounds 6] [--seconds 1.5]
Loopback only; bounded in rounds and time. Exit 1 if an acknowledged write is missing.
"""
import argparse
import http.cookiejar
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
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def call(self, method, path, body=None, timeout=5):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.csrf:
            req.add_header("X-CSRF-Token", self.csrf)
        with self.opener.open(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")

    def login(self, user, password):
        _, body = self.call("POST", "/api/session", {"username": user, "password": password})
        self.csrf = body["csrf_token"]


def wait_healthy(base, proc, limit=30):
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/debug/parindex")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=1.5, help="longest run before a kill")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    rng = random.Random(2019)
    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ, PARINDEX_DATA_DIR=data)
        env.pop("PARINDEX_DATABASE_URL", None)
        password = "crash-test-password"
        subprocess.run([binary, "users", "add", "admin", "--role", "secretariat", "--password-stdin", "--data-dir", data],
                       input=password.encode(), check=True, env=env, capture_output=True)
        acknowledged, attempted, n = [], 0, 0
        for round_no in range(args.rounds):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}", "--data-dir", data],
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_healthy(base, proc)
            client = Client(base)
            client.login("admin", password)
            stop = threading.Event()

            def writer():
                nonlocal attempted, n
                while not stop.is_set():
                    n += 1
                    code = f"u{n:06d}"
                    attempted += 1
                    try:
                        status, _ = client.call("POST", "/api/units", {"code": code, "name": f"Đơn vị {n}", "group": "so"})
                        if status in (200, 201):
                            acknowledged.append(code)
                    except (OSError, urllib.error.HTTPError):
                        return

            t = threading.Thread(target=writer)
            t.start()
            time.sleep(rng.uniform(0.2, args.seconds))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            stop.set()
            t.join(timeout=10)
            print(f"round {round_no + 1}: killed after {len(acknowledged)} acknowledged writes in all")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}", "--data-dir", data],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_healthy(base, proc)
            client = Client(base)
            client.login("admin", password)
            _, units = client.call("GET", "/api/units", timeout=30)
            present = {u["code"] for u in units}
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        lost = [c for c in acknowledged if c not in present]
        audit = subprocess.run([binary, "--locale", "en", "audit", "verify", "--data-dir", data], env=env, capture_output=True, text=True)
        print(f"attempted {attempted}, acknowledged {len(acknowledged)}, present after restart {len(present)}, lost {len(lost)}")
        print(f"audit verify: {(audit.stdout or audit.stderr).strip()}")
        if lost or audit.returncode != 0 or not acknowledged:
            print(f"FAILED: lost {lost[:10]}" if lost else "FAILED")
            return 1
        print("crash test passed")
        return 0


if __name__ == "__main__":
    sys.exit(main())
