#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Install test of the Debian packages, run inside a throwaway clean Debian
# tree by scripts/build-debs.sh (the .debs in /debs, tests/ in /src/tests):
# Debian's dovecot-core and dovecot-imapd with their stock configuration
# (system users through PAM), then our packages, which must change nothing;
# then the one include line, failed IMAP logins from a loopback address
# until it is banned, the right password refused, `doveadm lockout list`;
# then the line and the packages removed, and Dovecot must start and
# authenticate; purge removes the state directory.
# Everything after the installation runs in a private network namespace
# with only loopback.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
USER_NAME=lockouttest
USER_PW='Corr3ct-horse'
FAILURES=3
AUTHCONF=/etc/dovecot/conf.d/10-auth.conf
OURCONF=/etc/dovecot/conf.d/auth-lockout.conf.ext
LOG=/var/log/dovecot-test.log

say() { echo "install-test: $*"; }
fail() {
	echo "install-test: FAIL: $*"
	if [ -f "$LOG" ]; then echo "--- $LOG"; tail -40 "$LOG"; fi
	exit 1
}
client() { python3 "$here/deb_login.py" "$@"; }

start_dovecot() {
	dovecot || fail "dovecot did not start"
	client wait || fail "no IMAP after start"
}

stop_dovecot() {
	dovecot stop || true
	i=0
	while [ -e /run/dovecot/master.pid ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ ! -e /run/dovecot/master.pid ] || fail "dovecot did not stop"
}

offline() {
	ip link set lo up

	say "stock Dovecot, packages installed, plugin not enabled"
	start_dovecot
	client login "$USER_NAME" "$USER_PW" 127.0.0.2 ||
		fail "stock login refused"
	stop_dovecot

	say "enable: one include line first in 10-auth.conf"
	awk '!done && /^#?!include/ { print "!include auth-lockout.conf.ext"; done = 1 }
	     { print }' "$AUTHCONF" >"$AUTHCONF.new"
	mv "$AUTHCONF.new" "$AUTHCONF"
	# the test's own policy: loopback is not exempt, ban after 3 failures
	sed -i -e 's/^\([[:space:]]*\)#lockout_allow_networks = .*/\1lockout_allow_networks =/' \
	       -e "s/^\([[:space:]]*\)#lockout_ip_failures = .*/\1lockout_ip_failures = $FAILURES/" \
	       "$OURCONF"
	doveconf -n >/tmp/doveconf.enabled || fail "doveconf -n with the plugin"
	grep -A1 '^passdb' /tmp/doveconf.enabled | sed -n 2p |
		grep -q 'driver = lockout' || fail "passdb lockout is not first"
	grep -q "lockout_ip_failures = $FAILURES" /tmp/doveconf.enabled ||
		fail "lockout settings not seen by doveconf"
	start_dovecot
	client login "$USER_NAME" "$USER_PW" 127.0.0.2 ||
		fail "login refused with the plugin enabled"
	client fail "$USER_NAME" "$FAILURES" 127.0.0.2 ||
		fail "a wrong password was accepted"
	i=0
	until doveadm lockout list | grep -q '^127\.0\.0\.2 '; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "127.0.0.2 not banned: $(doveadm lockout list)"
		sleep 0.2
	done
	say "doveadm lockout list:"
	doveadm lockout list | sed 's/^/  /'
	if client login "$USER_NAME" "$USER_PW" 127.0.0.2; then
		fail "the right password was accepted from a banned source"
	fi
	client login "$USER_NAME" "$USER_PW" 127.0.0.3 ||
		fail "login from another address refused"
	[ -f /var/lib/dovecot/lockout/lockout.db ] || fail "no ban table"
	stop_dovecot
	# removing the package now would break every login: its prerm says so
	/var/lib/dpkg/info/dovecot-lockout.prerm remove >/tmp/prerm.out 2>&1 ||
		fail "prerm remove failed"
	grep -q "still includes auth-lockout.conf.ext" /tmp/prerm.out ||
		fail "no warning about the active include line: $(cat /tmp/prerm.out)"

	say "disable: remove the include line, then the packages"
	sed -i '/^!include auth-lockout\.conf\.ext$/d' "$AUTHCONF"
	apt-get remove -qq dovecot-lockout lockoutd >/tmp/remove.log 2>&1 ||
		{ cat /tmp/remove.log; fail "apt-get remove"; }
	! grep -q "still includes" /tmp/remove.log ||
		fail "removal warned about an include line that is gone"
	[ -d /var/lib/dovecot/lockout ] || fail "remove deleted the ban table"
	doveconf -n >/dev/null || fail "doveconf -n after removal"
	start_dovecot
	client login "$USER_NAME" "$USER_PW" 127.0.0.2 ||
		fail "login refused after removal"
	stop_dovecot

	say "purge"
	apt-get purge -qq dovecot-lockout lockoutd >/dev/null 2>&1 ||
		fail "apt-get purge"
	[ ! -e /var/lib/dovecot/lockout ] || fail "purge left /var/lib/dovecot/lockout"
	[ ! -e "$OURCONF" ] || fail "purge left $OURCONF"
	say "ok"
}

if [ "${1:-}" = offline ]; then
	offline
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -qq dovecot-core dovecot-imapd python3 iproute2 \
	>/tmp/apt.log 2>&1 || { cat /tmp/apt.log; fail "installing Dovecot"; }
say "Debian's Dovecot $(dovecot --version)"
doveconf -n >/tmp/doveconf.before
find /etc/dovecot -type f | sort | xargs sha256sum >/tmp/etc.before

apt-get install -qq /debs/dovecot-lockout_*.deb /debs/lockoutd_*.deb \
	>/tmp/apt.log 2>&1 || { cat /tmp/apt.log; fail "installing our packages"; }
say "installed: $(dpkg-query -W -f '${Package} ${Version}, ' dovecot-lockout lockoutd)"
doveconf -n >/tmp/doveconf.after
cmp -s /tmp/doveconf.before /tmp/doveconf.after ||
	{ diff /tmp/doveconf.before /tmp/doveconf.after; fail "installing changed doveconf -n"; }
find /etc/dovecot -type f | sort | xargs sha256sum >/tmp/etc.after
changed=$(diff /tmp/etc.before /tmp/etc.after | grep '^[<>]' |
	grep -v " $OURCONF\$" || true)
[ -z "$changed" ] || fail "installing changed /etc/dovecot: $changed"
[ ! -e /etc/systemd/system/multi-user.target.wants/lockoutd.service ] ||
	fail "lockoutd was enabled"

useradd -m -s /bin/sh "$USER_NAME"
echo "$USER_NAME:$USER_PW" | chpasswd
# Diagnostics only: the stock configuration logs to syslog, absent here.
echo "log_path = $LOG" >>/etc/dovecot/local.conf

exec unshare --net /bin/sh "$0" offline
