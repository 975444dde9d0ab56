#!/usr/bin/python3
"""Render gseq_mpi's results as PNG pictures (Debian's python3-matplotlib; never needed to train).

    /usr/bin/python3 tools/gseq_plots.py --run runs/seed --eval runs/seed/eval --out runs/seed/plots

From a training directory (--run; its metrics.jsonl and, if present, test_metrics.json):
    learning_curves.png   train and validation loss, validation AUROC and accuracy per epoch
From an eval directory (--eval; gseq_mpi eval's roc.tsv, pr.tsv, targets.tsv, confusion.tsv):
    roc.png               ROC curves: each target's up to --max-curves targets, else every target
                          in grey with the best, median and worst AUROC highlighted
    pr.png                precision-recall curves, the same way, with each target's prevalence
    auroc_distribution.png  the per-target AUROC and AUPRC: histograms with mean and median
    confusion.png         the confusion matrix (binary and multiclass tasks), counts and row shares
From an attribute or mutagenesis output (--logo; gseq_mpi attribute's or mutagenesis's HDF5, read
with h5py):
    logo_<row>_<target>.png  a sequence logo of one row's track for one target: each base's letter
                          as tall as its attribution (above the axis when positive, below when
                          negative); for /ism, each base's value minus the position's mean over the
                          four bases (so the reference letter stands up where mutations hurt)
Any of --run, --eval and --logo may be left out. Prints the files it wrote.
"""
import argparse
import csv
import json
import math
import os
import sys

try:
    import matplotlib
except ImportError:
    sys.exit("gseq_plots.py: matplotlib is not installed (Debian: python3-matplotlib); "
             "no pictures drawn")

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.textpath import TextPath  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.transforms import Affine2D  # noqa: E402


def read_tsv(path):
    """Rows of a TSV with a header, as dicts of strings."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def num(s):
    """A number as gseq_mpi writes it (NaN, inf included)."""
    return float(s)


def num_or_nan(v):
    """A number from gseq_mpi's JSON, where null stands for one that is not finite."""
    return math.nan if v is None else v


def save(fig, out, name, written):
    """Writes one figure and remembers its path."""
    path = os.path.join(out, name)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    written.append(path)


# ---------------------------------------------------------------- training

def learning_curves(run, out, written):
    """learning_curves.png from metrics.jsonl."""
    with open(os.path.join(run, "metrics.jsonl")) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if not rows:
        sys.exit(f"{run}/metrics.jsonl: no epochs yet")
    val = lambda key: [num_or_nan(r.get(key)) for r in rows]  # noqa: E731
    epochs = [r["epoch"] for r in rows]
    best = None
    test_path = os.path.join(run, "test_metrics.json")
    test = json.load(open(test_path)) if os.path.exists(test_path) else None
    if test:
        best = test.get("best_epoch")

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.plot(epochs, val("train_loss"), "o-", label="train loss")
    ax1.plot(epochs, val("val_loss"), "s-", label="validation loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("loss")
    ax1.set_title("loss")
    ax2.plot(epochs, val("val_auroc"), "o-", color="C2", label="validation AUROC (mean over targets)")
    if not all(math.isnan(v) for v in val("val_accuracy")):
        ax2.plot(epochs, val("val_accuracy"), "s-", color="C3", label="validation accuracy")
    if test and test.get("oracle_auroc") is not None:
        ax2.axhline(test["oracle_auroc"], color="grey", ls="--", lw=1,
                    label=f"oracle AUROC on test ({test['oracle_auroc']:.3f})")
    if test and test.get("auroc") is not None:
        ax2.plot([best], [test["auroc"]], "*", ms=14, color="C1",
                 label=f"test AUROC at the best epoch ({test['auroc']:.3f})")
    ax2.set_xlabel("epoch")
    ax2.set_title("validation metrics")
    for ax in (ax1, ax2):
        if best:
            ax.axvline(best, color="C1", lw=1, ls=":", label=f"best epoch ({best})")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{os.path.basename(os.path.normpath(run))}: {len(rows)} epochs, "
                 f"{sum(val('seconds')):.0f} s, {np.nanmean(val('samples_per_s')):.0f} samples/s")
    save(fig, out, "learning_curves.png", written)


# ---------------------------------------------------------------- eval

def curves_by_target(path, xkey, ykey):
    """{target: (x, y)} from roc.tsv or pr.tsv, targets in file order."""
    out = {}
    for r in read_tsv(path):
        xs, ys = out.setdefault(r["target"], ([], []))
        xs.append(num(r[xkey]))
        ys.append(num(r[ykey]))
    return out


def pick_highlights(scores):
    """Best, median and worst targets by score (names)."""
    order = sorted(scores, key=lambda k: scores[k])
    return {order[-1]: "best", order[len(order) // 2]: "median", order[0]: "worst"}


def draw_curves(ax, curves, scores, metric, max_curves, step):
    """Every target's curve: coloured with a legend when few, else grey with three highlighted."""
    style = {"drawstyle": "steps-post"} if step else {}
    colours = {}
    if len(curves) <= max_curves:
        palette = plt.cm.tab10 if len(curves) <= 10 else plt.cm.tab20
        for i, (name, (x, y)) in enumerate(curves.items()):
            colours[name] = palette(i % palette.N)
            ax.plot(x, y, lw=1.5, color=colours[name], label=f"{name} ({metric} {scores[name]:.3f})",
                    **style)
        return colours
    marks = pick_highlights({k: scores[k] for k in curves})
    for name, (x, y) in curves.items():
        if name not in marks:
            ax.plot(x, y, color="grey", lw=0.6, alpha=0.35, **style)
    for (name, role), colour in zip(marks.items(), ("C2", "C0", "C3")):
        x, y = curves[name]
        ax.plot(x, y, color=colour, lw=2, label=f"{role}: {name} ({metric} {scores[name]:.3f})",
                **style)
    ax.plot([], [], color="grey", lw=0.6, label=f"the other {len(curves) - len(marks)} targets")
    return colours


def legend(ax, n, max_curves, corner):
    """Inside a corner for a few curves, beside the axes for many."""
    if 6 < n <= max_curves:
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    else:
        ax.legend(fontsize=7, loc=corner)


def eval_plots(ev, out, max_curves, written):
    """roc.png, pr.png, auroc_distribution.png and confusion.png from an eval directory."""
    targets = read_tsv(os.path.join(ev, "targets.tsv"))
    auroc = {r["target"]: num(r["auroc"]) for r in targets if not math.isnan(num(r["auroc"]))}
    auprc = {r["target"]: num(r["auprc"]) for r in targets if not math.isnan(num(r["auprc"]))}
    prevalence = {r["target"]: int(r["positives"]) / (int(r["positives"]) + int(r["negatives"]))
                  for r in targets}
    meta = json.load(open(os.path.join(ev, "metrics.json")))
    title = (f"{os.path.basename(meta['data'])}: {meta['n']} samples, {len(auroc)} of "
             f"{meta['n_targets']} targets" + (", reverse-complement averaged"
                                               if meta.get("rc_average") else ""))

    roc = curves_by_target(os.path.join(ev, "roc.tsv"), "fpr", "tpr")
    fig, ax = plt.subplots(figsize=(6, 6))
    draw_curves(ax, roc, auroc, "AUROC", max_curves, step=False)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="chance")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1.01),
           title=f"ROC\n{title}")
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    legend(ax, len(roc), max_curves, "lower right")
    save(fig, out, "roc.png", written)

    pr = curves_by_target(os.path.join(ev, "pr.tsv"), "recall", "precision")
    fig, ax = plt.subplots(figsize=(6, 6))
    colours = draw_curves(ax, pr, auprc, "AUPRC", max_curves, step=True)
    if colours:
        for name, colour in colours.items():
            ax.axhline(prevalence[name], color=colour, lw=0.8, ls=":")
        ax.plot([], [], "k:", lw=0.8, label="prevalence (chance)")
    else:
        ax.axhline(np.median([prevalence[k] for k in pr]), color="k", lw=0.8, ls=":",
                   label="median prevalence (chance)")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.01),
           title=f"precision-recall\n{title}")
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    legend(ax, len(pr), max_curves, "lower left")
    save(fig, out, "pr.png", written)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, (metric, scores, colour) in zip(axes, (("AUROC", auroc, "C0"), ("AUPRC", auprc, "C1"))):
        v = np.array(list(scores.values()))
        if v.size:
            lo = 0.0 if metric == "AUPRC" else min(0.5, v.min())
            ax.hist(v, bins=np.linspace(lo, 1, 21), color=colour, alpha=0.75, edgecolor="white")
            ax.axvline(np.mean(v), color="k", lw=1.2, label=f"mean {np.mean(v):.3f}")
            ax.axvline(np.median(v), color="k", lw=1.2, ls="--", label=f"median {np.median(v):.3f}")
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set(xlabel=f"{metric} per target", ylabel="targets", title=f"{metric} of {v.size} target{'s' if v.size != 1 else ''}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    skipped = meta.get("skipped", [])
    fig.suptitle(title + (f"; {len(skipped)} skipped (fewer than {meta['min_count']} positives or "
                          f"negatives)" if skipped else ""))
    save(fig, out, "auroc_distribution.png", written)

    conf_path = os.path.join(ev, "confusion.tsv")
    if os.path.exists(conf_path):
        rows = read_tsv(conf_path)
        classes = [r["true\\predicted"] for r in rows]
        counts = np.array([[int(r[c]) for c in classes] for r in rows])
        share = counts / np.maximum(counts.sum(1, keepdims=True), 1)
        fig, ax = plt.subplots(figsize=(1.2 * len(classes) + 3, 1.0 * len(classes) + 2.5))
        im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        for i in range(len(classes)):
            for j in range(len(classes)):
                ax.text(j, i, f"{counts[i, j]}\n{share[i, j]:.0%}", ha="center", va="center",
                        color="white" if share[i, j] > 0.6 else "black", fontsize=9)
        ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
        ax.set_yticks(range(len(classes)), classes)
        ax.set(xlabel="predicted class", ylabel="true class",
               title=f"confusion (accuracy {num_or_nan(meta.get('accuracy')):.3f})")
        fig.colorbar(im, ax=ax, label="share of the true class")
        save(fig, out, "confusion.png", written)


# ---------------------------------------------------------------- attribution logos

LOGO_COLOURS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}


def draw_letter(ax, letter, x, bottom, height):
    """The letter stretched over the box [x, x + 1] x [bottom, bottom + height] (height may be
    negative: the letter hangs below bottom)."""
    path = TextPath((0, 0), letter, size=1, prop=FontProperties(family="DejaVu Sans", weight="bold"))
    box = path.get_extents()
    t = (Affine2D().translate(-box.x0, -box.y0)
         .scale(0.9 / box.width, abs(height) / box.height)
         .translate(x + 0.05, bottom if height >= 0 else bottom + height))
    ax.add_patch(PathPatch(t.transform_path(path), color=LOGO_COLOURS[letter], lw=0))


def logo_track(path, row, target):
    """(values (W, 4), first position, target name, what the values are) from an attribute or
    mutagenesis output."""
    import h5py  # only this picture needs it
    with h5py.File(path, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["target_names"][:]]
        k = names.index(target) if target in names else int(target)
        start = int(f.attrs.get("window_start", 0))
        if "attributions" in f:
            v = f["attributions"][row, :, :, k]
            what = f"{f.attrs['method']} of the logit"
        else:
            v = f["ism"][row, :, :, k]
            v = v - v.mean(axis=1, keepdims=True)
            what = f"ISM ({f.attrs['scale']}), centred per position"
        return np.asarray(v, dtype=float), start, names[k], what


def logo(path, row, target, out, written):
    """logo_<row>_<target>.png: one row's track as a sequence logo."""
    v, start, name, what = logo_track(path, row, target)
    W = v.shape[0]
    fig, ax = plt.subplots(figsize=(max(6.0, min(40.0, W / 6)), 2.6))
    for w in range(W):
        up = down = 0.0
        for b in np.argsort(np.abs(v[w])):  # the largest letter outermost
            h = v[w, b]
            if h > 0:
                draw_letter(ax, "ACGT"[b], start + w, up, h)
                up += h
            elif h < 0:
                draw_letter(ax, "ACGT"[b], start + w, down, h)
                down += h
    lo, hi = min(0.0, np.minimum(v, 0).sum(axis=1).min()), max(0.0, np.maximum(v, 0).sum(axis=1).max())
    ax.set_xlim(start, start + W)
    ax.set_ylim(lo - 0.05 * (hi - lo + 1e-12), hi + 0.05 * (hi - lo + 1e-12))
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("position")
    ax.set_ylabel("attribution")
    ax.set_title(f"{os.path.basename(path)}: row {row}, {name}: {what}")
    save(fig, out, f"logo_{row}_{name}.png", written)


def main():
    """Parse the command line and draw what the given directories allow."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", help="a train --out directory (metrics.jsonl)")
    ap.add_argument("--eval", help="an eval --out directory")
    ap.add_argument("--out", required=True, help="where the PNGs go (created)")
    ap.add_argument("--max-curves", type=int, default=12,
                    help="draw each target's curve in colour up to this many targets")
    ap.add_argument("--logo", help="an attribute or mutagenesis output (HDF5)")
    ap.add_argument("--row", type=int, default=0, help="--logo: the row (sequence) to draw")
    ap.add_argument("--target", default="0", help="--logo: the target, by name or index (0)")
    args = ap.parse_args()
    if not args.run and not args.eval and not args.logo:
        ap.error("give --run, --eval or --logo")
    os.makedirs(args.out, exist_ok=True)
    written = []
    if args.run:
        learning_curves(args.run, args.out, written)
    if args.eval:
        eval_plots(args.eval, args.out, args.max_curves, written)
    if args.logo:
        logo(args.logo, args.row, args.target, args.out, written)
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
