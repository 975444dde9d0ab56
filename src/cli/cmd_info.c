/* cmd_info.c: `gseq_mpi info --config FILE [--length L] [--targets K] [--task T] [--batch B]
 * [--set section.key=value ...]`: a Keras-style summary of the model (layer, output shape, parameter
 * count), its multiply-add count, and the memory that training needs at the batch size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "nn/config.h"
#include "nn/model.h"

typedef struct {
    const char *config;
    int length, targets, batch, task; /* 0 (TASK_AUTO): not given */
    OptList sets;
} InfoArgs;

static const OptChoice tasks[] = {
    {"binary", TASK_BINARY},         {"multilabel", TASK_MULTILABEL},
    {"multiclass", TASK_MULTICLASS}, {"regression", TASK_REGRESSION}, {NULL, 0}};

/* 1 to go on, else 0 with the exit status (after --help or a mistake). */
static int read_options(int argc, char **argv, InfoArgs *a, int *status)
{
    const Option options[] = {
        OPT_REQUIRED("config", "FILE", &a->config, "model and training settings (INI)"),
        OPT_INT("length", "L", &a->length, 1, 1000000000,
                "input length (default: the config's [data] length)"),
        OPT_INT("targets", "K", &a->targets, 1, 1000000000,
                "targets (default: the config's [data] targets)"),
        OPT_CHOICE("task", NULL, &a->task, tasks,
                   "the task (default: the config's, else binary for one target)"),
        OPT_INT("batch", "B", &a->batch, 1, 1000000000,
                "batch size for the memory estimate (default: the config's train.batch)"),
        OPT_LIST("set", "SEC.KEY=VALUE", &a->sets, 64, "override a config setting (repeatable)"),
        OPT_END,
    };
    const OptCommand cmd = {"info",
                            "usage: gseq_mpi info --config FILE [--length L] [--targets K] [--task T] "
                            "[--batch B] [--set SEC.KEY=VALUE ...]\n",
                            options};
    *status = opt_read(&cmd, argc, argv, 1, 2);
    return *status < 0;
}

static void with_commas(size_t v, char *buf, size_t len)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%zu", v);
    size_t n = strlen(raw), o = 0;
    for (size_t i = 0; i < n && o + 2 < len; i++) {
        buf[o++] = raw[i];
        if ((n - i - 1) % 3 == 0 && i + 1 < n)
            buf[o++] = ',';
    }
    buf[o] = '\0';
}

static double gib(size_t floats) { return (double)floats * sizeof(float) / (1024.0 * 1024 * 1024); }

/* Multiply-adds of one sample's forward pass; backward costs about twice this. */
static double layer_macs(const Layer *l)
{
    double T = l->in.t, C = l->in.c;
    switch (l->spec.kind) {
    case LAYER_CONV1D:
        return (double)l->out.t * l->spec.width * C * l->out.c;
    case LAYER_LSTM: {
        double H = l->spec.units, D = l->spec.bidirectional ? 2 : 1;
        return D * T * 4 * H * (C + H);
    }
    case LAYER_DENSE:
        return T * C * l->out.c;
    default:
        return 0.0;
    }
}

static void print_summary(const Model *m, const Config *cfg, int batch)
{
    char count[32], shape[48];
    printf("Model: %s  (input %d tokens, %d target%s, %s, loss %s)\n", cfg->path, m->length,
           m->targets, m->targets == 1 ? "" : "s", task_name(m->task), loss_name(m->loss));
    printf("%-24s %-20s %15s\n", "Layer (type)", "Output shape", "Param #");
    printf("%.61s\n", "=============================================================");
    double macs = 0.0;
    int flat = 0; /* the batch is (N, C) from here on, as Keras prints it */
    for (int i = 0; i < m->n_layers; i++) {
        const Layer *l = &m->layers[i];
        char name[64];
        snprintf(name, sizeof name, "%s (%s)", l->spec.name, layer_kind_name(l->spec.kind));
        flat = l->spec.kind == LAYER_FLATTEN || l->spec.kind == LAYER_POOL_TIME ||
               (l->spec.kind == LAYER_LSTM && !l->spec.return_sequences) ||
               (flat && (l->spec.kind == LAYER_DENSE || l->spec.kind == LAYER_DROPOUT));
        if (flat)
            snprintf(shape, sizeof shape, "(None, %d)", l->out.c);
        else
            snprintf(shape, sizeof shape, "(None, %d, %d)", l->out.t, l->out.c);
        with_commas(l->n_params, count, sizeof count);
        printf("%-24s %-20s %15s\n", name, shape, count);
        macs += layer_macs(l);
    }
    printf("%.61s\n", "=============================================================");
    with_commas(m->n_params, count, sizeof count);
    printf("Total params: %s\n", count);
    printf("Forward multiply-adds per sample: %.4g (a training step costs about 6x this in FLOPs)\n",
           macs);
    size_t state = 4 * m->n_params, act = model_activation_floats(m, batch);
    printf("Training memory at batch %d: %.3f GiB (parameters, gradients, 2 Adam moments %.3f GiB; "
           "activations and layer buffers %.3f GiB)\n",
           batch, gib(state + act), gib(state), gib(act));
}

/* The config with the --set overrides: 0, or 1 with the message printed. */
static int load_config(const InfoArgs *a, Config *cfg)
{
    Error err = {{0}};
    int rc = config_load(cfg, a->config, &err);
    for (int i = 0; rc == 0 && i < a->sets.n; i++)
        rc = config_set(cfg, a->sets.item[i], &err);
    if (rc != 0) {
        fprintf(stderr, "gseq_mpi: %s\n", err.msg);
        config_free(cfg);
        return 1;
    }
    return 0;
}

int cmd_info(int argc, char **argv)
{
    InfoArgs a = {0};
    int status;
    if (!read_options(argc, argv, &a, &status))
        return status;
    Config cfg;
    if (load_config(&a, &cfg) != 0)
        return 1;
    int length = a.length ? a.length : cfg.length;
    int targets = a.targets ? a.targets : cfg.targets;
    Task task = a.task != TASK_AUTO ? (Task)a.task : cfg.task;
    if (task == TASK_AUTO)
        task = targets > 1 ? TASK_MULTILABEL : TASK_BINARY;
    int batch = a.batch ? a.batch : cfg.train.batch;
    if (!length || !targets) {
        fprintf(stderr, "gseq_mpi: info: %s takes its %s from the data: give %s\n", a.config,
                !length ? "input length" : "target count", !length ? "--length L" : "--targets K");
        config_free(&cfg);
        return 2;
    }
    Model m;
    Error err = {{0}};
    int rc = model_build(&m, &cfg, length, targets, task, 1, &err);
    if (rc == 0) {
        print_summary(&m, &cfg, batch);
        model_free(&m);
    } else {
        fprintf(stderr, "gseq_mpi: %s\n", err.msg);
    }
    config_free(&cfg);
    return rc == 0 ? 0 : 1;
}
