/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-metrics.h"
#include "lockout-error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void metric_head(struct lockout_str *out, const char *name,
			const char *type, const char *help)
{
	lockout_str_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
			   name, type);
}

void lockoutd_metrics_format(struct lockout_str *out,
			     const struct lockout_admin_stats *stats,
			     uint64_t errors, int64_t now)
{
	unsigned int k, s;

	/* the table counts per kind and per source, not per pair: each kind
	   with source="all", each source with kind="all" */
	metric_head(out, "lockout_bans_active", "gauge",
		    "Enforced bans active now, by kind and source.");
	for (k = 0; k < LOCKOUT_KIND_COUNT; k++) {
		lockout_str_printf(out, "lockout_bans_active{kind=\"%s\","
				   "source=\"all\"} %u\n",
				   lockout_kind_to_str(k),
				   stats->bans.by_kind[k]);
	}
	for (s = 0; s < LOCKOUT_SOURCE_COUNT; s++) {
		lockout_str_printf(out, "lockout_bans_active{kind=\"all\","
				   "source=\"%s\"} %u\n",
				   lockout_source_to_str(s),
				   stats->bans.by_source[s]);
	}
	lockout_str_printf(out, "lockout_bans_active{kind=\"all\","
			   "source=\"all\"} %u\n", stats->bans.active);
	metric_head(out, "lockout_bans_observed", "gauge",
		    "Bans made in observe mode that would be active now.");
	lockout_str_printf(out, "lockout_bans_observed %u\n",
			   stats->bans.observed);
	metric_head(out, "lockout_protected_accounts", "gauge",
		    "Accounts under protection (only known devices may log "
		    "in).");
	lockout_str_printf(out, "lockout_protected_accounts %u\n",
			   stats->bans.by_kind[LOCKOUT_KIND_USER]);
	metric_head(out, "lockout_failures", "gauge",
		    "Failed logins recorded in the last window.");
	lockout_str_printf(out, "lockout_failures{window=\"1h\"} %llu\n"
			   "lockout_failures{window=\"1d\"} %llu\n",
			   (unsigned long long)stats->failures_hour,
			   (unsigned long long)stats->failures_day);
	metric_head(out, "lockout_refusals", "gauge",
		    "Logins refused before the password check in the last "
		    "window.");
	lockout_str_printf(out, "lockout_refusals{window=\"1h\"} %llu\n"
			   "lockout_refusals{window=\"1d\"} %llu\n",
			   (unsigned long long)stats->refused_hour,
			   (unsigned long long)stats->refused_day);
	metric_head(out, "lockout_bans_invalid", "gauge",
		    "Rows of the ban table that would be active but are "
		    "invalid: never enforced.");
	lockout_str_printf(out, "lockout_bans_invalid %u\n",
			   stats->bans.invalid);
	metric_head(out, "lockoutd_errors_total", "counter",
		    "Errors lockoutd logged since it started.");
	lockout_str_printf(out, "lockoutd_errors_total %llu\n",
			   (unsigned long long)errors);
	metric_head(out, "lockoutd_metrics_time_seconds", "gauge",
		    "When lockoutd wrote this file (unix seconds).");
	lockout_str_printf(out, "lockoutd_metrics_time_seconds %lld\n",
			   (long long)now);
}

int lockoutd_metrics_write(const char *path, const char *text, size_t len,
			   const char **error_r)
{
	char tmp[4096];
	ssize_t ret;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
			     (long)getpid()) >= sizeof(tmp)) {
		*error_r = lockout_error_fmt("%s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		*error_r = lockout_error_fmt("open(%s) failed: %s", tmp,
					     strerror(errno));
		return -1;
	}
	/* whatever the umask: node_exporter runs as another user */
	if (fchmod(fd, 0644) < 0)
		goto fail;
	while (len > 0) {
		ret = write(fd, text, len);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			goto fail;
		text += ret;
		len -= (size_t)ret;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	*error_r = lockout_error_fmt("writing %s failed: %s", tmp,
				     strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}
