/* util.h: fatal errors, checked allocation and small helpers shared by every module.
 * A fatal error prints one line naming what failed and stops every rank: the MPI module installs
 * the hook that turns die() into MPI_Abort, so nothing here knows about MPI. */
#ifndef GSEQ_UTIL_H
#define GSEQ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#define GSEQ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GSEQ_PRINTF(a, b)
#endif
#define GSEQ_NORETURN _Noreturn /* C11; also tells static analysers that die() does not return */

/* Prints "gseq_mpi: <message>" on stderr and ends the run (all ranks, once the MPI hook is set). */
GSEQ_NORETURN void die(const char *fmt, ...) GSEQ_PRINTF(1, 2);

/* What die() calls after printing; the MPI module sets it to abort every rank. */
typedef void (*DieHook)(int status);
void util_set_die_hook(DieHook hook);

/* Allocations that die with the call site on failure or on n * size overflow. */
#define xmalloc(n, size) xmalloc_at((n), (size), __FILE__, __LINE__)
#define xcalloc(n, size) xcalloc_at((n), (size), __FILE__, __LINE__)
#define xalloc_floats(n) xalloc_floats_at((n), __FILE__, __LINE__)
#define xstrdup(s) xstrdup_at((s), __FILE__, __LINE__)
void *xmalloc_at(size_t n, size_t size, const char *file, int line);
void *xcalloc_at(size_t n, size_t size, const char *file, int line);
char *xstrdup_at(const char *s, const char *file, int line); /* a malloc'd copy of s */
/* 64-byte aligned, zeroed floats: the buffers the BLAS kernels work on. Free with free(). */
float *xalloc_floats_at(size_t n, const char *file, int line);

/* Error text carried back to the caller instead of dying (parsers, loaders). */
typedef struct {
    char msg[512];
} Error;
int error_set(Error *err, const char *fmt, ...) GSEQ_PRINTF(2, 3); /* always returns -1 */

double now_seconds(void);

/* Text outputs that appear whole or not at all: out_open writes "PATH.tmp.PID"; out_close checks
 * every write, closes the file and renames it to PATH, or removes it and says why
 * ("PATH: cannot write: No space left on device"). */
FILE *out_open(const char *path, Error *err);
int out_close(FILE *f, const char *path, Error *err);

/* This process's resident memory now (VmRSS) and its peak (VmHWM), in bytes; 0 where unknown. */
size_t util_rss_bytes(void);
size_t util_peak_rss_bytes(void);

#endif
