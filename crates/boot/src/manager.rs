//! The container manager: the containers this sandbox hosts and their init processes
//! on the sentry.
//!
//! A container moves `Created` → `Running` (on start) → `Stopped` (its init exited, or
//! it was killed before starting). Lock order: `Manager::containers` only; it is never
//! held across a sentry call that blocks (`Process::wait`).

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use urpc::RemoteError;

use crate::api::{Phase, StateReply, WaitStatus};
use crate::runtime::{AppProcess, HostMount, ProcessSpec, Runtime};

/// Everything needed to start a container's init process.
pub struct Pending {
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    pub root: OwnedFd,
    pub mounts: Vec<HostMount>,
    pub stdio: [OwnedFd; 3],
}

enum Slot {
    Created(Box<Pending>),
    /// Being handed to the sentry (between taking `Pending` and getting a process).
    Starting,
    Running(Arc<dyn AppProcess>),
    Stopped(WaitStatus),
}

/// The containers of one sandbox.
pub struct Manager {
    kernel: Arc<dyn Runtime>,
    containers: Mutex<HashMap<String, Slot>>,
    changed: Condvar,
}

impl Manager {
    pub fn new(kernel: Arc<dyn Runtime>) -> Self {
        Manager {
            kernel,
            containers: Mutex::new(HashMap::new()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        // A poisoned map is still consistent: every update is a single assignment.
        self.containers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a container that is ready to start.
    pub fn add(&self, id: &str, pending: Pending) {
        self.lock()
            .insert(id.to_owned(), Slot::Created(Box::new(pending)));
    }

    /// Starts a created container's init process.
    pub fn start(&self, id: &str) -> Result<i32, RemoteError> {
        let pending = {
            let mut map = self.lock();
            let slot = map.get_mut(id).ok_or_else(|| unknown(id))?;
            match std::mem::replace(slot, Slot::Starting) {
                Slot::Created(p) => p,
                other => {
                    let phase = phase_name(&other);
                    *slot = other;
                    return Err(RemoteError::invalid_state(format!(
                        "container {id:?} is {phase}, not created"
                    )));
                }
            }
        };
        let Pending {
            argv,
            env,
            cwd,
            uid,
            gid,
            root,
            mounts,
            stdio,
        } = *pending;
        let program = argv.first().cloned().unwrap_or_default();
        let spec = ProcessSpec {
            argv,
            env,
            cwd,
            root,
            overlay: true,
            mounts,
            stdio,
            uid,
            gid,
        };
        let result = self.kernel.spawn(spec);
        let mut map = self.lock();
        let reply = match result {
            Ok(process) => {
                let pid = process.pid();
                tracing::info!(container = id, pid, "container started");
                map.insert(id.to_owned(), Slot::Running(process));
                Ok(pid)
            }
            Err(e) => {
                // The init never ran; waiters learn it as exit status 127, as a shell
                // reports a command it could not run.
                map.insert(id.to_owned(), Slot::Stopped(WaitStatus::Exited(127)));
                Err(RemoteError::internal(format!("running {program:?}: {e}")))
            }
        };
        self.changed.notify_all();
        reply
    }

    /// Blocks until the container's init process has exited.
    pub fn wait(&self, id: &str) -> Result<WaitStatus, RemoteError> {
        let process = {
            let mut map = self.lock();
            loop {
                match map.get(id).ok_or_else(|| unknown(id))? {
                    Slot::Stopped(s) => return Ok(*s),
                    Slot::Running(p) => break Arc::clone(p),
                    Slot::Created(_) | Slot::Starting => {
                        map = self.changed.wait(map).unwrap_or_else(|p| p.into_inner());
                    }
                }
            }
        };
        let status = WaitStatus::from(process.wait());
        self.lock().insert(id.to_owned(), Slot::Stopped(status));
        self.changed.notify_all();
        Ok(status)
    }

    /// The container's phase, refreshed from the sentry.
    pub fn state(&self, id: &str) -> Result<StateReply, RemoteError> {
        let mut map = self.lock();
        let slot = map.get_mut(id).ok_or_else(|| unknown(id))?;
        if let Slot::Running(p) = slot {
            if let Some(status) = p.try_wait() {
                *slot = Slot::Stopped(status.into());
            }
        }
        Ok(match slot {
            Slot::Created(_) | Slot::Starting => StateReply {
                phase: Phase::Created,
                pid: None,
                exit: None,
            },
            Slot::Running(p) => StateReply {
                phase: Phase::Running,
                pid: Some(p.pid()),
                exit: None,
            },
            Slot::Stopped(s) => StateReply {
                phase: Phase::Stopped,
                pid: None,
                exit: Some(*s),
            },
        })
    }

    /// Signals the init process (or every process) of a container. A container that
    /// has not started yet dies of a signal whose default action kills.
    pub fn signal(&self, id: &str, sig: i32, all: bool) -> Result<(), RemoteError> {
        if !(1..=64).contains(&sig) {
            return Err(RemoteError::invalid_params(format!("invalid signal {sig}")));
        }
        let mut map = self.lock();
        let slot = map.get_mut(id).ok_or_else(|| unknown(id))?;
        match slot {
            Slot::Running(p) => p
                .signal(sig, all)
                .map_err(|e| RemoteError::internal(format!("signaling container {id:?}: {e}"))),
            Slot::Created(_) => {
                use abi::signal::{default_action, DefaultAction};
                if matches!(
                    default_action(sig),
                    DefaultAction::Terminate | DefaultAction::CoreDump
                ) {
                    *slot = Slot::Stopped(WaitStatus::Signaled(sig));
                    self.changed.notify_all();
                }
                Ok(())
            }
            Slot::Starting => Err(RemoteError::invalid_state(format!(
                "container {id:?} is starting"
            ))),
            Slot::Stopped(_) => Err(RemoteError::invalid_state(format!(
                "container {id:?} is not running"
            ))),
        }
    }
}

fn unknown(id: &str) -> RemoteError {
    RemoteError::not_found(format!("no container {id:?} in this sandbox"))
}

fn phase_name(slot: &Slot) -> &'static str {
    match slot {
        Slot::Created(_) => "created",
        Slot::Starting => "starting",
        Slot::Running(_) => "running",
        Slot::Stopped(_) => "stopped",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::ExitStatus;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// A process that exits with the first signal it gets (or never, without one).
    struct FakeProcess {
        exit: Mutex<Option<ExitStatus>>,
        cond: Condvar,
    }

    impl AppProcess for FakeProcess {
        fn pid(&self) -> i32 {
            1
        }
        fn wait(&self) -> ExitStatus {
            let mut exit = self.exit.lock().unwrap();
            loop {
                if let Some(s) = *exit {
                    return s;
                }
                exit = self.cond.wait(exit).unwrap();
            }
        }
        fn try_wait(&self) -> Option<ExitStatus> {
            *self.exit.lock().unwrap()
        }
        fn signal(&self, sig: i32, _all: bool) -> Result<(), String> {
            *self.exit.lock().unwrap() = Some(ExitStatus::Signaled(sig));
            self.cond.notify_all();
            Ok(())
        }
    }

    struct FakeRuntime {
        fail: AtomicBool,
    }

    impl Runtime for FakeRuntime {
        fn spawn(&self, spec: ProcessSpec) -> Result<Arc<dyn AppProcess>, String> {
            if self.fail.load(Ordering::SeqCst) {
                return Err(format!("no such program {:?}", spec.argv[0]));
            }
            Ok(Arc::new(FakeProcess {
                exit: Mutex::new(None),
                cond: Condvar::new(),
            }))
        }
    }

    fn null() -> OwnedFd {
        OwnedFd::from(std::fs::File::open("/dev/null").unwrap())
    }

    fn manager(fail: bool) -> Arc<Manager> {
        let mgr = Manager::new(Arc::new(FakeRuntime {
            fail: AtomicBool::new(fail),
        }));
        mgr.add(
            "c",
            Pending {
                argv: vec!["sh".into()],
                env: Vec::new(),
                cwd: "/".into(),
                uid: 0,
                gid: 0,
                root: null(),
                mounts: Vec::new(),
                stdio: [null(), null(), null()],
            },
        );
        Arc::new(mgr)
    }

    #[test]
    fn start_signal_wait_and_state() {
        let mgr = manager(false);
        assert_eq!(mgr.state("c").unwrap().phase, Phase::Created);
        assert_eq!(mgr.start("c").unwrap(), 1);
        assert_eq!(mgr.state("c").unwrap().phase, Phase::Running);
        let err = mgr.start("c").unwrap_err();
        assert_eq!(err.kind, urpc::kinds::INVALID_STATE);

        let waiter = {
            let mgr = Arc::clone(&mgr);
            std::thread::spawn(move || mgr.wait("c"))
        };
        mgr.signal("c", 9, false).unwrap();
        assert_eq!(waiter.join().unwrap().unwrap(), WaitStatus::Signaled(9));
        let st = mgr.state("c").unwrap();
        assert_eq!(
            (st.phase, st.exit),
            (Phase::Stopped, Some(WaitStatus::Signaled(9)))
        );
        assert_eq!(
            mgr.signal("c", 15, false).unwrap_err().kind,
            urpc::kinds::INVALID_STATE
        );
    }

    #[test]
    fn a_created_container_dies_of_a_fatal_signal_and_ignores_others() {
        let mgr = manager(false);
        mgr.signal("c", abi::signal::SIGCHLD, false).unwrap();
        assert_eq!(mgr.state("c").unwrap().phase, Phase::Created);
        mgr.signal("c", abi::signal::SIGTERM, false).unwrap();
        assert_eq!(
            mgr.wait("c").unwrap(),
            WaitStatus::Signaled(abi::signal::SIGTERM)
        );
        assert!(mgr.start("c").is_err(), "a dead container cannot start");
    }

    #[test]
    fn a_failed_start_is_an_error_and_exit_127() {
        let mgr = manager(true);
        let err = mgr.start("c").unwrap_err();
        assert!(err.message.contains("no such program"), "{}", err.message);
        assert_eq!(mgr.wait("c").unwrap(), WaitStatus::Exited(127));
    }

    #[test]
    fn unknown_ids_and_bad_signals() {
        let mgr = manager(false);
        assert_eq!(mgr.start("x").unwrap_err().kind, urpc::kinds::NOT_FOUND);
        assert_eq!(mgr.wait("x").unwrap_err().kind, urpc::kinds::NOT_FOUND);
        assert_eq!(mgr.state("x").unwrap_err().kind, urpc::kinds::NOT_FOUND);
        assert_eq!(
            mgr.signal("c", 0, false).unwrap_err().kind,
            urpc::kinds::INVALID_PARAMS
        );
        assert_eq!(
            mgr.signal("c", 65, false).unwrap_err().kind,
            urpc::kinds::INVALID_PARAMS
        );
    }
}
