//! Timers: alarm, setitimer/getitimer (ITIMER_REAL fires; VIRTUAL and PROF are kept
//! but never fire) and POSIX timers (timer_create and friends, signal delivery).

use super::{Args, SysResult};
use crate::kernel::signal::{self as ksig, SI_KERNEL};
use crate::kernel::timers::{Target, SI_TIMER};
use crate::kernel::Task;
use abi::Errno;
use std::sync::Arc;
use std::time::Duration;

const ITIMER_REAL: i32 = 0;
const ITIMER_VIRTUAL: i32 = 1;
const ITIMER_PROF: i32 = 2;

fn read_pairs(t: &Task, addr: u64, sub_unit: u64) -> Result<(Duration, Duration), Errno> {
    let b = t.mm().copy_in_vec(addr, 32)?;
    let w = |i: usize| i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let limit = 1_000_000_000 / sub_unit as i64;
    let dur = |s: i64, f: i64| -> Result<Duration, Errno> {
        if s < 0 || !(0..limit).contains(&f) {
            return Err(Errno::EINVAL);
        }
        Ok(Duration::new(s as u64, (f as u64 * sub_unit) as u32))
    };
    // (interval, value), as both itimerval and itimerspec lay them out.
    Ok((dur(w(0), w(1))?, dur(w(2), w(3))?))
}

fn write_pairs(
    t: &Task,
    addr: u64,
    sub_unit: u64,
    (interval, value): (Duration, Duration),
) -> Result<(), Errno> {
    let mut b = [0u8; 32];
    for (i, d) in [interval, interval, value, value].iter().enumerate() {
        let v = if i % 2 == 0 {
            d.as_secs()
        } else {
            d.subsec_nanos() as u64 / sub_unit
        };
        b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
    }
    t.mm().copy_out(addr, &b)
}

/// The process's ITIMER_REAL timer, made on first use.
fn real_timer(t: &Task) -> Result<u64, Errno> {
    let mut timers = t.tg.timers.lock().map_err(|_| Errno::EAGAIN)?;
    if let Some(id) = timers.real {
        return Ok(id);
    }
    let target = Target {
        tg: Arc::downgrade(&t.tg),
        thread: None,
        signo: abi::signal::SIGALRM,
        code: SI_KERNEL,
        timer_id: 0,
        value: 0,
    };
    let id = t.k.timers.create(target);
    timers.real = Some(id);
    Ok(id)
}

/// VIRTUAL and PROF timers are accepted but do not fire (no CPU-time clock drives them).
fn check_which(which: i32) -> Result<(), Errno> {
    match which {
        ITIMER_REAL | ITIMER_VIRTUAL | ITIMER_PROF => Ok(()),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_setitimer(t: &mut Task, a: &Args) -> SysResult {
    let which = a.i32(0);
    check_which(which)?;
    let new = if a.addr(1) != 0 {
        Some(read_pairs(t, a.addr(1), 1000)?)
    } else {
        None
    };
    let old = if which == ITIMER_REAL {
        let id = real_timer(t)?;
        match new {
            Some((interval, value)) => {
                let (rem, iv) =
                    t.k.timers
                        .set(id, (!value.is_zero()).then_some(value), interval);
                (iv, rem)
            }
            None => {
                let (rem, iv) = t.k.timers.get(id);
                (iv, rem)
            }
        }
    } else {
        (Duration::ZERO, Duration::ZERO)
    };
    if a.addr(2) != 0 {
        write_pairs(t, a.addr(2), 1000, old)?;
    }
    Ok(0)
}

pub fn sys_getitimer(t: &mut Task, a: &Args) -> SysResult {
    let which = a.i32(0);
    check_which(which)?;
    let cur = if which == ITIMER_REAL {
        let (rem, iv) = t.k.timers.get(real_timer(t)?);
        (iv, rem)
    } else {
        (Duration::ZERO, Duration::ZERO)
    };
    write_pairs(t, a.addr(1), 1000, cur)?;
    Ok(0)
}

pub fn sys_alarm(t: &mut Task, a: &Args) -> SysResult {
    let secs = a.u32(0);
    let id = real_timer(t)?;
    let value = (secs != 0).then(|| Duration::from_secs(secs as u64));
    let (rem, _) = t.k.timers.set(id, value, Duration::ZERO);
    // Linux rounds the remaining time to the nearest second, and never reports 0 for an
    // alarm that was still pending.
    let mut left = rem.as_secs();
    if rem.subsec_micros() >= 500_000 || (left == 0 && !rem.is_zero()) {
        left += 1;
    }
    Ok(left)
}

const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
const SIGEV_THREAD_ID: i32 = 4;

/// The kernel id of POSIX timer `id` of this process.
fn posix_timer(t: &Task, id: i32) -> Result<u64, Errno> {
    t.tg.timers
        .lock()
        .ok()
        .and_then(|x| x.posix.get(&id).copied())
        .ok_or(Errno::EINVAL)
}

pub fn sys_timer_create(t: &mut Task, a: &Args) -> SysResult {
    let clock = a.i32(0);
    if !matches!(clock, 0 | 1 | 2 | 3 | 7 | 8 | 9 | 11) {
        return Err(Errno::EINVAL);
    }
    let (value, signo, notify, tid) = if a.addr(1) != 0 {
        let b = t.mm().copy_in_vec(a.addr(1), 20)?;
        let value = u64::from_le_bytes(b[0..8].try_into().unwrap_or([0; 8]));
        let signo = i32::from_le_bytes(b[8..12].try_into().unwrap_or([0; 4]));
        let notify = i32::from_le_bytes(b[12..16].try_into().unwrap_or([0; 4]));
        let tid = i32::from_le_bytes(b[16..20].try_into().unwrap_or([0; 4]));
        (Some(value), signo, notify, tid)
    } else {
        (None, abi::signal::SIGALRM, SIGEV_SIGNAL, 0)
    };
    let thread = match notify {
        SIGEV_NONE => None,
        SIGEV_SIGNAL => {
            ksig::valid(signo)?;
            None
        }
        SIGEV_THREAD_ID => {
            ksig::valid(signo)?;
            match t.k.thread(tid) {
                Some((tg, th)) if Arc::ptr_eq(&tg, &t.tg) => Some(Arc::downgrade(&th)),
                _ => return Err(Errno::EINVAL),
            }
        }
        _ => return Err(Errno::EINVAL),
    };
    let mut timers = t.tg.timers.lock().map_err(|_| Errno::EAGAIN)?;
    let id = (0..)
        .find(|i| !timers.posix.contains_key(i))
        .ok_or(Errno::EAGAIN)?;
    if timers.posix.len() >= 4096 {
        return Err(Errno::EAGAIN);
    }
    let target = Target {
        tg: Arc::downgrade(&t.tg),
        thread,
        signo: if notify == SIGEV_NONE { 0 } else { signo },
        code: SI_TIMER,
        timer_id: id,
        // Without a sigevent the value is the timer id.
        value: value.unwrap_or(id as u64),
    };
    let kid = t.k.timers.create(target);
    if let Err(e) = t.mm().write_u32(a.addr(2), id as u32) {
        t.k.timers.delete(kid);
        return Err(e);
    }
    timers.posix.insert(id, kid);
    Ok(0)
}

const TIMER_ABSTIME: u32 = 1;

pub fn sys_timer_settime(t: &mut Task, a: &Args) -> SysResult {
    let kid = posix_timer(t, a.i32(0))?;
    let (interval, mut value) = read_pairs(t, a.addr(2), 1)?;
    if a.u32(1) & TIMER_ABSTIME != 0 && !value.is_zero() {
        // Absolute on CLOCK_MONOTONIC/REALTIME alike: convert against the realtime clock
        // (both advance together inside the sandbox).
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
        let now = Duration::new(now.tv_sec as u64, now.tv_nsec as u32);
        value = value.saturating_sub(now).max(Duration::from_nanos(1));
    }
    let (rem, iv) =
        t.k.timers
            .set(kid, (!value.is_zero()).then_some(value), interval);
    if a.addr(3) != 0 {
        write_pairs(t, a.addr(3), 1, (iv, rem))?;
    }
    Ok(0)
}

pub fn sys_timer_gettime(t: &mut Task, a: &Args) -> SysResult {
    let kid = posix_timer(t, a.i32(0))?;
    let (rem, iv) = t.k.timers.get(kid);
    write_pairs(t, a.addr(1), 1, (iv, rem))?;
    Ok(0)
}

pub fn sys_timer_getoverrun(t: &mut Task, a: &Args) -> SysResult {
    let kid = posix_timer(t, a.i32(0))?;
    Ok(t.k.timers.overrun(kid))
}

pub fn sys_timer_delete(t: &mut Task, a: &Args) -> SysResult {
    let id = a.i32(0);
    let kid =
        t.tg.timers
            .lock()
            .ok()
            .and_then(|mut x| x.posix.remove(&id))
            .ok_or(Errno::EINVAL)?;
    t.k.timers.delete(kid);
    Ok(0)
}

/// execve: POSIX timers do not survive; ITIMER_REAL does.
pub fn drop_posix_timers(t: &Task) {
    if let Ok(mut timers) = t.tg.timers.lock() {
        for kid in std::mem::take(&mut timers.posix).into_values() {
            t.k.timers.delete(kid);
        }
    }
}
