/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-rows.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define NOW 1700000000

/* Exemptions every row case is checked against. */
static const char *const allowed_nets[] = {
	"203.0.113.0/24", "198.18.0.7", "2001:db8:aaaa::/48",
};
static const char *const known_nets[] = {
	"192.0.2.99", "2001:db8:5:6::/64", "192.0.3.4",
};

static const struct {
	const char *target;
	enum lockout_kind kind;
	int64_t expires; /* relative to NOW; 0 = permanent */
	int64_t lifted;
	bool observed;
	enum lockoutd_verdict verdict;
	const char *canonical; /* what is pushed */
} row_cases[] = {
	/* pushed, printed canonically */
	{ "192.0.2.1", LOCKOUT_KIND_IP, 3600, 0, false, LOCKOUTD_PUSH,
	  "192.0.2.1" },
	{ "192.0.2.1/32", LOCKOUT_KIND_IP, 0, 0, false, LOCKOUTD_PUSH,
	  "192.0.2.1" },
	{ "2001:DB8:0:0::1", LOCKOUT_KIND_IP, 60, 0, false, LOCKOUTD_PUSH,
	  "2001:db8::1" },
	{ "::ffff:192.0.2.7", LOCKOUT_KIND_IP, 60, 0, false, LOCKOUTD_PUSH,
	  "192.0.2.7" },
	{ "198.51.100.0/24", LOCKOUT_KIND_NET, 0, 0, false, LOCKOUTD_PUSH,
	  "198.51.100.0/24" },
	{ "10.1.0.0/16", LOCKOUT_KIND_NET, 0, 0, false, LOCKOUTD_PUSH,
	  "10.1.0.0/16" },
	{ "2001:db8:1:2::/64", LOCKOUT_KIND_NET, 60, 0, false, LOCKOUTD_PUSH,
	  "2001:db8:1:2::/64" },
	{ "2001:0db8:0001:0002:0000::/64", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_PUSH, "2001:db8:1:2::/64" },
	{ "2001:db9::/32", LOCKOUT_KIND_NET, 60, 0, false, LOCKOUTD_PUSH,
	  "2001:db9::/32" },
	/* kinds and prefix lengths */
	{ "192.0.2.0/24", LOCKOUT_KIND_IP, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "192.0.2.1", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "10.0.0.0/8", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "0.0.0.0/0", LOCKOUT_KIND_NET, 0, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "2001:db8::/31", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "::/0", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "192.0.2.1/24", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "192.0.2.0/33", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	/* not addresses: never reach the firewall grammar */
	{ "bogus", LOCKOUT_KIND_IP, 60, 0, false, LOCKOUTD_SKIP_MALFORMED,
	  NULL },
	{ "", LOCKOUT_KIND_IP, 60, 0, false, LOCKOUTD_SKIP_MALFORMED, NULL },
	{ " 192.0.2.1", LOCKOUT_KIND_IP, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "192.0.2.1\n", LOCKOUT_KIND_IP, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "192.0.2.1 }; flush ruleset", LOCKOUT_KIND_IP, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "192.0.2.1,192.0.2.2", LOCKOUT_KIND_IP, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "192.0.2.1-192.0.2.9", LOCKOUT_KIND_IP, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "01.2.3.4", LOCKOUT_KIND_IP, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "fe80::1%eth0", LOCKOUT_KIND_IP, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "[2001:db8::1]", LOCKOUT_KIND_IP, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "alice@example.org", LOCKOUT_KIND_IP, 60, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	/* not active */
	{ "192.0.2.1", LOCKOUT_KIND_IP, 60, NOW - 1, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	{ "192.0.2.1", LOCKOUT_KIND_IP, -1, 0, false,
	  LOCKOUTD_SKIP_MALFORMED, NULL },
	/* loopback and unspecified */
	{ "127.0.0.1", LOCKOUT_KIND_IP, 60, 0, false, LOCKOUTD_SKIP_LOOPBACK,
	  NULL },
	{ "127.1.2.0/24", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_LOOPBACK, NULL },
	{ "::1", LOCKOUT_KIND_IP, 60, 0, false, LOCKOUTD_SKIP_LOOPBACK, NULL },
	{ "::ffff:127.0.0.1", LOCKOUT_KIND_IP, 60, 0, false,
	  LOCKOUTD_SKIP_LOOPBACK, NULL },
	{ "0.0.0.0", LOCKOUT_KIND_IP, 60, 0, false, LOCKOUTD_SKIP_LOOPBACK,
	  NULL },
	{ "::", LOCKOUT_KIND_IP, 60, 0, false, LOCKOUTD_SKIP_LOOPBACK, NULL },
	/* allowed networks: inside, equal, or covering one */
	{ "203.0.113.5", LOCKOUT_KIND_IP, 60, 0, false, LOCKOUTD_SKIP_ALLOWED,
	  NULL },
	{ "203.0.113.0/24", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_ALLOWED, NULL },
	{ "203.0.112.0/23", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_ALLOWED, NULL },
	{ "198.18.0.7", LOCKOUT_KIND_IP, 60, 0, false, LOCKOUTD_SKIP_ALLOWED,
	  NULL },
	{ "198.18.0.0/24", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_ALLOWED, NULL },
	{ "198.18.0.8", LOCKOUT_KIND_IP, 60, 0, false, LOCKOUTD_PUSH,
	  "198.18.0.8" },
	{ "2001:db8:aaaa:1::/64", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_ALLOWED, NULL },
	{ "2001:db8:aaab::/64", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_PUSH, "2001:db8:aaab::/64" },
	/* recent successful logins */
	{ "192.0.2.99", LOCKOUT_KIND_IP, 60, 0, false, LOCKOUTD_SKIP_KNOWN,
	  NULL },
	{ "192.0.3.0/24", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_KNOWN, NULL },
	{ "2001:db8:5:6::/64", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_SKIP_KNOWN, NULL },
	{ "2001:db8:5:7::/64", LOCKOUT_KIND_NET, 60, 0, false,
	  LOCKOUTD_PUSH, "2001:db8:5:7::/64" },
	/* never enforced / not for the firewall */
	{ "192.0.2.1", LOCKOUT_KIND_IP, 60, 0, true, LOCKOUTD_SKIP_OBSERVED,
	  NULL },
	{ "alice@example.org", LOCKOUT_KIND_USER, 0, 0, false,
	  LOCKOUTD_SKIP_USER, NULL },
};

static void exempt_fill(struct lockoutd_exempt *exempt)
{
	struct lockout_net net;
	const char *error;
	size_t i;

	lockoutd_exempt_init(exempt);
	for (i = 0; i < N_ELEMENTS(allowed_nets); i++) {
		ck_assert_int_eq(lockout_net_parse(allowed_nets[i], &net,
						   &error), 0);
		ck_assert_int_eq(lockoutd_netset_add(&exempt->allowed, &net),
				 0);
	}
	for (i = 0; i < N_ELEMENTS(known_nets); i++) {
		ck_assert_int_eq(lockout_net_parse(known_nets[i], &net,
						   &error), 0);
		ck_assert_int_eq(lockoutd_netset_add(&exempt->known, &net), 0);
	}
}

START_TEST(test_row_check)
{
	struct lockoutd_exempt exempt;
	struct lockoutd_elem elem;
	struct lockout_ban ban;
	char buf[LOCKOUT_NET_STRLEN];
	enum lockoutd_verdict verdict;
	const char *problem;

	exempt_fill(&exempt);
	memset(&ban, 0, sizeof(ban));
	ban.id = 7;
	ban.target = row_cases[_i].target;
	ban.kind = row_cases[_i].kind;
	ban.created = NOW - 100;
	ban.expires = row_cases[_i].expires == 0 ? 0 :
		NOW + row_cases[_i].expires;
	ban.lifted = row_cases[_i].lifted;
	ban.observed = row_cases[_i].observed;
	verdict = lockoutd_row_check(&ban, NOW, &exempt, &elem, &problem);
	ck_assert_msg(verdict == row_cases[_i].verdict,
		      "'%s': %s, expected %s (%s)", row_cases[_i].target,
		      lockoutd_verdict_name(verdict),
		      lockoutd_verdict_name(row_cases[_i].verdict),
		      problem == NULL ? "" : problem);
	if (verdict == LOCKOUTD_SKIP_MALFORMED)
		ck_assert_ptr_nonnull(problem);
	if (verdict == LOCKOUTD_PUSH) {
		lockout_net_to_str(&elem.net, buf);
		ck_assert_str_eq(buf, row_cases[_i].canonical);
		ck_assert_int_eq(elem.expires, ban.expires);
		ck_assert_int_eq(elem.ban_id, 7);
	}
	lockoutd_exempt_free(&exempt);
}
END_TEST

static const struct {
	const char *net;
	bool overlaps;
} netset_cases[] = {
	{ "10.0.0.0/16", true },	/* equal */
	{ "10.0.5.0/24", true },	/* inside */
	{ "10.0.0.0/15", true },	/* covers */
	{ "10.1.0.0/16", true },	/* covers 10.1.2.3 */
	{ "10.1.2.3", true },
	{ "10.1.2.4", false },
	{ "10.2.0.0/16", false },
	{ "9.255.255.255", false },
	{ "0.0.0.0/0", true },
	{ "172.16.0.0/12", false },
	{ "2001:db8::/32", true },
	{ "2001:db8:0:1::/64", true },
	{ "2001:db8:0:1::1", true },
	{ "2001:db9::/32", false },
	{ "::/0", true },
	{ "::a00:0/112", false },	/* IPv6, not the IPv4 10.0.0.0 */
};

START_TEST(test_netset_overlaps)
{
	static const char *const members[] = {
		"10.0.0.0/16", "10.1.2.3", "2001:db8::/48", "192.168.0.0/24",
	};
	struct lockoutd_netset set;
	struct lockout_net net;
	const char *error;
	size_t i;

	lockoutd_netset_init(&set);
	ck_assert_int_eq(lockout_net_parse(netset_cases[_i].net, &net,
					   &error), 0);
	/* an empty set overlaps nothing */
	ck_assert(!lockoutd_netset_overlaps(&set, &net));
	for (i = 0; i < N_ELEMENTS(members); i++) {
		struct lockout_net member;

		ck_assert_int_eq(lockout_net_parse(members[i], &member,
						   &error), 0);
		ck_assert_int_eq(lockoutd_netset_add(&set, &member), 0);
	}
	ck_assert_msg(lockoutd_netset_overlaps(&set, &net) ==
		      netset_cases[_i].overlaps, "%s", netset_cases[_i].net);
	lockoutd_netset_clear(&set);
	ck_assert(!lockoutd_netset_overlaps(&set, &net));
	lockoutd_netset_free(&set);
}
END_TEST

/* Many members: the answer matches a linear scan. */
START_TEST(test_netset_many)
{
	struct lockoutd_netset set;
	struct lockout_net net, *all;
	unsigned int i, j, n = 2000;
	bool linear;

	srand(42);
	all = calloc(n, sizeof(*all));
	ck_assert_ptr_nonnull(all);
	lockoutd_netset_init(&set);
	for (i = 0; i < n; i++) {
		struct lockout_addr addr;

		memset(&addr, 0, sizeof(addr));
		addr.family = LOCKOUT_AF_INET;
		addr.bytes[0] = 10;
		addr.bytes[1] = (uint8_t)(rand() % 4);
		addr.bytes[2] = (uint8_t)rand();
		addr.bytes[3] = (uint8_t)rand();
		lockout_addr_mask(&addr, 20 + (unsigned int)(rand() % 13),
				  &all[i]);
		ck_assert_int_eq(lockoutd_netset_add(&set, &all[i]), 0);
	}
	for (i = 0; i < 5000; i++) {
		struct lockout_addr addr;

		memset(&addr, 0, sizeof(addr));
		addr.family = LOCKOUT_AF_INET;
		addr.bytes[0] = 10;
		addr.bytes[1] = (uint8_t)(rand() % 8);
		addr.bytes[2] = (uint8_t)rand();
		addr.bytes[3] = (uint8_t)rand();
		lockout_addr_mask(&addr, 16 + (unsigned int)(rand() % 17),
				  &net);
		linear = false;
		for (j = 0; j < n && !linear; j++)
			linear = lockout_nets_overlap(&all[j], &net);
		ck_assert(lockoutd_netset_overlaps(&set, &net) == linear);
	}
	lockoutd_netset_free(&set);
	free(all);
}
END_TEST

static Suite *rows_suite(void)
{
	Suite *s = suite_create("lockoutd-rows");
	TCase *tc = tcase_create("rows");

	tcase_add_loop_test(tc, test_row_check, 0, N_ELEMENTS(row_cases));
	tcase_add_loop_test(tc, test_netset_overlaps, 0,
			    N_ELEMENTS(netset_cases));
	tcase_add_test(tc, test_netset_many);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rows_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
