#!/bin/bash
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Cached Debian trees for building and testing dovecot-lockout on other
# Debian releases (Debian 13 "trixie" with Dovecot 2.4, Debian 12 "bookworm"
# with Dovecot 2.3), and a runner that executes a command inside one.
#
#   scripts/debian-tree.sh base RELEASE   make (or reuse) the pristine tree
#   scripts/debian-tree.sh dev RELEASE    make (or reuse) the dev layer:
#                 Dovecot, build dependencies (scripts/install-deps.sh),
#                 python3, packaging tools (debhelper, lintian)
#   scripts/debian-tree.sh run [OPTIONS] RELEASE base|dev [--] CMD [ARG...]
#                 run CMD in a throwaway copy of the tree; the copy and every
#                 mount are gone when CMD ends (even when it fails)
#   scripts/debian-tree.sh path RELEASE base|dev   where the layer lives
#   scripts/debian-tree.sh clean RELEASE|all       remove cached trees
#
# Run options:
#   --bind SRC[:DST]  bind-mount host directory SRC at DST in the tree
#                     (default DST = SRC); repeatable
#   --ro-bind SRC[:DST]   the same, read-only
#   --netns           a private network namespace with only loopback (up):
#                     nothing inside can reach or be reached from outside
#   --chdir DIR       working directory inside the tree (default /)
#
# Layout (LOCKOUT_TREE_CACHE, default /var/cache/dovecot-lockout):
#   RELEASE/base/      the debootstrap --variant=minbase tree, upgraded
#   RELEASE/dev/       overlayfs upper layer over base: the dev packages
#   RELEASE/apt-archives/  downloaded .debs, shared by every run
#   RELEASE/run.XXXX/  a throwaway upper layer while a run lasts
# A layer is rebuilt when what it was made from changed (the package list,
# scripts/install-deps.sh, the base it sits on); otherwise it is reused.
# Throwaway copies are overlayfs mounts (base [+ dev] read-only below, an
# empty upper directory on top), made in a private mount namespace inside a
# private PID namespace: when CMD ends, every process it left is killed and
# every mount disappears with the namespace.
#
# The Debian mirror is the host's (its apt sources), or LOCKOUT_DEBIAN_MIRROR
# and LOCKOUT_DEBIAN_SECURITY_MIRROR. Must run as root.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${LOCKOUT_TREE_CACHE:-/var/cache/dovecot-lockout}
# Bump when the way a base tree (a dev layer) is made changes.
BASE_FORMAT=1
DEV_FORMAT=2
DEV_EXTRA_PKGS="debhelper dpkg-dev fakeroot lintian"
INNER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() { echo "debian-tree: $*" >&2; exit 1; }
log() { echo "debian-tree: $*" >&2; }

usage() {
	sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

check_release() {
	case "$1" in
	bookworm|trixie) ;;
	*) die "unknown release '$1' (bookworm or trixie)" ;;
	esac
}

need_root() {
	[ "$(id -u)" = 0 ] || die "must run as root"
}

# The host's Debian mirror URIs, from its apt sources (deb822 or one-line).
host_mirror() {
	local want=$1 uri
	for uri in $(
		{ cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
		  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			2>/dev/null | sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\2/p'
		} | sed 's:/*$::'); do
		case "$uri" in
		*/"$want") echo "$uri"; return 0 ;;
		esac
	done
	return 1
}

mirror() {
	[ -n "${LOCKOUT_DEBIAN_MIRROR:-}" ] && { echo "$LOCKOUT_DEBIAN_MIRROR"; return; }
	host_mirror debian ||
		die "no Debian mirror in the host's apt sources: set LOCKOUT_DEBIAN_MIRROR"
}

security_mirror() {
	[ -n "${LOCKOUT_DEBIAN_SECURITY_MIRROR:-}" ] &&
		{ echo "$LOCKOUT_DEBIAN_SECURITY_MIRROR"; return; }
	host_mirror debian-security || true
}

ensure_debootstrap() {
	command -v debootstrap >/dev/null && return
	log "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
		update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
		install -y -qq --no-install-recommends debootstrap >/dev/null
}

# Exclusive lock for making layers of RELEASE, shared for using them.
lock() {
	mkdir -p "$cache"
	exec 9>"$cache/$1.lock"
	flock "$2" 9
}

unlock() {
	exec 9>&-
}

# A file holding what a layer was made from: it is remade when this changes.
base_key() {
	echo "format=$BASE_FORMAT release=$1 mirror=$(mirror)"
	echo "security=$(security_mirror)"
}

dev_key() {
	cat "$cache/$1/base.stamp"
	echo "dev-format=$DEV_FORMAT"
	echo "extra=$DEV_EXTRA_PKGS"
	sha256sum <"$top/scripts/install-deps.sh"
}

layer_ok() {
	[ -f "$cache/$1/$2.stamp" ] && [ -d "$cache/$1/$2" ] &&
		[ "$(cat "$cache/$1/$2.stamp")" = "$3" ]
}

# The script run as PID 1 of the private namespaces: makes the root (an
# overlay of the layers, or the layer itself when making it), mounts what a
# Debian system needs, runs the command chrooted. Arguments:
#   root lowerdirs upperdir workdir netns chdir nbinds [bind...] -- cmd...
# lowerdirs empty: root is used as it is (a layer being made).
# shellcheck disable=SC2016
INNER='
set -e
root=$1 lower=$2 upper=$3 work=$4 netns=$5 chdir=$6 archives=$7 nb=$8
shift 8
if [ -n "$lower" ]; then
	mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$root"
fi
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
mount -t tmpfs -o mode=755,nosuid,nodev run "$root/run"
mkdir -p "$root/run/netns" "$root/run/lock" "$root/var/cache/apt/archives"
mount --bind "$archives" "$root/var/cache/apt/archives"
[ -e "$root/etc/resolv.conf" ] || : >"$root/etc/resolv.conf"
mount --bind /etc/resolv.conf "$root/etc/resolv.conf"
if [ "$netns" = yes ]; then
	ip link set lo up
fi
while [ "$nb" -gt 0 ]; do
	spec=$1; shift; nb=$((nb - 1))
	mode=${spec%%:*}; rest=${spec#*:}
	src=${rest%%:*}; dst=${rest#*:}
	if [ -d "$src" ]; then mkdir -p "$root$dst"
	else mkdir -p "$(dirname "$root$dst")"; [ -e "$root$dst" ] || : >"$root$dst"; fi
	mount --bind "$src" "$root$dst"
	[ "$mode" = rw ] || mount -o remount,bind,ro "$root$dst"
done
[ "$1" = -- ] && shift
set +e
chroot "$root" /usr/bin/env -i PATH="'"$INNER_PATH"'" HOME=/root \
	LC_ALL=C.UTF-8 TERM="${TERM:-dumb}" DEBIAN_FRONTEND=noninteractive \
	${CI:+CI=$CI} \
	/bin/sh -c '\''cd "$1" && shift && exec "$@"'\'' sh "$chdir" "$@"
'

# in_ns root lower upper work netns chdir [binds...] -- cmd...
in_ns() {
	local root=$1 lower=$2 upper=$3 work=$4 netns=$5 chdir=$6 release=$7
	shift 7
	local binds=() nsopt=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		binds+=("$1"); shift
	done
	[ "$netns" = yes ] && nsopt=(--net)
	mkdir -p "$cache/$release/apt-archives/partial"
	unshare --mount --propagation private --pid --fork "${nsopt[@]}" -- \
		/bin/sh -c "$INNER" sh "$root" "$lower" "$upper" "$work" \
		"$netns" "$chdir" "$cache/$release/apt-archives" \
		"${#binds[@]}" "${binds[@]}" "$@"
}

# Run a command in a writable layer (the layer itself is the root).
in_layer() {
	local release=$1 dir=$2
	shift 2
	in_ns "$dir" "" "" "" no / "$release" -- "$@"
}

make_base() {
	local release=$1 key dir tmp t0 sec
	key=$(base_key "$release")
	layer_ok "$release" base "$key" && return 0
	ensure_debootstrap
	t0=$(date +%s)
	dir=$cache/$release
	mkdir -p "$dir"
	rm -rf "${dir:?}/base.new" "$dir/base" "$dir/base.stamp" "${dir:?}/dev" \
		"$dir/dev.work" "$dir/dev.stamp"
	tmp=$dir/base.new
	log "$release: debootstrap --variant=minbase (about two minutes)"
	debootstrap --variant=minbase "$release" "$tmp" "$(mirror)" \
		>"$dir/debootstrap.log" 2>&1 ||
		{ tail -30 "$dir/debootstrap.log" >&2; die "debootstrap failed"; }
	sec=$(security_mirror)
	{
		echo "Types: deb"
		echo "URIs: $(mirror)"
		echo "Suites: $release $release-updates"
		echo "Components: main"
		echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
		if [ -n "$sec" ]; then
			echo
			echo "Types: deb"
			echo "URIs: $sec"
			echo "Suites: $release-security"
			echo "Components: main"
			echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
		fi
	} >"$tmp/etc/apt/sources.list.d/debian.sources"
	: >"$tmp/etc/apt/sources.list"
	# Package scripts must not start services in the tree.
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	cat >"$tmp/etc/apt/apt.conf.d/90lockout-tree" <<-'EOF'
	// dovecot-lockout test tree: no recommends, no questions.
	APT::Install-Recommends "false";
	APT::Get::Assume-Yes "true";
	Dpkg::Options { "--force-confdef"; "--force-confold"; };
	EOF
	in_layer "$release" "$tmp" sh -c \
		'apt-get update -qq && apt-get dist-upgrade -qq >/dev/null &&
		 apt-get clean' >>"$dir/debootstrap.log" 2>&1 ||
		{ tail -30 "$dir/debootstrap.log" >&2; die "upgrade failed"; }
	mv "$tmp" "$dir/base"
	echo "$key" >"$dir/base.stamp"
	log "$release: base made in $(( $(date +%s) - t0 )) s"
}

make_dev() {
	local release=$1 key dir t0
	dir=$cache/$release
	key=$(dev_key "$release")
	layer_ok "$release" dev "$key" && return 0
	t0=$(date +%s)
	rm -rf "${dir:?}/dev" "$dir/dev.new" "$dir/dev.work" "$dir/dev.stamp"
	mkdir -p "$dir/dev.new" "$dir/dev.work"
	log "$release: dev layer (Dovecot, build dependencies, packaging tools)"
	# The base stays untouched: the dev layer is an overlay upper directory.
	mkdir -p "$dir/dev.merged"
	in_ns "$dir/dev.merged" "$dir/base" "$dir/dev.new" "$dir/dev.work" \
		no / "$release" "ro:$top/scripts:/tmp/lockout-scripts" -- sh -c '
		set -e
		# man-db rebuilding its index after each install is slow
		echo "man-db man-db/auto-update boolean false" |
			debconf-set-selections
		apt-get update -qq
		/tmp/lockout-scripts/install-deps.sh
		apt-get install -qq '"$DEV_EXTRA_PKGS"' >/dev/null
		apt-get clean' >"$dir/dev.log" 2>&1 ||
		{ tail -30 "$dir/dev.log" >&2; die "dev layer failed"; }
	rmdir "$dir/dev.merged"
	rm -rf "$dir/dev.work"
	# The mount point of the scripts bind is left in the upper layer.
	rm -rf "$dir/dev.new/tmp/lockout-scripts"
	mv "$dir/dev.new" "$dir/dev"
	echo "$key" >"$dir/dev.stamp"
	log "$release: dev layer made in $(( $(date +%s) - t0 )) s"
}

# Make the layers up to LAYER unless they are current; return holding the
# shared lock (others may run meanwhile, nobody remakes a layer under us).
ensure_layers() {
	local release=$1 layer=$2
	lock "$release" -s
	if layer_ok "$release" base "$(base_key "$release")" && {
	   [ "$layer" = base ] ||
	   layer_ok "$release" dev "$(dev_key "$release")"; }; then
		return 0
	fi
	lock "$release" -x
	make_base "$release"
	[ "$layer" = base ] || make_dev "$release"
	lock "$release" -s
}

cmd_run() {
	local netns=no chdir=/ binds=() release layer lower dir run rc
	while [ $# -gt 0 ]; do
		case "$1" in
		--bind|--ro-bind)
			[ $# -ge 2 ] || usage
			local spec=$2 mode=rw src dst
			[ "$1" = --ro-bind ] && mode=ro
			src=${spec%%:*}
			dst=${spec#*:}
			[ "$dst" = "$spec" ] && dst=$src
			src=$(realpath -e "$src") || die "no such path: ${spec%%:*}"
			case "$dst" in /*) ;; *) die "bind target must be absolute: $dst" ;; esac
			binds+=("$mode:$src:$dst")
			shift 2 ;;
		--netns) netns=yes; shift ;;
		--chdir) [ $# -ge 2 ] || usage; chdir=$2; shift 2 ;;
		-*) usage ;;
		*) break ;;
		esac
	done
	[ $# -ge 3 ] || usage
	release=$1 layer=$2
	shift 2
	[ "$1" = -- ] && shift
	[ $# -ge 1 ] || usage
	check_release "$release"
	case "$layer" in
	base) ;;
	dev) ;;
	*) die "layer must be base or dev" ;;
	esac
	ensure_layers "$release" "$layer"
	dir=$cache/$release
	lower=$dir/base
	[ "$layer" = dev ] && lower=$dir/dev:$dir/base
	run=$(mktemp -d "$dir/run.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$run'" EXIT
	mkdir "$run/upper" "$run/work" "$run/root"
	set +e
	in_ns "$run/root" "$lower" "$run/upper" "$run/work" "$netns" "$chdir" \
		"$release" "${binds[@]}" -- "$@"
	rc=$?
	set -e
	rm -rf "$run"
	unlock
	return $rc
}

cmd_path() {
	[ $# -eq 2 ] || usage
	check_release "$1"
	echo "$cache/$1/$2"
}

cmd_clean() {
	[ $# -eq 1 ] || usage
	if [ "$1" = all ]; then
		for r in bookworm trixie; do cmd_clean "$r"; done
		return
	fi
	check_release "$1"
	lock "$1" -x
	rm -rf "${cache:?}/$1"
	unlock
}

[ $# -ge 1 ] || usage
need_root
sub=$1
shift
case "$sub" in
base|dev)
	[ $# -eq 1 ] || usage
	check_release "$1"
	ensure_layers "$1" "$sub"
	unlock
	;;
run) cmd_run "$@" ;;
path) cmd_path "$@" ;;
clean) cmd_clean "$@" ;;
*) usage ;;
esac
