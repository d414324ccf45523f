#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Build bench/policy-bench.c with -O2 and no sanitizers into a temporary
# directory and run it. Usage: bench/run-policy-bench.sh  (CC and TMPDIR are
# honoured; nothing is written into the source tree).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/policy-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
lib="$top/src/lib-lockout"
${CC:-gcc} -std=gnu99 -O2 -g -Wall -Wextra -Werror -Wmissing-prototypes \
	-I"$top/include" $(pkg-config --cflags libsodium) \
	"$lib"/lockout-policy*.c "$lib/lockout-satable.c" \
	"$lib/lockout-hash.c" "$lib/lockout-addr.c" \
	"$lib/lockout-banset.c" "$lib"/lockout-config*.c \
	"$lib/lockout-json.c" "$lib/lockout-str.c" \
	"$lib/lockout-utf8.c" "$lib/lockout-error.c" \
	"$top/bench/policy-bench.c" -o "$out/policy-bench" \
	$(pkg-config --libs libsodium)
echo "compiler: $(${CC:-gcc} --version | head -n 1); -O2, no sanitizers"
echo "cpu: $(grep -m 1 'model name' /proc/cpuinfo 2>/dev/null |
	sed 's/.*: //')"
"$out/policy-bench"
