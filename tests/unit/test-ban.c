/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* lockout-ban.c: the names of kinds and sources, the ban invariants. */
/* no store involved */
#define STORE_TEST_DEFAULT_DRIVERS STORE_DRIVERS_SQLITE
#include "store-test-common.h"

#include <string.h>

/* --- names -------------------------------------------------------------- */

START_TEST(test_kind_source_names)
{
	/* as many kinds as sources: one row of each */
	static const struct {
		const char *kind_str, *source_str;
		enum lockout_kind kind;
		enum lockout_source source;
	} names[] = {
		{ "ip", "auto", LOCKOUT_KIND_IP, LOCKOUT_SOURCE_AUTO },
		{ "net", "manual", LOCKOUT_KIND_NET, LOCKOUT_SOURCE_MANUAL },
		{ "user", "feed", LOCKOUT_KIND_USER, LOCKOUT_SOURCE_FEED },
	};
	static const char *const bad[] = { "", "IP", "ip ", "Manual", "x" };
	enum lockout_kind kind;
	enum lockout_source source;
	unsigned int i;

	ck_assert_uint_eq(N_ELEMENTS(names), LOCKOUT_KIND_COUNT);
	ck_assert_uint_eq(N_ELEMENTS(names), LOCKOUT_SOURCE_COUNT);
	for (i = 0; i < N_ELEMENTS(names); i++) {
		ck_assert_str_eq(lockout_kind_to_str(names[i].kind),
				 names[i].kind_str);
		ck_assert_int_eq(lockout_kind_parse(names[i].kind_str, &kind),
				 0);
		ck_assert_int_eq(kind, names[i].kind);
		ck_assert_str_eq(lockout_source_to_str(names[i].source),
				 names[i].source_str);
		ck_assert_int_eq(lockout_source_parse(names[i].source_str,
						      &source), 0);
		ck_assert_int_eq(source, names[i].source);
	}
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		ck_assert_int_eq(lockout_kind_parse(bad[i], &kind), -1);
		ck_assert_int_eq(lockout_source_parse(bad[i], &source), -1);
	}
	ck_assert_int_eq(lockout_kind_parse(NULL, &kind), -1);
	ck_assert_int_eq(lockout_source_parse(NULL, &source), -1);
	ck_assert_ptr_null(lockout_kind_to_str((enum lockout_kind)7));
	ck_assert_ptr_null(lockout_source_to_str((enum lockout_source)7));
}
STORE_END_TEST("names", test_kind_source_names, 0)

/* --- invariants --------------------------------------------------------- */

START_TEST(test_ban_validate)
{
	struct lockout_ban ban = ban_make("192.0.2.50", 1000, 2000);
	const char *problem = NULL;

	make_long_strings();
	ck_assert_int_eq(lockout_ban_validate(&ban, &problem), 0);
	ck_assert_ptr_null(problem);
	ban_invalid[_i].mutate(&ban);
	ck_assert_int_eq(lockout_ban_validate(&ban, &problem), -1);
	ck_assert_ptr_nonnull(problem);
	ck_assert_msg(strstr(problem, ban_invalid[_i].error) != NULL,
		      "case %d: problem '%s' lacks '%s'", _i, problem,
		      ban_invalid[_i].error);
}
STORE_END_TEST("invariants", test_ban_validate, N_ELEMENTS(ban_invalid))

START_TEST(test_ban_validate_limits)
{
	struct lockout_ban ban = ban_at_limits();
	const char *problem = NULL;

	/* every string at its limit */
	ck_assert_int_eq(lockout_ban_validate(&ban, &problem), 0);
	/* permanent, lifted, no evidence, empty reason */
	ban.expires = 0;
	ban.lifted = 1;
	ban.evidence = NULL;
	ck_assert_int_eq(lockout_ban_validate(&ban, &problem), 0);
	ban.reason = "";
	ban.evidence = "";
	ck_assert_int_eq(lockout_ban_validate(&ban, &problem), 0);
	ck_assert_ptr_null(problem);
}
STORE_END_TEST("invariants", test_ban_validate_limits, 0)

static const struct {
	const char *str;
	size_t max;
	bool nonempty, fits;
} field_cases[] = {
	{ NULL, 5, false, false },
	{ "", 5, false, true },
	{ "", 5, true, false },
	{ "", 0, false, true },
	{ "a", 0, false, false },
	{ "abcde", 5, true, true },
	{ "abcdef", 5, false, false },
	{ "ab\0cdefgh", 5, true, true },
};

START_TEST(test_field_fits)
{
	/* not NUL-terminated: only max + 1 bytes may be read (ASan) */
	static const char unterminated[4] = { 'a', 'b', 'c', 'd' };
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(field_cases); i++) {
		ck_assert_msg(lockout_field_fits(field_cases[i].str,
						 field_cases[i].max,
						 field_cases[i].nonempty) ==
			      field_cases[i].fits, "case %u", i);
	}
	ck_assert(!lockout_field_fits(unterminated, 3, false));
	ck_assert(!lockout_field_fits(unterminated, 3, true));
}
STORE_END_TEST("invariants", test_field_fits, 0)
