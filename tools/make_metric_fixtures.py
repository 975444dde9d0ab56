#!/usr/bin/python3
"""Write tests/fixtures/metrics.h5: small score/label sets and what scikit-learn computes from them,
for tests/test_metrics.c to hold gseq_mpi's metrics against (to 1e-6).

Binary cases (one group each under /binary): float32 scores with many ties, ties across the two
classes, all scores tied, perfect and inverted rankings, a single positive, the scikit-learn docs
example. Each holds `scores`, `labels` and scikit-learn's roc_auc_score, average_precision_score,
roc_curve (drop_intermediate=True) and precision_recall_curve.

/multilabel: scores and labels (N, K) with a target without positives and one with 2 positives;
per-target AUROC and AUPRC (NaN where undefined), and for min_count 1 and 3 the mean and median
over the targets kept. /multiclass: softmax probabilities, one-hot labels and confusion_matrix.

Never needed to train or test; run with Debian's interpreter (python3-sklearn, python3-h5py):

    /usr/bin/python3 tools/make_metric_fixtures.py tests/fixtures/metrics.h5
"""
import sys

import h5py
import numpy as np
import sklearn
from sklearn.metrics import (average_precision_score, confusion_matrix, precision_recall_curve,
                             roc_auc_score, roc_curve)


def binary_cases(rng):
    """name -> (scores float32, labels 0/1)."""
    n = 300
    lab = (rng.random(n) < 0.3).astype(np.float32)
    cases = {
        "ties": (np.round(rng.random(n) * 0.6 + 0.4 * lab, 1), lab),
        "continuous": (rng.normal(size=1000) + 0.8 * (rng.random(1000) < 0.4),
                       None),
        "all_tied": (np.full(20, 0.5), np.array([0, 1] * 10)),
        "perfect": (np.linspace(0, 1, 40), np.r_[np.zeros(25), np.ones(15)]),
        "inverted": (np.linspace(0, 1, 40), np.r_[np.ones(15), np.zeros(25)]),
        "one_positive": (rng.random(50), np.eye(50)[17]),
        "sklearn_doc": (np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])),
        "cross_ties": (np.array([0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.1]),
                       np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 0])),
    }
    s, _ = cases["continuous"]
    cases["continuous"] = (s, (s + rng.normal(size=s.size) > 0.6).astype(np.float32))
    return {k: (np.asarray(v[0], dtype=np.float32), np.asarray(v[1], dtype=np.float32))
            for k, v in cases.items()}


def put(g, name, data):
    """A dataset without timestamps, so the same numbers give the same bytes."""
    g.create_dataset(name, data=data, track_times=False)


def group(parent, name):
    """A group without timestamps (h5py's create_group always stores them)."""
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    lcpl = h5py.h5p.create(h5py.h5p.LINK_CREATE)
    lcpl.set_create_intermediate_group(True)
    h5py.h5g.create(parent.id, name.encode(), lcpl=lcpl, gcpl=gcpl)
    return parent[name]


def write_binary(g, scores, labels):
    """One binary case and scikit-learn's numbers for it."""
    put(g, "scores", scores)
    put(g, "labels", labels)
    put(g, "auroc", [roc_auc_score(labels, scores)])  # (1) arrays rather than scalars: one reader
    put(g, "auprc", [average_precision_score(labels, scores)])
    fpr, tpr, thr = roc_curve(labels, scores)  # drop_intermediate=True, the default
    put(g, "roc_fpr", fpr)
    put(g, "roc_tpr", tpr)
    put(g, "roc_thresholds", thr.astype(np.float64))
    prec, rec, thr = precision_recall_curve(labels, scores)
    put(g, "pr_precision", prec)
    put(g, "pr_recall", rec)
    put(g, "pr_thresholds", thr.astype(np.float64))


def per_target(scores, labels):
    """sklearn's AUROC and AUPRC of every column; NaN when a class is missing."""
    roc, pr = [], []
    for k in range(labels.shape[1]):
        y, s = labels[:, k], scores[:, k]
        both = 0 < y.sum() < y.size
        roc.append(roc_auc_score(y, s) if both else np.nan)
        pr.append(average_precision_score(y, s) if y.sum() > 0 else np.nan)
    return np.array(roc), np.array(pr)


def write_multilabel(g, rng):
    """(N, K) scores and labels; per-target metrics; summaries for min_count 1 and 3."""
    n, k = 120, 6
    labels = (rng.random((n, k)) < [0.5, 0.3, 0.1, 0.0, 0.4, 0.2]).astype(np.float32)
    labels[:, 3] = 0.0               # no positives: skipped for any min_count
    labels[:, 5] = 0.0
    labels[[7, 70], 5] = 1.0         # two positives: skipped for min_count 3
    scores = np.round(rng.random((n, k)) * 0.7 + 0.3 * labels, 2).astype(np.float32)
    roc, pr = per_target(scores, labels)
    for name, data in (("scores", scores), ("labels", labels), ("auroc", roc), ("auprc", pr)):
        put(g, name, data)
    for min_count in (1, 3):
        pos = labels.sum(0)
        keep = (pos >= min_count) & (n - pos >= min_count)
        s = group(g, f"min_count_{min_count}")
        put(s, "kept", keep.astype(np.int32))
        put(s, "summary", [np.mean(roc[keep]), np.median(roc[keep]), np.mean(pr[keep]),
                           np.median(pr[keep])])  # AUROC mean, median; AUPRC mean, median


def write_multiclass(g, rng):
    """Softmax probabilities, one-hot labels and confusion_matrix of their argmaxes."""
    n, k = 90, 4
    truth = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k)) + 1.2 * np.eye(k)[truth]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    put(g, "probs", probs.astype(np.float32))
    put(g, "labels", np.eye(k, dtype=np.float32)[truth])
    put(g, "confusion", confusion_matrix(truth, probs.astype(np.float32).argmax(1),
                                         labels=range(k)).astype(np.int32))


def main():
    """Write the fixture file named by the only argument."""
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT.h5")
    rng = np.random.default_rng(6)
    with h5py.File(sys.argv[1], "w") as f:
        f.attrs["sklearn_version"] = sklearn.__version__
        for name, (scores, labels) in binary_cases(rng).items():
            write_binary(group(f, f"binary/{name}"), scores, labels)
        write_multilabel(group(f, "multilabel"), rng)
        write_multiclass(group(f, "multiclass"), rng)
    print(f"{sys.argv[1]}: written with scikit-learn {sklearn.__version__}")


if __name__ == "__main__":
    main()
