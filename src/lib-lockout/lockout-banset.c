/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-banset.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing with linear probing and backward-shift deletion: no
   tombstones, so the table never degrades however many bans come and go. */

#define BANSET_MIN_SIZE 64
#define PREFIX_SLOTS 129 /* 0..128 */

struct banset_slot {
	bool used;
	struct lockout_banset_entry entry;
};

struct lockout_banset {
	unsigned char key[LOCKOUT_HASH_KEY_SIZE];
	size_t size; /* power of two */
	size_t count;
	struct banset_slot *slots;
	/* how many entries use each prefix length, per family (0 = IPv4) */
	unsigned int prefix_use[2][PREFIX_SLOTS];
};

static unsigned int family_idx(uint8_t family)
{
	return family == LOCKOUT_AF_INET ? 0 : 1;
}

static size_t net_hash(const struct lockout_banset *set,
		       const struct lockout_net *net)
{
	return (size_t)lockout_net_hash(net, set->key) & (set->size - 1);
}

static bool net_equals(const struct lockout_net *a,
		       const struct lockout_net *b)
{
	return a->prefix == b->prefix &&
		lockout_addr_equals(&a->addr, &b->addr);
}

struct lockout_banset *
lockout_banset_create(const unsigned char key[LOCKOUT_HASH_KEY_SIZE])
{
	struct lockout_banset *set;

	set = calloc(1, sizeof(*set));
	if (set == NULL)
		return NULL;
	if (key != NULL)
		memcpy(set->key, key, sizeof(set->key));
	else
		lockout_hash_key_random(set->key);
	set->size = BANSET_MIN_SIZE;
	set->slots = calloc(set->size, sizeof(*set->slots));
	if (set->slots == NULL) {
		free(set);
		return NULL;
	}
	return set;
}

void lockout_banset_free(struct lockout_banset **_set)
{
	struct lockout_banset *set = *_set;

	if (set == NULL)
		return;
	*_set = NULL;
	free(set->slots);
	sodium_memzero(set->key, sizeof(set->key));
	free(set);
}

static struct banset_slot *
banset_find_slot(const struct lockout_banset *set,
		 const struct lockout_net *net)
{
	size_t i = net_hash(set, net);

	while (set->slots[i].used) {
		if (net_equals(&set->slots[i].entry.net, net))
			return &set->slots[i];
		i = (i + 1) & (set->size - 1);
	}
	return NULL;
}

static void banset_insert_new(struct lockout_banset *set,
			      const struct lockout_banset_entry *entry)
{
	size_t i = net_hash(set, &entry->net);

	while (set->slots[i].used)
		i = (i + 1) & (set->size - 1);
	set->slots[i].used = true;
	set->slots[i].entry = *entry;
	set->count++;
}

static int banset_grow(struct lockout_banset *set)
{
	struct banset_slot *old = set->slots;
	size_t i, old_size = set->size;

	set->slots = calloc(old_size * 2, sizeof(*set->slots));
	if (set->slots == NULL) {
		set->slots = old;
		return -1;
	}
	set->size = old_size * 2;
	set->count = 0;
	for (i = 0; i < old_size; i++) {
		if (old[i].used)
			banset_insert_new(set, &old[i].entry);
	}
	free(old);
	return 0;
}

int lockout_banset_add(struct lockout_banset *set,
		       const struct lockout_net *net, int64_t expires,
		       int64_t id)
{
	struct lockout_banset_entry entry;
	struct banset_slot *slot;

	slot = banset_find_slot(set, net);
	if (slot != NULL) {
		slot->entry.expires = expires;
		slot->entry.id = id;
		return 0;
	}
	/* keep the load factor at or below 1/2 */
	if ((set->count + 1) * 2 > set->size && banset_grow(set) < 0)
		return -1;
	memset(&entry, 0, sizeof(entry));
	entry.net = *net;
	entry.expires = expires;
	entry.id = id;
	banset_insert_new(set, &entry);
	set->prefix_use[family_idx(net->addr.family)][net->prefix]++;
	return 0;
}

static void banset_delete_slot(struct lockout_banset *set, size_t hole)
{
	const struct lockout_net *net = &set->slots[hole].entry.net;
	size_t i, home, mask = set->size - 1;

	set->prefix_use[family_idx(net->addr.family)][net->prefix]--;
	set->slots[hole].used = false;
	set->count--;
	/* shift back every following entry of the cluster that may move into
	   the hole without passing its home slot */
	for (i = (hole + 1) & mask; set->slots[i].used; i = (i + 1) & mask) {
		home = net_hash(set, &set->slots[i].entry.net);
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			set->slots[hole] = set->slots[i];
			set->slots[i].used = false;
			hole = i;
		}
	}
}

bool lockout_banset_remove(struct lockout_banset *set,
			   const struct lockout_net *net)
{
	struct banset_slot *slot = banset_find_slot(set, net);

	if (slot == NULL)
		return false;
	banset_delete_slot(set, (size_t)(slot - set->slots));
	return true;
}

const struct lockout_banset_entry *
lockout_banset_find(const struct lockout_banset *set,
		    const struct lockout_net *net)
{
	struct banset_slot *slot = banset_find_slot(set, net);

	return slot == NULL ? NULL : &slot->entry;
}

static bool entry_active(const struct lockout_banset_entry *entry, int64_t now)
{
	return entry->expires == 0 || entry->expires > now;
}

const struct lockout_banset_entry *
lockout_banset_lookup(const struct lockout_banset *set,
		      const struct lockout_addr *addr, int64_t now)
{
	unsigned int fam = family_idx(addr->family);
	int prefix = addr->family == LOCKOUT_AF_INET ? 32 : 128;
	const struct lockout_banset_entry *entry;
	struct lockout_net net;

	if (set->count == 0)
		return NULL;
	for (; prefix >= 0; prefix--) {
		if (set->prefix_use[fam][prefix] == 0)
			continue;
		lockout_addr_mask(addr, (unsigned int)prefix, &net);
		entry = lockout_banset_find(set, &net);
		if (entry != NULL && entry_active(entry, now))
			return entry;
	}
	return NULL;
}

unsigned int lockout_banset_expire(struct lockout_banset *set, int64_t now)
{
	unsigned int removed = 0;
	size_t i = 0;

	while (i < set->size) {
		if (set->slots[i].used &&
		    !entry_active(&set->slots[i].entry, now)) {
			/* the backward shift may move an unvisited entry
			   into slot i: look at it again */
			banset_delete_slot(set, i);
			removed++;
			continue;
		}
		i++;
	}
	return removed;
}

void lockout_banset_clear(struct lockout_banset *set)
{
	memset(set->slots, 0, set->size * sizeof(*set->slots));
	memset(set->prefix_use, 0, sizeof(set->prefix_use));
	set->count = 0;
}

size_t lockout_banset_count(const struct lockout_banset *set)
{
	return set->count;
}

int lockout_banset_foreach(const struct lockout_banset *set,
			   lockout_banset_callback_t *callback, void *context)
{
	size_t i;
	int ret;

	for (i = 0; i < set->size; i++) {
		if (!set->slots[i].used)
			continue;
		ret = callback(&set->slots[i].entry, context);
		if (ret != 0)
			return ret;
	}
	return 0;
}
