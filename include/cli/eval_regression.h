/* eval_regression.h: `gseq_mpi eval` of a regression checkpoint (cmd_eval.c calls it on rank 0):
 * Pearson, Spearman and MSE per target (metrics.h) into DIR/metrics.json and DIR/targets.tsv, and
 * the summary on the screen. No curves and no confusion matrix: they are for classes. */
#ifndef GSEQ_EVAL_REGRESSION_H
#define GSEQ_EVAL_REGRESSION_H

#include "base/util.h"
#include "train/infer.h"

typedef struct {
    const char *checkpoint, *out, *chroms; /* as given to eval */
    int rc_average, ranks, quiet;
    double loss, started; /* the mean loss (infer_run) and the command's start */
} EvalRegressionRun;

/* pred and labels (n, K) on rank 0 in row order. */
int eval_regression_report(const EvalRegressionRun *run, const Trained *t, const InferInput *in,
                           const float *pred, const float *labels, Error *err);

#endif
