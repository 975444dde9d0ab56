/* loss.h: losses on logits (the output layer's values before its activation), numerically stable.
 * Keras reductions: binary cross-entropy, mean squared error and Poisson are the mean over every
 * (sample, target) element; softmax cross-entropy the mean over samples. The caller gives the count
 * to divide by, so that data-parallel ranks can divide by the global batch.
 *   bce         sigmoid output:  max(z,0) - z y + log(1 + e^-|z|)
 *   softmax_ce  softmax output:  -sum_k y_k log softmax(z)_k
 *   mse         linear output:   (z - y)^2
 *   poisson     softplus output: p - y log(p + eps), p = softplus(z), eps = LOSS_POISSON_EPS
 *               (PyTorch's PoissonNLLLoss(log_input=False) on softplus(z)) */
#ifndef GSEQ_LOSS_H
#define GSEQ_LOSS_H

typedef enum { LOSS_BCE, LOSS_SOFTMAX_CE, LOSS_MSE, LOSS_POISSON, LOSS_KIND_COUNT } LossKind;

#define LOSS_POISSON_EPS 1e-8 /* PyTorch's PoissonNLLLoss default (Keras: 1e-7) */

extern const char *const loss_names[LOSS_KIND_COUNT]; /* "bce", "softmax_ce", "mse", "poisson" */
const char *loss_name(LossKind kind);

/* The loss of a sum of terms per (sample, target) element: all but softmax_ce. */
static inline int loss_per_element(LossKind kind) { return kind != LOSS_SOFTMAX_CE; }

/* The Poisson term and its derivative in z, p = softplus(z): finite for any z and y >= 0. */
double loss_poisson_term(double z, double y, double *dz);
/* The loss sum of outputs p (the activation's values, not logits) against y, as Keras computes
 * it from probabilities: cross-entropies with p clipped to [1e-7, 1 - 1e-7]; mse and poisson as
 * above. For reverse-complement averaged outputs, which have no logits. */
double loss_sum_of_outputs(LossKind kind, const float *p, const float *y, int n, int K);

/* Number of terms the mean runs over for n samples of K targets. */
double loss_count(LossKind kind, int n, int K);

/* Returns the SUM of the loss over n rows of K logits z and targets y (the mean times loss_count);
 * if dz is not NULL, writes dz = d(sum)/dz / norm. */
double loss_sum(LossKind kind, const float *z, const float *y, int n, int K, float *dz, double norm);

/* The same with class weights (K of them; NULL = loss_sum, bit for bit). BCE: weights[k] multiplies
 * the positive term of target k, -w y log sigmoid(z) - (1-y) log(1-sigmoid(z)) (PyTorch's
 * BCEWithLogitsLoss pos_weight). Softmax: weights[k] multiplies the terms of class k, and the mean
 * still divides by the rows (Keras's class_weight; PyTorch would divide by the summed weights). */
double loss_sum_weighted(LossKind kind, const float *z, const float *y, int n, int K,
                         const float *weights, float *dz, double norm);

/* Automatic weights from the training rows: positives[k] = sum of target (or class) k's labels over
 * `rows` rows. BCE: negatives / positives; softmax: rows / (K positives) (scikit-learn's
 * "balanced"); each clamped to [1/LOSS_WEIGHT_CAP, LOSS_WEIGHT_CAP] (a target with no positive
 * gets the cap). */
#define LOSS_WEIGHT_CAP 100.0
void loss_auto_weights(LossKind kind, const double *positives, double rows, int K, float *weights);

#endif
