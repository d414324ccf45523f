/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef DOVEADM_LOCKOUT_H
#define DOVEADM_LOCKOUT_H

#include "lockout-config.h"
#include "lockout-store.h"

/* Shared by the doveadm lockout commands. */

extern struct doveadm_cmd_ver2 doveadm_cmd_lockout_list;
extern struct doveadm_cmd_ver2 doveadm_cmd_lockout_simulate;

/* Read the lockout_* settings of the plugin { } stanza into cfg. On error
   sets doveadm_exit_code, logs the problem and returns -1. */
int doveadm_lockout_config(struct lockout_config *cfg);
/* Open the ban table named by lockout_db. On error sets doveadm_exit_code,
   logs the problem and returns -1. */
int doveadm_lockout_open(const struct lockout_config *cfg, bool readonly,
			 struct lockout_store **store_r);
/* Format unix seconds as ISO 8601 UTC ("2026-11-28T03:04:05Z"); 0 → "". */
const char *doveadm_lockout_time(int64_t secs);

#endif
