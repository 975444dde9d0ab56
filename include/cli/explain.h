/* explain.h: what `mutagenesis` and `attribute` share: the --targets and --window options checked
 * against the model, and the loop that runs a per-sequence computation over every rank's block
 * (rows as infer.c reads them) and streams the results to one HDF5 file on rank 0, row by row,
 * in input order whatever the rank count. The computations are attribution.c's. */
#ifndef GSEQ_EXPLAIN_H
#define GSEQ_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "data/h5io.h"
#include "parallel/par.h"
#include "train/infer.h"

/* The option rows both commands' tables start and end with (options.h); `a` points to their
 * arguments, which have these fields. */
#define EXPLAIN_INPUT_OPTIONS(a)                                                                  \
    OPT_REQUIRED("checkpoint", "CKPT", &(a)->checkpoint, "a checkpoint written by train"),        \
    OPT_REQUIRED("data", "FILE", &(a)->data,                                                      \
                 "a gseq HDF5 file (its length and targets must be the model's)\n"                \
                 "or FASTA, plain or gzip (padded and trimmed to the model's length)\n"           \
                 "or, with --genome, a BED file of intervals"),                                   \
    OPT_STRING("genome", "FASTA", &(a)->genome,                                                   \
               "--data is a BED file: each interval centred in a window of the\n"                 \
               "model's length from this genome (strand -: reverse complement)")
#define EXPLAIN_RUN_OPTIONS(a)                                                                    \
    OPT_STRING("targets", "NAMES|A:B", &(a)->targets,                                             \
               "only these targets: names, comma-separated, or indices A to B-1"),                \
    OPT_CHOICE("padding", "pre|post", &(a)->padding, padding_choices,                             \
               "FASTA: the side padded and trimmed (default as predict)")
#define EXPLAIN_END_OPTIONS(a)                                                                    \
    OPT_INT("threads", "N", &(a)->threads, 1, 1000000, "BLAS threads per rank (default as train)"), \
    OPT_FLAG("quiet", &(a)->quiet, "no summary line"), OPT_END

/* The chosen targets: all (spec NULL), "NAME,NAME" (the target names) or "A:B" (indices A to
 * B - 1). Parsed on rank 0, the same on every rank after; K2 >= 1. */
typedef struct {
    int K2;
    int *index;   /* (K2) into the model's K */
    char **names; /* rank 0: (K2) */
} ExplainTargets;

int explain_targets(ParComm *c, const char *spec, const Trained *t, const InferInput *in,
                    ExplainTargets *out, Error *err);
void explain_targets_free(ExplainTargets *tg);

/* The input rows: `data` as predict reads it (gseq HDF5 or FASTA, `padding` for FASTA), or with
 * `genome` set, the intervals of the BED file `data` centred in windows of the model's length. */
int explain_input_open(ParComm *c, const char *data, const char *genome, const Trained *t,
                       Padding padding, InferInput *in, Error *err);

/* "A:B" (positions A to B - 1 of the model's L) into [*w0, *w1); NULL: the whole row. The same
 * on every rank. */
int explain_window(const char *spec, int L, int *w0, int *w1, Error *err);

/* One output: a main dataset (N, W, 4, K2) and up to two (N, K2) beside it. */
typedef struct {
    const char *out;         /* --out */
    const char *main_name;   /* "ism", "attributions" */
    const char *extra[2];    /* names of the (N, K2) datasets, NULL if unused */
    int W;                   /* positions in the main dataset */
    int group;               /* sequences per call of run (>= 1) */
    /* Computes sequences [0, n) of `tokens` (global rows first ...): for each sequence i, its
     * main row (W * 4 * K2 floats) at rows + i * stride, then its extra rows (K2 each). */
    void (*run)(void *ctx, const uint8_t *tokens, int n, int64_t first, float *rows);
    void *ctx;
    /* Rank 0: more attributes on "/" (the command's settings); may be NULL. */
    int (*attrs)(void *ctx, H5File *f, Error *err);
} ExplainJob;

/* Rank 0, before any work: the output's folder takes a file. */
int explain_probe_out(const char *out, Error *err);

/* Runs job over every rank's block of `in` and writes --out (through a temporary file renamed
 * when complete): the datasets, /id, /target_names, /target_index, the coordinates when the input
 * has them, and the attributes checkpoint, data, length, window_start, window_end. The same
 * verdict on every rank. */
int explain_run(ParComm *c, const Trained *t, const InferInput *in, const ExplainTargets *tg,
                int w0, const ExplainJob *job, Error *err);

#endif
