/* cmd_eval.c: `gseq_mpi eval --checkpoint C --data D --out DIR`: a trained model's predictions on a
 * labelled gseq HDF5 file, computed over all ranks (infer.c), and rank 0's report of them:
 *   DIR/metrics.json   n, loss, accuracy, AUROC and AUPRC per target with their mean and median,
 *                      the targets skipped for too few positives or negatives, the confusion matrix
 *   DIR/targets.tsv    target, positives, negatives, AUROC, AUPRC
 *   DIR/roc.tsv        ROC points per target (fpr, tpr, threshold), for plotting
 *   DIR/pr.tsv         precision-recall points per target (recall, precision, threshold)
 *   DIR/confusion.tsv  binary and multiclass tasks: counts, rows the true class
 * The metrics are metrics.c's (exact, ties as scikit-learn). --chroms keeps the rows on some
 * chromosomes only (the test chromosomes of a chromosome hold-out). A regression checkpoint gets
 * Pearson, Spearman and MSE instead (eval_regression.c): metrics.json and targets.tsv only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_out.h"
#include "cli/commands.h"
#include "cli/eval_regression.h"
#include "cli/run.h"
#include "train/infer.h"
#include "train/metrics.h"

typedef struct {
    const char *checkpoint, *data, *out, *chroms;
    int rc_average, batch, threads, quiet, min_count, curve_points;
} EvalArgs;

static const char eval_usage[] =
    "usage: gseq_mpi eval --checkpoint CKPT --data FILE --out DIR [options]\n";

/* Starts MPI and reads eval's options into a: 1 to go on, else 0 with the exit status. */
static int read_options(int *argc, char ***argv, EvalArgs *a, int *status)
{
    const Option options[] = {
        OPT_REQUIRED("checkpoint", "CKPT", &a->checkpoint,
                     "a checkpoint written by train (best.h5, last.h5)"),
        OPT_REQUIRED("data", "FILE", &a->data,
                     "labelled gseq HDF5 data with the model's length, targets and task"),
        OPT_REQUIRED("out", "DIR", &a->out,
                     "output directory (created): metrics.json, targets.tsv, roc.tsv,\n"
                     "pr.tsv, and confusion.tsv for binary and multiclass tasks\n"
                     "(regression: metrics.json and targets.tsv)"),
        OPT_STRING("chroms", "LIST", &a->chroms,
                   "only the rows on these chromosomes (the file's /chrom), e.g. the\n"
                   "test chromosomes of training: --chroms chr8,chr9"),
        OPT_FLAG("rc-average", &a->rc_average,
                 "average each sequence's probabilities with its reverse complement's"),
        OPT_INT("min-count", "K", &a->min_count, 1, 100000000,
                "skip targets with fewer than K positives or K negatives (default 1:\n"
                "only targets whose AUROC is undefined)"),
        OPT_INT("curve-points", "M", &a->curve_points, 0, 100000000,
                "at most M points per target in roc.tsv and pr.tsv (default 1000;\n"
                "0 = every point)"),
        OPT_INT("batch", "N", &a->batch, 1, 100000000,
                "sequences per forward pass on each rank (default: the config's batch)"),
        OPT_INT("threads", "N", &a->threads, 1, 100000000, "BLAS threads per rank (default as train)"),
        OPT_FLAG("quiet", &a->quiet, "no summary on the screen"),
        OPT_END,
    };
    const OptCommand cmd = {"eval", eval_usage, options};
    return run_start(&cmd, argc, argv, status);
}

/* ---- writing ---- */

/* A TSV number: NaN and inf spelled so that Python, pandas and R read them. */
static void tsv_number(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
    else
        fprintf(f, "%.10g", v);
}

typedef struct {
    const EvalArgs *args;
    const Trained *t;
    const InferInput *in;
    int ranks;
    const float *probs, *labels, *oracle; /* (n, K) on rank 0 */
    double loss, accuracy, started, seconds;
    TargetMetrics tm, oracle_tm;
    int classes;       /* confusion matrix size, 0 = none */
    int64_t *confusion; /* (classes, classes) */
} Report;

/* Each output appears whole or not at all (util.h: a temporary file, renamed when complete). */
static FILE *open_out(const char *dir, const char *name, char *path, size_t len, Error *err)
{
    snprintf(path, len, "%s/%s", dir, name);
    return out_open(path, err);
}

static int close_out(FILE *f, const char *path, Error *err) { return out_close(f, path, err); }

static const char *class_name(const Report *r, int c)
{
    if (r->t->task == TASK_MULTICLASS)
        return r->in->target_names[c];
    return c ? "positive" : "negative";
}

/* One target of "targets" (with its metrics) or of "skipped" (without). */
static json_t *target_json(const Report *r, int k, int with_metrics)
{
    const TargetMetrics *m = &r->tm;
    json_t *t = json_out_pack("{s:o, s:I, s:I}", "target", json_out_string(r->in->target_names[k]),
                              "positives", (json_int_t)m->positives[k],
                              "negatives", (json_int_t)m->negatives[k]);
    if (!with_metrics)
        return t;
    json_out_set(t, "auroc", json_out_number(m->auroc[k]));
    json_out_set(t, "auprc", json_out_number(m->auprc[k]));
    if (r->oracle)
        json_out_set(t, "oracle_auroc", json_out_number(r->oracle_tm.auroc[k]));
    return t;
}

static json_t *confusion_json(const Report *r)
{
    json_t *classes = json_array(), *counts = json_array();
    for (int i = 0; i < r->classes; i++) {
        json_t *row = json_array();
        for (int j = 0; j < r->classes; j++)
            json_out_push(row, json_integer(r->confusion[i * r->classes + j]));
        json_out_push(counts, row);
        json_out_push(classes, json_out_string(class_name(r, i)));
    }
    return json_out_pack("{s:s, s:s, s:o, s:o}", "rows", "true class", "columns", "predicted class",
                         "classes", classes, "counts", counts);
}

static int write_json(const Report *r, Error *err)
{
    const TargetMetrics *m = &r->tm;
    json_t *root = json_out_pack(
        "{s:o, s:o, s:I, s:s, s:i, s:b, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:i}",
        "checkpoint", json_out_string(r->args->checkpoint), "data", json_out_string(r->in->path),
        "n", (json_int_t)r->in->n, "task", task_name(r->t->task), "n_targets", r->t->targets,
        "rc_average", r->args->rc_average, "ranks", r->ranks, "loss", json_out_number(r->loss),
        "accuracy", json_out_number(r->accuracy), "auroc_mean", json_out_number(m->auroc_mean),
        "auroc_median", json_out_number(m->auroc_median),
        "auprc_mean", json_out_number(m->auprc_mean),
        "auprc_median", json_out_number(m->auprc_median),
        "targets_evaluated", m->evaluated, "min_count", m->min_count);
    if (r->args->chroms)
        json_out_set(root, "chroms", json_out_string(r->args->chroms));
    if (r->oracle) {
        json_out_set(root, "oracle_auroc_mean", json_out_number(r->oracle_tm.auroc_mean));
        json_out_set(root, "oracle_auprc_mean", json_out_number(r->oracle_tm.auprc_mean));
    }
    json_t *skipped = json_array(), *targets = json_array();
    json_out_set(root, "skipped", skipped); /* root holds them now; still ours to fill */
    json_out_set(root, "targets", targets);
    for (int k = 0; k < m->K; k++) {
        if (m->skipped[k])
            json_out_push(skipped, target_json(r, k, 0));
        json_out_push(targets, target_json(r, k, 1));
    }
    if (r->classes)
        json_out_set(root, "confusion", confusion_json(r));
    json_out_set(root, "seconds", json_out_number(r->seconds));
    char path[600];
    snprintf(path, sizeof path, "%s/metrics.json", r->args->out);
    return json_out_write_file(path, root, err);
}

static int write_targets(const Report *r, Error *err)
{
    char path[600];
    FILE *f = open_out(r->args->out, "targets.tsv", path, sizeof path, err);
    if (!f)
        return -1;
    fputs("target\tpositives\tnegatives\tauroc\tauprc\n", f);
    for (int k = 0; k < r->tm.K; k++) {
        fprintf(f, "%s\t%lld\t%lld\t", r->in->target_names[k], (long long)r->tm.positives[k],
                (long long)r->tm.negatives[k]);
        tsv_number(f, r->tm.auroc[k]);
        fputc('\t', f);
        tsv_number(f, r->tm.auprc[k]);
        fputc('\n', f);
    }
    return close_out(f, path, err);
}

/* roc.tsv and pr.tsv: one block of points per target that was not skipped. */
static int write_curves(const Report *r, Error *err)
{
    const char *files[2] = {"roc.tsv", "pr.tsv"};
    const char *heads[2] = {"target\tfpr\ttpr\tthreshold\n", "target\trecall\tprecision\tthreshold\n"};
    int K = r->t->targets;
    size_t n = (size_t)r->in->n;
    for (int which = 0; which < 2; which++) {
        char path[600];
        FILE *f = open_out(r->args->out, files[which], path, sizeof path, err);
        if (!f)
            return -1;
        fputs(heads[which], f);
        for (int k = 0; k < K; k++) {
            if (r->tm.skipped[k])
                continue;
            Curve c;
            int rc = which == 0 ? metric_roc_curve(r->probs + k, r->labels + k, n, (size_t)K, &c)
                                : metric_pr_curve(r->probs + k, r->labels + k, n, (size_t)K, &c);
            if (rc != 0)
                continue;
            curve_thin(&c, (size_t)r->args->curve_points);
            for (size_t i = 0; i < c.n; i++) {
                fprintf(f, "%s\t", r->in->target_names[k]);
                tsv_number(f, c.x[i]);
                fputc('\t', f);
                tsv_number(f, c.y[i]);
                fputc('\t', f);
                tsv_number(f, c.threshold[i]);
                fputc('\n', f);
            }
            curve_free(&c);
        }
        if (close_out(f, path, err) != 0)
            return -1;
    }
    return 0;
}

static int write_confusion(const Report *r, Error *err)
{
    char path[600];
    FILE *f = open_out(r->args->out, "confusion.tsv", path, sizeof path, err);
    if (!f)
        return -1;
    fputs("true\\predicted", f);
    for (int c = 0; c < r->classes; c++)
        fprintf(f, "\t%s", class_name(r, c));
    fputc('\n', f);
    for (int i = 0; i < r->classes; i++) {
        fputs(class_name(r, i), f);
        for (int j = 0; j < r->classes; j++)
            fprintf(f, "\t%lld", (long long)r->confusion[i * r->classes + j]);
        fputc('\n', f);
    }
    return close_out(f, path, err);
}

/* Rank 0: the metrics and every file. */
static int report(Report *r, Error *err)
{
    const Trained *t = r->t;
    size_t n = (size_t)r->in->n;
    int K = t->targets;
    r->accuracy = metric_accuracy(t->task, r->probs, r->labels, n, K);
    metrics_per_target(r->probs, r->labels, n, K, r->args->min_count, &r->tm);
    if (r->oracle)
        metrics_per_target(r->oracle, r->labels, n, K, r->args->min_count, &r->oracle_tm);
    r->confusion = xmalloc((size_t)(K > 2 ? K : 2) * (K > 2 ? K : 2), sizeof(int64_t));
    r->classes = metrics_confusion(t->task, r->probs, r->labels, n, K, r->confusion);
    if (run_make_dir(r->args->out, err) != 0 || write_targets(r, err) != 0 ||
        write_curves(r, err) != 0 || (r->classes && write_confusion(r, err) != 0))
        return -1;
    r->seconds = now_seconds() - r->started;
    return write_json(r, err);
}

static void summarise(const Report *r)
{
    const TargetMetrics *m = &r->tm;
    printf("gseq_mpi eval: %s on %s%s%s: %lld samples, %d target%s (%s), %d rank%s%s\n",
           r->args->checkpoint, r->in->path, r->args->chroms ? ", chromosomes " : "",
           r->args->chroms ? r->args->chroms : "", (long long)r->in->n, r->t->targets,
           r->t->targets == 1 ? "" : "s", task_name(r->t->task), r->ranks, r->ranks == 1 ? "" : "s",
           r->args->rc_average ? ", reverse-complement averaged" : "");
    printf("loss %.4f", r->loss);
    if (!isnan(r->accuracy))
        printf(", accuracy %.4f", r->accuracy);
    if (m->evaluated == 1)
        printf(", AUROC %.4f, AUPRC %.4f", m->auroc_mean, m->auprc_mean);
    else
        printf(", AUROC mean %.4f median %.4f, AUPRC mean %.4f median %.4f over %d targets",
               m->auroc_mean, m->auroc_median, m->auprc_mean, m->auprc_median, m->evaluated);
    if (r->oracle)
        printf("; the planted motifs' oracle: AUROC %.4f", r->oracle_tm.auroc_mean);
    printf("\n");
    if (m->evaluated < m->K)
        printf("%d target%s skipped (fewer than %d positive%s or negative%s): see metrics.json\n",
               m->K - m->evaluated, m->K - m->evaluated == 1 ? "" : "s", m->min_count,
               m->min_count == 1 ? "" : "s", m->min_count == 1 ? "" : "s");
    printf("wrote %s/metrics.json, targets.tsv, roc.tsv, pr.tsv%s in %.1f s\n", r->args->out,
           r->classes ? ", confusion.tsv" : "", r->seconds);
}

/* Rank 0, before any work: a bad --out fails at once. */
static int check_out(void *ctx, Error *err) { return run_make_dir(((const EvalArgs *)ctx)->out, err); }

/* Rank 0: the metrics, every file, and the summary. */
static int finish(void *ctx, const Trained *t, const InferInput *in, const InferResult *res,
                  Error *err)
{
    const EvalArgs *a = ctx;
    if (t->task == TASK_REGRESSION) {
        EvalRegressionRun run = {a->checkpoint, a->out, a->chroms, a->rc_average, res->ranks,
                                 a->quiet, res->loss, res->started};
        return run_make_dir(a->out, err) != 0
                   ? -1
                   : eval_regression_report(&run, t, in, res->probs, res->labels, err);
    }
    Report r = {.args = a, .t = t, .in = in, .ranks = res->ranks, .probs = res->probs,
                .labels = res->labels, .oracle = res->oracle, .loss = res->loss,
                .started = res->started};
    int rc = report(&r, err);
    if (rc == 0 && !a->quiet)
        summarise(&r);
    target_metrics_free(&r.tm);
    if (r.oracle)
        target_metrics_free(&r.oracle_tm);
    free(r.confusion);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    EvalArgs a = {.min_count = 1, .curve_points = 1000};
    int status;
    if (!read_options(&argc, &argv, &a, &status))
        return status;
    InferJob job = {.checkpoint = a.checkpoint, .data = a.data, .batch = a.batch,
                    .threads = a.threads, .rc_average = a.rc_average, .labels = 1, .padding = -1,
                    .chroms = a.chroms,
                    .ctx = &a, .check_out = check_out, .finish = finish};
    return run_inference(par_world(), &job);
}
