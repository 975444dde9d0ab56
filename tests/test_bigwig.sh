#!/bin/sh
# test_bigwig.sh: `gseq_mpi convert --genome --bigwig` (issue 17: signal targets, task regression)
# from the command line, run from the repo root with the built ./gseq_mpi and
# build/bedgraph_to_bigwig (make builds both for make test). tests/bigwig_reference.py writes a
# small genome, peaks and per-base signal tracks as bedGraph (gaps, a NaN, data at chromosome ends),
# made into bigWig files here, and checks every row's mean signal against its own computation
# (NumPy, the bedGraph painted base by base) with the rows' /chrom /start /end, in bins mode,
# regions mode and with --peaks choosing the bins. Every bad input must give exit 1, exactly one
# line on stderr naming the file and what was expected, and no output file.
# Prints "N passed, N failed" last; exits non-zero on any failure.
BIN=${GSEQ_MPI:-./gseq_mpi}
BW=${BEDGRAPH_TO_BIGWIG:-build/bedgraph_to_bigwig}
PY=${PYTHON:-/usr/bin/python3}
REF=tests/bigwig_reference.py
T=$(mktemp -d /tmp/gseq_bigwig_XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/lib.sh

# ref NAME ARGS...: the reference's check of an output
ref() {
    name=$1
    shift
    if "$PY" "$REF" check "$@" >"$T/ref" 2>&1; then ok; else bad "$name: $(tail -3 "$T/ref")"; fi
}

# stderr_has NAME TEXT: the last command's stderr holds TEXT
stderr_has() {
    if grep -qF -- "$2" "$T/stderr"; then ok; else bad "$1: stderr lacks '$2': $(cat "$T/stderr")"; fi
}

if ! "$PY" -c 'import numpy, h5py' 2>/dev/null; then
    echo "SKIP: every test: $PY has no numpy or h5py (Debian: python3-numpy python3-h5py)"
    echo "$pass passed, $fail failed"
    exit 0
fi
if [ ! -x "$BW" ]; then
    bad "no $BW (make build/bedgraph_to_bigwig)"
    echo "$pass passed, $fail failed"
    exit 1
fi
D=$T/d
mkdir -p "$D"
"$PY" "$REF" make "$D" || bad "the reference could not write the test genome"
for t in a b nochr badlen; do
    "$BW" "$D/$t.bedGraph" "$D/$t.sizes" "$D/$t.bw" || bad "bedgraph_to_bigwig $t failed"
done
G=$D/g.fa
OUT=$T/out.h5

# ---- bins mode: every bin not left out ----
expect_ok bins "$OUT" $BIN convert --genome "$G" --bigwig "$D/a.bw" --bigwig sig_b="$D/b.bw" \
    --out "$OUT"
ref bins "$OUT" "$D" bins 200 a=a sig_b=b
stderr_has log_rows "rows: every bin not left out"
stderr_has log_targets "2 targets (bigWig signal over 200 bp)"
# the reference notices a wrong window (202 for 200)
if "$PY" "$REF" check "$OUT" "$D" bins 202 a=a sig_b=b >/dev/null 2>&1; then
    bad "the reference does not notice a wrong signal window"
else
    ok
fi
expect_ok bins_window "$OUT" $BIN convert --genome "$G" --bigwig "$D/b.bw" --bigwig "$D/a.bw" \
    --out "$OUT" --bin 100 --window 500 --signal-window 1001 --blacklist "$D/black.bed" --max-n 0.05
ref bins_window "$OUT" "$D" bins 1001 b=b a=a black:"$D/black.bed"
# a signal window longer than the chromosome (chrShort, 700 bp): clipped, the mean of it all
expect_ok bins_wide "$OUT" $BIN convert --genome "$G" --bigwig "$D/a.bw" --out "$OUT" --bin 50 \
    --window 100 --signal-window 5000 --chroms chrShort,chr2
ref bins_wide "$OUT" "$D" bins 5000 a=a chroms:chrShort,chr2
expect_ok bins_one "$OUT" $BIN convert --genome "$G" --bigwig "$D/b.bw" --out "$OUT" --bin 1 \
    --window 4 --signal-window 1 --chroms chrShort
ref bins_one "$OUT" "$D" bins 1 b=b chroms:chrShort
attrs() {
    "$PY" - "$OUT" "$D/b.bw" "$D/a.bw" <<'PYEOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert f.attrs["bigwig_files"] == sys.argv[2] + "\n" + sys.argv[3], f.attrs["bigwig_files"]
assert f.attrs["signal_window"] == 7 and "negatives" not in f.attrs
assert f["y"].shape == (len(f["x"]), 2)
PYEOF
}
expect_ok attrs "$OUT" $BIN convert --genome "$G" --bigwig "$D/b.bw" --bigwig "$D/a.bw" \
    --out "$OUT" --signal-window 7
if attrs >"$T/py" 2>&1; then ok; else bad "attributes: $(tail -1 "$T/py")"; fi

# ---- over ranks: the parts carry the signal as float32, the same bytes as one process ----
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
expect_ok bins_one_process "$T/one.h5" $BIN convert --genome "$G" --bigwig "$D/a.bw" \
    --bigwig sig_b="$D/b.bw" --out "$T/one.h5"
for p in 2 3; do
    expect_ok "bins_np$p" "$T/np.h5" mpirun -np $p $BIN convert --genome "$G" --bigwig "$D/a.bw" \
        --bigwig sig_b="$D/b.bw" --out "$T/np.h5"
    cmp -s "$T/one.h5" "$T/np.h5" && ok || bad "bins over $p ranks: not the bytes of one process"
done

# ---- regions mode ----
expect_ok regions "$OUT" $BIN convert --genome "$G" --bigwig "$D/a.bw" --bigwig "$D/b.bw" \
    --regions "$D/regions.bed" --window 400 --signal-window 300 --out "$OUT"
ref regions "$OUT" "$D" regions 300 a=a b=b
stderr_has log_regions "rows: every region not left out"
expect_ok regions_black "$OUT" $BIN convert --genome "$G" --bigwig "$D/a.bw" \
    --regions "$D/regions.bed" --window 300 --blacklist "$D/black.bed" --max-n 0.2 --out "$OUT"
ref regions_black "$OUT" "$D" regions 200 a=a black:"$D/black.bed"

# ---- the peaks choose the bins, the signal labels them ----
expect_ok peaks "$OUT" $BIN convert --genome "$G" --peaks "$D/CTCF.bed" --peaks "$D/p300.narrowPeak.gz" \
    --bigwig "$D/a.bw" --out "$OUT" --negatives 2 --seed 5
ref peaks "$OUT" "$D" any 200 a=a
stderr_has log_peaks "the bins chosen by 2 peak files"
expect_ok peaks_only "$T/p.h5" $BIN convert --genome "$G" --peaks "$D/CTCF.bed" \
    --peaks "$D/p300.narrowPeak.gz" --out "$T/p.h5" --negatives 2 --seed 5
same_rows() {
    "$PY" - "$1" "$2" <<'PYEOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for k in ("x", "chrom", "start", "end", "id"):
    assert np.array_equal(a[k][:], b[k][:]), k
assert a["y"].dtype == np.float32 and b["y"].dtype == np.uint8
PYEOF
}
if same_rows "$OUT" "$T/p.h5" 2>"$T/py"; then ok; else bad "peaks choose other rows with --bigwig: $(tail -1 "$T/py")"; fi

# ---- --bigwig-file names the same targets; --task regression is accepted ----
printf 'a\ta.bw\n# comment\nsig_b\t%s\n' "$D/b.bw" >"$D/tracks.tsv"
expect_ok bigwig_file "$T/f.h5" $BIN convert --genome "$G" --bigwig-file "$D/tracks.tsv" \
    --out "$T/f.h5" --task regression
expect_ok bigwig_opts "$T/g.h5" $BIN convert --genome "$G" --bigwig a="$D/a.bw" \
    --bigwig sig_b="$D/b.bw" --out "$T/g.h5"
if "$PY" -c "
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
for k in ('x', 'y', 'start', 'target_names'):
    assert np.array_equal(a[k][:], b[k][:]), k" "$T/f.h5" "$T/g.h5" 2>"$T/py"; then ok
else bad "--bigwig-file differs from --bigwig: $(tail -1 "$T/py")"; fi

# ---- a chromosome the bigWig lacks: an error only where examples fall ----
expect_ok nochr_no_examples "$OUT" $BIN convert --genome "$G" --bigwig "$D/nochr.bw" --out "$OUT"
ref nochr_no_examples "$OUT" "$D" bins 200 nochr=nochr
expect_fail nochr "$OUT" "$D/nochr.bw: no chromosome 'chrShort'" "leave it out with --chroms" -- \
    $BIN convert --genome "$G" --bigwig "$D/nochr.bw" --out "$OUT" --window 500
expect_ok nochr_chroms "$OUT" $BIN convert --genome "$G" --bigwig "$D/nochr.bw" --out "$OUT" \
    --window 500 --chroms chr1,chr2
ref nochr_chroms "$OUT" "$D" bins 200 nochr=nochr chroms:chr1,chr2

# ---- bad input: one line naming the file, exit 1, no output ----
expect_fail badlen "$OUT" "$D/badlen.bw: chr2 has 24001 bp, in the genome $G 24000 bp" -- \
    $BIN convert --genome "$G" --bigwig "$D/badlen.bw" --out "$OUT"
expect_ok badlen_chroms "$OUT" $BIN convert --genome "$G" --bigwig "$D/badlen.bw" --out "$OUT" \
    --chroms chr1
expect_fail missing "$OUT" "$D/nothere.bw: cannot open" -- \
    $BIN convert --genome "$G" --bigwig "$D/nothere.bw" --out "$OUT"
expect_fail not_bigwig "$OUT" "$D/CTCF.bed: not a bigWig file (or cannot be read)" -- \
    $BIN convert --genome "$G" --bigwig "$D/CTCF.bed" --out "$OUT"
# cut short (a download that stopped): the header's offsets point past the end, checked before
# libBigWig reads them (it would crash on some)
size=$(wc -c <"$D/a.bw")
for cut in 200 $((size / 2)) $((size - 1)); do
    head -c $cut "$D/a.bw" >"$D/trunc.bw"
    expect_fail "truncated at $cut of $size bytes" "$OUT" "$D/trunc.bw: a bigWig cut short or damaged" \
        "($cut bytes)" -- $BIN convert --genome "$G" --bigwig "$D/trunc.bw" --out "$OUT"
done
head -c 40 "$D/a.bw" >"$D/trunc.bw"
expect_fail "truncated header" "$OUT" "$D/trunc.bw: not a bigWig file (or cannot be read)" -- \
    $BIN convert --genome "$G" --bigwig "$D/trunc.bw" --out "$OUT"
# a damaged data section (header and index intact): libBigWig reads no block, which is an error,
# not a track of zeros
"$PY" -c "
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
data, index = struct.unpack_from('<QQ', b, 16)  # fullDataOffset, fullIndexOffset
for i in range(data + 40, index - 20):
    b[i] ^= 0x5a
open(sys.argv[2], 'wb').write(b)" "$D/a.bw" "$D/damaged.bw"
expect_fail damaged "$OUT" "$D/damaged.bw: cannot read the intervals of chr1:" "(a damaged file?)" -- \
    $BIN convert --genome "$G" --bigwig "$D/damaged.bw" --out "$OUT"
expect_fail bigwig_no_genome "$OUT" "--bigwig needs --genome FASTA" -- \
    $BIN convert --bigwig "$D/a.bw" --out "$OUT"
expect_fail window_no_bigwig "$OUT" "--signal-window needs --bigwig" -- \
    $BIN convert --genome "$G" --peaks "$D/CTCF.bed" --signal-window 100 --out "$OUT"
expect_fail regions_peaks "$OUT" "--regions with --bigwig" "leave out --peaks" -- \
    $BIN convert --genome "$G" --bigwig "$D/a.bw" --peaks "$D/CTCF.bed" --regions "$D/regions.bed" \
    --out "$OUT"
expect_fail negatives_no_peaks "$OUT" "--negatives draws negatives against peaks" -- \
    $BIN convert --genome "$G" --bigwig "$D/a.bw" --negatives 2 --out "$OUT"
expect_fail task_binary "$OUT" "--task binary: bigWig targets are signal (task regression)" -- \
    $BIN convert --genome "$G" --bigwig "$D/a.bw" --task binary --out "$OUT"
expect_fail task_regression_peaks "$OUT" "--task regression: peaks give binary or multilabel" -- \
    $BIN convert --genome "$G" --peaks "$D/CTCF.bed" --task regression --out "$OUT"
expect_fail twice "$OUT" "--bigwig: target 'a' given twice" -- \
    $BIN convert --genome "$G" --bigwig "$D/a.bw" --bigwig a="$D/b.bw" --out "$OUT"
printf 'a a.bw\n' >"$D/bad_tracks.tsv"
expect_fail bigwig_file_line "$OUT" "$D/bad_tracks.tsv line 1: expected 'name<TAB>bigWig'" -- \
    $BIN convert --genome "$G" --bigwig-file "$D/bad_tracks.tsv" --out "$OUT"
cp "$D/a.bw" "$T/copy.bw"
expect_fail out_is_bigwig "$T/nothing" "--out $T/copy.bw is also an input" -- \
    $BIN convert --genome "$G" --bigwig x="$T/copy.bw" --out "$T/copy.bw"
cmp -s "$D/a.bw" "$T/copy.bw" && ok || bad "out_is_bigwig: the bigWig was touched"
printf 'chrShort\t0\t700\n' >"$D/black_all.bed"
expect_fail all_left_out "$OUT" "no example: every bin is left out" -- \
    $BIN convert --genome "$G" --bigwig "$D/a.bw" --out "$OUT" --chroms chrShort --window 100 \
    --blacklist "$D/black_all.bed"
# ---- synth --genome --signal: tracks drawn from the peaks, then the genome path with regression ----
S=$T/synth
expect_ok synth_signal "$S/p/signal.tsv" $BIN synth --genome "$S/g.fa" --peaks-out "$S/p" --targets 2 \
    --chromosomes 4 --chrom-length 300000 --peaks-per-mb 500 --seed 4 --signal
expect_ok synth_convert "$S/s.h5" $BIN convert --genome "$S/g.fa" --bigwig-file "$S/p/signal.tsv" \
    --window 200 --out "$S/s.h5"
# the expected means, from the BED files alone: a triangle of height 10 over each peak, its value
# at the centre of each 10-base step, summed where peaks overlap
if "$PY" - "$S" >"$T/py" 2>&1 <<'PYEOF'; then ok; else bad "synth --signal labels: $(tail -2 "$T/py")"; fi
import sys, h5py, numpy as np
S = sys.argv[1]
f = h5py.File(f"{S}/s.h5", "r")
names = list(f["target_names"].asstr()[:])
y, chrom = f["y"][:], f["chrom"].asstr()[:]
start, end = f["start"][:], f["end"][:]
worst = 0.0
for k, name in enumerate(names):
    track = {}
    for line in open(f"{S}/p/{name}.bed"):
        c, a, b = line.split()[:3]
        a, b = int(a), int(b)
        v = track.setdefault(c, np.zeros(300000))
        steps = np.arange(a // 10, (b + 9) // 10)
        x = (steps + 0.5) * 10 - a
        tri = np.where((x > 0) & (x < b - a), 10 * (1 - np.abs(x - (b - a) / 2) / ((b - a) / 2)), 0)
        for j, t in zip(steps, tri):
            v[j * 10:(j + 1) * 10] += np.float32(t)
    for i in range(len(y)):
        mid = (start[i] + end[i]) // 2
        want = track[chrom[i]][mid - 100:mid + 100].mean() if chrom[i] in track else 0.0
        worst = max(worst, abs(want - y[i, k]) / (1 + abs(want)))
assert f.attrs["task"] == "regression" and y.shape == (6000, 2), (f.attrs["task"], y.shape)
assert (y > 0).mean() > 0.1, "too few bins with signal"
assert worst < 1e-5, f"labels differ from the peaks' triangles by {worst}"
PYEOF
# a model learns the signal from the planted motifs: chr4 held out for the test, chr3 to validate
expect_ok synth_train "$S/run/best.h5" $BIN train --config jobs/configs/short_conv.ini \
    --data "$S/s.h5" --out "$S/run" --quiet --set data.test_chroms=chr4 \
    --set data.valid_chroms=chr3 --set train.epochs=8
expect_ok synth_eval "$S/eval/metrics.json" $BIN eval --checkpoint "$S/run/best.h5" \
    --data "$S/s.h5" --chroms chr4 --out "$S/eval" --quiet
if "$PY" - "$S/eval/metrics.json" >"$T/py" 2>&1 <<'PYEOF'; then ok; else bad "synth signal: $(tail -1 "$T/py")"; fi
import json, sys
m = json.load(open(sys.argv[1]))
print("    test Pearson on chr4:", m["pearson_mean"])
assert m["pearson_mean"] > 0.4, m["pearson_mean"]  # 0.56 measured
PYEOF
cat "$T/py"
expect_fail signal_no_genome "$T/x.h5" "--signal" "needs --genome" -- \
    $BIN synth --out "$T/x.h5" --signal
finish
