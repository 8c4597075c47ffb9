#!/bin/bash
# make bench: host microbenchmarks, then the in-kernel benchmark in one QEMU
# boot per arch with -icount shift=0 (1 ns of guest time = 1 instruction),
# merged into one table (also written to build/bench/table.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/build/bench
mkdir -p "$out"

echo "== host microbenchmarks (Google Benchmark, core only)"
cmake -S "$top/tests/host" -B "$top/build/host-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
if cmake --build "$top/build/host-bench" --target mfg_core_bench -j"$(nproc)" >/dev/null 2>&1; then
	"$top/build/host-bench/mfg_core_bench" --benchmark_min_time=0.2 2>/dev/null | tee "$out/host.txt"
else
	echo "(Google Benchmark not installed: apt-get install libbenchmark-dev)"
fi

for arch in x86_64 arm64; do
	echo "== $arch: building"
	kdir=$(MFG_BUILD_ONLY=1 "$top/tests/qemu/check-arch.sh" "$arch" default 2>"$out/$arch-build.log" | tail -1)
	src=$top/build/$arch-default/src
	busybox=$("$top/tests/qemu/busybox.sh" "$arch")
	echo "== $arch: one boot under -icount shift=0"
	MFG_QEMU_ARGS="-icount shift=0" python3 "$top/tests/qemu/run.py" --arch "$arch" \
		--kernel "$kdir/mfg-image" --busybox "$busybox" --memory 2G --timeout 900 --cpus 1 \
		--module "$src/mfgraph.ko" --module "$src/mfg_kretprobe.ko" --module "$src/mfg_bench.ko" \
		--label "bench/$arch" --log "$out/$arch.log" | tail -1
done
python3 "$here/table.py" "$out/x86_64.log" "$out/arm64.log" | tee "$out/table.md"
