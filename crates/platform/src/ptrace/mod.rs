//! The ptrace platform: every context is a stub process traced with `PTRACE_SYSEMU`.
//!
//! A stub is forked from the sentry by the task thread that will trace it, so that thread
//! is its tracer. Right after the fork the stub holds a copy of the sentry's memory; the
//! tracer then *injects* two `munmap` calls that remove everything except one page of
//! stub code (`syscall; int3`), so no sentry memory is visible to the application. The
//! stub keeps exactly one descriptor, the memory file, which injected `mmap` calls map
//! from. Application syscalls stop at entry under SYSEMU and never run on the host.
//!
//! Injected calls run with `PTRACE_CONT` from the stub page and end at its `int3`.

mod sys;

use crate::{AddressSpace, Context, Event, FpState, Interrupter, Platform, PlatformError, Prot, Regs};
use abi::Errno;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::Arc;

/// Descriptor number of the memory file inside every stub.
const STUB_MEMFD: i32 = 3;
/// The signal used to kick a stub out of application code.
const INTERRUPT_SIGNAL: i32 = libc::SIGSTKFLT;
/// One past the highest user address on x86-64 with 4-level paging.
const TASK_SIZE: u64 = 0x7fff_ffff_f000;
const PAGE: u64 = 4096;
/// `syscall; int3`.
const STUB_CODE: [u8; 3] = [0x0f, 0x05, 0xcc];

/// The ptrace platform. One per sentry.
pub struct Ptrace {
    memfd: i32,
    stub_page: u64,
}

impl Ptrace {
    /// `memfd` is the sentry's memory file; it must stay open as long as the platform.
    pub fn new(memfd: BorrowedFd<'_>) -> Result<Ptrace, PlatformError> {
        let stub_page = sys::map_code_page(&STUB_CODE).map_err(PlatformError::Spawn)?;
        Ok(Ptrace { memfd: memfd.as_raw_fd(), stub_page })
    }
}

impl Platform for Ptrace {
    fn name(&self) -> &'static str {
        "ptrace"
    }

    fn new_context(&self) -> Result<Box<dyn Context>, PlatformError> {
        Ok(Box::new(Stub::spawn(self.memfd, self.stub_page)?))
    }

    fn user_range(&self) -> (u64, u64) {
        (0x10000, TASK_SIZE)
    }

    fn reserved(&self) -> Vec<(u64, u64)> {
        vec![(self.stub_page, self.stub_page + PAGE)]
    }
}

/// A traced stub process holding one application address space.
struct Stub {
    pid: i32,
    /// The tracer thread; ptrace requests from any other thread fail.
    owner: i32,
    stub_page: u64,
    /// Registers captured at the stub's first stop; injected calls start from them.
    base_regs: Regs,
    interrupter: Arc<StubInterrupter>,
}

struct StubInterrupter {
    pid: i32,
}

impl Interrupter for StubInterrupter {
    fn interrupt(&self) {
        sys::tgkill(self.pid, INTERRUPT_SIGNAL);
    }
}

fn ptrace_err(op: &'static str) -> impl FnOnce(std::io::Error) -> PlatformError {
    move |err| PlatformError::Ptrace { op, err }
}

impl Stub {
    fn spawn(memfd: i32, stub_page: u64) -> Result<Stub, PlatformError> {
        let pid = sys::fork_stub(memfd, STUB_MEMFD, sys::rseq_registration()).map_err(PlatformError::Spawn)?;
        let mut stub = Stub {
            pid,
            owner: sys::gettid(),
            stub_page,
            base_regs: crate::zeroed_regs(),
            interrupter: Arc::new(StubInterrupter { pid }),
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
        stub.inject("munmap", libc::SYS_munmap, [above, TASK_SIZE - above, 0, 0, 0, 0])?;
        Ok(stub)
    }

    fn check_owner(&self) -> Result<(), PlatformError> {
        if sys::gettid() == self.owner {
            Ok(())
        } else {
            Err(PlatformError::WrongThread)
        }
    }

    /// Runs one host syscall inside the stub and returns its result.
    fn inject(&mut self, name: &'static str, nr: i64, args: [u64; 6]) -> Result<u64, PlatformError> {
        self.check_owner()?;
        let mut regs = self.base_regs;
        regs.rip = self.stub_page;
        regs.rax = nr as u64;
        regs.orig_rax = u64::MAX;
        regs.rdi = args[0];
        regs.rsi = args[1];
        regs.rdx = args[2];
        regs.r10 = args[3];
        regs.r8 = args[4];
        regs.r9 = args[5];
        sys::set_regs(self.pid, &regs).map_err(ptrace_err("SETREGS"))?;
        loop {
            sys::ptrace_simple(libc::PTRACE_CONT, self.pid, 0).map_err(ptrace_err("CONT"))?;
            let status = sys::wait(self.pid).map_err(ptrace_err("wait"))?;
            if !libc::WIFSTOPPED(status) {
                return Err(PlatformError::StubDied(describe_status(status)));
            }
            match libc::WSTOPSIG(status) {
                libc::SIGTRAP => break,
                // A pending interrupt: the stub is not running application code, so
                // there is nothing to interrupt. Drop it and carry on.
                INTERRUPT_SIGNAL | libc::SIGSTOP => continue,
                sig => {
                    let rip = sys::get_regs(self.pid).map(|r| r.rip).unwrap_or_default();
                    let addr = sys::get_siginfo(self.pid).map(|s| sys::siginfo_addr(&s)).unwrap_or_default();
                    return Err(PlatformError::StubDied(format!(
                        "signal {sig} in injected {name} at {rip:#x}, fault address {addr:#x}"
                    )));
                }
            }
        }
        let out = sys::get_regs(self.pid).map_err(ptrace_err("GETREGS"))?;
        let ret = out.rax as i64;
        if (-4095..0).contains(&ret) {
            return Err(PlatformError::Injected { name, errno: Errno::from_raw(-ret as i32) });
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
    fn map(&mut self, addr: u64, len: u64, prot: Prot, file_offset: u64) -> Result<(), PlatformError> {
        let flags = (libc::MAP_SHARED | libc::MAP_FIXED) as u64;
        self.inject("mmap", libc::SYS_mmap, [addr, len, prot_bits(prot), flags, STUB_MEMFD as u64, file_offset])
            .map(drop)
    }

    fn unmap(&mut self, addr: u64, len: u64) -> Result<(), PlatformError> {
        self.inject("munmap", libc::SYS_munmap, [addr, len, 0, 0, 0, 0]).map(drop)
    }

    fn protect(&mut self, addr: u64, len: u64, prot: Prot) -> Result<(), PlatformError> {
        self.inject("mprotect", libc::SYS_mprotect, [addr, len, prot_bits(prot), 0, 0, 0]).map(drop)
    }
}

impl Context for Stub {
    fn switch(&mut self, regs: &mut Regs) -> Result<Event, PlatformError> {
        self.check_owner()?;
        let mut run = *regs;
        run.orig_rax = u64::MAX;
        sys::set_regs(self.pid, &run).map_err(ptrace_err("SETREGS"))?;
        sys::ptrace_simple(libc::PTRACE_SYSEMU, self.pid, 0).map_err(ptrace_err("SYSEMU"))?;
        let status = sys::wait(self.pid).map_err(ptrace_err("wait"))?;
        if !libc::WIFSTOPPED(status) {
            return Err(PlatformError::StubDied(describe_status(status)));
        }
        *regs = sys::get_regs(self.pid).map_err(ptrace_err("GETREGS"))?;
        let sig = libc::WSTOPSIG(status);
        if sig == libc::SIGTRAP | 0x80 {
            return Ok(Event::Syscall);
        }
        match sig {
            libc::SIGSEGV | libc::SIGBUS => {
                let si = sys::get_siginfo(self.pid).map_err(ptrace_err("GETSIGINFO"))?;
                Ok(Event::Fault {
                    addr: sys::siginfo_addr(&si),
                    access: crate::Access::Unknown,
                    signo: sig,
                    code: si.si_code,
                })
            }
            libc::SIGILL | libc::SIGFPE | libc::SIGTRAP => {
                let si = sys::get_siginfo(self.pid).map_err(ptrace_err("GETSIGINFO"))?;
                Ok(Event::Signal { signo: sig, code: si.si_code, addr: sys::siginfo_addr(&si) })
            }
            // Our interrupt, or a stray signal sent to the stub from outside: the
            // application never sees host signals, so absorb it.
            _ => Ok(Event::Interrupted),
        }
    }

    fn fp_state(&mut self) -> Result<FpState, PlatformError> {
        self.check_owner()?;
        let mut fp = FpState::initial();
        sys::get_fpregs(self.pid, &mut fp).map_err(ptrace_err("GETFPREGS"))?;
        Ok(fp)
    }

    fn set_fp_state(&mut self, fp: &FpState) -> Result<(), PlatformError> {
        self.check_owner()?;
        sys::set_fpregs(self.pid, fp).map_err(ptrace_err("SETFPREGS"))
    }

    fn interrupter(&self) -> Arc<dyn Interrupter> {
        self.interrupter.clone()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        sys::kill_and_reap(self.pid);
    }
}
