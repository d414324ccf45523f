/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUTD_PRIVS_H
#define LOCKOUTD_PRIVS_H

/* Dropping privileges (as OpenSMTPD: a failure is fatal to the caller).
   lockoutd starts as root to read the configuration (doveconf), open the
   ban table and create the nftables table; then it becomes the owner of
   the ban table (the dovecot user) and keeps only CAP_NET_ADMIN. */

#include <stdbool.h>
#include <sys/types.h>

/* Become uid/gid with no supplementary groups and no capability but
   CAP_NET_ADMIN (none when keep_net_admin is false); the bounding set is
   reduced the same way so nothing executed later can regain more. When
   already running as another user than root, only the capabilities are
   reduced. Then verify the result: regaining root must fail. Returns 0,
   or -1 with *error_r. */
int lockoutd_privs_drop(uid_t uid, gid_t gid, bool keep_net_admin,
			const char **error_r)
	__attribute__((warn_unused_result));

/* In a child about to run another program (sendmail): give up every
   capability. Returns 0, or -1 with *error_r. */
int lockoutd_privs_drop_all_caps(const char **error_r)
	__attribute__((warn_unused_result));

/* What to do when nftables refuses for want of CAP_NET_ADMIN. */
#define LOCKOUTD_NET_ADMIN_HINT \
	"lockoutd needs CAP_NET_ADMIN (run it as root, as lockoutd.service " \
	"does, or as the ban table's owner with " \
	"AmbientCapabilities=CAP_NET_ADMIN)"

/* True when the process holds CAP_NET_ADMIN in its effective set. */
bool lockoutd_privs_have_net_admin(void);

#endif
