/* convert.h: what the data commands (convert, synth) share: progress lines, column ranges, and the
 * guard that removes a temporary output file when the run is interrupted. Nothing here reads data.
 * Their options are read by the cli's parser (cli/options.h). */
#ifndef GSEQ_CONVERT_H
#define GSEQ_CONVERT_H

#include <stdint.h>
#include <stdio.h>

#include "base/util.h"

/* Progress on stderr for long work: redrawn in place on a terminal, or a line every ~10 s with
 * --progress when stderr is not a terminal; silent otherwise. */
typedef struct {
    const char *what;  /* "convert", "synth" */
    const char *unit;  /* "samples", "records" */
    int64_t total;     /* 0 if unknown */
    int enabled, tty;
    double t0, last;
    int64_t done, bytes;
} Progress;

void progress_start(Progress *p, const char *what, const char *unit, int64_t total, int forced);
void progress_update(Progress *p, int64_t done, int64_t bytes);
void progress_end(Progress *p);

/* A column range "A:B" (B exclusive, Python style; "A:" to the end, "A" alone one column) checked
 * against `total` columns: *first, *count. */
int parse_range(const char *name, const char *text, int64_t total, int64_t *first, int64_t *count,
                Error *err);

/* Removes `path` if the process is stopped by SIGINT, SIGTERM or SIGHUP before guard_temp(NULL). */
void guard_temp(const char *path);
/* The parts of a conversion over ranks removed likewise: prefix<i> for each of the n indices
 * (the chromosomes a rank owns; finished parts wait there for rank 0). NULL: none. */
void guard_parts(const char *prefix, const int *index, int n);

/* Prints "gseq_mpi: <command>: <message>" for an Error and returns the exit status 1. */
int report_error(const char *command, const Error *err);

#endif
