/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUTD_FW_PRIVATE_H
#define LOCKOUTD_FW_PRIVATE_H

#include "lockoutd-fw.h"

/* Release what a backend keeps in its context. */
typedef void lockoutd_fw_backend_free_t(void *context);

/* Create a firewall with a backend: run carries out batches, context is
   the backend's own (lockoutd_fw_backend_context()), freed with
   free_context (may be NULL) by lockoutd_fw_free(). On failure
   free_context is called on context. */
int lockoutd_fw_create(const uint16_t *ports, size_t count,
		       lockoutd_fw_run_t *run, void *context,
		       lockoutd_fw_backend_free_t *free_context,
		       struct lockoutd_fw **fw_r, const char **error_r)
	__attribute__((warn_unused_result));
void *lockoutd_fw_backend_context(struct lockoutd_fw *fw);

#endif
