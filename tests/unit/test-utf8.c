/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* The UTF-8 decoder and the one escaping rule for text shown to people
   (terminal, log, mail): what is escaped, in which form, and the contracts
   of the bounded and the appending variants. */
#include "lockout-json.h"
#include "lockout-utf8.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

static const struct {
	uint32_t cp;
	bool unsafe;
} unsafe_cases[] = {
	{ 0x00, true }, { 0x09, true }, { 0x0a, true }, { 0x1b, true },
	{ 0x1f, true }, { 0x20, false }, { 0x7e, false }, { 0x7f, true },
	{ 0x80, true }, { 0x85, true }, { 0x9b, true }, { 0x9f, true },
	{ 0xa0, false }, { 0xe9, false }, { 0x061b, false }, { 0x061c, true },
	{ 0x061d, false }, { 0x200b, false }, { 0x200d, false },
	{ 0x200e, true }, { 0x200f, true }, { 0x2027, false },
	{ 0x2028, true }, { 0x2029, true }, { 0x202a, true },
	{ 0x202b, true }, { 0x202c, true }, { 0x202d, true },
	{ 0x202e, true }, { 0x202f, false }, { 0x2065, false },
	{ 0x2066, true }, { 0x2067, true }, { 0x2068, true },
	{ 0x2069, true }, { 0x206a, false }, { 0xfeff, false },
	{ 0x1f600, false }, { 0x10ffff, false },
};

START_TEST(test_is_unsafe)
{
	ck_assert_msg(lockout_utf8_is_unsafe(unsafe_cases[_i].cp) ==
		      unsafe_cases[_i].unsafe, "U+%04X",
		      (unsigned int)unsafe_cases[_i].cp);
}
END_TEST

START_TEST(test_is_unsafe_all)
{
	/* exactly the 65 controls, 12 bidi controls and 2 separators */
	unsigned int count = 0;
	uint32_t cp;

	for (cp = 0; cp <= 0x10ffff; cp++) {
		if (lockout_utf8_is_unsafe(cp))
			count++;
	}
	ck_assert_uint_eq(count, 65 + 12 + 2);
}
END_TEST

static const struct {
	const char *src, *text, *ascii;
} escape_cases[] = {
	{ "", "", "" },
	{ "alice@example.org", "alice@example.org", "alice@example.org" },
	/* C0 and DEL as \xNN */
	{ "esc\x1b[31mred", "esc\\x1b[31mred", "esc\\x1b[31mred" },
	{ "a\tb\nc\rd\x7f", "a\\x09b\\x0ac\\x0dd\\x7f",
	  "a\\x09b\\x0ac\\x0dd\\x7f" },
	/* C1 (U+009B is CSI) as \u00NN, never as its bytes */
	{ "csi\xc2\x9b" "31m", "csi\\u009b31m", "csi\\u009b31m" },
	{ "\xc2\x80\xc2\x9f", "\\u0080\\u009f", "\\u0080\\u009f" },
	/* bidirectional formatting characters */
	{ "rlo\xe2\x80\xae" "cod.exe", "rlo\\u202ecod.exe",
	  "rlo\\u202ecod.exe" },
	{ "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
	  "\\u202a\\u202b\\u202c\\u202d", "\\u202a\\u202b\\u202c\\u202d" },
	{ "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
	  "\\u2066\\u2067\\u2068\\u2069", "\\u2066\\u2067\\u2068\\u2069" },
	{ "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c",
	  "\\u200e\\u200f\\u061c" },
	{ "l\xe2\x80\xa8p\xe2\x80\xa9", "l\\u2028p\\u2029",
	  "l\\u2028p\\u2029" },
	/* other characters as they are, or \u / \U for 7-bit text */
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	  "caf\\u00e9 \\u20ac \\U0001f600" },
	{ "nbsp\xc2\xa0", "nbsp\xc2\xa0", "nbsp\\u00a0" },
	/* invalid UTF-8: each byte as \xNN */
	{ "bad\xff\xfe", "bad\\xff\\xfe", "bad\\xff\\xfe" },
	{ "\xc3x", "\\xc3x", "\\xc3x" },
	{ "\xc0\x80", "\\xc0\\x80", "\\xc0\\x80" },
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80", "\\xed\\xa0\\x80" },
	{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80",
	  "\\xf4\\x90\\x80\\x80" },
	{ "\xe2\x80", "\\xe2\\x80", "\\xe2\\x80" },
	/* a cut sequence followed by a whole one */
	{ "\xe2\xe2\x80\xae", "\\xe2\\u202e", "\\xe2\\u202e" },
	/* a backslash stays as it is */
	{ "DOM\\user \\x1b", "DOM\\user \\x1b", "DOM\\user \\x1b" },
};

START_TEST(test_escape)
{
	const char *src = escape_cases[_i].src;
	char buf[256];
	size_t len;

	len = lockout_utf8_escape(buf, sizeof(buf), src, 0);
	ck_assert_str_eq(buf, escape_cases[_i].text);
	ck_assert_uint_eq(len, strlen(escape_cases[_i].text));
	ck_assert_uint_eq(lockout_utf8_escape(NULL, 0, src, 0), len);

	len = lockout_utf8_escape(buf, sizeof(buf), src,
				  LOCKOUT_UTF8_ESCAPE_ASCII);
	ck_assert_str_eq(buf, escape_cases[_i].ascii);
	ck_assert_uint_eq(len, strlen(escape_cases[_i].ascii));
}
END_TEST

/* Every size: a prefix of the whole, made of whole escapes and
   characters, NUL-terminated, and the same returned length. */
START_TEST(test_plain_span)
{
	ck_assert_uint_eq(lockout_utf8_plain_span(""), 0);
	ck_assert_uint_eq(lockout_utf8_plain_span(" ~plain\\text"), 12);
	ck_assert_uint_eq(lockout_utf8_plain_span("ab\x1b" "cd"), 2);
	ck_assert_uint_eq(lockout_utf8_plain_span("ab\x7f"), 2);
	ck_assert_uint_eq(lockout_utf8_plain_span("caf\xc3\xa9"), 3);
	ck_assert_uint_eq(lockout_utf8_plain_span("\tx"), 0);
}
END_TEST

START_TEST(test_escape_bounded)
{
	const char *src = "a\x1b" "b\xc2\x9b\xe2\x80\xae\xc3\xa9\xff" "z";
	const char *whole = "a\\x1bb\\u009b\\u202e\xc3\xa9\\xffz";
	/* where the output may end */
	static const size_t cuts[] = { 0, 1, 5, 6, 12, 18, 20, 24, 25 };
	char buf[64];
	size_t size, len, i, want;

	ck_assert_uint_eq(strlen(whole), 25);
	for (size = 1; size <= 27; size++) {
		memset(buf, 'X', sizeof(buf));
		len = lockout_utf8_escape(buf, size, src, 0);
		ck_assert_uint_eq(len, 25);
		want = 0;
		for (i = 0; i < N_ELEMENTS(cuts); i++) {
			if (cuts[i] < size)
				want = cuts[i];
		}
		ck_assert_uint_eq(strlen(buf), want);
		ck_assert_int_eq(memcmp(buf, whole, want), 0);
		ck_assert_int_eq(buf[size], 'X');
	}
	/* size 0 writes nothing */
	buf[0] = 'X';
	ck_assert_uint_eq(lockout_utf8_escape(buf, 0, src, 0), 25);
	ck_assert_int_eq(buf[0], 'X');
}
END_TEST

START_TEST(test_append_escaped)
{
	struct lockout_str str;

	lockout_str_init(&str);
	lockout_utf8_append_escaped(&str, "esc\x1b[1m \xc2\x9b", 0, 0);
	ck_assert_str_eq(lockout_str_c(&str), "esc\\x1b[1m \\u009b");
	lockout_str_clear(&str);
	/* max counts output bytes, never cuts an escape, then "..." */
	lockout_utf8_append_escaped(&str, "ab\x1b" "cd", 3, 0);
	ck_assert_str_eq(lockout_str_c(&str), "ab...");
	lockout_str_clear(&str);
	lockout_utf8_append_escaped(&str, "ab\x1b" "cd", 6, 0);
	ck_assert_str_eq(lockout_str_c(&str), "ab\\x1b...");
	lockout_str_clear(&str);
	lockout_utf8_append_escaped(&str, "ab\x1b" "cd", 8, 0);
	ck_assert_str_eq(lockout_str_c(&str), "ab\\x1bcd");
	lockout_str_clear(&str);
	lockout_utf8_append_escaped(&str, "caf\xc3\xa9", 4, 0);
	ck_assert_str_eq(lockout_str_c(&str), "caf...");
	lockout_str_clear(&str);
	lockout_utf8_append_escaped(&str, "caf\xc3\xa9", 9,
				    LOCKOUT_UTF8_ESCAPE_ASCII);
	ck_assert_str_eq(lockout_str_c(&str), "caf\\u00e9");
	lockout_str_free(&str);
}
END_TEST

/* Random bytes: the output never holds an unsafe character or invalid
   UTF-8, and ASCII mode gives printable ASCII only. */
START_TEST(test_escape_random)
{
	static const unsigned char pieces[][4] = {
		"\x1b", "\x7f", "\xc2\x9b", "\xe2\x80\xae", "\xe2\x81\xa6",
		"\xc3\xa9", "\xff", "\xc2", "\xe2\x80", "\xf0\x9f\x98\x80",
		"a", "\\", "\xd8\x9c", "\xe2\x80\xa8",
	};
	char src[64], out[64 * 10 + 1];
	const unsigned char *p;
	unsigned int i, round, n, bad = 0;
	size_t len, step;
	uint32_t cp;

	srandom(1211);
	for (round = 0; round < 20000; round++) {
		len = 0;
		n = (unsigned int)(random() % 12);
		for (i = 0; i < n; i++) {
			const unsigned char *piece =
				pieces[random() % N_ELEMENTS(pieces)];

			if (random() % 4 == 0) {
				src[len++] = (char)(1 + random() % 255);
				continue;
			}
			memcpy(src + len, piece, strlen((const char *)piece));
			len += strlen((const char *)piece);
		}
		src[len] = '\0';
		(void)lockout_utf8_escape(out, sizeof(out), src, 0);
		for (p = (const unsigned char *)out; *p != '\0'; p += step) {
			step = lockout_utf8_decode(p, &cp);
			if (cp == UINT32_MAX || lockout_utf8_is_unsafe(cp))
				bad++;
		}
		(void)lockout_utf8_escape(out, sizeof(out), src,
					  LOCKOUT_UTF8_ESCAPE_ASCII);
		for (p = (const unsigned char *)out; *p != '\0'; p++) {
			if (*p < 0x20 || *p >= 0x7f)
				bad++;
		}
	}
	/* one assertion: Check records each one (slow in a loop) */
	ck_assert_uint_eq(bad, 0);
}
END_TEST

/* The JSON writer follows the same rule, with JSON's \uXXXX. */
static const struct {
	const char *src, *json;
} json_cases[] = {
	{ "esc\x1b[31m", "\"esc\\u001b[31m\"" },
	{ "csi\xc2\x9b", "\"csi\\u009b\"" },
	{ "rlo\xe2\x80\xae" "x", "\"rlo\\u202ex\"" },
	{ "\xe2\x81\xa6\xe2\x80\x8f\xd8\x9c\xe2\x80\xa8",
	  "\"\\u2066\\u200f\\u061c\\u2028\"" },
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
};

START_TEST(test_json_same_rule)
{
	struct lockout_str str;

	lockout_str_init(&str);
	lockout_json_append_string(&str, json_cases[_i].src);
	ck_assert_str_eq(lockout_str_c(&str), json_cases[_i].json);
	lockout_str_free(&str);
}
END_TEST

static Suite *utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_is_unsafe, 0, N_ELEMENTS(unsafe_cases));
	tcase_add_test(tc, test_is_unsafe_all);
	tcase_add_loop_test(tc, test_escape, 0, N_ELEMENTS(escape_cases));
	tcase_add_test(tc, test_plain_span);
	tcase_add_test(tc, test_escape_bounded);
	tcase_add_test(tc, test_append_escaped);
	tcase_add_test(tc, test_escape_random);
	tcase_add_loop_test(tc, test_json_same_rule, 0,
			    N_ELEMENTS(json_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(utf8_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
