/* trainer.h: data-parallel training of one model over one communicator. A global batch of B samples
 * is split over the P ranks as evenly as it goes; each rank runs forward and backward on its part;
 * the flat gradient is summed over the ranks (update.h: in memory the node's ranks share, or by MPI)
 * and, because every rank divides its loss by the global count, is then the mean; each rank takes
 * the Adam step on its slice, and every rank ends the step with the same parameters. Sample order and dropout masks are keyed by (seed, epoch,
 * sample), never by rank, so results do not depend on P beyond the rounding of the sums.
 * The trainer writes nothing itself: it calls back at each step and epoch (cmd_train.c reports). */
#ifndef GSEQ_TRAINER_H
#define GSEQ_TRAINER_H

#include "nn/adam.h"
#include "train/checkpoint.h"
#include "nn/config.h"
#include "data/data_table.h"
#include "train/metrics.h"
#include "nn/model.h"
#include "parallel/par.h"
#include "parallel/plan.h"
#include "parallel/update.h"

typedef struct Trainer Trainer;

typedef struct {
    int epoch;            /* 1-based, finished */
    long step;
    double train_loss;    /* mean over the epoch's samples */
    EvalSummary val;      /* loss, accuracy, AUROC on the validation rows */
    double seconds, samples_per_s;
    double exchange_share; /* of step time spent waiting for the gradient sum (max over ranks) */
    double rss_bytes;      /* resident memory at the epoch's end, the most on one rank */
    int improved, stop_early;
    float lr;             /* the learning rate of the epoch's last step (schedule.h) */
    int lr_cut;           /* the plateau schedule cut the rate for the next epoch */
} EpochReport;

typedef struct {
    void *ctx;
    void (*step)(void *ctx, const Trainer *t, int step_in_epoch, int steps, double running_loss,
                 double samples_per_s);
    /* Called after each epoch's validation, on every rank, after the best/last bookkeeping. */
    void (*epoch)(void *ctx, const Trainer *t, const EpochReport *r);
    /* Returns nonzero when this rank was asked to stop (a signal); polled every step. */
    int (*should_stop)(void *ctx);
} TrainerHooks;

/* How a trainer runs, besides the config: all of it given to trainer_init. */
typedef struct {
    ExchangeMode exchange;       /* how the gradients are summed (update.h) */
    int sharded;                 /* each rank holds and draws only its own rows (data_dist.h) */
    int no_validation;           /* train a fixed number of epochs; every epoch counts as the best */
    const DataTable *valid_data; /* a validation file of its own, which the plan's valid rows
                                  * index; NULL: they index the training data */
    TrainerHooks hooks;
} TrainerOptions;

struct Trainer {
    ParComm *comm;
    const Config *cfg;
    Model model; /* built for the local part of a batch */
    Adam adam;
    Update update; /* the exchange and Adam step, split over the ranks; owns the parameters,
                    * gradients and Adam's moments, which model and adam point into */
    TrainState state;
    const DataTable *data;   /* train rows (and validation rows, unless valid_data) index into it */
    const DataTable *valid_data; /* a validation file of its own, which t->valid indexes; or NULL */
    RowSet train, valid;
    int sharded;             /* each rank holds and draws only its own rows (data_dist.h) */
    int no_validation;       /* train a fixed number of epochs; every epoch counts as the best */
    EvalSummary best_val;    /* validation at the best epoch */
    int64_t train_total;     /* training rows over all ranks */
    long steps_per_epoch;    /* optimiser steps in an epoch */
    float lr;                /* the learning rate of the last step */
    TrainerHooks hooks;
    /* results */
    int stopped;             /* a signal stopped it between steps: state is mid-epoch */
    int diverged;            /* the loss became NaN or Inf at state.step */
    float *best_params;      /* copy of the parameters of the best epoch (n_params) */
    float *loss_weights;     /* (K) the training loss's class weights (config.h), or NULL */
    /* run-time buffers, allocated once */
    uint8_t *batch_tokens;   /* (local capacity, L) */
    float *batch_labels;     /* (local capacity, K) */
    uint32_t *batch_index;   /* (local capacity): global sample indices, key the dropout masks */
    int64_t *order;          /* (train.n): this epoch's order */
    int64_t *my_rows;        /* (local capacity): this rank's rows of the current batch */
    double exchange_seconds, step_seconds;
};

/* A ready trainer: the model for the data's shape, its parameters, gradients and Adam's moments
 * placed where the exchange wants them (update.h), initial parameters from rank 0 (seeded). It
 * trains on plan->train and validates on plan->valid, which it takes (they are left empty in the
 * plan; the caller still frees the plan); on failure it takes nothing and holds nothing.
 * Collective. */
int trainer_init(Trainer *t, ParComm *comm, const Config *cfg, const DataTable *data,
                 RowPlan *plan, const TrainerOptions *opt, Error *err);
void trainer_free(Trainer *t);
/* "class weights: ..." as used (the first 8 and the range), for the log; returns its length. */
int trainer_describe_weights(const Trainer *t, char *out, size_t len);
/* Trains from t->state to the configured epochs or an early stop, a signal, or divergence. */
void trainer_run(Trainer *t);
/* What an evaluation leaves on rank 0 when asked: (n, K) arrays in rank order (malloc'd). */
typedef struct {
    int64_t n;
    float *probs, *labels, *oracle; /* oracle NULL unless the data has one */
} EvalOutputs;

/* Mean loss and metrics of the model on rows (all ranks' rows when sharded); `out` may be NULL. */
EvalSummary trainer_evaluate(Trainer *t, const DataTable *d, const RowSet *rows, EvalOutputs *out);
void eval_outputs_free(EvalOutputs *o);

#endif
