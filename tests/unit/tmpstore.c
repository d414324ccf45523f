/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "tmpstore.h"

#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpstore_dir[64];

static void test_tmpstore_init(const char *prefix)
{
	snprintf(tmpstore_dir, sizeof(tmpstore_dir), "/tmp/%s.XXXXXX",
		 prefix);
	if (mkdtemp(tmpstore_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static void test_tmpstore_deinit(void)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;

	dir = opendir(tmpstore_dir);
	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpstore_dir, d->d_name);
		(void)unlink(path);
	}
	(void)closedir(dir);
	(void)rmdir(tmpstore_dir);
}

const char *test_tmpstore_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.db", tmpstore_dir, name);
	return path;
}

struct lockout_store *test_tmpstore_open(const char *name)
{
	struct lockout_store *store;
	const char *error = NULL;

	/* a short busy timeout: the busy tests hold a lock on purpose */
	if (lockout_store_open(test_tmpstore_path(name),
			       LOCKOUT_STORE_FLAG_CREATE, 50, &store,
			       &error) < 0)
		ck_abort_msg("open %s failed: %s", name, error);
	return store;
}

int test_tmpstore_run(Suite *suite, const char *prefix)
{
	SRunner *sr;
	int failed;

	test_tmpstore_init(prefix);
	sr = srunner_create(suite);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	test_tmpstore_deinit();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
