/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* nftw(), setgroups() */
#define _GNU_SOURCE
#include "pgcluster.h"
#include "lockout-store.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#define PGCLUSTER_USER "lockout"

static char pg_dir[64];
static char pg_bindir[PATH_MAX];
static bool pg_started;
static pid_t pg_owner_pid;

/* The directory of the server binaries, or -1. */
static int pgcluster_find_bindir(void)
{
	const char *env = getenv("LOCKOUT_TEST_PG_BINDIR");
	glob_t g;

	if (env != NULL && *env != '\0') {
		snprintf(pg_bindir, sizeof(pg_bindir), "%s", env);
		return 0;
	}
	if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g) != 0)
		return -1;
	/* glob sorts: the last is the newest (for one-digit versions and
	   those of two alike) */
	snprintf(pg_bindir, sizeof(pg_bindir), "%s", g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	*strrchr(pg_bindir, '/') = '\0';
	return 0;
}

/* Run bindir/argv[0] with argv as the cluster's owner, its output
   appended to the directory's log; return its exit status (-1: did not
   run). */
static int pgcluster_run(char *const argv[])
{
	char path[PATH_MAX + 64], log[128];
	struct passwd *pw = NULL;
	int status, fd;
	pid_t pid;

	if (getuid() == 0 && (pw = getpwnam("postgres")) == NULL) {
		fprintf(stderr, "pgcluster: no user postgres to run the "
			"server as\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", pg_bindir, argv[0]);
	snprintf(log, sizeof(log), "%s/log", pg_dir);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (pw != NULL &&
		    (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
		     setuid(pw->pw_uid) < 0))
			_exit(126);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
			(void)close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			(void)dup2(fd, 0);
			(void)close(fd);
		}
		/* the postgres user may not reach the build directory (a
		   package build's is root's 0700): initdb then cannot find
		   itself ("could not find a \"initdb\" to execute") */
		if (chdir(pg_dir) < 0 && chdir("/") < 0)
			_exit(126);
		execv(path, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void pgcluster_print_log(void)
{
	char log[128], line[512];
	FILE *f;

	snprintf(log, sizeof(log), "%s/log", pg_dir);
	if ((f = fopen(log, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		fprintf(stderr, "pgcluster log: %s", line);
	fclose(f);
}

int pgcluster_start_server(void)
{
	char data[128], opts[256];
	char *const argv[] = {
		"pg_ctl", "start", "-w", "-t", "60", "-s", "-D", data,
		"-o", opts, NULL
	};

	snprintf(data, sizeof(data), "%s/data", pg_dir);
	/* no TCP; the socket in our directory; nothing waits for the
	   disk */
	snprintf(opts, sizeof(opts), "-c listen_addresses= "
		 "-c unix_socket_directories=%s -c fsync=off "
		 "-c synchronous_commit=off -c full_page_writes=off "
		 "-c max_connections=40 -c shared_buffers=16MB "
		 "-c max_wal_size=64MB", pg_dir);
	if (pgcluster_run(argv) != 0) {
		fprintf(stderr, "pgcluster: pg_ctl start failed\n");
		pgcluster_print_log();
		return -1;
	}
	return 0;
}

int pgcluster_stop_server(void)
{
	char data[128];
	char *const argv[] = {
		"pg_ctl", "stop", "-w", "-t", "60", "-s", "-m", "fast",
		"-D", data, NULL
	};

	snprintf(data, sizeof(data), "%s/data", pg_dir);
	return pgcluster_run(argv) == 0 ? 0 : -1;
}

const char *pgcluster_conninfo(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "host=%s user=" PGCLUSTER_USER
		 " dbname=%s", pg_dir, name);
	return buf;
}

const char *pgcluster_label(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "pgsql:dbname=%s host=%s port=5432",
		 name, pg_dir);
	return buf;
}

void pgcluster_create_db(const char *name, bool empty)
{
	PGconn *conn = PQconnectdb(pgcluster_conninfo("postgres"));
	PGresult *res;
	const char *state;
	char sql[256];

	if (PQstatus(conn) != CONNECTION_OK)
		ck_abort_msg("pgcluster: connect: %s", PQerrorMessage(conn));
	/* FILE_COPY (PostgreSQL 15 and later): a copy of the few files of
	   a small template, rather than WAL-logging each page of it */
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\" TEMPLATE %s%s",
		 name, empty ? "template0" : "lockout_tmpl",
		 PQserverVersion(conn) >= 150000 ? " STRATEGY FILE_COPY" : "");
	res = PQexec(conn, sql);
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	/* 42P04: duplicate_database (a second open of the same name) */
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    (state == NULL || strcmp(state, "42P04") != 0))
		ck_abort_msg("pgcluster: %s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
}

/* nftw() callback: remove what it walks over, the directories last. */
static int pgcluster_remove_entry(const char *path, const struct stat *st,
				  int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	(void)remove(path);
	return 0;
}

void pgcluster_remove(void)
{
	/* at exit of the forked children of Check too: only the process
	   that started it */
	if (pg_dir[0] == '\0' || getpid() != pg_owner_pid)
		return;
	if (pg_started)
		(void)pgcluster_stop_server();
	pg_started = false;
	(void)nftw(pg_dir, pgcluster_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	pg_dir[0] = '\0';
}

void pgcluster_store_template(const char *conninfo)
{
	struct lockout_store *store;
	const char *error;

	if (lockout_store_open_db(LOCKOUT_DB_DRIVER_PGSQL, conninfo,
				  LOCKOUT_STORE_FLAG_CREATE, 1000, &store,
				  &error) < 0) {
		fprintf(stderr, "create the template's schema: %s\n", error);
		exit(1);
	}
	lockout_store_close(&store);
}

int pgcluster_start(const char *prefix,
		    void (*template_setup)(const char *conninfo))
{
	char data[128];
	char *const initdb_argv[] = {
		"initdb", "-D", data, "-U", PGCLUSTER_USER, "-A", "trust",
		"-E", "SQL_ASCII", "--locale=C", "--no-sync", NULL
	};
	struct passwd *pw;

	if (pgcluster_find_bindir() < 0) {
		fprintf(stderr, "pgcluster: no PostgreSQL server found "
			"(/usr/lib/postgresql/*/bin, or set "
			"LOCKOUT_TEST_PG_BINDIR)\n");
		return 1;
	}
	snprintf(pg_dir, sizeof(pg_dir), "/tmp/%s-pg.XXXXXX", prefix);
	if (mkdtemp(pg_dir) == NULL) {
		perror("mkdtemp");
		pg_dir[0] = '\0';
		return -1;
	}
	pg_owner_pid = getpid();
	atexit(pgcluster_remove);
	if (getuid() == 0 && (pw = getpwnam("postgres")) != NULL &&
	    chown(pg_dir, pw->pw_uid, pw->pw_gid) < 0) {
		perror("chown");
		pgcluster_remove();
		return -1;
	}
	snprintf(data, sizeof(data), "%s/data", pg_dir);
	if (pgcluster_run(initdb_argv) != 0) {
		fprintf(stderr, "pgcluster: initdb failed\n");
		pgcluster_print_log();
		pgcluster_remove();
		return -1;
	}
	if (pgcluster_start_server() < 0) {
		pgcluster_remove();
		return -1;
	}
	pg_started = true;
	pgcluster_create_db("lockout_tmpl", true);
	template_setup(pgcluster_conninfo("lockout_tmpl"));
	return 0;
}
