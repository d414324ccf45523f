/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

#define MIN 60u
#define HOUR 3600u
#define DAY 86400u
#define WEEK 604800u
#define A8 "aaaaaaaa"
#define A64 A8 A8 A8 A8 A8 A8 A8 A8

static const struct {
	const char *str;
	bool permanent;
	uint32_t secs;
} valid_intervals[] = {
	{ "0", false, 0 },
	{ "1", false, 1 },
	{ "90", false, 90 },
	{ "10s", false, 10 },
	{ "10 s", false, 10 },
	{ "10sec", false, 10 },
	{ "10 secs", false, 10 },
	{ "1 second", false, 1 },
	{ "2 seconds", false, 2 },
	{ "5m", false, 5 * MIN },
	{ "1 min", false, MIN },
	{ "10 mins", false, 10 * MIN },
	{ "1 minute", false, MIN },
	{ "3 minutes", false, 3 * MIN },
	{ "1h", false, HOUR },
	{ "1 hour", false, HOUR },
	{ "2 hours", false, 2 * HOUR },
	{ "1d", false, DAY },
	{ "1 day", false, DAY },
	{ "7 days", false, 7 * DAY },
	{ "1w", false, WEEK },
	{ "1 week", false, WEEK },
	{ "2 weeks", false, 2 * WEEK },
	{ "10 MINS", false, 10 * MIN },
	{ "1 Hour", false, HOUR },
	{ "3 DaYs", false, 3 * DAY },
	{ "1W", false, WEEK },
	{ "10   mins", false, 10 * MIN },
	{ "010 mins", false, 10 * MIN },
	{ "0 days", false, 0 },
	{ "4294967294", false, 4294967294u },
	{ "4294967294 secs", false, 4294967294u },
	{ "7101 weeks", false, 7101u * WEEK },
	{ "49710 days", false, 49710u * DAY },
	{ "permanent", true, LOCKOUT_TIME_PERMANENT },
	{ "PERMANENT", true, LOCKOUT_TIME_PERMANENT },
	{ "Permanent", true, LOCKOUT_TIME_PERMANENT },
	{ "7 days", true, 7 * DAY },
};

START_TEST(test_interval_parse_valid)
{
	uint32_t secs = 12345;
	const char *error = NULL;

	ck_assert_msg(lockout_interval_parse(valid_intervals[_i].str,
					     valid_intervals[_i].permanent,
					     &secs, &error) == 0,
		      "'%s': %s", valid_intervals[_i].str, error);
	ck_assert_uint_eq(secs, valid_intervals[_i].secs);
}
END_TEST

static const struct {
	const char *str;
	bool permanent;
	const char *error;
} invalid_intervals[] = {
	{ "10 parsecs", false, "invalid interval '10 parsecs' (expected e.g. "
	  "\"10 mins\", \"1 hour\", \"7 days\")" },
	{ "10 parsecs", true, "invalid interval '10 parsecs' (expected e.g. "
	  "\"10 mins\", \"1 hour\", \"7 days\" or \"permanent\")" },
	{ "", false, "invalid interval ''" },
	{ " ", false, "invalid interval ' '" },
	{ "mins", false, "invalid interval" },
	{ "10 ms", false, "invalid interval" },
	{ "10 msecs", false, "invalid interval" },
	{ "10 minutess", false, "invalid interval" },
	{ "10 mi", false, "invalid interval" },
	{ "-1", false, "invalid interval '-1'" },
	{ "+1", false, "invalid interval" },
	{ "1.5 hours", false, "invalid interval" },
	{ "1h30m", false, "invalid interval" },
	{ "1 hour 30 mins", false, "invalid interval" },
	{ " 10 mins", false, "invalid interval" },
	{ "10 mins ", false, "invalid interval" },
	{ "10 ", false, "invalid interval" },
	{ "10\tmins", false, "invalid interval '10\\x09mins'" },
	{ "10 mins\n", false, "invalid interval '10 mins\\x0a'" },
	{ "0x10", false, "invalid interval" },
	{ "\xef\xbc\x91\xef\xbc\x90", false, "'\\xef\\xbc\\x91" },
	{ "permanent", false, "invalid interval 'permanent' (not allowed "
	  "here" },
	{ "permanently", true, "invalid interval" },
	{ "permanent ", true, "invalid interval" },
	{ "forever", true, "invalid interval" },
	{ "4294967295", false, "invalid interval '4294967295' (too large)" },
	{ "4294967295", true, "too large" },
	{ "4294967296", false, "too large" },
	{ "99999999999999999999999999", false, "too large" },
	{ "7102 weeks", false, "too large" },
	{ "49711 days", false, "too large" },
	{ "1193047 hours", false, "too large" },
	{ "71582789 mins", false, "too large" },
};

START_TEST(test_interval_parse_invalid)
{
	uint32_t secs = 12345;
	const char *error = NULL;

	ck_assert_msg(lockout_interval_parse(invalid_intervals[_i].str,
					     invalid_intervals[_i].permanent,
					     &secs, &error) < 0,
		      "accepted '%s'", invalid_intervals[_i].str);
	ck_assert_uint_eq(secs, 12345);
	ck_assert_msg(strstr(error, invalid_intervals[_i].error) != NULL,
		      "error '%s' lacks '%s'", error,
		      invalid_intervals[_i].error);
}
END_TEST

static const struct {
	uint32_t secs;
	const char *str;
} interval_strs[] = {
	{ 0, "0 secs" },
	{ 1, "1 sec" },
	{ 59, "59 secs" },
	{ 60, "1 min" },
	{ 90, "90 secs" },
	{ 600, "10 mins" },
	{ HOUR, "1 hour" },
	{ 2 * HOUR, "2 hours" },
	{ 90 * MIN, "90 mins" },
	{ DAY, "1 day" },
	{ 7 * DAY, "7 days" },
	{ 30 * DAY, "30 days" },
	{ 36 * HOUR, "36 hours" },
	{ 4294967294u, "4294967294 secs" },
	{ 49710u * DAY, "49710 days" },
	{ LOCKOUT_TIME_PERMANENT, "permanent" },
};

START_TEST(test_interval_to_str)
{
	char buf[32];
	uint32_t secs;
	const char *error;

	lockout_interval_to_str(interval_strs[_i].secs, buf, sizeof(buf));
	ck_assert_str_eq(buf, interval_strs[_i].str);
	ck_assert_int_eq(lockout_interval_parse(buf, true, &secs, &error), 0);
	ck_assert_uint_eq(secs, interval_strs[_i].secs);

	/* A short buffer is truncated, not overrun. */
	lockout_interval_to_str(interval_strs[_i].secs, buf, 4);
	ck_assert_uint_le(strlen(buf), 3);
}
END_TEST

START_TEST(test_config_defaults)
{
	static const char *const targeted[] = {
		"admin", "administrator", "contact", "test", "user", "123",
		"help", "info", "root", "no-reply", "noreply", "webmaster",
		"postmaster", "abuse", "support", "office", "mail", "sales",
		NULL
	};
	static const uint16_t default_ports[] = {
		25, 110, 143, 465, 587, 993, 995, 4190
	};
	struct lockout_config cfg;
	char buf[LOCKOUT_NET_STRLEN];
	const char *error = NULL;
	unsigned int i;

	ck_assert_msg(lockout_config_init(&cfg, &error) == 0, "%s", error);
	ck_assert_str_eq(cfg.db, "/var/lib/dovecot/lockout/lockout.db");
	ck_assert_int_eq(cfg.mode, LOCKOUT_MODE_ENFORCE);
	ck_assert_int_eq(cfg.on_error, LOCKOUT_ON_ERROR_ALLOW);
	ck_assert_int_eq(cfg.db_driver, LOCKOUT_DB_DRIVER_SQLITE);
	ck_assert_uint_eq(cfg.ip_failures, 10);
	ck_assert_uint_eq(cfg.ip_window, 10 * MIN);
	ck_assert_uint_eq(cfg.ban_time, HOUR);
	ck_assert_uint_eq(cfg.ban_time_max, 7 * DAY);
	ck_assert_uint_eq(cfg.ban_permanent_after, 0);
	for (i = 0; targeted[i] != NULL; i++) {
		ck_assert_ptr_nonnull(cfg.targeted_users[i]);
		ck_assert_str_eq(cfg.targeted_users[i], targeted[i]);
	}
	ck_assert_ptr_null(cfg.targeted_users[i]);
	ck_assert_uint_eq(cfg.targeted_ban_time, 7 * DAY);
	ck_assert_uint_eq(cfg.targeted_failures, 3);
	ck_assert_uint_eq(cfg.user_failures, 30);
	ck_assert_uint_eq(cfg.user_window, HOUR);
	ck_assert_uint_eq(cfg.known_device_time, 30 * DAY);
	ck_assert_uint_eq(cfg.allow_networks_count, 2);
	lockout_net_to_str(&cfg.allow_networks[0], buf);
	ck_assert_str_eq(buf, "127.0.0.0/8");
	lockout_net_to_str(&cfg.allow_networks[1], buf);
	ck_assert_str_eq(buf, "::1");
	ck_assert_uint_eq(cfg.ipv6_prefix, 64);
	ck_assert_str_eq(cfg.notify, "");
	ck_assert_uint_eq(cfg.notify_interval, HOUR);
	ck_assert_str_eq(cfg.sendmail, "/usr/sbin/sendmail -i -t");
	ck_assert_uint_eq(cfg.history_time, 30 * DAY);
	ck_assert_uint_eq(cfg.max_sources, 100000);
	ck_assert_uint_eq(cfg.firewall_ports_count, 8);
	for (i = 0; i < cfg.firewall_ports_count; i++)
		ck_assert_uint_eq(cfg.firewall_ports[i], default_ports[i]);
	ck_assert_int_eq(lockout_config_check(&cfg, &error), 0);
	lockout_config_free(&cfg);
	/* freeing twice is harmless */
	lockout_config_free(&cfg);
	ck_assert_ptr_null(cfg.db);
}
END_TEST

/* Every setting of the product contract is in the table, in this order. */
/* lockout_db must be what lockout_db_driver wants: a path for sqlite, a
   libpq connection string for pgsql; each is refused with the other. */
static const struct {
	const char *driver, *db, *error;
} db_driver_checks[] = {
	{ "sqlite", "/var/lib/dovecot/lockout/lockout.db", NULL },
	{ "sqlite", "host=/run/postgresql dbname=lockout", "lockout_db: "
	  "invalid value 'host=/run/postgresql dbname=lockout' (must start "
	  "with an absolute path: lockout_db_driver is sqlite)" },
	/* never a password in the message */
	{ "sqlite", "host=db password=s3cret", "lockout_db: invalid value "
	  "'host=db password=***' (must start with an absolute path" },
	{ "pgsql", "host=/run/postgresql dbname=lockout user=lockout", NULL },
	{ "pgsql", "postgresql://lockout@db.example.org/lockout", NULL },
	{ "pgsql", "/var/lib/dovecot/lockout/lockout.db", "lockout_db: "
	  "invalid value '/var/lib/dovecot/lockout/lockout.db' "
	  "(lockout_db_driver is pgsql: expected a libpq connection string" },
};

/* A value refused by lockout_config_set() itself (a control character)
   is shown without its password too. */
START_TEST(test_config_db_refused_no_password)
{
	struct lockout_config cfg;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_db",
					    "host=db password=s3cret\x01 "
					    "dbname=x", &error), -1);
	ck_assert_msg(strstr(error, "control characters") != NULL, "%s",
		      error);
	ck_assert_msg(strstr(error, "s3cret") == NULL, "%s", error);
	ck_assert_msg(strstr(error, "host=db password=***") != NULL, "%s",
		      error);
	lockout_config_free(&cfg);
}
END_TEST

START_TEST(test_config_db_driver)
{
	struct lockout_config cfg;
	const char *error = NULL;
	int ret;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_db_driver",
					    db_driver_checks[_i].driver,
					    &error), 0);
	ck_assert_msg(lockout_config_set(&cfg, "lockout_db",
					 db_driver_checks[_i].db,
					 &error) == 0, "%s", error);
	ret = lockout_config_check(&cfg, &error);
	if (db_driver_checks[_i].error == NULL) {
		ck_assert_msg(ret == 0, "%s", error);
	} else {
		ck_assert_int_eq(ret, -1);
		ck_assert_msg(strncmp(error, db_driver_checks[_i].error,
				      strlen(db_driver_checks[_i].error)) == 0,
			      "unexpected error: %s", error);
	}
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_db_driver",
					    "mysql", &error), -1);
	ck_assert_msg(strstr(error, "(expected sqlite|pgsql)") != NULL,
		      "%s", error);
	lockout_config_free(&cfg);
}
END_TEST

/* More connection strings for lockout_db_display() (the auth process's
   logs name the table with it): whatever the form, never the password. */
static const char *const conninfo_secrets[] = {
	"host=db password=secret dbname=x",
	"password = 'se cr\\'et' host=db",
	"host=db password=secret",
	"host=db  password='' dbname='a b'",
	"postgresql://user:secret@db.example.org:5432/lockout?"
	"sslmode=require&password=x2",
	"postgresql://db.example.org/lockout?password=x2",
	"postgres://u@h/d?password=x2&a=b",
	"postgres://u:secret@h",
};

START_TEST(test_config_conninfo_no_password)
{
	char buf[256], small[8];

	(void)lockout_db_display(conninfo_secrets[_i], buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "secret") == NULL &&
		      strstr(buf, "x2") == NULL && strstr(buf, "cr") == NULL,
		      "%s shown as %s", conninfo_secrets[_i], buf);
	/* cut, never overflowing */
	ck_assert_uint_le(strlen(lockout_db_display(conninfo_secrets[_i],
						    small, sizeof(small))),
			  sizeof(small) - 1);
}
END_TEST

static const char *const setting_names[] = {
	"lockout_db", "lockout_mode", "lockout_on_error",
	"lockout_ip_failures", "lockout_ip_window", "lockout_ban_time",
	"lockout_ban_time_max", "lockout_ban_permanent_after",
	"lockout_targeted_users", "lockout_targeted_ban_time",
	"lockout_targeted_failures", "lockout_user_failures",
	"lockout_user_window", "lockout_known_device_time",
	"lockout_allow_networks", "lockout_ipv6_prefix", "lockout_notify",
	"lockout_notify_interval", "lockout_sendmail", "lockout_history_time",
	"lockout_max_sources", "lockout_protect_time", "lockout_net_ban_hosts",
	"lockout_net_ban_window", "lockout_max_users",
	"lockout_max_known_devices", "lockout_firewall_ports",
	/* issue 13 */
	"lockout_ip_long_failures", "lockout_ip_long_window",
	"lockout_ip_long_ban_time",
	"lockout_metrics_file",
	/* issue 13: ip_spread */
	"lockout_ip_spread_usernames", "lockout_ip_spread_window",
	"lockout_ip_spread_ban_time",
	/* issue 13: user_networks */
	"lockout_user_networks", "lockout_user_networks_window",
	"lockout_user_networks_protect_time",
	/* issue 13: retries through a protection */
	"lockout_protect_retries",
	"lockout_near_prefix", "lockout_near_prefix6",
	"lockout_notify_from",
	/* issue 13: unknown_alert */
	"lockout_alert_unknown", "lockout_alert_window",
	"lockout_alert_refuse",
	/* issue 13: IPv6 aggregation */
	"lockout_ipv6_56_failures", "lockout_ipv6_48_failures",
	"lockout_ipv6_net_bans",
	/* issue 13: unknown names */
	"lockout_unknown_names", "lockout_unknown_names_time",
	/* issue 14: PostgreSQL */
	"lockout_db_driver", "lockout_node",
};

START_TEST(test_config_names)
{
	struct lockout_config cfg;
	const char *error;
	size_t i;

	ck_assert_uint_eq(lockout_config_count(), N_ELEMENTS(setting_names));
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	for (i = 0; i < lockout_config_count(); i++) {
		ck_assert_str_eq(lockout_config_name(i), setting_names[i]);
		ck_assert_ptr_nonnull(lockout_config_default(i));
		/* Each default is accepted by lockout_config_set() too. */
		ck_assert_msg(lockout_config_set(&cfg, lockout_config_name(i),
						 lockout_config_default(i),
						 &error) == 0,
			      "%s", error);
	}
	ck_assert_ptr_null(lockout_config_name(i));
	ck_assert_ptr_null(lockout_config_default(i));
	ck_assert_ptr_null(lockout_config_name((size_t)-1));
	lockout_config_free(&cfg);
}
END_TEST

/* The settings examples (conf.d/90-lockout.conf for Dovecot 2.3,
   conf.d/2.4/90-lockout.conf for 2.4) name every setting once, commented
   out at its default, as their header says. */
static const char *const example_files[] = {
	LOCKOUT_SRCDIR "/conf.d/90-lockout.conf",
	LOCKOUT_SRCDIR "/conf.d/2.4/90-lockout.conf",
};

START_TEST(test_config_examples)
{
	const char *path = example_files[_i];
	unsigned int seen[N_ELEMENTS(setting_names)] = { 0 };
	char line[1024], *p, *eq, *value;
	unsigned int lineno = 0;
	size_t i, len;
	FILE *f;

	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %m", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		len = strlen(line);
		ck_assert_msg(len > 0 && line[len - 1] == '\n',
			      "%s:%u: line too long", path, lineno);
		line[len - 1] = '\0';
		p = line + strspn(line, " ");
		if (strncmp(p, "#lockout_", 9) != 0)
			continue;
		p++;
		eq = strstr(p, " =");
		ck_assert_msg(eq != NULL && (eq[2] == ' ' || eq[2] == '\0'),
			      "%s:%u: no \" = \"", path, lineno);
		*eq = '\0';
		value = eq[2] == '\0' ? eq + 2 : eq + 3;
		for (i = 0; i < lockout_config_count(); i++) {
			if (strcmp(lockout_config_name(i), p) == 0)
				break;
		}
		ck_assert_msg(i < lockout_config_count(),
			      "%s:%u: unknown setting %s", path, lineno, p);
		seen[i]++;
		ck_assert_msg(strcmp(value, lockout_config_default(i)) == 0,
			      "%s:%u: %s = %s, but the default is \"%s\"",
			      path, lineno, p, value,
			      lockout_config_default(i));
	}
	fclose(f);
	for (i = 0; i < lockout_config_count(); i++) {
		ck_assert_msg(seen[i] == 1, "%s: %s is there %u times",
			      path, lockout_config_name(i), seen[i]);
	}
}
END_TEST

/* A value no setting accepts: each must reject it and name itself. */
START_TEST(test_config_set_rejects_all)
{
	static const char *const bad_values[] = {
		"bad\x01value", "\x7f", "\n",
	};
	struct lockout_config cfg, before;
	const char *name = lockout_config_name(_i);
	const char *error = NULL;
	char prefix[64];
	size_t i;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	for (i = 0; i < N_ELEMENTS(bad_values); i++) {
		before = cfg;
		ck_assert_msg(lockout_config_set(&cfg, name, bad_values[i],
						 &error) < 0,
			      "%s accepted value %zu", name, i);
		snprintf(prefix, sizeof(prefix), "%s: ", name);
		ck_assert_msg(strncmp(error, prefix, strlen(prefix)) == 0,
			      "error '%s' does not start with '%s'", error,
			      prefix);
		ck_assert_msg(strstr(error, "\x01") == NULL &&
			      strstr(error, "\n") == NULL,
			      "unescaped value in '%s'", error);
		ck_assert_int_eq(memcmp(&cfg, &before, sizeof(cfg)), 0);
	}
	lockout_config_free(&cfg);
}
END_TEST

static const struct {
	const char *name, *value, *error;
} invalid_settings[] = {
	{ "lockout_db", "", "lockout_db: invalid value '' (must start with "
	  "an absolute path, or be a libpq connection string" },
	{ "lockout_db", "lockout.db", "must start with an absolute path" },
	{ "lockout_db", "/var/lib/x\ty", "must not contain control "
	  "characters" },
	{ "lockout_mode", "Enforce", "lockout_mode: invalid value 'Enforce' "
	  "(expected enforce|observe)" },
	{ "lockout_mode", "", "lockout_mode: invalid value ''" },
	{ "lockout_on_error", "reject", "lockout_on_error: invalid value "
	  "'reject' (expected allow|deny)" },
	{ "lockout_ip_failures", "0", "lockout_ip_failures: invalid number "
	  "'0' (expected 1..100)" },
	{ "lockout_ip_failures", "101", "(expected 1..100)" },
	{ "lockout_ip_failures", "+5", "invalid number '+5'" },
	{ "lockout_ip_failures", "5 ", "invalid number '5 '" },
	{ "lockout_ip_failures", " 5", "invalid number ' 5'" },
	{ "lockout_ip_failures", "0x10", "invalid number '0x10'" },
	{ "lockout_ip_failures", "1e3", "invalid number" },
	{ "lockout_ip_failures", "", "invalid number ''" },
	{ "lockout_ip_failures", "4294967306", "invalid number" },
	{ "lockout_ip_failures", "99999999999999999999999", "invalid number" },
	{ "lockout_ip_window", "10 parsecs", "lockout_ip_window: invalid "
	  "interval '10 parsecs' (expected e.g. \"10 mins\", \"1 hour\", "
	  "\"7 days\")" },
	{ "lockout_ip_window", "0", "lockout_ip_window: invalid interval '0' "
	  "(must be at least 1 sec)" },
	{ "lockout_ip_window", "permanent", "lockout_ip_window: invalid "
	  "interval 'permanent' (not allowed here" },
	{ "lockout_ip_window", "", "lockout_ip_window: invalid interval ''" },
	{ "lockout_ban_time", "0 secs", "lockout_ban_time: invalid interval" },
	{ "lockout_ban_time", "1 fortnight", "or \"permanent\")" },
	{ "lockout_ban_time_max", "5000000000", "lockout_ban_time_max: "
	  "invalid interval '5000000000' (too large)" },
	{ "lockout_ban_permanent_after", "1001", "lockout_ban_permanent_after:"
	  " invalid number '1001' (expected 0..1000)" },
	{ "lockout_ban_permanent_after", "-1", "invalid number" },
	{ "lockout_targeted_users", "admin admin@example.org",
	  "lockout_targeted_users: invalid name 'admin@example.org'" },
	{ "lockout_targeted_users", "admin, @", "invalid name '@'" },
	{ "lockout_targeted_users", "ad\x01min", "invalid name 'ad\\x01min'" },
	{ "lockout_targeted_users", "admin\n", "invalid name 'admin\\x0a'" },
	{ "lockout_targeted_users", "admin " A64 "aaaaaa@x\x01 root",
	  "lockout_targeted_users: invalid name '" A64 "...' (expected" },
	{ "lockout_mode", A64 A64, "lockout_mode: invalid value '" A64
	  "...' (expected enforce|observe)" },
	{ "lockout_targeted_ban_time", "soon", "lockout_targeted_ban_time: "
	  "invalid interval 'soon'" },
	{ "lockout_targeted_failures", "0", "lockout_targeted_failures: "
	  "invalid number '0' (expected 1..100)" },
	{ "lockout_net_ban_hosts", "17", "lockout_net_ban_hosts: invalid "
	  "number '17' (expected 0..16)" },
	{ "lockout_ipv6_net_bans", "17", "lockout_ipv6_net_bans: invalid "
	  "number '17' (expected 0..16)" },
	{ "lockout_ipv6_56_failures", "1001", "lockout_ipv6_56_failures: "
	  "invalid number '1001' (expected 0..1000)" },
	{ "lockout_user_failures", "100001", "lockout_user_failures: invalid "
	  "number '100001' (expected 1..100000)" },
	{ "lockout_user_window", "1 year", "lockout_user_window: invalid "
	  "interval '1 year'" },
	{ "lockout_known_device_time", "permanent",
	  "lockout_known_device_time: invalid interval 'permanent'" },
	{ "lockout_allow_networks", "127.0.0.1/8",
	  "lockout_allow_networks: invalid network '127.0.0.1/8': host bits "
	  "are set, did you mean 127.0.0.0/8?" },
	{ "lockout_allow_networks", "127.0.0.0/8 localhost",
	  "lockout_allow_networks: invalid network 'localhost': not an IP "
	  "address" },
	{ "lockout_allow_networks", "10.0.0.0/33", "lockout_allow_networks: "
	  "invalid network '10.0.0.0/33': invalid prefix length" },
	{ "lockout_ipv6_prefix", "31", "lockout_ipv6_prefix: invalid number "
	  "'31' (expected 32..128)" },
	{ "lockout_ipv6_prefix", "129", "(expected 32..128)" },
	{ "lockout_ipv6_prefix", "/64", "invalid number '/64'" },
	{ "lockout_notify", "root@example.org\nBcc: x@example.org",
	  "lockout_notify: invalid value 'root@example.org\\x0aBcc: "
	  "x@example.org' (must not contain control characters)" },
	{ "lockout_notify_interval", "0", "lockout_notify_interval: invalid "
	  "interval '0' (must be at least 1 sec)" },
	{ "lockout_sendmail", "sendmail -t", "lockout_sendmail: invalid value "
	  "'sendmail -t' (must start with an absolute path)" },
	{ "lockout_sendmail", "", "lockout_sendmail: invalid value ''" },
	{ "lockout_history_time", "30 days ago", "lockout_history_time: "
	  "invalid interval '30 days ago'" },
	{ "lockout_max_sources", "63", "lockout_max_sources: invalid number "
	  "'63' (expected 64..10000000)" },
	{ "lockout_max_sources", "10000001", "(expected 64..10000000)" },
	{ "lockout_firewall_ports", "0", "lockout_firewall_ports: invalid "
	  "port '0' (expected 1..65535 or \"all\")" },
	{ "lockout_firewall_ports", "143 65536", "invalid port '65536'" },
	{ "lockout_firewall_ports", "143 99999999999", "invalid port" },
	{ "lockout_firewall_ports", "imap", "invalid port 'imap'" },
	{ "lockout_firewall_ports", "143/tcp", "invalid port '143/tcp'" },
	{ "lockout_firewall_ports", "-1", "invalid port '-1'" },
	{ "lockout_firewall_ports", "all 143", "invalid port 'all'" },
	{ "lockout_firewall_ports", "1000-1010", "invalid port '1000-1010'" },
	{ "lockout_firewall_ports", " , ", "no ports" },
	{ "lockout_firewall_ports", "",  "no ports" },
	{ "lockout_firewall_ports",
	  "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 "
	  "25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 "
	  "47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65",
	  "65 ports, at most 64" },
	/* issue 12: a mailbox for From: */
	{ "lockout_notify_from", "guard", "lockout_notify_from: invalid "
	  "value 'guard' (must be an address, local@domain, or Display Name "
	  "<local@domain>, in ASCII)" },
	{ "lockout_notify_from", "guard@example.org\r\nBcc: x@example.org",
	  "(must not contain control characters)" },
	{ "lockout_notify_from", "Guard <guard@example.org", "must be an" },
	{ "lockout_notify_from", "a@b <c@d>", "must be an" },
	{ "lockout_notify_from", "\"Guard\" <guard@example.org>", "must be" },
	{ "lockout_notify_from", "guard@exa mple.org", "must be an" },
	{ "lockout_notify_from", ".guard@example.org", "must be an" },
	{ "lockout_notify_from", "guard@example..org", "must be an" },
	{ "lockout_notify_from", "guard@example.org.", "must be an" },
	{ "lockout_notify_from", "@example.org", "must be an" },
	{ "lockout_notify_from", "guard@", "must be an" },
	{ "lockout_notify_from", "G\xc3\xbc" "ard <guard@example.org>",
	  "must be an" },
	{ "lockout_notify_from", "<guard@example.org> x", "must be an" },
	{ "lockout_bogus", "1", "unknown setting 'lockout_bogus'" },
	{ "ip_failures", "1", "unknown setting 'ip_failures'" },
	{ "LOCKOUT_IP_FAILURES", "1", "unknown setting" },
	{ "", "1", "unknown setting ''" },
};

START_TEST(test_config_set_invalid)
{
	struct lockout_config cfg, before;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	before = cfg;
	ck_assert_msg(lockout_config_set(&cfg, invalid_settings[_i].name,
					 invalid_settings[_i].value,
					 &error) < 0,
		      "%s accepted '%s'", invalid_settings[_i].name,
		      invalid_settings[_i].value);
	ck_assert_msg(strstr(error, invalid_settings[_i].error) != NULL,
		      "error '%s' lacks '%s'", error,
		      invalid_settings[_i].error);
	/* Unchanged, down to the pointers. */
	ck_assert_int_eq(memcmp(&cfg, &before, sizeof(cfg)), 0);
	lockout_config_free(&cfg);
}
END_TEST

static const struct {
	const char *name, *value;
} valid_settings[] = {
	{ "lockout_db", "/tmp/x.db" },
	{ "lockout_mode", "observe" },
	{ "lockout_on_error", "deny" },
	{ "lockout_ip_failures", "1" },
	{ "lockout_ip_failures", "100" },
	{ "lockout_ip_failures", "007" },
	{ "lockout_ip_window", "1" },
	{ "lockout_ban_time", "permanent" },
	{ "lockout_ban_time_max", "PERMANENT" },
	{ "lockout_ban_permanent_after", "0" },
	{ "lockout_ban_permanent_after", "1000" },
	{ "lockout_targeted_users", "" },
	{ "lockout_targeted_users", " , " },
	{ "lockout_targeted_users", "J\xc3\xbcrgen" },
	{ "lockout_targeted_ban_time", "permanent" },
	{ "lockout_targeted_failures", "100" },
	{ "lockout_user_failures", "100000" },
	{ "lockout_user_window", "1w" },
	{ "lockout_known_device_time", "90 days" },
	{ "lockout_allow_networks", "" },
	{ "lockout_allow_networks", "0.0.0.0/0 ::/0" },
	{ "lockout_ipv6_prefix", "32" },
	{ "lockout_ipv6_prefix", "128" },
	{ "lockout_notify", "" },
	{ "lockout_notify", "postmaster@example.org" },
	{ "lockout_notify_interval", "15 mins" },
	{ "lockout_sendmail", "/usr/lib/sendmail" },
	{ "lockout_history_time", "365 days" },
	{ "lockout_max_sources", "64" },
	{ "lockout_max_sources", "10000000" },
	{ "lockout_firewall_ports", "all" },
	{ "lockout_firewall_ports", "ALL" },
	{ "lockout_firewall_ports", "143" },
	{ "lockout_firewall_ports", "1,65535" },
	{ "lockout_notify_from", "" },
	{ "lockout_notify_from", "guard@example.org" },
	{ "lockout_notify_from", "Mail Guard <guard@mail.example.org>" },
	{ "lockout_notify_from", "<guard@localhost>" },
	{ "lockout_notify_from", "J. R. Postmaster <j.r+lockout@example.org>" },
};

static const struct {
	const char *value;
	size_t count;
	uint16_t ports[4];
} port_lists[] = {
	{ "all", 0, { 0 } },
	{ "All", 0, { 0 } },
	{ "143", 1, { 143 } },
	{ "993, 143,\t143 25", 3, { 25, 143, 993 } },
	{ "65535 1", 2, { 1, 65535 } },
	{ "0143", 1, { 143 } },
};

START_TEST(test_config_firewall_ports)
{
	struct lockout_config cfg;
	const char *error = NULL;
	size_t i;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_msg(lockout_config_set(&cfg, "lockout_firewall_ports",
					 port_lists[_i].value, &error) == 0,
		      "'%s': %s", port_lists[_i].value, error);
	ck_assert_uint_eq(cfg.firewall_ports_count, port_lists[_i].count);
	if (port_lists[_i].count == 0)
		ck_assert_ptr_null(cfg.firewall_ports);
	for (i = 0; i < port_lists[_i].count; i++)
		ck_assert_uint_eq(cfg.firewall_ports[i],
				  port_lists[_i].ports[i]);
	lockout_config_free(&cfg);
}
END_TEST

START_TEST(test_config_set_valid)
{
	struct lockout_config cfg;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_msg(lockout_config_set(&cfg, valid_settings[_i].name,
					 valid_settings[_i].value,
					 &error) == 0,
		      "%s='%s': %s", valid_settings[_i].name,
		      valid_settings[_i].value, error);
	/* Setting it twice frees the first value (ASan would tell). */
	ck_assert_int_eq(lockout_config_set(&cfg, valid_settings[_i].name,
					    valid_settings[_i].value,
					    &error), 0);
	lockout_config_free(&cfg);
}
END_TEST

START_TEST(test_config_set_values)
{
	struct lockout_config cfg;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_mode", "observe",
					    &error), 0);
	ck_assert_int_eq(cfg.mode, LOCKOUT_MODE_OBSERVE);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_on_error", "deny",
					    &error), 0);
	ck_assert_int_eq(cfg.on_error, LOCKOUT_ON_ERROR_DENY);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_ban_time",
					    "permanent", &error), 0);
	ck_assert_uint_eq(cfg.ban_time, LOCKOUT_TIME_PERMANENT);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_ip_failures",
					    "007", &error), 0);
	ck_assert_uint_eq(cfg.ip_failures, 7);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_allow_networks",
					    "", &error), 0);
	ck_assert_ptr_null(cfg.allow_networks);
	ck_assert_uint_eq(cfg.allow_networks_count, 0);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_allow_networks",
					    "10.0.0.0/8, ::ffff:192.0.2.1",
					    &error), 0);
	ck_assert_uint_eq(cfg.allow_networks_count, 2);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_targeted_users",
					    "", &error), 0);
	ck_assert_ptr_nonnull(cfg.targeted_users);
	ck_assert_ptr_null(cfg.targeted_users[0]);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_targeted_users",
					    "Foo,BAR\tbaz", &error), 0);
	ck_assert_str_eq(cfg.targeted_users[0], "foo");
	ck_assert_str_eq(cfg.targeted_users[1], "bar");
	ck_assert_str_eq(cfg.targeted_users[2], "baz");
	ck_assert_ptr_null(cfg.targeted_users[3]);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_notify",
					    "postmaster@example.org",
					    &error), 0);
	ck_assert_str_eq(cfg.notify, "postmaster@example.org");
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_notify", "",
					    &error), 0);
	ck_assert_str_eq(cfg.notify, "");
	lockout_config_free(&cfg);
}
END_TEST

struct lookup_ctx {
	const char *const *pairs; /* name, value, ..., NULL */
	unsigned int calls;
};

static const char *lookup_pairs(const char *name, void *context)
{
	struct lookup_ctx *ctx = context;
	unsigned int i;

	ctx->calls++;
	for (i = 0; ctx->pairs[i] != NULL; i += 2) {
		if (strcmp(ctx->pairs[i], name) == 0)
			return ctx->pairs[i + 1];
	}
	return NULL;
}

START_TEST(test_config_load)
{
	static const char *const pairs[] = {
		"lockout_ip_window", "",		/* empty: default */
		"lockout_ip_failures", "",		/* empty: default */
		"lockout_db", "",			/* empty: default */
		"lockout_allow_networks", "",		/* empty: none */
		"lockout_targeted_users", "",		/* empty: none */
		"lockout_notify", "",			/* empty: none */
		"lockout_mode", "observe",
		"lockout_ban_time", "2 hours",
		"unrelated_setting", "x",
		NULL
	};
	struct lookup_ctx ctx = { pairs, 0 };
	struct lockout_config cfg;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_ip_window",
					    "1 day", &error), 0);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_ip_failures", "5",
					    &error), 0);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_db", "/x.db",
					    &error), 0);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_notify", "a@b",
					    &error), 0);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_user_failures",
					    "77", &error), 0);

	ck_assert_msg(lockout_config_load(&cfg, lookup_pairs, &ctx,
					  &error) == 0, "%s", error);
	ck_assert_uint_eq(ctx.calls, lockout_config_count());
	ck_assert_uint_eq(cfg.ip_window, 10 * MIN);
	ck_assert_uint_eq(cfg.ip_failures, 10);
	ck_assert_str_eq(cfg.db, "/var/lib/dovecot/lockout/lockout.db");
	ck_assert_ptr_null(cfg.allow_networks);
	ck_assert_uint_eq(cfg.allow_networks_count, 0);
	ck_assert_ptr_null(cfg.targeted_users[0]);
	ck_assert_str_eq(cfg.notify, "");
	ck_assert_int_eq(cfg.mode, LOCKOUT_MODE_OBSERVE);
	ck_assert_uint_eq(cfg.ban_time, 2 * HOUR);
	/* not looked up (NULL): left alone */
	ck_assert_uint_eq(cfg.user_failures, 77);
	ck_assert(!lockout_config_is_targeted(&cfg, "admin"));
	lockout_config_free(&cfg);
}
END_TEST

static const struct {
	const char *pairs[5];
	const char *error;
} load_failures[] = {
	{ { "lockout_ip_window", "10 parsecs", NULL },
	  "lockout_ip_window: invalid interval '10 parsecs'" },
	{ { "lockout_allow_networks", "127.0.0.1/8", NULL },
	  "lockout_allow_networks: invalid network '127.0.0.1/8': host bits" },
	{ { "lockout_ban_time", "8 days", NULL },
	  "lockout_ban_time (8 days) is longer than lockout_ban_time_max "
	  "(7 days)" },
	{ { "lockout_ban_time", "permanent", NULL },
	  "lockout_ban_time (permanent) is longer than lockout_ban_time_max "
	  "(7 days)" },
	{ { "lockout_ban_time_max", "30 mins", NULL },
	  "lockout_ban_time (1 hour) is longer than lockout_ban_time_max "
	  "(30 mins)" },
};

START_TEST(test_config_load_failures)
{
	struct lookup_ctx ctx = { load_failures[_i].pairs, 0 };
	struct lockout_config cfg;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_lt(lockout_config_load(&cfg, lookup_pairs, &ctx,
					     &error), 0);
	ck_assert_msg(strstr(error, load_failures[_i].error) != NULL,
		      "error '%s' lacks '%s'", error, load_failures[_i].error);
	lockout_config_free(&cfg);
}
END_TEST

START_TEST(test_config_load_permanent_max)
{
	static const char *const pairs[] = {
		"lockout_ban_time", "30 days",
		"lockout_ban_time_max", "permanent",
		NULL
	};
	struct lookup_ctx ctx = { pairs, 0 };
	struct lockout_config cfg;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_msg(lockout_config_load(&cfg, lookup_pairs, &ctx,
					  &error) == 0, "%s", error);
	ck_assert_uint_eq(cfg.ban_time_max, LOCKOUT_TIME_PERMANENT);
	lockout_config_free(&cfg);
}
END_TEST

static const struct {
	const char *username;
	bool targeted;
} targeted_cases[] = {
	{ "admin", true },
	{ "ADMIN", true },
	{ "Admin", true },
	{ "admin@example.org", true },
	{ "ADMIN@example.org", true },
	{ "Admin@Example.ORG", true },
	{ "admin@", true },
	{ "admin@a@b", false },		/* local part is "admin@a" */
	{ "x@admin@example.org", false },	/* local part is "x@admin" */
	{ "administrator", true },
	{ "no-reply@example.net", true },
	{ "NoReply", true },
	{ "123", true },
	{ "123@example.org", true },
	{ "postmaster@localhost", true },
	{ "admins", false },
	{ "adm", false },
	{ " admin", false },
	{ "admin ", false },
	{ "admin+tag@example.org", false },
	{ "alice@admin.example.org", false },
	{ "alice", false },
	{ "@admin", false },
	{ "@", false },
	{ "", false },
	{ NULL, false },
};

START_TEST(test_config_is_targeted)
{
	struct lockout_config cfg;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_msg(lockout_config_is_targeted(&cfg,
						 targeted_cases[_i].username) ==
		      targeted_cases[_i].targeted, "'%s'",
		      targeted_cases[_i].username == NULL ? "(null)" :
		      targeted_cases[_i].username);
	lockout_config_free(&cfg);
}
END_TEST

START_TEST(test_config_is_targeted_custom)
{
	struct lockout_config cfg;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_targeted_users",
					    "Foo, BAR\tj\xc3\xbcrgen",
					    &error), 0);
	ck_assert(lockout_config_is_targeted(&cfg, "foo@example.org"));
	ck_assert(lockout_config_is_targeted(&cfg, "FOO"));
	ck_assert(lockout_config_is_targeted(&cfg, "bar"));
	ck_assert(lockout_config_is_targeted(&cfg, "J\xc3\xbcrgen@x"));
	ck_assert(!lockout_config_is_targeted(&cfg, "admin"));
	lockout_config_free(&cfg);
	/* A freed config targets nobody. */
	ck_assert(!lockout_config_is_targeted(&cfg, "foo"));
}
END_TEST

/* lockout_db_display(): no password is ever shown */
static const struct {
	const char *db, *shown;
} db_displays[] = {
	{ "/var/lib/dovecot/lockout/lockout.db",
	  "/var/lib/dovecot/lockout/lockout.db" },
	{ "host=db dbname=lockout user=lockout passfile=/etc/pgpass",
	  "host=db dbname=lockout user=lockout passfile=/etc/pgpass" },
	{ "host=db password=s3cret user=x", "host=db password=*** user=x" },
	{ "password = 's3 cr\\'et' host=db", "password = *** host=db" },
	{ "host=db password=a\\ b user=x", "host=db password=*** user=x" },
	{ "host=db password='unterminated", "host=db ..." },
	{ "host=db junk password=s3cret", "host=db ..." },
	{ "postgresql://lockout:s3cret@db.example.org:5432/lockout",
	  "postgresql://lockout:***@db.example.org:5432/lockout" },
	{ "postgres://lockout@db/lockout?password=s3cret&sslmode=require",
	  "postgres://lockout@db/lockout?password=***&sslmode=require" },
	{ "postgresql://db/lockout?sslmode=require&password=s3cret",
	  "postgresql://db/lockout?sslmode=require&password=***" },
};

START_TEST(test_db_display)
{
	char buf[LOCKOUT_DB_DISPLAY_SIZE], small[16];

	ck_assert_str_eq(lockout_db_display(db_displays[_i].db, buf,
					    sizeof(buf)),
			 db_displays[_i].shown);
	ck_assert(strstr(buf, "s3") == NULL);
	/* cut, never overflowing, still without the password */
	(void)lockout_db_display(db_displays[_i].db, small, sizeof(small));
	ck_assert_uint_le(strlen(small), sizeof(small) - 1);
	ck_assert(strstr(small, "s3") == NULL);
}
END_TEST

START_TEST(test_db_conninfo_value)
{
	char buf[64];

	ck_assert(lockout_db_conninfo_value("host=db passfile=/etc/a b=c",
					    "passfile", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "/etc/a");
	ck_assert(lockout_db_conninfo_value("passfile = '/etc/x y\\'z' "
					    "passfile=/etc/last", "passfile",
					    buf, sizeof(buf)));
	ck_assert_str_eq(buf, "/etc/last");
	ck_assert(lockout_db_conninfo_value("passfile='/etc/x y\\'z'",
					    "passfile", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "/etc/x y'z");
	ck_assert(lockout_db_conninfo_value(
		"postgresql://u@db/l?sslmode=require&passfile=/etc/p",
		"passfile", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "/etc/p");
	ck_assert(!lockout_db_conninfo_value("host=db mypassfile=/x",
					     "passfile", buf, sizeof(buf)));
	ck_assert(!lockout_db_conninfo_value("host=db", "passfile", buf,
					     sizeof(buf)));
	ck_assert(!lockout_db_conninfo_value("passfile=/a/very/long/path/"
					     "that/does/not/fit", "passfile",
					     buf, 8));
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("lockout-config");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_interval_parse_valid, 0,
			    N_ELEMENTS(valid_intervals));
	tcase_add_loop_test(tc, test_interval_parse_invalid, 0,
			    N_ELEMENTS(invalid_intervals));
	tcase_add_loop_test(tc, test_interval_to_str, 0,
			    N_ELEMENTS(interval_strs));
	tcase_add_test(tc, test_config_defaults);
	tcase_add_test(tc, test_config_names);
	tcase_add_test(tc, test_config_db_refused_no_password);
	tcase_add_loop_test(tc, test_config_db_driver, 0,
			    N_ELEMENTS(db_driver_checks));
	tcase_add_loop_test(tc, test_config_conninfo_no_password, 0,
			    N_ELEMENTS(conninfo_secrets));
	tcase_add_loop_test(tc, test_config_examples, 0,
			    N_ELEMENTS(example_files));
	tcase_add_loop_test(tc, test_config_set_rejects_all, 0,
			    N_ELEMENTS(setting_names));
	tcase_add_loop_test(tc, test_config_set_invalid, 0,
			    N_ELEMENTS(invalid_settings));
	tcase_add_loop_test(tc, test_config_set_valid, 0,
			    N_ELEMENTS(valid_settings));
	tcase_add_test(tc, test_config_set_values);
	tcase_add_loop_test(tc, test_config_firewall_ports, 0,
			    N_ELEMENTS(port_lists));
	tcase_add_test(tc, test_config_load);
	tcase_add_loop_test(tc, test_config_load_failures, 0,
			    N_ELEMENTS(load_failures));
	tcase_add_test(tc, test_config_load_permanent_max);
	tcase_add_loop_test(tc, test_config_is_targeted, 0,
			    N_ELEMENTS(targeted_cases));
	tcase_add_test(tc, test_config_is_targeted_custom);
	tcase_add_loop_test(tc, test_db_display, 0,
			    N_ELEMENTS(db_displays));
	tcase_add_test(tc, test_db_conninfo_value);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
