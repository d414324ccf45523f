/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-satable.h"

#include <stdlib.h>
#include <string.h>

struct lockout_satable {
	unsigned char *mem;
	size_t sets, entry_size;
	/* the use counter: orders the entries of a set by last use */
	uint64_t uses;
};

struct lockout_satable *
lockout_satable_create(size_t capacity, size_t entry_size)
{
	struct lockout_satable *table;

	size_t sets = capacity / LOCKOUT_SATABLE_WAYS +
		(capacity % LOCKOUT_SATABLE_WAYS != 0 ? 1 : 0);

	if (entry_size < sizeof(struct lockout_satable_head) ||
	    entry_size % sizeof(uint64_t) != 0 ||
	    sets > SIZE_MAX / LOCKOUT_SATABLE_WAYS / entry_size)
		return NULL;
	table = calloc(1, sizeof(*table));
	if (table == NULL)
		return NULL;
	table->sets = sets == 0 ? 1 : sets;
	table->entry_size = entry_size;
	table->mem = calloc(table->sets * LOCKOUT_SATABLE_WAYS, entry_size);
	if (table->mem == NULL) {
		free(table);
		return NULL;
	}
	return table;
}

void lockout_satable_free(struct lockout_satable **_table)
{
	struct lockout_satable *table = *_table;

	if (table == NULL)
		return;
	*_table = NULL;
	free(table->mem);
	free(table);
}

static struct lockout_satable_head *
satable_set(const struct lockout_satable *table, uint64_t key)
{
	size_t first = (size_t)(key % table->sets) * LOCKOUT_SATABLE_WAYS;

	return (struct lockout_satable_head *)(void *)
		(table->mem + first * table->entry_size);
}

static struct lockout_satable_head *
satable_way(const struct lockout_satable *table,
	    struct lockout_satable_head *set, unsigned int way)
{
	return (struct lockout_satable_head *)(void *)
		((unsigned char *)set + way * table->entry_size);
}

/* key's entry in its set, or the entry a new key takes: the first free one,
   else the least recently used (a free entry's last_use is 0: it comes
   first) */
static struct lockout_satable_head *
satable_scan(const struct lockout_satable *table, uint64_t key,
	     bool *found_r)
{
	struct lockout_satable_head *set = satable_set(table, key);
	struct lockout_satable_head *h, *victim = NULL;
	unsigned int i;

	for (i = 0; i < LOCKOUT_SATABLE_WAYS; i++) {
		h = satable_way(table, set, i);
		if (h->key == key) {
			*found_r = true;
			return h;
		}
		if (victim == NULL || h->last_use < victim->last_use)
			victim = h;
	}
	*found_r = false;
	return victim;
}

void *lockout_satable_find(const struct lockout_satable *table, uint64_t key)
{
	struct lockout_satable_head *h;
	bool found;

	h = satable_scan(table, key == 0 ? 1 : key, &found);
	return found ? h : NULL;
}

void *lockout_satable_get(struct lockout_satable *table, uint64_t key,
			  bool *created_r, bool *evicted_r)
{
	struct lockout_satable_head *h;
	bool found, evicted = false;

	if (key == 0)
		key = 1;
	h = satable_scan(table, key, &found);
	if (!found) {
		evicted = h->key != 0;
		memset(h, 0, table->entry_size);
		h->key = key;
	}
	h->last_use = ++table->uses;
	if (created_r != NULL)
		*created_r = !found;
	if (evicted_r != NULL)
		*evicted_r = evicted;
	return h;
}

const void *lockout_satable_victim(const struct lockout_satable *table,
				   uint64_t key)
{
	bool found;

	return satable_scan(table, key == 0 ? 1 : key, &found);
}

void lockout_satable_remove(struct lockout_satable *table, void *entry)
{
	memset(entry, 0, table->entry_size);
}

size_t lockout_satable_index(const struct lockout_satable *table,
			     const void *entry)
{
	return (size_t)((const unsigned char *)entry - table->mem) /
		table->entry_size;
}

size_t lockout_satable_capacity(const struct lockout_satable *table)
{
	return table->sets * LOCKOUT_SATABLE_WAYS;
}

size_t lockout_satable_memory(const struct lockout_satable *table)
{
	return sizeof(*table) +
		lockout_satable_capacity(table) * table->entry_size;
}
