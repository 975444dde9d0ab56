/* convert_oracle.h: `convert --genome --oracle TSV`: each row's motif score for each target, the
 * /oracle (N, K) dataset that train, cv and eval compare a model with ("the planted motifs' oracle
 * reaches auroc ..."). For data from `synth --genome` (its DIR/motifs.tsv) it is the planted
 * motifs' own score; on a real genome, a PWM-scan baseline. The score is motif.h's
 * motif_oracle (log mean over positions and strands of exp(LLR)), the motifs from the JASPAR file
 * that ships with gseq_mpi, against a background of 41% GC (synth's default, the human genome's). */
#ifndef GSEQ_CONVERT_ORACLE_H
#define GSEQ_CONVERT_ORACLE_H

#include <stdint.h>

#include "base/util.h"
#include "data/motif.h"

typedef struct {
    int K;           /* 0: no oracle */
    MotifSet set;
    Motif **motif;   /* (K) into set, prepared against the background */
} Oracle;

/* The motif of each of the K targets (by name) from tsv: lines "target<TAB>motif" (a JASPAR ID
 * or name). 0, or -1 with one line naming the file and line, the target or the motif. */
int oracle_open(Oracle *o, const char *tsv, int K, const char *const *names, Error *err);
/* out[k] = target k's score of the W tokens at tok. */
void oracle_scores(const Oracle *o, const uint8_t *tok, int W, float *out);
void oracle_close(Oracle *o); /* a zeroed Oracle is a no-op */

#endif
