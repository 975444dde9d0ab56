/* convert.h: what the data commands (convert, synth) share: progress lines, option parsing, and the
 * guard that removes a temporary output file when the run is interrupted. Nothing here reads data. */
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

/* Numeric options: 0, or -1 with "--name: 'text' is not ..." in err. */
int parse_int64(const char *name, const char *text, int64_t min, int64_t max, int64_t *out,
                Error *err);
int parse_int(const char *name, const char *text, int min, int max, int *out, Error *err);
int parse_double(const char *name, const char *text, double min, double max, double *out,
                 Error *err);
/* A column range "A:B" (B exclusive, Python style; "A:" to the end, "A" alone one column) checked
 * against `total` columns: *first, *count. */
int parse_range(const char *name, const char *text, int64_t total, int64_t *first, int64_t *count,
                Error *err);

/* Long options "--name VALUE", "--name=VALUE" or flags "--name". A spec table ends with name NULL;
 * values are stored as the argv strings (value), flags as 1 (flag). */
typedef struct {
    const char *name;
    const char *arg;    /* placeholder for help, e.g. "FILE"; NULL for a flag */
    const char **value; /* options with an argument */
    int *flag;          /* flags */
    const char *help;
} OptSpec;
/* 0, 1 if --help/-h was given, -1 with "unknown option ..." or "--x needs a value" in err. */
int parse_options(int argc, char **argv, const OptSpec *specs, Error *err);
void print_options(FILE *out, const OptSpec *specs);

/* Removes `path` if the process is stopped by SIGINT, SIGTERM or SIGHUP before guard_temp(NULL). */
void guard_temp(const char *path);

/* Prints "gseq_mpi: <command>: <message>" for an Error and returns the exit status 1. */
int report_error(const char *command, const Error *err);

#endif
