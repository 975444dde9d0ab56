/* bigwig.h: signal tracks in bigWig files, read through libBigWig (local files only). The only
 * module that calls libBigWig: the converters use this API.
 *
 * The signal is what the file's intervals give, per base: a base no interval covers has no data
 * and counts as 0 (Basenji's and Selene's practice), and so does a NaN value. Sums over windows are
 * exact (double) and computed in one walk of the intervals, never a per-base array: memory is one
 * group of the file's compressed blocks (about 64 blocks, a few hundred kB), whatever the
 * chromosome's length. libBigWig's own messages on stderr are silenced, so a user sees one line
 * per problem. */
#ifndef GSEQ_BIGWIG_H
#define GSEQ_BIGWIG_H

#include <stdint.h>

#include "base/util.h"

typedef struct BigWig BigWig; /* opaque */

/* Opens path for reading. NULL + one line: "PATH: cannot open: ..." or "PATH: not a bigWig file
 * (or cannot be read)". */
BigWig *bigwig_open(const char *path, Error *err);
void bigwig_close(BigWig *bw); /* NULL is a no-op */
const char *bigwig_path(const BigWig *bw);

int bigwig_count(const BigWig *bw);                 /* chromosomes */
const char *bigwig_name(const BigWig *bw, int i);   /* i-th chromosome, the file's order */
int64_t bigwig_length(const BigWig *bw, int i);
int bigwig_find(const BigWig *bw, const char *name); /* index of a chromosome, -1 if absent */

/* The sums of the signal of chromosome `chrom` (an index) over n windows [start[i], end[i]):
 * start and end each nondecreasing (windows of one length in order are), windows may overlap.
 * sum (n) is overwritten. Windows close together are read in one walk of the intervals, groups
 * far apart (more than 256 kb) in walks of their own. 0, or -1 with one line naming the file. */
int bigwig_sums(BigWig *bw, int chrom, int64_t n, const int64_t *start, const int64_t *end,
                double *sum, Error *err);

/* The target name a bigWig gives: its base name without folders and ".bw", ".bigWig" or
 * ".bigwig": malloc'd. */
char *bigwig_target_name(const char *path);

/* ---- writing (the tests' and the benchmarks' tool) ---- */

typedef struct BigWigWriter BigWigWriter; /* opaque */

/* Creates path for n chromosomes (names and lengths) with 10 zoom levels. */
BigWigWriter *bigwig_create(const char *path, int n, const char *const *name,
                            const uint32_t *length, Error *err);
/* Adds n bedGraph intervals [start, end) of chromosome `name`, sorted, after those of any earlier
 * chromosome in the order of bigwig_create. */
int bigwig_add(BigWigWriter *w, const char *name, uint32_t n, const uint32_t *start,
               const uint32_t *end, const float *value, Error *err);
/* Writes the index and zoom levels and closes; frees w. */
int bigwig_finish(BigWigWriter *w, Error *err);

#endif
