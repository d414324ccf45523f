#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Build bench/writeq-bench.c with -O2 and no sanitizers into a temporary
# directory and run it. Usage: bench/run-writeq-bench.sh  (CC and TMPDIR are
# honoured; nothing is written into the source tree; the SQLite table lives
# in $TMPDIR too and is removed).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/writeq-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
lib="$top/src/lib-lockout"
${CC:-gcc} -std=gnu99 -O2 -g -Wall -Wextra -Werror -Wmissing-prototypes \
	-I"$top/include" \
	"$lib"/lockout-*.c "$top/bench/writeq-bench.c" \
	$(pkg-config --cflags --libs libpq) -lsqlite3 -lsodium \
	-o "$out/writeq-bench"
echo "compiler: $(${CC:-gcc} --version | head -n 1); -O2, no sanitizers"
echo "cpu: $(grep -m 1 'model name' /proc/cpuinfo 2>/dev/null |
	sed 's/.*: //')"
"$out/writeq-bench"
