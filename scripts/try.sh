#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Try dovecot-lockout end to end on a fresh Debian 12 machine (as root):
# install what it needs, build, start a private Dovecot with the plugin on
# loopback, brute-force it, show the refusal and `doveadm lockout list`,
# and tear everything down. The host's Dovecot and firewall are not touched.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "$(id -u)" != 0 ]; then
	echo "scripts/try.sh must run as root (private mount namespace)" >&2
	exit 2
fi
./scripts/install-deps.sh
./scripts/build.sh
LOCKOUT_BUILD_DIR="$top/build" exec /usr/bin/python3 scripts/demo.py
