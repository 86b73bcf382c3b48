#!/usr/bin/env bash
# Benchmark: the rank Monte Carlo of the analysis layer (crates/core/src/analysis/uncertainty.rs)
# on 100 units × 58 sub-criteria (two survey-derived, 5 survey elements each) × 10,000 replicates,
# with area weights perturbed by ±10 % and three class-threshold sets (target: under 1 s on the
# 2-core machine), against the same computation vectorised in NumPy
# (bench/analysis_mc_numpy.py) on the same input, in the same run. The two use different random
# generators, so their results are compared in distribution (bench/analysis_mc.py compare).
#
#   bash bench/analysis_mc.sh            UNITS=100 REPLICATES=10000 SEED=20200608 ROUNDS=3
set -euo pipefail
cd "$(dirname "$0")/.."
units=${UNITS:-100}
replicates=${REPLICATES:-10000}
seed=${SEED:-20200608}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -c 'import numpy' 2>/dev/null || pip install -q numpy
cargo build --release -q -p parindex-core --example mc_bench
bin=${CARGO_TARGET_DIR:-target}/release/examples/mc_bench

python3 bench/analysis_mc.py generate --units "$units" --replicates "$replicates" --seed "$seed" >"$work/input.json"
echo "input: $units units × 58 sub-criteria (2 survey-derived, 5 elements each), $replicates replicates, seed $seed"

# Each program times its own simulation and reports its best run (the machine is shared: the best
# run is the closest to uncontended time); the Rust one runs it with 1 thread and with all
# threads and checks that both give identical results. The two programs take turns, ROUNDS times
# (default 3), so that both meet the same load; each keeps its best round.
rounds=${ROUNDS:-3}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  "$bin" "$work/input.json" >"$work/rust.$r.json"
  python3 bench/analysis_mc_numpy.py "$work/input.json" >"$work/numpy.$r.json"
done
python3 - "$work" "$rounds" <<'PY'
import json, shutil, sys
work, rounds = sys.argv[1], int(sys.argv[2])
for name, key in (("rust", "simulate_seconds"), ("numpy", "simulate_seconds")):
    runs = [json.load(open(f"{work}/{name}.{r}.json")) for r in range(1, rounds + 1)]
    best = min(runs, key=lambda j: j[key])
    if name == "rust":
        best["simulate_seconds_1_thread"] = min(j["simulate_seconds_1_thread"] for j in runs)
        assert all(j["units"] == runs[0]["units"] for j in runs), "same seed, same results"
    json.dump(best, open(f"{work}/{name}.json", "w"))
PY

python3 bench/analysis_mc.py compare "$work/rust.json" "$work/numpy.json"
python3 - "$work/rust.json" "$work/numpy.json" "$rounds" <<'PY'
import json, sys
r, n = (json.load(open(p)) for p in sys.argv[1:3])
rounds = int(sys.argv[3])
rt, r1, nt = r["simulate_seconds"], r["simulate_seconds_1_thread"], n["simulate_seconds"]
print(f"rust:  {rt * 1000:7.1f} ms with {r['threads']} threads, {r1 * 1000:7.1f} ms with 1 "
      f"(best of {7 * rounds}; target < 1000 ms); setup {r['setup_seconds'] * 1000:.1f} ms")
print(f"numpy: {nt * 1000:7.1f} ms ({n['implementation']}, best of {5 * rounds})")
print(f"ratio: rust is {nt / rt:.1f}× faster than numpy ({nt / r1:.1f}× on one thread)")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
