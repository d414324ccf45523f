/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#define _GNU_SOURCE /* memfd_create(), close_range() */
#include "lockoutd-mailer.h"
#include "lockoutd-privs.h"
#include "lockout-error.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAILER_MAX_ARGS 32
/* How much of sendmail's output an error message shows. */
#define MAILER_OUTPUT_SHOWN 200

struct lockoutd_mailer {
	char *command;
	char *argv[MAILER_MAX_ARGS + 1];
	pid_t pid;
	int output_fd;
	int64_t deadline;
};

int lockoutd_mailer_create(const char *command,
			   struct lockoutd_mailer **mailer_r,
			   const char **error_r)
{
	struct lockoutd_mailer *mailer;
	unsigned int argc = 0;
	char *p, *save = NULL;

	*mailer_r = NULL;
	mailer = calloc(1, sizeof(*mailer));
	if (mailer == NULL || (mailer->command = strdup(command)) == NULL) {
		free(mailer);
		*error_r = lockout_error_fmt("out of memory");
		return -1;
	}
	mailer->output_fd = -1;
	for (p = strtok_r(mailer->command, " \t", &save); p != NULL;
	     p = strtok_r(NULL, " \t", &save)) {
		if (argc == MAILER_MAX_ARGS) {
			lockoutd_mailer_free(&mailer);
			*error_r = lockout_error_fmt("lockout_sendmail: more "
				"than %d arguments", MAILER_MAX_ARGS - 1);
			return -1;
		}
		mailer->argv[argc++] = p;
	}
	if (argc == 0 || mailer->argv[0][0] != '/') {
		lockoutd_mailer_free(&mailer);
		*error_r = lockout_error_fmt("lockout_sendmail: must start "
					     "with an absolute path");
		return -1;
	}
	*mailer_r = mailer;
	return 0;
}

static void mailer_reap(struct lockoutd_mailer *mailer)
{
	if (mailer->pid > 0) {
		(void)kill(mailer->pid, SIGKILL);
		while (waitpid(mailer->pid, NULL, 0) < 0 && errno == EINTR)
			;
		mailer->pid = 0;
	}
	if (mailer->output_fd >= 0) {
		(void)close(mailer->output_fd);
		mailer->output_fd = -1;
	}
}

void lockoutd_mailer_free(struct lockoutd_mailer **_mailer)
{
	struct lockoutd_mailer *mailer = *_mailer;

	if (mailer == NULL)
		return;
	*_mailer = NULL;
	mailer_reap(mailer);
	free(mailer->command);
	free(mailer);
}

bool lockoutd_mailer_busy(const struct lockoutd_mailer *mailer)
{
	return mailer->pid > 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	ssize_t ret;

	while (len > 0) {
		ret = write(fd, data, len);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			return -1;
		data += ret;
		len -= (size_t)ret;
	}
	return 0;
}

/* In the child: never returns. */
static void __attribute__((noreturn))
mailer_exec(struct lockoutd_mailer *mailer, int input_fd)
{
	static char *const envp[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL
	};
	const char *error;
	sigset_t none;
	char msg[256];
	int len;

	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGPIPE, SIG_DFL);
	if (dup2(input_fd, STDIN_FILENO) < 0 ||
	    dup2(mailer->output_fd, STDOUT_FILENO) < 0 ||
	    dup2(mailer->output_fd, STDERR_FILENO) < 0)
		_exit(126);
	(void)close_range(3, ~0U, 0);
	if (geteuid() == 0) {
		len = snprintf(msg, sizeof(msg), "lockoutd: refusing to run "
			       "sendmail as root\n");
		(void)write_all(STDERR_FILENO, msg, (size_t)len);
		_exit(126);
	}
	if (lockoutd_privs_drop_all_caps(&error) < 0) {
		len = snprintf(msg, sizeof(msg), "lockoutd: %s\n", error);
		(void)write_all(STDERR_FILENO, msg, (size_t)len);
		_exit(126);
	}
	execve(mailer->argv[0], mailer->argv, envp);
	len = snprintf(msg, sizeof(msg), "lockoutd: cannot run %.100s: %s\n",
		       mailer->argv[0], strerror(errno));
	(void)write_all(STDERR_FILENO, msg, (size_t)len);
	_exit(127);
}

int lockoutd_mailer_start(struct lockoutd_mailer *mailer,
			  const char *message, size_t len,
			  int64_t now_msecs, const char **error_r)
{
	int input_fd;
	pid_t pid;

	if (mailer->pid > 0) {
		*error_r = lockout_error_fmt("sendmail: already running");
		return -1;
	}
	if (geteuid() == 0) {
		*error_r = lockout_error_fmt("sendmail: refusing to run it as "
					     "root");
		return -1;
	}
	/* files, not pipes: sendmail reads at its pace and we never block */
	input_fd = memfd_create("lockoutd-mail", MFD_CLOEXEC);
	if (input_fd < 0) {
		*error_r = lockout_error_fmt("sendmail: memfd_create: %s",
					     strerror(errno));
		return -1;
	}
	if (write_all(input_fd, message, len) < 0 ||
	    lseek(input_fd, 0, SEEK_SET) != 0) {
		*error_r = lockout_error_fmt("sendmail: write message: %s",
					     strerror(errno));
		(void)close(input_fd);
		return -1;
	}
	mailer->output_fd = memfd_create("lockoutd-mail-output",
					 MFD_CLOEXEC);
	if (mailer->output_fd < 0) {
		*error_r = lockout_error_fmt("sendmail: memfd_create: %s",
					     strerror(errno));
		(void)close(input_fd);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		*error_r = lockout_error_fmt("sendmail: fork: %s",
					     strerror(errno));
		(void)close(input_fd);
		mailer_reap(mailer);
		return -1;
	}
	if (pid == 0)
		mailer_exec(mailer, input_fd);
	(void)close(input_fd);
	mailer->pid = pid;
	mailer->deadline = now_msecs + LOCKOUTD_MAILER_TIMEOUT_MSECS;
	return 0;
}

/* The start of sendmail's output, printable, for an error message. */
static void mailer_output(struct lockoutd_mailer *mailer, char *buf,
			  size_t size)
{
	ssize_t ret, i;

	buf[0] = '\0';
	ret = pread(mailer->output_fd, buf, size - 1, 0);
	if (ret <= 0)
		return;
	buf[ret] = '\0';
	for (i = 0; i < ret; i++) {
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = ' ';
	}
}

int lockoutd_mailer_check(struct lockoutd_mailer *mailer, int64_t now_msecs,
			  const char **error_r)
{
	char output[MAILER_OUTPUT_SHOWN + 1];
	int status;
	pid_t ret;

	if (mailer->pid <= 0) {
		*error_r = lockout_error_fmt("sendmail: not running");
		return -1;
	}
	ret = waitpid(mailer->pid, &status, WNOHANG);
	if (ret == 0 && now_msecs < mailer->deadline)
		return 0;
	if (ret == 0) {
		mailer_output(mailer, output, sizeof(output));
		mailer_reap(mailer);
		*error_r = lockout_error_fmt("sendmail: killed after %d "
			"seconds: %s", LOCKOUTD_MAILER_TIMEOUT_MSECS / 1000,
			output);
		return -1;
	}
	mailer->pid = 0;
	if (ret < 0) {
		*error_r = lockout_error_fmt("sendmail: waitpid: %s",
					     strerror(errno));
		mailer_reap(mailer);
		return -1;
	}
	mailer_output(mailer, output, sizeof(output));
	mailer_reap(mailer);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	if (WIFEXITED(status)) {
		*error_r = lockout_error_fmt("%s exited with %d: %s",
			mailer->argv[0], WEXITSTATUS(status), output);
	} else {
		*error_r = lockout_error_fmt("%s killed by signal %d: %s",
			mailer->argv[0], WIFSIGNALED(status) ?
			WTERMSIG(status) : 0, output);
	}
	return -1;
}
