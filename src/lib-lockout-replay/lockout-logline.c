/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-logline.h"

#include <stdlib.h>
#include <string.h>

/* Longest session id and passdb name taken. */
#define SESSION_ID_MAX 64
#define NAME_MAX_LEN 63

/* --- small string helpers ------------------------------------------------- */

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The last occurrence of needle in s, or NULL. */
static const char *find_last(const char *s, const char *needle)
{
	const char *p, *last = NULL;

	for (p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
		last = p;
	return last;
}

/* --- auth process lines --------------------------------------------------- */

/* The end of a failure message: nothing, or (with
   auth_verbose_passwords) " (given password: X)", " (SHA1 of given
   password: X)" or " ", then maybe " - trying the next passdb". */
static bool parse_msg_tail(const char *rest, struct auth_msg *m)
{
	static const char *const pw_prefixes[] = {
		" (given password: ", " (SHA1 of given password: "
	};
	size_t len = strlen(rest), n;
	unsigned int i;

	if (ends(rest, len, " - trying the next passdb")) {
		len -= strlen(" - trying the next passdb");
		m->next = true;
		m->verbose = true;
	} else if (ends(rest, len, " - trying the next userdb")) {
		len -= strlen(" - trying the next userdb");
		m->userdb = true;
		m->verbose = true;
	}
	if (len == 0)
		return true;
	if (len == 1 && rest[0] == ' ') {
		/* verbose, but no password (a credentials mechanism) */
		m->verbose = true;
		return true;
	}
	for (i = 0; i < 2; i++) {
		n = strlen(pw_prefixes[i]);
		if (len > n && strncmp(rest, pw_prefixes[i], n) == 0 &&
		    rest[len - 1] == ')') {
			m->pw = rest + n;
			m->pw_len = len - n - 1;
			m->verbose = true;
			return true;
		}
	}
	return false;
}

static bool parse_auth_msg(const char *msg, struct auth_msg *m)
{
	const char *rest;

	memset(m, 0, sizeof(*m));
	if (starts(msg, "Password mismatch")) {
		m->result = LOCKOUT_SIM_MISMATCH;
		rest = msg + strlen("Password mismatch");
		if (starts(rest, " (for LDAP bind)"))
			rest += strlen(" (for LDAP bind)");
	} else if (starts(msg, "unknown user")) {
		m->result = LOCKOUT_SIM_UNKNOWN_USER;
		rest = msg + strlen("unknown user");
	} else if (starts(msg, "pam_authenticate() failed: ")) {
		rest = strstr(msg, " (Password mismatch?)");
		if (rest == NULL)
			return false;
		m->result = LOCKOUT_SIM_MISMATCH;
		rest += strlen(" (Password mismatch?)");
	} else {
		return false;
	}
	return parse_msg_tail(rest, m);
}

/* "user,ip[,master][,<session>]": 1 with an address, 0 without one, -1
   with an invalid one. */
static int parse_ident(const char *s, size_t len, struct auth_ident *id)
{
	const char *comma;

	memset(id, 0, sizeof(*id));
	if (len > 0 && s[len - 1] == '>') {
		for (comma = s + len - 1; comma > s && *comma != ','; comma--) ;
		if (comma > s && comma[1] == '<' &&
		    (size_t)(s + len - 1 - (comma + 2)) <= SESSION_ID_MAX &&
		    memchr(comma + 2, '>', (size_t)(s + len - 1 - (comma + 2)))
		    == NULL) {
			id->session = comma + 2;
			id->session_len = (size_t)(s + len - 1 - id->session);
			len = (size_t)(comma - s);
		}
	}
	if (ends(s, len, ",master"))
		len -= strlen(",master");
	for (comma = s + len; comma > s && comma[-1] != ','; comma--) ;
	if (comma == s)
		return 0;
	if (lockout_addr_parse_n(comma, (size_t)(s + len - comma),
				 &id->ip) < 0)
		return -1;
	id->user = s;
	id->user_len = (size_t)(comma - 1 - s);
	if (id->user_len == 1 && s[0] == '?')
		id->user_len = 0; /* Dovecot's "no username" */
	return 1;
}

/* One reading of an auth line: the passdb name, ident and message. */
struct auth_reading {
	const char *name;
	size_t name_len;
	struct auth_ident id;
	struct auth_msg m;
};

/* Read the ident from open to close (a ')' of the line): 1 with *r,
   0 when the line does not read so, -1 for an invalid address. */
typedef int auth_reader_t(const char *open, const char *close,
			  struct auth_reading *r);

/* Dovecot 2.3: "NAME(user,ip[,master][,<session>]): message"; r->name
   is set by the caller. */
static int parse_auth23_at(const char *open, const char *close,
			   struct auth_reading *r)
{
	if (close[1] != ':' || close[2] != ' ' ||
	    !parse_auth_msg(close + 3, &r->m))
		return 0;
	return parse_ident(open, (size_t)(close - open), &r->id);
}

/* The username and a logged password may hold ")" and more: the line
   counts only when exactly one reading of it (at one of its ')') is
   valid. */
static enum line_use auth_read(const char *open, auth_reader_t *reader,
			       struct auth_reading *r)
{
	struct auth_reading cur;
	const char *close;
	unsigned int valid = 0;
	bool bad_address = false;
	int ret;

	for (close = strchr(open, ')'); close != NULL;
	     close = strchr(close + 1, ')')) {
		memset(&cur, 0, sizeof(cur));
		cur.name = r->name;
		cur.name_len = r->name_len;
		ret = reader(open, close, &cur);
		if (ret < 0)
			bad_address = true;
		if (ret <= 0)
			continue;
		if (valid++ == 0)
			*r = cur;
	}
	if (valid == 0)
		return bad_address ? LINE_UNUSABLE : LINE_IGNORED;
	return valid > 1 ? LINE_UNUSABLE : LINE_USED;
}

enum line_use log_line_auth(const char *msg, size_t *name_len_r,
			    struct auth_ident *id_r, struct auth_msg *m_r)
{
	struct auth_reading r;
	enum line_use use;

	memset(&r, 0, sizeof(r));
	memset(id_r, 0, sizeof(*id_r));
	memset(m_r, 0, sizeof(*m_r));
	r.name = msg;
	r.name_len = strspn(msg, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
	if (r.name_len == 0 || r.name_len > NAME_MAX_LEN ||
	    msg[r.name_len] != '(')
		return LINE_IGNORED;
	use = auth_read(msg + r.name_len + 1, parse_auth23_at, &r);
	if (use == LINE_USED) {
		*name_len_r = r.name_len;
		*id_r = r.id;
		*m_r = r.m;
	}
	return use;
}

/* Dovecot 2.4 puts the ident in the process prefix and the passdb name
   after the level: "auth(user,ip[,sasl:mech][,master])[<pid>][<session>]
   [: request [N]]: Info: NAME: message" (auth-worker adds the pid and the
   request). Reads what follows "auth"/"auth-worker" at one candidate
   close: 1 with *id and *m filled, 0 when it is no failure line. */
static int parse_auth24_at(const char *open, const char *close,
			   struct auth_reading *r)
{
	struct auth_ident *id = &r->id;
	struct auth_msg *m = &r->m;
	const char *p = close + 1, *group[2] = { NULL, NULL }, *end;
	size_t group_len[2] = { 0, 0 }, len, name_len, n;
	unsigned int groups = 0;
	int ret;

	while (*p == '<' && groups < 2) {
		end = strchr(p, '>');
		if (end == NULL)
			return 0;
		group[groups] = p + 1;
		group_len[groups++] = (size_t)(end - p - 1);
		p = end + 1;
	}
	if (starts(p, ": request [")) {
		p += strlen(": request [");
		p += strspn(p, "0123456789");
		if (*p++ != ']')
			return 0;
	}
	if (!starts(p, ": "))
		return 0;
	p += 2;
	if (starts(p, "Info: "))
		p += strlen("Info: ");
	name_len = strspn(p, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
	if (name_len == 0 || name_len > NAME_MAX_LEN || p[name_len] != ':' ||
	    p[name_len + 1] != ' ' || !parse_auth_msg(p + name_len + 2, m))
		return 0;

	/* "user,ip[,sasl:mech][,master]" as parse_ident() reads it */
	len = (size_t)(close - open);
	if (ends(open, len, ",master"))
		len -= strlen(",master");
	for (n = len; n > 0 && open[n - 1] != ','; n--) ;
	if (n > 0 && starts(open + n, "sasl:"))
		len = n - 1;
	ret = parse_ident(open, len, id);
	if (ret <= 0)
		return ret;
	/* the session is the last <...> (a worker's pid comes first) */
	if (groups > 0 && group_len[groups - 1] <= SESSION_ID_MAX) {
		id->session = group[groups - 1];
		id->session_len = group_len[groups - 1];
	}
	r->name = p;
	r->name_len = name_len;
	return 1;
}

enum line_use log_line_auth24(const char *msg, const char **name_r,
			      size_t *name_len_r, struct auth_ident *id_r,
			      struct auth_msg *m_r)
{
	struct auth_reading r;
	enum line_use use;

	memset(&r, 0, sizeof(r));
	memset(id_r, 0, sizeof(*id_r));
	memset(m_r, 0, sizeof(*m_r));
	if (msg[0] != '(')
		return LINE_IGNORED;
	use = auth_read(msg + 1, parse_auth24_at, &r);
	if (use == LINE_USED) {
		*name_r = r.name;
		*name_len_r = r.name_len;
		*id_r = r.id;
		*m_r = r.m;
	}
	return use;
}

/* --- login process lines -------------------------------------------------- */

/* Find "key=" at the start of rest or after a blank. */
static const char *find_field(const char *rest, const char *key)
{
	const char *p;

	for (p = strstr(rest, key); p != NULL; p = strstr(p + 1, key)) {
		if (p == rest || p[-1] == ' ')
			return p + strlen(key);
	}
	return NULL;
}

/* "user=<u>, method=M, rip=IP, lip=IP, mpid=N, TLS, session=<S>" (the
   elements of login_log_format_elements). Returns -1 for an invalid
   address. */
static int parse_login_fields(const char *f, struct login_fields *r)
{
	const char *u, *end, *rest = f, *v;

	memset(r, 0, sizeof(*r));
	u = find_field(f, "user=<");
	if (u != NULL) {
		/* the username may hold anything: it ends at the last
		   element that follows it */
		end = find_last(u, ">, method=");
		if (end == NULL)
			end = find_last(u, ">, rip=");
		if (end == NULL)
			end = strchr(u, '>');
		if (end == NULL)
			return -1;
		r->user = u;
		r->user_len = (size_t)(end - u);
		rest = end + 1;
	}
	v = find_field(rest, "method=");
	if (v != NULL) {
		r->method = v;
		r->method_len = strcspn(v, ",");
	}
	v = find_field(rest, "session=<");
	if (v != NULL && strchr(v, '>') != NULL) {
		r->session = v;
		r->session_len = (size_t)(strchr(v, '>') - v);
		if (r->session_len > SESSION_ID_MAX)
			r->session = NULL;
	}
	v = find_field(rest, "rip=");
	if (v != NULL) {
		if (lockout_addr_parse_n(v, strcspn(v, ","), &r->ip) < 0)
			return -1;
		r->have_ip = true;
	}
	return 0;
}

/* "(auth_failed)": an event reason of Dovecot 2.4, from open to close. */
static bool event_reason(const char *open, const char *close)
{
	size_t len = (size_t)(close - open - 1);

	return len > 0 && strspn(open + 1, "abcdefghijklmnopqrstuvwxyz_") == len;
}

enum line_use log_line_login(const char *msg, enum login_kind *kind_r,
			     unsigned long *attempts_r,
			     struct login_fields *f_r)
{
	const char *close, *open, *fields;
	char *endp;

	*attempts_r = 1;
	if (starts(msg, "Login: ")) {
		*kind_r = LOGIN_SUCCESS;
		fields = msg + strlen("Login: ");
	} else if (starts(msg, "Logged in: ")) {
		/* Dovecot 2.4 */
		*kind_r = LOGIN_SUCCESS;
		fields = msg + strlen("Logged in: ");
	} else {
		/* the reason Dovecot adds comes before the first "): ",
		   the elements (with the username) after it */
		close = strstr(msg, "): ");
		if (close == NULL)
			return LINE_IGNORED;
		for (open = close; open > msg && *open != '('; open--) ;
		if (event_reason(open, close) && open - msg >= 2 &&
		    open[-1] == ' ' && open[-2] == ')') {
			/* Dovecot 2.4: "(auth failed, N attempts in S secs)
			   (auth_failed): ", the reason before the event's */
			close = open - 2;
			for (open = close; open > msg && *open != '(';
			     open--) ;
		}
		if (starts(open, "(auth failed, ")) {
			*attempts_r = strtoul(open + strlen("(auth failed, "),
					      &endp, 10);
			if (!starts(endp, " attempts in ") || *attempts_r == 0)
				return LINE_UNUSABLE;
			*kind_r = LOGIN_FAILED;
		} else if (starts(open, "(user disabled)") ||
			   starts(open, "(user disabled, ")) {
			*kind_r = LOGIN_REFUSED;
		} else {
			return LINE_IGNORED;
		}
		fields = close + 3;
	}
	if (parse_login_fields(fields, f_r) < 0)
		return LINE_UNUSABLE;
	return f_r->have_ip ? LINE_USED : LINE_IGNORED;
}

/* --- the process ---------------------------------------------------------- */

/* The length of "dovecot:" or "dovecot[123]:" at p, or 0. */
static size_t dovecot_tag(const char *p)
{
	size_t n = strlen("dovecot");

	if (strncmp(p, "dovecot", n) != 0)
		return 0;
	if (p[n] == '[') {
		n++;
		while (is_digit(p[n]))
			n++;
		if (p[n] != ']')
			return 0;
		n++;
	}
	return p[n] == ':' && p[n + 1] == ' ' ? n + 2 : 0;
}

/* Dovecot 2.3's "auth-worker(<pid>): " */
static bool auth_worker23(const char *proc)
{
	const char *p = proc + strlen("auth-worker(");
	size_t n = strspn(p, "0123456789");

	return n > 0 && p[n] == ')' && p[n + 1] == ':';
}

enum log_process log_line_process(const char *p, const char **msg_r,
				  const char **service_r,
				  size_t *service_len_r)
{
	static const char *const levels[] = {
		"Debug: ", "Warning: ", "Error: ", "Fatal: ", "Panic: "
	};
	const char *proc, *msg;
	size_t n, proc_len;
	unsigned int i;

	*msg_r = NULL;
	*service_r = NULL;
	*service_len_r = 0;
	/* syslog: "host dovecot: ...", "host dovecot[123]: ...", or without
	   the host; log_path: the process right away */
	n = dovecot_tag(p);
	if (n == 0) {
		proc_len = strcspn(p, " ");
		if (proc_len > 0 && p[proc_len - 1] != ':' &&
		    p[proc_len] == ' ') {
			n = dovecot_tag(p + proc_len + 1);
			if (n == 0)
				return LOG_PROCESS_OTHER; /* another program */
			n += proc_len + 1;
		}
	}
	proc = p + n;
	if (starts(proc, "auth(") ||
	    (starts(proc, "auth-worker(") && !auth_worker23(proc))) {
		/* Dovecot 2.4: the ident is in the prefix (see
		   log_line_auth24()); the level comes after it */
		*msg_r = proc + strcspn(proc, "(");
		return LOG_PROCESS_AUTH24;
	}
	proc_len = strcspn(proc, " ");
	if (proc_len < 2 || proc[proc_len - 1] != ':' || proc[proc_len] != ' ')
		return LOG_PROCESS_OTHER;
	proc_len--;
	msg = proc + proc_len + 2;
	if (starts(msg, "Info: "))
		msg += strlen("Info: ");
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (starts(msg, levels[i]))
			return LOG_PROCESS_OTHER;
	}

	if (proc_len == 4 && strncmp(proc, "auth", 4) == 0) {
		*msg_r = msg;
		return LOG_PROCESS_AUTH;
	}
	if (starts(proc, "auth-worker(") && proc[proc_len - 1] == ')') {
		/* "conn unix:auth-worker (pid=1,uid=2): auth-worker<3>: " */
		if (starts(msg, "conn ")) {
			msg = strstr(msg, ": auth-worker<");
			if (msg == NULL)
				return LOG_PROCESS_OTHER;
			msg = strstr(msg, ">: ");
			if (msg == NULL)
				return LOG_PROCESS_OTHER;
			msg += 3;
		}
		*msg_r = msg;
		return LOG_PROCESS_AUTH;
	}
	n = strlen("-login");
	if (proc_len > n && proc_len - n <= LOCKOUT_SIM_SERVICE_MAX &&
	    strncmp(proc + proc_len - n, "-login", n) == 0 &&
	    strspn(proc, "abcdefghijklmnopqrstuvwxyz0123456789") ==
	    proc_len - n) {
		*msg_r = msg;
		*service_r = proc;
		*service_len_r = proc_len - n;
		return LOG_PROCESS_LOGIN;
	}
	return LOG_PROCESS_OTHER;
}
