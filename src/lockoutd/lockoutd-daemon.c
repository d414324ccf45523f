/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-daemon.h"
#include "lockoutd-log.h"
#include "lockoutd-metrics.h"
#include "lockoutd-notify.h"
#include "lockoutd-rows.h"
#include "lockoutd-sync.h"
#include "lockout-error.h"
#include "lockout-store-sql.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum mail_kind {
	MAIL_NONE,
	MAIL_DIGEST,
	MAIL_PROTECTION,
};

struct lockoutd_daemon {
	const struct lockoutd_daemon_settings *set;
	struct lockout_store *store;
	/* the caller's pointer to it, updated when it is reopened */
	struct lockout_store **store_owner;
	struct lockoutd_fw *fw;
	struct lockoutd_mailer *mailer;
	struct lockoutd_sync *sync;
	struct lockoutd_plan plan;
	struct lockoutd_exempt exempt;
	struct lockoutd_notify_settings notify;

	/* the pass being built */
	int64_t now;
	int64_t max_logged_bad_id, pass_max_bad_id;
	unsigned int exempt_bad, exempt_over;

	/* schedule (monotonic milliseconds; wake and full_due are unix
	   seconds from the sync) */
	int64_t next_full, next_retry;
	bool need_full, need_sync;
	int64_t next_digest, next_protection;
	int64_t next_metrics;
	/* the table's file was deleted or replaced: its successor is
	   reopened once the same file has been there for a whole check */
	int64_t next_file_check;
	bool file_lost;
	dev_t next_dev;
	ino_t next_ino;
	/* PostgreSQL: the connection failed; reopened every
	   LOCKOUTD_RETRY_MSECS, then a full reconcile (the firewall keeps
	   what it has meanwhile) */
	bool db_lost;
	/* a call on the store failed in this pass (not the firewall) */
	bool db_failed;
	int64_t db_lost_since, db_lost_logged;

	/* the mail whose rows are claimed: sendmail runs, or (mail_unclaim)
	   it could not be sent and the rows are still to be given back,
	   tried again at next_unclaim */
	enum mail_kind mail_kind;
	struct lockoutd_mail mail;
	bool mail_unclaim;
	int64_t next_unclaim;
};

static int64_t clock_msecs(clockid_t clock)
{
	struct timespec ts;

	(void)clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lockoutd_daemon_create(const struct lockoutd_daemon_settings *set,
			   struct lockout_store **store,
			   struct lockoutd_fw *fw,
			   struct lockoutd_mailer *mailer,
			   struct lockoutd_daemon **daemon_r,
			   const char **error_r)
{
	struct lockoutd_daemon *daemon;
	int64_t mono = clock_msecs(CLOCK_MONOTONIC);

	*daemon_r = NULL;
	daemon = calloc(1, sizeof(*daemon));
	if (daemon == NULL || lockoutd_sync_create(fw, &daemon->sync) < 0) {
		free(daemon);
		*error_r = lockout_error_fmt("out of memory");
		return -1;
	}
	daemon->set = set;
	daemon->store = *store;
	daemon->store_owner = store;
	daemon->fw = fw;
	daemon->mailer = mailer;
	lockoutd_plan_init(&daemon->plan);
	lockoutd_exempt_init(&daemon->exempt);
	lockoutd_mail_init(&daemon->mail);
	daemon->notify.to = set->cfg->notify;
	daemon->notify.hostname = set->hostname;
	daemon->notify.from = set->cfg->notify_from;
	daemon->notify.interval = set->cfg->notify_interval;
	/* the first digest comes one interval after the start: a daemon
	   restarted in a loop never mails more than once per interval */
	daemon->next_digest = mono + (int64_t)set->cfg->notify_interval * 1000;
	daemon->next_protection = mono;
	daemon->need_full = true;
	*daemon_r = daemon;
	return 0;
}

static void daemon_mail_stop(struct lockoutd_daemon *daemon);

void lockoutd_daemon_free(struct lockoutd_daemon **_daemon)
{
	struct lockoutd_daemon *daemon = *_daemon;

	if (daemon == NULL)
		return;
	*_daemon = NULL;
	daemon_mail_stop(daemon);
	lockoutd_sync_free(&daemon->sync);
	lockoutd_plan_free(&daemon->plan);
	lockoutd_exempt_free(&daemon->exempt);
	lockoutd_mail_free(&daemon->mail);
	free(daemon);
}

/* --- one pass over the table --------------------------------------------- */

static int exempt_add_cb(const char *network, void *context,
			 struct lockoutd_netset *set)
{
	struct lockoutd_daemon *daemon = context;
	struct lockout_net net;
	const char *problem;

	if (lockoutd_net_from_row(network, &net, &problem) < 0) {
		daemon->exempt_bad++;
		return 0;
	}
	if (lockoutd_netset_add(set, &net) < 0) {
		/* out of memory or too many: stop reading; rows that would
		   have been exempt may then be pushed, so say so */
		daemon->exempt_over++;
		return 1;
	}
	return 0;
}

static int allowed_cb(const char *network, const char *reason,
		      int64_t created, void *context)
{
	struct lockoutd_daemon *daemon = context;

	(void)reason;
	(void)created;
	return exempt_add_cb(network, context, &daemon->exempt.allowed);
}

static int known_cb(const char *user, const char *network, int64_t first_seen,
		    int64_t last_seen, void *context)
{
	struct lockoutd_daemon *daemon = context;

	(void)user;
	(void)first_seen;
	(void)last_seen;
	return exempt_add_cb(network, context, &daemon->exempt.known);
}

/* True the first time the invalid row id is seen: each is logged once
   without remembering them all, as new rows have higher ids. */
static bool daemon_bad_row_new(struct lockoutd_daemon *daemon, int64_t id)
{
	if (id <= daemon->max_logged_bad_id)
		return false;
	if (id > daemon->pass_max_bad_id)
		daemon->pass_max_bad_id = id;
	return true;
}

static int ban_cb(const struct lockout_ban *ban, void *context)
{
	struct lockoutd_daemon *daemon = context;
	char quoted[LOCKOUT_QUOTE_BUF_SIZE];
	enum lockoutd_verdict verdict;
	struct lockoutd_elem elem;
	const char *problem;

	verdict = lockoutd_row_check(ban, daemon->now, &daemon->exempt,
				     &elem, &problem);
	daemon->plan.verdicts[verdict]++;
	if (verdict == LOCKOUTD_PUSH)
		return lockoutd_plan_add(&daemon->plan, &elem) < 0 ? -1 : 0;
	if (verdict == LOCKOUTD_SKIP_MALFORMED &&
	    daemon_bad_row_new(daemon, ban->id)) {
		lockout_error_quote(ban->target, strnlen(ban->target, 256),
				    quoted, sizeof(quoted));
		log_warning("ban table row %lld is invalid, never pushed: "
			    "target '%s' (kind %s): %s", (long long)ban->id,
			    quoted, lockout_kind_to_str(ban->kind), problem);
	}
	return 0;
}

/* A row the store skips (it breaks the ban invariants): invalid too. */
static void invalid_ban_cb(int64_t id, const char *problem, void *context)
{
	struct lockoutd_daemon *daemon = context;

	daemon->plan.verdicts[LOCKOUTD_SKIP_MALFORMED]++;
	if (daemon_bad_row_new(daemon, id)) {
		log_warning("ban table row %lld is invalid, never pushed: %s",
			    (long long)id, problem);
	}
}

/* Read what to push and what never to push. */
static int daemon_read_plan(struct lockoutd_daemon *daemon,
			    const char **error_r)
{
	const struct lockout_config *cfg = daemon->set->cfg;
	int64_t since;
	size_t i;
	int ret;

	lockoutd_plan_reset(&daemon->plan);
	lockoutd_netset_clear(&daemon->exempt.allowed);
	lockoutd_netset_clear(&daemon->exempt.known);
	daemon->exempt_bad = daemon->exempt_over = 0;
	for (i = 0; i < cfg->allow_networks_count; i++) {
		if (lockoutd_netset_add(&daemon->exempt.allowed,
					&cfg->allow_networks[i]) < 0) {
			*error_r = lockout_error_fmt("out of memory");
			return -1;
		}
	}
	since = daemon->now - (int64_t)cfg->known_device_time;
	if (lockout_store_iter_allowed(daemon->store, allowed_cb, daemon,
				       error_r) < 0 ||
	    lockout_store_iter_known_devices(daemon->store, since,
					     LOCKOUTD_MAX_EXEMPT, known_cb,
					     daemon, error_r) < 0)
		return -1;
	if (daemon->exempt_over > 0) {
		*error_r = lockout_error_fmt("more than %d allowed and known "
			"networks (or out of memory): not pushing anything "
			"rather than pushing one of them", LOCKOUTD_MAX_EXEMPT);
		return -1;
	}
	daemon->pass_max_bad_id = daemon->max_logged_bad_id;
	lockout_store_set_invalid_ban_callback(daemon->store, invalid_ban_cb,
					       daemon);
	ret = lockout_store_iter_bans(daemon->store, daemon->now, 0, ban_cb,
				      daemon, error_r);
	lockout_store_set_invalid_ban_callback(daemon->store, NULL, NULL);
	if (ret != 0) {
		if (ret > 0 || ret < -1)
			*error_r = lockout_error_fmt("out of memory");
		return -1;
	}
	daemon->max_logged_bad_id = daemon->pass_max_bad_id;
	lockoutd_plan_finish(&daemon->plan);
	return 0;
}

static void daemon_log_sync(struct lockoutd_daemon *daemon,
			    const struct lockoutd_sync_stats *stats)
{
	const unsigned int *v = daemon->plan.verdicts;

	if (!stats->full && stats->added == 0 && stats->removed == 0 &&
	    stats->changed == 0)
		return;
	log_info("firewall %s: +%u -%u ~%u; %zu element%s; not pushed: "
		 "%u allowed, %u known device, %u loopback, %u malformed, "
		 "%u observed, %u covered, %u over limit",
		 stats->full ? "reconciled" : "updated", stats->added,
		 stats->removed, stats->changed, daemon->plan.count,
		 daemon->plan.count == 1 ? "" : "s",
		 v[LOCKOUTD_SKIP_ALLOWED], v[LOCKOUTD_SKIP_KNOWN],
		 v[LOCKOUTD_SKIP_LOOPBACK], v[LOCKOUTD_SKIP_MALFORMED],
		 v[LOCKOUTD_SKIP_OBSERVED], daemon->plan.covered,
		 daemon->plan.over_limit);
	if (daemon->exempt_bad > 0 && stats->full) {
		log_warning("%u malformed rows in the allowed and known "
			    "devices tables ignored", daemon->exempt_bad);
	}
	if (daemon->set->dry_run) {
		lockoutd_log_lines("dry run, would send: ",
				   lockoutd_fw_recorded(daemon->fw));
		lockoutd_fw_recorded_clear(daemon->fw);
	}
}

static int daemon_sync(struct lockoutd_daemon *daemon, bool full)
{
	struct lockoutd_sync_stats stats;
	int64_t now_msecs = clock_msecs(CLOCK_REALTIME);
	const char *error;

	daemon->now = now_msecs / 1000;
	if (daemon_read_plan(daemon, &error) < 0) {
		log_error("reading the ban table: %s", error);
		daemon->db_failed = true;
		return -1;
	}
	if (lockoutd_sync_apply(daemon->sync, &daemon->plan, now_msecs, full,
				&stats, &error) < 0) {
		log_error("updating the firewall: %s", error);
		return -1;
	}
	daemon_log_sync(daemon, &stats);
	return 0;
}

/* --- lockout_metrics_file -------------------------------------------------- */

static void daemon_metrics(struct lockoutd_daemon *daemon, int64_t mono)
{
	const struct lockout_config *cfg = daemon->set->cfg;
	struct lockout_admin_stats stats;
	struct lockout_admin admin;
	struct lockout_str out;
	const char *text, *error;

	if (cfg->metrics_file == NULL || cfg->metrics_file[0] == '\0' ||
	    daemon->set->dry_run || mono < daemon->next_metrics)
		return;
	daemon->next_metrics = mono + LOCKOUTD_METRICS_MSECS;
	memset(&admin, 0, sizeof(admin));
	admin.store = daemon->store;
	admin.cfg = cfg;
	admin.now = clock_msecs(CLOCK_REALTIME) / 1000;
	if (lockout_admin_stats(&admin, &stats, &error) < 0) {
		log_error("metrics: reading the ban table: %s", error);
		daemon->db_failed = true;
		return;
	}
	lockout_str_init(&out);
	lockoutd_metrics_format(&out, &stats, lockoutd_log_errors(),
				admin.now);
	text = lockout_str_c(&out);
	if (text == NULL)
		log_error("metrics: out of memory");
	else if (lockoutd_metrics_write(cfg->metrics_file, text, out.len,
					&error) < 0)
		log_error("metrics: %s", error);
	lockout_str_free(&out);
}

int lockoutd_daemon_reconcile(struct lockoutd_daemon *daemon)
{
	int ret = daemon_sync(daemon, true);

	daemon_metrics(daemon, clock_msecs(CLOCK_MONOTONIC));
	return ret;
}

/* --- mail ----------------------------------------------------------------- */

static const char *mail_kind_name(enum mail_kind kind)
{
	return kind == MAIL_DIGEST ? "digest" : "protection mail";
}

/* Done with the mail: sent, dropped, or its rows given back. */
static void daemon_mail_done(struct lockoutd_daemon *daemon)
{
	lockoutd_mail_free(&daemon->mail);
	daemon->mail_kind = MAIL_NONE;
	daemon->mail_unclaim = false;
}

/* The mail's rows are claimed but it was not sent: give them back, so that
   the next round of any lockoutd sends them. Until that succeeds the rows
   stay claimed (no lockoutd would mail them): retried, no new mail
   meanwhile. */
static void daemon_mail_unclaim(struct lockoutd_daemon *daemon, int64_t mono)
{
	const char *error;

	if (lockoutd_notify_unclaim(daemon->store, &daemon->mail,
				    &error) < 0) {
		log_error("giving back the rows of the unsent %s failed: %s",
			  mail_kind_name(daemon->mail_kind), error);
		daemon->mail_unclaim = true;
		daemon->next_unclaim = mono + LOCKOUTD_RETRY_MSECS;
		daemon->db_failed = true;
		return;
	}
	daemon_mail_done(daemon);
}

/* A mail in flight: has sendmail finished? */
static void daemon_mail_check(struct lockoutd_daemon *daemon, int64_t mono)
{
	const char *error;
	int ret;

	ret = lockoutd_mailer_check(daemon->mailer, mono, &error);
	if (ret == 0)
		return;
	if (ret < 0) {
		log_error("%s to %s not sent (retrying %s): %s",
			  mail_kind_name(daemon->mail_kind),
			  daemon->notify.to,
			  daemon->mail_kind == MAIL_DIGEST ?
			  "with the next digest" : "in a minute", error);
		daemon_mail_unclaim(daemon, mono);
		return;
	}
	log_info("%s sent to %s (%zu bans, %zu events)",
		 mail_kind_name(daemon->mail_kind), daemon->notify.to,
		 daemon->mail.ban_count, daemon->mail.event_count);
	daemon_mail_done(daemon);
}

/* Stopping: a sendmail still running is killed after this (the mailer
   outlives the daemon), so its mail is not sent: give its rows back, as
   after a failed sendmail, rather than lose them. */
static void daemon_mail_stop(struct lockoutd_daemon *daemon)
{
	int64_t mono = clock_msecs(CLOCK_MONOTONIC);

	if (daemon->mail_kind == MAIL_NONE)
		return;
	if (!daemon->mail_unclaim) {
		/* it may have ended since the last round */
		daemon_mail_check(daemon, mono);
		if (daemon->mail_kind == MAIL_NONE || daemon->mail_unclaim)
			return;
		log_info("%s to %s not sent: stopping",
			 mail_kind_name(daemon->mail_kind), daemon->notify.to);
	}
	daemon_mail_unclaim(daemon, mono);
}

/* Claim the composed mail's rows, then hand it to sendmail. */
static void daemon_mail_send(struct lockoutd_daemon *daemon,
			     enum mail_kind kind, int64_t mono)
{
	const char *text = lockout_str_c(&daemon->mail.text), *error;
	int64_t again;
	int ret;

	if (daemon->set->dry_run) {
		log_info("dry run, would send this %s:",
			 mail_kind_name(kind));
		lockoutd_log_lines("| ", text == NULL ? "" : text);
		lockoutd_mail_free(&daemon->mail);
		return;
	}
	ret = lockoutd_notify_claim(daemon->store, &daemon->mail, &error);
	if (ret <= 0) {
		if (ret < 0) {
			/* nothing claimed: composed again soon (busy: the
			   rows were locked by another lockoutd's claim) */
			log_error("%s to %s not sent: claiming its rows: %s",
				  mail_kind_name(kind), daemon->notify.to,
				  error);
			daemon->db_failed = true;
			again = mono + LOCKOUTD_RETRY_MSECS;
		} else {
			/* another lockoutd on this table claimed some of
			   these rows and mails them: compose again at the
			   next tick from what is left */
			log_info("%s not sent: another lockoutd sharing the "
				 "ban table mails its rows",
				 mail_kind_name(kind));
			again = mono;
		}
		if (kind == MAIL_DIGEST)
			daemon->next_digest = again;
		else
			daemon->next_protection = again;
		lockoutd_mail_free(&daemon->mail);
		return;
	}
	daemon->mail_kind = kind;
	if (lockoutd_mailer_start(daemon->mailer, text, daemon->mail.text.len,
				  mono, &error) < 0) {
		log_error("%s to %s not sent: %s", mail_kind_name(kind),
			  daemon->notify.to, error);
		daemon_mail_unclaim(daemon, mono);
	}
}

static void daemon_notify(struct lockoutd_daemon *daemon, int64_t mono)
{
	int64_t now = clock_msecs(CLOCK_REALTIME) / 1000;
	const char *error;
	int ret;

	if (daemon->mailer == NULL || daemon->notify.to[0] == '\0')
		return;
	if (daemon->mail_unclaim) {
		if (mono < daemon->next_unclaim)
			return;
		daemon_mail_unclaim(daemon, mono);
		if (daemon->mail_kind != MAIL_NONE)
			return;
	} else if (daemon->mail_kind != MAIL_NONE) {
		daemon_mail_check(daemon, mono);
		if (daemon->mail_kind != MAIL_NONE)
			return;
	}
	if (mono >= daemon->next_protection) {
		ret = lockoutd_notify_protection(daemon->store,
						 &daemon->notify, now,
						 &daemon->mail, &error);
		if (ret < 0) {
			log_error("composing the protection mail: %s", error);
			lockoutd_mail_free(&daemon->mail);
		} else if (ret > 0) {
			daemon->next_protection =
				mono + LOCKOUTD_PROTECTION_SPACING_MSECS;
			daemon_mail_send(daemon, MAIL_PROTECTION, mono);
			return;
		}
		daemon->next_protection = mono + LOCKOUTD_RETRY_MSECS;
	}
	if (mono >= daemon->next_digest) {
		/* whatever happens, no other digest for an interval */
		daemon->next_digest =
			mono + (int64_t)daemon->notify.interval * 1000;
		ret = lockoutd_notify_digest(daemon->store, &daemon->notify,
					     now,
					     now - daemon->notify.interval,
					     &daemon->mail, &error);
		if (ret < 0) {
			log_error("composing the digest: %s", error);
			lockoutd_mail_free(&daemon->mail);
		} else if (ret > 0) {
			daemon_mail_send(daemon, MAIL_DIGEST, mono);
		}
	}
}

/* --- the loop ---------------------------------------------------------- */

static int64_t min_deadline(int64_t a, int64_t b)
{
	return b != 0 && b < a ? b : a;
}

/* Milliseconds until unix second t (0 = never), as a monotonic time. */
static int64_t unix_to_mono(int64_t t, int64_t mono, int64_t real)
{
	if (t == 0)
		return 0;
	return mono + (t * 1000 - real);
}

/* Handle the pending signals; returns false when asked to stop. */
static bool daemon_signals(struct lockoutd_daemon *daemon, int signal_fd,
			   int64_t mono)
{
	struct signalfd_siginfo info;
	ssize_t ret;

	while ((ret = read(signal_fd, &info, sizeof(info))) ==
	       (ssize_t)sizeof(info)) {
		switch (info.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_info("stopping (signal %u); the firewall keeps "
				 "its elements", info.ssi_signo);
			return false;
		case SIGHUP:
			daemon->need_full = true;
			break;
		case SIGUSR1:
			daemon->next_digest = mono;
			break;
		default:
			/* SIGCHLD: the mail check below reaps */
			break;
		}
	}
	return true;
}

/* Work on a reopened store from now on, starting with a full reconcile
   (what changed while the old one was unusable is not known). */
static void daemon_store_replace(struct lockoutd_daemon *daemon,
				 struct lockout_store *store)
{
	lockout_store_close(&daemon->store);
	daemon->store = store;
	*daemon->store_owner = store;
	daemon->need_full = true;
	daemon->next_retry = 0;
}

/* --- the table's file deleted or replaced ------------------------------- */

/* A wrong rm, a cleanup script, a backup copied over it: SQLite keeps
   reading the file lockoutd opened, which nobody writes any more. The auth
   process notices the same and writes the table back at the path
   (docs/faults.md); lockoutd reopens what is there once the same file has
   been there at two checks in a row (a foreign file the auth process moves
   aside in between is never taken), and meanwhile keeps the firewall as
   it is. Never creates the table. */
static void daemon_check_file(struct lockoutd_daemon *daemon, int64_t mono)
{
	const char *path = daemon->set->cfg->db, *error;
	enum lockout_store_file_state state;
	struct lockout_store *store;
	struct stat st;
	int err;

	if (daemon->set->cfg->db_driver != LOCKOUT_DB_DRIVER_SQLITE) {
		/* no file: a lost connection is daemon_db_reopen()'s */
		return;
	}
	if (mono < daemon->next_file_check)
		return;
	daemon->next_file_check = mono + LOCKOUTD_FILE_CHECK_MSECS;
	if (!daemon->file_lost) {
		state = lockout_store_file_state(daemon->store, &err);
		if (state != LOCKOUT_STORE_FILE_DELETED &&
		    state != LOCKOUT_STORE_FILE_REPLACED)
			return;
		log_error("ban table %s was %s while in use: the firewall "
			  "keeps what it has, and the table is reopened once "
			  "the auth process has written it back",
			  path, state == LOCKOUT_STORE_FILE_DELETED ?
			  "deleted" : "replaced");
		daemon->file_lost = true;
		daemon->next_ino = 0;
	}
	if (stat(path, &st) < 0) {
		daemon->next_ino = 0;
		return;
	}
	if (daemon->next_ino == 0 || st.st_dev != daemon->next_dev ||
	    st.st_ino != daemon->next_ino) {
		/* there since this check only: look again at the next */
		daemon->next_dev = st.st_dev;
		daemon->next_ino = st.st_ino;
		return;
	}
	if (lockout_store_open(path, 0, LOCKOUTD_DB_BUSY_TIMEOUT_MSECS,
			       &store, &error) < 0)
		return;
	daemon_store_replace(daemon, store);
	daemon->file_lost = false;
	log_info("ban table %s reopened", path);
}

/* --- PostgreSQL unreachable ----------------------------------------------- */

/* A call on the store failed: with PostgreSQL, unless it was only busy
   (a lock held beyond the busy timeout), the connection is taken for lost
   (the server restarted, the network broke) and reopened. SQLite's errors
   are retried on the same connection, as before. */
static void daemon_db_error(struct lockoutd_daemon *daemon, int64_t mono)
{
	daemon->db_failed = false;
	if (daemon->set->cfg->db_driver == LOCKOUT_DB_DRIVER_SQLITE ||
	    daemon->db_lost || lockout_store_error_is_busy(daemon->store))
		return;
	daemon->db_lost = true;
	daemon->db_lost_since = mono;
	daemon->db_lost_logged = mono;
	daemon->next_retry = mono + LOCKOUTD_RETRY_MSECS;
	log_error("ban table unreachable: the firewall keeps what it has; "
		  "reconnecting every %d s", LOCKOUTD_RETRY_MSECS / 1000);
}

/* Reconnect (a new store: new connection, LISTEN again), then a full
   reconcile, since the notifications sent meanwhile are lost. Never
   creates the schema. */
static void daemon_db_reopen(struct lockoutd_daemon *daemon, int64_t mono)
{
	const struct lockout_config *cfg = daemon->set->cfg;
	struct lockout_store *store;
	const char *error;

	if (mono < daemon->next_retry)
		return;
	daemon->next_retry = mono + LOCKOUTD_RETRY_MSECS;
	if (lockout_store_open_db(cfg->db_driver, cfg->db, 0,
				  LOCKOUTD_DB_BUSY_TIMEOUT_MSECS, &store,
				  &error) < 0) {
		if (mono - daemon->db_lost_logged >= LOCKOUTD_DB_LOST_LOG_MSECS) {
			log_warning("ban table still unreachable after %lld s "
				    "(the firewall keeps what it has): %s",
				    (long long)((mono - daemon->db_lost_since) /
						1000), error);
			daemon->db_lost_logged = mono;
		}
		return;
	}
	daemon_store_replace(daemon, store);
	daemon->db_lost = false;
	log_info("ban table reachable again after %lld s: full reconcile",
		 (long long)((mono - daemon->db_lost_since) / 1000));
}

int lockoutd_daemon_run(struct lockoutd_daemon *daemon, int signal_fd)
{
	struct pollfd pfd[2] = {
		{ .fd = signal_fd, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
	};
	int64_t mono, real, deadline, wake, full_due;
	const char *error;
	bool full;
	int ret;

	mono = clock_msecs(CLOCK_MONOTONIC);
	daemon->next_full = mono + LOCKOUTD_RECONCILE_MSECS;
	for (;;) {
		mono = clock_msecs(CLOCK_MONOTONIC);
		real = clock_msecs(CLOCK_REALTIME);
		deadline = mono + LOCKOUTD_POLL_MSECS;
		wake = unix_to_mono(daemon->plan.wake, mono, real);
		full_due = unix_to_mono(lockoutd_sync_full_due(daemon->sync),
					mono, real);
		deadline = min_deadline(deadline, wake);
		deadline = min_deadline(deadline, full_due);
		/* PostgreSQL: a notification wakes us at once. Only when the
		   store is asked right after waking: a readable socket that
		   nobody reads (while waiting to retry) would spin the loop */
		pfd[1].fd = daemon->db_lost || daemon->file_lost ||
			mono < daemon->next_retry ? -1 :
			lockout_store_fd(daemon->store);
		ret = poll(pfd, pfd[1].fd < 0 ? 1 : 2, deadline > mono ?
			   (int)(deadline - mono) : 0);
		if (ret < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return LOCKOUTD_EXIT_FAILURE;
		}
		mono = clock_msecs(CLOCK_MONOTONIC);
		real = clock_msecs(CLOCK_REALTIME);
		if (ret > 0 && pfd[0].revents != 0 &&
		    !daemon_signals(daemon, signal_fd, mono))
			return LOCKOUTD_EXIT_OK;

		daemon_check_file(daemon, mono);
		if (daemon->file_lost) {
			/* nothing to read or mark: the old file is no
			   one's now */
			continue;
		}
		if (daemon->db_lost) {
			daemon_db_reopen(daemon, mono);
			if (daemon->db_lost)
				continue;
		}
		ret = mono < daemon->next_retry ? 0 :
			lockout_store_changed(daemon->store, &error);
		if (ret < 0) {
			log_error("ban table: %s", error);
			daemon->next_retry = mono + LOCKOUTD_RETRY_MSECS;
			daemon->need_full = true;
			daemon_db_error(daemon, mono);
			continue;
		} else if (ret > 0) {
			daemon->need_sync = true;
		}
		wake = unix_to_mono(daemon->plan.wake, mono, real);
		full_due = unix_to_mono(lockoutd_sync_full_due(daemon->sync),
					mono, real);
		full = daemon->need_full || mono >= daemon->next_full ||
			(full_due != 0 && mono >= full_due);
		if ((full || daemon->need_sync ||
		     (wake != 0 && mono >= wake)) &&
		    mono >= daemon->next_retry) {
			if (daemon_sync(daemon, full) < 0) {
				/* keep what the kernel has; try again */
				daemon->next_retry = mono +
					LOCKOUTD_RETRY_MSECS;
				daemon->need_full = true;
				if (daemon->db_failed) {
					daemon_db_error(daemon, mono);
					continue;
				}
			} else {
				daemon->need_sync = false;
				daemon->need_full = false;
				if (full) {
					daemon->next_full = mono +
						LOCKOUTD_RECONCILE_MSECS;
				}
			}
		}
		daemon_notify(daemon, mono);
		daemon_metrics(daemon, mono);
		if (daemon->db_failed)
			daemon_db_error(daemon, mono);
	}
}
