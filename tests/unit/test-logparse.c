/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-logparse.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define MAX_ATTEMPTS 128

/* short names for the tables */
#define OK LOCKOUT_SIM_OK
#define MM LOCKOUT_SIM_MISMATCH
#define UU LOCKOUT_SIM_UNKNOWN_USER
#define FL LOCKOUT_SIM_FAILED
#define RF LOCKOUT_SIM_REFUSED

/* 2026-11-28 04:00:00 UTC: the logs below were written just before. */
#define REFERENCE 1795838400
/* 2026-11-28 03:28:44 UTC */
#define T0 1795836524

static const unsigned char key[LOCKOUT_SIM_KEY_SIZE] = "0123456789abcdef";

struct collector {
	struct lockout_sim_attempt a[MAX_ATTEMPTS];
	unsigned int count;
	int stop_after; /* 0 = never */
	/* only count, keep nothing */
	bool count_only;
	uint64_t total;
};

static int collect(const struct lockout_sim_attempt *a, void *context)
{
	struct collector *c = context;

	c->total++;
	if (c->count_only)
		return 0;
	ck_assert_uint_lt(c->count, MAX_ATTEMPTS);
	/* times never go back */
	if (c->count > 0)
		ck_assert_int_ge(a->time, c->a[c->count - 1].time);
	c->a[c->count++] = *a;
	if (c->stop_after != 0 && (int)c->count >= c->stop_after)
		return 42;
	return 0;
}

static struct lockout_logparse *parser_new(struct collector *c)
{
	struct lockout_logparse *parser;

	memset(c, 0, sizeof(*c));
	parser = lockout_logparse_create(key, collect, c);
	ck_assert_ptr_nonnull(parser);
	lockout_logparse_begin(parser, REFERENCE);
	return parser;
}

static void feed(struct lockout_logparse *parser, const char *const *lines,
		 size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		ck_assert_int_eq(lockout_logparse_line(parser, lines[i],
						       strlen(lines[i])), 0);
	}
	ck_assert_int_eq(lockout_logparse_finish(parser), 0);
}

struct expect {
	enum lockout_sim_result result;
	const char *user, *ip, *service;
	unsigned int count;
	int64_t dt; /* seconds after T0 */
};

static void check_attempts(const struct collector *c,
			   const struct expect *e, size_t count)
{
	char ip[LOCKOUT_ADDR_STRLEN];
	size_t i;

	ck_assert_uint_eq(c->count, count);
	for (i = 0; i < count; i++) {
		lockout_addr_to_str(&c->a[i].ip, ip);
		ck_assert_msg(c->a[i].result == e[i].result,
			      "attempt %zu: result %s, not %s", i,
			      lockout_sim_result_to_str(c->a[i].result),
			      lockout_sim_result_to_str(e[i].result));
		ck_assert_str_eq(c->a[i].user, e[i].user);
		ck_assert_str_eq(ip, e[i].ip);
		ck_assert_str_eq(c->a[i].service, e[i].service);
		ck_assert_uint_eq(c->a[i].count, e[i].count);
		ck_assert_int_eq(c->a[i].time, T0 + e[i].dt);
	}
}

/* A real excerpt of the integration harness's Dovecot 2.3.19.1 with
   auth_verbose = yes (its lockout plugin refusing two logins). */
static const char *const verbose_log[] = {
	"Nov 28 03:28:44 pop3-login: Info: Disconnected: Connection closed (no auth attempts in 0 secs): user=<>, rip=127.0.0.1, lip=127.0.0.1, secured, session=<weIcxk1hDsF/AAAB>",
	"Nov 28 03:28:44 imap-login: Info: Login: user=<alice@example.org>, method=PLAIN, rip=127.0.0.2, lip=127.0.0.1, mpid=2849, session=<2/4cxk1hU5x/AAAC>",
	"Nov 28 03:28:44 imap(alice@example.org)<2849><2/4cxk1hU5x/AAAC>: Info: Disconnected: Logged out in=9 out=470 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0",
	"Nov 28 03:28:44 auth: Info: passwd-file(alice@example.org,127.0.0.3,<fCsdxk1hZZN/AAAD>): Password mismatch",
	"Nov 28 03:28:44 imap-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 0 secs): user=<alice@example.org>, method=PLAIN, rip=127.0.0.3, lip=127.0.0.1, session=<fCsdxk1hZZN/AAAD>",
	"Nov 28 03:28:44 auth: Info: passwd-file(nobody@example.org,127.0.0.3,<puwkxk1hcZl/AAAD>): unknown user",
	"Nov 28 03:28:45 imap-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 1 secs): user=<nobody@example.org>, method=PLAIN, rip=127.0.0.3, lip=127.0.0.1, session=<puwkxk1hcZl/AAAD>",
	"Nov 28 03:28:45 auth: Info: passwd-file(alice@example.org,127.0.0.3,<Kossxk1h/45/AAAD>): Password mismatch",
	"Nov 28 03:28:45 auth: Info: lockout: Banned 127.0.0.3 for 3600 secs: 3 failed logins within 10 mins (2 usernames, 3 distinct passwords tried) (rule ip_failures)",
	"Nov 28 03:28:45 imap-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 0 secs): user=<alice@example.org>, method=PLAIN, rip=127.0.0.3, lip=127.0.0.1, session=<Kossxk1h/45/AAAD>",
	"Nov 28 03:28:46 imap-login: Info: Disconnected: Aborted login by logging out (user disabled): user=<alice@example.org>, method=PLAIN, rip=127.0.0.3, lip=127.0.0.1, session=<Cis0xk1h85x/AAAD>",
	"Nov 28 03:28:46 auth: Info: passwd-file(bob@example.org,127.0.0.4,<qM07xk1hE45/AAAE>): Password mismatch",
	"Nov 28 03:28:46 pop3-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 0 secs): user=<bob@example.org>, method=PLAIN, rip=127.0.0.4, lip=127.0.0.1, session=<qM07xk1hE45/AAAE>",
	"Nov 28 03:28:46 pop3-login: Info: Login: user=<bob@example.org>, method=PLAIN, rip=127.0.0.4, lip=127.0.0.1, mpid=2856, session=<82xDxk1hH89/AAAE>",
	"Nov 28 03:28:47 auth: Info: passwd-file(bob@example.org,127.0.0.6): Password mismatch",
	"Nov 28 03:28:47 auth: Info: passwd-file(info@example.org,127.0.0.7): unknown user",
	"Nov 28 03:28:49 auth: Info: passwd-file(bob@example.org,2001:db8::1): Password mismatch",
};

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
			  lockout_password_tag(key, "b1", 2));
	ck_assert_uint_eq(c.a[2].password_tag, 0);
	ck_assert_uint_eq(c.a[4].password_tag,
			  lockout_password_tag(key, "6dcd4ce2", 8));
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

static Suite *logparse_suite(void)
{
	Suite *s = suite_create("lockout-logparse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_log_verbose);
	tcase_add_test(tc, test_log_quiet);
	tcase_add_test(tc, test_log_chain);
	tcase_add_test(tc, test_log_chain_passwords);
	tcase_add_test(tc, test_log_chain_no_session);
	tcase_add_test(tc, test_log_syslog);
	tcase_add_test(tc, test_log_years);
	tcase_add_test(tc, test_log_hostile);
	tcase_add_test(tc, test_log_sessions);
	tcase_add_test(tc, test_log_pending);
	tcase_add_test(tc, test_log_stop);
	tcase_add_test(tc, test_log_many_sessions);
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
