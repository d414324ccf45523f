/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-hash.h"

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define LONG_LEN 10000

/* The key of the SipHash reference vectors: bytes 00 01 .. 0f. */
static const unsigned char ref_key[LOCKOUT_HASH_KEY_SIZE] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
};
static const unsigned char key1[LOCKOUT_HASH_KEY_SIZE] = "hash-test-key-01";
static const unsigned char key2[LOCKOUT_HASH_KEY_SIZE] = "hash-test-key-02";

/* SipHash-2-4 of the message 00 01 .. (len - 1) under ref_key, from the
   reference implementation's vectors (output bytes read little-endian). */
static const struct {
	size_t len;
	uint64_t hash;
} ref_cases[] = {
	{ 0, 0x726fdb47dd0e0e31ULL },
	{ 1, 0x74f839c593dc67fdULL },
	{ 7, 0xab0200f58b01d137ULL },
	{ 8, 0x93f5f5799a932462ULL },
	{ 15, 0xa129ca6149be45e5ULL },
	{ 63, 0x958a324ceb064572ULL },
};

START_TEST(test_hash_reference)
{
	unsigned char msg[64];
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	ck_assert_uint_eq(lockout_hash(ref_key, msg, ref_cases[_i].len),
			  ref_cases[_i].hash);
}
END_TEST

START_TEST(test_hash_key)
{
	ck_assert_uint_eq(lockout_hash(key1, "alice", 5),
			  lockout_hash(key1, "alice", 5));
	ck_assert_uint_ne(lockout_hash(key1, "alice", 5),
			  lockout_hash(key2, "alice", 5));
	ck_assert_uint_ne(lockout_hash(key1, "alice", 5),
			  lockout_hash(key1, "alicf", 5));
	/* explicit lengths: a NUL byte is part of the input */
	ck_assert_uint_ne(lockout_hash(key1, "a\0b", 3),
			  lockout_hash(key1, "a", 1));
}
END_TEST

START_TEST(test_hash_key_random)
{
	static const unsigned char zero[LOCKOUT_HASH_KEY_SIZE];
	unsigned char a[LOCKOUT_HASH_KEY_SIZE], b[LOCKOUT_HASH_KEY_SIZE];

	lockout_hash_key_random(a);
	lockout_hash_key_random(b);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	ck_assert(memcmp(a, zero, sizeof(a)) != 0);
	ck_assert_uint_ne(lockout_hash(a, "alice", 5),
			  lockout_hash(b, "alice", 5));
}
END_TEST

/* Pairs of names that hash alike (same) or apart under
   lockout_hash_lower(). */
static const struct {
	const char *a, *b;
	bool same;
} lower_cases[] = {
	{ "alice", "alice", true },
	{ "Alice@Example.ORG", "alice@example.org", true },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", true },
	{ "alice", "alicf", false },
	{ "alice", "alice ", false },
	{ "", "a", false },
	/* only ASCII letters fold: E-acute upper and lower case differ */
	{ "\xc3\x89", "\xc3\xa9", false },
	{ "@[\\]^_`{", "@[\\]^_`{", true },
	{ "@", "`", false },
	{ "[", "{", false },
};

START_TEST(test_hash_lower)
{
	const char *a = lower_cases[_i].a, *b = lower_cases[_i].b;
	uint64_t ha = lockout_hash_lower(key1, a, strlen(a));
	uint64_t hb = lockout_hash_lower(key1, b, strlen(b));

	if (lower_cases[_i].same)
		ck_assert_uint_eq(ha, hb);
	else
		ck_assert_uint_ne(ha, hb);
	ck_assert_uint_ne(ha, lockout_hash_lower(key2, a, strlen(a)));
}
END_TEST

/* Long names go in chunks: every length around the chunk boundaries folds
   alike, and a name differs from its prefixes and from a name that differs
   in its first or last byte only. */
START_TEST(test_hash_lower_long)
{
	char *upper = malloc(LONG_LEN), *lower = malloc(LONG_LEN);
	uint64_t prev = 0, h;
	size_t len;

	ck_assert_ptr_nonnull(upper);
	ck_assert_ptr_nonnull(lower);
	for (len = 0; len < LONG_LEN; len++) {
		upper[len] = (char)('A' + len % 26);
		lower[len] = (char)('a' + len % 26);
	}
	for (len = 0; len <= 300; len++) {
		h = lockout_hash_lower(key1, upper, len);
		ck_assert_uint_eq(h, lockout_hash_lower(key1, lower, len));
		if (len > 0)
			ck_assert_uint_ne(h, prev);
		prev = h;
	}
	h = lockout_hash_lower(key1, lower, LONG_LEN);
	ck_assert_uint_eq(h, lockout_hash_lower(key1, upper, LONG_LEN));
	lower[LONG_LEN - 1] = '0';
	ck_assert_uint_ne(h, lockout_hash_lower(key1, lower, LONG_LEN));
	lower[LONG_LEN - 1] = (char)('a' + (LONG_LEN - 1) % 26);
	lower[0] = '0';
	ck_assert_uint_ne(h, lockout_hash_lower(key1, lower, LONG_LEN));
	free(upper);
	free(lower);
}
END_TEST

static Suite *hash_suite(void)
{
	Suite *s = suite_create("lockout-hash");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_hash_reference, 0, N_ELEMENTS(ref_cases));
	tcase_add_test(tc, test_hash_key);
	tcase_add_test(tc, test_hash_key_random);
	tcase_add_loop_test(tc, test_hash_lower, 0, N_ELEMENTS(lower_cases));
	tcase_add_test(tc, test_hash_lower_long);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hash_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
