/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "auth-master.h"
#include "doveadm.h"
#include "doveadm-settings.h"
#include "doveadm-lockout.h"

/* Whether an account exists, asked of the auth process's userdb over the
   auth-userdb socket, like "doveadm user -u" does. Attackers choose the
   usernames: the lookup goes through Dovecot's own protocol (escaped), and
   the answer is only 1 (yes), 0 (no) or 2 (unknown). */

#define USERDB_TIMEOUT_MSECS 3000

struct doveadm_lockout_userdb {
	struct auth_master_connection *conn;
	pool_t pool;
	bool failed;
};

struct doveadm_lockout_userdb *doveadm_lockout_userdb_init(void)
{
	struct doveadm_lockout_userdb *udb;

	udb = i_new(struct doveadm_lockout_userdb, 1);
	udb->pool = pool_alloconly_create("lockout userdb", 1024);
	udb->conn = auth_master_init(doveadm_settings->auth_socket_path, 0);
	auth_master_set_timeout(udb->conn, USERDB_TIMEOUT_MSECS);
	return udb;
}

void doveadm_lockout_userdb_deinit(struct doveadm_lockout_userdb **_udb)
{
	struct doveadm_lockout_userdb *udb = *_udb;

	if (udb == NULL)
		return;
	*_udb = NULL;
	auth_master_deinit(&udb->conn);
	pool_unref(&udb->pool);
	i_free(udb);
}

const char *doveadm_lockout_userdb_exists(struct doveadm_lockout_userdb *udb,
					  const char *user)
{
	struct auth_user_info info;
	const char *username, *const *fields;
	int ret;

	if (udb->failed)
		return "2";
	doveadm_lockout_user_info(&info);
	p_clear(udb->pool);
	ret = auth_master_user_lookup(udb->conn, user, &info, udb->pool,
				      &username, &fields);
	if (ret > 0)
		return "1";
	if (ret == 0)
		return "0";
	if (ret == -2) {
		/* a user-specific error (e.g. a userdb refusing it): the
		   answer for this one is unknown, the next may work */
		return "2";
	}
	i_warning("lockout: Cannot ask the userdb (%s) whether accounts "
		  "exist: %s; showing 2 (unknown)",
		  auth_master_get_socket_path(udb->conn),
		  fields != NULL && fields[0] != NULL ? fields[0] :
		  "lookup failed");
	udb->failed = TRUE;
	return "2";
}
