/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "auth-common.h"
#include "master-service.h"
#include "write-full.h"
#include "lockout-auth-private.h"
#include "lockout-auth-config.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

/* The auth process is not given the plugin { } stanza. We ask the config
   server for it at init, while still root (the config socket is root-only,
   lockout-auth-config.c), and validate it with the same core code lockoutd
   uses. */
void lockout_auth_settings_read(struct lockout_config *cfg)
{
	const char *config_path, *error;

	if (lockout_config_init(cfg, &error) < 0)
		i_fatal("lockout: Built-in defaults are invalid: %s", error);
	config_path = master_service_get_config_path(master_service);
	if (lockout_auth_config_read(cfg, config_path, &error) < 0) {
		i_fatal("lockout: Invalid configuration in plugin { } of %s: "
			"%s", config_path, error);
	}
}

static void chown_if_root(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			i_error("lockout: stat(%s) failed: %m", path);
		return;
	}
	/* a root doveadm or lockoutd may have created the file first; the
	   auth process could not write it after dropping privileges */
	if (st.st_uid == 0 && uid != 0 && chown(path, uid, gid) < 0)
		i_error("lockout: chown(%s, %s) failed: %m", path,
			dec2str(uid));
}

void lockout_auth_db_prepare(const struct lockout_config *cfg, uid_t uid,
			     gid_t gid)
{
	const char *dir, *p;
	struct stat st;

	p = strrchr(cfg->db, '/');
	i_assert(p != NULL); /* lockout_db is checked to be absolute */
	dir = p == cfg->db ? "/" : t_strdup_until(cfg->db, p);
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT)
			i_fatal("lockout: stat(%s) failed: %m", dir);
		if (mkdir(dir, 0750) < 0 && errno != EEXIST)
			i_fatal("lockout: mkdir(%s) failed: %m "
				"(lockout_db=%s)", dir, cfg->db);
		if (chown(dir, uid, gid) < 0)
			i_fatal("lockout: chown(%s) failed: %m", dir);
	} else if (!S_ISDIR(st.st_mode)) {
		i_fatal("lockout: %s is not a directory (lockout_db=%s)",
			dir, cfg->db);
	} else if (st.st_uid != uid && uid != 0) {
		i_warning("lockout: %s is owned by uid %s, but the auth "
			  "process runs as uid %s: SQLite needs to create "
			  "files there (chown it)", dir, dec2str(st.st_uid),
			  dec2str(uid));
	}
	chown_if_root(cfg->db, uid, gid);
	chown_if_root(t_strconcat(cfg->db, "-wal", NULL), uid, gid);
	chown_if_root(t_strconcat(cfg->db, "-shm", NULL), uid, gid);
}

#define LOCKOUT_TAG_KEY_FILE "lockout.key"

static void lockout_tag_key_create(const char *path, uid_t uid, gid_t gid)
{
	unsigned char key[LOCKOUT_TAG_KEY_SIZE];
	const char *tmp = t_strconcat(path, ".tmp", NULL);
	int fd;

	randombytes_buf(key, sizeof(key));
	i_unlink_if_exists(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0)
		i_fatal("lockout: open(%s) failed: %m", tmp);
	if (write_full(fd, key, sizeof(key)) < 0 || fsync(fd) < 0)
		i_fatal("lockout: write(%s) failed: %m", tmp);
	sodium_memzero(key, sizeof(key));
	if (fchown(fd, uid, gid) < 0)
		i_fatal("lockout: fchown(%s) failed: %m", tmp);
	if (close(fd) < 0)
		i_fatal("lockout: close(%s) failed: %m", tmp);
	/* link() rather than rename(): never replace a key that another
	   process created meanwhile */
	if (link(tmp, path) < 0 && errno != EEXIST)
		i_fatal("lockout: link(%s, %s) failed: %m", tmp, path);
	i_unlink(tmp);
}

void lockout_auth_tag_key_load(const struct lockout_config *cfg, uid_t uid,
			       gid_t gid,
			       unsigned char key_r[LOCKOUT_TAG_KEY_SIZE])
{
	const char *p, *path;
	struct stat st;
	ssize_t ret;
	int fd;

	p = strrchr(cfg->db, '/');
	path = t_strconcat(t_strdup_until(cfg->db, p + 1),
			   LOCKOUT_TAG_KEY_FILE, NULL);
	fd = open(path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		lockout_tag_key_create(path, uid, gid);
		fd = open(path, O_RDONLY | O_NOFOLLOW);
	}
	if (fd < 0)
		i_fatal("lockout: open(%s) failed: %m", path);
	if (fstat(fd, &st) < 0)
		i_fatal("lockout: fstat(%s) failed: %m", path);
	if ((st.st_mode & 0077) != 0 || !S_ISREG(st.st_mode)) {
		i_fatal("lockout: %s must be a regular file readable by its "
			"owner only (chmod 0600)", path);
	}
	ret = read(fd, key_r, LOCKOUT_TAG_KEY_SIZE);
	if (ret != LOCKOUT_TAG_KEY_SIZE) {
		i_fatal("lockout: %s: expected %d bytes of key, read %d "
			"(delete it to create a new one)", path,
			LOCKOUT_TAG_KEY_SIZE, (int)ret);
	}
	i_close_fd(&fd);
}
