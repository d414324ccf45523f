/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "auth-master.h"
#include "doveadm-lockout.h"

/* What differs in Dovecot 2.3's doveadm API, apart from the settings
   (doveadm-lockout-settings-23.c). */

void doveadm_lockout_user_info(struct auth_user_info *info_r)
{
	i_zero(info_r);
	info_r->service = "doveadm";
}
