#!/bin/bash
# Build the modules for one test kernel and run them under QEMU.
#
#   check-arch.sh ARCH FLAVOUR
#
# Environment: EXTRA_MODULES (paths of further .ko files to load after ours)
# and EXTRA_SUITES (KUnit suites they must report), QEMU_TIMEOUT.
# The torture suite (tests/torture/) runs after the other scenarios:
# TORTURE_DURATION seconds per workload (default 2: the short run),
# TORTURE_WORKLOADS (default all), TORTURE_ONLY=1 to run nothing else (make
# torture), TORTURE_DURATION=0 to skip it.
set -euo pipefail
arch=${1:?usage: check-arch.sh ARCH FLAVOUR}
flavour=${2:-default}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/build/$arch-$flavour
log() { echo "check-arch: $*" >&2; }
. "$here/lib.sh"

case $arch in
x86_64) cross= ;;
arm64) cross=aarch64-linux-gnu- ;;
*) log "unknown ARCH '$arch'"; exit 1 ;;
esac

kdir=$("$here/build-kernel.sh" "$arch" "$flavour")
busybox=$("$here/busybox.sh" "$arch")

mfg_copy_sources "$out/src"
log "building modules for $arch/$flavour against $kdir"
make -C "$kdir" M="$out/src" ARCH="$arch" CROSS_COMPILE="$cross" MFG_TESTS=1 \
	-j"$(nproc)" modules 2>&1 | tee "$out/build.log" >&2
status=${PIPESTATUS[0]}
[ "$status" = 0 ] || { log "module build failed"; exit 1; }
"$top/scripts/check-module-build.sh" --objects "$out/src" "$out/build.log" "$cross" "$out/src"/*.ko

# MFG_BUILD_ONLY=1: stop here, with the kernel and the modules built.
if [ -n "${MFG_BUILD_ONLY:-}" ]; then
	echo "$kdir"
	exit 0
fi

torture_duration=${TORTURE_DURATION:-2}
# Every workload, "star" too: the frames it leaves in sleeping tasks are
# handed back once its users are gone (docs/design.md).
torture_default="fork krp ftrace module hotplug exec selftrace star"
torture_workloads=${TORTURE_WORKLOADS:-$torture_default}
if [ -n "${TORTURE_ONLY:-}" ]; then
	mods=("$out/src/mfgraph.ko" "$out/src/mfg_kretprobe.ko")
	suites=()
	scenarios=()
	label=$arch/$flavour/torture
	results=$top/build/results/$arch-$flavour-torture.json
	timeout=300
else
	mods=("$out/src/mfgraph.ko")
	for m in "${mfg_kunit_modules[@]}"; do mods+=("$out/src/$m.ko"); done
	suites=("${mfg_kunit_suites[@]}")
	scenarios=("$here"/scenarios/*.sh)
	label=$arch/$flavour
	results=$top/build/results/$arch-$flavour.json
	timeout=$([ "$flavour" = debug ] && echo 1200 || echo 300)
fi
for m in ${EXTRA_MODULES:-}; do mods+=("$m"); done
for s in ${EXTRA_SUITES:-}; do suites+=("$s"); done

args=(--arch "$arch" --kernel "$kdir/mfg-image" --busybox "$busybox" --label "$label"
	--log "$out/console${TORTURE_ONLY:+-torture}.log" --results "$results")
# Static test programs for the guest's scenarios (tests/progs).
mfg_build_progs "$cross" "$out"
args+=(--file "$out/src/mfg_hold_test.ko" --file "$out/src/mfg_krp_hold_test.ko")
args+=(--file "$out/src/mfg_krp_target.ko" --file "$out/src/mfg_krp_gone_test.ko")
args+=(--file "$out/src/mfg_gone_target.ko" --file "$out/src/mfg_gone_test.ko")
args+=(--file "$out/src/mfg_tail_test.ko")
args+=(--file "$out/src/mfg_graph.ko" --file "$out/src/mfg_graph_target.ko")
args+=(--file "$top/tests/tracer/graph-lib.sh")
for scenario in "${scenarios[@]}"; do args+=(--scenario "$scenario"); done
# On x86_64 the torture run gets a boot of its own on one host thread:
# multi-threaded TCG has executed stale int3s at call sites ftrace had just
# rewritten (docs/design.md), and the churn rewrites hot call sites
# (vfs_read, copy_process) under load. That boot follows this one.
torture_boot_after=
if [ "$arch" = x86_64 ] && [ -z "${TORTURE_ONLY:-}" ] && [ "$torture_duration" != 0 ]; then
	torture_boot_after=1
fi
if [ "$torture_duration" != 0 ] && [ -z "$torture_boot_after" ]; then
	printf 'TORTURE_DURATION=%s\nTORTURE_WORKLOADS="%s"\n' "$torture_duration" \
		"$torture_workloads" > "$out/torture.conf"
	args+=(--file "$out/torture.conf" --scenario "$here/../torture/torture.sh")
	args+=(--file "$out/src/mfg_torture.ko" --file "$out/src/mfg_torture_target.ko")
	# Each workload: its duration, loading, the drain and the checks
	# (slower under KASAN and lockdep).
	per=$([ "$flavour" = debug ] && echo 120 || echo 40)
	timeout=$((timeout + $(echo $torture_workloads | wc -w) * (torture_duration + per)))
fi
args+=(--timeout "${QEMU_TIMEOUT:-$timeout}")
for m in "${mods[@]}"; do args+=(--module "$m"); done
for s in "${suites[@]}"; do args+=(--suite "$s"); done
# Multi-threaded TCG lets an x86_64 vCPU run into a call site another one
# is rewriting and trap on its int3 (docs/design.md, "Test harness
# caveat"): the KUnit boot, like the torture boot, runs on one host thread.
if [ "$arch" = x86_64 ]; then
	export MFG_QEMU_ACCEL=${MFG_QEMU_ACCEL:-tcg,thread=single}
fi
mkdir -p "$top/build/results"
if [ -z "$torture_boot_after" ]; then
	exec python3 "$here/run.py" "${args[@]}"
fi
status=0
python3 "$here/run.py" "${args[@]}" || status=1
TORTURE_ONLY=1 TORTURE_WORKLOADS="$torture_workloads" TORTURE_DURATION=$torture_duration \
	MFG_QEMU_ACCEL=${MFG_QEMU_ACCEL:-tcg,thread=single} "$0" "$arch" "$flavour" || status=1
exit $status
