"""bench/run: set up, measure every row on every runtime, print and save the table."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import prepare, report, rows
from .prepare import BENCH_DIR, PrepareError, log, short
from .report import Cell, PassResults
from .runtimes import Host, Moat, Runc, Runsc, Runtime, Workload, new_id


@dataclass
class Settings:
    mode: str
    reps: int  # repetitions of every timed cell
    min_ms: int  # minimum duration of one workload measurement
    seq_mib: int
    touch_mib: int
    mem_reps: int  # repetitions of the idle-memory probe
    density: int  # sandboxes in the density row
    density_reps: int
    warmup: bool
    timeout: float  # per command


MAX_TIMEOUTS = 2

FULL = Settings("full", 10, 300, 256, 512, 3, 20, 2, True, 60)
QUICK = Settings("quick", 3, 60, 64, 128, 1, 20, 1, True, 15)
SMOKE = Settings("smoke", 1, 20, 8, 16, 1, 3, 1, False, 60)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/run",
        description="Moat side by side with the host, runc and runsc (issue 4).",
    )
    kind = p.add_mutually_exclusive_group()
    kind.add_argument(
        "--quick", action="store_true", help="fewer repetitions, smaller sizes (< 3 min)"
    )
    kind.add_argument(
        "--smoke", action="store_true", help="seconds-long run of host and moat only; no apt"
    )
    pin = p.add_mutually_exclusive_group()
    pin.add_argument("--pinned", action="store_true", help="only the pass pinned to one CPU")
    pin.add_argument("--unpinned", action="store_true", help="only the unpinned pass")
    pin.add_argument(
        "--both", action="store_true", help="pinned and unpinned passes (default for a full run)"
    )
    p.add_argument(
        "--runtimes", default=None, help="comma-separated subset of host,runc,runsc,moat"
    )
    p.add_argument("--rows", default=None, help="comma-separated subset of row keys")
    p.add_argument(
        "--moat", type=Path, default=None, help="use this moat binary instead of building one"
    )
    p.add_argument(
        "--moat-via",
        choices=("auto", "run", "do"),
        default="auto",
        help="run moat's workloads with `moat run` (OCI bundle) or `moat do --rootfs`; "
        "auto: run if it works, else do",
    )
    p.add_argument(
        "--runsc-flags",
        default="",
        help="extra runsc flags, e.g. --ignore-cgroups (always: --platform=ptrace --network=none)",
    )
    p.add_argument("--cpu", type=int, default=None, help="CPU of the pinned pass (default 1)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="markdown output (default bench/results/latest.md; quick: quick.md)",
    )
    p.add_argument(
        "--work",
        type=Path,
        default=Path(os.environ.get("MOAT_BENCH_WORK", "/var/tmp/moat-bench")),
        help="scratch directory for the rootfs, bundles and state (default /var/tmp/moat-bench)",
    )
    return p.parse_args(argv)


def pick_cpu(requested: int | None) -> int:
    cpus = sorted(os.sched_getaffinity(0))
    if requested is not None:
        return requested
    return 1 if 1 in cpus else cpus[-1]


class Bench:
    def __init__(self, args: argparse.Namespace, s: Settings):
        self.args = args
        self.s = s
        self.work: Path = args.work
        self.runtimes: list[Runtime] = []
        self.specs: dict[str, rows.WorkloadSpec] = {}
        self.workloads: dict[str, Workload] = {}
        self.broken_rows: dict[str, str] = {}
        self.meta: dict = {}

    # ----- set-up -------------------------------------------------------------

    def setup(self, names: list[str]) -> None:
        peers = [n for n in names if n in ("runc", "runsc")]
        unavailable = {} if self.args.smoke else prepare.ensure_peers(peers)
        self.work.mkdir(parents=True, exist_ok=True)
        rootfs, has_python = prepare.build_rootfs(
            self.work, self.s.seq_mib, with_python=not self.args.smoke
        )
        host_tmp = Path(tempfile.mkdtemp(prefix="moat-bench-", dir="/dev/shm"))
        self.host_tmp = host_tmp
        busybox_size = (rootfs / "bin" / "busybox").stat().st_size
        self.specs = rows.workload_specs(self.s, rootfs, busybox_size, host_tmp)
        for key, spec in self.specs.items():
            bundle = prepare.make_bundle(self.work, key, spec.args, rootfs)
            self.workloads[key] = Workload(bundle, spec.args, spec.host_args, rootfs)
        if not has_python:
            self.broken_rows["start_python"] = "no /usr/bin/python3 on the host to copy"
        idle_args = ["/bench/mem", "idle"]
        self.idle = Workload(
            prepare.make_bundle(self.work, "idle", idle_args, rootfs),
            idle_args,
            [str(rootfs / "bench" / "mem"), "idle"],
            rootfs,
        )
        state = self.work / "state"
        runsc_flags = self.args.runsc_flags.split()
        for name in names:
            if name == "host":
                self.runtimes.append(Host())
            elif name == "runc":
                self.runtimes.append(Runc(state / "runc"))
                self.meta["runc"] = report.cmd_first_line(["runc", "--version"])
            elif name == "runsc":
                self.runtimes.append(Runsc(state / "runsc", runsc_flags))
                self.meta["runsc"] = report.cmd_first_line(["runsc", "--version"])
                self.meta["runsc_flags"] = " ".join(
                    ["--platform=ptrace", "--network=none", *runsc_flags]
                )
            elif name == "moat":
                self.runtimes.append(self.setup_moat(state / "moat"))
        for rt in self.runtimes:
            if rt.name in unavailable:
                rt.broken = f"failed: {unavailable[rt.name]}"
            else:
                rt.sweep()

    def setup_moat(self, state: Path) -> Runtime:
        binary = self.args.moat
        commit = (
            subprocess.run(
                ["git", "-C", str(BENCH_DIR.parent), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
            ).stdout.strip()
            or "unknown commit"
        )
        if binary is None:
            try:
                binary = prepare.build_moat()
            except PrepareError as e:
                rt = Moat(Path("moat"), state)
                rt.broken = f"failed: {e}"
                self.meta["moat"] = f"{commit}: {rt.broken}"
                return rt
        rt = Moat(binary.resolve(), state)
        rt.detect(self.workloads["start_true"], min(self.s.timeout, 60), self.args.moat_via)
        if rt.broken:
            self.meta["moat"] = f"{commit} ({binary}): {rt.broken}"
        else:
            self.meta["moat"] = f"{commit} ({binary}), via `moat {rt.mode}`"
        log(f"moat: {self.meta['moat']}")
        return rt

    # ----- measurement --------------------------------------------------------

    def order(self, rep: int) -> list[Runtime]:
        """Runtimes in a rotating order, so none is always first after a given other."""
        n = len(self.runtimes)
        return [self.runtimes[(rep + i) % n] for i in range(n)]

    def timed_rows(self, results: PassResults, keys: list[str], tag: str) -> None:
        for key in keys:
            live = []
            for rt in self.runtimes:
                reason = rt.broken or self.broken_rows.get(key)
                if reason:
                    results[key][rt.name].errors.append(reason)
                else:
                    live.append(rt)
            # A run that hangs costs a whole timeout: after MAX_TIMEOUTS of them a runtime
            # is not tried again on this row.  Other failures are quick and all recorded.
            timeouts = {rt.name: 0 for rt in live}
            if self.s.warmup:
                for rt in live:
                    self.attempt(results, key, rt, timeouts, f"{tag} {key} warm-up", keep=False)
            for rep in range(self.s.reps):
                label = f"{tag} {key} {rep + 1}/{self.s.reps}"
                for rt in self.order(rep):
                    if rt in live and timeouts[rt.name] < MAX_TIMEOUTS:
                        self.attempt(results, key, rt, timeouts, label, keep=True)

    def attempt(
        self,
        results: PassResults,
        key: str,
        rt: Runtime,
        timeouts: dict[str, int],
        label: str,
        keep: bool,
    ) -> None:
        """One run of row ``key`` on ``rt``; keeps its figure or its error in the cell."""
        outcome = rt.run(self.workloads[key], self.s.timeout)
        value, err = rows.parse_result(outcome, self.specs[key])
        cell = results[key][rt.name]
        if err is None:
            if keep:
                cell.samples.append(value)
            shown = f"{report.fmt(value)} {rows.ROW_BY_KEY[key].unit}"
        else:
            shown = err
            if outcome.rc is None:
                timeouts[rt.name] += 1
                cell.errors.append(err if keep else f"warm-up: {err}")
            elif keep:
                cell.errors.append(err)
        log(f"{label} {rt.name}: {shown}")

    def probe(self, rt: Runtime, count: int) -> dict:
        commands = []
        for _ in range(count):
            c = rt.idle_commands(self.idle, new_id(rt.name))
            commands.append({"start": c.start, "detached": c.detached, "cleanup": c.cleanup})
        request = {"commands": commands, "ready_timeout": self.s.timeout, "settle": 0.5}
        try:
            res = subprocess.run(
                [sys.executable, "-m", "harness.probe"],
                cwd=BENCH_DIR,
                input=json.dumps(request),
                capture_output=True,
                text=True,
                timeout=self.s.timeout * (count + 2),
            )
        except subprocess.TimeoutExpired:
            return {"error": "memory probe timed out"}
        try:
            return json.loads(res.stdout)
        except json.JSONDecodeError:
            return {"error": "probe crashed: " + short(res.stderr)}

    def memory_rows(self, results: PassResults, keys: list[str], tag: str) -> None:
        plan = []
        if "idle_rss" in keys or "idle_pss" in keys:
            plan.append(("idle", 1, self.s.mem_reps))
        if "density_time" in keys or "density_pss" in keys:
            plan.append(("density", self.s.density, self.s.density_reps))
        for group, count, reps in plan:
            keys_here = (
                ["idle_rss", "idle_pss"] if group == "idle" else ["density_time", "density_pss"]
            )
            for rt in self.runtimes:
                if rt.broken:
                    for k in keys_here:
                        results[k][rt.name].errors.append(rt.broken)
            for rep in range(reps):
                for rt in self.order(rep):
                    if rt.broken:
                        continue
                    ans = self.probe(rt, count)
                    if ans.get("error"):
                        for k in keys_here:
                            results[k][rt.name].errors.append(ans["error"])
                        log(f"{tag} {group} {rt.name}: {ans['error']}")
                        continue
                    rss = sum(p["rss_kib"] for p in ans["procs"]) / 1024
                    pss = sum(p["pss_kib"] for p in ans["procs"]) / 1024
                    if group == "idle":
                        results["idle_rss"][rt.name].samples.append(rss)
                        results["idle_pss"][rt.name].samples.append(pss)
                    else:
                        results["density_time"][rt.name].samples.append(ans["ready_ns"] / 1e6)
                        results["density_pss"][rt.name].samples.append(pss)
                    procs = ", ".join(sorted({p["comm"] for p in ans["procs"]}))
                    log(
                        f"{tag} {group} {rep + 1}/{reps} {rt.name}: RSS {rss:.1f} MiB, "
                        f"PSS {pss:.1f} MiB over {len(ans['procs'])} processes ({procs})"
                    )

    def run_pass(self, pinned: bool, keys: list[str]) -> PassResults:
        all_cpus = os.sched_getaffinity(0)
        tag = "[pinned]" if pinned else "[unpinned]"
        if pinned:
            os.sched_setaffinity(0, {pick_cpu(self.args.cpu)})
        try:
            results = report.new_pass()
            timed = [k for k in keys if rows.ROW_BY_KEY[k].group in ("startup", "workload")]
            self.timed_rows(results, timed, tag)
            self.memory_rows(results, keys, tag)
            return results
        finally:
            os.sched_setaffinity(0, all_cpus)

    def cleanup(self) -> None:
        for rt in self.runtimes:
            rt.sweep()
        try:
            for f in self.host_tmp.iterdir():
                f.unlink()
            self.host_tmp.rmdir()
        except (OSError, AttributeError):
            pass


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    s = SMOKE if args.smoke else QUICK if args.quick else FULL
    names = ["host", "moat"] if args.smoke else list(report.RUNTIMES)
    if args.runtimes:
        names = [n for n in report.RUNTIMES if n in args.runtimes.split(",")]
    keys = [r.key for r in rows.ROWS]
    if args.rows:
        wanted = args.rows.split(",")
        unknown = [k for k in wanted if k not in rows.ROW_BY_KEY]
        if unknown:
            print(
                f"bench/run: unknown rows {unknown}; known: {', '.join(rows.ROW_BY_KEY)}",
                file=sys.stderr,
            )
            return 2
        keys = [k for k in keys if k in wanted]
    if args.smoke:
        keys = [k for k in keys if k != "start_python"]
    if args.both or not (args.pinned or args.unpinned or args.quick or args.smoke):
        pass_names = [True, False]
    elif args.unpinned:
        pass_names = [False]
    else:
        pass_names = [True]

    bench = Bench(args, s)
    bench.meta["load_start"] = report.load()
    started = time.monotonic()
    try:
        bench.setup(names)
    except PrepareError as e:
        print(f"bench/run: set-up failed: {e}", file=sys.stderr)
        return 1
    cpu = pick_cpu(args.cpu)
    passes = []
    try:
        for pinned in pass_names:
            results = bench.run_pass(pinned, keys)
            title = (
                f"Pinned to CPU {cpu} (`taskset -c {cpu}` for the harness and all it starts)"
                if pinned
                else "Unpinned"
            )
            passes.append((title, results))
    finally:
        bench.cleanup()
    bench.meta.update(
        command=" ".join(["bench/run", *(sys.argv[1:] if argv is None else argv)]),
        mode=s.mode,
        reps=s.reps,
        seconds=round(time.monotonic() - started),
    )
    scale = {"seq_mib": s.seq_mib, "touch_mib": s.touch_mib, "density": s.density}
    # keep only selected rows in the printed table
    doc = report.document(passes, bench.meta, scale, keys)
    print(doc)
    if args.smoke:
        return smoke_verdict(passes)
    out = args.out or BENCH_DIR / "results" / ("quick.md" if args.quick else "latest.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(doc)
    out.with_suffix(".json").write_text(
        json.dumps(report.as_json(passes, bench.meta), indent=1) + "\n"
    )
    log(f"wrote {out} ({bench.meta['seconds']} s)")
    return 0


def smoke_verdict(passes: list[tuple[str, PassResults]]) -> int:
    """The smoke run fails only when the harness itself is broken: a host cell failed."""
    for _, results in passes:
        for key, cells in results.items():
            host: Cell = cells["host"]
            if host.errors:
                print(f"smoke: host failed {key}: {host.errors[0]}", file=sys.stderr)
                return 1
    return 0
