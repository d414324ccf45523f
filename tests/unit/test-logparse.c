/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "logparse-test.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Lines turned into attempts: passdb chains, sessions, held attempts. The
   forms of the lines themselves are test-logline's. */

START_TEST(test_log_verbose)
{
	static const struct expect e[] = {
		{ OK, "alice@example.org", "127.0.0.2", "imap", 1, 0 },
		{ MM, "alice@example.org", "127.0.0.3", "imap", 1, 0 },
		{ UU, "nobody@example.org", "127.0.0.3", "imap", 1, 0 },
		{ MM, "alice@example.org", "127.0.0.3", "imap", 1, 1 },
		{ RF, "alice@example.org", "127.0.0.3", "imap", 1, 2 },
		{ MM, "bob@example.org", "127.0.0.4", "pop3", 1, 2 },
		{ OK, "bob@example.org", "127.0.0.4", "pop3", 1, 2 },
		/* auth-client requests: no session, no service */
		{ MM, "bob@example.org", "127.0.0.6", "", 1, 3 },
		{ UU, "info@example.org", "127.0.0.7", "", 1, 3 },
		{ MM, "bob@example.org", "2001:db8::1", "", 1, 5 },
	};
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);
	const struct lockout_logparse_stats *st;

	feed(parser, verbose_log, N_ELEMENTS(verbose_log));
	check_attempts(&c, e, N_ELEMENTS(e));
	st = lockout_logparse_stats(parser);
	ck_assert_uint_eq(st->lines, N_ELEMENTS(verbose_log));
	/* the disconnects of sessions seen through passdb lines are used
	   (they only complete what is known) */
	ck_assert_uint_eq(st->used, 14);
	ck_assert_uint_eq(st->ignored, 3);
	ck_assert_uint_eq(st->unusable, 0);
	ck_assert_uint_eq(st->passdb_failures, 7);
	ck_assert_uint_eq(st->logins, 2);
	ck_assert_uint_eq(st->refusals, 1);
	ck_assert_uint_eq(st->passwords, 0);
	lockout_logparse_free(&parser);
	ck_assert_ptr_null(parser);
}
END_TEST

/* The same requests with auth_verbose = no. */
static const char *const quiet_log[] = {
	"Nov 28 03:28:44 imap-login: Info: Login: user=<alice@example.org>, method=PLAIN, rip=127.0.0.2, lip=127.0.0.1, mpid=3258, session=<RBKExk1hqeF/AAAC>",
	"Nov 28 03:28:44 imap-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 0 secs): user=<alice@example.org>, method=PLAIN, rip=127.0.0.3, lip=127.0.0.1, session=<rE2Exk1hZdZ/AAAD>",
	"Nov 28 03:28:45 imap-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 1 secs): user=<nobody@example.org>, method=PLAIN, rip=127.0.0.3, lip=127.0.0.1, session=<jyGMxk1hIbd/AAAD>",
	"Nov 28 03:28:45 imap-login: Info: Disconnected: Aborted login by logging out (user disabled): user=<alice@example.org>, method=PLAIN, rip=127.0.0.3, lip=127.0.0.1, session=<jlCbxk1hj9x/AAAD>",
	"Nov 28 03:28:46 imap-login: Info: Disconnected: Connection closed (auth failed, 3 attempts in 12 secs): user=<admin>, method=LOGIN, rip=127.0.0.8, lip=127.0.0.1, TLS, session=<4brBxk1hQ+d/AAAI>",
	"Nov 28 03:28:46 pop3(bob@example.org)<4049><OaOrxk1hb6p/AAAE>: Info: Disconnected: Logged out top=0/0, retr=0/0, del=0/0, size=0",
};

START_TEST(test_log_quiet)
{
	static const struct expect e[] = {
		{ OK, "alice@example.org", "127.0.0.2", "imap", 1, 0 },
		{ FL, "alice@example.org", "127.0.0.3", "imap", 1, 0 },
		{ FL, "nobody@example.org", "127.0.0.3", "imap", 1, 1 },
		{ RF, "alice@example.org", "127.0.0.3", "imap", 1, 1 },
		{ FL, "admin", "127.0.0.8", "imap", 3, 2 },
	};
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);

	feed(parser, quiet_log, N_ELEMENTS(quiet_log));
	check_attempts(&c, e, N_ELEMENTS(e));
	ck_assert_str_eq(c.a[4].mechanism, "LOGIN");
	ck_assert_uint_eq(lockout_logparse_stats(parser)->disconnect_failures,
			  5);
	lockout_logparse_free(&parser);
}
END_TEST

/* passwd-file, then shadow through an auth-worker: one request each (real
   lines, auth_verbose_passwords = no, then = plain). */
static const char *const chain_log[] = {
	"Nov 28 03:28:44 auth: Info: passwd-file(alice@example.org,127.0.0.3,<wPgD2E1hC8J/AAAD>): Password mismatch",
	"Nov 28 03:28:44 auth-worker(24071): Info: conn unix:auth-worker (pid=24068,uid=102): auth-worker<1>: shadow(alice@example.org,127.0.0.3,<wPgD2E1hC8J/AAAD>): unknown user",
	"Nov 28 03:28:45 imap-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 1 secs): user=<alice@example.org>, method=PLAIN, rip=127.0.0.3, lip=127.0.0.1, session=<wPgD2E1hC8J/AAAD>",
	"Nov 28 03:28:45 auth: Info: passwd-file(root,127.0.0.4,<pHsT2E1hLcV/AAAE>): unknown user",
	"Nov 28 03:28:45 auth-worker(24071): Info: conn unix:auth-worker (pid=24068,uid=102): auth-worker<3>: shadow(root,127.0.0.4,<pHsT2E1hLcV/AAAE>): invalid password field",
	"Nov 28 03:28:46 imap-login: Info: Disconnected: Aborted login by logging out (user disabled): user=<root>, method=PLAIN, rip=127.0.0.4, lip=127.0.0.1, session=<pHsT2E1hLcV/AAAE>",
	"Nov 28 03:28:46 auth: Info: cram-md5(alice@example.org,127.0.0.5): Password mismatch",
	"Nov 28 03:28:46 auth: Info: passwd-file(nosuch2,127.0.0.5): unknown user",
	"Nov 28 03:28:46 auth-worker(24071): Info: conn unix:auth-worker (pid=24068,uid=102): auth-worker<4>: shadow(nosuch2,127.0.0.5): unknown user",
	/* two attempts on one connection, then a success */
	"Nov 28 03:28:47 auth: Info: passwd-file(bob@example.org,127.0.0.6,<WmMq2E1hz9J/AAAG>): Password mismatch",
	"Nov 28 03:28:47 auth-worker(24071): Info: conn unix:auth-worker (pid=24068,uid=102): auth-worker<5>: shadow(bob@example.org,127.0.0.6,<WmMq2E1hz9J/AAAG>): unknown user",
	"Nov 28 03:28:47 auth: Info: passwd-file(bob@example.org,127.0.0.6,<WmMq2E1hz9J/AAAG>): Password mismatch",
	"Nov 28 03:28:47 auth-worker(24071): Info: conn unix:auth-worker (pid=24068,uid=102): auth-worker<6>: shadow(bob@example.org,127.0.0.6,<WmMq2E1hz9J/AAAG>): unknown user",
	"Nov 28 03:28:48 imap-login: Info: Login: user=<bob@example.org>, method=PLAIN, rip=127.0.0.6, lip=127.0.0.1, mpid=24114, session=<WmMq2E1hz9J/AAAG>",
	/* two attempts, then the disconnect counting both */
	"Nov 28 03:28:48 auth: Info: passwd-file(bob@example.org,127.0.0.7,<ZbU52E1hhcp/AAAH>): Password mismatch",
	"Nov 28 03:28:48 auth-worker(24071): Info: conn unix:auth-worker (pid=24068,uid=102): auth-worker<7>: shadow(bob@example.org,127.0.0.7,<ZbU52E1hhcp/AAAH>): unknown user",
	"Nov 28 03:28:48 auth: Info: passwd-file(bob@example.org,127.0.0.7,<ZbU52E1hhcp/AAAH>): Password mismatch",
	"Nov 28 03:28:48 auth-worker(24071): Info: conn unix:auth-worker (pid=24068,uid=102): auth-worker<8>: shadow(bob@example.org,127.0.0.7,<ZbU52E1hhcp/AAAH>): unknown user",
	"Nov 28 03:28:49 imap-login: Info: Disconnected: Connection closed (auth failed, 2 attempts in 1 secs): user=<bob@example.org>, method=PLAIN, rip=127.0.0.7, lip=127.0.0.1, session=<ZbU52E1hhcp/AAAH>",
};

START_TEST(test_log_chain)
{
	static const struct expect e[] = {
		/* a wrong password in one passdb: the user exists */
		{ MM, "alice@example.org", "127.0.0.3", "imap", 1, 0 },
		{ UU, "root", "127.0.0.4", "imap", 1, 1 },
		{ MM, "alice@example.org", "127.0.0.5", "", 1, 2 },
		{ UU, "nosuch2", "127.0.0.5", "", 1, 2 },
		{ MM, "bob@example.org", "127.0.0.6", "", 1, 3 },
		{ MM, "bob@example.org", "127.0.0.6", "imap", 1, 3 },
		{ OK, "bob@example.org", "127.0.0.6", "imap", 1, 4 },
		{ MM, "bob@example.org", "127.0.0.7", "", 1, 4 },
		{ MM, "bob@example.org", "127.0.0.7", "imap", 1, 4 },
	};
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);

	feed(parser, chain_log, N_ELEMENTS(chain_log));
	check_attempts(&c, e, N_ELEMENTS(e));
	/* shadow's "invalid password field" is no failure message */
	ck_assert_uint_eq(lockout_logparse_stats(parser)->chained, 6);
	lockout_logparse_free(&parser);
}
END_TEST

static const char *const chain_plain_log[] = {
	"Nov 28 03:28:44 auth: Info: passwd-file(bob@example.org,127.0.0.6,<0FyJ2E1hv4x/AAAG>): Password mismatch (given password: b1) - trying the next passdb",
	"Nov 28 03:28:44 auth-worker(24127): Info: conn unix:auth-worker (pid=24124,uid=102): auth-worker<5>: shadow(bob@example.org,127.0.0.6,<0FyJ2E1hv4x/AAAG>): unknown user (given password: b1)",
	"Nov 28 03:28:45 auth: Info: passwd-file(bob@example.org,127.0.0.6,<0FyJ2E1hv4x/AAAG>): Password mismatch (given password: b2) - trying the next passdb",
	"Nov 28 03:28:45 auth-worker(24127): Info: conn unix:auth-worker (pid=24124,uid=102): auth-worker<6>: shadow(bob@example.org,127.0.0.6,<0FyJ2E1hv4x/AAAG>): unknown user (given password: b2)",
	"Nov 28 03:28:45 auth: Info: passwd-file(nosuch2,127.0.0.5): unknown user  - trying the next passdb",
	"Nov 28 03:28:45 auth-worker(24127): Info: conn unix:auth-worker (pid=24124,uid=102): auth-worker<4>: shadow(nosuch2,127.0.0.5): unknown user ",
	"Nov 28 03:28:46 auth: Info: passwd-file(bob@example.org,127.0.0.7,<e62Y2E1h/dF/AAAH>): Password mismatch (given password: b1) - trying the next passdb",
	"Nov 28 03:28:46 auth-worker(24127): Info: conn unix:auth-worker (pid=24124,uid=102): auth-worker<7>: shadow(bob@example.org,127.0.0.7,<e62Y2E1h/dF/AAAH>): unknown user (given password: b1)",
	/* the SHA1 form; and a userdb lookup, which is no authentication */
	"Nov 28 03:28:46 auth: Info: passwd-file(carol,127.0.0.8): Password mismatch (SHA1 of given password: 6dcd4ce2)",
	"Nov 28 03:28:46 auth: Info: passwd-file(carol,127.0.0.8,<x>): unknown user  - trying the next userdb",
};

START_TEST(test_log_chain_passwords)
{
	static const struct expect e[] = {
		{ MM, "bob@example.org", "127.0.0.6", "", 1, 0 },
		{ MM, "bob@example.org", "127.0.0.6", "", 1, 1 },
		{ UU, "nosuch2", "127.0.0.5", "", 1, 1 },
		{ MM, "bob@example.org", "127.0.0.7", "", 1, 2 },
		{ MM, "carol", "127.0.0.8", "", 1, 2 },
	};
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);

	feed(parser, chain_plain_log, N_ELEMENTS(chain_plain_log));
	check_attempts(&c, e, N_ELEMENTS(e));
	/* the same password gives the same tag, from any source */
	ck_assert_uint_ne(c.a[0].password_tag, 0);
	ck_assert_uint_ne(c.a[0].password_tag, c.a[1].password_tag);
	ck_assert_uint_eq(c.a[0].password_tag, c.a[3].password_tag);
	ck_assert_uint_eq(c.a[0].password_tag,
			  lockout_password_tag(parser_key, "b1", 2));
	ck_assert_uint_eq(c.a[2].password_tag, 0);
	ck_assert_uint_eq(c.a[4].password_tag,
			  lockout_password_tag(parser_key, "6dcd4ce2", 8));
	ck_assert_uint_eq(lockout_logparse_stats(parser)->passwords, 4);
	lockout_logparse_free(&parser);
}
END_TEST

/* Session-less requests through two passdbs, and a quick retry. */
START_TEST(test_log_chain_no_session)
{
	static const char *const lines[] = {
		"Nov 28 03:28:44 auth: Info: passwd-file(x@example.org,192.0.2.1): unknown user",
		"Nov 28 03:28:44 auth-worker(7): Info: sql(x@example.org,192.0.2.1): Password mismatch",
		"Nov 28 03:28:45 auth: Info: passwd-file(x@example.org,192.0.2.1): unknown user",
		"Nov 28 03:28:45 auth-worker(7): Info: sql(x@example.org,192.0.2.1): Password mismatch",
		/* another user from the same address is another request */
		"Nov 28 03:28:45 auth: Info: passwd-file(y@example.org,192.0.2.1): unknown user",
		/* later than the chain window: a new request */
		"Nov 28 03:29:44 auth-worker(7): Info: sql(x@example.org,192.0.2.1): Password mismatch",
	};
	static const struct expect e[] = {
		{ MM, "x@example.org", "192.0.2.1", "", 1, 0 },
		{ MM, "x@example.org", "192.0.2.1", "", 1, 1 },
		{ UU, "y@example.org", "192.0.2.1", "", 1, 1 },
		{ MM, "x@example.org", "192.0.2.1", "", 1, 60 },
	};
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);

	feed(parser, lines, N_ELEMENTS(lines));
	check_attempts(&c, e, N_ELEMENTS(e));
	lockout_logparse_free(&parser);
}
END_TEST

START_TEST(test_log_sessions)
{
	static const char *const lines[] = {
		/* seen twice through passdb lines, counted 3 times in all */
		"Nov 28 03:28:44 auth: Info: passwd-file(u,192.0.2.1,<S1>): Password mismatch",
		"Nov 28 03:28:46 auth: Info: passwd-file(u,192.0.2.1,<S1>): Password mismatch",
		"Nov 28 03:28:47 imap-login: Info: Disconnected: Inactivity (auth failed, 3 attempts in 30 secs): user=<u>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.254, session=<S1>",
		/* a passdb line, then the server's lockout refuses the
		   next attempt of the same connection: counted once */
		"Nov 28 03:28:48 auth: Info: passwd-file(v,192.0.2.2,<S2>): Password mismatch",
		"Nov 28 03:28:49 imap-login: Info: Disconnected: Aborted login by logging out (user disabled): user=<v>, method=PLAIN, rip=192.0.2.2, lip=192.0.2.254, session=<S2>",
		/* a hostile count is cut */
		"Nov 28 03:28:50 imap-login: Info: Disconnected: Inactivity (auth failed, 4000000000 attempts in 1 secs): user=<w>, method=PLAIN, rip=192.0.2.3, session=<S3>",
		"Nov 28 03:28:50 imap-login: Info: Disconnected: Inactivity (auth failed, 99999999999999999999999 attempts in 1 secs): user=<w>, method=PLAIN, rip=192.0.2.3, session=<S3>",
	};
	static const struct expect e[] = {
		{ MM, "u", "192.0.2.1", "", 1, 0 },
		{ MM, "u", "192.0.2.1", "imap", 1, 2 },
		{ FL, "u", "192.0.2.1", "imap", 1, 3 },
		{ MM, "v", "192.0.2.2", "imap", 1, 4 },
		{ FL, "w", "192.0.2.3", "imap",
		  LOCKOUT_SIM_COUNT_MAX, 6 },
		{ FL, "w", "192.0.2.3", "imap",
		  LOCKOUT_SIM_COUNT_MAX, 6 },
	};
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);

	feed(parser, lines, N_ELEMENTS(lines));
	check_attempts(&c, e, N_ELEMENTS(e));
	lockout_logparse_free(&parser);
}
END_TEST

/* Held attempts go out after a couple of seconds of log time, or when a
   login line comes (in order), or at the end. */
START_TEST(test_log_pending)
{
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);
	static const char *const l1 =
		"Nov 28 03:28:44 auth: Info: passwd-file(u,192.0.2.1): unknown user";
	static const char *const l2 =
		"Nov 28 03:28:45 mail postfix/smtpd[1]: connect from x";
	static const char *const l3 =
		"Nov 28 03:28:47 mail postfix/smtpd[1]: connect from x";
	static const char *const l4 =
		"Nov 28 03:28:47 auth: Info: passwd-file(v,192.0.2.1): unknown user";
	static const char *const l5 =
		"Nov 28 03:28:47 imap-login: Info: Login: user=<u>, method=PLAIN, rip=192.0.2.9, session=<z>";

	ck_assert_int_eq(lockout_logparse_line(parser, l1, strlen(l1)), 0);
	ck_assert_int_eq(lockout_logparse_line(parser, l2, strlen(l2)), 0);
	ck_assert_uint_eq(c.count, 0);
	ck_assert_int_eq(lockout_logparse_line(parser, l3, strlen(l3)), 0);
	ck_assert_uint_eq(c.count, 1);
	ck_assert_int_eq(lockout_logparse_line(parser, l4, strlen(l4)), 0);
	ck_assert_uint_eq(c.count, 1);
	ck_assert_int_eq(lockout_logparse_line(parser, l5, strlen(l5)), 0);
	ck_assert_uint_eq(c.count, 3);
	ck_assert_str_eq(c.a[1].user, "v");
	ck_assert_int_eq(c.a[2].result, LOCKOUT_SIM_OK);
	ck_assert_int_eq(lockout_logparse_line(parser, l4, strlen(l4)), 0);
	ck_assert_uint_eq(c.count, 3);
	ck_assert_int_eq(lockout_logparse_finish(parser), 0);
	ck_assert_uint_eq(c.count, 4);
	lockout_logparse_free(&parser);
}
END_TEST

/* The log process reads each process's pipe in turn: a login line may
   come before the passdb line of the same session. That line takes the
   held failure's place, with what it tells (the password's tag). */
START_TEST(test_log_reordered)
{
	static const char *const lines[] = {
		"Nov 28 03:28:44 auth(frank@example.org,127.20.0.1,sasl:plain)<S0>: Info: passwd-file: Password mismatch (SHA1 of given password: c9cc518d)",
		"Nov 28 03:28:44 imap-login: Info: Login aborted: Logged out (auth failed, 1 attempts in 0 secs) (auth_failed): user=<frank@example.org>, method=PLAIN, rip=127.20.0.1, lip=127.0.0.1, session=<S0>",
		/* S1's login line first */
		"Nov 28 03:28:44 imap-login: Info: Login aborted: Logged out (auth failed, 1 attempts in 0 secs) (auth_failed): user=<frank@example.org>, method=PLAIN, rip=127.21.0.1, lip=127.0.0.1, session=<S1>",
		/* a success in between waits for it (in order) */
		"Nov 28 03:28:44 imap-login: Info: Logged in: user=<x@example.org>, method=PLAIN, rip=127.0.0.9, lip=127.0.0.1, mpid=45, session=<S9>",
		"Nov 28 03:28:45 auth(frank@example.org,127.21.0.1,sasl:plain)<S1>: Info: passwd-file: Password mismatch (SHA1 of given password: dd731834)",
		/* two attempts told by the login line, one passdb line after:
		   the other attempt stays a login line's */
		"Nov 28 03:28:46 imap-login: Info: Login aborted: Logged out (auth failed, 2 attempts in 1 secs) (auth_failed): user=<frank@example.org>, method=PLAIN, rip=127.22.0.1, lip=127.0.0.1, session=<S2>",
		"Nov 28 03:28:46 auth(frank@example.org,127.22.0.1,sasl:plain)<S2>: Info: passwd-file: Password mismatch (SHA1 of given password: c6696e6b)",
		/* no passdb line ever: out after PENDING_SECS, as it was */
		"Nov 28 03:28:47 imap-login: Info: Login aborted: Logged out (auth failed, 1 attempts in 0 secs) (auth_failed): user=<frank@example.org>, method=PLAIN, rip=127.23.0.1, lip=127.0.0.1, session=<S3>",
		"Nov 28 03:28:50 auth(frank@example.org,127.24.0.1,sasl:plain)<S4>: Info: passwd-file: Password mismatch (SHA1 of given password: ce5dfc0b)",
		/* a late passdb line of S1 (a retry after the session ended)
		   is an attempt of its own */
		"Nov 28 03:28:51 auth(frank@example.org,127.21.0.1,sasl:plain)<S1>: Info: passwd-file: Password mismatch (SHA1 of given password: e0684901)",
	};
	static const struct expect e[] = {
		{ MM, "frank@example.org", "127.20.0.1", "", 1, 0 },
		{ MM, "frank@example.org", "127.21.0.1", "imap", 1, 0 },
		{ OK, "x@example.org", "127.0.0.9", "imap", 1, 0 },
		{ FL, "frank@example.org", "127.22.0.1", "imap", 1, 2 },
		{ MM, "frank@example.org", "127.22.0.1", "", 1, 2 },
		{ FL, "frank@example.org", "127.23.0.1", "imap", 1, 3 },
		{ MM, "frank@example.org", "127.24.0.1", "", 1, 6 },
		{ MM, "frank@example.org", "127.21.0.1", "", 1, 7 },
	};
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);
	const struct lockout_logparse_stats *st;
	unsigned int i;

	feed(parser, lines, N_ELEMENTS(lines));
	check_attempts(&c, e, N_ELEMENTS(e));
	/* the reordered failures carry their passwords' tags */
	for (i = 0; i < c.count; i++) {
		ck_assert_msg((c.a[i].password_tag != 0) ==
			      (c.a[i].result == MM), "attempt %u", i);
	}
	ck_assert_uint_ne(c.a[0].password_tag, c.a[1].password_tag);
	st = lockout_logparse_stats(parser);
	ck_assert_uint_eq(st->reordered, 1);
	ck_assert_uint_eq(st->passdb_failures, 5);
	ck_assert_uint_eq(st->disconnect_failures, 2);
	lockout_logparse_free(&parser);
}
END_TEST

START_TEST(test_log_stop)
{
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);

	c.stop_after = 2;
	ck_assert_int_eq(lockout_logparse_line(parser, quiet_log[0],
					       strlen(quiet_log[0])), 0);
	ck_assert_int_eq(lockout_logparse_line(parser, quiet_log[1],
					       strlen(quiet_log[1])), 42);
	/* stopped: nothing more is handed out */
	ck_assert_int_eq(lockout_logparse_line(parser, quiet_log[2],
					       strlen(quiet_log[2])), 42);
	ck_assert_int_eq(lockout_logparse_finish(parser), 42);
	ck_assert_uint_eq(c.count, 2);
	lockout_logparse_free(&parser);
	lockout_logparse_free(&parser);
}
END_TEST

/* Far more concurrent sessions than the table holds: bounded, counted. */
START_TEST(test_log_many_sessions)
{
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);
	char line[256];
	unsigned int i;

	c.count_only = true;
	for (i = 0; i < 100000; i++) {
		snprintf(line, sizeof(line), "Nov 28 03:28:44 auth: Info: "
			 "passwd-file(u%u,192.0.2.1,<s%u>): Password mismatch",
			 i, i);
		ck_assert_int_eq(lockout_logparse_line(parser, line,
						       strlen(line)), 0);
	}
	/* the oldest held attempts went out as the queue filled */
	ck_assert_uint_eq(c.total, 100000 - 256);
	ck_assert_uint_gt(lockout_logparse_stats(parser)->sessions_evicted, 0);
	ck_assert_uint_eq(lockout_logparse_stats(parser)->passdb_failures,
			  100000 - 256);
	ck_assert_int_eq(lockout_logparse_finish(parser), 0);
	ck_assert_uint_eq(c.total, 100000);
	ck_assert_uint_eq(lockout_logparse_stats(parser)->passdb_failures,
			  100000);
	lockout_logparse_free(&parser);
}
END_TEST

/* Dovecot 2.4: the ident in the auth process's prefix ("auth(user,ip,
   sasl:plain)<session>: Info: passwd-file: ..."), "Logged in:", and
   "Login aborted: ... (auth failed, ...) (auth_failed): ". Lines from a
   2.4.1 instance (tests/integration harness). */
static const char *const log24[] = {
	"Nov 28 03:28:44 imap-login: Info: Login aborted: Connection closed (no auth attempts in 0 secs) (no_auth_attempts): user=<>, rip=127.0.0.1, lip=127.0.0.1, secured, session=<S4UTtvlhKOl/AAAB>",
	"Nov 28 03:28:44 imap-login: Info: Logged in: user=<alice@example.org>, method=PLAIN, rip=127.0.0.2, lip=127.0.0.1, mpid=28, session=<bYUUtvlhBcx/AAAC>",
	"Nov 28 03:28:44 auth(alice@example.org,127.0.0.3,sasl:plain)<SToVtvlhJ+t/AAAD>: Info: passwd-file: Password mismatch",
	"Nov 28 03:28:44 imap-login: Info: Login aborted: Logged out (auth failed, 1 attempts in 0 secs) (auth_failed): user=<alice@example.org>, method=PLAIN, rip=127.0.0.3, lip=127.0.0.1, session=<SToVtvlhJ+t/AAAD>",
	"Nov 28 03:28:44 auth(nobody@example.org,127.0.0.4,sasl:plain)<0a0VtvlhW65/AAAE>: Info: passwd-file: unknown user (SHA1 of given password: 1902e3d6)",
	"Nov 28 03:28:44 imap-login: Info: Login aborted: Logged out (auth failed, 1 attempts in 0 secs) (auth_failed): user=<nobody@example.org>, method=PLAIN, rip=127.0.0.4, lip=127.0.0.1, session=<0a0VtvlhW65/AAAE>",
	/* auth_verbose = no: the login process's count only */
	"Nov 28 03:28:45 pop3-login: Info: Login aborted: Logged out (auth failed, 2 attempts in 4 secs) (auth_failed): user=<bob>, method=PLAIN, rip=127.0.0.5, lip=127.0.0.1, session=<oAMWtvlhn8t/AAAF>",
	"Nov 28 03:28:45 imap-login: Info: Login aborted: Logged out (user disabled, 1 attempts in 0 secs) (user_disabled): user=<carol>, method=PLAIN, rip=127.0.0.6, lip=127.0.0.1, session=<oAMWtvlhn8t/AAAG>",
	/* a username with ")" in it: one reading only */
	"Nov 28 03:28:46 mail dovecot: auth(x)y,127.0.0.9,sasl:plain)<s9>: Info: passwd-file: unknown user",
	/* PAM in auth-worker: its pid, then the session and the request */
	"Nov 28 03:28:46 mail dovecot: auth-worker(dave,192.0.2.4,sasl:login)<512><jkl>: request [3]: Info: pam: pam_authenticate() failed: Authentication failure (Password mismatch?)",
	/* not failures */
	"Nov 28 03:28:46 auth(alice@example.org,127.0.0.3,sasl:plain)<a>: Debug: passwd-file: Password mismatch",
	"Nov 28 03:28:46 auth(alice@example.org,127.0.0.3,sasl:plain)<a>: Info: passwd-file: lookup done",
};

START_TEST(test_log_dovecot24)
{
	static const struct expect e[] = {
		{ OK, "alice@example.org", "127.0.0.2", "imap", 1, 0 },
		{ MM, "alice@example.org", "127.0.0.3", "imap", 1, 0 },
		/* a logged password closes the chain: out before the
		   login process names the service (as on 2.3) */
		{ UU, "nobody@example.org", "127.0.0.4", "", 1, 0 },
		{ FL, "bob", "127.0.0.5", "pop3", 2, 1 },
		{ RF, "carol", "127.0.0.6", "imap", 1, 1 },
		{ UU, "x)y", "127.0.0.9", "", 1, 2 },
		{ MM, "dave", "192.0.2.4", "", 1, 2 },
	};
	struct collector c;
	struct lockout_logparse *parser = parser_new(&c);
	const struct lockout_logparse_stats *st;

	feed(parser, log24, N_ELEMENTS(log24));
	check_attempts(&c, e, N_ELEMENTS(e));
	st = lockout_logparse_stats(parser);
	ck_assert_uint_eq(st->unusable, 0);
	ck_assert_uint_eq(st->ignored, 3);
	ck_assert_uint_eq(st->passdb_failures, 4);
	ck_assert_uint_eq(st->logins, 1);
	ck_assert_uint_eq(st->refusals, 1);
	lockout_logparse_free(&parser);
}
END_TEST


static Suite *logparse_suite(void)
{
	Suite *s = suite_create("lockout-logparse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_log_verbose);
	tcase_add_test(tc, test_log_quiet);
	tcase_add_test(tc, test_log_chain);
	tcase_add_test(tc, test_log_chain_passwords);
	tcase_add_test(tc, test_log_chain_no_session);
	tcase_add_test(tc, test_log_sessions);
	tcase_add_test(tc, test_log_pending);
	tcase_add_test(tc, test_log_reordered);
	tcase_add_test(tc, test_log_stop);
	tcase_add_test(tc, test_log_many_sessions);
	tcase_add_test(tc, test_log_dovecot24);
	tcase_set_timeout(tc, 60);
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
	sr = srunner_create(logparse_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
