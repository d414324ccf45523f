/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* libFuzzer target for the one escaping rule of text shown to people
   (lockout_utf8_escape(), lockout_utf8_append_escaped(),
   lockout_utf8_plain_span() in
   src/lib-lockout/lockout-utf8.c) and the JSON writer that follows it,
   built and run by scripts/fuzz.sh under ASan and UBSan. The first byte
   picks an output size for the bounded call; the rest is the text. */
#include "fuzz-common.h"
#include "lockout-json.h"
#include "lockout-utf8.h"

/* valid UTF-8 holding no character the rule escapes (at most len bytes) */
static void check_safe(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n;
	uint32_t cp;

	for (; *p != '\0'; p += n) {
		n = lockout_utf8_decode(p, &cp);
		CHECK(cp != UINT32_MAX && !lockout_utf8_is_unsafe(cp));
	}
	CHECK((size_t)(p - (const unsigned char *)text) == len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "a" };
	struct lockout_str str;
	const char *values[1];
	char *src, *whole, *part, *ascii;
	size_t len, part_len, part_size, i;

	if (size == 0)
		return 0;
	part_size = data[0];
	src = fuzz_strdup(data + 1, size - 1);
	CHECK(src != NULL);

	len = lockout_utf8_escape(NULL, 0, src, 0);
	/* an escape is at most 4 times what it stands for */
	CHECK(len <= strlen(src) * 4);
	whole = malloc(len + 1);
	CHECK(whole != NULL);
	CHECK(lockout_utf8_escape(whole, len + 1, src, 0) == len);
	CHECK(strlen(whole) == len);
	check_safe(whole, len);
	/* the plain run is left as it is, and all of it when it is the
	   whole text */
	i = lockout_utf8_plain_span(src);
	CHECK(i <= strlen(src) && memcmp(whole, src, i) == 0);
	if (src[i] == '\0')
		CHECK(len == i);
	else
		CHECK(src[i] < 0x20 || src[i] > 0x7e);

	/* bounded: a prefix of the whole, ending between two escapes or
	   characters, the same length returned */
	part = malloc(part_size + 1);
	CHECK(part != NULL);
	part[part_size] = 'X';
	CHECK(lockout_utf8_escape(part, part_size, src, 0) == len);
	CHECK(part[part_size] == 'X');
	if (part_size > 0) {
		part_len = strlen(part);
		CHECK(part_len < part_size && part_len <= len);
		CHECK(memcmp(part, whole, part_len) == 0);
		check_safe(part, part_len);
		if (len < part_size)
			CHECK(part_len == len);
	}

	/* 7-bit */
	len = lockout_utf8_escape(NULL, 0, src, LOCKOUT_UTF8_ESCAPE_ASCII);
	ascii = malloc(len + 1);
	CHECK(ascii != NULL);
	CHECK(lockout_utf8_escape(ascii, len + 1, src,
				  LOCKOUT_UTF8_ESCAPE_ASCII) == len);
	for (i = 0; i < len; i++)
		CHECK(ascii[i] >= 0x20 && ascii[i] < 0x7f);

	/* appended with a limit: at most max bytes and "..." */
	lockout_str_init(&str);
	lockout_utf8_append_escaped(&str, src, part_size, 0);
	CHECK(lockout_str_c(&str) != NULL);
	CHECK(part_size == 0 || str.len <= part_size + 3);
	check_safe(str.data == NULL ? "" : str.data, str.len);

	/* the JSON writer: safe text, and JSON the reader takes back */
	lockout_str_clear(&str);
	lockout_str_append(&str, "{\"a\":");
	lockout_json_append_string(&str, src);
	lockout_str_append(&str, "}");
	CHECK(lockout_str_c(&str) != NULL);
	check_safe(str.data, str.len);
	CHECK(lockout_json_find_values(str.data, keys, 1, values) == 0);
	CHECK(values[0] != NULL);
	lockout_str_free(&str);

	free(ascii);
	free(part);
	free(whole);
	free(src);
	return 0;
}
