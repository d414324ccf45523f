/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#define _GNU_SOURCE /* pipe2() */
#include "lockout-doveconf.h"
#include "lockout-error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

struct doveconf_pair {
	const char *name, *value;
};

struct doveconf_pairs {
	struct doveconf_pair *pairs;
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

/* Keep a lockout_* pair (others are not ours). */
static void doveconf_pairs_add(struct doveconf_pairs *ctx, const char *name,
			       const char *value)
{
	if (strncmp(name, "lockout_", 8) != 0)
		return;
	ctx->pairs[ctx->count].name = name;
	ctx->pairs[ctx->count].value = value;
	ctx->count++;
}

static int doveconf_pairs_apply(struct lockout_config *cfg,
				const struct doveconf_pairs *ctx,
				const char **error_r)
{
	size_t i;

	/* a misspelt setting would silently keep its default */
	for (i = 0; i < ctx->count; i++) {
		if (!doveconf_known_name(ctx->pairs[i].name)) {
			*error_r = lockout_error_fmt("%.64s: unknown setting",
						     ctx->pairs[i].name);
			return -1;
		}
	}
	/* one loader for every adapter: empty values mean the default (or
	   "none" where the setting says so), and cross-checks run */
	return lockout_config_load(cfg, doveconf_lookup, (void *)ctx,
				   error_r);
}

int lockout_doveconf_parse(struct lockout_config *cfg, const char *text,
			   const char **error_r)
{
	struct doveconf_pairs ctx = { NULL, 0 };
	char *copy, *line, *next, *name, *value, *eq;
	unsigned int depth = 0;
	size_t lines = 1;
	const char *p;
	int ret;

	for (p = text; *p != '\0'; p++) {
		if (*p == '\n')
			lines++;
	}
	copy = strdup(text);
	ctx.pairs = calloc(lines, sizeof(*ctx.pairs));
	if (copy == NULL || ctx.pairs == NULL) {
		free(copy);
		free(ctx.pairs);
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
		/* only the top level of the plugin block is ours */
		if (depth != 1)
			continue;
		eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		name = trim(line);
		value = trim(eq + 1);
		doveconf_pairs_add(&ctx, name, value);
	}
	ret = doveconf_pairs_apply(cfg, &ctx, error_r);
	free(ctx.pairs);
	free(copy);
	return ret;
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
			*error_r = lockout_error_fmt("read(doveconf) failed: %s",
						     strerror(errno));
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

int lockout_doveconf_read(struct lockout_config *cfg,
			  const char *doveconf_path, const char *config_path,
			  const char **error_r)
{
	const char *argv[5];
	int fds[2], status, ret;
	char *output = NULL;
	unsigned int argc = 0;
	pid_t pid;

	argv[argc++] = doveconf_path;
	if (config_path != NULL) {
		argv[argc++] = "-c";
		argv[argc++] = config_path;
	}
	argv[argc++] = "plugin";
	argv[argc] = NULL;

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
		execv(doveconf_path, (char *const *)argv);
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
		*error_r = lockout_error_fmt(
			"%s%s%s plugin failed (exit status %d)", doveconf_path,
			config_path == NULL ? "" : " -c ",
			config_path == NULL ? "" : config_path,
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		free(output);
		return -1;
	}
	ret = lockout_doveconf_parse(cfg, output, error_r);
	free(output);
	return ret;
}

/* Dovecot's config protocol, as its own processes speak it on the config
   socket: a handshake and a request, answered by a header line, then
   "key=value" lines, then an empty line. The plugin settings come with
   module=mail as "plugin/<name>=<value>". */
#define CONFIG_REQUEST \
	"VERSION\tconfig\t2\t0\nREQ\tmodule=mail\tservice=auth\n"
#define CONFIG_READ_TIMEOUT_SECS 10

static int config_socket_read(int fd, char **buf_r, const char **error_r)
{
	size_t size = 8192, len = 0;
	char *buf, *nbuf, *end;
	struct pollfd pfd;
	ssize_t n;
	int ret;

	buf = malloc(size);
	if (buf == NULL) {
		*error_r = lockout_error_fmt("Out of memory");
		return -1;
	}
	for (;;) {
		/* the reply ends with an empty line after the header line */
		buf[len] = '\0';
		end = strchr(buf, '\n');
		if (end != NULL && strstr(end, "\n\n") != NULL)
			break;
		if (len + 1 >= size) {
			nbuf = size >= DOVECONF_MAX_OUTPUT ? NULL :
				realloc(buf, size * 2);
			if (nbuf == NULL) {
				free(buf);
				*error_r = lockout_error_fmt(
					"config reply too large");
				return -1;
			}
			buf = nbuf;
			size *= 2;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		ret = poll(&pfd, 1, CONFIG_READ_TIMEOUT_SECS * 1000);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			free(buf);
			*error_r = lockout_error_fmt(ret == 0 ?
				"timeout reading the config socket" :
				"poll() failed: %s", strerror(errno));
			return -1;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && strstr(buf, "ERROR") != NULL)
			break; /* the server explains, then hangs up */
		if (n <= 0) {
			free(buf);
			*error_r = lockout_error_fmt(n == 0 ?
				"config socket closed the connection early" :
				"read() failed: %s", strerror(errno));
			return -1;
		}
		len += (size_t)n;
	}
	*buf_r = buf;
	return 0;
}

static int config_socket_parse(struct lockout_config *cfg, char *reply,
			       const char **error_r)
{
	struct doveconf_pairs ctx = { NULL, 0 };
	char *line, *next, *eq;
	size_t lines = 1;
	const char *p;
	int ret;

	p = strstr(reply, "ERROR");
	if (p != NULL && (p == reply || p[-1] == '\n')) {
		*error_r = lockout_error_fmt("config server: %.200s", p);
		return -1;
	}
	for (p = reply; *p != '\0'; p++) {
		if (*p == '\n')
			lines++;
	}
	ctx.pairs = calloc(lines, sizeof(*ctx.pairs));
	if (ctx.pairs == NULL) {
		*error_r = lockout_error_fmt("Out of memory");
		return -1;
	}
	/* skip the header line */
	line = strchr(reply, '\n');
	for (line = line + 1; line != NULL && *line != '\n' && *line != '\0';
	     line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, "plugin/", 7) != 0)
			continue;
		eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		doveconf_pairs_add(&ctx, line + 7, eq + 1);
	}
	ret = doveconf_pairs_apply(cfg, &ctx, error_r);
	free(ctx.pairs);
	return ret;
}

int lockout_dovecot_config_read(struct lockout_config *cfg,
				const char *doveconf_path,
				const char *config_path,
				const char **error_r)
{
	union {
		struct sockaddr sa;
		struct sockaddr_un un;
	} addr;
	struct stat st;
	char *reply;
	size_t left, off;
	ssize_t n;
	int fd, ret;

	if (config_path == NULL || stat(config_path, &st) < 0 ||
	    !S_ISSOCK(st.st_mode))
		return lockout_doveconf_read(cfg, doveconf_path, config_path,
					     error_r);

	memset(&addr, 0, sizeof(addr));
	addr.un.sun_family = AF_UNIX;
	if (strlen(config_path) >= sizeof(addr.un.sun_path)) {
		*error_r = lockout_error_fmt("config socket path too long");
		return -1;
	}
	strcpy(addr.un.sun_path, config_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, &addr.sa, sizeof(addr.un)) < 0) {
		*error_r = lockout_error_fmt("connect(%s) failed: %s",
					     config_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	left = strlen(CONFIG_REQUEST);
	for (off = 0; left > 0; ) {
		n = write(fd, CONFIG_REQUEST + off, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*error_r = lockout_error_fmt("write(%s) failed: %s",
						     config_path,
						     strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)n;
		left -= (size_t)n;
	}
	ret = config_socket_read(fd, &reply, error_r);
	close(fd);
	if (ret < 0)
		return -1;
	ret = config_socket_parse(cfg, reply, error_r);
	free(reply);
	return ret;
}
