/* testutil.h: what the C tests share: random fills, tolerance comparisons that report the worst
 * element, hand-built layers for one kind at a time, and running shell commands. */
#ifndef GSEQ_TESTUTIL_H
#define GSEQ_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "nn/layer.h"

/* Uniform in [-scale, scale), deterministic from (seed, stream). */
void fill_uniform(float *x, size_t n, float scale, uint32_t stream);
void fill_uniform_d(double *x, size_t n, double scale, uint32_t stream);
void to_double(const float *x, double *y, size_t n);
void to_float(const double *x, float *y, size_t n);

/* |a - b| <= atol + rtol |b| everywhere; on failure prints the worst element with `what`.
 * Returns the worst ratio |a-b| / (atol + rtol |b|) (<= 1 passes). */
double compare_f(const char *what, const float *a, const float *b, size_t n, double atol, double rtol);
double compare_fd(const char *what, const float *a, const double *b, size_t n, double atol,
                  double rtol);
double compare_dd(const char *what, const double *a, const double *b, size_t n, double atol,
                  double rtol);

/* Runs a shell command built like printf, printed first ("    $ ..."); returns its exit status,
 * or 128 + the signal that ended it. */
int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A layer of one kind on input shape `in`, planned, with buffers for max_batch samples and its own
 * parameter and gradient arrays. */
Layer layer_make(LayerSpec spec, Shape in, int index, int masked, int is_output, int max_batch);
void layer_destroy(Layer *l);
LayerSpec spec_of(LayerKind kind);

/* Tokens for n rows of length L: full rows, pre-padded, post-padded and one with a gap. */
void tokens_with_padding(uint8_t *tok, uint8_t *mask, int n, int L, uint32_t stream);

#endif
