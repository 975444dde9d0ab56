/* checkpoint.h: training state in HDF5 with named datasets and a format version:
 *   /params, /adam/m, /adam/v      float32 (P): the flat buffers, in the model's layout
 *   /config                        the config as run (INI text)
 *   attributes on /: format_version, step, epoch, step_in_epoch, seed, best_metric, best_epoch,
 *   bad_epochs, n_params, length, targets, task, loss (since regression; older checkpoints have
 *   none: their loss is their task's), data_fingerprint;
 *   since version 2 the learning-rate schedule's state: lr, plateau_best, plateau_bad (a version 1
 *   checkpoint has none and resumes with the schedule's start, which is what version 1 ran).
 * Written to a temporary name in the same directory, forced to disk (fsync) and renamed, so a
 * crash, a full disk or a file size limit never leaves a broken checkpoint and never damages the
 * previous one; a failed write removes its temporary file. */
#ifndef GSEQ_CHECKPOINT_H
#define GSEQ_CHECKPOINT_H

#include <stdint.h>

#include "nn/adam.h"
#include "nn/model.h"
#include "nn/schedule.h"
#include "base/util.h"

#define CHECKPOINT_FORMAT_VERSION 2 /* reads 1 and 2 */

typedef struct {
    long step;          /* optimiser steps taken */
    int epoch;          /* epoch in progress (0-based) */
    int step_in_epoch;  /* steps of it already taken */
    uint64_t seed;
    double best_metric; /* best monitored value so far (lower is better: stored negated for AUROC) */
    int best_epoch;     /* -1 before any */
    int bad_epochs;     /* epochs since the best */
    char fingerprint[24]; /* of the training data */
    double epoch_loss_sum;  /* of the epoch in progress, so a resumed epoch reports the same loss */
    int64_t epoch_samples;
    ScheduleState sched;    /* the learning-rate schedule's */
} TrainState;

int checkpoint_write(const char *path, const Model *m, const Adam *adam, const TrainState *s,
                     const char *config_text, Error *err);
/* The config text stored in a checkpoint (malloc'd), to build the model before loading it. */
char *checkpoint_read_config(const char *path, Error *err);
/* Loads parameters (and the Adam moments and state when adam / s are not NULL) into a model built
 * from that config; checks the format version and the parameter count. s->sched is left as it is
 * when the checkpoint holds no schedule state (version 1). */
int checkpoint_read(const char *path, Model *m, Adam *adam, TrainState *s, Error *err);

#endif
