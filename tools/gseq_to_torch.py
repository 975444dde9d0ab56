#!/usr/bin/python3
"""Load a gseq_mpi checkpoint into an equivalent PyTorch module, and check that it predicts what
`gseq_mpi predict` predicts.

The checkpoint's /config (INI text) gives the layers; /params (float32) is the flat buffer in
layer order, laid out as Keras lays it out (docs/formats.md, "Checkpoints"):

    embedding  E (6, D)                   -> nn.Embedding(6, D).weight = E
    conv1d     W (k, C, F), b (F)         -> nn.Conv1d(C, F, k).weight = W.permute(2, 1, 0)
    lstm       per direction, forward first: W (I, 4H), U (H, 4H), b (4H), gates i, f, c, o
                                          -> nn.LSTM: weight_ih = W.T, weight_hh = U.T,
                                             bias_ih = b, bias_hh = 0 (torch's i, f, g, o order
                                             is Keras's i, f, c, o; Keras has one bias)
    dense      W (in, out), b (out)       -> nn.Linear(in, out).weight = W.T

Padding (token 0) is masked as gseq_mpi masks it: every layer whose steps still line up with the
input tokens skips padded steps (an LSTM runs over each row's real bases only, through
pack_padded_sequence, and carries its state across padding; pool_time pools real steps only).
Convolutions end the mask, as in Keras.

Check (Debian's python3-torch and python3-h5py; never needed to train):

    /usr/bin/python3 tools/gseq_to_torch.py runs/seed/best.h5 --data test.h5 [--n 256]
        [--predictions P.h5 | --gseq ./gseq_mpi] [--rc-average] [--dtype float64] [--tol 1e-5]

runs `gseq_mpi predict` on the data (or reads an existing P.h5), runs the torch module on the
first --n rows, prints the largest difference and exits 1 if it exceeds --tol.

As a library:

    sys.path.insert(0, "tools"); from gseq_to_torch import load_checkpoint
    model = load_checkpoint("runs/seed/best.h5")       # a torch.nn.Module in eval mode
    probs = model.predict(torch.as_tensor(tokens))     # tokens (N, L) uint8: 0 pad, 1..4 ACGT, 5 N
"""
import argparse
import configparser
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

KINDS = ("embedding", "onehot", "conv1d", "maxpool1d", "lstm", "pool_time", "dropout", "flatten",
         "dense")


# ---------------------------------------------------------------- the config

def read_config(text):
    """Layer list [(name, kind, options)] and the [data]/[train] sections, from INI text."""
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), interpolation=None)
    cp.optionxform = str
    cp.read_string(text)
    layers = []
    for name in cp.sections():
        if name in ("data", "train"):
            continue
        opts = dict(cp[name])
        kind = opts.pop("type", re.sub(r"_\d+$", "", name))
        if kind not in KINDS:
            raise ValueError(f"[{name}]: unknown layer kind {kind}")
        layers.append((name, kind, opts))
    return layers


def flag(opts, key, default):
    """An INI boolean."""
    v = opts.get(key)
    return default if v is None else v.strip().lower() in ("1", "true", "yes", "on")


# ---------------------------------------------------------------- layers

class OneHot(nn.Module):
    """A, C, G, T -> unit vectors; N -> 0.25 each; padding -> zeros."""

    def __init__(self):
        super().__init__()
        table = torch.zeros(6, 4)
        table[1:5] = torch.eye(4)
        table[5] = 0.25
        self.register_buffer("table", table)

    def forward(self, tokens):
        return self.table[tokens.long()]


class Act(nn.Module):
    """linear, relu or sigmoid (softmax is left to predict())."""

    def __init__(self, name):
        super().__init__()
        self.name = name

    def forward(self, x):
        return {"linear": lambda v: v, "relu": torch.relu, "sigmoid": torch.sigmoid}[self.name](x)


class Conv(nn.Module):
    """Valid, stride-1 convolution over (N, T, C) -> (N, T - k + 1, F), then the activation."""

    def __init__(self, c_in, filters, width, act):
        super().__init__()
        self.conv = nn.Conv1d(c_in, filters, width)
        self.act = Act(act)

    def forward(self, x):
        return self.act(self.conv(x.transpose(1, 2)).transpose(1, 2))


class MaxPool(nn.Module):
    """Window p, stride p, the remainder dropped."""

    def __init__(self, pool):
        super().__init__()
        self.pool = pool

    def forward(self, x):
        return F.max_pool1d(x.transpose(1, 2), self.pool, self.pool).transpose(1, 2)


class MaskedLSTM(nn.Module):
    """torch.nn.LSTM, run over each row's real steps when masked, with gseq_mpi's outputs at padded
    steps: each direction carries its state through them (zeros before it has seen a base)."""

    def __init__(self, c_in, units, bidirectional, return_sequences):
        super().__init__()
        self.lstm = nn.LSTM(c_in, units, batch_first=True, bidirectional=bidirectional)
        self.return_sequences = return_sequences

    def forward(self, x, mask):
        if mask is None:
            out, (h_n, _) = self.lstm(x)
            return out if self.return_sequences else torch.cat(list(h_n), -1)[:, None, :]
        n, t, c = x.shape
        h = self.lstm.hidden_size
        d = 2 if self.lstm.bidirectional else 1
        lengths = mask.sum(1)
        start = mask.float().argmax(1)                          # first real step (rows are contiguous)
        pos = torch.arange(t)
        src = (start[:, None] + pos[None, :]).clamp(max=t - 1)  # real steps moved to the front
        xa = torch.gather(x, 1, src[..., None].expand(n, t, c))
        packed = pack_padded_sequence(xa, lengths.clamp(min=1), batch_first=True,
                                      enforce_sorted=False)
        out, (h_n, _) = self.lstm(packed)
        some = (lengths > 0)[:, None].to(x.dtype)               # a row of padding only gives zeros
        if not self.return_sequences:
            return (torch.cat(list(h_n), -1) * some)[:, None, :]
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=t)
        back = (pos[None, :] - start[:, None]).clamp(0, t - 1)  # and back to where they were
        y = torch.gather(out, 1, back[..., None].expand(n, t, d * h))
        before = (pos[None, :] < start[:, None])[..., None]
        after = (pos[None, :] >= (start + lengths)[:, None])[..., None]
        zero = torch.zeros((), dtype=x.dtype)
        parts = [torch.where(before, zero, torch.where(after, h_n[0][:, None, :], y[..., :h]))]
        if d == 2:
            parts.append(torch.where(after, zero, torch.where(before, h_n[1][:, None, :], y[..., h:])))
        return torch.cat(parts, -1) * some[..., None]


class PoolTime(nn.Module):
    """last / mean / max over the (real) steps -> (N, 1, C)."""

    def __init__(self, mode):
        super().__init__()
        self.mode = mode

    def forward(self, x, mask):
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool)
        m = mask[..., None]
        some = mask.any(1)[:, None, None].to(x.dtype)
        if self.mode == "last":
            last = (torch.arange(x.shape[1])[None, :] * mask).argmax(1)
            return x[torch.arange(x.shape[0]), last][:, None, :] * some
        if self.mode == "mean":
            return (x * m).sum(1, keepdim=True) / m.sum(1, keepdim=True).clamp(min=1)
        return x.masked_fill(~m, -torch.inf).max(1, keepdim=True).values.nan_to_num(0.0, 0.0, 0.0) * some


class Flatten(nn.Module):
    """(N, T, C) -> (N, 1, T * C), steps outer."""

    def forward(self, x):
        return x.reshape(x.shape[0], 1, -1)


class Dense(nn.Module):
    """nn.Linear over the last axis, then the activation (the output layer keeps its logits)."""

    def __init__(self, c_in, units, act):
        super().__init__()
        self.linear = nn.Linear(c_in, units)
        self.act = Act(act)

    def forward(self, x):
        return self.act(self.linear(x))


class GseqModel(nn.Module):
    """The layer stack of a gseq_mpi config; forward(tokens) gives logits (N, K)."""

    def __init__(self, layers, length, targets, task):
        super().__init__()
        self.length, self.targets, self.task = length, targets, task
        self.blocks = nn.ModuleList()
        self.masked, self.shapes = [], []  # per layer: uses the padding mask; its parameter shapes
        t, c, aligned = length, 1, True
        for i, (name, kind, o) in enumerate(layers):
            last = i == len(layers) - 1
            self.masked.append(aligned and t == length)
            shapes = []
            if kind == "embedding":
                dim = int(o.get("dim", 32))
                block, shapes, c = nn.Embedding(6, dim), [(6, dim)], dim
            elif kind == "onehot":
                block, c = OneHot(), 4
            elif kind == "conv1d":
                f, k = int(o["filters"]), int(o["width"])
                block = Conv(c, f, k, o.get("activation", "relu"))
                shapes, t, c = [(k, c, f), (f,)], t - k + 1, f
            elif kind == "maxpool1d":
                block, t = MaxPool(int(o["pool"])), t // int(o["pool"])
            elif kind == "lstm":
                h, bi = int(o["units"]), flag(o, "bidirectional", False)
                seq = flag(o, "return_sequences", False)
                block = MaskedLSTM(c, h, bi, seq)
                shapes = [(c, 4 * h), (h, 4 * h), (4 * h,)] * (2 if bi else 1)
                t, c = (t if seq else 1), (2 if bi else 1) * h
            elif kind == "pool_time":
                block, t = PoolTime(o.get("mode", "last")), 1
            elif kind == "dropout":
                block = nn.Dropout(float(o.get("rate", 0.0)))
            elif kind == "flatten":
                block, t, c = Flatten(), 1, t * c
            else:  # dense
                units = o.get("units", "auto")
                units = targets if units == "auto" else int(units)
                act = o.get("activation", "auto")
                act = "linear" if last or act == "auto" else act
                block, shapes, c = Dense(c, units, act), [(c, units), (units,)], units
            aligned = aligned and (kind in ("embedding", "onehot", "dropout", "dense") or
                                   (kind == "lstm" and flag(o, "return_sequences", False)))
            self.blocks.append(block)
            self.shapes.append((kind, shapes))
        self.eval()

    def load_flat(self, flat):
        """Copies the flat parameter vector (gseq_mpi layout) into the torch parameters."""
        flat = torch.as_tensor(flat)
        pos = 0

        def take(shape):
            nonlocal pos
            size = int(np.prod(shape))
            v = flat[pos:pos + size].reshape(shape)
            pos += size
            return v

        with torch.no_grad():
            for block, (kind, shapes) in zip(self.blocks, self.shapes):
                if kind == "embedding":
                    block.weight.copy_(take(shapes[0]))
                elif kind == "conv1d":
                    block.conv.weight.copy_(take(shapes[0]).permute(2, 1, 0))
                    block.conv.bias.copy_(take(shapes[1]))
                elif kind == "lstm":
                    for d, sfx in enumerate(["", "_reverse"][:len(shapes) // 3]):
                        w, u, b = (take(s) for s in shapes[3 * d:3 * d + 3])
                        getattr(block.lstm, "weight_ih_l0" + sfx).copy_(w.T)
                        getattr(block.lstm, "weight_hh_l0" + sfx).copy_(u.T)
                        getattr(block.lstm, "bias_ih_l0" + sfx).copy_(b)
                        getattr(block.lstm, "bias_hh_l0" + sfx).zero_()
                elif kind == "dense":
                    block.linear.weight.copy_(take(shapes[0]).T)
                    block.linear.bias.copy_(take(shapes[1]))
        if pos != flat.numel():
            raise ValueError(f"the config uses {pos} parameters but the checkpoint holds "
                             f"{flat.numel()}")

    def forward(self, tokens):
        tokens = torch.as_tensor(tokens).long()
        mask = tokens != 0
        x = tokens
        for block, masked in zip(self.blocks, self.masked):
            if isinstance(block, (MaskedLSTM, PoolTime)):
                x = block(x, mask if masked else None)
            else:
                x = block(x)
        return x[:, 0, :]

    def predict(self, tokens):
        """Probabilities (N, K): sigmoid, or softmax for a multiclass model."""
        with torch.no_grad():
            z = self.forward(torch.as_tensor(tokens))
        return torch.softmax(z, -1) if self.task == "multiclass" else torch.sigmoid(z)


def load_checkpoint(path, dtype=torch.float32):
    """A gseq_mpi checkpoint as a GseqModel in eval mode."""
    with h5py.File(path, "r") as f:
        text = f["config"][()]
        text = text.decode() if isinstance(text, bytes) else text
        length, targets = int(f.attrs["length"]), int(f.attrs["targets"])
        task = f.attrs["task"]
        task = task.decode() if isinstance(task, bytes) else task
        flat = f["params"][:]
    model = GseqModel(read_config(text), length, targets, task).to(dtype)
    model.load_flat(torch.as_tensor(flat).to(dtype))
    return model


def reverse_complement(tokens):
    """Within each row's real span: reversed, A<->T, C<->G; padding stays where it is."""
    comp = np.array([0, 4, 3, 2, 1, 5], dtype=np.uint8)
    out = tokens.copy()
    for r, row in enumerate(tokens):
        real = np.flatnonzero(row)
        if real.size:
            s, e = real[0], real[-1] + 1
            out[r, s:e] = comp[row[s:e][::-1]]
    return out


# ---------------------------------------------------------------- the check

def main():
    """Compare the torch module with gseq_mpi predict on the first rows of a data file."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--data", required=True, help="gseq HDF5 data (token /x)")
    ap.add_argument("--n", type=int, default=256, help="rows compared (from the first)")
    ap.add_argument("--predictions", help="an existing `gseq_mpi predict` output for --data")
    ap.add_argument("--gseq", default="./gseq_mpi", help="the gseq_mpi binary (without --predictions)")
    ap.add_argument("--rc-average", action="store_true", help="with gseq_mpi predict --rc-average")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    ap.add_argument("--tol", type=float, default=1e-5, help="largest allowed |difference|")
    args = ap.parse_args()

    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    model = load_checkpoint(args.checkpoint, dtype)
    with h5py.File(args.data, "r") as f:
        if f["x"].ndim != 2:
            sys.exit(f"{args.data}: /x must hold tokens (N, L); one-hot data: convert it first")
        tokens = f["x"][:args.n]
    if tokens.shape[1] != model.length:
        sys.exit(f"{args.data}: rows of {tokens.shape[1]} tokens, the model takes {model.length}")

    with tempfile.TemporaryDirectory() as tmp:
        pred = args.predictions
        if not pred:
            pred = os.path.join(tmp, "p.h5")
            cmd = [args.gseq, "predict", "--checkpoint", args.checkpoint, "--data", args.data,
                   "--out", pred, "--quiet"] + (["--rc-average"] if args.rc_average else [])
            subprocess.run(cmd, check=True)
        with h5py.File(pred, "r") as f:
            want = f["probabilities"][:len(tokens)].astype(np.float64)
            rc = bool(f.attrs.get("rc_average", 0))

    got = model.predict(torch.as_tensor(tokens))
    if rc:
        got = 0.5 * (got + model.predict(torch.as_tensor(reverse_complement(tokens))))
    got = got.double().numpy()
    diff = np.abs(got - want)
    worst = np.unravel_index(diff.argmax(), diff.shape)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad) - sum(
        b.lstm.bias_hh_l0.numel() * (2 if b.lstm.bidirectional else 1)
        for b in model.blocks if isinstance(b, MaskedLSTM))  # gseq_mpi's count: no bias_hh
    print(f"{args.checkpoint}: {len(model.blocks)} layers, {n_params} parameters, "
          f"{model.task}; torch ({args.dtype}) vs gseq_mpi predict{' --rc-average' if rc else ''} "
          f"on {got.shape[0]} x {got.shape[1]} probabilities: max |difference| {diff.max():.3g} "
          f"(row {worst[0]}, target {worst[1]}: {got[worst]:.8f} vs {want[worst]:.8f}), "
          f"mean {diff.mean():.3g}")
    if diff.max() > args.tol:
        print(f"FAILED: above --tol {args.tol:g}")
        sys.exit(1)


if __name__ == "__main__":
    main()
