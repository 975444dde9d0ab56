/* data_dist.c: loading a data file across the ranks, shared per node or sharded. See data_dist.h.
 * MPI stays in par.c; this file only calls its wrappers. */
#include "parallel/data_dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"

typedef struct {
    int64_t n;
    int length, targets, task, has_oracle, ok;
} Header;

/* Every rank learns whether any failed and has the message; rank 0 reports. */
static int failed_anywhere(int rc, Error *err, int *reporter)
{
    if (par_any_failed(par_world(), rc, err) == 0)
        return 0;
    *reporter = par_rank(par_world()) == 0;
    return -1;
}

/* Rank 0: the shape of the file, which stays open in *d for reading its rows. */
static int read_header(const char *path, Header *h, Dataset **d, Error *err)
{
    memset(h, 0, sizeof *h);
    DataTable t;
    if (data_table_open(&t, path, d, &h->has_oracle, err) != 0)
        return -1;
    h->n = t.n;
    h->length = t.length;
    h->targets = t.targets;
    h->task = t.task;
    h->ok = 1;
    return 0;
}

/* Rows through this rank's one open Dataset (rank 0 has it from the header; others open it now). */
static int read_part(Dataset **d, const char *path, int64_t start, int64_t count, uint8_t *tokens,
                     float *labels, float *oracle, Error *err)
{
    if (!*d && !(*d = dataset_open(path, err)))
        return -1;
    return data_table_read(*d, start, count, tokens, labels, oracle, err);
}

static void set_shape(DataTable *t, const char *path, const Header *h)
{
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "%s", path);
    t->n = h->n;
    t->length = h->length;
    t->targets = h->targets;
    t->task = (Task)h->task;
}

static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

static int load_shared(Dataset **d, const char *path, IoMode io, const Header *h, DataTable *t,
                       Error *err, int *reporter)
{
    size_t tok = align64((size_t)h->n * h->length), lab = align64((size_t)h->n * h->targets * 4);
    size_t total = tok + lab + (h->has_oracle ? lab : 0);
    ParShared *s = par_shared_create(total);
    char *base = par_shared_base(s);
    t->shared = s;
    t->tokens = (uint8_t *)base;
    t->labels = (float *)(base + tok);
    t->oracle = h->has_oracle ? (float *)(base + tok + lab) : NULL;
    t->first_row = 0;
    t->n_local = h->n;
    int reads = par_shared_is_leader(s) && (io == IO_READ || par_rank(par_world()) == 0);
    int rc = reads ? read_part(d, path, 0, h->n, t->tokens, t->labels, t->oracle, err) : 0;
    if (failed_anywhere(rc, err, reporter))
        return -1;
    if (io == IO_SCATTER)
        par_shared_bcast_leaders(s, base, total);
    par_shared_ready(s);
    return 0;
}

static int load_shard(Dataset **d, const char *path, IoMode io, const Header *h, DataTable *t,
                      Error *err, int *reporter)
{
    ParComm *w = par_world();
    int P = par_size(w), r = par_rank(w);
    dataset_shard(h->n, r, P, &t->first_row, &t->n_local);
    t->tokens = xmalloc((size_t)t->n_local + 1, (size_t)h->length);
    t->labels = xmalloc((size_t)t->n_local * h->targets + 1, sizeof(float));
    t->oracle = h->has_oracle ? xmalloc((size_t)t->n_local * h->targets + 1, sizeof(float)) : NULL;
    int rc = 0;
    if (io == IO_READ) {
        rc = read_part(d, path, t->first_row, t->n_local, t->tokens, t->labels, t->oracle, err);
    } else if (r == 0) { /* rank 0 reads every shard in turn and hands it out */
        for (int q = P - 1; q >= 0; q--) {
            int64_t start, count;
            dataset_shard(h->n, q, P, &start, &count);
            DataTable piece = *t;
            if (q != 0) {
                piece.tokens = xmalloc((size_t)count + 1, (size_t)h->length);
                piece.labels = xmalloc((size_t)count * h->targets + 1, sizeof(float));
                piece.oracle = t->oracle ? xmalloc((size_t)count * h->targets + 1, sizeof(float)) : NULL;
            }
            if (rc == 0) /* after a failure the others are only told */
                rc = read_part(d, path, start, count, piece.tokens, piece.labels, piece.oracle, err);
            if (q != 0) {
                int ok = rc == 0;
                par_send_bytes(w, &ok, sizeof ok, q);
                if (ok) {
                    par_send_bytes(w, piece.tokens, (size_t)count * h->length, q);
                    par_send_bytes(w, piece.labels, sizeof(float) * count * h->targets, q);
                    if (piece.oracle)
                        par_send_bytes(w, piece.oracle, sizeof(float) * count * h->targets, q);
                }
                free(piece.tokens), free(piece.labels), free(piece.oracle);
            }
        }
    } else {
        int ok = 0;
        par_recv_bytes(w, &ok, sizeof ok, 0);
        if (ok) {
            par_recv_bytes(w, t->tokens, (size_t)t->n_local * h->length, 0);
            par_recv_bytes(w, t->labels, sizeof(float) * t->n_local * h->targets, 0);
            if (t->oracle)
                par_recv_bytes(w, t->oracle, sizeof(float) * t->n_local * h->targets, 0);
        }
        rc = ok ? 0 : -1; /* rank 0 holds the reason and reports it */
        if (!ok)
            err->msg[0] = '\0';
    }
    return failed_anywhere(rc && (io == IO_READ || r == 0), err, reporter);
}

/* Rank 0 reads the file's chromosome index (data_table.h: every rank holds it for the whole file)
 * and hands it out: the names as one block of NUL-terminated strings, then a chromosome per row. */
static int load_chroms(DataTable *t, Error *err, int *reporter)
{
    ParComm *w = par_world();
    ChromIndex *ix = &t->chroms;
    int root = par_rank(w) == 0;
    int rc = root ? chrom_index_read(t->path, t->n, ix, err) : 0;
    if (par_root_verdict(w, rc) != 0) {
        *reporter = root;
        return -1;
    }
    int64_t head[2] = {ix->n_names, 0};
    for (int c = 0; root && c < ix->n_names; c++)
        head[1] += (int64_t)strlen(ix->names[c]) + 1;
    par_bcast(w, head, sizeof head, 0);
    if (head[0] == 0)
        return 0; /* no /chrom */
    char *text = xmalloc((size_t)head[1], 1);
    for (int64_t c = 0, at = 0; root && c < head[0]; c++) {
        size_t len = strlen(ix->names[c]) + 1;
        memcpy(text + at, ix->names[c], len);
        at += (int64_t)len;
    }
    par_bcast(w, text, (size_t)head[1], 0);
    if (!root) {
        ix->n_names = (int)head[0];
        ix->names = xmalloc((size_t)head[0], sizeof(char *));
        ix->rows = xmalloc((size_t)head[0], sizeof(int64_t));
        ix->of_row = xmalloc((size_t)t->n + 1, sizeof(int32_t));
        for (int64_t c = 0, at = 0; c < head[0]; c++) {
            size_t len = strlen(text + at) + 1;
            ix->names[c] = xmalloc(len, 1);
            memcpy(ix->names[c], text + at, len);
            at += (int64_t)len;
        }
    }
    free(text);
    par_bcast(w, ix->rows, sizeof(int64_t) * (size_t)head[0], 0);
    par_bcast(w, ix->of_row, sizeof(int32_t) * (size_t)t->n, 0);
    return 0;
}

/* The fingerprint of the whole file: shard hashes chained in rank order. */
static void fingerprint(DataTable *t, DataMode mode)
{
    ParComm *w = par_world();
    uint64_t h = 1469598103934665603ull;
    if (mode == DATA_SHARED) {
        if (par_rank(w) == 0)
            h = data_table_hash(t, h);
    } else {
        uint64_t mine = data_table_hash(t, h);
        uint64_t *all = par_rank(w) == 0 ? xmalloc((size_t)par_size(w), sizeof(uint64_t)) : NULL;
        par_gather_bytes(w, &mine, sizeof mine, all, 0);
        if (all)
            for (int r = 0; r < par_size(w); r++)
                for (int b = 0; b < 8; b++)
                    h = (h ^ ((all[r] >> (8 * b)) & 0xff)) * 1099511628211ull;
        free(all);
    }
    par_bcast(w, &h, sizeof h, 0);
    snprintf(t->fingerprint, sizeof t->fingerprint, "%016llx", (unsigned long long)h);
}

int data_load(DataTable *t, const char *path, DataMode mode, IoMode io, Error *err, int *reporter)
{
    ParComm *w = par_world();
    Header h = {0};
    Dataset *d = NULL; /* opened once: by rank 0 for the header, by other readers for their rows */
    *reporter = 0;
    err->msg[0] = '\0';
    if (par_rank(w) == 0)
        read_header(path, &h, &d, err);
    par_bcast(w, &h, sizeof h, 0);
    if (!h.ok) {
        *reporter = par_rank(w) == 0;
        return -1;
    }
    set_shape(t, path, &h);
    int failed = mode == DATA_SHARED ? load_shared(&d, path, io, &h, t, err, reporter)
                                     : load_shard(&d, path, io, &h, t, err, reporter);
    if (d)
        dataset_close(d);
    if (!failed)
        failed = load_chroms(t, err, reporter);
    if (failed) {
        data_release(t);
        return -1;
    }
    fingerprint(t, mode);
    return 0;
}

void data_release(DataTable *t)
{
    if (t->shared) {
        par_shared_free(t->shared);
        t->shared = NULL;
        t->tokens = NULL;
        t->labels = t->oracle = NULL;
    }
    data_table_free(t);
}

size_t data_bytes_held(const DataTable *t)
{
    size_t bytes = (size_t)t->n_local * (t->length + sizeof(float) * t->targets * (t->oracle ? 2 : 1));
    if (t->shared && !par_shared_is_leader(t->shared))
        return 0;
    return bytes;
}
