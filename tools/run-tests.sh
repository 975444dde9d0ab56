#!/bin/sh
# Runs every test binary given as arguments, then every tests/test_*.sh, and prints one summary line.
# cmocka prints per-test results; shell tests print "N passed, N failed" as their last line.
# Exit status: non-zero if anything failed. TEST_TIMEOUT (seconds, default 600 a binary, 900 a shell
# test) bounds each suite; make sanitize raises it.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
passed=0
failed=0
failed_suites=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT
count() { # $1 = suite name, $2 = its exit status; reads the suite's output from $log
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p; s/^\([0-9]*\) passed, [0-9]* failed.*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p; s/^[0-9]* passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -1)
    p=${p:-0}
    f=${f:-0}
    if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed or exited non-zero without reporting a failure
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$f" -eq 0 ] || failed_suites="$failed_suites $1"
}
for t in "$@"; do
    echo "== $t"
    timeout "${TEST_TIMEOUT:-600}" "$t" >"$log" 2>&1
    rc=$?
    cat "$log"
    count "$t" "$rc"
done
for t in tests/test_*.sh; do
    [ -e "$t" ] || continue
    echo "== $t"
    timeout "${TEST_TIMEOUT:-900}" sh "$t" >"$log" 2>&1
    rc=$?
    cat "$log"
    count "$t" "$rc"
done
echo
[ -z "$failed_suites" ] || echo "failing suites:$failed_suites"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
