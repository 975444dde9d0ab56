#!/bin/sh
# bench_convert.sh (part of make bench): FASTA + labels TSV -> gseq HDF5 conversion speed, in MB of
# FASTA a second, on a generated file of BENCH_FASTA_SEQS sequences of 1000 bases (default 100000,
# about 100 MB), plain and gzip-compressed input.
set -eu
OUT=${BENCH_DIR:-build/bench}
N=${BENCH_FASTA_SEQS:-100000}
mkdir -p "$OUT"
awk -v n="$N" -v seed=7 'BEGIN {
    srand(seed); split("ACGT", b, "");
    print "id\tbound" > "'"$OUT"'/bench.tsv";
    for (i = 0; i < n; i++) {
        s = ""; for (j = 0; j < 1000; j++) s = s b[int(rand() * 4) + 1];
        printf ">s%d\n%s\n", i, s;
        printf "s%d\t%d\n", i, i % 2 >> "'"$OUT"'/bench.tsv";
    }
}' > "$OUT/bench.fa"
gzip -kf -1 "$OUT/bench.fa"
mb=$(du -m "$OUT/bench.fa" | cut -f1)
for input in bench.fa bench.fa.gz; do
    start=$(date +%s.%N)
    ./gseq_mpi convert --fasta "$OUT/$input" --labels "$OUT/bench.tsv" --out "$OUT/bench.h5" >/dev/null
    end=$(date +%s.%N)
    awk -v mb="$mb" -v s="$start" -v e="$end" -v f="$input" \
        'BEGIN { printf "convert %s (%d MB of FASTA): %.1f s, %.0f MB/s\n", f, mb, e - s, mb / (e - s) }'
done
