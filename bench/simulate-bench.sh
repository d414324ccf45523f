#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Benchmark of doveadm lockout simulate: replays a generated week of
# traffic (a million attempts by default) as a trace and as a Dovecot log
# through the real doveadm command, and reports attempts per second and
# peak memory (/usr/bin/time -v). Not a test: it checks nothing.
#
#   bench/simulate-bench.sh [attempts]      (as root, after scripts/build.sh)
#
# Like the tests it touches nothing of the host: doveadm runs in a private
# mount namespace with a copy of the stock modules plus ours, on a private
# configuration; everything lives in a temporary directory, removed at the
# end. Generated inputs are kept in build/bench-cache (made when absent).
set -eu
attempts=${1:-1000000}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${LOCKOUT_BUILD_DIR:-$top/build}
module=$build/src/doveadm/.libs/lib20_doveadm_lockout_plugin.so
cache=$build/bench-cache
[ "$(id -u)" = 0 ] || { echo "run as root (private mount namespace)" >&2; exit 2; }
[ -f "$module" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

export TZ=UTC LC_ALL=C
mkdir -p "$cache"
trace=$cache/week-$attempts.jsonl
log=$cache/week-$attempts.log
if [ ! -s "$trace" ] || [ ! -s "$log" ]; then
	echo "generating $attempts attempts ..."
	python3 "$top/bench/simulate-gen.py" --attempts "$attempts" \
		--trace "$trace.tmp" --log "$log.tmp"
	mv "$trace.tmp" "$trace"
	mv "$log.tmp" "$log"
	# the log's last line was written at the end of the week
	touch -d @1799366400 "$log"
fi

tmp=$(mktemp -d /tmp/lockout-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM
cp -a /usr/lib/dovecot/modules "$tmp/modules"
find "$tmp/modules" -name '*lockout*' -delete
cp "$module" "$tmp/modules/doveadm/"
cat >"$tmp/dovecot.conf" <<EOF
# private configuration of the benchmark
ssl = no
protocols =
base_dir = $tmp/run
plugin {
  lockout_db = $tmp/lockout.db
  lockout_allow_networks =
}
EOF

# run LABEL COUNT INPUT OUTPUT-FILE ARGS...: one replay of COUNT attempts
# under /usr/bin/time
run() {
	label=$1 count=$2 input=$3 out=$4
	shift 4
	unshare -m --propagation private -- sh -c \
		'mount --bind "$1" /usr/lib/dovecot/modules && shift &&
		 exec /usr/bin/time -v -o "$0" "$@"' "$tmp/time" \
		"$tmp/modules" doveadm -c "$tmp/dovecot.conf" lockout simulate \
		"$@" "$input" >"$out"
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":");
		s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s }' \
		"$tmp/time")
	kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/time")
	cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 }
		END { print u + s }' "$tmp/time")
	rate=$(echo "$count $secs" | awk '{ if ($1 > 1 && $2 > 0)
		printf "%9.0f", $1 / $2; else printf "%9s", "-" }')
	printf '%-34s %7.2f s  %6.2f s CPU  %s attempts/s  %6.1f MiB peak RSS\n' \
		"$label" "$secs" "$cpu" "$rate" \
		"$(echo "$kib" | awk '{ print $1 / 1024 }')"
}

echo "doveadm lockout simulate, $attempts attempts ($(nproc) CPUs," \
     "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))"
printf '{"t":1,"ip":"192.0.2.1","user":"u","result":"ok"}\n' >"$tmp/one.jsonl"
run "baseline (one attempt)" 1 "$tmp/one.jsonl" /dev/null
run "trace -> summary" "$attempts" "$trace" "$tmp/summary.txt"
run "trace -> verdicts (to a file)" "$attempts" "$trace" "$tmp/verdicts" \
	-o verdicts
run "trace -> decisions" "$attempts" "$trace" "$tmp/decisions" -o decisions
gzip -1 -c "$trace" >"$tmp/trace.gz"
run "trace.gz -> summary" "$attempts" "$tmp/trace.gz" /dev/null
# the log has no lines for successes over SMTP AUTH: fewer attempts
log_attempts=$(grep -c -e ': Login: ' -e 'auth: Info: ' "$log")
run "log ($(wc -l <"$log") lines) -> summary" "$log_attempts" "$log" \
	"$tmp/log-summary.txt" -i log
echo
echo "verdict lines: $(wc -l <"$tmp/verdicts"), decisions: $(wc -l <"$tmp/decisions")"
echo
echo "--- summary of the trace"
cat "$tmp/summary.txt"
echo
echo "--- summary of the log"
cat "$tmp/log-summary.txt"
