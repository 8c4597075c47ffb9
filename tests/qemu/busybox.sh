#!/bin/bash
# Print the path of a static busybox for the guest ARCH (x86_64 or arm64),
# from Debian's busybox-static, fetching the foreign-arch package if needed.
set -euo pipefail
arch=${1:?usage: busybox.sh ARCH}
cache=${MFG_CACHE:-${HOME:-/root}/.cache/mfgraph}/busybox/$arch
log() { echo "busybox: $*" >&2; }

if [ -x "$cache/busybox" ]; then
	echo "$cache/busybox"
	exit 0
fi
case $arch in
x86_64) debarch=amd64 ;;
arm64) debarch=arm64 ;;
*) log "unknown ARCH '$arch'"; exit 1 ;;
esac
mkdir -p "$cache"
if [ "$(dpkg --print-architecture)" = "$debarch" ] && [ -x /bin/busybox ] &&
   dpkg -s busybox-static >/dev/null 2>&1; then
	cp /bin/busybox "$cache/busybox"
else
	if ! apt-cache show "busybox-static:$debarch" >/dev/null 2>&1; then
		log "adding dpkg architecture $debarch"
		dpkg --add-architecture "$debarch"
		apt-get update -qq >&2
	fi
	tmp=$(mktemp -d)
	chmod 755 "$tmp" # apt downloads as the _apt user
	(cd "$tmp" && apt-get download -qq "busybox-static:$debarch" >&2)
	dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
	cp "$tmp/x/bin/busybox" "$cache/busybox"
	rm -rf "$tmp"
fi
file -b "$cache/busybox" >&2 || true
echo "$cache/busybox"
