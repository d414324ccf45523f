/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STR_H
#define LOCKOUT_STR_H

/* A growable string buffer for code that has no Dovecot pools (the core
   library, lockoutd). */

#include <stdbool.h>
#include <stddef.h>

/* data is NUL-terminated whenever it is non-NULL; len excludes the NUL.
   failed: an allocation failed (or the size would overflow); every later
   append is a no-op and lockout_str_c() returns NULL, so a caller can append
   freely and check once at the end. */
struct lockout_str {
	char *data;
	size_t len;
	size_t size;
	bool failed;
};

/* Start an empty buffer; nothing is allocated until the first append. */
void lockout_str_init(struct lockout_str *str);
/* Release the buffer and leave it empty (as after lockout_str_init()). */
void lockout_str_free(struct lockout_str *str);

/* Append the NUL-terminated s. */
void lockout_str_append(struct lockout_str *str, const char *s);
/* Append len bytes of s as they are (s may hold NUL bytes). */
void lockout_str_append_n(struct lockout_str *str, const char *s, size_t len);
/* Append printf-formatted text; a formatting error also sets failed. */
void lockout_str_printf(struct lockout_str *str, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The contents as a NUL-terminated string: "" when nothing was appended,
   NULL when an allocation failed. Valid until the next change of str. */
const char *lockout_str_c(struct lockout_str *str)
	__attribute__((warn_unused_result));
/* Empty the string (and forget an allocation failure), keeping its memory
   for reuse. */
void lockout_str_clear(struct lockout_str *str);

#endif
