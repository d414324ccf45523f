/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-report.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
/* 2027-01-01 00:00:00 UTC */
#define T0 1798761600

static const char *const one_path[] = { "-" };

static void cfg_init(struct lockout_config *cfg)
{
	const char *error;

	ck_assert_int_eq(lockout_config_init(cfg, &error), 0);
}

/* The summary of s for input in (TZ=UTC), as a string to free. */
static char *summary(const struct lockout_config *cfg,
		     const char *const *overrides,
		     const struct lockout_report_input *in,
		     const struct lockout_sim_summary *s)
{
	struct lockout_str out;
	char *text;

	lockout_str_init(&out);
	lockout_report_summary(&out, cfg, overrides, in, s);
	ck_assert_ptr_nonnull(lockout_str_c(&out));
	text = strdup(lockout_str_c(&out));
	ck_assert_ptr_nonnull(text);
	lockout_str_free(&out);
	return text;
}

static void set_item(struct lockout_sim_item *item, const char *target,
		     const char *user, int64_t time, uint64_t count,
		     int64_t last_time, const char *reason)
{
	memset(item, 0, sizeof(*item));
	snprintf(item->target, sizeof(item->target), "%s", target);
	snprintf(item->user, sizeof(item->user), "%s", user);
	item->time = time;
	item->count = count;
	item->last_time = last_time;
	snprintf(item->reason, sizeof(item->reason), "%s", reason);
}

START_TEST(test_report_empty_trace)
{
	struct lockout_config cfg;
	struct lockout_report_input in = {
		.paths = one_path, .path_count = 1,
	};
	struct lockout_sim_summary s;
	char *text;

	cfg_init(&cfg);
	memset(&s, 0, sizeof(s));
	text = summary(&cfg, NULL, &in, &s);
	/* no period without attempts, no notes heading without notes */
	ck_assert_str_eq(text,
		"What dovecot-lockout would have done (as in enforce mode)\n"
		"\n"
		"Input:     trace, -, 0 lines\n"
		"Settings:  10 failures within 10 mins ban a source for 1 hour "
		"(up to 7 days); 30 failures of an account protect it\n"
		"\n"
		"Attempts:            0 (successes 0, wrong passwords 0, "
		"unknown users 0)\n"
		"Would be refused:    0 (banned source 0, protected account "
		"0)\n"
		"Bans:                0\n"
		"Accounts protected:  0\n"
		"Stale clients:       0 (a source repeating one wrong "
		"password: reported, never banned)\n"
		"Success after many failures: 0 (possibly guessed "
		"passwords)\n"
		"\n"
		"Successful logins that would have been refused: 0\n");
	free(text);

	/* lines but no attempts: the wrong -i, perhaps; malformed lines
	   counted */
	in.lines = 1;
	in.malformed = 1;
	text = summary(&cfg, NULL, &in, &s);
	ck_assert(strstr(text, "\nInput:     trace, -, 1 line, 1 malformed "
			 "(skipped)\n") != NULL);
	ck_assert(strstr(text, "\n\nNotes:\n- Nothing to replay: is this a "
			 "Dovecot log? (-i log)\n") != NULL);
	free(text);
	lockout_config_free(&cfg);
}
END_TEST

START_TEST(test_report_full)
{
	static const char *const paths[] = {
		"a.log", "b.log", "c.log", "d.log", "e\x1b[2J.log", "f", "g"
	};
	static const char *const overrides[] = {
		"lockout_ip_failures=3", "ban_time=1h", NULL
	};
	struct lockout_config cfg;
	struct lockout_logparse_stats ls;
	struct lockout_report_input in;
	struct lockout_sim_summary s;
	struct lockout_sim_item *item;
	const char *error;
	char *text;

	cfg_init(&cfg);
	ck_assert_int_eq(lockout_config_set(&cfg, "lockout_ip_failures", "3",
					    &error), 0);
	memset(&ls, 0, sizeof(ls));
	ls.used = 900;
	ls.ignored = 80;
	ls.unusable = 20;
	ls.no_timestamp = 5;
	ls.backwards = 2;
	ls.sessions_evicted = 9;
	memset(&in, 0, sizeof(in));
	in.paths = paths;
	in.path_count = N_ELEMENTS(paths);
	in.lines = 1000;
	in.log_stats = &ls;
	in.read_errors = 2;

	memset(&s, 0, sizeof(s));
	s.attempts = 1234;
	s.successes = 200;
	s.mismatches = 600;
	s.unknown_users = 300;
	s.failures_unknown_kind = 134;
	s.failures_guessed_unknown = 34;
	s.recorded_refused = 12;
	s.recorded_refused_agreed = 10;
	s.refused = 50;
	s.refused_banned = 45;
	s.refused_protected = 5;
	s.time_backwards = 3;
	s.time_shift = 7;
	s.first_time = T0;
	s.last_time = T0 + 3 * 86400 + 5;
	s.bans = 3;
	s.bans_ip = 1;
	s.bans_net = 2;
	s.bans_permanent = 1;
	s.bans_escalated = 1;
	s.rule_count = 2;
	strcpy(s.rules[0].rule, "ip_failures");
	s.rules[0].count = 1;
	strcpy(s.rules[1].rule, "net_hosts");
	s.rules[1].count = 2;
	set_item(&s.protected_accounts.items[0], "", "alice@example.org",
		 T0 + 60, 2, T0 + 3600, "30 failed logins");
	s.protected_accounts.count = 1;
	s.protected_accounts.total = 3;
	s.protected_accounts.distinct = 1;
	set_item(&s.stale_clients.items[0], "192.0.2.7", "", 50, 1, 50, "");
	s.stale_clients.count = 1;
	s.stale_clients.total = 30;
	s.stale_clients.distinct = 25;
	item = &s.refused_successes.items[0];
	set_item(item, "198.51.100.1", "bob@example.org", T0 + 100, 3,
		 T0 + 200, "");
	strcpy(item->ban_target, "198.51.100.0/24");
	strcpy(item->rule, "net_hosts");
	item->ban_time = T0 + 90;
	set_item(&s.refused_successes.items[1], "203.0.113.9", "carol\x01",
		 T0 + 300, 1, T0 + 300, "");
	s.refused_successes.count = 2;
	s.refused_successes.total = 4;
	s.refused_successes.distinct = 2;

	text = summary(&cfg, overrides, &in, &s);
	ck_assert_str_eq(text,
		"What dovecot-lockout would have done (as in enforce mode)\n"
		"\n"
		"Input:     Dovecot log, a.log, b.log, c.log, d.log, "
		"e\\x1b[2J.log, ... (7 files), 1000 lines: 900 used, 80 ignored, "
		"20 unusable\n"
		"           (5 without a timestamp, 2 going back in time)\n"
		"Period:    2027-01-01 00:00:00 .. 2027-01-04 00:00:05 "
		"(3 days)\n"
		"Settings:  3 failures within 10 mins ban a source for 1 hour "
		"(up to 7 days); 30 failures of an account protect it\n"
		"           with lockout_ip_failures=3 ban_time=1h\n"
		"\n"
		"Attempts:            1234 (successes 200, wrong passwords "
		"600, unknown users 300, failures of unknown kind 134, "
		"refused by the server 12)\n"
		"Would be refused:    50 (banned source 45, protected "
		"account 5)\n"
		"Bans:                3 (ip_failures 1, net_hosts 2; "
		"1 address, 2 networks; 1 repeat offender, 1 permanent)\n"
		"Accounts protected:  1 (3 protections)\n"
		"  alice@example.org            2027-01-01 00:01:00 (2 times, "
		"last 2027-01-01 01:00:00): 30 failed logins\n"
		"Stale clients:       25 (a source repeating one wrong "
		"password: reported, never banned)\n"
		"  192.0.2.7          (none)                       t=50\n"
		"  ... and 24 more stale clients\n"
		"Success after many failures: 0 (possibly guessed "
		"passwords)\n"
		"\n"
		"Successful logins that would have been refused: 4 (2 users)\n"
		"  bob@example.org              3 logins, first 2027-01-01 "
		"00:01:40 from 198.51.100.1: 198.51.100.0/24 was banned (rule "
		"net_hosts, 2027-01-01 00:01:30); last 2027-01-01 00:03:20\n"
		"  carol\\x01                    1 login, first 2027-01-01 "
		"00:05:00 from 203.0.113.9: the account was protected\n"
		"\n"
		"Notes:\n"
		"- The input has no attempted passwords: a client repeating "
		"one wrong password counts as many failures here, but once in "
		"the plugin (for logs, auth_verbose_passwords = sha1:8 records "
		"enough to tell).\n"
		"- 134 failures of unknown kind (a log without auth_verbose = "
		"yes cannot tell a wrong password from an unknown user): "
		"replayed as wrong passwords, except 34 on targeted names "
		"never seen as accounts, replayed as unknown users.\n"
		"- 12 attempts were refused by the recorded server itself "
		"(\"user disabled\"); the replay refuses 10 of them.\n"
		"- 3 attempts went back in time and were replayed at the "
		"latest time seen.\n"
		"- Times start at or below 0: shifted by 7 (the engine reads 0 "
		"as \"never\").\n"
		"- 2 input files could not be read to the end (see the errors "
		"above).\n"
		"- 9 sessions were forgotten before they ended: their attempts "
		"may be counted twice.\n");
	free(text);
	lockout_config_free(&cfg);
}
END_TEST

static const struct {
	int64_t first, last;
	const char *period;
} period_cases[] = {
	{ 100, 100, "t=100 .. t=100 (0 secs)" },
	{ -5, 114, "t=-5 .. t=114 (119 secs)" },
	{ 0, 120, "t=0 .. t=120 (2 mins)" },
	{ 1, 7200, "t=1 .. t=7200 (119 mins)" },
	{ 999999999, 1000007199, "t=999999999 .. 2001-09-09 03:46:39 "
	  "(2 hours)" },
	{ T0, T0 + 2 * 86400 - 1, "2027-01-01 00:00:00 .. 2027-01-02 "
	  "23:59:59 (47 hours)" },
	{ T0, T0 + 2 * 86400, "2027-01-01 00:00:00 .. 2027-01-03 00:00:00 "
	  "(2 days)" },
};

START_TEST(test_report_period)
{
	struct lockout_config cfg;
	struct lockout_report_input in = {
		.paths = one_path, .path_count = 1, .lines = 1,
	};
	struct lockout_sim_summary s;
	char want[256], *text;

	cfg_init(&cfg);
	memset(&s, 0, sizeof(s));
	s.attempts = 1;
	s.successes = 1;
	s.first_time = period_cases[_i].first;
	s.last_time = period_cases[_i].last;
	text = summary(&cfg, NULL, &in, &s);
	snprintf(want, sizeof(want), "\nPeriod:    %s\nSettings:",
		 period_cases[_i].period);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	free(text);
	lockout_config_free(&cfg);
}
END_TEST

#define Y10 "yyyyyyyyyy"
#define Y70 Y10 Y10 Y10 Y10 Y10 Y10 Y10
/* Text from the input, made safe by the one escaping rule of liblockout
   (lockout_utf8_escape()) and cut at 80 bytes of input (shown here on the
   "with" line of the settings). */
static const struct {
	const char *text, *shown;
} sanitize_cases[] = {
	{ "plain", "plain" },
	{ "a\tb\nc\x1b[2J", "a\\x09b\\x0ac\\x1b[2J" },
	/* DEL, C1 controls and bidirectional controls too */
	{ "\x7f\xc2\x9b", "\\x7f\\u009b" },
	{ "rlo\xe2\x80\xae" "exe.txt \xe2\x81\xa6", "rlo\\u202eexe.txt \\u2066" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	/* invalid bytes, one \xNN each */
	{ "\xc3x", "\\xc3x" },
	{ "\xff\xfe", "\\xff\\xfe" },
	{ "\xc0\x80", "\\xc0\\x80" },
	{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },
	{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },
	{ "\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80" },
	/* a sequence ended by the end of the text: its bytes */
	{ "ab\xe2\x82", "ab\\xe2\\x82" },
	/* exactly 80 bytes: as it is */
	{ Y70 "yyyyyyyyyy", Y70 "yyyyyyyyyy" },
	/* longer: 77 bytes and "..." */
	{ Y70 "yyyyyyyyyyy", Y70 "yyyyyyy..." },
	/* never inside a character */
	{ Y70 "yyyyyy\xe2\x82\xaczz", Y70 "yyyyyy..." },
	{ Y70 "yyyyyyyyy\xc3\xa9", Y70 "yyyyyyy..." },
	/* the cut counts bytes of the input, not of the escapes */
	{ Y70 "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01",
	  Y70 "\\x01\\x01\\x01\\x01\\x01\\x01\\x01..." },
};

START_TEST(test_report_sanitize)
{
	const char *overrides[] = { sanitize_cases[_i].text, NULL };
	struct lockout_config cfg;
	struct lockout_report_input in = {
		.paths = one_path, .path_count = 1,
	};
	struct lockout_sim_summary s;
	char want[256], *text;

	cfg_init(&cfg);
	memset(&s, 0, sizeof(s));
	text = summary(&cfg, overrides, &in, &s);
	snprintf(want, sizeof(want), "\n           with %s\n\n",
		 sanitize_cases[_i].shown);
	ck_assert_msg(strstr(text, want) != NULL, "want '%s' in:\n%s",
		      sanitize_cases[_i].shown, text);
	free(text);
	lockout_config_free(&cfg);
}
END_TEST

START_TEST(test_report_names)
{
	struct lockout_config cfg;
	struct lockout_report_input in = {
		.paths = one_path, .path_count = 1,
	};
	struct lockout_sim_summary s;
	char user[80], reason[160], *text;

	/* usernames are cut to 64 bytes, reasons to 160 (the longest one
	   an item holds is 159) */
	memset(user, 'u', 70);
	user[70] = '\0';
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	cfg_init(&cfg);
	memset(&s, 0, sizeof(s));
	set_item(&s.protected_accounts.items[0], "", user, 10, 1, 10,
		 reason);
	s.protected_accounts.count = 1;
	s.protected_accounts.total = 1;
	s.protected_accounts.distinct = 1;
	text = summary(&cfg, NULL, &in, &s);
	memset(user + 61, '.', 3);
	user[64] = '\0';
	ck_assert(strstr(text, "\n  uuuu") != NULL);
	ck_assert_msg(strstr(text, user) != NULL &&
		      strstr(text, "uuu... t=10: rrrr") != NULL, "%s", text);
	ck_assert(strstr(text, reason) != NULL);
	free(text);
	lockout_config_free(&cfg);
}
END_TEST

START_TEST(test_report_lines)
{
	struct lockout_decision d;
	struct lockout_str out, json;

	lockout_str_init(&out);
	lockout_report_verdict(&out, 0, LOCKOUT_VERDICT_ALLOW);
	lockout_report_verdict(&out, 1, LOCKOUT_VERDICT_BANNED);
	lockout_report_verdict(&out, 18446744073709551615ULL,
			       LOCKOUT_VERDICT_PROTECTED);
	ck_assert_str_eq(lockout_str_c(&out),
			 "{\"i\":0,\"verdict\":\"allow\"}\n"
			 "{\"i\":1,\"verdict\":\"refuse\"}\n"
			 "{\"i\":18446744073709551615,\"verdict\":\"refuse\"}\n");

	/* a decision: its JSON and a newline */
	memset(&d, 0, sizeof(d));
	d.type = LOCKOUT_DECISION_BAN;
	d.kind = LOCKOUT_KIND_IP;
	d.target = "192.0.2.1";
	d.user = "alice";
	d.rule = "ip_failures";
	d.reason = "3 failed logins";
	d.time = 100;
	d.expires = 3700;
	d.failures = 3;
	d.evidence = "{\"rule\":\"ip_failures\"}";
	lockout_str_clear(&out);
	ck_assert_int_eq(lockout_report_decision(&out, 7, &d), 0);
	lockout_str_init(&json);
	ck_assert_int_eq(lockout_sim_decision_to_json(&json, 7, &d), 0);
	lockout_str_append(&json, "\n");
	ck_assert_str_eq(lockout_str_c(&out), lockout_str_c(&json));
	ck_assert(strstr(lockout_str_c(&out), "\"target\":\"192.0.2.1\"") !=
		  NULL);
	/* known devices are not shown */
	d.type = LOCKOUT_DECISION_KNOWN_DEVICE;
	lockout_str_clear(&out);
	ck_assert_int_eq(lockout_report_decision(&out, 8, &d), 0);
	ck_assert_str_eq(lockout_str_c(&out), "");
	/* evidence that is not an object cannot be written */
	d.type = LOCKOUT_DECISION_BAN;
	d.evidence = "[1]";
	ck_assert_int_eq(lockout_report_decision(&out, 9, &d), -1);
	lockout_str_free(&json);
	lockout_str_free(&out);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("lockout-report");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_report_empty_trace);
	tcase_add_test(tc, test_report_full);
	tcase_add_loop_test(tc, test_report_period, 0,
			    N_ELEMENTS(period_cases));
	tcase_add_loop_test(tc, test_report_sanitize, 0,
			    N_ELEMENTS(sanitize_cases));
	tcase_add_test(tc, test_report_names);
	tcase_add_test(tc, test_report_lines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	/* the summary shows local dates */
	setenv("TZ", "UTC", 1);
	tzset();
	sr = srunner_create(report_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
