//! End-to-end checks of the sentry through `moat do`, as a user would run it:
//! the busybox shell behaves as on the host, the host never executes the program,
//! writes stay in the sandbox, and the kernel identity is the sentry's.

#[path = "common/rootfs.rs"]
mod rootfs;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const MOAT: &str = env!("CARGO_BIN_EXE_moat");

/// A fresh busybox rootfs for one test.
fn rootfs(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-{name}"));
    rootfs::build_busybox_rootfs(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir
}

fn moat_do(root: &Path, args: &[&str]) -> Output {
    let state = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-state");
    Command::new(MOAT)
        .arg("--root")
        .arg(&state)
        .arg("do")
        .arg("--rootfs")
        .arg(root)
        .arg("--")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running moat")
}

fn host_chroot(root: &Path, args: &[&str]) -> Output {
    let dir = root.to_path_buf();
    let mut cmd = Command::new(args[0]);
    cmd.args(&args[1..]).stdin(Stdio::null());
    // SAFETY: chroot and chdir are async-signal-safe; nothing else runs in the child.
    unsafe {
        cmd.pre_exec(move || {
            std::os::unix::fs::chroot(&dir)?;
            std::env::set_current_dir("/")
        });
    }
    cmd.output().expect("running the host chroot")
}

const SHELL_SCRIPT: &str =
    "echo hello | cat; for i in 1 2 3; do echo $i; done; ls /; cd /tmp && echo x > f && cat f; exit 7";

/// Runs the issue's shell script in `root` under moat and chrooted on the host: the
/// output must be the same and both must exit 7.
fn assert_shell_matches_host(root: &Path) {
    // The sandbox runs first: its writes stay in memory, so the host run starts from
    // the same tree.
    let moat = moat_do(root, &["/bin/sh", "-c", SHELL_SCRIPT]);
    let host = host_chroot(root, &["/bin/sh", "-c", SHELL_SCRIPT]);
    assert_eq!(host.status.code(), Some(7), "host run: {host:?}");
    assert_eq!(
        String::from_utf8_lossy(&moat.stdout),
        String::from_utf8_lossy(&host.stdout),
        "stdout differs; moat stderr: {}",
        String::from_utf8_lossy(&moat.stderr)
    );
    assert_eq!(moat.status.code(), Some(7), "moat's exit status");
}

#[test]
fn busybox_shell_matches_the_host() {
    assert_shell_matches_host(&rootfs("shell"));
}

/// Issue 2's own rootfs: only busybox with its applet links, and /tmp.
fn bare_rootfs(name: &str) -> PathBuf {
    let dir = rootfs(name);
    for sub in ["dev", "proc", "etc", "root"] {
        std::fs::remove_dir_all(dir.join(sub)).unwrap();
    }
    dir
}

#[test]
fn busybox_shell_matches_the_host_in_a_bare_rootfs() {
    // Without /dev and /proc in the rootfs, `ls /` must not show the sentry's own.
    assert_shell_matches_host(&bare_rootfs("shell-bare"));
}

#[test]
fn exit_status_follows_the_program() {
    let root = rootfs("status");
    assert_eq!(
        moat_do(&root, &["/bin/sh", "-c", "exit 3"]).status.code(),
        Some(3)
    );
    assert_eq!(moat_do(&root, &["/bin/true"]).status.code(), Some(0));
    // Killed by signal N: 128+N, as a shell reports it.
    assert_eq!(
        moat_do(&root, &["/bin/sh", "-c", "kill -9 $$"])
            .status
            .code(),
        Some(137)
    );
    assert_eq!(
        moat_do(&root, &["/bin/sh", "-c", "kill -TERM $$"])
            .status
            .code(),
        Some(143)
    );
}

#[test]
fn writes_never_reach_the_rootfs() {
    let root = rootfs("overlay");
    let script = "echo data > /newfile && mkdir /newdir && rm /bin/ls && echo more >> /etc/passwd \
                  && cat /newfile && test -d /newdir && test ! -e /bin/ls && tail -n 1 /etc/passwd";
    let out = moat_do(&root, &["/bin/sh", "-c", script]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "data\nmore\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
    assert!(
        !root.join("newfile").exists(),
        "the new file reached the host"
    );
    assert!(
        !root.join("newdir").exists(),
        "the new directory reached the host"
    );
    assert!(
        root.join("bin/ls").symlink_metadata().is_ok(),
        "the deletion reached the host"
    );
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).unwrap();
    assert_eq!(passwd, rootfs::ETC_PASSWD, "the append reached the host");
}

#[test]
fn uname_reports_the_sentry_not_the_host() {
    let root = rootfs("uname");
    let out = moat_do(&root, &["/bin/uname", "-r"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inside = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let host = String::from_utf8_lossy(&Command::new("uname").arg("-r").output().unwrap().stdout)
        .trim()
        .to_string();
    assert_ne!(inside, host, "the sandbox sees the host's kernel release");
    assert!(inside.ends_with("-moat"), "unexpected release {inside:?}");
}

/// Host processes whose executable is a file under `root`.
fn host_processes_running_from(root: &Path) -> Vec<(u32, PathBuf)> {
    let root = root.canonicalize().unwrap();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(exe) = std::fs::read_link(entry.path().join("exe")) {
            if exe.starts_with(&root) {
                found.push((pid, exe));
            }
        }
    }
    found
}

#[test]
fn the_host_never_executes_the_program() {
    let root = rootfs("noexec");
    let state = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-state");
    let mut child = Command::new(MOAT)
        .arg("--root")
        .arg(&state)
        .args(["do", "--rootfs"])
        .arg(&root)
        .args(["--", "/bin/sh", "-c", "echo started; sleep 3; echo done"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting moat");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().and_then(|l| l.ok());
    assert_eq!(
        first.as_deref(),
        Some("started"),
        "the program did not start"
    );
    // The program is running (sleeping) now; the same scan would find a chrooted
    // `sleep` on the host, so this can fail.
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        let found = host_processes_running_from(&root);
        assert!(
            found.is_empty(),
            "host processes execute files from the rootfs: {found:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(lines.next().and_then(|l| l.ok()).as_deref(), Some("done"));
    assert!(child.wait().unwrap().success());
}

#[test]
fn the_scan_finds_a_host_executed_program() {
    // Control for the test above: a program the host does execute is found.
    let root = rootfs("scan-control");
    let dir = root.clone();
    let mut cmd = Command::new("/bin/sleep");
    cmd.arg("2");
    // SAFETY: chroot and chdir are async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            std::os::unix::fs::chroot(&dir)?;
            std::env::set_current_dir("/")
        });
    }
    let mut child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let found = host_processes_running_from(&root);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        found.iter().any(|(pid, _)| *pid == child.id()),
        "scan missed pid {}: {found:?}",
        child.id()
    );
}
