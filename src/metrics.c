/* metrics.c: AUROC and accuracy. See metrics.h. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>

#include "util.h"

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

static double accuracy(Task task, const float *probs, const float *labels, size_t n, int K)
{
    size_t right = 0;
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
    out->accuracy = task == TASK_MULTILABEL ? NAN : accuracy(task, probs, labels, n, K);
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
