/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUTD_LOG_H
#define LOCKOUTD_LOG_H

/* Logging of lockoutd: to stderr (--foreground and one-shot commands),
   to syslog (facility mail, ident "lockoutd") as a daemon, or both while
   a daemon is still starting. Messages are escaped by
   lockout_utf8_escape() (control characters as \x1b, C1 and bidirectional
   controls as \u009b, invalid UTF-8 as \xff), so nothing read from the ban
   table can forge log lines or reach a terminal raw. */

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* Choose the targets. May be called again (e.g. after daemonizing). */
void lockoutd_log_open(bool to_stderr, bool to_syslog);

void lockoutd_log(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Log each line of text (e.g. firewall commands of a dry run) after
   prefix, at LOG_INFO. */
/* How many errors were logged since the start (lockout_metrics_file). */
uint64_t lockoutd_log_errors(void);
void lockoutd_log_lines(const char *prefix, const char *text);

#define log_error(...) lockoutd_log(LOG_ERR, __VA_ARGS__)
#define log_warning(...) lockoutd_log(LOG_WARNING, __VA_ARGS__)
#define log_info(...) lockoutd_log(LOG_INFO, __VA_ARGS__)

#endif
