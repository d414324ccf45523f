/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "settings-parser.h"
#include "lockout-settings.h"

/* modules/settings/lib20_lockout_settings.so, loaded by Dovecot 2.4's
   config process and doveconf only: it makes the lockout_* settings known
   at the top level of dovecot.conf. Dovecot finds the symbols by the file
   name without "lib20_" and ".so". */

extern const struct setting_parser_info *const lockout_settings_set_infos[];
extern const char *const lockout_settings_version;

const struct setting_parser_info *const lockout_settings_set_infos[] = {
	&lockout_setting_parser_info,
	NULL
};

const char *const lockout_settings_version = DOVECOT_ABI_VERSION;
