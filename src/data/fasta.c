/* fasta.c: streaming FASTA reader over zlib's gz* functions (which read plain files as they are).
 * See fasta.h. */
#include "data/fasta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "data/dataset.h"

#define FASTA_BUF (1 << 18)

enum { C_SKIP = -2, C_BAD = -1 }; /* classes of characters in sequence lines besides tokens */

struct FastaReader {
    char *path;
    gzFile g;
    unsigned char *buf;
    int pos, len, eof;
    int64_t line;        /* current line, from 1 */
    int64_t record_line; /* header line of the record returned last */
    int at_header;       /* the '>' of the next record has been consumed */
    int64_t records;     /* returned so far */
    char *id;
    size_t id_cap;
    uint8_t *seq;
    size_t seq_cap;
    signed char map[256];
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n, 1);
    memcpy(p, s, n);
    return p;
}

FastaReader *fasta_open(const char *path, Error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        error_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        error_set(err, "%s: is a directory, expected a FASTA file", path);
        return NULL;
    }
    if (st.st_size == 0) {
        error_set(err, "%s: empty file, expected FASTA records ('>id' then bases)", path);
        return NULL;
    }
    gzFile g = gzopen(path, "rb");
    if (!g) {
        error_set(err, "%s: cannot open: %s", path, strerror(errno ? errno : ENOMEM));
        return NULL;
    }
    gzbuffer(g, FASTA_BUF);
    FastaReader *r = xcalloc(1, sizeof *r);
    r->path = dup_str(path);
    r->g = g;
    r->buf = xmalloc(FASTA_BUF, 1);
    r->line = 1;
    r->id_cap = 256;
    r->id = xmalloc(r->id_cap, 1);
    r->seq_cap = 1 << 16;
    r->seq = xmalloc(r->seq_cap, 1);
    for (int c = 0; c < 256; c++) {
        int t = token_of_base(c);
        r->map[c] = (signed char)(t > 0 ? t : C_BAD);
    }
    r->map[' '] = r->map['\t'] = r->map['\r'] = r->map['\v'] = r->map['\f'] = C_SKIP;
    return r;
}

/* Refills the buffer; -1 on a zlib error (damaged or truncated gzip). */
static int refill(FastaReader *r, Error *err)
{
    int n = gzread(r->g, r->buf, FASTA_BUF);
    int zerr;
    const char *msg = gzerror(r->g, &zerr);
    if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END))
        return error_set(err, "%s: damaged or truncated gzip data near line %lld (zlib: %s)",
                         r->path, (long long)r->line, msg);
    r->pos = 0;
    r->len = n;
    if (n == 0)
        r->eof = 1;
    return 0;
}

/* Next byte, or -1 at the end, -2 on error. */
static inline int next_byte(FastaReader *r, Error *err)
{
    if (r->pos == r->len) {
        if (r->eof || refill(r, err) != 0)
            return r->eof ? -1 : -2;
        if (r->len == 0)
            return -1;
    }
    return r->buf[r->pos++];
}

static int skip_line(FastaReader *r, Error *err)
{
    int c;
    while ((c = next_byte(r, err)) >= 0 && c != '\n')
        ;
    if (c == '\n')
        r->line++;
    return c == -2 ? -1 : 0;
}

static void describe(int c, char *buf, size_t n)
{
    if (c >= 33 && c < 127)
        snprintf(buf, n, "'%c'", c);
    else
        snprintf(buf, n, "byte 0x%02x", c);
}

/* Reads the header line after '>' into r->id (its first word). */
static int read_header(FastaReader *r, Error *err)
{
    size_t n = 0;
    int c, in_id = 1;
    r->record_line = r->line;
    while ((c = next_byte(r, err)) >= 0 && c != '\n') {
        if (!in_id)
            continue;
        if (c == ' ' || c == '\t' || c == '\r') {
            in_id = n == 0; /* leading blanks before the id are allowed */
            continue;
        }
        if (n + 2 > r->id_cap) {
            r->id_cap *= 2;
            char *p = xmalloc(r->id_cap, 1);
            memcpy(p, r->id, n);
            free(r->id);
            r->id = p;
        }
        r->id[n++] = (char)c;
    }
    if (c == -2)
        return -1;
    if (c == '\n')
        r->line++;
    r->id[n] = '\0';
    if (n == 0)
        return error_set(err, "%s line %lld: a '>' header without an id", r->path,
                         (long long)r->record_line);
    return 0;
}

/* At the start of the file (or after the last record): blank lines and ';' comments, then the
 * first '>'. 1 at a '>', 0 at the end after records, -1 on an error or a file without records. */
static int seek_header(FastaReader *r, Error *err)
{
    for (;;) {
        int c = next_byte(r, err);
        if (c == -2)
            return -1;
        if (c == -1) {
            if (r->records == 0)
                return error_set(err, "%s: no FASTA records (the file holds no '>' header)",
                                 r->path);
            return 0;
        }
        if (c == '\n') {
            r->line++;
        } else if (c == ';') {
            if (skip_line(r, err) != 0)
                return -1;
        } else if (c == '>') {
            return 1;
        } else if (r->map[c] != C_SKIP) {
            char what[16];
            describe(c, what, sizeof what);
            return error_set(err, "%s line %lld: expected a '>' header, found %s (not a FASTA "
                                  "file?)", r->path, (long long)r->line, what);
        }
    }
}

/* The sequence lines of the current record into r->seq, up to the next '>' line (consumed, so
 * r->at_header is set) or the end: *n bases. */
static int read_bases(FastaReader *r, size_t *n_out, Error *err)
{
    size_t n = 0;
    int line_start = 1;
    for (;;) {
        if (r->pos == r->len) {
            if (r->eof)
                break;
            if (refill(r, err) != 0)
                return -1;
            if (r->len == 0)
                break;
        }
        int c = r->buf[r->pos++];
        if (c == '\n') {
            r->line++;
            line_start = 1;
            continue;
        }
        if (line_start && c == '>') {
            r->at_header = 1;
            break;
        }
        line_start = 0;
        int t = r->map[c];
        if (t > 0) {
            if (n == r->seq_cap) {
                r->seq_cap *= 2;
                uint8_t *p = xmalloc(r->seq_cap, 1);
                memcpy(p, r->seq, n);
                free(r->seq);
                r->seq = p;
            }
            r->seq[n++] = (uint8_t)t;
        } else if (t == C_BAD) {
            char what[16];
            describe(c, what, sizeof what);
            return error_set(err, "%s line %lld: %s is not a base (record '%s'; expected A C G T, "
                                  "N or another IUPAC code)", r->path, (long long)r->line, what,
                             r->id);
        }
    }
    *n_out = n;
    return 0;
}

int fasta_next(FastaReader *r, const char **id, const uint8_t **seq, int64_t *len, Error *err)
{
    if (!r->at_header) {
        int found = seek_header(r, err);
        if (found <= 0)
            return found;
        r->at_header = 1;
    }
    if (read_header(r, err) != 0)
        return -1;
    r->at_header = 0;
    size_t n = 0;
    if (read_bases(r, &n, err) != 0)
        return -1;
    if (n == 0)
        return error_set(err, "%s line %lld: record '%s' has no bases", r->path,
                         (long long)r->record_line, r->id);
    r->records++;
    *id = r->id;
    *seq = r->seq;
    *len = (int64_t)n;
    return 1;
}

int64_t fasta_record_line(const FastaReader *r) { return r->record_line; }

int64_t fasta_bytes_in(const FastaReader *r) { return (int64_t)gzoffset(r->g); }

int fasta_rewind(FastaReader *r, Error *err)
{
    if (gzrewind(r->g) != 0)
        return error_set(err, "%s: cannot rewind", r->path);
    r->pos = r->len = r->eof = 0;
    r->line = 1;
    r->record_line = 0;
    r->at_header = 0;
    r->records = 0;
    return 0;
}

void fasta_close(FastaReader *r)
{
    if (!r)
        return;
    gzclose(r->g);
    free(r->buf);
    free(r->id);
    free(r->seq);
    free(r->path);
    free(r);
}
