/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_UTF8_H
#define LOCKOUT_UTF8_H

#include "lockout-str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decode the UTF-8 sequence at p (RFC 3629: no overlong forms, no
   surrogates, nothing above U+10FFFF). Returns its length with *cp_r set
   to the code point, or when it is invalid, the length of its maximal
   invalid subpart (at least 1, as Unicode recommends for replacement) with
   *cp_r set to UINT32_MAX. Stops at a NUL byte, which is never a
   continuation byte: p must be NUL-terminated or hold a whole sequence. */
size_t lockout_utf8_decode(const unsigned char *p, uint32_t *cp_r);

/* The one rule for text that comes from outside (usernames, reasons, rows
   of the table) and is shown to people: on a terminal, in a log, in a
   mail. True for the code points that are never shown as they are: the
   control characters (C0 U+0000..U+001F, DEL U+007F, C1 U+0080..U+009F:
   U+009B is a CSI, as ESC [ is), the bidirectional formatting characters
   (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069: they reorder
   what follows them on the line) and the line and paragraph separators
   (U+2028, U+2029). */
bool lockout_utf8_is_unsafe(uint32_t cp);

enum lockout_utf8_escape_flags {
	/* escape every character outside ASCII as well (\u00e9): for text
	   that must stay 7-bit, such as the postmaster's mail */
	LOCKOUT_UTF8_ESCAPE_ASCII = 0x01,
};

/* Longest escape of one character or byte ("\U0001f600"), NUL excluded. */
#define LOCKOUT_UTF8_ESCAPE_MAX 10

/* Write src escaped into dest (size bytes, NUL-terminated when size > 0):
   characters for which lockout_utf8_is_unsafe() is true as \xNN below
   U+0080 ("\x1b") and as \uNNNN from there ("\u009b", "\u202e"), each byte
   of invalid UTF-8 as \xNN ("\xff": \xNN of 80..ff is always a byte, never
   a character), everything else as it is (with
   LOCKOUT_UTF8_ESCAPE_ASCII, non-ASCII characters as \uNNNN, or
   \UNNNNNNNN beyond U+FFFF). Hex digits are lower case; a backslash stays
   as it is (the escaping makes text safe to look at, it is not meant to be
   decoded). Output that does not fit stops before the character or escape
   that would not fit whole. Returns the length of the whole escaped text,
   NUL excluded, as snprintf() does: everything was written when it is less
   than size. dest may be NULL when size is 0. */
size_t lockout_utf8_escape(char *dest, size_t size, const char *src,
			   enum lockout_utf8_escape_flags flags);

/* The length of the run of printable ASCII (U+0020..U+007E) that str
   starts with: bytes the escaping always leaves as they are. str is all
   plain when str[lockout_utf8_plain_span(str)] is the NUL. */
size_t lockout_utf8_plain_span(const char *str);

/* Append src escaped as above to str. With max > 0, at most max bytes of
   escaped text are appended (never half a character or escape), then
   "..." when some were left out. */
void lockout_utf8_append_escaped(struct lockout_str *str, const char *src,
				 size_t max,
				 enum lockout_utf8_escape_flags flags);

#endif
