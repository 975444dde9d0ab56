/* cmd_predict.c: `gseq_mpi predict --checkpoint C --data D --out P.h5 [--tsv] [--rc-average]`:
 * probabilities (N, K) (a regression model: the predicted values) of a trained model for every row of a gseq HDF5 file or every record of a
 * FASTA file (padded and trimmed to the model's length), each rank taking a contiguous block of
 * rows; rank 0 writes them with the sequence ids, the genome coordinates when the input has them,
 * and the target names, as HDF5 (readable with h5py alone) or as TSV (BED-like with coordinates). The model, the input and the forward pass are infer.c's; the frame it shares
 * with eval (threads, checkpoint, input, errors on every rank) is run.c's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/run.h"
#include "data/coords.h"
#include "data/h5io.h"
#include "train/infer.h"

#define PREDICTIONS_FORMAT_VERSION 1

typedef struct {
    const char *checkpoint, *data, *out;
    int tsv, rc_average, batch, threads, quiet, padding_set;
    int padding; /* a Padding, -1 when not given */
} PredictArgs;

static const char predict_usage[] =
    "usage: gseq_mpi predict --checkpoint CKPT --data FILE --out P.h5 [options]\n";


/* Starts MPI and reads predict's options into a: 1 to go on, else 0 with the exit status. */
static int read_options(int *argc, char ***argv, PredictArgs *a, int *status)
{
    const Option options[] = {
        OPT_REQUIRED("checkpoint", "CKPT", &a->checkpoint,
                     "a checkpoint written by train (best.h5, last.h5)"),
        OPT_REQUIRED("data", "FILE", &a->data,
                     "a gseq HDF5 file (its length and targets must be the model's)\n"
                     "or FASTA, plain or gzip (padded and trimmed to the model's length)"),
        OPT_REQUIRED("out", "FILE", &a->out,
                     "where to write: HDF5 with /probabilities (N, K) (regression:\n"
                     "/values, the output activation's), /id (N),\n"
                     "/target_names (K), and /chrom, /start, /end (/strand) when the\n"
                     "input has them; with --tsv, text: id then one column a target,\n"
                     "or for input with coordinates chrom, start, end (strand), then\n"
                     "one column a target (BED-like, header line starting with #)"),
        OPT_FLAG("tsv", &a->tsv, "write TSV instead of HDF5"),
        OPT_FLAG("rc-average", &a->rc_average,
                 "average each sequence's probabilities with its reverse complement's"),
        OPT_CHOICE("padding", "pre|post", &a->padding, padding_choices,
                   "FASTA: the side padded and trimmed (default: the side the\n"
                   "checkpoint's training data used, else pre, as Keras)"),
        OPT_INT("batch", "N", &a->batch, 1, 1000000,
                "sequences per forward pass on each rank (default: the config's batch)"),
        OPT_INT("threads", "N", &a->threads, 1, 1000000, "BLAS threads per rank (default as train)"),
        OPT_FLAG("quiet", &a->quiet, "no summary line"),
        OPT_END,
    };
    const OptCommand cmd = {"predict", predict_usage, options};
    return run_start(&cmd, argc, argv, status);
}

static int write_strings(H5File *f, const char *name, char *const *s, int64_t n, Error *err)
{
    int64_t start = 0;
    return h5_create_dataset(f, name, H5IO_STR, 1, &n, NULL, NULL, 0, err) ||
           h5_write_slab(f, name, H5IO_STR, &start, &n, s, err);
}

static int write_h5(const char *path, const PredictArgs *a, const Trained *t, const InferInput *in,
                    char *const *names, const float *probs, Error *err)
{
    int64_t dims[2] = {in->n, t->targets};
    H5File *f = h5_create(path, err);
    if (!f)
        return -1;
    const char *what = t->task == TASK_REGRESSION ? "values" : "probabilities";
    int rc = h5_write_f32(f, what, 2, dims, probs, err) ||
             write_strings(f, "id", in->ids, in->n, err) ||
             write_strings(f, "target_names", names, t->targets, err) ||
             (in->coords.chrom && coords_write(f, &in->coords, err)) ||
             h5_write_attr_int(f, "/", "format_version", PREDICTIONS_FORMAT_VERSION, err) ||
             h5_write_attr_string(f, "/", "checkpoint", a->checkpoint, err) ||
             h5_write_attr_string(f, "/", "data", a->data, err) ||
             h5_write_attr_string(f, "/", "task", task_name(t->task), err) ||
             h5_write_attr_string(f, "/", "loss", loss_name(t->model.loss), err) ||
             h5_write_attr_int(f, "/", "length", t->length, err) ||
             h5_write_attr_string(f, "/", "padding", padding_name(in->padding), err) ||
             h5_write_attr_int(f, "/", "rc_average", a->rc_average, err)
                 ? -1
                 : 0;
    Error close_err;
    if (h5_close(f, &close_err) != 0 && rc == 0) {
        *err = close_err;
        rc = -1;
    }
    return rc;
}

static int write_tsv(const char *path, const Trained *t, const InferInput *in, char *const *names,
                     const float *probs, Error *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return error_set(err, "%s: cannot write: %s", path, strerror(errno));
    const Coords *c = in->coords.chrom ? &in->coords : NULL;
    fputs(c ? (c->strand ? "#chrom\tstart\tend\tstrand" : "#chrom\tstart\tend") : "id", f);
    for (int k = 0; k < t->targets; k++)
        fprintf(f, "\t%s", names[k]);
    fputc('\n', f);
    for (int64_t i = 0; i < in->n; i++) {
        if (!c)
            fputs(in->ids[i], f);
        else
            fprintf(f, "%s\t%lld\t%lld%s%s", c->chrom[i], (long long)c->start[i],
                    (long long)c->end[i], c->strand ? "\t" : "", c->strand ? c->strand[i] : "");
        for (int k = 0; k < t->targets; k++)
            fprintf(f, "\t%.7g", probs[i * t->targets + k]);
        fputc('\n', f);
    }
    if (ferror(f) | (fclose(f) != 0))
        return error_set(err, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

/* Rank 0, before any work: the output's directory takes a file. */
static int probe_out(const char *out, Error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return error_set(err, "--out %s: cannot write: %s", out, strerror(errno));
    fclose(f);
    unlink(tmp);
    return 0;
}

/* Rank 0: into a temporary file beside the output, renamed when complete. */
static int write_predictions(const PredictArgs *a, const Trained *t, const InferInput *in,
                             const float *probs, Error *err)
{
    char *const *names = in->target_names ? in->target_names : t->target_names;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", a->out, (long)getpid());
    int rc = a->tsv ? write_tsv(tmp, t, in, names, probs, err)
                    : write_h5(tmp, a, t, in, names, probs, err);
    if (rc == 0 && rename(tmp, a->out) != 0)
        rc = error_set(err, "%s: cannot rename %s into place: %s", a->out, tmp, strerror(errno));
    if (rc != 0) {
        unlink(tmp);
        if (!strstr(err->msg, a->out)) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            error_set(err, "%s: cannot write predictions: %s", a->out, why);
        }
    }
    return rc;
}

static void describe_input(const PredictArgs *a, const InferInput *in, const Trained *t, char *buf,
                           size_t len)
{
    if (!in->fasta) {
        snprintf(buf, len, "HDF5");
        return;
    }
    snprintf(buf, len, "FASTA; %lld padded and %lld trimmed to %d at the %s: %s",
             (long long)in->padded, (long long)in->trimmed, t->length,
             in->padding == PAD_PRE ? "front" : "back",
             a->padding_set ? "--padding" : t->data_found ? "as the training data" : "the default");
}

/* Rank 0, before any work: the output's directory takes a file. */
static int check_out(void *ctx, Error *err) { return probe_out(((const PredictArgs *)ctx)->out, err); }

/* Rank 0: the predictions, and the summary line. */
static int finish(void *ctx, const Trained *t, const InferInput *in, const InferResult *res,
                  Error *err)
{
    const PredictArgs *a = ctx;
    if (write_predictions(a, t, in, res->probs, err) != 0)
        return -1;
    if (!a->quiet) {
        char what[256];
        describe_input(a, in, t, what, sizeof what);
        printf("gseq_mpi predict: %lld sequences of %s (%s), %d target%s, %d rank%s%s: wrote %s "
               "in %.1f s\n", (long long)in->n, in->path, what, t->targets, t->targets == 1 ? "" : "s",
               res->ranks, res->ranks == 1 ? "" : "s", a->rc_average ? ", reverse-complement averaged" : "",
               a->out, now_seconds() - res->started);
    }
    return 0;
}

int cmd_predict(int argc, char **argv)
{
    PredictArgs a = {.padding = -1};
    int status;
    if (!read_options(&argc, &argv, &a, &status))
        return status;
    a.padding_set = a.padding >= 0;
    InferJob job = {.checkpoint = a.checkpoint, .data = a.data, .batch = a.batch,
                    .threads = a.threads, .rc_average = a.rc_average, .labels = 0,
                    .padding = a.padding, .ctx = &a, .check_out = check_out, .finish = finish};
    return run_inference(par_world(), &job);
}
