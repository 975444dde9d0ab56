#!/bin/sh
# make bench: measurements, never part of make test. Timings here are noisy: compare the ratios
# printed within one run, not figures across runs.
#  1. the data path (tools/bench_data.c): HDF5 write and read speeds, memory per reader;
#  2. the gradient exchange: DanQ (danq.ini, 44.4 M + 2.5 M parameters) trained by 2 ranks with the
#     bucketed MPI_Iallreduce overlapped with backward, and with one MPI_Allreduce after it.
set -eu
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
OUT=${BENCH_DIR:-build/bench}
mkdir -p "$OUT"
N=${BENCH_ROWS:-200000}

echo "== data path: $N x 1000 file"
build/bench_data "$N" 1000 "$OUT"

echo "== gradient exchange, danq.ini, 2 ranks x 1 thread, batch 100"
./gseq_mpi synth --mode multilabel --n 700 --targets 8 --seed 2 --out "$OUT/danq.h5" >/dev/null
field() { sed -n "s/.*\"$1\": \([0-9.e+-]*\).*/\1/p" "$2" | tail -1; }
for mode in overlap no-overlap; do
    flag="--no-overlap"
    [ "$mode" = overlap ] && flag="--overlap"
    mpirun -np 2 -x OPENBLAS_NUM_THREADS=1 ./gseq_mpi train --config jobs/configs/danq.ini \
        --data "$OUT/danq.h5" --out "$OUT/$mode" --force --quiet --set train.epochs=2 \
        --set data.test_fraction=0.1 $flag >/dev/null
    rate=$(field samples_per_s "$OUT/$mode/metrics.jsonl")
    share=$(field exchange_share "$OUT/$mode/metrics.jsonl")
    echo "$mode: $rate samples/s, gradient exchange $share of step time (epoch 2)"
    eval "rate_$(echo $mode | tr - _)=$rate"
done
awk -v a="$rate_overlap" -v b="$rate_no_overlap" 'BEGIN { printf "overlap / no-overlap: %.2fx\n", a / b }'
