//! The container state store under `--root`.
//!
//! The CLI keeps no daemon: every call loads state from disk, acts, and writes it back.
//! This module makes that safe under concurrency and crashes.
//!
//! # Layout
//!
//! ```text
//! <root>/                 0700, created on first use
//!   @root.lock            flock: serialises creating and removing container dirs
//!   <id>/                 0700, one per container; the sandbox layer may put its
//!                         control socket and other per-container files here
//!     state.json          the State record, pretty JSON, replaced atomically
//!     state.lock          flock: serialises read-modify-write of this container
//! ```
//!
//! `@` cannot occur in a container id (see [`crate::id`]), so the root lock file can
//! never collide with a container directory.
//!
//! # Atomicity
//!
//! `state.json` is only ever replaced by writing a temporary file in the same
//! directory, `fsync`ing it, renaming it over `state.json` and `fsync`ing the directory.
//! Readers therefore need no lock: they see the old record or the new one, never a torn
//! one. A crash can leave a stray temporary file, which is ignored.
//!
//! # Locking
//!
//! * [`Store::create`] holds the root lock while it checks for the id and creates the
//!   directory, lock file and first record, so two concurrent creates of one id cannot
//!   both succeed. It returns the new container's lock, already held.
//! * [`Store::lock`] takes the container's lock (blocking); [`ContainerLock`] then loads
//!   and saves the record. [`Store::update`] is lock + load + modify + save.
//! * [`ContainerLock::remove`] / [`Store::remove`] delete the directory while holding
//!   both the container lock and the root lock.
//!
//! Lock order: a container lock before the root lock. Nobody blocks on a container lock
//! while holding the root lock (create only *tries* the lock of a directory it is about
//! to replace). A lock file may be unlinked while a waiter is queued on it; after
//! acquiring, a locker checks that the file it locked is still the one at the path and
//! otherwise retries or reports the container gone.

mod time;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{flock, FlockOperation};
use rustix::io::Errno;
use serde::{Deserialize, Serialize};

use crate::bundle::{os_message, Spec};
use crate::id::{self, IdError};

pub use time::{now_rfc3339, rfc3339};

/// Record file inside a container directory.
pub const STATE_FILE: &str = "state.json";
/// Lock file inside a container directory.
pub const LOCK_FILE: &str = "state.lock";
/// Root-level lock file; `@` keeps it out of the id namespace.
pub const ROOT_LOCK_FILE: &str = "@root.lock";
/// Version of the record format written by this code.
pub const STATE_VERSION: u32 = 1;
/// OCI runtime spec version reported by [`State::oci_state`].
pub const OCI_VERSION: &str = crate::bundle::OCI_VERSION;
/// Largest state file read (64 MiB).
const MAX_STATE_SIZE: u64 = 64 << 20;

/// Lifecycle status, as OCI names it (plus `paused`, as runc has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The sandbox is being set up; the container cannot be used yet.
    Creating,
    /// The sandbox is up, the init process not yet started.
    Created,
    /// The init process runs.
    Running,
    /// The init process has exited (or the sandbox is gone).
    Stopped,
    /// All processes are frozen.
    Paused,
}

impl Status {
    /// The lowercase OCI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Stopped => "stopped",
            Status::Paused => "paused",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a container's sandbox is and how to reach it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SandboxInfo {
    /// Host pid of the sandbox process.
    pub pid: i32,
    /// Start time of that process (field 22 of `/proc/PID/stat`), so a recycled pid is
    /// not mistaken for the sandbox. `None` when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid_start_time: Option<u64>,
    /// Path of the sandbox's control socket.
    pub control_socket: PathBuf,
    /// Id of the sandbox's root container (equal to the container's own id for the
    /// root container).
    pub root_container_id: String,
}

impl SandboxInfo {
    /// True while the sandbox process recorded here still runs: the pid exists, is not
    /// a zombie, and (when recorded) has the same start time, so a recycled pid does not
    /// count. Callers use this to re-check a stored status: a sandbox killed from
    /// outside reads as stopped.
    pub fn is_alive(&self) -> bool {
        match process_stat(self.pid) {
            Some(stat) if stat.state != 'Z' && stat.state != 'X' => match self.pid_start_time {
                Some(t) => t == stat.start_time,
                None => true,
            },
            _ => false,
        }
    }
}

/// The fields of `/proc/PID/stat` the store needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// One-letter process state (`R`, `S`, `Z`, ...).
    pub state: char,
    /// Start time after boot, in clock ticks (field 22).
    pub start_time: u64,
}

/// Reads `/proc/PID/stat`; `None` if the process does not exist (or `pid` <= 0).
pub fn process_stat(pid: i32) -> Option<ProcStat> {
    if pid <= 0 {
        return None;
    }
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_proc_stat(&text)
}

/// Parses the text of `/proc/PID/stat`. The command name (field 2) is in parentheses
/// and may itself contain spaces and parentheses, so fields are counted from the last
/// `)`.
fn parse_proc_stat(text: &str) -> Option<ProcStat> {
    let after = &text[text.rfind(')')? + 1..];
    let mut fields = after.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    // `state` was field 3; start time is field 22.
    let start_time = fields.nth(22 - 4)?.parse().ok()?;
    Some(ProcStat { state, start_time })
}

/// Start time of process `pid` (field 22 of `/proc/PID/stat`), to record in
/// [`SandboxInfo::pid_start_time`].
pub fn process_start_time(pid: i32) -> Option<u64> {
    process_stat(pid).map(|s| s.start_time)
}

/// The persistent record of one container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// Record format version ([`STATE_VERSION`]).
    #[serde(default)]
    pub version: u32,
    /// Container id (also the directory name).
    pub id: String,
    /// Absolute bundle directory.
    pub bundle: PathBuf,
    /// Last known status; callers re-check it against the sandbox when reading.
    pub status: Status,
    /// The sandbox hosting the container, once it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxInfo>,
    /// Pid of the container's init process inside the sandbox (sentry-side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_pid: Option<i32>,
    /// Exit status of the init process once known (wait status as the sandbox reports
    /// it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<i32>,
    /// Creation time, RFC 3339.
    pub created: String,
    /// User who created the container.
    #[serde(default)]
    pub owner: String,
    /// The spec's annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The spec the container was created from (the bundle may change afterwards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Spec>,
}

impl State {
    /// A fresh record in status `creating`, created now by the current user.
    pub fn new(id: impl Into<String>, bundle: impl Into<PathBuf>) -> State {
        State {
            version: STATE_VERSION,
            id: id.into(),
            bundle: bundle.into(),
            status: Status::Creating,
            sandbox: None,
            container_pid: None,
            exit_status: None,
            created: now_rfc3339(),
            owner: current_owner(),
            annotations: BTreeMap::new(),
            spec: None,
        }
    }

    /// The OCI `state` document for this record. `pid` is the sandbox's host pid while
    /// the container is created, running or paused, and 0 otherwise.
    pub fn oci_state(&self) -> OciState {
        let pid = match self.status {
            Status::Created | Status::Running | Status::Paused => {
                self.sandbox.as_ref().map_or(0, |s| s.pid)
            }
            Status::Creating | Status::Stopped => 0,
        };
        OciState {
            oci_version: OCI_VERSION.to_owned(),
            id: self.id.clone(),
            status: self.status,
            pid,
            bundle: self.bundle.clone(),
            annotations: self.annotations.clone(),
            created: self.created.clone(),
            owner: self.owner.clone(),
        }
    }
}

/// The OCI runtime `state` JSON (plus runc's `created` and `owner`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciState {
    /// Spec version.
    pub oci_version: String,
    /// Container id.
    pub id: String,
    /// Status.
    pub status: Status,
    /// Host pid of the sandbox (0 when not running).
    pub pid: i32,
    /// Bundle directory.
    pub bundle: PathBuf,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Creation time, RFC 3339.
    pub created: String,
    /// Creating user.
    pub owner: String,
}

impl OciState {
    /// Pretty JSON as `moat state` prints it (with a trailing newline).
    pub fn to_pretty_json(&self) -> String {
        // Serializing plain structs with string keys cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Name of the current user (from `/etc/passwd`), or the numeric uid.
pub fn current_owner() -> String {
    let uid = rustix::process::getuid().as_raw();
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|line| {
            let mut f = line.split(':');
            let name = f.next()?;
            let _pw = f.next()?;
            let entry_uid: u32 = f.next()?.parse().ok()?;
            (entry_uid == uid && !name.is_empty()).then(|| name.to_owned())
        })
        .unwrap_or_else(|| uid.to_string())
}

/// Errors of the state store. Messages name the container and the path.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The root directory cannot be created or written.
    #[error("--root {}: {}", path.display(), os_message(cause))]
    Root {
        /// The root as given.
        path: PathBuf,
        /// The OS error.
        cause: io::Error,
    },
    /// The id is not a valid container id.
    #[error(transparent)]
    InvalidId(#[from] IdError),
    /// A container with this id exists.
    #[error("container {id:?} already exists")]
    AlreadyExists {
        /// The id.
        id: String,
    },
    /// No container with this id exists.
    #[error("container {id:?} does not exist")]
    NotFound {
        /// The id.
        id: String,
    },
    /// The state file exists but cannot be used.
    #[error("container {id:?}: state file {} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The id.
        id: String,
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An I/O operation on the store failed.
    #[error("container {id:?}: {op} {}: {}", path.display(), os_message(cause))]
    Io {
        /// The id.
        id: String,
        /// What was being done, e.g. "writing state file".
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        cause: io::Error,
    },
}

impl StateError {
    /// True for [`StateError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, StateError::NotFound { .. })
    }
}

type Result<T, E = StateError> = std::result::Result<T, E>;

/// An entry `list` could not read, with the reason.
#[derive(Debug)]
pub struct Skipped {
    /// Directory name under the root.
    pub id: String,
    /// Why it was skipped.
    pub error: StateError,
}

/// Result of [`Store::list`]: readable records, sorted by id, and what was skipped.
#[derive(Debug, Default)]
pub struct Listing {
    /// Records that loaded.
    pub containers: Vec<State>,
    /// Entries that look like containers but could not be loaded.
    pub skipped: Vec<Skipped>,
}

/// The state store rooted at a `--root` directory. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    /// The root as the user gave it, for messages.
    shown_root: PathBuf,
}

/// An exclusive lock on one container's record; released on drop.
#[derive(Debug)]
pub struct ContainerLock {
    store: Store,
    id: String,
    _file: File,
}

fn io_err(id: &str, op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StateError {
    let (id, path) = (id.to_owned(), path.to_owned());
    move |cause| StateError::Io {
        id,
        op,
        path,
        cause,
    }
}

/// flock with EINTR retried; `Ok(false)` when non-blocking and already held.
fn flock_exclusive(file: &File, blocking: bool) -> io::Result<bool> {
    let op = if blocking {
        FlockOperation::LockExclusive
    } else {
        FlockOperation::NonBlockingLockExclusive
    };
    loop {
        match flock(file.as_fd(), op) {
            Ok(()) => return Ok(true),
            Err(Errno::INTR) => continue,
            Err(Errno::WOULDBLOCK) if !blocking => return Ok(false),
            Err(e) => return Err(e.into()),
        }
    }
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `dir/STATE_FILE` with `rec` atomically and durably.
fn write_atomic(dir: &Path, rec: &State) -> Result<()> {
    let mut data = serde_json::to_vec_pretty(rec).map_err(|e| StateError::Corrupt {
        id: rec.id.clone(),
        path: dir.join(STATE_FILE),
        reason: format!("cannot encode record: {e}"),
    })?;
    data.push(b'\n');
    let tmp = dir.join(format!(
        ".{STATE_FILE}.{}.{}.tmp",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let target = dir.join(STATE_FILE);
    let id = rec.id.as_str();
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io_err(id, "creating state file", &tmp))?;
        f.write_all(&data)
            .and_then(|()| f.sync_all())
            .map_err(io_err(id, "writing state file", &tmp))?;
        fs::rename(&tmp, &target).map_err(io_err(id, "replacing state file", &target))?;
        File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(
            id,
            "syncing state directory",
            dir,
        ))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Reads and checks the record at `path` for container `id`.
fn read_record(id: &str, path: &Path) -> Result<State> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(StateError::NotFound { id: id.to_owned() })
        }
        Err(e) => return Err(io_err(id, "reading state file", path)(e)),
    };
    let mut data = Vec::new();
    file.take(MAX_STATE_SIZE + 1)
        .read_to_end(&mut data)
        .map_err(io_err(id, "reading state file", path))?;
    let corrupt = |reason: String| StateError::Corrupt {
        id: id.to_owned(),
        path: path.to_owned(),
        reason,
    };
    if data.len() as u64 > MAX_STATE_SIZE {
        return Err(corrupt(format!("larger than {MAX_STATE_SIZE} bytes")));
    }
    let rec: State = serde_json::from_slice(&data).map_err(|e| corrupt(e.to_string()))?;
    if rec.id != id {
        return Err(corrupt(format!("record is for container {:?}", rec.id)));
    }
    Ok(rec)
}

impl Store {
    /// Opens the store at `root`, creating the directory (mode 0700) if needed and
    /// checking that it is writable.
    pub fn open(root: &Path) -> Result<Store> {
        let root_err = |cause| StateError::Root {
            path: root.to_owned(),
            cause,
        };
        let abs = std::path::absolute(root).map_err(root_err)?;
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&abs)
            .map_err(root_err)?;
        let store = Store {
            root: abs,
            shown_root: root.to_owned(),
        };
        // Creating (or opening for writing) the root lock proves the root is usable.
        store.open_root_lock()?;
        Ok(store)
    }

    /// The absolute root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of container `id` (validated). The sandbox layer may keep
    /// per-container files there; they are removed with the container.
    pub fn container_dir(&self, id: &str) -> Result<PathBuf> {
        id::validate(id)?;
        Ok(self.root.join(id))
    }

    /// Path of container `id`'s state file.
    pub fn state_path(&self, id: &str) -> Result<PathBuf> {
        Ok(self.container_dir(id)?.join(STATE_FILE))
    }

    /// True when a record for `id` exists.
    pub fn exists(&self, id: &str) -> Result<bool> {
        Ok(self.state_path(id)?.exists())
    }

    fn open_root_lock(&self) -> Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(self.root.join(ROOT_LOCK_FILE))
            .map_err(|cause| StateError::Root {
                path: self.shown_root.clone(),
                cause,
            })
    }

    fn lock_root(&self) -> Result<File> {
        let file = self.open_root_lock()?;
        flock_exclusive(&file, true).map_err(|cause| StateError::Root {
            path: self.shown_root.clone(),
            cause,
        })?;
        Ok(file)
    }

    /// Records a new container. Fails with [`StateError::AlreadyExists`] if the id is
    /// taken, atomically with respect to concurrent creates. Returns the new container's
    /// lock, held, so the caller can finish setting it up before anyone else acts on it.
    /// If this fails, nothing is left behind.
    pub fn create(&self, rec: &State) -> Result<ContainerLock> {
        let id = rec.id.as_str();
        let dir = self.container_dir(id)?;
        let _root = self.lock_root()?;
        let mkdir = || DirBuilder::new().mode(0o700).create(&dir);
        match mkdir() {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if dir.join(STATE_FILE).exists() || !self.clear_debris(id, &dir)? {
                    return Err(StateError::AlreadyExists { id: id.to_owned() });
                }
                mkdir().map_err(io_err(id, "creating container directory", &dir))?;
            }
            Err(e) => return Err(io_err(id, "creating container directory", &dir)(e)),
        }
        let result = (|| {
            let lock_path = dir.join(LOCK_FILE);
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&lock_path)
                .map_err(io_err(id, "creating lock file", &lock_path))?;
            // Nobody else can hold a lock on a file that did not exist a moment ago.
            if !flock_exclusive(&file, false).map_err(io_err(id, "locking", &lock_path))? {
                return Err(StateError::AlreadyExists { id: id.to_owned() });
            }
            write_atomic(&dir, rec)?;
            Ok(ContainerLock {
                store: self.clone(),
                id: id.to_owned(),
                _file: file,
            })
        })();
        if result.is_err() {
            let _ = fs::remove_dir_all(&dir);
        }
        result
    }

    /// A container directory without a record is left over from a crash in the middle
    /// of `create`. Removes it unless someone holds its lock; returns whether it did.
    /// Called with the root lock held.
    fn clear_debris(&self, id: &str, dir: &Path) -> Result<bool> {
        let lock_path = dir.join(LOCK_FILE);
        match File::open(&lock_path) {
            Ok(f) => {
                if !flock_exclusive(&f, false).map_err(io_err(id, "locking", &lock_path))? {
                    return Ok(false);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(id, "opening lock file", &lock_path)(e)),
        }
        tracing::warn!(
            container = id,
            "removing leftover directory {}",
            dir.display()
        );
        fs::remove_dir_all(dir).map_err(io_err(id, "removing leftover directory", dir))?;
        Ok(true)
    }

    /// Loads the record of `id` without locking (records are replaced atomically).
    pub fn load(&self, id: &str) -> Result<State> {
        read_record(id, &self.state_path(id)?)
    }

    /// Takes container `id`'s lock, waiting for other holders.
    pub fn lock(&self, id: &str) -> Result<ContainerLock> {
        // A blocking acquire never returns `None`.
        self.acquire(id, true, true)?
            .ok_or_else(|| StateError::NotFound { id: id.to_owned() })
    }

    /// Takes container `id`'s lock if nobody holds it; `Ok(None)` otherwise.
    pub fn try_lock(&self, id: &str) -> Result<Option<ContainerLock>> {
        self.acquire(id, false, true)
    }

    fn acquire(
        &self,
        id: &str,
        blocking: bool,
        need_record: bool,
    ) -> Result<Option<ContainerLock>> {
        let dir = self.container_dir(id)?;
        let lock_path = dir.join(LOCK_FILE);
        let not_found = || StateError::NotFound { id: id.to_owned() };
        loop {
            let file = match OpenOptions::new().read(true).write(true).open(&lock_path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_found()),
                Err(e) => return Err(io_err(id, "opening lock file", &lock_path)(e)),
            };
            if !flock_exclusive(&file, blocking).map_err(io_err(id, "locking", &lock_path))? {
                return Ok(None);
            }
            // The container may have been removed (and even re-created) while we waited.
            let held = file
                .metadata()
                .map_err(io_err(id, "checking lock file", &lock_path))?;
            match fs::metadata(&lock_path) {
                Ok(now) if now.dev() == held.dev() && now.ino() == held.ino() => {}
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_found()),
                Err(e) => return Err(io_err(id, "checking lock file", &lock_path)(e)),
            }
            if need_record && !dir.join(STATE_FILE).exists() {
                return Err(not_found());
            }
            return Ok(Some(ContainerLock {
                store: self.clone(),
                id: id.to_owned(),
                _file: file,
            }));
        }
    }

    /// Locks `id`, applies `f` to its record and saves it; returns the saved record.
    pub fn update<F: FnOnce(&mut State)>(&self, id: &str, f: F) -> Result<State> {
        self.lock(id)?.update(f)
    }

    /// Removes container `id`: its record, lock and directory (with whatever the
    /// sandbox layer kept there). Waits for the container's lock.
    pub fn remove(&self, id: &str) -> Result<()> {
        let dir = self.container_dir(id)?;
        match self.acquire(id, true, false) {
            Ok(Some(lock)) => lock.remove(),
            Ok(None) => Err(StateError::NotFound { id: id.to_owned() }),
            // A directory without a lock file is debris from a failed create.
            Err(StateError::NotFound { .. }) if dir.is_dir() => {
                let _root = self.lock_root()?;
                if dir.join(LOCK_FILE).exists() {
                    return Err(StateError::NotFound { id: id.to_owned() });
                }
                fs::remove_dir_all(&dir).map_err(io_err(id, "removing container directory", &dir))
            }
            Err(e) => Err(e),
        }
    }

    /// Every container under the root, sorted by id. Entries that cannot be read
    /// (corrupt or half-created) are reported in [`Listing::skipped`] rather than
    /// failing the listing. Names that are not container ids are ignored.
    pub fn list(&self) -> Result<Listing> {
        let entries = fs::read_dir(&self.root).map_err(|cause| StateError::Root {
            path: self.shown_root.clone(),
            cause,
        })?;
        let mut listing = Listing::default();
        for entry in entries {
            let entry = entry.map_err(|cause| StateError::Root {
                path: self.shown_root.clone(),
                cause,
            })?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if id::validate(&name).is_err() || !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            match self.load(&name) {
                Ok(rec) => listing.containers.push(rec),
                Err(error) => {
                    tracing::warn!("skipping container entry {name:?}: {error}");
                    listing.skipped.push(Skipped { id: name, error });
                }
            }
        }
        listing.containers.sort_by(|a, b| a.id.cmp(&b.id));
        listing.skipped.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(listing)
    }
}

impl ContainerLock {
    /// The locked container's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The store this lock belongs to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Loads the record.
    pub fn load(&self) -> Result<State> {
        self.store.load(&self.id)
    }

    /// Replaces the record with `rec`, whose id must be this container's.
    pub fn save(&self, rec: &State) -> Result<()> {
        if rec.id != self.id {
            return Err(StateError::Corrupt {
                id: self.id.clone(),
                path: self.store.root.join(&self.id).join(STATE_FILE),
                reason: format!("refusing to save a record for container {:?}", rec.id),
            });
        }
        write_atomic(&self.store.root.join(&self.id), rec)
    }

    /// Loads, applies `f`, saves; returns the saved record.
    pub fn update<F: FnOnce(&mut State)>(&self, f: F) -> Result<State> {
        let mut rec = self.load()?;
        f(&mut rec);
        self.save(&rec)?;
        Ok(rec)
    }

    /// Removes the container's directory and everything in it, then releases the lock.
    pub fn remove(self) -> Result<()> {
        let _root = self.store.lock_root()?;
        let dir = self.store.root.join(&self.id);
        let state = dir.join(STATE_FILE);
        // Drop the record first, so that readers see the container gone even if
        // removing the rest fails half-way.
        match fs::remove_file(&state) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&self.id, "removing state file", &state)(e)),
        }
        fs::remove_dir_all(&dir).map_err(io_err(&self.id, "removing container directory", &dir))
    }
}

#[cfg(test)]
mod tests;
