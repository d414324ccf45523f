#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# The cost of a reload of the ban table (bench/sync-reload-bench.c), for
# liblockout of REF (default: main) and of the work tree, one after the
# other, -O2, no sanitizers. Usage: bench/run-sync-bench.sh [REF] [BANS...]
# Nothing is written into the source tree; tables live in $TMPDIR (/tmp).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:-main}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- 2000 20000 100000
out=$(mktemp -d "${TMPDIR:-/tmp}/sync-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
mkdir "$out/ref"
git -C "$top" archive "$ref" include src/lib-lockout | tar -x -C "$out/ref"
build() {
	${CC:-gcc} -std=gnu99 -O2 -g -Wall -Wextra -Werror \
		-I"$1/include" "$1"/src/lib-lockout/lockout-*.c \
		"$top/bench/sync-reload-bench.c" $(pkg-config --cflags --libs libpq) \
		-lsqlite3 -lsodium -o "$2"
}
build "$out/ref" "$out/bench-ref"
build "$top" "$out/bench-tree"
echo "compiler: $(${CC:-gcc} --version | head -n 1); -O2, no sanitizers"
echo "cpu: $(grep -m 1 'model name' /proc/cpuinfo 2>/dev/null |
	sed 's/.*: //')"
for n in "$@"; do
	printf '%-8s' "$ref:"; "$out/bench-ref" "$n"
	printf '%-8s' "tree:"; "$out/bench-tree" "$n"
done
