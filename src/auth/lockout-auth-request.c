/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "write-full.h"
#include "hash.h"
#include "passdb.h"
#include "auth-request.h"
#include "lockout-auth-compat.h"
#include "lockout-auth-request.h"
#include "lockout-config.h"
#include "lockout-policy.h"
#include "lockout-tag.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

/* The finished events are passthrough children of request->event. */
#define LOCKOUT_EVENT_MAX_DEPTH 4

/* request->event -> the request's context (which points to the request),
   for the observer. Not event_set_ptr(): its pointer array cost every
   request an allocation in the event's pool (issue 12: 1.9% of the auth
   process in a failure flood). An entry goes when its event is freed
   (lockout_auth_request_event_freed()), so the table holds only requests
   that are alive, which Dovecot bounds; a freed entry's node is reused. */
static HASH_TABLE(struct event *, struct lockout_request_ctx *) request_ctxs;

#define LOCKOUT_TAG_KEY_FILE "lockout.key"

/* per-install key of the password tags, in memory only */
static unsigned char lockout_tag_key[LOCKOUT_TAG_KEY_SIZE];

static void lockout_tag_key_create(const char *path, uid_t uid, gid_t gid)
{
	unsigned char key[LOCKOUT_TAG_KEY_SIZE];
	const char *tmp = t_strconcat(path, ".tmp", NULL);
	int fd;

	randombytes_buf(key, sizeof(key));
	i_unlink_if_exists(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0)
		i_fatal("lockout: open(%s) failed: %m", tmp);
	if (write_full(fd, key, sizeof(key)) < 0 || fsync(fd) < 0)
		i_fatal("lockout: write(%s) failed: %m", tmp);
	sodium_memzero(key, sizeof(key));
	if (fchown(fd, uid, gid) < 0)
		i_fatal("lockout: fchown(%s) failed: %m", tmp);
	if (close(fd) < 0)
		i_fatal("lockout: close(%s) failed: %m", tmp);
	/* link() rather than rename(): never replace a key that another
	   process created meanwhile */
	if (link(tmp, path) < 0 && errno != EEXIST)
		i_fatal("lockout: link(%s, %s) failed: %m", tmp, path);
	i_unlink(tmp);
}

void lockout_auth_request_init(const struct lockout_config *cfg, uid_t uid,
			       gid_t gid)
{
	const char *p, *path;
	struct stat st;
	ssize_t ret;
	int fd;

	if (cfg->db_driver != LOCKOUT_DB_DRIVER_SQLITE) {
		/* no directory of ours: a key of this process's life. The
		   tags are compared in memory only, and the engine's memory
		   ends with the process too, so nothing needs it longer */
		randombytes_buf(lockout_tag_key, sizeof(lockout_tag_key));
		return;
	}
	p = strrchr(cfg->db, '/');
	path = t_strconcat(t_strdup_until(cfg->db, p + 1),
			   LOCKOUT_TAG_KEY_FILE, NULL);
	fd = open(path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		lockout_tag_key_create(path, uid, gid);
		fd = open(path, O_RDONLY | O_NOFOLLOW);
	}
	if (fd < 0)
		i_fatal("lockout: open(%s) failed: %m", path);
	if (fstat(fd, &st) < 0)
		i_fatal("lockout: fstat(%s) failed: %m", path);
	if ((st.st_mode & 0077) != 0 || !S_ISREG(st.st_mode)) {
		i_fatal("lockout: %s must be a regular file readable by its "
			"owner only (chmod 0600)", path);
	}
	ret = read(fd, lockout_tag_key, LOCKOUT_TAG_KEY_SIZE);
	if (ret != LOCKOUT_TAG_KEY_SIZE) {
		i_fatal("lockout: %s: expected %d bytes of key, read %d "
			"(delete it to create a new one)", path,
			LOCKOUT_TAG_KEY_SIZE, (int)ret);
	}
	i_close_fd(&fd);
}

void lockout_auth_request_deinit(void)
{
	sodium_memzero(lockout_tag_key, sizeof(lockout_tag_key));
	if (hash_table_is_created(request_ctxs))
		hash_table_destroy(&request_ctxs);
}

struct lockout_request_ctx *
lockout_auth_request_ctx(struct auth_request *request)
{
	struct lockout_request_ctx *ctx;

	if (!hash_table_is_created(request_ctxs))
		hash_table_create_direct(&request_ctxs, default_pool, 0);
	ctx = hash_table_lookup(request_ctxs, request->event);
	if (ctx == NULL) {
		ctx = p_new(request->pool, struct lockout_request_ctx, 1);
		/* the observer finds the request again through its event */
		ctx->request = request;
		hash_table_insert(request_ctxs, request->event, ctx);
	}
	return ctx;
}

struct lockout_request_ctx *
lockout_auth_request_ctx_get(struct auth_request *request)
{
	if (!hash_table_is_created(request_ctxs))
		return NULL;
	return hash_table_lookup(request_ctxs, request->event);
}

void lockout_auth_request_event_freed(struct event *event)
{
	if (hash_table_is_created(request_ctxs) &&
	    hash_table_count(request_ctxs) > 0)
		(void)hash_table_try_remove(request_ctxs, event);
}

struct auth_request *
lockout_auth_request_find(struct event *event,
			  struct lockout_request_ctx **ctx_r)
{
	struct lockout_request_ctx *ctx;
	unsigned int depth;

	if (!hash_table_is_created(request_ctxs))
		return NULL;
	for (depth = 0; event != NULL && depth < LOCKOUT_EVENT_MAX_DEPTH;
	     depth++) {
		ctx = hash_table_lookup(request_ctxs, event);
		if (ctx != NULL && ctx->request->event == event) {
			*ctx_r = ctx;
			return ctx->request;
		}
		event = event_get_parent(event);
	}
	return NULL;
}

/* Equal passwords give equal tags, nothing about the password can be
   learnt from one, and it is kept only in memory. */
uint32_t lockout_auth_request_password_tag(const char *password)
{
	return lockout_password_tag(lockout_tag_key, password,
				    strlen(password));
}

void lockout_auth_request_addr(const struct auth_request *request,
			       struct lockout_addr *addr_r)
{
	const struct ip_addr *ip = &request->fields.remote_ip;
	int ret = -1;

	/* the bytes as they are (no text in between: this runs twice per
	   request); IPv4-mapped IPv6 becomes IPv4 as everywhere else */
	if (ip->family == AF_INET)
		ret = lockout_addr_from_bytes(LOCKOUT_AF_INET, &ip->u.ip4,
					      addr_r);
	else if (ip->family == AF_INET6)
		ret = lockout_addr_from_bytes(LOCKOUT_AF_INET6, &ip->u.ip6,
					      addr_r);
	if (ret < 0)
		i_zero(addr_r);
}

bool lockout_auth_request_attempt(const struct auth_request *request,
				  const struct lockout_request_ctx *ctx,
				  time_t now,
				  struct lockout_attempt *attempt_r)
{
	i_zero(attempt_r);
	attempt_r->time = now;
	lockout_auth_request_addr(request, &attempt_r->ip);
	if (attempt_r->ip.family == 0)
		return FALSE; /* no address: nothing to count or ban */
	/* targeted names are matched as typed; the account as the passdb
	   resolved it */
	attempt_r->user = request->fields.original_username != NULL ?
		request->fields.original_username : request->fields.user;
	attempt_r->account = request->fields.user;
	attempt_r->service = lockout_auth_request_protocol(request);
	attempt_r->mechanism = request->fields.mech_name;
	if (ctx != NULL)
		attempt_r->password_tag = ctx->password_tag;

	if (ctx != NULL && ctx->refused) {
		/* a refusal for a protected account still counts against
		   its source */
		attempt_r->outcome = ctx->refused_protected ?
			LOCKOUT_OUTCOME_PROTECTED : ctx->refused_name ?
			LOCKOUT_OUTCOME_UNKNOWN_NAME : ctx->refused_suspect ?
			LOCKOUT_OUTCOME_SUSPECT : LOCKOUT_OUTCOME_REFUSED;
	} else if (request->fields.successful) {
		attempt_r->outcome = LOCKOUT_OUTCOME_SUCCESS;
	} else if (request->internal_failure) {
		return FALSE; /* an internal failure is not an attack */
	} else if (request->passdb_result == PASSDB_RESULT_USER_UNKNOWN &&
		   (ctx == NULL || !ctx->seen_mismatch)) {
		attempt_r->outcome = LOCKOUT_OUTCOME_UNKNOWN_USER;
	} else {
		attempt_r->outcome = LOCKOUT_OUTCOME_MISMATCH;
	}
	return TRUE;
}

bool lockout_auth_request_refused_username(struct event *event, time_t now,
					   struct lockout_attempt *attempt_r,
					   const char **remote_ip_r)
{
	const char *original, *user, *error, *remote_ip;

	/* Dovecot keeps the name as typed in original_user and, when the
	   name fails its checks, clears user (auth_request_set_username());
	   the mechanism then fails the request before any passdb. A name
	   it accepted (a failure for another reason: a policy server, a
	   bad login_user) is not ours to count here. */
	if (event_find_field_recursive_str(event, "success") != NULL)
		return FALSE;
	error = event_find_field_recursive_str(event, "error");
	if (error != NULL && strcmp(error, "internal failure") == 0)
		return FALSE;
	original = event_find_field_recursive_str(event, "original_user");
	user = event_find_field_recursive_str(event, "user");
	if (original == NULL || (user != NULL && user[0] != '\0'))
		return FALSE;
	remote_ip = event_find_field_recursive_str(event, "remote_ip");
	if (remote_ip == NULL)
		return FALSE;

	i_zero(attempt_r);
	attempt_r->time = now;
	/* the canonical parser, as for every other request */
	if (lockout_addr_parse(remote_ip, &attempt_r->ip) < 0)
		return FALSE;
	attempt_r->user = original;
	attempt_r->service = event_find_field_recursive_str(event,
		lockout_auth_event_protocol_field());
	attempt_r->mechanism = event_find_field_recursive_str(event,
							      "mechanism");
	attempt_r->outcome = LOCKOUT_OUTCOME_INVALID_USER;
	*remote_ip_r = remote_ip;
	return TRUE;
}
