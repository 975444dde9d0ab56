/* metrics.c: AUROC, AUPRC, their curves, accuracy and confusion matrices, exact and with ties as
 * scikit-learn handles them; Pearson, Spearman and MSE for regression. See metrics.h. */
#include "train/metrics.h"

#include <math.h>
#include <stdlib.h>

#include "base/util.h"

typedef struct {
    float score;
    float label;
} Scored;

static int by_score(const void *a, const void *b)
{
    float x = ((const Scored *)a)->score, y = ((const Scored *)b)->score;
    return (x > y) - (x < y);
}

/* Mann-Whitney: the mean rank of the positives, tied scores sharing their average rank. */
double metric_auroc(const float *scores, const float *labels, size_t n, size_t stride)
{
    Scored *s = xmalloc(n ? n : 1, sizeof *s);
    double pos = 0.0;
    for (size_t i = 0; i < n; i++) {
        s[i].score = scores[i * stride];
        s[i].label = labels[i * stride] > 0.5f ? 1.0f : 0.0f;
        pos += s[i].label;
    }
    double neg = (double)n - pos;
    if (pos == 0.0 || neg == 0.0) {
        free(s);
        return NAN;
    }
    qsort(s, n, sizeof *s, by_score);
    double rank_sum = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double tied_pos = 0.0;
        while (j < n && s[j].score == s[i].score)
            tied_pos += s[j++].label;
        rank_sum += tied_pos * 0.5 * (double)(i + 1 + j); /* average of ranks i+1 .. j */
        i = j;
    }
    free(s);
    return (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg);
}

double metric_accuracy(Task task, const float *probs, const float *labels, size_t n, int K)
{
    size_t right = 0;
    if (task == TASK_MULTILABEL)
        return NAN;
    if (task == TASK_MULTICLASS) {
        for (size_t i = 0; i < n; i++) {
            int best = 0, truth = 0;
            for (int k = 1; k < K; k++) {
                best = probs[i * K + k] > probs[i * K + best] ? k : best;
                truth = labels[i * K + k] > labels[i * K + truth] ? k : truth;
            }
            right += best == truth;
        }
        return n ? (double)right / n : NAN;
    }
    for (size_t i = 0; i < n * (size_t)K; i++)
        right += (probs[i] >= 0.5f) == (labels[i] > 0.5f);
    return n ? (double)right / ((double)n * K) : NAN;
}

void metrics_summarise(Task task, const float *probs, const float *labels, size_t n, int K,
                       EvalSummary *out)
{
    out->pearson_mean = out->spearman_mean = out->mse_mean = NAN;
    if (task == TASK_REGRESSION) {
        RegressionMetrics r;
        metrics_regression(probs, labels, n, K, &r);
        out->accuracy = out->auroc_mean = NAN;
        out->auroc_targets = 0;
        out->pearson_mean = r.pearson_mean;
        out->spearman_mean = r.spearman_mean;
        out->mse_mean = r.mse_mean;
        regression_metrics_free(&r);
        return;
    }
    out->accuracy = metric_accuracy(task, probs, labels, n, K);
    double sum = 0.0;
    int used = 0;
    for (int k = 0; k < K; k++) {
        double a = metric_auroc(probs + k, labels + k, n, (size_t)K);
        if (!isnan(a)) {
            sum += a;
            used++;
        }
    }
    out->auroc_mean = used ? sum / used : NAN;
    out->auroc_targets = used;
}

/* ---- curves, AUPRC and per-target metrics ---- */

static int by_score_desc(const void *a, const void *b) { return by_score(b, a); }

/* scikit-learn's _binary_clf_curve: one point per distinct score, highest first, with the true and
 * false positives at or above it. Counts are integers held in doubles (exact below 2^53). */
typedef struct {
    size_t n;
    double *threshold, *tps, *fps; /* (n) each */
    double pos, neg;
} ClfCurve;

static void clf_curve_alloc(ClfCurve *c, size_t n)
{
    c->threshold = xmalloc(n ? n : 1, sizeof(double));
    c->tps = xmalloc(n ? n : 1, sizeof(double));
    c->fps = xmalloc(n ? n : 1, sizeof(double));
}

static void clf_curve_free(ClfCurve *c)
{
    free(c->threshold);
    free(c->tps);
    free(c->fps);
}

/* Fills c (allocated for n points) from column `stride`-strided scores; work holds n entries. */
static void clf_curve_fill(const float *scores, const float *labels, size_t n, size_t stride,
                           Scored *work, ClfCurve *c)
{
    c->pos = 0.0;
    for (size_t i = 0; i < n; i++) {
        work[i].score = scores[i * stride];
        work[i].label = labels[i * stride] > 0.5f ? 1.0f : 0.0f;
        c->pos += work[i].label;
    }
    c->neg = (double)n - c->pos;
    qsort(work, n, sizeof *work, by_score_desc);
    double tp = 0.0;
    c->n = 0;
    for (size_t i = 0; i < n; i++) {
        tp += work[i].label;
        if (i + 1 == n || work[i + 1].score != work[i].score) {
            c->threshold[c->n] = work[i].score;
            c->tps[c->n] = tp;
            c->fps[c->n] = (double)(i + 1) - tp;
            c->n++;
        }
    }
}

/* Trapezoids under the ROC points (0, 0), (fps_i / neg, tps_i / pos): as roc_auc_score. The doubled
 * area in counts is an integer, so the sum is exact. */
static double clf_auroc(const ClfCurve *c)
{
    if (c->pos == 0.0 || c->neg == 0.0)
        return NAN;
    double twice = 0.0, tp = 0.0, fp = 0.0;
    for (size_t i = 0; i < c->n; i++) {
        twice += (c->fps[i] - fp) * (c->tps[i] + tp);
        tp = c->tps[i];
        fp = c->fps[i];
    }
    return twice / (2.0 * c->pos * c->neg);
}

/* Sum of (R_i - R_{i-1}) P_i, thresholds highest first, R_{-1} = 0: average_precision_score. */
static double clf_auprc(const ClfCurve *c)
{
    if (c->pos == 0.0)
        return NAN;
    double ap = 0.0, tp = 0.0;
    for (size_t i = 0; i < c->n; i++) {
        ap += (c->tps[i] - tp) / c->pos * (c->tps[i] / (c->tps[i] + c->fps[i]));
        tp = c->tps[i];
    }
    return ap;
}

/* The curve of one column, or -1 when n is 0. */
static int clf_curve_of(const float *scores, const float *labels, size_t n, size_t stride,
                        ClfCurve *c)
{
    if (n == 0)
        return -1;
    Scored *work = xmalloc(n, sizeof *work);
    clf_curve_alloc(c, n);
    clf_curve_fill(scores, labels, n, stride, work, c);
    free(work);
    return 0;
}

double metric_auprc(const float *scores, const float *labels, size_t n, size_t stride)
{
    ClfCurve c;
    if (clf_curve_of(scores, labels, n, stride, &c) != 0)
        return NAN;
    double ap = clf_auprc(&c);
    clf_curve_free(&c);
    return ap;
}

static void curve_alloc(Curve *out, size_t n)
{
    out->n = n;
    out->x = xmalloc(n, sizeof(double));
    out->y = xmalloc(n, sizeof(double));
    out->threshold = xmalloc(n, sizeof(double));
}

int metric_roc_curve(const float *scores, const float *labels, size_t n, size_t stride, Curve *out)
{
    *out = (Curve){0};
    ClfCurve c;
    if (clf_curve_of(scores, labels, n, stride, &c) != 0)
        return -1;
    if (c.pos == 0.0 || c.neg == 0.0) {
        clf_curve_free(&c);
        return -1;
    }
    /* drop_intermediate: keep the ends and every corner (a non-zero second difference) */
    size_t kept = 0;
    size_t *keep = xmalloc(c.n, sizeof(size_t));
    for (size_t i = 0; i < c.n; i++) {
        int corner = c.n <= 2 || i == 0 || i + 1 == c.n ||
                     c.fps[i + 1] - 2.0 * c.fps[i] + c.fps[i - 1] != 0.0 ||
                     c.tps[i + 1] - 2.0 * c.tps[i] + c.tps[i - 1] != 0.0;
        if (corner)
            keep[kept++] = i;
    }
    curve_alloc(out, kept + 1);
    out->x[0] = out->y[0] = 0.0;
    out->threshold[0] = INFINITY;
    for (size_t j = 0; j < kept; j++) {
        size_t i = keep[j];
        out->x[j + 1] = c.fps[i] / c.neg;
        out->y[j + 1] = c.tps[i] / c.pos;
        out->threshold[j + 1] = c.threshold[i];
    }
    free(keep);
    clf_curve_free(&c);
    return 0;
}

int metric_pr_curve(const float *scores, const float *labels, size_t n, size_t stride, Curve *out)
{
    *out = (Curve){0};
    ClfCurve c;
    if (clf_curve_of(scores, labels, n, stride, &c) != 0)
        return -1;
    if (c.pos == 0.0) {
        clf_curve_free(&c);
        return -1;
    }
    curve_alloc(out, c.n + 1);
    for (size_t j = 0; j < c.n; j++) { /* lowest threshold (recall 1) first */
        size_t i = c.n - 1 - j;
        out->x[j] = c.tps[i] / c.pos;
        out->y[j] = c.tps[i] / (c.tps[i] + c.fps[i]);
        out->threshold[j] = c.threshold[i];
    }
    out->x[c.n] = 0.0;
    out->y[c.n] = 1.0;
    out->threshold[c.n] = NAN;
    clf_curve_free(&c);
    return 0;
}

void curve_thin(Curve *c, size_t max)
{
    if (max == 0 || c->n <= max)
        return;
    if (max < 2)
        max = 2;
    for (size_t j = 0; j < max; j++) { /* indices increase, so copying down in place is safe */
        size_t i = (size_t)((double)j * (double)(c->n - 1) / (double)(max - 1) + 0.5);
        c->x[j] = c->x[i];
        c->y[j] = c->y[i];
        c->threshold[j] = c->threshold[i];
    }
    c->n = max;
}

void curve_free(Curve *c)
{
    free(c->x);
    free(c->y);
    free(c->threshold);
    *c = (Curve){0};
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy's median: the middle value, or the mean of the two middle values. */
static double median_of(double *v, int n)
{
    if (n == 0)
        return NAN;
    qsort(v, (size_t)n, sizeof *v, by_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void metrics_per_target(const float *probs, const float *labels, size_t n, int K, int min_count,
                        TargetMetrics *out)
{
    *out = (TargetMetrics){.K = K, .min_count = min_count < 1 ? 1 : min_count};
    out->positives = xcalloc((size_t)K, sizeof(int64_t));
    out->negatives = xcalloc((size_t)K, sizeof(int64_t));
    out->auroc = xmalloc((size_t)K, sizeof(double));
    out->auprc = xmalloc((size_t)K, sizeof(double));
    out->skipped = xcalloc((size_t)K, sizeof(int));
    Scored *work = xmalloc(n ? n : 1, sizeof *work);
    ClfCurve c;
    clf_curve_alloc(&c, n);
    double *roc = xmalloc((size_t)K, sizeof(double)), *pr = xmalloc((size_t)K, sizeof(double));
    double roc_sum = 0.0, pr_sum = 0.0;
    for (int k = 0; k < K; k++) {
        int64_t pos = 0;
        for (size_t i = 0; i < n; i++)
            pos += labels[i * K + k] > 0.5f;
        out->positives[k] = pos;
        out->negatives[k] = (int64_t)n - pos;
        out->auroc[k] = out->auprc[k] = NAN;
        if (pos < out->min_count || (int64_t)n - pos < out->min_count) {
            out->skipped[k] = 1;
            continue;
        }
        clf_curve_fill(probs + k, labels + k, n, (size_t)K, work, &c);
        out->auroc[k] = clf_auroc(&c);
        out->auprc[k] = clf_auprc(&c);
        roc[out->evaluated] = out->auroc[k];
        pr[out->evaluated] = out->auprc[k];
        roc_sum += out->auroc[k];
        pr_sum += out->auprc[k];
        out->evaluated++;
    }
    int e = out->evaluated;
    out->auroc_mean = e ? roc_sum / e : NAN;
    out->auprc_mean = e ? pr_sum / e : NAN;
    out->auroc_median = median_of(roc, e);
    out->auprc_median = median_of(pr, e);
    free(roc);
    free(pr);
    free(work);
    clf_curve_free(&c);
}

void target_metrics_free(TargetMetrics *t)
{
    free(t->positives);
    free(t->negatives);
    free(t->auroc);
    free(t->auprc);
    free(t->skipped);
    *t = (TargetMetrics){0};
}

static int argmax(const float *v, int K)
{
    int best = 0;
    for (int k = 1; k < K; k++)
        best = v[k] > v[best] ? k : best;
    return best;
}

int metrics_confusion(Task task, const float *probs, const float *labels, size_t n, int K,
                      int64_t *counts)
{
    int C = task == TASK_MULTICLASS ? K : (task == TASK_BINARY && K == 1) ? 2 : 0;
    for (int i = 0; i < C * C; i++)
        counts[i] = 0;
    for (size_t i = 0; C && i < n; i++) {
        int truth, guess;
        if (C == 2 && task != TASK_MULTICLASS) {
            truth = labels[i] > 0.5f;
            guess = probs[i] >= 0.5f;
        } else {
            truth = argmax(labels + i * K, K);
            guess = argmax(probs + i * K, K);
        }
        counts[truth * C + guess]++;
    }
    return C;
}

/* ---- regression ---- */

/* Pearson's correlation of two double columns: means first, then the centred sums. */
static double pearson_of(const double *a, const double *b, size_t n)
{
    if (n < 2)
        return NAN;
    double ma = 0.0, mb = 0.0;
    for (size_t i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= (double)n;
    mb /= (double)n;
    double sab = 0.0, saa = 0.0, sbb = 0.0;
    for (size_t i = 0; i < n; i++) {
        double da = a[i] - ma, db = b[i] - mb;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    if (saa == 0.0 || sbb == 0.0)
        return NAN;
    double r = sab / sqrt(saa * sbb);
    return r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
}

static void column_of(const float *v, size_t n, size_t stride, double *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = v[i * stride];
}

double metric_pearson(const float *pred, const float *labels, size_t n, size_t stride)
{
    double *a = xmalloc(n ? 2 * n : 1, sizeof(double)), *b = a + n;
    column_of(pred, n, stride, a);
    column_of(labels, n, stride, b);
    double r = pearson_of(a, b, n);
    free(a);
    return r;
}

typedef struct {
    double value;
    size_t at;
} Ranked;

static int by_value(const void *a, const void *b)
{
    double x = ((const Ranked *)a)->value, y = ((const Ranked *)b)->value;
    return (x > y) - (x < y);
}

/* The 1-based ranks of v (n) in place, ties sharing the average of their ranks; work holds n. */
static void rank_average(double *v, size_t n, Ranked *work)
{
    for (size_t i = 0; i < n; i++)
        work[i] = (Ranked){v[i], i};
    qsort(work, n, sizeof *work, by_value);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && work[j].value == work[i].value)
            j++;
        double rank = 0.5 * (double)(i + 1 + j); /* average of ranks i+1 .. j */
        for (size_t k = i; k < j; k++)
            v[work[k].at] = rank;
        i = j;
    }
}

double metric_spearman(const float *pred, const float *labels, size_t n, size_t stride)
{
    double *a = xmalloc(n ? 2 * n : 1, sizeof(double)), *b = a + n;
    Ranked *work = xmalloc(n ? n : 1, sizeof *work);
    column_of(pred, n, stride, a);
    column_of(labels, n, stride, b);
    rank_average(a, n, work);
    rank_average(b, n, work);
    double r = pearson_of(a, b, n);
    free(a);
    free(work);
    return r;
}

double metric_mse(const float *pred, const float *labels, size_t n, size_t stride)
{
    if (n == 0)
        return NAN;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = (double)pred[i * stride] - labels[i * stride];
        sum += e * e;
    }
    return sum / (double)n;
}

void metrics_regression(const float *pred, const float *labels, size_t n, int K,
                        RegressionMetrics *out)
{
    *out = (RegressionMetrics){.K = K};
    out->pearson = xmalloc((size_t)K, sizeof(double));
    out->spearman = xmalloc((size_t)K, sizeof(double));
    out->mse = xmalloc((size_t)K, sizeof(double));
    double sums[3] = {0.0, 0.0, 0.0};
    int spearman_defined = 0;
    for (int k = 0; k < K; k++) {
        out->pearson[k] = metric_pearson(pred + k, labels + k, n, (size_t)K);
        out->spearman[k] = metric_spearman(pred + k, labels + k, n, (size_t)K);
        out->mse[k] = metric_mse(pred + k, labels + k, n, (size_t)K);
        if (!isnan(out->pearson[k])) {
            sums[0] += out->pearson[k];
            out->correlated++;
        }
        if (!isnan(out->spearman[k])) {
            sums[1] += out->spearman[k];
            spearman_defined++;
        }
        sums[2] += out->mse[k];
    }
    out->pearson_mean = out->correlated ? sums[0] / out->correlated : NAN;
    out->spearman_mean = spearman_defined ? sums[1] / spearman_defined : NAN;
    out->mse_mean = K ? sums[2] / K : NAN;
}

void regression_metrics_free(RegressionMetrics *r)
{
    free(r->pearson);
    free(r->spearman);
    free(r->mse);
    *r = (RegressionMetrics){0};
}
