/* dataset.h: the canonical gseq data file: open and validate it, read any block of rows, write one.
 *
 * The file (HDF5, see README.md, "File formats"):
 *   /x             uint8 (N, L)    tokens: 0 = padding, 1..4 = A C G T, 5 = N (and any other IUPAC code)
 *                  or one-hot (N, L, 4) uint8/float32, channels A C G T, converted to tokens on read
 *   /y             (N, K) or (N)   uint8 or float32 labels
 *   /length        int32 (N)       optional: real bases of each row (the rest is padding)
 *   /id            string (N)      optional
 *   /target_names  string (K)      optional
 *   /chrom /start /end  string, int64, int64 (N)  optional, together: each row's genome window
 *                  (0-based, half-open); /strand string (N) "+", "-" or "." optional beside them
 *   attributes on /: task (binary | multilabel | multiclass), padding (pre | post), format_version.
 *
 * Reading takes row ranges (HDF5 hyperslabs), so a process can hold just its own rows: the caller plans
 * which rows each rank needs (dataset_shard is the plain contiguous split) and MPI stays elsewhere.
 * Every block read is checked (token range, labels of the task); dataset_check scans the whole file.
 * Writing streams blocks of rows into a temporary file that is renamed into place by
 * dataset_writer_finish, so an interrupted or failed conversion never leaves a half-written file. */
#ifndef GSEQ_DATASET_H
#define GSEQ_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "base/task.h" /* Task, task_name, task_parse (a file never says TASK_AUTO) */
#include "base/util.h"

#define DATASET_FORMAT_VERSION 1

enum { TOKEN_PAD = 0, TOKEN_A = 1, TOKEN_C = 2, TOKEN_G = 3, TOKEN_T = 4, TOKEN_N = 5 };

typedef enum { PAD_PRE, PAD_POST } Padding;

const char *padding_name(Padding p);
int padding_parse(const char *s, Padding *out);

/* A base letter (either case) to its token: ACGT (U as T) to 1..4, N and the other IUPAC codes
 * (RYSWKMBDHV) to 5; -1 for anything else. */
int token_of_base(int c);
extern const char TOKEN_LETTERS[7]; /* "-ACGTN": the letter of each token, for printing */
/* The reverse complement of n rows of L tokens: within each row's real span (first to last base)
 * the order is reversed and A<->T, C<->G swapped; N stays N and padding stays where it was, so a
 * pre-padded row stays right-aligned. */
void tokens_reverse_complement(const uint8_t *x, uint8_t *y, int64_t n, int L);

typedef struct {
    int64_t n;            /* N: rows (samples) */
    int length;           /* L: tokens per row */
    int targets;          /* K: label columns */
    Task task;
    Padding padding;
    int format_version;
    int x_onehot;         /* /x is stored one-hot (N, L, 4) */
    int y_float;          /* /y is stored as floating point (else integer) */
    int has_lengths;      /* /length present */
    int has_ids;          /* /id present */
    int has_coords;       /* /chrom, /start and /end present */
    int has_strand;       /* /strand present (only with the coordinates) */
    char **target_names;  /* K names; "target_0", ... when the file has none */
} DatasetInfo;

typedef struct Dataset Dataset;

/* Opens and validates the structure (datasets, ranks, types, N agreement, attributes, lengths).
 * NULL + one line naming the file and the problem. */
Dataset *dataset_open(const char *path, Error *err);
const DatasetInfo *dataset_info(const Dataset *d);
const char *dataset_path(const Dataset *d);
void dataset_close(Dataset *d);

/* Rows [start, start + count): tokens (count, L) and labels (count, K) as float; either may be NULL.
 * Fails, naming the row, on a token out of range or a label the task does not allow. */
int dataset_read_rows(Dataset *d, int64_t start, int64_t count, uint8_t *tokens, float *labels,
                      Error *err);
/* Any rows, given in increasing order (runs of consecutive rows are read as one slab). */
int dataset_read_index(Dataset *d, const int64_t *rows, int64_t count, uint8_t *tokens,
                       float *labels, Error *err);
/* Real bases per row: /length if present, else counted from the padding. */
int dataset_read_lengths(Dataset *d, int64_t start, int64_t count, int32_t *lengths, Error *err);
/* ids[i] malloc'd (free each); "row_<i>" when the file has no /id. */
int dataset_read_ids(Dataset *d, int64_t start, int64_t count, char **ids, Error *err);
/* Genome coordinates of rows [start, start + count): chrom[i] malloc'd (free each), cstart and
 * cend (0-based, half-open); any of the three may be NULL. Fails when the file has none
 * (info.has_coords 0), or, naming the row, on a start < 0 or start >= end. */
int dataset_read_coords(Dataset *d, int64_t start, int64_t count, char **chrom, int64_t *cstart,
                        int64_t *cend, Error *err);
/* Strands '+', '-' or '.' of rows [start, start + count); all '.' when the file has no /strand. */
int dataset_read_strand(Dataset *d, int64_t start, int64_t count, char *strand, Error *err);
/* An additional float dataset (count, W) such as synth's /oracle; *width = W. Missing: -1.
 * out NULL only sets *width (a probe). */
int dataset_read_extra(Dataset *d, const char *name, int64_t start, int64_t count, float *out,
                       int *width, Error *err);
/* Scans every row in blocks: tokens, labels, and lengths against the padding. */
int dataset_check(Dataset *d, Error *err);

/* The contiguous near-equal split of n rows over nranks: rank gets [*start, *start + *count). */
void dataset_shard(int64_t n, int rank, int nranks, int64_t *start, int64_t *count);

/* One-hot (n, L, 4) to tokens, the element (i, j, c) at src[i*s_n + j*s_l + c*s_c]; channel c means
 * base token order[c] (A C G T is {1, 2, 3, 4}; DeepSEA's A G C T is {1, 3, 2, 4}). A unit vector
 * becomes its base, four equal non-zero values N, all zeros `zero_token` (padding, or N).
 * Returns 0, or -1 with (*bad_i, *bad_j) set at the first position that is none of these. */
int onehot_decode_f32(const float *src, int64_t n, int L, int64_t s_n, int64_t s_l, int64_t s_c,
                      const uint8_t order[4], uint8_t zero_token, uint8_t *dst, int64_t *bad_i,
                      int *bad_j);
int onehot_decode_u8(const uint8_t *src, int64_t n, int L, int64_t s_n, int64_t s_l, int64_t s_c,
                     const uint8_t order[4], uint8_t zero_token, uint8_t *dst, int64_t *bad_i,
                     int *bad_j);

/* ---- writing ---- */

typedef struct {
    int64_t n;                 /* rows, if known (fixed-size datasets); -1: grow as rows arrive */
    int length;                /* L */
    int targets;               /* K */
    Task task;
    Padding padding;
    int y_float;               /* store /y as float32 (else uint8: labels must be integers 0..255) */
    int with_lengths;          /* write /length */
    int with_ids;              /* write /id */
    int with_coords;           /* write /chrom, /start, /end (dataset_writer_coords) */
    int with_strand;           /* and /strand */
    char *const *target_names; /* K names, or NULL */
    const char *extra_name;    /* an extra float32 (N, extra_width) dataset, e.g. "/oracle"; or NULL */
    int extra_width;
    int gzip;                  /* 0 = none, 1..9 = gzip level */
} DatasetSpec;

typedef struct DatasetWriter DatasetWriter;

DatasetWriter *dataset_writer_open(const char *path, const DatasetSpec *spec, Error *err);
/* Appends `count` rows: tokens (count, L); labels (count, K) as float; lengths (count) if
 * with_lengths; ids (count) if with_ids; extra (count, extra_width) if extra_name. */
int dataset_writer_append(DatasetWriter *w, int64_t count, const uint8_t *tokens, const float *labels,
                          const int32_t *lengths, const char *const *ids, const float *extra,
                          Error *err);
/* With with_coords: the coordinates of the next `count` rows (counted apart from the appends, so
 * before or after their dataset_writer_append); strand (count) only with with_strand. Every row
 * must have them by dataset_writer_finish. */
int dataset_writer_coords(DatasetWriter *w, int64_t count, const char *const *chrom,
                          const int64_t *start, const int64_t *end, const char *const *strand,
                          Error *err);
int64_t dataset_writer_rows(const DatasetWriter *w);
/* More attributes on / (provenance: source file, seed, motifs). */
int dataset_writer_attr_string(DatasetWriter *w, const char *name, const char *value, Error *err);
int dataset_writer_attr_double(DatasetWriter *w, const char *name, double value, Error *err);
/* Writes the attributes, closes, renames the temporary file to its name. Frees w, even on failure
 * (then the temporary file is removed). */
int dataset_writer_finish(DatasetWriter *w, Error *err);
/* Closes and removes the temporary file; frees w. NULL is a no-op. */
void dataset_writer_abort(DatasetWriter *w);
/* The temporary file being written, e.g. for a signal handler to remove. */
const char *dataset_writer_temp_path(const DatasetWriter *w);

#endif
