#!/bin/sh
# fuzz.sh DIR SECONDS TARGET...: runs each libFuzzer target built in DIR (make fuzz) for SECONDS,
# one after another, on a corpus seeded from tests/fuzz/seeds/<kind>/ that grows in DIR/corpus/.
# An input that crashes, leaks, hangs (10 s) or trips a sanitizer is kept as
# DIR/crashes/<target>-crash-<sha1> (or leak-, timeout-, oom-); reproduce it with
#   DIR/<target> DIR/crashes/<file>
# and turn it into a test (tests/test_config.c, test_data.c, test_faults.c hold the ones found).
#
# libhdf5 1.10 (Debian 12) is not robust against corrupted files: some crash or hang inside the
# library (docs/reliability.md, "make fuzz"). The runs go on past a crash or a hang (-fork,
# -ignore_crashes, -ignore_timeouts), and each kept input is replayed and sorted by the innermost
# frame that is either libhdf5's or gseq_mpi's (src/, tests/fuzz/): for a crash, where it crashed;
# for a hang (libFuzzer's "timeout", its stack taken when the 10 s ran out), where the time was
# going. In libhdf5: the library's, reported and counted. Anything else (or no such frame) is
# gseq_mpi's and fails this script. (A loop of ours around a library call that is slow each time
# would be sorted as the library's: the report's stack shows which of ours called it.)
#
# Longer runs: make fuzz FUZZ_SECONDS=3600; more processes for each target: make fuzz FUZZ_JOBS=4.
# FUZZ_SEED=N fixes libFuzzer's random seed (CI does, so that a run is repeatable); 0 draws one.
set -u
DIR=$1
SECONDS_EACH=$2
shift 2
JOBS=${FUZZ_JOBS:-1}
SEED=${FUZZ_SEED:-0}
REPO=$(pwd)
# A huge allocation returns NULL, as malloc does outside the sanitizer (a corrupted HDF5 header can
# make libhdf5 ask for 2^62 bytes; it then reports an error, which is what the readers must pass on).
export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$REPO/tools/lsan.supp:print_suppressions=0"
mkdir -p "$DIR/crashes"
ours=0
for t in "$@"; do
    kind=${t#fuzz_}
    corpus=$DIR/corpus/$kind
    mkdir -p "$corpus"
    cp -n tests/fuzz/seeds/"$kind"/* "$corpus"/ 2>/dev/null
    maxlen=4096
    [ "$kind" = hdf5 ] && maxlen=65536
    ls "$DIR/crashes" | grep "^$t-" | sort >"$DIR/$t.before"
    echo "== $t: $SECONDS_EACH s on $(ls "$corpus" | wc -l) inputs (log: $DIR/$t.log)"
    # -close_fd_mask=1: the targets' stdout is noise; stderr keeps the sanitizer reports.
    "$DIR/$t" -seed="$SEED" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=$maxlen \
        -fork="$JOBS" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -close_fd_mask=1 \
        -artifact_prefix="$DIR/crashes/$t-" "$corpus" >"$DIR/$t.log" 2>&1
    grep -E "^#[0-9]+: cov: |^INFO: fuzzed for" "$DIR/$t.log" | tail -2
    library=0
    mine=0
    for c in $(ls "$DIR/crashes" | grep "^$t-" | sort | comm -13 "$DIR/$t.before" -); do
        # replayed with room to grow, so that a huge allocation is caught with its stack
        if timeout 60 "$DIR/$t" -timeout=10 -rss_limit_mb=8192 -malloc_limit_mb=2048 \
            "$DIR/crashes/$c" >"$DIR/crashes/$c.report" 2>&1; then
            echo "  not reproduced alone: $DIR/crashes/$c"
            continue
        fi
        # the innermost frame that is either libhdf5's or gseq_mpi's (src/, tests/fuzz/)
        first=$(grep -E "^ +#[0-9]+ 0x" "$DIR/crashes/$c.report" |
            grep -E "libhdf5|[ /]src/([a-z_0-9]+/)?[a-z_0-9]+\.c|tests/fuzz/" | head -1)
        case $first in
        *libhdf5*) library=$((library + 1)) ;;
        *)
            mine=$((mine + 1))
            echo "  gseq_mpi's: $DIR/crashes/$c"
            grep -E "ERROR:|SUMMARY:|runtime error" "$DIR/crashes/$c.report" | head -3 | sed 's/^/    /'
            echo "    first frame: $first"
            ;;
        esac
    done
    rm -f "$DIR/$t.before"
    echo "$t: $mine new finding(s) in gseq_mpi, $library inside libhdf5; corpus now $(ls "$corpus" | wc -l) inputs"
    ours=$((ours + mine))
done
rm -f /dev/shm/gseq_fuzz_* 2>/dev/null
[ "$ours" -eq 0 ] || echo "fuzz: $ours finding(s) in gseq_mpi's code: each becomes a test"
exit $((ours > 0))
