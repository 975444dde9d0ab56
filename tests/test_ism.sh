#!/bin/sh
# test_ism.sh: `gseq_mpi mutagenesis` and `gseq_mpi attribute` from the command line, run from the
# repo root with the built ./gseq_mpi, on a tiny conv model trained for one epoch on `synth` data
# (and a tiny seed LSTM for attribution through an embedding). Checked: an ISM value equals the
# difference of `predict` on the mutated sequence (written by Python) and on the reference, within
# 1e-6, and what `variants` gives for the same SNV; --window and --targets give the matching slice of the full output; 0 at the reference
# base; the same bytes for P = 1 and 2; integrated gradients sum to the logit difference within 1%;
# saliency is 0 off the reference base; bad --window and --targets: one line, exit 1, no output.
# Needs $PYTHON (default /usr/bin/python3) with numpy and h5py. Prints "N passed, N failed" last.
BIN=${GSEQ_MPI:-./gseq_mpi}
PY=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
T=$(mktemp -d /tmp/gseq_ism_XXXXXX)
[ -n "$KEEP" ] || trap 'rm -rf "$T"' EXIT
. tests/lib.sh

if ! "$PY" -c 'import numpy, h5py' 2>/dev/null; then
    echo "skipped: $PY has no numpy or h5py"
    echo "0 passed, 0 failed"
    exit 0
fi

# check NAME PYTHON-CODE: the code (given $T as sys.argv[1] and h5py, numpy) exits 0
check() {
    name=$1
    if "$PY" - "$T" "$2" >"$T/py" 2>&1 <<'EOF'; then ok; else bad "$name: $(tail -2 "$T/py")"; fi
import sys, h5py, numpy as np
T = sys.argv[1]
def h5(name):
    return h5py.File(f"{T}/{name}", "r")
exec(sys.argv[2])
EOF
}

cat >"$T/conv.ini" <<'EOF'
[train]
batch = 50
epochs = 1
lr = 0.01
seed = 1
[onehot]
[conv1d]
filters = 16
width = 9
activation = relu
[maxpool1d]
pool = 4
[flatten]
[output]
type = dense
EOF
run synth $BIN synth --out "$T/s.h5" --mode multilabel --n 60 --length 80 --targets 3 --seed 2
run train $BIN train --config "$T/conv.ini" --data "$T/s.h5" --out "$T/tr" --quiet
CK=$T/tr/best.h5

# ---- mutagenesis ----
run ism_p1 $BIN mutagenesis --checkpoint "$CK" --data "$T/s.h5" --out "$T/ism1.h5" --threads 1 --quiet
run ism_p2 mpirun -np 2 $BIN mutagenesis --checkpoint "$CK" --data "$T/s.h5" --out "$T/ism2.h5" \
    --threads 1 --quiet
if cmp -s "$T/ism1.h5" "$T/ism2.h5"; then ok; else bad "mutagenesis: P = 1 and P = 2 differ"; fi
run ism_window $BIN mutagenesis --checkpoint "$CK" --data "$T/s.h5" --out "$T/ismw.h5" \
    --window 10:30 --targets Gata1,CTCF --batch 7 --quiet
run ism_logit $BIN mutagenesis --checkpoint "$CK" --data "$T/s.h5" --out "$T/isml.h5" --logit \
    --targets 1:3 --quiet
check ism_shape '
f = h5("ism1.h5"); x = h5("s.h5")["x"][:]
ism = f["ism"][:]
assert ism.shape == (60, 80, 4, 3), ism.shape
ref = ism[np.arange(60)[:, None], np.arange(80)[None, :], x - 1]  # at the reference base
assert np.all(ref == 0), "ISM not 0 at the reference base"
assert np.count_nonzero(ism) > 0.5 * ism.size, "ISM mostly 0"
assert list(f["target_names"].asstr()[:]) == ["CTCF", "Gata1", "FOXA1"]'
check ism_window_targets '
a = h5("ism1.h5")["ism"][:]; w = h5("ismw.h5")
assert w["ism"].shape == (60, 20, 4, 2) and w.attrs["window_start"] == 10
assert list(w["target_index"][:]) == [1, 0]
d = np.abs(w["ism"][:] - a[:, 10:30][..., [1, 0]]).max()
assert d <= 1e-6, f"window/targets differ from the full output by {d}"
l = h5("isml.h5")
assert l.attrs["scale"] == "logit" and l["ism"].shape == (60, 80, 4, 2)'

# Python writes mutants of three sequences as FASTA; predict on them gives the ISM values
"$PY" - "$T" <<'EOF'
import sys, h5py
T = sys.argv[1]
x = h5py.File(f"{T}/s.h5", "r")["x"][:]
with open(f"{T}/mut.fa", "w") as fa:
    for s, pos, base in [(0, 0, 0), (0, 41, 2), (7, 79, 3), (33, 12, 1), (59, 55, 0)]:
        row = list(x[s])
        if row[pos] == base + 1:
            base = (base + 1) % 4
        fa.write(f">ref_{s}\n" + "".join("-ACGTN"[t] for t in row) + "\n")
        row[pos] = base + 1
        fa.write(f">mut_{s}_{pos}_{base}\n" + "".join("-ACGTN"[t] for t in row) + "\n")
EOF
run predict_mutants $BIN predict --checkpoint "$CK" --data "$T/mut.fa" --out "$T/mut.h5" --quiet
check ism_equals_predict '
p = h5("mut.h5"); ism = h5("ism1.h5")["ism"][:]
ids = list(p["id"].asstr()[:]); probs = p["probabilities"][:]
worst = 0.0
for i in range(0, len(ids), 2):
    _, s, pos, base = ids[i + 1].split("_")
    want = probs[i + 1] - probs[i]
    got = ism[int(s), int(pos), int(base)]
    worst = max(worst, float(np.abs(got - want).max()))
assert worst <= 1e-6, f"ISM differs from predict by {worst}"'

expect_fail window_outside "$T/bad.h5" "--window 70:81: outside the sequence of 80 positions" -- \
    $BIN mutagenesis --checkpoint "$CK" --data "$T/s.h5" --out "$T/bad.h5" --window 70:81
expect_fail window_empty "$T/bad.h5" "--window 30:30: outside" -- \
    $BIN mutagenesis --checkpoint "$CK" --data "$T/s.h5" --out "$T/bad.h5" --window 30:30
expect_fail window_syntax "$T/bad.h5" "--window 5-9: expected A:B" -- \
    $BIN mutagenesis --checkpoint "$CK" --data "$T/s.h5" --out "$T/bad.h5" --window 5-9
expect_fail target_unknown "$T/bad.h5" "has no target 'NOPE' (its targets: CTCF, Gata1, FOXA1)" -- \
    mpirun -np 2 $BIN mutagenesis --checkpoint "$CK" --data "$T/s.h5" --out "$T/bad.h5" \
    --targets CTCF,NOPE
expect_fail target_range "$T/bad.h5" "--targets 2:5: outside the 3 targets" -- \
    $BIN attribute --checkpoint "$CK" --data "$T/s.h5" --out "$T/bad.h5" --targets 2:5

# genome intervals: a BED on a synthetic genome gives what a FASTA of the same windows gives
run synth_genome $BIN synth --genome "$T/g.fa" --peaks-out "$T/peaks" --chromosomes 2 \
    --chrom-length 20000 --peaks-per-mb 300 --targets 2 --seed 3
run ism_bed mpirun -np 2 $BIN mutagenesis --checkpoint "$CK" --genome "$T/g.fa" \
    --data "$T/peaks/CTCF.bed" --out "$T/ismb.h5" --window 20:60 --threads 1 --quiet
"$PY" - "$T" <<'EOF'
import sys
T = sys.argv[1]
chroms, name = {}, None
for line in open(f"{T}/g.fa"):
    line = line.strip()
    if line.startswith(">"):
        name = line[1:].split()[0]
        chroms[name] = []
    elif line:
        chroms[name].append(line.upper())
chroms = {k: "".join(v) for k, v in chroms.items()}
rc = str.maketrans("ACGTN", "TGCAN")
with open(f"{T}/win.fa", "w") as fa:
    for line in open(f"{T}/peaks/CTCF.bed"):
        c, s, e, *rest = line.rstrip("\n").split("\t")
        ws = (int(s) + int(e)) // 2 - 40
        seq = chroms[c][ws:ws + 80]
        if len(rest) >= 3 and rest[2] == "-":
            seq = seq.translate(rc)[::-1]
        fa.write(f">{c}_{ws}\n{seq}\n")
EOF
run ism_bed_fasta $BIN mutagenesis --checkpoint "$CK" --data "$T/win.fa" --out "$T/ismf.h5" \
    --window 20:60 --threads 1 --quiet
check ism_bed_equals_fasta '
b = h5("ismb.h5"); f = h5("ismf.h5")
assert b["ism"].shape[0] > 3 and np.array_equal(b["ism"][:], f["ism"][:]), "BED and FASTA windows differ"
ids = [i.replace("_", ":") for i in f["id"].asstr()[:]]
got = [f"{c}:{s}" for c, s in zip(b["chrom"].asstr()[:], b["start"][:])]
assert ids == got, (ids[:3], got[:3])
assert np.all(b["end"][:] - b["start"][:] == 80)'
# ISM equals `variants` for the same SNV: the BED interval [p, p + 1) (0-based) centres its window
# of 80 on p, as Selene's rule centres an SNV at 1-based position p (its base at window offset 39)
"$PY" - "$T" <<'EOF'
import sys
T = sys.argv[1]
seq, name = {}, None
for line in open(f"{T}/g.fa"):
    line = line.strip()
    if line.startswith(">"):
        name = line[1:].split()[0]
        seq[name] = []
    elif line:
        seq[name].append(line.upper())
seq = {k: "".join(v) for k, v in seq.items()}
with open(f"{T}/snv.vcf", "w") as vcf, open(f"{T}/snv.bed", "w") as bed:
    vcf.write("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    for i, (c, pos) in enumerate([("chr1", 500), ("chr1", 12345), ("chr2", 41), ("chr2", 19960)]):
        ref = seq[c][pos - 1]
        alt = "ACGT"[("ACGT".index(ref) + 1 + i % 3) % 4]
        vcf.write(f"{c}\t{pos}\tv{i}\t{ref}\t{alt}\t.\t.\t.\n")
        bed.write(f"{c}\t{pos}\t{pos + 1}\n")
EOF
run ism_snv $BIN mutagenesis --checkpoint "$CK" --genome "$T/g.fa" --data "$T/snv.bed" \
    --out "$T/isms.h5" --quiet
run variants_snv $BIN variants --checkpoint "$CK" --genome "$T/g.fa" --vcf "$T/snv.vcf" \
    --out "$T/snv.tsv" --quiet
check ism_equals_variants '
ism = h5("isms.h5")["ism"][:]
rows = [l.rstrip("\n").split("\t") for l in open(f"{T}/snv.tsv") if not l.startswith("#")]
assert len(rows) == 4 * 3, len(rows)
names = list(h5("isms.h5")["target_names"].asstr()[:])
worst = 0.0
for j, r in enumerate(rows):
    i, k = j // 3, names.index(r[5])
    got = ism[i, 39, "ACGT".index(r[4]), k]
    worst = max(worst, abs(got - float(r[8])))
assert worst <= 2e-6, f"ISM differs from variants by {worst}"'

printf 'chr1\t0\t10\n' >"$T/edge.bed"
expect_fail bed_off_chromosome "$T/bad.h5" \
    "edge.bed: interval 1 (chr1:0-10) centred in 80 bases runs past the start of chr1" -- \
    $BIN mutagenesis --checkpoint "$CK" --genome "$T/g.fa" --data "$T/edge.bed" --out "$T/bad.h5"

# ---- attribute ----
run sal_p1 $BIN attribute --checkpoint "$CK" --data "$T/s.h5" --out "$T/sal1.h5" --threads 1 --quiet
run sal_p2 mpirun -np 2 $BIN attribute --checkpoint "$CK" --data "$T/s.h5" --out "$T/sal2.h5" \
    --threads 1 --quiet
if cmp -s "$T/sal1.h5" "$T/sal2.h5"; then ok; else bad "attribute saliency: P = 1 and P = 2 differ"; fi
run ig_p1 $BIN attribute --checkpoint "$CK" --data "$T/s.h5" --out "$T/ig1.h5" --method ig \
    --baseline shuffle --seed 4 --steps 20 --threads 1 --quiet
run ig_p2 mpirun -np 2 $BIN attribute --checkpoint "$CK" --data "$T/s.h5" --out "$T/ig2.h5" \
    --method ig --baseline shuffle --seed 4 --steps 20 --threads 1 --quiet
if cmp -s "$T/ig1.h5" "$T/ig2.h5"; then ok; else bad "attribute ig: P = 1 and P = 2 differ"; fi
run ig_zeros $BIN attribute --checkpoint "$CK" --data "$T/s.h5" --out "$T/igz.h5" --method ig \
    --steps 50 --targets FOXA1 --quiet
check saliency '
f = h5("sal1.h5"); x = h5("s.h5")["x"][:]
a = f["attributions"][:]
onehot = np.eye(4, dtype=bool)[x - 1]
assert np.all(a[~onehot] == 0), "saliency not 0 off the reference base"
assert np.count_nonzero(a) > 0, "saliency all 0"
assert f.attrs["method"] == "saliency" and f["logit"].shape == (60, 3)'
check ig_completeness '
f = h5("igz.h5")
s = f["attributions"][:].sum(axis=(1, 2, 3)); d = (f["logit"][:] - f["baseline_logit"][:])[:, 0]
worst = np.max(np.abs(s - d) / (np.abs(d) + 1e-3))
assert worst <= 0.01, f"completeness off by {worst:.4f} of the logit difference"
g = h5("ig1.h5")
assert g.attrs["baseline"] == "dinucleotide_shuffle" and g.attrs["steps"] == 20'

# the seed LSTM: attribution through the embedding
run train_lstm $BIN train --config jobs/configs/seed_lstm.ini --data "$T/s.h5" --out "$T/lstm" \
    --quiet --set embedding.dim=4 --set lstm_1.units=4 --set lstm_2.units=4 --set train.epochs=1 \
    --set train.batch=30
run ig_lstm $BIN attribute --checkpoint "$T/lstm/best.h5" --data "$T/s.h5" --out "$T/igl.h5" \
    --method ig --steps 50 --quiet
check ig_lstm_completeness '
f = h5("igl.h5")
s = f["attributions"][:].sum(axis=(1, 2)); d = f["logit"][:] - f["baseline_logit"][:]
worst = np.max(np.abs(s - d) / (np.abs(d) + 1e-3))
assert worst <= 0.01, f"completeness off by {worst:.4f} of the logit difference"'

# a sequence logo of an attribution track (skipped without matplotlib)
if "$PY" -c 'import matplotlib' 2>/dev/null; then
    run logo "$PY" tools/gseq_plots.py --logo "$T/sal1.h5" --row 2 --target Gata1 --out "$T/plots"
    run logo_ism "$PY" tools/gseq_plots.py --logo "$T/ismw.h5" --row 0 --target 1 --out "$T/plots_ism"
    if [ -s "$T/plots/logo_2_Gata1.png" ] && [ -s "$T/plots_ism/logo_0_CTCF.png" ]; then ok; else
        bad "gseq_plots.py --logo: no PNG"; fi
else
    echo "skipped the logo: $PY has no matplotlib"
fi

finish
