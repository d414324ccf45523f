#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# The integration suite once more with the plugin and the doveadm module
# built with AddressSanitizer and UndefinedBehaviorSanitizer (in
# ./build-asan), loaded into the real Dovecot with the sanitizer runtimes
# preloaded (Dovecot itself is not instrumented). Every report of ours
# fails the run: reports are written to files and listed at the end.
# Leak detection is off: Dovecot 2.3 does not free everything at exit and
# is not built for it.
#
#   scripts/test-asan-dovecot.sh [tests/integration/test_x.py ...]
#
# Without arguments: the tests that run our C code inside Dovecot's
# processes and lockoutd (the auth plugin on both stores, doveadm's module,
# lockoutd, the faults), not those that mostly replay logs, import files
# or check configuration files (test_simulate, test_import, test_escape,
# test_docker_mailserver: their C code is covered by the unit tests and
# the fuzzers under the same sanitizers), nor the three-node tests; that
# keeps the whole suite near its 30 minutes.
#
# Ends with "N passed, N failed" (run as root, like scripts/test.sh).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
san="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
mkdir -p build-asan
if [ ! -f build-asan/Makefile ] || [ configure -nt build-asan/Makefile ]; then
	(cd build-asan && ../configure --with-dovecot=/usr/lib/dovecot \
		--enable-werror --prefix=/usr --sysconfdir=/etc \
		--localstatedir=/var CFLAGS="$san" LDFLAGS="$san" \
		>configure.out 2>&1) ||
		{ tail -20 build-asan/configure.out; echo "0 passed, 1 failed"; exit 1; }
fi
make -C build-asan -j2 >build-asan/make.out 2>&1 ||
	{ tail -30 build-asan/make.out; echo "0 passed, 1 failed"; exit 1; }

reports=$(mktemp -d /tmp/lockout-asan.XXXXXX)
chmod 1777 "$reports"
trap 'rm -rf "$reports"' EXIT INT TERM
LOCKOUT_LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$reports/asan:verify_asan_link_order=0"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
LOCKOUT_BUILD_DIR="$top/build-asan"
export LOCKOUT_LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS LOCKOUT_BUILD_DIR

passed=0
failed=0
tests="$*"
# (not the harness self-tests, nor test_nodes.py: three nodes and a
# PostgreSQL cluster per test, for code the pass before already ran with
# the same plugin; CI time)
[ -n "$tests" ] || tests=$(ls tests/integration/test_*.py |
	grep -v -e test_harness_selftest -e test_nodes -e test_simulate \
		-e test_import -e test_escape -e test_docker_mailserver)
for t in $tests; do
	out=$(timeout 900 /usr/bin/python3 "$t" 2>&1)
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	echo "$t (ASan+UBSan): ${line:-no summary line}"
	if [ -z "$line" ]; then
		echo "$out" | tail -20
		failed=$((failed + 1))
		continue
	fi
	echo "$out" | grep -E '^FAIL ' || true
	passed=$((passed + ${line%% passed*}))
	f=${line#*passed, }
	failed=$((failed + ${f%% failed*}))
done
nreports=0
for f in "$reports"/*; do
	[ -f "$f" ] || continue
	nreports=$((nreports + 1))
	echo "== sanitizer report $(basename "$f"):"
	head -40 "$f"
done
if [ "$nreports" -gt 0 ]; then
	echo "FAIL: $nreports sanitizer report(s)"
	failed=$((failed + 1))
else
	echo "sanitizer reports: none"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
