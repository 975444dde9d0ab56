/* variants_out.c: TSV and HDF5 outputs of `gseq_mpi variants`. See variants_out.h. HDF5 rows are
 * buffered in blocks of VAR_OUT_CHUNK and written a block at a time, so that the calls (and so the
 * file's bytes) do not depend on how many rows each step of the caller brings (the rank count). */
#include "cli/variants_out.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/convert.h"
#include "data/h5io.h"

#define VAR_OUT_CHUNK 1024
#define VARIANTS_FORMAT_VERSION 1

struct VarOut {
    char path[4096], tmp[4200];
    int h5, K, n_sel;
    VarEffect effect;
    int n_values;  /* 4, or 3 without an effect column (VAR_VALUES) */
    const char *const *value_names; /* (n_values) */
    int *sel;
    char **names;  /* (n_sel), borrowed */
    FILE *f;       /* TSV */
    H5File *h;     /* HDF5 */
    int64_t rows;  /* written to the file */
    int held;      /* HDF5: rows in the buffers */
    VarRow *row;   /* (VAR_OUT_CHUNK) */
    float *value;  /* (4, VAR_OUT_CHUNK, n_sel): ref, alt, diff, log2 odds or fold change */
};

static const char *const VALUE_NAMES[3][4] = {{"ref_prob", "alt_prob", "diff", "log2_odds"},
                                              {"ref_value", "alt_value", "diff", "log2_fc"},
                                              {"ref_value", "alt_value", "diff", NULL}};
static const char *const STRING_NAMES[4] = {"chrom", "id", "ref", "alt"};

int var_out_kind(const char *path)
{
    size_t n = strlen(path);
    const char *ext = strrchr(path, '.');
    if (!ext || n < 2)
        return -1;
    if (strcmp(ext, ".h5") == 0 || strcmp(ext, ".hdf5") == 0)
        return 1;
    if (strcmp(ext, ".tsv") == 0 || strcmp(ext, ".txt") == 0)
        return 0;
    return -1;
}

double var_log2_odds(float ref, float alt)
{
    double r = ref < 1e-7f ? 1e-7 : ref > 1 - 1e-7 ? 1 - 1e-7 : ref;
    double a = alt < 1e-7f ? 1e-7 : alt > 1 - 1e-7 ? 1 - 1e-7 : alt;
    return log2(a / (1 - a)) - log2(r / (1 - r));
}

double var_log2_fc(float ref, float alt) { return log2((alt + 1e-6) / (ref + 1e-6)); }

/* The fourth column: the log2 odds or fold change (not there for VAR_VALUES). */
static double effect_of(const VarOut *o, float ref, float alt)
{
    return o->effect == VAR_PROBABILITIES ? var_log2_odds(ref, alt) : var_log2_fc(ref, alt);
}

static int h5_begin(VarOut *o, Error *err)
{
    int64_t dims[2] = {0, o->n_sel}, maxd[2] = {-1, o->n_sel}, chunk[2] = {VAR_OUT_CHUNK, o->n_sel};
    int64_t k = o->n_sel, start = 0;
    int rc = 0;
    for (int i = 0; i < 4 && rc == 0; i++)
        rc = h5_create_dataset(o->h, STRING_NAMES[i], H5IO_STR, 1, dims, maxd, chunk, 0, err) ||
             (i < o->n_values &&
              h5_create_dataset(o->h, o->value_names[i], H5IO_F32, 2, dims, maxd, chunk, 0, err));
    if (rc == 0)
        rc = h5_create_dataset(o->h, "pos", H5IO_I64, 1, dims, maxd, chunk, 0, err) ||
             h5_create_dataset(o->h, "target_names", H5IO_STR, 1, &k, NULL, NULL, 0, err) ||
             h5_write_slab(o->h, "target_names", H5IO_STR, &start, &k, o->names, err);
    if (rc == 0) {
        int32_t *idx = xmalloc((size_t)o->n_sel, sizeof *idx);
        for (int j = 0; j < o->n_sel; j++)
            idx[j] = o->sel[j];
        rc = h5_write_i32(o->h, "target_index", 1, &k, idx, err);
        free(idx);
    }
    return rc ? -1 : 0;
}

VarOut *var_out_open(const char *path, char *const *names, const int *sel, int n_sel, int K,
                     VarEffect effect, Error *err)
{
    VarOut *o = xcalloc(1, sizeof *o);
    o->effect = effect;
    o->value_names = VALUE_NAMES[effect];
    o->n_values = effect == VAR_VALUES ? 3 : 4;
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
    o->h5 = var_out_kind(path) == 1, o->K = K, o->n_sel = n_sel;
    o->sel = xmalloc((size_t)n_sel, sizeof *o->sel);
    o->names = xmalloc((size_t)n_sel, sizeof *o->names);
    for (int j = 0; j < n_sel; j++)
        o->sel[j] = sel[j], o->names[j] = names[sel[j]];
    guard_temp(o->tmp); /* removed if the run is stopped by a signal */
    if (o->h5) {
        o->row = xcalloc(VAR_OUT_CHUNK, sizeof *o->row);
        o->value = xalloc_floats((size_t)4 * VAR_OUT_CHUNK * n_sel);
        o->h = h5_create(o->tmp, err);
        if (!o->h || h5_begin(o, err) != 0) {
            var_out_abort(o);
            return NULL;
        }
        return o;
    }
    o->f = fopen(o->tmp, "w");
    if (!o->f) {
        error_set(err, "%s: cannot write: %s", path, strerror(errno));
        var_out_abort(o);
        return NULL;
    }
    fputs("#chrom\tpos\tid\tref\talt\ttarget", o->f);
    for (int i = 0; i < o->n_values; i++)
        fprintf(o->f, "\t%s", o->value_names[i]);
    fputc('\n', o->f);
    return o;
}

/* HDF5: the buffered rows onto the end of every dataset. */
static int h5_flush(VarOut *o, Error *err)
{
    if (o->held == 0)
        return 0;
    int64_t n = o->held, dims[2] = {o->rows + n, o->n_sel};
    int64_t start[2] = {o->rows, 0}, count[2] = {n, o->n_sel};
    char **s = xmalloc((size_t)n, sizeof *s);
    int64_t *pos = xmalloc((size_t)n, sizeof *pos);
    int rc = 0;
    for (int i = 0; i < 4 && rc == 0; i++) {
        for (int64_t r = 0; r < n; r++) {
            const VarRow *w = &o->row[r];
            s[r] = i == 0 ? w->chrom : i == 1 ? w->id : i == 2 ? w->ref : w->alt;
        }
        rc = h5_extend(o->h, STRING_NAMES[i], dims, err) ||
             h5_write_slab(o->h, STRING_NAMES[i], H5IO_STR, start, count, s, err) ||
             (i < o->n_values &&
              (h5_extend(o->h, o->value_names[i], dims, err) ||
               h5_write_slab(o->h, o->value_names[i], H5IO_F32, start, count,
                             o->value + (size_t)i * VAR_OUT_CHUNK * o->n_sel, err)));
    }
    for (int64_t r = 0; r < n; r++)
        pos[r] = o->row[r].pos;
    if (rc == 0)
        rc = h5_extend(o->h, "pos", dims, err) ||
             h5_write_slab(o->h, "pos", H5IO_I64, start, count, pos, err);
    for (int64_t r = 0; r < n; r++) {
        VarRow *w = &o->row[r];
        free(w->chrom), free(w->id), free(w->ref), free(w->alt);
    }
    free(s), free(pos);
    o->rows += n, o->held = 0;
    return rc ? -1 : 0;
}

/* HDF5: one row into the buffers (its strings copied). */
static void h5_hold(VarOut *o, const VarRow *w, const float *p)
{
    int i = o->held++, S = o->n_sel;
    o->row[i] = (VarRow){xstrdup(w->chrom), xstrdup(w->id), xstrdup(w->ref),
                         xstrdup(w->alt), w->pos};
    float *v = o->value + (size_t)i * S;
    for (int j = 0; j < S; j++) {
        float ref = p[o->sel[j]], alt = p[o->K + o->sel[j]];
        v[j] = ref;
        v[(size_t)VAR_OUT_CHUNK * S + j] = alt;
        v[(size_t)2 * VAR_OUT_CHUNK * S + j] = alt - ref;
        v[(size_t)3 * VAR_OUT_CHUNK * S + j] = (float)effect_of(o, ref, alt);
    }
}

int var_out_write(VarOut *o, const VarRow *rows, const float *probs, int n, Error *err)
{
    for (int i = 0; i < n; i++) {
        const float *p = probs + (size_t)i * 2 * o->K;
        if (o->h5) {
            h5_hold(o, &rows[i], p);
            if (o->held == VAR_OUT_CHUNK && h5_flush(o, err) != 0)
                return -1;
            continue;
        }
        for (int j = 0; j < o->n_sel; j++) {
            float ref = p[o->sel[j]], alt = p[o->K + o->sel[j]];
            fprintf(o->f, "%s\t%lld\t%s\t%s\t%s\t%s\t%.7g\t%.7g\t%.7g", rows[i].chrom,
                    (long long)rows[i].pos, rows[i].id, rows[i].ref, rows[i].alt, o->names[j],
                    ref, alt, alt - ref);
            if (o->n_values == 4)
                fprintf(o->f, "\t%.7g", effect_of(o, ref, alt));
            fputc('\n', o->f);
        }
        o->rows++;
    }
    if (!o->h5 && ferror(o->f))
        return error_set(err, "%s: cannot write: %s", o->path, strerror(errno ? errno : EIO));
    return 0;
}

static int h5_attrs(VarOut *o, const char *checkpoint, const char *vcf, int length, int rc_average,
                    Error *err)
{
    return h5_write_attr_int(o->h, "/", "format_version", VARIANTS_FORMAT_VERSION, err) ||
                   h5_write_attr_string(o->h, "/", "checkpoint", checkpoint, err) ||
                   h5_write_attr_string(o->h, "/", "vcf", vcf, err) ||
                   h5_write_attr_int(o->h, "/", "length", length, err) ||
                   h5_write_attr_int(o->h, "/", "rc_average", rc_average, err) ||
                   h5_write_attr_string(o->h, "/", "outputs",
                                        o->effect == VAR_PROBABILITIES ? "probabilities" : "values",
                                        err)
               ? -1
               : 0;
}

int var_out_finish(VarOut *o, const char *checkpoint, const char *vcf, int length, int rc_average,
                   Error *err)
{
    int rc = 0;
    if (o->h5) {
        rc = h5_flush(o, err) || h5_attrs(o, checkpoint, vcf, length, rc_average, err) ? -1 : 0;
        Error close_err;
        if (h5_close(o->h, &close_err) != 0 && rc == 0)
            *err = close_err, rc = -1;
        o->h = NULL;
    } else {
        int bad = fflush(o->f) != 0 || ferror(o->f);
        bad |= fclose(o->f) != 0;
        o->f = NULL;
        if (bad)
            rc = error_set(err, "%s: cannot write: %s", o->path, strerror(errno ? errno : EIO));
    }
    if (rc == 0 && rename(o->tmp, o->path) != 0)
        rc = error_set(err, "%s: cannot rename %s into place: %s", o->path, o->tmp,
                       strerror(errno));
    if (rc != 0) {
        var_out_abort(o);
        return -1;
    }
    guard_temp(NULL);
    free(o->sel), free(o->names), free(o->row), free(o->value), free(o);
    return 0;
}

void var_out_abort(VarOut *o)
{
    if (!o)
        return;
    if (o->f)
        fclose(o->f);
    if (o->h) {
        Error ignore;
        h5_close(o->h, &ignore);
    }
    unlink(o->tmp);
    guard_temp(NULL);
    for (int i = 0; o->row && i < o->held; i++)
        free(o->row[i].chrom), free(o->row[i].id), free(o->row[i].ref), free(o->row[i].alt);
    free(o->sel), free(o->names), free(o->row), free(o->value), free(o);
}
