/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "logparse-test.h"

#include <check.h>
#include <string.h>

const unsigned char parser_key[LOCKOUT_SIM_KEY_SIZE] = "0123456789abcdef";

/* A real excerpt of the integration harness's Dovecot 2.3.19.1 with
   auth_verbose = yes (its lockout plugin refusing two logins). */
const char *const verbose_log[VERBOSE_LOG_LINES] = {
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

struct lockout_logparse *parser_new(struct collector *c)
{
	struct lockout_logparse *parser;

	memset(c, 0, sizeof(*c));
	parser = lockout_logparse_create(parser_key, collect, c);
	ck_assert_ptr_nonnull(parser);
	lockout_logparse_begin(parser, REFERENCE);
	return parser;
}

void feed(struct lockout_logparse *parser, const char *const *lines,
	  size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		ck_assert_int_eq(lockout_logparse_line(parser, lines[i],
						       strlen(lines[i])), 0);
	}
	ck_assert_int_eq(lockout_logparse_finish(parser), 0);
}

void check_attempts(const struct collector *c, const struct expect *e,
		    size_t count)
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
		ck_assert_msg(strcmp(c->a[i].service, e[i].service) == 0, "attempt %zu: service %s", i, c->a[i].service);
		ck_assert_uint_eq(c->a[i].count, e[i].count);
		ck_assert_int_eq(c->a[i].time, T0 + e[i].dt);
	}
}

