/* test_genome.c: the readers behind `convert --genome` (issue 17): the chromosome table, BED,
 * narrowPeak and broadPeak (plain and gzip, every bad-line message), merging and the per-chromosome
 * index, target names from file names, the genome FASTA through htslib (index built, soft-masking
 * and IUPAC codes, plain gzip and duplicate names refused), rtracklayer's real demo.narrowPeak.gz
 * when installed, and the coordinate datasets (/chrom, /start, /end, /strand) of the data file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/bed.h"
#include "data/convert.h"
#include "data/converter.h"
#include "data/dataset.h"
#include "data/genome.h"
#include "data/h5io.h"
#include "data_fixtures.h"

#define assert_contains(text, part)                                                                \
    do {                                                                                           \
        if (!strstr((text), (part))) {                                                             \
            print_error("expected \"%s\" in \"%s\"\n", (part), (text));                            \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

static void test_chrom_table(void **state)
{
    (void)state;
    ChromTable t;
    chrom_table_init(&t);
    assert_int_equal(chrom_table_find(&t, "chr1"), -1);
    char name[32];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "chr%d", i);
        assert_int_equal(chrom_table_add(&t, name, 1000 + i), i);
    }
    assert_int_equal(chrom_table_add(&t, "chr7", 5), -1);
    assert_int_equal(chrom_table_find(&t, "chr299"), 299);
    assert_int_equal(t.length[42], 1042);
    assert_int_equal(chrom_table_find(&t, "chrX"), -1);
    chrom_table_free(&t);
}

static void small_table(ChromTable *t)
{
    chrom_table_init(t);
    chrom_table_add(t, "chr1", 1000);
    chrom_table_add(t, "chr2", 500);
}

static void test_bed_read(void **state)
{
    (void)state;
    ChromTable t;
    small_table(&t);
    Error err;
    const char *p = fx_path("a.bed");
    fx_write_text(p, "track name=x\nbrowser hide\n# c\n\nchr2\t10\t20\tn\t0\t-\textra\n"
                     "chr1 100 200\nchr1\t150\t300\nchr1\t300\t310\nchr1\t400\t450\tn\t0\tx\n");
    BedSet s = {0};
    assert_int_equal(bed_read(p, &t, 0, &s, &err), 0);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.iv[0].chrom, 1);
    assert_int_equal(s.iv[0].strand, '-');
    assert_int_equal(s.iv[4].strand, '.');
    assert_int_equal(s.stranded, 1);
    bed_merge(&s); /* [100, 310) touches: merged; [400, 450); chr2 [10, 20) */
    assert_int_equal(s.n, 3);
    assert_int_equal(s.iv[0].start, 100);
    assert_int_equal(s.iv[0].end, 310);
    assert_int_equal(s.iv[2].chrom, 1);
    int64_t first[3];
    bed_index(&s, 2, first);
    assert_int_equal(first[0], 0);
    assert_int_equal(first[1], 2);
    assert_int_equal(first[2], 3);
    bed_free(&s);
    const char *gz = fx_path("b.narrowPeak.gz");
    const char *np = "chr1\t5\t50\t.\t0\t+\t1.5\t2e3\t-1\t10\n";
    fx_write_gzip(gz, np, strlen(np));
    assert_int_equal(bed_read(gz, &t, 0, &s, &err), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.iv[0].strand, '+');
    bed_free(&s);
    chrom_table_free(&t);
}

/* One bad line: the message holds every part. */
static void bad_bed(const ChromTable *t, const char *name, const char *text, const char *a,
                    const char *b)
{
    Error err = {{0}};
    const char *p = fx_path(name);
    fx_write_text(p, text);
    BedSet s = {0};
    assert_int_equal(bed_read(p, t, 0, &s, &err), -1);
    assert_contains(err.msg, p);
    assert_contains(err.msg, a);
    assert_contains(err.msg, b);
    bed_free(&s);
}

static void test_bed_errors(void **state)
{
    (void)state;
    ChromTable t;
    small_table(&t);
    bad_bed(&t, "u.bed", "chr1\t1\t2\nchrZ\t1\t2\n", "line 2", "'chrZ' is not in the genome");
    bad_bed(&t, "e.bed", "chr1\t5\t5\n", "line 1", "start 5 >= end 5");
    bad_bed(&t, "n.bed", "chr1\t-1\t5\n", "line 1", "negative coordinate -1");
    bad_bed(&t, "p.bed", "chr2\t5\t501\n", "line 1", "past the end of chr2 (500 bp)");
    bad_bed(&t, "c.bed", "chr2\t5\n", "line 1", "2 columns, expected at least 3");
    bad_bed(&t, "t.bed", "chr1\tfive\tsix\n", "line 1", "is not BED");
    bad_bed(&t, "x.bed", "chr1\t1\t2\x01\n", "line 1", "not BED text");
    bad_bed(&t, "s.narrowPeak", "chr1\t1\t9\t.\t0\t.\t1\t1\t1\n", "line 1", "9 columns");
    bad_bed(&t, "v.narrowPeak", "chr1\t1\t9\t.\tzero\t.\t1\t1\t1\t4\n", "line 1",
            "score 'zero' is not a number");
    bad_bed(&t, "w.broadPeak", "chr1\t1\t9\t.\t0\tup\t1\t1\t1\n", "line 1", "strand 'up'");
    Error err = {{0}};
    BedSet s = {0};
    const char *p = fx_path("skip.bed");
    fx_write_text(p, "chrZ\t1\t2\nchr1\t1\t2\nchrY\t3\t4\n");
    assert_int_equal(bed_read(p, &t, 1, &s, &err), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.skipped, 2);
    bed_free(&s);
    assert_int_equal(bed_read(fx_path("none.bed"), &t, 0, &s, &err), -1);
    assert_contains(err.msg, "cannot open");
    chrom_table_free(&t);
}

static void test_bed_target_name(void **state)
{
    (void)state;
    const char *cases[][2] = {{"peaks/CTCF.bed", "CTCF"}, {"a/b/ENCFF1.narrowPeak.gz", "ENCFF1"},
                              {"H3K27ac.broadPeak", "H3K27ac"}, {"x.v2.bed.gz", "x.v2"},
                              {".bed", ".bed"}, {"plain", "plain"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *n = bed_target_name(cases[i][0]);
        assert_string_equal(n, cases[i][1]);
        free(n);
    }
}

/* rtracklayer's demo.narrowPeak.gz (hg19 peaks), when r-bioc-rtracklayer is installed. */
static void test_bed_demo_narrowpeak(void **state)
{
    (void)state;
    const char *p = "/usr/lib/R/site-library/rtracklayer/extdata/demo.narrowPeak.gz";
    if (access(p, R_OK) != 0) {
        print_message("skipped: %s is missing (Debian: r-bioc-rtracklayer)\n", p);
        skip();
    }
    ChromTable t;
    chrom_table_init(&t);
    chrom_table_add(&t, "chr6", 171115067);
    chrom_table_add(&t, "chr7", 159138663);
    chrom_table_add(&t, "chr9", 141213431);
    chrom_table_add(&t, "chr19", 59128983);
    Error err;
    BedSet s = {0};
    assert_int_equal(bed_read(p, &t, 0, &s, &err), 0);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.iv[0].chrom, 3);
    assert_int_equal(s.iv[0].start, 893202);
    assert_int_equal(s.iv[0].end, 893659);
    bed_free(&s);
    chrom_table_free(&t);
}

static void test_genome_fasta(void **state)
{
    (void)state;
    Error err = {{0}};
    const char *p = fx_path("g.fa");
    fx_write_text(p, ">chrA desc\nACGTacgt\nNNRYsw\n>chrB\nggcc\nTTU\n");
    Genome *g = genome_open(p, &err);
    assert_non_null(g);
    assert_true(fx_exists(fx_path("g.fa.fai")));
    assert_int_equal(genome_count(g), 2);
    assert_string_equal(genome_name(g, 1), "chrB");
    assert_int_equal(genome_length(g, 0), 14);
    assert_int_equal(genome_length(g, 1), 7);
    assert_int_equal(genome_find(g, "chrB"), 1);
    assert_int_equal(genome_find(g, "chrC"), -1);
    int64_t len;
    uint8_t *t = genome_fetch(g, 0, 2, 14, &len, &err);
    assert_non_null(t);
    const uint8_t want[12] = {3, 4, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5};
    assert_int_equal(len, 12);
    assert_memory_equal(t, want, 12);
    free(t);
    t = genome_fetch(g, 1, 0, 7, &len, &err);
    const uint8_t want_b[7] = {3, 3, 2, 2, 4, 4, 4};
    assert_memory_equal(t, want_b, 7);
    free(t);
    genome_close(g);
    g = genome_open(p, &err); /* from the index just built */
    assert_non_null(g);
    genome_close(g);
    const char *gz = fx_path("g.fa.gz"), *text = ">a\nACGT\n";
    fx_write_gzip(gz, text, strlen(text));
    assert_null(genome_open(gz, &err));
    assert_contains(err.msg, "plain gzip");
    assert_contains(err.msg, "bgzip");
    const char *dup = fx_path("dup.fa");
    fx_write_text(dup, ">a x\nAC\n>b\nGG\n>a\nTT\n");
    assert_null(genome_open(dup, &err));
    assert_contains(err.msg, "dup.fa line 5: duplicate chromosome name 'a' (first on line 1)");
    assert_null(genome_open(fx_path("absent.fa"), &err));
    assert_contains(err.msg, "cannot open");
}

/* A 2-row file with or without coordinates, L = 4, K = 1. */
static DatasetWriter *coords_writer(const char *path, int coords, Error *err)
{
    DatasetSpec spec = {.n = -1, .length = 4, .targets = 1, .task = TASK_BINARY,
                        .with_coords = coords, .with_strand = coords};
    return dataset_writer_open(path, &spec, err);
}

static void test_dataset_coords(void **state)
{
    (void)state;
    Error err = {{0}};
    const char *p = fx_path("coords.h5");
    const uint8_t tok[12] = {1, 2, 3, 4, 4, 3, 2, 1, 5, 5, 1, 1};
    const float y[3] = {1, 0, 1};
    const char *chrom[3] = {"chr1", "chr1", "chrX"}, *strand[3] = {"+", ".", "-"};
    const int64_t start[3] = {0, 100, 7}, end[3] = {4, 104, 11};
    DatasetWriter *w = coords_writer(p, 1, &err);
    assert_non_null(w);
    assert_int_equal(dataset_writer_coords(w, 2, chrom, start, end, strand, &err), 0);
    assert_int_equal(dataset_writer_append(w, 3, tok, y, NULL, NULL, NULL, &err), 0);
    assert_int_equal(dataset_writer_coords(w, 1, chrom + 2, start + 2, end + 2, strand + 2, &err), 0);
    assert_int_equal(dataset_writer_finish(w, &err), 0);
    Dataset *d = dataset_open(p, &err);
    assert_non_null(d);
    assert_true(dataset_info(d)->has_coords);
    assert_true(dataset_info(d)->has_strand);
    char *c[2];
    int64_t s[2], e[2];
    char st[3];
    assert_int_equal(dataset_read_coords(d, 1, 2, c, s, e, &err), 0);
    assert_string_equal(c[0], "chr1");
    assert_string_equal(c[1], "chrX");
    assert_int_equal(s[1], 7);
    assert_int_equal(e[0], 104);
    free(c[0]);
    free(c[1]);
    int64_t e3[3];
    assert_int_equal(dataset_read_coords(d, 0, 3, NULL, NULL, e3, &err), 0);
    assert_int_equal(e3[2], 11);
    assert_int_equal(dataset_read_strand(d, 0, 3, st, &err), 0);
    assert_memory_equal(st, "+.-", 3);
    assert_int_equal(dataset_read_coords(d, 2, 2, c, s, e, &err), -1);
    dataset_close(d);
    /* coordinates of fewer rows than written: refused at finish, nothing left */
    p = fx_path("coords_short.h5");
    w = coords_writer(p, 1, &err);
    assert_int_equal(dataset_writer_append(w, 2, tok, y, NULL, NULL, NULL, &err), 0);
    assert_int_equal(dataset_writer_coords(w, 1, chrom, start, end, strand, &err), 0);
    assert_int_equal(dataset_writer_finish(w, &err), -1);
    assert_contains(err.msg, "coordinates of 1 rows for 2 rows");
    assert_false(fx_exists(p));
    assert_false(fx_temp_left(p));
    const int64_t bad_end[1] = {0};
    w = coords_writer(p, 1, &err);
    assert_int_equal(dataset_writer_coords(w, 1, chrom, start, bad_end, strand, &err), -1);
    assert_contains(err.msg, "expected 0 <= start < end");
    dataset_writer_abort(w);
}

/* Files of the old kind have no coordinates; a file with /chrom alone is refused. */
static void test_dataset_no_coords(void **state)
{
    (void)state;
    Error err = {{0}};
    const char *p = fx_path("plain.h5");
    const uint8_t tok[8] = {1, 2, 3, 4, 4, 3, 2, 1};
    const float y[2] = {1, 0};
    DatasetWriter *w = coords_writer(p, 0, &err);
    assert_int_equal(dataset_writer_append(w, 2, tok, y, NULL, NULL, NULL, &err), 0);
    assert_int_equal(dataset_writer_finish(w, &err), 0);
    Dataset *d = dataset_open(p, &err);
    assert_non_null(d);
    assert_false(dataset_info(d)->has_coords);
    char *c[2];
    assert_int_equal(dataset_read_coords(d, 0, 2, c, NULL, NULL, &err), -1);
    assert_contains(err.msg, "no genome coordinates");
    char st[2];
    assert_int_equal(dataset_read_strand(d, 0, 2, st, &err), 0);
    assert_memory_equal(st, "..", 2);
    dataset_close(d);
    H5File *f = h5_open(p, 1, &err);
    assert_non_null(f);
    int64_t n = 2, zero = 0;
    const char *names[2] = {"chr1", "chr2"};
    assert_int_equal(h5_create_dataset(f, "/chrom", H5IO_STR, 1, &n, NULL, NULL, 0, &err), 0);
    assert_int_equal(h5_write_slab(f, "/chrom", H5IO_STR, &zero, &n, names, &err), 0);
    assert_int_equal(h5_close(f, &err), 0);
    assert_null(dataset_open(p, &err));
    assert_contains(err.msg, "dataset /start: missing");
}

/* The deal of chromosomes over ranks: contiguous runs in FASTA order, every rank's share near
 * the total / P, unused chromosomes to nobody, and rank 0 first. */
static void test_genome_deal(void **state)
{
    const int64_t load[7] = {250, 240, 200, 50, -1, 130, 130}; /* 1000 bases, chr5 unused */
    int owner[7];
    genome_deal(7, load, 2, owner);
    const int want2[7] = {0, 0, 1, 1, -1, 1, 1}; /* middles 125, 370 | 590, 715, 805, 935 */
    for (int c = 0; c < 7; c++)
        assert_int_equal(owner[c], want2[c]);
    genome_deal(7, load, 3, owner);
    const int want3[7] = {0, 1, 1, 2, -1, 2, 2}; /* thirds at 333 and 667: middles 125 | 370, 590 | 715, 805, 935 */
    for (int c = 0; c < 7; c++)
        assert_int_equal(owner[c], want3[c]);
    genome_deal(7, load, 1, owner);
    for (int c = 0; c < 7; c++)
        assert_int_equal(owner[c], c == 4 ? -1 : 0);
    genome_deal(7, load, 16, owner); /* more ranks than chromosomes: some get none */
    for (int c = 1; c < 7; c++)
        assert_true(owner[c] == -1 || owner[c] >= owner[c - 1 == 4 ? 3 : c - 1]);
}

/* A signal removes the guarded parts, and only them. */
static void test_guard_parts(void **state)
{
    char dir[] = "/tmp/gseq_guard_XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    const int mine[3] = {0, 3, 12};
    for (int c = 0; c < 14; c++) {
        snprintf(path, sizeof path, "%s/o.h5.tmp-chrom%d", dir, c);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
    }
    pid_t pid = fork();
    if (pid == 0) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s/o.h5.tmp-chrom", dir);
        guard_parts(prefix, mine, 3);
        raise(SIGTERM);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    for (int c = 0; c < 14; c++) {
        snprintf(path, sizeof path, "%s/o.h5.tmp-chrom%d", dir, c);
        int gone = access(path, F_OK) != 0;
        assert_int_equal(gone, c == 0 || c == 3 || c == 12);
        unlink(path);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chrom_table),
        cmocka_unit_test(test_bed_read),
        cmocka_unit_test(test_bed_errors),
        cmocka_unit_test(test_bed_target_name),
        cmocka_unit_test(test_bed_demo_narrowpeak),
        cmocka_unit_test(test_genome_fasta),
        cmocka_unit_test(test_dataset_coords),
        cmocka_unit_test(test_dataset_no_coords),
        cmocka_unit_test(test_genome_deal),
        cmocka_unit_test(test_guard_parts),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    fx_cleanup();
    return rc;
}
