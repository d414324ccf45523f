/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-args.h"
#include "lockout-logparse.h"
#include "lockout-logline.h"

#include <string.h>
#include <time.h>

/* Slack when placing a date without a year before the reference. */
#define YEAR_SLACK_SECS (2 * 86400)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Read exactly n digits at *p. */
static bool digits(const char **p, unsigned int n, int *value_r)
{
	int v = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*value_r = v;
	return true;
}

/* --- timestamps ----------------------------------------------------------- */

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

static int64_t ts_naive(const struct log_ts *ts, int year)
{
	return lockout_days_from_civil(year, ts->mon, ts->day) * 86400 +
		ts->hour * 3600 + ts->min * 60 + ts->sec;
}

static bool parse_clock_time(const char **p, struct log_ts *ts)
{
	if (!digits(p, 2, &ts->hour) || *(*p)++ != ':' ||
	    !digits(p, 2, &ts->min) || *(*p)++ != ':' ||
	    !digits(p, 2, &ts->sec))
		return false;
	if (**p == '.' || **p == ',') {
		(*p)++;
		if (!is_digit(**p))
			return false;
		while (is_digit(**p))
			(*p)++;
	}
	return ts->hour <= 23 && ts->min <= 59 && ts->sec <= 60;
}

/* "Nov 28 03:04:43", "Nov  8 03:04:43" (syslog) or "Nov 08 ..."
   (Dovecot's log_timestamp). */
static bool parse_ts_bsd(const char **p, struct log_ts *ts)
{
	const char *m;
	int day = 0;

	if ((*p)[0] == '\0' || (*p)[1] == '\0' || (*p)[2] == '\0')
		return false;
	for (m = months; *m != '\0'; m += 3) {
		if (strncmp(*p, m, 3) == 0)
			break;
	}
	if (*m == '\0' || (*p)[3] != ' ')
		return false;
	ts->mon = (int)((m - months) / 3) + 1;
	*p += 4;
	if (**p == ' ')
		(*p)++;
	if (!is_digit(**p))
		return false;
	day = *(*p)++ - '0';
	if (is_digit(**p))
		day = day * 10 + (*(*p)++ - '0');
	if (day < 1 || day > 31 || *(*p)++ != ' ')
		return false;
	ts->day = day;
	ts->year = 0;
	return parse_clock_time(p, ts);
}

/* "2025-11-28T03:04:43[.frac][Z|+01:00|+0100]" or "2025-11-28 03:04:43". */
static bool parse_ts_iso(const char **p, struct log_ts *ts)
{
	int oh, om, sign;

	if (!digits(p, 4, &ts->year) || *(*p)++ != '-' ||
	    !digits(p, 2, &ts->mon) || *(*p)++ != '-' ||
	    !digits(p, 2, &ts->day) || (**p != 'T' && **p != ' '))
		return false;
	(*p)++;
	if (ts->year < 1970 || ts->mon < 1 || ts->mon > 12 || ts->day < 1 ||
	    ts->day > 31 || !parse_clock_time(p, ts))
		return false;
	if (**p == 'Z') {
		(*p)++;
		ts->has_offset = true;
	} else if (**p == '+' || **p == '-') {
		sign = **p == '-' ? -1 : 1;
		(*p)++;
		if (!digits(p, 2, &oh))
			return false;
		if (**p == ':')
			(*p)++;
		if (!digits(p, 2, &om) || oh > 23 || om > 59)
			return false;
		ts->has_offset = true;
		ts->offset = sign * (oh * 3600 + om * 60);
	}
	return true;
}

const char *log_ts_parse(const char *s, struct log_ts *ts)
{
	const char *p = s;

	memset(ts, 0, sizeof(*ts));
	if (!(is_digit(*p) ? parse_ts_iso(&p, ts) : parse_ts_bsd(&p, ts)))
		return NULL;
	if (*p != ' ')
		return NULL;
	while (*p == ' ')
		p++;
	return p;
}

void log_clock_begin(struct log_clock *clock, int64_t reference)
{
	time_t t = (time_t)reference;
	struct tm tm;
	struct log_ts ts;

	memset(clock, 0, sizeof(*clock));
	memset(&ts, 0, sizeof(ts));
	if (localtime_r(&t, &tm) == NULL) {
		clock->reference_naive = reference;
		return;
	}
	ts.mon = tm.tm_mon + 1;
	ts.day = tm.tm_mday;
	ts.hour = tm.tm_hour;
	ts.min = tm.tm_min;
	ts.sec = tm.tm_sec;
	clock->reference_naive = ts_naive(&ts, tm.tm_year + 1900);
}

static int naive_year(int64_t naive)
{
	time_t t = (time_t)naive;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return 1970;
	return tm.tm_year + 1900;
}

/* Local wall-clock time naive (of ts in year) as unix time. The offset is
   asked of mktime() once per hour of the log. */
static int64_t clock_local(struct log_clock *clock, const struct log_ts *ts,
			   int year, int64_t naive)
{
	int64_t hour = naive - naive % 3600;
	struct tm tm;
	time_t t;

	if (!clock->cache_valid || clock->cache_hour != hour) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = year - 1900;
		tm.tm_mon = ts->mon - 1;
		tm.tm_mday = ts->day;
		tm.tm_hour = ts->hour;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		clock->cache_offset = t == (time_t)-1 ? 0 : hour - (int64_t)t;
		clock->cache_hour = hour;
		clock->cache_valid = true;
	}
	return naive - clock->cache_offset;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

int64_t log_clock_resolve(struct log_clock *clock, const struct log_ts *ts)
{
	int64_t naive, best, candidate;
	int year, y;

	if (ts->year != 0) {
		year = ts->year;
		naive = ts_naive(ts, year);
	} else if (!clock->have_year) {
		year = naive_year(clock->reference_naive);
		naive = ts_naive(ts, year);
		if (naive > clock->reference_naive + YEAR_SLACK_SECS) {
			year--;
			naive = ts_naive(ts, year);
		}
	} else {
		/* the year that keeps it closest to the line before: a new
		   year after December, a late December line after January */
		year = clock->year;
		best = ts_naive(ts, year);
		for (y = clock->year - 1; y <= clock->year + 1; y += 2) {
			candidate = ts_naive(ts, y);
			if (abs64(candidate - clock->last_naive) <
			    abs64(best - clock->last_naive)) {
				best = candidate;
				year = y;
			}
		}
		naive = best;
	}
	clock->have_year = true;
	clock->year = year;
	clock->last_naive = naive;
	if (ts->has_offset)
		return naive - ts->offset;
	return clock_local(clock, ts, year, naive);
}

int lockout_log_line_time(const char *line, size_t len, int64_t reference,
			  int64_t *time_r)
{
	struct log_clock clock;
	struct log_ts ts;
	char buf[64];

	/* a timestamp is short: look at the start only */
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (memchr(line, '\0', len < sizeof(buf) ? len : sizeof(buf) - 1) !=
	    NULL || log_ts_parse(buf, &ts) == NULL)
		return -1;
	log_clock_begin(&clock, reference);
	*time_r = log_clock_resolve(&clock, &ts);
	return 0;
}
