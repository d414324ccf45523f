/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STORE_FAIL2BAN_H
#define LOCKOUT_STORE_FAIL2BAN_H

/* Reading the current bans of fail2ban's own database (the SQLite file
   fail2ban keeps, by default /var/lib/fail2ban/fail2ban.sqlite3; its "bips"
   table, fail2ban 0.11 and later), opened read-only: fail2ban may keep
   running. */

#include <stdint.h>

/* The jails guarding Dovecot and Postfix SASL: fail2ban's stock "dovecot",
   "sieve", "postfix-sasl" and "sasl" (older fail2ban), and
   docker-mailserver's "custom" (its manual bans on the mail ports).
   NULL-terminated. */
extern const char *const lockout_fail2ban_default_jails[];

/* Most jails one call takes. */
#define LOCKOUT_FAIL2BAN_JAILS_MAX 64

/* One current ban. expires is unix seconds, 0 when permanent (bantime -1).
   The strings are valid only during the callback; ip is not validated. */
struct lockout_fail2ban_ban {
	const char *ip, *jail;
	int64_t timeofban, expires;
};

/* Call callback for each ban of fail2ban's database at path, in one of the
   count jails, still active at now (timeofban + bantime > now, or bantime
   -1), ordered by ip then jail. Rows with an unknown ban time (-2, from an
   upgrade) or without an address are skipped. Returns 0, the callback's
   non-zero value if it stopped, or -1 with *error_r (a missing file, not
   a fail2ban database, too many jails). */
int lockout_fail2ban_iter(const char *path, const char *const *jails,
			  unsigned int count, int64_t now,
			  int (*callback)(const struct lockout_fail2ban_ban *ban,
					  void *context),
			  void *context, const char **error_r)
	__attribute__((warn_unused_result));

#endif
