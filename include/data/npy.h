/* npy.h: streaming reader of NumPy arrays: a .npy file, or a .npy member of a zip archive (.npz from
 * np.savez / np.savez_compressed, or a zipped .npy such as X_train.npy.zip).
 *
 * Zip members may be stored or deflated (zlib raw inflate); zip64 archives are read. Elements come in
 * C order, in blocks the caller chooses: converted to float (numbers), or as stored (npy_read_raw:
 * strings and structured arrays, decoded with npy_value_f32, npy_char and npy_strlen). Memory is one
 * block. Supported dtypes: bool, (u)int8/16/32/64, float16/32/64, fixed-width strings <U (UTF-32)
 * and |S (bytes), either byte order, and structured dtypes of these (fields, sub-arrays). Object
 * arrays (|O, pickled Python objects) are refused, never unpickled; Fortran order is refused. */
#ifndef GSEQ_NPY_H
#define GSEQ_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/util.h"

#define NPY_MAX_RANK 8
#define NPY_MAX_FIELDS 64

typedef struct NpyReader NpyReader;

typedef enum { NPY_BOOL, NPY_UINT, NPY_INT, NPY_FLOAT, NPY_UNICODE, NPY_BYTES, NPY_OTHER } NpyKind;

/* A dtype: the array's own, or one field of a structured dtype. */
typedef struct {
    char name[64];  /* field name; "" for the array's own dtype */
    char descr[16]; /* "<U6", "<i8", ... */
    NpyKind kind;   /* NPY_OTHER: a type not read (void padding, datetime, complex, ...) */
    int size;       /* bytes of one value: 24 for '<U6' */
    int count;      /* values of a sub-array field ('<f4', (3,)), else 1 */
    size_t offset;  /* bytes from the start of the element */
    int swap;       /* big-endian: each value (each character of <U) has its bytes reversed */
} NpyField;

/* member: the array's name in a zip ("X" or "X.npy"); NULL takes the only .npy member. A plain .npy
 * file ignores member. */
NpyReader *npy_open(const char *path, const char *member, Error *err);
int npy_rank(const NpyReader *r);
const int64_t *npy_shape(const NpyReader *r);
const char *npy_descr(const NpyReader *r);   /* "<f4", "|u1", ... */
int npy_is_integer(const NpyReader *r);      /* bool or an integer dtype */
const NpyField *npy_dtype(const NpyReader *r);  /* the array's own dtype (kind NPY_OTHER if structured) */
int npy_fields(const NpyReader *r);              /* fields of a structured dtype; 0 if not structured */
const NpyField *npy_field(const NpyReader *r, int i);
size_t npy_itemsize(const NpyReader *r);         /* bytes of one element */
const char *npy_name(const NpyReader *r);    /* "file.npz:X.npy" for messages */
/* The next n elements as float. */
int npy_read_f32(NpyReader *r, size_t n, float *out, Error *err);
/* The next n elements as stored (n * npy_itemsize bytes), for strings and structured arrays. */
int npy_read_raw(NpyReader *r, size_t n, void *out, Error *err);
/* Value k of a numeric dtype or field f of the element at p (p points at the element's start). */
float npy_value_f32(const NpyField *f, const unsigned char *p, int k);
/* Character i of a string dtype or field f of the element at p, and the characters before the
 * trailing NULs (NumPy pads a shorter string with NULs). */
uint32_t npy_char(const NpyField *f, const unsigned char *p, int i);
int npy_strlen(const NpyField *f, const unsigned char *p);
int64_t npy_bytes_in(const NpyReader *r);    /* bytes of the file consumed (progress) */
void npy_close(NpyReader *r);

/* Names of the members of a zip file (malloc'd array of malloc'd strings); NULL + message if the
 * file is not a zip. */
char **zip_members(const char *path, int *n, Error *err);
int file_is_zip(const char *path);

#endif
