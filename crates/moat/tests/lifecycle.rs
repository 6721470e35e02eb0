//! End-to-end lifecycle tests: `moat` as runc users call it, on busybox bundles made
//! with `moat spec`. Needs root and busybox-static.

mod cli_support;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use cli_support::{alive, gone_within, wait_status, Env, MOAT};

#[test]
fn create_start_kill_wait_delete() {
    let env = Env::new("lifecycle");
    let bundle = env.bundle("b", &["sleep", "1000"]);
    env.ok(&["create", "--bundle", bundle.to_str().unwrap(), "web"]);

    let st = env.state("web");
    assert_eq!(st["status"], "created");
    assert_eq!(st["id"], "web");
    let pid = st["pid"].as_i64().expect("pid");
    assert!(
        pid > 0 && alive(pid),
        "state names the live sandbox pid, got {pid}"
    );
    let socket = PathBuf::from(
        env.record("web")["sandbox"]["controlSocket"]
            .as_str()
            .unwrap(),
    );
    assert!(
        socket.exists(),
        "control socket {} exists",
        socket.display()
    );

    env.ok(&["start", "web"]);
    assert_eq!(env.state("web")["status"], "running");
    assert_eq!(env.state("web")["pid"].as_i64(), Some(pid));
    let listed = env.ok(&["list", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["id"], "web");
    assert_eq!(listed[0]["status"], "running");

    env.ok(&["kill", "web", "KILL"]);
    let waited: serde_json::Value = serde_json::from_str(&env.ok(&["wait", "web"])).unwrap();
    assert_eq!(
        waited["exitStatus"],
        128 + 9,
        "wait reports death by SIGKILL: {waited}"
    );
    assert_eq!(env.state("web")["status"], "stopped");

    env.ok(&["delete", "web"]);
    assert!(
        env.root_entries().is_empty(),
        "state left: {:?}",
        env.root_entries()
    );
    assert!(!socket.exists(), "control socket left behind");
    assert!(gone_within(pid, 5), "sandbox process {pid} left behind");
    let err = env.fails(&["state", "web"]);
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn run_propagates_exit_codes_and_output() {
    let env = Env::new("run");
    let b = env.bundle("b3", &["sh", "-c", "echo out; exit 3"]);
    let out = env.moat(&["run", "--bundle", b.to_str().unwrap(), "three"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    assert!(
        env.root_entries().is_empty(),
        "run cleans up: {:?}",
        env.root_entries()
    );

    let b = env.bundle("b0", &["true"]);
    let out = env.moat(&["run", "--bundle", b.to_str().unwrap(), "zero"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn run_detached_writes_pid_file_and_keeps_running() {
    let env = Env::new("detach");
    let b = env.bundle("b", &["sleep", "1000"]);
    let pid_file = env.dir.join("pid");
    env.ok(&[
        "run",
        "-d",
        "--pid-file",
        pid_file.to_str().unwrap(),
        "--bundle",
        b.to_str().unwrap(),
        "bg",
    ]);
    let pid: i64 = fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(env.state("bg")["pid"].as_i64(), Some(pid));
    assert_eq!(env.state("bg")["status"], "running");
    env.ok(&["delete", "--force", "bg"]);
    assert!(gone_within(pid, 5));
}

/// The sandbox is confined: nobody on the host, its own PID namespace, an empty root.
#[test]
fn sandbox_runs_as_nobody_in_its_own_namespaces() {
    let env = Env::new("confined");
    let b = env.bundle("b", &["sleep", "1000"]);
    env.ok(&["run", "-d", "--bundle", b.to_str().unwrap(), "conf"]);
    let pid = env.state("conf")["pid"].as_i64().unwrap();

    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    let uids: Vec<&str> = uid_line.split_whitespace().skip(1).collect();
    assert_eq!(uids, vec!["65534"; 4], "sandbox runs as nobody: {uid_line}");

    for ns in ["pid", "user", "mnt", "ipc", "uts", "net"] {
        let theirs = fs::read_link(format!("/proc/{pid}/ns/{ns}")).unwrap();
        let ours = fs::read_link(format!("/proc/self/ns/{ns}")).unwrap();
        assert_ne!(theirs, ours, "sandbox shares the {ns} namespace");
    }
    let ns_pid = status.lines().find(|l| l.starts_with("NSpid:")).unwrap();
    assert!(
        ns_pid.trim_end().ends_with("\t1"),
        "sandbox is pid 1 of its namespace: {ns_pid}"
    );

    let theirs = fs::metadata(format!("/proc/{pid}/root")).unwrap();
    let host = fs::metadata("/").unwrap();
    assert_ne!(
        (theirs.dev(), theirs.ino()),
        (host.dev(), host.ino()),
        "root is not the host's /"
    );
    let entries: Vec<_> = fs::read_dir(format!("/proc/{pid}/root"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        entries.iter().all(|e| e == "proc"),
        "sandbox root is empty: {entries:?}"
    );

    // The sandbox keeps no capabilities once confined.
    let cap_eff = status.lines().find(|l| l.starts_with("CapEff:")).unwrap();
    assert!(cap_eff.ends_with("0000000000000000"), "{cap_eff}");
    env.ok(&["delete", "--force", "conf"]);
}

/// `run` without -d is attached: killing moat kills the sandbox.
#[test]
fn attached_sandbox_dies_with_moat() {
    let env = Env::new("attached");
    let b = env.bundle("b", &["sleep", "1000"]);
    let mut child = Command::new(MOAT)
        .args(["--root", env.root.to_str().unwrap(), "run", "--bundle"])
        .arg(&b)
        .arg("att")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    assert_eq!(wait_status(&env, "att", "running", 20), "running");
    let pid = env.state("att")["pid"].as_i64().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(gone_within(pid, 5), "attached sandbox {pid} outlived moat");
    assert_eq!(env.state("att")["status"], "stopped");
    env.ok(&["delete", "att"]);
}

/// `wait` on a sandbox that was killed from outside still answers (stopped), and
/// `state` re-checks the sandbox rather than trusting the file.
#[test]
fn sandbox_killed_from_outside_reads_stopped() {
    let env = Env::new("outside");
    let b = env.bundle("b", &["sleep", "1000"]);
    env.ok(&["run", "-d", "--bundle", b.to_str().unwrap(), "victim"]);
    let pid = env.state("victim")["pid"].as_i64().unwrap();
    Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(gone_within(pid, 5));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(env.state("victim")["status"], "stopped");
    assert_eq!(env.state("victim")["pid"], 0);
    env.ok(&["delete", "victim"]);
    assert!(env.root_entries().is_empty());
}

/// When the sandbox of an attached `run` is killed, the control socket is gone and
/// `run` falls back to the sandbox process's own exit status.
#[test]
fn run_reports_the_sandbox_status_when_the_sandbox_dies() {
    let env = Env::new("fallback");
    let b = env.bundle("b", &["sleep", "1000"]);
    let child = Command::new(MOAT)
        .args(["--root", env.root.to_str().unwrap(), "run", "--bundle"])
        .arg(&b)
        .arg("fb")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    assert_eq!(wait_status(&env, "fb", "running", 20), "running");
    let pid = env.state("fb")["pid"].as_i64().unwrap();
    Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(128 + 9),
        "run exits as the sandbox died"
    );
    assert!(
        env.root_entries().is_empty(),
        "run cleaned up: {:?}",
        env.root_entries()
    );
}

/// With `process.terminal` and `--console-socket`, the pty master arrives over the
/// socket and the container's output comes out of it.
#[test]
fn terminal_goes_to_the_console_socket() {
    use std::io::Read;
    use std::os::unix::net::UnixListener;

    let env = Env::new("tty");
    let b = env.bundle("b", &["sh", "-c", "echo tty-ok; sleep 1000"]);
    let cfg = b.join("config.json");
    let mut spec: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&cfg).unwrap()).unwrap();
    spec["process"]["terminal"] = true.into();
    fs::write(&cfg, spec.to_string()).unwrap();
    let sock = env.dir.join("console.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let receiver = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        cli_support::recv_fd(&conn)
    });
    env.ok(&[
        "run",
        "-d",
        "--console-socket",
        sock.to_str().unwrap(),
        "--bundle",
        b.to_str().unwrap(),
        "tty",
    ]);
    let mut master = fs::File::from(receiver.join().unwrap());
    let mut seen = String::new();
    let mut buf = [0u8; 256];
    while !seen.contains("tty-ok") {
        let n = master.read(&mut buf).unwrap();
        assert!(n > 0, "terminal closed before output; got {seen:?}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    env.ok(&["delete", "--force", "tty"]);
}

/// An attached `run` passes the signals sent to moat on to the container.
#[test]
fn attached_run_forwards_signals() {
    let env = Env::new("forward");
    let b = env.bundle(
        "b",
        &[
            "sh",
            "-c",
            "trap 'echo got-term; exit 7' TERM; echo ready; sleep 1000 & wait",
        ],
    );
    let out_path = env.dir.join("out");
    let child = Command::new(MOAT)
        .args(["--root", env.root.to_str().unwrap(), "run", "--bundle"])
        .arg(&b)
        .arg("fwd")
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).unwrap())
        .spawn()
        .unwrap();
    // The shell says "ready" once its trap is installed.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while fs::read_to_string(&out_path).unwrap_or_default() != "ready\n" {
        assert!(
            std::time::Instant::now() < deadline,
            "the container never got ready"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "the container's trap decided the exit"
    );
    assert_eq!(fs::read_to_string(&out_path).unwrap(), "ready\ngot-term\n");
    assert!(env.root_entries().is_empty());
}

/// A `--root` too long for `sockaddr_un` still works: the socket is bound and reached
/// through `/proc/self/fd`.
#[test]
fn long_root_paths_work() {
    let env = Env::new("longroot");
    let b = env.bundle("b", &["sleep", "1000"]);
    let root = env.dir.join("r".repeat(100)).join("s".repeat(60));
    let root = root.to_str().unwrap();
    let moat = |args: &[&str]| {
        let mut all = vec!["--root", root];
        all.extend_from_slice(args);
        cli_support::run_ok(&all)
    };
    moat(&["create", "--bundle", b.to_str().unwrap(), "long"]);
    moat(&["start", "long"]);
    let st: serde_json::Value = serde_json::from_str(&moat(&["state", "long"])).unwrap();
    assert_eq!(st["status"], "running");
    let pid = st["pid"].as_i64().unwrap();
    moat(&["delete", "--force", "long"]);
    assert!(gone_within(pid, 5));
}

/// `--network host` keeps the host's network namespace; the default is a new one.
#[test]
fn network_host_shares_the_host_namespace() {
    let env = Env::new("nethost");
    let b = env.bundle("b", &["sleep", "1000"]);
    env.ok(&[
        "--network",
        "host",
        "run",
        "-d",
        "--bundle",
        b.to_str().unwrap(),
        "hostnet",
    ]);
    let pid = env.state("hostnet")["pid"].as_i64().unwrap();
    let theirs = fs::read_link(format!("/proc/{pid}/ns/net")).unwrap();
    assert_eq!(theirs, fs::read_link("/proc/self/ns/net").unwrap());
    env.ok(&["delete", "--force", "hostnet"]);
}

/// Bind mounts reach the sandbox as donated directory descriptors; `ro` holds.
#[test]
fn bind_mounts_are_visible_and_read_only_when_asked() {
    let env = Env::new("bind");
    let data = env.dir.join("data");
    fs::create_dir_all(&data).unwrap();
    fs::write(data.join("f"), "bound\n").unwrap();
    let b = env.bundle(
        "b",
        &[
            "sh",
            "-c",
            "cat /data/f; echo x > /data/new || echo refused",
        ],
    );
    let cfg = b.join("config.json");
    let mut spec: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&cfg).unwrap()).unwrap();
    spec["mounts"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "destination": "/data", "type": "bind", "source": data, "options": ["rbind", "ro"]
        }));
    fs::write(&cfg, spec.to_string()).unwrap();
    let out = env.moat(&["run", "--bundle", b.to_str().unwrap(), "bind"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "bound\nrefused\n");
    assert!(
        !data.join("new").exists(),
        "a read-only mount was written through"
    );
}

/// Without root, the sandbox's user namespace maps `nobody` to the caller.
#[test]
fn rootless_sandbox_runs_as_the_caller() {
    use std::os::unix::fs::PermissionsExt;
    const UID: &str = "4242";
    if Command::new("setpriv").arg("--help").output().is_err() {
        panic!("setpriv (util-linux) is needed for this test");
    }
    let env = Env::new("rootless");
    let b = env.bundle("b", &["sleep", "1000"]);
    let root = env.dir.join("user-root");
    fs::create_dir_all(&root).unwrap();
    std::os::unix::fs::chown(&root, Some(4242), Some(4242)).unwrap();
    fs::set_permissions(&env.dir, fs::Permissions::from_mode(0o755)).unwrap();
    let as_user = |args: &[&str]| {
        Command::new("setpriv")
            .args([
                "--reuid",
                UID,
                "--regid",
                UID,
                "--clear-groups",
                MOAT,
                "--root",
            ])
            .arg(&root)
            .args(["--rootless"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
    };
    assert!(as_user(&["run", "-d", "--bundle", b.to_str().unwrap(), "rl"]).success());
    let rec: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root.join("rl/state.json")).unwrap()).unwrap();
    let pid = rec["sandbox"]["pid"].as_i64().unwrap();
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert_eq!(uid_line.split_whitespace().nth(1), Some(UID), "{uid_line}");
    let map = fs::read_to_string(format!("/proc/{pid}/uid_map")).unwrap();
    let map: Vec<&str> = map.split_whitespace().collect();
    assert_eq!(
        map,
        vec!["65534", UID, "1"],
        "nobody inside is the caller outside"
    );
    assert!(as_user(&["delete", "--force", "rl"]).success());
    assert!(gone_within(pid, 5));
}

/// Only donated descriptors reach the sandbox: one moat inherits from its caller does
/// not, and the sandbox's own stdio is /dev/null.
#[test]
fn no_stray_descriptor_reaches_the_sandbox() {
    use std::os::fd::{FromRawFd, OwnedFd};
    let env = Env::new("fds");
    let b = env.bundle("b", &["sleep", "1000"]);
    let marker = env.dir.join("leaky-marker");
    fs::write(&marker, "x").unwrap();
    let path = std::ffi::CString::new(marker.to_str().unwrap()).unwrap();
    // SAFETY: open of a NUL-terminated path; the result is checked and owned below.
    let raw = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY) };
    assert!(raw >= 0);
    // SAFETY: `raw` is a fresh descriptor owned by nobody else.
    let _leak = unsafe { OwnedFd::from_raw_fd(raw) };
    env.ok(&["run", "-d", "--bundle", b.to_str().unwrap(), "fds"]);
    let pid = env.state("fds")["pid"].as_i64().unwrap();
    let mut targets = Vec::new();
    for e in fs::read_dir(format!("/proc/{pid}/fd")).unwrap().flatten() {
        let n: i32 = e.file_name().to_string_lossy().parse().unwrap();
        let t = fs::read_link(e.path()).unwrap();
        if n <= 2 {
            assert_eq!(t, PathBuf::from("/dev/null"), "sandbox fd {n}");
        }
        targets.push(t);
    }
    assert!(
        !targets.contains(&marker),
        "an inherited descriptor leaked into the sandbox: {targets:?}"
    );
    env.ok(&["delete", "--force", "fds"]);
}

/// An attached run of a `process.terminal` bundle (what `moat spec` writes) shares
/// moat's own terminal; without one it still runs.
#[test]
fn attached_terminal_bundle_uses_moats_terminal() {
    let env = Env::new("ownterm");
    let b = env.bundle("b", &["sh", "-c", "[ -t 0 ] && echo is-tty; exit 4"]);
    let cfg = b.join("config.json");
    let mut spec: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&cfg).unwrap()).unwrap();
    spec["process"]["terminal"] = true.into();
    fs::write(&cfg, spec.to_string()).unwrap();

    // `script` gives moat a pseudo-terminal as its stdio.
    let cmd = format!(
        "{MOAT} --root {} run --bundle {} t1; echo rc=$?",
        env.root.display(),
        b.display()
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("is-tty") && text.contains("rc=4"), "{text:?}");

    let out = env.moat(&["run", "--bundle", b.to_str().unwrap(), "t2"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty(), "no terminal, so no is-tty");
}
