/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "doveadm.h"
#include "doveadm-lockout.h"

#include <sysexits.h>

/* Dovecot 2.3: the settings are in plugin { }, which doveadm hands to its
   plugins through doveadm_plugin_getenv(). */

static const char *doveadm_lockout_getenv(const char *name,
					  void *context ATTR_UNUSED)
{
	return doveadm_plugin_getenv(name);
}

int doveadm_lockout_config(const struct doveadm_cmd_context *cctx ATTR_UNUSED,
			   struct lockout_config *cfg)
{
	const char *error;

	if (lockout_config_init(cfg, &error) < 0 ||
	    lockout_config_load(cfg, doveadm_lockout_getenv, NULL,
				&error) < 0) {
		i_error("lockout: Invalid configuration: %s", error);
		doveadm_exit_code = EX_CONFIG;
		return -1;
	}
	return 0;
}
