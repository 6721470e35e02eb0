use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;

/// A scratch directory removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "moat-container-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A bundle dir with `config` as config.json and an empty rootfs.
fn bundle_with(config: &str) -> TempDir {
    let t = TempDir::new("bundle");
    fs::create_dir(t.path().join("rootfs")).unwrap();
    fs::write(t.path().join(CONFIG_FILE), config).unwrap();
    t
}

fn default_bundle() -> TempDir {
    bundle_with(&Spec::default_for_moat().to_pretty_json())
}

fn edit(f: impl FnOnce(&mut Spec)) -> TempDir {
    let mut spec = Spec::default_for_moat();
    f(&mut spec);
    bundle_with(&spec.to_pretty_json())
}

#[test]
fn default_spec_loads_and_resolves_rootfs() {
    let t = default_bundle();
    let b = Bundle::load(t.path()).unwrap();
    let canon = fs::canonicalize(t.path()).unwrap();
    assert_eq!(b.dir, canon);
    assert_eq!(b.rootfs, canon.join("rootfs"));
    assert_eq!(b.config_path, canon.join("config.json"));
    assert_eq!(b.spec, Spec::default_for_moat());
    let p = b.process().unwrap();
    assert_eq!(p.args, ["sh"]);
    assert!(p.terminal);
}

#[test]
fn default_spec_has_the_runc_spec_shape() {
    let s = Spec::default_for_moat();
    let json: serde_json::Value = serde_json::from_str(&s.to_pretty_json()).unwrap();
    assert_eq!(json["ociVersion"], OCI_VERSION);
    assert_eq!(json["process"]["cwd"], "/");
    assert_eq!(json["process"]["user"]["uid"], 0);
    assert_eq!(json["process"]["noNewPrivileges"], true);
    assert_eq!(json["root"]["path"], "rootfs");
    assert_eq!(json["root"]["readonly"], true);
    let dests: Vec<_> = s
        .mounts
        .iter()
        .map(|m| m.destination.to_str().unwrap())
        .collect();
    for want in ["/proc", "/dev", "/dev/pts", "/dev/shm", "/sys"] {
        assert!(dests.contains(&want), "missing mount {want}");
    }
    for ns in [
        NamespaceType::Pid,
        NamespaceType::Network,
        NamespaceType::Ipc,
        NamespaceType::Uts,
        NamespaceType::Mount,
    ] {
        assert!(s.has_namespace(ns), "missing namespace {ns:?}");
    }
    assert!(!s.has_namespace(NamespaceType::User));
    assert_eq!(json["linux"]["namespaces"][0]["type"], "pid");
    assert!(s.to_pretty_json().ends_with("}\n"));
}

#[test]
fn missing_config_names_the_path_and_os_error() {
    let t = TempDir::new("noconfig");
    let err = Bundle::load(t.path()).unwrap_err();
    assert!(matches!(err, BundleError::ReadConfig { .. }), "{err:?}");
    let msg = err.to_string();
    let want = format!(
        "opening bundle config {}/config.json: No such file or directory",
        fs::canonicalize(t.path()).unwrap().display()
    );
    assert_eq!(msg, want);
}

#[test]
fn missing_bundle_dir() {
    let t = TempDir::new("nodir");
    let missing = t.path().join("nope");
    let msg = Bundle::load(&missing).unwrap_err().to_string();
    assert_eq!(
        msg,
        format!(
            "bundle directory {}: No such file or directory",
            missing.display()
        )
    );
    let file = t.path().join("file");
    fs::write(&file, "").unwrap();
    let msg = Bundle::load(&file).unwrap_err().to_string();
    assert!(msg.ends_with("Not a directory"), "{msg}");
}

#[test]
fn malformed_json_reports_line_and_column() {
    let t = bundle_with(
        "{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\n    \"args\": [\"sh\"\n  }\n}\n",
    );
    let err = Bundle::load(t.path()).unwrap_err();
    assert!(matches!(err, BundleError::ParseConfig { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("parsing bundle config "), "{msg}");
    assert!(msg.contains("line 5 column 3"), "{msg}");
}

#[test]
fn wrong_types_are_parse_errors_with_position() {
    let t = bundle_with(
        r#"{"process": {"args": ["sh"], "cwd": "/", "user": {"uid": -1}}, "root": {"path": "rootfs"}}"#,
    );
    let msg = Bundle::load(t.path()).unwrap_err().to_string();
    assert!(msg.contains("line 1 column"), "{msg}");
    let t = bundle_with(
        r#"{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "bogus"}]}}"#,
    );
    let msg = Bundle::load(t.path()).unwrap_err().to_string();
    assert!(msg.contains("bogus"), "{msg}");
}

#[test]
fn unknown_fields_are_ignored() {
    let t = bundle_with(
        r#"{"ociVersion": "1.1.0", "process": {"args": ["true"], "cwd": "/", "apparmorProfile": "x", "user": {"uid": 5, "gid": 6, "additionalGids": [7]}},
            "root": {"path": "rootfs"}, "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}, "resources": {"memory": {"limit": 1048576}, "cpu": {"quota": 50000, "period": 100000}}},
            "hooks": {}, "annotations": {"a": "b"}}"#,
    );
    let b = Bundle::load(t.path()).unwrap();
    let p = b.process().unwrap();
    assert_eq!(
        (p.user.uid, p.user.gid, p.user.additional_gids.clone()),
        (5, 6, vec![7])
    );
    let res = b.spec.linux.as_ref().unwrap().resources.as_ref().unwrap();
    assert_eq!(res.memory.as_ref().unwrap().limit, Some(1 << 20));
    assert_eq!(res.cpu.as_ref().unwrap().quota, Some(50_000));
    assert_eq!(b.spec.annotations.get("a").map(String::as_str), Some("b"));
}

#[test]
fn missing_rootfs_names_the_path() {
    let t = default_bundle();
    fs::remove_dir(t.path().join("rootfs")).unwrap();
    let err = Bundle::load(t.path()).unwrap_err();
    let rootfs = fs::canonicalize(t.path()).unwrap().join("rootfs");
    assert_eq!(
        err.to_string(),
        format!(
            "bundle rootfs {}: No such file or directory",
            rootfs.display()
        )
    );
    // A file where the rootfs should be.
    fs::write(t.path().join("rootfs"), "").unwrap();
    assert!(Bundle::load(t.path())
        .unwrap_err()
        .to_string()
        .ends_with("Not a directory"));
}

#[test]
fn absolute_root_path_is_kept() {
    let other = TempDir::new("rootfs");
    let t = edit(|s| s.root.as_mut().unwrap().path = other.path().to_owned());
    let b = Bundle::load(t.path()).unwrap();
    assert_eq!(b.rootfs, other.path());
}

#[test]
fn invalid_fields() {
    let cases: Vec<(TempDir, &str)> = vec![
        (
            edit(|s| s.process.as_mut().unwrap().args.clear()),
            "process.args must not be empty",
        ),
        (
            edit(|s| s.process.as_mut().unwrap().args = vec![String::new()]),
            "process.args[0] must not be empty",
        ),
        (
            edit(|s| s.process.as_mut().unwrap().cwd = "relative/dir".into()),
            "process.cwd \"relative/dir\" must be an absolute path",
        ),
        (
            edit(|s| s.process.as_mut().unwrap().cwd = String::new()),
            "process.cwd \"\" must be an absolute path",
        ),
        (edit(|s| s.process = None), "process is missing"),
        (edit(|s| s.root = None), "root is missing"),
        (
            edit(|s| s.process.as_mut().unwrap().env.push("NOEQUALS".into())),
            "process.env entry \"NOEQUALS\" is not NAME=value",
        ),
        (
            edit(|s| s.mounts[0].destination = "proc".into()),
            "mounts[0].destination \"proc\" must be an absolute path",
        ),
        (
            edit(|s| {
                let l = s.linux.as_mut().unwrap();
                let dup = l.namespaces[0].clone();
                l.namespaces.push(dup);
            }),
            "linux.namespaces lists Pid more than once",
        ),
    ];
    for (t, want) in cases {
        let err = Bundle::load(t.path()).unwrap_err();
        assert!(matches!(err, BundleError::Invalid { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with("bundle config ") && msg.ends_with(want),
            "{msg:?} should end with {want:?}"
        );
    }
}

#[test]
fn spec_round_trips_through_json() {
    let mut s = Spec::default_for_moat();
    s.linux.as_mut().unwrap().uid_mappings.push(IdMapping {
        container_id: 0,
        host_id: 1000,
        size: 1,
    });
    s.linux.as_mut().unwrap().namespaces.push(
        Namespace {
            kind: NamespaceType::Network,
            path: Some("/proc/1/ns/net".into()),
        }
        .clone(),
    );
    let json = s.to_pretty_json();
    assert!(
        json.contains("\"containerID\": 0") && json.contains("\"hostID\": 1000"),
        "{json}"
    );
    assert_eq!(Spec::from_json(&json).unwrap(), s);
}

#[test]
fn os_message_strips_rust_suffix() {
    let e = std::io::Error::from_raw_os_error(libc::EACCES);
    assert_eq!(os_message(&e), "Permission denied");
    let e = std::io::Error::other("custom text");
    assert_eq!(os_message(&e), "custom text");
}
