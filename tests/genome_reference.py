#!/usr/bin/python3
"""genome_reference.py: the reference of tests/test_genome.sh for `gseq_mpi convert --genome`.

The genome is DIR/g.fa (any FASTA of that name: test_genome.sh also puts phage lambda there).
  make DIR                  writes a small genome (soft-masked, N runs, IUPAC codes) and peak files
  bins OUT.h5 DIR ARGS...   checks a bins-mode output bin by bin against labels computed here
  regions OUT.h5 DIR ARGS...  the same for regions mode

The labels are computed independently of the C code: each target's peaks are painted into a
boolean mask of the chromosome and summed per bin (the C code walks merged intervals). Prints one
line per problem and exits 1, or prints "ok". ARGS: bin window min_overlap max_n negatives gc
(bins) or window min_overlap max_n (regions), plus the targets as NAME=FILE and, for bins, the
blacklist as black:FILE.
"""
import gzip
import math
import os
import random
import sys

import h5py
import numpy as np

CHROMS = [("chr1", 30000), ("chr2", 24000), ("chrShort", 700)]
TOKENS = np.full(256, 5, np.uint8)
for i, c in enumerate("ACGT"):
    TOKENS[ord(c)] = TOKENS[ord(c.lower())] = i + 1
TOKENS[ord("U")] = TOKENS[ord("u")] = 4


def make(d):
    rng = random.Random(17)
    with open(os.path.join(d, "g.fa"), "w") as f:
        for name, n in CHROMS:
            s = [rng.choice("ACGT") for _ in range(n)]
            for _ in range(n // 6000):  # runs of N, soft-masked stretches, IUPAC codes
                a, k = rng.randrange(n - 400), rng.randrange(50, 400)
                s[a:a + k] = ["N"] * k
                b = rng.randrange(n - 300)
                s[b:b + 300] = [c.lower() for c in s[b:b + 300]]
                s[rng.randrange(n)] = rng.choice("RYSWKMBDHV")
            if n > 3000:  # an N run, and a GC-rich stretch for GC matching to match
                a = rng.randrange(n - 500)
                s[a:a + 300] = ["N"] * 300
                g = rng.randrange(n - 2000)
                s[g:g + 1500] = [rng.choice("GGCCGCA") for _ in range(1500)]
            seq = "".join(s)
            f.write(">%s some description\n" % name)
            for i in range(0, n, 61):
                f.write(seq[i:i + 61] + "\n")
    peaks = {"CTCF": [], "p300": [], "H3K27ac": []}
    for name, n in CHROMS[:2]:
        for t in peaks:
            for _ in range(8 if t != "H3K27ac" else 12):
                s = rng.randrange(0, n - 1500)
                peaks[t].append((name, s, s + rng.randrange(30, 900)))
    peaks["CTCF"].append(("chrShort", 100, 400))
    with open(os.path.join(d, "CTCF.bed"), "w") as f:
        f.write("track name=ctcf\nbrowser position chr1:1-1000\n# a comment\n\n")
        for c, s, e in peaks["CTCF"]:
            f.write("%s\t%d\t%d\tpk\t0\t%s\textra\n" % (c, s, e, rng.choice("+-.")))
    with gzip.open(os.path.join(d, "p300.narrowPeak.gz"), "wt") as f:
        for c, s, e in peaks["p300"]:
            f.write("%s\t%d\t%d\t.\t0\t.\t5.5\t1.2e1\t-1\t%d\n" % (c, s, e, (e - s) // 2))
    with gzip.open(os.path.join(d, "H3K27ac.bed.gz"), "wt") as f:
        for c, s, e in peaks["H3K27ac"]:
            f.write("%s %d %d\n" % (c, s, e))
    with open(os.path.join(d, "black.bed"), "w") as f:
        f.write("chr1\t5000\t5150\nchr2\t100\t2100\n")
    with open(os.path.join(d, "regions.bed"), "w") as f:
        for name, n in CHROMS[:2]:
            for _ in range(30):
                s = rng.randrange(0, n - 300)
                f.write("%s\t%d\t%d\tr\t0\t%s\n" % (name, s, s + rng.randrange(20, 600),
                                                   rng.choice("+-")))
        f.write("chr1\t10\t50\tedge\t0\t+\n")  # its window passes the start


def read_fasta(path):
    seqs, name = {}, None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith(">"):
            name = line[1:].split()[0]
            seqs[name] = []
        else:
            seqs[name].append(line)
    return {k: TOKENS[np.frombuffer("".join(v).encode(), np.uint8)] for k, v in seqs.items()}


def read_bed(path):
    op = gzip.open if path.endswith(".gz") else open
    out = []
    for line in op(path, "rt"):
        f = line.split()
        if not f or f[0] in ("track", "browser") or f[0].startswith("#"):
            continue
        out.append((f[0], int(f[1]), int(f[2]), f[5] if len(f) > 5 and f[5] in "+-" else "."))
    return out


def mask(intervals, chrom, n):
    m = np.zeros(n, bool)
    for c, s, e, _ in intervals:
        if c == chrom:
            m[s:e] = True
    return m


class Check:
    def __init__(self):
        self.bad = 0

    def eq(self, what, got, want):
        if not np.array_equal(np.asarray(got), np.asarray(want)):
            self.bad += 1
            print("FAIL %s: got %s, expected %s" % (what, got, want))


def window_rows(h5):
    f = h5py.File(h5, "r")
    chrom = [c.decode() if isinstance(c, bytes) else c for c in f["chrom"][:]]
    return f, chrom, f["start"][:], f["end"][:], f["x"][:], f["y"][:]


def check_rows(ck, genome, f, chrom, start, end, x, W):
    order = list(genome)
    keys = [(order.index(c), s) for c, s in zip(chrom, start)]
    ck.eq("rows in genome order", keys == sorted(keys), True)  # ties: regions of one centre
    ids = [i.decode() if isinstance(i, bytes) else i for i in f["id"][:]]
    ck.eq("ids", ids, ["%s:%d-%d" % t for t in zip(chrom, start, end)])
    ck.eq("end - start", np.unique(end - start), [W])
    for i, (c, s) in enumerate(zip(chrom, start)):
        if not np.array_equal(x[i], genome[c][s:s + W]):
            ck.eq("tokens of row %d" % i, "differ", "the genome's")
            break


def expected_bins(genome, targets, black, b, W, mo, maxn):
    """Per chromosome: positive labels (nb, K), left-out flag, GC bin."""
    out = {}
    for c, tok in genome.items():
        n = len(tok)
        nb = n // b
        lab = np.stack([mask(t, c, n)[:nb * b].reshape(nb, b).sum(1) >= mo * b for t in targets], 1)
        blk = mask(black, c, n)[:nb * b].reshape(nb, b).any(1)
        ws = np.arange(nb) * b + b // 2 - W // 2
        inside = (ws >= 0) & (ws + W <= n)
        nN = np.array([(tok[s:s + W] == 5).sum() if ok else 0 for s, ok in zip(ws, inside)])
        gcn = np.array([np.isin(tok[s:s + W], (2, 3)).sum() if ok else 0 for s, ok in zip(ws, inside)])
        acgt = np.array([(tok[s:s + W] < 5).sum() if ok else 0 for s, ok in zip(ws, inside)])
        gcb = np.minimum(np.where(acgt > 0, gcn * 50 // np.maximum(acgt, 1), 0), 49)
        keep = ~blk & inside & ~(nN > maxn * W)
        out[c] = (lab.astype(np.uint8), keep, ws, gcb)
    return out


def bins(h5, d, b, W, mo, maxn, neg, gc, names, blackfile):
    ck = Check()
    genome = read_fasta(os.path.join(d, "g.fa"))
    targets = [read_bed(p) for p in names]
    black = read_bed(blackfile) if blackfile else []
    f, chrom, start, end, x, y = window_rows(h5)
    check_rows(ck, genome, f, chrom, start, end, x, W)
    exp = expected_bins(genome, targets, black, b, W, mo, maxn)
    for c in genome:
        lab, keep, ws, gcb = exp[c]
        pos = keep & lab.any(1)
        rows = [i for i in range(len(chrom)) if chrom[i] == c]
        prow = [i for i in rows if y[i].any()]
        ck.eq("%s positive windows" % c, start[prow], ws[pos])
        ck.eq("%s positive labels" % c, y[prow], lab[pos])
        nrow = [i for i in rows if not y[i].any()]
        nbin = (start[nrow] - (b // 2 - W // 2)) // b
        eligible = keep & ~lab.any(1)
        ck.eq("%s negatives eligible" % c, bool(eligible[nbin].all()) if len(nbin) else True, True)
        groups = gcb if gc else np.zeros_like(gcb)
        for g in np.unique(groups):
            want = math.floor(neg * (pos & (groups == g)).sum() + 0.5)
            have = (eligible & (groups == g)).sum()
            got = (groups[nbin] == g).sum()
            ck.eq("%s negatives of GC bin %d" % (c, g), got, min(want, have))
    return ck.bad


def regions(h5, d, W, mo, maxn, names, blackfile):
    ck = Check()
    genome = read_fasta(os.path.join(d, "g.fa"))
    targets = [read_bed(p) for p in names]
    black = read_bed(blackfile) if blackfile else []
    f, chrom, start, end, x, y = window_rows(h5)
    check_rows(ck, genome, f, chrom, start, end, x, W)
    want = []
    order = list(genome)
    for c, s, e, strand in sorted(read_bed(os.path.join(d, "regions.bed")),
                                  key=lambda r: (order.index(r[0]), r[1] + (r[2] - r[1]) // 2,
                                                 r[1], r[2])):
        n = len(genome[c])
        ws = s + (e - s) // 2 - W // 2
        if mask(black, c, n)[s:e].any() or ws < 0 or ws + W > n or (genome[c][ws:ws + W] == 5).sum() > maxn * W:
            continue
        lab = [mask(t, c, n)[s:e].sum() >= mo * (e - s) for t in targets]
        want.append((c, ws, strand, lab))
    ck.eq("region rows", len(chrom), len(want))
    if len(chrom) == len(want):
        ck.eq("region windows", list(zip(chrom, start)), [(w[0], w[1]) for w in want])
        ck.eq("region labels", y, np.array([w[3] for w in want], np.uint8))
        strand = [s.decode() if isinstance(s, bytes) else s for s in f["strand"][:]]
        ck.eq("region strands", strand, [w[2] for w in want])
    return ck.bad


def main(argv):
    if argv[1] == "make":
        make(argv[2])
        return 0
    names = [a.split("=", 1)[1] for a in argv if "=" in a]
    black = [a[6:] for a in argv if a.startswith("black:")]
    if argv[1] == "bins":
        b, W, mo, maxn, neg, gc = argv[4:10]
        bad = bins(argv[2], argv[3], int(b), int(W), float(mo), float(maxn), float(neg), gc == "1",
                   names, black[0] if black else None)
    else:
        W, mo, maxn = argv[4:7]
        bad = regions(argv[2], argv[3], int(W), float(mo), float(maxn), names,
                      black[0] if black else None)
    print("ok" if bad == 0 else "%d problems" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
