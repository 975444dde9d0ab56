/* test_metrics.c: gseq_mpi's metrics against scikit-learn 1.2 (tests/fixtures/metrics.h5, written by
 * tools/make_metric_fixtures.py): AUROC, AUPRC and both curves of binary cases full of ties, the
 * per-target metrics and their means and medians with targets skipped for too few positives, and a
 * multiclass confusion matrix. Regression: Pearson, Spearman and MSE per target and their means
 * against numpy (tests/fixtures/regression_metrics.h5, tools/make_regression_metric_fixtures.py),
 * with ties and constant columns (undefined correlation: NaN). Every number must agree to 1e-6;
 * the worst element is printed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data/h5io.h"
#include "train/metrics.h"
#include "testutil.h"

#define FIXTURE "tests/fixtures/metrics.h5"
#define TOL 1e-6

static H5File *fixture;
static double worst_seen; /* largest difference met, for the record */

/* A whole dataset as doubles (or floats), its element count in *n. */
static double *read_f64(const char *name, size_t *n)
{
    Error err;
    int rank;
    int64_t dims[H5IO_MAX_RANK], start[H5IO_MAX_RANK] = {0};
    if (h5_dims(fixture, name, &rank, dims, &err) != 0)
        fail_msg("%s", err.msg);
    size_t total = 1;
    for (int i = 0; i < rank; i++)
        total *= (size_t)dims[i];
    double *buf = xmalloc(total ? total : 1, sizeof(double));
    if (total && h5_read_slab(fixture, name, H5IO_F64, start, dims, buf, &err) != 0)
        fail_msg("%s", err.msg);
    *n = total;
    return buf;
}

static float *read_f32(const char *name, size_t *n)
{
    double *d = read_f64(name, n);
    float *f = xmalloc(*n ? *n : 1, sizeof(float));
    for (size_t i = 0; i < *n; i++)
        f[i] = (float)d[i];
    free(d);
    return f;
}

/* |a - b| <= TOL, NaN only against NaN, +inf against anything (scikit-learn 1.2 writes max + 1
 * where newer versions and gseq_mpi write +inf). */
static void expect_close(const char *what, const double *got, const double *want, size_t n)
{
    double worst = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (isinf(got[i]) && got[i] > 0)
            continue;
        double d = (isnan(got[i]) || isnan(want[i])) ? (isnan(got[i]) && isnan(want[i]) ? 0.0 : INFINITY)
                                                      : fabs(got[i] - want[i]);
        if (d > worst) {
            worst = d;
            at = i;
        }
    }
    worst_seen = fmax(worst_seen, worst);
    if (worst > TOL)
        fail_msg("%s: element %zu of %zu: got %.9g, scikit-learn %.9g", what, at, n, got[at], want[at]);
}

static void check_binary_case(const char *name)
{
    char path[128];
    size_t n, m;
#define AT(ds) (snprintf(path, sizeof path, "binary/%s/%s", name, ds), path)
    float *scores = read_f32(AT("scores"), &n), *labels = read_f32(AT("labels"), &m);
    assert_int_equal(n, m);
    double *want_roc = read_f64(AT("auroc"), &m), *want_pr = read_f64(AT("auprc"), &m);
    double auroc = metric_auroc(scores, labels, n, 1), auprc = metric_auprc(scores, labels, n, 1);
    printf("    %-13s n %4zu: AUROC %.9f (sklearn %.9f), AUPRC %.9f (sklearn %.9f)\n", name, n, auroc,
           want_roc[0], auprc, want_pr[0]);
    expect_close("AUROC", &auroc, want_roc, 1);
    expect_close("AUPRC", &auprc, want_pr, 1);

    /* the per-target path computes both from one sort: same numbers */
    TargetMetrics tm;
    metrics_per_target(scores, labels, n, 1, 1, &tm);
    expect_close("per-target AUROC", tm.auroc, want_roc, 1);
    expect_close("per-target AUPRC", tm.auprc, want_pr, 1);
    target_metrics_free(&tm);

    Curve roc, pr;
    assert_int_equal(metric_roc_curve(scores, labels, n, 1, &roc), 0);
    assert_int_equal(metric_pr_curve(scores, labels, n, 1, &pr), 0);
    struct {
        const char *ds;
        const Curve *c;
        const double *got;
    } parts[] = {
        {"roc_fpr", &roc, roc.x}, {"roc_tpr", &roc, roc.y}, {"roc_thresholds", &roc, roc.threshold},
        {"pr_recall", &pr, pr.x}, {"pr_precision", &pr, pr.y}, {"pr_thresholds", &pr, pr.threshold},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        double *want = read_f64(AT(parts[i].ds), &m);
        /* scikit-learn gives one threshold fewer than PR points: the last point has none (NaN) */
        size_t expect = parts[i].got == pr.threshold ? m + 1 : m;
        if (parts[i].c->n != expect)
            fail_msg("%s %s: %zu points, scikit-learn %zu", name, parts[i].ds, parts[i].c->n, expect);
        expect_close(path, parts[i].got, want, m);
        free(want);
    }
    assert_true(isinf(roc.threshold[0]) && isnan(pr.threshold[pr.n - 1]));
    curve_free(&roc);
    curve_free(&pr);
    free(scores), free(labels), free(want_roc), free(want_pr);
#undef AT
}

static void test_binary_cases(void **state)
{
    Error err;
    int n;
    char **names = h5_list(fixture, "binary", &n, &err);
    if (!names)
        fail_msg("%s", err.msg);
    assert_true(n >= 8);
    for (int i = 0; i < n; i++)
        check_binary_case(names[i]);
    h5_free_strings(names, n);
}

static void test_undefined(void **state)
{
    float s[4] = {0.1f, 0.2f, 0.3f, 0.4f}, zeros[4] = {0}, ones[4] = {1, 1, 1, 1};
    Curve c;
    assert_true(isnan(metric_auroc(s, zeros, 4, 1)) && isnan(metric_auroc(s, ones, 4, 1)));
    assert_true(isnan(metric_auprc(s, zeros, 4, 1)));
    assert_true(metric_auprc(s, ones, 4, 1) == 1.0); /* every threshold has precision 1 */
    assert_int_equal(metric_roc_curve(s, zeros, 4, 1, &c), -1);
    assert_int_equal(metric_roc_curve(s, ones, 4, 1, &c), -1);
    assert_int_equal(metric_pr_curve(s, zeros, 4, 1, &c), -1);
    assert_true(isnan(metric_auroc(s, zeros, 0, 1)) && isnan(metric_auprc(s, zeros, 0, 1)));
}

static void test_multilabel_targets(void **state)
{
    size_t n, m;
    float *scores = read_f32("multilabel/scores", &n), *labels = read_f32("multilabel/labels", &m);
    double *roc = read_f64("multilabel/auroc", &m), *pr = read_f64("multilabel/auprc", &m);
    int K = (int)m;
    size_t N = n / (size_t)K;
    for (int min_count = 1; min_count <= 3; min_count += 2) {
        char path[64];
        snprintf(path, sizeof path, "multilabel/min_count_%d/kept", min_count);
        double *kept = read_f64(path, &m);
        snprintf(path, sizeof path, "multilabel/min_count_%d/summary", min_count);
        double *summary = read_f64(path, &m);
        TargetMetrics tm;
        metrics_per_target(scores, labels, N, K, min_count, &tm);
        int evaluated = 0;
        for (int k = 0; k < K; k++) {
            assert_int_equal(tm.skipped[k], kept[k] == 0.0);
            evaluated += kept[k] != 0.0;
            int64_t pos = 0;
            for (size_t i = 0; i < N; i++)
                pos += labels[i * K + k] > 0.5f;
            assert_int_equal(tm.positives[k], pos);
            assert_int_equal(tm.negatives[k], (int64_t)N - pos);
            if (!tm.skipped[k]) {
                expect_close("target AUROC", &tm.auroc[k], &roc[k], 1);
                expect_close("target AUPRC", &tm.auprc[k], &pr[k], 1);
            } else {
                assert_true(isnan(tm.auroc[k]) && isnan(tm.auprc[k]));
            }
            /* the per-column functions read the same column through the stride */
            double a = metric_auroc(scores + k, labels + k, N, (size_t)K);
            double b = metric_auprc(scores + k, labels + k, N, (size_t)K);
            expect_close("strided AUROC", &a, &roc[k], 1);
            expect_close("strided AUPRC", &b, &pr[k], 1);
        }
        assert_int_equal(tm.evaluated, evaluated);
        double got[4] = {tm.auroc_mean, tm.auroc_median, tm.auprc_mean, tm.auprc_median};
        printf("    min_count %d: %d of %d targets; AUROC mean %.6f median %.6f, AUPRC mean %.6f "
               "median %.6f\n", min_count, evaluated, K, got[0], got[1], got[2], got[3]);
        expect_close("mean / median", got, summary, 4);
        /* the trainer's summary is unchanged: mean AUROC over every target with both classes */
        if (min_count == 1) {
            EvalSummary s;
            metrics_summarise(TASK_MULTILABEL, scores, labels, N, K, &s);
            assert_int_equal(s.auroc_targets, evaluated);
            expect_close("metrics_summarise AUROC", &s.auroc_mean, &summary[0], 1);
            assert_true(isnan(s.accuracy));
        }
        target_metrics_free(&tm);
        free(kept), free(summary);
    }
    free(scores), free(labels), free(roc), free(pr);
}

static void test_confusion(void **state)
{
    size_t n, m;
    float *probs = read_f32("multiclass/probs", &n), *labels = read_f32("multiclass/labels", &m);
    double *want = read_f64("multiclass/confusion", &m);
    int K = (int)sqrt((double)m);
    size_t N = n / (size_t)K;
    int64_t counts[16];
    assert_int_equal(metrics_confusion(TASK_MULTICLASS, probs, labels, N, K, counts), K);
    int64_t right = 0;
    for (int i = 0; i < K * K; i++) {
        assert_int_equal(counts[i], (int64_t)want[i]);
        right += i % (K + 1) == 0 ? counts[i] : 0;
    }
    double acc = metric_accuracy(TASK_MULTICLASS, probs, labels, N, K);
    assert_true(fabs(acc - (double)right / N) < 1e-12);
    printf("    multiclass %d classes, %zu samples: confusion matches, accuracy %.4f\n", K, N, acc);

    /* binary: the 0.5 threshold, rows true class */
    float p[5] = {0.1f, 0.6f, 0.5f, 0.4f, 0.9f}, y[5] = {0, 0, 1, 1, 1};
    int64_t c2[4];
    assert_int_equal(metrics_confusion(TASK_BINARY, p, y, 5, 1, c2), 2);
    assert_true(c2[0] == 1 && c2[1] == 1 && c2[2] == 1 && c2[3] == 2);
    assert_int_equal(metrics_confusion(TASK_MULTILABEL, p, y, 5, 1, c2), 0);
    free(probs), free(labels), free(want);
}

static void test_curve_thin(void **state)
{
    Curve c = {0};
    c.n = 1000;
    c.x = xmalloc(c.n, sizeof(double));
    c.y = xmalloc(c.n, sizeof(double));
    c.threshold = xmalloc(c.n, sizeof(double));
    for (size_t i = 0; i < c.n; i++)
        c.x[i] = c.y[i] = c.threshold[i] = (double)i;
    curve_thin(&c, 0);
    assert_int_equal(c.n, 1000);
    curve_thin(&c, 10);
    assert_int_equal(c.n, 10);
    assert_true(c.x[0] == 0.0 && c.x[9] == 999.0);
    for (size_t i = 1; i < c.n; i++)
        assert_true(c.x[i] > c.x[i - 1]);
    curve_free(&c);
}

/* One regression case: per-target metrics and the means, directly and through metrics_summarise. */
static void check_regression_case(const char *name)
{
    char path[128];
    size_t n, m, K;
#define AT(ds) (snprintf(path, sizeof path, "%s/%s", name, ds), path)
    double *want_r = read_f64(AT("pearson"), &K), *want_s = read_f64(AT("spearman"), &m);
    double *want_mse = read_f64(AT("mse"), &m), *means = read_f64(AT("means"), &m);
    float *pred = read_f32(AT("pred"), &n), *labels = read_f32(AT("labels"), &m);
    n /= K;
    RegressionMetrics r;
    metrics_regression(pred, labels, n, (int)K, &r);
    expect_close("pearson", r.pearson, want_r, K);
    expect_close("spearman", r.spearman, want_s, K);
    expect_close("mse", r.mse, want_mse, K);
    double got[3] = {r.pearson_mean, r.spearman_mean, r.mse_mean};
    expect_close("means", got, means, 3);
    EvalSummary e;
    metrics_summarise(TASK_REGRESSION, pred, labels, n, (int)K, &e);
    double via[3] = {e.pearson_mean, e.spearman_mean, e.mse_mean};
    expect_close("summary means", via, means, 3);
    assert_true(isnan(e.auroc_mean) && isnan(e.accuracy));
    for (size_t k = 0; k < K; k++) /* the column functions give the same numbers */
        assert_true(metric_pearson(pred + k, labels + k, n, K) == r.pearson[k] ||
                    (isnan(r.pearson[k]) && isnan(metric_pearson(pred + k, labels + k, n, K))));
    printf("    %-12s n %4zu, %zu targets: pearson mean %.9f (numpy %.9f), spearman mean %.9f "
           "(numpy %.9f), %d correlated\n", name, n, K, r.pearson_mean, means[0], r.spearman_mean,
           means[1], r.correlated);
    regression_metrics_free(&r);
    free(want_r), free(want_s), free(want_mse), free(means), free(pred), free(labels);
#undef AT
}

static void test_regression(void **state)
{
    Error err;
    H5File *classification = fixture;
    fixture = h5_open("tests/fixtures/regression_metrics.h5", 0, &err);
    if (!fixture)
        fail_msg("%s", err.msg);
    check_regression_case("six_columns");
    check_regression_case("two_rows");
    check_regression_case("all_constant");
    h5_close(fixture, &err);
    fixture = classification;
    float one = 1.0f;
    assert_true(isnan(metric_pearson(&one, &one, 1, 1)) && isnan(metric_mse(&one, &one, 0, 1)));
}

static int setup(void **state)
{
    Error err;
    fixture = h5_open(FIXTURE, 0, &err);
    if (!fixture) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    printf("    largest difference from scikit-learn over every comparison: %.3g\n", worst_seen);
    Error err;
    h5_close(fixture, &err);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_cases),
        cmocka_unit_test(test_undefined),
        cmocka_unit_test(test_multilabel_targets),
        cmocka_unit_test(test_confusion),
        cmocka_unit_test(test_curve_thin),
        cmocka_unit_test(test_regression),
    };
    return cmocka_run_group_tests_name("metrics", tests, setup, teardown);
}
