/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-logparse.h"
#include "lockout-hash.h"
#include "lockout-satable.h"
#include "lockout-logline.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An attempt seen through a passdb line is held this long (log time) in
   case another passdb of the chain logs it too. */
#define PENDING_SECS 2
/* Held attempts at most; the oldest goes out when full. */
#define PENDING_MAX 256
/* A passdb line this close to the last one of the same request may
   continue its passdb chain. */
#define CHAIN_SECS 5
/* Passdb names remembered per request (to tell a chain from a retry). */
#define CHAIN_NAMES 4
/* Sessions: set-associative, least recently used evicted within a set.
   Login processes end a session within minutes (auth timeouts). */
#define SESSION_MAX (8192 * LOCKOUT_SATABLE_WAYS)
#define SESSION_TTL_SECS 900

/* What the previous passdb line of a request said about the chain. */
enum chain_state {
	/* nothing logged says: another passdb may follow */
	CHAIN_MAYBE,
	/* " - trying the next passdb" */
	CHAIN_OPEN,
	/* auth_verbose_passwords on and no such suffix: the last one */
	CHAIN_CLOSED
};

struct session {
	int64_t last_time;
	uint32_t user_hash;
	uint32_t names[CHAIN_NAMES];
	uint8_t name_count;
	uint8_t chain;
	/* keyed by a session id (not by user and address) */
	bool has_id;
	uint16_t attempts;
	/* held attempt: its slot + 1, 0 = none */
	uint32_t pending;
	/* a login line's failures held before any passdb line of the
	   session (an orphan): its slot + 1, 0 = none */
	uint32_t orphan;
	/* of those failures, the ones no passdb line has told of yet */
	uint16_t orphan_left;
};

struct pending {
	bool used;
	/* a login line's failures, waiting for the session's passdb lines
	   (the log process may write them after it) */
	bool orphan;
	uint64_t key;
	struct lockout_sim_attempt attempt;
};

struct lockout_logparse {
	unsigned char key[LOCKOUT_SIM_KEY_SIZE];
	lockout_logparse_callback_t *callback;
	void *context;
	int stopped;
	struct lockout_logparse_stats stats;
	struct log_clock clock;

	bool have_line_time, have_emit;
	/* passdb lines carry session ids: a login line's failures may be
	   held for them */
	bool auth_sessions;
	int64_t last_line_time, last_emit_time;

	struct lockout_satable *sessions;

	struct pending pending[PENDING_MAX];
	unsigned int pending_head, pending_count;

	char line[LOCKOUT_LOG_LINE_MAX + 1];
};

/* --- small helpers -------------------------------------------------------- */

static void copy_n(char *dest, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dest, src, len);
	dest[len] = '\0';
}

/* --- keys ----------------------------------------------------------------- */

static uint64_t key_hash(const struct lockout_logparse *parser, char domain,
			 const char *data, size_t len,
			 const struct lockout_addr *ip)
{
	unsigned char buf[1 + LOCKOUT_SIM_USER_MAX + 1 + sizeof(*ip)];
	size_t n = 0;

	buf[n++] = (unsigned char)domain;
	if (len > LOCKOUT_SIM_USER_MAX)
		len = LOCKOUT_SIM_USER_MAX;
	memcpy(buf + n, data, len);
	n += len;
	buf[n++] = '\0';
	if (ip != NULL) {
		memcpy(buf + n, ip, sizeof(*ip));
		n += sizeof(*ip);
	}
	return lockout_hash(parser->key, buf, n);
}

static uint32_t name_hash(const struct lockout_logparse *parser,
			  const char *s, size_t len)
{
	return (uint32_t)lockout_hash(parser->key, s, len);
}

/* --- sessions ------------------------------------------------------------- */

static struct session *session_find(struct lockout_logparse *parser,
				    uint64_t key)
{
	return lockout_satable_find(parser->sessions, key);
}

/* key's session, or a new one (evicting the least recently used of its
   set); one older than SESSION_TTL_SECS starts over. */
static struct session *session_get(struct lockout_logparse *parser,
				   uint64_t key, int64_t now)
{
	struct session *s = session_find(parser, key);
	const struct session *victim;
	bool created;

	if (s != NULL && now - s->last_time > SESSION_TTL_SECS &&
	    s->pending == 0 && s->orphan == 0) {
		/* a stale session starts over */
		lockout_satable_remove(parser->sessions, s);
	} else if (s == NULL) {
		victim = lockout_satable_victim(parser->sessions, key);
		if (lockout_satable_key(parser->sessions, victim) != 0 &&
		    victim->has_id &&
		    now - victim->last_time <= SESSION_TTL_SECS)
			parser->stats.sessions_evicted++;
	}
	s = lockout_satable_get(parser->sessions, key, &created, NULL);
	if (created)
		s->last_time = now;
	return s;
}

/* --- handing attempts out ------------------------------------------------- */

static int emit(struct lockout_logparse *parser, struct lockout_sim_attempt *a)
{
	int ret;

	if (parser->stopped != 0)
		return parser->stopped;
	/* held attempts go out a little late: keep time from going back */
	if (parser->have_emit && a->time < parser->last_emit_time)
		a->time = parser->last_emit_time;
	parser->have_emit = true;
	parser->last_emit_time = a->time;
	switch (a->result) {
	case LOCKOUT_SIM_OK:
		parser->stats.logins++;
		break;
	case LOCKOUT_SIM_MISMATCH:
	case LOCKOUT_SIM_UNKNOWN_USER:
		parser->stats.passdb_failures++;
		if (a->password_tag != 0)
			parser->stats.passwords++;
		break;
	case LOCKOUT_SIM_FAILED:
		parser->stats.disconnect_failures += a->count;
		break;
	case LOCKOUT_SIM_REFUSED:
		parser->stats.refusals++;
		break;
	}
	ret = parser->callback(a, parser->context);
	if (ret != 0)
		parser->stopped = ret;
	return ret;
}

/* Hand out the oldest held attempt (if its slot is still in use). */
static int pending_pop(struct lockout_logparse *parser)
{
	struct pending *slot = &parser->pending[parser->pending_head];
	struct session *s;
	int ret = 0;

	if (slot->used) {
		slot->used = false;
		s = slot->key == 0 ? NULL : session_find(parser, slot->key);
		if (s != NULL && s->pending == parser->pending_head + 1)
			s->pending = 0;
		if (s != NULL && s->orphan == parser->pending_head + 1)
			s->orphan = 0;
		ret = emit(parser, &slot->attempt);
	}
	parser->pending_head = (parser->pending_head + 1) % PENDING_MAX;
	parser->pending_count--;
	return ret;
}

/* Hand out held attempts older than now - PENDING_SECS (all when now is
   INT64_MAX), in order. */
static int pending_expire(struct lockout_logparse *parser, int64_t now)
{
	const struct pending *slot;
	int ret;

	while (parser->pending_count > 0) {
		slot = &parser->pending[parser->pending_head];
		if (slot->used && now != INT64_MAX &&
		    slot->attempt.time + PENDING_SECS >= now)
			break;
		if ((ret = pending_pop(parser)) != 0)
			return ret;
	}
	return 0;
}

/* Hand out every held attempt, up to a login line's failures held less
   than PENDING_SECS (the passdb lines of its session may still come; what
   was held after it waits with it, in order). */
static int pending_flush(struct lockout_logparse *parser, int64_t now)
{
	const struct pending *slot;
	int ret;

	while (parser->pending_count > 0) {
		slot = &parser->pending[parser->pending_head];
		if (slot->used && slot->orphan &&
		    slot->attempt.time + PENDING_SECS >= now)
			break;
		if ((ret = pending_pop(parser)) != 0)
			return ret;
	}
	return 0;
}

/* Hand out the held attempt in slot (1-based) and all held before it. */
static int pending_through(struct lockout_logparse *parser, uint32_t slot)
{
	int ret;

	while (parser->pending_count > 0 &&
	       parser->pending[slot - 1].used) {
		if ((ret = pending_pop(parser)) != 0)
			return ret;
	}
	return 0;
}

/* Hold a for s (the oldest held attempt goes out when the queue is full).
   Returns 0, or the callback's non-zero return. */
static int pending_push(struct lockout_logparse *parser, struct session *s,
			const struct lockout_sim_attempt *a)
{
	struct pending *slot;
	unsigned int idx;
	int ret;

	/* popping changes no session but the popped one's pending mark:
	   s stays valid */
	if (parser->pending_count == PENDING_MAX &&
	    (ret = pending_pop(parser)) != 0)
		return ret;
	idx = (parser->pending_head + parser->pending_count) % PENDING_MAX;
	slot = &parser->pending[idx];
	slot->used = true;
	slot->orphan = false;
	slot->key = s == NULL ? 0 : lockout_satable_key(parser->sessions, s);
	slot->attempt = *a;
	parser->pending_count++;
	if (s != NULL)
		s->pending = idx + 1;
	return 0;
}

/* Hand a out now, or after what is still held (keeping the order). */
static int emit_in_order(struct lockout_logparse *parser,
			 struct lockout_sim_attempt *a, int64_t now)
{
	int ret;

	if ((ret = pending_flush(parser, now)) != 0)
		return ret;
	if (parser->pending_count > 0)
		return pending_push(parser, NULL, a);
	return emit(parser, a);
}

/* A passdb line of a session whose login line came first told of one of
   the failures that line held: returns true when it took the held
   attempt's place (or was counted by it), false when it is an attempt of
   its own (the held one covers one attempt less). */
static bool orphan_merge(struct lockout_logparse *parser, struct session *s,
			 enum lockout_sim_result result, uint32_t tag)
{
	struct pending *slot;

	if (s->orphan_left == 0)
		return false;
	s->orphan_left--;
	if (s->orphan == 0)
		return true; /* handed out already: counted there */
	slot = &parser->pending[s->orphan - 1];
	if (slot->attempt.count > 1) {
		slot->attempt.count--;
		return false;
	}
	/* the held failure becomes this passdb line's attempt */
	slot->orphan = false;
	slot->attempt.result = result;
	slot->attempt.password_tag = tag;
	s->pending = s->orphan;
	s->orphan = 0;
	parser->stats.reordered++;
	return true;
}

/* --- auth process lines --------------------------------------------------- */

static void attempt_init(struct lockout_sim_attempt *a, int64_t time,
			 const struct lockout_addr *ip, const char *user,
			 size_t user_len, enum lockout_sim_result result)
{
	memset(a, 0, sizeof(*a));
	a->time = time;
	a->ip = *ip;
	a->result = result;
	a->count = 1;
	copy_n(a->user, sizeof(a->user), user, user_len);
}

/* A passdb (or mechanism) failure line of the auth process. */
static enum line_use auth_failure(struct lockout_logparse *parser,
				  const char *name, size_t name_len,
				  const struct auth_ident *id,
				  const struct auth_msg *m, int64_t now)
{
	struct lockout_sim_attempt a;
	struct session *s;
	uint64_t key;
	uint32_t nhash = name_hash(parser, name, name_len);
	uint32_t uhash = name_hash(parser, id->user, id->user_len);
	uint32_t tag = m->pw == NULL ? 0 :
		lockout_password_tag(parser->key, m->pw, m->pw_len);
	enum chain_state state = m->next ? CHAIN_OPEN :
		m->verbose ? CHAIN_CLOSED : CHAIN_MAYBE;
	bool seen = false;
	unsigned int i;

	if (m->userdb)
		return LINE_IGNORED;
	if (id->session != NULL)
		parser->auth_sessions = true;
	key = id->session != NULL ?
		key_hash(parser, 's', id->session, id->session_len, NULL) :
		key_hash(parser, 'u', id->user, id->user_len, &id->ip);
	s = session_get(parser, key, now);
	for (i = 0; i < s->name_count; i++) {
		if (s->names[i] == nhash)
			seen = true;
	}
	if (s->name_count > 0 && s->user_hash == uhash &&
	    now - s->last_time <= CHAIN_SECS &&
	    (s->chain == CHAIN_OPEN ||
	     (s->chain == CHAIN_MAYBE && !seen))) {
		/* the next passdb of the same request */
		parser->stats.chained++;
		if (s->name_count < CHAIN_NAMES)
			s->names[s->name_count++] = nhash;
		s->last_time = now;
		s->chain = (uint8_t)state;
		if (s->pending != 0) {
			struct lockout_sim_attempt *held =
				&parser->pending[s->pending - 1].attempt;

			/* the user exists if any passdb knew it */
			if (m->result == LOCKOUT_SIM_MISMATCH)
				held->result = LOCKOUT_SIM_MISMATCH;
			if (held->password_tag == 0)
				held->password_tag = tag;
			if (state == CHAIN_CLOSED)
				(void)pending_through(parser, s->pending);
		}
		return LINE_USED;
	}

	/* a new attempt: what this request held goes first */
	if (s->pending != 0) {
		(void)pending_through(parser, s->pending);
		s = session_get(parser, key, now);
	}
	s->has_id = id->session != NULL;
	s->names[0] = nhash;
	s->name_count = 1;
	s->user_hash = uhash;
	s->last_time = now;
	s->chain = (uint8_t)state;
	if (s->attempts < UINT16_MAX)
		s->attempts++;
	if (orphan_merge(parser, s, m->result, tag))
		return LINE_USED;
	attempt_init(&a, now, &id->ip, id->user, id->user_len, m->result);
	a.password_tag = tag;
	if (state == CHAIN_CLOSED) {
		/* no other passdb will log it: out now, in order */
		(void)emit_in_order(parser, &a, now);
	} else {
		(void)pending_push(parser, s, &a);
	}
	return LINE_USED;
}

/* --- login process lines -------------------------------------------------- */

/* A login line's failures before any passdb line of its session: the log
   process reads each process's pipe in turn, so the auth process's lines
   of a session may come just after its login process's last line. They
   are held for PENDING_SECS, for those lines to take their place with
   what they tell (unknown user or not, the password's tag). */
static enum line_use login_orphan(struct lockout_logparse *parser,
				  const struct login_fields *f,
				  const struct lockout_sim_attempt *a,
				  int64_t now)
{
	struct session *s;

	s = session_get(parser, key_hash(parser, 's', f->session,
					 f->session_len, NULL), now);
	memset(s, 0, sizeof(*s));
	s->has_id = true;
	s->last_time = now;
	(void)pending_flush(parser, now);
	if (parser->stopped != 0)
		return LINE_USED;
	(void)pending_push(parser, s, a);
	/* pending_push marked it as the session's passdb attempt */
	s->orphan = s->pending;
	s->pending = 0;
	s->orphan_left = a->count > UINT16_MAX ? UINT16_MAX :
		(uint16_t)a->count;
	parser->pending[s->orphan - 1].orphan = true;
	return LINE_USED;
}

/* "Login: ..." or "Disconnected...(auth failed, N attempts in S secs): ..."
   of imap-login, pop3-login, submission-login, managesieve-login. */
static enum line_use login_line(struct lockout_logparse *parser,
				const char *service, size_t service_len,
				const char *msg, int64_t now)
{
	struct lockout_sim_attempt a;
	struct login_fields f;
	struct session *s = NULL;
	enum login_kind kind;
	enum line_use use;
	unsigned long attempts;
	unsigned int seen = 0;

	use = log_line_login(msg, &kind, &attempts, &f);
	if (use != LINE_USED)
		return use;

	/* everything held was logged before this line */
	if (f.session != NULL) {
		s = session_find(parser, key_hash(parser, 's', f.session,
						  f.session_len, NULL));
	}
	if (s != NULL && s->pending != 0) {
		/* its passdb failures get the service now known */
		struct lockout_sim_attempt *held =
			&parser->pending[s->pending - 1].attempt;

		copy_n(held->service, sizeof(held->service), service,
		       service_len);
		if (f.method != NULL)
			copy_n(held->mechanism, sizeof(held->mechanism),
			       f.method, f.method_len);
	}
	(void)pending_flush(parser, now);
	if (s != NULL) {
		seen = s->attempts;
		memset(s, 0, sizeof(*s));
	}

	attempt_init(&a, now, &f.ip, f.user == NULL ? "" : f.user,
		     f.user_len, LOCKOUT_SIM_OK);
	copy_n(a.service, sizeof(a.service), service, service_len);
	if (f.method != NULL)
		copy_n(a.mechanism, sizeof(a.mechanism), f.method,
		       f.method_len);
	switch (kind) {
	case LOGIN_SUCCESS:
		break;
	case LOGIN_FAILED:
		/* the passdb lines of this session told of some already */
		if (attempts <= seen)
			return LINE_USED;
		attempts -= seen;
		a.result = LOCKOUT_SIM_FAILED;
		a.count = attempts > LOCKOUT_SIM_COUNT_MAX ?
			LOCKOUT_SIM_COUNT_MAX : (unsigned int)attempts;
		if (seen == 0 && parser->auth_sessions && f.session != NULL)
			return login_orphan(parser, &f, &a, now);
		break;
	case LOGIN_REFUSED:
		/* refused before any passdb ran (a lockout passdb there);
		   after passdb lines it was a passdb of the chain that
		   answered "disabled" to an attempt already counted */
		if (seen > 0)
			return LINE_USED;
		a.result = LOCKOUT_SIM_REFUSED;
		break;
	}
	(void)emit_in_order(parser, &a, now);
	return LINE_USED;
}

/* --- lines ---------------------------------------------------------------- */

static enum line_use parse_message(struct lockout_logparse *parser,
				   const char *p, int64_t now)
{
	struct auth_ident id;
	struct auth_msg m;
	const char *msg, *service, *name;
	size_t service_len, name_len;
	enum line_use use;

	switch (log_line_process(p, &msg, &service, &service_len)) {
	case LOG_PROCESS_AUTH:
		use = log_line_auth(msg, &name_len, &id, &m);
		if (use != LINE_USED)
			return use;
		return auth_failure(parser, msg, name_len, &id, &m, now);
	case LOG_PROCESS_AUTH24:
		use = log_line_auth24(msg, &name, &name_len, &id, &m);
		if (use != LINE_USED)
			return use;
		return auth_failure(parser, name, name_len, &id, &m, now);
	case LOG_PROCESS_LOGIN:
		return login_line(parser, service, service_len, msg, now);
	case LOG_PROCESS_OTHER:
		break;
	}
	return LINE_IGNORED;
}

int lockout_logparse_line(struct lockout_logparse *parser, const char *line,
			  size_t len)
{
	struct lockout_logparse_stats *st = &parser->stats;
	struct log_ts ts;
	const char *rest;
	enum line_use use;
	int64_t now;

	if (parser->stopped != 0)
		return parser->stopped;
	st->lines++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		st->ignored++;
		return 0;
	}
	if (len > LOCKOUT_LOG_LINE_MAX || memchr(line, '\0', len) != NULL) {
		st->unusable++;
		return 0;
	}
	memcpy(parser->line, line, len);
	parser->line[len] = '\0';
	rest = log_ts_parse(parser->line, &ts);
	if (rest == NULL) {
		st->unusable++;
		st->no_timestamp++;
		return 0;
	}
	now = log_clock_resolve(&parser->clock, &ts);
	if (parser->have_line_time && now < parser->last_line_time)
		st->backwards++;
	parser->have_line_time = true;
	parser->last_line_time = now;

	(void)pending_expire(parser, now);
	use = parse_message(parser, rest, now);
	if (use == LINE_USED)
		st->used++;
	else if (use == LINE_IGNORED)
		st->ignored++;
	else
		st->unusable++;
	/* a logged password must not stay in memory */
	sodium_memzero(parser->line, len);
	return parser->stopped;
}

int lockout_logparse_finish(struct lockout_logparse *parser)
{
	if (parser->stopped != 0)
		return parser->stopped;
	(void)pending_expire(parser, INT64_MAX);
	return parser->stopped;
}

struct lockout_logparse *
lockout_logparse_create(const unsigned char key[LOCKOUT_SIM_KEY_SIZE],
			lockout_logparse_callback_t *callback, void *context)
{
	struct lockout_logparse *parser;

	parser = calloc(1, sizeof(*parser));
	if (parser == NULL)
		return NULL;
	parser->sessions = lockout_satable_create(SESSION_MAX,
						  sizeof(struct session));
	if (parser->sessions == NULL) {
		free(parser);
		return NULL;
	}
	memcpy(parser->key, key, sizeof(parser->key));
	parser->callback = callback;
	parser->context = context;
	log_clock_begin(&parser->clock, (int64_t)time(NULL));
	return parser;
}

void lockout_logparse_free(struct lockout_logparse **_parser)
{
	struct lockout_logparse *parser = *_parser;

	if (parser == NULL)
		return;
	*_parser = NULL;
	lockout_satable_free(&parser->sessions);
	/* held attempts may carry password tags; the key is secret */
	sodium_memzero(parser, sizeof(*parser));
	free(parser);
}

void lockout_logparse_begin(struct lockout_logparse *parser,
			    int64_t reference)
{
	log_clock_begin(&parser->clock, reference);
}

const struct lockout_logparse_stats *
lockout_logparse_stats(const struct lockout_logparse *parser)
{
	return &parser->stats;
}
