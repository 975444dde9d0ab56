/* motif.h: transcription-factor motifs from JASPAR count matrices: reading, sampling instances, and
 * the log-likelihood-ratio score that serves as the oracle of synthetic data (motif.c); motifs
 * stacked from sites, MEME minimal format, and the TOMTOM-like comparison of two motifs
 * (motif_match.c), for `gseq_mpi motifs`.
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
    double nsites; /* sites behind the counts: JASPAR the first column's total, MEME its nsites= */
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

/* ---- motif_match.c ---- */

/* Every motif of a file: MEME minimal format (it starts with "MEME version") or else JASPAR. */
int motif_read_file(const char *path, MotifSet *set, Error *err);
/* MEME minimal motif format, version 4: "MOTIF ID [NAME]", then "letter-probability matrix:" with
 * w= and nsites= (20 when absent, as TOMTOM assumes), then w rows of A C G T probabilities. The
 * counts are the probabilities times nsites; prob keeps the file's values (rows renormalised). */
int motif_read_meme(const char *path, MotifSet *set, Error *err);
/* A motif of width W stacked from `nsites` sites, counts (W, 4): probabilities
 * (count + 1) / (nsites + 4), Basset's pseudocount of one per base. Free with motif_free. */
void motif_from_counts(Motif *m, const char *id, const char *name, const double *counts, int width,
                       double nsites);
void motif_free(Motif *m);
/* MEME minimal format version 4 with `bg` (A C G T) as the background letter frequencies: for each
 * motif "MOTIF ID NAME" and "letter-probability matrix: alength= 4 w= W nsites= S E= 0". */
int motif_write_meme(const char *path, const Motif *m, int n, const double bg[4], Error *err);

/* The best alignment of a target motif to a query motif. */
typedef struct {
    double score; /* the sum over the overlapping columns of their Pearson correlation */
    int offset;   /* the query's column under the target's first column (of that strand); < 0: the
                   * target starts before the query */
    int strand;   /* 0: the target as given, 1: its reverse complement */
    int overlap;  /* columns in common */
} MotifAlign;

/* Pearson's r of two columns of four probabilities (0 when either is constant). */
double motif_column_pearson(const double *a, const double *b);
/* The best alignment over every offset with at least min(min_overlap, W_query, W_target) columns
 * in common and both strands of the target; ties go to the forward strand, then the smaller offset. */
MotifAlign motif_compare(const Motif *q, const Motif *t, int min_overlap);
/* The p-value of `score` (query q against target t): the chance that the target with its columns
 * in random order (both strands and every offset tried, as motif_compare) scores at least as high.
 * Sequential Monte Carlo (Besag & Clifford 1991): shuffles until 10 reach the score, p = 10 /
 * shuffles; when fewer than 10 of `max_shuffles` do (an empirical p could not go below
 * 1 / (max_shuffles + 1)), the upper tail of a Gumbel distribution fitted to the shuffled scores
 * (maxima over offsets and strands) by their mean and variance. The shuffles are keyed by
 * (seed, stream): the same on any rank. */
double motif_compare_pvalue(const Motif *q, const Motif *t, double score, int min_overlap,
                            int max_shuffles, uint64_t seed, uint32_t stream);
/* Benjamini-Hochberg q-values of n p-values (any order). */
void motif_qvalues(const double *p, int n, double *q);

/* The JASPAR file that ships with gseq_mpi: data/jaspar_vertebrates.pfm in the working directory,
 * else beside the program (.../gseq_mpi -> .../data/...; written into buf), else the relative name. */
const char *motif_default_file(char *buf, size_t n);

#endif
