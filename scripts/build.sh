#!/bin/sh
# Copyright (c) 2026 dovecot-lockout authors. MIT license.
# Build dovecot-lockout out of tree in ./build (warnings are errors).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
   [ Makefile.am -nt configure ]; then
	autoreconf -fi >/dev/null
fi
mkdir -p build
cd build
if [ ! -f Makefile ] || [ ../configure -nt Makefile ]; then
	../configure --with-dovecot=/usr/lib/dovecot --enable-werror \
		--prefix=/usr --sysconfdir=/etc --localstatedir=/var \
		>configure.out 2>&1 || { cat configure.out; exit 1; }
fi
make -j"$(nproc)" >make.out 2>&1 || { tail -50 make.out; exit 1; }
echo "build: ok ($top/build)"
