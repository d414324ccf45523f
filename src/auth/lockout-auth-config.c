/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "array.h"
#include "istream.h"
#include "net.h"
#include "write-full.h"
#include "lockout-auth-config.h"
#include "lockout-doveconf.h"

#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Dovecot 2.3's config protocol, as its own processes speak it on the
   config socket: a handshake and a request, answered by a header line,
   then "key=value" lines, then an empty line; or by an "ERROR <reason>"
   line and a hang-up. With module=mail the plugin settings come as
   "plugin/<name>=<value>". */

#define CONFIG_REQUEST \
	"VERSION\tconfig\t2\t0\nREQ\tmodule=mail\tservice=auth\n"
#define CONFIG_READ_TIMEOUT_SECS 10
#define CONFIG_REPLY_MAX (1024 * 1024)

ARRAY_DEFINE_TYPE(lockout_doveconf_pair, struct lockout_doveconf_pair);

struct config_reader {
	const char *path;
	int fd;
	struct istream *input;
	time_t deadline;
	size_t total;
};

/* The next line of the reply, waiting at most until the deadline. */
static int config_read_line(struct config_reader *reader,
			    const char **line_r, const char **error_r)
{
	struct pollfd pfd;
	const char *line;
	time_t left;
	ssize_t ret;

	while ((line = i_stream_next_line(reader->input)) == NULL) {
		left = reader->deadline - time(NULL);
		i_zero(&pfd);
		pfd.fd = reader->fd;
		pfd.events = POLLIN;
		ret = left <= 0 ? 0 : poll(&pfd, 1, (int)left * 1000);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			*error_r = ret == 0 ?
				"timeout reading the config socket" :
				t_strdup_printf("poll() failed: %m");
			return -1;
		}
		ret = i_stream_read(reader->input);
		if (ret == -2 || (ret > 0 && (reader->total += ret) >
				  CONFIG_REPLY_MAX)) {
			*error_r = "config reply too large";
			return -1;
		}
		if (ret < 0) {
			*error_r = reader->input->stream_errno == 0 ?
				"config socket closed the connection early" :
				t_strdup_printf("read(%s) failed: %s",
					reader->path,
					i_stream_get_error(reader->input));
			return -1;
		}
	}
	if (str_begins(line, "ERROR")) {
		*error_r = t_strdup_printf("config server: %.200s", line);
		return -1;
	}
	*line_r = line;
	return 0;
}

/* The plugin/lockout_* pairs of the reply. */
static int config_read_reply(struct config_reader *reader,
			     ARRAY_TYPE(lockout_doveconf_pair) *pairs,
			     const char **error_r)
{
	struct lockout_doveconf_pair *pair;
	const char *line, *eq;

	/* the header line (the services the settings vary by) */
	if (config_read_line(reader, &line, error_r) < 0)
		return -1;
	for (;;) {
		if (config_read_line(reader, &line, error_r) < 0)
			return -1;
		if (*line == '\0')
			return 0;
		eq = strchr(line, '=');
		if (!str_begins(line, "plugin/") || eq == NULL)
			continue;
		pair = array_append_space(pairs);
		pair->name = t_strdup_until(line + 7, eq);
		pair->value = t_strdup(eq + 1);
	}
}

static int config_socket_read(struct lockout_config *cfg, const char *path,
			      const char **error_r)
{
	ARRAY_TYPE(lockout_doveconf_pair) pairs;
	const struct lockout_doveconf_pair *list;
	struct config_reader reader;
	unsigned int count;
	int ret;

	i_zero(&reader);
	reader.path = path;
	reader.fd = net_connect_unix(path);
	if (reader.fd < 0) {
		*error_r = t_strdup_printf("connect(%s) failed: %m", path);
		return -1;
	}
	/* blocking writes; reads wait in poll() with a deadline */
	fd_set_nonblock(reader.fd, FALSE);
	if (write_full(reader.fd, CONFIG_REQUEST, strlen(CONFIG_REQUEST)) < 0) {
		*error_r = t_strdup_printf("write(%s) failed: %m", path);
		i_close_fd(&reader.fd);
		return -1;
	}
	reader.deadline = time(NULL) + CONFIG_READ_TIMEOUT_SECS;
	reader.input = i_stream_create_fd(reader.fd, CONFIG_REPLY_MAX);
	t_array_init(&pairs, 32);
	ret = config_read_reply(&reader, &pairs, error_r);
	i_stream_unref(&reader.input);
	i_close_fd(&reader.fd);
	if (ret < 0)
		return -1;
	list = array_get(&pairs, &count);
	return lockout_doveconf_apply(cfg, list, count, error_r);
}

int lockout_auth_config_read(struct lockout_config *cfg,
			     const char *config_path, const char **error_r)
{
	struct stat st;

	if (config_path != NULL && stat(config_path, &st) == 0 &&
	    S_ISSOCK(st.st_mode))
		return config_socket_read(cfg, config_path, error_r);
	return lockout_doveconf_read(cfg, LOCKOUT_DOVECONF_PATH, config_path,
				     error_r);
}
