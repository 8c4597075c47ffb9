#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print one table for a `make check` run and its closing line.

  summary.py HOST_REPORT_DIR QEMU_RESULT_DIR RUN...

HOST_REPORT_DIR holds GoogleTest JSON reports; QEMU_RESULT_DIR holds
run.py's JSON results, one per RUN (e.g. x86_64-default). A run whose
result file is missing counts as failed.
"""
import glob
import json
import os
import sys


def main():
    host_dir, qemu_dir, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
    rows = []
    hp = hf = 0
    for path in sorted(glob.glob(os.path.join(host_dir, "*.json"))):
        with open(path) as f:
            r = json.load(f)
        hp += r["tests"] - r["failures"] - r.get("disabled", 0)
        hf += r["failures"]
    if hp + hf == 0:
        hf = 1
        rows.append(("host (GoogleTest)", 0, 1, "no report"))
    else:
        rows.append(("host (GoogleTest)", hp, hf, ""))
    for run in runs:
        path = os.path.join(qemu_dir, run + ".json")
        if not os.path.exists(path):
            rows.append(("qemu " + run, 0, 1, "did not run"))
            continue
        with open(path) as f:
            r = json.load(f)
        note = "%ds" % r["seconds"]
        if r["failures"]:
            note += "; " + "; ".join(r["failures"][:3])
        rows.append(("qemu " + run, r["passed"], r["failed"], note))
    print()
    print("%-28s %7s %7s  %s" % ("suite", "passed", "failed", "notes"))
    for name, p, f, note in rows:
        print("%-28s %7d %7d  %s" % (name, p, f, note))
    passed = sum(r[1] for r in rows)
    failed = sum(r[2] for r in rows)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
