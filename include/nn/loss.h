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

#endif
