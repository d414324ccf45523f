/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_CONFIG_H
#define LOCKOUT_CONFIG_H

/* The settings of dovecot-lockout (plugin { lockout_* }), parsed from their
   text form by one table shared by defaults, parsing and documentation.
   Times use Dovecot's interval syntax ("10 mins", "1 hour", "7 days"); ban
   times also accept "permanent". */

#include "lockout-addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lockout_mode {
	LOCKOUT_MODE_ENFORCE,
	LOCKOUT_MODE_OBSERVE
};

/* lockout_db_driver: where the ban table lives */
enum lockout_db_driver {
	/* one SQLite file (WAL), lockout_db its absolute path */
	LOCKOUT_DB_DRIVER_SQLITE,
	/* PostgreSQL shared by several nodes, lockout_db a libpq
	   connection string */
	LOCKOUT_DB_DRIVER_PGSQL
};

enum lockout_on_error {
	LOCKOUT_ON_ERROR_ALLOW,
	LOCKOUT_ON_ERROR_DENY
};

/* Most ports lockout_firewall_ports may list. */
#define LOCKOUT_FIREWALL_PORTS_MAX 64

/* A time (in seconds) that never ends. */
#define LOCKOUT_TIME_PERMANENT UINT32_MAX

/* Every field is owned by the struct: change it only through
   lockout_config_set() and release it with lockout_config_free(). Strings are
   never NULL after lockout_config_init() ("" means none). */
/* A yes|no setting (SET_ENUM: stored as unsigned int). */
enum lockout_yesno {
	LOCKOUT_NO = 0,
	LOCKOUT_YES
};

struct lockout_config {
	/* lockout_db: absolute path of the SQLite ban table, or with
	   lockout_db_driver = pgsql a libpq connection string
	   (lockout_config_check() checks which) */
	char *db;
	/* lockout_db_driver: sqlite|pgsql */
	enum lockout_db_driver db_driver;
	/* lockout_node: this node's name in the shared table (the failure
	   rows it writes); "" = the host name */
	char *node;
	/* lockout_mode: enforce|observe */
	enum lockout_mode mode;
	/* lockout_on_error: allow|deny when the ban table is unavailable */
	enum lockout_on_error on_error;
	/* lockout_ip_failures (1..100; each tracked source keeps that many
	   failure times) within lockout_ip_window ban a source */
	unsigned int ip_failures;
	uint32_t ip_window;
	/* lockout_ban_time: first ban; each next one doubles, capped at
	   lockout_ban_time_max; both may be LOCKOUT_TIME_PERMANENT */
	uint32_t ban_time;
	uint32_t ban_time_max;
	/* lockout_ban_permanent_after: bans of one source after which the
	   next is permanent; 0 = never (0..1000) */
	unsigned int ban_permanent_after;
	/* lockout_targeted_users: NULL-terminated array of lower-cased local
	   parts (never NULL; one allocation) */
	char **targeted_users;
	/* lockout_targeted_ban_time: ban for a login to a targeted name */
	uint32_t targeted_ban_time;
	/* lockout_targeted_failures (1..100): threshold for a targeted name
	   that exists as an account */
	unsigned int targeted_failures;
	/* lockout_user_failures (1..100000) within lockout_user_window put an
	   account under protection */
	unsigned int user_failures;
	uint32_t user_window;
	/* lockout_known_device_time: how long a successful (user, network)
	   stays known */
	uint32_t known_device_time;
	/* lockout_allow_networks: never banned by address (NULL when empty) */
	struct lockout_net *allow_networks;
	size_t allow_networks_count;
	/* lockout_ipv6_prefix (32..128): IPv6 sources are counted per
	   network of this size */
	unsigned int ipv6_prefix;
	/* lockout_notify: recipient of notifications; "" = none */
	char *notify;
	/* lockout_notify_interval: digest period */
	uint32_t notify_interval;
	/* lockout_sendmail: command line, starting with an absolute path */
	char *sendmail;
	/* lockout_history_time: how long expired bans and events are kept */
	uint32_t history_time;
	/* lockout_max_sources (64..10000000): cap of the in-memory per-source
	   table */
	unsigned int max_sources;
	/* lockout_protect_time: how long an account stays protected */
	uint32_t protect_time;
	/* lockout_net_ban_hosts (0..16): banned addresses of one IPv4 /24
	   within lockout_net_ban_window that ban the /24; 0 = never */
	unsigned int net_ban_hosts;
	uint32_t net_ban_window;
	/* lockout_max_users (64..10000000): cap of the per-account table */
	unsigned int max_users;
	/* lockout_max_known_devices (64..10000000): cap of the in-memory
	   known (user, network) table */
	unsigned int max_known_devices;
	/* lockout_firewall_ports: TCP ports lockoutd closes to banned
	   sources, sorted ascending without duplicates (at most
	   LOCKOUT_FIREWALL_PORTS_MAX); NULL with count 0 means "all": every
	   packet from a banned source is dropped */
	uint16_t *firewall_ports;
	size_t firewall_ports_count;

	/* issue 13: long memory per source (rule ip_long) */
	/* lockout_ip_long_failures (0..16): distinct failures of a source
	   within lockout_ip_long_window that ban it; 0 = off */
	unsigned int ip_long_failures;
	uint32_t ip_long_window;
	/* lockout_ip_long_ban_time: the first ban by ip_long (escalated) */
	uint32_t ip_long_ban_time;
	/* issue 12: lockout_metrics_file: where lockoutd writes its
	   Prometheus text file (node_exporter's textfile collector); "" =
	   none */
	char *metrics_file;

	/* issue 13: spread of usernames per source (rule ip_spread) */
	/* lockout_ip_spread_usernames (0..16): distinct usernames failing from
	   a source within lockout_ip_spread_window that ban it; 0 = off */
	unsigned int ip_spread_usernames;
	uint32_t ip_spread_window;
	/* lockout_ip_spread_ban_time: the first ban by ip_spread (escalated) */
	uint32_t ip_spread_ban_time;
	/* issue 13: faster protection of an attacked account (rule
	   user_networks) */
	/* lockout_user_networks (0..8): failures with distinct passwords from
	   this many foreign networks (IPv4 /24, IPv6 /48) within
	   lockout_user_networks_window protect the account; 0 = off */
	unsigned int user_networks;
	uint32_t user_networks_window;
	/* lockout_user_networks_protect_time: how long it lasts */
	uint32_t user_networks_protect_time;
	/* lockout_protect_retries (0..16): a source refused by a protection
	   that tries the same password on the account again (within
	   lockout_user_networks_window) reaches the password check, once per
	   source; after this many such retries failed on the account within
	   that window, none more; 0 = off */
	unsigned int protect_retries;
	/* lockout_near_prefix (0..32), lockout_near_prefix6 (0..128): a
	   protected account's owner passes from the IPv4 /N (IPv6 /N) of a
	   network where the account logged in; 0 = no such exemption */
	unsigned int near_prefix, near_prefix6;
	/* issue 12: lockout_notify_from: From: of lockoutd's mail, an
	   address or "Name <address>" in ASCII; "" = "lockoutd
	   <root@HOSTNAME>" */
	char *notify_from;

	/* issue 13: unknown-user alert (rule unknown_alert) */
	/* lockout_alert_unknown (0..1000): unknown-user failures from
	   networks without successes within lockout_alert_window,
	   server-wide, that start the alert; 0 = off */
	unsigned int alert_unknown;
	uint32_t alert_window;
	/* lockout_alert_refuse (yes|no): a suspect of the alert trying
	   another person is refused before the password check (and banned
	   by that refusal); no: the attempt is checked, banned if it fails */
	enum lockout_yesno alert_refuse;
	/* issue 13: IPv6 aggregation (rules ip_failures/56, net_hosts/48 ...,
	   lockout-policy-v6agg.c) */
	/* lockout_ipv6_56_failures, lockout_ipv6_48_failures (0..1000): the
	   /56 (/48) around an IPv6 source is counted as a source of its own
	   when it is wider than lockout_ipv6_prefix: this many failures
	   within lockout_ip_window ban it, and ip_long and ip_spread count
	   there at twice (four times) their thresholds; 0 = not counted */
	unsigned int ipv6_56_failures;
	unsigned int ipv6_48_failures;
	/* lockout_ipv6_net_bans (0..16): banned sources of one /56 (banned
	   /56s of one /48) within lockout_net_ban_window that ban it; 0 =
	   never */
	unsigned int ipv6_net_bans;
	/* issue 13: negative cache of unknown usernames (rule unknown_names,
	   lockout-policy-names.c) */
	/* lockout_unknown_names (0..1048576): usernames the table holds
	   (rounded up to a power of two); 0 = off */
	unsigned int unknown_names;
	/* lockout_unknown_names_time: a username the passdb called unknown
	   is refused before the lookup for this long after */
	uint32_t unknown_names_time;
};

/* Look a setting up by its full name ("lockout_ip_window") for
   lockout_config_load(); returns NULL (or "", see there) when it is unset. */
typedef const char *lockout_config_lookup_t(const char *name, void *context);

/* Fill *cfg with every default, parsed from the same table as the settings
   themselves. Returns 0, or -1 with *error_r set (out of memory); *cfg needs
   lockout_config_free() either way. */
int lockout_config_init(struct lockout_config *cfg, const char **error_r)
	__attribute__((warn_unused_result));

/* Set the setting of the full name to value. Returns 0, or -1 with *error_r
   naming the setting and the (escaped) value for an unknown name, an invalid
   value or out of memory; *cfg is unchanged on failure. An empty value is the
   value itself here: "none" for lockout_allow_networks, lockout_notify and
   lockout_targeted_users, an error for all others. */
int lockout_config_set(struct lockout_config *cfg, const char *name,
		       const char *value, const char **error_r)
	__attribute__((warn_unused_result));

/* Call lookup for every known setting and set those it returns non-NULL.
   An empty string means "none" for lockout_allow_networks, lockout_notify and
   lockout_targeted_users, and "use the default" for every other setting.
   Then checks the settings together (lockout_config_check()). Returns 0, or
   -1 with *error_r set; on failure *cfg stays valid for lockout_config_free()
   but some settings may have been applied. */
int lockout_config_load(struct lockout_config *cfg,
			lockout_config_lookup_t *lookup, void *context,
			const char **error_r)
	__attribute__((warn_unused_result));

/* Check settings that depend on each other (lockout_ban_time must not be
   longer than lockout_ban_time_max). Returns 0, or -1 with *error_r set. */
int lockout_config_check(const struct lockout_config *cfg,
			 const char **error_r)
	__attribute__((warn_unused_result));

/* Release everything *cfg owns and zero it; safe on a zeroed or already
   freed struct. */
void lockout_config_free(struct lockout_config *cfg);

/* Is value a libpq connection string ("key=value ..." or a postgresql://
   URI) rather than a path? */
bool lockout_db_is_conninfo(const char *value);
/* lockout_db as it may be shown (logs, doveadm lockout stats, export):
   a path as is; a libpq connection string with the value of every
   password keyword (and a URI's user:password@ and ?password=) replaced
   by "***", and from a part it cannot parse on replaced by "...", so that
   no password is ever printed. Written into buf (at most size - 1 bytes,
   cut with "..." when longer); returns buf. */
#define LOCKOUT_DB_DISPLAY_SIZE 1024
const char *lockout_db_display(const char *db, char *buf, size_t size);
/* The value of keyword key (e.g. "passfile") in the libpq connection
   string db (keyword = value pairs, or a URI's ?key=value), unquoted, in
   buf; the last one when given twice, as for libpq. Returns false when it
   is not there or does not fit. */
bool lockout_db_conninfo_value(const char *db, const char *key,
			       char *buf, size_t size);

/* Number of settings; name and default text of setting i (< count), in the
   order of the table, or NULL when i is out of range. */
size_t lockout_config_count(void);
const char *lockout_config_name(size_t i);
const char *lockout_config_default(size_t i);

/* Parse a Dovecot interval: a decimal number, optionally followed (with or
   without spaces) by a unit: s, sec, secs, second, seconds, m, min, mins,
   minute, minutes, h, hour, hours, d, day, days, w, week, weeks (any case);
   no unit means seconds. "permanent" (any case) gives LOCKOUT_TIME_PERMANENT
   when allow_permanent is true. Returns 0, or -1 with *error_r set (invalid,
   more than UINT32_MAX-1 seconds, or "permanent" not allowed); *secs_r is
   unchanged on failure. */
int lockout_interval_parse(const char *str, bool allow_permanent,
			   uint32_t *secs_r, const char **error_r)
	__attribute__((warn_unused_result));

/* Print secs in the largest unit that divides it exactly ("90 secs",
   "10 mins", "1 hour", "7 days", "permanent"); the output parses back to
   secs. A size of 32 is always enough. */
void lockout_interval_to_str(uint32_t secs, char *buf, size_t size);

/* True when the local part of username (before its last '@', or all of it
   without '@') equals a lockout_targeted_users entry, ignoring ASCII case; the
   domain does not matter. NULL or an empty local part is never targeted. */
bool lockout_config_is_targeted(const struct lockout_config *cfg,
				const char *username);

#endif
