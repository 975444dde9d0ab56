/* npy.h: streaming reader of NumPy arrays: a .npy file, or a .npy member of a zip archive (.npz from
 * np.savez / np.savez_compressed, or a zipped .npy such as X_train.npy.zip).
 *
 * Zip members may be stored or deflated (zlib raw inflate); zip64 archives are read. Elements come in
 * C order, in blocks the caller chooses, converted to float; memory is one block. Supported dtypes:
 * bool, (u)int8/16/32/64, float16/32/64, either byte order. Fortran-order arrays are refused. */
#ifndef GSEQ_NPY_H
#define GSEQ_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/util.h"

#define NPY_MAX_RANK 8

typedef struct NpyReader NpyReader;

/* member: the array's name in a zip ("X" or "X.npy"); NULL takes the only .npy member. A plain .npy
 * file ignores member. */
NpyReader *npy_open(const char *path, const char *member, Error *err);
int npy_rank(const NpyReader *r);
const int64_t *npy_shape(const NpyReader *r);
const char *npy_descr(const NpyReader *r);   /* "<f4", "|u1", ... */
int npy_is_integer(const NpyReader *r);      /* bool or an integer dtype */
const char *npy_name(const NpyReader *r);    /* "file.npz:X.npy" for messages */
/* The next n elements as float. */
int npy_read_f32(NpyReader *r, size_t n, float *out, Error *err);
int64_t npy_bytes_in(const NpyReader *r);    /* bytes of the file consumed (progress) */
void npy_close(NpyReader *r);

/* Names of the members of a zip file (malloc'd array of malloc'd strings); NULL + message if the
 * file is not a zip. */
char **zip_members(const char *path, int *n, Error *err);
int file_is_zip(const char *path);

#endif
