#!/bin/bash
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Runs integration test files inside a cached Debian tree (the dev layer of
# scripts/debian-tree.sh: that release's Dovecot, build dependencies,
# python3), in a private network namespace with only loopback, against the
# product built in that tree. The checkout is bind-mounted read-only at its
# own path.
#
#   scripts/test-in-tree.sh [-r trixie|bookworm] [--no-build] [FILE [TEST...]]
#
# Default: trixie (Dovecot 2.4), tests/integration/test_harness_selftest.py.
# Prints each file's "N passed, N failed" and ends with the total. FILE may
# be any Python script (bench/auth-cpu.py runs the same way).
#
# The build: the checkout's files (tracked and untracked, not ignored;
# uncommitted changes too) are copied to build-RELEASE/src with their
# times, so that make only rebuilds what changed; configure is made there
# by that release's autotools and dovecot.m4 (2.4's differs from 2.3's);
# the build goes to build-RELEASE/build (warnings are errors), which the
# tests get as LOCKOUT_BUILD_DIR. --no-build uses it as it is.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
release=trixie
build=yes
while [ $# -gt 0 ]; do
	case "$1" in
	-r) release=$2; shift 2 ;;
	--no-build) build=no; shift ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- tests/integration/test_harness_selftest.py
[ "$(id -u)" = 0 ] || { echo "test-in-tree.sh must run as root" >&2; exit 2; }
dir=$top/build-$release

"$top/scripts/debian-tree.sh" dev "$release"
if [ "$build" = yes ]; then
	mkdir -p "$dir/src"
	(cd "$top" && git ls-files -co --exclude-standard -z |
		while IFS= read -r -d '' f; do
			if [ -e "$f" ]; then printf '%s\0' "$f"; fi
		done | tar --null -T - -cf -) | tar -xpf - -C "$dir/src"
	# shellcheck disable=SC2016
	"$top/scripts/debian-tree.sh" run --bind "$dir" --chdir "$dir/src" \
		"$release" dev /bin/sh -c '
		set -e
		if [ ! -x configure ] || [ ! -f Makefile.in ] ||
		   [ configure.ac -nt configure ] ||
		   [ Makefile.am -nt configure ]; then
			autoreconf -fi >autoreconf.out 2>&1 ||
				{ cat autoreconf.out; exit 1; }
		fi
		mkdir -p ../build
		cd ../build
		if [ ! -f Makefile ] || [ ../src/configure -nt Makefile ]; then
			../src/configure --with-dovecot=/usr/lib/dovecot \
				--enable-werror --prefix=/usr --sysconfdir=/etc \
				--localstatedir=/var >configure.out 2>&1 ||
				{ cat configure.out; exit 1; }
		fi
		make -j2 >make.out 2>&1 || { tail -40 make.out; exit 1; }
		echo "test-in-tree: built against Dovecot $(dovecot --version)"
	' || { echo "test-in-tree: the build in the $release tree failed"
	       echo "0 passed, 1 failed"; exit 1; }
fi
build_env=()
[ -d "$dir/build/src" ] && build_env=(LOCKOUT_BUILD_DIR="$dir/build")
exec "$top/scripts/debian-tree.sh" run --netns --ro-bind "$top" \
	--chdir "$top" "$release" dev \
	env "${build_env[@]}" timeout 900 /usr/bin/python3 "$@"
