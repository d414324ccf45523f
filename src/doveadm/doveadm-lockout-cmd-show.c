/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "array.h"
#include "str.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"
#include "lockout-json.h"

#include <sysexits.h>

/* doveadm lockout show <target>: everything the table knows about one
   address, network or username, as one record (one "field: value" line
   each by default; -f json gives one object): its state, the ban that
   applies or applied (reason, rule, counts and window from its evidence),
   the ban history, what the failure history (lockout_history_time) says
   about usernames, sources and services tried, and for a username its
   known devices and whether the account exists. */

/* Items listed per field, most frequent first; the rest are counted. */
#define SHOW_MAX_ITEMS 10

struct show_ctx {
	pool_t pool;
	struct doveadm_lockout *lo;
	struct lockout_target target;

	/* bans of exactly the target, oldest first */
	ARRAY(struct lockout_ban) bans;
	/* active bans that apply: the target's own or a wider network's */
	ARRAY_TYPE(const_string) banned_by;
	struct lockout_ban cover;
	bool have_cover, enforced;

	/* the failure history */
	uint64_t failures, refused, unknown_names;
	int64_t first, last;
	struct doveadm_lockout_tally *users, *sources, *services;

	string_t *devices;
};

static void show_ban_copy(struct show_ctx *ctx, const struct lockout_ban *ban,
			  struct lockout_ban *copy)
{
	*copy = *ban;
	copy->target = p_strdup(ctx->pool, ban->target);
	copy->reason = p_strdup(ctx->pool, ban->reason);
	copy->rule = p_strdup(ctx->pool, ban->rule);
	copy->evidence = p_strdup(ctx->pool, ban->evidence);
}

static int show_collect_ban(const struct lockout_ban *ban, void *context)
{
	struct show_ctx *ctx = context;

	show_ban_copy(ctx, ban, array_append_space(&ctx->bans));
	return 0;
}

/* An active ban that applies to the target. */
static int show_check_cover(const struct lockout_ban *ban, void *context)
{
	struct show_ctx *ctx = context;
	const char *target;

	target = p_strdup(ctx->pool, ban->target);
	array_push_back(&ctx->banned_by, &target);
	/* the ban that explains the state best, the newest of those
	   (iteration is oldest first) */
	if (!ctx->have_cover ||
	    lockout_ban_relevance(ban, &ctx->target) >=
	    lockout_ban_relevance(&ctx->cover, &ctx->target)) {
		show_ban_copy(ctx, ban, &ctx->cover);
		ctx->have_cover = TRUE;
	}
	if (!ban->observed)
		ctx->enforced = TRUE;
	return 0;
}

static int show_failure(const struct lockout_failure *row, void *context)
{
	struct show_ctx *ctx = context;

	if (!lockout_failure_concerns(row, &ctx->target))
		return 0;
	if (lockout_failure_refused(row)) {
		ctx->refused += row->count;
		return 0;
	}
	ctx->failures += row->count;
	/* refused as a username the passdb called unknown lately (rule
	   unknown_names): a failure as the lookup's "unknown user", counted
	   apart too */
	if (row->result != NULL && strcmp(row->result, "unknown_name") == 0)
		ctx->unknown_names += row->count;
	if (ctx->first == 0 || row->time < ctx->first)
		ctx->first = row->time;
	if (row->time > ctx->last)
		ctx->last = row->time;
	doveadm_lockout_tally_add(ctx->users, row->user, row->count);
	doveadm_lockout_tally_add(ctx->sources, row->ip, row->count);
	doveadm_lockout_tally_add(ctx->services, row->service, row->count);
	return 0;
}

static int show_device(const char *user ATTR_UNUSED, const char *network,
		       int64_t first_seen ATTR_UNUSED, int64_t last_seen,
		       void *context)
{
	struct show_ctx *ctx = context;

	if (str_len(ctx->devices) > 0)
		str_append(ctx->devices, ", ");
	str_printfa(ctx->devices, "%s (last %s)", network,
		    doveadm_lockout_time(last_seen));
	return 0;
}

static int show_collect(struct show_ctx *ctx, const char **error_r)
{
	struct lockout_store *store = ctx->lo->store;
	int64_t since = ctx->lo->now - (int64_t)ctx->lo->cfg.history_time;
	const char *by;

	if (lockout_store_iter_target(store, ctx->target.str, ctx->lo->now,
				      LOCKOUT_ITER_FLAG_ALL, show_collect_ban,
				      ctx, error_r) < 0 ||
	    lockout_admin_iter_covering(&ctx->lo->admin, &ctx->target,
					show_check_cover, ctx, error_r) < 0)
		return -1;
	by = ctx->target.kind == LOCKOUT_KIND_USER ? "user" :
		ctx->target.kind == LOCKOUT_KIND_IP ? "ip" : NULL;
	if (lockout_store_iter_failures(store, by, by == NULL ? NULL :
					ctx->target.str, since, show_failure,
					ctx, error_r) < 0)
		return -1;
	if (ctx->target.kind == LOCKOUT_KIND_USER &&
	    lockout_store_iter_user_devices(store, ctx->target.str,
					    show_device, ctx, error_r) < 0)
		return -1;
	return 0;
}

/* "<created> <rule>/<source> until <expires>|permanent, <state>" per ban */
static const char *show_history(struct show_ctx *ctx)
{
	const struct lockout_ban *ban;
	string_t *str = t_str_new(256);

	array_foreach(&ctx->bans, ban) {
		if (str_len(str) > 0)
			str_append(str, "; ");
		str_printfa(str, "%s %s/%s ",
			    doveadm_lockout_time(ban->created), ban->rule,
			    lockout_source_to_str(ban->source));
		if (ban->expires == 0)
			str_append(str, "permanent");
		else {
			str_printfa(str, "until %s",
				    doveadm_lockout_time(ban->expires));
		}
		str_printfa(str, ", %s",
			    lockout_ban_state(ban, ctx->lo->now));
		if (ban->lifted != 0) {
			str_printfa(str, " %s",
				    doveadm_lockout_time(ban->lifted));
		}
	}
	return str_c(str);
}

/* A count of the evidence as a number for DOVEADM_PRINT_HEADER_FLAG_NUMBER
   ("0" when it has none). */
static const char *show_evidence_int(const char *evidence, const char *key)
{
	int64_t value;

	if (lockout_json_get_int(evidence, key, &value) <= 0 || value < 0)
		return "0";
	return dec2str(value);
}

/* The evidence as fields "evidence_<key>", one per member of its object:
   doveadm's JSON printer writes strings, or numbers (digits only: it
   asserts that), never raw JSON, so an object cannot be handed over
   whole. Numbers stay numbers, true/false become 1/0, strings stay strings,
   an array becomes its elements joined by ", ", anything else its JSON
   text. */
struct show_evidence_field {
	const char *name, *value;
	bool number;
};
ARRAY_DEFINE_TYPE(show_evidence_field, struct show_evidence_field);

/* Digits with at most one inner '.': what doveadm's JSON printer takes as
   a number (str_is_float()). */
static bool show_is_number(const char *str)
{
	bool dot = FALSE, digit = FALSE;

	for (; *str != '\0'; str++) {
		if (*str == '.' && digit && !dot) {
			dot = TRUE;
			digit = FALSE;
		} else if (*str >= '0' && *str <= '9') {
			digit = TRUE;
		} else {
			return FALSE;
		}
	}
	return digit;
}

/* The JSON value at value (checked) as text: a string decoded, anything
   else as written. The evidence holds what attackers sent (usernames):
   control characters (C0, DEL, C1), which its JSON kept escaped, become
   '?' rather than reach a terminal. */
static const char *show_json_text(const char *value)
{
	const char *end = lockout_json_value_end(value);
	size_t size = (size_t)(end - value) + 1, len, i, j;
	unsigned char *buf;

	if (*value != '"')
		return t_strdup_until(value, end);
	buf = t_malloc0(size);
	if (lockout_json_value_string(value, (char *)buf, size, &len) < 0)
		return t_strdup_until(value, end);
	for (i = j = 0; i < len; i++, j++) {
		if (buf[i] < 0x20 || buf[i] == 0x7f) {
			buf[j] = '?';
		} else if (buf[i] == 0xc2 && i + 1 < len &&
			   buf[i + 1] >= 0x80 && buf[i + 1] <= 0x9f) {
			buf[j] = '?';
			i++;
		} else {
			buf[j] = buf[i];
		}
	}
	buf[j] = '\0';
	return (const char *)buf;
}

/* The elements of the array at value, joined by ", ". */
static const char *show_json_array(const char *value)
{
	string_t *str = t_str_new(128);
	const char *p = value + 1;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == ']')
			break;
		if (str_len(str) > 0)
			str_append(str, ", ");
		str_append(str, show_json_text(p));
		p = lockout_json_value_end(p);
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p != ',')
			break;
		p++;
	}
	return str_c(str);
}

static int show_evidence_member(const char *key, const char *value,
				void *context)
{
	ARRAY_TYPE(show_evidence_field) *fields = context;
	struct show_evidence_field field, *old;
	const char *p;

	/* header names of our own make: skip what no writer of ours puts
	   there (a long or odd key, a second one of the same name) */
	if (key == NULL || *key == '\0')
		return 0;
	for (p = key; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return 0;
	}
	i_zero(&field);
	field.name = t_strconcat("evidence_", key, NULL);
	array_foreach_modifiable(fields, old) {
		if (strcmp(old->name, field.name) == 0)
			return 0;
	}
	switch (*value) {
	case 't':
	case 'f':
		field.value = *value == 't' ? "1" : "0";
		field.number = TRUE;
		break;
	case 'n':
		field.value = "";
		break;
	case '[':
		field.value = show_json_array(value);
		break;
	default:
		field.value = show_json_text(value);
		field.number = *value != '"' && *value != '{' &&
			show_is_number(field.value);
		break;
	}
	array_push_back(fields, &field);
	return 0;
}

static const char *show_evidence_time(const char *evidence, const char *key)
{
	int64_t value;

	if (lockout_json_get_int(evidence, key, &value) <= 0)
		return "";
	return doveadm_lockout_time(value);
}

static const char *show_evidence_interval(const char *evidence,
					  const char *key)
{
	char buf[32];
	int64_t value;

	if (lockout_json_get_int(evidence, key, &value) <= 0 ||
	    value <= 0 || value > UINT32_MAX)
		return "";
	lockout_interval_to_str((uint32_t)value, buf, sizeof(buf));
	return t_strdup(buf);
}

static const char *const show_fields[] = {
	"target", "kind", "state", "banned_by", "allowed_by",
	"reason", "source", "rule", "created", "expires", "lifted",
	"failures", "threshold", "window", "distinct_users",
	"distinct_sources", "distinct_passwords", "first_seen", "last_seen",
	"bans", "ban_history",
	"history_failures", "history_refused", "history_unknown_names",
	"history_first", "history_last", "users", "sources", "services",
	"known_devices", "account",
};

/* Counts are JSON numbers; fields that may be empty stay strings. */
static void show_header(const char *name)
{
	static const char *const numbers[] = {
		"failures", "bans", "history_failures", "history_refused",
		"history_unknown_names", "threshold", "distinct_users", "distinct_sources",
		"distinct_passwords", "account",
	};
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(numbers); i++) {
		if (strcmp(name, numbers[i]) == 0) {
			doveadm_print_header(name, name,
					     DOVEADM_PRINT_HEADER_FLAG_NUMBER);
			return;
		}
	}
	doveadm_print_header_simple(name);
}

/* The ban that applies, else the target's latest, or NULL. */
static const struct lockout_ban *show_ban(struct show_ctx *ctx)
{
	unsigned int count;

	if (ctx->have_cover)
		return &ctx->cover;
	if ((count = array_count(&ctx->bans)) > 0)
		return array_idx(&ctx->bans, count - 1);
	return NULL;
}

static void show_print(struct show_ctx *ctx, const char *allowed_by,
		       const char *account,
		       const ARRAY_TYPE(show_evidence_field) *fields)
{
	const struct lockout_ban *ban = show_ban(ctx);
	const struct show_evidence_field *field;
	const char *evidence, *const *banned_by;
	unsigned int count;

	evidence = ban == NULL ? "{}" : ban->evidence;
	banned_by = array_get(&ctx->banned_by, &count);

	doveadm_lockout_print(ctx->target.str);
	doveadm_lockout_print(lockout_kind_to_str(ctx->target.kind));
	doveadm_lockout_print(lockout_target_state(&ctx->target, ctx->enforced,
					   ctx->have_cover,
					   allowed_by != NULL));
	doveadm_lockout_print(t_strarray_join(banned_by, " "));
	doveadm_lockout_print(allowed_by == NULL ? "" : allowed_by);
	doveadm_lockout_print(ban == NULL ? "" : ban->reason);
	doveadm_lockout_print(ban == NULL ? "" : lockout_source_to_str(ban->source));
	doveadm_lockout_print(ban == NULL ? "" : ban->rule);
	doveadm_lockout_print(ban == NULL ? "" : doveadm_lockout_time(ban->created));
	doveadm_lockout_print(ban == NULL ? "" : doveadm_lockout_time(ban->expires));
	doveadm_lockout_print(ban == NULL ? "" : doveadm_lockout_time(ban->lifted));
	doveadm_print_num(ban == NULL ? 0 : ban->failures);
	doveadm_lockout_print(show_evidence_int(evidence, "threshold"));
	doveadm_lockout_print(show_evidence_interval(evidence, "window"));
	doveadm_lockout_print(show_evidence_int(evidence, "distinct_users"));
	doveadm_lockout_print(show_evidence_int(evidence, "distinct_sources"));
	doveadm_lockout_print(show_evidence_int(evidence, "distinct_passwords"));
	doveadm_lockout_print(show_evidence_time(evidence, "first_seen"));
	doveadm_lockout_print(show_evidence_time(evidence, "last_seen"));
	doveadm_print_num(array_count(&ctx->bans));
	doveadm_lockout_print(show_history(ctx));
	doveadm_print_num(ctx->failures);
	doveadm_print_num(ctx->refused);
	doveadm_print_num(ctx->unknown_names);
	doveadm_lockout_print(doveadm_lockout_time(ctx->first));
	doveadm_lockout_print(doveadm_lockout_time(ctx->last));
	doveadm_lockout_print(doveadm_lockout_tally_str(ctx->users, SHOW_MAX_ITEMS));
	doveadm_lockout_print(doveadm_lockout_tally_str(ctx->sources, SHOW_MAX_ITEMS));
	doveadm_lockout_print(doveadm_lockout_tally_str(ctx->services,
						SHOW_MAX_ITEMS));
	doveadm_lockout_print(str_c(ctx->devices));
	doveadm_lockout_print(account);
	array_foreach(fields, field)
		doveadm_lockout_print(field->value);
}


static void cmd_lockout_show(struct doveadm_cmd_context *cctx)
{
	struct doveadm_lockout lo;
	struct doveadm_lockout_userdb *udb;
	struct show_ctx ctx;
	char network[LOCKOUT_TARGET_STRLEN];
	const char *allowed_by = NULL, *origin, *error;
	/* 1 the account exists, 0 it does not, 2 not known (not a
	   username, or the userdb could not be asked) */
	const char *account = "2";
	unsigned int i;
	int ret;

	i_zero(&ctx);
	if (doveadm_lockout_lookup_arg(cctx, "target",
				       &ctx.target) < 0)
		return;
	if (doveadm_lockout_init(cctx, TRUE, &lo) < 0)
		return;
	ctx.lo = &lo;
	ctx.pool = pool_alloconly_create("lockout show", 4096);
	p_array_init(&ctx.bans, ctx.pool, 8);
	p_array_init(&ctx.banned_by, ctx.pool, 4);
	ctx.users = doveadm_lockout_tally_init(ctx.pool);
	ctx.sources = doveadm_lockout_tally_init(ctx.pool);
	ctx.services = doveadm_lockout_tally_init(ctx.pool);
	ctx.devices = str_new(ctx.pool, 128);

	ret = show_collect(&ctx, &error);
	if (ret == 0) {
		ret = lockout_admin_find_allowed(&lo.admin, &ctx.target,
						 network, &origin, &error);
		if (ret > 0) {
			allowed_by = t_strdup_printf("%s (%s)", network,
						     origin);
		}
	}
	if (ret < 0)
		doveadm_lockout_fail(cctx, EX_TEMPFAIL, "%s", error);
	else T_BEGIN {
		if (ctx.target.kind == LOCKOUT_KIND_USER) {
			udb = doveadm_lockout_userdb_init();
			account = doveadm_lockout_userdb_exists(udb,
								ctx.target.str);
			doveadm_lockout_userdb_deinit(&udb);
		}
		const struct lockout_ban *ban = show_ban(&ctx);
		ARRAY_TYPE(show_evidence_field) fields;
		const struct show_evidence_field *field;

		t_array_init(&fields, 32);
		if (ban != NULL && ban->evidence != NULL &&
		    lockout_json_iter_members(ban->evidence,
					      show_evidence_member,
					      &fields) < 0)
			array_clear(&fields);
		doveadm_print_init(DOVEADM_PRINT_TYPE_PAGER);
		for (i = 0; i < N_ELEMENTS(show_fields); i++)
			show_header(show_fields[i]);
		array_foreach(&fields, field) {
			doveadm_print_header(field->name, field->name,
				field->number ?
				DOVEADM_PRINT_HEADER_FLAG_NUMBER : 0);
		}
		show_print(&ctx, allowed_by, account, &fields);
	} T_END;
	doveadm_lockout_tally_deinit(&ctx.users);
	doveadm_lockout_tally_deinit(&ctx.sources);
	doveadm_lockout_tally_deinit(&ctx.services);
	pool_unref(&ctx.pool);
	doveadm_lockout_deinit(&lo);
}

struct doveadm_cmd_ver2 doveadm_cmd_lockout_show = {
	.name = "lockout show",
	.cmd = cmd_lockout_show,
	.usage = "<target>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "target", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};
