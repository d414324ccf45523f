/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#define _GNU_SOURCE /* pipe2() */
#include "lockout-doveconf.h"
#include "lockout-error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DOVECONF_MAX_OUTPUT (1024 * 1024)

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

struct doveconf_pairs {
	const struct lockout_doveconf_pair *pairs;
	size_t count;
};

static const char *doveconf_lookup(const char *name, void *context)
{
	const struct doveconf_pairs *ctx = context;
	size_t i;

	/* the last one wins, as in Dovecot's own configuration */
	for (i = ctx->count; i > 0; i--) {
		if (strcmp(ctx->pairs[i - 1].name, name) == 0)
			return ctx->pairs[i - 1].value;
	}
	return NULL;
}

static bool doveconf_known_name(const char *name)
{
	size_t i, count = lockout_config_count();

	for (i = 0; i < count; i++) {
		if (strcmp(lockout_config_name(i), name) == 0)
			return true;
	}
	return false;
}

int lockout_doveconf_apply(struct lockout_config *cfg,
			   const struct lockout_doveconf_pair *pairs,
			   size_t count, const char **error_r)
{
	struct doveconf_pairs ctx = { pairs, count };
	size_t i;

	/* other names are not ours; a misspelt one of ours would silently
	   keep its default */
	for (i = 0; i < count; i++) {
		if (strncmp(pairs[i].name, "lockout_", 8) == 0 &&
		    !doveconf_known_name(pairs[i].name)) {
			*error_r = lockout_error_fmt("%.64s: unknown setting",
						     pairs[i].name);
			return -1;
		}
	}
	/* one loader for every adapter: empty values mean the default (or
	   "none" where the setting says so), and cross-checks run */
	return lockout_config_load(cfg, doveconf_lookup, &ctx, error_r);
}

/* The pairs of "name = value" lines at depth want_depth: 1 for the
   top level of the 2.3 plugin { } block (lines outside any block, or in
   nested ones, are not ours), 0 for the top level of 2.4's output. */
static int doveconf_parse_depth(struct lockout_config *cfg, const char *text,
				unsigned int want_depth, const char **error_r)
{
	struct lockout_doveconf_pair *pairs;
	char *copy, *line, *next, *eq;
	unsigned int depth = 0;
	size_t lines = 1, count = 0;
	const char *p;
	int ret;

	for (p = text; *p != '\0'; p++) {
		if (*p == '\n')
			lines++;
	}
	copy = strdup(text);
	pairs = calloc(lines, sizeof(*pairs));
	if (copy == NULL || pairs == NULL) {
		free(copy);
		free(pairs);
		*error_r = lockout_error_fmt("Out of memory");
		return -1;
	}
	for (line = copy; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line = trim(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (strcmp(line, "}") == 0) {
			if (depth > 0)
				depth--;
			continue;
		}
		if (line[strlen(line) - 1] == '{') {
			depth++;
			continue;
		}
		if (depth != want_depth)
			continue;
		eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		pairs[count].name = trim(line);
		pairs[count].value = trim(eq + 1);
		count++;
	}
	ret = lockout_doveconf_apply(cfg, pairs, count, error_r);
	free(pairs);
	free(copy);
	return ret;
}

int lockout_doveconf_parse(struct lockout_config *cfg, const char *text,
			   const char **error_r)
{
	return doveconf_parse_depth(cfg, text, 1, error_r);
}

int lockout_doveconf_parse_top(struct lockout_config *cfg, const char *text,
			       const char **error_r)
{
	return doveconf_parse_depth(cfg, text, 0, error_r);
}

static int read_all(int fd, char **buf_r, const char **error_r)
{
	size_t size = 4096, len = 0;
	char *buf, *nbuf;
	ssize_t n;

	buf = malloc(size);
	if (buf == NULL) {
		*error_r = lockout_error_fmt("Out of memory");
		return -1;
	}
	for (;;) {
		/* one byte past the limit tells "too large" from "exactly
		   at the limit", one more holds the NUL */
		if (len > DOVECONF_MAX_OUTPUT) {
			free(buf);
			*error_r = lockout_error_fmt(
				"doveconf output is too large");
			return -1;
		}
		if (len + 1 >= size) {
			size_t new_size = size * 2;

			if (new_size > DOVECONF_MAX_OUTPUT + 2)
				new_size = DOVECONF_MAX_OUTPUT + 2;
			nbuf = realloc(buf, new_size);
			if (nbuf == NULL) {
				free(buf);
				*error_r = lockout_error_fmt("Out of memory");
				return -1;
			}
			buf = nbuf;
			size = new_size;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = lockout_error_fmt(
				"read(doveconf) failed: %s", strerror(errno));
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*buf_r = buf;
	return 0;
}

/* Run doveconf with argv (NULL-terminated, argv[0] its path) without a
   shell. Returns 0 with its output (malloc()ed) in *output_r, or -1 with
   *error_r: what failed, or doveconf's exit status (doveconf itself said
   why on stderr, which it shares with us). */
static int doveconf_run(const char *const *argv, char **output_r,
			const char **error_r)
{
	int fds[2], status, ret;
	char *output = NULL;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		*error_r = lockout_error_fmt("pipe() failed: %s",
					     strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		*error_r = lockout_error_fmt("fork() failed: %s",
					     strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	ret = read_all(fds[0], &output, error_r);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			*error_r = lockout_error_fmt("waitpid() failed: %s",
						     strerror(errno));
			free(output);
			return -1;
		}
	}
	if (ret < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*error_r = lockout_error_fmt("failed (exit status %d)",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		free(output);
		return -1;
	}
	*output_r = output;
	return 0;
}

/* Run "<doveconf_path> [-c <config_path>] <args...>" and parse its output
   at depth (see doveconf_parse_depth()). */
static int doveconf_read_args(struct lockout_config *cfg,
			      const char *doveconf_path,
			      const char *config_path,
			      const char *const *args, size_t args_count,
			      unsigned int depth, const char **error_r)
{
	const char **argv;
	char *output;
	size_t i, argc = 0;
	int ret;

	argv = calloc(args_count + 5, sizeof(*argv));
	if (argv == NULL) {
		*error_r = lockout_error_fmt("Out of memory");
		return -1;
	}
	argv[argc++] = doveconf_path;
	/* values as written: doveconf hides whatever follows "pass" in a
	   value (lockout_db = ... passfile=#hidden_use-P_to_show#) */
	argv[argc++] = "-P";
	if (config_path != NULL) {
		argv[argc++] = "-c";
		argv[argc++] = config_path;
	}
	for (i = 0; i < args_count; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;

	ret = doveconf_run(argv, &output, error_r);
	free(argv);
	if (ret < 0) {
		char why[256];

		/* *error_r is lockout_error_fmt()'s buffer too */
		snprintf(why, sizeof(why), "%s", *error_r);
		*error_r = lockout_error_fmt("%s%s%s %s %s", doveconf_path,
			config_path == NULL ? "" : " -c ",
			config_path == NULL ? "" : config_path,
			args_count == 1 ? args[0] : "lockout_*", why);
		return -1;
	}
	if (depth == 0 && strncmp(output, "lockout_db =", 12) != 0 &&
	    strstr(output, "\nlockout_db =") == NULL) {
		/* 2.4's doveconf prints nothing, and succeeds, for a name
		   no settings module declares */
		free(output);
		*error_r = lockout_error_fmt("%s does not know lockout_db: "
			"is dovecot-lockout's settings module installed "
			"(modules/settings)?", doveconf_path);
		return -1;
	}
	ret = doveconf_parse_depth(cfg, output, depth, error_r);
	free(output);
	return ret;
}

int lockout_doveconf_read(struct lockout_config *cfg,
			  const char *doveconf_path, const char *config_path,
			  const char **error_r)
{
	static const char *const args[] = { "plugin" };

	return doveconf_read_args(cfg, doveconf_path, config_path, args, 1,
				  1, error_r);
}

int lockout_doveconf_read_top(struct lockout_config *cfg,
			      const char *doveconf_path,
			      const char *config_path, const char **error_r)
{
	size_t i, count = lockout_config_count();
	const char **names;
	int ret;

	names = calloc(count, sizeof(*names));
	if (names == NULL) {
		*error_r = lockout_error_fmt("Out of memory");
		return -1;
	}
	for (i = 0; i < count; i++)
		names[i] = lockout_config_name(i);
	ret = doveconf_read_args(cfg, doveconf_path, config_path, names,
				 count, 0, error_r);
	free(names);
	return ret;
}

int lockout_doveconf_value(const char *doveconf_path,
			   const char *config_path, const char *name,
			   char **value_r, const char **error_r)
{
	const char *argv[6];
	unsigned int argc = 0;
	char *output;
	size_t len;

	argv[argc++] = doveconf_path;
	if (config_path != NULL) {
		argv[argc++] = "-c";
		argv[argc++] = config_path;
	}
	argv[argc++] = "-h";
	argv[argc++] = name;
	argv[argc] = NULL;
	if (doveconf_run(argv, &output, error_r) < 0) {
		char why[256];

		/* *error_r is lockout_error_fmt()'s buffer too */
		snprintf(why, sizeof(why), "%s", *error_r);
		*error_r = lockout_error_fmt("%s%s%s -h %s %s", doveconf_path,
			config_path == NULL ? "" : " -c ",
			config_path == NULL ? "" : config_path, name, why);
		return -1;
	}
	len = strlen(output);
	while (len > 0 && (output[len - 1] == '\n' || output[len - 1] == ' '))
		output[--len] = '\0';
	*value_r = output;
	return 0;
}
