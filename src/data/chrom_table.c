/* chrom_table.c: the chromosome table (chrom_table.h), an open-addressing hash of indexes kept
 * at most half full, FNV-1a over the name. */
#include "data/chrom_table.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

void chrom_table_init(ChromTable *t) { memset(t, 0, sizeof *t); }

static void table_rehash(ChromTable *t, int cap)
{
    free(t->slot);
    t->cap = cap;
    t->slot = xmalloc((size_t)cap, sizeof *t->slot);
    for (int i = 0; i < cap; i++)
        t->slot[i] = -1;
    for (int i = 0; i < t->n; i++) {
        uint32_t h = name_hash(t->name[i]) & (uint32_t)(cap - 1);
        while (t->slot[h] >= 0)
            h = (h + 1) & (uint32_t)(cap - 1);
        t->slot[h] = i;
    }
}

int chrom_table_find(const ChromTable *t, const char *name)
{
    if (t->cap == 0)
        return -1;
    uint32_t h = name_hash(name) & (uint32_t)(t->cap - 1);
    for (; t->slot[h] >= 0; h = (h + 1) & (uint32_t)(t->cap - 1))
        if (strcmp(t->name[t->slot[h]], name) == 0)
            return t->slot[h];
    return -1;
}

int chrom_table_add(ChromTable *t, const char *name, int64_t length)
{
    if (chrom_table_find(t, name) >= 0)
        return -1;
    if ((t->n + 1) * 2 > t->cap) {
        int cap = t->cap ? t->cap * 2 : 64;
        char **nm = xmalloc((size_t)cap, sizeof *nm);
        int64_t *len = xmalloc((size_t)cap, sizeof *len);
        if (t->n) {
            memcpy(nm, t->name, (size_t)t->n * sizeof *nm);
            memcpy(len, t->length, (size_t)t->n * sizeof *len);
        }
        free(t->name);
        free(t->length);
        t->name = nm;
        t->length = len;
        table_rehash(t, cap);
    }
    int i = t->n++;
    t->name[i] = xstrdup(name);
    t->length[i] = length;
    uint32_t h = name_hash(name) & (uint32_t)(t->cap - 1);
    while (t->slot[h] >= 0)
        h = (h + 1) & (uint32_t)(t->cap - 1);
    t->slot[h] = i;
    return i;
}

void chrom_table_free(ChromTable *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->name[i]);
    free(t->name);
    free(t->length);
    free(t->slot);
    memset(t, 0, sizeof *t);
}
