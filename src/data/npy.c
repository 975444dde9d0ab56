/* npy.c: NumPy .npy arrays, alone or inside zip files, read as a stream. See npy.h.
 * The zip reader knows just what numpy writes: the central directory (zip64 too), local headers, and
 * members stored or deflated. */
#include "data/npy.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define NPY_IOBUF (1 << 16)

struct NpyReader {
    char *name;
    FILE *fp;
    int method;         /* -1 plain file, 0 stored zip member, 8 deflated */
    uint64_t comp_left; /* compressed bytes of the member still unread */
    z_stream z;
    int z_open;
    unsigned char *in;  /* compressed input buffer */
    unsigned char *raw; /* one block of raw elements */
    char descr[16];     /* the dtype string; "|V<itemsize>" for a structured dtype */
    NpyField dtype;     /* the array's own dtype */
    NpyField fields[NPY_MAX_FIELDS];
    int nfields;        /* 0 unless structured */
    size_t itemsize;
    int rank;
    int64_t shape[NPY_MAX_RANK];
    uint64_t left;      /* elements not yet read */
    int64_t consumed;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n, 1);
    memcpy(p, s, n);
    return p;
}

static uint32_t le16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const unsigned char *p) { return le16(p) | le16(p + 2) << 16; }
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

int file_is_zip(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    unsigned char b[4];
    int z = fread(b, 1, 4, fp) == 4 && le32(b) == 0x04034b50u;
    fclose(fp);
    return z;
}

/* ---- zip ---- */

typedef struct {
    char *name;
    int method, flags;
    uint64_t comp, size, local;
} ZipEntry;

static void free_entries(ZipEntry *e, int n)
{
    for (int i = 0; i < n; i++)
        free(e[i].name);
    free(e);
}

static int read_at(FILE *fp, uint64_t off, void *buf, size_t n)
{
    return fseeko(fp, (off_t)off, SEEK_SET) == 0 && fread(buf, 1, n, fp) == n ? 0 : -1;
}

/* Where the central directory is: the end-of-directory record (searched for in the last 64 KiB),
 * or its zip64 version when a field is saturated. */
static int zip_find_dir(FILE *fp, const char *path, uint64_t *entries_out, uint64_t *cd_off_out,
                        uint64_t *cd_size_out, Error *err)
{
    if (fseeko(fp, 0, SEEK_END) != 0)
        return error_set(err, "%s: cannot seek", path);
    uint64_t size = (uint64_t)ftello(fp);
    size_t tail = size < 65557 ? (size_t)size : 65557;
    if (tail < 22)
        return error_set(err, "%s: truncated zip file (%llu bytes)", path, (unsigned long long)size);
    unsigned char *buf = xmalloc(tail, 1);
    if (read_at(fp, size - tail, buf, tail) != 0) {
        free(buf);
        return error_set(err, "%s: cannot read", path);
    }
    int64_t at = -1;
    for (int64_t i = (int64_t)tail - 22; i >= 0 && at < 0; i--)
        if (le32(buf + i) == 0x06054b50u)
            at = i;
    if (at < 0) {
        free(buf);
        return error_set(err, "%s: truncated or damaged zip file (no end-of-directory record)", path);
    }
    uint64_t entries = le16(buf + at + 10), cd_size = le32(buf + at + 12), cd_off = le32(buf + at + 16);
    uint64_t eocd = size - tail + (uint64_t)at;
    free(buf);
    if (entries == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu) {
        unsigned char loc[20], z64[56];
        if (eocd < 20 || read_at(fp, eocd - 20, loc, 20) != 0 || le32(loc) != 0x07064b50u ||
            read_at(fp, le64(loc + 8), z64, 56) != 0 || le32(z64) != 0x06064b50u)
            return error_set(err, "%s: damaged zip64 directory", path);
        entries = le64(z64 + 32);
        cd_size = le64(z64 + 40);
        cd_off = le64(z64 + 48);
    }
    if (cd_off + cd_size > size || entries > cd_size / 46)
        return error_set(err, "%s: truncated or damaged zip file (directory outside the file)", path);
    *entries_out = entries;
    *cd_off_out = cd_off;
    *cd_size_out = cd_size;
    return 0;
}

/* zip64 extra field: the 64-bit values of the fields set to 0xFFFFFFFF, in order. */
static void zip_read_zip64(ZipEntry *z, const unsigned char *x, uint32_t xlen)
{
    const unsigned char *xend = x + xlen;
    while (x + 4 <= xend) {
        uint32_t id = le16(x), len = le16(x + 2);
        const unsigned char *v = x + 4;
        if (id == 0x0001) {
            if (z->size == 0xFFFFFFFFu && v + 8 <= x + 4 + len)
                z->size = le64(v), v += 8;
            if (z->comp == 0xFFFFFFFFu && v + 8 <= x + 4 + len)
                z->comp = le64(v), v += 8;
            if (z->local == 0xFFFFFFFFu && v + 8 <= x + 4 + len)
                z->local = le64(v);
        }
        x += 4 + len;
    }
}

/* The entries of the directory cd (cd_size bytes) into e; *n of them; -1 if damaged. */
static int zip_parse_dir(const unsigned char *cd, uint64_t cd_size, uint64_t entries, ZipEntry *e,
                         int *n)
{
    uint64_t p = 0;
    for (uint64_t k = 0; k < entries; k++) {
        if (p + 46 > cd_size || le32(cd + p) != 0x02014b50u)
            return -1;
        uint32_t nlen = le16(cd + p + 28), xlen = le16(cd + p + 30), clen = le16(cd + p + 32);
        if (p + 46 + nlen + xlen + clen > cd_size)
            return -1;
        ZipEntry *z = &e[(*n)++];
        z->flags = (int)le16(cd + p + 8);
        z->method = (int)le16(cd + p + 10);
        z->comp = le32(cd + p + 20);
        z->size = le32(cd + p + 24);
        z->local = le32(cd + p + 42);
        z->name = xmalloc(nlen + 1, 1);
        memcpy(z->name, cd + p + 46, nlen);
        z->name[nlen] = '\0';
        zip_read_zip64(z, cd + p + 46 + nlen, xlen);
        p += 46 + nlen + xlen + clen;
    }
    return 0;
}

/* Reads the central directory. */
static ZipEntry *zip_read_dir(FILE *fp, const char *path, int *count, Error *err)
{
    *count = 0;
    uint64_t entries = 0, cd_off = 0, cd_size = 0;
    if (zip_find_dir(fp, path, &entries, &cd_off, &cd_size, err) != 0)
        return NULL;
    unsigned char *cd = xmalloc(cd_size ? cd_size : 1, 1);
    if (read_at(fp, cd_off, cd, cd_size) != 0) {
        free(cd);
        error_set(err, "%s: cannot read the zip directory", path);
        return NULL;
    }
    ZipEntry *e = xcalloc(entries ? entries : 1, sizeof *e);
    int n = 0;
    int rc = zip_parse_dir(cd, cd_size, entries, e, &n);
    free(cd);
    if (rc != 0) {
        free_entries(e, n);
        error_set(err, "%s: damaged zip directory", path);
        return NULL;
    }
    *count = n;
    return e;
}

char **zip_members(const char *path, int *n, Error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        error_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    ZipEntry *e = zip_read_dir(fp, path, n, err);
    fclose(fp);
    if (!e)
        return NULL;
    char **names = xcalloc((size_t)*n + 1, sizeof *names);
    for (int i = 0; i < *n; i++) {
        names[i] = e[i].name;
        e[i].name = NULL;
    }
    free_entries(e, *n);
    return names;
}

/* ---- byte source ---- */

static int source_read(NpyReader *r, unsigned char *buf, size_t n, Error *err)
{
    if (r->method <= 0) {
        if (r->method == 0 && n > r->comp_left)
            return error_set(err, "%s: array data ends early (truncated?)", r->name);
        size_t got = fread(buf, 1, n, r->fp);
        r->consumed += (int64_t)got;
        if (r->method == 0)
            r->comp_left -= got;
        if (got != n)
            return error_set(err, "%s: array data ends early (truncated file?)", r->name);
        return 0;
    }
    r->z.next_out = buf;
    r->z.avail_out = (uInt)n;
    while (r->z.avail_out > 0) {
        if (r->z.avail_in == 0) {
            size_t want = r->comp_left < NPY_IOBUF ? (size_t)r->comp_left : NPY_IOBUF;
            size_t got = want ? fread(r->in, 1, want, r->fp) : 0;
            if (got == 0)
                return error_set(err, "%s: compressed data ends early (truncated zip?)", r->name);
            r->comp_left -= got;
            r->consumed += (int64_t)got;
            r->z.next_in = r->in;
            r->z.avail_in = (uInt)got;
        }
        int zr = inflate(&r->z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END && r->z.avail_out > 0)
            return error_set(err, "%s: compressed data ends early", r->name);
        if (zr != Z_OK && zr != Z_STREAM_END)
            return error_set(err, "%s: damaged compressed data (zlib: %s)", r->name,
                             r->z.msg ? r->z.msg : "error");
    }
    return 0;
}

/* ---- header ---- */

/* A Python string literal at s ('...' or "...") into buf (n bytes); past it, or NULL. */
static const char *parse_quoted(const char *s, char *buf, size_t n)
{
    s += strspn(s, " ");
    char q = *s;
    if (q != '\'' && q != '"')
        return NULL;
    size_t k = 0;
    for (s++; *s && *s != q; s++) {
        if (*s == '\\' && s[1])
            s++;
        if (k + 1 >= n)
            return NULL;
        buf[k++] = *s;
    }
    buf[k] = '\0';
    return *s == q ? s + 1 : NULL;
}

/* A shape tuple "(3, 4)" at s into shape (*rank values); past it, or NULL. */
static const char *parse_tuple(const char *s, int64_t *shape, int *rank)
{
    s += strspn(s, " ");
    if (*s != '(')
        return NULL;
    s++;
    *rank = 0;
    for (;;) {
        s += strspn(s, " ,");
        if (*s == ')')
            return s + 1;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v < 0 || *rank == NPY_MAX_RANK)
            return NULL;
        shape[(*rank)++] = v;
        s = end;
        while (*s == 'L')
            s++;
    }
}

/* Kind, size and byte order of f from f->descr; -1 for an object (pickled) dtype. */
static int field_type(NpyField *f)
{
    char order = f->descr[0], kind = f->descr[1];
    int size = atoi(f->descr + 2);
    f->kind = NPY_OTHER;
    f->size = size;
    f->count = 1;
    if (kind == 'O')
        return -1;
    if ((order != '<' && order != '>' && order != '|' && order != '=') || size < 0 ||
        size > (1 << 28)) {
        f->size = 0; /* not read */
        return 0;
    }
    int pow2 = size == 1 || size == 2 || size == 4 || size == 8;
    if (kind == 'b' && size == 1)
        f->kind = NPY_BOOL;
    else if ((kind == 'u' || kind == 'i') && pow2)
        f->kind = kind == 'u' ? NPY_UINT : NPY_INT;
    else if (kind == 'f' && pow2 && size > 1)
        f->kind = NPY_FLOAT;
    else if (kind == 'U')
        f->kind = NPY_UNICODE, f->size = 4 * size;
    else if (kind == 'S')
        f->kind = NPY_BYTES;
    f->swap = order == '>' && f->kind != NPY_BYTES && f->kind != NPY_OTHER && size > 1;
    if (f->kind == NPY_UNICODE)
        f->swap = order == '>';
    return 0;
}

static int object_error(const NpyReader *r, Error *err)
{
    return error_set(err, "%s: an object array (dtype '|O', pickled Python objects) is not read "
                          "(that would run Python's unpickler); save fixed-width strings instead: "
                          "np.save(path, arr.astype(str))", r->name);
}

/* The fields of a structured descr "[('seq', '<U200'), ('label', '<i8', (2,))]"; s is past '['. */
static int parse_fields(NpyReader *r, const char *s, Error *err)
{
    size_t off = 0;
    for (;;) {
        s += strspn(s, " ,");
        if (*s == ']')
            break;
        if (r->nfields == NPY_MAX_FIELDS)
            return error_set(err, "%s: more than %d fields", r->name, NPY_MAX_FIELDS);
        NpyField *f = &r->fields[r->nfields++];
        const char *p = *s == '(' ? parse_quoted(s + 1, f->name, sizeof f->name) : NULL;
        if (p)
            p += strspn(p, " ");
        p = p && *p == ',' ? parse_quoted(p + 1, f->descr, sizeof f->descr) : NULL;
        if (!p)
            return error_set(err, "%s: cannot read field %d of the structured dtype (nested "
                                  "fields and titles are not supported)", r->name, r->nfields - 1);
        if (field_type(f) != 0)
            return object_error(r, err);
        if (f->size == 0)
            return error_set(err, "%s: field '%s': dtype '%s' not read", r->name, f->name,
                             f->descr);
        p += strspn(p, " ");
        if (*p == ',') {
            int64_t sub[NPY_MAX_RANK];
            int rank;
            p = parse_tuple(p + 1, sub, &rank);
            int64_t count = 1;
            for (int i = 0; p && i < rank; i++)
                count = sub[i] > (1 << 30) || count * sub[i] > (1 << 30) ? -1 : count * sub[i];
            if (count < 0)
                return error_set(err, "%s: field '%s': a sub-array of over 2^30 values", r->name,
                                 f->name);
            f->count = (int)count;
            p = p ? p + strspn(p, " ") : NULL;
        }
        if (!p || *p != ')')
            return error_set(err, "%s: cannot read field '%s' of the structured dtype", r->name,
                             f->name);
        f->offset = off;
        off += (size_t)f->size * (size_t)f->count;
        s = p + 1;
    }
    if (r->nfields == 0 || off == 0 || off > (1u << 30))
        return error_set(err, "%s: a structured dtype without fields, or over 1 GiB an element",
                         r->name);
    r->itemsize = off;
    snprintf(r->descr, sizeof r->descr, "|V%u", (unsigned)off);
    return 0;
}

/* 'descr': a type string or a list of fields. */
static int parse_descr(NpyReader *r, const char *d, Error *err)
{
    d = strchr(d + 7, ':');
    d = d ? d + 1 + strspn(d + 1, " ") : NULL;
    if (d && *d == '[') {
        r->dtype.kind = NPY_OTHER;
        return parse_fields(r, d + 1, err);
    }
    if (!d || !parse_quoted(d, r->dtype.descr, sizeof r->dtype.descr))
        return error_set(err, "%s: cannot read the dtype", r->name);
    snprintf(r->descr, sizeof r->descr, "%s", r->dtype.descr);
    if (field_type(&r->dtype) != 0)
        return object_error(r, err);
    if (r->dtype.kind == NPY_OTHER || r->dtype.size < 1)
        return error_set(err, "%s: dtype '%s' not supported (bool, integers, float16/32/64, "
                              "strings <U and |S, structured arrays of these)", r->name, r->descr);
    r->itemsize = (size_t)r->dtype.size;
    return 0;
}

/* The last occurrence of key in h (a field named like a key comes before it: keys are sorted). */
static const char *find_key(const char *h, const char *key)
{
    const char *last = NULL;
    for (const char *p = strstr(h, key); p; p = strstr(p + 1, key))
        last = p;
    return last;
}

static int parse_header(NpyReader *r, const char *h, Error *err)
{
    const char *d = strstr(h, "'descr'");
    const char *f = find_key(h, "'fortran_order'");
    const char *s = find_key(h, "'shape'");
    if (!d || !f || !s)
        return error_set(err, "%s: not a NumPy array header", r->name);
    if (parse_descr(r, d, err) != 0)
        return -1;
    f = strchr(f + 15, ':');
    if (f && strncmp(f + 1 + strspn(f + 1, " "), "True", 4) == 0)
        return error_set(err, "%s: Fortran-order array; save it in C order (np.ascontiguousarray)",
                         r->name);
    s = strchr(s + 7, ':');
    if (!s || !parse_tuple(s + 1, r->shape, &r->rank))
        return error_set(err, "%s: cannot read the shape", r->name);
    r->left = 1;
    for (int i = 0; i < r->rank; i++)
        r->left *= (uint64_t)r->shape[i];
    return 0;
}

static int read_header(NpyReader *r, Error *err)
{
    unsigned char pre[12];
    if (source_read(r, pre, 10, err) != 0)
        return error_set(err, "%s: empty or truncated, not a NumPy .npy array", r->name);
    if (memcmp(pre, "\x93NUMPY", 6) != 0)
        return error_set(err, "%s: not a NumPy .npy array (no \\x93NUMPY signature)", r->name);
    uint32_t hlen;
    if (pre[6] == 1) {
        hlen = le16(pre + 8);
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (source_read(r, pre + 10, 2, err) != 0)
            return -1;
        hlen = le32(pre + 8);
    } else {
        return error_set(err, "%s: .npy format version %d not supported", r->name, pre[6]);
    }
    if (hlen > (1u << 20))
        return error_set(err, "%s: .npy header too long (%u bytes)", r->name, hlen);
    char *h = xmalloc(hlen + 1, 1);
    int rc = source_read(r, (unsigned char *)h, hlen, err);
    if (rc == 0) {
        h[hlen] = '\0';
        rc = parse_header(r, h, err);
    }
    free(h);
    return rc;
}

static int open_member(NpyReader *r, const char *path, const char *member, Error *err)
{
    int n;
    ZipEntry *e = zip_read_dir(r->fp, path, &n, err);
    if (!e)
        return -1;
    int pick = -1, npy = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(e[i].name);
        int is_npy = len > 4 && strcmp(e[i].name + len - 4, ".npy") == 0;
        npy += is_npy;
        if (member) {
            size_t ml = strlen(member);
            if (strcmp(e[i].name, member) == 0 ||
                (is_npy && len == ml + 4 && strncmp(e[i].name, member, ml) == 0))
                pick = i;
        } else if (is_npy && pick < 0) {
            pick = i;
        }
    }
    if (pick < 0 || (!member && npy > 1)) {
        char list[256] = "";
        for (int i = 0; i < n; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     e[i].name);
        if (member)
            error_set(err, "%s: no array '%s' in the archive (it holds: %s)", path, member, list);
        else if (npy > 1)
            error_set(err, "%s: holds several arrays (%s): name the one to read", path, list);
        else
            error_set(err, "%s: no .npy array in the archive (it holds: %s)", path,
                      n ? list : "nothing");
        free_entries(e, n);
        return -1;
    }
    ZipEntry z = e[pick];
    size_t nl = strlen(path) + strlen(z.name) + 2;
    free(r->name);
    r->name = xmalloc(nl, 1);
    snprintf(r->name, nl, "%s:%s", path, z.name);
    free_entries(e, n);
    unsigned char lh[30];
    if (z.flags & 1)
        return error_set(err, "%s: encrypted zip member", r->name);
    if (z.method != 0 && z.method != 8)
        return error_set(err, "%s: zip compression method %d not supported (stored or deflate)",
                         r->name, z.method);
    if (read_at(r->fp, z.local, lh, 30) != 0 || le32(lh) != 0x04034b50u)
        return error_set(err, "%s: damaged zip member header", r->name);
    if (fseeko(r->fp, (off_t)(z.local + 30 + le16(lh + 26) + le16(lh + 28)), SEEK_SET) != 0)
        return error_set(err, "%s: cannot seek to the member", r->name);
    r->method = z.method;
    r->comp_left = z.comp;
    if (z.method == 8) {
        if (inflateInit2(&r->z, -MAX_WBITS) != Z_OK)
            return error_set(err, "%s: cannot start zlib", r->name);
        r->z_open = 1;
        r->in = xmalloc(NPY_IOBUF, 1);
    }
    return 0;
}

NpyReader *npy_open(const char *path, const char *member, Error *err)
{
    NpyReader *r = xcalloc(1, sizeof *r);
    r->name = dup_str(path);
    r->method = -1;
    r->fp = fopen(path, "rb");
    if (!r->fp) {
        error_set(err, "%s: cannot open: %s", path, strerror(errno));
        npy_close(r);
        return NULL;
    }
    if ((file_is_zip(path) && open_member(r, path, member, err) != 0) || read_header(r, err) != 0) {
        npy_close(r);
        return NULL;
    }
    r->raw = xmalloc(NPY_IOBUF, 1);
    return r;
}

int npy_rank(const NpyReader *r) { return r->rank; }
const int64_t *npy_shape(const NpyReader *r) { return r->shape; }
const char *npy_descr(const NpyReader *r) { return r->descr; }
const char *npy_name(const NpyReader *r) { return r->name; }
int npy_is_integer(const NpyReader *r)
{
    return r->dtype.kind == NPY_BOOL || r->dtype.kind == NPY_UINT || r->dtype.kind == NPY_INT;
}
const NpyField *npy_dtype(const NpyReader *r) { return &r->dtype; }
int npy_fields(const NpyReader *r) { return r->nfields; }
const NpyField *npy_field(const NpyReader *r, int i) { return &r->fields[i]; }
size_t npy_itemsize(const NpyReader *r) { return r->itemsize; }
int64_t npy_bytes_in(const NpyReader *r) { return r->consumed; }

static float half_to_float(uint16_t h)
{
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    float v;
    if (e == 0)
        v = ldexpf((float)m, -24);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexpf((float)(m | 1024), e - 25);
    return s ? -v : v;
}

static void swap_bytes(unsigned char *p, size_t n, int size)
{
    for (size_t i = 0; i < n; i++, p += size)
        for (int a = 0, b = size - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* A number of the given kind and size at p, in the machine's byte order. */
static float value_f32(NpyKind kind, int size, const unsigned char *p)
{
    switch (kind * 16 + size) {
    case NPY_BOOL * 16 + 1: return p[0] != 0;
    case NPY_UINT * 16 + 1: return p[0];
    case NPY_INT * 16 + 1: return (int8_t)p[0];
    case NPY_UINT * 16 + 2: { uint16_t x; memcpy(&x, p, 2); return x; }
    case NPY_INT * 16 + 2: { int16_t x; memcpy(&x, p, 2); return x; }
    case NPY_UINT * 16 + 4: { uint32_t x; memcpy(&x, p, 4); return (float)x; }
    case NPY_INT * 16 + 4: { int32_t x; memcpy(&x, p, 4); return (float)x; }
    case NPY_UINT * 16 + 8: { uint64_t x; memcpy(&x, p, 8); return (float)x; }
    case NPY_INT * 16 + 8: { int64_t x; memcpy(&x, p, 8); return (float)x; }
    case NPY_FLOAT * 16 + 2: { uint16_t x; memcpy(&x, p, 2); return half_to_float(x); }
    case NPY_FLOAT * 16 + 4: { float x; memcpy(&x, p, 4); return x; }
    case NPY_FLOAT * 16 + 8: { double x; memcpy(&x, p, 8); return (float)x; }
    default: return NAN;
    }
}

float npy_value_f32(const NpyField *f, const unsigned char *p, int k)
{
    unsigned char b[8];
    p += f->offset + (size_t)k * (size_t)f->size;
    if (f->swap && f->size <= 8) {
        for (int i = 0; i < f->size; i++)
            b[i] = p[f->size - 1 - i];
        p = b;
    }
    return value_f32(f->kind, f->size, p);
}

uint32_t npy_char(const NpyField *f, const unsigned char *p, int i)
{
    p += f->offset;
    if (f->kind == NPY_BYTES)
        return p[i];
    p += 4 * (size_t)i;
    return f->swap ? (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24
                   : le32(p);
}

int npy_strlen(const NpyField *f, const unsigned char *p)
{
    int n = f->kind == NPY_UNICODE ? f->size / 4 : f->size;
    while (n > 0 && npy_char(f, p, n - 1) == 0)
        n--;
    return n;
}

int npy_read_raw(NpyReader *r, size_t n, void *out, Error *err)
{
    if (n > r->left)
        return error_set(err, "%s: %zu elements requested, %llu left", r->name, n,
                         (unsigned long long)r->left);
    if (source_read(r, out, n * r->itemsize, err) != 0)
        return -1;
    r->left -= n;
    return 0;
}

int npy_read_f32(NpyReader *r, size_t n, float *out, Error *err)
{
    const NpyKind kind = r->dtype.kind;
    const int size = r->dtype.size;
    if (r->nfields || kind == NPY_UNICODE || kind == NPY_BYTES || kind == NPY_OTHER)
        return error_set(err, "%s: dtype '%s' holds no numbers", r->name, r->descr);
    if (n > r->left)
        return error_set(err, "%s: %zu elements requested, %llu left", r->name, n,
                         (unsigned long long)r->left);
    size_t per = NPY_IOBUF / (size_t)size;
    while (n > 0) {
        size_t m = n < per ? n : per;
        if (source_read(r, r->raw, m * (size_t)size, err) != 0)
            return -1;
        if (r->dtype.swap)
            swap_bytes(r->raw, m, size);
        const unsigned char *p = r->raw;
        for (size_t i = 0; i < m; i++, p += size)
            out[i] = value_f32(kind, size, p);
        out += m;
        n -= m;
        r->left -= m;
    }
    return 0;
}

void npy_close(NpyReader *r)
{
    if (!r)
        return;
    if (r->z_open)
        inflateEnd(&r->z);
    if (r->fp)
        fclose(r->fp);
    free(r->in);
    free(r->raw);
    free(r->name);
    free(r);
}
