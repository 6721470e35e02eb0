//! A task: one application thread, run by one host thread.
//!
//! The host thread owns everything private to the task — its platform context (for
//! ptrace, the stub process it traces), its memory manager, fd table and registers — and
//! runs the task loop: take pending signals, switch into the application, handle the
//! event, repeat. Other threads reach a task only through its [`ThreadGroup`].

use super::process::{Node, ThreadGroup};
use super::signal::{Disposition, SigInfo};
use super::{ExitStatus, KernelShared};
use crate::mm::MemoryManager;
use crate::syscalls::{self, Args, Flow, Handler};
use crate::vfs::{FdTable, FsContext};
use abi::signal as sig;
use abi::Errno;
use platform::{AddressSpace, Context, Event, FpState, Regs};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// User and group ids of a task.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cred {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
}

/// Resource limits: (soft, hard) per RLIMIT_* index.
pub type Rlimits = [(u64, u64); 16];
pub const RLIM_INFINITY: u64 = u64::MAX;

pub fn default_rlimits() -> Rlimits {
    let mut r = [(RLIM_INFINITY, RLIM_INFINITY); 16];
    r[3] = (8 << 20, RLIM_INFINITY); // STACK
    r[4] = (0, RLIM_INFINITY); // CORE
    r[6] = (63_704, 63_704); // NPROC
    r[7] = (1024, 524_288); // NOFILE
    r[8] = (8 << 20, 8 << 20); // MEMLOCK
    r[11] = (63_704, 63_704); // SIGPENDING
    r[12] = (819_200, 819_200); // MSGQUEUE
    r[13] = (0, 0); // NICE
    r[14] = (0, 0); // RTPRIO
    r
}

/// Lets a vfork parent sleep until its child execs or exits.
#[derive(Default)]
pub struct VforkDone {
    done: Mutex<bool>,
    cv: Condvar,
}

impl VforkDone {
    pub fn complete(&self) {
        if let Ok(mut d) = self.done.lock() {
            *d = true;
            self.cv.notify_all();
        }
    }

    pub fn wait(&self) {
        let Ok(mut d) = self.done.lock() else { return };
        while !*d {
            match self.cv.wait(d) {
                Ok(g) => d = g,
                Err(_) => return,
            }
        }
    }
}

/// Everything needed to start a task on a new host thread. The thread creates the
/// platform context (it must be the one that traces it) and maps `mm` into it.
pub struct TaskSeed {
    pub k: Arc<KernelShared>,
    pub tg: Arc<ThreadGroup>,
    pub mm: MemoryManager,
    pub regs: Regs,
    pub fp: Option<FpState>,
    pub fds: FdTable,
    pub fs: FsContext,
    pub cred: Cred,
    pub rlimits: Rlimits,
    pub exe: String,
    pub vfork: Option<Arc<VforkDone>>,
    pub clear_child_tid: u64,
}

pub struct Task {
    pub k: Arc<KernelShared>,
    pub tg: Arc<ThreadGroup>,
    mm: MemoryManager,
    ctx: Box<dyn Context>,
    pub regs: Regs,
    pub fds: FdTable,
    pub fs: FsContext,
    pub cred: Cred,
    pub rlimits: Rlimits,
    pub exe: String,
    pub vfork: Option<Arc<VforkDone>>,
    pub clear_child_tid: u64,
    /// Set by a handler that returned a restartable errno, until signals are handled.
    restart: Option<Errno>,
}

impl TaskSeed {
    /// Starts the task on its own host thread.
    pub fn start(self) -> std::io::Result<()> {
        let name = format!("task-{}", self.tg.pid);
        std::thread::Builder::new().name(name).stack_size(2 << 20).spawn(move || self.run())?;
        Ok(())
    }

    fn run(self) {
        let tg = self.tg.clone();
        let k = self.k.clone();
        let task = match self.into_task() {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(pid = tg.pid, "starting task: {e}");
                super::exit::exit_without_task(&k, &tg, ExitStatus::Signaled(sig::SIGKILL));
                return;
            }
        };
        task.run();
    }

    fn into_task(self) -> Result<Task, String> {
        let mut ctx = self.k.platform.new_context().map_err(|e| e.to_string())?;
        self.mm.map_all(ctx.as_mut_space()).map_err(|e| format!("mapping memory: {e}"))?;
        if let Some(fp) = &self.fp {
            ctx.set_fp_state(fp).map_err(|e| e.to_string())?;
        }
        if let Ok(mut i) = self.tg.interrupter.lock() {
            *i = Some(ctx.interrupter());
        }
        Ok(Task {
            k: self.k,
            tg: self.tg,
            mm: self.mm,
            ctx,
            regs: self.regs,
            fds: self.fds,
            fs: self.fs,
            cred: self.cred,
            rlimits: self.rlimits,
            exe: self.exe,
            vfork: self.vfork,
            clear_child_tid: self.clear_child_tid,
            restart: None,
        })
    }
}

/// `&mut dyn Context` as `&mut dyn AddressSpace`.
trait AsSpace {
    fn as_mut_space(&mut self) -> &mut dyn AddressSpace;
}

impl AsSpace for Box<dyn Context> {
    fn as_mut_space(&mut self) -> &mut dyn AddressSpace {
        &mut **self
    }
}

impl Task {
    pub fn pid(&self) -> i32 {
        self.tg.pid
    }

    pub fn uid(&self) -> u32 {
        self.cred.uid
    }

    pub fn gid(&self) -> u32 {
        self.cred.gid
    }

    pub fn mm(&self) -> &MemoryManager {
        &self.mm
    }

    /// The memory manager together with the platform address space it must keep in step.
    pub fn mm_mut(&mut self) -> (&mut MemoryManager, &mut dyn AddressSpace) {
        (&mut self.mm, self.ctx.as_mut_space())
    }

    pub fn fp_state(&mut self) -> Result<FpState, Errno> {
        self.ctx.fp_state().map_err(|e| {
            tracing::warn!("reading FP state: {e}");
            Errno::EFAULT
        })
    }

    pub fn set_fp_state(&mut self, fp: &FpState) -> Result<(), Errno> {
        self.ctx.set_fp_state(fp).map_err(|e| {
            tracing::warn!("writing FP state: {e}");
            Errno::EFAULT
        })
    }

    /// Replaces the address space (execve): the old stub dies, a new one gets `mm`.
    pub fn replace_mm(&mut self, mm: MemoryManager) -> Result<(), Errno> {
        let mut ctx = self.k.platform.new_context().map_err(|e| {
            tracing::error!("creating context for exec: {e}");
            Errno::ENOMEM
        })?;
        mm.map_all(ctx.as_mut_space())?;
        if let Ok(mut i) = self.tg.interrupter.lock() {
            *i = Some(ctx.interrupter());
        }
        self.ctx = ctx;
        self.mm = mm;
        Ok(())
    }

    /// Reads a path argument: at most PATH_MAX bytes including the NUL.
    pub fn copy_in_path(&self, addr: u64) -> Result<Vec<u8>, Errno> {
        self.mm.copy_in_cstr(addr, 4096)
    }

    /// Sends a signal to this task's own process (e.g. SIGPIPE).
    pub fn send_signal_self(&self, signo: i32) {
        let info = SigInfo { signo, code: signal_code_kernel(signo), pid: self.pid(), ..Default::default() };
        self.tg.post_signal(info);
    }

    fn signal_pending(&self) -> bool {
        self.tg.sig.lock().map(|s| s.has_deliverable()).unwrap_or(false)
    }

    /// Runs `attempt` until it stops returning EAGAIN, sleeping on `queue` for `mask`
    /// in between. A deliverable signal ends the wait with ERESTARTSYS; the deadline
    /// with ETIMEDOUT.
    pub fn block_on<T>(
        &mut self,
        queue: &super::waiter::WaitQueue,
        mask: u32,
        deadline: Option<Instant>,
        mut attempt: impl FnMut(&mut Task) -> Result<T, Errno>,
    ) -> Result<T, Errno> {
        let waiter = self.tg.waiter.clone();
        loop {
            match attempt(self) {
                Err(e) if e == Errno::EAGAIN => {}
                other => return other,
            }
            queue.register(&waiter, mask);
            let r = attempt(self);
            if !matches!(r, Err(e) if e == Errno::EAGAIN) {
                queue.unregister(&waiter);
                return r;
            }
            if self.signal_pending() {
                queue.unregister(&waiter);
                return Err(Errno::ERESTARTSYS);
            }
            let woke = waiter.sleep(deadline);
            queue.unregister(&waiter);
            if woke == 0 && deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Errno::ETIMEDOUT);
            }
            if self.signal_pending() {
                return Err(Errno::ERESTARTSYS);
            }
        }
    }

    /// Sleeps until the deadline or a signal: Ok(()) when the time is up, ERESTARTSYS
    /// if interrupted.
    pub fn sleep_until(&mut self, deadline: Instant) -> Result<(), Errno> {
        let waiter = self.tg.waiter.clone();
        loop {
            if self.signal_pending() {
                return Err(Errno::ERESTARTSYS);
            }
            if Instant::now() >= deadline {
                return Ok(());
            }
            waiter.sleep(Some(deadline));
        }
    }

    /// The task loop. Returns when the process has exited.
    fn run(mut self) {
        let status = loop {
            if let Some(st) = self.handle_signals() {
                break st;
            }
            let event = match self.ctx.switch(&mut self.regs) {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!(pid = self.pid(), "platform failure: {e}");
                    break ExitStatus::Signaled(sig::SIGKILL);
                }
            };
            match event {
                Event::Syscall => {
                    if let Some(st) = self.syscall() {
                        break st;
                    }
                }
                Event::Fault { addr, signo, code, .. } => {
                    self.force_signal(SigInfo { signo, code, addr, ..Default::default() });
                }
                Event::Signal { signo, code, addr } => {
                    self.force_signal(SigInfo { signo, code, addr, ..Default::default() });
                }
                Event::Interrupted => {}
            }
        };
        super::exit::exit_task(self, status);
    }

    /// A synchronous signal caused by the application's own instruction: if it is
    /// blocked or ignored, the process dies anyway, as on Linux.
    fn force_signal(&mut self, info: SigInfo) {
        if let Ok(mut s) = self.tg.sig.lock() {
            let bit = super::signal::bit(info.signo);
            let a = s.action(info.signo);
            if s.blocked & bit != 0 || a.handler == super::signal::SIG_IGN {
                s.blocked &= !bit;
                s.set_action(info.signo, Default::default());
            }
            s.post(info);
        }
    }

    /// Dispatches one syscall. Returns the exit status if the process ended.
    fn syscall(&mut self) -> Option<ExitStatus> {
        let nr = self.regs.orig_rax;
        let r = &self.regs;
        let args = Args([r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9]);
        let entry = syscalls::entry(nr);
        let strace = self.k.config.strace;
        let before = strace.then(|| syscalls::format_call(self, nr, &args));
        let result: Result<Flow, Errno> = match entry.and_then(|e| e.handler) {
            Some(Handler::Plain(f)) => f(self, &args).map(Flow::Return),
            Some(Handler::Flow(f)) => f(self, &args),
            None => {
                self.k.log_unimplemented(nr);
                Err(Errno::ENOSYS)
            }
        };
        if let Some(call) = before {
            let res = match &result {
                Ok(Flow::Return(v)) => format!("{:#x}", v),
                Ok(Flow::RegsSet) => "(regs set)".into(),
                Ok(Flow::Exit(st)) => format!("exit {st:?}"),
                Err(e) => format!("-1 {e:?}"),
            };
            eprintln!("[{:>4}] {call} = {res}", self.pid());
        }
        match result {
            Ok(Flow::Return(v)) => self.regs.rax = v,
            Ok(Flow::RegsSet) => {}
            Ok(Flow::Exit(st)) => return Some(st),
            Err(e) => {
                if matches!(e, Errno::ERESTARTSYS | Errno::ERESTARTNOINTR | Errno::ERESTARTNOHAND | Errno::ERESTART_RESTARTBLOCK) {
                    self.restart = Some(e);
                    self.regs.rax = Errno::EINTR.to_return();
                } else {
                    self.regs.rax = e.to_return();
                }
            }
        }
        None
    }

    /// Delivers pending signals. Returns the exit status if one killed the process.
    fn handle_signals(&mut self) -> Option<ExitStatus> {
        loop {
            let taken = match self.tg.sig.lock() {
                Ok(mut s) => s.take().map(|info| (info, s.disposition(info.signo))),
                Err(_) => return Some(ExitStatus::Signaled(sig::SIGKILL)),
            };
            let Some((info, disp)) = taken else { break };
            match disp {
                Disposition::Ignore | Disposition::Continue => {}
                Disposition::Terminate { .. } => return Some(ExitStatus::Signaled(info.signo)),
                Disposition::Stop => {
                    if let Some(st) = super::exit::stop(self, info.signo) {
                        return Some(st);
                    }
                }
                Disposition::Handler(action) => {
                    let restart = self.restart.take();
                    if let Some(e) = restart {
                        let again = e == Errno::ERESTARTNOINTR
                            || (e == Errno::ERESTARTSYS && action.flags & super::signal::SA_RESTART != 0);
                        if again {
                            self.rewind_syscall();
                        }
                    }
                    if let Err(e) = super::sigframe::push(self, info, action) {
                        tracing::debug!(pid = self.pid(), "cannot build signal frame: {e:?}; killing");
                        return Some(ExitStatus::Signaled(sig::SIGSEGV));
                    }
                }
            }
        }
        // No handler ran: an interrupted syscall restarts transparently.
        if self.restart.take().is_some() {
            self.rewind_syscall();
        }
        None
    }

    fn rewind_syscall(&mut self) {
        self.regs.rip = self.regs.rip.wrapping_sub(2);
        self.regs.rax = self.regs.orig_rax;
    }

    pub(super) fn take_parts(self) -> (MemoryManager, Box<dyn Context>, FdTable, FsContext, Option<Arc<VforkDone>>, u64) {
        (self.mm, self.ctx, self.fds, self.fs, self.vfork, self.clear_child_tid)
    }

    /// Fork helper: the pieces of a child task, sharing nothing mutable with this one.
    pub fn fork_seed(&mut self, tg: Arc<ThreadGroup>, vfork: Option<Arc<VforkDone>>) -> Result<TaskSeed, Errno> {
        let fp = self.fp_state()?;
        let mm = self.mm.fork()?;
        let mut regs = self.regs;
        regs.rax = 0;
        Ok(TaskSeed {
            k: self.k.clone(),
            tg,
            mm,
            regs,
            fp: Some(fp),
            fds: self.fds.fork(),
            fs: self.fs.fork(),
            cred: self.cred,
            rlimits: self.rlimits,
            exe: self.exe.clone(),
            vfork,
            clear_child_tid: 0,
        })
    }

    /// The tree node of this task's process (callers hold the tree lock).
    pub fn node<'a>(&self, tree: &'a super::process::Tree) -> Option<&'a Node> {
        tree.get(self.pid())
    }
}

fn signal_code_kernel(_signo: i32) -> i32 {
    super::signal::SI_KERNEL
}
