/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUTD_FW_H
#define LOCKOUTD_FW_H

/* The firewall seam (as sshguard's): init, block, release, flush, plus
   commit because a batch of changes must reach the kernel as one atomic
   transaction. Every command is built here from a fixed grammar out of
   parsed networks and numbers, never from text read elsewhere. The
   backends only carry the finished commands: libnftables
   (lockoutd-fw-nft.c) or a recording backend that keeps them (unit tests
   and --dry-run). The nftables objects:

     table inet lockout
       set ban4 { type ipv4_addr; flags interval, timeout; }
       set ban6 { type ipv6_addr; flags interval, timeout; }
       chain input, chain forward (priority -10): drop tcp to the
       lockout_firewall_ports (or everything, with "all") from @ban4/@ban6 */

#include "lockout-addr.h"

#include <stddef.h>
#include <stdint.h>

struct lockoutd_fw;

/* Longest element timeout pushed; longer bans are pushed without one. */
#define LOCKOUTD_FW_TIMEOUT_MAX_MSECS (36500ULL * 86400 * 1000)

/* A backend: runs one batch of nft commands as one transaction. Returns 0,
   or -1 with *error_r (valid until the next call). */
typedef int lockoutd_fw_run_t(struct lockoutd_fw *fw, const char *commands,
			      const char **error_r);

/* Create a firewall for ports (count of them, sorted; count 0 = all ports)
   with the libnftables backend. Returns 0, or -1 with *error_r. */
int lockoutd_fw_create_nft(const uint16_t *ports, size_t count,
			   struct lockoutd_fw **fw_r, const char **error_r)
	__attribute__((warn_unused_result));
/* Same with the recording backend: every committed batch is appended to a
   buffer (lockoutd_fw_recorded()) after a "# transaction N" line. */
int lockoutd_fw_create_recording(const uint16_t *ports, size_t count,
				 struct lockoutd_fw **fw_r,
				 const char **error_r)
	__attribute__((warn_unused_result));
void lockoutd_fw_free(struct lockoutd_fw **fw);

/* What the recording backend was given so far ("" for others). */
const char *lockoutd_fw_recorded(struct lockoutd_fw *fw);
/* Make the next recording start empty again. */
void lockoutd_fw_recorded_clear(struct lockoutd_fw *fw);

/* Create the table, its sets and chains when missing (existing ones and
   their elements are left alone) and set the chains' drop rules from the
   ports, in one transaction. */
int lockoutd_fw_init(struct lockoutd_fw *fw, const char **error_r)
	__attribute__((warn_unused_result));

/* Queue adding net to ban4/ban6 with a timeout (0 = none: permanent).
   Returns 0, or -1 when out of memory or net is not a valid network. */
int lockoutd_fw_block(struct lockoutd_fw *fw, const struct lockout_net *net,
		      uint64_t timeout_msecs)
	__attribute__((warn_unused_result));
/* Queue removing net from its set. Returns as above. */
int lockoutd_fw_release(struct lockoutd_fw *fw,
			const struct lockout_net *net)
	__attribute__((warn_unused_result));
/* Queue emptying both sets (before the queued releases and blocks). */
void lockoutd_fw_flush(struct lockoutd_fw *fw);
/* Send what is queued as one transaction and empty the queue, whatever
   the outcome. Nothing queued: nothing sent, returns 0. On failure nothing
   of the batch was applied (nftables transactions are atomic). */
int lockoutd_fw_commit(struct lockoutd_fw *fw, const char **error_r)
	__attribute__((warn_unused_result));
/* Forget what is queued. */
void lockoutd_fw_discard(struct lockoutd_fw *fw);

/* Remove the whole table (lockoutd --flush); no error when it is missing. */
int lockoutd_fw_destroy(struct lockoutd_fw *fw, const char **error_r)
	__attribute__((warn_unused_result));

/* Print timeout_msecs (> 0) the way nft reads it: "1d2h3m4s500ms", zero
   parts left out. buf of 64 bytes is always enough. */
void lockoutd_fw_timeout_str(uint64_t timeout_msecs, char *buf, size_t size);

#endif
