/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_AUTH_DB_PRIVATE_H
#define LOCKOUT_AUTH_DB_PRIVATE_H

#include "lockout-auth-db.h"
#include "lockout-writeq.h"

struct lockout_db_thread;
struct lockout_sync_result;

/* The ban table of the auth process, two ways to reach it:
   - SQLite (lockout-auth-db.c): from the ioloop, every call non-blocking
     (busy timeout 0, a local file);
   - PostgreSQL (lockout-auth-db-thread.c): a worker thread owns the
     connection, the ioloop only hands it write batches and applies what it
     read.
   Both share the write queue, the engine's sync state and the logs here. */
struct lockout_auth_db {
	struct event *event;
	const struct lockout_config *cfg;
	/* what logs call the table: the SQLite path, or the connection
	   string without its password */
	char *name;
	struct lockout_store *store;
	struct lockout_writeq *queue;
	struct lockout_sync *sync;
	/* PostgreSQL: the worker thread (NULL for SQLite) */
	struct lockout_db_thread *thread;
	bool usable;
	time_t next_retry, last_complaint, next_prune;
	/* the error last logged (its kind: the text without numbers that
	   change), and whether "usable again" is owed for it */
	char *last_error;
	bool recovery_owed;
	/* another process holds the write lock: warned once, and once
	   more when it is free again */
	bool busy_warned;
	/* the table was lost (deleted or replaced): recreate it as doveadm
	   creates it (directory 0700, files 0600, owned by this process's
	   user) until it opens */
	bool recreate;
	time_t next_file_check;

	struct timeout *to_flush, *to_poll;
	bool flush_urgent;
	/* what to_flush calls, and when after the first record of a batch
	   (LOCKOUT_BATCH_MSECS; shorter for PostgreSQL) */
	void (*flush)(struct lockout_auth_db *db);
	unsigned int batch_msecs;
};

/* a busy table is retried this often */
#define LOCKOUT_FLUSH_MSECS 300
#define LOCKOUT_BATCH_MSECS 1000
/* while the table is unusable: retry, and repeat the complaint */
#define LOCKOUT_RETRY_SECS 2
#define LOCKOUT_COMPLAIN_SECS 60

/* The logs of both ways. */
/* The table cannot be used: error at once, then at most once a minute for
   the same kind of error; usable becomes FALSE. */
void lockout_db_complain(struct lockout_auth_db *db, const char *error);
/* It can be used again: "usable again", once per complaint. */
void lockout_db_recovered(struct lockout_auth_db *db);
void lockout_db_busy(struct lockout_auth_db *db, const char *error);
void lockout_db_not_busy(struct lockout_auth_db *db);
/* What a read of the table reported (invalid rows, out of memory). */
void lockout_db_log_read(struct lockout_auth_db *db,
			 const struct lockout_sync_result *result);
void lockout_db_log_dropped(struct lockout_auth_db *db,
			    const struct lockout_writeq_dropped *dropped);
/* Call flush after msecs (0: at once), unless called sooner already. */
void lockout_db_schedule(struct lockout_auth_db *db, bool urgent,
			 void (*flush)(struct lockout_auth_db *db));

/* lockout-auth-db-thread.c */
void lockout_db_thread_init(struct lockout_auth_db *db);
void lockout_db_thread_deinit(struct lockout_auth_db *db);
/* Something was queued: write it now or with the batch. */
void lockout_db_thread_queued(struct lockout_auth_db *db,
			      enum lockout_writeq_flush flush);

#endif
