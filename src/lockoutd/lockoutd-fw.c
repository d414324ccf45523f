/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-fw-private.h"
#include "lockout-error.h"
#include "lockout-json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FW_TABLE "inet lockout"
/* Elements per add/delete statement: keeps lines readable and each
   statement well below nft's parser limits. */
#define FW_ELEMENTS_PER_STATEMENT 256

struct fw_op {
	struct lockout_net net;
	uint64_t timeout_msecs;
};

struct fw_ops {
	struct fw_op *ops;
	size_t count, size;
};

struct lockoutd_fw {
	uint16_t *ports;
	size_t ports_count;

	lockoutd_fw_run_t *run;
	void *context;
	lockoutd_fw_backend_free_t *free_context;

	/* the queue: flush first, then releases, then blocks; index 0 for
	   ban4, 1 for ban6 */
	bool flush;
	struct fw_ops releases[2], blocks[2];

	/* recording backend */
	struct lockout_str record;
	unsigned int transactions;
};

static const char *const fw_sets[2] = { "ban4", "ban6" };
static const char *const fw_saddr[2] = { "ip saddr", "ip6 saddr" };
static const char *const fw_chains[] = { "input", "forward" };

int lockoutd_fw_create(const uint16_t *ports, size_t count,
		       lockoutd_fw_run_t *run, void *context,
		       lockoutd_fw_backend_free_t *free_context,
		       struct lockoutd_fw **fw_r, const char **error_r)
{
	struct lockoutd_fw *fw;

	*fw_r = NULL;
	fw = calloc(1, sizeof(*fw));
	if (fw != NULL && count > 0) {
		fw->ports = calloc(count, sizeof(*fw->ports));
		if (fw->ports == NULL) {
			free(fw);
			fw = NULL;
		} else {
			memcpy(fw->ports, ports, count * sizeof(*ports));
			fw->ports_count = count;
		}
	}
	if (fw == NULL) {
		if (free_context != NULL)
			free_context(context);
		*error_r = lockout_error_fmt("firewall: out of memory");
		return -1;
	}
	fw->run = run;
	fw->context = context;
	fw->free_context = free_context;
	lockout_str_init(&fw->record);
	*fw_r = fw;
	return 0;
}

void *lockoutd_fw_backend_context(struct lockoutd_fw *fw)
{
	return fw->context;
}

void lockoutd_fw_discard(struct lockoutd_fw *fw)
{
	unsigned int i;

	fw->flush = false;
	for (i = 0; i < 2; i++) {
		fw->releases[i].count = 0;
		fw->blocks[i].count = 0;
	}
}

void lockoutd_fw_free(struct lockoutd_fw **_fw)
{
	struct lockoutd_fw *fw = *_fw;
	unsigned int i;

	if (fw == NULL)
		return;
	*_fw = NULL;
	if (fw->free_context != NULL)
		fw->free_context(fw->context);
	for (i = 0; i < 2; i++) {
		free(fw->releases[i].ops);
		free(fw->blocks[i].ops);
	}
	lockout_str_free(&fw->record);
	free(fw->ports);
	free(fw);
}

/* --- recording backend --------------------------------------------------- */

static int fw_run_record(struct lockoutd_fw *fw, const char *commands,
			 const char **error_r)
{
	lockout_str_printf(&fw->record, "# transaction %u\n",
			   ++fw->transactions);
	lockout_str_append(&fw->record, commands);
	if (fw->record.failed) {
		*error_r = lockout_error_fmt("firewall: out of memory");
		return -1;
	}
	return 0;
}

int lockoutd_fw_create_recording(const uint16_t *ports, size_t count,
				 struct lockoutd_fw **fw_r,
				 const char **error_r)
{
	return lockoutd_fw_create(ports, count, fw_run_record, NULL, NULL,
				  fw_r, error_r);
}

const char *lockoutd_fw_recorded(struct lockoutd_fw *fw)
{
	const char *text;

	if (fw->run != fw_run_record)
		return "";
	text = lockout_str_c(&fw->record);
	return text == NULL ? "" : text;
}

void lockoutd_fw_recorded_clear(struct lockoutd_fw *fw)
{
	lockout_str_free(&fw->record);
	fw->transactions = 0;
}

/* --- the grammar --------------------------------------------------------- */

void lockoutd_fw_timeout_str(uint64_t timeout_msecs, char *buf, size_t size)
{
	static const struct {
		uint64_t msecs;
		const char *unit;
	} units[] = {
		{ 86400000, "d" }, { 3600000, "h" }, { 60000, "m" },
		{ 1000, "s" }, { 1, "ms" },
	};
	struct lockout_str str;
	const char *text;
	size_t i;

	lockout_str_init(&str);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (timeout_msecs >= units[i].msecs) {
			lockout_str_printf(&str, "%llu%s",
				(unsigned long long)(timeout_msecs /
						     units[i].msecs),
				units[i].unit);
			timeout_msecs %= units[i].msecs;
		}
	}
	text = lockout_str_c(&str);
	if (size > 0) {
		buf[0] = '\0';
		if (text != NULL && strlen(text) < size)
			memcpy(buf, text, strlen(text) + 1);
	}
	lockout_str_free(&str);
}

/* Print net, checking once more that it is a network (host bits clear,
   prefix in range) and that its text holds only address characters. */
static int fw_net_str(const struct lockout_net *net,
		      char buf[LOCKOUT_NET_STRLEN])
{
	struct lockout_net masked;
	unsigned int max;
	size_t i;

	if (net->addr.family != LOCKOUT_AF_INET &&
	    net->addr.family != LOCKOUT_AF_INET6)
		return -1;
	max = net->addr.family == LOCKOUT_AF_INET ? 32 : 128;
	if (net->prefix > max)
		return -1;
	lockout_addr_mask(&net->addr, net->prefix, &masked);
	if (memcmp(&masked, net, sizeof(masked)) != 0)
		return -1;
	lockout_net_to_str(net, buf);
	if (buf[0] == '\0')
		return -1;
	for (i = 0; buf[i] != '\0'; i++) {
		if (strchr("0123456789abcdef.:/", buf[i]) == NULL)
			return -1;
	}
	return 0;
}

static int fw_queue(struct fw_ops *ops, const struct lockout_net *net,
		    uint64_t timeout_msecs)
{
	struct fw_op *grown;
	size_t size;

	if (ops->count == ops->size) {
		size = ops->size == 0 ? 64 : ops->size * 2;
		grown = realloc(ops->ops, size * sizeof(*grown));
		if (grown == NULL)
			return -1;
		ops->ops = grown;
		ops->size = size;
	}
	memset(&ops->ops[ops->count], 0, sizeof(ops->ops[0]));
	ops->ops[ops->count].net = *net;
	ops->ops[ops->count].timeout_msecs = timeout_msecs;
	ops->count++;
	return 0;
}

static int fw_set_index(const struct lockout_net *net)
{
	char buf[LOCKOUT_NET_STRLEN];

	if (fw_net_str(net, buf) < 0)
		return -1;
	return net->addr.family == LOCKOUT_AF_INET ? 0 : 1;
}

int lockoutd_fw_block(struct lockoutd_fw *fw, const struct lockout_net *net,
		      uint64_t timeout_msecs)
{
	int idx = fw_set_index(net);

	if (idx < 0)
		return -1;
	if (timeout_msecs > LOCKOUTD_FW_TIMEOUT_MAX_MSECS)
		timeout_msecs = 0;
	return fw_queue(&fw->blocks[idx], net, timeout_msecs);
}

int lockoutd_fw_release(struct lockoutd_fw *fw,
			const struct lockout_net *net)
{
	int idx = fw_set_index(net);

	if (idx < 0)
		return -1;
	return fw_queue(&fw->releases[idx], net, 0);
}

void lockoutd_fw_flush(struct lockoutd_fw *fw)
{
	fw->flush = true;
}

/* "<verb> element inet lockout banN { a, b timeout 1h, ... }" lines. */
static void fw_render_ops(struct lockout_str *cmd, const char *verb,
			  unsigned int set, const struct fw_ops *ops)
{
	char net[LOCKOUT_NET_STRLEN], timeout[64];
	size_t i;

	for (i = 0; i < ops->count; i++) {
		if (i % FW_ELEMENTS_PER_STATEMENT == 0) {
			lockout_str_printf(cmd, "%s element " FW_TABLE
					   " %s { ", verb, fw_sets[set]);
		} else {
			lockout_str_append(cmd, ", ");
		}
		/* checked when queued */
		(void)fw_net_str(&ops->ops[i].net, net);
		lockout_str_append(cmd, net);
		if (ops->ops[i].timeout_msecs > 0) {
			lockoutd_fw_timeout_str(ops->ops[i].timeout_msecs,
						timeout, sizeof(timeout));
			lockout_str_printf(cmd, " timeout %s", timeout);
		}
		if (i % FW_ELEMENTS_PER_STATEMENT ==
		    FW_ELEMENTS_PER_STATEMENT - 1 || i + 1 == ops->count)
			lockout_str_append(cmd, " }\n");
	}
}

static int fw_run(struct lockoutd_fw *fw, struct lockout_str *cmd,
		  const char **error_r)
{
	const char *text = lockout_str_c(cmd);
	int ret;

	if (text == NULL) {
		*error_r = lockout_error_fmt("firewall: out of memory");
		lockout_str_free(cmd);
		return -1;
	}
	ret = fw->run(fw, text, error_r);
	lockout_str_free(cmd);
	return ret;
}

int lockoutd_fw_commit(struct lockoutd_fw *fw, const char **error_r)
{
	struct lockout_str cmd;
	unsigned int i;

	lockout_str_init(&cmd);
	if (fw->flush) {
		for (i = 0; i < 2; i++) {
			lockout_str_printf(&cmd, "flush set " FW_TABLE " %s\n",
					   fw_sets[i]);
		}
	}
	for (i = 0; i < 2; i++)
		fw_render_ops(&cmd, "delete", i, &fw->releases[i]);
	for (i = 0; i < 2; i++)
		fw_render_ops(&cmd, "add", i, &fw->blocks[i]);
	lockoutd_fw_discard(fw);
	if (cmd.len == 0 && !cmd.failed) {
		lockout_str_free(&cmd);
		return 0;
	}
	return fw_run(fw, &cmd, error_r);
}

static void fw_render_ports(struct lockoutd_fw *fw, struct lockout_str *cmd)
{
	size_t i;

	if (fw->ports_count == 0)
		return;
	lockout_str_append(cmd, " tcp dport { ");
	for (i = 0; i < fw->ports_count; i++) {
		lockout_str_printf(cmd, "%s%u", i == 0 ? "" : ", ",
				   (unsigned int)fw->ports[i]);
	}
	lockout_str_append(cmd, " }");
}

int lockoutd_fw_init(struct lockoutd_fw *fw, const char **error_r)
{
	struct lockout_str cmd;
	unsigned int c, i;

	lockout_str_init(&cmd);
	lockout_str_append(&cmd, "add table " FW_TABLE "\n");
	lockout_str_append(&cmd,
		"add set " FW_TABLE " ban4 { type ipv4_addr; "
		"flags interval, timeout; }\n"
		"add set " FW_TABLE " ban6 { type ipv6_addr; "
		"flags interval, timeout; }\n");
	for (c = 0; c < sizeof(fw_chains) / sizeof(fw_chains[0]); c++) {
		lockout_str_printf(&cmd, "add chain " FW_TABLE " %s { type "
				   "filter hook %s priority -10; policy "
				   "accept; }\n", fw_chains[c], fw_chains[c]);
		lockout_str_printf(&cmd, "flush chain " FW_TABLE " %s\n",
				   fw_chains[c]);
		for (i = 0; i < 2; i++) {
			lockout_str_printf(&cmd, "add rule " FW_TABLE
					   " %s %s @%s", fw_chains[c],
					   fw_saddr[i], fw_sets[i]);
			fw_render_ports(fw, &cmd);
			lockout_str_append(&cmd, " counter drop\n");
		}
	}
	return fw_run(fw, &cmd, error_r);
}

int lockoutd_fw_destroy(struct lockoutd_fw *fw, const char **error_r)
{
	struct lockout_str cmd;

	lockout_str_init(&cmd);
	/* adding first makes deleting a missing table a success */
	lockout_str_append(&cmd, "add table " FW_TABLE "\n"
			   "delete table " FW_TABLE "\n");
	return fw_run(fw, &cmd, error_r);
}
