//! The host calls the sandbox process may make, as a seccomp filter it installs on
//! itself once set up (DESIGN.md: "host calls are few and filtered").
//!
//! The application never reaches this filter: its syscalls stop at entry under
//! `PTRACE_SYSEMU` and are served by the sentry. What is listed here is what the sentry,
//! its platform, the control server and the Rust runtime need. Adding a call is a
//! reviewed change; anything else kills the sandbox (or, in `Log` mode, is allowed and
//! reported by the host kernel, which is how a missing entry is found).
//!
//! Stub processes are forked after the filter is in place and inherit it: the calls the
//! platform injects into them (mmap, munmap, mprotect, clone of a stub thread, exit) are
//! on the list; the application's own syscalls are not affected.

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op,
    SeccompCondition as Cond, SeccompFilter, SeccompRule, TargetArch,
};
use std::collections::BTreeMap;

/// What happens to a host call that is not on the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enforcement {
    /// Kill the sandbox process.
    Kill,
    /// Allow it, and let the host kernel log it (to find missing entries).
    Log,
}

#[derive(Debug, thiserror::Error)]
#[error("installing the host-call filter: {0}")]
pub struct FilterError(String);

/// Calls allowed with any arguments.
const PLAIN: &[i64] = &[
    // memory (the memory file, thread stacks, the allocator)
    libc::SYS_mmap,
    libc::SYS_munmap,
    libc::SYS_mprotect,
    libc::SYS_madvise,
    libc::SYS_mremap,
    libc::SYS_brk,
    libc::SYS_fallocate,
    libc::SYS_ftruncate,
    // the ptrace platform: stubs, their threads, interrupts
    libc::SYS_ptrace,
    libc::SYS_wait4,
    libc::SYS_waitid,
    libc::SYS_kill,
    libc::SYS_tgkill,
    libc::SYS_tkill,
    libc::SYS_getpid,
    libc::SYS_gettid,
    libc::SYS_getppid,
    libc::SYS_arch_prctl,
    libc::SYS_rseq,
    libc::SYS_close_range,
    libc::SYS_dup2,
    libc::SYS_pause,
    libc::SYS_exit,
    libc::SYS_exit_group,
    // threads and waiting
    libc::SYS_futex,
    libc::SYS_set_robust_list,
    libc::SYS_get_robust_list,
    libc::SYS_sched_yield,
    libc::SYS_sched_getaffinity,
    libc::SYS_nanosleep,
    libc::SYS_clock_nanosleep,
    libc::SYS_clock_gettime,
    libc::SYS_clock_getres,
    libc::SYS_gettimeofday,
    libc::SYS_rt_sigaction,
    libc::SYS_rt_sigprocmask,
    libc::SYS_rt_sigreturn,
    libc::SYS_sigaltstack,
    libc::SYS_getrandom,
    // the panic handler shortens backtrace paths with it (the answer is the empty root)
    libc::SYS_getcwd,
    libc::SYS_sysinfo,
    libc::SYS_uname,
    libc::SYS_getuid,
    libc::SYS_geteuid,
    libc::SYS_getgid,
    libc::SYS_getegid,
    libc::SYS_prlimit64,
    libc::SYS_poll,
    libc::SYS_ppoll,
    libc::SYS_epoll_create1,
    libc::SYS_epoll_ctl,
    libc::SYS_epoll_wait,
    libc::SYS_epoll_pwait,
    libc::SYS_eventfd2,
    // files, always relative to donated directory descriptors (openat2 BENEATH)
    libc::SYS_openat,
    libc::SYS_openat2,
    libc::SYS_read,
    libc::SYS_readv,
    libc::SYS_pread64,
    libc::SYS_preadv,
    libc::SYS_write,
    libc::SYS_writev,
    libc::SYS_pwrite64,
    libc::SYS_pwritev,
    libc::SYS_lseek,
    libc::SYS_close,
    libc::SYS_dup,
    libc::SYS_dup3,
    libc::SYS_fcntl,
    libc::SYS_fstat,
    libc::SYS_newfstatat,
    libc::SYS_statx,
    libc::SYS_fstatfs,
    libc::SYS_getdents64,
    libc::SYS_readlinkat,
    libc::SYS_mkdirat,
    libc::SYS_mknodat,
    libc::SYS_unlinkat,
    libc::SYS_renameat2,
    libc::SYS_symlinkat,
    libc::SYS_linkat,
    libc::SYS_fchmod,
    libc::SYS_fchmodat,
    libc::SYS_fchown,
    libc::SYS_fchownat,
    libc::SYS_utimensat,
    libc::SYS_fsync,
    libc::SYS_fdatasync,
    libc::SYS_flock,
    libc::SYS_fadvise64,
    libc::SYS_pipe2,
    libc::SYS_memfd_create,
    libc::SYS_fgetxattr,
    libc::SYS_flistxattr,
    // the control socket (a donated, already listening socket) and its peers
    libc::SYS_accept4,
    libc::SYS_recvmsg,
    libc::SYS_sendmsg,
    libc::SYS_recvfrom,
    libc::SYS_sendto,
    libc::SYS_shutdown,
    libc::SYS_getsockopt,
    libc::SYS_setsockopt,
    libc::SYS_getsockname,
];

/// Terminal requests passed through to the host for the container's stdio.
const IOCTLS: &[u64] = &[
    0x5401,      // TCGETS
    0x5402,      // TCSETS
    0x5403,      // TCSETSW
    0x5404,      // TCSETSF
    0x540f,      // TIOCGPGRP
    0x5410,      // TIOCSPGRP
    0x5413,      // TIOCGWINSZ
    0x5414,      // TIOCSWINSZ
    0x541b,      // FIONREAD
    0x5421,      // FIONBIO
    0x802c_542a, // TCGETS2
    0x402c_542b, // TCSETS2
    0x402c_542c, // TCSETSW2
    0x402c_542d, // TCSETSF2
];

/// Namespace-creating clone flags: never needed by the sentry.
const CLONE_NEW_ANY: u64 = 0x7e02_0080;

const PR_SET_NAME: u64 = 15;
const PR_GET_NAME: u64 = 16;
const PR_SET_PDEATHSIG: u64 = 1;

fn rule(conds: Vec<Cond>) -> Result<SeccompRule, FilterError> {
    SeccompRule::new(conds).map_err(|e| FilterError(e.to_string()))
}

fn cond(arg: u8, len: Len, op: Op, value: u64) -> Result<Cond, FilterError> {
    Cond::new(arg, len, op, value).map_err(|e| FilterError(e.to_string()))
}

/// The filter as a BPF program.
pub fn program(enforcement: Enforcement) -> Result<BpfProgram, FilterError> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
        PLAIN.iter().map(|&nr| (nr, Vec::new())).collect();
    // Threads and stub forks, but no new namespaces.
    let no_ns = |arg| -> Result<Vec<SeccompRule>, FilterError> {
        Ok(vec![rule(vec![cond(
            arg,
            Len::Qword,
            Op::MaskedEq(CLONE_NEW_ANY),
            0,
        )?])?])
    };
    rules.insert(libc::SYS_clone, no_ns(0)?);
    let mut ioctl = Vec::new();
    for &req in IOCTLS {
        ioctl.push(rule(vec![cond(1, Len::Dword, Op::Eq, req)?])?);
    }
    rules.insert(libc::SYS_ioctl, ioctl);
    let mut prctl = Vec::new();
    for opt in [PR_SET_NAME, PR_GET_NAME, PR_SET_PDEATHSIG] {
        prctl.push(rule(vec![cond(0, Len::Dword, Op::Eq, opt)?])?);
    }
    rules.insert(libc::SYS_prctl, prctl);
    let mismatch = match enforcement {
        Enforcement::Kill => SeccompAction::KillProcess,
        Enforcement::Log => SeccompAction::Log,
    };
    let filter = SeccompFilter::new(rules, mismatch, SeccompAction::Allow, TargetArch::x86_64)
        .map_err(|e| FilterError(e.to_string()))?;
    let mut prog: BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| FilterError(e.to_string()))?;
    // clone3 must fail softly (ENOSYS) so the C library falls back to clone, whose
    // flags the filter can check. Prepend: if nr == clone3 return ERRNO(ENOSYS).
    prog.splice(0..0, clone3_enosys());
    Ok(prog)
}

/// BPF: `if (arch == x86_64 && nr == clone3) return SECCOMP_RET_ERRNO | ENOSYS`.
fn clone3_enosys() -> Vec<seccompiler::sock_filter> {
    use seccompiler::sock_filter as F;
    const LD_W_ABS: u16 = 0x20;
    const JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
    const RET_ERRNO: u32 = 0x0005_0000;
    vec![
        F {
            code: LD_W_ABS,
            jt: 0,
            jf: 0,
            k: 4,
        }, // arch
        F {
            code: JEQ_K,
            jt: 0,
            jf: 3,
            k: AUDIT_ARCH_X86_64,
        },
        F {
            code: LD_W_ABS,
            jt: 0,
            jf: 0,
            k: 0,
        }, // nr
        F {
            code: JEQ_K,
            jt: 0,
            jf: 1,
            k: libc::SYS_clone3 as u32,
        },
        F {
            code: RET_K,
            jt: 0,
            jf: 0,
            k: RET_ERRNO | libc::ENOSYS as u32,
        },
    ]
}

/// Installs the filter on every thread of the process. Requires no_new_privs (or
/// CAP_SYS_ADMIN) and cannot be undone.
pub fn install(enforcement: Enforcement) -> Result<(), FilterError> {
    let prog = program(enforcement)?;
    seccompiler::apply_filter_all_threads(&prog).map_err(|e| FilterError(e.to_string()))
}

#[cfg(test)]
#[allow(unsafe_code)]
mod tests {
    use super::*;

    /// Runs `f` in a forked child with the filter installed; returns its wait status.
    fn in_filtered_child(f: fn() -> i32) -> i32 {
        // SAFETY: the child only installs the filter, makes raw calls and exits.
        unsafe {
            let pid = libc::fork();
            assert!(pid >= 0);
            if pid == 0 {
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                let code = if install(Enforcement::Kill).is_ok() {
                    f()
                } else {
                    99
                };
                libc::_exit(code);
            }
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            status
        }
    }

    #[test]
    fn listed_calls_work_and_others_kill() {
        // A listed call works.
        let ok = in_filtered_child(|| {
            // SAFETY: plain syscall without pointers.
            let pid = unsafe { libc::syscall(libc::SYS_getpid) };
            if pid > 0 {
                7
            } else {
                1
            }
        });
        assert!(
            libc::WIFEXITED(ok) && libc::WEXITSTATUS(ok) == 7,
            "status {ok:#x}"
        );
        // socket() is not listed: SIGSYS kills the process.
        let killed = in_filtered_child(|| {
            // SAFETY: plain syscall without pointers.
            unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
            0
        });
        assert!(
            libc::WIFSIGNALED(killed) && libc::WTERMSIG(killed) == libc::SIGSYS,
            "status {killed:#x}"
        );
        // clone with a namespace flag is refused the same way.
        let ns = in_filtered_child(|| {
            // SAFETY: the clone would fail or create a child that exits at once.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_clone,
                    (libc::CLONE_NEWNET | libc::SIGCHLD) as u64,
                    0,
                    0,
                    0,
                    0,
                )
            };
            if r == 0 {
                // SAFETY: exiting the (unexpected) child.
                unsafe { libc::_exit(0) };
            }
            3
        });
        assert!(
            libc::WIFSIGNALED(ns) && libc::WTERMSIG(ns) == libc::SIGSYS,
            "status {ns:#x}"
        );
        // clone3 fails softly so that the C library falls back to clone.
        let c3 = in_filtered_child(|| {
            // SAFETY: clone3 with a null argument; the filter answers first.
            let r = unsafe { libc::syscall(libc::SYS_clone3, 0usize, 0usize) };
            let e = std::io::Error::last_os_error().raw_os_error();
            if r == -1 && e == Some(libc::ENOSYS) {
                5
            } else {
                1
            }
        });
        assert!(
            libc::WIFEXITED(c3) && libc::WEXITSTATUS(c3) == 5,
            "status {c3:#x}"
        );
    }

    #[test]
    fn the_filter_compiles_and_lists_no_call_twice() {
        let mut seen = std::collections::HashSet::new();
        for nr in PLAIN {
            assert!(seen.insert(nr), "syscall {nr} listed twice");
        }
        let prog = program(Enforcement::Kill).unwrap();
        assert!(prog.len() > PLAIN.len());
    }

    #[test]
    fn namespaces_and_sockets_are_not_allowed() {
        assert!(!PLAIN.contains(&libc::SYS_socket));
        assert!(!PLAIN.contains(&libc::SYS_unshare));
        assert!(!PLAIN.contains(&libc::SYS_setns));
        assert!(!PLAIN.contains(&libc::SYS_execve));
        assert!(!PLAIN.contains(&libc::SYS_open));
        assert!(
            !PLAIN.contains(&libc::SYS_clone),
            "clone is listed with a flag check only"
        );
    }
}
