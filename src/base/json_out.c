/* json_out.c: JSON and JSON Lines outputs through jansson (json_out.h). The values are jansson's;
 * what is decided here, once for every output: null for non-finite numbers, UTF-8 strings, the
 * layout (one line, ", " and ": " between items, 10 significant digits: more than any number
 * gseq_mpi computes in float carries), and writes that are checked and whole or not at all. */
#include "base/json_out.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Keys in the order they were added (the default since jansson 2.8; asked for older ones); any
 * value, not only objects and arrays. */
#define DUMP_FLAGS (JSON_REAL_PRECISION(10) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)

json_t *json_out_number(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* The length of the UTF-8 sequence at s (1 to 4), or 0 if it is not one (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF). */
static int utf8_length(const unsigned char *s)
{
    unsigned char c = s[0];
    int n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
            : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    for (int i = 1; i < n; i++, lo = 0x80, hi = 0xBF)
        if (s[i] < lo || s[i] > hi)
            return 0;
    return n;
}

json_t *json_out_string(const char *s)
{
    if (!s)
        return json_null();
    json_t *v = json_string(s); /* NULL when s is not UTF-8 (or memory ran out) */
    if (v)
        return v;
    const unsigned char *p = (const unsigned char *)s;
    char *text = xmalloc(strlen(s) + 1, 3); /* U+FFFD is 3 bytes */
    size_t k = 0;
    while (*p) {
        int n = utf8_length(p);
        if (n) {
            memcpy(text + k, p, (size_t)n);
            k += (size_t)n, p += n;
        } else {
            memcpy(text + k, "\xEF\xBF\xBD", 3);
            k += 3, p++;
        }
    }
    v = json_stringn(text, k);
    free(text);
    return v;
}

json_t *json_out_pack_at(const char *file, int line, const char *fmt, ...)
{
    json_error_t e;
    va_list ap;
    va_start(ap, fmt);
    json_t *v = json_vpack_ex(&e, 0, fmt, ap);
    va_end(ap);
    if (!v)
        die("%s:%d: cannot build JSON: %s", file, line, e.text);
    return v;
}

void json_out_set_at(const char *file, int line, json_t *object, const char *key, json_t *value)
{
    if (!value || json_object_set_new(object, key, value) != 0)
        die("%s:%d: cannot build JSON: no memory for \"%s\"", file, line, key);
}

void json_out_push_at(const char *file, int line, json_t *array, json_t *value)
{
    if (!value || json_array_append_new(array, value) != 0)
        die("%s:%d: cannot build JSON: no memory for an array item", file, line);
}

char *json_out_text(json_t *value)
{
    char *text = json_dumps(value, DUMP_FLAGS);
    json_decref(value);
    if (!text)
        die("cannot encode JSON: out of memory");
    return text;
}

int json_out_write_file(const char *path, json_t *value, Error *err)
{
    char *text = json_out_text(value);
    FILE *f = out_open(path, err);
    if (!f) {
        free(text);
        return -1;
    }
    fputs(text, f);
    fputc('\n', f);
    free(text);
    return out_close(f, path, err); /* checks every write above */
}

int json_out_append_line(FILE *f, const char *path, json_t *value, Error *err)
{
    char *text = json_out_text(value);
    long at = ftell(f);
    errno = 0;
    int bad = fputs(text, f) == EOF || fputc('\n', f) == EOF || fflush(f) != 0 || ferror(f);
    int why = errno ? errno : EIO; /* an error stdio met earlier has lost its errno: say EIO */
    free(text);
    if (!bad)
        return 0;
    if (at >= 0 && ftruncate(fileno(f), at) == 0)
        clearerr(f);
    return error_set(err, "%s: cannot write: %s", path, strerror(why));
}
