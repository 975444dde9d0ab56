/* eval_regression.c: the regression half of `gseq_mpi eval` (see eval_regression.h). A target
 * whose predictions or labels are constant has no correlation: null in metrics.json, NaN in
 * targets.tsv, left out of the means, and listed under "uncorrelated". */
#include "cli/eval_regression.h"

#include <math.h>
#include <stdio.h>

#include "base/json_out.h"
#include "train/metrics.h"

static void tsv_number(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else
        fprintf(f, "%.10g", v);
}

static int write_targets(const EvalRegressionRun *run, const InferInput *in,
                         const RegressionMetrics *m, Error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/targets.tsv", run->out);
    FILE *f = out_open(path, err);
    if (!f)
        return -1;
    fputs("target\tpearson\tspearman\tmse\n", f);
    for (int k = 0; k < m->K; k++) {
        fprintf(f, "%s\t", in->target_names[k]);
        tsv_number(f, m->pearson[k]);
        fputc('\t', f);
        tsv_number(f, m->spearman[k]);
        fputc('\t', f);
        tsv_number(f, m->mse[k]);
        fputc('\n', f);
    }
    return out_close(f, path, err);
}

static int write_json(const EvalRegressionRun *run, const Trained *t, const InferInput *in,
                      const RegressionMetrics *m, Error *err)
{
    json_t *root = json_out_pack(
        "{s:o, s:o, s:I, s:s, s:s, s:i, s:b, s:i, s:o, s:o, s:o, s:o, s:i}",
        "checkpoint", json_out_string(run->checkpoint), "data", json_out_string(in->path),
        "n", (json_int_t)in->n, "task", task_name(t->task), "loss_kind", loss_name(t->model.loss),
        "n_targets", t->targets, "rc_average", run->rc_average, "ranks", run->ranks,
        "loss", json_out_number(run->loss), "pearson_mean", json_out_number(m->pearson_mean),
        "spearman_mean", json_out_number(m->spearman_mean), "mse_mean", json_out_number(m->mse_mean),
        "targets_correlated", m->correlated);
    if (run->chroms)
        json_out_set(root, "chroms", json_out_string(run->chroms));
    json_t *uncorrelated = json_array(), *targets = json_array();
    json_out_set(root, "uncorrelated", uncorrelated);
    json_out_set(root, "targets", targets);
    for (int k = 0; k < m->K; k++) {
        json_t *name = json_out_string(in->target_names[k]);
        if (isnan(m->pearson[k]))
            json_out_push(uncorrelated, json_out_string(in->target_names[k]));
        json_out_push(targets, json_out_pack("{s:o, s:o, s:o, s:o}", "target", name,
                                             "pearson", json_out_number(m->pearson[k]),
                                             "spearman", json_out_number(m->spearman[k]),
                                             "mse", json_out_number(m->mse[k])));
    }
    json_out_set(root, "seconds", json_out_number(now_seconds() - run->started));
    char path[600];
    snprintf(path, sizeof path, "%s/metrics.json", run->out);
    return json_out_write_file(path, root, err);
}

static void summarise(const EvalRegressionRun *run, const Trained *t, const InferInput *in,
                      const RegressionMetrics *m)
{
    printf("gseq_mpi eval: %s on %s%s%s: %lld samples, %d target%s (regression, loss %s), %d "
           "rank%s%s\n", run->checkpoint, in->path, run->chroms ? ", chromosomes " : "",
           run->chroms ? run->chroms : "", (long long)in->n, t->targets, t->targets == 1 ? "" : "s",
           loss_name(t->model.loss), run->ranks, run->ranks == 1 ? "" : "s",
           run->rc_average ? ", reverse-complement averaged" : "");
    printf("loss %.4f, pearson %.4f, spearman %.4f (means over %d target%s), mse %.4g\n", run->loss,
           m->pearson_mean, m->spearman_mean, m->correlated, m->correlated == 1 ? "" : "s",
           m->mse_mean);
    if (m->correlated < m->K)
        printf("%d target%s without a correlation (constant predictions or labels): see "
               "metrics.json\n", m->K - m->correlated, m->K - m->correlated == 1 ? "" : "s");
    printf("wrote %s/metrics.json, targets.tsv\n", run->out);
}

int eval_regression_report(const EvalRegressionRun *run, const Trained *t, const InferInput *in,
                           const float *pred, const float *labels, Error *err)
{
    RegressionMetrics m;
    metrics_regression(pred, labels, (size_t)in->n, t->targets, &m);
    int rc = write_targets(run, in, &m, err) != 0 || write_json(run, t, in, &m, err) != 0 ? -1 : 0;
    if (rc == 0 && !run->quiet)
        summarise(run, t, in, &m);
    regression_metrics_free(&m);
    return rc;
}
