//! Verbs that need no running container: spec, list, syscalls, argument errors.

mod cli_support;

use std::fs;

use cli_support::{one_line, run_moat, Env};

#[test]
fn spec_writes_a_config_once() {
    let env = Env::new("spec");
    let dir = env.dir.join("bundle");
    fs::create_dir_all(&dir).unwrap();
    env.ok(&["spec", "--bundle", dir.to_str().unwrap()]);
    let spec: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(spec["root"]["path"], "rootfs");
    assert!(spec["process"]["args"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    let line = one_line(&env.fails(&["spec", "--bundle", dir.to_str().unwrap()]));
    assert!(
        line.contains("config.json") && line.contains("exists"),
        "{line}"
    );
}

#[test]
fn list_formats_with_no_containers() {
    let env = Env::new("listempty");
    assert_eq!(env.ok(&["list", "--format", "json"]).trim(), "[]");
    let table = env.ok(&["list"]);
    assert!(
        table.starts_with("ID") && table.contains("STATUS"),
        "{table}"
    );
    assert_eq!(env.ok(&["list", "-q"]), "");
}

#[test]
fn unknown_signal_is_named() {
    let env = Env::new("badsig");
    let line = one_line(&env.fails(&["kill", "c", "SIGBOGUS"]));
    assert!(
        line.contains("signaling container \"c\"") && line.contains("SIGBOGUS"),
        "{line}"
    );
}

#[test]
fn syscalls_prints_the_compatibility_table() {
    let out = run_moat(&["syscalls"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let read = text
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("read"));
    assert!(
        read.is_some_and(|l| l.contains("full")),
        "read is listed as full"
    );
    assert!(
        text.lines()
            .last()
            .is_some_and(|l| l.contains("unsupported")),
        "totals at the end"
    );
}

#[test]
fn do_runs_in_a_sandbox_and_keeps_the_exit_status() {
    let root = cli_support::shared_rootfs();
    let out = run_moat(&[
        "--root",
        std::env::temp_dir()
            .join("moat-e2e-do-root")
            .to_str()
            .unwrap(),
        "do",
        "--rootfs",
        root.to_str().unwrap(),
        "--",
        "/bin/sh",
        "-c",
        "echo from-do; exit 5",
    ]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from-do\n");
}
