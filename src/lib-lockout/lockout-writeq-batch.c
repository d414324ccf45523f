/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-writeq-private.h"

#include <stdlib.h>
#include <string.h>

/* The batches of the write queue (see lockout-writeq-private.h). */

#define ARENA_CHUNK_SIZE 4096
#define FAILURE_SLOTS_MIN 64
/* the failure row's fields with their NULs, each cut to at most this */
/* five fields with their NULs, then the tag's four bytes */
#define FAILURE_KEY_MAX (5 * (LOCKOUT_FAILURE_FIELD_MAX + 1) + 4)

/* --- arrays and strings --------------------------------------------- */

void *writeq_vec_push(struct vec *vec, size_t elem_size)
{
	void *data, *elem;
	size_t alloc;

	if (vec->count == vec->alloc) {
		alloc = vec->alloc == 0 ? 16 : vec->alloc * 2;
		data = realloc(vec->data, alloc * elem_size);
		if (data == NULL)
			return NULL;
		vec->data = data;
		vec->alloc = alloc;
	}
	elem = (char *)vec->data + vec->count++ * elem_size;
	memset(elem, 0, elem_size);
	return elem;
}

/* Append the elements of src to dest; returns how many found no room. */
static unsigned int vec_append(struct vec *dest, const struct vec *src,
			       size_t elem_size)
{
	unsigned int lost = 0;
	void *elem;
	size_t i;

	for (i = 0; i < src->count; i++) {
		elem = writeq_vec_push(dest, elem_size);
		if (elem == NULL)
			lost++;
		else
			memcpy(elem, (const char *)src->data + i * elem_size,
			       elem_size);
	}
	return lost;
}

const char *writeq_batch_strndup(struct lockout_writeq_batch *batch,
				 const char *str, size_t max)
{
	struct arena_chunk *chunk = batch->chunks;
	size_t len, size;
	char *copy;

	if (str == NULL)
		str = "";
	len = strnlen(str, max);
	if (chunk == NULL || chunk->size - chunk->used < len + 1) {
		size = len + 1 > ARENA_CHUNK_SIZE ? len + 1 : ARENA_CHUNK_SIZE;
		chunk = malloc(sizeof(*chunk) + size);
		if (chunk == NULL)
			return NULL;
		chunk->size = size;
		chunk->used = 0;
		/* a big string gets a chunk of its own behind the current
		   one, which keeps its room */
		if (batch->chunks != NULL && size > ARENA_CHUNK_SIZE) {
			chunk->next = batch->chunks->next;
			batch->chunks->next = chunk;
		} else {
			chunk->next = batch->chunks;
			batch->chunks = chunk;
		}
	}
	copy = chunk->data + chunk->used;
	memcpy(copy, str, len);
	copy[len] = '\0';
	chunk->used += len + 1;
	return copy;
}

static void batch_free_chunks(struct arena_chunk **chunks)
{
	struct arena_chunk *chunk, *next;

	for (chunk = *chunks; chunk != NULL; chunk = next) {
		next = chunk->next;
		free(chunk);
	}
	*chunks = NULL;
}

void writeq_batch_clear(struct lockout_writeq_batch *batch)
{
	batch_free_chunks(&batch->chunks);
	batch->bans.count = 0;
	batch->devices.count = 0;
	batch->events.count = 0;
	batch->failures.count = 0;
	batch->allowed.count = 0;
	if (batch->slots != NULL)
		memset(batch->slots, 0, batch->slots_size * sizeof(uint32_t));
}

void writeq_batch_deinit(struct lockout_writeq_batch *batch)
{
	batch_free_chunks(&batch->chunks);
	free(batch->bans.data);
	free(batch->devices.data);
	free(batch->events.data);
	free(batch->failures.data);
	free(batch->allowed.data);
	free(batch->slots);
	memset(batch, 0, sizeof(*batch));
}

bool writeq_batch_is_empty(const struct lockout_writeq_batch *batch)
{
	return batch->bans.count == 0 && batch->devices.count == 0 &&
		batch->events.count == 0 && batch->failures.count == 0 &&
		batch->allowed.count == 0;
}

/* --- failure rows --------------------------------------------------- */

/* The row's fields, cut as documented, with their NULs: the hash key. */
static size_t failure_key(const struct lockout_failure *f,
			  char key[FAILURE_KEY_MAX])
{
	const char *fields[] = {
		f->ip, f->user, f->service, f->mechanism, f->result
	};
	const size_t max[] = {
		LOCKOUT_FAILURE_FIELD_MAX, LOCKOUT_WRITEQ_USER_MAX,
		LOCKOUT_WRITEQ_SERVICE_MAX, LOCKOUT_WRITEQ_SERVICE_MAX,
		LOCKOUT_FAILURE_FIELD_MAX
	};
	size_t i, len, pos = 0;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		len = fields[i] == NULL ? 0 : strnlen(fields[i], max[i]);
		if (len > 0)
			memcpy(key + pos, fields[i], len);
		pos += len;
		key[pos++] = '\0';
	}
	/* rows of one password apart from those of another (the tag is 0
	   unless the queue keeps tags: lockout_writeq_keep_tags()) */
	memcpy(key + pos, &f->tag, sizeof(f->tag));
	return pos + sizeof(f->tag);
}

static uint32_t failure_hash(const writeq_key_t hash_key,
			     const char *key, size_t len)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint32_t hash;

	crypto_shorthash(out, (const unsigned char *)key, len, hash_key);
	memcpy(&hash, out, sizeof(hash));
	return hash;
}

/* Is the queued row equal to the key's fields? */
static bool failure_matches(const struct lockout_failure *row,
			    const char *key)
{
	const char *fields[] = {
		row->ip, row->user, row->service, row->mechanism, row->result
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(fields[i], key) != 0)
			return false;
		key += strlen(key) + 1;
	}
	return memcmp(key, &row->tag, sizeof(row->tag)) == 0;
}

/* The slot of the row with this key, or the free slot where it goes. */
static uint32_t *failure_slot(const struct lockout_writeq_batch *batch,
			      uint32_t hash, const char *key)
{
	const struct queued_failure *qf;
	size_t i = hash & (batch->slots_size - 1);

	for (;; i = (i + 1) & (batch->slots_size - 1)) {
		if (batch->slots[i] == 0)
			return &batch->slots[i];
		qf = VEC_AT(&batch->failures, struct queued_failure,
			    batch->slots[i] - 1);
		if (qf->hash == hash && failure_matches(&qf->row, key))
			return &batch->slots[i];
	}
}

/* Keep the table at most half full. Returns false when out of memory. */
static bool failure_slots_reserve(struct lockout_writeq_batch *batch)
{
	const struct queued_failure *qf;
	size_t i, j, size;
	uint32_t *slots;

	if (batch->slots != NULL &&
	    (batch->failures.count + 1) * 2 <= batch->slots_size)
		return true;
	size = batch->slots == NULL ? FAILURE_SLOTS_MIN :
		batch->slots_size * 2;
	slots = calloc(size, sizeof(*slots));
	if (slots == NULL)
		return false;
	for (i = 0; i < batch->failures.count; i++) {
		qf = VEC_AT(&batch->failures, struct queued_failure, i);
		for (j = qf->hash & (size - 1); slots[j] != 0;
		     j = (j + 1) & (size - 1)) ;
		slots[j] = (uint32_t)i + 1;
	}
	free(batch->slots);
	batch->slots = slots;
	batch->slots_size = size;
	return true;
}

int writeq_batch_add_failure(struct lockout_writeq_batch *batch,
			     const writeq_key_t hash_key,
			     const struct lockout_failure *row,
			     bool new_row_ok, bool merge)
{
	char key[FAILURE_KEY_MAX];
	struct queued_failure *qf;
	size_t len, count;
	const char *p;
	uint32_t hash, *slot;

	len = failure_key(row, key);
	hash = failure_hash(hash_key, key, len);
	if (batch->slots != NULL) {
		slot = failure_slot(batch, hash, key);
		if (*slot != 0) {
			qf = VEC_AT(&batch->failures, struct queued_failure,
				    *slot - 1);
			qf->row.count += row->count;
			return 0;
		}
	}
	if (!new_row_ok || !failure_slots_reserve(batch))
		return -1;
	count = batch->failures.count;
	if ((qf = writeq_vec_push(&batch->failures, sizeof(*qf))) == NULL)
		return -1;
	qf->hash = hash;
	qf->row.time = row->time;
	qf->row.count = row->count;
	qf->row.tag = row->tag;
	if (!merge) {
		/* the key holds the fields, already cut */
		p = key;
		qf->row.ip = writeq_batch_strndup(batch, p, SIZE_MAX);
		p += strlen(p) + 1;
		qf->row.user = writeq_batch_strndup(batch, p, SIZE_MAX);
		p += strlen(p) + 1;
		qf->row.service = writeq_batch_strndup(batch, p, SIZE_MAX);
		p += strlen(p) + 1;
		qf->row.mechanism = writeq_batch_strndup(batch, p, SIZE_MAX);
		p += strlen(p) + 1;
		qf->row.result = writeq_batch_strndup(batch, p, SIZE_MAX);
		if (qf->row.ip == NULL || qf->row.user == NULL ||
		    qf->row.service == NULL || qf->row.mechanism == NULL ||
		    qf->row.result == NULL) {
			batch->failures.count = count;
			return -1;
		}
	} else {
		qf->row.ip = row->ip;
		qf->row.user = row->user;
		qf->row.service = row->service;
		qf->row.mechanism = row->mechanism;
		qf->row.result = row->result;
	}
	*failure_slot(batch, hash, key) = (uint32_t)count + 1;
	return 1;
}

/* --- reading and writing ------------------------------------------- */

void writeq_batch_count(const struct lockout_writeq_batch *batch,
			struct lockout_writeq_counts *counts)
{
	size_t i;

	counts->bans += batch->bans.count;
	counts->devices += batch->devices.count;
	counts->events += batch->events.count;
	counts->failure_rows += batch->failures.count;
	counts->allowed += batch->allowed.count;
	for (i = 0; i < batch->failures.count; i++) {
		counts->failures += VEC_AT(&batch->failures,
					   struct queued_failure, i)->row.count;
	}
}

int writeq_batch_iter_bans(const struct lockout_writeq_batch *batch,
			   lockout_writeq_ban_callback_t *callback,
			   void *context)
{
	const struct queued_ban *qban;
	size_t i;
	int ret;

	for (i = 0; i < batch->bans.count; i++) {
		qban = VEC_AT(&batch->bans, struct queued_ban, i);
		ret = callback(&qban->ban, &qban->net, context);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int writeq_batch_iter_allowed(const struct lockout_writeq_batch *batch,
			      lockout_writeq_allowed_callback_t *callback,
			      void *context)
{
	const struct queued_allowed *qa;
	size_t i;
	int ret;

	for (i = 0; i < batch->allowed.count; i++) {
		qa = VEC_AT(&batch->allowed, struct queued_allowed, i);
		ret = callback(qa->network, qa->reason, qa->created, context);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* The failure rows, WRITEQ_FAILURE_CHUNK a call: the PostgreSQL store
   packs a call's rows of the same second into one database row (a flush
   holds a second or two), SQLite writes one row a statement as before. */
#define WRITEQ_FAILURE_CHUNK 1024
static int
writeq_batch_write_failures(const struct lockout_writeq_batch *batch,
			    struct lockout_store *store, const char **error_r)
{
	struct lockout_failure *chunk;
	size_t i, n = 0;
	int ret = 0;

	if (batch->failures.count == 0)
		return 0;
	chunk = calloc(batch->failures.count < WRITEQ_FAILURE_CHUNK ?
		       batch->failures.count : WRITEQ_FAILURE_CHUNK,
		       sizeof(*chunk));
	if (chunk == NULL) {
		*error_r = "write failures: out of memory";
		return -1;
	}
	for (i = 0; i < batch->failures.count && ret == 0; i++) {
		chunk[n++] = VEC_AT(&batch->failures, struct queued_failure,
				    i)->row;
		if (n < WRITEQ_FAILURE_CHUNK && i + 1 < batch->failures.count)
			continue;
		ret = lockout_store_add_failures(store, chunk, n, error_r);
		n = 0;
	}
	free(chunk);
	return ret;
}

/* The bans, last: on a table shared by several nodes the failures and
   the automatic bans are written in the writers' turn, held from the first
   of them to the commit (lockout_store_add_auto_ban()), so the rest of the
   batch goes before. An automatic ban another node wrote meanwhile is not
   written twice. */
static int
writeq_batch_write_bans(const struct lockout_writeq_batch *batch,
			struct lockout_store *store, const char **error_r)
{
	const struct lockout_ban *ban;
	bool added;
	size_t i;

	for (i = 0; i < batch->bans.count; i++) {
		ban = &VEC_AT(&batch->bans, struct queued_ban, i)->ban;
		if ((ban->source == LOCKOUT_SOURCE_AUTO ?
		     lockout_store_add_auto_ban(store, ban, &added, error_r) :
		     lockout_store_add_ban(store, ban, NULL, error_r)) < 0)
			return -1;
	}
	return 0;
}

int writeq_batch_write_rows(const struct lockout_writeq_batch *batch,
			    struct lockout_store *store,
			    const char **error_r)
{
	const struct queued_device *dev;
	const struct queued_allowed *qa;
	size_t i;

	for (i = 0; i < batch->allowed.count; i++) {
		/* an UPDATE when the network is there already */
		qa = VEC_AT(&batch->allowed, struct queued_allowed, i);
		if (lockout_store_add_allowed(store, qa->network, qa->reason,
					      qa->created, NULL,
					      error_r) < 0)
			return -1;
	}
	for (i = 0; i < batch->devices.count; i++) {
		dev = VEC_AT(&batch->devices, struct queued_device, i);
		if (lockout_store_touch_known_device(store, dev->user,
						     dev->network, dev->seen,
						     error_r) < 0)
			return -1;
	}
	for (i = 0; i < batch->events.count; i++) {
		if (lockout_store_add_event(store, VEC_AT(&batch->events,
				struct lockout_event, i), error_r) < 0)
			return -1;
	}
	if (writeq_batch_write_failures(batch, store, error_r) < 0)
		return -1;
	return writeq_batch_write_bans(batch, store, error_r);
}

void writeq_batch_merge(struct lockout_writeq_batch *dest,
			struct lockout_writeq_batch *src,
			const writeq_key_t hash_key,
			struct lockout_writeq_dropped *dropped)
{
	struct arena_chunk **tail;
	size_t i;

	/* the strings stay where they are */
	for (tail = &dest->chunks; *tail != NULL; tail = &(*tail)->next) ;
	*tail = src->chunks;
	src->chunks = NULL;

	dropped->bans += vec_append(&dest->bans, &src->bans,
				    sizeof(struct queued_ban));
	dropped->other += vec_append(&dest->devices, &src->devices,
				     sizeof(struct queued_device));
	dropped->other += vec_append(&dest->events, &src->events,
				     sizeof(struct lockout_event));
	dropped->other += vec_append(&dest->allowed, &src->allowed,
				     sizeof(struct queued_allowed));
	for (i = 0; i < src->failures.count; i++) {
		/* within the bounds already: the rows were counted there */
		if (writeq_batch_add_failure(dest, hash_key,
				&VEC_AT(&src->failures, struct queued_failure,
					i)->row, true, true) < 0)
			dropped->failures++;
	}
	writeq_batch_clear(src);
}

