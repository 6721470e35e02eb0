//! Builds a small busybox root filesystem for integration tests.
//!
//! The result is a plain host directory:
//!
//! ```text
//! B/bin/busybox        a copy of the host's static busybox
//! B/bin/<applet>       symlinks to `busybox`, one per `busybox --list` entry
//! B/{tmp,dev,proc,etc,root}
//! B/etc/{passwd,group}
//! ```
//!
//! Include it from a test file with `#[path = "common/rootfs.rs"] mod rootfs;`.
//! Functions return `Result<_, String>` with a message naming the step and path, so a
//! test can `unwrap_or_else(|e| panic!("{e}"))` and still say what went wrong.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;

/// Where Debian's `busybox-static` package installs busybox.
pub const HOST_BUSYBOX: &str = "/bin/busybox";

/// Contents of `/etc/passwd` in the rootfs.
pub const ETC_PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n";

/// Contents of `/etc/group` in the rootfs.
pub const ETC_GROUP: &str = "root:x:0:\n";

/// Device nodes that [`add_host_device_nodes`] creates: name, major, minor.
pub const DEVICE_NODES: &[(&str, u32, u32)] = &[
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
];

/// Creates a fresh busybox rootfs at `dir`, deleting whatever was there before.
///
/// Fails if the host busybox is missing or dynamically linked (install the Debian
/// package `busybox-static`).
pub fn build_busybox_rootfs(dir: &Path) -> Result<(), String> {
    let busybox = Path::new(HOST_BUSYBOX);
    check_static_elf(busybox)?;

    if dir.exists() {
        fs::remove_dir_all(dir)
            .map_err(|e| format!("removing old rootfs {}: {e}", dir.display()))?;
    }
    for sub in ["bin", "tmp", "dev", "proc", "etc", "root"] {
        let path = dir.join(sub);
        fs::create_dir_all(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
    }
    set_mode(&dir.join("tmp"), 0o1777)?;
    set_mode(&dir.join("root"), 0o700)?;

    let target = dir.join("bin/busybox");
    fs::copy(busybox, &target)
        .map_err(|e| format!("copying {HOST_BUSYBOX} to {}: {e}", target.display()))?;
    set_mode(&target, 0o755)?;

    for applet in busybox_applets()? {
        if applet == "busybox" {
            continue;
        }
        let link = dir.join("bin").join(&applet);
        symlink("busybox", &link).map_err(|e| format!("linking {}: {e}", link.display()))?;
    }

    write_file(&dir.join("etc/passwd"), ETC_PASSWD)?;
    write_file(&dir.join("etc/group"), ETC_GROUP)?;
    Ok(())
}

/// Creates character device nodes for /dev/null, /dev/zero, /dev/full, /dev/random and
/// /dev/urandom under `dir/dev`, so that a program chrooted into `dir` on the host finds
/// them. Needs root (CAP_MKNOD) and a filesystem not mounted `nodev` for use.
pub fn add_host_device_nodes(dir: &Path) -> Result<(), String> {
    for &(name, major, minor) in DEVICE_NODES {
        let path = dir.join("dev").join(name);
        let out = Command::new(HOST_BUSYBOX)
            .args(["mknod", "-m", "666"])
            .arg(&path)
            .args(["c", &major.to_string(), &minor.to_string()])
            .output()
            .map_err(|e| format!("running busybox mknod for {}: {e}", path.display()))?;
        if !out.status.success() {
            return Err(format!(
                "mknod {}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(())
}

/// The applet names the host busybox reports.
pub fn busybox_applets() -> Result<Vec<String>, String> {
    let out = Command::new(HOST_BUSYBOX)
        .arg("--list")
        .output()
        .map_err(|e| format!("running {HOST_BUSYBOX} --list: {e}"))?;
    if !out.status.success() {
        return Err(format!("{HOST_BUSYBOX} --list failed: {}", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains('/'))
        .map(str::to_owned)
        .collect())
}

/// Fails unless `path` is an x86-64 ELF file without a PT_INTERP program header.
fn check_static_elf(path: &Path) -> Result<(), String> {
    const PT_INTERP: u32 = 3;
    let hint = "install the Debian package busybox-static";
    let bytes = fs::read(path).map_err(|e| format!("reading {}: {e} ({hint})", path.display()))?;
    let u16_at = |off: usize| {
        bytes
            .get(off..off + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |off: usize| {
        bytes
            .get(off..off + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |off: usize| {
        bytes.get(off..off + 8).map(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_le_bytes(a)
        })
    };
    if bytes.get(..4) != Some(b"\x7fELF".as_slice()) || bytes.get(4) != Some(&2) {
        return Err(format!(
            "{} is not a 64-bit ELF file ({hint})",
            path.display()
        ));
    }
    let bad = || format!("{} has a truncated ELF header", path.display());
    let phoff = usize::try_from(u64_at(0x20).ok_or_else(bad)?).map_err(|_| bad())?;
    let phentsize = usize::from(u16_at(0x36).ok_or_else(bad)?);
    let phnum = usize::from(u16_at(0x38).ok_or_else(bad)?);
    for i in 0..phnum {
        let p_type = u32_at(phoff + i * phentsize).ok_or_else(bad)?;
        if p_type == PT_INTERP {
            return Err(format!("{} is dynamically linked ({hint})", path.display()));
        }
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {mode:o} {}: {e}", path.display()))
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}
