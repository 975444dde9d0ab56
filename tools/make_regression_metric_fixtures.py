#!/usr/bin/python3
"""Write tests/fixtures/regression_metrics.h5: predictions and labels (N, K) and what numpy computes
from them, for tests/test_metrics.c to hold gseq_mpi's regression metrics against (to 1e-6).

Columns: continuous and correlated; heavily tied (both rounded to one decimal); anti-correlated
with ties; a constant prediction (correlations undefined: NaN); constant labels (NaN); and two
rows only. Pearson is np.corrcoef of float64 columns; Spearman the Pearson of average ranks,
here computed as rank_i = #(v < v_i) + (#(v == v_i) + 1) / 2 by counting, not by sorting (the C
code sorts); MSE the mean of squared float64 differences. The means run over the targets where
each metric is defined. numpy only (scipy is not installed here):

    /usr/bin/python3 tools/make_regression_metric_fixtures.py tests/fixtures/regression_metrics.h5
"""
import sys

import h5py
import numpy as np


def average_ranks(v):
    """1-based ranks, ties sharing their average, by counting."""
    v = np.asarray(v, dtype=np.float64)
    less = (v[None, :] < v[:, None]).sum(1)
    equal = (v[None, :] == v[:, None]).sum(1)
    return less + (equal + 1) / 2.0


def pearson(a, b):
    """np.corrcoef, NaN when either column is constant or there are fewer than 2 rows."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.size < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return np.nan
    return float(np.corrcoef(a, b)[0, 1])


def columns(rng, n):
    """(pred, labels) float32 (n, 6)."""
    x = rng.normal(size=n)
    pred = np.stack([x + 0.5 * rng.normal(size=n),
                     np.round(rng.random(n), 1),
                     np.round(-x, 1),
                     np.full(n, 0.25),
                     rng.normal(size=n),
                     rng.poisson(2.0, size=n) + 0.0], 1)
    labels = np.stack([x,
                       np.round(0.5 * pred[:, 1] + 0.5 * rng.random(n), 1),
                       np.round(x + 0.3 * rng.normal(size=n), 0),
                       rng.normal(size=n),
                       np.full(n, 3.0),
                       rng.poisson(2.0, size=n) + 0.0], 1)
    return pred.astype(np.float32), labels.astype(np.float32)


def write_case(g, pred, labels):
    """One case and numpy's metrics of it."""
    p, y = pred.astype(np.float64), labels.astype(np.float64)
    K = p.shape[1]
    r = np.array([pearson(p[:, k], y[:, k]) for k in range(K)])
    s = np.array([pearson(average_ranks(p[:, k]), average_ranks(y[:, k])) if not np.isnan(r[k])
                  else np.nan for k in range(K)])
    mse = ((p - y) ** 2).mean(0)
    for name, data in (("pred", pred), ("labels", labels), ("pearson", r), ("spearman", s),
                       ("mse", mse)):
        g.create_dataset(name, data=data, track_times=False)
    means = [np.nanmean(r) if np.isfinite(r).any() else np.nan,
             np.nanmean(s) if np.isfinite(s).any() else np.nan, mse.mean()]
    g.create_dataset("means", data=np.array(means), track_times=False)  # pearson, spearman, mse


def main():
    """Write the fixture file named by the only argument."""
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT.h5")
    rng = np.random.default_rng(17)
    with h5py.File(sys.argv[1], "w") as f:
        f.attrs["numpy_version"] = np.__version__
        pred, labels = columns(rng, 200)
        write_case(f.create_group("six_columns", track_order=False), pred, labels)
        two = np.array([[1.0], [2.0]], np.float32), np.array([[5.0], [3.0]], np.float32)
        write_case(f.create_group("two_rows"), *two)
        write_case(f.create_group("all_constant"), np.ones((5, 2), np.float32),
                   np.arange(10, dtype=np.float32).reshape(5, 2))
    print(f"{sys.argv[1]}: written with numpy {np.__version__}")


if __name__ == "__main__":
    main()
