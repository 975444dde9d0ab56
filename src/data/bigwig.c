/* bigwig.c: bigWig files through libBigWig (bigwig.h). The only file that calls libBigWig. bwInit
 * is called once, on the first open. libBigWig prints its own diagnostics on stderr ("[bwOpen]
 * ..."); the calls that read are made with stderr pointed at /dev/null, and the problem is reported
 * as one line naming the file. The chromosome table is genome.h's ChromTable.
 * Sums: the file's intervals of a stretch of a chromosome come in groups of blocks
 * (bwOverlappingIntervalsIterator); the windows are walked with two pointers against them, so
 * each interval is looked at once plus once per window it overlaps. A block that does not
 * decompress makes the iterator's first step come back empty with blocks to read, and a later
 * step NULL: both are errors here (libBigWig would otherwise give "no data", zeros).
 * libBigWig trusts the header's offsets and the chromosome tree's counts (a file cut short can
 * crash bwOpen), so they are checked against the file's size first (check_layout); a file damaged
 * inside its chromosome tree in a way that keeps them plausible is not caught. */
#include "data/bigwig.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bigWig.h>

#include "data/genome.h"

#define BLOCKS_PER_STEP 64             /* compressed blocks decoded per iterator step */
#define WALK_GAP ((int64_t)1 << 18)    /* windows further apart than this: another walk */

struct BigWig {
    bigWigFile_t *fp;
    char *path;
    ChromTable chroms;
};

struct BigWigWriter {
    bigWigFile_t *fp;
    char *path;
};

static int library_ready(Error *err)
{
    static int ready = 0;
    if (!ready && bwInit(1 << 17) != 0)
        return error_set(err, "libBigWig: bwInit failed");
    ready = 1;
    return 0;
}

/* stderr to /dev/null while libBigWig reads (its messages are not the user's), and back. */
static int quiet_begin(void)
{
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null >= 0)
        dup2(null, 2);
    if (null >= 0)
        close(null);
    return saved;
}

static void quiet_end(int saved)
{
    if (saved < 0)
        return;
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
}

static uint64_t le_bytes(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The bigWig header (64 bytes), its zoom headers (24 each) and the chromosome tree's header
 * (32) against the file's size: every offset inside the file, the tree's magic and sizes sane,
 * and the magic number again in the last 4 bytes. */
static int check_layout(FILE *f, const char *path, Error *err)
{
    unsigned char h[64], z[24], t[32];
    if (fseek(f, 0, SEEK_END) != 0)
        return error_set(err, "%s: cannot read: %s", path, strerror(errno));
    uint64_t size = (uint64_t)ftell(f);
    rewind(f);
    if (fread(h, 1, sizeof h, f) != sizeof h || le_bytes(h, 4) != BIGWIG_MAGIC)
        return error_set(err, "%s: not a bigWig file (or cannot be read)", path);
    const char *cut = "%s: a bigWig cut short or damaged: its %s points past the end (%llu bytes)";
    unsigned char tail[4]; /* the writers end the file with the magic again */
    if (fseek(f, -4, SEEK_END) != 0 || fread(tail, 1, 4, f) != 4 || le_bytes(tail, 4) != BIGWIG_MAGIC)
        return error_set(err, "%s: a bigWig cut short or damaged: it does not end with the bigWig "
                              "magic number (%llu bytes)", path, (unsigned long long)size);
    fseek(f, (long)sizeof h, SEEK_SET);
    uint64_t levels = le_bytes(h + 6, 2), offsets[4] = {le_bytes(h + 8, 8), le_bytes(h + 16, 8),
                                                        le_bytes(h + 24, 8), le_bytes(h + 44, 8)};
    static const char *const what[4] = {"chromosome tree", "data", "index", "summary"};
    for (int i = 0; i < 4; i++)
        if (offsets[i] >= size && !(i == 3 && offsets[i] == 0))
            return error_set(err, cut, path, what[i], (unsigned long long)size);
    for (uint64_t l = 0; l < levels; l++)
        if (fread(z, 1, sizeof z, f) != sizeof z || le_bytes(z + 8, 8) >= size ||
            le_bytes(z + 16, 8) >= size)
            return error_set(err, cut, path, "zoom level table", (unsigned long long)size);
    if (fseek(f, (long)offsets[0], SEEK_SET) != 0 || fread(t, 1, sizeof t, f) != sizeof t ||
        le_bytes(t, 4) != 0x78CA8C91u || le_bytes(t + 8, 4) > 255 || le_bytes(t + 12, 4) != 8 ||
        le_bytes(t + 16, 8) > size)
        return error_set(err, "%s: a bigWig whose chromosome tree is damaged", path);
    return 0;
}

BigWig *bigwig_open(const char *path, Error *err)
{
    if (library_ready(err) != 0)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_set(err, "%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
        return NULL;
    }
    int bad = check_layout(f, path, err);
    fclose(f);
    if (bad)
        return NULL;
    int q = quiet_begin();
    bigWigFile_t *fp = bwOpen(path, NULL, "r");
    quiet_end(q);
    if (!fp || fp->type != 0 || !fp->cl) {
        if (fp)
            bwClose(fp);
        error_set(err, "%s: not a bigWig file (or cannot be read)", path);
        return NULL;
    }
    BigWig *bw = xcalloc(1, sizeof *bw);
    bw->fp = fp;
    bw->path = xstrdup(path);
    chrom_table_init(&bw->chroms);
    for (int64_t i = 0; i < fp->cl->nKeys; i++)
        if (chrom_table_add(&bw->chroms, fp->cl->chrom[i], fp->cl->len[i]) < 0) {
            error_set(err, "%s: chromosome '%s' listed twice", path, fp->cl->chrom[i]);
            bigwig_close(bw);
            return NULL;
        }
    return bw;
}

void bigwig_close(BigWig *bw)
{
    if (!bw)
        return;
    if (bw->fp)
        bwClose(bw->fp);
    chrom_table_free(&bw->chroms);
    free(bw->path);
    free(bw);
}

const char *bigwig_path(const BigWig *bw) { return bw->path; }
int bigwig_count(const BigWig *bw) { return bw->chroms.n; }
const char *bigwig_name(const BigWig *bw, int i) { return bw->chroms.name[i]; }
int64_t bigwig_length(const BigWig *bw, int i) { return bw->chroms.length[i]; }
int bigwig_find(const BigWig *bw, const char *name) { return chrom_table_find(&bw->chroms, name); }

char *bigwig_target_name(const char *path)
{
    const char *base = strrchr(path, '/');
    char *name = xstrdup(base ? base + 1 : path);
    static const char *ext[] = {".bw", ".bigWig", ".bigwig", ".bigWIG", ".BW"};
    size_t n = strlen(name);
    for (size_t e = 0; e < sizeof ext / sizeof *ext; e++) {
        size_t k = strlen(ext[e]);
        if (n > k && strcmp(name + n - k, ext[e]) == 0) {
            name[n - k] = '\0';
            break;
        }
    }
    return name;
}

/* ---- sums ---- */

/* The walk of windows [w, z) against the intervals, in order. */
typedef struct {
    const int64_t *start, *end;
    double *sum;
    int64_t w, z;
    int64_t last; /* start of the last interval seen */
} Walk;

/* Adds interval [a, b) of value v to every window it overlaps; 1 if out of order. */
static int walk_interval(Walk *k, int64_t a, int64_t b, float v)
{
    if (a < k->last)
        return 1;
    k->last = a;
    while (k->w < k->z && k->end[k->w] <= a)
        k->w++;
    if (v != v) /* NaN: no data, 0 */
        return 0;
    for (int64_t j = k->w; j < k->z && k->start[j] < b; j++) {
        int64_t lo = a > k->start[j] ? a : k->start[j], hi = b < k->end[j] ? b : k->end[j];
        if (hi > lo)
            k->sum[j] += (double)v * (double)(hi - lo);
    }
    return 0;
}

/* One walk: the intervals of [lo, hi) of the chromosome against windows [w, z). */
static int walk_stretch(BigWig *bw, int chrom, int64_t lo, int64_t hi, Walk *k, Error *err)
{
    const char *name = bw->chroms.name[chrom];
    int q = quiet_begin();
    bwOverlapIterator_t *it = bwOverlappingIntervalsIterator(bw->fp, name, (uint32_t)lo,
                                                             (uint32_t)hi, BLOCKS_PER_STEP);
    if (it && !it->intervals && it->blocks && ((bwOverlapBlock_t *)it->blocks)->n > 0) {
        bwIteratorDestroy(it); /* blocks to read, none read: libBigWig's sign of an error */
        it = NULL;
    }
    int bad = 0;
    while (it && it->data && !bad) {
        const bwOverlappingIntervals_t *o = it->intervals;
        for (uint32_t i = 0; i < o->l && !bad; i++)
            bad = walk_interval(k, o->start[i], o->end[i], o->value[i]);
        if (!bad)
            it = bwIteratorNext(it);
    }
    quiet_end(q);
    if (!it) /* bwIteratorNext destroys it on error */
        return error_set(err, "%s: cannot read the intervals of %s:%lld-%lld (a damaged file?)",
                         bw->path, name, (long long)lo, (long long)hi);
    bwIteratorDestroy(it);
    if (bad)
        return error_set(err, "%s: the intervals of %s are not sorted (near %lld)", bw->path, name,
                         (long long)k->last);
    return 0;
}

int bigwig_sums(BigWig *bw, int chrom, int64_t n, const int64_t *start, const int64_t *end,
                double *sum, Error *err)
{
    for (int64_t i = 0; i < n; i++) {
        sum[i] = 0;
        if (start[i] < 0 || end[i] < start[i] || end[i] > UINT32_MAX ||
            (i && (start[i] < start[i - 1] || end[i] < end[i - 1])))
            return error_set(err, "%s: window %lld [%lld, %lld) out of order or range", bw->path,
                             (long long)i, (long long)start[i], (long long)end[i]);
    }
    for (int64_t w = 0; w < n;) {
        int64_t z = w + 1, hi = end[w];
        while (z < n && start[z] <= hi + WALK_GAP) {
            hi = end[z] > hi ? end[z] : hi;
            z++;
        }
        Walk k = {start, end, sum, w, z, 0};
        if (hi > start[w] && walk_stretch(bw, chrom, start[w], hi, &k, err) != 0)
            return -1;
        w = z;
    }
    return 0;
}

/* ---- writing ---- */

BigWigWriter *bigwig_create(const char *path, int n, const char *const *name,
                            const uint32_t *length, Error *err)
{
    if (library_ready(err) != 0)
        return NULL;
    bigWigFile_t *fp = bwOpen(path, NULL, "w");
    if (!fp) {
        error_set(err, "%s: cannot create: %s", path, strerror(errno ? errno : EIO));
        return NULL;
    }
    if (bwCreateHdr(fp, 10) != 0 || !(fp->cl = bwCreateChromList(name, length, n)) ||
        bwWriteHdr(fp) != 0) {
        bwClose(fp);
        error_set(err, "%s: cannot write the bigWig header", path);
        return NULL;
    }
    BigWigWriter *w = xcalloc(1, sizeof *w);
    w->fp = fp;
    w->path = xstrdup(path);
    return w;
}

int bigwig_add(BigWigWriter *w, const char *name, uint32_t n, const uint32_t *start,
               const uint32_t *end, const float *value, Error *err)
{
    if (n == 0)
        return 0;
    const char **names = xmalloc(n, sizeof *names);
    for (uint32_t i = 0; i < n; i++)
        names[i] = name;
    int rc = bwAddIntervals(w->fp, names, start, end, value, n);
    free(names);
    if (rc != 0)
        return error_set(err, "%s: cannot add %u intervals of %s (unknown chromosome, or not "
                              "sorted)", w->path, n, name);
    return 0;
}

int bigwig_finish(BigWigWriter *w, Error *err)
{
    bwClose(w->fp);
    int rc = access(w->path, F_OK) == 0 ? 0 : error_set(err, "%s: not written", w->path);
    free(w->path);
    free(w);
    return rc;
}
