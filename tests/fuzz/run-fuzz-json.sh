#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Fuzz the JSON reader with libFuzzer under ASan and UBSan for a while
# (default 120 s), comparing its verdicts with jansson's when libjansson-dev
# is installed. Needs clang with libFuzzer (Debian: clang and its
# libclang-rt-N-dev). Not part of scripts/test.sh: run it after changing
# src/lib-lockout/lockout-json-read.c.
#
#   tests/fuzz/run-fuzz-json.sh [seconds]
#
# Builds and fuzzes in a temporary directory (TMPDIR honoured); a crashing
# input is copied to ./fuzz-json-crash-* and the script fails.
set -eu
secs=${1:-120}
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-json.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
command -v clang >/dev/null || { echo "needs clang" >&2; exit 2; }
jansson_flags=""
if pkg-config --exists jansson 2>/dev/null; then
	jansson_flags="-DHAVE_JANSSON $(pkg-config --cflags --libs jansson)"
	echo "comparing with jansson $(pkg-config --modversion jansson)"
fi
# shellcheck disable=SC2086 # jansson_flags is a list of flags
clang -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Wall -Wextra -Werror -I"$top/include" \
	"$top/src/lib-lockout/lockout-json.c" "$top/tests/fuzz/fuzz-json.c" \
	-o "$out/fuzz-json" $jansson_flags -lm
# seeds: what the reader reads in real life, and some edges
mkdir "$out/corpus"
printf '%s' '{"t":1798761604.489,"ip":"100.83.136.101","user":"james@example.org","service":"imap","result":"unknown_user","pw":"princess"}' \
	>"$out/corpus/trace"
printf '%s' '{"rule":"ip_failures","failures":10,"users":["admin","r\u00f6ot"],"distinct_users_capped":false,"duration":"2h","a":-9223372036854775808}' \
	>"$out/corpus/evidence"
printf '%s' '{"a":[[[{"t":1e-400}]]],"user":"\ud83d\ude00\"","t":-0.0E+1}' \
	>"$out/corpus/edges"
# JSON's tokens, for the mutator (libFuzzer's dictionary syntax)
cat >"$out/json.dict" <<'DICT'
"{"
"}"
"["
"]"
":"
","
"\""
"\\"
"\\u"
"\\ud800"
"\\udc00"
"true"
"false"
"null"
"-"
"0"
"."
"e"
"E+"
"1e400"
" "
"\x0a"
"\x00"
"\xc3\xa9"
"\xed\xa0\x80"
"\xff"
DICT
rc=0
(cd "$out" && ./fuzz-json -max_total_time="$secs" -max_len=4096 \
	-dict=json.dict -print_final_stats=1 corpus) >"$out/log" 2>&1 ||
	rc=$?
grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ *DONE)' \
	"$out/log" || true
if [ "$rc" != 0 ]; then
	tail -40 "$out/log"
	for f in "$out"/crash-* "$out"/leak-* "$out"/timeout-*; do
		[ -f "$f" ] && cp "$f" "./fuzz-json-$(basename "$f")"
	done
	echo "fuzz-json: FAILED (input copied to ./fuzz-json-*)"
	exit 1
fi
echo "fuzz-json: ok, $secs s"
