/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-import.h"
#include "lockout-args.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

/* Lines and what they parse to: type, target, the fields given, reason
   (NULL: none), or the words of the error. */
static const struct {
	const char *line;
	int ret;
	enum lockout_import_type type;
	const char *target;
	unsigned int have;
	const char *reason;
	const char *error;
} cases[] = {
	{ "", 0, LOCKOUT_IMPORT_EMPTY, "", 0, NULL, NULL },
	{ "   \t ", 0, LOCKOUT_IMPORT_EMPTY, "", 0, NULL, NULL },
	{ "# a comment 1.2.3.4", 0, LOCKOUT_IMPORT_EMPTY, "", 0, NULL, NULL },
	{ "  #x", 0, LOCKOUT_IMPORT_EMPTY, "", 0, NULL, NULL },
	{ "192.0.2.1", 0, LOCKOUT_IMPORT_BAN, "192.0.2.1", 0, NULL, NULL },
	{ "192.0.2.1\r", 0, LOCKOUT_IMPORT_BAN, "192.0.2.1", 0, NULL, NULL },
	{ " 192.0.2.0/24  # spam run, 2026-11 ", 0, LOCKOUT_IMPORT_BAN,
	  "192.0.2.0/24", LOCKOUT_IMPORT_REASON, "spam run, 2026-11", NULL },
	{ "192.0.2.1 #tight # with hash", 0, LOCKOUT_IMPORT_BAN, "192.0.2.1",
	  LOCKOUT_IMPORT_REASON, "tight # with hash", NULL },
	{ "192.0.2.1 #", 0, LOCKOUT_IMPORT_BAN, "192.0.2.1",
	  LOCKOUT_IMPORT_REASON, "", NULL },
	{ "2001:DB8::/64", 0, LOCKOUT_IMPORT_BAN, "2001:db8::/64", 0, NULL,
	  NULL },
	{ "user#1@example.org", 0, LOCKOUT_IMPORT_BAN, "user#1@example.org", 0,
	  NULL, NULL },
	{ "allow 10.0.0.0/8 created=2026-01-02T03:04:05Z # office", 0,
	  LOCKOUT_IMPORT_ALLOW, "10.0.0.0/8",
	  LOCKOUT_IMPORT_CREATED | LOCKOUT_IMPORT_REASON, "office", NULL },
	{ "192.0.2.1 created=2026-01-02T03:04:05Z expires=permanent "
	  "source=auto rule=ip_failures failures=12 observed=yes "
	  "evidence=%7B%22a%22:%201%7D # x", 0, LOCKOUT_IMPORT_BAN,
	  "192.0.2.1", LOCKOUT_IMPORT_CREATED | LOCKOUT_IMPORT_EXPIRES |
	  LOCKOUT_IMPORT_SOURCE | LOCKOUT_IMPORT_RULE |
	  LOCKOUT_IMPORT_FAILURES | LOCKOUT_IMPORT_OBSERVED |
	  LOCKOUT_IMPORT_EVIDENCE | LOCKOUT_IMPORT_REASON, "x", NULL },
	{ "192.0.2.300", -1, 0, "", 0, NULL, "192.0.2.300" },
	{ "192.0.2.1 192.0.2.2", -1, 0, "", 0, NULL, "unexpected '192.0.2.2'" },
	{ "192.0.2.1 colour=red", -1, 0, "", 0, NULL, "unknown field 'colour'" },
	{ "192.0.2.1 failures=1 failures=2", -1, 0, "", 0, NULL,
	  "given twice" },
	{ "192.0.2.1 failures=-1", -1, 0, "", 0, NULL, "invalid failures" },
	{ "192.0.2.1 failures=4294967296", -1, 0, "", 0, NULL,
	  "invalid failures" },
	{ "192.0.2.1 created=2026-02-29T00:00:00Z", -1, 0, "", 0, NULL,
	  "invalid created" },
	{ "192.0.2.1 created=2026-01-02 03:04:05", -1, 0, "", 0, NULL,
	  "invalid created" },
	{ "192.0.2.1 expires=soon", -1, 0, "", 0, NULL, "invalid expires" },
	{ "192.0.2.1 created=2026-01-02T03:04:05Z "
	  "expires=2026-01-02T03:04:05Z", -1, 0, "", 0, NULL,
	  "expires is not after created" },
	{ "192.0.2.1 source=fail2ban", -1, 0, "", 0, NULL, "invalid source" },
	{ "192.0.2.1 observed=1", -1, 0, "", 0, NULL, "invalid observed" },
	{ "192.0.2.1 evidence=%7", -1, 0, "", 0, NULL, "invalid evidence" },
	{ "192.0.2.1 evidence=%00", -1, 0, "", 0, NULL, "invalid evidence" },
	{ "192.0.2.1 rule=", -1, 0, "", 0, NULL, "invalid rule" },
	{ "192.0.2.1 # bell\a", -1, 0, "", 0, NULL, "control character" },
	{ "allow", -1, 0, "", 0, NULL, "missing network" },
	{ "allow # x", -1, 0, "", 0, NULL, "missing network" },
	{ "allow alice@example.org", -1, 0, "", 0, NULL, "" },
	{ "allow 10.0.0.0/8 failures=3", -1, 0, "", 0, NULL,
	  "takes only created=" },
	{ "10.0.0.0/4", -1, 0, "", 0, NULL, "" },
};

START_TEST(test_parse_line)
{
	struct lockout_import_line line;
	const char *error = NULL;
	int ret;

	lockout_import_line_init(&line);
	ret = lockout_import_parse_line(cases[_i].line,
					strlen(cases[_i].line), &line, &error);
	ck_assert_msg(ret == cases[_i].ret, "%s: %d (%s)", cases[_i].line,
		      ret, ret < 0 ? error : "");
	if (ret < 0) {
		ck_assert_msg(strstr(error, cases[_i].error) != NULL, "%s: %s",
			      cases[_i].line, error);
		ck_assert_int_eq(line.type, LOCKOUT_IMPORT_EMPTY);
	} else {
		ck_assert_int_eq(line.type, cases[_i].type);
		ck_assert_str_eq(line.target.str, cases[_i].target);
		ck_assert_uint_eq(line.have, cases[_i].have);
		if (cases[_i].reason != NULL) {
			ck_assert_str_eq(lockout_str_c(&line.reason),
					 cases[_i].reason);
		}
	}
	lockout_import_line_free(&line);
}
END_TEST

START_TEST(test_fields)
{
	static const char text[] =
		"192.0.2.1 created=2026-01-02T03:04:05Z "
		"expires=2026-01-03T03:04:05Z source=feed rule=targeted "
		"failures=7 observed=yes evidence=%7B%22a%22:%20%23%25%7D";
	struct lockout_import_line line;
	const char *error;

	lockout_import_line_init(&line);
	ck_assert_int_eq(lockout_import_parse_line(text, strlen(text), &line,
						   &error), 0);
	ck_assert_int_eq(line.created, 1767323045);
	ck_assert_int_eq(line.expires, 1767323045 + 86400);
	ck_assert_int_eq(line.source, LOCKOUT_SOURCE_FEED);
	ck_assert_str_eq(line.rule, "targeted");
	ck_assert_uint_eq(line.failures, 7);
	ck_assert(line.observed);
	ck_assert_str_eq(lockout_str_c(&line.evidence), "{\"a\": #%}");
	/* the line is reusable: nothing is kept from the last one */
	ck_assert_int_eq(lockout_import_parse_line("alice@example.org", 17,
						   &line, &error), 0);
	ck_assert_uint_eq(line.have, 0);
	ck_assert_int_eq(line.target.kind, LOCKOUT_KIND_USER);
	ck_assert_str_eq(lockout_str_c(&line.evidence), "");
	lockout_import_line_free(&line);
}
END_TEST

START_TEST(test_nul_and_length)
{
	static const char nul[] = "192.0.2.1\0x";
	struct lockout_import_line line;
	const char *error;
	char *big;

	lockout_import_line_init(&line);
	ck_assert_int_eq(lockout_import_parse_line(nul, sizeof(nul) - 1,
						   &line, &error), -1);
	ck_assert(strstr(error, "NUL") != NULL);
	/* the length given is respected: no terminating NUL needed */
	ck_assert_int_eq(lockout_import_parse_line("192.0.2.1999", 9, &line,
						   &error), 0);
	ck_assert_str_eq(line.target.str, "192.0.2.1");
	big = malloc(LOCKOUT_IMPORT_LINE_MAX + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', LOCKOUT_IMPORT_LINE_MAX + 1);
	ck_assert_int_eq(lockout_import_parse_line(big,
			 LOCKOUT_IMPORT_LINE_MAX + 1, &line, &error), -1);
	ck_assert(strstr(error, "longer") != NULL);
	free(big);
	lockout_import_line_free(&line);
}
END_TEST

/* What export writes, import reads back to the same ban. */
START_TEST(test_round_trip)
{
	static const struct lockout_ban bans[] = {
		{ .target = "192.0.2.1", .kind = LOCKOUT_KIND_IP,
		  .source = LOCKOUT_SOURCE_AUTO, .reason = "12 failures # in 10"
		  " mins", .rule = "ip_failures", .created = 1767323045,
		  .expires = 1767326645, .failures = 12,
		  .evidence = "{\"usernames\":[\"a b\",\"%#\\n\"]}" },
		{ .target = "bob@example.org", .kind = LOCKOUT_KIND_USER,
		  .source = LOCKOUT_SOURCE_MANUAL, .reason = "",
		  .rule = "manual", .created = 1, .expires = 0,
		  .evidence = NULL, .observed = true },
		/* invalid UTF-8 is taken by import: written as it is */
		{ .target = "192.0.2.2", .kind = LOCKOUT_KIND_IP,
		  .source = LOCKOUT_SOURCE_FEED, .reason = "5 failed\xa0logins",
		  .rule = "feed", .created = 1, .expires = 0 },
	};
	struct lockout_import_line line;
	struct lockout_str out;
	const char *error, *text;
	unsigned int i;

	lockout_import_line_init(&line);
	for (i = 0; i < N_ELEMENTS(bans); i++) {
		lockout_str_init(&out);
		ck_assert(!lockout_export_ban_line(&out, &bans[i]));
		text = lockout_str_c(&out);
		ck_assert_ptr_nonnull(text);
		ck_assert(text[out.len - 1] == '\n');
		ck_assert_int_eq(lockout_import_parse_line(text, out.len - 1,
							   &line, &error), 0);
		ck_assert_int_eq(line.type, LOCKOUT_IMPORT_BAN);
		ck_assert_str_eq(line.target.str, bans[i].target);
		ck_assert_int_eq(line.target.kind, bans[i].kind);
		ck_assert_int_eq(line.source, bans[i].source);
		ck_assert_str_eq(lockout_str_c(&line.reason), bans[i].reason);
		ck_assert_str_eq(line.rule, bans[i].rule);
		ck_assert_int_eq(line.created, bans[i].created);
		ck_assert_int_eq(line.expires, bans[i].expires);
		ck_assert_uint_eq(line.failures, bans[i].failures);
		ck_assert_str_eq(lockout_str_c(&line.evidence),
				 bans[i].evidence == NULL ? "{}" :
				 bans[i].evidence);
		ck_assert(line.observed == bans[i].observed);
		lockout_str_free(&out);
	}
	lockout_str_init(&out);
	ck_assert(!lockout_export_allowed_line(&out, "10.0.0.0/8", "office",
					       86400));
	ck_assert_str_eq(lockout_str_c(&out),
			 "allow 10.0.0.0/8 created=1970-01-02T00:00:00Z "
			 "# office\n");
	lockout_str_free(&out);
	lockout_import_line_free(&line);
}
END_TEST

/* A reason import would refuse (a row written by something else) is
   exported escaped, on its one line, within the reason's length limit. */
START_TEST(test_export_hostile_reason)
{
	struct lockout_ban ban = {
		.target = "192.0.2.1", .kind = LOCKOUT_KIND_IP,
		.source = LOCKOUT_SOURCE_MANUAL, .rule = "manual",
		.created = 1, .expires = 0,
		.reason = "x\nallow 10.0.0.0/8 \xe2\x80\xae\xff",
	};
	struct lockout_import_line line;
	struct lockout_str out;
	const char *error, *text;
	char *longer;

	lockout_import_line_init(&line);
	lockout_str_init(&out);
	ck_assert(lockout_export_ban_line(&out, &ban));
	text = lockout_str_c(&out);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_eq(strchr(text, '\n'), text + out.len - 1);
	ck_assert_int_eq(lockout_import_parse_line(text, out.len - 1, &line,
						   &error), 0);
	ck_assert_str_eq(lockout_str_c(&line.reason),
			 "x\\x0aallow 10.0.0.0/8 \\u202e\\xff");
	lockout_str_free(&out);

	/* 1,024 escapes' worth of newlines: cut to fit, still one line */
	longer = malloc(LOCKOUT_BAN_REASON_MAX + 1);
	ck_assert_ptr_nonnull(longer);
	memset(longer, '\n', LOCKOUT_BAN_REASON_MAX);
	longer[LOCKOUT_BAN_REASON_MAX] = '\0';
	ban.reason = longer;
	lockout_str_init(&out);
	ck_assert(lockout_export_ban_line(&out, &ban));
	text = lockout_str_c(&out);
	ck_assert_ptr_eq(strchr(text, '\n'), text + out.len - 1);
	ck_assert_int_eq(lockout_import_parse_line(text, out.len - 1, &line,
						   &error), 0);
	ck_assert_uint_le(line.reason.len, LOCKOUT_BAN_REASON_MAX);
	lockout_str_free(&out);
	free(longer);
	lockout_import_line_free(&line);
}
END_TEST

START_TEST(test_time_parse)
{
	char buf[LOCKOUT_TIME_STRLEN];
	int64_t secs, t;

	for (t = 1; t < 4102444800; t += 86400 * 37 + 3671) {
		lockout_time_format(t, buf);
		ck_assert_int_eq(lockout_import_time_parse(buf, strlen(buf),
							   &secs), 0);
		ck_assert_int_eq(secs, t);
	}
	ck_assert_int_eq(lockout_import_time_parse("2024-02-29T23:59:59Z", 20,
						   &secs), 0);
	ck_assert_int_eq(lockout_import_time_parse("2100-02-29T00:00:00Z", 20,
						   &secs), -1);
	ck_assert_int_eq(lockout_import_time_parse("1970-01-01T00:00:00Z", 20,
						   &secs), -1);
	ck_assert_int_eq(lockout_import_time_parse("2026-13-01T00:00:00Z", 20,
						   &secs), -1);
	ck_assert_int_eq(lockout_import_time_parse("2026-01-01T24:00:00Z", 20,
						   &secs), -1);
	ck_assert_int_eq(lockout_import_time_parse("2026-01-01T00:00:00", 19,
						   &secs), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_parse_line, 0, N_ELEMENTS(cases));
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_nul_and_length);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_export_hostile_reason);
	tcase_add_test(tc, test_time_parse);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
