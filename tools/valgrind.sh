#!/bin/sh
# valgrind.sh PROGRAM: valgrind memcheck on a short training run (2 epochs of a small seed LSTM on
# 300 synthetic samples, with validation, checkpoints and the test metrics), alone and as 2 ranks
# under mpirun, then a resume from the checkpoint. Passes when memcheck reports no error and no
# definite leak in any process. Open MPI's own reports are suppressed with the file it ships
# (/usr/share/openmpi/openmpi-valgrind.supp) and tools/valgrind.supp; logs in build/valgrind/logs/.
set -u
PROG=$1
DIR=$(dirname "$PROG")
LOGS=$DIR/logs
rm -rf "$LOGS" "$DIR/run"
mkdir -p "$LOGS"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
SUPP="--suppressions=tools/valgrind.supp"
[ -r /usr/share/openmpi/openmpi-valgrind.supp ] && SUPP="$SUPP --suppressions=/usr/share/openmpi/openmpi-valgrind.supp"
VG="valgrind --tool=memcheck --error-exitcode=97 --leak-check=full --show-leak-kinds=definite \
--errors-for-leak-kinds=definite --track-origins=yes --num-callers=30 $SUPP"
"$PROG" synth --n 300 --seed 3 --out "$DIR/data.h5" >/dev/null || exit 1
ARGS="train --config jobs/configs/seed_lstm.ini --data $DIR/data.h5 --set embedding.dim=8 \
--set lstm_1.units=12 --set lstm_2.units=12 --set train.batch=40 --set train.epochs=2 --quiet"
status=0
step() { # NAME COMMAND...: runs it, says how it went
    name=$1
    shift
    started=$(date +%s)
    "$@" >"$LOGS/$name.out" 2>&1
    rc=$?
    echo "valgrind: $name: exit $rc in $(($(date +%s) - started)) s"
    [ "$rc" -eq 0 ] || status=1
}
step one_rank $VG --log-file="$LOGS/one_rank.%p.log" "$PROG" $ARGS --out "$DIR/run/p1"
step two_ranks mpirun -np 2 $VG --log-file="$LOGS/two_ranks.%p.log" "$PROG" $ARGS --out "$DIR/run/p2"
step resume_two_ranks mpirun -np 2 $VG --log-file="$LOGS/resume.%p.log" "$PROG" train \
    --resume "$DIR/run/p2/last.h5" --set train.epochs=3 --quiet
for log in "$LOGS"/*.log; do
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -1)
    if [ -z "$errors" ]; then # a fork that exec'd another program: a singleton starting orted
        echo "  $(basename "$log"): a fork that exec'd another program (Open MPI's orted), not traced"
        continue
    fi
    definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1)
    echo "  $(basename "$log"): ${errors:-?} errors, ${definite:-0} bytes definitely lost"
    if [ "${errors:-1}" != 0 ] || { [ -n "$definite" ] && [ "$definite" != 0 ]; }; then
        status=1
        grep -A25 "^==[0-9]*== [A-Z].*\(Invalid\|uninitialised\|definitely\|Mismatched\|overlap\)" "$log" | head -60
    fi
done
[ "$status" -eq 0 ] && echo "valgrind: no errors, no definite leaks" || echo "valgrind: FAILED (logs in $LOGS)"
exit $status
