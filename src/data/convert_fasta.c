/* convert_fasta.c: FASTA (plain or gzip) and a labels TSV to the gseq file. See converter.h.
 *
 * Two passes over the FASTA: the first matches every record to a row of the table (no id missing on
 * either side, none twice) and learns N and the longest record; the second writes the records in
 * the FASTA's order, padded or trimmed on the padding side to one length, with their ids and
 * lengths. Memory: one block of records plus the table's index (labels.h). */
#include <stdlib.h>
#include <string.h>

#include "data/convert_sink.h"
#include "data/fasta.h"
#include "data/labels.h"

/* Pass 1: every record has a row of the table and, unless --limit stopped early, every row a
 * record. *n records, the longest *maxlen bases. */
static int scan_records(const ConvertSettings *s, FastaReader *fr, const LabelTable *lt,
                        const char *fasta, const char *tsv, int64_t *n_out, int64_t *maxlen_out,
                        Error *err)
{
    const int64_t rows = labels_rows(lt);
    int64_t *seen_line = xcalloc((size_t)rows, sizeof *seen_line); /* FASTA line of each TSV row */
    const char *id;
    const uint8_t *seq;
    int64_t n = 0, maxlen = 0, slen;
    int r = 0, rc = -1;
    Progress scan;
    progress_start(&scan, "convert: checking", "records", 0, s->progress);
    while ((s->limit == 0 || n < s->limit) && (r = fasta_next(fr, &id, &seq, &slen, err)) == 1) {
        int64_t row = labels_find(lt, id);
        if (row < 0) {
            error_set(err, "%s line %lld: id '%s' has no row in %s", fasta,
                      (long long)fasta_record_line(fr), id, tsv);
            goto done;
        }
        if (seen_line[row]) {
            error_set(err, "%s line %lld: duplicate id '%s' (first on line %lld)", fasta,
                      (long long)fasta_record_line(fr), id, (long long)seen_line[row]);
            goto done;
        }
        seen_line[row] = fasta_record_line(fr);
        maxlen = slen > maxlen ? slen : maxlen;
        n++;
        progress_update(&scan, n, fasta_bytes_in(fr));
    }
    progress_end(&scan);
    if (s->limit == 0 || n < s->limit) {
        if (r < 0)
            goto done;
        for (int64_t row = 0; row < rows && s->limit == 0; row++)
            if (!seen_line[row]) {
                error_set(err, "%s line %lld: id '%s' is not in %s", tsv,
                          (long long)labels_line(lt, row), labels_id(lt, row), fasta);
                goto done;
            }
    }
    *n_out = n;
    *maxlen_out = maxlen;
    rc = 0;
done:
    free(seen_line);
    return rc;
}

/* Pass 2: the n records checked by pass 1, in the FASTA's order, at length L. */
static int write_records(const ConvertSettings *s, FastaReader *fr, LabelTable *lt,
                         const char *fasta, int64_t n, int L, Error *err)
{
    if (fasta_rewind(fr, err) != 0)
        return -1;
    const int K = labels_targets(lt);
    DatasetSpec spec = {.n = n, .length = L, .targets = K, .task = labels_task(lt),
                        .y_float = !labels_integer(lt), .with_lengths = 1, .with_ids = 1,
                        .target_names = labels_names(lt)};
    Sink sink = {0};
    SinkBlock blk = {0};
    int rc = -1, r = 0;
    if (sink_open(&sink, s, &spec, fasta, "labels", err) != 0)
        goto done;
    int64_t B = sink_block_rows(L);
    sink_block_alloc(&blk, B > n ? n : B, L, K, 1);
    const char *id;
    const uint8_t *seq;
    int64_t slen, done_rows = 0;
    while (done_rows + blk.b < n && (r = fasta_next(fr, &id, &seq, &slen, err)) == 1) {
        if (labels_get(lt, labels_find(lt, id), blk.y + blk.b * K, err) != 0)
            goto done;
        sink_block_add(&blk, s->padding, id, seq, slen);
        if (blk.b == blk.B || done_rows + blk.b == n) {
            int64_t b = blk.b;
            if (sink_block_flush(&blk, &sink, fasta_bytes_in(fr), err) != 0)
                goto done;
            done_rows += b;
        }
    }
    if (done_rows != n) {
        if (r >= 0)
            error_set(err, "%s: changed while being converted (%lld records, then %lld)", fasta,
                      (long long)n, (long long)done_rows);
        goto done;
    }
    rc = sink_finish(&sink, fasta, "fasta", err);
done:
    sink_close(&sink);
    sink_block_free(&blk);
    return rc;
}

int convert_fasta(const ConvertSettings *s, const char *fasta, const char *tsv, int classes,
                  Error *err)
{
    if (s->targets)
        return error_set(err, "--targets applies to DeepSEA, Basset and NumPy inputs; select "
                              "columns of the TSV before converting");
    LabelTable *lt = labels_open(tsv, classes, s->task != TASK_AUTO ? &s->task : NULL, err);
    if (!lt)
        return -1;
    FastaReader *fr = fasta_open(fasta, err);
    int rc = -1;
    int64_t n = 0, maxlen = 0;
    int L = 0;
    if (fr && scan_records(s, fr, lt, fasta, tsv, &n, &maxlen, err) == 0 &&
        convert_resolve_length(s, maxlen, fasta, &L, err) == 0)
        rc = write_records(s, fr, lt, fasta, n, L, err);
    fasta_close(fr);
    labels_close(lt);
    return rc;
}
