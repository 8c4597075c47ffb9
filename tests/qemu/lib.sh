# SPDX-License-Identifier: GPL-2.0
#
# Shared by check-arch.sh and check-distro.sh: sourced, not run.

# The KUnit suites make check runs, on the test kernels and on Debian's, and
# the modules they need after mfgraph.ko, in load order.
mfg_kunit_modules=(mfg_module_test mfg_core_test mfg_hook_test mfg_kretprobe mfg_kretprobe_test
	mfg_unwind_test mfg_ftrace_hash_test mfg_api_test mfg_sched_test mfg_fault_test)
mfg_kunit_suites=(mfgraph_module mfgraph_core mfgraph_hook mfgraph_kretprobe mfgraph_unwind
	mfgraph_ftrace_hash mfgraph_api mfgraph_sched mfgraph_fault)

# Copy the sources a module build needs into $1. Kbuild writes objects next
# to the sources of an external module, so each kernel builds in its own
# copy; rsync keeps mtimes, so rebuilds stay incremental, and --delete
# leaves the excluded build products (Kbuild's own .cmd/.o files) alone.
mfg_copy_sources() {
	mkdir -p "$1"
	rsync -a --delete --exclude='/build/' --exclude='/.git/' --exclude='*.o' --exclude='*.ko' \
		--exclude='.*.cmd' --exclude='*.mod' --exclude='*.mod.c' --exclude='modules.order' \
		--exclude='Module.symvers' --exclude='.tmp_versions/' \
		--include='/Kbuild' --include='/Makefile' --include='/fgraph/***' \
		--include='/include/***' --include='/arch/***' --include='/kretprobe/***' \
		--include='/tracer/***' --include='/scripts/***' --include='/tests/' \
		--include='/tests/core/***' --include='/tests/kunit/***' --include='/tests/bench/***' \
		--include='/tests/torture/***' --include='/tests/tracer/***' \
		--include='/tests/demo/***' --exclude='*' \
		"$top/" "$1/"
}

# Build the guest's static test programs (tests/progs) with compiler prefix
# $1 into $2, and pass each to run.py: appends to the caller's args array.
mfg_build_progs() {
	local prog name
	for prog in "$top"/tests/progs/*.c; do
		name=$(basename "$prog" .c)
		"${1}gcc" -static -O2 -pthread -Wall -Werror -o "$2/$name" "$prog"
		args+=(--file "$2/$name")
	done
}
