/* util.c: fatal errors, checked allocation, time. See util.h. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static DieHook die_hook = NULL;

void util_set_die_hook(DieHook hook) { die_hook = hook; }

void die(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "gseq_mpi: %s\n", line);
    fflush(stderr);
    if (die_hook)
        die_hook(1);
    exit(1);
}

static size_t checked_bytes(size_t n, size_t size, const char *file, int line)
{
    if (size != 0 && n > SIZE_MAX / size)
        die("%s:%d: allocation of %zu x %zu bytes overflows", file, line, n, size);
    return n * size;
}

void *xmalloc_at(size_t n, size_t size, const char *file, int line)
{
    size_t bytes = checked_bytes(n, size, file, line);
    void *p = malloc(bytes ? bytes : 1);
    if (!p)
        die("%s:%d: out of memory allocating %zu bytes", file, line, bytes);
    return p;
}

void *xcalloc_at(size_t n, size_t size, const char *file, int line)
{
    checked_bytes(n, size, file, line);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die("%s:%d: out of memory allocating %zu x %zu bytes", file, line, n, size);
    return p;
}

float *xalloc_floats_at(size_t n, const char *file, int line)
{
    size_t bytes = checked_bytes(n ? n : 1, sizeof(float), file, line);
    bytes = (bytes + 63) & ~(size_t)63;
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes) != 0)
        die("%s:%d: out of memory allocating %zu bytes", file, line, bytes);
    memset(p, 0, bytes);
    return p;
}

int error_set(Error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
