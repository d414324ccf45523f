/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-target.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

/* Valid targets, their kind and canonical form. */
static const struct {
	const char *input;
	enum lockout_kind kind;
	const char *canonical;
} valid_targets[] = {
	{ "192.0.2.1", LOCKOUT_KIND_IP, "192.0.2.1" },
	{ "192.0.2.1/32", LOCKOUT_KIND_IP, "192.0.2.1" },
	{ "::ffff:192.0.2.1", LOCKOUT_KIND_IP, "192.0.2.1" },
	{ "2001:DB8::1", LOCKOUT_KIND_IP, "2001:db8::1" },
	{ "2001:db8::1/128", LOCKOUT_KIND_IP, "2001:db8::1" },
	{ "192.0.2.0/24", LOCKOUT_KIND_NET, "192.0.2.0/24" },
	{ "10.1.0.0/16", LOCKOUT_KIND_NET, "10.1.0.0/16" },
	{ "2001:db8:0:1::/64", LOCKOUT_KIND_NET, "2001:db8:0:1::/64" },
	{ "2001:0db8:0000::/48", LOCKOUT_KIND_NET, "2001:db8::/48" },
	{ "2001:db8::/32", LOCKOUT_KIND_NET, "2001:db8::/32" },
	{ "::ffff:192.0.2.0/120", LOCKOUT_KIND_NET, "192.0.2.0/24" },
	{ "alice@example.org", LOCKOUT_KIND_USER, "alice@example.org" },
	{ "Alice@Example.ORG", LOCKOUT_KIND_USER, "Alice@Example.ORG" },
	{ "admin", LOCKOUT_KIND_USER, "admin" },
	{ "123", LOCKOUT_KIND_USER, "123" },
	{ "1.2.3.4@example.org", LOCKOUT_KIND_USER, "1.2.3.4@example.org" },
	{ "user/x@example.org", LOCKOUT_KIND_USER, "user/x@example.org" },
	{ "no-reply", LOCKOUT_KIND_USER, "no-reply" },
	{ "j\xc3\xbcrgen@example.org", LOCKOUT_KIND_USER,
	  "j\xc3\xbcrgen@example.org" },
	{ "host.example.org", LOCKOUT_KIND_USER, "host.example.org" },
};

/* Invalid targets and a piece of the message they must give. */
static const struct {
	const char *input;
	const char *error;
} invalid_targets[] = {
	{ "", "empty" },
	{ "1.2.3", "invalid address '1.2.3'" },
	{ "1.2.3.256", "invalid address" },
	{ "192.0.2.1.", "invalid address" },
	{ "01.2.3.4", "invalid address" },
	{ "fe80::1%eth0", "invalid address" },
	{ "::g", "invalid address" },
	{ "user:name", "invalid address" },
	{ "192.0.2.1/24", "host bits are set, did you mean 192.0.2.0/24?" },
	{ "192.0.2.0/33", "invalid prefix length" },
	{ "192.0.2.0/", "invalid prefix length" },
	{ "192.0.2.0/024", "invalid prefix length" },
	{ "10.0.0.0/15", "wider than /16 (the widest ban is an IPv4 /16 "
	  "or an IPv6 /32)" },
	{ "10.0.0.0/8", "wider than /16" },
	{ "0.0.0.0/0", "wider than /16" },
	{ "::/0", "wider than /32" },
	{ "2001::/16", "wider than /32" },
	{ "2000::/3", "wider than /32" },
	{ "junk/8", "not an IP address" },
	{ "alice @example.org", "whitespace or control" },
	{ " alice", "whitespace or control" },
	{ "alice\t", "whitespace or control" },
	{ "ali\x7f" "ce", "whitespace or control" },
	{ "alice\n", "whitespace or control" },
};

/* A row of the table, as the auth process, lockoutd and stats check it:
   NULL = valid. */
static const struct {
	const char *target;
	enum lockout_kind kind;
	const char *problem;
} row_targets[] = {
	{ "192.0.2.1", LOCKOUT_KIND_IP, NULL },
	{ "2001:db8::1", LOCKOUT_KIND_IP, NULL },
	{ "192.0.0.0/16", LOCKOUT_KIND_NET, NULL },
	{ "2001:db8::/32", LOCKOUT_KIND_NET, NULL },
	{ "any thing\x01", LOCKOUT_KIND_USER, NULL },
	{ "192.0.0.0/15", LOCKOUT_KIND_NET, "network wider than an IPv4 /16 "
	  "or an IPv6 /32" },
	{ "0.0.0.0/0", LOCKOUT_KIND_NET, "wider than an IPv4 /16" },
	{ "2001:db8::/31", LOCKOUT_KIND_NET, "wider than an IPv4 /16" },
	{ "::/0", LOCKOUT_KIND_NET, "wider than an IPv4 /16" },
	{ "192.0.2.0/24", LOCKOUT_KIND_IP, "kind ip with a network target" },
	{ "192.0.2.1", LOCKOUT_KIND_NET, "kind net with a single address" },
	{ "192.0.2.1/24", LOCKOUT_KIND_NET, "192.0.2.1/24" },
	{ "999.1.1.1", LOCKOUT_KIND_IP, "999.1.1.1" },
	{ "alice", LOCKOUT_KIND_IP, "alice" },
};

START_TEST(test_ban_check_target)
{
	struct lockout_ban ban;
	struct lockout_net net;
	const char *problem = NULL;
	int ret;

	memset(&ban, 0, sizeof(ban));
	ban.target = row_targets[_i].target;
	ban.kind = row_targets[_i].kind;
	memset(&net, 0xaa, sizeof(net));
	ret = lockout_ban_check_target(&ban, &net, &problem);
	if (row_targets[_i].problem == NULL) {
		ck_assert_msg(ret == 0, "'%s' refused: %s",
			      row_targets[_i].target, problem);
		if (ban.kind == LOCKOUT_KIND_USER)
			ck_assert_int_eq(net.addr.family, 0);
		else
			ck_assert_int_ne(net.addr.family, 0);
	} else {
		ck_assert_int_eq(ret, -1);
		ck_assert_msg(strstr(problem, row_targets[_i].problem) != NULL,
			      "'%s': '%s' lacks '%s'", row_targets[_i].target,
			      problem, row_targets[_i].problem);
	}
}
END_TEST

START_TEST(test_target_valid)
{
	struct lockout_target target;
	const char *error = NULL;

	if (lockout_target_parse(valid_targets[_i].input, &target,
				 &error) < 0)
		ck_abort_msg("'%s' refused: %s", valid_targets[_i].input,
			     error);
	ck_assert_int_eq(target.kind, valid_targets[_i].kind);
	ck_assert_str_eq(target.str, valid_targets[_i].canonical);
	if (target.kind == LOCKOUT_KIND_USER)
		ck_assert_int_eq(target.net.addr.family, 0);
	else
		ck_assert_int_ne(target.net.addr.family, 0);
}
END_TEST

START_TEST(test_target_invalid)
{
	struct lockout_target target;
	const char *error = NULL;

	memset(&target, 0xaa, sizeof(target));
	ck_assert_int_eq(lockout_target_parse(invalid_targets[_i].input,
					      &target, &error), -1);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error, invalid_targets[_i].error) != NULL,
		      "'%s': error '%s' lacks '%s'", invalid_targets[_i].input,
		      error, invalid_targets[_i].error);
	ck_assert_msg(strchr(error, '\n') == NULL, "multi-line error");
	ck_assert_int_eq(target.kind, 0);
	ck_assert_str_eq(target.str, "");
}
END_TEST

START_TEST(test_target_limits)
{
	char name[LOCKOUT_BAN_TARGET_MAX + 2];
	struct lockout_target target;
	const char *error = NULL;

	memset(name, 'u', sizeof(name) - 2);
	name[sizeof(name) - 2] = '\0';
	ck_assert_int_eq(lockout_target_parse(name, &target, &error), 0);
	ck_assert_uint_eq(strlen(target.str), LOCKOUT_BAN_TARGET_MAX);
	name[sizeof(name) - 2] = 'u';
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(lockout_target_parse(name, &target, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "longer than 255 bytes"));
	ck_assert_int_eq(lockout_target_parse(NULL, &target, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "missing"));
}
END_TEST

START_TEST(test_target_parse_network)
{
	struct lockout_target target;
	const char *error = NULL;

	ck_assert_int_eq(lockout_target_parse_network("192.0.2.0/24", &target,
						      &error), 0);
	ck_assert_int_eq(target.kind, LOCKOUT_KIND_NET);
	ck_assert_int_eq(lockout_target_parse_network("192.0.2.9", &target,
						      &error), 0);
	ck_assert_int_eq(target.kind, LOCKOUT_KIND_IP);
	ck_assert_int_eq(lockout_target_parse_network("alice", &target,
						      &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "not an address or network"));
	ck_assert_str_eq(target.str, "");
	ck_assert_int_eq(lockout_target_parse_network("1.2.3", &target,
						      &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "invalid address"));
}
END_TEST

static const struct {
	const char *target;
	bool overlaps;
	size_t idx;
} overlap_cases[] = {
	{ "192.0.2.5", true, 1 },
	{ "192.0.2.0/28", true, 1 },
	/* wider than an allowed network: overlaps it too */
	{ "192.0.0.0/16", true, 1 },
	{ "198.51.100.7", false, 0 },
	{ "127.0.0.1", true, 0 },
	{ "2001:db8::1", true, 2 },
	{ "2001:db9::1", false, 0 },
	{ "alice", false, 0 },
};

START_TEST(test_target_overlaps)
{
	static const char *const allowed[] = {
		"127.0.0.0/8", "192.0.2.0/24", "2001:db8::/32"
	};
	struct lockout_net nets[N_ELEMENTS(allowed)];
	struct lockout_target target;
	const char *error = NULL;
	size_t i, idx = 99;

	for (i = 0; i < N_ELEMENTS(allowed); i++)
		ck_assert_int_eq(lockout_net_parse(allowed[i], &nets[i],
						   &error), 0);
	ck_assert_int_eq(lockout_target_parse(overlap_cases[_i].target,
					      &target, &error), 0);
	ck_assert(lockout_target_overlaps(&target, nets, N_ELEMENTS(nets),
					  &idx) == overlap_cases[_i].overlaps);
	if (overlap_cases[_i].overlaps)
		ck_assert_uint_eq(idx, overlap_cases[_i].idx);
	ck_assert(!lockout_target_overlaps(&target, NULL, 0, NULL));
}
END_TEST

static Suite *target_suite(void)
{
	Suite *s = suite_create("lockout-target");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_target_valid, 0,
			    N_ELEMENTS(valid_targets));
	tcase_add_loop_test(tc, test_target_invalid, 0,
			    N_ELEMENTS(invalid_targets));
	tcase_add_test(tc, test_target_limits);
	tcase_add_loop_test(tc, test_ban_check_target, 0,
			    N_ELEMENTS(row_targets));
	tcase_add_test(tc, test_target_parse_network);
	tcase_add_loop_test(tc, test_target_overlaps, 0,
			    N_ELEMENTS(overlap_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(target_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
