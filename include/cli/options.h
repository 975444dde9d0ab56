/* options.h: the one option parser of every gseq_mpi command. A command declares a table of
 * options (as git's parse-options does): each entry has the option's name, the placeholder of its
 * argument, where the value goes and its help text, with a kind that says how the text is read
 * (a string, an integer or a number within a range, a flag, a repeatable string, one of a few
 * names). opt_parse reads argv against the table; --help prints a usage header and the table.
 * Every command says the same thing for the same mistake:
 *   unknown option --x (see gseq_mpi train --help)
 *   --threads needs a value
 *   --threads 'abc': expected an integer from 1 to 1000000
 *   --data-mode 'x': expected shared or shard
 *   --checkpoint CKPT is required
 * What the values mean, and the checks between options, are the command's. */
#ifndef GSEQ_OPTIONS_H
#define GSEQ_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "base/util.h"

typedef enum {
    OPT_KIND_END,    /* ends a table */
    OPT_KIND_STRING, /* const char *: the argv text */
    OPT_KIND_INT,    /* int in [min, max] */
    OPT_KIND_INT64,  /* int64_t in [min, max] */
    OPT_KIND_DOUBLE, /* double in [fmin, fmax] */
    OPT_KIND_FLAG,   /* int: 1 when given */
    OPT_KIND_SET,    /* int: `min` when given (e.g. --overlap sets the exchange mode) */
    OPT_KIND_LIST,   /* OptList: each use adds one string, at most `max` */
    OPT_KIND_CHOICE, /* int: the value of one of the named choices */
} OptKind;

/* One name of a CHOICE and the value it stores; a list ends with name NULL. */
typedef struct {
    const char *name;
    int value;
} OptChoice;

#define OPT_LIST_MAX 64
typedef struct {
    const char *item[OPT_LIST_MAX];
    int n;
} OptList;

typedef struct {
    OptKind kind;
    const char *name;         /* without the leading "--" */
    const char *arg;          /* the argument's placeholder ("FILE", "N"); NULL for flags */
    void *value;              /* where the value goes (the type the kind names) */
    int64_t min, max;         /* INT, INT64: the range; LIST: max items; SET: the value */
    double fmin, fmax;        /* DOUBLE: the range */
    const OptChoice *choices; /* CHOICE */
    int required;             /* a missing option is an error */
    const char *help;         /* may hold "\n" for more lines */
} Option;

#define OPT_STRING(n, a, v, h) {.kind = OPT_KIND_STRING, .name = (n), .arg = (a), .value = (v), .help = (h)}
#define OPT_REQUIRED(n, a, v, h)                                                                  \
    {.kind = OPT_KIND_STRING, .name = (n), .arg = (a), .value = (v), .required = 1, .help = (h)}
#define OPT_INT(n, a, v, lo, hi, h)                                                               \
    {.kind = OPT_KIND_INT, .name = (n), .arg = (a), .value = (v), .min = (lo), .max = (hi), .help = (h)}
#define OPT_INT64(n, a, v, lo, hi, h)                                                             \
    {.kind = OPT_KIND_INT64, .name = (n), .arg = (a), .value = (v), .min = (lo), .max = (hi), .help = (h)}
#define OPT_DOUBLE(n, a, v, lo, hi, h)                                                            \
    {.kind = OPT_KIND_DOUBLE, .name = (n), .arg = (a), .value = (v), .fmin = (lo), .fmax = (hi),    \
     .help = (h)}
#define OPT_FLAG(n, v, h) {.kind = OPT_KIND_FLAG, .name = (n), .value = (v), .help = (h)}
#define OPT_SET(n, v, to, h) {.kind = OPT_KIND_SET, .name = (n), .value = (v), .min = (to), .help = (h)}
#define OPT_LIST(n, a, v, most, h)                                                                \
    {.kind = OPT_KIND_LIST, .name = (n), .arg = (a), .value = (v), .max = (most), .help = (h)}
#define OPT_CHOICE(n, a, v, ch, h)                                                                \
    {.kind = OPT_KIND_CHOICE, .name = (n), .arg = (a), .value = (v), .choices = (ch), .help = (h)}
#define OPT_END {.kind = OPT_KIND_END}

/* A command's options and the head of its --help. */
typedef struct {
    const char *name;  /* "train" */
    const char *usage; /* the lines before the options, each ending in "\n" */
    const Option *options;
} OptCommand;

/* Reads argv[1..argc) ("--name VALUE", "--name=VALUE", flags "--name"): 0, 1 when --help or -h
 * was given (nothing else is checked), or -1 with one of the messages above in err. Values that
 * are not given keep what the caller put there. */
int opt_parse(const OptCommand *cmd, int argc, char **argv, Error *err);
/* The usage header and one line (or more) per option, from the table. */
void opt_help(const OptCommand *cmd, FILE *out);
/* Prints "gseq_mpi <command>: <message>" on stderr. */
void opt_report(const OptCommand *cmd, const Error *err);
/* opt_parse, and what follows from it: -1 to go on; else the exit status, 0 after --help (printed
 * on stdout) or `bad_status` after a mistake (opt_report). Only when `speak` is anything printed
 * (rank 0 of a parallel command). */
int opt_read(const OptCommand *cmd, int argc, char **argv, int speak, int bad_status);

#endif
