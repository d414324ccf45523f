/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUT_STORE_ALLOWED_H
#define LOCKOUT_STORE_ALLOWED_H

/* The allowed table: networks the administrator allowed with doveadm
   lockout allow, in addition to lockout_allow_networks. Errors, busy and
   iterations: see lockout-store-sql.h. */

#include "lockout-store-sql.h"

/* Call callback for each row of the allowed table, ordered by network.
   network is the text as stored (1..255 bytes; not parsed here: the table
   is shared with other writers, so parse it before use), reason may be "",
   created is unix seconds > 0. The strings are valid only during the call.
   Invalid rows are skipped and counted. */
int lockout_store_iter_allowed(struct lockout_store *store,
			       int (*callback)(const char *network,
					       const char *reason,
					       int64_t created, void *context),
			       void *context, const char **error_r)
	__attribute__((warn_unused_result));
/* Add network (canonical text, 1..255 bytes: the caller validates and
   canonicalizes it) to the allowed table with reason (not NULL, <= 1024
   bytes) and created (> 0). If the network is there already, only its
   reason changes (it keeps its created time). *existed_r (may be NULL)
   tells which happened. */
int lockout_store_add_allowed(struct lockout_store *store,
			      const char *network, const char *reason,
			      int64_t created, bool *existed_r,
			      const char **error_r)
	__attribute__((warn_unused_result));
/* Remove network (compared bytewise) from the allowed table. *count_r is
   1 when it was there, 0 when not (which is not an error). */
int lockout_store_remove_allowed(struct lockout_store *store,
				 const char *network, unsigned int *count_r,
				 const char **error_r)
	__attribute__((warn_unused_result));

#endif
