//! Signal syscalls: rt_sigaction, rt_sigprocmask, rt_sigreturn, rt_sigpending,
//! rt_sigsuspend, sigaltstack. (kill/tkill/tgkill live with processes.)

use super::{Args, Flow, SysResult};
use crate::kernel::signal::{self as ksig, SigAction, UNBLOCKABLE};
use crate::kernel::Task;
use abi::signal::{SIGKILL, SIGSTOP};
use abi::Errno;

const SIGSET_SIZE: usize = 8;

pub fn sys_rt_sigaction(t: &mut Task, a: &Args) -> SysResult {
    let signo = ksig::valid(a.i32(0))?;
    if a.usize(3) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let new = if a.addr(1) != 0 {
        if signo == SIGKILL || signo == SIGSTOP {
            return Err(Errno::EINVAL);
        }
        let mut b = [0u8; SigAction::SIZE];
        t.mm().copy_in(a.addr(1), &mut b)?;
        let mut act = SigAction::decode(&b);
        act.mask &= !UNBLOCKABLE;
        Some(act)
    } else {
        None
    };
    let old = {
        let mut s = t.tg.sig.lock().map_err(|_| Errno::EAGAIN)?;
        let old = s.action(signo);
        if let Some(act) = new {
            s.set_action(signo, act);
            // Setting a signal to be ignored discards it wherever it is pending.
            if s.is_ignored(signo) {
                s.pending.discard(signo);
                for th in t.tg.threads() {
                    if let Ok(mut ts) = th.sig.lock() {
                        ts.pending.discard(signo);
                    }
                }
            }
        }
        old
    };
    if a.addr(2) != 0 {
        t.mm().copy_out(a.addr(2), &old.encode())?;
    }
    Ok(0)
}

const SIG_BLOCK: i32 = 0;
const SIG_UNBLOCK: i32 = 1;
const SIG_SETMASK: i32 = 2;

pub fn sys_rt_sigprocmask(t: &mut Task, a: &Args) -> SysResult {
    if a.usize(3) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let how = a.i32(0);
    let set = if a.addr(1) != 0 {
        Some(t.mm().read_u64(a.addr(1))?)
    } else {
        None
    };
    if set.is_some() && !(SIG_BLOCK..=SIG_SETMASK).contains(&how) {
        return Err(Errno::EINVAL);
    }
    let old = {
        let mut s = t.shared.sig.lock().map_err(|_| Errno::EAGAIN)?;
        let old = s.blocked;
        if let Some(set) = set {
            let new = match how {
                SIG_BLOCK => old | set,
                SIG_UNBLOCK => old & !set,
                _ => set,
            };
            s.blocked = new & !UNBLOCKABLE;
        }
        old
    };
    if a.addr(2) != 0 {
        t.mm().write_u64(a.addr(2), old)?;
    }
    Ok(0)
}

pub fn sys_rt_sigreturn(t: &mut Task, _: &Args) -> Result<Flow, Errno> {
    match crate::kernel::sigreturn(t) {
        Ok(()) => Ok(Flow::RegsSet),
        Err(_) => {
            // A corrupt frame kills the process, as on Linux.
            t.send_signal_self(abi::signal::SIGSEGV);
            Ok(Flow::RegsSet)
        }
    }
}

pub fn sys_rt_sigpending(t: &mut Task, a: &Args) -> SysResult {
    if a.usize(1) > SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let shared =
        t.tg.sig
            .lock()
            .map(|s| s.pending.bits)
            .map_err(|_| Errno::EAGAIN)?;
    let pending = t
        .shared
        .sig
        .lock()
        .map(|s| (s.pending.bits | shared) & s.blocked)
        .map_err(|_| Errno::EAGAIN)?;
    let bytes = pending.to_le_bytes();
    t.mm().copy_out(a.addr(0), &bytes[..a.usize(1)])?;
    Ok(0)
}

pub fn sys_rt_sigsuspend(t: &mut Task, a: &Args) -> SysResult {
    if a.usize(1) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let mask = t.mm().read_u64(a.addr(0))?;
    {
        let mut s = t.shared.sig.lock().map_err(|_| Errno::EAGAIN)?;
        s.saved_mask = Some(s.blocked);
        s.blocked = mask & !UNBLOCKABLE;
    }
    wait_for_signal(t)
}

/// Sleeps until a signal is delivered; the call then fails with EINTR (after the
/// handler) or restarts transparently if no handler ran.
fn wait_for_signal(t: &mut Task) -> SysResult {
    // Nothing but a signal ends the wait: an empty queue is never notified.
    let q = crate::kernel::waiter::WaitQueue::new();
    match t.block_on(&q, 0, None, |_| Err::<(), _>(Errno::EAGAIN)) {
        Err(e) if e != Errno::ERESTARTSYS => Err(e),
        _ => Err(Errno::ERESTARTNOHAND),
    }
}

pub fn sys_pause(t: &mut Task, _: &Args) -> SysResult {
    wait_for_signal(t)
}

const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
const MINSIGSTKSZ: u64 = 2048;

pub fn sys_sigaltstack(t: &mut Task, a: &Args) -> SysResult {
    let cur = t
        .shared
        .sig
        .lock()
        .map(|s| s.altstack)
        .map_err(|_| Errno::EAGAIN)?;
    let (sp, flags, size) = cur;
    let on = flags == 0 && t.regs.rsp.wrapping_sub(sp) < size;
    let new = if a.addr(0) != 0 {
        let b = t.mm().copy_in_vec(a.addr(0), 24)?;
        let nsp = u64::from_le_bytes(b[0..8].try_into().unwrap_or([0; 8]));
        let nflags = i32::from_le_bytes(b[8..12].try_into().unwrap_or([0; 4]));
        let nsize = u64::from_le_bytes(b[16..24].try_into().unwrap_or([0; 8]));
        if on {
            return Err(Errno::EPERM);
        }
        if nflags & !(SS_DISABLE | (1 << 31)) != 0 {
            return Err(Errno::EINVAL);
        }
        if nflags & SS_DISABLE != 0 {
            Some((0, SS_DISABLE, 0))
        } else {
            if nsize < MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            Some((nsp, 0, nsize))
        }
    } else {
        None
    };
    if a.addr(1) != 0 {
        let mut b = [0u8; 24];
        b[0..8].copy_from_slice(&sp.to_le_bytes());
        let shown = if on { SS_ONSTACK } else { flags };
        b[8..12].copy_from_slice(&shown.to_le_bytes());
        b[16..24].copy_from_slice(&size.to_le_bytes());
        t.mm().copy_out(a.addr(1), &b)?;
    }
    if let Some(n) = new {
        if let Ok(mut s) = t.shared.sig.lock() {
            s.altstack = n;
        }
    }
    Ok(0)
}
