//! Pipes: a 64 KiB buffer between a read end and a write end.
//!
//! Both ends are non-blocking inside (EAGAIN); the syscall layer blocks on the pipe's
//! wait queue. EOF once every writer is gone; EPIPE (and SIGPIPE, sent by the caller)
//! once every reader is gone. Writes of at most PIPE_BUF bytes are atomic.

use super::mem::alloc_dev;
use crate::kernel::waiter::{events, WaitQueue};
use crate::vfs::{File, FileOps, FileType, Stat, Timespec};
use abi::Errno;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Buffer size (Linux's default pipe capacity).
pub const PIPE_CAPACITY: usize = 64 * 1024;
/// Writes up to this size are never interleaved with others.
pub const PIPE_BUF: usize = 4096;

struct State {
    buf: VecDeque<u8>,
    readers: usize,
    writers: usize,
    /// Opens of each side so far (a FIFO opener waits for the other side to appear,
    /// even if it closes again at once).
    reader_opens: u64,
    writer_opens: u64,
}

/// The shared part of a pipe.
pub struct Pipe {
    state: Mutex<State>,
    queue: WaitQueue,
    ino: u64,
    uid: u32,
    gid: u32,
    created: Timespec,
}

fn pipefs_dev() -> u64 {
    static DEV: OnceLock<u64> = OnceLock::new();
    *DEV.get_or_init(alloc_dev)
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

impl Pipe {
    pub fn new(uid: u32, gid: u32) -> Arc<Pipe> {
        Arc::new(Pipe {
            state: Mutex::new(State {
                buf: VecDeque::new(),
                readers: 0,
                writers: 0,
                reader_opens: 0,
                writer_opens: 0,
            }),
            queue: WaitQueue::new(),
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            uid,
            gid,
            created: Timespec::now(),
        })
    }

    fn read(&self, out: &mut [u8]) -> Result<usize, Errno> {
        let mut st = self.state.lock().map_err(|_| Errno::EIO)?;
        if out.is_empty() {
            return Ok(0);
        }
        if st.buf.is_empty() {
            return if st.writers == 0 {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        let n = out.len().min(st.buf.len());
        for (o, b) in out.iter_mut().zip(st.buf.drain(..n)) {
            *o = b;
        }
        if st.buf.is_empty() {
            st.buf.shrink_to(PIPE_CAPACITY);
        }
        drop(st);
        self.queue.notify(events::OUT);
        Ok(n)
    }

    fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        if data.is_empty() {
            return Ok(0);
        }
        let mut st = self.state.lock().map_err(|_| Errno::EIO)?;
        if st.readers == 0 {
            return Err(Errno::EPIPE);
        }
        let room = PIPE_CAPACITY - st.buf.len();
        if room == 0 || (data.len() <= PIPE_BUF && room < data.len()) {
            return Err(Errno::EAGAIN);
        }
        let n = room.min(data.len());
        st.buf.extend(&data[..n]);
        drop(st);
        self.queue.notify(events::IN);
        Ok(n)
    }

    fn readiness(&self, reader: bool, mask: u32) -> u32 {
        let Ok(st) = self.state.lock() else {
            return events::ERR & mask;
        };
        let mut ev = 0;
        if reader {
            if !st.buf.is_empty() {
                ev |= events::IN;
            }
            if st.writers == 0 {
                ev |= events::HUP;
            }
        } else {
            if PIPE_CAPACITY - st.buf.len() >= PIPE_BUF {
                ev |= events::OUT;
            }
            if st.readers == 0 {
                ev |= events::ERR;
            }
        }
        // HUP and ERR are always reported, whatever was asked.
        ev & (mask | events::HUP | events::ERR)
    }

    fn stat(&self) -> Stat {
        Stat {
            dev: pipefs_dev(),
            ino: self.ino,
            mode: FileType::Fifo.mode_bits() | 0o600,
            nlink: 1,
            uid: self.uid,
            gid: self.gid,
            blksize: 4096,
            atime: self.created,
            mtime: self.created,
            ctime: self.created,
            ..Stat::default()
        }
    }
}

/// One end of a pipe, as an open file's operations.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    reader: bool,
}

impl PipeEnd {
    fn new(pipe: &Arc<Pipe>, reader: bool) -> PipeEnd {
        if let Ok(mut st) = pipe.state.lock() {
            if reader {
                st.readers += 1;
            } else {
                st.writers += 1;
            }
        }
        PipeEnd {
            pipe: pipe.clone(),
            reader,
        }
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        if let Ok(mut st) = self.pipe.state.lock() {
            if self.reader {
                st.readers -= 1;
            } else {
                st.writers -= 1;
            }
        }
        let ev = if self.reader {
            events::OUT | events::ERR
        } else {
            events::IN | events::HUP
        };
        self.pipe.queue.notify(ev);
    }
}

impl FileOps for PipeEnd {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        if !self.reader {
            return Err(Errno::EBADF);
        }
        self.pipe.read(buf)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        if self.reader {
            return Err(Errno::EBADF);
        }
        self.pipe.write(buf)
    }
    fn stat(&self) -> Option<Result<Stat, Errno>> {
        Some(Ok(self.pipe.stat()))
    }
    fn readiness(&self, mask: u32) -> u32 {
        self.pipe.readiness(self.reader, mask)
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pipe.queue)
    }
    fn nread(&self) -> Option<usize> {
        self.pipe.state.lock().ok().map(|s| s.buf.len())
    }
    fn writes_whole(&self) -> bool {
        true
    }
    fn reopen(&self, flags: u32) -> Option<Result<Box<dyn FileOps>, Errno>> {
        let end: Box<dyn FileOps> = match flags & libc::O_ACCMODE as u32 {
            a if a == libc::O_RDONLY as u32 => Box::new(PipeEnd::new(&self.pipe, true)),
            a if a == libc::O_WRONLY as u32 => Box::new(PipeEnd::new(&self.pipe, false)),
            _ => return Some(Err(Errno::EINVAL)),
        };
        Some(Ok(end))
    }
    fn ioctl(&self, ctx: &crate::vfs::IoctlCtx<'_>, req: u32, arg: u64) -> Result<u64, Errno> {
        if req == super::hostfd::FIONREAD {
            let n = self.nread().unwrap_or(0) as u32;
            ctx.mm.copy_out(arg, &n.to_ne_bytes())?;
            return Ok(0);
        }
        Err(Errno::ENOTTY)
    }
}

/// A new pipe's (read end, write end) files; `extra` flags (O_NONBLOCK) apply to both.
pub fn new_pipe(uid: u32, gid: u32, extra: u32) -> (Arc<File>, Arc<File>) {
    let pipe = Pipe::new(uid, gid);
    let name = format!("pipe:[{}]", pipe.ino);
    let r = File::new(
        Box::new(PipeEnd::new(&pipe, true)),
        None,
        libc::O_RDONLY as u32 | extra,
        name.clone(),
    );
    let w = File::new(
        Box::new(PipeEnd::new(&pipe, false)),
        None,
        libc::O_WRONLY as u32 | extra,
        name,
    );
    (r, w)
}

/// An open of a named pipe (FIFO): a read end, a write end, or both (O_RDWR).
pub struct FifoEnd {
    pipe: Arc<Pipe>,
    read: bool,
    write: bool,
    /// The other side's open count when this end opened.
    partner_gen: u64,
}

impl FifoEnd {
    /// Opens `pipe` as a FIFO with open(2) `flags`. A non-blocking writer with no
    /// reader gets ENXIO; blocking opens wait for a partner in the syscall layer
    /// (`FileOps::wait_partner`).
    pub fn open(pipe: &Arc<Pipe>, flags: u32) -> Result<FifoEnd, Errno> {
        let acc = flags & libc::O_ACCMODE as u32;
        let (read, write) = match acc {
            a if a == libc::O_RDONLY as u32 => (true, false),
            a if a == libc::O_WRONLY as u32 => (false, true),
            a if a == libc::O_RDWR as u32 => (true, true),
            _ => return Err(Errno::EINVAL),
        };
        let mut st = pipe.state.lock().map_err(|_| Errno::EIO)?;
        if write && !read && flags & libc::O_NONBLOCK as u32 != 0 && st.readers == 0 {
            return Err(Errno::ENXIO);
        }
        let partner_gen = if read {
            st.writer_opens
        } else {
            st.reader_opens
        };
        if read {
            st.readers += 1;
            st.reader_opens += 1;
        }
        if write {
            st.writers += 1;
            st.writer_opens += 1;
        }
        drop(st);
        pipe.queue.notify(events::ALL);
        Ok(FifoEnd {
            pipe: pipe.clone(),
            read,
            write,
            partner_gen,
        })
    }
}

impl Drop for FifoEnd {
    fn drop(&mut self) {
        if let Ok(mut st) = self.pipe.state.lock() {
            if self.read {
                st.readers -= 1;
            }
            if self.write {
                st.writers -= 1;
            }
            // A FIFO keeps no data once nobody has it open.
            if st.readers == 0 && st.writers == 0 {
                st.buf.clear();
                st.buf.shrink_to_fit();
            }
        }
        self.pipe.queue.notify(events::ALL);
    }
}

impl FileOps for FifoEnd {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        if !self.read {
            return Err(Errno::EBADF);
        }
        self.pipe.read(buf)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        if !self.write {
            return Err(Errno::EBADF);
        }
        self.pipe.write(buf)
    }
    fn readiness(&self, mask: u32) -> u32 {
        let mut ev = 0;
        if self.read {
            ev |= self.pipe.readiness(true, mask);
        }
        if self.write {
            ev |= self.pipe.readiness(false, mask);
        }
        if self.read && self.write {
            // Holding both ends, neither side ever hangs up.
            ev &= !(events::HUP | events::ERR);
        }
        ev
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pipe.queue)
    }
    fn nread(&self) -> Option<usize> {
        self.pipe.state.lock().ok().map(|s| s.buf.len())
    }
    fn writes_whole(&self) -> bool {
        true
    }
    fn wait_partner(&self) -> Option<bool> {
        if self.read && self.write {
            return None;
        }
        let st = self.pipe.state.lock().ok()?;
        Some(if self.read {
            st.writers > 0 || st.writer_opens != self.partner_gen
        } else {
            st.readers > 0 || st.reader_opens != self.partner_gen
        })
    }
    fn ioctl(&self, ctx: &crate::vfs::IoctlCtx<'_>, req: u32, arg: u64) -> Result<u64, Errno> {
        if req == super::hostfd::FIONREAD {
            let n = self.nread().unwrap_or(0) as u32;
            ctx.mm.copy_out(arg, &n.to_ne_bytes())?;
            return Ok(0);
        }
        Err(Errno::ENOTTY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eof_epipe_and_atomicity() {
        let (r, w) = new_pipe(0, 0, 0);
        let mut buf = [0u8; 8];
        assert_eq!(r.read(&mut buf), Err(Errno::EAGAIN));
        assert_eq!(w.write(b"hello"), Ok(5));
        assert_eq!(r.ops().readiness(events::IN), events::IN);
        assert_eq!(r.read(&mut buf), Ok(5));
        assert_eq!(&buf[..5], b"hello");
        // Fill to capacity: a large write is partial, then EAGAIN.
        let big = vec![7u8; PIPE_CAPACITY + 100];
        assert_eq!(w.write(&big), Ok(PIPE_CAPACITY));
        assert_eq!(w.write(b"x"), Err(Errno::EAGAIN));
        assert_eq!(w.ops().readiness(events::OUT), 0);
        // Free less than PIPE_BUF: a small write must not be split.
        let mut some = vec![0u8; 10];
        assert_eq!(r.read(&mut some), Ok(10));
        assert_eq!(w.write(&[1u8; 11]), Err(Errno::EAGAIN));
        assert_eq!(w.write(&[1u8; 10]), Ok(10));
        drop(w);
        let mut all = vec![0u8; PIPE_CAPACITY * 2];
        assert_eq!(r.read(&mut all), Ok(PIPE_CAPACITY));
        assert_eq!(r.read(&mut all), Ok(0), "EOF once writers are gone");
        assert_ne!(r.ops().readiness(events::IN) & events::HUP, 0);
    }

    #[test]
    fn write_without_readers_is_epipe() {
        let (r, w) = new_pipe(0, 0, 0);
        drop(r);
        assert_eq!(w.write(b"x"), Err(Errno::EPIPE));
        assert_ne!(w.ops().readiness(events::OUT) & events::ERR, 0);
        assert!(w
            .stat()
            .is_ok_and(|s| s.file_type() == Some(FileType::Fifo)));
    }
}
