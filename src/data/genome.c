/* genome.c: the reference genome through htslib's faidx (genome.h). The only file that calls
 * htslib: it tells plain, gzip and bgzip FASTA apart (bgzf_compression), builds a missing `.fai`
 * (fai_build3) after a scan of the headers that refuses duplicate names (faidx would drop them
 * with a warning), and fetches chromosomes as tokens. htslib's own log is switched off so that a
 * user sees one line per problem. Chromosome names are looked up in a ChromTable (chrom_table.h). */
#include "data/genome.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <htslib/bgzf.h>
#include <htslib/faidx.h>
#include <htslib/hts_log.h>
#include <htslib/kstring.h>

#include "data/dataset.h"

struct Genome {
    faidx_t *fai;
    char *path;
    ChromTable chroms;
};

/* ---- opening ---- */

static int file_exists(const char *p) { return access(p, F_OK) == 0; }

/* 0 plain, 1 gzip, 2 bgzip; -1 if it does not open. */
static int compression_of(const char *path, Error *err)
{
    BGZF *fp = bgzf_open(path, "r");
    if (!fp)
        return error_set(err, "%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
    int c = bgzf_compression(fp);
    if (bgzf_close(fp) != 0)
        return error_set(err, "%s: cannot read", path);
    return c == 1 ? 1 : c == 2 ? 2 : 0;
}

/* The header lines: FASTA at all, and no chromosome name twice (faidx would keep the first). */
static int scan_headers(const char *path, Error *err)
{
    BGZF *fp = bgzf_open(path, "r");
    if (!fp)
        return error_set(err, "%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
    kstring_t line = {0, 0, NULL};
    ChromTable seen;
    chrom_table_init(&seen);
    int64_t *first = NULL, lineno = 0, cap = 0;
    int rc = 0, any = 0, got = -1;
    while (rc == 0 && (got = bgzf_getline(fp, '\n', &line)) >= 0) {
        lineno++;
        if (!any && line.l == 0)
            continue;
        if (!any && line.s[0] != '>')
            rc = error_set(err, "%s line %lld: not FASTA (expected a '>name' header line)", path,
                           (long long)lineno);
        any = 1;
        if (rc || line.s[0] != '>')
            continue;
        size_t w = strcspn(line.s + 1, " \t\r");
        line.s[1 + w] = '\0';
        int i = chrom_table_add(&seen, line.s + 1, 0);
        if (i < 0) {
            int j = chrom_table_find(&seen, line.s + 1);
            rc = error_set(err, "%s line %lld: duplicate chromosome name '%s' (first on line %lld)",
                           path, (long long)lineno, line.s + 1, (long long)first[j]);
        } else {
            if (i >= cap) {
                cap = cap ? cap * 2 : 64;
                int64_t *f2 = xmalloc((size_t)cap, sizeof *f2);
                if (i)
                    memcpy(f2, first, (size_t)i * sizeof *f2);
                free(first);
                first = f2;
            }
            first[i] = lineno;
        }
    }
    if (rc == 0 && got < -1)
        rc = error_set(err, "%s: damaged or truncated compressed data near line %lld", path,
                       (long long)lineno);
    if (rc == 0 && seen.n == 0)
        rc = error_set(err, "%s: no FASTA record (expected '>name' lines)", path);
    free(first);
    free(line.s);
    chrom_table_free(&seen);
    bgzf_close(fp);
    return rc;
}

/* The folder of path is writable (where the index goes). */
static int folder_writable(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int ok = access(slash ? dir : ".", W_OK) == 0;
    free(dir);
    return ok;
}

/* Builds the missing .fai (and .gzi for bgzip) after checking the headers. */
static int build_index(const char *path, int bgzip, Error *err)
{
    if (!folder_writable(path))
        return error_set(err, "%s: no index %s.fai%s and its folder is not writable: index it "
                              "with `samtools faidx %s`", path, path, bgzip ? " (.gzi)" : "", path);
    if (scan_headers(path, err) != 0)
        return -1;
    if (fai_build3(path, NULL, NULL) != 0)
        return error_set(err, "%s: cannot index it (htslib's fai_build failed: lines of unequal "
                              "width inside a record, or an unreadable file); `samtools faidx %s` "
                              "says which line", path, path);
    return 0;
}

/* Lines of an existing .fai: more than faidx kept means duplicate names. */
static int check_index_lines(const char *path, int kept, Error *err)
{
    char *fai = xmalloc(strlen(path) + 5, 1);
    sprintf(fai, "%s.fai", path);
    FILE *f = fopen(fai, "r");
    if (!f) {
        error_set(err, "%s: cannot open: %s", fai, strerror(errno));
        free(fai);
        return -1;
    }
    int64_t lines = 0;
    int c, last = '\n';
    while ((c = getc(f)) != EOF) {
        lines += c == '\n';
        last = c;
    }
    lines += last != '\n';
    fclose(f);
    free(fai);
    if (lines != kept)
        return scan_headers(path, err) != 0 ? -1 :
               error_set(err, "%s.fai: %lld lines for %d chromosomes (duplicate names; rebuild it "
                              "with `samtools faidx %s`)", path, (long long)lines, kept, path);
    return 0;
}

/* An index older than its FASTA, which can be rebuilt (else it is used: a wrong one shows as a
 * failed fetch naming the stale index). */
static int index_stale(const char *path, const char *fai)
{
    struct stat a, b;
    return stat(path, &a) == 0 && stat(fai, &b) == 0 && a.st_mtime > b.st_mtime &&
           folder_writable(path);
}

/* Opens the index (building it when missing or stale) and fills the chromosome table. */
static int genome_load(Genome *g, int bgzip, Error *err)
{
    const char *p = g->path;
    char *gzi = xmalloc(strlen(p) + 5, 1), *fai = xmalloc(strlen(p) + 5, 1);
    sprintf(gzi, "%s.gzi", p);
    sprintf(fai, "%s.fai", p);
    int built = !file_exists(fai) || (bgzip && !file_exists(gzi)) || index_stale(p, fai);
    free(gzi);
    free(fai);
    if (built && build_index(p, bgzip, err) != 0)
        return -1;
    g->fai = fai_load3(p, NULL, NULL, 0);
    if (!g->fai)
        return error_set(err, "%s: cannot load its index %s.fai (rebuild it with `samtools "
                              "faidx %s`)", p, p, p);
    int n = faidx_nseq(g->fai);
    if (n < 1)
        return error_set(err, "%s: no FASTA record (expected '>name' lines)", p);
    if (!built && check_index_lines(p, n, err) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const char *name = faidx_iseq(g->fai, i);
        int len = faidx_seq_len(g->fai, name);
        if (len < 0 || chrom_table_add(&g->chroms, name, len) < 0)
            return error_set(err, "%s: chromosome '%s': duplicate name or no length in the index",
                             p, name);
    }
    return 0;
}

Genome *genome_open(const char *path, Error *err)
{
    hts_set_log_level(HTS_LOG_OFF);
    errno = 0;
    int c = compression_of(path, err);
    if (c < 0)
        return NULL;
    if (c == 1) {
        size_t n = strlen(path);
        int gz = n > 3 && strcmp(path + n - 3, ".gz") == 0;
        error_set(err, "%s: plain gzip, which cannot be indexed: recompress it with bgzip "
                       "(`%s %s%s %.*s%s`)", path, gz ? "gunzip" : "zcat", path,
                  gz ? " && bgzip" : " | bgzip >", (int)(gz ? n - 3 : n), path, gz ? "" : ".bgz");
        return NULL;
    }
    Genome *g = xcalloc(1, sizeof *g);
    g->path = xstrdup(path);
    chrom_table_init(&g->chroms);
    if (genome_load(g, c == 2, err) != 0) {
        genome_close(g);
        return NULL;
    }
    return g;
}

void genome_close(Genome *g)
{
    if (!g)
        return;
    if (g->fai)
        fai_destroy(g->fai);
    chrom_table_free(&g->chroms);
    free(g->path);
    free(g);
}

const char *genome_path(const Genome *g) { return g->path; }
int genome_count(const Genome *g) { return g->chroms.n; }
const char *genome_name(const Genome *g, int i) { return g->chroms.name[i]; }
int64_t genome_length(const Genome *g, int i) { return g->chroms.length[i]; }
int genome_find(const Genome *g, const char *name) { return chrom_table_find(&g->chroms, name); }
const ChromTable *genome_chroms(const Genome *g) { return &g->chroms; }

uint8_t *genome_fetch(const Genome *g, int i, int64_t start, int64_t end, int64_t *len,
                      Error *err)
{
    static signed char map[256];
    if (!map['A'])
        for (int c = 0; c < 256; c++)
            map[c] = (signed char)(token_of_base(c) > 0 ? token_of_base(c) : -1);
    const char *name = genome_name(g, i);
    hts_pos_t got = 0;
    char *s = faidx_fetch_seq64(g->fai, name, start, end - 1, &got);
    if (!s || got != end - start) {
        free(s);
        error_set(err, "%s: cannot read %s:%lld-%lld (%lld bases read; a damaged file or a "
                       "stale index: rebuild it with `samtools faidx %s`)", g->path, name,
                  (long long)start, (long long)end, (long long)got, g->path);
        return NULL;
    }
    uint8_t *t = (uint8_t *)s;
    for (int64_t j = 0; j < got; j++) {
        int v = map[(uint8_t)s[j]];
        if (v < 0) {
            error_set(err, "%s: %s position %lld: '%c' is not a base (expected A C G T, N or "
                           "another IUPAC code)", g->path, name, (long long)(start + j), s[j]);
            free(s);
            return NULL;
        }
        t[j] = (uint8_t)v;
    }
    *len = got;
    return t;
}
