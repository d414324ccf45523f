/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-import.h"
#include "lockout-args.h"
#include "lockout-error.h"
#include "lockout-utf8.h"

#include <stdlib.h>
#include <string.h>

/* The parser reads untrusted files (a list found on the web, a fail2ban
   export): every byte is checked, nothing is read past len, and every
   error names the problem with the input quoted. */

void lockout_import_line_init(struct lockout_import_line *line)
{
	memset(line, 0, sizeof(*line));
	lockout_str_init(&line->reason);
	lockout_str_init(&line->evidence);
}

void lockout_import_line_free(struct lockout_import_line *line)
{
	lockout_str_free(&line->reason);
	lockout_str_free(&line->evidence);
	memset(line, 0, sizeof(*line));
}

static void import_line_clear(struct lockout_import_line *line)
{
	struct lockout_str reason = line->reason, evidence = line->evidence;

	memset(line, 0, sizeof(*line));
	lockout_str_clear(&reason);
	lockout_str_clear(&evidence);
	line->reason = reason;
	line->evidence = evidence;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *quoted(const char *str, size_t len)
{
	static __thread char buf[LOCKOUT_QUOTE_BUF_SIZE];

	lockout_error_quote(str, len, buf, sizeof(buf));
	return buf;
}

static int digits(const char *p, unsigned int n, int *value_r)
{
	int value = 0;

	for (; n > 0; n--, p++) {
		if (*p < '0' || *p > '9')
			return -1;
		value = value * 10 + (*p - '0');
	}
	*value_r = value;
	return 0;
}

int lockout_import_time_parse(const char *str, size_t len, int64_t *secs_r)
{
	static const int mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int year, mon, day, hour, min, sec;
	bool leap;

	if (len != 20 || str[4] != '-' || str[7] != '-' || str[10] != 'T' ||
	    str[13] != ':' || str[16] != ':' || str[19] != 'Z' ||
	    digits(str, 4, &year) < 0 || digits(str + 5, 2, &mon) < 0 ||
	    digits(str + 8, 2, &day) < 0 || digits(str + 11, 2, &hour) < 0 ||
	    digits(str + 14, 2, &min) < 0 || digits(str + 17, 2, &sec) < 0)
		return -1;
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 ||
	    day > mdays[mon - 1] || hour > 23 || min > 59 || sec > 59)
		return -1;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (mon == 2 && day == 29 && !leap)
		return -1;
	*secs_r = lockout_days_from_civil(year, mon, day) * 86400 +
		hour * 3600 + min * 60 + sec;
	return *secs_r > 0 ? 0 : -1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int percent_decode(const char *p, size_t len, struct lockout_str *out)
{
	size_t i;
	int hi, lo;
	char c;

	for (i = 0; i < len; i++) {
		if (p[i] != '%') {
			lockout_str_append_n(out, p + i, 1);
			continue;
		}
		if (i + 2 >= len)
			return -1;
		hi = hexval(p[i + 1]);
		lo = hexval(p[i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		c = (char)(hi * 16 + lo);
		if (c == '\0')
			return -1;
		lockout_str_append_n(out, &c, 1);
		i += 2;
	}
	return 0;
}

static int import_field(struct lockout_import_line *line,
			const char *key, size_t key_len,
			const char *value, size_t value_len,
			const char **error_r)
{
	static const struct {
		const char *name;
		enum lockout_import_field bit;
	} fields[] = {
		{ "created", LOCKOUT_IMPORT_CREATED },
		{ "expires", LOCKOUT_IMPORT_EXPIRES },
		{ "source", LOCKOUT_IMPORT_SOURCE },
		{ "rule", LOCKOUT_IMPORT_RULE },
		{ "failures", LOCKOUT_IMPORT_FAILURES },
		{ "observed", LOCKOUT_IMPORT_OBSERVED },
		{ "evidence", LOCKOUT_IMPORT_EVIDENCE },
	};
	char buf[LOCKOUT_BAN_RULE_MAX + 1];
	enum lockout_import_field bit = 0;
	unsigned long long n;
	unsigned int i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strlen(fields[i].name) == key_len &&
		    memcmp(fields[i].name, key, key_len) == 0)
			bit = fields[i].bit;
	}
	if (bit == 0) {
		*error_r = lockout_error_fmt("unknown field '%s'",
					     quoted(key, key_len));
		return -1;
	}
	if ((line->have & bit) != 0) {
		*error_r = lockout_error_fmt("field '%s' given twice",
					     quoted(key, key_len));
		return -1;
	}
	if (line->type == LOCKOUT_IMPORT_ALLOW &&
	    bit != LOCKOUT_IMPORT_CREATED) {
		*error_r = lockout_error_fmt("an allow line takes only "
			"created=, not '%s'", quoted(key, key_len));
		return -1;
	}
	line->have |= bit;
	if (value_len < sizeof(buf)) {
		memcpy(buf, value, value_len);
		buf[value_len] = '\0';
	} else {
		buf[0] = '\0';
	}
	switch (bit) {
	case LOCKOUT_IMPORT_CREATED:
		if (lockout_import_time_parse(value, value_len,
					      &line->created) == 0)
			return 0;
		break;
	case LOCKOUT_IMPORT_EXPIRES:
		if (strcmp(buf, "permanent") == 0) {
			line->expires = 0;
			return 0;
		}
		if (lockout_import_time_parse(value, value_len,
					      &line->expires) == 0)
			return 0;
		break;
	case LOCKOUT_IMPORT_SOURCE:
		if (lockout_source_parse(buf, &line->source) == 0)
			return 0;
		break;
	case LOCKOUT_IMPORT_RULE:
		if (value_len > 0 && value_len <= LOCKOUT_BAN_RULE_MAX) {
			memcpy(line->rule, buf, value_len + 1);
			return 0;
		}
		break;
	case LOCKOUT_IMPORT_FAILURES:
		if (value_len == 0 || value_len > 10 ||
		    strspn(buf, "0123456789") != value_len)
			break;
		n = strtoull(buf, NULL, 10);
		if (n > UINT32_MAX)
			break;
		line->failures = (unsigned int)n;
		return 0;
	case LOCKOUT_IMPORT_OBSERVED:
		if (strcmp(buf, "yes") == 0 || strcmp(buf, "no") == 0) {
			line->observed = buf[0] == 'y';
			return 0;
		}
		break;
	case LOCKOUT_IMPORT_EVIDENCE:
		if (percent_decode(value, value_len, &line->evidence) == 0 &&
		    line->evidence.len <= LOCKOUT_BAN_EVIDENCE_MAX)
			return 0;
		break;
	default:
		break;
	}
	*error_r = lockout_error_fmt("invalid %s '%s'", quoted(key, key_len),
				     quoted(value, value_len));
	return -1;
}

static int import_reason(struct lockout_import_line *line,
			 const char *p, const char *end, const char **error_r)
{
	const char *reason;

	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	lockout_str_append_n(&line->reason, p, end - p);
	reason = lockout_str_c(&line->reason);
	if (reason == NULL) {
		*error_r = lockout_error_fmt("out of memory");
		return -1;
	}
	if (strlen(reason) != line->reason.len) {
		*error_r = lockout_error_fmt("invalid reason: holds a NUL "
					     "byte");
		return -1;
	}
	line->have |= LOCKOUT_IMPORT_REASON;
	return lockout_reason_check(reason, error_r);
}

static int import_parse(const char *line, size_t len,
			struct lockout_import_line *line_r,
			const char **error_r)
{
	const char *p = line, *end = line + len, *word, *eq;
	char target[LOCKOUT_TARGET_STRLEN];
	size_t word_len;

	if (len > LOCKOUT_IMPORT_LINE_MAX) {
		*error_r = lockout_error_fmt("line longer than %u bytes",
					     LOCKOUT_IMPORT_LINE_MAX);
		return -1;
	}
	if (len > 0 && end[-1] == '\r')
		end--;
	for (;;) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			break;
		if (*p == '#') {
			if (line_r->type == LOCKOUT_IMPORT_EMPTY)
				return 0;
			if (import_reason(line_r, p + 1, end, error_r) < 0)
				return -1;
			break;
		}
		word = p;
		while (p < end && !is_blank(*p))
			p++;
		word_len = p - word;
		if (memchr(word, '\0', word_len) != NULL) {
			*error_r = lockout_error_fmt("holds a NUL byte");
			return -1;
		}
		if (line_r->type == LOCKOUT_IMPORT_EMPTY && word_len == 5 &&
		    memcmp(word, "allow", 5) == 0) {
			line_r->type = LOCKOUT_IMPORT_ALLOW;
			continue;
		}
		if (line_r->target.str[0] == '\0') {
			if (word_len >= sizeof(target)) {
				*error_r = lockout_error_fmt("target longer "
					"than %u bytes '%s'",
					LOCKOUT_BAN_TARGET_MAX,
					quoted(word, word_len));
				return -1;
			}
			memcpy(target, word, word_len);
			target[word_len] = '\0';
			if ((line_r->type == LOCKOUT_IMPORT_ALLOW ?
			     lockout_target_parse_network(target,
							  &line_r->target,
							  error_r) :
			     lockout_target_parse(target, &line_r->target,
						  error_r)) < 0)
				return -1;
			if (line_r->type == LOCKOUT_IMPORT_EMPTY)
				line_r->type = LOCKOUT_IMPORT_BAN;
			continue;
		}
		eq = memchr(word, '=', word_len);
		if (eq == NULL) {
			*error_r = lockout_error_fmt("unexpected '%s' after the "
				"target (one target a line; fields are "
				"name=value, a reason follows '#')",
				quoted(word, word_len));
			return -1;
		}
		if (import_field(line_r, word, eq - word, eq + 1,
				 word + word_len - (eq + 1), error_r) < 0)
			return -1;
	}
	if (line_r->type == LOCKOUT_IMPORT_ALLOW &&
	    line_r->target.str[0] == '\0') {
		*error_r = lockout_error_fmt("missing network after 'allow'");
		return -1;
	}
	return 0;
}

int lockout_import_parse_line(const char *line, size_t len,
			      struct lockout_import_line *line_r,
			      const char **error_r)
{
	import_line_clear(line_r);
	if (import_parse(line, len, line_r, error_r) < 0) {
		import_line_clear(line_r);
		return -1;
	}
	if (line_r->type == LOCKOUT_IMPORT_BAN &&
	    (line_r->have & (LOCKOUT_IMPORT_CREATED |
			     LOCKOUT_IMPORT_EXPIRES)) ==
	    (LOCKOUT_IMPORT_CREATED | LOCKOUT_IMPORT_EXPIRES) &&
	    line_r->expires != 0 && line_r->expires <= line_r->created) {
		import_line_clear(line_r);
		*error_r = lockout_error_fmt("expires is not after created");
		return -1;
	}
	if ((line_r->reason.failed || line_r->evidence.failed)) {
		import_line_clear(line_r);
		*error_r = lockout_error_fmt("out of memory");
		return -1;
	}
	return 0;
}

static void export_time(struct lockout_str *out, const char *name,
			int64_t secs)
{
	char buf[LOCKOUT_TIME_STRLEN];

	lockout_time_format(secs, buf);
	lockout_str_printf(out, " %s=%s", name, buf);
}

/* A reason import would refuse (a control or bidi character, over 1,024
   bytes: only a hostile or broken row holds one) is written escaped as
   doveadm shows it, within the reason's length limit: a line break in it
   must never start a line of its own (an "allow" line, say) in the
   file. Everything import takes is written as it is (invalid UTF-8
   too: it breaks no line, and the round trip stays exact). Returns true
   when the reason was escaped. */
static bool export_reason(struct lockout_str *out, const char *reason)
{
	const char *error;
	bool escaped = false;

	lockout_str_append(out, " #");
	if (reason[0] != '\0') {
		lockout_str_append(out, " ");
		if (lockout_reason_check(reason, &error) == 0) {
			lockout_str_append(out, reason);
		} else {
			lockout_utf8_append_escaped(out, reason,
				LOCKOUT_BAN_REASON_MAX - 3, 0);
			escaped = true;
		}
	}
	lockout_str_append(out, "\n");
	return escaped;
}

bool lockout_export_ban_line(struct lockout_str *out,
			     const struct lockout_ban *ban)
{
	const unsigned char *p;

	lockout_str_append(out, ban->target);
	export_time(out, "created", ban->created);
	if (ban->expires == 0)
		lockout_str_append(out, " expires=permanent");
	else
		export_time(out, "expires", ban->expires);
	lockout_str_printf(out, " source=%s rule=%s failures=%u observed=%s",
			   lockout_source_to_str(ban->source), ban->rule,
			   ban->failures, ban->observed ? "yes" : "no");
	lockout_str_append(out, " evidence=");
	for (p = (const unsigned char *)(ban->evidence == NULL ? "{}" :
					 ban->evidence); *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f || *p == '%' || *p == '#')
			lockout_str_printf(out, "%%%02X", *p);
		else
			lockout_str_append_n(out, (const char *)p, 1);
	}
	return export_reason(out, ban->reason);
}

bool lockout_export_allowed_line(struct lockout_str *out,
				 const char *network, const char *reason,
				 int64_t created)
{
	lockout_str_append(out, "allow ");
	lockout_str_append(out, network);
	export_time(out, "created", created);
	return export_reason(out, reason);
}
