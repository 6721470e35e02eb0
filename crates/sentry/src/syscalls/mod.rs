//! System call dispatch: one declarative table (`table.rs`) and one file per family.
//!
//! Handlers decode their arguments from [`Args`] into typed values, never dereference
//! application pointers (they use the task's copy-in/out helpers), and return
//! `Err(Errno)` for failures. Calls that do not return normally (exit, execve,
//! rt_sigreturn) are [`Handler::Flow`] handlers returning a [`Flow`].

pub mod names;
mod strace;
mod table;

pub mod file;
pub mod fs;
pub mod futex;
pub mod id;
pub mod mmap;
pub mod process;
pub mod signal;
pub mod sys;
pub mod time;
pub mod timer;

pub use strace::format_call;
pub use table::{all, compatibility_report, entry, lookup_name, Entry, Support, TABLE_SIZE};

use crate::kernel::{ExitStatus, Task};
use abi::Errno;

/// Result of an ordinary syscall: the value for `rax`.
pub type SysResult = Result<u64, Errno>;

/// How a syscall that may not return normally ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Put this value in `rax` and continue.
    Return(u64),
    /// The handler already set every register (execve, rt_sigreturn); leave them.
    RegsSet,
    /// The whole process exits (exit_group).
    Exit(ExitStatus),
    /// Only the calling thread exits (exit); the process ends with it if it is the last.
    ExitThread(i32),
}

#[derive(Clone, Copy)]
pub enum Handler {
    Plain(fn(&mut Task, &Args) -> SysResult),
    Flow(fn(&mut Task, &Args) -> Result<Flow, Errno>),
}

/// The six raw argument registers of a syscall, with typed accessors. Conversions follow
/// the C prototypes: an `int` argument is the low 32 bits, sign-extended.
#[derive(Clone, Copy, Debug)]
pub struct Args(pub [u64; 6]);

impl Args {
    pub fn u64(&self, i: usize) -> u64 {
        self.0[i]
    }
    pub fn i64(&self, i: usize) -> i64 {
        self.0[i] as i64
    }
    pub fn u32(&self, i: usize) -> u32 {
        self.0[i] as u32
    }
    pub fn i32(&self, i: usize) -> i32 {
        self.0[i] as u32 as i32
    }
    /// A file descriptor argument; negative values stay negative (lookups give EBADF).
    pub fn fd(&self, i: usize) -> i32 {
        self.i32(i)
    }
    /// An application address (checked by copy-in/out, never dereferenced).
    pub fn addr(&self, i: usize) -> u64 {
        self.0[i]
    }
    /// A size argument. Values beyond the address space are clamped, which is harmless
    /// because every use is bounded by a copy that fails first.
    pub fn usize(&self, i: usize) -> usize {
        usize::try_from(self.0[i]).unwrap_or(usize::MAX)
    }
}
