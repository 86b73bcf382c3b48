#!/usr/bin/env python3
"""The rank Monte Carlo of parindex (crates/core/src/analysis/uncertainty.rs) vectorised in
NumPy, as the peer of the Rust implementation in bench/analysis_mc.sh.

  analysis_mc_numpy.py input.json > numpy.json

Same model and same definitions as the Rust code: per replicate, area weights drawn uniformly in
[1 − x, 1 + x] and rescaled so the total maximum is unchanged; one class-threshold set drawn
among the set's own and the alternatives; each survey rate drawn from a normal with the
standard error of the mean of its element rates (elements independent, p̃ = (s + ½)/(n + 1)),
clamped to [0, 1]; totals, percent of the unit's own maximum, published to 2 decimals (half up);
competition ranks; classes. Only the random generator differs (NumPy's PCG64), so results agree
in distribution, not draw for draw.
"""
import json
import sys
import time

import numpy as np

OWN_MINIMA = [90, 80, 70, 50, 0]  # the bench set's classes (see crates/core/examples/mc_bench.rs)
EPS = 1e-6


def prepare(inp):
    areas = inp["areas"]
    a_max = np.array([float(a["max"]) for a in areas])
    leaves = []  # (area, max, survey indicator or None)
    for ai, a in enumerate(areas):
        for c in a["criteria"]:
            for leaf in c:
                leaves.append((ai, float(leaf["max"]), leaf["survey"]))
    survey_leaves = [(i, l) for i, l in enumerate(leaves) if l[2]]
    units = inp["units"]
    n, A, P = len(units), len(areas), len(survey_leaves)
    fixed = np.zeros((n, A))
    own_max = np.zeros((n, A))
    rate = np.zeros((n, P))
    se = np.zeros((n, P))
    part_max = np.array([l[1] for _, l in survey_leaves])
    part_area = np.array([l[0] for _, l in survey_leaves])
    for u, unit in enumerate(units):
        for i, (area, mx, survey) in enumerate(leaves):
            own_max[u, area] += mx
            if not survey:
                fixed[u, area] += float(unit["points"][i])
        for p, (_, (_, _, name)) in enumerate(survey_leaves):
            el = np.array(unit["survey"][name], dtype=float)
            s, v = el[:, 0], el[:, 1]
            rate[u, p] = np.mean(s / v)
            pt = (s + 0.5) / (v + 1.0)
            se[u, p] = np.sqrt(np.sum(pt * (1 - pt) / v)) / len(v)
    minima = [OWN_MINIMA] + [[float(x) for x in m] for m in inp["class_minima"]]
    class_keys = np.ceil(np.array(minima, dtype=float) * 100 - 1e-9).astype(np.int64)
    return dict(a_max=a_max, fixed=fixed, own_max=own_max, rate=rate, se=se,
                part_max=part_max, part_area=part_area, class_keys=class_keys,
                names=[u["unit"] for u in units])


def keys_of(percent):
    return np.floor(percent * 100 + 0.5 + EPS).astype(np.int64)


def competition_ranks(keys):
    """Ranks (1 = best) per row: 1 + the number of keys in the row strictly greater. One
    argsort per row on the narrowest integer type that holds the keys (16-bit keys get NumPy's
    radix sort), then each position takes the first position of its run of equal keys (so any
    order among equal keys will do), and the ranks are put back in unit order."""
    r, n = keys.shape
    small = np.int16 if keys.max() < 2**15 else np.int32 if keys.max() < 2**31 else np.int64
    neg = np.negative(keys, dtype=small)
    order = np.argsort(neg, axis=1, kind="stable" if small is np.int16 else "quicksort")
    srt = np.take_along_axis(neg, order, axis=1)
    pos = np.broadcast_to(np.arange(n, dtype=np.int32), (r, n))
    new_run = np.empty((r, n), bool)
    new_run[:, 0] = True
    np.not_equal(srt[:, 1:], srt[:, :-1], out=new_run[:, 1:])
    first = np.where(new_run, pos, 0)
    np.maximum.accumulate(first, axis=1, out=first)
    first += 1
    ranks = np.empty_like(first)
    np.put_along_axis(ranks, order, first, axis=1)
    return ranks


def simulate(m, replicates, seed, jitter):
    rng = np.random.default_rng(seed)
    n, A = m["fixed"].shape
    P = m["rate"].shape[1]
    R = replicates
    if jitter > 0:
        w = 1 + jitter * (2 * rng.random((R, A)) - 1)
        w *= (m["a_max"].sum() / (w @ m["a_max"]))[:, None]
    else:
        w = np.ones((R, A))
    choice = rng.integers(0, len(m["class_keys"]), R)
    z = rng.standard_normal((P, R, n))            # one contiguous R × n slab per survey part
    total = w @ m["fixed"].T                      # R × n
    mx = w @ m["own_max"].T
    for p in range(P):                            # from 0 to 100 %: points = max × rate
        rate = z[p]
        rate *= m["se"][:, p]
        rate += m["rate"][:, p]
        np.clip(rate, 0, 1, out=rate)
        rate *= (w[:, m["part_area"][p]] * m["part_max"][p])[:, None]
        total += rate
    np.maximum(total, 0, out=total)
    total *= 100
    total /= mx
    keys = keys_of(total)
    ranks = competition_ranks(keys)
    th = m["class_keys"][choice]                  # R × C
    # Minima decrease, so a unit is in class c when it reaches minimum c but not minimum c − 1:
    # count, per unit, the replicates reaching each minimum.
    reached = np.stack([(keys >= th[:, c][:, None]).sum(axis=0) for c in range(th.shape[1])], axis=1)
    ccount = np.diff(reached, axis=1, prepend=0, append=R)
    hist = np.bincount((np.arange(n)[None, :] * n + ranks - 1).ravel(), minlength=n * n).reshape(n, n)
    return hist, ccount


def summarise(m, hist, ccount, replicates):
    n = hist.shape[0]
    R = replicates
    cum = np.cumsum(hist, axis=1)
    q = lambda p: (np.argmax(cum >= max(1, int(np.ceil(p * R))), axis=1) + 1)
    ranks_axis = np.arange(1, n + 1)
    mean = hist @ ranks_axis / R
    sd = np.sqrt(hist @ (ranks_axis ** 2) / R - mean ** 2)
    # Deterministic ranks at the point estimates.
    total = m["fixed"].sum(1) + (m["rate"] * m["part_max"]).sum(1)
    det = competition_ranks(keys_of(total * 100 / m["own_max"].sum(1))[None])[0]
    p05, p50, p95 = q(0.05), q(0.5), q(0.95)
    return [
        {
            "unit": m["names"][u],
            "rank": int(det[u]),
            "median_rank": int(p50[u]),
            "rank_p05": int(p05[u]),
            "rank_p95": int(p95[u]),
            "mean_rank": float(mean[u]),
            "rank_sd": float(sd[u]),
            "class_probability": (ccount[u] / R).tolist(),
        }
        for u in range(n)
    ]


def main():
    with open(sys.argv[1]) as f:
        inp = json.load(f)
    t0 = time.perf_counter()
    m = prepare(inp)
    setup = time.perf_counter() - t0
    times, cpu = [], []
    for _ in range(5):
        t, c = time.perf_counter(), time.thread_time()
        hist, ccount = simulate(m, inp["replicates"], inp["seed"], inp["weight_jitter"])
        units = summarise(m, hist, ccount, inp["replicates"])
        times.append(time.perf_counter() - t)
        # On-CPU time of this thread (NumPy runs these operations on it), as the Rust side
        # measures its one-thread run: waiting for a core on a loaded machine does not count.
        cpu.append(time.thread_time() - c)
    json.dump({
        "implementation": "numpy " + np.__version__,
        "setup_seconds": setup,
        "simulate_seconds": min(times),  # the best run: closest to uncontended on a shared machine
        "simulate_cpu_seconds": min(cpu),
        "replicates": inp["replicates"],
        "seed": inp["seed"],
        "units": units,
    }, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
