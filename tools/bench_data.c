/* bench_data.c: measured speeds of the data path, for `make bench` (not a test).
 *
 *   bench_data [N] [L] [DIR]      defaults: 1000000 1000 /tmp
 *
 * Writes an N x L canonical file of random tokens (uncompressed, then gzip level 1), and reads it back
 * the two ways a training run does: one reader taking every row (what the node's shared-memory copy
 * costs), and P = 4 shard readers each taking its own N/P rows by hyperslab (sharded mode; run here one
 * after the other in one process, each holding only its shard). Prints GB/s and the bytes each reader
 * holds (tokens and labels). Reads are warm (page cache) and into buffers touched beforehand. Plain C
 * over dataset.h: the MPI version of the same reads lives with the trainer. Build:
 *   mpicc -O3 -Iinclude $(pkg-config --cflags hdf5) tools/bench_data.c build/libgseq.a -o build/bench_data \
 *         $(pkg-config --libs hdf5 openblas inih) -lz -lm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"
#include "base/rng.h"

#define BLOCK 16384

static void check(int rc, const Error *err)
{
    if (rc != 0) {
        fprintf(stderr, "bench_data: %s\n", err->msg);
        exit(1);
    }
}

static double write_file(const char *path, int64_t N, int L, int gzip)
{
    Error err;
    DatasetSpec spec = {.n = N, .length = L, .targets = 1, .task = TASK_BINARY, .gzip = gzip};
    DatasetWriter *w = dataset_writer_open(path, &spec, &err);
    check(w ? 0 : -1, &err);
    /* one block of random bases, written again and again: the time is the writer's, not the RNG's */
    uint8_t *tok = xmalloc(BLOCK, (size_t)L);
    float *y = xmalloc(BLOCK, sizeof *y);
    for (int64_t i = 0; i < BLOCK; i++) {
        for (int j = 0; j < L; j += 4) {
            float u[4];
            rng_uniform4(1, RNG_DATA, 99, (uint32_t)i, (uint64_t)j / 4, u);
            for (int q = 0; q < 4 && j + q < L; q++)
                tok[i * L + j + q] = (uint8_t)(1 + (int)(u[q] * 4));
        }
        y[i] = (float)(i % 2);
    }
    double t0 = now_seconds();
    for (int64_t at = 0; at < N; at += BLOCK) {
        int64_t m = N - at < BLOCK ? N - at : BLOCK;
        check(dataset_writer_append(w, m, tok, y, NULL, NULL, NULL, &err), &err);
    }
    check(dataset_writer_finish(w, &err), &err);
    free(tok);
    free(y);
    return now_seconds() - t0;
}

/* Reads rows [start, start + count) into one buffer, as a rank holding them would. */
static double read_rows(const char *path, int64_t start, int64_t count, int L)
{
    Error err;
    Dataset *d = dataset_open(path, &err);
    check(d ? 0 : -1, &err);
    uint8_t *tok = xmalloc((size_t)count, (size_t)L);
    float *y = xmalloc((size_t)count, sizeof *y);
    /* a rank allocates its buffers once: touch them first, so page faults are not counted */
    memset(tok, 0, (size_t)count * (size_t)L);
    memset(y, 0, (size_t)count * sizeof *y);
    double t0 = now_seconds();
    for (int64_t at = 0; at < count; at += BLOCK) {
        int64_t m = count - at < BLOCK ? count - at : BLOCK;
        check(dataset_read_rows(d, start + at, m, tok + at * L, y + at, &err), &err);
    }
    double dt = now_seconds() - t0;
    dataset_close(d);
    free(tok);
    free(y);
    return dt;
}

int main(int argc, char **argv)
{
    int64_t N = argc > 1 ? atoll(argv[1]) : 1000000;
    int L = argc > 2 ? atoi(argv[2]) : 1000;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    const int P = 4;
    double gb = (double)N * L / 1e9;
    printf("bench_data: N = %lld, L = %d (%.2f GB of tokens)\n", (long long)N, L, gb);
    for (int gzip = 0; gzip <= 1; gzip++) {
        char path[512];
        snprintf(path, sizeof path, "%s/bench_data_%d.%ld.h5", dir, gzip, (long)getpid());
        double tw = write_file(path, N, L, gzip);
        /* the first read also pulls the file into the page cache; the numbers are warm reads */
        read_rows(path, 0, N, L);
        double tall = read_rows(path, 0, N, L);
        double tmax = 0;
        for (int r = 0; r < P; r++) {
            int64_t s, c;
            dataset_shard(N, r, P, &s, &c);
            double t = read_rows(path, s, c, L);
            tmax = t > tmax ? t : tmax;
        }
        printf("  %-9s write %.2f GB/s | one reader, all rows: %.2f GB/s, holds %.2f GB | "
               "%d shards: slowest %.2f s (%.2f GB/s each), each holds %.2f GB\n",
               gzip ? "gzip 1:" : "no gzip:", gb / tw, gb / tall, gb * (1 + 4.0 / L), P, tmax,
               gb / P / tmax, gb / P * (1 + 4.0 / L));
        unlink(path);
    }
    return 0;
}
