/* cmd_motifs.c: `gseq_mpi motifs --checkpoint C --data D --out DIR`: the first convolution's filters
 * as motifs, the way Basset (basset_motifs.py) and DanQ read them, matched against JASPAR:
 *   DIR/filters.meme  MEME minimal format v4: for each filter with sites, the position probability
 *                     matrix (count + 1) / (sites + 4) of its sites, the windows whose activation
 *                     (after the conv's relu, before pooling) exceeds --threshold times the
 *                     filter's maximum over the sequences; "MOTIF filterF IC=x.xx", nsites=
 *   DIR/matches.tsv   the --top best motifs of --motif-file for each filter (TOMTOM-like: the sum of
 *                     aligned columns' Pearson r, every offset, both strands; p-value from column
 *                     shuffles, q-value over the file's motifs)
 *   DIR/filters.tsv   filter, sites, IC, maximum activation, threshold, best match
 * Every rank loads the checkpoint and scans its block of rows (infer.c, motifs.c); maxima and
 * counts are summed over the ranks, the filters' matching is dealt over them, and rank 0 writes. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/run.h"
#include "data/motif.h"
#include "nn/kernels.h"
#include "train/infer.h"
#include "train/motifs.h"

typedef struct {
    const char *checkpoint, *data, *out, *motif_file;
    double threshold;
    int64_t max_seqs;
    int top, shuffles, min_overlap, batch, threads, quiet;
} MotifsArgs;

static const char motifs_usage[] =
    "usage: gseq_mpi motifs --checkpoint CKPT --data FILE --out DIR [options]\n";

/* Starts MPI and reads motifs' options into a: 1 to go on, else 0 with the exit status. */
static int read_options(int *argc, char ***argv, MotifsArgs *a, int *status)
{
    const Option options[] = {
        OPT_REQUIRED("checkpoint", "CKPT", &a->checkpoint,
                     "a checkpoint written by train whose layers start onehot, conv1d"),
        OPT_REQUIRED("data", "FILE", &a->data,
                     "sequences to scan: gseq HDF5 (the model's length and targets) or\n"
                     "FASTA (padded and trimmed to the model's length)"),
        OPT_REQUIRED("out", "DIR", &a->out,
                     "output directory (created): filters.meme, matches.tsv, filters.tsv"),
        OPT_DOUBLE("threshold", "F", &a->threshold, 0.0, 0.999999,
                   "a site is a window whose activation exceeds F times the filter's\n"
                   "maximum over the sequences (default 0.5)"),
        OPT_INT64("max-seqs", "N", &a->max_seqs, 1, INT64_MAX,
                  "scan only the first N sequences (default: all)"),
        OPT_STRING("motif-file", "FILE", &a->motif_file,
                   "motifs to match, JASPAR counts or MEME (default\n"
                   "data/jaspar_vertebrates.pfm, here or beside the program)"),
        OPT_INT("top", "K", &a->top, 1, 1000, "best matches per filter in matches.tsv (default 5)"),
        OPT_INT("shuffles", "S", &a->shuffles, 10, 1000000,
                "at most S column shuffles for a match's p-value (default 1000)"),
        OPT_INT("min-overlap", "C", &a->min_overlap, 1, 512,
                "columns a filter and a motif must share (default 5, or the\n"
                "narrower width)"),
        OPT_INT("batch", "N", &a->batch, 1, 100000000, "sequences per pass on each rank (default 64)"),
        OPT_INT("threads", "N", &a->threads, 1, 100000000, "BLAS threads per rank (default as train)"),
        OPT_FLAG("quiet", &a->quiet, "no summary line"),
        OPT_END,
    };
    const OptCommand cmd = {"motifs", motifs_usage, options};
    return run_start(&cmd, argc, argv, status);
}

/* Rank 0, before any work: --out is a directory or can become one (made at the end). */
static int check_out(const char *out, Error *err)
{
    struct stat st;
    if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode))
        return error_set(err, "--out %s: exists and is not a directory", out);
    return 0;
}

/* ---- outputs (rank 0) ---- */

typedef struct {
    const MotifsArgs *a;
    const FilterScan *scan;
    const Motif *filters; /* (F) */
    const int *use;       /* (F) the filter has sites */
    const MotifSet *targets;
    const MotifMatch *matches; /* (F, top) */
} Report;

static int write_matches(const Report *r, const char *path, Error *err)
{
    FILE *f = out_open(path, err);
    if (!f)
        return -1;
    fputs("filter\trank\ttarget_id\ttarget_name\toffset\tstrand\toverlap\tscore\tp_value\tq_value\n", f);
    for (int k = 0; k < r->scan->F; k++)
        for (int i = 0; i < r->a->top; i++) {
            const MotifMatch *m = &r->matches[(size_t)k * r->a->top + i];
            if (m->target < 0)
                continue;
            const Motif *t = &r->targets->m[m->target];
            fprintf(f, "filter%d\t%d\t%s\t%s\t%d\t%c\t%d\t%.4f\t%.4g\t%.4g\n", k, i + 1, t->id,
                    t->name, m->align.offset, m->align.strand ? '-' : '+', m->align.overlap,
                    m->align.score, m->p, m->q);
        }
    return out_close(f, path, err);
}

static int write_filters(const Report *r, const char *path, Error *err)
{
    FILE *f = out_open(path, err);
    if (!f)
        return -1;
    fputs("filter\tsites\tic\tmax_activation\tthreshold\tbest_id\tbest_name\tbest_q_value\n", f);
    for (int k = 0; k < r->scan->F; k++) {
        const MotifMatch *m = &r->matches[(size_t)k * r->a->top];
        const Motif *t = m->target >= 0 ? &r->targets->m[m->target] : NULL;
        fprintf(f, "filter%d\t%.0f\t%.4f\t%.6g\t%.6g\t%s\t%s\t", k, r->scan->sites[k],
                r->use[k] ? motif_information(&r->filters[k]) : 0.0, r->scan->max[k],
                r->scan->max[k] > 0 ? r->scan->threshold[k] : 0.0, t ? t->id : "", t ? t->name : "");
        if (t)
            fprintf(f, "%.4g", m->q);
        fputc('\n', f);
    }
    return out_close(f, path, err);
}

/* The three files, filters.meme with the filters that have sites only. */
static int write_outputs(const Report *r, Error *err)
{
    const int F = r->scan->F;
    Motif *with_sites = xcalloc((size_t)F + 1, sizeof(Motif));
    int n = 0;
    for (int k = 0; k < F; k++)
        if (r->use[k])
            with_sites[n++] = r->filters[k]; /* a shallow copy: the arrays stay the filters' */
    char path[4200];
    snprintf(path, sizeof path, "%s/filters.meme", r->a->out);
    int rc = run_make_dir(r->a->out, err) || motif_write_meme(path, with_sites, n, r->scan->bg, err);
    snprintf(path, sizeof path, "%s/matches.tsv", r->a->out);
    rc = rc || write_matches(r, path, err);
    snprintf(path, sizeof path, "%s/filters.tsv", r->a->out);
    rc = rc || write_filters(r, path, err);
    free(with_sites);
    return rc ? -1 : 0;
}

/* ---- the command ---- */

/* The filters' motifs from the scan's counts (use[f]: it has sites). */
static Motif *build_filters(const FilterScan *s, int *use)
{
    Motif *m = xcalloc((size_t)s->F + 1, sizeof(Motif));
    for (int f = 0; f < s->F; f++) {
        char id[32], name[64];
        snprintf(id, sizeof id, "filter%d", f);
        motif_from_counts(&m[f], id, id, s->counts + (size_t)f * s->W * 4, s->W, s->sites[f]);
        snprintf(name, sizeof name, "IC=%.2f", motif_information(&m[f]));
        snprintf(m[f].name, sizeof m[f].name, "%s", name);
        use[f] = s->sites[f] > 0;
    }
    return m;
}

/* After the checkpoint and the data are loaded: scan, match, write. */
static int motifs_run(ParComm *c, const MotifsArgs *a, const Trained *t, const Layer *conv,
                      const InferInput *in, const MotifSet *targets, Error *err)
{
    double started = now_seconds();
    int64_t count = in->count; /* --max-seqs: the first N rows of the file */
    if (a->max_seqs > 0)
        count = in->first >= a->max_seqs ? 0 : a->max_seqs - in->first < count ? a->max_seqs - in->first : count;
    FilterScan scan;
    motifs_scan(c, conv, in->tokens, count, t->length, a->batch, a->threshold, &scan);
    int *use = xcalloc((size_t)scan.F + 1, sizeof(int));
    Motif *filters = build_filters(&scan, use);
    MotifMatch *matches = xcalloc((size_t)scan.F * a->top, sizeof *matches);
    motifs_match(c, filters, use, scan.F, targets, a->top, a->min_overlap, a->shuffles, 1, matches);
    Report r = {a, &scan, filters, use, targets, matches};
    int rc = par_root_verdict(c, par_rank(c) == 0 ? write_outputs(&r, err) : 0);
    if (rc == 0 && par_rank(c) == 0 && !a->quiet) {
        int with = 0;
        for (int f = 0; f < scan.F; f++)
            with += use[f];
        printf("gseq_mpi motifs: %d filters of width %d (%d with sites) from %lld sequences "
               "(%lld windows), %d motifs of %s, %d rank%s: wrote %s in %.1f s\n", scan.F, scan.W,
               with, (long long)scan.sequences, (long long)scan.windows, targets->n, a->motif_file,
               par_size(c), par_size(c) == 1 ? "" : "s", a->out, now_seconds() - started);
    }
    for (int f = 0; f < scan.F; f++)
        motif_free(&filters[f]);
    free(filters), free(use), free(matches);
    motifs_scan_free(&scan);
    return rc;
}

int cmd_motifs(int argc, char **argv)
{
    MotifsArgs a = {.threshold = 0.5, .top = 5, .shuffles = 1000, .min_overlap = 5, .batch = 64};
    int status;
    if (!read_options(&argc, &argv, &a, &status))
        return status;
    char motif_path[PATH_MAX + 64];
    if (!a.motif_file)
        a.motif_file = motif_default_file(motif_path, sizeof motif_path);
    ParComm *c = par_world();
    Error err = {{0}};
    kernels_set_threads(a.threads, par_node_size());
    MotifSet targets = {0};
    int root = par_rank(c) == 0;
    if (par_root_verdict(c, root ? check_out(a.out, &err) : 0) != 0 ||
        par_any_failed(c, motif_read_file(a.motif_file, &targets, &err), &err) != 0)
        return run_fail(c, &err, 1);
    Trained t;
    const Layer *conv = NULL;
    InferInput in;
    int rc = trained_load(c, a.checkpoint, 1, &t, &err), loaded = rc == 0;
    if (rc == 0 && (rc = motifs_first_conv(&t.model, a.checkpoint, &conv, &err)) == 0 &&
        (rc = infer_input_open(c, a.data, &t, t.padding, 0, NULL, &in, &err)) == 0) {
        rc = motifs_run(c, &a, &t, conv, &in, &targets, &err);
        infer_input_free(&in);
    }
    if (loaded)
        trained_free(&t);
    motif_set_free(&targets);
    if (rc != 0)
        return run_fail(c, &err, 1);
    par_finalize();
    return 0;
}
