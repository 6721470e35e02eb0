//! The syscall table: number → name → handler → support level → argument kinds.
//!
//! Feeds dispatch, `--strace` and `moat syscalls`. Names come from `names.rs` for every
//! number, so unimplemented calls are still reported by name.

use super::strace::Arg::{self, *};
use super::{file, fs, futex, id, mmap, names::NAMES, process, signal, sys, time, timer, Handler};
use std::sync::OnceLock;

/// How completely Moat implements a syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Full,
    Partial(&'static str),
    Unsupported,
}

#[derive(Clone, Copy)]
pub struct Entry {
    pub nr: u64,
    pub name: &'static str,
    pub handler: Option<Handler>,
    pub support: Support,
    pub args: &'static [Arg],
}

/// One past the highest syscall number known.
pub const TABLE_SIZE: usize = 468;

use Handler::{Flow as F, Plain as P};
use Support::{Full, Partial};

/// The implemented calls. Everything else in `NAMES` is unsupported (ENOSYS).
#[rustfmt::skip]
const IMPLEMENTED: &[(u64, Handler, Support, &[Arg])] = &[
    // process
    (39, P(process::sys_getpid), Full, &[]),
    (110, P(process::sys_getppid), Full, &[]),
    (186, P(process::sys_gettid), Full, &[]),
    (57, P(process::sys_fork), Full, &[]),
    (58, P(process::sys_vfork), Full, &[]),
    (56, P(process::sys_clone), Partial("no namespaces, pidfds or CLONE_VM without THREAD/VFORK sharing"), &[Hex, Ptr, Ptr, Ptr, Hex]),
    (202, P(futex::sys_futex), Partial("WAIT/WAKE/REQUEUE/BITSET; no PI or WAKE_OP"), &[Ptr, Int, Int, Ptr, Ptr, Int]),
    (59, F(process::sys_execve), Full, &[Path, Ptr, Ptr]),
    (322, F(process::sys_execveat), Partial("AT_EMPTY_PATH unsupported"), &[Fd, Path, Ptr, Ptr, Hex]),
    (60, F(process::sys_exit), Full, &[Int]),
    (231, F(process::sys_exit_group), Full, &[Int]),
    (61, P(process::sys_wait4), Full, &[Int, Ptr, Hex, Ptr]),
    (247, P(process::sys_waitid), Full, &[Int, Int, Ptr, Hex, Ptr]),
    (109, P(process::sys_setpgid), Full, &[Int, Int]),
    (121, P(process::sys_getpgid), Full, &[Int]),
    (111, P(process::sys_getpgrp), Full, &[]),
    (112, P(process::sys_setsid), Full, &[]),
    (124, P(process::sys_getsid), Full, &[Int]),
    (218, P(process::sys_set_tid_address), Full, &[Ptr]),
    (62, P(process::sys_kill), Full, &[Int, Signal]),
    (200, P(process::sys_tkill), Full, &[Int, Signal]),
    (234, P(process::sys_tgkill), Full, &[Int, Int, Signal]),
    // credentials
    (102, P(id::sys_getuid), Full, &[]),
    (104, P(id::sys_getgid), Full, &[]),
    (107, P(id::sys_geteuid), Full, &[]),
    (108, P(id::sys_getegid), Full, &[]),
    (118, P(id::sys_getresuid), Full, &[Ptr, Ptr, Ptr]),
    (120, P(id::sys_getresgid), Full, &[Ptr, Ptr, Ptr]),
    (115, P(id::sys_getgroups), Full, &[Int, Ptr]),
    (105, P(id::sys_setuid), Partial("root only"), &[Int]),
    (106, P(id::sys_setgid), Partial("root only"), &[Int]),
    (116, P(id::sys_setgroups), Partial("accepted, not kept"), &[Int, Ptr]),
    // memory
    (9, P(mmap::sys_mmap), Partial("file mappings are private copies"), &[Ptr, Size, Hex, Hex, Fd, Hex]),
    (11, P(mmap::sys_munmap), Full, &[Ptr, Size]),
    (10, P(mmap::sys_mprotect), Full, &[Ptr, Size, Hex]),
    (12, P(mmap::sys_brk), Full, &[Ptr]),
    (28, P(mmap::sys_madvise), Partial("advice is ignored"), &[Ptr, Size, Int]),
    (25, P(mmap::sys_mremap), Partial("no in-place growth"), &[Ptr, Size, Size, Hex, Ptr]),
    // signals
    (13, P(signal::sys_rt_sigaction), Full, &[Signal, Ptr, Ptr, Size]),
    (14, P(signal::sys_rt_sigprocmask), Full, &[Int, Ptr, Ptr, Size]),
    (15, F(signal::sys_rt_sigreturn), Full, &[]),
    (127, P(signal::sys_rt_sigpending), Full, &[Ptr, Size]),
    (130, P(signal::sys_rt_sigsuspend), Full, &[Ptr, Size]),
    (34, P(signal::sys_pause), Full, &[]),
    (131, P(signal::sys_sigaltstack), Full, &[Ptr, Ptr]),
    // time
    (228, P(time::sys_clock_gettime), Full, &[Int, Ptr]),
    (229, P(time::sys_clock_getres), Full, &[Int, Ptr]),
    (96, P(time::sys_gettimeofday), Full, &[Ptr, Ptr]),
    (201, P(time::sys_time), Full, &[Ptr]),
    (35, P(time::sys_nanosleep), Full, &[Ptr, Ptr]),
    (230, P(time::sys_clock_nanosleep), Full, &[Int, Hex, Ptr, Ptr]),
    // system
    (63, P(sys::sys_uname), Full, &[Ptr]),
    (158, P(sys::sys_arch_prctl), Partial("FS/GS base only"), &[Hex, Hex]),
    (318, P(sys::sys_getrandom), Full, &[Ptr, Size, Hex]),
    (97, P(sys::sys_getrlimit), Full, &[Int, Ptr]),
    (160, P(sys::sys_setrlimit), Full, &[Int, Ptr]),
    (302, P(sys::sys_prlimit64), Full, &[Int, Int, Ptr, Ptr]),
    (99, P(sys::sys_sysinfo), Full, &[Ptr]),
    (37, P(timer::sys_alarm), Full, &[Int]),
    (38, P(timer::sys_setitimer), Partial("ITIMER_VIRTUAL and ITIMER_PROF never fire"), &[Int, Ptr, Ptr]),
    (36, P(timer::sys_getitimer), Partial("ITIMER_VIRTUAL and ITIMER_PROF never fire"), &[Int, Ptr]),
    (222, P(timer::sys_timer_create), Partial("CPU-time clocks run on wall time"), &[Int, Ptr, Ptr]),
    (223, P(timer::sys_timer_settime), Full, &[Int, Hex, Ptr, Ptr]),
    (224, P(timer::sys_timer_gettime), Full, &[Int, Ptr]),
    (225, P(timer::sys_timer_getoverrun), Partial("overruns are not counted"), &[Int]),
    (226, P(timer::sys_timer_delete), Full, &[Int]),
    (98, P(sys::sys_getrusage), Partial("user time is time spent in application code; no system time"), &[Int, Ptr]),
    (100, P(sys::sys_times), Partial("user time is time spent in application code; no system time"), &[Ptr]),
    (24, P(sys::sys_sched_yield), Full, &[]),
    (204, P(sys::sys_sched_getaffinity), Full, &[Int, Size, Ptr]),
    (157, P(sys::sys_prctl), Partial("name, dumpable, no_new_privs"), &[Int, Hex, Hex]),
    (273, P(sys::sys_set_robust_list), Partial("accepted, no futex cleanup yet"), &[Ptr, Size]),
];

fn build() -> Vec<Option<Entry>> {
    let mut t: Vec<Option<Entry>> = vec![None; TABLE_SIZE];
    for &(nr, name) in NAMES {
        if let Some(slot) = t.get_mut(nr as usize) {
            *slot = Some(Entry {
                nr,
                name,
                handler: None,
                support: Support::Unsupported,
                args: &[],
            });
        }
    }
    let extra = file::HANDLERS.iter().chain(fs::HANDLERS.iter());
    for &(nr, h, support, args) in IMPLEMENTED.iter().chain(extra) {
        if let Some(Some(e)) = t.get_mut(nr as usize) {
            e.handler = Some(h);
            e.support = support;
            e.args = args;
        }
    }
    t
}

fn table() -> &'static [Option<Entry>] {
    static TABLE: OnceLock<Vec<Option<Entry>>> = OnceLock::new();
    TABLE.get_or_init(build)
}

/// The entry for syscall `nr`, if Linux defines that number.
pub fn entry(nr: u64) -> Option<&'static Entry> {
    usize::try_from(nr)
        .ok()
        .and_then(|i| table().get(i))
        .and_then(|e| e.as_ref())
}

pub fn lookup_name(name: &str) -> Option<&'static Entry> {
    table().iter().flatten().find(|e| e.name == name)
}

/// Every defined syscall, in number order.
pub fn all() -> impl Iterator<Item = &'static Entry> {
    table().iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_duplicate_registrations() {
        let mut seen = HashSet::new();
        let extra = file::HANDLERS.iter().chain(fs::HANDLERS.iter());
        for &(nr, ..) in IMPLEMENTED.iter().chain(extra) {
            assert!(seen.insert(nr), "syscall {nr} registered twice");
            assert!(
                entry(nr).is_some(),
                "syscall {nr} is not a Linux x86-64 number"
            );
        }
    }

    #[test]
    fn names_match_host_headers() {
        let Ok(h) = std::fs::read_to_string("/usr/include/x86_64-linux-gnu/asm/unistd_64.h") else {
            return;
        };
        let mut n = 0;
        for line in h.lines() {
            let mut w = line.split_whitespace();
            if let (Some("#define"), Some(name), Some(num)) = (w.next(), w.next(), w.next()) {
                let (Some(name), Ok(num)) = (name.strip_prefix("__NR_"), num.parse::<u64>()) else {
                    continue;
                };
                assert_eq!(entry(num).map(|e| e.name), Some(name), "number {num}");
                n += 1;
            }
        }
        assert!(n > 300, "parsed only {n} syscalls from the header");
    }

    #[test]
    fn numbers_ascend_without_unexpected_gaps() {
        let nums: Vec<u64> = NAMES.iter().map(|e| e.0).collect();
        for w in nums.windows(2) {
            assert!(w[0] < w[1], "{} then {}", w[0], w[1]);
            // x86-64 leaves 335..=423 unused; nothing else is missing.
            assert!(
                w[1] == w[0] + 1 || (w[0] == 334 && w[1] == 424),
                "gap after {}",
                w[0]
            );
        }
    }
}

/// The compatibility list `moat syscalls` prints: one line per x86-64 syscall with its
/// support level, then totals.
pub fn compatibility_report() -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let (mut full, mut partial, mut none) = (0, 0, 0);
    let _ = writeln!(out, "{:>4}  {:<24} {:<12} NOTE", "NR", "NAME", "SUPPORT");
    for e in all() {
        let (level, note) = match (e.handler.is_some(), e.support) {
            (true, Support::Full) => {
                full += 1;
                ("full", "")
            }
            (true, Support::Partial(why)) => {
                partial += 1;
                ("partial", why)
            }
            _ => {
                none += 1;
                ("unsupported", "returns ENOSYS")
            }
        };
        let _ = writeln!(out, "{:>4}  {:<24} {:<12} {}", e.nr, e.name, level, note);
    }
    let _ = writeln!(out, "\n{full} full, {partial} partial, {none} unsupported");
    out
}

#[cfg(test)]
mod report_tests {
    use super::*;

    #[test]
    fn report_lists_every_number_once() {
        let r = compatibility_report();
        assert_eq!(
            r.lines()
                .filter(|l| l.trim_start().starts_with("39 "))
                .count(),
            1
        );
        assert!(r.contains(" getpid "));
        let total = all().count();
        let summary = r.lines().last().unwrap();
        let nums: Vec<usize> = summary
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect();
        assert_eq!(nums.iter().sum::<usize>(), total, "{summary}");
    }
}
