#!/usr/bin/python3
"""PyTorch's training speed on the models of jobs/configs, for `make bench` (tools/bench.sh).

    /usr/bin/python3 tools/bench_torch.py --model seed|danq|danq_book|deepsea --data FILE --threads T
                                          [--batch B] [--steps S] [--warmup W] [--repeat R]
                                          [--label TEXT]

Builds the same model as gseq_mpi (Debian's python3-torch, float32, batch-first):
  seed       Embedding(6, 32) -> LSTM(60) -> LSTM(60) -> last step -> Dropout 0.18 -> Dense(K)
  danq       one-hot -> Conv1D(320, 26, relu) -> MaxPool(13) -> Dropout 0.2 -> BiLSTM(320)
             -> Dropout 0.5 -> Flatten -> Dense(925, relu) -> Dense(K)
  danq_book  the same with MaxPool(2) and Dense(695)
  deepsea    one-hot -> Conv1D(320, 8, relu) -> MaxPool(4) -> Dropout 0.2 -> Conv1D(480, 8, relu)
             -> MaxPool(4) -> Dropout 0.2 -> Conv1D(960, 8, relu) -> Dropout 0.5 -> Flatten
             -> Dense(925, relu) -> Dense(K)
with binary cross-entropy on logits and Adam (Keras's epsilon 1e-7), and times whole training steps
(forward, backward, Adam) on the rows of a gseq data file (`gseq_mpi synth` makes it), after W
warm-up steps, the best of R timings of S steps. Prints one line `RESULT {json}` with samples/s and peak resident memory.

Tuned as the performance issue asks, so that the comparison is fair; tools/bench.sh sets the
environment (OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = T, OMP_WAIT_POLICY=PASSIVE, GLIBC_TUNABLES
for malloc) and this script sets flush-to-zero and denormals-are-zero in the MXCSR of the main
thread *before* importing torch, so that every thread torch and OpenBLAS start later inherits it
(torch.set_flush_denormal reaches only the calling thread). Without it the LSTM backward runs
several times slower on denormal numbers.
"""
import argparse
import ctypes
import json
import os
import resource
import sys
import time


def set_ftz_daz(lib):
    """FTZ (bit 15) and DAZ (bit 6) of MXCSR on this thread, through build/bench_ftz.so."""
    if not os.path.exists(lib):
        sys.exit(f"bench_torch: {lib} is missing (make bench builds it)")
    ctypes.CDLL(lib).bench_set_ftz_daz()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=["seed", "danq", "danq_book", "deepsea"])
    ap.add_argument("--data", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--label", default="")
    ap.add_argument("--ftz-lib", default=os.path.join(os.path.dirname(__file__), "..", "build",
                                                      "bench_ftz.so"))
    a = ap.parse_args()

    set_ftz_daz(a.ftz_lib)  # before torch exists
    import warnings
    warnings.filterwarnings("ignore", message="The value of the smallest subnormal")
    import h5py
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    with h5py.File(a.data, "r") as f:
        x_all = torch.from_numpy(np.asarray(f["x"], dtype=np.int64))
        y_np = np.asarray(f["y"], dtype=np.float32)
    y_all = torch.from_numpy(y_np.reshape(len(y_np), -1))
    n_rows, length = x_all.shape
    K = y_all.shape[1]
    batch = a.batch or {"seed": 400, "danq": 100, "danq_book": 64, "deepsea": 100}[a.model]

    class Seed(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(6, 32)
            self.lstm1 = nn.LSTM(32, 60, batch_first=True)
            self.lstm2 = nn.LSTM(60, 60, batch_first=True)
            self.drop = nn.Dropout(0.18)
            self.out = nn.Linear(60, K)

        def forward(self, tok):
            h, _ = self.lstm1(self.emb(tok))
            h, _ = self.lstm2(h)
            return self.out(self.drop(h[:, -1, :]))

    class DanQ(nn.Module):
        def __init__(self, pool, hidden):
            super().__init__()
            self.conv = nn.Conv1d(4, 320, 26)
            self.pool = pool
            self.lstm = nn.LSTM(320, 320, batch_first=True, bidirectional=True)
            steps = (length - 25) // pool
            self.dense = nn.Linear(steps * 640, hidden)
            self.out = nn.Linear(hidden, K)

        def forward(self, tok):
            # one-hot as gseq_mpi encodes it: A C G T unit vectors, N = 0.25 each, padding 0
            table = torch.tensor([[0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0],
                                  [0, 0, 0, 1], [.25, .25, .25, .25]], dtype=torch.float32)
            x = table[tok].transpose(1, 2)  # (N, 4, L)
            x = F.max_pool1d(F.relu(self.conv(x)), self.pool)
            x = F.dropout(x, 0.2, self.training).transpose(1, 2)  # (N, T, 320)
            x, _ = self.lstm(x)
            x = F.dropout(x, 0.5, self.training).flatten(1)
            return self.out(F.relu(self.dense(x)))

    class DeepSEA(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2, self.c3 = nn.Conv1d(4, 320, 8), nn.Conv1d(320, 480, 8), nn.Conv1d(480, 960, 8)
            steps = ((length - 7) // 4 - 7) // 4 - 7
            self.dense = nn.Linear(steps * 960, 925)
            self.out = nn.Linear(925, K)

        def forward(self, tok):
            table = torch.tensor([[0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0],
                                  [0, 0, 0, 1], [.25, .25, .25, .25]], dtype=torch.float32)
            x = table[tok].transpose(1, 2)  # (N, 4, L)
            x = F.dropout(F.max_pool1d(F.relu(self.c1(x)), 4), 0.2, self.training)
            x = F.dropout(F.max_pool1d(F.relu(self.c2(x)), 4), 0.2, self.training)
            x = F.dropout(F.relu(self.c3(x)), 0.5, self.training)
            return self.out(F.relu(self.dense(x.transpose(1, 2).flatten(1))))

    model = {"seed": Seed, "danq": lambda: DanQ(13, 925), "danq_book": lambda: DanQ(2, 695),
             "deepsea": DeepSEA}[a.model]()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    n_params = sum(p.numel() for p in model.parameters())

    def step(k):
        idx = torch.arange(k * batch, (k + 1) * batch) % n_rows
        opt.zero_grad(set_to_none=False)
        loss = F.binary_cross_entropy_with_logits(model(x_all[idx]), y_all[idx])
        loss.backward()
        opt.step()
        return loss.item()

    k = 0
    for _ in range(a.warmup):
        step(k)
        k += 1
    seconds = None  # the best of `repeat` timings, as for gseq_mpi
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step(k)
            k += 1
        t = time.perf_counter() - t0
        seconds = t if seconds is None else min(seconds, t)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    rate = batch * a.steps / seconds
    print(f"{a.label}  PyTorch {torch.__version__} {a.model} batch {batch}, {a.threads} thread(s): "
          f"{rate:.1f} samples/s, {seconds / a.steps:.3f} s a step, peak RSS {rss_mb:.0f} MB, "
          f"{n_params} parameters")
    print("RESULT " + json.dumps({"label": a.label, "framework": "pytorch", "model": a.model,
                                  "batch": batch, "ranks": 1, "threads": a.threads,
                                  "samples_per_s": round(rate, 2), "step_s": seconds / a.steps,
                                  "rss_mb": round(rss_mb, 1), "n_params": n_params}))


if __name__ == "__main__":
    main()
