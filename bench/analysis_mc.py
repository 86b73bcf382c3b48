#!/usr/bin/env python3
"""Helpers of bench/analysis_mc.sh: generate a round to simulate, and compare two results.

  analysis_mc.py generate --units 100 --replicates 10000 --seed 20200608 > input.json
  analysis_mc.py compare rust.json numpy.json

The round: 9 areas, 38 criteria, 58 sub-criteria (as in the source article), two of them
survey-derived (citizens' SIPAS and the officials' survey, 5 elements each with per-element
(satisfied, valid) counts), 100 units close enough together that ranks are uncertain.
"""
import argparse
import json
import math
import random
import sys
from fractions import Fraction

AREA_MAX = [8, 8, 14, 10, 14, 6, 14, 10, 16]      # sum 100
CRITERIA = [5, 4, 6, 4, 5, 3, 5, 3, 3]            # 38 criteria
DOUBLE = 20                                       # criteria with two sub-criteria: 58 leaves
SURVEY = {"sipas": Fraction(8), "officials": Fraction(4)}  # in the last area


def fmt(x: Fraction) -> str:
    """An exact decimal string of a fraction whose denominator divides 10^k."""
    if x.denominator == 1:
        return str(x.numerator)
    for k in range(1, 12):
        if (10 ** k) % x.denominator == 0:
            n = x.numerator * (10 ** k // x.denominator)
            s = f"{abs(n):0{k + 1}d}"
            s = f"{'-' if n < 0 else ''}{s[:-k]}.{s[-k:]}".rstrip("0").rstrip(".")
            return s
    raise ValueError(x)


def split(total: Fraction, parts: int) -> list:
    """Splits a maximum into parts that are multiples of 0.25 and add up exactly."""
    q = int(total * 4)
    base, extra = divmod(q, parts)
    return [Fraction(base + (1 if i < extra else 0), 4) for i in range(parts)]


def generate(units: int, replicates: int, seed: int) -> dict:
    rnd = random.Random(seed)
    # The last area's last criteria are the survey ones, one sub-criterion each; 20 of the 36
    # others have two sub-criteria: 38 + 20 = 58.
    direct_criteria = sum(CRITERIA) - len(SURVEY)
    doubles = set(rnd.sample(range(direct_criteria), DOUBLE))
    areas = []
    crit_index = 0
    for a, (amax, ncrit) in enumerate(zip(AREA_MAX, CRITERIA)):
        amax = Fraction(amax)
        last = a == len(AREA_MAX) - 1
        direct = amax - (sum(SURVEY.values()) if last else 0)
        sizes = []
        for _ in range(ncrit - (len(SURVEY) if last else 0)):
            sizes.append(2 if crit_index in doubles else 1)
            crit_index += 1
        maxima = split(direct, sum(sizes))
        criteria, k = [], 0
        for size in sizes:
            criteria.append([{"max": fmt(m), "survey": None} for m in maxima[k:k + size]])
            k += size
        if last:
            for name, m in SURVEY.items():
                criteria.append([{"max": fmt(m), "survey": name}])
        areas.append({"max": fmt(amax), "criteria": criteria})
    leaves = [l for a in areas for c in a["criteria"] for l in c]
    assert len(leaves) == 58, len(leaves)

    out_units = []
    for u in range(units):
        skill = rnd.uniform(0.80, 0.97)
        points = []
        for leaf in leaves:
            if leaf["survey"]:
                points.append("")
                continue
            m = Fraction(leaf["max"])
            r = rnd.random()
            share = Fraction(1) if r < skill else rnd.choice([Fraction(3, 4), Fraction(1, 2), Fraction(0)])
            points.append(fmt(m * share))
        survey = {}
        for name in SURVEY:
            rate = min(0.99, max(0.6, rnd.gauss(skill, 0.04)))
            n = rnd.randint(150, 400)
            survey[name] = [[max(0, min(n, round(rnd.gauss(rate, 0.02) * n))), n] for _ in range(5)]
        out_units.append({"unit": f"U{u + 1:03d}", "points": points, "survey": survey})
    return {
        "seed": seed,
        "replicates": replicates,
        "weight_jitter": 0.1,
        "class_minima": [["92", "82", "72", "52", "0"], ["88", "78", "68", "48", "0"]],
        "areas": areas,
        "units": out_units,
    }


def compare(a: dict, b: dict) -> int:
    """Agreement within Monte Carlo noise. Exact equality is impossible across generators, so:
    mean ranks within 5 standard errors of a difference of two means; class probabilities
    within 5 standard errors of a difference of two proportions (+0.002); the 5 %, 50 % and
    95 % rank quantiles within one rank (quantiles of a discrete distribution can step by one
    when the cumulative share sits near 5/50/95 %)."""
    r = a["replicates"]
    ub = {u["unit"]: u for u in b["units"]}
    bad = []
    worst_mean = worst_q = worst_p = 0.0
    for u in a["units"]:
        v = ub[u["unit"]]
        if u["rank"] != v["rank"]:
            bad.append(f"{u['unit']}: deterministic rank {u['rank']} vs {v['rank']}")
        se = math.sqrt((u["rank_sd"] ** 2 + v["rank_sd"] ** 2) / r)
        d = abs(u["mean_rank"] - v["mean_rank"])
        worst_mean = max(worst_mean, d / se if se > 0 else 0.0)
        if d > 5 * se + 1e-9:
            bad.append(f"{u['unit']}: mean rank {u['mean_rank']:.3f} vs {v['mean_rank']:.3f}")
        for key in ("rank_p05", "median_rank", "rank_p95"):
            dq = abs(u[key] - v[key])
            worst_q = max(worst_q, dq)
            if dq > 1:
                bad.append(f"{u['unit']}: {key} {u[key]} vs {v[key]}")
        for c, (p, q) in enumerate(zip(u["class_probability"], v["class_probability"])):
            m = (p + q) / 2
            tol = 5 * math.sqrt(2 * m * (1 - m) / r) + 0.002
            worst_p = max(worst_p, abs(p - q))
            if abs(p - q) > tol:
                bad.append(f"{u['unit']}: P(class {c}) {p:.4f} vs {q:.4f}")
    print(f"agreement: {len(a['units'])} units; largest mean-rank difference "
          f"{worst_mean:.2f} standard errors; largest quantile difference {worst_q:.0f} rank; "
          f"largest class-probability difference {worst_p:.4f}")
    for line in bad:
        print("  DISAGREE", line)
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--units", type=int, default=100)
    g.add_argument("--replicates", type=int, default=10000)
    g.add_argument("--seed", type=int, default=20200608)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    args = ap.parse_args()
    if args.cmd == "generate":
        json.dump(generate(args.units, args.replicates, args.seed), sys.stdout)
        return 0
    with open(args.a) as fa, open(args.b) as fb:
        return compare(json.load(fa), json.load(fb))


if __name__ == "__main__":
    sys.exit(main())
