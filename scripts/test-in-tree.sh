#!/bin/bash
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Runs integration test files inside a cached Debian tree (the dev layer of
# scripts/debian-tree.sh: that release's Dovecot, build dependencies,
# python3), in a private network namespace with only loopback. The
# checkout is bind-mounted read-only at its own path.
#
#   scripts/test-in-tree.sh [-r trixie|bookworm] [FILE [TEST...]]
#
# Default: trixie (Dovecot 2.4), tests/integration/test_harness_selftest.py.
# Prints each file's "N passed, N failed" and ends with the total.
#
# Until the 2.4 adapter exists only the tests that need no lockout module
# can pass on trixie (Dovecot(passdb_lockout=False) without module_dirs).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
release=trixie
if [ "${1:-}" = -r ]; then
	release=$2
	shift 2
fi
[ $# -gt 0 ] || set -- tests/integration/test_harness_selftest.py
[ "$(id -u)" = 0 ] || { echo "test-in-tree.sh must run as root" >&2; exit 2; }

"$top/scripts/debian-tree.sh" dev "$release"
exec "$top/scripts/debian-tree.sh" run --netns --ro-bind "$top" \
	--chdir "$top" "$release" dev \
	timeout 900 /usr/bin/python3 "$@"
