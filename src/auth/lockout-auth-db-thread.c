/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "ioloop.h"
#include "lockout-auth-private.h"
#include "lockout-auth-db-private.h"
#include "lockout-auth-observer.h"
#include "lockout-policy.h"
#include "lockout-store.h"
#include "lockout-sync.h"
#include "lockout-writeq.h"


#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* The ban table in PostgreSQL, shared by several nodes: a connection to
   another host may take any time to answer (or to fail), and the ioloop
   that calls us also serves every login. So a worker thread owns the
   connection and does all of its I/O: connect (and reconnect every
   LOCKOUT_RETRY_SECS after an error), write the write queue's batches,
   read the table when another writer changed it (and in full every
   DBT_RECONCILE_SECS), prune now and then, and read the failures the other
   nodes wrote. What it read and what went wrong come back to the ioloop as
   messages in one FIFO, announced on an eventfd; the ioloop applies them to
   the engine and logs them, in order (a snapshot read before a batch was
   written is applied while the batch is still pending, so its bans are
   merged in; one read after it has them from the table).

   The two threads share one mutex, held only to hand over a pointer: never
   while the worker does I/O. A request never waits for the worker.

   The worker calls libc and lib-lockout only: no Dovecot function (no
   logging, no data stack, no pools), all signals blocked. Its half of this
   file is the part up to "the ioloop's half". */

/* how often the worker looks for changes and for other nodes' failures */
#define DBT_POLL_MSECS 150
/* a full read of the table, changed or not: the safety net of change
   detection */
#define DBT_RECONCILE_SECS 30
#define DBT_PRUNE_SECS 600
/* failure rows of other nodes read in one round */
#define DBT_FAILURES_MAX_ROWS 5000
/* failures written at most this long after the first of a batch: the
   other nodes count them from then on (SQLite's 1 s is about its page
   cache, not a concern of a server) */
#define DBT_BATCH_MSECS 250
/* failures of other nodes observed in one go, beyond one per row: the
   ioloop spends at most a few tens of milliseconds on a round (5,000 rows
   of a flood, each of a count up to LOCKOUT_SYNC_REMOTE_COUNT_MAX) */
#define DBT_OBSERVE_MAX 20000
/* a failure id found by bisection: at most 2^DBT_ID_BITS */
#define DBT_ID_BITS 62

enum dbt_msg_type {
	/* connected; remembered (the first time only) */
	DBT_MSG_OPENED,
	/* text: the table cannot be used (connection closed); busy: only a
	   lock was in the way */
	DBT_MSG_ERROR,
	/* text: pruning failed (the table still usable) */
	DBT_MSG_PRUNE_FAILED,
	/* snapshot, result */
	DBT_MSG_SNAPSHOT,
	/* the batch handed over: written or not */
	DBT_MSG_WRITTEN,
	/* failures, failures_count: rows of other nodes */
	DBT_MSG_FAILURES,
};

struct dbt_msg {
	struct dbt_msg *next;
	enum dbt_msg_type type;
	bool busy, written;
	char text[LOCKOUT_ERROR_MAX];
	struct lockout_sync_snapshot *snapshot;
	struct lockout_sync_result result;
	struct lockout_sync_remembered *remembered;
	/* each row's strings in one allocation with it: free(row.ip) */
	struct lockout_failure *failures;
	unsigned int failures_count;
};

struct lockout_db_thread {
	/* read-only while the worker runs */
	enum lockout_db_driver driver;
	char *conninfo, *node;
	/* the worker's own sync state (reads only) */
	struct lockout_sync *rsync;
	int efd;
	pthread_t tid;
	bool started;

	/* under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const struct lockout_writeq_batch *batch;
	struct dbt_msg *batch_reply;
	bool stop;
	struct dbt_msg *head, *tail;

	/* the worker's alone */
	struct lockout_store *store;
	bool remembered_sent, failure_id_known;
	int64_t failure_id;
	time_t next_retry, next_reconcile, next_prune;

	/* the ioloop's alone */
	struct io *io;
	struct timeout *to_start;
	bool batch_in_flight;
	/* a ban was queued while the batch was in flight: write it at once
	   after */
	bool urgent_waiting;
	/* the first snapshot was applied (and logged) */
	bool loaded;
	/* connected, as last reported */
	bool connected;
};

/* --- the worker: libc and lib-lockout only -------------------------------- */

static void dbt_msg_free(struct dbt_msg **_msg)
{
	struct dbt_msg *msg = *_msg;
	unsigned int i;

	if (msg == NULL)
		return;
	*_msg = NULL;
	lockout_sync_snapshot_free(&msg->snapshot);
	lockout_sync_remembered_free(&msg->remembered);
	for (i = 0; i < msg->failures_count; i++)
		free((char *)msg->failures[i].ip);
	free(msg->failures);
	free(msg);
}

static struct dbt_msg *dbt_msg_new(enum dbt_msg_type type)
{
	struct dbt_msg *msg = calloc(1, sizeof(*msg));

	if (msg != NULL)
		msg->type = type;
	return msg;
}

static void dbt_post(struct lockout_db_thread *t, struct dbt_msg *msg)
{
	uint64_t one = 1;

	if (msg == NULL)
		return; /* out of memory: the next round tries again */
	pthread_mutex_lock(&t->lock);
	if (t->tail == NULL)
		t->head = msg;
	else
		t->tail->next = msg;
	t->tail = msg;
	pthread_mutex_unlock(&t->lock);
	/* the counter cannot overflow in practice; EAGAIN would mean it is
	   non-zero, so the ioloop wakes up anyway */
	if (write(t->efd, &one, sizeof(one)) < 0) {
		/* nothing to do about it here */
	}
}

static void dbt_post_text(struct lockout_db_thread *t, enum dbt_msg_type type,
			  const char *text, bool busy)
{
	struct dbt_msg *msg = dbt_msg_new(type);

	if (msg == NULL)
		return;
	snprintf(msg->text, sizeof(msg->text), "%s", text);
	msg->busy = busy;
	dbt_post(t, msg);
}

/* The table cannot be used: say why and close it (unless only busy). */
static void dbt_failed(struct lockout_db_thread *t, const char *error)
{
	bool busy = t->store != NULL && lockout_store_error_is_busy(t->store);

	dbt_post_text(t, DBT_MSG_ERROR, error, busy);
	if (!busy) {
		lockout_store_close(&t->store);
		t->next_retry = time(NULL) + LOCKOUT_RETRY_SECS;
	}
}

static int dbt_found_row(int64_t id, const struct lockout_failure *row,
			 void *context)
{
	(void)id;
	(void)row;
	*(bool *)context = true;
	return 1;
}

/* Is there a failure row with an id above id? */
static int dbt_failure_after(struct lockout_store *store, int64_t id,
			     bool *found_r, const char **error_r)
{
	*found_r = false;
	return lockout_store_iter_failures_since(store, id, NULL, 1,
						 dbt_found_row, found_r,
						 error_r) < 0 ? -1 : 0;
}

/* The highest failure id now (0 for none), by bisection over "is there a
   row above": a few dozen index lookups, once. Failures written before
   this node started were counted by the nodes that saw them. */
static int dbt_failure_max_id(struct lockout_store *store, int64_t *id_r,
			      const char **error_r)
{
	int64_t lo = 0, hi = 1, mid;
	bool found;

	/* the smallest x without a row above it is the highest id */
	for (;;) {
		if (dbt_failure_after(store, hi, &found, error_r) < 0)
			return -1;
		if (!found)
			break;
		lo = hi;
		if (hi >= ((int64_t)1 << DBT_ID_BITS))
			break;
		hi *= 2;
	}
	if (lo == 0) {
		if (dbt_failure_after(store, 0, &found, error_r) < 0)
			return -1;
		if (!found) {
			*id_r = 0;
			return 0;
		}
	}
	/* a row above lo, none above hi */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (dbt_failure_after(store, mid, &found, error_r) < 0)
			return -1;
		if (found)
			lo = mid;
		else
			hi = mid;
	}
	*id_r = hi;
	return 0;
}

struct dbt_failures_ctx {
	struct dbt_msg *msg;
	int64_t last_id;
	bool oom;
};

static char *dbt_copy(char **pos, const char *str)
{
	char *start = *pos;
	size_t len = str == NULL ? 0 : strlen(str);

	if (len > 0)
		memcpy(start, str, len);
	start[len] = '\0';
	*pos += len + 1;
	return start;
}

static int dbt_read_failure(int64_t id, const struct lockout_failure *row,
			    void *context)
{
	struct dbt_failures_ctx *ctx = context;
	struct lockout_failure *copy;
	const char *strs[] = { row->ip, row->user, row->service,
			       row->mechanism, row->result };
	size_t i, size = 0;
	char *buf;

	ctx->last_id = id;
	/* the room for a round's rows only when there is one (most polls
	   find none) */
	if (!ctx->oom && ctx->msg->failures == NULL) {
		ctx->msg->failures = calloc(DBT_FAILURES_MAX_ROWS,
					    sizeof(*ctx->msg->failures));
		ctx->oom = ctx->msg->failures == NULL;
	}
	if (ctx->oom)
		return 0; /* skipped, but seen */
	for (i = 0; i < N_ELEMENTS(strs); i++)
		size += (strs[i] == NULL ? 0 : strlen(strs[i])) + 1;
	buf = malloc(size);
	if (buf == NULL) {
		ctx->oom = true;
		return 0;
	}
	copy = &ctx->msg->failures[ctx->msg->failures_count++];
	*copy = *row;
	/* ip first: it is what is freed */
	copy->ip = dbt_copy(&buf, row->ip);
	copy->user = dbt_copy(&buf, row->user);
	copy->service = dbt_copy(&buf, row->service);
	copy->mechanism = dbt_copy(&buf, row->mechanism);
	copy->result = dbt_copy(&buf, row->result);
	return 0;
}

/* The failures the other nodes wrote since the last round. */
static int dbt_read_failures(struct lockout_db_thread *t)
{
	struct dbt_failures_ctx ctx;
	const char *error;

	if (!t->failure_id_known) {
		if (dbt_failure_max_id(t->store, &t->failure_id, &error) < 0) {
			dbt_failed(t, error);
			return -1;
		}
		t->failure_id_known = true;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.last_id = t->failure_id;
	ctx.msg = dbt_msg_new(DBT_MSG_FAILURES);
	if (ctx.msg == NULL) {
		/* next round */
		return 0;
	}
	if (lockout_store_iter_failures_since(t->store, t->failure_id,
					      t->node, DBT_FAILURES_MAX_ROWS,
					      dbt_read_failure, &ctx,
					      &error) < 0) {
		dbt_msg_free(&ctx.msg);
		dbt_failed(t, error);
		return -1;
	}
	t->failure_id = ctx.last_id;
	if (ctx.msg->failures_count == 0)
		dbt_msg_free(&ctx.msg);
	else
		dbt_post(t, ctx.msg);
	return 0;
}

static int dbt_read_snapshot(struct lockout_db_thread *t, time_t now)
{
	struct dbt_msg *msg = dbt_msg_new(DBT_MSG_SNAPSHOT);
	struct lockout_sync_result result;
	struct lockout_sync_snapshot *snap;
	const char *error;

	if (msg == NULL)
		return 0;
	if (lockout_sync_read(t->rsync, t->store, now, &snap, &result,
			      &error) < 0) {
		dbt_msg_free(&msg);
		dbt_failed(t, error);
		return -1;
	}
	msg->snapshot = snap;
	msg->result = result;
	dbt_post(t, msg);
	t->next_reconcile = now + DBT_RECONCILE_SECS;
	return 0;
}

static void dbt_open(struct lockout_db_thread *t, time_t now)
{
	struct lockout_sync_remembered *rem = NULL;
	struct dbt_msg *msg;
	const char *error;

	if (lockout_store_open_db(t->driver, t->conninfo,
				  LOCKOUT_STORE_FLAG_CREATE, 0, &t->store,
				  &error) < 0) {
		dbt_post_text(t, DBT_MSG_ERROR, error, false);
		t->next_retry = now + LOCKOUT_RETRY_SECS;
		return;
	}
	lockout_store_set_node(t->store, t->node);
	/* what the engine remembers across restarts, once: it keeps it
	   across reconnects */
	if (!t->remembered_sent &&
	    lockout_sync_read_remembered(t->rsync, t->store, now, &rem,
					 &error) < 0) {
		dbt_failed(t, error);
		return;
	}
	msg = dbt_msg_new(DBT_MSG_OPENED);
	if (msg == NULL) {
		lockout_sync_remembered_free(&rem);
		lockout_store_close(&t->store);
		t->next_retry = now + LOCKOUT_RETRY_SECS;
		return;
	}
	msg->remembered = rem;
	t->remembered_sent = true;
	dbt_post(t, msg);
	if (dbt_read_snapshot(t, now) < 0)
		return;
	if (t->next_prune == 0)
		t->next_prune = now + 60;
}

static void dbt_write(struct lockout_db_thread *t,
		      const struct lockout_writeq_batch *batch,
		      struct dbt_msg *reply)
{
	const char *error;

	reply->written = false;
	if (t->store != NULL) {
		if (lockout_writeq_batch_write(batch, t->store, &error) == 0)
			reply->written = true;
		else
			dbt_failed(t, error);
	}
	dbt_post(t, reply);
}

static void dbt_poll(struct lockout_db_thread *t, time_t now)
{
	const char *error;
	bool more;
	int ret;

	ret = lockout_store_changed(t->store, &error);
	if (ret < 0) {
		dbt_failed(t, error);
		return;
	}
	if ((ret > 0 || now >= t->next_reconcile) &&
	    dbt_read_snapshot(t, now) < 0)
		return;
	if (dbt_read_failures(t) < 0)
		return;
	if (now >= t->next_prune) {
		t->next_prune = now + DBT_PRUNE_SECS;
		if (lockout_sync_prune(t->rsync, t->store, now, &more,
				       &error) < 0) {
			if (!lockout_store_error_is_busy(t->store))
				dbt_post_text(t, DBT_MSG_PRUNE_FAILED, error,
					      false);
		} else if (more) {
			/* come back soon rather than hold the table long */
			t->next_prune = now + 1;
		}
	}
}

static int64_t dbt_msecs(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *dbt_main(void *context)
{
	struct lockout_db_thread *t = context;
	const struct lockout_writeq_batch *batch;
	struct dbt_msg *reply;
	int64_t next_poll = 0, now_ms;
	struct timespec until;
	time_t now;
	bool stop;

	for (;;) {
		pthread_mutex_lock(&t->lock);
		while (!t->stop && t->batch == NULL &&
		       (now_ms = dbt_msecs()) < next_poll) {
			until.tv_sec = next_poll / 1000;
			until.tv_nsec = (next_poll % 1000) * 1000000;
			(void)pthread_cond_timedwait(&t->cond, &t->lock,
						     &until);
		}
		batch = t->batch;
		reply = t->batch_reply;
		t->batch = NULL;
		t->batch_reply = NULL;
		stop = t->stop;
		pthread_mutex_unlock(&t->lock);

		now = time(NULL);
		/* at the end, one more try for the last batch */
		if (t->store == NULL &&
		    (now >= t->next_retry || (stop && batch != NULL)))
			dbt_open(t, now);
		if (batch != NULL)
			dbt_write(t, batch, reply);
		if (stop)
			break;
		now_ms = dbt_msecs();
		if (now_ms >= next_poll) {
			next_poll = now_ms + DBT_POLL_MSECS;
			if (t->store != NULL)
				dbt_poll(t, now);
		}
	}
	lockout_store_close(&t->store);
	return NULL;
}

/* --- the ioloop's half ---------------------------------------------------- */

static void lockout_db_thread_flush(struct lockout_auth_db *db);

static void lockout_db_thread_failures(struct lockout_auth_db *db,
				       const struct dbt_msg *msg)
{
	struct lockout_attempt attempt;
	unsigned int i, n, budget = DBT_OBSERVE_MAX;

	for (i = 0; i < msg->failures_count; i++) {
		n = lockout_sync_failure_attempt(db->sync, &msg->failures[i],
						 ioloop_time, &attempt);
		/* beyond the budget each row counts once */
		n = I_MIN(n, I_MAX(budget, 1));
		budget -= I_MIN(budget, n);
		if (n > 0) {
			lockout_auth_observer_record_remote(
				&attempt, n, msg->failures[i].ip);
		}
	}
}

static void lockout_db_thread_handle(struct lockout_auth_db *db,
				     struct dbt_msg *msg)
{
	struct lockout_db_thread *t = db->thread;
	struct lockout_writeq_dropped dropped;
	const char *error;

	switch (msg->type) {
	case DBT_MSG_OPENED:
		/* usable once the table's bans are in (the snapshot that
		   follows) */
		t->connected = TRUE;
		if (msg->remembered != NULL)
			lockout_sync_apply_remembered(db->sync,
						      &msg->remembered);
		/* what waited while the table was away */
		if (!lockout_writeq_is_empty(db->queue))
			lockout_db_schedule(db, TRUE, lockout_db_thread_flush);
		break;
	case DBT_MSG_ERROR:
		if (msg->busy) {
			lockout_db_busy(db, msg->text);
			break;
		}
		t->connected = FALSE;
		lockout_db_complain(db, msg->text);
		break;
	case DBT_MSG_PRUNE_FAILED:
		e_warning(db->event, "Pruning old rows failed: %s", msg->text);
		break;
	case DBT_MSG_SNAPSHOT:
		if (lockout_sync_apply(db->sync, &msg->snapshot, db->queue,
				       &msg->result, &error) < 0)
			e_error(db->event, "%s", error);
		lockout_db_log_read(db, &msg->result);
		if (t->connected && !db->usable) {
			db->usable = TRUE;
			lockout_db_recovered(db);
		}
		if (!t->loaded) {
			/* until now only the bans decided here applied */
			e_info(db->event, "Ban table %s (node %s): %u active "
			       "bans and protections, %u allowed networks",
			       db->name, t->node, msg->result.loaded,
			       msg->result.allowed);
			t->loaded = TRUE;
		} else {
			e_debug(db->event, "Loaded %u active bans and %u "
				"allowed networks from %s", msg->result.loaded,
				msg->result.allowed, db->name);
		}
		break;
	case DBT_MSG_WRITTEN:
		i_assert(t->batch_in_flight);
		t->batch_in_flight = FALSE;
		lockout_writeq_end(db->queue, msg->written, &dropped);
		if (msg->written) {
			lockout_db_not_busy(db);
			lockout_db_log_dropped(db, &dropped);
		}
		if (!lockout_writeq_is_empty(db->queue) && t->connected) {
			/* written: what came meanwhile goes with the next
			   batch, at once if a ban asked for it meanwhile;
			   busy: try again with the next batch */
			lockout_db_schedule(db, msg->written &&
					    t->urgent_waiting,
					    lockout_db_thread_flush);
		}
		t->urgent_waiting = FALSE;
		break;
	case DBT_MSG_FAILURES:
		lockout_db_thread_failures(db, msg);
		break;
	}
}

static void lockout_db_thread_input(struct lockout_auth_db *db)
{
	struct lockout_db_thread *t = db->thread;
	struct dbt_msg *msg, *next;
	uint64_t count;

	if (read(t->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		i_error("lockout: read(eventfd) failed: %m");
	pthread_mutex_lock(&t->lock);
	msg = t->head;
	t->head = t->tail = NULL;
	pthread_mutex_unlock(&t->lock);
	for (; msg != NULL; msg = next) {
		next = msg->next;
		T_BEGIN {
			lockout_db_thread_handle(db, msg);
		} T_END;
		dbt_msg_free(&msg);
	}
}

/* Hand what is queued to the worker (O(1): a pointer). */
static void lockout_db_thread_flush(struct lockout_auth_db *db)
{
	struct lockout_db_thread *t = db->thread;
	const struct lockout_writeq_batch *batch;
	struct dbt_msg *reply;

	timeout_remove(&db->to_flush);
	if (t->batch_in_flight && db->flush_urgent)
		t->urgent_waiting = TRUE;
	if (!t->started || !t->connected || t->batch_in_flight)
		return; /* again when it is back, or written */
	batch = lockout_writeq_begin(db->queue);
	if (batch == NULL)
		return;
	/* the reply is allocated here: the worker never fails to answer */
	reply = dbt_msg_new(DBT_MSG_WRITTEN);
	if (reply == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "lockout: Out of memory");
	t->batch_in_flight = TRUE;
	pthread_mutex_lock(&t->lock);
	t->batch = batch;
	t->batch_reply = reply;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

void lockout_db_thread_queued(struct lockout_auth_db *db,
			      enum lockout_writeq_flush flush)
{
	lockout_db_schedule(db, flush == LOCKOUT_WRITEQ_FLUSH_NOW,
			    lockout_db_thread_flush);
}

static void lockout_db_thread_start(struct lockout_auth_db *db)
{
	struct lockout_db_thread *t = db->thread;
	pthread_condattr_t attr;
	sigset_t all, old;
	int ret;

	/* the worker takes no signal: they are the ioloop's */
	sigfillset(&all);
	if (pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&t->cond, &attr) != 0)
		i_fatal("lockout: pthread_cond_init() failed");
	(void)pthread_condattr_destroy(&attr);
	if (pthread_mutex_init(&t->lock, NULL) != 0)
		i_fatal("lockout: pthread_mutex_init() failed");
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		i_fatal("lockout: pthread_sigmask() failed");
	ret = pthread_create(&t->tid, NULL, dbt_main, t);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0) {
		errno = ret;
		i_fatal("lockout: pthread_create() failed: %m");
	}
	t->started = TRUE;
	t->io = io_add(t->efd, IO_READ, lockout_db_thread_input, db);
}

static void lockout_db_thread_first(struct lockout_auth_db *db)
{
	/* from the first tick: after the privilege drop, with the ioloop
	   running (the connection lives long) */
	timeout_remove(&db->thread->to_start);
	lockout_db_thread_start(db);
}

static void lockout_db_thread_poll(struct lockout_auth_db *db ATTR_UNUSED)
{
	(void)lockout_banset_expire(lockout_policy_bans(lockout_auth->policy),
				    ioloop_time);
}

static const char *lockout_db_node(const struct lockout_config *cfg)
{
	char host[256];

	if (cfg->node[0] != '\0')
		return cfg->node;
	if (gethostname(host, sizeof(host)) < 0)
		i_fatal("lockout: gethostname() failed: %m");
	host[sizeof(host) - 1] = '\0';
	return t_strdup(host);
}

void lockout_db_thread_init(struct lockout_auth_db *db)
{
	struct lockout_db_thread *t;

	t = i_new(struct lockout_db_thread, 1);
	t->driver = db->cfg->db_driver;
	t->conninfo = i_strdup(db->cfg->db);
	t->node = i_strdup(lockout_db_node(db->cfg));
	t->rsync = lockout_sync_create(db->cfg, NULL);
	t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->rsync == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "lockout: Out of memory");
	if (t->efd < 0)
		i_fatal("lockout: eventfd() failed: %m");
	db->thread = t;
	/* the other nodes count this node's failures once written: a short
	   batch (a transaction of aggregated rows per DBT_BATCH_MSECS at
	   most, written by another process's server) */
	db->batch_msecs = DBT_BATCH_MSECS;
	/* not usable until connected: lockout_on_error=deny refuses until
	   then, as with a table that cannot be opened */
	db->usable = FALSE;
	e_debug(db->event, "Ban table %s (node %s): connecting from a "
		"worker thread", db->name, t->node);
	t->to_start = timeout_add_short(0, lockout_db_thread_first, db);
	db->to_poll = timeout_add_short(400, lockout_db_thread_poll, db);
}

void lockout_db_thread_deinit(struct lockout_auth_db *db)
{
	struct lockout_db_thread *t = db->thread;

	timeout_remove(&db->to_flush);
	timeout_remove(&t->to_start);
	if (t->started) {
		/* the last batch (the worker tries it even if it was
		   away), then its end */
		if (t->batch_in_flight) {
			/* the answer to the batch in flight first */
			while (t->batch_in_flight) {
				if (pthread_mutex_lock(&t->lock) == 0 &&
				    t->head == NULL) {
					pthread_mutex_unlock(&t->lock);
					usleep(10000);
					continue;
				}
				pthread_mutex_unlock(&t->lock);
				lockout_db_thread_input(db);
			}
		}
		t->connected = TRUE;
		lockout_db_thread_flush(db);
		pthread_mutex_lock(&t->lock);
		t->stop = TRUE;
		pthread_cond_signal(&t->cond);
		pthread_mutex_unlock(&t->lock);
		(void)pthread_join(t->tid, NULL);
		io_remove(&t->io);
		/* what it said last: the last batch's end, its errors */
		lockout_db_thread_input(db);
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->cond);
	}
	i_close_fd(&t->efd);
	lockout_sync_free(&t->rsync);
	i_free(t->conninfo);
	i_free(t->node);
	i_free(t);
	db->thread = NULL;
}
