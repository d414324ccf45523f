/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-golden.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path)
{
	char *buf;
	long len;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return NULL;
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	ck_assert_int_ge(len, 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

void golden_check(const char *name, const char *actual)
{
	const char *update = getenv("LOCKOUT_GOLDEN_UPDATE");
	char path[1024], *expected;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", LOCKOUT_GOLDEN_DIR, name);
	if (update != NULL && strcmp(update, "1") == 0) {
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(actual, f);
		ck_assert_int_eq(fclose(f), 0);
		return;
	}
	expected = read_file(path);
	ck_assert_msg(expected != NULL, "golden file %s missing", path);
	ck_assert_msg(strcmp(expected, actual) == 0, "%s differs; got:\n%s",
		      name, actual);
	free(expected);
}
