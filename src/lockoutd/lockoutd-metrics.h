/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#ifndef LOCKOUTD_METRICS_H
#define LOCKOUTD_METRICS_H

/* lockout_metrics_file: the counters of the ban table in Prometheus' text
   format, for node_exporter's textfile collector (no Dovecot stats process
   needed: docker-mailserver disables it). */

#include "lockout-admin.h"

#include <stdint.h>

/* How often the file is written while lockoutd runs. */
#define LOCKOUTD_METRICS_MSECS (15 * 1000)

/* Append the metrics text of stats and lockoutd's own error count to out. */
void lockoutd_metrics_format(struct lockout_str *out,
			     const struct lockout_admin_stats *stats,
			     uint64_t errors, int64_t now);

/* Write text to path as node_exporter expects: into a temporary file in
   the same directory, mode 0644, then renamed over path. Returns 0, or -1
   with *error_r. */
int lockoutd_metrics_write(const char *path, const char *text, size_t len,
			   const char **error_r)
	__attribute__((warn_unused_result));

#endif
