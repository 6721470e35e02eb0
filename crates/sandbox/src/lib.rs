//! The host side of a sandbox: starting the confined `moat boot` process and every
//! later conversation with it.
//!
//! * [`Sandbox::create`] re-executes moat as the sandbox with donated descriptors, in
//!   new namespaces, as `nobody`, and returns once the sandbox said it is up.
//! * The other methods reach the sandbox over its control socket (urpc). Replies are
//!   untrusted input: they are bounded by urpc and checked here.
//! * [`Sandbox::destroy`] kills and reaps the process and removes the socket; it is
//!   idempotent and also cleans up partly created sandboxes.

mod cgroup;
mod console;
mod create;
mod donation;
mod error;
mod process;
mod socket;
mod spawn;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use boot::api::{Phase, StateReply, WaitStatus};
pub use cgroup::Resources;
pub use create::{Config, CreateArgs, Network};
pub use error::SandboxError;

/// A sandbox process and how to reach it. Saved with the container state, so every
/// CLI call can find its sandbox again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sandbox {
    /// Sandbox id: by convention the id of its root container.
    pub id: String,
    /// Host pid of the sandbox process; 0 once it is known to be gone.
    pub pid: i32,
    /// When that pid started (clock ticks since boot), to tell it from a reused pid.
    pub start_time: u64,
    /// Host uid and gid the sandbox runs as.
    pub uid: u32,
    pub gid: u32,
    /// Path of the control socket file.
    pub control_socket: PathBuf,
    /// Set when this process started the sandbox and may reap it.
    #[serde(skip)]
    child: bool,
    /// The sandbox process's own exit status once reaped (only for `child`).
    #[serde(skip)]
    exit: Option<WaitStatus>,
}

impl Sandbox {
    /// A sandbox found again from saved state (not a child of this process).
    pub fn saved(id: &str, pid: i32, start_time: u64, control_socket: PathBuf) -> Sandbox {
        Sandbox {
            id: id.to_owned(),
            pid,
            start_time,
            uid: 0,
            gid: 0,
            control_socket,
            child: false,
            exit: None,
        }
    }

    /// True when the sandbox process still runs (and is the one we started).
    pub fn is_running(&self) -> bool {
        process::is_alive(self.pid, self.start_time)
    }

    fn client(&self) -> Result<urpc::Client, SandboxError> {
        urpc::Client::connect(&self.control_socket).map_err(|e| {
            SandboxError::control(
                format!("connecting to sandbox {:?} (pid {})", self.id, self.pid),
                e,
            )
        })
    }

    fn call<P: Serialize, R: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
        what: &str,
    ) -> Result<R, SandboxError> {
        let mut client = self.client()?;
        client
            .call_simple(method, params)
            .map_err(|e| SandboxError::control(what.to_owned(), e))
    }

    /// Starts the root container's process.
    pub fn start_root(&self, cid: &str) -> Result<(), SandboxError> {
        let args = boot::api::ContainerArgs { id: cid.to_owned() };
        self.call(
            urpc::methods::CONTAINER_START_ROOT,
            &args,
            "starting the container",
        )
    }

    /// Sends `signal` to the container's init process, or to all its processes.
    pub fn signal(&self, cid: &str, signal: i32, all: bool) -> Result<(), SandboxError> {
        let args = boot::api::SignalArgs {
            id: cid.to_owned(),
            signal,
            all,
        };
        self.call(
            urpc::methods::CONTAINER_SIGNAL,
            &args,
            "signaling the container",
        )
    }

    /// The container's phase as the sandbox sees it.
    pub fn container_state(&self, cid: &str) -> Result<StateReply, SandboxError> {
        let args = boot::api::ContainerArgs { id: cid.to_owned() };
        let mut client = self.client()?;
        // A state query must never hang a `list`.
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(|e| SandboxError::control("querying the container state", e))?;
        let reply: StateReply = client
            .call_simple(urpc::methods::CONTAINER_STATE, &args)
            .map_err(|e| SandboxError::control("querying the container state", e))?;
        if let (Some(pid), Phase::Running) = (reply.pid, reply.phase) {
            if pid <= 0 {
                return Err(SandboxError::Protocol(format!("container pid {pid}")));
            }
        }
        Ok(reply)
    }

    /// Waits for the container's init process to exit. When the sandbox is gone (or
    /// goes away during the wait) the sandbox process's own exit status stands in for
    /// the root container's, if this process started it.
    pub fn wait(&mut self, cid: &str) -> Result<WaitStatus, SandboxError> {
        let args = boot::api::ContainerArgs { id: cid.to_owned() };
        let rpc = self.client().and_then(|mut c| {
            c.call_simple::<_, WaitStatus>(urpc::methods::CONTAINER_WAIT, &args)
                .map_err(|e| SandboxError::control("waiting for the container", e))
        });
        let err = match rpc {
            Ok(status) => return Ok(status),
            // The sandbox answered: its error is the answer.
            Err(e) if e.is_remote() => return Err(e),
            Err(e) => e,
        };
        if cid != self.id {
            return Err(err);
        }
        tracing::debug!("wait on {cid:?} over the control socket failed ({err}); using the sandbox's exit status");
        self.wait_stopped()?;
        self.exit.ok_or_else(|| {
            SandboxError::Gone(format!(
                "the sandbox is no longer running and its exit status is unavailable ({err})"
            ))
        })
    }

    /// Kills the sandbox, reaps it and removes its control socket. Safe to call again.
    pub fn destroy(&mut self) -> Result<(), SandboxError> {
        tracing::debug!(sandbox = %self.id, pid = self.pid, "destroying sandbox");
        if !self.control_socket.as_os_str().is_empty() {
            match std::fs::remove_file(&self.control_socket) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!("removing {}: {e}", self.control_socket.display()),
            }
        }
        if self.pid > 0 && (self.child || self.is_running()) {
            // SAFETY: kill only sends a signal; the pid is checked to be our sandbox
            // (or our unreaped child, which cannot have been reused).
            let r = unsafe { libc::kill(self.pid, libc::SIGKILL) };
            if r != 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() != Some(libc::ESRCH) {
                    return Err(SandboxError::os(
                        format!("killing sandbox pid {}", self.pid),
                        e,
                    ));
                }
            }
        }
        self.wait_stopped()
    }

    /// Blocks until the sandbox process is gone (reaping it when it is our child).
    fn wait_stopped(&mut self) -> Result<(), SandboxError> {
        if self.pid <= 0 {
            return Ok(());
        }
        if self.child {
            let mut status = 0;
            // SAFETY: waitpid on our own unreaped child, writing into a local.
            let r = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            if r == self.pid {
                self.exit = Some(decode_wait_status(status));
            } else if r < 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() != Some(libc::ECHILD) {
                    return Err(SandboxError::os("waiting for the sandbox process", e));
                }
            }
            self.pid = 0;
            return Ok(());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.is_running() {
            if Instant::now() > deadline {
                return Err(SandboxError::Gone(format!(
                    "sandbox pid {} is still running after SIGKILL",
                    self.pid
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.pid = 0;
        Ok(())
    }
}

fn decode_wait_status(status: i32) -> WaitStatus {
    if libc::WIFSIGNALED(status) {
        WaitStatus::Signaled(libc::WTERMSIG(status))
    } else {
        WaitStatus::Exited(libc::WEXITSTATUS(status))
    }
}
