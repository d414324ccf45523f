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
suite_start=$(date +%s)
./scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
./scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0

# A part's header, with the minutes:seconds since the suite began (the whole
# run should stay within about 30 minutes on a 2-core machine).
section() {
	local t=$(($(date +%s) - suite_start))
	printf '== %s [%d:%02d]\n' "$*" $((t / 60)) $((t % 60))
}

# --- unit tests (Check, sanitizers) -----------------------------------------
section "unit tests (Check, ASan+UBSan)"
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
section "make distcheck"
start=$(date +%s)
if make -C build -j2 distcheck >build/distcheck.out 2>&1; then
	echo "make distcheck: ok ($(($(date +%s) - start)) s)"
	passed=$((passed + 1))
else
	echo "FAIL make distcheck ($(($(date +%s) - start)) s):"
	tail -30 build/distcheck.out
	failed=$((failed + 1))
fi

# Run a command that ends with "N passed, N failed" and add its counts.
# With "run_counted --selftest ..." the passes are reported apart and not
# added (the harness, not the product); its failures still fail the suite.
selftest_lines=""
run_counted() {
	local out line p f selftest=no
	if [ "$1" = --selftest ]; then
		selftest=yes
		shift
	fi
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	rm -f "$out"
	if [ -z "$line" ]; then
		echo "FAIL $*: no summary line"
		failed=$((failed + 1))
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	if [ "$selftest" = yes ]; then
		selftest_lines="$selftest_lines
  $*: $line"
		p=0
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

# --- integration tests (real Dovecot, real IMAP/POP3 over TCP) --------------
# (test_nodes.py too: three nodes in network namespaces sharing a private
# PostgreSQL cluster, the server installed by install-deps.sh; it is left
# out of the ASan pass below, for time, and runs on 2.4.1 too)
section "integration tests (private Dovecot)"
export LOCKOUT_BUILD_DIR="$top/build"
for t in tests/integration/test_*.py; do
	if [ "$t" = tests/integration/test_harness_selftest.py ]; then
		run_counted --selftest timeout 600 /usr/bin/python3 "$t"
	else
		run_counted timeout 600 /usr/bin/python3 "$t"
	fi
done

# --- the integration suite once more, the plugin built with ASan+UBSan and
# loaded into the real Dovecot (scripts/test-asan-dovecot.sh); any
# sanitizer report fails. LOCKOUT_SKIP_ASAN=1 skips it. --------------------
if [ "${LOCKOUT_SKIP_ASAN:-0}" != 1 ]; then
	section "integration tests, plugin built with ASan+UBSan"
	run_counted ./scripts/test-asan-dovecot.sh
fi

# --- fuzzing: every libFuzzer target briefly (scripts/fuzz.sh), one test
# each; LOCKOUT_FUZZ_SECS sets the seconds per target (default 10) -------
section "fuzz targets (libFuzzer, ASan+UBSan), ${LOCKOUT_FUZZ_SECS:-10} s each"
fuzz_out=$(nice -n 10 ./scripts/fuzz.sh "${LOCKOUT_FUZZ_SECS:-10}" 2>&1)
echo "$fuzz_out" | grep -E '^fuzz-[a-z0-9-]+: '
fuzz_ok=$(echo "$fuzz_out" | grep -cE '^fuzz-[a-z0-9-]+: ok')
fuzz_bad=$(echo "$fuzz_out" | grep -cE '^fuzz-[a-z0-9-]+: (FAILED|BUILD)')
passed=$((passed + fuzz_ok))
failed=$((failed + fuzz_bad))
if [ "$fuzz_ok" -eq 0 ] && [ "$fuzz_bad" -eq 0 ]; then
	echo "FAIL scripts/fuzz.sh: no target ran"; echo "$fuzz_out" | tail -20
	failed=$((failed + 1))
fi

# --- other Debian releases, in cached debootstrap trees ---------------------
# (/var/cache/dovecot-lockout: the first run makes them, ~20 min; later runs
# reuse them.) LOCKOUT_SKIP_TREES=1 skips this part.
if [ "${LOCKOUT_SKIP_TREES:-0}" != 1 ]; then
	section "Debian 12 packages: clean build, lintian, install and login"
	run_counted timeout 3600 ./scripts/build-debs.sh -r bookworm
	section "harness self-tests on Dovecot 2.4.1 (Debian 13 tree)"
	run_counted --selftest timeout 1800 ./scripts/test-in-tree.sh -r trixie
	# the product built in the tree (the run above built it), its
	# doveadm commands, lockoutd and simulate against a private 2.4.1
	section "integration tests on Dovecot 2.4.1 (Debian 13 tree)"
	for t in test_doveadm test_lockoutd test_simulate test_skeleton test_policy \
		 test_auth_pgsql test_nodes \
		 test_docker_mailserver; do
		start=$(date +%s)
		run_counted timeout 900 ./scripts/test-in-tree.sh -r trixie \
			--no-build tests/integration/$t.py
		echo "$t on 2.4.1: $(($(date +%s) - start)) s"
	done
	section "Debian 13 packages: clean build, lintian, install and login"
	run_counted timeout 3600 ./scripts/build-debs.sh -r trixie
fi

section "end"
echo "harness self-tests (not counted in the total):$selftest_lines"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
