/* rng.h: the counter-based generator (Philox4x32-10, Salmon et al. 2011) behind every random number.
 * A draw is a pure function of (seed, domain, stream, counter): initial weights are keyed by
 * (seed, layer, tensor, element), dropout masks by (seed, epoch, global sample index, layer), shuffles
 * by (seed, epoch). No state, so results never depend on how many processes run or in which order. */
#ifndef GSEQ_RNG_H
#define GSEQ_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    RNG_INIT = 1,    /* weight initialisation: stream = layer << 8 | tensor */
    RNG_DROPOUT = 2, /* dropout masks: stream = layer, counter = (epoch, sample) */
    RNG_SHUFFLE = 3, /* sample order: stream = epoch */
    RNG_DATA = 4,    /* synthetic data and tests */
    RNG_AUGMENT = 5  /* reverse-complement augmentation: stream = epoch, element = the row */
} RngDomain;

/* Philox4x32 with 10 rounds: four 32-bit outputs for a 128-bit counter and a 64-bit key. */
void philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Four uniforms in [0, 1) (24-bit resolution) for block number `block` of (domain, stream, sub). */
void rng_uniform4(uint64_t seed, RngDomain domain, uint32_t stream, uint32_t sub, uint64_t block,
                  float out[4]);
/* The raw words of blocks block, block + 1, ... in order: n words (the last block may be cut);
 * rng_uniform4's values are these words' top 24 bits / 2^24. Sixteen blocks at a time with AVX-512. */
void rng_words(uint64_t seed, RngDomain domain, uint32_t stream, uint32_t sub, uint64_t block,
               uint32_t *out, size_t n);
/* Element i of the uniform sequence of (domain, stream, sub); same value as block i/4, lane i%4. */
float rng_uniform_at(uint64_t seed, RngDomain domain, uint32_t stream, uint32_t sub, uint64_t i);
/* Element i of a standard normal sequence (Box-Muller on a pair of uniforms), in double. */
double rng_normal_at(uint64_t seed, RngDomain domain, uint32_t stream, uint32_t sub, uint64_t i);
/* A 64-bit value for element i: used for shuffling. */
uint64_t rng_u64_at(uint64_t seed, RngDomain domain, uint32_t stream, uint32_t sub, uint64_t i);

#endif
