/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_LOGLINE_H
#define LOCKOUT_LOGLINE_H

/* What one line of a Dovecot 2.3 or 2.4 log says, read without any state: its
   timestamp (lockout-logtime.c), the process that wrote it and the fields
   of the messages the log parser uses (lockout-logline.c). Private to the
   log parser (lockout-logparse.c), which turns the lines into attempts;
   lockout-logparse.h tells which lines are used and how. */

#include "lockout-addr.h"
#include "lockout-simulate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- timestamps ----------------------------------------------------------- */

struct log_ts {
	int year; /* 0 = none in the line */
	int mon, day, hour, min, sec;
	bool has_offset;
	int offset; /* seconds east of UTC */
};

/* Turns timestamps into unix times, placing dates without a year. */
struct log_clock {
	int64_t reference_naive;
	bool have_year;
	int year;
	int64_t last_naive;
	bool cache_valid;
	int64_t cache_hour, cache_offset;
};

/* Parse the timestamp at the start of s: "Nov 28 03:04:43" (syslog,
   "Nov  8" too), "Nov 08 03:04:43" (log_timestamp) or ISO 8601
   ("2025-11-28T03:04:43[.frac][Z|+01:00|+0100]", "2025-11-28 03:04:43").
   Returns what follows it (after the blanks), or NULL. */
const char *log_ts_parse(const char *s, struct log_ts *ts);

/* Start placing dates without a year at or before reference (unix
   seconds). */
void log_clock_begin(struct log_clock *clock, int64_t reference);
/* ts as unix time: a date without a year goes next to the previous one
   (or before the reference for the first); without an offset it is local
   time (TZ). */
int64_t log_clock_resolve(struct log_clock *clock, const struct log_ts *ts);

/* --- messages ------------------------------------------------------------- */

/* What a line is to the log parser. */
enum line_use {
	LINE_IGNORED,
	LINE_USED,
	LINE_UNUSABLE
};

enum log_process {
	/* another program, or a Dovecot process not read here */
	LOG_PROCESS_OTHER,
	/* auth, auth-worker */
	LOG_PROCESS_AUTH,
	/* Dovecot 2.4's auth, auth-worker: "auth(user,ip,...)..." */
	LOG_PROCESS_AUTH24,
	/* imap-login, pop3-login, submission-login, managesieve-login, ... */
	LOG_PROCESS_LOGIN
};

/* The process that wrote the rest of a line p (what follows its
   timestamp): syslog's "host dovecot: ", "dovecot[123]: " or log_path's
   process right away. *msg_r is the message (after "Info: "); for a login
   process *service_r and *service_len_r name the service ("imap"). Lines of
   other levels (Debug, Warning, Error...) are LOG_PROCESS_OTHER. */
enum log_process log_line_process(const char *p, const char **msg_r,
				  const char **service_r,
				  size_t *service_len_r);

/* A passdb or mechanism failure of the auth process. */
struct auth_msg {
	enum lockout_sim_result result;
	/* " - trying the next passdb" */
	bool next;
	/* a userdb lookup, not an authentication */
	bool userdb;
	/* auth_verbose_passwords is on (the line says so) */
	bool verbose;
	/* the logged password (or its SHA1), not NUL-terminated */
	const char *pw;
	size_t pw_len;
};

/* Who the failure was about: "user,ip[,master][,<session>]". */
struct auth_ident {
	const char *user, *session;
	size_t user_len, session_len;
	struct lockout_addr ip;
};

/* An auth process message "NAME(user,ip,<session>): message": LINE_USED
   with the length of NAME (the passdb or mechanism), the ident and the
   message when it is a failure with an address that can be read one way
   only; LINE_UNUSABLE when it cannot (an invalid address, or two
   readings: a username or logged password may hold "): "); LINE_IGNORED
   for anything else. */
enum line_use log_line_auth(const char *msg, size_t *name_len_r,
			    struct auth_ident *id_r, struct auth_msg *m_r);

/* The same for Dovecot 2.4, where the ident is in the process prefix:
   msg is what follows "auth" or "auth-worker", "(user,ip[,sasl:mech]
   [,master])[<pid>][<session>][: request [N]]: Info: NAME: message";
   *name_r points at NAME in msg. */
enum line_use log_line_auth24(const char *msg, const char **name_r,
			      size_t *name_len_r, struct auth_ident *id_r,
			      struct auth_msg *m_r);
enum login_kind {
	/* "Login: ..." (2.4: "Logged in: ...") */
	LOGIN_SUCCESS,
	/* "Disconnected ... (auth failed, N attempts in S secs): ..." */
	LOGIN_FAILED,
	/* "... (user disabled): ..." */
	LOGIN_REFUSED
};

/* The elements of login_log_format_elements that are read. */
struct login_fields {
	const char *user, *method, *session;
	size_t user_len, method_len, session_len;
	bool have_ip;
	struct lockout_addr ip;
};

/* A login process message: LINE_USED with its kind, the failed attempts
   it counts (1 unless LOGIN_FAILED) and its fields when it is one of the
   kinds above with a remote address; LINE_UNUSABLE when it should be but
   cannot be read (an invalid address or count); LINE_IGNORED for any
   other message. */
enum line_use log_line_login(const char *msg, enum login_kind *kind_r,
			     unsigned long *attempts_r,
			     struct login_fields *f_r);

#endif
