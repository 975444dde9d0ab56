/* bedgraph_to_bigwig.c: writes a bigWig from a bedGraph text, for the tests and benchmarks of
 * `convert --genome --bigwig` (tests/test_bigwig.sh, tools/bench_genome.sh), so that they need no
 * UCSC tool or Python package. Arguments as UCSC's bedGraphToBigWig:
 *     build/bedgraph_to_bigwig IN.bedGraph CHROM.sizes OUT.bw
 * CHROM.sizes: "name<TAB>length" lines, the file's chromosome order. IN.bedGraph: "chrom start end
 * value" lines (tabs or spaces; a value may be nan), each chromosome's lines together, sorted, in
 * the order of CHROM.sizes. Writes through the library's bigwig.h (libBigWig). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "data/bigwig.h"

typedef struct {
    int n, cap;
    char **name;
    uint32_t *length;
} Sizes;

static int read_sizes(const char *path, Sizes *s)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fprintf(stderr, "%s: cannot open\n", path), -1;
    char name[1024];
    unsigned long len;
    while (fscanf(f, "%1023s %lu", name, &len) == 2) {
        if (s->n == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 64;
            s->name = realloc(s->name, (size_t)s->cap * sizeof *s->name);
            s->length = realloc(s->length, (size_t)s->cap * sizeof *s->length);
            if (!s->name || !s->length)
                return fprintf(stderr, "out of memory\n"), -1;
        }
        s->name[s->n] = strdup(name);
        s->length[s->n++] = (uint32_t)len;
    }
    fclose(f);
    return s->n ? 0 : (fprintf(stderr, "%s: no 'name length' line\n", path), -1);
}

/* The intervals of one chromosome, gathered before they are added. */
typedef struct {
    char chrom[1024];
    uint32_t n, cap, *start, *end;
    float *value;
} Run;

static int run_flush(BigWigWriter *w, Run *r)
{
    Error err = {{0}};
    if (r->n && bigwig_add(w, r->chrom, r->n, r->start, r->end, r->value, &err) != 0)
        return fprintf(stderr, "%s\n", err.msg), -1;
    r->n = 0;
    return 0;
}

static void run_push(Run *r, uint32_t s, uint32_t e, float v)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 4096;
        r->start = realloc(r->start, r->cap * sizeof *r->start);
        r->end = realloc(r->end, r->cap * sizeof *r->end);
        r->value = realloc(r->value, r->cap * sizeof *r->value);
        if (!r->start || !r->end || !r->value) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    r->start[r->n] = s;
    r->end[r->n] = e;
    r->value[r->n++] = v;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s IN.bedGraph CHROM.sizes OUT.bw\n", argv[0]);
        return 2;
    }
    Sizes s = {0};
    if (read_sizes(argv[2], &s) != 0)
        return 1;
    FILE *f = fopen(argv[1], "r");
    if (!f)
        return fprintf(stderr, "%s: cannot open\n", argv[1]), 1;
    Error err = {{0}};
    BigWigWriter *w = bigwig_create(argv[3], s.n, (const char *const *)s.name, s.length, &err);
    if (!w)
        return fprintf(stderr, "%s\n", err.msg), 1;
    Run r = {.n = 0};
    char chrom[1024], val[64];
    unsigned long a, b;
    int rc = 0;
    while (rc == 0 && fscanf(f, "%1023s %lu %lu %63s", chrom, &a, &b, val) == 4) {
        if (strcmp(chrom, r.chrom) != 0) {
            rc = run_flush(w, &r);
            snprintf(r.chrom, sizeof r.chrom, "%s", chrom);
        }
        run_push(&r, (uint32_t)a, (uint32_t)b, strtof(val, NULL));
    }
    fclose(f);
    if (rc == 0)
        rc = run_flush(w, &r);
    if (bigwig_finish(w, &err) != 0 && rc == 0) {
        fprintf(stderr, "%s\n", err.msg);
        rc = -1;
    }
    free(r.start);
    free(r.end);
    free(r.value);
    for (int i = 0; i < s.n; i++)
        free(s.name[i]);
    free(s.name);
    free(s.length);
    return rc == 0 ? 0 : 1;
}
