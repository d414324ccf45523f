#!/bin/bash
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# The whole test suite: installs what it needs, builds with warnings as
# errors, runs the Check unit tests under ASan+UBSan, then the integration
# tests against a private Dovecot. Ends with one line "N passed, N failed".
# Must run as root (private mount namespaces); touches nothing of the host's
# Dovecot or firewall. make distcheck counts as one test. The harness
# self-tests (tests/integration/test_harness_selftest.py) test the test
# harness, not the product: they are reported on a line of their own and
# left out of "N passed"; a failing one counts as a failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "$(id -u)" != 0 ]; then
	echo "scripts/test.sh must run as root" >&2
	exit 2
fi
./scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
./scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0

# --- unit tests (Check, sanitizers) -----------------------------------------
echo "== unit tests (Check, ASan+UBSan)"
make -C build -j"$(nproc)" check >build/check.out 2>&1
check_rc=$?
for log in build/tests/unit/test-*.log; do
	[ -f "$log" ] || continue
	line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -n 1)
	name=$(basename "$log" .log)
	if [ -z "$line" ]; then
		echo "FAIL $name: no Check summary (crashed?)"
		sed -n '1,40p' "$log"
		failed=$((failed + 1))
		continue
	fi
	checks=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	fails=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	errors=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	bad=$((fails + errors))
	passed=$((passed + checks - bad))
	failed=$((failed + bad))
	echo "$name: $line"
	[ "$bad" -eq 0 ] || grep -E ':[EF]:' "$log" | head -20
done
if [ "$check_rc" != 0 ] && ! grep -q '^# FAIL: *[1-9]' build/check.out &&
   ! grep -q '^# ERROR: *[1-9]' build/check.out; then
	echo "make check failed:"; tail -30 build/check.out
	failed=$((failed + 1))
fi
grep -E '^# (TOTAL|PASS|FAIL|ERROR):' build/check.out

# --- make distcheck: the tarball builds, tests, installs and uninstalls ------
# (in a scratch prefix, sanitizers off; it builds everything once more:
# 3 to 5 minutes on a busy 2-core machine)
echo "== make distcheck"
start=$(date +%s)
if make -C build -j2 distcheck >build/distcheck.out 2>&1; then
	echo "make distcheck: ok ($(($(date +%s) - start)) s)"
	passed=$((passed + 1))
else
	echo "FAIL make distcheck ($(($(date +%s) - start)) s):"
	tail -30 build/distcheck.out
	failed=$((failed + 1))
fi

# --- integration tests (real Dovecot, real IMAP/POP3 over TCP) --------------
echo "== integration tests (private Dovecot)"
export LOCKOUT_BUILD_DIR="$top/build"
selftest=tests/integration/test_harness_selftest.py
selftest_line="no summary line"
for t in tests/integration/test_*.py; do
	out=$(mktemp)
	timeout 600 /usr/bin/python3 "$t" 2>&1 | tee "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	rm -f "$out"
	if [ -z "$line" ]; then
		echo "FAIL $t: no summary line"
		failed=$((failed + 1))
		continue
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed}
	if [ "$t" = "$selftest" ]; then
		# the harness, not the product: its passes are not counted
		selftest_line=$line
		p=0
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "harness self-tests ($selftest, not counted in the total):" \
     "$selftest_line"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
