/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-error.h"

#include <stdarg.h>
#include <stdio.h>

static __thread char lockout_error_buf[LOCKOUT_ERROR_MAX];

const char *lockout_error_fmt(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(lockout_error_buf, sizeof(lockout_error_buf), fmt, args);
	va_end(args);
	return lockout_error_buf;
}
