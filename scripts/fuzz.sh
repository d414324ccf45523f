#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Build every libFuzzer target of tests/fuzz/ (fuzz-*.c) under ASan and
# UBSan with clang, run each for SECONDS (default 60) from its seed corpus
# tests/fuzz/corpus/<name>/ (copied: the tree is not changed), and print per
# target its name, executions and seconds. Exits non-zero on any crash,
# leak or timeout; the input is copied to ./fuzz-<name>-crash-*.
#
#   scripts/fuzz.sh [-r RUNS] [SECONDS [TARGET ...]]
#
# -r RUNS: stop each target after RUNS executions instead (SECONDS is then
# the time limit). Needs clang and libclang-rt-N-dev (scripts/install-deps.sh
# installs them). TMPDIR is honoured.
set -eu
runs=""
if [ "${1:-}" = -r ]; then
	runs=$2
	shift 2
fi
secs=${1:-60}
[ $# -gt 0 ] && shift
top=$(cd "$(dirname "$0")/.." && pwd)
command -v clang >/dev/null || { echo "fuzz.sh: needs clang" >&2; exit 2; }
out=$(mktemp -d "${TMPDIR:-/tmp}/lockout-fuzz.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM

cflags="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
 -Wall -Wextra -Werror -I$top/include -I$top/src/lib-lockout
 -I$top/src/lib-lockout-replay -I$top/src/lockoutd -I$top/tests/fuzz
 $(pkg-config --cflags libpq)"
libs="$(pkg-config --libs sqlite3 libsodium zlib libpq) -lm"
jansson=""
if pkg-config --exists jansson 2>/dev/null; then
	jansson="-DHAVE_JANSSON $(pkg-config --cflags --libs jansson)"
fi
# the libraries once, instrumented for coverage (fuzzer-no-link)
mkdir "$out/obj"
for src in "$top"/src/lib-lockout/*.c "$top"/src/lib-lockout-replay/*.c \
	   "$top/src/lockoutd/lockoutd-rows.c"; do
	# shellcheck disable=SC2086 # cflags is a list of flags
	clang $cflags -fsanitize=fuzzer-no-link -c "$src" \
		-o "$out/obj/$(basename "$src" .c).o" ||
		{ echo "fuzz.sh: build of $src failed" >&2; exit 2; }
done
ar rcs "$out/liblockout-fuzz.a" "$out"/obj/*.o

targets="$*"
[ -n "$targets" ] || targets=$(cd "$top/tests/fuzz" &&
	ls fuzz-*.c | sed 's/\.c$//')
failed=0
for t in $targets; do
	# shellcheck disable=SC2086
	clang $cflags -fsanitize=fuzzer "$top/tests/fuzz/$t.c" \
		"$out/liblockout-fuzz.a" -o "$out/$t" $libs $jansson ||
		{ echo "$t: BUILD FAILED"; failed=$((failed + 1)); continue; }
	mkdir -p "$out/$t.corpus"
	[ -d "$top/tests/fuzz/corpus/$t" ] &&
		cp "$top/tests/fuzz/corpus/$t"/* "$out/$t.corpus/" 2>/dev/null
	dict=""
	[ -f "$top/tests/fuzz/$t.dict" ] && dict="-dict=$top/tests/fuzz/$t.dict"
	# -timeout: a unit taking 60 s is a hang; on a busy machine a unit
	# starved of CPU for 10 s is not (libFuzzer's clock is the wall's)
	# the engine's inputs are sequences of 5-byte attempts: 200 of them
	# reach every threshold and cap of its small tables, and longer ones
	# only make each execution slower
	max_len=4096
	[ "$t" != fuzz-engine ] || max_len=1024
	limit="-max_total_time=$secs"
	[ -z "$runs" ] || limit="-runs=$runs -max_total_time=$secs"
	start=$(date +%s)
	rc=0
	# shellcheck disable=SC2086
	(cd "$out" && "./$t" $limit -max_len=$max_len -timeout=60 \
		-print_final_stats=1 $dict "$t.corpus") >"$out/$t.log" 2>&1 ||
		rc=$?
	elapsed=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		"$out/$t.log" | tail -n 1)
	if [ "$rc" != 0 ]; then
		tail -30 "$out/$t.log"
		for f in "$out"/crash-* "$out"/leak-* "$out"/timeout-* \
			 "$out"/oom-*; do
			[ -f "$f" ] && cp "$f" "./$t-$(basename "$f")"
		done
		rm -f "$out"/crash-* "$out"/leak-* "$out"/timeout-* \
			"$out"/oom-*
		echo "$t: FAILED after ${execs:-?} executions, $elapsed s" \
			"(input copied to ./$t-*)"
		failed=$((failed + 1))
	else
		echo "$t: ok, ${execs:-?} executions, $elapsed s"
	fi
done
[ "$failed" -eq 0 ]
