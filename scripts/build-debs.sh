#!/bin/bash
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Builds the Debian packages (dovecot-lockout, lockoutd) for one Debian
# release in a throwaway copy of a clean debootstrap tree, the way a Debian
# builder would:  apt-get build-dep ./ && dpkg-buildpackage -us -uc -b
# then runs lintian on them and, unless --no-install-test, installs them in
# another clean tree next to Debian's dovecot-core and dovecot-imapd and
# logs in over IMAP until the source is banned (tests/packaging/).
#
#   scripts/build-debs.sh [-r bookworm|trixie] [-o OUTDIR] [--no-install-test]
#                         [--nocheck] [--no-build]
#
# --nocheck: skip the unit tests during the build (DEB_BUILD_OPTIONS);
# --no-build: only the install test, of the .debs already in OUTDIR.
#
# bookworm (default) builds against Dovecot 2.3, trixie against 2.4. The
# .debs land in OUTDIR (default build-debs/RELEASE in the checkout). The
# source is the checkout's files as they are (tracked and untracked, not
# ignored), so uncommitted changes are built too. Trees come from
# scripts/debian-tree.sh (cached in LOCKOUT_TREE_CACHE). Must run as root.
# Ends with "N passed, N failed" (build+lintian, install test).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
release=bookworm
out=
install_test=yes
build=yes
nocheck=
while [ $# -gt 0 ]; do
	case "$1" in
	-r|--release) release=$2; shift 2 ;;
	-o|--out) out=$2; shift 2 ;;
	--no-install-test) install_test=no; shift ;;
	--nocheck) nocheck=nocheck; shift ;;
	--no-build) build=no; shift ;;
	*) sed -n '/^#   scripts/,/^# --no-build/p' "$0" | sed 's/^# \{0,1\}//' >&2
	   exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "build-debs.sh must run as root" >&2; exit 2; }
out=${out:-$top/build-debs/$release}
tree="$top/scripts/debian-tree.sh"
passed=0
failed=0

secs() { echo $(( $(date +%s) - $1 )); }

# verdict NAME RC: PASS or FAIL line, counted.
verdict() {
	if [ "$2" = 0 ]; then
		echo "PASS $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1 (exit $2)"
		failed=$((failed + 1))
	fi
}

# The checkout's files (tracked or untracked, not ignored) into $1.
copy_source() {
	(cd "$top" && git ls-files -co --exclude-standard -z |
		while IFS= read -r -d '' f; do
			if [ -e "$f" ]; then printf '%s\0' "$f"; fi
		done | tar --null -T - -cf -) | tar -xf - -C "$1"
}

# Build in a throwaway clean tree; lintian from the dev layer; .debs to $out.
build_debs() {
	local t0 rc=0 lintian_rc=0 work deb
	t0=$(date +%s)
	"$tree" base "$release"
	echo "build-debs: $release tree ready in $(secs "$t0") s"
	work=$(mktemp -d /tmp/lockout-debs.XXXXXX)
	# shellcheck disable=SC2064
	trap "rm -rf '$work'" EXIT
	mkdir "$work/dovecot-lockout"
	copy_source "$work/dovecot-lockout"

	t0=$(date +%s)
	# shellcheck disable=SC2016
	"$tree" run --bind "$work:/build" "$release" base /bin/sh -c '
		set -e
		cd /build/dovecot-lockout
		t=$(date +%s)
		apt-get update -qq
		apt-get build-dep -qq ./ >/build/build-dep.log 2>&1 ||
			{ cat /build/build-dep.log; exit 1; }
		echo "build-debs: build dependencies installed in $(( $(date +%s) - t )) s"
		t=$(date +%s)
		DEB_BUILD_OPTIONS="'"$nocheck"'" dpkg-buildpackage -us -uc -b \
			>/build/build.log 2>&1 || { tail -60 /build/build.log; exit 1; }
		echo "build-debs: dpkg-buildpackage took $(( $(date +%s) - t )) s"
	' || rc=$?
	echo "build-debs: build in a clean $release tree took $(secs "$t0") s"
	if [ "$rc" != 0 ]; then
		verdict "build ($release)" "$rc"
		built=no
		return 0
	fi

	t0=$(date +%s)
	"$tree" dev "$release"
	"$tree" run --bind "$work:/build" --chdir /build "$release" dev \
		/bin/sh -c 'lintian --fail-on error --display-info *.changes \
			>lintian.out 2>&1' || lintian_rc=$?
	echo "build-debs: lintian (exit $lintian_rc, $(secs "$t0") s):"
	grep -v '^running with root privileges' "$work/lintian.out" |
		sed 's/^/  /' || true
	verdict "build and lintian ($release)" "$lintian_rc"

	mkdir -p "$out"
	rm -f "$out"/*.deb
	cp "$work"/*.deb "$out"/
	echo "build-debs: packages in $out:"
	for deb in "$out"/*.deb; do
		printf '  %-44s %8d bytes, Installed-Size %s KiB\n' \
			"$(basename "$deb")" "$(stat -c %s "$deb")" \
			"$(dpkg-deb -f "$deb" Installed-Size)"
		dpkg-deb -f "$deb" Depends | sed 's/^/    Depends: /'
	done
}

# Install next to Debian's Dovecot in a clean tree, log in, ban, remove.
install_test() {
	local t0 rc=0
	t0=$(date +%s)
	"$tree" run --ro-bind "$out:/debs" --ro-bind "$top/tests:/src/tests" \
		"$release" base /bin/sh /src/tests/packaging/deb-install-test.sh ||
		rc=$?
	echo "build-debs: install test took $(secs "$t0") s"
	verdict "install and login test ($release)" "$rc"
}

built=yes
if [ "$build" = yes ]; then
	build_debs
fi
if [ "$built" = yes ] && [ "$install_test" = yes ]; then
	install_test
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
