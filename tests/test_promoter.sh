#!/bin/sh
# test_promoter.sh: a real dataset from Debian, end to end. R's kernlab (r-cran-kernlab) ships
# promotergene, the UCI promoter gene sequences (106 E. coli sequences of 57 bp, half promoters);
# tools/export_promotergene.R writes FASTA + TSV, convert makes the data file, and 10-fold `cv`
# over jobs/configs/tiny_conv.ini chooses a model whose folds' mean validation accuracy reaches
# back-propagation's published 0.925 (leave-one-out, 8/106 errors). Skipped, with the reason, where
# Rscript or kernlab is missing. Prints "N passed, N failed" last.
cd "$(dirname "$0")/.." || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
. tests/lib.sh
if ! command -v Rscript >/dev/null 2>&1; then
    echo "skipped: Rscript is missing (Debian: apt-get install r-base-core r-cran-kernlab)"
    echo "0 passed, 0 failed"
    exit 0
fi
if ! Rscript -e 'quit(status = !requireNamespace("kernlab", quietly = TRUE))' >/dev/null 2>&1; then
    echo "skipped: the R package kernlab is missing (Debian: apt-get install r-cran-kernlab)"
    echo "0 passed, 0 failed"
    exit 0
fi
T=build/test_promoter
rm -rf "$T" && mkdir -p "$T"
if Rscript tools/export_promotergene.R "$T/promoter" 2>"$T/export.err" &&
    [ "$(grep -c '^>' "$T/promoter.fa")" = 106 ] && [ "$(sed 1d "$T/promoter.tsv" | awk '$2 == 1' | wc -l)" = 53 ]; then
    ok "exported 106 sequences, 53 promoters"
else
    bad "export: $(cat "$T/export.err")"
fi
if ./gseq_mpi convert --fasta "$T/promoter.fa" --labels "$T/promoter.tsv" --out "$T/promoter.h5" >/dev/null 2>"$T/convert.err"; then
    ok "converted"
else
    bad "convert: $(cat "$T/convert.err")"
fi
if mpirun -np 2 ./gseq_mpi cv --config jobs/configs/tiny_conv.ini --data "$T/promoter.h5" --folds 10 \
    --grid conv1d.width=7,11 --quiet --out "$T/cv" >"$T/cv.out" 2>&1; then
    ok "cv ran: $(grep '^test' "$T/cv.out")"
else
    bad "cv: $(tail -3 "$T/cv.out")"
fi
# the chosen configuration's mean validation accuracy over the 10 folds (report.json's ranking)
acc=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); r = d["ranking"][0]; print(r["val_accuracy_mean"])' "$T/cv/report.json" 2>/dev/null)
if [ -n "$acc" ] && awk -v a="$acc" 'BEGIN { exit !(a >= 0.925) }'; then
    ok "10-fold mean validation accuracy $acc >= 0.925 (back-propagation's leave-one-out)"
else
    bad "10-fold mean validation accuracy ${acc:-missing}, expected at least 0.925"
fi
finish
