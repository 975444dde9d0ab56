/* h5io.h: the only module that knows the HDF5 API. Everything else reads and writes HDF5 through it.
 *
 * A file is an opaque H5File; objects are named by path ("/x", "model/w"). Every call checks every
 * HDF5 return code and reports failure through Error as one line naming the file, the object and what
 * was wrong, e.g. "data.h5: dataset /x: expected 2000 elements, found 1000". HDF5's own error stack
 * printing is switched off, so that users see that one line and not forty.
 *
 * Whole-dataset helpers (h5_read_f32, h5_write_f32, strings, attributes) serve models, checkpoints and
 * tests; the slab functions (h5_create_dataset, h5_read_slab, h5_write_slab) serve the data code, which
 * reads and writes row blocks so that no process has to hold a whole file.
 * Files are written without object timestamps, so the same content gives the same bytes. */
#ifndef GSEQ_H5IO_H
#define GSEQ_H5IO_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define H5IO_MAX_RANK 8

typedef struct H5File H5File; /* opaque */

/* Open an existing file (NULL + message if missing, empty, not HDF5 or damaged). */
H5File *h5_open(const char *path, int writable, Error *err);
/* Create a file, truncating any existing one; if that fails, nothing is left at path (callers
 * create temporary names and rename them). */
H5File *h5_create(const char *path, Error *err);
int h5_close(H5File *f, Error *err); /* also frees f; NULL is a no-op */
const char *h5_path(const H5File *f);

int h5_has(H5File *f, const char *name); /* 1 if a dataset or group of that path exists */
int h5_dims(H5File *f, const char *name, int *rank, int64_t dims[H5IO_MAX_RANK], Error *err);

/* Whole-dataset reads into native buffers of exactly n elements; numeric types convert. */
int h5_read_f32(H5File *f, const char *name, float *buf, size_t n, Error *err);
int h5_read_u8(H5File *f, const char *name, uint8_t *buf, size_t n, Error *err);
int h5_read_i32(H5File *f, const char *name, int32_t *buf, size_t n, Error *err);
/* Whole-dataset writes (contiguous layout); intermediate groups are created, an existing dataset
 * of the same name is replaced. rank 0 writes a scalar. */
int h5_write_f32(H5File *f, const char *name, int rank, const int64_t *dims, const float *buf,
                 Error *err);
int h5_write_u8(H5File *f, const char *name, int rank, const int64_t *dims, const uint8_t *buf,
                Error *err);
int h5_write_i32(H5File *f, const char *name, int rank, const int64_t *dims, const int32_t *buf,
                 Error *err);

/* Scalar string dataset (fixed or variable length): malloc'd, NUL-terminated. */
char *h5_read_string(H5File *f, const char *name, Error *err);
int h5_write_string(H5File *f, const char *name, const char *text, Error *err);

/* Attributes on an object ("/" for the root group). Strings are malloc'd. */
char *h5_read_attr_string(H5File *f, const char *obj, const char *attr, Error *err);
int h5_read_attr_double(H5File *f, const char *obj, const char *attr, double *out, Error *err);
int h5_write_attr_string(H5File *f, const char *obj, const char *attr, const char *value, Error *err);
int h5_write_attr_double(H5File *f, const char *obj, const char *attr, double value, Error *err);
int h5_write_attr_int(H5File *f, const char *obj, const char *attr, int64_t value, Error *err);
int h5_has_attr(H5File *f, const char *obj, const char *attr);

/* ---- Typed, partial access for the data code ---- */

/* Element types in memory (and, for h5_create_dataset, on disk). H5IO_STR is a variable-length
 * UTF-8 string; its buffers are arrays of char pointers. */
typedef enum { H5IO_U8, H5IO_I32, H5IO_I64, H5IO_F32, H5IO_F64, H5IO_STR } H5Type;

/* What a dataset holds on disk. */
typedef enum { H5K_INTEGER, H5K_FLOAT, H5K_STRING, H5K_OTHER } H5Kind;
typedef struct {
    int rank;
    int64_t dims[H5IO_MAX_RANK];
    H5Kind kind;
    int is_signed;                /* integers */
    size_t size;                  /* bytes per element on disk (0 for variable-length strings) */
    int chunked;                  /* 1 if the layout is chunked; chunk[] then holds its shape */
    int64_t chunk[H5IO_MAX_RANK];
} H5Info;
int h5_info(H5File *f, const char *name, H5Info *info, Error *err);
/* Whether all of a dataset's data are in the file: every chunk its shape covers has been written
 * (HDF5 reads a chunk never written as zeros), or a contiguous block has its full size. A 2 KB file
 * can claim 10^12 rows that were never written; reading them would take hours and terabytes, and
 * a shorter one would read as rows of zeros. 0, or -1 with one line naming the file and dataset. */
int h5_check_stored(H5File *f, const char *name, Error *err);
/* "uint8", "float32", "string", ... for messages. */
const char *h5_kind_name(const H5Info *info, char *buf, size_t len);

/* A new dataset of `rank` with current dims `dims`; maxdims[i] < 0 makes axis i unlimited
 * (maxdims NULL: fixed). chunk NULL: contiguous (not allowed with unlimited axes).
 * gzip 1..9 compresses (needs chunks); 0 does not. */
int h5_create_dataset(H5File *f, const char *name, H5Type type, int rank, const int64_t *dims,
                      const int64_t *maxdims, const int64_t *chunk, int gzip, Error *err);
int h5_extend(H5File *f, const char *name, const int64_t *dims, Error *err);
/* Read / write the box start[i] .. start[i] + count[i] of a dataset (a hyperslab), in C order,
 * converting between the memory type and the file type. Strings read into malloc'd char* each. */
int h5_read_slab(H5File *f, const char *name, H5Type mem, const int64_t *start,
                 const int64_t *count, void *buf, Error *err);
int h5_write_slab(H5File *f, const char *name, H5Type mem, const int64_t *start,
                  const int64_t *count, const void *buf, Error *err);

/* Names of the members of a group (malloc'd array of malloc'd strings), *n set. */
char **h5_list(H5File *f, const char *group, int *n, Error *err);
void h5_free_strings(char **s, int64_t n);

#endif
