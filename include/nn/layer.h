/* layer.h: the contract every layer kind implements, and the description a config gives of a layer.
 *
 * Activations are batch-major: one sample is `t` steps of `c` channels, a batch is (N, t, c) floats.
 * Parameters live in the model's one flat buffer; a layer sees views `w` (weights) and `dw`
 * (gradients) into it, laid out as Keras lays them out:
 *   embedding  E (6, D)                       rows: 0 = padding, 1..4 = A C G T, 5 = N
 *   conv1d     W (k, C, F), b (F)
 *   lstm       per direction (forward, then backward): W (I, 4H), U (H, 4H), b (4H); gates i, f, c, o
 *   dense      W (C_in, C_out), b (C_out)
 * forward() writes y; backward() ADDS into dw and WRITES dx (dx may be NULL: no input gradient needed);
 * backward() may overwrite dy, which the model does not use again.
 * Each kind lives in its own file, src/layer_<kind>.c, and exports one LayerOps table. */
#ifndef GSEQ_LAYER_H
#define GSEQ_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

typedef enum { ACT_LINEAR, ACT_RELU, ACT_SIGMOID, ACT_SOFTMAX, ACT_SOFTPLUS, ACT_AUTO } Activation;
typedef enum { POOL_LAST, POOL_MEAN, POOL_MAX } PoolMode;
typedef enum {
    LAYER_EMBEDDING,
    LAYER_ONEHOT,
    LAYER_CONV1D,
    LAYER_MAXPOOL1D,
    LAYER_LSTM,
    LAYER_POOL_TIME,
    LAYER_DROPOUT,
    LAYER_FLATTEN,
    LAYER_DENSE,
    LAYER_KIND_COUNT
} LayerKind;

/* One layer as the config describes it. Fields a kind does not use stay at their defaults. */
typedef struct {
    char name[48];        /* the config section, e.g. "lstm_1" */
    LayerKind kind;
    int line;             /* line of the section header in the config file, for messages */
    int units;            /* lstm, dense; dense 0 = the data's target count */
    int filters, width;   /* conv1d */
    int pool;             /* maxpool1d: pool size = stride */
    int dim;              /* embedding width */
    float rate;           /* dropout */
    Activation act;       /* conv1d, dense; ACT_AUTO on the last dense = from the task and loss */
    PoolMode mode;        /* pool_time (the lambda layer) */
    int return_sequences; /* lstm */
    int bidirectional;    /* lstm */
    int unit_forget_bias; /* lstm: forget-gate bias initialised to 1 */
} LayerSpec;

typedef struct {
    int t, c; /* steps, channels of one sample; a flat vector is t = 1 */
} Shape;

/* What a forward or backward pass knows beyond its tensors. */
typedef struct {
    int n;                        /* samples in this batch */
    int training;                 /* dropout on */
    const uint8_t *tokens;        /* (n, L) input, 0 = padding */
    const uint8_t *mask;          /* (n, L) 1 = real position; used by layers with `masked` set */
    const uint32_t *sample_index; /* (n) global sample indices: dropout masks are keyed by them */
    uint64_t seed;
    uint32_t epoch;
} Pass;

typedef struct Layer Layer;

typedef struct {
    const char *kind;
    /* Sets l->out and l->n_params from l->spec and l->in; -1 with a message if the layer cannot
     * follow its input. */
    int (*plan)(Layer *l, Error *err);
    void (*init)(Layer *l, uint64_t seed);    /* fills l->w (Keras initialisers) */
    void (*alloc)(Layer *l, int max_batch);   /* run-time buffers, once */
    void (*forward)(Layer *l, const Pass *p, const float *x, float *y);
    void (*backward)(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                     float *dx);
    void (*release)(Layer *l);
    size_t (*work_floats)(const Layer *l, int batch); /* run-time buffer size, for `info` */
    /* backward writes every one of its parameter gradients (others add to theirs, which
     * model_zero_grads clears first) */
    int sets_grads;
    /* Takes over the work of the layer after it, where that saves a pass over a large tensor
     * (conv1d: the maxpool1d after it, pooled while the convolution's rows are in registers);
     * returns 1 if it did, and the model then passes `next` its input as its output. Called
     * once the need for input gradients is known, before alloc. NULL: never. */
    int (*absorb_next)(Layer *l, const Layer *next);
} LayerOps;

struct Layer {
    const LayerOps *ops;
    LayerSpec spec;
    int index;       /* position in the model; keys its random streams */
    Shape in, out;
    size_t n_params; /* parameters, at l->w */
    size_t offset;   /* of w in the flat buffer */
    float *w, *dw;
    int need_dx;     /* an earlier layer needs the input gradient */
    int is_output;   /* last dense: writes logits, the loss applies the activation */
    int masked;      /* steps align with the input tokens, so Pass.mask applies */
    int aliases;     /* y is x (flatten, a layer absorbed by the one before): no buffer of its own */
    int absorbed;    /* the layer before does this one's work (absorb_next) */
    int pooled;      /* conv1d: the pool size of the maxpool1d it absorbed; y is then pooled */
    int max_batch;
    void *state;     /* the kind's run-time buffers */
};

const LayerOps *layer_ops(LayerKind kind);
const char *layer_kind_name(LayerKind kind);
int layer_kind_parse(const char *name, LayerKind *kind);
const char *activation_name(Activation a);

extern const LayerOps embedding_ops, onehot_ops, conv1d_ops, maxpool1d_ops, lstm_ops,
    pool_time_ops, dropout_ops, flatten_ops, dense_ops;

#endif
