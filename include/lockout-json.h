/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_JSON_H
#define LOCKOUT_JSON_H

/* JSON output into a lockout_str (ban evidence, doveadm output), and a small
   strict reader for top-level keys of a flat JSON object. */

#include "lockout-str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Append s as a JSON string: quoted, with '"' and '\' escaped, the
   characters lockout_utf8_is_unsafe() names (control characters,
   bidirectional formatting characters, line and paragraph separators)
   written as \uXXXX so output is safe on a terminal, and each invalid UTF-8
   sequence (maximal invalid subpart, as Unicode recommends) replaced by
   U+FFFD (JSON text cannot hold the bytes). NULL appends null. */
void lockout_json_append_string(struct lockout_str *str, const char *s);

/* Find top-level key in json, a flat JSON object, and read its value as a
   64-bit integer (a JSON number without fraction or exponent). The whole
   document is checked strictly first (RFC 8259, valid UTF-8, nesting at most
   32 deep, nothing after the object). Returns 1 with *value_r set when
   found, 0 when the key is missing or its value is null, -1 when json is
   malformed, has the key twice, or the value is not such an integer or does
   not fit. Never reads past the NUL of json. */
int lockout_json_get_int(const char *json, const char *key,
			 int64_t *value_r)
	__attribute__((warn_unused_result));

/* Same for a string value, decoded (escapes resolved, UTF-8) into buf of
   size bytes, NUL included. Returns 1 when found, 0 when missing or null, -1
   when malformed, a duplicate key, not a string, holding \u0000, or not
   fitting in buf. buf is "" (when size > 0) unless 1 is returned. */
int lockout_json_get_string(const char *json, const char *key,
			    char *buf, size_t size)
	__attribute__((warn_unused_result));

/* Same for a number, read as a double (any JSON number: fraction and
   exponent allowed), correctly rounded and the same whatever the process's
   locale (LC_NUMERIC). Returns 1 when found, 0 when missing or null, -1
   when malformed, a duplicate key, not a number, or beyond the range of a
   double (a number too small for one reads as 0 or a subnormal). */
int lockout_json_get_double(const char *json, const char *key,
			    double *value_r)
	__attribute__((warn_unused_result));

/* Check json strictly as above, once, and find the values of count
   top-level keys, for reading several keys of one document in one pass:
   values_r[i] points into json at the value of keys[i], or is NULL when
   that key is missing or its value is null. Every key must be at most 63
   bytes when count > 1. Returns 0, or -1 (all values_r NULL) when json is
   malformed or has one of the keys twice. */
int lockout_json_find_values(const char *json, const char *const *keys,
			     size_t count, const char **values_r)
	__attribute__((warn_unused_result));
/* Decode the JSON string at value (from lockout_json_find_values()) into
   buf of size bytes, NUL included, with its length in *len_r. Returns 0, or
   -1 (buf "" when size > 0, *len_r 0) when it is not a string, holds
   \u0000 or does not fit. */
int lockout_json_value_string(const char *value, char *buf, size_t size,
			      size_t *len_r)
	__attribute__((warn_unused_result));
/* Read the JSON number at value (from lockout_json_find_values()) as a
   double, as lockout_json_get_double() does. Returns 0, or -1 (*value_r 0)
   when it is not a number or too large for a double. */
int lockout_json_value_double(const char *value, double *value_r)
	__attribute__((warn_unused_result));

/* Called for each top-level member of an object, in order: key decoded
   (at most 63 bytes; NULL for a longer key or one holding \u0000), value
   pointing at its JSON value in the document (read it with
   lockout_json_value_*() or lockout_json_value_end()). Returns 0 to go on,
   -1 to stop. */
typedef int lockout_json_member_cb_t(const char *key, const char *value,
				     void *context);
/* Check json strictly as above, once, then call cb for each top-level
   member. Returns 0, or -1 when json is malformed (cb never called) or cb
   returned -1. Duplicate keys are passed on as they are. */
int lockout_json_iter_members(const char *json,
			      lockout_json_member_cb_t *cb, void *context)
	__attribute__((warn_unused_result));
/* The end of the (checked) JSON value at value: just past it. */
const char *lockout_json_value_end(const char *value);

#endif
