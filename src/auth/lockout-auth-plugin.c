/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "module-dir.h"
#include "lockout-auth-private.h"
#include "lockout-auth-compat.h"
#include "lockout-auth-db.h"
#include "lockout-auth-observer.h"
#include "lockout-auth-passdb.h"
#include "lockout-auth-request.h"
#include "lockout-auth-settings.h"
#include "lockout-policy.h"

#include <sodium.h>

/* Module entry points: register the passdb driver and the outcome
   observer, each module setting itself up in turn, as root. The ban table
   is opened when the passdb is initialised (after the privilege drop). */

struct lockout_auth *lockout_auth = NULL;

struct event_category event_category_lockout = {
	.name = "lockout",
};

const char *lockout_auth_version = DOVECOT_ABI_VERSION;

void lockout_auth_init(struct module *module);
void lockout_auth_deinit(void);

void lockout_auth_init(struct module *module ATTR_UNUSED)
{
	uid_t uid;
	gid_t gid;

	/* auth-workers load every module too and must know the driver name,
	   but requests to our non-blocking passdb never reach them */
	lockout_auth_passdb_register();
	if (worker)
		return;
	if (sodium_init() < 0)
		i_fatal("lockout: sodium_init() failed");

	lockout_auth = i_new(struct lockout_auth, 1);
	lockout_auth->event = lockout_auth_event_create();
	event_add_category(lockout_auth->event, &event_category_lockout);
	event_set_append_log_prefix(lockout_auth->event, "lockout: ");

	lockout_auth_settings_read(&lockout_auth->cfg);
	lockout_auth_db_preinit(&lockout_auth->cfg, &uid, &gid);
	lockout_auth_request_init(&lockout_auth->cfg, uid, gid);
	lockout_auth->policy = lockout_policy_create(&lockout_auth->cfg,
						     NULL);
	if (lockout_auth->policy == NULL)
		i_fatal("lockout: Out of memory creating the policy engine "
			"(lockout_max_sources=%u)",
			lockout_auth->cfg.max_sources);
	lockout_auth_observer_init();
	e_debug(lockout_auth->event, "Loaded (mode=%s, on_error=%s)",
		lockout_auth->cfg.mode == LOCKOUT_MODE_OBSERVE ?
		"observe" : "enforce",
		lockout_auth->cfg.on_error == LOCKOUT_ON_ERROR_DENY ?
		"deny" : "allow");
}

void lockout_auth_deinit(void)
{
	lockout_auth_passdb_unregister();
	if (lockout_auth == NULL)
		return;
	lockout_auth_observer_deinit();
	/* the passdb deinit has already flushed and closed the table */
	i_assert(lockout_auth->db == NULL);
	lockout_policy_free(&lockout_auth->policy);
	lockout_auth_request_deinit();
	lockout_config_free(&lockout_auth->cfg);
	event_unref(&lockout_auth->event);
	i_free(lockout_auth);
}
