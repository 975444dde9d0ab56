#!/bin/sh
# test_motifs.sh: `gseq_mpi motifs` from the command line, run from the repo root with the built
# ./gseq_mpi. Synthetic multilabel data with three planted JASPAR motifs (CTCF, Gata1, FOXA1), a
# small convolutional model (tests/motifs_small.ini) trained by 2 ranks in a few seconds, then:
# each planted motif is among the --top 5 matches of some filter with a q-value below 0.05; the
# outputs are the same bytes for 1, 2 and 3 ranks and for the same rows given as FASTA; filters.meme
# is MEME minimal format that agrees with filters.tsv. Bad input (a checkpoint whose first layer is
# not a convolution, data of another length, ...) gives exit 1, one line, and no output directory.
# Python checks use $PYTHON (default /usr/bin/python3 with h5py and NumPy; skipped without them).
# Prints "N passed, N failed" last; exits non-zero on any failure. KEEP=1 keeps the work directory.
BIN=${GSEQ_MPI:-./gseq_mpi}
PY=${PYTHON:-/usr/bin/python3}
T=$(mktemp -d /tmp/gseq_motifs_XXXXXX)
trap '[ -n "$KEEP" ] || rm -rf "$T"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_odls_base_sigkill_timeout=0 OPENBLAS_NUM_THREADS=1
MPIRUN="mpirun --oversubscribe -np"
. tests/lib.sh

if ! "$PY" -c 'import h5py, numpy' 2>/dev/null; then
    echo "skipped: $PY lacks h5py or numpy (apt-get install python3-h5py python3-numpy)"
    echo "0 passed, 0 failed"
    exit 0
fi


# ---- data and a trained model ----
D=$T/data.h5
started=$(date +%s)
$BIN synth --mode multilabel --n 3000 --length 200 --targets 3 --rate 0.4 --seed 3 --out "$D" \
    >/dev/null || bad "synth"
$MPIRUN 2 $BIN train --config tests/motifs_small.ini --data "$D" --out "$T/run" --quiet \
    --threads 1 --set train.epochs=20 >"$T/train.log" 2>&1 || bad "train: $(tail -3 "$T/train.log")"
C=$T/run/best.h5

# ---- the planted motifs are found ----
if $BIN motifs --checkpoint "$C" --data "$D" --out "$T/m1" >"$T/m1.log" 2>&1 &&
    [ -s "$T/m1/filters.meme" ] && [ -s "$T/m1/matches.tsv" ] && [ -s "$T/m1/filters.tsv" ]; then
    ok
else
    bad "motifs: $(cat "$T/m1.log")"
fi
py_check "planted motifs among the top 5 of some filter, q < 0.05" '
import sys, h5py
planted = [m.split()[0] for m in h5py.File(sys.argv[1]).attrs["synth_motifs"].split(",")]
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])][1:]
best = {}
for filt, rank, tid, name, off, strand, overlap, score, p, q in rows:
    if int(rank) <= 5 and tid in planted:
        best[tid] = min(best.get(tid, 1.0), float(q))
print("best q of each planted motif:", best)
sys.exit(0 if all(best.get(m, 1.0) < 0.05 for m in planted) else 1)
' "$D" "$T/m1/matches.tsv"
py_check "filters.meme is MEME minimal format and agrees with filters.tsv" '
import sys, math
lines = open(sys.argv[1]).read().splitlines()
assert lines[0] == "MEME version 4" and "ALPHABET= ACGT" in lines and "strands: + -" in lines
table = {r.split("\t")[0]: r.split("\t") for r in open(sys.argv[2]).read().splitlines()[1:]}
n = 0
for i, l in enumerate(lines):
    if l.startswith("MOTIF"):
        _, fid, alt = l.split()
        head = lines[i + 1].split()
        assert head[:3] == ["letter-probability", "matrix:", "alength="] and head[3] == "4", head
        w, sites = int(head[head.index("w=") + 1]), float(head[head.index("nsites=") + 1])
        assert head[-2:] == ["E=", "0"], head
        rows = [[float(v) for v in lines[i + 2 + j].split()] for j in range(w)]
        assert all(len(r) == 4 and abs(sum(r) - 1) < 1e-5 for r in rows), fid
        ic = sum(p * math.log2(p / 0.25) for r in rows for p in r if p > 0)
        assert float(table[fid][1]) == sites and alt == "IC=%.2f" % ic, (fid, alt, ic, table[fid])
        assert abs(float(table[fid][2]) - ic) < 1e-3, (fid, table[fid][2], ic)
        n += 1
assert n == sum(1 for r in table.values() if float(r[1]) > 0), n
print(n, "motifs")
' "$T/m1/filters.meme" "$T/m1/filters.tsv"

# ---- the same outputs under 2 ranks, and from FASTA ----
$MPIRUN 2 $BIN motifs --checkpoint "$C" --data "$D" --out "$T/m2" --quiet >"$T/m2.log" 2>&1 ||
    bad "motifs under 2 ranks: $(cat "$T/m2.log")"
for f in filters.meme matches.tsv filters.tsv; do
    if cmp -s "$T/m1/$f" "$T/m2/$f"; then ok; else bad "2 ranks: $f differs from 1 rank's"; fi
done
"$PY" - "$D" "$T/data.fa" <<'EOF' || bad "FASTA from the data"
import sys, h5py
f = h5py.File(sys.argv[1])
with open(sys.argv[2], "w") as out:
    for i, row in enumerate(f["x"][:]):
        out.write(">s%d\n%s\n" % (i, "".join("-ACGTN"[t] for t in row)))
EOF
$BIN motifs --checkpoint "$C" --data "$T/data.fa" --out "$T/mf" --quiet --batch 13 >"$T/mf.log" 2>&1 ||
    bad "motifs from FASTA: $(cat "$T/mf.log")"
for f in filters.meme matches.tsv filters.tsv; do
    if cmp -s "$T/m1/$f" "$T/mf/$f"; then ok; else bad "FASTA, --batch 13: $f differs"; fi
done
$BIN motifs --checkpoint "$C" --data "$D" --out "$T/few" --max-seqs 500 --top 2 >"$T/few.log" 2>&1
if grep -q "from 500 sequences" "$T/few.log" &&
    [ "$(awk -F'\t' 'NR > 1 && $2 > 2' "$T/few/matches.tsv" | wc -l)" -eq 0 ]; then
    ok
else
    bad "--max-seqs 500 --top 2: $(cat "$T/few.log")"
fi
# --max-seqs across the ranks' blocks (3 ranks of 1000 rows: the second cut, the third idle)
$BIN motifs --checkpoint "$C" --data "$D" --out "$T/c1" --max-seqs 1500 --quiet >"$T/c1.log" 2>&1 &&
    $MPIRUN 3 $BIN motifs --checkpoint "$C" --data "$D" --out "$T/c3" --max-seqs 1500 --quiet \
        >"$T/c3.log" 2>&1 || bad "--max-seqs 1500: $(cat "$T/c1.log" "$T/c3.log")"
for f in filters.meme matches.tsv filters.tsv; do
    if cmp -s "$T/c1/$f" "$T/c3/$f"; then ok; else bad "--max-seqs 1500, 3 ranks: $f differs from 1 rank's"; fi
done
if ! cmp -s "$T/c1/filters.tsv" "$T/m1/filters.tsv"; then ok; else bad "--max-seqs 1500 changed nothing"; fi
# the filters themselves as the motif file (MEME): each filter's best match is itself, offset 0
$BIN motifs --checkpoint "$C" --data "$D" --out "$T/self" --motif-file "$T/m1/filters.meme" --top 1 \
    --quiet >"$T/self.log" 2>&1 || bad "MEME --motif-file: $(cat "$T/self.log")"
if [ "$(awk -F'\t' 'NR > 1 && ($1 != $3 || $5 != 0 || $6 != "+")' "$T/self/matches.tsv" | wc -l)" -eq 0 ] &&
    [ "$(wc -l <"$T/self/matches.tsv")" -gt 1 ]; then
    ok
else
    bad "MEME --motif-file: a filter's best match is not itself: $(head -5 "$T/self/matches.tsv")"
fi

# ---- bad input ----
printf '[train]\nepochs = 1\n\n[onehot]\n\n[flatten]\n\n[output]\ntype = dense\nunits = auto\nactivation = auto\n' \
    >"$T/dense.ini"
$BIN train --config "$T/dense.ini" --data "$D" --out "$T/dense" --quiet >/dev/null 2>&1 || bad "train dense"
$BIN synth --mode multilabel --n 50 --length 150 --targets 3 --seed 4 --out "$T/short.h5" >/dev/null
O=$T/bad
expect_fail "first layer not a convolution" "$O" "$T/dense/best.h5" "onehot, flatten" "conv1d" -- \
    $BIN motifs --checkpoint "$T/dense/best.h5" --data "$D" --out "$O"
expect_fail "first layer not a convolution, 2 ranks" "$O" "onehot, flatten" -- \
    $MPIRUN 2 $BIN motifs --checkpoint "$T/dense/best.h5" --data "$D" --out "$O"
expect_fail "data of another length" "$O" "short.h5" "150" "200" -- \
    $BIN motifs --checkpoint "$C" --data "$T/short.h5" --out "$O"
expect_fail "data of another length, 2 ranks" "$O" "short.h5" "150" "200" -- \
    $MPIRUN 2 $BIN motifs --checkpoint "$C" --data "$T/short.h5" --out "$O"
expect_fail "missing checkpoint" "$O" "nope.h5" -- \
    $BIN motifs --checkpoint "$T/nope.h5" --data "$D" --out "$O"
expect_fail "data file as checkpoint" "$O" "not a gseq_mpi checkpoint" -- \
    $BIN motifs --checkpoint "$D" --data "$D" --out "$O"
expect_fail "missing motif file" "$O" "nope.pfm" -- \
    $BIN motifs --checkpoint "$C" --data "$D" --out "$O" --motif-file "$T/nope.pfm"
printf 'MEME version 4\n\nMOTIF a\nletter-probability matrix: alength= 4 w= 3\n0.1 0.2 0.3 0.4\n' >"$T/cut.meme"
expect_fail "MEME file cut short" "$O" "cut.meme line 6" "motif a row 2" -- \
    $BIN motifs --checkpoint "$C" --data "$D" --out "$O" --motif-file "$T/cut.meme"
touch "$T/afile"
expect_fail "--out is a file" "$T/nothing" "--out $T/afile" "not a directory" -- \
    $BIN motifs --checkpoint "$C" --data "$D" --out "$T/afile"
expect_status "--threshold 1" 2 "$O" "--threshold" -- \
    $BIN motifs --checkpoint "$C" --data "$D" --out "$O" --threshold 1
[ -f "$T/afile" ] && [ ! -s "$T/afile" ] || bad "--out is a file: the file was changed"

echo "($(($(date +%s) - started)) s)"
finish
