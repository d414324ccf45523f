/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-sync.h"
#include "lockout-target.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SYNC_OUT_OF_MEMORY "Out of memory loading bans"
/* a ban written back from the engine alone, its row unreadable */
#define SYNC_RESTORED_RULE "restored"
#define SYNC_RESTORED_REASON "Written back from the auth process's memory " \
	"after the ban table was lost (its row could not be read)"

struct sync_user {
	char *name;
	int64_t expires;
};

struct lockout_sync_snapshot {
	struct lockout_banset *bans;
	/* protections: the table's, then those not written yet */
	struct sync_user *users;
	size_t users_count, users_alloc;
	struct lockout_net *allowed;
	size_t allowed_count, allowed_alloc;
};

struct lockout_sync {
	const struct lockout_config *cfg;
	struct lockout_policy *policy;
	/* the accounts protected after the last apply, sorted
	   case-insensitively: the counters of those whose protection is
	   lifted are forgotten */
	char **protected_users;
	size_t protected_count;
	/* the highest id of an invalid ban row reported: new rows have
	   higher ids, so each is reported once without remembering them
	   all */
	int64_t invalid_reported_id;
};

static bool sync_observe(const struct lockout_sync *sync)
{
	return sync->cfg->mode == LOCKOUT_MODE_OBSERVE;
}

static void free_names(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

struct lockout_sync *lockout_sync_create(const struct lockout_config *cfg,
					 struct lockout_policy *policy)
{
	struct lockout_sync *sync;

	sync = calloc(1, sizeof(*sync));
	if (sync == NULL)
		return NULL;
	sync->cfg = cfg;
	sync->policy = policy;
	return sync;
}

void lockout_sync_free(struct lockout_sync **_sync)
{
	struct lockout_sync *sync = *_sync;

	if (sync == NULL)
		return;
	*_sync = NULL;
	free_names(sync->protected_users, sync->protected_count);
	free(sync);
}

/* --- what the engine remembers across restarts ------------------------ */

struct sync_device {
	char *user;
	struct lockout_net net;
	int64_t last_seen;
};

struct sync_noted_ban {
	struct lockout_net net;
	int64_t created;
};

struct lockout_sync_remembered {
	struct sync_device *devices;
	size_t devices_count, devices_alloc;
	struct sync_noted_ban *bans;
	size_t bans_count, bans_alloc;
};

static void *grow(void *data, size_t *alloc, size_t count, size_t size);

void lockout_sync_remembered_free(struct lockout_sync_remembered **_rem)
{
	struct lockout_sync_remembered *rem = *_rem;
	size_t i;

	if (rem == NULL)
		return;
	*_rem = NULL;
	for (i = 0; i < rem->devices_count; i++)
		free(rem->devices[i].user);
	free(rem->devices);
	free(rem->bans);
	free(rem);
}

/* 1 stops the iteration: out of memory. */
static int sync_read_device(const char *user, const char *network,
			    int64_t first_seen, int64_t last_seen,
			    void *context)
{
	struct lockout_sync_remembered *rem = context;
	struct sync_device *devices, *dev;
	struct lockout_net net;
	const char *error;

	(void)first_seen;
	if (lockout_net_parse(network, &net, &error) < 0)
		return 0;
	devices = grow(rem->devices, &rem->devices_alloc, rem->devices_count,
		       sizeof(*devices));
	if (devices == NULL)
		return 1;
	rem->devices = devices;
	dev = &devices[rem->devices_count];
	dev->user = strdup(user);
	if (dev->user == NULL)
		return 1;
	dev->net = net;
	dev->last_seen = last_seen;
	rem->devices_count++;
	return 0;
}

struct history_ctx {
	struct lockout_sync_remembered *rem;
	int64_t since;
};

static int sync_read_history(const struct lockout_ban *ban, void *context)
{
	struct history_ctx *ctx = context;
	struct lockout_sync_remembered *rem = ctx->rem;
	struct sync_noted_ban *bans;
	struct lockout_net net;
	const char *error;

	if (ban->kind == LOCKOUT_KIND_USER || ban->observed ||
	    ban->created < ctx->since ||
	    lockout_net_parse(ban->target, &net, &error) < 0)
		return 0;
	bans = grow(rem->bans, &rem->bans_alloc, rem->bans_count,
		    sizeof(*bans));
	if (bans == NULL)
		return 1;
	rem->bans = bans;
	bans[rem->bans_count].net = net;
	bans[rem->bans_count].created = ban->created;
	rem->bans_count++;
	return 0;
}

int lockout_sync_read_remembered(const struct lockout_sync *sync,
				 struct lockout_store *store, int64_t now,
				 struct lockout_sync_remembered **remembered_r,
				 const char **error_r)
{
	const struct lockout_config *cfg = sync->cfg;
	struct history_ctx ctx;
	int ret;

	*remembered_r = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.rem = calloc(1, sizeof(*ctx.rem));
	if (ctx.rem == NULL) {
		*error_r = SYNC_OUT_OF_MEMORY;
		return -1;
	}
	ret = lockout_store_iter_known_devices(store,
			now - (int64_t)cfg->known_device_time,
			cfg->max_known_devices, sync_read_device, ctx.rem,
			error_r);
	if (ret == 0) {
		ctx.since = now - (int64_t)cfg->history_time;
		ret = lockout_store_iter_bans(store, now,
					      LOCKOUT_ITER_FLAG_ALL,
					      sync_read_history, &ctx,
					      error_r);
	}
	if (ret != 0) {
		lockout_sync_remembered_free(&ctx.rem);
		if (ret > 0)
			*error_r = SYNC_OUT_OF_MEMORY;
		return -1;
	}
	*remembered_r = ctx.rem;
	return 0;
}

void lockout_sync_apply_remembered(struct lockout_sync *sync,
				   struct lockout_sync_remembered **remembered)
{
	struct lockout_sync_remembered *rem = *remembered;
	size_t i;

	for (i = 0; i < rem->devices_count; i++) {
		lockout_policy_add_known_device(sync->policy,
						rem->devices[i].user,
						&rem->devices[i].net,
						rem->devices[i].last_seen);
	}
	for (i = 0; i < rem->bans_count; i++) {
		lockout_policy_note_ban(sync->policy, &rem->bans[i].net,
					rem->bans[i].created);
	}
	lockout_sync_remembered_free(remembered);
}

int lockout_sync_load_remembered(struct lockout_sync *sync,
				 struct lockout_store *store, int64_t now,
				 const char **error_r)
{
	struct lockout_sync_remembered *rem;

	if (lockout_sync_read_remembered(sync, store, now, &rem,
					 error_r) < 0)
		return -1;
	lockout_sync_apply_remembered(sync, &rem);
	return 0;
}

/* --- reading the table ---------------------------------------------------- */

void lockout_sync_snapshot_free(struct lockout_sync_snapshot **_snapshot)
{
	struct lockout_sync_snapshot *snap = *_snapshot;
	size_t i;

	if (snap == NULL)
		return;
	*_snapshot = NULL;
	lockout_banset_free(&snap->bans);
	for (i = 0; i < snap->users_count; i++)
		free(snap->users[i].name);
	free(snap->users);
	free(snap->allowed);
	free(snap);
}

/* An array of count elements (alloc allocated) with room for one more:
   data itself or a larger copy, or NULL when out of memory (data is then
   unchanged). */
static void *grow(void *data, size_t *alloc, size_t count, size_t size)
{
	size_t new_alloc;

	if (count < *alloc)
		return data;
	new_alloc = *alloc == 0 ? 16 : *alloc * 2;
	data = realloc(data, new_alloc * size);
	if (data != NULL)
		*alloc = new_alloc;
	return data;
}

static bool snapshot_add_user(struct lockout_sync_snapshot *snap,
			      const char *name, int64_t expires)
{
	struct sync_user *users, *user;
	size_t len = strlen(name);

	users = grow(snap->users, &snap->users_alloc, snap->users_count,
		     sizeof(*users));
	if (users == NULL)
		return false;
	snap->users = users;
	user = &users[snap->users_count];
	user->name = malloc(len + 1);
	if (user->name == NULL)
		return false;
	memcpy(user->name, name, len + 1);
	user->expires = expires;
	snap->users_count++;
	return true;
}

struct read_ctx {
	struct lockout_sync_snapshot *snap;
	struct lockout_sync_result *result;
	bool observe;
	/* rows up to this id were reported by an earlier read */
	int64_t reported_id;
	/* the highest id reported by this read */
	int64_t max_id;
};

/* Count an invalid row, and keep it to be reported if it is new. */
static void sync_invalid(struct read_ctx *ctx, int64_t id,
			 const char *problem)
{
	struct lockout_sync_result *result = ctx->result;
	unsigned int i;

	if (result->invalid < UINT_MAX)
		result->invalid++;
	if (id <= ctx->reported_id)
		return;
	if (id > ctx->max_id)
		ctx->max_id = id;
	i = result->invalid_new++;
	if (i < LOCKOUT_SYNC_INVALID_MAX) {
		result->invalid_rows[i].id = id;
		snprintf(result->invalid_rows[i].problem,
			 sizeof(result->invalid_rows[i].problem), "%s",
			 problem);
	}
}

/* A row the store skips: its mode is unknown, so it counts either way. */
static void sync_invalid_row(int64_t id, const char *problem, void *context)
{
	sync_invalid(context, id, problem);
}

/* 1 stops the iteration: out of memory. */
static int sync_read_ban(const struct lockout_ban *ban, void *context)
{
	struct read_ctx *ctx = context;
	struct lockout_sync_result *result = ctx->result;
	struct lockout_net net;
	const char *error;

	/* enforce mode follows the enforced bans only; observe mode every
	   ban, so that it says which logins enforcing them would refuse
	   (its own observed bans and manual ones alike) */
	if (ban->observed && !ctx->observe)
		return 0;
	/* the table is shared with other writers: re-validate */
	if (lockout_ban_check_target(ban, &net, &error) < 0) {
		sync_invalid(ctx, ban->id, error);
		return 0;
	}
	if (ban->kind == LOCKOUT_KIND_USER) {
		if (!snapshot_add_user(ctx->snap, ban->target, ban->expires))
			return 1;
		result->loaded++;
		return 0;
	}
	if (lockout_banset_add(ctx->snap->bans, &net, ban->expires,
			       ban->id) < 0)
		return 1;
	result->loaded++;
	return 0;
}

/* Add the allowed network to the snapshot: 1 when added, 0 when it does
   not parse (skipped), -1 when out of memory. */
static int snapshot_add_allowed(struct lockout_sync_snapshot *snap,
				const char *network)
{
	struct lockout_net net, *allowed;
	const char *error;

	if (lockout_net_parse(network, &net, &error) < 0)
		return 0;
	allowed = grow(snap->allowed, &snap->allowed_alloc,
		       snap->allowed_count, sizeof(*allowed));
	if (allowed == NULL)
		return -1;
	snap->allowed = allowed;
	allowed[snap->allowed_count++] = net;
	return 1;
}

static int sync_read_allowed(const char *network, const char *reason,
			     int64_t created, void *context)
{
	struct read_ctx *ctx = context;
	int ret;

	(void)reason;
	(void)created;
	ret = snapshot_add_allowed(ctx->snap, network);
	if (ret < 0)
		return 1;
	ctx->result->allowed += (unsigned int)ret;
	return 0;
}

int lockout_sync_read(struct lockout_sync *sync,
		      struct lockout_store *store, int64_t now,
		      struct lockout_sync_snapshot **snapshot_r,
		      struct lockout_sync_result *result_r,
		      const char **error_r)
{
	struct read_ctx ctx;
	int ret;

	memset(result_r, 0, sizeof(*result_r));
	*snapshot_r = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.result = result_r;
	ctx.observe = sync_observe(sync);
	ctx.reported_id = ctx.max_id = sync->invalid_reported_id;
	ctx.snap = calloc(1, sizeof(*ctx.snap));
	if (ctx.snap == NULL ||
	    (ctx.snap->bans = lockout_banset_create(NULL)) ==
	    NULL) {
		lockout_sync_snapshot_free(&ctx.snap);
		*error_r = SYNC_OUT_OF_MEMORY;
		return -1;
	}
	lockout_store_set_invalid_ban_callback(store, sync_invalid_row, &ctx);
	ret = lockout_store_iter_bans(store, now, 0, sync_read_ban, &ctx,
				      error_r);
	lockout_store_set_invalid_ban_callback(store, NULL, NULL);
	/* reported even if the read fails later: logged once */
	sync->invalid_reported_id = ctx.max_id;
	if (ret == 0) {
		ret = lockout_store_iter_allowed(store, sync_read_allowed,
						 &ctx, error_r);
	}
	if (ret != 0) {
		lockout_sync_snapshot_free(&ctx.snap);
		if (ret > 0)
			*error_r = SYNC_OUT_OF_MEMORY;
		return -1;
	}
	*snapshot_r = ctx.snap;
	return 0;
}

/* --- changing the engine ------------------------------------------------ */

struct merge_ctx {
	struct lockout_sync_snapshot *snap;
	bool observe;
};

/* A ban not written yet: the table's own row wins. 1 = out of memory. */
static int sync_merge_pending(const struct lockout_ban *ban,
			      const struct lockout_net *net, void *context)
{
	struct merge_ctx *ctx = context;

	/* enforce mode follows the enforced bans only; observe mode every
	   ban, so that it says which logins enforcing them would refuse
	   (its own observed bans and manual ones alike) */
	if (ban->observed && !ctx->observe)
		return 0;
	if (ban->kind == LOCKOUT_KIND_USER)
		return snapshot_add_user(ctx->snap, ban->target,
					 ban->expires) ? 0 : 1;
	if (lockout_banset_find(ctx->snap->bans, net) != NULL)
		return 0;
	return lockout_banset_add(ctx->snap->bans, net, ban->expires, 0) < 0 ?
		1 : 0;
}

/* An allowed network not written yet (written back after the table was
   lost): it applies already. 1 = out of memory. */
static int sync_merge_pending_allowed(const char *network, const char *reason,
				      int64_t created, void *context)
{
	(void)reason;
	(void)created;
	return snapshot_add_allowed(context, network) < 0 ? 1 : 0;
}

struct forget_ctx {
	struct lockout_policy *policy;
	const struct lockout_banset *now_banned;
};

static int sync_forget_lifted(const struct lockout_banset_entry *entry,
			      void *context)
{
	struct forget_ctx *ctx = context;

	if (lockout_banset_find(ctx->now_banned, &entry->net) == NULL)
		lockout_policy_forget(ctx->policy, &entry->net);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* Replace the engine's protections with the snapshot's, and forget the
   counters of accounts whose protection was lifted. Takes the names. */
static void sync_apply_protections(struct lockout_sync *sync,
				   struct lockout_sync_snapshot *snap,
				   struct lockout_sync_result *result)
{
	char **names;
	size_t i, count = 0;

	lockout_policy_clear_protections(sync->policy);
	for (i = 0; i < snap->users_count; i++) {
		if (lockout_policy_protect(sync->policy, snap->users[i].name,
					   snap->users[i].expires) < 0)
			result->protections_failed = true;
	}
	names = malloc((snap->users_count + 1) * sizeof(*names));
	if (names == NULL) {
		/* the old list stays: lifted ones keep their counters */
		result->protections_failed = true;
		return;
	}
	for (i = 0; i < snap->users_count; i++) {
		names[i] = snap->users[i].name;
		snap->users[i].name = NULL;
	}
	qsort(names, snap->users_count, sizeof(*names), name_cmp);
	for (i = 0; i < snap->users_count; i++) {
		if (count > 0 && name_cmp(&names[count - 1], &names[i]) == 0)
			free(names[i]);
		else
			names[count++] = names[i];
	}
	for (i = 0; i < sync->protected_count; i++) {
		if (bsearch(&sync->protected_users[i], names, count,
			    sizeof(*names), name_cmp) == NULL) {
			lockout_policy_forget_account(sync->policy,
						      sync->protected_users[i]);
		}
	}
	free_names(sync->protected_users, sync->protected_count);
	sync->protected_users = names;
	sync->protected_count = count;
}

int lockout_sync_apply(struct lockout_sync *sync,
		       struct lockout_sync_snapshot **snapshot,
		       const struct lockout_writeq *pending,
		       struct lockout_sync_result *result_r,
		       const char **error_r)
{
	struct lockout_sync_snapshot *snap = *snapshot;
	struct merge_ctx merge = { snap, sync_observe(sync) };
	struct forget_ctx forget;
	struct lockout_banset *old_bans;

	*snapshot = NULL;
	result_r->protections_failed = false;
	result_r->allowed_failed = false;
	if (pending != NULL &&
	    (lockout_writeq_iter_bans(pending, sync_merge_pending,
				      &merge) != 0 ||
	     lockout_writeq_iter_allowed(pending, sync_merge_pending_allowed,
					 snap) != 0)) {
		lockout_sync_snapshot_free(&snap);
		*error_r = SYNC_OUT_OF_MEMORY;
		return -1;
	}

	/* nothing fails from here on but a copy of the allowed networks or
	   of a protection, which leaves the previous ones */
	if (lockout_policy_set_allowed(sync->policy, snap->allowed,
				       snap->allowed_count) < 0)
		result_r->allowed_failed = true;
	old_bans = lockout_policy_replace_bans(sync->policy, snap->bans);
	snap->bans = NULL;
	forget.policy = sync->policy;
	forget.now_banned = lockout_policy_bans(sync->policy);
	(void)lockout_banset_foreach(old_bans, sync_forget_lifted, &forget);
	lockout_banset_free(&old_bans);
	sync_apply_protections(sync, snap, result_r);
	lockout_sync_snapshot_free(&snap);
	return 0;
}

int lockout_sync_reload(struct lockout_sync *sync,
			struct lockout_store *store,
			const struct lockout_writeq *pending, int64_t now,
			struct lockout_sync_result *result_r,
			const char **error_r)
{
	struct lockout_sync_snapshot *snap;

	if (lockout_sync_read(sync, store, now, &snap, result_r, error_r) < 0)
		return -1;
	return lockout_sync_apply(sync, &snap, pending, result_r, error_r);
}

/* --- failures counted by other nodes ------------------------------------- */

unsigned int lockout_sync_failure_attempt(const struct lockout_sync *sync,
					  const struct lockout_failure *row,
					  int64_t now,
					  struct lockout_attempt *attempt_r)
{
	unsigned int outcome;

	memset(attempt_r, 0, sizeof(*attempt_r));
	if (row->count == 0 || row->result == NULL || row->ip == NULL ||
	    lockout_addr_parse(row->ip, &attempt_r->ip) < 0)
		return 0;
	/* late rows (a node that wrote its queue after an outage) are not
	   fresh failures: the engine would count them as of now */
	if (row->time < now - (int64_t)sync->cfg->ip_window)
		return 0;
	/* the history stores lockout_outcome_to_str() of the outcome */
	for (outcome = LOCKOUT_OUTCOME_MISMATCH;; outcome++) {
		const char *name =
			lockout_outcome_to_str((enum lockout_outcome)outcome);

		if (strcmp(name, "unknown") == 0)
			return 0;
		if (strcmp(name, row->result) == 0)
			break;
	}
	attempt_r->outcome = (enum lockout_outcome)outcome;
	/* the writing node's tag: a password it saw repeated counts once
	   here too (the engine's repeats), as it did there */
	attempt_r->password_tag = row->tag;
	/* the engine's time only moves forward */
	attempt_r->time = now;
	attempt_r->user = row->user == NULL || row->user[0] == '\0' ||
		outcome == LOCKOUT_OUTCOME_INVALID_USER ? NULL : row->user;
	attempt_r->service = row->service == NULL ||
		row->service[0] == '\0' ? NULL : row->service;
	attempt_r->mechanism = row->mechanism == NULL ||
		row->mechanism[0] == '\0' ? NULL : row->mechanism;
	return row->count < LOCKOUT_SYNC_REMOTE_COUNT_MAX ? row->count :
		LOCKOUT_SYNC_REMOTE_COUNT_MAX;
}

/* --- writing back a lost table --------------------------------------------- */

/* Keys of bans ("n" + canonical network, or "u" + username): those still
   queued (the queue writes them itself) and those queued here. */
struct key_set {
	char **keys;
	size_t count, alloc;
	bool failed;
};

static void key_set_free(struct key_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		free(set->keys[i]);
	free(set->keys);
}

/* The key of a ban of kind user (target) or of net. */
static void ban_key(bool user, const char *target,
		    const struct lockout_net *net,
		    char buf[LOCKOUT_BAN_TARGET_MAX + 2])
{
	buf[0] = user ? 'u' : 'n';
	if (user)
		snprintf(buf + 1, LOCKOUT_BAN_TARGET_MAX + 1, "%s", target);
	else
		lockout_net_to_str(net, buf + 1);
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add key (unsorted until key_set_sort()); failures are remembered. */
static void key_set_add(struct key_set *set, const char *key)
{
	char **keys;

	keys = grow(set->keys, &set->alloc, set->count, sizeof(*keys));
	if (keys == NULL || (keys[set->count] = strdup(key)) == NULL) {
		if (keys != NULL)
			set->keys = keys;
		set->failed = true;
		return;
	}
	set->keys = keys;
	set->count++;
}

static void key_set_sort(struct key_set *set)
{
	if (set->count > 1)
		qsort(set->keys, set->count, sizeof(*set->keys), key_cmp);
}

static bool key_set_has(const struct key_set *set, const char *key)
{
	return set->count > 0 &&
		bsearch(&key, set->keys, set->count, sizeof(*set->keys),
			key_cmp) != NULL;
}

static int pending_key_add(const struct lockout_ban *ban,
			   const struct lockout_net *net, void *context)
{
	char key[LOCKOUT_BAN_TARGET_MAX + 2];

	ban_key(ban->kind == LOCKOUT_KIND_USER, ban->target, net, key);
	key_set_add(context, key);
	return 0;
}

struct restore_ctx {
	struct lockout_sync *sync;
	struct lockout_writeq *queue;
	/* still queued; queued here */
	struct key_set pending, done;
	int64_t now;
	struct lockout_sync_restored *result;
};

static void restore_counted(struct restore_ctx *ctx,
			    enum lockout_writeq_flush flush,
			    unsigned int *counter)
{
	if (flush == LOCKOUT_WRITEQ_FLUSH_NONE)
		ctx->result->dropped++;
	else
		(*counter)++;
}

/* An active row of the lost table, read through the connection that still
   has the file open: written back as it was (both modes). */
static int restore_row(const struct lockout_ban *ban, void *context)
{
	struct restore_ctx *ctx = context;
	char key[LOCKOUT_BAN_TARGET_MAX + 2];
	bool user = ban->kind == LOCKOUT_KIND_USER;
	struct lockout_net net;
	const char *error;

	memset(&net, 0, sizeof(net));
	if (!user && lockout_net_parse(ban->target, &net, &error) < 0)
		return 0; /* invalid rows are not written back */
	ban_key(user, ban->target, &net, key);
	if (key_set_has(&ctx->pending, key))
		return 0;
	key_set_add(&ctx->done, key);
	restore_counted(ctx, lockout_writeq_add_ban(ctx->queue, ban, &net),
			&ctx->result->bans);
	return 0;
}

static int restore_allowed(const char *network, const char *reason,
			   int64_t created, void *context)
{
	struct restore_ctx *ctx = context;

	restore_counted(ctx, lockout_writeq_add_allowed(ctx->queue, network,
							reason, created),
			&ctx->result->allowed);
	return 0;
}

static int restore_device(const char *user, const char *network,
			  int64_t first_seen, int64_t last_seen,
			  void *context)
{
	struct restore_ctx *ctx = context;
	struct lockout_decision d;
	const char *error;

	(void)first_seen;
	memset(&d, 0, sizeof(d));
	d.type = LOCKOUT_DECISION_KNOWN_DEVICE;
	d.target = d.user = user;
	d.time = last_seen;
	if (lockout_net_parse(network, &d.net, &error) < 0)
		return 0;
	restore_counted(ctx, lockout_writeq_add_decision(ctx->queue, &d,
							 false),
			&ctx->result->devices);
	return 0;
}

/* A ban of the engine whose row was not read (the old file unreadable,
   the queue full when it was made): written with what the engine knows. */
static int restore_engine_ban(const struct lockout_banset_entry *entry,
			      void *context)
{
	struct restore_ctx *ctx = context;
	char key[LOCKOUT_BAN_TARGET_MAX + 2];
	struct lockout_ban ban;

	if (entry->expires != 0 && entry->expires <= ctx->now)
		return 0;
	ban_key(false, NULL, &entry->net, key);
	if (key_set_has(&ctx->pending, key) || key_set_has(&ctx->done, key))
		return 0;
	memset(&ban, 0, sizeof(ban));
	ban.target = key + 1;
	ban.kind = lockout_net_is_host(&entry->net) ? LOCKOUT_KIND_IP :
		LOCKOUT_KIND_NET;
	ban.source = LOCKOUT_SOURCE_AUTO;
	ban.rule = SYNC_RESTORED_RULE;
	ban.reason = SYNC_RESTORED_REASON;
	ban.created = ctx->now;
	if (entry->expires != 0 && entry->expires <= ban.created)
		ban.created = entry->expires - 1;
	ban.expires = entry->expires;
	ban.evidence = "{}";
	ban.observed = sync_observe(ctx->sync);
	restore_counted(ctx, lockout_writeq_add_ban(ctx->queue, &ban,
						    &entry->net),
			&ctx->result->bare);
	return 0;
}

void lockout_sync_restore(struct lockout_sync *sync,
			  struct lockout_store *old,
			  struct lockout_writeq *queue, int64_t now,
			  struct lockout_sync_restored *result_r)
{
	const struct lockout_config *cfg = sync->cfg;
	struct restore_ctx ctx;
	const char *error = NULL;

	memset(result_r, 0, sizeof(*result_r));
	memset(&ctx, 0, sizeof(ctx));
	ctx.sync = sync;
	ctx.queue = queue;
	ctx.now = now;
	ctx.result = result_r;
	(void)lockout_writeq_iter_bans(queue, pending_key_add, &ctx.pending);
	key_set_sort(&ctx.pending);

	if (old == NULL)
		error = "no connection to the lost table";
	else if (lockout_store_iter_bans(old, now, 0, restore_row, &ctx,
					 &error) != 0 ||
		 lockout_store_iter_allowed(old, restore_allowed, &ctx,
					    &error) != 0 ||
		 lockout_store_iter_known_devices(old,
			now - (int64_t)cfg->known_device_time,
			cfg->max_known_devices, restore_device, &ctx,
			&error) != 0)
		;
	else
		error = NULL;
	if (error != NULL) {
		result_r->read_failed = true;
		snprintf(result_r->read_error, sizeof(result_r->read_error),
			 "%s", error);
	}
	/* what the engine holds beyond what was read */
	key_set_sort(&ctx.done);
	(void)lockout_banset_foreach(lockout_policy_bans(sync->policy),
				     restore_engine_ban, &ctx);
	result_r->keys_failed = ctx.pending.failed || ctx.done.failed;
	key_set_free(&ctx.pending);
	key_set_free(&ctx.done);
}

/* --- upkeep --------------------------------------------------------------- */

int lockout_sync_prune(const struct lockout_sync *sync,
		       struct lockout_store *store, int64_t now,
		       bool *more_r, const char **error_r)
{
	static const enum lockout_store_table tables[] = {
		LOCKOUT_STORE_TABLE_FAILURES,
		LOCKOUT_STORE_TABLE_BANS,
		LOCKOUT_STORE_TABLE_EVENTS,
		LOCKOUT_STORE_TABLE_KNOWN_DEVICES,
	};
	const struct lockout_config *cfg = sync->cfg;
	unsigned int deleted;
	int64_t before;
	size_t i;

	*more_r = false;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		before = now - (int64_t)
			(tables[i] == LOCKOUT_STORE_TABLE_KNOWN_DEVICES ?
			 cfg->known_device_time : cfg->history_time);
		if (lockout_store_prune(store, tables[i], before,
					LOCKOUT_SYNC_PRUNE_BATCH, &deleted,
					error_r) < 0)
			return -1;
		if (deleted == LOCKOUT_SYNC_PRUNE_BATCH)
			*more_r = true;
	}
	return 0;
}
