//! The sentry: Moat's user-space kernel. See README.md in this crate.

use std::os::fd::OwnedFd;

/// How a sandboxed process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    Signaled(i32),
}

impl ExitStatus {
    /// The status a shell reports: the exit code, or 128+N after signal N.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c & 0xff,
            ExitStatus::Signaled(s) => 128 + s,
        }
    }
}

/// Kernel-wide settings, fixed when the sandbox boots.
#[derive(Clone, Debug, Default)]
pub struct KernelConfig {
    /// Log every application syscall with decoded arguments and result.
    pub strace: bool,
    pub hostname: String,
    pub cpus: usize,
    pub total_memory: u64,
}

/// A host directory that becomes a filesystem inside the sandbox.
pub struct HostMount {
    /// Absolute path inside the container, e.g. "/data".
    pub dest: String,
    /// An O_PATH or O_DIRECTORY descriptor of the host directory.
    pub dir: OwnedFd,
    pub readonly: bool,
}

/// What to run as a container's first process.
pub struct ProcessSpec {
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    /// The host directory that is the container's "/"; seen through a memory overlay
    /// when `overlay` is set, so writes never reach it.
    pub root: OwnedFd,
    pub overlay: bool,
    pub mounts: Vec<HostMount>,
    /// The application's stdin, stdout and stderr.
    pub stdio: [OwnedFd; 3],
    pub uid: u32,
    pub gid: u32,
}
