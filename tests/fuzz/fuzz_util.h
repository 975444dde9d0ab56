/* fuzz_util.h: what the libFuzzer targets share (make fuzz; README.md, "Reliability").
 * The readers take file names, so each input is written to a file of this process's own in
 * /dev/shm (or TMPDIR). A reader must answer bad input with an Error, never by dying: die() here
 * aborts, so libFuzzer records the input as a crash. */
#ifndef GSEQ_FUZZ_UTIL_H
#define GSEQ_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

static inline void fuzz_die_hook(int status)
{
    (void)status;
    abort(); /* a reader called die(): a finding */
}

/* "DIR/gseq_fuzz_<pid>_<name>" */
static inline const char *fuzz_path(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(p, sizeof paths[0], "%s/gseq_fuzz_%ld_%s", dir, (long)getpid(), name);
    return p;
}

static inline void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort(); /* the harness, not the reader */
}

static inline void fuzz_init(void)
{
    static int done;
    if (!done) {
        util_set_die_hook(fuzz_die_hook);
        done = 1;
    }
}

#endif
