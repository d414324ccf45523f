/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-satable.h"

#include <stdlib.h>
#include <string.h>

/* A set's keys fill one 64-byte cache line. */
#define SATABLE_LINE 64

struct lockout_satable {
	/* keys[i] is the key of entry i (0 = free): a set's keys side by
	   side, so a lookup reads one cache line, not one line per way */
	uint64_t *keys;
	void *keys_mem; /* what keys was carved from */
	/* uses[i]: the use counter at entry i's last use. 32 bits, compared
	   as an age (uses - uses[i], modulo 2^32): exact while every entry of
	   a set was used within the last 2^32 uses; an entry idle longer only
	   looks younger than it is, which may spare it one eviction */
	uint32_t *uses;
	unsigned char *mem;
	size_t sets, entry_size;
	uint32_t use;
};

struct lockout_satable *
lockout_satable_create(size_t capacity, size_t entry_size)
{
	struct lockout_satable *table;
	size_t sets = capacity / LOCKOUT_SATABLE_WAYS +
		(capacity % LOCKOUT_SATABLE_WAYS != 0 ? 1 : 0);
	size_t n;

	if (sets == 0)
		sets = 1;
	if (entry_size < sizeof(uint64_t) ||
	    entry_size % sizeof(uint64_t) != 0 ||
	    sets > SIZE_MAX / LOCKOUT_SATABLE_WAYS / entry_size)
		return NULL;
	n = sets * LOCKOUT_SATABLE_WAYS;
	table = calloc(1, sizeof(*table));
	if (table == NULL)
		return NULL;
	table->sets = sets;
	table->entry_size = entry_size;
	/* calloc, not posix_memalign and memset: the zero pages of a large
	   table stay untouched (and out of the resident size) until used */
	table->keys_mem = calloc(n + SATABLE_LINE / sizeof(uint64_t),
				 sizeof(uint64_t));
	table->uses = calloc(n, sizeof(uint32_t));
	table->mem = calloc(n, entry_size);
	if (table->keys_mem == NULL || table->uses == NULL ||
	    table->mem == NULL) {
		lockout_satable_free(&table);
		return NULL;
	}
	table->keys = (uint64_t *)(void *)
		(((uintptr_t)table->keys_mem + SATABLE_LINE - 1) &
		 ~(uintptr_t)(SATABLE_LINE - 1));
	return table;
}

void lockout_satable_free(struct lockout_satable **_table)
{
	struct lockout_satable *table = *_table;

	if (table == NULL)
		return;
	*_table = NULL;
	free(table->keys_mem);
	free(table->uses);
	free(table->mem);
	free(table);
}

static void *satable_entry(const struct lockout_satable *table, size_t idx)
{
	return table->mem + idx * table->entry_size;
}

/* The index of key's entry in its set, or of the entry a new key takes:
   the first free one, else the least recently used. */
static size_t satable_scan(const struct lockout_satable *table, uint64_t key,
			   bool *found_r)
{
	size_t first = (size_t)(key % table->sets) * LOCKOUT_SATABLE_WAYS;
	const uint64_t *keys = table->keys + first;
	size_t i, victim = LOCKOUT_SATABLE_WAYS;
	uint32_t age, oldest = 0;

	for (i = 0; i < LOCKOUT_SATABLE_WAYS; i++) {
		if (keys[i] == key) {
			*found_r = true;
			return first + i;
		}
		if (keys[i] == 0 && victim == LOCKOUT_SATABLE_WAYS)
			victim = i;
	}
	*found_r = false;
	if (victim != LOCKOUT_SATABLE_WAYS)
		return first + victim;
	victim = 0;
	for (i = 0; i < LOCKOUT_SATABLE_WAYS; i++) {
		age = table->use - table->uses[first + i];
		if (age > oldest) {
			oldest = age;
			victim = i;
		}
	}
	return first + victim;
}

void *lockout_satable_find(const struct lockout_satable *table, uint64_t key)
{
	bool found;
	size_t idx = satable_scan(table, key == 0 ? 1 : key, &found);

	return found ? satable_entry(table, idx) : NULL;
}

static void *satable_get(struct lockout_satable *table, uint64_t key,
			 bool zero, bool *created_r, bool *evicted_r)
{
	bool found, evicted = false;
	size_t idx;
	void *entry;

	if (key == 0)
		key = 1;
	idx = satable_scan(table, key, &found);
	entry = satable_entry(table, idx);
	if (!found) {
		evicted = table->keys[idx] != 0;
		if (zero)
			memset(entry, 0, table->entry_size);
		table->keys[idx] = key;
	}
	table->uses[idx] = ++table->use;
	if (created_r != NULL)
		*created_r = !found;
	if (evicted_r != NULL)
		*evicted_r = evicted;
	return entry;
}

void *lockout_satable_get(struct lockout_satable *table, uint64_t key,
			  bool *created_r, bool *evicted_r)
{
	return satable_get(table, key, true, created_r, evicted_r);
}

void *lockout_satable_get_uninit(struct lockout_satable *table, uint64_t key,
				 bool *created_r, bool *evicted_r)
{
	return satable_get(table, key, false, created_r, evicted_r);
}

const void *lockout_satable_victim(const struct lockout_satable *table,
				   uint64_t key)
{
	bool found;

	return satable_entry(table, satable_scan(table, key == 0 ? 1 : key,
						 &found));
}

uint64_t lockout_satable_key(const struct lockout_satable *table,
			     const void *entry)
{
	return table->keys[lockout_satable_index(table, entry)];
}

void lockout_satable_remove(struct lockout_satable *table, void *entry)
{
	size_t idx = lockout_satable_index(table, entry);

	table->keys[idx] = 0;
	table->uses[idx] = 0;
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
	return sizeof(*table) + SATABLE_LINE + lockout_satable_capacity(table) *
		(sizeof(uint64_t) + sizeof(uint32_t) + table->entry_size);
}
