/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUTD_MAILER_H
#define LOCKOUTD_MAILER_H

/* Handing a message to lockout_sendmail without waiting for it: the
   command line is split at spaces and tabs (no shell, no quoting), run as
   lockoutd's unprivileged user with every capability given up and a
   minimal environment, the message on its standard input. One message at
   a time; the main loop asks how it went. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How long sendmail may take before it is killed. */
#define LOCKOUTD_MAILER_TIMEOUT_MSECS (120 * 1000)

struct lockoutd_mailer;

/* Prepare running command ("/usr/sbin/sendmail -i -t": an absolute path
   and at most 31 arguments). Returns 0, or -1 with *error_r. */
int lockoutd_mailer_create(const char *command,
			   struct lockoutd_mailer **mailer_r,
			   const char **error_r)
	__attribute__((warn_unused_result));
/* Kill and reap a running sendmail, then free. NULL-safe. */
void lockoutd_mailer_free(struct lockoutd_mailer **mailer);

/* True while a message is being handed over. */
bool lockoutd_mailer_busy(const struct lockoutd_mailer *mailer);

/* Start sendmail with message (len bytes) as its input. Refuses to run it
   as root. Returns 0, or -1 with *error_r (nothing is running then). */
int lockoutd_mailer_start(struct lockoutd_mailer *mailer,
			  const char *message, size_t len,
			  int64_t now_msecs, const char **error_r)
	__attribute__((warn_unused_result));

/* How is it going? Returns 1 when sendmail exited with 0 (the message is
   accepted), 0 while it runs, -1 when it failed, was killed or timed out
   (*error_r tells, with the start of its output). Not busy afterwards
   unless 0 was returned. */
int lockoutd_mailer_check(struct lockoutd_mailer *mailer, int64_t now_msecs,
			  const char **error_r)
	__attribute__((warn_unused_result));

#endif
