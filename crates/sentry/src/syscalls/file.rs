//! File descriptor I/O: read/write and friends, the fd table calls, pipes, ioctl,
//! getdents64, poll/select.
//!
//! Handlers: sys_read, sys_write, sys_readv, sys_writev, sys_pread64, sys_pwrite64,
//! sys_preadv, sys_pwritev, sys_lseek, sys_close, sys_close_range, sys_dup, sys_dup2,
//! sys_dup3, sys_fcntl, sys_ioctl, sys_pipe, sys_pipe2, sys_getdents64, sys_poll,
//! sys_ppoll, sys_select, sys_pselect6, sys_fsync, sys_fdatasync, sys_sendfile.
//!
//! Blocking: file operations return EAGAIN; these handlers sleep on the file's wait
//! queue (`Task::block_on`) unless the file is O_NONBLOCK. Host descriptors (stdio)
//! have no queue anyone notifies, so waits on them re-check every `HOST_POLL`.

use super::strace::Arg::{self, *};
use super::table::Support::{self, *};
use super::{Args, Handler, SysResult};
use crate::kernel::waiter::{events, WaitQueue};
use crate::kernel::Task;
use crate::vfs::{File, IoctlCtx};
use abi::Errno;
use std::sync::Arc;
use std::time::{Duration, Instant};

use Handler::Plain as P;

#[rustfmt::skip]
pub const HANDLERS: &[(u64, Handler, Support, &[Arg])] = &[
    (0, P(sys_read), Full, &[Fd, Ptr, Size]),
    (1, P(sys_write), Full, &[Fd, Ptr, Size]),
    (3, P(sys_close), Full, &[Fd]),
    (7, P(sys_poll), Full, &[Ptr, Int, Int]),
    (8, P(sys_lseek), Full, &[Fd, Int, Int]),
    (16, P(sys_ioctl), Partial("terminal, FIONREAD, FIONBIO, FIOCLEX"), &[Fd, Hex, Hex]),
    (17, P(sys_pread64), Full, &[Fd, Ptr, Size, Int]),
    (18, P(sys_pwrite64), Full, &[Fd, Ptr, Size, Int]),
    (19, P(sys_readv), Full, &[Fd, Ptr, Int]),
    (20, P(sys_writev), Full, &[Fd, Ptr, Int]),
    (22, P(sys_pipe), Full, &[Ptr]),
    (23, P(sys_select), Full, &[Int, Ptr, Ptr, Ptr, Ptr]),
    (32, P(sys_dup), Full, &[Fd]),
    (33, P(sys_dup2), Full, &[Fd, Fd]),
    (40, P(sys_sendfile), Full, &[Fd, Fd, Ptr, Size]),
    (72, P(sys_fcntl), Partial("no deadlock detection for F_SETLKW"), &[Fd, Int, Hex]),
    (74, P(sys_fsync), Full, &[Fd]),
    (75, P(sys_fdatasync), Full, &[Fd]),
    (217, P(sys_getdents64), Full, &[Fd, Ptr, Size]),
    (270, P(sys_pselect6), Partial("signal mask argument ignored"), &[Int, Ptr, Ptr, Ptr, Ptr, Ptr]),
    (271, P(sys_ppoll), Partial("signal mask argument ignored"), &[Ptr, Int, Ptr, Ptr, Size]),
    (292, P(sys_dup3), Full, &[Fd, Fd, Hex]),
    (293, P(sys_pipe2), Full, &[Ptr, Hex]),
    (295, P(sys_preadv), Full, &[Fd, Ptr, Int, Int]),
    (296, P(sys_pwritev), Full, &[Fd, Ptr, Int, Int]),
    (436, P(sys_close_range), Full, &[Int, Int, Hex]),
    (73, P(sys_flock), Full, &[Fd, Hex]),
    (162, P(sys_sync), Full, &[]),
    (187, P(sys_readahead), Full, &[Fd, Int, Size]),
    (221, P(sys_fadvise64), Full, &[Fd, Int, Int, Int]),
    (285, P(sys_fallocate), Partial("mode 0 only"), &[Fd, Hex, Int, Int]),
    (306, P(sys_syncfs), Full, &[Fd]),
    (319, P(sys_memfd_create), Partial("no seals"), &[Path, Hex]),
    (213, P(sys_epoll_create), Full, &[Int]),
    (284, P(sys_eventfd), Full, &[Int]),
    (290, P(sys_eventfd2), Full, &[Int, Hex]),
    (291, P(sys_epoll_create1), Full, &[Hex]),
    (233, P(sys_epoll_ctl), Partial("EPOLLET reported level-triggered; no nested epoll"), &[Fd, Int, Fd, Ptr]),
    (232, P(sys_epoll_wait), Full, &[Fd, Ptr, Int, Int]),
    (281, P(sys_epoll_pwait), Partial("signal mask argument ignored"), &[Fd, Ptr, Int, Int, Ptr, Size]),
    (441, P(sys_epoll_pwait2), Partial("signal mask argument ignored"), &[Fd, Ptr, Int, Ptr, Ptr, Size]),
];

/// Largest byte count one read or write moves (Linux's MAX_RW_COUNT).
pub const MAX_RW_COUNT: usize = 0x7fff_f000;
/// End of the user address range (TASK_SIZE_MAX on x86-64).
const TASK_SIZE: u64 = 0x7fff_ffff_f000;
/// How often waits on host descriptors look again.
const HOST_POLL: Duration = Duration::from_millis(10);
/// Most iovecs one readv/writev takes (UIO_MAXIOV).
const UIO_MAXIOV: usize = 1024;

const SIGPIPE: i32 = 13;

/// Whether `[addr, addr+len)` lies in the user half (Linux's access_ok): a range
/// check only, the copy itself reports unmapped pages.
pub fn access_ok(addr: u64, len: usize) -> bool {
    addr.checked_add(len as u64)
        .is_some_and(|end| end <= TASK_SIZE)
}

const PAGE: u64 = 4096;

/// Copies `data` to `addr` as far as the memory is mapped, like Linux's
/// copy_to_user: the count copied, EFAULT only if nothing could be.
pub(crate) fn copy_out_partial(t: &Task, addr: u64, data: &[u8]) -> Result<usize, Errno> {
    if t.mm().copy_out(addr, data).is_ok() {
        return Ok(data.len());
    }
    let mut done = 0usize;
    while done < data.len() {
        let a = addr + done as u64;
        let n = ((PAGE - a % PAGE) as usize).min(data.len() - done);
        if t.mm().copy_out(a, &data[done..done + n]).is_err() {
            break;
        }
        done += n;
    }
    if done == 0 {
        Err(Errno::EFAULT)
    } else {
        Ok(done)
    }
}

/// Fills `buf` from `addr` as far as the memory is mapped (copy_from_user).
pub(crate) fn copy_in_partial(t: &Task, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    if t.mm().copy_in(addr, buf).is_ok() {
        return Ok(buf.len());
    }
    let mut done = 0usize;
    while done < buf.len() {
        let a = addr + done as u64;
        let n = ((PAGE - a % PAGE) as usize).min(buf.len() - done);
        if t.mm().copy_in(a, &mut buf[done..done + n]).is_err() {
            break;
        }
        done += n;
    }
    if done == 0 {
        Err(Errno::EFAULT)
    } else {
        Ok(done)
    }
}

/// The fd table's limit follows RLIMIT_NOFILE (and /proc learns who the caller is).
pub(crate) fn sync_limit(t: &Task) {
    crate::fs::proc::set_caller(t.pid(), &t.fds, &t.fs.cwd, &t.fs.root, &t.exe);
    t.fds.set_limit(t.rlimits[7].0);
}

/// Installs `file` at the lowest free descriptor.
pub(crate) fn install(t: &Task, file: Arc<File>, cloexec: bool) -> Result<i32, Errno> {
    sync_limit(t);
    t.fds.install(file, cloexec)
}

/// The caller's process group (for terminal ioctls).
fn pgid(t: &Task) -> i32 {
    t.k.tree
        .lock()
        .ok()
        .and_then(|tree| t.node(&tree).map(|n| n.pgid))
        .unwrap_or_else(|| t.pid())
}

/// Runs `attempt` until it stops saying EAGAIN, sleeping between tries unless the file
/// is non-blocking. `mask` is the readiness awaited (events::IN or OUT).
fn wait_io<T>(
    t: &mut Task,
    file: &Arc<File>,
    mask: u32,
    mut attempt: impl FnMut(&mut Task) -> Result<T, Errno>,
) -> Result<T, Errno> {
    if file.nonblocking() {
        return attempt(t);
    }
    if let Some(q) = file.ops().wait_queue() {
        return t.block_on(q, mask, None, attempt);
    }
    if file.ops().host_fd().is_none() {
        return attempt(t);
    }
    let idle = WaitQueue::new();
    loop {
        match t.block_on(&idle, mask, Some(Instant::now() + HOST_POLL), &mut attempt) {
            Err(e) if e == Errno::ETIMEDOUT => continue,
            r => return r,
        }
    }
}

/// A user iovec array.
struct IoVecs {
    v: Vec<(u64, usize)>,
    total: usize,
}

impl IoVecs {
    fn read(t: &Task, addr: u64, cnt: i32) -> Result<IoVecs, Errno> {
        let cnt = usize::try_from(cnt).map_err(|_| Errno::EINVAL)?;
        if cnt > UIO_MAXIOV {
            return Err(Errno::EINVAL);
        }
        let raw = t.mm().copy_in_vec(addr, cnt * 16)?;
        let mut v = Vec::with_capacity(cnt);
        let mut total = 0usize;
        for c in raw.chunks_exact(16) {
            let base = u64::from_ne_bytes(c[0..8].try_into().map_err(|_| Errno::EFAULT)?);
            let len = u64::from_ne_bytes(c[8..16].try_into().map_err(|_| Errno::EFAULT)?);
            if len > isize::MAX as u64 {
                return Err(Errno::EINVAL);
            }
            let len = (len as usize).min(MAX_RW_COUNT - total);
            if !access_ok(base, len) {
                return Err(Errno::EFAULT);
            }
            total += len;
            v.push((base, len));
        }
        Ok(IoVecs { v, total })
    }

    /// Calls `f(addr, range in data)` for the part of the vectors covering
    /// `[off, off+len)` of the concatenated buffers.
    fn each(
        &self,
        off: usize,
        len: usize,
        mut f: impl FnMut(u64, std::ops::Range<usize>) -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        let mut base_off = 0usize;
        let end = off + len;
        for &(addr, l) in &self.v {
            let (s, e) = (base_off, base_off + l);
            base_off = e;
            if e <= off || l == 0 {
                continue;
            }
            if s >= end {
                break;
            }
            let from = off.max(s);
            let to = end.min(e);
            f(addr + (from - s) as u64, (from - off)..(to - off))?;
        }
        Ok(())
    }
}

fn do_read(t: &mut Task, fd: i32, addr: u64, len: usize, at: Option<u64>) -> SysResult {
    let file = t.fds.get(fd)?;
    if !file.readable() {
        return Err(Errno::EBADF);
    }
    let len = len.min(MAX_RW_COUNT);
    if !access_ok(addr, len) {
        return Err(Errno::EFAULT);
    }
    let f = file.clone();
    let n = wait_io(t, &file, events::IN, |t| {
        f.read_into(len, at, |off, data| {
            copy_out_partial(t, addr + off as u64, data)
        })
    })?;
    Ok(n as u64)
}

/// Fills a write's kernel buffer: (task, offset in the request, buffer) → bytes filled.
type Filler<'a> = dyn Fn(&Task, usize, &mut [u8]) -> Result<usize, Errno> + 'a;

/// Writes everything (blocking files write all of it unless interrupted), SIGPIPE on EPIPE.
fn do_write(
    t: &mut Task,
    file: &Arc<File>,
    len: usize,
    at: Option<u64>,
    fill: &Filler<'_>,
) -> SysResult {
    let mut done = 0usize;
    loop {
        let f = file.clone();
        let r = wait_io(t, file, events::OUT, |t| {
            f.write_from(len - done, at.map(|a| a + done as u64), |off, buf| {
                fill(t, done + off, buf)
            })
        });
        match r {
            Ok(n) => {
                done += n;
                if done >= len || n == 0 || file.nonblocking() || !file.ops().writes_whole() {
                    return Ok(done as u64);
                }
            }
            Err(e) => {
                if e == Errno::EPIPE {
                    t.send_signal_self(SIGPIPE);
                }
                if done > 0 && (e == Errno::ERESTARTSYS || e == Errno::EAGAIN || e == Errno::EPIPE)
                {
                    return Ok(done as u64);
                }
                return Err(e);
            }
        }
    }
}

pub fn sys_read(t: &mut Task, a: &Args) -> SysResult {
    do_read(t, a.fd(0), a.addr(1), a.usize(2), None)
}

pub fn sys_write(t: &mut Task, a: &Args) -> SysResult {
    let file = t.fds.get(a.fd(0))?;
    if !file.writable() {
        return Err(Errno::EBADF);
    }
    let (addr, len) = (a.addr(1), a.usize(2).min(MAX_RW_COUNT));
    if !access_ok(addr, len) {
        return Err(Errno::EFAULT);
    }
    do_write(t, &file, len, None, &|t, off, buf| {
        copy_in_partial(t, addr + off as u64, buf)
    })
}

fn offset_arg(v: i64) -> Result<u64, Errno> {
    u64::try_from(v).map_err(|_| Errno::EINVAL)
}

pub fn sys_pread64(t: &mut Task, a: &Args) -> SysResult {
    // Linux checks the offset before the descriptor.
    let off = offset_arg(a.i64(3))?;
    let file = t.fds.get(a.fd(0))?;
    if !file.readable() {
        return Err(Errno::EBADF);
    }
    do_read(t, a.fd(0), a.addr(1), a.usize(2), Some(off))
}

pub fn sys_pwrite64(t: &mut Task, a: &Args) -> SysResult {
    let off = offset_arg(a.i64(3))?;
    let file = t.fds.get(a.fd(0))?;
    if !file.writable() {
        return Err(Errno::EBADF);
    }
    let (addr, len) = (a.addr(1), a.usize(2).min(MAX_RW_COUNT));
    if !access_ok(addr, len) {
        return Err(Errno::EFAULT);
    }
    do_write(t, &file, len, Some(off), &|t, o, buf| {
        copy_in_partial(t, addr + o as u64, buf)
    })
}

fn do_readv(t: &mut Task, a: &Args, at: Option<u64>) -> SysResult {
    let file = t.fds.get(a.fd(0))?;
    if !file.readable() {
        return Err(Errno::EBADF);
    }
    let iov = IoVecs::read(t, a.addr(1), a.i32(2))?;
    let f = file.clone();
    let n = wait_io(t, &file, events::IN, |t| {
        f.read_into(iov.total, at, |off, data| {
            iov.each(off, data.len(), |addr, r| t.mm().copy_out(addr, &data[r]))?;
            Ok(data.len())
        })
    })?;
    Ok(n as u64)
}

fn do_writev(t: &mut Task, a: &Args, at: Option<u64>) -> SysResult {
    let file = t.fds.get(a.fd(0))?;
    if !file.writable() {
        return Err(Errno::EBADF);
    }
    let iov = IoVecs::read(t, a.addr(1), a.i32(2))?;
    do_write(t, &file, iov.total, at, &|t, off, buf| {
        let len = buf.len();
        iov.each(off, len, |addr, r| t.mm().copy_in(addr, &mut buf[r]))?;
        Ok(len)
    })
}

pub fn sys_readv(t: &mut Task, a: &Args) -> SysResult {
    do_readv(t, a, None)
}

pub fn sys_writev(t: &mut Task, a: &Args) -> SysResult {
    do_writev(t, a, None)
}

pub fn sys_preadv(t: &mut Task, a: &Args) -> SysResult {
    let off = offset_arg(a.i64(3))?;
    do_readv(t, a, Some(off))
}

pub fn sys_pwritev(t: &mut Task, a: &Args) -> SysResult {
    let off = offset_arg(a.i64(3))?;
    do_writev(t, a, Some(off))
}

pub fn sys_lseek(t: &mut Task, a: &Args) -> SysResult {
    let file = t.fds.get(a.fd(0))?;
    file.seek(a.i64(1), a.u32(2))
}

pub fn sys_close(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.remove(a.fd(0))?;
    // Closing any descriptor of a file drops the process's POSIX record locks on it.
    crate::fs::lock::release_records(&f, crate::fs::lock::Owner::Process(t.pid()));
    drop(f);
    Ok(0)
}

/// fcntl's record locks: F_GETLK/F_SETLK/F_SETLKW and their OFD forms.
fn record_lock(t: &mut Task, file: &Arc<File>, cmd: i32, addr: u64) -> SysResult {
    use crate::fs::lock::{ofd_owner, set_record, test_record, Owner};
    let mut fl = [0u8; 32];
    t.mm().copy_in(addr, &mut fl)?;
    let ltype = i16::from_ne_bytes([fl[0], fl[1]]);
    let whence = i16::from_ne_bytes([fl[2], fl[3]]);
    let lstart = i64::from_ne_bytes(fl[8..16].try_into().map_err(|_| Errno::EFAULT)?);
    let llen = i64::from_ne_bytes(fl[16..24].try_into().map_err(|_| Errno::EFAULT)?);
    let lpid = i32::from_ne_bytes(fl[24..28].try_into().map_err(|_| Errno::EFAULT)?);
    let ofd = matches!(
        cmd,
        libc::F_OFD_GETLK | libc::F_OFD_SETLK | libc::F_OFD_SETLKW
    );
    if ofd && lpid != 0 {
        return Err(Errno::EINVAL);
    }
    let kind = match ltype as i32 {
        libc::F_RDLCK => Some(false),
        libc::F_WRLCK => Some(true),
        libc::F_UNLCK => None,
        _ => return Err(Errno::EINVAL),
    };
    let base: i64 = match whence as i32 {
        libc::SEEK_SET => 0,
        libc::SEEK_CUR => i64::try_from(file.seek(0, 1)?).map_err(|_| Errno::EOVERFLOW)?,
        libc::SEEK_END => i64::try_from(file.stat()?.size).map_err(|_| Errno::EOVERFLOW)?,
        _ => return Err(Errno::EINVAL),
    };
    let mut start = base.checked_add(lstart).ok_or(Errno::EOVERFLOW)?;
    let end: u64;
    if llen > 0 {
        end = start.checked_add(llen).ok_or(Errno::EOVERFLOW)? as u64;
    } else if llen < 0 {
        end = start as u64;
        start = start.checked_add(llen).ok_or(Errno::EINVAL)?;
    } else {
        end = u64::MAX;
    }
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    let start = start as u64;
    let me = if ofd {
        ofd_owner(file)
    } else {
        Owner::Process(t.pid())
    };
    if matches!(cmd, libc::F_GETLK | libc::F_OFD_GETLK) {
        let Some(write) = kind else {
            return Err(Errno::EINVAL);
        };
        match test_record(file, me, start, end, write)? {
            None => fl[0..2].copy_from_slice(&(libc::F_UNLCK as i16).to_ne_bytes()),
            Some(c) => {
                let ty = if c.write {
                    libc::F_WRLCK
                } else {
                    libc::F_RDLCK
                } as i16;
                fl[0..2].copy_from_slice(&ty.to_ne_bytes());
                fl[2..4].copy_from_slice(&(libc::SEEK_SET as i16).to_ne_bytes());
                fl[8..16].copy_from_slice(&(c.start as i64).to_ne_bytes());
                let len = if c.end == u64::MAX {
                    0
                } else {
                    (c.end - c.start) as i64
                };
                fl[16..24].copy_from_slice(&len.to_ne_bytes());
                fl[24..28].copy_from_slice(&c.pid.to_ne_bytes());
            }
        }
        t.mm().copy_out(addr, &fl)?;
        return Ok(0);
    }
    match kind {
        Some(false) if !file.readable() => return Err(Errno::EBADF),
        Some(true) if !file.writable() => return Err(Errno::EBADF),
        _ => {}
    }
    if matches!(cmd, libc::F_SETLKW | libc::F_OFD_SETLKW) {
        let f = file.clone();
        t.block_on(crate::fs::lock::queue(), events::ALL, None, |_| {
            set_record(&f, me, start, end, kind)
        })?;
    } else {
        set_record(file, me, start, end, kind)?;
    }
    Ok(0)
}

pub fn sys_close_range(t: &mut Task, a: &Args) -> SysResult {
    const CLOSE_RANGE_UNSHARE: u32 = 2;
    const CLOSE_RANGE_CLOEXEC: u32 = 4;
    let (first, last, flags) = (a.u32(0), a.u32(1), a.u32(2));
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    t.fds
        .close_range(first, last, flags & CLOSE_RANGE_CLOEXEC != 0);
    Ok(0)
}

pub fn sys_dup(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    Ok(install(t, f, false)? as u64)
}

fn dup_to(t: &mut Task, old: i32, new: i32, cloexec: bool) -> SysResult {
    let f = t.fds.get(old)?;
    sync_limit(t);
    if new < 0 || new as u64 >= t.fds.limit() {
        return Err(Errno::EBADF);
    }
    t.fds.install_at(new, f, cloexec)?;
    Ok(new as u64)
}

pub fn sys_dup2(t: &mut Task, a: &Args) -> SysResult {
    let (old, new) = (a.fd(0), a.fd(1));
    if old == new {
        t.fds.get(old)?;
        return Ok(new as u64);
    }
    dup_to(t, old, new, false)
}

pub fn sys_dup3(t: &mut Task, a: &Args) -> SysResult {
    let (old, new, flags) = (a.fd(0), a.fd(1), a.u32(2));
    if flags & !(libc::O_CLOEXEC as u32) != 0 {
        return Err(Errno::EINVAL);
    }
    if old == new {
        return Err(Errno::EINVAL);
    }
    dup_to(t, old, new, flags != 0)
}

pub fn sys_fcntl(t: &mut Task, a: &Args) -> SysResult {
    let (fd, cmd) = (a.fd(0), a.i32(1));
    let file = t.fds.get(fd)?;
    match cmd {
        libc::F_DUPFD | libc::F_DUPFD_CLOEXEC => {
            sync_limit(t);
            let min = a.i32(2);
            if min < 0 || min as u64 >= t.fds.limit() {
                return Err(Errno::EINVAL);
            }
            Ok(t.fds
                .install_from(min, file, cmd == libc::F_DUPFD_CLOEXEC)? as u64)
        }
        libc::F_GETFD => Ok(u64::from(t.fds.cloexec(fd)?)),
        libc::F_SETFD => {
            t.fds.set_cloexec(fd, a.u64(2) & 1 != 0)?;
            Ok(0)
        }
        libc::F_GETFL => Ok(u64::from(file.flags())),
        libc::F_SETFL => {
            file.set_status_flags(a.u32(2));
            Ok(0)
        }
        libc::F_GETLK
        | libc::F_OFD_GETLK
        | libc::F_SETLK
        | libc::F_SETLKW
        | libc::F_OFD_SETLK
        | libc::F_OFD_SETLKW => record_lock(t, &file, cmd, a.addr(2)),
        libc::F_GETOWN | libc::F_SETOWN | 10 | 11 => Ok(0), // 10, 11: F_SETSIG, F_GETSIG
        libc::F_GETPIPE_SZ | libc::F_SETPIPE_SZ => {
            if file.file_type() == Some(crate::vfs::FileType::Fifo) {
                Ok(crate::fs::pipe::PIPE_CAPACITY as u64)
            } else {
                Err(Errno::EBADF)
            }
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_ioctl(t: &mut Task, a: &Args) -> SysResult {
    const FIONCLEX: u32 = 0x5450;
    const FIOCLEX: u32 = 0x5451;
    const FIONBIO: u32 = 0x5421;
    let (fd, req, arg) = (a.fd(0), a.u32(1), a.addr(2));
    let file = t.fds.get(fd)?;
    match req {
        FIOCLEX | FIONCLEX => {
            t.fds.set_cloexec(fd, req == FIOCLEX)?;
            return Ok(0);
        }
        FIONBIO => {
            let on = t.mm().read_u32(arg)? != 0;
            let fl = file.flags() & !(libc::O_NONBLOCK as u32);
            file.set_status_flags(if on { fl | libc::O_NONBLOCK as u32 } else { fl });
            return Ok(0);
        }
        _ => {}
    }
    if file.is_path() {
        return Err(Errno::EBADF);
    }
    if req == crate::fs::hostfd::FIONREAD && file.is_regular() {
        let st = file.stat()?;
        let pos = file.seek(0, 1)?;
        let n = st.size.saturating_sub(pos).min(i32::MAX as u64) as i32;
        t.mm().copy_out(arg, &n.to_ne_bytes())?;
        return Ok(0);
    }
    let ctx = IoctlCtx {
        mm: t.mm(),
        pgid: pgid(t),
    };
    file.ops().ioctl(&ctx, req, arg)
}

fn do_pipe(t: &mut Task, addr: u64, flags: u32) -> SysResult {
    let allowed = (libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_DIRECT) as u32;
    if flags & !allowed != 0 {
        return Err(Errno::EINVAL);
    }
    let (r, w) = crate::fs::pipe::new_pipe(t.uid(), t.gid(), flags & libc::O_NONBLOCK as u32);
    let cloexec = flags & libc::O_CLOEXEC as u32 != 0;
    let rfd = install(t, r, cloexec)?;
    let wfd = match install(t, w, cloexec) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = t.fds.remove(rfd);
            return Err(e);
        }
    };
    let mut out = [0u8; 8];
    out[0..4].copy_from_slice(&rfd.to_ne_bytes());
    out[4..8].copy_from_slice(&wfd.to_ne_bytes());
    if let Err(e) = t.mm().copy_out(addr, &out) {
        let _ = t.fds.remove(rfd);
        let _ = t.fds.remove(wfd);
        return Err(e);
    }
    Ok(0)
}

pub fn sys_pipe(t: &mut Task, a: &Args) -> SysResult {
    do_pipe(t, a.addr(0), 0)
}

pub fn sys_pipe2(t: &mut Task, a: &Args) -> SysResult {
    do_pipe(t, a.addr(0), a.u32(1))
}

pub fn sys_getdents64(t: &mut Task, a: &Args) -> SysResult {
    let (fd, addr, count) = (a.fd(0), a.addr(1), a.usize(2));
    let file = t.fds.get(fd)?;
    if file.is_path() {
        return Err(Errno::EBADF);
    }
    if !file.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let count = count.min(i32::MAX as usize);
    if !access_ok(addr, count) {
        return Err(Errno::EFAULT);
    }
    let cap = count.min(1 << 20);
    let buf = std::cell::RefCell::new(Vec::with_capacity(cap.min(64 * 1024)));
    let too_small = std::cell::Cell::new(false);
    let emit = |e: &crate::vfs::DirEntry, next_off: u64| {
        let mut buf = buf.borrow_mut();
        let reclen = (19 + e.name.len() + 1).div_ceil(8) * 8;
        if buf.len() + reclen > cap {
            too_small.set(buf.is_empty());
            return false;
        }
        let start = buf.len();
        buf.extend_from_slice(&e.ino.to_ne_bytes());
        buf.extend_from_slice(&(next_off as i64).to_ne_bytes());
        buf.extend_from_slice(&(reclen as u16).to_ne_bytes());
        buf.push(e.kind.dirent_type());
        buf.extend_from_slice(&e.name);
        buf.resize(start + reclen, 0);
        true
    };
    let finish = || {
        if too_small.get() {
            return Err(Errno::EINVAL);
        }
        t.mm().copy_out(addr, &buf.borrow())
    };
    file.readdir(&t.fs.mounts, emit, finish)?;
    let n = buf.borrow().len();
    Ok(n as u64)
}

pub fn sys_fsync(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    f.ops().sync()?;
    Ok(0)
}

pub fn sys_fdatasync(t: &mut Task, a: &Args) -> SysResult {
    sys_fsync(t, a)
}

pub fn sys_sendfile(t: &mut Task, a: &Args) -> SysResult {
    let (out_fd, in_fd, off_addr, count) =
        (a.fd(0), a.fd(1), a.addr(2), a.usize(3).min(MAX_RW_COUNT));
    let input = t.fds.get(in_fd)?;
    let output = t.fds.get(out_fd)?;
    if !input.readable() || !output.writable() {
        return Err(Errno::EBADF);
    }
    // The input must be a file with pages (not a pipe); the output not O_APPEND.
    if input.file_type() == Some(crate::vfs::FileType::Fifo)
        || output.flags() & libc::O_APPEND as u32 != 0
    {
        return Err(Errno::EINVAL);
    }
    let at = if off_addr != 0 {
        let v = t.mm().read_u64(off_addr)? as i64;
        Some(offset_arg(v)?)
    } else {
        None
    };
    let chunk = count.min(1 << 20);
    let mut data = vec![0u8; chunk];
    let i2 = input.clone();
    let n = wait_io(t, &input, events::IN, |_| {
        i2.read_into(chunk, at, |off, d| {
            data[off..off + d.len()].copy_from_slice(d);
            Ok(d.len())
        })
    })?;
    let data = &data[..n];
    let wrote = do_write(t, &output, n, None, &|_, off, buf| {
        let l = buf.len();
        buf.copy_from_slice(&data[off..off + l]);
        Ok(l)
    })?;
    if let Some(at) = at {
        t.mm().write_u64(off_addr, at + wrote)?;
    }
    Ok(wrote)
}

pub fn sys_flock(t: &mut Task, a: &Args) -> SysResult {
    const LOCK_SH: u32 = 1;
    const LOCK_EX: u32 = 2;
    const LOCK_NB: u32 = 4;
    const LOCK_UN: u32 = 8;
    use crate::fs::lock::{queue, try_flock, Op};
    const LOCK_MAND: u32 = 32;
    if a.u32(1) & LOCK_MAND != 0 {
        // Linux ignores the obsolete mandatory-lock requests before anything else.
        return Ok(0);
    }
    let f = t.fds.get(a.fd(0))?;
    let op = match a.u32(1) & !LOCK_NB {
        LOCK_SH => Op::Shared,
        LOCK_EX => Op::Exclusive,
        LOCK_UN => Op::Unlock,
        _ => return Err(Errno::EINVAL),
    };
    if f.is_path() {
        return Err(Errno::EBADF);
    }
    if a.u32(1) & LOCK_NB != 0 {
        try_flock(&f, op)?;
    } else {
        t.block_on(queue(), events::ALL, None, |_| try_flock(&f, op))?;
    }
    Ok(0)
}

pub fn sys_sync(_t: &mut Task, _a: &Args) -> SysResult {
    Ok(0)
}

pub fn sys_syncfs(t: &mut Task, a: &Args) -> SysResult {
    t.fds.get(a.fd(0))?;
    Ok(0)
}

pub fn sys_readahead(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    if !f.readable() || !f.is_regular() {
        return Err(if f.readable() {
            Errno::EINVAL
        } else {
            Errno::EBADF
        });
    }
    Ok(0)
}

pub fn sys_fadvise64(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    if f.file_type() == Some(crate::vfs::FileType::Fifo) {
        return Err(Errno::ESPIPE);
    }
    if a.i64(2) < 0 || a.i32(3) > 5 || a.i32(3) < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

pub fn sys_fallocate(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    let (mode, off, len) = (a.u32(1), a.i64(2), a.i64(3));
    if off < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    if f.file_type() == Some(crate::vfs::FileType::Fifo) {
        return Err(Errno::ESPIPE);
    }
    if mode != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if f.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !f.is_regular() {
        return Err(Errno::ENODEV);
    }
    let end = off.checked_add(len).ok_or(Errno::EFBIG)? as u64;
    if end > f.stat()?.size {
        f.setattr(&crate::vfs::SetAttr {
            size: Some(end),
            ..Default::default()
        })?;
    }
    Ok(0)
}

pub fn sys_memfd_create(t: &mut Task, a: &Args) -> SysResult {
    const MFD_CLOEXEC: u32 = 1;
    const KNOWN: u32 = 0x1f;
    let flags = a.u32(1);
    // Flags are checked before the name is read.
    if flags & !KNOWN != 0 {
        return Err(Errno::EINVAL);
    }
    let name = t.mm().copy_in_cstr(a.addr(0), 250).map_err(|e| {
        if e == Errno::ENAMETOOLONG {
            Errno::EINVAL
        } else {
            e
        }
    })?;
    let file = crate::fs::mem::memfd(&name, t.uid(), t.gid())?;
    Ok(install(t, file, flags & MFD_CLOEXEC != 0)? as u64)
}

// ---------------------------------------------------------------------------------
// poll and select

/// Readiness of `fd` for `mask` (POLLNVAL for a closed descriptor).
fn poll_one(t: &Task, fd: i32, mask: u32) -> u32 {
    match t.fds.get(fd) {
        Ok(f) => {
            f.ops().readiness(mask | events::HUP | events::ERR) & (mask | events::HUP | events::ERR)
        }
        Err(_) => events::NVAL,
    }
}

/// Waits until `scan` finds something ready (returns > 0), the deadline, or a signal.
/// Registers on every file's queue; host descriptors are re-polled periodically.
fn wait_ready(
    t: &mut Task,
    fds: &[(i32, u32)],
    deadline: Option<Instant>,
    scan: impl FnMut(&Task) -> usize,
) -> Result<usize, Errno> {
    let files: Vec<(Arc<File>, u32)> = fds
        .iter()
        .filter_map(|&(fd, m)| t.fds.get(fd).ok().map(|f| (f, m)))
        .collect();
    wait_files(t, &files, deadline, scan)
}

/// `wait_ready` over open files (also epoll's interest list).
fn wait_files(
    t: &mut Task,
    watched: &[(Arc<File>, u32)],
    deadline: Option<Instant>,
    mut scan: impl FnMut(&Task) -> usize,
) -> Result<usize, Errno> {
    let n = scan(t);
    if n > 0 || deadline.is_some_and(|d| d <= Instant::now()) {
        return Ok(n);
    }
    let waiter = t.shared.waiter.clone();
    let mut files = Vec::new();
    let mut host = false;
    for (f, mask) in watched {
        if let Some(q) = f.ops().wait_queue() {
            q.register(&waiter, mask | events::HUP | events::ERR);
        }
        host |= f.ops().host_fd().is_some();
        files.push(f.clone());
    }
    let idle = WaitQueue::new();
    let r = loop {
        let dl = if host {
            let soon = Instant::now() + HOST_POLL;
            Some(deadline.map_or(soon, |d| d.min(soon)))
        } else {
            deadline
        };
        let r = t.block_on(&idle, events::ALL, dl, |t| match scan(t) {
            0 => Err(Errno::EAGAIN),
            n => Ok(n),
        });
        match r {
            Err(e) if e == Errno::ETIMEDOUT => {
                if deadline.is_some_and(|d| d <= Instant::now()) {
                    break Ok(0);
                }
            }
            r => break r,
        }
    };
    for f in &files {
        if let Some(q) = f.ops().wait_queue() {
            q.unregister(&waiter);
        }
    }
    r
}

fn read_timespec(t: &Task, addr: u64) -> Result<Option<Duration>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let sec = t.mm().read_u64(addr)? as i64;
    let nsec = t.mm().read_u64(addr + 8)? as i64;
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(Some(Duration::new(sec as u64, nsec as u32)))
}

fn deadline_after(d: Option<Duration>) -> Option<Instant> {
    d.map(|d| {
        Instant::now()
            .checked_add(d)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1 << 32))
    })
}

fn do_poll(t: &mut Task, addr: u64, nfds: u64, deadline: Option<Instant>) -> SysResult {
    sync_limit(t);
    if nfds > t.fds.limit() {
        return Err(Errno::EINVAL);
    }
    let n = nfds as usize;
    if !access_ok(addr, n * 8) {
        return Err(Errno::EFAULT);
    }
    let mut raw = t.mm().copy_in_vec(addr, n * 8)?;
    let req: Vec<(i32, u32)> = raw
        .chunks_exact(8)
        .map(|c| {
            (
                i32::from_ne_bytes([c[0], c[1], c[2], c[3]]),
                u32::from(u16::from_ne_bytes([c[4], c[5]])),
            )
        })
        .collect();
    let mut revents = vec![0u32; n];
    let res = wait_ready(t, &req, deadline, |t| {
        let mut ready = 0;
        for (i, &(fd, ev)) in req.iter().enumerate() {
            revents[i] = if fd < 0 { 0 } else { poll_one(t, fd, ev) };
            if revents[i] != 0 {
                ready += 1;
            }
        }
        ready
    });
    let ready = match res {
        Ok(r) => r,
        Err(e) if e == Errno::ERESTARTSYS => return Err(Errno::ERESTARTNOHAND),
        Err(e) => return Err(e),
    };
    for (i, c) in raw.chunks_exact_mut(8).enumerate() {
        c[6..8].copy_from_slice(&(revents[i] as u16).to_ne_bytes());
    }
    t.mm().copy_out(addr, &raw)?;
    Ok(ready as u64)
}

pub fn sys_poll(t: &mut Task, a: &Args) -> SysResult {
    let ms = a.i32(2);
    let deadline = if ms < 0 {
        None
    } else {
        Some(Instant::now() + Duration::from_millis(ms as u64))
    };
    do_poll(t, a.addr(0), a.u64(1) & 0xffff_ffff, deadline)
}

pub fn sys_ppoll(t: &mut Task, a: &Args) -> SysResult {
    let timeout = read_timespec(t, a.addr(2))?;
    let deadline = deadline_after(timeout);
    let r = do_poll(t, a.addr(0), a.u64(1) & 0xffff_ffff, deadline);
    write_back_timeout(t, a.addr(2), deadline, 1, &r);
    r
}

fn do_select(t: &mut Task, nfds: i32, addrs: [u64; 3], deadline: Option<Instant>) -> SysResult {
    sync_limit(t);
    let n = usize::try_from(nfds).map_err(|_| Errno::EINVAL)?;
    if n as u64 > t.fds.limit().max(1024) {
        return Err(Errno::EINVAL);
    }
    let bytes = n.div_ceil(64) * 8;
    let mut sets: [Option<Vec<u8>>; 3] = [None, None, None];
    for (i, &ad) in addrs.iter().enumerate() {
        if ad != 0 {
            sets[i] = Some(t.mm().copy_in_vec(ad, bytes)?);
        }
    }
    let masks = [
        events::IN | events::HUP | events::ERR,
        events::OUT | events::ERR,
        events::PRI,
    ];
    let mut req = Vec::new();
    for fd in 0..n {
        let mut want = 0;
        for (i, s) in sets.iter().enumerate() {
            if s.as_ref().is_some_and(|s| s[fd / 8] & (1 << (fd % 8)) != 0) {
                want |= masks[i];
            }
        }
        if want != 0 {
            if t.fds.get(fd as i32).is_err() {
                return Err(Errno::EBADF);
            }
            req.push((fd as i32, want));
        }
    }
    let mut out: [Vec<u8>; 3] = [vec![0u8; bytes], vec![0u8; bytes], vec![0u8; bytes]];
    let res = wait_ready(t, &req, deadline, |t| {
        let mut count = 0;
        for o in out.iter_mut() {
            o.fill(0);
        }
        for &(fd, want) in &req {
            let ev = poll_one(t, fd, want);
            for (i, m) in masks.iter().enumerate() {
                if want & m != 0 && ev & m != 0 && sets[i].is_some() {
                    out[i][fd as usize / 8] |= 1 << (fd % 8);
                    count += 1;
                }
            }
        }
        count
    });
    let ready = match res {
        Ok(r) => r,
        Err(e) if e == Errno::ERESTARTSYS => return Err(Errno::ERESTARTNOHAND),
        Err(e) => return Err(e),
    };
    for (i, &ad) in addrs.iter().enumerate() {
        if ad != 0 {
            t.mm().copy_out(ad, &out[i])?;
        }
    }
    Ok(ready as u64)
}

pub fn sys_select(t: &mut Task, a: &Args) -> SysResult {
    let tv = a.addr(4);
    let timeout = if tv == 0 {
        None
    } else {
        let sec = t.mm().read_u64(tv)? as i64;
        let usec = t.mm().read_u64(tv + 8)? as i64;
        if sec < 0 || !(0..1_000_000).contains(&usec) {
            return Err(Errno::EINVAL);
        }
        Some(Duration::new(sec as u64, usec as u32 * 1000))
    };
    let deadline = deadline_after(timeout);
    let r = do_select(t, a.i32(0), [a.addr(1), a.addr(2), a.addr(3)], deadline);
    write_back_timeout(t, tv, deadline, 1000, &r);
    r
}

/// Linux writes the time left back into select's and ppoll's timeout argument
/// (`unit`: 1000 for a timeval's microseconds, 1 for a timespec's nanoseconds).
fn write_back_timeout(t: &Task, addr: u64, deadline: Option<Instant>, unit: u32, r: &SysResult) {
    let (Some(d), true) = (deadline, addr != 0) else {
        return;
    };
    if !r.is_ok() && !matches!(r, Err(e) if *e == Errno::ERESTARTNOHAND) {
        return;
    }
    let left = d.saturating_duration_since(Instant::now());
    let _ = t.mm().write_u64(addr, left.as_secs());
    let _ = t
        .mm()
        .write_u64(addr + 8, u64::from(left.subsec_nanos() / unit));
}

pub fn sys_pselect6(t: &mut Task, a: &Args) -> SysResult {
    let timeout = read_timespec(t, a.addr(4))?;
    let deadline = deadline_after(timeout);
    let r = do_select(t, a.i32(0), [a.addr(1), a.addr(2), a.addr(3)], deadline);
    write_back_timeout(t, a.addr(4), deadline, 1, &r);
    r
}

// ---------------------------------------------------------------------------------
// eventfd

fn do_eventfd(t: &mut Task, init: u32, flags: u32) -> SysResult {
    const EFD_SEMAPHORE: u32 = 1;
    let known = EFD_SEMAPHORE | libc::O_CLOEXEC as u32 | libc::O_NONBLOCK as u32;
    if flags & !known != 0 {
        return Err(Errno::EINVAL);
    }
    let f = crate::fs::eventfd::EventFd::new_file(
        init,
        flags & EFD_SEMAPHORE != 0,
        flags & libc::O_NONBLOCK as u32 != 0,
    );
    Ok(install(t, f, flags & libc::O_CLOEXEC as u32 != 0)? as u64)
}

pub fn sys_eventfd(t: &mut Task, a: &Args) -> SysResult {
    do_eventfd(t, a.u32(0), 0)
}

pub fn sys_eventfd2(t: &mut Task, a: &Args) -> SysResult {
    do_eventfd(t, a.u32(0), a.u32(1))
}

// ---------------------------------------------------------------------------------
// epoll

fn epoll_new(t: &mut Task, cloexec: bool) -> SysResult {
    let f = crate::fs::epoll::Epoll::new_file();
    Ok(install(t, f, cloexec)? as u64)
}

pub fn sys_epoll_create(t: &mut Task, a: &Args) -> SysResult {
    if a.i32(0) <= 0 {
        return Err(Errno::EINVAL);
    }
    epoll_new(t, false)
}

pub fn sys_epoll_create1(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u32(0);
    if flags & !(libc::EPOLL_CLOEXEC as u32) != 0 {
        return Err(Errno::EINVAL);
    }
    epoll_new(t, flags != 0)
}

pub fn sys_epoll_ctl(t: &mut Task, a: &Args) -> SysResult {
    use crate::fs::epoll::{pollable, Epoll, EPOLLET, EPOLLEXCLUSIVE, EPOLLWAKEUP};
    const ADD: i32 = 1;
    const DEL: i32 = 2;
    const MOD: i32 = 3;
    let (epfd, op, fd, ev_addr) = (a.fd(0), a.i32(1), a.fd(2), a.addr(3));
    let (mut ev, mut data) = (0u32, 0u64);
    if op != DEL {
        let mut b = [0u8; 12];
        t.mm().copy_in(ev_addr, &mut b)?;
        ev = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
        data = u64::from_ne_bytes([b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11]]);
    }
    let ep_file = t.fds.get(epfd)?;
    let target = t.fds.get(fd)?;
    if !pollable(&target) {
        return Err(Errno::EPERM);
    }
    let ep = Epoll::of(&ep_file).ok_or(Errno::EINVAL)?;
    if Arc::ptr_eq(&ep_file, &target) {
        return Err(Errno::EINVAL);
    }
    if ev & EPOLLEXCLUSIVE != 0
        && (op == MOD || ev & !(EPOLLEXCLUSIVE | 0x1f | EPOLLET | EPOLLWAKEUP) != 0)
    {
        return Err(Errno::EINVAL);
    }
    match op {
        ADD => ep.add(fd, &target, ev, data)?,
        MOD => ep.modify(fd, &target, ev, data)?,
        DEL => ep.remove(fd, &target)?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

fn do_epoll_wait(
    t: &mut Task,
    epfd: i32,
    addr: u64,
    max: i32,
    deadline: Option<Instant>,
) -> SysResult {
    const EP_MAX_EVENTS: i32 = i32::MAX / 12;
    if max <= 0 || max > EP_MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let max = max as usize;
    if !access_ok(addr, max * 12) {
        return Err(Errno::EFAULT);
    }
    let file = t.fds.get(epfd)?;
    let ep = crate::fs::epoll::Epoll::of(&file).ok_or(Errno::EINVAL)?;
    let watched = ep.watched();
    let mut ready = Vec::new();
    let r = wait_files(t, &watched, deadline, |_| {
        ready = ep.collect(max);
        ready.len()
    });
    match r {
        Ok(_) => {}
        Err(e) if e == Errno::ERESTARTSYS => return Err(Errno::EINTR),
        Err(e) => return Err(e),
    }
    let mut out = Vec::with_capacity(ready.len() * 12);
    for (ev, data) in &ready {
        out.extend_from_slice(&ev.to_ne_bytes());
        out.extend_from_slice(&data.to_ne_bytes());
    }
    t.mm().copy_out(addr, &out)?;
    Ok(ready.len() as u64)
}

fn ms_deadline(ms: i32) -> Option<Instant> {
    if ms < 0 {
        None
    } else {
        Some(Instant::now() + Duration::from_millis(ms as u64))
    }
}

pub fn sys_epoll_wait(t: &mut Task, a: &Args) -> SysResult {
    do_epoll_wait(t, a.fd(0), a.addr(1), a.i32(2), ms_deadline(a.i32(3)))
}

pub fn sys_epoll_pwait(t: &mut Task, a: &Args) -> SysResult {
    do_epoll_wait(t, a.fd(0), a.addr(1), a.i32(2), ms_deadline(a.i32(3)))
}

pub fn sys_epoll_pwait2(t: &mut Task, a: &Args) -> SysResult {
    let timeout = read_timespec(t, a.addr(3))?;
    do_epoll_wait(t, a.fd(0), a.addr(1), a.i32(2), deadline_after(timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_ok_bounds() {
        assert!(access_ok(0, 0));
        assert!(access_ok(0x1000, 10));
        assert!(!access_ok(0xffff_8000_0000_0000, 1));
        assert!(!access_ok(u64::MAX, 2));
        assert!(access_ok(TASK_SIZE - 1, 1));
        assert!(!access_ok(TASK_SIZE - 1, 2));
    }

    #[test]
    fn iovec_ranges_split_across_buffers() {
        let iov = IoVecs {
            v: vec![(100, 3), (200, 0), (300, 5)],
            total: 8,
        };
        let mut seen = Vec::new();
        iov.each(2, 4, |addr, r| {
            seen.push((addr, r));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![(102, 0..1), (300, 1..4)]);
    }
}
