/* adam.h: Adam as Keras defines it, over the model's one flat parameter buffer:
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  lr_t = lr sqrt(1-b2^t) / (1-b1^t)
 *   p -= lr_t m / (sqrt(v) + eps)          (Keras: eps 1e-7, outside the bias correction)
 * with optional clipping of the global gradient norm first. Both moments mirror the parameters. */
#ifndef GSEQ_ADAM_H
#define GSEQ_ADAM_H

#include <stddef.h>

typedef struct {
    float lr, beta1, beta2, eps;
    float clip_norm; /* 0 = off; else gradients scaled so that their global L2 norm is at most this */
} AdamConfig;

typedef struct {
    size_t n;
    float *m, *v; /* (n) first and second moments */
    long step;    /* steps taken */
} Adam;

AdamConfig adam_defaults(void);
void adam_build(Adam *a, size_t n);
void adam_free(Adam *a);
/* One step; g may be scaled in place by clipping. Returns the gradient's L2 norm before clipping
 * (0 when clip_norm is off: the norm is then not computed). */
double adam_step(Adam *a, const AdamConfig *cfg, float *params, float *g);

#endif
