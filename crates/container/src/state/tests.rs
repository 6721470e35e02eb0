use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use super::*;
use crate::bundle::tests::TempDir;

fn store() -> (TempDir, Store) {
    let t = TempDir::new("state");
    let s = Store::open(&t.path().join("root")).unwrap();
    (t, s)
}

fn record(id: &str) -> State {
    State::new(id, PathBuf::from("/bundles").join(id))
}

#[test]
fn open_creates_root_0700() {
    let t = TempDir::new("open");
    let root = t.path().join("a/b/root");
    let s = Store::open(&root).unwrap();
    assert_eq!(s.root(), root);
    let mode = fs::metadata(&root).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    // Opening again is fine and does not touch the mode.
    fs::set_permissions(&root, fs::Permissions::from_mode(0o711)).unwrap();
    Store::open(&root).unwrap();
    assert_eq!(
        fs::metadata(&root).unwrap().permissions().mode() & 0o777,
        0o711
    );
}

#[test]
fn open_reports_unusable_root() {
    let t = TempDir::new("badroot");
    let file = t.path().join("file");
    fs::write(&file, "").unwrap();
    let err = Store::open(&file.join("root")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("--root {}/root: Not a directory", file.display())
    );
}

/// Env var naming the root the helper below must try to open.
const PERM_ROOT_ENV: &str = "MOAT_STATE_TEST_PERM_ROOT";

/// Runs (only) in a child process, as an unprivileged user: prints the error.
#[test]
#[ignore = "helper for open_reports_permission_denied"]
fn perm_helper() {
    let Some(root) = std::env::var_os(PERM_ROOT_ENV) else {
        return;
    };
    match Store::open(Path::new(&root)) {
        Ok(_) => println!("RESULT:opened"),
        Err(e) => println!("RESULT:{e}"),
    }
}

#[test]
fn open_reports_permission_denied() {
    let t = TempDir::new("perm");
    let parent = t.path().join("locked");
    fs::create_dir(&parent).unwrap();
    fs::set_permissions(t.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let root = parent.join("root");
    let msg = if rustix::process::geteuid().is_root() {
        // Root bypasses mode bits, so try as nobody in a child process: the directory
        // belongs to root and is 0755, so nobody cannot create `root` inside it.
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o755)).unwrap();
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "state::tests::perm_helper",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(PERM_ROOT_ENV, &root)
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = stdout
            .lines()
            .find_map(|l| l.split_once("RESULT:").map(|(_, r)| r.to_owned()));
        match line {
            Some(l) => l,
            None => {
                // The test binary is not reachable by nobody (e.g. a 0700 target dir):
                // nothing can be checked this way.
                eprintln!(
                    "skipping: helper did not run as nobody: {stdout} {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                return;
            }
        }
    } else {
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).unwrap();
        match Store::open(&root) {
            Ok(_) => "opened".to_owned(),
            Err(e) => e.to_string(),
        }
    };
    let _ = fs::set_permissions(&parent, fs::Permissions::from_mode(0o755));
    assert_eq!(msg, format!("--root {}: Permission denied", root.display()));
}

#[test]
fn create_load_round_trip() {
    let (_t, s) = store();
    let mut rec = record("web");
    rec.annotations.insert("k".into(), "v".into());
    rec.spec = Some(crate::bundle::Spec::default_for_moat());
    rec.sandbox = Some(SandboxInfo {
        pid: 1234,
        pid_start_time: Some(99),
        control_socket: "/run/moat/web/sandbox.sock".into(),
        root_container_id: "web".into(),
    });
    drop(s.create(&rec).unwrap());
    assert!(s.exists("web").unwrap());
    assert_eq!(s.load("web").unwrap(), rec);
    let dir = s.container_dir("web").unwrap();
    assert_eq!(
        fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert_eq!(
        fs::metadata(dir.join(STATE_FILE))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
}

#[test]
fn duplicate_create_fails_and_keeps_the_original() {
    let (_t, s) = store();
    let first = record("db");
    drop(s.create(&first).unwrap());
    let mut second = record("db");
    second.bundle = "/elsewhere".into();
    let err = s.create(&second).unwrap_err();
    assert!(matches!(err, StateError::AlreadyExists { .. }), "{err:?}");
    assert_eq!(err.to_string(), "container \"db\" already exists");
    assert_eq!(s.load("db").unwrap().bundle, first.bundle);
}

#[test]
fn concurrent_creates_of_one_id_have_one_winner() {
    let (_t, s) = store();
    for round in 0..20 {
        let id = format!("race{round}");
        let n = 8;
        let barrier = Arc::new(Barrier::new(n));
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (s, barrier, id) = (s.clone(), Arc::clone(&barrier), id.clone());
                thread::spawn(move || {
                    let mut rec = record(&id);
                    rec.bundle = format!("/bundle-{i}").into();
                    barrier.wait();
                    s.create(&rec).map(|_| i)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<usize> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().copied())
            .collect();
        assert_eq!(winners.len(), 1, "{results:?}");
        for r in &results {
            if let Err(e) = r {
                assert!(matches!(e, StateError::AlreadyExists { .. }), "{e:?}");
            }
        }
        // The stored record is the winner's.
        let stored = s.load(&id).unwrap();
        assert_eq!(
            stored.bundle,
            PathBuf::from(format!("/bundle-{}", winners[0]))
        );
    }
}

#[test]
fn load_unknown_id_names_it() {
    let (_t, s) = store();
    let err = s.load("ghost").unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.to_string(), "container \"ghost\" does not exist");
    assert!(s.lock("ghost").unwrap_err().is_not_found());
    assert!(s.remove("ghost").unwrap_err().is_not_found());
    assert!(s.update("ghost", |_| {}).unwrap_err().is_not_found());
}

#[test]
fn bad_ids_are_refused_everywhere() {
    let (t, s) = store();
    for bad in ["a/b", "..", ".", "", "../escape"] {
        assert!(
            matches!(s.create(&record(bad)), Err(StateError::InvalidId(_))),
            "{bad:?}"
        );
        assert!(
            matches!(s.load(bad), Err(StateError::InvalidId(_))),
            "{bad:?}"
        );
        assert!(
            matches!(s.remove(bad), Err(StateError::InvalidId(_))),
            "{bad:?}"
        );
    }
    assert_eq!(
        s.load("a/b").unwrap_err().to_string(),
        "invalid container id \"a/b\": '/' is not allowed (use letters, digits, '_', '+', '-' and '.')"
    );
    // Nothing was created outside the root.
    assert!(!t.path().join("escape").exists());
}

#[test]
fn update_is_atomic_under_concurrency() {
    let (_t, s) = store();
    let mut rec = record("counter");
    rec.container_pid = Some(0);
    drop(s.create(&rec).unwrap());
    let threads = 8;
    let per_thread = 25;
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let s = s.clone();
            thread::spawn(move || {
                for _ in 0..per_thread {
                    s.update("counter", |r| {
                        // Read-modify-write; without the lock, increments would be lost.
                        let v = r.container_pid.unwrap_or(0);
                        thread::yield_now();
                        r.container_pid = Some(v + 1);
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    // Meanwhile, lock-free readers never see a torn record.
    let reader = {
        let s = s.clone();
        thread::spawn(move || {
            for _ in 0..200 {
                s.load("counter").unwrap();
            }
        })
    };
    for h in handles {
        h.join().unwrap();
    }
    reader.join().unwrap();
    assert_eq!(
        s.load("counter").unwrap().container_pid,
        Some(threads * per_thread)
    );
    // No temporary files are left behind.
    let names: Vec<_> = fs::read_dir(s.container_dir("counter").unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, [STATE_FILE, LOCK_FILE], "{names:?}");
}

#[test]
fn lock_excludes_other_lockers() {
    let (_t, s) = store();
    let guard = s.create(&record("held")).unwrap();
    // The creator still holds the lock: nobody else gets it.
    assert!(s.try_lock("held").unwrap().is_none());
    let s2 = s.clone();
    let waiter = thread::spawn(move || {
        let l = s2.lock("held").unwrap();
        l.update(|r| r.status = Status::Created).unwrap()
    });
    thread::sleep(Duration::from_millis(100));
    assert_eq!(
        s.load("held").unwrap().status,
        Status::Creating,
        "waiter must still be blocked"
    );
    guard.update(|r| r.status = Status::Running).unwrap();
    drop(guard);
    // The waiter ran after us and saw our write.
    assert_eq!(waiter.join().unwrap().status, Status::Created);
    let l = s.try_lock("held").unwrap().expect("lock is free now");
    assert_eq!(l.id(), "held");
}

#[test]
fn save_refuses_a_foreign_record() {
    let (_t, s) = store();
    let l = s.create(&record("mine")).unwrap();
    assert!(matches!(
        l.save(&record("other")),
        Err(StateError::Corrupt { .. })
    ));
    assert!(!s.exists("other").unwrap());
}

#[test]
fn remove_deletes_everything_and_waiters_see_it_gone() {
    let (_t, s) = store();
    let guard = s.create(&record("gone")).unwrap();
    let dir = s.container_dir("gone").unwrap();
    fs::write(dir.join("sandbox.sock"), "").unwrap(); // something the sandbox layer keeps
    let s2 = s.clone();
    let waiter = thread::spawn(move || s2.update("gone", |r| r.status = Status::Running));
    thread::sleep(Duration::from_millis(100));
    guard.remove().unwrap();
    let err = waiter.join().unwrap().unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(!dir.exists());
    assert!(!s.exists("gone").unwrap());
    // The id can be used again.
    drop(s.create(&record("gone")).unwrap());
    s.remove("gone").unwrap();
    assert!(!dir.exists());
}

#[test]
fn create_clears_debris_of_a_crashed_create() {
    let (_t, s) = store();
    let dir = s.container_dir("crashed").unwrap();
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join(LOCK_FILE), "").unwrap();
    fs::write(dir.join(".state.json.1.1.tmp"), "{half").unwrap();
    drop(s.create(&record("crashed")).unwrap());
    assert_eq!(s.load("crashed").unwrap().id, "crashed");
    assert!(!dir.join(".state.json.1.1.tmp").exists());
    // Debris without even a lock file can be removed explicitly.
    let dir2 = s.container_dir("debris").unwrap();
    fs::create_dir(&dir2).unwrap();
    s.remove("debris").unwrap();
    assert!(!dir2.exists());
}

#[test]
fn list_skips_garbage_and_reports_it() {
    let (_t, s) = store();
    for id in ["c", "a", "b"] {
        drop(s.create(&record(id)).unwrap());
    }
    // A torn/garbage record, a record under the wrong name, a half-created dir, and
    // files that are not containers at all.
    let root = s.root().to_owned();
    fs::create_dir(root.join("torn")).unwrap();
    fs::write(
        root.join("torn").join(STATE_FILE),
        "{\"id\": \"torn\", \"bund",
    )
    .unwrap();
    fs::create_dir(root.join("renamed")).unwrap();
    fs::copy(
        root.join("a").join(STATE_FILE),
        root.join("renamed").join(STATE_FILE),
    )
    .unwrap();
    fs::create_dir(root.join("empty")).unwrap();
    fs::write(root.join("stray-file"), "x").unwrap();
    fs::create_dir(root.join("not an id")).unwrap();

    let listing = s.list().unwrap();
    let ids: Vec<_> = listing.containers.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    let skipped: Vec<_> = listing.skipped.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(skipped, ["empty", "renamed", "torn"]);
    let torn = &listing.skipped[2].error;
    assert!(matches!(torn, StateError::Corrupt { .. }), "{torn:?}");
    assert!(torn.to_string().contains("is corrupt"), "{torn}");
    assert!(listing.skipped[1]
        .error
        .to_string()
        .contains("record is for container \"a\""));
    // Loading the torn one directly is an error, not a panic.
    assert!(matches!(s.load("torn"), Err(StateError::Corrupt { .. })));
}

#[test]
fn oci_state_rendering() {
    let mut rec = record("web");
    rec.created = "2026-01-02T03:04:05.000000006Z".into();
    rec.owner = "alice".into();
    rec.annotations.insert("org.example".into(), "1".into());
    rec.sandbox = Some(SandboxInfo {
        pid: 4321,
        pid_start_time: None,
        control_socket: "/x.sock".into(),
        root_container_id: "web".into(),
    });
    let pids: Vec<_> = [
        Status::Creating,
        Status::Created,
        Status::Running,
        Status::Paused,
        Status::Stopped,
    ]
    .into_iter()
    .map(|st| {
        rec.status = st;
        rec.oci_state().pid
    })
    .collect();
    assert_eq!(pids, [0, 4321, 4321, 4321, 0]);
    rec.status = Status::Running;
    let v: serde_json::Value = serde_json::from_str(&rec.oci_state().to_pretty_json()).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "ociVersion": OCI_VERSION,
            "id": "web",
            "status": "running",
            "pid": 4321,
            "bundle": "/bundles/web",
            "annotations": {"org.example": "1"},
            "created": "2026-01-02T03:04:05.000000006Z",
            "owner": "alice",
        })
    );
}

#[test]
fn new_record_defaults() {
    let rec = record("x");
    assert_eq!(rec.status, Status::Creating);
    assert_eq!(rec.version, STATE_VERSION);
    assert!(
        rec.created.ends_with('Z') && rec.created.len() == 30,
        "{}",
        rec.created
    );
    assert!(!rec.owner.is_empty());
    assert_eq!(Status::Paused.to_string(), "paused");
}

#[test]
fn proc_stat_parsing() {
    let line = "1234 (we ird) )name) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 777 19 20\n";
    assert_eq!(
        parse_proc_stat(line),
        Some(ProcStat {
            state: 'S',
            start_time: 777
        })
    );
    assert_eq!(parse_proc_stat("1 (x) R 1 2"), None);
    assert_eq!(parse_proc_stat("garbage"), None);
}

#[test]
fn sandbox_liveness() {
    let me = std::process::id() as i32;
    let start = process_start_time(me).expect("own start time");
    let mut info = SandboxInfo {
        pid: me,
        pid_start_time: Some(start),
        control_socket: PathBuf::new(),
        root_container_id: String::new(),
    };
    assert!(info.is_alive());
    info.pid_start_time = None;
    assert!(info.is_alive());
    // Same pid, different start time: a recycled pid.
    info.pid_start_time = Some(start + 1);
    assert!(!info.is_alive());
    info.pid_start_time = None;
    info.pid = 0;
    assert!(!info.is_alive());
    info.pid = -5;
    assert!(!info.is_alive());

    // An exited but unreaped child is a zombie: not alive.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    info.pid = child.id() as i32;
    let mut zombie = false;
    for _ in 0..500 {
        if process_stat(info.pid).map(|s| s.state) == Some('Z') {
            zombie = true;
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert!(zombie, "child never became a zombie");
    assert!(!info.is_alive());
    child.wait().unwrap();
    assert!(!info.is_alive());
}
