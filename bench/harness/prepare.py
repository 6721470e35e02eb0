"""Everything the benchmarks need before the first measurement.

* peers from Debian (runc, runsc, busybox-static) when missing;
* moat, built with ``cargo build --release -p moat`` (honouring CARGO_TARGET_DIR);
* the static C benchmark programs (``gcc -static -O2``);
* one shared root filesystem: static busybox, the programs under /bench, the
  sequential-read data file under /data and, when the host has it, a copy of the host's
  python3 with its libraries and standard library (for the python start-up row);
* one bundle directory per workload (see oci.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import oci

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
PROGRAMS = ("sysc", "fileio", "proc", "mem")
BUSYBOX_APPLETS = ("sh", "true", "false", "sleep", "cat", "echo", "ls")


class PrepareError(Exception):
    """A set-up step failed; the message says which and why."""


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def short(text: str, limit: int = 70) -> str:
    """Last meaningful line of a command's output, shortened for a table cell."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    line = lines[-1] if lines else "no output"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def is_static_elf(path: Path) -> bool:
    """True when ``path`` is an ELF executable without a PT_INTERP program header."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if data[:4] != b"\x7fELF" or data[4] != 2:  # 64-bit only
        return False
    phoff = int.from_bytes(data[0x20:0x28], "little")
    phentsize = int.from_bytes(data[0x36:0x38], "little")
    phnum = int.from_bytes(data[0x38:0x3A], "little")
    for i in range(phnum):
        off = phoff + i * phentsize
        if int.from_bytes(data[off : off + 4], "little") == 3:  # PT_INTERP
            return False
    return True


def find_busybox() -> Path | None:
    for cand in ("/bin/busybox", "/usr/bin/busybox"):
        p = Path(cand)
        if is_static_elf(p):
            return p
    return None


def apt_install(packages: list[str]) -> None:
    """Installs Debian packages, running apt-get update once if the first try fails."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    log("apt-get install " + " ".join(packages))
    if subprocess.run(cmd, env=env, capture_output=True, text=True).returncode == 0:
        return
    subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True)
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise PrepareError(f"apt-get install {' '.join(packages)}: {short(res.stderr)}")


def ensure_peers(peers: list[str]) -> dict[str, str]:
    """Installs busybox-static (required) and the peer runtimes asked for.

    Returns, for each peer that is still missing afterwards, why: its column then shows
    that reason instead of figures.  A missing busybox stops the run."""
    missing = ["busybox-static"] if find_busybox() is None else []
    missing += [tool for tool in peers if shutil.which(tool) is None]
    problem = ""
    if missing:
        try:
            apt_install(missing)
        except PrepareError as e:
            problem = str(e)
    if find_busybox() is None:
        raise PrepareError(problem or "no static busybox (install busybox-static)")
    return {
        tool: f"not installed ({problem or 'apt-get install ' + tool + ' failed'})"
        for tool in peers
        if shutil.which(tool) is None
    }


def moat_target_dir() -> Path:
    env = os.environ.get("CARGO_TARGET_DIR")
    return Path(env) if env else REPO_DIR / "target"


def build_moat() -> Path:
    """Builds moat in release mode; returns the binary or raises with cargo's error."""
    log("cargo build --release -p moat")
    res = subprocess.run(
        ["cargo", "build", "--release", "-p", "moat"],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
    )
    binary = moat_target_dir() / "release" / "moat"
    if res.returncode != 0:
        errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error")]
        raise PrepareError("build: " + short(errors[0] if errors else res.stderr, 60))
    if not binary.exists():
        raise PrepareError(f"build: no binary at {binary}")
    return binary


def build_programs(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in PROGRAMS:
        src = BENCH_DIR / "programs" / f"{name}.c"
        dst = out / name
        if dst.exists() and dst.stat().st_mtime >= max(
            src.stat().st_mtime, (BENCH_DIR / "programs" / "bench.h").stat().st_mtime
        ):
            continue
        log(f"gcc -static -O2 {src.name}")
        res = subprocess.run(
            ["gcc", "-static", "-O2", "-Wall", "-pthread", "-o", str(dst), str(src)],
            capture_output=True,
            text=True,
        )
        if res.returncode != 0:
            raise PrepareError(f"compiling {src.name}: {short(res.stderr)}")


def copy_python(rootfs: Path) -> bool:
    """Copies the host's /usr/bin/python3 with its libraries into ``rootfs``.

    Returns False (and copies nothing) when the host has no Debian python3."""
    stamp = rootfs / "usr" / "lib" / ".bench-python-complete"
    if stamp.exists():
        return True
    exe = Path("/usr/bin/python3")
    if not exe.exists():
        return False
    real = exe.resolve()
    version = real.name  # e.g. python3.11
    stdlib = Path("/usr/lib") / version
    if not stdlib.is_dir():
        return False
    res = subprocess.run(["ldd", str(real)], capture_output=True, text=True)
    if res.returncode != 0:
        return False
    libs = []
    for line in res.stdout.splitlines():
        parts = line.split()
        for p in parts:
            if p.startswith("/"):
                libs.append(Path(p))
    log(f"copying {real} and {stdlib} into the bench rootfs")
    (rootfs / "usr" / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(real, rootfs / "usr" / "bin" / version)
    link = rootfs / "usr" / "bin" / "python3"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(version)
    for lib in libs:
        dst = rootfs / lib.relative_to("/")
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lib.resolve(), dst)
    dst_stdlib = rootfs / "usr" / "lib" / version
    if dst_stdlib.exists():
        shutil.rmtree(dst_stdlib)
    shutil.copytree(
        stdlib,
        dst_stdlib,
        symlinks=True,
        ignore=shutil.ignore_patterns("test", "idlelib", "tkinter", "turtledemo", "ensurepip"),
    )
    stamp.write_text("ok\n")
    return True


def build_rootfs(work: Path, seq_mib: int, with_python: bool) -> tuple[Path, bool]:
    """Builds (incrementally) the shared rootfs; returns it and whether python is in it."""
    rootfs = work / "rootfs"
    busybox = find_busybox()
    if busybox is None:
        raise PrepareError("no static busybox (install busybox-static)")
    for d in ("bin", "bench", "data", "proc", "dev", "sys", "tmp", "etc", "root"):
        (rootfs / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(busybox, rootfs / "bin" / "busybox")
    for applet in BUSYBOX_APPLETS:
        link = rootfs / "bin" / applet
        if not link.is_symlink():
            if link.exists():
                link.unlink()
            link.symlink_to("busybox")
    (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\n")
    build_programs(work / "programs")
    for name in PROGRAMS:
        shutil.copy2(work / "programs" / name, rootfs / "bench" / name)
    data = rootfs / "data" / f"seq-{seq_mib}.bin"
    if not data.exists() or data.stat().st_size != seq_mib << 20:
        log(f"writing {seq_mib} MiB data file")
        res = subprocess.run(
            [str(work / "programs" / "fileio"), "mkfile", str(data), str(seq_mib)],
            capture_output=True,
            text=True,
        )
        if res.returncode != 0:
            raise PrepareError(f"data file: {short(res.stderr)}")
    has_python = copy_python(rootfs) if with_python else False
    return rootfs, has_python


def make_bundle(work: Path, name: str, args: list[str], rootfs: Path) -> Path:
    return oci.write_bundle(work / "bundles" / name, args, rootfs)
