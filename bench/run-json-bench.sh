#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Build bench/json-bench.c with the JSON reader (-O2, no sanitizers) into a
# temporary directory and run it; when libjansson-dev is installed, jansson
# is measured on the same work. Usage: bench/run-json-bench.sh (CC and
# TMPDIR are honoured; nothing is written into the source tree).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/json-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
jansson_flags=""
if pkg-config --exists jansson 2>/dev/null; then
	jansson_flags="-DHAVE_JANSSON $(pkg-config --cflags --libs jansson)"
fi
# shellcheck disable=SC2086 # jansson_flags is a list of flags
${CC:-gcc} -std=gnu99 -O2 -g -Wall -Wextra -Werror -Wmissing-prototypes \
	-I"$top/include" "$top/src/lib-lockout/lockout-json-read.c" \
	"$top/src/lib-lockout/lockout-json.c" \
	"$top/src/lib-lockout/lockout-str.c" "$top/src/lib-lockout/lockout-utf8.c" \
	"$top/bench/json-bench.c" -o "$out/json-bench" $jansson_flags
echo "compiler: $(${CC:-gcc} --version | head -n 1); -O2, no sanitizers"
echo "cpu: $(grep -m 1 'model name' /proc/cpuinfo 2>/dev/null |
	sed 's/.*: //')"
pkg-config --exists jansson 2>/dev/null &&
	echo "jansson: $(pkg-config --modversion jansson)"
"$out/json-bench"
