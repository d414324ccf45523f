/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_ERROR_H
#define LOCKOUT_ERROR_H

/* Error strings of the core library. Functions that fail return -1 and set
   *error_r to a message held in a per-thread buffer: it stays valid until the
   next failing call of the core library in the same thread, so copy it if it
   must live longer. */

#define LOCKOUT_ERROR_MAX 512

/* Format a message into the per-thread buffer and return it. */
const char *lockout_error_fmt(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
