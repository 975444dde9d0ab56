#!/bin/sh
# test_json.sh: every JSON and JSON Lines file gseq_mpi writes is JSON that a strict parser accepts,
# on data without planted motifs (random sequences with random labels, as any real data: no
# /oracle), where the oracle's AUROC is undefined. Runs train (1 and 2 ranks), cv, eval (also with
# every target skipped, so its AUROCs are undefined) and predict, then parses each *.json and
# *.jsonl with Python's json, refusing NaN and Infinity, and checks that the undefined numbers are
# null. Run from the repo root with the built ./gseq_mpi. Prints "N passed, N failed" last.
BIN=${GSEQ_MPI:-./gseq_mpi}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
T=$(mktemp -d /tmp/gseq_json_XXXXXX)
[ -n "$KEEP" ] || trap 'rm -rf "$T"' EXIT
. tests/lib.sh

# check NAME PYTHON-EXPRESSION FILE: the strictly parsed FILE (a JSON value, or for .jsonl the list
# of its records) as `d`; the expression must be true
check() {
    if python3 - "$2" "$3" <<'EOF' >"$T/py" 2>&1; then ok; else bad "$1: $(tail -1 "$T/py")"; fi
import json, sys
def refuse(name):
    raise ValueError(f"{name} is not JSON")
path = sys.argv[2]
with open(path, encoding="utf-8") as f:
    if path.endswith(".jsonl"):
        d = [json.loads(line, parse_constant=refuse) for line in f]
    else:
        d = json.load(f, parse_constant=refuse)
if not eval("(" + sys.argv[1] + ")"):  # parenthesised: the expression may span lines
    sys.exit(f"{path}: false: {' '.join(sys.argv[1].split())}")
EOF
}

# 300 random sequences of 30..60 bases, random labels: nothing to learn, no oracle. The target's
# name is not UTF-8 (a Latin-1 e acute: U+FFFD in JSON, which must be UTF-8) and holds quotes.
python3 - "$T" <<'EOF'
import random, sys
r = random.Random(15)
fa = open(sys.argv[1] + "/r.fa", "w")
with fa, open(sys.argv[1] + "/r.tsv", "w", encoding="latin-1") as tsv:
    tsv.write("id\tcaf\xe9 \"bound\"\n")
    for i in range(300):
        fa.write(f">s{i}\n" + "".join(r.choice("ACGT") for _ in range(r.randint(30, 60))) + "\n")
        tsv.write(f"s{i}\t{r.randint(0, 1)}\n")
EOF
run convert $BIN convert --fasta "$T/r.fa" --labels "$T/r.tsv" --out "$T/r.h5"

SMALL="--config jobs/configs/seed_lstm.ini --data $T/r.h5 --quiet --set embedding.dim=4 \
    --set lstm_1.units=4 --set lstm_2.units=4 --set train.batch=40 --set train.epochs=2"
run train_1 $BIN train $SMALL --out "$T/t1"
run train_2 mpirun -np 2 $BIN train $SMALL --out "$T/t2"
run cv mpirun -np 2 $BIN cv $SMALL --folds 2 --grid train.lr=0.001,0.01 --out "$T/cv"
run eval mpirun -np 2 $BIN eval --checkpoint "$T/t1/best.h5" --data "$T/r.h5" --out "$T/ev" --quiet
run eval_skipped $BIN eval --checkpoint "$T/t1/best.h5" --data "$T/r.h5" --min-count 1000 \
    --out "$T/evs" --quiet
run predict mpirun -np 2 $BIN predict --checkpoint "$T/t2/best.h5" --data "$T/r.h5" \
    --out "$T/p.h5" --quiet

# every JSON output, strictly parsed
n=0
for f in $(find "$T" -name '*.json' -o -name '*.jsonl' | sort); do
    check "strict parse of ${f#"$T"/}" "True" "$f"
    n=$((n + 1))
done
# metrics.jsonl and test_metrics.json of t1 and t2, cv's report.json, two eval metrics.json
[ "$n" -eq 7 ] && ok || bad "expected 7 JSON files, found $n"

# the undefined numbers are null, the defined ones numbers
NAME='"caf\ufffd \x22bound\x22"' # the target's name as Python reads it from the JSON
for t in t1 t2; do
    check "$t: two epochs of numbers" 'len(d) == 2 and all(isinstance(r["epoch"], int)
        and isinstance(r["train_loss"], float) and isinstance(r["val_loss"], float) for r in d)' \
        "$T/$t/metrics.jsonl"
    check "$t: oracle_auroc null" 'd["oracle_auroc"] is None and isinstance(d["loss"], float)
        and d["n"] > 0' "$T/$t/test_metrics.json"
done
check "cv: oracle_auroc null" 'd["test"]["oracle_auroc"] is None and isinstance(d["test"]["auroc"],
    float) and d["chosen_config"] in (1, 2) and d["folds"] == 2' "$T/cv/report.json"
check "cv: settings" 'd["settings"].startswith("train.lr=") and d["monitor"] == "val_loss"' \
    "$T/cv/report.json"
check "eval: no oracle, metrics" '"oracle_auroc_mean" not in d and d["n"] == 300
    and d["rc_average"] is False and isinstance(d["auroc_mean"], float) and d["skipped"] == []
    and d["targets"][0]["target"] == '"$NAME" "$T/ev/metrics.json"
check "eval: confusion" 'd["confusion"]["classes"] == ["negative", "positive"]
    and sum(map(sum, d["confusion"]["counts"])) == 300' "$T/ev/metrics.json"
check "eval, every target skipped: null AUROCs" 'd["auroc_mean"] is None
    and d["auprc_median"] is None and d["targets"][0]["auroc"] is None
    and d["targets_evaluated"] == 0 and d["skipped"][0]["target"] == '"$NAME" "$T/evs/metrics.json"

finish
