//! Thin wrappers over the host calls the ptrace platform makes. All `unsafe` of the
//! platform's ptrace code is here.

use crate::{FpState, Regs};
use std::io;

fn check(r: libc::c_long) -> io::Result<libc::c_long> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

pub fn ptrace_simple(req: libc::c_uint, pid: i32, data: usize) -> io::Result<()> {
    // SAFETY: requests passed here (CONT, SYSEMU, SETOPTIONS, KILL) take no pointers.
    check(unsafe { libc::ptrace(req, pid, 0usize, data) }).map(drop)
}

pub fn get_regs(pid: i32) -> io::Result<Regs> {
    let mut regs = crate::zeroed_regs();
    // SAFETY: GETREGS writes one user_regs_struct to the pointer, which is valid.
    check(unsafe { libc::ptrace(libc::PTRACE_GETREGS, pid, 0usize, &mut regs as *mut Regs) })?;
    Ok(regs)
}

pub fn set_regs(pid: i32, regs: &Regs) -> io::Result<()> {
    // SAFETY: SETREGS reads one user_regs_struct from the pointer, which is valid.
    check(unsafe { libc::ptrace(libc::PTRACE_SETREGS, pid, 0usize, regs as *const Regs) }).map(drop)
}

pub fn get_fpregs(pid: i32, fp: &mut FpState) -> io::Result<()> {
    // SAFETY: GETFPREGS writes one user_fpregs_struct to the pointer, which is valid.
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_GETFPREGS,
            pid,
            0usize,
            &mut fp.0 as *mut libc::user_fpregs_struct,
        )
    })
    .map(drop)
}

pub fn set_fpregs(pid: i32, fp: &FpState) -> io::Result<()> {
    // SAFETY: SETFPREGS reads one user_fpregs_struct from the pointer, which is valid.
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_SETFPREGS,
            pid,
            0usize,
            &fp.0 as *const libc::user_fpregs_struct,
        )
    })
    .map(drop)
}

pub fn get_siginfo(pid: i32) -> io::Result<libc::siginfo_t> {
    // SAFETY: siginfo_t is plain data; all-zero is valid.
    let mut si: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: GETSIGINFO writes one siginfo_t to the pointer, which is valid.
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_GETSIGINFO,
            pid,
            0usize,
            &mut si as *mut libc::siginfo_t,
        )
    })?;
    Ok(si)
}

/// The fault address of a SIGSEGV/SIGBUS/SIGILL/SIGFPE siginfo.
pub fn siginfo_addr(si: &libc::siginfo_t) -> u64 {
    // SAFETY: for fault signals the kernel fills the si_addr union member.
    unsafe { si.si_addr() as u64 }
}

/// Waits for `pid` (a traced child of this thread) to change state.
pub fn wait(pid: i32) -> io::Result<i32> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes the status to a valid local.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
        if r >= 0 {
            return Ok(status);
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

pub fn tgkill(pid: i32, tid: i32, sig: i32) {
    // SAFETY: sends a signal; no memory is involved.
    unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, sig) };
}

pub fn ptrace_seize(tid: i32, options: usize) -> io::Result<()> {
    // SAFETY: SEIZE takes no pointers; `options` is passed as data.
    check(unsafe { libc::ptrace(libc::PTRACE_SEIZE, tid, 0usize, options) }).map(drop)
}

pub fn kill_and_reap(pid: i32) {
    // SAFETY: SIGKILL to our own stub child; then reap it so no zombie remains.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        let mut status = 0;
        while libc::waitpid(pid, &mut status, libc::__WALL) < 0
            && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
        {}
    }
}

extern "C" {
    /// glibc: offset of the thread's rseq area from the thread pointer.
    static __rseq_offset: isize;
    /// glibc: size of the rseq area it registered, 0 if rseq is not in use.
    static __rseq_size: u32;
}

/// The calling thread's rseq registration as (area, length), if glibc made one.
///
/// A forked stub inherits the registration; once the stub's memory is unmapped the host
/// kernel could no longer update the area and would kill the stub, so the child
/// unregisters it first.
pub fn rseq_registration() -> Option<(u64, u32)> {
    // SAFETY: reading two glibc-exported constants set before main.
    let (off, size) = unsafe { (__rseq_offset, __rseq_size) };
    if size == 0 {
        return None;
    }
    let mut tp: u64 = 0;
    // SAFETY: ARCH_GET_FS writes the thread pointer to a valid local.
    if unsafe { libc::syscall(libc::SYS_arch_prctl, 0x1003, &mut tp as *mut u64) } != 0 {
        return None;
    }
    Some((tp.wrapping_add(off as u64), size.max(32)))
}

const RSEQ_SIG: u32 = 0x5305_3053;
const RSEQ_FLAG_UNREGISTER: i32 = 1;

/// Forks a stub child. In the child, only async-signal-safe raw syscalls run: it keeps
/// `memfd` as descriptor `STUB_MEMFD` and closes every other descriptor, stops itself under ptrace and never returns. In the parent, returns the
/// child's pid.
pub fn fork_stub(
    memfd: i32,
    stub_memfd: i32,
    rseq: Option<(u64, u32)>,
    interrupt_signal: i32,
) -> io::Result<i32> {
    // Kernel `struct sigaction` for SIG_IGN: handler, flags, restorer, mask.
    let ignore: [u64; 4] = [1, 0, 0, 0];
    // SAFETY: a raw clone with SIGCHLD is fork without glibc's atfork handlers. The child
    // touches no locks or allocator state: only raw syscalls on integers follow.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone,
            libc::SIGCHLD as libc::c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        )
    };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid > 0 {
        return Ok(pid as i32);
    }
    // Child.
    // SAFETY: raw syscalls with integer arguments only; see above.
    unsafe {
        // A stub thread that was released (no tracer) must survive a late interrupt.
        // Traced threads still report the signal: ptrace sees ignored signals too.
        libc::syscall(
            libc::SYS_rt_sigaction,
            interrupt_signal,
            ignore.as_ptr(),
            0usize,
            8usize,
        );
        if let Some((area, len)) = rseq {
            libc::syscall(libc::SYS_rseq, area, len, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
        }
        if memfd != stub_memfd {
            libc::syscall(libc::SYS_dup2, memfd, stub_memfd);
        }
        libc::syscall(libc::SYS_close_range, 0u32, (stub_memfd - 1) as u32, 0u32);
        libc::syscall(
            libc::SYS_close_range,
            (stub_memfd + 1) as u32,
            u32::MAX,
            0u32,
        );
        libc::syscall(libc::SYS_ptrace, libc::PTRACE_TRACEME, 0, 0, 0);
        libc::syscall(
            libc::SYS_kill,
            libc::syscall(libc::SYS_getpid),
            libc::SIGSTOP,
        );
        loop {
            libc::syscall(libc::SYS_exit_group, 111);
        }
    }
}

/// Maps one page holding `code` at an address of the kernel's choosing, read+exec.
pub fn map_code_page(code: &[u8]) -> io::Result<u64> {
    // SAFETY: a fresh anonymous mapping; we write only inside it, then make it R+X.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        std::ptr::copy_nonoverlapping(code.as_ptr(), p as *mut u8, code.len().min(4096));
        if libc::mprotect(p, 4096, libc::PROT_READ | libc::PROT_EXEC) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(p as u64)
    }
}

pub fn gettid() -> i32 {
    // SAFETY: no arguments.
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}
