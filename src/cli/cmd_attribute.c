/* cmd_attribute.c: `gseq_mpi attribute --checkpoint C --data D --out A.h5 --method saliency|ig
 * [--steps 50] [--baseline zeros|shuffle] [--seed S] [--targets ...]`: per position and base, the
 * attribution of each chosen target's logit: gradient x input (saliency) or integrated gradients
 * from an all-zero or a dinucleotide-shuffled baseline, as HDF5 /attributions (N, L, 4, K2), with
 * /logit (N, K2) and, for ig, /baseline_logit (N, K2). The model is built for input gradients
 * (model_build_input_grad); for an embedding model the input is the one-hot row the embedding
 * multiplies (model.h). Sequences are split over the ranks; the frame is explain.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/explain.h"
#include "cli/run.h"
#include "nn/kernels.h"
#include "train/attribution.h"

enum { METHOD_SALIENCY, METHOD_IG };
enum { BASELINE_ZEROS, BASELINE_SHUFFLE };
enum { ATTR_DEFAULT_BATCH = 100 };

typedef struct {
    const char *checkpoint, *data, *genome, *out, *targets;
    int method, steps, baseline, batch, threads, quiet;
    int64_t seed;
    int padding; /* a Padding, -1 when not given */
} AttrArgs;

static const char attribute_usage[] =
    "usage: gseq_mpi attribute --checkpoint CKPT --data FILE --out A.h5 [options]\n";

static const OptChoice methods[] = {{"saliency", METHOD_SALIENCY}, {"ig", METHOD_IG}, {NULL, 0}};
static const OptChoice baselines[] = {{"zeros", BASELINE_ZEROS}, {"shuffle", BASELINE_SHUFFLE},
                                      {NULL, 0}};

static int read_options(int *argc, char ***argv, AttrArgs *a, int *status)
{
    const Option options[] = {
        EXPLAIN_INPUT_OPTIONS(a),
        OPT_REQUIRED("out", "FILE", &a->out,
                     "HDF5: /attributions (N, L, 4, K2), /logit (N, K2), for ig\n"
                     "/baseline_logit (N, K2); /id, /target_names"),
        OPT_CHOICE("method", "saliency|ig", &a->method, methods,
                   "gradient x input, or integrated gradients (default saliency)"),
        OPT_INT("steps", "N", &a->steps, 1, 100000, "ig: points on the path (midpoint rule; 50)"),
        OPT_CHOICE("baseline", "zeros|shuffle", &a->baseline, baselines,
                   "ig: all-zero input, or a dinucleotide shuffle of the sequence (zeros)"),
        OPT_INT64("seed", "S", &a->seed, 0, INT64_MAX, "the shuffle's seed (1)"),
        EXPLAIN_RUN_OPTIONS(a),
        OPT_INT("batch", "N", &a->batch, 1, 1000000,
                "rows (path points x targets) per gradient pass (default 100)"),
        EXPLAIN_END_OPTIONS(a),
    };
    const OptCommand cmd = {"attribute", attribute_usage, options};
    return run_start(&cmd, argc, argv, status);
}

typedef struct {
    const AttrArgs *a;
    Trained *t;
    const ExplainTargets *tg;
    uint8_t *shuffled; /* (L) */
    float *base;       /* (L, 4) */
} AttrRun;

/* One sequence at a time: its /attributions row, then /logit (and /baseline_logit). */
static void attr_rows(void *ctx, const uint8_t *tokens, int n, int64_t first, float *rows)
{
    AttrRun *r = ctx;
    int L = r->t->length, K2 = r->tg->K2;
    size_t main = (size_t)L * 4 * K2;
    for (int i = 0; i < n; i++, rows += main + (r->a->method == METHOD_IG ? 2 : 1) * K2) {
        const uint8_t *tok = tokens + (size_t)i * L;
        if (r->a->method == METHOD_SALIENCY) {
            attr_saliency(&r->t->model, tok, r->tg->index, K2, rows, rows + main);
            continue;
        }
        if (r->a->baseline == BASELINE_SHUFFLE) {
            attr_dinuc_shuffle(tok, r->shuffled, L, (uint64_t)r->a->seed, (uint64_t)(first + i));
            attr_onehot(r->shuffled, 1, L, r->base);
        } else {
            memset(r->base, 0, sizeof(float) * (size_t)L * 4);
        }
        attr_integrated(&r->t->model, tok, r->base, r->a->steps, r->tg->index, K2, rows,
                        rows + main, rows + main + K2);
    }
}

static int attr_attrs(void *ctx, H5File *f, Error *err)
{
    const AttrArgs *a = ((const AttrRun *)ctx)->a;
    int ig = a->method == METHOD_IG;
    return h5_write_attr_string(f, "/", "method", ig ? "integrated_gradients" : "saliency", err) ||
           h5_write_attr_string(f, "/", "of", "logit", err) ||
           (ig && (h5_write_attr_int(f, "/", "steps", a->steps, err) ||
                   h5_write_attr_string(f, "/", "baseline",
                                        a->baseline == BASELINE_SHUFFLE ? "dinucleotide_shuffle"
                                                                        : "zeros", err) ||
                   h5_write_attr_int(f, "/", "seed", a->seed, err)));
}

static int run_attribute(ParComm *c, const AttrArgs *a, Trained *t, Error *err)
{
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
    int ig = a->method == METHOD_IG;
    AttrRun r = {a, t, &tg, xmalloc((size_t)t->length, 1), xalloc_floats((size_t)t->length * 4)};
    ExplainJob job = {.out = a->out, .main_name = "attributions",
                      .extra = {"logit", ig ? "baseline_logit" : NULL}, .W = t->length,
                      .group = 1, .run = attr_rows, .ctx = &r, .attrs = attr_attrs};
    int rc = explain_run(c, t, &in, &tg, 0, &job, err);
    if (rc == 0 && par_rank(c) == 0 && !a->quiet)
        printf("gseq_mpi attribute: %s of %lld sequences, %d target%s, %d rank%s: wrote %s in "
               "%.1f s\n", ig ? "integrated gradients" : "saliency", (long long)in.n, tg.K2,
               tg.K2 == 1 ? "" : "s", par_size(c), par_size(c) == 1 ? "" : "s", a->out,
               now_seconds() - started);
    free(r.shuffled), free(r.base);
    explain_targets_free(&tg);
    infer_input_free(&in);
    return rc;
}

int cmd_attribute(int argc, char **argv)
{
    AttrArgs a = {.padding = -1, .steps = 50, .seed = 1};
    int status;
    if (!read_options(&argc, &argv, &a, &status))
        return status;
    ParComm *c = par_world();
    Error err = {{0}};
    kernels_set_threads(a.threads, par_node_size());
    if (par_root_verdict(c, par_rank(c) == 0 ? explain_probe_out(a.out, &err) : 0) != 0)
        return run_fail(c, &err, 1);
    Trained t;
    if (trained_load_input_grad(c, a.checkpoint, a.batch > 0 ? a.batch : ATTR_DEFAULT_BATCH, &t,
                                &err) != 0)
        return run_fail(c, &err, 1);
    int rc = run_attribute(c, &a, &t, &err);
    trained_free(&t);
    if (rc != 0)
        return run_fail(c, &err, 1);
    par_finalize();
    return 0;
}
