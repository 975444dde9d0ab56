#!/usr/bin/python3
"""bigwig_reference.py: the reference of tests/test_bigwig.sh for `gseq_mpi convert --genome --bigwig`.

  make DIR     the genome and peaks of genome_reference.py (DIR/g.fa, CTCF.bed, regions.bed,
               black.bed) and signal tracks as bedGraph text (DIR/<track>.bedGraph, with
               DIR/<track>.sizes), which test_bigwig.sh turns into bigWig files:
                 a    intervals of 1..300 bp with gaps, values of either sign, a NaN interval, data
                      on the first and the last bases of every chromosome
                 b    sparse wide intervals, a run of touching one-base intervals
                 nochr  like b without chrShort;  badlen  like b with chr2 1 bp longer
  check OUT.h5 DIR MODE S TRACK...
               checks every row of OUT.h5 against the mean signal computed here: the bedGraph
               painted into a per-base float64 array (no data and NaN as 0), the window
               [centre - S//2, centre - S//2 + S) (centre = /start + window//2) clipped to the
               chromosome, its sum over its length. MODE bins: the rows must be every bin that
               is not left out (window inside the chromosome, at most 10% N, no blacklist: a
               black:FILE argument; chroms:A,B for --chroms); regions: every region not left out, by centre; any: the
               rows are not checked (the peaks chose them; test_bigwig.sh compares them with a
               peaks-only conversion). Prints one line per problem and exits 1, or prints "ok".
"""
import math
import os
import random
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genome_reference as gr  # noqa: E402


def track_a(rng, name, n):
    out, pos = [], 0
    if n > 20:
        out.append((0, 7, 2.5))  # the first bases
        pos = 7
    while pos < n - 20:
        pos += rng.choice([0, 0, 1, rng.randrange(1, 400)])  # touching, or a gap
        k = rng.randrange(1, 300)
        if pos + k > n - 10:
            break
        out.append((pos, pos + k, round(rng.uniform(-3, 10), 3)))
        pos += k
    if name == "chr1":
        mid = len(out) // 2
        s, e, _ = out[mid]
        out[mid] = (s, e, float("nan"))
    out.append((n - 9, n, 7.25))  # the last bases
    return out


def track_b(rng, name, n):
    out, pos = [], rng.randrange(0, 500)
    while pos < n:
        k = min(rng.randrange(200, 3000), n - pos)
        out.append((pos, pos + k, round(rng.uniform(0, 50), 2)))
        pos += k + rng.randrange(100, 5000)
    if name == "chr1":  # one-base intervals, touching
        out = [iv for iv in out if iv[1] <= 12000 or iv[0] >= 12100]
        out += [(12000 + i, 12001 + i, float(i)) for i in range(100)]
        out.sort()
    return out


def make(d):
    gr.make(d)
    rng = random.Random(23)
    tracks = {"a": track_a, "b": track_b}
    for t, fn in tracks.items():
        iv = {c: fn(rng, c, n) for c, n in gr.CHROMS}
        write_track(d, t, iv, dict(gr.CHROMS))
        if t == "b":
            write_track(d, "nochr", {c: v for c, v in iv.items() if c != "chrShort"},
                        {c: n for c, n in gr.CHROMS if c != "chrShort"})
            write_track(d, "badlen", iv, {c: n + (c == "chr2") for c, n in gr.CHROMS})


def write_track(d, t, iv, sizes):
    with open(os.path.join(d, t + ".sizes"), "w") as f:
        for c, n in sizes.items():
            f.write("%s\t%d\n" % (c, n))
    with open(os.path.join(d, t + ".bedGraph"), "w") as f:
        for c in sizes:
            for s, e, v in iv.get(c, []):
                f.write("%s\t%d\t%d\t%s\n" % (c, s, e, "nan" if math.isnan(v) else repr(v)))


def read_signal(d, t):
    sizes = dict((l.split()[0], int(l.split()[1])) for l in open(os.path.join(d, t + ".sizes")))
    sig = {c: np.zeros(n) for c, n in sizes.items()}
    for line in open(os.path.join(d, t + ".bedGraph")):
        c, s, e, v = line.split()
        v = float(v)
        sig[c][int(s):int(e)] = 0.0 if math.isnan(v) else v
    return sig


def expected_bins(genome, black, b, W, maxn):
    rows = []
    for c, tok in genome.items():
        n = len(tok)
        blk = gr.mask(black, c, n)
        for i in range(n // b):
            ws = i * b + b // 2 - W // 2
            if blk[i * b:(i + 1) * b].any() or ws < 0 or ws + W > n:
                continue
            if (tok[ws:ws + W] == 5).sum() > maxn * W:
                continue
            rows.append((c, ws))
    return rows


def expected_regions(genome, d, black, W, maxn):
    order = list(genome)
    rows = []
    for c, s, e, _ in sorted(gr.read_bed(os.path.join(d, "regions.bed")),
                             key=lambda r: (order.index(r[0]), r[1] + (r[2] - r[1]) // 2, r[1], r[2])):
        n = len(genome[c])
        ws = s + (e - s) // 2 - W // 2
        if gr.mask(black, c, n)[s:e].any() or ws < 0 or ws + W > n or \
                (genome[c][ws:ws + W] == 5).sum() > maxn * W:
            continue
        rows.append((c, ws))
    return rows


def first_difference(ck, what, got, want):
    if got != want:
        i = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w), min(len(got), len(want)))
        ck.eq("%s (%d of them, %d expected; the first difference at %d)" % (what, len(got), len(want), i),
              got[i:i + 3], want[i:i + 3])


def check(h5, d, mode, S, tracks, blackfile, chroms):
    ck = gr.Check()
    genome = gr.read_fasta(os.path.join(d, "g.fa"))
    f, chrom, start, end, x, y = gr.window_rows(h5)
    W = int(f.attrs["window"])
    gr.check_rows(ck, genome, f, chrom, start, end, x, W)
    ck.eq("task", f.attrs["task"], "regression")
    ck.eq("/y dtype", str(y.dtype), "float32")
    ck.eq("signal_window attribute", f.attrs["signal_window"], S)
    names = [n.decode() for n in f["target_names"][:]]
    ck.eq("target names", names, [t.split("=")[0] for t in tracks])
    y = y.reshape(len(chrom), -1)
    black = gr.read_bed(blackfile) if blackfile else []
    if mode == "bins":
        want = expected_bins(genome, black, int(f.attrs["bin"]), W, float(f.attrs["max_n"]))
    elif mode == "regions":
        want = expected_regions(genome, d, black, W, float(f.attrs["max_n"]))
    if mode != "any":
        if chroms:
            want = [w for w in want if w[0] in chroms]
        first_difference(ck, "rows", list(zip(chrom, start.tolist())), want)
    worst = (0.0, None)
    for k, t in enumerate(tracks):
        sig = read_signal(d, t.split("=")[1])
        for i, (c, s) in enumerate(zip(chrom, start)):
            n = len(genome[c])
            a = s + W // 2 - S // 2
            lo, hi = max(a, 0), min(a + S, n)
            want_v = sig[c][lo:hi].sum() / (hi - lo)
            err = abs(y[i, k] - want_v) / (1e-6 + 1e-5 * abs(want_v))
            if err > worst[0]:
                worst = (err, (t, c, int(s), float(y[i, k]), want_v))
    if worst[0] > 1:
        ck.eq("worst signal (track, chrom, start, got, expected) %s" % (worst[1],), "off", "within rtol 1e-5")
    if len(chrom) == 0:
        ck.eq("rows", 0, "at least one")
    return ck.bad


def main(argv):
    if argv[1] == "make":
        make(argv[2])
        return 0
    black = [a[6:] for a in argv[6:] if a.startswith("black:")]
    chroms = [c for a in argv[6:] if a.startswith("chroms:") for c in a[7:].split(",")]
    tracks = [a for a in argv[6:] if ":" not in a]
    bad = check(argv[2], argv[3], argv[4], int(argv[5]), tracks, black[0] if black else None,
                chroms)
    print("ok" if bad == 0 else "%d problems" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
