/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#define _GNU_SOURCE /* nftw(), environ */
#include "lockout-json.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <locale.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define FFFD "\xef\xbf\xbd"

START_TEST(test_str_basic)
{
	struct lockout_str str;

	lockout_str_init(&str);
	ck_assert_str_eq(lockout_str_c(&str), "");
	ck_assert_uint_eq(str.len, 0);
	lockout_str_append(&str, "abc");
	lockout_str_append(&str, "");
	lockout_str_append_n(&str, "de\0f", 4);
	ck_assert_uint_eq(str.len, 7);
	ck_assert_int_eq(memcmp(lockout_str_c(&str), "abcde\0f", 8), 0);
	lockout_str_printf(&str, "<%d:%s>", 42, "x");
	ck_assert_uint_eq(str.len, 13);
	ck_assert_int_eq(memcmp(str.data + 7, "<42:x>", 7), 0);
	lockout_str_free(&str);
	ck_assert_ptr_null(str.data);
	ck_assert_str_eq(lockout_str_c(&str), "");
	/* freeing twice is harmless */
	lockout_str_free(&str);
}
END_TEST

START_TEST(test_str_growth)
{
	struct lockout_str str;
	char *big;
	size_t i;

	big = malloc(10001);
	ck_assert_ptr_nonnull(big);
	memset(big, 'q', 10000);
	big[10000] = '\0';

	lockout_str_init(&str);
	for (i = 0; i < 5000; i++) {
		lockout_str_printf(&str, "%zu,", i);
	}
	ck_assert(!str.failed);
	ck_assert_uint_eq(strlen(lockout_str_c(&str)), str.len);
	ck_assert(strncmp(lockout_str_c(&str), "0,1,2,3,", 8) == 0);
	ck_assert(strstr(lockout_str_c(&str), ",4999,") != NULL);

	/* printf output longer than the free space */
	lockout_str_printf(&str, "[%s]", big);
	ck_assert_uint_eq(strlen(lockout_str_c(&str)), str.len);
	ck_assert_uint_eq(str.data[str.len - 1], ']');
	ck_assert_uint_eq(str.data[str.len - 10002], '[');
	lockout_str_free(&str);

	lockout_str_init(&str);
	lockout_str_append(&str, big);
	ck_assert_str_eq(lockout_str_c(&str), big);
	lockout_str_free(&str);
	free(big);
}
END_TEST

START_TEST(test_str_failed)
{
	struct lockout_str str;

	lockout_str_init(&str);
	lockout_str_append(&str, "abc");
	/* A size that cannot be allocated: failed, not overflowed, and s is
	   not read. */
	lockout_str_append_n(&str, "x", SIZE_MAX);
	ck_assert(str.failed);
	ck_assert_ptr_null(lockout_str_c(&str));
	lockout_str_append(&str, "def");
	lockout_str_printf(&str, "%d", 1);
	lockout_json_append_string(&str, "x");
	ck_assert_uint_eq(str.len, 3);
	ck_assert_ptr_null(lockout_str_c(&str));
	lockout_str_free(&str);
	ck_assert(!str.failed);
	ck_assert_str_eq(lockout_str_c(&str), "");

	lockout_str_init(&str);
	lockout_str_append_n(&str, "x", SIZE_MAX - 1);
	ck_assert(str.failed);
	lockout_str_free(&str);
}
END_TEST

static const struct {
	const char *input;
	const char *json;
} escape_cases[] = {
	{ "", "\"\"" },
	{ "abc", "\"abc\"" },
	{ "a\"b", "\"a\\\"b\"" },
	{ "a\\b", "\"a\\\\b\"" },
	{ "\\\"", "\"\\\\\\\"\"" },
	{ "/", "\"/\"" },
	{ "\n\t\r\b\f", "\"\\u000a\\u0009\\u000d\\u0008\\u000c\"" },
	{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
	{ "\x1b[31mred", "\"\\u001b[31mred\"" },
	{ "user\r\nInjected: yes", "\"user\\u000d\\u000aInjected: yes\"" },
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
	{ "\xe2\x82\xac", "\"\xe2\x82\xac\"" },
	{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
	{ "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },
	{ "\xef\xbf\xbd", "\"\xef\xbf\xbd\"" },
	/* C1 controls (CSI is U+009B) are escaped too */
	{ "\xc2\x80", "\"\\u0080\"" },
	{ "\xc2\x9b" "2J", "\"\\u009b2J\"" },
	{ "\xc2\x9f", "\"\\u009f\"" },
	{ "\xc2\xa0", "\"\xc2\xa0\"" },
	/* invalid UTF-8 */
	{ "\xff", "\"" FFFD "\"" },
	{ "a\xfe" "b", "\"a" FFFD "b\"" },
	{ "\x80", "\"" FFFD "\"" },
	{ "\xbf\x80", "\"" FFFD FFFD "\"" },
	{ "\xc3", "\"" FFFD "\"" },
	{ "\xc3(", "\"" FFFD "(\"" },
	{ "\xc3\"", "\"" FFFD "\\\"\"" },
	{ "\xc0\xaf", "\"" FFFD FFFD "\"" },
	{ "\xc1\xbf", "\"" FFFD FFFD "\"" },
	{ "\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"" },
	{ "\xe0\xa0", "\"" FFFD "\"" },
	{ "\xe2\x82", "\"" FFFD "\"" },
	{ "\xe2\x82x", "\"" FFFD "x\"" },
	{ "\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"" },
	{ "\xed\x9f\xbf", "\"\xed\x9f\xbf\"" },
	{ "\xf0\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"" },
	{ "\xf0\x9f\x98", "\"" FFFD "\"" },
	{ "\xf0\x9f\x98x", "\"" FFFD "x\"" },
	{ "\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"" },
	{ "\xf5\x80", "\"" FFFD FFFD "\"" },
	{ "\xf8\x88\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD FFFD "\"" },
};

START_TEST(test_json_append_string)
{
	struct lockout_str str;
	char *doc, buf[256];

	lockout_str_init(&str);
	lockout_json_append_string(&str, escape_cases[_i].input);
	ck_assert_str_eq(lockout_str_c(&str), escape_cases[_i].json);

	/* The output is valid JSON that reads back. */
	doc = malloc(str.len + 8);
	ck_assert_ptr_nonnull(doc);
	snprintf(doc, str.len + 8, "{\"k\":%s}", lockout_str_c(&str));
	ck_assert_int_eq(lockout_json_get_string(doc, "k", buf, sizeof(buf)),
			 1);
	if (strstr(escape_cases[_i].json, FFFD) == NULL ||
	    strstr(escape_cases[_i].input, FFFD) != NULL)
		ck_assert_str_eq(buf, escape_cases[_i].input);
	free(doc);
	lockout_str_free(&str);
}
END_TEST

START_TEST(test_json_append_null)
{
	struct lockout_str str;

	lockout_str_init(&str);
	lockout_str_append(&str, "{\"a\":");
	lockout_json_append_string(&str, NULL);
	lockout_str_append(&str, "}");
	ck_assert_str_eq(lockout_str_c(&str), "{\"a\":null}");
	lockout_str_free(&str);
}
END_TEST

static const struct {
	const char *json;
	const char *key;
	int ret;
	int64_t value;
} int_cases[] = {
	{ "{\"a\":1}", "a", 1, 1 },
	{ "{\"a\":0}", "a", 1, 0 },
	{ "{\"a\":-0}", "a", 1, 0 },
	{ " \t\r\n{ \"a\" : -42 ,\n \"b\" :2 }\n", "b", 1, 2 },
	{ " { \"a\" : -42 , \"b\":2 } ", "a", 1, -42 },
	{ "{\"a\":9223372036854775807}", "a", 1, INT64_MAX },
	{ "{\"a\":-9223372036854775808}", "a", 1, INT64_MIN },
	{ "{\"a\":9223372036854775808}", "a", -1, 0 },
	{ "{\"a\":-9223372036854775809}", "a", -1, 0 },
	{ "{\"a\":99999999999999999999999999}", "a", -1, 0 },
	{ "{\"a\":1.5}", "a", -1, 0 },
	{ "{\"a\":1.0}", "a", -1, 0 },
	{ "{\"a\":1e3}", "a", -1, 0 },
	{ "{\"a\":\"1\"}", "a", -1, 0 },
	{ "{\"a\":true}", "a", -1, 0 },
	{ "{\"a\":[1]}", "a", -1, 0 },
	{ "{\"a\":{}}", "a", -1, 0 },
	{ "{\"a\":null}", "a", 0, 0 },
	{ "{}", "a", 0, 0 },
	{ " { } ", "a", 0, 0 },
	{ "{\"b\":1}", "a", 0, 0 },
	{ "{\"ab\":1}", "a", 0, 0 },
	{ "{\"a\":1}", "ab", 0, 0 },
	{ "{\"A\":1}", "a", 0, 0 },
	{ "{\"\":1}", "", 1, 1 },
	{ "{\"\\u0061\":7}", "a", 1, 7 },
	{ "{\"a\\u0000\":7}", "a", 0, 0 },
	{ "{\"b\":{\"a\":5}}", "a", 0, 0 },
	{ "{\"a\":1,\"b\":[1,2,{\"a\":3}],\"c\":{\"d\":[]}}", "a", 1, 1 },
	{ "{\"s\":\"x\",\"t\":true,\"f\":false,\"n\":null,\"r\":-1.5e-3,"
	  "\"a\":12}", "a", 1, 12 },
	/* malformed */
	{ "{\"a\":1,\"a\":2}", "a", -1, 0 },
	{ "{\"a\":1,\"\\u0061\":2}", "a", -1, 0 },
	{ "{\"a\":01}", "a", -1, 0 },
	{ "{\"a\":-}", "a", -1, 0 },
	{ "{\"a\":+1}", "a", -1, 0 },
	{ "{\"a\":.5}", "a", -1, 0 },
	{ "{\"a\":1.}", "a", -1, 0 },
	{ "{\"a\":1e}", "a", -1, 0 },
	{ "{\"a\":0x10}", "a", -1, 0 },
	{ "{\"a\":1 2}", "a", -1, 0 },
	{ "{\"a\":1,}", "a", -1, 0 },
	{ "{,\"a\":1}", "a", -1, 0 },
	{ "{\"a\":1", "a", -1, 0 },
	{ "{\"a\":", "a", -1, 0 },
	{ "{\"a\"", "a", -1, 0 },
	{ "{\"a", "a", -1, 0 },
	{ "{", "a", -1, 0 },
	{ "{\"a\" 1}", "a", -1, 0 },
	{ "{\"a\"::1}", "a", -1, 0 },
	{ "{a:1}", "a", -1, 0 },
	{ "{'a':1}", "a", -1, 0 },
	{ "", "a", -1, 0 },
	{ "   ", "a", -1, 0 },
	{ "[1]", "a", -1, 0 },
	{ "1", "a", -1, 0 },
	{ "\"a\"", "a", -1, 0 },
	{ "null", "a", -1, 0 },
	{ "{\"a\":1}x", "a", -1, 0 },
	{ "{\"a\":1}{}", "a", -1, 0 },
	{ "{\"a\":1}}", "a", -1, 0 },
	{ "\xef\xbb\xbf{\"a\":1}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":tru}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":nul}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":True}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":[1,2}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":{\"c\"}}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":{\"c\":1,}}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":[,]}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":[1,]}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":[}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":]}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"x}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"\\", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"\\u12\"}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"\\u12", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"\\x41\"}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"\\ud800\"}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"\\ud800\\u0041\"}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"\\udc00\"}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"\x01\"}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"\t\"}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"\xff\"}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"\xc0\xaf\"}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":\"\xed\xa0\x80\"}", "a", -1, 0 },
	{ "{\"a\":1,\"\xff\":1}", "a", -1, 0 },
	{ "{\"a\":1,\"b\":1}\x01", "a", -1, 0 },
	{ "{\"a\":1,\f\"b\":1}", "a", -1, 0 },
};

static void check_int_case(unsigned int i)
{
	/* A copy of exact size, so ASan sees any read past the NUL. */
	char *json = strdup(int_cases[i].json);
	int64_t value = 12345;
	int ret;

	ck_assert_ptr_nonnull(json);
	ret = lockout_json_get_int(json, int_cases[i].key, &value);
	ck_assert_msg(ret == int_cases[i].ret, "'%s': got %d, want %d",
		      int_cases[i].json, ret, int_cases[i].ret);
	if (ret == 1)
		ck_assert(value == int_cases[i].value);
	else
		ck_assert(value == 12345);
	free(json);
}

START_TEST(test_json_get_int)
{
	check_int_case((unsigned int)_i);
}
END_TEST

static const struct {
	const char *json;
	const char *key;
	size_t size;
	int ret;
	const char *value;
} string_cases[] = {
	{ "{\"reason\":\"too many failures\"}", "reason", 64, 1,
	  "too many failures" },
	{ "{\"a\":1,\"reason\":\"x\",\"b\":[\"reason\"]}", "reason", 64, 1,
	  "x" },
	{ "{\"a\":\"\"}", "a", 64, 1, "" },
	{ "{\"a\":\"\"}", "a", 1, 1, "" },
	{ "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "a", 64, 1,
	  "\"\\/\b\f\n\r\t" },
	{ "{\"a\":\"\\u00e9\\u20AC\"}", "a", 64, 1, "\xc3\xa9\xe2\x82\xac" },
	{ "{\"a\":\"\\ud83d\\ude00\"}", "a", 64, 1, "\xf0\x9f\x98\x80" },
	{ "{\"a\":\"\\u001b\"}", "a", 64, 1, "\x1b" },
	{ "{\"a\":\"caf\xc3\xa9\"}", "a", 64, 1, "caf\xc3\xa9" },
	{ "{\"a\":\"abc\"}", "a", 4, 1, "abc" },
	{ "{\"a\":\"abc\"}", "a", 3, -1, "" },
	{ "{\"a\":\"abc\"}", "a", 1, -1, "" },
	{ "{\"a\":\"abc\"}", "a", 0, -1, NULL },
	{ "{\"a\":\"\\u00e9\"}", "a", 2, -1, "" },
	{ "{\"a\":\"\\u00e9\"}", "a", 3, 1, "\xc3\xa9" },
	{ "{\"a\":\"x\\u0000y\"}", "a", 64, -1, "" },
	{ "{\"a\":null}", "a", 64, 0, "" },
	{ "{\"b\":\"x\"}", "a", 64, 0, "" },
	{ "{\"a\":1}", "a", 64, -1, "" },
	{ "{\"a\":[\"x\"]}", "a", 64, -1, "" },
	{ "{\"a\":false}", "a", 64, -1, "" },
	{ "{\"a\":\"x\",\"a\":\"y\"}", "a", 64, -1, "" },
	{ "{\"a\":\"x\",}", "a", 64, -1, "" },
	{ "{\"a\":\"x\"", "a", 64, -1, "" },
	{ "{\"a\":\"x", "a", 64, -1, "" },
	{ "{\"a\":\"x\n\"}", "a", 64, -1, "" },
};

START_TEST(test_json_get_string)
{
	char *json = strdup(string_cases[_i].json);
	char buf[64];
	int ret;

	ck_assert_ptr_nonnull(json);
	memset(buf, 'Z', sizeof(buf));
	ret = lockout_json_get_string(json, string_cases[_i].key, buf,
				      string_cases[_i].size);
	ck_assert_msg(ret == string_cases[_i].ret, "'%s': got %d, want %d",
		      string_cases[_i].json, ret, string_cases[_i].ret);
	if (string_cases[_i].value != NULL)
		ck_assert_str_eq(buf, string_cases[_i].value);
	else
		ck_assert_uint_eq(buf[0], 'Z');	/* size 0: untouched */
	/* Nothing written past size. */
	if (string_cases[_i].size < sizeof(buf))
		ck_assert_uint_eq(buf[string_cases[_i].size], 'Z');
	free(json);
}
END_TEST

static char *make_nested(unsigned int depth, char open, char close)
{
	size_t len = 5 + 2 * (size_t)depth + 2;
	char *json = malloc(len + 1);
	size_t pos = 0;
	unsigned int i;

	if (json == NULL)
		return NULL;
	memcpy(json, "{\"a\":", 5);
	pos = 5;
	for (i = 0; i < depth; i++)
		json[pos++] = open;
	for (i = 0; i < depth; i++)
		json[pos++] = close;
	json[pos++] = '}';
	json[pos] = '\0';
	return json;
}

START_TEST(test_json_nesting)
{
	char *json;
	int64_t value;

	/* 32 levels are fine (the value is no integer), 33 are not. */
	json = make_nested(32, '[', ']');
	ck_assert_ptr_nonnull(json);
	ck_assert_int_eq(lockout_json_get_int(json, "b", &value), 0);
	ck_assert_int_eq(lockout_json_get_int(json, "a", &value), -1);
	free(json);
	json = make_nested(33, '[', ']');
	ck_assert_ptr_nonnull(json);
	ck_assert_int_eq(lockout_json_get_int(json, "b", &value), -1);
	free(json);
	/* Hostile depth: rejected without recursion. */
	json = make_nested(1000000, '[', ']');
	ck_assert_ptr_nonnull(json);
	ck_assert_int_eq(lockout_json_get_int(json, "b", &value), -1);
	free(json);
	json = make_nested(1000000, '{', '}');
	ck_assert_ptr_nonnull(json);
	ck_assert_int_eq(lockout_json_get_int(json, "b", &value), -1);
	free(json);
}
END_TEST

/* Mutate a valid document at random: the reader must answer -1/0/1 without
   reading past the NUL (ASan checks) and never claim success for a string
   it cannot hold. */
START_TEST(test_json_mutations)
{
	static const char seed[] =
		"{\"target\":\"192.0.2.1\",\"failures\":12,\"window\":600,"
		"\"users\":[\"admin\",\"r\\u00f6ot\",\"x\\ud83d\\ude00\"],"
		"\"first\":{\"t\":1.5e3,\"ok\":true,\"no\":null},"
		"\"reason\":\"too \\\"many\\\" failures\"}";
	static const char alphabet[] = "{}[]\":,\\u0123456789abcdef-+.eE "
		"tnrlsfx\x01\x7f\x80\xc3\xed\xf4\xff";
	unsigned int state = 12345, i, j, n;
	size_t len = sizeof(seed) - 1, pos;
	char doc[sizeof(seed)], buf[32];
	int64_t value;
	char *copy;
	int ret;

	ck_assert_int_eq(lockout_json_get_int(seed, "failures", &value), 1);
	ck_assert(value == 12);
	ck_assert_int_eq(lockout_json_get_string(seed, "reason", buf,
						 sizeof(buf)), 1);
	ck_assert_str_eq(buf, "too \"many\" failures");

	for (i = 0; i < 20000; i++) {
		memcpy(doc, seed, sizeof(seed));
		n = 1 + (unsigned int)(rand_r(&state) % 4);
		for (j = 0; j < n; j++) {
			pos = (size_t)rand_r(&state) % len;
			doc[pos] = alphabet[(size_t)rand_r(&state) %
					    (sizeof(alphabet) - 1)];
		}
		/* sometimes cut the document short */
		if (rand_r(&state) % 4 == 0)
			doc[(size_t)rand_r(&state) % len] = '\0';
		copy = strdup(doc);
		ck_assert_ptr_nonnull(copy);
		ret = lockout_json_get_int(copy, "failures", &value);
		ck_assert(ret >= -1 && ret <= 1);
		ret = lockout_json_get_string(copy, "reason", buf,
					      sizeof(buf));
		ck_assert(ret >= -1 && ret <= 1);
		if (ret == 1)
			ck_assert_uint_lt(strlen(buf), sizeof(buf));
		else
			ck_assert_str_eq(buf, "");
		free(copy);
	}
}
END_TEST

/* What the writer produces, the reader reads. */
START_TEST(test_json_roundtrip)
{
	struct lockout_str str;
	char buf[128];
	int64_t value;

	lockout_str_init(&str);
	lockout_str_append(&str, "{\"target\":");
	lockout_json_append_string(&str, "192.0.2.1");
	lockout_str_printf(&str, ",\"failures\":%d,\"created\":%lld",
			   12, -1234567890123LL);
	lockout_str_append(&str, ",\"user\":");
	lockout_json_append_string(&str, "bad\"user\\\x01\xff");
	lockout_str_append(&str, "}");
	ck_assert_ptr_nonnull(lockout_str_c(&str));

	ck_assert_int_eq(lockout_json_get_string(lockout_str_c(&str),
						 "target", buf, sizeof(buf)),
			 1);
	ck_assert_str_eq(buf, "192.0.2.1");
	ck_assert_int_eq(lockout_json_get_int(lockout_str_c(&str),
					      "failures", &value), 1);
	ck_assert(value == 12);
	ck_assert_int_eq(lockout_json_get_int(lockout_str_c(&str),
					      "created", &value), 1);
	ck_assert(value == -1234567890123LL);
	ck_assert_int_eq(lockout_json_get_string(lockout_str_c(&str), "user",
						 buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "bad\"user\\\x01" FFFD);
	ck_assert_int_eq(lockout_json_get_int(NULL, "a", &value), -1);
	ck_assert_int_eq(lockout_json_get_string(NULL, "a", buf, sizeof(buf)),
			 -1);
	lockout_str_free(&str);
}
END_TEST

static const struct {
	const char *json;
	int ret;
	double value;
} double_cases[] = {
	{ "{\"t\":0}", 1, 0.0 },
	{ "{\"t\":-0}", 1, -0.0 },
	{ "{\"t\":1732763083.25}", 1, 1732763083.25 },
	{ "{\"t\":-12.5}", 1, -12.5 },
	{ "{\"t\":1e3}", 1, 1000.0 },
	{ "{\"t\":1E+3}", 1, 1000.0 },
	{ "{\"t\":25e-2}", 1, 0.25 },
	{ "{\"t\":0.000001}", 1, 1e-6 },
	{ "{\"t\":123456789012345678901234567890}", 1,
	  123456789012345678901234567890.0 },
	{ "{\"t\":0.1234567890123456789012345}", 1,
	  0.1234567890123456789012345 },
	{ "{\"t\":1e308}", 1, 1e308 },
	{ "{\"t\":1e-400}", 1, 0.0 },
	{ "{\"t\":9007199254740993}", 1, 9007199254740992.0 },
	{ "{\"t\":1798761604.489}", 1, 1798761604.489 },
	{ "{\"t\":2.2250738585072011e-308}", 1, 2.2250738585072011e-308 },
	{ "{\"t\":5e-324}", 1, 5e-324 },
	{ "{\"t\":1.7976931348623157e308}", 1, 1.7976931348623157e308 },
	{ "{\"t\":1.7976931348623159e308}", -1, 0 },
	{ "{\"t\":1e309}", -1, 0 },
	{ "{\"t\":1e99999999999}", -1, 0 },
	{ "{\"t\":-1e400}", -1, 0 },
	{ "{\"t\":null}", 0, 0 },
	{ "{\"u\":1}", 0, 0 },
	{ "{\"t\":\"1\"}", -1, 0 },
	{ "{\"t\":.5}", -1, 0 },
	{ "{\"t\":1.}", -1, 0 },
	{ "{\"t\":+1}", -1, 0 },
	{ "{\"t\":0x10}", -1, 0 },
	{ "{\"t\":NaN}", -1, 0 },
	{ "{\"t\":Infinity}", -1, 0 },
	{ "{\"t\":1,\"t\":2}", -1, 0 },
	{ "{\"t\":1", -1, 0 },
};

/* Read double case i: the same double as the compiler makes of the literal
   (both correctly rounded), bit for bit (so -0 too). */
static void check_double_case(unsigned int i)
{
	char *json = strdup(double_cases[i].json);
	double value = 1, want = double_cases[i].value;
	int ret;

	ck_assert_ptr_nonnull(json);
	ret = lockout_json_get_double(json, "t", &value);
	ck_assert_msg(ret == double_cases[i].ret, "'%s': got %d, want %d",
		      double_cases[i].json, ret, double_cases[i].ret);
	ck_assert_msg(memcmp(&value, &want, sizeof(value)) == 0,
		      "'%s': got %.17g, want %.17g", double_cases[i].json,
		      value, want);
	free(json);
}

START_TEST(test_json_get_double)
{
	check_double_case((unsigned int)_i);
}
END_TEST

START_TEST(test_json_find_values)
{
	static const char *const keys[] = { "t", "ip", "user", "pw" };
	const char *values[4];
	char buf[32], longkey[101], *json;
	size_t len;
	double d;
	int64_t v;

	/* one pass: values point into the document; null and missing keys
	   give NULL; keys elsewhere (nested, in strings) do not count */
	ck_assert_int_eq(lockout_json_find_values(
		"{\"user\":\"a\\u0062\",\"x\":{\"t\":1},\"ip\":\"t\","
		"\"t\":2.5,\"pw\":null}", keys, 4, values), 0);
	ck_assert_ptr_nonnull(values[0]);
	ck_assert_int_eq(lockout_json_value_double(values[0], &d), 0);
	ck_assert(d == 2.5);
	ck_assert_int_eq(lockout_json_value_string(values[1], buf,
						   sizeof(buf), &len), 0);
	ck_assert_str_eq(buf, "t");
	ck_assert_int_eq(lockout_json_value_string(values[2], buf,
						   sizeof(buf), &len), 0);
	ck_assert_str_eq(buf, "ab");
	ck_assert_uint_eq(len, 2);
	ck_assert_ptr_null(values[3]);
	/* wrong types */
	ck_assert_int_eq(lockout_json_value_double(values[1], &d), -1);
	ck_assert_int_eq(lockout_json_value_string(values[0], buf,
						   sizeof(buf), &len), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(lockout_json_value_string(NULL, buf, sizeof(buf),
						   &len), -1);
	ck_assert_int_eq(lockout_json_value_double(NULL, &d), -1);

	/* malformed documents and duplicates leave every value NULL */
	ck_assert_int_eq(lockout_json_find_values("{\"t\":1,\"t\":1}", keys,
						  4, values), -1);
	ck_assert_ptr_null(values[0]);
	ck_assert_int_eq(lockout_json_find_values("{\"ip\":\"x\"} ,", keys,
						  4, values), -1);
	ck_assert_ptr_null(values[1]);
	ck_assert_int_eq(lockout_json_find_values(NULL, keys, 4, values), -1);
	/* a key longer than the buffer for several keys is none of them */
	json = malloc(200);
	ck_assert_ptr_nonnull(json);
	memset(longkey, 't', 100);
	longkey[100] = '\0';
	snprintf(json, 200, "{\"%s\":1,\"t\":3}", longkey);
	ck_assert_int_eq(lockout_json_find_values(json, keys, 4, values), 0);
	ck_assert_int_eq(lockout_json_value_double(values[0], &d), 0);
	ck_assert(d == 3);
	/* ... while a single long key is found */
	ck_assert_int_eq(lockout_json_get_int(json, longkey, &v), 1);
	ck_assert_int_eq(v, 1);
	free(json);
	/* a key holding \u0000 matches nothing */
	ck_assert_int_eq(lockout_json_find_values("{\"t\\u0000\":1}", keys,
						  4, values), 0);
	ck_assert_ptr_null(values[0]);
	/* no keys: just the strict check */
	ck_assert_int_eq(lockout_json_find_values("{}", keys, 0, values), 0);
	ck_assert_int_eq(lockout_json_find_values("{", keys, 0, values), -1);
}
END_TEST

/* --- numbers under a locale with a decimal comma -------------------------- */

/* de_DE.UTF-8, compiled by localedef into a directory of the test's own
   (LOCPATH): needs the locales package's sources, neither root nor the
   system's locale archive. */
#define COMMA_LOCALE "de_DE.UTF-8"
static char locale_dir[] = "/tmp/lockout-test-locale.XXXXXX";
static bool locale_dir_made;
static const char *locale_error = "the locale was not set up";

/* Runs once in the parent before the tests of the "locale" case fork, so
   they inherit LOCPATH. A failure is reported by the test, which fails. */
static void comma_locale_setup(void)
{
	char out[sizeof(locale_dir) + sizeof(COMMA_LOCALE) + 1];
	char *argv[] = {
		"localedef", "-i", "de_DE", "-f", "UTF-8", out, NULL
	};
	posix_spawn_file_actions_t actions;
	int status, ret;
	pid_t pid;

	if (mkdtemp(locale_dir) == NULL) {
		locale_error = "mkdtemp() failed";
		return;
	}
	locale_dir_made = true;
	snprintf(out, sizeof(out), "%s/%s", locale_dir, COMMA_LOCALE);
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO,
					 "/dev/null", O_WRONLY, 0);
	ret = posix_spawnp(&pid, "localedef", &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	/* exit status 1: written, with warnings */
	if (ret != 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		locale_error = "localedef -i de_DE -f UTF-8 failed (the "
			"locales package is needed: scripts/install-deps.sh "
			"installs it)";
		return;
	}
	if (setenv("LOCPATH", locale_dir, 1) < 0) {
		locale_error = "setenv(LOCPATH) failed";
		return;
	}
	locale_error = NULL;
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void comma_locale_teardown(void)
{
	if (locale_dir_made)
		(void)nftw(locale_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Every number reads as in the C locale, though the C library's own
   strtod() would stop at the '.' here. */
/* lockout_json_iter_members(): every top-level member in order, with
   where its value starts and ends; nothing when the document is bad. */
struct members_ctx {
	char out[512];
	int stop_at, calls;
};

static int members_cb(const char *key, const char *value, void *context)
{
	struct members_ctx *ctx = context;
	const char *end = lockout_json_value_end(value);
	size_t len = strlen(ctx->out);

	snprintf(ctx->out + len, sizeof(ctx->out) - len, "%s=%.*s;",
		 key == NULL ? "(null)" : key, (int)(end - value), value);
	return ++ctx->calls == ctx->stop_at ? -1 : 0;
}

START_TEST(test_json_iter_members)
{
	static const struct {
		const char *json, *out;
		int ret, stop_at;
	} cases[] = {
		{ "{}", "", 0, 0 },
		{ " { \"a\" : 1 , \"b\":[\"x\",{\"c\":null}],\"d\":true,"
		  "\"e\":\"s\\\"\"} ", "a=1;b=[\"x\",{\"c\":null}];d=true;"
		  "e=\"s\\\"\";", 0, 0 },
		{ "{\"a\":1,\"b\":2}", "a=1;", -1, 1 },
		{ "{\"a\":1,\"a\":2}", "a=1;a=2;", 0, 0 },
		{ "{\"k\\u0000\":1}", "(null)=1;", 0, 0 },
		{ "{\"k1234567890123456789012345678901234567890123456789012345"
		  "67890123\":-2.5e3}", "(null)=-2.5e3;", 0, 0 },
		/* checked before the first call */
		{ "{\"a\":1,\"b\":}", "", -1, 0 },
		{ "{\"a\":1} x", "", -1, 0 },
		{ "[1]", "", -1, 0 },
		{ NULL, "", -1, 0 },
	};
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(cases); i++) {
		struct members_ctx ctx;

		memset(&ctx, 0, sizeof(ctx));
		ctx.stop_at = cases[i].stop_at;
		ck_assert_int_eq(lockout_json_iter_members(cases[i].json,
							   members_cb, &ctx),
				 cases[i].ret);
		ck_assert_str_eq(ctx.out, cases[i].out);
	}
}
END_TEST

START_TEST(test_json_numbers_comma_locale)
{
	unsigned int i;
	char *end;

	ck_assert_msg(locale_error == NULL, "%s", locale_error);
	ck_assert_msg(setlocale(LC_ALL, COMMA_LOCALE) != NULL,
		      "cannot set the locale " COMMA_LOCALE " from %s",
		      locale_dir);
	ck_assert_str_eq(localeconv()->decimal_point, ",");
	ck_assert(strtod("0.5", &end) == 0 && *end == '.');

	for (i = 0; i < N_ELEMENTS(double_cases); i++)
		check_double_case(i);
	for (i = 0; i < N_ELEMENTS(int_cases); i++)
		check_int_case(i);
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("lockout-json");
	TCase *tc = tcase_create("core");
	TCase *tc_locale = tcase_create("locale");

	tcase_add_test(tc, test_str_basic);
	tcase_add_test(tc, test_str_growth);
	tcase_add_test(tc, test_str_failed);
	tcase_add_loop_test(tc, test_json_append_string, 0,
			    N_ELEMENTS(escape_cases));
	tcase_add_test(tc, test_json_append_null);
	tcase_add_loop_test(tc, test_json_get_int, 0, N_ELEMENTS(int_cases));
	tcase_add_loop_test(tc, test_json_get_string, 0,
			    N_ELEMENTS(string_cases));
	tcase_add_test(tc, test_json_nesting);
	tcase_add_test(tc, test_json_mutations);
	tcase_add_test(tc, test_json_roundtrip);
	tcase_add_loop_test(tc, test_json_get_double, 0,
			    N_ELEMENTS(double_cases));
	tcase_add_test(tc, test_json_find_values);
	tcase_add_test(tc, test_json_iter_members);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(tc_locale, comma_locale_setup,
				    comma_locale_teardown);
	tcase_add_test(tc_locale, test_json_numbers_comma_locale);
	suite_add_tcase(s, tc_locale);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
