/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lib.h"
#include "array.h"
#include "ostream.h"
#include "str.h"
#include "str-sanitize.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-lockout.h"
#include "lockout-logparse.h"
#include "lockout-simulate.h"
#include "lockout-trace.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* doveadm lockout simulate [-i trace|log] [-o verdicts|summary|decisions]
   [-s key=value ...] <file|-> ...: replay a recorded trace or Dovecot logs
   through the policy engine with the configured settings. Nothing is
   written except the output; the ban table is not opened. */

/* Malformed trace lines reported one by one; later ones only counted. */
#define SIM_REPORT_MAX 100
/* Read buffer: holds the longest line and then some. */
#define SIM_READ_SIZE (256 * 1024)
/* Longest line accepted by either parser. */
#define SIM_LINE_MAX LOCKOUT_TRACE_LINE_MAX
/* Lines read from the start of each log to put the files in order. */
#define SIM_ORDER_LINES 1000
/* Engine key: a replay gives the same answer every time. */
static const unsigned char sim_engine_key[LOCKOUT_HASH_KEY_SIZE] =
	"lockout-simulate";

enum sim_input_type { SIM_INPUT_TRACE, SIM_INPUT_LOG };
enum sim_output { SIM_OUTPUT_SUMMARY, SIM_OUTPUT_VERDICTS,
		  SIM_OUTPUT_DECISIONS };

struct sim_file {
	const char *path; /* "-" is stdin */
	int fd;
	gzFile gz;
	int64_t mtime, first_time;
	unsigned int order;

	char *buf;
	size_t start, end;
	bool eof, skipping;
	uint64_t line_no;
};

struct sim_cmd {
	enum sim_input_type input;
	enum sim_output output;
	struct lockout_config cfg;
	struct lockout_simulate *sim;
	struct lockout_trace *trace;
	struct lockout_logparse *logparse;
	struct lockout_str json;
	ARRAY(struct sim_file) files;
	ARRAY_TYPE(const_string) overrides;

	uint64_t lines, malformed, blank, too_long;
	unsigned int read_errors;
	bool failed;
};

/* --- input ---------------------------------------------------------------- */

static int sim_file_open(struct sim_file *file)
{
	struct stat st;

	file->fd = strcmp(file->path, "-") == 0 ? dup(STDIN_FILENO) :
		open(file->path, O_RDONLY);
	if (file->fd < 0) {
		i_error("lockout simulate: open(%s) failed: %m", file->path);
		return -1;
	}
	if (fstat(file->fd, &st) < 0) {
		i_error("lockout simulate: fstat(%s) failed: %m", file->path);
		i_close_fd(&file->fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		i_error("lockout simulate: %s is a directory", file->path);
		i_close_fd(&file->fd);
		return -1;
	}
	file->mtime = S_ISREG(st.st_mode) && strcmp(file->path, "-") != 0 ?
		(int64_t)st.st_mtime : (int64_t)time(NULL);
	/* reads gzip by its magic, anything else as it is */
	file->gz = gzdopen(file->fd, "rb");
	if (file->gz == NULL) {
		i_error("lockout simulate: %s: out of memory", file->path);
		i_close_fd(&file->fd);
		return -1;
	}
	file->fd = -1; /* the gzFile owns it now */
	(void)gzbuffer(file->gz, 128 * 1024);
	if (file->buf == NULL)
		file->buf = i_malloc(SIM_READ_SIZE);
	file->start = file->end = 0;
	file->eof = file->skipping = FALSE;
	file->line_no = 0;
	return 0;
}

static void sim_file_close(struct sim_file *file)
{
	if (file->gz != NULL) {
		(void)gzclose(file->gz);
		file->gz = NULL;
	}
	i_free(file->buf);
}

/* Read more into the buffer. Returns -1 on a read error. */
static int sim_file_fill(struct sim_file *file)
{
	const char *error;
	int errnum, ret;

	if (file->start > 0) {
		memmove(file->buf, file->buf + file->start,
			file->end - file->start);
		file->end -= file->start;
		file->start = 0;
	}
	ret = gzread(file->gz, file->buf + file->end,
		     (unsigned int)(SIM_READ_SIZE - file->end));
	if (ret > 0) {
		file->end += (size_t)ret;
		return 0;
	}
	file->eof = TRUE;
	error = gzerror(file->gz, &errnum);
	if (ret < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
		if (errnum == Z_ERRNO)
			error = strerror(errno);
		/* what was read is replayed; a truncated .gz (still being
		   written) is no reason to stop */
		i_error("lockout simulate: read(%s) failed after line %llu: %s",
			file->path, (unsigned long long)file->line_no, error);
		return -1;
	}
	return 0;
}

/* The next line (without its newline). Returns 1 with *line_r and *len_r
   (*too_long_r when the line was cut: only its start is given), 0 at the
   end, -1 on a read error. */
static int sim_file_line(struct sim_file *file, const char **line_r,
			 size_t *len_r, bool *too_long_r)
{
	const char *nl;
	size_t len;

	*too_long_r = FALSE;
	for (;;) {
		nl = memchr(file->buf + file->start, '\n',
			    file->end - file->start);
		if (nl != NULL) {
			*line_r = file->buf + file->start;
			len = (size_t)(nl - *line_r);
			file->start += len + 1;
			if (file->skipping) {
				/* the end of a line too long */
				file->skipping = FALSE;
				continue;
			}
			*len_r = len;
			file->line_no++;
			return 1;
		}
		if (file->skipping) {
			/* still in a line too long: drop what is read */
			file->start = file->end;
		} else if (file->end - file->start > SIM_LINE_MAX) {
			/* no newline in sight: give the start, drop the
			   rest up to the next newline */
			*line_r = file->buf + file->start;
			*len_r = SIM_LINE_MAX + 1;
			file->start = file->end;
			file->line_no++;
			file->skipping = TRUE;
			*too_long_r = TRUE;
			return 1;
		}
		if (file->eof) {
			if (file->start == file->end || file->skipping)
				return 0;
			/* the last line had no newline */
			*line_r = file->buf + file->start;
			*len_r = file->end - file->start;
			file->start = file->end;
			file->line_no++;
			return 1;
		}
		if (sim_file_fill(file) < 0)
			return -1;
	}
}

/* --- output --------------------------------------------------------------- */

static void sim_out(const void *data, size_t len)
{
	o_stream_nsend(doveadm_print_ostream, data, len);
}

static void sim_verdict(uint64_t index, enum lockout_verdict verdict,
			void *context)
{
	struct sim_cmd *cmd = context;
	char buf[64];
	int len;

	if (cmd->output != SIM_OUTPUT_VERDICTS)
		return;
	len = snprintf(buf, sizeof(buf), "{\"i\":%llu,\"verdict\":\"%s\"}\n",
		       (unsigned long long)index,
		       verdict == LOCKOUT_VERDICT_ALLOW ? "allow" : "refuse");
	if (len > 0 && (size_t)len < sizeof(buf))
		sim_out(buf, (size_t)len);
}

static void sim_decision(uint64_t index, const struct lockout_decision *d,
			 void *context)
{
	struct sim_cmd *cmd = context;

	if (cmd->output != SIM_OUTPUT_DECISIONS ||
	    d->type == LOCKOUT_DECISION_KNOWN_DEVICE)
		return;
	lockout_str_clear(&cmd->json);
	if (lockout_sim_decision_to_json(&cmd->json, index, d) < 0) {
		i_error("lockout simulate: Cannot write decision %llu as JSON",
			(unsigned long long)index);
		cmd->failed = TRUE;
		return;
	}
	lockout_str_append(&cmd->json, "\n");
	sim_out(cmd->json.data, cmd->json.len);
}

/* --- replay --------------------------------------------------------------- */

static int sim_feed(struct sim_cmd *cmd, const struct lockout_sim_attempt *a)
{
	const char *error;

	if (lockout_simulate_feed(cmd->sim, a, &error) < 0) {
		i_error("lockout simulate: %s", error);
		cmd->failed = TRUE;
		return -1;
	}
	return 0;
}

static int sim_log_attempt(const struct lockout_sim_attempt *a, void *context)
{
	return sim_feed(context, a) < 0 ? -1 : 0;
}

static void sim_trace_line(struct sim_cmd *cmd, const struct sim_file *file,
			   const char *line, size_t len, bool too_long)
{
	struct lockout_sim_attempt attempt;
	const char *error;
	int ret;

	if (too_long) {
		ret = -1;
		error = t_strdup_printf("line longer than %u bytes",
					SIM_LINE_MAX);
		cmd->too_long++;
	} else {
		ret = lockout_trace_parse(cmd->trace, line, len, &attempt,
					  &error);
	}
	if (ret == 0) {
		cmd->blank++;
	} else if (ret < 0) {
		cmd->malformed++;
		if (cmd->malformed <= SIM_REPORT_MAX) {
			i_warning("lockout simulate: %s:%llu: %s (line "
				  "skipped)", file->path,
				  (unsigned long long)file->line_no, error);
		}
		if (cmd->malformed == SIM_REPORT_MAX) {
			i_warning("lockout simulate: further malformed lines "
				  "are only counted");
		}
	} else {
		(void)sim_feed(cmd, &attempt);
	}
}

static int sim_file_replay(struct sim_cmd *cmd, struct sim_file *file)
{
	const char *line;
	size_t len;
	bool too_long;
	int ret = 0;

	if (cmd->input == SIM_INPUT_LOG)
		lockout_logparse_begin(cmd->logparse, file->mtime);
	while (!cmd->failed &&
	       (ret = sim_file_line(file, &line, &len, &too_long)) > 0) {
		cmd->lines++;
		if (cmd->input == SIM_INPUT_TRACE) {
			T_BEGIN {
				sim_trace_line(cmd, file, line, len, too_long);
			} T_END;
		} else {
			/* a cut line is unusable: its whole length says so */
			(void)lockout_logparse_line(cmd->logparse, line,
						    len);
		}
	}
	if (ret < 0)
		cmd->read_errors++;
	return cmd->failed ? -1 : 0;
}

/* The time of the first timestamped line among the first few. */
static void sim_file_first_time(struct sim_file *file)
{
	const char *line;
	size_t len;
	bool too_long;
	unsigned int i;

	file->first_time = INT64_MAX;
	for (i = 0; i < SIM_ORDER_LINES; i++) {
		if (sim_file_line(file, &line, &len, &too_long) <= 0)
			break;
		if (!too_long &&
		    lockout_log_line_time(line, len, file->mtime,
					  &file->first_time) == 0)
			break;
	}
}

static int sim_file_cmp(const struct sim_file *a, const struct sim_file *b)
{
	if (a->first_time != b->first_time)
		return a->first_time < b->first_time ? -1 : 1;
	return a->order < b->order ? -1 : (a->order > b->order ? 1 : 0);
}

/* Open every file first (a missing one stops the run before any output)
   and, for logs given as files, put them in time order: "mail.log*"
   names the newest first. */
static int sim_open_files(struct sim_cmd *cmd)
{
	struct sim_file *file;
	bool sortable = cmd->input == SIM_INPUT_LOG &&
		array_count(&cmd->files) > 1;

	array_foreach_modifiable(&cmd->files, file) {
		if (sim_file_open(file) < 0)
			return -1;
		if (strcmp(file->path, "-") == 0)
			sortable = FALSE;
	}
	if (!sortable)
		return 0;
	array_foreach_modifiable(&cmd->files, file) {
		sim_file_first_time(file);
		/* read again from the start */
		(void)gzclose(file->gz);
		file->gz = NULL;
		if (sim_file_open(file) < 0)
			return -1;
	}
	array_sort(&cmd->files, sim_file_cmp);
	return 0;
}

/* --- the summary ---------------------------------------------------------- */

static const char *sim_time(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	/* relative times stay numbers; unix times become local dates, as
	   in the logs */
	if (t < 1000000000 || localtime_r(&tt, &tm) == NULL)
		return t_strdup_printf("t=%lld", (long long)t);
	if (strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return "?";
	return t_strdup(buf);
}

static const char *sim_duration(int64_t secs)
{
	if (secs < 120)
		return t_strdup_printf("%lld secs", (long long)secs);
	if (secs < 2 * 3600)
		return t_strdup_printf("%lld mins", (long long)(secs / 60));
	if (secs < 2 * 86400)
		return t_strdup_printf("%lld hours", (long long)(secs / 3600));
	return t_strdup_printf("%lld days", (long long)(secs / 86400));
}

static const char *sim_name(const char *s)
{
	return s[0] == '\0' ? "(none)" : str_sanitize(s, 64);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return t_strdup_printf("%llu %s", (unsigned long long)n,
			       n == 1 ? one : many);
}

static void sim_print_list(string_t *out, const struct lockout_sim_list *list,
			   bool with_target, const char *what)
{
	const struct lockout_sim_item *item;
	unsigned int i;

	for (i = 0; i < list->count; i++) {
		item = &list->items[i];
		str_append(out, "  ");
		if (with_target)
			str_printfa(out, "%-18s ", item->target);
		str_printfa(out, "%-28s %s", sim_name(item->user),
			    sim_time(item->time));
		if (item->count > 1) {
			str_printfa(out, " (%llu times, last %s)",
				    (unsigned long long)item->count,
				    sim_time(item->last_time));
		}
		if (item->reason[0] != '\0')
			str_printfa(out, ": %s", str_sanitize(item->reason,
							      160));
		str_append_c(out, '\n');
	}
	if (list->distinct > list->count) {
		str_printfa(out, "  ... and %llu more %s\n",
			    (unsigned long long)(list->distinct - list->count),
			    what);
	}
}

static void sim_print_refused(string_t *out,
			      const struct lockout_sim_list *list)
{
	const struct lockout_sim_item *item;
	unsigned int i;

	for (i = 0; i < list->count; i++) {
		item = &list->items[i];
		str_printfa(out, "  %-28s %s, first %s from %s: ",
			    sim_name(item->user),
			    plural(item->count, "login", "logins"),
			    sim_time(item->time), item->target);
		if (item->ban_target[0] == '\0') {
			str_append(out, "the account was protected");
		} else {
			str_printfa(out, "%s was banned", item->ban_target);
			if (item->rule[0] != '\0') {
				str_printfa(out, " (rule %s, %s)", item->rule,
					    sim_time(item->ban_time));
			}
		}
		if (item->count > 1)
			str_printfa(out, "; last %s",
				    sim_time(item->last_time));
		str_append_c(out, '\n');
	}
	if (list->distinct > list->count) {
		str_printfa(out, "  ... and %llu more users\n",
			    (unsigned long long)(list->distinct - list->count));
	}
}

static void sim_print_input(struct sim_cmd *cmd, string_t *out)
{
	const struct lockout_logparse_stats *ls;
	const struct sim_file *file;
	unsigned int i = 0;

	str_printfa(out, "Input:     %s, ", cmd->input == SIM_INPUT_LOG ?
		    "Dovecot log" : "trace");
	array_foreach(&cmd->files, file) {
		if (i++ == 5) {
			str_printfa(out, "... (%u files), ",
				    array_count(&cmd->files));
			break;
		}
		str_printfa(out, "%s, ", str_sanitize(file->path, 80));
	}
	str_printfa(out, "%s", plural(cmd->lines, "line", "lines"));
	if (cmd->input == SIM_INPUT_TRACE) {
		if (cmd->malformed > 0) {
			str_printfa(out, ", %llu malformed (skipped)",
				    (unsigned long long)cmd->malformed);
		}
		str_append_c(out, '\n');
		return;
	}
	ls = lockout_logparse_stats(cmd->logparse);
	str_printfa(out, ": %llu used, %llu ignored, %llu unusable\n",
		    (unsigned long long)ls->used,
		    (unsigned long long)ls->ignored,
		    (unsigned long long)ls->unusable);
	if (ls->no_timestamp > 0 || ls->backwards > 0) {
		str_printfa(out, "           (%llu without a timestamp, %llu "
			    "going back in time)\n",
			    (unsigned long long)ls->no_timestamp,
			    (unsigned long long)ls->backwards);
	}
}

static void sim_print_notes(struct sim_cmd *cmd, string_t *out,
			    const struct lockout_sim_summary *s)
{
	const struct lockout_logparse_stats *ls = cmd->logparse == NULL ?
		NULL : lockout_logparse_stats(cmd->logparse);
	uint64_t failures = s->mismatches + s->unknown_users +
		s->failures_unknown_kind;
	string_t *notes = t_str_new(512);

	if (failures > 0 && s->failures_with_password == 0) {
		str_append(notes, "- The input has no attempted passwords: a "
			   "client repeating one wrong password counts as "
			   "many failures here, but once in the plugin (for "
			   "logs, auth_verbose_passwords = sha1:8 records "
			   "enough to tell).\n");
	}
	if (s->failures_unknown_kind > 0) {
		str_printfa(notes, "- %llu failures of unknown kind (a log "
			    "without auth_verbose = yes cannot tell a wrong "
			    "password from an unknown user): replayed as "
			    "wrong passwords, except %llu on targeted names "
			    "never seen as accounts, replayed as unknown "
			    "users.\n",
			    (unsigned long long)s->failures_unknown_kind,
			    (unsigned long long)s->failures_guessed_unknown);
	}
	if (s->recorded_refused > 0) {
		str_printfa(notes, "- %llu attempts were refused by the "
			    "recorded server itself (\"user disabled\"); "
			    "the replay refuses %llu of them.\n",
			    (unsigned long long)s->recorded_refused,
			    (unsigned long long)s->recorded_refused_agreed);
	}
	if (s->time_backwards > 0) {
		str_printfa(notes, "- %llu attempts went back in time and "
			    "were replayed at the latest time seen.\n",
			    (unsigned long long)s->time_backwards);
	}
	if (s->time_shift > 0) {
		str_printfa(notes, "- Times start at or below 0: shifted by "
			    "%lld (the engine reads 0 as \"never\").\n",
			    (long long)s->time_shift);
	}
	if (cmd->read_errors > 0) {
		str_printfa(notes, "- %u input files could not be read to "
			    "the end (see the errors above).\n",
			    cmd->read_errors);
	}
	if (ls != NULL && ls->sessions_evicted > 0) {
		str_printfa(notes, "- %llu sessions were forgotten before "
			    "they ended: their attempts may be counted "
			    "twice.\n",
			    (unsigned long long)ls->sessions_evicted);
	}
	if (s->attempts == 0 && cmd->lines > 0) {
		str_printfa(notes, "- Nothing to replay: is this %s? (-i %s)\n",
			    cmd->input == SIM_INPUT_LOG ? "a trace" :
			    "a Dovecot log", cmd->input == SIM_INPUT_LOG ?
			    "trace" : "log");
	}
	if (str_len(notes) > 0) {
		str_append(out, "\nNotes:\n");
		str_append_str(out, notes);
	}
}

static void sim_print_summary(struct sim_cmd *cmd)
{
	const struct lockout_sim_summary *s =
		lockout_simulate_summary(cmd->sim);
	const char *const *override;
	string_t *out = t_str_new(4096);
	char window[32], ban[32], ban_max[32];
	unsigned int i;

	str_append(out, "What dovecot-lockout would have done (as in enforce "
		   "mode)\n\n");
	sim_print_input(cmd, out);
	if (s->attempts > 0) {
		str_printfa(out, "Period:    %s .. %s (%s)\n",
			    sim_time(s->first_time), sim_time(s->last_time),
			    sim_duration(s->last_time - s->first_time));
	}
	lockout_interval_to_str(cmd->cfg.ip_window, window, sizeof(window));
	lockout_interval_to_str(cmd->cfg.ban_time, ban, sizeof(ban));
	lockout_interval_to_str(cmd->cfg.ban_time_max, ban_max,
				sizeof(ban_max));
	str_printfa(out, "Settings:  %u failures within %s ban a source for "
		    "%s (up to %s); %u failures of an account protect it\n",
		    cmd->cfg.ip_failures, window, ban, ban_max,
		    cmd->cfg.user_failures);
	if (array_count(&cmd->overrides) > 0) {
		str_append(out, "           with");
		array_foreach(&cmd->overrides, override)
			str_printfa(out, " %s", str_sanitize(*override, 80));
		str_append_c(out, '\n');
	}

	str_printfa(out, "\nAttempts:            %llu (successes %llu, wrong "
		    "passwords %llu, unknown users %llu",
		    (unsigned long long)s->attempts,
		    (unsigned long long)s->successes,
		    (unsigned long long)s->mismatches,
		    (unsigned long long)s->unknown_users);
	if (s->failures_unknown_kind > 0) {
		str_printfa(out, ", failures of unknown kind %llu",
			    (unsigned long long)s->failures_unknown_kind);
	}
	if (s->recorded_refused > 0) {
		str_printfa(out, ", refused by the server %llu",
			    (unsigned long long)s->recorded_refused);
	}
	str_printfa(out, ")\nWould be refused:    %llu (banned source %llu, "
		    "protected account %llu)\n",
		    (unsigned long long)s->refused,
		    (unsigned long long)s->refused_banned,
		    (unsigned long long)s->refused_protected);
	str_printfa(out, "Bans:                %llu",
		    (unsigned long long)s->bans);
	if (s->bans > 0) {
		str_append(out, " (");
		for (i = 0; i < s->rule_count; i++) {
			str_printfa(out, "%s%s %llu", i == 0 ? "" : ", ",
				    s->rules[i].rule,
				    (unsigned long long)s->rules[i].count);
		}
		str_printfa(out, "; %s, %s; %s, %llu permanent)",
			    plural(s->bans_ip, "address", "addresses"),
			    plural(s->bans_net, "network", "networks"),
			    plural(s->bans_escalated, "repeat offender",
				   "repeat offenders"),
			    (unsigned long long)s->bans_permanent);
	}
	str_printfa(out, "\nAccounts protected:  %llu",
		    (unsigned long long)s->protected_accounts.distinct);
	if (s->protected_accounts.total > s->protected_accounts.distinct) {
		str_printfa(out, " (%s)", plural(s->protected_accounts.total,
						 "protection", "protections"));
	}
	str_append_c(out, '\n');
	sim_print_list(out, &s->protected_accounts, FALSE, "accounts");
	str_printfa(out, "Stale clients:       %llu (a source repeating one "
		    "wrong password: reported, never banned)\n",
		    (unsigned long long)s->stale_clients.distinct);
	sim_print_list(out, &s->stale_clients, TRUE, "stale clients");
	str_printfa(out, "Success after many failures: %llu (possibly "
		    "guessed passwords)\n",
		    (unsigned long long)s->guessed.distinct);
	sim_print_list(out, &s->guessed, TRUE, "sources");

	str_printfa(out, "\nSuccessful logins that would have been refused: "
		    "%llu", (unsigned long long)s->refused_successes.total);
	if (s->refused_successes.total > 0) {
		str_printfa(out, " (%s)\n",
			    plural(s->refused_successes.distinct, "user",
				   "users"));
		sim_print_refused(out, &s->refused_successes);
	} else {
		str_append_c(out, '\n');
	}
	sim_print_notes(cmd, out, s);
	sim_out(str_data(out), str_len(out));
}

/* --- the command ---------------------------------------------------------- */

static int sim_parse_args(struct doveadm_cmd_context *cctx,
			  struct sim_cmd *cmd)
{
	const char *const *sets, *const *paths, *value, *name, *error, *eq;
	struct sim_file *file;
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
		cmd->input = SIM_INPUT_TRACE;
	else if (strcmp(value, "log") == 0)
		cmd->input = SIM_INPUT_LOG;
	else {
		i_error("lockout simulate: Invalid -i '%s' (expected trace or "
			"log)", str_sanitize(value, 64));
		return -1;
	}
	if (!doveadm_cmd_param_str(cctx, "output", &value) ||
	    strcmp(value, "summary") == 0)
		cmd->output = SIM_OUTPUT_SUMMARY;
	else if (strcmp(value, "verdicts") == 0)
		cmd->output = SIM_OUTPUT_VERDICTS;
	else if (strcmp(value, "decisions") == 0)
		cmd->output = SIM_OUTPUT_DECISIONS;
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
			if (!str_begins(name, "lockout_"))
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
	if (!doveadm_cmd_param_array(cctx, "file", &paths) ||
	    paths[0] == NULL) {
		i_error("lockout simulate: Name the input: a file, several "
			"files, or - for stdin");
		return -1;
	}
	for (i = 0; paths[i] != NULL; i++) {
		file = array_append_space(&cmd->files);
		file->path = paths[i];
		file->fd = -1;
		file->order = i;
	}
	return 0;
}

static int sim_setup(struct sim_cmd *cmd)
{
	struct lockout_sim_callbacks callbacks = {
		.verdict = sim_verdict,
		.decision = sim_decision,
		.context = cmd,
	};
	unsigned char key[LOCKOUT_SIM_KEY_SIZE];
	const char *error;

	if (sodium_init() < 0) {
		i_error("lockout simulate: libsodium cannot be initialized");
		return -1;
	}
	/* password tags only have to be equal for equal passwords here;
	   a fresh key keeps them meaningless elsewhere */
	randombytes_buf(key, sizeof(key));
	if (cmd->input == SIM_INPUT_TRACE)
		cmd->trace = lockout_trace_create(key);
	else {
		cmd->logparse = lockout_logparse_create(key, sim_log_attempt,
							cmd);
	}
	sodium_memzero(key, sizeof(key));
	if (cmd->trace == NULL && cmd->logparse == NULL) {
		i_error("lockout simulate: Out of memory");
		return -1;
	}
	if (lockout_simulate_create(&cmd->cfg, sim_engine_key, &callbacks,
				    &cmd->sim, &error) < 0) {
		i_error("lockout simulate: %s", error);
		return -1;
	}
	return 0;
}

static void sim_deinit(struct sim_cmd *cmd)
{
	struct sim_file *file;

	array_foreach_modifiable(&cmd->files, file)
		sim_file_close(file);
	lockout_simulate_free(&cmd->sim);
	lockout_trace_free(&cmd->trace);
	lockout_logparse_free(&cmd->logparse);
	lockout_str_free(&cmd->json);
	lockout_config_free(&cmd->cfg);
	array_free(&cmd->files);
	array_free(&cmd->overrides);
}

static void cmd_lockout_simulate(struct doveadm_cmd_context *cctx)
{
	struct sim_cmd cmd;
	struct sim_file *file;

	i_zero(&cmd);
	lockout_str_init(&cmd.json);
	i_array_init(&cmd.files, 4);
	i_array_init(&cmd.overrides, 4);
	if (doveadm_lockout_config(&cmd.cfg) < 0) {
		sim_deinit(&cmd);
		return;
	}
	if (sim_parse_args(cctx, &cmd) < 0) {
		doveadm_exit_code = EX_USAGE;
		sim_deinit(&cmd);
		return;
	}
	if (sim_open_files(&cmd) < 0) {
		doveadm_exit_code = EX_NOINPUT;
		sim_deinit(&cmd);
		return;
	}
	if (sim_setup(&cmd) < 0) {
		doveadm_exit_code = EX_TEMPFAIL;
		sim_deinit(&cmd);
		return;
	}

	array_foreach_modifiable(&cmd.files, file) {
		if (sim_file_replay(&cmd, file) < 0)
			break;
		sim_file_close(file);
	}
	if (!cmd.failed && cmd.logparse != NULL &&
	    lockout_logparse_finish(cmd.logparse) != 0)
		cmd.failed = TRUE;
	if (cmd.output == SIM_OUTPUT_SUMMARY) T_BEGIN {
		sim_print_summary(&cmd);
	} T_END;
	if (o_stream_flush(doveadm_print_ostream) < 0) {
		i_error("lockout simulate: write(stdout) failed: %s",
			o_stream_get_error(doveadm_print_ostream));
		doveadm_exit_code = EX_IOERR;
	} else if (cmd.failed) {
		doveadm_exit_code = EX_TEMPFAIL;
	} else if (cmd.read_errors > 0) {
		doveadm_exit_code = EX_IOERR;
	}
	sim_deinit(&cmd);
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
