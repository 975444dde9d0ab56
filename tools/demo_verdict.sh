#!/bin/sh
# demo_verdict.sh: the last line of `make demo`: the test AUROC of a train run next to the planted
# motifs' oracle, and whether it came within GAP (default 0.02) of it. Reads DIR/test_metrics.json
# (one line of JSON, as train writes it) with sed and awk only; exits 1 when the model fell short.
#   usage: tools/demo_verdict.sh DIR [GAP]
set -eu
dir=${1:?usage: tools/demo_verdict.sh DIR [GAP]}
gap=${2:-0.02}
json="$dir/test_metrics.json"
[ -r "$json" ] || { echo "demo_verdict.sh: $json: missing (did the training finish?)" >&2; exit 1; }
field() { sed -n "s/.*\"$1\": \([-0-9.eE]*\).*/\1/p" "$json"; }
auroc=$(field auroc)
oracle=$(field oracle_auroc)
[ -n "$auroc" ] && [ -n "$oracle" ] ||
    { echo "demo_verdict.sh: $json: expected numbers auroc and oracle_auroc" >&2; exit 1; }
awk -v a="$auroc" -v o="$oracle" -v g="$gap" -v d="$dir" 'BEGIN {
    short = o - a
    if (short <= g) {
        printf "demo: test AUROC %.4f, the planted motifs%s oracle %.4f: within %.4f of it (goal: %s) - the model found the motif\n", a, "\047", o, short, g
        exit 0
    }
    printf "demo: test AUROC %.4f, the planted motifs%s oracle %.4f: %.4f short of it, more than the goal of %s (see %s/train.log)\n", a, "\047", o, short, g, d
    exit 1
}'
