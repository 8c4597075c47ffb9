#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of the judge itself: run.py's verdict on recorded and synthetic
console logs (tests/qemu/fixtures), /init's step helper, the build-warning
check and the `make check` summary.

  python3 tests/qemu/test_run.py [--json REPORT]

--json writes a GoogleTest-style report (name "judge") that
tests/summary.py counts with the host tests.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, "tests"))
import run  # noqa: E402
import summary  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures")
ALL_SUITES = ["mfgraph_module", "mfgraph_core", "mfgraph_hook", "mfgraph_kretprobe",
              "mfgraph_unwind", "mfgraph_ftrace_hash"]


def judge(fixture, suites=("mfgraph_hook",)):
    j = run.Judge()
    with open(os.path.join(FIXTURES, fixture), errors="replace") as f:
        for line in f:
            j.feed(line)
    lines, passed, failed, skipped, failures = run.verdict(j, list(suites), 2, "test")
    return {"lines": lines, "passed": passed, "failed": failed, "skipped": skipped,
            "failures": failures}


class Verdicts(unittest.TestCase):
    def assertFailsWith(self, result, text):
        self.assertTrue(any(text in f for f in result["failures"]),
                        "no failure mentions %r: %s" % (text, result["failures"]))
        self.assertGreater(result["failed"], 0)

    def test_clean_run_passes(self):
        r = judge("base.log")
        self.assertEqual(r["failures"], [])
        self.assertEqual((r["passed"], r["failed"], r["skipped"]), (3 + 4, 0, 0))

    def test_skipped_scenario_step_counts_as_skipped(self):
        r = judge("scenario-step-skipped.log")
        self.assertEqual(r["failures"], [])
        self.assertEqual((r["passed"], r["failed"], r["skipped"]), (3 + 4, 0, 1))
        self.assertIn("test skipped step: graph-compare (this kernel runs function_graph only in the "
                      "top-level buffer)", r["lines"])

    def test_recorded_run_with_skips_passes_and_counts_them(self):
        r = judge("recorded-arm64-default-pass.log", ALL_SUITES)
        self.assertEqual(r["failures"], [])
        self.assertEqual(r["skipped"], 2)

    # kmemleak
    def test_leak_with_raw_frames_in_module_text_fails(self):
        r = judge("kmemleak-freed-module-text.log")
        self.assertFailsWith(r, "mfgraph .text+0x2447")
        self.assertFailsWith(r, "mfg_hook_test .text+0x10ed")

    def test_leak_of_the_kernel_alone_passes(self):
        r = judge("kmemleak-kernel-only.log")
        self.assertEqual(r["failures"], [])
        self.assertIn("test kmemleak: 1 reports, 0 about mfgraph", r["lines"])

    def test_recorded_leaks_after_unload_fail(self):
        # The old /init printed no module ranges: raw frames are in no
        # known text, and that is not "not ours".
        r = judge("recorded-x86_64-debug-leaks-after-unload.log", ALL_SUITES)
        leaks = [f for f in r["failures"] if f.startswith("kmemleak")]
        self.assertEqual(len(leaks), 6, r["failures"])
        self.assertTrue(all("0xffffffffa0" in f for f in leaks))

    def test_frame_attribution(self):
        j = run.Judge()
        j.feed("MFG-MODULE: mfgraph .text 0xffffffffa0000000 4096\n")
        self.assertEqual(j.attribute("0xffffffffa0000fff"), "mfgraph .text+0xfff")
        self.assertIsNone(j.attribute("0xffffffffa0001000"))
        self.assertEqual(j.attribute("mfg_filter_set+0x40/0x90 [mfgraph]"), "mfgraph")
        self.assertEqual(j.attribute("kthread+0x2be/0x3a0"), "")

    # mfgraph's own messages
    def test_unexpected_warning_fails(self):
        self.assertFailsWith(judge("unexpected-warning.log"),
                             "unexpected message in mfgraph_hook.mfg_hook_nested_lifo: mfgraph: return of")

    def test_expected_message_in_another_case_fails(self):
        self.assertFailsWith(judge("expected-message-wrong-case.log"),
                             "in mfgraph_hook.mfg_hook_one_user: mfgraph: register: all 16 user slots")

    def test_warning_in_a_scenario_fails(self):
        self.assertFailsWith(judge("scenario-warning.log"),
                             "in unload-with-frames.sh: mfgraph: unregister: hook update failed")

    # Allocation failures injected on purpose (the fault suite)
    def test_alloc_failure_report_in_the_fault_suite_passes(self):
        r = judge("alloc-failure-expected.log", ["mfgraph_fault"])
        self.assertEqual(r["failures"], [])
        self.assertEqual((r["passed"], r["failed"], r["skipped"]), (2 + 3, 0, 0))

    def test_alloc_failure_report_elsewhere_fails(self):
        self.assertFailsWith(judge("alloc-failure-elsewhere.log"), "console: Call Trace:")

    def test_stack_dump_after_an_alloc_failure_report_fails(self):
        self.assertFailsWith(judge("alloc-failure-then-dump.log", ["mfgraph_fault"]),
                             "console: Call Trace:")

    def test_arm64_alloc_failure_report_passes_but_a_second_dump_fails(self):
        r = judge("arm64-alloc-failure-then-dump.log", ["mfgraph_fault"])
        self.assertFailsWith(r, "console: Call trace:")
        # The report's own dump is expected; only the second one fails.
        self.assertEqual([f for f in r["failures"] if "Call trace:" in f],
                         ["console: Call trace:"])

    # arm64 spells it "Call trace:": a bare dump_stack() there fails too
    def test_arm64_stack_dump_fails(self):
        self.assertFailsWith(judge("arm64-stack-dump.log"), "console: Call trace:")

    def test_stats_return_mismatch_fails(self):
        r = judge("stats-return-mismatch.log")
        self.assertFailsWith(r, "miss_return_mismatch rose by 3 (suites: mfgraph_hook)")
        self.assertIn("test mfgraph stats after mfg_hook_test: miss_no_stack +10, miss_return_mismatch +3",
                      r["lines"])

    def test_expected_stats_rise_passes(self):
        class Expect:
            INFO = run.expected_mod.INFO
            MESSAGES = run.expected_mod.MESSAGES
            CHECKED_STATS = run.expected_mod.CHECKED_STATS
            STATS = {"mfgraph_hook": ["miss_return_mismatch"]}
        j = run.Judge(Expect)
        with open(os.path.join(FIXTURES, "stats-return-mismatch.log")) as f:
            for line in f:
                j.feed(line)
        self.assertEqual(run.verdict(j, ["mfgraph_hook"], 2)[4], [])

    # skips, plans
    def test_suite_with_every_case_skipped_fails(self):
        r = judge("all-skipped.log", ["mfgraph_hook", "mfgraph_unwind"])
        self.assertFailsWith(r, "suite mfgraph_unwind: no case passed (2 skipped)")
        self.assertEqual(r["skipped"], 2)

    def test_plan_mismatch_fails(self):
        self.assertFailsWith(judge("plan-mismatch.log"), "suite mfgraph_hook: plan 1..4, but 3 cases reported")

    def test_suite_reported_twice_fails(self):
        self.assertFailsWith(judge("suite-twice.log"), "suite mfgraph_hook reported twice")


def init_function(name):
    """The text of one shell function of run.INIT."""
    start = run.INIT.index(name + "() {")
    return run.INIT[start:run.INIT.index("\n}\n", start) + 3]


class GuestScripts(unittest.TestCase):
    def test_step_that_checks_nothing_fails(self):
        out = subprocess.run(["sh", "-c", init_function("step") + 'step "nothing" true; step "ok" [ 1 = 1 ]'],
                             capture_output=True, text=True).stdout
        self.assertIn("MFG-STEP: FAIL: nothing", out)
        self.assertIn("MFG-STEP: ok: ok", out)

    def test_no_scenario_step_runs_true(self):
        sdir = os.path.join(HERE, "scenarios")
        for name in sorted(os.listdir(sdir)):
            with open(os.path.join(sdir, name)) as f:
                text = f.read().replace("\\\n", " ")
            for n, line in enumerate(text.splitlines(), 1):
                words = line.split()
                if words[:1] in (["step"], ["step_fails"]):
                    # step "description" COMMAND...: the description is quoted.
                    rest = line.split('"', 2)[2].split()
                    self.assertNotIn(rest[0] if rest else "", ("true", ":", "echo", ""),
                                     "%s:%d: %s" % (name, n, line))

    def test_code_sections_of_an_object(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "a.c")
            with open(src, "w") as f:
                f.write("int f(int x) { return x * 3 + 1; }\n")
            obj = os.path.join(tmp, "a.o")
            subprocess.run(["cc", "-O2", "-c", "-o", obj, src], check=True)
            sections = dict(run.code_sections(obj))
            self.assertIn(".text", sections)
            self.assertGreater(sections[".text"], 0)
            self.assertNotIn(".data", sections)


class BuildWarnings(unittest.TestCase):
    def test_warning_makes_the_next_build_recompile(self):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "build.log")
            with open(log, "w") as f:
                f.write("fgraph/filter.c:12:5: warning: unused variable 'x' [-Wunused-variable]\n")
            obj = os.path.join(tmp, "src", "fgraph", "filter.o")
            os.makedirs(os.path.dirname(obj))
            open(obj, "w").close()
            rc = subprocess.run([os.path.join(TOP, "scripts", "check-module-build.sh"), "--objects",
                                 os.path.join(tmp, "src"), log, ""], capture_output=True).returncode
            self.assertEqual(rc, 1)
            self.assertFalse(os.path.exists(obj), "the object that warned would not be rebuilt")

    def test_modpost_warning_counts(self):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "build.log")
            with open(log, "w") as f:
                f.write("WARNING: modpost: missing MODULE_DESCRIPTION() in mfg_bench.o\n")
            rc = subprocess.run([os.path.join(TOP, "scripts", "check-module-build.sh"), log, ""],
                                capture_output=True).returncode
            self.assertEqual(rc, 1)


class Summary(unittest.TestCase):
    def test_gtest_skips_are_not_passes(self):
        report = {"tests": 3, "failures": 1, "disabled": 0, "errors": 0, "testsuites": [{"testsuite": [
            {"name": "a", "status": "RUN", "result": "COMPLETED"},
            {"name": "b", "status": "RUN", "result": "SKIPPED"},
            {"name": "c", "status": "RUN", "result": "COMPLETED", "failures": [{"failure": "x"}]},
        ]}]}
        self.assertEqual(summary.gtest_counts(report), (1, 1, 1))

    def test_closing_line_counts_skips(self):
        with tempfile.TemporaryDirectory() as tmp:
            host, qemu = os.path.join(tmp, "host"), os.path.join(tmp, "qemu")
            os.makedirs(host)
            os.makedirs(qemu)
            with open(os.path.join(host, "g.json"), "w") as f:
                json.dump({"testsuites": [{"testsuite": [
                    {"name": "a", "status": "RUN", "result": "COMPLETED"},
                    {"name": "b", "status": "RUN", "result": "SKIPPED"}]}]}, f)
            with open(os.path.join(host, "judge.json"), "w") as f:
                json.dump({"name": "judge", "testsuites": [{"testsuite": [
                    {"name": "a", "status": "RUN", "result": "COMPLETED"}]}]}, f)
            with open(os.path.join(qemu, "x86_64-default.json"), "w") as f:
                json.dump({"passed": 5, "failed": 0, "skipped": 2, "failures": [], "seconds": 1}, f)
            out = subprocess.run([sys.executable, os.path.join(TOP, "tests", "summary.py"), host, qemu,
                                  "x86_64-default"], capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stdout)
            self.assertTrue(out.stdout.rstrip().endswith("7 passed, 0 failed, 3 skipped"), out.stdout)


class GtestStyleResult(unittest.TextTestResult):
    """Records each test's outcome for a GoogleTest-style JSON report."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.cases.append({"name": test.id(), "status": "RUN", "result": "COMPLETED"})

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.cases.append({"name": test.id(), "status": "RUN", "result": "COMPLETED",
                           "failures": [{"failure": self._exc_info_to_string(err, test)}]})

    addError = addFailure

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.cases.append({"name": test.id(), "status": "RUN", "result": "SKIPPED"})


def main():
    report = None
    if len(sys.argv) == 3 and sys.argv[1] == "--json":
        report = sys.argv[2]
    elif len(sys.argv) != 1:
        sys.exit(__doc__)
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(resultclass=GtestStyleResult, verbosity=1).run(suite)
    if report:
        os.makedirs(os.path.dirname(os.path.abspath(report)), exist_ok=True)
        with open(report, "w") as f:
            json.dump({"name": "judge", "tests": result.testsRun,
                       "failures": len(result.failures) + len(result.errors),
                       "testsuites": [{"name": "judge", "testsuite": result.cases}]}, f, indent=1)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
