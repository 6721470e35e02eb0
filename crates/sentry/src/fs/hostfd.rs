//! A host descriptor handed to the sandbox as the application's stdio (moat's own
//! stdin/stdout/stderr, or a pty). Reads and writes go to the host descriptor; a
//! terminal's attributes and window size pass through, so `ls` sees the real terminal.

use super::host::{errno, from_host_stat};
use crate::kernel::waiter::events;
use crate::vfs::{File, FileOps, Stat};
use abi::Errno;
use rustix::event::{PollFd, PollFlags};
use rustix::termios::{OptionalActions, SpecialCodeIndex as Sc, Termios};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

pub const TCGETS: u32 = 0x5401;
pub const TCSETS: u32 = 0x5402;
pub const TCSETSW: u32 = 0x5403;
pub const TCSETSF: u32 = 0x5404;
pub const TIOCGPGRP: u32 = 0x540f;
pub const TIOCSPGRP: u32 = 0x5410;
pub const TIOCGWINSZ: u32 = 0x5413;
pub const TIOCSWINSZ: u32 = 0x5414;
pub const FIONREAD: u32 = 0x541b;

/// Size of the kernel's `struct termios` (TCGETS).
const TERMIOS_SIZE: usize = 36;

/// An inherited host descriptor.
pub struct HostFd {
    fd: OwnedFd,
    tty: bool,
    /// The terminal's foreground process group, in the sandbox's pid space
    /// (0: not set yet, the caller's group is reported).
    fg_pgrp: AtomicI32,
}

impl HostFd {
    /// Wraps stdio descriptor `index` (0, 1, 2) as an open file description.
    pub fn file(fd: OwnedFd, index: usize) -> Result<Arc<File>, Errno> {
        let fl = rustix::fs::fcntl_getfl(fd.as_fd()).map_err(errno)?;
        let acc = (fl & rustix::fs::OFlags::RWMODE).bits();
        let tty = rustix::termios::isatty(fd.as_fd());
        let name = if tty {
            "/dev/console".to_string()
        } else {
            format!("host:[{index}]")
        };
        let ops = HostFd {
            fd,
            tty,
            fg_pgrp: AtomicI32::new(0),
        };
        Ok(File::new(Box::new(ops), None, acc, name))
    }

    fn poll(&self, mask: u32) -> u32 {
        let mut flags = PollFlags::empty();
        if mask & events::IN != 0 {
            flags |= PollFlags::IN;
        }
        if mask & events::OUT != 0 {
            flags |= PollFlags::OUT;
        }
        let mut fds = [PollFd::new(&self.fd, flags)];
        match rustix::event::poll(&mut fds, 0) {
            Ok(0) => 0,
            Ok(_) => u32::from(fds[0].revents().bits()) & (mask | events::HUP | events::ERR),
            Err(_) => events::ERR,
        }
    }

    fn termios_out(t: &Termios) -> [u8; TERMIOS_SIZE] {
        let mut b = [0u8; TERMIOS_SIZE];
        b[0..4].copy_from_slice(&t.input_modes.bits().to_ne_bytes());
        b[4..8].copy_from_slice(&t.output_modes.bits().to_ne_bytes());
        b[8..12].copy_from_slice(&t.control_modes.bits().to_ne_bytes());
        b[12..16].copy_from_slice(&t.local_modes.bits().to_ne_bytes());
        b[16] = t.line_discipline;
        for (idx, pos) in cc_map() {
            b[17 + pos] = t.special_codes[idx];
        }
        b
    }

    fn termios_in(t: &mut Termios, b: &[u8; TERMIOS_SIZE]) {
        let u = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        t.input_modes = rustix::termios::InputModes::from_bits_retain(u(0));
        t.output_modes = rustix::termios::OutputModes::from_bits_retain(u(4));
        t.control_modes = rustix::termios::ControlModes::from_bits_retain(u(8));
        t.local_modes = rustix::termios::LocalModes::from_bits_retain(u(12));
        t.line_discipline = b[16];
        for (idx, pos) in cc_map() {
            t.special_codes[idx] = b[17 + pos];
        }
    }
}

/// rustix's special-code indices and their positions in the kernel's `c_cc`.
fn cc_map() -> [(Sc, usize); 17] {
    [
        (Sc::VINTR, 0),
        (Sc::VQUIT, 1),
        (Sc::VERASE, 2),
        (Sc::VKILL, 3),
        (Sc::VEOF, 4),
        (Sc::VTIME, 5),
        (Sc::VMIN, 6),
        (Sc::VSWTC, 7),
        (Sc::VSTART, 8),
        (Sc::VSTOP, 9),
        (Sc::VSUSP, 10),
        (Sc::VEOL, 11),
        (Sc::VREPRINT, 12),
        (Sc::VDISCARD, 13),
        (Sc::VWERASE, 14),
        (Sc::VLNEXT, 15),
        (Sc::VEOL2, 16),
    ]
}

impl FileOps for HostFd {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        if !buf.is_empty() && self.poll(events::IN) == 0 {
            return Err(Errno::EAGAIN);
        }
        rustix::io::read(self.fd.as_fd(), buf).map_err(errno)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        if !buf.is_empty() && self.poll(events::OUT) == 0 {
            return Err(Errno::EAGAIN);
        }
        rustix::io::write(self.fd.as_fd(), buf).map_err(errno)
    }
    fn seek(&self, off: i64, whence: u32) -> Option<Result<u64, Errno>> {
        let pos = match whence {
            // Passed through as is: the host decides (a device may accept anything).
            0 => rustix::fs::SeekFrom::Start(off as u64),
            1 => rustix::fs::SeekFrom::Current(off),
            2 => rustix::fs::SeekFrom::End(off),
            _ => return Some(Err(Errno::EINVAL)),
        };
        Some(rustix::fs::seek(self.fd.as_fd(), pos).map_err(errno))
    }
    fn stat(&self) -> Option<Result<Stat, Errno>> {
        Some(
            rustix::fs::fstat(self.fd.as_fd())
                .map(|s| from_host_stat(&s))
                .map_err(errno),
        )
    }
    fn readiness(&self, mask: u32) -> u32 {
        self.poll(mask)
    }
    fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        Some(self.fd.as_fd())
    }
    fn writes_whole(&self) -> bool {
        true
    }
    fn pread_at(&self, buf: &mut [u8], off: u64) -> Option<Result<usize, Errno>> {
        Some(rustix::io::pread(self.fd.as_fd(), buf, off).map_err(errno))
    }
    fn pwrite_at(&self, buf: &[u8], off: u64) -> Option<Result<usize, Errno>> {
        Some(rustix::io::pwrite(self.fd.as_fd(), buf, off).map_err(errno))
    }
    fn truncate(&self, size: u64) -> Result<(), Errno> {
        rustix::fs::ftruncate(self.fd.as_fd(), size).map_err(errno)
    }
    fn reopen(&self, _flags: u32) -> Option<Result<Box<dyn FileOps>, Errno>> {
        let fd = match rustix::io::fcntl_dupfd_cloexec(self.fd.as_fd(), 0) {
            Ok(fd) => fd,
            Err(e) => return Some(Err(errno(e))),
        };
        Some(Ok(Box::new(HostFd {
            fd,
            tty: self.tty,
            fg_pgrp: AtomicI32::new(self.fg_pgrp.load(Ordering::Relaxed)),
        })))
    }
    fn nread(&self) -> Option<usize> {
        rustix::io::ioctl_fionread(self.fd.as_fd())
            .ok()
            .map(|n| n as usize)
    }
    fn ioctl(&self, ctx: &crate::vfs::IoctlCtx<'_>, req: u32, arg: u64) -> Result<u64, Errno> {
        let mm = ctx.mm;
        if req == FIONREAD {
            let n = rustix::io::ioctl_fionread(self.fd.as_fd()).map_err(errno)?;
            mm.copy_out(arg, &(n.min(i32::MAX as u64) as i32).to_ne_bytes())?;
            return Ok(0);
        }
        if !self.tty {
            return Err(Errno::ENOTTY);
        }
        match req {
            TCGETS => {
                let t = rustix::termios::tcgetattr(self.fd.as_fd()).map_err(errno)?;
                mm.copy_out(arg, &HostFd::termios_out(&t))?;
                Ok(0)
            }
            TCSETS | TCSETSW | TCSETSF => {
                let mut b = [0u8; TERMIOS_SIZE];
                mm.copy_in(arg, &mut b)?;
                let mut t = rustix::termios::tcgetattr(self.fd.as_fd()).map_err(errno)?;
                HostFd::termios_in(&mut t, &b);
                let act = match req {
                    TCSETS => OptionalActions::Now,
                    TCSETSW => OptionalActions::Drain,
                    _ => OptionalActions::Flush,
                };
                rustix::termios::tcsetattr(self.fd.as_fd(), act, &t).map_err(errno)?;
                Ok(0)
            }
            TIOCGWINSZ => {
                let w = rustix::termios::tcgetwinsize(self.fd.as_fd()).map_err(errno)?;
                let mut b = [0u8; 8];
                b[0..2].copy_from_slice(&w.ws_row.to_ne_bytes());
                b[2..4].copy_from_slice(&w.ws_col.to_ne_bytes());
                b[4..6].copy_from_slice(&w.ws_xpixel.to_ne_bytes());
                b[6..8].copy_from_slice(&w.ws_ypixel.to_ne_bytes());
                mm.copy_out(arg, &b)?;
                Ok(0)
            }
            TIOCSWINSZ => {
                let mut b = [0u8; 8];
                mm.copy_in(arg, &mut b)?;
                let h = |i: usize| u16::from_ne_bytes([b[i], b[i + 1]]);
                let w = rustix::termios::Winsize {
                    ws_row: h(0),
                    ws_col: h(2),
                    ws_xpixel: h(4),
                    ws_ypixel: h(6),
                };
                rustix::termios::tcsetwinsize(self.fd.as_fd(), w).map_err(errno)?;
                Ok(0)
            }
            TIOCGPGRP => {
                let pg = match self.fg_pgrp.load(Ordering::Relaxed) {
                    0 => ctx.pgid,
                    pg => pg,
                };
                mm.copy_out(arg, &pg.to_ne_bytes())?;
                Ok(0)
            }
            TIOCSPGRP => {
                let mut b = [0u8; 4];
                mm.copy_in(arg, &mut b)?;
                let pg = i32::from_ne_bytes(b);
                if pg < 0 {
                    return Err(Errno::EINVAL);
                }
                self.fg_pgrp.store(pg, Ordering::Relaxed);
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }
}
