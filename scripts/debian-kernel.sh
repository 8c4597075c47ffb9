#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's own kernel headers (and, with --image, the kernel image) for
# one kernel, without installing anything, and print where they are.
#
#   debian-kernel.sh [--image] ARCH SERIES [FLAVOUR]
#
#   ARCH     x86_64 or arm64
#   SERIES   6.12 (bookworm-backports/security, trixie's series) or 6.1
#            (bookworm's default); the newest ABI apt knows of is taken.
#            MFG_DEBIAN_ABI=6.1.0-57 or 6.12.118+deb12 pins one.
#   FLAVOUR  empty (the generic kernel) or rt (PREEMPT_RT), cloud, ...
#
# Prints shell assignments: KDIR (the headers tree, for make KDIR=),
# KERNELRELEASE, and with --image VMLINUZ (the kernel to boot).
#
# Packages are fetched with apt-get download and unpacked with dpkg-deb -x
# into ${MFG_CACHE:-~/.cache/mfgraph}/debian/<kernelrelease>_<version>/, a
# root of its own: usr/src/linux-headers-<release> (the arch tree),
# usr/src/linux-headers-<abi>-common and usr/lib/linux-kbuild-<...>. The arch
# tree's Makefile is one line that includes the common tree by absolute path
# (/usr/src/...); it is rewritten to point into the cache. The kbuild tools
# (fixdep, modpost) are always the build machine's own architecture: arm64
# headers are cross-built from amd64 with amd64's linux-kbuild of the same
# version. arm64 packages need 'dpkg --add-architecture arm64' and
# 'apt-get update' first.
set -euo pipefail
image=
if [ "${1:-}" = --image ]; then
	image=1
	shift
fi
arch=${1:?usage: debian-kernel.sh [--image] ARCH SERIES [FLAVOUR]}
series=${2:?usage: debian-kernel.sh [--image] ARCH SERIES [FLAVOUR]}
flavour=${3:-}
cache=${MFG_CACHE:-$HOME/.cache/mfgraph}/debian
log() { echo "debian-kernel: $*" >&2; }

case $arch in
x86_64) debarch=amd64 ;;
arm64) debarch=arm64 ;;
*) log "unknown ARCH '$arch'"; exit 1 ;;
esac
hostarch=$(dpkg --print-architecture)
flav=${flavour:+$flavour-}$debarch
qual=
[ "$debarch" = "$hostarch" ] || qual=:$debarch

# The newest ABI of the series apt knows of, from the arch tree's package name.
abi=${MFG_DEBIAN_ABI:-}
if [ -z "$abi" ]; then
	case $series in
	6.1) pat='6\.1\.0-[0-9]+' ;;
	6.12) pat='6\.12\.[0-9]+\+deb[0-9]+' ;;
	*) log "unknown SERIES '$series' (6.1 or 6.12)"; exit 1 ;;
	esac
	abi=$(apt-cache search --names-only "^linux-headers-$pat-$flav\$" |
		sed -En "s/^linux-headers-($pat)-$flav .*/\\1/p" | sort -V | tail -1)
	[ -n "$abi" ] || { log "apt knows no linux-headers-$series*-$flav" \
		"(arm64: dpkg --add-architecture arm64 && apt-get update)"; exit 1; }
fi
release=$abi-$flav
headers=linux-headers-$release
version=$(apt-cache show "$headers$qual" | sed -n 's/^Version: //p' | sort -V | tail -1)
[ -n "$version" ] || { log "apt has no $headers$qual"; exit 1; }
common=linux-headers-$abi-common${flavour:+-$flavour}
# 6.1's kbuild package is named by series (linux-kbuild-6.1), 6.12's by ABI.
case $abi in
6.1.0-*) kbuild=linux-kbuild-6.1 ;;
*) kbuild=linux-kbuild-$abi ;;
esac
# The -rt flavour has its own common tree only where Debian ships one.
apt-cache show "$common=$version" > /dev/null 2>&1 || common=linux-headers-$abi-common

root=$cache/${release}_$version
mkdir -p "$cache/debs"

# Download (once) PKG[:ARCH]=VERSION and unpack it (or only the PATHS given)
# into $root.
unpack() {
	local pkg=$1 deb
	shift
	deb=$(ls "$cache/debs/${pkg%%[=:]*}_${version//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		log "downloading $pkg"
		(cd "$cache/debs" && apt-get download -q "$pkg" 2>&1 |
			grep -v 'unsandboxed as root' >&2) || true
		deb=$(ls "$cache/debs/${pkg%%[=:]*}_${version//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
		[ -n "$deb" ] || { log "apt-get download $pkg failed"; exit 1; }
	fi
	if [ $# = 0 ]; then
		dpkg-deb -x "$deb" "$root"
	else
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" "$@"
	fi
}

if [ ! -e "$root/.headers-done" ]; then
	unpack "$headers$qual=$version"
	unpack "$common=$version"
	unpack "$kbuild=$version"
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$root/usr/src/$headers/Makefile"
	touch "$root/.headers-done"
fi
echo "KDIR=$root/usr/src/$headers"
echo "KERNELRELEASE=$release"

if [ -n "$image" ]; then
	img=linux-image-$release-unsigned
	if [ ! -e "$root/.image-done" ]; then
		# Only the kernel: its modules are not needed to boot to a shell.
		unpack "$img$qual=$version" ./boot
		touch "$root/.image-done"
	fi
	echo "VMLINUZ=$root/boot/vmlinuz-$release"
fi
