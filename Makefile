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
#   make install              modules_install into KDIR's kernel, the public
#                             headers and Module.symvers for client modules
#                             (PREFIX, default /usr/local; DESTDIR)
#   make check-dkms           make, make install, a client module and dkms build
#                             against Debian's 6.12 and 6.1 headers, both arches
#   make check-distro         Debian's own kernels under QEMU: DISTRO_KERNELS=
#                             "x86_64/6.12 x86_64/6.1 arm64/6.12" by default
#                             (x86_64/6.12/rt for PREEMPT_RT)
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build
FLAVOUR ?= default
CHECK_ARCHES ?= x86_64 arm64
ARCH ?= $(shell uname -m | sed -e s/aarch64/arm64/)

.PHONY: all modules clean host-test kernel qemu-test check lint bench profile torture demo \
	install check-dkms check-distro

all: modules

# Headers of another arch (Debian's arm64 headers on an amd64 machine, with
# amd64's linux-kbuild: scripts/debian-kernel.sh): cross-compile, with the
# compiler prefix the tree's .config implies unless CROSS_COMPILE is given.
HOST_ARCH := $(shell uname -m | sed -e s/aarch64/arm64/)
KDIR_ARCH = $(shell sed -n -e 's/^CONFIG_ARM64=y$$/arm64/p' -e 's/^CONFIG_X86_64=y$$/x86_64/p' \
	$(KDIR)/.config 2>/dev/null)
MFG_CROSS = $(if $(CROSS_COMPILE),,$(if $(filter-out $(HOST_ARCH),$(KDIR_ARCH)),\
	CROSS_COMPILE=$(patsubst arm64,aarch64,$(KDIR_ARCH))-linux-gnu-))

modules:
	@test -d "$(KDIR)" || { echo "make: no kernel build tree at KDIR=$(KDIR)"; \
		echo "make: set KDIR, or use 'make kernel' for a test kernel"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(MFG_CROSS) modules

# Client modules build with -I$(PREFIX)/include/mfgraph and
# KBUILD_EXTRA_SYMBOLS=$(PREFIX)/share/mfgraph/<kernelrelease>/Module.symvers
# (README: "On your own machine").
PREFIX ?= /usr/local
# Debian's headers set the release in .kernelvariables (their
# include/config/kernel.release says 6.1.192 for 6.1.0-57-amd64).
KERNELRELEASE_OF_KDIR = $(or $(shell sed -n 's/^override KERNELRELEASE = //p' \
	$(KDIR)/.kernelvariables 2>/dev/null),$(shell cat $(KDIR)/include/config/kernel.release))
# A distribution's headers have neither its signing key (modules_install
# would try to sign with it) nor System.map (kbuild then skips depmod).
MFG_NO_SIGN = $(if $(wildcard $(KDIR)/certs/signing_key.pem),,CONFIG_MODULE_SIG_ALL=)
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(MFG_CROSS) $(MFG_NO_SIGN) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	$(if $(DESTDIR),,depmod $(KERNELRELEASE_OF_KDIR))
	install -d $(DESTDIR)$(PREFIX)/include/mfgraph
	install -m 644 include/mfgraph.h include/mfgraph_abi.h include/mfg_kretprobe.h \
		$(DESTDIR)$(PREFIX)/include/mfgraph/
	install -D -m 644 Module.symvers \
		$(DESTDIR)$(PREFIX)/share/mfgraph/$(KERNELRELEASE_OF_KDIR)/Module.symvers

# Debian's headers are fetched into ~/.cache/mfgraph/debian (scripts/debian-kernel.sh).
check-dkms:
	scripts/check-dkms.sh $(DISTRO_TARGETS)

DISTRO_KERNELS ?= x86_64/6.12 x86_64/6.1 arm64/6.12
check-distro:
	rm -f build/.distro-failed; mkdir -p build
	for k in $(DISTRO_KERNELS); do \
		tests/qemu/check-distro.sh $$(echo $$k | tr / ' ') || echo $$k >> build/.distro-failed; \
	done
	@if [ -e build/.distro-failed ]; then echo "check-distro failed: $$(cat build/.distro-failed)"; \
		rm -f build/.distro-failed; exit 1; fi

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

# C only: checkpatch does not read C++, nor the assembler wrappers.
# LINUX_VERSION_CODE in fgraph/wrapper/ and the plain __attribute__ in the
# kernel-header-free mfg_kernel.h are by design.
MFG_C_SOURCES = fgraph/*.c fgraph/hook.h fgraph/kcompat.h $(filter-out %_asm.h,$(wildcard fgraph/wrapper/*.h)) fgraph/ftrace_hash.h fgraph/core.h fgraph/mfg_kernel.h \
	include/*.h arch/*/mfg_arch.h arch/*/release.c arch/*/unwind.c tests/kunit/*.c tests/kunit/*.h tests/kunit/shim/*.[ch] \
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
