/* convert_common.c: progress lines, column ranges and the temporary-file guard of convert and
 * synth. See convert.h. (Their options are read by the cli's parser, src/cli/options.c.) */
#include "data/convert.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void progress_start(Progress *p, const char *what, const char *unit, int64_t total, int forced)
{
    memset(p, 0, sizeof *p);
    p->what = what;
    p->unit = unit;
    p->total = total;
    p->tty = isatty(STDERR_FILENO);
    p->enabled = p->tty || forced;
    p->t0 = p->last = now_seconds();
}

static void progress_print(Progress *p, double now, int final)
{
    double dt = now - p->t0;
    char rate[64] = "";
    if (dt > 0 && p->bytes > 0)
        snprintf(rate, sizeof rate, ", %.1f MB/s", (double)p->bytes / dt / 1e6);
    char eta[48] = "";
    if (!final && p->total > 0 && p->done > 0 && p->done < p->total)
        snprintf(eta, sizeof eta, ", %.0f s left", dt * (double)(p->total - p->done) / (double)p->done);
    if (p->total > 0)
        fprintf(stderr, "%s%s: %lld/%lld %s (%.0f%%), %.1f s%s%s%s", p->tty ? "\r" : "", p->what,
                (long long)p->done, (long long)p->total, p->unit,
                100.0 * (double)p->done / (double)p->total, dt, rate, eta,
                p->tty ? "\033[K" : "\n");
    else
        fprintf(stderr, "%s%s: %lld %s, %.1f s%s%s", p->tty ? "\r" : "", p->what,
                (long long)p->done, p->unit, dt, rate, p->tty ? "\033[K" : "\n");
    fflush(stderr);
}

void progress_update(Progress *p, int64_t done, int64_t bytes)
{
    p->done = done;
    p->bytes = bytes;
    if (!p->enabled)
        return;
    double now = now_seconds();
    if (now - p->last < (p->tty ? 0.25 : 10.0))
        return;
    p->last = now;
    progress_print(p, now, 0);
}

void progress_end(Progress *p)
{
    if (!p->enabled)
        return;
    /* Short runs say nothing: progress is for long work. */
    if (p->last > p->t0 || !p->tty) {
        progress_print(p, now_seconds(), 1);
        if (p->tty)
            fputc('\n', stderr);
    }
}

int parse_range(const char *name, const char *text, int64_t total, int64_t *first, int64_t *count,
                Error *err)
{
    char *end;
    errno = 0;
    long long a = strtoll(text, &end, 10), b;
    if (errno || end == text || a < 0)
        return error_set(err, "--%s: '%s' is not a column range A:B", name, text);
    if (*end == '\0') {
        b = a + 1;
    } else if (*end == ':' && end[1] == '\0') {
        b = total;
    } else if (*end == ':') {
        const char *q = end + 1;
        b = strtoll(q, &end, 10);
        if (errno || end == q || *end)
            return error_set(err, "--%s: '%s' is not a column range A:B", name, text);
    } else {
        return error_set(err, "--%s: '%s' is not a column range A:B", name, text);
    }
    if (b <= a || b > total)
        return error_set(err, "--%s: %s selects no columns of the %lld there are (A:B takes "
                              "columns A to B-1, counted from 0)", name, text, (long long)total);
    *first = a;
    *count = b - a;
    return 0;
}

static char guarded_path[4096], guarded_prefix[4096];
static int *guarded_index, guarded_n;

/* prefix<i> unlinked, the path built by hand (snprintf is not async-signal-safe). */
static void unlink_part(int i)
{
    char path[4096 + 16], digits[16];
    size_t n = strlen(guarded_prefix), d = 0;
    memcpy(path, guarded_prefix, n);
    do
        digits[d++] = (char)('0' + i % 10);
    while ((i /= 10) > 0);
    while (d > 0)
        path[n++] = digits[--d];
    path[n] = '\0';
    unlink(path);
}

static void on_signal(int sig)
{
    if (guarded_path[0])
        unlink(guarded_path); /* async-signal-safe */
    for (int i = 0; guarded_prefix[0] && i < guarded_n; i++)
        unlink_part(guarded_index[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void guard_slot(char *slot, size_t size, const char *path)
{
    if (!path) {
        slot[0] = '\0';
        return;
    }
    snprintf(slot, size, "%s", path);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
}

void guard_parts(const char *prefix, const int *index, int n)
{
    guarded_prefix[0] = '\0'; /* off while the list changes */
    free(guarded_index);
    guarded_index = NULL;
    guarded_n = 0;
    if (!prefix || n <= 0 || strlen(prefix) >= sizeof guarded_prefix)
        return;
    guarded_index = xmalloc((size_t)n, sizeof *guarded_index);
    memcpy(guarded_index, index, (size_t)n * sizeof *index);
    guarded_n = n;
    guard_slot(guarded_prefix, sizeof guarded_prefix, prefix);
}

void guard_temp(const char *path) { guard_slot(guarded_path, sizeof guarded_path, path); }

int report_error(const char *command, const Error *err)
{
    fprintf(stderr, "gseq_mpi: %s: %s\n", command, err->msg);
    fflush(stderr);
    return 1;
}
