/* config.c: INI model descriptions (libinih) -> Config. Parsing records (section, key, value, line)
 * entries; resolving turns them into LayerSpecs and training settings and reports the first problem
 * with file, line and key. See config.h for the format. */
#include "nn/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ---- */

typedef struct {
    Config *cfg;
    const char *cursor; /* remaining text */
    int line;           /* line number of the line just handed to inih */
    Error *err;
    int failed;
} Reader;

static void add_section(Config *cfg, const char *name, int line)
{
    if (cfg->n_sections < (int)(sizeof cfg->sections / sizeof cfg->sections[0])) {
        snprintf(cfg->sections[cfg->n_sections], sizeof cfg->sections[0], "%s", name);
        cfg->section_lines[cfg->n_sections++] = line;
    }
}

static int find_section(const Config *cfg, const char *name)
{
    for (int i = 0; i < cfg->n_sections; i++)
        if (strcmp(cfg->sections[i], name) == 0)
            return i;
    return -1;
}

/* inih reads lines through this, so every line (and every section header) has its number. */
static char *read_line(char *str, int num, void *stream)
{
    Reader *r = stream;
    if (*r->cursor == '\0')
        return NULL;
    int k = 0;
    while (k < num - 1 && r->cursor[k] && r->cursor[k] != '\n')
        k++;
    if (k < num - 1 && r->cursor[k] == '\n')
        k++;
    memcpy(str, r->cursor, (size_t)k);
    str[k] = '\0';
    r->cursor += k;
    r->line++;
    const char *s = str;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '[') { /* inih does not report empty sections: note every header here */
        char name[48], close = 0;
        int got = sscanf(s, "[%47[^]\r\n]%c", name, &close);
        if (got == 2 && close == ']') {
            if (find_section(r->cfg, name) >= 0 && !r->failed) {
                error_set(r->err, "%s:%d: section [%s] appears twice (layer names must be unique)",
                          r->cfg->path, r->line, name);
                r->failed = 1;
            }
            add_section(r->cfg, name, r->line);
        } else if (!r->failed) {
            if (got == 2 && close != '\r' && close != '\n')
                error_set(r->err, "%s:%d: section name longer than %d characters", r->cfg->path,
                          r->line, (int)sizeof name - 1);
            else if (got < 1 && s[1] == ']')
                error_set(r->err, "%s:%d: an empty section name []", r->cfg->path, r->line);
            else
                error_set(r->err, "%s:%d: not INI syntax: a section header without ']'",
                          r->cfg->path, r->line);
            r->failed = 1;
        }
    }
    return str;
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
    Reader *r = user;
    Config *cfg = r->cfg;
    if (cfg->n_entries == cfg->cap_entries) {
        int cap = cfg->cap_entries ? 2 * cfg->cap_entries : 64;
        ConfigEntry *e = xmalloc((size_t)cap, sizeof *e);
        if (cfg->n_entries)
            memcpy(e, cfg->entries, sizeof *e * cfg->n_entries);
        free(cfg->entries);
        cfg->entries = e;
        cfg->cap_entries = cap;
    }
    ConfigEntry *e = &cfg->entries[cfg->n_entries++];
    snprintf(e->section, sizeof e->section, "%s", section);
    snprintf(e->key, sizeof e->key, "%s", key);
    e->value = strdup(value);
    if (!e->value)
        die("out of memory reading %s", cfg->path);
    e->line = r->line;
    if (!*section && !r->failed) {
        error_set(r->err, "%s:%d: key '%s' is outside any [section]", cfg->path, r->line, key);
        r->failed = 1;
    }
    for (int i = 0; i < cfg->n_entries - 1 && !r->failed; i++)
        if (!strcmp(cfg->entries[i].section, e->section) && !strcmp(cfg->entries[i].key, e->key)) {
            error_set(r->err, "%s:%d: [%s] %s appears twice (first on line %d)", cfg->path,
                      r->line, e->section, e->key, cfg->entries[i].line);
            r->failed = 1;
        }
    /* "key:;x" gives the value ";x", which the config as run ("key = ;x") would read back as an
     * empty value and a comment */
    if (value[0] == ';' && !r->failed) {
        error_set(r->err, "%s:%d: [%s] %s: a value cannot start with ';' (a comment)", cfg->path,
                  r->line, section, key);
        r->failed = 1;
    }
    return 1;
}

/* ---- values ---- */

static int where(Error *err, const Config *cfg, const ConfigEntry *e, const char *expected)
{
    if (e->line > 0)
        return error_set(err, "%s:%d: [%s] %s = %s: expected %s", cfg->path, e->line, e->section,
                         e->key, e->value, expected);
    return error_set(err, "--set %s.%s=%s: expected %s", e->section, e->key, e->value, expected);
}

static int parse_int(const Config *cfg, const ConfigEntry *e, int min, int *out, Error *err)
{
    char *end;
    errno = 0;
    long v = strtol(e->value, &end, 10);
    if (errno || end == e->value || *end || v < min || v > 1000000000) {
        char what[64];
        snprintf(what, sizeof what, "an integer >= %d", min);
        return where(err, cfg, e, what);
    }
    *out = (int)v;
    return 0;
}

/* An integer >= 1, or "auto" for 0 (taken from the data). */
static int parse_int_auto(const Config *cfg, const ConfigEntry *e, int *out, Error *err)
{
    if (strcmp(e->value, "auto") == 0) {
        *out = 0;
        return 0;
    }
    if (parse_int(cfg, e, 1, out, err) != 0)
        return where(err, cfg, e, "a positive integer or auto");
    return 0;
}

static int parse_float(const Config *cfg, const ConfigEntry *e, double lo, double hi, int open_lo,
                       float *out, Error *err)
{
    char *end;
    errno = 0;
    double v = strtod(e->value, &end);
    if (errno || end == e->value || *end || !isfinite(v) || v < lo || v > hi || (open_lo && v == lo)) {
        char what[96];
        snprintf(what, sizeof what, "a number in %s%g, %g]", open_lo ? "(" : "[", lo, hi);
        return where(err, cfg, e, what);
    }
    *out = (float)v;
    return 0;
}

static int parse_bool(const Config *cfg, const ConfigEntry *e, int *out, Error *err)
{
    const char *v = e->value;
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
        *out = 0;
    else
        return where(err, cfg, e, "true or false");
    return 0;
}

static int parse_choice(const Config *cfg, const ConfigEntry *e, const char *const *names, int count,
                        const char *expected, int *out, Error *err)
{
    for (int i = 0; i < count; i++)
        if (names[i] && strcmp(e->value, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return where(err, cfg, e, expected);
}


/* ---- sections ---- */

static int unknown_key(Error *err, const Config *cfg, const ConfigEntry *e, const char *what)
{
    if (e->line > 0)
        return error_set(err, "%s:%d: [%s] unknown key '%s' for %s", cfg->path, e->line, e->section,
                         e->key, what);
    return error_set(err, "--set %s.%s: unknown key '%s' for %s", e->section, e->key, e->key, what);
}

/* "chr8, chr9" into "chr8,chr9": names without spaces, none empty, none twice. */
static int parse_chroms(const Config *cfg, const ConfigEntry *e, char *out, size_t len, Error *err)
{
    size_t at = 0;
    out[0] = '\0';
    for (const char *p = e->value; *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn(p, ", \t");
        const char *after = p + n;
        while (*after == ' ' || *after == '\t')
            after++;
        if (n == 0 || (*after && *after != ','))
            return where(err, cfg, e, "chromosome names separated by commas, e.g. chr8,chr9");
        if (at + n + 2 > len)
            return where(err, cfg, e, "a list under 512 characters");
        for (const char *q = out; *q; q += strcspn(q, ",") + (q[strcspn(q, ",")] == ',')) {
            if (strcspn(q, ",") == n && !strncmp(q, p, n))
                return where(err, cfg, e, "each chromosome once");
        }
        at += (size_t)snprintf(out + at, len - at, "%s%.*s", at ? "," : "", (int)n, p);
        p = *after == ',' ? after + 1 : after;
        if (*after == ',' && !*p)
            return where(err, cfg, e, "chromosome names separated by commas, e.g. chr8,chr9");
    }
    return 0;
}

/* The first chromosome named in both lists (comma-separated, normalised), or NULL. */
static const char *shared_chrom(const char *a, const char *b, char *buf, size_t len)
{
    for (const char *p = a; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        size_t n = strcspn(p, ",");
        for (const char *q = b; *q; q += strcspn(q, ",") + (q[strcspn(q, ",")] == ','))
            if (strcspn(q, ",") == n && !strncmp(p, q, n)) {
                snprintf(buf, len, "%.*s", (int)n, p);
                return buf;
            }
    }
    return NULL;
}

static int apply_data(Config *cfg, const ConfigEntry *e, Error *err)
{
    int v = 0;
    if (!strcmp(e->key, "length"))
        return parse_int_auto(cfg, e, &cfg->length, err);
    if (!strcmp(e->key, "targets"))
        return parse_int_auto(cfg, e, &cfg->targets, err);
    char *paths[3] = {cfg->data_train, cfg->data_valid, cfg->data_test};
    const char *path_keys[3] = {"train", "valid", "test"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(e->key, path_keys[i])) {
            if (strlen(e->value) >= sizeof cfg->data_train)
                return where(err, cfg, e, "a path under 512 characters");
            snprintf(paths[i], sizeof cfg->data_train, "%s", e->value);
            return 0;
        }
    if (!strcmp(e->key, "test_fraction"))
        return parse_float(cfg, e, 0.0, 0.9, 0, &cfg->test_fraction, err);
    if (!strcmp(e->key, "valid_fraction"))
        return parse_float(cfg, e, 0.0, 0.9, 0, &cfg->valid_fraction, err);
    if (!strcmp(e->key, "valid_chroms"))
        return parse_chroms(cfg, e, cfg->valid_chroms, sizeof cfg->valid_chroms, err);
    if (!strcmp(e->key, "test_chroms"))
        return parse_chroms(cfg, e, cfg->test_chroms, sizeof cfg->test_chroms, err);
    if (!strcmp(e->key, "folds_by")) {
        static const char *const ways[] = {"rows", "chrom"};
        return parse_choice(cfg, e, ways, 2, "rows or chrom", &cfg->folds_by_chrom, err);
    }
    if (!strcmp(e->key, "task")) {
        if (parse_choice(cfg, e, task_names, TASK_COUNT,
                         "auto, binary, multilabel, multiclass or regression", &v, err))
            return -1;
        cfg->task = (Task)v;
        return 0;
    }
    return unknown_key(err, cfg, e,
                       "[data] (train, valid, test, length, targets, task, test_fraction, "
                       "valid_fraction, valid_chroms, test_chroms, folds_by)");
}

/* pos_weight = none | auto | X | X1,X2,...: one weight for every target, or one per target. */
static int parse_pos_weight(const Config *cfg, const ConfigEntry *e, TrainConfig *t, Error *err)
{
    static const char expected[] = "none, auto, a number in (0, 1e6] or one per target separated "
                                   "by commas";
    t->pos_weight_auto = !strcmp(e->value, "auto");
    t->n_pos_weight = 0;
    if (t->pos_weight_auto || !strcmp(e->value, "none"))
        return 0;
    for (const char *p = e->value;; p++) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        while (*end == ' ' || *end == '\t')
            end++;
        if (errno || end == p || !(v > 0.0 && v <= 1e6) || (*end && *end != ','))
            return where(err, cfg, e, expected);
        if (t->n_pos_weight == CONFIG_MAX_WEIGHTS)
            return where(err, cfg, e, "at most 64 weights");
        t->pos_weight[t->n_pos_weight++] = (float)v;
        if (!*end)
            return 0;
        p = end;
    }
}

/* The learning-rate schedule and the class weights; 1 when the key is none of these. */
static int apply_train_learning(Config *cfg, const ConfigEntry *e, Error *err)
{
    TrainConfig *t = &cfg->train;
    const char *k = e->key;
    int v = 0;
    if (!strcmp(k, "schedule")) {
        static const char *const names[] = {"constant", "plateau", "cosine"};
        if (parse_choice(cfg, e, names, 3, "constant, plateau or cosine", &v, err))
            return -1;
        t->schedule = (Schedule)v;
        return 0;
    }
    if (!strcmp(k, "warmup_steps"))
        return parse_int(cfg, e, 0, &t->warmup_steps, err);
    if (!strcmp(k, "plateau_factor"))
        return parse_float(cfg, e, 0.0, 1.0, 1, &t->plateau_factor, err);
    if (!strcmp(k, "plateau_patience"))
        return parse_int(cfg, e, 1, &t->plateau_patience, err);
    if (!strcmp(k, "min_lr"))
        return parse_float(cfg, e, 0.0, 10.0, 0, &t->min_lr, err);
    if (!strcmp(k, "pos_weight"))
        return parse_pos_weight(cfg, e, t, err);
    if (!strcmp(k, "class_weight")) {
        static const char *const names[] = {"none", "auto"};
        return parse_choice(cfg, e, names, 2, "none or auto", &t->class_weight_auto, err);
    }
    if (!strcmp(k, "loss")) {
        static const char *const names[] = {"auto", "bce", "softmax_ce", "mse", "poisson"};
        if (parse_choice(cfg, e, names, 5, "auto, bce, softmax_ce, mse or poisson", &v, err))
            return -1;
        t->loss_auto = v == 0;
        t->loss = v ? (LossKind)(v - 1) : LOSS_BCE;
        return 0;
    }
    return 1;
}

static int apply_train(Config *cfg, const ConfigEntry *e, Error *err)
{
    TrainConfig *t = &cfg->train;
    const char *k = e->key;
    if (!strcmp(k, "batch"))
        return parse_int(cfg, e, 1, &t->batch, err);
    if (!strcmp(k, "epochs"))
        return parse_int(cfg, e, 1, &t->epochs, err);
    if (!strcmp(k, "patience"))
        return parse_int(cfg, e, 0, &t->patience, err);
    if (!strcmp(k, "lr") || !strcmp(k, "learning_rate"))
        return parse_float(cfg, e, 0.0, 10.0, 1, &t->adam.lr, err);
    if (!strcmp(k, "beta_1"))
        return parse_float(cfg, e, 0.0, 0.999999, 0, &t->adam.beta1, err);
    if (!strcmp(k, "beta_2"))
        return parse_float(cfg, e, 0.0, 0.999999999, 0, &t->adam.beta2, err);
    if (!strcmp(k, "epsilon"))
        return parse_float(cfg, e, 0.0, 1.0, 1, &t->adam.eps, err);
    if (!strcmp(k, "clip_norm"))
        return parse_float(cfg, e, 0.0, 1e30, 0, &t->adam.clip_norm, err);
    if (!strcmp(k, "min_delta"))
        return parse_float(cfg, e, 0.0, 1e30, 0, &t->min_delta, err);
    if (!strcmp(k, "seed")) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(e->value, &end, 10);
        if (errno || end == e->value || *end || e->value[0] == '-')
            return where(err, cfg, e, "a non-negative integer");
        t->seed = v;
        return 0;
    }
    if (!strcmp(k, "rc_augment"))
        return parse_bool(cfg, e, &t->rc_augment, err);
    if (!strcmp(k, "monitor")) {
        static const char *const monitors[] = {"val_loss", "val_auroc", "val_accuracy",
                                               "val_pearson"};
        int v = 0;
        if (parse_choice(cfg, e, monitors, 4, "val_loss, val_auroc, val_accuracy or val_pearson",
                         &v, err))
            return -1;
        snprintf(t->monitor, sizeof t->monitor, "%s", monitors[v]);
        return 0;
    }
    int rc = apply_train_learning(cfg, e, err);
    if (rc != 1)
        return rc;
    return unknown_key(err, cfg, e,
                       "[train] (batch, epochs, lr, beta_1, beta_2, epsilon, clip_norm, seed, "
                       "patience, min_delta, monitor, schedule, warmup_steps, plateau_factor, "
                       "plateau_patience, min_lr, pos_weight, class_weight, loss, rc_augment)");
}

static LayerSpec layer_defaults(const char *name, LayerKind kind, int line)
{
    LayerSpec s = {0};
    snprintf(s.name, sizeof s.name, "%s", name);
    s.kind = kind;
    s.line = line;
    s.act = kind == LAYER_CONV1D ? ACT_RELU : ACT_AUTO; /* dense: from the task if last, else linear */
    s.mode = POOL_LAST;
    s.unit_forget_bias = 1; /* Keras's default */
    s.dim = 32;             /* embedding width: our documented default */
    s.rate = -1.0f;         /* required */
    return s;
}

/* Which keys each kind takes; `type` is accepted everywhere. */
static const char *const layer_keys[LAYER_KIND_COUNT] = {
    [LAYER_EMBEDDING] = "dim",
    [LAYER_ONEHOT] = "",
    [LAYER_CONV1D] = "filters width activation",
    [LAYER_MAXPOOL1D] = "pool",
    [LAYER_LSTM] = "units return_sequences bidirectional unit_forget_bias",
    [LAYER_POOL_TIME] = "mode",
    [LAYER_DROPOUT] = "rate",
    [LAYER_FLATTEN] = "",
    [LAYER_DENSE] = "units activation",
};

static int key_allowed(LayerKind kind, const char *key)
{
    const char *list = layer_keys[kind];
    size_t n = strlen(key);
    if (n == 0) /* "= value": strstr would find "" everywhere, and walk past the end */
        return 0;
    for (const char *p = strstr(list, key); p; p = strstr(p + 1, key))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static int apply_layer_key(Config *cfg, LayerSpec *s, const ConfigEntry *e, Error *err)
{
    static const char *const acts[] = {"linear", "relu", "sigmoid", "softmax", "softplus", "auto"};
    static const char *const modes[] = {"last", "mean", "max"};
    const char *k = e->key;
    int v = 0;
    if (!strcmp(k, "type"))
        return 0;
    if (!key_allowed(s->kind, k)) {
        char what[160];
        snprintf(what, sizeof what, "a %s layer (%s)", layer_kind_name(s->kind),
                 *layer_keys[s->kind] ? layer_keys[s->kind] : "no options");
        return unknown_key(err, cfg, e, what);
    }
    if (!strcmp(k, "units"))
        return s->kind == LAYER_DENSE ? parse_int_auto(cfg, e, &s->units, err)
                                      : parse_int(cfg, e, 1, &s->units, err);
    if (!strcmp(k, "filters"))
        return parse_int(cfg, e, 1, &s->filters, err);
    if (!strcmp(k, "width"))
        return parse_int(cfg, e, 1, &s->width, err);
    if (!strcmp(k, "pool"))
        return parse_int(cfg, e, 1, &s->pool, err);
    if (!strcmp(k, "dim"))
        return parse_int(cfg, e, 1, &s->dim, err);
    if (!strcmp(k, "rate"))
        return parse_float(cfg, e, 0.0, 0.999, 0, &s->rate, err);
    if (!strcmp(k, "return_sequences"))
        return parse_bool(cfg, e, &s->return_sequences, err);
    if (!strcmp(k, "bidirectional"))
        return parse_bool(cfg, e, &s->bidirectional, err);
    if (!strcmp(k, "unit_forget_bias"))
        return parse_bool(cfg, e, &s->unit_forget_bias, err);
    if (!strcmp(k, "mode")) {
        if (parse_choice(cfg, e, modes, 3, "last, mean or max", &v, err))
            return -1;
        s->mode = (PoolMode)v;
        return 0;
    }
    /* activation */
    if (parse_choice(cfg, e, acts, 6, "linear, relu, sigmoid, softmax, softplus or auto", &v, err))
        return -1;
    s->act = (Activation)v;
    return 0;
}

/* The kind of a layer section: its `type`, or its name without a trailing _N. */
static int section_kind(const Config *cfg, int sec, LayerKind *kind, Error *err)
{
    const char *name = cfg->sections[sec];
    for (int i = 0; i < cfg->n_entries; i++) {
        const ConfigEntry *e = &cfg->entries[i];
        if (strcmp(e->section, name) == 0 && strcmp(e->key, "type") == 0) {
            if (layer_kind_parse(e->value, kind) == 0)
                return 0;
            return where(err, cfg, e,
                         "a layer type (embedding, onehot, conv1d, maxpool1d, lstm, pool_time, "
                         "dropout, flatten, dense)");
        }
    }
    char base[48];
    snprintf(base, sizeof base, "%s", name);
    char *u = strrchr(base, '_');
    if (u && u[1] && strspn(u + 1, "0123456789") == strlen(u + 1))
        *u = '\0';
    if (layer_kind_parse(base, kind) == 0)
        return 0;
    return error_set(err, "%s:%d: [%s] is not a known section or layer type: add type = <kind>",
                     cfg->path, cfg->section_lines[sec], name);
}

static int check_required(const Config *cfg, const LayerSpec *s, int is_last, Error *err)
{
    const char *missing = NULL;
    if (s->kind == LAYER_LSTM && s->units <= 0)
        missing = "units";
    else if (s->kind == LAYER_CONV1D && s->filters <= 0)
        missing = "filters";
    else if (s->kind == LAYER_CONV1D && s->width <= 0)
        missing = "width";
    else if (s->kind == LAYER_MAXPOOL1D && s->pool <= 0)
        missing = "pool";
    else if (s->kind == LAYER_DROPOUT && s->rate < 0.0f)
        missing = "rate";
    else if (s->kind == LAYER_DENSE && s->units <= 0 && !is_last)
        missing = "units (only the last dense layer may take its width from the data)";
    if (missing)
        return error_set(err, "%s:%d: [%s] %s layer needs %s", cfg->path, s->line, s->name,
                         layer_kind_name(s->kind), missing);
    return 0;
}

static void train_defaults(TrainConfig *t)
{
    t->batch = 32;
    t->epochs = 10;
    t->adam = adam_defaults();
    t->seed = 1;
    t->patience = 0;
    t->min_delta = 0.0f;
    snprintf(t->monitor, sizeof t->monitor, "val_loss");
    t->schedule = SCHEDULE_CONSTANT;
    t->warmup_steps = 0;
    t->plateau_factor = 0.5f; /* Keras ReduceLROnPlateau: 0.1 and 10; halving suits short runs */
    t->plateau_patience = 2;
    t->min_lr = 0.0f;
    t->pos_weight_auto = t->class_weight_auto = 0;
    t->n_pos_weight = 0;
    t->loss_auto = 1;
    t->loss = LOSS_BCE;
}

static int resolve_layer(Config *cfg, int sec, Error *err)
{
    if (cfg->n_layers == CONFIG_MAX_LAYERS)
        return error_set(err, "%s: more than %d layers", cfg->path, CONFIG_MAX_LAYERS);
    LayerKind kind;
    if (section_kind(cfg, sec, &kind, err))
        return -1;
    LayerSpec *s = &cfg->layers[cfg->n_layers++];
    *s = layer_defaults(cfg->sections[sec], kind, cfg->section_lines[sec]);
    for (int i = 0; i < cfg->n_entries; i++)
        if (strcmp(cfg->entries[i].section, s->name) == 0 &&
            apply_layer_key(cfg, s, &cfg->entries[i], err))
            return -1;
    return 0;
}

static int resolve(Config *cfg, Error *err)
{
    cfg->length = cfg->targets = 0;
    cfg->task = TASK_AUTO;
    cfg->data_train[0] = cfg->data_valid[0] = cfg->data_test[0] = '\0';
    cfg->test_fraction = 0.2f;
    cfg->valid_fraction = 0.1f;
    cfg->valid_chroms[0] = cfg->test_chroms[0] = '\0';
    cfg->folds_by_chrom = 0;
    cfg->n_layers = 0;
    train_defaults(&cfg->train);
    for (int sec = 0; sec < cfg->n_sections; sec++) {
        const char *name = cfg->sections[sec];
        int is_data = !strcmp(name, "data"), is_train = !strcmp(name, "train");
        if (!is_data && !is_train) {
            if (resolve_layer(cfg, sec, err))
                return -1;
            continue;
        }
        for (int i = 0; i < cfg->n_entries; i++) {
            const ConfigEntry *e = &cfg->entries[i];
            if (strcmp(e->section, name) == 0 &&
                (is_data ? apply_data(cfg, e, err) : apply_train(cfg, e, err)))
                return -1;
        }
    }
    char both[128];
    if (shared_chrom(cfg->valid_chroms, cfg->test_chroms, both, sizeof both))
        return error_set(err, "%s: data.valid_chroms and data.test_chroms both name %s: a "
                         "chromosome holds validation or test rows, not both", cfg->path, both);
    if (cfg->n_layers == 0)
        return error_set(err, "%s: no layers: expected layer sections such as [lstm_1]", cfg->path);
    const LayerSpec *first = &cfg->layers[0]; /* the input is tokens: only these two take them */
    if (first->kind != LAYER_EMBEDDING && first->kind != LAYER_ONEHOT)
        return error_set(err, "%s:%d: [%s] the first layer must be embedding or onehot (the input "
                         "is DNA tokens), not %s", cfg->path, first->line, first->name,
                         layer_kind_name(first->kind));
    for (int i = 0; i < cfg->n_layers; i++)
        if (check_required(cfg, &cfg->layers[i], i == cfg->n_layers - 1, err))
            return -1;
    return 0;
}

/* ---- the loss and the monitor, once the task is known ---- */

Activation loss_activation(LossKind loss)
{
    static const Activation acts[LOSS_KIND_COUNT] = {ACT_SIGMOID, ACT_SOFTMAX, ACT_LINEAR,
                                                     ACT_SOFTPLUS};
    return acts[loss];
}

static LossKind auto_loss(Task task, Activation out_act)
{
    if (task == TASK_REGRESSION)
        return out_act == ACT_SOFTPLUS ? LOSS_POISSON : LOSS_MSE;
    return task == TASK_MULTICLASS ? LOSS_SOFTMAX_CE : LOSS_BCE;
}

int config_loss(const Config *cfg, Task task, Activation out_act, LossKind *loss, Error *err)
{
    const TrainConfig *t = &cfg->train;
    *loss = t->loss_auto ? auto_loss(task, out_act) : t->loss;
    int fits = task == TASK_REGRESSION   ? *loss == LOSS_MSE || *loss == LOSS_POISSON
               : task == TASK_MULTICLASS ? *loss == LOSS_SOFTMAX_CE
                                         : *loss == LOSS_BCE;
    if (fits)
        return 0;
    char at[600];
    snprintf(at, sizeof at, "%s", cfg->path);
    for (int i = 0; i < cfg->n_entries; i++) /* the line that asked for it, or its --set */
        if (!strcmp(cfg->entries[i].section, "train") && !strcmp(cfg->entries[i].key, "loss")) {
            if (cfg->entries[i].line > 0)
                snprintf(at, sizeof at, "%s:%d", cfg->path, cfg->entries[i].line);
            else
                snprintf(at, sizeof at, "--set train.loss=%s", cfg->entries[i].value);
        }
    return error_set(err, "%s: train.loss = %s does not fit a %s task (use %s)", at,
                     loss_name(*loss), task_name(task),
                     task == TASK_REGRESSION   ? "mse or poisson"
                     : task == TASK_MULTICLASS ? "softmax_ce or auto"
                                               : "bce or auto");
}

int config_check_monitor(const Config *cfg, Task task, Error *err)
{
    const char *m = cfg->train.monitor;
    int regression = task == TASK_REGRESSION;
    if (regression && (!strcmp(m, "val_auroc") || !strcmp(m, "val_accuracy")))
        return error_set(err, "%s: train.monitor = %s means nothing for a regression task (use "
                         "val_loss or val_pearson)", cfg->path, m);
    if (!regression && !strcmp(m, "val_pearson"))
        return error_set(err, "%s: train.monitor = val_pearson is for a regression task; this one "
                         "is %s (use val_loss, val_auroc or val_accuracy)", cfg->path, task_name(task));
    return 0;
}

int config_load_text(Config *cfg, const char *text, const char *path, Error *err)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->path, sizeof cfg->path, "%s", path);
    cfg->text = strdup(text);
    if (!cfg->text)
        die("out of memory reading %s", path);
    Reader r = {cfg, text, 0, err, 0};
    int bad = ini_parse_stream(read_line, &r, on_entry, &r);
    if (r.failed)
        return -1;
    if (bad > 0)
        return error_set(err, "%s:%d: not INI syntax: expected [section] or key = value", path, bad);
    if (bad < 0)
        return error_set(err, "%s: cannot parse", path);
    return resolve(cfg, err);
}

int config_load(Config *cfg, const char *path, Error *err)
{
    memset(cfg, 0, sizeof *cfg); /* config_free is safe after any failure */
    FILE *f = fopen(path, "rb");
    if (!f)
        return error_set(err, "%s: cannot open config: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *text = xmalloc(cap, 1);
    size_t got;
    while ((got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *bigger = xmalloc(cap * 2, 1);
            memcpy(bigger, text, len);
            free(text);
            text = bigger;
            cap *= 2;
        }
    }
    int read_error = ferror(f);
    fclose(f);
    text[len] = '\0';
    int rc = read_error ? error_set(err, "%s: read error", path)
                        : config_load_text(cfg, text, path, err);
    free(text);
    return rc;
}

int config_set(Config *cfg, const char *assignment, Error *err)
{
    const char *dot = strchr(assignment, '.'), *eq = strchr(assignment, '=');
    if (!dot || !eq || dot > eq || dot == assignment || eq == dot + 1)
        return error_set(err, "--set %s: expected section.key=value", assignment);
    if (eq[1] == ';') /* as in a file: config.ini, as run, could not say it */
        return error_set(err, "--set %s: a value cannot start with ';'", assignment);
    ConfigEntry e = {0};
    snprintf(e.section, sizeof e.section, "%.*s", (int)(dot - assignment), assignment);
    snprintf(e.key, sizeof e.key, "%.*s", (int)(eq - dot - 1), dot + 1);
    if (find_section(cfg, e.section) < 0) {
        if (strcmp(e.section, "data") && strcmp(e.section, "train"))
            return error_set(err, "--set %s: %s has no section [%s]", assignment, cfg->path,
                             e.section);
        add_section(cfg, e.section, 0);
    }
    for (int i = 0; i < cfg->n_entries; i++) {
        ConfigEntry *old = &cfg->entries[i];
        if (!strcmp(old->section, e.section) && !strcmp(old->key, e.key)) {
            free(old->value);
            old->value = strdup(eq + 1);
            old->line = 0;
            return resolve(cfg, err);
        }
    }
    Reader r = {cfg, "", 0, err, 0};
    on_entry(&r, e.section, e.key, eq + 1);
    cfg->entries[cfg->n_entries - 1].line = 0;
    return resolve(cfg, err);
}

void config_free(Config *cfg)
{
    for (int i = 0; i < cfg->n_entries; i++)
        free(cfg->entries[i].value);
    free(cfg->entries);
    free(cfg->text);
    memset(cfg, 0, sizeof *cfg);
}

char *config_effective_text(const Config *cfg)
{
    size_t cap = 256;
    for (int i = 0; i < cfg->n_entries; i++)
        cap += strlen(cfg->entries[i].key) + strlen(cfg->entries[i].value) + 8;
    cap += (size_t)cfg->n_sections * 56;
    char *text = xmalloc(cap, 1);
    size_t at = (size_t)snprintf(text, cap, "; %s as run (--set overrides applied)\n", cfg->path);
    for (int s = 0; s < cfg->n_sections; s++) {
        at += (size_t)snprintf(text + at, cap - at, "\n[%s]\n", cfg->sections[s]);
        for (int i = 0; i < cfg->n_entries; i++)
            if (!strcmp(cfg->entries[i].section, cfg->sections[s]))
                at += (size_t)snprintf(text + at, cap - at, "%s = %s\n", cfg->entries[i].key,
                                       cfg->entries[i].value);
    }
    return text;
}
