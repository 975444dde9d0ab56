/* infer.h: what `eval` and `predict` share. A trained model loaded from a checkpoint onto every
 * rank; input rows (a gseq HDF5 file, or FASTA padded and trimmed to the model's length) split into
 * one contiguous block per rank, each rank reading only its own block; the forward pass over a block,
 * optionally averaged with the reverse complement; and the results gathered to rank 0 in row order.
 * Writing files and reporting are left to cmd_eval.c and cmd_predict.c.
 *
 * Errors: every function that may fail returns the same verdict on every rank, with the message
 * (from whichever rank met the problem first) in err on rank 0, which prints it. */
#ifndef GSEQ_INFER_H
#define GSEQ_INFER_H

#include <stdint.h>

#include "nn/config.h"
#include "data/coords.h"
#include "data/dataset.h"
#include "nn/model.h"
#include "parallel/par.h"

/* A model as a checkpoint describes it, with its trained parameters on every rank. */
typedef struct {
    char path[512];
    Config cfg;
    Model model;          /* max_batch = the inference batch */
    int length, targets;  /* L, K */
    Task task;
    /* The training data named in the checkpoint's config ([data] train), when it can still be
     * opened and has the model's length: its padding side and target names. */
    int data_found;
    Padding padding;      /* its padding, else PAD_PRE */
    char **target_names;  /* rank 0: K names (the training data's, else "target_<k>") */
} Trained;

/* batch 0: the config's train.batch. */
int trained_load(ParComm *c, const char *checkpoint, int batch, Trained *t, Error *err);
/* trained_load with the model built for input gradients (attribute: model_build_input_grad). */
int trained_load_input_grad(ParComm *c, const char *checkpoint, int batch, Trained *t, Error *err);
void trained_free(Trained *t);

/* The rows to run, as this rank holds them. */
typedef struct {
    char path[512];
    int fasta;              /* read from FASTA (else a gseq HDF5 file) */
    int64_t n;              /* rows in all */
    int64_t first, count;   /* this rank's block: rows [first, first + count) (of rows, if set) */
    int64_t *rows;          /* (n) the file's rows taken (eval --chroms), increasing; NULL: all */
    int64_t selected;       /* their number (= n) */
    int length;             /* L (the model's) */
    int targets;            /* K of the file's labels (HDF5) */
    Task task;              /* the file's (HDF5) */
    uint8_t *tokens;        /* (count, L) */
    float *labels;          /* (count, K) when labels were asked for, else NULL */
    float *oracle;          /* (count, K) synth's /oracle when labels were asked for and it exists */
    char **ids;             /* rank 0, without labels (predict): (n) */
    Coords coords;          /* rank 0, without labels (predict): the file's /chrom, /start, /end
                             * (/strand) of every row; coords.chrom NULL when it has none */
    char **target_names;    /* rank 0: (K) the file's (HDF5), else NULL */
    Padding padding;        /* FASTA: the side padded and trimmed; HDF5: the file's attribute */
    int64_t trimmed, padded; /* FASTA: records longer / shorter than L */
} InferInput;

/* Opens `path` (HDF5 by its signature, else FASTA), checks that it fits the model (an HDF5 file
 * must have the model's length and targets, and its task too when labels are wanted; FASTA cannot
 * give labels) and reads this rank's block. `padding` applies to FASTA. `chroms` ("chr8,chr9",
 * HDF5 without ids: eval) keeps only the rows on those chromosomes (the file's /chrom); NULL all. */
int infer_input_open(ParComm *c, const char *path, const Trained *t, Padding padding,
                     int want_labels, const char *chroms, InferInput *in, Error *err);
/* Genome intervals: every interval of the BED file `bed` (BED3 and up, narrowPeak, broadPeak;
 * bed.h) becomes the window of the model's L bases centred on it ((start + end) / 2 - L / 2),
 * fetched from `genome` (genome.h) and reverse-complemented for strand '-'. A window past its
 * chromosome's ends, a chromosome the genome lacks or a file without intervals is an error. Rank 0
 * holds ids ("chrom:start-end[:strand]") and the windows' coordinates. */
int infer_input_open_bed(ParComm *c, const char *bed, const char *genome, const Trained *t,
                         InferInput *in, Error *err);
void infer_input_free(InferInput *in);

/* Forward pass over every rank's block in batches of the model's max_batch; with rc_average the
 * probabilities are the mean of the sequence's and its reverse complement's. On rank 0, probs
 * (n, K) receives them in row order, and when the input has labels so do labels (n, K) and, when
 * present, oracle (n, K) (NULL pointers skip them). Returns 0 with *loss the mean loss (NaN without
 * labels; from the logits, or with rc_average from the averaged probabilities clipped to
 * [1e-7, 1 - 1e-7] as Keras does), or -1 when the model gives a non-finite probability. */
int infer_run(ParComm *c, Trained *t, const InferInput *in, int rc_average, float *probs,
              float *labels, float *oracle, double *loss, Error *err);


#endif
