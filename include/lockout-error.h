/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_ERROR_H
#define LOCKOUT_ERROR_H

#include <stddef.h>

/* Error strings of the core library. Functions that fail return -1 and set
   *error_r to a message held in a per-thread buffer: it stays valid until the
   next failing call of the core library in the same thread, so copy it if it
   must live longer. */

#define LOCKOUT_ERROR_MAX 512

/* Format a message into the per-thread buffer and return it. */
const char *lockout_error_fmt(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Longest input lockout_error_quote() copies, and the buffer it needs. */
#define LOCKOUT_QUOTE_MAX_INPUT 64
#define LOCKOUT_QUOTE_BUF_SIZE (LOCKOUT_QUOTE_MAX_INPUT * 4 + 4)

/* Copy len bytes of untrusted input into buf (size bytes, NUL-terminated)
   for an error message: printable ASCII as is, anything else (and the quote
   and backslash) as \xHH, input longer than LOCKOUT_QUOTE_MAX_INPUT cut
   with "...". */
void lockout_error_quote(const char *str, size_t len, char *buf, size_t size);

#endif
