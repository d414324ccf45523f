/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "doveadm.h"
#include "doveadm-cmd.h"
#include "doveadm-lockout.h"
#include "lockout-settings.h"

#include <sysexits.h>

/* Dovecot 2.4: the settings are top-level, read with settings_get() on the
   command's settings event, which carries doveadm -o overrides. */

int doveadm_lockout_config(const struct doveadm_cmd_context *cctx,
			   struct lockout_config *cfg)
{
	const char *error;

	if (lockout_settings_read(cctx->set_event, cfg, &error) < 0) {
		i_error("lockout: Invalid configuration: %s", error);
		doveadm_exit_code = EX_CONFIG;
		return -1;
	}
	return 0;
}
