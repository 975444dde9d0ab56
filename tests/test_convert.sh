#!/bin/sh
# test_convert.sh: `gseq_mpi convert` and `gseq_mpi synth` from the command line, run from the repo
# root with the built ./gseq_mpi. Every bad input of issue 3 must give a non-zero exit, exactly one
# line on stderr naming the file and the problem, and no output file (nor a leftover temporary one).
# Prints "N passed, N failed" last; exits non-zero on any failure.
BIN=${GSEQ_MPI:-./gseq_mpi}
T=$(mktemp -d /tmp/gseq_convert_XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_ok NAME OUT CMD...: exit 0 and OUT exists, no temporary file beside it
expect_ok() {
    name=$1 out=$2
    shift 2
    if "$@" >"$T/stdout" 2>"$T/stderr" && [ -s "$out" ] && ! ls "$out".tmp* >/dev/null 2>&1; then
        ok
    else
        bad "$name: expected success and $out; stderr: $(cat "$T/stderr")"
    fi
}

# expect_fail NAME OUT PATTERN... -- CMD...: non-zero exit, one stderr line containing every
# PATTERN, and neither OUT nor OUT.tmp* left behind
expect_fail() {
    name=$1 out=$2
    shift 2
    pats=""
    while [ "$1" != "--" ]; do
        pats="$pats
$1"
        shift
    done
    shift
    rm -f "$out"
    if "$@" >"$T/stdout" 2>"$T/stderr"; then
        bad "$name: expected failure, got exit 0"
        return
    fi
    lines=$(wc -l <"$T/stderr")
    if [ "$lines" -ne 1 ]; then
        bad "$name: expected one line on stderr, got $lines: $(cat "$T/stderr")"
        return
    fi
    msg=$(cat "$T/stderr")
    missing=$(printf '%s\n' "$pats" | while IFS= read -r p; do
        [ -z "$p" ] && continue
        case $msg in *"$p"*) ;; *) echo "'$p'" ;; esac
    done)
    if [ -n "$missing" ]; then
        bad "$name: message lacks $missing: $msg"
    elif [ -e "$out" ] || ls "$out".tmp* >/dev/null 2>&1; then
        bad "$name: output or temporary file left behind"
    else
        ok
    fi
}

OUT=$T/out.h5
printf '>s1 first\nACGTN\nacgtn\n>s2\nGGCCRY\n>s3\nTTTT\n' >"$T/a.fa"
printf 'id\tCTCF\tGATA1\ns2\t1\t0\ns1\t0\t1\ns3\t1\t1\n' >"$T/a.tsv"
printf 'id\tclass\ns1\tliver\ns2\tbrain\ns3\tliver\n' >"$T/classes.tsv"
gzip -c "$T/a.fa" >"$T/a.fa.gz"

# ---- conversions that work ----
expect_ok fasta_tsv "$OUT" $BIN convert --fasta "$T/a.fa" --labels "$T/a.tsv" --out "$OUT"
expect_ok fasta_gzip_post "$T/gz.h5" $BIN convert --fasta "$T/a.fa.gz" --labels "$T/a.tsv" \
    --out "$T/gz.h5" --length 8 --padding post --compress 4
expect_ok fasta_classes "$T/cls.h5" $BIN convert --fasta "$T/a.fa" --labels "$T/classes.tsv" \
    --classes --out "$T/cls.h5"
if $BIN convert --help | grep -q -- '--deepsea' && $BIN synth --help | grep -q -- '--motifs'; then
    ok
else
    bad "help texts"
fi

# ---- bad input: FASTA and TSV ----
printf '>s1\nACGT\nACXT\n>s2\nGG\n>s3\nTT\n' >"$T/badchar.fa"
expect_fail not_a_base "$OUT" "badchar.fa line 3" "'X' is not a base" -- \
    $BIN convert --fasta "$T/badchar.fa" --labels "$T/a.tsv" --out "$OUT"
printf '>s1\nACGT\n>s2\nGG\n>s1\nTT\n' >"$T/dup.fa"
expect_fail duplicate_fasta_id "$OUT" "dup.fa line 5" "duplicate id 's1'" -- \
    $BIN convert --fasta "$T/dup.fa" --labels "$T/a.tsv" --out "$OUT"
printf 'id\tt\ns1\t1\ns2\t0\ns1\t1\n' >"$T/dup.tsv"
expect_fail duplicate_tsv_id "$OUT" "dup.tsv line 4" "duplicate id 's1'" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/dup.tsv" --out "$OUT"
printf 'id\tt\ns1\t1\ns2\t0\ns3\t1\ns4\t0\n' >"$T/extra.tsv"
expect_fail tsv_id_not_in_fasta "$OUT" "extra.tsv line 5" "id 's4' is not in" "a.fa" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/extra.tsv" --out "$OUT"
printf 'id\tt\ns1\t1\ns3\t1\n' >"$T/short.tsv"
expect_fail fasta_id_not_in_tsv "$OUT" "a.fa line 4" "id 's2' has no row in" "short.tsv" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/short.tsv" --out "$OUT"
: >"$T/empty.fa"
expect_fail empty_fasta "$OUT" "empty.fa" "empty file" -- \
    $BIN convert --fasta "$T/empty.fa" --labels "$T/a.tsv" --out "$OUT"
: >"$T/empty.tsv"
expect_fail empty_tsv "$OUT" "empty.tsv" "empty file" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/empty.tsv" --out "$OUT"
awk 'BEGIN { print ">s1"; for (i = 0; i < 3000; i++) print "ACGTTGCAACGGTACCATGATCGATCGGATCCAGT" }' \
    | gzip -c >"$T/long.fa.gz"
head -c $(($(wc -c <"$T/long.fa.gz") / 2)) "$T/long.fa.gz" >"$T/cut.fa.gz"
printf 'id\tt\ns1\t1\n' >"$T/one.tsv"
expect_fail truncated_gzip "$OUT" "cut.fa.gz" "truncated gzip" -- \
    $BIN convert --fasta "$T/cut.fa.gz" --labels "$T/one.tsv" --out "$OUT"
printf 'id\tt\ns1\t1\ns2\t2\ns3\t0\n' >"$T/two.tsv"
expect_fail binary_label_not_01 "$OUT" "two.tsv line 3" "label 2 is not 0 or 1" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/two.tsv" --out "$OUT"
printf 'id\tt\tu\ns1\t1\n' >"$T/cols.tsv"
expect_fail tsv_columns "$OUT" "cols.tsv line 2" "2 columns, the header has 3" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/cols.tsv" --out "$OUT"
expect_fail missing_input "$OUT" "nowhere.fa" "No such file" -- \
    $BIN convert --fasta "$T/nowhere.fa" --labels "$T/a.tsv" --out "$OUT"

# ---- bad input: HDF5 sources ----
printf 'plain text, not HDF5\n' >"$T/text.mat"
expect_fail not_hdf5 "$OUT" "text.mat" "not an HDF5 file" -- $BIN convert --deepsea "$T/text.mat" --out "$OUT"
: >"$T/empty.h5"
expect_fail empty_hdf5 "$OUT" "empty.h5" "empty file" -- $BIN convert --basset "$T/empty.h5" --out "$OUT"
$BIN synth --n 300 --out "$T/full.h5" 2>/dev/null
head -c 4000 "$T/full.h5" >"$T/cut.h5"
expect_fail truncated_hdf5 "$OUT" "cut.h5" "truncated or damaged" -- \
    $BIN convert --basset "$T/cut.h5" --out "$OUT"
expect_fail missing_dataset "$OUT" "full.h5" "dataset train_in: missing" -- \
    $BIN convert --basset "$T/full.h5" --out "$OUT"

# ---- options ----
expect_fail unknown_option "$OUT" "unknown option --fastq" -- $BIN convert --fastq x --out "$OUT"
expect_fail no_out "$OUT" "--out FILE is required" -- $BIN convert --fasta "$T/a.fa" --labels "$T/a.tsv"
expect_fail bad_padding "$OUT" "--padding 'middle'" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/a.tsv" --padding middle --out "$OUT"
expect_fail two_inputs "$OUT" "give one input" -- $BIN convert --fasta "$T/a.fa" --deepsea x --out "$OUT"

# A failed conversion leaves an existing output untouched.
cp "$T/gz.h5" "$T/keep.h5"
$BIN convert --fasta "$T/badchar.fa" --labels "$T/a.tsv" --out "$T/keep.h5" 2>/dev/null
if cmp -s "$T/gz.h5" "$T/keep.h5"; then ok; else bad "failed conversion changed an existing output"; fi

# ---- synth: deterministic from the seed ----
expect_ok synth_binary "$T/s1.h5" $BIN synth --n 2000 --seed 5 --out "$T/s1.h5"
$BIN synth --n 2000 --seed 5 --out "$T/s2.h5"
$BIN synth --n 2000 --seed 6 --out "$T/s3.h5"
if cmp -s "$T/s1.h5" "$T/s2.h5"; then ok; else bad "synth: same seed, different files"; fi
if cmp -s "$T/s1.h5" "$T/s3.h5"; then bad "synth: different seeds, same file"; else ok; fi
expect_ok synth_multilabel "$T/m.h5" $BIN synth --mode multilabel --n 200 --targets 4 --out "$T/m.h5"
$BIN synth --mode multilabel --n 200 --targets 4 --out "$T/m2.h5"
if cmp -s "$T/m.h5" "$T/m2.h5"; then ok; else bad "synth multilabel not deterministic"; fi
expect_ok synth_background "$T/bg.h5" $BIN synth --n 100 --background "$T/long.fa.gz" --out "$T/bg.h5"
expect_fail synth_bad_mode "$OUT" "--mode 'regression'" -- $BIN synth --mode regression --out "$OUT"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
