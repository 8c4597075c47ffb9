#!/bin/bash
# Build (or reuse) a Linux 6.12 test kernel from Debian's linux-source-6.12.
#
#   build-kernel.sh ARCH FLAVOUR      ARCH: x86_64 | arm64, FLAVOUR: default | debug
#
# Prints the kernel build directory (usable as KDIR) on stdout, all else on stderr.
# Builds are cached under $MFG_CACHE (default ~/.cache/mfgraph), keyed by the
# source package version, the arch, the flavour, the config fragments and the
# recipe number below, so an unchanged kernel is never rebuilt.
set -euo pipefail

arch=${1:?usage: build-kernel.sh ARCH FLAVOUR}
flavour=${2:-default}
here=$(cd "$(dirname "$0")" && pwd)
cache=${MFG_CACHE:-${HOME:-/root}/.cache/mfgraph}
tarball=/usr/src/linux-source-6.12.tar.xz

log() { echo "build-kernel: $*" >&2; }
die() { log "error: $*"; exit 1; }

case $arch in
x86_64) karch=x86; cross=; image=arch/x86/boot/bzImage ;;
arm64)  karch=arm64; cross=aarch64-linux-gnu-; image=arch/arm64/boot/Image ;;
*) die "unknown ARCH '$arch' (x86_64 or arm64)" ;;
esac
case $flavour in
default) frags=("$here/config/common.config" "$here/config/$arch.config") ;;
debug) frags=("$here/config/common.config" "$here/config/$arch.config" "$here/config/debug.config") ;;
*) die "unknown FLAVOUR '$flavour' (default or debug)" ;;
esac

[ -r "$tarball" ] || die "$tarball missing: apt-get install linux-source-6.12"
version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || stat -c %s-%Y "$tarball")
# Bump when a change below alters what gets built.
recipe=1
key=$( { echo "$version $arch $flavour $recipe"; cat "${frags[@]}"; } | sha256sum | cut -c1-16)
src=$cache/src/linux-source-$version
out=$cache/kernel/$arch-$flavour-$key

mkdir -p "$cache/src" "$cache/kernel"
exec 9>"$cache/kernel/.lock-$arch-$flavour"
flock 9

if [ -e "$out/.mfg-built" ]; then
	log "reusing $out"
	echo "$out"
	exit 0
fi

if [ ! -e "$src/.mfg-extracted" ]; then
	log "extracting $tarball ($version)"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.mfg-extracted"
	mv "$src.tmp" "$src"
fi

rm -rf "$out"
mkdir -p "$out"
kmake() { make -C "$src" O="$out" ARCH="$karch" CROSS_COMPILE="$cross" "$@" >&2; }

log "configuring $arch/$flavour in $out"
kmake -s tinyconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >&2
kmake -s olddefconfig

# A fragment option that Kconfig silently dropped (unmet dependency) would
# leave us testing a kernel other than the one we claim: refuse it.
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=n) opt=${line%%=*}; grep -q "^$opt=" "$out/.config" && { log "$opt is set, wanted off"; missing=1; } ;;
	CONFIG_*=*) grep -qx "$line" "$out/.config" || { log "$line did not stick"; missing=1; } ;;
	esac
done < <(cat "${frags[@]}" | grep -v '^#')
[ $missing = 0 ] || die "config fragments not satisfied (see above)"

log "building $arch/$flavour ($(nproc) jobs)"
kmake -j"$(nproc)" "$(basename "$image")" modules
[ -s "$out/$image" ] || die "no $image produced"
[ -s "$out/Module.symvers" ] || die "no Module.symvers produced"
ln -sf "$image" "$out/mfg-image"
touch "$out/.mfg-built"
log "built $out"
# Older builds of this arch and flavour are dead weight (a few hundred MiB each).
for old in "$cache/kernel/$arch-$flavour-"*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
echo "$out"
