/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-utf8.h"

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
