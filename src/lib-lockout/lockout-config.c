/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-config.h"
#include "lockout-error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many value bytes an error message quotes before cutting with "...". */

#define INTERVAL_EXPECTED "expected e.g. \"10 mins\", \"1 hour\", \"7 days\""

enum setting_type {
	SET_STR,	/* char *, strdup()ed */
	SET_ENUM,	/* an enum, index into enum_values */
	SET_UINT,	/* unsigned int, decimal within min..max */
	SET_TIME,	/* uint32_t seconds, interval within min..max */
	SET_WORDLIST,	/* char **, lower-cased, NULL-terminated, one block */
	SET_NETLIST,	/* struct lockout_net * + size_t count */
	SET_PORTLIST,	/* uint16_t * + size_t count; NULL/0 = "all" */
};

/* lockout_config_load(): an empty value is a value ("none"), not "unset,
   use the default". */
#define SET_FLAG_EMPTY_IS_VALUE 0x01
/* SET_TIME: "permanent" is allowed. */
#define SET_FLAG_PERMANENT 0x02
/* SET_STR: must start with '/'. */
#define SET_FLAG_ABS_PATH 0x04

struct setting_def {
	const char *name;
	enum setting_type type;
	size_t offset;
	const char *default_value;
	unsigned int flags;
	/* SET_UINT, SET_TIME: accepted range (permanent aside) */
	uint32_t min, max;
	/* SET_ENUM: NULL-terminated names of the enum values 0, 1, ... */
	const char *const *enum_values;
	/* SET_NETLIST, SET_PORTLIST: offset of the size_t count */
	size_t count_offset;
};

union setting_value {
	char *str;
	unsigned int uint;
	uint32_t time;
	char **words;
	struct {
		struct lockout_net *nets;
		size_t count;
	} netlist;
	struct {
		uint16_t *ports;
		size_t count;
	} portlist;
};

/* SET_ENUM fields are stored as unsigned int. */
_Static_assert(sizeof(enum lockout_mode) == sizeof(unsigned int),
	       "enum lockout_mode is not an unsigned int");
_Static_assert(sizeof(enum lockout_on_error) == sizeof(unsigned int),
	       "enum lockout_on_error is not an unsigned int");

static const char *const mode_values[] = { "enforce", "observe", NULL };
static const char *const on_error_values[] = { "allow", "deny", NULL };

#define OFF(field) offsetof(struct lockout_config, field)
#define DEF_STR(name, field, def, flags) \
	{ name, SET_STR, OFF(field), def, flags, 0, 0, NULL, 0 }
#define DEF_ENUM(name, field, def, values) \
	{ name, SET_ENUM, OFF(field), def, 0, 0, 0, values, 0 }
#define DEF_UINT(name, field, def, min, max) \
	{ name, SET_UINT, OFF(field), def, 0, min, max, NULL, 0 }
#define DEF_TIME(name, field, def, flags) \
	{ name, SET_TIME, OFF(field), def, flags, 1, \
	  LOCKOUT_TIME_PERMANENT - 1, NULL, 0 }
#define DEF_WORDLIST(name, field, def) \
	{ name, SET_WORDLIST, OFF(field), def, SET_FLAG_EMPTY_IS_VALUE, \
	  0, 0, NULL, 0 }
#define DEF_NETLIST(name, field, def) \
	{ name, SET_NETLIST, OFF(field), def, SET_FLAG_EMPTY_IS_VALUE, \
	  0, 0, NULL, OFF(field##_count) }

#define DEF_PORTLIST(name, field, def) \
	{ name, SET_PORTLIST, OFF(field), def, 0, 0, 0, NULL, \
	  OFF(field##_count) }

static const struct setting_def setting_defs[] = {
	DEF_STR("lockout_db", db, "/var/lib/dovecot/lockout/lockout.db",
		SET_FLAG_ABS_PATH),
	DEF_ENUM("lockout_mode", mode, "enforce", mode_values),
	DEF_ENUM("lockout_on_error", on_error, "allow", on_error_values),
	DEF_UINT("lockout_ip_failures", ip_failures, "10", 1, 100),
	DEF_TIME("lockout_ip_window", ip_window, "10 mins", 0),
	DEF_TIME("lockout_ban_time", ban_time, "1 hour", SET_FLAG_PERMANENT),
	DEF_TIME("lockout_ban_time_max", ban_time_max, "7 days",
		 SET_FLAG_PERMANENT),
	DEF_UINT("lockout_ban_permanent_after", ban_permanent_after, "0",
		 0, 1000),
	DEF_WORDLIST("lockout_targeted_users", targeted_users,
		     "admin administrator contact test user 123 help info "
		     "root no-reply noreply webmaster postmaster abuse "
		     "support office mail sales"),
	DEF_TIME("lockout_targeted_ban_time", targeted_ban_time, "7 days",
		 SET_FLAG_PERMANENT),
	DEF_UINT("lockout_targeted_failures", targeted_failures, "3", 1, 100),
	DEF_UINT("lockout_user_failures", user_failures, "30", 1, 100000),
	DEF_TIME("lockout_user_window", user_window, "1 hour", 0),
	DEF_TIME("lockout_known_device_time", known_device_time, "30 days", 0),
	DEF_NETLIST("lockout_allow_networks", allow_networks,
		    "127.0.0.0/8 ::1"),
	DEF_UINT("lockout_ipv6_prefix", ipv6_prefix, "64", 32, 128),
	DEF_STR("lockout_notify", notify, "", SET_FLAG_EMPTY_IS_VALUE),
	DEF_TIME("lockout_notify_interval", notify_interval, "1 hour", 0),
	DEF_STR("lockout_sendmail", sendmail, "/usr/sbin/sendmail -i -t",
		SET_FLAG_ABS_PATH),
	DEF_TIME("lockout_history_time", history_time, "30 days", 0),
	DEF_UINT("lockout_max_sources", max_sources, "100000", 64, 10000000),
	DEF_TIME("lockout_protect_time", protect_time, "1 hour", 0),
	DEF_UINT("lockout_net_ban_hosts", net_ban_hosts, "3", 0, 16),
	DEF_TIME("lockout_net_ban_window", net_ban_window, "1 day", 0),
	DEF_UINT("lockout_max_users", max_users, "10000", 64, 10000000),
	DEF_UINT("lockout_max_known_devices", max_known_devices, "100000", 64,
		 10000000),
	DEF_PORTLIST("lockout_firewall_ports", firewall_ports,
		     "25 465 587 110 995 143 993 4190"),
};

#define SETTINGS_COUNT (sizeof(setting_defs) / sizeof(setting_defs[0]))

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

static void quote_value(const char *str, char *buf, size_t size)
{
	lockout_error_quote(str, strnlen(str, LOCKOUT_QUOTE_MAX_INPUT + 1),
			    buf, size);
}

static char ascii_tolower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive comparison of a (len bytes) with NUL-terminated b;
   independent of the process locale. */
static bool ascii_equals_icase_n(const char *a, size_t len, const char *b)
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

	quote_value(str, quoted, sizeof(quoted));
	if (ascii_equals_icase_n(str, strlen(str), "permanent")) {
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
			if (ascii_equals_icase_n(p, unit_len,
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
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];
	const char *problem = NULL;

	if (has_control_char(value))
		problem = "must not contain control characters";
	else if ((def->flags & SET_FLAG_ABS_PATH) != 0 && value[0] != '/')
		problem = "must start with an absolute path";
	else if (value[0] == '\0' &&
		 (def->flags & SET_FLAG_EMPTY_IS_VALUE) == 0)
		problem = "must not be empty";
	if (problem != NULL) {
		quote_value(value, quoted, sizeof(quoted));
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
	quote_value(value, quoted, sizeof(quoted));
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
		quote_value(value, quoted, sizeof(quoted));
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
		quote_value(value, quoted, sizeof(quoted));
		lockout_interval_to_str(def->min, limit, sizeof(limit));
		*error_r = lockout_error_fmt(
			"invalid interval '%s' (must be at least %s)",
			quoted, limit);
		return -1;
	} else if (secs > def->max) {
		quote_value(value, quoted, sizeof(quoted));
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
	if (ascii_equals_icase_n(value, strlen(value), "all"))
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

static int setting_parse(const struct setting_def *def, const char *value,
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

/* Free what the field of def in cfg owns and replace it with value. */
static void setting_commit(struct lockout_config *cfg,
			   const struct setting_def *def,
			   const union setting_value *value)
{
	char *field = (char *)cfg + def->offset;

	switch (def->type) {
	case SET_STR:
		free(*(char **)field);
		*(char **)field = value->str;
		break;
	case SET_ENUM:
	case SET_UINT:
		*(unsigned int *)field = value->uint;
		break;
	case SET_TIME:
		*(uint32_t *)field = value->time;
		break;
	case SET_WORDLIST:
		free(*(char ***)field);
		*(char ***)field = value->words;
		break;
	case SET_NETLIST:
		free(*(struct lockout_net **)field);
		*(struct lockout_net **)field = value->netlist.nets;
		*(size_t *)((char *)cfg + def->count_offset) =
			value->netlist.count;
		break;
	case SET_PORTLIST:
		free(*(uint16_t **)field);
		*(uint16_t **)field = value->portlist.ports;
		*(size_t *)((char *)cfg + def->count_offset) =
			value->portlist.count;
		break;
	}
}

static const struct setting_def *setting_find(const char *name)
{
	size_t i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (strcmp(setting_defs[i].name, name) == 0)
			return &setting_defs[i];
	}
	return NULL;
}

static int setting_set(struct lockout_config *cfg,
		       const struct setting_def *def, const char *value,
		       const char **error_r)
{
	char detail[LOCKOUT_ERROR_MAX];
	union setting_value parsed;
	const char *error;

	if (setting_parse(def, value, &parsed, &error) < 0) {
		/* error lives in the buffer lockout_error_fmt() writes to:
		   copy it before formatting the full message. */
		snprintf(detail, sizeof(detail), "%s", error);
		*error_r = lockout_error_fmt("%s: %s", def->name, detail);
		return -1;
	}
	setting_commit(cfg, def, &parsed);
	return 0;
}

int lockout_config_set(struct lockout_config *cfg, const char *name,
		       const char *value, const char **error_r)
{
	const struct setting_def *def = setting_find(name);
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];

	if (def == NULL) {
		quote_value(name, quoted, sizeof(quoted));
		*error_r = lockout_error_fmt("unknown setting '%s'", quoted);
		return -1;
	}
	return setting_set(cfg, def, value, error_r);
}

int lockout_config_init(struct lockout_config *cfg, const char **error_r)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (setting_set(cfg, &setting_defs[i],
				setting_defs[i].default_value, error_r) < 0)
			return -1;
	}
	return 0;
}

int lockout_config_load(struct lockout_config *cfg,
			lockout_config_lookup_t *lookup, void *context,
			const char **error_r)
{
	const struct setting_def *def;
	const char *value;
	size_t i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		def = &setting_defs[i];
		value = lookup(def->name, context);
		if (value == NULL)
			continue;
		if (value[0] == '\0' &&
		    (def->flags & SET_FLAG_EMPTY_IS_VALUE) == 0)
			value = def->default_value;
		if (setting_set(cfg, def, value, error_r) < 0)
			return -1;
	}
	return lockout_config_check(cfg, error_r);
}

int lockout_config_check(const struct lockout_config *cfg,
			 const char **error_r)
{
	char ban[32], ban_max[32];

	if (cfg->ban_time_max != LOCKOUT_TIME_PERMANENT &&
	    cfg->ban_time > cfg->ban_time_max) {
		lockout_interval_to_str(cfg->ban_time, ban, sizeof(ban));
		lockout_interval_to_str(cfg->ban_time_max, ban_max,
					sizeof(ban_max));
		*error_r = lockout_error_fmt(
			"lockout_ban_time (%s) is longer than "
			"lockout_ban_time_max (%s)", ban, ban_max);
		return -1;
	}
	return 0;
}

void lockout_config_free(struct lockout_config *cfg)
{
	union setting_value empty;
	size_t i;

	memset(&empty, 0, sizeof(empty));
	for (i = 0; i < SETTINGS_COUNT; i++)
		setting_commit(cfg, &setting_defs[i], &empty);
	memset(cfg, 0, sizeof(*cfg));
}

size_t lockout_config_count(void)
{
	return SETTINGS_COUNT;
}

const char *lockout_config_name(size_t i)
{
	return i < SETTINGS_COUNT ? setting_defs[i].name : NULL;
}

const char *lockout_config_default(size_t i)
{
	return i < SETTINGS_COUNT ? setting_defs[i].default_value : NULL;
}

bool lockout_config_is_targeted(const struct lockout_config *cfg,
				const char *username)
{
	const char *at;
	size_t len;
	char **word;

	if (username == NULL || cfg->targeted_users == NULL)
		return false;
	at = strrchr(username, '@');
	len = at == NULL ? strlen(username) : (size_t)(at - username);
	if (len == 0)
		return false;
	for (word = cfg->targeted_users; *word != NULL; word++) {
		if (ascii_equals_icase_n(username, len, *word))
			return true;
	}
	return false;
}
