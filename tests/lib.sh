# tests/lib.sh: what the shell tests share, sourced (`. tests/lib.sh`) from the repo root after the
# test has set T, its temporary folder: the counts (ok, bad, skip, finish), a command that must
# succeed (run, expect_ok, contains) and one that must fail the way gseq_mpi's errors do
# (expect_fail, expect_status: the exit status, exactly one line on stderr holding every pattern,
# and no output or temporary file left behind), and a Python check (py_check).
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; }

# finish: the last line every test prints, and its exit status
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}

# run NAME CMD...: the command must succeed; its output is in $T/out for the failure message
run() {
    name=$1
    shift
    if "$@" >"$T/out" 2>&1; then ok; else bad "$name: exit $?: $(tail -3 "$T/out")"; fi
}

# expect_ok NAME OUT CMD...: exit 0 and OUT written, no temporary file beside it; stdout and
# stderr in $T/stdout and $T/stderr
expect_ok() {
    name=$1 out=$2
    shift 2
    rm -f "$out"
    if "$@" >"$T/stdout" 2>"$T/stderr" && [ -s "$out" ] && ! ls "$out".tmp* >/dev/null 2>&1; then
        ok
    else
        bad "$name: expected success and $out; stderr: $(cat "$T/stderr")"
    fi
}

# py_check NAME CODE [ARGS...]: $PY -c CODE ARGS exits 0 (what it prints is shown either way)
py_check() {
    name=$1 code=$2
    shift 2
    if "$PY" -c "$code" "$@" >"$T/py" 2>&1; then ok; cat "$T/py"; else bad "$name: $(cat "$T/py")"; fi
}

# contains NAME FILE TEXT: FILE has TEXT
contains() {
    if grep -qF -- "$3" "$2"; then ok; else bad "$1: no '$3' in $(cat "$2")"; fi
}

# lacks_any PATTERNS MESSAGE: the patterns (one a line) that MESSAGE does not contain, quoted
lacks_any() {
    printf '%s\n' "$1" | while IFS= read -r p; do
        [ -z "$p" ] && continue
        case $2 in *"$p"*) ;; *) echo "'$p'" ;; esac
    done
}

# expect_status NAME STATUS OUT PATTERN... -- CMD...: exit STATUS, one line on stderr containing
# every PATTERN (under mpirun, which adds lines of its own: one line starting with gseq_mpi), and
# neither OUT nor OUT.tmp* left behind (OUT "-": no output to check)
expect_status() {
    name=$1 want=$2 out=$3
    shift 3
    pats=""
    while [ "$1" != "--" ]; do
        pats="$pats
$1"
        shift
    done
    shift
    [ "$out" = - ] || rm -rf "$out"
    "$@" >"$T/stdout" 2>"$T/stderr"
    st=$?
    if [ "$st" -ne "$want" ]; then
        bad "$name: expected exit $want, got $st: $(cat "$T/stderr")"
        return
    fi
    if [ "$1" = mpirun ]; then grep '^gseq_mpi' "$T/stderr" >"$T/ours"; else cp "$T/stderr" "$T/ours"; fi
    if [ "$(wc -l <"$T/ours")" -ne 1 ]; then
        bad "$name: expected one line on stderr, got: $(cat "$T/stderr")"
        return
    fi
    msg=$(cat "$T/ours")
    missing=$(lacks_any "$pats" "$msg")
    if [ -n "$missing" ]; then
        bad "$name: message lacks $missing: $msg"
    elif [ "$out" != - ] && { [ -e "$out" ] || ls "$out".tmp* >/dev/null 2>&1; }; then
        bad "$name: output or temporary file left behind"
    else
        ok
    fi
}

# expect_fail NAME OUT PATTERN... -- CMD...: expect_status with exit 1, what bad input gives
expect_fail() {
    name=$1 out=$2
    shift 2
    expect_status "$name" 1 "$out" "$@"
}
