/* motifs.h: what the first convolution's filters respond to, the way Basset and DanQ read them: the
 * filter's activations (after its activation function, before any pooling) over every window of a
 * set of sequences, the windows above a fraction of the filter's maximum stacked into base counts.
 * Over MPI each rank scans its own rows and the maxima and counts are reduced, so every rank ends
 * with the same totals. Turning counts into motifs, writing and matching them is data/motif.h's. */
#ifndef GSEQ_MOTIFS_H
#define GSEQ_MOTIFS_H

#include <stdint.h>

#include "data/motif.h"
#include "nn/model.h"
#include "parallel/par.h"

/* Totals of a scan, the same on every rank. */
typedef struct {
    int F, W;          /* filters, their width */
    double *max;       /* (F) the largest activation of each filter over every window scanned */
    double *threshold; /* (F) fraction * max: windows strictly above it are sites */
    double *counts;    /* (F, W, 4) bases A C G T of the sites; an N adds 0.25 to each */
    double *sites;     /* (F) */
    double bg[4];      /* A C G T frequencies of the sequences scanned (N and padding left out) */
    int64_t sequences, windows; /* scanned, in all; windows with padding are not scanned */
} FilterScan;

/* The model's first convolution: layer 1 when layer 0 is onehot and layer 1 conv1d; else -1 with
 * a message naming the checkpoint and what its first layers are. */
int motifs_first_conv(const Model *m, const char *checkpoint, const Layer **conv, Error *err);
/* The activations y (n * T_out, F) of the conv over n rows of L tokens, one-hot as the onehot layer
 * codes them (A C G T unit vectors, N 0.25 each, padding 0): for each window the bias plus, for
 * each of its W steps, the weight row (F) of its base (an N: the mean of the four rows), then the
 * activation. The same sums as conv1d's forward pass. */
void motifs_activations(const Layer *conv, const uint8_t *tokens, int n, int L, float *y);
/* Two passes over this rank's `count` rows of L tokens, `batch` at a time: the maxima (reduced
 * over the ranks), then the sites above fraction * max (counts reduced). */
void motifs_scan(ParComm *c, const Layer *conv, const uint8_t *tokens, int64_t count, int L,
                 int batch, double fraction, FilterScan *s);
void motifs_scan_free(FilterScan *s);

/* One target motif matched to a filter's. */
typedef struct {
    int target;        /* index in the target set; -1: none (a filter without sites, or fewer
                        * targets than asked for) */
    MotifAlign align;  /* motif_compare's */
    double p, q;       /* motif_compare_pvalue's; Benjamini-Hochberg over the filter's targets */
} MotifMatch;

/* The `top` best targets of each of the nf filter motifs (smallest p, p-values below the
 * shuffles' resolution 1 / (shuffles + 1) counting as equal; then highest score): every
 * target aligned (motif_compare) and its p-value estimated with up to `shuffles` column shuffles
 * keyed by (seed, filter, target). Filters with use[f] == 0 are skipped. The filters are dealt to
 * the ranks in turn and the results summed, so every rank has matches (nf, top), the same for any
 * number of ranks. */
void motifs_match(ParComm *c, const Motif *filters, const int *use, int nf, const MotifSet *targets,
                  int top, int min_overlap, int shuffles, uint64_t seed, MotifMatch *matches);

#endif
