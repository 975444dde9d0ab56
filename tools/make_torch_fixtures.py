#!/usr/bin/python3
"""Write the PyTorch parity fixtures that the C test suite compares gseq_mpi against.

Each fixture is a small HDF5 file holding a model config (INI text), one batch of tokens and
targets, the flat float32 parameter vector (gseq_mpi / Keras layout), and what a float64 reference
computes from them: every layer's output, the logits, probabilities, mean loss, the gradient of
the mean loss, and the losses and parameters of 10 Keras-style Adam steps on that same batch.

The forward pass is written out by hand in torch (float64) following gseq_mpi's conventions, and
the script proves it before writing anything: the masked LSTM against torch.nn.LSTM, the conv
against a plain loop, masking against trimmed rows, and the gradient against finite differences.
Any failed proof raises and no fixture is written.

This script is never needed to train; it only regenerates tests/fixtures/*.h5. Run it with
Debian's interpreter (python3-torch, python3-h5py, python3-numpy), not a pyenv python:

    make fixtures        # = /usr/bin/python3 tools/make_torch_fixtures.py tests/fixtures
"""
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

N, L = 4, 60
ROW_LENGTHS = (60, 45, 23, 60)
LEARNING_RATE = 0.01
ADAM_STEPS = 10
BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-7
TOL = 1e-10

SEED_LAYERS = [
    ("embedding", "embedding", {"dim": 8}),
    ("lstm_1", "lstm", {"units": 16, "return_sequences": True}),
    ("lstm_2", "lstm", {"units": 16, "return_sequences": True}),
    ("lambda", "pool_time", {"mode": "last"}),
    ("dropout", "dropout", {"rate": 0.18}),
    ("output", "dense", {"units": 1, "activation": "sigmoid"}),
]

FIXTURES = [
    {"file": "seed_last_pre.h5", "task": "binary", "padding": "pre", "seed": 101,
     "layers": SEED_LAYERS},
    {"file": "seed_mean_post_multiclass.h5", "task": "multiclass", "padding": "post", "seed": 102,
     "layers": SEED_LAYERS[:3] + [("lambda", "pool_time", {"mode": "mean"}), SEED_LAYERS[4],
                                  ("output", "dense", {"units": 3, "activation": "softmax"})]},
    {"file": "seed_max_bi_multilabel.h5", "task": "multilabel", "padding": "pre", "seed": 103,
     "layers": [SEED_LAYERS[0],
                ("lstm_1", "lstm", {"units": 12, "return_sequences": True, "bidirectional": True}),
                ("lambda", "pool_time", {"mode": "max"}),
                ("output", "dense", {"units": 3, "activation": "sigmoid"})]},
    {"file": "seed_bi_laststate_post.h5", "task": "multilabel", "padding": "post", "seed": 104,
     "layers": [SEED_LAYERS[0],
                ("lstm_1", "lstm", {"units": 12, "return_sequences": False, "bidirectional": True}),
                ("output", "dense", {"units": 2, "activation": "sigmoid"})]},
    {"file": "danq_small.h5", "task": "multilabel", "padding": "post", "seed": 105,
     "layers": [("onehot", "onehot", {}),
                ("conv1d", "conv1d", {"filters": 8, "width": 5, "activation": "relu"}),
                ("maxpool1d", "maxpool1d", {"pool": 3}),
                ("dropout_1", "dropout", {"rate": 0.2}),
                ("lstm", "lstm", {"units": 16, "return_sequences": True, "bidirectional": True}),
                ("dropout_2", "dropout", {"rate": 0.5}),
                ("flatten", "flatten", {}),
                ("dense", "dense", {"units": 12, "activation": "relu"}),
                ("output", "dense", {"units": 6, "activation": "sigmoid"})]},
]


# ---------------------------------------------------------------- model description

def param_shapes(layers, length):
    """Per layer: the list of (shape, init half-range) of its params, in flat-vector order."""
    t, c, out = length, None, []
    for _, kind, o in layers:
        shapes = []
        if kind == "embedding":
            shapes, c = [((6, o["dim"]), 0.5)], o["dim"]
        elif kind == "onehot":
            c = 4
        elif kind == "conv1d":
            shapes = [((o["width"], c, o["filters"]), 0.3), ((o["filters"],), 0.3)]
            t, c = t - o["width"] + 1, o["filters"]
        elif kind == "maxpool1d":
            t = t // o["pool"]
        elif kind == "lstm":
            h, d = o["units"], 2 if o.get("bidirectional") else 1
            shapes = [((c, 4 * h), 0.3), ((h, 4 * h), 0.3), ((4 * h,), 0.3)] * d
            t, c = (t if o["return_sequences"] else 1), d * h
        elif kind == "pool_time":
            t = 1
        elif kind == "flatten":
            t, c = 1, t * c
        elif kind == "dense":
            shapes, c = [((c, o["units"]), 0.3), ((o["units"],), 0.3)], o["units"]
        out.append(shapes)
    return out


def ini_value(val):
    """An option value as INI text: true/false, %g for floats."""
    if isinstance(val, bool):
        return "true" if val else "false"
    return f"{val:g}" if isinstance(val, float) else str(val)


def masked_layers(layers):
    """Per layer: does the token mask apply (only time-preserving layers before it)?"""
    out, keeps = [], True
    for _, kind, o in layers:
        out.append(keeps)
        keeps = keeps and (kind in ("embedding", "onehot", "dropout") or
                           (kind == "lstm" and o["return_sequences"]))
    return out


def config_text(fx):
    """The INI text the C side parses to build the model."""
    k = fx["layers"][-1][2]["units"]
    lines = ["[data]", f"length = {L}", f"targets = {k}", f"task = {fx['task']}", "",
             "[train]", f"batch = {N}", f"learning_rate = {LEARNING_RATE:g}", "seed = 1", ""]
    for name, kind, opts in fx["layers"]:
        lines += [f"[{name}]", f"type = {kind}"]
        lines += [f"{key} = {ini_value(val)}" for key, val in opts.items()]
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------- data

def make_tokens(rng, padding):
    """Random bases 1..5 (some N), rows of ROW_LENGTHS padded with 0 at the front or the back."""
    tok = rng.choice(np.arange(1, 6), size=(N, L), p=[0.22, 0.22, 0.22, 0.22, 0.12])
    for r, n in enumerate(ROW_LENGTHS):
        if padding == "pre":
            tok[r, :L - n] = 0
        else:
            tok[r, n:] = 0
    return tok.astype(np.uint8)


def make_targets(rng, task, k):
    """Random 0/1 targets, or one-hot of random classes for multiclass."""
    if task == "multiclass":
        return np.eye(k)[rng.integers(0, k, size=N)]
    return rng.integers(0, 2, size=(N, k)).astype(np.float64)


def init_params(rng, shapes):
    """Flat float32-representable parameter vector, uniform in ±half-range per tensor."""
    parts = [rng.uniform(-a, a, size=int(np.prod(s))) for layer in shapes for s, a in layer]
    return np.concatenate(parts).astype(np.float32).astype(np.float64)


def split_params(flat, shapes):
    """Views of the flat tensor, one list of shaped tensors per layer."""
    out, pos = [], 0
    for layer in shapes:
        ts = []
        for s, _ in layer:
            n = int(np.prod(s))
            ts.append(flat[pos:pos + n].view(*s))
            pos += n
        out.append(ts)
    assert pos == flat.numel()
    return out


# ---------------------------------------------------------------- layers

def act(x, name):
    """Elementwise activation (softmax is over the last axis)."""
    return {"linear": lambda v: v, "relu": torch.relu, "sigmoid": torch.sigmoid,
            "softmax": lambda v: torch.softmax(v, -1)}[name](x)


def onehot(tokens):
    """A,C,G,T → e0..e3; N → 0.25 each; padding → zeros."""
    table = torch.tensor([[0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1],
                          [.25, .25, .25, .25]])
    return table[tokens.long()]


def conv1d(x, w, b, activation):
    """Valid, stride-1 conv: W (k, C_in, F) applied to x (N, T, C_in) → (N, T-k+1, F)."""
    y = F.conv1d(x.transpose(1, 2), w.permute(2, 1, 0), b).transpose(1, 2)
    return act(y, activation)


def maxpool1d(x, p):
    """Window p, stride p, floor."""
    return F.max_pool1d(x.transpose(1, 2), p, p).transpose(1, 2)


def lstm_direction(x, mask, w, u, b, reverse):
    """One masked LSTM direction; returns outputs (N, T, H) and the final h (N, H)."""
    n, t_len, _ = x.shape
    h_dim = u.shape[0]
    h = x.new_zeros(n, h_dim)
    c = x.new_zeros(n, h_dim)
    outs = [None] * t_len
    for t in (reversed(range(t_len)) if reverse else range(t_len)):
        z = x[:, t] @ w + h @ u + b
        i, f, g, o = z.split(h_dim, dim=1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h_new = torch.sigmoid(o) * torch.tanh(c_new)
        real = mask[:, t:t + 1]
        h, c = torch.where(real, h_new, h), torch.where(real, c_new, c)
        outs[t] = h
    return torch.stack(outs, 1), h


def lstm(x, mask, params, return_sequences):
    """(Bi)LSTM: forward direction first; sequences (N,T,D*H) or final states (N,1,D*H)."""
    if mask is None:
        mask = torch.ones(x.shape[:2], dtype=torch.bool)
    seqs, finals = [], []
    for d in range(len(params) // 3):
        s, f = lstm_direction(x, mask, *params[3 * d:3 * d + 3], reverse=(d == 1))
        seqs.append(s)
        finals.append(f)
    return torch.cat(seqs, -1) if return_sequences else torch.cat(finals, -1)[:, None, :]


def pool_time(x, mask, mode):
    """last / mean / max over real steps → (N, 1, C)."""
    if mask is None:
        mask = torch.ones(x.shape[:2], dtype=torch.bool)
    m = mask[:, :, None]
    if mode == "last":
        last = (torch.arange(x.shape[1])[None, :] * mask).argmax(1)
        return x[torch.arange(x.shape[0]), last][:, None, :]
    if mode == "mean":
        return (x * m).sum(1, keepdim=True) / m.sum(1, keepdim=True)
    return x.masked_fill(~m, -np.inf).max(1, keepdim=True).values


def forward(layers, shapes, flat, tokens):
    """All layer outputs (output layer: logits) and the logits (N, K)."""
    tokens = torch.as_tensor(tokens)
    params = split_params(flat, shapes)
    x, outs = None, []
    for idx, ((_, kind, o), p, masked) in enumerate(zip(layers, params, masked_layers(layers))):
        last = idx == len(layers) - 1
        mask = tokens != 0 if masked else None
        if kind == "embedding":
            x = p[0][tokens.long()]
        elif kind == "onehot":
            x = onehot(tokens)
        elif kind == "conv1d":
            x = conv1d(x, p[0], p[1], o.get("activation", "relu"))
        elif kind == "maxpool1d":
            x = maxpool1d(x, o["pool"])
        elif kind == "lstm":
            x = lstm(x, mask, p, o["return_sequences"])
        elif kind == "pool_time":
            x = pool_time(x, mask, o["mode"])
        elif kind == "flatten":
            x = x.reshape(x.shape[0], 1, -1)
        elif kind == "dense":
            x = x @ p[0] + p[1]
            x = x if last else act(x, o["activation"])
        outs.append(x)
    return outs, x[:, 0, :]


def mean_loss(logits, targets, task):
    """Keras mean loss: BCE on logits over N*K, or softmax cross-entropy over N."""
    if task == "multiclass":
        return -(targets * torch.log_softmax(logits, -1)).sum(-1).mean()
    return F.binary_cross_entropy_with_logits(logits, targets, reduction="mean")


# ---------------------------------------------------------------- training

def loss_and_grad(fx, shapes, p, tokens, targets):
    """Mean loss and its gradient w.r.t. the flat parameter vector p (numpy float64)."""
    flat = torch.tensor(p, requires_grad=True)
    _, logits = forward(fx["layers"], shapes, flat, tokens)
    loss = mean_loss(logits, torch.as_tensor(targets), fx["task"])
    loss.backward()
    return loss.item(), flat.grad.numpy().copy()


def keras_adam(fx, shapes, p, tokens, targets):
    """ADAM_STEPS Keras-Adam steps on one batch: losses before each step, final params."""
    p, m, v, losses = p.copy(), np.zeros_like(p), np.zeros_like(p), []
    for t in range(1, ADAM_STEPS + 1):
        loss, g = loss_and_grad(fx, shapes, p, tokens, targets)
        losses.append(loss)
        m = BETA1 * m + (1 - BETA1) * g
        v = BETA2 * v + (1 - BETA2) * g * g
        lr_t = LEARNING_RATE * np.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t)
        p = p - lr_t * m / (np.sqrt(v) + EPSILON)
    return np.array(losses), p


# ---------------------------------------------------------------- proofs

def real_span(mask_row):
    """[start, end) of the contiguous real region of one mask row."""
    idx = np.flatnonzero(mask_row)
    assert idx.size and idx[-1] - idx[0] + 1 == idx.size, "real steps must be contiguous"
    return idx[0], idx[-1] + 1


def check_lstm(params, mask, rng):
    """Masked hand-written (bi)LSTM equals torch.nn.LSTM on every row's real steps."""
    bi = len(params) == 6
    i_dim, h_dim = params[0].shape[0], params[1].shape[0]
    x = torch.tensor(rng.uniform(-1, 1, size=(mask.shape[0], mask.shape[1], i_dim)))
    seq = lstm(x, torch.as_tensor(mask), params, True)
    fin = lstm(x, torch.as_tensor(mask), params, False)
    ref = torch.nn.LSTM(i_dim, h_dim, batch_first=True, bidirectional=bi)
    with torch.no_grad():
        for d, sfx in enumerate(["", "_reverse"][:1 + bi]):
            w, u, b = params[3 * d:3 * d + 3]
            getattr(ref, "weight_ih_l0" + sfx).copy_(w.T)
            getattr(ref, "weight_hh_l0" + sfx).copy_(u.T)
            getattr(ref, "bias_ih_l0" + sfx).copy_(b)
            getattr(ref, "bias_hh_l0" + sfx).zero_()
        for r in range(mask.shape[0]):
            s, e = real_span(mask[r])
            out, (h_n, _) = ref(x[r:r + 1, s:e])
            assert (seq[r, s:e] - out[0]).abs().max() < TOL, "LSTM sequence mismatch"
            assert (fin[r, 0] - h_n[:, 0].reshape(-1)).abs().max() < TOL, "LSTM state mismatch"


def check_conv(x, w, b):
    """F.conv1d-based conv equals a plain loop on example 0."""
    y = conv1d(x, w, b, "linear")[0]
    k, c_in, f_out = w.shape
    for t in range(x.shape[1] - k + 1):
        for f in range(f_out):
            s = b[f] + sum(x[0, t + j, c] * w[j, c, f] for j in range(k) for c in range(c_in))
            assert abs(y[t, f] - s) < TOL, "conv mismatch"


def check_masking(fx, shapes, flat, tokens, logits):
    """Each padded row's logits equal those of the row run alone with its padding removed."""
    for r in range(tokens.shape[0]):
        s, e = real_span(tokens[r] != 0)
        _, alone = forward(fx["layers"], shapes, flat, tokens[r:r + 1, s:e])
        assert (alone[0] - logits[r]).abs().max() < TOL, f"masking mismatch in row {r}"


def check_grad(fx, shapes, p, tokens, targets, grad, rng):
    """Autograd gradient equals central differences on a few coordinates."""
    for i in rng.choice(p.size, size=8, replace=False):
        d = np.zeros_like(p)
        d[i] = 1e-6
        lp, _ = loss_and_grad(fx, shapes, p + d, tokens, targets)
        lm, _ = loss_and_grad(fx, shapes, p - d, tokens, targets)
        fd = (lp - lm) / 2e-6
        assert abs(fd - grad[i]) < 1e-7 + 1e-5 * abs(grad[i]), f"gradient mismatch at {i}"


def run_proofs(fx, shapes, p, tokens, targets, grad, outs, logits, rng):
    """All proofs for one fixture; raise on the first failure."""
    flat = torch.tensor(p)
    params = split_params(flat, shapes)
    masks = masked_layers(fx["layers"])
    for idx, (_, kind, _) in enumerate(fx["layers"]):
        if kind == "lstm":
            t_len = outs[idx - 1].shape[1]
            mask = tokens != 0 if masks[idx] else np.ones((N, t_len), dtype=bool)
            check_lstm(params[idx], mask, rng)
        if kind == "conv1d":
            check_conv(outs[idx - 1], *params[idx])
    if any(m and k in ("lstm", "pool_time") for (_, k, _), m in zip(fx["layers"], masks)):
        check_masking(fx, shapes, flat, tokens, logits)
    check_grad(fx, shapes, p, tokens, targets, grad, rng)


# ---------------------------------------------------------------- output

def write_fixture(path, fx, tokens, targets, p, grad, outs, logits, probs, losses, p_after):
    """One HDF5 fixture file (all arrays float32 except tokens)."""
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    with h5py.File(path, "w") as f:
        f.create_dataset("config", data=config_text(fx))
        f.attrs["task"] = fx["task"]
        f.attrs["learning_rate"] = LEARNING_RATE
        f.create_dataset("tokens", data=tokens)
        f.create_dataset("targets", data=f32(targets))
        f.create_dataset("params", data=f32(p))
        f.create_dataset("grads", data=f32(grad))
        f.create_dataset("logits", data=f32(logits))
        f.create_dataset("probs", data=f32(probs))
        f.create_dataset("loss", data=np.float32(losses[0]))
        g = f.create_group("layer_outputs")
        for i, o in enumerate(outs):
            g.create_dataset(str(i), data=f32(o))
        f.create_dataset("adam_losses", data=f32(losses))
        f.create_dataset("params_after", data=f32(p_after))


def make_fixture(fx, outdir):
    """Build, prove and write one fixture; print its summary."""
    rng = np.random.default_rng(fx["seed"])
    torch.manual_seed(fx["seed"])
    shapes = param_shapes(fx["layers"], L)
    k = fx["layers"][-1][2]["units"]
    tokens = make_tokens(rng, fx["padding"])
    targets = make_targets(rng, fx["task"], k)
    p = init_params(rng, shapes)
    with torch.no_grad():
        outs, logits = forward(fx["layers"], shapes, torch.tensor(p), tokens)
    probs = act(logits, fx["layers"][-1][2]["activation"])
    loss, grad = loss_and_grad(fx, shapes, p, tokens, targets)
    run_proofs(fx, shapes, p, tokens, targets, grad, outs, logits, rng)
    losses, p_after = keras_adam(fx, shapes, p, tokens, targets)
    assert losses[0] == loss
    path = os.path.join(outdir, fx["file"])
    write_fixture(path, fx, tokens, targets, p, grad, [o.numpy() for o in outs],
                  logits.numpy(), probs.numpy(), losses, p_after)
    print(f"{fx['file']}: P={p.size} loss={loss:.6f} adam={np.round(losses[:4], 6).tolist()} "
          f"size={os.path.getsize(path)} B")


def main():
    """Write every fixture into the directory given as the only argument."""
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUTDIR")
    os.makedirs(sys.argv[1], exist_ok=True)
    for fx in FIXTURES:
        make_fixture(fx, sys.argv[1])


if __name__ == "__main__":
    main()
