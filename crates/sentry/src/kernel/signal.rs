//! Signal state of a thread group, and delivery to a task.
//!
//! Sending marks the signal pending and kicks the target out of whatever it is doing
//! (its waiter for blocking calls, the platform interrupter for application code).
//! The task itself takes pending signals at the top of its loop and applies the action:
//! default (terminate, ignore, stop, continue), ignore, or a handler, for which a Linux
//! `rt_sigframe` is pushed on the application stack and undone by `rt_sigreturn`.

use abi::signal::{self as sig, DefaultAction};
use abi::Errno;

pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
pub const SA_NOCLDSTOP: u64 = 0x1;
pub const SA_NOCLDWAIT: u64 = 0x2;
pub const SA_SIGINFO: u64 = 0x4;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
const SA_EXPOSE_TAGBITS: u64 = 0x800;
/// The sa_flags bits Linux keeps.
const UAPI_SA_FLAGS: u64 = SA_NOCLDSTOP
    | SA_NOCLDWAIT
    | SA_SIGINFO
    | SA_ONSTACK
    | SA_RESTART
    | SA_NODEFER
    | SA_RESETHAND
    | SA_EXPOSE_TAGBITS
    | SA_RESTORER;

/// The signals that can be neither caught, blocked nor ignored.
pub const UNBLOCKABLE: u64 = bit(sig::SIGKILL) | bit(sig::SIGSTOP);

pub const fn bit(signo: i32) -> u64 {
    1u64 << (signo - 1)
}

/// A signal number known to be in 1..=64.
pub fn valid(signo: i32) -> Result<i32, Errno> {
    if (1..=sig::SIGRTMAX).contains(&signo) {
        Ok(signo)
    } else {
        Err(Errno::EINVAL)
    }
}

/// `struct sigaction` as the kernel sees it (x86-64 layout).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

impl SigAction {
    pub const SIZE: usize = 32;

    pub fn decode(b: &[u8; 32]) -> SigAction {
        let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        // Unknown flags (such as SA_UNSUPPORTED, used to probe) are dropped, as on Linux.
        SigAction {
            handler: w(0),
            flags: w(1) & UAPI_SA_FLAGS,
            restorer: w(2),
            mask: w(3),
        }
    }

    pub fn encode(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for (i, v) in [self.handler, self.flags, self.restorer, self.mask]
            .iter()
            .enumerate()
        {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        b
    }
}

/// Who sent a signal and why, for siginfo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: i32,
    pub code: i32,
    pub pid: i32,
    pub uid: u32,
    /// Fault address (SIGSEGV...) or child status (SIGCHLD).
    pub addr: u64,
    pub status: i32,
}

pub const SI_USER: i32 = 0;
pub const SI_TKILL: i32 = -6;
pub const SI_KERNEL: i32 = 0x80;
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;

impl SigInfo {
    /// Linux `siginfo_t` bytes (128).
    pub fn encode(&self) -> [u8; 128] {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&self.signo.to_le_bytes());
        b[8..12].copy_from_slice(&self.code.to_le_bytes());
        match self.signo {
            sig::SIGSEGV | sig::SIGBUS | sig::SIGILL | sig::SIGFPE | sig::SIGTRAP
                if self.code > 0 =>
            {
                b[16..24].copy_from_slice(&self.addr.to_le_bytes());
            }
            _ if self.code == super::timers::SI_TIMER => {
                // A POSIX timer: timer id, overrun count, the sigval.
                b[16..20].copy_from_slice(&self.pid.to_le_bytes());
                b[20..24].copy_from_slice(&self.status.to_le_bytes());
                b[24..32].copy_from_slice(&self.addr.to_le_bytes());
            }
            sig::SIGCHLD => {
                b[16..20].copy_from_slice(&self.pid.to_le_bytes());
                b[20..24].copy_from_slice(&self.uid.to_le_bytes());
                b[24..28].copy_from_slice(&self.status.to_le_bytes());
            }
            _ => {
                b[16..20].copy_from_slice(&self.pid.to_le_bytes());
                b[20..24].copy_from_slice(&self.uid.to_le_bytes());
            }
        }
        b
    }
}

/// A set of pending signals with the siginfo of each (standard signals coalesce).
#[derive(Clone)]
pub struct Pending {
    pub bits: u64,
    infos: [SigInfo; 64],
}

impl Default for Pending {
    fn default() -> Self {
        Pending {
            bits: 0,
            infos: [SigInfo::default(); 64],
        }
    }
}

impl Pending {
    pub fn post(&mut self, info: SigInfo) {
        let s = info.signo;
        if s == sig::SIGCONT || s == sig::SIGKILL {
            self.bits &= !STOP_SIGNALS;
        }
        if STOP_SIGNALS & bit(s) != 0 {
            self.bits &= !bit(sig::SIGCONT);
        }
        if self.bits & bit(s) == 0 {
            self.infos[(s - 1) as usize] = info;
        }
        self.bits |= bit(s);
    }

    /// Takes the next signal not in `blocked`: SIGKILL first, then the lowest number.
    pub fn take(&mut self, blocked: u64) -> Option<SigInfo> {
        let ready = self.bits & (!blocked | UNBLOCKABLE);
        if ready == 0 {
            return None;
        }
        let s = if ready & bit(sig::SIGKILL) != 0 {
            sig::SIGKILL
        } else {
            ready.trailing_zeros() as i32 + 1
        };
        self.bits &= !bit(s);
        Some(self.infos[(s - 1) as usize])
    }

    pub fn discard(&mut self, signo: i32) {
        self.bits &= !bit(signo);
    }
}

pub const STOP_SIGNALS: u64 =
    bit(sig::SIGSTOP) | bit(sig::SIGTSTP) | bit(sig::SIGTTIN) | bit(sig::SIGTTOU);

/// Signal state shared by a thread group: actions and process-directed signals.
/// Guarded by `ThreadGroup::sig`.
pub struct ProcessSignals {
    pub actions: [SigAction; 64],
    pub pending: Pending,
}

impl Default for ProcessSignals {
    fn default() -> Self {
        ProcessSignals {
            actions: [SigAction::default(); 64],
            pending: Pending::default(),
        }
    }
}

/// Per-thread signal state: mask, thread-directed signals, alternate stack.
/// Guarded by `TaskShared::sig`.
#[derive(Clone)]
pub struct ThreadSignals {
    pub blocked: u64,
    pub pending: Pending,
    /// Mask to restore after rt_sigsuspend-style temporary masks.
    pub saved_mask: Option<u64>,
    pub altstack: (u64, i32, u64),
}

impl Default for ThreadSignals {
    fn default() -> Self {
        ThreadSignals {
            blocked: 0,
            pending: Pending::default(),
            saved_mask: None,
            altstack: (0, 2 /* SS_DISABLE */, 0),
        }
    }
}

/// What the task must do about a signal it took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Ignore,
    Terminate { core: bool },
    Stop,
    Continue,
    Handler(SigAction),
}

impl ProcessSignals {
    pub fn action(&self, signo: i32) -> SigAction {
        self.actions[(signo - 1) as usize]
    }

    pub fn set_action(&mut self, signo: i32, a: SigAction) {
        self.actions[(signo - 1) as usize] = a;
    }

    /// Whether a signal would be discarded at generation time (ignored).
    pub fn is_ignored(&self, signo: i32) -> bool {
        let a = self.action(signo);
        match a.handler {
            SIG_IGN => true,
            SIG_DFL => sig::default_action(signo) == DefaultAction::Ignore,
            _ => false,
        }
    }

    pub fn disposition(&self, signo: i32) -> Disposition {
        if signo == sig::SIGKILL {
            return Disposition::Terminate { core: false };
        }
        if signo == sig::SIGSTOP {
            return Disposition::Stop;
        }
        let a = self.action(signo);
        match a.handler {
            SIG_IGN => Disposition::Ignore,
            SIG_DFL => match sig::default_action(signo) {
                DefaultAction::Terminate => Disposition::Terminate { core: false },
                DefaultAction::CoreDump => Disposition::Terminate { core: true },
                DefaultAction::Ignore => Disposition::Ignore,
                DefaultAction::Stop => Disposition::Stop,
                DefaultAction::Continue => Disposition::Continue,
            },
            _ => Disposition::Handler(a),
        }
    }

    /// execve: handlers revert to default, ignored stay ignored.
    pub fn reset_for_exec(&mut self) {
        for a in self.actions.iter_mut() {
            if a.handler != SIG_IGN {
                *a = SigAction::default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_respects_mask_and_priority() {
        let mut p = Pending::default();
        p.post(SigInfo {
            signo: sig::SIGUSR1,
            ..Default::default()
        });
        p.post(SigInfo {
            signo: sig::SIGTERM,
            ..Default::default()
        });
        assert_eq!(
            p.take(bit(sig::SIGUSR1)).map(|i| i.signo),
            Some(sig::SIGTERM)
        );
        assert_eq!(p.take(bit(sig::SIGUSR1)), None);
        p.post(SigInfo {
            signo: sig::SIGKILL,
            ..Default::default()
        });
        assert_eq!(p.take(u64::MAX).map(|i| i.signo), Some(sig::SIGKILL));
    }

    #[test]
    fn sigcont_clears_pending_stops() {
        let mut p = Pending::default();
        p.post(SigInfo {
            signo: sig::SIGTSTP,
            ..Default::default()
        });
        p.post(SigInfo {
            signo: sig::SIGCONT,
            ..Default::default()
        });
        assert_eq!(p.bits, bit(sig::SIGCONT));
    }

    #[test]
    fn sigaction_round_trip() {
        let a = SigAction {
            handler: 0x401000,
            flags: SA_RESTORER | SA_SIGINFO,
            restorer: 0x402000,
            mask: 5,
        };
        assert_eq!(SigAction::decode(&a.encode()), a);
    }

    #[test]
    fn default_dispositions() {
        let p = ProcessSignals::default();
        assert_eq!(p.disposition(sig::SIGCHLD), Disposition::Ignore);
        assert_eq!(
            p.disposition(sig::SIGSEGV),
            Disposition::Terminate { core: true }
        );
        assert_eq!(p.disposition(sig::SIGTSTP), Disposition::Stop);
        assert!(p.is_ignored(sig::SIGURG));
    }
}
