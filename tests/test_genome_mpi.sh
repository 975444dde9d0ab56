#!/bin/sh
# test_genome_mpi.sh: `gseq_mpi convert --genome` over MPI ranks (issue 17), run from the repo root
# with the built ./gseq_mpi. A synthetic genome (`synth --genome`, its chromosomes then cut to five
# different lengths, the peaks past the new ends dropped) is converted with 1, 2 and 3 ranks, bins
# mode with --gc-match and regions mode: the files must have the same bytes (cmp) as the
# one-process conversion, and tests/genome_reference.py checks the 2-rank file's labels bin by bin.
# A character that is no base in a chromosome of rank 1 (with 2 and 3 ranks), or of rank 0, must
# give exit 1, one line from gseq_mpi naming the chromosome, no output, no part left, an
# existing output untouched, and no hang (timeout). Prints "N passed, N failed" last.
BIN=${GSEQ_MPI:-./gseq_mpi}
PY=${PYTHON:-/usr/bin/python3}
REF=tests/genome_reference.py
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
MPIRUN="timeout 120 mpirun --oversubscribe -np"
T=$(mktemp -d /tmp/gseq_genome_mpi_XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/lib.sh

# leftovers OUT: the temporary files and parts beside OUT
leftovers() { ls "$1".tmp* 2>/dev/null; }

# convert NAME OUT P ARGS...: `convert --genome` with P ranks (0: no mpirun) succeeds, leaves OUT
# and nothing beside it
convert() {
    name=$1 out=$2 p=$3
    shift 3
    rm -f "$out"
    if [ "$p" -eq 0 ]; then set -- "$BIN" convert "$@"; else set -- $MPIRUN "$p" "$BIN" convert "$@"; fi
    if "$@" --out "$out" >"$T/stdout" 2>"$T/stderr" && [ -s "$out" ] && [ -z "$(leftovers "$out")" ]
    then
        ok
    else
        bad "$name: expected success and $out alone; stderr: $(cat "$T/stderr")"
    fi
}

same() { if cmp -s "$2" "$3"; then ok; else bad "$1: $2 and $3 differ"; fi; }

# The genome: chr1..chr5 of 200, 150, 110, 80 and 50 kb (lines of 60 bases), peaks inside them.
D=$T/g
"$BIN" synth --genome "$T/full.fa" --peaks-out "$T/peaks" --targets 4 --chromosomes 5 \
    --chrom-length 200000 --peaks-per-mb 200 --seed 5 >/dev/null 2>&1 || bad "synth --genome"
mkdir -p "$D"
awk 'BEGIN { split("200000 150000 110000 80000 50000", L, " ") }
     /^>/ { c++; kept = 0; print; next }
     { if (kept < L[c]) { print substr($0, 1, L[c] - kept); kept += length($0) } }' \
    "$T/full.fa" >"$D/g.fa"
for f in "$T"/peaks/*.bed; do
    awk 'BEGIN { split("200000 150000 110000 80000 50000", L, " ") }
         { c = substr($1, 4) + 0; if ($3 <= L[c]) print }' "$f" >"$D/$(basename "$f")"
done
TARGETS=""
for f in "$D"/*.bed; do TARGETS="$TARGETS --peaks $(basename "$f" .bed)=$f"; done
PEAKS=$(for f in "$D"/*.bed; do printf '%s=%s ' "$(basename "$f" .bed)" "$f"; done)
cat "$D"/*.bed | sort -k1,1 -k2,2n >"$T/regions.bed"
mv "$T/regions.bed" "$D/regions.bed" # where the reference looks, once the targets are listed
lens=$(awk '/^>/ { if (n) printf "%d ", n; n = 0; next } { n += length($0) } END { print n }' "$D/g.fa")
[ "$lens" = "200000 150000 110000 80000 50000" ] && ok || bad "the genome's lengths: $lens"

# bins, --gc-match: 1 process, then 1, 2 and 3 ranks
convert bins_p0 "$T/b0.h5" 0 --genome "$D/g.fa" $TARGETS --gc-match --negatives 2
for p in 1 2 3; do
    convert "bins_p$p" "$T/b$p.h5" "$p" --genome "$D/g.fa" $TARGETS --gc-match --negatives 2
    same "bins_p$p" "$T/b0.h5" "$T/b$p.h5"
done
if grep -q "5 chromosomes" "$T/stderr" && [ "$(grep -c '^convert: wrote .* in ' "$T/stderr")" -eq 1 ]; then ok
else bad "bins_p3: the log once, 5 chromosomes: $(cat "$T/stderr")"; fi
$PY - "$T/b0.h5" "$T/stderr" <<'EOF' && ok || bad "bins_p3: the log's counts are not the file's"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
log = open(sys.argv[2]).read()
rows = f["y"].shape[0]
assert f"wrote {rows} rows" in log, (rows, log)
assert list(dict.fromkeys(c.decode() for c in f["chrom"][:])) == [f"chr{i}" for i in range(1, 6)]
EOF
if $PY "$REF" bins "$T/b2.h5" "$D" 200 1000 0.5 0.1 2 1 $PEAKS >"$T/ref" 2>&1; then ok
else bad "bins_p2 against the reference: $(tail -3 "$T/ref")"; fi

# regions mode
convert regions_p0 "$T/r0.h5" 0 --genome "$D/g.fa" $TARGETS --regions "$D/regions.bed"
for p in 2 3; do
    convert "regions_p$p" "$T/r$p.h5" "$p" --genome "$D/g.fa" $TARGETS --regions "$D/regions.bed"
    same "regions_p$p" "$T/r0.h5" "$T/r$p.h5"
done
if $PY "$REF" regions "$T/r2.h5" "$D" 1000 0.5 0.1 $PEAKS >"$T/ref" 2>&1; then ok
else bad "regions_p2 against the reference: $(tail -3 "$T/ref")"; fi

# fails P PATTERN NAME ARGS...: exit 1 under mpirun -np P, one line from gseq_mpi holding
# PATTERN, the existing output untouched and nothing beside it
fails() {
    p=$1 pat=$2 name=$3
    shift 3
    echo "an older file" >"$T/old.h5"
    start=$(date +%s)
    $MPIRUN "$p" "$BIN" convert "$@" --out "$T/old.h5" >"$T/stdout" 2>"$T/stderr"
    st=$?
    grep '^gseq_mpi' "$T/stderr" >"$T/ours"
    if [ "$st" -ne 1 ] || [ "$(wc -l <"$T/ours")" -ne 1 ] || ! grep -qF -- "$pat" "$T/ours"; then
        bad "$name: expected exit 1 and one line with '$pat'; exit $st: $(cat "$T/stderr")"
    elif [ "$(cat "$T/old.h5")" != "an older file" ] || [ -n "$(leftovers "$T/old.h5")" ]; then
        bad "$name: the existing output was changed, or a part was left: $(leftovers "$T/old.h5")"
    else
        ok
    fi
}

# badbase CHROM OUT: the genome with a character that is no base on line 100 of CHROM
badbase() {
    awk -v want=">$1" '/^>/ { c = $1 == want; print; next }
        { if (c && ++n == 100) $0 = "Z" substr($0, 2); print }' "$D/g.fa" >"$2"
}
# the deal (contiguous runs by length): 2 ranks: chr1-2 | chr3-5; 3 ranks: chr1 | chr2 | chr3-5
badbase chr3 "$T/bad3.fa"
badbase chr2 "$T/bad2.fa"
badbase chr1 "$T/bad1.fa"
fails 2 "chr3 position 5940: 'Z' is not a base" bad_base_rank1_p2 --genome "$T/bad3.fa" \
    $TARGETS --gc-match
fails 3 "chr2 position 5940: 'Z' is not a base" bad_base_rank1_p3 --genome "$T/bad2.fa" \
    $TARGETS --gc-match
fails 2 "chr3 position 5940: 'Z' is not a base" bad_base_regions --genome "$T/bad3.fa" \
    $TARGETS --regions "$D/regions.bed"
fails 2 "chr1 position 5940: 'Z' is not a base" bad_base_rank0 --genome "$T/bad1.fa" $TARGETS
# found by every rank while loading: a peak past a chromosome's end
cp "$D/g.fa" "$T/g2.fa"
printf 'chr5\t49900\t50100\n' >"$T/past.bed"
fails 2 "past.bed line 1: end 50100 is past the end of chr5" past_end --genome "$T/g2.fa" \
    $TARGETS --peaks past="$T/past.bed"

finish
