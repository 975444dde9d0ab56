/* model.h: a stack of layers over one flat parameter buffer (and a gradient buffer that mirrors it),
 * with every run-time buffer allocated once for the largest batch, so that a training step allocates
 * nothing. The flat buffers are the model's own (model_build) or the caller's (model_plan, then
 * model_place: the trainer's update puts them where the exchange wants them, update.h). The model
 * knows nothing of files or processes: it maps tokens to logits and back. */
#ifndef GSEQ_MODEL_H
#define GSEQ_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "nn/config.h"
#include "nn/layer.h"
#include "nn/loss.h"

/* Per-layer timing (make bench's profile): with Model.times set, model_forward and model_backward
 * add each layer's seconds, read from `clock`, to forward[i] and backward[i], and the loss's to
 * loss. */
typedef struct {
    double (*clock)(void);
    double *forward, *backward; /* (n_layers) */
    double loss;
} ModelTimes;

typedef struct {
    int n_layers;
    Layer *layers;
    int length;  /* input tokens per sample */
    int targets; /* K */
    Task task;
    LossKind loss;      /* config_loss: train.loss checked against the task */
    Activation out_act; /* the loss's: sigmoid, softmax, linear or softplus (model_probabilities) */
    size_t n_params;
    float *params, *grads; /* (n_params) each, 64-byte aligned */
    int lent_buffers;      /* params and grads belong to the caller (model_place) */
    int max_batch;
    float **act;      /* act[i]: output of layer i, (max_batch, out.t * out.c); flatten and absorbed
                       * layers alias the one before (a conv1d that absorbed a maxpool1d stores
                       * the pooled output) */
    float *dbuf[2];   /* ping-pong gradient buffers for backward */
    uint8_t *mask;    /* (max_batch, length): 1 = real token */
    int uses_mask;    /* some layer reads the mask */
    int input_grad;   /* built by model_build_input_grad: backward reaches the input */
    /* Called in backward as soon as a layer's parameter gradients are final (gradient exchange). */
    /* The training loss's class weights (loss.h loss_sum_weighted), K of them, or NULL; the
     * caller owns them. model_loss (validation, test) is never weighted. */
    const float *loss_weights;
    void (*grad_ready)(void *ctx, int layer);
    void *grad_ready_ctx;
    ModelTimes *times; /* NULL: untimed */
} Model;

/* Plans layers from the config for inputs of `length` tokens and `targets` outputs of `task`
 * (the config's [data] values, when set, must agree: the caller resolves them) and allocates the
 * run-time buffers; n_params and each layer's offset are then known, but the flat buffers are not
 * there yet (params and grads NULL): model_place gives them. */
int model_plan(Model *m, const Config *cfg, int length, int targets, Task task, int max_batch,
               Error *err);
/* Points the layers, once, at `params` and `grads` (n_params each, 64-byte aligned), which belong
 * to the caller (e.g. memory shared by the ranks of a node) and outlive the model. */
void model_place(Model *m, float *params, float *grads);
/* model_plan and model_place on buffers of the model's own (zeroed). */
int model_build(Model *m, const Config *cfg, int length, int targets, Task task, int max_batch,
                Error *err);
/* model_build for attribution: every layer after the first computes its input gradient (none
 * absorbs the next, model_input_gradient works). Training models do not pay for it. */
int model_build_input_grad(Model *m, const Config *cfg, int length, int targets, Task task,
                           int max_batch, Error *err);
void model_free(Model *m);
void model_init_params(Model *m, uint64_t seed);

/* Forward pass over p->n samples of p->tokens; fills p->mask. Returns the logits (n, K). */
const float *model_forward(Model *m, Pass *p);
/* Loss SUM over the batch after model_forward; d(loss)/d(logits) is divided by `norm` (the global
 * count of loss terms), then the backward pass ADDS the parameter gradients into m->grads. */
double model_backward(Model *m, const Pass *p, const float *targets, double norm);
/* Loss sum without a backward pass. */
double model_loss(const Model *m, const Pass *p, const float *targets);
/* Clears the gradients that backward adds to (of layers without LayerOps.sets_grads): before each
 * backward pass. */
void model_zero_grads(Model *m);
/* Attribution (a model from model_build_input_grad). x is (n, L, 4), a one-hot or any real-valued
 * row per position (A C G T); the first layer takes it in place of the tokens' encoding (onehot:
 * x itself; embedding: x times the A C G T rows of the table, so a one-hot row gives its base's
 * vector). p->tokens still give the padding mask. model_forward_input returns the logits (n, K);
 * model_input_gradient writes grad (n, L, 4) = d logit[i, target[i]] / d x[i] for every sample i
 * (its parameter gradients are cleared and left meaningless). */
const float *model_forward_input(Model *m, Pass *p, const float *x);
void model_input_gradient(Model *m, Pass *p, const float *x, const int *target, float *grad);
/* Outputs from logits: probabilities (sigmoid or softmax) for classification, the predicted values
 * (linear: the logits themselves; softplus) for regression. */
void model_probabilities(const Model *m, const float *logits, float *probs, int n);

/* Floats held by training at batch B: parameters, gradients, two Adam moments are 4 * n_params;
 * this returns the activations and layer buffers for B samples. */
size_t model_activation_floats(const Model *m, int batch);

#endif
