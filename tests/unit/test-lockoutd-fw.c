/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-fw.h"
#include "lockoutd-golden.h"
#include "lockoutd-rows.h"
#include "lockoutd-sync.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The exact nftables commands the recording backend receives, compared
   with tests/unit/golden/<name>.nft (see lockoutd-golden.h). */

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define NOW 1700000000
#define NOW_MS ((int64_t)NOW * 1000 + 500)

static const uint16_t default_ports[] = {
	25, 110, 143, 465, 587, 993, 995, 4190
};

static struct lockoutd_fw *fw_recording(const uint16_t *ports, size_t count)
{
	struct lockoutd_fw *fw;
	const char *error;

	ck_assert_int_eq(lockoutd_fw_create_recording(ports, count, &fw,
						      &error), 0);
	return fw;
}

/* A recording firewall, its synchronizer and a plan. */
struct scenario {
	struct lockoutd_fw *fw;
	struct lockoutd_sync *sync;
	struct lockoutd_plan plan;
};

static void scenario_init(struct scenario *sc)
{
	sc->fw = fw_recording(default_ports, N_ELEMENTS(default_ports));
	ck_assert_int_eq(lockoutd_sync_create(sc->fw, &sc->sync), 0);
	lockoutd_plan_init(&sc->plan);
}

/* Compare what was sent with the golden file, and free. */
static void scenario_finish(struct scenario *sc, const char *golden)
{
	golden_check(golden, lockoutd_fw_recorded(sc->fw));
	lockoutd_plan_free(&sc->plan);
	lockoutd_sync_free(&sc->sync);
	lockoutd_fw_free(&sc->fw);
}

static struct lockoutd_elem elem(const char *net, int64_t expires)
{
	struct lockoutd_elem e;
	const char *error;

	memset(&e, 0, sizeof(e));
	ck_assert_msg(lockout_net_parse(net, &e.net, &error) == 0, "%s",
		      error);
	e.expires = expires;
	return e;
}

static void plan_set(struct lockoutd_plan *plan,
		     const struct lockoutd_elem *elems, size_t count)
{
	size_t i;

	lockoutd_plan_reset(plan);
	for (i = 0; i < count; i++)
		ck_assert_int_eq(lockoutd_plan_add(plan, &elems[i]), 0);
	lockoutd_plan_finish(plan);
}

static void apply_ok(struct lockoutd_sync *sync, struct lockoutd_plan *plan,
		     int64_t now_ms, bool full)
{
	struct lockoutd_sync_stats stats;
	const char *error;

	ck_assert_msg(lockoutd_sync_apply(sync, plan, now_ms, full, &stats,
					  &error) == 0, "%s", error);
}

/* --- setting up the table ---------------------------------------------- */

START_TEST(test_init)
{
	static const uint16_t one[] = { 143 };
	struct lockoutd_fw *fw;
	const char *error;

	fw = fw_recording(default_ports, N_ELEMENTS(default_ports));
	ck_assert_int_eq(lockoutd_fw_init(fw, &error), 0);
	golden_check("init-default.nft", lockoutd_fw_recorded(fw));
	lockoutd_fw_free(&fw);

	fw = fw_recording(one, 1);
	ck_assert_int_eq(lockoutd_fw_init(fw, &error), 0);
	golden_check("init-one-port.nft", lockoutd_fw_recorded(fw));
	lockoutd_fw_free(&fw);

	fw = fw_recording(NULL, 0);
	ck_assert_int_eq(lockoutd_fw_init(fw, &error), 0);
	ck_assert_int_eq(lockoutd_fw_destroy(fw, &error), 0);
	golden_check("init-all-ports-and-destroy.nft",
		     lockoutd_fw_recorded(fw));
	lockoutd_fw_free(&fw);
}
END_TEST

/* --- first push: timeouts, permanent bans, families ---------------------- */

START_TEST(test_adds)
{
	const struct lockoutd_elem elems[] = {
		elem("192.0.2.1", NOW + 3600),		/* 59m59s500ms */
		elem("198.51.100.0/24", 0),		/* permanent */
		elem("2001:db8:1:2::/64", NOW + 86400 + 61),
		elem("2001:db8::7", 0),
		elem("192.0.2.9", NOW + 1),		/* ends within 1 s */
		elem("203.0.113.1", NOW + 2),		/* 1s500ms left */
		/* banned twice: the later end wins, permanent wins */
		elem("192.0.2.50", NOW + 60),
		elem("192.0.2.50", NOW + 600),
		elem("192.0.2.51", NOW + 60),
		elem("192.0.2.51", 0),
		/* beyond 100 years: pushed without timeout */
		elem("192.0.2.60", NOW + 40000LL * 86400),
	};
	struct scenario sc;

	scenario_init(&sc);
	plan_set(&sc.plan, elems, N_ELEMENTS(elems));
	/* the first apply is a full one whatever is asked */
	apply_ok(sc.sync, &sc.plan, NOW_MS, false);
	scenario_finish(&sc, "adds.nft");
}
END_TEST

/* --- following changes ---------------------------------------------------- */

START_TEST(test_incremental)
{
	const struct lockoutd_elem step1[] = {
		elem("192.0.2.1", NOW + 3600),
		elem("192.0.2.2", NOW + 600),
		elem("2001:db8:1:2::/64", NOW + 60),
		elem("198.51.100.0/24", 0),
	};
	/* 192.0.2.1 lifted, 192.0.2.2 extended, a new IPv6 /64 and IPv4,
	   the /24 made temporary */
	const struct lockoutd_elem step2[] = {
		elem("192.0.2.2", NOW + 7200),
		elem("2001:db8:1:2::/64", NOW + 60),
		elem("2001:db8:9:9::/64", NOW + 3600),
		elem("192.0.2.3", 0),
		elem("198.51.100.0/24", NOW + 86400),
	};
	/* 100 s later: 2001:db8:1:2::/64 expired by itself (nothing sent
	   for it), 192.0.2.3 unbanned */
	const struct lockoutd_elem step3[] = {
		elem("192.0.2.2", NOW + 7200),
		elem("2001:db8:9:9::/64", NOW + 3600),
		elem("198.51.100.0/24", NOW + 86400),
	};
	struct scenario sc;

	scenario_init(&sc);
	plan_set(&sc.plan, step1, N_ELEMENTS(step1));
	apply_ok(sc.sync, &sc.plan, NOW_MS, true);
	plan_set(&sc.plan, step2, N_ELEMENTS(step2));
	apply_ok(sc.sync, &sc.plan, NOW_MS + 1000, false);
	/* unchanged: nothing is sent */
	apply_ok(sc.sync, &sc.plan, NOW_MS + 2000, false);
	plan_set(&sc.plan, step3, N_ELEMENTS(step3));
	apply_ok(sc.sync, &sc.plan, NOW_MS + 100000, false);
	/* the periodic full reconcile: remaining times */
	apply_ok(sc.sync, &sc.plan, NOW_MS + 300000, true);
	ck_assert_int_eq(lockoutd_sync_full_due(sc.sync), 0);
	scenario_finish(&sc, "incremental.nft");
}
END_TEST

/* A ban renewed just as its element expires: it cannot be deleted safely
   (it may be gone), so it is added and a full reconcile is asked for. */
START_TEST(test_renewed_at_expiry)
{
	const struct lockoutd_elem step1[] = { elem("192.0.2.1", NOW + 10) };
	const struct lockoutd_elem step2[] = { elem("192.0.2.1", NOW + 3600) };
	struct scenario sc;

	scenario_init(&sc);
	plan_set(&sc.plan, step1, N_ELEMENTS(step1));
	apply_ok(sc.sync, &sc.plan, NOW_MS, true);
	plan_set(&sc.plan, step2, N_ELEMENTS(step2));
	apply_ok(sc.sync, &sc.plan, (int64_t)(NOW + 10) * 1000 - 200, false);
	ck_assert_int_eq(lockoutd_sync_full_due(sc.sync), NOW + 12);
	scenario_finish(&sc, "renewed-at-expiry.nft");
}
END_TEST

/* Interval sets refuse overlapping elements: an address inside a banned
   network waits until the network's ban ends. */
START_TEST(test_covered)
{
	const struct lockoutd_elem step1[] = {
		elem("192.0.2.0/24", NOW + 600),
		elem("192.0.2.5", 0),
		/* ends first: never needed */
		elem("192.0.2.6", NOW + 60),
		elem("2001:db8:1::/48", 0),
		elem("2001:db8:1:2::/64", NOW + 60),
		elem("192.0.3.1", NOW + 60),
	};
	const struct lockoutd_elem step2[] = {
		elem("192.0.2.5", 0),
		elem("2001:db8:1::/48", 0),
		elem("2001:db8:1:2::/64", NOW + 60),
	};
	struct scenario sc;

	scenario_init(&sc);
	plan_set(&sc.plan, step1, N_ELEMENTS(step1));
	ck_assert_uint_eq(sc.plan.count, 3);
	ck_assert_uint_eq(sc.plan.covered, 3);
	ck_assert_int_eq(sc.plan.wake, NOW + 600);
	apply_ok(sc.sync, &sc.plan, NOW_MS, true);
	/* the /24 ended: 192.0.2.5 goes in; 192.0.3.1 ended too (the
	   kernel expired both: nothing to delete) */
	plan_set(&sc.plan, step2, N_ELEMENTS(step2));
	ck_assert_int_eq(sc.plan.wake, 0);
	apply_ok(sc.sync, &sc.plan, (int64_t)(NOW + 600) * 1000 + 20, false);
	scenario_finish(&sc, "covered.nft");
}
END_TEST

/* --- from rows: what must never be pushed --------------------------------- */

static const struct {
	const char *target;
	enum lockout_kind kind;
	int64_t expires;
	bool observed;
} rows[] = {
	{ "192.0.2.10", LOCKOUT_KIND_IP, NOW + 3600, false },
	{ "2001:DB8:0:7::/64", LOCKOUT_KIND_NET, 0, false },
	{ "127.0.0.1", LOCKOUT_KIND_IP, NOW + 3600, false },
	{ "::1", LOCKOUT_KIND_IP, NOW + 3600, false },
	/* allowed, known device, observed */
	{ "203.0.113.20", LOCKOUT_KIND_IP, NOW + 3600, false },
	{ "198.51.100.7", LOCKOUT_KIND_IP, NOW + 3600, false },
	{ "192.0.2.11", LOCKOUT_KIND_IP, NOW + 3600, true },
	{ "192.0.2.12; flush ruleset", LOCKOUT_KIND_IP, 0, false },
	{ "192.0.2.13 timeout 1s", LOCKOUT_KIND_IP, 0, false },
	{ "0.0.0.0/0", LOCKOUT_KIND_NET, 0, false },
	{ "bob@example.org", LOCKOUT_KIND_USER, 0, false },
	{ "::ffff:192.0.2.14", LOCKOUT_KIND_IP, 0, false },
};

START_TEST(test_rows)
{
	struct lockoutd_exempt exempt;
	struct lockoutd_elem e;
	struct lockoutd_plan plan;
	struct lockoutd_sync *sync;
	struct lockoutd_fw *fw;
	struct lockout_ban ban;
	struct lockout_net net;
	const char *error;
	size_t i;

	lockoutd_exempt_init(&exempt);
	ck_assert_int_eq(lockout_net_parse("203.0.113.0/24", &net, &error),
			 0);
	ck_assert_int_eq(lockoutd_netset_add(&exempt.allowed, &net), 0);
	ck_assert_int_eq(lockout_net_parse("198.51.100.7", &net, &error), 0);
	ck_assert_int_eq(lockoutd_netset_add(&exempt.known, &net), 0);
	lockoutd_plan_init(&plan);
	for (i = 0; i < N_ELEMENTS(rows); i++) {
		memset(&ban, 0, sizeof(ban));
		ban.id = (int64_t)i + 1;
		ban.target = rows[i].target;
		ban.kind = rows[i].kind;
		ban.created = NOW - 10;
		ban.expires = rows[i].expires;
		ban.observed = rows[i].observed;
		if (lockoutd_row_check(&ban, NOW, &exempt, &e, &error) ==
		    LOCKOUTD_PUSH)
			ck_assert_int_eq(lockoutd_plan_add(&plan, &e), 0);
	}
	lockoutd_plan_finish(&plan);
	fw = fw_recording(default_ports, N_ELEMENTS(default_ports));
	ck_assert_int_eq(lockoutd_sync_create(fw, &sync), 0);
	apply_ok(sync, &plan, NOW_MS, true);
	golden_check("rows.nft", lockoutd_fw_recorded(fw));
	lockoutd_plan_free(&plan);
	lockoutd_sync_free(&sync);
	lockoutd_fw_free(&fw);
	lockoutd_exempt_free(&exempt);
}
END_TEST

/* --- limits and the grammar's own checks ---------------------------------- */

START_TEST(test_many_elements)
{
	struct lockoutd_plan plan;
	struct lockoutd_sync *sync;
	struct lockoutd_fw *fw;
	struct lockoutd_elem e;
	const char *text, *p;
	unsigned int i, statements = 0, commas = 0;

	lockoutd_plan_init(&plan);
	for (i = 0; i < 300; i++) {
		memset(&e, 0, sizeof(e));
		e.net.addr.family = LOCKOUT_AF_INET;
		e.net.addr.bytes[0] = 10;
		e.net.addr.bytes[2] = (uint8_t)(i / 256);
		e.net.addr.bytes[3] = (uint8_t)(i % 256);
		e.net.prefix = 32;
		ck_assert_int_eq(lockoutd_plan_add(&plan, &e), 0);
	}
	lockoutd_plan_finish(&plan);
	fw = fw_recording(NULL, 0);
	ck_assert_int_eq(lockoutd_sync_create(fw, &sync), 0);
	apply_ok(sync, &plan, NOW_MS, true);
	text = lockoutd_fw_recorded(fw);
	for (p = text; (p = strstr(p, "add element")) != NULL; p++)
		statements++;
	for (p = text; (p = strchr(p, ',')) != NULL; p++)
		commas++;
	/* 256 per statement */
	ck_assert_uint_eq(statements, 2);
	ck_assert_uint_eq(commas, 298);
	lockoutd_plan_free(&plan);
	lockoutd_sync_free(&sync);
	lockoutd_fw_free(&fw);
}
END_TEST

START_TEST(test_plan_limit)
{
	struct lockoutd_plan plan;
	struct lockoutd_elem e = elem("10.0.0.1", 0);
	unsigned int i;

	lockoutd_plan_init(&plan);
	for (i = 0; i < LOCKOUTD_MAX_ELEMENTS + 5; i++)
		ck_assert_int_eq(lockoutd_plan_add(&plan, &e), 0);
	ck_assert_uint_eq(plan.count, LOCKOUTD_MAX_ELEMENTS);
	ck_assert_uint_eq(plan.over_limit, 5);
	lockoutd_plan_finish(&plan);
	ck_assert_uint_eq(plan.count, 1);
	lockoutd_plan_free(&plan);
}
END_TEST

/* An empty table: a plan that never allocated (found by UBSan with the
   integration tests: qsort() of a NULL array). */
START_TEST(test_empty_plan)
{
	struct lockoutd_plan plan;

	lockoutd_plan_init(&plan);
	lockoutd_plan_finish(&plan);
	ck_assert_uint_eq(plan.count, 0);
	lockoutd_plan_free(&plan);
}
END_TEST

/* Networks that are not networks never reach the grammar. */
START_TEST(test_block_refuses_bad_nets)
{
	struct lockoutd_fw *fw = fw_recording(NULL, 0);
	struct lockout_net net;
	const char *error;

	memset(&net, 0, sizeof(net));
	net.addr.family = 5;
	ck_assert_int_eq(lockoutd_fw_block(fw, &net, 0), -1);
	net.addr.family = LOCKOUT_AF_INET;
	net.prefix = 33;
	ck_assert_int_eq(lockoutd_fw_block(fw, &net, 0), -1);
	net.prefix = 24;
	net.addr.bytes[3] = 1;		/* host bits set */
	ck_assert_int_eq(lockoutd_fw_release(fw, &net), -1);
	net.addr.bytes[3] = 0;
	net.addr.bytes[5] = 1;		/* junk past an IPv4 address */
	ck_assert_int_eq(lockoutd_fw_block(fw, &net, 0), -1);
	ck_assert_int_eq(lockoutd_fw_commit(fw, &error), 0);
	ck_assert_str_eq(lockoutd_fw_recorded(fw), "");
	lockoutd_fw_free(&fw);
}
END_TEST

static const struct {
	uint64_t msecs;
	const char *text;
} timeouts[] = {
	{ 1, "1ms" },
	{ 1000, "1s" },
	{ 1500, "1s500ms" },
	{ 60000, "1m" },
	{ 3599500, "59m59s500ms" },
	{ 3600000, "1h" },
	{ 86400000, "1d" },
	{ 90061001, "1d1h1m1s1ms" },
	{ 36500ULL * 86400000, "36500d" },
};

START_TEST(test_timeout_str)
{
	char buf[64];

	lockoutd_fw_timeout_str(timeouts[_i].msecs, buf, sizeof(buf));
	ck_assert_str_eq(buf, timeouts[_i].text);
}
END_TEST

static Suite *fw_suite(void)
{
	Suite *s = suite_create("lockoutd-fw");
	TCase *tc = tcase_create("golden");

	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_adds);
	tcase_add_test(tc, test_incremental);
	tcase_add_test(tc, test_renewed_at_expiry);
	tcase_add_test(tc, test_covered);
	tcase_add_test(tc, test_rows);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	/* test_plan_limit adds LOCKOUTD_MAX_ELEMENTS + 5 elements (and
	   sorts them) under ASan: well over Check's default 4 s on a busy
	   2-core machine, though no more work than lockoutd does once */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_many_elements);
	tcase_add_test(tc, test_plan_limit);
	tcase_add_test(tc, test_empty_plan);
	tcase_add_test(tc, test_block_refuses_bad_nets);
	tcase_add_loop_test(tc, test_timeout_str, 0, N_ELEMENTS(timeouts));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fw_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
