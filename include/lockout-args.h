/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_ARGS_H
#define LOCKOUT_ARGS_H

/* The other arguments of the administrator's commands (durations, counts,
   reasons, rankings) and the time format of their output. Pure: no I/O, no
   allocation, no global state. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "2026-11-28T03:04:05Z" + NUL, with room for 5-digit years. */
#define LOCKOUT_TIME_STRLEN 32

/* Print unix seconds as ISO 8601 UTC ("2026-11-28T03:04:05Z") into buf.
   0 (meaning "never" or "permanent" in the table) and times that cannot be
   represented print as "". */
void lockout_time_format(int64_t secs, char buf[LOCKOUT_TIME_STRLEN]);

/* Parse a duration in Dovecot's interval syntax ("30 mins", "7 days") into
   *secs_r: at least one second, or LOCKOUT_TIME_PERMANENT for "permanent"
   when allow_permanent. Returns 0, or -1 with *error_r naming the (escaped)
   input; *secs_r is unchanged on failure. */
int lockout_duration_parse(const char *str, bool allow_permanent,
			   uint32_t *secs_r, const char **error_r)
	__attribute__((warn_unused_result));

/* The expiry of something that starts at now and lasts secs (as given by
   lockout_duration_parse()): now + secs, or 0 for LOCKOUT_TIME_PERMANENT. */
int64_t lockout_expiry(int64_t now, uint32_t secs);

/* Parse a count: decimal digits only, no sign or leading zero, 1..max.
   Returns 0, or -1 with *error_r naming the (escaped) input. */
int lockout_count_parse(const char *str, unsigned int max,
			unsigned int *count_r, const char **error_r)
	__attribute__((warn_unused_result));

/* Check a reason given by the administrator: at most
   LOCKOUT_BAN_REASON_MAX bytes, one line without the characters
   lockout_utf8_is_unsafe() names (control characters, C1 included,
   bidirectional formatting characters, line separators): it is shown in
   tables and mails. Returns 0, or -1 with *error_r set. */
int lockout_reason_check(const char *str, const char **error_r)
	__attribute__((warn_unused_result));

/* Parse what "top" ranks: "users", "ips" or "services" (the singular works
   too) into the history column *column_r ("user", "ip" or "service", a
   static string). Returns 0, or -1 with *error_r naming the input. */
int lockout_top_column_parse(const char *str, const char **column_r,
			     const char **error_r)
	__attribute__((warn_unused_result));

/* Days from 1970-01-01 to y-m-d (m 1..12) of the proleptic Gregorian
   calendar. */
int64_t lockout_days_from_civil(int64_t y, int m, int d);

#endif
