#!/usr/bin/python3
"""deepsea_mat_to_h5.py: DeepSEA's valid.mat / test.mat (MATLAB v5, which HDF5 cannot read) to a gseq file.

DeepSEA ships train.mat as MATLAB v7.3 (HDF5: `gseq_mpi convert --deepsea train.mat` reads it directly,
in blocks) but valid.mat and test.mat as MATLAB v5. This script loads a v5 file with scipy (Debian:
python3-scipy), turns the one-hot sequences (base order A, G, C, T) into gseq tokens (1..4 = A C G T,
5 = N; an all-zero position is N, as these are fixed-length windows), writes them with the labels as
two .npy files, and lets `gseq_mpi convert --npy-x --npy-y` write the HDF5 file, so that HDF5 is written
by one program only.

    /usr/bin/python3 tools/deepsea_mat_to_h5.py valid.mat --out data/deepsea_valid.h5 --targets 125:815

The arrays are found by name (validxdata/validdata, testxdata/testdata, or any *xdata/*data pair) and
by shape: the sequence array is 3-D with one axis of 4 channels and one axis of N samples, the label
array is 2-D with an axis of N. A v5 file is loaded whole (test.mat: about 1.8 GB of memory).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.io

AGCT_TO_TOKEN = np.array([1, 3, 2, 4], dtype=np.uint8)  # channel c of DeepSEA -> gseq token


def fail(msg):
    print(f"deepsea_mat_to_h5: {msg}", file=sys.stderr)
    sys.exit(1)


def find_arrays(mat, path, x_name, y_name):
    names = [k for k in mat if not k.startswith("__")]
    if x_name is None:
        xs = [k for k in names if k.endswith("xdata")]
        if len(xs) != 1:
            fail(f"{path}: expected one *xdata array, found {xs or 'none'} (name it with --x-name)")
        x_name = xs[0]
    if y_name is None:
        guess = x_name[: -len("xdata")] + "data"
        y_name = guess if guess in mat else None
        if y_name is None:
            ys = [k for k in names if k.endswith("data") and not k.endswith("xdata")]
            if len(ys) != 1:
                fail(f"{path}: cannot tell the label array among {ys} (name it with --y-name)")
            y_name = ys[0]
    for n in (x_name, y_name):
        if n not in mat:
            fail(f"{path}: no array '{n}' (it holds {', '.join(names)})")
    return x_name, y_name


def to_tokens(x, y, path, x_name, y_name):
    """x: 3-D one-hot with a 4-channel axis; y: 2-D labels. Returns tokens (N, L) and labels (N, T)."""
    if x.ndim != 3 or 4 not in x.shape:
        fail(f"{path}: {x_name} has shape {x.shape}, expected 3 axes one of which is 4 channels")
    if y.ndim != 2:
        fail(f"{path}: {y_name} has shape {y.shape}, expected (N, targets)")
    chan = [a for a in range(3) if x.shape[a] == 4]
    for c in chan:
        rest = [a for a in range(3) if a != c]
        for n_axis in rest:
            n = x.shape[n_axis]
            if n in y.shape:
                l_axis = [a for a in rest if a != n_axis][0]
                x = np.transpose(x, (n_axis, l_axis, c))  # (N, L, 4)
                y = y if y.shape[0] == n else y.T
                break
        else:
            continue
        break
    else:
        fail(f"{path}: no axis of {x_name} {x.shape} matches the samples of {y_name} {y.shape}")
    nonzero = (x != 0).sum(axis=2)
    tokens = np.full(x.shape[:2], 5, dtype=np.uint8)  # zeros and four equal values: N
    one = nonzero == 1
    tokens[one] = AGCT_TO_TOKEN[np.argmax(x, axis=2)[one]]
    many = nonzero > 1
    if many.any():
        equal = (x == x[:, :, :1]).all(axis=2)
        bad = many & ~equal
        if bad.any():
            i, j = map(int, np.argwhere(bad)[0])
            fail(f"{path}: {x_name} sample {i} position {j} is not one-hot: {x[i, j].tolist()}")
    if not np.isin(y, (0, 1)).all():
        fail(f"{path}: {y_name} holds values other than 0 and 1")
    return tokens, y.astype(np.uint8)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mat", help="DeepSEA valid.mat or test.mat (MATLAB v5)")
    ap.add_argument("--out", required=True, help="the gseq HDF5 file to write")
    ap.add_argument("--targets", help="label columns A:B to keep, e.g. 125:815 for the 690 TF columns")
    ap.add_argument("--x-name", help="the sequence array (default: the one *xdata)")
    ap.add_argument("--y-name", help="the label array (default: the matching *data)")
    ap.add_argument("--gseq", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gseq_mpi"),
                    help="the gseq_mpi program (default: ../gseq_mpi beside this script)")
    ap.add_argument("--compress", default="0", help="gzip level for the HDF5 chunks (0 = none)")
    args = ap.parse_args()

    try:
        mat = scipy.io.loadmat(args.mat)
    except NotImplementedError:
        fail(f"{args.mat}: MATLAB v7.3 is HDF5: use `gseq_mpi convert --deepsea {args.mat}` instead")
    except Exception as e:  # scipy raises several kinds for damaged or non-MATLAB files
        fail(f"{args.mat}: not a readable MATLAB v5 file ({e})")
    x_name, y_name = find_arrays(mat, args.mat, args.x_name, args.y_name)
    tokens, labels = to_tokens(mat[x_name], mat[y_name], args.mat, x_name, y_name)
    del mat
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(args.out))) as tmp:
        xp, yp = os.path.join(tmp, "x.npy"), os.path.join(tmp, "y.npy")
        np.save(xp, np.ascontiguousarray(tokens))
        np.save(yp, np.ascontiguousarray(labels))
        cmd = [args.gseq, "convert", "--npy-x", xp, "--npy-y", yp, "--out", args.out, "--compress", args.compress]
        if args.targets:
            cmd += ["--targets", args.targets]
        r = subprocess.run(cmd)
        if r.returncode != 0:
            sys.exit(r.returncode)
    print(f"{args.out}: {tokens.shape[0]} samples of {tokens.shape[1]} bases, "
          f"{labels.shape[1] if not args.targets else 'selected'} targets from {args.mat}")


if __name__ == "__main__":
    main()
