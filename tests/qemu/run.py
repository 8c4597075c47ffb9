#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot a test kernel under QEMU (TCG), load modules, judge the run.

The guest is a busybox initramfs whose /init loads the given modules in
order (KUnit suites run at load), then unloads them, reloads and unloads
mfgraph, runs the scenario scripts, scans kmemleak when the kernel has it,
and reboots. The run is
judged from the console alone:

  * every expected KUnit suite reports and every case in it is ok;
  * every load/unload step succeeded, scenario steps included;
  * no BUG/WARNING/Oops/KASAN/lockdep/RCU report, no panic;
  * kmemleak reports nothing that points into an mfg module;
  * the guest reached the end before the timeout.

The whole console goes to --log. Each suite's result is printed, then a
closing line "N passed, N failed". A JSON summary goes to --results.
"""
import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

BAD_PATTERNS = [
    r"\bBUG:", r"\bWARNING:", r"\bOops\b", r"KASAN:", r"UBSAN:", r"Kernel panic",
    r"general protection fault", r"Unable to handle kernel", r"kernel BUG at",
    r"possible recursive locking", r"possible circular locking",
    r"inconsistent lock state", r"suspicious RCU usage", r"INFO: rcu_\w+ detected stall",
    r"INFO: task .* blocked for more than",
    r"unreferenced object", r"Call Trace:",
]
BAD_RE = re.compile("|".join(BAD_PATTERNS))
TIME_PREFIX = re.compile(r"^\[\s*\d+\.\d+\]\s?")


def cpio_newc(entries):
    """A newc cpio archive from (name, mode, data-or-None, rdev) entries."""
    out = bytearray()
    ino = 1
    for name, mode, data, rdev in entries + [("TRAILER!!!", 0, b"", (0, 0))]:
        data = data or b""
        namez = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(namez), 0))
        out += hdr.encode() + namez
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
        ino += 1
    return bytes(out)


INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t devtmpfs devtmpfs /dev
echo "MFG-RUNNER: boot ok, $(nproc) cpus, kernel $(uname -r)"
step() {
	desc="$1"; shift
	out=$("$@" 2>&1); rc=$?
	[ -n "$out" ] && echo "$out"
	if [ $rc = 0 ]; then echo "MFG-STEP: ok: $desc"; else echo "MFG-STEP: FAIL: $desc (rc=$rc)"; fi
	return $rc
}
step_fails() {
	desc="$1"; shift
	out=$("$@" 2>&1); rc=$?
	[ -n "$out" ] && echo "$out"
	if [ $rc != 0 ]; then echo "MFG-STEP: ok: $desc"; else echo "MFG-STEP: FAIL: $desc (it succeeded)"; fi
}
loaded=""
for m in $(cat /mfg/load-order); do
	step "insmod $m" insmod /mfg/$m.ko && loaded="$m $loaded"
done
for m in $loaded; do
	step "rmmod $m" rmmod $m
done
if grep -qx mfgraph /mfg/load-order; then
	step "insmod mfgraph (reload)" insmod /mfg/mfgraph.ko
	step "rmmod mfgraph (reload)" rmmod mfgraph
fi
for scenario in /mfg/scenario-*.sh; do
	[ -e "$scenario" ] || continue
	echo "MFG-RUNNER: scenario $scenario"
	. "$scenario"
done
if [ -e /sys/kernel/debug/kmemleak ]; then
	# Objects younger than 5 s are never reported: let ours age first.
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	echo "MFG-KMEMLEAK-BEGIN"
	cat /sys/kernel/debug/kmemleak
	echo "MFG-KMEMLEAK-END"
fi
echo "MFG-RUNNER: done"
reboot -f
"""

QEMU = {
    "x86_64": {
        "bin": "qemu-system-x86_64",
        "args": ["-M", "pc", "-cpu", "max"],
        "console": "ttyS0",
        # The TSC of a TCG guest drifts against the HPET; when the watchdog
        # notices, sched_clock flips a static key, and the kernel rewrites
        # code while the other vCPU runs it. Multi-threaded TCG has shown
        # stale int3 executions after such rewrites (see docs/design.md).
        "append": "tsc=reliable",
    },
    "arm64": {
        "bin": "qemu-system-aarch64",
        "args": ["-M", "virt,gic-version=3", "-cpu", "max,pauth-impdef=on"],
        "console": "ttyAMA0",
        "append": "",
    },
}


class Judge:
    """Reads the console line by line and keeps the verdict."""

    def __init__(self):
        self.suites = {}        # name -> {"passed", "failed", "skipped", "ok"}
        self.current = None     # suite whose cases are being printed
        self.steps = []         # (ok, description)
        self.problems = []      # bad console lines
        self.in_kmemleak = False
        self.kmemleak = []
        self.done = False
        self.booted = False
        self.cpus = 0

    def feed(self, raw):
        line = TIME_PREFIX.sub("", raw.rstrip("\r\n"))
        body = line.strip()
        m = re.match(r"MFG-RUNNER: boot ok, (\d+) cpus", body)
        if m:
            self.booted = True
            self.cpus = int(m.group(1))
        if body == "MFG-RUNNER: done":
            self.done = True
            return
        if body == "MFG-KMEMLEAK-BEGIN":
            self.in_kmemleak = True
            return
        if body == "MFG-KMEMLEAK-END":
            self.in_kmemleak = False
            return
        if self.in_kmemleak:
            self.kmemleak.append(body)
            return
        m = re.match(r"MFG-STEP: (ok|FAIL): (.*)", body)
        if m:
            self.steps.append((m.group(1) == "ok", m.group(2)))
            return
        self.parse_ktap(line)
        if BAD_RE.search(line):
            self.problems.append(body)

    def parse_ktap(self, line):
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        m = re.match(r"# Subtest: (\S+)", body)
        if m and indent == 4:
            self.current = m.group(1)
            self.suites[self.current] = {"passed": 0, "failed": 0, "skipped": 0, "ok": None}
            return
        m = re.match(r"(ok|not ok) \d+ (\S+)(.*)", body)
        if not m:
            return
        ok, name, rest = m.group(1) == "ok", m.group(2), m.group(3)
        if indent == 0 and name in self.suites:
            self.suites[name]["ok"] = ok
            self.current = None
            return
        # Leaf results: plain cases at indent 4, parameters at indent 8. A
        # parameterised case also prints a summary line at indent 4 after its
        # parameters; it is not a leaf.
        if self.current is None or indent not in (4, 8):
            return
        s = self.suites[self.current]
        if indent == 4 and s.get("params_open"):
            s["params_open"] = False
            if not ok and s["failed"] == s.get("failed_at_open", 0):
                s["failed"] += 1
            return
        if indent == 8 and not s.get("params_open"):
            s["params_open"] = True
            s["failed_at_open"] = s["failed"]
        if "# SKIP" in rest:
            s["skipped"] += 1
        elif ok:
            s["passed"] += 1
        else:
            s["failed"] += 1


def build_initramfs(path, busybox, modules, files=(), scenarios=()):
    entries = []
    for d in ("bin", "dev", "proc", "sys", "mfg", "tmp"):
        entries.append((d, 0o40755, None, (0, 0)))
    entries.append(("dev/console", 0o20600, None, (5, 1)))
    with open(busybox, "rb") as f:
        entries.append(("bin/busybox", 0o100755, f.read(), (0, 0)))
    entries.append(("init", 0o100755, INIT.encode(), (0, 0)))
    order = []
    for mod in modules:
        name = os.path.basename(mod)[:-3]
        with open(mod, "rb") as f:
            entries.append(("mfg/%s.ko" % name, 0o100644, f.read(), (0, 0)))
        order.append(name)
    entries.append(("mfg/load-order", 0o100644, ("\n".join(order) + "\n").encode(), (0, 0)))
    for extra in files:
        with open(extra, "rb") as f:
            mode = 0o100755 if os.access(extra, os.X_OK) else 0o100644
            entries.append(("mfg/" + os.path.basename(extra), mode, f.read(), (0, 0)))
    for i, script in enumerate(scenarios):
        with open(script, "rb") as f:
            name = "mfg/scenario-%02d-%s" % (i, os.path.basename(script))
            entries.append((name, 0o100644, f.read(), (0, 0)))
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(cpio_newc(entries))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, choices=sorted(QEMU))
    ap.add_argument("--kernel", required=True, help="bzImage or Image")
    ap.add_argument("--busybox", required=True, help="a static busybox of the guest's arch")
    ap.add_argument("--module", action="append", default=[], help="a .ko to load, in order")
    ap.add_argument("--suite", action="append", default=[], help="a KUnit suite that must report")
    ap.add_argument("--file", action="append", default=[], help="a file for /mfg, not loaded")
    ap.add_argument("--scenario", action="append", default=[],
                    help="a shell script sourced by /init after the suites (may use step, step_fails)")
    ap.add_argument("--label", default="", help="name printed with the results")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--memory", default="1G")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--append", default="", help="extra kernel command line")
    ap.add_argument("--log", required=True)
    ap.add_argument("--results", help="JSON summary")
    args = ap.parse_args()
    label = args.label or args.arch

    q = QEMU[args.arch]
    if not shutil.which(q["bin"]):
        sys.exit("run.py: %s not found (apt-get install qemu-system-x86 qemu-system-arm)" % q["bin"])
    for path in [args.kernel, args.busybox] + args.module + args.file + args.scenario:
        if not os.path.isfile(path):
            sys.exit("run.py: missing %s" % path)

    tmp = tempfile.mkdtemp(prefix="mfg-qemu-")
    initrd = os.path.join(tmp, "initramfs.cpio.gz")
    build_initramfs(initrd, args.busybox, args.module, args.file, args.scenario)
    cmdline = "console=%s panic=-1 oops=panic loglevel=7 %s %s" % (q["console"], q["append"], args.append)
    cmd = [q["bin"]] + q["args"] + [
        "-smp", str(args.cpus), "-m", args.memory, "-accel", os.environ.get("MFG_QEMU_ACCEL", "tcg"),
        "-nographic", "-monitor", "none", "-no-reboot",
        "-kernel", args.kernel, "-initrd", initrd, "-append", cmdline.strip(),
    ] + os.environ.get("MFG_QEMU_ARGS", "").split()
    judge = Judge()
    start = time.monotonic()
    os.makedirs(os.path.dirname(os.path.abspath(args.log)), exist_ok=True)
    with open(args.log, "w", errors="replace") as log:
        log.write("# " + " ".join(cmd) + "\n")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
        timer = threading.Timer(args.timeout, proc.kill)
        timer.start()
        for line in proc.stdout:
            log.write(line)
            judge.feed(line)
        proc.wait()
        timer.cancel()
    elapsed = time.monotonic() - start
    shutil.rmtree(tmp, ignore_errors=True)

    failures = []
    if not judge.booted:
        failures.append("the guest never reached /init")
    elif judge.cpus != args.cpus:
        failures.append("the guest runs %d cpus, not %d" % (judge.cpus, args.cpus))
    if not judge.done:
        failures.append("no clean end: hang or crash (timeout %ds, ran %.0fs)" % (args.timeout, elapsed))
    passed = failed = skipped = 0
    for suite in args.suite:
        s = judge.suites.get(suite)
        if s is None:
            failures.append("suite %s never reported" % suite)
            failed += 1
            print("%s %-24s MISSING" % (label, suite))
            continue
        passed += s["passed"]
        failed += s["failed"]
        skipped += s["skipped"]
        verdict = "ok" if s["ok"] and not s["failed"] else "FAILED"
        if verdict != "ok":
            failures.append("suite %s failed" % suite)
        print("%s %-24s %s: %d passed, %d failed, %d skipped" % (
            label, suite, verdict, s["passed"], s["failed"], s["skipped"]))
    for name in sorted(set(judge.suites) - set(args.suite)):
        failures.append("unexpected suite %s reported" % name)
    for ok, desc in judge.steps:
        passed += ok
        failed += not ok
        if not ok:
            failures.append("step failed: " + desc)
    print("%s %-24s %d of %d ok" % (label, "load/unload steps", sum(ok for ok, _ in judge.steps), len(judge.steps)))
    ours = [l for l in judge.kmemleak if re.search(r"\[mfg\w*\]|mfg_", l)]
    if ours:
        failures.append("kmemleak reports objects of ours")
    if judge.kmemleak:
        print("%s kmemleak: %d report lines, %d about mfgraph" % (label, len(judge.kmemleak), len(ours)))
    for p in judge.problems:
        failures.append("console: " + p)
    for f in failures:
        print("%s FAILURE: %s" % (label, f))
    if failures and not failed:
        failed = 1
    print("%s: %d passed, %d failed, %d skipped (%.0fs, log %s)" % (label, passed, failed, skipped, elapsed, args.log))
    if args.results:
        with open(args.results, "w") as f:
            json.dump({"label": label, "passed": passed, "failed": failed, "skipped": skipped,
                       "failures": failures, "seconds": round(elapsed)}, f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
