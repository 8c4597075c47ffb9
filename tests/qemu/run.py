#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot a test kernel under QEMU (TCG), load modules, judge the run.

The guest is a busybox initramfs whose /init loads the given modules in
order (KUnit suites run at load; each load prints where the module's code
sections went and mfgraph's debugfs stats), scans kmemleak while they are
loaded, then unloads them, reloads and unloads mfgraph, runs the scenario
scripts, scans kmemleak again and reboots. The run is judged from the
console alone (verdict()):

  * every expected KUnit suite reports once, its plan matches its cases,
    every case in it is ok and at least one passed (skips are counted);
  * every load/unload step succeeded, scenario steps included (a step whose
    command is `true` fails);
  * no BUG/WARNING/Oops/KASAN/lockdep/RCU report, no panic;
  * mfgraph and mfg_kretprobe print no error or warning that the case or
    scenario it appears in does not expect (tests/qemu/expected.py);
  * the checked mfgraph stats (expected.CHECKED_STATS) do not rise during a
    suite that does not expect it;
  * kmemleak reports nothing with a frame in an mfg module: by name while
    loaded, by the recorded code ranges once freed;
  * the guest reached the end before the timeout.

The whole console goes to --log. Each suite's result is printed, then a
closing line "N passed, N failed, N skipped". A JSON summary goes to
--results. tests/qemu/test_run.py tests the judge on recorded and synthetic
console logs (tests/qemu/fixtures).
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
import struct
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expected as expected_mod  # noqa: E402

# A stack dump's header: "Call Trace:" on x86_64, "Call trace:" on arm64.
STACK_DUMP = r"Call [Tt]race:"
BAD_PATTERNS = [
    r"\bBUG:", r"\bWARNING:", r"\bOops\b", r"KASAN:", r"UBSAN:", r"Kernel panic",
    r"general protection fault", r"Unable to handle kernel", r"kernel BUG at",
    r"possible recursive locking", r"possible circular locking",
    r"inconsistent lock state", r"suspicious RCU usage", r"INFO: rcu_\w+ detected stall",
    r"INFO: task .* blocked for more than",
    r"unreferenced object", STACK_DUMP,
]
BAD_RE = re.compile("|".join(BAD_PATTERNS))
# The kernel's report of an allocation that failed (warn_alloc()), which a
# stack dump follows: expected only in expected.ALLOC_FAILURE_SUITES.
ALLOC_FAILURE_RE = re.compile(r"\S+: (vmalloc error: |page allocation failure: )")
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
	# A step must check something: "true" (or ":") always succeeds.
	case "$1" in true|:) echo "MFG-STEP: FAIL: $desc (the step checks nothing)"; return 1 ;; esac
	out=$("$@" 2>&1); rc=$?
	[ -n "$out" ] && echo "$out"
	if [ $rc = 0 ]; then echo "MFG-STEP: ok: $desc"; else echo "MFG-STEP: FAIL: $desc (rc=$rc)"; fi
	return $rc
}
# A step that cannot run on this kernel, and why: counted as skipped.
step_skip() {
	echo "MFG-STEP: skip: $1 ($2)"
}
step_fails() {
	desc="$1"; shift
	out=$("$@" 2>&1); rc=$?
	[ -n "$out" ] && echo "$out"
	if [ $rc != 0 ]; then echo "MFG-STEP: ok: $desc"; else echo "MFG-STEP: FAIL: $desc (it succeeded)"; fi
}
# Every load prints where the module's code sections went, so that the judge
# can tell a raw address in a kmemleak backtrace (frames in freed module
# text are not symbolised) as ours. /mfg/<m>.sections: "section size" lines.
insmod() {
	/bin/busybox insmod "$@" || return
	m=$(basename "$1" .ko)
	[ -e /mfg/$m.sections ] || return 0
	while read sec size; do
		addr=$(cat /sys/module/$m/sections/$sec 2>/dev/null) &&
			echo "MFG-MODULE: $m $sec $addr $size"
	done < /mfg/$m.sections
	return 0
}
mfg_stats() {
	[ -e /sys/kernel/debug/mfgraph/stats ] || return 0
	echo "MFG-STATS-BEGIN $1"
	cat /sys/kernel/debug/mfgraph/stats
	echo "MFG-STATS-END"
}
kmemleak_report() {
	[ -e /sys/kernel/debug/kmemleak ] || return 0
	# Objects younger than 5 s are never reported: let ours age first.
	sleep 5
	# Twice: an object whose contents changed since the last scan is not
	# reported yet.
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	echo "MFG-KMEMLEAK-BEGIN $1"
	cat /sys/kernel/debug/kmemleak
	echo "MFG-KMEMLEAK-END"
	# Reported once is enough: the next report lists only new ones.
	echo clear > /sys/kernel/debug/kmemleak
}
loaded=""
for m in $(cat /mfg/load-order); do
	step "insmod $m" insmod /mfg/$m.ko && loaded="$m $loaded"
	mfg_stats "$m"
done
# With the modules still loaded, so that backtraces name their functions.
kmemleak_report "modules loaded"
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
echo "MFG-RUNNER: scenarios done"
kmemleak_report "end"
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


MFG_MESSAGE = re.compile(r"(mfgraph|mfg_kretprobe|mfg_graph): ")
RAW_FRAME = re.compile(r"0x([0-9a-f]+)$")


class Judge:
    """Reads the console line by line and keeps what the verdict needs."""

    def __init__(self, expected=None):
        self.expected = expected or expected_mod
        self.suites = {}        # name -> counts and plan, see start_suite
        self.current = None     # suite whose cases are being printed
        self.param_parent = None
        self.doc_plan = None    # top-level KTAP plan of the current document
        self.doc_seen = 0
        self.steps = []         # (ok, description)
        self.skipped_steps = []  # description (why)
        self.problems = []      # what fails the run, one line each
        self.notes = []         # what is printed but fails nothing
        self.pending = []       # mfgraph messages not yet given to a case
        self.context = "runner"  # outside a suite: "runner" or a scenario file
        self.in_kmemleak = None
        self.in_alloc_failure = False  # an expected warn_alloc() report awaits its stack dump
        self.kmemleak = []      # (label, [report lines])
        self.ranges = []        # (start, end, module, section)
        self.in_stats = None
        self.stats = {}
        self.stats_prev = {}
        self.suites_since_stats = []
        self.stats_rises = []   # (label, {counter: rise})
        self.done = False
        self.booted = False
        self.cpus = 0

    def feed(self, raw):
        line = TIME_PREFIX.sub("", raw.rstrip("\r\n"))
        body = line.strip()
        if self.in_kmemleak is not None:
            if body == "MFG-KMEMLEAK-END":
                self.in_kmemleak = None
            elif body.startswith("unreferenced object"):
                self.kmemleak.append((self.in_kmemleak, [body]))
            elif self.kmemleak and self.kmemleak[-1][0] == self.in_kmemleak and body:
                self.kmemleak[-1][1].append(body)
            return
        if self.in_stats is not None:
            if body == "MFG-STATS-END":
                self.end_stats()
            else:
                m = re.match(r"(\w+): (\d+)$", body)
                if m:
                    self.stats[m.group(1)] = int(m.group(2))
            return
        m = re.match(r"MFG-RUNNER: boot ok, (\d+) cpus", body)
        if m:
            self.booted = True
            self.cpus = int(m.group(1))
        m = re.match(r"MFG-RUNNER: scenario .*/scenario-\d+-(\S+)$", body)
        if m:
            self.context = m.group(1)
        if body == "MFG-RUNNER: scenarios done":
            self.context = "runner"
        if body == "MFG-RUNNER: done":
            self.done = True
            return
        m = re.match(r"MFG-KMEMLEAK-BEGIN ?(.*)", body)
        if m:
            self.in_kmemleak = m.group(1) or "kmemleak"
            return
        m = re.match(r"MFG-STATS-BEGIN ?(.*)", body)
        if m:
            self.in_stats = m.group(1)
            self.stats = {}
            return
        m = re.match(r"MFG-MODULE: (\S+) (\S+) 0x([0-9a-f]+) (\d+)$", body)
        if m:
            start = int(m.group(3), 16)
            self.ranges.append((start, start + int(m.group(4)), m.group(1), m.group(2)))
            return
        m = re.match(r"MFG-STEP: (ok|FAIL|skip): (.*)", body)
        if m:
            if m.group(1) == "skip":
                self.skipped_steps.append(m.group(2))
            else:
                self.steps.append((m.group(1) == "ok", m.group(2)))
            return
        if re.match(r"mfgraph: loaded: ", body):
            self.stats_prev = {}    # a fresh load counts from 0
        if MFG_MESSAGE.match(body) and not any(re.fullmatch(p, body) for p in self.expected.INFO):
            if self.current is not None:
                self.pending.append(body)
            else:
                self.judge_messages([body], [("scenario", self.context)], "in " + self.context)
        self.parse_ktap(line)
        if ALLOC_FAILURE_RE.search(body) and self.current in getattr(
                self.expected, "ALLOC_FAILURE_SUITES", []):
            self.in_alloc_failure = True
            self.notes.append("%s: the kernel reported an injected allocation failure: %s" % (
                self.current, body))
        elif self.current is None:
            self.in_alloc_failure = False
        if BAD_RE.search(line):
            if self.in_alloc_failure and re.fullmatch(STACK_DUMP, body):
                # The report's own stack dump: one per report.
                self.in_alloc_failure = False
            else:
                self.problems.append("console: " + body)

    def judge_messages(self, lines, keys, where):
        """Fail each line that none of the expectations of keys allows."""
        allowed = [p for k in keys for p in self.expected.MESSAGES.get(k, [])]
        for l in lines:
            if not any(re.fullmatch(p, l) for p in allowed):
                self.problems.append("unexpected message %s: %s" % (where, l))

    def end_stats(self):
        label, self.in_stats = self.in_stats, None
        rises = {}
        for key, value in self.stats.items():
            rise = value - self.stats_prev.get(key, 0)
            if rise > 0 and (key.startswith("miss_") or key in self.expected.CHECKED_STATS):
                rises[key] = rise
        if rises:
            self.stats_rises.append((label, rises))
        allowed = [c for s in self.suites_since_stats + [self.context] for c in self.expected.STATS.get(s, [])]
        for key in self.expected.CHECKED_STATS:
            if key in rises and key not in allowed:
                self.problems.append("mfgraph stats after %s: %s rose by %d (suites: %s)" % (
                    label, key, rises[key], ", ".join(self.suites_since_stats) or self.context))
        self.stats_prev = self.stats
        self.suites_since_stats = []

    def end_document(self):
        if self.doc_plan is not None and self.doc_plan != self.doc_seen:
            self.problems.append("KTAP plan 1..%d, but %d suites reported" % (self.doc_plan, self.doc_seen))
        self.doc_plan = None
        self.doc_seen = 0

    def parse_ktap(self, line):
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if indent == 0 and body.startswith("KTAP version"):
            self.end_document()
            return
        m = re.match(r"1\.\.(\d+)$", body)
        if m:
            if indent == 0:
                self.end_document()
                self.doc_plan = int(m.group(1))
            elif indent == 4 and self.current is not None:
                self.suites[self.current]["plan"] = int(m.group(1))
            return
        m = re.match(r"# Subtest: (\S+)", body)
        if m and indent == 4:
            self.current = m.group(1)
            if self.current in self.suites:
                self.problems.append("suite %s reported twice" % self.current)
            self.suites[self.current] = {"passed": 0, "failed": 0, "skipped": 0, "ok": None,
                                         "plan": None, "cases": 0, "suite_skip": False}
            self.pending = []
            return
        if m and indent == 8:
            self.param_parent = m.group(1)
            return
        m = re.match(r"(ok|not ok) \d+ (\S+)(.*)", body)
        if not m:
            return
        ok, name, rest = m.group(1) == "ok", m.group(2), m.group(3)
        if indent == 0:
            if name in self.suites and name == self.current:
                s = self.suites[name]
                s["ok"] = ok
                s["suite_skip"] = "# SKIP" in rest
                if s["plan"] is None:
                    self.problems.append("suite %s printed no plan" % name)
                elif s["plan"] != s["cases"]:
                    self.problems.append("suite %s: plan 1..%d, but %d cases reported" % (
                        name, s["plan"], s["cases"]))
                self.judge_messages(self.pending, [], "in suite %s outside its cases" % name)
                self.pending = []
                self.suites_since_stats.append(name)
                self.current = None
            self.doc_seen += 1
            return
        # Leaf results: plain cases at indent 4, parameters at indent 8. A
        # parameterised case also prints a summary line at indent 4 after its
        # parameters; it is not a leaf.
        if self.current is None or indent not in (4, 8):
            return
        s = self.suites[self.current]
        keys = [(self.current, name)]
        if indent == 8:
            keys.append((self.current, self.param_parent))
        self.judge_messages(self.pending, keys, "in %s.%s" % (self.current, name))
        self.pending = []
        if indent == 4:
            s["cases"] += 1
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

    def attribute(self, frame):
        """The module and section a backtrace frame is in, "" if the kernel's, None if unknown."""
        m = re.search(r"\[(mfg\w*)\]", frame)
        if m:
            return m.group(1)
        if re.match(r"mfg_\w+\+0x", frame):
            return "mfg"
        m = RAW_FRAME.match(frame)
        if not m:
            return ""
        addr = int(m.group(1), 16)
        # Freed init text is reused by the next module: name every candidate.
        hits = ["%s %s+%#x" % (module, section, addr - start)
                for start, end, module, section in self.ranges if start <= addr < end]
        return " or ".join(sorted(set(hits), key=lambda h: ".init." in h)) or None


def verdict(judge, suites, cpus, label="", timeout=0, elapsed=0.0):
    """Judge a finished console: (report lines, passed, failed, skipped, failures)."""
    out = []
    failures = []
    if not judge.booted:
        failures.append("the guest never reached /init")
    elif judge.cpus != cpus:
        failures.append("the guest runs %d cpus, not %d" % (judge.cpus, cpus))
    if not judge.done:
        failures.append("no clean end: hang or crash (timeout %ds, ran %.0fs)" % (timeout, elapsed))
    judge.end_document()
    if judge.current is not None:
        judge.judge_messages(judge.pending, [], "in unfinished suite %s" % judge.current)
    passed = failed = skipped = 0
    for suite in suites:
        s = judge.suites.get(suite)
        if s is None:
            failures.append("suite %s never reported" % suite)
            failed += 1
            out.append("%s %-24s MISSING" % (label, suite))
            continue
        passed += s["passed"]
        failed += s["failed"]
        skipped += s["skipped"]
        if not s["ok"] or s["failed"]:
            state = "FAILED"
            failures.append("suite %s failed" % suite)
        elif s["suite_skip"] or not s["passed"]:
            state = "SKIPPED"
            failures.append("suite %s: no case passed (%d skipped)" % (suite, s["skipped"]))
        else:
            state = "ok"
        out.append("%s %-24s %s: %d passed, %d failed, %d skipped" % (
            label, suite, state, s["passed"], s["failed"], s["skipped"]))
    for name in sorted(set(judge.suites) - set(suites)):
        failures.append("unexpected suite %s reported" % name)
    for ok, desc in judge.steps:
        passed += ok
        failed += not ok
        if not ok:
            failures.append("step failed: " + desc)
    out.append("%s %-24s %d of %d ok" % (label, "load/unload steps", sum(ok for ok, _ in judge.steps),
                                           len(judge.steps)))
    for desc in judge.skipped_steps:
        skipped += 1
        out.append("%s skipped step: %s" % (label, desc))
    for where, rises in judge.stats_rises:
        out.append("%s mfgraph stats after %s: %s" % (
            label, where, ", ".join("%s +%d" % kv for kv in sorted(rises.items()))))
    ours = 0
    for where, report in judge.kmemleak:
        frames = [(f, judge.attribute(f)) for f in report[1:]]
        mine = [(f, a) for f, a in frames if a]
        unknown = [f for f, a in frames if a is None]
        if mine or unknown:
            ours += 1
            why = ", ".join("%s (%s)" % fa for fa in mine) if mine else \
                "frame in no known text: " + ", ".join(unknown)
            failures.append("kmemleak (%s): %s; %s" % (where, report[0], why))
    if judge.kmemleak:
        out.append("%s kmemleak: %d reports, %d about mfgraph" % (label, len(judge.kmemleak), ours))
    failures += judge.problems
    for f in failures:
        out.append("%s FAILURE: %s" % (label, f))
    if failures and not failed:
        failed = 1
    return out, passed, failed, skipped, failures


def code_sections(ko):
    """(name, size) of each allocated executable section of an ELF64 .ko."""
    with open(ko, "rb") as f:
        elf = f.read()
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        return []
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    strtab = headers[shstrndx][4]
    out = []
    for name, _type, flags, _addr, _off, size in headers:
        # SHF_ALLOC | SHF_EXECINSTR
        if flags & 0x6 == 0x6 and size:
            out.append((elf[strtab + name:elf.index(b"\0", strtab + name)].decode(), size))
    return out


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
    # The sizes of each module's code sections, for /init's insmod to print.
    for ko in list(modules) + [f for f in files if f.endswith(".ko")]:
        text = "".join("%s %d\n" % sec for sec in code_sections(ko))
        entries.append(("mfg/%s.sections" % os.path.basename(ko)[:-3], 0o100644, text.encode(), (0, 0)))
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
                    help="a shell script sourced by /init after the suites (may use step, step_fails, mfg_stats)")
    ap.add_argument("--label", default="", help="name printed with the results")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--memory", default="1G")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--append", default="", help="extra kernel command line")
    ap.add_argument("--echo", help="print the console lines matching this regex as they come")
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
    echo = re.compile(args.echo) if args.echo else None
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
            if echo and echo.search(line):
                print(TIME_PREFIX.sub("", line.rstrip("\r\n")), flush=True)
        proc.wait()
        timer.cancel()
    elapsed = time.monotonic() - start
    shutil.rmtree(tmp, ignore_errors=True)

    lines, passed, failed, skipped, failures = verdict(judge, args.suite, args.cpus, label,
                                                       args.timeout, elapsed)
    for line in lines:
        print(line)
    print("%s: %d passed, %d failed, %d skipped (%.0fs, log %s)" % (label, passed, failed, skipped, elapsed, args.log))
    if args.results:
        with open(args.results, "w") as f:
            json.dump({"label": label, "passed": passed, "failed": failed, "skipped": skipped,
                       "failures": failures, "seconds": round(elapsed)}, f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
