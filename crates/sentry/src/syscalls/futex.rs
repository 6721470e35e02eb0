//! futex(2) and the thread-exit address (set_tid_address lives with processes).

use super::{Args, SysResult};
use crate::kernel::{futex, Task};
use abi::Errno;
use std::time::{Duration, Instant};

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_REQUEUE: u32 = 3;
const FUTEX_CMP_REQUEUE: u32 = 4;
const FUTEX_WAIT_BITSET: u32 = 9;
const FUTEX_WAKE_BITSET: u32 = 10;
const FUTEX_PRIVATE_FLAG: u32 = 128;
const FUTEX_CLOCK_REALTIME: u32 = 256;

fn timespec(t: &Task, addr: u64) -> Result<Option<(i64, i64)>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let b = t.mm().copy_in_vec(addr, 16)?;
    let s = i64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
    let ns = i64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8]));
    if s < 0 || !(0..1_000_000_000).contains(&ns) {
        return Err(Errno::EINVAL);
    }
    Ok(Some((s, ns)))
}

/// An absolute time on `clock` as an Instant.
fn absolute(clock: rustix::time::ClockId, (s, ns): (i64, i64)) -> Instant {
    let now = rustix::time::clock_gettime(clock);
    let target = s as i128 * 1_000_000_000 + ns as i128;
    let cur = now.tv_sec as i128 * 1_000_000_000 + now.tv_nsec as i128;
    let left = (target - cur).clamp(0, u64::MAX as i128) as u64;
    Instant::now() + Duration::from_nanos(left)
}

pub fn sys_futex(t: &mut Task, a: &Args) -> SysResult {
    let (addr, op, val) = (a.addr(0), a.u32(1), a.u32(2));
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    if realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT {
        return Err(Errno::ENOSYS);
    }
    match cmd {
        FUTEX_WAIT => {
            let deadline = timespec(t, a.addr(3))?
                .map(|(s, ns)| Instant::now() + Duration::new(s as u64, ns as u32));
            futex::wait(t, addr, val, u32::MAX, deadline)
        }
        FUTEX_WAIT_BITSET => {
            let clock = if realtime {
                rustix::time::ClockId::Realtime
            } else {
                rustix::time::ClockId::Monotonic
            };
            let deadline = timespec(t, a.addr(3))?.map(|ts| absolute(clock, ts));
            futex::wait(t, addr, val, a.u32(5), deadline)
        }
        FUTEX_WAKE => futex::wake(t, addr, val, u32::MAX),
        FUTEX_WAKE_BITSET => futex::wake(t, addr, val, a.u32(5)),
        FUTEX_REQUEUE => futex::requeue(t, addr, a.addr(4), val, a.u32(3), None),
        FUTEX_CMP_REQUEUE => futex::requeue(t, addr, a.addr(4), val, a.u32(3), Some(a.u32(5))),
        _ => {
            t.k.log_unimplemented_feature("futex operation other than WAIT/WAKE/REQUEUE/BITSET");
            Err(Errno::ENOSYS)
        }
    }
}
