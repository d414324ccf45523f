/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The values of the settings: Dovecot's interval syntax, numbers, names,
   word, network and port lists. */
#include "lockout-config-private.h"
#include "lockout-addr.h"
#include "lockout-error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INTERVAL_EXPECTED "expected e.g. \"10 mins\", \"1 hour\", \"7 days\""

static const char list_separators[] = " \t,";

static const struct {
	const char *name;
	uint32_t secs;
} interval_units[] = {
	{ "s", 1 }, { "sec", 1 }, { "secs", 1 },
	{ "second", 1 }, { "seconds", 1 },
	{ "m", 60 }, { "min", 60 }, { "mins", 60 },
	{ "minute", 60 }, { "minutes", 60 },
	{ "h", 3600 }, { "hour", 3600 }, { "hours", 3600 },
	{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
	{ "w", 604800 }, { "week", 604800 }, { "weeks", 604800 },
};

void lockout_setting_quote(const char *str, char *buf, size_t size)
{
	lockout_error_quote(str, strnlen(str, LOCKOUT_QUOTE_MAX_INPUT + 1),
			    buf, size);
}

static char ascii_tolower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool lockout_ascii_equals_icase_n(const char *a, size_t len, const char *b)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (b[i] == '\0' || ascii_tolower(a[i]) != ascii_tolower(b[i]))
			return false;
	}
	return b[len] == '\0';
}

static bool has_control_char(const char *str)
{
	for (; *str != '\0'; str++) {
		if ((unsigned char)*str < 0x20 || *str == 0x7f)
			return true;
	}
	return false;
}

/* RFC 5322 atext: what an unquoted word of a mail header may hold. */
static bool is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') ||
		(c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* local@domain of len bytes: a dot-atom local part, a domain of letters,
   digits and hyphens in dot-separated labels; at most 254 bytes. */
static bool is_addr_spec(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);
	size_t i, local_len;
	bool dot = true;

	if (at == NULL || len > 254)
		return false;
	local_len = (size_t)(at - s);
	/* the local part: no leading, trailing or double dot */
	for (i = 0; i < local_len; i++) {
		if (s[i] == '.') {
			if (dot)
				return false;
			dot = true;
		} else if (is_atext(s[i])) {
			dot = false;
		} else {
			return false;
		}
	}
	if (local_len == 0 || dot)
		return false;
	/* the domain, the same way over letters, digits and '-' */
	dot = true;
	for (i = local_len + 1; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (dot)
				return false;
			dot = true;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-') {
			dot = false;
		} else {
			return false;
		}
	}
	return !dot;
}

/* "local@domain" or "Display Name <local@domain>", the name of atext,
   spaces and dots only (nothing that would need quoting in a header). */
static bool is_mailbox(const char *value)
{
	const char *lt = strchr(value, '<');
	size_t len = strlen(value);
	const char *p;

	if (lt == NULL)
		return is_addr_spec(value, len);
	if (len < 2 || value[len - 1] != '>')
		return false;
	for (p = value; p < lt; p++) {
		if (!is_atext(*p) && *p != ' ' && *p != '.')
			return false;
	}
	return is_addr_spec(lt + 1, (size_t)(value + len - 1 - (lt + 1)));
}

/* Parse a decimal number without sign; false when it is not one or does not
   fit in uint32_t. */
static bool parse_uint32(const char *str, const char **end_r, uint32_t *num_r)
{
	uint64_t num = 0;
	const char *p = str;

	for (; *p >= '0' && *p <= '9'; p++) {
		num = num * 10 + (uint64_t)(*p - '0');
		if (num > UINT32_MAX)
			return false;
	}
	if (p == str)
		return false;
	*end_r = p;
	*num_r = (uint32_t)num;
	return true;
}

int lockout_interval_parse(const char *str, bool allow_permanent,
			   uint32_t *secs_r, const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];
	const char *p;
	uint32_t num;
	uint64_t secs;
	size_t i, unit_len;

	lockout_setting_quote(str, quoted, sizeof(quoted));
	if (lockout_ascii_equals_icase_n(str, strlen(str), "permanent")) {
		if (!allow_permanent) {
			*error_r = lockout_error_fmt(
				"invalid interval '%s' (not allowed here, "
				INTERVAL_EXPECTED ")", quoted);
			return -1;
		}
		*secs_r = LOCKOUT_TIME_PERMANENT;
		return 0;
	}
	if (!parse_uint32(str, &p, &num)) {
		if (*str >= '0' && *str <= '9') {
			*error_r = lockout_error_fmt(
				"invalid interval '%s' (too large)", quoted);
			return -1;
		}
		goto invalid;
	}
	if (*p == ' ') {
		while (*p == ' ')
			p++;
		/* "10 " is not an interval: a space must lead to a unit */
		if (*p == '\0')
			goto invalid;
	}
	unit_len = strlen(p);
	secs = num;
	if (unit_len > 0) {
		for (i = 0; i < sizeof(interval_units) /
			     sizeof(interval_units[0]); i++) {
			if (lockout_ascii_equals_icase_n(p, unit_len,
						 interval_units[i].name))
				break;
		}
		if (i == sizeof(interval_units) / sizeof(interval_units[0]))
			goto invalid;
		secs *= interval_units[i].secs;
	}
	if (secs > LOCKOUT_TIME_PERMANENT - 1) {
		*error_r = lockout_error_fmt(
			"invalid interval '%s' (too large)", quoted);
		return -1;
	}
	*secs_r = (uint32_t)secs;
	return 0;

invalid:
	*error_r = lockout_error_fmt(
		"invalid interval '%s' (" INTERVAL_EXPECTED "%s)", quoted,
		allow_permanent ? " or \"permanent\"" : "");
	return -1;
}

void lockout_interval_to_str(uint32_t secs, char *buf, size_t size)
{
	static const struct {
		uint32_t secs;
		const char *one, *many;
	} units[] = {
		{ 86400, "day", "days" },
		{ 3600, "hour", "hours" },
		{ 60, "min", "mins" },
		{ 1, "sec", "secs" },
	};
	size_t i;

	if (secs == LOCKOUT_TIME_PERMANENT) {
		snprintf(buf, size, "permanent");
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]) - 1; i++) {
		if (secs != 0 && secs % units[i].secs == 0)
			break;
	}
	secs /= units[i].secs;
	snprintf(buf, size, "%u %s", (unsigned int)secs,
		 secs == 1 ? units[i].one : units[i].many);
}

/* The per-type parsers: each reads value into *value_r, or fails with
   *error_r describing the problem without the setting name. */

static int parse_str(const struct setting_def *def, const char *value,
		     union setting_value *value_r, const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE], shown[LOCKOUT_DB_DISPLAY_SIZE];
	const char *problem = NULL;

	if (has_control_char(value))
		problem = "must not contain control characters";
	else if ((def->flags & SET_FLAG_ABS_PATH) != 0 && value[0] != '/' &&
		 !(value[0] == '\0' &&
		   (def->flags & SET_FLAG_EMPTY_IS_VALUE) != 0))
		problem = "must start with an absolute path";
	else if ((def->flags & SET_FLAG_DB) != 0 && value[0] != '/' &&
		 !lockout_db_is_conninfo(value))
		problem = "must start with an absolute path, or be a libpq "
			"connection string for lockout_db_driver = pgsql";
	else if ((def->flags & SET_FLAG_MAILBOX) != 0 && value[0] != '\0' &&
		 !is_mailbox(value))
		problem = "must be an address, local@domain, or "
			"Display Name <local@domain>, in ASCII";
	else if (value[0] == '\0' &&
		 (def->flags & SET_FLAG_EMPTY_IS_VALUE) == 0)
		problem = "must not be empty";
	if (problem != NULL) {
		/* a connection string as it may be shown: a password in it
		   (next to the control character, say) is never printed */
		if ((def->flags & SET_FLAG_DB) != 0) {
			lockout_setting_quote(lockout_db_display(value, shown,
				sizeof(shown)), quoted, sizeof(quoted));
		} else {
			lockout_setting_quote(value, quoted, sizeof(quoted));
		}
		*error_r = lockout_error_fmt("invalid value '%s' (%s)",
					     quoted, problem);
		return -1;
	}
	value_r->str = strdup(value);
	if (value_r->str == NULL) {
		*error_r = lockout_error_fmt("out of memory");
		return -1;
	}
	return 0;
}

static int parse_enum(const struct setting_def *def, const char *value,
		      union setting_value *value_r, const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE], expected[128] = "";
	unsigned int i;

	for (i = 0; def->enum_values[i] != NULL; i++) {
		if (strcmp(value, def->enum_values[i]) == 0) {
			value_r->uint = i;
			return 0;
		}
	}
	for (i = 0; def->enum_values[i] != NULL; i++) {
		if (i > 0)
			strncat(expected, "|",
				sizeof(expected) - strlen(expected) - 1);
		strncat(expected, def->enum_values[i],
			sizeof(expected) - strlen(expected) - 1);
	}
	lockout_setting_quote(value, quoted, sizeof(quoted));
	*error_r = lockout_error_fmt("invalid value '%s' (expected %s)",
				     quoted, expected);
	return -1;
}

static int parse_uint(const struct setting_def *def, const char *value,
		      union setting_value *value_r, const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];
	const char *end;
	uint32_t num;

	if (!parse_uint32(value, &end, &num) || *end != '\0' ||
	    num < def->min || num > def->max) {
		lockout_setting_quote(value, quoted, sizeof(quoted));
		*error_r = lockout_error_fmt(
			"invalid number '%s' (expected %u..%u)", quoted,
			(unsigned int)def->min, (unsigned int)def->max);
		return -1;
	}
	value_r->uint = num;
	return 0;
}

static int parse_time(const struct setting_def *def, const char *value,
		      union setting_value *value_r, const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE], limit[32];
	bool permanent = (def->flags & SET_FLAG_PERMANENT) != 0;
	uint32_t secs;

	if (lockout_interval_parse(value, permanent, &secs, error_r) < 0)
		return -1;
	if (secs == LOCKOUT_TIME_PERMANENT)
		;
	else if (secs < def->min) {
		lockout_setting_quote(value, quoted, sizeof(quoted));
		lockout_interval_to_str(def->min, limit, sizeof(limit));
		*error_r = lockout_error_fmt(
			"invalid interval '%s' (must be at least %s)",
			quoted, limit);
		return -1;
	} else if (secs > def->max) {
		lockout_setting_quote(value, quoted, sizeof(quoted));
		lockout_interval_to_str(def->max, limit, sizeof(limit));
		*error_r = lockout_error_fmt(
			"invalid interval '%s' (must be at most %s)",
			quoted, limit);
		return -1;
	}
	value_r->time = secs;
	return 0;
}

/* Find the next item of a separated list at *pos; returns its length, 0 at
   the end. */
static size_t list_next(const char **pos, const char **item_r)
{
	const char *p = *pos + strspn(*pos, list_separators);
	size_t len = strcspn(p, list_separators);

	*item_r = p;
	*pos = p + len;
	return len;
}

/* The words go into one block: the pointer array, then the strings. */
static int parse_wordlist(const struct setting_def *def,
			  const char *value, union setting_value *value_r,
			  const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];
	const char *pos, *item;
	size_t len, count = 0, bytes = 0, i, j;
	char **words, *dest;

	(void)def;
	for (pos = value; (len = list_next(&pos, &item)) > 0; ) {
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)item[i];

			if (c != '@' && c >= 0x20 && c != 0x7f)
				continue;
			lockout_error_quote(item, len, quoted, sizeof(quoted));
			*error_r = lockout_error_fmt(
				"invalid name '%s' (expected local parts "
				"without '@' or control characters)", quoted);
			return -1;
		}
		count++;
		bytes += len + 1;
	}

	/* count + 1 pointers and bytes characters: both bounded by
	   strlen(value), so this cannot overflow. */
	words = malloc((count + 1) * sizeof(char *) + bytes);
	if (words == NULL) {
		*error_r = lockout_error_fmt("out of memory");
		return -1;
	}
	dest = (char *)(words + count + 1);
	pos = value;
	for (i = 0; i < count; i++) {
		len = list_next(&pos, &item);
		words[i] = dest;
		for (j = 0; j < len; j++)
			*dest++ = ascii_tolower(item[j]);
		*dest++ = '\0';
	}
	words[count] = NULL;
	value_r->words = words;
	return 0;
}

static int parse_netlist(const struct setting_def *def,
			 const char *value, union setting_value *value_r,
			 const char **error_r)
{
	(void)def;
	return lockout_netlist_parse(value, &value_r->netlist.nets,
				     &value_r->netlist.count, error_r);
}

static int port_compare(const void *a, const void *b)
{
	uint16_t pa = *(const uint16_t *)a, pb = *(const uint16_t *)b;

	return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/* "all", or ports 1..65535 kept sorted without duplicates. */
static int parse_portlist(const struct setting_def *def,
			  const char *value, union setting_value *value_r,
			  const char **error_r)
{
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];
	const char *pos, *item, *end;
	size_t len, count = 0, i, j;
	uint16_t *ports;
	uint32_t num;

	(void)def;
	if (lockout_ascii_equals_icase_n(value, strlen(value), "all"))
		return 0;
	for (pos = value; (len = list_next(&pos, &item)) > 0; ) {
		if (!parse_uint32(item, &end, &num) ||
		    (size_t)(end - item) != len || num == 0 || num > 65535) {
			lockout_error_quote(item, len, quoted, sizeof(quoted));
			*error_r = lockout_error_fmt(
				"invalid port '%s' (expected 1..65535 or "
				"\"all\")", quoted);
			return -1;
		}
		count++;
	}
	if (count == 0) {
		*error_r = lockout_error_fmt(
			"no ports (expected a list of ports or \"all\")");
		return -1;
	}
	if (count > LOCKOUT_FIREWALL_PORTS_MAX) {
		*error_r = lockout_error_fmt(
			"%zu ports, at most %u (or \"all\")", count,
			LOCKOUT_FIREWALL_PORTS_MAX);
		return -1;
	}
	ports = calloc(count, sizeof(*ports));
	if (ports == NULL) {
		*error_r = lockout_error_fmt("out of memory");
		return -1;
	}
	pos = value;
	for (i = 0; i < count; i++) {
		(void)list_next(&pos, &item);
		(void)parse_uint32(item, &end, &num);
		ports[i] = (uint16_t)num;
	}
	qsort(ports, count, sizeof(*ports), port_compare);
	for (i = j = 1; i < count; i++) {
		if (ports[i] != ports[j - 1])
			ports[j++] = ports[i];
	}
	value_r->portlist.ports = ports;
	value_r->portlist.count = j;
	return 0;
}

int lockout_setting_parse(const struct setting_def *def, const char *value,
			  union setting_value *value_r, const char **error_r)
{
	memset(value_r, 0, sizeof(*value_r));
	switch (def->type) {
	case SET_STR:
		return parse_str(def, value, value_r, error_r);
	case SET_ENUM:
		return parse_enum(def, value, value_r, error_r);
	case SET_UINT:
		return parse_uint(def, value, value_r, error_r);
	case SET_TIME:
		return parse_time(def, value, value_r, error_r);
	case SET_WORDLIST:
		return parse_wordlist(def, value, value_r, error_r);
	case SET_NETLIST:
		return parse_netlist(def, value, value_r, error_r);
	case SET_PORTLIST:
		return parse_portlist(def, value, value_r, error_r);
	}
	*error_r = lockout_error_fmt("unknown setting type");
	return -1;
}
