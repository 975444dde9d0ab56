/* attribution.h: what a trained model says about the bases of one sequence: in-silico mutagenesis
 * (every position x every other base, the change of each chosen target's output), gradient x input
 * (saliency) and integrated gradients from a baseline (all-zero, or a dinucleotide shuffle of the
 * sequence). One sequence at a time on one process, in batches of the model's max_batch; splitting
 * sequences over ranks and writing files are cmd_mutagenesis.c's and cmd_attribute.c's.
 *
 * Inputs are rows of L tokens (dataset.h); an attribution row is (L, 4, K2) floats: position,
 * base A C G T, chosen target (targets[0 .. K2)). */
#ifndef GSEQ_ATTRIBUTION_H
#define GSEQ_ATTRIBUTION_H

#include <stdint.h>

#include "nn/model.h"

/* Tokens to the model's input encoding (n, L, 4), as the onehot layer does: A C G T unit vectors,
 * N 0.25 everywhere, padding 0. */
void attr_onehot(const uint8_t *tokens, int64_t n, int L, float *x);

/* Dinucleotide shuffle of one row (Altschul and Erickson 1985, as deeplift's and tangermeme's
 * dinuc_shuffle do it): the real span (first to last non-padding token) is reordered so that every
 * dinucleotide count is kept; the first token stays, and for each letter its last outgoing edge
 * stays (so the walk is an Eulerian path), the other edges are permuted by a Fisher-Yates shuffle
 * keyed by (seed, row). Padding stays where it is. out may not be in. */
void attr_dinuc_shuffle(const uint8_t *in, uint8_t *out, int L, uint64_t seed, uint64_t row);

/* In-silico mutagenesis of the sequences' positions [w0, w1): out (n, w1 - w0, 4, K2) is the
 * target's output of the sequence with that base put in minus the reference's (probability, or
 * logit with `logit`), 0 at the reference base and at padding; an N position has four mutants.
 * ref (n, K2) receives the reference's output. All mutants (and each reference) go through the
 * model in batches of its max_batch rows, mutants of several sequences sharing a batch. */
void attr_ism(Model *m, const uint8_t *tokens, int n, int w0, int w1, const int *targets, int K2,
              int logit, float *out, float *ref);

/* Gradient x input of one sequence: out (L, 4, K2) = x * d logit_k / d x at the one-hot x.
 * logit (K2) receives the target logits. m from model_build_input_grad. */
void attr_saliency(Model *m, const uint8_t *tokens, const int *targets, int K2, float *out,
                   float *logit);

/* Integrated gradients of one sequence from `baseline` (L, 4) over `steps` midpoints of the
 * straight path: out (L, 4, K2) = (x - x') * mean over s of d logit_k / d x at
 * x' + (s + 1/2) / steps * (x - x'). logit and base_logit (K2) receive the target logits at x and
 * at x' (completeness: out sums to their difference as steps grows). */
void attr_integrated(Model *m, const uint8_t *tokens, const float *baseline, int steps,
                     const int *targets, int K2, float *out, float *logit, float *base_logit);

#endif
