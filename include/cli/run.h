/* run.h: what the commands that run on every rank (train, cv, eval, predict) share: starting MPI
 * and reading the options, ending the run on every rank after an error, making the output
 * directory, and the frame of eval and predict (a checkpoint, input rows, the forward pass on every
 * rank, rank 0's outputs), and the --padding choices. Option tables are options.h's; the model and the rows are infer.h's. */
#ifndef GSEQ_RUN_H
#define GSEQ_RUN_H

#include "cli/options.h"
#include "parallel/par.h"
#include "train/infer.h"

/* The choices of a --padding option: pre, post (dataset.h Padding). */
extern const OptChoice padding_choices[];

/* Starts MPI and reads the options (rank 0 prints --help or the mistake): 1 to go on, else 0 with
 * MPI finalized and *status the exit status (0 after --help, 2 after a mistake). */
int run_start(const OptCommand *cmd, int *argc, char ***argv, int *status);
/* A mistake on the command line found after opt_parse: rank 0 prints "gseq_mpi <command>: ...";
 * MPI finalized; returns 2. */
int run_usage_error(const OptCommand *cmd, const Error *err);
/* Ends the command on every rank: rank 0 prints "gseq_mpi: <message>"; MPI finalized; returns
 * status. */
int run_fail(ParComm *c, const Error *err, int status);

/* mkdir -p `dir` (an --out), then a probe that it takes files. */
int run_make_dir(const char *dir, Error *err);

/* What the forward pass leaves for eval's and predict's outputs. */
typedef struct {
    float *probs, *labels, *oracle; /* rank 0: (n, K); labels with InferJob.labels, oracle when the
                                     * data has one (else NULL) */
    double loss;                    /* mean loss (NaN without labels) */
    int ranks;
    double started;                 /* now_seconds() at the start */
} InferResult;

typedef struct {
    const char *checkpoint, *data;
    int batch, threads, rc_average;
    int labels;  /* eval: the data must have labels, gathered with the probabilities */
    int padding; /* FASTA: a Padding, or -1 for the side the checkpoint's training data used */
    const char *chroms; /* eval: only the rows on these chromosomes ("chr8,chr9"), or NULL */
    void *ctx;   /* the command's, for the two steps below */
    /* Rank 0, before any work: the output can be written (a bad --out fails at once). */
    int (*check_out)(void *ctx, Error *err);
    /* Rank 0, at the end: writes the outputs and reports. */
    int (*finish)(void *ctx, const Trained *t, const InferInput *in, const InferResult *res,
                  Error *err);
} InferJob;

/* The whole command after run_start: BLAS threads, check_out, the checkpoint onto every rank, the
 * input, the forward pass, finish; errors end every rank. Returns the exit status, MPI finalized. */
int run_inference(ParComm *c, const InferJob *job);

#endif
