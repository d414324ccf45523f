/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-daemon.h"
#include "lockoutd-log.h"
#include "lockoutd-privs.h"
#include "lockoutd-settings.h"
#include "lockout-error.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* lockoutd: the small root helper of dovecot-lockout. It mirrors the ban
   table into nftables sets and mails the postmaster; see lockoutd(8). */

#define DB_WAIT_LOG_MSECS (60 * 1000)

struct options {
	const char *config_path;
	const char *db_path;
	bool foreground, once, dry_run, flush;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: lockoutd [-c DOVECOT_CONF] [--db PATH|CONNINFO] "
		"[--foreground] "
		"[--once] [--dry-run]\n"
		"       lockoutd --flush\n");
}

static int parse_options(int argc, char *argv[], struct options *opts)
{
	enum { OPT_DB = 256, OPT_FOREGROUND, OPT_ONCE, OPT_DRY_RUN,
	       OPT_FLUSH };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, OPT_DB },
		{ "foreground", no_argument, NULL, OPT_FOREGROUND },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "flush", no_argument, NULL, OPT_FLUSH },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(opts, 0, sizeof(*opts));
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opts->config_path = optarg;
			break;
		case OPT_DB:
			opts->db_path = optarg;
			break;
		case OPT_FOREGROUND:
			opts->foreground = true;
			break;
		case OPT_ONCE:
			opts->once = true;
			break;
		case OPT_DRY_RUN:
			opts->dry_run = true;
			break;
		case OPT_FLUSH:
			opts->flush = true;
			break;
		case 'h':
			usage(stdout);
			exit(LOCKOUTD_EXIT_OK);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lockoutd: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return -1;
	}
	if (opts->flush && (opts->once || opts->dry_run || opts->db_path ||
			    opts->config_path)) {
		fprintf(stderr, "lockoutd: --flush takes no other option\n");
		return -1;
	}
	/* which of the two lockout_db_driver wants is checked with the
	   settings */
	if (opts->db_path != NULL && opts->db_path[0] != '/' &&
	    !lockout_db_is_conninfo(opts->db_path)) {
		fprintf(stderr, "lockoutd: --db needs an absolute path, or a "
			"libpq connection string with lockout_db_driver = "
			"pgsql\n");
		return -1;
	}
	return 0;
}

static int read_settings(const struct options *opts,
			 struct lockout_config *cfg)
{
	const char *error;

	if (lockout_config_init(cfg, &error) < 0 ||
	    lockoutd_settings_read(cfg, opts->config_path, &error) < 0) {
		log_error("settings: %s", error);
		return -1;
	}
	if (opts->db_path != NULL &&
	    (lockout_config_set(cfg, "lockout_db", opts->db_path,
				&error) < 0 ||
	     lockout_config_check(cfg, &error) < 0)) {
		log_error("--db: %s", error);
		return -1;
	}
	return 0;
}

/* This host's name for the mail, reduced to host name characters. */
static void get_hostname(char *buf, size_t size)
{
	size_t i;

	if (gethostname(buf, size) < 0 || buf[0] == '\0')
		snprintf(buf, size, "localhost");
	buf[size - 1] = '\0';
	for (i = 0; buf[i] != '\0'; i++) {
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY"
			   "Z0123456789.-", buf[i]) == NULL)
			buf[i] = '-';
	}
}

/* Open the ban table, never creating it. A daemon waits for it (the auth
   process creates it on its first start; with PostgreSQL also while the
   server is unreachable); one-shot runs fail. */
static int open_store(const struct lockout_config *cfg, bool wait,
		      struct lockout_store **store_r)
{
	int64_t last_log = 0, now;
	struct timespec ts;
	const char *error;

	for (;;) {
		if (lockout_store_open_db(cfg->db_driver, cfg->db, 0,
					  LOCKOUTD_DB_BUSY_TIMEOUT_MSECS,
					  store_r, &error) == 0)
			return 0;
		if (!wait) {
			log_error("ban table: %s", error);
			return -1;
		}
		(void)clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (last_log == 0 || now - last_log >= DB_WAIT_LOG_MSECS) {
			log_warning("waiting for the ban table: %s", error);
			last_log = now;
		}
		ts.tv_sec = LOCKOUTD_RETRY_MSECS / 1000;
		ts.tv_nsec = 0;
		(void)nanosleep(&ts, NULL);
	}
}

/* The user lockoutd becomes: with SQLite the owner of the ban table's
   file (the auth process's user, which created it); with PostgreSQL the
   owner of the libpq password file named by passfile= in lockout_db.
   libpq reads that file at every connection, reconnections after an
   outage included, long after root is gone, and ignores it unless only
   its owner may read it (0600): so its owner is the one user that can
   always reconnect. No passfile= (a password-less method such as peer or
   a client certificate): only a lockoutd started unprivileged can run,
   as whoever started it. */
static int db_owner(const struct lockout_config *cfg, struct stat *st_r)
{
	char passfile[1024], shown[LOCKOUT_DB_DISPLAY_SIZE];

	if (cfg->db_driver == LOCKOUT_DB_DRIVER_SQLITE) {
		if (stat(cfg->db, st_r) < 0) {
			log_error("stat(%s): %s", cfg->db, strerror(errno));
			return -1;
		}
		if (geteuid() == 0 && st_r->st_uid == 0) {
			log_error("%s is owned by root: lockoutd runs as the "
				  "owner of the ban table (the dovecot user) "
				  "and will not stay root", cfg->db);
			return -1;
		}
		return 0;
	}
	if (!lockout_db_conninfo_value(cfg->db, "passfile", passfile,
				       sizeof(passfile))) {
		if (geteuid() != 0)
			return 1;
		log_error("lockout_db (%s) names no passfile=: lockoutd runs "
			  "as the owner of the PostgreSQL password file and "
			  "will not stay root (see docs/several-nodes.md)",
			  lockout_db_display(cfg->db, shown, sizeof(shown)));
		return -1;
	}
	if (stat(passfile, st_r) < 0) {
		log_error("stat(%s) (passfile of lockout_db): %s", passfile,
			  strerror(errno));
		return -1;
	}
	if ((st_r->st_mode & 077) != 0) {
		log_error("%s (passfile of lockout_db) may be read by others "
			  "than its owner: libpq ignores it (chmod 0600)",
			  passfile);
		return -1;
	}
	if (geteuid() == 0 && st_r->st_uid == 0) {
		log_error("%s (passfile of lockout_db) is owned by root: "
			  "lockoutd runs as the owner of the password file "
			  "(the dovecot user, or a user of its own) and will "
			  "not stay root", passfile);
		return -1;
	}
	return 0;
}

/* Become the owner of the ban table (db_owner()), keeping only
   CAP_NET_ADMIN. */
static int drop_privileges(const struct lockout_config *cfg,
			   bool keep_net_admin)
{
	char passfile[1024];
	const char *error;
	struct stat st;
	int ret;

	memset(&st, 0, sizeof(st));
	if ((ret = db_owner(cfg, &st)) < 0)
		return -1;
	if (ret > 0) {
		/* unprivileged and nothing to become: keep the user */
		st.st_uid = geteuid();
		st.st_gid = getegid();
	}
	if (lockoutd_privs_drop(st.st_uid, st.st_gid, keep_net_admin,
				&error) < 0) {
		log_error("dropping privileges failed: %s", error);
		return -1;
	}
	if (cfg->db_driver != LOCKOUT_DB_DRIVER_SQLITE &&
	    lockout_db_conninfo_value(cfg->db, "passfile", passfile,
				      sizeof(passfile)) &&
	    access(passfile, R_OK) < 0) {
		/* a directory on the way it cannot pass: the next
		   reconnection would fail, say so now */
		log_error("%s (passfile of lockout_db) is not readable after "
			  "dropping privileges: %s", passfile, strerror(errno));
		return -1;
	}
	return 0;
}

static int block_signals(int *fd_r)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	*fd_r = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return *fd_r < 0 ? -1 : 0;
}

/* Detach from the terminal; the parent exits 0 once the child runs. */
static int daemonize(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(LOCKOUTD_EXIT_OK);
	if (setsid() < 0)
		return -1;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0 ||
	    dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
		return -1;
	if (fd > STDERR_FILENO)
		(void)close(fd);
	lockoutd_log_open(false, true);
	return 0;
}

/* What to do about a firewall that cannot be changed: without
   CAP_NET_ADMIN the kernel refuses everything, whatever the table holds. */
static const char *fw_hint(const char *error)
{
	if (!lockoutd_privs_have_net_admin() ||
	    strstr(error, "Operation not permitted") != NULL)
		return LOCKOUTD_NET_ADMIN_HINT;
	return "lockoutd --flush removes an incompatible table inet lockout";
}

/* Refuse at once, with what to do, rather than let libnftables print its
   own "you must be root" to the standard output. */
static int check_net_admin(void)
{
	if (lockoutd_privs_have_net_admin())
		return 0;
	log_error("cannot change nftables: %s: %s", strerror(EPERM),
		  LOCKOUTD_NET_ADMIN_HINT);
	return -1;
}

static int run_flush(void)
{
	struct lockoutd_fw *fw;
	const char *error;

	if (check_net_admin() < 0)
		return LOCKOUTD_EXIT_FAILURE;
	if (lockoutd_fw_create_nft(NULL, 0, &fw, &error) < 0 ||
	    lockoutd_fw_destroy(fw, &error) < 0) {
		log_error("flush: %s", error);
		lockoutd_fw_free(&fw);
		return LOCKOUTD_EXIT_FAILURE;
	}
	lockoutd_fw_free(&fw);
	log_info("table inet lockout removed");
	return LOCKOUTD_EXIT_OK;
}

struct lockoutd_main {
	struct options opts;
	struct lockout_config cfg;
	struct lockoutd_daemon_settings set;
	char hostname[256];
	struct lockoutd_fw *fw;
	struct lockout_store *store;
	struct lockoutd_mailer *mailer;
	struct lockoutd_daemon *daemon;
	int signal_fd;
};

static int create_firewall(struct lockoutd_main *m)
{
	const char *error;
	int ret;

	if (!m->opts.dry_run && check_net_admin() < 0)
		return -1;
	ret = m->opts.dry_run ?
		lockoutd_fw_create_recording(m->cfg.firewall_ports,
					     m->cfg.firewall_ports_count,
					     &m->fw, &error) :
		lockoutd_fw_create_nft(m->cfg.firewall_ports,
				       m->cfg.firewall_ports_count, &m->fw,
				       &error);
	if (ret < 0 || lockoutd_fw_init(m->fw, &error) < 0) {
		log_error("firewall: %s (%s)", error, fw_hint(error));
		return -1;
	}
	if (m->opts.dry_run) {
		lockoutd_log_lines("dry run, would send: ",
				   lockoutd_fw_recorded(m->fw));
		lockoutd_fw_recorded_clear(m->fw);
	}
	return 0;
}

static int run(struct lockoutd_main *m)
{
	bool daemon_mode = !m->opts.foreground && !m->opts.once;
	char shown[LOCKOUT_DB_DISPLAY_SIZE];
	const char *error;

	if (read_settings(&m->opts, &m->cfg) < 0)
		return LOCKOUTD_EXIT_CONFIG;
	if (m->cfg.notify[0] != '\0' &&
	    lockoutd_mailer_create(m->cfg.sendmail, &m->mailer,
				   &error) < 0) {
		log_error("settings: %s", error);
		return LOCKOUTD_EXIT_CONFIG;
	}
	get_hostname(m->hostname, sizeof(m->hostname));
	m->set.cfg = &m->cfg;
	m->set.hostname = m->hostname;
	m->set.dry_run = m->opts.dry_run;

	if (create_firewall(m) < 0)
		return LOCKOUTD_EXIT_FAILURE;
	/* settings and firewall are fine: detach before possibly waiting
	   for the ban table, so that a boot script does not hang on it */
	if (daemon_mode && daemonize() < 0) {
		log_error("daemonize: %s", strerror(errno));
		return LOCKOUTD_EXIT_FAILURE;
	}
	if (open_store(&m->cfg, !m->opts.once, &m->store) < 0)
		return LOCKOUTD_EXIT_DB;
	if (drop_privileges(&m->cfg, !m->opts.dry_run) < 0)
		return LOCKOUTD_EXIT_FAILURE;
	if (block_signals(&m->signal_fd) < 0) {
		log_error("signals: %s", strerror(errno));
		return LOCKOUTD_EXIT_FAILURE;
	}
	if (lockoutd_daemon_create(&m->set, &m->store, m->fw, m->mailer,
				   &m->daemon, &error) < 0) {
		log_error("%s", error);
		return LOCKOUTD_EXIT_FAILURE;
	}
	if (m->opts.once) {
		return lockoutd_daemon_reconcile(m->daemon) < 0 ?
			LOCKOUTD_EXIT_FAILURE : LOCKOUTD_EXIT_OK;
	}
	log_info("started: ban table %s%s, ports %s, notify %s%s",
		 m->cfg.db_driver == LOCKOUT_DB_DRIVER_PGSQL ? "pgsql " : "",
		 lockout_db_display(m->cfg.db, shown, sizeof(shown)),
		 m->cfg.firewall_ports_count == 0 ? "all" : "limited",
		 m->cfg.notify[0] == '\0' ? "off" : m->cfg.notify,
		 m->opts.dry_run ? " (dry run)" : "");
	return lockoutd_daemon_run(m->daemon, m->signal_fd);
}

int main(int argc, char *argv[])
{
	struct lockoutd_main m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.signal_fd = -1;
	umask(077);
	if (parse_options(argc, argv, &m.opts) < 0)
		return LOCKOUTD_EXIT_USAGE;
	lockoutd_log_open(true, !m.opts.foreground && !m.opts.once &&
			  !m.opts.flush);
	if (m.opts.flush)
		return run_flush();
	ret = run(&m);
	lockoutd_daemon_free(&m.daemon);
	lockoutd_mailer_free(&m.mailer);
	lockout_store_close(&m.store);
	lockoutd_fw_free(&m.fw);
	lockout_config_free(&m.cfg);
	if (m.signal_fd >= 0)
		(void)close(m.signal_fd);
	return ret;
}
