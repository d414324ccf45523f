/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "ioloop.h"
#include "restrict-access.h"
#include "lockout-auth-private.h"
#include "lockout-auth-db-private.h"
#include "lockout-policy.h"
#include "lockout-store.h"
#include "lockout-sync.h"
#include "lockout-writeq.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* The ban table as the auth process uses it. Nothing here runs per request:
   requests only append to the bounded write queue, and a timer writes it
   in one transaction: at once after the request for a ban (so that lockoutd
   firewalls it and other processes see it), or when many failure rows
   wait; else the batch is written at most LOCKOUT_BATCH_MSECS after its
   first record. One transaction a second rather than three: each writes
   the index pages that its rows touched, and a flood of failures from new
   addresses touches pages all over the failures table's indexes. Another
   timer follows changes made by other processes (doveadm, lockoutd)
   through SQLite's data_version and reloads the bans. */

#define LOCKOUT_POLL_MSECS 400
/* the auth process never waits for a lock: its timers run in the same
   ioloop as the requests, so any wait here delays every login. A busy
   table is retried on the next tick, with the writes kept queued. */
#define LOCKOUT_BUSY_TIMEOUT_MSECS 0
/* history pruning: bounded batches, now and then */
#define LOCKOUT_PRUNE_SECS 600
/* is the file at lockout_db still the one open? one stat() each time */
#define LOCKOUT_FILE_CHECK_SECS 1

static void lockout_chown_if_root(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			i_error("lockout: stat(%s) failed: %m", path);
		return;
	}
	/* a root doveadm or lockoutd may have created the file first; the
	   auth process could not write it after dropping privileges */
	if (st.st_uid == 0 && uid != 0 && chown(path, uid, gid) < 0)
		i_error("lockout: chown(%s, %s) failed: %m", path,
			dec2str(uid));
}

void lockout_auth_db_preinit(const struct lockout_config *cfg,
			     uid_t *uid_r, gid_t *gid_r)
{
	struct restrict_access_settings rset;
	const char *dir, *p;
	struct stat st;
	uid_t uid;
	gid_t gid;

	/* the user we will run as after the privilege drop owns the data */
	restrict_access_get_env(&rset);
	uid = rset.uid != (uid_t)-1 ? rset.uid : geteuid();
	gid = rset.gid != (gid_t)-1 ? rset.gid : getegid();
	*uid_r = uid;
	*gid_r = gid;
	if (cfg->db_driver != LOCKOUT_DB_DRIVER_SQLITE)
		return; /* no file of ours */

	p = strrchr(cfg->db, '/');
	i_assert(p != NULL); /* lockout_db is checked to be absolute */
	dir = p == cfg->db ? "/" : t_strdup_until(cfg->db, p);
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT)
			i_fatal("lockout: stat(%s) failed: %m", dir);
		if (mkdir(dir, 0750) < 0 && errno != EEXIST)
			i_fatal("lockout: mkdir(%s) failed: %m "
				"(lockout_db=%s)", dir, cfg->db);
		if (chown(dir, uid, gid) < 0)
			i_fatal("lockout: chown(%s) failed: %m", dir);
	} else if (!S_ISDIR(st.st_mode)) {
		i_fatal("lockout: %s is not a directory (lockout_db=%s)",
			dir, cfg->db);
	} else if (st.st_uid != uid && uid != 0) {
		i_warning("lockout: %s is owned by uid %s, but the auth "
			  "process runs as uid %s: SQLite needs to create "
			  "files there (chown it)", dir, dec2str(st.st_uid),
			  dec2str(uid));
	}
	lockout_chown_if_root(cfg->db, uid, gid);
	lockout_chown_if_root(t_strconcat(cfg->db, "-wal", NULL), uid, gid);
	lockout_chown_if_root(t_strconcat(cfg->db, "-shm", NULL), uid, gid);
}

bool lockout_auth_db_usable(const struct lockout_auth_db *db)
{
	return db->usable;
}

void lockout_db_busy(struct lockout_auth_db *db, const char *error)
{
	if (db->busy_warned)
		return;
	e_warning(db->event, "Ban table %s is busy (another process holds "
		  "its lock): %s - writes are queued and retried, no login "
		  "waits", db->name, error);
	db->busy_warned = TRUE;
}

void lockout_db_not_busy(struct lockout_auth_db *db)
{
	if (!db->busy_warned)
		return;
	e_info(db->event, "Ban table %s is no longer busy; queued writes "
	       "were written", db->name);
	db->busy_warned = FALSE;
}

/* The kind of a store error "path: what: detail" is its detail: the same
   fault seen by another statement is the same fault. */
static const char *lockout_db_error_kind(const struct lockout_auth_db *db,
					 const char *error)
{
	size_t len = strlen(db->name);
	const char *p;

	/* PostgreSQL's store names its database "pgsql:dbname=... host=...
	   port=...", never with the connection string (its password) */
	if (strncmp(error, "pgsql:", 6) == 0 &&
	    (p = strstr(error, ": ")) != NULL)
		len = p - error;
	else if (strncmp(error, db->name, len) != 0)
		return error;
	if (strncmp(error + len, ": ", 2) != 0)
		return error;
	p = strstr(error + len + 2, ": ");
	return p == NULL ? error : p + 2;
}

static void lockout_db_lost(struct lockout_auth_db *db,
			    enum lockout_store_file_state state);

void lockout_db_complain(struct lockout_auth_db *db, const char *error)
{
	bool deny = db->cfg->on_error == LOCKOUT_ON_ERROR_DENY;
	const char *kind = lockout_db_error_kind(db, error);
	bool same_kind = db->last_error != NULL &&
		strcmp(db->last_error, kind) == 0;

	/* loudly, at once, then at most once a minute for the same error,
	   even if the table looked usable for a moment in between */
	if (!same_kind || ioloop_time - db->last_complaint >=
	    LOCKOUT_COMPLAIN_SECS) {
		e_error(db->event, "Ban table %s is unusable: %s - "
			"lockout_on_error=%s: %s; retrying every %u secs",
			db->name, error, deny ? "deny" : "allow",
			deny ? "ALL LOGINS ARE REFUSED" :
			"logins are allowed, only bans held in memory apply",
			LOCKOUT_RETRY_SECS);
		db->last_complaint = ioloop_time;
		i_free(db->last_error);
		db->last_error = i_strdup(kind);
		db->recovery_owed = TRUE;
	}
	db->usable = FALSE;
}

void lockout_db_recovered(struct lockout_auth_db *db)
{
	if (db->recovery_owed) {
		/* once per logged complaint: a table that flaps does not
		   alternate lines every retry */
		e_info(db->event, "Ban table %s is usable again", db->name);
		db->recovery_owed = FALSE;
	}
}

static void lockout_db_set_unusable(struct lockout_auth_db *db,
				    const char *error)
{
	enum lockout_store_file_state state;
	int stat_errno;

	/* SQLite refuses to write a file deleted or moved while open: that
	   is the table lost, not a fault of the table */
	if (db->store != NULL) {
		state = lockout_store_file_state(db->store, &stat_errno);
		if (state == LOCKOUT_STORE_FILE_DELETED ||
		    state == LOCKOUT_STORE_FILE_REPLACED) {
			lockout_db_lost(db, state);
			return;
		}
	}
	lockout_db_complain(db, error);
	lockout_store_close(&db->store);
	db->next_retry = ioloop_time + LOCKOUT_RETRY_SECS;
}

/* Each invalid row of the ban table once (lockout-sync remembers which
   were reported), at most LOCKOUT_SYNC_INVALID_MAX lines a reload. */
void lockout_db_log_read(struct lockout_auth_db *db,
			 const struct lockout_sync_result *result)
{
	unsigned int i, count = I_MIN(result->invalid_new,
				      LOCKOUT_SYNC_INVALID_MAX);

	for (i = 0; i < count; i++) {
		e_warning(db->event, "Ban table row %lld is invalid, never "
			  "enforced: %s", (long long)result->invalid_rows[i].id,
			  result->invalid_rows[i].problem);
	}
	if (result->invalid_new > count) {
		e_warning(db->event, "%u more invalid rows in the ban table, "
			  "never enforced (doveadm lockout stats counts them)",
			  result->invalid_new - count);
	}
	if (result->allowed_failed)
		e_error(db->event, "Out of memory loading allowed networks");
	if (result->protections_failed)
		e_error(db->event, "Out of memory loading protections");
}

/* Replace the in-memory bans, protections and allowed networks with the
   table's active ones, plus the ones not written yet (lockout-sync). On
   failure the state in memory stays as it was. */
static int lockout_db_reload(struct lockout_auth_db *db)
{
	struct lockout_sync_result result;
	const char *error;
	int ret;

	ret = lockout_sync_reload(db->sync, db->store, db->queue,
				  ioloop_time, &result, &error);
	lockout_db_log_read(db, &result);
	if (ret < 0) {
		if (lockout_store_error_is_busy(db->store))
			lockout_db_busy(db, error);
		else
			lockout_db_set_unusable(db, error);
		return -1;
	}
	e_debug(db->event, "Loaded %u active bans and %u allowed networks "
		"from %s", result.loaded, result.allowed, db->name);
	return 0;
}

/* The table's files as doveadm creates them: 0600 (owned by this process,
   which creates them). */
static void lockout_db_chmod(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || st.st_uid != geteuid() ||
	    (st.st_mode & 07777) == 0600)
		return;
	if (chmod(path, 0600) < 0)
		e_error(lockout_auth->event, "chmod(%s) failed: %m", path);
}

static int lockout_db_open_store(struct lockout_auth_db *db,
				 const char **error_r)
{
	const char *dir, *p;
	mode_t old_umask;
	int ret;

	if (!db->recreate) {
		return lockout_store_open(db->cfg->db,
					  LOCKOUT_STORE_FLAG_CREATE,
					  LOCKOUT_BUSY_TIMEOUT_MSECS,
					  &db->store, error_r);
	}
	/* the directory may have gone with the file; it can be made again
	   only where this process may write */
	p = strrchr(db->cfg->db, '/');
	dir = p == db->cfg->db ? "/" : t_strdup_until(db->cfg->db, p);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		*error_r = t_strdup_printf("%s: cannot recreate the "
					   "directory: mkdir(%s) failed: %m",
					   db->cfg->db, dir);
		return -1;
	}
	old_umask = umask(0077);
	ret = lockout_store_open(db->cfg->db, LOCKOUT_STORE_FLAG_CREATE,
				 LOCKOUT_BUSY_TIMEOUT_MSECS, &db->store,
				 error_r);
	umask(old_umask);
	if (ret < 0)
		return -1;
	/* SQLite gives the -wal and -shm the mode of the database file */
	lockout_db_chmod(db->cfg->db);
	lockout_db_chmod(t_strconcat(db->cfg->db, "-wal", NULL));
	lockout_db_chmod(t_strconcat(db->cfg->db, "-shm", NULL));
	db->recreate = FALSE;
	return 0;
}

static void lockout_db_open(struct lockout_auth_db *db)
{
	const char *error;

	i_assert(db->store == NULL);
	if (lockout_db_open_store(db, &error) < 0) {
		if (strstr(error, ": database is busy") != NULL) {
			/* a lock, not a fault: the table is fine */
			lockout_db_busy(db, error);
			db->next_retry = ioloop_time + 1;
		} else {
			lockout_db_set_unusable(db, error);
		}
		return;
	}
	/* the first reload happens with usable still FALSE so that a failure
	   is reported as a transition */
	db->usable = TRUE;
	/* what the engine remembers across restarts: known devices, and the
	   ban history that escalation needs */
	if (lockout_sync_load_remembered(db->sync, db->store, ioloop_time,
					 &error) < 0) {
		lockout_db_set_unusable(db, error);
		return;
	}
	if (lockout_db_reload(db) < 0 && db->store == NULL)
		return;
	lockout_db_recovered(db);
}

static void lockout_db_flush(struct lockout_auth_db *db)
{
	struct lockout_writeq_dropped dropped;
	const char *error;

	timeout_remove(&db->to_flush);
	if (db->store == NULL)
		return; /* kept until the table is usable again */
	if (lockout_writeq_is_empty(db->queue))
		return;
	if (lockout_writeq_flush(db->queue, db->store, &dropped,
				 &error) < 0) {
		if (lockout_store_error_is_busy(db->store)) {
			/* another writer holds the lock: next round */
			lockout_db_busy(db, error);
			db->flush_urgent = FALSE;
			db->to_flush = timeout_add_short(LOCKOUT_FLUSH_MSECS,
							 lockout_db_flush, db);
		} else {
			lockout_db_set_unusable(db, error);
		}
		return;
	}
	lockout_db_not_busy(db);
	lockout_db_log_dropped(db, &dropped);
}

void lockout_db_log_dropped(struct lockout_auth_db *db,
			    const struct lockout_writeq_dropped *dropped)
{
	if (dropped->failures > 0 || dropped->bans > 0 || dropped->other > 0) {
		e_warning(db->event, "Write queue was full: %u failure "
			  "records, %u bans and %u other records were not "
			  "written to the table (bans still applied in "
			  "memory)", dropped->failures, dropped->bans,
			  dropped->other);
	}
}

static void lockout_db_flush_timeout(struct lockout_auth_db *db)
{
	db->flush(db);
}

void lockout_db_schedule(struct lockout_auth_db *db, bool urgent,
			 void (*flush)(struct lockout_auth_db *db))
{
	db->flush = flush;
	/* bans are written as soon as the current request is done with, so
	   that lockoutd can firewall them at once; the rest waits for the
	   batch */
	if (urgent && db->to_flush != NULL && !db->flush_urgent)
		timeout_remove(&db->to_flush);
	if (db->to_flush == NULL) {
		db->flush_urgent = urgent;
		db->to_flush = timeout_add_short(urgent ? 0 :
						 db->batch_msecs,
						 lockout_db_flush_timeout, db);
	}
}

static void lockout_db_schedule_flush(struct lockout_auth_db *db,
				      enum lockout_writeq_flush flush)
{
	if (flush == LOCKOUT_WRITEQ_FLUSH_NONE)
		return;
	if (db->thread != NULL)
		lockout_db_thread_queued(db, flush);
	else
		lockout_db_schedule(db, flush == LOCKOUT_WRITEQ_FLUSH_NOW,
				    lockout_db_flush);
}

/* Keep the table from growing forever, in small batches so the lock is
   never held long; when a batch was full we come back soon. */
static void lockout_db_prune(struct lockout_auth_db *db)
{
	const char *error;
	bool more;

	db->next_prune = ioloop_time + LOCKOUT_PRUNE_SECS;
	if (lockout_sync_prune(db->sync, db->store, ioloop_time, &more,
			       &error) < 0) {
		if (!lockout_store_error_is_busy(db->store))
			e_warning(db->event, "Pruning old rows failed: %s",
				  error);
		return;
	}
	if (more) {
		/* more to do: come back soon rather than hold the lock */
		db->next_prune = ioloop_time + 1;
	}
}

/* Move the file found at path, with its -wal and -shm, to
   path.replaced-<time>: it is not ours to use or to delete. Returns the
   new name, or NULL when it could not be moved (logged). */
static const char *lockout_db_move_aside(struct lockout_auth_db *db)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	const char *path = db->cfg->db, *aside, *from, *to;
	unsigned int i;

	aside = t_strdup_printf("%s.replaced-%ld", path, (long)ioloop_time);
	for (i = 0; i < N_ELEMENTS(suffixes); i++) {
		from = t_strconcat(path, suffixes[i], NULL);
		to = t_strconcat(aside, suffixes[i], NULL);
		if (rename(from, to) < 0 && errno != ENOENT) {
			e_error(db->event, "rename(%s, %s) failed: %m",
				from, to);
			if (i == 0)
				return NULL;
		}
	}
	return aside;
}

/* The file at lockout_db is no longer the one open: deleted, or replaced
   by another file. What was written into the old one since its deletion
   is gone at close, and at the next restart every ban with it; SQLite
   would go on with the old file, and other processes use the path. So:
   write back all that memory holds into a new table there. */
static void lockout_db_lost(struct lockout_auth_db *db,
			    enum lockout_store_file_state state)
{
	struct lockout_sync_restored restored;
	const char *aside = NULL, *path = db->cfg->db;
	struct stat st;

	/* read through the connection that still has the old file open,
	   and queued first: the reload of the new table keeps what is
	   queued */
	lockout_sync_restore(db->sync, db->store, db->queue, ioloop_time,
			     &restored);
	lockout_store_close(&db->store);
	db->usable = FALSE;
	if (state == LOCKOUT_STORE_FILE_REPLACED)
		aside = lockout_db_move_aside(db);
	else if (stat(path, &st) < 0 && errno == ENOENT) {
		/* the -wal and -shm of the deleted file would be read as
		   those of the new one */
		(void)i_unlink_if_exists(t_strconcat(path, "-wal", NULL));
		(void)i_unlink_if_exists(t_strconcat(path, "-shm", NULL));
	}
	e_error(db->event, "Ban table %s was %s while in use - recreating it "
		"and writing back %u active bans and protections, %u allowed "
		"networks and %u known devices%s%s%s; lost: the failure "
		"history, ended bans and events", path,
		state == LOCKOUT_STORE_FILE_DELETED ? "deleted" :
		aside != NULL ? t_strdup_printf("replaced by another file "
						"(moved to %s)", aside) :
		"replaced by another file",
		restored.bans + restored.bare, restored.allowed,
		restored.devices,
		restored.bare == 0 ? "" : t_strdup_printf(
			" (%u bans from memory alone, without their reason: "
			"rule \"restored\")", restored.bare),
		!restored.read_failed ? "" : t_strdup_printf(
			" (the old file could not be read: %s)",
			restored.read_error),
		restored.dropped == 0 && !restored.keys_failed ? "" :
		t_strdup_printf(" (out of memory: %u records not written "
				"back%s)", restored.dropped,
				restored.keys_failed ? ", some may be "
				"written twice" : ""));
	db->recreate = TRUE;
	if (aside == NULL && state == LOCKOUT_STORE_FILE_REPLACED) {
		/* the file could not be moved: opening it decides */
		db->recreate = FALSE;
	}
	lockout_db_open(db);
	if (db->store != NULL)
		lockout_db_schedule_flush(db, LOCKOUT_WRITEQ_FLUSH_NOW);
}

static void lockout_db_check_file(struct lockout_auth_db *db)
{
	enum lockout_store_file_state state;
	int stat_errno;

	if (ioloop_time < db->next_file_check)
		return;
	db->next_file_check = ioloop_time + LOCKOUT_FILE_CHECK_SECS;
	state = lockout_store_file_state(db->store, &stat_errno);
	if (state == LOCKOUT_STORE_FILE_DELETED ||
	    state == LOCKOUT_STORE_FILE_REPLACED)
		lockout_db_lost(db, state);
}

static void lockout_db_poll(struct lockout_auth_db *db)
{
	const char *error;
	int ret;

	if (db->store == NULL) {
		if (ioloop_time >= db->next_retry)
			lockout_db_open(db);
		if (db->store != NULL)
			lockout_db_schedule_flush(db,
						  LOCKOUT_WRITEQ_FLUSH_BATCH);
		return;
	}
	lockout_db_check_file(db);
	if (db->store == NULL)
		return;
	ret = lockout_store_changed(db->store, &error);
	if (ret < 0) {
		if (lockout_store_error_is_busy(db->store))
			lockout_db_busy(db, error);
		else
			lockout_db_set_unusable(db, error);
		return;
	}
	if (ret > 0)
		(void)lockout_db_reload(db);
	if (ioloop_time >= db->next_prune && db->store != NULL)
		lockout_db_prune(db);
	(void)lockout_banset_expire(lockout_policy_bans(lockout_auth->policy),
				    ioloop_time);
}

void lockout_auth_db_queue_decision(struct lockout_auth_db *db,
				    const struct lockout_decision *d,
				    bool observed)
{
	lockout_db_schedule_flush(db,
		lockout_writeq_add_decision(db->queue, d, observed));
}

void lockout_auth_db_queue_failure(struct lockout_auth_db *db, time_t now,
				   const char *ip, const char *user,
				   const char *service, const char *mechanism,
				   const char *result, uint32_t password_tag)
{
	const struct lockout_failure failure = {
		.time = now, .ip = ip, .user = user, .service = service,
		.mechanism = mechanism, .result = result, .count = 1,
		.tag = password_tag,
	};

	lockout_db_schedule_flush(db,
		lockout_writeq_add_failure(db->queue, &failure));
}

struct lockout_auth_db *lockout_auth_db_init(void)
{
	struct lockout_auth_db *db;

	db = i_new(struct lockout_auth_db, 1);
	db->event = lockout_auth->event;
	db->cfg = &lockout_auth->cfg;
	db->queue = lockout_writeq_create();
	db->sync = lockout_sync_create(db->cfg, lockout_auth->policy);
	db->batch_msecs = LOCKOUT_BATCH_MSECS;
	if (db->queue == NULL || db->sync == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "lockout: Out of memory");
	if (db->cfg->db_driver != LOCKOUT_DB_DRIVER_SQLITE) {
		/* the other nodes count a password repeated here once, as
		   this node's engine does (struct lockout_failure's tag) */
		lockout_writeq_keep_tags(db->queue);
		char name[LOCKOUT_DB_DISPLAY_SIZE];

		db->name = i_strdup(lockout_db_display(db->cfg->db, name,
						       sizeof(name)));
		lockout_db_thread_init(db);
		return db;
	}
	db->name = i_strdup(db->cfg->db);
	db->next_prune = ioloop_time + 60;
	lockout_db_open(db);
	db->to_poll = timeout_add_short(LOCKOUT_POLL_MSECS, lockout_db_poll,
					db);
	return db;
}

void lockout_auth_db_deinit(struct lockout_auth_db **_db)
{
	struct lockout_auth_db *db = *_db;

	if (db == NULL)
		return;
	*_db = NULL;
	if (db->thread != NULL)
		lockout_db_thread_deinit(db);
	/* write what is queued before the process ends */
	lockout_db_flush(db);
	timeout_remove(&db->to_flush);
	timeout_remove(&db->to_poll);
	lockout_store_close(&db->store);
	lockout_sync_free(&db->sync);
	lockout_writeq_free(&db->queue);
	i_free(db->last_error);
	i_free(db->name);
	i_free(db);
}
