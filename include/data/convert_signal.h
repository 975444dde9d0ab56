/* convert_signal.h: the bigWig targets of the genome converter (convert_genome.c, `convert --genome
 * --bigwig`): the tracks opened and their chromosomes matched to the genome's, then each row's
 * label: the mean signal of each track over the row's signal window, S bases centred on the bin
 * (region) centre, [centre - S/2, centre - S/2 + S) clipped to the chromosome, the mean taken over
 * the bases left (bases without data and NaN count as 0; bigwig.h). For the genome converter
 * only; commands use converter.h. */
#ifndef GSEQ_CONVERT_SIGNAL_H
#define GSEQ_CONVERT_SIGNAL_H

#include <stdint.h>

#include "base/util.h"
#include "data/bigwig.h"
#include "data/converter.h"
#include "data/genome.h"

typedef struct {
    int T, C;        /* tracks, genome chromosomes */
    int S;           /* signal window, bp */
    const char *const *path;
    BigWig **bw;     /* (T) */
    int *chrom;      /* (T, C): the track's index of genome chromosome c, -1 when it lacks it */
    int64_t B;       /* most rows a call takes */
    int64_t *ws, *we; /* (B) the windows of a call */
    double *sum;     /* (B) */
} SignalSet;

/* Opens gs's tracks; every chromosome of g in use (C flags) that a track has must have the
 * genome's length. At most B rows a call of signal_means. 0, or -1 with one line. */
int signal_open(SignalSet *s, const GenomeSettings *gs, const Genome *g, const uint8_t *use,
                int64_t B, Error *err);
/* The labels y (n, T) of n <= B rows of genome chromosome c, their centres nondecreasing. A track
 * without the chromosome is an error naming the file and the chromosome. */
int signal_means(SignalSet *s, const Genome *g, int c, int64_t n, const int64_t *centre,
                 float *y, Error *err);
void signal_close(SignalSet *s); /* safe on a zeroed set */

#endif
