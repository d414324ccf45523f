/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUTD_DAEMON_H
#define LOCKOUTD_DAEMON_H

/* The running lockoutd: follows the ban table, mirrors it into the
   firewall, sends the postmaster's mail. lockoutd-main.c parses the
   command line, reads the settings and opens what is needed; this file
   does the work. */

#include "lockout-config.h"
#include "lockout-store.h"
#include "lockoutd-fw.h"
#include "lockoutd-mailer.h"

#include <stdbool.h>
#include <stdint.h>

/* How often PRAGMA data_version is asked, or with PostgreSQL the
   notifications already received are read (see docs/lockoutd.md for the
   measurements behind it). */
#define LOCKOUTD_POLL_MSECS 20
/* Full reconcile period: the sets are emptied and filled again from the
   table in one transaction. */
#define LOCKOUTD_RECONCILE_MSECS (300 * 1000)
/* Retry period of a failed firewall update or an unusable ban table. */
#define LOCKOUTD_RETRY_MSECS 2000
/* How long SQLite waits for another writer's lock. */
#define LOCKOUTD_DB_BUSY_TIMEOUT_MSECS 200
/* How often the file at lockout_db is compared with the one opened (a
   deleted or replaced table is reopened, see lockoutd_daemon_run()). */
#define LOCKOUTD_FILE_CHECK_MSECS 1000
/* With PostgreSQL unreachable, how often "still unreachable" is logged
   (it is retried every LOCKOUTD_RETRY_MSECS). */
#define LOCKOUTD_DB_LOST_LOG_MSECS (60 * 1000)
/* Least time between two protection mails; protections in between are
   gathered into the next one. */
#define LOCKOUTD_PROTECTION_SPACING_MSECS (60 * 1000)

/* Exit codes (documented in lockoutd(8)). */
enum lockoutd_exit {
	LOCKOUTD_EXIT_OK = 0,
	LOCKOUTD_EXIT_FAILURE = 1,
	LOCKOUTD_EXIT_USAGE = 2,
	LOCKOUTD_EXIT_CONFIG = 3,
	LOCKOUTD_EXIT_DB = 4,
};

struct lockoutd_daemon_settings {
	const struct lockout_config *cfg;
	/* this host's name for the mail */
	const char *hostname;
	/* log the firewall commands, send no mail, write nothing */
	bool dry_run;
};

struct lockoutd_daemon;

/* Create the daemon around an open store and an initialized firewall
   (both stay owned by the caller and must outlive it), and a mailer (NULL
   when lockout_notify is empty; also owned by the caller). *store is the
   caller's: when the table's file is deleted or replaced, the daemon
   closes it and puts the reopened one there. Returns 0, or -1 with
   *error_r. */
int lockoutd_daemon_create(const struct lockoutd_daemon_settings *set,
			   struct lockout_store **store,
			   struct lockoutd_fw *fw,
			   struct lockoutd_mailer *mailer,
			   struct lockoutd_daemon **daemon_r,
			   const char **error_r)
	__attribute__((warn_unused_result));
/* Free the daemon. A mail whose sendmail still runs (killed when the
   mailer is freed, after this) has its rows given back, for the next round
   of any lockoutd. */
void lockoutd_daemon_free(struct lockoutd_daemon **daemon);

/* Bring the firewall to the table once (full reconcile). Returns 0, or -1
   (logged). */
int lockoutd_daemon_reconcile(struct lockoutd_daemon *daemon)
	__attribute__((warn_unused_result));

/* Run until SIGTERM or SIGINT (which must be blocked by the caller, as
   SIGHUP, SIGUSR1 and SIGCHLD: they are read through signalfd). SIGHUP
   asks for a full reconcile, SIGUSR1 for the digest now. Returns an exit
   code. */
int lockoutd_daemon_run(struct lockoutd_daemon *daemon, int signal_fd);

#endif
