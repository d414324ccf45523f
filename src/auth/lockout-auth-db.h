/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_AUTH_DB_H
#define LOCKOUT_AUTH_DB_H

#include <sys/types.h>

struct lockout_auth_db;
struct lockout_config;
struct lockout_decision;

/* The ban table, from the auth process: the timers that write the queue,
   follow other writers' changes and retry an unusable table, and the logs.
   The data work is the core's (lockout-writeq, lockout-sync). */

/* As root at init: create the database directory owned by the user the
   auth process drops to, and give root-owned database files to that user;
   *uid_r and *gid_r are that user. i_fatal() when impossible. */
void lockout_auth_db_preinit(const struct lockout_config *cfg,
			     uid_t *uid_r, gid_t *gid_r);
/* Open the table (after the privilege drop, with the ioloop running) and
   start following it. A table that cannot be used is reported and
   retried: the result is never NULL. */
struct lockout_auth_db *lockout_auth_db_init(void);
/* Write what is queued, close the table. NULL-safe. */
void lockout_auth_db_deinit(struct lockout_auth_db **db);
/* Is the table usable now? When not, lockout_on_error decides. */
bool lockout_auth_db_usable(const struct lockout_auth_db *db);
/* Queue a decision of the policy engine for writing (a ban or protection
   at once, the rest within a second). */
void lockout_auth_db_queue_decision(struct lockout_auth_db *db,
				    const struct lockout_decision *decision,
				    bool observed);
/* Queue one failure for the history (aggregated before writing; NULL
   strings are written as ""). */
void lockout_auth_db_queue_failure(struct lockout_auth_db *db, time_t now,
				   const char *ip, const char *user,
				   const char *service, const char *mechanism,
				   const char *result, uint32_t password_tag);

#endif
