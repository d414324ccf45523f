/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "doveadm.h"
#include "doveadm-lockout.h"

#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

static const char *doveadm_lockout_getenv(const char *name,
					  void *context ATTR_UNUSED)
{
	return doveadm_plugin_getenv(name);
}

int doveadm_lockout_config(struct lockout_config *cfg)
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

int doveadm_lockout_open(const struct lockout_config *cfg, bool readonly,
			 struct lockout_store **store_r)
{
	const char *error;
	struct stat st;

	if (stat(cfg->db, &st) < 0) {
		i_error("lockout: Ban table %s does not exist yet (it is "
			"created when Dovecot's auth process starts with "
			"passdb lockout; check lockout_db): %m", cfg->db);
		doveadm_exit_code = DOVEADM_EX_NOTFOUND;
		return -1;
	}
	if (lockout_store_open(cfg->db, readonly ?
			       LOCKOUT_STORE_FLAG_READONLY : 0, 5000,
			       store_r, &error) < 0) {
		i_error("lockout: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
		return -1;
	}
	return 0;
}

const char *doveadm_lockout_time(int64_t secs)
{
	time_t t = (time_t)secs;
	struct tm tm;
	char buf[32];

	if (secs == 0 || gmtime_r(&t, &tm) == NULL)
		return "";
	if (strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return "";
	return t_strdup(buf);
}
