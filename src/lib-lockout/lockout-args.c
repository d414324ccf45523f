/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-args.h"
#include "lockout-config.h"
#include "lockout-error.h"
#include "lockout-store.h"
#include "lockout-utf8.h"

#include <string.h>
#include <time.h>

/* The last day seconds since the epoch is 9999-12-31: four-digit years */
#define TIME_FAST_MAX_DAYS 2932897

static void time_put2(char *p, unsigned int value)
{
	p[0] = (char)('0' + value / 10);
	p[1] = (char)('0' + value % 10);
}

/* secs > 0 before the year 10000, as strftime() would print it: the civil
   date of the day number by arithmetic (H. Hinnant's days_from_civil
   inverted) instead of gmtime_r() and strftime(), which cost ten times
   more and are called for every time of every row doveadm prints. */
static void time_format_fast(int64_t secs, char buf[LOCKOUT_TIME_STRLEN])
{
	int64_t days = secs / 86400, sod = secs % 86400;
	uint32_t z = (uint32_t)(days + 719468);
	uint32_t era = z / 146097, doe = z - era * 146097;
	uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint32_t mp = (5 * doy + 2) / 153;
	uint32_t day = doy - (153 * mp + 2) / 5 + 1;
	uint32_t month = mp < 10 ? mp + 3 : mp - 9;
	uint32_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);

	time_put2(buf, year / 100);
	time_put2(buf + 2, year % 100);
	buf[4] = '-';
	time_put2(buf + 5, month);
	buf[7] = '-';
	time_put2(buf + 8, day);
	buf[10] = 'T';
	time_put2(buf + 11, (unsigned int)(sod / 3600));
	buf[13] = ':';
	time_put2(buf + 14, (unsigned int)(sod / 60 % 60));
	buf[16] = ':';
	time_put2(buf + 17, (unsigned int)(sod % 60));
	buf[19] = 'Z';
	buf[20] = '\0';
}

void lockout_time_format(int64_t secs, char buf[LOCKOUT_TIME_STRLEN])
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (secs > 0 && secs / 86400 < TIME_FAST_MAX_DAYS) {
		time_format_fast(secs, buf);
		return;
	}
	buf[0] = '\0';
	if (secs <= 0 || (int64_t)t != secs || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year > 99999 - 1900)
		return;
	if (strftime(buf, LOCKOUT_TIME_STRLEN, "%Y-%m-%dT%H:%M:%SZ",
		     &tm) == 0)
		buf[0] = '\0';
}

int lockout_duration_parse(const char *str, bool allow_permanent,
			   uint32_t *secs_r, const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];
	uint32_t secs;

	if (str == NULL) {
		*error_r = lockout_error_fmt("missing interval");
		return -1;
	}
	if (lockout_interval_parse(str, allow_permanent, &secs, error_r) < 0)
		return -1;
	if (secs == 0) {
		lockout_error_quote(str, strlen(str), quoted, sizeof(quoted));
		*error_r = lockout_error_fmt("invalid interval '%s' (must be "
					     "at least 1 second)", quoted);
		return -1;
	}
	*secs_r = secs;
	return 0;
}

int64_t lockout_expiry(int64_t now, uint32_t secs)
{
	if (secs == LOCKOUT_TIME_PERMANENT)
		return 0;
	return now + (int64_t)secs;
}

int lockout_count_parse(const char *str, unsigned int max,
			unsigned int *count_r, const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];
	unsigned long long value = 0;
	const char *p;

	if (str == NULL) {
		*error_r = lockout_error_fmt("missing count");
		return -1;
	}
	for (p = str; *p >= '0' && *p <= '9' && value <= max; p++)
		value = value * 10 + (unsigned long long)(*p - '0');
	if (p == str || *p != '\0' || str[0] == '0' || value > max) {
		lockout_error_quote(str, strlen(str), quoted, sizeof(quoted));
		*error_r = lockout_error_fmt("invalid count '%s' (expected "
					     "1..%u)", quoted, max);
		return -1;
	}
	*count_r = (unsigned int)value;
	return 0;
}

int lockout_reason_check(const char *str, const char **error_r)
{
	const unsigned char *p;
	size_t len;
	uint32_t cp;

	if (str == NULL) {
		*error_r = lockout_error_fmt("missing reason");
		return -1;
	}
	len = strnlen(str, LOCKOUT_BAN_REASON_MAX + 1);
	if (len > LOCKOUT_BAN_REASON_MAX) {
		*error_r = lockout_error_fmt("invalid reason: longer than %u "
					     "bytes", LOCKOUT_BAN_REASON_MAX);
		return -1;
	}
	for (p = (const unsigned char *)str; *p != '\0'; p += len) {
		len = lockout_utf8_decode(p, &cp);
		if (cp == UINT32_MAX || !lockout_utf8_is_unsafe(cp))
			continue;
		/* what would be escaped when shown: refused here, so that an
		   administrator's reason is always shown as it was given */
		if (cp < 0x80) {
			*error_r = lockout_error_fmt("invalid reason: holds a "
				"control character (0x%02x); give one line",
				(unsigned int)cp);
		} else {
			*error_r = lockout_error_fmt("invalid reason: holds a "
				"%s (U+%04X); give one line of visible text",
				cp <= 0x9f ? "control character" :
				cp == 0x2028 || cp == 0x2029 ?
				"line or paragraph separator" :
				"bidirectional formatting character",
				(unsigned int)cp);
		}
		return -1;
	}
	return 0;
}

static const struct {
	const char *name, *singular, *column;
} top_columns[] = {
	{ "users", "user", "user" },
	{ "ips", "ip", "ip" },
	{ "services", "service", "service" },
};

int lockout_top_column_parse(const char *str, const char **column_r,
			     const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];
	size_t i;

	for (i = 0; str != NULL &&
	     i < sizeof(top_columns) / sizeof(top_columns[0]); i++) {
		if (strcmp(str, top_columns[i].name) == 0 ||
		    strcmp(str, top_columns[i].singular) == 0) {
			*column_r = top_columns[i].column;
			return 0;
		}
	}
	if (str == NULL)
		quoted[0] = '\0';
	else
		lockout_error_quote(str, strlen(str), quoted, sizeof(quoted));
	*error_r = lockout_error_fmt("invalid ranking '%s' (expected users, "
				     "ips or services)", quoted);
	return -1;
}

int64_t lockout_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	/* Howard Hinnant's days_from_civil: no time zone, no libc extension */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
