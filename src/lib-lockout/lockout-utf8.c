/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-utf8.h"

#include <stdio.h>
#include <string.h>

/* Check the UTF-8 sequence at p. Returns its length with *cp_r set, or when
   it is invalid, the length of its maximal invalid subpart (at least 1) with
   *cp_r set to UINT32_MAX. Stops at a NUL byte, which is never a
   continuation byte. */
size_t lockout_utf8_decode(const unsigned char *p, uint32_t *cp_r)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;
	uint32_t cp;

	*cp_r = UINT32_MAX;
	if (c < 0x80) {
		*cp_r = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;	/* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;	/* no overlong forms */
		else if (c == 0xf4)
			hi = 0x8f;	/* nothing above U+10FFFF */
	} else {
		return 1;
	}
	for (i = 1; i < len; i++) {
		if (p[i] < lo || p[i] > hi)
			return i;
		cp = (cp << 6) | (p[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp_r = cp;
	return len;
}

bool lockout_utf8_is_unsafe(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return true;
	if (cp < 0x061c)
		return false;
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
		(cp >= 0x202a && cp <= 0x202e) ||
		(cp >= 0x2066 && cp <= 0x2069) ||
		cp == 0x2028 || cp == 0x2029;
}

/* One step of the escaping at p (not at its NUL): returns the bytes of
   src it stands for, with its escape in esc (NUL-terminated) and its length
   in *esc_len_r, or *esc_len_r 0 when those bytes are shown as they are. */
static size_t escape_next(const unsigned char *p,
			  enum lockout_utf8_escape_flags flags,
			  char esc[LOCKOUT_UTF8_ESCAPE_MAX + 1],
			  size_t *esc_len_r)
{
	uint32_t cp;
	size_t len;

	len = lockout_utf8_decode(p, &cp);
	if (cp == UINT32_MAX) {
		/* invalid: its bytes one by one, the next from the next
		   step (the maximal invalid subpart may be longer) */
		snprintf(esc, LOCKOUT_UTF8_ESCAPE_MAX + 1, "\\x%02x", p[0]);
		*esc_len_r = 4;
		return 1;
	}
	if (cp < 0x80 && !lockout_utf8_is_unsafe(cp)) {
		*esc_len_r = 0;
		return len;
	}
	if (cp < 0x80) {
		snprintf(esc, LOCKOUT_UTF8_ESCAPE_MAX + 1, "\\x%02x",
			 (unsigned int)cp);
		*esc_len_r = 4;
	} else if (!lockout_utf8_is_unsafe(cp) &&
		   (flags & LOCKOUT_UTF8_ESCAPE_ASCII) == 0) {
		*esc_len_r = 0;
	} else if (cp <= 0xffff) {
		snprintf(esc, LOCKOUT_UTF8_ESCAPE_MAX + 1, "\\u%04x",
			 (unsigned int)cp);
		*esc_len_r = 6;
	} else {
		snprintf(esc, LOCKOUT_UTF8_ESCAPE_MAX + 1, "\\U%08x",
			 (unsigned int)cp);
		*esc_len_r = 10;
	}
	return len;
}

size_t lockout_utf8_plain_span(const char *str)
{
	const unsigned char *p = (const unsigned char *)str;

	while (*p >= 0x20 && *p < 0x7f)
		p++;
	return (size_t)(p - (const unsigned char *)str);
}

size_t lockout_utf8_escape(char *dest, size_t size, const char *src,
			   enum lockout_utf8_escape_flags flags)
{
	const unsigned char *p = (const unsigned char *)src;
	char esc[LOCKOUT_UTF8_ESCAPE_MAX + 1];
	size_t total = 0, pos = 0, n, esc_len, out_len;
	bool full = size == 0;

	while (*p != '\0') {
		/* printable ASCII is never escaped: a run of it in one step
		   (doveadm escapes every value it prints) */
		n = lockout_utf8_plain_span((const char *)p);
		if (n > 0) {
			if (!full) {
				out_len = pos + n < size ? n : size - 1 - pos;
				memcpy(dest + pos, p, out_len);
				pos += out_len;
				full = out_len < n;
			}
			total += n;
			p += n;
			continue;
		}
		n = escape_next(p, flags, esc, &esc_len);
		out_len = esc_len == 0 ? n : esc_len;
		if (!full && pos + out_len < size) {
			memcpy(dest + pos, esc_len == 0 ? (const char *)p :
			       esc, out_len);
			pos += out_len;
		} else {
			/* nothing after a character that did not fit, so
			   that the output is a prefix of the whole */
			full = true;
		}
		total += out_len;
		p += n;
	}
	if (size > 0)
		dest[pos] = '\0';
	return total;
}

void lockout_utf8_append_escaped(struct lockout_str *str, const char *src,
				 size_t max,
				 enum lockout_utf8_escape_flags flags)
{
	const unsigned char *p = (const unsigned char *)src;
	char esc[LOCKOUT_UTF8_ESCAPE_MAX + 1];
	size_t out = 0, n, esc_len, out_len;

	while (*p != '\0') {
		n = escape_next(p, flags, esc, &esc_len);
		out_len = esc_len == 0 ? n : esc_len;
		if (max > 0 && out + out_len > max) {
			lockout_str_append(str, "...");
			return;
		}
		lockout_str_append_n(str, esc_len == 0 ? (const char *)p : esc,
				     out_len);
		out += out_len;
		p += n;
	}
}
