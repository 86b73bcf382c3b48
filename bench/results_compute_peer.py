#!/usr/bin/env python3
"""Peer for bench/results_compute.sh: the same scoring and ranking in plain Python (decimal module),
so the benchmark compares against an independent implementation and checks equal results.

usage: results_compute_peer.py SET.toml SCORES.csv OUT.csv
"""
import csv
import sys
import tomllib
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

D = Decimal


def fold(text):
    text = unicodedata.normalize("NFD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("đ", "d").replace("Đ", "d").lower().split())


def num(v):
    return D(str(v))


def ratio_percent(text):
    if "/" in text:
        a, b = text.split("/", 1)
        return num(a) * 100 / num(b)
    return num(text.replace(",", "."))


def score(rule, text, mx, allow_na):
    text = text.strip()
    if not text:
        return D(0), False
    if fold(text) in ("na", "n/a", "kad", "khong ap dung", "not applicable"):
        return D(0), True
    t = rule["type"]
    if t == "binary":
        return (mx if fold(text) in ("co", "yes", "y", "1", "x", "true", "dat") else D(0)), False
    if t == "timeliness":
        f = fold(text)
        if f in ("dung_han", "on_time"):
            return num(rule.get("on_time", mx)), False
        if f in ("tre_han", "late"):
            return num(rule["late"]), False
        return num(rule.get("missing", 0)), False
    if t == "bands":
        v = num(text.replace(",", "."))
        for b in rule["bands"]:
            lo, hi = b.get("min"), b.get("max")
            ok_lo = lo is None or (v >= num(lo) if b.get("min_inclusive", True) else v > num(lo))
            ok_hi = hi is None or (v <= num(hi) if b.get("max_inclusive", False) else v < num(hi))
            if ok_lo and ok_hi:
                return num(b["points"]), False
        raise ValueError(text)
    if t == "proportional":
        r = ratio_percent(text)
        floor = num(rule.get("floor", 0))
        below = r < floor if rule.get("floor_inclusive", True) else r <= floor
        if below:
            return D(0), False
        cap = num(rule.get("cap", mx))
        return min(mx * r / 100, cap, mx), False
    if t == "per_item":
        return min(num(text) * num(rule["each"]), mx), False
    if t == "graded":
        for lv in rule["levels"]:
            if fold(lv["key"]) == fold(text):
                return mx * num(lv["share"]), False
        raise ValueError(text)
    if t == "deduction":
        kinds = rule["kinds"]
        counts = {k["key"]: 0 for k in kinds}
        if "=" not in text:
            if len(kinds) == 1:
                counts[kinds[0]["key"]] = int(text)
        else:
            for part in text.replace(",", ";").split(";"):
                if part.strip():
                    k, n = part.split("=")
                    counts[k.strip()] = int(n)
        ded = sum(D(counts[k["key"]]) * num(k["share"]) * mx for k in kinds)
        return max(mx - ded, D(0)), False
    if t == "survey":
        v = num(text.replace(",", "."))
        lo, hi = num(rule.get("from", 0)), num(rule.get("to", 100))
        share = min(max((v - lo) / (hi - lo), D(0)), D(1))
        return mx * share, False
    if t == "manual":
        return num(text.replace(",", ".")), False
    raise ValueError(t)


def main():
    set_path, scores_path, out_path = sys.argv[1:4]
    with open(set_path, "rb") as f:
        s = tomllib.load(f)
    decimals = s.get("scoring", {}).get("decimals", 2)
    q = D(1).scaleb(-decimals)
    leaves = [n for n in s["node"] if "rule" in n]
    bonus_cap = num(s.get("bonus", {}).get("max", 0))
    penalty_cap = num(s.get("penalty", {}).get("max", 0))
    rows = []
    with open(scores_path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        for r in reader:
            level = r.get("level") or None
            total, mx = D(0), D(0)
            for n in leaves:
                leaf_max = num(n.get("max_by_level", {}).get(level, n["max"])) if level else num(n["max"])
                pts, na = score(n["rule"], r[n["code"]], leaf_max, n.get("allow_na", False))
                if not na:
                    total += pts
                    mx += leaf_max
            total += min(num(r.get("bonus") or 0), bonus_cap) - min(num(r.get("penalty") or 0), penalty_cap)
            total = max(total, D(0))
            pct = (total * 100 / mx).quantize(q, rounding=ROUND_HALF_UP)
            rows.append((r["group"], r["unit"], total.quantize(q, rounding=ROUND_HALF_UP), pct))
    by_group = {}
    for row in rows:
        by_group.setdefault(row[0], []).append(row)
    with open(out_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["group", "rank", "unit", "total", "percent"])
        for g, units in by_group.items():
            values = sorted((u[3] for u in units), reverse=True)
            import bisect

            neg = [-v for v in values]
            for u in sorted(units, key=lambda u: (-u[3], u[1])):
                rank = bisect.bisect_left(neg, -u[3]) + 1
                w.writerow([g, rank, u[1], u[2], u[3]])


if __name__ == "__main__":
    main()
