/* metrics.h: evaluation metrics over predicted probabilities, exact and with ties handled as
 * scikit-learn 1.2 does (regression: Pearson, Spearman and MSE of predicted values, as scipy.stats
 * pearsonr and spearmanr and numpy compute them): AUROC as roc_auc_score (tied scores count one half), AUPRC as
 * average_precision_score (the step-wise sum over distinct thresholds, tied scores forming one
 * threshold), the curves as roc_curve and precision_recall_curve. A label counts as positive when it
 * is above 0.5. tests/test_metrics.c holds all of it against fixtures that scikit-learn wrote
 * (tools/make_metric_fixtures.py). Files and formats are left to the commands. */
#ifndef GSEQ_METRICS_H
#define GSEQ_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "base/task.h"

/* AUROC of scores against 0/1 labels, both read with a stride (column k of an (n, K) array:
 * base + k, stride K). Returns NaN when only one class is present. */
double metric_auroc(const float *scores, const float *labels, size_t n, size_t stride);

/* Average precision, sum over distinct thresholds t (highest first) of (R(t) - R(t_prev)) P(t),
 * as average_precision_score. Same reading as metric_auroc; NaN when no label is positive. */
double metric_auprc(const float *scores, const float *labels, size_t n, size_t stride);

/* The points of one curve, in scikit-learn's order. ROC (roc_curve, drop_intermediate=True):
 * x = false positive rate, y = true positive rate, thresholds decreasing from +inf at (0, 0) (1.2
 * writes max + 1 there). PR (precision_recall_curve): x = recall, y = precision, thresholds
 * increasing, then a last point (0, 1) whose threshold is NaN. */
typedef struct {
    size_t n;
    double *x, *y, *threshold; /* (n) each */
} Curve;

/* 0, or -1 (and an empty curve) when the curve is undefined: ROC needs both classes, PR a
 * positive. */
int metric_roc_curve(const float *scores, const float *labels, size_t n, size_t stride, Curve *out);
int metric_pr_curve(const float *scores, const float *labels, size_t n, size_t stride, Curve *out);
/* Keeps at most `max` points (0: all), evenly spaced by index, the first and last always: files
 * meant for plotting stay small when a target has hundreds of thousands of distinct scores. */
void curve_thin(Curve *c, size_t max);
void curve_free(Curve *c);

typedef struct {
    double loss;       /* mean loss */
    double accuracy;   /* binary: threshold 0.5 on every target; multiclass: argmax; NaN for multilabel
                        * and regression */
    double auroc_mean; /* mean over targets with both classes; NaN if none (and for regression) */
    int auroc_targets; /* targets that entered the mean */
    /* regression (NaN for the other tasks): means over the targets; a correlation's over the
     * targets where it is defined (neither column constant), NaN if none */
    double pearson_mean, spearman_mean, mse_mean;
} EvalSummary;

/* Accuracy and mean AUROC (regression: the means of Pearson, Spearman and MSE) of outputs (n, K)
 * against labels (n, K); loss is left to the caller. */
void metrics_summarise(Task task, const float *probs, const float *labels, size_t n, int K,
                       EvalSummary *out);

/* Accuracy as metrics_summarise computes it (NaN for multilabel). */
double metric_accuracy(Task task, const float *probs, const float *labels, size_t n, int K);

/* Per-target metrics of probabilities (n, K) against labels (n, K). A target with fewer than
 * `min_count` positives or fewer than `min_count` negatives (min_count >= 1) is skipped: its AUROC
 * and AUPRC are NaN and it enters no mean or median. */
typedef struct {
    int K, min_count;
    int64_t *positives, *negatives; /* (K) */
    double *auroc, *auprc;          /* (K); NaN when skipped */
    int *skipped;                   /* (K): 1 = skipped */
    int evaluated;                  /* targets not skipped */
    double auroc_mean, auroc_median, auprc_mean, auprc_median; /* over those; NaN if none */
} TargetMetrics;

void metrics_per_target(const float *probs, const float *labels, size_t n, int K, int min_count,
                        TargetMetrics *out);
void target_metrics_free(TargetMetrics *t);

/* ---- regression ---- */

/* Pearson's correlation of predictions and labels (read as metric_auroc reads them), in double
 * with the means taken first; NaN when n < 2 or either column is constant (undefined). */
double metric_pearson(const float *pred, const float *labels, size_t n, size_t stride);
/* Spearman's: Pearson's of the ranks, tied values sharing their average rank (scipy's
 * spearmanr); NaN as metric_pearson. */
double metric_spearman(const float *pred, const float *labels, size_t n, size_t stride);
/* Mean of (pred - label)^2; NaN when n is 0. */
double metric_mse(const float *pred, const float *labels, size_t n, size_t stride);

typedef struct {
    int K;
    double *pearson, *spearman, *mse; /* (K); a correlation NaN where undefined */
    int correlated;                   /* targets whose Pearson correlation is defined */
    double pearson_mean, spearman_mean; /* over the targets where each is defined; NaN if none */
    double mse_mean;                    /* over all targets */
} RegressionMetrics;

void metrics_regression(const float *pred, const float *labels, size_t n, int K,
                        RegressionMetrics *out);
void regression_metrics_free(RegressionMetrics *r);

/* Confusion matrix as scikit-learn's confusion_matrix: counts (C, C), row = true class, column =
 * predicted class. Multiclass: C = K, argmax of the labels and of the probabilities (first maximum
 * on ties); binary (K = 1): C = 2, class 1 when the label is above 0.5 / the probability at least
 * 0.5. Returns C, or 0 for a task without one (multilabel). */
int metrics_confusion(Task task, const float *probs, const float *labels, size_t n, int K,
                      int64_t *counts);

#endif
