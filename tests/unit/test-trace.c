/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-trace.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

static const unsigned char key1[LOCKOUT_SIM_KEY_SIZE] = "0123456789abcdef";
static const unsigned char key2[LOCKOUT_SIM_KEY_SIZE] = "fedcba9876543210";

struct good_case {
	const char *line;
	int64_t time;
	const char *ip; /* canonical */
	const char *user, *service, *mechanism;
	enum lockout_sim_result result;
	bool has_pw;
};

static const struct good_case good_cases[] = {
	{ "{\"t\":100,\"ip\":\"192.0.2.1\",\"user\":\"alice@example.org\","
	  "\"service\":\"imap\",\"result\":\"mismatch\"}",
	  100, "192.0.2.1", "alice@example.org", "imap", "",
	  LOCKOUT_SIM_MISMATCH, false },
	/* fractions round down, also below zero */
	{ "{\"t\":1732763083.75,\"ip\":\"2001:DB8::1\",\"user\":\"b\","
	  "\"result\":\"ok\"}",
	  1732763083, "2001:db8::1", "b", "", "", LOCKOUT_SIM_OK, false },
	{ "{\"t\":-0.5,\"ip\":\"::ffff:192.0.2.9\",\"user\":\"\","
	  "\"result\":\"unknown_user\"}",
	  -1, "192.0.2.9", "", "", "", LOCKOUT_SIM_UNKNOWN_USER, false },
	{ "{\"t\":1e3,\"ip\":\"10.0.0.1\",\"user\":\"x\",\"result\":\"ok\"}",
	  1000, "10.0.0.1", "x", "", "", LOCKOUT_SIM_OK, false },
	{ "{\"t\":2.5E-1,\"ip\":\"10.0.0.1\",\"user\":\"x\",\"result\":"
	  "\"ok\"}", 0, "10.0.0.1", "x", "", "", LOCKOUT_SIM_OK, false },
	/* unknown fields (nested too) are ignored, null is absent, order is
	   free, blanks and a CR around are fine */
	{ "  {\"result\":\"mismatch\",\"extra\":{\"a\":[1,{\"b\":null}]},"
	  "\"service\":null,\"pw\":null,\"user\":\"u\",\"ip\":\"10.0.0.2\","
	  "\"t\":7,\"mechanism\":\"CRAM-MD5\"} \r",
	  7, "10.0.0.2", "u", "", "CRAM-MD5", LOCKOUT_SIM_MISMATCH, false },
	{ "{\"t\":1,\"ip\":\"10.0.0.3\",\"user\":\"u\",\"result\":\"mismatch\","
	  "\"pw\":\"hunter2\"}",
	  1, "10.0.0.3", "u", "", "", LOCKOUT_SIM_MISMATCH, true },
	/* escapes: the key "t" written as \u0074; a control character in a
	   username is data (it is escaped wherever it is printed) */
	{ "{\"\\u0074\":5,\"ip\":\"10.0.0.4\",\"user\":\"a\\u001b[2Jb\","
	  "\"result\":\"mismatch\"}",
	  5, "10.0.0.4", "a\x1b[2Jb", "", "", LOCKOUT_SIM_MISMATCH, false },
	/* an empty password is still a password */
	{ "{\"t\":1,\"ip\":\"10.0.0.3\",\"user\":\"u\",\"result\":\"mismatch\","
	  "\"pw\":\"\"}",
	  1, "10.0.0.3", "u", "", "", LOCKOUT_SIM_MISMATCH, true },
};

START_TEST(test_trace_good)
{
	const struct good_case *c = &good_cases[_i];
	struct lockout_trace *trace = lockout_trace_create(key1);
	struct lockout_sim_attempt a;
	char ip[LOCKOUT_ADDR_STRLEN];
	const char *error = NULL;

	ck_assert_ptr_nonnull(trace);
	ck_assert_msg(lockout_trace_parse(trace, c->line, strlen(c->line),
					  &a, &error) == 1,
		      "case %d: %s", _i, error);
	ck_assert_int_eq(a.time, c->time);
	lockout_addr_to_str(&a.ip, ip);
	ck_assert_str_eq(ip, c->ip);
	ck_assert_str_eq(a.user, c->user);
	ck_assert_str_eq(a.service, c->service);
	ck_assert_str_eq(a.mechanism, c->mechanism);
	ck_assert_int_eq(a.result, c->result);
	ck_assert_uint_eq(a.count, 1);
	ck_assert(c->has_pw ? a.password_tag != 0 : a.password_tag == 0);
	lockout_trace_free(&trace);
	ck_assert_ptr_null(trace);
}
END_TEST

struct bad_case {
	const char *line;
	const char *error; /* a part of the message */
};

static const struct bad_case bad_cases[] = {
	{ "not json", "JSON" },
	/* truncated */
	{ "{\"t\":1,\"ip\":\"10.0.0.1\"", "JSON" },
	{ "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":\"u\",\"result\":\"ok\"} x",
	  "JSON" },
	{ "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":\"u\",\"result\":\"ok\"}"
	  "{\"t\":2}", "JSON" },
	{ "[1,2,3]", "JSON" },
	{ "{\"t\":1,\"t\":2,\"ip\":\"10.0.0.1\",\"user\":\"u\","
	  "\"result\":\"ok\"}", "JSON" },			/* duplicate */
	/* not RFC 8259 */
	{ "{\"t\":01,\"ip\":\"10.0.0.1\",\"user\":\"u\",\"result\":\"ok\"}",
	  "JSON" },
	{ "{\"ip\":\"10.0.0.1\",\"user\":\"u\",\"result\":\"ok\"}",
	  "t: missing" },
	{ "{\"t\":\"1\",\"ip\":\"10.0.0.1\",\"user\":\"u\",\"result\":\"ok\"}",
	  "t: not a number" },
	{ "{\"t\":1e300,\"ip\":\"10.0.0.1\",\"user\":\"u\",\"result\":\"ok\"}",
	  "t: out of range" },
	{ "{\"t\":1e400,\"ip\":\"10.0.0.1\",\"user\":\"u\",\"result\":\"ok\"}",
	  "t: not a number" },
	{ "{\"t\":9007199254740992,\"ip\":\"10.0.0.1\",\"user\":\"u\","
	  "\"result\":\"ok\"}", "t: out of range" },
	{ "{\"t\":1,\"user\":\"u\",\"result\":\"ok\"}", "ip: missing" },
	{ "{\"t\":1,\"ip\":\"1.2.3\",\"user\":\"u\",\"result\":\"ok\"}",
	  "ip: not an IPv4" },
	{ "{\"t\":1,\"ip\":\"fe80::1%eth0\",\"user\":\"u\",\"result\":\"ok\"}",
	  "ip: not an IPv4" },
	{ "{\"t\":1,\"ip\":\" 10.0.0.1\",\"user\":\"u\",\"result\":\"ok\"}",
	  "ip: not an IPv4" },
	{ "{\"t\":1,\"ip\":\"10.0.0.1/24\",\"user\":\"u\",\"result\":\"ok\"}",
	  "ip: not an IPv4" },
	{ "{\"t\":1,\"ip\":\"10.0.0.1\\u0000\",\"user\":\"u\","
	  "\"result\":\"ok\"}", "ip: not a string" },
	{ "{\"t\":1,\"ip\":\"1111:2222:3333:4444:5555:6666:7777:8888:9999:"
	  "aaaa:bbbb:cccc:dddd:eeee\",\"user\":\"u\",\"result\":\"ok\"}",
	  "ip: not a string" },
	{ "{\"t\":1,\"ip\":10,\"user\":\"u\",\"result\":\"ok\"}",
	  "ip: not a string" },
	{ "{\"t\":1,\"ip\":\"10.0.0.1\",\"result\":\"ok\"}", "user: missing" },
	{ "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":[],\"result\":\"ok\"}",
	  "user: not a string" },
	{ "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":\"a\\u0000b\","
	  "\"result\":\"ok\"}", "user: not a string" },
	/* a raw control character is not JSON */
	{ "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":\"a\x1b" "b\","
	  "\"result\":\"ok\"}", "JSON" },
	/* invalid UTF-8 */
	{ "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":\"a\xc3(\","
	  "\"result\":\"ok\"}", "JSON" },
	{ "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":\"u\"}", "result: missing" },
	{ "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":\"u\",\"result\":"
	  "\"success\"}", "result: must be" },
	{ "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":\"u\",\"result\":\"OK\"}",
	  "result: must be" },
	{ "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":\"u\",\"result\":\"ok\","
	  "\"service\":\"0123456789012345678901234567890123\"}",
	  "service: not a string, longer than 31" },
	{ "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":\"u\",\"result\":\"ok\","
	  "\"pw\":5}", "pw: not a string" },
};

START_TEST(test_trace_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct lockout_trace *trace = lockout_trace_create(key1);
	struct lockout_sim_attempt a;
	const char *error = NULL;

	ck_assert_int_eq(lockout_trace_parse(trace, c->line, strlen(c->line),
					     &a, &error), -1);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error, c->error) != NULL,
		      "case %d: '%s' does not say '%s'", _i, error, c->error);
	/* nothing half-parsed is left */
	ck_assert_str_eq(a.user, "");
	ck_assert_uint_eq(a.password_tag, 0);
	lockout_trace_free(&trace);
}
END_TEST

START_TEST(test_trace_blank)
{
	static const char *const blanks[] = { "", " ", "\r", "\t \r\n" };
	struct lockout_trace *trace = lockout_trace_create(key1);
	struct lockout_sim_attempt a;
	const char *error;
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(blanks); i++) {
		ck_assert_int_eq(lockout_trace_parse(trace, blanks[i],
						     strlen(blanks[i]), &a,
						     &error), 0);
	}
	lockout_trace_free(&trace);
	/* freeing NULL is harmless */
	lockout_trace_free(&trace);
}
END_TEST

/* Lines built at run time: lengths at the limits, NUL bytes. */
static char *make_line(const char *field, size_t n, char fill)
{
	char *value = malloc(n + 1), *line;
	size_t size = n + 128;

	ck_assert_ptr_nonnull(value);
	memset(value, fill, n);
	value[n] = '\0';
	line = malloc(size);
	ck_assert_ptr_nonnull(line);
	snprintf(line, size, "{\"t\":1,\"ip\":\"10.0.0.1\",\"result\":"
		 "\"mismatch\",\"user\":\"u\",\"%s\":\"%s\"}", field, value);
	free(value);
	return line;
}

START_TEST(test_trace_limits)
{
	struct lockout_trace *trace = lockout_trace_create(key1);
	struct lockout_sim_attempt a;
	const char *error;
	char *line, *p;

	/* user: 255 bytes fit, 256 do not ("user" twice is a duplicate, so
	   build it in the "user" slot itself) */
	line = malloc(400);
	ck_assert_ptr_nonnull(line);
	strcpy(line, "{\"t\":1,\"ip\":\"10.0.0.1\",\"result\":\"ok\","
	       "\"user\":\"");
	p = line + strlen(line);
	memset(p, 'u', LOCKOUT_SIM_USER_MAX);
	strcpy(p + LOCKOUT_SIM_USER_MAX, "\"}");
	ck_assert_int_eq(lockout_trace_parse(trace, line, strlen(line), &a,
					     &error), 1);
	ck_assert_uint_eq(strlen(a.user), LOCKOUT_SIM_USER_MAX);
	memset(p, 'u', LOCKOUT_SIM_USER_MAX + 1);
	strcpy(p + LOCKOUT_SIM_USER_MAX + 1, "\"}");
	ck_assert_int_eq(lockout_trace_parse(trace, line, strlen(line), &a,
					     &error), -1);
	ck_assert(strstr(error, "user: not a string, longer than 255") != NULL);
	free(line);

	/* pw: LOCKOUT_TRACE_PW_MAX bytes fit */
	line = make_line("pw", LOCKOUT_TRACE_PW_MAX, 'p');
	ck_assert_int_eq(lockout_trace_parse(trace, line, strlen(line), &a,
					     &error), 1);
	free(line);
	line = make_line("pw", LOCKOUT_TRACE_PW_MAX + 1, 'p');
	ck_assert_int_eq(lockout_trace_parse(trace, line, strlen(line), &a,
					     &error), -1);
	ck_assert(strstr(error, "pw: not a string") != NULL);
	free(line);

	/* an overlong line, even if it is valid JSON otherwise */
	line = make_line("junk", LOCKOUT_TRACE_LINE_MAX, 'j');
	ck_assert_int_eq(lockout_trace_parse(trace, line, strlen(line), &a,
					     &error), -1);
	ck_assert(strstr(error, "line longer than") != NULL);
	free(line);
	/* ... but a long ignored field within the limit is fine */
	line = make_line("junk", LOCKOUT_TRACE_LINE_MAX - 200, 'j');
	ck_assert_int_eq(lockout_trace_parse(trace, line, strlen(line), &a,
					     &error), 1);
	free(line);

	/* nesting deeper than the reader allows, in an ignored field */
	line = malloc(256);
	ck_assert_ptr_nonnull(line);
	strcpy(line, "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":\"u\","
	       "\"result\":\"ok\",\"x\":");
	p = line + strlen(line);
	memset(p, '[', 40);
	memset(p + 40, ']', 40);
	strcpy(p + 80, "}");
	ck_assert_int_eq(lockout_trace_parse(trace, line, strlen(line), &a,
					     &error), -1);
	free(line);
	lockout_trace_free(&trace);
}
END_TEST

START_TEST(test_trace_nul)
{
	static const char line[] = "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":"
		"\"u\0x\",\"result\":\"ok\"}";
	struct lockout_trace *trace = lockout_trace_create(key1);
	struct lockout_sim_attempt a;
	const char *error;

	/* with its explicit length the NUL is inside the line */
	ck_assert_int_eq(lockout_trace_parse(trace, line, sizeof(line) - 1, &a,
					     &error), -1);
	ck_assert_str_eq(error, "NUL byte at column 33");
	/* cut just before it, the line is merely truncated */
	ck_assert_int_eq(lockout_trace_parse(trace, line, 32, &a, &error), -1);
	ck_assert(strstr(error, "JSON") != NULL);
	/* the parser does not need a NUL after len */
	ck_assert_int_eq(lockout_trace_parse(trace, "{\"t\":1,\"ip\":\"10.0.0.1"
					     "\",\"user\":\"u\",\"result\":"
					     "\"ok\"}GARBAGE", 48, &a,
					     &error), 1);
	lockout_trace_free(&trace);
}
END_TEST

static uint32_t tag_of(struct lockout_trace *trace, const char *pw)
{
	char line[256];
	struct lockout_sim_attempt a;
	const char *error;

	snprintf(line, sizeof(line), "{\"t\":1,\"ip\":\"10.0.0.1\",\"user\":"
		 "\"u\",\"result\":\"mismatch\",\"pw\":\"%s\"}", pw);
	ck_assert_int_eq(lockout_trace_parse(trace, line, strlen(line), &a,
					     &error), 1);
	return a.password_tag;
}

START_TEST(test_trace_password_tags)
{
	struct lockout_trace *t1 = lockout_trace_create(key1);
	struct lockout_trace *t2 = lockout_trace_create(key2);

	/* equal strings, equal tags; escapes decoded first */
	ck_assert_uint_eq(tag_of(t1, "old-password"),
			  tag_of(t1, "old-password"));
	ck_assert_uint_eq(tag_of(t1, "A"), tag_of(t1, "\\u0041"));
	ck_assert_uint_ne(tag_of(t1, "old-password"),
			  tag_of(t1, "old-passwort"));
	/* keyed: another key, other tags */
	ck_assert_uint_ne(tag_of(t1, "old-password"),
			  tag_of(t2, "old-password"));
	/* the same as the core's tag function */
	ck_assert_uint_eq(tag_of(t1, "x"),
			  lockout_password_tag(key1, "x", 1));
	lockout_trace_free(&t1);
	lockout_trace_free(&t2);
}
END_TEST

static Suite *trace_suite(void)
{
	Suite *s = suite_create("lockout-trace");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_trace_good, 0, N_ELEMENTS(good_cases));
	tcase_add_loop_test(tc, test_trace_bad, 0, N_ELEMENTS(bad_cases));
	tcase_add_test(tc, test_trace_blank);
	tcase_add_test(tc, test_trace_limits);
	tcase_add_test(tc, test_trace_nul);
	tcase_add_test(tc, test_trace_password_tags);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(trace_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
