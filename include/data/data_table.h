/* data_table.h: a data file held in memory as the trainer uses it (tokens, labels, and synth's
 * oracle scores when present), its fingerprint, and the seeded stratified splits into train,
 * validation and test rows. Every rank holds the rows it may draw, so that any rank can take any
 * sample and results do not depend on the number of ranks. */
#ifndef GSEQ_DATA_TABLE_H
#define GSEQ_DATA_TABLE_H

#include <stdint.h>

#include "base/task.h"
#include "base/util.h"
#include "data/coords.h"
#include "data/dataset.h"

typedef struct {
    char path[512];
    int64_t n; /* rows in the file */
    int length, targets;
    Task task;
    int64_t first_row, n_local; /* the rows held here: [first_row, first_row + n_local) */
    uint8_t *tokens;  /* (n_local, L) */
    float *labels;    /* (n_local, K) */
    float *oracle;    /* (n_local, K) best achievable scores (synthetic data), or NULL */
    char fingerprint[24];
    void *shared;     /* the node-shared window holding the rows (data_dist.c), or NULL */
    ChromIndex chroms; /* every row's chromosome, for the whole file on every rank (of_row NULL
                        * when the file has no /chrom) */
} DataTable;

/* Row `row` (a row number of the file) of a table that holds it. */
static inline const uint8_t *data_tokens(const DataTable *t, int64_t row)
{
    return t->tokens + (row - t->first_row) * t->length;
}
static inline const float *data_labels(const DataTable *t, int64_t row)
{
    return t->labels + (row - t->first_row) * t->targets;
}

typedef struct {
    int64_t *rows;
    int64_t n;
} RowSet;

/* The whole file, in this process's memory (with its chromosome index). */
int data_table_load(DataTable *t, const char *path, Error *err);
/* Opens path for reading its rows: t gets the path and shape (n, length, targets, task; no rows
 * held yet), *has_oracle whether /oracle is (n, targets), *d the open file to read and close.
 * -1 with a message when the file cannot be read or holds no samples. */
int data_table_open(DataTable *t, const char *path, Dataset **d, int *has_oracle, Error *err);
/* Rows [start, start + count) of an open file into caller buffers (oracle may be NULL). */
int data_table_read(Dataset *d, int64_t start, int64_t count, uint8_t *tokens, float *labels,
                    float *oracle, Error *err);
/* FNV-1a of the shape, tokens and labels held; `seed` chains shards in order. */
uint64_t data_table_hash(const DataTable *t, uint64_t seed);
void data_table_free(DataTable *t);
RowSet rowset_all(int64_t n);
void rowset_free(RowSet *r);

/* Splits `from` into kept and held-out rows, `fraction` of each stratum held out, seeded; strata
 * are the label (binary), the class (multiclass) or the number of positive targets, capped at 3
 * (multilabel); regression has one stratum (a plain seeded split: its labels are not classes).
 * Both outputs keep increasing row order. */
void split_stratified(const DataTable *t, const RowSet *from, double fraction, uint64_t seed,
                      uint32_t stream, RowSet *kept, RowSet *held);

/* Assigns every row of `from` to one of k folds, stratified as split_stratified (each stratum's rows
 * shuffled by the seed and dealt round-robin), seeded. fold[i] is the fold of from->rows[i].
 * Returns -1 with a message when a stratum has fewer rows than folds (binary and multiclass). */
int assign_folds(const DataTable *t, const RowSet *from, int k, uint64_t seed, int *fold, Error *err);
/* Folds of whole chromosomes (t->chroms): the chromosomes of `from`, largest first (ties by name),
 * each to the fold with the fewest rows so far (ties: the lowest fold), so the folds are balanced by
 * rows and the same for any seed or rank count. fold[i] is the fold of from->rows[i]; if
 * chrom_fold is not NULL, chrom_fold[c] (t->chroms.n_names) is chromosome c's fold or -1. Returns
 * -1 with a message when `from` covers fewer chromosomes than folds. */
int assign_folds_by_chrom(const DataTable *t, const RowSet *from, int k, int *fold, int *chrom_fold,
                          Error *err);
/* Rows of `from` whose chromosome c has mark[c] == value (held) and the others (kept). */
void split_by_chrom(const DataTable *t, const RowSet *from, const uint8_t *mark, uint8_t value,
                    RowSet *kept, RowSet *held);
/* The rows of `from` in fold `k` (held) and the others (kept), in increasing order. */
void split_fold(const RowSet *from, const int *fold, int k, RowSet *kept, RowSet *held);

/* The order of an epoch: a permutation of `rows` keyed by (seed, epoch) alone. */
void shuffle_rows(const RowSet *rows, uint64_t seed, uint32_t epoch, int64_t *order);

#endif
