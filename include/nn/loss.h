/* loss.h: losses on logits, numerically stable. Keras reductions: binary cross-entropy is the mean
 * over every (sample, target) element; softmax cross-entropy the mean over samples. The caller gives
 * the count to divide by, so that data-parallel ranks can divide by the global batch. */
#ifndef GSEQ_LOSS_H
#define GSEQ_LOSS_H

typedef enum { LOSS_BCE, LOSS_SOFTMAX_CE } LossKind;

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
