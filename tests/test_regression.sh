#!/bin/sh
# test_regression.sh: the regression task end to end, run from the repo root with the built
# ./gseq_mpi. Python (h5py, numpy) writes two regression files of 1200 rows of 60 bases whose two
# targets count the planted motifs TGCA and GATTC: y = count + N(0, 0.3) (mse) and
# y ~ Poisson(0.2 + 1.5 count) (poisson). A small conv model (conv1d 16 x 4, mean over time) must
# learn both: test Pearson above thresholds measured with margin (mse 0.91 -> need 0.8, poisson
# 0.68 against an oracle of ~0.75 -> need 0.55). Then: train on 1 and 2 ranks gives the same
# epochs and test metrics (to the rounding of sums); eval's metrics.json equals numpy's Pearson,
# Spearman (average ranks) and MSE on predict's /values, and eval's loss equals PyTorch's MSELoss
# and PoissonNLLLoss(log_input=False) on those values (torch skipped if absent); cv reports
# Pearson; variants writes log2_fc for the softplus output and no fourth column for the linear
# one; mutagenesis and attribute run. Bad combinations fail with one line naming the problem.
# Prints "N passed, N failed" last; exits non-zero on any failure.
BIN=${GSEQ_MPI:-./gseq_mpi}
PY=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
T=$(mktemp -d /tmp/gseq_regression_XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/lib.sh

# run_logged NAME CMD...: the command must succeed; its output kept in $T/NAME.out and .err
run_logged() {
    name=$1
    shift
    if "$@" >"$T/$name.out" 2>"$T/$name.err"; then ok; else bad "$name: $(cat "$T/$name.err")"; fi
}

if ! "$PY" -c 'import h5py, numpy' 2>/dev/null; then
    echo "skipped: $PY lacks h5py or numpy (apt-get install python3-h5py python3-numpy)"
    echo "0 passed, 0 failed"
    exit 0
fi


# ---- the data and the model ----
"$PY" - "$T" <<'EOF' || bad "writing the data"
import sys, h5py, numpy as np
T = sys.argv[1]
rng = np.random.default_rng(11)
N, L = 1200, 60
motifs = [np.array([4, 3, 2, 1]), np.array([3, 1, 4, 4, 2])]  # TGCA, GATTC (1..4 = A C G T)
x = rng.integers(1, 5, size=(N, L)).astype(np.uint8)
for i in range(N):
    for m in motifs:
        for _ in range(rng.poisson(1.2)):
            at = rng.integers(0, L - len(m) + 1)
            x[i, at:at + len(m)] = m
counts = np.stack([(np.lib.stride_tricks.sliding_window_view(x, len(m), axis=1) == m).all(-1).sum(1)
                   for m in motifs], 1).astype(np.float64)
ys = {"mse": counts + rng.normal(scale=0.3, size=counts.shape),
      "pois": rng.poisson(0.2 + 1.5 * counts).astype(np.float64)}
ys["neg"] = ys["pois"].copy()
ys["neg"][37, 1] = -1.0
for name, y in ys.items():
    with h5py.File(f"{T}/{name}.h5", "w") as f:
        f["x"] = x
        f["y"] = y.astype(np.float32)
        f.attrs["task"] = "regression"
        f["target_names"] = np.array([b"TGCA", b"GATTC"])
oracle = [np.corrcoef(0.2 + 1.5 * counts[:, k], ys["pois"][:, k])[0, 1] for k in range(2)]
print(f"    poisson data: the oracle's Pearson {np.mean(oracle):.3f}")
EOF
cat >"$T/reg.ini" <<'EOF'
[train]
batch = 32
epochs = 40
lr = 0.05
seed = 1

[onehot]

[conv1d]
filters = 16
width = 4
activation = relu

[pool]
type = pool_time
mode = mean

[output]
type = dense
units = auto
activation = auto
EOF
C="--config $T/reg.ini"

# ---- training: mse, poisson on 1 and 2 ranks ----
run_logged train_mse $BIN train $C --data "$T/mse.h5" --out "$T/m1"
run_logged train_pois $BIN train $C --data "$T/pois.h5" --set train.loss=poisson --out "$T/p1"
run_logged train_pois_2 mpirun -np 2 $BIN train $C --data "$T/pois.h5" --set train.loss=poisson --out "$T/p2"
run_logged train_softplus $BIN train $C --data "$T/pois.h5" --set output.activation=softplus \
    --set train.epochs=2 --out "$T/sp"
py_check learns '
import json, sys
for d, need in (("m1", 0.8), ("p1", 0.55)):
    m = json.load(open(f"{sys.argv[1]}/{d}/test_metrics.json"))
    print("    %s: test pearson %.4f (need %s), spearman %.4f, mse %.4f" % (d, m["pearson"], need, m["spearman"], m["mse"]))
    assert m["pearson"] > need and m["spearman"] > need - 0.1, m
    assert m["auroc"] is None and m["accuracy"] is None, m
' "$T"
py_check rank_count '
import json, sys
T = sys.argv[1]
a = [json.loads(l) for l in open(f"{T}/p1/metrics.jsonl")]
b = [json.loads(l) for l in open(f"{T}/p2/metrics.jsonl")]
assert len(a) == len(b) == 40
worst = 0.0
for x, y in zip(a, b):
    for k in ("train_loss", "val_loss", "val_pearson", "val_spearman", "val_mse"):
        worst = max(worst, abs(x[k] - y[k]) / max(1.0, abs(x[k])))
ta, tb = (json.load(open(f"{T}/{d}/test_metrics.json")) for d in ("p1", "p2"))
assert ta["best_epoch"] == tb["best_epoch"], (ta, tb)
for k in ("loss", "pearson", "spearman", "mse"):
    worst = max(worst, abs(ta[k] - tb[k]))
print(f"    1 and 2 ranks: worst difference over 40 epochs and the test {worst:.2e}")
assert worst < 1e-5
' "$T"
grep -q "val pearson" "$T/train_mse.out" && ok || bad "the training log does not report val pearson"
py_check softplus_means_poisson '
import sys, h5py
with h5py.File(sys.argv[1] + "/sp/best.h5") as f:
    v = f.attrs["loss"]
    assert (v.decode() if isinstance(v, bytes) else v) == "poisson", v
' "$T"

# ---- eval and predict against numpy and torch ----
for m in m1 p1; do
    d=$([ $m = m1 ] && echo mse || echo pois)
    run_logged eval_$m $BIN eval --checkpoint "$T/$m/best.h5" --data "$T/$d.h5" --out "$T/ev_$m" --quiet
    if [ $m = m1 ]; then
        run_logged eval2_$m mpirun -np 2 $BIN eval --checkpoint "$T/$m/best.h5" --data "$T/$d.h5" --out "$T/ev2_$m" --quiet
    else
        cp -r "$T/ev_$m" "$T/ev2_$m"
    fi
    run_logged predict_$m $BIN predict --checkpoint "$T/$m/best.h5" --data "$T/$d.h5" --out "$T/pr_$m.h5" --quiet
    py_check eval_$m '
import json, sys, h5py, numpy as np
T, m, d = sys.argv[1:4]
def refuse(c):
    raise ValueError("not JSON: " + c)
e = json.load(open(f"{T}/ev_{m}/metrics.json"), parse_constant=refuse)
e2 = json.load(open(f"{T}/ev2_{m}/metrics.json"))
with h5py.File(f"{T}/pr_{m}.h5") as f:
    assert "probabilities" not in f and f.attrs["task"] == "regression"
    p = f["values"][()].astype(np.float64)
    kind = f.attrs["loss"]
    kind = kind.decode() if isinstance(kind, bytes) else kind
with h5py.File(f"{T}/{d}.h5") as f:
    y = f["y"][()].astype(np.float64)
assert kind == e["loss_kind"] == ("mse" if m == "m1" else "poisson"), kind
if kind == "poisson":
    assert (p > 0).all()
def ranks(v):
    less = (v[None, :] < v[:, None]).sum(1)
    return less + ((v[None, :] == v[:, None]).sum(1) + 1) / 2.0
r = [np.corrcoef(p[:, k], y[:, k])[0, 1] for k in range(2)]
s = [np.corrcoef(ranks(p[:, k]), ranks(y[:, k]))[0, 1] for k in range(2)]
mse = ((p - y) ** 2).mean(0)
got = [(t["pearson"], t["spearman"], t["mse"]) for t in e["targets"]]
want = list(zip(r, s, mse))
worst = max(abs(a - b) for g, w in zip(got, want) for a, b in zip(g, w))
worst = max(worst, abs(e["pearson_mean"] - np.mean(r)), abs(e["spearman_mean"] - np.mean(s)),
            abs(e["mse_mean"] - mse.mean()))
assert worst < 1e-6, (got, want)
for k in ("loss", "pearson_mean", "spearman_mean", "mse_mean"):
    assert abs(e[k] - e2[k]) < 1e-6, (k, e[k], e2[k])
try:
    import torch
    P, Y = torch.tensor(p), torch.tensor(y)
    ref = (torch.nn.MSELoss()(P, Y) if kind == "mse"
           else torch.nn.PoissonNLLLoss(log_input=False, eps=1e-8)(P, Y)).item()
    assert abs(e["loss"] - ref) <= 1e-5 * max(1.0, abs(ref)), (e["loss"], ref)
    how = f"torch {ref:.7f}"
except ImportError:
    how = "no torch"
print("    eval %s: pearson %.4f, loss %.7f (%s); worst difference from numpy %.1e" % (kind, e["pearson_mean"], e["loss"], how, worst))
' "$T" $m $d
done

# ---- a constant label column: no correlation, null in strict JSON ----
"$PY" -c '
import sys, h5py
with h5py.File(sys.argv[1] + "/mse.h5") as f, h5py.File(sys.argv[1] + "/const.h5", "w") as g:
    for k in ("x", "target_names"):
        g[k] = f[k][()]
    y = f["y"][()]
    y[:, 1] = 3.0
    g["y"] = y
    g.attrs["task"] = "regression"
' "$T" || bad "writing const.h5"
run_logged eval_const $BIN eval --checkpoint "$T/m1/best.h5" --data "$T/const.h5" --out "$T/ev_c" --rc-average --quiet
py_check eval_const '
import json, sys
def refuse(c):
    raise ValueError("not JSON: " + c)
e = json.load(open(sys.argv[1] + "/ev_c/metrics.json"), parse_constant=refuse)
assert e["uncorrelated"] == ["GATTC"] and e["targets_correlated"] == 1, e
t = e["targets"][1]
assert t["pearson"] is None and t["spearman"] is None and t["mse"] > 0, t
assert e["pearson_mean"] == e["targets"][0]["pearson"] and e["rc_average"] is True, e
' "$T"

# ---- cv ----
run_logged cv $BIN cv $C --data "$T/mse.h5" --folds 2 --set train.epochs=5 --set train.monitor=val_pearson --out "$T/cv"
py_check cv '
import json, sys
T = sys.argv[1]
head = open(f"{T}/cv/cv.tsv").readline().split()
assert head[-3:] == ["val_pearson", "val_spearman", "val_mse"], head
r = json.load(open(f"{T}/cv/report.json"))
assert r["monitor"] == "val_pearson" and r["test"]["pearson"] > 0.3, r
assert r["ranking"][0]["val_pearson_mean"] == r["cv_mean"], r["ranking"]
' "$T"

# ---- variants, mutagenesis, attribute ----
"$PY" - "$T" <<'EOF' || bad "writing the genome and the VCF"
import sys, numpy as np
T = sys.argv[1]
rng = np.random.default_rng(3)
g = "".join(rng.choice(list("ACGT"), size=400))
open(f"{T}/g.fa", "w").write(">chr1\n" + "\n".join(g[i:i + 60] for i in range(0, 400, 60)) + "\n")
with open(f"{T}/v.vcf", "w") as f:
    f.write("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=400>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    for pos in (100, 200, 300):
        alt = "A" if g[pos - 1] != "A" else "C"
        f.write(f"chr1\t{pos}\tv{pos}\t{g[pos - 1]}\t{alt}\t.\t.\t.\n")
EOF
run_logged variants_pois $BIN variants --checkpoint "$T/p1/best.h5" --vcf "$T/v.vcf" --genome "$T/g.fa" --out "$T/vp.tsv"
run_logged variants_mse $BIN variants --checkpoint "$T/m1/best.h5" --vcf "$T/v.vcf" --genome "$T/g.fa" --out "$T/vm.h5"
py_check variants '
import sys, math, h5py
T = sys.argv[1]
lines = [l.rstrip("\n").split("\t") for l in open(f"{T}/vp.tsv")]
assert lines[0][6:] == ["ref_value", "alt_value", "diff", "log2_fc"], lines[0]
assert len(lines) == 7
for l in lines[1:]:
    ref, alt, diff, fc = map(float, l[6:])
    assert ref > 0 and alt > 0 and abs(diff - (alt - ref)) < 1e-5
    assert abs(fc - math.log2((alt + 1e-6) / (ref + 1e-6))) < 1e-5, l
with h5py.File(f"{T}/vm.h5") as f:
    assert "log2_fc" not in f and "log2_odds" not in f and f["ref_value"].shape == (3, 2), list(f)
' "$T"
run_logged ism $BIN mutagenesis --checkpoint "$T/p1/best.h5" --data "$T/pois.h5" --out "$T/ism.h5" --window 0:5 --quiet
run_logged attribute $BIN attribute --checkpoint "$T/m1/best.h5" --data "$T/mse.h5" --out "$T/att.h5" --quiet

# ---- bad combinations: one line each ----
$BIN synth --mode binary --n 200 --seed 3 --out "$T/bin.h5" >/dev/null || bad "synth"
expect_fail poisson_negative - "neg.h5" "row 37" "target 1" "negative" "poisson" -- \
    $BIN train $C --data "$T/neg.h5" --set train.loss=poisson --out "$T/x1"
expect_fail poisson_on_binary - "train.loss = poisson" "binary" -- \
    $BIN train $C --data "$T/bin.h5" --set train.loss=poisson --out "$T/x2"
expect_fail bce_on_regression - "train.loss = bce" "regression" -- \
    $BIN train $C --data "$T/mse.h5" --set train.loss=bce --out "$T/x3"
expect_fail auroc_on_regression - "train.monitor = val_auroc" "regression" -- \
    $BIN train $C --data "$T/mse.h5" --set train.monitor=val_auroc --out "$T/x4"
expect_fail pearson_on_binary - "val_pearson" "binary" -- \
    $BIN train $C --data "$T/bin.h5" --set train.monitor=val_pearson --out "$T/x5"
expect_fail pos_weight_on_regression - "train.pos_weight" "regression" -- \
    $BIN train $C --data "$T/mse.h5" --set train.pos_weight=2 --out "$T/x6"
expect_fail sigmoid_on_regression - "activation sigmoid" "regression" "mse" -- \
    $BIN train $C --data "$T/mse.h5" --set output.activation=sigmoid --out "$T/x7"
expect_fail softplus_with_mse - "activation softplus" "mse" "linear" -- \
    $BIN train $C --data "$T/mse.h5" --set output.activation=softplus --set train.loss=mse --out "$T/x8"
expect_fail loss_name - "train.loss" "auto, bce, softmax_ce, mse or poisson" -- \
    $BIN train $C --data "$T/mse.h5" --set train.loss=huber --out "$T/x9"

finish
