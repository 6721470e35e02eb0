"""Memory and density probe, run as its own process: ``python3 -m harness.probe``.

It reads a JSON request on stdin::

    {"commands": [{"start": [...], "detached": true, "cleanup": [[...]]}, ...],
     "ready_timeout": 60, "settle": 0.5}

makes itself a child subreaper (so every process a runtime leaves behind, detached
sandboxes, gofers and stubs included, becomes its descendant), then starts the
commands one after the other, each time waiting until the workload has printed its
"ready" line.  Once all are up it waits ``settle`` seconds and sums RSS and PSS over
*all* of its descendants (from /proc/PID/smaps_rollup), i.e. every host process that
exists because of the containers: runtime processes and the workloads.  The harness
subtracts the workload's own share (measured the same way on the host).  Finally it
runs the cleanup commands, kills whatever is left of its descendants, reaps them, and
prints a JSON answer on stdout::

    {"ready_ns": N, "procs": [{"pid", "comm", "rss_kib", "pss_kib"}], "error": null}
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def parent_map() -> dict[int, int]:
    """pid -> ppid for every process we can see."""
    return {pid: ppid for pid, (ppid, _) in process_table().items()}


def process_table() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, state letter) for every process we can see."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: split after the last ')'
        fields = stat[stat.rfind(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), fields[0])
    return table


def descendants(root: int) -> list[int]:
    parents = parent_map()
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def memory_of(pid: int) -> dict | None:
    """RSS and PSS in KiB from smaps_rollup; None for zombies and vanished processes."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            text = f.read()
        with open(f"/proc/{pid}/comm") as f:
            comm = f.read().strip()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("Rss:", "Pss:"):
            values[parts[0][:-1].lower()] = int(parts[1])
    if "rss" not in values:
        return None
    return {"pid": pid, "comm": comm, "rss_kib": values["rss"], "pss_kib": values.get("pss", 0)}


def wait_ready(proc: subprocess.Popen, detached: bool, errfile, deadline: float) -> str | None:
    """Waits for the "ready" line on proc's stdout; returns an error text or None."""
    buf = b""
    fd = proc.stdout.fileno()
    cli_done = False
    while time.monotonic() < deadline:
        if detached and not cli_done:
            rc = proc.poll()
            if rc is not None:
                cli_done = True
                if rc != 0:
                    return f"start exit {rc}: {last_line(errfile)}"
        elif not detached and proc.poll() is not None:
            return f"exited {proc.returncode} before ready: {last_line(errfile)}"
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                if proc.poll() is not None and not detached:
                    return f"exited {proc.returncode}: {last_line(errfile)}"
                time.sleep(0.01)
                continue
            buf += chunk
            if b"ready" in buf:
                return None
    return "not ready in time: " + last_line(errfile)


def last_line(errfile) -> str:
    errfile.flush()
    errfile.seek(0)
    lines = [ln.strip() for ln in errfile.read().decode(errors="replace").splitlines()]
    lines = [ln for ln in lines if ln]
    text = lines[-1] if lines else "no output"
    return text[:80]


def main() -> int:
    request = json.load(sys.stdin)
    become_subreaper()
    me = os.getpid()
    started = []
    answer: dict = {"ready_ns": None, "procs": [], "error": None}
    t0 = time.perf_counter_ns()
    try:
        for cmd in request["commands"]:
            err = tempfile.TemporaryFile()
            proc = subprocess.Popen(
                cmd["start"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                start_new_session=True,
            )
            started.append((proc, err, cmd))
            deadline = time.monotonic() + float(request.get("ready_timeout", 60))
            problem = wait_ready(proc, bool(cmd["detached"]), err, deadline)
            if problem:
                answer["error"] = problem
                break
        else:
            answer["ready_ns"] = time.perf_counter_ns() - t0
            time.sleep(float(request.get("settle", 0.5)))
            procs = [memory_of(pid) for pid in descendants(me)]
            answer["procs"] = [p for p in procs if p is not None]
    finally:
        for _, _, cmd in started:
            for cleanup in cmd.get("cleanup", []):
                run_cleanup(cleanup, me, timeout=60)
        for _ in range(3):
            left = descendants(me)
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
            reap()
        reap()
        for proc, err, _ in started:
            proc.stdout.close()
            err.close()
    json.dump(answer, sys.stdout)
    return 0


def run_cleanup(argv: list[str], me: int, timeout: float) -> None:
    """Runs a cleanup command while reaping our other dead children.

    Sandbox processes reparented to us stay zombies until we reap them, and a runtime
    that waits for its sandbox's pid to vanish (runsc delete does) would wait in vain."""
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    except OSError:
        return
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        for pid, (ppid, state) in process_table().items():
            if ppid == me and state == "Z" and pid != proc.pid:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            return
        time.sleep(0.01)


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


if __name__ == "__main__":
    sys.exit(main())
