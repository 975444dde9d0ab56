/* metrics.h: evaluation metrics over predicted probabilities, exact and with ties handled as
 * scikit-learn does: AUROC as roc_auc_score (ties count one half). */
#ifndef GSEQ_METRICS_H
#define GSEQ_METRICS_H

#include <stddef.h>

#include "task.h"

/* AUROC of scores against 0/1 labels, both read with a stride (column k of an (n, K) array:
 * base + k, stride K). Returns NaN when only one class is present. */
double metric_auroc(const float *scores, const float *labels, size_t n, size_t stride);

typedef struct {
    double loss;       /* mean loss */
    double accuracy;   /* binary: threshold 0.5 on every target; multiclass: argmax; NaN for multilabel */
    double auroc_mean; /* mean over targets with both classes; NaN if none */
    int auroc_targets; /* targets that entered the mean */
} EvalSummary;

/* Accuracy and mean AUROC of probabilities (n, K) against labels (n, K); loss is left to the caller. */
void metrics_summarise(Task task, const float *probs, const float *labels, size_t n, int K,
                       EvalSummary *out);

#endif
