//! The sentry: Moat's user-space kernel. See README.md in this crate.
//!
//! The public surface is small: [`Kernel::new`] boots a kernel on a platform,
//! [`Kernel::spawn`] starts a container's first process, and [`Process`] lets the sandbox
//! wait for and signal it. Everything else is the kernel's business.

#![deny(unsafe_code)]

pub mod fs;
pub mod hostcalls;
pub mod kernel;
pub mod loader;
pub mod mm;
pub mod syscalls;
pub mod vfs;

pub use kernel::ExitStatus;

use abi::Errno;
use kernel::{
    default_rlimits, ContextSource, Cred, KernelShared, Node, TaskSeed, TaskShared, ThreadGroup,
};
use mm::MemoryFile;
use std::os::fd::OwnedFd;
use std::sync::Arc;

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

#[derive(Debug, thiserror::Error)]
pub enum SentryError {
    #[error(transparent)]
    MemoryFile(#[from] mm::MemoryFileError),
    #[error("platform: {0}")]
    Platform(#[from] platform::PlatformError),
    #[error("{what}: {errno}")]
    Errno { what: String, errno: Errno },
    #[error("starting the task thread: {0}")]
    Thread(std::io::Error),
    #[error("no such process {0}")]
    NoProcess(i32),
}

fn errno(what: impl Into<String>) -> impl FnOnce(Errno) -> SentryError {
    let what = what.into();
    move |errno| SentryError::Errno { what, errno }
}

/// A running sentry. Cheap to clone.
#[derive(Clone)]
pub struct Kernel {
    k: Arc<KernelShared>,
}

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl Kernel {
    pub fn new(config: KernelConfig) -> Result<Kernel, SentryError> {
        let mf = Arc::new(MemoryFile::new()?);
        let platform = Arc::new(platform::ptrace::Ptrace::new(mf.fd())?);
        let k = Arc::new(KernelShared::new(config, mf, platform));
        // /proc asks the kernel about other processes.
        let source: std::sync::Weak<dyn fs::proc::ProcSource> = Arc::downgrade(&k) as _;
        fs::proc::register_source(source);
        Ok(Kernel { k })
    }

    /// Starts a container's first process. Fails (and starts nothing) if the program
    /// cannot be found or loaded.
    pub fn spawn(&self, spec: ProcessSpec) -> Result<Process, SentryError> {
        let k = &self.k;
        let argv0 = spec
            .argv
            .first()
            .cloned()
            .ok_or_else(|| errno("empty argv")(Errno::EINVAL))?;
        let mut fs = vfs::new_container_fs(spec.root, spec.overlay, spec.mounts)
            .map_err(errno("building the container filesystem"))?;
        fs.umask = 0o022;
        let fds = vfs::FdTable::with_stdio(spec.stdio).map_err(errno("setting up stdio"))?;
        let path =
            resolve_program(&fs, &argv0, &spec.env).map_err(errno(format!("finding {argv0:?}")))?;
        let exe =
            vfs::open_executable(&fs, path.as_bytes()).map_err(errno(format!("opening {path}")))?;
        let argv: Vec<Vec<u8>> = spec.argv.iter().map(|s| s.as_bytes().to_vec()).collect();
        let envp: Vec<Vec<u8>> = spec.env.iter().map(|s| s.as_bytes().to_vec()).collect();
        let ids = loader::AuxIds {
            uid: spec.uid,
            euid: spec.uid,
            gid: spec.gid,
            egid: spec.gid,
        };
        let open_interp = |p: &[u8]| vfs::open_executable(&fs, p);
        let (mm, image) = k
            .load_program(&exe, open_interp, &argv, &envp, path.as_bytes(), ids)
            .map_err(errno(format!("loading {path}")))?;

        let (pid, tg, shared) = {
            let mut tree = k
                .tree
                .lock()
                .map_err(|_| errno("process tree")(Errno::EAGAIN))?;
            let pid = tree.alloc_pid();
            let tg = ThreadGroup::new(pid, Default::default());
            tg.set_program(&exe.path, &argv, &envp);
            let shared = TaskShared::new(pid, Default::default());
            if let Ok(mut t) = tg.tasks.lock() {
                t.push(shared.clone());
            }
            let mut node = Node::new(tg.clone(), 0, pid, pid, pid);
            node.execed = true;
            tree.nodes.insert(pid, node);
            tree.threads.insert(pid, (tg.clone(), shared.clone()));
            (pid, tg, shared)
        };
        let mut regs = platform::zeroed_regs();
        regs.rip = image.entry;
        regs.rsp = image.sp;
        regs.eflags = 0x202;
        regs.cs = 0x33;
        regs.ss = 0x2b;
        let cred = Cred {
            uid: spec.uid,
            euid: spec.uid,
            suid: spec.uid,
            gid: spec.gid,
            egid: spec.gid,
            sgid: spec.gid,
        };
        let seed = TaskSeed {
            k: k.clone(),
            tg: tg.clone(),
            shared,
            mm: Arc::new(mm),
            context: ContextSource::Fresh,
            regs,
            fp: None,
            fds: Arc::new(fds),
            fs,
            cred,
            groups: Arc::new(Vec::new()),
            rlimits: default_rlimits(),
            exe: exe.path,
            vfork: None,
            clear_child_tid: 0,
        };
        if let Err(e) = seed.start() {
            if let Ok(mut tree) = k.tree.lock() {
                tree.nodes.remove(&pid);
                tree.threads.remove(&pid);
            }
            return Err(SentryError::Thread(e));
        }
        Ok(Process { k: k.clone(), tg })
    }
}

/// Finds `prog` the way runc does: as given if it contains a slash, else on $PATH.
fn resolve_program(fs: &vfs::FsContext, prog: &str, env: &[String]) -> Result<String, Errno> {
    if prog.contains('/') {
        return Ok(prog.to_string());
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    let mut err = Errno::ENOENT;
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let cand = format!("{}/{prog}", dir.trim_end_matches('/'));
        match vfs::open_executable(fs, cand.as_bytes()) {
            Ok(_) => return Ok(cand),
            Err(e) if e == Errno::EACCES => err = e,
            Err(_) => {}
        }
    }
    Err(err)
}

/// A handle on a container's first process, for the sandbox.
#[derive(Clone)]
pub struct Process {
    k: Arc<KernelShared>,
    tg: Arc<ThreadGroup>,
}

impl Process {
    pub fn pid(&self) -> i32 {
        self.tg.pid
    }

    /// Blocks until the process exits.
    pub fn wait(&self) -> ExitStatus {
        self.tg.wait_exit()
    }

    pub fn try_wait(&self) -> Option<ExitStatus> {
        self.tg.exit_status()
    }

    pub fn signal(&self, sig: i32) -> Result<(), SentryError> {
        kernel::signal::valid(sig).map_err(errno(format!("signal {sig}")))?;
        if self.tg.exit_status().is_some() {
            return Err(SentryError::NoProcess(self.tg.pid));
        }
        self.tg.post_signal(kernel::signal::SigInfo {
            signo: sig,
            code: kernel::signal::SI_USER,
            ..Default::default()
        });
        Ok(())
    }

    /// Signals every process of this container.
    pub fn signal_all(&self, sig: i32) -> Result<(), SentryError> {
        kernel::signal::valid(sig).map_err(errno(format!("signal {sig}")))?;
        let members = self
            .k
            .tree
            .lock()
            .map(|t| t.container_members(self.tg.pid))
            .unwrap_or_default();
        for m in members {
            m.post_signal(kernel::signal::SigInfo {
                signo: sig,
                code: kernel::signal::SI_USER,
                ..Default::default()
            });
        }
        Ok(())
    }
}
