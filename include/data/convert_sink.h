/* convert_sink.h: what the four converters (converter.h) share: the sink every block goes through
 * (label checks against the task, the writer, progress, the temporary-file guard), the choice of
 * task and label columns, and the block size. For the converter modules only; commands use
 * converter.h. */
#ifndef GSEQ_CONVERT_SINK_H
#define GSEQ_CONVERT_SINK_H

#include <stdint.h>

#include "data/convert.h"
#include "data/converter.h"
#include "data/dataset.h"

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
/* Checks the block's labels (naming the input row) and appends it; bytes: input read so far. */
int sink_append(Sink *s, int64_t count, const uint8_t *tok, const float *y, const int32_t *len,
                const char *const *ids, int64_t bytes, Error *err);
/* Records the source file and format as attributes and renames the file into place. */
int sink_finish(Sink *s, const char *source, const char *format, Error *err);
/* Frees the sink; a file not finished is removed. Safe on a zeroed or finished sink. */
void sink_close(Sink *s);

/* The settings' task, or the one K label columns imply (classes: multiclass); checked against K. */
int convert_resolve_task(const ConvertSettings *s, int K, int classes, Task *task, Error *err);
/* The label columns to keep of the input's T (settings' targets, or all). */
int convert_resolve_targets(const ConvertSettings *s, int64_t T, int64_t *first, int64_t *count,
                            Error *err);

#endif
