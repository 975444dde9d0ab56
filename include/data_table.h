/* data_table.h: a data file held in memory as the trainer uses it (tokens, labels, and synth's
 * oracle scores when present), its fingerprint, and the seeded stratified splits into train,
 * validation and test rows. Every rank holds the rows it may draw, so that any rank can take any
 * sample and results do not depend on the number of ranks. */
#ifndef GSEQ_DATA_TABLE_H
#define GSEQ_DATA_TABLE_H

#include <stdint.h>

#include "task.h"
#include "util.h"

typedef struct {
    char path[512];
    int64_t n;
    int length, targets;
    Task task;
    uint8_t *tokens;  /* (n, L) */
    float *labels;    /* (n, K) */
    float *oracle;    /* (n, K) best achievable scores (synthetic data), or NULL */
    char fingerprint[24];
} DataTable;

typedef struct {
    int64_t *rows;
    int64_t n;
} RowSet;

int data_table_load(DataTable *t, const char *path, Error *err);
void data_table_free(DataTable *t);
RowSet rowset_all(int64_t n);
void rowset_free(RowSet *r);

/* Splits `from` into kept and held-out rows, `fraction` of each stratum held out, seeded; strata
 * are the label (binary), the class (multiclass) or the number of positive targets, capped at 3
 * (multilabel). Both outputs keep increasing row order. */
void split_stratified(const DataTable *t, const RowSet *from, double fraction, uint64_t seed,
                      uint32_t stream, RowSet *kept, RowSet *held);

/* The order of an epoch: a permutation of `rows` keyed by (seed, epoch) alone. */
void shuffle_rows(const RowSet *rows, uint64_t seed, uint32_t epoch, int64_t *order);

#endif
