//! Every failure gets one clear line naming the container, the operation and the
//! cause, and leaves nothing behind: no state, no socket, no process. Needs root.

mod cli_support;

use std::fs;

use cli_support::{gone_within, one_line, Env};

/// Sandbox processes (moat boot) whose command line names `id`.
fn sandboxes_for(id: &str) -> Vec<i64> {
    let mut pids = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i64>() else {
            continue;
        };
        let Ok(cmd) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
        if args.first() == Some(&&b"moat-sandbox"[..])
            && args.contains(&id.as_bytes())
            && cli_support::alive(pid)
        {
            pids.push(pid);
        }
    }
    pids
}

/// An id no concurrent run of these tests uses (sandboxes are found by id).
fn unique(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

fn assert_nothing_left(env: &Env, id: &str) {
    assert!(
        env.root_entries().is_empty(),
        "state left: {:?}",
        env.root_entries()
    );
    assert!(
        sandboxes_for(id).is_empty(),
        "sandbox processes left for {id}"
    );
}

#[test]
fn missing_config_json() {
    let id = unique("nocfg1");
    let env = Env::new("noconfig");
    let b = env.dir.join("empty");
    fs::create_dir_all(&b).unwrap();
    let line = one_line(&env.fails(&["create", "--bundle", b.to_str().unwrap(), &id]));
    assert!(
        line.contains(&format!("creating container \"{id}\"")),
        "{line}"
    );
    assert!(
        line.contains("config.json") && line.contains("No such file or directory"),
        "{line}"
    );
    assert_nothing_left(&env, &id);
}

#[test]
fn malformed_config_json() {
    let id = unique("badjson1");
    let env = Env::new("badjson");
    let b = env.bundle("b", &["true"]);
    fs::write(
        b.join("config.json"),
        "{\"process\": {\"args\": [\"true\"],,}",
    )
    .unwrap();
    let line = one_line(&env.fails(&["create", "--bundle", b.to_str().unwrap(), &id]));
    assert!(
        line.contains(&format!("creating container \"{id}\"")),
        "{line}"
    );
    assert!(
        line.contains("parsing bundle config") && line.contains("line 1"),
        "{line}"
    );
    assert_nothing_left(&env, &id);
}

#[test]
fn missing_rootfs() {
    let id = unique("noroot1");
    let env = Env::new("norootfs");
    let b = env.bundle("b", &["true"]);
    let cfg = b.join("config.json");
    let text = fs::read_to_string(&cfg).unwrap();
    let mut spec: serde_json::Value = serde_json::from_str(&text).unwrap();
    spec["root"]["path"] = "no-such-rootfs".into();
    fs::write(&cfg, spec.to_string()).unwrap();
    let line = one_line(&env.fails(&["create", "--bundle", b.to_str().unwrap(), &id]));
    assert!(
        line.contains(&format!("creating container \"{id}\"")),
        "{line}"
    );
    assert!(
        line.contains("no-such-rootfs") && line.contains("No such file or directory"),
        "{line}"
    );
    assert_nothing_left(&env, &id);
}

#[test]
fn duplicate_id_keeps_the_first_container() {
    let id = unique("dup1");
    let env = Env::new("dup");
    let b = env.bundle("b", &["sleep", "1000"]);
    env.ok(&["create", "--bundle", b.to_str().unwrap(), &id]);
    let first = env.state(&id);
    let line = one_line(&env.fails(&["create", "--bundle", b.to_str().unwrap(), &id]));
    assert!(
        line.contains(&format!("creating container \"{id}\"")) && line.contains("already exists"),
        "{line}"
    );
    assert_eq!(env.state(&id), first, "the first container is untouched");
    assert_eq!(
        sandboxes_for(&id).len(),
        1,
        "no second sandbox left running"
    );
    env.ok(&["delete", &id]);
    assert_nothing_left(&env, &id);
}

#[test]
fn ids_with_slash_or_dots_are_refused() {
    let env = Env::new("badid");
    let b = env.bundle("b", &["true"]);
    for id in ["a/b", "..", ".", "../escape", ""] {
        let line = one_line(&env.fails(&["create", "--bundle", b.to_str().unwrap(), id]));
        assert!(line.contains("invalid container id"), "{id:?}: {line}");
        assert!(
            env.root_entries().is_empty(),
            "{id:?} left {:?}",
            env.root_entries()
        );
    }
    assert!(!env.dir.join("escape").exists());
}

#[test]
fn verbs_on_unknown_ids() {
    let env = Env::new("unknown");
    for (verb, op) in [
        ("start", "starting"),
        ("kill", "signaling"),
        ("delete", "deleting"),
        ("state", "reading the state of"),
    ] {
        let line = one_line(&env.fails(&[verb, "ghost"]));
        assert!(
            line.contains(&format!("{op} container \"ghost\"")),
            "{verb}: {line}"
        );
        assert!(line.contains("does not exist"), "{verb}: {line}");
    }
    assert!(env.root_entries().is_empty());
}

#[test]
fn delete_running_needs_force() {
    let id = unique("busy");
    let env = Env::new("force");
    let b = env.bundle("b", &["sleep", "1000"]);
    env.ok(&["run", "-d", "--bundle", b.to_str().unwrap(), &id]);
    let pid = env.state(&id)["pid"].as_i64().unwrap();
    let line = one_line(&env.fails(&["delete", &id]));
    assert!(
        line.contains(&format!("deleting container \"{id}\"")) && line.contains("--force"),
        "{line}"
    );
    assert_eq!(
        env.state(&id)["status"],
        "running",
        "a refused delete changes nothing"
    );
    env.ok(&["delete", "--force", &id]);
    assert!(gone_within(pid, 5));
    assert_nothing_left(&env, &id);
}

#[test]
fn unwritable_root() {
    let id = unique("r1");
    let env = Env::new("badroot");
    let b = env.bundle("b", &["true"]);
    let file = env.dir.join("plainfile");
    fs::write(&file, "x").unwrap();
    let root = file.join("root");
    let out = cli_support::run_moat(&[
        "--root",
        root.to_str().unwrap(),
        "create",
        "--bundle",
        b.to_str().unwrap(),
        &id,
    ]);
    assert!(!out.status.success());
    let line = one_line(&String::from_utf8_lossy(&out.stderr));
    assert!(
        line.contains(&format!("creating container \"{id}\"")) && line.contains("Not a directory"),
        "{line}"
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), "x");
    assert!(sandboxes_for(&id).is_empty());
}

#[test]
fn sandbox_killed_between_create_and_start() {
    let id = unique("k1");
    let env = Env::new("killed");
    let b = env.bundle("b", &["sleep", "1000"]);
    env.ok(&["create", "--bundle", b.to_str().unwrap(), &id]);
    let pid = env.state(&id)["pid"].as_i64().unwrap();
    let socket = env.record(&id)["sandbox"]["controlSocket"]
        .as_str()
        .unwrap()
        .to_owned();
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(gone_within(pid, 5));
    let line = one_line(&env.fails(&["start", &id]));
    assert!(
        line.contains(&format!("starting container \"{id}\"")) && line.contains("stopped"),
        "{line}"
    );
    assert_eq!(env.state(&id)["status"], "stopped");
    env.ok(&["delete", &id]);
    assert!(!std::path::Path::new(&socket).exists());
    assert_nothing_left(&env, &id);
}

#[test]
fn unsupported_network_is_refused_clearly() {
    let id = unique("n1");
    let env = Env::new("net");
    let b = env.bundle("b", &["true"]);
    let line = one_line(&env.fails(&[
        "--network",
        "sandbox",
        "create",
        "--bundle",
        b.to_str().unwrap(),
        &id,
    ]));
    assert!(
        line.contains(&format!("creating container \"{id}\""))
            && line.contains("not supported yet"),
        "{line}"
    );
    assert_nothing_left(&env, &id);
}

/// The sandbox runs as nobody, so a moat binary others cannot execute makes the
/// sandbox fail to start; the error says so and names the fix.
#[test]
fn unexecutable_binary_is_named_in_the_error() {
    let id = unique("p1");
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new("perms");
    let b = env.bundle("b", &["true"]);
    let private = env.dir.join("moat-private");
    fs::copy(cli_support::MOAT, &private).unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();
    // Another test thread may fork while the copy is still open for writing, and its
    // child then holds the write descriptor for a moment: exec fails with ETXTBSY
    // until that child has exec'd or exited. Retry briefly.
    let run = || {
        std::process::Command::new(&private)
            .args([
                "--root",
                env.root.to_str().unwrap(),
                "create",
                "--bundle",
                b.to_str().unwrap(),
                &id,
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .output()
    };
    let mut attempt = run();
    for _ in 0..100 {
        match &attempt {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                attempt = run();
            }
            _ => break,
        }
    }
    let out = attempt.unwrap();
    assert!(!out.status.success());
    let line = one_line(&String::from_utf8_lossy(&out.stderr));
    assert!(
        line.contains(&format!("creating container \"{id}\"")),
        "{line}"
    );
    assert!(
        line.contains("moat-private") && line.contains("chmod o+rx"),
        "{line}"
    );
    assert_nothing_left(&env, &id);
}

/// containerd reads errors from `--log` in JSON; the failure is there too.
#[test]
fn errors_reach_a_json_log() {
    let env = Env::new("jsonlog");
    let log = env.dir.join("log.json");
    let b = env.dir.join("nothing-here");
    let err = env.fails(&[
        "--log",
        log.to_str().unwrap(),
        "--log-format",
        "json",
        "create",
        "--bundle",
        b.to_str().unwrap(),
        "j1",
    ]);
    one_line(&err);
    let text = fs::read_to_string(&log).unwrap();
    let entry: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(entry["level"], "ERROR");
    let msg = entry["fields"]["message"].as_str().unwrap();
    assert!(
        msg.contains("creating container \"j1\"") && msg.contains("nothing-here"),
        "{msg}"
    );
}
