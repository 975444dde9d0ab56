/* layer.c: the registry of layer kinds and their names. Each kind lives in src/layer_<kind>.c. */
#include "nn/layer.h"

#include <string.h>

static const struct {
    const char *name;
    const LayerOps *ops;
} kinds[LAYER_KIND_COUNT] = {
    [LAYER_EMBEDDING] = {"embedding", &embedding_ops},
    [LAYER_ONEHOT] = {"onehot", &onehot_ops},
    [LAYER_CONV1D] = {"conv1d", &conv1d_ops},
    [LAYER_MAXPOOL1D] = {"maxpool1d", &maxpool1d_ops},
    [LAYER_LSTM] = {"lstm", &lstm_ops},
    [LAYER_POOL_TIME] = {"pool_time", &pool_time_ops},
    [LAYER_DROPOUT] = {"dropout", &dropout_ops},
    [LAYER_FLATTEN] = {"flatten", &flatten_ops},
    [LAYER_DENSE] = {"dense", &dense_ops},
};

const LayerOps *layer_ops(LayerKind kind) { return kinds[kind].ops; }
const char *layer_kind_name(LayerKind kind) { return kinds[kind].name; }

int layer_kind_parse(const char *name, LayerKind *kind)
{
    for (int k = 0; k < LAYER_KIND_COUNT; k++)
        if (strcmp(name, kinds[k].name) == 0) {
            *kind = (LayerKind)k;
            return 0;
        }
    return -1;
}

const char *activation_name(Activation a)
{
    static const char *names[] = {"linear", "relu", "sigmoid", "softmax", "softplus", "auto"};
    return names[a];
}
