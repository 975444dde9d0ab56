#!/bin/sh
# test_variants.sh: `gseq_mpi variants` (issue 18) from the command line, run from the repo root
# with the built ./gseq_mpi. A synthetic genome (synth --genome), a tiny conv model trained for one
# epoch on synth data of length 100, and a VCF written here with SNVs, a multi-allelic record, an
# insertion, a deletion, a duplicate, a REF mismatch, symbolic and breakend ALTs, a missing
# chromosome and an indel too long for the window. The effects are checked against `predict` run
# on windows built independently in Python (tests/variants_reference.py; $PYTHON, default
# /usr/bin/python3 with numpy and h5py; skipped without them), the output against the rank count
# (same bytes for P = 1, 2, 4), and every bad input gives exit 1, one line on stderr and no output.
# Real VCF structure: ex2.vcf and chr22.vcf.gz of Debian's r-bioc-variantannotation (downloaded
# with apt-get when not installed; skipped with a reason otherwise).
# Prints "N passed, N failed" last; exits non-zero on any failure.
BIN=${GSEQ_MPI:-./gseq_mpi}
PY=${PYTHON:-/usr/bin/python3}
REF=tests/variants_reference.py
T=$(mktemp -d /tmp/gseq_variants_XXXXXX)
[ -n "$KEEP" ] || trap 'rm -rf "$T"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
. tests/lib.sh

# ---- a genome, a model, a VCF ----
G=$T/g.fa
$BIN synth --genome "$G" --peaks-out "$T/peaks" --chromosomes 2 --chrom-length 20000 --seed 1 \
    >/dev/null 2>&1 || bad "synth --genome"
$BIN synth --mode multilabel --n 200 --length 100 --targets 3 --seed 2 --out "$T/d.h5" \
    >/dev/null 2>&1 || bad "synth data"
cat >"$T/tiny.ini" <<'INI'
[train]
batch = 16
epochs = 1
lr = 0.003
seed = 1
[onehot]
[conv1d]
filters = 8
width = 9
activation = relu
[maxpool1d]
pool = 4
[flatten]
[dense]
units = 3
activation = sigmoid
INI
CK=$T/run/best.h5
expect_ok train "$CK" $BIN train --config "$T/tiny.ini" --data "$T/d.h5" --out "$T/run"

# The VCF: REF alleles taken from the genome (one on purpose not), in genome order.
"$PY" - "$G" "$T/v.vcf" <<'PYEOF' || bad "writing the VCF"
import sys
seq, name = {}, None
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith(">"):
        name = line[1:].split()[0]; seq[name] = []
    else:
        seq[name].append(line)
c = "".join(seq["chr1"]).upper()
b = lambda p, n=1: c[p - 1:p - 1 + n]
other = lambda x: "C" if x != "C" else "G"
rows = [
    ("chr1", 5, "edge", b(5), other(b(5))),                        # window past the start: N
    ("chr1", 500, "snv1", b(500), other(b(500))),
    ("chr1", 500, "snv1dup", b(500), other(b(500))),               # a duplicate, kept
    ("chr1", 501, "multi", b(501), ",".join(x for x in "ACGT" if x != b(501))),
    ("chr1", 1000, "ins1", b(1000), b(1000) + "ACGTA"),
    ("chr1", 1500, "ins2", b(1500), b(1500) + "GG"),
    ("chr1", 2000, "del1", b(2000, 4), b(2000)),
    ("chr1", 2500, "del2", b(2500, 7), b(2500)),
    ("chr1", 2600, "mnp", b(2600, 2), other(b(2600)) + other(b(2601))),
    ("chr1", 3000, "mm1", other(b(3000)), "T" if b(3000) != "T" else "A"),  # REF mismatch
    ("chr1", 4000, "sv1", b(4000), "<DEL>"),
    ("chr1", 4100, "bnd1", b(4100), b(4100) + "]chr2:500]"),
    ("chr1", 4200, "long", b(4200, 150), b(4200)),                 # longer than the window
    ("chr1", 19990, "end", b(19990), other(b(19990))),             # window past the end: N
    ("chr2", 700, "snv2", "".join(seq["chr2"])[699].upper(), "A,T"),
    ("chrX", 100, "miss1", "A", "G"),                              # not in the genome
]
with open(sys.argv[2], "w") as f:
    f.write("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=20000>\n##contig=<ID=chr2,length=20000>\n##contig=<ID=chrX,length=1000>\n")
    f.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    for r in rows:
        f.write("\t".join(map(str, r)) + "\t.\tPASS\t.\n")
PYEOF

# ---- effects ----
E=$T/e.tsv
expect_ok tsv "$E" $BIN variants --checkpoint "$CK" --vcf "$T/v.vcf" --genome "$G" --out "$E"
cp "$T/stdout" "$T/summary" && cp "$T/stderr" "$T/warnings"
contains rows "$T/summary" "15 rows from 16 records"
contains left_out "$T/summary" "left out: 2 symbolic or missing ALTs, 1 too long for the window of 100, 1 on chromosome not in the genome"
contains mismatch "$T/summary" "REF mismatches: 1 (scored); duplicate rows kept: 1"
contains warn_count "$T/warnings" "warning: 1 REF differs from"
contains warn_list "$T/warnings" "record 10 (chr1:3000): REF"
contains warn_missing "$T/warnings" "record 16 (chrX:100): chromosome not in"
[ "$(grep -vc '^#' "$E")" -eq 45 ] && ok || bad "tsv: expected 15 x 3 lines, got $(grep -vc '^#' "$E")"
head -1 "$E" | grep -q "^#chrom	pos	id	ref	alt	target	ref_prob	alt_prob	diff	log2_odds$" && ok ||
    bad "tsv header: $(head -1 "$E")"

if "$PY" -c "import numpy, h5py" 2>/dev/null; then
    n=$("$PY" $REF windows "$G" "$T/v.vcf" 100 "$T/w.fa")
    [ "$n" = 15 ] && ok || bad "reference windows: $n rows"
    expect_ok predict "$T/p.h5" $BIN predict --checkpoint "$CK" --data "$T/w.fa" --out "$T/p.h5"
    if "$PY" $REF compare "$E" "$T/p.h5" >"$T/cmp" 2>&1; then ok; else bad "effects: $(cat "$T/cmp")"; fi
else
    skip "effects against predict: $PY lacks numpy or h5py"
fi

# ---- an odd window (L = 101): the same rule, the centre base itself ----
if "$PY" -c "import numpy, h5py" 2>/dev/null; then
    $BIN synth --mode multilabel --n 100 --length 101 --targets 3 --seed 4 --out "$T/d101.h5" \
        >/dev/null 2>&1 || bad "synth L = 101"
    expect_ok train101 "$T/run101/best.h5" $BIN train --config "$T/tiny.ini" --data "$T/d101.h5" \
        --out "$T/run101"
    expect_ok tsv101 "$T/e101.tsv" $BIN variants --checkpoint "$T/run101/best.h5" --vcf "$T/v.vcf" \
        --genome "$G" --out "$T/e101.tsv"
    n=$("$PY" $REF windows "$G" "$T/v.vcf" 101 "$T/w101.fa")
    expect_ok predict101 "$T/p101.h5" $BIN predict --checkpoint "$T/run101/best.h5" \
        --data "$T/w101.fa" --out "$T/p101.h5"
    if "$PY" $REF compare "$T/e101.tsv" "$T/p101.h5" >"$T/cmp" 2>&1; then ok; else
        bad "effects, L = 101: $(cat "$T/cmp")"; fi
fi

# ---- the same bytes for P = 1, 2, 4 (blocks of 2 variants: several steps) ----
for P in 1 2 4; do
    expect_ok "tsv_np$P" "$T/e$P.tsv" mpirun -np $P $BIN variants --checkpoint "$CK" \
        --vcf "$T/v.vcf" --genome "$G" --out "$T/e$P.tsv" --batch 2
    expect_ok "h5_np$P" "$T/e$P.h5" mpirun -np $P $BIN variants --checkpoint "$CK" \
        --vcf "$T/v.vcf" --genome "$G" --out "$T/e$P.h5" --batch 2 --targets 1:3
done
cmp -s "$T/e1.tsv" "$T/e2.tsv" && cmp -s "$T/e1.tsv" "$T/e4.tsv" && ok ||
    bad "tsv differs across rank counts"
# another batch changes the products' blocking (OpenBLAS picks kernels by size): the same to 1e-6
"$PY" - "$E" "$T/e1.tsv" >"$T/batch" 2>&1 <<'PYEOF' && ok || bad "tsv: batch 2 against the default: $(cat "$T/batch")"
import sys
a, b = ([l.split("\t") for l in open(p) if not l.startswith("#")] for p in sys.argv[1:])
assert len(a) == len(b) and all(x[:6] == y[:6] for x, y in zip(a, b)), "different rows"
worst = max(abs(float(u) - float(v)) for x, y in zip(a, b) for u, v in zip(x[6:9], y[6:9]))
assert worst <= 1e-6, f"probabilities differ by {worst}"
PYEOF
cmp -s "$T/e1.h5" "$T/e2.h5" && cmp -s "$T/e1.h5" "$T/e4.h5" && ok || bad "h5 differs across rank counts"

if "$PY" -c "import numpy, h5py" 2>/dev/null; then
    "$PY" - "$T/e1.h5" "$E" <<'PYEOF' && ok || bad "h5 contents"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert [n.decode() for n in f["target_names"][:]] == ["Gata1", "FOXA1"], f["target_names"][:]
assert list(f["target_index"][:]) == [1, 2]
assert f["ref_prob"].shape == (15, 2) and f["pos"].dtype == np.int64
lines = [l.split("\t") for l in open(sys.argv[2]) if not l.startswith("#")]
tsv = np.array([[float(x) for x in l[6:10]] for l in lines]).reshape(15, 3, 4)[:, 1:3, :]
for i, name in enumerate(["ref_prob", "alt_prob", "diff", "log2_odds"]):
    assert np.allclose(f[name][:], tsv[:, :, i], atol=1e-6, rtol=1e-6), name
assert [x.decode() for x in f["id"][:3]] == ["edge", "snv1", "snv1dup"]
assert [x.decode() for x in f["alt"][3:6]] == [a for a in "ACGT" if a != f["ref"][3].decode()]
assert list(f["pos"][:2]) == [5, 500] and f.attrs["length"] == 100
PYEOF
fi

# ---- bgzip VCF and BCF: the same rows ----
if command -v bgzip >/dev/null; then
    bgzip -c "$T/v.vcf" >"$T/v.vcf.gz"
    expect_ok bgzip "$T/z.tsv" $BIN variants --checkpoint "$CK" --vcf "$T/v.vcf.gz" --genome "$G" \
        --out "$T/z.tsv" --quiet
    cmp -s "$E" "$T/z.tsv" && ok || bad "bgzip VCF: other rows than the plain VCF"
else
    skip "bgzip VCF: no bgzip (Debian tabix)"
fi
if command -v bcftools >/dev/null; then
    bcftools view -Ob -o "$T/v.bcf" "$T/v.vcf" 2>/dev/null || bad "bcftools view -Ob"
    expect_ok bcf "$T/b.tsv" $BIN variants --checkpoint "$CK" --vcf "$T/v.bcf" --genome "$G" \
        --out "$T/b.tsv" --quiet
    cmp -s "$E" "$T/b.tsv" && ok || bad "BCF: other rows than the VCF"
else
    skip "BCF: no bcftools"
fi

# ---- memory does not grow with the VCF: 10 k and 100 k SNVs, rank 0's peak within 8 MB ----
"$PY" - "$G" "$T" <<'PYEOF' || bad "writing the large VCFs"
import sys
seq, name = {}, None
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith(">"):
        name = line[1:].split()[0]; seq[name] = []
    else:
        seq[name].append(line)
c = "".join(seq["chr1"]).upper()
for n in (10000, 100000):
    with open("%s/big%d.vcf" % (sys.argv[2], n), "w") as f:
        f.write("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for i in range(n):
            p = 6 + i * 19980 // n
            f.write("chr1\t%d\tv%d\t%s\t%s\t.\t.\t.\n" % (p, i, c[p - 1], "A" if c[p - 1] != "A" else "G"))
PYEOF
for n in 10000 100000; do
    expect_ok "big$n" "$T/big$n.tsv" $BIN variants --checkpoint "$CK" --vcf "$T/big$n.vcf" \
        --genome "$G" --out "$T/big$n.tsv" --targets 0:1 --batch 64
    sed -n 's/.*peak memory \([0-9]*\) MB.*/\1/p' "$T/stdout" >"$T/mem$n"
done
m1=$(cat "$T/mem10000") m2=$(cat "$T/mem100000")
[ -n "$m1" ] && [ -n "$m2" ] && [ "$m2" -le $((m1 + 8)) ] && ok ||
    bad "memory grows with the VCF: $m1 MB at 10 k, $m2 MB at 100 k"
[ "$(grep -vc '^#' "$T/big100000.tsv")" -eq 100000 ] && ok || bad "big100000: rows"

# ---- --targets, --rc-average, --ref-mismatch skip ----
expect_ok targets "$T/t.tsv" $BIN variants --checkpoint "$CK" --vcf "$T/v.vcf" --genome "$G" \
    --out "$T/t.tsv" --targets FOXA1,CTCF
[ "$(grep -v '^#' "$T/t.tsv" | cut -f6 | sort -u | tr '\n' ' ')" = "CTCF FOXA1 " ] &&
    [ "$(grep -v '^#' "$T/t.tsv" | head -2 | cut -f6 | tr '\n' ' ')" = "FOXA1 CTCF " ] && ok ||
    bad "--targets FOXA1,CTCF: $(head -3 "$T/t.tsv")"
expect_ok targets_open "$T/t2.tsv" $BIN variants --checkpoint "$CK" --vcf "$T/v.vcf" --genome "$G" \
    --out "$T/t2.tsv" --targets 2: --quiet
[ "$(grep -v '^#' "$T/t2.tsv" | cut -f6 | sort -u)" = "FOXA1" ] && ok || bad "--targets 2:"
expect_ok rc_average "$T/rc.tsv" $BIN variants --checkpoint "$CK" --vcf "$T/v.vcf" --genome "$G" \
    --out "$T/rc.tsv" --rc-average --quiet
cmp -s "$E" "$T/rc.tsv" && bad "--rc-average changed nothing" || ok
expect_ok skip "$T/s.tsv" $BIN variants --checkpoint "$CK" --vcf "$T/v.vcf" --genome "$G" \
    --out "$T/s.tsv" --ref-mismatch skip
contains skip_summary "$T/stdout" "14 rows from 16 records"
grep -q "	mm1	" "$T/s.tsv" && bad "--ref-mismatch skip kept mm1" || ok

# ---- bad input: one line, exit 1, no output ----
OUT=$T/bad.tsv
expect_fail ref_error "$OUT" "v.vcf: record 10" "REF" "--ref-mismatch error" -- \
    $BIN variants --checkpoint "$CK" --vcf "$T/v.vcf" --genome "$G" --out "$OUT" --ref-mismatch error
grep -v "miss1\|mm1\|long" "$T/v.vcf" >"$T/v2.vcf"
expect_ok ref_error_clean "$T/c.tsv" $BIN variants --checkpoint "$CK" --vcf "$T/v2.vcf" --genome "$G" \
    --out "$T/c.tsv" --ref-mismatch error
printf 'chrX\t5\t.\tA\tG\t.\t.\t.\n' >>"$T/v2.vcf"
expect_fail missing_error "$OUT" "chromosome 'chrX' is not in" -- \
    $BIN variants --checkpoint "$CK" --vcf "$T/v2.vcf" --genome "$G" --out "$OUT" --ref-mismatch error
printf 'this is not a VCF\n1 2 3\n' >"$T/notvcf.vcf"
expect_fail not_vcf "$OUT" "notvcf.vcf" "not a VCF" -- \
    $BIN variants --checkpoint "$CK" --vcf "$T/notvcf.vcf" --genome "$G" --out "$OUT"
expect_fail fasta_as_vcf "$OUT" "g.fa" "not a VCF" -- \
    $BIN variants --checkpoint "$CK" --vcf "$G" --genome "$G" --out "$OUT"
{ grep '^#' "$T/v.vcf"; grep -v '^#' "$T/v.vcf" | head -1; } >"$T/past.vcf"
printf 'chr1\t20000\tp\tAC\tA\t.\t.\t.\n' >>"$T/past.vcf"
expect_fail past_end "$OUT" "past.vcf: record 2" "past the end of chr1" -- \
    $BIN variants --checkpoint "$CK" --vcf "$T/past.vcf" --genome "$G" --out "$OUT"
# under mpirun the launcher adds its own lines: exit non-zero, our line first, no output
rm -f "$OUT"
if mpirun -np 2 $BIN variants --checkpoint "$CK" --vcf "$T/past.vcf" --genome "$G" --out "$OUT" \
    --batch 1 >"$T/stdout" 2>"$T/stderr"; then
    bad "past_end_np2: exit 0"
elif head -1 "$T/stderr" | grep -q "past the end of chr1" && [ ! -e "$OUT" ] &&
    ! ls "$OUT".tmp* >/dev/null 2>&1; then
    ok
else
    bad "past_end_np2: $(cat "$T/stderr")"
fi
{ grep '^#' "$T/v.vcf"; grep -v '^#' "$T/v.vcf" | head -1; } >"$T/trunc.vcf"
printf 'chr1\tnotanumber\tp\tA\tC\n' >>"$T/trunc.vcf"
expect_fail bad_record "$OUT" "trunc.vcf: record 2" "POS 0 on chr1" -- \
    $BIN variants --checkpoint "$CK" --vcf "$T/trunc.vcf" --genome "$G" --out "$OUT"
expect_fail no_vcf "$OUT" "nothere.vcf" -- \
    $BIN variants --checkpoint "$CK" --vcf "$T/nothere.vcf" --genome "$G" --out "$OUT"
expect_fail target_name "$OUT" "--targets" "no target 'NOPE'" -- \
    $BIN variants --checkpoint "$CK" --vcf "$T/v.vcf" --genome "$G" --out "$OUT" --targets CTCF,NOPE
expect_fail target_range "$OUT" "--targets" "2:9 selects no columns of the 3" -- \
    $BIN variants --checkpoint "$CK" --vcf "$T/v.vcf" --genome "$G" --out "$OUT" --targets 2:9
expect_fail out_dir "/proc/gseq/e.tsv" "/proc/gseq/e.tsv" "cannot write" -- \
    $BIN variants --checkpoint "$CK" --vcf "$T/v.vcf" --genome "$G" --out /proc/gseq/e.tsv
expect_fail no_genome "$OUT" "nothere.fa" -- \
    $BIN variants --checkpoint "$CK" --vcf "$T/v.vcf" --genome "$T/nothere.fa" --out "$OUT"
expect_fail not_checkpoint "$OUT" "d.h5" "checkpoint" -- \
    $BIN variants --checkpoint "$T/d.h5" --vcf "$T/v.vcf" --genome "$G" --out "$OUT"
if $BIN variants --checkpoint "$CK" --vcf "$T/v.vcf" --genome "$G" --out "$T/e.csv" 2>"$T/stderr"; then
    bad "--out e.csv accepted"
else
    contains out_extension "$T/stderr" "expected a name ending in .tsv"
fi

# ---- real VCF structure: VariantAnnotation's ex2.vcf and chr22.vcf.gz ----
VA=/usr/lib/R/site-library/VariantAnnotation/extdata
if [ ! -f "$VA/ex2.vcf" ] && command -v apt-get >/dev/null; then
    (cd "$T" && apt-get download r-bioc-variantannotation >/dev/null 2>&1) &&
        dpkg -x "$T"/r-bioc-variantannotation_*.deb "$T/va" 2>/dev/null &&
        VA=$T/va/usr/lib/R/site-library/VariantAnnotation/extdata
fi
if [ -f "$VA/ex2.vcf" ] && "$PY" -c "import numpy" 2>/dev/null; then
    # a chromosome "20" of 1.3 Mb with ex2's REF alleles at their places
    "$PY" - "$VA/ex2.vcf" "$T/g20.fa" <<'PYEOF' || bad "ex2 genome"
import sys, numpy as np
s = np.array(list("ACGT"))[np.random.default_rng(5).integers(0, 4, 1300000)]
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    c = line.split("\t")
    s[int(c[1]) - 1:int(c[1]) - 1 + len(c[3])] = list(c[3])
with open(sys.argv[2], "w") as f:
    f.write(">20\n")
    t = "".join(s)
    for i in range(0, len(t), 60):
        f.write(t[i:i + 60] + "\n")
PYEOF
    expect_ok ex2 "$T/ex2.tsv" $BIN variants --checkpoint "$CK" --vcf "$VA/ex2.vcf" --genome "$T/g20.fa" \
        --out "$T/ex2.tsv" --targets 0:1
    contains ex2_rows "$T/stdout" "6 rows from 5 records"
    contains ex2_counts "$T/stdout" "left out: 1 symbolic or missing ALT, 0 too long"
    contains ex2_mismatch "$T/stdout" "REF mismatches: 0"
    [ "$(cut -f2,3,5 "$T/ex2.tsv" | grep -c "^1234567	microsat1	")" -eq 2 ] && ok ||
        bad "ex2: microsat1's two ALTs: $(cat "$T/ex2.tsv")"
    expect_ok chr22 "$T/c22.tsv" $BIN variants --checkpoint "$CK" --vcf "$VA/chr22.vcf.gz" \
        --genome "$G" --out "$T/c22.tsv"
    contains chr22_records "$T/stdout" "0 rows from 10376 records"
    contains chr22_missing "$T/stdout" "10376 on chromosomes not in the genome"
    [ "$(wc -l <"$T/stderr")" -eq 1 ] && ok || bad "chr22: a missing chromosome listed more than once: $(head -3 "$T/stderr")"
else
    skip "ex2.vcf, chr22.vcf.gz: r-bioc-variantannotation neither installed nor downloadable (or no numpy)"
fi

finish
