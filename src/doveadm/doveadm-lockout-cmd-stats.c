/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"

#include <sysexits.h>

/* doveadm lockout stats: where the table is (db, without a password, and
   db_driver), then one record of counters (one "name: value" line
   each by default; -f json gives one object, for monitoring): the active
   bans by kind and by source, failures and refusals in the last hour and
   day, how big the table is, the rows that would be active bans but are
   invalid (never enforced, counted in no other figure), and the active
   bans by rule (bans_rule_<rule> for each of lockout_ban_rules, then
   bans_rule_other: always the same fields, for monitoring), and the
   unknown-user alerts started within the last day (alerts_day), and the
   logins refused within the last day as unknown names
   (unknown_names_day). */

static void stats_print(struct doveadm_lockout *lo,
			const struct lockout_admin_stats *v)
{
	static const char *const num_fields[] = {
		"bans", "bans_ip", "bans_net", "bans_user",
		"bans_auto", "bans_manual", "bans_feed", "bans_observed",
		"failures_hour", "refused_hour", "failures_day",
		"refused_day", "allowed_networks",
		"rows_bans", "rows_failures", "rows_allowed",
		"rows_known_devices", "rows_events", "db_bytes", "wal_bytes",
		"bans_invalid",
	};
	const uint64_t values[N_ELEMENTS(num_fields)] = {
		v->bans.active,
		v->bans.by_kind[LOCKOUT_KIND_IP],
		v->bans.by_kind[LOCKOUT_KIND_NET],
		v->bans.by_kind[LOCKOUT_KIND_USER],
		v->bans.by_source[LOCKOUT_SOURCE_AUTO],
		v->bans.by_source[LOCKOUT_SOURCE_MANUAL],
		v->bans.by_source[LOCKOUT_SOURCE_FEED],
		v->bans.observed,
		v->failures_hour, v->refused_hour,
		v->failures_day, v->refused_day,
		lo->cfg.allow_networks_count + v->size.allowed,
		v->size.bans, v->size.failures, v->size.allowed,
		v->size.known_devices, v->size.events,
		v->size.bytes, v->wal_bytes,
		v->bans.invalid,
	};
	/* the print layer keeps the header names until the end: static */
	static char rule_fields[LOCKOUT_RULES_OTHER + 1][64];
	unsigned int i;

	doveadm_print_init(DOVEADM_PRINT_TYPE_PAGER);
	doveadm_print_header_simple("db");
	doveadm_print_header_simple("db_driver");
	doveadm_print_header_simple("mode");
	for (i = 0; i < N_ELEMENTS(num_fields); i++) {
		doveadm_print_header(num_fields[i], num_fields[i],
				     DOVEADM_PRINT_HEADER_FLAG_NUMBER);
	}
	for (i = 0; i <= LOCKOUT_RULES_OTHER; i++) {
		i_snprintf(rule_fields[i], sizeof(rule_fields[i]),
			   "bans_rule_%s", i < LOCKOUT_RULES_OTHER ?
			   lockout_ban_rules[i] : "other");
		doveadm_print_header(rule_fields[i], rule_fields[i],
				     DOVEADM_PRINT_HEADER_FLAG_NUMBER);
	}
	doveadm_print_header("alerts_day", "alerts_day",
			     DOVEADM_PRINT_HEADER_FLAG_NUMBER);
	doveadm_print_header("unknown_names_day", "unknown_names_day",
			     DOVEADM_PRINT_HEADER_FLAG_NUMBER);
	doveadm_lockout_print(doveadm_lockout_db_display(&lo->cfg));
	doveadm_lockout_print(lo->cfg.db_driver == LOCKOUT_DB_DRIVER_PGSQL ?
			      "pgsql" : "sqlite");
	doveadm_lockout_print(lo->cfg.mode == LOCKOUT_MODE_OBSERVE ?
		      "observe" : "enforce");
	for (i = 0; i < N_ELEMENTS(num_fields); i++)
		doveadm_print_num(values[i]);
	for (i = 0; i <= LOCKOUT_RULES_OTHER; i++)
		doveadm_print_num(v->bans.by_rule[i]);
	doveadm_print_num(v->alerts_day);
	doveadm_print_num(v->unknown_names_day);
}

static void cmd_lockout_stats(struct doveadm_cmd_context *cctx)
{
	struct doveadm_lockout lo;
	struct lockout_admin_stats v;
	const char *error;

	if (doveadm_lockout_init(cctx, TRUE, &lo) < 0)
		return;
	if (lockout_admin_stats(&lo.admin, &v, &error) < 0)
		doveadm_lockout_fail(cctx, EX_TEMPFAIL, "%s", error);
	else
		stats_print(&lo, &v);
	doveadm_lockout_deinit(&lo);
}

struct doveadm_cmd_ver2 doveadm_cmd_lockout_stats = {
	.name = "lockout stats",
	.cmd = cmd_lockout_stats,
	.usage = "",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAMS_END
};
