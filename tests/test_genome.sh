#!/bin/sh
# test_genome.sh: `gseq_mpi convert --genome` (issue 17) from the command line, run from the repo
# root with the built ./gseq_mpi. A small genome and peak files are written by
# tests/genome_reference.py, which also computes the expected labels independently (NumPy masks)
# and compares them bin by bin with the output (h5py). Every bad input must give exit 1, exactly one
# line on stderr naming the file (and line) and what was expected, and no output file. Real data:
# phage lambda from Debian's bowtie2-examples, demo.narrowPeak.gz from r-bioc-rtracklayer (its one
# file taken from the package, downloaded with apt-get when not installed); skipped with a reason
# when absent. Prints "N passed, N failed" last; exits non-zero on any failure.
BIN=${GSEQ_MPI:-./gseq_mpi}
PY=${PYTHON:-/usr/bin/python3}
REF=tests/genome_reference.py
T=$(mktemp -d /tmp/gseq_genome_XXXXXX)
trap 'chmod -R u+w "$T"; rm -rf "$T"' EXIT
. tests/lib.sh

# ref NAME ARGS...: the reference's check of an output
ref() {
    name=$1
    shift
    if "$PY" "$REF" "$@" >"$T/ref" 2>&1; then ok; else bad "$name: $(tail -3 "$T/ref")"; fi
}

# stderr_has NAME TEXT: the last command's stderr holds TEXT
stderr_has() {
    if grep -qF -- "$2" "$T/stderr"; then ok; else bad "$1: stderr lacks '$2': $(cat "$T/stderr")"; fi
}

if ! "$PY" -c 'import numpy, h5py' 2>/dev/null; then
    skip "every test: $PY has no numpy or h5py (Debian: python3-numpy python3-h5py)"
    echo "$pass passed, $fail failed"
    exit 0
fi
D=$T/d
mkdir -p "$D"
"$PY" "$REF" make "$D" || bad "the reference could not write the test genome"
G=$D/g.fa
P1=$D/CTCF.bed P2=$D/p300.narrowPeak.gz P3=$D/H3K27ac.bed.gz
OUT=$T/out.h5

# ---- bins, checked bin by bin against the reference ----
expect_ok bins_default "$OUT" $BIN convert --genome "$G" --peaks "$P1" --peaks p300="$P2" \
    --peaks "$P3" --out "$OUT"
ref bins_default bins "$OUT" "$D" 200 1000 0.5 0.1 1 0 a="$P1" b="$P2" c="$P3"
stderr_has log_rows "positive for a target"
stderr_has log_left "with a window past a chromosome end"
[ -e "$G.fai" ] && ok || bad "no $G.fai built"
expect_ok bins_options "$OUT" $BIN convert --genome "$G" --peaks "$P1" --peaks "$P2" \
    --peaks "$P3" --out "$OUT" --bin 100 --window 500 --min-overlap 0.3 --max-n 0.05 \
    --negatives 2 --gc-match --blacklist "$D/black.bed" --seed 7
ref bins_options bins "$OUT" "$D" 100 500 0.3 0.05 2 1 a="$P1" b="$P2" c="$P3" black:"$D/black.bed"
stderr_has log_blacklist "overlapping the blacklist"
expect_ok bins_small_window "$OUT" $BIN convert --genome "$G" --peaks "$P1" --peaks "$P3" \
    --out "$OUT" --window 150 --min-overlap 1 --negatives 0.5 --gc-match --max-n 0
ref bins_small_window bins "$OUT" "$D" 200 150 1 0 0.5 1 a="$P1" c="$P3"
# the reference notices a wrong rule (min-overlap 1 checked as 0.9)
if "$PY" "$REF" bins "$OUT" "$D" 200 150 0.9 0 0.5 1 a="$P1" c="$P3" >/dev/null 2>&1; then
    bad "the reference does not notice a wrong --min-overlap"
else
    ok
fi

# names, task, coordinates, attributes
expect_ok names "$OUT" $BIN convert --genome "$G" --peaks "$P1" --peaks p300="$P2" \
    --peaks "$P3" --out "$OUT"
check_names() {
    "$PY" - "$OUT" <<'PYEOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
names = [n.decode() for n in f["target_names"][:]]
assert names == ["CTCF", "p300", "H3K27ac"], names
assert f.attrs["task"] == "multilabel" and f["start"].dtype == "int64" and f["end"].dtype == "int64"
assert h5py.check_string_dtype(f["chrom"].dtype) and "strand" not in f
assert f.attrs["window"] == 1000 and f.attrs["bin"] == 200
PYEOF
}
if check_names >"$T/py" 2>&1; then ok; else bad "names and coordinates: $(tail -1 "$T/py")"; fi
expect_ok binary "$T/bin.h5" $BIN convert --genome "$G" --peaks "$P1" --out "$T/bin.h5"
if "$PY" -c "import h5py,sys; f=h5py.File(sys.argv[1]); assert f.attrs['task']=='binary'" \
    "$T/bin.h5" 2>/dev/null; then ok; else bad "one target: task binary"; fi

# the same seed gives the same file; another seed other negatives; peak order does not matter
expect_ok seed_a "$T/a.h5" $BIN convert --genome "$G" --peaks "$P1" --out "$T/a.h5" --seed 3
expect_ok seed_b "$T/b.h5" $BIN convert --genome "$G" --peaks "$P1" --out "$T/b.h5" --seed 3
cmp -s "$T/a.h5" "$T/b.h5" && ok || bad "same seed, different files"
expect_ok seed_c "$T/c.h5" $BIN convert --genome "$G" --peaks "$P1" --out "$T/c.h5" --seed 4
cmp -s "$T/a.h5" "$T/c.h5" && bad "another seed, the same negatives" || ok
{ grep -v '^chr' "$P1"; grep '^chr' "$P1" | sort -r; } >"$D/shuf.bed"
expect_ok shuffled "$T/d.h5" $BIN convert --genome "$G" --peaks CTCF="$D/shuf.bed" --out "$T/d.h5" \
    --seed 3
same_data() {
    "$PY" - "$1" "$2" <<'PYEOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for k in ("x", "y", "chrom", "start", "end", "id", "target_names"):
    assert np.array_equal(a[k][:], b[k][:]), k
PYEOF
}
if same_data "$T/a.h5" "$T/d.h5" 2>"$T/py"; then ok; else bad "peak order changes the output: $(tail -1 "$T/py")"; fi

# --chroms; a bgzip genome reads the same; a targets file names the same targets
expect_ok chroms "$OUT" $BIN convert --genome "$G" --peaks "$P1" --out "$OUT" --chroms chr2
if "$PY" -c "import h5py,sys; f=h5py.File(sys.argv[1]); assert set(f['chrom'][:])=={b'chr2'}" \
    "$OUT" 2>/dev/null; then ok; else bad "--chroms chr2 gives rows of other chromosomes"; fi
if command -v bgzip >/dev/null; then
    bgzip -c "$G" >"$D/gz.fa.gz"
    expect_ok bgzip "$T/e.h5" $BIN convert --genome "$D/gz.fa.gz" --peaks "$P1" --out "$T/e.h5" --seed 3
    [ -e "$D/gz.fa.gz.fai" ] && [ -e "$D/gz.fa.gz.gzi" ] && ok || bad "bgzip: no .fai and .gzi built"
    if same_data "$T/a.h5" "$T/e.h5" 2>"$T/py"; then ok; else bad "bgzip differs: $(tail -1 "$T/py")"; fi
else
    skip "bgzip genome: no bgzip (Debian: tabix)"
fi
printf 'CTCF\tCTCF.bed\n# comment\np300\t%s\n' "$P2" >"$D/targets.tsv"
expect_ok targets_file "$T/f.h5" $BIN convert --genome "$G" --targets-file "$D/targets.tsv" \
    --out "$T/f.h5" --seed 3
expect_ok targets_peaks "$T/g.h5" $BIN convert --genome "$G" --peaks "$P1" --peaks "$P2" \
    --out "$T/g.h5" --seed 3
if same_data "$T/f.h5" "$T/g.h5" 2>"$T/py"; then ok; else bad "targets file: $(tail -1 "$T/py")"; fi

# ---- regions mode ----
expect_ok regions "$OUT" $BIN convert --genome "$G" --peaks "$P1" --peaks "$P2" --peaks "$P3" \
    --regions "$D/regions.bed" --window 400 --min-overlap 0.2 --out "$OUT"
ref regions regions "$OUT" "$D" 400 0.2 0.1 a="$P1" b="$P2" c="$P3"
expect_ok regions_black "$OUT" $BIN convert --genome "$G" --peaks "$P1" --regions "$D/regions.bed" \
    --window 300 --min-overlap 0.5 --max-n 0.2 --blacklist "$D/black.bed" --out "$OUT"
ref regions_black regions "$OUT" "$D" 300 0.5 0.2 a="$P1" black:"$D/black.bed"

# ---- warnings, skipped lines ----
: >"$D/empty.bed"
expect_ok empty_peaks "$OUT" $BIN convert --genome "$G" --peaks "$P1" --peaks "$D/empty.bed" \
    --out "$OUT"
stderr_has empty_warning "warning: target empty"
{ cat "$P1"; printf 'chrUn\t10\t20\n'; } >"$D/unknown.bed"
expect_ok skip_unknown "$OUT" $BIN convert --genome "$G" --peaks "$D/unknown.bed" --out "$OUT" \
    --skip-unknown-chroms
stderr_has skip_unknown_log "skipped 1 BED lines on chromosomes not in the genome"

# ---- bad input: one line naming the file and line, exit 1, no output ----
bedfail() { # NAME CONTENT PATTERN...: a peak file holding CONTENT is refused
    name=$1 content=$2
    shift 2
    printf "$content" >"$D/$name.bed"
    expect_fail "$name" "$OUT" "$D/$name.bed line" "$@" -- \
        $BIN convert --genome "$G" --peaks "$D/$name.bed" --out "$OUT"
}
bedfail unknown_chrom 'chr1\t10\t20\nchrUn\t10\t20\n' "line 2" "chromosome 'chrUn' is not in the genome" \
    "--skip-unknown-chroms"
bedfail start_end 'chr1\t10\t20\nchr1\t50\t50\n' "line 2" "start 50 >= end 50"
bedfail negative 'chr1\t-5\t20\n' "line 1" "negative coordinate -5"
bedfail past_end 'chr2\t23990\t24001\n' "line 1" "end 24001 is past the end of chr2 (24000 bp)"
bedfail few_columns 'track x\nchr1\t10\n' "line 2" "2 columns, expected at least 3"
bedfail not_bed 'Hello, this is a letter\nnot a table\n' "line 1" "is not BED"
printf 'chr1\t10\t200\t.\t0\t.\t5.5\tNA\t1\t50\n' >"$D/bad.narrowPeak"
expect_fail narrowpeak_text "$OUT" "$D/bad.narrowPeak line 1" "pValue 'NA' is not a number" -- \
    $BIN convert --genome "$G" --peaks "$D/bad.narrowPeak" --out "$OUT"
printf 'chr1\t10\t200\t.\t0\t.\t5.5\n' >"$D/short.narrowPeak"
expect_fail narrowpeak_short "$OUT" "$D/short.narrowPeak line 1" "7 columns, a narrowPeak line has 10" -- \
    $BIN convert --genome "$G" --peaks "$D/short.narrowPeak" --out "$OUT"
printf 'chr1\t10\t20\n' | gzip -c | head -c 20 >"$D/trunc.bed.gz"
expect_fail truncated_gzip "$OUT" "$D/trunc.bed.gz" -- \
    $BIN convert --genome "$G" --peaks "$D/trunc.bed.gz" --out "$OUT"
printf '>a\nACGT\n>b\nACGT\n>a\nGGGG\n' >"$T/dup.fa"
expect_fail duplicate_chrom "$OUT" "$T/dup.fa line 5" "duplicate chromosome name 'a' (first on line 1)" -- \
    $BIN convert --genome "$T/dup.fa" --peaks "$P1" --out "$OUT"
printf 'a\t4\t3\t4\t5\nb\t4\t11\t4\t5\na\t4\t19\t4\t5\n' >"$T/dup.fa.fai"
expect_fail duplicate_chrom_fai "$OUT" "duplicate chromosome name 'a'" -- \
    $BIN convert --genome "$T/dup.fa" --peaks "$P1" --out "$OUT"
printf 'just some text\n' >"$T/text.fa"
expect_fail not_fasta "$OUT" "$T/text.fa line 1: not FASTA" -- \
    $BIN convert --genome "$T/text.fa" --peaks "$P1" --out "$OUT"
printf '>chr1\nACGT*ACGT\n' >"$T/star.fa"
printf 'chr1\t0\t4\n' >"$T/star.bed"
expect_fail bad_base "$OUT" "$T/star.fa: chr1 position 4: '*' is not a base" -- \
    $BIN convert --genome "$T/star.fa" --peaks "$T/star.bed" --out "$OUT" --window 2 --bin 2
expect_fail window_too_long "$OUT" "a window of 100000 bp" "longer than every chromosome" \
    "the longest, chr1, has 30000 bp" -- \
    $BIN convert --genome "$G" --peaks "$P1" --out "$OUT" --window 100000
gzip -c "$G" >"$T/plain.fa.gz"
expect_fail plain_gzip "$OUT" "$T/plain.fa.gz: plain gzip" "recompress it with bgzip" -- \
    $BIN convert --genome "$T/plain.fa.gz" --peaks "$P1" --out "$OUT"
expect_fail unknown_chroms_option "$OUT" "--chroms: 'chrX' is not a chromosome of $G" -- \
    $BIN convert --genome "$G" --peaks "$P1" --out "$OUT" --chroms chr1,chrX
expect_fail peaks_no_genome "$OUT" "--peaks needs --genome FASTA" -- \
    $BIN convert --peaks "$P1" --out "$OUT"
expect_fail genome_no_peaks "$OUT" "--genome needs --peaks NAME=FILE" -- \
    $BIN convert --genome "$G" --out "$OUT"
expect_fail regions_negatives "$OUT" "--negatives applies to bins, not to --regions" -- \
    $BIN convert --genome "$G" --peaks "$P1" --regions "$D/regions.bed" --negatives 2 --out "$OUT"
expect_fail twice "$OUT" "--peaks: target 'CTCF' given twice" -- \
    $BIN convert --genome "$G" --peaks "$P1" --peaks CTCF="$P2" --out "$OUT"
printf 'CTCF CTCF.bed\n' >"$D/bad_targets.tsv"
expect_fail targets_file_line "$OUT" "$D/bad_targets.tsv line 1: expected 'name<TAB>peak file'" -- \
    $BIN convert --genome "$G" --targets-file "$D/bad_targets.tsv" --out "$OUT"
expect_fail missing_peaks "$OUT" "$D/nothere.bed: cannot open" -- \
    $BIN convert --genome "$G" --peaks "$D/nothere.bed" --out "$OUT"
expect_fail length_genome "$OUT" "--length applies to --fasta" -- \
    $BIN convert --genome "$G" --peaks "$P1" --out "$OUT" --length 100
cp "$P1" "$T/peaks_copy.bed"
expect_fail out_is_peaks "$T/peaks_copy_out" "--out $T/peaks_copy.bed is also an input" -- \
    $BIN convert --genome "$G" --peaks x="$T/peaks_copy.bed" --out "$T/peaks_copy.bed"
[ -s "$T/peaks_copy.bed" ] && ok || bad "out_is_peaks: the peak file was touched"
# an index older than its FASTA is rebuilt
printf '>chr1\nACGTACGTAC\n' >"$T/stale.fa"
printf 'chr1\t0\t4\n' >"$T/stale.bed"
expect_ok stale_first "$OUT" $BIN convert --genome "$T/stale.fa" --peaks "$T/stale.bed" --out "$OUT" \
    --bin 2 --window 4
printf '>chr1\nACGTACGTACGTACGTACGT\n' >"$T/stale.fa"
touch -d '2000-01-01' "$T/stale.fa.fai"
printf 'chr1\t12\t16\n' >"$T/stale.bed"
expect_ok stale_rebuilt "$OUT" $BIN convert --genome "$T/stale.fa" --peaks "$T/stale.bed" \
    --out "$OUT" --bin 2 --window 4
# a folder the user cannot write (as root, the command runs as nobody: root writes anywhere)
AS=""
[ "$(id -u)" -ne 0 ] || AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
if [ -z "$AS" ] || command -v setpriv >/dev/null; then
    mkdir -p "$T/ro" "$T/rw" && cp "$G" "$T/ro/g.fa" && chmod a-w "$T/ro" && chmod 777 "$T/rw" &&
        chmod a+rx "$T" "$T/ro" && chmod a+r "$T/ro/g.fa" "$P1"
    expect_fail index_readonly "$T/rw/out.h5" "$T/ro/g.fa: no index" "samtools faidx $T/ro/g.fa" -- \
        $AS $BIN convert --genome "$T/ro/g.fa" --peaks "$P1" --out "$T/rw/out.h5"
else
    skip "a read-only genome folder: root writes anywhere, and no setpriv to run as nobody"
fi

# ---- real data ----
LAMBDA=/usr/share/doc/bowtie2/examples/reference/lambda_virus.fa.gz
if [ -f "$LAMBDA" ]; then
    expect_fail lambda_plain_gzip "$OUT" "$LAMBDA: plain gzip" "recompress it with bgzip" -- \
        $BIN convert --genome "$LAMBDA" --peaks "$P1" --out "$OUT"
    L=$T/lambda
    mkdir -p "$L"
    gzip -dc "$LAMBDA" >"$L/g.fa"
    lname=$(sed -n '1s/^>\([^ ]*\).*/\1/p' "$L/g.fa")
    printf '%s\t1000\t1800\n%s\t1700\t2100\n%s\t30000\t30450\n' "$lname" "$lname" "$lname" >"$L/a.bed"
    printf '%s\t20000\t21000\n%s\t48000\t48502\n' "$lname" "$lname" >"$L/b.bed"
    expect_ok lambda "$OUT" $BIN convert --genome "$L/g.fa" --peaks "$L/a.bed" --peaks "$L/b.bed" \
        --out "$OUT"
    ref lambda bins "$OUT" "$L" 200 1000 0.5 0.1 1 0 a="$L/a.bed" b="$L/b.bed"
    expect_fail lambda_past_end "$OUT" "$L/c.bed line 1" "end 48503 is past the end of" "(48502 bp)" -- \
        sh -c "printf '%s\t48000\t48503\n' '$lname' >'$L/c.bed' && exec $BIN convert --genome '$L/g.fa' --peaks '$L/c.bed' --out '$OUT'"
else
    skip "phage lambda: $LAMBDA is missing (Debian: bowtie2-examples)"
fi

# demo.narrowPeak.gz of rtracklayer (hg19 peaks): read through, the first line past a 1 Mb chr19
NP=/usr/lib/R/site-library/rtracklayer/extdata/demo.narrowPeak.gz
if [ ! -f "$NP" ] && command -v apt-get >/dev/null; then
    (cd "$T" && apt-get download r-bioc-rtracklayer >/dev/null 2>&1) &&
        dpkg-deb --fsys-tarfile "$T"/r-bioc-rtracklayer_*.deb 2>/dev/null |
        tar -xO ".$NP" >"$T/demo.narrowPeak.gz" 2>/dev/null && [ -s "$T/demo.narrowPeak.gz" ] &&
        NP=$T/demo.narrowPeak.gz
fi
if [ -f "$NP" ]; then
    "$PY" -c "
import random
random.seed(5)
for c in ('chr6', 'chr7', 'chr9', 'chr19'):
    s = ''.join(random.choice('ACGT') for _ in range(1000000))
    print('>' + c); print('\n'.join(s[i:i + 80] for i in range(0, len(s), 80)))" >"$T/hg.fa"
    expect_fail demo_narrowpeak "$OUT" "$NP line 2: end 45982404 is past the end of chr19" -- \
        $BIN convert --genome "$T/hg.fa" --peaks "$NP" --out "$OUT"
else
    skip "demo.narrowPeak.gz: r-bioc-rtracklayer neither installed nor downloadable"
fi

# ---- synth --genome: a genome with motifs planted at the peaks it writes ----
S=$T/sg
expect_ok synth_genome "$S/g.fa" $BIN synth --genome "$S/g.fa" --peaks-out "$S/peaks" --targets 3 \
    --chromosomes 3 --chrom-length 60000 --peaks-per-mb 100 --seed 9
for f in CTCF.bed Gata1.bed FOXA1.bed targets.tsv; do
    [ -s "$S/peaks/$f" ] || bad "synth --genome: no $S/peaks/$f"
done
cp "$S/g.fa" "$T/sg_first.fa"
expect_ok synth_genome_again "$S/g.fa" $BIN synth --genome "$S/g.fa" --peaks-out "$S/peaks" \
    --targets 3 --chromosomes 3 --chrom-length 60000 --peaks-per-mb 100 --seed 9
cmp -s "$S/g.fa" "$T/sg_first.fa" && ok || bad "synth --genome: the same seed, another genome"
expect_ok synth_convert "$OUT" $BIN convert --genome "$S/g.fa" --targets-file "$S/peaks/targets.tsv" \
    --out "$OUT"
ref synth_convert bins "$OUT" "$S" 200 1000 0.5 0.1 1 0 a="$S/peaks/CTCF.bed" \
    b="$S/peaks/Gata1.bed" c="$S/peaks/FOXA1.bed"
# --oracle: the planted motifs' scores (synth wrote motifs.tsv), against numpy from the JASPAR counts
for f in motifs.tsv; do [ -s "$S/peaks/$f" ] || bad "synth --genome: no $S/peaks/$f"; done
expect_ok oracle "$T/orc.h5" $BIN convert --genome "$S/g.fa" --targets-file "$S/peaks/targets.tsv" \
    --oracle "$S/peaks/motifs.tsv" --out "$T/orc.h5"
if "$PY" - "$T/orc.h5" "$S/peaks/motifs.tsv" data/jaspar_vertebrates.pfm >"$T/py" 2>&1 <<'PYEOF'; then ok; else bad "oracle: $(tail -2 "$T/py")"; fi
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
x, y, o = f["x"][:], f["y"][:], f["oracle"][:]
names = list(f["target_names"].asstr()[:])
ids = dict(l.split() for l in open(sys.argv[2]))
text = open(sys.argv[3]).read()
bg = np.array([0.295, 0.205, 0.205, 0.295])
worst = 0.0
for k, name in enumerate(names):
    rows = text.split(">" + ids[name])[1].split("\n")[1:5]
    c = np.array([[float(v) for v in r.split()] for r in rows]).T       # (W, 4)
    llr = np.log((c + 0.2) / (c.sum(1, keepdims=True) + 0.8) / bg)
    W = len(llr)
    for i in range(0, len(x), 7):
        t = x[i].astype(int)
        sc = []
        for p in range(len(t) - W + 1):
            w = t[p:p + W]
            ok = (w >= 1) & (w <= 4)
            b = np.where(ok, w - 1, 0)
            sc.append(np.sum(np.where(ok, llr[np.arange(W), b], 0)))
            sc.append(np.sum(np.where(ok, llr[W - 1 - np.arange(W), 3 - b], 0)))
        sc = np.array(sc)
        want = sc.max() + np.log(np.mean(np.exp(sc - sc.max())))
        worst = max(worst, abs(want - o[i, k]))
    pos, neg = o[y[:, k] == 1, k], o[y[:, k] == 0, k]
    auc = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert auc > 0.8, (name, auc)
assert o.shape == y.shape and worst < 2e-3, (o.shape, worst)
PYEOF
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
expect_ok oracle_np2 "$T/orc2.h5" mpirun -np 2 $BIN convert --genome "$S/g.fa" \
    --targets-file "$S/peaks/targets.tsv" --oracle "$S/peaks/motifs.tsv" --out "$T/orc2.h5"
cmp -s "$T/orc.h5" "$T/orc2.h5" && ok || bad "oracle over 2 ranks: not the bytes of one process"
expect_ok oracle_train "$T/orun/best.h5" $BIN train --config jobs/configs/tiny_conv.ini \
    --data "$T/orc.h5" --out "$T/orun" --set train.epochs=2 --set data.test_chroms=chr3
contains oracle_reported "$T/stdout" "the planted motifs' oracle reaches auroc"
printf 'CTCF\tMA0139.1\nGata1\tMA0035.3\n' >"$T/two.tsv"
expect_fail oracle_missing "$OUT" "--oracle $T/two.tsv: no motif for target 'FOXA1'" -- \
    $BIN convert --genome "$S/g.fa" --targets-file "$S/peaks/targets.tsv" --oracle "$T/two.tsv" --out "$OUT"
printf 'CTCF\tMA0139.1\nGata1\tNOPE\nFOXA1 MA0148.3\n' >"$T/bad.tsv"
expect_fail oracle_line "$OUT" "$T/bad.tsv line 3: expected 'target<TAB>motif'" -- \
    $BIN convert --genome "$S/g.fa" --targets-file "$S/peaks/targets.tsv" --oracle "$T/bad.tsv" --out "$OUT"
printf 'CTCF\tMA0139.1\nGata1\tNOPE\nFOXA1\tMA0148.3\n' >"$T/bad.tsv"
expect_fail oracle_motif "$OUT" "target 'Gata1': no motif 'NOPE'" -- \
    $BIN convert --genome "$S/g.fa" --targets-file "$S/peaks/targets.tsv" --oracle "$T/bad.tsv" --out "$OUT"
expect_fail oracle_no_genome "$OUT" "--oracle needs --genome" -- \
    $BIN convert --oracle "$T/bad.tsv" --out "$OUT"
# ten targets: label bits past the first byte
S10=$T/sg10
expect_ok synth_genome_10 "$S10/g.fa" $BIN synth --genome "$S10/g.fa" --peaks-out "$S10/peaks" \
    --targets 10 --chromosomes 2 --chrom-length 50000 --peaks-per-mb 200 --seed 2
expect_ok convert_10 "$OUT" $BIN convert --genome "$S10/g.fa" --targets-file "$S10/peaks/targets.tsv" \
    --out "$OUT" --negatives 0.5 --gc-match
ref convert_10 bins "$OUT" "$S10" 200 1000 0.5 0.1 0.5 1 \
    $(sed "s|^\([^\t]*\)\t\(.*\)|\1=$S10/peaks/\2|" "$S10/peaks/targets.tsv")
# the CTCF motif (JASPAR MA0139.1) scores far higher at the CTCF peaks' centres than elsewhere
planted() {
    "$PY" - "$S/g.fa" "$S/peaks/CTCF.bed" data/jaspar_vertebrates.pfm <<'PYEOF'
import sys, numpy as np
seq = {}
for line in open(sys.argv[1]):
    if line[0] == ">":
        name = line[1:].split()[0]; seq[name] = []
    else:
        seq[name].append(line.strip())
seq = {k: "".join(v) for k, v in seq.items()}
rows = open(sys.argv[3]).read().split(">MA0139.1")[1].split("\n")[1:5]
p = np.array([[float(x) for x in r.replace("[", " ").replace("]", " ").split() if x[0].isdigit()] for r in rows]) + 0.2
llr = np.log(p / p.sum(0) / 0.25)  # (4, W)
idx = {"A": 0, "C": 1, "G": 2, "T": 3}
def score(s):
    f = sum(llr[idx[c], j] for j, c in enumerate(s))
    r = sum(llr[3 - idx[c], j] for j, c in enumerate(reversed(s)))
    return max(f, r)
W = llr.shape[1]
peaks = [l.split() for l in open(sys.argv[2])]
at = [score(seq[c][int(s) + (300 - W) // 2:][:W]) for c, s, *_ in peaks]
rng = np.random.default_rng(0)
off = [score(seq["chr1"][i:i + W]) for i in rng.integers(0, 59000, 200)]
assert np.mean(at) > np.mean(off) + 10, (np.mean(at), np.mean(off))
PYEOF
}
if planted >"$T/py" 2>&1; then ok; else bad "synth --genome: CTCF not planted: $(tail -1 "$T/py")"; fi
expect_fail synth_genome_no_dir "$T/x.fa" "--genome needs --peaks-out DIR" -- \
    $BIN synth --genome "$T/x.fa"
expect_fail synth_genome_out "$T/x.fa" "no --out" -- \
    $BIN synth --genome "$T/x.fa" --peaks-out "$T/p" --out "$T/x.h5"

finish
