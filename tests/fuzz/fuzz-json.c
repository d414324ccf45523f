/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* libFuzzer target for the JSON reader (src/lib-lockout/lockout-json-read.c),
   built and run by scripts/fuzz.sh under ASan and UBSan.
   Every entry point is fed the input; the results must keep their
   contracts. With -DHAVE_JANSSON the reader's verdict on the whole document
   is compared with jansson's, where both mean the same thing by valid. */
#include "lockout-json.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_JANSSON
#  include <jansson.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static const char *const keys[] = { "t", "ip", "user", "a", "" };
#define KEYS (sizeof(keys) / sizeof(keys[0]))

#ifdef HAVE_JANSSON
/* Containers nested in value, itself included. */
static unsigned int json_depth(json_t *value)
{
	bool object = json_is_object(value);
	unsigned int depth = 0, d;
	void *iter = NULL;
	json_t *child;
	size_t i, n;

	if (!object && !json_is_array(value))
		return 0;
	n = object ? json_object_size(value) : json_array_size(value);
	if (object)
		iter = json_object_iter(value);
	for (i = 0; i < n; i++) {
		if (object) {
			child = json_object_iter_value(iter);
			iter = json_object_iter_next(value, iter);
		} else {
			child = json_array_get(value, i);
		}
		d = json_depth(child);
		if (d > depth)
			depth = d;
	}
	return depth + 1;
}

/* Valid for the reader: an RFC 8259 object, nesting at most 32 below the
   top level (33 with it). jansson has other limits: numbers that do not fit
   its integer or double, NUL in keys, depth 2048; those documents are not
   compared. */
static void compare_with_jansson(const char *doc, bool ours)
{
	json_error_t error;
	json_t *root;

	root = json_loads(doc, JSON_ALLOW_NUL, &error);
	if (root == NULL) {
		if (strstr(error.text, "too big") != NULL ||
		    strstr(error.text, "overflow") != NULL ||
		    strstr(error.text, "NUL byte in object key") != NULL ||
		    strstr(error.text, "maximum parsing depth") != NULL)
			return;
		CHECK(!ours);
		return;
	}
	CHECK(ours == (json_is_object(root) && json_depth(root) <= 33));
	json_decref(root);
}
#endif

/* Every member's value lies in the document, ends after it starts, and
   the members come in order. */
struct members_ctx {
	const char *doc, *end, *last;
};

static int member_cb(const char *key, const char *value, void *context)
{
	struct members_ctx *ctx = context;
	const char *end = lockout_json_value_end(value);

	CHECK(key == NULL || strlen(key) <= 63);
	CHECK(value > ctx->last && value < ctx->end);
	CHECK(end > value && end <= ctx->end);
	ctx->last = end;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct members_ctx members;
	const char *values[KEYS];
	char *doc, buf[16];
	size_t i, len;
	int64_t num;
	double d;
	int ret;

	doc = malloc(size + 1);
	if (doc == NULL)
		return 0;
	memcpy(doc, data, size);
	doc[size] = '\0';

	/* the strict check alone */
	ret = lockout_json_find_values(doc, keys, 0, values);
	CHECK(ret == 0 || ret == -1);
#ifdef HAVE_JANSSON
	compare_with_jansson(doc, ret == 0);
#endif
	if (lockout_json_find_values(doc, keys, KEYS, values) == 0) {
		for (i = 0; i < KEYS; i++) {
			if (values[i] == NULL)
				continue;
			CHECK(values[i] >= doc && values[i] < doc + size);
			if (lockout_json_value_string(values[i], buf,
						      sizeof(buf), &len) == 0)
				CHECK(len < sizeof(buf) && buf[len] == '\0' &&
				      strlen(buf) == len);
			else
				CHECK(buf[0] == '\0' && len == 0);
			if (lockout_json_value_double(values[i], &d) == 0)
				CHECK(isfinite(d));
			else
				CHECK(d == 0);
		}
	} else {
		for (i = 0; i < KEYS; i++)
			CHECK(values[i] == NULL);
	}
	members.doc = members.last = doc;
	members.end = doc + size;
	CHECK(lockout_json_iter_members(doc, member_cb, &members) ==
	      (ret == 0 ? 0 : -1));
	ret = lockout_json_get_int(doc, "a", &num);
	CHECK(ret >= -1 && ret <= 1);
	ret = lockout_json_get_string(doc, "user", buf, sizeof(buf));
	CHECK(ret >= -1 && ret <= 1);
	CHECK(ret == 1 ? strlen(buf) < sizeof(buf) : buf[0] == '\0');
	ret = lockout_json_get_double(doc, "t", &d);
	CHECK(ret >= -1 && ret <= 1);
	CHECK(ret == 1 ? isfinite(d) : d == 0);
	free(doc);
	return 0;
}
