/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_BANSET_H
#define LOCKOUT_BANSET_H

#include "lockout-addr.h"
#include "lockout-hash.h"

#include <stdint.h>

/* The in-memory set of active address and network bans that the auth path
   consults for every request. Lookups are O(number of distinct prefix
   lengths in use), which is 1 or 2 in practice. It holds exactly the bans of
   the table (bounded by what the table holds), never per-attempt data. */
struct lockout_banset;

struct lockout_banset_entry {
	struct lockout_net net;
	/* unix seconds; 0 = permanent */
	int64_t expires;
	/* row id in the ban table; 0 while not yet written */
	int64_t id;
};

/* Create an empty set. key keys the hash of its networks (copied), so that
   attackers cannot choose colliding addresses; NULL draws a random key
   (lockout_hash_key_random()). Returns NULL when out of memory. */
struct lockout_banset *
lockout_banset_create(const unsigned char key[LOCKOUT_HASH_KEY_SIZE])
	__attribute__((warn_unused_result));
/* Free the set and set *set to NULL. NULL-safe. */
void lockout_banset_free(struct lockout_banset **set);

/* Add a ban of net, or replace the one with the same net. Returns 0, or -1
   when out of memory (the set is unchanged then). */
int lockout_banset_add(struct lockout_banset *set,
		       const struct lockout_net *net, int64_t expires,
		       int64_t id) __attribute__((warn_unused_result));
/* Remove the ban of exactly net. Returns true if there was one. */
bool lockout_banset_remove(struct lockout_banset *set,
			   const struct lockout_net *net);
/* Return the ban of exactly net, expired or not, or NULL. */
const struct lockout_banset_entry *
lockout_banset_find(const struct lockout_banset *set,
		    const struct lockout_net *net);
/* Return the most specific ban that covers addr and is active at now, or
   NULL when addr is not banned. */
const struct lockout_banset_entry *
lockout_banset_lookup(const struct lockout_banset *set,
		      const struct lockout_addr *addr, int64_t now);
/* Remove every ban that expired at or before now. Returns how many. */
unsigned int lockout_banset_expire(struct lockout_banset *set, int64_t now);
/* Remove every ban. */
void lockout_banset_clear(struct lockout_banset *set);
/* Number of bans held (expired ones not yet purged included). */
size_t lockout_banset_count(const struct lockout_banset *set);

/* Call callback for every entry; a non-zero return stops and is returned.
   The set must not be changed during the iteration. */
typedef int lockout_banset_callback_t(const struct lockout_banset_entry *entry,
				      void *context);
int lockout_banset_foreach(const struct lockout_banset *set,
			   lockout_banset_callback_t *callback, void *context);

#endif
