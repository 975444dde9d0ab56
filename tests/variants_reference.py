"""variants_reference.py: an independent reading of `gseq_mpi variants`'s windows, for
tests/test_variants.sh. Written from the rule in docs/cli.md (Selene's centring), not from the C.

  variants_reference.py windows GENOME.fa VCF L OUT.fa   the ref and alt window of every plain
      ALT on a chromosome of the genome, as FASTA records "<row>_ref" and "<row>_alt"
  variants_reference.py compare EFFECTS.tsv PRED.h5      the TSV's probabilities, differences and
      log2 odds against predict's probabilities of those windows, within 1e-6
"""
import math
import sys


def read_fasta(path):
    seqs, name, parts = {}, None, []
    for line in open(path):
        line = line.strip()
        if line.startswith(">"):
            if name:
                seqs[name] = "".join(parts).upper()
            name, parts = line[1:].split()[0], []
        else:
            parts.append(line)
    if name:
        seqs[name] = "".join(parts).upper()
    return seqs


def genome_slice(chrom, start, end):
    """[start, end) of chrom, N outside it."""
    out = []
    for i in range(start, end):
        out.append(chrom[i] if 0 <= i < len(chrom) else "N")
    return "".join(out)


def windows(chrom, pos, ref, alt, L):
    p0, r, a = pos - 1, len(ref), len(alt)
    o = L // 2 - r // 2 - 1
    s = p0 - o
    # Selene: center = pos + len(ref) // 2, start = center - L // 2 (0-based, on the 1-based POS)
    assert s == pos + r // 2 - L // 2
    refw = genome_slice(chrom, s, s + L)
    refw = refw[:o] + ref + refw[o + r:]
    if a == r:
        altw = refw[:o] + alt + refw[o + r:]
    elif a > r:
        longer = refw[:o] + alt + refw[o + r:]
        cut = (a - r) // 2
        altw = longer[cut:cut + L]
    else:
        left = s - (r // 2 - a // 2)
        right = s + L + (r + 1) // 2 - (a + 1) // 2
        altw = genome_slice(chrom, left, p0) + alt + genome_slice(chrom, p0 + r, right)
    assert len(refw) == L and len(altw) == L, (pos, ref, alt)
    return refw, altw


def plain(allele):
    return allele and all(c in "ACGTNacgtn" for c in allele)


def cmd_windows(genome, vcf, L, out):
    g = read_fasta(genome)
    L = int(L)
    row = 0
    with open(out, "w") as f:
        for line in open(vcf):
            if line.startswith("#"):
                continue
            chrom, pos, _, ref, alts = line.rstrip("\n").split("\t")[:5]
            if chrom not in g:
                continue
            for alt in alts.split(","):
                if not plain(alt):
                    continue
                o = L // 2 - len(ref) // 2 - 1
                if o < 0 or o + len(ref) > L or len(alt) > L:
                    continue
                refw, altw = windows(g[chrom], int(pos), ref.upper(), alt.upper(), L)
                f.write(">%d_ref\n%s\n>%d_alt\n%s\n" % (row, refw, row, altw))
                row += 1
    print(row)


def log2_odds(ref, alt):
    clip = lambda p: min(max(p, 1e-7), 1 - 1e-7)
    r, a = clip(ref), clip(alt)
    return math.log2(a / (1 - a)) - math.log2(r / (1 - r))


def cmd_compare(tsv, pred):
    import h5py
    import numpy as np
    f = h5py.File(pred, "r")
    probs = f["probabilities"][:]
    ids = [i.decode() if isinstance(i, bytes) else i for i in f["id"][:]]
    names = [n.decode() if isinstance(n, bytes) else n for n in f["target_names"][:]]
    at = {name: k for k, name in enumerate(ids)}
    lines = [l.rstrip("\n").split("\t") for l in open(tsv) if not l.startswith("#")]
    rows, worst, key = -1, 0.0, None
    last = None
    for cols in lines:
        variant = tuple(cols[:5])
        if variant != last or cols[5] == names[0]:
            rows += 1
            last = variant
        k = names.index(cols[5])
        ref = float(probs[at["%d_ref" % rows], k])
        alt = float(probs[at["%d_alt" % rows], k])
        want = [ref, alt, alt - ref, log2_odds(ref, alt)]
        got = [float(x) for x in cols[6:10]]
        for w, g_ in zip(want, got):
            err = abs(w - g_) - 1e-6 * abs(w)
            if err > worst:
                worst, key = err, (cols[:6], w, g_)
    rows += 1
    if 2 * rows != len(ids):
        sys.exit("compare: %d variants in %s, %d windows in %s" % (rows, tsv, len(ids), pred))
    if worst > 1e-6:
        sys.exit("compare: worst difference %g at %s" % (worst, key))
    print("%d variants match within 1e-6" % rows)


if __name__ == "__main__":
    {"windows": cmd_windows, "compare": cmd_compare}[sys.argv[1]](*sys.argv[2:])
