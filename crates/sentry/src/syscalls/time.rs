//! Clocks and sleeps.

use super::{Args, SysResult};
use crate::kernel::Task;
use abi::Errno;
use rustix::time::{clock_gettime, ClockId};
use std::time::{Duration, Instant};

const NSEC: i64 = 1_000_000_000;

fn clock(id: i32) -> Result<ClockId, Errno> {
    Ok(match id {
        0 | 5 | 8 | 11 => ClockId::Realtime,
        1 | 4 | 6 => ClockId::Monotonic,
        7 | 9 => ClockId::Boottime,
        2 => ClockId::ProcessCPUTime,
        3 => ClockId::ThreadCPUTime,
        _ => return Err(Errno::EINVAL),
    })
}

fn now(id: i32) -> Result<(i64, i64), Errno> {
    let ts = clock_gettime(clock(id)?);
    Ok((ts.tv_sec, ts.tv_nsec))
}

fn put_timespec(t: &Task, addr: u64, (s, ns): (i64, i64)) -> Result<(), Errno> {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&s.to_le_bytes());
    b[8..].copy_from_slice(&ns.to_le_bytes());
    t.mm().copy_out(addr, &b)
}

fn get_timespec(t: &Task, addr: u64) -> Result<(i64, i64), Errno> {
    let b = t.mm().copy_in_vec(addr, 16)?;
    let s = i64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
    let ns = i64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8]));
    if s < 0 || !(0..NSEC).contains(&ns) {
        return Err(Errno::EINVAL);
    }
    Ok((s, ns))
}

pub fn sys_clock_gettime(t: &mut Task, a: &Args) -> SysResult {
    let ts = now(a.i32(0))?;
    put_timespec(t, a.addr(1), ts)?;
    Ok(0)
}

pub fn sys_clock_getres(t: &mut Task, a: &Args) -> SysResult {
    let id = a.i32(0);
    clock(id)?;
    if a.addr(1) != 0 {
        let res = if id == 5 || id == 6 { 4_000_000 } else { 1 };
        put_timespec(t, a.addr(1), (0, res))?;
    }
    Ok(0)
}

pub fn sys_gettimeofday(t: &mut Task, a: &Args) -> SysResult {
    if a.addr(0) != 0 {
        let (s, ns) = now(0)?;
        put_timespec(t, a.addr(0), (s, ns / 1000))?;
    }
    if a.addr(1) != 0 {
        t.mm().copy_out(a.addr(1), &[0u8; 8])?;
    }
    Ok(0)
}

pub fn sys_time(t: &mut Task, a: &Args) -> SysResult {
    let (s, _) = now(0)?;
    if a.addr(0) != 0 {
        t.mm().write_u64(a.addr(0), s as u64)?;
    }
    Ok(s as u64)
}

/// Sleeps for `d`; on interruption writes the time left to `rem` (if non-NULL).
fn sleep_for(t: &mut Task, d: Duration, rem: u64) -> SysResult {
    let deadline = Instant::now() + d;
    match t.sleep_until(deadline) {
        Ok(()) => Ok(0),
        Err(e) => {
            if rem != 0 {
                let left = deadline.saturating_duration_since(Instant::now());
                put_timespec(t, rem, (left.as_secs() as i64, left.subsec_nanos() as i64))?;
            }
            Err(if e == Errno::ERESTARTSYS {
                Errno::ERESTART_RESTARTBLOCK
            } else {
                e
            })
        }
    }
}

fn duration((s, ns): (i64, i64)) -> Duration {
    Duration::new(s as u64, ns as u32)
}

pub fn sys_nanosleep(t: &mut Task, a: &Args) -> SysResult {
    let req = get_timespec(t, a.addr(0))?;
    sleep_for(t, duration(req), a.addr(1))
}

const TIMER_ABSTIME: u32 = 1;

pub fn sys_clock_nanosleep(t: &mut Task, a: &Args) -> SysResult {
    let id = a.i32(0);
    // Linux reads the request before it looks at the clock.
    let req = get_timespec(t, a.addr(2))?;
    clock(id)?;
    if matches!(id, 2 | 3) {
        return Err(Errno::EOPNOTSUPP);
    }
    if a.u32(1) & TIMER_ABSTIME != 0 {
        let (s, ns) = now(id)?;
        let target = req.0 as i128 * NSEC as i128 + req.1 as i128;
        let cur = s as i128 * NSEC as i128 + ns as i128;
        let left = (target - cur).max(0) as u128;
        let d = Duration::from_nanos(left.min(u64::MAX as u128) as u64);
        return sleep_for(t, d, 0).map_err(|e| {
            if e == Errno::ERESTART_RESTARTBLOCK {
                Errno::ERESTARTNOHAND
            } else {
                e
            }
        });
    }
    sleep_for(t, duration(req), a.addr(3))
}
