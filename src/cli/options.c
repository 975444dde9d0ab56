/* options.c: the option parser and the --help of every command, from the command's table. See
 * options.h. It reads text into the places the table names; what the values mean is left to the
 * commands. */
#include "cli/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const Option *find(const Option *o, const char *name, size_t len)
{
    for (; o->kind != OPT_KIND_END; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

/* "shared or shard", "auto, shared, ring or buckets" */
static void choice_list(const OptChoice *c, char *buf, size_t len, const char *sep,
                        const char *last_sep)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; c[i].name && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s",
                               i == 0 ? "" : c[i + 1].name ? sep : last_sep, c[i].name);
}

static int read_integer(const Option *o, const char *text, Error *err)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < o->min || v > o->max)
        return error_set(err, "--%s '%s': expected an integer from %lld to %lld", o->name, text,
                         (long long)o->min, (long long)o->max);
    if (o->kind == OPT_KIND_INT)
        *(int *)o->value = (int)v;
    else
        *(int64_t *)o->value = (int64_t)v;
    return 0;
}

static int read_double(const Option *o, const char *text, Error *err)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= o->fmin && v <= o->fmax))
        return error_set(err, "--%s '%s': expected a number from %g to %g", o->name, text, o->fmin,
                         o->fmax);
    *(double *)o->value = v;
    return 0;
}

static int read_choice(const Option *o, const char *text, Error *err)
{
    for (const OptChoice *c = o->choices; c->name; c++)
        if (strcmp(c->name, text) == 0) {
            *(int *)o->value = c->value;
            return 0;
        }
    char names[256];
    choice_list(o->choices, names, sizeof names, ", ", " or ");
    return error_set(err, "--%s '%s': expected %s", o->name, text, names);
}

/* The value of an option that takes one, into its place. */
static int read_value(const Option *o, const char *text, Error *err)
{
    switch (o->kind) {
    case OPT_KIND_STRING:
        *(const char **)o->value = text;
        return 0;
    case OPT_KIND_INT:
    case OPT_KIND_INT64:
        return read_integer(o, text, err);
    case OPT_KIND_DOUBLE:
        return read_double(o, text, err);
    case OPT_KIND_CHOICE:
        return read_choice(o, text, err);
    case OPT_KIND_LIST: {
        OptList *l = o->value;
        int most = o->max > 0 && o->max < OPT_LIST_MAX ? (int)o->max : OPT_LIST_MAX;
        if (l->n == most)
            return error_set(err, "more than %d --%s options", most, o->name);
        l->item[l->n++] = text;
        return 0;
    }
    default:
        return error_set(err, "--%s: the option table is wrong", o->name);
    }
}

static int takes_value(const Option *o) { return o->kind != OPT_KIND_FLAG && o->kind != OPT_KIND_SET; }

static int check_required(const OptCommand *cmd, const unsigned char *seen, Error *err)
{
    for (int i = 0; cmd->options[i].kind != OPT_KIND_END; i++)
        if (cmd->options[i].required && !seen[i])
            return error_set(err, "--%s %s is required", cmd->options[i].name, cmd->options[i].arg);
    return 0;
}

int opt_parse(const OptCommand *cmd, int argc, char **argv, Error *err)
{
    unsigned char seen[256] = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (strncmp(a, "--", 2) != 0)
            return error_set(err, "unexpected argument '%s' (options start with --; see gseq_mpi "
                             "%s --help)", a, cmd->name);
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const Option *o = find(cmd->options, name, len);
        if (!o)
            return error_set(err, "unknown option --%.*s (see gseq_mpi %s --help)", (int)len, name,
                             cmd->name);
        if ((size_t)(o - cmd->options) < sizeof seen)
            seen[o - cmd->options] = 1;
        if (!takes_value(o)) {
            if (eq)
                return error_set(err, "--%s takes no value", o->name);
            *(int *)o->value = o->kind == OPT_KIND_FLAG ? 1 : (int)o->min;
            continue;
        }
        const char *text = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!text)
            return error_set(err, "--%s needs a value", o->name);
        if (read_value(o, text, err) != 0)
            return -1;
    }
    return check_required(cmd, seen, err);
}

void opt_help(const OptCommand *cmd, FILE *out)
{
    fputs(cmd->usage, out);
    for (const Option *o = cmd->options; o->kind != OPT_KIND_END; o++) {
        char left[256], names[160];
        const char *arg = o->arg;
        if (o->kind == OPT_KIND_CHOICE && !arg) {
            choice_list(o->choices, names, sizeof names, "|", "|");
            arg = names;
        }
        snprintf(left, sizeof left, "--%s%s%s", o->name, arg ? " " : "", arg ? arg : "");
        const char *h = o->help;
        size_t first = strcspn(h, "\n");
        if (strlen(left) > 22)
            fprintf(out, "  %s\n  %-22s %.*s\n", left, "", (int)first, h);
        else
            fprintf(out, "  %-22s %.*s\n", left, (int)first, h);
        for (h += first; *h == '\n'; h += first) {
            h++;
            first = strcspn(h, "\n");
            fprintf(out, "  %-22s %.*s\n", "", (int)first, h);
        }
    }
}

void opt_report(const OptCommand *cmd, const Error *err)
{
    fprintf(stderr, "gseq_mpi %s: %s\n", cmd->name, err->msg);
    fflush(stderr);
}

int opt_read(const OptCommand *cmd, int argc, char **argv, int speak, int bad_status)
{
    Error err = {{0}};
    int r = opt_parse(cmd, argc, argv, &err);
    if (r == 0)
        return -1;
    if (speak && r > 0)
        opt_help(cmd, stdout);
    else if (speak)
        opt_report(cmd, &err);
    return r > 0 ? 0 : bad_status;
}
