/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "module-dir.h"
#include "doveadm.h"
#include "doveadm-lockout.h"

/* doveadm calls init more than once per command (it re-execs itself):
   nothing here may have side effects beyond registering. */

const char *doveadm_lockout_plugin_version = DOVECOT_ABI_VERSION;

void doveadm_lockout_plugin_init(struct module *module);
void doveadm_lockout_plugin_deinit(void);

void doveadm_lockout_plugin_init(struct module *module ATTR_UNUSED)
{
	doveadm_cmd_register_ver2(&doveadm_cmd_lockout_list);
	doveadm_cmd_register_ver2(&doveadm_cmd_lockout_show);
	doveadm_cmd_register_ver2(&doveadm_cmd_lockout_ban);
	doveadm_cmd_register_ver2(&doveadm_cmd_lockout_unban);
	doveadm_cmd_register_ver2(&doveadm_cmd_lockout_allow);
	doveadm_cmd_register_ver2(&doveadm_cmd_lockout_top);
	doveadm_cmd_register_ver2(&doveadm_cmd_lockout_stats);
	doveadm_cmd_register_ver2(&doveadm_cmd_lockout_simulate);
	doveadm_cmd_register_ver2(&doveadm_cmd_lockout_import);
	doveadm_cmd_register_ver2(&doveadm_cmd_lockout_export);
}

void doveadm_lockout_plugin_deinit(void)
{
}
