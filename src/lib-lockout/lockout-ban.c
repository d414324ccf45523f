/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockout-ban.h"

#include <string.h>

static const char *const lockout_kind_names[LOCKOUT_KIND_COUNT] = {
	[LOCKOUT_KIND_IP] = "ip",
	[LOCKOUT_KIND_NET] = "net",
	[LOCKOUT_KIND_USER] = "user",
};

static const char *const lockout_source_names[LOCKOUT_SOURCE_COUNT] = {
	[LOCKOUT_SOURCE_AUTO] = "auto",
	[LOCKOUT_SOURCE_MANUAL] = "manual",
	[LOCKOUT_SOURCE_FEED] = "feed",
};

/* Look str up in a table of count names: its index, or -1 if str is NULL
   or not there. */
static int name_index(const char *const *names, unsigned int count,
		      const char *str)
{
	unsigned int i;

	if (str == NULL)
		return -1;
	for (i = 0; i < count; i++) {
		if (strcmp(str, names[i]) == 0)
			return (int)i;
	}
	return -1;
}

const char *lockout_kind_to_str(enum lockout_kind kind)
{
	return (unsigned int)kind < LOCKOUT_KIND_COUNT ?
		lockout_kind_names[kind] : NULL;
}

const char *lockout_source_to_str(enum lockout_source source)
{
	return (unsigned int)source < LOCKOUT_SOURCE_COUNT ?
		lockout_source_names[source] : NULL;
}

int lockout_kind_parse(const char *str, enum lockout_kind *kind_r)
{
	int idx = name_index(lockout_kind_names, LOCKOUT_KIND_COUNT, str);

	if (idx >= 0)
		*kind_r = (enum lockout_kind)idx;
	return idx < 0 ? -1 : 0;
}

int lockout_source_parse(const char *str, enum lockout_source *source_r)
{
	int idx = name_index(lockout_source_names, LOCKOUT_SOURCE_COUNT, str);

	if (idx >= 0)
		*source_r = (enum lockout_source)idx;
	return idx < 0 ? -1 : 0;
}

bool lockout_field_fits(const char *str, size_t max, bool nonempty)
{
	size_t len;

	if (str == NULL)
		return false;
	len = strnlen(str, max + 1);
	return len <= max && (!nonempty || len > 0);
}

int lockout_ban_validate(const struct lockout_ban *ban,
			 const char **problem_r)
{
	/* Problems are static strings so that the store can check the rows
	   it reads without touching the error buffer. */
	if (ban->target == NULL || ban->target[0] == '\0')
		*problem_r = "empty target";
	else if (!lockout_field_fits(ban->target, LOCKOUT_BAN_TARGET_MAX, true))
		*problem_r = "target longer than 255 bytes";
	else if (lockout_kind_to_str(ban->kind) == NULL)
		*problem_r = "invalid kind";
	else if (lockout_source_to_str(ban->source) == NULL)
		*problem_r = "invalid source";
	else if (ban->reason == NULL)
		*problem_r = "missing reason";
	else if (!lockout_field_fits(ban->reason, LOCKOUT_BAN_REASON_MAX,
				     false))
		*problem_r = "reason longer than 1024 bytes";
	else if (ban->rule == NULL || ban->rule[0] == '\0')
		*problem_r = "empty rule";
	else if (!lockout_field_fits(ban->rule, LOCKOUT_BAN_RULE_MAX, true))
		*problem_r = "rule longer than 255 bytes";
	else if (ban->evidence != NULL &&
		 !lockout_field_fits(ban->evidence, LOCKOUT_BAN_EVIDENCE_MAX,
				     false))
		*problem_r = "evidence longer than 64 KiB";
	else if (ban->created <= 0)
		*problem_r = "created time must be > 0";
	else if (ban->expires != 0 && ban->expires <= ban->created)
		*problem_r = "expires must be 0 (permanent) or after created";
	else if (ban->lifted < 0)
		*problem_r = "lifted time must be 0 or > 0";
	else
		return 0;
	return -1;
}
