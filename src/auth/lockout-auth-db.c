/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "array.h"
#include "hash.h"
#include "ioloop.h"
#include "str.h"
#include "lockout-auth-private.h"
#include "lockout-store.h"

#include <sodium.h>

/* The ban table as the auth process uses it. Nothing here runs per request:
   requests only append to bounded in-memory queues, and a timer writes them
   in one transaction at most every LOCKOUT_FLUSH_MSECS, so a ban is durable
   within a second. Another timer follows changes made by other processes
   (doveadm, lockoutd) through SQLite's data_version and reloads the bans. */

#define LOCKOUT_FLUSH_MSECS 300
#define LOCKOUT_POLL_MSECS 400
/* while the table is unusable: retry, and repeat the complaint */
#define LOCKOUT_RETRY_SECS 2
#define LOCKOUT_COMPLAIN_SECS 60
/* the auth process never waits longer than this for a lock */
#define LOCKOUT_BUSY_TIMEOUT_MSECS 100
/* queue bounds: an attacker cannot grow them */
#define LOCKOUT_MAX_PENDING_BANS 10000
#define LOCKOUT_MAX_PENDING_OTHER 10000
#define LOCKOUT_MAX_PENDING_FAILURE_KEYS 20000
/* history pruning: bounded batches, now and then */
#define LOCKOUT_PRUNE_SECS 600
#define LOCKOUT_PRUNE_BATCH 2000

struct pending_ban {
	struct lockout_net net;	/* ip/net bans */
	enum lockout_kind kind;
	const char *target, *rule, *reason, *evidence;
	int64_t created, expires;
	unsigned int failures;
	bool observed;
};

HASH_TABLE_DEFINE_TYPE(lockout_users, char *, char *);

struct pending_device {
	const char *user, *network;
	int64_t seen;
};

struct pending_failure {
	int64_t time;
	const char *ip, *user, *service, *mechanism, *result;
	unsigned int count;
};

struct lockout_auth_db {
	struct event *event;
	struct lockout_store *store;
	bool usable;
	time_t next_retry, last_complaint, next_prune;

	/* queued writes, in their own pool, cleared after a commit */
	pool_t pending_pool;
	ARRAY(struct pending_ban) pending_bans;
	ARRAY(struct pending_device) pending_devices;
	ARRAY(struct lockout_event) pending_events;
	HASH_TABLE(char *, struct pending_failure *) pending_failures;
	unsigned int dropped_failures, dropped_bans, dropped_other;
	/* accounts protected by the last reload, to forget the counters of
	   those whose protection was lifted */
	pool_t users_pool;
	HASH_TABLE_TYPE(lockout_users) loaded_users;

	struct timeout *to_flush, *to_poll;
	bool flush_urgent;
};

static void lockout_db_flush(struct lockout_auth_db *db);

bool lockout_auth_db_usable(const struct lockout_auth_db *db)
{
	return db->usable;
}

static void lockout_db_set_unusable(struct lockout_auth_db *db,
				    const char *error)
{
	bool deny = lockout_auth->cfg.on_error == LOCKOUT_ON_ERROR_DENY;

	/* loudly, at once, and again every minute while it lasts */
	if (db->usable || ioloop_time - db->last_complaint >=
	    LOCKOUT_COMPLAIN_SECS) {
		e_error(db->event, "Ban table %s is unusable: %s - "
			"lockout_on_error=%s: %s; retrying every %u secs",
			lockout_auth->cfg.db, error, deny ? "deny" : "allow",
			deny ? "ALL LOGINS ARE REFUSED" :
			"logins are allowed, only bans held in memory apply",
			LOCKOUT_RETRY_SECS);
		db->last_complaint = ioloop_time;
	}
	db->usable = FALSE;
	lockout_store_close(&db->store);
	db->next_retry = ioloop_time + LOCKOUT_RETRY_SECS;
}

struct user_ban {
	const char *user;
	int64_t expires;
};

struct reload_ctx {
	struct lockout_auth_db *db;
	struct lockout_banset *bans;
	ARRAY(struct user_ban) users;
	unsigned int loaded, skipped;
};

static int lockout_db_reload_ban(const struct lockout_ban *ban, void *context)
{
	struct reload_ctx *ctx = context;
	bool observe = lockout_auth->cfg.mode == LOCKOUT_MODE_OBSERVE;
	struct lockout_net net;
	struct user_ban *uban;
	const char *error;

	/* in observe mode only the bans it would have made apply (to log
	   "would refuse"); in enforce mode only real ones */
	if (ban->observed != observe)
		return 0;
	if (ban->kind == LOCKOUT_KIND_USER) {
		uban = array_append_space(&ctx->users);
		uban->user = t_strdup(ban->target);
		uban->expires = ban->expires;
		ctx->loaded++;
		return 0;
	}
	/* the table is shared with other writers: re-validate */
	if (lockout_net_parse(ban->target, &net, &error) < 0) {
		if (ctx->skipped++ == 0) {
			e_warning(ctx->db->event, "Ignoring invalid ban "
				  "target in row %lld: %s",
				  (long long)ban->id, error);
		}
		return 0;
	}
	if (lockout_banset_add(ctx->bans, &net, ban->expires, ban->id) < 0)
		return -1;
	ctx->loaded++;
	return 0;
}

static int lockout_db_reload_allowed(const char *network,
				     const char *reason ATTR_UNUSED,
				     int64_t created ATTR_UNUSED,
				     void *context)
{
	ARRAY(struct lockout_net) *nets = context;
	struct lockout_net net;
	const char *error;

	if (lockout_net_parse(network, &net, &error) == 0)
		array_push_back(nets, &net);
	return 0;
}

static void lockout_db_protect(struct lockout_auth_db *db, pool_t pool,
			       HASH_TABLE_TYPE(lockout_users) *now_loaded,
			       const char *user, int64_t expires)
{
	char *key;

	if (lockout_policy_protect(lockout_auth->policy, user, expires) < 0)
		e_error(db->event, "Out of memory loading protections");
	if (hash_table_lookup(*now_loaded, user) == NULL) {
		key = p_strdup(pool, user);
		hash_table_insert(*now_loaded, key, key);
	}
}

/* Replace the protections with the table's (plus those not written yet),
   and forget the counters of accounts whose protection was lifted. */
static void lockout_db_reload_users(struct lockout_auth_db *db,
				    const struct reload_ctx *ctx)
{
	bool observe = lockout_auth->cfg.mode == LOCKOUT_MODE_OBSERVE;
	HASH_TABLE_TYPE(lockout_users) now_loaded;
	struct hash_iterate_context *iter;
	const struct pending_ban *pban;
	const struct user_ban *uban;
	pool_t pool;
	char *key, *value;

	pool = pool_alloconly_create("lockout users", 1024);
	hash_table_create(&now_loaded, pool, 0, strcase_hash, strcasecmp);
	lockout_policy_clear_protections(lockout_auth->policy);
	array_foreach(&ctx->users, uban)
		lockout_db_protect(db, pool, &now_loaded, uban->user,
				   uban->expires);
	array_foreach(&db->pending_bans, pban) {
		if (pban->kind == LOCKOUT_KIND_USER &&
		    pban->observed == observe)
			lockout_db_protect(db, pool, &now_loaded,
					   pban->target, pban->expires);
	}
	iter = hash_table_iterate_init(db->loaded_users);
	while (hash_table_iterate(iter, db->loaded_users, &key, &value)) {
		if (hash_table_lookup(now_loaded, key) == NULL) {
			lockout_policy_forget_account(lockout_auth->policy,
						      key);
		}
	}
	hash_table_iterate_deinit(&iter);
	hash_table_destroy(&db->loaded_users);
	pool_unref(&db->users_pool);
	db->users_pool = pool;
	db->loaded_users = now_loaded;
}

static int lockout_db_forget_lifted(const struct lockout_banset_entry *entry,
				    void *context)
{
	struct lockout_banset *now_banned = context;

	if (lockout_banset_find(now_banned, &entry->net) == NULL)
		lockout_policy_forget(lockout_auth->policy, &entry->net);
	return 0;
}

static int lockout_db_reload_real(struct lockout_auth_db *db)
{
	bool observe = lockout_auth->cfg.mode == LOCKOUT_MODE_OBSERVE;
	ARRAY(struct lockout_net) allowed;
	struct lockout_banset *old_bans;
	struct reload_ctx ctx;
	const struct pending_ban *pban;
	const char *error;
	int ret;

	i_zero(&ctx);
	ctx.db = db;
	t_array_init(&ctx.users, 16);
	t_array_init(&allowed, 8);
	ctx.bans = lockout_banset_create(NULL);
	if (ctx.bans == NULL) {
		lockout_db_set_unusable(db, "Out of memory loading bans");
		return -1;
	}
	ret = lockout_store_iter_bans(db->store, ioloop_time, 0,
				      lockout_db_reload_ban, &ctx, &error);
	if (ret == 0) {
		ret = lockout_store_iter_allowed(db->store,
						 lockout_db_reload_allowed,
						 &allowed, &error);
	}
	array_foreach(&db->pending_bans, pban) {
		if (ret == 0 && pban->kind != LOCKOUT_KIND_USER &&
		    pban->observed == observe &&
		    lockout_banset_find(ctx.bans, &pban->net) == NULL &&
		    lockout_banset_add(ctx.bans, &pban->net, pban->expires,
				       0) < 0)
			ret = 1;
	}
	if (ret != 0) {
		lockout_banset_free(&ctx.bans);
		lockout_db_set_unusable(db, ret < 0 ? error :
					"Out of memory loading bans");
		return -1;
	}
	if (lockout_policy_set_allowed(lockout_auth->policy,
				       array_count(&allowed) == 0 ? NULL :
				       array_front(&allowed),
				       array_count(&allowed)) < 0)
		e_error(db->event, "Out of memory loading allowed networks");
	old_bans = lockout_policy_replace_bans(lockout_auth->policy,
					       ctx.bans);
	(void)lockout_banset_foreach(old_bans, lockout_db_forget_lifted,
				     ctx.bans);
	lockout_banset_free(&old_bans);

	lockout_db_reload_users(db, &ctx);
	e_debug(db->event, "Loaded %u active bans and %u allowed networks "
		"from %s", ctx.loaded, array_count(&allowed),
		lockout_auth->cfg.db);
	return 0;
}

/* Replace the in-memory bans, protections and allowed networks with the
   table's active ones, plus the ones not written yet. Sources and accounts
   whose ban disappeared (an unban) lose their counters too, so that their
   next failure does not ban them again at once. On failure the state in
   memory stays as it was. */
static int lockout_db_reload(struct lockout_auth_db *db)
{
	int ret;

	T_BEGIN {
		ret = lockout_db_reload_real(db);
	} T_END;
	return ret;
}

static int lockout_db_load_device(const char *user, const char *network,
				  int64_t first_seen ATTR_UNUSED,
				  int64_t last_seen, void *context ATTR_UNUSED)
{
	struct lockout_net net;
	const char *error;

	if (lockout_net_parse(network, &net, &error) == 0)
		lockout_policy_add_known_device(lockout_auth->policy, user,
						&net, last_seen);
	return 0;
}

static int lockout_db_load_history(const struct lockout_ban *ban,
				   void *context)
{
	const int64_t *since = context;
	struct lockout_net net;
	const char *error;

	if (ban->kind == LOCKOUT_KIND_USER || ban->observed ||
	    ban->created < *since ||
	    lockout_net_parse(ban->target, &net, &error) < 0)
		return 0;
	lockout_policy_note_ban(lockout_auth->policy, &net, ban->created);
	return 0;
}

/* At open: what the engine remembers across restarts - known devices, and
   the ban history that escalation needs. */
static int lockout_db_load_memory(struct lockout_auth_db *db)
{
	const struct lockout_config *cfg = &lockout_auth->cfg;
	int64_t since;
	const char *error;

	since = ioloop_time - (int64_t)cfg->known_device_time;
	if (lockout_store_iter_known_devices(db->store, since,
					     cfg->max_known_devices,
					     lockout_db_load_device, NULL,
					     &error) != 0) {
		lockout_db_set_unusable(db, error);
		return -1;
	}
	since = ioloop_time - (int64_t)cfg->history_time;
	if (lockout_store_iter_bans(db->store, ioloop_time,
				    LOCKOUT_ITER_FLAG_ALL,
				    lockout_db_load_history, &since,
				    &error) != 0) {
		lockout_db_set_unusable(db, error);
		return -1;
	}
	return 0;
}

static void lockout_db_open(struct lockout_auth_db *db)
{
	const char *error;

	i_assert(db->store == NULL);
	if (lockout_store_open(lockout_auth->cfg.db,
			       LOCKOUT_STORE_FLAG_CREATE,
			       LOCKOUT_BUSY_TIMEOUT_MSECS, &db->store,
			       &error) < 0) {
		lockout_db_set_unusable(db, error);
		return;
	}
	/* the first reload happens with usable still FALSE so that a failure
	   is reported as a transition */
	db->usable = TRUE;
	if (lockout_db_load_memory(db) < 0 || lockout_db_reload(db) < 0)
		return;
	if (db->last_complaint != 0) {
		e_info(db->event, "Ban table %s is usable again",
		       lockout_auth->cfg.db);
		db->last_complaint = 0;
	}
}

static void lockout_db_pending_clear(struct lockout_auth_db *db)
{
	array_clear(&db->pending_bans);
	array_clear(&db->pending_devices);
	array_clear(&db->pending_events);
	hash_table_clear(db->pending_failures, TRUE);
	p_clear(db->pending_pool);
}

static int lockout_db_write_pending(struct lockout_auth_db *db,
				    const char **error_r)
{
	const struct pending_ban *pban;
	const struct pending_device *pdev;
	const struct lockout_event *pevent;
	struct hash_iterate_context *iter;
	struct pending_failure *pf;
	struct lockout_failure row;
	struct lockout_ban ban;
	char *key;
	int ret = 0;

	array_foreach(&db->pending_bans, pban) {
		i_zero(&ban);
		ban.target = pban->target;
		ban.kind = pban->kind;
		ban.source = LOCKOUT_SOURCE_AUTO;
		ban.reason = pban->reason;
		ban.rule = pban->rule;
		ban.created = pban->created;
		ban.expires = pban->expires;
		ban.failures = pban->failures;
		ban.evidence = pban->evidence;
		ban.observed = pban->observed;
		if (lockout_store_add_ban(db->store, &ban, NULL, error_r) < 0)
			return -1;
	}
	array_foreach(&db->pending_devices, pdev) {
		if (lockout_store_touch_known_device(db->store, pdev->user,
						     pdev->network, pdev->seen,
						     error_r) < 0)
			return -1;
	}
	array_foreach(&db->pending_events, pevent) {
		if (lockout_store_add_event(db->store, pevent, error_r) < 0)
			return -1;
	}
	iter = hash_table_iterate_init(db->pending_failures);
	while (ret == 0 &&
	       hash_table_iterate(iter, db->pending_failures, &key, &pf)) {
		i_zero(&row);
		row.time = pf->time;
		row.ip = pf->ip;
		row.user = pf->user;
		row.service = pf->service;
		row.mechanism = pf->mechanism;
		row.result = pf->result;
		row.count = pf->count;
		ret = lockout_store_add_failures(db->store, &row, 1, error_r);
	}
	hash_table_iterate_deinit(&iter);
	return ret;
}

static void lockout_db_flush(struct lockout_auth_db *db)
{
	const char *error;
	int ret;

	timeout_remove(&db->to_flush);
	if (db->store == NULL)
		return; /* kept until the table is usable again */
	if (array_count(&db->pending_bans) == 0 &&
	    array_count(&db->pending_devices) == 0 &&
	    array_count(&db->pending_events) == 0 &&
	    hash_table_count(db->pending_failures) == 0)
		return;

	if (lockout_store_begin(db->store, &error) < 0) {
		if (lockout_store_error_is_busy(db->store)) {
			/* another writer holds the lock: next round */
			db->flush_urgent = FALSE;
			db->to_flush = timeout_add_short(LOCKOUT_FLUSH_MSECS,
							 lockout_db_flush, db);
			return;
		}
		lockout_db_set_unusable(db, error);
		return;
	}
	ret = lockout_db_write_pending(db, &error);
	if (ret == 0)
		ret = lockout_store_commit(db->store, &error);
	if (ret < 0) {
		lockout_store_rollback(db->store);
		if (lockout_store_error_is_busy(db->store)) {
			db->flush_urgent = FALSE;
			db->to_flush = timeout_add_short(LOCKOUT_FLUSH_MSECS,
							 lockout_db_flush, db);
		} else {
			lockout_db_set_unusable(db, error);
		}
		return;
	}
	if (db->dropped_failures > 0 || db->dropped_bans > 0 ||
	    db->dropped_other > 0) {
		e_warning(db->event, "Write queue was full: %u failure "
			  "records, %u bans and %u other records were not "
			  "written to the table (bans still applied in "
			  "memory)", db->dropped_failures, db->dropped_bans,
			  db->dropped_other);
		db->dropped_failures = db->dropped_bans = 0;
		db->dropped_other = 0;
	}
	lockout_db_pending_clear(db);
}

static void lockout_db_schedule_flush(struct lockout_auth_db *db,
				      bool urgent)
{
	/* bans are written as soon as the current request is done with, so
	   that lockoutd can firewall them at once; the rest waits for the
	   batch */
	if (urgent && db->to_flush != NULL && !db->flush_urgent)
		timeout_remove(&db->to_flush);
	if (db->to_flush == NULL) {
		db->flush_urgent = urgent;
		db->to_flush = timeout_add_short(urgent ? 0 :
						 LOCKOUT_FLUSH_MSECS,
						 lockout_db_flush, db);
	}
}

/* Keep the table from growing forever: failure history, ended bans and
   events older than lockout_history_time, known devices not seen for
   lockout_known_device_time. Small batches, so the lock is never held
   long; when a batch was full we come back soon. */
static void lockout_db_prune(struct lockout_auth_db *db)
{
	static const enum lockout_store_table tables[] = {
		LOCKOUT_STORE_TABLE_FAILURES,
		LOCKOUT_STORE_TABLE_BANS,
		LOCKOUT_STORE_TABLE_EVENTS,
		LOCKOUT_STORE_TABLE_KNOWN_DEVICES,
	};
	const struct lockout_config *cfg = &lockout_auth->cfg;
	unsigned int i, deleted;
	const char *error;
	int64_t before;
	bool more = FALSE;

	db->next_prune = ioloop_time + LOCKOUT_PRUNE_SECS;
	for (i = 0; i < N_ELEMENTS(tables); i++) {
		before = ioloop_time - (int64_t)
			(tables[i] == LOCKOUT_STORE_TABLE_KNOWN_DEVICES ?
			 cfg->known_device_time : cfg->history_time);
		if (lockout_store_prune(db->store, tables[i], before,
					LOCKOUT_PRUNE_BATCH, &deleted,
					&error) < 0) {
			if (!lockout_store_error_is_busy(db->store))
				e_warning(db->event, "Pruning old rows "
					  "failed: %s", error);
			return;
		}
		if (deleted == LOCKOUT_PRUNE_BATCH)
			more = TRUE;
	}
	if (more) {
		/* more to do: come back soon rather than hold the lock */
		db->next_prune = ioloop_time + 1;
	}
}

static void lockout_db_poll(struct lockout_auth_db *db)
{
	const char *error;
	int ret;

	if (db->store == NULL) {
		if (ioloop_time >= db->next_retry)
			lockout_db_open(db);
		if (db->store != NULL)
			lockout_db_schedule_flush(db, FALSE);
		return;
	}
	ret = lockout_store_changed(db->store, &error);
	if (ret < 0) {
		if (!lockout_store_error_is_busy(db->store))
			lockout_db_set_unusable(db, error);
		return;
	}
	if (ret > 0)
		(void)lockout_db_reload(db);
	if (ioloop_time >= db->next_prune && db->store != NULL)
		lockout_db_prune(db);
	(void)lockout_banset_expire(lockout_policy_bans(lockout_auth->policy),
				    ioloop_time);
}

static void lockout_db_queue_ban(struct lockout_auth_db *db,
				 const struct lockout_decision *d,
				 bool observed)
{
	struct pending_ban *pban;

	if (array_count(&db->pending_bans) >= LOCKOUT_MAX_PENDING_BANS) {
		db->dropped_bans++;
		return;
	}
	pban = array_append_space(&db->pending_bans);
	pban->net = d->net;
	pban->kind = d->kind;
	pban->target = p_strdup(db->pending_pool, d->target);
	pban->rule = p_strdup(db->pending_pool, d->rule);
	pban->reason = p_strdup(db->pending_pool, d->reason);
	pban->evidence = p_strdup(db->pending_pool, d->evidence);
	pban->created = d->time;
	pban->expires = d->expires;
	pban->failures = d->failures;
	pban->observed = observed;
}

static void lockout_db_queue_event(struct lockout_auth_db *db,
				   const struct lockout_decision *d,
				   const char *kind)
{
	struct lockout_event *ev;
	char ip[LOCKOUT_NET_STRLEN];

	if (array_count(&db->pending_events) >= LOCKOUT_MAX_PENDING_OTHER) {
		db->dropped_other++;
		return;
	}
	ev = array_append_space(&db->pending_events);
	ev->time = d->time;
	ev->kind = p_strdup(db->pending_pool, kind);
	if (d->type == LOCKOUT_DECISION_PROTECT) {
		ip[0] = '\0';
	} else {
		lockout_net_to_str(&d->net, ip);
	}
	ev->ip = p_strdup(db->pending_pool, ip);
	ev->user = p_strndup(db->pending_pool, d->user, 255);
	ev->detail = p_strdup(db->pending_pool, d->evidence);
}

void lockout_auth_db_queue_decision(struct lockout_auth_db *db,
				    const struct lockout_decision *d,
				    bool observed)
{
	struct pending_device *pdev;
	char network[LOCKOUT_NET_STRLEN];

	switch (d->type) {
	case LOCKOUT_DECISION_BAN:
		lockout_db_queue_ban(db, d, observed);
		lockout_db_schedule_flush(db, TRUE);
		return;
	case LOCKOUT_DECISION_PROTECT:
		lockout_db_queue_ban(db, d, observed);
		/* the postmaster is told at once (lockoutd) */
		if (!observed)
			lockout_db_queue_event(db, d, "protected");
		lockout_db_schedule_flush(db, TRUE);
		return;
	case LOCKOUT_DECISION_NOTABLE:
		lockout_db_queue_event(db, d, d->rule);
		break;
	case LOCKOUT_DECISION_KNOWN_DEVICE:
		if (array_count(&db->pending_devices) >=
		    LOCKOUT_MAX_PENDING_OTHER) {
			db->dropped_other++;
			return;
		}
		lockout_net_to_str(&d->net, network);
		pdev = array_append_space(&db->pending_devices);
		pdev->user = p_strndup(db->pending_pool, d->target, 255);
		pdev->network = p_strdup(db->pending_pool, network);
		pdev->seen = d->time;
		break;
	}
	lockout_db_schedule_flush(db, FALSE);
}

void lockout_auth_db_queue_failure(struct lockout_auth_db *db, time_t now,
				   const char *ip, const char *user,
				   const char *service, const char *mechanism,
				   const char *result)
{
	struct pending_failure *pf;
	const char *key;

	/* the history is for ranking, so identical failures within one
	   flush become one row with a count; usernames are attacker-chosen,
	   so the rows are kept small */
	user = t_strndup(user, 255);
	service = t_strndup(service, 64);
	mechanism = t_strndup(mechanism, 64);
	key = t_strdup_printf("%s\t%s\t%s\t%s\t%s", ip, user, service,
			      mechanism, result);
	pf = hash_table_lookup(db->pending_failures, key);
	if (pf != NULL) {
		pf->count++;
		return;
	}
	if (hash_table_count(db->pending_failures) >=
	    LOCKOUT_MAX_PENDING_FAILURE_KEYS) {
		db->dropped_failures++;
		return;
	}
	pf = p_new(db->pending_pool, struct pending_failure, 1);
	pf->time = now;
	pf->ip = p_strdup(db->pending_pool, ip);
	pf->user = p_strdup(db->pending_pool, user);
	pf->service = p_strdup(db->pending_pool, service);
	pf->mechanism = p_strdup(db->pending_pool, mechanism);
	pf->result = p_strdup(db->pending_pool, result);
	pf->count = 1;
	hash_table_insert(db->pending_failures,
			  p_strdup(db->pending_pool, key), pf);
	lockout_db_schedule_flush(db, FALSE);
}

struct lockout_auth_db *lockout_auth_db_init(void)
{
	struct lockout_auth_db *db;

	db = i_new(struct lockout_auth_db, 1);
	db->event = lockout_auth->event;
	db->pending_pool = pool_alloconly_create("lockout pending", 4096);
	i_array_init(&db->pending_bans, 16);
	i_array_init(&db->pending_devices, 16);
	i_array_init(&db->pending_events, 16);
	db->users_pool = pool_alloconly_create("lockout users", 1024);
	hash_table_create(&db->loaded_users, db->users_pool, 0, strcase_hash,
			  strcasecmp);
	hash_table_create(&db->pending_failures, default_pool, 64,
			  str_hash, strcmp);
	db->next_prune = ioloop_time + 60;
	/* runs as the auth user now: the files get the right owner */
	lockout_db_open(db);
	db->to_poll = timeout_add_short(LOCKOUT_POLL_MSECS, lockout_db_poll,
					db);
	lockout_auth_observer_start_health();
	return db;
}

void lockout_auth_db_deinit(struct lockout_auth_db **_db)
{
	struct lockout_auth_db *db = *_db;

	if (db == NULL)
		return;
	*_db = NULL;
	/* write what is queued before the process ends */
	lockout_db_flush(db);
	timeout_remove(&db->to_flush);
	timeout_remove(&db->to_poll);
	lockout_store_close(&db->store);
	hash_table_destroy(&db->pending_failures);
	hash_table_destroy(&db->loaded_users);
	pool_unref(&db->users_pool);
	array_free(&db->pending_bans);
	array_free(&db->pending_devices);
	array_free(&db->pending_events);
	pool_unref(&db->pending_pool);
	i_free(db);
}
