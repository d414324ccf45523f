/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "auth-master.h"
#include "doveadm-lockout.h"

/* What differs in Dovecot 2.4's doveadm API, apart from the settings
   (doveadm-lockout-settings-24.c). */

void doveadm_lockout_user_info(struct auth_user_info *info_r)
{
	i_zero(info_r);
	info_r->protocol = "doveadm";
}

bool doveadm_lockout_print_header_json(const char *key,
				       enum doveadm_print_header_flags flags)
{
	doveadm_print_header(key, key, flags);
	return FALSE;
}

void doveadm_lockout_json_key(string_t *dest ATTR_UNUSED,
			      const char *key ATTR_UNUSED)
{
	i_unreached();
}

void doveadm_lockout_json_value(string_t *dest ATTR_UNUSED,
				enum doveadm_print_header_flags flags ATTR_UNUSED,
				const char *value ATTR_UNUSED)
{
	i_unreached();
}
