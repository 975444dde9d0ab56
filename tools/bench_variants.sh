#!/bin/sh
# bench_variants.sh (part of make bench): `gseq_mpi variants` in variants a second against PyTorch
# running the same checkpoint exported by tools/gseq_to_torch.py (tools/bench_variants_torch.py:
# the same windows, the same batch), on the same cores, and rank 0's peak memory from 10 k to
# 100 k variants (with a small model). The model: jobs/configs/danq.ini (L = 1000, 8 targets here) trained for one
# epoch on synth data (the weights do not change the speed); BENCH_VARIANTS SNVs (default 300) on
# a synthetic genome. PyTorch is skipped when Debian's python3-torch is not installed.
set -eu
OUT=${BENCH_DIR:-build/bench}/variants
N=${BENCH_VARIANTS:-300}
PY=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p "$OUT"
./gseq_mpi synth --genome "$OUT/g.fa" --peaks-out "$OUT/peaks" --chromosomes 1 \
    --chrom-length 200000 --seed 1 >/dev/null 2>&1
./gseq_mpi synth --mode multilabel --n 200 --length 1000 --targets 8 --seed 3 \
    --out "$OUT/d.h5" >/dev/null
[ -f "$OUT/danq/best.h5" ] || ./gseq_mpi train --config jobs/configs/danq.ini --data "$OUT/d.h5" \
    --out "$OUT/danq" --force --set train.epochs=1 --set train.batch=50 >/dev/null
"$PY" - "$OUT/g.fa" "$OUT" "$N" <<'PYEOF'
import sys
seq = "".join(l.strip() for l in open(sys.argv[1]) if not l.startswith(">")).upper()
for n in (int(sys.argv[3]), 10000, 100000):
    with open("%s/snv%d.vcf" % (sys.argv[2], n), "w") as f:
        f.write("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for i in range(n):
            p = 1000 + i * (len(seq) - 2000) // n
            f.write("chr1\t%d\tv%d\t%s\t%s\t.\t.\t.\n" % (p, i, seq[p - 1], "A" if seq[p - 1] != "A" else "G"))
PYEOF
CK=$OUT/danq/best.h5
for P in 1 2; do
    mpirun -np $P ./gseq_mpi variants --checkpoint "$CK" --vcf "$OUT/snv$N.vcf" --genome "$OUT/g.fa" \
        --out "$OUT/e$P.tsv" --threads 1 --batch 50 | head -1
done
cmp -s "$OUT/e1.tsv" "$OUT/e2.tsv" && echo "variants: the same bytes from 1 and 2 ranks"
if "$PY" -c "import torch" 2>/dev/null; then
    for T in 1 2; do
        "$PY" tools/bench_variants_torch.py "$CK" "$OUT/snv$N.vcf" "$OUT/g.fa" --threads $T --batch 50
    done
else
    echo "bench_variants: PyTorch skipped (no python3-torch)"
fi
# memory against the VCF's size, with a small model (conv 8 x 9, one target kept) for speed
cat >"$OUT/small.ini" <<'INI'
[train]
batch = 50
epochs = 1
seed = 1
[onehot]
[conv1d]
filters = 8
width = 9
activation = relu
[maxpool1d]
pool = 8
[flatten]
[dense]
units = 8
activation = sigmoid
INI
[ -f "$OUT/small/best.h5" ] || ./gseq_mpi train --config "$OUT/small.ini" --data "$OUT/d.h5" \
    --out "$OUT/small" --force >/dev/null
for n in 10000 100000; do
    ./gseq_mpi variants --checkpoint "$OUT/small/best.h5" --vcf "$OUT/snv$n.vcf" --genome "$OUT/g.fa" \
        --out "$OUT/m.tsv" --targets 0:1 --batch 50 --threads 1 | head -1
done
rm -f "$OUT/m.tsv"
