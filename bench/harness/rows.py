"""What is measured: the rows of the table, their targets and how each is taken.

Workload rows take their figure from the benchmark program's own RESULT line
(bench/programs/bench.h), accepted only when the metric name, the check token and the
number of operations are what the harness expects.  Start-up rows are the wall time of
the whole runtime command.  Memory and density rows come from probe.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .runtimes import Outcome


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    unit: str
    better: str  # "lower" or "higher"
    target: float | None  # Moat's goal, pinned (issue 4)
    runsc_ref: str  # runsc-ptrace figure quoted in issue 4, for scale
    group: str  # "startup", "workload", "idle", "density"


ROWS: list[Row] = [
    Row(
        "start_true",
        "run /bin/true (create→start→wait→delete)",
        "ms",
        "lower",
        8,
        "128 ms",
        "startup",
    ),
    Row(
        "start_python",
        "run python3 -c pass (whole container)",
        "ms",
        "lower",
        20,
        "172 ms",
        "startup",
    ),
    Row("getpid", "getpid", "µs", "lower", 2, "14.5 µs", "workload"),
    Row("openclose", "open+close", "µs", "lower", 5, "29 µs", "workload"),
    Row("stat", "stat", "µs", "lower", None, "", "workload"),
    Row(
        "seqread",
        "sequential read, {seq_mib} MiB file",
        "GB/s",
        "higher",
        22,
        "18 GB/s",
        "workload",
    ),
    Row(
        "smallfile",
        "small file create+write+stat+unlink (tmpfs)",
        "µs",
        "lower",
        25,
        "111 µs",
        "workload",
    ),
    Row("forkexec", "fork+exec+wait /bin/true", "µs", "lower", 700, "2.8 ms", "workload"),
    Row("pthread", "pthread create+join", "µs", "lower", 45, "191 µs", "workload"),
    Row("pipe", "pipe ping-pong round trip", "µs", "lower", 12, "81 µs", "workload"),
    Row(
        "touch",
        "anonymous mmap+touch, {touch_mib} MiB",
        "GB/s",
        "higher",
        2.8,
        "1.5 GB/s",
        "workload",
    ),
    Row("idle_rss", "idle sandbox RSS, workload excluded", "MiB", "lower", None, "", "idle"),
    Row("idle_pss", "idle sandbox PSS, workload excluded", "MiB", "lower", 5, "28 MiB", "idle"),
    Row(
        "density_time", "start {density} sandboxes (sequential)", "ms", "lower", None, "", "density"
    ),
    Row(
        "density_pss",
        "{density} idle sandboxes: total PSS, workloads excluded",
        "MiB",
        "lower",
        None,
        "",
        "density",
    ),
]

ROW_BY_KEY = {r.key: r for r in ROWS}


@dataclass
class WorkloadSpec:
    """How to run one workload row and read its result."""

    args: list[str]  # container-side argv
    host_args: list[str]  # same on the host
    metric: str | None  # expected RESULT metric; None: only the exit status counts
    check: str | None
    min_ops: int = 1
    scale: float = 1.0  # multiplies the program's value into the row's unit


def workload_specs(s, rootfs: Path, busybox_size: int, host_tmp: Path) -> dict[str, WorkloadSpec]:
    """The argv of every start-up and workload row for settings ``s``."""
    ms = str(s.min_ms)

    def both(
        args: list[str], host_map: dict[str, str] | None = None
    ) -> tuple[list[str], list[str]]:
        host = []
        for a in args:
            if host_map and a in host_map:
                host.append(host_map[a])
            elif a.startswith("/") and a.split("/")[1] in ("bench", "bin", "data"):
                host.append(str(rootfs) + a)
            else:
                host.append(a)
        return args, host

    seq = f"/data/seq-{s.seq_mib}.bin"
    specs = {}

    def add(key, args, metric, check, min_ops=1, scale=1.0, host_map=None):
        c, h = both(args, host_map)
        specs[key] = WorkloadSpec(c, h, metric, check, min_ops, scale)

    add("start_true", ["/bin/true"], None, None)
    add(
        "start_python",
        ["/usr/bin/python3", "-c", "pass"],
        None,
        None,
        host_map={"/usr/bin/python3": "/usr/bin/python3"},
    )
    add("getpid", ["/bench/sysc", "getpid", "1000", ms], "getpid", "ok", 1000, 1e-3)
    add(
        "openclose",
        ["/bench/sysc", "openclose", "256", ms, "/bin/busybox"],
        "openclose",
        "ok",
        256,
        1e-3,
    )
    add(
        "stat",
        ["/bench/sysc", "stat", "256", ms, "/bin/busybox"],
        "stat",
        str(busybox_size),
        256,
        1e-3,
    )
    add(
        "seqread",
        ["/bench/fileio", "seqread", "1", ms, seq, "128"],
        "seqread",
        str(s.seq_mib << 20),
        1,
    )
    add(
        "smallfile",
        ["/bench/fileio", "smallfile", "16", ms, "/tmp", "1024"],
        "smallfile",
        "ok",
        16,
        host_map={"/tmp": str(host_tmp)},
    )
    add("forkexec", ["/bench/proc", "forkexec", "5", ms, "/bin/true"], "forkexec", "ok", 5)
    add("pthread", ["/bench/proc", "pthread", "10", ms], "pthread", "ok", 10)
    add("pipe", ["/bench/proc", "pipe", "100", ms], "pipe", "ok", 100)
    add(
        "touch",
        ["/bench/mem", "touch", "1", ms, str(s.touch_mib)],
        "touch",
        str(s.touch_mib << 20),
        1,
    )
    return specs


def parse_result(out: Outcome, spec: WorkloadSpec) -> tuple[float | None, str | None]:
    """Turns a run into (value in the row's unit, None) or (None, short error)."""
    if not out.ok:
        return None, out.error
    if spec.metric is None:
        return out.wall_ns / 1e6, None
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        return None, "no RESULT line in output"
    fields = dict(kv.split("=", 1) for kv in lines[-1].split()[1:] if "=" in kv)
    if fields.get("metric") != spec.metric:
        return None, f"wrong metric {fields.get('metric')!r}"
    if spec.check is not None and fields.get("check") != spec.check:
        return None, f"check failed: {fields.get('check')!r} != {spec.check!r}"
    try:
        value = float(fields["value"]) * spec.scale
        ops = int(fields["ops"])
    except (KeyError, ValueError):
        return None, "malformed RESULT line"
    if ops < spec.min_ops or not math.isfinite(value) or value <= 0:
        return None, f"implausible result ({value}, {ops} ops)"
    return value, None
