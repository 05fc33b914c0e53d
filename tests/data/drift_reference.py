"""Reference values for compel's drift statistics (src/eval/drift.rs).

Recomputes the cases of the unit tests in `src/eval/drift.rs` with NumPy and
SciPy, the way Evidently computes them (see DRIFT.md), and prints the values
the tests paste in. Run:

    python3 -m venv /tmp/np && /tmp/np/bin/pip install numpy scipy
    /tmp/np/bin/python tests/data/drift_reference.py

The inputs are built from integers with one division each, so Rust and
Python see bit-identical floats.
"""
import math

import numpy as np
import scipy
from scipy import stats


def gen(n, a, c, m, div, off=0.0):
    """n values ((i * a + c) % m) / div + off, i = 0..n-1 (exact in f64 up to the division)."""
    return [((i * a + c) % m) / div + off for i in range(n)]


def finite(xs):
    return np.array([x for x in xs if math.isfinite(x)], dtype=np.float64)


def psi(reference, current):
    """Evidently's PSI: Sturges bins over the pooled samples when the reference
    has more than 20 distinct values, one bin per distinct value otherwise;
    zero shares replaced per window."""
    ref, cur = finite(reference), finite(current)
    if len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        r = np.histogram(ref, bins)[0] / len(ref)
        c = np.histogram(cur, bins)[0] / len(cur)
        nbins = len(bins) - 1
    else:
        keys = sorted(set(ref.tolist()) | set(cur.tolist()))
        r = np.array([ref.tolist().count(k) / len(ref) for k in keys])
        c = np.array([cur.tolist().count(k) / len(cur) for k in keys])
        nbins = len(keys)
    for shares in (r, c):
        m = min(shares[shares != 0])
        np.place(shares, shares == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return float(np.sum((r - c) * np.log(r / c))), nbins


def ks(reference, current):
    return float(stats.ks_2samp(finite(reference), finite(current)).statistic)


def w1(reference, current):
    return float(stats.wasserstein_distance(finite(reference), finite(current)))


def w1_norm(reference, current):
    return w1(reference, current) / max(float(np.std(finite(reference))), 0.001)


CASES = {
    # 40 distinct reference values, pooled N = 64 and range 2.1: Sturges
    # gives 8 bins, not ceil(log2(64) + 1) = 7.
    "n64_range_2_1": (gen(40, 1, 0, 40, 20.0), gen(24, 1, 0, 24, 23.0 / 2.1, 0.0)),
    # Integers 0..63 and 1..64, N = 128: 8 bins whose edges 8, 16, ... are
    # data values (half-open bins, the last one closed).
    "edges_on_data": (gen(64, 1, 0, 64, 1.0), gen(64, 1, 0, 64, 1.0, 1.0)),
    # Scrambled values, windows of different sizes, a shift.
    "scrambled": (gen(200, 7919, 13, 1009, 13.0), gen(150, 104729, 7, 997, 11.0, 5.0)),
    # Few distinct values: one bin per value, zero shares filled.
    "distinct": (gen(30, 3, 1, 7, 2.0), gen(20, 5, 2, 9, 2.0)),
    # NaN and infinities are dropped first.
    "non_finite": (
        gen(25, 17, 3, 101, 4.0) + [float("nan"), float("inf")],
        [float("-inf")] + gen(25, 19, 5, 103, 4.0, 1.0),
    ),
}

if __name__ == "__main__":
    print(f"numpy {np.__version__}, scipy {scipy.__version__}")
    ref, cur = CASES["n64_range_2_1"]
    pooled = np.concatenate([finite(ref), finite(cur)])
    print("n64_range_2_1 pooled range", pooled.max() - pooled.min(),
          "edges", len(np.histogram_bin_edges(pooled, bins="sturges")))
    for name, (ref, cur) in CASES.items():
        p, nbins = psi(ref, cur)
        print(f"{name}: bins={nbins} psi={p!r} ks={ks(ref, cur)!r} "
              f"w1={w1(ref, cur)!r} w1_norm={w1_norm(ref, cur)!r}")
