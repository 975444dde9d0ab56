/* convert_sink.h: what the four converters (converter.h) share: the sink every block goes through
 * (label checks against the task, the writer, progress, the temporary-file guard), the block of
 * variable-length sequences (FASTA records, NumPy strings) padded or trimmed to one length, the
 * choice of task, label columns and length, and the block size. For the converter modules only; commands use
 * converter.h. */
#ifndef GSEQ_CONVERT_SINK_H
#define GSEQ_CONVERT_SINK_H

#include <stdint.h>

#include "data/convert.h"
#include "data/converter.h"
#include "data/dataset.h"
#include "data/npy.h"

#define CONVERT_BLOCK_VALUES ((int64_t)1 << 23) /* one-hot values per block (32 MB as float) */

/* The writer plus what every block goes through. */
typedef struct {
    DatasetWriter *w;
    Progress prog;
    Task task;
    int K;
    char *in_name; /* the input, for messages */
    const char *y_name;
} Sink;

/* Opens the writer of spec (padding and gzip from the settings) and starts progress. in_name and
 * y_name name the input and its labels in messages. */
int sink_open(Sink *s, const ConvertSettings *st, DatasetSpec *spec, const char *in_name,
              const char *y_name, Error *err);
/* Checks the block's labels (naming the input row) and appends it, with the spec's extra
 * dataset's rows (NULL without one); bytes: input read so far. */
int sink_append(Sink *s, int64_t count, const uint8_t *tok, const float *y, const int32_t *len,
                const char *const *ids, const float *extra, int64_t bytes, Error *err);
/* Records the source file and format as attributes and renames the file into place. */
int sink_finish(Sink *s, const char *source, const char *format, Error *err);
/* Frees the sink; a file not finished is removed. Safe on a zeroed or finished sink. */
void sink_close(Sink *s);

/* A block of sequences of any length on their way to the sink, each padded or trimmed on the
 * padding side to L, with its length and (with ids) its id; ids back to back in an arena. */
typedef struct {
    int64_t B, b; /* capacity, sequences held */
    int L, K;
    uint8_t *tok; /* (B, L) */
    float *y;     /* (B, K): the caller puts sequence b's labels at y + b * K before adding it */
    int32_t *len; /* (B) */
    char **ids;   /* (B), into arena at flush; NULL without ids */
    int64_t *off; /* (B) id offsets in arena */
    char *arena;
    size_t arena_len, arena_cap;
    float *extra; /* (B, extra width) rows of the spec's extra dataset, or NULL: set by the
                   * caller after sink_block_alloc, freed by sink_block_free */
} SinkBlock;

/* Sequences of length L a block holds: about CONVERT_BLOCK_VALUES / 4 / L, 1..65536. */
int64_t sink_block_rows(int L);
void sink_block_alloc(SinkBlock *k, int64_t B, int L, int K, int with_ids);
void sink_block_free(SinkBlock *k);
/* Adds a sequence of slen tokens, padded or trimmed on the padding side to L; id NULL without ids. */
void sink_block_add(SinkBlock *k, Padding pad, const char *id, const uint8_t *seq, int64_t slen);
/* Appends the block to the sink and empties it. */
int sink_block_flush(SinkBlock *k, Sink *sink, int64_t bytes, Error *err);

/* The length sequences are written at: the settings' --length, or the longest (in: for messages). */
int convert_resolve_length(const ConvertSettings *s, int64_t longest, const char *in, int *L,
                           Error *err);
/* The settings' task, or the one K label columns imply (classes: multiclass); checked against K. */
int convert_resolve_task(const ConvertSettings *s, int K, int classes, Task *task, Error *err);
/* The label columns to keep of the input's T (settings' targets, or all). */
int convert_resolve_targets(const ConvertSettings *s, int64_t T, int64_t *first, int64_t *count,
                            Error *err);

/* ---- NumPy (convert_npy.c, convert_npy_str.c) ---- */

/* Where X and its labels come from: the arrays to open (members of a zip, NULL: the usual names or
 * the only array), and the fields of a structured X named by --x-name / --y-name. ypath NULL: the
 * labels are in X (fields, or the second column of an (N, 2) string array). */
typedef struct {
    const char *xpath, *xmember, *ypath, *ymember;
    const char *xfield, *yfield;
} NpySources;

/* y of N rows, as X has (xname, for messages): *T label columns. */
int npy_label_columns(const NpyReader *yr, int64_t N, const char *xname, int64_t *T, Error *err);
/* X of strings (<U, |S) or a structured X with a string field: two passes (lengths and labels,
 * then the rows), each reading X block by block. */
int convert_npy_strings(const ConvertSettings *s, const NpySources *src, Error *err);

#endif
