/* reference.h: a plain-loop, double-precision reference of every layer's forward and backward pass
 * and of the two losses. The tests check it against finite differences and hold the fast float/BLAS
 * layers (src/layer_*.c) against it. It reads only l->spec, l->in, l->out, l->n_params, l->is_output
 * and l->masked; it owns no state and allocates only scratch it frees before returning. */
#ifndef GSEQ_REFERENCE_H
#define GSEQ_REFERENCE_H

#include <stdint.h>

#include "nn/layer.h"

/* Forward of layer l on n samples: x (n, l->in.t, l->in.c), w = the layer's params (n_params
 * doubles, same layout as the fast layer's float params), tokens (n, l->in.t) for embedding and
 * onehot, mask (n, l->in.t) or NULL (used only when l->masked), y (n, l->out.t, l->out.c). */
void ref_forward(const Layer *l, int n, const uint8_t *tokens, const uint8_t *mask,
                 const double *x, const double *w, double *y);

/* Backward: given dy (n, out), WRITES dx (n, in) (may be NULL; zeroed for embedding and onehot,
 * which have no input gradient) and ADDS into dw (n_params; required when n_params > 0, unused otherwise). */
void ref_backward(const Layer *l, int n, const uint8_t *tokens, const uint8_t *mask,
                  const double *x, const double *w, const double *dy, double *dx, double *dw);

/* Losses on logits z (n, K) and targets y (n, K). Each returns the MEAN loss (BCE: over n*K;
 * softmax cross-entropy: over the n rows) and writes dz (n, K) = d(mean loss)/dz. */
double ref_bce_logits(const double *z, const double *y, int n, int K, double *dz);
double ref_softmax_ce(const double *z, const double *y, int n, int K, double *dz);
/* Mean squared error and Poisson on softplus(z) (mean over n K, dz of the mean). */
double ref_mse(const double *z, const double *y, int n, int K, double *dz);
double ref_poisson_softplus(const double *z, const double *y, int n, int K, double eps, double *dz);

#endif
