/* motif.h: transcription-factor motifs from JASPAR count matrices: reading, sampling instances, and
 * the log-likelihood-ratio score that serves as the oracle of synthetic data.
 *
 * A motif of width W holds, for each position, the probabilities of A C G T (counts plus a
 * pseudocount) and their log-ratio to the background. Sequences are tokens (dataset.h): 1..4 = A C G T,
 * 5 = N (scores 0), 0 = padding (never scored). */
#ifndef GSEQ_MOTIF_H
#define GSEQ_MOTIF_H

#include <stdint.h>

#include "base/util.h"

typedef struct {
    char id[32];   /* "MA0139.1" */
    char name[64]; /* "CTCF" */
    int width;     /* W */
    double *counts; /* (W, 4) as in the file */
    double *prob;   /* (W, 4) */
    double *llr;    /* (W, 4) log(prob / background), natural log */
    float *tab;     /* (W, 8) llr by token (0 = padding and 5 = N score 0), forward strand */
    float *rtab;    /* (W, 8) the same for the reverse complement */
} Motif;

typedef struct {
    int n;
    Motif *m;
} MotifSet;

/* Reads a JASPAR file (">ID NAME" then four rows A C G T of counts, with or without "A [ ... ]"),
 * then motif_prepare(uniform background, pseudocount 0.8 spread over the four bases). */
int motif_read_jaspar(const char *path, MotifSet *set, Error *err);
void motif_set_free(MotifSet *set);
/* By ID ("MA0139.1", or "MA0139" for any version) or name ("CTCF"), case-insensitive; NULL if none. */
const Motif *motif_find(const MotifSet *set, const char *key);
/* Probabilities from counts with `pseudocount` split equally over the bases; llr against bg (A C G T). */
void motif_prepare(Motif *m, const double bg[4], double pseudocount);
/* Information content in bits against a uniform background. */
double motif_information(const Motif *m);

/* The token at motif position j drawn with uniform u in [0, 1). */
int motif_sample(const Motif *m, int j, float u);
/* LLR of the W tokens at t read forward (strand 0) or as the reverse complement (strand 1). */
double motif_llr(const Motif *m, const uint8_t *t, int strand);
/* The oracle: log of the likelihood ratio of "one instance planted at a uniformly random position and
 * strand" against background only, for the `len` tokens at t: log mean over positions and both
 * strands of exp(llr). Sequences shorter than W score -inf. */
double motif_oracle(const Motif *m, const uint8_t *t, int len);

#endif
