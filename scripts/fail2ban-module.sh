#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Print the directory holding fail2ban's Python module (fail2ban/), taken
# from Debian's own package without installing it: the import test writes
# a fail2ban database with fail2ban's own code. The package is fetched once
# with "apt-get download" and unpacked into the cache
# (LOCKOUT_TREE_CACHE, default /var/cache/dovecot-lockout).
set -eu
cache=${LOCKOUT_TREE_CACHE:-/var/cache/dovecot-lockout}/fail2ban
root=$cache/root
mod=$root/usr/lib/python3/dist-packages
if [ ! -f "$mod/fail2ban/server/database.py" ]; then
	mkdir -p "$cache"
	cd "$cache"
	if ! ls fail2ban_*_all.deb >/dev/null 2>&1; then
		apt-get download fail2ban >&2
	fi
	rm -rf "$root.tmp"
	dpkg-deb -x "$(ls fail2ban_*_all.deb | tail -1)" "$root.tmp"
	rm -rf "$root"
	mv "$root.tmp" "$root"
fi
echo "$mod"
