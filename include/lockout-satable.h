/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_SATABLE_H
#define LOCKOUT_SATABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A bounded table of fixed-size entries: set-associative, the least
   recently used entry of a set evicted when a new key needs room. Memory is
   allocated once; finding or making an entry scans the
   LOCKOUT_SATABLE_WAYS keys of one set, never rehashes, never grows.

   Keys are 64-bit keyed hashes (lockout_hash()) of what the caller indexes:
   key k lives in set k mod (capacity / LOCKOUT_SATABLE_WAYS), so an
   attacker who cannot compute the keys cannot aim them at one set. Two
   inputs with the same key share one entry. Key 0 is taken as key 1 (0
   marks a free entry).

   The keys and the use order are kept apart from the entries, a set's keys
   in one cache line: a lookup reads that line and then touches the one
   entry it returns, however large the entries are. The entries belong to
   the caller and are zeroed whenever one is given to a new key. */

#define LOCKOUT_SATABLE_WAYS 8

struct lockout_satable;

/* Create a table of capacity entries (rounded up to a multiple of
   LOCKOUT_SATABLE_WAYS, one set at least), each entry_size bytes (a
   multiple of 8, 8 at least), all free.
   Returns NULL when out of memory, for a bad entry_size or a capacity too
   large to allocate. */
struct lockout_satable *
lockout_satable_create(size_t capacity, size_t entry_size)
	__attribute__((warn_unused_result));
/* Free the table and set *table to NULL. NULL-safe. */
void lockout_satable_free(struct lockout_satable **table);

/* Return key's entry, or NULL. Not a use: the eviction order stays. */
void *lockout_satable_find(const struct lockout_satable *table, uint64_t key);
/* Return key's entry, now the most recently used of its set. When key has
   none, a free entry of its set is given to it, else the least recently
   used one (evicting its key); the new entry is zeroed.
   *created_r tells whether the entry is new, *evicted_r whether another
   key's entry was lost for it (each may be NULL). */
void *lockout_satable_get(struct lockout_satable *table, uint64_t key,
			  bool *created_r, bool *evicted_r);
/* lockout_satable_get(), but a new entry is not zeroed: it holds what its
   last key left, or zeroes. For a caller whose large arrays are written
   before they are read, to spare the writing of cold memory; the caller
   initialises the rest (*created_r is not optional). */
void *lockout_satable_get_uninit(struct lockout_satable *table, uint64_t key,
				 bool *created_r, bool *evicted_r);
/* Return the entry that lockout_satable_get() would give to key: key's own
   entry, else a free entry of its set, else the least recently used one.
   Changes nothing; for callers that look at what a new key would evict. */
const void *lockout_satable_victim(const struct lockout_satable *table,
				   uint64_t key);
/* The key of entry, an entry of table (0: free). */
uint64_t lockout_satable_key(const struct lockout_satable *table,
			     const void *entry);
/* Free entry, an entry of table, and zero it. */
void lockout_satable_remove(struct lockout_satable *table, void *entry);

/* Position of entry in table, 0 .. capacity - 1: for data the caller keeps
   in arrays beside the table. */
size_t lockout_satable_index(const struct lockout_satable *table,
			     const void *entry);
/* Number of entries (the capacity asked for, rounded up). */
size_t lockout_satable_capacity(const struct lockout_satable *table);
/* Bytes of memory the table holds. */
size_t lockout_satable_memory(const struct lockout_satable *table);

#endif
