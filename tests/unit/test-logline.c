/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "logparse-test.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What the log parser reads of a line: timestamps and their years, syslog
   and log_path forms, and hostile lines. */

/* syslog (mail.log) forms, ISO timestamps, other drivers. */
START_TEST(test_log_syslog)
{
	static const char *const lines[] = {
		"Nov 28 03:28:44 mail dovecot: imap-login: Login: user=<a@example.org>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.254, mpid=1, TLS, session=<abc>",
		"Nov 28 03:28:44 mail dovecot[812]: auth: sql(b@example.org,192.0.2.2,<def>): Password mismatch (for LDAP bind)",
		"Nov 28 03:28:44 dovecot: pop3-login: Disconnected (auth failed, 2 attempts in 4 secs): user=<c>, method=PLAIN, rip=192.0.2.3, lip=192.0.2.254, session=<ghi>",
		"Nov 28 03:28:44 mail postfix/smtpd[99]: warning: unknown[192.0.2.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
		"Nov 28 03:28:44 mail dovecot: auth-worker(5): pam(d,192.0.2.4,<jkl>): pam_authenticate() failed: Authentication failure (Password mismatch?)",
		"Nov 28 03:28:44 mail dovecot: auth-worker(5): pam(e,192.0.2.5): unknown user",
		/* rsyslog's high-precision form: 03:28:45+01:00 is
		   02:28:45Z */
		"2026-11-28T03:28:45.123456+01:00 mail dovecot: submission-login: Login: user=<f>, method=LOGIN, rip=::ffff:192.0.2.6, lip=192.0.2.254, mpid=2, session=<mno>",
		"2026-11-28T03:28:46Z mail dovecot: managesieve-login: Login: user=<g>, method=PLAIN, rip=2001:db8::6, lip=::1, mpid=3, session=<pqr>",
		"2026-11-28 03:28:47 auth: Info: ldap(h,192.0.2.8,master,<stu>): unknown user",
		"Nov 28 03:28:47 mail dovecot: auth: Error: ldap(h,192.0.2.8,<stu>): Password mismatch",
	};
	static const struct expect e[] = {
		{ OK, "a@example.org", "192.0.2.1", "imap", 1, 0 },
		{ MM, "b@example.org", "192.0.2.2", "", 1, 0 },
		{ FL, "c", "192.0.2.3", "pop3", 2, 0 },
		{ MM, "d", "192.0.2.4", "", 1, 0 },
		{ UU, "e", "192.0.2.5", "", 1, 0 },
		/* 02:28:45Z is an hour earlier: clamped to the last time */
		{ OK, "f", "192.0.2.6", "submission", 1, 0 },
		{ OK, "g", "2001:db8::6", "managesieve", 1, 2 },
		{ UU, "h", "192.0.2.8", "", 1, 3 },
	};
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);
	const struct lockout_logparse_stats *st;

	feed(parser, lines, N_ELEMENTS(lines));
	check_attempts(&c, e, N_ELEMENTS(e));
	ck_assert_str_eq(c.a[5].mechanism, "LOGIN");
	st = lockout_logparse_stats(parser);
	ck_assert_uint_eq(st->ignored, 2);
	ck_assert_uint_eq(st->backwards, 1);
	lockout_logparse_free(&parser);
}
END_TEST

static int64_t time_of(const char *line, int64_t reference)
{
	int64_t t = 0;

	ck_assert_int_eq(lockout_log_line_time(line, strlen(line), reference,
					       &t), 0);
	return t;
}

START_TEST(test_log_years)
{
	static const char *const lines[] = {
		"Dec 31 23:59:59 auth: Info: passwd-file(a,192.0.2.1): unknown user",
		"Jan  1 00:00:01 auth: Info: passwd-file(b,192.0.2.1): unknown user",
		/* one late line of the old year */
		"Dec 31 23:59:58 auth: Info: passwd-file(c,192.0.2.1): unknown user",
		"Jan 01 00:00:09 auth: Info: passwd-file(d,192.0.2.1): unknown user",
	};
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);
	int64_t t;

	/* the file was last written on 2027-01-02 */
	lockout_logparse_begin(parser, 1798848000);
	feed(parser, lines, N_ELEMENTS(lines));
	ck_assert_uint_eq(c.count, 4);
	ck_assert_int_eq(c.a[0].time, 1798761599);	/* 2026-12-31 */
	ck_assert_int_eq(c.a[1].time, 1798761601);	/* 2027-01-01 */
	ck_assert_int_eq(c.a[2].time, 1798761601);	/* clamped */
	ck_assert_int_eq(c.a[3].time, 1798761609);
	ck_assert_uint_eq(lockout_logparse_stats(parser)->backwards, 1);
	lockout_logparse_free(&parser);

	/* a date after the reference is last year's */
	ck_assert_int_eq(time_of("Nov 28 03:04:43 x", 1772323200),
			 1764299083);
	ck_assert_int_eq(time_of("Nov 28 02:04:43 x", REFERENCE),
			 1795831483);
	/* a day or two ahead is clock skew, not last year */
	ck_assert_int_eq(time_of("Nov 29 02:04:43 x", REFERENCE),
			 1795831483 + 86400);
	/* ISO carries its year */
	ck_assert_int_eq(time_of("2025-11-28T03:04:43Z x", REFERENCE),
			 1764299083);
	ck_assert_int_eq(time_of("2025-11-28T04:04:43+0100 x", REFERENCE),
			 1764299083);
	ck_assert_int_eq(lockout_log_line_time("Foo 28 03:04:43 x", 17,
					       REFERENCE, &t), -1);
	ck_assert_int_eq(lockout_log_line_time("Nov 28 03:04", 12,
					       REFERENCE, &t), -1);
	ck_assert_int_eq(lockout_log_line_time("Nov 28 03:04:43", 15,
					       REFERENCE, &t), -1);
	ck_assert_int_eq(lockout_log_line_time("", 0, REFERENCE, &t), -1);
}
END_TEST

/* Lines that must not be used, or not be used the way an attacker wants,
   and none of which may crash the parser. */
START_TEST(test_log_hostile)
{
	static const char *const unusable[] = {
		/* a logged password (auth_verbose_passwords = plain) forging
		   a second reading with another address: two valid readings */
		"Nov 28 03:28:44 auth: Info: passwd-file(u,192.0.2.1,<s>): Password mismatch (given password: ,192.0.2.66): unknown user (given password: y)",
		/* invalid addresses */
		"Nov 28 03:28:44 auth: Info: passwd-file(u,192.0.2.300): unknown user",
		"Nov 28 03:28:44 auth: Info: passwd-file(u,2001:db8::g,<s>): unknown user",
		"Nov 28 03:28:44 imap-login: Info: Login: user=<u>, method=PLAIN, rip=192.0.2.1x, session=<a>",
		"Nov 28 03:28:44 imap-login: Info: Disconnected: x (auth failed, many attempts in 1 secs): user=<u>, rip=192.0.2.1",
		/* no timestamp, or a broken one */
		"imap-login: Info: Login: user=<u>, method=PLAIN, rip=192.0.2.1",
		"Nov 31 25:28:44 auth: Info: passwd-file(u,192.0.2.1): unknown user",
		"\x1b[2J\x1b[H",
		"Nov 2",
	};
	static const char *const ignored[] = {
		/* no address: nothing to count (as in the plugin) */
		"Nov 28 03:28:44 auth: Info: passwd-file(u): unknown user",
		"Nov 28 03:28:44 auth: Info: passwd-file(u,<sess>): unknown user",
		/* other messages, other levels, other programs */
		"Nov 28 03:28:44 auth: Info: passwd-file(u,192.0.2.1): Password expired",
		"Nov 28 03:28:44 auth: Debug: passwd-file(u,192.0.2.1): Password mismatch",
		"Nov 28 03:28:44 auth: Info: lockout: Banned 192.0.2.1 for 3600 secs",
		"Nov 28 03:28:44 host sshd[1]: Failed password for root from 192.0.2.1",
		"Nov 28 03:28:44 imap-login: Info: Disconnected: Connection closed (no auth attempts in 0 secs): user=<>, rip=192.0.2.1",
		"Nov 28 03:28:44 imap-login: Info: Login: user=<u>, method=PLAIN",
		"Nov 28 03:28:44 imap-login: Info: Login: user=<u, method=PLAIN, rip=192.0.2.1, session=<a>",
		"Nov 28 03:28:44 IMAP-login: Info: Login: user=<u>, method=PLAIN, rip=192.0.2.1",
		"Nov 28 03:28:44 ",
		"",
	};
	static const char nul_line[] = "Nov 28 03:28:44 auth: Info: "
		"passwd-file(u\0,192.0.2.1): unknown user";
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);
	const struct lockout_logparse_stats *st;
	char ip[LOCKOUT_ADDR_STRLEN];
	char *line;
	size_t i;

	feed(parser, unusable, N_ELEMENTS(unusable));
	st = lockout_logparse_stats(parser);
	ck_assert_uint_eq(c.count, 0);
	ck_assert_uint_eq(st->unusable, N_ELEMENTS(unusable));
	ck_assert_uint_eq(st->no_timestamp, 4);
	feed(parser, ignored, N_ELEMENTS(ignored));
	ck_assert_uint_eq(c.count, 0);
	ck_assert_uint_eq(st->ignored, N_ELEMENTS(ignored));

	/* usernames holding "): ", commas and a message, which still read
	   one way only (the forged message is followed by the real
	   address): the address is the last one, the user keeps the rest */
	line = strdup("Nov 28 03:28:44 auth: Info: passwd-file(a,b): "
		      "c,192.0.2.7,<s>): unknown user");
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(lockout_logparse_line(parser, line, strlen(line)), 0);
	free(line);
	line = strdup("Nov 28 03:28:44 auth: Info: passwd-file(x,192.0.2.66): "
		      "Password mismatch,192.0.2.9): unknown user");
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(lockout_logparse_line(parser, line, strlen(line)), 0);
	free(line);
	/* a forged login line: the real address is the last element */
	line = strdup("Nov 28 03:28:44 imap-login: Info: Login: user=<x>, "
		      "method=PLAIN, rip=192.0.2.66, y>, method=PLAIN, "
		      "rip=192.0.2.8, lip=192.0.2.254, session=<z>");
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(lockout_logparse_line(parser, line, strlen(line)), 0);
	free(line);
	ck_assert_int_eq(lockout_logparse_finish(parser), 0);
	ck_assert_uint_eq(c.count, 3);
	ck_assert_str_eq(c.a[0].user, "a,b): c");
	ck_assert_int_eq(c.a[0].result, LOCKOUT_SIM_UNKNOWN_USER);
	ck_assert_str_eq(c.a[1].user, "x,192.0.2.66): Password mismatch");
	ck_assert_int_eq(c.a[1].result, LOCKOUT_SIM_UNKNOWN_USER);
	ck_assert_str_eq(c.a[2].user, "x>, method=PLAIN, rip=192.0.2.66, y");
	lockout_addr_to_str(&c.a[0].ip, ip);
	ck_assert_str_eq(ip, "192.0.2.7");
	lockout_addr_to_str(&c.a[1].ip, ip);
	ck_assert_str_eq(ip, "192.0.2.9");
	lockout_addr_to_str(&c.a[2].ip, ip);
	ck_assert_str_eq(ip, "192.0.2.8");

	/* NUL bytes (explicit length), overlong lines, every prefix of a
	   real line */
	ck_assert_int_eq(lockout_logparse_line(parser, nul_line,
					       sizeof(nul_line) - 1), 0);
	line = malloc(LOCKOUT_LOG_LINE_MAX + 100);
	ck_assert_ptr_nonnull(line);
	memset(line, 'a', LOCKOUT_LOG_LINE_MAX + 100);
	memcpy(line, verbose_log[3], strlen(verbose_log[3]));
	ck_assert_int_eq(lockout_logparse_line(parser, line,
					       LOCKOUT_LOG_LINE_MAX + 1), 0);
	free(line);
	ck_assert_uint_eq(st->unusable, N_ELEMENTS(unusable) + 2);
	for (i = 0; i < N_ELEMENTS(verbose_log); i++) {
		size_t len, n = strlen(verbose_log[i]);

		for (len = 0; len < n; len++) {
			line = malloc(len + 1);
			ck_assert_ptr_nonnull(line);
			memcpy(line, verbose_log[i], len);
			ck_assert_int_eq(lockout_logparse_line(parser, line,
							       len), 0);
			free(line);
			if (c.count > MAX_ATTEMPTS / 2)
				c.count = 0;
		}
	}
	ck_assert_int_eq(lockout_logparse_finish(parser), 0);
	lockout_logparse_free(&parser);
}
END_TEST

static Suite *logline_suite(void)
{
	Suite *s = suite_create("lockout-logline");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_log_syslog);
	tcase_add_test(tc, test_log_years);
	tcase_add_test(tc, test_log_hostile);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	/* timestamps without an offset are local time */
	setenv("TZ", "UTC", 1);
	tzset();
	sr = srunner_create(logline_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
