/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STORE_STATS_H
#define LOCKOUT_STORE_STATS_H

/* Figures over the whole database for doveadm lockout stats: the active
   bans counted by kind and source, the rows of each table and the file
   size. Errors and busy: see lockout-store-sql.h. */

#include "lockout-ban.h"
#include "lockout-store-sql.h"

/* issue 13: the rules whose active bans are counted by name (the engine's,
   the administrator's, fail2ban's import), NULL-terminated; a ban by any
   other rule (an import's own name) counts in by_rule[LOCKOUT_RULES_OTHER].
   "ipv6_net" counts the bans of IPv6 /56s and /48s by every rule
   (ip_failures/56, net_hosts/48 ...). Add new rules of the engine at the
   end. */
extern const char *const lockout_ban_rules[];
#define LOCKOUT_RULES_OTHER 13

/* Active bans at a moment, counted (saturating at UINT_MAX). */
struct lockout_ban_counts {
	/* enforced bans (not observed), in total, by kind and by source */
	unsigned int active;
	unsigned int by_kind[LOCKOUT_KIND_COUNT];
	unsigned int by_source[LOCKOUT_SOURCE_COUNT];
	/* bans made in observe mode that would be active */
	unsigned int observed;
	/* enforced bans by rule: lockout_ban_rules[i], then the others */
	unsigned int by_rule[LOCKOUT_RULES_OTHER + 1];
	/* rows that would be active but are invalid (they break the ban
	   invariants, or fail lockout_ban_check_target()): never enforced,
	   counted in none of the above */
	unsigned int invalid;
};

/* Count the bans active at now into *counts_r, reading and checking every
   row. Invalid rows are counted in counts_r->invalid (not in
   lockout_store_skipped_rows()) and reported to the invalid ban callback.
   Fails when called from an iteration callback. */
int lockout_store_count_active(struct lockout_store *store, int64_t now,
			       struct lockout_ban_counts *counts_r,
			       const char **error_r)
	__attribute__((warn_unused_result));

/* The unknown-user alerts (events alert_started, issue 13) that started
   at since or later into *alerts_r. */
int lockout_store_count_alerts(struct lockout_store *store, int64_t since,
			       uint64_t *alerts_r, const char **error_r)
	__attribute__((warn_unused_result));
/* The failure rows of result "unknown_name" (logins refused by the
   negative cache of unknown usernames, issue 13) at since or later,
   counted, into *refused_r. */
int lockout_store_count_unknown_names(struct lockout_store *store,
				      int64_t since, uint64_t *refused_r,
				      const char **error_r)
	__attribute__((warn_unused_result));

/* Rows of each table and the size of the database file. */
struct lockout_store_size {
	uint64_t bans, failures, allowed, known_devices, events;
	/* bytes of the main database file (pages in use and free; the WAL
	   not counted) */
	uint64_t bytes;
};

/* Fill *size_r. Counting the failure history reads all of its index. */
int lockout_store_size(struct lockout_store *store,
		       struct lockout_store_size *size_r,
		       const char **error_r)
	__attribute__((warn_unused_result));

#endif
