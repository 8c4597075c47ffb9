#!/bin/bash
# make profile: where the instructions of one traced call go, per benchmark
# row, on x86_64 (see profile.py). Extra arguments go to profile.py, e.g.
#   tests/bench/profile.sh --row "mfgraph, 1 user" --detail "mfg_core_entry [mfgraph]"
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/build/bench
mkdir -p "$out"
command -v gdb >/dev/null || { echo "profile: gdb not found (apt-get install gdb)"; exit 1; }
kdir=$(MFG_BUILD_ONLY=1 "$top/tests/qemu/check-arch.sh" x86_64 default 2>"$out/profile-build.log" | tail -1)
busybox=$("$top/tests/qemu/busybox.sh" x86_64)
python3 "$here/profile.py" --kernel-dir "$kdir" --busybox "$busybox" \
	--src "$top/build/x86_64-default/src" --out "$out" "$@" | tee "$out/profile.txt"
