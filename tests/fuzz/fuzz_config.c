/* fuzz_config.c: libFuzzer target for the model config reader (libinih + config.c) and the layer
 * planning that checks one layer can follow another (model_build).
 * Input: INI text. What must hold: a config that loads prints as text (config_effective_text) that
 * loads again to the same text; a model built from it (sizes bounded here, to keep memory small)
 * gives finite logits and a finite loss for two rows, one with padding. */
#include <math.h>

#include "nn/config.h"
#include "fuzz_util.h"
#include "nn/loss.h"
#include "nn/model.h"

static int small_enough(const Config *c)
{
    if (c->n_layers > 12 || c->length > 64 || c->targets > 8)
        return 0;
    for (int i = 0; i < c->n_layers; i++) {
        const LayerSpec *s = &c->layers[i];
        if (s->units > 32 || s->filters > 32 || s->width > 64 || s->pool > 64 || s->dim > 32)
            return 0;
    }
    return 1;
}

static void run_model(const Config *cfg, const uint8_t *data, size_t size)
{
    int L = cfg->length ? cfg->length : 24;
    Task task = cfg->task == TASK_AUTO ? TASK_BINARY : cfg->task;
    int K = cfg->targets ? cfg->targets : task == TASK_MULTICLASS ? 3 : task == TASK_BINARY ? 1 : 4;
    if (task == TASK_BINARY && K != 1)
        return;
    Model m;
    Error err = {{0}};
    if (model_build(&m, cfg, L, K, task, 2, &err) != 0) {
        if (strchr(err.msg, '\n'))
            abort(); /* messages are one line */
        return;
    }
    model_init_params(&m, cfg->train.seed);
    uint8_t tokens[2 * 64];
    for (int t = 0; t < L; t++) { /* row 0 from the input, row 1 half padding */
        tokens[t] = size ? (uint8_t)(data[t % size] % 6) : 1;
        tokens[L + t] = t < L / 2 ? 0 : (uint8_t)(1 + t % 5);
    }
    uint32_t index[2] = {0, 1};
    float y[2 * 8] = {0};
    for (int r = 0; r < 2; r++)
        y[r * K + (task == TASK_MULTICLASS ? r % K : 0)] = 1.0f;
    Pass p = {.n = 2, .training = 1, .tokens = tokens, .sample_index = index, .seed = 1};
    const float *logits = model_forward(&m, &p);
    for (int i = 0; i < 2 * K; i++)
        if (!isfinite(logits[i]))
            abort();
    model_zero_grads(&m);
    double loss = model_backward(&m, &p, y, loss_count(m.loss, 2, K));
    if (!isfinite(loss))
        abort();
    for (size_t i = 0; i < m.n_params; i++)
        if (!isfinite(m.grads[i]))
            abort();
    model_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    Config cfg;
    Error err = {{0}};
    if (config_load_text(&cfg, text, "fuzz.ini", &err) != 0) {
        if (strchr(err.msg, '\n') || !strstr(err.msg, "fuzz.ini"))
            abort(); /* one line naming the file */
        config_free(&cfg);
        free(text);
        return 0;
    }
    char *once = config_effective_text(&cfg);
    Config again;
    if (config_load_text(&again, once, "fuzz.ini", &err) != 0)
        abort(); /* the config as run must load */
    char *twice = config_effective_text(&again);
    if (strcmp(once, twice) != 0)
        abort();
    if (small_enough(&cfg))
        run_model(&cfg, data, size);
    free(once);
    free(twice);
    config_free(&again);
    config_free(&cfg);
    free(text);
    return 0;
}
