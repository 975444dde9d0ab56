#!/bin/sh
# test_augment.sh: train.rc_augment from the command line, run from the repo root with the built
# ./gseq_mpi. The data are written here: random 60-base sequences, the positives holding the
# motif GGATAAGAC on the forward strand only, so a model trained without augmentation does not
# see its reverse complement GTCTTATCC as positive, and one trained with it does. Checked: the
# reverse complements of held-out positives score high with augmentation and low without; the
# same training losses on 1 and 2 ranks (the rows flip by a keyed draw of seed, epoch and row);
# augmentation changes the first epoch's loss; a bad value is one config error line.
# Needs $PYTHON (default /usr/bin/python3) with numpy and h5py. Prints "N passed, N failed" last.
BIN=${GSEQ_MPI:-./gseq_mpi}
PY=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
T=$(mktemp -d /tmp/gseq_augment_XXXXXX)
[ -n "$KEEP" ] || trap 'rm -rf "$T"' EXIT
. tests/lib.sh

if ! "$PY" -c 'import numpy, h5py' 2>/dev/null; then
    echo "skipped: $PY has no numpy or h5py"
    finish
    exit 0
fi

"$PY" - "$T" <<'PYEOF'
import sys, numpy as np
T, motif = sys.argv[1], "GGATAAGAC"
rng = np.random.default_rng(7)
def rc(s):
    return s.translate(str.maketrans("ACGT", "TGCA"))[::-1]
with open(f"{T}/train.fa", "w") as fa, open(f"{T}/train.tsv", "w") as tsv, \
        open(f"{T}/rc_pos.fa", "w") as rcf:
    tsv.write("id\tbound\n")
    for i in range(1600):
        s = "".join(rng.choice(list("ACGT"), 60))
        while motif in s or rc(motif) in s:
            s = "".join(rng.choice(list("ACGT"), 60))
        pos = i % 2
        if pos:
            at = int(rng.integers(0, 60 - len(motif)))
            s = s[:at] + motif + s[at + len(motif):]
        fa.write(f">s{i}\n{s}\n")
        tsv.write(f"s{i}\t{pos}\n")
        if pos and i >= 1400:
            rcf.write(f">s{i}\n{rc(s)}\n")
PYEOF
cat >"$T/conv.ini" <<'INI'
[train]
batch = 32
epochs = 6
lr = 0.01
seed = 3
[onehot]
[conv1d]
filters = 16
width = 9
activation = relu
[pool]
type = pool_time
mode = max
[output]
type = dense
INI
run convert $BIN convert --fasta "$T/train.fa" --labels "$T/train.tsv" --out "$T/d.h5"
run train_plain $BIN train --config "$T/conv.ini" --data "$T/d.h5" --out "$T/plain" --quiet
run train_aug $BIN train --config "$T/conv.ini" --data "$T/d.h5" --out "$T/aug" --quiet \
    --set train.rc_augment=true
contains augment_logged "$T/aug/train.log" "augmentation: each epoch, about half the training rows"
run predict_plain $BIN predict --checkpoint "$T/plain/best.h5" --data "$T/rc_pos.fa" --out "$T/p.h5" --quiet
run predict_aug $BIN predict --checkpoint "$T/aug/best.h5" --data "$T/rc_pos.fa" --out "$T/a.h5" --quiet
py_check rc_positives '
import sys, h5py
p = h5py.File(sys.argv[1] + "/p.h5", "r")["probabilities"][:].mean()
a = h5py.File(sys.argv[1] + "/a.h5", "r")["probabilities"][:].mean()
print(f"    reverse-complemented positives: mean probability {p:.3f} without augmentation, {a:.3f} with")
assert p < 0.3 and a > 0.7, (p, a)' "$T"

run train_aug_p2 mpirun -np 2 $BIN train --config "$T/conv.ini" --data "$T/d.h5" --out "$T/aug2" \
    --quiet --set train.rc_augment=true --set train.epochs=2 --threads 1
run train_aug_p1 $BIN train --config "$T/conv.ini" --data "$T/d.h5" --out "$T/aug1" --quiet \
    --set train.rc_augment=true --set train.epochs=2
py_check ranks_and_effect '
import sys, json
T = sys.argv[1]
def losses(run):
    return [json.loads(l)["train_loss"] for l in open(f"{T}/{run}/metrics.jsonl")]
one, two, plain = losses("aug1"), losses("aug2"), losses("plain")
worst = max(abs(a - b) for a, b in zip(one, two))
print(f"    1 and 2 ranks with augmentation: worst train-loss difference {worst:.1e}")
assert len(one) == len(two) == 2 and worst < 1e-5, (one, two)
assert abs(one[0] - plain[0]) > 1e-3, ("augmentation changed nothing", one[0], plain[0])' "$T"

expect_fail bad_value - "train.rc_augment" -- $BIN train --config "$T/conv.ini" --data "$T/d.h5" \
    --out "$T/bad" --set train.rc_augment=maybe
finish
