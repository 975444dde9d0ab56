/* h5io.c: every HDF5 call of gseq_mpi, each one checked. See h5io.h.
 *
 * Datasets opened through an H5File stay open in a small cache until h5_close, so repeated block reads
 * of the same dataset keep HDF5's chunk cache warm (compressed chunks are inflated once, not once per
 * batch). Errors carry HDF5's innermost reason ("truncated file: eof = ...") after our own words. */
#include "data/h5io.h"

#include <errno.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define H5IO_CACHE 8
#define H5IO_CHUNK_CACHE_BYTES (32u << 20) /* per open dataset, filled only as chunks are read */
#define H5IO_CHUNK_CACHE_SLOTS 12421       /* a prime, about 100 x the chunks that fit */

typedef struct {
    char *name;
    hid_t id;
    uint64_t used;
} DsetSlot;

struct H5File {
    hid_t id;
    char *path;
    int writable;
    uint64_t clock;
    DsetSlot cache[H5IO_CACHE];
};

/* ---- errors ---- */

static void h5io_silence(void)
{
    static int done = 0;
    if (!done) {
        /* No library shutdown at exit: after an H5Fclose that failed (a full disk, a file size
         * limit) HDF5 1.10 keeps the half-closed file and crashes closing it again from its atexit
         * handler, turning a clean error exit into a segmentation fault. Every file is closed
         * explicitly, so the shutdown has nothing left to do. */
        H5dont_atexit();
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        done = 1;
    }
}

static herr_t innermost_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    char *out = data;
    if (n == 0 && e->desc && e->desc[0])
        snprintf(out, 200, "%s", e->desc);
    return 0;
}

/* HDF5's low-level I/O messages span lines and carry pointers ("file write failed: time = ...\n,
 * filename = '...', file descriptor = 19, errno = 28, error message = 'No space left on device',
 * buf = 0x..."): keep what failed and the system's words, on one line. */
static void one_line_reason(char out[200])
{
    const char *msg = strstr(out, "error message = '");
    const char *colon = strchr(out, ':');
    if (msg && colon && colon < msg) {
        msg += strlen("error message = '");
        const char *end = strchr(msg, '\'');
        char what[200];
        snprintf(what, sizeof what, "%.*s: %.*s", (int)(colon - out), out,
                 (int)(end ? end - msg : (ptrdiff_t)strlen(msg)), msg);
        snprintf(out, 200, "%s", what);
    }
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
}

/* The most specific message HDF5 left on its error stack, or "" */
static void hdf5_reason(char out[200])
{
    out[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, out);
    H5Eclear2(H5E_DEFAULT);
    one_line_reason(out);
}

/* "FILE: WHAT: message (HDF5: reason)"; always -1 */
GSEQ_PRINTF(4, 5)
static int h5_fail(const H5File *f, const char *what, Error *err, const char *fmt, ...)
{
    char msg[300], reason[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hdf5_reason(reason);
    if (reason[0])
        return error_set(err, "%s: %s: %s (HDF5: %s)", f->path, what, msg, reason);
    return error_set(err, "%s: %s: %s", f->path, what, msg);
}

static void dset_what(char *buf, size_t n, const char *name) { snprintf(buf, n, "dataset %s", name); }

/* ---- files ---- */

static H5File *file_new(const char *path, hid_t id, int writable)
{
    H5File *f = xcalloc(1, sizeof *f);
    f->id = id;
    f->writable = writable;
    size_t len = strlen(path);
    f->path = xmalloc(len + 1, 1);
    memcpy(f->path, path, len + 1);
    return f;
}

/* HDF5's signature sits at byte 0, 512, 1024, 2048, ... (after a user block, as in MATLAB files). */
static int has_hdf5_signature(const char *path, int64_t size)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    int found = 0;
    for (int64_t off = 0; !found && off + 8 <= size; off = off ? off * 2 : 512) {
        unsigned char buf[8];
        if (fseeko(fp, (off_t)off, SEEK_SET) != 0 || fread(buf, 1, 8, fp) != 8)
            break;
        found = memcmp(buf, sig, 8) == 0;
    }
    fclose(fp);
    return found;
}

/* File access: closing a file closes everything in it; on file systems without flock (some NFS and
 * Lustre mounts) HDF5 >= 1.10.7 would refuse to open, so locking is used where it works. -1 on error. */
static hid_t file_access(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return -1;
    if (H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0
#if H5_VERSION_GE(1, 10, 7)
        || H5Pset_file_locking(fapl, 1, 1) < 0
#endif
    ) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

H5File *h5_open(const char *path, int writable, Error *err)
{
    h5io_silence();
    struct stat st;
    if (stat(path, &st) != 0) {
        error_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        error_set(err, "%s: is a directory, expected an HDF5 file", path);
        return NULL;
    }
    if (st.st_size == 0) {
        error_set(err, "%s: empty file (0 bytes), expected an HDF5 file", path);
        return NULL;
    }
    hid_t fapl = file_access();
    if (fapl < 0) {
        char reason[200];
        hdf5_reason(reason);
        error_set(err, "%s: cannot set up file access (HDF5: %s)", path, reason);
        return NULL;
    }
    hid_t id = H5Fopen(path, writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
    char reason[200];
    hdf5_reason(reason); /* before the next HDF5 call clears the stack */
    H5Pclose(fapl);
    if (id < 0) {
        if (!has_hdf5_signature(path, (int64_t)st.st_size))
            error_set(err, "%s: not an HDF5 file (no HDF5 signature in its %lld bytes)", path,
                      (long long)st.st_size);
        else
            error_set(err, "%s: cannot open HDF5 file, truncated or damaged (HDF5: %s)", path,
                      reason[0] ? reason : "no reason given");
        return NULL;
    }
    return file_new(path, id, writable);
}

H5File *h5_create(const char *path, Error *err)
{
    h5io_silence();
    hid_t fapl = file_access();
    if (fapl < 0) {
        error_set(err, "%s: cannot set up file access", path);
        return NULL;
    }
    hid_t id = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    char reason[200];
    hdf5_reason(reason);
    H5Pclose(fapl);
    if (id < 0) {
        int e = errno;
        unlink(path); /* H5Fcreate may leave what it began (a full disk): never a broken file */
        error_set(err, "%s: cannot create HDF5 file: %s (HDF5: %s)", path, strerror(e),
                  reason[0] ? reason : "no reason given");
        return NULL;
    }
    return file_new(path, id, 1);
}

const char *h5_path(const H5File *f) { return f->path; }

static void cache_drop(H5File *f, const char *name)
{
    for (int i = 0; i < H5IO_CACHE; i++)
        if (f->cache[i].name && strcmp(f->cache[i].name, name) == 0) {
            H5Dclose(f->cache[i].id);
            free(f->cache[i].name);
            f->cache[i].name = NULL;
        }
}

int h5_close(H5File *f, Error *err)
{
    if (!f)
        return 0;
    int rc = 0;
    for (int i = 0; i < H5IO_CACHE; i++)
        if (f->cache[i].name) {
            if (H5Dclose(f->cache[i].id) < 0 && rc == 0)
                rc = h5_fail(f, f->cache[i].name, err, "cannot close dataset");
            free(f->cache[i].name);
        }
    if (H5Fclose(f->id) < 0 && rc == 0)
        rc = h5_fail(f, "file", err, "cannot close (disk full?)");
    free(f->path);
    free(f);
    return rc;
}

int h5_has(H5File *f, const char *name)
{
    if (!name[0] || strcmp(name, "/") == 0)
        return 1;
    size_t len = strlen(name);
    char *p = xmalloc(len + 1, 1);
    memcpy(p, name, len + 1);
    int ok = 1;
    /* H5Lexists needs every parent to exist, so test the path one component at a time. */
    for (size_t i = 1; i <= len && ok; i++)
        if (p[i] == '/' || p[i] == '\0') {
            char c = p[i];
            p[i] = '\0';
            if (i > 1 || p[0] != '/')
                ok = H5Lexists(f->id, p, H5P_DEFAULT) > 0;
            p[i] = c;
        }
    free(p);
    H5Eclear2(H5E_DEFAULT);
    return ok;
}

/* An open dataset, from the cache or newly opened with a generous chunk cache; -1 + message. */
static hid_t dset_get(H5File *f, const char *name, Error *err)
{
    for (int i = 0; i < H5IO_CACHE; i++)
        if (f->cache[i].name && strcmp(f->cache[i].name, name) == 0) {
            f->cache[i].used = ++f->clock;
            return f->cache[i].id;
        }
    char what[300];
    dset_what(what, sizeof what, name);
    if (!h5_has(f, name)) {
        h5_fail(f, what, err, "missing");
        return -1;
    }
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl < 0 ||
        H5Pset_chunk_cache(dapl, H5IO_CHUNK_CACHE_SLOTS, H5IO_CHUNK_CACHE_BYTES, 0.75) < 0) {
        if (dapl >= 0)
            H5Pclose(dapl);
        h5_fail(f, what, err, "cannot set up dataset access");
        return -1;
    }
    hid_t id = H5Dopen2(f->id, name, dapl);
    if (id < 0) {
        h5_fail(f, what, err, "cannot open (is it a group?)");
        H5Pclose(dapl);
        return -1;
    }
    H5Pclose(dapl);
    int slot = 0;
    for (int i = 0; i < H5IO_CACHE; i++) {
        if (!f->cache[i].name) {
            slot = i;
            break;
        }
        if (f->cache[i].used < f->cache[slot].used)
            slot = i;
    }
    if (f->cache[slot].name) {
        H5Dclose(f->cache[slot].id);
        free(f->cache[slot].name);
    }
    size_t len = strlen(name);
    f->cache[slot].name = xmalloc(len + 1, 1);
    memcpy(f->cache[slot].name, name, len + 1);
    f->cache[slot].id = id;
    f->cache[slot].used = ++f->clock;
    return id;
}

/* ---- types ---- */

static hid_t mem_type(H5Type t)
{
    switch (t) {
    case H5IO_U8: return H5T_NATIVE_UINT8;
    case H5IO_I32: return H5T_NATIVE_INT32;
    case H5IO_I64: return H5T_NATIVE_INT64;
    case H5IO_F32: return H5T_NATIVE_FLOAT;
    case H5IO_F64: return H5T_NATIVE_DOUBLE;
    case H5IO_STR: break;
    }
    return -1;
}

static hid_t file_type(H5Type t)
{
    switch (t) {
    case H5IO_U8: return H5T_STD_U8LE;
    case H5IO_I32: return H5T_STD_I32LE;
    case H5IO_I64: return H5T_STD_I64LE;
    case H5IO_F32: return H5T_IEEE_F32LE;
    case H5IO_F64: return H5T_IEEE_F64LE;
    case H5IO_STR: break;
    }
    return -1;
}

/* A variable-length UTF-8 (or `cset`) string type; the caller closes it. */
static hid_t vstr_type(H5T_cset_t cset)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return -1;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, cset) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static void fill_info(hid_t type, H5Info *info)
{
    H5T_class_t cls = H5Tget_class(type);
    info->size = H5Tget_size(type);
    info->is_signed = 0;
    if (cls == H5T_INTEGER) {
        info->kind = H5K_INTEGER;
        info->is_signed = H5Tget_sign(type) == H5T_SGN_2;
    } else if (cls == H5T_FLOAT) {
        info->kind = H5K_FLOAT;
    } else if (cls == H5T_STRING) {
        info->kind = H5K_STRING;
        if (H5Tis_variable_str(type) > 0)
            info->size = 0;
    } else {
        info->kind = H5K_OTHER;
    }
}

int h5_info(H5File *f, const char *name, H5Info *info, Error *err)
{
    memset(info, 0, sizeof *info);
    hid_t d = dset_get(f, name, err);
    if (d < 0)
        return -1;
    char what[300];
    dset_what(what, sizeof what, name);
    hid_t space = H5Dget_space(d);
    hid_t type = H5Dget_type(d);
    hid_t dcpl = H5Dget_create_plist(d);
    int rc = 0;
    if (space < 0 || type < 0 || dcpl < 0) {
        rc = h5_fail(f, what, err, "cannot read its shape and type");
        goto done;
    }
    int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0 || rank > H5IO_MAX_RANK) {
        rc = h5_fail(f, what, err, "rank %d not supported (at most %d)", rank, H5IO_MAX_RANK);
        goto done;
    }
    hsize_t dims[H5IO_MAX_RANK];
    if (H5Sget_simple_extent_dims(space, dims, NULL) < 0) {
        rc = h5_fail(f, what, err, "cannot read its shape");
        goto done;
    }
    info->rank = rank;
    for (int i = 0; i < rank; i++)
        info->dims[i] = (int64_t)dims[i];
    fill_info(type, info);
    if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
        hsize_t chunk[H5IO_MAX_RANK];
        if (H5Pget_chunk(dcpl, H5IO_MAX_RANK, chunk) == rank) {
            info->chunked = 1;
            for (int i = 0; i < rank; i++)
                info->chunk[i] = (int64_t)chunk[i];
        }
    }
done:
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return rc;
}

const char *h5_kind_name(const H5Info *info, char *buf, size_t len)
{
    switch (info->kind) {
    case H5K_INTEGER:
        snprintf(buf, len, "%sint%zu", info->is_signed ? "" : "u", info->size * 8);
        break;
    case H5K_FLOAT: snprintf(buf, len, "float%zu", info->size * 8); break;
    case H5K_STRING: snprintf(buf, len, "string"); break;
    default: snprintf(buf, len, "a non-numeric type"); break;
    }
    return buf;
}

int h5_dims(H5File *f, const char *name, int *rank, int64_t dims[H5IO_MAX_RANK], Error *err)
{
    H5Info info;
    if (h5_info(f, name, &info, err) != 0)
        return -1;
    *rank = info.rank;
    for (int i = 0; i < info.rank; i++)
        dims[i] = info.dims[i];
    return 0;
}

static void shape_text(const H5Info *info, char *buf, size_t len)
{
    size_t k = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < info->rank && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%lld", i ? ", " : "", (long long)info->dims[i]);
    if (k < len)
        snprintf(buf + k, len - k, ")");
}

#if H5_VERSION_GE(1, 10, 5) /* H5Dget_num_chunks */
/* Chunks needed to cover the shape (saturating: a corrupted shape may overflow 64 bits). */
static uint64_t chunks_covering(const H5Info *info)
{
    uint64_t n = 1;
    for (int i = 0; i < info->rank; i++) {
        uint64_t d = (uint64_t)info->dims[i], c = (uint64_t)info->chunk[i];
        uint64_t k = c ? d / c + (d % c != 0) : 0;
        if (k == 0)
            return 0;
        n = n > UINT64_MAX / k ? UINT64_MAX : n * k;
    }
    return n;
}
#endif

int h5_check_stored(H5File *f, const char *name, Error *err)
{
    H5Info info;
    if (h5_info(f, name, &info, err) != 0)
        return -1;
    hid_t d = dset_get(f, name, err);
    if (d < 0)
        return -1;
    char what[300], shape[120];
    dset_what(what, sizeof what, name);
    shape_text(&info, shape, sizeof shape);
    if (info.chunked) {
#if H5_VERSION_GE(1, 10, 5)
        uint64_t need = chunks_covering(&info);
        hsize_t have = 0;
        hid_t space = need > 0 ? H5Dget_space(d) : -1;
        herr_t rc = need > 0 && space >= 0 ? H5Dget_num_chunks(d, space, &have) : 0;
        if (space >= 0)
            H5Sclose(space);
        if (need > 0 && (space < 0 || rc < 0))
            return h5_fail(f, what, err, "cannot count its stored chunks");
        if ((uint64_t)have < need)
            return h5_fail(f, what, err, "shape %s needs %llu chunks, the file stores %llu: written "
                        "incompletely or damaged", shape, (unsigned long long)need,
                        (unsigned long long)have);
#endif
        return 0;
    }
    hid_t dcpl = H5Dget_create_plist(d);
    if (dcpl < 0)
        return h5_fail(f, what, err, "cannot read its layout");
    int contiguous = H5Pget_layout(dcpl) == H5D_CONTIGUOUS && H5Pget_external_count(dcpl) == 0;
    H5Pclose(dcpl);
    if (!contiguous || info.size == 0) /* compact (always whole), external, strings */
        return 0;
    uint64_t need = info.size;
    for (int i = 0; i < info.rank; i++) {
        uint64_t dim = (uint64_t)info.dims[i];
        need = dim && need > UINT64_MAX / dim ? UINT64_MAX : need * dim;
    }
    uint64_t have = H5Dget_storage_size(d);
    if (have < need)
        return h5_fail(f, what, err, "shape %s needs %llu bytes, the file stores %llu: written "
                    "incompletely or damaged", shape, (unsigned long long)need,
                    (unsigned long long)have);
    return 0;
}

/* ---- whole datasets ---- */

static int read_all(H5File *f, const char *name, H5Type t, void *buf, size_t n, Error *err)
{
    H5Info info;
    if (h5_info(f, name, &info, err) != 0)
        return -1;
    char what[300], shape[120];
    dset_what(what, sizeof what, name);
    shape_text(&info, shape, sizeof shape);
    if (info.kind != H5K_INTEGER && info.kind != H5K_FLOAT) {
        char kind[32];
        return h5_fail(f, what, err, "is %s, expected numbers", h5_kind_name(&info, kind, sizeof kind));
    }
    int64_t count = 1;
    for (int i = 0; i < info.rank; i++)
        count *= info.dims[i];
    if ((size_t)count != n)
        return h5_fail(f, what, err, "expected %zu elements, found %lld (shape %s)", n,
                    (long long)count, shape);
    if (n == 0)
        return 0;
    hid_t d = dset_get(f, name, err);
    if (H5Dread(d, mem_type(t), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        return h5_fail(f, what, err, "read failed");
    return 0;
}

int h5_read_f32(H5File *f, const char *name, float *buf, size_t n, Error *err)
{
    return read_all(f, name, H5IO_F32, buf, n, err);
}
int h5_read_u8(H5File *f, const char *name, uint8_t *buf, size_t n, Error *err)
{
    return read_all(f, name, H5IO_U8, buf, n, err);
}
int h5_read_i32(H5File *f, const char *name, int32_t *buf, size_t n, Error *err)
{
    return read_all(f, name, H5IO_I32, buf, n, err);
}

/* Property lists for new objects: intermediate groups, no timestamps (reproducible bytes). */
static int new_object_plists(hid_t *lcpl, hid_t *dcpl)
{
    *lcpl = H5Pcreate(H5P_LINK_CREATE);
    *dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (*lcpl < 0 || *dcpl < 0 || H5Pset_create_intermediate_group(*lcpl, 1) < 0 ||
        H5Pset_obj_track_times(*dcpl, 0) < 0) {
        if (*lcpl >= 0)
            H5Pclose(*lcpl);
        if (*dcpl >= 0)
            H5Pclose(*dcpl);
        return -1;
    }
    return 0;
}

/* Removes an existing dataset of that name, so that a write replaces it. */
static int unlink_existing(H5File *f, const char *name, Error *err)
{
    if (!h5_has(f, name))
        return 0;
    cache_drop(f, name);
    char what[300];
    dset_what(what, sizeof what, name);
    if (H5Ldelete(f->id, name, H5P_DEFAULT) < 0)
        return h5_fail(f, what, err, "cannot replace the existing dataset");
    return 0;
}

static int write_all(H5File *f, const char *name, H5Type t, int rank, const int64_t *dims,
                     const void *buf, Error *err)
{
    char what[300];
    dset_what(what, sizeof what, name);
    if (rank < 0 || rank > H5IO_MAX_RANK)
        return h5_fail(f, what, err, "rank %d not supported", rank);
    if (unlink_existing(f, name, err) != 0)
        return -1;
    hsize_t hd[H5IO_MAX_RANK];
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        hd[i] = (hsize_t)dims[i];
        n *= (size_t)dims[i];
    }
    hid_t lcpl, dcpl;
    if (new_object_plists(&lcpl, &dcpl) != 0)
        return h5_fail(f, what, err, "cannot set up dataset creation");
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, hd, NULL);
    hid_t d = space < 0 ? -1 : H5Dcreate2(f->id, name, file_type(t), space, lcpl, dcpl, H5P_DEFAULT);
    int rc = 0;
    if (d < 0)
        rc = h5_fail(f, what, err, "cannot create");
    else if (n > 0 && H5Dwrite(d, mem_type(t), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = h5_fail(f, what, err, "write failed (disk full?)");
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    return rc;
}

int h5_write_f32(H5File *f, const char *name, int rank, const int64_t *dims, const float *buf,
                 Error *err)
{
    return write_all(f, name, H5IO_F32, rank, dims, buf, err);
}
int h5_write_u8(H5File *f, const char *name, int rank, const int64_t *dims, const uint8_t *buf,
                Error *err)
{
    return write_all(f, name, H5IO_U8, rank, dims, buf, err);
}
int h5_write_i32(H5File *f, const char *name, int rank, const int64_t *dims, const int32_t *buf,
                 Error *err)
{
    return write_all(f, name, H5IO_I32, rank, dims, buf, err);
}

/* ---- strings ---- */

static char *dup_text(const char *s, size_t n)
{
    char *out = xmalloc(n + 1, 1);
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* Reads n strings of file type `ftype` from a dataset (is_attr 0: with mspace/fspace selections) or
 * an attribute into out[] (malloc'd each). Fixed-length strings lose their padding. */
static int read_strings_raw(hid_t obj, int is_attr, hid_t ftype, hid_t mspace, hid_t fspace,
                            size_t n, char **out)
{
    H5T_cset_t cset = H5Tget_cset(ftype);
    if (cset < 0)
        return -1;
    int rc = 0;
    if (H5Tis_variable_str(ftype) > 0) {
        hid_t mt = vstr_type(cset);
        if (mt < 0)
            return -1;
        char **tmp = xcalloc(n, sizeof *tmp);
        herr_t r = is_attr ? H5Aread(obj, mt, tmp) : H5Dread(obj, mt, mspace, fspace, H5P_DEFAULT, tmp);
        if (r < 0) {
            rc = -1;
        } else {
            for (size_t i = 0; i < n; i++)
                out[i] = dup_text(tmp[i] ? tmp[i] : "", tmp[i] ? strlen(tmp[i]) : 0);
            hsize_t hn = n;
            hid_t vs = H5Screate_simple(1, &hn, NULL);
#if H5_VERSION_GE(1, 12, 0)
            if (vs >= 0)
                H5Treclaim(mt, vs, H5P_DEFAULT, tmp);
#else
            if (vs >= 0)
                H5Dvlen_reclaim(mt, vs, H5P_DEFAULT, tmp);
#endif
            if (vs >= 0)
                H5Sclose(vs);
        }
        free(tmp);
        H5Tclose(mt);
        return rc;
    }
    size_t size = H5Tget_size(ftype);
    hid_t mt = H5Tcopy(H5T_C_S1);
    if (mt < 0 || size == 0 || H5Tset_size(mt, size + 1) < 0 ||
        H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0 || H5Tset_cset(mt, cset) < 0) {
        if (mt >= 0)
            H5Tclose(mt);
        return -1;
    }
    char *buf = xcalloc(n ? n : 1, size + 1);
    herr_t r = is_attr ? H5Aread(obj, mt, buf) : H5Dread(obj, mt, mspace, fspace, H5P_DEFAULT, buf);
    if (r < 0) {
        rc = -1;
    } else {
        for (size_t i = 0; i < n; i++) {
            const char *s = buf + i * (size + 1);
            out[i] = dup_text(s, strnlen(s, size));
        }
    }
    free(buf);
    H5Tclose(mt);
    return rc;
}

char *h5_read_string(H5File *f, const char *name, Error *err)
{
    H5Info info;
    if (h5_info(f, name, &info, err) != 0)
        return NULL;
    char what[300];
    dset_what(what, sizeof what, name);
    int64_t n = 1;
    for (int i = 0; i < info.rank; i++)
        n *= info.dims[i];
    if (info.kind != H5K_STRING || n != 1) {
        char kind[32];
        h5_fail(f, what, err, "expected one string, found %lld element(s) of %s", (long long)n,
             h5_kind_name(&info, kind, sizeof kind));
        return NULL;
    }
    hid_t d = dset_get(f, name, err);
    hid_t type = H5Dget_type(d);
    char *out = NULL;
    if (type < 0 || read_strings_raw(d, 0, type, H5S_ALL, H5S_ALL, 1, &out) != 0)
        h5_fail(f, what, err, "cannot read the string");
    if (type >= 0)
        H5Tclose(type);
    return out;
}

int h5_write_string(H5File *f, const char *name, const char *text, Error *err)
{
    char what[300];
    dset_what(what, sizeof what, name);
    if (unlink_existing(f, name, err) != 0)
        return -1;
    hid_t lcpl, dcpl;
    if (new_object_plists(&lcpl, &dcpl) != 0)
        return h5_fail(f, what, err, "cannot set up dataset creation");
    hid_t t = vstr_type(H5T_CSET_UTF8);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t d = (t < 0 || space < 0) ? -1 : H5Dcreate2(f->id, name, t, space, lcpl, dcpl, H5P_DEFAULT);
    int rc = 0;
    if (d < 0)
        rc = h5_fail(f, what, err, "cannot create");
    else if (H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) < 0)
        rc = h5_fail(f, what, err, "write failed");
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    if (t >= 0)
        H5Tclose(t);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    return rc;
}

/* ---- attributes ---- */

int h5_has_attr(H5File *f, const char *obj, const char *attr)
{
    if (!h5_has(f, obj))
        return 0;
    int r = H5Aexists_by_name(f->id, obj, attr, H5P_DEFAULT) > 0;
    H5Eclear2(H5E_DEFAULT);
    return r;
}

/* Opens attribute `attr` of `obj`; -1 + message. *space and *type are set for the caller to close. */
static hid_t attr_open(H5File *f, const char *obj, const char *attr, const char *what, hid_t *space,
                       hid_t *type, hssize_t *n, Error *err)
{
    if (!h5_has_attr(f, obj, attr)) {
        h5_fail(f, what, err, "missing");
        return -1;
    }
    hid_t a = H5Aopen_by_name(f->id, obj, attr, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) {
        h5_fail(f, what, err, "cannot open");
        return -1;
    }
    *space = H5Aget_space(a);
    *type = H5Aget_type(a);
    *n = *space >= 0 ? H5Sget_simple_extent_npoints(*space) : -1;
    if (*space < 0 || *type < 0 || *n < 0) {
        h5_fail(f, what, err, "cannot read its type");
        if (*space >= 0)
            H5Sclose(*space);
        if (*type >= 0)
            H5Tclose(*type);
        H5Aclose(a);
        return -1;
    }
    return a;
}

char *h5_read_attr_string(H5File *f, const char *obj, const char *attr, Error *err)
{
    char what[300];
    snprintf(what, sizeof what, "attribute '%s' of %s", attr, obj);
    hid_t space, type;
    hssize_t n;
    hid_t a = attr_open(f, obj, attr, what, &space, &type, &n, err);
    if (a < 0)
        return NULL;
    char *out = NULL;
    if (H5Tget_class(type) != H5T_STRING || n != 1) {
        h5_fail(f, what, err, "expected one string");
    } else {
        char **vals = xcalloc((size_t)n, sizeof *vals);
        if (read_strings_raw(a, 1, type, space, space, (size_t)n, vals) != 0)
            h5_fail(f, what, err, "cannot read");
        else
            out = vals[0];
        free(vals);
    }
    H5Sclose(space);
    H5Tclose(type);
    H5Aclose(a);
    return out;
}

int h5_read_attr_double(H5File *f, const char *obj, const char *attr, double *out, Error *err)
{
    char what[300];
    snprintf(what, sizeof what, "attribute '%s' of %s", attr, obj);
    hid_t space, type;
    hssize_t n;
    hid_t a = attr_open(f, obj, attr, what, &space, &type, &n, err);
    if (a < 0)
        return -1;
    H5T_class_t cls = H5Tget_class(type);
    int rc = 0;
    if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || n != 1)
        rc = h5_fail(f, what, err, "expected one number");
    else if (H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0)
        rc = h5_fail(f, what, err, "cannot read");
    H5Sclose(space);
    H5Tclose(type);
    H5Aclose(a);
    return rc;
}

static int attr_write(H5File *f, const char *obj, const char *attr, hid_t type, const void *value,
                      Error *err)
{
    char what[300];
    snprintf(what, sizeof what, "attribute '%s' of %s", attr, obj);
    if (!h5_has(f, obj))
        return h5_fail(f, what, err, "object %s does not exist", obj);
    if (h5_has_attr(f, obj, attr) && H5Adelete_by_name(f->id, obj, attr, H5P_DEFAULT) < 0)
        return h5_fail(f, what, err, "cannot replace");
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = space < 0 ? -1
                        : H5Acreate_by_name(f->id, obj, attr, type, space, H5P_DEFAULT, H5P_DEFAULT,
                                            H5P_DEFAULT);
    int rc = 0;
    if (a < 0)
        rc = h5_fail(f, what, err, "cannot create");
    else if (H5Awrite(a, type, value) < 0)
        rc = h5_fail(f, what, err, "write failed");
    if (a >= 0)
        H5Aclose(a);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

int h5_write_attr_string(H5File *f, const char *obj, const char *attr, const char *value, Error *err)
{
    hid_t t = vstr_type(H5T_CSET_UTF8);
    if (t < 0)
        return h5_fail(f, attr, err, "cannot make a string type");
    int rc = attr_write(f, obj, attr, t, &value, err);
    H5Tclose(t);
    return rc;
}

int h5_write_attr_double(H5File *f, const char *obj, const char *attr, double value, Error *err)
{
    return attr_write(f, obj, attr, H5T_NATIVE_DOUBLE, &value, err);
}

int h5_write_attr_int(H5File *f, const char *obj, const char *attr, int64_t value, Error *err)
{
    return attr_write(f, obj, attr, H5T_NATIVE_INT64, &value, err);
}

/* ---- slabs ---- */

int h5_create_dataset(H5File *f, const char *name, H5Type type, int rank, const int64_t *dims,
                      const int64_t *maxdims, const int64_t *chunk, int gzip, Error *err)
{
    char what[300];
    dset_what(what, sizeof what, name);
    if (rank < 1 || rank > H5IO_MAX_RANK)
        return h5_fail(f, what, err, "rank %d not supported", rank);
    if (unlink_existing(f, name, err) != 0)
        return -1;
    hsize_t hd[H5IO_MAX_RANK], hm[H5IO_MAX_RANK], hc[H5IO_MAX_RANK];
    for (int i = 0; i < rank; i++) {
        hd[i] = (hsize_t)dims[i];
        hm[i] = maxdims ? (maxdims[i] < 0 ? H5S_UNLIMITED : (hsize_t)maxdims[i]) : hd[i];
        if (chunk)
            hc[i] = (hsize_t)(chunk[i] > 0 ? chunk[i] : 1);
    }
    hid_t lcpl, dcpl;
    if (new_object_plists(&lcpl, &dcpl) != 0)
        return h5_fail(f, what, err, "cannot set up dataset creation");
    int rc = 0;
    hid_t t = type == H5IO_STR ? vstr_type(H5T_CSET_UTF8) : H5Tcopy(file_type(type));
    hid_t space = H5Screate_simple(rank, hd, hm);
    hid_t d = -1;
    if (t < 0 || space < 0) {
        rc = h5_fail(f, what, err, "cannot make its type and shape");
        goto done;
    }
    if (chunk && H5Pset_chunk(dcpl, rank, hc) < 0) {
        rc = h5_fail(f, what, err, "cannot set its chunk shape");
        goto done;
    }
    if (chunk && gzip > 0 && H5Pset_deflate(dcpl, (unsigned)(gzip > 9 ? 9 : gzip)) < 0) {
        rc = h5_fail(f, what, err, "cannot set gzip compression");
        goto done;
    }
    d = H5Dcreate2(f->id, name, t, space, lcpl, dcpl, H5P_DEFAULT);
    if (d < 0)
        rc = h5_fail(f, what, err, "cannot create");
    else
        H5Dclose(d);
done:
    if (t >= 0)
        H5Tclose(t);
    if (space >= 0)
        H5Sclose(space);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    return rc;
}

int h5_extend(H5File *f, const char *name, const int64_t *dims, Error *err)
{
    H5Info info;
    if (h5_info(f, name, &info, err) != 0)
        return -1;
    hsize_t hd[H5IO_MAX_RANK];
    for (int i = 0; i < info.rank; i++)
        hd[i] = (hsize_t)dims[i];
    char what[300];
    dset_what(what, sizeof what, name);
    if (H5Dset_extent(dset_get(f, name, err), hd) < 0)
        return h5_fail(f, what, err, "cannot extend");
    return 0;
}

/* Selects the box in the dataset's file space; fills *fspace and *mspace, or -1 + message. */
static int select_box(H5File *f, const char *name, hid_t d, const int64_t *start, const int64_t *count,
                      hid_t *fspace, hid_t *mspace, int *empty, Error *err)
{
    char what[300];
    dset_what(what, sizeof what, name);
    *fspace = H5Dget_space(d);
    *mspace = -1;
    if (*fspace < 0)
        return h5_fail(f, what, err, "cannot read its shape");
    int rank = H5Sget_simple_extent_ndims(*fspace);
    hsize_t dims[H5IO_MAX_RANK], hs[H5IO_MAX_RANK], hc[H5IO_MAX_RANK];
    if (rank < 1 || rank > H5IO_MAX_RANK || H5Sget_simple_extent_dims(*fspace, dims, NULL) < 0)
        return h5_fail(f, what, err, "unsupported shape");
    *empty = 0;
    for (int i = 0; i < rank; i++) {
        if (start[i] < 0 || count[i] < 0 || (hsize_t)(start[i] + count[i]) > dims[i])
            return h5_fail(f, what, err, "axis %d: range %lld..%lld outside its extent %llu", i,
                        (long long)start[i], (long long)(start[i] + count[i]),
                        (unsigned long long)dims[i]);
        hs[i] = (hsize_t)start[i];
        hc[i] = (hsize_t)count[i];
        if (count[i] == 0)
            *empty = 1;
    }
    if (*empty)
        return 0;
    if (H5Sselect_hyperslab(*fspace, H5S_SELECT_SET, hs, NULL, hc, NULL) < 0)
        return h5_fail(f, what, err, "cannot select rows");
    *mspace = H5Screate_simple(rank, hc, NULL);
    if (*mspace < 0)
        return h5_fail(f, what, err, "cannot make a memory space");
    return 0;
}

static int slab_io(H5File *f, const char *name, H5Type mem, const int64_t *start, const int64_t *count,
                   void *buf, int writing, Error *err)
{
    hid_t d = dset_get(f, name, err);
    if (d < 0)
        return -1;
    char what[300];
    dset_what(what, sizeof what, name);
    hid_t fspace, mspace;
    int empty = 0;
    int rc = select_box(f, name, d, start, count, &fspace, &mspace, &empty, err);
    if (rc != 0 || empty)
        goto done;
    hid_t ftype = H5Dget_type(d);
    if (ftype < 0) {
        rc = h5_fail(f, what, err, "cannot read its type");
        goto done;
    }
    int is_str = H5Tget_class(ftype) == H5T_STRING;
    if (is_str != (mem == H5IO_STR)) {
        rc = h5_fail(f, what, err, is_str ? "holds strings, expected numbers" : "holds numbers, expected strings");
    } else if (mem == H5IO_STR) {
        hssize_t n = H5Sget_select_npoints(mspace);
        if (writing) {
            hid_t t = vstr_type(H5T_CSET_UTF8);
            if (t < 0 || H5Dwrite(d, t, mspace, fspace, H5P_DEFAULT, buf) < 0)
                rc = h5_fail(f, what, err, "write failed (disk full?)");
            if (t >= 0)
                H5Tclose(t);
        } else if (n < 0 || read_strings_raw(d, 0, ftype, mspace, fspace, (size_t)n, buf) != 0) {
            rc = h5_fail(f, what, err, "read failed");
        }
    } else if (writing) {
        if (H5Dwrite(d, mem_type(mem), mspace, fspace, H5P_DEFAULT, buf) < 0)
            rc = h5_fail(f, what, err, "write failed (disk full?)");
    } else if (H5Dread(d, mem_type(mem), mspace, fspace, H5P_DEFAULT, buf) < 0) {
        rc = h5_fail(f, what, err, "read failed (damaged or truncated file?)");
    }
    H5Tclose(ftype);
done:
    if (fspace >= 0)
        H5Sclose(fspace);
    if (mspace >= 0)
        H5Sclose(mspace);
    return rc;
}

int h5_read_slab(H5File *f, const char *name, H5Type mem, const int64_t *start, const int64_t *count,
                 void *buf, Error *err)
{
    return slab_io(f, name, mem, start, count, buf, 0, err);
}

int h5_write_slab(H5File *f, const char *name, H5Type mem, const int64_t *start,
                  const int64_t *count, const void *buf, Error *err)
{
    return slab_io(f, name, mem, start, count, (void *)buf, 1, err);
}

/* ---- groups ---- */

char **h5_list(H5File *f, const char *group, int *n, Error *err)
{
    *n = 0;
    char what[300];
    snprintf(what, sizeof what, "group %s", group);
    H5G_info_t gi;
    if (!h5_has(f, group) || H5Gget_info_by_name(f->id, group, &gi, H5P_DEFAULT) < 0) {
        h5_fail(f, what, err, "missing or not a group");
        return NULL;
    }
    char **names = xcalloc(gi.nlinks ? gi.nlinks : 1, sizeof *names);
    for (hsize_t i = 0; i < gi.nlinks; i++) {
        ssize_t len = H5Lget_name_by_idx(f->id, group, H5_INDEX_NAME, H5_ITER_INC, i, NULL, 0,
                                         H5P_DEFAULT);
        if (len < 0) {
            h5_fail(f, what, err, "cannot list its members");
            h5_free_strings(names, (int64_t)i);
            return NULL;
        }
        names[i] = xmalloc((size_t)len + 1, 1);
        if (H5Lget_name_by_idx(f->id, group, H5_INDEX_NAME, H5_ITER_INC, i, names[i],
                               (size_t)len + 1, H5P_DEFAULT) < 0) {
            h5_fail(f, what, err, "cannot list its members");
            h5_free_strings(names, (int64_t)i + 1);
            return NULL;
        }
    }
    *n = (int)gi.nlinks;
    return names;
}

void h5_free_strings(char **s, int64_t n)
{
    if (!s)
        return;
    for (int64_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}
