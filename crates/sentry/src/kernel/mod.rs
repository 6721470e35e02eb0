//! The kernel: tasks, thread groups, the process tree, signals and waiting.
//!
//! Lock order (outermost first): `KernelShared::tree` → `ThreadGroup::sig` →
//! `ThreadGroup::tasks` → `TaskShared::sig` → wait-queue and waiter locks. The futex
//! table lock comes before memory-manager locks. No lock is held
//! across a platform switch or a blocking sleep.

mod exit;
pub mod futex;
mod process;
mod procfs;
mod sigframe;
pub mod signal;
mod task;
pub mod timers;
pub mod waiter;

pub use process::{
    ChildReport, GroupExit, Node, PrctlState, ProcInfo, ProcessTimers, TaskShared, ThreadGroup,
    Tree,
};
pub use sigframe::sigreturn;
pub use task::{
    default_rlimits, ContextSource, Cred, Rlimits, Task, TaskSeed, VforkDone, RLIM_INFINITY,
};

use crate::mm::MemoryFile;
use crate::KernelConfig;
use platform::Platform;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How a process ended.
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

    /// The `wait4` status word.
    pub fn wait_status(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => (c & 0xff) << 8,
            ExitStatus::Signaled(s) => {
                let core = abi::signal::default_action(s) == abi::signal::DefaultAction::CoreDump;
                s | if core { 0x80 } else { 0 }
            }
        }
    }
}

/// State shared by every task of one sentry.
pub struct KernelShared {
    pub config: KernelConfig,
    pub mf: Arc<MemoryFile>,
    pub platform: Arc<dyn Platform>,
    pub tree: Mutex<Tree>,
    pub futexes: futex::Futexes,
    pub timers: Arc<timers::Timers>,
    pub images: crate::loader::ImageCache,
    pub boot: Instant,
    unimplemented: Mutex<HashSet<u64>>,
    unimplemented_features: Mutex<HashSet<&'static str>>,
}

impl KernelShared {
    pub fn new(
        config: KernelConfig,
        mf: Arc<MemoryFile>,
        platform: Arc<dyn Platform>,
    ) -> KernelShared {
        KernelShared {
            config,
            mf,
            platform,
            tree: Mutex::new(Tree::default()),
            futexes: futex::Futexes::default(),
            timers: Default::default(),
            images: Default::default(),
            boot: Instant::now(),
            unimplemented: Mutex::new(HashSet::new()),
            unimplemented_features: Mutex::new(HashSet::new()),
        }
    }

    /// Logs an unimplemented syscall the first time each number is seen.
    pub fn log_unimplemented(&self, nr: u64) {
        if let Ok(mut seen) = self.unimplemented.lock() {
            if seen.insert(nr) {
                let name = crate::syscalls::entry(nr)
                    .map(|e| e.name)
                    .unwrap_or("unknown");
                tracing::warn!(nr, name, "unsupported syscall: returning ENOSYS");
            }
        }
    }

    /// Logs a missing feature (not a whole syscall) once per message.
    pub fn log_unimplemented_feature(&self, what: &'static str) {
        if let Ok(mut seen) = self.unimplemented_features.lock() {
            if seen.insert(what) {
                tracing::warn!("unsupported: {what}");
            }
        }
    }

    pub fn thread_group(&self, pid: i32) -> Option<Arc<ThreadGroup>> {
        self.tree
            .lock()
            .ok()?
            .get(pid)
            .filter(|n| n.zombie.is_none())
            .map(|n| n.tg.clone())
    }

    /// Builds a new address space running `exe` (and its interpreter, found with
    /// `open_interp`): the memory manager, not yet mapped anywhere, and where to start.
    pub fn load_program(
        &self,
        exe: &crate::vfs::Executable,
        open_interp: impl FnOnce(&[u8]) -> Result<crate::vfs::Executable, abi::Errno>,
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
        exec_path: &[u8],
        ids: crate::loader::AuxIds,
    ) -> Result<(crate::mm::MemoryManager, crate::loader::Image), abi::Errno> {
        let image = self.images.get_or_build(&self.mf, exe)?;
        let interp = match &image.interp {
            Some(p) => Some(self.images.get_or_build(&self.mf, &open_interp(p)?)?),
            None => None,
        };
        let mm = crate::mm::MemoryManager::new(
            self.mf.clone(),
            self.platform.user_range(),
            self.platform.reserved(),
        );
        let start =
            crate::loader::load(&mm, &image, interp.as_deref(), argv, envp, exec_path, ids)?;
        Ok((mm, start))
    }

    /// A live thread by tid, with its thread group.
    pub fn thread(&self, tid: i32) -> Option<(Arc<ThreadGroup>, Arc<TaskShared>)> {
        self.tree.lock().ok()?.threads.get(&tid).cloned()
    }
}
