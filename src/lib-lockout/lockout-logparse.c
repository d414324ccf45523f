/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-logparse.h"
#include "lockout-hash.h"
#include "lockout-satable.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An attempt seen through a passdb line is held this long (log time) in
   case another passdb of the chain logs it too. */
#define PENDING_SECS 2
/* Held attempts at most; the oldest goes out when full. */
#define PENDING_MAX 256
/* A passdb line this close to the last one of the same request may
   continue its passdb chain. */
#define CHAIN_SECS 5
/* Passdb names remembered per request (to tell a chain from a retry). */
#define CHAIN_NAMES 4
/* Sessions: set-associative, least recently used evicted within a set.
   Login processes end a session within minutes (auth timeouts). */
#define SESSION_MAX (8192 * LOCKOUT_SATABLE_WAYS)
#define SESSION_TTL_SECS 900
/* Longest session id and passdb name taken. */
#define SESSION_ID_MAX 64
#define NAME_MAX_LEN 63
/* Slack when placing a date without a year before the reference. */
#define YEAR_SLACK_SECS (2 * 86400)

enum line_use {
	LINE_IGNORED,
	LINE_USED,
	LINE_UNUSABLE
};

/* What the previous passdb line of a request said about the chain. */
enum chain_state {
	/* nothing logged says: another passdb may follow */
	CHAIN_MAYBE,
	/* " - trying the next passdb" */
	CHAIN_OPEN,
	/* auth_verbose_passwords on and no such suffix: the last one */
	CHAIN_CLOSED
};

struct session {
	struct lockout_satable_head h;
	int64_t last_time;
	uint32_t user_hash;
	uint32_t names[CHAIN_NAMES];
	uint8_t name_count;
	uint8_t chain;
	/* keyed by a session id (not by user and address) */
	bool has_id;
	uint16_t attempts;
	/* held attempt: its slot + 1, 0 = none */
	uint32_t pending;
};

struct pending {
	bool used;
	uint64_t key;
	struct lockout_sim_attempt attempt;
};

struct log_ts {
	int year; /* 0 = none in the line */
	int mon, day, hour, min, sec;
	bool has_offset;
	int offset; /* seconds east of UTC */
};

struct log_clock {
	int64_t reference_naive;
	bool have_year;
	int year;
	int64_t last_naive;
	bool cache_valid;
	int64_t cache_hour, cache_offset;
};

struct lockout_logparse {
	unsigned char key[LOCKOUT_SIM_KEY_SIZE];
	lockout_logparse_callback_t *callback;
	void *context;
	int stopped;
	struct lockout_logparse_stats stats;
	struct log_clock clock;

	bool have_line_time, have_emit;
	int64_t last_line_time, last_emit_time;

	struct lockout_satable *sessions;

	struct pending pending[PENDING_MAX];
	unsigned int pending_head, pending_count;

	char line[LOCKOUT_LOG_LINE_MAX + 1];
};

/* --- small string helpers ------------------------------------------------- */

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

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

static void copy_n(char *dest, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dest, src, len);
	dest[len] = '\0';
}

/* The last occurrence of needle in s, or NULL. */
static const char *find_last(const char *s, const char *needle)
{
	const char *p, *last = NULL;

	for (p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
		last = p;
	return last;
}

/* --- timestamps ----------------------------------------------------------- */

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t ts_naive(const struct log_ts *ts, int year)
{
	return days_from_civil(year, ts->mon, ts->day) * 86400 +
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

/* Parse the timestamp at the start of s; returns what follows it (after
   the blanks), or NULL. */
static const char *parse_ts(const char *s, struct log_ts *ts)
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

static void clock_begin(struct log_clock *clock, int64_t reference)
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

/* ts as unix time, placing a date without a year next to the previous
   one (or before the reference for the first). */
static int64_t clock_resolve(struct log_clock *clock, const struct log_ts *ts)
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
	copy_n(buf, sizeof(buf), line, len);
	if (memchr(line, '\0', len < sizeof(buf) ? len : sizeof(buf) - 1) !=
	    NULL || parse_ts(buf, &ts) == NULL)
		return -1;
	clock_begin(&clock, reference);
	*time_r = clock_resolve(&clock, &ts);
	return 0;
}

/* --- keys ----------------------------------------------------------------- */

static uint64_t key_hash(const struct lockout_logparse *parser, char domain,
			 const char *data, size_t len,
			 const struct lockout_addr *ip)
{
	unsigned char buf[1 + LOCKOUT_SIM_USER_MAX + 1 + sizeof(*ip)];
	size_t n = 0;

	buf[n++] = (unsigned char)domain;
	if (len > LOCKOUT_SIM_USER_MAX)
		len = LOCKOUT_SIM_USER_MAX;
	memcpy(buf + n, data, len);
	n += len;
	buf[n++] = '\0';
	if (ip != NULL) {
		memcpy(buf + n, ip, sizeof(*ip));
		n += sizeof(*ip);
	}
	return lockout_hash(parser->key, buf, n);
}

static uint32_t name_hash(const struct lockout_logparse *parser,
			  const char *s, size_t len)
{
	return (uint32_t)lockout_hash(parser->key, s, len);
}

/* --- sessions ------------------------------------------------------------- */

static struct session *session_find(struct lockout_logparse *parser,
				    uint64_t key)
{
	return lockout_satable_find(parser->sessions, key);
}

/* key's session, or a new one (evicting the least recently used of its
   set); one older than SESSION_TTL_SECS starts over. */
static struct session *session_get(struct lockout_logparse *parser,
				   uint64_t key, int64_t now)
{
	struct session *s = session_find(parser, key);
	const struct session *victim;
	bool created;

	if (s != NULL && now - s->last_time > SESSION_TTL_SECS &&
	    s->pending == 0) {
		/* a stale session starts over */
		lockout_satable_remove(parser->sessions, s);
	} else if (s == NULL) {
		victim = lockout_satable_victim(parser->sessions, key);
		if (victim->h.key != 0 && victim->has_id &&
		    now - victim->last_time <= SESSION_TTL_SECS)
			parser->stats.sessions_evicted++;
	}
	s = lockout_satable_get(parser->sessions, key, &created, NULL);
	if (created)
		s->last_time = now;
	return s;
}

/* --- handing attempts out ------------------------------------------------- */

static int emit(struct lockout_logparse *parser, struct lockout_sim_attempt *a)
{
	int ret;

	if (parser->stopped != 0)
		return parser->stopped;
	/* held attempts go out a little late: keep time from going back */
	if (parser->have_emit && a->time < parser->last_emit_time)
		a->time = parser->last_emit_time;
	parser->have_emit = true;
	parser->last_emit_time = a->time;
	switch (a->result) {
	case LOCKOUT_SIM_OK:
		parser->stats.logins++;
		break;
	case LOCKOUT_SIM_MISMATCH:
	case LOCKOUT_SIM_UNKNOWN_USER:
		parser->stats.passdb_failures++;
		if (a->password_tag != 0)
			parser->stats.passwords++;
		break;
	case LOCKOUT_SIM_FAILED:
		parser->stats.disconnect_failures += a->count;
		break;
	case LOCKOUT_SIM_REFUSED:
		parser->stats.refusals++;
		break;
	}
	ret = parser->callback(a, parser->context);
	if (ret != 0)
		parser->stopped = ret;
	return ret;
}

/* Hand out the oldest held attempt (if its slot is still in use). */
static int pending_pop(struct lockout_logparse *parser)
{
	struct pending *slot = &parser->pending[parser->pending_head];
	struct session *s;
	int ret = 0;

	if (slot->used) {
		slot->used = false;
		s = session_find(parser, slot->key);
		if (s != NULL && s->pending == parser->pending_head + 1)
			s->pending = 0;
		ret = emit(parser, &slot->attempt);
	}
	parser->pending_head = (parser->pending_head + 1) % PENDING_MAX;
	parser->pending_count--;
	return ret;
}

/* Hand out held attempts older than now - PENDING_SECS (all when now is
   INT64_MAX), in order. */
static int pending_expire(struct lockout_logparse *parser, int64_t now)
{
	const struct pending *slot;
	int ret;

	while (parser->pending_count > 0) {
		slot = &parser->pending[parser->pending_head];
		if (slot->used && now != INT64_MAX &&
		    slot->attempt.time + PENDING_SECS >= now)
			break;
		if ((ret = pending_pop(parser)) != 0)
			return ret;
	}
	return 0;
}

/* Hand out the held attempt in slot (1-based) and all held before it. */
static int pending_through(struct lockout_logparse *parser, uint32_t slot)
{
	int ret;

	while (parser->pending_count > 0 &&
	       parser->pending[slot - 1].used) {
		if ((ret = pending_pop(parser)) != 0)
			return ret;
	}
	return 0;
}

/* Hold a for s (the oldest held attempt goes out when the queue is full).
   Returns 0, or the callback's non-zero return. */
static int pending_push(struct lockout_logparse *parser, struct session *s,
			const struct lockout_sim_attempt *a)
{
	struct pending *slot;
	unsigned int idx;
	int ret;

	/* popping changes no session but the popped one's pending mark:
	   s stays valid */
	if (parser->pending_count == PENDING_MAX &&
	    (ret = pending_pop(parser)) != 0)
		return ret;
	idx = (parser->pending_head + parser->pending_count) % PENDING_MAX;
	slot = &parser->pending[idx];
	slot->used = true;
	slot->key = s->h.key;
	slot->attempt = *a;
	parser->pending_count++;
	s->pending = idx + 1;
	return 0;
}

/* --- auth process lines --------------------------------------------------- */

struct auth_msg {
	enum lockout_sim_result result;
	/* " - trying the next passdb" */
	bool next;
	/* a userdb lookup, not an authentication */
	bool userdb;
	/* auth_verbose_passwords is on (the line says so) */
	bool verbose;
	const char *pw;
	size_t pw_len;
};

/* The end of a failure message: nothing, or (with
   auth_verbose_passwords) " (given password: X)", " (SHA1 of given
   password: X)" or " ", then maybe " - trying the next passdb". */
static bool parse_msg_tail(const char *rest, struct auth_msg *m)
{
	static const char *const pw_prefixes[] = {
		" (given password: ", " (SHA1 of given password: "
	};
	size_t len = strlen(rest), n;
	unsigned int i;

	if (ends(rest, len, " - trying the next passdb")) {
		len -= strlen(" - trying the next passdb");
		m->next = true;
		m->verbose = true;
	} else if (ends(rest, len, " - trying the next userdb")) {
		len -= strlen(" - trying the next userdb");
		m->userdb = true;
		m->verbose = true;
	}
	if (len == 0)
		return true;
	if (len == 1 && rest[0] == ' ') {
		/* verbose, but no password (a credentials mechanism) */
		m->verbose = true;
		return true;
	}
	for (i = 0; i < 2; i++) {
		n = strlen(pw_prefixes[i]);
		if (len > n && strncmp(rest, pw_prefixes[i], n) == 0 &&
		    rest[len - 1] == ')') {
			m->pw = rest + n;
			m->pw_len = len - n - 1;
			m->verbose = true;
			return true;
		}
	}
	return false;
}

static bool parse_auth_msg(const char *msg, struct auth_msg *m)
{
	const char *rest;

	memset(m, 0, sizeof(*m));
	if (starts(msg, "Password mismatch")) {
		m->result = LOCKOUT_SIM_MISMATCH;
		rest = msg + strlen("Password mismatch");
		if (starts(rest, " (for LDAP bind)"))
			rest += strlen(" (for LDAP bind)");
	} else if (starts(msg, "unknown user")) {
		m->result = LOCKOUT_SIM_UNKNOWN_USER;
		rest = msg + strlen("unknown user");
	} else if (starts(msg, "pam_authenticate() failed: ")) {
		rest = strstr(msg, " (Password mismatch?)");
		if (rest == NULL)
			return false;
		m->result = LOCKOUT_SIM_MISMATCH;
		rest += strlen(" (Password mismatch?)");
	} else {
		return false;
	}
	return parse_msg_tail(rest, m);
}

struct auth_ident {
	const char *user, *session;
	size_t user_len, session_len;
	struct lockout_addr ip;
};

/* "user,ip[,master][,<session>]": 1 with an address, 0 without one, -1
   with an invalid one. */
static int parse_ident(const char *s, size_t len, struct auth_ident *id)
{
	const char *comma;

	memset(id, 0, sizeof(*id));
	if (len > 0 && s[len - 1] == '>') {
		for (comma = s + len - 1; comma > s && *comma != ','; comma--) ;
		if (comma > s && comma[1] == '<' &&
		    (size_t)(s + len - 1 - (comma + 2)) <= SESSION_ID_MAX &&
		    memchr(comma + 2, '>', (size_t)(s + len - 1 - (comma + 2)))
		    == NULL) {
			id->session = comma + 2;
			id->session_len = (size_t)(s + len - 1 - id->session);
			len = (size_t)(comma - s);
		}
	}
	if (ends(s, len, ",master"))
		len -= strlen(",master");
	for (comma = s + len; comma > s && comma[-1] != ','; comma--) ;
	if (comma == s)
		return 0;
	if (lockout_addr_parse_n(comma, (size_t)(s + len - comma),
				 &id->ip) < 0)
		return -1;
	id->user = s;
	id->user_len = (size_t)(comma - 1 - s);
	if (id->user_len == 1 && s[0] == '?')
		id->user_len = 0; /* Dovecot's "no username" */
	return 1;
}

static void attempt_init(struct lockout_sim_attempt *a, int64_t time,
			 const struct lockout_addr *ip, const char *user,
			 size_t user_len, enum lockout_sim_result result)
{
	memset(a, 0, sizeof(*a));
	a->time = time;
	a->ip = *ip;
	a->result = result;
	a->count = 1;
	copy_n(a->user, sizeof(a->user), user, user_len);
}

/* A passdb (or mechanism) failure line of the auth process. */
static enum line_use auth_failure(struct lockout_logparse *parser,
				  const char *name, size_t name_len,
				  const struct auth_ident *id,
				  const struct auth_msg *m, int64_t now)
{
	struct lockout_sim_attempt a;
	struct session *s;
	uint64_t key;
	uint32_t nhash = name_hash(parser, name, name_len);
	uint32_t uhash = name_hash(parser, id->user, id->user_len);
	uint32_t tag = m->pw == NULL ? 0 :
		lockout_password_tag(parser->key, m->pw, m->pw_len);
	enum chain_state state = m->next ? CHAIN_OPEN :
		m->verbose ? CHAIN_CLOSED : CHAIN_MAYBE;
	bool seen = false;
	unsigned int i;

	if (m->userdb)
		return LINE_IGNORED;
	key = id->session != NULL ?
		key_hash(parser, 's', id->session, id->session_len, NULL) :
		key_hash(parser, 'u', id->user, id->user_len, &id->ip);
	s = session_get(parser, key, now);
	for (i = 0; i < s->name_count; i++) {
		if (s->names[i] == nhash)
			seen = true;
	}
	if (s->name_count > 0 && s->user_hash == uhash &&
	    now - s->last_time <= CHAIN_SECS &&
	    (s->chain == CHAIN_OPEN ||
	     (s->chain == CHAIN_MAYBE && !seen))) {
		/* the next passdb of the same request */
		parser->stats.chained++;
		if (s->name_count < CHAIN_NAMES)
			s->names[s->name_count++] = nhash;
		s->last_time = now;
		s->chain = (uint8_t)state;
		if (s->pending != 0) {
			struct lockout_sim_attempt *held =
				&parser->pending[s->pending - 1].attempt;

			/* the user exists if any passdb knew it */
			if (m->result == LOCKOUT_SIM_MISMATCH)
				held->result = LOCKOUT_SIM_MISMATCH;
			if (held->password_tag == 0)
				held->password_tag = tag;
			if (state == CHAIN_CLOSED)
				(void)pending_through(parser, s->pending);
		}
		return LINE_USED;
	}

	/* a new attempt: what this request held goes first */
	if (s->pending != 0) {
		(void)pending_through(parser, s->pending);
		s = session_get(parser, key, now);
	}
	s->has_id = id->session != NULL;
	s->names[0] = nhash;
	s->name_count = 1;
	s->user_hash = uhash;
	s->last_time = now;
	s->chain = (uint8_t)state;
	if (s->attempts < UINT16_MAX)
		s->attempts++;
	attempt_init(&a, now, &id->ip, id->user, id->user_len, m->result);
	a.password_tag = tag;
	if (state == CHAIN_CLOSED) {
		/* no other passdb will log it: out now, in order */
		(void)pending_expire(parser, INT64_MAX);
		(void)emit(parser, &a);
	} else {
		(void)pending_push(parser, s, &a);
	}
	return LINE_USED;
}

/* "NAME(user,ip,<session>): message" of the auth process. */
static enum line_use auth_line(struct lockout_logparse *parser,
			       const char *msg, int64_t now)
{
	struct auth_ident id, found_id;
	struct auth_msg m, found_msg;
	const char *open, *close;
	size_t name_len;
	unsigned int valid = 0;
	bool bad_address = false;
	int ret;

	memset(&found_id, 0, sizeof(found_id));
	memset(&found_msg, 0, sizeof(found_msg));
	name_len = strspn(msg, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
	if (name_len == 0 || name_len > NAME_MAX_LEN || msg[name_len] != '(')
		return LINE_IGNORED;
	open = msg + name_len + 1;
	/* the username and a logged password may hold "): " too: the line
	   counts only when exactly one reading of it is valid */
	for (close = strstr(open, "): "); close != NULL;
	     close = strstr(close + 1, "): ")) {
		if (!parse_auth_msg(close + 3, &m))
			continue;
		ret = parse_ident(open, (size_t)(close - open), &id);
		if (ret < 0)
			bad_address = true;
		if (ret <= 0)
			continue;
		if (valid++ == 0) {
			found_id = id;
			found_msg = m;
		}
	}
	if (valid == 0)
		return bad_address ? LINE_UNUSABLE : LINE_IGNORED;
	if (valid > 1)
		return LINE_UNUSABLE;
	return auth_failure(parser, msg, name_len, &found_id, &found_msg, now);
}

/* --- login process lines -------------------------------------------------- */

struct login_fields {
	const char *user, *method, *session;
	size_t user_len, method_len, session_len;
	bool have_ip;
	struct lockout_addr ip;
};

/* Find "key=" at the start of rest or after a blank. */
static const char *find_field(const char *rest, const char *key)
{
	const char *p;

	for (p = strstr(rest, key); p != NULL; p = strstr(p + 1, key)) {
		if (p == rest || p[-1] == ' ')
			return p + strlen(key);
	}
	return NULL;
}

/* "user=<u>, method=M, rip=IP, lip=IP, mpid=N, TLS, session=<S>" (the
   elements of login_log_format_elements). Returns -1 for an invalid
   address. */
static int parse_login_fields(const char *f, struct login_fields *r)
{
	const char *u, *end, *rest = f, *v;

	memset(r, 0, sizeof(*r));
	u = find_field(f, "user=<");
	if (u != NULL) {
		/* the username may hold anything: it ends at the last
		   element that follows it */
		end = find_last(u, ">, method=");
		if (end == NULL)
			end = find_last(u, ">, rip=");
		if (end == NULL)
			end = strchr(u, '>');
		if (end == NULL)
			return -1;
		r->user = u;
		r->user_len = (size_t)(end - u);
		rest = end + 1;
	}
	v = find_field(rest, "method=");
	if (v != NULL) {
		r->method = v;
		r->method_len = strcspn(v, ",");
	}
	v = find_field(rest, "session=<");
	if (v != NULL && strchr(v, '>') != NULL) {
		r->session = v;
		r->session_len = (size_t)(strchr(v, '>') - v);
		if (r->session_len > SESSION_ID_MAX)
			r->session = NULL;
	}
	v = find_field(rest, "rip=");
	if (v != NULL) {
		if (lockout_addr_parse_n(v, strcspn(v, ","), &r->ip) < 0)
			return -1;
		r->have_ip = true;
	}
	return 0;
}

enum login_kind {
	LOGIN_SUCCESS,
	LOGIN_FAILED,
	LOGIN_REFUSED
};

/* "Login: ..." or "Disconnected...(auth failed, N attempts in S secs): ..."
   of imap-login, pop3-login, submission-login, managesieve-login. */
static enum line_use login_line(struct lockout_logparse *parser,
				const char *service, size_t service_len,
				const char *msg, int64_t now)
{
	struct lockout_sim_attempt a;
	struct login_fields f;
	struct session *s = NULL;
	const char *close, *open, *fields;
	enum login_kind kind;
	unsigned long attempts = 1;
	unsigned int seen = 0;
	char *endp;

	if (starts(msg, "Login: ")) {
		kind = LOGIN_SUCCESS;
		fields = msg + strlen("Login: ");
	} else {
		/* the reason Dovecot adds comes before the first "): ",
		   the elements (with the username) after it */
		close = strstr(msg, "): ");
		if (close == NULL)
			return LINE_IGNORED;
		for (open = close; open > msg && *open != '('; open--) ;
		if (starts(open, "(auth failed, ")) {
			attempts = strtoul(open + strlen("(auth failed, "),
					   &endp, 10);
			if (!starts(endp, " attempts in ") || attempts == 0)
				return LINE_UNUSABLE;
			kind = LOGIN_FAILED;
		} else if (starts(open, "(user disabled)")) {
			kind = LOGIN_REFUSED;
		} else {
			return LINE_IGNORED;
		}
		fields = close + 3;
	}
	if (parse_login_fields(fields, &f) < 0)
		return LINE_UNUSABLE;
	if (!f.have_ip)
		return LINE_IGNORED;

	/* everything held was logged before this line */
	if (f.session != NULL) {
		s = session_find(parser, key_hash(parser, 's', f.session,
						  f.session_len, NULL));
	}
	if (s != NULL && s->pending != 0) {
		/* its passdb failures get the service now known */
		struct lockout_sim_attempt *held =
			&parser->pending[s->pending - 1].attempt;

		copy_n(held->service, sizeof(held->service), service,
		       service_len);
		if (f.method != NULL)
			copy_n(held->mechanism, sizeof(held->mechanism),
			       f.method, f.method_len);
	}
	(void)pending_expire(parser, INT64_MAX);
	if (s != NULL) {
		seen = s->attempts;
		memset(s, 0, sizeof(*s));
	}

	attempt_init(&a, now, &f.ip, f.user == NULL ? "" : f.user,
		     f.user_len, LOCKOUT_SIM_OK);
	copy_n(a.service, sizeof(a.service), service, service_len);
	if (f.method != NULL)
		copy_n(a.mechanism, sizeof(a.mechanism), f.method,
		       f.method_len);
	switch (kind) {
	case LOGIN_SUCCESS:
		break;
	case LOGIN_FAILED:
		/* the passdb lines of this session told of some already */
		if (attempts <= seen)
			return LINE_USED;
		attempts -= seen;
		a.result = LOCKOUT_SIM_FAILED;
		a.count = attempts > LOCKOUT_SIM_COUNT_MAX ?
			LOCKOUT_SIM_COUNT_MAX : (unsigned int)attempts;
		break;
	case LOGIN_REFUSED:
		/* refused before any passdb ran (a lockout passdb there);
		   after passdb lines it was a passdb of the chain that
		   answered "disabled" to an attempt already counted */
		if (seen > 0)
			return LINE_USED;
		a.result = LOCKOUT_SIM_REFUSED;
		break;
	}
	(void)emit(parser, &a);
	return LINE_USED;
}

/* --- lines ---------------------------------------------------------------- */

/* The length of "dovecot:" or "dovecot[123]:" at p, or 0. */
static size_t dovecot_tag(const char *p)
{
	size_t n = strlen("dovecot");

	if (strncmp(p, "dovecot", n) != 0)
		return 0;
	if (p[n] == '[') {
		n++;
		while (is_digit(p[n]))
			n++;
		if (p[n] != ']')
			return 0;
		n++;
	}
	return p[n] == ':' && p[n + 1] == ' ' ? n + 2 : 0;
}

static enum line_use parse_message(struct lockout_logparse *parser,
				   const char *p, int64_t now)
{
	static const char *const levels[] = {
		"Debug: ", "Warning: ", "Error: ", "Fatal: ", "Panic: "
	};
	const char *proc, *msg;
	size_t n, proc_len;
	unsigned int i;

	/* syslog: "host dovecot: ...", "host dovecot[123]: ...", or without
	   the host; log_path: the process right away */
	n = dovecot_tag(p);
	if (n == 0) {
		proc_len = strcspn(p, " ");
		if (proc_len > 0 && p[proc_len - 1] != ':' &&
		    p[proc_len] == ' ') {
			n = dovecot_tag(p + proc_len + 1);
			if (n == 0)
				return LINE_IGNORED; /* another program */
			n += proc_len + 1;
		}
	}
	proc = p + n;
	proc_len = strcspn(proc, " ");
	if (proc_len < 2 || proc[proc_len - 1] != ':' || proc[proc_len] != ' ')
		return LINE_IGNORED;
	proc_len--;
	msg = proc + proc_len + 2;
	if (starts(msg, "Info: "))
		msg += strlen("Info: ");
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (starts(msg, levels[i]))
			return LINE_IGNORED;
	}

	if (proc_len == 4 && strncmp(proc, "auth", 4) == 0)
		return auth_line(parser, msg, now);
	if (starts(proc, "auth-worker(") && proc[proc_len - 1] == ')') {
		/* "conn unix:auth-worker (pid=1,uid=2): auth-worker<3>: " */
		if (starts(msg, "conn ")) {
			msg = strstr(msg, ": auth-worker<");
			if (msg == NULL)
				return LINE_IGNORED;
			msg = strstr(msg, ">: ");
			if (msg == NULL)
				return LINE_IGNORED;
			msg += 3;
		}
		return auth_line(parser, msg, now);
	}
	n = strlen("-login");
	if (proc_len > n && proc_len - n <= LOCKOUT_SIM_SERVICE_MAX &&
	    strncmp(proc + proc_len - n, "-login", n) == 0 &&
	    strspn(proc, "abcdefghijklmnopqrstuvwxyz0123456789") ==
	    proc_len - n)
		return login_line(parser, proc, proc_len - n, msg, now);
	return LINE_IGNORED;
}

int lockout_logparse_line(struct lockout_logparse *parser, const char *line,
			  size_t len)
{
	struct lockout_logparse_stats *st = &parser->stats;
	struct log_ts ts;
	const char *rest;
	enum line_use use;
	int64_t now;

	if (parser->stopped != 0)
		return parser->stopped;
	st->lines++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		st->ignored++;
		return 0;
	}
	if (len > LOCKOUT_LOG_LINE_MAX || memchr(line, '\0', len) != NULL) {
		st->unusable++;
		return 0;
	}
	memcpy(parser->line, line, len);
	parser->line[len] = '\0';
	rest = parse_ts(parser->line, &ts);
	if (rest == NULL) {
		st->unusable++;
		st->no_timestamp++;
		return 0;
	}
	now = clock_resolve(&parser->clock, &ts);
	if (parser->have_line_time && now < parser->last_line_time)
		st->backwards++;
	parser->have_line_time = true;
	parser->last_line_time = now;

	(void)pending_expire(parser, now);
	use = parse_message(parser, rest, now);
	if (use == LINE_USED)
		st->used++;
	else if (use == LINE_IGNORED)
		st->ignored++;
	else
		st->unusable++;
	/* a logged password must not stay in memory */
	sodium_memzero(parser->line, len);
	return parser->stopped;
}

int lockout_logparse_finish(struct lockout_logparse *parser)
{
	if (parser->stopped != 0)
		return parser->stopped;
	(void)pending_expire(parser, INT64_MAX);
	return parser->stopped;
}

struct lockout_logparse *
lockout_logparse_create(const unsigned char key[LOCKOUT_SIM_KEY_SIZE],
			lockout_logparse_callback_t *callback, void *context)
{
	struct lockout_logparse *parser;

	parser = calloc(1, sizeof(*parser));
	if (parser == NULL)
		return NULL;
	parser->sessions = lockout_satable_create(SESSION_MAX,
						  sizeof(struct session));
	if (parser->sessions == NULL) {
		free(parser);
		return NULL;
	}
	memcpy(parser->key, key, sizeof(parser->key));
	parser->callback = callback;
	parser->context = context;
	clock_begin(&parser->clock, (int64_t)time(NULL));
	return parser;
}

void lockout_logparse_free(struct lockout_logparse **_parser)
{
	struct lockout_logparse *parser = *_parser;

	if (parser == NULL)
		return;
	*_parser = NULL;
	lockout_satable_free(&parser->sessions);
	/* held attempts may carry password tags; the key is secret */
	sodium_memzero(parser, sizeof(*parser));
	free(parser);
}

void lockout_logparse_begin(struct lockout_logparse *parser,
			    int64_t reference)
{
	clock_begin(&parser->clock, reference);
}

const struct lockout_logparse_stats *
lockout_logparse_stats(const struct lockout_logparse *parser)
{
	return &parser->stats;
}
