#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Installs what building, trying and testing dovecot-lockout need on Debian 12.
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
dovecot-core dovecot-imapd dovecot-pop3d dovecot-dev dovecot-lmtpd
libsqlite3-dev sqlite3 libsodium-dev check zlib1g-dev
nftables libnftables-dev iproute2 util-linux procps
python3 netcat-openbsd man-db groff-base locales
postgresql libpq-dev"
# postgresql: the server of the several-node tests (issue 14), which start
# a private cluster of their own (tests/integration/lockout_pg.py: initdb in
# a temporary directory, a Unix socket only, no TCP port). The package's
# postinst creates the host cluster "main"; policy-rc.d below keeps it from
# starting, and the tests never use it. libpq-dev: the PostgreSQL store.
# libFuzzer targets (scripts/fuzz.sh) and the ASan build of the plugin
# (scripts/test-asan-dovecot.sh)
# (clang's runtimes are versioned: clang 14 on Debian 12, 19 on Debian 13)
. /etc/os-release
case "${VERSION_CODENAME:-}" in
trixie) PKGS="$PKGS clang libclang-rt-19-dev" ;;
*) PKGS="$PKGS clang libclang-rt-14-dev" ;;
esac
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 update -qq
	# Do not let the packages' postinst start the host Dovecot or PostgreSQL:
	# our tests run their own private instances and must not depend on or
	# touch the system's.
	own_policy=no
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=yes
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
	[ "$own_policy" = no ] || rm -f /usr/sbin/policy-rc.d
fi

# fail2ban's Python module, unpacked from its Debian package (not installed)
# for the test of "doveadm lockout import --fail2ban" (issue 12)
"$(dirname "$0")/fail2ban-module.sh" >/dev/null
