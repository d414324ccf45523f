/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_WRITEQ_PRIVATE_H
#define LOCKOUT_WRITEQ_PRIVATE_H

#include "lockout-writeq.h"

#include <sodium.h>

/* A batch of the write queue: its records, their strings in an arena of
   its own (freed all at once when the batch is written), and its failure
   rows in an open-addressing table under a keyed hash (usernames are
   chosen by attackers). lockout-writeq.c keeps two of them: the one
   records are added to, and the one in flight. */

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	char data[];
};

struct queued_ban {
	struct lockout_ban ban;
	struct lockout_net net;
};

/* an allowed network written back after the table was lost */
struct queued_allowed {
	const char *network, *reason;
	int64_t created;
};

struct queued_device {
	const char *user, *network;
	int64_t seen;
};

struct queued_failure {
	struct lockout_failure row;
	uint32_t hash;
};

/* A growable array of count elements (alloc allocated). */
struct vec {
	void *data;
	size_t count, alloc;
};

#define VEC_AT(vec, type, i) (&((type *)(vec)->data)[i])

struct lockout_writeq_batch {
	struct arena_chunk *chunks;
	struct vec bans;	/* struct queued_ban */
	struct vec devices;	/* struct queued_device */
	struct vec events;	/* struct lockout_event */
	struct vec failures;	/* struct queued_failure */
	struct vec allowed;	/* struct queued_allowed */
	/* index + 1 into failures; 0 = free. Power of two, at most half
	   full. */
	uint32_t *slots;
	size_t slots_size;
};

/* The key of the failure rows' hash. */
typedef unsigned char writeq_key_t[crypto_shorthash_KEYBYTES];

/* Room for one more element of vec; returns it (zeroed), or NULL when out
   of memory. */
void *writeq_vec_push(struct vec *vec, size_t elem_size);
/* Copy at most max bytes of str (NULL as "") into the batch's arena;
   NULL when out of memory. */
const char *writeq_batch_strndup(struct lockout_writeq_batch *batch,
				 const char *str, size_t max);
/* Forget the records (keeping the room of the arrays); free everything. */
void writeq_batch_clear(struct lockout_writeq_batch *batch);
void writeq_batch_deinit(struct lockout_writeq_batch *batch);
bool writeq_batch_is_empty(const struct lockout_writeq_batch *batch);

/* Count row into the batch's row with the same fields (cut as
   lockout_writeq_add_failure() says), or make a new row when new_row_ok:
   its strings are copied, or with merge taken as they are (they live as
   long as the batch). Returns 1 for a new row, 0 when counted into one,
   -1 when there was no room (not new_row_ok, or out of memory). */
int writeq_batch_add_failure(struct lockout_writeq_batch *batch,
			     const writeq_key_t key,
			     const struct lockout_failure *row,
			     bool new_row_ok, bool merge);
/* Append the records of src to dest and clear src; src's arena moves
   over. Records that find no room are counted in *dropped. */
void writeq_batch_merge(struct lockout_writeq_batch *dest,
			struct lockout_writeq_batch *src,
			const writeq_key_t key,
			struct lockout_writeq_dropped *dropped);
/* Add what the batch holds to *counts. */
void writeq_batch_count(const struct lockout_writeq_batch *batch,
			struct lockout_writeq_counts *counts);
/* lockout_writeq_iter_bans() for one batch. */
int writeq_batch_iter_bans(const struct lockout_writeq_batch *batch,
			   lockout_writeq_ban_callback_t *callback,
			   void *context);
/* lockout_writeq_iter_allowed() for one batch. */
int writeq_batch_iter_allowed(const struct lockout_writeq_batch *batch,
			      lockout_writeq_allowed_callback_t *callback,
			      void *context);
/* Insert the batch's rows (inside the caller's transaction). */
int writeq_batch_write_rows(const struct lockout_writeq_batch *batch,
			    struct lockout_store *store,
			    const char **error_r);

#endif
