//! Shared helpers for the end-to-end tests that drive the `moat` binary: a private
//! `--root`, busybox bundles made with `moat spec`, and checks that a container left
//! nothing behind.
//!
//! Include with `mod cli_support;` from a test file next to this directory.

#![allow(dead_code)]

#[path = "../common/rootfs.rs"]
mod rootfs;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const MOAT: &str = env!("CARGO_BIN_EXE_moat");

/// A busybox rootfs shared by every bundle of this test binary (bundles point at it
/// with an absolute `root.path`; the sandbox never writes to it).
pub fn shared_rootfs() -> &'static Path {
    static ROOTFS: OnceLock<PathBuf> = OnceLock::new();
    ROOTFS.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        remove_stale_rootfs(tmp);
        let dir = tmp.join(format!("moat-e2e-rootfs-{}", std::process::id()));
        rootfs::build_busybox_rootfs(&dir).unwrap_or_else(|e| panic!("{e}"));
        dir
    })
}

/// Removes shared rootfs dirs left by test processes that no longer exist.
fn remove_stale_rootfs(tmp: &Path) {
    let Ok(entries) = fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("moat-e2e-rootfs-") else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// One test's world: a temp dir holding `--root` and bundles; cleaned up on drop
/// (containers force-deleted first).
pub struct Env {
    pub dir: PathBuf,
    pub root: PathBuf,
}

impl Env {
    pub fn new(name: &str) -> Env {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "moat-e2e-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("creating the test dir");
        let root = dir.join("root");
        Env { dir, root }
    }

    /// Runs moat with this env's `--root`.
    pub fn moat(&self, args: &[&str]) -> Output {
        let mut all = vec!["--root", self.root.to_str().expect("utf-8 root")];
        all.extend_from_slice(args);
        run_moat(&all)
    }

    /// Runs moat and fails the test unless it exits 0; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.moat(args);
        assert!(
            out.status.success(),
            "moat {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs moat, expects failure, returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.moat(args);
        assert!(
            !out.status.success(),
            "moat {args:?} should have failed; stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// A bundle made by `moat spec`, running `args` without a terminal on the shared
    /// busybox rootfs.
    pub fn bundle(&self, name: &str, args: &[&str]) -> PathBuf {
        let dir = self.dir.join(name);
        fs::create_dir_all(&dir).expect("bundle dir");
        run_ok(&["spec", "--bundle", dir.to_str().expect("utf-8")]);
        let path = dir.join("config.json");
        let mut spec: Value =
            serde_json::from_str(&fs::read_to_string(&path).expect("read config")).expect("json");
        spec["process"]["terminal"] = Value::Bool(false);
        spec["process"]["args"] = args.iter().map(|a| Value::from(*a)).collect();
        spec["root"]["path"] = Value::from(shared_rootfs().to_str().expect("utf-8"));
        fs::write(&path, serde_json::to_string_pretty(&spec).expect("json")).expect("write");
        dir
    }

    /// `moat state ID` as JSON.
    pub fn state(&self, id: &str) -> Value {
        serde_json::from_str(&self.ok(&["state", id])).expect("state is JSON")
    }

    /// The internal record (for the control socket path).
    pub fn record(&self, id: &str) -> Value {
        let text = fs::read_to_string(self.root.join(id).join("state.json")).expect("record");
        serde_json::from_str(&text).expect("record is JSON")
    }

    /// Entries under `--root` other than the root lock.
    pub fn root_entries(&self) -> Vec<String> {
        match fs::read_dir(&self.root) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "@root.lock")
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        for id in self.root_entries() {
            let _ = self.moat(&["delete", "--force", &id]);
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Runs moat with stdout and stderr captured in files, not pipes: a detached
/// container keeps moat's stdio as its own, so a pipe would never reach end-of-file.
pub fn run_moat(args: &[&str]) -> Output {
    static N: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir().join(format!(
        "moat-e2e-out-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let (out_path, err_path) = (base.with_extension("out"), base.with_extension("err"));
    let out_file = fs::File::create(&out_path).expect("stdout file");
    let err_file = fs::File::create(&err_path).expect("stderr file");
    let status = Command::new(MOAT)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out_file)
        .stderr(err_file)
        .status()
        .expect("running moat");
    let stdout = fs::read(&out_path).unwrap_or_default();
    let stderr = fs::read(&err_path).unwrap_or_default();
    let _ = fs::remove_file(&out_path);
    let _ = fs::remove_file(&err_path);
    Output {
        status,
        stdout,
        stderr,
    }
}

pub fn run_ok(args: &[&str]) -> String {
    let out = run_moat(args);
    assert!(
        out.status.success(),
        "moat {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// True while `pid` exists and is not a zombie.
pub fn alive(pid: i64) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .unwrap_or("");
            state != "Z" && state != "X"
        }
        Err(_) => false,
    }
}

/// Waits up to `secs` for `pid` to disappear.
pub fn gone_within(pid: i64, secs: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    !alive(pid)
}

/// Polls `moat state` until the status is `want` (or times out with the last one).
pub fn wait_status(env: &Env, id: &str, want: &str, secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        // The container may not exist yet: keep polling.
        let out = env.moat(&["state", id]);
        let status = serde_json::from_slice::<Value>(&out.stdout)
            .ok()
            .and_then(|v| v["status"].as_str().map(str::to_owned))
            .unwrap_or_default();
        if status == want || Instant::now() > deadline {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The one line moat printed on stderr for a failure (and checks it is one line).
pub fn one_line(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one error line, got: {stderr:?}");
    assert!(lines[0].starts_with("moat: "), "error line: {:?}", lines[0]);
    lines[0].to_owned()
}

/// Receives one descriptor sent with SCM_RIGHTS (the runc console protocol).
pub fn recv_fd(conn: &std::os::unix::net::UnixStream) -> std::os::fd::OwnedFd {
    use std::os::fd::{AsRawFd, FromRawFd};
    let mut data = [0u8; 256];
    let mut cmsg = [0u64; 8];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: msghdr is plain data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cmsg.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&cmsg);
    // SAFETY: the header points at live buffers of the sizes given.
    let n = unsafe { libc::recvmsg(conn.as_raw_fd(), &mut msg, 0) };
    assert!(n >= 0, "recvmsg: {}", std::io::Error::last_os_error());
    // SAFETY: the kernel filled `msg`; CMSG_FIRSTHDR/CMSG_DATA walk inside `cmsg`.
    unsafe {
        let hdr = libc::CMSG_FIRSTHDR(&msg);
        assert!(!hdr.is_null(), "no descriptor received");
        assert_eq!((*hdr).cmsg_type, libc::SCM_RIGHTS);
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(hdr) as *const i32);
        std::os::fd::OwnedFd::from_raw_fd(fd)
    }
}
