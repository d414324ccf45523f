/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "settings.h"
#include "settings-parser.h"
#include "lockout-settings.h"

/* The defines and defaults are filled from the core's table when the
   module is loaded (the config process reads them right after dlopen(),
   calling nothing of ours first): one string setting per entry, checked
   by check_func with the core's parser. SET_STR_NOVARS: the values are
   taken as written, as on 2.3 (no %variables). */

static struct setting_define lockout_setting_defines[LOCKOUT_SETTINGS_MAX + 1];
static struct lockout_settings lockout_default_settings;

static const char *lockout_settings_lookup(const char *name, void *context)
{
	const struct lockout_settings *set = context;
	size_t i, count = lockout_config_count();

	for (i = 0; i < count; i++) {
		if (strcmp(lockout_config_name(i), name) == 0)
			return set->values[i];
	}
	return NULL;
}

int lockout_settings_to_config(const struct lockout_settings *set,
			       struct lockout_config *cfg,
			       const char **error_r)
{
	/* the lookup casts away nothing: it only reads */
	return lockout_config_load(cfg, lockout_settings_lookup,
				   (void *)set, error_r);
}

static bool lockout_settings_check(void *_set, pool_t pool ATTR_UNUSED,
				   const char **error_r)
{
	struct lockout_settings *set = _set;
	struct lockout_config cfg;
	const char *error;
	int ret;

	/* doveconf and the config process run this for every place the
	   settings can differ (top level, protocol { }, passdb { }, ...):
	   the same parse the readers do, thrown away */
	ret = lockout_config_init(&cfg, &error);
	if (ret == 0)
		ret = lockout_settings_to_config(set, &cfg, &error);
	lockout_config_free(&cfg);
	if (ret < 0) {
		*error_r = t_strdup(error);
		return FALSE;
	}
	return TRUE;
}

const struct setting_parser_info lockout_setting_parser_info = {
	.name = "lockout",
	.defines = lockout_setting_defines,
	.defaults = &lockout_default_settings,
	.struct_size = sizeof(struct lockout_settings),
	.pool_offset1 = 1 + offsetof(struct lockout_settings, pool),
	.check_func = lockout_settings_check,
};

static void __attribute__((constructor)) lockout_settings_declare(void)
{
	size_t i, count = lockout_config_count();

	if (count > LOCKOUT_SETTINGS_MAX)
		i_panic("lockout: %zu settings, LOCKOUT_SETTINGS_MAX is %d",
			count, LOCKOUT_SETTINGS_MAX);
	for (i = 0; i < count; i++) {
		lockout_setting_defines[i] = (struct setting_define){
			.type = SET_STR_NOVARS,
			.key = lockout_config_name(i),
			.offset = offsetof(struct lockout_settings, values) +
				i * sizeof(const char *),
		};
		lockout_default_settings.values[i] = lockout_config_default(i);
	}
	/* the rest stays zero: SETTING_DEFINE_LIST_END */
}

int lockout_settings_read(struct event *event, struct lockout_config *cfg,
			  const char **error_r)
{
	const struct lockout_settings *set;
	const char *error;
	int ret;

	if (lockout_config_init(cfg, &error) < 0) {
		*error_r = t_strdup_printf("Built-in defaults are invalid: %s",
					   error);
		return -1;
	}
	if (settings_get(event, &lockout_setting_parser_info, 0,
			 &set, error_r) < 0)
		return -1;
	ret = lockout_settings_to_config(set, cfg, &error);
	settings_free(set);
	if (ret < 0)
		*error_r = t_strdup(error);
	return ret;
}
