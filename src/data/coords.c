/* coords.c: the genome coordinates of a data file's rows (/chrom, /start, /end, /strand) held
 * whole, a per-row chromosome index for the hold-out, and writing coordinates beside
 * predictions. See coords.h. Reading and checking them is the dataset module's
 * (dataset_read_coords); writing them into training data is the converter's. */
#include "data/coords.h"

#include <stdlib.h>
#include <string.h>

#include "data/chrom_table.h"
#include "data/dataset.h"

#define COORD_BLOCK 65536

int coords_present(const char *path, Error *err)
{
    H5File *f = h5_open(path, 0, err);
    if (!f)
        return -1;
    int has = h5_has(f, "/chrom");
    Error ignore;
    h5_close(f, &ignore);
    return has;
}

/* Rows [at, at + count) of the open file's coordinates into c (checked by the dataset module). */
static int read_block(Dataset *d, int64_t at, int64_t count, char *strand, Coords *c, Error *err)
{
    if (dataset_read_coords(d, at, count, c->chrom + at, c->start + at, c->end + at, err) != 0)
        return -1;
    if (!c->strand)
        return 0;
    if (dataset_read_strand(d, at, count, strand, err) != 0)
        return -1;
    for (int64_t i = 0; i < count; i++)
        c->strand[at + i] = xstrdup(((char[2]){strand[i], '\0'}));
    return 0;
}

/* Every row's coordinates of an open data file that has them. */
static int read_all(Dataset *d, Coords *c, Error *err)
{
    const DatasetInfo *info = dataset_info(d);
    int64_t n = info->n;
    c->n = n;
    c->chrom = xcalloc((size_t)n + 1, sizeof(char *));
    c->start = xmalloc((size_t)n + 1, sizeof(int64_t));
    c->end = xmalloc((size_t)n + 1, sizeof(int64_t));
    c->strand = info->has_strand ? xcalloc((size_t)n + 1, sizeof(char *)) : NULL;
    char *strand = xmalloc(COORD_BLOCK, 1);
    int rc = 0;
    for (int64_t at = 0; at < n && rc == 0; at += COORD_BLOCK)
        rc = read_block(d, at, n - at < COORD_BLOCK ? n - at : COORD_BLOCK, strand, c, err);
    free(strand);
    return rc;
}

/* The data file at path, opened (and its structure checked) by the dataset module; one of n rows. */
static Dataset *open_rows(const char *path, int64_t n, Error *err)
{
    Dataset *d = dataset_open(path, err);
    if (d && dataset_info(d)->n != n) {
        error_set(err, "%s: %lld rows, expected %lld (the file changed while in use?)", path,
                  (long long)dataset_info(d)->n, (long long)n);
        dataset_close(d);
        return NULL;
    }
    return d;
}

int coords_read(const char *path, int64_t n, Coords *c, Error *err)
{
    memset(c, 0, sizeof *c);
    Dataset *d = open_rows(path, n, err);
    if (!d)
        return -1;
    int rc = dataset_info(d)->has_coords ? read_all(d, c, err) : 0;
    dataset_close(d);
    if (rc != 0)
        coords_free(c);
    return rc;
}

static void free_strings(char **s, int64_t n)
{
    for (int64_t i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

void coords_free(Coords *c)
{
    free_strings(c->chrom, c->chrom ? c->n : 0);
    free_strings(c->strand, c->strand ? c->n : 0);
    free(c->start);
    free(c->end);
    memset(c, 0, sizeof *c);
}

static int write_strings(H5File *f, const char *name, char *const *s, int64_t n, Error *err)
{
    int64_t start = 0;
    return h5_create_dataset(f, name, H5IO_STR, 1, &n, NULL, NULL, 0, err) ||
           h5_write_slab(f, name, H5IO_STR, &start, &n, s, err) ? -1 : 0;
}

static int write_i64(H5File *f, const char *name, const int64_t *v, int64_t n, Error *err)
{
    int64_t start = 0;
    return h5_create_dataset(f, name, H5IO_I64, 1, &n, NULL, NULL, 0, err) ||
           h5_write_slab(f, name, H5IO_I64, &start, &n, v, err) ? -1 : 0;
}

int coords_write(H5File *f, const Coords *c, Error *err)
{
    return write_strings(f, "/chrom", c->chrom, c->n, err) ||
           write_i64(f, "/start", c->start, c->n, err) || write_i64(f, "/end", c->end, c->n, err) ||
           (c->strand && write_strings(f, "/strand", c->strand, c->n, err)) ? -1 : 0;
}

/* ---- the chromosome index ---- */

/* The rows' chromosomes in order of first appearance; the table counts each one's rows in its
 * length field, and hands its names and counts over to ix. */
static int index_rows(Dataset *d, int64_t n, ChromIndex *ix, Error *err)
{
    int rc = 0;
    ChromTable t;
    chrom_table_init(&t);
    ix->of_row = xmalloc((size_t)n + 1, sizeof(int32_t));
    char **block = xcalloc(COORD_BLOCK, sizeof(char *));
    for (int64_t at = 0; at < n && rc == 0; at += COORD_BLOCK) {
        int64_t count = n - at < COORD_BLOCK ? n - at : COORD_BLOCK;
        if ((rc = dataset_read_coords(d, at, count, block, NULL, NULL, err)) != 0)
            break;
        for (int64_t i = 0; i < count; i++) {
            int32_t k = i > 0 && !strcmp(block[i], block[i - 1]) ? ix->of_row[at + i - 1]
                                                                  : chrom_table_find(&t, block[i]);
            if (k < 0)
                k = chrom_table_add(&t, block[i], 0);
            ix->of_row[at + i] = k;
            t.length[k]++;
        }
        for (int64_t i = 0; i < count; i++) {
            free(block[i]);
            block[i] = NULL;
        }
    }
    free(block);
    ix->n_names = t.n;
    ix->names = t.name;
    ix->rows = t.length;
    free(t.slot);
    return rc;
}

int chrom_index_read(const char *path, int64_t n, ChromIndex *ix, Error *err)
{
    memset(ix, 0, sizeof *ix);
    Dataset *d = open_rows(path, n, err);
    if (!d)
        return -1;
    int rc = dataset_info(d)->has_coords ? index_rows(d, n, ix, err) : 0;
    dataset_close(d);
    if (rc != 0)
        chrom_index_free(ix);
    return rc;
}

int chrom_index_find(const ChromIndex *ix, const char *name)
{
    for (int k = 0; k < ix->n_names; k++)
        if (!strcmp(ix->names[k], name))
            return k;
    return -1;
}

void chrom_index_free(ChromIndex *ix)
{
    free_strings(ix->names, ix->names ? ix->n_names : 0);
    free(ix->rows);
    free(ix->of_row);
    memset(ix, 0, sizeof *ix);
}
