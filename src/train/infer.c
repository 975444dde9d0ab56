/* infer.c: a trained model on every rank, input rows split into contiguous blocks, the forward pass
 * (with reverse-complement averaging) and the gathering of results onto rank 0. See infer.h. */
#include "train/infer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "train/checkpoint.h"
#include "data/bed.h"
#include "data/fasta.h"
#include "data/genome.h"
#include "data/h5io.h"

static void free_strings(char **s, int64_t n)
{
    for (int64_t i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

/* ---- the model ---- */

/* Rank 0: the config text and the shape the checkpoint was trained for. */
static char *read_checkpoint_head(const char *path, int *length, int *targets, Task *task,
                                  Error *err)
{
    char *text = checkpoint_read_config(path, err);
    if (!text)
        return NULL;
    H5File *f = h5_open(path, 0, err);
    double L = 0, K = 0;
    char *name = NULL;
    int rc = !f || h5_read_attr_double(f, "/", "length", &L, err) ||
             h5_read_attr_double(f, "/", "targets", &K, err) ||
             !(name = h5_read_attr_string(f, "/", "task", err));
    if (rc == 0 && (task_parse(name, task) != 0 || *task == TASK_AUTO || L < 1 || K < 1))
        rc = error_set(err, "%s: checkpoint attributes length %g, targets %g, task '%s' do not "
                       "describe a model", path, L, K, name);
    else if (rc != 0) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        error_set(err, "%s: not a gseq_mpi checkpoint (%s)", path, why);
    }
    Error ignore;
    h5_close(f, &ignore);
    free(name);
    if (rc != 0) {
        free(text);
        return NULL;
    }
    *length = (int)L;
    *targets = (int)K;
    return text;
}

/* Rank 0: padding and target names of the training data, if it is still there and fits. */
static void probe_training_data(Trained *t)
{
    t->padding = PAD_PRE;
    t->target_names = xcalloc((size_t)t->targets, sizeof(char *));
    Error ignore;
    Dataset *d = t->cfg.data_train[0] ? dataset_open(t->cfg.data_train, &ignore) : NULL;
    const DatasetInfo *info = d ? dataset_info(d) : NULL;
    if (info && info->length == t->length && info->targets == t->targets) {
        t->data_found = 1;
        t->padding = info->padding;
    }
    for (int k = 0; k < t->targets; k++) {
        char name[32];
        snprintf(name, sizeof name, "target_%d", k);
        t->target_names[k] = xstrdup(t->data_found ? info->target_names[k] : name);
    }
    if (d)
        dataset_close(d);
}

static int load_trained(ParComm *c, const char *checkpoint, int batch, int input_grad, Trained *t,
                        Error *err)
{
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "%s", checkpoint);
    int root = par_rank(c) == 0;
    char *text = root ? read_checkpoint_head(checkpoint, &t->length, &t->targets, &t->task, err)
                      : NULL;
    if (par_any_failed(c, root && !text ? -1 : 0, err) != 0)
        return -1;
    long len = root ? (long)strlen(text) + 1 : 0;
    int shape[3] = {t->length, t->targets, (int)t->task};
    par_bcast(c, &len, sizeof len, 0);
    par_bcast(c, shape, sizeof shape, 0);
    if (!root)
        text = xmalloc((size_t)len, 1);
    par_bcast(c, text, (size_t)len, 0);
    t->length = shape[0], t->targets = shape[1], t->task = (Task)shape[2];
    /* the same text on every rank: any failure below is the same everywhere */
    int rc = config_load_text(&t->cfg, text, checkpoint, err);
    free(text);
    if (rc != 0)
        return -1;
    if (batch <= 0)
        batch = t->cfg.train.batch;
    if ((input_grad ? model_build_input_grad : model_build)(&t->model, &t->cfg, t->length,
                                                            t->targets, t->task, batch, err) != 0) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        config_free(&t->cfg);
        return error_set(err, "%s: its config does not build a model: %s", checkpoint, why);
    }
    rc = root ? checkpoint_read(checkpoint, &t->model, NULL, NULL, err) : 0;
    if (par_any_failed(c, rc, err) != 0) {
        trained_free(t);
        return -1;
    }
    par_bcast(c, t->model.params, sizeof(float) * t->model.n_params, 0);
    if (root)
        probe_training_data(t);
    int probe[2] = {t->data_found, (int)t->padding};
    par_bcast(c, probe, sizeof probe, 0);
    t->data_found = probe[0], t->padding = (Padding)probe[1];
    return 0;
}

int trained_load(ParComm *c, const char *checkpoint, int batch, Trained *t, Error *err)
{
    return load_trained(c, checkpoint, batch, 0, t, err);
}

int trained_load_input_grad(ParComm *c, const char *checkpoint, int batch, Trained *t, Error *err)
{
    return load_trained(c, checkpoint, batch, 1, t, err);
}

void trained_free(Trained *t)
{
    if (t->model.layers)
        model_free(&t->model);
    config_free(&t->cfg);
    free_strings(t->target_names, t->target_names ? t->targets : 0);
    t->target_names = NULL;
}

/* ---- input ---- */

static int is_hdf5(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    return got == sizeof head && memcmp(head, sig, sizeof sig) == 0;
}

/* One record into a row of L tokens: padding and trimming on the `pad` side (Keras's pre). */
static void fit_row(const uint8_t *seq, int64_t len, int L, Padding pad, uint8_t *row)
{
    memset(row, 0, (size_t)L);
    if (len >= L)
        memcpy(row, seq + (pad == PAD_PRE ? len - L : 0), (size_t)L);
    else
        memcpy(row + (pad == PAD_PRE ? L - len : 0), seq, (size_t)len);
}

/* Every rank reads the FASTA: pass 1 counts the records (rank 0 keeps the ids), pass 2 keeps this
 * rank's block. The file is read twice, but no rank holds more than its block. */
static int read_fasta(ParComm *c, const char *path, InferInput *in, Error *err)
{
    int root = par_rank(c) == 0;
    FastaReader *r = fasta_open(path, err);
    int rc = r ? 0 : -1;
    int64_t cap = 0;
    const char *id;
    const uint8_t *seq;
    int64_t len;
    int got = 0;
    while (rc == 0 && (got = fasta_next(r, &id, &seq, &len, err)) == 1) {
        if (len == 0) {
            rc = error_set(err, "%s line %lld: record '%s' has no bases", path,
                           (long long)fasta_record_line(r), id);
            break;
        }
        if (root) {
            if (in->n == cap) {
                cap = cap ? 2 * cap : 1024;
                char **more = xmalloc((size_t)cap, sizeof(char *));
                if (in->n)
                    memcpy(more, in->ids, sizeof(char *) * (size_t)in->n);
                free(in->ids);
                in->ids = more;
            }
            in->ids[in->n] = xstrdup(id);
        }
        in->trimmed += len > in->length;
        in->padded += len < in->length;
        in->n++;
    }
    if (rc == 0 && got < 0)
        rc = -1;
    if (par_any_failed(c, rc, err) != 0) {
        if (r)
            fasta_close(r);
        return -1;
    }
    dataset_shard(in->n, par_rank(c), par_size(c), &in->first, &in->count);
    in->tokens = xmalloc((size_t)in->count + 1, (size_t)in->length);
    rc = fasta_rewind(r, err);
    for (int64_t i = 0; rc == 0 && i < in->first + in->count; i++) {
        if (fasta_next(r, &id, &seq, &len, err) != 1) {
            rc = error_set(err, "%s: changed while being read", path);
            break;
        }
        if (i >= in->first)
            fit_row(seq, len, in->length, in->padding, in->tokens + (i - in->first) * in->length);
    }
    fasta_close(r);
    return par_any_failed(c, rc, err);
}

/* Rank 0: the rows of `path` (n rows) on the chromosomes of `list` ("chr8,chr9"), increasing. */
static int select_chroms(const char *path, int64_t n, const char *list, InferInput *in, Error *err)
{
    ChromIndex ix;
    if (chrom_index_read(path, n, &ix, err) != 0)
        return -1;
    if (!ix.of_row)
        return error_set(err, "--chroms %s: %s has no /chrom (the chromosome of each row)", list, path);
    uint8_t *on = xcalloc((size_t)ix.n_names + 1, 1);
    int rc = 0;
    for (const char *p = list; *p && rc == 0;) {
        size_t len = strcspn(p, ",");
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        int c = chrom_index_find(&ix, name);
        if (len == 0 || c < 0)
            rc = error_set(err, "--chroms %s: %s%s: no row of %s is on it", list, len ? name : "''",
                           len ? "" : " (an empty name)", path);
        else
            on[c] = 1;
        p += len + (p[len] == ',');
    }
    in->rows = xmalloc((size_t)n + 1, sizeof(int64_t));
    for (int64_t i = 0; i < n && rc == 0; i++)
        if (on[ix.of_row[i]])
            in->rows[in->selected++] = i;
    free(on);
    chrom_index_free(&ix);
    return rc;
}

/* This rank's block: rows [first, first + count) of the file, or of the selected rows. */
static int read_block(Dataset *d, InferInput *in, int has_oracle, Error *err)
{
    if (in->count == 0)
        return 0;
    if (!in->rows)
        return dataset_read_rows(d, in->first, in->count, in->tokens, in->labels, err) ||
               (has_oracle && dataset_read_extra(d, "/oracle", in->first, in->count, in->oracle,
                                                 &(int){0}, err)) ? -1 : 0;
    const int64_t *rows = in->rows + in->first;
    if (dataset_read_index(d, rows, in->count, in->tokens, in->labels, err) != 0)
        return -1;
    for (int64_t i = 0, j; has_oracle && i < in->count; i = j) { /* runs of consecutive rows */
        for (j = i + 1; j < in->count && rows[j] == rows[j - 1] + 1; j++)
            ;
        int width;
        if (dataset_read_extra(d, "/oracle", rows[i], j - i, in->oracle + i * in->targets, &width,
                               err) != 0)
            return -1;
    }
    return 0;
}

/* The selected rows (--chroms) from rank 0 to every rank; in->n becomes their number. */
static void bcast_selection(ParComm *c, InferInput *in)
{
    int64_t n = in->selected;
    par_bcast(c, &n, sizeof n, 0);
    if (par_rank(c) != 0)
        in->rows = xmalloc((size_t)n + 1, sizeof(int64_t));
    par_bcast(c, in->rows, sizeof(int64_t) * (size_t)n, 0);
    in->selected = in->n = n;
}

/* Rank 0 checks the file against the model; then every rank reads its block. */
static int read_hdf5(ParComm *c, const char *path, const Trained *t, int want_labels,
                     const char *chroms, InferInput *in, Error *err)
{
    int root = par_rank(c) == 0, rc = 0, has_oracle = 0;
    Dataset *d = root ? dataset_open(path, err) : NULL;
    if (root && !d)
        rc = -1;
    if (rc == 0 && root) {
        const DatasetInfo *info = dataset_info(d);
        in->n = info->n;
        in->targets = info->targets;
        in->task = info->task;
        in->padding = info->padding;
        if (info->length != t->length)
            rc = error_set(err, "%s: rows of %d tokens, but %s was trained on %d (convert the data "
                           "with --length %d, or give the FASTA instead)", path, info->length,
                           t->path, t->length, t->length);
        else if (info->targets != t->targets)
            rc = error_set(err, "%s: %d target%s, but %s predicts %d", path, info->targets,
                           info->targets == 1 ? "" : "s", t->path, t->targets);
        else if (want_labels && info->task != t->task)
            rc = error_set(err, "%s: task %s, but %s was trained for %s", path,
                           task_name(info->task), t->path, task_name(t->task));
        else if (info->n < 1)
            rc = error_set(err, "%s: holds no samples", path);
        if (rc == 0 && !want_labels) { /* predict writes them; eval does not need them */
            in->ids = xcalloc((size_t)in->n, sizeof(char *));
            rc = dataset_read_ids(d, 0, in->n, in->ids, err);
            if (rc == 0)
                rc = coords_read(path, in->n, &in->coords, err);
        }
        if (rc == 0) {
            in->target_names = xcalloc((size_t)in->targets, sizeof(char *));
            for (int k = 0; k < in->targets; k++)
                in->target_names[k] = xstrdup(info->target_names[k]);
            int width = 0;
            Error probe;
            has_oracle = want_labels &&
                         dataset_read_extra(d, "/oracle", 0, 1, NULL, &width, &probe) == 0 &&
                         width == in->targets;
        }
        if (rc == 0 && chroms)
            rc = select_chroms(path, in->n, chroms, in, err);
    }
    if (par_any_failed(c, rc, err) != 0) {
        if (d)
            dataset_close(d);
        return -1;
    }
    int64_t head[4] = {in->n, in->targets, (int64_t)in->task, has_oracle};
    par_bcast(c, head, sizeof head, 0);
    in->n = head[0], in->targets = (int)head[1], in->task = (Task)head[2], has_oracle = (int)head[3];
    if (chroms)
        bcast_selection(c, in);
    dataset_shard(in->n, par_rank(c), par_size(c), &in->first, &in->count);
    in->tokens = xmalloc((size_t)in->count + 1, (size_t)in->length);
    if (want_labels)
        in->labels = xmalloc((size_t)in->count * in->targets + 1, sizeof(float));
    if (has_oracle)
        in->oracle = xmalloc((size_t)in->count * in->targets + 1, sizeof(float));
    if (!root && !(d = dataset_open(path, err)))
        rc = -1;
    if (rc == 0)
        rc = read_block(d, in, has_oracle, err);
    if (d)
        dataset_close(d);
    return par_any_failed(c, rc, err);
}

int infer_input_open(ParComm *c, const char *path, const Trained *t, Padding padding,
                     int want_labels, const char *chroms, InferInput *in, Error *err)
{
    memset(in, 0, sizeof *in);
    snprintf(in->path, sizeof in->path, "%s", path);
    in->length = t->length;
    in->padding = padding;
    int hdf5 = par_rank(c) == 0 ? is_hdf5(path) : 0;
    par_bcast(c, &hdf5, sizeof hdf5, 0);
    int rc;
    if (hdf5) {
        rc = read_hdf5(c, path, t, want_labels, chroms, in, err);
    } else if (want_labels) {
        struct stat st;
        if (stat(path, &st) != 0)
            rc = error_set(err, "%s: cannot open: %s", path, strerror(errno));
        else
            rc = error_set(err, "%s: not a gseq HDF5 file: eval needs labels (FASTA with a labels "
                           "table: gseq_mpi convert --fasta FILE --labels TSV --out data.h5)", path);
        rc = par_any_failed(c, rc, err);
    } else {
        in->fasta = 1;
        in->targets = t->targets;
        in->task = t->task;
        rc = read_fasta(c, path, in, err);
    }
    if (rc != 0)
        infer_input_free(in);
    return rc;
}

void infer_input_free(InferInput *in)
{
    free(in->tokens);
    free(in->labels);
    free(in->oracle);
    free(in->rows);
    free_strings(in->ids, in->ids ? in->n : 0);
    coords_free(&in->coords);
    free_strings(in->target_names, in->target_names ? in->targets : 0);
    memset(in, 0, sizeof *in);
}

/* ---- genome intervals ---- */

/* The window of L bases centred on interval iv: its start. */
static int64_t window_start(const BedInterval *iv, int L) { return (iv->start + iv->end) / 2 - L / 2; }

/* Every rank, the same verdict: each interval's window lies on its chromosome. */
static int check_windows(const BedSet *set, const Genome *g, const char *bed, int L, Error *err)
{
    for (int64_t i = 0; i < set->n; i++) {
        const BedInterval *iv = &set->iv[i];
        int64_t ws = window_start(iv, L), len = genome_length(g, iv->chrom);
        if (ws < 0 || ws + L > len)
            return error_set(err, "%s: interval %lld (%s:%lld-%lld) centred in %d bases runs past "
                             "the %s of %s (%lld bases)", bed, (long long)i + 1,
                             genome_name(g, iv->chrom), (long long)iv->start, (long long)iv->end, L,
                             ws < 0 ? "start" : "end", genome_name(g, iv->chrom), (long long)len);
    }
    return set->n > 0 ? 0 : error_set(err, "%s: holds no intervals", bed);
}

/* Rank 0: every window's id ("chrom:start-end", with the strand when known) and coordinates. */
static void window_names(const BedSet *set, const Genome *g, int L, InferInput *in)
{
    Coords *c = &in->coords;
    c->n = set->n;
    in->ids = xcalloc((size_t)set->n, sizeof(char *));
    c->chrom = xcalloc((size_t)set->n, sizeof(char *));
    c->start = xmalloc((size_t)set->n, sizeof(int64_t));
    c->end = xmalloc((size_t)set->n, sizeof(int64_t));
    c->strand = set->stranded ? xcalloc((size_t)set->n, sizeof(char *)) : NULL;
    for (int64_t i = 0; i < set->n; i++) {
        const BedInterval *iv = &set->iv[i];
        char id[300], strand[2] = {iv->strand, 0};
        c->start[i] = window_start(iv, L);
        c->end[i] = c->start[i] + L;
        c->chrom[i] = xstrdup(genome_name(g, iv->chrom));
        if (c->strand)
            c->strand[i] = xstrdup(strand);
        snprintf(id, sizeof id, "%s:%lld-%lld%s%s", genome_name(g, iv->chrom),
                 (long long)c->start[i], (long long)c->end[i], set->stranded ? ":" : "",
                 set->stranded ? strand : "");
        in->ids[i] = xstrdup(id);
    }
}

/* This rank's block of windows as tokens; a '-' interval reverse-complemented. */
static int fetch_windows(const BedSet *set, const Genome *g, InferInput *in, Error *err)
{
    int L = in->length;
    uint8_t *fwd = xmalloc((size_t)L, 1);
    int rc = 0;
    for (int64_t i = 0; i < in->count && rc == 0; i++) {
        const BedInterval *iv = &set->iv[in->first + i];
        int64_t ws = window_start(iv, L), got;
        uint8_t *tok = genome_fetch(g, iv->chrom, ws, ws + L, &got, err);
        if (!tok || got != L) {
            rc = tok ? error_set(err, "%s: fetched %lld of %d bases", genome_path(g),
                                 (long long)got, L) : -1;
        } else if (iv->strand == '-') {
            memcpy(fwd, tok, (size_t)L);
            tokens_reverse_complement(fwd, in->tokens + i * L, 1, L);
        } else {
            memcpy(in->tokens + i * L, tok, (size_t)L);
        }
        free(tok);
    }
    free(fwd);
    return rc;
}

int infer_input_open_bed(ParComm *c, const char *bed, const char *genome, const Trained *t,
                         InferInput *in, Error *err)
{
    memset(in, 0, sizeof *in);
    snprintf(in->path, sizeof in->path, "%s", bed);
    in->length = t->length, in->targets = t->targets, in->task = t->task, in->padding = PAD_PRE;
    int root = par_rank(c) == 0;
    Genome *g = root ? genome_open(genome, err) : NULL; /* rank 0 first: it may build the index */
    if (par_any_failed(c, root && !g ? -1 : 0, err) != 0)
        return -1;
    if (!root)
        g = genome_open(genome, err);
    BedSet set = {0};
    int rc = g ? bed_read(bed, genome_chroms(g), 0, &set, err) : -1;
    if (par_any_failed(c, rc, err) == 0 && check_windows(&set, g, bed, in->length, err) == 0) {
        in->n = set.n;
        dataset_shard(in->n, par_rank(c), par_size(c), &in->first, &in->count);
        in->tokens = xmalloc((size_t)in->count + 1, (size_t)in->length);
        if (root)
            window_names(&set, g, in->length, in);
        rc = par_any_failed(c, fetch_windows(&set, g, in, err), err);
    } else {
        rc = -1;
    }
    bed_free(&set);
    genome_close(g);
    if (rc != 0)
        infer_input_free(in);
    return rc;
}

/* ---- inference ---- */

/* Probabilities of n rows of tokens (with rc, averaged with the reverse complement's); returns
 * the loss sum from the logits (without rc) when y is not NULL. */
static double forward_block(Trained *t, const uint8_t *tokens, const uint32_t *index, int n,
                            int rc, uint8_t *rc_tokens, float *rc_probs, const float *y, float *out)
{
    Model *m = &t->model;
    Pass p = {.n = n, .tokens = tokens, .sample_index = index};
    const float *logits = model_forward(m, &p);
    double loss = y && !rc ? model_loss(m, &p, y) : 0.0;
    model_probabilities(m, logits, out, n);
    if (rc) {
        tokens_reverse_complement(tokens, rc_tokens, n, t->length);
        Pass q = {.n = n, .tokens = rc_tokens, .sample_index = index};
        model_probabilities(m, model_forward(m, &q), rc_probs, n);
        for (size_t i = 0; i < (size_t)n * t->targets; i++)
            out[i] = 0.5f * (out[i] + rc_probs[i]);
        if (y)
            loss = loss_sum_of_outputs(m->loss, out, y, n, t->targets);
    }
    return loss;
}

int infer_run(ParComm *c, Trained *t, const InferInput *in, int rc_average, float *probs,
              float *labels, float *oracle, double *loss, Error *err)
{
    int P = par_size(c), root = par_rank(c) == 0, K = t->targets, L = t->length;
    int B = t->model.max_batch;
    /* a gathered row: K probabilities, then K labels and K oracle scores when present */
    int W = K * (1 + (in->labels != NULL) + (in->oracle != NULL));
    int64_t most = (in->n + P - 1) / P, steps = (most + B - 1) / B;
    float *send = xalloc_floats((size_t)B * W), *recv = root ? xalloc_floats((size_t)B * W * P) : NULL;
    float *block = xalloc_floats((size_t)B * K), *rc_probs = xalloc_floats((size_t)B * K);
    uint8_t *rc_tokens = xmalloc((size_t)B, (size_t)L);
    uint32_t *index = xmalloc((size_t)B, sizeof(uint32_t));
    double sum = 0.0;
    int64_t bad = -1;
    for (int64_t s = 0; s < steps; s++) {
        int64_t at = s * B;
        int n = (int)(in->count - at < B ? (in->count - at > 0 ? in->count - at : 0) : B);
        if (n > 0) {
            for (int i = 0; i < n; i++)
                index[i] = (uint32_t)(in->first + at + i);
            const float *y = in->labels ? in->labels + at * K : NULL;
            sum += forward_block(t, in->tokens + at * L, index, n, rc_average, rc_tokens, rc_probs,
                                 y, block);
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < K && bad < 0; k++)
                    if (!isfinite(block[(size_t)i * K + k]))
                        bad = in->first + at + i;
                float *row = send + (size_t)i * W;
                memcpy(row, block + (size_t)i * K, sizeof(float) * K);
                if (in->labels)
                    memcpy(row + K, in->labels + (at + i) * K, sizeof(float) * K);
                if (in->oracle)
                    memcpy(row + W - K, in->oracle + (at + i) * K, sizeof(float) * K);
            }
        }
        par_gather_f32(c, send, n * W, recv, 0);
        if (!root)
            continue;
        const float *from = recv;
        for (int r = 0; r < P; r++) { /* rank r's rows of this step, in rank order */
            int64_t first, count;
            dataset_shard(in->n, r, P, &first, &count);
            int64_t rows = count - at < B ? (count - at > 0 ? count - at : 0) : B;
            for (int64_t i = 0; i < rows; i++, from += W) {
                int64_t g = first + at + i;
                memcpy(probs + g * K, from, sizeof(float) * K);
                if (in->labels && labels)
                    memcpy(labels + g * K, from + K, sizeof(float) * K);
                if (in->oracle && oracle)
                    memcpy(oracle + g * K, from + W - K, sizeof(float) * K);
            }
        }
    }
    free(send), free(recv), free(block), free(rc_probs), free(rc_tokens), free(index);
    par_allreduce_sum_f64(c, &sum, 1);
    *loss = in->labels ? sum / loss_count(t->model.loss, 1, K) / (double)in->n : NAN;
    if (bad >= 0 && in->rows)
        bad = in->rows[bad];
    int rc = bad >= 0 ? error_set(err, "%s: the model gives a non-finite probability for row %lld "
                                  "of %s (damaged parameters?)", t->path, (long long)bad, in->path)
                      : 0;
    return par_any_failed(c, rc, err);
}
