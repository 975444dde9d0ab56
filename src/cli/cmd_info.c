/* cmd_info.c: `gseq_mpi info --config FILE [--length L] [--targets K] [--task T] [--batch B]
 * [--set section.key=value ...]`: a Keras-style summary of the model (layer, output shape, parameter
 * count), its multiply-add count, and the memory that training needs at the batch size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "nn/config.h"
#include "nn/model.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: gseq_mpi info --config FILE [--length L] [--targets K] [--task binary|multilabel|multiclass]\n"
                 "                     [--batch B] [--set section.key=value ...]\n");
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
    printf("Model: %s  (input %d tokens, %d target%s, %s)\n", cfg->path, m->length, m->targets,
           m->targets == 1 ? "" : "s", task_name(m->task));
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

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int length = 0, targets = 0, batch = 0;
    Task task = TASK_AUTO;
    Error err = {{0}};
    Config cfg;
    const char *sets[64];
    int n_sets = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        static const char *known[] = {"--config", "--length", "--targets", "--batch", "--task", "--set"};
        int is_known = 0;
        for (size_t k = 0; k < sizeof known / sizeof *known; k++)
            is_known |= !strcmp(a, known[k]);
        if (!is_known) {
            fprintf(stderr, "gseq_mpi: info: unknown option %s (see gseq_mpi info --help)\n", a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "gseq_mpi: info: %s needs a value\n", a);
            return 2;
        }
        const char *v = argv[++i];
        int *number = !strcmp(a, "--length") ? &length : !strcmp(a, "--targets") ? &targets
                      : !strcmp(a, "--batch") ? &batch : NULL;
        if (!strcmp(a, "--config"))
            path = v;
        else if (number) {
            char *end;
            long x = strtol(v, &end, 10);
            if (*end || end == v || x <= 0 || x > 1000000000) {
                fprintf(stderr, "gseq_mpi: info: %s %s: expected a positive integer\n", a, v);
                return 2;
            }
            *number = (int)x;
        } else if (!strcmp(a, "--task")) {
            if (task_parse(v, &task) != 0 || task == TASK_AUTO) {
                fprintf(stderr, "gseq_mpi: info: --task %s: expected binary, multilabel or multiclass\n", v);
                return 2;
            }
        } else if (n_sets == 64) {
            fprintf(stderr, "gseq_mpi: info: more than 64 --set options\n");
            return 2;
        } else {
            sets[n_sets++] = v;
        }
    }
    if (!path) {
        fprintf(stderr, "gseq_mpi: info: --config FILE is required\n");
        return 2;
    }
    if (config_load(&cfg, path, &err) != 0) {
        fprintf(stderr, "gseq_mpi: %s\n", err.msg);
        config_free(&cfg);
        return 1;
    }
    for (int i = 0; i < n_sets; i++)
        if (config_set(&cfg, sets[i], &err) != 0) {
            fprintf(stderr, "gseq_mpi: %s\n", err.msg);
            config_free(&cfg);
            return 1;
        }
    length = length ? length : cfg.length;
    targets = targets ? targets : cfg.targets;
    task = task != TASK_AUTO ? task : cfg.task;
    if (task == TASK_AUTO)
        task = targets > 1 ? TASK_MULTILABEL : TASK_BINARY;
    batch = batch ? batch : cfg.train.batch;
    if (!length || !targets) {
        fprintf(stderr, "gseq_mpi: info: %s takes its %s from the data: give %s\n", path,
                !length ? "input length" : "target count", !length ? "--length L" : "--targets K");
        config_free(&cfg);
        return 2;
    }
    Model m;
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
