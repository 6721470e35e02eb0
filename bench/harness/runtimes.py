"""The four columns: the host (no container), runc, runsc and moat.

A runtime turns a workload into commands:

* ``run(workload)`` runs it attached and returns its exit status, output and wall time;
* ``idle_commands(bundle, cid)`` says how to start the idle workload so that it stays
  up (detached for OCI runtimes) and how to remove it again; the memory probe
  (probe.py) runs those commands.

Every container gets a unique id and is force-deleted when anything goes wrong; a
runtime that cannot run a row yields a short reason, never an exception.
"""

from __future__ import annotations

import itertools
import os
import select
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .prepare import short
from .probe import descendants

_ids = itertools.count()


def new_id(runtime: str) -> str:
    return f"mb-{runtime}-{os.getpid()}-{next(_ids)}"


@dataclass
class Workload:
    """One thing to run: its bundle (for OCI runtimes) and the same argv on the host."""

    bundle: Path
    args: list[str]  # inside the container
    host_args: list[str]  # on the host, with rootfs paths
    rootfs: Path


@dataclass
class Outcome:
    rc: int | None  # None: timed out or could not start
    stdout: str
    stderr: str
    wall_ns: int
    error: str | None = None  # short reason when the run did not succeed

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class IdleCommands:
    """How to keep the idle workload up and how to remove it (see probe.py)."""

    start: list[str]
    detached: bool  # True: the start command exits once the container runs
    cleanup: list[list[str]] = field(default_factory=list)


def _kill_group(proc: subprocess.Popen) -> None:
    """Kills a timed-out command, its process group and every descendant (a sandbox
    may have left the group with setsid)."""
    victims = descendants(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def wait_exit(proc: subprocess.Popen, timeout: float) -> bool:
    """Waits until ``proc`` exits or ``timeout`` passes; True when it exited.

    Popen.wait(timeout) polls with sleeps that grow to 50 ms, which would round every
    start-up time up to the next poll; a pidfd wakes us the moment the process exits."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except OSError:
        try:
            proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        ready, _, _ = select.select([pidfd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(pidfd)


def timed_run(argv: list[str], timeout: float) -> Outcome:
    """Runs ``argv`` in its own session with stdout/stderr captured; measures wall time."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter_ns()
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
            )
        except OSError as e:
            return Outcome(None, "", "", 0, f"cannot start: {e.strerror}")
        exited = wait_exit(proc, timeout)
        wall = time.perf_counter_ns() - start
        if exited:
            rc = proc.wait()
        else:
            _kill_group(proc)
            rc = None
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    if rc is None:
        if "RESULT " in stdout:
            said = " (the workload had finished and printed its result; the container did not exit)"
        else:
            said = f" ({short(stderr, 50)})" if stderr.strip() else ""
        return Outcome(None, stdout, stderr, wall, f"timed out after {timeout:.0f} s{said}")
    if rc != 0:
        detail = short(stderr or stdout, 60)
        return Outcome(rc, stdout, stderr, wall, f"exit {rc}: {detail}")
    return Outcome(rc, stdout, stderr, wall)


class Runtime:
    name = "?"
    #: set when the whole column cannot run (e.g. moat does not build); cells show it
    broken: str | None = None

    def run(self, w: Workload, timeout: float) -> Outcome:
        raise NotImplementedError

    def idle_commands(self, w: Workload, cid: str) -> IdleCommands:
        raise NotImplementedError

    def sweep(self) -> None:
        """Removes containers left from this or an earlier run."""


class Host(Runtime):
    name = "host"

    def run(self, w: Workload, timeout: float) -> Outcome:
        return timed_run(w.host_args, timeout)

    def idle_commands(self, w: Workload, cid: str) -> IdleCommands:
        return IdleCommands(start=w.host_args, detached=False)


class OciRuntime(Runtime):
    """A runc-compatible CLI with a private --root for the benchmark's containers."""

    def __init__(self, binary: str, state_root: Path, global_flags: list[str]):
        self.binary = binary
        self.state_root = state_root
        state_root.mkdir(parents=True, exist_ok=True)
        self.global_flags = global_flags

    def cli(self, *args: str) -> list[str]:
        return [self.binary, "--root", str(self.state_root), *self.global_flags, *args]

    def delete(self, cid: str) -> None:
        subprocess.run(
            self.cli("delete", "--force", cid),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
        )

    def run(self, w: Workload, timeout: float) -> Outcome:
        cid = new_id(self.name)
        out = timed_run(self.cli("run", "--bundle", str(w.bundle), cid), timeout)
        if not out.ok:
            try:
                self.delete(cid)
            except subprocess.TimeoutExpired:
                pass
        return out

    def idle_commands(self, w: Workload, cid: str) -> IdleCommands:
        return IdleCommands(
            start=self.cli("run", "--detach", "--bundle", str(w.bundle), cid),
            detached=True,
            cleanup=[self.cli("delete", "--force", cid)],
        )

    def sweep(self) -> None:
        try:
            res = subprocess.run(
                self.cli("list", "--quiet"), capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired):
            return
        for cid in res.stdout.split():
            if cid.startswith("mb-"):
                try:
                    self.delete(cid)
                except subprocess.TimeoutExpired:
                    pass


class Runc(OciRuntime):
    name = "runc"

    def __init__(self, state_root: Path):
        super().__init__("runc", state_root, [])


class Runsc(OciRuntime):
    name = "runsc"

    def __init__(self, state_root: Path, extra_flags: list[str]):
        super().__init__("runsc", state_root, ["--platform=ptrace", "--network=none", *extra_flags])


class Moat(OciRuntime):
    """moat through its OCI CLI (``moat run``), or ``moat do --rootfs`` until that exists."""

    name = "moat"

    def __init__(self, binary: Path, state_root: Path):
        super().__init__(str(binary), state_root, [])
        self.mode = "run"

    def detect(self, probe: Workload, timeout: float, via: str = "auto") -> None:
        """Picks ``run`` or ``do`` (``via`` "auto": the first that runs /bin/true), or
        sets ``broken`` when the chosen way does not work."""
        tried = []
        for mode in ("run", "do") if via == "auto" else (via,):
            self.mode = mode
            outcome = self.run(probe, timeout)
            if outcome.ok:
                return
            tried.append(f"{mode}: {outcome.error}")
        self.broken = "failed: " + "; ".join(tried)

    def do_cli(self, w: Workload) -> list[str]:
        return [self.binary, "do", "--rootfs", str(w.rootfs), "--", *w.args]

    def run(self, w: Workload, timeout: float) -> Outcome:
        if self.mode == "run":
            return super().run(w, timeout)
        return timed_run(self.do_cli(w), timeout)

    def idle_commands(self, w: Workload, cid: str) -> IdleCommands:
        if self.mode == "run":
            return super().idle_commands(w, cid)
        return IdleCommands(start=self.do_cli(w), detached=False)

    def sweep(self) -> None:
        if self.mode == "run":
            super().sweep()
