/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static __thread char lockout_error_buf[LOCKOUT_ERROR_MAX];

const char *lockout_error_fmt(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(lockout_error_buf, sizeof(lockout_error_buf), fmt, args);
	va_end(args);
	return lockout_error_buf;
}

void lockout_error_quote(const char *str, size_t len, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, pos = 0;

	for (i = 0; i < len && i < LOCKOUT_QUOTE_MAX_INPUT && pos + 5 < size;
	     i++) {
		unsigned char c = (unsigned char)str[i];

		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
			buf[pos++] = (char)c;
		} else {
			buf[pos++] = '\\';
			buf[pos++] = 'x';
			buf[pos++] = hex[c >> 4];
			buf[pos++] = hex[c & 0xf];
		}
	}
	if (i < len && pos + 4 <= size) {
		memcpy(buf + pos, "...", 3);
		pos += 3;
	}
	buf[pos] = '\0';
}
