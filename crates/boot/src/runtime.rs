//! The narrow interface between the container manager and the kernel that runs
//! container processes: start a process tree, wait for it, signal it. The sentry
//! implements it; tests use fakes.

use std::sync::Arc;

pub use sentry::{ExitStatus, HostMount, KernelConfig, ProcessSpec};

/// Starts container init processes.
pub trait Runtime: Send + Sync {
    fn spawn(&self, spec: ProcessSpec) -> Result<Arc<dyn AppProcess>, String>;
}

/// A container's init process as the manager sees it.
pub trait AppProcess: Send + Sync {
    /// Pid inside the sandbox.
    fn pid(&self) -> i32;
    /// Blocks until the process has exited.
    fn wait(&self) -> ExitStatus;
    fn try_wait(&self) -> Option<ExitStatus>;
    /// Signals the process, or with `all` every process of its container.
    fn signal(&self, sig: i32, all: bool) -> Result<(), String>;
}

/// The kernel for a new sandbox: the sentry.
pub fn new_kernel(cfg: KernelConfig) -> Result<Arc<dyn Runtime>, String> {
    let kernel = sentry::Kernel::new(cfg).map_err(|e| e.to_string())?;
    Ok(Arc::new(kernel))
}

impl Runtime for sentry::Kernel {
    fn spawn(&self, spec: ProcessSpec) -> Result<Arc<dyn AppProcess>, String> {
        let p = sentry::Kernel::spawn(self, spec).map_err(|e| e.to_string())?;
        Ok(Arc::new(p))
    }
}

impl AppProcess for sentry::Process {
    fn pid(&self) -> i32 {
        sentry::Process::pid(self)
    }

    fn wait(&self) -> ExitStatus {
        sentry::Process::wait(self)
    }

    fn try_wait(&self) -> Option<ExitStatus> {
        sentry::Process::try_wait(self)
    }

    fn signal(&self, sig: i32, all: bool) -> Result<(), String> {
        let r = if all {
            self.signal_all(sig)
        } else {
            sentry::Process::signal(self, sig)
        };
        r.map_err(|e| e.to_string())
    }
}
