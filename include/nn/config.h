/* config.h: a model and its training settings, read from an INI file (libinih).
 *
 *   [data]      train, valid, test (files); length, targets, task: auto = from the data file;
 *               test_fraction, valid_fraction: held out of train when no test / valid file is given;
 *               test_chroms, valid_chroms: whole chromosomes held out instead (the file's /chrom);
 *               folds_by = rows | chrom: how cross-validation makes its folds
 *   [train]     batch, epochs, learning_rate, beta_1, beta_2, epsilon, clip_norm, seed, ...
 *   [<name>]    one section per layer, in order; `type = <kind>`, or the kind is the section name
 *               without a trailing _N ([lstm_2] is an lstm). The section name is the layer's name.
 *
 * Overrides (`--set section.key=value`) edit the parsed entries before they are resolved, so they
 * are checked exactly as the file is. Every error names the file (or the --set), the line and key. */
#ifndef GSEQ_CONFIG_H
#define GSEQ_CONFIG_H

#include <stdint.h>

#include "nn/adam.h"
#include "nn/layer.h"
#include "nn/loss.h"
#include "base/task.h"
#include "base/util.h"

#define CONFIG_MAX_LAYERS 64
#define CONFIG_MAX_WEIGHTS 64 /* targets a per-target pos_weight list can name */

/* The learning rate over training (schedule.h): constant, cut by a factor when the monitored value
 * stops improving, or a cosine from learning_rate down to min_lr; any of them after a warmup. */
typedef enum { SCHEDULE_CONSTANT, SCHEDULE_PLATEAU, SCHEDULE_COSINE } Schedule;

typedef struct {
    int batch;        /* global mini-batch */
    int epochs;
    AdamConfig adam;
    uint64_t seed;
    int patience;     /* early stopping: epochs without improvement; 0 = off */
    float min_delta;  /* smallest change that counts as an improvement */
    char monitor[32]; /* val_loss, val_auroc, val_accuracy or val_pearson */
    /* loss = auto (bce for binary and multilabel, softmax_ce for multiclass, mse for regression,
     * or poisson when the output layer asks for softplus) or one of loss.h's; config_loss checks
     * it against the task */
    int loss_auto;
    LossKind loss;
    Schedule schedule;
    int warmup_steps;      /* the rate rises linearly over the first steps; 0 = off */
    float plateau_factor;  /* plateau: the rate is multiplied by this ... */
    int plateau_patience;  /* ... after this many epochs without improvement */
    float min_lr;          /* plateau and cosine never go below it */
    /* class weights (loss.h): pos_weight = auto, one number, or one per target (binary and
     * multilabel BCE); class_weight = auto (multiclass). Auto is resolved from the training rows. */
    int pos_weight_auto, class_weight_auto;
    int n_pos_weight;                    /* 0 = unweighted, 1 = the same for every target, or K */
    float pos_weight[CONFIG_MAX_WEIGHTS];
    /* rc_augment: each epoch, each training row is read as its reverse complement with
     * probability 1/2 (a keyed draw of seed, epoch and row: the same whatever the rank count) */
    int rc_augment;
} TrainConfig;

typedef struct {
    char section[48], key[48];
    char *value;
    int line; /* 0 = from --set */
} ConfigEntry;

typedef struct {
    char path[512];
    char *text; /* the file as read, stored in checkpoints */
    int length, targets; /* 0 = from the data */
    Task task;
    char data_train[512], data_valid[512], data_test[512]; /* files; valid/test may be empty */
    float test_fraction, valid_fraction; /* held out when no test / valid file is given */
    char valid_chroms[512], test_chroms[512]; /* "chr8,chr9" (normalised), or empty */
    int folds_by_chrom;                       /* folds of whole chromosomes (else of rows) */
    TrainConfig train;
    int n_layers;
    LayerSpec layers[CONFIG_MAX_LAYERS];
    /* parsed entries and the sections in file order */
    int n_entries, cap_entries;
    ConfigEntry *entries;
    int n_sections;
    char sections[CONFIG_MAX_LAYERS + 3][48];
    int section_lines[CONFIG_MAX_LAYERS + 3];
} Config;

int config_load(Config *cfg, const char *path, Error *err);
/* Parses INI text as if read from `path` (tests, fixtures, checkpoints). */
int config_load_text(Config *cfg, const char *text, const char *path, Error *err);
/* Applies "section.key=value" and re-resolves. */
int config_set(Config *cfg, const char *assignment, Error *err);
void config_free(Config *cfg);
/* The loss of a model of `task` whose output layer has activation `out_act` (ACT_AUTO when the
 * config leaves it to the task): train.loss, or auto's choice. -1 with a one-line message when the
 * loss does not fit the task (bce: binary, multilabel; softmax_ce: multiclass; mse, poisson:
 * regression). */
int config_loss(const Config *cfg, Task task, Activation out_act, LossKind *loss, Error *err);
/* The output activation a loss implies: sigmoid, softmax, linear, softplus. */
Activation loss_activation(LossKind loss);
/* A monitor that fits the task (val_auroc and val_accuracy: not regression; val_pearson: only
 * regression); -1 with a message naming train.monitor otherwise. */
int config_check_monitor(const Config *cfg, Task task, Error *err);
/* The config as run: every section and entry, --set overrides applied, as INI text (malloc'd). */
char *config_effective_text(const Config *cfg);

#endif
