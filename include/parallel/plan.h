/* plan.h: which rows of the data a run trains on, validates on and tests on. The test rows are set
 * aside first (a test file, or test_fraction of the data, stratified and seeded); validation is a
 * file, valid_fraction of the rest, or fold k of `folds` over the rest (cross-validation). In shared
 * mode rank 0 plans over the whole file and broadcasts the plan; in shard mode each rank plans its
 * own rows. With data.test_chroms / data.valid_chroms the test / validation rows are those on the
 * named chromosomes (data.valid_chroms alone: test_fraction is drawn from the other rows), and with
 * data.folds_by = chrom the folds are of whole chromosomes (assign_folds_by_chrom); both need the
 * file's /chrom. `train` and `cv` call the same function, so a fold trained alone matches it inside cv. */
#ifndef GSEQ_PLAN_H
#define GSEQ_PLAN_H

#include "nn/config.h"
#include "data/data_table.h"
#include "parallel/par.h"

typedef struct {
    RowSet train, valid, test;
    RowSet rest;         /* train + valid: what remains after the test rows */
    int64_t train_total; /* training rows over all ranks */
} RowPlan;

/* folds = 0: no folds. fold = -1 with folds > 0: validation empty, train = all the rest (the final
 * model of cv). */
int plan_rows(ParComm *c, const Config *cfg, const DataTable *data, const DataTable *valid,
              const DataTable *test, int sharded, int folds, int fold, RowPlan *plan, Error *err);
void plan_free(RowPlan *p);
/* Folds by chromosome (data.folds_by = chrom) of the whole file held here: chrom_fold[c] and
 * chrom_rows[c] (data->chroms.n_names each) are chromosome c's fold (-1 when no row of it is
 * folded: the test chromosomes) and its rows in the folds. */
int plan_chrom_folds(const Config *cfg, const DataTable *data, int folds, int *chrom_fold,
                     int64_t *chrom_rows, Error *err);

#endif
