/* json_out.h: the one way gseq_mpi writes JSON (metrics.jsonl, test_metrics.json, report.json,
 * eval's metrics.json). Values are built with jansson (json_t); this module adds what jansson
 * leaves to its caller: non-finite numbers become null (JSON has no NaN), strings that are not
 * UTF-8 are made so, building dies like xmalloc when memory runs out, and the writers check every
 * write. Every output is one line, "{"key": value, ...}", numbers with 10 significant digits.
 * The builders and writers take ownership of the values passed to them (jansson's "_new" rule). */
#ifndef GSEQ_JSON_OUT_H
#define GSEQ_JSON_OUT_H

#include <jansson.h>
#include <stdio.h>

#include "base/util.h"

/* A number; null when v is NaN or infinite. */
json_t *json_out_number(double v);

/* A string; each byte that is not part of valid UTF-8 becomes U+FFFD, the replacement character
 * (as Python's errors="replace"); NULL gives null. */
json_t *json_out_string(const char *s);

/* json_pack(fmt, ...) that dies with the call site on failure (out of memory, or a format that
 * does not match its arguments). Pass reals as "o" with json_out_number, text from users or files
 * as "o" with json_out_string. */
#define json_out_pack(...) json_out_pack_at(__FILE__, __LINE__, __VA_ARGS__)
json_t *json_out_pack_at(const char *file, int line, const char *fmt, ...);

/* object[key] = value (a key added last comes last) and array += value; die on failure, which
 * includes a NULL object, array or value: a constructor's result (json_array()) can go straight
 * in. */
#define json_out_set(object, key, value) json_out_set_at(__FILE__, __LINE__, object, key, value)
#define json_out_push(array, value) json_out_push_at(__FILE__, __LINE__, array, value)
void json_out_set_at(const char *file, int line, json_t *object, const char *key, json_t *value);
void json_out_push_at(const char *file, int line, json_t *array, json_t *value);

/* The text of a value, one line without a newline (free it with free()); dies on failure. */
char *json_out_text(json_t *value);

/* Writes value to PATH whole or not at all (util.h's out_open/out_close: a temporary file renamed
 * into place). 0, or -1 with "PATH: cannot write: ..." in err. */
int json_out_write_file(const char *path, json_t *value, Error *err);

/* Appends value as one JSON Lines record to f (open for writing as PATH) and flushes it; a record
 * that cannot be written whole is taken back (the file is cut to where it was). 0, or -1 with
 * "PATH: cannot write: ..." in err. */
int json_out_append_line(FILE *f, const char *path, json_t *value, Error *err);

#endif
