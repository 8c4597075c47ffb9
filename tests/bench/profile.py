#!/usr/bin/env python3
"""Exact instruction profile of one traced call per benchmark row (x86_64).

    profile.py --kernel-dir KDIR --busybox BUSYBOX --src MODULE_DIR [--out DIR]

Boots the x86_64 test kernel under QEMU with its gdbstub on, loads mfgraph,
mfg_kretprobe and mfg_bench with profile=1, and lets gdb single-step every
instruction of one call of the benchmark's target per row (from one call of
mfg_bench_mark() to the next). Each address is then named from System.map
and the modules' /proc/kallsyms, and the script prints, per row, how many
instructions ran in each function, in the order they first ran. The total
counts the two marks' call and return too (about 6 instructions more than
the benchmark's per-call figure).

Single-stepping under TCG is exact: every guest instruction is one step.
Interrupts are off around the profiled call.
"""
import argparse
import bisect
import collections
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "qemu"))
import run  # noqa: E402  (build_initramfs, QEMU)

SCENARIO = r"""
step "insmod mfgraph (profile)" insmod /mfg/mfgraph.ko
step "insmod mfg_kretprobe (profile)" insmod /mfg/mfg_kretprobe.ko
step "insmod mfg_bench profile=1" insmod /mfg/mfg_bench.ko profile=1
echo "MFG-KALLSYMS-BEGIN"
grep -E '\[(mfgraph|mfg_kretprobe|mfg_bench)\]' /proc/kallsyms
echo "MFG-KALLSYMS-END"
step "rmmod mfg_bench (profile)" rmmod mfg_bench
step "rmmod mfg_kretprobe (profile)" rmmod mfg_kretprobe
step "rmmod mfgraph (profile)" rmmod mfgraph
"""

# Runs inside gdb: attach, release the module, then for every mark with a
# label step to the next mark and record each pc.
GDB_SCRIPT = r"""
import gdb
out = open(OUT, "w")
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("target remote :%d" % PORT)
gdb.execute("break *%#x" % MARK)
gdb.execute("set {int}%#x = 1" % GO)
inferior = gdb.selected_inferior()
while True:
    gdb.execute("continue", to_string=True)
    label_ptr = int(gdb.parse_and_eval("$rdi")) & (2**64 - 1)
    if label_ptr == 0:
        continue
    raw = bytes(inferior.read_memory(label_ptr, 80))
    label = raw.split(b"\0")[0].decode()
    if not label:
        break
    out.write("ROW %s\n" % label)
    steps = 0
    while steps < 200000:
        gdb.execute("stepi", to_string=True)
        steps += 1
        pc = int(gdb.parse_and_eval("$pc")) & (2**64 - 1)
        if pc == MARK:
            break
        out.write("%x\n" % pc)
    out.flush()
gdb.execute("delete")
gdb.execute("detach")
out.close()
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Symbols:
    def __init__(self):
        self.addrs = []
        self.names = []
        self.sizes = []

    def add(self, addr, name, size=None):
        self.addrs.append(addr)
        self.names.append(name)
        self.sizes.append(size)

    def finish(self):
        order = sorted(range(len(self.addrs)), key=lambda i: self.addrs[i])
        self.addrs = [self.addrs[i] for i in order]
        self.names = [self.names[i] for i in order]
        self.sizes = [self.sizes[i] for i in order]

    def start(self, pc):
        return self.addrs[bisect.bisect_right(self.addrs, pc) - 1]

    def name(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        if i < 0:
            return "?"
        if self.sizes[i] is not None and pc >= self.addrs[i] + self.sizes[i]:
            # Past a module function's end: ftrace's dynamic trampoline,
            # allocated among the modules.
            return "(ftrace ops trampoline)"
        return self.names[i]


def symbol_sizes(ko):
    sizes = {}
    nm = subprocess.run(["nm", "-S", "--defined-only", ko], capture_output=True, text=True).stdout
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 4:
            sizes[parts[3]] = int(parts[1], 16)
    return sizes


def demangle(names):
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True).stdout
    return dict(zip(names, out.splitlines()))


def load_symbols(system_map, kallsyms_lines, src):
    syms = Symbols()
    sizes = {}
    for m in ("mfgraph", "mfg_kretprobe", "mfg_bench"):
        sizes[m] = symbol_sizes(os.path.join(src, m + ".ko"))
    for line in open(system_map).read().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].lower() in ("t", "w"):
            syms.add(int(parts[0], 16), parts[2])
    pretty = demangle([l.split()[2] for l in kallsyms_lines if len(l.split()) >= 4])
    for line in kallsyms_lines:
        parts = line.split()
        if len(parts) < 4 or parts[1].lower() not in ("t", "w"):
            continue
        module = parts[3].strip("[]")
        name = re.sub(r"\(anonymous namespace\)::|mfg::", "", pretty.get(parts[2], parts[2]))
        syms.add(int(parts[0], 16), "%s [%s]" % (name, module), sizes.get(module, {}).get(parts[2]))
    syms.finish()
    return syms


def boot(args, trace, console):
    """One boot with the gdbstub on; gdb writes @trace, the console goes to @console."""
    tmp = tempfile.mkdtemp(prefix="mfg-profile-")
    scenario = os.path.join(tmp, "profile.sh")
    with open(scenario, "w") as f:
        f.write(SCENARIO)
    initrd = os.path.join(tmp, "initramfs.cpio.gz")
    run.build_initramfs(initrd, args.busybox, [],
                        [os.path.join(args.src, m) for m in ("mfgraph.ko", "mfg_kretprobe.ko", "mfg_bench.ko")],
                        [scenario])
    port = free_port()
    q = run.QEMU["x86_64"]
    cmd = [q["bin"]] + q["args"] + [
        "-smp", "1", "-m", "1G", "-nographic", "-monitor", "none", "-no-reboot",
        "-icount", "shift=0", "-gdb", "tcp:127.0.0.1:%d" % port,
        "-kernel", os.path.join(args.kernel_dir, "mfg-image"), "-initrd", initrd,
        "-append", "console=%s panic=-1 oops=panic loglevel=7 %s" % (q["console"], q["append"]),
    ]
    if os.path.exists(trace):
        os.unlink(trace)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    timer = threading.Timer(900, proc.kill)
    timer.start()
    gdb = None
    with open(console, "w") as log:
        for line in proc.stdout:
            log.write(line)
            m = re.search(r"waiting for the debugger: go=([0-9a-f]+) mark=([0-9a-f]+)", line)
            if m and gdb is None:
                script = os.path.join(tmp, "gdb.py")
                with open(script, "w") as f:
                    f.write("OUT=%r\nPORT=%d\nGO=%#x\nMARK=%#x\n" % (trace, port, int(m.group(1), 16),
                                                                 int(m.group(2), 16)))
                    f.write(GDB_SCRIPT)
                gdb = subprocess.Popen(["gdb", "-q", "-nx", "-batch", "-x", script],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.wait()
    timer.cancel()
    if gdb:
        gdb.wait()
    shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel-dir", required=True)
    ap.add_argument("--busybox", required=True)
    ap.add_argument("--src", required=True, help="the directory with the built .ko files")
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--row", action="append", default=[], help="print only these rows")
    ap.add_argument("--detail", action="append", default=[],
                    help="also list each instruction of this function (name as printed) with its count")
    ap.add_argument("--reuse", action="store_true", help="analyse the last run's trace again, no boot")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    trace = os.path.join(args.out, "profile-trace.txt")
    console = os.path.join(args.out, "profile-console.log")
    if not args.reuse:
        boot(args, trace, console)
    if not os.path.exists(trace):
        sys.exit("profile.py: no trace (see %s)" % console)

    kallsyms, in_syms = [], False
    for line in open(console, errors="replace"):
        body = run.TIME_PREFIX.sub("", line.rstrip("\n"))
        if "MFG-KALLSYMS-BEGIN" in body:
            in_syms = True
        elif "MFG-KALLSYMS-END" in body:
            in_syms = False
        elif in_syms:
            kallsyms.append(body)
    syms = load_symbols(os.path.join(args.kernel_dir, "System.map"), kallsyms, args.src)
    rows = collections.OrderedDict()
    current = None
    for line in open(trace):
        if line.startswith("ROW "):
            current = rows.setdefault(line[4:].strip(), [])
        elif current is not None:
            current.append(int(line, 16))
    for label, pcs in rows.items():
        if args.row and label not in args.row:
            continue
        per = collections.OrderedDict()
        for pc in pcs:
            name = syms.name(pc)
            per[name] = per.get(name, 0) + 1
        print("== %s: %d instructions" % (label, len(pcs)))
        for name, n in per.items():
            print("  %5d  %s" % (n, name))
        for name in args.detail:
            hits = collections.Counter(pc for pc in pcs if syms.name(pc) == name)
            if not hits:
                continue
            base = syms.start(min(hits))
            print("  -- %s, offset: count" % name)
            print("  " + " ".join("+%#x:%d" % (pc - base, hits[pc]) for pc in sorted(hits)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
