/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-build-config.h"
#include "lockout-doveconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

/* the doveconf configure found (CI installs Dovecot: it must be there) */
#define DOVECONF_PATH LOCKOUT_DOVECONF_PATH
#define MIB (1024 * 1024)

/* Defaults the parse cases compare with. */
#define DEF_FAILURES 10
#define DEF_WINDOW 600
#define DEF_ALLOW 2

/* doveconf-style text, the expected result, and the few settings checked
   afterwards (only on success). */
static const struct {
	const char *text;
	int ret;
	const char *error; /* substring of the error */
	unsigned int ip_failures;
	uint32_t ip_window;
	size_t allow_count;
} parse_cases[] = {
	{ "plugin {\n  lockout_ip_failures = 5\n  other = x\n}\n", 0, NULL,
	  5, DEF_WINDOW, DEF_ALLOW },
	{ "", 0, NULL, DEF_FAILURES, DEF_WINDOW, DEF_ALLOW },
	{ "plugin {\n}\n", 0, NULL, DEF_FAILURES, DEF_WINDOW, DEF_ALLOW },
	{ "\n\n\n", 0, NULL, DEF_FAILURES, DEF_WINDOW, DEF_ALLOW },
	/* nested blocks are not ours */
	{ "plugin {\n  sub {\n    lockout_ip_failures = 7\n  }\n"
	  "  lockout_ip_window = 2 mins\n}\n", 0, NULL,
	  DEF_FAILURES, 120, DEF_ALLOW },
	{ "plugin {\n  a {\n    b {\n      lockout_ip_failures = bad\n"
	  "    }\n    lockout_ip_window = bad\n  }\n}\n", 0, NULL,
	  DEF_FAILURES, DEF_WINDOW, DEF_ALLOW },
	/* nor is anything outside the block */
	{ "lockout_ip_failures = 7\nplugin {\n}\nlockout_ip_window = 1\n",
	  0, NULL, DEF_FAILURES, DEF_WINDOW, DEF_ALLOW },
	/* tabs, CRs, no spaces, comments, no final newline */
	{ "plugin {\r\n\tlockout_ip_failures\t=\t6\r\n}\r\n", 0, NULL,
	  6, DEF_WINDOW, DEF_ALLOW },
	{ "plugin {\n  lockout_ip_failures=8\n}\n", 0, NULL,
	  8, DEF_WINDOW, DEF_ALLOW },
	{ "# 2.3.19.1 (9b53102964): /etc/dovecot/dovecot.conf\nplugin {\n"
	  "  # lockout_ip_failures = 3\n  lockout_ip_window = 1 hour\n}\n",
	  0, NULL, DEF_FAILURES, 3600, DEF_ALLOW },
	{ "plugin {\n  lockout_ip_failures = 9\n}", 0, NULL,
	  9, DEF_WINDOW, DEF_ALLOW },
	{ "plugin {\n  lockout_ip_failures = 9   \n}\n", 0, NULL,
	  9, DEF_WINDOW, DEF_ALLOW },
	/* the last one wins, as in Dovecot */
	{ "plugin {\n  lockout_ip_failures = 3\n  lockout_ip_failures = 4\n"
	  "}\n", 0, NULL, 4, DEF_WINDOW, DEF_ALLOW },
	/* doveconf prints an empty setting as "name = " */
	{ "plugin {\n  lockout_allow_networks = \n}\n", 0, NULL,
	  DEF_FAILURES, DEF_WINDOW, 0 },
	{ "plugin {\n  lockout_allow_networks = 10.0.0.0/8, ::1 fe80::/10\n"
	  "}\n", 0, NULL, DEF_FAILURES, DEF_WINDOW, 3 },
	{ "plugin {\n  lockout_ip_window = \n  lockout_ip_failures =\n}\n",
	  0, NULL, DEF_FAILURES, DEF_WINDOW, DEF_ALLOW },
	/* invalid values name the setting and the value */
	{ "plugin {\n  lockout_ip_failures = lots\n}\n", -1,
	  "lockout_ip_failures", 0, 0, 0 },
	{ "plugin {\n  lockout_ip_failures = lots\n}\n", -1, "lots", 0, 0, 0 },
	{ "plugin {\n  lockout_ip_failures = 0\n}\n", -1,
	  "lockout_ip_failures", 0, 0, 0 },
	{ "plugin {\n  other = 1\n  lockout_ip_window = 5 parsecs\n}\n", -1,
	  "lockout_ip_window", 0, 0, 0 },
	{ "plugin {\n  lockout_allow_networks = 10.0.0.1/8\n}\n", -1,
	  "lockout_allow_networks", 0, 0, 0 },
	{ "plugin {\n  lockout_mode = maybe\n}\n", -1, "lockout_mode",
	  0, 0, 0 },
	/* a misspelt setting of ours is an error, not silently ignored */
	{ "plugin {\n  lockout_ip_falures = 5\n}\n", -1, "lockout_ip_falures",
	  0, 0, 0 },
	/* settings are checked together */
	{ "plugin {\n  lockout_ban_time = 8 days\n}\n", -1, "lockout_ban_time",
	  0, 0, 0 },
};

START_TEST(test_parse)
{
	struct lockout_config cfg;
	const char *error = NULL;
	int ret;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ret = lockout_doveconf_parse(&cfg, parse_cases[_i].text, &error);
	ck_assert_msg(ret == parse_cases[_i].ret, "'%s': returned %d (%s)",
		      parse_cases[_i].text, ret,
		      ret < 0 ? error : "no error");
	if (ret < 0) {
		ck_assert_ptr_nonnull(error);
		ck_assert_msg(strstr(error, parse_cases[_i].error) != NULL,
			      "error '%s' lacks '%s'", error,
			      parse_cases[_i].error);
	} else {
		ck_assert_uint_eq(cfg.ip_failures, parse_cases[_i].ip_failures);
		ck_assert_uint_eq(cfg.ip_window, parse_cases[_i].ip_window);
		ck_assert_uint_eq(cfg.allow_networks_count,
				  parse_cases[_i].allow_count);
	}
	/* a config is freeable after success and failure alike */
	lockout_config_free(&cfg);
}
END_TEST

START_TEST(test_parse_only_ours)
{
	struct lockout_config cfg, def;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_config_init(&def, &error), 0);
	ck_assert_int_eq(lockout_doveconf_parse(&cfg,
		"plugin {\n  lockout_ip_failures = 5\n  other = x\n"
		"  lockout_notify = a=b@example.org\n"
		"  quota = maildir:User quota\n}\n", &error), 0);
	ck_assert_uint_eq(cfg.ip_failures, 5);
	/* only the first '=' separates */
	ck_assert_str_eq(cfg.notify, "a=b@example.org");
	/* everything else keeps its default */
	ck_assert_uint_eq(cfg.ip_window, def.ip_window);
	ck_assert_uint_eq(cfg.ban_time, def.ban_time);
	ck_assert_uint_eq(cfg.max_sources, def.max_sources);
	ck_assert_uint_eq(cfg.ipv6_prefix, def.ipv6_prefix);
	ck_assert_str_eq(cfg.db, def.db);
	ck_assert_str_eq(cfg.sendmail, def.sendmail);
	ck_assert_int_eq(cfg.mode, def.mode);
	lockout_config_free(&cfg);
	lockout_config_free(&def);
}
END_TEST

/* Dovecot 2.4: "doveconf lockout_..." prints the settings at the top
   level; lines inside blocks (a passdb's, a protocol filter's) and other
   names are not ours. */
START_TEST(test_parse_top)
{
	struct lockout_config cfg, def;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_config_init(&def, &error), 0);
	ck_assert_int_eq(lockout_doveconf_parse_top(&cfg,
		"lockout_ip_failures = 5\nlockout_ip_window = 2 mins\n"
		"lockout_ban_time = \nother = x\n"
		"passdb lockout {\n  lockout_ip_failures = 7\n}\n"
		"plugin {\n  lockout_max_sources = 3\n}\n", &error), 0);
	ck_assert_uint_eq(cfg.ip_failures, 5);
	ck_assert_uint_eq(cfg.ip_window, 120);
	ck_assert_uint_eq(cfg.ban_time, def.ban_time);
	ck_assert_uint_eq(cfg.max_sources, def.max_sources);
	/* the 2.3 reader takes none of the top-level lines */
	lockout_config_free(&cfg);
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_doveconf_parse(&cfg,
		"lockout_ip_failures = 5\n", &error), 0);
	ck_assert_uint_eq(cfg.ip_failures, def.ip_failures);
	lockout_config_free(&cfg);
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_doveconf_parse_top(&cfg,
		"lockout_ip_windw = 1\n", &error), -1);
	ck_assert_msg(strstr(error, "lockout_ip_windw") != NULL, "%s", error);
	lockout_config_free(&cfg);
	lockout_config_free(&def);
}
END_TEST

/* Pairs as the auth process gets them from Dovecot's config server. */
START_TEST(test_apply_pairs)
{
	static const struct lockout_doveconf_pair pairs[] = {
		{ "quota", "maildir:User quota" },
		{ "lockout_ip_failures", "5" },
		{ "lockout_ip_window", "" },
		{ "lockout_ip_failures", "6" },
		{ "lockout_allow_networks", "" },
	};
	static const struct lockout_doveconf_pair bad[] = {
		{ "lockout_ip_failures", "6" },
		{ "lockout_ip_falures", "5" },
	};
	static const struct lockout_doveconf_pair invalid[] = {
		{ "lockout_ban_time", "9 fortnights" },
	};
	struct lockout_config cfg;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_msg(lockout_doveconf_apply(&cfg, pairs, N_ELEMENTS(pairs),
					     &error) == 0, "%s", error);
	/* the last one wins, empty means the default (or none) */
	ck_assert_uint_eq(cfg.ip_failures, 6);
	ck_assert_uint_eq(cfg.ip_window, DEF_WINDOW);
	ck_assert_uint_eq(cfg.allow_networks_count, 0);
	ck_assert_int_eq(lockout_doveconf_apply(&cfg, NULL, 0, &error), 0);
	ck_assert_int_eq(lockout_doveconf_apply(&cfg, bad, N_ELEMENTS(bad),
						&error), -1);
	ck_assert_str_eq(error, "lockout_ip_falures: unknown setting");
	ck_assert_int_eq(lockout_doveconf_apply(&cfg, invalid,
						N_ELEMENTS(invalid), &error),
			 -1);
	ck_assert_msg(strstr(error, "lockout_ban_time") != NULL &&
		      strstr(error, "9 fortnights") != NULL, "%s", error);
	lockout_config_free(&cfg);
}
END_TEST

/* The real doveconf is part of what is tested: missing, it is a failure,
   not a reason to skip. */
static void need_doveconf(void)
{
	ck_assert_msg(access(DOVECONF_PATH, X_OK) == 0,
		      "%s is missing: install Dovecot "
		      "(scripts/install-deps.sh)", DOVECONF_PATH);
}

/* A private directory for config files and fake doveconf programs. */
struct tmpdir {
	char path[64];
	char files[8][128];
	unsigned int count;
};

static void tmpdir_init(struct tmpdir *dir)
{
	memset(dir, 0, sizeof(*dir));
	snprintf(dir->path, sizeof(dir->path), "/tmp/test-doveconf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir->path));
}

/* Write a file of len bytes into dir; returns its path. */
static const char *tmpdir_write(struct tmpdir *dir, const char *name,
				const char *data, size_t len, mode_t mode)
{
	char *path;
	FILE *f;

	ck_assert_uint_lt(dir->count, N_ELEMENTS(dir->files));
	path = dir->files[dir->count++];
	/* via a local buffer: gcc -O2 sees dir->path and dir->files in one
	   object and warns (-Wrestrict) about a possible overlap */
	char buf[sizeof(dir->files[0])];
	snprintf(buf, sizeof(buf), "%s/%s", dir->path, name);
	memcpy(path, buf, sizeof(buf));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static const char *tmpdir_write_str(struct tmpdir *dir, const char *name,
				    const char *data, mode_t mode)
{
	return tmpdir_write(dir, name, data, strlen(data), mode);
}

static void tmpdir_deinit(struct tmpdir *dir)
{
	unsigned int i;

	for (i = 0; i < dir->count; i++)
		(void)unlink(dir->files[i]);
	ck_assert_int_eq(rmdir(dir->path), 0);
}

#ifndef LOCKOUT_DOVECOT_24
START_TEST(test_read_real_doveconf)
{
	struct lockout_config cfg;
	const char *path, *error = NULL;
	struct tmpdir dir;

	need_doveconf();
	tmpdir_init(&dir);
	path = tmpdir_write_str(&dir, "dovecot.conf",
		"protocols = imap\nssl = no\nplugin {\n"
		"  lockout_ip_window = 5 mins\n  lockout_ip_failures = 4\n"
		"  lockout_allow_networks =\n  lockout_ban_time =\n"
		"  lockout_mode = observe\n  mail_plugin_thing = yes\n}\n",
		0644);
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_msg(lockout_doveconf_read(&cfg, DOVECONF_PATH, path,
					    &error) == 0, "%s", error);
	ck_assert_uint_eq(cfg.ip_window, 300);
	ck_assert_uint_eq(cfg.ip_failures, 4);
	ck_assert_uint_eq(cfg.allow_networks_count, 0);
	/* empty means the default */
	ck_assert_uint_eq(cfg.ban_time, 3600);
	ck_assert_int_eq(cfg.mode, LOCKOUT_MODE_OBSERVE);
	lockout_config_free(&cfg);
	tmpdir_deinit(&dir);
}
END_TEST

START_TEST(test_read_real_doveconf_invalid)
{
	struct lockout_config cfg;
	const char *path, *error = NULL;
	struct tmpdir dir;

	need_doveconf();
	tmpdir_init(&dir);
	path = tmpdir_write_str(&dir, "dovecot.conf",
		"protocols = imap\nssl = no\nplugin {\n"
		"  lockout_ip_window = 5 fortnights\n}\n", 0644);
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_doveconf_read(&cfg, DOVECONF_PATH, path,
					       &error), -1);
	ck_assert_msg(strstr(error, "lockout_ip_window") != NULL, "%s", error);
	ck_assert_msg(strstr(error, "5 fortnights") != NULL, "%s", error);
	lockout_config_free(&cfg);
	tmpdir_deinit(&dir);
}
END_TEST
#else
/* Dovecot 2.4: the settings are at the top level, known to doveconf only
   through our settings module, which a build tree has not installed: the
   real doveconf must give the errors that say so. */
#define CONFIG_24 "dovecot_config_version = 2.4.1\n" \
	"dovecot_storage_version = 2.4.1\nprotocols = imap\nssl = no\n"

START_TEST(test_read_real_doveconf)
{
	struct lockout_config cfg;
	const char *path, *error = NULL;
	struct tmpdir dir;

	need_doveconf();
	tmpdir_init(&dir);
	/* no lockout_* setting: doveconf succeeds and prints nothing for
	   our names */
	path = tmpdir_write_str(&dir, "dovecot.conf", CONFIG_24, 0644);
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_doveconf_read_top(&cfg, DOVECONF_PATH, path,
						   &error), -1);
	ck_assert_msg(strstr(error, "settings module") != NULL, "%s", error);
	lockout_config_free(&cfg);
	tmpdir_deinit(&dir);
}
END_TEST

START_TEST(test_read_real_doveconf_invalid)
{
	struct lockout_config cfg;
	const char *path, *error = NULL;
	struct tmpdir dir;

	need_doveconf();
	tmpdir_init(&dir);
	/* a lockout_* setting without the module: doveconf refuses it */
	path = tmpdir_write_str(&dir, "dovecot.conf",
		CONFIG_24 "lockout_ip_window = 5 mins\n", 0644);
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_doveconf_read_top(&cfg, DOVECONF_PATH, path,
						   &error), -1);
	ck_assert_msg(strstr(error, "exit status") != NULL, "%s", error);
	lockout_config_free(&cfg);
	tmpdir_deinit(&dir);
}
END_TEST
#endif

START_TEST(test_read_missing_config)
{
	struct lockout_config cfg;
	const char *error = NULL;
	struct tmpdir dir;
	char path[128];

	need_doveconf();
	tmpdir_init(&dir);
	snprintf(path, sizeof(path), "%s/missing.conf", dir.path);
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_doveconf_read(&cfg, DOVECONF_PATH, path,
					       &error), -1);
	ck_assert_msg(strstr(error, "exit status") != NULL, "%s", error);
	ck_assert_msg(strstr(error, path) != NULL, "%s", error);
	ck_assert_uint_eq(cfg.ip_failures, DEF_FAILURES);
	lockout_config_free(&cfg);
	tmpdir_deinit(&dir);
}
END_TEST

START_TEST(test_read_missing_doveconf)
{
	struct lockout_config cfg;
	const char *error = NULL;

	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_doveconf_read(&cfg,
		"/nonexistent/bin/doveconf", NULL, &error), -1);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error, "/nonexistent/bin/doveconf") != NULL,
		      "%s", error);
	ck_assert_int_eq(lockout_doveconf_read(&cfg, "/nonexistent/doveconf",
					       "/etc/dovecot/dovecot.conf",
					       &error), -1);
	lockout_config_free(&cfg);
}
END_TEST

/* Fake doveconf programs: what they print tells what they were given. */
#define FAKE_ARGS \
	"#!/bin/sh\n" \
	"printf 'plugin {\\n  lockout_notify = %s|%s|%s|%s|%s\\n}\\n' " \
	"\"$#\" \"$1\" \"$2\" \"$3\" \"$4\"\n"

START_TEST(test_read_argv_without_shell)
{
	struct lockout_config cfg;
	const char *prog, *error = NULL;
	char expected[256];
	struct tmpdir dir;

	tmpdir_init(&dir);
	prog = tmpdir_write_str(&dir, "doveconf", FAKE_ARGS, 0755);
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);

	ck_assert_msg(lockout_doveconf_read(&cfg, prog, NULL, &error) == 0,
		      "%s", error);
	/* -P: values as written (doveconf hides what follows "pass" in
	   them: lockout_db's passfile=) */
	ck_assert_str_eq(cfg.notify, "2|-P|plugin||");

	/* the path reaches doveconf as one argument, never through a
	   shell */
	ck_assert_msg(lockout_doveconf_read(&cfg, prog,
					    "/etc/a b;$(echo x)'.conf",
					    &error) == 0, "%s", error);
	snprintf(expected, sizeof(expected), "4|-P|-c|%s|plugin",
		 "/etc/a b;$(echo x)'.conf");
	ck_assert_str_eq(cfg.notify, expected);
	lockout_config_free(&cfg);
	tmpdir_deinit(&dir);
}
END_TEST

START_TEST(test_read_exit_status)
{
	struct lockout_config cfg;
	const char *prog, *error = NULL;
	struct tmpdir dir;

	tmpdir_init(&dir);
	/* valid output, but doveconf failed: the output is not trusted */
	prog = tmpdir_write_str(&dir, "doveconf",
		"#!/bin/sh\n"
		"printf 'plugin {\\n  lockout_ip_failures = 3\\n}\\n'\n"
		"exit 75\n", 0755);
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ck_assert_int_eq(lockout_doveconf_read(&cfg, prog, "/x.conf", &error),
			 -1);
	ck_assert_msg(strstr(error, "exit status 75") != NULL, "%s", error);
	ck_assert_uint_eq(cfg.ip_failures, DEF_FAILURES);
	lockout_config_free(&cfg);
	tmpdir_deinit(&dir);
}
END_TEST

/* Output of exactly len bytes: a plugin block padded with a comment line. */
static char *big_output(size_t len)
{
	static const char head[] = "plugin {\n  lockout_ip_failures = 7\n#";
	static const char tail[] = "\n}\n";
	char *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_gt(len, sizeof(head) + sizeof(tail));
	memset(buf, 'x', len);
	memcpy(buf, head, sizeof(head) - 1);
	memcpy(buf + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	return buf;
}

static const struct {
	size_t len;
	int ret;
} size_cases[] = {
	{ 100, 0 },
	{ 64 * 1024, 0 },
	{ MIB - 2, 0 },
	/* "at most 1 MiB": 1 MiB itself is fine */
	{ MIB - 1, 0 },
	{ MIB, 0 },
	{ MIB + 1, -1 },
	{ 4 * MIB, -1 },
};

START_TEST(test_read_output_limit)
{
	struct lockout_config cfg;
	const char *prog, *error = NULL;
	struct tmpdir dir;
	unsigned int failures;
	char *output;
	int ret;

	tmpdir_init(&dir);
	output = big_output(size_cases[_i].len);
	(void)tmpdir_write(&dir, "output", output, size_cases[_i].len, 0644);
	free(output);
	prog = tmpdir_write_str(&dir, "doveconf",
		"#!/bin/sh\nexec cat \"$(dirname \"$0\")/output\"\n", 0755);
	ck_assert_int_eq(lockout_config_init(&cfg, &error), 0);
	ret = lockout_doveconf_read(&cfg, prog, NULL, &error);
	failures = cfg.ip_failures;
	lockout_config_free(&cfg);
	/* clean up before any assertion can end the test */
	tmpdir_deinit(&dir);
	ck_assert_msg(ret == size_cases[_i].ret,
		      "%zu bytes of output: returned %d (%s)",
		      size_cases[_i].len, ret, ret < 0 ? error : "no error");
	if (ret == 0)
		ck_assert_uint_eq(failures, 7);
	else
		ck_assert_msg(strstr(error, "too large") != NULL, "%s", error);
}
END_TEST

static Suite *doveconf_suite(void)
{
	Suite *s = suite_create("lockout-doveconf");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_parse, 0, N_ELEMENTS(parse_cases));
	tcase_add_test(tc, test_parse_only_ours);
	tcase_add_test(tc, test_apply_pairs);
	tcase_add_test(tc, test_parse_top);
	tcase_add_test(tc, test_read_real_doveconf);
	tcase_add_test(tc, test_read_real_doveconf_invalid);
	tcase_add_test(tc, test_read_missing_config);
	tcase_add_test(tc, test_read_missing_doveconf);
	tcase_add_test(tc, test_read_argv_without_shell);
	tcase_add_test(tc, test_read_exit_status);
	tcase_add_loop_test(tc, test_read_output_limit, 0,
			    N_ELEMENTS(size_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(doveconf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
