#!/bin/sh
# test_slurm.sh: the job scripts in jobs/ submitted with sbatch to a real single-node SLURM started
# for the test (tests/slurm_cluster.sh): train and cv complete with their outputs; a training job
# signalled mid-run checkpoints, requeues itself and resumes to the same parameters as an
# uninterrupted job; the scripts refuse to run outside SLURM. Prints "N passed, N failed" last.
cd "$(dirname "$0")/.." || exit 1
. tests/slurm_cluster.sh
. tests/lib.sh
T=$(mktemp -d /tmp/gseq_slurm_XXXXXX)
cleanup() {
    slurm_stop
    if [ "$fail" -gt 0 ]; then # keep the evidence
        rm -rf /tmp/gseq_slurm_failed && cp -r "$T/slurm/log" /tmp/gseq_slurm_failed && cp "$T"/*.out /tmp/gseq_slurm_failed/ 2>/dev/null
        echo "slurm logs kept in /tmp/gseq_slurm_failed"
    fi
    rm -rf "$T"
}
trap cleanup EXIT

if ! slurm_install || ! slurm_start "$T/slurm"; then
    bad "could not start a SLURM cluster"
    echo "$pass passed, $fail failed"
    exit 1
fi
ok "single-node SLURM up ($(sinfo -h -o '%P %t %c CPUs'))"

./gseq_mpi synth --mode binary --n 600 --seed 3 --out "$T/data.h5" >/dev/null
SMALL="--set embedding.dim=8 --set lstm_1.units=8 --set lstm_2.units=8 --set train.batch=40 --set train.lr=0.01"
CONFIG=jobs/configs/seed_lstm.ini

# 1. train.sbatch runs to the end
if sbatch --wait -o "$T/train.out" --export=ALL,CONFIG=$CONFIG,DATA="$T/data.h5",OUT="$T/train",ARGS="$SMALL --set train.epochs=2" \
    jobs/train.sbatch >/dev/null && [ -f "$T/train/last.h5" ] && [ -f "$T/train/test_metrics.json" ] &&
    grep -q "2 ranks" "$T/train/train.log"; then
    ok "train.sbatch: 2 ranks under srun --mpi=pmix, checkpoints and test metrics written"
else
    bad "train.sbatch"; cat "$T/train.out"
fi

# 2. cv.sbatch
# (a value with commas cannot go through --export's list: export it instead)
if ARGS="$SMALL --set train.epochs=2 --folds 2 --grid train.lr=0.01,0.003" \
    sbatch --wait -o "$T/cv.out" --export=ALL,CONFIG=$CONFIG,DATA="$T/data.h5",OUT="$T/cv" jobs/cv.sbatch >/dev/null && [ -f "$T/cv/report.json" ] && [ "$(wc -l < "$T/cv/cv.tsv")" -eq 5 ]; then
    ok "cv.sbatch: 2 configurations x 2 folds, report written"
else
    bad "cv.sbatch"; cat "$T/cv.out"
fi

# 3. predict.sbatch on the model of 1.
if sbatch --wait -o "$T/predict.out" --export=ALL,CHECKPOINT="$T/train/best.h5",DATA="$T/data.h5",OUT="$T/pred.h5" \
    jobs/predict.sbatch >/dev/null && [ -s "$T/pred.h5" ]; then
    ok "predict.sbatch: predictions written"
else
    bad "predict.sbatch"; cat "$T/predict.out"
fi

# 4. scaling.sbatch: strong and weak sweeps over 1 and 2 ranks, a table of 4 rows
if sbatch --wait -o "$T/scaling.out" --export=ALL,CONFIG=$CONFIG,DATA="$T/data.h5",OUT="$T/scaling",BATCH=40,ARGS="$SMALL" \
    jobs/scaling.sbatch >/dev/null && [ "$(wc -l < "$T/scaling/scaling.tsv")" -eq 5 ]; then
    ok "scaling.sbatch: $(tr '\n' ' ' < "$T/scaling/scaling.tsv")"
else
    bad "scaling.sbatch"; cat "$T/scaling.out"
fi

# 5. outside SLURM the scripts refuse and say what to run instead
for s in train cv predict scaling; do
    if env -u SLURM_JOB_ID bash "jobs/$s.sbatch" >"$T/out" 2>&1; then
        bad "$s.sbatch ran outside SLURM"
    elif grep -q "not inside a SLURM job" "$T/out" && grep -q "mpirun -np" "$T/out"; then
        ok "$s.sbatch refuses outside SLURM"
    else
        bad "$s.sbatch outside SLURM: $(cat "$T/out")"
    fi
done

# 6. preemption: USR1 mid-run -> last.h5, requeue, resume -> same parameters as uninterrupted
ARGS3="$SMALL --set train.epochs=3 --log-every 1"
sbatch --wait -o "$T/whole.out" --export=ALL,CONFIG=$CONFIG,DATA="$T/data.h5",OUT="$T/whole",ARGS="$ARGS3" \
    jobs/train.sbatch >/dev/null
job=$(sbatch --parsable -o "$T/pre.out" \
    --export=ALL,GSEQ_FAULT_STEP_SLEEP_MS=150,CONFIG=$CONFIG,DATA="$T/data.h5",OUT="$T/pre",ARGS="$ARGS3" \
    jobs/train.sbatch)
[ -n "$job" ] || { bad "preemption: sbatch failed"; echo "$pass passed, $fail failed"; exit 1; }
i=0
until grep -q "epoch 2/3 step 3/" "$T/pre/train.log" 2>/dev/null || [ $i -ge 600 ]; do
    sleep 0.1
    i=$((i + 1))
done
scancel --signal=USR1 --batch "$job"
signalled_at=$(date +%s)
i=0
while [ $i -lt 1200 ]; do # SLURM holds a requeued job about 2 minutes before it starts again
    state=$(job_state "$job")
    [ "$state" = COMPLETED ] || [ "$state" = FAILED ] || [ "$state" = CANCELLED ] && break
    sleep 0.2
    i=$((i + 1))
done
restarts=$(scontrol show job "$job" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
echo "the preempted job finished $(($(date +%s) - signalled_at)) s after the signal"
if [ "$state" = COMPLETED ] && [ "${restarts:-0}" -ge 1 ] && grep -q "stopped by signal" "$T/pre/train.log" &&
    h5diff -d 0 "$T/whole/last.h5" "$T/pre/last.h5" /params /params >/dev/null &&
    h5diff -d 0 "$T/whole/last.h5" "$T/pre/last.h5" /adam/m /adam/m >/dev/null; then
    ok "preempted job (USR1, requeued $restarts time) resumed to bit-identical parameters"
else
    bad "preemption: state $state, restarts $restarts"; tail -20 "$T/pre.out"; tail -5 "$T/pre/train.log"
fi

finish
