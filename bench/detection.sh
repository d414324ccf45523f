#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Detection benchmark: generates labelled three-day traces
# (bench/detection-gen.py), replays them through the real
# `doveadm lockout simulate` and prints, per kind of attack, the attempts
# that reached a password check, and the legitimate logins refused - per
# seed and summed. Not a test: it checks nothing. See bench/DETECTION.md.
#
#   bench/detection.sh [-n SEEDS] [-g GEN-ARGS] [-l LABEL] [-b BUILD-DIR]
#                      [-s key=value]... [--vs [-l ...] [-b ...] [-s ...]...]
#
#   bench/detection.sh -n 1-3/4-6                   today's engine, defaults
#   bench/detection.sh -s ip_failures=5 --vs -s ip_failures=3   two settings
#   bench/detection.sh -b ../main/build --vs -b build           two builds
#
# As root, after scripts/build.sh. Like the tests it touches nothing of the
# host: doveadm runs in a private mount namespace with a copy of the stock
# modules plus ours, on a private configuration, in a temporary directory
# removed at the end. Traces are kept in build/bench-cache.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "run as root (private mount namespace)" >&2
	exit 2
fi
if ! command -v unshare >/dev/null; then
	echo "needs unshare (util-linux)" >&2
	exit 2
fi
export TZ=UTC LC_ALL=C
exec python3 "$top/bench/detection.py" "$@"
