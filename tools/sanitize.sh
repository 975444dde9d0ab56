#!/bin/sh
# sanitize.sh DIR TEST...: runs the whole test suite (the cmocka binaries given, then tests/test_*.sh)
# against the AddressSanitizer + UndefinedBehaviorSanitizer build in DIR (make sanitize builds it).
# The suite runs from DIR/root, a mirror of the repository whose ./gseq_mpi is DIR/gseq_mpi, so the
# tests' relative paths (./gseq_mpi, build/tests/test_*, tests/fixtures, jobs/configs) all resolve.
# Any sanitizer report ends its process with status 99 and fails the test that ran it; the reports
# are also collected in DIR/reports/ and listed at the end. Leaks are reported for gseq_mpi's own
# code; the libraries' own (Open MPI, PMIx, hwloc, HDF5, OpenBLAS) are suppressed in
# tools/lsan.supp.
set -u
DIR=$1
shift
REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$DIR/root
mkdir -p "$ROOT/build" "$DIR/reports"
rm -f "$DIR"/reports/*
for d in tests jobs data tools docs; do
    ln -sfn "$REPO/$d" "$ROOT/$d"
done
ln -sf "$REPO/$DIR/gseq_mpi" "$ROOT/gseq_mpi"
for f in README.md LICENSE; do # tests/test_docs.sh reads README.md and docs/, and follows their links
    ln -sf "$REPO/$f" "$ROOT/$f"
done
ln -sfn "$REPO/$DIR/tests" "$ROOT/build/tests" # tests that launch themselves (build/tests/test_par)
ln -sf "$REPO/$DIR/bedgraph_to_bigwig" "$ROOT/build/bedgraph_to_bigwig" # tests/test_bigwig.sh
tests=""
for t in "$@"; do
    tests="$tests $REPO/$t"
done
REPORTS=$REPO/$DIR/reports
# fast_unwind_on_malloc=0: whole stacks through libc and the MPI libraries, so that suppressions
# match; verify_asan_link_order=0 and the nodlclose shim: see tools/nodlclose.c.
export ASAN_OPTIONS="exitcode=99:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:fast_unwind_on_malloc=0:verify_asan_link_order=0:log_path=$REPORTS/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=99:log_path=$REPORTS/ubsan"
# use_tls=0: LeakSanitizer (gcc 12's libasan, glibc 2.36) crashes in its own tracer while it
# scans threads' TLS at exit ("Tracer caught signal 11: addr=0x3b98"): 8 of 8 three-epoch
# single-rank runs with TLS scanning, 0 of 6 without. Not scanning TLS can only add reports (a block
# held only from TLS would look leaked), never hide one.
export LSAN_OPTIONS="suppressions=$REPO/tools/lsan.supp:print_suppressions=0:use_tls=0"
export LD_PRELOAD="$REPO/$DIR/nodlclose.so${LD_PRELOAD:+ $LD_PRELOAD}"
# The SLURM test launches through slurmd, which does not pass these on; it runs the sanitized
# program all the same (GSEQ in the job scripts defaults to the submit directory's ./gseq_mpi).
export TEST_TIMEOUT=${TEST_TIMEOUT:-3600} # the sanitized program is several times slower
export GSEQ_SANITIZED=1                    # tests that measure memory skip themselves
cd "$ROOT" || exit 1
started=$(date +%s)
OUT=$REPO/$DIR
{
    "$REPO/tools/run-tests.sh" $tests
    echo $? >"$OUT/suite.status"
} | tee "$OUT/suite.log"
status=$(cat "$OUT/suite.status")
# Should LeakSanitizer's tracer crash all the same ("Tracer caught signal"): not a finding in
# gseq_mpi, but the suite that ran it fails. When every report is such a crash, the failing suites
# run once more, and their second run decides.
flakes=$(grep -l "Tracer caught signal" "$REPORTS"/* 2>/dev/null)
if [ -n "$flakes" ] && [ -z "$(grep -L "Tracer caught signal" "$REPORTS"/* 2>/dev/null)" ]; then
    for r in $flakes; do
        echo "sanitize: $r: LeakSanitizer's tracer crashed (its own fault, not a finding)"
        rm -f "$r"
    done
    again=$(sed -n 's/^failing suites://p' "$OUT/suite.log")
    echo "sanitize: running again:$again"
    status=0
    for t in $again; do
        echo "== $t (again)"
        case $t in
        *.sh) timeout "$TEST_TIMEOUT" sh "$t" >"$OUT/again.log" 2>&1 ;;
        *) timeout "$TEST_TIMEOUT" "$t" >"$OUT/again.log" 2>&1 ;;
        esac
        rc=$?
        tail -3 "$OUT/again.log"
        [ "$rc" -eq 0 ] || status=1
    done
fi
echo "sanitize: suite took $(($(date +%s) - started)) s"
if ls "$REPORTS"/* >/dev/null 2>&1; then
    echo "sanitize: reports in $DIR/reports:"
    for r in "$REPORTS"/*; do
        echo "== $r"
        head -40 "$r"
    done
    status=1
else
    echo "sanitize: no AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer reports"
fi
exit $status
