"""Unit tests of the benchmark harness: `python3 -m unittest discover -s bench/tests`.

They check the parts whose mistakes would silently publish wrong figures: accepting a
RESULT line, subtracting the workload from memory sums, ratios and target verdicts, the
bundle config, and finding a runtime's processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import oci, prepare, probe, report, rows  # noqa: E402
from harness.report import Cell  # noqa: E402
from harness.runtimes import Outcome  # noqa: E402

SPEC = rows.WorkloadSpec(["/bench/sysc"], ["sysc"], "getpid", "ok", min_ops=1000, scale=1e-3)


def outcome(stdout: str, error: str | None = None) -> Outcome:
    return Outcome(0 if error is None else 1, stdout, "", 5_000_000, error)


class ParseResult(unittest.TestCase):
    def test_accepts_expected_line_and_scales(self):
        out = outcome("noise\nRESULT metric=getpid value=1500 unit=ns ops=4096 check=ok\n")
        value, err = rows.parse_result(out, SPEC)
        self.assertIsNone(err)
        self.assertAlmostEqual(value, 1.5)

    def test_rejects_wrong_metric_check_and_op_count(self):
        bad = [
            "RESULT metric=stat value=1500 unit=ns ops=4096 check=ok",
            "RESULT metric=getpid value=1500 unit=ns ops=4096 check=bad",
            "RESULT metric=getpid value=1500 unit=ns ops=10 check=ok",
            "RESULT metric=getpid value=nan unit=ns ops=4096 check=ok",
            "RESULT metric=getpid value=0 unit=ns ops=4096 check=ok",
            "getpid_ns_per_op=1500",
        ]
        for line in bad:
            value, err = rows.parse_result(outcome(line + "\n"), SPEC)
            self.assertIsNone(value, line)
            self.assertIsNotNone(err, line)

    def test_failed_run_keeps_its_reason(self):
        out = outcome("RESULT metric=getpid value=1 unit=ns ops=4096 check=ok", "exit 1: boom")
        self.assertEqual(rows.parse_result(out, SPEC), (None, "exit 1: boom"))

    def test_exit_status_rows_use_wall_time(self):
        spec = rows.WorkloadSpec(["/bin/true"], ["true"], None, None)
        self.assertEqual(rows.parse_result(outcome(""), spec), (5.0, None))


class Report(unittest.TestCase):
    def test_memory_rows_subtract_the_host_workload(self):
        results = report.new_pass()
        results["idle_pss"]["host"].samples = [0.7, 0.5, 0.6]
        results["idle_pss"]["moat"].samples = [3.6, 3.7]
        cell = report.adjusted(results, rows.ROW_BY_KEY["idle_pss"], "moat")
        self.assertEqual([round(v, 6) for v in cell.samples], [3.0, 3.1])
        # timed rows are left alone
        results["getpid"]["moat"].samples = [7.0]
        self.assertEqual(report.adjusted(results, rows.ROW_BY_KEY["getpid"], "moat").samples, [7.0])

    def test_no_host_baseline_is_an_error_not_a_figure(self):
        results = report.new_pass()
        results["idle_pss"]["moat"].samples = [3.6]
        cell = report.adjusted(results, rows.ROW_BY_KEY["idle_pss"], "moat")
        self.assertEqual(cell.samples, [])
        self.assertTrue(cell.errors)

    def test_ratio_and_target(self):
        self.assertEqual(report.ratio(7.0, 28.0), "0.25×")
        self.assertEqual(report.ratio(None, 28.0), "—")
        self.assertEqual(report.ratio(3.0, 0.0), "—")
        getpid, seqread = rows.ROW_BY_KEY["getpid"], rows.ROW_BY_KEY["seqread"]
        self.assertEqual(report.met(getpid, 1.9), "yes")
        self.assertEqual(report.met(getpid, 2.1), "no")
        self.assertEqual(report.met(seqread, 23.0), "yes")
        self.assertEqual(report.met(seqread, 3.0), "no")

    def test_failed_cells_point_to_their_reason(self):
        results = report.new_pass()
        results["getpid"]["host"].samples = [0.1]
        results["getpid"]["moat"] = Cell([], ["exit 1: ENOSYS"])
        text, notes = report.table(
            results, {"seq_mib": 1, "touch_mib": 1, "density": 2}, ["getpid"]
        )
        self.assertIn("failed [1]", text)
        self.assertEqual(notes, ["moat: exit 1: ENOSYS"])


class Bundle(unittest.TestCase):
    def test_config_runs_args_without_terminal_on_shared_rootfs(self):
        cfg = oci.config(["/bench/mem", "idle"], Path("/var/tmp/x/rootfs"))
        self.assertEqual(cfg["process"]["args"], ["/bench/mem", "idle"])
        self.assertFalse(cfg["process"]["terminal"])
        self.assertEqual(cfg["root"], {"path": "/var/tmp/x/rootfs", "readonly": True})
        tmp = [m for m in cfg["mounts"] if m["destination"] == "/tmp"]
        self.assertEqual(tmp[0]["type"], "tmpfs")


class Processes(unittest.TestCase):
    def test_static_elf_detection(self):
        busybox = prepare.find_busybox()
        if busybox is None:
            self.skipTest("busybox-static not installed")
        self.assertTrue(prepare.is_static_elf(busybox))
        self.assertFalse(prepare.is_static_elf(Path(sys.executable).resolve()))
        self.assertFalse(prepare.is_static_elf(Path(__file__)))

    def test_descendants_and_memory_of_a_process_tree(self):
        child = subprocess.Popen(
            ["sh", "-c", "sleep 30 & sleep 30; wait"], stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 5
            found: list[int] = []
            while time.monotonic() < deadline and len(found) < 3:
                found = probe.descendants(os.getpid())
                time.sleep(0.02)
            self.assertIn(child.pid, found)
            self.assertGreaterEqual(len(found), 3)  # sh and its two sleeps
            mem = probe.memory_of(child.pid)
            self.assertIsNotNone(mem)
            self.assertGreater(mem["rss_kib"], 0)
            self.assertGreater(mem["pss_kib"], 0)
        finally:
            for pid in probe.descendants(child.pid):
                os.kill(pid, 9)
            child.kill()
            child.wait()


if __name__ == "__main__":
    unittest.main()
