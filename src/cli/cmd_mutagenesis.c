/* cmd_mutagenesis.c: `gseq_mpi mutagenesis --checkpoint C --data D --out ISM.h5 [--targets ...]
 * [--window A:B] [--logit]`: in-silico mutagenesis. For every sequence (gseq HDF5 rows, or FASTA
 * padded and trimmed to the model's length, read as predict reads them) and every position of the
 * window, each other base put in: the change of each chosen target's probability (or logit) from
 * the reference's, as HDF5 /ism (N, W, 4, K2), 0 at the reference base. Sequences are split over
 * the ranks in contiguous blocks; mutants of one or several sequences share a forward batch.
 * The computation is attribution.c's; the frame (targets, window, output) explain.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/explain.h"
#include "cli/run.h"
#include "nn/kernels.h"
#include "train/attribution.h"

enum { ISM_DEFAULT_BATCH = 512 }; /* rows a forward pass: 4 W + 1 rows are one sequence */

typedef struct {
    const char *checkpoint, *data, *genome, *out, *targets, *window;
    int batch, threads, quiet, logit;
    int padding; /* a Padding, -1 when not given */
} IsmArgs;

static const char mutagenesis_usage[] =
    "usage: gseq_mpi mutagenesis --checkpoint CKPT --data FILE --out ISM.h5 [options]\n";


static int read_options(int *argc, char ***argv, IsmArgs *a, int *status)
{
    const Option options[] = {
        EXPLAIN_INPUT_OPTIONS(a),
        OPT_REQUIRED("out", "FILE", &a->out,
                     "HDF5: /ism (N, W, 4, K2): target k's output with base b at\n"
                     "position window_start + w minus the reference's (0 at the\n"
                     "reference base); /reference (N, K2), /id, /target_names"),
        EXPLAIN_RUN_OPTIONS(a),
        OPT_STRING("window", "A:B", &a->window,
                   "mutate only positions A to B-1 of each sequence (from 0)"),
        OPT_FLAG("logit", &a->logit,
                 "differences of logits (log-odds) instead of probabilities"),
        OPT_INT("batch", "N", &a->batch, 1, 1000000,
                "rows (mutants and references) per forward pass (default 512;\n"
                "several sequences share one when their mutants fit)"),
        EXPLAIN_END_OPTIONS(a),
    };
    const OptCommand cmd = {"mutagenesis", mutagenesis_usage, options};
    return run_start(&cmd, argc, argv, status);
}

typedef struct {
    const IsmArgs *a;
    Trained *t;
    const ExplainTargets *tg;
    int w0, w1;
} IsmRun;

/* n sequences: each its /ism row then its /reference row. */
static void ism_rows(void *ctx, const uint8_t *tokens, int n, int64_t first, float *rows)
{
    IsmRun *r = ctx;
    int W = r->w1 - r->w0, K2 = r->tg->K2;
    size_t main = (size_t)W * 4 * K2, stride = main + K2;
    float *out = xalloc_floats((size_t)n * main), *ref = xalloc_floats((size_t)n * K2);
    attr_ism(&r->t->model, tokens, n, r->w0, r->w1, r->tg->index, K2, r->a->logit, out, ref);
    for (int i = 0; i < n; i++) {
        memcpy(rows + i * stride, out + i * main, sizeof(float) * main);
        memcpy(rows + i * stride + main, ref + (size_t)i * K2, sizeof(float) * K2);
    }
    free(out), free(ref);
    (void)first;
}

static int ism_attrs(void *ctx, H5File *f, Error *err)
{
    const IsmRun *r = ctx;
    return h5_write_attr_string(f, "/", "method", "mutagenesis", err) ||
           h5_write_attr_string(f, "/", "scale", r->a->logit ? "logit" : "probability", err);
}

static int run_ism(ParComm *c, const IsmArgs *a, Trained *t, Error *err)
{
    int w0, w1;
    if (explain_window(a->window, t->length, &w0, &w1, err) != 0)
        return -1;
    InferInput in;
    Padding padding = a->padding >= 0 ? (Padding)a->padding : t->padding;
    if (explain_input_open(c, a->data, a->genome, t, padding, &in, err) != 0)
        return -1;
    ExplainTargets tg;
    if (explain_targets(c, a->targets, t, &in, &tg, err) != 0) {
        infer_input_free(&in);
        return -1;
    }
    double started = now_seconds();
    int rows = 4 * (w1 - w0) + 1, B = t->model.max_batch;
    IsmRun r = {a, t, &tg, w0, w1};
    ExplainJob job = {.out = a->out, .main_name = "ism", .extra = {"reference", NULL},
                      .W = w1 - w0, .group = B > rows ? B / rows : 1, .run = ism_rows, .ctx = &r,
                      .attrs = ism_attrs};
    int rc = explain_run(c, t, &in, &tg, w0, &job, err);
    if (rc == 0 && par_rank(c) == 0 && !a->quiet)
        printf("gseq_mpi mutagenesis: %lld sequences x %d positions x 3 bases, %d target%s, "
               "%d rank%s: wrote %s in %.1f s\n", (long long)in.n, w1 - w0, tg.K2,
               tg.K2 == 1 ? "" : "s", par_size(c), par_size(c) == 1 ? "" : "s", a->out,
               now_seconds() - started);
    explain_targets_free(&tg);
    infer_input_free(&in);
    return rc;
}

int cmd_mutagenesis(int argc, char **argv)
{
    IsmArgs a = {.padding = -1};
    int status;
    if (!read_options(&argc, &argv, &a, &status))
        return status;
    ParComm *c = par_world();
    Error err = {{0}};
    kernels_set_threads(a.threads, par_node_size());
    if (par_root_verdict(c, par_rank(c) == 0 ? explain_probe_out(a.out, &err) : 0) != 0)
        return run_fail(c, &err, 1);
    Trained t;
    if (trained_load(c, a.checkpoint, a.batch > 0 ? a.batch : ISM_DEFAULT_BATCH, &t, &err) != 0)
        return run_fail(c, &err, 1);
    int rc = run_ism(c, &a, &t, &err);
    trained_free(&t);
    if (rc != 0)
        return run_fail(c, &err, 1);
    par_finalize();
    return 0;
}
