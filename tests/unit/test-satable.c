/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-satable.h"
#include "lockout-hash.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define WAYS LOCKOUT_SATABLE_WAYS

struct entry {
	uint64_t value;
	char name[16];
};

static const unsigned char test_key[LOCKOUT_HASH_KEY_SIZE] =
	"satable-test-key";

static struct lockout_satable *table_new(size_t capacity)
{
	struct lockout_satable *table =
		lockout_satable_create(capacity, sizeof(struct entry));

	ck_assert_ptr_nonnull(table);
	return table;
}

static size_t sets_of(const struct lockout_satable *table)
{
	return lockout_satable_capacity(table) / WAYS;
}

/* Make key's entry (it must be new) and put value in it. */
static struct entry *put(struct lockout_satable *table, uint64_t key,
			 uint64_t value, bool expect_eviction)
{
	bool created, evicted;
	struct entry *e = lockout_satable_get(table, key, &created, &evicted);

	ck_assert_msg(created, "key %llu existed", (unsigned long long)key);
	ck_assert_msg(evicted == expect_eviction, "key %llu: evicted=%d",
		      (unsigned long long)key, evicted);
	ck_assert_uint_eq(lockout_satable_key(table, e), key);
	ck_assert_uint_eq(e->value, 0);
	ck_assert_str_eq(e->name, "");
	e->value = value;
	snprintf(e->name, sizeof(e->name), "v%llu", (unsigned long long)value);
	return e;
}

/* --- sizes ---------------------------------------------------------------- */

static const struct {
	size_t capacity, expected;
} capacity_cases[] = {
	{ 0, WAYS }, { 1, WAYS }, { WAYS, WAYS }, { WAYS + 1, 2 * WAYS },
	{ 64, 64 }, { 65, 72 }, { 100000, 100000 },
};

START_TEST(test_capacity)
{
	struct lockout_satable *table =
		table_new(capacity_cases[_i].capacity);
	size_t capacity = lockout_satable_capacity(table);

	ck_assert_uint_eq(capacity, capacity_cases[_i].expected);
	ck_assert_uint_ge(lockout_satable_memory(table),
			  capacity * (sizeof(struct entry) + 12));
	ck_assert_uint_le(lockout_satable_memory(table),
			  capacity * (sizeof(struct entry) + 12) + 256);
	lockout_satable_free(&table);
	ck_assert_ptr_null(table);
	lockout_satable_free(&table);
}
END_TEST

START_TEST(test_bad_entry_size)
{
	struct lockout_satable *table;

	ck_assert_ptr_null(lockout_satable_create(64, 0));
	ck_assert_ptr_null(lockout_satable_create(64, 4));
	ck_assert_ptr_null(lockout_satable_create(64, 12));
	/* the smallest entry is one 8-byte word */
	table = lockout_satable_create(64, 8);
	ck_assert_ptr_nonnull(table);
	lockout_satable_free(&table);
	ck_assert_ptr_null(lockout_satable_create((size_t)-1, 64));
}
END_TEST

/* --- finding and making entries ------------------------------------------- */

START_TEST(test_get_find)
{
	struct lockout_satable *table = table_new(64);
	struct entry *e, *again;
	bool created, evicted;

	ck_assert_ptr_null(lockout_satable_find(table, 42));
	e = put(table, 42, 7, false);
	ck_assert_ptr_eq(lockout_satable_find(table, 42), e);
	again = lockout_satable_get(table, 42, &created, &evicted);
	ck_assert_ptr_eq(again, e);
	ck_assert(!created);
	ck_assert(!evicted);
	ck_assert_uint_eq(again->value, 7);
	/* the out-parameters may be NULL */
	ck_assert_ptr_eq(lockout_satable_get(table, 42, NULL, NULL), e);
	/* another key of the same set is another entry */
	ck_assert_ptr_null(lockout_satable_find(table, 42 + sets_of(table)));
	ck_assert_ptr_ne(put(table, 42 + sets_of(table), 8, false), e);
	ck_assert_uint_eq(e->value, 7);
	/* removing frees the entry and zeroes it */
	lockout_satable_remove(table, e);
	ck_assert_ptr_null(lockout_satable_find(table, 42));
	ck_assert_uint_eq(e->value, 0);
	ck_assert_uint_eq(lockout_satable_key(table, e), 0);
	ck_assert_ptr_nonnull(lockout_satable_find(table,
						   42 + sets_of(table)));
	lockout_satable_free(&table);
}
END_TEST

/* 0 marks a free entry: key 0 is taken as key 1. */
START_TEST(test_key_zero)
{
	struct lockout_satable *table = table_new(16);
	struct entry *e;

	ck_assert_ptr_null(lockout_satable_find(table, 0));
	e = lockout_satable_get(table, 0, NULL, NULL);
	ck_assert_uint_eq(lockout_satable_key(table, e), 1);
	ck_assert_ptr_eq(lockout_satable_find(table, 0), e);
	ck_assert_ptr_eq(lockout_satable_find(table, 1), e);
	ck_assert_ptr_eq(lockout_satable_get(table, 1, NULL, NULL), e);
	lockout_satable_free(&table);
}
END_TEST

/* Entries have distinct indexes below the capacity. */
START_TEST(test_index)
{
	struct lockout_satable *table = table_new(32);
	size_t capacity = lockout_satable_capacity(table);
	bool seen[32];
	struct entry *e;
	size_t idx;
	uint64_t key;

	memset(seen, 0, sizeof(seen));
	/* keys 1..capacity fill every set exactly */
	for (key = 1; key <= capacity; key++) {
		e = put(table, key, key, false);
		idx = lockout_satable_index(table, e);
		ck_assert_uint_lt(idx, capacity);
		ck_assert(!seen[idx]);
		seen[idx] = true;
	}
	lockout_satable_free(&table);
}
END_TEST

/* --- eviction ------------------------------------------------------------- */

/* In a full set the least recently used entry goes first; finding is not a
   use; a free entry is taken before any is evicted; other sets are never
   touched. */
START_TEST(test_eviction_order)
{
	struct lockout_satable *table = table_new(4 * WAYS);
	uint64_t sets = sets_of(table), set = 1, other = 2, i;
	const struct entry *victim;
	struct entry *e;

#define KEY(n) ((n) * sets + set)
	ck_assert_uint_eq(sets, 4);
	e = put(table, other, 99, false);
	/* fill set 1 with keys 0..WAYS-1, used in that order */
	for (i = 0; i < WAYS; i++)
		(void)put(table, KEY(i), i, false);
	/* use 0 and 1 again: 2 is now the least recently used; finding 2
	   changes nothing */
	(void)lockout_satable_get(table, KEY(0), NULL, NULL);
	(void)lockout_satable_get(table, KEY(1), NULL, NULL);
	ck_assert_ptr_nonnull(lockout_satable_find(table, KEY(2)));
	victim = lockout_satable_victim(table, KEY(100));
	ck_assert_uint_eq(lockout_satable_key(table, victim), KEY(2));
	ck_assert_ptr_eq(put(table, KEY(100), 100, true), victim);
	ck_assert_ptr_null(lockout_satable_find(table, KEY(2)));
	/* then 3, 4, ..., WAYS-1, then 0 and 1, then 100 */
	for (i = 3; i < WAYS; i++) {
		(void)put(table, KEY(100 + i), 100 + i, true);
		ck_assert_ptr_null(lockout_satable_find(table, KEY(i)));
		ck_assert_ptr_nonnull(lockout_satable_find(table, KEY(0)));
	}
	(void)put(table, KEY(200), 200, true);
	ck_assert_ptr_null(lockout_satable_find(table, KEY(0)));
	ck_assert_ptr_nonnull(lockout_satable_find(table, KEY(1)));
	(void)put(table, KEY(201), 201, true);
	ck_assert_ptr_null(lockout_satable_find(table, KEY(1)));
	ck_assert_ptr_nonnull(lockout_satable_find(table, KEY(100)));
	(void)put(table, KEY(202), 202, true);
	ck_assert_ptr_null(lockout_satable_find(table, KEY(100)));
	/* a removed entry is taken before anything is evicted */
	e = lockout_satable_find(table, KEY(105));
	ck_assert_ptr_nonnull(e);
	lockout_satable_remove(table, e);
	victim = lockout_satable_victim(table, KEY(300));
	ck_assert_ptr_eq(victim, e);
	ck_assert_ptr_eq(put(table, KEY(300), 300, false), e);
	ck_assert_ptr_nonnull(lockout_satable_find(table, KEY(103)));
	/* the victim of a key that has an entry is that entry */
	ck_assert_ptr_eq(lockout_satable_victim(table, KEY(300)), e);
	/* set 2 kept its entry through all this */
	e = lockout_satable_find(table, other);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->value, 99);
#undef KEY
	lockout_satable_free(&table);
}
END_TEST

/* Many more keys than the capacity: never more entries than the
   capacity, and the last capacity keys (spread evenly) are all kept. */
START_TEST(test_capacity_bound)
{
	struct lockout_satable *table = table_new(64);
	uint64_t capacity = lockout_satable_capacity(table), key, kept = 0;
	const uint64_t total = 100 * capacity;

	for (key = 1; key <= total; key++)
		(void)put(table, key, key, key > capacity);
	for (key = 1; key <= total; key++) {
		if (lockout_satable_find(table, key) != NULL) {
			ck_assert_uint_gt(key, total - capacity);
			kept++;
		}
	}
	ck_assert_uint_eq(kept, capacity);
	lockout_satable_free(&table);
}
END_TEST

/* Keys an attacker chooses: raw, they can all aim at one set, which then
   keeps only WAYS of them; through the keyed hash (as every caller makes
   its keys) the same inputs spread over the sets and nearly all are kept
   when the table is a quarter full. */
START_TEST(test_chosen_keys_spread)
{
	struct lockout_satable *raw = table_new(1024);
	struct lockout_satable *hashed = table_new(1024);
	uint64_t sets = sets_of(raw), input, key;
	unsigned int i, kept_raw = 0, kept_hashed = 0, inputs = 256;

	for (i = 0; i < inputs; i++) {
		input = (uint64_t)(i + 1) * sets;
		(void)lockout_satable_get(raw, input, NULL, NULL);
		key = lockout_hash(test_key, &input, sizeof(input));
		(void)lockout_satable_get(hashed, key, NULL, NULL);
	}
	for (i = 0; i < inputs; i++) {
		input = (uint64_t)(i + 1) * sets;
		if (lockout_satable_find(raw, input) != NULL)
			kept_raw++;
		key = lockout_hash(test_key, &input, sizeof(input));
		if (lockout_satable_find(hashed, key) != NULL)
			kept_hashed++;
	}
	ck_assert_uint_eq(kept_raw, WAYS);
	ck_assert_uint_ge(kept_hashed, inputs - inputs / 50);
	lockout_satable_free(&raw);
	lockout_satable_free(&hashed);
}
END_TEST

static Suite *satable_suite(void)
{
	Suite *s = suite_create("lockout-satable");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_capacity, 0, N_ELEMENTS(capacity_cases));
	tcase_add_test(tc, test_bad_entry_size);
	tcase_add_test(tc, test_get_find);
	tcase_add_test(tc, test_key_zero);
	tcase_add_test(tc, test_index);
	tcase_add_test(tc, test_eviction_order);
	tcase_add_test(tc, test_capacity_bound);
	tcase_add_test(tc, test_chosen_keys_spread);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(satable_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
