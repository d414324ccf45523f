/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#define _GNU_SOURCE /* getresuid(), setresuid() */
#include "lockoutd-privs.h"
#include "lockout-error.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* capget()/capset() through syscall(): glibc has no wrapper and libcap
   would be one more library in the privileged process for two calls. */
static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};

	memset(data, 0, 2 * sizeof(*data));
	return (int)syscall(SYS_capget, &header, data);
}

static int caps_set(bool net_admin)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (net_admin) {
		data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective =
			(uint32_t)CAP_TO_MASK(CAP_NET_ADMIN);
		data[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted =
			(uint32_t)CAP_TO_MASK(CAP_NET_ADMIN);
	}
	return (int)syscall(SYS_capset, &header, data);
}

/* True when the permitted and effective sets are exactly what we keep. */
static bool caps_are(bool net_admin)
{
	struct __user_cap_data_struct data[2];
	unsigned int i;
	uint32_t want;

	if (caps_get(data) < 0)
		return false;
	for (i = 0; i < 2; i++) {
		want = net_admin && i == CAP_TO_INDEX(CAP_NET_ADMIN) ?
			(uint32_t)CAP_TO_MASK(CAP_NET_ADMIN) : 0;
		if (data[i].effective != want || data[i].permitted != want ||
		    data[i].inheritable != 0)
			return false;
	}
	return true;
}

bool lockoutd_privs_have_net_admin(void)
{
	struct __user_cap_data_struct data[2];

	if (caps_get(data) < 0)
		return false;
	return (data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &
		(uint32_t)CAP_TO_MASK(CAP_NET_ADMIN)) != 0;
}

/* Remove every capability but (maybe) CAP_NET_ADMIN from the bounding
   set; the loop ends at the first capability this kernel does not know. */
static int bounding_drop(bool keep_net_admin, const char **error_r)
{
	int cap;

	for (cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break;
		if (keep_net_admin && cap == CAP_NET_ADMIN)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			*error_r = lockout_error_fmt(
				"drop capability %d from the bounding set: %s",
				cap, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int privs_verify(uid_t uid, gid_t gid, bool keep_net_admin,
			const char **error_r)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) < 0 ||
	    getresgid(&rgid, &egid, &sgid) < 0 ||
	    ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid) {
		*error_r = lockout_error_fmt("user or group ids did not "
					     "change");
		return -1;
	}
	if (getgroups(0, NULL) != 0) {
		*error_r = lockout_error_fmt("supplementary groups remain");
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		*error_r = lockout_error_fmt("could regain root");
		return -1;
	}
	if (!caps_are(keep_net_admin)) {
		*error_r = lockout_error_fmt("capabilities other than "
					     "CAP_NET_ADMIN remain");
		return -1;
	}
	return 0;
}

int lockoutd_privs_drop(uid_t uid, gid_t gid, bool keep_net_admin,
			const char **error_r)
{
	const char *what;

	if (geteuid() != 0) {
		/* started unprivileged (e.g. systemd User= with
		   AmbientCapabilities=CAP_NET_ADMIN): keep the user and its
		   groups, reduce the capabilities */
		errno = 0;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0,
			  0) < 0 || caps_set(keep_net_admin) < 0 ||
		    !caps_are(keep_net_admin)) {
			*error_r = lockout_error_fmt("reduce capabilities: %s",
				errno == 0 ? "not all dropped" :
				strerror(errno));
			return -1;
		}
		return 0;
	}
	if (uid == 0) {
		*error_r = lockout_error_fmt("refusing to keep running as "
					     "root");
		return -1;
	}
	if (bounding_drop(keep_net_admin, error_r) < 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		what = "PR_SET_KEEPCAPS";
	else if (setgroups(0, NULL) < 0)
		what = "setgroups";
	else if (setresgid(gid, gid, gid) < 0)
		what = "setresgid";
	else if (setresuid(uid, uid, uid) < 0)
		what = "setresuid";
	else if (caps_set(keep_net_admin) < 0)
		what = "capset";
	else if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		what = "PR_SET_KEEPCAPS";
	else if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0,
		       0) < 0)
		what = "PR_CAP_AMBIENT";
	else
		return privs_verify(uid, gid, keep_net_admin, error_r);
	*error_r = lockout_error_fmt("%s: %s", what, strerror(errno));
	return -1;
}

int lockoutd_privs_drop_all_caps(const char **error_r)
{
	if (caps_set(false) < 0 || !caps_are(false)) {
		*error_r = lockout_error_fmt("drop capabilities: %s",
					     strerror(errno));
		return -1;
	}
	return 0;
}
