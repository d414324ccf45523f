/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* JSON output: strings escaped so that they are safe on a terminal. */
#include "lockout-json.h"
#include "lockout-utf8.h"

#include <stdint.h>

static const char utf8_replacement[] = "\xef\xbf\xbd";

static bool json_is_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

void lockout_json_append_string(struct lockout_str *str, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;
	uint32_t cp;

	if (s == NULL) {
		lockout_str_append(str, "null");
		return;
	}
	lockout_str_append_n(str, "\"", 1);
	while (*p != '\0') {
		for (len = 0; json_is_plain(p[len]); len++) ;
		if (len > 0) {
			lockout_str_append_n(str, (const char *)p, len);
			p += len;
			continue;
		}
		if (*p == '"' || *p == '\\') {
			lockout_str_append_n(str, "\\", 1);
			lockout_str_append_n(str, (const char *)p, 1);
			p++;
			continue;
		}
		len = lockout_utf8_decode(p, &cp);
		if (lockout_utf8_is_unsafe(cp))
			lockout_str_printf(str, "\\u%04x", (unsigned int)cp);
		else if (cp == UINT32_MAX)
			lockout_str_append(str, utf8_replacement);
		else
			lockout_str_append_n(str, (const char *)p, len);
		p += len;
	}
	lockout_str_append_n(str, "\"", 1);
}
