/* cmd_convert_genome.c: `gseq_mpi convert --genome`: the checks between the genome options, the
 * lists of targets (--peaks NAME=FILE, --peaks FILE named after the file, --targets-file; the
 * same for bigWig tracks: --bigwig, --bigwig-file), the chromosome list, the MPI between the
 * steps of a conversion over ranks (agreed errors, the counts summed, rank 0's merge) and the log
 * of what the conversion did (data/converter.h does the work). */
#include "cli/cmd_convert_genome.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "data/bed.h"
#include "data/bigwig.h"
#include "data/genome.h"

int genome_check_args(const GenomeArgs *ga, Error *err)
{
    int peaks = ga->peaks.n || ga->targets_file, tracks = ga->bigwig.n || ga->bigwig_file;
    if (!ga->genome) {
        const char *flag = ga->peaks.n ? "--peaks" : ga->targets_file ? "--targets-file" :
                           ga->bigwig.n ? "--bigwig" : ga->bigwig_file ? "--bigwig-file" :
                           ga->signal_window ? "--signal-window" :
                           ga->regions ? "--regions" : ga->blacklist ? "--blacklist" :
                           ga->chroms ? "--chroms" : ga->oracle ? "--oracle" : NULL;
        if (flag)
            return error_set(err, "%s needs --genome FASTA", flag);
        return 0;
    }
    if (!peaks && !tracks)
        return error_set(err, "--genome needs --peaks NAME=FILE (or --targets-file TSV), or "
                              "--bigwig NAME=FILE (or --bigwig-file TSV)");
    if (ga->signal_window && !tracks)
        return error_set(err, "--signal-window needs --bigwig NAME=FILE (the signal to average)");
    if (tracks && !peaks && (ga->negatives >= 0 || ga->gc_match))
        return error_set(err, "--%s draws negatives against peaks: give --peaks, or leave it out "
                              "(with --bigwig alone every bin is an example)",
                         ga->gc_match ? "gc-match" : "negatives");
    if (ga->regions && peaks && tracks)
        return error_set(err, "--regions with --bigwig: every region is an example, labelled by "
                              "the signal; leave out --peaks (they choose bins only)");
    if (ga->regions && (ga->negatives >= 0 || ga->gc_match))
        return error_set(err, "--%s applies to bins, not to --regions (every region is an "
                              "example)", ga->gc_match ? "gc-match" : "negatives");
    return 0;
}

/* The targets being collected. */
typedef struct {
    int n, cap;
    char **name, **path;
} Targets;

static int targets_add(Targets *t, const char *name, const char *path, const char *where,
                       Error *err)
{
    if (!*name || !*path)
        return error_set(err, "%s: expected NAME=FILE or FILE, got '%s=%s'", where, name, path);
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->name[i], name) == 0)
            return error_set(err, "%s: target '%s' given twice (%s and %s)", where, name,
                             t->path[i], path);
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        char **nm = xmalloc((size_t)t->cap, sizeof *nm), **pa = xmalloc((size_t)t->cap, sizeof *pa);
        if (t->n) {
            memcpy(nm, t->name, (size_t)t->n * sizeof *nm);
            memcpy(pa, t->path, (size_t)t->n * sizeof *pa);
        }
        free(t->name);
        free(t->path);
        t->name = nm;
        t->path = pa;
    }
    t->name[t->n] = xmalloc(strlen(name) + 1, 1);
    strcpy(t->name[t->n], name);
    t->path[t->n] = xmalloc(strlen(path) + 1, 1);
    strcpy(t->path[t->n], path);
    t->n++;
    return 0;
}

static void targets_free(Targets *t)
{
    for (int i = 0; i < t->n; i++) {
        free(t->name[i]);
        free(t->path[i]);
    }
    free(t->name);
    free(t->path);
}

/* --peaks (--bigwig) NAME=FILE or FILE (named after the file, by name_of; a '=' after a '/' is
 * part of the path). */
static int add_named_option(Targets *t, const char *flag, const char *item,
                            char *(*name_of)(const char *), Error *err)
{
    const char *eq = strchr(item, '='), *slash = strchr(item, '/');
    if (eq && (!slash || eq < slash)) {
        char *name = xmalloc((size_t)(eq - item) + 1, 1);
        memcpy(name, item, (size_t)(eq - item));
        name[eq - item] = '\0';
        int rc = targets_add(t, name, eq + 1, flag, err);
        free(name);
        return rc;
    }
    char *name = name_of(item);
    int rc = targets_add(t, name, item, flag, err);
    free(name);
    return rc;
}

/* A line "name<TAB>path" of a targets file (of `what` files); a relative path is taken from the
 * TSV's folder. */
static int add_targets_line(Targets *t, const char *tsv, const char *what, int64_t lineno,
                            char *line, Error *err)
{
    char *tab = strchr(line, '\t'), where[600];
    snprintf(where, sizeof where, "%s line %lld", tsv, (long long)lineno);
    if (!tab || !tab[1] || tab == line)
        return error_set(err, "%s: expected 'name<TAB>%s'", where, what);
    *tab = '\0';
    const char *path = tab + 1, *slash = strrchr(tsv, '/');
    if (path[0] == '/' || !slash)
        return targets_add(t, line, path, where, err);
    size_t dl = (size_t)(slash - tsv) + 1;
    char *full = xmalloc(dl + strlen(path) + 1, 1);
    memcpy(full, tsv, dl);
    strcpy(full + dl, path);
    int rc = targets_add(t, line, full, where, err);
    free(full);
    return rc;
}

/* The targets file of option `flag`, lines "name<TAB>`what`". */
static int read_targets_file(Targets *t, const char *flag, const char *tsv, const char *what,
                             Error *err)
{
    FILE *f = fopen(tsv, "r");
    if (!f)
        return error_set(err, "%s %s: cannot open", flag, tsv);
    char line[8192];
    int64_t lineno = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len && line[0] != '#')
            rc = add_targets_line(t, tsv, what, lineno, line, err);
    }
    if (rc == 0 && ferror(f))
        rc = error_set(err, "%s: read error near line %lld", tsv, (long long)lineno);
    fclose(f);
    if (rc == 0 && t->n == 0)
        rc = error_set(err, "%s: no target (expected lines 'name<TAB>%s')", tsv, what);
    return rc;
}

/* --chroms A,B,...: the names, malloc'd in one copy of the text (*copy). */
static int split_chroms(const char *text, char **copy, char ***names, int *n, Error *err)
{
    *copy = xmalloc(strlen(text) + 1, 1);
    strcpy(*copy, text);
    *names = xmalloc(strlen(text) / 2 + 2, sizeof **names);
    *n = 0;
    for (char *p = *copy;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p)
            return error_set(err, "--chroms '%s': an empty name (expected A,B,...)", text);
        (*names)[(*n)++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

static void percent(char *buf, size_t len, double f) { snprintf(buf, len, "%g%%", f * 100); }

/* The first lines of the log: what was read, the rows written and what was left out. */
static void print_counts(const GenomeArgs *ga, const Targets *t, const Targets *tracks,
                         const GenomeReport *r)
{
    char nfrac[32];
    percent(nfrac, sizeof nfrac, ga->max_n);
    const char *unit = ga->regions ? "regions" : "bins";
    fprintf(stderr, "convert: %s: %lld chromosomes, %lld %s; %d targets", ga->genome,
            (long long)r->chroms, (long long)r->bins, unit, tracks->n ? tracks->n : t->n);
    if (tracks->n)
        fprintf(stderr, " (bigWig signal over %d bp)", ga->signal_window);
    if (tracks->n && t->n)
        fprintf(stderr, ", the bins chosen by %d peak files", t->n);
    fputc('\n', stderr);
    if (t->n == 0)
        fprintf(stderr, "convert: wrote %lld rows: every %s not left out\n",
                (long long)(r->positives + r->negatives), ga->regions ? "region" : "bin");
    else
        fprintf(stderr, "convert: wrote %lld rows: %lld positive for a %s, %lld %s\n",
                (long long)(r->positives + r->negatives), (long long)r->positives,
                tracks->n ? "peak file" : "target", (long long)r->negatives,
                ga->regions ? "positive for none" : "negatives drawn");
    for (int p = t->n ? 0 : 1; p < 2; p++) {
        const int64_t *left = p ? r->neg_left : r->pos_left;
        fprintf(stderr, "convert: left out of the %s%s: %lld overlapping the blacklist, %lld "
                        "with a window past a chromosome end, %lld with more than %s N\n",
                t->n == 0 ? "" : p ? "other " : "positive ", unit, (long long)left[0],
                (long long)left[1], (long long)left[2], nfrac);
    }
}

/* What the conversion did, on stderr: counts, what was left out and why, empty targets. */
static void print_log(const GenomeArgs *ga, const char *out, const Targets *t,
                      const Targets *tracks, const GenomeReport *r, int ranks, double sec)
{
    const char *unit = ga->regions ? "regions" : "bins";
    print_counts(ga, t, tracks, r);
    if (r->neg_short)
        fprintf(stderr, "convert: %lld negatives short: the chromosome%s had too few\n",
                (long long)r->neg_short, ga->gc_match ? " (GC bin)" : "");
    if (ga->skip_unknown)
        fprintf(stderr, "convert: skipped %lld BED lines on chromosomes not in the genome\n",
                (long long)r->skipped_lines);
    for (int k = 0; k < t->n; k++)
        if (r->target_pos[k] == 0)
            fprintf(stderr, "convert: warning: target %s (%s): %s\n", t->name[k], t->path[k],
                    r->peaks[k] ? "no positive row" : "no peaks (an empty peak file)");
    fprintf(stderr, "convert: wrote %s in %.2f s (%.0f %s/s, %d rank%s)\n", out, sec,
            (double)r->bins / (sec + 1e-9), unit, ranks, ranks > 1 ? "s" : "");
}

/* Every rank's counts summed onto every rank; the peaks and skipped lines (of the inputs, which
 * every rank read) stay as they are. */
static void report_sum(ParComm *c, GenomeReport *r, int K)
{
    int64_t *f[] = {&r->chroms, &r->bins, &r->positives, &r->negatives, &r->pos_left[0],
                    &r->pos_left[1], &r->pos_left[2], &r->neg_left[0], &r->neg_left[1],
                    &r->neg_left[2], &r->neg_short};
    const int F = (int)(sizeof f / sizeof *f);
    int64_t *buf = xmalloc((size_t)(F + K), sizeof *buf);
    for (int i = 0; i < F; i++)
        buf[i] = *f[i];
    memcpy(buf + F, r->target_pos, (size_t)K * sizeof *buf);
    par_allreduce_sum_i64(c, buf, (size_t)(F + K));
    for (int i = 0; i < F; i++)
        *f[i] = buf[i];
    memcpy(r->target_pos, buf + F, (size_t)K * sizeof *buf);
    free(buf);
}

/* The genome opened once by rank 0 alone, so that a missing index is built by one process. */
static int index_genome(const char *path, Error *err)
{
    Genome *g = genome_open(path, err);
    genome_close(g);
    return g ? 0 : -1;
}

/* A rank other than 0: its chromosomes into their parts, each announced to rank 0 with its rows;
 * stops when another rank has failed. */
static int convert_parts(ParComm *c, GenomeJob *j, ParAlarm *alarm, Error *err)
{
    for (int k = 0; k < genome_job_chroms(j); k++) {
        int64_t rows;
        if (genome_job_owner(j, k) != par_rank(c))
            continue;
        if (par_alarm_heard(alarm))
            return 0;
        if (genome_job_chrom(j, k, &rows, err) != 0)
            return -1;
        par_alarm_send_ready(alarm, 0, rows);
    }
    return 0;
}

/* Rank 0: its chromosomes (the first ones) into the output, then the others' parts in FASTA
 * order, each as it is ready; stops when another rank has failed. */
static int convert_output(GenomeJob *j, ParAlarm *alarm, Error *err)
{
    if (genome_job_begin(j, err) != 0)
        return -1;
    for (int k = 0; k < genome_job_chroms(j); k++) {
        int64_t rows;
        int o = genome_job_owner(j, k);
        if (o == 0 && par_alarm_heard(alarm))
            return 0;
        if (o == 0 && genome_job_chrom(j, k, &rows, err) != 0)
            return -1;
        if (o > 0 && par_alarm_wait_ready(alarm, o, &rows) != 0)
            return 0;
        if (o > 0 && genome_job_take(j, k, rows, err) != 0)
            return -1;
    }
    return genome_job_end(j, err);
}

/* convert_genome over the ranks of c: the same deal on every rank, rank 0 writing the output as
 * the others' chromosomes are ready; a failing rank stops the others at their next chromosome. */
static int convert_over_ranks(ParComm *c, const ConvertSettings *s, const GenomeSettings *g,
                              GenomeReport *rep, Error *err)
{
    const int root = par_rank(c) == 0;
    if (par_root_verdict(c, root ? index_genome(g->genome, err) : 0) != 0)
        return -1;
    GenomeJob *j = genome_job_open(s, g, par_rank(c), par_size(c), rep, err);
    if (par_any_failed(c, j ? 0 : -1, err) != 0) {
        genome_job_close(j);
        return -1;
    }
    ParAlarm *alarm = par_alarm_create(c);
    int rc = root ? convert_output(j, alarm, err) : convert_parts(c, j, alarm, err);
    if (rc != 0)
        par_alarm_raise(alarm);
    rc = par_alarm_settle(alarm, rc, err);
    if (rc == 0)
        report_sum(c, rep, g->targets);
    genome_job_close(j); /* every rank is past rank 0's reading: the parts left can go */
    return rc;
}

/* The peak targets (t) and the bigWig tracks (tracks) the options name. */
static int collect_targets(const GenomeArgs *ga, Targets *t, Targets *tracks, Error *err)
{
    int rc = 0;
    for (int i = 0; i < ga->peaks.n && rc == 0; i++)
        rc = add_named_option(t, "--peaks", ga->peaks.item[i], bed_target_name, err);
    if (rc == 0 && ga->targets_file)
        rc = read_targets_file(t, "--targets-file", ga->targets_file, "peak file", err);
    for (int i = 0; i < ga->bigwig.n && rc == 0; i++)
        rc = add_named_option(tracks, "--bigwig", ga->bigwig.item[i], bigwig_target_name, err);
    if (rc == 0 && ga->bigwig_file)
        rc = read_targets_file(tracks, "--bigwig-file", ga->bigwig_file, "bigWig", err);
    return rc;
}

int convert_genome_command(ParComm *c, const ConvertSettings *s, const GenomeArgs *ga_in,
                           Error *err)
{
    Targets t = {0}, tracks = {0};
    char *copy = NULL, **chroms = NULL;
    int nchroms = 0;
    GenomeArgs args = *ga_in, *ga = &args;
    if (!ga->signal_window)
        ga->signal_window = ga->bin;
    int rc = collect_targets(ga, &t, &tracks, err);
    if (rc == 0 && ga->chroms)
        rc = split_chroms(ga->chroms, &copy, &chroms, &nchroms, err);
    GenomeSettings g = {.genome = ga->genome, .targets = t.n,
                        .target_name = (const char *const *)t.name,
                        .peak_path = (const char *const *)t.path, .regions = ga->regions,
                        .blacklist = ga->blacklist, .nchroms = nchroms,
                        .chroms = (const char *const *)chroms, .bin = ga->bin,
                        .window = ga->window, .min_overlap = ga->min_overlap,
                        .negatives = ga->negatives < 0 ? 1.0 : ga->negatives,
                        .gc_match = ga->gc_match, .max_n = ga->max_n,
                        .skip_unknown = ga->skip_unknown, .seed = (uint64_t)ga->seed,
                        .tracks = tracks.n, .track_name = (const char *const *)tracks.name,
                        .track_path = (const char *const *)tracks.path,
                        .signal_window = ga->signal_window, .oracle = ga->oracle};
    GenomeReport rep = {0};
    double t0 = now_seconds();
    const int ranks = c ? par_size(c) : 1;
    if (ranks > 1)
        rc = par_any_failed(c, rc, err);
    if (rc == 0)
        rc = ranks > 1 ? convert_over_ranks(c, s, &g, &rep, err) : convert_genome(s, &g, &rep, err);
    if (rc == 0 && (!c || par_rank(c) == 0))
        print_log(ga, s->out, &t, &tracks, &rep, ranks, now_seconds() - t0);
    genome_report_free(&rep);
    targets_free(&t);
    targets_free(&tracks);
    free(copy);
    free(chroms);
    return rc;
}
