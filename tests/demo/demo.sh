#!/bin/bash
# make demo [ARCH=arm64]: on a fresh Debian 12 machine, install what is
# missing, build (or reuse) the test kernel, the modules and mfg-report,
# boot the kernel under QEMU, trace a real workload with two mfg_graph
# instances and an mfg_kretprobe (tests/demo/guest.sh), bring the raw ring
# buffer out over the console, and report on it on the host.
set -euo pipefail
arch=${1:-x86_64}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/build/demo/$arch
phase=0
phase() { phase=$((phase + 1)); echo "demo: [$phase/6 $(date +%T)] $*"; }
fail() { echo "demo: $*" >&2; exit 1; }
case $arch in x86_64 | arm64) ;; *) fail "ARCH must be x86_64 or arm64, not '$arch'" ;; esac
mkdir -p "$out"
cd "$top"

phase "packages"
. scripts/packages.sh
mfg_install_packages

phase "test kernel for $arch (cached in ${MFG_CACHE:-~/.cache/mfgraph}; the first build takes minutes)"
kdir=$(tests/qemu/build-kernel.sh "$arch" default 2> "$out/kernel.log") ||
	{ tail -20 "$out/kernel.log"; fail "kernel build failed (log: $out/kernel.log)"; }
echo "demo: kernel $kdir"

phase "modules"
MFG_BUILD_ONLY=1 tests/qemu/check-arch.sh "$arch" default > /dev/null 2> "$out/modules.log" ||
	{ tail -20 "$out/modules.log"; fail "module build failed (log: $out/modules.log)"; }
mods=$top/build/$arch-default/src
busybox=$(tests/qemu/busybox.sh "$arch" 2>/dev/null)

phase "mfg-report"
report=
if [ -f tools/mfg-report/Makefile ]; then
	make -s -C tools/mfg-report > "$out/report-build.log" 2>&1 ||
		{ tail -20 "$out/report-build.log"; fail "mfg-report build failed"; }
	report=$top/tools/mfg-report/mfg-report
	echo "demo: $report"
else
	echo "demo: tools/mfg-report is not in this tree: the demo will show the trace text instead"
fi

phase "guest: boot, trace the workload, copy the buffers out (a minute or two under TCG)"
# The guest's MFG-DEMO lines as they come, then the runner's verdict.
python3 tests/qemu/run.py --arch "$arch" --kernel "$kdir/mfg-image" --busybox "$busybox" \
	--label "demo/$arch" --log "$out/console.log" --timeout 900 --echo '^MFG-DEMO: ' \
	--file "$mods/mfgraph.ko" --file "$mods/mfg_graph.ko" --file "$mods/mfg_kretprobe.ko" \
	--file "$mods/mfg_demo_probe.ko" --file "$top/tests/tracer/graph-lib.sh" \
	--scenario "$here/guest.sh" || fail "the guest run failed (console: $out/console.log)"
dir=$out/trace
rm -rf "$dir"
mkdir -p "$dir"
python3 - "$out/console.log" "$out/demo.tgz" <<'PY'
import base64, hashlib, re, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
begin = [i for i, l in enumerate(lines) if l.startswith("MFG-DEMO-TAR-BEGIN")]
end = [i for i, l in enumerate(lines) if l.startswith("MFG-DEMO-TAR-END")]
if not begin or not end:
    sys.exit("demo: no archive between MFG-DEMO-TAR-BEGIN and -END in the console")
want = lines[begin[0]].split()[1]
data = base64.b64decode("".join(l.strip() for l in lines[begin[0] + 1:end[0]]))
if hashlib.md5(data).hexdigest() != want:
    sys.exit("demo: the archive came out damaged (md5 %s, guest said %s)" % (hashlib.md5(data).hexdigest(), want))
open(sys.argv[2], "wb").write(data)
PY
tar xzf "$out/demo.tgz" -C "$dir"
echo "demo: extracted to $dir: $(cd "$dir" && find . -type f | sort | tr '\n' ' ')"

phase "report"
if [ -n "$report" ]; then
	# It prints a graph excerpt, the summary, and where the SVG went.
	rm -f "$out/mfg-flame.svg"
	(cd "$out" && "$report" "$dir")
	[ -s "$out/mfg-flame.svg" ] || fail "mfg-report wrote no flame graph"
else
	echo "demo: the first mfgraph events of $dir/trace:"
	grep -m 40 ' graph_' "$dir/trace"
fi
