//! A task: one application thread, run by one host thread.
//!
//! The host thread owns everything private to the task — its platform context (for
//! ptrace, the stub process it traces), its memory manager, fd table and registers — and
//! runs the task loop: take pending signals, switch into the application, handle the
//! event, repeat. Other threads reach a task only through its [`ThreadGroup`].

use super::process::{GroupExit, Node, TaskShared, ThreadGroup};
use super::signal::{Disposition, SigInfo};
use super::{ExitStatus, KernelShared};
use crate::mm::MemoryManager;
use crate::syscalls::{self, Args, Flow, Handler};
use crate::vfs::{FdTable, FsContext};
use abi::signal as sig;
use abi::Errno;
use platform::{AddressSpace, Context, ContextSeed, Event, FpState, Regs};
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

/// Where a new task's platform context comes from.
pub enum ContextSource {
    /// A new address space: a fresh context, into which the whole `mm` is mapped.
    Fresh,
    /// A thread (or vfork child) sharing the creator's address space.
    Sibling(ContextSeed),
}

/// Everything needed to start a task on a new host thread. The thread creates the
/// platform context there (ptrace requires the tracer to be that thread).
pub struct TaskSeed {
    pub k: Arc<KernelShared>,
    pub tg: Arc<ThreadGroup>,
    pub shared: Arc<TaskShared>,
    pub mm: Arc<MemoryManager>,
    pub context: ContextSource,
    pub regs: Regs,
    pub fp: Option<FpState>,
    pub fds: Arc<FdTable>,
    pub fs: FsContext,
    pub cred: Cred,
    /// Supplementary group ids.
    pub groups: Arc<Vec<u32>>,
    pub rlimits: Rlimits,
    pub exe: String,
    pub vfork: Option<Arc<VforkDone>>,
    pub clear_child_tid: u64,
}

pub struct Task {
    pub k: Arc<KernelShared>,
    pub tg: Arc<ThreadGroup>,
    pub shared: Arc<TaskShared>,
    mm: Arc<MemoryManager>,
    ctx: Box<dyn Context>,
    pub regs: Regs,
    pub fds: Arc<FdTable>,
    pub fs: FsContext,
    pub cred: Cred,
    /// Supplementary group ids.
    pub groups: Arc<Vec<u32>>,
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
        let name = format!("task-{}", self.shared.tid);
        std::thread::Builder::new()
            .name(name)
            .stack_size(2 << 20)
            .spawn(move || self.run())?;
        Ok(())
    }

    fn run(self) {
        let tg = self.tg.clone();
        let shared = self.shared.clone();
        let k = self.k.clone();
        let vfork = self.vfork.clone();
        match self.into_task() {
            Ok(t) => t.run(),
            Err(e) => {
                tracing::error!(tid = shared.tid, "starting task: {e}");
                if let Some(v) = vfork {
                    v.complete();
                }
                super::exit::thread_gone(&k, &tg, &shared, ExitStatus::Signaled(sig::SIGKILL));
            }
        }
    }

    fn into_task(self) -> Result<Task, String> {
        let mut ctx = match self.context {
            ContextSource::Fresh => {
                let mut ctx = self.k.platform.new_context().map_err(|e| e.to_string())?;
                self.mm
                    .map_all(ctx.as_mut_space())
                    .map_err(|e| format!("mapping memory: {e}"))?;
                ctx
            }
            ContextSource::Sibling(seed) => seed.adopt().map_err(|e| e.to_string())?,
        };
        if let Some(fp) = &self.fp {
            ctx.set_fp_state(fp).map_err(|e| e.to_string())?;
        }
        if let Ok(mut i) = self.shared.interrupter.lock() {
            *i = Some(ctx.interrupter());
        }
        Ok(Task {
            k: self.k,
            tg: self.tg,
            shared: self.shared,
            mm: self.mm,
            ctx,
            regs: self.regs,
            fds: self.fds,
            fs: self.fs,
            cred: self.cred,
            groups: self.groups,
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

/// How a task's loop ended.
#[derive(Clone, Copy, Debug)]
pub enum TaskEnd {
    /// This thread is done; if it is the last one, the process exits with the status.
    Thread(ExitStatus),
}

impl Task {
    /// The process id (thread group id).
    pub fn pid(&self) -> i32 {
        self.tg.pid
    }

    pub fn tid(&self) -> i32 {
        self.shared.tid
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

    pub fn mm_arc(&self) -> &Arc<MemoryManager> {
        &self.mm
    }

    /// The memory manager together with the platform address space it must keep in step.
    pub fn mm_mut(&mut self) -> (&MemoryManager, &mut dyn AddressSpace) {
        (&self.mm, self.ctx.as_mut_space())
    }

    pub fn context_mut(&mut self) -> &mut dyn Context {
        &mut *self.ctx
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

    /// Replaces the address space (execve): a new stub gets `mm`; the old context goes.
    pub fn replace_mm(&mut self, mm: MemoryManager) -> Result<(), Errno> {
        let mut ctx = self.k.platform.new_context().map_err(|e| {
            tracing::error!("creating context for exec: {e}");
            Errno::ENOMEM
        })?;
        mm.map_all(ctx.as_mut_space())?;
        if let Ok(mut i) = self.shared.interrupter.lock() {
            *i = Some(ctx.interrupter());
        }
        self.ctx = ctx;
        self.mm = Arc::new(mm);
        Ok(())
    }

    /// Reads a path argument: at most PATH_MAX bytes including the NUL.
    pub fn copy_in_path(&self, addr: u64) -> Result<Vec<u8>, Errno> {
        self.mm.copy_in_cstr(addr, 4096)
    }

    /// Sends a signal to this thread (e.g. SIGPIPE).
    pub fn send_signal_self(&self, signo: i32) {
        let info = SigInfo {
            signo,
            code: super::signal::SI_KERNEL,
            pid: self.pid(),
            ..Default::default()
        };
        self.tg.post_thread_signal(&self.shared, info);
    }

    /// Whether something must interrupt a blocking call: a deliverable signal, a group
    /// exit, or a stop.
    pub fn interrupted(&self) -> bool {
        if self.tg.group_exit().is_some() {
            return true;
        }
        let Ok(ps) = self.tg.sig.lock() else {
            return true;
        };
        let Ok(ts) = self.shared.sig.lock() else {
            return true;
        };
        let ready = |bits: u64| bits & (!ts.blocked | super::signal::UNBLOCKABLE) != 0;
        ready(ts.pending.bits) || ready(ps.pending.bits)
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
        let waiter = self.shared.waiter.clone();
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
            if self.interrupted() {
                queue.unregister(&waiter);
                return Err(Errno::ERESTARTSYS);
            }
            let woke = waiter.sleep(deadline);
            queue.unregister(&waiter);
            if woke == 0 && deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Errno::ETIMEDOUT);
            }
            if self.interrupted() {
                return Err(Errno::ERESTARTSYS);
            }
        }
    }

    /// Sleeps until the deadline or a signal: Ok(()) when the time is up, ERESTARTSYS
    /// if interrupted.
    pub fn sleep_until(&mut self, deadline: Instant) -> Result<(), Errno> {
        let waiter = self.shared.waiter.clone();
        loop {
            if self.interrupted() {
                return Err(Errno::ERESTARTSYS);
            }
            if Instant::now() >= deadline {
                return Ok(());
            }
            waiter.sleep(Some(deadline));
        }
    }

    /// The task loop. Returns when the thread has ended.
    fn run(mut self) {
        self.publish_proc_view();
        let TaskEnd::Thread(status) = loop {
            if let Some(end) = self.handle_signals() {
                break end;
            }
            let entered = Instant::now();
            let switched = self.ctx.switch(&mut self.regs);
            self.shared
                .times
                .add(entered.elapsed().as_nanos() as u64, 0);
            let event = match switched {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!(tid = self.tid(), "platform failure: {e}");
                    let st = ExitStatus::Signaled(sig::SIGKILL);
                    self.tg.begin_group_exit(GroupExit::Exit(st));
                    break TaskEnd::Thread(st);
                }
            };
            match event {
                Event::Syscall => {
                    if let Some(end) = self.syscall() {
                        break end;
                    }
                }
                Event::Fault {
                    addr, signo, code, ..
                } => {
                    // Touching a file mapping past its end is SIGBUS (BUS_ADRERR).
                    let info = match self.mm.vma_at(addr) {
                        Some(v) if v.past_eof => SigInfo {
                            signo: sig::SIGBUS,
                            code: 2,
                            addr,
                            ..Default::default()
                        },
                        _ => SigInfo {
                            signo,
                            code,
                            addr,
                            ..Default::default()
                        },
                    };
                    self.force_signal(info);
                }
                Event::Signal { signo, code, addr } => {
                    self.force_signal(SigInfo {
                        signo,
                        code,
                        addr,
                        ..Default::default()
                    });
                }
                Event::Interrupted => {}
            }
        };
        super::exit::exit_task(self, status);
    }

    /// A synchronous signal caused by the application's own instruction: if it is
    /// blocked or ignored, the process dies anyway, as on Linux.
    fn force_signal(&mut self, info: SigInfo) {
        let bit = super::signal::bit(info.signo);
        if let (Ok(mut ps), Ok(mut ts)) = (self.tg.sig.lock(), self.shared.sig.lock()) {
            if ts.blocked & bit != 0 || ps.action(info.signo).handler == super::signal::SIG_IGN {
                ts.blocked &= !bit;
                ps.set_action(info.signo, Default::default());
            }
            ts.pending.post(info);
        }
    }

    /// Dispatches one syscall. Returns how the thread ends, if it does.
    fn syscall(&mut self) -> Option<TaskEnd> {
        // Linux looks only at the low 32 bits of the number, as a signed int.
        let nr = u64::try_from(self.regs.orig_rax as u32 as i32).unwrap_or(u64::MAX);
        let r = &self.regs;
        let args = Args([r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9]);
        let entry = syscalls::entry(nr);
        let before = self
            .k
            .config
            .strace
            .then(|| syscalls::format_call(self, nr, &args));
        let result: Result<Flow, Errno> = match entry.and_then(|e| e.handler) {
            Some(handler) => self.call_guarded(nr, handler, &args),
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
                Ok(Flow::ExitThread(c)) => format!("thread exit {c}"),
                Err(e) => format!("-1 {e:?}"),
            };
            tracing::info!(target: "strace", "[{:>4}] {call} = {res}", self.tid());
        }
        // Calls that change what /proc shows of this process.
        if matches!(
            nr,
            59 | 322 | 80 | 81 | 161 | 105 | 106 | 113 | 114 | 117 | 119
        ) {
            self.publish_proc_view();
        }
        match result {
            Ok(Flow::Return(v)) => self.regs.rax = v,
            Ok(Flow::RegsSet) => {}
            Ok(Flow::Exit(st)) => {
                let settled = self.tg.begin_group_exit(GroupExit::Exit(st));
                return Some(TaskEnd::Thread(group_status(settled, st)));
            }
            Ok(Flow::ExitThread(code)) => return Some(TaskEnd::Thread(ExitStatus::Exited(code))),
            Err(e) => {
                if matches!(
                    e,
                    Errno::ERESTARTSYS
                        | Errno::ERESTARTNOINTR
                        | Errno::ERESTARTNOHAND
                        | Errno::ERESTART_RESTARTBLOCK
                ) {
                    self.restart = Some(e);
                    self.regs.rax = Errno::EINTR.to_return();
                } else {
                    self.regs.rax = e.to_return();
                }
            }
        }
        None
    }

    fn kill_pending(&self) -> bool {
        let bit = super::signal::bit(sig::SIGKILL);
        self.tg
            .sig
            .lock()
            .map(|s| s.pending.bits & bit != 0)
            .unwrap_or(true)
            || self
                .shared
                .sig
                .lock()
                .map(|s| s.pending.bits & bit != 0)
                .unwrap_or(true)
    }

    /// Runs a handler. A panic in it is a sentry bug, but the application must not be
    /// able to turn it into a crash of the sandbox: it is logged and the call fails
    /// with EFAULT.
    fn call_guarded(&mut self, nr: u64, handler: Handler, args: &Args) -> Result<Flow, Errno> {
        let run = std::panic::AssertUnwindSafe(|| match handler {
            Handler::Plain(f) => f(self, args).map(Flow::Return),
            Handler::Flow(f) => f(self, args),
        });
        match std::panic::catch_unwind(run) {
            Ok(r) => r,
            Err(_) => {
                let name = syscalls::entry(nr).map_or("unknown", |e| e.name);
                tracing::error!(
                    nr,
                    name,
                    "sentry bug: the handler panicked; the call fails with EFAULT"
                );
                Err(Errno::EFAULT)
            }
        }
    }

    /// Takes the next deliverable signal with its disposition.
    fn take_signal(&self) -> Option<(SigInfo, Disposition)> {
        let mut ps = self.tg.sig.lock().ok()?;
        let mut ts = self.shared.sig.lock().ok()?;
        let blocked = ts.blocked;
        let info = ts
            .pending
            .take(blocked)
            .or_else(|| ps.pending.take(blocked))?;
        Some((info, ps.disposition(info.signo)))
    }

    /// Delivers pending signals. Returns how the thread ends if it must.
    fn handle_signals(&mut self) -> Option<TaskEnd> {
        loop {
            if let Some(g) = self.tg.group_exit() {
                if g != GroupExit::Exec(self.tid()) {
                    return Some(TaskEnd::Thread(group_status(
                        g,
                        ExitStatus::Signaled(sig::SIGKILL),
                    )));
                }
            }
            if self.tg.stopped.lock().map(|s| *s).unwrap_or(false) && !self.kill_pending() {
                super::exit::wait_while_stopped(self);
                continue;
            }
            let Some((info, disp)) = self.take_signal() else {
                break;
            };
            match disp {
                Disposition::Ignore | Disposition::Continue => {}
                Disposition::Terminate { .. } => {
                    self.tg
                        .begin_group_exit(GroupExit::Exit(ExitStatus::Signaled(info.signo)));
                }
                Disposition::Stop => super::exit::stop(self, info.signo),
                Disposition::Handler(action) => {
                    if let Some(e) = self.restart.take() {
                        let again = e == Errno::ERESTARTNOINTR
                            || (e == Errno::ERESTARTSYS
                                && action.flags & super::signal::SA_RESTART != 0);
                        if again {
                            self.rewind_syscall();
                        }
                    }
                    if let Err(e) = super::sigframe::push(self, info, action) {
                        tracing::debug!(
                            tid = self.tid(),
                            "cannot build signal frame: {e:?}; killing"
                        );
                        self.tg
                            .begin_group_exit(GroupExit::Exit(ExitStatus::Signaled(sig::SIGSEGV)));
                    }
                }
            }
        }
        // No handler ran: an interrupted syscall restarts transparently, and a
        // temporary mask (rt_sigsuspend) is restored.
        if self.restart.take().is_some() {
            self.rewind_syscall();
        }
        if let Ok(mut ts) = self.shared.sig.lock() {
            if let Some(m) = ts.saved_mask.take() {
                ts.blocked = m;
            }
        }
        None
    }

    fn rewind_syscall(&mut self) {
        self.regs.rip = self.regs.rip.wrapping_sub(2);
        self.regs.rax = self.regs.orig_rax;
    }

    pub(super) fn into_parts(self) -> TaskParts {
        TaskParts {
            k: self.k,
            tg: self.tg,
            shared: self.shared,
            mm: self.mm,
            ctx: self.ctx,
            fds: self.fds,
            fs: self.fs,
            vfork: self.vfork,
            clear_child_tid: self.clear_child_tid,
        }
    }

    /// The pieces of a new task made by fork/vfork/clone. With `share_vm` the child
    /// uses this address space (vfork, threads); otherwise it gets a copy.
    pub fn child_seed(
        &mut self,
        tg: Arc<ThreadGroup>,
        shared: Arc<TaskShared>,
        share_vm: bool,
        share_files: bool,
        vfork: Option<Arc<VforkDone>>,
    ) -> Result<TaskSeed, Errno> {
        let fp = self.fp_state()?;
        let (mm, context) = if share_vm {
            let seed = self.ctx.new_sibling().map_err(|e| {
                tracing::warn!("creating a sibling context: {e}");
                Errno::EAGAIN
            })?;
            (self.mm.clone(), ContextSource::Sibling(seed))
        } else {
            (Arc::new(self.mm.fork()?), ContextSource::Fresh)
        };
        let fds = if share_files {
            self.fds.clone()
        } else {
            Arc::new(self.fds.fork())
        };
        let mut regs = self.regs;
        regs.rax = 0;
        Ok(TaskSeed {
            k: self.k.clone(),
            tg,
            shared,
            mm,
            context,
            regs,
            fp: Some(fp),
            fds,
            fs: self.fs.fork(),
            cred: self.cred,
            groups: self.groups.clone(),
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

/// What an exiting task left behind, for `exit`.
pub(super) struct TaskParts {
    pub k: Arc<KernelShared>,
    pub tg: Arc<ThreadGroup>,
    pub shared: Arc<TaskShared>,
    pub mm: Arc<MemoryManager>,
    pub ctx: Box<dyn Context>,
    pub fds: Arc<FdTable>,
    pub fs: FsContext,
    pub vfork: Option<Arc<VforkDone>>,
    pub clear_child_tid: u64,
}

fn group_status(g: GroupExit, fallback: ExitStatus) -> ExitStatus {
    match g {
        GroupExit::Exit(st) => st,
        GroupExit::Exec(_) => fallback,
    }
}
