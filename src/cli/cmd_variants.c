/* cmd_variants.c: `gseq_mpi variants --checkpoint C --vcf V --genome G --out E.tsv|E.h5`: the
 * effect of each VCF variant (each ALT of a record its own row) on a trained model's predictions:
 * reference and alternative probabilities, their difference and log2 odds ratio per target.
 * Rank 0 streams the VCF (vcf.h), checks each record against the genome, builds the windows
 * (variant.h) and deals them out in blocks of --batch rows, rank r taking the r-th block of each
 * step; every rank runs its block through the model and rank 0 gathers and writes the rows in the
 * VCF's order (variants_out.h). Blocks start at multiples of the batch whatever the rank count, so
 * each forward pass sees the same rows and the output is the same bytes for any P. Memory: one
 * step of P blocks on rank 0, one block on the others. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/run.h"
#include "cli/variants_out.h"
#include "data/convert.h"
#include "data/dataset.h"
#include "data/genome.h"
#include "data/variant.h"
#include "data/vcf.h"
#include "nn/kernels.h"
#include "train/infer.h"

enum { MISMATCH_WARN, MISMATCH_SKIP, MISMATCH_ERROR };
#define LISTED_MAX 20 /* warnings listed on stderr; the rest are counted */

typedef struct {
    const char *checkpoint, *vcf, *genome, *out, *targets;
    int rc_average, mismatch, batch, threads, quiet;
} VariantsArgs;

static const char variants_usage[] =
    "usage: gseq_mpi variants --checkpoint CKPT --vcf FILE --genome FASTA --out E.tsv|E.h5 "
    "[options]\n";

static const OptChoice mismatch_policies[] = {
    {"warn", MISMATCH_WARN}, {"skip", MISMATCH_SKIP}, {"error", MISMATCH_ERROR}, {NULL, 0}};

static int read_options(int *argc, char ***argv, VariantsArgs *a, int *status)
{
    const Option options[] = {
        OPT_REQUIRED("checkpoint", "CKPT", &a->checkpoint,
                     "a checkpoint written by train (best.h5, last.h5)"),
        OPT_REQUIRED("vcf", "FILE", &a->vcf, "the variants: VCF (plain, bgzip, gzip) or BCF"),
        OPT_REQUIRED("genome", "FASTA", &a->genome,
                     "the reference genome (plain or bgzip FASTA, indexed on first use)"),
        OPT_REQUIRED("out", "FILE", &a->out,
                     "E.tsv: one line per variant and target (chrom, pos, id, ref, alt,\n"
                     "target, ref_prob, alt_prob, diff, log2_odds); E.h5: /chrom, /pos,\n"
                     "/id, /ref, /alt (N), /ref_prob, /alt_prob, /diff, /log2_odds (N, K);\n"
                     "regression: ref_value, alt_value, diff, and log2_fc for a softplus\n"
                     "output only"),
        OPT_STRING("targets", "NAME,...|A:B", &a->targets,
                   "only these targets: names of the checkpoint's targets, or the\n"
                   "columns A to B-1 (0-based, as a Python slice; A: to the end)"),
        OPT_FLAG("rc-average", &a->rc_average,
                 "average each window's probabilities with its reverse complement's"),
        OPT_CHOICE("ref-mismatch", "error|skip|warn", &a->mismatch, mismatch_policies,
                   "a REF that differs from the genome, or a chromosome the genome\n"
                   "lacks: stop, leave the variant out, or (default) score the REF\n"
                   "given and warn; either way counted and the first ones listed"),
        OPT_INT("batch", "N", &a->batch, 1, 1000000,
                "variants per forward pass on each rank (default: the config's batch)"),
        OPT_INT("threads", "N", &a->threads, 1, 1000000, "BLAS threads per rank (default as train)"),
        OPT_FLAG("quiet", &a->quiet, "no summary line"),
        OPT_END,
    };
    const OptCommand cmd = {"variants", variants_usage, options};
    return run_start(&cmd, argc, argv, status);
}

/* ---- rank 0: the VCF as rows ---- */

typedef struct {
    const VariantsArgs *a;
    VcfReader *vcf;
    Genome *g;
    int L;
    VcfRecord rec;
    int pending, next_alt, chrom;      /* a record whose ALTs are being made rows */
    int64_t records, rows, mismatch, missing, symbolic, too_long, duplicates, listed;
    char here[512];                    /* "chrom:pos" of the alleles in seen */
    char absent[256];                  /* the last chromosome found missing */
    char **seen;                       /* "REF>ALT" at that position */
    int n_seen, cap_seen;
} Source;

/* A warning line on stderr (the first LISTED_MAX of them). */
static void source_note(Source *s, const char *fmt, ...) GSEQ_PRINTF(2, 3);
static void source_note(Source *s, const char *fmt, ...)
{
    if (s->listed++ >= LISTED_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gseq_mpi variants: warning: %s: record %lld (%s:%lld): ", s->a->vcf,
            (long long)s->rec.line, s->rec.chrom, (long long)s->rec.pos);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (s->listed == LISTED_MAX)
        fprintf(stderr, "gseq_mpi variants: warning: further ones are only counted\n");
}

/* The genome's bases at REF's place, as letters, into buf (n + 1 bytes). */
static int genome_letters(const Source *s, int64_t p0, int64_t n, char *buf, Error *err)
{
    int64_t got;
    uint8_t *t = genome_fetch(s->g, s->chrom, p0, p0 + n, &got, err);
    if (!t)
        return -1;
    for (int64_t i = 0; i < got; i++)
        buf[i] = TOKEN_LETTERS[t[i]];
    buf[got] = '\0';
    free(t);
    return 0;
}

/* A new record's checks: 1 to make its ALTs rows, 0 to leave it out, -1 to stop. */
static int source_check(Source *s, Error *err)
{
    const VcfRecord *r = &s->rec;
    const char *vcf = s->a->vcf;
    int stop = s->a->mismatch == MISMATCH_ERROR;
    s->chrom = genome_find(s->g, r->chrom);
    if (s->chrom < 0) {
        s->missing++;
        if (stop)
            return error_set(err, "%s: record %lld: chromosome '%s' is not in %s (--ref-mismatch "
                             "error)", vcf, (long long)r->line, r->chrom, s->a->genome);
        if (strcmp(s->absent, r->chrom) != 0) /* listed once for a run of its records */
            source_note(s, "chromosome not in %s: left out (and the records after it on the "
                        "same chromosome)", s->a->genome);
        snprintf(s->absent, sizeof s->absent, "%s", r->chrom);
        return 0;
    }
    int64_t n = (int64_t)strlen(r->ref), len = genome_length(s->g, s->chrom);
    if (r->pos < 1)
        return error_set(err, "%s: record %lld: POS %lld on %s: expected a position from 1 to %lld",
                         vcf, (long long)r->line, (long long)r->pos, r->chrom, (long long)len);
    if (r->pos - 1 + n > len)
        return error_set(err, "%s: record %lld: %s:%lld with REF of %lld bases is past the end of "
                         "%s (%lld bases in %s)", vcf, (long long)r->line, r->chrom,
                         (long long)r->pos, (long long)n, r->chrom, (long long)len, s->a->genome);
    char *have = xmalloc((size_t)n + 1, 1);
    int rc = genome_letters(s, r->pos - 1, n, have, err), keep = 1;
    if (rc == 0 && strcasecmp(have, r->ref) != 0) {
        s->mismatch++;
        if (stop)
            rc = error_set(err, "%s: record %lld: REF %.40s at %s:%lld but the genome has %.40s "
                           "(--ref-mismatch error)", vcf, (long long)r->line, r->ref, r->chrom,
                           (long long)r->pos, have);
        else {
            keep = s->a->mismatch != MISMATCH_SKIP;
            source_note(s, "REF %.40s but the genome has %.40s%s", r->ref, have,
                        keep ? "" : ": left out");
        }
    }
    free(have);
    return rc < 0 ? -1 : keep;
}

/* Whether REF>ALT was seen before at this position (records next to each other, as in a sorted
 * VCF); the position's alleles are remembered until the position changes. */
static int source_duplicate(Source *s, const char *alt)
{
    char here[sizeof s->here];
    snprintf(here, sizeof here, "%s:%lld", s->rec.chrom, (long long)s->rec.pos);
    if (strcmp(here, s->here) != 0) {
        for (int i = 0; i < s->n_seen; i++)
            free(s->seen[i]);
        s->n_seen = 0;
        memcpy(s->here, here, sizeof here);
    }
    size_t n = strlen(s->rec.ref) + strlen(alt) + 2;
    char *key = xmalloc(n, 1);
    snprintf(key, n, "%s>%s", s->rec.ref, alt);
    for (int i = 0; i < s->n_seen; i++)
        if (strcmp(s->seen[i], key) == 0) {
            free(key);
            return 1;
        }
    if (s->n_seen == s->cap_seen) {
        s->cap_seen = s->cap_seen ? 2 * s->cap_seen : 8;
        char **grown = realloc(s->seen, (size_t)s->cap_seen * sizeof *grown);
        if (!grown)
            die("out of memory for the alleles at %s", here);
        s->seen = grown;
    }
    s->seen[s->n_seen++] = key;
    return 0;
}

static char *copy_string(const char *t)
{
    size_t n = strlen(t) + 1;
    return memcpy(xmalloc(n, 1), t, n);
}

/* The current record's ALT k as a row: 1 made, 0 left out (counted), -1 to stop. */
static int source_row(Source *s, int k, uint8_t *ref_win, uint8_t *alt_win, VarRow *row,
                      Error *err)
{
    const VcfRecord *r = &s->rec;
    const char *alt = r->alt[k];
    VariantKind kind = variant_classify(r->ref, alt, s->L);
    if (kind == VARIANT_SYMBOLIC) {
        s->symbolic++;
        return 0;
    }
    if (kind == VARIANT_TOO_LONG) {
        s->too_long++;
        source_note(s, "REF of %zu bases, ALT of %zu: too long for the model's window of %d: left "
                    "out", strlen(r->ref), strlen(alt), s->L);
        return 0;
    }
    int match;
    if (variant_windows(s->g, s->chrom, r->pos, r->ref, alt, s->L, ref_win, alt_win, &match,
                        err) != 0)
        return -1;
    if (source_duplicate(s, alt))
        s->duplicates++;
    *row = (VarRow){copy_string(r->chrom), copy_string(r->id), copy_string(r->ref),
                    copy_string(alt), r->pos};
    s->rows++;
    return 1;
}

/* Up to `cap` rows into the windows (cap, L) each and rows: *n made (fewer only at the VCF's
 * end). 0, or -1 to stop. */
static int source_fill(Source *s, int cap, uint8_t *ref_tok, uint8_t *alt_tok, VarRow *rows,
                       int *n, Error *err)
{
    *n = 0;
    while (*n < cap) {
        if (!s->pending) {
            int rc = vcf_reader_next(s->vcf, &s->rec, err);
            if (rc <= 0)
                return rc;
            s->records++;
            if (s->rec.n_alt == 0) {
                s->symbolic++;
                continue;
            }
            if ((rc = source_check(s, err)) <= 0) {
                if (rc < 0)
                    return -1;
                continue;
            }
            s->pending = 1, s->next_alt = 0;
        }
        while (*n < cap && s->next_alt < s->rec.n_alt) {
            size_t at = (size_t)*n * s->L;
            int rc = source_row(s, s->next_alt++, ref_tok + at, alt_tok + at, rows + *n, err);
            if (rc < 0)
                return -1;
            *n += rc;
        }
        if (s->next_alt == s->rec.n_alt)
            s->pending = 0;
    }
    return 0;
}

static void source_close(Source *s)
{
    vcf_reader_close(s->vcf);
    genome_close(s->g);
    for (int i = 0; i < s->n_seen; i++)
        free(s->seen[i]);
    free(s->seen);
}

static void free_rows(VarRow *rows, int n)
{
    for (int i = 0; i < n; i++)
        free(rows[i].chrom), free(rows[i].id), free(rows[i].ref), free(rows[i].alt);
}

/* ---- targets, the forward pass, the steps ---- */

/* Rank 0: --targets as column indexes into sel (K of room): *n_sel. */
static int parse_targets(const char *spec, char *const *names, int K, int *sel, int *n_sel,
                         Error *err)
{
    *n_sel = 0;
    if (!spec) {
        for (int k = 0; k < K; k++)
            sel[(*n_sel)++] = k;
        return 0;
    }
    if (strchr(spec, ':') && spec[0] >= '0' && spec[0] <= '9') { /* A:B, as convert takes it */
        int64_t first, count;
        if (parse_range("targets", spec, K, &first, &count, err) != 0)
            return -1;
        for (int64_t k = first; k < first + count; k++)
            sel[(*n_sel)++] = (int)k;
        return 0;
    }
    char *copy = copy_string(spec), *save = NULL;
    int rc = 0;
    for (char *name = strtok_r(copy, ",", &save); name && rc == 0;
         name = strtok_r(NULL, ",", &save)) {
        int k = 0;
        while (k < K && strcmp(names[k], name) != 0)
            k++;
        if (k == K)
            rc = error_set(err, "--targets: the checkpoint has no target '%s' (its targets: %s%s%s)",
                           name, names[0], K > 1 ? ", ..., " : "", K > 1 ? names[K - 1] : "");
        else if (*n_sel == K)
            rc = error_set(err, "--targets %s: more names than the %d targets", spec, K);
        else
            sel[(*n_sel)++] = k;
    }
    free(copy);
    if (rc == 0 && *n_sel == 0)
        rc = error_set(err, "--targets '%s': expected target names or A:B", spec);
    return rc;
}

/* n windows through the model: probabilities (n, K) into out, averaged with the reverse
 * complement's when rc (rc_tok (n, L), rc_probs (n, K) scratch). */
static void forward_probs(Trained *t, const uint8_t *tok, int n, int rc, uint8_t *rc_tok,
                          float *rc_probs, uint32_t *index, float *out)
{
    Model *m = &t->model;
    for (int i = 0; i < n; i++)
        index[i] = (uint32_t)i;
    Pass p = {.n = n, .tokens = tok, .sample_index = index};
    model_probabilities(m, model_forward(m, &p), out, n);
    if (!rc)
        return;
    tokens_reverse_complement(tok, rc_tok, n, t->length);
    Pass q = {.n = n, .tokens = rc_tok, .sample_index = index};
    model_probabilities(m, model_forward(m, &q), rc_probs, n);
    for (size_t i = 0; i < (size_t)n * t->targets; i++)
        out[i] = 0.5f * (out[i] + rc_probs[i]);
}

/* One rank's buffers for a block of B rows (rank 0: a step of P blocks). */
typedef struct {
    int B, P;
    uint8_t *ref_tok, *alt_tok, *rc_tok; /* (P*B or B, L) */
    float *ref_p, *alt_p, *rc_p;         /* (B, K) */
    float *send, *recv;                  /* (B, 2K); rank 0 (P*B, 2K) */
    uint32_t *index;                     /* (B) */
    VarRow *rows;                        /* rank 0: (P*B) */
} Step;

static void step_alloc(Step *s, int root, int P, int B, int L, int K)
{
    size_t held = root ? (size_t)P * B : (size_t)B;
    *s = (Step){.B = B, .P = P};
    s->ref_tok = xmalloc(held, (size_t)L), s->alt_tok = xmalloc(held, (size_t)L);
    s->rc_tok = xmalloc((size_t)B, (size_t)L);
    s->ref_p = xalloc_floats((size_t)B * K), s->alt_p = xalloc_floats((size_t)B * K);
    s->rc_p = xalloc_floats((size_t)B * K), s->send = xalloc_floats((size_t)B * 2 * K);
    s->recv = root ? xalloc_floats(held * 2 * K) : NULL;
    s->index = xmalloc((size_t)B, sizeof *s->index);
    s->rows = root ? xcalloc(held, sizeof *s->rows) : NULL;
}

static void step_free(Step *s)
{
    free(s->ref_tok), free(s->alt_tok), free(s->rc_tok), free(s->ref_p), free(s->alt_p);
    free(s->rc_p), free(s->send), free(s->recv), free(s->index), free(s->rows);
}

/* Rows of block r of a step of n rows. */
static int block_rows(int n, int r, int B)
{
    int left = n - r * B;
    return left <= 0 ? 0 : left < B ? left : B;
}

/* A step of n rows (rank 0 holds their windows): rank r's block sent to it, run there, and the
 * probabilities (n, 2K: ref then alt) gathered into s->recv on rank 0 in row order. */
static void step_run(ParComm *c, Trained *t, Step *s, int n, int rc_average)
{
    int rank = par_rank(c), L = t->length, K = t->targets, B = s->B;
    if (rank == 0)
        for (int r = 1; r < s->P; r++) {
            int m = block_rows(n, r, B);
            if (m > 0) {
                par_send_bytes(c, s->ref_tok + (size_t)r * B * L, (size_t)m * L, r);
                par_send_bytes(c, s->alt_tok + (size_t)r * B * L, (size_t)m * L, r);
            }
        }
    int mine = block_rows(n, rank, B);
    if (rank != 0 && mine > 0) {
        par_recv_bytes(c, s->ref_tok, (size_t)mine * L, 0);
        par_recv_bytes(c, s->alt_tok, (size_t)mine * L, 0);
    }
    if (mine > 0) {
        forward_probs(t, s->ref_tok, mine, rc_average, s->rc_tok, s->rc_p, s->index, s->ref_p);
        forward_probs(t, s->alt_tok, mine, rc_average, s->rc_tok, s->rc_p, s->index, s->alt_p);
        for (int i = 0; i < mine; i++) {
            memcpy(s->send + (size_t)i * 2 * K, s->ref_p + (size_t)i * K, sizeof(float) * K);
            memcpy(s->send + (size_t)i * 2 * K + K, s->alt_p + (size_t)i * K, sizeof(float) * K);
        }
    }
    par_gather_f32(c, s->send, mine * 2 * K, s->recv, 0);
}

/* ---- the command ---- */

typedef struct {
    const VariantsArgs *a;
    Source src;
    VarOut *out;
    int *sel, n_sel;
    double started;
} Job;

/* Rank 0: the targets, the VCF, the genome and the output's temporary file. */
static int job_open(Job *j, const Trained *t, Error *err)
{
    j->sel = xmalloc((size_t)t->targets, sizeof *j->sel);
    if (parse_targets(j->a->targets, t->target_names, t->targets, j->sel, &j->n_sel, err) != 0)
        return -1;
    j->src = (Source){.a = j->a, .L = t->length};
    j->src.vcf = vcf_reader_open(j->a->vcf, err);
    if (!j->src.vcf)
        return -1;
    j->src.g = genome_open(j->a->genome, err);
    if (!j->src.g)
        return -1;
    VarEffect effect = t->task != TASK_REGRESSION           ? VAR_PROBABILITIES
                       : t->model.out_act == ACT_SOFTPLUS ? VAR_POSITIVE_VALUES
                                                          : VAR_VALUES;
    j->out = var_out_open(j->a->out, t->target_names, j->sel, j->n_sel, t->targets, effect, err);
    return j->out ? 0 : -1;
}

static void job_close(Job *j)
{
    var_out_abort(j->out); /* after var_out_finish j->out is NULL */
    source_close(&j->src);
    free(j->sel);
}

/* Rank 0: a step's gathered rows into the output. */
static int job_write(Job *j, const Trained *t, const Step *s, int n, Error *err)
{
    for (size_t i = 0; i < (size_t)n * 2 * t->targets; i++)
        if (!isfinite(s->recv[i])) {
            const VarRow *w = &s->rows[i / (2 * (size_t)t->targets)];
            return error_set(err, "%s: the model gives a non-finite probability for the variant "
                             "at %s:%lld (damaged parameters?)", t->path, w->chrom,
                             (long long)w->pos);
        }
    return var_out_write(j->out, s->rows, s->recv, n, err);
}

/* Every step until the VCF's end; errors stop every rank. */
static int job_run(ParComm *c, Trained *t, Job *j, Step *s, Error *err)
{
    int root = par_rank(c) == 0, cap = s->P * s->B;
    for (;;) {
        int n = 0, rc = 0;
        if (root)
            rc = source_fill(&j->src, cap, s->ref_tok, s->alt_tok, s->rows, &n, err);
        if (par_root_verdict(c, rc) != 0) {
            if (root)
                free_rows(s->rows, n);
            return -1;
        }
        par_bcast(c, &n, sizeof n, 0);
        if (n == 0)
            return 0;
        step_run(c, t, s, n, j->a->rc_average);
        rc = root ? job_write(j, t, s, n, err) : 0;
        if (root)
            free_rows(s->rows, n);
        if (par_root_verdict(c, rc) != 0)
            return -1;
    }
}

/* Rank 0: the output renamed into place, the counts. */
static int job_finish(Job *j, const Trained *t, int ranks, Error *err)
{
    const VariantsArgs *a = j->a;
    const Source *s = &j->src;
    VarOut *o = j->out;
    j->out = NULL;
    if (var_out_finish(o, a->checkpoint, a->vcf, t->length, a->rc_average, err) != 0)
        return -1;
    if (s->mismatch && a->mismatch == MISMATCH_WARN)
        fprintf(stderr, "gseq_mpi variants: warning: %lld REF%s from %s (scored with the "
                "VCF's REF in the reference window)\n", (long long)s->mismatch,
                s->mismatch == 1 ? " differs" : "s differ", a->genome);
    if (a->quiet)
        return 0;
    double secs = now_seconds() - j->started;
    printf("gseq_mpi variants: %lld rows from %lld records of %s, %d target%s, %d rank%s%s: wrote "
           "%s in %.1f s (%.0f variants/s; rank 0 peak memory %.0f MB)\n", (long long)s->rows,
           (long long)s->records, a->vcf, j->n_sel, j->n_sel == 1 ? "" : "s", ranks,
           ranks == 1 ? "" : "s", a->rc_average ? ", reverse-complement averaged" : "", a->out,
           secs, secs > 0 ? (double)s->rows / secs : 0.0, (double)util_peak_rss_bytes() / 1e6);
    printf("gseq_mpi variants: left out: %lld symbolic or missing ALT%s, %lld too long for the "
           "window of %d, %lld on chromosome%s not in the genome; REF mismatches: %lld (%s); "
           "duplicate rows kept: %lld\n", (long long)s->symbolic, s->symbolic == 1 ? "" : "s",
           (long long)s->too_long, t->length, (long long)s->missing, s->missing == 1 ? "" : "s",
           (long long)s->mismatch, a->mismatch == MISMATCH_SKIP ? "left out" : "scored",
           (long long)s->duplicates);
    return 0;
}

int cmd_variants(int argc, char **argv)
{
    VariantsArgs a = {.mismatch = MISMATCH_WARN};
    int status;
    if (!read_options(&argc, &argv, &a, &status))
        return status;
    Error err = {{0}};
    if (var_out_kind(a.out) < 0) {
        const OptCommand cmd = {"variants", variants_usage, NULL};
        error_set(&err, "--out %s: expected a name ending in .tsv, .txt, .h5 or .hdf5", a.out);
        return run_usage_error(&cmd, &err);
    }
    ParComm *c = par_world();
    int root = par_rank(c) == 0;
    kernels_set_threads(a.threads, par_node_size());
    Job j = {.a = &a, .started = now_seconds()};
    Trained t;
    if (trained_load(c, a.checkpoint, a.batch, &t, &err) != 0)
        return run_fail(c, &err, 1);
    int rc = par_root_verdict(c, root ? job_open(&j, &t, &err) : 0);
    Step s;
    step_alloc(&s, root, par_size(c), t.model.max_batch, t.length, t.targets);
    if (rc == 0)
        rc = job_run(c, &t, &j, &s, &err);
    if (rc == 0)
        rc = par_root_verdict(c, root ? job_finish(&j, &t, par_size(c), &err) : 0);
    step_free(&s);
    if (root)
        job_close(&j);
    trained_free(&t);
    if (rc != 0)
        return run_fail(c, &err, 1);
    par_finalize();
    return 0;
}
