/* bed.h: intervals from BED, narrowPeak and broadPeak files, plain or gzip (zlib tells them apart).
 *
 * BED3 and up: chrom, start, end (0-based, half-open), then anything; the strand of column 6 is
 * kept when it is "+" or "-". A name ending in .narrowPeak or .broadPeak (before .gz) is read as
 * that format: 10 or 9 columns, with score, signalValue, pValue, qValue (and peak) numbers and the
 * strand "+", "-" or ".". Empty lines and "track", "browser" and "#" lines are skipped.
 * Every interval is checked against a table of chromosome lengths (genome.h), and a bad line is
 * one error naming the file, its line and what was expected. */
#ifndef GSEQ_BED_H
#define GSEQ_BED_H

#include <stdint.h>

#include "base/util.h"
#include "data/genome.h"

typedef struct {
    int64_t start, end; /* 0-based, half-open */
    int32_t chrom;      /* index in the ChromTable */
    char strand;        /* '+', '-' or '.' */
} BedInterval;

typedef struct {
    BedInterval *iv;
    int64_t n, cap;
    int64_t skipped; /* lines on chromosomes not in the table (with skip_unknown) */
    int stranded;    /* some interval has a strand */
} BedSet;

/* Reads path into out (appending). skip_unknown: a chromosome not in chroms is skipped and
 * counted, else it is an error. 0, or -1 with one line. */
int bed_read(const char *path, const ChromTable *chroms, int skip_unknown, BedSet *out,
             Error *err);
/* Sorts by chromosome (table order), start, end. */
void bed_sort(BedSet *s);
/* Sorts and merges overlapping or touching intervals of the same chromosome (strand dropped). */
void bed_merge(BedSet *s);
/* For a sorted set: the intervals of chromosome c are [first[c], first[c + 1]); first has
 * nchroms + 1 entries. */
void bed_index(const BedSet *s, int nchroms, int64_t *first);
void bed_free(BedSet *s);

/* The target name a peak file gives: its base name without folders and extensions
 * (".gz", ".bed", ".narrowPeak", ".broadPeak", ".txt"): malloc'd. */
char *bed_target_name(const char *path);

#endif
