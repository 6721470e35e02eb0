"""Medians, ratios and the markdown table (bench/results/latest.md)."""

from __future__ import annotations

import datetime
import platform
import statistics
import subprocess
from dataclasses import dataclass, field

from .rows import ROWS, Row

RUNTIMES = ("host", "runc", "runsc", "moat")
PEERS = ("host", "runc", "runsc")
#: memory overheads below this are measurement noise (shown as ≈0, no ratio)
NEGLIGIBLE_MIB = 0.1


@dataclass
class Cell:
    samples: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None


# results[row_key][runtime] -> Cell, for one pass (pinned or unpinned)
PassResults = dict[str, dict[str, Cell]]


def new_pass() -> PassResults:
    return {r.key: {rt: Cell() for rt in RUNTIMES} for r in ROWS}


def fmt(v: float) -> str:
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 0.1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def ratio(moat: float | None, peer: float | None) -> str:
    if moat is None or peer is None or peer <= 0 or moat <= 0:
        return "—"
    r = moat / peer
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def target_text(row: Row) -> str:
    if row.target is None:
        return "—"
    sign = "≤" if row.better == "lower" else "≥"
    return f"{sign} {row.target:g}"


def met(row: Row, value: float | None) -> str:
    if row.target is None or value is None:
        return "—"
    ok = value <= row.target if row.better == "lower" else value >= row.target
    return "yes" if ok else "no"


def is_memory(row: Row) -> bool:
    return row.group == "idle" or row.key == "density_pss"


def adjusted(results: PassResults, row: Row, rt: str) -> Cell:
    """Memory rows hold raw sums; subtract the host-measured workload to get overhead."""
    cell = results[row.key][rt]
    if not is_memory(row) or rt == "host":
        return cell
    base = results[row.key]["host"].median()
    if base is None:
        return Cell([], cell.errors + ([] if not cell.samples else ["no host baseline"]))
    # the host probe ran as many workloads as the runtime's did, so subtract as is
    return Cell([s - base for s in cell.samples], cell.errors)


def table(results: PassResults, scale: dict, keys: list[str]) -> tuple[str, list[str]]:
    """Markdown table for one pass, and its footnotes (the reasons for failed cells)."""
    notes: list[str] = []

    def note(text: str) -> int:
        if text not in notes:
            notes.append(text)
        return notes.index(text) + 1

    head = (
        "| benchmark | unit | better | host | runc | runsc | moat "
        "| moat/host | moat/runc | moat/runsc | target | moat meets | runsc in issue |"
    )
    lines = [head, "|" + "---|" * 13]
    for row in (r for r in ROWS if r.key in keys):
        medians: dict[str, float | None] = {}
        cells = []
        for rt in RUNTIMES:
            cell = adjusted(results, row, rt)
            m = cell.median()
            medians[rt] = m
            if m is not None:
                # runc leaves no process of its own: its overhead is noise around zero
                text = "≈0" if is_memory(row) and abs(m) < NEGLIGIBLE_MIB else fmt(m)
                if is_memory(row) and rt == "host":
                    text = f"({fmt(m)} workload)"
                if cell.errors:
                    text += f" ({len(cell.errors)} failed [{note(rt + ': ' + cell.errors[0])}])"
            elif cell.errors:
                text = f"failed [{note(rt + ': ' + cell.errors[0])}]"
            else:
                text = "—"
            cells.append(text)
        ratios = [
            "—"
            if is_memory(row) and (peer == "host" or abs(medians[peer] or 0) < NEGLIGIBLE_MIB)
            else ratio(medians["moat"], medians[peer])
            for peer in PEERS
        ]
        title = row.title.format(**scale)
        lines.append(
            "| "
            + " | ".join(
                [
                    title,
                    row.unit,
                    row.better,
                    *cells,
                    *ratios,
                    target_text(row),
                    met(row, medians["moat"]),
                    row.runsc_ref or "—",
                ]
            )
            + " |"
        )
    return "\n".join(lines), notes


def cmd_first_line(argv: list[str]) -> str:
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "not available"
    text = (res.stdout or res.stderr).strip().splitlines()
    return text[0] if text else "not available"


def machine() -> list[str]:
    model, cpus = "unknown", 0
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model == "unknown":
                    model = line.split(":", 1)[1].strip()
                if line.startswith("processor"):
                    cpus += 1
    except OSError:
        pass
    mem = "unknown"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return [
        f"- CPU: {model}, {cpus} logical CPUs",
        f"- memory: {mem}",
        f"- kernel: {platform.system()} {platform.release()}",
        f"- OS: {os_release()}",
        f"- load average when the report was written: {load()}",
    ]


def load() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def os_release() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "unknown"


def document(
    passes: list[tuple[str, PassResults]], meta: dict, scale: dict, keys: list[str]
) -> str:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Moat benchmark results",
        "",
        f"Run on {now} with `{meta['command']}` ({meta['mode']} mode, {meta['reps']} "
        "repetitions per cell, runtimes interleaved; each cell is the median; "
        f"{meta['seconds']} s in all; load average at the start: {meta['load_start']}).",
        "",
        "## Machine",
        "",
        *machine(),
        "",
        "## Runtimes",
        "",
        f"- runc: {meta.get('runc', 'n/a')}",
        f"- runsc: {meta.get('runsc', 'n/a')}, flags `{meta.get('runsc_flags', '')}`",
        f"- moat: {meta.get('moat', 'n/a')}",
        "",
        "How to read: `moat/x` is moat's median divided by x's. For times and memory, below "
        "1 means moat is better; for GB/s, above 1. Memory rows count every host process a "
        "container brings (runtime processes and workload) and subtract what the same idle "
        "workload uses on the host (shown in the host column); see bench/README.md. "
        '"runsc in issue" is the runsc-ptrace figure issue 4 quotes, for scale.',
    ]
    for name, results in passes:
        tbl, notes = table(results, scale, keys)
        out += ["", f"## {name}", "", tbl]
        if notes:
            out += ["", "Failures:", ""]
            out += [f"{i + 1}. {text}" for i, text in enumerate(notes)]
    return "\n".join(out) + "\n"


def as_json(passes: list[tuple[str, PassResults]], meta: dict) -> dict:
    return {
        "meta": meta,
        "passes": {
            name: {
                key: {rt: {"samples": c.samples, "errors": c.errors} for rt, c in cells.items()}
                for key, cells in results.items()
            }
            for name, results in passes
        },
    }
