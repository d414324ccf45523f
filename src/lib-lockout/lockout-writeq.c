/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-writeq-private.h"

#include <stdlib.h>
#include <string.h>

/* The queue: two batches (lockout-writeq-batch.c), the one records are
   added to and the one in flight, the bounds over both, and the drop
   counters. */

struct lockout_writeq {
	writeq_key_t hash_key;
	struct lockout_writeq_batch batches[2];
	struct lockout_writeq_batch *queued, *flight;
	bool in_flight;
	/* lockout_writeq_keep_tags() */
	bool keep_tags;
	struct lockout_writeq_dropped dropped;
};

struct lockout_writeq *lockout_writeq_create(void)
{
	struct lockout_writeq *queue;

	if (sodium_init() < 0)
		return NULL;
	queue = calloc(1, sizeof(*queue));
	if (queue == NULL)
		return NULL;
	randombytes_buf(queue->hash_key, sizeof(queue->hash_key));
	queue->queued = &queue->batches[0];
	queue->flight = &queue->batches[1];
	return queue;
}

void lockout_writeq_free(struct lockout_writeq **_queue)
{
	struct lockout_writeq *queue = *_queue;

	if (queue == NULL)
		return;
	*_queue = NULL;
	writeq_batch_deinit(&queue->batches[0]);
	writeq_batch_deinit(&queue->batches[1]);
	sodium_memzero(queue, sizeof(*queue));
	free(queue);
}

/* --- adding --------------------------------------------------------- */

/* Records of a kind in both batches: the bounds cover both. */
#define QUEUE_TOTAL(queue, field) \
	((queue)->queued->field.count + \
	 ((queue)->in_flight ? (queue)->flight->field.count : 0))

/* Copy ban's strings into the batch; false when out of memory. */
static bool queue_ban_strings(struct lockout_writeq_batch *batch,
			      struct lockout_ban *ban)
{
	ban->target = writeq_batch_strndup(batch, ban->target, SIZE_MAX);
	ban->rule = writeq_batch_strndup(batch, ban->rule, SIZE_MAX);
	ban->reason = writeq_batch_strndup(batch, ban->reason, SIZE_MAX);
	ban->evidence = writeq_batch_strndup(batch, ban->evidence, SIZE_MAX);
	return ban->target != NULL && ban->rule != NULL &&
		ban->reason != NULL && ban->evidence != NULL;
}

static bool queue_ban(struct lockout_writeq *queue,
		      const struct lockout_decision *d, bool observed)
{
	struct lockout_writeq_batch *batch = queue->queued;
	struct queued_ban *qban;
	size_t count = batch->bans.count;
	struct lockout_ban *ban;

	if (QUEUE_TOTAL(queue, bans) >= LOCKOUT_WRITEQ_MAX_BANS ||
	    (qban = writeq_vec_push(&batch->bans, sizeof(*qban))) == NULL) {
		queue->dropped.bans++;
		return false;
	}
	ban = &qban->ban;
	ban->target = d->target;
	ban->rule = d->rule;
	ban->reason = d->reason;
	ban->evidence = d->evidence;
	if (!queue_ban_strings(batch, ban)) {
		batch->bans.count = count;
		queue->dropped.bans++;
		return false;
	}
	ban->kind = d->kind;
	ban->source = LOCKOUT_SOURCE_AUTO;
	ban->created = d->time;
	ban->expires = d->expires;
	ban->failures = d->failures;
	ban->observed = observed;
	if (d->kind != LOCKOUT_KIND_USER)
		qban->net = d->net;
	return true;
}

static bool queue_event(struct lockout_writeq *queue,
			const struct lockout_decision *d, const char *kind)
{
	struct lockout_writeq_batch *batch = queue->queued;
	size_t count = batch->events.count;
	char ip[LOCKOUT_NET_STRLEN];
	struct lockout_event *ev;

	if (QUEUE_TOTAL(queue, events) >= LOCKOUT_WRITEQ_MAX_OTHER ||
	    (ev = writeq_vec_push(&batch->events, sizeof(*ev))) == NULL) {
		queue->dropped.other++;
		return false;
	}
	if (d->type == LOCKOUT_DECISION_PROTECT)
		ip[0] = '\0';
	else
		lockout_net_to_str(&d->net, ip);
	ev->time = d->time;
	ev->kind = writeq_batch_strndup(batch, kind, SIZE_MAX);
	ev->ip = writeq_batch_strndup(batch, ip, SIZE_MAX);
	ev->user = writeq_batch_strndup(batch, d->user,
					LOCKOUT_WRITEQ_USER_MAX);
	ev->detail = writeq_batch_strndup(batch, d->evidence, SIZE_MAX);
	if (ev->kind == NULL || ev->ip == NULL || ev->user == NULL ||
	    ev->detail == NULL) {
		batch->events.count = count;
		queue->dropped.other++;
		return false;
	}
	return true;
}

static bool queue_device(struct lockout_writeq *queue,
			 const struct lockout_decision *d)
{
	struct lockout_writeq_batch *batch = queue->queued;
	size_t count = batch->devices.count;
	char network[LOCKOUT_NET_STRLEN];
	struct queued_device *dev;

	if (QUEUE_TOTAL(queue, devices) >= LOCKOUT_WRITEQ_MAX_OTHER ||
	    (dev = writeq_vec_push(&batch->devices, sizeof(*dev))) == NULL) {
		queue->dropped.other++;
		return false;
	}
	lockout_net_to_str(&d->net, network);
	dev->user = writeq_batch_strndup(batch, d->target,
					 LOCKOUT_WRITEQ_USER_MAX);
	dev->network = writeq_batch_strndup(batch, network, SIZE_MAX);
	dev->seen = d->time;
	if (dev->user == NULL || dev->network == NULL) {
		batch->devices.count = count;
		queue->dropped.other++;
		return false;
	}
	return true;
}

enum lockout_writeq_flush
lockout_writeq_add_decision(struct lockout_writeq *queue,
			    const struct lockout_decision *d, bool observed)
{
	bool queued;

	switch (d->type) {
	case LOCKOUT_DECISION_BAN:
		return queue_ban(queue, d, observed) ?
			LOCKOUT_WRITEQ_FLUSH_NOW : LOCKOUT_WRITEQ_FLUSH_NONE;
	case LOCKOUT_DECISION_PROTECT:
		queued = queue_ban(queue, d, observed);
		/* the postmaster is told at once (lockoutd) */
		if (!observed)
			queued = queue_event(queue, d, "protected") || queued;
		return queued ? LOCKOUT_WRITEQ_FLUSH_NOW :
			LOCKOUT_WRITEQ_FLUSH_NONE;
	case LOCKOUT_DECISION_NOTABLE:
		queued = queue_event(queue, d, d->rule);
		break;
	case LOCKOUT_DECISION_KNOWN_DEVICE:
		queued = queue_device(queue, d);
		break;
	default:
		queued = false;
		break;
	}
	return queued ? LOCKOUT_WRITEQ_FLUSH_BATCH : LOCKOUT_WRITEQ_FLUSH_NONE;
}

enum lockout_writeq_flush
lockout_writeq_add_ban(struct lockout_writeq *queue,
		       const struct lockout_ban *ban,
		       const struct lockout_net *net)
{
	struct lockout_writeq_batch *batch = queue->queued;
	size_t count = batch->bans.count;
	struct queued_ban *qban;

	if ((qban = writeq_vec_push(&batch->bans, sizeof(*qban))) == NULL) {
		queue->dropped.bans++;
		return LOCKOUT_WRITEQ_FLUSH_NONE;
	}
	qban->ban = *ban;
	qban->ban.id = 0;
	if (!queue_ban_strings(batch, &qban->ban)) {
		batch->bans.count = count;
		queue->dropped.bans++;
		return LOCKOUT_WRITEQ_FLUSH_NONE;
	}
	if (ban->kind != LOCKOUT_KIND_USER)
		qban->net = *net;
	return LOCKOUT_WRITEQ_FLUSH_NOW;
}

enum lockout_writeq_flush
lockout_writeq_add_allowed(struct lockout_writeq *queue, const char *network,
			   const char *reason, int64_t created)
{
	struct lockout_writeq_batch *batch = queue->queued;
	size_t count = batch->allowed.count;
	struct queued_allowed *qa;

	if ((qa = writeq_vec_push(&batch->allowed, sizeof(*qa))) == NULL) {
		queue->dropped.other++;
		return LOCKOUT_WRITEQ_FLUSH_NONE;
	}
	qa->network = writeq_batch_strndup(batch, network, SIZE_MAX);
	qa->reason = writeq_batch_strndup(batch, reason, SIZE_MAX);
	qa->created = created;
	if (qa->network == NULL || qa->reason == NULL) {
		batch->allowed.count = count;
		queue->dropped.other++;
		return LOCKOUT_WRITEQ_FLUSH_NONE;
	}
	return LOCKOUT_WRITEQ_FLUSH_NOW;
}

enum lockout_writeq_flush
lockout_writeq_add_failure(struct lockout_writeq *queue,
			   const struct lockout_failure *failure)
{
	bool room = QUEUE_TOTAL(queue, failures) <
		LOCKOUT_WRITEQ_MAX_FAILURE_ROWS;
	struct lockout_failure untagged;
	int ret;

	if (!queue->keep_tags && failure->tag != 0) {
		untagged = *failure;
		untagged.tag = 0;
		failure = &untagged;
	}
	/* the history is for ranking: identical failures within one batch
	   become one row with a count */
	ret = writeq_batch_add_failure(queue->queued, queue->hash_key, failure,
				       room, false);
	if (ret < 0) {
		queue->dropped.failures++;
		return LOCKOUT_WRITEQ_FLUSH_NONE;
	}
	if (ret == 0)
		return LOCKOUT_WRITEQ_FLUSH_NONE;
	/* a flood: write before the queue is full, rather than drop */
	return queue->queued->failures.count >=
		LOCKOUT_WRITEQ_FLUSH_FAILURE_ROWS ? LOCKOUT_WRITEQ_FLUSH_NOW :
		LOCKOUT_WRITEQ_FLUSH_BATCH;
}

void lockout_writeq_keep_tags(struct lockout_writeq *queue)
{
	queue->keep_tags = true;
}

/* --- what is queued ------------------------------------------------- */

bool lockout_writeq_is_empty(const struct lockout_writeq *queue)
{
	return writeq_batch_is_empty(queue->queued);
}

void lockout_writeq_count(const struct lockout_writeq *queue,
			  struct lockout_writeq_counts *counts_r)
{
	memset(counts_r, 0, sizeof(*counts_r));
	if (queue->in_flight)
		writeq_batch_count(queue->flight, counts_r);
	writeq_batch_count(queue->queued, counts_r);
}

int lockout_writeq_iter_bans(const struct lockout_writeq *queue,
			     lockout_writeq_ban_callback_t *callback,
			     void *context)
{
	int ret = 0;

	if (queue->in_flight)
		ret = writeq_batch_iter_bans(queue->flight, callback, context);
	if (ret == 0)
		ret = writeq_batch_iter_bans(queue->queued, callback, context);
	return ret;
}

int lockout_writeq_iter_allowed(const struct lockout_writeq *queue,
				lockout_writeq_allowed_callback_t *callback,
				void *context)
{
	int ret = 0;

	if (queue->in_flight)
		ret = writeq_batch_iter_allowed(queue->flight, callback,
						context);
	if (ret == 0)
		ret = writeq_batch_iter_allowed(queue->queued, callback,
						context);
	return ret;
}

int lockout_writeq_batch_iter_bans(const struct lockout_writeq_batch *batch,
				   lockout_writeq_ban_callback_t *callback,
				   void *context)
{
	return writeq_batch_iter_bans(batch, callback, context);
}

int lockout_writeq_batch_write(const struct lockout_writeq_batch *batch,
			       struct lockout_store *store,
			       const char **error_r)
{
	if (lockout_store_begin(store, error_r) < 0)
		return -1;
	if (writeq_batch_write_rows(batch, store, error_r) < 0 ||
	    lockout_store_commit(store, error_r) < 0) {
		lockout_store_rollback(store);
		return -1;
	}
	return 0;
}

/* --- writing ------------------------------------------------------- */

static void queue_hand_over_dropped(struct lockout_writeq *queue,
				    struct lockout_writeq_dropped *dropped_r)
{
	*dropped_r = queue->dropped;
	memset(&queue->dropped, 0, sizeof(queue->dropped));
}

const struct lockout_writeq_batch *
lockout_writeq_begin(struct lockout_writeq *queue)
{
	struct lockout_writeq_batch *batch;

	if (queue->in_flight || writeq_batch_is_empty(queue->queued))
		return NULL;
	batch = queue->queued;
	queue->queued = queue->flight;
	queue->flight = batch;
	queue->in_flight = true;
	return batch;
}

void lockout_writeq_end(struct lockout_writeq *queue, bool written,
			struct lockout_writeq_dropped *dropped_r)
{
	struct lockout_writeq_batch *batch = queue->flight;

	memset(dropped_r, 0, sizeof(*dropped_r));
	if (!queue->in_flight)
		return;
	queue->in_flight = false;
	if (written) {
		writeq_batch_clear(batch);
		queue_hand_over_dropped(queue, dropped_r);
		return;
	}
	/* the batch in flight is older: what was queued since goes behind
	   it */
	writeq_batch_merge(batch, queue->queued, queue->hash_key,
			   &queue->dropped);
	queue->flight = queue->queued;
	queue->queued = batch;
}

int lockout_writeq_flush(struct lockout_writeq *queue,
			 struct lockout_store *store,
			 struct lockout_writeq_dropped *dropped_r,
			 const char **error_r)
{
	const struct lockout_writeq_batch *batch;
	int ret;

	if (queue->in_flight) {
		memset(dropped_r, 0, sizeof(*dropped_r));
		return 0;
	}
	batch = lockout_writeq_begin(queue);
	if (batch == NULL) {
		/* nothing to write; drops are still handed over once */
		queue_hand_over_dropped(queue, dropped_r);
		return 0;
	}
	ret = lockout_writeq_batch_write(batch, store, error_r);
	lockout_writeq_end(queue, ret == 0, dropped_r);
	return ret;
}
