#!/bin/sh
# bench_genome.sh (part of make bench): `convert --genome` speed in bins a second, on a synthetic
# genome from `synth --genome` of BENCH_GENOME_MB million bases (default 200, in chromosomes of
# 20 Mb) with BENCH_GENOME_TARGETS peak files (default 100, 10 peaks per Mb each), and the time
# that projects for the human genome's 15.5 M bins of 200 bp at the same speed. Then bigWig
# targets: BENCH_BIGWIG_TRACKS tracks (default 4) of an interval every ~50 bp (written by
# build/bedgraph_to_bigwig), every bin an example, with and without the peaks choosing the bins.
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

NT=${BENCH_BIGWIG_TRACKS:-4}
[ "$NT" -gt 0 ] || exit 0
tracks=""
for t in $(seq 1 "$NT"); do
    /usr/bin/python3 - "$OUT/genome.fa.fai" "$t" >"$OUT/track.bedGraph" <<'PYEOF'
import sys, numpy as np
rng = np.random.default_rng(int(sys.argv[2]))
for line in open(sys.argv[1]):
    name, n = line.split()[0], int(line.split()[1])
    k = n // 25
    width, gap = rng.integers(1, 80, k), rng.integers(0, 40, k) * (rng.random(k) < 0.5)
    start = np.cumsum(width + gap) - width
    keep = start + width <= n
    s, e = start[keep], (start + width)[keep]
    v = rng.gamma(1.0, 3.0, len(s)).astype(np.float32)
    sys.stdout.write("".join("%s\t%d\t%d\t%.4g\n" % (name, a, b, x) for a, b, x in zip(s, e, v)))
PYEOF
    cut -f1,2 "$OUT/genome.fa.fai" >"$OUT/chrom.sizes"
    build/bedgraph_to_bigwig "$OUT/track.bedGraph" "$OUT/chrom.sizes" "$OUT/track$t.bw"
    tracks="$tracks --bigwig $OUT/track$t.bw"
done
ivs=$(wc -l <"$OUT/track.bedGraph")
rm -f "$OUT/track.bedGraph"
for peaks in "" "--targets-file $OUT/peaks/targets.tsv"; do
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    ./gseq_mpi convert --genome "$OUT/genome.fa" $tracks $peaks --out "$OUT/train.h5" 2>"$OUT/log"
    end=$(date +%s.%N)
    bins=$(sed -n 's/.* chromosomes, \([0-9]*\) bins.*/\1/p' "$OUT/log")
    rows=$(sed -n 's/^convert: wrote \([0-9]*\) rows.*/\1/p' "$OUT/log")
    awk -v b="$bins" -v r="$rows" -v s="$start" -v e="$end" -v n="$NT" -v i="$ivs" \
        -v p="${peaks:+, the peaks choosing the bins}" 'BEGIN { t = e - s
        printf "convert --genome --bigwig (%.0f Mb, %d tracks of %d intervals%s): %.1f s, %.0f bins/s," \
            " %.0f rows/s, %d rows\n", b * 200 / 1e6, n, i, p, t, b / t, r / t, r }'
done
rm -f "$OUT/train.h5" "$OUT"/track*.bw
