/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "array.h"
#include "ostream.h"
#include "str-sanitize.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"
#include "lockout-replay.h"

#include <sysexits.h>

/* doveadm lockout simulate [-i trace|log] [-o verdicts|summary|decisions]
   [-s key=value ...] <file|-> ...: replay a recorded trace or Dovecot logs
   through the policy engine with the configured settings. Nothing is
   written except the output; the ban table is not opened. The replay
   itself is liblockout-replay's (lockout-replay.h): here are the arguments
   and the output through doveadm. */

/* Malformed trace lines reported one by one; later ones only counted. */
#define SIM_REPORT_MAX 100

struct sim_cmd {
	struct lockout_config cfg;
	struct lockout_replay_settings set;
	ARRAY_TYPE(const_string) overrides;
	const char *const *paths;
};

static void sim_write(const void *data, size_t size,
		      void *context ATTR_UNUSED)
{
	o_stream_nsend(doveadm_print_ostream, data, size);
}

static void sim_malformed(const char *path, uint64_t line_no,
			  const char *error, uint64_t count,
			  void *context ATTR_UNUSED)
{
	if (count <= SIM_REPORT_MAX) {
		i_warning("lockout simulate: %s:%llu: %s (line skipped)", path,
			  (unsigned long long)line_no, error);
	}
	if (count == SIM_REPORT_MAX) {
		i_warning("lockout simulate: further malformed lines are only "
			  "counted");
	}
}

static void sim_read_error(const char *error, void *context ATTR_UNUSED)
{
	/* what was read is replayed; a truncated .gz (still being written)
	   is no reason to stop */
	i_error("lockout simulate: %s", error);
}

/* --- the command ---------------------------------------------------------- */

static int sim_parse_args(struct doveadm_cmd_context *cctx,
			  struct sim_cmd *cmd)
{
	const char *const *sets, *value, *name, *error, *eq;
	unsigned int i;

	if (doveadm_print_is_initialized()) {
		/* the output is JSON Lines or a report, not a table */
		i_error("lockout simulate: doveadm -f does not apply here "
			"(choose the output with -o summary|verdicts|"
			"decisions)");
		return -1;
	}
	if (!doveadm_cmd_param_str(cctx, "input", &value) ||
	    strcmp(value, "trace") == 0)
		cmd->set.format = LOCKOUT_REPLAY_TRACE;
	else if (strcmp(value, "log") == 0)
		cmd->set.format = LOCKOUT_REPLAY_LOG;
	else {
		i_error("lockout simulate: Invalid -i '%s' (expected trace or "
			"log)", str_sanitize(value, 64));
		return -1;
	}
	if (!doveadm_cmd_param_str(cctx, "output", &value) ||
	    strcmp(value, "summary") == 0)
		cmd->set.output = LOCKOUT_REPLAY_SUMMARY;
	else if (strcmp(value, "verdicts") == 0)
		cmd->set.output = LOCKOUT_REPLAY_VERDICTS;
	else if (strcmp(value, "decisions") == 0)
		cmd->set.output = LOCKOUT_REPLAY_DECISIONS;
	else {
		i_error("lockout simulate: Invalid -o '%s' (expected "
			"summary, verdicts or decisions)",
			str_sanitize(value, 64));
		return -1;
	}
	if (doveadm_cmd_param_array(cctx, "set", &sets)) {
		for (i = 0; sets[i] != NULL; i++) {
			eq = strchr(sets[i], '=');
			if (eq == NULL) {
				i_error("lockout simulate: Invalid -s '%s' "
					"(expected lockout_<name>=<value>)",
					str_sanitize(sets[i], 64));
				return -1;
			}
			name = t_strdup_until(sets[i], eq);
			if (strncmp(name, "lockout_", 8) != 0)
				name = t_strconcat("lockout_", name, NULL);
			if (lockout_config_set(&cmd->cfg, name, eq + 1,
					       &error) < 0) {
				i_error("lockout simulate: Invalid -s '%s': %s",
					str_sanitize(sets[i], 64), error);
				return -1;
			}
			array_push_back(&cmd->overrides, &sets[i]);
		}
	}
	if (lockout_config_check(&cmd->cfg, &error) < 0) {
		i_error("lockout simulate: Invalid settings: %s", error);
		return -1;
	}
	if (!doveadm_cmd_param_array(cctx, "file", &cmd->paths) ||
	    cmd->paths[0] == NULL) {
		i_error("lockout simulate: Name the input: a file, several "
			"files, or - for stdin");
		return -1;
	}
	return 0;
}

static void cmd_lockout_simulate(struct doveadm_cmd_context *cctx)
{
	struct lockout_replay *replay = NULL;
	struct sim_cmd cmd;
	const char *error;
	bool failed = FALSE;

	i_zero(&cmd);
	i_array_init(&cmd.overrides, 4);
	if (doveadm_lockout_config(cctx, &cmd.cfg) < 0)
		goto out;
	if (sim_parse_args(cctx, &cmd) < 0) {
		doveadm_exit_code = EX_USAGE;
		goto out;
	}
	array_append_zero(&cmd.overrides);
	cmd.set.cfg = &cmd.cfg;
	cmd.set.overrides = array_front(&cmd.overrides);
	cmd.set.callbacks.write = sim_write;
	cmd.set.callbacks.malformed = sim_malformed;
	cmd.set.callbacks.read_error = sim_read_error;
	replay = lockout_replay_create(&cmd.set, cmd.paths);
	if (replay == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "lockout simulate: Out of memory");
	if (lockout_replay_open(replay, &error) < 0) {
		i_error("lockout simulate: %s", error);
		doveadm_exit_code = EX_NOINPUT;
		goto out;
	}
	if (lockout_replay_start(replay, &error) < 0) {
		i_error("lockout simulate: %s", error);
		doveadm_exit_code = EX_TEMPFAIL;
		goto out;
	}

	if (lockout_replay_run(replay, &error) < 0) {
		i_error("lockout simulate: %s", error);
		failed = TRUE;
	}
	if (o_stream_flush(doveadm_print_ostream) < 0) {
		i_error("lockout simulate: write(stdout) failed: %s",
			o_stream_get_error(doveadm_print_ostream));
		doveadm_exit_code = EX_IOERR;
	} else if (failed) {
		doveadm_exit_code = EX_TEMPFAIL;
	} else if (lockout_replay_read_errors(replay) > 0) {
		doveadm_exit_code = EX_IOERR;
	}
out:
	lockout_replay_free(&replay);
	lockout_config_free(&cmd.cfg);
	array_free(&cmd.overrides);
}

struct doveadm_cmd_ver2 doveadm_cmd_lockout_simulate = {
	.name = "lockout simulate",
	.cmd = cmd_lockout_simulate,
	.usage = "[-i trace|log] [-o summary|verdicts|decisions] "
		 "[-s lockout_<name>=<value> ...] <file|-> [<file> ...]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('i', "input", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('o', "output", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('s', "set", CMD_PARAM_ARRAY, 0)
DOVEADM_CMD_PARAM('\0', "file", CMD_PARAM_ARRAY, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};
