/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_WRITEQ_H
#define LOCKOUT_WRITEQ_H

#include "lockout-policy.h"
#include "lockout-store.h"

/* The write queue: what the policy engine decided (bans, protections, known
   devices, notable events) and the failures it saw, held in memory until
   they are written into the ban table, all of them in one transaction.
   Adding never touches the store and costs O(1), so a request never waits
   for the database; writing is a step of its own that the caller drives
   (a timer of the auth process today).

   Bounded, whatever an attacker sends: at most LOCKOUT_WRITEQ_MAX_BANS bans
   and protections, LOCKOUT_WRITEQ_MAX_OTHER known devices and as many
   events, and LOCKOUT_WRITEQ_MAX_FAILURE_ROWS failure rows, where identical
   failures (same ip, user, service, mechanism and result) make one row with
   a count. What does not fit is dropped and counted (out of memory counts
   as full); the counts are handed over with the next successful write.

   Threads and other stores: the queue has no lock and no thread of its own.
   At most one batch is "in flight": lockout_writeq_begin() moves everything
   queued into it and the queue takes new records behind it;
   lockout_writeq_batch_write() only reads the batch, so another thread may
   write it while this one keeps adding (with a lock around the other
   calls); lockout_writeq_end() then forgets the batch, or puts it back
   ahead of what was queued since when it could not be written.
   lockout_writeq_flush() does the three in one call. */

#define LOCKOUT_WRITEQ_MAX_BANS 10000
#define LOCKOUT_WRITEQ_MAX_OTHER 10000
#define LOCKOUT_WRITEQ_MAX_FAILURE_ROWS 20000
/* This many failure rows waiting are written at once (FLUSH_NOW) rather
   than with the batch: a flood is written in large transactions, and
   before the queue is full. */
#define LOCKOUT_WRITEQ_FLUSH_FAILURE_ROWS 5000
/* Longest username, service and mechanism kept in a failure row (bytes;
   longer ones are cut): usernames are chosen by attackers. */
#define LOCKOUT_WRITEQ_USER_MAX 255
#define LOCKOUT_WRITEQ_SERVICE_MAX 64

struct lockout_writeq;
struct lockout_writeq_batch;

/* When the caller should write what was just added. */
enum lockout_writeq_flush {
	/* nothing new: dropped, or counted into a row already queued */
	LOCKOUT_WRITEQ_FLUSH_NONE,
	/* with the next batch */
	LOCKOUT_WRITEQ_FLUSH_BATCH,
	/* a ban or a protection: at once, so that lockoutd can firewall it
	   and other processes see it; or LOCKOUT_WRITEQ_FLUSH_FAILURE_ROWS
	   failure rows waiting */
	LOCKOUT_WRITEQ_FLUSH_NOW,
};

/* Records dropped because the queue was full (or memory short). */
struct lockout_writeq_dropped {
	unsigned int failures;
	unsigned int bans;
	/* known devices and events */
	unsigned int other;
};

/* What is queued (in flight included). */
struct lockout_writeq_counts {
	unsigned int bans, devices, events;
	/* failure rows, and the failures they count */
	unsigned int failure_rows, failures;
	/* allowed networks written back (lockout_writeq_add_allowed()) */
	unsigned int allowed;
};

/* Create an empty queue. Returns NULL when out of memory (or when libsodium
   cannot be initialised: it keys the hash of the failure rows). */
struct lockout_writeq *lockout_writeq_create(void)
	__attribute__((warn_unused_result));
/* Free the queue, written or not, and set *queue to NULL. NULL-safe. */
void lockout_writeq_free(struct lockout_writeq **queue);

/* Queue what decision asks to persist: a ban or protection (made in
   lockout_mode=observe when observed) as an automatic ban row; for a
   protection that is not observed also a "protected" event (the
   postmaster is told at once); a known device; a notable event (of kind
   decision->rule). The decision's strings are copied. */
enum lockout_writeq_flush
lockout_writeq_add_decision(struct lockout_writeq *queue,
			    const struct lockout_decision *decision,
			    bool observed);
/* Queue failure->count failures for the history: counted into the queued
   row with the same ip, user, service, mechanism and result (the first
   time of the row is kept), or a new row. NULL strings are stored as "";
   the username is cut to LOCKOUT_WRITEQ_USER_MAX bytes, service and
   mechanism to LOCKOUT_WRITEQ_SERVICE_MAX, ip and result to
   LOCKOUT_FAILURE_FIELD_MAX. */
enum lockout_writeq_flush
lockout_writeq_add_failure(struct lockout_writeq *queue,
			   const struct lockout_failure *failure);

/* Keep the password tags of the failures queued from now on (a node of
   several: the rows of different passwords stay apart, each with its
   tag, for the other nodes to count). By default the tag of a failure is
   dropped and failures that differ only by it make one row. */
void lockout_writeq_keep_tags(struct lockout_writeq *queue);

/* Queue a copy of ban, a whole row as it is to be written again (its id is
   ignored), and net, its network for kinds ip and net (ignored for user):
   a ban table that was lost is written back from memory. Not subject to
   LOCKOUT_WRITEQ_MAX_BANS: the caller holds these already, so they are
   bounded by what it holds. Returns FLUSH_NOW, or FLUSH_NONE when out of
   memory (counted as a dropped ban). */
enum lockout_writeq_flush
lockout_writeq_add_ban(struct lockout_writeq *queue,
		       const struct lockout_ban *ban,
		       const struct lockout_net *net);
/* Queue an allowed network to be written (with lockout_store_add_allowed():
   a network there already only gets this reason), like
   lockout_writeq_add_ban() and bounded alike. Returns FLUSH_NOW, or
   FLUSH_NONE when out of memory (counted as dropped "other"). */
enum lockout_writeq_flush
lockout_writeq_add_allowed(struct lockout_writeq *queue, const char *network,
			   const char *reason, int64_t created);

/* True when nothing waits to be written (a batch in flight not counted). */
bool lockout_writeq_is_empty(const struct lockout_writeq *queue);
/* Count what is queued, in flight included. */
void lockout_writeq_count(const struct lockout_writeq *queue,
			  struct lockout_writeq_counts *counts_r);

/* Called for each ban and protection not written yet (in flight first,
   then queued, each oldest first): ban as it will be written (id 0), net
   the banned network for kinds ip and net (zeroed for user). Valid only
   during the call. Non-zero stops and is returned. */
typedef int lockout_writeq_ban_callback_t(const struct lockout_ban *ban,
					  const struct lockout_net *net,
					  void *context);
int lockout_writeq_iter_bans(const struct lockout_writeq *queue,
			     lockout_writeq_ban_callback_t *callback,
			     void *context);

/* Called for each allowed network not written yet (in flight first). The
   strings are valid only during the call. Non-zero stops and is
   returned. */
typedef int lockout_writeq_allowed_callback_t(const char *network,
					      const char *reason,
					      int64_t created, void *context);
int lockout_writeq_iter_allowed(const struct lockout_writeq *queue,
				lockout_writeq_allowed_callback_t *callback,
				void *context);

/* Write everything queued into store in one transaction (BEGIN IMMEDIATE
   ... COMMIT) and forget it. Returns 0 with *dropped_r the records dropped
   since the last successful write (then reset); an empty queue writes
   nothing. Returns -1 with *error_r when nothing was written: everything
   stays queued, and lockout_store_error_is_busy(store) tells whether only
   a lock held by another writer was in the way (retry later). Not for a
   queue with a batch in flight: that writes nothing and returns 0. */
int lockout_writeq_flush(struct lockout_writeq *queue,
			 struct lockout_store *store,
			 struct lockout_writeq_dropped *dropped_r,
			 const char **error_r)
	__attribute__((warn_unused_result));

/* --- the same in steps, for a writer that runs elsewhere ---------------- */

/* Move everything queued into the batch in flight and return it; new
   records queue behind it. Returns NULL when nothing is queued or a batch
   is in flight already. */
const struct lockout_writeq_batch *
lockout_writeq_begin(struct lockout_writeq *queue);
/* Write batch into store in one transaction. Reads only the batch.
   Returns 0, or -1 with *error_r when nothing was written (busy as for
   lockout_writeq_flush()). */
int lockout_writeq_batch_write(const struct lockout_writeq_batch *batch,
			       struct lockout_store *store,
			       const char **error_r)
	__attribute__((warn_unused_result));
/* lockout_writeq_iter_bans() over batch alone: what a write that
   succeeded has just put into the table. */
int lockout_writeq_batch_iter_bans(const struct lockout_writeq_batch *batch,
				   lockout_writeq_ban_callback_t *callback,
				   void *context);
/* End the batch in flight: when written, forget it and set *dropped_r as
   lockout_writeq_flush() does (zeroed otherwise); when not, put its
   records back ahead of those queued since (failure rows that match are
   counted together again). */
void lockout_writeq_end(struct lockout_writeq *queue, bool written,
			struct lockout_writeq_dropped *dropped_r);

#endif
