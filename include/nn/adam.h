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
    int lent;     /* m and v belong to the caller (adam_build_on) */
} Adam;

AdamConfig adam_defaults(void);
void adam_build(Adam *a, size_t n);
/* The same, with moments in the caller's zeroed buffers m and v (n each), which it frees. */
void adam_build_on(Adam *a, size_t n, float *m, float *v);
void adam_free(Adam *a);
/* One step over the whole buffer (g is left as it is). Returns the gradient's L2 norm before clipping
 * (0 when clip_norm is off: the norm is then not computed). */
double adam_step(Adam *a, const AdamConfig *cfg, float *params, const float *g);
/* The parts of a step, for an update split over ranks (update.c): the update of step a->step + 1
 * on elements [lo, hi) of params and the moments, with gradient g[0 .. hi-lo) (plus g2[..], when
 * not NULL: the last rank's part arriving) times scale, over kernels_threads() threads (a->step
 * is not advanced); the sum of squares of n gradients; the clipping scale for a global norm (1
 * when clipping is off or not needed). */
void adam_update(const Adam *a, const AdamConfig *cfg, float *params, const float *g,
                 const float *g2, float scale, size_t lo, size_t hi);
double adam_sumsq(const float *g, size_t n);
float adam_clip_scale(const AdamConfig *cfg, double norm);

#endif
