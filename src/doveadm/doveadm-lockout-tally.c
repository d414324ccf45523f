/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "array.h"
#include "hash.h"
#include "str.h"
#include "doveadm-lockout.h"

/* Counts per distinct string, for "show": usernames, sources and services
   of the failure history. */

struct doveadm_lockout_tally {
	pool_t pool;
	HASH_TABLE(char *, void *) counts;
};

struct tally_item {
	const char *key;
	uintptr_t count;
};

struct doveadm_lockout_tally *doveadm_lockout_tally_init(pool_t pool)
{
	struct doveadm_lockout_tally *tally;

	tally = p_new(pool, struct doveadm_lockout_tally, 1);
	tally->pool = pool;
	hash_table_create(&tally->counts, pool, 0, str_hash, strcmp);
	return tally;
}

void doveadm_lockout_tally_deinit(struct doveadm_lockout_tally **_tally)
{
	struct doveadm_lockout_tally *tally = *_tally;

	if (tally == NULL)
		return;
	*_tally = NULL;
	hash_table_destroy(&tally->counts);
}

void doveadm_lockout_tally_add(struct doveadm_lockout_tally *tally,
			       const char *key, unsigned int count)
{
	char *orig;
	void *value;
	uintptr_t sum;

	if (key == NULL || key[0] == '\0')
		return;
	if (!hash_table_lookup_full(tally->counts, key, &orig, &value)) {
		orig = p_strdup(tally->pool, key);
		value = NULL;
	}
	sum = POINTER_CAST_TO(value, uintptr_t) + count;
	hash_table_update(tally->counts, orig, POINTER_CAST(sum));
}

static int tally_item_cmp(const struct tally_item *a,
			  const struct tally_item *b)
{
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->key, b->key);
}

const char *doveadm_lockout_tally_str(struct doveadm_lockout_tally *tally,
				      unsigned int max_items)
{
	ARRAY(struct tally_item) items;
	struct hash_iterate_context *iter;
	struct tally_item *item;
	const struct tally_item *shown;
	string_t *str = t_str_new(128);
	unsigned int i, count;
	char *key;
	void *value;

	t_array_init(&items, 16);
	iter = hash_table_iterate_init(tally->counts);
	while (hash_table_iterate(iter, tally->counts, &key, &value)) {
		item = array_append_space(&items);
		item->key = key;
		item->count = POINTER_CAST_TO(value, uintptr_t);
	}
	hash_table_iterate_deinit(&iter);
	array_sort(&items, tally_item_cmp);
	shown = array_get(&items, &count);
	for (i = 0; i < count && i < max_items; i++) {
		if (i > 0)
			str_append(str, ", ");
		str_printfa(str, "%s (%llu)", shown[i].key,
			    (unsigned long long)shown[i].count);
	}
	if (count > max_items)
		str_printfa(str, " and %u more", count - max_items);
	return str_c(str);
}
