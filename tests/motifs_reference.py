"""motifs_reference.py: an independent NumPy computation of what `gseq_mpi motifs` writes into
filters.meme, for tests/test_motifs.c. Reads the scan's input as the test wrote it (raw files:
tokens uint8 (N, L); weights float32 (W, 4, F) then bias (F)), recomputes the first convolution's
relu activations, each filter's sites (windows without padding whose activation exceeds
fraction * max), the position probability matrix (count + 1) / (sites + 4) (N adds 0.25 to each
base) and its information content against a uniform background, and compares them with the MEME
file. Exits non-zero, printing the worst difference, when they disagree.

usage: motifs_reference.py DIR N L W F FRACTION   (DIR holds tokens.u8, weights.f32, filters.meme)
"""
import sys

import numpy as np


def activations(tokens, weights, bias):
    n, length = tokens.shape
    w = weights.shape[0]
    onehot = np.zeros((n, length, 4))
    for b in range(4):
        onehot[:, :, b] = tokens == b + 1
    onehot[tokens == 5] = 0.25
    steps = length - w + 1
    z = np.zeros((n, steps, weights.shape[2])) + bias
    for k in range(w):
        z += np.einsum('ntc,cf->ntf', onehot[:, k:k + steps, :], weights[k].astype(np.float64))
    return np.maximum(z, 0.0), onehot


def read_meme(path):
    motifs, cur = {}, None
    lines = open(path).read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith('MOTIF'):
            parts = line.split()
            cur = {'name': parts[2]}
            motifs[parts[1]] = cur
        elif line.startswith('letter-probability matrix:'):
            fields = line.split()
            width = int(fields[fields.index('w=') + 1])
            cur['nsites'] = float(fields[fields.index('nsites=') + 1])
            cur['prob'] = np.array([[float(v) for v in lines[i + 1 + j].split()] for j in range(width)])
            i += width
        i += 1
    return motifs


def main():
    d, n, length, w, f, fraction = sys.argv[1], *map(int, sys.argv[2:6]), float(sys.argv[6])
    tokens = np.fromfile(d + '/tokens.u8', dtype=np.uint8).reshape(n, length)
    raw = np.fromfile(d + '/weights.f32', dtype=np.float32)
    weights, bias = raw[:w * 4 * f].reshape(w, 4, f), raw[w * 4 * f:].astype(np.float64)
    y, onehot = activations(tokens, weights, bias)
    steps = length - w + 1
    padded = np.array([[(tokens[s, t:t + w] == 0).any() for t in range(steps)] for s in range(n)])
    meme = read_meme(d + '/filters.meme')
    worst = 0.0
    for k in range(f):
        yk = np.where(padded, -np.inf, y[:, :, k])
        top = yk.max()
        sites = np.argwhere(yk > fraction * top) if top > 0 else np.zeros((0, 2), int)
        name = 'filter%d' % k
        if len(sites) == 0:
            if name in meme:
                print('%s: no sites expected, but the MEME file has it' % name)
                return 1
            continue
        counts = sum(onehot[s, t:t + w, :] for s, t in sites)
        prob = (counts + 1.0) / (len(sites) + 4.0)
        ic = (prob * np.log2(prob / 0.25)).sum()
        got = meme.get(name)
        if got is None or got['nsites'] != len(sites):
            print('%s: expected %d sites, MEME has %s' % (name, len(sites), got and got['nsites']))
            return 1
        worst = max(worst, np.abs(got['prob'] - prob).max())
        if got['name'] != 'IC=%.2f' % ic:
            print('%s: expected IC=%.2f, MEME has %s' % (name, ic, got['name']))
            return 1
    if worst > 2e-6:
        print('probabilities differ by up to %g' % worst)
        return 1
    print('reference: %d filters agree (largest probability difference %.2g)' % (len(meme), worst))
    return 0


if __name__ == '__main__':
    sys.exit(main())
