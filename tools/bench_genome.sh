#!/bin/sh
# bench_genome.sh (part of make bench): `convert --genome` speed in bins a second, on a synthetic
# genome from `synth --genome` of BENCH_GENOME_MB million bases (default 200, in chromosomes of
# 20 Mb) with BENCH_GENOME_TARGETS peak files (default 100, 10 peaks per Mb each), and the time
# that projects for the human genome's 15.5 M bins of 200 bp at the same speed.
set -eu
OUT=${BENCH_DIR:-build/bench}/genome
MB=${BENCH_GENOME_MB:-200}
K=${BENCH_GENOME_TARGETS:-100}
mkdir -p "$OUT"
./gseq_mpi synth --genome "$OUT/genome.fa" --peaks-out "$OUT/peaks" --targets "$K" \
    --chromosomes $(( (MB + 19) / 20 )) --chrom-length 20000000 --peaks-per-mb 10
rm -f "$OUT/genome.fa.fai"
for pass in "index built" "index present"; do
    start=$(date +%s.%N)
    ./gseq_mpi convert --genome "$OUT/genome.fa" --targets-file "$OUT/peaks/targets.tsv" \
        --out "$OUT/train.h5" 2>"$OUT/log"
    end=$(date +%s.%N)
    bins=$(sed -n 's/.* chromosomes, \([0-9]*\) bins.*/\1/p' "$OUT/log")
    rows=$(sed -n 's/^convert: wrote \([0-9]*\) rows.*/\1/p' "$OUT/log")
    awk -v b="$bins" -v r="$rows" -v s="$start" -v e="$end" -v p="$pass" -v k="$K" 'BEGIN {
        t = e - s; printf "convert --genome (%.0f Mb, %d targets, %s): %.1f s, %.0f bins/s, %d rows;" \
            " 15.5 M bins would take %.0f s\n", b * 200 / 1e6, k, p, t, b / t, r, 15.5e6 / (b / t) }'
done
rm -f "$OUT/train.h5"
