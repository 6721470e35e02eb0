//! Params and results of the control methods the sandbox serves.
//!
//! Shared by the server (this crate) and the caller (`sandbox`), so both sides agree on
//! the shapes; the method names themselves are in `urpc::methods`. Everything here
//! crosses a trust boundary: the CLI must treat replies as untrusted input.

use serde::{Deserialize, Serialize};

/// Names a container inside the sandbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerArgs {
    pub id: String,
}

/// `containerManager.Signal`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignalArgs {
    pub id: String,
    pub signal: i32,
    /// Deliver to every process of the container, not just its init.
    pub all: bool,
}

/// How a container's init process ended, as `wait` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WaitStatus {
    Exited(i32),
    Signaled(i32),
}

impl WaitStatus {
    /// The exit code a shell would report: the code, or 128+N after signal N.
    pub fn shell_code(self) -> i32 {
        match self {
            WaitStatus::Exited(c) => c & 0xff,
            WaitStatus::Signaled(s) => 128 + (s & 0x7f),
        }
    }
}

impl From<sentry::ExitStatus> for WaitStatus {
    fn from(s: sentry::ExitStatus) -> Self {
        match s {
            sentry::ExitStatus::Exited(c) => WaitStatus::Exited(c),
            sentry::ExitStatus::Signaled(n) => WaitStatus::Signaled(n),
        }
    }
}

/// A container's lifecycle phase as the sandbox sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    /// Known to the sandbox, its process not started yet.
    Created,
    /// Its init process runs.
    Running,
    /// Its init process has exited.
    Stopped,
}

/// Reply to `containerManager.State`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateReply {
    pub phase: Phase,
    /// The init process's pid inside the sandbox, once started.
    pub pid: Option<i32>,
    /// Set once the init process has exited.
    pub exit: Option<WaitStatus>,
}
