#!/usr/bin/env python3
"""DuckDB peer of `parindex survey report`: the same table computed from the raw responses.

Usage: survey_report_peer.py RAW.csv OUT.json ELEMENT_SIZES [RUNS]

RAW.csv has the columns unit, a1 … aK (answer codes 1–5, 0 for none); ELEMENT_SIZES is the number
of items per element in questionnaire order, e.g. 5,5,6,4,5. The responses are loaded into a
DuckDB in-memory table first (not timed); then, timed, DuckDB computes per unit every item's
satisfied share with its Wilson interval, every element's index and the overall index (the mean of
the element indices) with the linearised standard error that parindex documents in
docs/survey-statistics.md — one respondent answers every element, so the overall's variance comes
from each respondent's combined contribution. Prints the best time in milliseconds.
"""
import json
import math
import sys
import time

import duckdb

Z95 = 1.959963984540054


def wilson(p, n):
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def normal(value, se):
    return {"value": value, "se": se, "lo": max(value - Z95 * se, 0.0), "hi": min(value + Z95 * se, 100.0)}


def main():
    raw, out = sys.argv[1], sys.argv[2]
    sizes = [int(x) for x in sys.argv[3].split(",")]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    k = sum(sizes)
    con = duckdb.connect()
    cols = {"unit": "VARCHAR", **{f"a{i}": "UTINYINT" for i in range(1, k + 1)}}
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE r AS SELECT * FROM read_csv(?, header = true, columns = {cols!r})", [raw])
    load_ms = (time.perf_counter() - t0) * 1000
    rows = con.execute("SELECT count(*) FROM r").fetchone()[0]

    elements = []
    start = 1
    for m in sizes:
        elements.append(list(range(start, start + m)))
        start += m
    E = len(elements)
    s_expr = [" + ".join(f"CAST(a{i} >= 4 AS INTEGER)" for i in el) for el in elements]
    v_expr = [" + ".join(f"CAST(a{i} > 0 AS INTEGER)" for i in el) for el in elements]
    item_aggs = ", ".join(
        f"count(*) FILTER (WHERE a{i} > 0) AS v_{i}, count(*) FILTER (WHERE a{i} >= 4) AS s_{i}"
        for i in range(1, k + 1)
    )
    per = ", ".join([f"{e} AS s{j}" for j, e in enumerate(s_expr)] + [f"{e} AS v{j}" for j, e in enumerate(v_expr)])
    sums = ", ".join(f"sum(s{j}) AS S{j}, sum(v{j}) AS V{j}" for j in range(E))
    # u_e = (s_e − R_e v_e) / V̄_e, with R_e = S_e / V_e and V̄_e = V_e / n; overall u = Σ u_e / E.
    u = [f"(p.s{j} - a.S{j} / a.V{j} * p.v{j}) / (a.V{j} / a.n)" for j in range(E)]
    lin = ", ".join(f"{x} AS u{j}" for j, x in enumerate(u)) + ", (" + " + ".join(u) + f") / {E} AS uo"
    moments = ", ".join(f"sum(u{j}) AS su{j}, sum(u{j} * u{j}) AS sq{j}" for j in range(E)) + ", sum(uo) AS suo, sum(uo * uo) AS sqo"
    sql = f"""
        WITH per AS (SELECT unit, {per} FROM r),
        agg AS (SELECT unit, count(*) AS n, {sums} FROM per GROUP BY unit),
        lin AS (SELECT p.unit, {lin} FROM per p JOIN agg a USING (unit)),
        mom AS (SELECT unit, {moments} FROM lin GROUP BY unit),
        items AS (SELECT unit, {item_aggs} FROM r GROUP BY unit)
        SELECT * FROM agg JOIN mom USING (unit) JOIN items USING (unit) ORDER BY unit
    """
    best = float("inf")
    result = None
    for _ in range(runs):
        t0 = time.perf_counter()
        res = con.execute(sql).fetchall()
        names = [d[0] for d in con.description]
        table = {}
        for row in res:
            r = dict(zip(names, row))
            n = r["n"]
            items = []
            for i in range(1, k + 1):
                v, s = r[f"v_{i}"], r[f"s_{i}"]
                p = s / v
                lo, hi = wilson(p, v)
                items.append({"value": 100 * p, "lo": 100 * lo, "hi": 100 * hi, "n": v})
            var = lambda su, sq: max((sq - su * su / n) / (n * (n - 1)), 0.0)
            els = []
            for j in range(E):
                value = 100 * r[f"S{j}"] / r[f"V{j}"]
                els.append(normal(value, 100 * math.sqrt(var(r[f"su{j}"], r[f"sq{j}"]))))
            overall_value = sum(100 * r[f"S{j}"] / r[f"V{j}"] for j in range(E)) / E
            overall = normal(overall_value, 100 * math.sqrt(var(r["suo"], r["sqo"])))
            table[r["unit"]] = {"n": n, "items": items, "elements": els, "overall": overall}
        elapsed = (time.perf_counter() - t0) * 1000
        if elapsed < best:
            best, result = elapsed, table
    with open(out, "w") as f:
        json.dump(result, f)
    print(f"{best:.1f}")
    print(f"duckdb {duckdb.__version__}: {rows} responses loaded in {load_ms:.0f} ms (not timed)", file=sys.stderr)


if __name__ == "__main__":
    main()
