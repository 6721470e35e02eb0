//! The OCI lifecycle on top of the state store and the sandbox layer:
//! create → start → (kill) → wait → delete, plus state and list.
//!
//! Every operation loads the record from `--root`, checks it against the sandbox,
//! acts, and saves it back under the container's lock. The lock is never held across a
//! call that can block for long (a container wait).
//!
//! Errors here describe the cause only; the CLI prefixes the operation and the
//! container, e.g. `creating container "web": ...`.

use std::path::{Path, PathBuf};

use sandbox::{Phase, Sandbox, SandboxError, WaitStatus};

use crate::bundle::{Bundle, BundleError};
use crate::state::{SandboxInfo, State, StateError, Status, Store};

/// A lifecycle failure.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// The container is in the wrong state for the operation.
    #[error("{0}")]
    WrongState(String),
    #[error("writing pid file {}: {cause}", path.display())]
    PidFile {
        path: PathBuf,
        cause: std::io::Error,
    },
}

type Result<T, E = LifecycleError> = std::result::Result<T, E>;

/// Options of `create` and `run`.
#[derive(Debug, Default, Clone)]
pub struct CreateOpts {
    pub bundle: PathBuf,
    pub console_socket: Option<PathBuf>,
    pub pid_file: Option<PathBuf>,
    /// The sandbox dies with this process (`run` without `-d`).
    pub attached: bool,
    pub user_log: Option<PathBuf>,
}

/// Containers under one `--root`, run with one sandbox configuration.
pub struct Runtime {
    store: Store,
    conf: sandbox::Config,
}

/// A container this process created and whose sandbox is its child: wait and destroy
/// can fall back to the sandbox's own exit status.
pub struct Created {
    pub id: String,
    sandbox: Sandbox,
}

impl Runtime {
    /// Opens (creating if needed) the state store at `conf.root_dir`.
    pub fn new(conf: sandbox::Config) -> Result<Runtime> {
        let store = Store::open(&conf.root_dir)?;
        Ok(Runtime { store, conf })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Creates container `id` from the bundle and starts its sandbox. On failure no
    /// record, socket or process is left behind.
    pub fn create(&self, id: &str, opts: &CreateOpts) -> Result<Created> {
        crate::id::validate(id).map_err(StateError::from)?;
        let bundle = Bundle::load(&opts.bundle)?;
        let sandbox_spec = sandbox_spec(&bundle)?;
        let mut rec = State::new(id, bundle.dir.clone());
        rec.annotations = bundle.spec.annotations.clone();
        rec.spec = Some(bundle.spec.clone());
        let lock = self.store.create(&rec)?;
        let mut conf = self.conf.clone();
        conf.root_dir = self.store.container_dir(id)?;
        let record_sandbox = |sb: &Sandbox| {
            let mut early = rec.clone();
            early.sandbox = Some(sandbox_info(sb, id));
            if let Err(e) = lock.save(&early) {
                tracing::debug!("recording the sandbox of {id:?} early: {e}");
            }
        };
        let args = sandbox::CreateArgs {
            id,
            spec: &sandbox_spec,
            bundle: &bundle.dir,
            console_socket: opts.console_socket.as_deref(),
            attached: opts.attached,
            user_log: opts.user_log.as_deref(),
            on_spawn: Some(&record_sandbox),
        };
        let mut sb = match Sandbox::create(&conf, &args) {
            Ok(sb) => sb,
            Err(e) => {
                if let Err(r) = lock.remove() {
                    tracing::warn!("removing the record of failed container {id:?}: {r}");
                }
                return Err(e.into());
            }
        };
        let mut finish = || -> Result<()> {
            rec.status = Status::Created;
            rec.sandbox = Some(sandbox_info(&sb, id));
            lock.save(&rec)?;
            if let Some(path) = &opts.pid_file {
                write_pid_file(path, sb.pid)?;
            }
            Ok(())
        };
        if let Err(e) = finish() {
            let _ = sb.destroy();
            let _ = lock.remove();
            return Err(e);
        }
        Ok(Created {
            id: id.to_owned(),
            sandbox: sb,
        })
    }

    /// Starts a created container's process.
    pub fn start(&self, id: &str) -> Result<()> {
        let lock = self.store.lock(id)?;
        let mut rec = lock.load()?;
        refresh(&mut rec);
        if rec.status != Status::Created {
            return Err(LifecycleError::WrongState(format!(
                "the container is {}, not created",
                rec.status
            )));
        }
        let sb = saved_sandbox(&rec)?;
        sb.start_root(id)?;
        rec.status = Status::Running;
        lock.save(&rec)?;
        Ok(())
    }

    /// The record with its status checked against the sandbox.
    pub fn state(&self, id: &str) -> Result<State> {
        let mut rec = self.store.load(id)?;
        self.settle_creating(&mut rec);
        refresh(&mut rec);
        Ok(rec)
    }

    /// A record still `creating` whose lock nobody holds was left by a create that died
    /// half-way (its creator holds the lock throughout): it reads as stopped, and
    /// `delete` removes it.
    fn settle_creating(&self, rec: &mut State) {
        if rec.status != Status::Creating {
            return;
        }
        if let Ok(Some(lock)) = self.store.try_lock(&rec.id) {
            if let Ok(now) = lock.load() {
                *rec = now;
                if rec.status == Status::Creating {
                    rec.status = Status::Stopped;
                }
            }
        }
    }

    /// Every container, each checked against its sandbox, plus what could not be read.
    pub fn list(&self) -> Result<crate::state::Listing> {
        let mut listing = self.store.list()?;
        for rec in &mut listing.containers {
            self.settle_creating(rec);
            refresh(rec);
        }
        Ok(listing)
    }

    /// Sends `signal` to the container's init (or all its processes).
    pub fn kill(&self, id: &str, signal: i32, all: bool) -> Result<()> {
        let mut rec = self.store.load(id)?;
        refresh(&mut rec);
        match rec.status {
            Status::Created | Status::Running | Status::Paused => {
                saved_sandbox(&rec)?.signal(id, signal, all)?;
                Ok(())
            }
            other => Err(LifecycleError::WrongState(format!(
                "the container is {other}, not running"
            ))),
        }
    }

    /// Waits for the container's init to exit and records how it ended.
    pub fn wait(&self, id: &str) -> Result<WaitStatus> {
        let rec = self.store.load(id)?;
        if let Some(raw) = rec.exit_status.filter(|_| rec.status == Status::Stopped) {
            return Ok(from_raw(raw));
        }
        let mut sb = saved_sandbox(&rec)?;
        let status = sb.wait(id)?;
        self.record_exit(id, status);
        Ok(status)
    }

    /// Removes the container: kills its sandbox, removes socket and record. A running
    /// container needs `force`.
    pub fn delete(&self, id: &str, force: bool) -> Result<()> {
        let lock = self.store.lock(id)?;
        let mut rec = lock.load()?;
        refresh(&mut rec);
        if matches!(rec.status, Status::Running | Status::Paused) && !force {
            return Err(LifecycleError::WrongState(format!(
                "the container is {}; stop it first or use --force",
                rec.status
            )));
        }
        if let Some(mut sb) = rec.sandbox.as_ref().map(from_info) {
            sb.destroy()?;
        }
        lock.remove()?;
        Ok(())
    }

    fn record_exit(&self, id: &str, status: WaitStatus) {
        let r = self.store.update(id, |rec| {
            rec.status = Status::Stopped;
            rec.exit_status = Some(to_raw(status));
        });
        if let Err(e) = r {
            tracing::debug!("recording the exit of {id:?}: {e}");
        }
    }
}

impl Created {
    /// Waits for the container (falling back to the sandbox's exit status).
    pub fn wait(&mut self, rt: &Runtime) -> Result<WaitStatus> {
        let status = self.sandbox.wait(&self.id)?;
        rt.record_exit(&self.id, status);
        Ok(status)
    }

    /// Destroys the sandbox and removes the record (after an attached run).
    pub fn destroy(mut self, rt: &Runtime) -> Result<()> {
        self.sandbox.destroy()?;
        match rt.store.remove(&self.id) {
            Err(e) if !e.is_not_found() => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// The sandbox (e.g. to signal the container while waiting for it).
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// The sandbox's view of the spec (the fields it uses), from the validated bundle.
fn sandbox_spec(bundle: &Bundle) -> Result<boot::spec::Spec> {
    serde_json::to_value(&bundle.spec)
        .and_then(serde_json::from_value)
        .map_err(|e| {
            LifecycleError::Bundle(BundleError::Invalid {
                path: bundle.config_path.clone(),
                reason: format!("cannot hand the spec to the sandbox: {e}"),
            })
        })
}

fn sandbox_info(sb: &Sandbox, root_id: &str) -> SandboxInfo {
    SandboxInfo {
        pid: sb.pid,
        pid_start_time: Some(sb.start_time),
        control_socket: sb.control_socket.clone(),
        root_container_id: root_id.to_owned(),
    }
}

fn from_info(info: &SandboxInfo) -> Sandbox {
    Sandbox::saved(
        &info.root_container_id,
        info.pid,
        info.pid_start_time.unwrap_or(0),
        info.control_socket.clone(),
    )
}

fn saved_sandbox(rec: &State) -> Result<Sandbox> {
    rec.sandbox
        .as_ref()
        .map(from_info)
        .ok_or_else(|| LifecycleError::WrongState(format!("the container is {}", rec.status)))
}

/// Brings `rec.status` up to date with the sandbox: a sandbox that is gone means
/// stopped, and a running sandbox is asked about its container.
pub fn refresh(rec: &mut State) {
    if !matches!(
        rec.status,
        Status::Created | Status::Running | Status::Paused
    ) {
        return;
    }
    let Some(sb) = rec.sandbox.as_ref().map(from_info) else {
        return;
    };
    if !sb.is_running() {
        rec.status = Status::Stopped;
        return;
    }
    match sb.container_state(&rec.id) {
        Ok(reply) => match reply.phase {
            Phase::Stopped => {
                rec.status = Status::Stopped;
                rec.exit_status = reply.exit.map(to_raw);
            }
            Phase::Running if rec.status == Status::Created => rec.status = Status::Running,
            _ => {}
        },
        Err(e) => tracing::debug!("asking sandbox about {:?}: {e}", rec.id),
    }
}

/// The wait(2) status word for `s` (as the state file keeps it).
pub fn to_raw(s: WaitStatus) -> i32 {
    match s {
        WaitStatus::Exited(c) => (c & 0xff) << 8,
        WaitStatus::Signaled(n) => n & 0x7f,
    }
}

fn from_raw(raw: i32) -> WaitStatus {
    if raw & 0x7f == 0 {
        WaitStatus::Exited((raw >> 8) & 0xff)
    } else {
        WaitStatus::Signaled(raw & 0x7f)
    }
}

fn write_pid_file(path: &Path, pid: i32) -> Result<()> {
    // Written beside the target and renamed, so readers never see a partial pid.
    let err = |cause| LifecycleError::PidFile {
        path: path.to_owned(),
        cause,
    };
    let tmp = path.with_extension(format!("moat-tmp-{}", std::process::id()));
    std::fs::write(&tmp, pid.to_string()).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime(root: &Path) -> Runtime {
        Runtime::new(sandbox::Config {
            root_dir: root.to_owned(),
            log_file: None,
            log_format: "text".into(),
            debug: false,
            strace: false,
            network: sandbox::Network::None,
            rootless: false,
        })
        .expect("runtime")
    }

    #[test]
    fn an_abandoned_create_reads_stopped_and_a_live_one_creating() {
        let root = std::env::temp_dir().join(format!("moat-lifecycle-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let rt = runtime(&root);
        let lock = rt.store().create(&State::new("c", "/b")).expect("create");
        assert_eq!(rt.state("c").expect("state").status, Status::Creating);
        drop(lock);
        assert_eq!(rt.state("c").expect("state").status, Status::Stopped);
        assert_eq!(
            rt.list().expect("list").containers[0].status,
            Status::Stopped
        );
        rt.delete("c", false).expect("delete");
        assert!(rt.state("c").is_err());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn raw_status_round_trips() {
        for s in [
            WaitStatus::Exited(0),
            WaitStatus::Exited(3),
            WaitStatus::Signaled(9),
        ] {
            assert_eq!(from_raw(to_raw(s)), s);
        }
        assert_eq!(to_raw(WaitStatus::Exited(3)), 0x300);
    }
}
