/* variants_out.h: the output of `gseq_mpi variants`, written by rank 0 as the rows come: TSV (one
 * line per variant and target) or HDF5 (datasets of N rows), chosen by the name's extension, into
 * a temporary name beside the output that is renamed when complete (removed on an error, or on
 * SIGINT, SIGTERM, SIGHUP through convert.h's guard_temp). The rows, the windows and the
 * forward pass are cmd_variants.c's. */
#ifndef GSEQ_VARIANTS_OUT_H
#define GSEQ_VARIANTS_OUT_H

#include <stdint.h>

#include "base/util.h"

typedef struct {
    char *chrom, *id, *ref, *alt; /* malloc'd */
    int64_t pos;                  /* VCF POS, 1-based */
} VarRow;

typedef struct VarOut VarOut;

/* What the outputs are and so which columns follow ref, alt and diff: probabilities and their
 * log2 odds ratio (log2_odds); a regression's positive values (softplus) and their log2 fold
 * change (log2_fc); a regression's values of any sign (linear), with no fourth column. */
typedef enum { VAR_PROBABILITIES, VAR_POSITIVE_VALUES, VAR_VALUES } VarEffect;

/* 1 when `path` names HDF5 (.h5, .hdf5), 0 TSV (.tsv, .txt), -1 neither. */
int var_out_kind(const char *path);
/* n_sel targets: column sel[j] of the model's K, named names[sel[j]]. */
VarOut *var_out_open(const char *path, char *const *names, const int *sel, int n_sel, int K,
                     VarEffect effect, Error *err);
/* n rows; probs (n, 2K): each row's K reference then K alternative outputs. */
int var_out_write(VarOut *o, const VarRow *rows, const float *probs, int n, Error *err);
/* Writes what is buffered and the attributes (HDF5), closes and renames: 0 or -1 (nothing left). */
int var_out_finish(VarOut *o, const char *checkpoint, const char *vcf, int length, int rc_average,
                   Error *err);
void var_out_abort(VarOut *o); /* closes and removes the temporary file; NULL is a no-op */

/* log2 of the odds ratio alt : ref, the probabilities clipped to [1e-7, 1 - 1e-7]. */
double var_log2_odds(float ref, float alt);
/* log2 of the fold change alt : ref of positive values, log2((alt + 1e-6) / (ref + 1e-6)). */
double var_log2_fc(float ref, float alt);

#endif
