#!/bin/sh
# test_docs.sh: the documentation against the program, run from the repo root with the built
# ./gseq_mpi. Checks that every --flag that `gseq_mpi <command> --help` prints is named in
# docs/cli.md, that every relative link (and its #anchor) in README.md and docs/*.md points to an
# existing file and heading, and that README.md stays short (at most 260 lines).
# Prints "N passed, N failed" last; exits non-zero on any failure. Takes a few seconds (mostly the MPI start-up of each --help).
BIN=${GSEQ_MPI:-./gseq_mpi}
CLI=${CLI_DOC:-docs/cli.md}
README_MAX=260
T=$(mktemp -d /tmp/gseq_docs_XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/lib.sh

# The commands, from the program's own list (lines "  name  what it does").
if ! "$BIN" --help >"$T/help" 2>&1; then
    bad "$BIN --help failed: $(cat "$T/help")"
fi
commands=$(sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' "$T/help")
if [ -n "$commands" ] && [ "$(echo "$commands" | wc -l)" -ge 7 ]; then
    ok
else
    bad "gseq_mpi --help lists fewer than 7 commands: $commands"
fi

# Every flag of every command's --help is named in docs/cli.md (as --flag, not as a prefix of a
# longer flag).
for c in $commands; do
    if ! "$BIN" "$c" --help >"$T/$c.help" 2>&1; then
        bad "gseq_mpi $c --help: non-zero exit: $(head -1 "$T/$c.help")"
        continue
    fi
    flags=$(grep -o -- '--[a-z][a-z0-9-]*' "$T/$c.help" | sort -u)
    if [ -z "$flags" ]; then
        bad "gseq_mpi $c --help prints no flag"
        continue
    fi
    missing=""
    for f in $flags; do
        grep -Eq -- "$f([^a-z0-9-]|\$)" "$CLI" || missing="$missing $f"
    done
    if [ -z "$missing" ]; then
        ok
    else
        bad "$CLI does not name the flags of gseq_mpi $c:$missing"
    fi
done

# GitHub's anchor of a heading: lower case, punctuation dropped except - and _, spaces to -.
anchors() {
    sed -n 's/^#\{1,6\} \{1,\}//p' "$1" | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9 _-]//g; s/ /-/g'
}

# Every relative link [text](target) of the pages: the file exists; a #anchor is a heading there.
for page in README.md docs/*.md data/README.md; do
    [ -f "$page" ] || continue
    dir=$(dirname "$page")
    broken=""
    # inline code can hold ](...) that is not a link: leave `...` spans out
    links=$(sed 's/`[^`]*`//g' "$page" | grep -o '\](\([^)]*\))' | sed 's/^](//; s/)$//')
    for l in $links; do
        case $l in
        http://* | https://* | mailto:*) continue ;;
        esac
        file=${l%%#*}
        anchor=""
        case $l in *'#'*) anchor=${l#*#} ;; esac
        if [ -z "$file" ]; then
            target=$page
        else
            target=$dir/$file
        fi
        if [ ! -e "$target" ]; then
            broken="$broken $l (no $target)"
        elif [ -n "$anchor" ] && [ -f "$target" ] && ! anchors "$target" | grep -qx -- "$anchor"; then
            broken="$broken $l (no heading #$anchor in $target)"
        fi
    done
    if [ -z "$broken" ]; then
        ok
    else
        bad "$page: broken links:$broken"
    fi
done

# The README is a newcomer's page; the reference belongs in docs/.
lines=$(wc -l <README.md)
if [ "$lines" -le "$README_MAX" ]; then
    ok
else
    bad "README.md has $lines lines (at most $README_MAX: move reference material to docs/)"
fi

finish
