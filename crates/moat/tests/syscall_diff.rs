//! Differential syscall tests.
//!
//! Every C program in `tests/syscalls/` is compiled with `gcc -static -O1` into a busybox
//! rootfs under the cargo target tmpdir, then run twice:
//!
//! * under `moat do --rootfs <rootfs> -- /<program>`, and
//! * on the host, chrooted into the same rootfs (twice: the two host runs must agree,
//!   which catches tests that print something run-dependent).
//!
//! Stdout and the exit status (moat exits 128+N for a program killed by signal N) must be
//! identical; stderr is not compared. The moat run goes first, so the host run's writes
//! into the rootfs cannot be seen by it. After the moat run, no `<program>.*` entry may
//! exist in the rootfs's `/`, `/tmp` or `/root` on the host, and `/etc/passwd` and
//! `/etc/group` must be unchanged: the sandbox must not write through. Programs clean up
//! after themselves except for `<program>.keep*` files, which the runner removes after
//! each host run; they make a write-through visible even though the rest is cleaned.
//!
//! Programs listed in `tests/syscalls/known_failures.txt` (sentry gaps being worked on)
//! are still run and compared; their differences are printed instead of failing, and the
//! test fails once such a program matches Linux, so the list can only shrink. A broken
//! test or a write-through to the host is never excused.
//!
//! Environment knobs:
//! * `MOAT_SYSCALL_STRICT=1` ignores known_failures.txt: every difference fails.
//! * `MOAT_SYSCALL_HOST_ONLY=1` skips the moat run (to validate a new test on the host).
//! * `MOAT_SYSCALL_TIMEOUT=<seconds>` changes the per-run timeout (default 20).
//! * `MOAT_SYSCALL_STRACE=1` runs moat with `--strace` and shows more of its stderr on a
//!   failure.
//!
//! Needs root (for chroot and mknod), gcc with static glibc, and busybox-static.

#[path = "common/rootfs.rs"]
mod rootfs;

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::thread;
use std::time::{Duration, Instant};

/// Lists the programs: one `#[test]` each, named after its `tests/syscalls/<name>.c`.
macro_rules! syscall_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_program(stringify!($name));
            }
        )*
        /// Every program the macro made a test for.
        const PROGRAMS: &[&str] = &[$(stringify!($name)),*];
    };
}

syscall_tests! {
    access,
    arch_prctl,
    blocked_calls,
    brk,
    busybox_tools,
    chmod_chown_utime,
    chroot_child,
    clock_time,
    clone_process,
    credentials,
    cwd,
    cwd_rename,
    dev_files,
    epoll,
    eventfd,
    exec_state,
    execve,
    execve_script,
    exit_by_signal,
    exit_code,
    fd_cloexec_exec,
    fd_dup,
    fd_fcntl,
    fd_fork,
    fifo,
    fork_wait,
    futex_shared,
    garbage_fds,
    garbage_flags,
    garbage_lengths,
    garbage_paths,
    garbage_pointers,
    garbage_signals,
    garbage_sweep,
    garbage_syscall_numbers,
    getdents,
    getrandom,
    initial_process,
    ioctl_tty,
    kill_default,
    memfd_sendfile_flock,
    mkdir,
    mmap_anon,
    mmap_file,
    mremap_madvise,
    nanosleep,
    open_flags,
    overlay_writes,
    pgrp_session,
    pid_relations,
    pipe_atomic,
    pipe_basic,
    pipe_epipe,
    poll_select,
    prctl_pdeathsig,
    readlink,
    rename,
    rlimit,
    rusage_times,
    rw_basic,
    rw_pread_lseek,
    set_tid_address,
    shell_script,
    sig_stop_cont,
    sigaction,
    sigaction_exec,
    sigchld,
    signal_deaths,
    signal_handlers,
    sigprocmask,
    stack_growth,
    stat_family,
    statx_rename2_openat2,
    stdio,
    symlink_link,
    sysinfo,
    threads,
    timers,
    tmp_dir,
    uid_gid,
    umask,
    uname,
    unix_sockets,
    unlink,
    vfork,
    vma_layout,
    waitid,
    xattrs,
}

/// Fails when a `.c` file exists without a test, or a test names a missing file.
#[test]
fn every_program_has_a_test() {
    let dir = suite_dir();
    let on_disk: BTreeSet<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            name.strip_suffix(".c").map(str::to_owned)
        })
        .collect();
    let listed: BTreeSet<String> = PROGRAMS.iter().map(|s| s.to_string()).collect();
    let unlisted: Vec<_> = on_disk.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&on_disk).collect();
    assert!(
        unlisted.is_empty() && missing.is_empty(),
        "syscall_tests! list out of date: add {unlisted:?}, remove {missing:?}"
    );
}

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/syscalls")
}

fn timeout() -> Duration {
    let secs = std::env::var("MOAT_SYSCALL_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

/// `MOAT_SYSCALL_STRACE=1` runs moat with `--strace`; the end of the trace is shown
/// with a failure.
fn strace() -> bool {
    std::env::var_os("MOAT_SYSCALL_STRACE").is_some_and(|v| !v.is_empty() && v != "0")
}

fn host_only() -> bool {
    std::env::var_os("MOAT_SYSCALL_HOST_ONLY").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The shared rootfs, built once per test process (fresh: an old one is deleted).
fn rootfs() -> &'static Path {
    static ROOTFS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = ROOTFS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("syscall-rootfs");
        rootfs::build_busybox_rootfs(&dir)?;
        rootfs::add_host_device_nodes(&dir)?;
        Ok(dir)
    });
    match built {
        Ok(dir) => dir,
        Err(e) => panic!("building the syscall test rootfs: {e}"),
    }
}

/// Compiles `tests/syscalls/<name>.c` to `<rootfs>/<name>`.
fn compile(root: &Path, name: &str) {
    let src = suite_dir().join(format!("{name}.c"));
    let out = Command::new("gcc")
        .args(["-static", "-O1", "-Wall", "-o"])
        .arg(root.join(name))
        .arg(&src)
        .output()
        .unwrap_or_else(|e| panic!("running gcc for {}: {e}", src.display()));
    assert!(
        out.status.success(),
        "gcc failed for {}:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// How a run ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    Exited(i32),
    Signaled(i32),
    TimedOut,
}

impl Ending {
    /// The exit code a shell (and `moat do`) reports for this ending.
    fn as_exit_code(self) -> Option<i32> {
        match self {
            Ending::Exited(code) => Some(code),
            Ending::Signaled(sig) => Some(128 + sig),
            Ending::TimedOut => None,
        }
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Exited(code) => write!(f, "exit {code}"),
            Ending::Signaled(sig) => write!(f, "killed by signal {sig} (exit {})", 128 + sig),
            Ending::TimedOut => write!(f, "timed out after {} s", timeout().as_secs()),
        }
    }
}

struct Outcome {
    stdout: String,
    stderr: String,
    ending: Ending,
}

/// Starts a thread that appends everything read from `src` to the returned buffer.
fn collect<R: Read + Send + 'static>(mut src: R) -> Arc<Mutex<Vec<u8>>> {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&buf);
    thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        loop {
            match src.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => match sink.lock() {
                    Ok(mut v) => v.extend_from_slice(&chunk[..n]),
                    Err(_) => break,
                },
            }
        }
    });
    buf
}

fn take(buf: &Arc<Mutex<Vec<u8>>>) -> String {
    let bytes = buf.lock().map(|v| v.clone()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Runs `cmd` (which must be its own process group leader) with a timeout.
fn run(mut cmd: Command) -> Outcome {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child: Child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    let stdout = collect(child.stdout.take().expect("stdout was piped"));
    let stderr = collect(child.stderr.take().expect("stderr was piped"));

    let deadline = Instant::now() + timeout();
    let ending = loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                break match (status.code(), status.signal()) {
                    (Some(code), _) => Ending::Exited(code),
                    (None, Some(sig)) => Ending::Signaled(sig),
                    (None, None) => panic!("{cmd:?} ended with unknown status {status:?}"),
                }
            }
            Ok(None) if Instant::now() >= deadline => {
                kill_group(child.id());
                let _ = child.wait();
                break Ending::TimedOut;
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("waiting for {cmd:?}: {e}"),
        }
    };
    // Let the reader threads drain the pipes; anything still holding them open (a
    // leftover background process) is killed with the group.
    let drain_until = Instant::now() + Duration::from_secs(2);
    while Arc::strong_count(&stdout) + Arc::strong_count(&stderr) > 2
        && Instant::now() < drain_until
    {
        thread::sleep(Duration::from_millis(5));
    }
    kill_group(child.id());
    Outcome {
        stdout: take(&stdout),
        stderr: take(&stderr),
        ending,
    }
}

/// Sends SIGKILL to the process group we created for one run (procps `kill`, or
/// busybox's when that is missing).
fn kill_group(pgid: u32) {
    let group = format!("-{pgid}");
    let quiet = |cmd: &mut Command| cmd.stdout(Stdio::null()).stderr(Stdio::null()).status();
    if quiet(Command::new("kill").args(["-KILL", "--", &group])).is_err() {
        let _ = quiet(Command::new(rootfs::HOST_BUSYBOX).args(["kill", "-9", &group]));
    }
}

fn base_env(cmd: &mut Command) {
    cmd.env_clear().env("PATH", "/bin").env("HOME", "/root");
    if let Some(v) = std::env::var_os("RUST_LOG") {
        cmd.env("RUST_LOG", v);
    }
}

/// Serialises host runs against [`changed_image_files`].
static IMAGE_FILES: RwLock<()> = RwLock::new(());

fn run_on_host(root: &Path, name: &str) -> Outcome {
    let _guard = IMAGE_FILES.write().unwrap_or_else(|e| e.into_inner());
    let mut cmd = Command::new(format!("/{name}"));
    base_env(&mut cmd);
    let root = root.to_path_buf();
    let leaked = inherited_fds();
    // SAFETY: the closure runs in the forked child before exec. It closes descriptors
    // that were open without FD_CLOEXEC since this process started (so they are open
    // and owned by nobody else in the child), then calls chroot(2) and chdir(2) through
    // std wrappers that do not allocate for short paths; glibc's fork leaves the
    // allocator usable in the child regardless.
    unsafe {
        cmd.pre_exec(move || {
            for &fd in leaked {
                drop(OwnedFd::from_raw_fd(fd));
            }
            std::os::unix::fs::chroot(&root)?;
            std::env::set_current_dir("/")
        });
    }
    run(cmd)
}

/// Descriptors above stderr that this test process inherited without FD_CLOEXEC (from
/// the shell or the build tool). A child would inherit them too; the host run closes
/// them so that the program starts with only stdio, as it does under moat.
fn inherited_fds() -> &'static [RawFd] {
    static FDS: OnceLock<Vec<RawFd>> = OnceLock::new();
    FDS.get_or_init(|| {
        const O_CLOEXEC: u32 = 0o2_000_000;
        let Ok(entries) = fs::read_dir("/proc/self/fd") else {
            return Vec::new();
        };
        let mut fds: Vec<RawFd> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str()?.parse::<RawFd>().ok())
            .filter(|&fd| fd > 2)
            .filter(|fd| {
                let info =
                    fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap_or_default();
                info.lines()
                    .find_map(|l| l.strip_prefix("flags:"))
                    .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
                    .is_some_and(|flags| flags & O_CLOEXEC == 0)
            })
            .collect();
        fds.sort_unstable();
        fds
    })
}

fn run_in_moat(root: &Path, name: &str) -> Outcome {
    run_in_moat_with(root, name, strace())
}

fn run_in_moat_with(root: &Path, name: &str, with_strace: bool) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_moat"));
    base_env(&mut cmd);
    cmd.arg("do");
    if with_strace {
        cmd.arg("--strace");
    }
    cmd.arg("--rootfs")
        .arg(root)
        .arg("--")
        .arg(format!("/{name}"));
    run(cmd)
}

/// `--strace` must not change what a program sees: the garbage programs (whose odd
/// arguments stress the decoder most) print the same and end the same with and without
/// it. Compares moat with moat, so it holds whether or not a program matches Linux.
#[test]
fn strace_changes_nothing() {
    if host_only() {
        return;
    }
    let root = rootfs();
    let mut failures = Vec::new();
    for name in PROGRAMS.iter().filter(|p| p.starts_with("garbage_")) {
        compile(root, name);
        let plain = run_in_moat_with(root, name, false);
        let traced = run_in_moat_with(root, name, true);
        let same = plain.stdout == traced.stdout && plain.ending == traced.ending;
        // known_failures.txt may list "strace:<program>" like any program.
        match (known_failure(&format!("strace:{name}")), same) {
            (Some(reason), true) => failures.push(format!(
                "`{name}` now behaves the same under --strace: remove strace:{name} from \
                 tests/syscalls/known_failures.txt (it was listed as: {reason})"
            )),
            (Some(reason), false) => eprintln!("known failure strace:{name} ({reason})"),
            (None, true) => {}
            (None, false) => failures.push(format!(
                "`{name}`: without --strace {}, with --strace {}\n{}\nmoat --strace stderr (last 10 lines):\n{}",
                plain.ending,
                traced.ending,
                unified_diff("plain", &plain.stdout, "--strace", &traced.stdout),
                tail(&traced.stderr, 10)
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "--strace changed the behaviour of {} program(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Paths a program may write on the host run: entries of `/`, `/tmp` and `/root` named
/// `<name>.<anything>`. Those named `<name>.keep*` are left behind on purpose (so that a
/// sandbox that writes through is caught even though the program cleans up the rest).
fn leftovers(root: &Path, name: &str) -> Vec<PathBuf> {
    let prefix = format!("{name}.");
    let mut found = Vec::new();
    for dir in ["", "tmp", "root"] {
        let Ok(entries) = fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.filter_map(|e| e.ok()) {
            let Ok(file) = entry.file_name().into_string() else {
                continue;
            };
            if file.starts_with(&prefix) {
                found.push(Path::new("/").join(dir).join(file));
            }
        }
    }
    found.sort();
    found
}

fn is_keep(path: &Path, name: &str) -> bool {
    path.file_name()
        .and_then(|f| f.to_str())
        .is_some_and(|f| f.starts_with(&format!("{name}.keep")))
}

fn show_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

/// Removes the `<name>.keep*` files a host run left on purpose.
fn remove_kept(root: &Path, name: &str) {
    for path in leftovers(root, name) {
        if is_keep(&path, name) {
            let on_host = root.join(path.strip_prefix("/").unwrap_or(&path));
            let _ = fs::remove_file(&on_host).or_else(|_| fs::remove_dir_all(&on_host));
        }
    }
}

/// Image files that a program may change on the host but must restore (overlay_writes.c
/// does); the moat run must not touch them at all.
///
/// Host runs hold [`IMAGE_FILES`] for writing and this check holds it for reading, so a
/// host run that is changing a file right now is never mistaken for a sandbox leak.
fn changed_image_files(root: &Path) -> Vec<&'static str> {
    let _guard = IMAGE_FILES.read().unwrap_or_else(|e| e.into_inner());
    [
        ("etc/passwd", rootfs::ETC_PASSWD),
        ("etc/group", rootfs::ETC_GROUP),
    ]
    .into_iter()
    .filter(|(path, want)| fs::read_to_string(root.join(path)).ok().as_deref() != Some(*want))
    .map(|(path, _)| path)
    .collect()
}

fn check_program(name: &str) {
    let root = rootfs();
    compile(root, name);
    // Problems no known-failure entry can excuse: a broken test, or a sandbox that
    // writes through to the host.
    let mut broken = Vec::new();
    // Differences between Linux and moat.
    let mut differences = Vec::new();

    let moat = if host_only() {
        None
    } else {
        let outcome = run_in_moat(root, name);
        let leaked = leftovers(root, name);
        if !leaked.is_empty() {
            broken.push(format!(
                "the moat run wrote through to the host rootfs: {}",
                show_paths(&leaked)
            ));
        }
        let changed = changed_image_files(root);
        if !changed.is_empty() {
            broken.push(format!(
                "the moat run changed image files on the host: {}",
                changed.join(", ")
            ));
        }
        Some(outcome)
    };

    let host = run_on_host(root, name);
    remove_kept(root, name);
    let again = run_on_host(root, name);
    remove_kept(root, name);
    if host.ending == Ending::TimedOut {
        broken.push(format!(
            "the host run timed out; its output:\n{}",
            host.stdout
        ));
    }
    if host.stdout != again.stdout || host.ending != again.ending {
        broken.push(format!(
            "the program is not deterministic on the host (run 1: {}, run 2: {}):\n{}",
            host.ending,
            again.ending,
            unified_diff("host run 1", &host.stdout, "host run 2", &again.stdout)
        ));
    }
    let leaked = leftovers(root, name);
    if !leaked.is_empty() {
        broken.push(format!(
            "the program left files behind on the host: {}",
            show_paths(&leaked)
        ));
    }

    if let Some(moat) = &moat {
        let status_differs = host.ending.as_exit_code().is_none()
            || moat.ending != Ending::Exited(host.ending.as_exit_code().unwrap_or(-1));
        if status_differs {
            differences.push(format!(
                "exit status: host {}, moat {}",
                host.ending, moat.ending
            ));
        }
        if host.stdout != moat.stdout {
            differences.push(format!(
                "stdout differs:\n{}",
                unified_diff("host", &host.stdout, "moat", &moat.stdout)
            ));
        }
    }
    let mut report: Vec<String> = broken.iter().chain(&differences).cloned().collect();
    if let Some(moat) = &moat {
        let lines = if strace() { 80 } else { 30 };
        if !report.is_empty() && !moat.stderr.trim().is_empty() {
            report.push(format!(
                "moat stderr (last {lines} lines):\n{}",
                tail(&moat.stderr, lines)
            ));
        }
    }

    match known_failure(name) {
        Some(_) if moat.is_none() && broken.is_empty() => {}
        Some(reason) if broken.is_empty() && !differences.is_empty() => {
            eprintln!(
                "known failure `{name}` ({reason}), still differs:\n{}",
                report.join("\n")
            );
        }
        Some(reason) if broken.is_empty() => panic!(
            "syscall test `{name}` now matches Linux: remove it from \
             tests/syscalls/known_failures.txt (it was listed as: {reason})"
        ),
        _ => assert!(
            report.is_empty(),
            "syscall test `{name}` (tests/syscalls/{name}.c) failed:\n{}",
            report.join("\n")
        ),
    }
}

/// The reason given for `name` in `tests/syscalls/known_failures.txt`, unless
/// `MOAT_SYSCALL_STRICT` is set (then every difference fails).
///
/// Each line there is `<program> <reason>`; `#` starts a comment. A listed program is
/// still run and compared: its differences are printed but do not fail the test, and the
/// test fails once the program matches Linux, so that the list only shrinks.
fn known_failure(name: &str) -> Option<String> {
    if std::env::var_os("MOAT_SYSCALL_STRICT").is_some_and(|v| !v.is_empty() && v != "0") {
        return None;
    }
    let path = suite_dir().join("known_failures.txt");
    let text = fs::read_to_string(&path).ok()?;
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter_map(|line| line.split_once(char::is_whitespace).or(Some((line, ""))))
        .find(|(program, _)| *program == name)
        .map(|(_, reason)| reason.trim().to_owned())
}

/// Fails when known_failures.txt names a program that does not exist.
#[test]
fn known_failures_name_real_programs() {
    let path = suite_dir().join("known_failures.txt");
    let Ok(text) = fs::read_to_string(&path) else {
        return;
    };
    let unknown: Vec<&str> = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|entry| !PROGRAMS.contains(&entry.strip_prefix("strace:").unwrap_or(entry)))
        .collect();
    assert!(
        unknown.is_empty(),
        "{} lists programs that do not exist: {unknown:?}",
        path.display()
    );
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A unified-looking line diff (longest common subsequence, three lines of context).
fn unified_diff(a_name: &str, a: &str, b_name: &str, b: &str) -> String {
    const CONTEXT: usize = 3;
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    if a.len() * b.len() > 25_000_000 {
        return format!(
            "--- {a_name}\n+++ {b_name}\n(outputs too long to diff: {} vs {} lines)",
            a.len(),
            b.len()
        );
    }
    // lcs[i][j] = length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    let mut out = format!("--- {a_name}\n+++ {b_name}\n");
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    let mut previous_shown = false;
    for (k, (op, line)) in ops.iter().enumerate() {
        let shown = changed.iter().any(|&c| c.abs_diff(k) <= CONTEXT);
        if shown && !previous_shown {
            out.push_str(&format!("@@ near line {} @@\n", k + 1));
        }
        if shown {
            out.push_str(&format!("{op}{line}\n"));
        }
        previous_shown = shown;
    }
    if changed.is_empty() {
        out.push_str("(no line differs: the difference is in whitespace or a final newline)\n");
    }
    out
}
