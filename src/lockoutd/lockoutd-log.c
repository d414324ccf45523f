/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-log.h"
#include "lockout-utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOG_LINE_MAX 1024

static bool log_stderr = true;
static bool log_syslog = false;
static bool syslog_opened = false;
static uint64_t errors_logged = 0;

uint64_t lockoutd_log_errors(void)
{
	return errors_logged;
}

void lockoutd_log_open(bool to_stderr, bool to_syslog)
{
	log_stderr = to_stderr;
	log_syslog = to_syslog;
	if (to_syslog && !syslog_opened) {
		openlog("lockoutd", LOG_PID | LOG_NDELAY, LOG_MAIL);
		syslog_opened = true;
	}
}

static const char *priority_prefix(int priority)
{
	switch (priority) {
	case LOG_ERR:
		return "Error: ";
	case LOG_WARNING:
		return "Warning: ";
	default:
		return "";
	}
}

void lockoutd_log(int priority, const char *fmt, ...)
{
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX + 4];
	va_list args;
	size_t len;

	if (priority <= LOG_ERR)
		errors_logged++;
	va_start(args, fmt);
	vsnprintf(raw, sizeof(raw), fmt, args);
	va_end(args);
	/* the one escaping rule of liblockout: nothing read from the ban
	   table (or from sendmail) can forge a log line or drive the
	   terminal that shows the log */
	len = lockout_utf8_escape(line, LOG_LINE_MAX, raw, 0);
	if (len >= LOG_LINE_MAX)
		strcat(line, "...");
	if (log_stderr)
		fprintf(stderr, "lockoutd: %s%s\n", priority_prefix(priority),
			line);
	if (log_syslog)
		syslog(priority, "%s%s", priority_prefix(priority), line);
}

void lockoutd_log_lines(const char *prefix, const char *text)
{
	size_t len;

	while (*text != '\0') {
		len = strcspn(text, "\n");
		lockoutd_log(LOG_INFO, "%s%.*s", prefix, (int)len, text);
		text += len;
		if (*text == '\n')
			text++;
	}
}
