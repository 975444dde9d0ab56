/* coords.h: the genome coordinates of a gseq data file's rows, as the hold-out and the outputs of
 * eval and predict read them. The datasets (all optional; see docs/formats.md):
 *   /chrom   string (N)   the chromosome of each row's window
 *   /start   int64 (N)    0-based start of the window
 *   /end     int64 (N)    end of the window (half-open)
 *   /strand  string (N)   "+", "-" or "." (only when known)
 * A file has coordinates when it has /chrom; /start and /end then go with it. Writing them into
 * training data is the converter's; this module reads them, and writes them beside predictions. */
#ifndef GSEQ_COORDS_H
#define GSEQ_COORDS_H

#include <stdint.h>

#include "base/util.h"
#include "data/h5io.h"

/* Every row's coordinates (rank 0 of eval / predict holds them for the whole file). */
typedef struct {
    int64_t n;
    char **chrom;          /* (n) */
    int64_t *start, *end;  /* (n) */
    char **strand;         /* (n), or NULL when the file has no /strand */
} Coords;

/* Every row's chromosome as a small integer: what the hold-out needs, compact enough for every rank
 * to hold for the whole file. */
typedef struct {
    int32_t *of_row;  /* (n) index into names; NULL when the file has no /chrom */
    char **names;     /* (n_names), in order of first appearance */
    int n_names;
    int64_t *rows;    /* (n_names) rows on each chromosome */
} ChromIndex;

/* Whether the file at path has /chrom: 1 or 0, -1 with a message when it cannot be opened. */
int coords_present(const char *path, Error *err);
/* The whole file's coordinates (n rows). A file without /chrom gives 0 with c->chrom NULL;
 * -1 with one line naming the file and dataset when they are malformed. */
int coords_read(const char *path, int64_t n, Coords *c, Error *err);
void coords_free(Coords *c);
/* Writes /chrom, /start, /end (and /strand when c has it) into an open file. */
int coords_write(H5File *f, const Coords *c, Error *err);

/* The chromosome index of the whole file (n rows): 0 with ix->of_row NULL when there is no /chrom. */
int chrom_index_read(const char *path, int64_t n, ChromIndex *ix, Error *err);
/* The index of name in ix, or -1. */
int chrom_index_find(const ChromIndex *ix, const char *name);
void chrom_index_free(ChromIndex *ix);

#endif
