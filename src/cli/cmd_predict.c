/* cmd_predict.c: `gseq_mpi predict --checkpoint C --data D --out P.h5 [--tsv] [--rc-average]`:
 * probabilities (N, K) of a trained model for every row of a gseq HDF5 file or every record of a
 * FASTA file (padded and trimmed to the model's length), each rank taking a contiguous block of
 * rows; rank 0 writes them with the sequence ids and target names, as HDF5 (readable with h5py
 * alone) or as TSV. The model, the input and the forward pass are infer.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "data/h5io.h"
#include "train/infer.h"

#define PREDICTIONS_FORMAT_VERSION 1

typedef struct {
    const char *checkpoint, *data, *out;
    int tsv, rc_average, batch, threads, quiet, padding_set;
    Padding padding;
} PredictArgs;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gseq_mpi predict --checkpoint CKPT --data FILE --out P.h5 [options]\n"
            "  --checkpoint CKPT    a checkpoint written by train (best.h5, last.h5)\n"
            "  --data FILE          a gseq HDF5 file (its length and targets must be the model's)\n"
            "                       or FASTA, plain or gzip (padded and trimmed to the model's length)\n"
            "  --out FILE           where to write: HDF5 with /probabilities (N, K), /id (N) and\n"
            "                       /target_names (K); with --tsv, text: id then one column a target\n"
            "  --tsv                write TSV instead of HDF5\n"
            "  --rc-average         average each sequence's probabilities with its reverse complement's\n"
            "  --padding pre|post   FASTA: the side padded and trimmed (default: the side the\n"
            "                       checkpoint's training data used, else pre, as Keras)\n"
            "  --batch N            sequences per forward pass on each rank (default: the config's batch)\n"
            "  --threads N          BLAS threads per rank (default as train)\n"
            "  --quiet              no summary line\n");
}

static int positive(const char *v, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || end == v || x <= 0 || x > 1000000)
        return -1;
    *out = (int)x;
    return 0;
}

/* 0, or 2 with the message in err. */
static int parse_args(int argc, char **argv, PredictArgs *a, Error *err, int *help)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            *help = 1;
            return 0;
        }
        if (!strcmp(f, "--tsv")) { a->tsv = 1; continue; }
        if (!strcmp(f, "--rc-average")) { a->rc_average = 1; continue; }
        if (!strcmp(f, "--quiet")) { a->quiet = 1; continue; }
        static const char *valued[] = {"--checkpoint", "--data", "--out", "--padding", "--batch",
                                       "--threads"};
        int known = 0;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            known |= !strcmp(f, valued[k]);
        if (!known)
            return error_set(err, "predict: unknown option %s (see gseq_mpi predict --help)", f), 2;
        if (i + 1 >= argc)
            return error_set(err, "predict: %s needs a value", f), 2;
        const char *v = argv[++i];
        if (!strcmp(f, "--checkpoint")) a->checkpoint = v;
        else if (!strcmp(f, "--data")) a->data = v;
        else if (!strcmp(f, "--out")) a->out = v;
        else if (!strcmp(f, "--padding")) {
            if (padding_parse(v, &a->padding) != 0)
                return error_set(err, "predict: --padding %s: expected pre or post", v), 2;
            a->padding_set = 1;
        } else if (positive(v, !strcmp(f, "--batch") ? &a->batch : &a->threads) != 0)
            return error_set(err, "predict: %s %s: expected a positive integer", f, v), 2;
    }
    if (!a->checkpoint)
        return error_set(err, "predict: --checkpoint CKPT is required"), 2;
    if (!a->data)
        return error_set(err, "predict: --data FILE is required"), 2;
    if (!a->out)
        return error_set(err, "predict: --out FILE is required"), 2;
    return 0;
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
    int rc = h5_write_f32(f, "probabilities", 2, dims, probs, err) ||
             write_strings(f, "id", in->ids, in->n, err) ||
             write_strings(f, "target_names", names, t->targets, err) ||
             h5_write_attr_int(f, "/", "format_version", PREDICTIONS_FORMAT_VERSION, err) ||
             h5_write_attr_string(f, "/", "checkpoint", a->checkpoint, err) ||
             h5_write_attr_string(f, "/", "data", a->data, err) ||
             h5_write_attr_string(f, "/", "task", task_name(t->task), err) ||
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
    fputs("id", f);
    for (int k = 0; k < t->targets; k++)
        fprintf(f, "\t%s", names[k]);
    fputc('\n', f);
    for (int64_t i = 0; i < in->n; i++) {
        fputs(in->ids[i], f);
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

static int fail(ParComm *c, const Error *err, int status)
{
    if (par_rank(c) == 0)
        fprintf(stderr, "gseq_mpi: %s\n", err->msg);
    par_finalize();
    return status;
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

int cmd_predict(int argc, char **argv)
{
    par_init(&argc, &argv);
    ParComm *c = par_world();
    double started = now_seconds();
    PredictArgs a;
    Error err = {{0}};
    int help = 0, root = par_rank(c) == 0;
    if (parse_args(argc, argv, &a, &err, &help) != 0)
        return fail(c, &err, 2);
    if (help) {
        if (root)
            usage(stdout);
        par_finalize();
        return 0;
    }
    infer_set_threads(a.threads);
    if (infer_agree(c, root ? probe_out(a.out, &err) : 0, &err) != 0)
        return fail(c, &err, 1);
    Trained t;
    if (trained_load(c, a.checkpoint, a.batch, &t, &err) != 0)
        return fail(c, &err, 1);
    InferInput in;
    Padding padding = a.padding_set ? a.padding : t.padding;
    if (infer_input_open(c, a.data, &t, padding, 0, &in, &err) != 0) {
        trained_free(&t);
        return fail(c, &err, 1);
    }
    float *probs = root ? xalloc_floats((size_t)in.n * t.targets + 1) : NULL;
    double loss;
    int rc = infer_run(c, &t, &in, a.rc_average, probs, NULL, NULL, &loss, &err);
    if (rc == 0)
        rc = infer_agree(c, root ? write_predictions(&a, &t, &in, probs, &err) : 0, &err);
    if (rc == 0 && root && !a.quiet) {
        char what[256];
        describe_input(&a, &in, &t, what, sizeof what);
        printf("gseq_mpi predict: %lld sequences of %s (%s), %d target%s, %d rank%s%s: wrote %s "
               "in %.1f s\n", (long long)in.n, in.path, what, t.targets, t.targets == 1 ? "" : "s",
               par_size(c), par_size(c) == 1 ? "" : "s", a.rc_average ? ", reverse-complement averaged" : "",
               a.out, now_seconds() - started);
    }
    free(probs);
    infer_input_free(&in);
    trained_free(&t);
    if (rc != 0)
        return fail(c, &err, 1);
    par_finalize();
    return 0;
}
