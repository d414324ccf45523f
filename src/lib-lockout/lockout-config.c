/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The settings table: names, defaults and where each value goes. */
#include "lockout-config-private.h"
#include "lockout-error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SET_ENUM fields are stored as unsigned int. */
_Static_assert(sizeof(enum lockout_mode) == sizeof(unsigned int),
	       "enum lockout_mode is not an unsigned int");
_Static_assert(sizeof(enum lockout_on_error) == sizeof(unsigned int),
	       "enum lockout_on_error is not an unsigned int");
_Static_assert(sizeof(enum lockout_db_driver) == sizeof(unsigned int),
	       "enum lockout_db_driver is not an unsigned int");
_Static_assert(sizeof(enum lockout_yesno) == sizeof(unsigned int),
	       "enum lockout_yesno is not an unsigned int");

static const char *const mode_values[] = { "enforce", "observe", NULL };
static const char *const on_error_values[] = { "allow", "deny", NULL };
/* in enum lockout_db_driver's order */
static const char *const db_driver_values[] = { "sqlite", "pgsql", NULL };
/* in enum lockout_yesno's order */
static const char *const yesno_values[] = { "no", "yes", NULL };

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
		SET_FLAG_DB),
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
	/* issue 13: long memory per source */
	DEF_UINT("lockout_ip_long_failures", ip_long_failures, "8", 0, 16),
	DEF_TIME("lockout_ip_long_window", ip_long_window, "1 day", 0),
	DEF_TIME("lockout_ip_long_ban_time", ip_long_ban_time, "1 day",
		 SET_FLAG_PERMANENT),
	/* issue 12: administration */
	DEF_STR("lockout_metrics_file", metrics_file, "",
		SET_FLAG_ABS_PATH | SET_FLAG_EMPTY_IS_VALUE),
	/* issue 13: spread of usernames per source */
	DEF_UINT("lockout_ip_spread_usernames", ip_spread_usernames, "4", 0,
		 16),
	DEF_TIME("lockout_ip_spread_window", ip_spread_window, "1 day", 0),
	DEF_TIME("lockout_ip_spread_ban_time", ip_spread_ban_time, "6 hours",
		 SET_FLAG_PERMANENT),
	/* issue 13: faster protection of an attacked account */
	DEF_UINT("lockout_user_networks", user_networks, "5", 0, 8),
	DEF_TIME("lockout_user_networks_window", user_networks_window,
		 "6 hours", 0),
	DEF_TIME("lockout_user_networks_protect_time",
		 user_networks_protect_time, "2 hours", 0),
	DEF_UINT("lockout_protect_retries", protect_retries, "1", 0, 16),
	DEF_UINT("lockout_near_prefix", near_prefix, "15", 0, 32),
	DEF_UINT("lockout_near_prefix6", near_prefix6, "32", 0, 128),
	/* issue 12: output */
	DEF_STR("lockout_notify_from", notify_from, "",
		SET_FLAG_MAILBOX | SET_FLAG_EMPTY_IS_VALUE),
	/* issue 13: unknown-user alert */
	DEF_UINT("lockout_alert_unknown", alert_unknown, "20", 0, 1000),
	DEF_TIME("lockout_alert_window", alert_window, "1 hour", 0),
	DEF_ENUM("lockout_alert_refuse", alert_refuse, "yes", yesno_values),
	/* issue 13: IPv6 aggregation */
	DEF_UINT("lockout_ipv6_56_failures", ipv6_56_failures, "20", 0, 1000),
	DEF_UINT("lockout_ipv6_48_failures", ipv6_48_failures, "40", 0, 1000),
	DEF_UINT("lockout_ipv6_net_bans", ipv6_net_bans, "3", 0, 16),
	/* issue 13: negative cache of unknown usernames */
	DEF_UINT("lockout_unknown_names", unknown_names, "16384", 0, 1048576),
	DEF_TIME("lockout_unknown_names_time", unknown_names_time, "1 day",
		 0),
	/* issue 14: several nodes, one ban table in PostgreSQL */
	DEF_ENUM("lockout_db_driver", db_driver, "sqlite", db_driver_values),
	DEF_STR("lockout_node", node, "", SET_FLAG_EMPTY_IS_VALUE),
};

#define SETTINGS_COUNT (sizeof(setting_defs) / sizeof(setting_defs[0]))

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

	if (lockout_setting_parse(def, value, &parsed, &error) < 0) {
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
		lockout_setting_quote(name, quoted, sizeof(quoted));
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
	char ban[32], ban_max[32], quoted[LOCKOUT_QUOTE_BUF_SIZE];
	char shown[LOCKOUT_DB_DISPLAY_SIZE];

	/* quoted without a password it may hold */
	(void)lockout_db_display(cfg->db, shown, sizeof(shown));
	if (cfg->db_driver == LOCKOUT_DB_DRIVER_SQLITE && cfg->db[0] != '/') {
		lockout_setting_quote(shown, quoted, sizeof(quoted));
		*error_r = lockout_error_fmt(
			"lockout_db: invalid value '%s' (must start with an "
			"absolute path: lockout_db_driver is sqlite)", quoted);
		return -1;
	}
	if (cfg->db_driver == LOCKOUT_DB_DRIVER_PGSQL &&
	    !lockout_db_is_conninfo(cfg->db)) {
		lockout_setting_quote(shown, quoted, sizeof(quoted));
		*error_r = lockout_error_fmt(
			"lockout_db: invalid value '%s' (lockout_db_driver is "
			"pgsql: expected a libpq connection string, e.g. "
			"\"host=db.example.org dbname=lockout user=lockout\")",
			quoted);
		return -1;
	}

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

bool lockout_db_is_conninfo(const char *value)
{
	/* libpq's two forms: keyword = value pairs, or a URI */
	return strchr(value, '=') != NULL ||
		strncmp(value, "postgresql://", 13) == 0 ||
		strncmp(value, "postgres://", 11) == 0;
}

/* Output of lockout_db_display(): bytes appended to buf, cut with
   "..." when they do not fit. */
struct db_display {
	char *buf;
	size_t size, len;
	bool cut;
};

static void db_display_add(struct db_display *d, const char *s, size_t n)
{
	size_t room = d->size - 1 - d->len;

	if (d->cut)
		return;
	if (n > room) {
		/* what fits, its last three bytes "..." */
		d->cut = true;
		n = room;
	}
	memcpy(d->buf + d->len, s, n);
	d->len += n;
	if (d->cut && d->len >= 3)
		memcpy(d->buf + d->len - 3, "...", 3);
	d->buf[d->len] = '\0';
}

static bool db_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\f' || c == '\v';
}

/* One keyword = value pair of a libpq connection string, as libpq's
   conninfo_parse() reads them, from *p on (which moves past it): the
   keyword, and the value as written (quoted or not). Returns 1, 0 at the
   end, -1 when the rest cannot be parsed. */
struct db_pair {
	const char *start, *key, *value, *end;
	size_t key_len;
};

static int db_next_pair(const char **_p, struct db_pair *pair_r)
{
	const char *p = *_p;

	pair_r->start = p;
	while (db_space(*p))
		p++;
	if (*p == '\0')
		return 0;
	pair_r->key = p;
	while (*p != '\0' && *p != '=' && !db_space(*p))
		p++;
	pair_r->key_len = (size_t)(p - pair_r->key);
	while (db_space(*p))
		p++;
	if (pair_r->key_len == 0 || *p != '=')
		return -1;
	p++;
	while (db_space(*p))
		p++;
	pair_r->value = p;
	if (*p == '\'') {
		for (p++; *p != '\''; p++) {
			if (*p == '\0')
				return -1; /* unterminated: libpq refuses it */
			if (*p == '\\' && p[1] != '\0')
				p++;
		}
		p++;
	} else {
		for (; *p != '\0' && !db_space(*p); p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
		}
	}
	pair_r->end = p;
	*_p = p;
	return 1;
}

static bool db_pair_is(const struct db_pair *pair, const char *key)
{
	return pair->key_len == strlen(key) &&
		strncmp(pair->key, key, pair->key_len) == 0;
}

static void db_display_pairs(struct db_display *d, const char *p)
{
	struct db_pair pair;
	int ret;

	while ((ret = db_next_pair(&p, &pair)) > 0) {
		/* up to the value: as written */
		db_display_add(d, pair.start,
			       (size_t)(pair.value - pair.start));
		if (db_pair_is(&pair, "password"))
			db_display_add(d, "***", 3);
		else {
			db_display_add(d, pair.value,
				       (size_t)(pair.end - pair.value));
		}
	}
	if (ret < 0) {
		db_display_add(d, pair.start,
			       (size_t)(pair.key - pair.start));
		db_display_add(d, "...", 3);
	}
}

bool lockout_db_conninfo_value(const char *db, const char *key,
			       char *buf, size_t size)
{
	struct db_pair pair;
	const char *p = db, *v, *end;
	size_t len = 0, n, klen = strlen(key);
	bool found = false;

	if (strncmp(db, "postgresql://", 13) == 0 ||
	    strncmp(db, "postgres://", 11) == 0) {
		/* ?key=value&...: percent-decoding not done (paths rarely
		   need it); the last one counts, as for libpq */
		p = strchr(db, '?');
		while (p != NULL) {
			p++;
			n = strcspn(p, "&");
			if (n > klen && strncmp(p, key, klen) == 0 &&
			    p[klen] == '=') {
				len = n - klen - 1;
				if (len >= size)
					return false;
				memcpy(buf, p + klen + 1, len);
				buf[len] = '\0';
				found = true;
			}
			p = p[n] == '&' ? p + n : NULL;
		}
		return found;
	}
	while (db_next_pair(&p, &pair) > 0) {
		if (!db_pair_is(&pair, key))
			continue;
		/* unquote and unescape, as libpq does */
		v = pair.value;
		end = pair.end;
		if (*v == '\'') {
			v++;
			end--;
		}
		for (len = 0; v < end; v++) {
			if (*v == '\\' && v + 1 < end)
				v++;
			if (len + 1 >= size)
				return false;
			buf[len++] = *v;
		}
		buf[len] = '\0';
		found = true;
	}
	return found;
}

/* postgresql://[user[:password]@][hosts][/dbname][?key=value&...] */
static void db_display_uri(struct db_display *d, const char *uri)
{
	const char *p = strstr(uri, "://") + 3, *end, *at, *colon, *q;

	db_display_add(d, uri, (size_t)(p - uri));
	end = p + strcspn(p, "/?");
	at = NULL;
	for (q = p; q < end; q++) {
		if (*q == '@')
			at = q;
	}
	if (at != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon != NULL) {
			db_display_add(d, p, (size_t)(colon - p));
			db_display_add(d, ":***", 4);
			p = at;
		}
	}
	q = strchr(p, '?');
	if (q == NULL) {
		db_display_add(d, p, strlen(p));
		return;
	}
	db_display_add(d, p, (size_t)(q + 1 - p));
	for (p = q + 1; *p != '\0'; ) {
		end = p + strcspn(p, "&");
		if (strncmp(p, "password=", 9) == 0) {
			db_display_add(d, "password=***", 12);
		} else {
			db_display_add(d, p, (size_t)(end - p));
		}
		p = end;
		if (*p == '&') {
			db_display_add(d, "&", 1);
			p++;
		}
	}
}

const char *lockout_db_display(const char *db, char *buf, size_t size)
{
	struct db_display d = { .buf = buf, .size = size };

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (strncmp(db, "postgresql://", 13) == 0 ||
	    strncmp(db, "postgres://", 11) == 0)
		db_display_uri(&d, db);
	else if (lockout_db_is_conninfo(db))
		db_display_pairs(&d, db);
	else
		db_display_add(&d, db, strlen(db));
	return buf;
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
		if (lockout_ascii_equals_icase_n(username, len, *word))
			return true;
	}
	return false;
}
