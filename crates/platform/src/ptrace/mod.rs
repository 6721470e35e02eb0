//! The ptrace platform: every context is a stub process traced with `PTRACE_SYSEMU`.
//!
//! A stub is forked from the sentry by the task thread that will trace it, so that thread
//! is its tracer. Right after the fork the stub holds a copy of the sentry's memory; the
//! tracer then *injects* two `munmap` calls that remove everything except one page of
//! stub code (`syscall; int3`), so no sentry memory is visible to the application. The
//! stub keeps exactly one descriptor, the memory file, which injected `mmap` calls map
//! from. Application syscalls stop at entry under SYSEMU and never run on the host.
//!
//! Injected calls run with `PTRACE_CONT` from the stub page and end at an `int3`.
//!
//! Application threads share one stub process: a new thread's stub thread is made by
//! injecting `clone` into an existing one. The new stub thread, untraced, parks in a
//! `pause` loop until the new task's host thread seizes it with `PTRACE_SEIZE`, so each
//! stub thread is traced by exactly the host thread of its task. A stub thread leaves
//! with an injected `exit`; the process is killed when its last context goes.

mod sys;

use crate::{
    AddressSpace, Context, ContextSeed, Event, FpState, Interrupter, Platform, PlatformError, Prot,
    Regs,
};
use abi::Errno;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::{mpsc, Arc, Mutex};

/// Descriptor number of the memory file inside every stub.
const STUB_MEMFD: i32 = 3;
/// The signal used to kick a stub out of application code.
const INTERRUPT_SIGNAL: i32 = libc::SIGSTKFLT;
/// One past the highest user address on x86-64 with 4-level paging.
const TASK_SIZE: u64 = 0x7fff_ffff_f000;
const PAGE: u64 = 4096;
/// The stub page. Offset 0: `syscall; int3` for injected calls. Offset 16: the clone
/// trampoline: `syscall; test rax,rax; jnz parent; park: mov eax, SYS_pause; syscall;
/// jmp park; parent: int3` — the new thread parks, the caller traps with the result.
const STUB_CODE: [u8; 96] = [
    0x0f, 0x05, 0xcc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0..16
    0x0f, 0x05, // 16: syscall
    0x48, 0x85, 0xc0, // 18: test rax, rax
    0x75, 0x09, // 21: jnz 32
    0xb8, 0x22, 0x00, 0x00, 0x00, // 23: mov eax, 34 (pause)
    0x0f, 0x05, // 28: syscall
    0xeb, 0xf7, // 30: jmp 23
    0xcc, // 32: int3
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 33..48
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 48..64
    // 64: a kernel `struct sigaction` for SIG_IGN (handler 1, no flags, empty mask),
    // which the template stub passes to rt_sigaction for SIGCHLD.
    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
const SIG_IGN_ACTION: u64 = 64;
const CLONE_ENTRY: u64 = 16;
const PARK_ENTRY: u64 = 23;
/// Flags of an injected clone: a thread sharing everything with the stub.
const STUB_THREAD_FLAGS: u64 = (libc::CLONE_VM
    | libc::CLONE_FS
    | libc::CLONE_FILES
    | libc::CLONE_SIGHAND
    | libc::CLONE_THREAD
    | libc::CLONE_SYSVSEM) as u64;

/// The ptrace platform. One per sentry.
pub struct Ptrace {
    memfd: i32,
    stub_page: u64,
    factory: Mutex<Option<mpsc::Sender<FactoryRequest>>>,
}

/// A request to the stub factory: where to send the new stub's pid.
type FactoryRequest = mpsc::Sender<Result<i32, String>>;

impl Ptrace {
    /// `memfd` is the sentry's memory file; it must stay open as long as the platform.
    pub fn new(memfd: BorrowedFd<'_>) -> Result<Ptrace, PlatformError> {
        let stub_page = sys::map_code_page(&STUB_CODE).map_err(PlatformError::Spawn)?;
        let memfd = memfd.as_raw_fd();
        let factory = start_factory(memfd, stub_page);
        Ok(Ptrace {
            memfd,
            stub_page,
            factory: Mutex::new(factory),
        })
    }

    /// A fresh stub process forked from the template, parked and untraced.
    fn stub_from_factory(&self) -> Option<i32> {
        let tx = self.factory.lock().ok()?.clone()?;
        let (reply, rx) = mpsc::channel();
        tx.send(reply).ok()?;
        match rx.recv().ok()? {
            Ok(pid) => Some(pid),
            Err(e) => {
                tracing::warn!("stub factory: {e}; forking stubs directly from now on");
                if let Ok(mut f) = self.factory.lock() {
                    *f = None;
                }
                None
            }
        }
    }
}

/// Starts the thread that owns the *template stub*: a stub already stripped of sentry
/// memory, from which new stubs are forked by an injected `fork`. Forking this tiny
/// process is much cheaper than forking the sentry and unmapping everything again.
/// The template ignores SIGCHLD, so stubs that die are reaped without it waiting.
fn start_factory(memfd: i32, stub_page: u64) -> Option<mpsc::Sender<FactoryRequest>> {
    let (tx, rx) = mpsc::channel::<FactoryRequest>();
    let (ready_tx, ready_rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("stub-factory".into())
        .stack_size(256 << 10)
        .spawn(move || {
            let mut template = match Stub::spawn(memfd, stub_page) {
                Ok(t) => t,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let ignore = template.inject(
                "rt_sigaction",
                libc::SYS_rt_sigaction,
                [libc::SIGCHLD as u64, stub_page + SIG_IGN_ACTION, 0, 8, 0, 0],
            );
            if let Err(e) = ignore {
                let _ = ready_tx.send(Err(e.to_string()));
                return;
            }
            let _ = ready_tx.send(Ok(()));
            for reply in rx {
                let r = template
                    .inject_at(
                        CLONE_ENTRY,
                        "fork",
                        libc::SYS_clone,
                        [libc::SIGCHLD as u64, 0, 0, 0, 0, 0],
                    )
                    .map(|pid| pid as i32)
                    .map_err(|e| e.to_string());
                let _ = reply.send(r);
            }
        });
    if spawned.is_err() {
        return None;
    }
    match ready_rx.recv() {
        Ok(Ok(())) => Some(tx),
        Ok(Err(e)) => {
            tracing::warn!("stub factory unavailable: {e}");
            None
        }
        Err(_) => None,
    }
}

impl Platform for Ptrace {
    fn name(&self) -> &'static str {
        "ptrace"
    }

    fn new_context(&self) -> Result<Box<dyn Context>, PlatformError> {
        if let Some(pid) = self.stub_from_factory() {
            let process = Arc::new(StubProcess { pid });
            return Ok(Box::new(Stub::adopt(process, pid, self.stub_page)?));
        }
        Ok(Box::new(Stub::spawn(self.memfd, self.stub_page)?))
    }

    fn user_range(&self) -> (u64, u64) {
        (0x10000, TASK_SIZE)
    }

    fn reserved(&self) -> Vec<(u64, u64)> {
        vec![(self.stub_page, self.stub_page + PAGE)]
    }
}

/// A stub process: one application address space. Killed when the last of its
/// contexts is dropped.
struct StubProcess {
    pid: i32,
}

impl Drop for StubProcess {
    fn drop(&mut self) {
        sys::kill_and_reap(self.pid);
    }
}

/// One traced thread of a stub process: the execution context of one task.
struct Stub {
    process: Arc<StubProcess>,
    /// This stub thread's id (equal to the process id for the first thread).
    tid: i32,
    /// The tracer thread; ptrace requests from any other thread fail.
    owner: i32,
    stub_page: u64,
    /// Registers captured at the stub's first stop; injected calls start from them.
    base_regs: Regs,
    interrupter: Arc<StubInterrupter>,
}

struct StubInterrupter {
    pid: i32,
    tid: i32,
}

impl Interrupter for StubInterrupter {
    fn interrupt(&self) {
        sys::tgkill(self.pid, self.tid, INTERRUPT_SIGNAL);
    }
}

fn ptrace_err(op: &'static str) -> impl FnOnce(std::io::Error) -> PlatformError {
    move |err| PlatformError::Ptrace { op, err }
}

impl Stub {
    fn spawn(memfd: i32, stub_page: u64) -> Result<Stub, PlatformError> {
        let pid = sys::fork_stub(
            memfd,
            STUB_MEMFD,
            sys::rseq_registration(),
            INTERRUPT_SIGNAL,
        )
        .map_err(PlatformError::Spawn)?;
        let mut stub = Stub {
            process: Arc::new(StubProcess { pid }),
            tid: pid,
            owner: sys::gettid(),
            stub_page,
            base_regs: crate::zeroed_regs(),
            interrupter: Arc::new(StubInterrupter { pid, tid: pid }),
        };
        let status = sys::wait(pid).map_err(ptrace_err("wait for new stub"))?;
        if !libc::WIFSTOPPED(status) || libc::WSTOPSIG(status) != libc::SIGSTOP {
            return Err(PlatformError::StubDied(describe_status(status)));
        }
        let opts = libc::PTRACE_O_EXITKILL | libc::PTRACE_O_TRACESYSGOOD;
        sys::ptrace_simple(libc::PTRACE_SETOPTIONS, pid, opts as usize)
            .map_err(ptrace_err("SETOPTIONS"))?;
        stub.base_regs = sys::get_regs(pid).map_err(ptrace_err("GETREGS"))?;
        stub.base_regs.orig_rax = u64::MAX;
        // Remove every inherited sentry mapping except the stub page.
        stub.inject("munmap", libc::SYS_munmap, [0, stub_page, 0, 0, 0, 0])?;
        let above = stub_page + PAGE;
        stub.inject(
            "munmap",
            libc::SYS_munmap,
            [above, TASK_SIZE - above, 0, 0, 0, 0],
        )?;
        Ok(stub)
    }

    fn check_owner(&self) -> Result<(), PlatformError> {
        if sys::gettid() == self.owner {
            Ok(())
        } else {
            Err(PlatformError::WrongThread)
        }
    }

    /// Seizes a parked stub thread (made by [`Context::new_sibling`], or a whole stub
    /// forked from the template); runs on the thread that will own it.
    fn adopt(process: Arc<StubProcess>, tid: i32, stub_page: u64) -> Result<Stub, PlatformError> {
        let opts = (libc::PTRACE_O_EXITKILL | libc::PTRACE_O_TRACESYSGOOD) as usize;
        sys::ptrace_seize(tid, opts).map_err(ptrace_err("SEIZE"))?;
        sys::ptrace_simple(libc::PTRACE_INTERRUPT, tid, 0).map_err(ptrace_err("INTERRUPT"))?;
        let status = sys::wait(tid).map_err(ptrace_err("wait for new stub thread"))?;
        if !libc::WIFSTOPPED(status) {
            return Err(PlatformError::StubDied(describe_status(status)));
        }
        let mut base_regs = sys::get_regs(tid).map_err(ptrace_err("GETREGS"))?;
        base_regs.orig_rax = u64::MAX;
        let pid = process.pid;
        Ok(Stub {
            process,
            tid,
            owner: sys::gettid(),
            stub_page,
            base_regs,
            interrupter: Arc::new(StubInterrupter { pid, tid }),
        })
    }

    /// Runs one host syscall inside the stub and returns its result.
    fn inject(
        &mut self,
        name: &'static str,
        nr: i64,
        args: [u64; 6],
    ) -> Result<u64, PlatformError> {
        self.inject_at(0, name, nr, args)
    }

    fn inject_at(
        &mut self,
        entry: u64,
        name: &'static str,
        nr: i64,
        args: [u64; 6],
    ) -> Result<u64, PlatformError> {
        self.check_owner()?;
        let pid = self.tid;
        let mut regs = self.base_regs;
        regs.rip = self.stub_page + entry;
        regs.rax = nr as u64;
        regs.orig_rax = u64::MAX;
        regs.rdi = args[0];
        regs.rsi = args[1];
        regs.rdx = args[2];
        regs.r10 = args[3];
        regs.r8 = args[4];
        regs.r9 = args[5];
        sys::set_regs(pid, &regs).map_err(ptrace_err("SETREGS"))?;
        loop {
            sys::ptrace_simple(libc::PTRACE_CONT, pid, 0).map_err(ptrace_err("CONT"))?;
            let status = sys::wait(pid).map_err(ptrace_err("wait"))?;
            if !libc::WIFSTOPPED(status) {
                return Err(PlatformError::StubDied(describe_status(status)));
            }
            match libc::WSTOPSIG(status) {
                libc::SIGTRAP if status >> 16 == 0 => break,
                // A group-stop or PTRACE_INTERRUPT event stop: just continue.
                _ if status >> 16 != 0 => continue,
                // A pending interrupt: the stub is not running application code, so
                // there is nothing to interrupt. Drop it and carry on.
                INTERRUPT_SIGNAL | libc::SIGSTOP => continue,
                sig => {
                    let rip = sys::get_regs(pid).map(|r| r.rip).unwrap_or_default();
                    let addr = sys::get_siginfo(pid)
                        .map(|s| sys::siginfo_addr(&s))
                        .unwrap_or_default();
                    return Err(PlatformError::StubDied(format!(
                        "signal {sig} in injected {name} at {rip:#x}, fault address {addr:#x}"
                    )));
                }
            }
        }
        let out = sys::get_regs(pid).map_err(ptrace_err("GETREGS"))?;
        let ret = out.rax as i64;
        if (-4095..0).contains(&ret) {
            return Err(PlatformError::Injected {
                name,
                errno: Errno::from_raw(-ret as i32),
            });
        }
        Ok(out.rax)
    }
}

fn describe_status(status: i32) -> String {
    if libc::WIFEXITED(status) {
        format!("exited with status {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("killed by signal {}", libc::WTERMSIG(status))
    } else if libc::WIFSTOPPED(status) {
        format!("stopped by signal {}", libc::WSTOPSIG(status))
    } else {
        format!("wait status {status:#x}")
    }
}

fn prot_bits(prot: Prot) -> u64 {
    prot.bits()
}

impl AddressSpace for Stub {
    fn map(
        &mut self,
        addr: u64,
        len: u64,
        prot: Prot,
        file_offset: u64,
    ) -> Result<(), PlatformError> {
        let flags = (libc::MAP_SHARED | libc::MAP_FIXED) as u64;
        self.inject(
            "mmap",
            libc::SYS_mmap,
            [
                addr,
                len,
                prot_bits(prot),
                flags,
                STUB_MEMFD as u64,
                file_offset,
            ],
        )
        .map(drop)
    }

    fn unmap(&mut self, addr: u64, len: u64) -> Result<(), PlatformError> {
        self.inject("munmap", libc::SYS_munmap, [addr, len, 0, 0, 0, 0])
            .map(drop)
    }

    fn protect(&mut self, addr: u64, len: u64, prot: Prot) -> Result<(), PlatformError> {
        self.inject(
            "mprotect",
            libc::SYS_mprotect,
            [addr, len, prot_bits(prot), 0, 0, 0],
        )
        .map(drop)
    }
}

impl Context for Stub {
    fn switch(&mut self, regs: &mut Regs) -> Result<Event, PlatformError> {
        self.check_owner()?;
        let mut run = *regs;
        run.orig_rax = u64::MAX;
        let pid = self.tid;
        sys::set_regs(pid, &run).map_err(ptrace_err("SETREGS"))?;
        sys::ptrace_simple(libc::PTRACE_SYSEMU, pid, 0).map_err(ptrace_err("SYSEMU"))?;
        let status = sys::wait(pid).map_err(ptrace_err("wait"))?;
        if !libc::WIFSTOPPED(status) {
            return Err(PlatformError::StubDied(describe_status(status)));
        }
        *regs = sys::get_regs(pid).map_err(ptrace_err("GETREGS"))?;
        if status >> 16 != 0 {
            // An event stop (PTRACE_INTERRUPT, group-stop): nothing for the sentry.
            return Ok(Event::Interrupted);
        }
        let sig = libc::WSTOPSIG(status);
        if sig == libc::SIGTRAP | 0x80 {
            return Ok(Event::Syscall);
        }
        match sig {
            libc::SIGSEGV | libc::SIGBUS => {
                let si = sys::get_siginfo(pid).map_err(ptrace_err("GETSIGINFO"))?;
                Ok(Event::Fault {
                    addr: sys::siginfo_addr(&si),
                    access: crate::Access::Unknown,
                    signo: sig,
                    code: si.si_code,
                })
            }
            libc::SIGILL | libc::SIGFPE | libc::SIGTRAP => {
                let si = sys::get_siginfo(pid).map_err(ptrace_err("GETSIGINFO"))?;
                Ok(Event::Signal {
                    signo: sig,
                    code: si.si_code,
                    addr: sys::siginfo_addr(&si),
                })
            }
            // Our interrupt, or a stray signal sent to the stub from outside: the
            // application never sees host signals, so absorb it.
            _ => Ok(Event::Interrupted),
        }
    }

    fn fp_state(&mut self) -> Result<FpState, PlatformError> {
        self.check_owner()?;
        let mut fp = FpState::initial();
        sys::get_fpregs(self.tid, &mut fp).map_err(ptrace_err("GETFPREGS"))?;
        Ok(fp)
    }

    fn set_fp_state(&mut self, fp: &FpState) -> Result<(), PlatformError> {
        self.check_owner()?;
        sys::set_fpregs(self.tid, fp).map_err(ptrace_err("SETFPREGS"))
    }

    fn interrupter(&self) -> Arc<dyn Interrupter> {
        self.interrupter.clone()
    }

    fn new_sibling(&mut self) -> Result<ContextSeed, PlatformError> {
        let tid = self.inject_at(
            CLONE_ENTRY,
            "clone",
            libc::SYS_clone,
            [STUB_THREAD_FLAGS, 0, 0, 0, 0, 0],
        )? as i32;
        let process = self.process.clone();
        let stub_page = self.stub_page;
        Ok(ContextSeed::new(move || {
            let stub = Stub::adopt(process, tid, stub_page)?;
            Ok(Box::new(stub) as Box<dyn Context>)
        }))
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        // The last context of an address space kills the whole stub process (through
        // StubProcess). Otherwise only this stub thread goes: a non-leader thread
        // exits (its exit is reaped by the wait inside the injection); the group
        // leader cannot (its exit would not be reported while other threads live), so
        // it is parked in the pause loop and released. Either way no tracee is left to
        // be killed by this tracer's exit (EXITKILL).
        if Arc::strong_count(&self.process) <= 1 || self.check_owner().is_err() {
            return;
        }
        if self.tid != self.process.pid {
            let _ = self.inject("exit", libc::SYS_exit, [0; 6]);
            return;
        }
        let mut regs = self.base_regs;
        regs.rip = self.stub_page + PARK_ENTRY;
        let r = sys::set_regs(self.tid, &regs)
            .and_then(|_| sys::ptrace_simple(libc::PTRACE_DETACH, self.tid, 0));
        if let Err(e) = r {
            tracing::warn!(tid = self.tid, "releasing stub thread: {e}");
        }
    }
}
