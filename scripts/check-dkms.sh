#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build mfgraph as a user of a Debian kernel would, against Debian's own
# headers (scripts/debian-kernel.sh), and check what came out:
#
#   1. make KDIR=<headers>: succeeds with no warning, every module built;
#   2. dkms add + dkms build -k <release> --kernelsourcedir <headers>
#      (no booted kernel needed): every module in dkms.conf built;
#   3. make install DESTDIR=<tmp>: the modules, the headers and
#      Module.symvers; then a client module builds against only those.
#
#   check-dkms.sh [ARCH/SERIES ...]     default: x86_64/6.12 x86_64/6.1
#                                                arm64/6.12 arm64/6.1
#
# Needs root for dkms (it writes /usr/src and /var/lib/dkms); without dkms
# installed, step 2 fails with a note. Leaves mfgraph/<version> removed
# from dkms.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(x86_64/6.12 x86_64/6.1 arm64/6.12 arm64/6.1)
out=$top/build/dkms
log() { echo "check-dkms: $*" >&2; }
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
modules=$(sed -n 's/^MFG_MODULES="\(.*\)"/\1/p' "$top/dkms.conf")
failed=()

# A copy of the source as a user would have it: tracked and new files only
# (no build/ and no objects), for make and for dkms add.
rm -rf "$out"
mkdir -p "$out/src"
(cd "$top" && git ls-files -z -co --exclude-standard) |
	(cd "$top" && tar --null -T - -c) | tar -x -C "$out/src"

dkms_ok=
if command -v dkms > /dev/null; then
	dkms remove "mfgraph/$version" --all > /dev/null 2>&1 || true
	rm -rf "/usr/src/mfgraph-$version"
	dkms add "$out/src" > "$out/dkms-add.log" 2>&1 && dkms_ok=1 ||
		{ cat "$out/dkms-add.log" >&2; log "dkms add failed"; failed+=(dkms-add); }
else
	log "no dkms (apt-get install dkms): dkms builds not checked"
	failed+=(no-dkms)
fi

for t in "${targets[@]}"; do
	arch=${t%/*} series=${t#*/}
	eval "$("$here/debian-kernel.sh" "$arch" "$series")"
	name=$KERNELRELEASE
	log "$name: make KDIR=$KDIR"
	start=$SECONDS
	make -C "$out/src" KDIR="$KDIR" clean > /dev/null 2>&1
	if ! make -C "$out/src" KDIR="$KDIR" > "$out/$name-make.log" 2>&1; then
		cat "$out/$name-make.log" >&2
		log "$name: make failed"
		failed+=("$name/make")
		continue
	fi
	# Anything but kbuild's progress lines and its note that the headers
	# have no vmlinux for module BTF is a warning.
	if grep -v -e '^make' -e '^  [A-Z]' -e '^Skipping BTF generation .* unavailability of vmlinux$' \
		"$out/$name-make.log" >&2; then
		log "$name: make printed the above"
		failed+=("$name/make-output")
	fi
	for m in $modules; do
		[ -f "$out/src/$m.ko" ] || { log "$name: no $m.ko"; failed+=("$name/$m"); }
	done
	log "$name: make took $((SECONDS - start))s"

	start=$SECONDS
	rm -rf "$out/inst" "$out/client"
	if make -C "$out/src" KDIR="$KDIR" DESTDIR="$out/inst" install > "$out/$name-install.log" 2>&1; then
		mkdir -p "$out/client"
		cat > "$out/client/client.c" <<-'EOF'
		// SPDX-License-Identifier: GPL-2.0
		#include <linux/module.h>
		#include <mfgraph.h>
		#include <mfg_kretprobe.h>

		static int __init client_init(void)
		{
			struct mfg_kretprobe_stats st;

			mfg_kretprobe_get_stats(&st);
			pr_info("client: %ps\n", mfg_register);
			return 0;
		}
		module_init(client_init);
		MODULE_LICENSE("GPL");
		EOF
		cat > "$out/client/Kbuild" <<-EOF
		obj-m := client.o
		ccflags-y += -I$out/inst/usr/local/include/mfgraph
		KBUILD_EXTRA_SYMBOLS := $out/inst/usr/local/share/mfgraph/$name/Module.symvers
		EOF
		for m in $modules; do
			ls "$out/inst/lib/modules/$name/updates/$m.ko"* > /dev/null 2>&1 ||
				{ log "$name: make install put no $m.ko"; failed+=("$name/install-$m"); }
		done
		cross=$(sed -n 's/^CONFIG_ARM64=y$/CROSS_COMPILE=aarch64-linux-gnu-/p' "$KDIR/.config")
		[ "$(uname -m)" != aarch64 ] || cross=
		if make -C "$KDIR" M="$out/client" $cross modules > "$out/$name-client.log" 2>&1 &&
			modinfo -F depends "$out/client/client.ko" | tr , '\n' | sort |
			tr '\n' ' ' | grep -qx 'mfg_kretprobe mfgraph '; then
			log "$name: make install and a client module against it: ok"
		else
			cat "$out/$name-client.log" >&2
			log "$name: client module failed"
			failed+=("$name/client")
		fi
	else
		cat "$out/$name-install.log" >&2
		log "$name: make install failed"
		failed+=("$name/install")
	fi
	log "$name: install and client took $((SECONDS - start))s"

	[ -n "$dkms_ok" ] || continue
	start=$SECONDS
	if dkms build "mfgraph/$version" -k "$name" --kernelsourcedir "$KDIR" \
		> "$out/$name-dkms.log" 2>&1; then
		dir=/var/lib/dkms/mfgraph/$version/$name
		for m in $modules; do
			ls "$dir"/*/module/"$m.ko"* > /dev/null 2>&1 ||
				{ log "$name: dkms built no $m.ko"; failed+=("$name/dkms-$m"); }
		done
		log "$name: dkms build ok ($((SECONDS - start))s)"
	else
		cat "$out/$name-dkms.log" >&2
		cat /var/lib/dkms/mfgraph/"$version"/build/make.log >&2 2>/dev/null || true
		log "$name: dkms build failed"
		failed+=("$name/dkms")
	fi
done

if [ -n "$dkms_ok" ]; then
	dkms remove "mfgraph/$version" --all > /dev/null 2>&1 || true
	rm -rf "/usr/src/mfgraph-$version"
fi
if [ ${#failed[@]} -gt 0 ]; then
	log "FAILED: ${failed[*]}"
	exit 1
fi
log "ok: ${targets[*]}"
