/* fuzz_fasta_tsv.c: libFuzzer target for the FASTA reader, the labels TSV reader and the FASTA + TSV
 * conversion that joins them (gseq_mpi convert --fasta --labels).
 * Input: [flags][4 bytes: FASTA length n, little-endian][n bytes FASTA][the rest: TSV].
 * flags: bit 0 --classes; bits 1-2 --task (none, binary, multilabel, multiclass); bit 3 gzip the
 * FASTA; bit 4 --padding post; bit 5 --length 7; bit 6 --limit 2. */
#include <zlib.h>

#include "cli/commands.h"
#include "data/fasta.h"
#include "fuzz_util.h"
#include "data/labels.h"

static void write_gzip(const char *path, const uint8_t *data, size_t size)
{
    gzFile g = gzopen(path, "wb");
    if (!g || (size && gzwrite(g, data, (unsigned)size) != (int)size) || gzclose(g) != Z_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (size < 5)
        return 0;
    unsigned flags = data[0];
    size_t n = (size_t)data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16 | (size_t)data[4] << 24;
    data += 5, size -= 5;
    n = n > size ? size : n;
    const char *fa = fuzz_path("in.fa"), *tsv = fuzz_path("in.tsv"), *out = fuzz_path("out.h5");
    if (flags & 8)
        write_gzip(fa, data, n);
    else
        fuzz_write(fa, data, n);
    fuzz_write(tsv, data + n, size - n);

    /* the readers alone: every record, twice (rewind); every row of the table */
    Error err;
    FastaReader *r = fasta_open(fa, &err);
    if (r) {
        for (int pass = 0; pass < 2; pass++) {
            const char *id;
            const uint8_t *seq;
            int64_t len;
            while (fasta_next(r, &id, &seq, &len, &err) == 1)
                if (len < 0 || strlen(id) > 1u << 20 || fasta_record_line(r) < 1)
                    abort();
            if (pass == 0 && fasta_rewind(r, &err) != 0)
                break;
        }
        fasta_close(r);
    }
    static const Task tasks[3] = {TASK_BINARY, TASK_MULTILABEL, TASK_MULTICLASS};
    int t = (flags >> 1) & 3;
    LabelTable *lt = labels_open(tsv, flags & 1, t ? &tasks[t - 1] : NULL, &err);
    if (lt) {
        int K = labels_targets(lt);
        float *y = malloc(sizeof(float) * (size_t)(K > 0 ? K : 1));
        for (int64_t row = 0; row < labels_rows(lt); row++) {
            if (labels_find(lt, labels_id(lt, row)) != row)
                abort(); /* every id finds its own row */
            labels_get(lt, row, y, &err);
        }
        free(y);
        labels_close(lt);
    }

    /* the whole conversion */
    char *argv[24];
    int argc = 0;
    argv[argc++] = "convert";
    argv[argc++] = "--fasta", argv[argc++] = (char *)fa;
    argv[argc++] = "--labels", argv[argc++] = (char *)tsv;
    argv[argc++] = "--out", argv[argc++] = (char *)out;
    if (flags & 1)
        argv[argc++] = "--classes";
    if (t) {
        static const char *task_names[3] = {"binary", "multilabel", "multiclass"};
        argv[argc++] = "--task", argv[argc++] = (char *)task_names[t - 1];
    }
    if (flags & 16)
        argv[argc++] = "--padding", argv[argc++] = "post";
    if (flags & 32)
        argv[argc++] = "--length", argv[argc++] = "7";
    if (flags & 64)
        argv[argc++] = "--limit", argv[argc++] = "2";
    argv[argc] = NULL;
    cmd_convert(argc, argv);
    unlink(out);
    unlink(fa);
    unlink(tsv);
    return 0;
}
