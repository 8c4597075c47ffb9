#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print one table for a `make check` run and its closing line.

  summary.py HOST_REPORT_DIR QEMU_RESULT_DIR RUN...

HOST_REPORT_DIR holds GoogleTest JSON reports (and the judge's own tests'
report, in the same format); QEMU_RESULT_DIR holds run.py's JSON results,
one per RUN (e.g. x86_64-default). A run whose result file is missing counts
as failed. The closing line is "N passed, N failed, N skipped".
"""
import glob
import json
import os
import sys


def gtest_counts(report):
    """(passed, failed, skipped) of one GoogleTest JSON report.

    A test that called GTEST_SKIP() has result SKIPPED; a disabled one has
    status NOTRUN. Neither passed.
    """
    passed = failed = skipped = 0
    for suite in report.get("testsuites", []):
        for case in suite.get("testsuite", []):
            if case.get("failures"):
                failed += 1
            elif case.get("status") == "NOTRUN" or case.get("result") == "SKIPPED":
                skipped += 1
            else:
                passed += 1
    # A report whose cases are not listed (a crash before the first test).
    failed = max(failed, report.get("failures", 0) + report.get("errors", 0))
    return passed, failed, skipped


def host_rows(host_dir):
    groups = {}
    for path in sorted(glob.glob(os.path.join(host_dir, "*.json"))):
        with open(path) as f:
            r = json.load(f)
        name = "host (judge)" if r.get("name") == "judge" else "host (GoogleTest)"
        counts = groups.setdefault(name, [0, 0, 0])
        for i, n in enumerate(gtest_counts(r)):
            counts[i] += n
    rows = []
    for name in ("host (GoogleTest)", "host (judge)"):
        p, f, s = groups.get(name, (0, 0, 0))
        if p + f + s == 0:
            rows.append((name, 0, 1, 0, "no report"))
        elif not p and not f:
            rows.append((name, 0, 1, s, "every test skipped"))
        else:
            rows.append((name, p, f, s, ""))
    return rows


def main():
    host_dir, qemu_dir, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
    rows = host_rows(host_dir)
    # A run may have had a torture boot of its own (x86_64: check-arch.sh).
    runs = [r for run in runs for r in (run, run + "-torture")
            if r == run or os.path.exists(os.path.join(qemu_dir, r + ".json"))]
    for run in runs:
        path = os.path.join(qemu_dir, run + ".json")
        if not os.path.exists(path):
            rows.append(("qemu " + run, 0, 1, 0, "did not run"))
            continue
        with open(path) as f:
            r = json.load(f)
        note = "%ds" % r["seconds"]
        if r["failures"]:
            note += "; " + "; ".join(r["failures"][:3])
        rows.append(("qemu " + run, r["passed"], r["failed"], r.get("skipped", 0), note))
    print()
    print("%-28s %7s %7s %7s  %s" % ("suite", "passed", "failed", "skipped", "notes"))
    for name, p, f, s, note in rows:
        print("%-28s %7d %7d %7d  %s" % (name, p, f, s, note))
    passed = sum(r[1] for r in rows)
    failed = sum(r[2] for r in rows)
    skipped = sum(r[3] for r in rows)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
