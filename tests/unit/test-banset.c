/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-banset.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

#define CHURN_COUNT 100000
/* a fixed hash key: every run places the bans alike */
static const unsigned char test_key[LOCKOUT_HASH_KEY_SIZE] =
	"banset-test-key!";

/* Deterministic pseudo-random numbers (splitmix64), so that a failure can
   be reproduced. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void test_net(const char *str, struct lockout_net *net_r)
{
	const char *error = NULL;

	ck_assert_msg(lockout_net_parse(str, net_r, &error) == 0,
		      "lockout_net_parse(%s): %s", str, error);
}

static void test_addr(const char *str, struct lockout_addr *addr_r)
{
	ck_assert_msg(lockout_addr_parse(str, addr_r) == 0,
		      "lockout_addr_parse(%s) failed", str);
}

static struct lockout_banset *test_set(const unsigned char *key)
{
	struct lockout_banset *set = lockout_banset_create(key);

	ck_assert_ptr_nonnull(set);
	return set;
}

static void test_add(struct lockout_banset *set, const struct lockout_net *net,
		     int64_t expires, int64_t id)
{
	ck_assert_int_eq(lockout_banset_add(set, net, expires, id), 0);
}

static const char *const basic_nets[] = {
	"192.0.2.1", "192.0.2.0/24", "10.0.0.0/8", "0.0.0.0/0",
	"255.255.255.255", "2001:db8::1", "2001:db8::/64", "2001:db8::/32",
	"::/0", "::", "0.0.0.0", "fe80::/10",
};

START_TEST(test_add_find_remove)
{
	struct lockout_banset *set = test_set(test_key);
	const struct lockout_banset_entry *entry;
	struct lockout_net net;
	size_t i;

	ck_assert_uint_eq(lockout_banset_count(set), 0);
	for (i = 0; i < N_ELEMENTS(basic_nets); i++) {
		test_net(basic_nets[i], &net);
		ck_assert_ptr_null(lockout_banset_find(set, &net));
		test_add(set, &net, 1000 + (int64_t)i, 10 + (int64_t)i);
		ck_assert_uint_eq(lockout_banset_count(set), i + 1);
	}
	for (i = 0; i < N_ELEMENTS(basic_nets); i++) {
		test_net(basic_nets[i], &net);
		entry = lockout_banset_find(set, &net);
		ck_assert_msg(entry != NULL, "%s not found", basic_nets[i]);
		ck_assert_int_eq(entry->expires, 1000 + (int64_t)i);
		ck_assert_int_eq(entry->id, 10 + (int64_t)i);
		ck_assert(lockout_addr_equals(&entry->net.addr, &net.addr));
		ck_assert_uint_eq(entry->net.prefix, net.prefix);
	}
	for (i = 0; i < N_ELEMENTS(basic_nets); i++) {
		test_net(basic_nets[i], &net);
		ck_assert_msg(lockout_banset_remove(set, &net),
			      "remove %s", basic_nets[i]);
		ck_assert_ptr_null(lockout_banset_find(set, &net));
		ck_assert(!lockout_banset_remove(set, &net));
		ck_assert_uint_eq(lockout_banset_count(set),
				  N_ELEMENTS(basic_nets) - i - 1);
	}
	lockout_banset_free(&set);
	ck_assert_ptr_null(set);
	/* NULL-safe */
	lockout_banset_free(&set);
}
END_TEST

START_TEST(test_replace_same_net)
{
	struct lockout_banset *set = test_set(test_key);
	const struct lockout_banset_entry *entry;
	struct lockout_addr addr;
	struct lockout_net net;

	test_net("192.0.2.0/24", &net);
	test_addr("192.0.2.9", &addr);
	test_add(set, &net, 100, 1);
	test_add(set, &net, 200, 2);
	ck_assert_uint_eq(lockout_banset_count(set), 1);
	entry = lockout_banset_find(set, &net);
	ck_assert_ptr_nonnull(entry);
	ck_assert_int_eq(entry->expires, 200);
	ck_assert_int_eq(entry->id, 2);
	ck_assert_ptr_eq(lockout_banset_lookup(set, &addr, 150), entry);

	/* replacing may also shorten a ban or make it permanent */
	test_add(set, &net, 50, 3);
	ck_assert_ptr_null(lockout_banset_lookup(set, &addr, 150));
	test_add(set, &net, 0, 4);
	entry = lockout_banset_lookup(set, &addr, INT64_MAX);
	ck_assert_ptr_nonnull(entry);
	ck_assert_int_eq(entry->id, 4);
	ck_assert_uint_eq(lockout_banset_count(set), 1);

	/* one remove takes it away however often it was replaced */
	ck_assert(lockout_banset_remove(set, &net));
	ck_assert(!lockout_banset_remove(set, &net));
	ck_assert_uint_eq(lockout_banset_count(set), 0);
	ck_assert_ptr_null(lockout_banset_lookup(set, &addr, 0));
	lockout_banset_free(&set);
}
END_TEST

/* The bans every lookup case runs against. */
static const struct {
	const char *net;
	int64_t expires;
	int64_t id;
} lookup_bans[] = {
	{ "192.0.2.0/24", 1000, 1 },
	{ "192.0.2.7", 500, 2 },
	{ "10.0.0.0/8", 0, 3 },
	{ "10.1.0.0/16", 100, 4 },
	{ "2001:db8::/32", 1000, 5 },
	{ "2001:db8:1::/48", 0, 6 },
	{ "2001:db8:1:2::5", 300, 7 },
	{ "198.51.100.128/25", 1000, 8 },
	{ "198.51.100.0/24", 2000, 9 },
};

static const struct {
	const char *addr;
	int64_t now;
	int64_t id; /* 0 = not banned */
} lookup_cases[] = {
	{ "192.0.2.7", 0, 2 },
	{ "192.0.2.7", 499, 2 },
	/* the host ban expired: the /24 still covers it */
	{ "192.0.2.7", 500, 1 },
	{ "192.0.2.7", 999, 1 },
	{ "192.0.2.7", 1000, 0 },
	{ "192.0.2.8", 0, 1 },
	{ "192.0.2.255", 999, 1 },
	{ "192.0.3.7", 0, 0 },
	{ "192.0.1.255", 0, 0 },
	{ "10.1.2.3", 99, 4 },
	{ "10.1.2.3", 100, 3 },
	{ "10.2.0.0", 0, 3 },
	{ "10.255.255.255", INT64_MAX, 3 },
	{ "11.0.0.0", 0, 0 },
	{ "198.51.100.200", 999, 8 },
	{ "198.51.100.200", 1000, 9 },
	{ "198.51.100.127", 0, 9 },
	{ "198.51.100.1", 2000, 0 },
	{ "2001:db8:1:2::5", 0, 7 },
	{ "2001:db8:1:2::5", 300, 6 },
	{ "2001:db8:1:2::6", 0, 6 },
	{ "2001:db8:1::1", INT64_MAX, 6 },
	{ "2001:db8:2::1", 999, 5 },
	{ "2001:db8:2::1", 1000, 0 },
	{ "2001:db9::1", 0, 0 },
	{ "::1", 0, 0 },
	/* IPv4-mapped IPv6 is the IPv4 address */
	{ "::ffff:192.0.2.1", 100, 1 },
	{ "::ffff:192.0.2.7", 100, 2 },
	{ "::ffff:192.0.2.7", 600, 1 },
	{ "::ffff:10.9.8.7", 0, 3 },
	{ "::ffff:c000:207", 100, 2 },
	{ "::ffff:192.0.3.1", 0, 0 },
};

START_TEST(test_lookup_most_specific)
{
	struct lockout_banset *set = test_set(test_key);
	const struct lockout_banset_entry *entry;
	struct lockout_addr addr;
	struct lockout_net net;
	size_t i;

	for (i = 0; i < N_ELEMENTS(lookup_bans); i++) {
		test_net(lookup_bans[i].net, &net);
		test_add(set, &net, lookup_bans[i].expires, lookup_bans[i].id);
	}
	test_addr(lookup_cases[_i].addr, &addr);
	entry = lockout_banset_lookup(set, &addr, lookup_cases[_i].now);
	ck_assert_msg((entry == NULL ? 0 : entry->id) == lookup_cases[_i].id,
		      "lookup(%s, %lld): got ban %lld, expected %lld",
		      lookup_cases[_i].addr, (long long)lookup_cases[_i].now,
		      (long long)(entry == NULL ? 0 : entry->id),
		      (long long)lookup_cases[_i].id);
	if (entry != NULL)
		ck_assert(lockout_net_contains(&entry->net, &addr));
	lockout_banset_free(&set);
}
END_TEST

START_TEST(test_families_never_mix)
{
	struct lockout_banset *set = test_set(test_key);
	struct lockout_net v4_all, v6_all, v4_host, v6_same_bytes;
	struct lockout_addr addr;

	test_net("0.0.0.0/0", &v4_all);
	test_net("::/0", &v6_all);
	/* same address bytes and prefix length, different family */
	test_net("1.2.3.4", &v4_host);
	test_net("102:304::/32", &v6_same_bytes);
	ck_assert_uint_eq(v4_host.prefix, v6_same_bytes.prefix);
	ck_assert(memcmp(v4_host.addr.bytes, v6_same_bytes.addr.bytes,
			 sizeof(v4_host.addr.bytes)) == 0);

	test_add(set, &v4_all, 0, 1);
	test_addr("::", &addr);
	ck_assert_ptr_null(lockout_banset_lookup(set, &addr, 0));
	test_addr("2001:db8::1", &addr);
	ck_assert_ptr_null(lockout_banset_lookup(set, &addr, 0));
	test_addr("0.0.0.0", &addr);
	ck_assert_ptr_nonnull(lockout_banset_lookup(set, &addr, 0));
	ck_assert(lockout_banset_remove(set, &v4_all));

	test_add(set, &v6_all, 0, 2);
	test_addr("1.2.3.4", &addr);
	ck_assert_ptr_null(lockout_banset_lookup(set, &addr, 0));
	test_addr("::ffff:1.2.3.4", &addr);
	ck_assert_ptr_null(lockout_banset_lookup(set, &addr, 0));
	ck_assert(lockout_banset_remove(set, &v6_all));

	test_add(set, &v4_host, 0, 3);
	ck_assert_ptr_null(lockout_banset_find(set, &v6_same_bytes));
	ck_assert(!lockout_banset_remove(set, &v6_same_bytes));
	test_addr("102:304::", &addr);
	ck_assert_ptr_null(lockout_banset_lookup(set, &addr, 0));
	test_add(set, &v6_same_bytes, 0, 4);
	ck_assert_uint_eq(lockout_banset_count(set), 2);
	ck_assert_int_eq(lockout_banset_find(set, &v4_host)->id, 3);
	ck_assert_int_eq(lockout_banset_find(set, &v6_same_bytes)->id, 4);
	ck_assert_int_eq(lockout_banset_lookup(set, &addr, 0)->id, 4);
	test_addr("1.2.3.4", &addr);
	ck_assert_int_eq(lockout_banset_lookup(set, &addr, 0)->id, 3);
	lockout_banset_free(&set);
}
END_TEST

START_TEST(test_permanent)
{
	struct lockout_banset *set = test_set(test_key);
	const struct lockout_banset_entry *entry;
	struct lockout_addr addr;
	struct lockout_net net;

	test_net("2001:db8::/64", &net);
	test_add(set, &net, 0, 7);
	test_addr("2001:db8::1234", &addr);
	entry = lockout_banset_lookup(set, &addr, INT64_MAX);
	ck_assert_ptr_nonnull(entry);
	ck_assert_int_eq(entry->expires, 0);
	ck_assert_uint_eq(lockout_banset_expire(set, INT64_MAX), 0);
	ck_assert_uint_eq(lockout_banset_count(set), 1);
	ck_assert_ptr_nonnull(lockout_banset_lookup(set, &addr, 1));
	lockout_banset_free(&set);
}
END_TEST

static const struct {
	int64_t now;
	unsigned int removed;
	size_t left;
} expire_steps[] = {
	{ 0, 0, 8 },
	{ 9, 0, 8 },
	/* expired at or before now */
	{ 10, 1, 7 },
	{ 10, 0, 7 },
	{ 20, 2, 5 },
	{ 29, 0, 5 },
	{ 1000, 3, 2 },
	{ INT64_MAX, 0, 2 },
};

START_TEST(test_expire)
{
	static const struct {
		const char *net;
		int64_t expires;
	} bans[] = {
		{ "192.0.2.1", 0 }, { "192.0.2.2", 10 }, { "192.0.2.0/24", 20 },
		{ "2001:db8::/64", 20 }, { "2001:db8::1", 30 },
		{ "10.0.0.0/8", 999 }, { "::/0", 1000 }, { "::1", 0 },
	};
	struct lockout_banset *set = test_set(test_key);
	const struct lockout_banset_entry *entry;
	struct lockout_net net;
	size_t i, step;

	for (i = 0; i < N_ELEMENTS(bans); i++) {
		test_net(bans[i].net, &net);
		test_add(set, &net, bans[i].expires, (int64_t)i + 1);
	}
	for (step = 0; step < N_ELEMENTS(expire_steps); step++) {
		ck_assert_uint_eq(lockout_banset_expire(set,
						expire_steps[step].now),
				  expire_steps[step].removed);
		ck_assert_uint_eq(lockout_banset_count(set),
				  expire_steps[step].left);
		for (i = 0; i < N_ELEMENTS(bans); i++) {
			bool active = bans[i].expires == 0 ||
				bans[i].expires > expire_steps[step].now;

			test_net(bans[i].net, &net);
			entry = lockout_banset_find(set, &net);
			ck_assert_msg((entry != NULL) == active,
				      "step %zu: %s %s", step, bans[i].net,
				      active ? "lost" : "not expired");
		}
	}
	lockout_banset_free(&set);
}
END_TEST

/* Many small sets with random expiry times: clusters that wrap around the
   end of the table must be handled by expire() as well. */
START_TEST(test_expire_random)
{
	struct lockout_net nets[40];
	int64_t expires[40];
	uint64_t key[LOCKOUT_HASH_KEY_SIZE / sizeof(uint64_t)];
	unsigned int round, i, expected;
	struct lockout_banset *set;
	struct lockout_addr addr;
	int64_t now;

	rng_state = 42;
	for (round = 0; round < 2000; round++) {
		/* a key of its own for each set */
		for (i = 0; i < N_ELEMENTS(key); i++)
			key[i] = rng_next();
		set = test_set((const unsigned char *)key);
		for (i = 0; i < N_ELEMENTS(nets); i++) {
			memset(&addr, 0, sizeof(addr));
			addr.family = LOCKOUT_AF_INET;
			/* distinct by construction */
			addr.bytes[0] = 10;
			addr.bytes[1] = (uint8_t)round;
			addr.bytes[2] = (uint8_t)(round >> 8);
			addr.bytes[3] = (uint8_t)i;
			lockout_addr_mask(&addr, 32, &nets[i]);
			expires[i] = (int64_t)(rng_next() % 100);
			test_add(set, &nets[i], expires[i], i + 1);
		}
		now = (int64_t)(rng_next() % 100);
		expected = 0;
		for (i = 0; i < N_ELEMENTS(nets); i++) {
			if (expires[i] != 0 && expires[i] <= now)
				expected++;
		}
		ck_assert_uint_eq(lockout_banset_expire(set, now), expected);
		ck_assert_uint_eq(lockout_banset_count(set),
				  N_ELEMENTS(nets) - expected);
		for (i = 0; i < N_ELEMENTS(nets); i++) {
			bool active = expires[i] == 0 || expires[i] > now;

			ck_assert_msg((lockout_banset_find(set, &nets[i]) !=
				       NULL) == active,
				      "round %u entry %u", round, i);
		}
		lockout_banset_free(&set);
	}
}
END_TEST

/* The i-th churn address: distinct for every i (an odd multiplier is a
   bijection modulo 2^32), half IPv4 and half IPv6. */
static void churn_net(unsigned int i, struct lockout_net *net_r)
{
	uint32_t x = (i >> 1) * 2654435761U + 0x01020304U;
	struct lockout_addr addr;

	memset(&addr, 0, sizeof(addr));
	addr.bytes[0] = (uint8_t)(x >> 24);
	addr.bytes[1] = (uint8_t)(x >> 16);
	addr.bytes[2] = (uint8_t)(x >> 8);
	addr.bytes[3] = (uint8_t)x;
	if ((i & 1) == 0) {
		addr.family = LOCKOUT_AF_INET;
	} else {
		addr.family = LOCKOUT_AF_INET6;
		addr.bytes[14] = 0x20;
		addr.bytes[15] = 0x01;
	}
	lockout_addr_mask(&addr, 128, net_r);
}

START_TEST(test_churn)
{
	struct lockout_banset *set = test_set(test_key);
	const struct lockout_banset_entry *entry;
	unsigned int *order, i, j, tmp;
	bool *removed;
	struct lockout_net net;

	order = calloc(CHURN_COUNT, sizeof(*order));
	removed = calloc(CHURN_COUNT, sizeof(*removed));
	ck_assert(order != NULL && removed != NULL);

	for (i = 0; i < CHURN_COUNT; i++) {
		churn_net(i, &net);
		test_add(set, &net, 1000 + i, i + 1);
		order[i] = i;
	}
	ck_assert_uint_eq(lockout_banset_count(set), CHURN_COUNT);

	/* remove a random half in random order */
	rng_state = 7;
	for (i = CHURN_COUNT - 1; i > 0; i--) {
		j = (unsigned int)(rng_next() % (i + 1));
		tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < CHURN_COUNT / 2; i++) {
		churn_net(order[i], &net);
		ck_assert_msg(lockout_banset_remove(set, &net),
			      "remove #%u (%u) failed", i, order[i]);
		removed[order[i]] = true;
	}
	ck_assert_uint_eq(lockout_banset_count(set), CHURN_COUNT / 2);

	for (i = 0; i < CHURN_COUNT; i++) {
		churn_net(i, &net);
		entry = lockout_banset_find(set, &net);
		if (removed[i]) {
			ck_assert_msg(entry == NULL, "removed %u still found",
				      i);
			ck_assert_ptr_null(lockout_banset_lookup(set,
						&net.addr, 0));
		} else {
			ck_assert_msg(entry != NULL, "kept %u lost", i);
			ck_assert_int_eq(entry->id, (int64_t)i + 1);
			ck_assert_ptr_eq(lockout_banset_lookup(set, &net.addr,
							       0), entry);
		}
	}
	free(order);
	free(removed);
	lockout_banset_free(&set);
}
END_TEST

START_TEST(test_clear)
{
	struct lockout_banset *set = test_set(test_key);
	struct lockout_addr addr;
	struct lockout_net net;
	unsigned int i;

	for (i = 0; i < 1000; i++) {
		churn_net(i, &net);
		test_add(set, &net, 0, i + 1);
	}
	test_net("192.0.2.0/24", &net);
	test_add(set, &net, 0, 5000);
	lockout_banset_clear(set);
	ck_assert_uint_eq(lockout_banset_count(set), 0);
	ck_assert_ptr_null(lockout_banset_find(set, &net));
	test_addr("192.0.2.1", &addr);
	ck_assert_ptr_null(lockout_banset_lookup(set, &addr, 0));
	for (i = 0; i < 1000; i++) {
		churn_net(i, &net);
		ck_assert_ptr_null(lockout_banset_find(set, &net));
		ck_assert_ptr_null(lockout_banset_lookup(set, &net.addr, 0));
	}
	/* usable again */
	test_net("192.0.2.0/24", &net);
	test_add(set, &net, 0, 1);
	ck_assert_int_eq(lockout_banset_lookup(set, &addr, 0)->id, 1);
	ck_assert_uint_eq(lockout_banset_count(set), 1);
	lockout_banset_clear(set);
	lockout_banset_clear(set);
	ck_assert_uint_eq(lockout_banset_count(set), 0);
	lockout_banset_free(&set);
}
END_TEST

struct foreach_ctx {
	unsigned int calls;
	int64_t id_sum;
	unsigned int stop_after;
};

static int foreach_cb(const struct lockout_banset_entry *entry, void *context)
{
	struct foreach_ctx *ctx = context;

	ctx->calls++;
	ctx->id_sum += entry->id;
	return ctx->calls == ctx->stop_after ? -7 : 0;
}

START_TEST(test_foreach)
{
	struct lockout_banset *set = test_set(test_key);
	struct foreach_ctx ctx;
	struct lockout_net net;
	unsigned int i;

	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(lockout_banset_foreach(set, foreach_cb, &ctx), 0);
	ck_assert_uint_eq(ctx.calls, 0);

	for (i = 0; i < 300; i++) {
		churn_net(i, &net);
		test_add(set, &net, 0, i + 1);
	}
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(lockout_banset_foreach(set, foreach_cb, &ctx), 0);
	ck_assert_uint_eq(ctx.calls, 300);
	ck_assert_int_eq(ctx.id_sum, 300 * 301 / 2);

	memset(&ctx, 0, sizeof(ctx));
	ctx.stop_after = 17;
	ck_assert_int_eq(lockout_banset_foreach(set, foreach_cb, &ctx), -7);
	ck_assert_uint_eq(ctx.calls, 17);
	lockout_banset_free(&set);
}
END_TEST

static Suite *banset_suite(void)
{
	Suite *s = suite_create("lockout-banset");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_add_find_remove);
	tcase_add_test(tc, test_replace_same_net);
	tcase_add_loop_test(tc, test_lookup_most_specific, 0,
			    N_ELEMENTS(lookup_cases));
	tcase_add_test(tc, test_families_never_mix);
	tcase_add_test(tc, test_permanent);
	tcase_add_test(tc, test_expire);
	tcase_add_test(tc, test_expire_random);
	tcase_add_test(tc, test_churn);
	tcase_add_test(tc, test_clear);
	tcase_add_test(tc, test_foreach);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(banset_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
