# SPDX-License-Identifier: GPL-2.0
#
# mfgraph top-level Makefile.
#
#   make                      build mfgraph.ko against KDIR (default: the running kernel)
#   make check                host tests, then KUnit under QEMU on x86_64 and arm64
#   make check FLAVOUR=debug  the same on the debug kernels (KASAN, lockdep, kmemleak)
#   make check FLAVOUR="default debug"   both, one summary (what CI runs)
#   make host-test            GoogleTest, and the judge's own tests (tests/qemu/test_run.py)
#   make report               tools/mfg-report/mfg-report, the trace reporter
#   make kernel ARCH=arm64    build (or reuse) a test kernel; prints its directory
#   make qemu-test ARCH=x86_64 [FLAVOUR=debug]   one arch under QEMU
#   make torture              the torture suite alone, both arches, both flavours
#                             (ARCH=, FLAVOUR=, DURATION= seconds per workload,
#                             WORKLOADS="fork exec ...")
#   make bench                the benchmark table (host, then one QEMU boot per arch)
#   make profile              where one traced call's instructions go (x86_64, needs gdb)
#   make lint                 checkpatch on the C glue (needs a cached kernel source)
#   make demo [ARCH=arm64]    trace a workload in a QEMU guest, report on the host
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build
FLAVOUR ?= default
CHECK_ARCHES ?= x86_64 arm64
ARCH ?= $(shell uname -m | sed -e s/aarch64/arm64/)

.PHONY: all modules clean host-test kernel qemu-test check lint bench profile torture demo

all: modules

modules:
	@test -d "$(KDIR)" || { echo "make: no kernel build tree at KDIR=$(KDIR)"; \
		echo "make: set KDIR, or use 'make kernel' for a test kernel"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

host-test:
	cmake -S tests/host -B build/host -DCMAKE_BUILD_TYPE=Debug > /dev/null
	cmake --build build/host -j$(shell nproc)
	rm -rf build/host/reports
	python3 tests/qemu/test_run.py --json build/host/reports/judge.json
	cd build/host && GTEST_OUTPUT=json:$(CURDIR)/build/host/reports/ \
		ctest --output-on-failure

# The reporter of mfg_graph's trace events (needs libtraceevent-dev); its
# tests run with the host tests.
.PHONY: report
report:
	$(MAKE) -C tools/mfg-report

kernel:
	@tests/qemu/build-kernel.sh $(ARCH) $(FLAVOUR)

qemu-test:
	tests/qemu/check-arch.sh $(ARCH) $(FLAVOUR)

# Every arch runs even when one fails; the summary then fails the target.
check:
	rm -rf build/results build/.check-failed
	mkdir -p build
	$(MAKE) host-test || echo host > build/.check-failed
	for flavour in $(FLAVOUR); do for arch in $(CHECK_ARCHES); do \
		tests/qemu/check-arch.sh $$arch $$flavour || echo $$arch/$$flavour >> build/.check-failed; \
	done; done
	python3 tests/summary.py build/host/reports build/results \
		$(foreach f,$(FLAVOUR),$(addsuffix -$(f),$(CHECK_ARCHES)))
	@if [ -e build/.check-failed ]; then echo "check failed: $$(cat build/.check-failed)"; \
		rm -f build/.check-failed; exit 1; fi

# The torture suite (tests/torture/, docs/testing.md) on its own, minutes per
# workload; make check runs it for a few seconds per workload. x86_64 runs on
# one host thread (MFG_QEMU_ACCEL overrides): multi-threaded TCG executes
# stale int3s at call sites ftrace just rewrote (docs/design.md), and the
# churn rewrites call sites under load for minutes.
TORTURE_ARCHES = $(if $(filter command line environment,$(origin ARCH)),$(ARCH),$(CHECK_ARCHES))
TORTURE_FLAVOURS = $(if $(filter command line environment,$(origin FLAVOUR)),$(FLAVOUR),default debug)
torture:
	rm -f build/.torture-failed; mkdir -p build
	for flavour in $(TORTURE_FLAVOURS); do for arch in $(TORTURE_ARCHES); do \
		duration=$(DURATION); duration=$${duration:-$$([ $$flavour = debug ] && echo 120 || echo 30)}; \
		accel=$${MFG_QEMU_ACCEL:-$$([ $$arch = x86_64 ] && echo tcg,thread=single || echo tcg)}; \
		MFG_QEMU_ACCEL=$$accel TORTURE_ONLY=1 TORTURE_DURATION=$$duration \
			TORTURE_WORKLOADS="$(WORKLOADS)" tests/qemu/check-arch.sh $$arch $$flavour || \
			echo $$arch/$$flavour >> build/.torture-failed; \
	done; done
	@if [ -e build/.torture-failed ]; then echo "torture failed: $$(cat build/.torture-failed)"; \
		rm -f build/.torture-failed; exit 1; fi

bench:
	tests/bench/bench.sh

# The main job in one command: tests/demo/demo.sh.
demo:
	tests/demo/demo.sh $(ARCH)

# Instruction-by-instruction profile of one traced call per benchmark row
# (x86_64, gdb single-stepping QEMU): build/bench/profile.txt.
profile:
	tests/bench/profile.sh

# C only: checkpatch does not read C++. LINUX_VERSION_CODE in kcompat.h and
# the plain __attribute__ in the kernel-header-free mfg_kernel.h are by design.
MFG_C_SOURCES = fgraph/*.c fgraph/hook.h fgraph/kcompat.h fgraph/ftrace_hash.h fgraph/core.h fgraph/mfg_kernel.h \
	include/*.h arch/*/mfg_arch.h tests/kunit/*.c tests/kunit/*.h \
	kretprobe/*.c tests/bench/*.c tests/torture/*.c tests/torture/*.h \
	tracer/*.c tracer/*.h tests/tracer/*.c tests/demo/*.c
lint:
	@cp=$$(ls -d $${MFG_CACHE:-$$HOME/.cache/mfgraph}/src/linux-source-*/scripts/checkpatch.pl \
		2>/dev/null | head -1); \
	test -n "$$cp" || { echo "lint: run 'make kernel' first (it unpacks the kernel source)"; exit 1; }; \
	perl $$cp --no-tree --strict --terse -f $(MFG_C_SOURCES) \
		--ignore LINUX_VERSION_CODE,PREFER_DEFINED_ATTRIBUTE_MACRO

clean:
	rm -rf build
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
