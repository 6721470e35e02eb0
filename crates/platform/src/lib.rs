//! Platforms run application code and report what stops it.
//!
//! This is the narrow waist of the sentry (DESIGN.md). An address space can map a range
//! of the memory file at an address with a protection, change protections and unmap. A
//! context runs application code with a register set until an [`Event`]: a syscall, a
//! fault, a host signal, or an interrupt the sentry requested. What a syscall or a fault
//! *means* is the sentry's business, never the platform's.
//!
//! The first implementation is [`ptrace`]: each context is a stub process traced with
//! `PTRACE_SYSEMU`. A faster trap-based platform can implement the same traits.

mod regs;

pub mod ptrace;

pub use regs::{zeroed_regs, FpState, Regs};

use abi::Errno;
use std::sync::Arc;

/// Page protections, as in `mmap(2)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prot {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Prot {
    pub const NONE: Prot = Prot {
        read: false,
        write: false,
        exec: false,
    };
    pub const RW: Prot = Prot {
        read: true,
        write: true,
        exec: false,
    };

    /// Decodes `PROT_*` bits. Unknown bits are the caller's to reject.
    pub fn from_bits(bits: u64) -> Prot {
        Prot {
            read: bits & 1 != 0,
            write: bits & 2 != 0,
            exec: bits & 4 != 0,
        }
    }

    pub fn bits(self) -> u64 {
        (self.read as u64) | (self.write as u64) << 1 | (self.exec as u64) << 2
    }
}

/// What kind of access caused a fault, when the platform can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Exec,
    Unknown,
}

/// Why application code stopped running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The application made a syscall; its number is `regs.orig_rax`. The syscall was
    /// not executed on the host.
    Syscall,
    /// A memory fault at `addr`. `signo` and `code` are what the host reported
    /// (SIGSEGV/SIGBUS, SEGV_MAPERR/SEGV_ACCERR...).
    Fault {
        addr: u64,
        access: Access,
        signo: i32,
        code: i32,
    },
    /// A synchronous host signal other than a memory fault (SIGILL, SIGFPE, SIGTRAP from
    /// int3...), with the faulting address if any.
    Signal { signo: i32, code: i32, addr: u64 },
    /// [`Interrupter::interrupt`] was called (or a stray host signal was absorbed).
    Interrupted,
}

/// Errors of the platform itself, as opposed to the application's faults.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("creating stub process: {0}")]
    Spawn(std::io::Error),
    #[error("ptrace {op}: {err}")]
    Ptrace {
        op: &'static str,
        err: std::io::Error,
    },
    #[error("stub process died unexpectedly ({0})")]
    StubDied(String),
    #[error("host call {name} in stub failed: {errno}")]
    Injected { name: &'static str, errno: Errno },
    #[error("address space used from a thread that does not own it")]
    WrongThread,
}

/// The host-side view of one application address space.
pub trait AddressSpace {
    /// Maps `len` bytes of the memory file at `file_offset` to `addr`, replacing
    /// whatever was there.
    fn map(
        &mut self,
        addr: u64,
        len: u64,
        prot: Prot,
        file_offset: u64,
    ) -> Result<(), PlatformError>;
    fn unmap(&mut self, addr: u64, len: u64) -> Result<(), PlatformError>;
    fn protect(&mut self, addr: u64, len: u64, prot: Prot) -> Result<(), PlatformError>;
}

/// An execution context: runs the application until the next [`Event`].
pub trait Context: AddressSpace + Send {
    /// Runs application code from `regs` and writes back the registers at the stop.
    /// Floating-point state stays inside the context between switches; fetch or
    /// replace it with [`Context::fp_state`] and [`Context::set_fp_state`].
    fn switch(&mut self, regs: &mut Regs) -> Result<Event, PlatformError>;
    fn fp_state(&mut self) -> Result<FpState, PlatformError>;
    fn set_fp_state(&mut self, fp: &FpState) -> Result<(), PlatformError>;
    /// A handle other threads use to kick this context out of application code.
    fn interrupter(&self) -> Arc<dyn Interrupter>;
    /// Prepares a context that shares this one's address space, for a new application
    /// thread. Call it on this context's thread; move the seed to the new task's host
    /// thread and call [`ContextSeed::adopt`] there.
    fn new_sibling(&mut self) -> Result<ContextSeed, PlatformError>;
}

/// A context under construction, to be finished on the host thread that will run it.
pub struct ContextSeed {
    adopt: Box<dyn FnOnce() -> Result<Box<dyn Context>, PlatformError> + Send>,
}

impl ContextSeed {
    pub fn new(
        adopt: impl FnOnce() -> Result<Box<dyn Context>, PlatformError> + Send + 'static,
    ) -> ContextSeed {
        ContextSeed {
            adopt: Box::new(adopt),
        }
    }

    /// Finishes the context on the calling thread, which becomes its owner.
    pub fn adopt(self) -> Result<Box<dyn Context>, PlatformError> {
        (self.adopt)()
    }
}

/// Makes a running context return [`Event::Interrupted`] soon. Calling it while the
/// context is not running makes its next switch return early instead.
pub trait Interrupter: Send + Sync {
    fn interrupt(&self);
}

/// A platform creates contexts. Each context is bound to the host thread that created
/// it (ptrace requires the tracer to be one thread) and must be used only there.
pub trait Platform: Send + Sync {
    fn name(&self) -> &'static str;
    fn new_context(&self) -> Result<Box<dyn Context>, PlatformError>;
    /// Lowest and one-past-highest address the application may use.
    fn user_range(&self) -> (u64, u64);
    /// Ranges the platform keeps for itself inside the user range (e.g. stub code).
    fn reserved(&self) -> Vec<(u64, u64)>;
}
