/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-args.h"
#include "lockout-config.h"
#include "lockout-store.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

static const struct {
	int64_t secs;
	const char *iso;
} time_cases[] = {
	{ 0, "" },
	{ -1, "" },
	{ 1, "1970-01-01T00:00:01Z" },
	{ 1700000000, "2023-11-14T22:13:20Z" },
	{ 1709164800, "2024-02-29T00:00:00Z" },
	{ 4102444799, "2099-12-31T23:59:59Z" },
	{ 253402300799, "9999-12-31T23:59:59Z" },
	{ 253402300800, "10000-01-01T00:00:00Z" },
	{ INT64_MAX, "" },
};

START_TEST(test_time_format)
{
	char buf[LOCKOUT_TIME_STRLEN];

	memset(buf, 'x', sizeof(buf));
	lockout_time_format(time_cases[_i].secs, buf);
	ck_assert_str_eq(buf, time_cases[_i].iso);
}
END_TEST

/* The formatter computes the date itself: it must agree with gmtime_r()
   and strftime() at every day boundary of every year it handles. */
START_TEST(test_time_format_sweep)
{
	char buf[LOCKOUT_TIME_STRLEN], want[LOCKOUT_TIME_STRLEN];
	int64_t secs, step = 86400 - 7;
	time_t t;
	struct tm tm;

	/* every day to 2100, then every 29th (leap days included); each
	   ck_assert costs a write to Check's pipe: checked on mismatch only */
	for (secs = 1; secs <= 253402300799 + 86400;
	     secs += secs < 4102444800 ? step : 29 * 86400 + step) {
		t = (time_t)secs;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ",
			     &tm) == 0)
			ck_abort_msg("gmtime_r/strftime failed at %lld",
				     (long long)secs);
		lockout_time_format(secs, buf);
		if (strcmp(buf, want) != 0)
			ck_abort_msg("%lld: %s, not %s", (long long)secs, buf,
				     want);
		/* the last second of the day, and the first */
		step = step == 86400 - 7 ? 7 : 86400 - 7;
	}
}
END_TEST

static const struct {
	const char *input;
	bool permanent;
	int ret;
	uint32_t secs;
	const char *error;
} duration_cases[] = {
	{ "1", false, 0, 1, NULL },
	{ "30 mins", false, 0, 1800, NULL },
	{ "1 hour", true, 0, 3600, NULL },
	{ "7days", true, 0, 604800, NULL },
	{ "2 weeks", true, 0, 1209600, NULL },
	{ "permanent", true, 0, LOCKOUT_TIME_PERMANENT, NULL },
	{ "PERMANENT", true, 0, LOCKOUT_TIME_PERMANENT, NULL },
	{ "permanent", false, -1, 0, "not allowed here" },
	{ "0", true, -1, 0, "at least 1 second" },
	{ "0 days", true, -1, 0, "at least 1 second" },
	{ "", true, -1, 0, "invalid interval ''" },
	{ "-1 hour", true, -1, 0, "invalid interval" },
	{ "1 fortnight", true, -1, 0, "invalid interval '1 fortnight'" },
	{ "10 parsecs", false, -1, 0, "invalid interval" },
	{ "99999999999 days", true, -1, 0, "too large" },
	{ "forever", true, -1, 0, "invalid interval" },
};

START_TEST(test_duration_parse)
{
	uint32_t secs = 12345;
	const char *error = NULL;
	int ret;

	ret = lockout_duration_parse(duration_cases[_i].input,
				     duration_cases[_i].permanent, &secs,
				     &error);
	ck_assert_int_eq(ret, duration_cases[_i].ret);
	if (ret == 0) {
		ck_assert_uint_eq(secs, duration_cases[_i].secs);
	} else {
		ck_assert_uint_eq(secs, 12345);
		ck_assert_msg(strstr(error, duration_cases[_i].error) != NULL,
			      "'%s': error '%s' lacks '%s'",
			      duration_cases[_i].input, error,
			      duration_cases[_i].error);
	}
}
END_TEST

START_TEST(test_expiry)
{
	const char *error = NULL;

	ck_assert_int_eq(lockout_expiry(1000, 60), 1060);
	ck_assert_int_eq(lockout_expiry(1000, LOCKOUT_TIME_PERMANENT), 0);
	ck_assert_int_eq(lockout_expiry(1000, LOCKOUT_TIME_PERMANENT - 1),
			 1000 + (int64_t)LOCKOUT_TIME_PERMANENT - 1);
	ck_assert_int_eq(lockout_duration_parse(NULL, true, NULL, &error),
			 -1);
}
END_TEST

static const struct {
	const char *input;
	unsigned int max;
	int ret;
	unsigned int count;
} count_cases[] = {
	{ "1", 100, 0, 1 },
	{ "10", 100, 0, 10 },
	{ "100", 100, 0, 100 },
	{ "101", 100, -1, 0 },
	{ "0", 100, -1, 0 },
	{ "010", 100, -1, 0 },
	{ "", 100, -1, 0 },
	{ "-5", 100, -1, 0 },
	{ "+5", 100, -1, 0 },
	{ " 5", 100, -1, 0 },
	{ "5 ", 100, -1, 0 },
	{ "5x", 100, -1, 0 },
	{ "ten", 100, -1, 0 },
	{ "4294967295", 4294967295U, 0, 4294967295U },
	{ "4294967296", 4294967295U, -1, 0 },
	{ "99999999999999999999999", 4294967295U, -1, 0 },
};

START_TEST(test_count_parse)
{
	unsigned int count = 777;
	const char *error = NULL;

	ck_assert_int_eq(lockout_count_parse(count_cases[_i].input,
					     count_cases[_i].max, &count,
					     &error), count_cases[_i].ret);
	if (count_cases[_i].ret == 0)
		ck_assert_uint_eq(count, count_cases[_i].count);
	else {
		ck_assert_uint_eq(count, 777);
		ck_assert_ptr_nonnull(strstr(error, "invalid count"));
	}
}
END_TEST

static const struct {
	const char *input;
	int ret;
	/* in the error */
	const char *why;
} reason_cases[] = {
	{ "", 0, NULL },
	{ "hostile HELO, see ticket #42", 0, NULL },
	{ "caf\xc3\xa9 \"quoted\" 'x'\\", 0, NULL },
	{ "two\nlines", -1, "control character (0x0a)" },
	{ "tab\there", -1, "control character (0x09)" },
	{ "cr\r", -1, "control character (0x0d)" },
	{ "del\x7f", -1, "control character (0x7f)" },
	{ "esc\x1b[31m", -1, "control character (0x1b)" },
	/* C1 controls and bidirectional formatting characters, as C0: they
	   would reach the terminal of whoever lists the bans */
	{ "csi\xc2\x9b" "31m", -1, "control character (U+009B)" },
	{ "nel\xc2\x85", -1, "control character (U+0085)" },
	{ "rlo\xe2\x80\xae" "cod.exe", -1,
	  "bidirectional formatting character (U+202E)" },
	{ "lri\xe2\x81\xa6", -1,
	  "bidirectional formatting character (U+2066)" },
	{ "alm\xd8\x9c", -1, "bidirectional formatting character (U+061C)" },
	{ "lrm\xe2\x80\x8e", -1,
	  "bidirectional formatting character (U+200E)" },
	{ "line\xe2\x80\xa8sep", -1, "line or paragraph separator (U+2028)" },
	/* near them, and invalid UTF-8 (shown escaped): accepted */
	{ "nbsp\xc2\xa0 zwj\xe2\x80\x8d pdi+1\xe2\x81\xaa", 0, NULL },
	{ "latin1 caf\xe9", 0, NULL },
};

START_TEST(test_reason_check)
{
	const char *error = NULL;

	ck_assert_int_eq(lockout_reason_check(reason_cases[_i].input, &error),
			 reason_cases[_i].ret);
	if (reason_cases[_i].ret < 0) {
		ck_assert_ptr_nonnull(strstr(error, "invalid reason: holds a "));
		ck_assert_msg(strstr(error, reason_cases[_i].why) != NULL,
			      "%s", error);
	}
}
END_TEST

START_TEST(test_reason_limits)
{
	char reason[LOCKOUT_BAN_REASON_MAX + 2];
	const char *error = NULL;

	memset(reason, 'r', sizeof(reason) - 2);
	reason[sizeof(reason) - 2] = '\0';
	ck_assert_int_eq(lockout_reason_check(reason, &error), 0);
	reason[sizeof(reason) - 2] = 'r';
	reason[sizeof(reason) - 1] = '\0';
	ck_assert_int_eq(lockout_reason_check(reason, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "longer than 1024 bytes"));
	ck_assert_int_eq(lockout_reason_check(NULL, &error), -1);
}
END_TEST

static const struct {
	const char *input;
	const char *column;
} top_cases[] = {
	{ "users", "user" },
	{ "user", "user" },
	{ "ips", "ip" },
	{ "ip", "ip" },
	{ "services", "service" },
	{ "service", "service" },
	{ "Users", NULL },
	{ "mechanisms", NULL },
	{ "", NULL },
	{ NULL, NULL },
};

START_TEST(test_top_column_parse)
{
	const char *column = NULL, *error = NULL;
	int ret;

	ret = lockout_top_column_parse(top_cases[_i].input, &column, &error);
	if (top_cases[_i].column == NULL) {
		ck_assert_int_eq(ret, -1);
		ck_assert_ptr_null(column);
		ck_assert_ptr_nonnull(strstr(error, "invalid ranking"));
	} else {
		ck_assert_int_eq(ret, 0);
		ck_assert_str_eq(column, top_cases[_i].column);
	}
}
END_TEST

static Suite *args_suite(void)
{
	Suite *s = suite_create("lockout-args");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_time_format, 0, N_ELEMENTS(time_cases));
	tcase_add_test(tc, test_time_format_sweep);
	tcase_add_loop_test(tc, test_duration_parse, 0,
			    N_ELEMENTS(duration_cases));
	tcase_add_test(tc, test_expiry);
	tcase_add_loop_test(tc, test_count_parse, 0, N_ELEMENTS(count_cases));
	tcase_add_loop_test(tc, test_reason_check, 0,
			    N_ELEMENTS(reason_cases));
	tcase_add_test(tc, test_reason_limits);
	tcase_add_loop_test(tc, test_top_column_parse, 0,
			    N_ELEMENTS(top_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(args_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
