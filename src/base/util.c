/* util.c: fatal errors, checked allocation, time, whole-or-nothing text outputs, memory use.
 * See util.h. */
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

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

char *xstrdup_at(const char *s, const char *file, int line)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc_at(n, 1, file, line), s, n);
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

static void temp_name(char *tmp, size_t n, const char *path)
{
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
}

FILE *out_open(const char *path, Error *err)
{
    char tmp[4200];
    temp_name(tmp, sizeof tmp, path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        error_set(err, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

int out_close(FILE *f, const char *path, Error *err)
{
    char tmp[4200];
    temp_name(tmp, sizeof tmp, path);
    errno = 0;
    int bad = fflush(f) != 0 || ferror(f);
    int why = errno ? errno : EIO; /* an error stdio met earlier has lost its errno: say EIO */
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        why = errno;
    }
    if (!bad && rename(tmp, path) != 0) {
        bad = 1;
        why = errno;
    }
    if (bad) {
        unlink(tmp);
        return error_set(err, "%s: cannot write: %s", path, strerror(why));
    }
    return 0;
}

/* A "Name:   1234 kB" line of /proc/self/status, in bytes; 0 if absent. */
static size_t proc_status_kb(const char *name)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    size_t len = strlen(name), kb = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, name, len) == 0 && line[len] == ':') {
            kb = (size_t)strtoull(line + len + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb * 1024;
}

size_t util_rss_bytes(void) { return proc_status_kb("VmRSS"); }

size_t util_peak_rss_bytes(void)
{
    size_t hwm = proc_status_kb("VmHWM");
    if (hwm == 0) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0)
            hwm = (size_t)ru.ru_maxrss * 1024; /* kilobytes on Linux */
    }
    return hwm;
}
