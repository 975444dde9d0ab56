#!/bin/sh
# bench_genome.sh (part of make bench): `convert --genome` speed in bins a second, on a synthetic
# genome from `synth --genome` of BENCH_GENOME_MB million bases (default 200, in chromosomes of
# 20 Mb) with BENCH_GENOME_TARGETS targets (default 100, 10 peaks per Mb each; past synth's 200
# motifs the targets reuse its peak files, round robin, which costs what distinct files would), on one process
# (index built, then present) and over BENCH_GENOME_RANKS MPI ranks (default 2; the chromosomes
# dealt out, rank 0 merging the parts), and the time that projects for the human genome's 15.5 M
# bins of 200 bp at the same speed. With /usr/bin/time, also each run's peak memory (the largest
# rank's resident set). Then bigWig targets: BENCH_BIGWIG_TRACKS tracks (default 4) of an interval
# every ~50 bp (written by build/bedgraph_to_bigwig), every bin an example, with and without the
# peaks choosing the bins.
set -eu
OUT=${BENCH_DIR:-build/bench}/genome
MB=${BENCH_GENOME_MB:-200}
K=${BENCH_GENOME_TARGETS:-100}
RANKS=${BENCH_GENOME_RANKS:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p "$OUT"
# synth plants one motif per target and has 205; more targets reuse its peak files, round robin
SK=$(( K < 200 ? K : 200 ))
./gseq_mpi synth --genome "$OUT/genome.fa" --peaks-out "$OUT/peaks" --targets "$SK" \
    --chromosomes $(( (MB + 19) / 20 )) --chrom-length 20000000 --peaks-per-mb 10
awk -v k="$K" -F '\t' '{ f[n++] = $2 } END { for (i = 0; i < k; i++) printf "t%d\tpeaks/%s\n", i, f[i % n] }' \
    "$OUT/peaks/targets.tsv" >"$OUT/targets.tsv"
rm -f "$OUT/genome.fa.fai"
TIME=""
[ -x /usr/bin/time ] && TIME="/usr/bin/time -a -o $OUT/mem -f %M"
# run P WHAT: one conversion with P ranks (0: without mpirun); prints the speed and projection
run() {
    p=$1 what=$2
    rm -f "$OUT/mem"
    if [ "$p" -eq 0 ]; then launch=""; else launch="mpirun --oversubscribe -np $p"; fi
    start=$(date +%s.%N)
    $launch $TIME ./gseq_mpi convert --genome "$OUT/genome.fa" \
        --targets-file "$OUT/targets.tsv" --out "$OUT/train.h5" 2>"$OUT/log"
    end=$(date +%s.%N)
    bins=$(sed -n 's/.* chromosomes, \([0-9]*\) bins.*/\1/p' "$OUT/log")
    rows=$(sed -n 's/^convert: wrote \([0-9]*\) rows.*/\1/p' "$OUT/log")
    mem=$([ -s "$OUT/mem" ] && sort -n "$OUT/mem" | tail -1 || echo 0)
    awk -v b="$bins" -v r="$rows" -v s="$start" -v e="$end" -v w="$what" -v k="$K" -v m="$mem" \
        -v p="$p" 'BEGIN {
        t = e - s; printf "convert --genome (%.0f Mb, %d targets, %s, %d rank%s): %.1f s, %.0f" \
            " bins/s, %d rows; 15.5 M bins would take %.0f s", b * 200 / 1e6, k, w, (p ? p : 1), \
            (p > 1 ? "s" : ""), t, b / t, r, 15.5e6 / (b / t)
        if (m > 0) printf "; peak memory %.0f MB", m / 1024
        printf "\n" }'
}
run 0 "index built"
run 0 "index present"
run "$RANKS" "index present"
rm -f "$OUT/train.h5" "$OUT/mem"

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
