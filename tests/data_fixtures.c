/* data_fixtures.c: see data_fixtures.h. Linked into every test binary: no main(), names fx_*. */
#include "data_fixtures.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char fx_root[256];
static char **fx_paths; /* every fx_path result, freed by fx_cleanup */
static int fx_npaths, fx_cap;

const char *fx_dir(void)
{
    if (!fx_root[0]) {
        snprintf(fx_root, sizeof fx_root, "/tmp/gseq_test_XXXXXX");
        if (!mkdtemp(fx_root)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return fx_root;
}

void fx_cleanup(void)
{
    if (!fx_root[0])
        return;
    DIR *d = opendir(fx_root);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char p[600];
            snprintf(p, sizeof p, "%s/%s", fx_root, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(fx_root);
    fx_root[0] = '\0';
    for (int i = 0; i < fx_npaths; i++)
        free(fx_paths[i]);
    free(fx_paths);
    fx_paths = NULL;
    fx_npaths = fx_cap = 0;
}

const char *fx_path(const char *name)
{
    if (fx_npaths == fx_cap) {
        fx_cap = fx_cap ? 2 * fx_cap : 64;
        char **grown = realloc(fx_paths, (size_t)fx_cap * sizeof *fx_paths);
        if (!grown)
            abort();
        fx_paths = grown;
    }
    char *b = malloc(512);
    if (!b)
        abort();
    snprintf(b, 512, "%s/%s", fx_dir(), name);
    fx_paths[fx_npaths++] = b;
    return b;
}

void fx_write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(text, 1, strlen(text), fp) != strlen(text)) {
        perror(path);
        exit(2);
    }
    fclose(fp);
}

void fx_write_gzip(const char *path, const char *text, size_t n)
{
    gzFile g = gzopen(path, "wb");
    if (!g || gzwrite(g, text, (unsigned)n) != (int)n) {
        perror(path);
        exit(2);
    }
    gzclose(g);
}

int fx_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int fx_temp_left(const char *path)
{
    char dir[512], base[512];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    snprintf(base, sizeof base, "%s.tmp", slash + 1);
    DIR *d = opendir(dir);
    int found = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        found |= strncmp(e->d_name, base, strlen(base)) == 0;
    if (d)
        closedir(d);
    return found;
}

unsigned char *fx_npy(const char *path, const char *descr, int rank, const int64_t *shape,
                      const void *data, size_t data_bytes, size_t *n)
{
    char header[256];
    const char *q = descr[0] == '[' ? "" : "'"; /* a structured descr is a list, not a string */
    int k = snprintf(header, sizeof header, "{'descr': %s%s%s, 'fortran_order': False, 'shape': (",
                     q, descr, q);
    for (int i = 0; i < rank; i++)
        k += snprintf(header + k, sizeof header - (size_t)k, "%lld,%s", (long long)shape[i],
                      i + 1 < rank ? " " : "");
    k += snprintf(header + k, sizeof header - (size_t)k, "), }");
    int total = 10 + k + 1;
    int pad = (64 - total % 64) % 64;
    int hlen = k + pad + 1;
    size_t size = 10 + (size_t)hlen + data_bytes;
    unsigned char *buf = malloc(size);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    memcpy(buf + 10, header, (size_t)k);
    memset(buf + 10 + k, ' ', (size_t)pad);
    buf[10 + k + pad] = '\n';
    memcpy(buf + 10 + hlen, data, data_bytes);
    if (n)
        *n = size;
    if (path) {
        FILE *fp = fopen(path, "wb");
        if (!fp || fwrite(buf, 1, size, fp) != size) {
            perror(path);
            exit(2);
        }
        fclose(fp);
        free(buf);
        return NULL;
    }
    return buf;
}

static void put16(FILE *fp, unsigned v)
{
    fputc((int)(v & 0xff), fp);
    fputc((int)((v >> 8) & 0xff), fp);
}
static void put32(FILE *fp, unsigned long v)
{
    put16(fp, (unsigned)(v & 0xffff));
    put16(fp, (unsigned)((v >> 16) & 0xffff));
}

void fx_zip(const char *path, int count, const char *const *names, unsigned char *const *data,
            const size_t *sizes, int deflate_it)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        perror(path);
        exit(2);
    }
    unsigned long *offs = calloc((size_t)count, sizeof *offs), *crcs = calloc((size_t)count, sizeof *crcs),
                  *csz = calloc((size_t)count, sizeof *csz);
    for (int i = 0; i < count; i++) {
        unsigned char *out = (unsigned char *)data[i];
        size_t olen = sizes[i];
        if (deflate_it) {
            z_stream z = {0};
            deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
            olen = deflateBound(&z, sizes[i]);
            out = malloc(olen);
            z.next_in = data[i];
            z.avail_in = (uInt)sizes[i];
            z.next_out = out;
            z.avail_out = (uInt)olen;
            deflate(&z, Z_FINISH);
            olen = z.total_out;
            deflateEnd(&z);
        }
        crcs[i] = crc32(0, data[i], (uInt)sizes[i]);
        csz[i] = olen;
        offs[i] = (unsigned long)ftell(fp);
        put32(fp, 0x04034b50);
        put16(fp, 20);
        put16(fp, 0);
        put16(fp, deflate_it ? 8 : 0);
        put16(fp, 0);
        put16(fp, 0);
        put32(fp, crcs[i]);
        put32(fp, csz[i]);
        put32(fp, sizes[i]);
        put16(fp, (unsigned)strlen(names[i]));
        put16(fp, 0);
        fwrite(names[i], 1, strlen(names[i]), fp);
        fwrite(out, 1, olen, fp);
        if (deflate_it)
            free(out);
    }
    unsigned long cd = (unsigned long)ftell(fp);
    for (int i = 0; i < count; i++) {
        put32(fp, 0x02014b50);
        put16(fp, 20);
        put16(fp, 20);
        put16(fp, 0);
        put16(fp, deflate_it ? 8 : 0);
        put16(fp, 0);
        put16(fp, 0);
        put32(fp, crcs[i]);
        put32(fp, csz[i]);
        put32(fp, sizes[i]);
        put16(fp, (unsigned)strlen(names[i]));
        put16(fp, 0);
        put16(fp, 0);
        put16(fp, 0);
        put16(fp, 0);
        put32(fp, 0);
        put32(fp, offs[i]);
        fwrite(names[i], 1, strlen(names[i]), fp);
    }
    unsigned long cd_end = (unsigned long)ftell(fp);
    put32(fp, 0x06054b50);
    put16(fp, 0);
    put16(fp, 0);
    put16(fp, (unsigned)count);
    put16(fp, (unsigned)count);
    put32(fp, cd_end - cd);
    put32(fp, cd);
    put16(fp, 0);
    fclose(fp);
    free(offs);
    free(crcs);
    free(csz);
}

int fx_run(int (*fn)(int, char **), char *buf, size_t n, const char *first, ...)
{
    char *argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    const char *cap = fx_path("stderr.txt");
    FILE *fp = fopen(cap, "w");
    dup2(fileno(fp), STDERR_FILENO);
    int rc = fn(argc, argv);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fclose(fp);
    fp = fopen(cap, "r");
    size_t got = fread(buf, 1, n - 1, fp);
    buf[got] = '\0';
    fclose(fp);
    unlink(cap);
    return rc;
}
