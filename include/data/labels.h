/* labels.h: the labels table that goes with a FASTA file: a TSV (plain or gzip) whose first line is a
 * header (the id column's name, then one name per target) and whose rows are "id<TAB>v1<TAB>v2...".
 * With `classes`, the table has one column of class names, which becomes a one-hot multiclass target.
 *
 * Opening reads the table once, checks every row (column count, numbers, duplicate ids, values the
 * task allows) naming the line, and keeps only an index: id -> row, and where the row starts in the
 * file. Values are read back on demand, so memory grows with the number of rows, not with N x K. */
#ifndef GSEQ_LABELS_H
#define GSEQ_LABELS_H

#include <stdint.h>

#include "data/dataset.h"
#include "base/util.h"

typedef struct LabelTable LabelTable;

/* task NULL: inferred (classes: multiclass; one column: binary; more: multilabel). */
LabelTable *labels_open(const char *path, int classes, const Task *task, Error *err);
void labels_close(LabelTable *t);

int64_t labels_rows(const LabelTable *t);
int labels_targets(const LabelTable *t);          /* K */
char *const *labels_names(const LabelTable *t);   /* K target (or class) names */
Task labels_task(const LabelTable *t);
int labels_integer(const LabelTable *t);          /* every value an integer 0..255 */

int64_t labels_find(const LabelTable *t, const char *id); /* row, or -1 */
const char *labels_id(const LabelTable *t, int64_t row);
int64_t labels_line(const LabelTable *t, int64_t row);
/* The K values of a row (one-hot for classes). */
int labels_get(LabelTable *t, int64_t row, float *out, Error *err);

#endif
