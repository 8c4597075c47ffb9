#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Merge the mfg_bench tables of several boots (console logs) into one.

  table.py X86_LOG ARM64_LOG

Costs are instructions per call (the boots run with -icount shift=0),
net of the untraced call; ratios are to the matching kernel row.
"""
import re
import sys

ROW = re.compile(r"mfg_bench: \| (.+?) +\| +([\d.]+) +\| +(-?[\d.]+) +\|(?: +([\d.]+) +\|)?")
MEM = re.compile(r"mfg_bench: \| (.+?) +\| +(-?\d+) KiB \| slab +([+-]?\d+) KiB \|")
HELD = re.compile(r"mfg_bench: \| (.+?) +\| +(\d+) B +\| (\d+) stacks \|")


def parse(path):
    rows, mem, tasks = {}, {}, None
    with open(path, errors="replace") as f:
        for line in f:
            m = ROW.search(line)
            if m and m.group(1) != "row":
                rows[m.group(1)] = (m.group(3), m.group(4) or "")
                continue
            m = MEM.search(line)
            if m:
                mem[m.group(1)] = (m.group(2) + " KiB", m.group(3) + " KiB")
            m = HELD.search(line)
            if m:
                mem[m.group(1)] = ("%.1f KiB (exact)" % (int(m.group(2)) / 1024), m.group(3) + " stacks")
            m = re.search(r"memory with (\d+) sleeping tasks", line)
            if m:
                tasks = m.group(1)
    return rows, mem, tasks


def main():
    names = ["x86_64", "arm64"]
    data = [parse(p) for p in sys.argv[1:3]]
    order = []
    for rows, _, _ in data:
        for name in rows:
            if name not in order:
                order.append(name)
    print("| row | x86_64 insns/call (net) | vs kernel | arm64 insns/call (net) | vs kernel |")
    print("|---|---:|---:|---:|---:|")
    for name in order:
        cells = []
        for rows, _, _ in data:
            net, ratio = rows.get(name, ("n/a", ""))
            cells += [net, ratio + ("x" if ratio else "")]
        print("| %s | %s |" % (name, " | ".join(cells)))
    for (rows, mem, tasks), arch in zip(data, names):
        if mem:
            print()
            print("Memory on %s with %s sleeping tasks:" % (arch, tasks))
            print()
            print("| | memory | slab growth / stacks |")
            print("|---|---:|---:|")
            for name, (used, slab) in mem.items():
                print("| %s | %s | %s |" % (name, used, slab))


if __name__ == "__main__":
    main()
