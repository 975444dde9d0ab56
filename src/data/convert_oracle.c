/* convert_oracle.c: the motif scores of convert --genome --oracle (convert_oracle.h). */
#include "data/convert_oracle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each target's motif key from the TSV's lines "name<TAB>key" into key[k] (malloc'd); the
 * first line naming a target counts, lines of other names are ignored. */
static int read_pairs(const char *tsv, int K, const char *const *names, char **key, Error *err)
{
    FILE *f = fopen(tsv, "r");
    if (!f)
        return error_set(err, "--oracle %s: cannot open", tsv);
    char line[1024];
    int rc = 0;
    for (long no = 1; rc == 0 && fgets(line, sizeof line, f); no++) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        if (!tab || !tab[1] || tab == line) {
            rc = error_set(err, "%s line %ld: expected 'target<TAB>motif'", tsv, no);
            break;
        }
        *tab = '\0';
        for (int k = 0; k < K; k++)
            if (!strcmp(names[k], line) && !key[k]) {
                key[k] = xmalloc(strlen(tab + 1) + 1, 1);
                strcpy(key[k], tab + 1);
            }
    }
    fclose(f);
    for (int k = 0; rc == 0 && k < K; k++)
        if (!key[k])
            rc = error_set(err, "--oracle %s: no motif for target '%s'", tsv, names[k]);
    return rc;
}

int oracle_open(Oracle *o, const char *tsv, int K, const char *const *names, Error *err)
{
    memset(o, 0, sizeof *o);
    char buf[4200];
    const char *file = motif_default_file(buf, sizeof buf);
    char **key = xcalloc((size_t)K, sizeof *key);
    int rc = read_pairs(tsv, K, names, key, err);
    if (rc == 0)
        rc = motif_read_jaspar(file, &o->set, err);
    o->motif = xcalloc((size_t)K, sizeof *o->motif);
    o->K = K;
    static const double bg[4] = {0.295, 0.205, 0.205, 0.295}; /* 41% GC */
    for (int k = 0; rc == 0 && k < K; k++) {
        o->motif[k] = (Motif *)motif_find(&o->set, key[k]);
        if (!o->motif[k])
            rc = error_set(err, "--oracle %s: target '%s': no motif '%s' in %s", tsv, names[k],
                           key[k], file);
        else
            motif_prepare(o->motif[k], bg, 0.8);
    }
    for (int k = 0; k < K; k++)
        free(key[k]);
    free(key);
    if (rc != 0)
        oracle_close(o);
    return rc;
}

void oracle_scores(const Oracle *o, const uint8_t *tok, int W, float *out)
{
    for (int k = 0; k < o->K; k++)
        out[k] = (float)motif_oracle(o->motif[k], tok, W);
}

void oracle_close(Oracle *o)
{
    if (o->set.m)
        motif_set_free(&o->set);
    free(o->motif);
    memset(o, 0, sizeof *o);
}
