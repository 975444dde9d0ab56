/* data_fixtures.h: inputs for the data tests, made in C (CI has no Python): text and gzip files, NumPy
 * .npy arrays and zip archives (stored or deflated), DeepSEA- and Basset-shaped HDF5 files, and a way
 * to run a command while capturing what it prints on stderr. */
#ifndef GSEQ_DATA_FIXTURES_H
#define GSEQ_DATA_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

/* A fresh directory under /tmp for one test binary's files (removed by fx_cleanup). */
const char *fx_dir(void);
void fx_cleanup(void);
/* fx_path("a.h5") -> "<dir>/a.h5", valid until fx_cleanup. */
const char *fx_path(const char *name);

void fx_write_text(const char *path, const char *text);
void fx_write_gzip(const char *path, const char *text, size_t n);
int fx_exists(const char *path);
/* 1 if any file in the directory of `path` starts with its name plus ".tmp" */
int fx_temp_left(const char *path);

/* A .npy of `rank` dims with raw little-endian data in dtype descr ("<f4", "|u1", ...; a structured
 * dtype as its list, "[('seq', '<U4'), ('y', '<i2')]"). Returns the
 * bytes in a malloc'd buffer (*n set) when path is NULL, else writes the file. */
unsigned char *fx_npy(const char *path, const char *descr, int rank, const int64_t *shape,
                      const void *data, size_t data_bytes, size_t *n);
/* A zip of members (names[i], data[i], sizes[i]), each stored or deflated. */
void fx_zip(const char *path, int count, const char *const *names, unsigned char *const *data,
            const size_t *sizes, int deflate);

/* Runs fn(argc, argv) with stderr going to a file; returns its status and the text in buf. */
int fx_run(int (*fn)(int, char **), char *buf, size_t n, const char *first, ...);

#endif
