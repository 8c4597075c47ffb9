#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run mfgraph on one of Debian's own kernels under QEMU.
#
#   check-distro.sh ARCH SERIES [FLAVOUR]     e.g. x86_64 6.12, x86_64 6.1 rt
#
# Fetches Debian's kernel image and its headers (scripts/debian-kernel.sh,
# cached), builds mfgraph.ko and mfg_kretprobe.ko with 'make KDIR=<headers>'
# exactly as a user would, builds the test modules against the same
# headers, boots the image with the busybox initramfs
# (tests/qemu/run.py), loads the modules and runs the scenario scripts and
# the torture suite's short run (TORTURE_DURATION, default 2 s per
# workload; 0 skips it). Debian's kernels have no KUnit (CONFIG_KUNIT is
# off): the KUnit suites run on mfg_kunit_shim.ko (tests/kunit/shim/).
set -euo pipefail
arch=${1:?usage: check-distro.sh ARCH SERIES [FLAVOUR]}
series=${2:?usage: check-distro.sh ARCH SERIES [FLAVOUR]}
flavour=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
log() { echo "check-distro: $*" >&2; }
. "$here/lib.sh"

case $arch in
x86_64) cross= ;;
arm64) cross=aarch64-linux-gnu- ;;
*) log "unknown ARCH '$arch'"; exit 1 ;;
esac
[ "$(uname -m)" != aarch64 ] || [ "$arch" != arm64 ] || cross=

start=$SECONDS
eval "$("$top/scripts/debian-kernel.sh" --image "$arch" "$series" $flavour)"
log "$KERNELRELEASE: headers and image ready ($((SECONDS - start))s)"
busybox=$("$here/busybox.sh" "$arch")
label=debian-$KERNELRELEASE
out=$top/build/$label

mfg_copy_sources "$out/src"

# As a user would: make KDIR=<headers>, nothing else.
start=$SECONDS
make -C "$out/src" KDIR="$KDIR" 2>&1 | tee "$out/build.log" >&2
[ "${PIPESTATUS[0]}" = 0 ] || { log "make KDIR=$KDIR failed"; exit 1; }
# The test modules, on the same headers: without KUnit, Kbuild leaves the
# KUnit suites' modules out.
test_mods=(mfg_hold_test mfg_krp_hold_test mfg_krp_target mfg_krp_gone_test mfg_gone_target
	mfg_gone_test mfg_tail_test mfg_torture mfg_torture_target mfg_graph_target)
for m in "${test_mods[@]}"; do rm -f "$out/src/$m.ko"; done
make -C "$KDIR" M="$out/src" CROSS_COMPILE="$cross" MFG_TESTS=1 -j"$(nproc)" modules \
	> "$out/build-tests.log" 2>&1 ||
	{ cat "$out/build-tests.log" >&2; log "test modules failed to build"; exit 1; }
log "$KERNELRELEASE: modules built ($((SECONDS - start))s)"

args=(--arch "$arch" --kernel "$VMLINUZ" --busybox "$busybox" --label "$label"
	--log "$out/console.log" --results "$top/build/results/$label.json")
mfg_build_progs "$cross" "$out"
for m in "${test_mods[@]}"; do
	case $m in mfg_torture*) ;; *) args+=(--file "$out/src/$m.ko") ;; esac
done
# mfg_graph's scenarios: the tracer as a user builds it, and their library.
args+=(--file "$out/src/mfg_graph.ko" --file "$top/tests/tracer/graph-lib.sh")
# unload-under-return.sh holds a task spinning in the return path's tail,
# where only a preemptible kernel can leave one (preempted there). Debian's
# x86_64 kernels are PREEMPT_DYNAMIC, booted voluntary: boot them
# preempt=full (under voluntary, the spinning task never yields, mfgraph
# cannot unload (EAGAIN) and the watchdog reports a soft lockup). Its arm64
# kernels are voluntary only: the scenario does not apply there.
config=$KDIR/.config
append=${MFG_DISTRO_APPEND-}
preemptible=
if grep -qx -e 'CONFIG_PREEMPT=y' -e 'CONFIG_PREEMPT_RT=y' "$config"; then
	preemptible=1
elif grep -qx 'CONFIG_PREEMPT_DYNAMIC=y' "$config" && [ -z "${MFG_DISTRO_APPEND+set}" ]; then
	append=preempt=full
	preemptible=1
fi
for scenario in "$here"/scenarios/*.sh; do
	if [ "$(basename "$scenario")" = unload-under-return.sh ] && [ -z "$preemptible" ]; then
		log "$KERNELRELEASE: not preemptible: skipping $(basename "$scenario")"
		continue
	fi
	args+=(--scenario "$scenario")
done
timeout=300
torture_duration=${TORTURE_DURATION:-2}
if [ "$torture_duration" != 0 ]; then
	# Not exec: it filters on do_execveat_common, which Debian's -O2
	# build does not have under that name (inlined or IPA-cloned).
	workloads=${TORTURE_WORKLOADS:-fork krp ftrace module hotplug selftrace}
	printf 'TORTURE_DURATION=%s\nTORTURE_WORKLOADS="%s"\n' "$torture_duration" "$workloads" \
		> "$out/torture.conf"
	args+=(--file "$out/torture.conf" --scenario "$here/../torture/torture.sh")
	args+=(--file "$out/src/mfg_torture.ko" --file "$out/src/mfg_torture_target.ko")
	timeout=$((timeout + $(echo $workloads | wc -w) * (torture_duration + 40)))
fi
[ "$arch" = x86_64 ] || timeout=$((timeout * 4))
# x86_64 on one host thread (MFG_QEMU_ACCEL overrides): under
# multi-threaded TCG, Debian's 6.12 kernel once died at boot, before any
# module was loaded, on an int3 in sched_clock_cpu() that its own text
# patching had just replaced (the artefact docs/design.md describes).
if [ "$arch" = x86_64 ]; then
	export MFG_QEMU_ACCEL=${MFG_QEMU_ACCEL:-tcg,thread=single}
	timeout=$((timeout * 2))
fi
args+=(--timeout "${QEMU_TIMEOUT:-$timeout}")
[ -z "$append" ] || args+=(--append "$append")
# The KUnit suites, on mfg_kunit_shim.ko where the headers allow it
# (Kbuild): the same suites as make check, judged the same way.
if [ -f "$out/src/mfg_kunit_shim.ko" ]; then
	for m in mfgraph mfg_kunit_shim "${mfg_kunit_modules[@]}"; do
		args+=(--module "$out/src/$m.ko")
	done
	for s in "${mfg_kunit_suites[@]}"; do args+=(--suite "$s"); done
else
	log "$KERNELRELEASE: no mfg_kunit_shim.ko: no KUnit suites"
	args+=(--module "$out/src/mfgraph.ko" --module "$out/src/mfg_kretprobe.ko")
fi
mkdir -p "$top/build/results"
exec python3 "$here/run.py" "${args[@]}"
