#!/usr/bin/python3
"""bench_variants_torch.py: the PyTorch side of tools/bench_variants.sh. Scores the SNVs of a VCF
with a gseq_mpi checkpoint exported to PyTorch (tools/gseq_to_torch.py), as `gseq_mpi variants`
does: the reference and alternative windows of the model's length (docs/cli.md, "variants";
SNVs only), batched forward passes, the probabilities' difference. Prints one line with the
variants/s, the whole run timed (reading the VCF, building the windows, the model).

    /usr/bin/python3 tools/bench_variants_torch.py CKPT VCF GENOME.fa --threads T [--batch B]
"""
import argparse
import os
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("vcf")
    ap.add_argument("genome")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=100)
    a = ap.parse_args()
    import torch
    torch.set_num_threads(a.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gseq_to_torch import load_checkpoint
    model = load_checkpoint(a.checkpoint)
    L = model_length(a.checkpoint)
    code = np.full(256, 5, dtype=np.uint8)
    for i, c in enumerate("ACGT"):
        code[ord(c)] = code[ord(c.lower())] = i + 1
    genome, name, parts = {}, None, []
    for line in open(a.genome):
        if line.startswith(">"):
            if name:
                genome[name] = code[np.frombuffer("".join(parts).encode(), dtype=np.uint8)]
            name, parts = line[1:].split()[0], []
        else:
            parts.append(line.strip())
    genome[name] = code[np.frombuffer("".join(parts).encode(), dtype=np.uint8)]
    started = time.time()
    n, o = 0, L // 2 - 1
    ref_b, alt_b = [], []
    diffs = []

    def flush():
        if ref_b:
            r = model.predict(torch.as_tensor(np.stack(ref_b)))
            s = model.predict(torch.as_tensor(np.stack(alt_b)))
            diffs.append((s - r).numpy())
            ref_b.clear(), alt_b.clear()

    for line in open(a.vcf):
        if line.startswith("#"):
            continue
        chrom, pos, _, ref, alts = line.split("\t")[:5]
        g, p0 = genome[chrom], int(pos) - 1
        w = np.full(L, 5, dtype=np.uint8)
        lo, hi = max(0, p0 - o), min(len(g), p0 - o + L)
        w[lo - (p0 - o):hi - (p0 - o)] = g[lo:hi]
        for alt in alts.split(","):
            if len(alt) != 1 or len(ref) != 1:
                continue
            v = w.copy()
            v[o] = code[ord(alt)]
            ref_b.append(w), alt_b.append(v)
            n += 1
            if len(ref_b) == a.batch:
                flush()
    flush()
    secs = time.time() - started
    print("PyTorch %s, %d thread(s), batch %d: %d variants in %.2f s: %.0f variants/s"
          % (torch.__version__, a.threads, a.batch, n, secs, n / secs))


def model_length(path):
    import h5py
    with h5py.File(path, "r") as f:
        return int(f.attrs["length"])


if __name__ == "__main__":
    main()
