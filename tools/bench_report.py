#!/usr/bin/env python3
"""Turns the log of tools/bench.sh into build/bench/results.md: one table row per model and
configuration (gseq_mpi's `RESULT {json}` lines from build/bench_model, PyTorch's from
tools/bench_torch.py), the ratios the performance issue asks for, and the per-layer profiles.

    tools/bench_report.py LOG > results.md

Standard library only."""
import json
import math
import sys


def main():
    log = open(sys.argv[1]).read().splitlines()
    # null (a number that was not finite) is read as NaN: shown as nan, or "-" where a column
    # shows "-" for an unknown value
    rows = [{k: math.nan if v is None else v for k, v in json.loads(l[len("RESULT "):]).items()}
            for l in log if l.startswith("RESULT ")]
    gseq = [r for r in rows if r.get("framework") != "pytorch"]
    torch = [r for r in rows if r.get("framework") == "pytorch"]
    out = []
    w = out.append
    header = [l for l in log if l.startswith("# ")]
    for l in header:
        w(l[2:] + "  ")
    w("")
    w("| model | processes x threads | gseq_mpi samples/s | GFLOP/s | sgemm ceiling at the model's "
      "shapes, GFLOP/s | share of ceiling | gradient exchange share | peak RSS per rank / analytic "
      "need | PyTorch samples/s (same cores) | gseq / PyTorch |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    models = []
    for r in gseq:
        if r["label"] not in models:
            models.append(r["label"])
    summary = []
    for m in models:
        mine = [r for r in gseq if r["label"] == m]
        theirs = {r["threads"]: r for r in torch if r["label"] == m}
        one = next((r for r in mine if r["ranks"] == 1 and r["threads"] == 1), None)
        for r in mine:
            cores = r["ranks"] * r["threads"]
            t = theirs.get(cores)
            ratio = f"{r['samples_per_s'] / t['samples_per_s']:.2f}x" if t else "-"
            ex = f"{100 * r['exchange_share']:.1f}%" if r["exchange_share"] >= 0 else "-"
            ceil = f"{r['ceiling_gflops']:.0f}" if r["ceiling_gflops"] > 0 else "-"
            share = f"{100 * r['ceiling_share']:.0f}%" if r["ceiling_gflops"] > 0 else "-"
            w(f"| {m} | {r['ranks']} x {r['threads']} | {r['samples_per_s']:.1f} | "
              f"{r['gflops']:.1f} | {ceil} | {share} | {ex} | {r['rss_mb']:.0f} / {r['need_mb']:.0f} MB "
              f"({r['rss_mb'] / r['need_mb']:.2f}x) | "
              f"{t['samples_per_s']:.1f} ({t['threads']} thread{'s' if t['threads'] > 1 else ''}, "
              f"{t['rss_mb']:.0f} MB) | {ratio} |" if t else
              f"| {m} | {r['ranks']} x {r['threads']} | {r['samples_per_s']:.1f} | "
              f"{r['gflops']:.1f} | {ceil} | {share} | {ex} | {r['rss_mb']:.0f} / {r['need_mb']:.0f} MB "
              f"({r['rss_mb'] / r['need_mb']:.2f}x) | - | - |")
        best = max(mine, key=lambda r: r["samples_per_s"])
        two = next((r for r in mine if r["ranks"] == 2 and r["threads"] == 1), None)
        line = f"- {m}: best gseq_mpi {best['samples_per_s']:.1f} samples/s ({best['ranks']} x {best['threads']})"
        if theirs:
            tb = max(theirs.values(), key=lambda r: r["samples_per_s"])
            line += (f", best PyTorch {tb['samples_per_s']:.1f} ({tb['threads']} thread"
                     f"{'s' if tb['threads'] > 1 else ''}): **{best['samples_per_s'] / tb['samples_per_s']:.2f}x**")
        if one and two:
            line += f"; 2 processes / 1 process x 1 thread: {two['samples_per_s'] / one['samples_per_s']:.2f}x"
        summary.append(line)
    w("")
    w("Ratios, best configuration against best configuration on the same 2 cores:")
    w("")
    out.extend(summary)
    # the per-layer profiles, as printed
    w("")
    w("Per layer and phase (the profiled run of each model; ms a step, mean over ranks [min max]):")
    w("")
    w("```")
    keep = False
    for l in log:
        if l.startswith("== "):
            keep = False
        if "profile over" in l:
            keep = True
            w(title)
        if l and not l.startswith(" ") and "batch" in l and "over" in l:
            title = l.strip()
        if keep and l.startswith("    "):
            w(l)
        elif keep and not l.startswith("  profile"):
            keep = False
    w("```")
    print("\n".join(out))


if __name__ == "__main__":
    main()
