/* synth.c: the synthetic-data generator (see synth.h for the two modes, the background and the
 * oracle). It draws every base, label and planted site from rng.h's counter-based streams, writes
 * blocks of samples through a DatasetWriter, and records its settings as attributes of the file. */
#include "data/synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "data/convert.h"
#include "data/dataset.h"
#include "data/fasta.h"
#include "data/motif.h"

#define SYNTH_BLOCK 2048 /* samples generated and written together */
#define MAX_PLACE_TRIES 16

/* Purposes of random draws: the stream is purpose | target << 8, the sub-stream the sample. */
enum { R_LENGTH = 1, R_LABEL, R_BASES, R_CHOICE, R_POSITION, R_STRAND, R_SITE, R_WINDOW };

static const char *default_binary_motif = "MA0035.3"; /* Gata1: short, so the task is not trivial */
static const char *default_multi_motifs[] = {
    "MA0139.1", /* CTCF */     "MA0035.3", /* Gata1 */   "MA0148.3", /* FOXA1 */
    "MA0114.2", /* HNF4A */    "MA0466.1", /* CEBPB */   "MA0099.2", /* JUN::FOS */
    "MA0107.1", /* RELA */     "MA0143.3", /* Sox2 */    "MA0059.1", /* MYC::MAX */
    "MA0108.2", /* TBP */      "MA0014.2", /* PAX5 */    "MA0079.3", /* SP1 */
    "MA0138.2", /* REST */     "MA0506.1", /* NRF1 */    "MA0095.2", /* YY1 */
    "MA0080.3", /* Spi1 */
};

typedef struct {
    int multilabel;
    int64_t n;
    uint64_t seed;
    int min_len, max_len; /* binary */
    int L, K;
    double positive, rate, gc;
    Padding padding;
    double bg[4];         /* A C G T background probabilities */
    Motif **motifs;       /* binary: the candidates (any one is planted); multilabel: one per target */
    int nmotifs;
    /* real background: all records' tokens back to back */
    uint8_t *bgseq;
    int64_t *rec_start, *rec_len, *win_cum; /* windows of length need per record, cumulative */
    int nrec;
    int64_t nwin;
} Synth;

static float draw(const Synth *s, int purpose, int target, int64_t sample, uint64_t i)
{
    return rng_uniform_at(s->seed, RNG_DATA, (uint32_t)purpose | (uint32_t)target << 8,
                          (uint32_t)sample, i);
}

/* Background bases of sample i into seq[0..len). */
static void make_background(const Synth *s, int64_t i, uint8_t *seq, int len)
{
    if (s->bgseq) {
        /* a window of real sequence; a few tries to avoid mostly-N windows */
        int64_t w = 0;
        for (int t = 0; t < 8; t++) {
            w = (int64_t)(rng_u64_at(s->seed, RNG_DATA, R_WINDOW, (uint32_t)i, (uint64_t)t) %
                          (uint64_t)s->nwin);
            int lo = 0, hi = s->nrec - 1;
            while (lo < hi) { /* first record whose cumulative window count exceeds w */
                int mid = (lo + hi) / 2;
                if (s->win_cum[mid] > w)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            int64_t before = lo ? s->win_cum[lo - 1] : 0;
            const uint8_t *src = s->bgseq + s->rec_start[lo] + (w - before);
            memcpy(seq, src, (size_t)len);
            int ns = 0;
            for (int j = 0; j < len; j++)
                ns += seq[j] == TOKEN_N;
            if (ns * 10 <= len)
                break;
        }
        return;
    }
    const float a = (float)s->bg[0], ac = (float)(s->bg[0] + s->bg[1]),
                acg = (float)(s->bg[0] + s->bg[1] + s->bg[2]);
    for (int j = 0; j < len; j += 4) {
        float u[4];
        rng_uniform4(s->seed, RNG_DATA, R_BASES, (uint32_t)i, (uint64_t)j / 4, u);
        for (int q = 0; q < 4 && j + q < len; q++)
            seq[j + q] = u[q] < a ? TOKEN_A : u[q] < ac ? TOKEN_C : u[q] < acg ? TOKEN_G : TOKEN_T;
    }
}

/* Plants an instance of m (target k) in seq[0..len), avoiding the intervals in used[] if it can. */
static void plant(const Synth *s, const Motif *m, int k, int64_t i, uint8_t *seq, int len, int *used,
                  int *nused)
{
    const int W = m->width;
    if (len < W)
        return;
    int p = 0;
    for (int t = 0; t < MAX_PLACE_TRIES; t++) {
        p = (int)(draw(s, R_POSITION, k, i, (uint64_t)t) * (float)(len - W + 1));
        if (p > len - W)
            p = len - W;
        int clash = 0;
        for (int u = 0; u < *nused && !clash; u++)
            clash = p < used[2 * u + 1] && used[2 * u] < p + W;
        if (!clash)
            break;
    }
    if (used) {
        used[2 * *nused] = p;
        used[2 * *nused + 1] = p + W;
        (*nused)++;
    }
    int reverse = draw(s, R_STRAND, k, i, 0) < 0.5f;
    for (int j = 0; j < W; j++) {
        int tok = motif_sample(m, j, draw(s, R_SITE, k, i, (uint64_t)j));
        if (reverse)
            seq[p + W - 1 - j] = (uint8_t)(TOKEN_A + TOKEN_T - tok); /* complement: A<->T, C<->G */
        else
            seq[p + j] = (uint8_t)tok;
    }
}

/* One sample: its row of L tokens (padded), labels (K), length, oracle (K). */
static void make_sample(const Synth *s, int64_t i, uint8_t *row, float *y, int32_t *length,
                        float *oracle, uint8_t *seq, int *used)
{
    int len = s->L;
    if (!s->multilabel) {
        len = s->min_len + (int)(draw(s, R_LENGTH, 0, i, 0) * (float)(s->max_len - s->min_len + 1));
        if (len > s->max_len)
            len = s->max_len;
    }
    make_background(s, i, seq, len);
    int nused = 0;
    if (!s->multilabel) {
        int pos = draw(s, R_LABEL, 0, i, 0) < (float)s->positive;
        if (pos) {
            int c = (int)(draw(s, R_CHOICE, 0, i, 0) * (float)s->nmotifs);
            if (c >= s->nmotifs)
                c = s->nmotifs - 1;
            plant(s, s->motifs[c], 0, i, seq, len, NULL, &nused);
        }
        y[0] = (float)pos;
        /* mixture over the candidate motifs: log mean_m exp(oracle_m) */
        double best = -INFINITY, sum = 0;
        for (int m = 0; m < s->nmotifs; m++) {
            double v = motif_oracle(s->motifs[m], seq, len);
            if (v > best) {
                sum = sum * exp(best - v) + 1;
                best = v;
            } else {
                sum += exp(v - best);
            }
        }
        oracle[0] = (float)(best + log(sum / s->nmotifs));
    } else {
        for (int k = 0; k < s->K; k++) {
            y[k] = (float)(draw(s, R_LABEL, k, i, 0) < (float)s->rate);
            if (y[k] > 0)
                plant(s, s->motifs[k], k, i, seq, len, used, &nused);
        }
        for (int k = 0; k < s->K; k++)
            oracle[k] = (float)motif_oracle(s->motifs[k], seq, len);
    }
    memset(row, TOKEN_PAD, (size_t)s->L);
    memcpy(row + (s->padding == PAD_PRE ? s->L - len : 0), seq, (size_t)len);
    *length = len;
}

static int load_background(Synth *s, const char *path, Error *err)
{
    FastaReader *r = fasta_open(path, err);
    if (!r)
        return -1;
    int64_t cap = 1 << 20, used = 0;
    int rcap = 0;
    s->bgseq = xmalloc((size_t)cap, 1);
    const char *id;
    const uint8_t *seq;
    int64_t len;
    int rc;
    double counts[4] = {1, 1, 1, 1};
    while ((rc = fasta_next(r, &id, &seq, &len, err)) == 1) {
        if (len < s->L && (s->multilabel || len < s->max_len))
            continue;
        if (used + len > cap) {
            while (used + len > cap)
                cap *= 2;
            uint8_t *p = xmalloc((size_t)cap, 1);
            memcpy(p, s->bgseq, (size_t)used);
            free(s->bgseq);
            s->bgseq = p;
        }
        if (s->nrec == rcap) {
            rcap = rcap ? 2 * rcap : 256;
            int64_t *a = xmalloc((size_t)rcap, sizeof *a), *b = xmalloc((size_t)rcap, sizeof *b);
            if (s->nrec) {
                memcpy(a, s->rec_start, (size_t)s->nrec * sizeof *a);
                memcpy(b, s->rec_len, (size_t)s->nrec * sizeof *b);
            }
            free(s->rec_start);
            free(s->rec_len);
            s->rec_start = a;
            s->rec_len = b;
        }
        memcpy(s->bgseq + used, seq, (size_t)len);
        for (int64_t j = 0; j < len; j++)
            if (seq[j] >= TOKEN_A && seq[j] <= TOKEN_T)
                counts[seq[j] - TOKEN_A] += 1;
        s->rec_start[s->nrec] = used;
        s->rec_len[s->nrec] = len;
        s->nrec++;
        used += len;
    }
    fasta_close(r);
    if (rc < 0)
        return -1;
    int need = s->multilabel ? s->L : s->max_len;
    if (s->nrec == 0)
        return error_set(err, "%s: no record of at least %d bases to draw background from", path,
                         need);
    s->win_cum = xmalloc((size_t)s->nrec, sizeof *s->win_cum);
    for (int q = 0; q < s->nrec; q++)
        s->win_cum[q] = (q ? s->win_cum[q - 1] : 0) + s->rec_len[q] - need + 1;
    s->nwin = s->win_cum[s->nrec - 1];
    double total = counts[0] + counts[1] + counts[2] + counts[3];
    for (int b = 0; b < 4; b++)
        s->bg[b] = counts[b] / total;
    return 0;
}

static int choose_motifs(Synth *s, MotifSet *set, const char *list, Error *err)
{
    int cap = s->multilabel ? s->K : 64;
    s->motifs = xcalloc((size_t)cap + 1, sizeof *s->motifs);
    if (list) {
        char *copy = xmalloc(strlen(list) + 1, 1);
        strcpy(copy, list);
        for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            const Motif *m = motif_find(set, tok);
            if (!m) {
                error_set(err, "--motifs: no motif '%s' in the motif file (give a JASPAR ID such "
                               "as MA0139.1 or a name such as CTCF)", tok);
                free(copy);
                return -1;
            }
            if (s->nmotifs == cap) {
                free(copy);
                return error_set(err, "--motifs: more than %d motifs%s", cap,
                                 s->multilabel ? " (one per target: raise --targets)" : "");
            }
            s->motifs[s->nmotifs++] = (Motif *)m;
        }
        free(copy);
    } else if (!s->multilabel) {
        s->motifs[s->nmotifs++] = (Motif *)motif_find(set, default_binary_motif);
        if (!s->motifs[0])
            s->motifs[0] = &set->m[0];
    } else {
        for (size_t q = 0; q < sizeof default_multi_motifs / sizeof *default_multi_motifs; q++) {
            const Motif *m = motif_find(set, default_multi_motifs[q]);
            if (m && s->nmotifs < s->K)
                s->motifs[s->nmotifs++] = (Motif *)m;
        }
    }
    /* multilabel: fill up the K targets with the file's other motifs, in file order */
    for (int q = 0; s->multilabel && s->nmotifs < s->K && q < set->n; q++) {
        int taken = 0;
        for (int t = 0; t < s->nmotifs && !taken; t++)
            taken = s->motifs[t] == &set->m[q];
        if (!taken)
            s->motifs[s->nmotifs++] = &set->m[q];
    }
    if (s->multilabel && s->nmotifs < s->K)
        return error_set(err, "--targets %d: the motif file has only %d motifs", s->K, set->n);
    for (int q = 0; q < s->nmotifs; q++) {
        int need = s->multilabel ? s->L : s->min_len;
        if (s->motifs[q]->width > need)
            return error_set(err, "motif %s is %d wide, longer than the shortest sequence (%d)",
                             s->motifs[q]->id, s->motifs[q]->width, need);
    }
    return 0;
}


/* The generator's state from the settings: shapes by mode, the i.i.d. background from gc. */
static int synth_init(Synth *s, const SynthSettings *st, Error *err)
{
    memset(s, 0, sizeof *s);
    s->multilabel = st->multilabel;
    s->n = st->n;
    s->seed = st->seed;
    s->min_len = st->min_len;
    s->max_len = st->max_len;
    s->L = st->multilabel ? st->length : st->max_len;
    s->K = st->multilabel ? st->targets : 1;
    s->positive = st->positive;
    s->rate = st->rate;
    s->gc = st->gc;
    s->padding = st->padding;
    s->bg[0] = s->bg[3] = (1 - s->gc) / 2;
    s->bg[1] = s->bg[2] = s->gc / 2;
    if (!s->multilabel && s->min_len > s->max_len)
        return error_set(err, "--min-length %d is more than --max-length %d", s->min_len,
                         s->max_len);
    return 0;
}

static void synth_free(Synth *s)
{
    free(s->motifs);
    free(s->bgseq);
    free(s->rec_start);
    free(s->rec_len);
    free(s->win_cum);
    memset(s, 0, sizeof *s);
}

/* Target names (the motif's name; binary with several motifs: "any_motif") and the list of the
 * motifs used, "ID NAME,ID NAME", for the file's attributes. */
static void name_targets(const Synth *s, char ***names_out, char **list_out)
{
    char **names = xcalloc((size_t)s->K, sizeof *names);
    size_t list_len = 1;
    for (int q = 0; q < s->nmotifs; q++)
        list_len += strlen(s->motifs[q]->id) + strlen(s->motifs[q]->name) + 3;
    char *list = xcalloc(list_len, 1);
    for (int q = 0; q < s->nmotifs; q++)
        sprintf(list + strlen(list), "%s%s %s", q ? "," : "", s->motifs[q]->id,
                s->motifs[q]->name);
    for (int k = 0; k < s->K; k++) {
        const char *nm = s->multilabel    ? s->motifs[k]->name
                         : s->nmotifs == 1 ? s->motifs[0]->name
                                           : "any_motif";
        names[k] = xmalloc(strlen(nm) + 1, 1);
        strcpy(names[k], nm);
    }
    *names_out = names;
    *list_out = list;
}

/* All n samples, in blocks of SYNTH_BLOCK, with ids synth_<i>. */
static int write_samples(const Synth *s, DatasetWriter *w, int progress, Error *err)
{
    const int64_t B = s->n < SYNTH_BLOCK ? s->n : SYNTH_BLOCK;
    uint8_t *tok = xmalloc((size_t)B, (size_t)s->L), *seq = xmalloc((size_t)s->L, 1);
    float *y = xmalloc((size_t)B * (size_t)s->K, sizeof *y);
    float *orc = xmalloc((size_t)B * (size_t)s->K, sizeof *orc);
    int32_t *len = xmalloc((size_t)B, sizeof *len);
    int *used = xmalloc((size_t)s->K * 2 + 2, sizeof *used);
    char **ids = xmalloc((size_t)B, sizeof *ids), *idbuf = xmalloc((size_t)B, 24);
    int rc = 0;
    Progress prog;
    progress_start(&prog, "synth", "samples", s->n, progress);
    for (int64_t i0 = 0; i0 < s->n && rc == 0; i0 += B) {
        int64_t m = s->n - i0 < B ? s->n - i0 : B;
        for (int64_t b = 0; b < m; b++) {
            make_sample(s, i0 + b, tok + b * s->L, y + b * s->K, len + b, orc + b * s->K, seq, used);
            ids[b] = idbuf + 24 * b;
            snprintf(ids[b], 24, "synth_%lld", (long long)(i0 + b));
        }
        rc = dataset_writer_append(w, m, tok, y, len, (const char *const *)ids, orc, err);
        if (rc == 0)
            progress_update(&prog, i0 + m, 0);
    }
    if (rc == 0)
        progress_end(&prog);
    free(tok);
    free(seq);
    free(y);
    free(orc);
    free(len);
    free(used);
    free(ids);
    free(idbuf);
    return rc;
}

static int write_attrs(DatasetWriter *w, const Synth *s, const SynthSettings *st,
                       const char *motif_list, Error *err)
{
    if (dataset_writer_attr_string(w, "source", "gseq_mpi synth", err) != 0 ||
        dataset_writer_attr_string(w, "synth_mode", s->multilabel ? "multilabel" : "binary", err) != 0 ||
        dataset_writer_attr_double(w, "synth_seed", (double)s->seed, err) != 0 ||
        dataset_writer_attr_string(w, "synth_motifs", motif_list, err) != 0 ||
        dataset_writer_attr_string(w, "synth_background", st->background ? st->background : "iid",
                                   err) != 0 ||
        dataset_writer_attr_double(w, "synth_gc", s->gc, err) != 0)
        return -1;
    return 0;
}

/* The file, from a Synth whose motifs (and background) are ready. */
static int write_file(const Synth *s, const SynthSettings *st, Error *err)
{
    char **names, *motif_list;
    name_targets(s, &names, &motif_list);
    DatasetSpec spec = {
        .n = s->n, .length = s->L, .targets = s->K,
        .task = s->multilabel ? TASK_MULTILABEL : TASK_BINARY, .padding = s->padding,
        .y_float = 0, .with_lengths = !s->multilabel, .with_ids = 1, .target_names = names,
        .extra_name = "/oracle", .extra_width = s->K, .gzip = st->gzip,
    };
    int rc = -1;
    DatasetWriter *w = dataset_writer_open(st->out, &spec, err);
    if (w) {
        guard_temp(dataset_writer_temp_path(w));
        if (write_samples(s, w, st->progress, err) == 0 && write_attrs(w, s, st, motif_list, err) == 0) {
            DatasetWriter *done = w;
            w = NULL;
            rc = dataset_writer_finish(done, err);
        }
        guard_temp(NULL);
        if (w)
            dataset_writer_abort(w);
    }
    for (int k = 0; k < s->K; k++)
        free(names[k]);
    free(names);
    free(motif_list);
    return rc;
}

int synth_pick_motifs(MotifSet *set, const char *list, int K, int width, Motif **out, Error *err)
{
    Synth s;
    memset(&s, 0, sizeof s);
    s.multilabel = 1;
    s.K = K;
    s.L = width;
    int rc = choose_motifs(&s, set, list, err);
    if (rc == 0 && s.nmotifs < K)
        rc = error_set(err, "--motifs: %d motifs for --targets %d", s.nmotifs, K);
    for (int k = 0; rc == 0 && k < K; k++)
        out[k] = s.motifs[k];
    free(s.motifs);
    return rc;
}

int synth_write(const SynthSettings *st, Error *err)
{
    Synth s;
    if (synth_init(&s, st, err) != 0)
        return -1;
    MotifSet set;
    if (motif_read_jaspar(st->motif_file, &set, err) != 0)
        return -1;
    int rc = -1;
    if (choose_motifs(&s, &set, st->motifs, err) == 0 &&
        (!st->background || load_background(&s, st->background, err) == 0)) {
        for (int q = 0; q < s.nmotifs; q++)
            motif_prepare(s.motifs[q], s.bg, 0.8);
        rc = write_file(&s, st, err);
    }
    synth_free(&s);
    motif_set_free(&set);
    return rc;
}
