#!/bin/sh
# test_cli.sh: the command layer from the command line, run from the repo root with the built
# ./gseq_mpi. Every command's --help lists every option of its table (src/cli/cmd_<command>.c),
# and every option it lists is accepted; the same mistake gets the same one-line message, with the
# same exit status (2 for a bad command line) from every command. Prints "N passed, N failed" last.
BIN=${GSEQ_MPI:-./gseq_mpi}
T=$(mktemp -d /tmp/gseq_cli_XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/lib.sh

# --help: exit 0; every OPT_*("name", ...) entry of the command's table is listed; every listed
# --name is known to the parser (it gives no "unknown option").
COMMANDS=$("$BIN" --help | awk '/^  [a-z]/ {print $1}') # every command main.c lists
for c in $COMMANDS; do
    if ! "$BIN" $c --help >"$T/help" 2>"$T/stderr"; then
        bad "$c --help: exit status non-zero"
        continue
    fi
    grep -q "^usage: gseq_mpi $c" "$T/help" || bad "$c --help: no usage line"
    names=$(grep -o 'OPT_[A-Z0-9]*("[a-z0-9-]*"' "src/cli/cmd_$c.c" | sed 's/.*("//; s/"$//')
    [ -n "$names" ] || bad "$c: no option table found in src/cli/cmd_$c.c"
    missing=""
    for n in $names; do
        grep -q -- "^  --$n\( \|$\)" "$T/help" || missing="$missing --$n"
    done
    if [ -z "$missing" ]; then ok; else bad "$c --help does not list$missing"; fi
    refused=""
    for n in $(sed -n 's/^  --\([a-z0-9-]*\).*/\1/p' "$T/help"); do
        "$BIN" $c "--$n" >/dev/null 2>"$T/stderr"
        ! grep -q "unknown option" "$T/stderr" || refused="$refused --$n"
    done
    if [ -z "$refused" ]; then ok; else bad "$c: listed in --help but refused:$refused"; fi
done

# expect NAME STATUS MESSAGE -- CMD...: exit STATUS and exactly MESSAGE as the one line on stderr
expect() {
    name=$1 want_status=$2 want=$3
    shift 4
    "$@" >/dev/null 2>"$T/stderr"
    st=$?
    got=$(cat "$T/stderr")
    if [ "$st" -ne "$want_status" ]; then
        bad "$name: exit status $st, expected $want_status ($got)"
    elif [ "$got" != "$want" ]; then
        bad "$name: got '$got', expected '$want'"
    else
        ok
    fi
}

for c in $COMMANDS; do # a bad command line is exit status 2 from every command
    expect "$c: unknown option" 2 "gseq_mpi $c: unknown option --bogus (see gseq_mpi $c --help)" -- \
        "$BIN" $c --bogus
done
expect "train: missing value" 2 "gseq_mpi train: --threads needs a value" -- "$BIN" train --threads
expect "eval: missing value" 2 "gseq_mpi eval: --batch needs a value" -- "$BIN" eval --batch
expect "synth: missing value" 2 "gseq_mpi synth: --seed needs a value" -- "$BIN" synth --seed
expect "train: bad number" 2 "gseq_mpi train: --threads 'abc': expected an integer from 1 to 1000000" -- \
    "$BIN" train --threads abc
expect "predict: bad number" 2 "gseq_mpi predict: --batch '1.5': expected an integer from 1 to 1000000" -- \
    "$BIN" predict --batch 1.5
expect "info: out of range" 2 "gseq_mpi info: --length '0': expected an integer from 1 to 1000000000" -- \
    "$BIN" info --length 0
expect "cv: out of range" 2 "gseq_mpi cv: --folds '1': expected an integer from 2 to 100000" -- \
    "$BIN" cv --folds 1
expect "convert: out of range" 2 "gseq_mpi convert: --compress '12': expected an integer from 0 to 9" -- \
    "$BIN" convert --compress 12
expect "synth: number out of range" 2 "gseq_mpi synth: --gc '1.5': expected a number from 0 to 1" -- \
    "$BIN" synth --gc 1.5
expect "train: not a choice" 2 "gseq_mpi train: --exchange 'fast': expected auto, shared, ring or buckets" -- \
    "$BIN" train --exchange fast
expect "predict: not a choice" 2 "gseq_mpi predict: --padding 'middle': expected pre or post" -- \
    "$BIN" predict --padding middle
expect "eval: required" 2 "gseq_mpi eval: --checkpoint CKPT is required" -- "$BIN" eval --data x --out y
expect "cv: required" 2 "gseq_mpi cv: --out DIR is required" -- "$BIN" cv --config x
expect "flag with a value" 2 "gseq_mpi train: --quiet takes no value" -- "$BIN" train --quiet=yes
sets=""
for i in $(seq 65); do sets="$sets --set a.b=$i"; done
expect "train: repeatable, at most 64" 2 "gseq_mpi train: more than 64 --set options" -- \
    "$BIN" train $sets
expect "info: repeatable, at most 64" 2 "gseq_mpi info: more than 64 --set options" -- "$BIN" info $sets
grids=""
for i in $(seq 17); do grids="$grids --grid train.lr=$i"; done
expect "cv: --grid at most 16" 2 "gseq_mpi cv: more than 16 --grid options" -- "$BIN" cv $grids

finish
