/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STORE_DEVICES_H
#define LOCKOUT_STORE_DEVICES_H

/* Known devices: the (user, network) pairs that logged in successfully,
   with the first and last time seen. Errors, busy and iterations: see
   lockout-store-sql.h. */

#include "lockout-store-sql.h"

/* Record that user logged in from network (canonical CIDR or address) at
   seen: insert, or move last_seen forward. user and network are 1..255
   bytes, seen > 0. */
int lockout_store_touch_known_device(struct lockout_store *store,
				     const char *user, const char *network,
				     int64_t seen, const char **error_r)
	__attribute__((warn_unused_result));

/* Called for each known device (a network user logged in from); strings
   valid only during the call; non-zero stops (and is returned). */
typedef int lockout_known_device_callback_t(const char *user,
					    const char *network,
					    int64_t first_seen,
					    int64_t last_seen, void *context);
/* The known devices seen at or after since, most recently seen first, at
   most limit of them. Invalid rows are skipped and counted. */
int lockout_store_iter_known_devices(struct lockout_store *store,
				     int64_t since, unsigned int limit,
				     lockout_known_device_callback_t *callback,
				     void *context, const char **error_r)
	__attribute__((warn_unused_result));
/* Call callback for each known device of user (compared bytewise, 1..255
   bytes), most recently seen first. Invalid rows are skipped and
   counted. */
int lockout_store_iter_user_devices(struct lockout_store *store,
				    const char *user,
				    lockout_known_device_callback_t *callback,
				    void *context, const char **error_r)
	__attribute__((warn_unused_result));

#endif
