/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* A growable string buffer that fails once and is checked once. */
#include "lockout-str.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR_MIN_SIZE 64
#define STR_MAX_SIZE ((size_t)PTRDIFF_MAX)

void lockout_str_init(struct lockout_str *str)
{
	memset(str, 0, sizeof(*str));
}

void lockout_str_free(struct lockout_str *str)
{
	free(str->data);
	memset(str, 0, sizeof(*str));
}

/* Make room for add more bytes plus the NUL; false (and failed set) when
   that is impossible. */
static bool str_reserve(struct lockout_str *str, size_t add)
{
	size_t need, new_size;
	char *data;

	if (str->failed)
		return false;
	/* No object can be larger than PTRDIFF_MAX bytes. */
	if (add > STR_MAX_SIZE - 1 - str->len) {
		str->failed = true;
		return false;
	}
	need = str->len + add + 1;
	if (need <= str->size)
		return true;
	new_size = str->size < STR_MIN_SIZE ? STR_MIN_SIZE : str->size;
	while (new_size < need) {
		if (new_size > STR_MAX_SIZE / 2) {
			new_size = need;
			break;
		}
		new_size *= 2;
	}
	data = realloc(str->data, new_size);
	if (data == NULL) {
		str->failed = true;
		return false;
	}
	str->data = data;
	str->size = new_size;
	return true;
}

void lockout_str_append_n(struct lockout_str *str, const char *s, size_t len)
{
	if (!str_reserve(str, len))
		return;
	memcpy(str->data + str->len, s, len);
	str->len += len;
	str->data[str->len] = '\0';
}

void lockout_str_append(struct lockout_str *str, const char *s)
{
	lockout_str_append_n(str, s, strlen(s));
}

void lockout_str_printf(struct lockout_str *str, const char *fmt, ...)
{
	va_list args, args2;
	size_t avail;
	int ret;

	if (str->failed)
		return;
	avail = str->data == NULL ? 0 : str->size - str->len;
	va_start(args, fmt);
	va_copy(args2, args);
	ret = vsnprintf(avail == 0 ? NULL : str->data + str->len, avail,
			fmt, args);
	va_end(args);
	if (ret >= 0 && (size_t)ret >= avail) {
		/* Too long for the free space: grow and format again. */
		if (str_reserve(str, (size_t)ret)) {
			ret = vsnprintf(str->data + str->len,
					str->size - str->len, fmt, args2);
		}
	}
	va_end(args2);
	if (str->failed) {
		/* the first try may have written past len */
		if (str->data != NULL)
			str->data[str->len] = '\0';
		return;
	}
	if (ret < 0) {
		str->failed = true;
		if (str->data != NULL)
			str->data[str->len] = '\0';
		return;
	}
	str->len += (size_t)ret;
}

const char *lockout_str_c(struct lockout_str *str)
{
	if (str->failed)
		return NULL;
	return str->data == NULL ? "" : str->data;
}

void lockout_str_clear(struct lockout_str *str)
{
	str->len = 0;
	str->failed = false;
	if (str->data != NULL)
		str->data[0] = '\0';
}
