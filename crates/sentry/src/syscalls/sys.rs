//! System information and per-process settings: uname, arch_prctl, getrandom,
//! rlimits, sysinfo, scheduling stubs, prctl.

use super::{Args, SysResult};
use crate::kernel::{Task, RLIM_INFINITY};
use abi::Errno;

/// The kernel release the sandbox reports: the sentry's own, never the host's.
pub const RELEASE: &str = "6.1.0-moat";
pub const VERSION: &str = "#1 SMP Moat sentry";

pub fn sys_uname(t: &mut Task, a: &Args) -> SysResult {
    let host = if t.k.config.hostname.is_empty() {
        "moat"
    } else {
        t.k.config.hostname.as_str()
    };
    let fields = ["Linux", host, RELEASE, VERSION, "x86_64", "(none)"];
    let mut b = [0u8; 65 * 6];
    for (i, f) in fields.iter().enumerate() {
        let n = f.len().min(64);
        b[i * 65..i * 65 + n].copy_from_slice(&f.as_bytes()[..n]);
    }
    t.mm().copy_out(a.addr(0), &b)?;
    Ok(0)
}

const ARCH_SET_GS: i32 = 0x1001;
const ARCH_SET_FS: i32 = 0x1002;
const ARCH_GET_FS: i32 = 0x1003;
const ARCH_GET_GS: i32 = 0x1004;
const ARCH_GET_CPUID: i32 = 0x1011;
const ARCH_SET_CPUID: i32 = 0x1012;
const TASK_SIZE_MAX: u64 = 0x7fff_ffff_f000;

pub fn sys_arch_prctl(t: &mut Task, a: &Args) -> SysResult {
    let addr = a.u64(1);
    match a.i32(0) {
        ARCH_SET_FS | ARCH_SET_GS if addr >= TASK_SIZE_MAX => Err(Errno::EPERM),
        ARCH_SET_FS => {
            t.regs.fs_base = addr;
            Ok(0)
        }
        ARCH_SET_GS => {
            t.regs.gs_base = addr;
            Ok(0)
        }
        ARCH_GET_FS => t.mm().write_u64(addr, t.regs.fs_base).map(|_| 0),
        ARCH_GET_GS => t.mm().write_u64(addr, t.regs.gs_base).map(|_| 0),
        ARCH_GET_CPUID => Ok(1),
        ARCH_SET_CPUID => Err(Errno::ENODEV),
        _ => Err(Errno::EINVAL),
    }
}

const GRND_NONBLOCK: u32 = 1;
const GRND_RANDOM: u32 = 2;
const GRND_INSECURE: u32 = 4;
/// Linux returns at most this much per getrandom call.
const GETRANDOM_MAX: usize = 33_554_431;

pub fn sys_getrandom(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u32(2);
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_RANDOM | GRND_INSECURE) == (GRND_RANDOM | GRND_INSECURE)
    {
        return Err(Errno::EINVAL);
    }
    let len = a.usize(1).min(GETRANDOM_MAX);
    let mut buf = [0u8; 4096];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(buf.len());
        rustix::rand::getrandom(&mut buf[..n], rustix::rand::GetRandomFlags::empty())
            .map_err(|_| Errno::EIO)?;
        match t
            .mm()
            .copy_out(a.addr(0).wrapping_add(done as u64), &buf[..n])
        {
            Ok(()) => done += n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(done as u64)
}

const RLIM_NLIMITS: usize = 16;

fn resource(r: u32) -> Result<usize, Errno> {
    let r = r as usize;
    if r < RLIM_NLIMITS {
        Ok(r)
    } else {
        Err(Errno::EINVAL)
    }
}

fn put_rlimit(t: &Task, addr: u64, (cur, max): (u64, u64)) -> Result<(), Errno> {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&cur.to_le_bytes());
    b[8..].copy_from_slice(&max.to_le_bytes());
    t.mm().copy_out(addr, &b)
}

fn get_rlimit(t: &Task, addr: u64) -> Result<(u64, u64), Errno> {
    let b = t.mm().copy_in_vec(addr, 16)?;
    let cur = u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
    let max = u64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8]));
    Ok((cur, max))
}

fn set_rlimit(t: &mut Task, r: usize, new: (u64, u64)) -> Result<(), Errno> {
    if new.0 > new.1 {
        return Err(Errno::EINVAL);
    }
    let old = t.rlimits[r];
    if new.1 > old.1 && t.cred.euid != 0 {
        return Err(Errno::EPERM);
    }
    // RLIMIT_NOFILE cannot exceed the system's nr_open.
    if r == 7 && new.1 > 1 << 20 && new.1 != RLIM_INFINITY {
        return Err(Errno::EPERM);
    }
    if r == 7 && new.1 == RLIM_INFINITY {
        return Err(Errno::EPERM);
    }
    t.rlimits[r] = new;
    Ok(())
}

pub fn sys_getrlimit(t: &mut Task, a: &Args) -> SysResult {
    let r = resource(a.u32(0))?;
    put_rlimit(t, a.addr(1), t.rlimits[r])?;
    Ok(0)
}

pub fn sys_setrlimit(t: &mut Task, a: &Args) -> SysResult {
    // Linux reads the new limit before it looks at the resource.
    let new = get_rlimit(t, a.addr(1))?;
    let r = resource(a.u32(0))?;
    set_rlimit(t, r, new)?;
    Ok(0)
}

pub fn sys_prlimit64(t: &mut Task, a: &Args) -> SysResult {
    let pid = a.i32(0);
    // Linux's order: read the new limit, find the process, then check the resource.
    let new = if a.addr(2) != 0 {
        Some(get_rlimit(t, a.addr(2))?)
    } else {
        None
    };
    if pid < 0 {
        return Err(Errno::ESRCH);
    }
    if pid != 0 && pid != t.pid() {
        // Only the caller's own limits live here; another process's are not reachable.
        return Err(if t.k.thread_group(pid).is_some() {
            Errno::EPERM
        } else {
            Errno::ESRCH
        });
    }
    let r = resource(a.u32(1))?;
    let old = t.rlimits[r];
    if let Some(n) = new {
        set_rlimit(t, r, n)?;
    }
    if a.addr(3) != 0 {
        put_rlimit(t, a.addr(3), old)?;
    }
    Ok(0)
}

fn host_total_memory() -> u64 {
    rustix::system::sysinfo().totalram as u64 * rustix::system::sysinfo().mem_unit as u64
}

pub fn sys_sysinfo(t: &mut Task, a: &Args) -> SysResult {
    let total = if t.k.config.total_memory > 0 {
        t.k.config.total_memory
    } else {
        host_total_memory()
    };
    let procs = t.k.tree.lock().map(|tr| tr.nodes.len()).unwrap_or(1) as u16;
    // The same clock the application sees as CLOCK_BOOTTIME.
    let uptime = rustix::time::clock_gettime(rustix::time::ClockId::Boottime)
        .tv_sec
        .max(1) as u64;
    let mut b = [0u8; 112];
    b[0..8].copy_from_slice(&uptime.to_le_bytes());
    b[32..40].copy_from_slice(&total.to_le_bytes());
    b[40..48].copy_from_slice(&(total / 2).to_le_bytes());
    b[80..82].copy_from_slice(&procs.to_le_bytes());
    b[104..108].copy_from_slice(&1u32.to_le_bytes());
    t.mm().copy_out(a.addr(0), &b)?;
    Ok(0)
}

pub fn sys_sched_yield(_t: &mut Task, _: &Args) -> SysResult {
    std::thread::yield_now();
    Ok(0)
}

pub fn sys_sched_getaffinity(t: &mut Task, a: &Args) -> SysResult {
    // The length is an unsigned int.
    let len = a.u32(1) as usize;
    if len < 8 || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    if a.i32(0) != 0 && a.i32(0) != t.pid() && t.k.thread_group(a.i32(0)).is_none() {
        return Err(Errno::ESRCH);
    }
    let cpus = t.k.config.cpus.clamp(1, 64);
    let mask: u64 = if cpus == 64 {
        u64::MAX
    } else {
        (1u64 << cpus) - 1
    };
    t.mm().write_u64(a.addr(2), mask)?;
    Ok(8)
}

const PR_SET_PDEATHSIG: i32 = 1;
const PR_GET_PDEATHSIG: i32 = 2;
const PR_GET_DUMPABLE: i32 = 3;
const PR_SET_DUMPABLE: i32 = 4;
const PR_SET_NAME: i32 = 15;
const PR_GET_NAME: i32 = 16;
const PR_SET_NO_NEW_PRIVS: i32 = 38;
const PR_GET_NO_NEW_PRIVS: i32 = 39;

pub fn sys_prctl(t: &mut Task, a: &Args) -> SysResult {
    match a.i32(0) {
        PR_SET_NAME => {
            // The name is at most 16 bytes including the NUL; it may end at a page edge.
            let mut name = Vec::new();
            for i in 0..15u64 {
                let mut c = [0u8; 1];
                t.mm().copy_in(a.addr(1).wrapping_add(i), &mut c)?;
                if c[0] == 0 {
                    break;
                }
                name.push(c[0]);
            }
            if let Ok(mut c) = t.tg.comm.lock() {
                *c = String::from_utf8_lossy(&name).into_owned();
            }
            Ok(0)
        }
        PR_GET_NAME => {
            let c = t.tg.comm.lock().map(|c| c.clone()).unwrap_or_default();
            let mut b = [0u8; 16];
            let n = c.len().min(15);
            b[..n].copy_from_slice(&c.as_bytes()[..n]);
            t.mm().copy_out(a.addr(1), &b)?;
            Ok(0)
        }
        PR_SET_PDEATHSIG => {
            let sig = a.i32(1);
            if sig != 0 {
                crate::kernel::signal::valid(sig)?;
            }
            set_prctl(t, |p| p.pdeathsig = sig)
        }
        PR_GET_PDEATHSIG => {
            let sig = get_prctl(t)?.pdeathsig;
            t.mm().write_u32(a.addr(1), sig as u32).map(|_| 0)
        }
        PR_GET_DUMPABLE => Ok(get_prctl(t)?.dumpable as u64),
        PR_SET_DUMPABLE if a.u64(1) <= 1 => set_prctl(t, |p| p.dumpable = a.u64(1) == 1),
        PR_SET_NO_NEW_PRIVS if a.u64(1) == 1 && a.u64(2) == 0 && a.u64(3) == 0 && a.u64(4) == 0 => {
            set_prctl(t, |p| p.no_new_privs = true)
        }
        PR_GET_NO_NEW_PRIVS if a.u64(1) == 0 && a.u64(2) == 0 && a.u64(3) == 0 && a.u64(4) == 0 => {
            Ok(get_prctl(t)?.no_new_privs as u64)
        }
        _ => Err(Errno::EINVAL),
    }
}

fn get_prctl(t: &Task) -> Result<crate::kernel::PrctlState, Errno> {
    t.tg.prctl.lock().map(|p| *p).map_err(|_| Errno::EAGAIN)
}

fn set_prctl(t: &Task, f: impl FnOnce(&mut crate::kernel::PrctlState)) -> SysResult {
    let mut p = t.tg.prctl.lock().map_err(|_| Errno::EAGAIN)?;
    f(&mut p);
    Ok(0)
}

pub fn sys_set_robust_list(_t: &mut Task, a: &Args) -> SysResult {
    if a.usize(1) != 24 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

const RUSAGE_SELF: i32 = 0;
const RUSAGE_CHILDREN: i32 = -1;
const RUSAGE_THREAD: i32 = 1;

/// Writable memory of the process in KiB, standing in for its peak resident size.
fn maxrss_kb(t: &Task) -> u64 {
    let bytes: u64 = t
        .mm()
        .vmas()
        .iter()
        .filter(|v| v.prot.write)
        .map(|v| v.end - v.start)
        .sum();
    (bytes / 1024).max(1)
}

pub fn sys_getrusage(t: &mut Task, a: &Args) -> SysResult {
    let (times, rss) = match a.i32(0) {
        RUSAGE_SELF => (t.tg.own_times(), maxrss_kb(t)),
        RUSAGE_CHILDREN => (t.tg.child_times.get(), 0),
        RUSAGE_THREAD => (t.shared.times.get(), maxrss_kb(t)),
        _ => return Err(Errno::EINVAL),
    };
    t.mm()
        .copy_out(a.addr(1), &super::process::rusage_bytes(times, rss))?;
    Ok(0)
}

/// Clock ticks (AT_CLKTCK = 100 per second) in `ns` nanoseconds.
fn ticks(ns: u64) -> u64 {
    ns / 10_000_000
}

pub fn sys_times(t: &mut Task, a: &Args) -> SysResult {
    if a.addr(0) != 0 {
        let (u, s) = t.tg.own_times();
        let (cu, cs) = t.tg.child_times.get();
        let mut b = [0u8; 32];
        for (i, v) in [u, s, cu, cs].into_iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&ticks(v).to_le_bytes());
        }
        t.mm().copy_out(a.addr(0), &b)?;
    }
    let up = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    Ok(up.tv_sec as u64 * 100 + up.tv_nsec as u64 / 10_000_000)
}
