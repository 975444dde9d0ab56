#!/bin/sh
# make bench: measurements, never part of make test. Timings here are noisy: compare the ratios
# printed within one run, not figures across runs. About 10 minutes on 2 cores.
#  1. the data path (tools/bench_data.c): HDF5 write and read speeds, memory per reader;
#  2. the gradient exchange: DanQ (danq.ini, 44.4 M + 2.5 M parameters) trained by 2 ranks with each
#     --exchange mode: shared (node-shared memory, the default on one node), ring (MPI reduce-scatter
#     and all-gather, the default across nodes) and buckets (MPI_Iallreduce overlapped with backward);
#  3. training speed of the shipped models on synthetic data (tools/bench_model.c): seed_lstm.ini
#     (batch 400, length 190), danq.ini and deepsea.ini (batch 100, 919 targets), danq_book.ini (batch 64, 690
#     targets), each with 1 process x 1 thread, 1 x 2 threads and 2 processes x 1 thread: samples/s,
#     GFLOP/s from the analytic count, the sgemm ceiling at the model's GEMM shapes, peak memory per
#     rank against the analytic need, the gradient exchange's share of step time, and a per-layer,
#     per-phase profile of the 2-process run;
#  4. PyTorch (Debian's python3-torch, when /usr/bin/python3 has it) on the same models, data and
#     cores, tuned as the performance issue asks (tools/bench_torch.py), and the ratios.
# Results: $BENCH_DIR/results.md (table) and $BENCH_DIR/bench.log (everything printed).
# Variables: BENCH_DIR (build/bench), BENCH_ROWS (data path rows, 1000000 as the data issue asks), BENCH_BOOK=0 skips
# danq_book (it needs about 5.5 GB per rank, 11 GB for 2 ranks), BENCH_TORCH=0 skips PyTorch,
# BENCH_PARTS (default "data exchange models") picks sections.
#
# OPENBLAS_CORETYPE is removed from the environment of both programs, so that OpenBLAS picks its
# kernels for this CPU (an environment that pins an older core type, e.g. Haswell's AVX2 kernels on
# an AVX-512 machine, halves sgemm speed); set BENCH_CORETYPE to pin one for both.
set -eu
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
unset OPENBLAS_CORETYPE
[ -n "${BENCH_CORETYPE:-}" ] && export OPENBLAS_CORETYPE="$BENCH_CORETYPE"
OUT=${BENCH_DIR:-build/bench}
mkdir -p "$OUT"
N=${BENCH_ROWS:-1000000}
PARTS=${BENCH_PARTS:-data exchange models}
LOG="$OUT/bench.log"
: >"$LOG"
say() { echo "$@" | tee -a "$LOG"; }
run() { "$@" 2>&1 | tee -a "$LOG"; }
has() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

say "# make bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
say "# reproduce: make bench (tools/bench.sh); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset (OpenBLAS detects the CPU)}"

if has data; then
    say "== data path: $N x 1000 file"
    run build/bench_data "$N" 1000 "$OUT"
fi

if has exchange; then
    say "== gradient exchange, danq.ini, 2 ranks x 1 thread, batch 100: gseq_mpi train --exchange MODE"
    ./gseq_mpi synth --mode multilabel --n 700 --targets 8 --seed 2 --out "$OUT/danq.h5" >/dev/null
    field() { sed -n "s/.*\"$1\": \([0-9.e+-]*\).*/\1/p" "$2" | tail -1; }
    for mode in shared ring buckets; do
        mpirun -np 2 -x OPENBLAS_NUM_THREADS=1 ./gseq_mpi train --config jobs/configs/danq.ini \
            --data "$OUT/danq.h5" --out "$OUT/exchange-$mode" --force --quiet --set train.epochs=2 \
            --set data.test_fraction=0.1 --exchange $mode >/dev/null
        rate=$(field samples_per_s "$OUT/exchange-$mode/metrics.jsonl")
        share=$(field exchange_share "$OUT/exchange-$mode/metrics.jsonl")
        say "$mode: $rate samples/s, gradient exchange $share of step time (epoch 2)"
        eval "rate_$mode=$rate"
    done
    awk -v s="$rate_shared" -v r="$rate_ring" -v b="$rate_buckets" \
        'BEGIN { printf "shared / ring: %.2fx, buckets / ring: %.2fx\n", s / r, b / r }' | tee -a "$LOG"
fi

has models || exit 0

# ---- the models ----
# Synthetic data: binary sequences of 100..190 bases for the seed model; multilabel 1000-base
# sequences for DanQ with one JASPAR motif per target (the 205 motifs of data/ repeated up to 919
# and 690 targets; the model's shapes are what matter here).
motifs() { # the first $1 motif IDs, the list repeated as needed
    ids=$(sed -n 's/^>\([^[:space:]]*\).*/\1/p' data/jaspar_vertebrates.pfm | paste -sd, -)
    echo "$ids,$ids,$ids,$ids,$ids" | cut -d, -f1-"$1"
}
[ -f "$OUT/seed.h5" ] || ./gseq_mpi synth --mode binary --n 4000 --seed 1 --out "$OUT/seed.h5" >/dev/null
[ -f "$OUT/danq919.h5" ] || ./gseq_mpi synth --mode multilabel --n 200 --targets 919 \
    --motifs "$(motifs 919)" --seed 2 --out "$OUT/danq919.h5" >/dev/null
if [ "${BENCH_BOOK:-1}" != 0 ] && [ ! -f "$OUT/book690.h5" ]; then
    ./gseq_mpi synth --mode multilabel --n 128 --targets 690 --motifs "$(motifs 690)" --seed 3 \
        --out "$OUT/book690.h5" >/dev/null
fi

TORCH=0
if [ "${BENCH_TORCH:-1}" != 0 ] && /usr/bin/python3 -c 'import torch, h5py' 2>/dev/null; then
    TORCH=1
fi
TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296

# model LABEL CONFIG DATA STEPS WARMUP REPEAT TORCH_MODEL [BATCH]: each figure is the best of REPEAT
# timings; BATCH (default: the config's) is the batch of both gseq_mpi and PyTorch.
# gseq_mpi and PyTorch on the same cores run one right after the other (1 core: 1 x 1 then PyTorch
# with 1 thread; 2 cores: 1 x 2, 2 x 1, then PyTorch with 2 threads), so that a compared pair
# meets the same conditions on a machine that other work shares.
model() {
    label=$1 config=$2 data=$3 steps=$4 warmup=$5 repeat=$6 tmodel=$7 batch=${8:-0}
    say "== $label ($config)"
    torch_run() {
        [ "$TORCH" = 1 ] || return 0
        run env OPENBLAS_NUM_THREADS=$1 OMP_NUM_THREADS=$1 OMP_WAIT_POLICY=PASSIVE \
            GLIBC_TUNABLES=$TUNABLES /usr/bin/python3 tools/bench_torch.py --label "$label" \
            --model "$tmodel" --data "$data" --threads $1 --steps "$steps" --warmup "$warmup" \
            --repeat "$repeat" --batch "$batch"
    }
    run env OPENBLAS_NUM_THREADS=1 build/bench_model --label "$label" --config "$config" --batch "$batch" \
        --data "$data" --steps "$steps" --warmup "$warmup" --repeat "$repeat" --threads 1
    torch_run 1
    run env OPENBLAS_NUM_THREADS=2 build/bench_model --label "$label" --config "$config" --batch "$batch" \
        --data "$data" --steps "$steps" --warmup "$warmup" --repeat "$repeat" --threads 2
    run mpirun -np 2 -x OPENBLAS_NUM_THREADS=1 build/bench_model --label "$label" \
        --config "$config" --batch "$batch" --data "$data" --steps "$steps" --warmup "$warmup" \
        --repeat "$repeat" --threads 1 --profile 2
    torch_run 2
}

# the seed at its published batch of 400 (seed_lstm.ini now ships 32, for small data: recipes.md)
model "seed LSTM" jobs/configs/seed_lstm.ini "$OUT/seed.h5" 5 2 3 seed 400
model "DanQ" jobs/configs/danq.ini "$OUT/danq919.h5" 2 1 3 danq
model "DeepSEA" jobs/configs/deepsea.ini "$OUT/danq919.h5" 2 1 3 deepsea
if [ "${BENCH_BOOK:-1}" != 0 ]; then
    model "DanQ book" jobs/configs/danq_book.ini "$OUT/book690.h5" 1 1 3 danq_book
fi

if command -v python3 >/dev/null; then
    python3 tools/bench_report.py "$LOG" >"$OUT/results.md"
    echo
    cat "$OUT/results.md"
    echo
    echo "written: $OUT/results.md, $LOG"
fi
